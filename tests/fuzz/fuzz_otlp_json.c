/*
 * fuzz_otlp_json.c - libFuzzer target for dp_ref_otlp_json_decode (see
 * tests/fuzz/CMakeLists.txt). Any input must return 0 or DP_EPARSE and
 * deliver nothing on DP_EPARSE; every string view must be readable.
 */
#include <stdlib.h>
#include <string.h>

#include "otlp_ref.h"

static volatile unsigned char sum;

static void touch(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        sum += (unsigned char)p[i];
}

static int sink(void *user, const dp_span_in *s)
{
    size_t *n = user;

    touch(s->name, s->name_len);
    for (size_t i = 0; i < s->n_attrs; i++) {
        const dp_value *v = &s->attrs[i].value;
        touch(s->attrs[i].key, s->attrs[i].key_len);
        if (v->type == DP_VAL_STR)
            touch(v->u.str.ptr, v->u.str.len);
        for (size_t j = 0; v->type == DP_VAL_ARRAY && j < v->u.arr.n; j++) {
            if (v->u.arr.items[j].type == DP_VAL_STR)
                touch(v->u.arr.items[j].u.str.ptr, v->u.arr.items[j].u.str.len);
            else if (v->u.arr.items[j].type == DP_VAL_ARRAY)
                abort();
        }
    }
    (*n)++;
    return 0;
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
    rc = dp_ref_otlp_json_decode(&ctx, (const char *)data, size);
    if (rc != 0 && rc != DP_EPARSE)
        abort();
    if (rc == DP_EPARSE && n != 0)
        abort();
    return 0;
}
