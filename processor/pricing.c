/*
 * pricing.c - the pricing table: model-name patterns mapped to per-token
 * prices (pico-USD per token). Placeholder: every model is unpriced until
 * the real table lands.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct dp_pricing {
    int unused;
};

dp_pricing *dp_pricing_create_empty(void)
{
    return calloc(1, sizeof(dp_pricing));
}

dp_pricing *dp_pricing_create_default(void)
{
    return dp_pricing_create_empty();
}

int dp_pricing_load_json(dp_pricing *pricing, const char *json,
                         const char *name, char *err, size_t err_len)
{
    (void)pricing;
    (void)json;
    (void)name;
    if (err && err_len)
        err[0] = '\0';
    return 0;
}

int dp_pricing_load_file(dp_pricing *pricing, const char *path, char *err,
                         size_t err_len)
{
    return dp_pricing_load_json(pricing, "", path, err, err_len);
}

void dp_pricing_destroy(dp_pricing *pricing)
{
    free(pricing);
}

int64_t dp__pricing_cost(const dp_pricing *pricing, const char *model,
                         const dp_tokens *tokens, uint64_t at_ns)
{
    (void)pricing;
    (void)model;
    (void)tokens;
    (void)at_ns;
    return -1;
}

int64_t dp__pricing_input_price(const dp_pricing *pricing, const char *model,
                                int64_t input_tokens, uint64_t at_ns)
{
    (void)pricing;
    (void)model;
    (void)input_tokens;
    (void)at_ns;
    return -1;
}
