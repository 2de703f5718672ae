/*
 * history_cli.c - the history pieces the commands share (history_cli.h).
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sys/stat.h>

#include "history_cli.h"
#include "log.h"
#include "units.h"

char *dp_history_cli_path(const dp_config *cfg)
{
    if (cfg->history_path && cfg->history_path[0])
        return strdup(cfg->history_path);
    const char *dir =
        cfg->history_dir && cfg->history_dir[0] ? cfg->history_dir : ".";
    size_t n = strlen(dir) + sizeof("/history.db");
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/history.db", dir);
    return p;
}

int dp_history_cli_add_exporter(dp_exporters *e, const dp_config *cfg,
                                char *err, size_t err_len)
{
    char msg[400];
    if (!cfg->history_enabled)
        return 0;
    char *path = dp_history_cli_path(cfg);
    if (!path) {
        snprintf(err, err_len, "history: out of memory");
        return DP_ENOMEM;
    }
    dp_history_config hc;
    memset(&hc, 0, sizeof(hc));
    hc.path = path;
    hc.retention_ns = cfg->history_retention_ns;
    hc.max_size = cfg->history_max_size;
    hc.flush_interval_ns = cfg->history_flush_interval_ns;
    hc.batch_size = (size_t)cfg->history_batch_size;
    dp_history_writer *w = dp_history_writer_create(&hc, msg, sizeof(msg));
    if (!w) {
        snprintf(err, err_len,
                 "history.path: %s (history.enabled: false turns the "
                 "history off)",
                 msg);
        free(path);
        return DP_EIO;
    }
    dp_exporter_policy pol;
    dp_exporter_policy_init(&pol);
    pol.queue_size = (size_t)cfg->history_queue_size;
    /* A writer that falls behind drops the oldest profiles whatever the
     * queue's depth: 16 MiB (hundreds of profiles, more than a batch)
     * covers a flush; more would only hold memory under overload. */
    pol.queue_bytes = 16u << 20;
    pol.on_full = DP_ON_FULL_DROP;
    pol.max_attempts = 3;
    int rc = dp_exporters_add(e, &dp_history_ops, w, &pol, NULL);
    if (rc) {
        snprintf(err, err_len, "history: %s", dp_strerror(rc));
    } else {
        dp_log_info("history", "storing profiles in %s", path);
    }
    free(path);
    return rc;
}

uint64_t dp_history_cli_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

bool dp_history_cli_since(const char *s, uint64_t now, uint64_t *out)
{
    uint64_t ns;
    struct tm tm;
    if (dp_parse_duration(s, &ns)) {
        *out = ns < now ? now - ns : 1;
        return true;
    }
    memset(&tm, 0, sizeof(tm));
    const char *end = strptime(s, "%Y-%m-%d", &tm);
    if (!end)
        return false;
    if (*end == 'T' || *end == ' ') {
        end = strptime(end + 1, "%H:%M", &tm);
        if (!end)
            return false;
        if (*end == ':' && !(end = strptime(end + 1, "%S", &tm)))
            return false;
        if (*end == 'Z')
            end++;
    }
    if (*end)
        return false;
    time_t t = timegm(&tm);
    if (t < 0)
        return false;
    *out = (uint64_t)t * 1000000000ULL;
    if (*out == 0)
        *out = 1;
    return true;
}

void dp_history_cli_time(uint64_t unix_ns, char *out, size_t len)
{
    time_t t = (time_t)(unix_ns / 1000000000ULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int dp_history_cli_ms(dp_buf *b, int64_t ns)
{
    return dp_buf_ms(b, ns);
}

/* ------------------------------------------------------------------------ */
/* Options                                                                   */

int dp_history_opts_init(dp_history_opts *o, const char *cmd, int *argc,
                         char **argv)
{
    static const char *const prefixes[] = {"history.", "regression.", NULL};
    char err[512];
    memset(o, 0, sizeof(*o));
    o->json = !isatty(STDOUT_FILENO);
    dp_config_init(&o->cfg);
    int rest = dp_config_from_args_only(&o->cfg, *argc, argv, prefixes, err,
                                        sizeof(err));
    if (rest < 0) {
        fprintf(stderr, "dagprof %s: %s\n", cmd, err);
        dp_config_fini(&o->cfg);
        return 2;
    }
    *argc = rest;
    argv[rest] = NULL;
    return 0;
}

void dp_history_opts_fini(dp_history_opts *o)
{
    free(o->store_owned);
    dp_config_fini(&o->cfg);
}

int dp_history_opts_take(dp_history_opts *o, const char *cmd, int c,
                         const char *arg)
{
    uint64_t t;
    switch (c) {
    case DP_HOPT_HISTORY:
        o->store = arg;
        return 1;
    case DP_HOPT_OUTPUT:
        if (strcmp(arg, "json") != 0 && strcmp(arg, "text") != 0) {
            fprintf(stderr,
                    "dagprof %s: --output must be json or text, not '%s'\n",
                    cmd, arg);
            return 2;
        }
        o->json = strcmp(arg, "json") == 0;
        return 1;
    case DP_HOPT_SINCE:
    case DP_HOPT_UNTIL:
        if (!dp_history_cli_since(arg, dp_history_cli_now(), &t)) {
            fprintf(stderr,
                    "dagprof %s: --%s must be a duration (24h, 30d) or a "
                    "UTC date or time (2026-12-01, 2026-12-01T08:00:00Z), "
                    "not '%s'\n",
                    cmd, c == DP_HOPT_SINCE ? "since" : "until", arg);
            return 2;
        }
        if (c == DP_HOPT_SINCE)
            o->filter.since_unix_ns = t;
        else
            o->filter.until_unix_ns = t;
        return 1;
    case DP_HOPT_DAG:
        o->filter.dag = arg;
        return 1;
    case DP_HOPT_VERSION:
        o->filter.version = arg;
        return 1;
    default:
        return 0;
    }
}

int dp_history_opts_next(dp_history_opts *o, const char *cmd, int argc,
                         char **argv, const struct option *opts)
{
    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        int t = dp_history_opts_take(o, cmd, c, optarg);
        if (t == 2)
            return -2;
        if (t == 0)
            return c;
    }
    return -1;
}

dp_history *dp_history_opts_open(dp_history_opts *o, const char *cmd)
{
    char err[512];
    if (!o->store) {
        o->store_owned = dp_history_cli_path(&o->cfg);
        o->store = o->store_owned;
    }
    dp_history *h =
        o->store ? dp_history_open(o->store, err, sizeof(err)) : NULL;
    if (!h)
        fprintf(stderr, "dagprof %s: %s\n", cmd,
                o->store ? err : "out of memory");
    return h;
}

int dp_history_cli_trace_id(const char *cmd, const char *id, char lower[33])
{
    size_t len = strlen(id);
    if (len < 8 || len > 32 || strspn(id, "0123456789abcdefABCDEF") != len) {
        fprintf(stderr,
                "dagprof %s: '%s' is not a trace id (8 to 32 hex digits)\n",
                cmd, id);
        return 2;
    }
    for (size_t i = 0; i <= len; i++)
        lower[i] = (char)(id[i] >= 'A' && id[i] <= 'F' ? id[i] + 32 : id[i]);
    return 0;
}

int dp_history_cli_profile(dp_history *h, const char *store, const char *cmd,
                           const char *lower, dp_buf *json)
{
    int err = dp_history_profile(h, lower, json);
    if (err == DP_ENOENT)
        fprintf(stderr, "dagprof %s: no run with trace id %s%s in %s\n", cmd,
                lower, strlen(lower) < 32 ? "..." : "", store);
    else if (err == DP_EINVAL)
        fprintf(stderr,
                "dagprof %s: several runs have trace ids starting with %s "
                "in %s; give more digits\n",
                cmd, lower, store);
    else if (err)
        fprintf(stderr, "dagprof %s: %s: %s\n", cmd, store, dp_strerror(err));
    return err ? 1 : 0;
}

/* ------------------------------------------------------------------------ */
/* Tables                                                                    */

void dp_table_init(dp_table *t, size_t cols, unsigned right)
{
    memset(t, 0, sizeof(*t));
    t->cols = cols;
    t->right = right;
}

int dp_table_cell(dp_table *t, const char *text)
{
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 64;
        char **c = realloc(t->cells, cap * sizeof(*c));
        if (!c)
            return DP_ENOMEM;
        t->cells = c;
        t->cap = cap;
    }
    if (!(t->cells[t->n] = strdup(text ? text : "")))
        return DP_ENOMEM;
    t->n++;
    return 0;
}

int dp_table_cellf(dp_table *t, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    return dp_table_cell(t, tmp);
}

int dp_table_write(const dp_table *t, dp_buf *out)
{
    size_t w[32] = {0};
    size_t cols = t->cols < 32 ? t->cols : 32;
    for (size_t i = 0; i < t->n; i++) {
        size_t l = strlen(t->cells[i]);
        if (l > w[i % t->cols] && i % t->cols < cols)
            w[i % t->cols] = l;
    }
    for (size_t i = 0; i < t->n; i++) {
        size_t c = i % t->cols;
        int pad = (int)(c < cols ? w[c] : 0);
        bool last = c == t->cols - 1 || i == t->n - 1;
        if (t->right & (1u << c))
            dp_buf_printf(out, "%*s", pad, t->cells[i]);
        else if (last)
            dp_buf_puts(out, t->cells[i]);
        else
            dp_buf_printf(out, "%-*s", pad, t->cells[i]);
        dp_buf_puts(out, last ? "\n" : "  ");
    }
    return out->data || t->n == 0 ? 0 : DP_ENOMEM;
}

void dp_table_fini(dp_table *t)
{
    for (size_t i = 0; i < t->n; i++)
        free(t->cells[i]);
    free(t->cells);
    memset(t, 0, sizeof(*t));
}

int dp_history_cli_emit(const dp_buf *b, const char *cmd)
{
    if ((b->len && fwrite(b->data, 1, b->len, stdout) != b->len) ||
        fflush(stdout) != 0) {
        fprintf(stderr, "dagprof %s: cannot write output\n", cmd);
        return 2;
    }
    return 0;
}

/* ------------------------------------------------------------------------ */
/* A query command's main                                                    */

/* Opens the store, runs cmd on it and writes what it answered. */
static int run_on_store(const dp_history_cmd *cmd, void *user,
                        dp_history_opts *o)
{
    dp_history *h = dp_history_opts_open(o, cmd->name);
    if (!h)
        return 1;
    dp_buf out;
    dp_buf_init(&out);
    int status = cmd->run(user, o, h, &out);
    if (status < 0) {
        fprintf(stderr, "dagprof %s: %s: %s\n", cmd->name, o->store,
                dp_strerror(status));
        status = 1;
    } else if (status == 0) {
        status = dp_history_cli_emit(&out, cmd->name);
    }
    dp_buf_fini(&out);
    dp_history_close(h);
    return status;
}

/* The shared options: the first three for every command, the rest with
 * filters. */
static const struct option shared_opts[] = {
    {"history", required_argument, NULL, DP_HOPT_HISTORY},
    {"store", required_argument, NULL, DP_HOPT_HISTORY},
    {"output", required_argument, NULL, DP_HOPT_OUTPUT},
    {"since", required_argument, NULL, DP_HOPT_SINCE},
    {"until", required_argument, NULL, DP_HOPT_UNTIL},
    {"dag", required_argument, NULL, DP_HOPT_DAG},
    {"version", required_argument, NULL, DP_HOPT_VERSION}};
#define N_SHARED (sizeof(shared_opts) / sizeof(shared_opts[0]))
#define MAX_OWN 16

int dp_history_cmd_main(const dp_history_cmd *cmd, void *user, int argc,
                        char **argv)
{
    struct option opts[N_SHARED + MAX_OWN + 2];
    size_t n = cmd->filters ? N_SHARED : 3;
    dp_history_opts o;
    int c, status = 0;
    bool stop = false;

    memcpy(opts, shared_opts, n * sizeof(opts[0]));
    for (size_t i = 0; i < MAX_OWN && cmd->own[i].name; i++)
        opts[n++] = cmd->own[i];
    opts[n++] = (struct option){"help", no_argument, NULL, 'h'};
    opts[n] = (struct option){NULL, 0, NULL, 0};
    if (dp_history_opts_init(&o, cmd->name, &argc, argv))
        return 2;
    if (cmd->since_back_ns)
        o.filter.since_unix_ns = dp_history_cli_now() - cmd->since_back_ns;
    optind = 1;
    while (!stop && (c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        int t = cmd->option(user, &o, c, optarg);
        if (t == 0)
            t = dp_history_opts_take(&o, cmd->name, c, optarg);
        if (t == 0) { /* -h, or an option the command does not have */
            cmd->usage(c == 'h' ? stdout : stderr);
            status = c == 'h' ? 0 : 2;
        } else if (t == 2) {
            status = 2;
        }
        stop = t != 1;
    }
    if (!stop)
        status = cmd->operands(user, &o, argc - optind, argv + optind);
    if (!stop && status == 0)
        status = run_on_store(cmd, user, &o);
    dp_history_opts_fini(&o);
    return status;
}

/* The watcher of the `regression` rules (history/regalert.h): it reads the
 * history store every history.flush_interval (at least 1 s), off the
 * ingest path, and emits through emit. */
int dp_history_cli_regression_alerts(const dp_config *cfg,
                                     const dp_alerts *alerts,
                                     dp_alert_emit_fn emit, void *user,
                                     dp_regalert **out, char *err,
                                     size_t err_len)
{
    size_t n = dp_alerts_regression_count(alerts);
    *out = NULL;
    if (!n)
        return 0;
    if (!cfg->history_enabled) {
        snprintf(err, err_len,
                 "alert '%s': condition regression reads the history store, "
                 "which history.enabled: false turns off",
                 dp_alerts_regression_get(alerts, 0)->name);
        return DP_EINVAL;
    }
    char *store = dp_history_cli_path(cfg);
    char *state =
        store ? dp_regalert_state_path(store, cfg->history_dir) : NULL;
    if (store && strncmp(store, "clickhouse://", 13) == 0 && cfg->history_dir &&
        cfg->history_dir[0])
        mkdir(cfg->history_dir, 0700); /* the state file's; may exist */
    uint64_t every = cfg->history_flush_interval_ns;
    dp_regalert_config rc = {
        .store = store,
        .state_path = state,
        .alerts = alerts,
        .defaults = {cfg->regression_min_change, cfg->regression_p_value,
                     cfg->regression_min_runs},
        .interval_ns = every < 1000000000ULL ? 1000000000ULL : every,
        .emit = emit,
        .user = user};
    *out = state ? dp_regalert_create(&rc, err, err_len) : NULL;
    if (!state)
        snprintf(err, err_len, "out of memory");
    else if (*out)
        dp_log_info("alerts",
                    "%zu regression rule(s) on %s, fired ones kept in %s%s", n,
                    store, state,
                    strncmp(store, "clickhouse://", 13) == 0
                        ? " and claimed in the store's regression_alerts "
                          "table (one shard fires each)"
                        : "");
    free(store);
    free(state);
    return *out ? 0 : DP_EINVAL;
}
