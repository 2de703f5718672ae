/*
 * otlp_grpc_tls.c - SSL server credentials for the OTLP/gRPC receiver,
 * reloadable (see otlp_grpc_tls.h).
 *
 * gRPC C core calls the fetcher before each TLS handshake. It answers
 * UNCHANGED unless a reload was asked since the last load, and then reads
 * the certificate, key and client CA files again: NEW with the new
 * config, or FAIL (core keeps the config it has) when they do not load.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "otlp_grpc_tls.h"
#include "processor.h"

#define LOG_COMPONENT "receiver:grpc"

struct dp__grpc_tls {
    pthread_mutex_t lock; /* one fetch at a time */
    atomic_uint wanted;   /* bumped by reload */
    unsigned loaded;      /* generation of the config core holds */
    int first;            /* no config handed to core yet */
    char *cert_file, *key_file, *client_ca_file;
};

static grpc_ssl_server_certificate_config *
make_config(const dp__grpc_tls *t, char *err, size_t err_len)
{
    dp_tls_files f = {t->cert_file, t->key_file, t->client_ca_file};
    /* OpenSSL first: it names the file and the reason when one is bad. */
    dp_tls_server *check = dp_tls_server_create(&f, err, err_len);
    if (!check)
        return NULL;
    dp_tls_server_destroy(check);
    dp_tls_pem pem;
    if (dp_tls_pem_read(&f, &pem, err, err_len))
        return NULL;
    grpc_ssl_pem_key_cert_pair pair = {pem.key, pem.cert};
    /* Copies every string. */
    /* gRPC 1.51 asserts that a fetched config has root certificates,
     * though they only verify client certificates: without a client CA
     * (no client certificate is requested) the server's own chain stands
     * in and is never used. */
    grpc_ssl_server_certificate_config *c =
        grpc_ssl_server_certificate_config_create(
            pem.client_ca ? pem.client_ca : pem.cert, &pair, 1);
    dp_tls_pem_fini(&pem);
    return c;
}

static grpc_ssl_certificate_config_reload_status
fetch(void *user, grpc_ssl_server_certificate_config **config)
{
    dp__grpc_tls *t = user;
    grpc_ssl_certificate_config_reload_status st =
        GRPC_SSL_CERTIFICATE_CONFIG_RELOAD_UNCHANGED;
    pthread_mutex_lock(&t->lock);
    unsigned want = atomic_load(&t->wanted);
    if (t->first || want != t->loaded) {
        char err[512];
        *config = make_config(t, err, sizeof(err));
        if (*config) {
            st = GRPC_SSL_CERTIFICATE_CONFIG_RELOAD_NEW;
            if (!t->first)
                dp_log_info(LOG_COMPONENT, "TLS certificate reloaded from %s",
                            t->cert_file);
        } else {
            st = GRPC_SSL_CERTIFICATE_CONFIG_RELOAD_FAIL;
            dp_log_error(LOG_COMPONENT,
                         "TLS reload failed, keeping the current "
                         "certificate: %s",
                         err);
        }
        t->first = 0;
        t->loaded = want;
    }
    pthread_mutex_unlock(&t->lock);
    return st;
}

grpc_server_credentials *dp__grpc_tls_credentials(const dp_tls_files *f,
                                                  dp__grpc_tls **state,
                                                  char *err, size_t err_len)
{
    *state = NULL;
    dp__grpc_tls *t = calloc(1, sizeof(*t));
    if (!t) {
        snprintf(err, err_len, "out of memory");
        return NULL;
    }
    pthread_mutex_init(&t->lock, NULL);
    atomic_init(&t->wanted, 0);
    t->first = 1;
    t->cert_file = strdup(f->cert_file);
    t->key_file = strdup(f->key_file);
    t->client_ca_file = f->client_ca_file && f->client_ca_file[0]
                            ? strdup(f->client_ca_file)
                            : NULL;
    if (!t->cert_file || !t->key_file) {
        snprintf(err, err_len, "out of memory");
        dp__grpc_tls_destroy(t);
        return NULL;
    }
    /* Fail now, with the file named, rather than at the first handshake. */
    grpc_ssl_server_certificate_config *probe = make_config(t, err, err_len);
    if (!probe) {
        dp__grpc_tls_destroy(t);
        return NULL;
    }
    grpc_ssl_server_certificate_config_destroy(probe);
    grpc_ssl_server_credentials_options *opts =
        grpc_ssl_server_credentials_create_options_using_config_fetcher(
            t->client_ca_file
                ? GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY
                : GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE,
            fetch, t);
    /* Takes opts. */
    grpc_server_credentials *creds =
        opts ? grpc_ssl_server_credentials_create_with_options(opts) : NULL;
    if (!creds) {
        snprintf(err, err_len, "cannot create gRPC SSL server credentials");
        dp__grpc_tls_destroy(t);
        return NULL;
    }
    *state = t;
    return creds;
}

void dp__grpc_tls_reload(dp__grpc_tls *t)
{
    if (t)
        atomic_fetch_add(&t->wanted, 1);
}

void dp__grpc_tls_destroy(dp__grpc_tls *t)
{
    if (!t)
        return;
    free(t->cert_file);
    free(t->key_file);
    free(t->client_ca_file);
    pthread_mutex_destroy(&t->lock);
    free(t);
}
