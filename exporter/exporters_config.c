/*
 * exporters_config.c - the `exporters:` and `alerts:` sections once read:
 * each alert rule checked as it is read, and the exporter pipeline built
 * from the sections (see exporters_config.h for the shape). The keys
 * themselves are rows of the configuration table (src/config_keys.c) and
 * its loader reads them; what is here is what the table cannot say.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exporters_config.h"

#if defined(__has_include)
#if __has_include("otlp_push.h")
#include "log.h"
#include "otel_env.h"
#include "otlp_push.h"
#define DP_HAVE_OTLP_PUSH 1
#endif
#endif

void dp_exporters_config_init(dp_exporters_config *c)
{
    memset(c, 0, sizeof(*c));
    /* The jitter is no key; the other policy fields are overwritten by the
     * table's defaults (a unit test holds them equal). */
    dp_exporter_policy_init(&c->jsonl.policy);
    dp_exporter_policy_init(&c->otlp.policy);
    dp_exporter_policy_init(&c->prometheus.policy);
    dp_exporter_policy_init(&c->webhook.policy);
}

void dp_exporters_config_fini(dp_exporters_config *c)
{
    dp_alerts_destroy(c->alerts);
    c->alerts = NULL;
}

int dp_exporters_config_add_rule(dp_exporters_config *c,
                                 const dp_alert_rule_item *it, char *err,
                                 size_t err_len)
{
    const char *name = it->name ? it->name : "";
    if (it->window && (!it->window_matches || !it->window_of)) {
        snprintf(err, err_len, "alert '%s': window needs both matches and of",
                 name);
        return DP_EINVAL;
    }
    if (!c->alerts && !(c->alerts = dp_alerts_create()))
        return DP_ENOMEM;
    dp_alert_rule_config rc = {.name = it->name,
                               .dag = it->dag,
                               .condition = it->condition,
                               .severity = it->severity,
                               .window_matches = it->window_matches,
                               .window_of = it->window_of,
                               .min_change = it->min_change,
                               .p_value = it->p_value,
                               .min_runs = it->min_runs};
    return dp_alerts_add(c->alerts, &rc, err, err_len);
}

/* A string key left empty counts as unset. */
static const char *named(const char *s)
{
    return s && s[0] ? s : NULL;
}

#ifdef DP_HAVE_OTLP_PUSH
static uint64_t otlp_retry_after(void *ctx)
{
    return dp_otlp_push_retry_after(ctx);
}

static const dp_exporter_ops otlp_ops = {.name = "otlp",
                                         .export = dp_otlp_push_export,
                                         .flush = dp_otlp_push_flush,
                                         .destroy = dp_otlp_push_destroy,
                                         .kinds = (1u << DP_RECORD_PROFILE) |
                                                  (1u << DP_RECORD_ALERT)};
#endif

dp_exporters *dp_exporters_config_build(const dp_exporters_config *c,
                                        const char *default_output,
                                        uint32_t default_output_mode,
                                        const dp_prometheus_config *pc,
                                        dp_prometheus **prom, char *err,
                                        size_t err_len)
{
    char msg[400] = "out of memory";
    const char *who = "exporters";
    dp_exporters *e = dp_exporters_create();
    if (prom)
        *prom = NULL;
    if (!e) {
        snprintf(err, err_len, "out of memory");
        return NULL;
    }
    if (!c->present) {
        dp_jsonl_config jc = {.path = default_output,
                              .mode = default_output_mode};
        void *j = dp_jsonl_create(&jc, msg, sizeof(msg));
        who = "output";
        if (!j || dp_exporters_add(e, &dp_jsonl_ops, j, &c->jsonl.policy, NULL))
            goto fail;
        return e;
    }
    if (c->jsonl.on) {
        dp_jsonl_config jc = {.path =
                                  named(c->jsonl.path) ? c->jsonl.path : "-",
                              .max_size = c->jsonl.max_size,
                              .max_files = c->jsonl.max_files,
                              .mode = c->jsonl.mode};
        who = "exporters.jsonl";
        void *j = dp_jsonl_create(&jc, msg, sizeof(msg));
        if (!j || dp_exporters_add(e,
                                   c->jsonl.alerts ? &dp_jsonl_ops
                                                   : &dp_jsonl_profile_ops,
                                   j, &c->jsonl.policy, NULL))
            goto fail;
    }
    if (c->otlp.on) {
        who = "exporters.otlp";
        /* The SDKs' standard variables stand in for keys left unset. */
        const char *endpoint = named(c->otlp.endpoint)
                                   ? c->otlp.endpoint
                                   : getenv(DP_OTEL_ENDPOINT_ENV);
        const char *ca = named(c->otlp.ca_file)
                             ? c->otlp.ca_file
                             : getenv(DP_OTEL_CERTIFICATE_ENV);
        if (!endpoint || !endpoint[0]) {
            snprintf(msg, sizeof(msg),
                     "endpoint is required (or " DP_OTEL_ENDPOINT_ENV ")");
            goto fail;
        }
#ifdef DP_HAVE_OTLP_PUSH
        char **env_names = NULL, **env_values = NULL;
        size_t n_env = 0;
        const char *env_headers = getenv(DP_OTEL_HEADERS_ENV);
        if (c->otlp.headers.n == 0 && env_headers &&
            dp_otel_headers_parse(env_headers, &env_names, &env_values, &n_env,
                                  msg, sizeof(msg)))
            goto fail;
        bool own = c->otlp.headers.n > 0;
        dp_otlp_push_config oc = {
            .endpoint = endpoint,
            .gzip = c->otlp.compression == DP_COMPRESSION_GZIP,
            .timeout_ns = c->otlp.timeout_ns,
            .header_names =
                (const char **)(own ? c->otlp.headers.names : env_names),
            .header_values =
                (const char **)(own ? c->otlp.headers.values : env_values),
            .n_headers = own ? c->otlp.headers.n : n_env,
            .ca_file = ca,
            .cert_file = named(c->otlp.cert_file),
            .key_file = named(c->otlp.key_file)};
        dp_otlp_push *o = dp_otlp_push_create(&oc, msg, sizeof(msg));
        dp_otel_headers_free(env_names, env_values, n_env); /* copied */
        if (!o || dp_exporters_add(e, &otlp_ops, o, &c->otlp.policy,
                                   otlp_retry_after))
            goto fail;
#else
        snprintf(msg, sizeof(msg),
                 "the OTLP push exporter is not available "
                 "yet in this build");
        goto fail;
#endif
    }
    if (c->prometheus.on) {
        who = "exporters.prometheus";
        dp_prometheus_config p = pc ? *pc : (dp_prometheus_config){0};
        p.max_series = (size_t)c->prometheus.max_series;
        dp_prometheus *pr = dp_prometheus_create(&p, msg, sizeof(msg));
        if (!pr || dp_exporters_add(e, &dp_prometheus_ops, pr,
                                    &c->prometheus.policy, NULL))
            goto fail;
        if (prom)
            *prom = pr;
    }
    if (c->webhook.on) {
        who = "exporters.webhook";
        dp_webhook_config wc = {
            .url = c->webhook.url,
            .timeout_ns = c->webhook.timeout_ns,
            .header_names = (const char **)c->webhook.headers.names,
            .header_values = (const char **)c->webhook.headers.values,
            .n_headers = c->webhook.headers.n};
        if (!named(wc.url)) {
            snprintf(msg, sizeof(msg), "url is required");
            goto fail;
        }
        void *w = dp_webhook_create(&wc, msg, sizeof(msg));
        if (!w || dp_exporters_add(e, &dp_webhook_ops, w, &c->webhook.policy,
                                   dp_webhook_retry_after))
            goto fail;
    }
    /* Profiles always have a destination: `output` becomes a JSON-lines
     * exporter when it names a file (beside the exporters: section, never
     * ignored), or when no configured exporter carries profiles (jsonl or
     * otlp) - then to stdout, and start-up says so. */
    bool output_named = default_output && strcmp(default_output, "-") != 0;
    bool output_is_jsonl = c->jsonl.on && named(c->jsonl.path) &&
                           default_output &&
                           strcmp(c->jsonl.path, default_output) == 0;
    if ((output_named && !output_is_jsonl) || (!c->jsonl.on && !c->otlp.on)) {
        dp_jsonl_config jc = {.path = default_output ? default_output : "-",
                              .mode = default_output_mode};
        void *j = dp_jsonl_create(&jc, msg, sizeof(msg));
        who = "output";
        if (!j || dp_exporters_add(e, &dp_jsonl_ops, j, &c->jsonl.policy, NULL))
            goto fail;
        if (!output_named)
            dp_log_info("serve", "no exporter in exporters: carries profiles "
                                 "(jsonl or otlp): profiles go to standard "
                                 "output (set output or add exporters.jsonl)");
    }
    if (dp_alerts_count(c->alerts) && !(c->jsonl.on && c->jsonl.alerts) &&
        !c->otlp.on && !c->webhook.on && !output_named)
        dp_log_warn("alerts",
                    "%zu rule(s) but no exporter takes alerts "
                    "(jsonl, otlp or webhook): alerts are only logged",
                    dp_alerts_count(c->alerts));
    return e;
fail:
    snprintf(err, err_len, "%s: %s", who, msg);
    dp_exporters_destroy(e);
    if (prom)
        *prom = NULL;
    return NULL;
}

void dp_exporters_names(dp_exporters *e, char *out, size_t len)
{
    if (len)
        out[0] = '\0';
    for (size_t i = 0, o = 0; i < dp_exporters_count(e); i++) {
        dp_exporter_stats es;
        dp_exporters_stats_get(e, i, &es);
        int w = snprintf(out + o, len - o, "%s%s", i ? "," : "", es.name);
        if (w < 0 || (size_t)w >= len - o)
            break;
        o += (size_t)w;
    }
}
