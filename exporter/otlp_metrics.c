/*
 * otlp_metrics.c - cumulative per-DAG metric state of the OTLP push exporter
 * and its encoding as an OTLP ExportMetricsServiceRequest.
 *
 * Sits between a finished profile and the collector: otlp_push.c adds each
 * profile here, then packs the series it touched (and any still unsent)
 * into one request. A series is one metric with one set of attributes; it
 * keeps its cumulative value (sum) or cumulative buckets (histogram) since
 * it was created, so every point sent has AGGREGATION_TEMPORALITY_CUMULATIVE
 * and start_time_unix_nano = the series' creation time. Series live in one
 * array in creation order, found through an open-addressing index keyed by
 * an FNV-1a hash of (metric, token type, dag id, second attribute).
 *
 * Bucket boundaries: durations in seconds use the GenAI semantic
 * conventions' boundaries (0.01 s doubling to 81.92 s); cost in USD uses a
 * 1-2.5-5 series from $0.001 to $50, which spans a single cheap call to a
 * long multi-agent run on the largest models. Histogram buckets are
 * (bounds[i-1], bounds[i]], as OTLP defines them.
 */
#include "grow.h"
#include "otlp_push_internal.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "opentelemetry/proto/collector/metrics/v1/metrics_service.pb-c.h"

enum metric_id {
    M_RUN_DURATION = 0,
    M_RUN_COST,
    M_TOKENS,
    M_NODE_DURATION,
    M_BOTTLENECKS,
    M__COUNT
};

enum token_type {
    T_NONE = -1,
    T_INPUT = 0,
    T_OUTPUT,
    T_CACHE_READ,
    T_CACHE_WRITE,
    T_REASONING,
    T__COUNT
};

static const char *const token_type_names[T__COUNT] = {
    "input", "output", "cache_read", "cache_write", "reasoning"};

#define MAX_BOUNDS 15

static const double duration_bounds[] = {0.01,  0.02,  0.04,  0.08, 0.16,
                                         0.32,  0.64,  1.28,  2.56, 5.12,
                                         10.24, 20.48, 40.96, 81.92};
static const double cost_bounds[] = {0.001, 0.0025, 0.005, 0.01, 0.025,
                                     0.05,  0.1,    0.25,  0.5,  1,
                                     2.5,   5,      10,    25,   50};

struct metric_def {
    const char *name;
    const char *description;
    const char *unit;
    const double *bounds; /* NULL: a monotonic sum */
    size_t n_bounds;
    const char *key2_name; /* attribute of series->key2, NULL: none */
};

static const struct metric_def metric_defs[M__COUNT] = {
    {"dag.run.duration", "Wall time of a DAG run (root span start to end)", "s",
     duration_bounds, sizeof(duration_bounds) / sizeof(double), NULL},
    {"dag.run.cost", "Cost of a DAG run from the pricing table", "USD",
     cost_bounds, sizeof(cost_bounds) / sizeof(double), NULL},
    {"dag.tokens",
     "Tokens used by the LLM calls of DAG runs, by model and token type "
     "(input includes cache_read and cache_write; output includes "
     "reasoning)",
     "{token}", NULL, 0, "gen_ai.response.model"},
    {"dag.node.duration",
     "Execution time of a DAG node (first attempt start to last attempt "
     "end)",
     "s", duration_bounds, sizeof(duration_bounds) / sizeof(double),
     "dag.node.id"},
    {"dag.bottlenecks", "Bottlenecks found in DAG runs, by type",
     "{bottleneck}", NULL, 0, "dag.bottleneck.type"},
};

struct series {
    int metric;     /* enum metric_id */
    int token_type; /* enum token_type; T_NONE unless M_TOKENS */
    char *dag;      /* NULL: the metric's overflow series */
    char *key2;     /* model, node id or bottleneck type; NULL: none */
    uint64_t hash;
    uint64_t start_ns;
    bool dirty;
    int64_t total; /* sums */
    /* histograms */
    uint64_t count;
    double sum, min, max;
    uint64_t buckets[MAX_BOUNDS + 1];
    bool has_exemplar, exemplar_has_span;
    uint8_t exemplar_trace[16], exemplar_span[8];
    double exemplar_value;
    uint64_t exemplar_time;
};

struct dp__otlp_metrics {
    struct series *series; /* creation order */
    size_t n, cap;
    size_t n_labelled; /* series that are not overflow series */
    size_t max_series;
    uint32_t *index;  /* series index + 1; 0 = empty slot */
    size_t index_cap; /* power of two, kept at least 2 * n */
    size_t n_dirty;
    uint32_t *inflight; /* indices of the last pack */
    size_t n_inflight, inflight_cap;
};

static uint64_t fnv1a(uint64_t h, const void *data, size_t len)
{
    const uint8_t *p = data;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 1099511628211ULL;
    }
    return h;
}

static uint64_t series_hash(int metric, int token_type, const char *dag,
                            const char *key2)
{
    uint8_t head[2] = {(uint8_t)metric, (uint8_t)(token_type + 1)};
    uint64_t h = fnv1a(14695981039346656037ULL, head, 2);
    /* A NUL after a present string and 0xff for an absent one keep
     * (NULL, "x") and ("", "x") apart. */
    static const uint8_t nul = 0, absent = 0xff;
    h = dag ? fnv1a(fnv1a(h, dag, strlen(dag)), &nul, 1) : fnv1a(h, &absent, 1);
    h = key2 ? fnv1a(fnv1a(h, key2, strlen(key2)), &nul, 1)
             : fnv1a(h, &absent, 1);
    return h;
}

static bool str_eq(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

dp__otlp_metrics *dp__otlp_metrics_create(size_t max_series)
{
    dp__otlp_metrics *m = calloc(1, sizeof(*m));
    if (!m)
        return NULL;
    m->max_series = max_series;
    m->index_cap = 64;
    m->index = calloc(m->index_cap, sizeof(*m->index));
    if (!m->index) {
        free(m);
        return NULL;
    }
    return m;
}

void dp__otlp_metrics_destroy(dp__otlp_metrics *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->n; i++) {
        free(m->series[i].dag);
        free(m->series[i].key2);
    }
    free(m->series);
    free(m->index);
    free(m->inflight);
    free(m);
}

size_t dp__otlp_metrics_dirty(const dp__otlp_metrics *m)
{
    return m ? m->n_dirty : 0;
}

/* Doubles the index and re-inserts every series. Returns 0 or DP_ENOMEM. */
static int grow_index(dp__otlp_metrics *m)
{
    size_t cap = m->index_cap * 2;
    uint32_t *idx = calloc(cap, sizeof(*idx));
    if (!idx)
        return DP_ENOMEM;
    for (size_t i = 0; i < m->n; i++) {
        size_t slot = (size_t)m->series[i].hash & (cap - 1);
        while (idx[slot])
            slot = (slot + 1) & (cap - 1);
        idx[slot] = (uint32_t)(i + 1);
    }
    free(m->index);
    m->index = idx;
    m->index_cap = cap;
    return 0;
}

/* Finds the series, or creates it (start time now_ns) when absent. Past
 * max_series a new labelled series is replaced by the metric's overflow
 * series. Returns NULL on ENOMEM. Pointers are valid until the next call
 * (the array may move). Amortized O(1). */
static struct series *lookup(dp__otlp_metrics *m, int metric, int token_type,
                             const char *dag, const char *key2, uint64_t now_ns)
{
    uint64_t h = series_hash(metric, token_type, dag, key2);
    size_t slot = (size_t)h & (m->index_cap - 1);
    while (m->index[slot]) {
        struct series *s = &m->series[m->index[slot] - 1];
        if (s->hash == h && s->metric == metric &&
            s->token_type == token_type && str_eq(s->dag, dag) &&
            str_eq(s->key2, key2))
            return s;
        slot = (slot + 1) & (m->index_cap - 1);
    }
    if (dag && m->n_labelled >= m->max_series)
        return lookup(m, metric, T_NONE, NULL, NULL, now_ns);
    if (m->n + 1 > UINT32_MAX - 1)
        return NULL;

    if (dp_grow(&m->series, m->n, &m->cap, sizeof(*m->series), 16))
        return NULL;
    struct series *s = &m->series[m->n];
    memset(s, 0, sizeof(*s));
    s->metric = metric;
    s->token_type = token_type;
    s->hash = h;
    s->start_ns = now_ns;
    if ((dag && !(s->dag = strdup(dag))) ||
        (key2 && !(s->key2 = strdup(key2)))) {
        free(s->dag);
        return NULL;
    }
    m->index[slot] = (uint32_t)(m->n + 1);
    m->n++;
    if (dag)
        m->n_labelled++;
    if (m->n * 2 > m->index_cap && grow_index(m) != 0) {
        /* The series is in and findable; the index is only fuller. */
    }
    return &m->series[m->n - 1];
}

static void mark_dirty(dp__otlp_metrics *m, struct series *s)
{
    if (!s->dirty) {
        s->dirty = true;
        m->n_dirty++;
    }
}

/* Adds v to a histogram series: bucket i holds bounds[i-1] < v <= bounds[i],
 * the last one v > every bound. */
static void observe(dp__otlp_metrics *m, struct series *s, double v)
{
    const struct metric_def *d = &metric_defs[s->metric];
    size_t i = 0;
    while (i < d->n_bounds && v > d->bounds[i])
        i++;
    s->buckets[i]++;
    if (s->count == 0 || v < s->min)
        s->min = v;
    if (s->count == 0 || v > s->max)
        s->max = v;
    s->count++;
    s->sum += v;
    mark_dirty(m, s);
}

static void set_exemplar(struct series *s, const dp_profile *p, double v,
                         uint64_t time_ns)
{
    static const uint8_t zero[16];
    if (memcmp(p->trace_id, zero, 16) == 0)
        return;
    s->has_exemplar = true;
    memcpy(s->exemplar_trace, p->trace_id, 16);
    s->exemplar_has_span = p->has_root && memcmp(p->root_span_id, zero, 8) != 0;
    memcpy(s->exemplar_span, p->root_span_id, 8);
    s->exemplar_value = v;
    s->exemplar_time = time_ns;
}

int dp__otlp_metrics_add(dp__otlp_metrics *m, const dp_profile *p,
                         uint64_t now_ns)
{
    if (!m || !p)
        return DP_EINVAL;
    const char *dag = p->dag_id && p->dag_id[0] ? p->dag_id : "unknown";
    uint64_t seen_ns = p->profiled_at_unix_ns ? p->profiled_at_unix_ns : now_ns;
    struct series *s;

    double wall_s = (double)(p->wall_ns > 0 ? p->wall_ns : 0) / 1e9;
    if (!(s = lookup(m, M_RUN_DURATION, T_NONE, dag, NULL, now_ns)))
        return DP_ENOMEM;
    observe(m, s, wall_s);
    set_exemplar(s, p, wall_s, seen_ns);

    double cost_usd = (double)(p->cost_pusd > 0 ? p->cost_pusd : 0) / 1e12;
    if (!(s = lookup(m, M_RUN_COST, T_NONE, dag, NULL, now_ns)))
        return DP_ENOMEM;
    observe(m, s, cost_usd);
    set_exemplar(s, p, cost_usd, seen_ns);

    for (size_t i = 0; i < p->n_calls; i++) {
        const dp_call *c = &p->calls[i];
        if (c->kind != DP_CALL_LLM || !c->has_tokens)
            continue;
        const char *model = c->name && c->name[0] ? c->name : NULL;
        const int64_t v[T__COUNT] = {
            c->tokens.input, c->tokens.output, c->tokens.cache_read,
            c->tokens.cache_write, c->tokens.reasoning};
        for (int t = 0; t < T__COUNT; t++) {
            if (v[t] <= 0)
                continue;
            if (!(s = lookup(m, M_TOKENS, t, dag, model, now_ns)))
                return DP_ENOMEM;
            s->total += v[t];
            mark_dirty(m, s);
        }
    }

    for (size_t i = 0; i < p->n_nodes; i++) {
        const dp_node *n = &p->nodes[i];
        const char *id = n->id && n->id[0] ? n->id : "unknown";
        if (!(s = lookup(m, M_NODE_DURATION, T_NONE, dag, id, now_ns)))
            return DP_ENOMEM;
        observe(m, s,
                (double)(n->execution_ns > 0 ? n->execution_ns : 0) / 1e9);
    }

    for (size_t i = 0; i < p->n_bottlenecks; i++) {
        const char *type = dp_bottleneck_type_name(p->bottlenecks[i].type);
        if (!(s = lookup(m, M_BOTTLENECKS, T_NONE, dag, type ? type : "unknown",
                         now_ns)))
            return DP_ENOMEM;
        s->total++;
        mark_dirty(m, s);
    }
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Encoding. Every protobuf-c struct of one request is carved from one       */
/* calloc; strings and bucket arrays point into the series and the static   */
/* tables (protobuf-c only reads them while packing).                       */

typedef Opentelemetry__Proto__Common__V1__KeyValue pb_kv;
typedef Opentelemetry__Proto__Common__V1__AnyValue pb_any;
typedef Opentelemetry__Proto__Metrics__V1__Metric pb_metric;
typedef Opentelemetry__Proto__Metrics__V1__Sum pb_sum;
typedef Opentelemetry__Proto__Metrics__V1__Histogram pb_hist;
typedef Opentelemetry__Proto__Metrics__V1__NumberDataPoint pb_num_point;
typedef Opentelemetry__Proto__Metrics__V1__HistogramDataPoint pb_hist_point;
typedef Opentelemetry__Proto__Metrics__V1__Exemplar pb_exemplar;

#define MAX_POINT_ATTRS 3

struct point {
    union {
        pb_num_point num;
        pb_hist_point hist;
    } u;
    pb_kv kv[MAX_POINT_ATTRS];
    pb_any av[MAX_POINT_ATTRS];
    pb_kv *kvp[MAX_POINT_ATTRS];
    pb_exemplar exemplar;
    pb_exemplar *exemplarp;
};

static void set_str_attr(struct point *pt, size_t *n, const char *key,
                         const char *value)
{
    pb_kv *kv = &pt->kv[*n];
    pb_any *av = &pt->av[*n];
    opentelemetry__proto__common__v1__key_value__init(kv);
    opentelemetry__proto__common__v1__any_value__init(av);
    kv->key = (char *)key;
    av->value_case =
        OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_STRING_VALUE;
    av->string_value = (char *)value;
    kv->value = av;
    pt->kvp[*n] = kv;
    (*n)++;
}

/* Fills pt's attributes for series s; returns how many. */
static size_t point_attrs(struct point *pt, const struct series *s)
{
    size_t n = 0;
    if (!s->dag) {
        pb_kv *kv = &pt->kv[0];
        pb_any *av = &pt->av[0];
        opentelemetry__proto__common__v1__key_value__init(kv);
        opentelemetry__proto__common__v1__any_value__init(av);
        kv->key = (char *)"otel.metric.overflow";
        av->value_case =
            OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_BOOL_VALUE;
        av->bool_value = 1;
        kv->value = av;
        pt->kvp[0] = kv;
        return 1;
    }
    set_str_attr(pt, &n, "dag.id", s->dag);
    const char *key2_name = metric_defs[s->metric].key2_name;
    if (key2_name && s->key2)
        set_str_attr(pt, &n, key2_name, s->key2);
    if (s->token_type != T_NONE)
        set_str_attr(pt, &n, "gen_ai.token.type",
                     token_type_names[s->token_type]);
    return n;
}

static void fill_hist_point(struct point *pt, const struct series *s,
                            uint64_t now_ns)
{
    const struct metric_def *d = &metric_defs[s->metric];
    pb_hist_point *hp = &pt->u.hist;
    opentelemetry__proto__metrics__v1__histogram_data_point__init(hp);
    hp->n_attributes = point_attrs(pt, s);
    hp->attributes = pt->kvp;
    hp->start_time_unix_nano = s->start_ns;
    hp->time_unix_nano = now_ns;
    hp->count = s->count;
    hp->opt_sum_case =
        OPENTELEMETRY__PROTO__METRICS__V1__HISTOGRAM_DATA_POINT__OPT_SUM_SUM;
    hp->sum = s->sum;
    if (s->count > 0) {
        hp->opt_min_case =
            OPENTELEMETRY__PROTO__METRICS__V1__HISTOGRAM_DATA_POINT__OPT_MIN_MIN;
        hp->min = s->min;
        hp->opt_max_case =
            OPENTELEMETRY__PROTO__METRICS__V1__HISTOGRAM_DATA_POINT__OPT_MAX_MAX;
        hp->max = s->max;
    }
    hp->n_bucket_counts = d->n_bounds + 1;
    hp->bucket_counts = (uint64_t *)s->buckets;
    hp->n_explicit_bounds = d->n_bounds;
    hp->explicit_bounds = (double *)d->bounds;
    if (s->has_exemplar) {
        pb_exemplar *ex = &pt->exemplar;
        opentelemetry__proto__metrics__v1__exemplar__init(ex);
        ex->time_unix_nano = s->exemplar_time;
        ex->value_case =
            OPENTELEMETRY__PROTO__METRICS__V1__EXEMPLAR__VALUE_AS_DOUBLE;
        ex->as_double = s->exemplar_value;
        ex->trace_id.data = (uint8_t *)s->exemplar_trace;
        ex->trace_id.len = 16;
        if (s->exemplar_has_span) {
            ex->span_id.data = (uint8_t *)s->exemplar_span;
            ex->span_id.len = 8;
        }
        pt->exemplarp = ex;
        hp->exemplars = &pt->exemplarp;
        hp->n_exemplars = 1;
    }
}

static void fill_num_point(struct point *pt, const struct series *s,
                           uint64_t now_ns)
{
    pb_num_point *np = &pt->u.num;
    opentelemetry__proto__metrics__v1__number_data_point__init(np);
    np->n_attributes = point_attrs(pt, s);
    np->attributes = pt->kvp;
    np->start_time_unix_nano = s->start_ns;
    np->time_unix_nano = now_ns;
    np->value_case =
        OPENTELEMETRY__PROTO__METRICS__V1__NUMBER_DATA_POINT__VALUE_AS_INT;
    np->as_int = s->total;
}

struct request_parts {
    Opentelemetry__Proto__Collector__Metrics__V1__ExportMetricsServiceRequest
        req;
    Opentelemetry__Proto__Metrics__V1__ResourceMetrics rm;
    Opentelemetry__Proto__Metrics__V1__ResourceMetrics *rmp;
    Opentelemetry__Proto__Resource__V1__Resource resource;
    pb_kv res_kv[2];
    pb_any res_av[2];
    pb_kv *res_kvp[2];
    Opentelemetry__Proto__Metrics__V1__ScopeMetrics sm;
    Opentelemetry__Proto__Metrics__V1__ScopeMetrics *smp;
    Opentelemetry__Proto__Common__V1__InstrumentationScope scope;
    pb_metric metric[M__COUNT];
    pb_metric *metricp[M__COUNT];
    pb_sum sum[M__COUNT];
    pb_hist hist[M__COUNT];
};

static void fill_envelope(struct request_parts *rp)
{
    opentelemetry__proto__collector__metrics__v1__export_metrics_service_request__init(
        &rp->req);
    opentelemetry__proto__metrics__v1__resource_metrics__init(&rp->rm);
    opentelemetry__proto__resource__v1__resource__init(&rp->resource);
    opentelemetry__proto__metrics__v1__scope_metrics__init(&rp->sm);
    opentelemetry__proto__common__v1__instrumentation_scope__init(&rp->scope);
    static const char *const keys[2] = {"service.name", "service.version"};
    static const char *const values[2] = {DP__OTLP_SERVICE_NAME, DP_VERSION};
    for (int i = 0; i < 2; i++) {
        opentelemetry__proto__common__v1__key_value__init(&rp->res_kv[i]);
        opentelemetry__proto__common__v1__any_value__init(&rp->res_av[i]);
        rp->res_kv[i].key = (char *)keys[i];
        rp->res_av[i].value_case =
            OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_STRING_VALUE;
        rp->res_av[i].string_value = (char *)values[i];
        rp->res_kv[i].value = &rp->res_av[i];
        rp->res_kvp[i] = &rp->res_kv[i];
    }
    rp->resource.attributes = rp->res_kvp;
    rp->resource.n_attributes = 2;
    rp->scope.name = (char *)DP__OTLP_SCOPE_NAME;
    rp->scope.version = (char *)DP_VERSION;
    rp->rm.resource = &rp->resource;
    rp->sm.scope = &rp->scope;
    rp->sm.metrics = rp->metricp;
    rp->smp = &rp->sm;
    rp->rm.scope_metrics = &rp->smp;
    rp->rm.n_scope_metrics = 1;
    rp->rmp = &rp->rm;
    rp->req.resource_metrics = &rp->rmp;
    rp->req.n_resource_metrics = 1;
}

int dp__otlp_metrics_pack(dp__otlp_metrics *m, size_t max_points,
                          uint64_t now_ns, uint8_t **out, size_t *out_len)
{
    *out = NULL;
    *out_len = 0;
    if (!m || m->n_dirty == 0 || max_points == 0)
        return 0;
    m->n_inflight = 0;
    size_t want = m->n_dirty < max_points ? m->n_dirty : max_points;
    if (want > m->inflight_cap) {
        uint32_t *grown = realloc(m->inflight, want * sizeof(*grown));
        if (!grown)
            return DP_ENOMEM;
        m->inflight = grown;
        m->inflight_cap = want;
    }
    /* Pick dirty series in creation order; count them per metric. */
    size_t per_metric[M__COUNT] = {0};
    for (size_t i = 0; i < m->n && m->n_inflight < want; i++) {
        if (m->series[i].dirty) {
            m->inflight[m->n_inflight++] = (uint32_t)i;
            per_metric[m->series[i].metric]++;
        }
    }

    struct request_parts *rp = calloc(1, sizeof(*rp));
    struct point *pts = calloc(m->n_inflight, sizeof(*pts));
    void **ptrs = calloc(m->n_inflight, sizeof(*ptrs));
    int rc = DP_ENOMEM;
    if (!rp || !pts || !ptrs)
        goto done;
    fill_envelope(rp);

    /* Lay the point pointers out per metric, contiguous. */
    size_t offset[M__COUNT], fill[M__COUNT] = {0}, off = 0;
    for (int k = 0; k < M__COUNT; k++) {
        offset[k] = off;
        off += per_metric[k];
    }
    for (size_t j = 0; j < m->n_inflight; j++) {
        const struct series *s = &m->series[m->inflight[j]];
        if (metric_defs[s->metric].bounds)
            fill_hist_point(&pts[j], s, now_ns);
        else
            fill_num_point(&pts[j], s, now_ns);
        ptrs[offset[s->metric] + fill[s->metric]++] = &pts[j].u;
    }
    size_t n_metrics = 0;
    for (int k = 0; k < M__COUNT; k++) {
        if (per_metric[k] == 0)
            continue;
        const struct metric_def *d = &metric_defs[k];
        pb_metric *mt = &rp->metric[k];
        opentelemetry__proto__metrics__v1__metric__init(mt);
        mt->name = (char *)d->name;
        mt->description = (char *)d->description;
        mt->unit = (char *)d->unit;
        if (d->bounds) {
            pb_hist *h = &rp->hist[k];
            opentelemetry__proto__metrics__v1__histogram__init(h);
            h->aggregation_temporality =
                OPENTELEMETRY__PROTO__METRICS__V1__AGGREGATION_TEMPORALITY__AGGREGATION_TEMPORALITY_CUMULATIVE;
            h->data_points = (pb_hist_point **)&ptrs[offset[k]];
            h->n_data_points = per_metric[k];
            mt->data_case =
                OPENTELEMETRY__PROTO__METRICS__V1__METRIC__DATA_HISTOGRAM;
            mt->histogram = h;
        } else {
            pb_sum *sm = &rp->sum[k];
            opentelemetry__proto__metrics__v1__sum__init(sm);
            sm->aggregation_temporality =
                OPENTELEMETRY__PROTO__METRICS__V1__AGGREGATION_TEMPORALITY__AGGREGATION_TEMPORALITY_CUMULATIVE;
            sm->is_monotonic = 1;
            sm->data_points = (pb_num_point **)&ptrs[offset[k]];
            sm->n_data_points = per_metric[k];
            mt->data_case = OPENTELEMETRY__PROTO__METRICS__V1__METRIC__DATA_SUM;
            mt->sum = sm;
        }
        rp->metricp[n_metrics++] = mt;
    }
    rp->sm.n_metrics = n_metrics;

    size_t len =
        opentelemetry__proto__collector__metrics__v1__export_metrics_service_request__get_packed_size(
            &rp->req);
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf)
        goto done;
    opentelemetry__proto__collector__metrics__v1__export_metrics_service_request__pack(
        &rp->req, buf);
    *out = buf;
    *out_len = len;
    rc = (int)m->n_inflight;
done:
    if (rc < 0)
        m->n_inflight = 0;
    free(ptrs);
    free(pts);
    free(rp);
    return rc;
}

void dp__otlp_metrics_settle(dp__otlp_metrics *m, int delivered)
{
    if (!m)
        return;
    for (size_t j = 0; j < m->n_inflight; j++) {
        struct series *s = &m->series[m->inflight[j]];
        if (delivered && s->dirty) {
            s->dirty = false;
            m->n_dirty--;
        }
    }
    m->n_inflight = 0;
}
