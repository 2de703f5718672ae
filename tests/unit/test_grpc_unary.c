/*
 * test_grpc_unary.c - one unary gRPC call (exporter/grpc_unary.c) against
 * the fake collector of tests/support/otlp_test_sink.h: what is sent
 * (headers, message) arrives, and the reply's status, details, message and
 * grpc-status-details-bin trailer come back; a call that is never answered
 * ends at its deadline; a call that does not exist starts nothing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <grpc/grpc.h>

#include "dp_wire.h"
#include "grpc_test_client.h"
#include "grpc_unary.h"
#include "otlp_test_sink.h"

/* Calls the sink's logs method with body and one authorization header. */
static grpc_call_error call_logs(struct dp_sink *s, const char *body,
                                 int timeout_ms, dp_grpc_reply *out)
{
    grpc_channel *ch = dp_gtc_channel(s->port, GRPC_COMPRESS_NONE);
    grpc_completion_queue *cq = grpc_completion_queue_create_for_next(NULL);
    gpr_timespec deadline =
        gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC),
                     gpr_time_from_millis(timeout_ms, GPR_TIMESPAN));
    grpc_call *call = grpc_channel_create_call(
        ch, NULL, GRPC_PROPAGATE_DEFAULTS, cq,
        grpc_slice_from_static_string(DP_OTLP_PUSH_LOGS_METHOD), NULL, deadline,
        NULL);
    grpc_metadata md = {0};
    md.key = grpc_slice_from_static_string("authorization");
    md.value = grpc_slice_from_static_string("Bearer t0k");
    grpc_slice sl = grpc_slice_from_copied_string(body);
    grpc_byte_buffer *send = grpc_raw_byte_buffer_create(&sl, 1);
    grpc_slice_unref(sl);

    grpc_call_error e = dp_grpc_unary(call, cq, deadline, &md, 1, send, out);
    grpc_call_unref(call);
    grpc_byte_buffer_destroy(send);
    grpc_completion_queue_shutdown(cq);
    while (grpc_completion_queue_next(cq, gpr_inf_future(GPR_CLOCK_MONOTONIC),
                                      NULL)
               .type != GRPC_QUEUE_SHUTDOWN)
        ;
    grpc_completion_queue_destroy(cq);
    grpc_channel_destroy(ch);
    return e;
}

static void test_grpc_unary_ok_sends_headers_and_message(void **state)
{
    (void)state;
    struct dp_sink s;
    dp_grpc_reply rep;

    dp_sink_start(&s, 1);
    dp_sink_script(&s, DP_SINK_LOGS,
                   (struct dp_sink_reply){GRPC_STATUS_OK, 0, 0, 0, 3});
    assert_int_equal(call_logs(&s, "hello", 5000, &rep), GRPC_CALL_OK);
    assert_true(rep.completed);
    assert_int_equal(rep.status, GRPC_STATUS_OK);
    assert_int_equal(GRPC_SLICE_LENGTH(rep.details), 0);
    assert_null(rep.status_bin);
    /* partial_success {rejected = 3, message = "bad"} */
    uint8_t want[64];
    size_t n = dp_wire_put_export_response(want, true, 3, "bad");
    size_t len = 0;
    uint8_t *body = dp_grpc_reply_take_body(&rep, &len);
    assert_int_equal(len, n);
    assert_memory_equal(body, want, n);
    assert_null(rep.body);
    free(body);
    dp_grpc_reply_fini(&rep);

    const struct dp_sink_req *q = dp_sink_get(&s, DP_SINK_LOGS, 0);
    assert_int_equal(q->len, 5);
    assert_memory_equal(q->body, "hello", 5);
    assert_string_equal(q->authorization, "Bearer t0k");
    dp_sink_stop(&s);
}

static void test_grpc_unary_failure_keeps_details_and_trailer(void **state)
{
    (void)state;
    struct dp_sink s;
    dp_grpc_reply rep;
    uint64_t delay = 0;

    dp_sink_start(&s, 1);
    dp_sink_script(
        &s, DP_SINK_LOGS,
        (struct dp_sink_reply){GRPC_STATUS_RESOURCE_EXHAUSTED, 1, 7, 0, 0});
    assert_int_equal(call_logs(&s, "x", 5000, &rep), GRPC_CALL_OK);
    assert_true(rep.completed);
    assert_int_equal(rep.status, GRPC_STATUS_RESOURCE_EXHAUSTED);
    char details[9];
    dp_grpc_reply_details(&rep, details, sizeof(details));
    assert_string_equal(details, "scripted"); /* cut to fit */
    char all[64];
    dp_grpc_reply_details(&rep, all, sizeof(all));
    assert_string_equal(all, "scripted failure");
    assert_non_null(rep.status_bin);
    assert_true(dp_wire_status_retry_delay(rep.status_bin, rep.status_bin_len,
                                           UINT64_MAX, &delay));
    assert_int_equal(delay, 7000000000ULL);
    dp_grpc_reply_fini(&rep);
    assert_null(rep.status_bin);
    dp_sink_stop(&s);
}

static void test_grpc_unary_unanswered_ends_at_deadline(void **state)
{
    (void)state;
    struct dp_sink s;
    dp_grpc_reply rep;

    dp_sink_start(&s, 1);
    s.never_answer = 1;
    assert_int_equal(call_logs(&s, "x", 200, &rep), GRPC_CALL_OK);
    assert_true(rep.completed); /* core ends it at the deadline itself */
    assert_int_equal(rep.status, GRPC_STATUS_DEADLINE_EXCEEDED);
    assert_null(rep.body);
    dp_grpc_reply_fini(&rep);
    dp_sink_stop(&s);
}

static void test_grpc_unary_without_call_starts_nothing(void **state)
{
    (void)state;
    dp_grpc_reply rep;

    grpc_init();
    grpc_completion_queue *cq = grpc_completion_queue_create_for_next(NULL);
    assert_int_equal(dp_grpc_unary(NULL, cq,
                                   gpr_inf_future(GPR_CLOCK_MONOTONIC), NULL, 0,
                                   NULL, &rep),
                     GRPC_CALL_ERROR);
    assert_false(rep.completed);
    assert_null(rep.body);
    assert_null(rep.status_bin);
    assert_int_equal(GRPC_SLICE_LENGTH(rep.details), 0);
    dp_grpc_reply_fini(&rep);
    grpc_completion_queue_shutdown(cq);
    grpc_completion_queue_destroy(cq);
    grpc_shutdown();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_grpc_unary_ok_sends_headers_and_message),
        cmocka_unit_test(test_grpc_unary_failure_keeps_details_and_trailer),
        cmocka_unit_test(test_grpc_unary_unanswered_ends_at_deadline),
        cmocka_unit_test(test_grpc_unary_without_call_starts_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
