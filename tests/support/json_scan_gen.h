/*
 * json_scan_gen.h - text for test_otlp_json_scan.c: a growable string, a
 * generator of random OTLP/JSON requests (every attribute kind, escapes,
 * unicode, numbers as strings and numbers, snake_case twins, duplicate keys,
 * unknown fields, nesting, whitespace, and bad fields at a chosen rate), a
 * mutator that damages and truncates text, and a generator of realistic
 * agent spans for the benchmark. Static functions only: included by one
 * test file.
 */
#ifndef DP_TEST_JSON_SCAN_GEN_H
#define DP_TEST_JSON_SCAN_GEN_H

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* ---- a growable string ----------------------------------------------------
 */

typedef struct sb {
    char *s;
    size_t n, cap;
} sb;

static void sb_add(sb *b, const void *p, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        b->cap = (b->n + n + 1) * 2;
        b->s = realloc(b->s, b->cap);
        assert_non_null(b->s);
    }
    memcpy(b->s + b->n, p, n);
    b->n += n;
    b->s[b->n] = '\0';
}

static void sb_puts(sb *b, const char *s)
{
    sb_add(b, s, strlen(s));
}

static void sb_printf(sb *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void sb_printf(sb *b, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    assert_true(n >= 0 && (size_t)n < sizeof(tmp));
    sb_add(b, tmp, (size_t)n);
}

/* Bytes as text: printable ASCII as is, the rest as \xNN. */
static void sb_bytes(sb *b, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c < 0x7f && c != '\\')
            sb_add(b, &s[i], 1);
        else
            sb_printf(b, "\\x%02x", c);
    }
}

/* ---- random requests ------------------------------------------------------
 */

typedef struct gen {
    uint64_t s;
    sb out;
    int bad;    /* per mille: chance of a bad field */
    int pretty; /* per mille: chance of whitespace between tokens */
} gen;

static uint32_t rnd(gen *g, uint32_t n)
{
    g->s ^= g->s << 13;
    g->s ^= g->s >> 7;
    g->s ^= g->s << 17;
    return n ? (uint32_t)((g->s >> 11) % n) : 0;
}

static bool chance(gen *g, int per_mille)
{
    return (int)rnd(g, 1000) < per_mille;
}
static bool bad(gen *g)
{
    return chance(g, g->bad);
}

static void ws(gen *g)
{
    static const char *const spaces[] = {" ",  "\n",   "  ",
                                         "\t", "\r\n", "\n    "};
    if (chance(g, g->pretty))
        sb_puts(&g->out, spaces[rnd(g, 6)]);
}

static void tok(gen *g, const char *t)
{
    ws(g);
    sb_puts(&g->out, t);
    ws(g);
}

/* A JSON string literal of random text: ASCII, escapes, \u escapes
 * (surrogate pairs; with bad() a lone surrogate), raw UTF-8. */
static void gen_text(gen *g, size_t max)
{
    static const char *const pieces[] = {"a",
                                         "Z",
                                         "0",
                                         " ",
                                         "-",
                                         ".",
                                         "_",
                                         "\\\"",
                                         "\\\\",
                                         "\\/",
                                         "\\b",
                                         "\\f",
                                         "\\n",
                                         "\\r",
                                         "\\t",
                                         "\\u00fc",
                                         "\\u20AC",
                                         "\\uD83D\\uDE00",
                                         "\xc3\xbc",
                                         "\xe2\x82\xac",
                                         "\xf0\x9f\x98\x80",
                                         "\\u0041",
                                         "'",
                                         "~",
                                         "\x7f",
                                         "\\u00e9"};
    size_t n = rnd(g, (uint32_t)max + 1);

    sb_puts(&g->out, "\"");
    for (size_t i = 0; i < n; i++) {
        if (chance(g, 600)) {
            char c = (char)('a' + rnd(g, 26));
            sb_add(&g->out, &c, 1);
        } else {
            sb_puts(&g->out, pieces[rnd(g, sizeof(pieces) / sizeof(*pieces))]);
        }
    }
    if (chance(g, 3))
        sb_puts(&g->out, "\\u0000");
    if (bad(g) && chance(g, 100))
        sb_puts(&g->out, rnd(g, 2) ? "\\uDC01" : "\\uD800x");
    sb_puts(&g->out, "\"");
}

/* A member name: the lowerCamelCase or snake_case spelling, sometimes with
 * an escape in it. */
static void gen_name(gen *g, const char *camel, const char *snake)
{
    const char *n = snake && chance(g, 150) ? snake : camel;

    ws(g);
    if (chance(g, 20) && n[0] >= 'a' && n[0] <= 'z')
        sb_printf(&g->out, "\"\\u%04x%s\"", n[0], n + 1);
    else
        sb_printf(&g->out, "\"%s\"", n);
    tok(g, ":");
}

static void gen_any_json(gen *g, int depth)
{
    switch (rnd(g, depth > 3 ? 5 : 7)) {
    case 0:
        gen_text(g, 6);
        break;
    case 1:
        sb_printf(&g->out, "%d", (int)rnd(g, 2000) - 1000);
        break;
    case 2:
        sb_puts(&g->out, rnd(g, 2) ? "1.5e3" : "-0.25");
        break;
    case 3:
        sb_puts(&g->out, rnd(g, 2) ? "true" : "null");
        break;
    case 4:
        sb_puts(&g->out, "false");
        break;
    case 5:
        tok(g, "{");
        for (uint32_t i = 0, n = rnd(g, 4); i < n; i++) {
            sb_puts(&g->out, i ? "," : "");
            gen_text(g, 4);
            tok(g, ":");
            gen_any_json(g, depth + 1);
        }
        tok(g, "}");
        break;
    default:
        tok(g, "[");
        for (uint32_t i = 0, n = rnd(g, 4); i < n; i++) {
            sb_puts(&g->out, i ? "," : "");
            gen_any_json(g, depth + 1);
        }
        tok(g, "]");
    }
}

static void unknown_field(gen *g)
{
    static const char *const names[] = {
        "kind",     "flags",     "droppedAttributesCount",
        "events",   "schemaUrl", "traceState",
        "x-vendor", "scope"};
    if (!chance(g, 200))
        return;
    gen_name(g, names[rnd(g, 8)], NULL);
    gen_any_json(g, 0);
    tok(g, ",");
}

static void gen_int_like(gen *g, bool time)
{
    static const char *const bad_ones[] = {"\"-5\"",
                                           "\"+5\"",
                                           "\" 5\"",
                                           "-1",
                                           "1.5",
                                           "\"\"",
                                           "\"1e3\"",
                                           "true",
                                           "{}",
                                           "\"18446744073709551616\"",
                                           "\"9223372036854775808\"",
                                           "[1]"};
    if (bad(g)) {
        sb_puts(&g->out, bad_ones[rnd(g, 12)]);
        return;
    }
    switch (rnd(g, 6)) {
    case 0:
        sb_printf(&g->out, "%u", rnd(g, 1000000));
        break;
    case 1:
        sb_puts(&g->out, time ? "1.7e18" : "-7.0");
        break;
    case 2:
        sb_puts(&g->out,
                time ? "\"18446744073709551615\"" : "-9223372036854775808");
        break;
    case 3:
        sb_puts(&g->out, time ? "\"00017\"" : "\"-9223372036854775808\"");
        break;
    default:
        sb_printf(&g->out, "\"%llu\"",
                  1700000000000000000ull + rnd(g, 1000000000));
    }
}

static void gen_anyvalue(gen *g, bool top, int depth)
{
    static const char *const doubles[] = {"0.25",
                                          "1e300",
                                          "-0.0",
                                          "3",
                                          "\"NaN\"",
                                          "\"Infinity\"",
                                          "\"-Infinity\"",
                                          "\"1.5\"",
                                          "\"\\t2\"",
                                          "\"0x10\"",
                                          "\"abc\"",
                                          "\" 1\"",
                                          "\"NaN\\u0000x\"",
                                          "-12345678901234567890.5"};
    if (bad(g) && chance(g, 200)) {
        sb_puts(&g->out, rnd(g, 2) ? "null" : "\"str\"");
        return;
    }
    tok(g, "{");
    unknown_field(g);
    switch (rnd(g, top ? 8 : 7)) {
    case 0:
    case 1:
        gen_name(g, "stringValue", "string_value");
        if (bad(g) && chance(g, 100))
            sb_puts(&g->out, "12");
        else
            gen_text(g, 12);
        break;
    case 2:
        gen_name(g, "intValue", "int_value");
        gen_int_like(g, false);
        break;
    case 3:
        gen_name(g, "doubleValue", "double_value");
        sb_puts(&g->out, doubles[rnd(g, bad(g) ? 14 : 9)]);
        break;
    case 4:
        gen_name(g, "boolValue", "bool_value");
        sb_puts(&g->out, bad(g) ? "\"true\"" : rnd(g, 2) ? "true" : "false");
        break;
    case 5:
        gen_name(g, "kvlistValue", NULL);
        tok(g, "{\"values\":[{\"key\":\"k\",\"value\":");
        gen_anyvalue(g, true, depth + 1);
        tok(g, "}]}");
        break;
    case 6:
        gen_name(g, rnd(g, 2) ? "bytesValue" : "arrayValue", NULL);
        if (depth > 2 || chance(g, 500))
            sb_puts(&g->out, "\"AAEC\"");
        else {
            tok(g, "{\"values\":[");
            gen_anyvalue(g, false, depth + 1);
            tok(g, "]}");
        }
        break;
    default:
        gen_name(g, "arrayValue", "array_value");
        if (bad(g) && chance(g, 200)) {
            sb_puts(&g->out, rnd(g, 2) ? "[]" : "{\"values\":{}}");
            break;
        }
        tok(g, "{");
        if (!chance(g, 100)) {
            gen_name(g, "values", NULL);
            tok(g, "[");
            for (uint32_t i = 0, n = rnd(g, 4); i < n; i++) {
                sb_puts(&g->out, i ? "," : "");
                gen_anyvalue(g, false, depth + 1);
            }
            tok(g, "]");
        }
        tok(g, "}");
    }
    if (chance(g, 30)) { /* a second kind: the first in
                            tests/reference/otlp_json_ref.c's order wins */
        tok(g, ",");
        gen_name(g, "boolValue", NULL);
        sb_puts(&g->out, "true");
    }
    tok(g, "}");
}

static void gen_attrs(gen *g)
{
    static const char *const keys[] = {"dag.node.id",
                                       "dag.id",
                                       "dag.node.depends_on",
                                       "gen_ai.request.model",
                                       "gen_ai.usage.input_tokens",
                                       "gen_ai.usage.output_tokens",
                                       "gen_ai.prompt.0.content",
                                       "llm.model_name",
                                       "tool.name",
                                       "gen_ai.system",
                                       "session.id",
                                       "http.method",
                                       "service.name",
                                       "dag\\u002enode.id",
                                       "gen_ai.\\u0070rompt.1",
                                       "caf\\u00e9",
                                       "",
                                       "x"};
    uint32_t n = rnd(g, 12);

    tok(g, "[");
    for (uint32_t i = 0; i < n; i++) {
        sb_puts(&g->out, i ? "," : "");
        if (bad(g) && chance(g, 50)) {
            sb_puts(&g->out, "7");
            continue;
        }
        tok(g, "{");
        unknown_field(g);
        if (!chance(g, 20)) {
            gen_name(g, "key", NULL);
            if (bad(g) && chance(g, 50))
                sb_puts(&g->out, "5");
            else if (chance(g, 100))
                gen_text(g, 8);
            else
                sb_printf(&g->out, "\"%s\"", keys[rnd(g, 18)]);
            tok(g, ",");
        }
        gen_name(g, "value", NULL);
        if (chance(g, 20))
            sb_puts(&g->out, "null");
        else
            gen_anyvalue(g, true, 0);
        tok(g, "}");
    }
    tok(g, "]");
}

static void gen_id(gen *g, size_t bytes)
{
    static const char b64[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    if (bad(g)) {
        static const char *const bad_ones[] = {
            "\"abc\"",
            "\"xyz0\"",
            "12",
            "null",
            "\"\"",
            "{}",
            "\"0000000000000000\"",
            "\"00000000000000000000000000000000\""};
        sb_puts(&g->out, bad_ones[rnd(g, 8)]);
        return;
    }
    sb_puts(&g->out, "\"");
    if (chance(g, 50)) { /* padded base64 */
        for (size_t i = 0;
             i < (bytes + 2) / 3 * 4 - (bytes % 3 ? 3 - bytes % 3 : 0); i++)
            sb_add(&g->out, &b64[rnd(g, 64)], 1);
        sb_puts(&g->out, bytes % 3 == 1 ? "==" : "=");
    } else {
        const char *digits =
            chance(g, 100) ? "0123456789ABCDEF" : "0123456789abcdef";
        for (size_t i = 0; i < bytes * 2; i++)
            sb_add(&g->out, &digits[rnd(g, 16)], 1);
    }
    sb_puts(&g->out, "\"");
}

static void gen_span(gen *g)
{
    int order[12];
    bool first = true;

    if (bad(g) && chance(g, 20)) {
        sb_puts(&g->out, "[]");
        return;
    }
    for (int i = 0; i < 12; i++) /* every field once, in random order */
        order[i] = i;
    for (int i = 11; i > 0; i--) {
        int j = (int)rnd(g, (uint32_t)i + 1), t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    tok(g, "{");
    for (int f = 0; f < 12; f++) {
        int which = order[f];
        if (which > 1 && chance(g, 100))
            continue;
        if (!first)
            tok(g, ",");
        first = false;
        unknown_field(g);
        switch (which) {
        case 0:
            gen_name(g, "traceId", "trace_id");
            gen_id(g, 16);
            break;
        case 1:
            gen_name(g, "spanId", "span_id");
            gen_id(g, 8);
            break;
        case 2:
            gen_name(g, "parentSpanId", "parent_span_id");
            if (chance(g, 300))
                sb_puts(&g->out, "\"\"");
            else
                gen_id(g, 8);
            break;
        case 3:
            gen_name(g, "name", NULL);
            if (bad(g) && chance(g, 100))
                sb_puts(&g->out, "42");
            else
                gen_text(g, 10);
            break;
        case 4:
        case 5:
            gen_name(g, which == 4 ? "startTimeUnixNano" : "endTimeUnixNano",
                     which == 4 ? "start_time_unix_nano"
                                : "end_time_unix_nano");
            if (chance(g, 800)) /* mostly a span that ends after it starts */
                sb_printf(&g->out, which == 4 ? "\"%u\"" : "%u",
                          1000u + rnd(g, 1000) * (which == 5));
            else
                gen_int_like(g, true);
            break;
        case 6:
            gen_name(g, "attributes", NULL);
            gen_attrs(g);
            break;
        case 7:
            if (chance(g, 50)) { /* a duplicate key: the last one wins */
                gen_name(g, "attributes", NULL);
                gen_attrs(g);
            } else {
                gen_name(g, "droppedLinksCount", NULL);
                sb_puts(&g->out, "0");
            }
            break;
        case 8:
            gen_name(g, "status", NULL);
            switch (rnd(g, bad(g) ? 8 : 5)) {
            case 0:
                sb_puts(&g->out, "{}");
                break;
            case 1:
                sb_printf(&g->out, "{\"code\":%u}", rnd(g, 3));
                break;
            case 2:
                sb_puts(&g->out,
                        "{\"code\":\"STATUS_CODE_ERROR\",\"message\":\"x\"}");
                break;
            case 3:
                sb_puts(&g->out, "{\"code\":\"2\"}");
                break;
            case 4:
                sb_puts(&g->out, "null");
                break;
            case 5:
                sb_puts(&g->out, "{\"code\":1.0}");
                break;
            case 6:
                sb_puts(&g->out, "{\"code\":\"OK\"}");
                break;
            default:
                sb_puts(&g->out, "[]");
            }
            break;
        case 9:
            gen_name(g, "links", NULL);
            tok(g, "[");
            for (uint32_t i = 0, n = rnd(g, 3); i < n; i++) {
                sb_puts(&g->out, i ? "," : "");
                tok(g, "{");
                gen_name(g, "traceId", "trace_id");
                gen_id(g, 16);
                tok(g, ",");
                gen_name(g, "spanId", "span_id");
                if (chance(g, 100))
                    sb_puts(&g->out, "\"0102\"");
                else
                    gen_id(g, 8);
                tok(g, "}");
            }
            tok(g, "]");
            break;
        case 10:
            gen_name(g, "events", NULL);
            gen_any_json(g, 1);
            break;
        default:
            gen_name(g, "kind", NULL);
            sb_puts(&g->out, rnd(g, 2) ? "2" : "\"SPAN_KIND_CLIENT\"");
        }
    }
    tok(g, "}");
}

/* One request; mostly well formed, with g->bad per mille of bad fields. */
static void gen_request(gen *g)
{
    g->out.n = 0;
    sb_puts(&g->out, "");
    tok(g, "{");
    unknown_field(g);
    gen_name(g, "resourceSpans", "resource_spans");
    tok(g, "[");
    for (uint32_t i = 0, n = 1 + rnd(g, 3); i < n; i++) {
        sb_puts(&g->out, i ? "," : "");
        if (bad(g) && chance(g, 20)) {
            sb_puts(&g->out, "3");
            continue;
        }
        tok(g, "{");
        unknown_field(g);
        if (!chance(g, 100)) {
            gen_name(g, "resource", NULL);
            tok(g, "{");
            gen_name(g, "attributes", NULL);
            gen_attrs(g);
            tok(g, "}");
            tok(g, ",");
        }
        gen_name(g,
                 chance(g, 50) ? "instrumentationLibrarySpans" : "scopeSpans",
                 "scope_spans");
        tok(g, "[");
        for (uint32_t k = 0, m = 1 + rnd(g, 2); k < m; k++) {
            sb_puts(&g->out, k ? "," : "");
            tok(g, "{");
            unknown_field(g);
            gen_name(g, "spans", NULL);
            tok(g, "[");
            for (uint32_t j = 0, s = rnd(g, 5); j < s; j++) {
                sb_puts(&g->out, j ? "," : "");
                gen_span(g);
            }
            tok(g, "]");
            tok(g, "}");
        }
        tok(g, "]");
        tok(g, "}");
    }
    tok(g, "]");
    tok(g, "}");
}

/* Damages text in place (len may shrink or grow within cap). */
static size_t mutate(gen *g, char *text, size_t len, size_t cap)
{
    static const char noise[] =
        "{}[]\",:0123456789-+eE.tfnulx\\ \n\tu\0\x80\xff"
        "\xc3\xa9\xed\xa0\x80";
    for (int k = 0, n = 1 + (int)rnd(g, 3); k < n && len > 0; k++) {
        size_t at = rnd(g, (uint32_t)len);
        switch (rnd(g, 5)) {
        case 0:
        case 1:
            text[at] = noise[rnd(g, sizeof(noise) - 1)];
            break;
        case 2: /* delete a short range */
        {
            size_t del = 1 + rnd(g, 8);
            if (del > len - at)
                del = len - at;
            memmove(text + at, text + at + del, len - at - del);
            len -= del;
        } break;
        case 3: /* insert a byte */
            if (len < cap) {
                memmove(text + at + 1, text + at, len - at);
                text[at] = noise[rnd(g, sizeof(noise) - 1)];
                len++;
            }
            break;
        default: /* cut */
            len = at;
        }
    }
    return len;
}

/* Agent-run spans like an SDK exports them: ~10 attributes, a realistic mix
 * of keys the processor reads and keys it does not. */
static void gen_realistic(sb *out, size_t spans, size_t per_request)
{
    static const char *const models[] = {"gpt-4o", "claude-3-5-sonnet",
                                         "o3-mini"};
    uint64_t x = 88172645463325252ull;

    for (size_t done = 0; done < spans;) {
        sb_puts(
            out,
            "{\"resourceSpans\":[{\"resource\":{\"attributes\":["
            "{\"key\":\"service.name\",\"value\":{\"stringValue\":\"agent\"}},"
            "{\"key\":\"dag.id\",\"value\":{\"stringValue\":\"review\"}}]},"
            "\"scopeSpans\":[{\"scope\":{\"name\":\"agent.tracer\"},\"spans\":"
            "[");
        for (size_t i = 0; i < per_request && done < spans; i++, done++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            sb_printf(
                out,
                "%s{\"traceId\":\"%016llx%016llx\",\"spanId\":\"%016llx\","
                "\"parentSpanId\":\"%016llx\",\"name\":\"chat %s\",\"kind\":3,"
                "\"startTimeUnixNano\":\"%llu\",\"endTimeUnixNano\":\"%llu\","
                "\"attributes\":[",
                i ? "," : "", (unsigned long long)(done / 25 + 1),
                (unsigned long long)x, (unsigned long long)(x | 1),
                (unsigned long long)(x >> 3 | 1), models[x % 3],
                1700000000000000000ull + done * 1000,
                1700000000000000500ull + done * 1000);
            sb_printf(out,
                      "{\"key\":\"gen_ai.operation.name\",\"value\":{"
                      "\"stringValue\":\"chat\"}},"
                      "{\"key\":\"gen_ai.system\",\"value\":{\"stringValue\":"
                      "\"openai\"}},"
                      "{\"key\":\"gen_ai.request.model\",\"value\":{"
                      "\"stringValue\":\"%s\"}},"
                      "{\"key\":\"gen_ai.usage.input_tokens\",\"value\":{"
                      "\"intValue\":\"%llu\"}},"
                      "{\"key\":\"gen_ai.usage.output_tokens\",\"value\":{"
                      "\"intValue\":\"%llu\"}},",
                      models[x % 3], (unsigned long long)(x % 4000),
                      (unsigned long long)(x % 700));
            sb_printf(out,
                      "{\"key\":\"dag.node.id\",\"value\":{\"stringValue\":"
                      "\"node-%llu\"}},"
                      "{\"key\":\"session.id\",\"value\":{\"stringValue\":\"s-%"
                      "08llx\"}},"
                      "{\"key\":\"gen_ai.response.id\",\"value\":{"
                      "\"stringValue\":\"r-%012llx\"}},"
                      "{\"key\":\"gen_ai.request.temperature\",\"value\":{"
                      "\"doubleValue\":0.2}},"
                      "{\"key\":\"server.address\",\"value\":{\"stringValue\":"
                      "\"api.example.com\"}}],"
                      "\"status\":{\"code\":1}}",
                      (unsigned long long)(x % 8),
                      (unsigned long long)(x % 99999999),
                      (unsigned long long)(x & 0xffffffffffffull));
        }
        sb_puts(out, "]}]}]}\n");
    }
}

#endif /* DP_TEST_JSON_SCAN_GEN_H */
