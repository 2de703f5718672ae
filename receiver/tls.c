/*
 * tls.c - TLS files for the receivers: checks, PEM reading for gRPC, and a
 * replaceable OpenSSL server context for OTLP/HTTP (see tls.h).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "processor.h"
#include "tls.h"

#define MAX_PEM_BYTES (1 << 20) /* a certificate chain is a few KiB */

static bool named(const char *s)
{
    return s && s[0];
}

bool dp_tls_files_on(const dp_tls_files *f)
{
    return f && named(f->cert_file);
}

int dp_tls_files_check(const dp_tls_files *f, const char *prefix, char *err,
                       size_t err_len)
{
    if (named(f->cert_file) != named(f->key_file)) {
        snprintf(err, err_len, "%s.%s is set but %s.%s is not", prefix,
                 named(f->cert_file) ? "cert_file" : "key_file", prefix,
                 named(f->cert_file) ? "key_file" : "cert_file");
        return DP_EINVAL;
    }
    if (named(f->client_ca_file) && !named(f->cert_file)) {
        snprintf(err, err_len,
                 "%s.client_ca_file needs %s.cert_file and %s.key_file "
                 "(client certificates are only asked for over TLS)",
                 prefix, prefix, prefix);
        return DP_EINVAL;
    }
    return 0;
}

/* Reads path whole into a NUL-terminated string that must look like PEM.
 * Returns NULL with a message naming the file. */
static char *read_pem(const char *path, char *err, size_t err_len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, err_len, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    char *buf = malloc(MAX_PEM_BYTES + 1);
    size_t n = buf ? fread(buf, 1, MAX_PEM_BYTES + 1, f) : 0;
    bool bad_read = ferror(f) != 0;
    fclose(f);
    if (!buf) {
        snprintf(err, err_len, "%s: out of memory", path);
        return NULL;
    }
    const char *why = bad_read            ? "read error"
                      : n > MAX_PEM_BYTES ? "larger than 1 MiB"
                      : n == 0            ? "empty"
                                          : NULL;
    buf[n < MAX_PEM_BYTES ? n : MAX_PEM_BYTES] = '\0';
    if (!why && !strstr(buf, "-----BEGIN "))
        why = "not PEM (no -----BEGIN line)";
    if (why) {
        snprintf(err, err_len, "%s: %s", path, why);
        OPENSSL_cleanse(buf, n < MAX_PEM_BYTES ? n : MAX_PEM_BYTES);
        free(buf);
        return NULL;
    }
    return buf;
}

int dp_tls_pem_read(const dp_tls_files *f, dp_tls_pem *pem, char *err,
                    size_t err_len)
{
    memset(pem, 0, sizeof(*pem));
    pem->cert = read_pem(f->cert_file, err, err_len);
    if (pem->cert)
        pem->key = read_pem(f->key_file, err, err_len);
    if (pem->key && named(f->client_ca_file))
        pem->client_ca = read_pem(f->client_ca_file, err, err_len);
    if (!pem->cert || !pem->key ||
        (named(f->client_ca_file) && !pem->client_ca)) {
        dp_tls_pem_fini(pem);
        return DP_EIO;
    }
    return 0;
}

void dp_tls_pem_fini(dp_tls_pem *pem)
{
    if (pem->key)
        OPENSSL_cleanse(pem->key, strlen(pem->key));
    free(pem->cert);
    free(pem->key);
    free(pem->client_ca);
    memset(pem, 0, sizeof(*pem));
}

/* ---- the OpenSSL server context ----------------------------------------- */

struct dp_tls_server {
    pthread_mutex_t lock; /* guards ctx */
    SSL_CTX *ctx;
    char *cert_file, *key_file, *client_ca_file;
};

/* Writes "what: file: OpenSSL's reason" into err. */
static void ssl_error(char *err, size_t err_len, const char *what,
                      const char *file)
{
    char reason[256] = "unknown error";
    unsigned long e = ERR_peek_last_error();
    if (e)
        ERR_error_string_n(e, reason, sizeof(reason));
    ERR_clear_error();
    snprintf(err, err_len, "%s %s: %s", what, file, reason);
}

/* Offers http/1.1 by ALPN when the client asks for protocols. */
static int select_alpn(SSL *ssl, const unsigned char **out,
                       unsigned char *out_len, const unsigned char *in,
                       unsigned int in_len, void *arg)
{
    (void)ssl;
    (void)arg;
    static const unsigned char h11[] = "\x08http/1.1";
    unsigned char *sel;
    if (SSL_select_next_proto(&sel, out_len, h11, sizeof(h11) - 1, in,
                              in_len) != OPENSSL_NPN_NEGOTIATED)
        return SSL_TLSEXT_ERR_NOACK;
    *out = sel;
    return SSL_TLSEXT_ERR_OK;
}

static SSL_CTX *build_ctx(const dp_tls_server *t, char *err, size_t err_len)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx) {
        ssl_error(err, err_len, "cannot create a TLS context for", "http");
        return NULL;
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION |
                                 SSL_OP_CIPHER_SERVER_PREFERENCE);
    SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
    SSL_CTX_set_alpn_select_cb(ctx, select_alpn, NULL);
    if (SSL_CTX_use_certificate_chain_file(ctx, t->cert_file) != 1) {
        ssl_error(err, err_len, "cannot load the certificate", t->cert_file);
        goto fail;
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, t->key_file, SSL_FILETYPE_PEM) != 1) {
        ssl_error(err, err_len, "cannot load the key", t->key_file);
        goto fail;
    }
    if (SSL_CTX_check_private_key(ctx) != 1) {
        ssl_error(err, err_len, "the key does not match the certificate",
                  t->key_file);
        goto fail;
    }
    if (t->client_ca_file) {
        STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(t->client_ca_file);
        if (!names ||
            SSL_CTX_load_verify_locations(ctx, t->client_ca_file, NULL) != 1) {
            if (names)
                sk_X509_NAME_pop_free(names, X509_NAME_free);
            ssl_error(err, err_len, "cannot load the client CA",
                      t->client_ca_file);
            goto fail;
        }
        SSL_CTX_set_client_CA_list(ctx, names); /* takes names */
        SSL_CTX_set_verify(
            ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
    }
    return ctx;
fail:
    SSL_CTX_free(ctx);
    return NULL;
}

static char *dup_or_null(const char *s)
{
    return named(s) ? strdup(s) : NULL;
}

dp_tls_server *dp_tls_server_create(const dp_tls_files *f, char *err,
                                    size_t err_len)
{
    dp_tls_server *t = calloc(1, sizeof(*t));
    if (!t) {
        snprintf(err, err_len, "out of memory");
        return NULL;
    }
    pthread_mutex_init(&t->lock, NULL);
    t->cert_file = dup_or_null(f->cert_file);
    t->key_file = dup_or_null(f->key_file);
    t->client_ca_file = dup_or_null(f->client_ca_file);
    if (!t->cert_file || !t->key_file ||
        (named(f->client_ca_file) && !t->client_ca_file)) {
        snprintf(err, err_len, "TLS needs a certificate and a key file");
        dp_tls_server_destroy(t);
        return NULL;
    }
    t->ctx = build_ctx(t, err, err_len);
    if (!t->ctx) {
        dp_tls_server_destroy(t);
        return NULL;
    }
    return t;
}

int dp_tls_server_reload(dp_tls_server *t, char *err, size_t err_len)
{
    SSL_CTX *ctx = build_ctx(t, err, err_len);
    if (!ctx)
        return DP_EIO;
    pthread_mutex_lock(&t->lock);
    SSL_CTX *old = t->ctx;
    t->ctx = ctx;
    pthread_mutex_unlock(&t->lock);
    SSL_CTX_free(old); /* reference counted: open connections keep theirs */
    return 0;
}

void *dp_tls_server_new_ssl(dp_tls_server *t)
{
    pthread_mutex_lock(&t->lock);
    SSL *ssl = SSL_new(t->ctx);
    pthread_mutex_unlock(&t->lock);
    return ssl;
}

bool dp_tls_server_mutual(const dp_tls_server *t)
{
    return t && t->client_ca_file;
}

void dp_tls_server_destroy(dp_tls_server *t)
{
    if (!t)
        return;
    SSL_CTX_free(t->ctx);
    free(t->cert_file);
    free(t->key_file);
    free(t->client_ca_file);
    pthread_mutex_destroy(&t->lock);
    free(t);
}
