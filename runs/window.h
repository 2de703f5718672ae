/*
 * window.h - the input window of the offline commands (`report`,
 * `report --summary`, `compare`): a trace is finalized before the end of
 * input once its root has arrived and a window of input (spans, or bytes
 * of the files) has gone by without a span for it, so memory follows the
 * window, not the file.
 *
 * It drives the processor with a clock that counts input instead of time:
 * the span's position (or the byte offset of its record), with grace = the
 * window. Rootless traces wait for the end of input as before. A span that
 * arrives for a trace already finalized this way is not profiled: it is
 * counted, per trace, and reported (dp_window_report), never dropped
 * silently. The ids of finalized traces are kept as 64-bit fingerprints
 * (8 to 16 bytes a trace). With the window "all" nothing changes: every
 * trace is finalized at end of input.
 */
#ifndef DP_WINDOW_H
#define DP_WINDOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "processor.h"

enum dp_window_unit {
    DP_WINDOW_ALL = 0, /* the whole input: finalize at end only */
    DP_WINDOW_SPANS = 1,
    DP_WINDOW_BYTES = 2
};

/* The default: long enough that the spans of a run written by the
 * OpenTelemetry Collector's file exporter (or an SDK) all come within it
 * of each other, short enough that memory stays near 100 MB. */
#define DP_WINDOW_DEFAULT_SPANS 250000

typedef struct dp_window_opt {
    int unit; /* enum dp_window_unit */
    uint64_t size;
} dp_window_opt;

/* The default window (DP_WINDOW_DEFAULT_SPANS spans). */
void dp_window_opt_default(dp_window_opt *opt);
/* Parses "all" or "0" (whole input), N (spans, e.g. 1000000) or a size
 * with a byte unit (256MB, 1GiB, 500000B). Returns 0 or DP_EINVAL. */
int dp_window_parse(const char *s, dp_window_opt *opt);
/* "250000 spans", "256000000 bytes", "all". */
void dp_window_format(const dp_window_opt *opt, char *out, size_t n);

/* The lines of --help about --window. */
#define DP_WINDOW_HELP                                                         \
    "  --window N|SIZE|all       finalize a trace before the end of input\n"   \
    "                            once its root has arrived and N spans (or\n"  \
    "                            SIZE of input, e.g. 256MB) have gone by\n"    \
    "                            without one of its spans: memory follows\n"   \
    "                            the window, not the file (default 250000\n"   \
    "                            spans, about 100 MB). A span arriving for "   \
    "a\n"                                                                      \
    "                            trace finalized that way is not in its\n"     \
    "                            profile: it is counted and reported on\n"     \
    "                            stderr. all (or 0) reads the whole input\n"   \
    "                            first, as exact as it gets\n"

struct late_trace {
    uint8_t trace_id[16];
    uint64_t spans;
};

typedef struct dp_window {
    dp_window_opt opt;
    dp_processor *proc;  /* not owned */
    uint64_t clock;      /* spans so far, or input bytes before the record */
    uint64_t bytes_base; /* bytes of the files already read */
    uint64_t spans;      /* spans handed to the processor or counted late */
    bool ticking;        /* finalizations now are early ones */
    uint64_t *ids;       /* finalized traces: fingerprint | 1 if late */
    size_t ids_cap, n_ids;
    struct late_trace late[8]; /* the first traces with late spans */
    size_t n_late_listed;
    uint64_t late_spans, late_traces, finalized_early;
    const char *cmd; /* "report", for progress lines */
    bool progress;   /* stderr is a terminal */
    uint64_t started_ns, last_progress_ns;
    bool progress_shown;
} dp_window;

/* Fills w; cmd names the command in messages. */
void dp_window_init(dp_window *w, const dp_window_opt *opt, const char *cmd);
void dp_window_fini(dp_window *w);

/* Sets the processor settings the window needs (grace = window, rootless
 * traces never time out, no late window of the processor's own). The
 * caller also sets cfg->on_finalized to a function that calls
 * dp_window_finalized. */
void dp_window_processor_config(const dp_window *w, dp_processor_config *cfg);
/* The processor to feed (after dp_processor_create). */
void dp_window_attach(dp_window *w, dp_processor *proc);

/* For the processor's on_finalized: remembers a trace finalized early. */
void dp_window_finalized(dp_window *w, const uint8_t trace_id[16]);

/* For dp_trace_file_opts.on_record (user is the dp_window): the byte clock
 * of the record about to be decoded. */
void dp_window_on_record(void *user, uint64_t offset);
/* After each file, with the bytes read from it. */
void dp_window_file_done(dp_window *w, uint64_t bytes);

/* Adds one span: counted as late when its trace was finalized early, else
 * handed to the processor at the window's clock, then finalizes the traces
 * the window has passed. Returns what dp_processor_add_span returns (0 for
 * a late span). O(1) amortized besides the processor's own cost. */
int dp_window_add_span(dp_window *w, const dp_span_in *span);

/* Writes the late spans (if any) to stderr: how many, of how many traces,
 * the first traces by id, and what to change; clears a progress line.
 * Returns the number of late spans. */
uint64_t dp_window_report(dp_window *w);

#endif /* DP_WINDOW_H */
