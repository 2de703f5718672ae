/*
 * config.c - the one loader of the configuration table (config_keys.c):
 * values from text with their checks, defaults, DAGPROF_* variables and
 * flags (see config.h); YAML files are walked in config_yaml.c.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "analysis_config.h"
#include "config.h"
#include "config_keys.h"
#include "log.h"
#include "units.h"

/* ---- value parsing ------------------------------------------------------- */

static bool parse_u64(const char *s, uint64_t *out)
{
    char *end;
    if (!isdigit((unsigned char)*s))
        return false;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end)
        return false;
    *out = v;
    return true;
}

static bool parse_endpoint(const char *s)
{
    if (!*s)
        return true; /* disabled */
    const char *colon = strrchr(s, ':');
    if (!colon || colon == s || !colon[1])
        return false;
    uint64_t port;
    if (!parse_u64(colon + 1, &port) || port > 65535)
        return false;
    if (s[0] == '[' && colon[-1] != ']')
        return false;
    return true;
}

/* The OpenTelemetry Collector's layout for the same receivers:
 * receivers.otlp.protocols.{grpc,http}.X is receivers.otlp.{grpc,http}.X;
 * history.store is another name of history.path (what the query commands'
 * --store names). Returns key, or its dagprof spelling in buf. */
static const char *canonical_key(const char *key, char *buf, size_t len)
{
    static const char collector[] = "receivers.otlp.protocols";
    size_t n = sizeof(collector) - 1;
    if (strcmp(key, "history.store") == 0)
        return "history.path";
    if (strncmp(key, collector, n) != 0 || (key[n] != '.' && key[n] != '\0'))
        return key;
    snprintf(buf, len, "receivers.otlp%s", key + n);
    return buf;
}

const struct dp__config_key *dp__config_find(const struct dp__config_key *rows,
                                             size_t n, const char *key)
{
    char buf[256];
    key = canonical_key(key, buf, sizeof(buf));
    for (size_t i = 0; i < n; i++)
        if (strcmp(rows[i].key, key) == 0)
            return &rows[i];
    return NULL;
}

bool dp__config_is_prefix(const struct dp__config_key *rows, size_t n,
                          const char *key)
{
    char buf[256];
    key = canonical_key(key, buf, sizeof(buf));
    size_t l = strlen(key);
    for (size_t i = 0; i < n; i++)
        if (strncmp(rows[i].key, key, l) == 0 && rows[i].key[l] == '.')
            return true;
    return false;
}

static const struct dp__config_key *find_key(const char *key)
{
    return dp__config_find(dp__config_keys, dp__config_n_keys, key);
}

/* Edit distance of a[0..la) and b[0..lb), capped at 8. O(la * lb). */
static size_t edit_distance(const char *a, size_t la, const char *b, size_t lb)
{
    size_t row[128];
    if (la >= 127 || lb >= 127)
        return 8;
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb] < 8 ? row[lb] : 8;
}

/* The row key (or row key prefix with as many dots as key) of rows
 * nearest to key, when it is a near miss (at most 2 edits, or 3 for long
 * names); NULL otherwise. The result points into a static buffer. */
static const char *did_you_mean(const struct dp__config_key *rows, size_t n,
                                const char *key)
{
    static char best[128];
    char buf[256];
    key = canonical_key(key, buf, sizeof(buf));
    size_t dots = 0, klen = strlen(key), best_d = 9;
    for (const char *p = key; *p; p++)
        dots += *p == '.';
    for (size_t i = 0; i < n; i++) {
        /* The candidate cut to as many components as key. */
        const char *c = rows[i].key;
        size_t len = 0, d = 0;
        while (c[len] && !(c[len] == '.' && d++ == dots))
            len++;
        if (d < dots)
            continue;
        size_t e = edit_distance(key, klen, c, len);
        if (e < best_d && e > 0 && len < sizeof(best)) {
            best_d = e;
            memcpy(best, c, len);
            best[len] = '\0';
        }
    }
    return best_d <= (klen > 24 ? 3u : 2u) ? best : NULL;
}

/* Appends to out the names known right below parent ("" for the top),
 * comma-separated, when there are at most 12 of them. */
static void known_below(const struct dp__config_key *rows, size_t n,
                        const char *parent, char *out, size_t len)
{
    size_t pl = strlen(parent), o = 0, count = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        const char *k = rows[i].key;
        if (pl && (strncmp(k, parent, pl) != 0 || k[pl] != '.'))
            continue;
        const char *name = k + (pl ? pl + 1 : 0);
        size_t nl = strcspn(name, ".");
        bool seen = false; /* rows sharing a component are adjacent */
        if (i > 0) {
            const char *pk = rows[i - 1].key;
            seen = (!pl || (strncmp(pk, parent, pl) == 0 && pk[pl] == '.')) &&
                   strncmp(pk + (pl ? pl + 1 : 0), name, nl) == 0 &&
                   (pk[(pl ? pl + 1 : 0) + nl] == '.' ||
                    pk[(pl ? pl + 1 : 0) + nl] == '\0');
        }
        if (seen)
            continue;
        if (++count > 12) {
            out[0] = '\0';
            return;
        }
        int w =
            snprintf(out + o, len - o, "%s%.*s", o ? ", " : "", (int)nl, name);
        if (w < 0 || (size_t)w >= len - o) {
            out[0] = '\0';
            return;
        }
        o += (size_t)w;
    }
}

void dp__config_unknown(const struct dp__config_key *rows, size_t n,
                        const char *key, const char *shown, char *err,
                        size_t err_len)
{
    const char *near = did_you_mean(rows, n, key);
    if (near) {
        /* The suggestion in the user's spelling: shown's head + near. */
        size_t head = strlen(shown) - strlen(key);
        snprintf(err, err_len,
                 "unknown configuration key '%s'; did you mean '%.*s%s'?",
                 shown, (int)head, shown, near);
        return;
    }
    char parent[256], names[400];
    const char *dot = strrchr(key, '.');
    snprintf(parent, sizeof(parent), "%.*s", dot ? (int)(dot - key) : 0, key);
    known_below(rows, n, parent, names, sizeof(names));
    if (names[0] && (parent[0] || n < 13))
        snprintf(err, err_len, "unknown configuration key '%s' (known%s%s: %s)",
                 shown, parent[0] ? " under " : "", parent, names);
    else
        snprintf(err, err_len, "unknown configuration key '%s'", shown);
}

/* See config_keys.h. */
const char *dp__config_expected_form(const struct dp__config_key *k, char *buf,
                                     size_t len)
{
    switch (k->type) {
    case K_ENDPOINT:
        return "host:port (or empty to disable)";
    case K_LOGLEVEL:
        return "error, warn, info or debug";
    case K_LOGFMT:
        return "text or json";
    case K_DURABLE:
        return "none or wal";
    case K_DUR_U64:
    case K_DUR_I64:
        return "a duration such as 500ms, 2s, 5m, 1h";
    case K_SIZE:
        return "a size such as 512KiB, 4MiB, 20MB or bytes";
    case K_U64:
    case K_U32:
    case K_I64:
        return "a whole number";
    case K_DOUBLE:
        return "a decimal number";
    case K_BOOL:
        return "true or false";
    case K_MODE:
        return "file permissions in octal such as 0600 or 0640";
    case K_ENUM: {
        /* "a|b|c" -> "a, b or c" */
        size_t o = 0;
        const char *p = k->choices;
        buf[0] = '\0';
        while (*p && o + 1 < len) {
            size_t n = strcspn(p, "|");
            const char *sep = !o ? "" : p[n] ? ", " : " or ";
            int w = snprintf(buf + o, len - o, "%s%.*s", sep, (int)n, p);
            if (w < 0 || (size_t)w >= len - o)
                break;
            o += (size_t)w;
            p += n + (p[n] == '|');
        }
        return buf;
    }
    case K_BLOCK:
        return "a mapping of settings (or {})";
    case K_MAP:
        return "a mapping of names to text";
    case K_LIST:
        return "a list";
    default:
        return "text";
    }
}

/* The index of v among k's choices, or -1. */
static int enum_index(const struct dp__config_key *k, const char *v)
{
    int i = 0;
    size_t vl = strlen(v);
    for (const char *p = k->choices; *p; i++) {
        size_t n = strcspn(p, "|");
        if (n == vl && strncmp(p, v, n) == 0)
            return i;
        p += n + (p[n] == '|');
    }
    return -1;
}

static bool is_string_type(int type)
{
    return type == K_STR || type == K_ENDPOINT || type == K_LOGLEVEL ||
           type == K_LOGFMT || type == K_DURABLE;
}

int dp__config_set_value(void *cfg, const struct dp__config_key *k,
                         const char *v, const char *label, char *err,
                         size_t err_len)
{
    char *base = (char *)cfg + k->off;
    char form[160];
    uint64_t u = 0;
    bool ok = true;
    double d = 0;

    switch (k->type) {
    case K_STR:
    case K_ENDPOINT:
    case K_LOGLEVEL:
    case K_LOGFMT:
    case K_DURABLE: {
        if (k->type == K_ENDPOINT && !parse_endpoint(v))
            ok = false;
        if (k->type == K_DURABLE && strcmp(v, "none") != 0 &&
            strcmp(v, "wal") != 0)
            ok = false;
        if (k->type == K_LOGLEVEL && dp_log_level_parse(v) < 0)
            ok = false;
        if (k->type == K_LOGFMT && dp_log_format_parse(v) < 0)
            ok = false;
        if (!ok)
            break;
        char *copy = strdup(v);
        if (!copy)
            return DP_ENOMEM;
        free(*(char **)base);
        *(char **)base = copy;
        return 0;
    }
    case K_DUR_U64:
    case K_DUR_I64:
        ok = dp_parse_duration(v, &u);
        d = (double)u;
        break;
    case K_SIZE:
        ok = dp_parse_size(v, &u);
        d = (double)u;
        break;
    case K_U64:
    case K_U32:
    case K_I64:
        ok = parse_u64(v, &u);
        d = (double)u;
        if (ok && k->type == K_U32 && u > UINT32_MAX)
            ok = false;
        if (ok && k->type == K_I64 && u > INT64_MAX)
            ok = false;
        break;
    case K_DOUBLE: {
        char *end;
        d = strtod(v, &end);
        ok = *v && !*end && isfinite(d);
        break;
    }
    case K_BOOL:
        ok = strcmp(v, "true") == 0 || strcmp(v, "false") == 0;
        u = strcmp(v, "true") == 0;
        break;
    case K_MODE: {
        uint32_t m = 0;
        ok = dp_parse_mode(v, &m);
        u = m;
        d = m;
        break;
    }
    case K_ENUM: {
        int i = enum_index(k, v);
        ok = i >= 0;
        u = (uint64_t)(ok ? i : 0);
        break;
    }
    default: /* K_BLOCK, K_MAP, K_LIST: not a single value */
        return dp_errf(err, err_len, DP_EINVAL,
                       "%s: expected %s, not a single value", label,
                       dp__config_expected_form(k, form, sizeof(form)));
    }
    if (!ok)
        return dp_errf(err, err_len, DP_EINVAL,
                       "%s: invalid value '%s': expected %s", label, v,
                       dp__config_expected_form(k, form, sizeof(form)));
    if (k->min != k->max && (d < k->min || d > k->max))
        return dp_errf(err, err_len, DP_EINVAL,
                       "%s: invalid value '%s': out of range [%g, %g]", label,
                       v, k->min, k->max);
    switch (k->type) {
    case K_DUR_U64:
    case K_SIZE:
    case K_U64:
        *(uint64_t *)base = u;
        break;
    case K_DUR_I64:
    case K_I64:
        *(int64_t *)base = (int64_t)u;
        break;
    case K_U32:
    case K_MODE:
        *(uint32_t *)base = (uint32_t)u;
        break;
    case K_DOUBLE:
        *(double *)base = d;
        break;
    case K_BOOL:
        *(bool *)base = u != 0;
        break;
    case K_ENUM:
        *(int *)base = (int)u;
        break;
    }
    return 0;
}

void dp__config_defaults(void *base, const struct dp__config_key *rows,
                         size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char err[256];
        if (!rows[i].def)
            continue; /* left zero (unset) */
        /* Defaults are checked by the unit tests; a bad one is a bug. */
        if (dp__config_set_value(base, &rows[i], rows[i].def, rows[i].key, err,
                                 sizeof(err)))
            dp_log_error("config", "bad built-in default: %s", err);
    }
}

static void free_map(dp_str_map *m)
{
    for (size_t i = 0; i < m->n; i++) {
        free(m->names[i]);
        free(m->values[i]);
    }
    free(m->names);
    free(m->values);
    memset(m, 0, sizeof(*m));
}

void dp__config_free(void *base, const struct dp__config_key *rows, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        void *at = (char *)base + rows[i].off;
        if (is_string_type(rows[i].type)) {
            free(*(char **)at);
            *(char **)at = NULL;
        } else if (rows[i].type == K_MAP) {
            free_map(at);
        } else if (rows[i].type == K_LIST) {
            const struct dp__config_list *l = rows[i].list;
            char **items = (char **)((char *)base + l->items_off);
            size_t *count = (size_t *)((char *)base + l->count_off);
            for (size_t e = 0; e < *count; e++)
                dp__config_free(*items + e * l->elem_size, l->rows, l->n_rows);
            free(*items);
            *items = NULL;
            *count = 0;
        }
    }
}

void dp_config_init(dp_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    dp_analysis_config_init(&cfg->analysis);
    dp_exporters_config_init(&cfg->exporters);
    dp__config_defaults(cfg, dp__config_keys, dp__config_n_keys);
}

void dp_config_fini(dp_config *cfg)
{
    dp_exporters_config_fini(&cfg->exporters);
    dp__config_free(cfg, dp__config_keys, dp__config_n_keys);
}

int dp_config_set(dp_config *cfg, const char *key, const char *value, char *err,
                  size_t err_len)
{
    const struct dp__config_key *k = find_key(key);
    if (!k) {
        dp__config_unknown(dp__config_keys, dp__config_n_keys, key, key, err,
                           err_len);
        return DP_ENOENT;
    }
    int rc = dp__config_set_value(cfg, k, value, k->key, err, err_len);
    if (rc)
        return rc;
    /* A key inside a block turns the block on. */
    char prefix[256];
    snprintf(prefix, sizeof(prefix), "%s", k->key);
    for (char *dot; (dot = strrchr(prefix, '.')) != NULL;) {
        *dot = '\0';
        const struct dp__config_key *b = find_key(prefix);
        if (b && b->type == K_BLOCK)
            *(bool *)((char *)cfg + b->off) = true;
    }
    return 0;
}

int dp_config_load_env(dp_config *cfg, char *err, size_t err_len)
{
    for (size_t i = 0; i < dp__config_n_keys; i++) {
        char name[128];
        if (!dp__config_keys[i].flag)
            continue; /* YAML only */
        dp__config_env_name(dp__config_keys[i].key, name, sizeof(name));
        const char *v = getenv(name);
        if (!v)
            continue;
        int rc = dp__config_set_value(cfg, &dp__config_keys[i], v,
                                      dp__config_keys[i].key, err, err_len);
        if (rc) {
            char msg[512];
            snprintf(msg, sizeof(msg), "%s (from %s)", err, name);
            snprintf(err, err_len, "%s", msg);
            return rc;
        }
    }
    return 0;
}
