/*
 * otlp_grpc_tls.h - TLS for the OTLP/gRPC receiver: gRPC C core's SSL
 * server credentials fed by a certificate-config fetcher, so that a
 * reload (SIGHUP) takes effect at the next handshake without restarting
 * the server. Internal to otlp_grpc.c.
 */
#ifndef DP_OTLP_GRPC_TLS_H
#define DP_OTLP_GRPC_TLS_H

#include <stddef.h>

#include <grpc/grpc_security.h>

#include "tls.h"

typedef struct dp__grpc_tls dp__grpc_tls;

/* Checks and reads f (the key must match the certificate, checked with
 * OpenSSL so that the error names the file) and returns server credentials
 * whose fetcher serves the files' contents; *state receives what the
 * fetcher uses, to be freed with dp__grpc_tls_destroy once the server is
 * destroyed. NULL with a message on error. */
grpc_server_credentials *dp__grpc_tls_credentials(const dp_tls_files *f,
                                                  dp__grpc_tls **state,
                                                  char *err, size_t err_len);

/* Asks the fetcher to read the files again at the next handshake (a file
 * that fails to load then keeps the current certificate, logged). Any
 * thread, signal-safe in the sense that it only bumps an atomic counter. */
void dp__grpc_tls_reload(dp__grpc_tls *t);

void dp__grpc_tls_destroy(dp__grpc_tls *t);

#endif /* DP_OTLP_GRPC_TLS_H */
