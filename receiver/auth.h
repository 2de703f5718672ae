/*
 * auth.h - bearer-token authentication for the receivers and the HTTP
 * listener's GET routes (auth.bearer_tokens_file).
 *
 * The tokens file holds one token per line; blank lines and lines starting
 * with '#' are skipped, surrounding spaces and a trailing CR are ignored.
 * Only SHA-256 digests of the tokens are kept. A request is authenticated
 * when its Authorization value is "Bearer <token>" (scheme
 * case-insensitive) and the token's digest equals one of the kept digests;
 * every digest is compared, each in constant time (CRYPTO_memcmp), so the
 * time taken says nothing about how much of a token was right. The set can
 * be replaced while requests are checked (SIGHUP).
 *
 * Sits beside the receivers: otlp_grpc.c checks the `authorization`
 * metadata of each Export call, otlp_http_prot.c the Authorization header
 * of each protected request.
 */
#ifndef DP_AUTH_H
#define DP_AUTH_H

#include <stdbool.h>
#include <stddef.h>

typedef struct dp_auth dp_auth;

#define DP_AUTH_MAX_TOKEN 256 /* longest token accepted, in bytes */

/* Reads the tokens file. Returns NULL with a message naming the file and
 * line when it cannot be read, holds no token, or a token is longer than
 * DP_AUTH_MAX_TOKEN or contains a space or control character. */
dp_auth *dp_auth_create(const char *tokens_file, char *err, size_t err_len);

/* Reads the same file again; on success the new tokens replace the old
 * ones, on failure the old ones stay and err says why. Returns 0 or a
 * DP_E* code. Any thread. */
int dp_auth_reload(dp_auth *a, char *err, size_t err_len);

/* Parses a tokens file's text (len bytes, need not be NUL-terminated) into
 * a new set without touching a; for dp_auth_create/reload and the fuzz
 * target. Returns the number of tokens, or a negative DP_E* code with a
 * message (line numbers from 1; file names the text in messages). */
int dp_auth_parse(const char *text, size_t len, const char *file,
                  unsigned char (**digests)[32], char *err, size_t err_len);

/* True when value[0..len) is "Bearer <token>" with a known token. NULL a
 * (auth off) accepts everything. Any thread, concurrently. */
bool dp_auth_check(dp_auth *a, const char *value, size_t len);

/* Number of tokens in the current set. */
size_t dp_auth_count(dp_auth *a);

void dp_auth_destroy(dp_auth *a);

#endif /* DP_AUTH_H */
