/*
 * input.c - profile file or trace file (see input.h). Used by `report`
 * (render profiles, or profile traces) and by `report --summary` /
 * `compare` (runs from either).
 */
#include "input.h"

#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "processor.h"

static bool blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
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

/* Copies the rest of stdin, after the blank lines and the first line
 * already consumed, into an unnamed temporary file, so the trace-file
 * reader can open it by a path (/dev/fd/N). Returns the FILE or NULL. */
static FILE *spool_stdin(const char *first, size_t n, unsigned long blanks)
{
    FILE *tmp = tmpfile();
    char chunk[65536];
    size_t got;

    if (tmp == NULL)
        return NULL;
    while (blanks-- > 0)
        fputc('\n', tmp);
    fwrite(first, 1, n, tmp);
    while ((got = fread(chunk, 1, sizeof(chunk), stdin)) > 0)
        fwrite(chunk, 1, got, tmp);
    if (ferror(stdin) || fflush(tmp) != 0 || ferror(tmp)) {
        fclose(tmp);
        return NULL;
    }
    return tmp;
}

int dp_input_read(const char *path, dp_input_profile_fn profile_fn,
                  dp_input_trace_fn trace_fn, void *user)
{
    bool is_stdin = strcmp(path, "-") == 0;
    const char *name = is_stdin ? "<stdin>" : path;
    FILE *f = is_stdin ? stdin : fopen(path, "rb");
    char *line = NULL, fdpath[64];
    size_t cap = 0;
    ssize_t n;
    unsigned long lineno = 0;
    int err = 0;

    if (f == NULL) {
        fprintf(stderr, "dagprof: %s: %s\n", path, strerror(errno));
        return DP_EIO;
    }
    while ((n = getline(&line, &cap, f)) >= 0) {
        lineno++;
        if (!blank(line, (size_t)n))
            break;
    }
    if (n >= 0 && is_profile_line(line, (size_t)n)) {
        do {
            if (!blank(line, (size_t)n))
                err = profile_fn(user, name, lineno, line, (size_t)n);
        } while (!err && (lineno++, (n = getline(&line, &cap, f)) >= 0));
        if (!err && ferror(f)) {
            fprintf(stderr, "dagprof: %s: %s\n", name, strerror(errno));
            err = DP_EIO;
        }
    } else if (!is_stdin) {
        fclose(f);
        f = NULL;
        err = trace_fn(user, path, path);
    } else {
        FILE *tmp = spool_stdin(n >= 0 ? line : "", n >= 0 ? (size_t)n : 0,
                                n >= 0 ? lineno - 1 : lineno);
        if (tmp == NULL) {
            fprintf(stderr, "dagprof: <stdin>: cannot buffer input\n");
            err = DP_EIO;
        } else {
            snprintf(fdpath, sizeof(fdpath), "/dev/fd/%d", fileno(tmp));
            err = trace_fn(user, fdpath, name);
            fclose(tmp);
        }
    }
    free(line);
    if (f != NULL && !is_stdin)
        fclose(f);
    return err;
}
