/*
 * dag_util.c - the DAG builder's small shared pieces (dag_build.h): the
 * string -> index map over the scratch arena and the profile's warnings
 * list. A leaf: nodes.c, deps.c, rollup.c and dag.c call it; it calls none
 * of them.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "dag_build.h"

#define MAX_WARNINGS 32

int dp__strmap_init(struct strmap *m, dp_arena *a, size_t n)
{
    m->cap = 16;
    while (m->cap < n * 2)
        m->cap *= 2;
    m->keys = dp_arena_alloc(a, m->cap * sizeof(*m->keys));
    m->vals = dp_arena_alloc(a, m->cap * sizeof(*m->vals));
    return m->keys && m->vals ? 0 : DP_ENOMEM;
}

size_t dp__strmap_slot(const struct strmap *m, const char *key)
{
    size_t h = (size_t)dp__fnv1a(DP__FNV_INIT, key, strlen(key));
    size_t i = h & (m->cap - 1);
    while (m->keys[i] && strcmp(m->keys[i], key) != 0)
        i = (i + 1) & (m->cap - 1);
    return i;
}

long dp__strmap_get(const struct strmap *m, const char *key)
{
    size_t i = dp__strmap_slot(m, key);
    return m->keys[i] ? (long)m->vals[i] : -1;
}

int dp__warn(struct builder *b, const char *fmt, ...)
{
    if (b->n_warnings >= MAX_WARNINGS) {
        b->dropped_warnings++;
        return 0;
    }
    if (b->n_warnings == b->cap_warnings) {
        size_t cap = b->cap_warnings ? b->cap_warnings * 2 : 4;
        const char **w = dp_arena_alloc(b->prof->arena, cap * sizeof(*w));
        if (!w)
            return DP_ENOMEM;
        if (b->n_warnings)
            memcpy(w, b->warnings, b->n_warnings * sizeof(*w));
        b->warnings = w;
        b->cap_warnings = cap;
    }
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    const char *s = dp_arena_strdup(b->prof->arena, buf);
    if (!s)
        return DP_ENOMEM;
    b->warnings[b->n_warnings++] = s;
    return 0;
}
