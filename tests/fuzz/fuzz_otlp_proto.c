/*
 * fuzz_otlp_proto.c - libFuzzer target for dp_ref_otlp_proto_decode (see
 * tests/fuzz/CMakeLists.txt). Any input must return 0 or DP_EPARSE, deliver
 * nothing on DP_EPARSE, and hand the sink only spans with valid ids.
 */
#include <stdlib.h>
#include <string.h>

#include "otlp_ref.h"

static int sink(void *user, const dp_span_in *s)
{
    static const uint8_t zero[16];
    size_t *n = user;

    if (memcmp(s->trace_id, zero, 16) == 0 || memcmp(s->span_id, zero, 8) == 0)
        abort();
    for (size_t i = 0; i < s->n_attrs; i++)
        if (s->attrs[i].value.type == DP_VAL_ARRAY)
            for (size_t j = 0; j < s->attrs[i].value.u.arr.n; j++)
                if (s->attrs[i].value.u.arr.items[j].type == DP_VAL_ARRAY)
                    abort();
    (*n)++;
    return s->end_ns < s->start_ns ? DP_EBADSPAN : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dp_decode_ctx ctx;
    size_t n = 0;
    int rc;

    memset(&ctx, 0, sizeof(ctx));
    ctx.sink = sink;
    ctx.sink_user = &n;
    ctx.where = "fuzz";
    rc = dp_ref_otlp_proto_decode(&ctx, data, size);
    if (rc != 0 && rc != DP_EPARSE)
        abort();
    if (rc == DP_EPARSE && n != 0)
        abort();
    return 0;
}
