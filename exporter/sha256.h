/*
 * sha256.h - SHA-256 (FIPS 180-4) and base64, for the hashes a
 * Content-Security-Policy names ('sha256-<base64 of the digest>').
 *
 * The HTML report (report_html.c) emits one inline <style> block and a CSP
 * <meta> that allows exactly that block by its hash; the hash is computed
 * here from the bytes written, so the two cannot drift. Small and
 * dependency-free: no crypto library is linked for this one digest.
 */
#ifndef DP_EXPORTER_SHA256_H
#define DP_EXPORTER_SHA256_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define DP_SHA256_LEN 32
/* Base64 of a SHA-256 digest: 44 characters and a NUL. */
#define DP_SHA256_B64_LEN 45

typedef struct dp_sha256_ctx {
    uint32_t h[8];
    uint64_t bits; /* message length so far */
    uint8_t block[64];
    size_t used; /* bytes in block */
} dp_sha256_ctx;

/* Incremental use: init, update any number of times, final. O(n). */
void dp_sha256_init(dp_sha256_ctx *c);
void dp_sha256_update(dp_sha256_ctx *c, const void *data, size_t n);
void dp_sha256_final(dp_sha256_ctx *c, uint8_t out[DP_SHA256_LEN]);

/* The digest of data[0..n) in one call. */
void dp_sha256(const void *data, size_t n, uint8_t out[DP_SHA256_LEN]);

/* Writes the standard base64 (RFC 4648, '+' '/', '=' padding) of in[0..n)
 * and a NUL into out, which holds at least 4 * ceil(n / 3) + 1 bytes.
 * Returns the number of characters written (without the NUL). */
size_t dp_base64(const uint8_t *in, size_t n, char *out);

/* The CSP source for data[0..n): "'sha256-" base64 "'" into out (at
 * least DP_SHA256_B64_LEN + 10 bytes), NUL-terminated. */
void dp_sha256_csp_source(const void *data, size_t n, char *out,
                          size_t out_len);

#ifdef __cplusplus
}
#endif

#endif /* DP_EXPORTER_SHA256_H */
