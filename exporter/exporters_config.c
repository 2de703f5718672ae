/*
 * exporters_config.c - reads the `exporters:` and `alerts:` YAML sections
 * into a dp_exporters_config and builds the exporter pipeline from it (see
 * exporters_config.h for the shape). config.c walks the file and hands
 * these two sections' nodes to the handlers registered here; every error
 * names file:line and the key (or, for alerts, the rule).
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "exporters_config.h"
#include "units.h"

#if defined(__has_include)
#if __has_include("otlp_push.h")
#include "log.h"
#include "otel_env.h"
#include "otlp_push.h"
#define DP_HAVE_OTLP_PUSH 1
#endif
#endif

static int section_error(char *err, size_t len, const char *file,
                         const yaml_node_t *n, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static int section_error(char *err, size_t len, const char *file,
                         const yaml_node_t *n, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    snprintf(err, len, "%s:%zu: %s", file, n ? n->start_mark.line + 1 : 0, msg);
    return DP_EINVAL;
}

static const char *scalar(const yaml_node_t *n)
{
    return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value
                                            : NULL;
}

/* A null or empty value ("prometheus:" or "prometheus: {}"). */
static bool is_empty(const yaml_node_t *n)
{
    const char *s = scalar(n);
    return s && (!s[0] || strcmp(s, "~") == 0 || strcmp(s, "null") == 0);
}

static bool parse_count(const char *s, uint64_t max, uint64_t *out)
{
    char *end;
    if (!isdigit((unsigned char)*s))
        return false;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v > max)
        return false;
    *out = v;
    return true;
}

static int set_str(char **dst, const char *v)
{
    char *c = strdup(v);
    if (!c)
        return DP_ENOMEM;
    free(*dst);
    *dst = c;
    return 0;
}

/* The queue and retry-policy keys every exporter takes. Returns 1 when key
 * is not one of them, 0 when set, or an error. */
static int policy_key(dp_exporter_policy *p, const char *key, const char *v,
                      const char *where, const char *file, const yaml_node_t *n,
                      char *err, size_t err_len)
{
    uint64_t u;
    if (strcmp(key, "queue_size") == 0) {
        if (!parse_count(v, 100000000, &u) || u < 1)
            return section_error(err, err_len, file, n,
                                 "%s.queue_size: invalid "
                                 "value '%s': expected a count >= 1",
                                 where, v);
        p->queue_size = (size_t)u;
    } else if (strcmp(key, "queue_bytes") == 0) {
        if (!dp_parse_size(v, &u))
            return section_error(err, err_len, file, n,
                                 "%s.queue_bytes: invalid value '%s': "
                                 "expected a size such as 64MiB (0: no "
                                 "byte limit)",
                                 where, v);
        p->queue_bytes = u;
    } else if (strcmp(key, "max_attempts") == 0) {
        if (!parse_count(v, 1000000, &u) || u < 1)
            return section_error(err, err_len, file, n,
                                 "%s.max_attempts: invalid "
                                 "value '%s': expected a count >= 1",
                                 where, v);
        p->max_attempts = (uint32_t)u;
    } else if (strcmp(key, "initial_backoff") == 0 ||
               strcmp(key, "max_backoff") == 0 ||
               strcmp(key, "max_elapsed") == 0) {
        if (!dp_parse_duration(v, &u))
            return section_error(err, err_len, file, n,
                                 "%s.%s: invalid value '%s': "
                                 "expected a duration such as 500ms, 2s, 1m",
                                 where, key, v);
        if (key[0] == 'i')
            p->initial_backoff_ns = u;
        else if (key[4] == 'b')
            p->max_backoff_ns = u;
        else
            p->max_elapsed_ns = u;
    } else if (strcmp(key, "on_full") == 0) {
        int mode = dp_on_full_parse(v);
        if (mode < 0)
            return section_error(err, err_len, file, n,
                                 "%s.on_full: invalid value '%s': expected "
                                 "block or drop",
                                 where, v);
        p->on_full = mode;
    } else {
        return 1;
    }
    return 0;
}

/* Reads `headers: { name: value, ... }` into two parallel arrays. */
static int read_headers(yaml_document_t *doc, yaml_node_t *m, const char *where,
                        const char *file, char ***names, char ***values,
                        size_t *n, char *err, size_t err_len)
{
    if (m->type != YAML_MAPPING_NODE)
        return section_error(err, err_len, file, m,
                             "%s.headers: expected a mapping "
                             "of header names to values",
                             where);
    for (yaml_node_pair_t *pr = m->data.mapping.pairs.start;
         pr < m->data.mapping.pairs.top; pr++) {
        const char *k = scalar(yaml_document_get_node(doc, pr->key));
        const char *v = scalar(yaml_document_get_node(doc, pr->value));
        if (!k || !v)
            return section_error(err, err_len, file, m,
                                 "%s.headers: names and values "
                                 "must be plain text",
                                 where);
        char **nn = realloc(*names, (*n + 1) * sizeof(*nn));
        if (nn)
            *names = nn;
        char **nv = realloc(*values, (*n + 1) * sizeof(*nv));
        if (nv)
            *values = nv;
        if (!nn || !nv)
            return DP_ENOMEM;
        (*names)[*n] = strdup(k);
        (*values)[*n] = strdup(v);
        (*n)++;
        if (!(*names)[*n - 1] || !(*values)[*n - 1])
            return DP_ENOMEM;
    }
    return 0;
}

static int unknown_key(const char *where, const char *key, const char *file,
                       const yaml_node_t *n, const char *known, char *err,
                       size_t err_len)
{
    return section_error(err, err_len, file, n,
                         "unknown configuration key '%s.%s' "
                         "(%s, queue_size, queue_bytes, on_full, max_attempts, "
                         "initial_backoff, "
                         "max_backoff, max_elapsed)",
                         where, key, known);
}

static int read_exporter(dp_exporters_config *c, yaml_document_t *doc,
                         const char *name, yaml_node_t *v, const char *file,
                         char *err, size_t err_len)
{
    char where[64];
    snprintf(where, sizeof(where), "exporters.%s", name);
    dp_exporter_policy *pol;
    const char *known;
    if (strcmp(name, "jsonl") == 0) {
        c->jsonl.on = true;
        pol = &c->jsonl.policy;
        known = "path, max_size, max_files, mode, alerts";
    } else if (strcmp(name, "otlp") == 0) {
        c->otlp.on = true;
        pol = &c->otlp.policy;
        known = "endpoint, compression, timeout, headers, ca_file, "
                "cert_file, key_file";
    } else if (strcmp(name, "prometheus") == 0) {
        c->prometheus.on = true;
        pol = &c->prometheus.policy;
        known = "max_series";
    } else if (strcmp(name, "webhook") == 0) {
        c->webhook.on = true;
        pol = &c->webhook.policy;
        known = "url, timeout, headers";
    } else {
        return section_error(err, err_len, file, v,
                             "unknown exporter '%s' (jsonl, "
                             "otlp, prometheus, webhook)",
                             name);
    }
    if (is_empty(v))
        return 0;
    if (v->type != YAML_MAPPING_NODE)
        return section_error(err, err_len, file, v,
                             "%s: expected a mapping of "
                             "settings (or {})",
                             where);
    for (yaml_node_pair_t *pr = v->data.mapping.pairs.start;
         pr < v->data.mapping.pairs.top; pr++) {
        yaml_node_t *kn = yaml_document_get_node(doc, pr->key);
        yaml_node_t *vn = yaml_document_get_node(doc, pr->value);
        const char *key = scalar(kn);
        if (!key)
            return section_error(err, err_len, file, kn,
                                 "%s: keys must be plain "
                                 "names",
                                 where);
        if (strcmp(key, "headers") == 0 &&
            (c->otlp.on && pol == &c->otlp.policy)) {
            int rc = read_headers(doc, vn, where, file, &c->otlp.header_names,
                                  &c->otlp.header_values, &c->otlp.n_headers,
                                  err, err_len);
            if (rc)
                return rc;
            continue;
        }
        if (strcmp(key, "headers") == 0 && pol == &c->webhook.policy) {
            int rc = read_headers(
                doc, vn, where, file, &c->webhook.header_names,
                &c->webhook.header_values, &c->webhook.n_headers, err, err_len);
            if (rc)
                return rc;
            continue;
        }
        const char *val = scalar(vn);
        if (!val)
            return section_error(err, err_len, file, vn,
                                 "%s.%s: expected a single "
                                 "value",
                                 where, key);
        int rc = policy_key(pol, key, val, where, file, vn, err, err_len);
        if (rc <= 0) {
            if (rc)
                return rc;
            continue;
        }
        uint64_t u = 0;
        bool bad = false, unknown = false;
        rc = 0;
        if (pol == &c->jsonl.policy) {
            if (strcmp(key, "path") == 0)
                rc = set_str(&c->jsonl.path, val);
            else if (strcmp(key, "max_size") == 0)
                bad = !dp_parse_size(val, &c->jsonl.max_size);
            else if (strcmp(key, "max_files") == 0) {
                bad = !parse_count(val, 1000, &u);
                c->jsonl.max_files = (uint32_t)u;
            } else if (strcmp(key, "mode") == 0) {
                bad = !dp_parse_mode(val, &c->jsonl.mode);
            } else if (strcmp(key, "alerts") == 0) {
                bad = strcmp(val, "true") != 0 && strcmp(val, "false") != 0;
                c->jsonl.alerts = strcmp(val, "true") == 0;
            } else
                unknown = true;
        } else if (pol == &c->otlp.policy) {
            if (strcmp(key, "endpoint") == 0)
                rc = set_str(&c->otlp.endpoint, val);
            else if (strcmp(key, "ca_file") == 0)
                rc = set_str(&c->otlp.ca_file, val);
            else if (strcmp(key, "cert_file") == 0)
                rc = set_str(&c->otlp.cert_file, val);
            else if (strcmp(key, "key_file") == 0)
                rc = set_str(&c->otlp.key_file, val);
            else if (strcmp(key, "compression") == 0) {
                bad = strcmp(val, "gzip") != 0 && strcmp(val, "none") != 0;
                c->otlp.gzip = strcmp(val, "gzip") == 0;
            } else if (strcmp(key, "timeout") == 0)
                bad = !dp_parse_duration(val, &c->otlp.timeout_ns);
            else
                unknown = true;
        } else if (pol == &c->prometheus.policy) {
            if (strcmp(key, "max_series") == 0)
                bad = !parse_count(val, 1000000, &c->prometheus.max_series) ||
                      c->prometheus.max_series < 1;
            else
                unknown = true;
        } else {
            if (strcmp(key, "url") == 0)
                rc = set_str(&c->webhook.url, val);
            else if (strcmp(key, "timeout") == 0)
                bad = !dp_parse_duration(val, &c->webhook.timeout_ns);
            else
                unknown = true;
        }
        if (rc)
            return rc;
        if (unknown)
            return unknown_key(where, key, file, kn, known, err, err_len);
        if (bad)
            return section_error(err, err_len, file, vn,
                                 "%s.%s: invalid value '%s'", where, key, val);
    }
    return 0;
}

int dp_exporters_config_section(void *user, yaml_document_t *doc,
                                yaml_node_t *node, const char *file, char *err,
                                size_t err_len)
{
    dp_exporters_config *c = user;
    c->present = true;
    if (is_empty(node))
        return 0;
    if (node->type != YAML_MAPPING_NODE)
        return section_error(
            err, err_len, file, node,
            "exporters: expected a mapping "
            "of exporter names (jsonl, otlp, prometheus, webhook)");
    for (yaml_node_pair_t *pr = node->data.mapping.pairs.start;
         pr < node->data.mapping.pairs.top; pr++) {
        yaml_node_t *kn = yaml_document_get_node(doc, pr->key);
        const char *name = scalar(kn);
        if (!name)
            return section_error(err, err_len, file, kn,
                                 "exporters: names must be "
                                 "plain text");
        int rc =
            read_exporter(c, doc, name, yaml_document_get_node(doc, pr->value),
                          file, err, err_len);
        if (rc)
            return rc;
    }
    return 0;
}

/* One `alerts:` item. */
static int read_rule(dp_exporters_config *c, yaml_document_t *doc,
                     yaml_node_t *item, size_t index, const char *file,
                     char *err, size_t err_len)
{
    dp_alert_rule_config rc = {.severity = DP_ALERT_WARNING};
    char label[96];
    if (item->type != YAML_MAPPING_NODE)
        return section_error(err, err_len, file, item,
                             "alerts[%zu]: expected a "
                             "mapping with name, condition, severity",
                             index);
    /* The name first, so every message can name the rule. */
    for (yaml_node_pair_t *pr = item->data.mapping.pairs.start;
         pr < item->data.mapping.pairs.top; pr++) {
        const char *k = scalar(yaml_document_get_node(doc, pr->key));
        if (k && strcmp(k, "name") == 0)
            rc.name = scalar(yaml_document_get_node(doc, pr->value));
    }
    if (rc.name)
        snprintf(label, sizeof(label), "alert '%s'", rc.name);
    else
        snprintf(label, sizeof(label), "alerts[%zu]", index);
    for (yaml_node_pair_t *pr = item->data.mapping.pairs.start;
         pr < item->data.mapping.pairs.top; pr++) {
        yaml_node_t *kn = yaml_document_get_node(doc, pr->key);
        yaml_node_t *vn = yaml_document_get_node(doc, pr->value);
        const char *k = scalar(kn), *v = scalar(vn);
        if (!k)
            return section_error(err, err_len, file, kn,
                                 "%s: keys must be plain "
                                 "names",
                                 label);
        if (strcmp(k, "window") == 0) {
            if (vn->type != YAML_MAPPING_NODE)
                return section_error(err, err_len, file, vn,
                                     "%s: window: expected "
                                     "{matches: N, of: M}",
                                     label);
            for (yaml_node_pair_t *w = vn->data.mapping.pairs.start;
                 w < vn->data.mapping.pairs.top; w++) {
                const char *wk = scalar(yaml_document_get_node(doc, w->key));
                const char *wv = scalar(yaml_document_get_node(doc, w->value));
                uint64_t u;
                if (!wk || !wv || !parse_count(wv, 64, &u) ||
                    (strcmp(wk, "matches") != 0 && strcmp(wk, "of") != 0))
                    return section_error(err, err_len, file, vn,
                                         "%s: window: "
                                         "expected {matches: N, of: M} with "
                                         "1 <= N <= M <= 64",
                                         label);
                if (wk[0] == 'm')
                    rc.window_matches = (uint32_t)u;
                else
                    rc.window_of = (uint32_t)u;
            }
            if (!rc.window_matches || !rc.window_of)
                return section_error(err, err_len, file, vn,
                                     "%s: window needs both "
                                     "matches and of",
                                     label);
            continue;
        }
        if (!v)
            return section_error(err, err_len, file, vn,
                                 "%s: %s: expected a single "
                                 "value",
                                 label, k);
        if (strcmp(k, "name") == 0)
            continue;
        if (strcmp(k, "dag") == 0) {
            rc.dag = v;
        } else if (strcmp(k, "condition") == 0) {
            rc.condition = v;
        } else if (strcmp(k, "min_change") == 0) {
            rc.min_change = v;
        } else if (strcmp(k, "p_value") == 0) {
            rc.p_value = v;
        } else if (strcmp(k, "min_runs") == 0) {
            rc.min_runs = v;
        } else if (strcmp(k, "severity") == 0) {
            rc.severity = dp_alert_severity_parse(v);
            if (rc.severity < 0)
                return section_error(err, err_len, file, vn,
                                     "%s: severity '%s': "
                                     "expected info, warning or critical",
                                     label, v);
        } else {
            return section_error(err, err_len, file, kn,
                                 "%s: unknown key '%s' (name, "
                                 "dag, condition, severity, window; "
                                 "min_change, p_value, min_runs with "
                                 "condition: regression)",
                                 label, k);
        }
    }
    char msg[512];
    int r = dp_alerts_add(c->alerts, &rc, msg, sizeof(msg));
    if (r)
        return section_error(err, err_len, file, item, "%s", msg);
    return 0;
}

int dp_alerts_config_section(void *user, yaml_document_t *doc,
                             yaml_node_t *node, const char *file, char *err,
                             size_t err_len)
{
    dp_exporters_config *c = user;
    if (!c->alerts && !(c->alerts = dp_alerts_create()))
        return DP_ENOMEM;
    if (is_empty(node))
        return 0;
    if (node->type != YAML_SEQUENCE_NODE)
        return section_error(
            err, err_len, file, node,
            "alerts: expected a list of "
            "rules (- name: ..., condition: ..., severity: ...)");
    size_t i = 0;
    for (yaml_node_item_t *it = node->data.sequence.items.start;
         it < node->data.sequence.items.top; it++, i++) {
        int rc = read_rule(c, doc, yaml_document_get_node(doc, *it), i, file,
                           err, err_len);
        if (rc)
            return rc;
    }
    return 0;
}

void dp_exporters_config_init(dp_exporters_config *c)
{
    memset(c, 0, sizeof(*c));
    dp_exporter_policy_init(&c->jsonl.policy);
    dp_exporter_policy_init(&c->otlp.policy);
    dp_exporter_policy_init(&c->prometheus.policy);
    dp_exporter_policy_init(&c->webhook.policy);
    /* A full queue: the file (the default profile destination) and the
     * in-memory Prometheus aggregates hold the submitter back rather than
     * lose a profile; network destinations drop their oldest record so a
     * dead one never stalls ingest. */
    c->jsonl.policy.on_full = DP_ON_FULL_BLOCK;
    c->prometheus.policy.on_full = DP_ON_FULL_BLOCK;
    c->jsonl.max_files = 5;
    c->jsonl.mode = 0600;
    c->jsonl.alerts = true;
    c->otlp.timeout_ns = 10ULL * 1000000000ULL;
    c->prometheus.max_series = 100;
    c->webhook.timeout_ns = 5ULL * 1000000000ULL;
}

static void free_headers(char **names, char **values, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(names[i]);
        free(values[i]);
    }
    free(names);
    free(values);
}

void dp_exporters_config_fini(dp_exporters_config *c)
{
    free(c->jsonl.path);
    free(c->otlp.endpoint);
    free(c->otlp.ca_file);
    free(c->otlp.cert_file);
    free(c->otlp.key_file);
    free_headers(c->otlp.header_names, c->otlp.header_values,
                 c->otlp.n_headers);
    free(c->webhook.url);
    free_headers(c->webhook.header_names, c->webhook.header_values,
                 c->webhook.n_headers);
    dp_alerts_destroy(c->alerts);
    memset(c, 0, sizeof(*c));
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
        dp_jsonl_config jc = {.path = c->jsonl.path ? c->jsonl.path : "-",
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
        const char *endpoint = c->otlp.endpoint && c->otlp.endpoint[0]
                                   ? c->otlp.endpoint
                                   : getenv("OTEL_EXPORTER_OTLP_ENDPOINT");
        const char *ca = c->otlp.ca_file && c->otlp.ca_file[0]
                             ? c->otlp.ca_file
                             : getenv("OTEL_EXPORTER_OTLP_CERTIFICATE");
        if (!endpoint || !endpoint[0]) {
            snprintf(msg, sizeof(msg),
                     "endpoint is required (or OTEL_EXPORTER_OTLP_ENDPOINT)");
            goto fail;
        }
#ifdef DP_HAVE_OTLP_PUSH
        char **env_names = NULL, **env_values = NULL;
        size_t n_env = 0;
        const char *env_headers = getenv("OTEL_EXPORTER_OTLP_HEADERS");
        if (c->otlp.n_headers == 0 && env_headers &&
            dp_otel_headers_parse(env_headers, &env_names, &env_values, &n_env,
                                  msg, sizeof(msg)))
            goto fail;
        bool own = c->otlp.n_headers > 0;
        dp_otlp_push_config oc = {
            .endpoint = endpoint,
            .gzip = c->otlp.gzip,
            .timeout_ns = c->otlp.timeout_ns,
            .header_names =
                (const char **)(own ? c->otlp.header_names : env_names),
            .header_values =
                (const char **)(own ? c->otlp.header_values : env_values),
            .n_headers = own ? c->otlp.n_headers : n_env,
            .ca_file = ca,
            .cert_file = c->otlp.cert_file,
            .key_file = c->otlp.key_file};
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
            .header_names = (const char **)c->webhook.header_names,
            .header_values = (const char **)c->webhook.header_values,
            .n_headers = c->webhook.n_headers};
        if (!wc.url) {
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
    bool output_is_jsonl = c->jsonl.on && c->jsonl.path && default_output &&
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
