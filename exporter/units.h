/*
 * units.h - parsing of durations, sizes and file modes written in
 * configuration.
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
/* File permissions as octal digits, "0600", "600", "0o640" -> 0600, 0600,
 * 0640. False unless 1 to 4 octal digits (after the optional 0o) with a
 * value of at most 0777. */
bool dp_parse_mode(const char *s, uint32_t *mode);

#endif /* DP_UNITS_H */
