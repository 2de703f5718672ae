/*
 * otlp_logs.c - a dp_record as an OTLP ExportLogsServiceRequest, for the
 * `otlp` exporter (otlp_push.c sends it to LogsService/Export).
 *
 * One request carries one LogRecord under Resource {service.name=dagprof,
 * service.version} and scope "dagprof". A profile is the event
 * "dag.profile" at severity INFO; an alert is "dag.alert" at INFO, WARN or
 * ERROR for info, warning and critical. The body is the record's JSON as a
 * string; trace_id / span_id are the run's trace and root span, so a log
 * backend links the log to the trace. The event name is written both to
 * LogRecord.event_name (field 12, newer collectors) and to the attribute
 * event.name (older ones). Every field is listed in otlp_push.h.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "opentelemetry/proto/collector/logs/v1/logs_service.pb-c.h"
#include "otlp_push_internal.h"

typedef Opentelemetry__Proto__Common__V1__KeyValue pb_kv;
typedef Opentelemetry__Proto__Common__V1__AnyValue pb_any;

#define MAX_LOG_ATTRS 5

struct log_parts {
    Opentelemetry__Proto__Collector__Logs__V1__ExportLogsServiceRequest req;
    Opentelemetry__Proto__Logs__V1__ResourceLogs rl, *rlp;
    Opentelemetry__Proto__Resource__V1__Resource resource;
    pb_kv res_kv[2], *res_kvp[2];
    pb_any res_av[2];
    Opentelemetry__Proto__Logs__V1__ScopeLogs sl, *slp;
    Opentelemetry__Proto__Common__V1__InstrumentationScope scope;
    Opentelemetry__Proto__Logs__V1__LogRecord lr, *lrp;
    pb_any body;
    pb_kv kv[MAX_LOG_ATTRS], *kvp[MAX_LOG_ATTRS];
    pb_any av[MAX_LOG_ATTRS];
    size_t n_attrs;
};

static void str_kv(pb_kv *kv, pb_any *av, const char *key, const char *value)
{
    opentelemetry__proto__common__v1__key_value__init(kv);
    opentelemetry__proto__common__v1__any_value__init(av);
    kv->key = (char *)key;
    av->value_case =
        OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_STRING_VALUE;
    av->string_value = (char *)(value ? value : "");
    kv->value = av;
}

static void log_attr(struct log_parts *lp, const char *key, const char *value)
{
    size_t i = lp->n_attrs++;
    str_kv(&lp->kv[i], &lp->av[i], key, value);
    lp->kvp[i] = &lp->kv[i];
}

static bool all_zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return false;
    return true;
}

uint8_t *dp__otlp_log_pack(const dp_record *r, uint64_t observed_ns,
                           size_t *out_len)
{
    struct log_parts *lp = calloc(1, sizeof(*lp));
    char *body = malloc(r->json_len + 1); /* json[0..json_len) with a NUL */
    uint8_t *buf = NULL;
    if (!lp || !body)
        goto done;
    if (r->json_len)
        memcpy(body, r->json, r->json_len);
    body[r->json_len] = '\0';

    opentelemetry__proto__collector__logs__v1__export_logs_service_request__init(
        &lp->req);
    opentelemetry__proto__logs__v1__resource_logs__init(&lp->rl);
    opentelemetry__proto__resource__v1__resource__init(&lp->resource);
    opentelemetry__proto__logs__v1__scope_logs__init(&lp->sl);
    opentelemetry__proto__common__v1__instrumentation_scope__init(&lp->scope);
    opentelemetry__proto__logs__v1__log_record__init(&lp->lr);
    str_kv(&lp->res_kv[0], &lp->res_av[0], "service.name",
           DP__OTLP_SERVICE_NAME);
    str_kv(&lp->res_kv[1], &lp->res_av[1], "service.version", DP_VERSION);
    lp->res_kvp[0] = &lp->res_kv[0];
    lp->res_kvp[1] = &lp->res_kv[1];
    lp->resource.attributes = lp->res_kvp;
    lp->resource.n_attributes = 2;
    lp->scope.name = (char *)DP__OTLP_SCOPE_NAME;
    lp->scope.version = (char *)DP_VERSION;

    Opentelemetry__Proto__Logs__V1__LogRecord *lr = &lp->lr;
    opentelemetry__proto__common__v1__any_value__init(&lp->body);
    lp->body.value_case =
        OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_STRING_VALUE;
    lp->body.string_value = body;
    lr->body = &lp->body;
    lr->observed_time_unix_nano = observed_ns;

    const uint8_t *trace_id = r->trace_id, *span_id = r->root_span_id;
    if (r->kind == DP_RECORD_PROFILE) {
        /* The profile is the source; the record's copies stand in when a
         * record carries none. */
        const dp_profile *prof = r->profile;
        lr->event_name = (char *)"dag.profile";
        lr->time_unix_nano = prof ? prof->profiled_at_unix_ns : r->time_unix_ns;
        lr->severity_number =
            OPENTELEMETRY__PROTO__LOGS__V1__SEVERITY_NUMBER__SEVERITY_NUMBER_INFO;
        lr->severity_text = (char *)"INFO";
        log_attr(lp, "event.name", "dag.profile");
        log_attr(lp, "dag.id", prof ? prof->dag_id : r->dag_id);
        if (prof) {
            log_attr(lp, "dag.profile.id", prof->profile_id);
            trace_id = prof->trace_id;
            span_id = prof->has_root ? prof->root_span_id : NULL;
        }
    } else {
        lr->event_name = (char *)"dag.alert";
        lr->time_unix_nano = r->time_unix_ns;
        switch (r->severity) {
        case DP_ALERT_CRITICAL:
            lr->severity_number =
                OPENTELEMETRY__PROTO__LOGS__V1__SEVERITY_NUMBER__SEVERITY_NUMBER_ERROR;
            lr->severity_text = (char *)"ERROR";
            break;
        case DP_ALERT_WARNING:
            lr->severity_number =
                OPENTELEMETRY__PROTO__LOGS__V1__SEVERITY_NUMBER__SEVERITY_NUMBER_WARN;
            lr->severity_text = (char *)"WARN";
            break;
        default:
            lr->severity_number =
                OPENTELEMETRY__PROTO__LOGS__V1__SEVERITY_NUMBER__SEVERITY_NUMBER_INFO;
            lr->severity_text = (char *)"INFO";
            break;
        }
        log_attr(lp, "event.name", "dag.alert");
        log_attr(lp, "dag.alert.rule", r->rule);
        log_attr(lp, "dag.alert.severity",
                 r->severity == DP_ALERT_CRITICAL  ? "critical"
                 : r->severity == DP_ALERT_WARNING ? "warning"
                                                   : "info");
        log_attr(lp, "dag.id", r->dag_id);
        if (!all_zero(r->trace_id, 16))
            log_attr(lp, "dag.trace_id", r->trace_id_hex);
    }
    if (!all_zero(trace_id, 16)) {
        lr->trace_id.data = (uint8_t *)trace_id;
        lr->trace_id.len = 16;
        if (span_id && !all_zero(span_id, 8)) {
            lr->span_id.data = (uint8_t *)span_id;
            lr->span_id.len = 8;
        }
    }
    lr->attributes = lp->kvp;
    lr->n_attributes = lp->n_attrs;

    lp->lrp = lr;
    lp->sl.log_records = &lp->lrp;
    lp->sl.n_log_records = 1;
    lp->sl.scope = &lp->scope;
    lp->slp = &lp->sl;
    lp->rl.resource = &lp->resource;
    lp->rl.scope_logs = &lp->slp;
    lp->rl.n_scope_logs = 1;
    lp->rlp = &lp->rl;
    lp->req.resource_logs = &lp->rlp;
    lp->req.n_resource_logs = 1;

    size_t len =
        opentelemetry__proto__collector__logs__v1__export_logs_service_request__get_packed_size(
            &lp->req);
    buf = malloc(len ? len : 1);
    if (buf) {
        opentelemetry__proto__collector__logs__v1__export_logs_service_request__pack(
            &lp->req, buf);
        *out_len = len;
    }
done:
    free(body);
    free(lp);
    return buf;
}
