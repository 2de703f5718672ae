/*
 * cmd_report_html.h - `dagprof report --output html`: the page around the
 * run sections, and the few numbers per run that the trends at its end
 * need (exporter/report_html.h draws everything).
 */
#ifndef DP_SRC_CMD_REPORT_HTML_H
#define DP_SRC_CMD_REPORT_HTML_H

#include <stdbool.h>

#include "buf.h"
#include "processor.h"

typedef struct dp_report_html dp_report_html;

/* summary_only (--summary): no run sections, the trends of every DAG.
 * NULL on ENOMEM. */
dp_report_html *dp_report_html_create(bool summary_only);
void dp_report_html_destroy(dp_report_html *h);

/* Appends the page head to out. 0 or DP_ENOMEM. */
int dp_report_html_begin(dp_report_html *h, dp_buf *out);
/* Appends the run section of p to out (nothing with summary_only) and
 * keeps p's start, wall, cost, tokens and ids for the trends (copies: p may
 * be freed next). call_times_known: false when p was read back from a
 * profile file. 0 or DP_ENOMEM. */
int dp_report_html_add(dp_report_html *h, dp_buf *out, const dp_profile *p,
                       bool call_times_known);
/* Appends a trends section for every DAG with two runs or more (every DAG
 * with summary_only), the list of all runs and the end of the page.
 * O(runs log runs). 0 or DP_ENOMEM. */
int dp_report_html_end(dp_report_html *h, dp_buf *out);

#endif /* DP_SRC_CMD_REPORT_HTML_H */
