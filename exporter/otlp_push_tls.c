/*
 * otlp_push_tls.c - the `otlp` exporter's channel credentials: TLS for an
 * https:// endpoint (roots from ca_file or gRPC's defaults, an optional
 * client certificate), plaintext otherwise. Part of otlp_push.c's exporter.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <grpc/grpc.h>
#include <grpc/grpc_security.h>

#include "otlp_push.h"
#include "otlp_push_internal.h"

bool dp__otlp_push_is_https(const char *endpoint)
{
    return endpoint && strncmp(endpoint, "https://", 8) == 0;
}

static bool named(const char *s)
{
    return s && s[0];
}

/* Reads a PEM file whole (NUL-terminated, at most 1 MiB); NULL with a
 * message naming the key and the file. */
static char *read_pem(const char *key, const char *path, char *err,
                      size_t err_len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, err_len, "otlp exporter: %s %s: %s", key, path,
                 strerror(errno));
        return NULL;
    }
    size_t cap = 1 << 20;
    char *buf = malloc(cap + 1);
    size_t n = buf ? fread(buf, 1, cap + 1, f) : 0;
    fclose(f);
    if (buf && n > 0 && n <= cap) {
        buf[n] = '\0';
        if (strstr(buf, "-----BEGIN "))
            return buf;
    }
    snprintf(err, err_len, "otlp exporter: %s %s: not a PEM file", key, path);
    if (buf)
        memset(buf, 0, n <= cap ? n : cap); /* may hold a key */
    free(buf);
    return NULL;
}

/* The channel's credentials: TLS for https:// (roots from ca_file, else
 * gRPC's default roots; a client certificate when cert_file and key_file
 * are given), plaintext otherwise. TLS files for a plaintext endpoint are
 * an error: plaintext is only used when the endpoint asks for it. */
grpc_channel_credentials *
dp__otlp_push_credentials(const dp_otlp_push_config *cfg, char *err,
                          size_t err_len)
{
    bool any_file =
        named(cfg->ca_file) || named(cfg->cert_file) || named(cfg->key_file);
    if (!dp__otlp_push_is_https(cfg->endpoint)) {
        if (any_file) {
            snprintf(err, err_len,
                     "otlp exporter: ca_file, cert_file and key_file need an "
                     "https:// endpoint (got '%s')",
                     cfg->endpoint);
            return NULL;
        }
        return grpc_insecure_credentials_create();
    }
    if (named(cfg->cert_file) != named(cfg->key_file)) {
        snprintf(err, err_len,
                 "otlp exporter: cert_file and key_file go together");
        return NULL;
    }
    char *ca = NULL, *cert = NULL, *key = NULL;
    grpc_channel_credentials *creds = NULL;
    if (named(cfg->ca_file) &&
        !(ca = read_pem("ca_file", cfg->ca_file, err, err_len)))
        goto out;
    if (named(cfg->cert_file) &&
        (!(cert = read_pem("cert_file", cfg->cert_file, err, err_len)) ||
         !(key = read_pem("key_file", cfg->key_file, err, err_len))))
        goto out;
    grpc_ssl_pem_key_cert_pair pair = {key, cert};
    creds = grpc_ssl_credentials_create_ex(ca, cert ? &pair : NULL, NULL, NULL);
    if (!creds)
        snprintf(err, err_len, "otlp exporter: cannot create TLS credentials");
out:
    if (key)
        memset(key, 0, strlen(key));
    free(ca);
    free(cert);
    free(key);
    return creds;
}
