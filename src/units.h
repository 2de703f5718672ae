/*
 * units.h - parsing of durations and sizes written in configuration.
 */
#ifndef DP_UNITS_H
#define DP_UNITS_H

#include <stdbool.h>
#include <stdint.h>

/* "500ms", "2s", "1m30s", "0" -> nanoseconds. False when malformed,
 * negative or too large. */
bool dp_parse_duration(const char *s, uint64_t *ns);
/* "512KiB", "4MiB", "20MB", "4096" -> bytes (whole). False otherwise. */
bool dp_parse_size(const char *s, uint64_t *bytes);

#endif /* DP_UNITS_H */
