/*
 * pricing_litellm.c - reads LiteLLM's model price map
 * (model_prices_and_context_window.json, the price list most LLM tools
 * share) into the pricing table, so a user can pass a current community
 * map to --pricing instead of writing rows. pricing.c detects the format
 * by its shape and hands the parsed JSON here; the rows built here are
 * ordinary table rows and are looked up like any other.
 *
 * One entry becomes one exact row. Its pattern is the key lowercased with
 * the provider prefixes removed ("anthropic/", "bedrock/us-east-1/",
 * "vertex_ai/", "openrouter/anthropic/", "us.anthropic."), so it matches
 * the names spans carry; when several keys name the same model that way,
 * the key with no prefix wins, else the shortest. Prices are USD per token
 * (3e-06) and become pico-USD per token by exact decimal rounding. A row
 * takes effect on the date of the newest row that already prices its model
 * (1970-01-01 when none does): it replaces the current price and older
 * calls keep the older rows. Mapping and rules: docs/pricing.md.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pricing_row.h"

/* One usable entry before the rows are added. */
struct entry {
    struct dp__price_row row;
    const char *key; /* the map's key, owned by the JSON */
    size_t key_len;
    bool bare; /* the key needed no prefix removed */
};

enum { COST_INPUT, COST_OUTPUT, COST_CACHE_READ, COST_CACHE_WRITE, N_COSTS };

/* The price keys of an entry, in enum order; a tier key is one of these
 * followed by "_above_<N>k_tokens". */
static const char *const cost_keys[N_COSTS] = {
    "input_cost_per_token", "output_cost_per_token",
    "cache_read_input_token_cost", "cache_creation_input_token_cost"};
#define REASONING_KEY "output_cost_per_reasoning_token"
#define MAX_TIERS 4

/* Entries of these modes are read; any other mode (image_generation,
 * audio_transcription, rerank, ...) is skipped. */
static const char *const read_modes[] = {"chat", "completion", "responses",
                                         "embedding", NULL};

bool dp__pricing_litellm_shape(const json_t *root)
{
    if (!json_is_object(root) || json_object_get(root, "rows"))
        return false;
    const char *key;
    const json_t *val;
    json_object_foreach((json_t *)root, key, val)
    {
        if (strcmp(key, "sample_spec") != 0 && json_is_object(val) &&
            (json_object_get(val, cost_keys[COST_INPUT]) ||
             json_object_get(val, cost_keys[COST_OUTPUT])))
            return true;
    }
    return false;
}

/* Converts x USD per token (0 <= x <= 1) into pico-USD per token, rounded
 * half up, exactly for the number as written in the file: the shortest
 * decimal that reads back as x (what JSON writers print, "3e-06") is
 * recovered with printf and scaled by 10^12 in integers, so 3e-06 gives
 * 3,000,000 and 1.25e-07 gives 125,000 with no binary rounding. */
static int64_t pico_from_usd(double x)
{
    static const uint64_t pow10[19] = {1ULL,
                                       10ULL,
                                       100ULL,
                                       1000ULL,
                                       10000ULL,
                                       100000ULL,
                                       1000000ULL,
                                       10000000ULL,
                                       100000000ULL,
                                       1000000000ULL,
                                       10000000000ULL,
                                       100000000000ULL,
                                       1000000000000ULL,
                                       10000000000000ULL,
                                       100000000000000ULL,
                                       1000000000000000ULL,
                                       10000000000000000ULL,
                                       100000000000000000ULL,
                                       1000000000000000000ULL};
    char buf[48];
    int prec = 0;
    for (; prec < 16; prec++) { /* %.16e (17 digits) always reads back */
        snprintf(buf, sizeof(buf), "%.*e", prec, x);
        if (strtod(buf, NULL) == x)
            break;
    }
    snprintf(buf, sizeof(buf), "%.*e", prec, x);

    /* buf is "d.ddde-07" (the separator may follow the locale). */
    uint64_t digits = 0;
    int n_digits = 0;
    const char *p = buf;
    for (; *p && *p != 'e' && *p != 'E'; p++) {
        if (isdigit((unsigned char)*p)) {
            digits = digits * 10 + (uint64_t)(*p - '0');
            n_digits++;
        }
    }
    int exp10 = *p ? atoi(p + 1) : 0;
    /* x = digits x 10^(exp10 - (n_digits - 1)); pico = x x 10^12. */
    int k = exp10 - (n_digits - 1) + 12;
    if (k >= 0)
        return (int64_t)(digits * pow10[k]); /* <= 10^12: x <= 1 */
    if (-k > 18)
        return 0; /* digits < 10^17: below half a pico-USD */
    uint64_t div = pow10[-k];
    uint64_t q = digits / div, r = digits % div;
    return (int64_t)(q + (r * 2 >= div ? 1 : 0));
}

/* Reads the price at key in obj: absent or null leaves *out at -1.
 * Returns 0 or DP_EPARSE with the message naming the file, model and key. */
static int read_cost(struct dp__pricing_load *c, const json_t *obj,
                     const char *model, const char *key, int64_t *out)
{
    const json_t *v = json_object_get(obj, key);
    *out = -1;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_number(v))
        return dp__pricing_fail(c, DP_EPARSE, "\"%s\": \"%s\" is not a number",
                                model, key);
    double x = json_number_value(v);
    if (!(x >= 0) || x > DP__MAX_PRICE_USD_PER_1M / 1e6)
        return dp__pricing_fail(c, DP_EPARSE,
                                "\"%s\": \"%s\" is negative or above 1 USD "
                                "per token",
                                model, key);
    *out = json_is_integer(v) ? (int64_t)json_integer_value(v) * 1000000000000LL
                              : pico_from_usd(x);
    return 0;
}

/* If key is "<cost key>_above_<N>k_tokens", sets *which and *above (N x
 * 1000 tokens) and returns true. */
static bool tier_key(const char *key, int *which, int64_t *above)
{
    for (int w = 0; w < N_COSTS; w++) {
        size_t n = strlen(cost_keys[w]);
        if (strncmp(key, cost_keys[w], n) != 0 ||
            strncmp(key + n, "_above_", 7) != 0)
            continue;
        const char *d = key + n + 7, *e = d;
        while (isdigit((unsigned char)*e))
            e++;
        if (e == d || e - d > 6 || strcmp(e, "k_tokens") != 0)
            return false;
        *which = w;
        *above = strtoll(d, NULL, 10) * 1000;
        return true;
    }
    return false;
}

/* Reads the tier keys of an entry into r->tiers; a price a tier does not
 * name is the base price. Returns 0, DP_EPARSE or DP_ENOMEM. */
static int read_tiers(struct dp__pricing_load *c, const json_t *obj,
                      const char *model, struct dp__price_row *r)
{
    struct {
        int64_t above;
        int64_t cost[N_COSTS];
    } t[MAX_TIERS];
    size_t n = 0;
    const char *key;
    const json_t *val;
    json_object_foreach((json_t *)obj, key, val)
    {
        int which;
        int64_t above, price;
        if (!tier_key(key, &which, &above))
            continue;
        int rc = read_cost(c, obj, model, key, &price);
        if (rc != 0)
            return rc;
        if (price < 0)
            continue;
        size_t i = 0;
        while (i < n && t[i].above != above)
            i++;
        if (i == n) {
            if (n == MAX_TIERS)
                return dp__pricing_fail(c, DP_EPARSE,
                                        "\"%s\": more than %d price "
                                        "thresholds",
                                        model, MAX_TIERS);
            t[n].above = above;
            for (int w = 0; w < N_COSTS; w++)
                t[n].cost[w] = -1;
            n++;
        }
        t[i].cost[which] = price;
    }
    if (n == 0)
        return 0;
    r->tiers = calloc(n, sizeof(*r->tiers));
    if (!r->tiers)
        return dp__pricing_fail(c, DP_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        /* Ascending by threshold: insertion sort, n <= MAX_TIERS. */
        size_t j = r->n_tiers;
        while (j > 0 && r->tiers[j - 1].above_input_tokens > t[i].above) {
            r->tiers[j] = r->tiers[j - 1];
            j--;
        }
        struct dp__price_tier *tier = &r->tiers[j];
        const int64_t *base[N_COSTS] = {&r->prices.input, &r->prices.output,
                                        &r->prices.cache_read,
                                        &r->prices.cache_write};
        int64_t *slot[N_COSTS] = {&tier->prices.input, &tier->prices.output,
                                  &tier->prices.cache_read,
                                  &tier->prices.cache_write};
        tier->above_input_tokens = t[i].above;
        for (int w = 0; w < N_COSTS; w++)
            *slot[w] = t[i].cost[w] >= 0 ? t[i].cost[w] : *base[w];
        tier->prices.reasoning = r->prices.reasoning;
        r->n_tiers++;
    }
    return 0;
}

/* Builds e from the entry model -> obj. Returns 1 when the entry is used,
 * 0 when it is skipped (a mode that is not read, or no token price), or a
 * negative error. On error e may hold partial allocations. */
static int read_entry(struct dp__pricing_load *c, const char *model,
                      const json_t *obj, struct entry *e)
{
    if (!json_is_object(obj))
        return dp__pricing_fail(c, DP_EPARSE, "\"%s\": not an object", model);
    const json_t *mode = json_object_get(obj, "mode");
    if (mode && !json_is_null(mode)) {
        if (!json_is_string(mode))
            return dp__pricing_fail(c, DP_EPARSE,
                                    "\"%s\": \"mode\" is not a string", model);
        const char *const *m = read_modes;
        while (*m && strcmp(*m, json_string_value(mode)) != 0)
            m++;
        if (!*m)
            return 0;
    }

    struct dp__price_row *r = &e->row;
    int64_t *slots[N_COSTS] = {&r->prices.input, &r->prices.output,
                               &r->prices.cache_read, &r->prices.cache_write};
    for (int w = 0; w < N_COSTS; w++) {
        int rc = read_cost(c, obj, model, cost_keys[w], slots[w]);
        if (rc != 0)
            return rc;
    }
    int rc = read_cost(c, obj, model, REASONING_KEY, &r->prices.reasoning);
    if (rc != 0)
        return rc;
    if (r->prices.input < 0 && r->prices.output < 0)
        return 0;
    /* LiteLLM leaves out a price that does not apply (an embedding model
     * has no output price): such a price is 0. */
    if (r->prices.input < 0)
        r->prices.input = 0;
    if (r->prices.output < 0)
        r->prices.output = 0;
    rc = read_tiers(c, obj, model, r);
    if (rc != 0)
        return rc;

    size_t len = strlen(model);
    char *lower = malloc(len + 1);
    if (!lower)
        return dp__pricing_fail(c, DP_ENOMEM, "out of memory");
    for (size_t i = 0; i <= len; i++)
        lower[i] = (char)tolower((unsigned char)model[i]);
    const char *norm = dp__pricing_normalize(lower);
    e->bare = norm == lower;
    r->pattern = *norm ? strdup(norm) : NULL;
    free(lower);
    if (!*model || (!r->pattern && !e->bare))
        return dp__pricing_fail(c, DP_EPARSE,
                                "\"%s\": no model name after the provider "
                                "prefix",
                                model);
    if (!r->pattern)
        return dp__pricing_fail(c, DP_ENOMEM, "out of memory");
    r->pattern_len = strlen(r->pattern);
    r->match = DP__MATCH_EXACT;

    int n = snprintf(NULL, 0, "%s: LiteLLM key \"%s\"", c->name, model);
    r->source = n > 0 ? malloc((size_t)n + 1) : NULL;
    if (!r->source)
        return dp__pricing_fail(c, DP_ENOMEM, "out of memory");
    snprintf(r->source, (size_t)n + 1, "%s: LiteLLM key \"%s\"", c->name,
             model);
    e->key = model;
    e->key_len = len;
    return 1;
}

/* Orders entries by pattern and, within a pattern, best first: a key with
 * no prefix, then the shortest key, then byte order. */
static int cmp_entry(const void *a, const void *b)
{
    const struct entry *x = a, *y = b;
    int d = strcmp(x->row.pattern, y->row.pattern);
    if (d != 0)
        return d;
    if (x->bare != y->bare)
        return x->bare ? -1 : 1;
    if (x->key_len != y->key_len)
        return x->key_len < y->key_len ? -1 : 1;
    return strcmp(x->key, y->key);
}

int dp__pricing_load_litellm(dp_pricing *pricing, const json_t *root,
                             struct dp__pricing_load *c)
{
    size_t cap = json_object_size(root), n = 0, kept = 0;
    struct entry *v = calloc(cap ? cap : 1, sizeof(*v));
    struct dp__price_row *rows = calloc(cap ? cap : 1, sizeof(*rows));
    int rc = 0;
    if (!v || !rows) {
        rc = dp__pricing_fail(c, DP_ENOMEM, "out of memory");
        goto out;
    }
    const char *key;
    const json_t *val;
    json_object_foreach((json_t *)root, key, val)
    {
        if (strcmp(key, "sample_spec") == 0)
            continue;
        rc = read_entry(c, key, val, &v[n]);
        if (rc < 0) {
            n++; /* v[n] holds partial allocations */
            goto out;
        }
        if (rc == 0)
            dp__price_row_fini(&v[n].row);
        else
            n++;
    }
    rc = 0;

    /* One row per pattern, then dates from the rows already loaded. */
    qsort(v, n, sizeof(*v), cmp_entry);
    for (size_t i = 0; i < n; i++) {
        if (kept && strcmp(rows[kept - 1].pattern, v[i].row.pattern) == 0)
            continue;
        uint64_t eff = 0;
        dp__pricing_newest_effective(pricing, v[i].row.pattern, &eff);
        v[i].row.effective_ns = eff;
        rows[kept++] = v[i].row;
        memset(&v[i].row, 0, sizeof(v[i].row)); /* moved to rows */
    }
    /* Same kind only: an exact row named like a built-in prefix row
     * (claude-sonnet-4-5) must not replace it. */
    if (dp__pricing_add_rows(pricing, rows, kept, true) != 0) {
        rc = dp__pricing_fail(c, DP_ENOMEM, "out of memory");
        goto out;
    }
    kept = 0; /* ownership moved to the table */
out:
    for (size_t i = 0; i < kept; i++)
        dp__price_row_fini(&rows[i]);
    for (size_t i = 0; v && i < n; i++)
        dp__price_row_fini(&v[i].row);
    free(rows);
    free(v);
    return rc;
}
