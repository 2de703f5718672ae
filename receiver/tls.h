/*
 * tls.h - TLS material for the receivers: certificate, key and optional
 * client CA files (receivers.otlp.{grpc,http}.tls.*), checked and read for
 * gRPC C core (PEM text) and turned into an OpenSSL server context for the
 * OTLP/HTTP listener, both reloadable on SIGHUP.
 *
 * Sits beside the receivers: otlp_grpc.c builds gRPC's SSL server
 * credentials from dp_tls_pem; otlp_http_tls.c wraps each accepted
 * connection in an SSL object made from the dp_tls_server's current
 * context. TLS 1.2 or newer; a client CA turns on mutual TLS (a client
 * certificate signed by it is required).
 */
#ifndef DP_TLS_H
#define DP_TLS_H

#include <stdbool.h>
#include <stddef.h>

typedef struct dp_tls_files {
    const char *cert_file;      /* PEM certificate chain; NULL or "": off */
    const char *key_file;       /* PEM private key of the first certificate */
    const char *client_ca_file; /* PEM CA(s); set: client certificates are
                                   required and verified (mTLS) */
} dp_tls_files;

/* True when f asks for TLS (a certificate file is named). */
bool dp_tls_files_on(const dp_tls_files *f);

/* Checks the combination: a key without a certificate, a certificate
 * without a key, or a client CA without a certificate is an error naming
 * the keys under prefix (e.g. "receivers.otlp.grpc.tls"). Returns 0 or
 * DP_EINVAL with a message. Does not read the files. */
int dp_tls_files_check(const dp_tls_files *f, const char *prefix, char *err,
                       size_t err_len);

/* The three files' contents as NUL-terminated PEM text (client_ca NULL
 * when no file is named). */
typedef struct dp_tls_pem {
    char *cert, *key, *client_ca;
} dp_tls_pem;

/* Reads the files named by f. Returns 0, or DP_EIO / DP_EINVAL with a
 * message naming the file (unreadable, empty, or not PEM). On error pem is
 * left empty. */
int dp_tls_pem_read(const dp_tls_files *f, dp_tls_pem *pem, char *err,
                    size_t err_len);
/* Frees the texts (scrubbing the key first); accepts a zeroed pem. */
void dp_tls_pem_fini(dp_tls_pem *pem);

/* An OpenSSL server context that can be replaced while in use. */
typedef struct dp_tls_server dp_tls_server;

/* Builds the context from f (copied: the same files are read again by
 * dp_tls_server_reload). Returns NULL with a message naming the file and
 * OpenSSL's reason when a file cannot be loaded or the key does not match
 * the certificate. */
dp_tls_server *dp_tls_server_create(const dp_tls_files *f, char *err,
                                    size_t err_len);

/* Reads the files again and, when they load, makes the new context the one
 * new connections get (connections already open keep theirs). On failure
 * the current context stays and the message says why. Any thread. */
int dp_tls_server_reload(dp_tls_server *t, char *err, size_t err_len);

/* A new server-side SSL object (SSL *) from the current context, or NULL.
 * Any thread; the caller frees it with SSL_free. */
void *dp_tls_server_new_ssl(dp_tls_server *t);

/* True when client certificates are required (a client CA is set). */
bool dp_tls_server_mutual(const dp_tls_server *t);

/* Frees t; SSL objects made from it stay valid. Accepts NULL. */
void dp_tls_server_destroy(dp_tls_server *t);

#endif /* DP_TLS_H */
