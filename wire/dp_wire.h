/*
 * dp_wire.h - the protobuf wire format by hand, shared by the receivers
 * (the OTLP protobuf decoder, the gRPC and HTTP replies, the trace-file
 * reader) and the OTLP push exporter: varints, tags, length-delimited
 * fields, a field reader, and (wire.c) the few small messages dagprof
 * writes or reads without protobuf-c: google.rpc.Status with a RetryInfo
 * detail and ExportTraceServiceResponse.
 *
 * Writers put bytes at out and return how many; the caller sizes out
 * (DP_WIRE_VARINT_MAX bytes per varint). Readers take a cursor *pp and the
 * end of the buffer, advance the cursor past what they read and return
 * false, leaving it, on truncated or malformed input. Little-endian hosts
 * only, like the rest of dagprof.
 */
#ifndef DP_WIRE_H
#define DP_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

enum { DP_WIRE_VARINT = 0, DP_WIRE_I64 = 1, DP_WIRE_LEN = 2, DP_WIRE_I32 = 5 };

#define DP_WIRE_VARINT_MAX 10 /* bytes of the longest (64-bit) varint */

/* Writes v as a varint; returns its length (1..10). */
static inline size_t dp_wire_put_varint(uint8_t *out, uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        out[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    out[n++] = (uint8_t)v;
    return n;
}

/* Writes the tag of field number field with wire type wt. */
static inline size_t dp_wire_put_tag(uint8_t *out, uint32_t field, unsigned wt)
{
    return dp_wire_put_varint(out, (uint64_t)field << 3 | wt);
}

/* Writes a varint field (tag and value). */
static inline size_t dp_wire_put_uint(uint8_t *out, uint32_t field, uint64_t v)
{
    size_t n = dp_wire_put_tag(out, field, DP_WIRE_VARINT);
    return n + dp_wire_put_varint(out + n, v);
}

/* Writes a length-delimited field: tag, length, then len bytes of data
 * (which may not overlap out). */
static inline size_t dp_wire_put_len(uint8_t *out, uint32_t field,
                                     const void *data, size_t len)
{
    size_t n = dp_wire_put_tag(out, field, DP_WIRE_LEN);
    n += dp_wire_put_varint(out + n, len);
    if (len)
        memcpy(out + n, data, len);
    return n + len;
}

/* Reads a varint of at most 10 bytes (bits past 64 are dropped). */
static inline bool dp_wire_get_varint(const uint8_t **pp, const uint8_t *end,
                                      uint64_t *out)
{
    const uint8_t *p = *pp;
    size_t max = (size_t)(end - p) < DP_WIRE_VARINT_MAX ? (size_t)(end - p)
                                                        : DP_WIRE_VARINT_MAX;
    uint64_t v = 0;

    for (size_t i = 0; i < max; i++) {
        v |= (uint64_t)(p[i] & 0x7f) << (7 * i);
        if (!(p[i] & 0x80)) {
            *out = v;
            *pp = p + i + 1;
            return true;
        }
    }
    return false;
}

/* One field of a message, as dp_wire_next_field reads it. */
typedef struct dp_wire_field {
    uint32_t number;
    unsigned wire_type;
    uint64_t num;       /* DP_WIRE_VARINT */
    const uint8_t *ptr; /* DP_WIRE_LEN: the payload */
    size_t len;
} dp_wire_field;

/* Reads the next field at *pp: false at the end, on a field number 0 or
 * past 32 bits, a cut field or a group wire type (3, 4, 6, 7). Fixed-width
 * fields are skipped over (only number and wire_type are set). */
static inline bool dp_wire_next_field(const uint8_t **pp, const uint8_t *end,
                                      dp_wire_field *f)
{
    const uint8_t *p = *pp;
    uint64_t key, len;

    if (p >= end || !dp_wire_get_varint(&p, end, &key) || (key >> 3) == 0 ||
        (key >> 3) > UINT32_MAX)
        return false;
    f->number = (uint32_t)(key >> 3);
    f->wire_type = (unsigned)(key & 7);
    switch (f->wire_type) {
    case DP_WIRE_VARINT:
        if (!dp_wire_get_varint(&p, end, &f->num))
            return false;
        break;
    case DP_WIRE_I64:
    case DP_WIRE_I32: {
        size_t n = f->wire_type == DP_WIRE_I64 ? 8 : 4;
        if ((size_t)(end - p) < n)
            return false;
        p += n;
        break;
    }
    case DP_WIRE_LEN:
        if (!dp_wire_get_varint(&p, end, &len) || len > (uint64_t)(end - p))
            return false;
        f->ptr = p;
        f->len = (size_t)len;
        p += len;
        break;
    default:
        return false;
    }
    *pp = p;
    return true;
}

/* ---- messages (wire.c) -------------------------------------------------- */

#define DP_WIRE_RETRY_INFO_TYPE "type.googleapis.com/google.rpc.RetryInfo"

/* Bytes dp_wire_put_status may write for a message of msg_len bytes. */
#define DP_WIRE_STATUS_MAX(msg_len) ((msg_len) + 128)

/* Writes a google.rpc.Status {code = 1, message = 2, details = 3}: code and
 * message always, and when retry_seconds >= 0 one detail Any{type_url =
 * DP_WIRE_RETRY_INFO_TYPE, value = RetryInfo{retry_delay = Duration{seconds
 * = retry_seconds}}}. Returns the length (at most
 * DP_WIRE_STATUS_MAX(msg_len)). */
size_t dp_wire_put_status(uint8_t *out, uint32_t code, const char *msg,
                          size_t msg_len, int64_t retry_seconds);

/* Looks for a RetryInfo among the details of a serialized google.rpc.Status.
 * Returns true when one is present, with its retry_delay in *delay_ns
 * (negative parts count as 0; capped at cap_ns; 0 when absent). */
bool dp_wire_status_retry_delay(const uint8_t *p, size_t len, uint64_t cap_ns,
                                uint64_t *delay_ns);

/* Bytes dp_wire_put_export_response may write for a message of msg_len. */
#define DP_WIRE_EXPORT_RESPONSE_MAX(msg_len) ((msg_len) + 32)

/* Writes an ExportTraceServiceResponse as protobuf-c packs it (proto3:
 * zero and empty fields left out): empty without partial; else
 * partial_success (1) {rejected_spans (1, int64), error_message (2, the C
 * string msg)}. Returns the length. */
size_t dp_wire_put_export_response(uint8_t *out, bool partial,
                                   int64_t rejected_spans, const char *msg);

#ifdef __cplusplus
}
#endif

#endif /* DP_WIRE_H */
