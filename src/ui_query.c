/*
 * ui_query.c - request targets of the web UI (see ui_query.h).
 */
#include "ui_query.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hex.h"

int dp_ui_decode(const char *s, size_t n, char *out, size_t out_len)
{
    size_t o = 0;
    if (out_len == 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        int c = (unsigned char)s[i];
        if (c == '+')
            c = ' ';
        else if (c == '%') {
            int h, l;
            if (i + 2 >= n)
                return -1;
            h = dp_hex_digit(s[i + 1]);
            l = dp_hex_digit(s[i + 2]);
            if (h < 0 || l < 0)
                return -1;
            c = h * 16 + l;
            i += 2;
        }
        if (c == 0 || o + 1 >= out_len)
            return -1;
        out[o++] = (char)c;
    }
    out[o] = '\0';
    return (int)o;
}

int dp_ui_query_get(const char *q, size_t n, const char *key, char *out,
                    size_t out_len)
{
    size_t klen = strlen(key), i = 0;
    while (i < n) {
        const char *amp = memchr(q + i, '&', n - i);
        size_t end = amp ? (size_t)(amp - q) : n;
        const char *eq = memchr(q + i, '=', end - i);
        size_t kend = eq ? (size_t)(eq - q) : end;
        if (kend - i == klen && memcmp(q + i, key, klen) == 0) {
            size_t v = eq ? kend + 1 : end;
            return dp_ui_decode(q + v, end - v, out, out_len) < 0 ? -1 : 1;
        }
        i = end + 1;
    }
    return 0;
}

int dp_ui_encode(dp_buf *out, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        char e[3] = {(char)c, 0, 0};
        size_t len = 1;
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
              (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
              c == '~')) {
            e[0] = '%';
            e[1] = hex[c >> 4];
            e[2] = hex[c & 15];
            len = 3;
        }
        if (dp_buf_append(out, e, len) != 0)
            return -1;
    }
    return 0;
}

static int get_uint(const char *q, size_t n, const char *key, unsigned lo,
                    unsigned hi, unsigned *out, char *err, size_t err_len)
{
    char v[32], *end;
    int r = dp_ui_query_get(q, n, key, v, sizeof(v));
    if (r == 0 || (r == 1 && v[0] == '\0'))
        return 0;
    unsigned long x = r == 1 ? strtoul(v, &end, 10) : 0;
    if (r < 0 || v[0] < '0' || v[0] > '9' || *end || x < lo || x > hi) {
        snprintf(err, err_len, "%s must be a number from %u to %u", key, lo,
                 hi);
        return -1;
    }
    *out = (unsigned)x;
    return 0;
}

int dp_ui_list_query_parse(dp_ui_list_query *lq, const char *q, size_t n,
                           char *err, size_t err_len)
{
    char v[DP_UI_VALUE_MAX];
    memset(lq, 0, sizeof(*lq));
    lq->limit = 50;
    if (dp_ui_query_get(q, n, "dag", lq->dag, sizeof(lq->dag)) < 0 ||
        dp_ui_query_get(q, n, "version", lq->version, sizeof(lq->version)) <
            0) {
        snprintf(err, err_len, "dag and version must be at most %d bytes",
                 DP_UI_VALUE_MAX - 1);
        return -1;
    }
    int r = dp_ui_query_get(q, n, "since", lq->since, sizeof(lq->since));
    if (r < 0) {
        lq->since[0] = '\0';
        snprintf(err, err_len, "since must be at most %zu bytes",
                 sizeof(lq->since) - 1);
        return -1;
    }
    r = dp_ui_query_get(q, n, "complete", v, sizeof(v));
    if (r == 1 && strcmp(v, "yes") == 0)
        lq->complete = DP_UI_COMPLETE_YES;
    else if (r == 1 && strcmp(v, "no") == 0)
        lq->complete = DP_UI_COMPLETE_NO;
    else if (r != 0 && !(r == 1 && (v[0] == '\0' || strcmp(v, "any") == 0))) {
        snprintf(err, err_len, "complete must be yes, no or any");
        return -1;
    }
    r = dp_ui_query_get(q, n, "sort", v, sizeof(v));
    if (r == 1 && strcmp(v, "wall") == 0)
        lq->sort = DP_UI_SORT_WALL;
    else if (r == 1 && strcmp(v, "cost") == 0)
        lq->sort = DP_UI_SORT_COST;
    else if (r != 0 && !(r == 1 && (v[0] == '\0' || strcmp(v, "start") == 0))) {
        snprintf(err, err_len, "sort must be start, wall or cost");
        return -1;
    }
    if (get_uint(q, n, "limit", 1, DP_UI_LIMIT_MAX, &lq->limit, err, err_len) ||
        get_uint(q, n, "offset", 0, DP_UI_OFFSET_MAX, &lq->offset, err,
                 err_len))
        return -1;
    return 0;
}

int dp_ui_list_query_href(dp_buf *out, const dp_ui_list_query *lq,
                          unsigned offset)
{
    static const char *sorts[] = {"start", "wall", "cost"};
    static const char *comp[] = {"any", "yes", "no"};
    char num[64];
    if (dp_buf_puts(out, "?dag=") || dp_ui_encode(out, lq->dag) ||
        dp_buf_puts(out, "&version=") || dp_ui_encode(out, lq->version) ||
        dp_buf_puts(out, "&since=") || dp_ui_encode(out, lq->since))
        return -1;
    snprintf(num, sizeof(num), "&complete=%s&sort=%s&limit=%u&offset=%u",
             comp[lq->complete], sorts[lq->sort], lq->limit, offset);
    return dp_buf_puts(out, num) ? -1 : 0;
}

/* A copy of s, or NULL for NULL; false when the copy failed. */
static bool dup_opt(const char **out, const char *s)
{
    *out = s ? strdup(s) : NULL;
    return !s || *out;
}

int dp_ui_runs_add(dp_ui_runs *s, const dp_history_run *run, unsigned what)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        dp_html_trend_run *r = realloc(s->r, cap * sizeof(*r));
        if (!r)
            return DP_ENOMEM;
        s->r = r;
        s->cap = cap;
    }
    dp_html_trend_run *r = &s->r[s->n++];
    memset(r, 0, sizeof(*r));
    r->start_unix_ns = run->start_unix_ns;
    r->wall_ns = run->wall_ns;
    r->cost_pusd = run->cost_pusd;
    r->tokens = run->tokens;
    r->complete = run->complete;
    if (!dup_opt(&r->dag_id, run->dag_id) ||
        !dup_opt(&r->version, run->version))
        return DP_ENOMEM;
    if ((what & (DP_UI_RUN_TRACE | DP_UI_RUN_HREF)) &&
        !dup_opt(&r->trace_id, run->trace_id))
        return DP_ENOMEM;
    if ((what & DP_UI_RUN_HREF) && run->trace_id) {
        char *h = malloc(8 + strlen(run->trace_id) + 1);
        if (!h)
            return DP_ENOMEM;
        sprintf(h, "/ui/run/%s", run->trace_id);
        r->href = h;
    }
    return 0;
}

void dp_ui_runs_fini(dp_ui_runs *s)
{
    for (size_t i = 0; i < s->n; i++) {
        free((char *)s->r[i].trace_id);
        free((char *)s->r[i].dag_id);
        free((char *)s->r[i].version);
        free((char *)s->r[i].href);
    }
    free(s->r);
    memset(s, 0, sizeof(*s));
}
