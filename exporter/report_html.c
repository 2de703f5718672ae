/*
 * report_html.c - the HTML report's page and the run section around the
 * timeline and charts (the writer, escaping and units for a person are in
 * report_html_write.c).
 *
 * Sits at the end of the flow beside report_text.c: same dp_profile in,
 * written for a person in a browser. The page is polyglot - well-formed as
 * XML as well as valid HTML (every element closed, attributes quoted, no
 * named entity but the five of XML, no control character) - so a strict
 * XML parser can check it, and it has no script and nothing outside the
 * page: the Content-Security-Policy <meta> is default-src 'none' and
 * allows the one <style> block by its SHA-256, computed here from the very
 * bytes written (sha256.c). SVG colours come from CSS classes (light and
 * dark through prefers-color-scheme); geometry is presentation attributes,
 * which a CSP does not govern, so no style="" attribute is ever written.
 *
 * Units for a person: durations pick ms or s by size ("812.4 ms",
 * "3.42 s"), money follows dp_money_text(); exact values (3-decimal ms as
 * in the JSON profile) are in data-* attributes of the timeline rows and
 * in the node table.
 */
#include "report_html.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "report_html_internal.h"
#include "sha256.h"

/* ---- the page -------------------------------------------------------- */

/* The one inline style block. No '<' or '&' (it is XML text too). */
static const char STYLE[] =
    ":root{color-scheme:light dark;--bg:#ffffff;--fg:#1b1f24;"
    "--muted:#5b6470;--line:#d5dae0;--zebra:#f4f6f8;--hover:#e8eef7;"
    "--card:#f7f8fa;--dw:#c8d0da;--qd:#f0b429;--ex:#3b82f6;--crit:#e4572e;"
    "--llm:#7c3aed;--tool:#0f9f6e;--fail:#d11a1a;--grp:#4b5563;"
    "--hi:#b42318;--med:#b54708;--low:#475467}\n"
    "@media (prefers-color-scheme:dark){:root{--bg:#0f1419;--fg:#e6e8eb;"
    "--muted:#9aa4af;--line:#313a45;--zebra:#151b22;--hover:#1f2a37;"
    "--card:#161d25;--dw:#3b4653;--qd:#d99a12;--ex:#4f8ff7;--crit:#ff7a50;"
    "--llm:#a78bfa;--tool:#34d399;--fail:#ff5c5c;--grp:#a3adb8;"
    "--hi:#ff8a80;--med:#ffb86b;--low:#a3adb8}}\n"
    "body{margin:0;background:var(--bg);color:var(--fg);"
    "font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif}\n"
    "main{max-width:1240px;margin:0 auto;padding:16px 20px 48px}\n"
    "h1{font-size:22px;margin:8px 0 4px}h2{font-size:19px;margin:0 0 4px;"
    "overflow-wrap:anywhere}h3{font-size:15px;margin:22px 0 8px}\n"
    "section.run,section.trend{border-top:2px solid var(--line);"
    "margin-top:28px;padding-top:16px}\n"
    ".muted,.meta{color:var(--muted)}.meta{margin:0 0 12px;"
    "overflow-wrap:anywhere}\n"
    ".figs{display:grid;grid-template-columns:repeat(auto-fill,"
    "minmax(150px,1fr));gap:8px}\n"
    ".fig{background:var(--card);border:1px solid var(--line);"
    "border-radius:6px;padding:8px 10px}\n"
    ".fig .v{font-size:18px;font-weight:600;font-variant-numeric:"
    "tabular-nums;overflow-wrap:anywhere}.fig .k{color:var(--muted);"
    "font-size:12px}\n"
    ".scroll{overflow-x:auto;max-width:100%}\n"
    ".legend{display:flex;flex-wrap:wrap;gap:4px 16px;margin:0 0 6px;"
    "font-size:12px;color:var(--muted)}.legend svg{vertical-align:middle;"
    "margin-right:4px}\n"
    "table{border-collapse:collapse;font-size:13px;width:100%}\n"
    "th,td{text-align:left;padding:4px 8px;border-bottom:1px solid "
    "var(--line);vertical-align:top}td.t{white-space:nowrap}"
    "td.id{max-width:260px;min-width:12ch;overflow-wrap:anywhere}\n"
    "td.mono,code{font-family:ui-monospace,'DejaVu Sans Mono',monospace;"
    "font-size:12px}\n"
    "th{color:var(--muted);font-weight:600}td.n,th.n{text-align:right;"
    "font-variant-numeric:tabular-nums;white-space:nowrap}\n"
    ".sev-high{color:var(--hi);font-weight:600}.sev-medium{color:var(--med);"
    "font-weight:600}.sev-low{color:var(--low)}\n"
    "a{color:var(--ex)}details summary{cursor:pointer;margin:16px 0 6px;"
    "font-weight:600}\n"
    ".charts{display:flex;flex-wrap:wrap;gap:8px 24px}"
    "figure{margin:0}h4{margin:6px 0;font-size:13px}\n"
    "svg text{font-family:system-ui,sans-serif;fill:var(--fg)}\n"
    "svg .mono{font-family:ui-monospace,'DejaVu Sans Mono',monospace}\n"
    "svg .ax{fill:var(--muted);font-size:11px}svg .gl{stroke:var(--line);"
    "stroke-width:1}\n"
    "svg .zb{fill:var(--zebra)}svg .hl{fill:transparent}"
    "svg .row:hover .hl{fill:var(--hover)}\n"
    "svg .lbl.crit{font-weight:700}svg .lbl.grp{fill:var(--grp);"
    "font-weight:600}\n"
    "svg .dw{fill:var(--dw)}svg .qd{fill:var(--qd)}svg .ex{fill:var(--ex)}"
    "svg .ex.crit{fill:var(--crit)}svg .ex.err{stroke:var(--fail);"
    "stroke-width:2}\n"
    "svg .llm{fill:var(--llm)}svg .tool{fill:var(--tool)}"
    "svg .seg.fail{fill:var(--fail)}svg .fa{stroke:var(--fail);"
    "stroke-width:1}\n"
    "svg .brk{stroke:var(--grp);fill:none;stroke-width:2}"
    "svg .brk.crit{stroke:var(--crit)}\n"
    "svg .dep{stroke:var(--muted);fill:none;stroke-width:1;opacity:.75}"
    "svg .dep.crit{stroke:var(--crit);stroke-width:1.6;opacity:1}"
    "svg .dep.inf{stroke-dasharray:3 2}\n"
    "svg .arw{fill:var(--muted)}svg .arw.crit{fill:var(--crit)}\n"
    "svg.big .dep{display:none}svg.big .dep.crit,svg.big .row:hover .dep"
    "{display:inline}\n"
    "svg .badge{fill:var(--fail);font-size:11px;font-weight:600}\n"
    "svg .bar{fill:var(--ex)}svg .bar.cost{fill:var(--crit)}"
    "svg .bar.unp{fill:var(--dw)}svg .val{font-size:11px;"
    "fill:var(--muted)}\n"
    "svg .pt{fill:var(--ex)}svg .pt.cost{fill:var(--crit)}"
    "svg .pt.inc{fill:var(--bg);stroke:var(--ex);stroke-width:1.5}"
    "svg .pt.cost.inc{stroke:var(--crit)}\n"
    "svg .ln{fill:none;stroke:var(--muted);stroke-width:1;opacity:.6}\n"
    "svg .p50{stroke:var(--tool);stroke-width:1.5;stroke-dasharray:6 4}"
    "svg .p95{stroke:var(--qd);stroke-width:1.5;stroke-dasharray:2 3}\n"
    "svg .p50t{fill:var(--tool);font-size:11px}svg .p95t{fill:var(--qd);"
    "font-size:11px}\n"
    "@media print{.scroll{overflow:visible}}\n";

int dp_html_csp(char *out, size_t out_len)
{
    char src[DP_SHA256_B64_LEN + 16];
    int n;
    if (out == NULL)
        return DP_EINVAL;
    dp_sha256_csp_source(STYLE, sizeof(STYLE) - 1, src, sizeof(src));
    n = snprintf(out, out_len,
                 "default-src 'none'; style-src %s; img-src 'none'; "
                 "base-uri 'none'; form-action 'none'",
                 src);
    if (n < 0 || (size_t)n >= out_len)
        return DP_ENOMEM;
    return n;
}

int dp_html_page_begin(dp_buf *out, const char *title)
{
    char csp[512];
    if (out == NULL)
        return DP_EINVAL;
    dp__hw w = dp__hw_begin(out);
    if (dp_html_csp(csp, sizeof(csp)) < 0)
        return DP_ENOMEM;
    dp__hw_put(&w, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
                   "<meta charset=\"utf-8\"/>\n"
                   "<meta http-equiv=\"Content-Security-Policy\" content=\"");
    dp__hw_put(&w, csp);
    dp__hw_put(&w, "\"/>\n<meta name=\"viewport\" content=\"width=device-width,"
                   " initial-scale=1\"/>\n"
                   "<meta name=\"color-scheme\" content=\"light dark\"/>\n"
                   "<meta name=\"generator\" content=\"dagprof\"/>\n<title>");
    dp__hw_esc(&w, title ? title : "dagprof report");
    dp__hw_put(&w, "</title>\n<style>");
    dp__hw_putn(&w, STYLE, sizeof(STYLE) - 1);
    dp__hw_put(&w, "</style>\n</head>\n<body>\n<main>\n<h1>");
    dp__hw_esc(&w, title ? title : "dagprof report");
    dp__hw_put(&w, "</h1>\n");
    return dp__hw_end(&w);
}

int dp_html_page_end(dp_buf *out)
{
    if (out == NULL)
        return DP_EINVAL;
    return dp_buf_puts(out, "</main>\n</body>\n</html>\n");
}

/* ---- the run section ------------------------------------------------- */

/* One summary figure. key, value and label are dagprof's own HTML-safe
 * text (numbers, dp__html_money), never a string from a span. */
static void fig(dp__hw *w, const char *key, const char *value,
                const char *label)
{
    dp__hw_putf(w, "<div class=\"fig\" data-k=\"%s\"><div class=\"v\">", key);
    dp__hw_put(w, value);
    dp__hw_put(w, "</div><div class=\"k\">");
    dp__hw_put(w, label);
    dp__hw_put(w, "</div></div>\n");
}

static const char *tok_text(char *out, size_t len, const dp_tokens *t,
                            unsigned bit, int64_t v)
{
    if (!(t->known & bit))
        snprintf(out, len, "n/a");
    else
        dp__html_count(out, len, v);
    return out;
}

static void header(dp__hw *w, const dp_profile *p)
{
    char t[64];
    dp__hw_put(w, "<h2>");
    dp__hw_esc(w, p->dag_id && p->dag_id[0] ? p->dag_id : "(no dag id)");
    dp__hw_put(w, " <span class=\"muted\">run ");
    dp__hw_esc(w, p->trace_id_hex);
    dp__hw_put(w, "</span></h2>\n<p class=\"meta\">started ");
    dp__hw_put(w, dp__html_utc(t, sizeof(t), p->start_unix_ns, true, true));
    dp__hw_put(w, " UTC");
    if (p->service_name) {
        dp__hw_put(w, " \xC2\xB7 service ");
        dp__hw_esc(w, p->service_name);
    }
    if (p->version) {
        dp__hw_put(w, " \xC2\xB7 version ");
        dp__hw_esc(w, p->version);
    }
    if (p->session_id) {
        dp__hw_put(w, " \xC2\xB7 session ");
        dp__hw_esc(w, p->session_id);
    }
    dp__hw_putf(w, " \xC2\xB7 %" PRIu64 " spans", p->span_count);
    if (p->late_spans)
        dp__hw_putf(w, " (%" PRIu64 " late)", p->late_spans);
    if (p->complete)
        dp__hw_put(w, " \xC2\xB7 complete");
    else
        dp__hw_putf(w, " \xC2\xB7 <strong>incomplete</strong> (%s)",
                    dp_incomplete_reason_name(p->incomplete_reason)
                        ? dp_incomplete_reason_name(p->incomplete_reason)
                        : "unknown");
    dp__hw_put(w, "</p>\n");
}

static void figures(dp__hw *w, const dp_profile *p)
{
    char v[96], l[96], a[32], b[32];
    size_t groups = p->n_nodes - p->n_leaves;
    double cp_share =
        p->wall_ns > 0 ? 100.0 * (double)p->critical_path_ns / p->wall_ns : 0;
    dp__hw_put(w, "<div class=\"figs\">\n");
    fig(w, "wall", dp__html_dur(v, sizeof(v), p->wall_ns), "wall time");
    snprintf(l, sizeof(l), "critical path (%.1f%% of wall)", cp_share);
    fig(w, "critical-path", dp__html_dur(v, sizeof(v), p->critical_path_ns), l);
    snprintf(v, sizeof(v), "%.1f%%", 100.0 * p->parallelization_efficiency);
    fig(w, "efficiency", v, "parallelization efficiency");
    snprintf(v, sizeof(v), "%.2f\xC3\x97 / %.2f\xC3\x97",
             p->achieved_parallelism, p->dag_parallelism);
    fig(w, "parallelism", v, "parallelism achieved / available");
    snprintf(v, sizeof(v), "%" PRIu32, p->peak_concurrency);
    fig(w, "peak", v, "peak concurrency");
    fig(w, "sum-execution", dp__html_dur(v, sizeof(v), p->sum_execution_ns),
        "sum of leaf execution");
    snprintf(v, sizeof(v), "%zu", p->n_nodes);
    snprintf(l, sizeof(l), "nodes (%zu leaves, %zu groups)", p->n_leaves,
             groups);
    fig(w, "nodes", v, l);
    dp__html_count(v, sizeof(v), dp__html_tokens(&p->tokens));
    snprintf(
        l, sizeof(l), "tokens (in %s, out %s)",
        tok_text(a, sizeof(a), &p->tokens, DP_TOK_INPUT, p->tokens.input),
        tok_text(b, sizeof(b), &p->tokens, DP_TOK_OUTPUT, p->tokens.output));
    fig(w, "tokens", v, l);
    snprintf(v, sizeof(v), "%s / %s",
             tok_text(a, sizeof(a), &p->tokens, DP_TOK_CACHE_READ,
                      p->tokens.cache_read),
             tok_text(b, sizeof(b), &p->tokens, DP_TOK_CACHE_WRITE,
                      p->tokens.cache_write));
    fig(w, "cache", v, "cache tokens read / written");
    fig(w, "reasoning",
        tok_text(v, sizeof(v), &p->tokens, DP_TOK_REASONING,
                 p->tokens.reasoning),
        "reasoning tokens");
    snprintf(l, sizeof(l), "cost%s",
             p->n_unpriced_models ? " (some models unpriced)" : "");
    fig(w, "cost", dp__html_money(v, sizeof(v), p->cost_pusd), l);
    dp__hw_put(w, "</div>\n");
}

/* A section's heading, then its table's opening and header row; when the
 * table would have no rows, the line none instead (returns false). */
static bool table_begin(dp__hw *w, const char *heading, size_t rows,
                        const char *none, const char *table)
{
    dp__hw_put(w, heading);
    dp__hw_put(w, rows ? table : none);
    return rows > 0;
}

/* The last two cells of a row, free texts: escaped, then the row ends. */
static void text_cells(dp__hw *w, const char *a, const char *b)
{
    dp__hw_esc(w, a);
    dp__hw_put(w, "</td><td>");
    dp__hw_esc(w, b);
    dp__hw_put(w, "</td></tr>\n");
}

static void bottlenecks(dp__hw *w, const dp_profile *p)
{
    if (!table_begin(w, "<h3>Bottlenecks</h3>\n", p->n_bottlenecks,
                     "<p class=\"muted\">None detected.</p>\n",
                     "<div class=\"scroll\"><table class=\"bottlenecks\">\n"
                     "<tr><th>type</th><th>node</th><th>severity</th>"
                     "<th class=\"n\">impact</th><th>details</th>"
                     "<th>recommendation</th></tr>\n"))
        return;
    for (size_t i = 0; i < p->n_bottlenecks; i++) {
        const dp_bottleneck *bn = &p->bottlenecks[i];
        const char *sev = dp_severity_name(bn->severity);
        dp__hw_putf(w, "<tr><td class=\"t\">%s</td><td class=\"mono id\">",
                    dp_bottleneck_type_name(bn->type));
        dp__hw_esc(w, bn->node < p->n_nodes ? p->nodes[bn->node].id : NULL);
        dp__hw_putf(w,
                    "</td><td class=\"t sev-%s\">%s</td><td class=\"n\">"
                    "%.2f%%</td><td>",
                    sev, sev, bn->impact);
        text_cells(w, bn->details, bn->recommendation);
    }
    dp__hw_put(w, "</table></div>\n");
}

static void recommendations(dp__hw *w, const dp_profile *p)
{
    char t[48], k[48], c[48];
    if (!table_begin(
            w, "<h3>Recommendations</h3>\n", p->n_optimizations,
            "<p class=\"muted\">None.</p>\n",
            "<div class=\"scroll\"><table class=\"recommendations\">\n"
            "<tr><th>type</th><th>priority</th>"
            "<th class=\"n\">saves time</th><th class=\"n\">tokens</th>"
            "<th class=\"n\">cost</th><th>what</th><th>how</th></tr>\n"))
        return;
    for (size_t i = 0; i < p->n_optimizations; i++) {
        const dp_optimization *o = &p->optimizations[i];
        const char *pri = dp_severity_name(o->priority);
        dp__hw_putf(
            w,
            "<tr><td class=\"t\">%s</td><td class=\"t sev-%s\">%s</td>"
            "<td class=\"n\">%s"
            "</td><td class=\"n\">%s</td><td class=\"n\">%s</td><td>",
            dp_optimization_type_name(o->type), pri, pri,
            o->saving_time_ns ? dp__html_dur(t, sizeof(t), o->saving_time_ns)
                              : "-",
            o->saving_tokens ? dp__html_count(k, sizeof(k), o->saving_tokens)
                             : "-",
            o->saving_cost_pusd
                ? dp__html_money(c, sizeof(c), o->saving_cost_pusd)
                : "-");
        text_cells(w, o->description, o->implementation);
    }
    dp__hw_put(w, "</table></div>\n");
}

static void warnings(dp__hw *w, const dp_profile *p)
{
    if (p->n_warnings == 0 && p->n_unpriced_models == 0)
        return;
    dp__hw_put(w, "<h3>Warnings</h3>\n<ul class=\"warnings\">\n");
    for (size_t i = 0; i < p->n_unpriced_models; i++) {
        char k[32];
        dp__hw_put(w, "<li>unpriced model <code>");
        dp__hw_esc(w, p->unpriced_models[i].name);
        dp__hw_putf(w,
                    "</code> (%s tokens): no row of the pricing table "
                    "matches, counted as $0</li>\n",
                    dp__html_count(k, sizeof(k), p->unpriced_models[i].value));
    }
    for (size_t i = 0; i < p->n_warnings; i++) {
        dp__hw_put(w, "<li>");
        dp__hw_esc(w, p->warnings[i]);
        dp__hw_put(w, "</li>\n");
    }
    dp__hw_put(w, "</ul>\n");
}

static void ms_cell(dp__hw *w, int64_t ns)
{
    dp__hw_put(w, "<td class=\"n\">");
    dp__hw_ms(w, ns);
    dp__hw_put(w, "</td>");
}

static void node_table(dp__hw *w, const dp_profile *p)
{
    char c[48], k[48];
    if (p->n_nodes == 0)
        return;
    dp__hw_putf(w,
                "<details class=\"nodes\"><summary>All %zu nodes (times in "
                "ms)</summary>\n<div class=\"scroll\"><table>\n"
                "<tr><th>node</th><th>kind</th><th class=\"n\">start</th>"
                "<th class=\"n\">end</th><th class=\"n\">dependency wait</th>"
                "<th class=\"n\">queue</th><th class=\"n\">execution</th>"
                "<th class=\"n\">LLM</th><th class=\"n\">tool</th>"
                "<th class=\"n\">attempts</th><th>status</th>"
                "<th class=\"n\">tokens</th><th class=\"n\">cost</th>"
                "<th>depends on</th></tr>\n",
                p->n_nodes);
    for (size_t i = 0; i < p->n_nodes; i++) {
        const dp_node *n = &p->nodes[i];
        dp__hw_put(w, "<tr><td class=\"mono id\">");
        dp__hw_esc(w, n->id);
        dp__hw_putf(w, "%s</td><td>%s</td>",
                    n->on_critical_path ? " \xE2\x98\x85" : "",
                    dp_node_kind_name(n->kind));
        ms_cell(w, n->start_ns);
        ms_cell(w, n->end_ns);
        ms_cell(w, n->dependency_wait_ns);
        ms_cell(w, n->queue_delay_ns);
        ms_cell(w, n->execution_ns);
        ms_cell(w, n->llm_ns);
        ms_cell(w, n->tool_ns);
        dp__hw_putf(w,
                    "<td class=\"n\">%" PRIu32 "</td><td>%s</td>"
                    "<td class=\"n\">%s</td><td class=\"n\">%s</td><td>",
                    n->attempts, dp_status_name(n->status),
                    dp__html_count(k, sizeof(k), dp__html_tokens(&n->tokens)),
                    dp__html_money(c, sizeof(c), n->cost_pusd));
        for (size_t d = 0; d < n->n_deps; d++) {
            if (d)
                dp__hw_put(w, ", ");
            dp__hw_esc(w, n->deps[d] < p->n_nodes ? p->nodes[n->deps[d]].id
                                                  : NULL);
        }
        dp__hw_putf(w, " <span class=\"muted\">(%s)</span></td></tr>\n",
                    dp_dep_source_name(n->dep_source));
    }
    dp__hw_put(w, "</table></div></details>\n");
}

int dp_html_run_section(dp_buf *out, const dp_profile *p,
                        const dp_html_run_opts *opts)
{
    opts = dp__html_opts(opts);
    if (out == NULL || p == NULL)
        return DP_EINVAL;
    dp__hw w = dp__hw_begin(out);
    dp__hw_putf(&w,
                "<section class=\"run\" id=\"run-%u\" data-trace=\"%s\" "
                "data-nodes=\"%zu\">\n",
                opts->index, p->trace_id_hex, p->n_nodes);
    header(&w, p);
    figures(&w, p);
    dp__hw_put(&w, "<h3>Timeline</h3>\n");
    dp__html_gantt(&w, p, opts);
    dp__hw_put(&w, "<h3>Cost and tokens</h3>\n");
    dp__html_cost_charts(&w, p, opts->index);
    bottlenecks(&w, p);
    recommendations(&w, p);
    warnings(&w, p);
    node_table(&w, p);
    dp__hw_put(&w, "</section>\n");
    return dp__hw_end(&w);
}

void dp_html_trend_run_from_profile(dp_html_trend_run *r, const dp_profile *p)
{
    memset(r, 0, sizeof(*r));
    r->start_unix_ns = p->start_unix_ns;
    r->wall_ns = p->wall_ns;
    r->cost_pusd = p->cost_pusd;
    r->tokens = dp__html_tokens(&p->tokens);
    r->trace_id = p->trace_id_hex;
    r->dag_id = p->dag_id;
    r->version = p->version;
    r->complete = p->complete;
}
