/*
 * input.c - profile file or trace file (see input.h). Used by `report`
 * (render profiles, or profile traces) and by `report --summary` /
 * `compare` (runs from either). The first non-blank line is looked at in
 * the chunked reader's buffer without consuming it, so a trace file,
 * stdin included, goes on to the trace reader as it is.
 */
#include "input.h"

#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "processor.h"
#include "profile_read.h"

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!is_space(s[i]))
            return false;
    return true;
}

/* True when line is a JSON object with a "profileId" member. The substring
 * test first keeps a large OTLP line from being parsed twice. */
static bool is_profile_line(const char *line, size_t n)
{
    if (memmem(line, n, "\"profileId\"", 11) == NULL)
        return false;
    json_t *root = json_loadb(line, n, 0, NULL);
    bool yes = json_is_object(root) && json_object_get(root, "profileId");
    json_decref(root);
    return yes;
}

/* Looks at the first non-blank line without consuming anything: sets
 * *profile when it is a profile line. Only a line starting with '{' can
 * be, so a binary file is never searched for a line end. Returns 0,
 * DP_EIO or DP_ENOMEM. */
static int peek_profile(dp_chunk_in *in, bool *profile)
{
    size_t i = 0, line_start = 0;
    int rc;

    *profile = false;
    for (;;) {
        const char *p = dp_chunk_in_data(in);
        size_t avail = dp_chunk_in_avail(in);

        while (i < avail && is_space(p[i]))
            if (p[i++] == '\n')
                line_start = i;
        if (i < avail)
            break;
        if (dp_chunk_in_at_eof(in))
            return 0;
        if ((rc = dp_chunk_in_fill(in)))
            return rc;
    }
    if (dp_chunk_in_data(in)[i] != '{')
        return 0;
    for (;;) {
        const char *p = dp_chunk_in_data(in);
        size_t avail = dp_chunk_in_avail(in);
        const char *nl = memchr(p + i, '\n', avail - i);

        if (nl || dp_chunk_in_at_eof(in)) {
            size_t end = nl ? (size_t)(nl - p) + 1 : avail;
            *profile = is_profile_line(p + line_start, end - line_start);
            return 0;
        }
        i = avail;
        if ((rc = dp_chunk_in_fill(in)))
            return rc;
    }
}

static int read_profiles(dp_chunk_in *in, const char *name,
                         dp_input_profile_fn profile_fn, void *user)
{
    unsigned long lineno = 0;
    const char *line;
    size_t len;
    int rc, err = 0;

    for (;;) {
        uint64_t at = dp_chunk_in_pos(in);

        if ((rc = dp_chunk_in_line(in, &line, &len)) != 1)
            break;
        lineno++;
        if (blank(line, len))
            continue;
        /* The line as getline() gives it: with its '\n'. */
        size_t n = (size_t)(dp_chunk_in_pos(in) - at);
        if ((err = profile_fn(user, name, lineno, line, n)))
            return err;
    }
    if (rc == DP_EIO) {
        fprintf(stderr, "dagprof: %s: %s\n", name, strerror(in->err));
        return DP_EIO;
    }
    if (rc == DP_ENOMEM) {
        fprintf(stderr, "dagprof: %s: out of memory\n", name);
        return DP_EIO;
    }
    return 0;
}

int dp_input_read(const char *path, dp_input_profile_fn profile_fn,
                  dp_input_trace_fn trace_fn, void *user)
{
    bool is_stdin = strcmp(path, "-") == 0, profile;
    const char *name = is_stdin ? "<stdin>" : path;
    dp_chunk_in in;
    int err;

    if (dp_chunk_in_open(&in, path)) {
        fprintf(stderr, "dagprof: %s: %s\n", path, strerror(in.err));
        return DP_EIO;
    }
    if ((err = peek_profile(&in, &profile))) {
        fprintf(stderr, "dagprof: %s: %s\n", name,
                err == DP_EIO ? strerror(in.err) : dp_strerror(err));
        err = DP_EIO;
    } else if (profile) {
        err = read_profiles(&in, name, profile_fn, user);
    } else {
        err = trace_fn(user, &in, path, name);
    }
    dp_chunk_in_close(&in);
    return err;
}

dp_profile *dp_input_profile(const char *path, unsigned long lineno,
                             const char *line, size_t n)
{
    char msg[256];
    dp_profile *p = dp_profile_json_read(line, n, msg, sizeof(msg));
    if (!p)
        fprintf(stderr, "dagprof: %s:%lu: not a profile: %s\n", path, lineno,
                msg);
    return p;
}
