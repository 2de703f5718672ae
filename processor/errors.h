/*
 * errors.h - the one error table of dagprof: 0 or a negative DP_E* code, and
 * dp_strerror(). Every library returns these codes (processor/util.c).
 */
#ifndef DP_ERRORS_H
#define DP_ERRORS_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------ */
/* Errors: 0 or a negative DP_E* code from this one table.                   */

#define DP_ERRNO_MAP(X)                                                        \
    X(EINVAL, -1, "invalid argument")                                          \
    X(ENOMEM, -2, "out of memory")                                             \
    X(EBADSPAN, -3, "span ends before it starts")                              \
    X(EBADID, -4, "trace or span id has the wrong length")                     \
    X(EFULL, -5, "limit reached")                                              \
    X(EPARSE, -6, "malformed input")                                           \
    X(EIO, -7, "input/output error")                                           \
    X(ELATE, -8, "span arrived after its trace was finalized")                 \
    X(ENOENT, -9, "not found")                                                 \
    X(ETOOBIG, -10, "too large")

enum dp_errno {
    DP_OK = 0,
#define DP__ERRNO_ENUM(name, code, text) DP_##name = (code),
    DP_ERRNO_MAP(DP__ERRNO_ENUM)
#undef DP__ERRNO_ENUM
};

/* Returns a static description of err (0 or a DP_E* code). */
const char *dp_strerror(int err);

/* Writes the message fmt, ... into err (len bytes; nothing when err is
 * NULL or len 0) and returns code: for a function that returns a DP_E*
 * code with a message. */
int dp_errf(char *err, size_t len, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#ifdef __cplusplus
}
#endif

#endif /* DP_ERRORS_H */
