/*
 * prometheus.c - the `prometheus` exporter: profiles aggregated into
 * Prometheus series, rendered in the text exposition format (0.0.4) for
 * GET /metrics on the OTLP/HTTP listener.
 *
 * export() runs on this exporter's pipeline thread and folds each profile
 * into per-DAG aggregates; dp_prometheus_render() runs on the HTTP thread.
 * One mutex guards the aggregates. Sums are kept as integers (nanoseconds,
 * pico-USD) and printed as exact decimals, so no float drift accumulates.
 *
 * Metrics (label `dag` is the DAG id):
 *   dagprof_dag_run_duration_seconds   histogram {dag}: run wall time
 *   dagprof_dag_run_cost_usd           histogram {dag}: run cost
 *   dagprof_dag_runs_incomplete_total  counter {dag}
 *   dagprof_tokens_total               counter {dag,model,type}; type is
 *       input, output, cache_read, cache_write, reasoning (input includes
 *       the cache types, output includes reasoning, as in the profile)
 *   dagprof_cost_usd_total             counter {dag,model}
 *   dagprof_node_execution_seconds     histogram {dag,node}
 *   dagprof_bottlenecks_total          counter {dag,type}
 *   dagprof_series_overflow_total      counter {label}: values folded into
 *       "_other" because a label already had max_series values
 *   and dagprof's own: dagprof_spans_received_total,
 *   dagprof_spans_rejected_total, dagprof_spans_late_total,
 *   dagprof_traces_in_memory, dagprof_traces_evicted_total,
 *   dagprof_traces_not_agent_total,
 *   dagprof_profiles_emitted_total, dagprof_exporter_queue_depth{exporter},
 *   dagprof_exporter_exported_total{exporter},
 *   dagprof_exporter_queue_bytes{exporter},
 *   dagprof_exporter_retries_total{exporter},
 *   dagprof_exporter_dropped_total{exporter,kind} (kind: profile, alert),
 *   dagprof_exporter_dropped_spans_total{exporter} (spans in the dropped
 *   profiles), dagprof_exporter_blocked_seconds_total{exporter}; in
 *   serve also dagprof_resident_memory_bytes, _peak_bytes, _limit_bytes,
 *   dagprof_memory_pressure, dagprof_memory_trims_total,
 *   dagprof_queued_bytes, dagprof_requests_refused_total{reason}.
 * Duration buckets are the GenAI semantic conventions' (0.01 s doubling to
 * 81.92 s); cost buckets match the OTLP exporter's dag.run.cost.
 *
 * Label values come from the traces (DAG ids, node ids, model names), so
 * they are made safe once, as a profile is folded in: each invalid UTF-8
 * sequence becomes U+FFFD and the value is cut to LABEL_MAX bytes at a
 * character boundary. Names that become equal share one series. At render
 * time backslash, double quote and newline are escaped as the text format
 * asks. A scrape therefore always parses, whatever the traces carried.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "exporters.h"

#define N_DUR 14
#define N_COST 15
#define N_TOKEN_TYPES 5
#define OTHER "_other"
#define LABEL_MAX 256 /* bytes of a label value, before escaping */

static const char *const dur_le[N_DUR] = {
    "0.01", "0.02", "0.04", "0.08",  "0.16",  "0.32",  "0.64",
    "1.28", "2.56", "5.12", "10.24", "20.48", "40.96", "81.92"};
static const char *const cost_le[N_COST] = {
    "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25",
    "0.5",   "1",      "2.5",   "5",    "10",    "25",   "50"};
static const int64_t cost_bound[N_COST] = {
    1000000000LL,     2500000000LL,     5000000000LL,    10000000000LL,
    25000000000LL,    50000000000LL,    100000000000LL,  250000000000LL,
    500000000000LL,   1000000000000LL,  2500000000000LL, 5000000000000LL,
    10000000000000LL, 25000000000000LL, 50000000000000LL};
static const char *const token_type[N_TOKEN_TYPES] = {
    "input", "output", "cache_read", "cache_write", "reasoning"};

enum { OV_DAG, OV_NODE, OV_MODEL, OV__COUNT };
static const char *const ov_label[OV__COUNT] = {"dag", "node", "model"};

struct hist {
    uint64_t bucket[N_COST > N_DUR ? N_COST : N_DUR]; /* not cumulative */
    uint64_t count;
    int64_t sum; /* ns or pico-USD */
};

/* Every entry type starts with its name, so one lookup serves all. */
struct node_e {
    char *name;
    struct hist exec;
};

struct model_e {
    char *name;
    uint64_t tokens[N_TOKEN_TYPES];
    int64_t cost_pusd;
};

struct dag_e {
    char *name;
    struct hist wall, cost;
    uint64_t incomplete;
    uint64_t bottlenecks[DP_BN__COUNT];
    struct node_e *nodes;
    size_t n_nodes;
    struct model_e *models;
    size_t n_models;
};

struct dp_prometheus {
    pthread_mutex_t lock;
    size_t max_series;
    dp_prom_stats_fn stats;
    void *stats_user;
    struct dag_e *dags; /* sorted by name */
    size_t n_dags;
    uint64_t overflow[OV__COUNT];
};

dp_prometheus *dp_prometheus_create(const dp_prometheus_config *cfg, char *err,
                                    size_t err_len)
{
    dp_prometheus *p = calloc(1, sizeof(*p));
    if (!p) {
        snprintf(err, err_len, "out of memory");
        return NULL;
    }
    pthread_mutex_init(&p->lock, NULL);
    p->max_series = cfg && cfg->max_series ? cfg->max_series : 100;
    p->stats = cfg ? cfg->stats : NULL;
    p->stats_user = cfg ? cfg->stats_user : NULL;
    return p;
}

static void prom_destroy(void *ctx)
{
    dp_prometheus *p = ctx;
    if (!p)
        return;
    for (size_t i = 0; i < p->n_dags; i++) {
        struct dag_e *d = &p->dags[i];
        for (size_t k = 0; k < d->n_nodes; k++)
            free(d->nodes[k].name);
        for (size_t k = 0; k < d->n_models; k++)
            free(d->models[k].name);
        free(d->nodes);
        free(d->models);
        free(d->name);
    }
    free(p->dags);
    pthread_mutex_destroy(&p->lock);
    free(p);
}

/* Finds name in the sorted array *arr of *n entries of size sz (each
 * starting with its char *name), inserting a zeroed entry when absent. When
 * the array already holds `limit` entries other than "_other", name is
 * replaced by "_other" and overflow is counted. Returns the entry or NULL
 * on ENOMEM. O(n) for an insert, O(log n) otherwise. */
static void *lookup(void **arr, size_t *n, size_t sz, const char *name,
                    size_t limit, uint64_t *overflow)
{
    char *base = *arr;
    for (int pass = 0; pass < 2; pass++) {
        size_t lo = 0, hi = *n;
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            int c = strcmp(*(char **)(base + mid * sz), name);
            if (c == 0)
                return base + mid * sz;
            if (c < 0)
                lo = mid + 1;
            else
                hi = mid;
        }
        bool has_other = false;
        for (size_t i = 0; i < *n && !has_other; i++)
            has_other = strcmp(*(char **)(base + i * sz), OTHER) == 0;
        size_t real = *n - (has_other ? 1 : 0);
        if (pass == 0 && real >= limit && strcmp(name, OTHER) != 0) {
            (*overflow)++;
            name = OTHER;
            continue;
        }
        char *copy = strdup(name);
        char *grown = realloc(base, (*n + 1) * sz);
        if (!copy || !grown) {
            free(copy);
            if (grown)
                *arr = grown;
            return NULL;
        }
        base = grown;
        *arr = base;
        memmove(base + (lo + 1) * sz, base + lo * sz, (*n - lo) * sz);
        memset(base + lo * sz, 0, sz);
        *(char **)(base + lo * sz) = copy;
        (*n)++;
        return base + lo * sz;
    }
    return NULL;
}

/* Copies s into out as valid UTF-8 of at most LABEL_MAX bytes: each
 * maximal invalid sequence becomes U+FFFD (EF BF BD), and the copy stops
 * before the first character that would not fit whole. Returns out.
 * O(LABEL_MAX): the rest of a longer s is never read. */
static const char *label_text(const char *s, char out[LABEL_MAX + 1])
{
    const unsigned char *u = (const unsigned char *)s;
    size_t o = 0;
    while (*u) {
        size_t avail = 0, bad = 0;
        while (avail < 4 && u[avail])
            avail++;
        size_t seq = dp__utf8_seq(u, avail, &bad);
        size_t need = seq ? seq : 3;
        if (o + need > LABEL_MAX)
            break;
        if (seq) {
            memcpy(out + o, u, seq);
            u += seq;
        } else {
            memcpy(out + o, "\xEF\xBF\xBD", 3);
            u += bad;
        }
        o += need;
    }
    out[o] = '\0';
    return out;
}

static void hist_add_ns(struct hist *h, int64_t ns)
{
    int64_t bound = 10000000; /* 0.01 s */
    for (int i = 0; i < N_DUR; i++, bound *= 2)
        if (ns <= bound) {
            h->bucket[i]++;
            break;
        }
    h->count++;
    h->sum += ns;
}

static void hist_add_pusd(struct hist *h, int64_t pusd)
{
    for (int i = 0; i < N_COST; i++)
        if (pusd <= cost_bound[i]) {
            h->bucket[i]++;
            break;
        }
    h->count++;
    h->sum += pusd;
}

static void add_profile(dp_prometheus *p, const dp_profile *pr)
{
    char text[LABEL_MAX + 1];
    const char *dag = pr->dag_id && pr->dag_id[0] ? pr->dag_id : "unknown";
    struct dag_e *d =
        lookup((void **)&p->dags, &p->n_dags, sizeof(*d), label_text(dag, text),
               p->max_series, &p->overflow[OV_DAG]);
    if (!d)
        return;
    hist_add_ns(&d->wall, pr->wall_ns);
    hist_add_pusd(&d->cost, pr->cost_pusd);
    if (!pr->complete)
        d->incomplete++;
    for (size_t i = 0; i < pr->n_bottlenecks; i++)
        if (pr->bottlenecks[i].type >= 0 &&
            pr->bottlenecks[i].type < DP_BN__COUNT)
            d->bottlenecks[pr->bottlenecks[i].type]++;
    for (size_t i = 0; i < pr->n_nodes; i++) {
        struct node_e *n =
            lookup((void **)&d->nodes, &d->n_nodes, sizeof(*n),
                   label_text(pr->nodes[i].id ? pr->nodes[i].id : "", text),
                   p->max_series, &p->overflow[OV_NODE]);
        if (n)
            hist_add_ns(&n->exec, pr->nodes[i].execution_ns);
    }
    for (size_t i = 0; i < pr->n_calls; i++) {
        const dp_call *c = &pr->calls[i];
        if (c->kind != DP_CALL_LLM || !c->has_tokens)
            continue;
        struct model_e *m = lookup(
            (void **)&d->models, &d->n_models, sizeof(*m),
            label_text(c->name && c->name[0] ? c->name : "unknown", text),
            p->max_series, &p->overflow[OV_MODEL]);
        if (!m)
            continue;
        m->tokens[0] += (uint64_t)c->tokens.input;
        m->tokens[1] += (uint64_t)c->tokens.output;
        m->tokens[2] += (uint64_t)c->tokens.cache_read;
        m->tokens[3] += (uint64_t)c->tokens.cache_write;
        m->tokens[4] += (uint64_t)c->tokens.reasoning;
    }
    for (size_t i = 0; i < pr->n_cost_by_model; i++) {
        const dp_named_i64 *cm = &pr->cost_by_model[i];
        struct model_e *m = lookup(
            (void **)&d->models, &d->n_models, sizeof(*m),
            label_text(cm->name && cm->name[0] ? cm->name : "unknown", text),
            p->max_series, &p->overflow[OV_MODEL]);
        if (m)
            m->cost_pusd += cm->value;
    }
}

static int prom_export(void *ctx, const dp_record *r)
{
    dp_prometheus *p = ctx;
    if (r->kind != DP_RECORD_PROFILE || !r->profile)
        return DP_EXPORTER_OK;
    pthread_mutex_lock(&p->lock);
    add_profile(p, r->profile);
    pthread_mutex_unlock(&p->lock);
    return DP_EXPORTER_OK;
}

/* ---- rendering ------------------------------------------------------------
 */

/* A label value (already valid UTF-8, see label_text): backslash, double
 * quote and newline escaped, as the text exposition format asks. */
static void label_value(dp_buf *b, const char *s)
{
    dp_buf_puts(b, "\"");
    for (const char *q = s; *q; q++) {
        if (*q == '\\')
            dp_buf_puts(b, "\\\\");
        else if (*q == '"')
            dp_buf_puts(b, "\\\"");
        else if (*q == '\n')
            dp_buf_puts(b, "\\n");
        else
            dp_buf_append(b, q, 1);
    }
    dp_buf_puts(b, "\"");
}

/* ns as exact decimal seconds, trailing zeros trimmed: 16000000000 -> 16,
 * 1500000 -> 0.0015. */
static void put_seconds(dp_buf *b, int64_t ns)
{
    if (ns < 0) {
        dp_buf_puts(b, "-");
        ns = -ns;
    }
    char frac[16];
    snprintf(frac, sizeof(frac), "%09" PRId64, ns % 1000000000);
    size_t n = strlen(frac);
    while (n && frac[n - 1] == '0')
        n--;
    frac[n] = '\0';
    dp_buf_printf(b, "%" PRId64 "%s%s", ns / 1000000000, n ? "." : "", frac);
}

static void family(dp_buf *b, const char *name, const char *type,
                   const char *help)
{
    dp_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* Writes name{labels,le=...} lines, _sum and _count. labels is the text
 * between the braces without le (already escaped). */
static void hist_lines(dp_buf *b, const char *name, const char *labels,
                       const struct hist *h, bool money)
{
    int nb = money ? N_COST : N_DUR;
    uint64_t cum = 0;
    for (int i = 0; i < nb; i++) {
        cum += h->bucket[i];
        dp_buf_printf(b, "%s_bucket{%s,le=\"%s\"} %" PRIu64 "\n", name, labels,
                      money ? cost_le[i] : dur_le[i], cum);
    }
    dp_buf_printf(b, "%s_bucket{%s,le=\"+Inf\"} %" PRIu64 "\n", name, labels,
                  h->count);
    dp_buf_printf(b, "%s_sum{%s} ", name, labels);
    if (money)
        dp_buf_usd(b, h->sum);
    else
        put_seconds(b, h->sum);
    dp_buf_printf(b, "\n%s_count{%s} %" PRIu64 "\n", name, labels, h->count);
}

/* The text dag="...",node="..." for reuse as a histogram's labels. */
static void labels2(dp_buf *b, const char *k1, const char *v1, const char *k2,
                    const char *v2)
{
    dp_buf_reset(b);
    dp_buf_printf(b, "%s=", k1);
    label_value(b, v1);
    if (k2) {
        dp_buf_printf(b, ",%s=", k2);
        label_value(b, v2);
    }
}

static void render_profiles(dp_prometheus *p, dp_buf *b, dp_buf *lb)
{
    const char *name = "dagprof_dag_run_duration_seconds";
    family(b, name, "histogram", "Wall time of finished DAG runs.");
    for (size_t i = 0; i < p->n_dags; i++) {
        labels2(lb, "dag", p->dags[i].name, NULL, NULL);
        hist_lines(b, name, lb->data, &p->dags[i].wall, false);
    }
    name = "dagprof_dag_run_cost_usd";
    family(b, name, "histogram", "Cost of finished DAG runs in USD.");
    for (size_t i = 0; i < p->n_dags; i++) {
        labels2(lb, "dag", p->dags[i].name, NULL, NULL);
        hist_lines(b, name, lb->data, &p->dags[i].cost, true);
    }
    name = "dagprof_dag_runs_incomplete_total";
    family(b, name, "counter",
           "Runs finalized without their root span (root_missing, evicted, "
           "shutdown).");
    for (size_t i = 0; i < p->n_dags; i++) {
        labels2(lb, "dag", p->dags[i].name, NULL, NULL);
        dp_buf_printf(b, "%s{%s} %" PRIu64 "\n", name, lb->data,
                      p->dags[i].incomplete);
    }
    name = "dagprof_tokens_total";
    family(b, name, "counter",
           "LLM tokens by model and type (input includes cache_read and "
           "cache_write; output includes reasoning).");
    for (size_t i = 0; i < p->n_dags; i++)
        for (size_t k = 0; k < p->dags[i].n_models; k++) {
            const struct model_e *m = &p->dags[i].models[k];
            labels2(lb, "dag", p->dags[i].name, "model", m->name);
            for (int t = 0; t < N_TOKEN_TYPES; t++)
                dp_buf_printf(b, "%s{%s,type=\"%s\"} %" PRIu64 "\n", name,
                              lb->data, token_type[t], m->tokens[t]);
        }
    name = "dagprof_cost_usd_total";
    family(b, name, "counter", "Cost in USD by model.");
    for (size_t i = 0; i < p->n_dags; i++)
        for (size_t k = 0; k < p->dags[i].n_models; k++) {
            const struct model_e *m = &p->dags[i].models[k];
            labels2(lb, "dag", p->dags[i].name, "model", m->name);
            dp_buf_printf(b, "%s{%s} ", name, lb->data);
            dp_buf_usd(b, m->cost_pusd);
            dp_buf_puts(b, "\n");
        }
    name = "dagprof_node_execution_seconds";
    family(b, name, "histogram", "Execution time of DAG nodes.");
    for (size_t i = 0; i < p->n_dags; i++)
        for (size_t k = 0; k < p->dags[i].n_nodes; k++) {
            labels2(lb, "dag", p->dags[i].name, "node",
                    p->dags[i].nodes[k].name);
            hist_lines(b, name, lb->data, &p->dags[i].nodes[k].exec, false);
        }
    name = "dagprof_bottlenecks_total";
    family(b, name, "counter", "Bottlenecks found, by type.");
    for (size_t i = 0; i < p->n_dags; i++)
        for (int t = 0; t < DP_BN__COUNT; t++) {
            if (!p->dags[i].bottlenecks[t])
                continue;
            labels2(lb, "dag", p->dags[i].name, "type",
                    dp_bottleneck_type_name(t));
            dp_buf_printf(b, "%s{%s} %" PRIu64 "\n", name, lb->data,
                          p->dags[i].bottlenecks[t]);
        }
    name = "dagprof_series_overflow_total";
    family(b, name, "counter",
           "Label values folded into \"_other\" past max_series.");
    for (int i = 0; i < OV__COUNT; i++)
        dp_buf_printf(b, "%s{label=\"%s\"} %" PRIu64 "\n", name, ov_label[i],
                      p->overflow[i]);
}

static void scalar(dp_buf *b, const char *name, const char *type,
                   const char *help, uint64_t v)
{
    family(b, name, type, help);
    dp_buf_printf(b, "%s %" PRIu64 "\n", name, v);
}

static void render_self(const dp_prom_self_stats *s, dp_buf *b, dp_buf *lb)
{
    scalar(b, "dagprof_spans_received_total", "counter",
           "Spans in decoded export requests.", s->spans_received);
    scalar(b, "dagprof_spans_rejected_total", "counter",
           "Spans rejected (invalid or over a limit).", s->spans_rejected);
    scalar(b, "dagprof_spans_late_total", "counter",
           "Spans that arrived after their trace was finalized.",
           s->spans_late);
    scalar(b, "dagprof_traces_in_memory", "gauge",
           "Traces held, not yet finalized.", s->traces_in_memory);
    scalar(b, "dagprof_traces_evicted_total", "counter",
           "Traces finalized early because max_traces was reached.",
           s->traces_evicted);
    scalar(b, "dagprof_traces_not_agent_total", "counter",
           "Traces finalized without a profile: no span was an agent node, "
           "LLM or tool call, or carried an agent attribute.",
           s->traces_not_agent);
    scalar(b, "dagprof_profiles_emitted_total", "counter",
           "Profiles finalized.", s->profiles_emitted);
    if (s->has_memory) {
        scalar(b, "dagprof_resident_memory_bytes", "gauge",
               "Resident set size (/proc/self/statm) at the last check.",
               s->rss_bytes);
        scalar(b, "dagprof_resident_memory_peak_bytes", "gauge",
               "Highest resident set size seen.", s->rss_peak_bytes);
        scalar(b, "dagprof_resident_memory_limit_bytes", "gauge",
               "limits.max_rss: above it requests are refused.",
               s->max_rss_bytes);
        scalar(b, "dagprof_memory_pressure", "gauge",
               "1 while requests are refused for memory (RSS ceiling).",
               s->memory_pressure ? 1 : 0);
        scalar(b, "dagprof_memory_trims_total", "counter",
               "Times free memory was returned to the system.",
               s->memory_trims);
        scalar(b, "dagprof_queued_bytes", "gauge",
               "Heap bytes of spans waiting in the shard queues.",
               s->queued_bytes);
        const char *name = "dagprof_requests_refused_total";
        family(b, name, "counter",
               "Export requests refused with UNAVAILABLE / 503 by reason: "
               "queue_spans, queue_bytes (a shard queue full), memory (RSS "
               "ceiling).");
        dp_buf_printf(b, "%s{reason=\"queue_spans\"} %" PRIu64 "\n", name,
                      s->refused_queue_spans);
        dp_buf_printf(b, "%s{reason=\"queue_bytes\"} %" PRIu64 "\n", name,
                      s->refused_queue_bytes);
        dp_buf_printf(b, "%s{reason=\"memory\"} %" PRIu64 "\n", name,
                      s->refused_memory);
    }
    static const struct {
        const char *name, *type, *help;
    } fam[] = {{"dagprof_exporter_queue_depth", "gauge",
                "Records waiting in each exporter's queue."},
               {"dagprof_exporter_exported_total", "counter",
                "Records each exporter delivered."},
               {"dagprof_exporter_queue_bytes", "gauge",
                "Bytes of the records waiting in each exporter's queue."},
               {"dagprof_exporter_retries_total", "counter",
                "Export attempts repeated after a retryable failure."},
               {"dagprof_exporter_dropped_spans_total", "counter",
                "Spans in the profiles each exporter dropped."},
               {"dagprof_exporter_blocked_seconds_total", "counter",
                "Time spent waiting for room in a full queue (on_full "
                "block, or at shutdown)."}};
    size_t n = s->n_exporters < DP_PROM_MAX_EXPORTERS ? s->n_exporters
                                                      : DP_PROM_MAX_EXPORTERS;
    for (size_t f = 0; f < sizeof(fam) / sizeof(fam[0]); f++) {
        family(b, fam[f].name, fam[f].type, fam[f].help);
        for (size_t i = 0; i < n; i++) {
            const dp_exporter_stats *e = &s->exporters[i];
            labels2(lb, "exporter", e->name ? e->name : "", NULL, NULL);
            dp_buf_printf(b, "%s{%s} ", fam[f].name, lb->data);
            if (f == 5)
                put_seconds(b, (int64_t)e->blocked_ns);
            else
                dp_buf_printf(b, "%" PRIu64,
                              f == 0   ? e->queued
                              : f == 1 ? e->exported
                              : f == 2 ? e->queued_bytes
                              : f == 3 ? e->retries
                                       : e->dropped_spans);
            dp_buf_puts(b, "\n");
        }
    }
    const char *name = "dagprof_exporter_dropped_total";
    family(b, name, "counter",
           "Records each exporter dropped (queue full with on_full drop, "
           "refused, retries exhausted, or lost at shutdown), by kind: "
           "profile or alert.");
    for (size_t i = 0; i < n; i++) {
        const dp_exporter_stats *e = &s->exporters[i];
        labels2(lb, "exporter", e->name ? e->name : "", NULL, NULL);
        dp_buf_printf(b, "%s{%s,kind=\"profile\"} %" PRIu64 "\n", name,
                      lb->data, e->dropped_profiles);
        dp_buf_printf(b, "%s{%s,kind=\"alert\"} %" PRIu64 "\n", name, lb->data,
                      e->dropped_alerts);
    }
}

int dp_prometheus_render(dp_prometheus *p, dp_buf *out)
{
    dp_prom_self_stats s;
    dp_buf b, lb;
    memset(&s, 0, sizeof(s));
    if (p->stats)
        p->stats(p->stats_user, &s);
    dp_buf_init(&b);
    dp_buf_init(&lb);
    pthread_mutex_lock(&p->lock);
    render_profiles(p, &b, &lb);
    pthread_mutex_unlock(&p->lock);
    if (p->stats)
        render_self(&s, &b, &lb);
    int err = b.len ? dp_buf_append(out, b.data, b.len) : 0;
    dp_buf_fini(&lb);
    dp_buf_fini(&b);
    return err;
}

const dp_exporter_ops dp_prometheus_ops = {.name = "prometheus",
                                           .export = prom_export,
                                           .destroy = prom_destroy,
                                           .kinds = 1u << DP_RECORD_PROFILE};
