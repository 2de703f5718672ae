/*
 * wire.c - the small protobuf messages dagprof writes or reads by hand
 * (dp_wire.h): google.rpc.Status with a RetryInfo detail, as the gRPC
 * receiver sends it with UNAVAILABLE and the OTLP/HTTP receiver sends its
 * errors, and as the OTLP push exporter reads it back; and the
 * ExportTraceServiceResponse both receivers answer with. Each fits a
 * caller's stack buffer; nothing allocates.
 */
#include "dp_wire.h"

size_t dp_wire_put_status(uint8_t *out, uint32_t code, const char *msg,
                          size_t msg_len, int64_t retry_seconds)
{
    static const char type_url[] = DP_WIRE_RETRY_INFO_TYPE;
    size_t n = 0;

    n += dp_wire_put_uint(out + n, 1, code);        /* Status.code */
    n += dp_wire_put_len(out + n, 2, msg, msg_len); /* Status.message */
    if (retry_seconds >= 0) {
        uint8_t duration[16], retry_info[32], any[96];
        size_t nd, nr, na;
        nd = dp_wire_put_uint(duration, 1, (uint64_t)retry_seconds);
        nr = dp_wire_put_len(retry_info, 1, duration, nd); /* retry_delay */
        na = dp_wire_put_len(any, 1, type_url, sizeof(type_url) - 1);
        na += dp_wire_put_len(any + na, 2, retry_info, nr); /* Any.value */
        n += dp_wire_put_len(out + n, 3, any, na);          /* Status.details */
    }
    return n;
}

/* Reads RetryInfo.retry_delay from a RetryInfo message into *delay_ns. */
static void retry_info_delay(const uint8_t *p, size_t len, uint64_t cap_ns,
                             uint64_t *delay_ns)
{
    const uint8_t *end = p + len;
    dp_wire_field f;

    *delay_ns = 0;
    while (dp_wire_next_field(&p, end, &f)) {
        if (f.number != 1 || f.wire_type != DP_WIRE_LEN)
            continue;
        const uint8_t *d = f.ptr, *dend = f.ptr + f.len;
        int64_t seconds = 0, nanos = 0;
        dp_wire_field g;
        while (dp_wire_next_field(&d, dend, &g)) {
            if (g.wire_type != DP_WIRE_VARINT)
                continue;
            if (g.number == 1)
                seconds = (int64_t)g.num;
            else if (g.number == 2)
                nanos = (int64_t)(int32_t)(uint32_t)g.num;
        }
        uint64_t total = 0;
        if (seconds > 0)
            total = (uint64_t)seconds >= cap_ns / 1000000000ULL
                        ? cap_ns
                        : (uint64_t)seconds * 1000000000ULL;
        if (nanos > 0 && total < cap_ns)
            total += (uint64_t)nanos;
        *delay_ns = total < cap_ns ? total : cap_ns;
    }
}

bool dp_wire_status_retry_delay(const uint8_t *p, size_t len, uint64_t cap_ns,
                                uint64_t *delay_ns)
{
    static const char type_url[] = DP_WIRE_RETRY_INFO_TYPE;
    const uint8_t *end = p + len;
    dp_wire_field f;

    while (dp_wire_next_field(&p, end, &f)) {
        if (f.number != 3 || f.wire_type != DP_WIRE_LEN)
            continue;
        const uint8_t *a = f.ptr, *aend = f.ptr + f.len;
        const uint8_t *value = NULL;
        size_t value_len = 0;
        bool is_retry_info = false;
        dp_wire_field g;
        while (dp_wire_next_field(&a, aend, &g)) {
            if (g.wire_type != DP_WIRE_LEN)
                continue;
            if (g.number == 1)
                is_retry_info = g.len == sizeof(type_url) - 1 &&
                                memcmp(g.ptr, type_url, g.len) == 0;
            else if (g.number == 2) {
                value = g.ptr;
                value_len = g.len;
            }
        }
        if (is_retry_info) {
            retry_info_delay(value ? value : (const uint8_t *)"", value_len,
                             cap_ns, delay_ns);
            return true;
        }
    }
    return false;
}

size_t dp_wire_put_export_response(uint8_t *out, bool partial,
                                   int64_t rejected_spans, const char *msg)
{
    uint8_t len_buf[DP_WIRE_VARINT_MAX];
    size_t n = 0, body = 0, mlen = msg ? strlen(msg) : 0;

    if (!partial)
        return 0;
    /* The payload of partial_success, sized first for its length prefix. */
    if (rejected_spans != 0)
        body += 1 + dp_wire_put_varint(len_buf, (uint64_t)rejected_spans);
    if (mlen)
        body += 1 + dp_wire_put_varint(len_buf, mlen) + mlen;
    n += dp_wire_put_tag(out + n, 1, DP_WIRE_LEN);
    n += dp_wire_put_varint(out + n, body);
    if (rejected_spans != 0)
        n += dp_wire_put_uint(out + n, 1, (uint64_t)rejected_spans);
    if (mlen)
        n += dp_wire_put_len(out + n, 2, msg, mlen);
    return n;
}
