/*
 * otlp_proto_check.c - the schema table and the iterative validator of the
 * one-pass OTLP protobuf decoder (otlp_proto.c; shared declarations in
 * otlp_proto_int.h).
 *
 * The decoder descends only what the processor reads; every other
 * sub-message (events, scopes, link attributes, unwanted attribute values,
 * nested arrays and key-value lists) still has to be valid for the request
 * to be, exactly as protobuf-c's full unpack would find it. The validator
 * walks such a subtree once with an explicit stack of frames, checking each
 * field against the schema and folding repeated AnyValues of a KeyValue as
 * protobuf-c merges them, and stores nothing.
 */
#include <stdlib.h>

#include "otlp_proto.h"
#include "otlp_proto_int.h"

const uint8_t dp__wire_schema[M__COUNT][MAX_FIELD + 1] = {
    [M_REQ] = {[1] = F(WT_LEN, M_RS)},
    [M_RS] =
        {[1] = F(WT_LEN, M_RES), [2] = F(WT_LEN, M_SS), [3] = F(WT_LEN, 0)},
    [M_RES] = {[1] = F(WT_LEN, M_KV), [2] = F(WT_VARINT, 0)},
    [M_SS] =
        {[1] = F(WT_LEN, M_SCOPE), [2] = F(WT_LEN, M_SPAN), [3] = F(WT_LEN, 0)},
    [M_SCOPE] = {[1] = F(WT_LEN, 0),
                 [2] = F(WT_LEN, 0),
                 [3] = F(WT_LEN, M_KV),
                 [4] = F(WT_VARINT, 0)},
    [M_SPAN] = {[1] = F(WT_LEN, 0),
                [2] = F(WT_LEN, 0),
                [3] = F(WT_LEN, 0),
                [4] = F(WT_LEN, 0),
                [5] = F(WT_LEN, 0),
                [6] = F(WT_VARINT, 0),
                [7] = F(WT_I64, 0),
                [8] = F(WT_I64, 0),
                [9] = F(WT_LEN, M_KV),
                [10] = F(WT_VARINT, 0),
                [11] = F(WT_LEN, M_EVENT),
                [12] = F(WT_VARINT, 0),
                [13] = F(WT_LEN, M_LINK),
                [14] = F(WT_VARINT, 0),
                [15] = F(WT_LEN, M_STATUS),
                [16] = F(WT_I32, 0)},
    [M_EVENT] = {[1] = F(WT_I64, 0),
                 [2] = F(WT_LEN, 0),
                 [3] = F(WT_LEN, M_KV),
                 [4] = F(WT_VARINT, 0)},
    [M_LINK] = {[1] = F(WT_LEN, 0),
                [2] = F(WT_LEN, 0),
                [3] = F(WT_LEN, 0),
                [4] = F(WT_LEN, M_KV),
                [5] = F(WT_VARINT, 0),
                [6] = F(WT_I32, 0)},
    [M_STATUS] = {[2] = F(WT_LEN, 0), [3] = F(WT_VARINT, 0)},
    [M_KV] = {[1] = F(WT_LEN, 0), [2] = F(WT_LEN, M_ANY)},
    [M_ANY] = {[1] = F(WT_LEN, 0),
               [2] = F(WT_ANY, 0),
               [3] = F(WT_VARINT, 0),
               [4] = F(WT_I64, 0),
               [5] = F(WT_LEN, M_ARR),
               [6] = F(WT_LEN, M_KVLIST),
               [7] = F(WT_LEN, 0)},
    [M_ARR] = {[1] = F(WT_LEN, M_ANY)},
    [M_KVLIST] = {[1] = F(WT_LEN, M_KV)},
};

/* Makes room for frame n (amortized doubling). */
static int stack_grow(dp__wire_stack *st, size_t n)
{
    return n < st->cap ? 0
                       : dp__decode_reserve((void **)&st->frames, &st->cap,
                                            n + 1, sizeof(*st->frames));
}

int dp__wire_validate(dp__wire_stack *st, int m, const uint8_t *p,
                      const uint8_t *end, uint8_t *state)
{
    size_t n = 1;

    if (stack_grow(st, 0))
        return DP_ENOMEM;
    st->frames[0] = (struct dp__wire_frame){p, end, (uint8_t)m,
                                            m == M_KV ? C_UNSEEN : C_NONE};
    while (n) {
        struct dp__wire_frame *f = &st->frames[n - 1];
        const uint8_t *d;
        size_t len;
        uint32_t field;
        int sc;

        if (f->p == f->end) {
            uint8_t s = f->state, t = f->type;
            if (--n == 0) {
                *state = s;
                return 0;
            }
            if (t == M_ANY && st->frames[n - 1].type == M_KV &&
                !fold_case(&st->frames[n - 1].state, s))
                return DP_EPARSE;
            continue;
        }
        sc = rd_field(&f->p, f->end, f->type, &field, &d, &len);
        if (sc < 0)
            return DP_EPARSE;
        if (!sc)
            continue;
        if (f->type == M_ANY)
            f->state =
                field == C_BYTES && len == 0 ? C_BYTES_EMPTY : (uint8_t)field;
        if (sc >> 4) {
            uint8_t child = (uint8_t)(sc >> 4);
            if (stack_grow(st, n))
                return DP_ENOMEM;
            st->frames[n++] = (struct dp__wire_frame){
                d, d + len, child, child == M_KV ? C_UNSEEN : C_NONE};
        }
    }
    return 0;
}
