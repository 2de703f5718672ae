/*
 * report_html_internal.h - what the files of the HTML report share
 * (report_html.c: page, escaping, run section; report_html_gantt.c: the
 * timeline; report_html_charts.c: bars, trends, run list). Not for use
 * outside exporter/ except by the unit tests, which check the geometry
 * with exact numbers.
 */
#ifndef DP_EXPORTER_REPORT_HTML_INTERNAL_H
#define DP_EXPORTER_REPORT_HTML_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "report_html.h"

/* A writer that stops at the first error (checked once at the end). */
typedef struct dp__hw {
    dp_buf *b;
    int err;
    size_t start; /* b->len when the writer began */
} dp__hw;

/* A writer appending to out (not NULL) from its current end. */
static inline dp__hw dp__hw_begin(dp_buf *out)
{
    dp__hw w = {out, 0, out->len};
    return w;
}
/* Returns w->err; after an error takes back all w wrote, so out is as
 * dp__hw_begin found it. */
int dp__hw_end(dp__hw *w);
/* o, or the options of a lone run (index 1, call times known, its own
 * scale) when o is NULL. */
const dp_html_run_opts *dp__html_opts(const dp_html_run_opts *o);

void dp__hw_putn(dp__hw *w, const char *s, size_t n);
void dp__hw_put(dp__hw *w, const char *s);
void dp__hw_putf(dp__hw *w, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Escaped (dp_html_escapen); NULL writes "-". */
void dp__hw_esc(dp__hw *w, const char *s);
/* Escaped and cut to at most max_cps code points (the last one "…" when
 * cut), never inside a UTF-8 sequence. */
void dp__hw_esc_cut(dp__hw *w, const char *s, size_t max_cps);

/* The exact milliseconds of ns as the JSON profile writes them
 * (dp_buf_ms: 3 decimals). */
void dp__hw_ms(dp__hw *w, int64_t ns);

/* Human durations: "0 ms", "0.042 ms", "12.5 ms", "812 ms", "3.42 s",
 * "2 min 5.0 s", "1 h 02 min". Into out (32 bytes is enough). */
const char *dp__html_dur(char *out, size_t len, int64_t ns);
/* dp_money_text() made safe for HTML text ("<$0.0001" -> "&lt;$0.0001"):
 * every amount on the page goes through this. out: 64 bytes. */
const char *dp__html_money(char *out, size_t len, int64_t pusd);
/* input + output tokens, saturating at INT64_MAX (totalTokens). */
int64_t dp__html_tokens(const dp_tokens *t);
/* A count with thousands separators: 1234567 -> "1,234,567". */
const char *dp__html_count(char *out, size_t len, int64_t v);
/* A UTC time "2024-01-15 10:30:00" (with_seconds) or "01-15 10:30". */
const char *dp__html_utc(char *out, size_t len, uint64_t unix_ns,
                         bool with_date_year, bool with_seconds);

/* ---- axis ---------------------------------------------------------- */

/* The tick step for an axis over [0, range]: the smallest 1, 2 or 5 x
 * 10^k (k >= 0) with range / step <= max_ticks. range <= 0 gives 1. */
int64_t dp__html_nice_step(int64_t range, unsigned max_ticks);
/* The label of time tick t on an axis of step step_ns: milliseconds
 * below a 1 s step ("0 ms", "250 ms", "0.5 ms"), else seconds ("1 s",
 * "2.5 s"), with as many decimals as the step needs. */
const char *dp__html_tick_label(char *out, size_t len, int64_t t_ns,
                                int64_t step_ns);

/* ---- timeline layout ----------------------------------------------- */

#define DP__HTML_WIDTH 1200.0 /* SVG user units (CSS px) */
#define DP__HTML_LABEL_W 250.0
#define DP__HTML_PLOT_X0 262.0
#define DP__HTML_PLOT_W 870.0 /* leaves 68 on the right for badges */
#define DP__HTML_AXIS_H 30.0

typedef struct dp__html_row {
    size_t node;    /* index into p->nodes */
    unsigned depth; /* 0 at top level, +1 per enclosing group */
    double y;       /* top of the row */
} dp__html_row;

typedef struct dp__html_layout {
    dp__html_row *rows; /* tree order: a group, then its children */
    size_t n_rows;      /* = p->n_nodes */
    size_t *row_of;     /* node index -> row index */
    int64_t span_ns;    /* what the plot width stands for (>= 1) */
    double row_h, bar_h, font_px;
    unsigned label_chars; /* at depth 0; 2 fewer per level, at least 8 */
    double height;        /* of the whole SVG */
    bool big; /* many rows: arrows off the critical path show on hover */
} dp__html_layout;

/* Lays out p's timeline: one row per node in tree order (siblings in
 * profile order, i.e. by start), row height and font chosen by the number
 * of rows (24 px up to 40 rows, 18 up to 120, 13 beyond). Returns 0 or
 * DP_ENOMEM. O(nodes). */
int dp__html_layout_init(dp__html_layout *l, const dp_profile *p);
void dp__html_layout_fini(dp__html_layout *l);
/* x of time t (offset from run start) in the SVG: PLOT_X0 + t / span x
 * PLOT_W, clamped to the plot. */
double dp__html_x(const dp__html_layout *l, int64_t t_ns);

/* Appends the timeline <svg> of p (legend above it). */
void dp__html_gantt(dp__hw *w, const dp_profile *p, const dp_html_run_opts *o);

/* ---- charts -------------------------------------------------------- */

/* Appends the cost and tokens bars by node and by model. */
void dp__html_cost_charts(dp__hw *w, const dp_profile *p, unsigned index);

#endif /* DP_EXPORTER_REPORT_HTML_INTERNAL_H */
