/*
 * ui_query.h - the web UI's request targets: the path split from the
 * query string, percent-decoding, the run-list filters
 * (?dag=&version=&since=&complete=&sort=&limit=&offset=), and the runs a
 * page keeps from the history store (the run list and the DAG page).
 */
#ifndef DP_UI_QUERY_H
#define DP_UI_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "history.h"
#include "report_html.h"

#define DP_UI_VALUE_MAX 256 /* longest decoded value kept */
#define DP_UI_LIMIT_MAX 200 /* runs per page at most */
#define DP_UI_OFFSET_MAX 10000

/* Percent-decodes s[0..n) ('+' is a space) into out (NUL-terminated).
 * Returns the decoded length, or -1 on a bad escape, an encoded NUL or a
 * value longer than out_len - 1. */
int dp_ui_decode(const char *s, size_t n, char *out, size_t out_len);

/* Finds key in the query q[0..n) ("a=1&b=2") and decodes its first value
 * into out. Returns 1 found, 0 absent, -1 undecodable. */
int dp_ui_query_get(const char *q, size_t n, const char *key, char *out,
                    size_t out_len);

/* Appends s percent-encoded for a query value or a path segment
 * (unreserved characters stay). */
int dp_ui_encode(dp_buf *out, const char *s);

enum { DP_UI_SORT_START, DP_UI_SORT_WALL, DP_UI_SORT_COST };
enum { DP_UI_COMPLETE_ANY, DP_UI_COMPLETE_YES, DP_UI_COMPLETE_NO };

typedef struct dp_ui_list_query {
    char dag[DP_UI_VALUE_MAX];     /* "" when none */
    char version[DP_UI_VALUE_MAX]; /* "" when none */
    char since[64];                /* as given ("" when none) */
    int complete;                  /* DP_UI_COMPLETE_* */
    int sort;                      /* DP_UI_SORT_* */
    unsigned limit;                /* 1..DP_UI_LIMIT_MAX, default 50 */
    unsigned offset;               /* 0..DP_UI_OFFSET_MAX */
} dp_ui_list_query;

/* Parses the run list's query (since is kept as text: the caller reads
 * it). Returns 0, or -1 with a message (plain text, not escaped) in err
 * for a bad value. */
int dp_ui_list_query_parse(dp_ui_list_query *lq, const char *q, size_t n,
                           char *err, size_t err_len);

/* Appends "?dag=..&..." for lq with offset replaced (values encoded). */
int dp_ui_list_query_href(dp_buf *out, const dp_ui_list_query *lq,
                          unsigned offset);

/* Runs kept for a page, as the HTML views take them: copies of the
 * store's rows, whose strings live only during dp_history_runs' callback.
 * Zero-initialize; release with dp_ui_runs_fini. */
typedef struct dp_ui_runs {
    dp_html_trend_run *r;
    size_t n, cap;
} dp_ui_runs;

enum {
    DP_UI_RUN_TRACE = 1, /* copy the trace id too */
    DP_UI_RUN_HREF = 2   /* and link the row to /ui/run/<trace id> */
};

/* Appends a copy of run: times, cost, tokens, completeness, DAG id and
 * version, plus what `what` (DP_UI_RUN_*) asks for. Returns 0 or
 * DP_ENOMEM. O(1) amortized. */
int dp_ui_runs_add(dp_ui_runs *s, const dp_history_run *run, unsigned what);
/* Frees every copy and the array. */
void dp_ui_runs_fini(dp_ui_runs *s);

#endif /* DP_UI_QUERY_H */
