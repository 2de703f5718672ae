/*
 * otel_env.h - the OpenTelemetry SDK's standard exporter variables, for
 * the `otlp` exporter: when its own keys are unset, exporters.otlp takes
 * its endpoint from OTEL_EXPORTER_OTLP_ENDPOINT, its headers from
 * OTEL_EXPORTER_OTLP_HEADERS and its CA file from
 * OTEL_EXPORTER_OTLP_CERTIFICATE, as every OTel SDK does.
 *
 * OTEL_EXPORTER_OTLP_HEADERS is a comma-separated list of key=value pairs
 * (the W3C Baggage form the specification names): spaces around keys and
 * values are dropped, values are percent-decoded, empty items are skipped.
 */
#ifndef DP_OTEL_ENV_H
#define DP_OTEL_ENV_H

#include <stddef.h>

/* Parses text into n header names and values (malloc'd arrays of malloc'd
 * strings, names lower-cased; free with dp_otel_headers_free). Returns 0,
 * or DP_EPARSE with a message naming the item (an item without '=' or
 * with an empty key, a bad %XX escape), or DP_ENOMEM. On error nothing is
 * returned. */
int dp_otel_headers_parse(const char *text, char ***names, char ***values,
                          size_t *n, char *err, size_t err_len);
void dp_otel_headers_free(char **names, char **values, size_t n);

#endif /* DP_OTEL_ENV_H */
