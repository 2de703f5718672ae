/*
 * otlp_proto_int.h - private to otlp_proto.c and otlp_proto_check.c: the OTLP
 * trace schema as the one-pass decoder sees it (message types, each known
 * field's wire type and sub-message), the wire primitives with protobuf-c
 * 1.4.1's limits, and the iterative validator. The short names (M_*, WT_*,
 * C_*, rd_*) never leave these two files.
 */
#ifndef DP_OTLP_PROTO_INT_H
#define DP_OTLP_PROTO_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dp_wire.h"

/* ---- the schema --------------------------------------------------------- */

enum msg {
    M_REQ = 0, /* ExportTraceServiceRequest: never a child, so 0 = none */
    M_RS,      /* ResourceSpans */
    M_RES,     /* Resource */
    M_SS,      /* ScopeSpans */
    M_SCOPE,   /* InstrumentationScope */
    M_SPAN,
    M_EVENT,
    M_LINK,
    M_STATUS,
    M_KV,     /* KeyValue */
    M_ANY,    /* AnyValue */
    M_ARR,    /* ArrayValue */
    M_KVLIST, /* KeyValueList */
    M__COUNT
};

enum { WT_VARINT = 0, WT_I64 = 1, WT_LEN = 2, WT_I32 = 5 };

/* One byte per known field: (wire type + 1) | (child message << 4). A bool
 * field takes any wire type (protobuf-c does not check it): WT_ANY. */
#define F(wt, child) ((uint8_t)(((wt) + 1) | ((child) << 4)))
#define WT_ANY 14
#define MAX_FIELD 16

extern const uint8_t dp__wire_schema[M__COUNT][MAX_FIELD + 1];

/* AnyValue cases: the oneof field number, 0 when unset, and one extra for
 * bytes of length 0 (protobuf-c treats those differently when merging). */
enum { C_NONE = 0, C_STR = 1, C_BYTES = 7, C_BYTES_EMPTY = 8, C_UNSEEN = 0xff };

/* Folds a KeyValue's next AnyValue (case c) into the accumulated one, as
 * protobuf-c's merge of a repeated non-repeated field does. Returns false
 * when the merge fails (both empty), which fails the whole unpack. */
static inline bool fold_case(uint8_t *acc, uint8_t c)
{
    if (*acc == C_UNSEEN || c != C_NONE)
        *acc = c;
    else if (*acc == C_NONE)
        return false;
    else if (*acc == C_STR || *acc == C_BYTES_EMPTY)
        *acc = C_NONE;
    return true;
}

/* ---- wire primitives ---------------------------------------------------- */

/* Reads a tag at *pp (< end). protobuf-c: the first byte must carry field
 * bits, at most 5 bytes, the field number is the 32-bit value >> 3. */
static inline bool rd_tag(const uint8_t **pp, const uint8_t *end,
                          uint32_t *field, unsigned *wt)
{
    const uint8_t *p = *pp;
    uint8_t b0 = p[0];
    size_t max;
    uint32_t tag;
    unsigned shift = 4;

    if ((b0 & 0xf8) == 0)
        return false;
    *wt = b0 & 7;
    if (!(b0 & 0x80)) {
        *field = b0 >> 3;
        *pp = p + 1;
        return true;
    }
    tag = (uint32_t)(b0 & 0x7f) >> 3;
    max = (size_t)(end - p) < 5 ? (size_t)(end - p) : 5;
    for (size_t i = 1; i < max; i++) {
        if (p[i] & 0x80) {
            tag |= (uint32_t)(p[i] & 0x7f) << shift;
            shift += 7;
        } else {
            tag |= (uint32_t)p[i] << shift;
            *field = tag;
            *pp = p + i + 1;
            return true;
        }
    }
    return false;
}

/* Reads a varint of at most 10 bytes; bits past 64 are dropped. */
static inline bool rd_varint(const uint8_t **pp, const uint8_t *end,
                             uint64_t *out)
{
    return dp_wire_get_varint(pp, end, out);
}

/* Reads a length prefix (at most 5 bytes) and checks the payload fits. */
static inline bool rd_len(const uint8_t **pp, const uint8_t *end,
                          const uint8_t **data, size_t *len)
{
    const uint8_t *p = *pp;
    size_t max = (size_t)(end - p) < 5 ? (size_t)(end - p) : 5;
    uint64_t v = 0;

    if (max && p[0] < 0x80) {
        v = p[0];
        if (v > (size_t)(end - p - 1))
            return false;
        *data = p + 1;
        *len = (size_t)v;
        *pp = p + 1 + v;
        return true;
    }
    for (size_t i = 0; i < max; i++) {
        v |= (uint64_t)(p[i] & 0x7f) << (7 * i);
        if (!(p[i] & 0x80)) {
            if (v > (uint64_t)(end - p - (ptrdiff_t)i - 1))
                return false;
            *data = p + i + 1;
            *len = (size_t)v;
            *pp = p + i + 1 + v;
            return true;
        }
    }
    return false;
}

static inline uint64_t rd_fixed64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v; /* little-endian hosts only, like the rest of dagprof */
}

/* Reads one field of a message of type m: its number, wire type and
 * extent (data, len: the payload of a LEN field, the bytes of a scalar).
 * Fails on a bad tag or extent, or a known field with the wrong wire type.
 * Returns the field's schema byte (0: unknown field). */
static inline int rd_field(const uint8_t **pp, const uint8_t *end, int m,
                           uint32_t *field, const uint8_t **data, size_t *len)
{
    const uint8_t *p = *pp;
    unsigned wt, sc;

    if (!rd_tag(&p, end, field, &wt))
        return -1;
    sc = *field <= MAX_FIELD ? dp__wire_schema[m][*field] : 0;
    if (sc && (sc & 15) != wt + 1 && (sc & 15) != WT_ANY + 1)
        return -1;
    switch (wt) {
    case WT_VARINT: {
        size_t max = (size_t)(end - p) < 10 ? (size_t)(end - p) : 10, i;
        for (i = 0; i < max; i++)
            if (!(p[i] & 0x80))
                break;
        if (i == max)
            return -1;
        *data = p;
        *len = i + 1;
        p += i + 1;
        break;
    }
    case WT_I64:
        if (end - p < 8)
            return -1;
        *data = p;
        *len = 8;
        p += 8;
        break;
    case WT_LEN:
        if (!rd_len(&p, end, data, len))
            return -1;
        break;
    case WT_I32:
        if (end - p < 4)
            return -1;
        *data = p;
        *len = 4;
        p += 4;
        break;
    default:
        return -1;
    }
    *pp = p;
    return (int)sc;
}

/* ---- the validator ------------------------------------------------------ */

struct dp__wire_frame {
    const uint8_t *p, *end;
    uint8_t type, state; /* KV: folded value case; ANY: its case */
};

/* The validator's explicit stack, reused across calls of one decode;
 * zero-initialize, release with free(frames). */
typedef struct dp__wire_stack {
    struct dp__wire_frame *frames;
    size_t cap;
} dp__wire_stack;

/* Checks that [p, end) is a valid message of type m (what protobuf-c's
 * unpack accepts), descending every sub-message with an explicit stack: no
 * recursion, so nesting depth is bounded by memory, not by the C stack.
 * *state gets the root's final state (an AnyValue's case). Stores nothing.
 * Returns 0, DP_EPARSE or DP_ENOMEM. Cost: one pass over the bytes. */
int dp__wire_validate(dp__wire_stack *st, int m, const uint8_t *p,
                      const uint8_t *end, uint8_t *state);

#endif /* DP_OTLP_PROTO_INT_H */
