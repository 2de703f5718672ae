/*
 * pricing_table.c - the pricing table itself (pricing_row.h): rows held,
 * added (a row with the same pattern and date replaces the old one) and
 * looked up for a model at a call time, and the cost of a call's tokens.
 * The readers fill it: pricing.c (dagprof's JSON format, the built-in
 * default) and pricing_litellm.c (LiteLLM's price map). A leaf below both,
 * so calls run one way: pricing.c -> pricing_litellm.c -> pricing_table.c.
 */
#include <ctype.h>
#include <regex.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pricing_row.h"

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
