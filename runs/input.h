/*
 * input.h - the files the offline commands read: a profile file (JSON
 * lines as `serve` and `report --output json` write them) or an OTLP trace
 * file, told apart by their first non-blank line.
 */
#ifndef DP_INPUT_H
#define DP_INPUT_H

#include <stddef.h>

#include "chunk_in.h"
#include "processor.h"

/* Called for every non-blank line of a profile file, with its 1-based line
 * number (n counts the line's '\n' when it has one); a non-zero return
 * stops the reading and is returned. */
typedef int (*dp_input_profile_fn)(void *user, const char *path,
                                   unsigned long lineno, const char *line,
                                   size_t n);
/* Called once for a trace file with the open input, nothing of it consumed
 * (for stdin too: nothing is spooled), path as given ("-" for stdin) and
 * the name to show in messages ("<stdin>" for stdin); its return is
 * returned. */
typedef int (*dp_input_trace_fn)(void *user, dp_chunk_in *in, const char *path,
                                 const char *name);

/* Reads path ("-" is stdin) in chunks (chunk_in.h). A file whose first
 * non-blank line is a JSON object with a "profileId" member is a profile
 * file; anything else is handed to trace_fn (an empty file too: the trace
 * reader reports it). Memory: the longest line of a profile file, or what
 * the trace reader keeps. Returns a callback's code, 0, or DP_EIO (message
 * on stderr). */
int dp_input_read(const char *path, dp_input_profile_fn profile_fn,
                  dp_input_trace_fn trace_fn, void *user);

/* The profile on line lineno of the profile file path (a line a
 * dp_input_profile_fn was handed), or NULL after "dagprof: PATH:LINE: not
 * a profile: why" on stderr. */
dp_profile *dp_input_profile(const char *path, unsigned long lineno,
                             const char *line, size_t n);

#endif /* DP_INPUT_H */
