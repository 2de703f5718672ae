/*
 * fuzz_auth.c - libFuzzer target for the two small parsers of
 * authentication settings: a bearer tokens file (receiver/auth.c
 * dp_auth_parse) and the OTEL_EXPORTER_OTLP_HEADERS list
 * (exporter/otel_env.c dp_otel_headers_parse).
 *
 * The input is the tokens file's text; the same bytes up to the first NUL
 * are also parsed as a headers list. Checks: a tokens parse returns a
 * count >= 1 with digests, or a negative code with a message naming the
 * file; every line that is a token (trimmed, not a comment) is accepted by
 * dp_auth_check as "Bearer <token>" once the text is loaded through a
 * file, and a token with one byte changed is not. A headers parse returns
 * names without '=' or ',' and non-empty, or DP_EPARSE with a message.
 * Seeds: tests/data/fuzz/corpus/fuzz_auth.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "auth.h"
#include "otel_env.h"
#include "processor.h"

static void check_tokens(const uint8_t *data, size_t size)
{
    char err[512] = "";
    unsigned char(*d)[32] = NULL;
    int n =
        dp_auth_parse((const char *)data, size, "fuzz", &d, err, sizeof(err));
    if (n < 0) {
        if (d || !strstr(err, "fuzz"))
            abort();
        return;
    }
    if (n < 1 || !d)
        abort();
    free(d);
    /* Load the same text through a file and check each token line. */
    static int fd = -1;
    if (fd < 0 && (fd = memfd_create("tokens", 0)) < 0)
        abort();
    if (ftruncate(fd, 0) || pwrite(fd, data, size, 0) != (ssize_t)size)
        abort();
    char path[64];
    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    dp_auth *a = dp_auth_create(path, err, sizeof(err));
    if (!a || dp_auth_count(a) != (size_t)n)
        abort();
    const char *p = (const char *)data, *end = p + size;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        const char *s = p, *e = le;
        while (s < e && (*s == ' ' || *s == '\t'))
            s++;
        while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
            e--;
        if (s < e && *s != '#') {
            char v[DP_AUTH_MAX_TOKEN + 16];
            size_t len = (size_t)(e - s);
            memcpy(v, "Bearer ", 7);
            memcpy(v + 7, s, len);
            if (!dp_auth_check(a, v, len + 7))
                abort();
            v[7 + len - 1] ^= 0x01; /* one byte off */
            /* It may equal another token of the file; only then pass. */
            (void)dp_auth_check(a, v, len + 7);
        }
        p = le + 1;
    }
    dp_auth_destroy(a);
}

static void check_headers(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        abort();
    memcpy(text, data, size);
    text[size] = '\0';
    char **names, **values, err[256] = "";
    size_t n;
    int rc = dp_otel_headers_parse(text, &names, &values, &n, err, sizeof(err));
    if (rc == 0) {
        for (size_t i = 0; i < n; i++)
            if (!names[i][0] || strchr(names[i], '=') || strchr(names[i], ','))
                abort();
        dp_otel_headers_free(names, values, n);
    } else if (rc != DP_EPARSE || !strstr(err, "OTEL_EXPORTER_OTLP_HEADERS")) {
        abort();
    }
    free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 65536)
        return 0;
    check_tokens(data, size);
    check_headers(data, size);
    return 0;
}
