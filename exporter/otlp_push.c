/*
 * otlp_push.c - the `otlp` exporter: records to an OpenTelemetry collector
 * over OTLP/gRPC, on the gRPC C core client API.
 *
 * Sits at the end of the flow: the exporter pipeline calls
 * dp_otlp_push_export() on the `otlp` exporter's own thread with each
 * record. The record becomes one LogRecord in an ExportLogsServiceRequest;
 * a profile also feeds the cumulative metric state (otlp_metrics.c), whose
 * unsent series go out in ExportMetricsServiceRequests. What is sent is
 * described in otlp_push.h.
 *
 * Transport: one insecure channel per exporter (own subchannel pool, so one
 * HTTP/2 connection of its own; gzip through the channel's default
 * compression; gRPC's own retries off, since retry policy lives in the
 * pipeline), methods registered once, and one completion queue that only
 * the exporter's thread waits on. A request is one unary call started as
 * one batch (send initial metadata with the configured headers, message,
 * close; receive initial metadata, message, status) and bounded by a
 * deadline of timeout_ns. The status maps onto OK / RETRY / ERROR by the
 * OTLP specification's table; a google.rpc.RetryInfo in the
 * grpc-status-details-bin trailer makes RESOURCE_EXHAUSTED retryable and
 * gives the delay reported by dp_otlp_push_retry_after().
 *
 * Retries of one record: the pipeline calls export() again with the same
 * record after RETRY. The exporter keeps a reference to a record it
 * answered RETRY (so no other record can take its address) and remembers
 * what of it is done: the log already accepted is not sent twice and the
 * profile's metrics enter the cumulative state exactly once. Any other
 * record releases it.
 */
#include "otlp_push.h"

#include <ctype.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <grpc/byte_buffer.h>
#include <grpc/byte_buffer_reader.h>
#include <grpc/compression.h>
#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/slice.h>
#include <grpc/support/time.h>

#include "dp_wire.h"
#include "grpc_unary.h"
#include "log.h"
#include "opentelemetry/proto/collector/logs/v1/logs_service.pb-c.h"
#include "opentelemetry/proto/collector/metrics/v1/metrics_service.pb-c.h"
#include "otlp_push_internal.h"

#define LOG_COMPONENT "exporter:otlp"
#define MAX_TIMEOUT_NS (24ULL * 3600 * 1000000000ULL)

struct dp_otlp_push {
    grpc_channel *channel;
    grpc_completion_queue *cq;
    void *logs_method;
    void *metrics_method;
    grpc_metadata *headers; /* keys and values owned (slices) */
    size_t n_headers;
    uint64_t timeout_ns;
    char target[256];
    dp__otlp_metrics *metrics;
    atomic_uint_least64_t retry_after_ns;
    bool grpc_initialized;

    /* The record last answered RETRY, referenced so that it stays alive
     * (and its address unique) until the pipeline moves past it; with what
     * of it was already done. */
    dp_record *held;
    bool held_metrics_added;
    bool held_log_done;
    bool held_log_failed; /* the log was refused for good */
};

/* The outcome of one unary call. */
struct call_result {
    grpc_status_code status;
    char details[256];
    bool has_retry_info;
    uint64_t retry_delay_ns;
    uint8_t *body; /* response message, malloc'd; NULL when none */
    size_t body_len;
};

static uint64_t realtime_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* ------------------------------------------------------------------------ */
/* Transport.                                                                */

/* Runs one unary call of method with the request body[0..len)
 * (dp_grpc_unary) and waits for its status, at most the deadline plus a
 * second. Takes ownership of
 * body (malloc'd; handed to gRPC without a copy). Fills *res (free
 * res->body). */
static void unary_call(dp_otlp_push *p, void *method, uint8_t *body, size_t len,
                       struct call_result *res)
{
    memset(res, 0, sizeof(*res));
    gpr_timespec deadline =
        gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC),
                     gpr_time_from_nanos((int64_t)p->timeout_ns, GPR_TIMESPAN));
    grpc_call *call = grpc_channel_create_registered_call(
        p->channel, NULL, GRPC_PROPAGATE_DEFAULTS, p->cq, method, deadline,
        NULL);
    grpc_slice body_slice = grpc_slice_new(body, len, free);
    grpc_byte_buffer *send = grpc_raw_byte_buffer_create(&body_slice, 1);
    grpc_slice_unref(body_slice);

    dp_grpc_reply rep;
    grpc_call_error e = dp_grpc_unary(call, p->cq, deadline, p->headers,
                                      p->n_headers, send, &rep);
    if (e != GRPC_CALL_OK) {
        res->status = GRPC_STATUS_INTERNAL;
        snprintf(res->details, sizeof(res->details),
                 "cannot start the call: %s", grpc_call_error_to_string(e));
    } else {
        res->status = rep.status;
        dp_grpc_reply_details(&rep, res->details, sizeof(res->details));
        if (rep.status_bin)
            res->has_retry_info = dp_wire_status_retry_delay(
                rep.status_bin, rep.status_bin_len, MAX_TIMEOUT_NS,
                &res->retry_delay_ns);
        res->body = dp_grpc_reply_take_body(&rep, &res->body_len);
    }
    dp_grpc_reply_fini(&rep);
    if (call)
        grpc_call_unref(call);
    grpc_byte_buffer_destroy(send);
}

/* Maps a call's status onto an exporter status, by the OTLP specification
 * (exporter.md, "Retryable response codes"), and keeps the RetryInfo delay
 * of a retryable failure. */
static int classify(dp_otlp_push *p, const char *what,
                    const struct call_result *res)
{
    bool retryable;
    switch (res->status) {
    case GRPC_STATUS_OK:
        return DP_EXPORTER_OK;
    case GRPC_STATUS_CANCELLED:
    case GRPC_STATUS_DEADLINE_EXCEEDED:
    case GRPC_STATUS_ABORTED:
    case GRPC_STATUS_OUT_OF_RANGE:
    case GRPC_STATUS_UNAVAILABLE:
    case GRPC_STATUS_DATA_LOSS:
        retryable = true;
        break;
    case GRPC_STATUS_RESOURCE_EXHAUSTED:
        /* Without RetryInfo the collector does not expect to recover. */
        retryable = res->has_retry_info;
        break;
    default:
        retryable = false;
        break;
    }
    if (!retryable) {
        dp_log_warn(LOG_COMPONENT, "%s to %s refused (status %d): %s", what,
                    p->target, (int)res->status, res->details);
        return DP_EXPORTER_ERROR;
    }
    if (res->has_retry_info)
        atomic_store(&p->retry_after_ns, res->retry_delay_ns);
    dp_log_debug(LOG_COMPONENT, "%s to %s: status %d, will retry: %s", what,
                 p->target, (int)res->status, res->details);
    return DP_EXPORTER_RETRY;
}

/* Logs a partial success in an OK reply (OTLP: never retried). */
static void check_partial_success(const dp_otlp_push *p, bool logs,
                                  const struct call_result *res)
{
    if (!res->body || res->body_len == 0)
        return;
    int64_t rejected = 0;
    char msg[256] = "";
    if (logs) {
        Opentelemetry__Proto__Collector__Logs__V1__ExportLogsServiceResponse *r =
            opentelemetry__proto__collector__logs__v1__export_logs_service_response__unpack(
                NULL, res->body_len, res->body);
        if (r && r->partial_success) {
            rejected = r->partial_success->rejected_log_records;
            snprintf(msg, sizeof(msg), "%s", r->partial_success->error_message);
        }
        if (r)
            opentelemetry__proto__collector__logs__v1__export_logs_service_response__free_unpacked(
                r, NULL);
    } else {
        Opentelemetry__Proto__Collector__Metrics__V1__ExportMetricsServiceResponse
            *r =
                opentelemetry__proto__collector__metrics__v1__export_metrics_service_response__unpack(
                    NULL, res->body_len, res->body);
        if (r && r->partial_success) {
            rejected = r->partial_success->rejected_data_points;
            snprintf(msg, sizeof(msg), "%s", r->partial_success->error_message);
        }
        if (r)
            opentelemetry__proto__collector__metrics__v1__export_metrics_service_response__free_unpacked(
                r, NULL);
    }
    if (rejected > 0 || msg[0])
        dp_log_warn(LOG_COMPONENT,
                    "%s accepted by %s with %lld %s rejected: %s",
                    logs ? "logs" : "metrics", p->target, (long long)rejected,
                    logs ? "log records" : "data points", msg);
}

/* ------------------------------------------------------------------------ */
/* Exporter.                                                                 */

static int send_log(dp_otlp_push *p, const dp_record *r)
{
    size_t len = 0;
    uint8_t *body = dp__otlp_log_pack(r, realtime_ns(), &len);
    if (!body) {
        dp_log_error(LOG_COMPONENT, "out of memory encoding a log record");
        return DP_EXPORTER_ERROR;
    }
    struct call_result res;
    unary_call(p, p->logs_method, body, len, &res);
    int st = classify(p, "logs", &res);
    if (st == DP_EXPORTER_OK)
        check_partial_success(p, true, &res);
    free(res.body);
    return st;
}

/* Sends every dirty metric series, DP_OTLP_PUSH_MAX_POINTS per request.
 * Stops at the first RETRY (the series stay dirty); series of a request
 * refused for good are dropped from the backlog. Returns OK, RETRY or
 * ERROR (some request refused for good). */
static int send_metrics(dp_otlp_push *p)
{
    int result = DP_EXPORTER_OK;
    /* Each round settles at least one series, so this ends. */
    while (dp__otlp_metrics_dirty(p->metrics) > 0) {
        uint8_t *body;
        size_t len;
        int n = dp__otlp_metrics_pack(p->metrics, DP_OTLP_PUSH_MAX_POINTS,
                                      realtime_ns(), &body, &len);
        if (n <= 0) {
            dp_log_error(LOG_COMPONENT, "out of memory encoding metrics");
            return DP_EXPORTER_ERROR;
        }
        struct call_result res;
        unary_call(p, p->metrics_method, body, len, &res);
        int st = classify(p, "metrics", &res);
        if (st == DP_EXPORTER_OK)
            check_partial_success(p, false, &res);
        free(res.body);
        dp__otlp_metrics_settle(p->metrics, st != DP_EXPORTER_RETRY);
        if (st == DP_EXPORTER_RETRY)
            return st;
        if (st == DP_EXPORTER_ERROR)
            result = st;
    }
    return result;
}

static void release_held(dp_otlp_push *p)
{
    if (p->held)
        dp_record_unref(p->held);
    p->held = NULL;
    p->held_metrics_added = false;
    p->held_log_done = false;
    p->held_log_failed = false;
}

/* Ends an export: a RETRY keeps a reference to r (see 'held'). */
static int finish(dp_otlp_push *p, const dp_record *r, int st)
{
    if (st == DP_EXPORTER_RETRY) {
        if (!p->held)
            p->held = dp_record_ref((dp_record *)r);
    } else {
        release_held(p);
    }
    return st;
}

int dp_otlp_push_export(void *ctx, const dp_record *r)
{
    dp_otlp_push *p = ctx;
    if (!p)
        return DP_EXPORTER_ERROR;
    atomic_store(&p->retry_after_ns, 0);
    if (p->held && p->held != r)
        release_held(p); /* the pipeline gave up on it */
    if (!r || (r->kind != DP_RECORD_PROFILE && r->kind != DP_RECORD_ALERT))
        return DP_EXPORTER_ERROR;
    bool profile = r->kind == DP_RECORD_PROFILE && r->profile;
    if (profile && !p->held_metrics_added) {
        if (dp__otlp_metrics_add(p->metrics, r->profile, realtime_ns()) != 0)
            dp_log_error(LOG_COMPONENT,
                         "out of memory: metrics of %s partly counted",
                         r->profile->trace_id_hex);
        p->held_metrics_added = true;
    }
    if (!p->held_log_done) {
        int st = send_log(p, r);
        if (st == DP_EXPORTER_RETRY)
            return finish(p, r, st);
        p->held_log_done = true;
        p->held_log_failed = st == DP_EXPORTER_ERROR;
    }
    int st = profile ? send_metrics(p) : DP_EXPORTER_OK;
    if (st != DP_EXPORTER_RETRY && p->held_log_failed)
        st = DP_EXPORTER_ERROR;
    return finish(p, r, st);
}

uint64_t dp_otlp_push_retry_after(dp_otlp_push *p)
{
    return p ? atomic_load(&p->retry_after_ns) : 0;
}

void dp_otlp_push_flush(void *ctx)
{
    dp_otlp_push *p = ctx;
    if (!p)
        return;
    size_t left = dp__otlp_metrics_dirty(p->metrics);
    if (left > 0 && send_metrics(p) == DP_EXPORTER_RETRY)
        dp_log_warn(LOG_COMPONENT,
                    "shutdown: %zu metric series not delivered to %s",
                    dp__otlp_metrics_dirty(p->metrics), p->target);
}

void dp_otlp_push_destroy(void *ctx)
{
    dp_otlp_push *p = ctx;
    if (!p)
        return;
    if (p->channel)
        grpc_channel_destroy(p->channel);
    if (p->cq) {
        grpc_completion_queue_shutdown(p->cq);
        while (grpc_completion_queue_next(
                   p->cq, gpr_inf_future(GPR_CLOCK_MONOTONIC), NULL)
                   .type != GRPC_QUEUE_SHUTDOWN)
            ;
        grpc_completion_queue_destroy(p->cq);
    }
    for (size_t i = 0; i < p->n_headers; i++) {
        grpc_slice_unref(p->headers[i].key);
        grpc_slice_unref(p->headers[i].value);
    }
    free(p->headers);
    release_held(p);
    dp__otlp_metrics_destroy(p->metrics);
    bool initialized = p->grpc_initialized;
    free(p);
    if (initialized)
        grpc_shutdown();
}

/* ------------------------------------------------------------------------ */
/* Creation.                                                                 */

static bool reserved_header(const char *key)
{
    return key[0] == ':' || strncmp(key, "grpc-", 5) == 0 ||
           strcmp(key, "content-type") == 0 || strcmp(key, "te") == 0 ||
           strcmp(key, "host") == 0;
}

/* Copies the configured headers into p as gRPC metadata, keys lowercased.
 * Returns 0, or -1 with a message in err. */
static int copy_headers(dp_otlp_push *p, const dp_otlp_push_config *cfg,
                        char *err, size_t err_len)
{
    if (cfg->n_headers == 0)
        return 0;
    if (!cfg->header_names || !cfg->header_values) {
        snprintf(err, err_len, "otlp exporter: headers without names/values");
        return -1;
    }
    p->headers = calloc(cfg->n_headers, sizeof(*p->headers));
    if (!p->headers) {
        snprintf(err, err_len, "otlp exporter: out of memory");
        return -1;
    }
    for (size_t i = 0; i < cfg->n_headers; i++) {
        const char *name = cfg->header_names[i];
        const char *value = cfg->header_values[i];
        if (!name || !name[0] || !value) {
            snprintf(err, err_len, "otlp exporter: header %zu has no %s", i,
                     !value ? "value" : "name");
            return -1;
        }
        char key[256];
        size_t n = strlen(name);
        if (n >= sizeof(key)) {
            snprintf(err, err_len, "otlp exporter: header name too long");
            return -1;
        }
        for (size_t k = 0; k <= n; k++)
            key[k] = (char)tolower((unsigned char)name[k]);
        grpc_slice ks = grpc_slice_from_copied_string(key);
        grpc_slice vs = grpc_slice_from_copied_string(value);
        bool bin = n > 4 && strcmp(key + n - 4, "-bin") == 0;
        const char *bad = NULL;
        if (!grpc_header_key_is_legal(ks) || reserved_header(key))
            bad = "name";
        else if (!bin && !grpc_header_nonbin_value_is_legal(vs))
            bad = "value";
        p->headers[p->n_headers].key = ks;
        p->headers[p->n_headers].value = vs;
        p->n_headers++;
        if (bad) {
            snprintf(err, err_len,
                     "otlp exporter: header '%s' has an illegal or reserved "
                     "%s",
                     name, bad);
            return -1;
        }
    }
    return 0;
}

/* Writes the gRPC target for endpoint into out; -1 with a message when it
 * is not host:port. */
static int parse_endpoint(const char *endpoint, char *out, size_t len,
                          char *err, size_t err_len)
{
    if (!endpoint || !endpoint[0]) {
        snprintf(err, err_len, "otlp exporter: no endpoint");
        return -1;
    }
    const char *hostport = strncmp(endpoint, "http://", 7) == 0 ? endpoint + 7
                           : strncmp(endpoint, "https://", 8) == 0
                               ? endpoint + 8
                               : endpoint;
    size_t n = strlen(hostport);
    while (n > 0 && hostport[n - 1] == '/')
        n--;
    size_t colon = n;
    while (colon > 0 && hostport[colon - 1] != ':')
        colon--;
    /* colon: index just past the last ':', 0 when there is none */
    bool port_ok = colon > 1 && colon < n;
    for (size_t i = colon; port_ok && i < n; i++)
        port_ok = isdigit((unsigned char)hostport[i]);
    if (!port_ok || n >= len) {
        snprintf(err, err_len, "otlp exporter: endpoint '%s' is not host:port",
                 endpoint);
        return -1;
    }
    memcpy(out, hostport, n);
    out[n] = '\0';
    return 0;
}

dp_otlp_push *dp_otlp_push_create(const dp_otlp_push_config *cfg, char *err,
                                  size_t err_len)
{
    char scratch[8];
    if (!err || !err_len) {
        err = scratch;
        err_len = sizeof(scratch);
    }
    err[0] = '\0';
    if (!cfg) {
        snprintf(err, err_len, "otlp exporter: no configuration");
        return NULL;
    }
    dp_otlp_push *p = calloc(1, sizeof(*p));
    if (!p) {
        snprintf(err, err_len, "otlp exporter: out of memory");
        return NULL;
    }
    atomic_init(&p->retry_after_ns, 0);
    p->timeout_ns =
        cfg->timeout_ns ? cfg->timeout_ns : DP_OTLP_PUSH_DEFAULT_TIMEOUT_NS;
    if (p->timeout_ns > MAX_TIMEOUT_NS)
        p->timeout_ns = MAX_TIMEOUT_NS;
    if (parse_endpoint(cfg->endpoint, p->target, sizeof(p->target), err,
                       err_len) != 0 ||
        copy_headers(p, cfg, err, err_len) != 0)
        goto fail;
    p->metrics = dp__otlp_metrics_create(DP_OTLP_PUSH_MAX_SERIES);
    if (!p->metrics) {
        snprintf(err, err_len, "otlp exporter: out of memory");
        goto fail;
    }

    grpc_init();
    p->grpc_initialized = true;
    grpc_arg args[6];
    memset(args, 0, sizeof(args));
    size_t n = 0;
    args[n].type = GRPC_ARG_INTEGER; /* a connection of its own */
    args[n].key = (char *)GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL;
    args[n++].value.integer = 1;
    args[n].type = GRPC_ARG_INTEGER; /* the pipeline retries, not core */
    args[n].key = (char *)GRPC_ARG_ENABLE_RETRIES;
    args[n++].value.integer = 0;
    args[n].type = GRPC_ARG_INTEGER;
    args[n].key = (char *)GRPC_COMPRESSION_CHANNEL_DEFAULT_ALGORITHM;
    args[n++].value.integer =
        cfg->gzip ? GRPC_COMPRESS_GZIP : GRPC_COMPRESS_NONE;
    /* A collector that comes back is reconnected within 5 s, not the
     * default 120 s. */
    args[n].type = GRPC_ARG_INTEGER;
    args[n].key = (char *)GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS;
    args[n++].value.integer = 500;
    args[n].type = GRPC_ARG_INTEGER;
    args[n].key = (char *)GRPC_ARG_MAX_RECONNECT_BACKOFF_MS;
    args[n++].value.integer = 5000;
    args[n].type = GRPC_ARG_STRING;
    args[n].key = (char *)GRPC_ARG_PRIMARY_USER_AGENT_STRING;
    args[n++].value.string = (char *)"dagprof-otlp-exporter/" DP_VERSION;
    grpc_channel_args chargs = {n, args};
    grpc_channel_credentials *creds =
        dp__otlp_push_credentials(cfg, err, err_len);
    if (!creds)
        goto fail;
    p->channel = grpc_channel_create(p->target, creds, &chargs);
    grpc_channel_credentials_release(creds);
    p->cq = grpc_completion_queue_create_for_next(NULL);
    if (!p->channel || !p->cq) {
        snprintf(err, err_len, "otlp exporter: cannot create a channel to %s",
                 p->target);
        goto fail;
    }
    p->logs_method = grpc_channel_register_call(
        p->channel, DP_OTLP_PUSH_LOGS_METHOD, NULL, NULL);
    p->metrics_method = grpc_channel_register_call(
        p->channel, DP_OTLP_PUSH_METRICS_METHOD, NULL, NULL);
    if (!p->logs_method || !p->metrics_method) {
        snprintf(err, err_len, "otlp exporter: cannot register the methods");
        goto fail;
    }
    dp_log_info(LOG_COMPONENT, "OTLP/gRPC push to %s (%s, %s, timeout %llu ms)",
                p->target,
                dp__otlp_push_is_https(cfg->endpoint) ? "TLS" : "plaintext",
                cfg->gzip ? "gzip" : "uncompressed",
                (unsigned long long)(p->timeout_ns / 1000000ULL));
    return p;
fail:
    dp_log_error(LOG_COMPONENT, "%s", err);
    dp_otlp_push_destroy(p);
    return NULL;
}
