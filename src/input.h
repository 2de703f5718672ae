/*
 * input.h - the files the offline commands read: a profile file (JSON
 * lines as `serve` and `report --output json` write them) or an OTLP trace
 * file, told apart by their first non-blank line.
 */
#ifndef DP_INPUT_H
#define DP_INPUT_H

#include <stddef.h>

/* Called for every non-blank line of a profile file, with its 1-based line
 * number; a non-zero return stops the reading and is returned. */
typedef int (*dp_input_profile_fn)(void *user, const char *path,
                                   unsigned long lineno, const char *line,
                                   size_t n);
/* Called once for a trace file, with a path the trace-file reader can open
 * (for stdin, a spooled copy as /dev/fd/N) and the name to show in
 * messages ("<stdin>" for stdin); its return is returned. */
typedef int (*dp_input_trace_fn)(void *user, const char *path,
                                 const char *name);

/* Reads path ("-" is stdin). A file whose first non-blank line is a JSON
 * object with a "profileId" member is a profile file; anything else is
 * handed to trace_fn (an empty file too: the trace reader reports it).
 * Returns a callback's code, 0, or DP_EIO (message on stderr). */
int dp_input_read(const char *path, dp_input_profile_fn profile_fn,
                  dp_input_trace_fn trace_fn, void *user);

#endif /* DP_INPUT_H */
