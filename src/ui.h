/*
 * ui.h - the web UI on the OTLP/HTTP listener (GET /ui/, /ui/run/<trace>,
 * /ui/dag/<id>): pages server-rendered from the history store with the
 * HTML report's parts (exporter/report_html.h).
 */
#ifndef DP_UI_H
#define DP_UI_H

#include <stddef.h>

#include "history_stats.h"
#include "otlp_http.h"

/* The UI over the store at path (not copied; must outlive the server).
 * Each request opens the store read-only (SQLite WAL: readers never block
 * the history writer) and every query is bounded by a LIMIT, because the
 * handler runs on the listener's loop thread. */
typedef struct dp_ui {
    const char *store;
    dp_regress_config regress; /* regression.* */
} dp_ui;

/* Appends the DAG page's body for dag: trend sections per version, a
 * table per day, the regressions of the newest version against the one
 * before. Returns 0, DP_ENOENT (no runs of dag) or DP_E*. */
int dp_ui_dag_body(dp_buf *b, dp_history *h, const char *dag,
                   const dp_regress_config *rc);

/* dp_http_page_fn for the "/ui/" prefix; user is a dp_ui. */
int dp_ui_page(void *user, const char *target, size_t len, dp_http_page *out);

#endif /* DP_UI_H */
