/*
 * report_html.h - finished profiles as one self-contained HTML page.
 *
 * `dagprof report --output html` writes a page with one section per run
 * (Gantt timeline in SVG, cost and tokens by node and by model, summary
 * figures, bottlenecks and recommendations) and, for a DAG seen in several
 * runs, a trends section (wall and cost per run over time with p50/p95
 * lines). The page needs nothing at view time: CSS and SVG are inline,
 * there is no script, no font, image or link outside the page, and a
 * Content-Security-Policy <meta> allows exactly the one inline <style>
 * block by its SHA-256 hash (default-src 'none' for everything else).
 *
 * The writers are split so that a server (the web UI of `dagprof serve`)
 * can compose its own pages from the same parts: dp_html_page_begin() /
 * dp_html_page_end() around any number of dp_html_run_section(),
 * dp_html_trend_section() and dp_html_run_list(), each appending to a
 * dp_buf. A server that sends the policy as a header gets it from
 * dp_html_csp(). Every string that came from a span (node ids, models,
 * tools, DAG ids, details) goes through dp_html_escapen(), the one
 * escaping function of the page.
 *
 * All writers return 0, DP_EINVAL (NULL argument) or DP_ENOMEM; on error
 * the buffer keeps its previous contents.
 */
#ifndef DP_EXPORTER_REPORT_HTML_H
#define DP_EXPORTER_REPORT_HTML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "processor.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Appends s[0..n) escaped for HTML text and for double- or single-quoted
 * attribute values: & < > " ' become entities; valid UTF-8 passes through;
 * each maximal invalid UTF-8 subsequence, NUL and every other control
 * character but tab and line feed (C0, DEL, C1; CR too), and the
 * non-characters U+FFFE / U+FFFF become one U+FFFD, so the result is also
 * well-formed XML. O(n). */
int dp_html_escapen(dp_buf *out, const char *s, size_t n);
/* Same for the NUL-terminated s (NULL appends nothing). */
int dp_html_escape(dp_buf *out, const char *s);

/* Writes the page's Content-Security-Policy into out (NUL-terminated) and
 * returns its length, or DP_ENOMEM / DP_EINVAL when out_len is too small
 * (512 bytes is enough). The policy allows the page's <style> block by
 * hash and nothing else. */
int dp_html_csp(char *out, size_t out_len);

/* Appends the page head (doctype, charset, the CSP meta, the title
 * escaped, the style block) and opens <body> with an <h1> of title. */
int dp_html_page_begin(dp_buf *out, const char *title);
/* Closes what dp_html_page_begin() opened. */
int dp_html_page_end(dp_buf *out);

typedef struct dp_html_run_opts {
    /* Distinct per section in one page: names the section (id="run-N")
     * and prefixes the ids inside its SVG. */
    unsigned index;
    /* False for profiles read back from a JSON profile file, whose calls
     * carry durations but no start times: the timeline then shows each
     * node's LLM and tool share of its execution instead of the calls. */
    bool call_times_known;
    /* When larger than the run (its wall, its latest node end): the time
     * the timeline's width stands for, so that several timelines on one
     * page share a scale. 0: the run's own. */
    int64_t span_ns;
} dp_html_run_opts;

/* Appends <section class="run" id="run-N"> for p: header, summary
 * figures, the timeline, cost and tokens by node and by model,
 * bottlenecks, recommendations, warnings and a node table. p is only
 * read. O(nodes log nodes + calls + edges). */
int dp_html_run_section(dp_buf *out, const dp_profile *p,
                        const dp_html_run_opts *opts);

/* Appends the timeline of p alone (its legend and SVG, as the run section
 * draws it), for pages that compose their own sections: `dagprof whatif`
 * stacks the baseline and the predicted run. */
int dp_html_timeline(dp_buf *out, const dp_profile *p,
                     const dp_html_run_opts *opts);

/* One run as the trends and the run list see it. Strings are not owned
 * and may be NULL (shown as "-"); href, when set, is a link to the run
 * (escaped; "#run-3" in the report, a server path in a UI). */
typedef struct dp_html_trend_run {
    uint64_t start_unix_ns;
    int64_t wall_ns;
    int64_t cost_pusd;
    int64_t tokens; /* input + output */
    const char *trace_id;
    const char *dag_id;
    const char *version;
    bool complete;
    const char *href;
} dp_html_trend_run;

/* Fills r from p (strings point into p; href stays NULL). */
void dp_html_trend_run_from_profile(dp_html_trend_run *r, const dp_profile *p);

/* Appends <section class="trend" id="dag-N"> for the runs of one DAG:
 * wall and cost per run against start time, with p50 and p95 lines
 * (nearest rank, as everywhere in dagprof), and a table of the runs.
 * runs need not be sorted; n >= 1. O(n log n). */
int dp_html_trend_section(dp_buf *out, const char *dag_id,
                          const dp_html_trend_run *runs, size_t n,
                          unsigned index);

/* Appends a table of runs (DAG, start, trace, version, wall, cost,
 * tokens, complete), each row linking to its href when set. */
int dp_html_run_list(dp_buf *out, const dp_html_trend_run *runs, size_t n);

#ifdef __cplusplus
}
#endif

#endif /* DP_EXPORTER_REPORT_HTML_H */
