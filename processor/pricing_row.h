/*
 * pricing_row.h - the pricing table's row, shared by the table
 * (pricing_table.c: rows, lookup and cost) and its two readers: pricing.c
 * (dagprof's own JSON format) and pricing_litellm.c (LiteLLM's model price
 * map). Private to those three files: the rest of the processor asks for
 * prices through internal.h.
 */
#ifndef DP_PROCESSOR_PRICING_ROW_H
#define DP_PROCESSOR_PRICING_ROW_H

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "internal.h"

enum dp__match_kind {
    DP__MATCH_REGEX = 0,
    DP__MATCH_PREFIX = 1,
    DP__MATCH_EXACT = 2
};

/* Prices in pico-USD per token; -1 marks an optional price that is absent. */
struct dp__price_set {
    int64_t input;
    int64_t output;
    int64_t cache_read;  /* absent: input price */
    int64_t cache_write; /* absent: input price */
    int64_t reasoning;   /* absent: output price */
};

struct dp__price_tier {
    int64_t above_input_tokens; /* applies when input tokens exceed this */
    struct dp__price_set prices;
};

struct dp__price_row {
    char *pattern; /* lowercased */
    size_t pattern_len;
    int match;   /* enum dp__match_kind */
    regex_t *re; /* DP__MATCH_REGEX only; heap-allocated so rows can move */
    struct dp__price_set prices;
    struct dp__price_tier *tiers; /* ascending by threshold */
    size_t n_tiers;
    uint64_t effective_ns; /* 00:00 UTC of the effective date */
    char *source;
    uint64_t seq; /* load order: larger is later */
};

/* Upper bound of a price in USD per 1M tokens (= 1 USD per token): keeps
 * tokens x price far from int64 overflow. */
#define DP__MAX_PRICE_USD_PER_1M 1000000

/* Where a load writes its error message: "<name>: <message>". */
struct dp__pricing_load {
    const char *name;
    char *err;
    size_t err_len;
};

/* ---- pricing_table.c ---------------------------------------------------- */

/* Writes "<name>: " and the formatted message into c->err (when there is
 * room) and returns rc. */
int dp__pricing_fail(struct dp__pricing_load *c, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Frees what a row owns and zeroes it. Accepts a zeroed or half-built row. */
void dp__price_row_fini(struct dp__price_row *r);

/* Adds rows[0..n) to the table, all or none: takes ownership of every row
 * on success; on DP_ENOMEM the rows stay the caller's. A row with the same
 * pattern and effective date as one in the table replaces it (when
 * same_kind is set, only one of the same match kind). O(n x rows). */
int dp__pricing_add_rows(dp_pricing *pricing, struct dp__price_row *rows,
                         size_t n, bool same_kind);

/* The effective date of the row that prices model when the call time is
 * unknown (the newest matching row), or false when no row matches. */
bool dp__pricing_newest_effective(const dp_pricing *pricing, const char *model,
                                  uint64_t *effective_ns);

/* The part of a lowercased model name after its provider prefixes
 * ("anthropic/", "models/", "bedrock/us-east-1/", "us.anthropic."): a
 * pointer into s. */
const char *dp__pricing_normalize(const char *s);

/* ---- pricing_litellm.c -------------------------------------------------- */

/* True when root has the shape of LiteLLM's model_prices_and_context_window
 * .json: an object without "rows" whose values include an object with
 * input_cost_per_token or output_cost_per_token. */
bool dp__pricing_litellm_shape(const json_t *root);

/* Adds the entries of a LiteLLM price map (format and mapping:
 * docs/pricing.md). Every entry is checked before any row is added, so a
 * bad file changes nothing. Returns 0, DP_EPARSE or DP_ENOMEM with the
 * message naming the file and the key. O(entries x rows) for the dates. */
int dp__pricing_load_litellm(dp_pricing *pricing, const json_t *root,
                             struct dp__pricing_load *c);

#endif /* DP_PROCESSOR_PRICING_ROW_H */
