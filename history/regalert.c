/*
 * regalert.c - the `regression` alert condition over the history store
 * (regalert.h): a watcher thread, the per-rule check, the fired set and
 * its state file, and the ALERT record.
 *
 * Cost per pass: one versions query per rule (an index answers it); the
 * two versions' runs with their nodes are read only when a side's run
 * count changed, O(runs x nodes) then. The fired set is a list searched
 * linearly: one entry per (rule, version, regressed node), small.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "json_enc.h"
#include "log.h"
#include "regalert.h"

struct seen { /* what a rule last compared */
    char *cand;
    uint64_t base_runs, cand_runs;
};

struct dp_regalert {
    dp_regalert_config cfg;
    char instance[160]; /* host:pid:random, names our claims */
    char *store, *state_path;
    dp_history *h;
    struct seen *seen; /* per regression rule */
    char **fired;      /* keys: JSON arrays, as in the state file */
    size_t n_fired, cap_fired;
    bool open_failed_logged;
    pthread_mutex_t lock; /* one pass at a time */
    pthread_mutex_t wlock;
    pthread_cond_t cv;
    pthread_t thread;
    bool thread_started, stopping;
};

static uint64_t real_unix_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

char *dp_regalert_state_path(const char *store, const char *dir)
{
    dp_buf b;
    dp_buf_init(&b);
    if (strncmp(store, "clickhouse://", 13) == 0)
        dp_buf_printf(&b, "%s/regression-alerts", dir && *dir ? dir : ".");
    else
        dp_buf_printf(&b, "%s.alerts",
                      strncmp(store, "sqlite:", 7) == 0 ? store + 7 : store);
    return b.data; /* NULL on ENOMEM */
}

static bool fired_has(const dp_regalert *w, const char *key)
{
    for (size_t i = 0; i < w->n_fired; i++)
        if (strcmp(w->fired[i], key) == 0)
            return true;
    return false;
}

static int fired_add(dp_regalert *w, const char *key)
{
    if (w->n_fired == w->cap_fired) {
        size_t cap = w->cap_fired ? w->cap_fired * 2 : 16;
        char **nf = realloc(w->fired, cap * sizeof(*nf));
        if (!nf)
            return DP_ENOMEM;
        w->fired = nf;
        w->cap_fired = cap;
    }
    if (!(w->fired[w->n_fired] = strdup(key)))
        return DP_ENOMEM;
    w->n_fired++;
    return 0;
}

/* Appends key to the state file; a failure is logged, the alert stands. */
static void state_append(dp_regalert *w, const char *key)
{
    if (!w->state_path)
        return;
    FILE *f = fopen(w->state_path, "a");
    if (!f || fprintf(f, "%s\n", key) < 0 || fclose(f) != 0) {
        if (f)
            fclose(f);
        dp_log_error("alerts",
                     "%s: cannot record a fired regression alert "
                     "(%s); a restart may fire it again",
                     w->state_path, strerror(errno));
    }
}

static int state_load(dp_regalert *w, char *err, size_t err_len)
{
    FILE *f = fopen(w->state_path, "r");
    if (!f) {
        if (errno == ENOENT)
            return 0;
        snprintf(err, err_len, "%s: %s", w->state_path, strerror(errno));
        return DP_EIO;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int rc = 0;
    while (!rc && (n = getline(&line, &cap, f)) > 0) {
        while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            line[--n] = '\0';
        if (n && line[0] == '[' && !fired_has(w, line))
            rc = fired_add(w, line);
    }
    free(line);
    fclose(f);
    if (rc)
        snprintf(err, err_len, "%s: out of memory", w->state_path);
    return rc;
}

/* ---- one rule ----------------------------------------------------------- */

static void metric_value(dp_buf *b, const char *field, const char *node,
                         const dp_regress_metric *m, bool money)
{
    dp_buf_puts(b, b->len && b->data[b->len - 1] == '}' ? "," : "");
    dp_buf_puts(b, "{\"field\":");
    dp_buf_json_string(b, field);
    if (node) {
        dp_buf_puts(b, ",\"nodeId\":");
        dp_buf_json_string(b, node);
    }
    dp_buf_puts(b, ",\"value\":");
    money ? dp_buf_usd(b, m->cand_p50) : dp_buf_ms(b, m->cand_p50);
    dp_buf_puts(b, ",\"baseline\":");
    money ? dp_buf_usd(b, m->base_p50) : dp_buf_ms(b, m->base_p50);
    dp_buf_printf(b, ",\"unit\":\"%s\"", money ? "USD" : "ms");
    if (m->has_change)
        dp_buf_printf(b, ",\"changePercent\":%.2f", m->change_percent);
    else
        dp_buf_puts(b, ",\"changePercent\":null");
    dp_buf_printf(b, ",\"pValue\":%.3g}", m->p_value);
}

static dp_record *alert_record(const dp_alert_regression *rule,
                               const dp_regress_config *rc, const char *base,
                               const char *cand, const dp_regress_row *row,
                               uint64_t now)
{
    const char *node = row->node_id;
    dp_buf b, vals;
    dp_buf_init(&b);
    dp_buf_init(&vals);
    if (row->time.verdict == DP_VERDICT_REGRESSION)
        metric_value(&vals, node ? "node.executionTime" : "wall", node,
                     &row->time, false);
    if (row->cost.verdict == DP_VERDICT_REGRESSION)
        metric_value(&vals, node ? "node.cost" : "cost", node, &row->cost,
                     true);
    dp_alert_json_begin(&b, rule->name, rule->severity, rule->dag);
    dp_buf_puts(&b, ",\"traceId\":null,\"profileId\":null,\"time\":");
    dp__enc_put_rfc3339(&b, now);
    dp_buf_puts(&b, ",\"condition\":\"regression\",\"version\":");
    dp_buf_json_string(&b, cand);
    dp_buf_puts(&b, ",\"baseline\":");
    dp_buf_json_string(&b, base);
    dp_buf_puts(&b, ",\"nodeId\":");
    if (node)
        dp_buf_json_string(&b, node);
    else
        dp_buf_puts(&b, "null");
    dp_buf_printf(&b,
                  ",\"baselineRuns\":%llu,\"candidateRuns\":%llu,"
                  "\"thresholds\":{\"minChange\":%g,\"pValue\":%g,"
                  "\"minRuns\":%llu},"
                  "\"values\":[",
                  (unsigned long long)row->base_runs,
                  (unsigned long long)row->cand_runs, rc->min_change,
                  rc->p_value, (unsigned long long)rc->min_runs);
    dp_buf_puts(&b, vals.data ? vals.data : "");
    int err = dp_buf_puts(&b, "]}");
    dp_buf_fini(&vals);
    dp_record *rec =
        dp_record_alert(&b, err, rule->name, rule->dag, rule->severity, now);
    if (rec) /* no trace: zeros */
        memset(rec->trace_id_hex, '0', 32);
    return rec;
}

/* The fired-set key of (rule, dag, version, node). */
static int make_key(dp_buf *k, const dp_alert_regression *rule,
                    const char *cand, const char *node)
{
    dp_buf_reset(k);
    dp_buf_puts(k, "[");
    dp_buf_json_string(k, rule->name);
    dp_buf_puts(k, ",");
    dp_buf_json_string(k, rule->dag);
    dp_buf_puts(k, ",");
    dp_buf_json_string(k, cand);
    dp_buf_puts(k, ",");
    if (node)
        dp_buf_json_string(k, node);
    else
        dp_buf_puts(k, "null");
    return dp_buf_puts(k, "]") || !k->data ? DP_ENOMEM : 0;
}

/* Checks one rule; returns the alerts emitted, or a negative DP_E*. */
static long check_rule(dp_regalert *w, size_t ri)
{
    const dp_alert_regression *rule =
        dp_alerts_regression_get(w->cfg.alerts, ri);
    struct seen *seen = &w->seen[ri];
    dp_regress_config rc = w->cfg.defaults;
    if (rule->min_change > 0)
        rc.min_change = rule->min_change;
    if (rule->p_value > 0)
        rc.p_value = rule->p_value;
    if (rule->min_runs)
        rc.min_runs = rule->min_runs;
    dp_history_filter f;
    memset(&f, 0, sizeof(f));
    f.dag = rule->dag;
    dp_regress_versions l;
    dp_regress *r = NULL;
    dp_buf key;
    dp_buf_init(&key);
    long fired = 0;
    size_t bi, ci;
    int err = dp_regress_versions_read(w->h, &f, &l);
    if (err || !dp_regress_versions_pick(&l, NULL, NULL, &bi, &ci))
        goto done;
    if (l.runs[ci] < rc.min_runs || l.runs[bi] < rc.min_runs)
        goto done; /* not enough runs yet: look again later */
    if (seen->cand && strcmp(seen->cand, l.v[ci]) == 0 &&
        seen->base_runs == l.runs[bi] && seen->cand_runs == l.runs[ci])
        goto done; /* nothing new since the last look */
    if (!(r = dp_regress_create())) {
        err = DP_ENOMEM;
        goto done;
    }
    dp_regress_versions_narrow(&l, bi, ci, &f);
    err = dp_history_regress(w->h, &f, l.v[bi], l.v[ci], r);
    const dp_regress_row *rows = NULL;
    long n = err ? 0 : dp_regress_compute(r, &rc, &rows);
    if (n < 0)
        err = (int)n;
    /* The regressed rows not fired yet, and their keys. */
    long *todo = n > 0 ? calloc((size_t)n, sizeof(*todo)) : NULL;
    char **keys = n > 0 ? calloc((size_t)n, sizeof(*keys)) : NULL;
    bool *won = n > 0 ? calloc((size_t)n, sizeof(*won)) : NULL;
    size_t k = 0;
    if (n > 0 && (!todo || !keys || !won))
        err = DP_ENOMEM;
    for (long i = 0; !err && i < n; i++) {
        if (rows[i].time.verdict != DP_VERDICT_REGRESSION &&
            rows[i].cost.verdict != DP_VERDICT_REGRESSION)
            continue;
        if ((err = make_key(&key, rule, l.v[ci], rows[i].node_id)))
            break;
        if (fired_has(w, key.data))
            continue;
        if (!(keys[k] = strdup(key.data))) {
            err = DP_ENOMEM;
            break;
        }
        todo[k++] = i;
    }
    /* Shards sharing the store claim the keys; one fires each. */
    if (!err && k) {
        int e = dp_history_claim(w->h, (const char *const *)keys, k,
                                 w->instance, w->cfg.claim_settle_ns, won);
        if (e == DP_ENOENT) /* the fired set is ours alone */
            for (size_t j = 0; j < k; j++)
                won[j] = true;
        else
            err = e;
    }
    uint64_t now = w->cfg.clock_unix_ns();
    for (size_t j = 0; !err && j < k; j++) {
        const dp_regress_row *row = &rows[todo[j]];
        dp_record *rec =
            won[j] ? alert_record(rule, &rc, l.v[bi], l.v[ci], row, now) : NULL;
        if ((won[j] && !rec) || (err = fired_add(w, keys[j]))) {
            if (rec)
                dp_record_unref(rec);
            err = DP_ENOMEM;
            break;
        }
        state_append(w, keys[j]);
        if (!won[j]) {
            dp_log_info("alerts",
                        "%s: %s version %s against %s, %s: fired by another "
                        "dagprof sharing the store",
                        rule->name, rule->dag, l.v[ci], l.v[bi],
                        row->node_id ? row->node_id : "(run)");
            continue;
        }
        dp_log_info("alerts", "%s (%s) fired: %s version %s against %s, %s",
                    rule->name, dp_alert_severity_name(rule->severity),
                    rule->dag, l.v[ci], l.v[bi],
                    row->node_id ? row->node_id : "(run)");
        fired++;
        w->cfg.emit(w->cfg.user, rec);
    }
    for (size_t j = 0; keys && j < k; j++)
        free(keys[j]);
    free(keys);
    free(todo);
    free(won);
    if (!err) { /* a failed pass is tried again next time */
        char *c = strdup(l.v[ci]);
        if (c) {
            free(seen->cand);
            seen->cand = c;
            seen->base_runs = l.runs[bi];
            seen->cand_runs = l.runs[ci];
        }
    }
done:
    if (err)
        dp_log_warn("alerts", "%s: regression check of %s: %s", rule->name,
                    rule->dag, dp_strerror(err));
    dp_regress_destroy(r);
    dp_buf_fini(&key);
    dp_regress_versions_fini(&l);
    return err ? err : fired;
}

size_t dp_regalert_check(dp_regalert *w)
{
    size_t fired = 0;
    pthread_mutex_lock(&w->lock);
    if (!w->h) {
        char msg[400];
        w->h = dp_history_open(w->store, msg, sizeof(msg));
        if (!w->h) {
            if (!w->open_failed_logged)
                dp_log_warn("alerts",
                            "regression rules wait for the "
                            "history store: %s",
                            msg);
            w->open_failed_logged = true;
            pthread_mutex_unlock(&w->lock);
            return 0;
        }
    }
    size_t n = dp_alerts_regression_count(w->cfg.alerts);
    for (size_t i = 0; i < n; i++) {
        long k = check_rule(w, i);
        if (k > 0)
            fired += (size_t)k;
    }
    pthread_mutex_unlock(&w->lock);
    return fired;
}

static void *watch_main(void *arg)
{
    dp_regalert *w = arg;
    pthread_mutex_lock(&w->wlock);
    while (!w->stopping) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        uint64_t wake = (uint64_t)ts.tv_sec * 1000000000ULL +
                        (uint64_t)ts.tv_nsec + w->cfg.interval_ns;
        ts.tv_sec = (time_t)(wake / 1000000000ULL);
        ts.tv_nsec = (long)(wake % 1000000000ULL);
        while (!w->stopping &&
               pthread_cond_timedwait(&w->cv, &w->wlock, &ts) != ETIMEDOUT)
            ;
        if (w->stopping)
            break;
        pthread_mutex_unlock(&w->wlock);
        dp_regalert_check(w);
        pthread_mutex_lock(&w->wlock);
    }
    pthread_mutex_unlock(&w->wlock);
    return NULL;
}

void dp_regalert_destroy(dp_regalert *w)
{
    if (!w)
        return;
    if (w->thread_started) {
        pthread_mutex_lock(&w->wlock);
        w->stopping = true;
        pthread_cond_signal(&w->cv);
        pthread_mutex_unlock(&w->wlock);
        pthread_join(w->thread, NULL);
    }
    dp_history_close(w->h);
    size_t n = dp_alerts_regression_count(w->cfg.alerts);
    for (size_t i = 0; w->seen && i < n; i++)
        free(w->seen[i].cand);
    free(w->seen);
    for (size_t i = 0; i < w->n_fired; i++)
        free(w->fired[i]);
    free(w->fired);
    pthread_cond_destroy(&w->cv);
    pthread_mutex_destroy(&w->wlock);
    pthread_mutex_destroy(&w->lock);
    free(w->store);
    free(w->state_path);
    free(w);
}

dp_regalert *dp_regalert_create(const dp_regalert_config *cfg, char *err,
                                size_t err_len)
{
    dp_regalert *w = calloc(1, sizeof(*w));
    if (!w) {
        snprintf(err, err_len, "out of memory");
        return NULL;
    }
    w->cfg = *cfg;
    if (!w->cfg.clock_unix_ns)
        w->cfg.clock_unix_ns = real_unix_ns;
    if (!w->cfg.claim_settle_ns)
        w->cfg.claim_settle_ns = 1000000000ULL;
    char host[64] = "";
    uint32_t rnd = 0;
    gethostname(host, sizeof(host) - 1);
    if (getrandom(&rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
        rnd = (uint32_t)real_unix_ns();
    snprintf(w->instance, sizeof(w->instance), "%s:%ld:%08x", host,
             (long)getpid(), rnd);
    pthread_mutex_init(&w->lock, NULL);
    pthread_mutex_init(&w->wlock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&w->cv, &ca);
    pthread_condattr_destroy(&ca);
    size_t n = dp_alerts_regression_count(cfg->alerts);
    w->store = cfg->store ? strdup(cfg->store) : NULL;
    w->seen = calloc(n ? n : 1, sizeof(*w->seen));
    if (!w->store || !w->seen ||
        (cfg->state_path && !(w->state_path = strdup(cfg->state_path)))) {
        snprintf(err, err_len, "out of memory or no history store");
        goto fail;
    }
    if (w->state_path && state_load(w, err, err_len))
        goto fail;
    if (cfg->interval_ns) {
        if (pthread_create(&w->thread, NULL, watch_main, w) != 0) {
            snprintf(err, err_len, "cannot start the regression alert thread");
            goto fail;
        }
        w->thread_started = true;
    }
    return w;
fail:
    dp_regalert_destroy(w);
    return NULL;
}
