/*
 * cmd_compare.c - `dagprof compare`: two strategies side by side.
 *
 * Each side is a set of runs: the profiles of one input file (a JSON profile
 * file or an OTLP trace file, read by run_reader.c's dp_run_reader) or, with
 * --by dagId, the runs of all inputs that share one dagId value. A side keeps
 * only sums: wall, critical path, cost and tokens over its runs, and per node
 * id the execution time and the number of runs that had the node. The output
 * shows the mean of each side, the delta B - A and the ratio B / A ("-" / null
 * when A is 0 or a side lacks the value), for the run metrics and for each
 * node's executionTime (nodes matched by nodeId: A's nodes in order of first
 * appearance, then B's other nodes). Means are rounded half away from zero:
 * ns, pico-USD, 1/100 token; a node's mean is over the runs of its side that
 * have the node.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_args.h"
#include "commands.h"
#include "history_runs.h"
#include "offline.h"
#include "summary.h"
#include "trace_file.h"

typedef struct side_node {
    char *id;
    dp_i128 exec_sum;
    uint64_t runs;
} side_node;

typedef struct side {
    char *label; /* the file name, or "dagId=<value>" */
    uint64_t runs;
    dp_i128 wall, cp, cost, tokens;
    side_node *nodes; /* in order of first appearance */
    size_t n_nodes, cap_nodes;
    char **dag_ids; /* distinct, in order of first appearance */
    size_t n_dag_ids, cap_dag_ids;
} side;

typedef struct compare_ctx {
    side *sides; /* without --by: exactly 2; with --by: one per value */
    size_t n_sides, cap_sides;
    bool by_dag_id;
    side *current; /* without --by: the side being read */
} compare_ctx;

static void side_fini(side *s)
{
    for (size_t i = 0; i < s->n_nodes; i++)
        free(s->nodes[i].id);
    for (size_t i = 0; i < s->n_dag_ids; i++)
        free(s->dag_ids[i]);
    free(s->nodes);
    free(s->dag_ids);
    free(s->label);
}

/* Appends a copy of str to (*arr)[*n], growing it; 0 or DP_ENOMEM. */
static int push_str(char ***arr, size_t *n, size_t *cap, const char *str)
{
    if (*n == *cap) {
        size_t c = *cap ? *cap * 2 : 4;
        char **p = realloc(*arr, c * sizeof(*p));
        if (p == NULL)
            return DP_ENOMEM;
        *arr = p;
        *cap = c;
    }
    (*arr)[*n] = strdup(str);
    if ((*arr)[*n] == NULL)
        return DP_ENOMEM;
    (*n)++;
    return 0;
}

/* The side's node for id, created when new; slot hint is tried first. */
static side_node *side_node_get(side *s, const char *id, size_t hint)
{
    side_node *n;
    if (hint < s->n_nodes && strcmp(s->nodes[hint].id, id) == 0)
        return &s->nodes[hint];
    for (size_t i = 0; i < s->n_nodes; i++)
        if (strcmp(s->nodes[i].id, id) == 0)
            return &s->nodes[i];
    if (s->n_nodes == s->cap_nodes) {
        size_t c = s->cap_nodes ? s->cap_nodes * 2 : 8;
        side_node *p = realloc(s->nodes, c * sizeof(*p));
        if (p == NULL)
            return NULL;
        s->nodes = p;
        s->cap_nodes = c;
    }
    n = &s->nodes[s->n_nodes];
    memset(n, 0, sizeof(*n));
    n->id = strdup(id);
    if (n->id == NULL)
        return NULL;
    s->n_nodes++;
    return n;
}

static int side_add(side *s, const dp_run *run)
{
    bool seen = false;

    s->runs++;
    s->wall += run->wall_ns;
    s->cp += run->critical_path_ns;
    s->cost += run->cost_pusd;
    s->tokens += run->tokens;
    for (size_t i = 0; i < run->n_nodes; i++) {
        side_node *n = side_node_get(s, run->nodes[i].id, i);
        if (n == NULL)
            return DP_ENOMEM;
        n->exec_sum += run->nodes[i].execution_ns;
        n->runs++;
    }
    for (size_t i = s->n_dag_ids; i-- > 0 && !seen;)
        seen = strcmp(s->dag_ids[i], run->dag_id) == 0;
    if (!seen)
        return push_str(&s->dag_ids, &s->n_dag_ids, &s->cap_dag_ids,
                        run->dag_id);
    return 0;
}

/* Routes a run to its side: the current file's, or its dagId's group. */
static int on_run(void *user, const dp_run *run)
{
    compare_ctx *c = user;
    side *s = c->current;
    char *label;

    if (c->by_dag_id) {
        s = NULL;
        for (size_t i = 0; i < c->n_sides && s == NULL; i++)
            if (strcmp(c->sides[i].dag_ids[0], run->dag_id) == 0)
                s = &c->sides[i];
        if (s == NULL) {
            if (c->n_sides == c->cap_sides) {
                size_t cap = c->cap_sides ? c->cap_sides * 2 : 4;
                side *p = realloc(c->sides, cap * sizeof(*p));
                if (p == NULL)
                    return DP_ENOMEM;
                c->sides = p;
                c->cap_sides = cap;
            }
            s = &c->sides[c->n_sides];
            memset(s, 0, sizeof(*s));
            c->n_sides++;
            label = malloc(strlen(run->dag_id) + 7);
            if (label == NULL)
                return DP_ENOMEM;
            sprintf(label, "dagId=%s", run->dag_id);
            s->label = label;
        }
    }
    return side_add(s, run);
}

static int cmp_side(const void *a, const void *b)
{
    return strcmp(((const side *)a)->dag_ids[0], ((const side *)b)->dag_ids[0]);
}

/* ------------------------------------------------------------------------ */
/* Rows                                                                      */

enum unit { U_MS, U_USD, U_TOKENS_X100 };

typedef struct crow {
    const char *name;
    int unit;
    bool has_a, has_b;
    int64_t a, b; /* means */
} crow;

static crow make_row(const char *name, int unit, const side *a, dp_i128 sum_a,
                     const side *b, dp_i128 sum_b)
{
    crow r = {name, unit, a->runs > 0, b->runs > 0, 0, 0};
    if (unit == U_TOKENS_X100) {
        r.a = dp_stats_mean_x100(sum_a, a->runs);
        r.b = dp_stats_mean_x100(sum_b, b->runs);
    } else {
        r.a = dp_stats_mean(sum_a, a->runs);
        r.b = dp_stats_mean(sum_b, b->runs);
    }
    return r;
}

static crow node_row(const char *id, const side_node *na, const side_node *nb)
{
    crow r = {id, U_MS, na != NULL, nb != NULL, 0, 0};
    if (na)
        r.a = dp_stats_mean(na->exec_sum, na->runs);
    if (nb)
        r.b = dp_stats_mean(nb->exec_sum, nb->runs);
    return r;
}

static const side_node *find_node(const side *s, const char *id)
{
    for (size_t i = 0; i < s->n_nodes; i++)
        if (strcmp(s->nodes[i].id, id) == 0)
            return &s->nodes[i];
    return NULL;
}

/* A writer that stops at the first error (checked once at the end). */
typedef struct cw {
    dp_buf *b;
    int err;
} cw;

static void put(cw *w, const char *s)
{
    if (w->err == 0)
        w->err = dp_buf_puts(w->b, s);
}

static void put_value(dp_buf *out, int *err, int unit, int64_t v, bool sign)
{
    if (*err)
        return;
    if (sign && v > 0)
        *err = dp_buf_puts(out, "+");
    if (*err)
        return;
    switch (unit) {
    case U_MS:
        *err = dp_buf_ms(out, v);
        if (*err == 0)
            *err = dp_buf_puts(out, "ms");
        break;
    case U_USD:
        *err = dp_stats_usd_text(out, v);
        break;
    default:
        *err = dp_stats_x100(out, v);
        break;
    }
}

static void put_json_value(cw *w, int unit, int64_t v)
{
    if (w->err)
        return;
    if (unit == U_MS)
        w->err = dp_buf_ms(w->b, v);
    else if (unit == U_USD)
        w->err = dp_stats_usd_exact(w->b, v);
    else
        w->err = dp_stats_x100(w->b, v);
}

/* ------------------------------------------------------------------------ */
/* Text                                                                      */

#define TEXT_W 80    /* the table fits 80 columns while values allow */
#define LABEL_MAX 24 /* label column when values are short */
#define LABEL_MIN 12
#define CELL_MIN 14 /* one space + 13 */
#define RATIO_MIN 11

/* Column widths, chosen from the widest value so the table fits TEXT_W:
 * value columns grow with their content, the label column gives way. */
typedef struct layout {
    size_t label, cell, ratio;
} layout;

/* Code points in the current line, for alignment of UTF-8 labels. */
static size_t line_cols(const cw *w)
{
    size_t i = w->b->len, c = 0;
    while (i > 0 && w->b->data[i - 1] != '\n') {
        i--;
        c += ((unsigned char)w->b->data[i] & 0xC0) != 0x80;
    }
    return c;
}

static void pad_to(cw *w, size_t col)
{
    size_t c = w->b->data ? line_cols(w) : 0;
    for (; c < col; c++)
        put(w, " ");
}

/* Appends s right-aligned in width columns, after at least one space. */
static void put_cell(cw *w, const char *s, size_t width)
{
    size_t len = strlen(s);
    for (size_t i = len; i + 1 < width; i++)
        put(w, " ");
    put(w, " ");
    put(w, s);
}

/* The label, cut to fit before the first column: UTF-8 safe, ending in
 * "..." when cut. */
static void put_label(cw *w, const char *indent, const char *name, size_t width)
{
    size_t room = width - 1 - strlen(indent), n = 0, cut = 0;
    put(w, indent);
    for (size_t i = 0; name[i]; i++)
        if (((unsigned char)name[i] & 0xC0) != 0x80 && n++ == room - 3)
            cut = i; /* where code point room-2 starts */
    if (n <= room) {
        put(w, name);
    } else if (w->err == 0) {
        w->err = dp_buf_append(w->b, name, cut);
        put(w, "...");
    }
    pad_to(w, width);
}

/* The four cells of a row as text: A, B, delta, ratio. Each is cut to
 * 47 bytes at most (values are far shorter). */
typedef struct cells {
    char v[4][48];
} cells;

static void row_cells(const crow *r, cells *c)
{
    dp_buf b;
    int err = 0;
    bool both = r->has_a && r->has_b;

    dp_buf_init(&b);
    for (int i = 0; i < 3; i++) {
        bool has = i == 0 ? r->has_a : i == 1 ? r->has_b : both;
        int64_t v = i == 0 ? r->a : i == 1 ? r->b : r->b - r->a;
        dp_buf_reset(&b);
        err = 0;
        if (has)
            put_value(&b, &err, r->unit, v, i == 2);
        snprintf(c->v[i], sizeof(c->v[i]), "%s",
                 has && !err && b.data ? b.data : "-");
    }
    dp_buf_fini(&b);
    if (both && r->a != 0)
        snprintf(c->v[3], sizeof(c->v[3]), "%.3f", (double)r->b / (double)r->a);
    else
        strcpy(c->v[3], "-");
}

static void widen(layout *l, const crow *r)
{
    cells c;
    row_cells(r, &c);
    for (int i = 0; i < 3; i++)
        if (strlen(c.v[i]) + 1 > l->cell)
            l->cell = strlen(c.v[i]) + 1;
    if (strlen(c.v[3]) + 1 > l->ratio)
        l->ratio = strlen(c.v[3]) + 1;
}

static void text_row(cw *w, const layout *l, const char *indent, const crow *r)
{
    cells c;
    row_cells(r, &c);
    put_label(w, indent, r->name, l->label);
    for (int i = 0; i < 3; i++)
        put_cell(w, c.v[i], l->cell);
    put_cell(w, c.v[3], l->ratio);
    put(w, "\n");
}

/* "A: <file> (N runs; dagId x, y)", or with --by "A: dagId=x (N runs)". */
static void text_side(cw *w, const char *name, const side *s, bool by)
{
    char tmp[64];
    put(w, name);
    put(w, s->label);
    snprintf(tmp, sizeof(tmp), " (%llu run%s", (unsigned long long)s->runs,
             s->runs == 1 ? "" : "s");
    put(w, tmp);
    for (size_t i = 0; !by && i < s->n_dag_ids && i < 3; i++) {
        put(w, i == 0 ? "; dagId " : ", ");
        put(w, s->dag_ids[i][0] ? s->dag_ids[i] : "\"\"");
    }
    if (!by && s->n_dag_ids > 3) {
        snprintf(tmp, sizeof(tmp), " and %zu more", s->n_dag_ids - 3);
        put(w, tmp);
    }
    put(w, ")\n");
}

static void write_text(cw *w, const side *a, const side *b, bool by,
                       const crow *rows, size_t n_rows, const crow *nodes,
                       size_t n_nodes)
{
    layout l = {LABEL_MAX, CELL_MIN, RATIO_MIN};

    for (size_t i = 0; i < n_rows; i++)
        widen(&l, &rows[i]);
    for (size_t i = 0; i < n_nodes; i++)
        widen(&l, &nodes[i]);
    if (3 * l.cell + l.ratio + l.label > TEXT_W)
        l.label = TEXT_W > 3 * l.cell + l.ratio + LABEL_MIN
                      ? TEXT_W - 3 * l.cell - l.ratio
                      : LABEL_MIN;

    text_side(w, "A: ", a, by);
    text_side(w, "B: ", b, by);
    put(w, "\n");
    pad_to(w, l.label);
    put_cell(w, "A (mean)", l.cell);
    put_cell(w, "B (mean)", l.cell);
    put_cell(w, "delta B-A", l.cell);
    put_cell(w, "ratio B/A", l.ratio);
    put(w, "\n");
    for (size_t i = 0; i < n_rows; i++)
        text_row(w, &l, "", &rows[i]);
    put(w, "executionTime by node\n");
    for (size_t i = 0; i < n_nodes; i++)
        text_row(w, &l, "  ", &nodes[i]);
    if (n_nodes == 0)
        put(w, "  (no nodes)\n");
}

/* ------------------------------------------------------------------------ */
/* JSON                                                                      */

static void jstr(cw *w, const char *s)
{
    if (w->err == 0)
        w->err = dp_buf_json_string(w->b, s);
}

static void json_side(cw *w, const char *key, const side *s)
{
    char tmp[48];
    put(w, key);
    put(w, "{\"source\":");
    jstr(w, s->label);
    snprintf(tmp, sizeof(tmp), ",\"runs\":%llu,\"dagIds\":[",
             (unsigned long long)s->runs);
    put(w, tmp);
    for (size_t i = 0; i < s->n_dag_ids; i++) {
        if (i > 0)
            put(w, ",");
        jstr(w, s->dag_ids[i]);
    }
    put(w, "]}");
}

static void json_row(cw *w, const crow *r)
{
    char ratio[48];
    put(w, "{\"a\":");
    if (r->has_a)
        put_json_value(w, r->unit, r->a);
    else
        put(w, "null");
    put(w, ",\"b\":");
    if (r->has_b)
        put_json_value(w, r->unit, r->b);
    else
        put(w, "null");
    put(w, ",\"delta\":");
    if (r->has_a && r->has_b)
        put_json_value(w, r->unit, r->b - r->a);
    else
        put(w, "null");
    put(w, ",\"ratio\":");
    if (r->has_a && r->has_b && r->a != 0) {
        snprintf(ratio, sizeof(ratio), "%.4f", (double)r->b / (double)r->a);
        put(w, ratio);
    } else {
        put(w, "null");
    }
    put(w, "}");
}

static void write_json(cw *w, const side *a, const side *b, bool by,
                       const crow *rows, size_t n_rows, const crow *nodes,
                       const side_node *const *na, const side_node *const *nb,
                       size_t n_nodes)
{
    static const char *keys[] = {"wall", "criticalPathDuration", "cost",
                                 "tokens"};
    char tmp[96];

    json_side(w, "{\"a\":", a);
    json_side(w, ",\"b\":", b);
    put(w, by ? ",\"by\":\"dagId\"" : ",\"by\":null");
    for (size_t i = 0; i < n_rows; i++) {
        put(w, ",\"");
        put(w, keys[i]);
        put(w, "\":");
        json_row(w, &rows[i]);
    }
    put(w, ",\"nodes\":[");
    for (size_t i = 0; i < n_nodes; i++) {
        put(w, i == 0 ? "{\"nodeId\":" : ",{\"nodeId\":");
        jstr(w, nodes[i].name);
        snprintf(tmp, sizeof(tmp), ",\"runsA\":%llu,\"runsB\":%llu,",
                 (unsigned long long)(na[i] ? na[i]->runs : 0),
                 (unsigned long long)(nb[i] ? nb[i]->runs : 0));
        put(w, tmp);
        put(w, "\"executionTime\":");
        json_row(w, &nodes[i]);
        put(w, "}");
    }
    put(w, "]}\n");
}

/* Builds the rows of a against b and writes them. 0 or DP_ENOMEM. */
static int render(dp_buf *out, const side *a, const side *b, bool by, bool json)
{
    crow rows[4] = {
        make_row("wall", U_MS, a, a->wall, b, b->wall),
        make_row("critical path", U_MS, a, a->cp, b, b->cp),
        make_row("cost", U_USD, a, a->cost, b, b->cost),
        make_row("tokens", U_TOKENS_X100, a, a->tokens, b, b->tokens),
    };
    size_t cap = a->n_nodes + b->n_nodes, n = 0;
    crow *nodes = calloc(cap ? cap : 1, sizeof(*nodes));
    const side_node **na = calloc(cap ? cap : 1, sizeof(*na));
    const side_node **nb = calloc(cap ? cap : 1, sizeof(*nb));
    cw w = {out, 0};

    if (nodes == NULL || na == NULL || nb == NULL) {
        w.err = DP_ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < a->n_nodes; i++, n++) {
        na[n] = &a->nodes[i];
        nb[n] = find_node(b, a->nodes[i].id);
        nodes[n] = node_row(a->nodes[i].id, na[n], nb[n]);
    }
    for (size_t i = 0; i < b->n_nodes; i++) {
        if (find_node(a, b->nodes[i].id) != NULL)
            continue;
        na[n] = NULL;
        nb[n] = &b->nodes[i];
        nodes[n] = node_row(b->nodes[i].id, NULL, nb[n]);
        n++;
    }
    if (json)
        write_json(&w, a, b, by, rows, 4, nodes, na, nb, n);
    else
        write_text(&w, a, b, by, rows, 4, nodes, n);
out:
    free(nodes);
    free(na);
    free(nb);
    return w.err;
}

/* ------------------------------------------------------------------------ */
/* The command                                                               */

static void compare_usage(FILE *out)
{
    fputs("usage: dagprof compare [options] A B\n"
          "       dagprof compare --by dagId [options] FILE...\n"
          "       dagprof compare --history PATH [--dag D] [options] A B\n"
          "\n"
          "Compares two strategies side by side: wall time, critical path\n"
          "duration, cost and tokens, and each node's executionTime (nodes\n"
          "matched by nodeId; '-' where a side lacks the node), with the\n"
          "delta B - A and the ratio B / A ('-' when A is 0). When a side\n"
          "holds several runs, its value is the mean over them (a node's:\n"
          "over the runs that have it), rounded half away from zero.\n"
          "\n"
          "A and B are files of JSON profiles, one per line, as 'dagprof\n"
          "report --output json' writes them (recognised by a first line\n"
          "with \"profileId\"), or OTLP trace files, profiled on the fly as\n"
          "'dagprof report' does. - reads stdin.\n"
          "\n"
          "options:\n"
          "  --by dagId                split the runs of all FILEs by dagId\n"
          "                            instead: there must be exactly two\n"
          "                            values; A is the smaller in byte\n"
          "                            order. dagId is the one field\n"
          "                            supported (profiles carry no resource\n"
          "                            or span attributes)\n"
          "  --output json|text        one JSON object, or an 80-column table\n"
          "                            (default: text on a terminal, json\n"
          "                            otherwise)\n"
          "  --format auto|json|proto  encoding of OTLP trace files\n"
          "  --history, --store PATH   versions A B (or --by dagId) from the\n"
          "                            store; --dag D, --since/--until "
          "WHEN\n" DP_WINDOW_HELP DP_OFFLINE_HELP
          "  -h, --help                this help\n"
          "\n"
          "Exit status: 0 compared; 1 some input was malformed and skipped,\n"
          "or a side holds no runs; 2 usage error or unreadable pricing.\n",
          out);
}

/* Reads files[0..n) with one reader (one processor, so a trace split
 * across them is joined) into ctx. Returns 0, 1 (some input skipped) or a
 * negative DP_E* code for a fatal error. */
static int read_set(compare_ctx *ctx, char **files, int n, int format,
                    const dp_processor_config *proc,
                    const dp_window_opt *window)
{
    dp_run_reader *r =
        dp_run_reader_create(format, proc, window, "compare", on_run, ctx);
    int status = 0, err = 0;

    if (r == NULL)
        return DP_ENOMEM;
    for (int i = 0; i < n && err == 0; i++) {
        err = dp_run_reader_add_file(r, files[i]);
        if (err == DP_EPARSE || err == DP_EIO) {
            status = 1;
            err = 0;
        }
    }
    if (err == 0)
        err = dp_run_reader_finish(r);
    dp_run_reader_destroy(r);
    return err ? err : status;
}

static int compare_main(const dp_offline *off, int argc, char **argv)
{
    static const struct option opts[] = {
        {"by", required_argument, NULL, 'b'},
        {"output", required_argument, NULL, 'o'},
        {"format", required_argument, NULL, 'f'},
        DP_HOPTS_STORE_FILTERS,
        {"window", required_argument, NULL, 'W'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    dp_history_opts ho = {.store = NULL}; /* --history and its filters */
    dp_history *hist;
    compare_ctx ctx;
    dp_window_opt window;
    bool json = !isatty(STDOUT_FILENO);
    int format = DP_FORMAT_AUTO, c, status = 0, nfiles;
    dp_buf out;
    side *a, *b;

    memset(&ctx, 0, sizeof(ctx));
    dp_window_opt_default(&window);
    optind = 1;
    while ((c = dp_history_opts_next(&ho, "compare", argc, argv, opts)) >= 0) {
        switch (c) {
        case 'W':
            if (dp_cli_window("compare", optarg, &window))
                return 2;
            break;
        case 'b':
            if (strcmp(optarg, "dagId") != 0) {
                fprintf(stderr,
                        "dagprof compare: --by supports dagId only, "
                        "not '%s'\n",
                        optarg);
                return 2;
            }
            ctx.by_dag_id = true;
            break;
        case 'o':
            if (strcmp(optarg, "json") != 0 && strcmp(optarg, "text") != 0) {
                fprintf(stderr,
                        "dagprof compare: --output must be json or "
                        "text, not '%s'\n",
                        optarg);
                return 2;
            }
            json = strcmp(optarg, "json") == 0;
            break;
        case 'f':
            if ((format = dp_cli_format("compare", optarg)) < 0)
                return 2;
            break;
        case 'h':
            compare_usage(stdout);
            return 0;
        default:
            compare_usage(stderr);
            return 2;
        }
    }
    if (c == -2)
        return 2;
    nfiles = argc - optind;
    if ((c = dp_compare_history_open(&ho, ctx.by_dag_id, nfiles, &hist)))
        return c;
    if (!ho.store && (ctx.by_dag_id ? nfiles < 1 : nfiles != 2)) {
        fprintf(stderr, ctx.by_dag_id
                            ? "dagprof compare: --by needs input files\n"
                            : "dagprof compare: need exactly two inputs, A "
                              "and B (or --by dagId FILE...)\n");
        compare_usage(stderr);
        return 2;
    }

    if (!ctx.by_dag_id) {
        ctx.sides = calloc(2, sizeof(side));
        if (ctx.sides != NULL)
            ctx.n_sides = ctx.cap_sides = 2;
        if (ctx.sides == NULL ||
            (ctx.sides[0].label = strdup(argv[optind])) == NULL ||
            (ctx.sides[1].label = strdup(argv[optind + 1])) == NULL) {
            status = DP_ENOMEM;
            goto done;
        }
    }
    if (hist) { /* each version its side; --by dagId: one pass */
        for (int i = 0; i < 2 - ctx.by_dag_id && status == 0; i++) {
            dp_history_filter f = ho.filter;
            f.version = ctx.by_dag_id ? f.version : argv[optind + i];
            ctx.current = ctx.by_dag_id ? NULL : &ctx.sides[i];
            status = dp_history_each_run(hist, &f, on_run, &ctx, NULL);
        }
    } else if (ctx.by_dag_id) {
        status =
            read_set(&ctx, argv + optind, nfiles, format, &off->proc, &window);
    } else {
        for (int i = 0; i < 2 && status >= 0; i++) {
            int st;
            ctx.current = &ctx.sides[i];
            st = read_set(&ctx, argv + optind + i, 1, format, &off->proc,
                          &window);
            status = st < 0 ? st : status > st ? status : st;
        }
    }
    if (status < 0)
        goto done;
    if (ctx.by_dag_id) {
        if (ctx.n_sides != 2) {
            fprintf(stderr,
                    "dagprof compare: --by dagId needs exactly two "
                    "dagId values in the input, found %zu\n",
                    ctx.n_sides);
            status = 1;
            goto done;
        }
        qsort(ctx.sides, 2, sizeof(side), cmp_side);
    }
    a = &ctx.sides[0];
    b = &ctx.sides[1];
    if (a->runs == 0 || b->runs == 0) {
        fprintf(stderr, "dagprof compare: %s holds no runs\n",
                a->runs == 0 ? a->label : b->label);
        status = 1;
        goto done;
    }
    dp_buf_init(&out);
    if (render(&out, a, b, ctx.by_dag_id, json) != 0) {
        dp_buf_fini(&out);
        status = DP_ENOMEM;
        goto done;
    }
    if (fwrite(out.data, 1, out.len, stdout) != out.len ||
        fflush(stdout) != 0) {
        fprintf(stderr, "dagprof compare: cannot write output\n");
        status = 2;
    }
    dp_buf_fini(&out);
done:
    if (status < 0) {
        fprintf(stderr, "dagprof compare: %s\n", dp_strerror(status));
        status = 2;
    }
    for (size_t i = 0; i < ctx.n_sides; i++)
        side_fini(&ctx.sides[i]);
    free(ctx.sides);
    dp_history_close(hist);
    free(ho.store_owned);
    return status;
}

int dp_cmd_compare(int argc, char **argv)
{
    return dp_offline_main("compare", argc, argv, compare_main);
}
