/*
 * profile_read.h - a JSON profile line back into a dp_profile (the inverse
 * of profile_json.h), for rendering profiles that serve or report wrote.
 */
#ifndef DP_EXPORTER_PROFILE_READ_H
#define DP_EXPORTER_PROFILE_READ_H

#include <stddef.h>

#include "processor.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Parses one profile (text[0..len), one JSON object as profile_json.c
 * writes it). Returns a profile to free with dp_profile_free, or NULL with
 * a message naming the member at fault in err. Writing the result with
 * dp_profile_json_write gives the input's bytes back. O(len + nodes^2)
 * (node references are resolved by a linear search). */
dp_profile *dp_profile_json_read(const char *text, size_t len, char *err,
                                 size_t err_len);

#ifdef __cplusplus
}
#endif

#endif /* DP_EXPORTER_PROFILE_READ_H */
