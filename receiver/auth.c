/*
 * auth.c - bearer tokens: the tokens file, its digests, and the
 * constant-time check of an Authorization value (see auth.h).
 */
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "auth.h"
#include "processor.h"

#define MAX_FILE_BYTES (4 << 20)

struct dp_auth {
    pthread_rwlock_t lock; /* readers check, a reload writes */
    unsigned char (*digests)[32];
    size_t n;
    char *file;
};

int dp_auth_parse(const char *text, size_t len, const char *file,
                  unsigned char (**digests)[32], char *err, size_t err_len)
{
    size_t cap = 0, n = 0, line = 0;
    unsigned char(*d)[32] = NULL;
    *digests = NULL;
    for (size_t i = 0; i < len;) {
        size_t end = i;
        while (end < len && text[end] != '\n')
            end++;
        line++;
        size_t a = i, b = end;
        while (a < b && (text[a] == ' ' || text[a] == '\t'))
            a++;
        while (b > a && (text[b - 1] == ' ' || text[b - 1] == '\t' ||
                         text[b - 1] == '\r'))
            b--;
        i = end + 1;
        if (a == b || text[a] == '#')
            continue;
        const char *why =
            b - a > DP_AUTH_MAX_TOKEN ? "longer than 256 bytes" : NULL;
        for (size_t k = a; k < b && !why; k++) {
            unsigned char ch = (unsigned char)text[k];
            if (ch <= ' ' || ch == 0x7f)
                why = "contains a space or control character";
        }
        if (why) {
            snprintf(err, err_len, "%s:%zu: the token %s", file, line, why);
            free(d);
            return DP_EPARSE;
        }
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 8;
            void *p = realloc(d, ncap * sizeof(*d));
            if (!p) {
                free(d);
                snprintf(err, err_len, "%s: out of memory", file);
                return DP_ENOMEM;
            }
            d = p;
            cap = ncap;
        }
        SHA256((const unsigned char *)text + a, b - a, d[n++]);
    }
    if (n == 0) {
        free(d);
        snprintf(err, err_len, "%s: no token in the file", file);
        return DP_EPARSE;
    }
    *digests = d;
    return (int)n;
}

/* Reads and parses the file: the new set, or a negative code. */
static int load(const char *file, unsigned char (**digests)[32], char *err,
                size_t err_len)
{
    FILE *f = fopen(file, "rb");
    if (!f) {
        snprintf(err, err_len, "%s: cannot open: %s", file, strerror(errno));
        return DP_EIO;
    }
    char *buf = malloc(MAX_FILE_BYTES + 1);
    size_t len = buf ? fread(buf, 1, MAX_FILE_BYTES + 1, f) : 0;
    bool bad = ferror(f) != 0;
    fclose(f);
    int rc;
    if (!buf) {
        snprintf(err, err_len, "%s: out of memory", file);
        rc = DP_ENOMEM;
    } else if (bad || len > MAX_FILE_BYTES) {
        snprintf(err, err_len, "%s: %s", file,
                 bad ? "read error" : "larger than 4 MiB");
        rc = DP_EIO;
    } else {
        rc = dp_auth_parse(buf, len, file, digests, err, err_len);
    }
    if (buf) {
        OPENSSL_cleanse(buf, len < MAX_FILE_BYTES ? len : MAX_FILE_BYTES);
        free(buf);
    }
    return rc;
}

dp_auth *dp_auth_create(const char *tokens_file, char *err, size_t err_len)
{
    dp_auth *a = calloc(1, sizeof(*a));
    if (!a || !(a->file = strdup(tokens_file))) {
        free(a);
        snprintf(err, err_len, "out of memory");
        return NULL;
    }
    pthread_rwlock_init(&a->lock, NULL);
    int n = load(a->file, &a->digests, err, err_len);
    if (n < 0) {
        dp_auth_destroy(a);
        return NULL;
    }
    a->n = (size_t)n;
    return a;
}

int dp_auth_reload(dp_auth *a, char *err, size_t err_len)
{
    unsigned char(*d)[32];
    int n = load(a->file, &d, err, err_len);
    if (n < 0)
        return n;
    pthread_rwlock_wrlock(&a->lock);
    unsigned char(*old)[32] = a->digests;
    size_t old_n = a->n;
    a->digests = d;
    a->n = (size_t)n;
    pthread_rwlock_unlock(&a->lock);
    OPENSSL_cleanse(old, old_n * sizeof(*old));
    free(old);
    return 0;
}

bool dp_auth_check(dp_auth *a, const char *value, size_t len)
{
    if (!a)
        return true;
    /* "Bearer" SP token; the scheme is case-insensitive (RFC 7235). */
    static const char scheme[] = "bearer";
    if (!value || len < sizeof(scheme) + 1)
        return false;
    for (size_t i = 0; i < sizeof(scheme) - 1; i++)
        if (tolower((unsigned char)value[i]) != scheme[i])
            return false;
    size_t i = sizeof(scheme) - 1;
    if (value[i] != ' ')
        return false;
    while (i < len && value[i] == ' ')
        i++;
    size_t end = len;
    while (end > i && (value[end - 1] == ' ' || value[end - 1] == '\t'))
        end--;
    if (end == i || end - i > DP_AUTH_MAX_TOKEN)
        return false;
    unsigned char digest[32];
    SHA256((const unsigned char *)value + i, end - i, digest);
    int found = 0;
    pthread_rwlock_rdlock(&a->lock);
    for (size_t k = 0; k < a->n; k++)
        found |= CRYPTO_memcmp(digest, a->digests[k], sizeof(digest)) == 0;
    pthread_rwlock_unlock(&a->lock);
    return found != 0;
}

size_t dp_auth_count(dp_auth *a)
{
    if (!a)
        return 0;
    pthread_rwlock_rdlock(&a->lock);
    size_t n = a->n;
    pthread_rwlock_unlock(&a->lock);
    return n;
}

void dp_auth_destroy(dp_auth *a)
{
    if (!a)
        return;
    if (a->digests)
        OPENSSL_cleanse(a->digests, a->n * sizeof(*a->digests));
    free(a->digests);
    free(a->file);
    pthread_rwlock_destroy(&a->lock);
    free(a);
}
