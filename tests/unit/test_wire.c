/*
 * test_wire.c - unit tests for wire/ (dp_wire.h, wire.c), the hand-written
 * protobuf wire format the receivers and the push exporter share: varint
 * round trips and limits, the field reader on good and cut input, the
 * google.rpc.Status with RetryInfo (bytes written, delay read back), and
 * ExportTraceServiceResponse byte for byte against protobuf-c's packing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "dp_wire.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb-c.h"

static void test_varint_round_trip(void **state)
{
    static const uint64_t values[] = {0,         1,          127,
                                      128,       300,        16383,
                                      16384,     UINT32_MAX, (uint64_t)1 << 63,
                                      UINT64_MAX};
    static const size_t lens[] = {1, 1, 1, 2, 2, 2, 3, 5, 10, 10};
    (void)state;
    for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
        uint8_t b[DP_WIRE_VARINT_MAX];
        size_t n = dp_wire_put_varint(b, values[i]);
        assert_int_equal(n, lens[i]);
        const uint8_t *p = b;
        uint64_t v = 1;
        assert_true(dp_wire_get_varint(&p, b + n, &v));
        assert_true(v == values[i]);
        assert_ptr_equal(p, b + n);
        /* Cut by one byte: no value, the cursor stays. */
        p = b;
        assert_false(dp_wire_get_varint(&p, b + n - 1, &v));
        assert_ptr_equal(p, b);
    }
}

static void test_varint_limits(void **state)
{
    uint8_t b[12];
    const uint8_t *p = b;
    uint64_t v;
    (void)state;
    memset(b, 0x80, sizeof(b));
    b[11] = 0x01;
    /* Eleven bytes: longer than any varint. */
    assert_false(dp_wire_get_varint(&p, b + sizeof(b), &v));
    /* Ten bytes with bits past 64: the extra bits are dropped. */
    memset(b, 0xff, 9);
    b[9] = 0x7f;
    p = b;
    assert_true(dp_wire_get_varint(&p, b + 10, &v));
    assert_true(v == UINT64_MAX);
    assert_ptr_equal(p, b + 10);
    p = b;
    assert_false(dp_wire_get_varint(&p, b, &v)); /* empty */
}

static void test_next_field(void **state)
{
    uint8_t b[64];
    size_t n = 0;
    (void)state;
    n += dp_wire_put_uint(b + n, 1, 150);
    n += dp_wire_put_len(b + n, 2, "abc", 3);
    b[n++] = 0x1d; /* field 3, fixed32 */
    memcpy(b + n, "\1\2\3\4", 4);
    n += 4;
    n += dp_wire_put_uint(b + n, 100000, 7);
    assert_memory_equal(b,
                        "\x08\x96\x01\x12\x03"
                        "abc",
                        8);

    const uint8_t *p = b, *end = b + n;
    dp_wire_field f;
    assert_true(dp_wire_next_field(&p, end, &f));
    assert_int_equal(f.number, 1);
    assert_int_equal(f.wire_type, DP_WIRE_VARINT);
    assert_int_equal(f.num, 150);
    assert_true(dp_wire_next_field(&p, end, &f));
    assert_int_equal(f.number, 2);
    assert_int_equal(f.wire_type, DP_WIRE_LEN);
    assert_int_equal(f.len, 3);
    assert_memory_equal(f.ptr, "abc", 3);
    assert_true(dp_wire_next_field(&p, end, &f));
    assert_int_equal(f.number, 3);
    assert_int_equal(f.wire_type, DP_WIRE_I32);
    assert_true(dp_wire_next_field(&p, end, &f));
    assert_int_equal(f.number, 100000);
    assert_int_equal(f.num, 7);
    assert_false(dp_wire_next_field(&p, end, &f)); /* the end */
    assert_ptr_equal(p, end);

    /* A length past the end, field number 0, a group: all refused. */
    static const uint8_t cut[] = {0x12, 0x05, 'a', 'b'};
    static const uint8_t zero[] = {0x00, 0x01};
    static const uint8_t group[] = {0x0b, 0x0c};
    p = cut;
    assert_false(dp_wire_next_field(&p, cut + sizeof(cut), &f));
    p = zero;
    assert_false(dp_wire_next_field(&p, zero + sizeof(zero), &f));
    p = group;
    assert_false(dp_wire_next_field(&p, group + sizeof(group), &f));
}

static void test_status_with_retry_info(void **state)
{
    static const char type_url[] = DP_WIRE_RETRY_INFO_TYPE;
    uint8_t b[DP_WIRE_STATUS_MAX(256)], want[256];
    size_t n, w = 0;
    (void)state;
    n = dp_wire_put_status(b, 14, "busy", 4, 3);
    /* code 14, message "busy", details [Any{type_url, RetryInfo{
     * Duration{3}}}] */
    memcpy(want + w,
           "\x08\x0e\x12\x04"
           "busy\x1a",
           9);
    w += 9;
    want[w++] = (uint8_t)(2 + (sizeof(type_url) - 1) + 2 + 4);
    want[w++] = 0x0a;
    want[w++] = (uint8_t)(sizeof(type_url) - 1);
    memcpy(want + w, type_url, sizeof(type_url) - 1);
    w += sizeof(type_url) - 1;
    memcpy(want + w, "\x12\x04\x0a\x02\x08\x03", 6);
    w += 6;
    assert_int_equal(n, w);
    assert_memory_equal(b, want, w);

    uint64_t delay = 1;
    assert_true(dp_wire_status_retry_delay(b, n, UINT64_MAX, &delay));
    assert_true(delay == 3000000000ULL);
    /* Capped. */
    assert_true(dp_wire_status_retry_delay(b, n, 1000000000ULL, &delay));
    assert_true(delay == 1000000000ULL);
    /* retry_seconds 0: a RetryInfo with a zero delay. */
    n = dp_wire_put_status(b, 14, "", 0, 0);
    assert_true(dp_wire_status_retry_delay(b, n, UINT64_MAX, &delay));
    assert_true(delay == 0);
    /* Without RetryInfo: code and message only. */
    n = dp_wire_put_status(b, 3, "bad", 3, -1);
    assert_int_equal(n, 7);
    assert_memory_equal(b,
                        "\x08\x03\x12\x03"
                        "bad",
                        7);
    assert_false(dp_wire_status_retry_delay(b, n, UINT64_MAX, &delay));
    /* The longest message fits the bound. */
    char msg[256];
    memset(msg, 'x', sizeof(msg));
    n = dp_wire_put_status(b, 14, msg, sizeof(msg), INT32_MAX);
    assert_true(n <= DP_WIRE_STATUS_MAX(256));
}

/* The response as protobuf-c packs it. */
static size_t pbc_response(bool partial, int64_t rejected, const char *msg,
                           uint8_t *out)
{
    Opentelemetry__Proto__Collector__Trace__V1__ExportTraceServiceResponse resp =
        OPENTELEMETRY__PROTO__COLLECTOR__TRACE__V1__EXPORT_TRACE_SERVICE_RESPONSE__INIT;
    Opentelemetry__Proto__Collector__Trace__V1__ExportTracePartialSuccess ps =
        OPENTELEMETRY__PROTO__COLLECTOR__TRACE__V1__EXPORT_TRACE_PARTIAL_SUCCESS__INIT;
    if (partial) {
        ps.rejected_spans = rejected;
        ps.error_message = (char *)msg;
        resp.partial_success = &ps;
    }
    return opentelemetry__proto__collector__trace__v1__export_trace_service_response__pack(
        &resp, out);
}

static void test_export_response_as_protobuf_c(void **state)
{
    static const int64_t rejected[] = {0, 1, 127, 128, 1000000, -1, INT64_MAX};
    char long_msg[256];
    memset(long_msg, 'm', sizeof(long_msg) - 1);
    long_msg[sizeof(long_msg) - 1] = '\0';
    const char *msgs[] = {"", "2 spans rejected", long_msg};
    (void)state;
    for (int partial = 0; partial < 2; partial++)
        for (size_t i = 0; i < sizeof(rejected) / sizeof(rejected[0]); i++)
            for (size_t j = 0; j < 3; j++) {
                uint8_t a[DP_WIRE_EXPORT_RESPONSE_MAX(256)], b[512];
                size_t na = dp_wire_put_export_response(a, partial, rejected[i],
                                                        msgs[j]);
                size_t nb = pbc_response(partial, rejected[i], msgs[j], b);
                assert_int_equal(na, nb);
                assert_memory_equal(a, b, na);
                assert_true(na <= DP_WIRE_EXPORT_RESPONSE_MAX(strlen(msgs[j])));
            }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_varint_round_trip),
        cmocka_unit_test(test_varint_limits),
        cmocka_unit_test(test_next_field),
        cmocka_unit_test(test_status_with_retry_info),
        cmocka_unit_test(test_export_response_as_protobuf_c),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
