/*
 * processor.c - the trace table and the profile lifecycle.
 *
 * Spans are added one at a time, in any order, into per-trace state keyed
 * by trace id (a chained hash table). Each trace sits on one of two activity
 * lists, ordered by its last span's arrival: traces whose root has arrived
 * (finalized `grace` after their last span) and rootless ones (finalized
 * `idle_timeout` after their last span as incomplete). Because every trace
 * on a list shares one timeout, each list's head is its earliest deadline
 * and tick() only ever looks at heads. Finalized trace ids are remembered
 * for `late_window` so late spans are counted instead of starting a second
 * profile. One owner, no locks: a processor belongs to one thread.
 */
#include <stdlib.h>
#include <string.h>

#include "analysis_config.h"
#include "hex.h"
#include "log.h"
#include "span_index.h"

struct trace_list {
    dp__trace *head, *tail;
};

/* A finalized trace id, remembered for late_window. */
struct done_entry {
    uint8_t trace_id[16];
    uint64_t at_ns;
    uint64_t late;            /* spans that arrived after the profile */
    struct done_entry *hnext; /* hash chain */
    struct done_entry *qnext; /* FIFO by finalization time */
};

struct dp_processor {
    dp_processor_config cfg;
    dp_analysis_config analysis;
    dp_profile_cb cb;
    void *user;

    dp__trace **buckets;
    size_t n_buckets, n_traces;
    struct trace_list rooted, rootless;
    uint64_t seq;

    struct done_entry **done_buckets;
    size_t n_done_buckets, n_done;
    struct done_entry *done_head, *done_tail;

    uint64_t last_evict_log_ns;
    bool evict_logged;
    dp_processor_stats stats;

    /* Sizes learned from finalized traces (see learn_sizes). */
    uint32_t span_hint; /* moving average of spans per trace */
    size_t arena_hint;  /* moving average of arena bytes per trace */
};

/* A new trace's storage starts at what recent traces needed plus a quarter
 * (an agent workflow emits about the same number of spans each run), so a
 * typical trace is stored without one realloc or arena block beyond its
 * first; beyond it the span array doubles. Capped so one huge trace does
 * not make every new one large. */
#define HINT_MAX_SPANS 4096u
#define HINT_MAX_ARENA (256u * 1024u)

static void learn_sizes(dp_processor *p, const dp__trace *t)
{
    uint32_t n = t->n_spans < HINT_MAX_SPANS ? t->n_spans : HINT_MAX_SPANS;
    /* What the trace used, not the block it was given: learning the size
     * would ratchet the hint up by a quarter of itself every trace. */
    size_t a = dp_arena_used(t->arena);
    if (a > HINT_MAX_ARENA)
        a = HINT_MAX_ARENA;
    if (!p->span_hint) {
        p->span_hint = n;
        p->arena_hint = a;
        return;
    }
    p->span_hint = (uint32_t)(((uint64_t)p->span_hint * 7 + n + 7) / 8);
    p->arena_hint = (p->arena_hint * 7 + a + 7) / 8;
}

/* The first capacity of a trace's span array. */
static uint32_t first_span_cap(const dp_processor *p)
{
    uint64_t cap = p->span_hint + p->span_hint / 4;
    if (cap < 8)
        cap = 8;
    if (cap > p->cfg.max_spans_per_trace)
        cap = p->cfg.max_spans_per_trace;
    return (uint32_t)cap;
}

void dp_processor_config_init(dp_processor_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->inference_tolerance_ns = 1000000ULL;
    cfg->grace_ns = 2000000000ULL;
    cfg->idle_timeout_ns = 30000000000ULL;
    cfg->late_window_ns = 300000000000ULL;
    cfg->max_traces = 100000;
    cfg->max_spans_per_trace = 100000;
}

dp_processor *dp_processor_create(const dp_processor_config *cfg,
                                  dp_profile_cb cb, void *user)
{
    dp_processor *p = calloc(1, sizeof(*p));
    if (!p)
        return NULL;
    if (cfg)
        p->cfg = *cfg;
    else
        dp_processor_config_init(&p->cfg);
    if (p->cfg.max_traces == 0)
        p->cfg.max_traces = 1;
    if (p->cfg.max_spans_per_trace == 0)
        p->cfg.max_spans_per_trace = 1;
    if (p->cfg.analysis)
        p->analysis = *p->cfg.analysis;
    else
        dp_analysis_config_init(&p->analysis);
    p->cfg.analysis = &p->analysis;
    p->cb = cb;
    p->user = user;
    p->n_buckets = 1024;
    p->buckets = calloc(p->n_buckets, sizeof(*p->buckets));
    p->n_done_buckets = 1024;
    p->done_buckets = calloc(p->n_done_buckets, sizeof(*p->done_buckets));
    if (!p->buckets || !p->done_buckets) {
        dp_processor_destroy(p);
        return NULL;
    }
    return p;
}

static void done_pop(dp_processor *p);

static void trace_free(dp__trace *t)
{
    if (!t)
        return;
    dp_arena_destroy(t->arena);
    free(t->spans);
    free(t->index);
    free(t);
}

void dp_processor_destroy(dp_processor *p)
{
    if (!p)
        return;
    if (p->buckets) {
        for (size_t i = 0; i < p->n_buckets; i++) {
            dp__trace *t = p->buckets[i];
            while (t) {
                dp__trace *next = t->hnext;
                trace_free(t);
                t = next;
            }
        }
        free(p->buckets);
    }
    while (p->done_head && p->done_buckets)
        done_pop(p); /* logs the late spans of each */
    free(p->done_buckets);
    free(p);
}

/* ---- activity lists ------------------------------------------------------ */

static void list_remove(struct trace_list *l, dp__trace *t)
{
    if (t->lprev)
        t->lprev->lnext = t->lnext;
    else
        l->head = t->lnext;
    if (t->lnext)
        t->lnext->lprev = t->lprev;
    else
        l->tail = t->lprev;
    t->lprev = t->lnext = NULL;
}

static void list_append(struct trace_list *l, dp__trace *t)
{
    t->lprev = l->tail;
    t->lnext = NULL;
    if (l->tail)
        l->tail->lnext = t;
    else
        l->head = t;
    l->tail = t;
}

static struct trace_list *list_of(dp_processor *p, const dp__trace *t)
{
    return t->root >= 0 ? &p->rooted : &p->rootless;
}

/* ---- trace table ------------------------------------------------------------
 */

static dp__trace *table_find(dp_processor *p, const uint8_t *trace_id,
                             uint64_t h)
{
    for (dp__trace *t = p->buckets[h & (p->n_buckets - 1)]; t; t = t->hnext)
        if (t->hash == h && memcmp(t->trace_id, trace_id, 16) == 0)
            return t;
    return NULL;
}

static void table_grow(dp_processor *p)
{
    size_t n = p->n_buckets * 2;
    dp__trace **b = calloc(n, sizeof(*b));
    if (!b)
        return; /* keep the longer chains; still correct */
    for (size_t i = 0; i < p->n_buckets; i++) {
        dp__trace *t = p->buckets[i];
        while (t) {
            dp__trace *next = t->hnext;
            t->hnext = b[t->hash & (n - 1)];
            b[t->hash & (n - 1)] = t;
            t = next;
        }
    }
    free(p->buckets);
    p->buckets = b;
    p->n_buckets = n;
}

static void table_unlink(dp_processor *p, dp__trace *t)
{
    dp__trace **pp = &p->buckets[t->hash & (p->n_buckets - 1)];
    while (*pp && *pp != t)
        pp = &(*pp)->hnext;
    if (*pp)
        *pp = t->hnext;
    list_remove(list_of(p, t), t);
    p->n_traces--;
}

/* ---- finalized ids ----------------------------------------------------------
 */

static struct done_entry *done_find(dp_processor *p, const uint8_t *trace_id,
                                    uint64_t h)
{
    struct done_entry *d = p->done_buckets[h & (p->n_done_buckets - 1)];
    for (; d; d = d->hnext)
        if (memcmp(d->trace_id, trace_id, 16) == 0)
            return d;
    return NULL;
}

static void done_pop(dp_processor *p)
{
    struct done_entry *d = p->done_head;
    uint64_t h = dp_id_hash(d->trace_id, 16);
    struct done_entry **pp = &p->done_buckets[h & (p->n_done_buckets - 1)];
    while (*pp && *pp != d)
        pp = &(*pp)->hnext;
    if (*pp)
        *pp = d->hnext;
    p->done_head = d->qnext;
    if (!p->done_head)
        p->done_tail = NULL;
    p->n_done--;
    if (d->late) {
        char hex[33];
        dp_hex_encode(d->trace_id, 16, hex);
        dp_log_info("processor",
                    "trace %s: %llu span(s) arrived after its "
                    "profile was emitted (counted as late, not profiled)",
                    hex, (unsigned long long)d->late);
    }
    free(d);
}

static void done_add(dp_processor *p, const uint8_t *trace_id, uint64_t now_ns)
{
    if (p->cfg.late_window_ns == 0)
        return;
    /* Bounded like the live table: the oldest memory goes first. */
    size_t cap = p->cfg.max_traces < 1024 ? 1024 : p->cfg.max_traces;
    while (p->n_done >= cap)
        done_pop(p);
    struct done_entry *d = calloc(1, sizeof(*d));
    if (!d)
        return;
    memcpy(d->trace_id, trace_id, 16);
    d->at_ns = now_ns;
    uint64_t h = dp_id_hash(trace_id, 16);
    d->hnext = p->done_buckets[h & (p->n_done_buckets - 1)];
    p->done_buckets[h & (p->n_done_buckets - 1)] = d;
    if (p->done_tail)
        p->done_tail->qnext = d;
    else
        p->done_head = d;
    p->done_tail = d;
    p->n_done++;
}

/* ---- finalization
 * ------------------------------------------------------------ */

/* Finalizes t (removing it from the table) and emits its profile.
 * Returns 1 when a profile was emitted, 0 when none was (not an agent run,
 * or out of memory). */
static size_t finalize(dp_processor *p, dp__trace *t, int reason,
                       uint64_t now_ns)
{
    table_unlink(p, t);
    learn_sizes(p, t);
    done_add(p, t->trace_id, now_ns);
    if (p->cfg.on_finalized)
        p->cfg.on_finalized(t->trace_id, p->user);
    if (!t->agent && !p->cfg.profile_all_traces) {
        /* Not an agent run (an ordinary service call tree): no profile. */
        p->stats.traces_not_agent++;
        trace_free(t);
        return 0;
    }
    if (reason == DP_INCOMPLETE_NONE && t->root < 0)
        reason = DP_INCOMPLETE_ROOT_MISSING;
    if (reason == DP_INCOMPLETE_NONE && t->truncated)
        reason = DP_INCOMPLETE_SPAN_LIMIT;
    uint64_t probes = dp__index_probes;
    dp_profile *prof = dp__trace_profile(t, reason, &p->cfg);
    p->stats.span_index_probes += dp__index_probes - probes;
    if (!prof) {
        char hex[33];
        dp_hex_encode(t->trace_id, 16, hex);
        dp_log_error("processor",
                     "trace %s: out of memory building profile; "
                     "%u spans dropped",
                     hex, t->n_spans);
    }
    trace_free(t);
    if (!prof)
        return 0;
    p->stats.profiles_emitted++;
    if (p->cb)
        p->cb(prof, p->user);
    else
        dp_profile_free(prof);
    return 1;
}

static void evict_one(dp_processor *p, uint64_t now_ns)
{
    dp__trace *a = p->rooted.head, *b = p->rootless.head;
    dp__trace *victim = !a   ? b
                        : !b ? a
                        : (a->last_activity_ns < b->last_activity_ns ||
                           (a->last_activity_ns == b->last_activity_ns &&
                            a->first_seen_seq < b->first_seen_seq))
                            ? a
                            : b;
    if (!victim)
        return;
    p->stats.traces_evicted++;
    if (!p->evict_logged || now_ns - p->last_evict_log_ns >= 1000000000ULL) {
        dp_log_warn("processor",
                    "max_traces (%zu) reached: evicting the least recently "
                    "active trace as incomplete (%llu evicted so far)",
                    p->cfg.max_traces,
                    (unsigned long long)p->stats.traces_evicted);
        p->evict_logged = true;
        p->last_evict_log_ns = now_ns;
    }
    finalize(p, victim, DP_INCOMPLETE_EVICTED, now_ns);
}

static dp__trace *trace_new(dp_processor *p, const uint8_t *trace_id,
                            uint64_t h, uint64_t now_ns)
{
    dp__trace *t = calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    t->arena = dp_arena_create(
        p->arena_hint > 1024 ? p->arena_hint + p->arena_hint / 4 : 1024);
    if (!t->arena) {
        free(t);
        return NULL;
    }
    memcpy(t->trace_id, trace_id, 16);
    t->hash = h;
    t->root = -1;
    t->first_seen_seq = p->seq++;
    t->last_activity_ns = now_ns;
    if (p->n_traces + 1 > p->n_buckets)
        table_grow(p);
    t->hnext = p->buckets[h & (p->n_buckets - 1)];
    p->buckets[h & (p->n_buckets - 1)] = t;
    list_append(&p->rootless, t);
    p->n_traces++;
    return t;
}

/* The live trace of trace_id, created when new (evicting the least
 * recently active at max_traces); NULL with *rc DP_ELATE (a trace
 * finalized within late_window: the span is counted) or DP_ENOMEM. */
static dp__trace *trace_for(dp_processor *p, const uint8_t *trace_id,
                            uint64_t now_ns, int *rc)
{
    uint64_t h = dp_id_hash(trace_id, 16);
    dp__trace *t = table_find(p, trace_id, h);
    if (t)
        return t;
    struct done_entry *d = p->n_done ? done_find(p, trace_id, h) : NULL;
    if (d) {
        d->late++;
        p->stats.spans_late++;
        *rc = DP_ELATE;
        return NULL;
    }
    if (p->n_traces >= p->cfg.max_traces)
        evict_one(p, now_ns);
    t = trace_new(p, trace_id, h, now_ns);
    if (!t)
        *rc = DP_ENOMEM;
    return t;
}

static int reserve_span(dp_processor *p, dp__trace *t, const uint8_t *span_id,
                        uint32_t hint);
static int commit_span(dp_processor *p, dp__trace *t, const dp__span_meta *meta,
                       uint64_t now_ns);

int dp_processor_add_span(dp_processor *p, const dp_span_in *span,
                          uint64_t now_ns)
{
    if (span->end_ns < span->start_ns) {
        p->stats.spans_rejected++;
        return DP_EBADSPAN;
    }
    int rc = 0;
    dp__trace *t = trace_for(p, span->trace_id, now_ns, &rc);
    if (!t)
        return rc;
    uint64_t probes = dp__index_probes;
    rc = reserve_span(p, t, span->span_id, 0);
    if (rc == 0) {
        dp__span_meta meta;
        dp__mem mem = {t->arena, NULL, NULL};
        rc = dp__span_resolve(&mem, span, &t->spans[t->n_spans], &meta);
        if (rc == 0)
            rc = commit_span(p, t, &meta, now_ns);
    } else if (rc > 0) {
        rc = 0; /* a duplicate */
    }
    p->stats.span_index_probes += dp__index_probes - probes;
    return rc;
}

/* Copies the strings of a record resolved ahead into the trace's arena. */
static int adopt_strings(dp_arena *a, dp__span *r)
{
    const char **str[] = {&r->name,       &r->node_attr,   &r->entity_name,
                          &r->agent_name, &r->model,       &r->tool_name,
                          &r->dag_id,     &r->graph_parent};
    for (size_t i = 0; i < sizeof(str) / sizeof(*str); i++) {
        if (!*str[i])
            continue;
        *str[i] = dp_arena_strdup(a, *str[i]);
        if (!*str[i])
            return DP_ENOMEM;
    }
    if (r->n_depends_on) {
        const char **ids =
            dp_arena_alloc_raw(a, r->n_depends_on * sizeof(*ids));
        if (!ids)
            return DP_ENOMEM;
        for (uint32_t i = 0; i < r->n_depends_on; i++)
            if (!(ids[i] = dp_arena_strdup(a, r->depends_on[i])))
                return DP_ENOMEM;
        r->depends_on = ids;
    }
    if (r->n_links) {
        dp_link_in *l = dp_arena_alloc_raw(a, r->n_links * sizeof(*l));
        if (!l)
            return DP_ENOMEM;
        memcpy(l, r->links, r->n_links * sizeof(*l));
        r->links = l;
    } else {
        r->links = NULL;
    }
    return 0;
}

int dp_processor_add_rec(dp_processor *p, const dp_span_rec *rec,
                         uint64_t now_ns)
{
    if (rec->span.end_ns < rec->span.start_ns) {
        p->stats.spans_rejected++;
        return DP_EBADSPAN;
    }
    int rc = 0;
    dp__trace *t = trace_for(p, rec->trace_id, now_ns, &rc);
    if (!t)
        return rc;
    uint64_t probes = dp__index_probes;
    rc = reserve_span(p, t, rec->span.span_id, rec->spans_hint);
    if (rc == 0) {
        dp__span *s = &t->spans[t->n_spans];
        *s = rec->span;
        rc = adopt_strings(t->arena, s);
        if (rc == 0)
            rc = commit_span(p, t, &rec->meta, now_ns);
    } else if (rc > 0) {
        rc = 0; /* a duplicate */
    }
    p->stats.span_index_probes += dp__index_probes - probes;
    return rc;
}

/* Keeps the root's value of a run-level attribute, else the best-ranked
 * one seen; a later span wins only with a better rank. Copies into the
 * trace's arena. */
static int adopt_meta(dp__trace *t, bool root, const dp_value *v, uint8_t rank,
                      const char **slot, uint8_t *slot_rank)
{
    if (v->type != DP_VAL_STR || !v->u.str.len)
        return 0;
    rank = (uint8_t)(root ? rank : rank + 16); /* the root's values win */
    if (*slot && *slot_rank <= rank)
        return 0;
    const char *s = dp_arena_strndup(t->arena, v->u.str.ptr, v->u.str.len);
    if (!s)
        return DP_ENOMEM;
    *slot = s;
    *slot_rank = rank;
    return 0;
}

/* Marks t truncated; logs the first time only. */
static void truncate_trace(dp_processor *p, dp__trace *t)
{
    if (!t->truncated) {
        char hex[33];
        dp_hex_encode(t->trace_id, 16, hex);
        dp_log_warn("processor",
                    "trace %s: max_spans_per_trace (%zu) reached; "
                    "further spans are refused and its profile will say "
                    "span_limit",
                    hex, p->cfg.max_spans_per_trace);
    }
    t->truncated = true;
}

int dp_processor_mark_truncated(dp_processor *p, const uint8_t trace_id[16])
{
    dp__trace *t = table_find(p, trace_id, dp_id_hash(trace_id, 16));
    if (!t)
        return DP_ENOENT;
    truncate_trace(p, t);
    return 0;
}

/* Room for one more span in t: 0, 1 for a duplicate span id (counted,
 * not kept), DP_EFULL at max_spans_per_trace, DP_ENOMEM. hint: spans of
 * the trace the caller knows of (0: none); the array grows to it at
 * once. */
static int reserve_span(dp_processor *p, dp__trace *t, const uint8_t *span_id,
                        uint32_t hint)
{
    if (dp__trace_find_span(t, span_id) >= 0) {
        t->duplicates++;
        p->stats.spans_duplicate++;
        return 1;
    }
    if (t->n_spans >= p->cfg.max_spans_per_trace) {
        p->stats.spans_rejected++;
        truncate_trace(p, t);
        return DP_EFULL;
    }
    if (t->n_spans == t->cap_spans) {
        uint32_t cap = t->cap_spans ? t->cap_spans * 2 : first_span_cap(p);
        if (cap < t->cap_spans) /* wrapped */
            return DP_ENOMEM;
        if (hint > cap || (!t->cap_spans && hint >= p->span_hint && hint))
            cap = hint; /* that many are known: the learned size plus a
                           quarter would only be slack */
        if (cap > p->cfg.max_spans_per_trace)
            cap = (uint32_t)p->cfg.max_spans_per_trace; /* > n_spans */
        dp__span *s = realloc(t->spans, cap * sizeof(*s));
        if (!s)
            return DP_ENOMEM;
        t->spans = s;
        t->cap_spans = cap;
    }
    return 0;
}

/* Keeps the record just written at t->spans[t->n_spans]: run-level
 * values, the agent mark, the span index, the root and the activity
 * lists. */
static int commit_span(dp_processor *p, dp__trace *t, const dp__span_meta *meta,
                       uint64_t now_ns)
{
    dp__span *rec = &t->spans[t->n_spans];
    bool root = !rec->has_parent &&
                (t->root < 0 || rec->start_ns < t->spans[t->root].start_ns);
    if (adopt_meta(t, root, &meta->version, meta->version_rank, &t->version,
                   &t->version_rank) ||
        adopt_meta(t, root, &meta->session, meta->session_rank, &t->session,
                   &t->session_rank) ||
        adopt_meta(t, root, &meta->service, 1, &t->service, &t->service_rank))
        return DP_ENOMEM;
    if (rec->flags & (DP__SPAN_AGENTISH | DP__SPAN_LLM | DP__SPAN_TOOL |
                      DP__SPAN_AGENT | DP__SPAN_TOKENS))
        t->agent = true;
    int rc = dp__span_index_insert(t, t->n_spans);
    if (rc)
        return rc;
    uint32_t idx = t->n_spans++;
    p->stats.spans_received++;

    struct trace_list *from = list_of(p, t);
    if (root)
        t->root = idx;
    list_remove(from, t);
    t->last_activity_ns = now_ns;
    list_append(list_of(p, t), t);
    return 0;
}

/* ---- timers and flush
 * --------------------------------------------------------- */

size_t dp_processor_tick(dp_processor *p, uint64_t now_ns)
{
    size_t emitted = 0;
    while (p->rooted.head &&
           p->rooted.head->last_activity_ns + p->cfg.grace_ns <= now_ns) {
        emitted += finalize(p, p->rooted.head, DP_INCOMPLETE_NONE, now_ns);
    }
    while (p->rootless.head &&
           p->rootless.head->last_activity_ns + p->cfg.idle_timeout_ns <=
               now_ns) {
        emitted +=
            finalize(p, p->rootless.head, DP_INCOMPLETE_ROOT_MISSING, now_ns);
    }
    while (p->done_head &&
           p->done_head->at_ns + p->cfg.late_window_ns <= now_ns)
        done_pop(p);
    return emitted;
}

uint64_t dp_processor_next_deadline(const dp_processor *p)
{
    uint64_t d = UINT64_MAX;
    if (p->rooted.head)
        d = p->rooted.head->last_activity_ns + p->cfg.grace_ns;
    if (p->rootless.head) {
        uint64_t r =
            p->rootless.head->last_activity_ns + p->cfg.idle_timeout_ns;
        if (r < d)
            d = r;
    }
    return d;
}

static int cmp_seq(const void *a, const void *b)
{
    const dp__trace *x = *(dp__trace *const *)a, *y = *(dp__trace *const *)b;
    return x->first_seen_seq < y->first_seen_seq
               ? -1
               : x->first_seen_seq > y->first_seen_seq;
}

size_t dp_processor_flush(dp_processor *p, int rootless_reason)
{
    size_t n = p->n_traces, k = 0;
    if (!n)
        return 0;
    dp__trace **all = malloc(n * sizeof(*all));
    if (!all) {
        /* Still finalize everything, in list order. */
        size_t emitted = 0;
        while (p->rooted.head)
            emitted += finalize(p, p->rooted.head, DP_INCOMPLETE_NONE, 0);
        while (p->rootless.head)
            emitted += finalize(p, p->rootless.head, rootless_reason, 0);
        return emitted;
    }
    for (dp__trace *t = p->rooted.head; t; t = t->lnext)
        all[k++] = t;
    for (dp__trace *t = p->rootless.head; t; t = t->lnext)
        all[k++] = t;
    qsort(all, k, sizeof(*all), cmp_seq);
    size_t emitted = 0;
    for (size_t i = 0; i < k; i++) {
        uint64_t now = all[i]->last_activity_ns;
        emitted += finalize(
            p, all[i], all[i]->root >= 0 ? DP_INCOMPLETE_NONE : rootless_reason,
            now);
    }
    free(all);
    return emitted;
}

void dp_processor_stats_get(const dp_processor *p, dp_processor_stats *out)
{
    *out = p->stats;
    out->traces_in_memory = p->n_traces;
}
