/*
 * run_cmd.h - runs a command line as a user would (the built dagprof
 * binary through the shell) and captures what it prints, for the tests of
 * the commands (test_cli_report.c, test_cli_whatif.c, test_whatif_html.c,
 * test_compare.c, test_summary.c).
 *
 * Everything is static inline (each test is its own executable). Failures
 * to start the command fail the test through cmocka.
 */
#ifndef DP_TEST_RUN_CMD_H
#define DP_TEST_RUN_CMD_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

/* Reads f to its end into a malloc'd NUL-terminated string. */
static inline char *dp_test_slurp_stream(FILE *f)
{
    size_t len = 0, cap = 4096, got;
    char *s = malloc(cap);
    assert_non_null(s);
    while ((got = fread(s + len, 1, cap - 1 - len, f)) > 0) {
        len += got;
        if (cap - 1 - len == 0) {
            cap *= 2;
            s = realloc(s, cap);
            assert_non_null(s);
        }
    }
    s[len] = '\0';
    return s;
}

/* Runs cmd through the shell. Its stdout comes back in *out and, when err
 * is not NULL, its stderr in *err (malloc'd, NUL-terminated, any length:
 * the caller frees them); with err NULL, stderr is left where the command
 * line sends it. Returns the exit status, -1 when the command did not exit
 * normally. */
static inline int dp_test_run(const char *cmd, char **out, char **err)
{
    char full[4096];
    char errpath[] = "/tmp/dp_test_run_err_XXXXXX";
    if (err) {
        int fd = mkstemp(errpath);
        assert_true(fd >= 0);
        close(fd);
        assert_true((size_t)snprintf(full, sizeof(full), "%s 2>%s", cmd,
                                     errpath) < sizeof(full));
    } else {
        assert_true((size_t)snprintf(full, sizeof(full), "%s", cmd) <
                    sizeof(full));
    }
    FILE *p = popen(full, "r");
    assert_non_null(p);
    *out = dp_test_slurp_stream(p);
    int st = pclose(p);
    if (err) {
        FILE *e = fopen(errpath, "r");
        assert_non_null(e);
        *err = dp_test_slurp_stream(e);
        fclose(e);
        unlink(errpath);
    }
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Runs the command line printf-formatted from fmt (4 KiB at most),
 * expects exit status 0 and one JSON value on stdout, and returns it (the
 * caller json_decref()s it). Fails the test with the command, its status
 * and stderr, or the parse error. */
__attribute__((format(printf, 1, 2))) static inline json_t *
dp_test_run_json(const char *fmt, ...)
{
    char cmd[4096], *out, *err;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    assert_true(n >= 0 && (size_t)n < sizeof(cmd));
    int st = dp_test_run(cmd, &out, &err);
    if (st != 0)
        fail_msg("%s: exit %d: %s", cmd, st, err);
    json_error_t je;
    json_t *j = json_loads(out, 0, &je);
    if (!j)
        fail_msg("%s: not JSON: %s", cmd, je.text);
    free(out);
    free(err);
    return j;
}

/* dp_test_run for stdout alone: returns it (malloc'd) and the exit status
 * in *status. */
static inline char *dp_test_run_out(const char *cmd, int *status)
{
    char *out;
    *status = dp_test_run(cmd, &out, NULL);
    return out;
}

#endif /* DP_TEST_RUN_CMD_H */
