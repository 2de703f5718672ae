/*
 * pricing.c - the pricing table: model-name patterns mapped to per-token
 * prices. The processor's cost step (cost.c) and the optimizations ask it
 * for the price of a call; nothing else in the flow reads it.
 *
 * Rows come from JSON (format: docs/pricing.md): the built-in default
 * (data/pricing.json, embedded at build time as dp__pricing_default_json)
 * and any --pricing file loaded after it, in dagprof's format (read here)
 * or as a LiteLLM price map (read by pricing_litellm.c). Prices are kept as
 * integer pico-USD per token, which equals micro-USD per 1M tokens, so every
 * cost is an exact integer product. The table, lookup and cost are in
 * pricing_table.c; this file reads dagprof's format and picks the reader.
 * A lookup lowercases the model name, also
 * strips provider prefixes ("anthropic/", "models/", "us.anthropic.") and
 * takes, among the rows that match either form and whose effective date is not
 * after the call, the newest; on equal dates exact beats prefix beats regex,
 * a longer prefix beats a shorter one, and a later-loaded row beats an
 * earlier one. A call older than every matching row gets the earliest.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "log.h"
#include "pricing_row.h"

/* The built-in table: data/pricing.json as a NUL-terminated string, written
 * into the build directory by processor/CMakeLists.txt. */
extern const char dp__pricing_default_json[];

dp_pricing *dp_pricing_create_default(void)
{
    char err[256];
    dp_pricing *p = dp_pricing_create_empty();
    if (!p)
        return NULL;
    int rc = dp_pricing_load_json(p, dp__pricing_default_json,
                                  "built-in pricing table", err, sizeof(err));
    if (rc != 0) {
        /* Only ENOMEM can fail here: the table is checked by the tests. */
        dp_log_error("processor:pricing", "%s", err);
        dp_pricing_destroy(p);
        return NULL;
    }
    return p;
}

/* ---- parsing ------------------------------------------------------------ */

/* Converts a JSON number of USD per 1M tokens into pico-USD per token
 * (micro-USD per 1M). Integers convert exactly; a real is scaled by 1e6 and
 * rounded, which is exact for any price written with at most 6 decimals
 * (doubles carry 15-17 significant digits). Returns 0 or DP_EPARSE with *why
 * set. */
static int parse_price(const json_t *v, int64_t *out, const char **why)
{
    if (json_is_integer(v)) {
        json_int_t i = json_integer_value(v);
        if (i < 0 || i > DP__MAX_PRICE_USD_PER_1M) {
            *why = "is negative or above 1000000";
            return DP_EPARSE;
        }
        *out = (int64_t)i * 1000000;
        return 0;
    }
    if (json_is_real(v)) {
        double x = json_real_value(v);
        if (!isfinite(x) || x < 0 || x > DP__MAX_PRICE_USD_PER_1M) {
            *why = "is negative or above 1000000";
            return DP_EPARSE;
        }
        double scaled = x * 1e6;
        long long r = llround(scaled);
        if (fabs(scaled - (double)r) > 1e-3) {
            *why = "has more than 6 decimal places";
            return DP_EPARSE;
        }
        *out = (int64_t)r;
        return 0;
    }
    *why = "is not a number";
    return DP_EPARSE;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
 * days_from_civil). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

/* Parses exactly "YYYY-MM-DD" (1970..2999, a real calendar day) into Unix
 * nanoseconds at 00:00 UTC. Returns 0 or DP_EPARSE. */
static int parse_date(const char *s, uint64_t *out_ns)
{
    static const unsigned mdays[12] = {31, 29, 31, 30, 31, 30,
                                       31, 31, 30, 31, 30, 31};
    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return DP_EPARSE;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && !isdigit((unsigned char)s[i]))
            return DP_EPARSE;
    unsigned y = (unsigned)atoi(s), m = (unsigned)atoi(s + 5),
             d = (unsigned)atoi(s + 8);
    if (y < 1970 || y > 2999 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
        return DP_EPARSE;
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (m == 2 && d == 29 && !leap)
        return DP_EPARSE;
    *out_ns = (uint64_t)days_from_civil(y, m, d) * 86400ULL * 1000000000ULL;
    return 0;
}

/* Reads the price keys of a row or tier object into ps. Required: input,
 * output; optional (absent or null): cache_read, cache_write, reasoning.
 * Returns 0 or DP_EPARSE with the message written. */
static int parse_price_set(struct dp__pricing_load *c, const json_t *obj,
                           const char *where, struct dp__price_set *ps)
{
    static const char *const keys[5] = {"input", "output", "cache_read",
                                        "cache_write", "reasoning"};
    int64_t *slots[5] = {&ps->input, &ps->output, &ps->cache_read,
                         &ps->cache_write, &ps->reasoning};
    for (int k = 0; k < 5; k++) {
        const json_t *v = json_object_get(obj, keys[k]);
        *slots[k] = -1;
        if (!v || json_is_null(v)) {
            if (k < 2)
                return dp__pricing_fail(
                    c, DP_EPARSE, "%s: missing price \"%s\"", where, keys[k]);
            continue;
        }
        const char *why = NULL;
        if (parse_price(v, slots[k], &why) != 0)
            return dp__pricing_fail(c, DP_EPARSE, "%s: price \"%s\" %s", where,
                                    keys[k], why);
    }
    return 0;
}

static bool key_in(const char *key, const char *const *allowed)
{
    for (; *allowed; allowed++)
        if (strcmp(key, *allowed) == 0)
            return true;
    return false;
}

static int cmp_tier(const void *a, const void *b)
{
    const struct dp__price_tier *x = a, *y = b;
    return (x->above_input_tokens > y->above_input_tokens) -
           (x->above_input_tokens < y->above_input_tokens);
}

static char *lower_dup(const char *s)
{
    size_t n = strlen(s);
    char *p = malloc(n + 1);
    if (!p)
        return NULL;
    for (size_t i = 0; i <= n; i++)
        p[i] = (char)tolower((unsigned char)s[i]);
    return p;
}

/* Parses rows[idx] into r (zeroed on entry). On error r may hold partial
 * allocations; the caller runs row_fini. */
static int parse_row(struct dp__pricing_load *c, const json_t *obj, size_t idx,
                     struct dp__price_row *r)
{
    static const char *const row_keys[] = {
        "pattern",    "match",       "input",     "output",
        "cache_read", "cache_write", "reasoning", "tiers",
        "effective",  "source",      "note",      NULL};
    static const char *const tier_keys[] = {
        "above_input_tokens", "input",     "output", "cache_read",
        "cache_write",        "reasoning", NULL};
    char where[160];

    if (!json_is_object(obj))
        return dp__pricing_fail(c, DP_EPARSE, "rows[%zu]: not an object", idx);
    const json_t *jp = json_object_get(obj, "pattern");
    if (!json_is_string(jp) || json_string_length(jp) == 0)
        return dp__pricing_fail(c, DP_EPARSE,
                                "rows[%zu]: missing or empty \"pattern\"", idx);
    snprintf(where, sizeof(where), "rows[%zu] (\"%.100s\")", idx,
             json_string_value(jp));

    const char *key;
    const json_t *val;
    json_object_foreach((json_t *)obj, key, val)
    {
        if (!key_in(key, row_keys))
            return dp__pricing_fail(c, DP_EPARSE, "%s: unknown key \"%s\"",
                                    where, key);
    }

    r->pattern = lower_dup(json_string_value(jp));
    if (!r->pattern)
        return dp__pricing_fail(c, DP_ENOMEM, "%s: out of memory", where);
    r->pattern_len = strlen(r->pattern);

    const char *m = json_string_value(json_object_get(obj, "match"));
    if (!m)
        return dp__pricing_fail(
            c, DP_EPARSE, "%s: missing \"match\" (exact, prefix or regex)",
            where);
    if (strcmp(m, "exact") == 0) {
        r->match = DP__MATCH_EXACT;
    } else if (strcmp(m, "prefix") == 0) {
        r->match = DP__MATCH_PREFIX;
    } else if (strcmp(m, "regex") == 0) {
        r->match = DP__MATCH_REGEX;
        r->re = malloc(sizeof(*r->re));
        if (!r->re)
            return dp__pricing_fail(c, DP_ENOMEM, "%s: out of memory", where);
        int rc = regcomp(r->re, json_string_value(jp),
                         REG_EXTENDED | REG_ICASE | REG_NOSUB);
        if (rc != 0) {
            char msg[128];
            regerror(rc, r->re, msg, sizeof(msg));
            free(r->re);
            r->re = NULL;
            return dp__pricing_fail(c, DP_EPARSE, "%s: bad regex: %s", where,
                                    msg);
        }
    } else {
        return dp__pricing_fail(
            c, DP_EPARSE,
            "%s: \"match\" must be exact, prefix or regex, not \"%s\"", where,
            m);
    }

    int rc = parse_price_set(c, obj, where, &r->prices);
    if (rc != 0)
        return rc;

    const json_t *je = json_object_get(obj, "effective");
    if (!je)
        return dp__pricing_fail(c, DP_EPARSE, "%s: missing \"effective\" date",
                                where);
    if (!json_is_string(je) ||
        parse_date(json_string_value(je), &r->effective_ns) != 0)
        return dp__pricing_fail(
            c, DP_EPARSE, "%s: \"effective\" must be a date YYYY-MM-DD", where);

    const json_t *js = json_object_get(obj, "source");
    if (js && !json_is_string(js))
        return dp__pricing_fail(c, DP_EPARSE, "%s: \"source\" must be a string",
                                where);
    const json_t *jn = json_object_get(obj, "note");
    if (jn && !json_is_string(jn))
        return dp__pricing_fail(c, DP_EPARSE, "%s: \"note\" must be a string",
                                where);
    if (js) {
        r->source = strdup(json_string_value(js));
        if (!r->source)
            return dp__pricing_fail(c, DP_ENOMEM, "%s: out of memory", where);
    }

    const json_t *jt = json_object_get(obj, "tiers");
    if (jt && !json_is_null(jt)) {
        if (!json_is_array(jt))
            return dp__pricing_fail(c, DP_EPARSE,
                                    "%s: \"tiers\" must be an array", where);
        size_t n = json_array_size(jt);
        if (n) {
            r->tiers = calloc(n, sizeof(*r->tiers));
            if (!r->tiers)
                return dp__pricing_fail(c, DP_ENOMEM, "%s: out of memory",
                                        where);
        }
        for (size_t t = 0; t < n; t++) {
            const json_t *to = json_array_get(jt, t);
            char twhere[200];
            snprintf(twhere, sizeof(twhere), "%s tiers[%zu]", where, t);
            if (!json_is_object(to))
                return dp__pricing_fail(c, DP_EPARSE, "%s: not an object",
                                        twhere);
            json_object_foreach((json_t *)to, key, val)
            {
                if (!key_in(key, tier_keys))
                    return dp__pricing_fail(
                        c, DP_EPARSE, "%s: unknown key \"%s\"", twhere, key);
            }
            const json_t *ja = json_object_get(to, "above_input_tokens");
            if (!json_is_integer(ja) || json_integer_value(ja) < 0)
                return dp__pricing_fail(
                    c, DP_EPARSE,
                    "%s: \"above_input_tokens\" must be an integer "
                    ">= 0",
                    twhere);
            r->tiers[t].above_input_tokens = json_integer_value(ja);
            rc = parse_price_set(c, to, twhere, &r->tiers[t].prices);
            if (rc != 0)
                return rc;
            for (size_t u = 0; u < t; u++)
                if (r->tiers[u].above_input_tokens ==
                    r->tiers[t].above_input_tokens)
                    return dp__pricing_fail(
                        c, DP_EPARSE, "%s: duplicate threshold %lld", twhere,
                        (long long)r->tiers[t].above_input_tokens);
            r->n_tiers++;
        }
        qsort(r->tiers, r->n_tiers, sizeof(*r->tiers), cmp_tier);
    }
    return 0;
}

/* Reads dagprof's own format: {"currency", "note", "rows": [...]}. */
static int load_rows(dp_pricing *pricing, const json_t *root,
                     struct dp__pricing_load *c)
{
    const json_t *cur = json_object_get(root, "currency");
    if (cur &&
        (!json_is_string(cur) || strcmp(json_string_value(cur), "USD") != 0))
        return dp__pricing_fail(c, DP_EPARSE, "\"currency\" must be \"USD\"");
    const char *key;
    const json_t *val;
    json_object_foreach((json_t *)root, key, val)
    {
        if (strcmp(key, "currency") != 0 && strcmp(key, "rows") != 0 &&
            strcmp(key, "note") != 0)
            return dp__pricing_fail(c, DP_EPARSE,
                                    "unknown top-level key \"%s\"", key);
    }

    /* Parse every row before adding any, so a bad file changes nothing. */
    const json_t *rows = json_object_get(root, "rows");
    size_t total = json_array_size(rows), n = 0;
    struct dp__price_row *parsed = calloc(total ? total : 1, sizeof(*parsed));
    if (!parsed)
        return dp__pricing_fail(c, DP_ENOMEM, "out of memory");
    int rc = 0;
    for (; n < total; n++) {
        rc = parse_row(c, json_array_get(rows, n), n, &parsed[n]);
        if (rc != 0) {
            n++; /* row n holds partial allocations too */
            goto out;
        }
    }
    if (dp__pricing_add_rows(pricing, parsed, total, false) != 0) {
        rc = dp__pricing_fail(c, DP_ENOMEM, "out of memory");
        goto out;
    }
    n = 0; /* ownership moved to the table */
out:
    for (size_t i = 0; i < n; i++)
        dp__price_row_fini(&parsed[i]);
    free(parsed);
    return rc;
}

int dp_pricing_load_json(dp_pricing *pricing, const char *json,
                         const char *name, char *err, size_t err_len)
{
    struct dp__pricing_load c = {name ? name : "pricing", err, err_len};
    if (err && err_len)
        err[0] = '\0';
    if (!pricing || !json)
        return dp__pricing_fail(&c, DP_EINVAL, "no table or no text");

    json_error_t jerr;
    json_t *root = json_loads(json, JSON_REJECT_DUPLICATES, &jerr);
    if (!root)
        return dp__pricing_fail(&c, DP_EPARSE, "line %d column %d: %s",
                                jerr.line, jerr.column, jerr.text);
    int rc;
    if (json_is_object(root) && json_is_array(json_object_get(root, "rows")))
        rc = load_rows(pricing, root, &c);
    else if (dp__pricing_litellm_shape(root))
        rc = dp__pricing_load_litellm(pricing, root, &c);
    else
        rc = dp__pricing_fail(&c, DP_EPARSE,
                              "expected an object with a \"rows\" array, or "
                              "a LiteLLM price map (model names mapped to "
                              "objects with input_cost_per_token)");
    json_decref(root);
    return rc;
}

int dp_pricing_load_file(dp_pricing *pricing, const char *path, char *err,
                         size_t err_len)
{
    struct dp__pricing_load c = {path ? path : "(null)", err, err_len};
    if (err && err_len)
        err[0] = '\0';
    if (!pricing || !path)
        return dp__pricing_fail(&c, DP_EINVAL, "no table or no path");
    FILE *f = fopen(path, "rb");
    if (!f)
        return dp__pricing_fail(&c, DP_EIO, "%s", strerror(errno));
    char *buf = NULL;
    size_t len = 0, cap = 0;
    int rc = 0;
    for (;;) {
        if (cap - len < 4097) {
            if (cap >= (64u << 20)) {
                rc = dp__pricing_fail(&c, DP_ETOOBIG, "larger than 64 MiB");
                break;
            }
            size_t ncap = cap ? cap * 2 : 16384;
            char *nb = realloc(buf, ncap);
            if (!nb) {
                rc = dp__pricing_fail(&c, DP_ENOMEM, "out of memory");
                break;
            }
            buf = nb;
            cap = ncap;
        }
        size_t got = fread(buf + len, 1, cap - len - 1, f);
        len += got;
        if (got == 0) {
            if (ferror(f))
                rc = dp__pricing_fail(&c, DP_EIO, "read error");
            break;
        }
    }
    fclose(f);
    if (rc == 0) {
        buf[len] = '\0';
        if (strlen(buf) != len)
            rc = dp__pricing_fail(&c, DP_EPARSE, "contains a NUL byte");
        else
            rc = dp_pricing_load_json(pricing, buf, path, err, err_len);
    }
    free(buf);
    return rc;
}
