/*
 * hex.h - trace and span ids: lowercase hex, shared by receivers and
 * exporters (processor/util.c), and the hash the processor's trace table,
 * its span index and the pipeline's per-shard trace counts share.
 */
#ifndef DP_HEX_H
#define DP_HEX_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "errors.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------ */
/* Small helpers shared by receivers and exporters.                          */

/* The value of hex digit c (either case), or -1. */
static inline int dp_hex_digit(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Hashes a trace or span id: every input bit reaches every output bit
 * (MurmurHash3's 64-bit finalizer), so ids that differ only in their high
 * bytes (sequential ids written big-endian) do not cluster in the low bits
 * that pick a slot. n is 8 or 16. */
static inline uint64_t dp_id_hash(const uint8_t *id, size_t n)
{
    uint64_t a = 0, b = 0;
    memcpy(&a, id, 8);
    if (n > 8)
        memcpy(&b, id + n - 8, 8);
    uint64_t h = a ^ (b * 0x9e3779b97f4a7c15ULL);
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    return h ^ (h >> 33);
}

/* Writes 2*n lowercase hex digits and a NUL into out (2*n+1 bytes). */
void dp_hex_encode(const uint8_t *in, size_t n, char *out);
/* Decodes exactly 2*n hex digits (either case) from s[0..len); returns 0 or
 * DP_EBADID when len != 2*n or a digit is not hex. */
int dp_hex_decode(const char *s, size_t len, uint8_t *out, size_t n);

#ifdef __cplusplus
}
#endif

#endif /* DP_HEX_H */
