/*
 * hex.h - lowercase hex for trace and span ids, shared by receivers and
 * exporters (processor/util.c).
 */
#ifndef DP_HEX_H
#define DP_HEX_H

#include <stddef.h>
#include <stdint.h>

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

/* Writes 2*n lowercase hex digits and a NUL into out (2*n+1 bytes). */
void dp_hex_encode(const uint8_t *in, size_t n, char *out);
/* Decodes exactly 2*n hex digits (either case) from s[0..len); returns 0 or
 * DP_EBADID when len != 2*n or a digit is not hex. */
int dp_hex_decode(const char *s, size_t len, uint8_t *out, size_t n);

#ifdef __cplusplus
}
#endif

#endif /* DP_HEX_H */
