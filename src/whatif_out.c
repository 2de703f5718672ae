/*
 * whatif_out.c - renders what `dagprof whatif` found (whatif.h): a text
 * report (baseline against predicted wall, critical path, cost and tokens;
 * what each change did; every node's start and end before and after;
 * notes), or one JSON object with the same content (times in ms with 3
 * decimals, money in USD, as in profiles). With --sweep: the wall for each
 * worker count and where more workers stop paying.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "whatif.h"

#define TRY(x)                                                                 \
    do {                                                                       \
        if ((x) != 0)                                                          \
            return DP_ENOMEM;                                                  \
    } while (0)

bool dp_whatif_path_moved(const dp_replay *a, const dp_replay *b)
{
    if (a->n_critical_path != b->n_critical_path)
        return true;
    for (size_t i = 0; i < a->n_critical_path; i++)
        if (a->critical_path[i] != b->critical_path[i])
            return true;
    return false;
}

static const char *fmt_ms(char *out, size_t len, int64_t ns, bool sign)
{
    uint64_t u = ns < 0 ? (uint64_t)0 - (uint64_t)ns : (uint64_t)ns;
    uint64_t us = (u + 500) / 1000;
    snprintf(out, len, "%s%" PRIu64 ".%03" PRIu64 "ms",
             ns < 0 ? "-" : (sign ? "+" : ""), us / 1000, us % 1000);
    return out;
}

static const char *fmt_money(char *out, size_t len, int64_t pusd, bool sign)
{
    /* out: at least 50 bytes */
    char m[48];
    dp_money_text(m, sizeof m, pusd);
    snprintf(out, len, "%s%s", sign && pusd > 0 ? "+" : "", m);
    return out;
}

static const char *fmt_pct(char *out, size_t len, int64_t d, int64_t base)
{
    if (base <= 0 || d == 0) {
        out[0] = '\0';
        return out;
    }
    snprintf(out, len, " (%+.1f%%)", (double)d * 100.0 / (double)base);
    return out;
}

static int64_t tokens_of(const dp_tokens *t)
{
    int64_t a = t->input > 0 ? t->input : 0;
    int64_t z = t->output > 0 ? t->output : 0;
    return a > INT64_MAX - z ? INT64_MAX : a + z;
}

static int path_text(dp_buf *b, const dp_profile *p, const dp_replay *r)
{
    if (!r->n_critical_path)
        return dp_buf_puts(b, "(no nodes)");
    for (size_t i = 0; i < r->n_critical_path; i++)
        TRY(dp_buf_printf(b, "%s%s", i ? " > " : "",
                          p->nodes[r->critical_path[i]].id));
    return 0;
}

static int change_text(dp_buf *b, const dp_change *c)
{
    char s[1024];
    return dp_buf_puts(b, dp_change_format(c, s, sizeof s));
}

static int header(dp_buf *b, const dp_whatif *w)
{
    const dp_profile *p = w->p;
    TRY(dp_buf_printf(b, "whatif: %s, trace %s (%s%s)\n",
                      p->dag_id ? p->dag_id : "", p->trace_id_hex, w->input,
                      w->from_history ? ", its stored profile"
                      : w->from_file  ? ", a profile file"
                                      : ""));
    TRY(dp_buf_puts(b, "changes: "));
    if (!w->n_changes)
        TRY(dp_buf_puts(b, "none"));
    for (size_t i = 0; i < w->n_changes; i++) {
        if (i)
            TRY(dp_buf_puts(b, ", "));
        TRY(change_text(b, &w->changes[i]));
    }
    return dp_buf_puts(b, "\n");
}

static int row_ms(dp_buf *b, const char *name, int64_t a, int64_t z)
{
    char x[48], y[48], d[48], pc[32];
    return dp_buf_printf(
        b, "  %-18s %16s %16s %16s%s\n", name, fmt_ms(x, sizeof x, a, false),
        fmt_ms(y, sizeof y, z, false), fmt_ms(d, sizeof d, z - a, true),
        fmt_pct(pc, sizeof pc, z - a, a));
}

static int notes_text(dp_buf *b, const dp_replay *r)
{
    if (!r->n_notes)
        return 0;
    TRY(dp_buf_puts(b, "\nnotes:\n"));
    for (size_t i = 0; i < r->n_notes; i++)
        TRY(dp_buf_printf(b, "  - %s\n", r->notes[i]));
    return 0;
}

static int sweep_text(dp_buf *b, const dp_whatif *w)
{
    char x[48], y[48], z[48];
    TRY(dp_buf_printf(
        b,
        "\nworkers sweep (the run: %s, %" PRIu32 " leaves at most at once)\n",
        fmt_ms(x, sizeof x, w->base.wall_ns, false), w->base.peak_concurrency));
    TRY(dp_buf_printf(b, "  %7s %16s %9s %16s %8s\n", "workers", "wall",
                      "speed-up", "saved vs N-1", "busiest"));
    for (size_t i = 0; i < w->n_sweep; i++) {
        const dp_whatif_point *pt = &w->sweep[i];
        double ratio =
            pt->wall_ns > 0 ? (double)w->base.wall_ns / (double)pt->wall_ns : 0;
        z[0] = '\0';
        if (i)
            fmt_ms(z, sizeof z, w->sweep[i - 1].wall_ns - pt->wall_ns, false);
        TRY(dp_buf_printf(b, "  %7" PRIu32 " %16s %8.2fx %16s %8" PRIu32 "%s\n",
                          pt->workers, fmt_ms(y, sizeof y, pt->wall_ns, false),
                          ratio, z, pt->peak_concurrency,
                          (long)i == w->stops_paying ? "  <- stops paying"
                                                     : ""));
    }
    if (w->stops_paying >= 0 && w->n_sweep > 1) {
        const dp_whatif_point *pt = &w->sweep[w->stops_paying];
        TRY(dp_buf_printf(
            b,
            "\nFrom %" PRIu32 " workers on the wall stays at %s: more workers "
            "save nothing.\nWhat remains is the dependency chain (critical "
            "path %s)"
            "%s%s%s.\n",
            pt->workers, fmt_ms(x, sizeof x, pt->wall_ns, false),
            fmt_ms(y, sizeof y, pt->critical_path_ns, false),
            pt->wall_ns > pt->critical_path_ns ? " plus " : "",
            pt->wall_ns > pt->critical_path_ns
                ? fmt_ms(z, sizeof z, pt->wall_ns - pt->critical_path_ns, false)
                : "",
            pt->wall_ns > pt->critical_path_ns
                ? " of queue delay and run time outside any node (no-queue "
                  "removes the delay)"
                : ""));
    } else if (w->n_sweep > 1) {
        TRY(dp_buf_printf(b,
                          "\nThe wall still falls at %" PRIu32
                          " workers: try a wider range.\n",
                          w->sweep[w->n_sweep - 1].workers));
    }
    return notes_text(b, &w->base);
}

static int steps_text(dp_buf *b, const dp_whatif *w)
{
    TRY(dp_buf_puts(b, "\nwhat each change did (applied in order):\n"));
    for (size_t i = 0; i < w->n_changes; i++) {
        const dp_replay *prev = i ? &w->steps[i - 1] : &w->base;
        const dp_replay *r = &w->steps[i];
        char x[48], d[48], m[72];
        TRY(dp_buf_printf(b, "  %zu. ", i + 1));
        TRY(change_text(b, &w->changes[i]));
        TRY(dp_buf_printf(
            b, ": wall %s (%s), cost %s",
            fmt_ms(x, sizeof x, r->wall_ns, false),
            fmt_ms(d, sizeof d, r->wall_ns - prev->wall_ns, true),
            fmt_money(m, sizeof m, r->cost_pusd - prev->cost_pusd, true)));
        if (dp_whatif_path_moved(prev, r)) {
            TRY(dp_buf_puts(b, "; critical path moved: "));
            TRY(path_text(b, w->p, r));
        } else {
            TRY(dp_buf_puts(b, "; critical path unchanged"));
        }
        TRY(dp_buf_puts(b, "\n"));
    }
    return 0;
}

static int nodes_text(dp_buf *b, const dp_whatif *w)
{
    const dp_profile *p = w->p;
    int wid = 4;
    for (size_t k = 0; k < p->n_nodes; k++)
        if ((int)strlen(p->nodes[k].id) > wid)
            wid = (int)strlen(p->nodes[k].id);
    if (wid > 40)
        wid = 40;
    TRY(dp_buf_puts(b, "\nnodes (from the run's start; baseline -> "
                       "predicted):\n"));
    TRY(dp_buf_printf(b, "  %-*s %26s %26s %12s\n", wid, "node", "start", "end",
                      "end shift"));
    for (size_t k = 0; k < p->n_nodes; k++) {
        const dp_node *nd = &p->nodes[k];
        const dp_replay_node *o = &w->pred.nodes[k];
        char s0[48], s1[48], e0[48], e1[48], d[48];
        TRY(dp_buf_printf(b, "  %-*s %11s -> %11s %11s -> %11s %12s%s\n", wid,
                          nd->id, fmt_ms(s0, sizeof s0, nd->start_ns, false),
                          fmt_ms(s1, sizeof s1, o->start_ns, false),
                          fmt_ms(e0, sizeof e0, nd->end_ns, false),
                          fmt_ms(e1, sizeof e1, o->end_ns, false),
                          fmt_ms(d, sizeof d, o->end_ns - nd->end_ns, true),
                          nd->kind == DP_NODE_GROUP ? "  (group)" : ""));
    }
    return 0;
}

int dp_whatif_text(dp_buf *b, const dp_whatif *w)
{
    const dp_replay *a = &w->base, *z = &w->pred;
    char x[64], y[64], d[64];
    TRY(header(b, w));
    if (w->sweep)
        return sweep_text(b, w);
    TRY(dp_buf_printf(b, "\n  %-18s %16s %16s %16s\n", "", "baseline",
                      "predicted", "change"));
    TRY(row_ms(b, "wall", a->wall_ns, z->wall_ns));
    TRY(row_ms(b, "critical path", a->critical_path_ns, z->critical_path_ns));
    TRY(row_ms(b, "sumExecution", a->sum_execution_ns, z->sum_execution_ns));
    TRY(dp_buf_printf(b, "  %-18s %16" PRIu32 " %16" PRIu32 "\n",
                      "peak concurrency", a->peak_concurrency,
                      z->peak_concurrency));
    TRY(dp_buf_printf(
        b, "  %-18s %16s %16s %16s\n", "cost",
        fmt_money(x, sizeof x, a->cost_pusd, false),
        fmt_money(y, sizeof y, z->cost_pusd, false),
        fmt_money(d, sizeof d, z->cost_pusd - a->cost_pusd, true)));
    if (w->p->tokens.known)
        TRY(dp_buf_printf(
            b, "  %-18s %16" PRId64 " %16" PRId64 " %+16" PRId64 "\n", "tokens",
            tokens_of(&a->tokens), tokens_of(&z->tokens),
            tokens_of(&z->tokens) - tokens_of(&a->tokens)));
    else
        TRY(dp_buf_printf(b, "  %-18s %16s %16s\n", "tokens", "n/a", "n/a"));
    TRY(dp_buf_puts(b, "\ncritical path:\n  baseline:  "));
    TRY(path_text(b, w->p, a));
    TRY(dp_buf_puts(b, "\n  predicted: "));
    TRY(path_text(b, w->p, z));
    TRY(dp_buf_puts(b, dp_whatif_path_moved(a, z) ? "  (moved)\n"
                                                  : "  (unchanged)\n"));
    TRY(steps_text(b, w));
    TRY(nodes_text(b, w));
    return notes_text(b, z);
}

/* ---- JSON ------------------------------------------------------------- */

/* A member "key":value after the punctuation before ("", "," or "{"). */
static int jstr(dp_buf *b, const char *before, const char *key, const char *v)
{
    TRY(dp_buf_printf(b, "%s\"%s\":", before, key));
    return v ? dp_buf_json_string(b, v) : dp_buf_puts(b, "null");
}

static int jms(dp_buf *b, const char *before, const char *key, int64_t ns)
{
    TRY(dp_buf_printf(b, "%s\"%s\":", before, key));
    return dp_buf_ms(b, ns);
}

static int jpath(dp_buf *b, const dp_profile *p, const dp_replay *r)
{
    TRY(dp_buf_puts(b, "\"criticalPath\":["));
    for (size_t i = 0; i < r->n_critical_path; i++) {
        if (i)
            TRY(dp_buf_puts(b, ","));
        TRY(dp_buf_json_string(b, p->nodes[r->critical_path[i]].id));
    }
    return dp_buf_puts(b, "]");
}

static int jrun(dp_buf *b, const dp_whatif *w, const dp_replay *r)
{
    TRY(jms(b, "{", "wall", r->wall_ns));
    TRY(dp_buf_puts(b, ","));
    TRY(jpath(b, w->p, r));
    TRY(jms(b, ",", "criticalPathDuration", r->critical_path_ns));
    TRY(jms(b, ",", "sumExecution", r->sum_execution_ns));
    TRY(dp_buf_printf(b, ",\"peakConcurrency\":%" PRIu32 ",\"totalTokens\":",
                      r->peak_concurrency));
    if (w->p->tokens.known)
        TRY(dp_buf_printf(b, "%" PRId64, tokens_of(&r->tokens)));
    else
        TRY(dp_buf_puts(b, "null"));
    TRY(dp_buf_puts(b, ",\"totalCost\":"));
    TRY(dp_buf_usd(b, r->cost_pusd));
    return dp_buf_puts(b, "}");
}

static int jnotes(dp_buf *b, const dp_replay *r)
{
    TRY(dp_buf_puts(b, ",\"notes\":["));
    for (size_t i = 0; i < r->n_notes; i++) {
        if (i)
            TRY(dp_buf_puts(b, ","));
        TRY(dp_buf_json_string(b, r->notes[i]));
    }
    return dp_buf_puts(b, "]");
}

static int jchange(dp_buf *b, const dp_change *c)
{
    char s[1024];
    return dp_buf_json_string(b, dp_change_format(c, s, sizeof s));
}

static int jsweep(dp_buf *b, const dp_whatif *w)
{
    TRY(dp_buf_puts(b, ",\"sweep\":{\"parameter\":\"workers\",\"points\":["));
    for (size_t i = 0; i < w->n_sweep; i++) {
        const dp_whatif_point *pt = &w->sweep[i];
        TRY(dp_buf_printf(b, "%s{\"workers\":%" PRIu32, i ? "," : "",
                          pt->workers));
        TRY(jms(b, ",", "wall", pt->wall_ns));
        TRY(jms(b, ",", "criticalPathDuration", pt->critical_path_ns));
        TRY(dp_buf_printf(b, ",\"peakConcurrency\":%" PRIu32 "}",
                          pt->peak_concurrency));
    }
    TRY(dp_buf_puts(b, "],\"stopsPayingAt\":"));
    if (w->stops_paying >= 0)
        TRY(dp_buf_printf(b, "%" PRIu32, w->sweep[w->stops_paying].workers));
    else
        TRY(dp_buf_puts(b, "null"));
    return dp_buf_puts(b, "}");
}

static int jnodes(dp_buf *b, const dp_whatif *w)
{
    const dp_profile *p = w->p;
    TRY(dp_buf_puts(b, ",\"nodes\":["));
    for (size_t k = 0; k < p->n_nodes; k++) {
        const dp_node *nd = &p->nodes[k];
        const dp_replay_node *o = &w->pred.nodes[k];
        TRY(jstr(b, k ? ",{" : "{", "nodeId", nd->id));
        TRY(dp_buf_printf(b, ",\"kind\":\"%s\",\"onCriticalPath\":%s",
                          dp_node_kind_name(nd->kind),
                          o->on_critical_path ? "true" : "false"));
        TRY(jms(b, ",", "start", nd->start_ns));
        TRY(jms(b, ",", "end", nd->end_ns));
        TRY(jms(b, ",", "predictedStart", o->start_ns));
        TRY(jms(b, ",", "predictedEnd", o->end_ns));
        TRY(jms(b, ",", "predictedExecutionTime", o->execution_ns));
        TRY(jms(b, ",", "startShift", o->start_ns - nd->start_ns));
        TRY(jms(b, ",", "endShift", o->end_ns - nd->end_ns));
        TRY(dp_buf_puts(b, ",\"predictedCost\":"));
        TRY(dp_buf_usd(b, o->cost_pusd));
        TRY(dp_buf_puts(b, "}"));
    }
    return dp_buf_puts(b, "]");
}

int dp_whatif_json(dp_buf *b, const dp_whatif *w)
{
    const dp_profile *p = w->p;
    TRY(jstr(b, "{", "input", w->input));
    TRY(jstr(b, ",", "traceId", p->trace_id_hex));
    TRY(jstr(b, ",", "profileId", p->profile_id));
    TRY(jstr(b, ",", "dagId", p->dag_id));
    TRY(dp_buf_printf(b, ",\"source\":\"%s\",\"changes\":[",
                      w->from_file ? "profile" : "trace"));
    for (size_t i = 0; i < w->n_changes; i++) {
        if (i)
            TRY(dp_buf_puts(b, ","));
        TRY(jchange(b, &w->changes[i]));
    }
    TRY(dp_buf_puts(b, "],\"baseline\":"));
    TRY(jrun(b, w, &w->base));
    if (w->sweep) {
        TRY(dp_buf_puts(b, ",\"predicted\":null,\"criticalPathMoved\":null,"
                           "\"steps\":[],\"nodes\":[]"));
        TRY(jnotes(b, &w->base));
        TRY(jsweep(b, w));
        return dp_buf_puts(b, "}\n");
    }
    TRY(dp_buf_puts(b, ",\"predicted\":"));
    TRY(jrun(b, w, &w->pred));
    TRY(dp_buf_printf(b, ",\"criticalPathMoved\":%s,\"steps\":[",
                      dp_whatif_path_moved(&w->base, &w->pred) ? "true"
                                                               : "false"));
    for (size_t i = 0; i < w->n_changes; i++) {
        const dp_replay *prev = i ? &w->steps[i - 1] : &w->base;
        TRY(dp_buf_puts(b, i ? ",{\"change\":" : "{\"change\":"));
        TRY(jchange(b, &w->changes[i]));
        TRY(dp_buf_puts(b, ",\"result\":"));
        TRY(jrun(b, w, &w->steps[i]));
        TRY(dp_buf_printf(b, ",\"criticalPathMoved\":%s}",
                          dp_whatif_path_moved(prev, &w->steps[i]) ? "true"
                                                                   : "false"));
    }
    TRY(dp_buf_puts(b, "]"));
    TRY(jnodes(b, w));
    TRY(jnotes(b, &w->pred));
    TRY(dp_buf_puts(b, ",\"sweep\":null"));
    return dp_buf_puts(b, "}\n");
}
