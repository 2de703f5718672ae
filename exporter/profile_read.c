/*
 * profile_read.c - one JSON profile line (what profile_json.c writes) back
 * into a dp_profile, so a profile that `serve` or `report --output json`
 * wrote can be rendered again (`dagprof report --output text` on a profile
 * file). Every member the writer emits is read; writing the result again
 * gives the same bytes (test_profile_read holds that), because times carry
 * microseconds, ratios 4 decimals and money 12, all of which survive the
 * round trip through the integer fields. Unknown members are ignored;
 * missing or mistyped required ones are an error naming the member.
 */
#include "profile_read.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "hex.h"

struct rd {
    dp_profile *p;
    char *err;
    size_t err_len;
    int failed;
};

static int fail(struct rd *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int fail(struct rd *r, const char *fmt, ...)
{
    if (!r->failed && r->err && r->err_len) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(r->err, r->err_len, fmt, ap);
        va_end(ap);
    }
    r->failed = 1;
    return DP_EPARSE;
}

static const char *str_of(struct rd *r, json_t *v, const char *what)
{
    if (json_is_null(v))
        return NULL;
    if (!json_is_string(v)) {
        fail(r, "%s: not a string", what);
        return NULL;
    }
    char *s =
        dp_profile_strndup(r->p, json_string_value(v), json_string_length(v));
    if (!s)
        fail(r, "out of memory");
    return s;
}

static double num_of(struct rd *r, json_t *v, const char *what)
{
    if (!json_is_number(v)) {
        fail(r, "%s: missing or not a number", what);
        return 0;
    }
    return json_number_value(v);
}

/* Milliseconds with 3 decimals to integer nanoseconds, saturating like
 * pusd_of: a time near the int64 limits (the writer prints INT64_MAX ns as
 * 9223372036854775.807) would overflow the product. */
static int64_t ns_of(struct rd *r, json_t *v, const char *what)
{
    double us = round(num_of(r, v, what) * 1000.0);
    if (!(fabs(us) < 9.2e15))
        return us < 0 ? INT64_MIN : INT64_MAX;
    return (int64_t)us * 1000;
}

/* Decimal USD to pico-USD. */
static int64_t pusd_of(struct rd *r, json_t *v, const char *what)
{
    double usd = num_of(r, v, what);
    if (!(fabs(usd) < 9.2e6))
        return usd < 0 ? INT64_MIN : INT64_MAX;
    return (int64_t)llround(usd * 1e12);
}

static int64_t int_of(struct rd *r, json_t *v, const char *what)
{
    if (!json_is_integer(v)) {
        fail(r, "%s: missing or not an integer", what);
        return 0;
    }
    return (int64_t)json_integer_value(v);
}

/* A name from a table of n names (index), or -1. */
static int name_index(const char *s, const char *(*name)(int), int n)
{
    for (int i = 0; s && i < n; i++)
        if (strcmp(name(i), s) == 0)
            return i;
    return -1;
}

static int enum_of(struct rd *r, json_t *v, const char *(*name)(int), int n,
                   const char *what)
{
    int i = name_index(json_string_value(v), name, n);
    if (i < 0)
        fail(r, "%s: unknown value", what);
    return i < 0 ? 0 : i;
}

static const char *sev_name(int i)
{
    return dp_severity_name(i);
}
static const char *status_name(int i)
{
    return dp_status_name(i);
}
static const char *source_name(int i)
{
    return dp_dep_source_name(i);
}
static const char *bn_name(int i)
{
    return dp_bottleneck_type_name(i);
}
static const char *opt_name(int i)
{
    return dp_optimization_type_name(i);
}
static const char *reason_name(int i)
{
    const char *s = dp_incomplete_reason_name(i);
    return s ? s : "";
}

/* Token counts: a null count is unknown (its known bit stays clear). */
static void tokens_of(struct rd *r, json_t *obj, dp_tokens *t)
{
    static const struct {
        const char *key;
        unsigned bit;
        size_t off;
    } f[] = {
        {"inputTokens", DP_TOK_INPUT, offsetof(dp_tokens, input)},
        {"outputTokens", DP_TOK_OUTPUT, offsetof(dp_tokens, output)},
        {"cacheReadTokens", DP_TOK_CACHE_READ, offsetof(dp_tokens, cache_read)},
        {"cacheWriteTokens", DP_TOK_CACHE_WRITE,
         offsetof(dp_tokens, cache_write)},
        {"reasoningTokens", DP_TOK_REASONING, offsetof(dp_tokens, reasoning)},
    };
    if (!json_is_object(obj)) {
        fail(r, "tokens: not an object");
        return;
    }
    for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
        json_t *v = json_object_get(obj, f[i].key);
        if (json_is_null(v))
            continue;
        *(int64_t *)((char *)t + f[i].off) = int_of(r, v, f[i].key);
        t->known |= f[i].bit;
    }
}

/* An object of name -> number (tokens, or USD when usd). */
static dp_named_i64 *named_of(struct rd *r, json_t *obj, bool usd,
                              size_t *n_out, const char *what)
{
    *n_out = 0;
    if (!json_is_object(obj)) {
        fail(r, "%s: not an object", what);
        return NULL;
    }
    size_t n = json_object_size(obj);
    dp_named_i64 *v = dp_profile_alloc(r->p, n * sizeof(*v));
    if (!v) {
        fail(r, "out of memory");
        return NULL;
    }
    const char *k;
    json_t *x;
    json_object_foreach(obj, k, x)
    {
        v[*n_out].name = dp_profile_strndup(r->p, k, strlen(k));
        v[*n_out].value = usd ? pusd_of(r, x, what) : int_of(r, x, what);
        (*n_out)++;
    }
    return v;
}

/* nodeId -> index, linear (profiles hold few nodes; O(n) per lookup). */
static long node_index(const dp_profile *p, const char *id)
{
    for (size_t i = 0; id && i < p->n_nodes; i++)
        if (strcmp(p->nodes[i].id, id) == 0)
            return (long)i;
    return -1;
}

static size_t *ids_of(struct rd *r, json_t *arr, size_t *n_out,
                      const char *what)
{
    *n_out = 0;
    if (!json_is_array(arr)) {
        fail(r, "%s: not an array", what);
        return NULL;
    }
    size_t n = json_array_size(arr);
    size_t *v = dp_profile_alloc(r->p, n * sizeof(*v));
    if (!v) {
        fail(r, "out of memory");
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        long k = node_index(r->p, json_string_value(json_array_get(arr, i)));
        if (k < 0) {
            fail(r, "%s: names an unknown node", what);
            return NULL;
        }
        v[(*n_out)++] = (size_t)k;
    }
    return v;
}

/* First pass over nodeMetrics: ids, so references can be resolved. */
static void node_ids(struct rd *r, json_t *nodes)
{
    dp_profile *p = r->p;
    p->n_nodes = json_array_size(nodes);
    p->nodes = dp_profile_alloc(p, p->n_nodes * sizeof(dp_node));
    if (!p->nodes) {
        fail(r, "out of memory");
        return;
    }
    for (size_t i = 0; i < p->n_nodes; i++) {
        json_t *n = json_array_get(nodes, i);
        p->nodes[i].id = str_of(r, json_object_get(n, "nodeId"), "nodeId");
        if (!p->nodes[i].id)
            fail(r, "nodeMetrics[%zu].nodeId: missing", i);
    }
}

static void node_of(struct rd *r, json_t *n, dp_node *o)
{
    dp_profile *p = r->p;
    o->start_ns = ns_of(r, json_object_get(n, "start"), "start");
    o->end_ns = ns_of(r, json_object_get(n, "end"), "end");
    o->duration_ns = ns_of(r, json_object_get(n, "duration"), "duration");
    o->wait_ns = ns_of(r, json_object_get(n, "waitTime"), "waitTime");
    o->dependency_wait_ns =
        ns_of(r, json_object_get(n, "dependencyWait"), "dependencyWait");
    o->queue_delay_ns =
        ns_of(r, json_object_get(n, "queueDelay"), "queueDelay");
    o->ready_ns = o->dependency_wait_ns;
    o->execution_ns =
        ns_of(r, json_object_get(n, "executionTime"), "executionTime");
    o->self_ns = ns_of(r, json_object_get(n, "selfTime"), "selfTime");
    o->llm_ns = ns_of(r, json_object_get(n, "llmTime"), "llmTime");
    o->tool_ns = ns_of(r, json_object_get(n, "toolTime"), "toolTime");
    o->attempts =
        (uint32_t)int_of(r, json_object_get(n, "attempts"), "attempts");
    o->retries = (uint32_t)int_of(r, json_object_get(n, "retries"), "retries");
    o->status =
        enum_of(r, json_object_get(n, "status"), status_name, 3, "status");
    o->deps =
        ids_of(r, json_object_get(n, "dependsOn"), &o->n_deps, "dependsOn");
    o->ready_deps = o->deps;
    o->n_ready_deps = o->n_deps;
    json_t *kind = json_object_get(n, "kind");
    o->kind =
        kind && strcmp(json_string_value(kind) ? json_string_value(kind) : "",
                       "group") == 0
            ? DP_NODE_GROUP
            : DP_NODE_LEAF;
    const char *parent = json_string_value(json_object_get(n, "parent"));
    o->parent = parent ? node_index(p, parent) : -1;
    json_t *children = json_object_get(n, "children");
    if (children)
        o->children = ids_of(r, children, &o->n_children, "children");
    o->dep_source = enum_of(r, json_object_get(n, "dependencySource"),
                            source_name, 4, "dependencySource");
    json_t *models = json_object_get(n, "models");
    o->n_models = json_array_size(models);
    o->models = dp_profile_alloc(p, o->n_models * sizeof(char *));
    for (size_t i = 0; o->models && i < o->n_models; i++)
        o->models[i] = str_of(r, json_array_get(models, i), "models");
    json_t *tok = json_object_get(n, "tokens");
    tokens_of(r, tok, &o->tokens);
    o->tokens_by_model = named_of(r, json_object_get(tok, "byModel"), false,
                                  &o->n_tokens_by_model, "tokens.byModel");
    o->cost_pusd = pusd_of(r, json_object_get(n, "cost"), "cost");
    o->on_critical_path = false;
}

/* toolCalls become calls of their node (start at the node's start). */
static void tool_calls(struct rd *r, json_t *nodes)
{
    dp_profile *p = r->p;
    size_t total = 0;
    for (size_t i = 0; i < p->n_nodes; i++)
        total += json_array_size(
            json_object_get(json_array_get(nodes, i), "toolCalls"));
    p->calls = dp_profile_alloc(p, total * sizeof(dp_call));
    if (!p->calls) {
        fail(r, "out of memory");
        return;
    }
    for (size_t i = 0; i < p->n_nodes; i++) {
        json_t *tc = json_object_get(json_array_get(nodes, i), "toolCalls");
        dp_node *o = &p->nodes[i];
        o->calls = dp_profile_alloc(p, json_array_size(tc) * sizeof(size_t));
        for (size_t k = 0; o->calls && k < json_array_size(tc); k++) {
            json_t *c = json_array_get(tc, k);
            dp_call *call = &p->calls[p->n_calls];
            call->kind = DP_CALL_TOOL;
            call->node = (long)i;
            call->name = str_of(r, json_object_get(c, "tool"), "tool");
            call->start_ns = o->start_ns;
            call->end_ns = o->start_ns +
                           ns_of(r, json_object_get(c, "duration"), "duration");
            call->success = json_is_true(json_object_get(c, "success"));
            o->calls[o->n_calls++] = p->n_calls++;
        }
    }
}

static void metrics_of(struct rd *r, json_t *m)
{
    dp_profile *p = r->p;
    if (!json_is_object(m)) {
        fail(r, "metrics: missing or not an object");
        return;
    }
    p->wall_ns = ns_of(r, json_object_get(m, "totalDuration"), "totalDuration");
    p->critical_path = ids_of(r, json_object_get(m, "criticalPath"),
                              &p->n_critical_path, "criticalPath");
    for (size_t i = 0; p->critical_path && i < p->n_critical_path; i++)
        p->nodes[p->critical_path[i]].on_critical_path = true;
    p->critical_path_ns = ns_of(r, json_object_get(m, "criticalPathDuration"),
                                "criticalPathDuration");
    p->sum_execution_ns =
        ns_of(r, json_object_get(m, "sumExecution"), "sumExecution");
    p->parallelization_efficiency =
        num_of(r, json_object_get(m, "parallelizationEfficiency"),
               "parallelizationEfficiency");
    p->dag_parallelism =
        num_of(r, json_object_get(m, "dagParallelism"), "dagParallelism");
    p->achieved_parallelism = num_of(
        r, json_object_get(m, "achievedParallelism"), "achievedParallelism");
    p->peak_concurrency = (uint32_t)int_of(
        r, json_object_get(m, "peakConcurrency"), "peakConcurrency");
    json_t *tt = json_object_get(m, "totalTokens");
    tokens_of(r, tt, &p->tokens);
    p->tokens_by_model = named_of(r, json_object_get(tt, "byModel"), false,
                                  &p->n_tokens_by_model, "totalTokens.byModel");
    json_t *tc = json_object_get(m, "totalCost");
    p->cost_pusd = pusd_of(r, json_object_get(tc, "totalCost"), "totalCost");
    p->cost_by_model = named_of(r, json_object_get(tc, "byModel"), true,
                                &p->n_cost_by_model, "totalCost.byModel");
    /* byNode: what each node's own calls used. */
    const char *k;
    json_t *v;
    json_object_foreach(json_object_get(tt, "byNode"), k, v)
    {
        long i = node_index(p, k);
        if (i >= 0)
            p->nodes[i].own_tokens = int_of(r, v, "totalTokens.byNode");
    }
    json_object_foreach(json_object_get(tc, "byNode"), k, v)
    {
        long i = node_index(p, k);
        if (i >= 0)
            p->nodes[i].own_cost_pusd = pusd_of(r, v, "totalCost.byNode");
    }
    json_t *un = json_object_get(m, "unpricedModels");
    p->n_unpriced_models = 0;
    p->unpriced_models =
        dp_profile_alloc(p, json_array_size(un) * sizeof(dp_named_i64));
    for (size_t i = 0; p->unpriced_models && i < json_array_size(un); i++) {
        json_t *u = json_array_get(un, i);
        p->unpriced_models[i].name =
            str_of(r, json_object_get(u, "model"), "unpricedModels.model");
        p->unpriced_models[i].value =
            int_of(r, json_object_get(u, "tokens"), "unpricedModels.tokens");
        p->n_unpriced_models++;
    }
}

static void findings_of(struct rd *r, json_t *root)
{
    dp_profile *p = r->p;
    json_t *bns =
        json_object_get(json_object_get(root, "analysis"), "bottlenecks");
    p->bottlenecks =
        dp_profile_alloc(p, json_array_size(bns) * sizeof(dp_bottleneck));
    for (size_t i = 0; p->bottlenecks && i < json_array_size(bns); i++) {
        json_t *b = json_array_get(bns, i);
        dp_bottleneck *o = &p->bottlenecks[p->n_bottlenecks++];
        o->type = enum_of(r, json_object_get(b, "type"), bn_name, DP_BN__COUNT,
                          "bottleneck type");
        long k = node_index(p, json_string_value(json_object_get(b, "nodeId")));
        o->node = k < 0 ? SIZE_MAX : (size_t)k;
        o->severity =
            enum_of(r, json_object_get(b, "severity"), sev_name, 3, "severity");
        o->impact = num_of(r, json_object_get(b, "impact"), "impact");
        o->details = str_of(r, json_object_get(b, "details"), "details");
        o->recommendation =
            str_of(r, json_object_get(b, "recommendation"), "recommendation");
    }
    json_t *recs = json_object_get(root, "recommendations");
    p->optimizations =
        dp_profile_alloc(p, json_array_size(recs) * sizeof(dp_optimization));
    for (size_t i = 0; p->optimizations && i < json_array_size(recs); i++) {
        json_t *o = json_array_get(recs, i);
        dp_optimization *x = &p->optimizations[p->n_optimizations++];
        x->type = enum_of(r, json_object_get(o, "type"), opt_name,
                          DP_OPT__COUNT, "recommendation type");
        x->priority =
            enum_of(r, json_object_get(o, "priority"), sev_name, 3, "priority");
        json_t *s = json_object_get(o, "estimatedSavings");
        x->saving_time_ns = ns_of(r, json_object_get(s, "time"), "time");
        x->saving_tokens = int_of(r, json_object_get(s, "tokens"), "tokens");
        x->saving_cost_pusd = pusd_of(r, json_object_get(s, "cost"), "cost");
        x->description =
            str_of(r, json_object_get(o, "description"), "description");
        x->implementation =
            str_of(r, json_object_get(o, "implementation"), "implementation");
    }
}

/* RFC 3339 UTC with milliseconds, as the writer prints it. */
static uint64_t time_of(struct rd *r, json_t *v)
{
    const char *s = json_string_value(v);
    struct tm tm;
    unsigned ms = 0;
    memset(&tm, 0, sizeof(tm));
    if (!s ||
        sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d.%3uZ", &tm.tm_year, &tm.tm_mon,
               &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms) != 7) {
        fail(r, "profiledAt: not an RFC 3339 time");
        return 0;
    }
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return (uint64_t)timegm(&tm) * 1000000000ULL + ms * 1000000ULL;
}

static void header_of(struct rd *r, json_t *root)
{
    dp_profile *p = r->p;
    const char *pid = json_string_value(json_object_get(root, "profileId"));
    const char *tid = json_string_value(json_object_get(root, "traceId"));
    if (!pid || strlen(pid) >= sizeof(p->profile_id) || !tid ||
        dp_hex_decode(tid, strlen(tid), p->trace_id, 16) != 0) {
        fail(r, "profileId or traceId: missing or malformed");
        return;
    }
    memcpy(p->profile_id, pid, strlen(pid) + 1);
    dp_hex_encode(p->trace_id, 16, p->trace_id_hex);
    p->dag_id = str_of(r, json_object_get(root, "dagId"), "dagId");
    p->profiled_at_unix_ns = time_of(r, json_object_get(root, "profiledAt"));
    const char *st =
        json_string_value(json_object_get(root, "startTimeUnixNano"));
    p->start_unix_ns = st ? strtoull(st, NULL, 10) : 0;
    p->complete = json_is_true(json_object_get(root, "complete"));
    json_t *reason = json_object_get(root, "incompleteReason");
    if (!json_is_null(reason))
        p->incomplete_reason =
            enum_of(r, reason, reason_name, 5, "incompleteReason");
    p->span_count =
        (uint64_t)int_of(r, json_object_get(root, "spanCount"), "spanCount");
    p->late_spans =
        (uint64_t)int_of(r, json_object_get(root, "lateSpans"), "lateSpans");
    p->service_name =
        str_of(r, json_object_get(root, "serviceName"), "serviceName");
    p->version = str_of(r, json_object_get(root, "version"), "version");
    p->session_id = str_of(r, json_object_get(root, "sessionId"), "sessionId");
    json_t *w = json_object_get(root, "warnings");
    p->warnings = dp_profile_alloc(p, json_array_size(w) * sizeof(char *));
    for (size_t i = 0; p->warnings && i < json_array_size(w); i++)
        p->warnings[p->n_warnings++] =
            str_of(r, json_array_get(w, i), "warnings");
}

dp_profile *dp_profile_json_read(const char *text, size_t len, char *err,
                                 size_t err_len)
{
    json_error_t je;
    struct rd r = {NULL, err, err_len, 0};
    json_t *root = json_loadb(text, len, 0, &je);
    if (!json_is_object(root)) {
        fail(&r, root ? "not a JSON object" : "%s", je.text);
        json_decref(root);
        return NULL;
    }
    r.p = dp_profile_new();
    if (!r.p) {
        json_decref(root);
        return NULL;
    }
    json_t *nodes = json_object_get(root, "nodeMetrics");
    if (!json_is_array(nodes))
        fail(&r, "nodeMetrics: missing or not an array");
    else
        node_ids(&r, nodes);
    header_of(&r, root);
    for (size_t i = 0; !r.failed && i < r.p->n_nodes; i++)
        node_of(&r, json_array_get(nodes, i), &r.p->nodes[i]);
    if (!r.failed)
        tool_calls(&r, nodes);
    if (!r.failed)
        metrics_of(&r, json_object_get(root, "metrics"));
    if (!r.failed)
        findings_of(&r, root);
    for (size_t i = 0; !r.failed && i < r.p->n_nodes; i++)
        r.p->n_leaves += r.p->nodes[i].kind == DP_NODE_LEAF;
    json_decref(root);
    if (r.failed) {
        dp_profile_free(r.p);
        return NULL;
    }
    return r.p;
}
