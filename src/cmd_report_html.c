/*
 * cmd_report_html.c - the page of `dagprof report --output html`.
 *
 * Profiles stream through: each one's run section is written as soon as it
 * is finalized (exporter/report_html.c) and the profile freed; what stays
 * is one small record per run (start, wall, cost, tokens, trace, DAG and
 * version strings) for the end of the page: a trends section per DAG seen
 * in several runs (with --summary: every DAG, and no run sections) and the
 * list of all runs, each linking to its section (not with --summary).
 */
#include "cmd_report_html.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_html.h"

typedef struct rec {
    dp_html_trend_run run;
    char href[32];
    unsigned section; /* 1-based, 0 with summary_only */
} rec;

struct dp_report_html {
    bool summary_only;
    rec *recs;
    size_t n, cap;
};

dp_report_html *dp_report_html_create(bool summary_only)
{
    dp_report_html *h = calloc(1, sizeof(*h));
    if (h)
        h->summary_only = summary_only;
    return h;
}

void dp_report_html_destroy(dp_report_html *h)
{
    if (h == NULL)
        return;
    for (size_t i = 0; i < h->n; i++) {
        free((char *)h->recs[i].run.trace_id);
        free((char *)h->recs[i].run.dag_id);
        free((char *)h->recs[i].run.version);
    }
    free(h->recs);
    free(h);
}

int dp_report_html_begin(dp_report_html *h, dp_buf *out)
{
    return dp_html_page_begin(out, h->summary_only ? "dagprof summary"
                                                   : "dagprof report");
}

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

int dp_report_html_add(dp_report_html *h, dp_buf *out, const dp_profile *p,
                       bool call_times_known)
{
    rec *r;
    if (h->n == h->cap) {
        size_t cap = h->cap ? 2 * h->cap : 16;
        rec *nr = realloc(h->recs, cap * sizeof(*nr));
        if (!nr)
            return DP_ENOMEM;
        h->recs = nr;
        h->cap = cap;
    }
    r = &h->recs[h->n];
    memset(r, 0, sizeof(*r));
    dp_html_trend_run_from_profile(&r->run, p);
    r->run.trace_id = strdup(p->trace_id_hex);
    r->run.dag_id = strdup(p->dag_id ? p->dag_id : "");
    r->run.version = dup_or_null(p->version);
    if (!r->run.trace_id || !r->run.dag_id || (p->version && !r->run.version)) {
        free((char *)r->run.trace_id);
        free((char *)r->run.dag_id);
        free((char *)r->run.version);
        return DP_ENOMEM;
    }
    if (!h->summary_only) {
        dp_html_run_opts o;
        int err;
        r->section = (unsigned)h->n + 1;
        o.index = r->section;
        o.call_times_known = call_times_known;
        err = dp_html_run_section(out, p, &o);
        if (err) {
            free((char *)r->run.trace_id);
            free((char *)r->run.dag_id);
            free((char *)r->run.version);
            return err;
        }
        snprintf(r->href, sizeof(r->href), "#run-%u", r->section);
        r->run.href = r->href;
    }
    h->n++;
    return 0;
}

static int cmp_dag(const void *a, const void *b)
{
    const rec *x = *(const rec *const *)a, *y = *(const rec *const *)b;
    int c = strcmp(x->run.dag_id, y->run.dag_id);
    if (c)
        return c;
    if (x->run.start_unix_ns != y->run.start_unix_ns)
        return x->run.start_unix_ns < y->run.start_unix_ns ? -1 : 1;
    return x < y ? -1 : x > y;
}

int dp_report_html_end(dp_report_html *h, dp_buf *out)
{
    rec **by_dag = NULL;
    dp_html_trend_run *runs = NULL;
    unsigned dags = 0;
    int err = 0;
    if (h->n == 0) {
        err = dp_buf_puts(out, "<p class=\"muted\">No runs.</p>\n");
        return err ? err : dp_html_page_end(out);
    }
    by_dag = malloc(h->n * sizeof(*by_dag));
    runs = malloc(h->n * sizeof(*runs));
    if (!by_dag || !runs) {
        free(by_dag);
        free(runs);
        return DP_ENOMEM;
    }
    /* (Re)point the links: recs may have moved since they were set. */
    for (size_t i = 0; i < h->n; i++) {
        h->recs[i].run.href = h->recs[i].section ? h->recs[i].href : NULL;
        by_dag[i] = &h->recs[i];
    }
    qsort(by_dag, h->n, sizeof(*by_dag), cmp_dag);
    for (size_t i = 0; i < h->n && !err;) {
        size_t j = i;
        while (j < h->n &&
               strcmp(by_dag[j]->run.dag_id, by_dag[i]->run.dag_id) == 0)
            j++;
        if (j - i >= 2 || h->summary_only) {
            for (size_t k = i; k < j; k++)
                runs[k - i] = by_dag[k]->run;
            err = dp_html_trend_section(out, by_dag[i]->run.dag_id, runs, j - i,
                                        ++dags);
        }
        i = j;
    }
    /* The list of all runs, linking to their sections, when there is more
     * than one (with --summary each DAG's section lists its runs). */
    if (!err && h->n > 1 && !h->summary_only) {
        for (size_t i = 0; i < h->n; i++)
            runs[i] = h->recs[i].run;
        err = dp_buf_printf(out,
                            "<section class=\"runlist\"><h2>All %zu run%s"
                            "</h2>\n",
                            h->n, h->n == 1 ? "" : "s");
        if (!err)
            err = dp_html_run_list(out, runs, h->n);
        if (!err)
            err = dp_buf_puts(out, "</section>\n");
    }
    if (!err)
        err = dp_html_page_end(out);
    free(by_dag);
    free(runs);
    return err;
}
