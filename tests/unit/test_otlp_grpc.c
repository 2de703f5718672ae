/*
 * test_otlp_grpc.c - the OTLP/gRPC receiver's replies (receiver/otlp_grpc.c)
 * to a real gRPC C core client on 127.0.0.1: the exact bytes reach the
 * handler, partial success in the response, the status codes of the
 * handler's outcomes with their details (and a google.rpc.RetryInfo when
 * the handler gives a retry delay), a call without a message, another
 * service's method, compressed requests and the message size limit.
 * Concurrency, ports, shutdown and connection limits are in
 * test_otlp_grpc_server.c; the fixture is otlp_grpc_fixture.h.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "otlp_grpc_fixture.h"

static Opentelemetry__Proto__Collector__Trace__V1__ExportTraceServiceResponse *
decode_response(const dp_gtc_reply *r)
{
    return opentelemetry__proto__collector__trace__v1__export_trace_service_response__unpack(
        NULL, r->body_len, r->body);
}

/* ------------------------------------------------------------------------ */
/* Tests.                                                                    */

static void test_otlp_grpc_export_ok_passes_exact_bytes(void **state)
{
    (void)state;
    struct fixture f;
    fixture_start(&f, 0, 2, GRPC_COMPRESS_NONE);
    dp_gtc_reply r;
    uint8_t *sent;
    size_t sent_len;
    call_export(&f, "plan", 100, &r, &sent, &sent_len);

    assert_int_equal(r.status, GRPC_STATUS_OK);
    assert_int_equal(f.st.calls, 1);
    assert_int_equal(f.st.format, DP_PAYLOAD_PROTO);
    assert_int_equal(f.st.last_len, sent_len);
    assert_memory_equal(f.st.last, sent, sent_len);
    /* An empty ExportTraceServiceResponse is a zero-length message. */
    assert_non_null(r.body);
    assert_int_equal(r.body_len, 0);
    Opentelemetry__Proto__Collector__Trace__V1__ExportTraceServiceResponse
        *resp = decode_response(&r);
    assert_non_null(resp);
    assert_null(resp->partial_success);
    opentelemetry__proto__collector__trace__v1__export_trace_service_response__free_unpacked(
        resp, NULL);

    dp_gtc_reply_free(&r);
    free(sent);
    fixture_stop(&f);
}

static void test_otlp_grpc_partial_success_in_response(void **state)
{
    (void)state;
    struct fixture f;
    fixture_start(&f, 0, 2, GRPC_COMPRESS_NONE);
    f.st.rejected = 2;
    f.st.message = "2 spans end before they start";
    dp_gtc_reply r;
    call_export(&f, "plan", 10, &r, NULL, NULL);

    assert_int_equal(r.status, GRPC_STATUS_OK);
    Opentelemetry__Proto__Collector__Trace__V1__ExportTraceServiceResponse
        *resp = decode_response(&r);
    assert_non_null(resp);
    assert_non_null(resp->partial_success);
    assert_int_equal(resp->partial_success->rejected_spans, 2);
    assert_string_equal(resp->partial_success->error_message,
                        "2 spans end before they start");
    /* field 1 (len 33) { field 1 varint 2, field 2 (len 29) "2 spans..." } */
    assert_int_equal(r.body_len, 2 + 2 + 2 + 29);
    opentelemetry__proto__collector__trace__v1__export_trace_service_response__free_unpacked(
        resp, NULL);
    dp_gtc_reply_free(&r);
    fixture_stop(&f);
}

static void test_otlp_grpc_bad_data_is_invalid_argument(void **state)
{
    (void)state;
    struct fixture f;
    fixture_start(&f, 0, 2, GRPC_COMPRESS_NONE);
    f.st.outcome = DP_EXPORT_BAD_DATA;
    f.st.message = "span 0: trace_id has 3 bytes, want 16";
    dp_gtc_reply r;
    call_export(&f, "plan", 10, &r, NULL, NULL);
    assert_int_equal(r.status, GRPC_STATUS_INVALID_ARGUMENT);
    assert_string_equal(r.details, "span 0: trace_id has 3 bytes, want 16");
    assert_int_equal(f.st.calls, 1);
    dp_gtc_reply_free(&r);

    /* Without a message from the handler the details are a default text. */
    f.st.message = NULL;
    call_export(&f, "plan", 10, &r, NULL, NULL);
    assert_int_equal(r.status, GRPC_STATUS_INVALID_ARGUMENT);
    assert_string_equal(r.details, "the request could not be decoded");
    dp_gtc_reply_free(&r);
    fixture_stop(&f);
}

static void test_otlp_grpc_unavailable_and_internal(void **state)
{
    (void)state;
    struct fixture f;
    fixture_start(&f, 0, 2, GRPC_COMPRESS_NONE);
    f.st.outcome = DP_EXPORT_UNAVAILABLE;
    dp_gtc_reply r;
    call_export(&f, "plan", 10, &r, NULL, NULL);
    assert_int_equal(r.status, GRPC_STATUS_UNAVAILABLE);
    assert_string_equal(r.details, "the receiver is overloaded; retry later");
    assert_null(r.body);
    assert_int_equal(r.status_bin_len, 0); /* no retry_after_s, no RetryInfo */
    dp_gtc_reply_free(&r);

    /* With retry_after_s the status carries a google.rpc.RetryInfo. */
    f.st.retry_after_s = 3;
    f.st.message = "queue full";
    call_export(&f, "plan", 10, &r, NULL, NULL);
    assert_int_equal(r.status, GRPC_STATUS_UNAVAILABLE);
    assert_string_equal(r.details, "queue full");
    static const uint8_t want[] =
        "\x08\x0e" /* code 14 */
        "\x12\x0a"
        "queue full" /* message */
        "\x1a\x30"   /* details: Any, 48 bytes */
        "\x0a\x28"
        "type.googleapis.com/google.rpc.RetryInfo"
        "\x12\x04"
        "\x0a\x02\x08\x03"; /* RetryInfo{Duration{3 s}} */
    assert_int_equal(r.status_bin_len, sizeof(want) - 1);
    assert_memory_equal(r.status_bin, want, sizeof(want) - 1);
    dp_gtc_reply_free(&r);
    f.st.retry_after_s = 0;
    f.st.message = NULL;

    f.st.outcome = DP_EXPORT_INTERNAL;
    f.st.message = "processor stopped";
    call_export(&f, "plan", 10, &r, NULL, NULL);
    assert_int_equal(r.status, GRPC_STATUS_INTERNAL);
    assert_string_equal(r.details, "processor stopped");
    dp_gtc_reply_free(&r);
    assert_int_equal(f.st.calls, 3);
    fixture_stop(&f);
}

static void test_otlp_grpc_no_message_and_unknown_method(void **state)
{
    (void)state;
    struct fixture f;
    fixture_start(&f, 0, 2, GRPC_COMPRESS_NONE);
    dp_gtc_reply r;
    assert_int_equal(
        dp_gtc_unary(f.ch, DP_GTC_EXPORT_METHOD, NULL, 0, CALL_TIMEOUT_MS, &r),
        0);
    assert_int_equal(r.status, GRPC_STATUS_INVALID_ARGUMENT);
    assert_string_equal(r.details, "the call carried no request message");
    dp_gtc_reply_free(&r);

    /* Another OTLP service on the same port fails fast, not at deadline. */
    int64_t t0 = now_ms();
    uint8_t one = 0;
    assert_int_equal(
        dp_gtc_unary(
            f.ch,
            "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export",
            &one, 0, CALL_TIMEOUT_MS, &r),
        0);
    assert_int_equal(r.status, GRPC_STATUS_UNIMPLEMENTED);
    assert_true(now_ms() - t0 < CALL_TIMEOUT_MS / 2);
    assert_non_null(strstr(r.details, "MetricsService/Export"));
    dp_gtc_reply_free(&r);
    assert_int_equal(f.st.calls, 0);
    fixture_stop(&f);
}

static void test_otlp_grpc_gzip_request_arrives_decompressed(void **state)
{
    (void)state;
    struct fixture f;
    fixture_start(&f, 0, 2, GRPC_COMPRESS_GZIP);
    dp_gtc_reply r;
    uint8_t *sent;
    size_t sent_len;
    call_export(&f, "gzipped", 20000, &r, &sent, &sent_len);
    assert_int_equal(r.status, GRPC_STATUS_OK);
    assert_int_equal(f.st.calls, 1);
    assert_int_equal(f.st.last_len, sent_len);
    assert_memory_equal(f.st.last, sent, sent_len);
    free(sent);
    dp_gtc_reply_free(&r);

    /* deflate too */
    grpc_channel *ch = dp_gtc_channel(f.port, GRPC_COMPRESS_DEFLATE);
    size_t len;
    uint8_t *req = make_request("deflated", 5000, &len);
    assert_int_equal(
        dp_gtc_unary(ch, DP_GTC_EXPORT_METHOD, req, len, CALL_TIMEOUT_MS, &r),
        0);
    assert_int_equal(r.status, GRPC_STATUS_OK);
    assert_int_equal(f.st.calls, 2);
    assert_int_equal(f.st.last_len, len);
    assert_memory_equal(f.st.last, req, len);
    free(req);
    dp_gtc_reply_free(&r);
    grpc_channel_destroy(ch);
    fixture_stop(&f);
}

static void test_otlp_grpc_too_large_is_resource_exhausted(void **state)
{
    (void)state;
    struct fixture f;
    fixture_start(&f, 64 * 1024, 2, GRPC_COMPRESS_NONE);
    dp_gtc_reply r;
    call_export(&f, "big", 100 * 1024, &r, NULL, NULL);
    assert_int_equal(r.status, GRPC_STATUS_RESOURCE_EXHAUSTED);
    assert_int_equal(f.st.calls, 0);
    dp_gtc_reply_free(&r);

    /* Just under the limit still passes, and the server keeps serving. */
    uint8_t *sent;
    size_t sent_len;
    call_export(&f, "fits", 60 * 1024, &r, &sent, &sent_len);
    assert_true(sent_len < 64 * 1024);
    assert_int_equal(r.status, GRPC_STATUS_OK);
    assert_int_equal(f.st.calls, 1);
    assert_int_equal(f.st.last_len, sent_len);
    free(sent);
    dp_gtc_reply_free(&r);
    fixture_stop(&f);
}

static void test_otlp_grpc_gzip_bomb_is_resource_exhausted(void **state)
{
    (void)state;
    struct fixture f;
    /* 1 MiB of 'x' compresses to about 1 KiB: the limit must apply to the
     * decompressed message. */
    fixture_start(&f, 64 * 1024, 2, GRPC_COMPRESS_GZIP);
    dp_gtc_reply r;
    call_export(&f, "bomb", 1024 * 1024, &r, NULL, NULL);
    assert_int_equal(r.status, GRPC_STATUS_RESOURCE_EXHAUSTED);
    assert_int_equal(f.st.calls, 0);
    dp_gtc_reply_free(&r);

    call_export(&f, "small", 1000, &r, NULL, NULL);
    assert_int_equal(r.status, GRPC_STATUS_OK);
    assert_int_equal(f.st.calls, 1);
    dp_gtc_reply_free(&r);
    fixture_stop(&f);
}
int main(void)
{
    dp_log_set_level(DP_LOG_WARN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_otlp_grpc_export_ok_passes_exact_bytes),
        cmocka_unit_test(test_otlp_grpc_partial_success_in_response),
        cmocka_unit_test(test_otlp_grpc_bad_data_is_invalid_argument),
        cmocka_unit_test(test_otlp_grpc_unavailable_and_internal),
        cmocka_unit_test(test_otlp_grpc_no_message_and_unknown_method),
        cmocka_unit_test(test_otlp_grpc_gzip_request_arrives_decompressed),
        cmocka_unit_test(test_otlp_grpc_too_large_is_resource_exhausted),
        cmocka_unit_test(test_otlp_grpc_gzip_bomb_is_resource_exhausted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
