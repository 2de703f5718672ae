/*
 * inflate.h - bounded gzip / deflate decompression for the receivers.
 */
#ifndef DP_RECEIVER_INFLATE_H
#define DP_RECEIVER_INFLATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "processor.h"

/* Inflates a gzip (RFC 1952, several members allowed; gzip true) or deflate
 * (zlib RFC 1950, or raw RFC 1951 as some clients send) body into a
 * malloc'd *out (caller frees). Output stops at max + 1 bytes. Returns 0,
 * DP_ETOOBIG past max, DP_EPARSE on corrupt or truncated data, DP_ENOMEM.
 * Cost: O(output), memory <= max + 1. */
int dp__inflate_bounded(const uint8_t *in, size_t in_len, bool gzip, size_t max,
                        uint8_t **out, size_t *out_len);

#endif /* DP_RECEIVER_INFLATE_H */
