/*
 * replay_change.c - the text of a what-if change ("workers=4",
 * "model A=B", "cache TOOL", "drop-dep X->Y", "speedup NODE=F",
 * "no-queue") to a dp_change and back (replay.h). The command line and
 * the fuzz target (tests/fuzz/fuzz_whatif_change.c) feed it; it only
 * checks syntax: whether a node, model or tool exists is the replay's to
 * say, against a profile.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "replay.h"

#define MAX_WORKERS 1000000u

/* A copy of s[0..n) without surrounding blanks, or NULL (ENOMEM). */
static char *trimmed(const char *s, size_t n)
{
    while (n && isspace((unsigned char)*s))
        s++, n--;
    while (n && isspace((unsigned char)s[n - 1]))
        n--;
    char *o = malloc(n + 1);
    if (o) {
        memcpy(o, s, n);
        o[n] = '\0';
    }
    return o;
}

/* Splits arg at the first occurrence of sep into two non-empty trimmed
 * halves. Returns 0, 1 when sep is missing or a half is empty, or
 * DP_ENOMEM. */
static int split(const char *arg, const char *sep, char **a, char **b)
{
    const char *at = strstr(arg, sep);
    *a = *b = NULL;
    if (!at)
        return 1;
    *a = trimmed(arg, (size_t)(at - arg));
    *b = trimmed(at + strlen(sep), strlen(at + strlen(sep)));
    if (!*a || !*b) {
        free(*a);
        free(*b);
        *a = *b = NULL;
        return DP_ENOMEM;
    }
    if (!**a || !**b) {
        free(*a);
        free(*b);
        *a = *b = NULL;
        return 1;
    }
    return 0;
}

static const struct {
    const char *word;
    int kind;
} keywords[] = {
    {"workers", DP_CHANGE_WORKERS}, {"model", DP_CHANGE_MODEL},
    {"cache", DP_CHANGE_CACHE},     {"drop-dep", DP_CHANGE_DROP_DEP},
    {"speedup", DP_CHANGE_SPEEDUP}, {"no-queue", DP_CHANGE_NO_QUEUE},
};

#define EXPECTED                                                               \
    "expected workers=N, model A=B, cache TOOL, drop-dep X->Y, "               \
    "speedup NODE=F or no-queue"

static int parse_factor(const char *s, double *out)
{
    char *end;
    errno = 0;
    if (!*s || isspace((unsigned char)*s))
        return -1;
    double f = strtod(s, &end);
    if (end == s || errno)
        return -1;
    if (*end == 'x' || *end == 'X')
        end++;
    if (*end || !isfinite(f) || !(f >= 1e-6) || f > 1e6)
        return -1;
    *out = f;
    return 0;
}

int dp_change_parse(const char *spec, dp_change *out, char *err, size_t err_len)
{
    memset(out, 0, sizeof(*out));
    if (!spec)
        return dp_errf(err, err_len, DP_EINVAL, "empty change: " EXPECTED);
    const char *s = spec;
    while (isspace((unsigned char)*s))
        s++;
    size_t wl = 0;
    while (s[wl] && !isspace((unsigned char)s[wl]) && s[wl] != '=' &&
           s[wl] != ':')
        wl++;
    int kind = 0;
    for (size_t i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++)
        if (strlen(keywords[i].word) == wl &&
            strncmp(keywords[i].word, s, wl) == 0)
            kind = keywords[i].kind;
    if (!kind)
        return dp_errf(err, err_len, DP_EINVAL,
                       "unknown change '%.200s': " EXPECTED, spec);
    /* The argument follows a '=' or ':' right after the keyword, or
     * blanks: "workers=4", "workers 4", "model=A=B", "cache =odd". */
    const char *arg = s + wl;
    if ((*arg == '=' || *arg == ':') && kind != DP_CHANGE_NO_QUEUE)
        arg++;
    while (isspace((unsigned char)*arg))
        arg++;
    out->kind = kind;

    int r;
    switch (kind) {
    case DP_CHANGE_NO_QUEUE:
        if (*arg)
            return dp_errf(err, err_len, DP_EINVAL,
                           "change '%.200s': no-queue takes no argument", spec);
        return 0;
    case DP_CHANGE_WORKERS: {
        char *end = (char *)arg;
        unsigned long n = 0;
        errno = 0;
        if (isdigit((unsigned char)*arg))
            n = strtoul(arg, &end, 10);
        while (end != arg && isspace((unsigned char)*end))
            end++;
        if (end == arg || *end || errno || n < 1 || n > MAX_WORKERS)
            return dp_errf(err, err_len, DP_EINVAL,
                           "change '%.200s': workers=N needs N from 1 to %u",
                           spec, MAX_WORKERS);
        out->workers = (uint32_t)n;
        return 0;
    }
    case DP_CHANGE_CACHE:
        out->a = trimmed(arg, strlen(arg));
        if (!out->a)
            return DP_ENOMEM;
        if (!*out->a) {
            dp_change_fini(out);
            return dp_errf(err, err_len, DP_EINVAL,
                           "change '%.200s': cache needs a tool name (cache "
                           "TOOL)",
                           spec);
        }
        return 0;
    case DP_CHANGE_MODEL:
        r = split(arg, "=", &out->a, &out->b);
        if (r == DP_ENOMEM)
            return r;
        if (r)
            return dp_errf(
                err, err_len, DP_EINVAL,
                "change '%.200s': model needs two model names (model "
                "A=B)",
                spec);
        if (strcmp(out->a, out->b) == 0) {
            dp_change_fini(out);
            return dp_errf(err, err_len, DP_EINVAL,
                           "change '%.200s': model A=B needs two different "
                           "models",
                           spec);
        }
        return 0;
    case DP_CHANGE_DROP_DEP:
        r = split(arg, "->", &out->a, &out->b);
        if (r == DP_ENOMEM)
            return r;
        if (r)
            return dp_errf(err, err_len, DP_EINVAL,
                           "change '%.200s': drop-dep needs two node ids "
                           "(drop-dep X->Y: Y stops waiting for X)",
                           spec);
        return 0;
    case DP_CHANGE_SPEEDUP: {
        const char *eq = strrchr(arg, '=');
        char *f = NULL;
        if (eq)
            f = trimmed(eq + 1, strlen(eq + 1));
        if (eq)
            out->a = trimmed(arg, (size_t)(eq - arg));
        if (eq && (!f || !out->a)) {
            free(f);
            dp_change_fini(out);
            return DP_ENOMEM;
        }
        if (!eq || !*out->a || parse_factor(f, &out->factor)) {
            free(f);
            dp_change_fini(out);
            return dp_errf(err, err_len, DP_EINVAL,
                           "change '%.200s': speedup needs a node and a factor "
                           "above 0, from 0.000001 to 1000000 (speedup NODE=2 "
                           "halves its execution)",
                           spec);
        }
        free(f);
        return 0;
    }
    }
    return dp_errf(err, err_len, DP_EINVAL, "unknown change '%.200s'", spec);
}

void dp_change_fini(dp_change *c)
{
    if (!c)
        return;
    free(c->a);
    free(c->b);
    c->a = c->b = NULL;
}

const char *dp_change_format(const dp_change *c, char *buf, size_t len)
{
    const char *a = c->a ? c->a : "", *b = c->b ? c->b : "";
    switch (c->kind) {
    case DP_CHANGE_WORKERS:
        snprintf(buf, len, "workers=%u", (unsigned)c->workers);
        break;
    case DP_CHANGE_MODEL:
        snprintf(buf, len, "model %s=%s", a, b);
        break;
    case DP_CHANGE_CACHE:
        snprintf(buf, len, "cache %s", a);
        break;
    case DP_CHANGE_DROP_DEP:
        snprintf(buf, len, "drop-dep %s->%s", a, b);
        break;
    case DP_CHANGE_SPEEDUP:
        snprintf(buf, len, "speedup %s=%g", a, c->factor);
        break;
    case DP_CHANGE_NO_QUEUE:
        snprintf(buf, len, "no-queue");
        break;
    case DP_CHANGE_TRIM:
        snprintf(buf, len, "trim %s=%lldns", a, (long long)c->trim_ns);
        break;
    default:
        snprintf(buf, len, "?");
    }
    return buf;
}
