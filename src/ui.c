/*
 * ui.c - the web UI's pages (see ui.h). Every string from the store goes
 * through dp_html_escapen (directly or inside report_html's writers);
 * values echoed from the query string too.
 */
#include "ui.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "history.h"
#include "history_cli.h"
#include "profile_read.h"
#include "report_html.h"
#include "ui_query.h"

#define UI_SCAN_MAX 10000 /* rows scanned for the complete filter */

static const char HTML_TYPE[] = "text/html; charset=utf-8";

/* The page's headers: its CSP with form-action 'self' (the list's GET
 * filter form), nosniff. NULL on ENOMEM. */
static char *ui_headers(void)
{
    char csp[512];
    if (dp_html_csp(csp, sizeof(csp)) < 0)
        return NULL;
    char *fa = strstr(csp, "form-action 'none'");
    if (fa)
        memcpy(fa + 13, "self", 4);
    dp_buf b;
    dp_buf_init(&b);
    if (dp_buf_printf(&b,
                      "Content-Security-Policy: %s\r\n"
                      "X-Content-Type-Options: nosniff\r\n"
                      "Cache-Control: no-store\r\n",
                      csp) != 0) {
        dp_buf_fini(&b);
        return NULL;
    }
    return b.data;
}

/* Opens the page; the meta CSP says form-action 'self' like the header
 * ('none' and 'self' have the same length: the style hash is unchanged). */
static int begin(dp_buf *b, const char *title)
{
    size_t at = b->len;
    if (dp_html_page_begin(b, title) != 0)
        return -1;
    for (size_t i = at; i + 18 <= b->len; i++)
        if (memcmp(b->data + i, "form-action 'none'", 18) == 0) {
            memcpy(b->data + i + 13, "self", 4);
            break;
        }
    return dp_buf_puts(b,
                       "<p class=\"nav\"><a href=\"/ui/\">All runs</a></p>\n");
}

static int finish(dp_buf *b, int status, dp_http_page *out)
{
    out->headers = ui_headers();
    if (!out->headers) {
        dp_buf_fini(b);
        return 500;
    }
    out->body = b->data;
    out->len = b->len;
    out->content_type = HTML_TYPE;
    return status;
}

static int error_page(int status, const char *msg, dp_http_page *out)
{
    dp_buf b;
    dp_buf_init(&b);
    if (begin(&b, status == 404 ? "Not found" : "Bad request") ||
        dp_buf_puts(&b, "<p class=\"error\">") || dp_html_escape(&b, msg) ||
        dp_buf_puts(&b, "</p>\n") || dp_html_page_end(&b)) {
        dp_buf_fini(&b);
        return 500;
    }
    return finish(&b, status, out);
}

/* The run list's page: the rows kept, and the filters the store cannot
 * apply (completeness) with the offset. */
typedef struct run_set {
    dp_ui_runs runs;
    unsigned skip;  /* rows to pass over (offset) */
    size_t want;    /* rows to keep at most */
    size_t matched; /* rows that passed the filters */
    int complete;   /* DP_UI_COMPLETE_* */
} run_set;

static int keep_run(void *user, const dp_history_run *run)
{
    run_set *s = user;
    if ((s->complete == DP_UI_COMPLETE_YES && !run->complete) ||
        (s->complete == DP_UI_COMPLETE_NO && run->complete))
        return 0;
    s->matched++;
    if (s->matched <= s->skip || s->runs.n >= s->want)
        return 0;
    return dp_ui_runs_add(&s->runs, run, DP_UI_RUN_TRACE | DP_UI_RUN_HREF);
}

static const char *opt_sel(bool on)
{
    return on ? " selected" : "";
}

static int list_form(dp_buf *b, const dp_ui_list_query *lq)
{
    if (dp_buf_puts(b, "<form class=\"filters\" method=\"get\" "
                       "action=\"/ui/\">\n<label>DAG <input name=\"dag\" "
                       "value=\"") ||
        dp_html_escape(b, lq->dag) ||
        dp_buf_puts(b, "\"/></label>\n<label>Version <input name=\"version\" "
                       "value=\"") ||
        dp_html_escape(b, lq->version) ||
        dp_buf_puts(b, "\"/></label>\n<label>Since <input name=\"since\" "
                       "placeholder=\"24h, 30d, 2026-12-01\" value=\"") ||
        dp_html_escape(b, lq->since))
        return -1;
    return dp_buf_printf(
        b,
        "\"/></label>\n<label>Complete <select name=\"complete\">"
        "<option value=\"any\"%s>any</option><option value=\"yes\"%s>yes"
        "</option><option value=\"no\"%s>no</option></select></label>\n"
        "<label>Sort <select name=\"sort\"><option value=\"start\"%s>newest"
        "</option><option value=\"wall\"%s>wall</option><option "
        "value=\"cost\"%s>cost</option></select></label>\n"
        "<input type=\"hidden\" name=\"limit\" value=\"%u\"/>\n"
        "<button type=\"submit\">Show</button>\n</form>\n",
        opt_sel(lq->complete == DP_UI_COMPLETE_ANY),
        opt_sel(lq->complete == DP_UI_COMPLETE_YES),
        opt_sel(lq->complete == DP_UI_COMPLETE_NO),
        opt_sel(lq->sort == DP_UI_SORT_START),
        opt_sel(lq->sort == DP_UI_SORT_WALL),
        opt_sel(lq->sort == DP_UI_SORT_COST), lq->limit);
}

static int page_list(dp_history *h, const char *q, size_t qn, dp_http_page *out)
{
    dp_ui_list_query lq;
    char err[160];
    uint64_t since = 0;
    if (dp_ui_list_query_parse(&lq, q, qn, err, sizeof(err)) != 0)
        return error_page(400, err, out);
    if (lq.since[0] &&
        !dp_history_cli_since(lq.since, dp_history_cli_now(), &since))
        return error_page(400,
                          "since must be a duration (24h, 30d) or a UTC "
                          "date or time (2026-12-01, 2026-12-01T08:00:00Z)",
                          out);
    dp_history_filter f = {.dag = lq.dag[0] ? lq.dag : NULL,
                           .version = lq.version[0] ? lq.version : NULL,
                           .since_unix_ns = since};
    static const int orders[] = {DP_HISTORY_NEWEST, DP_HISTORY_SLOWEST,
                                 DP_HISTORY_COSTLIEST};
    run_set s = {.skip = lq.offset, .want = lq.limit, .complete = lq.complete};
    /* One row past the page tells whether there is a next page. */
    uint64_t limit = lq.complete == DP_UI_COMPLETE_ANY
                         ? (uint64_t)lq.offset + lq.limit + 1
                         : UI_SCAN_MAX;
    int e = dp_history_runs(h, &f, orders[lq.sort], limit, 0, keep_run, &s);
    if (e) {
        dp_ui_runs_fini(&s.runs);
        return error_page(500, dp_strerror(e), out);
    }
    bool more = s.matched > (size_t)lq.offset + s.runs.n;
    dp_buf b;
    dp_buf_init(&b);
    int r = begin(&b, "dagprof runs") || list_form(&b, &lq);
    if (!r && s.runs.n)
        r = dp_html_run_list(&b, s.runs.r, s.runs.n);
    else if (!r)
        r = dp_buf_puts(&b, "<p class=\"empty\">No runs match.</p>\n");
    if (!r)
        r = dp_buf_printf(&b, "<p class=\"pager\">Runs %u to %zu. ",
                          s.runs.n ? lq.offset + 1 : lq.offset,
                          (size_t)lq.offset + s.runs.n);
    if (!r && lq.offset > 0) {
        unsigned prev = lq.offset > lq.limit ? lq.offset - lq.limit : 0;
        r = dp_buf_puts(&b, "<a rel=\"prev\" href=\"/ui/") ||
            dp_ui_list_query_href(&b, &lq, prev) ||
            dp_buf_puts(&b, "\">Newer page</a> ");
    }
    if (!r && more && lq.offset + lq.limit <= DP_UI_OFFSET_MAX)
        r = dp_buf_puts(&b, "<a rel=\"next\" href=\"/ui/") ||
            dp_ui_list_query_href(&b, &lq, lq.offset + lq.limit) ||
            dp_buf_puts(&b, "\">Next page</a>");
    if (!r)
        r = dp_buf_puts(&b, "</p>\n") || dp_html_page_end(&b);
    dp_ui_runs_fini(&s.runs);
    if (r) {
        dp_buf_fini(&b);
        return 500;
    }
    return finish(&b, 200, out);
}

static int page_run(dp_history *h, const char *id, dp_http_page *out)
{
    size_t len = strlen(id);
    if (len < 8 || len > 32 || strspn(id, "0123456789abcdef") != len)
        return error_page(404, "no such run", out);
    dp_buf json;
    dp_buf_init(&json);
    int e = dp_history_profile(h, id, &json);
    if (e) {
        dp_buf_fini(&json);
        return e == DP_ENOENT || e == DP_EINVAL
                   ? error_page(404, "no such run", out)
                   : error_page(500, dp_strerror(e), out);
    }
    char msg[256];
    dp_profile *p = dp_profile_json_read(json.data, json.len, msg, sizeof(msg));
    dp_buf_fini(&json);
    if (!p)
        return error_page(500, "the stored profile is unreadable", out);
    dp_buf b;
    dp_buf_init(&b);
    dp_html_run_opts ro = {.index = 0, .call_times_known = false};
    int r = begin(&b, "dagprof run") || dp_html_run_section(&b, p, &ro);
    if (!r && p->dag_id)
        r = dp_buf_puts(&b, "<p class=\"nav\"><a href=\"/ui/dag/") ||
            dp_ui_encode(&b, p->dag_id) ||
            dp_buf_puts(&b, "\">Trends and regressions of this DAG</a></p>\n");
    if (!r)
        r = dp_html_page_end(&b);
    dp_profile_free(p);
    if (r) {
        dp_buf_fini(&b);
        return 500;
    }
    return finish(&b, 200, out);
}

static int page_dag(dp_history *h, const char *dag, const dp_regress_config *rc,
                    dp_http_page *out)
{
    dp_buf b;
    dp_buf_init(&b);
    if (begin(&b, "dagprof DAG")) {
        dp_buf_fini(&b);
        return 500;
    }
    int r = dp_ui_dag_body(&b, h, dag, rc);
    if (r == DP_ENOENT) {
        dp_buf_fini(&b);
        return error_page(404, "no runs of this DAG", out);
    }
    if (r || dp_html_page_end(&b)) {
        dp_buf_fini(&b);
        return 500;
    }
    return finish(&b, 200, out);
}

int dp_ui_page(void *user, const char *target, size_t len, dp_http_page *out)
{
    const dp_ui *ui = user;
    const char *qm = memchr(target, '?', len);
    size_t plen = qm ? (size_t)(qm - target) : len;
    const char *q = qm ? qm + 1 : "";
    size_t qn = qm ? len - plen - 1 : 0;
    char seg[DP_UI_VALUE_MAX];
    int kind; /* 0 list, 1 run, 2 dag */
    if ((plen == 3 && memcmp(target, "/ui", 3) == 0) ||
        (plen == 4 && memcmp(target, "/ui/", 4) == 0))
        kind = 0;
    else if (plen > 8 && memcmp(target, "/ui/run/", 8) == 0)
        kind = 1;
    else if (plen > 8 && memcmp(target, "/ui/dag/", 8) == 0)
        kind = 2;
    else
        return error_page(404, "no such page", out);
    if (kind && (memchr(target + 8, '/', plen - 8) ||
                 dp_ui_decode(target + 8, plen - 8, seg, sizeof(seg)) < 0))
        return error_page(404, "no such page", out);
    char err[256];
    dp_history *h = dp_history_open(ui->store, err, sizeof(err));
    if (!h) /* no store yet: nothing stored */
        return kind ? error_page(404, "nothing stored yet", out)
                    : error_page(200, "No runs stored yet.", out);
    int status = kind == 0   ? page_list(h, q, qn, out)
                 : kind == 1 ? page_run(h, seg, out)
                             : page_dag(h, seg, &ui->regress, out);
    dp_history_close(h);
    return status;
}
