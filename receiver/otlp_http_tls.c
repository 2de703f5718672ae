/*
 * otlp_http_tls.c - TLS on the OTLP/HTTP listener: each accepted
 * connection gets an OpenSSL SSL object over two memory BIOs, so the
 * libuv reads and writes of otlp_http.c stay as they are and only carry
 * ciphertext. Ciphertext read from the socket goes in with
 * dp__http_tls_input (handshake, then decrypted bytes to the HTTP
 * parser); replies go out through dp__http_tls_output and the bytes
 * dp__http_tls_take hands back. Loop thread only, like the rest of the
 * receiver.
 */
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "log.h"
#include "otlp_http_internal.h"
#include "processor.h"

int dp__http_tls_accept(dp__http_conn *c)
{
    SSL *ssl = dp_tls_server_new_ssl(c->srv->tls);
    BIO *in = BIO_new(BIO_s_mem()), *out = BIO_new(BIO_s_mem());
    if (!ssl || !in || !out) {
        SSL_free(ssl);
        BIO_free(in);
        BIO_free(out);
        return DP_ENOMEM;
    }
    /* An empty memory BIO reads as "retry", not end of file. */
    BIO_set_mem_eof_return(in, -1);
    BIO_set_mem_eof_return(out, -1);
    SSL_set_bio(ssl, in, out); /* takes both */
    SSL_set_accept_state(ssl);
    c->ssl = ssl;
    return 0;
}

/* Logs why the TLS session failed (debug: a client that does not trust
 * the certificate, or speaks plain HTTP, is the client's problem). */
static void log_failure(const char *what)
{
    char reason[256] = "connection closed";
    unsigned long e = ERR_get_error();
    if (e)
        ERR_error_string_n(e, reason, sizeof(reason));
    ERR_clear_error();
    dp_log_debug(DP__HTTP_COMPONENT, "TLS %s failed: %s", what, reason);
}

int dp__http_tls_input(dp__http_conn *c, const char *data, size_t len,
                       bool (*feed)(dp__http_conn *, const char *, size_t))
{
    SSL *ssl = c->ssl;
    if (BIO_write(SSL_get_rbio(ssl), data, (int)len) != (int)len)
        return DP_EIO;
    if (!SSL_is_init_finished(ssl)) {
        int rc = SSL_do_handshake(ssl);
        if (rc != 1) {
            int e = SSL_get_error(ssl, rc);
            if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
                return 0;
            log_failure("handshake");
            return DP_EIO;
        }
    }
    char *buf = c->srv->plain_buf;
    for (;;) {
        int n = SSL_read(ssl, buf, (int)sizeof(c->srv->plain_buf));
        if (n > 0) {
            if (!feed(c, buf, (size_t)n))
                return 0;
            continue;
        }
        int e = SSL_get_error(ssl, n);
        if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
            return 0;
        if (e == SSL_ERROR_ZERO_RETURN)
            return 1;
        log_failure("read");
        return DP_EIO;
    }
}

int dp__http_tls_output(dp__http_conn *c, const void *a, size_t alen,
                        const void *b, size_t blen)
{
    SSL *ssl = c->ssl;
    if (!SSL_is_init_finished(ssl))
        return DP_EIO;
    const void *parts[2] = {a, b};
    size_t lens[2] = {alen, blen};
    for (int i = 0; i < 2; i++) {
        if (!lens[i])
            continue;
        /* A memory BIO takes everything: one call writes it all. */
        if (SSL_write(ssl, parts[i], (int)lens[i]) != (int)lens[i]) {
            log_failure("write");
            return DP_EIO;
        }
    }
    return 0;
}

void dp__http_tls_close_notify(dp__http_conn *c)
{
    if (c->ssl && SSL_is_init_finished((SSL *)c->ssl))
        SSL_shutdown(c->ssl);
    ERR_clear_error();
}

size_t dp__http_tls_pending(dp__http_conn *c)
{
    return c->ssl ? BIO_ctrl_pending(SSL_get_wbio(c->ssl)) : 0;
}

size_t dp__http_tls_take(dp__http_conn *c, char *buf, size_t len)
{
    int n = BIO_read(SSL_get_wbio(c->ssl), buf, (int)len);
    return n > 0 ? (size_t)n : 0;
}

void dp__http_tls_free(dp__http_conn *c)
{
    SSL_free(c->ssl); /* accepts NULL */
    c->ssl = NULL;
}
