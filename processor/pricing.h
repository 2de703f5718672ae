/*
 * pricing.h - the pricing table (processor/pricing.c): built-in defaults plus
 * JSON or LiteLLM files. Handed to the processor by pointer
 * (dp_processor_config.pricing) and to the what-if replay.
 */
#ifndef DP_PRICING_H
#define DP_PRICING_H

#include <stddef.h>

#include "errors.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------ */
/* Pricing table (processor/pricing.c). Prices are kept as pico-USD per      */
/* token, which equals micro-USD per 1M tokens, so every sum is an exact     */
/* integer. Money anywhere in a profile is int64 pico-USD.                   */

typedef struct dp_pricing dp_pricing;

/* Creates a table holding the built-in default rows. NULL on ENOMEM. */
dp_pricing *dp_pricing_create_default(void);
/* Creates an empty table. */
dp_pricing *dp_pricing_create_empty(void);
/* Adds the rows of a JSON pricing file; a row with the same pattern and
 * effective date as an existing one replaces it. On error returns a DP_E*
 * code and writes a message naming the file and row into err. */
int dp_pricing_load_file(dp_pricing *pricing, const char *path, char *err,
                         size_t err_len);
/* Same, from a NUL-terminated JSON text; name is used in messages. */
int dp_pricing_load_json(dp_pricing *pricing, const char *json,
                         const char *name, char *err, size_t err_len);
void dp_pricing_destroy(dp_pricing *pricing);

#ifdef __cplusplus
}
#endif

#endif /* DP_PRICING_H */
