/*
 * replay_ids.c - the what-if replay's small shared pieces (replay_int.h):
 * the node-id map lookup and the error message writer. A leaf: replay.c
 * and replay_apply.c call it; it calls neither.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "replay_int.h"

int dp__replay_fail(struct rp_run *r, int code, const char *fmt, ...)
{
    if (r->err && r->err_len) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(r->err, r->err_len, fmt, ap);
        va_end(ap);
    }
    return code;
}

/* ---- node ids -------------------------------------------------------- */

size_t dp__replay_id_slot(const dp_replay_ctx *c, const char *id)
{
    size_t i =
        (size_t)dp__fnv1a(DP__FNV_INIT, id, strlen(id)) & (c->ids.cap - 1);
    while (c->ids.keys[i] && strcmp(c->ids.keys[i], id) != 0)
        i = (i + 1) & (c->ids.cap - 1);
    return i;
}

long dp__replay_find(const dp_replay_ctx *c, const char *id)
{
    if (!id || !c->ids.cap)
        return -1;
    size_t i = dp__replay_id_slot(c, id);
    return c->ids.keys[i] ? (long)c->ids.vals[i] : -1;
}
