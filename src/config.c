/*
 * config.c - the one loader of the configuration table (config_keys.c):
 * YAML files, DAGPROF_* variables and flags (see config.h).
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "analysis_config.h"
#include "config.h"
#include "config_keys.h"
#include "exporters_config.h"
#include "log.h"
#include "units.h"

/* ---- value parsing ------------------------------------------------------- */

static int config_error(char *err, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int config_error(char *err, size_t len, const char *fmt, ...)
{
    va_list ap;
    if (err && len) {
        va_start(ap, fmt);
        vsnprintf(err, len, fmt, ap);
        va_end(ap);
    }
    return DP_EINVAL;
}

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

static const struct dp__config_key *find_key(const char *key)
{
    char buf[256];
    key = canonical_key(key, buf, sizeof(buf));
    for (size_t i = 0; i < dp__config_n_keys; i++)
        if (strcmp(dp__config_keys[i].key, key) == 0)
            return &dp__config_keys[i];
    return NULL;
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

/* The known key (or key prefix with as many dots as key) nearest to key,
 * when it is a near miss (at most 2 edits, or 3 for long names); NULL
 * otherwise. The result points into a static buffer. */
static const char *did_you_mean(const char *key)
{
    static char best[128];
    char buf[256];
    key = canonical_key(key, buf, sizeof(buf));
    size_t dots = 0, klen = strlen(key), best_d = 9;
    for (const char *p = key; *p; p++)
        dots += *p == '.';
    for (size_t i = 0; i < dp__config_n_keys; i++) {
        /* The candidate cut to as many components as key. */
        const char *c = dp__config_keys[i].key;
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

/* Writes "unknown configuration key 'key'" with a suggestion when there is
 * a near miss. */
static void unknown_key_error(char *err, size_t len, const char *prefix,
                              const char *key)
{
    const char *near = did_you_mean(key);
    snprintf(err, len, "%sunknown configuration key '%s'%s%s%s", prefix, key,
             near ? "; did you mean '" : "", near ? near : "",
             near ? "'?" : "");
}

static const char *expected_form(int type)
{
    switch (type) {
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
    default:
        return "text";
    }
}

static int set_value(dp_config *cfg, const struct dp__config_key *k,
                     const char *v, char *err, size_t err_len)
{
    char *base = (char *)cfg + k->off;
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
    }
    if (!ok)
        return config_error(err, err_len, "%s: invalid value '%s': expected %s",
                            k->key, v, expected_form(k->type));
    if (k->min != k->max && (d < k->min || d > k->max))
        return config_error(err, err_len,
                            "%s: value '%s' out of range [%g, %g]", k->key, v,
                            k->min, k->max);
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
    }
    return 0;
}

void dp_config_init(dp_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    dp_analysis_config_init(&cfg->analysis);
    for (size_t i = 0; i < dp__config_n_keys; i++) {
        char err[256];
        /* Defaults are checked by the unit tests; a bad one is a bug. */
        if (set_value(cfg, &dp__config_keys[i], dp__config_keys[i].def, err,
                      sizeof(err)))
            dp_log_error("config", "bad built-in default: %s", err);
    }
}

void dp_config_fini(dp_config *cfg)
{
    free(cfg->sections_yaml);
    cfg->sections_yaml = NULL;
    for (size_t i = 0; i < dp__config_n_keys; i++) {
        if (dp__config_keys[i].type == K_STR ||
            dp__config_keys[i].type == K_ENDPOINT ||
            dp__config_keys[i].type == K_LOGLEVEL ||
            dp__config_keys[i].type == K_LOGFMT ||
            dp__config_keys[i].type == K_DURABLE) {
            char **p = (char **)((char *)cfg + dp__config_keys[i].off);
            free(*p);
            *p = NULL;
        }
    }
}

int dp_config_set(dp_config *cfg, const char *key, const char *value, char *err,
                  size_t err_len)
{
    const struct dp__config_key *k = find_key(key);
    if (!k) {
        unknown_key_error(err, err_len, "", key);
        return DP_ENOENT;
    }
    return set_value(cfg, k, value, err, err_len);
}

/* ---- sections handled elsewhere ------------------------------------------ */

static struct {
    const char *name;
    dp_config_section_fn fn;
    void *user;
} sections[8];
static size_t n_sections;

int dp_config_register_section(const char *name, dp_config_section_fn fn,
                               void *user)
{
    for (size_t i = 0; i < n_sections; i++)
        if (strcmp(sections[i].name, name) == 0) {
            sections[i].fn = fn;
            sections[i].user = user;
            return 0;
        }
    if (n_sections == sizeof(sections) / sizeof(sections[0]))
        return DP_EFULL;
    sections[n_sections].name = name;
    sections[n_sections].fn = fn;
    sections[n_sections].user = user;
    n_sections++;
    return 0;
}

int dp_exporters_config_register(dp_exporters_config *c)
{
    int rc =
        dp_config_register_section("exporters", dp_exporters_config_section, c);
    return rc ? rc
              : dp_config_register_section("alerts", dp_alerts_config_section,
                                           c);
}

/* ---- YAML ---------------------------------------------------------------- */

/* Appends node to out as flow-style YAML (scalars double-quoted), so a
 * registered section can be printed back by dp_config_print. */
static void emit_flow(FILE *out, yaml_document_t *doc, yaml_node_t *node)
{
    if (!node) {
        fputs("null", out);
    } else if (node->type == YAML_SCALAR_NODE) {
        dp__config_put_quoted(out, (const char *)node->data.scalar.value,
                              node->data.scalar.length);
    } else if (node->type == YAML_SEQUENCE_NODE) {
        fputc('[', out);
        for (yaml_node_item_t *it = node->data.sequence.items.start;
             it < node->data.sequence.items.top; it++) {
            if (it != node->data.sequence.items.start)
                fputs(", ", out);
            emit_flow(out, doc, yaml_document_get_node(doc, *it));
        }
        fputc(']', out);
    } else if (node->type == YAML_MAPPING_NODE) {
        fputc('{', out);
        for (yaml_node_pair_t *pr = node->data.mapping.pairs.start;
             pr < node->data.mapping.pairs.top; pr++) {
            if (pr != node->data.mapping.pairs.start)
                fputs(", ", out);
            emit_flow(out, doc, yaml_document_get_node(doc, pr->key));
            fputs(": ", out);
            emit_flow(out, doc, yaml_document_get_node(doc, pr->value));
        }
        fputc('}', out);
    }
}

static void remember_section(dp_config *cfg, yaml_document_t *doc,
                             const char *name, yaml_node_t *node)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    if (!out)
        return;
    if (cfg->sections_yaml)
        fputs(cfg->sections_yaml, out);
    fprintf(out, "%s: ", name);
    emit_flow(out, doc, node);
    fputc('\n', out);
    if (fclose(out) == 0) {
        free(cfg->sections_yaml);
        cfg->sections_yaml = text;
    } else {
        free(text);
    }
}

static int walk(dp_config *cfg, yaml_document_t *doc, yaml_node_t *node,
                char *path, size_t path_len, const char *file, char *err,
                size_t err_len)
{
    if (node->type == YAML_SCALAR_NODE) {
        if (!path[0])
            return config_error(err, err_len,
                                "%s: the document must be a mapping", file);
        int rc = dp_config_set(cfg, path, (const char *)node->data.scalar.value,
                               err, err_len);
        if (rc) {
            char msg[512];
            snprintf(msg, sizeof(msg), "%s:%zu: %s", file,
                     node->start_mark.line + 1, err);
            snprintf(err, err_len, "%s", msg);
        }
        return rc;
    }
    if (node->type == YAML_SEQUENCE_NODE)
        return config_error(err, err_len,
                            "%s:%zu: %s: a list is not allowed here", file,
                            node->start_mark.line + 1, path);
    if (node->type != YAML_MAPPING_NODE)
        return 0;
    for (yaml_node_pair_t *pair = node->data.mapping.pairs.start;
         pair < node->data.mapping.pairs.top; pair++) {
        yaml_node_t *k = yaml_document_get_node(doc, pair->key);
        yaml_node_t *v = yaml_document_get_node(doc, pair->value);
        if (!k || !v || k->type != YAML_SCALAR_NODE)
            return config_error(err, err_len, "%s: keys must be plain names",
                                file);
        size_t plen = strlen(path);
        const char *name = (const char *)k->data.scalar.value;
        if (plen + strlen(name) + 2 > path_len)
            return config_error(err, err_len, "%s:%zu: key too long", file,
                                k->start_mark.line + 1);
        if (plen)
            strcat(path, ".");
        strcat(path, name);
        int rc = 0;
        bool handled = false;
        if (!plen) {
            for (size_t i = 0; i < n_sections; i++)
                if (strcmp(sections[i].name, name) == 0) {
                    rc = sections[i].fn(sections[i].user, doc, v, file, err,
                                        err_len);
                    handled = true;
                    if (!rc)
                        remember_section(cfg, doc, name, v);
                }
        }
        if (!handled) {
            /* A mapping must lead somewhere in the table. */
            if (v->type == YAML_MAPPING_NODE) {
                bool prefix = false;
                char cbuf[256];
                const char *cp = canonical_key(path, cbuf, sizeof(cbuf));
                size_t l = strlen(cp);
                for (size_t i = 0; i < dp__config_n_keys && !prefix; i++)
                    prefix = strncmp(dp__config_keys[i].key, cp, l) == 0 &&
                             dp__config_keys[i].key[l] == '.';
                if (!prefix) {
                    char where[300];
                    snprintf(where, sizeof(where), "%s:%zu: ", file,
                             k->start_mark.line + 1);
                    unknown_key_error(err, err_len, where, path);
                    rc = DP_EINVAL;
                }
            }
            if (!rc)
                rc = walk(cfg, doc, v, path, path_len, file, err, err_len);
        }
        path[plen] = '\0';
        if (rc)
            return rc;
    }
    return 0;
}

int dp_config_load_yaml(dp_config *cfg, const char *path, char *err,
                        size_t err_len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        config_error(err, err_len, "%s: cannot open: %s", path,
                     strerror(errno));
        return DP_EIO;
    }
    yaml_parser_t parser;
    yaml_document_t doc;
    int rc = 0;
    yaml_parser_initialize(&parser);
    yaml_parser_set_input_file(&parser, f);
    if (!yaml_parser_load(&parser, &doc)) {
        rc = config_error(err, err_len, "%s:%zu: %s", path,
                          parser.problem_mark.line + 1,
                          parser.problem ? parser.problem : "invalid YAML");
        yaml_parser_delete(&parser);
        fclose(f);
        return rc;
    }
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    if (root &&
        !(root->type == YAML_SCALAR_NODE && root->data.scalar.length == 0)) {
        char keypath[256] = "";
        if (root->type != YAML_MAPPING_NODE)
            rc = config_error(err, err_len,
                              "%s: the document must be a mapping", path);
        else
            rc = walk(cfg, &doc, root, keypath, sizeof(keypath), path, err,
                      err_len);
    }
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    fclose(f);
    return rc;
}

int dp_config_load_env(dp_config *cfg, char *err, size_t err_len)
{
    for (size_t i = 0; i < dp__config_n_keys; i++) {
        char name[128];
        dp__config_env_name(dp__config_keys[i].key, name, sizeof(name));
        const char *v = getenv(name);
        if (!v)
            continue;
        int rc = set_value(cfg, &dp__config_keys[i], v, err, err_len);
        if (rc) {
            char msg[512];
            snprintf(msg, sizeof(msg), "%s (from %s)", err, name);
            snprintf(err, err_len, "%s", msg);
            return rc;
        }
    }
    return 0;
}

static bool key_selected(const struct dp__config_key *k,
                         const char *const *prefixes)
{
    if (!prefixes)
        return true;
    for (; *prefixes; prefixes++)
        if (strncmp(k->key, *prefixes, strlen(*prefixes)) == 0)
            return true;
    return false;
}

static const struct dp__config_key *find_flag(const char *flag, size_t len,
                                              const char *const *prefixes)
{
    for (size_t i = 0; i < dp__config_n_keys; i++)
        if (strlen(dp__config_keys[i].flag) == len &&
            strncmp(dp__config_keys[i].flag, flag, len) == 0 &&
            key_selected(&dp__config_keys[i], prefixes))
            return &dp__config_keys[i];
    return NULL;
}

int dp_config_from_args(dp_config *cfg, int argc, char **argv, char *err,
                        size_t err_len)
{
    return dp_config_from_args_only(cfg, argc, argv, NULL, err, err_len);
}

int dp_config_from_args_only(dp_config *cfg, int argc, char **argv,
                             const char *const *prefixes, char *err,
                             size_t err_len)
{
    const char *config_file = NULL;
    /* Pass 1: --config. */
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--config") == 0) {
            if (i + 1 >= argc)
                return config_error(err, err_len, "--config needs a file"), -1;
            config_file = argv[++i];
        } else if (strncmp(argv[i], "--config=", 9) == 0) {
            config_file = argv[i] + 9;
        }
    }
    if (config_file && dp_config_load_yaml(cfg, config_file, err, err_len))
        return -1;
    if (dp_config_load_env(cfg, err, err_len))
        return -1;
    /* Pass 2: flags, keeping everything else. */
    int out = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--config") == 0) {
            i++;
            continue;
        }
        if (strncmp(a, "--config=", 9) == 0)
            continue;
        if (strncmp(a, "--", 2) != 0) {
            argv[out++] = argv[i];
            continue;
        }
        const char *name = a + 2, *eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        const struct dp__config_key *k = find_flag(name, len, prefixes);
        if (!k) {
            argv[out++] = argv[i];
            continue;
        }
        const char *value;
        if (eq) {
            value = eq + 1;
        } else {
            if (i + 1 >= argc)
                return config_error(err, err_len, "--%s needs a value (%s)",
                                    k->flag, expected_form(k->type)),
                       -1;
            value = argv[++i];
        }
        if (set_value(cfg, k, value, err, err_len)) {
            char msg[512];
            snprintf(msg, sizeof(msg), "%s (from --%s)", err, k->flag);
            snprintf(err, err_len, "%s", msg);
            return -1;
        }
    }
    return out;
}
