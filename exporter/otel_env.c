/*
 * otel_env.c - OTEL_EXPORTER_OTLP_HEADERS for the otlp exporter (see
 * otel_env.h).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "otel_env.h"
#include "processor.h"

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = (char)tolower((unsigned char)c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Copies s[0..len) trimmed of spaces, percent-decoded when decode is set,
 * lower-cased when lower is set. NULL on a bad escape or ENOMEM (*bad
 * tells which). */
static char *copy_item(const char *s, size_t len, int decode, int lower,
                       int *bad)
{
    while (len && isspace((unsigned char)*s)) {
        s++;
        len--;
    }
    while (len && isspace((unsigned char)s[len - 1]))
        len--;
    char *out = malloc(len + 1);
    if (!out)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (decode && c == '%') {
            if (i + 2 >= len) { /* fewer than two characters follow */
                free(out);
                *bad = 1;
                return NULL;
            }
            int a = hexval(s[i + 1]), b = hexval(s[i + 2]);
            if (a < 0 || b < 0) {
                free(out);
                *bad = 1;
                return NULL;
            }
            c = (char)(a << 4 | b);
            i += 2;
        }
        out[o++] = lower ? (char)tolower((unsigned char)c) : c;
    }
    out[o] = '\0';
    return out;
}

void dp_otel_headers_free(char **names, char **values, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(names ? names[i] : NULL);
        free(values ? values[i] : NULL);
    }
    free(names);
    free(values);
}

int dp_otel_headers_parse(const char *text, char ***names, char ***values,
                          size_t *n, char *err, size_t err_len)
{
    *names = *values = NULL;
    *n = 0;
    size_t cap = 1;
    for (const char *p = text; *p; p++)
        cap += *p == ',';
    char **nm = calloc(cap, sizeof(*nm)), **vl = calloc(cap, sizeof(*vl));
    size_t k = 0;
    if (!nm || !vl) {
        free(nm);
        free(vl);
        snprintf(err, err_len, "OTEL_EXPORTER_OTLP_HEADERS: out of memory");
        return DP_ENOMEM;
    }
    const char *p = text;
    for (;;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        const char *eq = memchr(p, '=', len);
        size_t blank = 0;
        while (blank < len && isspace((unsigned char)p[blank]))
            blank++;
        if (blank < len) {
            int bad = 0;
            char *key = eq ? copy_item(p, (size_t)(eq - p), 0, 1, &bad) : NULL;
            char *val =
                key ? copy_item(eq + 1, len - (size_t)(eq - p) - 1, 1, 0, &bad)
                    : NULL;
            if (!key || !key[0] || !val) {
                int shown = len > 40 ? 40 : (int)len;
                snprintf(err, err_len,
                         "OTEL_EXPORTER_OTLP_HEADERS: '%.*s' is not "
                         "key=value%s",
                         shown, p,
                         bad ? " (a %XX escape in the value is bad)" : "");
                int rc = !eq || bad || (key && !key[0]) ? DP_EPARSE : DP_ENOMEM;
                free(key);
                free(val);
                dp_otel_headers_free(nm, vl, k);
                return rc;
            }
            nm[k] = key;
            vl[k++] = val;
        }
        if (!end)
            break;
        p = end + 1;
    }
    *names = nm;
    *values = vl;
    *n = k;
    return 0;
}
