/*
 * span_rec.c - spans resolved ahead of the processor (processor.h,
 * dp_span_rec): the compact record of trace.h, built on the caller's
 * thread with its strings in the caller's memory, so that the serve
 * pipeline's receivers hand records, not copies of attributes, to the
 * shard threads. The processor takes a record with dp_processor_add_rec
 * (processor.c).
 */
#include <string.h>

#include "trace.h"

size_t dp_span_rec_size(void)
{
    return (sizeof(dp_span_rec) + 15) & ~(size_t)15;
}

const uint8_t *dp_span_rec_trace_id(const dp_span_rec *rec)
{
    return rec->trace_id;
}

/* A run-level value is a view into the input: copy it so it outlives it. */
static int keep_value(const dp__mem *m, dp_value *v)
{
    if (v->type != DP_VAL_STR || !v->u.str.len)
        return 0;
    char *s = m->alloc(m->user, v->u.str.len);
    if (!s)
        return DP_ENOMEM;
    memcpy(s, v->u.str.ptr, v->u.str.len);
    v->u.str.ptr = s;
    return 0;
}

void dp_span_rec_set_spans_hint(dp_span_rec *rec, uint32_t n)
{
    rec->spans_hint = n;
}

int dp_span_rec_resolve(const dp_span_in *in, dp_span_rec *rec,
                        dp_span_rec_alloc alloc, void *user)
{
    if (in->end_ns < in->start_ns)
        return DP_EBADSPAN;
    dp__mem m = {NULL, alloc, user};
    memcpy(rec->trace_id, in->trace_id, 16);
    rec->spans_hint = 0;
    int rc = dp__span_resolve(&m, in, &rec->span, &rec->meta);
    if (rc)
        return rc;
    if (!rec->span.n_links)
        rec->span.links = NULL;
    if (keep_value(&m, &rec->meta.service) ||
        keep_value(&m, &rec->meta.version) ||
        keep_value(&m, &rec->meta.session))
        return DP_ENOMEM;
    return 0;
}
