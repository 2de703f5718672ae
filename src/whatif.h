/*
 * whatif.h - what `dagprof whatif` found (cmd_whatif.c computes it with
 * the processor's replay, replay.h) and its two renderings, text and JSON
 * (whatif_out.c), and an HTML page (whatif_html.c).
 */
#ifndef DP_WHATIF_H
#define DP_WHATIF_H

#include "buf.h"
#include "processor.h"
#include "replay.h"

typedef struct dp_whatif_point {
    uint32_t workers;
    int64_t wall_ns;
    int64_t critical_path_ns;
    uint32_t peak_concurrency;
} dp_whatif_point;

typedef struct dp_whatif {
    const char *input; /* the file as named on the command line */
    const dp_profile *p;
    bool from_file;    /* a profile file (no per-call detail) */
    bool from_history; /* the stored profile of a history store's run */
    const dp_change *changes;
    size_t n_changes;
    dp_replay base;   /* nothing changed: the run itself */
    dp_replay pred;   /* every change applied */
    dp_replay *steps; /* steps[i]: changes[0..i] applied; n_changes */
    /* --sweep workers=LO..HI (with the other changes applied) */
    dp_whatif_point *sweep;
    size_t n_sweep;
    long stops_paying; /* index into sweep of the first point whose wall
                          more workers no longer lower, -1: still falling */
} dp_whatif;

/* True when the two replays' critical paths differ (as node lists). */
bool dp_whatif_path_moved(const dp_replay *a, const dp_replay *b);

/* Render w (without --sweep: the comparison; with: the curve). 0 or
 * DP_ENOMEM. */
int dp_whatif_text(dp_buf *b, const dp_whatif *w);
int dp_whatif_json(dp_buf *b, const dp_whatif *w);
/* One self-contained HTML page: the comparison and the baseline and
 * predicted timelines stacked (whatif_html.c). */
int dp_whatif_html(dp_buf *b, const dp_whatif *w);

#endif /* DP_WHATIF_H */
