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
 * cost is an exact integer product. A lookup lowercases the model name, also
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
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "log.h"
#include "pricing_row.h"

/* The built-in table: data/pricing.json as a NUL-terminated string, written
 * into the build directory by processor/CMakeLists.txt. */
extern const char dp__pricing_default_json[];

struct dp_pricing {
    struct dp__price_row *rows;
    size_t n_rows;
    size_t cap_rows;
    uint64_t next_seq;
    uint64_t uid; /* never reused: keys the per-thread row memo */
};

static atomic_uint_fast64_t pricing_uids;

#define NAME_BUF 256

/* ---- rows --------------------------------------------------------------- */

void dp__price_row_fini(struct dp__price_row *r)
{
    free(r->pattern);
    free(r->source);
    free(r->tiers);
    if (r->re) {
        regfree(r->re);
        free(r->re);
    }
    memset(r, 0, sizeof(*r));
}

dp_pricing *dp_pricing_create_empty(void)
{
    dp_pricing *p = calloc(1, sizeof(dp_pricing));
    if (p)
        p->uid = atomic_fetch_add(&pricing_uids, 1) + 1;
    return p;
}

void dp_pricing_destroy(dp_pricing *pricing)
{
    if (!pricing)
        return;
    for (size_t i = 0; i < pricing->n_rows; i++)
        dp__price_row_fini(&pricing->rows[i]);
    free(pricing->rows);
    free(pricing);
}

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

int dp__pricing_fail(struct dp__pricing_load *c, int rc, const char *fmt, ...)
{
    if (c->err && c->err_len) {
        int n = snprintf(c->err, c->err_len, "%s: ", c->name);
        if (n >= 0 && (size_t)n < c->err_len) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(c->err + n, c->err_len - (size_t)n, fmt, ap);
            va_end(ap);
        }
    }
    return rc;
}

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

/* Makes room for extra rows so that table_put cannot fail. */
static int table_reserve(dp_pricing *p, size_t extra)
{
    if (p->cap_rows - p->n_rows >= extra)
        return 0;
    size_t cap = p->cap_rows ? p->cap_rows : 32;
    while (cap - p->n_rows < extra)
        cap *= 2;
    struct dp__price_row *rows = realloc(p->rows, cap * sizeof(*rows));
    if (!rows)
        return DP_ENOMEM;
    p->rows = rows;
    p->cap_rows = cap;
    return 0;
}

/* Adds r (ownership moves to the table; room reserved by the caller). A row
 * with the same pattern and effective date as an existing one replaces it;
 * when same_kind is set, only if its match kind is the same too. O(rows). */
static void table_put(dp_pricing *p, struct dp__price_row *r, bool same_kind)
{
    r->seq = p->next_seq++;
    for (size_t i = 0; i < p->n_rows; i++) {
        struct dp__price_row *o = &p->rows[i];
        if (o->effective_ns == r->effective_ns &&
            strcmp(o->pattern, r->pattern) == 0 &&
            (!same_kind || o->match == r->match)) {
            dp__price_row_fini(o);
            *o = *r;
            return;
        }
    }
    p->rows[p->n_rows++] = *r;
}

int dp__pricing_add_rows(dp_pricing *pricing, struct dp__price_row *rows,
                         size_t n, bool same_kind)
{
    if (table_reserve(pricing, n) != 0)
        return DP_ENOMEM;
    for (size_t i = 0; i < n; i++)
        table_put(pricing, &rows[i], same_kind);
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

/* ---- lookup ------------------------------------------------------------- */

/* Bedrock vendor segments: "anthropic.claude-...", "us.anthropic.claude-". */
static const char *const vendor_dots[] = {
    "anthropic.", "openai.",   "google.", "meta.", "mistral.", "cohere.",
    "amazon.",    "deepseek.", "ai21.",   "qwen.", NULL};

static size_t starts_with_vendor(const char *s)
{
    for (const char *const *v = vendor_dots; *v; v++) {
        size_t n = strlen(*v);
        if (strncmp(s, *v, n) == 0)
            return n;
    }
    return 0;
}

/* Returns the part of a lowercased model name after its provider prefixes:
 * everything up to the last '/' ("anthropic/", "models/",
 * "publishers/google/models/"), then a Bedrock vendor segment optionally
 * preceded by a region ("us.anthropic.", "global.anthropic.",
 * "anthropic."). */
const char *dp__pricing_normalize(const char *s)
{
    const char *slash = strrchr(s, '/');
    if (slash)
        s = slash + 1;
    size_t v = starts_with_vendor(s);
    if (v)
        return s + v;
    const char *dot = strchr(s, '.');
    if (dot && dot > s) {
        for (const char *q = s; q < dot; q++)
            if (!islower((unsigned char)*q) && *q != '-')
                return s;
        v = starts_with_vendor(dot + 1);
        if (v)
            return dot + 1 + v;
    }
    return s;
}

static bool row_matches(const struct dp__price_row *r, const char *name)
{
    switch (r->match) {
    case DP__MATCH_EXACT:
        return strcmp(name, r->pattern) == 0;
    case DP__MATCH_PREFIX:
        return strncmp(name, r->pattern, r->pattern_len) == 0;
    default:
        return regexec(r->re, name, 0, NULL, 0) == 0;
    }
}

/* True when a outranks b (both match and are in effect). */
static bool row_better(const struct dp__price_row *a,
                       const struct dp__price_row *b)
{
    if (a->effective_ns != b->effective_ns)
        return a->effective_ns > b->effective_ns;
    if (a->match != b->match)
        return a->match > b->match;
    if (a->match == DP__MATCH_PREFIX && a->pattern_len != b->pattern_len)
        return a->pattern_len > b->pattern_len;
    return a->seq > b->seq;
}

/* Picks the row for model at at_ns, or NULL when no row matches. Among
 * matching rows in effect at at_ns (0: unknown time, every row is) the
 * newest wins, ties by row_better. When every matching row starts after
 * at_ns (a back-dated or synthetic trace: the call cannot predate the
 * model), the earliest of them applies: the model is known and that is its
 * first listed price. O(rows). */
static const struct dp__price_row *find_row(const dp_pricing *p,
                                            const char *model, uint64_t at_ns)
{
    if (!p || !model || !*model)
        return NULL;
    char small[NAME_BUF];
    size_t len = strlen(model);
    char *lower = len < sizeof(small) ? small : malloc(len + 1);
    if (!lower)
        return NULL;
    for (size_t i = 0; i <= len; i++)
        lower[i] = (char)tolower((unsigned char)model[i]);
    const char *norm = dp__pricing_normalize(lower);

    const struct dp__price_row *best = NULL, *early = NULL;
    for (size_t i = 0; i < p->n_rows; i++) {
        const struct dp__price_row *r = &p->rows[i];
        bool in_effect = !at_ns || r->effective_ns <= at_ns;
        if (in_effect) {
            if (best && !row_better(r, best))
                continue;
        } else {
            if (best)
                continue;
            if (early && (r->effective_ns > early->effective_ns ||
                          (r->effective_ns == early->effective_ns &&
                           !row_better(r, early))))
                continue;
        }
        if (!row_matches(r, lower) && !(norm != lower && row_matches(r, norm)))
            continue;
        if (in_effect)
            best = r;
        else
            early = r;
    }
    if (lower != small)
        free(lower);
    return best ? best : early;
}

bool dp__pricing_newest_effective(const dp_pricing *pricing, const char *model,
                                  uint64_t *effective_ns)
{
    const struct dp__price_row *r = find_row(pricing, model, 0);
    if (r)
        *effective_ns = r->effective_ns;
    return r != NULL;
}

/*
 * find_row() memo. The answer depends on the table, the model, and at_ns
 * only through its UTC day (rows take effect at 00:00 UTC), and every LLM
 * call of a run asks again for the same few models: without the memo,
 * matching each call against every regex row was 29% of the instructions
 * of decode + process + finalize. One small direct-mapped cache per thread,
 * so shards sharing a table need no lock; entries are keyed by the table's
 * uid (never reused, so a destroyed table's rows are never returned) and
 * its row count and sequence (a table that gained rows misses).
 */
#define ROW_MEMO_SLOTS 64
#define ROW_MEMO_WAYS 4 /* slots probed from the hashed one */
#define ROW_MEMO_NAME 56
struct row_memo {
    uint64_t uid, gen, day;
    const struct dp__price_row *row;
    char model[ROW_MEMO_NAME];
};
static _Thread_local struct row_memo row_memo[ROW_MEMO_SLOTS];
static _Thread_local unsigned row_memo_victim;

static const struct dp__price_row *
find_row_memo(const dp_pricing *p, const char *model, uint64_t at_ns)
{
    size_t len;
    if (!p || !model || (len = strlen(model)) >= ROW_MEMO_NAME)
        return find_row(p, model, at_ns);
    uint64_t day = at_ns ? at_ns / 86400000000000ULL + 1 : 0;
    uint64_t gen = p->next_seq + ((uint64_t)p->n_rows << 32);
    uint64_t h = dp__fnv1a(DP__FNV_INIT ^ day, model, len);
    /* A few ways per set: a run's handful of models (request and response
     * names) must not evict each other on a hash collision. */
    size_t set =
        (size_t)h & (ROW_MEMO_SLOTS - 1) & ~(size_t)(ROW_MEMO_WAYS - 1);
    for (size_t w = 0; w < ROW_MEMO_WAYS; w++) {
        struct row_memo *m = &row_memo[set + w];
        if (m->uid == p->uid && m->gen == gen && m->day == day &&
            strcmp(m->model, model) == 0)
            return m->row;
    }
    const struct dp__price_row *r = find_row(p, model, at_ns);
    struct row_memo *m =
        &row_memo[set + (row_memo_victim++ & (ROW_MEMO_WAYS - 1))];
    m->uid = p->uid;
    m->gen = gen;
    m->day = day;
    m->row = r;
    memcpy(m->model, model, len + 1);
    return r;
}

/* The prices that apply to a call with input_tokens, optional prices
 * resolved: the tier with the highest threshold below input_tokens, else
 * the base prices. */
static struct dp__price_set effective_prices(const struct dp__price_row *r,
                                             int64_t input_tokens)
{
    struct dp__price_set ps = r->prices;
    for (size_t t = r->n_tiers; t-- > 0;) {
        if (input_tokens > r->tiers[t].above_input_tokens) {
            ps = r->tiers[t].prices;
            break;
        }
    }
    if (ps.cache_read < 0)
        ps.cache_read = ps.input;
    if (ps.cache_write < 0)
        ps.cache_write = ps.input;
    if (ps.reasoning < 0)
        ps.reasoning = ps.output;
    return ps;
}

/* acc += n * price, saturating at INT64_MAX; n < 0 counts as 0. */
static void add_product(int64_t *acc, int64_t n, int64_t price)
{
    int64_t prod;
    if (n <= 0 || price <= 0)
        return;
    if (__builtin_mul_overflow(n, price, &prod) ||
        __builtin_add_overflow(*acc, prod, acc))
        *acc = INT64_MAX;
}

static int64_t nonneg(int64_t v)
{
    return v > 0 ? v : 0;
}

int64_t dp__pricing_cost(const dp_pricing *pricing, const char *model,
                         const dp_tokens *tokens, uint64_t at_ns)
{
    const struct dp__price_row *r = find_row_memo(pricing, model, at_ns);
    if (!r)
        return -1;
    if (!tokens)
        return 0;
    struct dp__price_set ps = effective_prices(r, tokens->input);
    int64_t cache_read = nonneg(tokens->cache_read);
    int64_t cache_write = nonneg(tokens->cache_write);
    int64_t reasoning = nonneg(tokens->reasoning);
    int64_t uncached = nonneg(tokens->input);
    uncached = nonneg(uncached - cache_read);
    uncached = nonneg(uncached - cache_write);
    int64_t plain_out = nonneg(nonneg(tokens->output) - reasoning);

    int64_t cost = 0;
    add_product(&cost, uncached, ps.input);
    add_product(&cost, plain_out, ps.output);
    add_product(&cost, reasoning, ps.reasoning);
    add_product(&cost, cache_read, ps.cache_read);
    add_product(&cost, cache_write, ps.cache_write);
    return cost;
}

int64_t dp__pricing_input_price(const dp_pricing *pricing, const char *model,
                                int64_t input_tokens, uint64_t at_ns)
{
    const struct dp__price_row *r = find_row_memo(pricing, model, at_ns);
    if (!r)
        return -1;
    return effective_prices(r, input_tokens).input;
}
