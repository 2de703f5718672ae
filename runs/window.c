/*
 * window.c - the offline commands' input window (see window.h): an input
 * clock for the processor, the set of traces finalized early, the count of
 * spans that came too late for them, and a progress line on a terminal.
 */
#include "window.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hex.h"
#include "units.h"

/* Rootless traces wait for the end of input: a timeout no clock reaches
 * (and clock + timeout cannot overflow). */
#define WINDOW_NEVER (UINT64_MAX / 4)
#define WINDOW_MAX (UINT64_MAX / 8)

void dp_window_opt_default(dp_window_opt *opt)
{
    opt->unit = DP_WINDOW_SPANS;
    opt->size = DP_WINDOW_DEFAULT_SPANS;
}

int dp_window_parse(const char *s, dp_window_opt *opt)
{
    uint64_t v = 0;
    size_t i;

    if (!s || !*s)
        return DP_EINVAL;
    if (strcmp(s, "all") == 0) {
        opt->unit = DP_WINDOW_ALL;
        opt->size = 0;
        return 0;
    }
    for (i = 0; s[i] >= '0' && s[i] <= '9'; i++) {
        if (v > (WINDOW_MAX - 9) / 10)
            return DP_EINVAL;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    if (i > 0 && s[i] == '\0') {
        opt->unit = v ? DP_WINDOW_SPANS : DP_WINDOW_ALL;
        opt->size = v;
        return 0;
    }
    /* A size needs a byte unit: 256MB, 1GiB, 4096B. */
    if (s[strlen(s) - 1] != 'B' || !dp_parse_size(s, &v) || v > WINDOW_MAX)
        return DP_EINVAL;
    opt->unit = v ? DP_WINDOW_BYTES : DP_WINDOW_ALL;
    opt->size = v;
    return 0;
}

void dp_window_format(const dp_window_opt *opt, char *out, size_t n)
{
    if (opt->unit == DP_WINDOW_SPANS)
        snprintf(out, n, "%" PRIu64 " spans", opt->size);
    else if (opt->unit == DP_WINDOW_BYTES)
        snprintf(out, n, "%" PRIu64 " bytes", opt->size);
    else
        snprintf(out, n, "all");
}

static uint64_t window_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

void dp_window_init(dp_window *w, const dp_window_opt *opt, const char *cmd)
{
    memset(w, 0, sizeof(*w));
    w->opt = *opt;
    w->cmd = cmd;
    w->progress = isatty(STDERR_FILENO) == 1;
    if (w->progress)
        w->started_ns = w->last_progress_ns = window_mono_ns();
}

void dp_window_fini(dp_window *w)
{
    free(w->ids);
    w->ids = NULL;
    w->ids_cap = w->n_ids = 0;
}

void dp_window_processor_config(const dp_window *w, dp_processor_config *cfg)
{
    if (w->opt.unit == DP_WINDOW_ALL)
        return;
    cfg->grace_ns = w->opt.size;
    cfg->idle_timeout_ns = WINDOW_NEVER;
    cfg->late_window_ns = 0;
}

void dp_window_attach(dp_window *w, dp_processor *proc)
{
    w->proc = proc;
}

/* ---- finalized traces: an open-addressing set of fingerprints ---------- */

/* 64 bits of the id, every bit mixed; bit 0 is left for the late flag and
 * 0 means an empty slot. */
static uint64_t trace_fingerprint(const uint8_t id[16])
{
    uint64_t a, b;
    memcpy(&a, id, 8);
    memcpy(&b, id + 8, 8);
    uint64_t h = a ^ (b * 0x9e3779b97f4a7c15ULL) ^ (b >> 29);
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    h &= ~1ULL;
    return h ? h : 2;
}

static uint64_t *ids_slot(uint64_t *ids, size_t cap, uint64_t fp)
{
    size_t i = (size_t)(fp >> 1) & (cap - 1);
    while (ids[i] && (ids[i] & ~1ULL) != fp)
        i = (i + 1) & (cap - 1);
    return &ids[i];
}

static bool ids_grow(dp_window *w)
{
    size_t cap = w->ids_cap ? w->ids_cap * 2 : 4096;
    uint64_t *ids = calloc(cap, sizeof(*ids));
    if (!ids)
        return false;
    for (size_t i = 0; i < w->ids_cap; i++)
        if (w->ids[i])
            *ids_slot(ids, cap, w->ids[i] & ~1ULL) = w->ids[i];
    free(w->ids);
    w->ids = ids;
    w->ids_cap = cap;
    return true;
}

void dp_window_finalized(dp_window *w, const uint8_t trace_id[16])
{
    if (!w->ticking)
        return; /* at end of input: nothing can come after it */
    w->finalized_early++;
    if ((w->n_ids + 1) * 2 > w->ids_cap && !ids_grow(w))
        return; /* out of memory: a later span starts a new trace */
    uint64_t fp = trace_fingerprint(trace_id),
             *s = ids_slot(w->ids, w->ids_cap, fp);
    if (!*s) {
        *s = fp;
        w->n_ids++;
    }
}

/* Counts a span of a trace finalized early; false when its trace was not. */
static bool late_span(dp_window *w, const uint8_t trace_id[16])
{
    if (!w->n_ids)
        return false;
    uint64_t *s = ids_slot(w->ids, w->ids_cap, trace_fingerprint(trace_id));
    if (!*s)
        return false;
    w->late_spans++;
    if (!(*s & 1)) {
        *s |= 1;
        w->late_traces++;
    }
    for (size_t i = 0; i < w->n_late_listed; i++)
        if (memcmp(w->late[i].trace_id, trace_id, 16) == 0) {
            w->late[i].spans++;
            return true;
        }
    if (w->n_late_listed < sizeof(w->late) / sizeof(w->late[0])) {
        memcpy(w->late[w->n_late_listed].trace_id, trace_id, 16);
        w->late[w->n_late_listed++].spans = 1;
    }
    return true;
}

/* ---- the clock ----------------------------------------------------------- */

void dp_window_on_record(void *user, uint64_t offset)
{
    dp_window *w = user;
    if (w->opt.unit == DP_WINDOW_BYTES)
        w->clock = w->bytes_base + offset;
}

void dp_window_file_done(dp_window *w, uint64_t bytes)
{
    w->bytes_base += bytes;
    if (w->opt.unit == DP_WINDOW_BYTES)
        w->clock = w->bytes_base;
}

static void window_progress(dp_window *w)
{
    uint64_t now = window_mono_ns();
    if (now - w->last_progress_ns < 1000000000ULL ||
        now - w->started_ns < 2000000000ULL)
        return;
    w->last_progress_ns = now;
    dp_processor_stats st;
    dp_processor_stats_get(w->proc, &st);
    fprintf(stderr,
            "\rdagprof %s: %" PRIu64 " spans, %" PRIu64 " profiles, %" PRIu64
            " traces in memory ",
            w->cmd, w->spans, st.profiles_emitted, st.traces_in_memory);
    w->progress_shown = true;
}

int dp_window_add_span(dp_window *w, const dp_span_in *span)
{
    int rc;

    w->spans++;
    if (w->progress && (w->spans & 0xffff) == 0)
        window_progress(w);
    if (w->opt.unit == DP_WINDOW_ALL)
        return dp_processor_add_span(w->proc, span, 0);
    if (late_span(w, span->trace_id))
        return 0;
    if (w->opt.unit == DP_WINDOW_SPANS)
        w->clock = w->spans;
    rc = dp_processor_add_span(w->proc, span, w->clock);
    w->ticking = true;
    dp_processor_tick(w->proc, w->clock);
    w->ticking = false;
    return rc;
}

uint64_t dp_window_report(dp_window *w)
{
    char win[64];

    if (w->progress_shown) {
        fputs("\r\033[K", stderr);
        w->progress_shown = false;
    }
    if (!w->late_spans)
        return 0;
    dp_window_format(&w->opt, win, sizeof(win));
    fprintf(stderr,
            "dagprof %s: %" PRIu64 " span(s) of %" PRIu64
            " trace(s) arrived after --window %s had passed since their "
            "trace's last span, when the trace was already finalized; they "
            "are not in its profile (a larger --window, or --window all, "
            "keeps them):\n",
            w->cmd, w->late_spans, w->late_traces, win);
    for (size_t i = 0; i < w->n_late_listed; i++) {
        char hex[33];
        dp_hex_encode(w->late[i].trace_id, 16, hex);
        fprintf(stderr, "  trace %s: %" PRIu64 " late span(s)\n", hex,
                w->late[i].spans);
    }
    if (w->late_traces > w->n_late_listed)
        fprintf(stderr, "  and %" PRIu64 " more trace(s)\n",
                w->late_traces - w->n_late_listed);
    return w->late_spans;
}
