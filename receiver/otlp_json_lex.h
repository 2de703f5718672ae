/*
 * otlp_json_lex.h - the JSON tokenizer of the OTLP/JSON decoder
 * (otlp_json*.c), private to it: static functions in a header so the
 * decoder's hot loops inline jl_next; slow paths stay out of line.
 *
 * It reads one token at a time straight from the caller's buffer. What
 * users are promised is a strict JSON reader (RFC 8259, UTF-8 checked, NUL
 * bytes allowed inside strings) whose first error is reported with the
 * file, line and column and a clear message ("malformed JSON at line L,
 * column C: ..."). That it accepts and rejects exactly what jansson 2.14's
 * json_loadb(JSON_ALLOW_NUL) does, with jansson's wording, "near '...'"
 * context, columns and depth limit, is a property of this implementation
 * that the differential tests check against the jansson reference decoder
 * (tests/reference/otlp_json_ref.c): it is how those tests can compare
 * every outcome byte for byte, not a contract; a change that words an
 * error better may update the tests (and drop the reference comparison of
 * texts) instead of copying jansson. The parser-level messages ("'}'
 * expected", "maximum parsing depth reached", ...) are raised by the
 * decoder through jl_fail with the current token, as jansson's parser does.
 *
 * One jansson quirk is kept for now: when a number or a word ends at a NUL
 * byte, jansson's stream puts the NUL back and then skips it, so that NUL
 * vanishes from the text and from the column count. nul_next and the drop
 * counters reproduce it.
 */
#ifndef DP_OTLP_JSON_LEX_H
#define DP_OTLP_JSON_LEX_H

#include <errno.h>
#include <langinfo.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hex.h"

#define JL_MAX_DEPTH 2048 /* jansson's JSON_PARSER_MAX_DEPTH */

enum {
    JT_INVALID = -1,
    JT_EOF = 0,
    /* '{' '}' '[' ']' ':' ',' are their own character codes */
    JT_STR = 256,
    JT_INT,
    JT_REAL,
    JT_TRUE,
    JT_FALSE,
    JT_NULL
};

enum { JL_EOF = -1, JL_ERR = -2 }; /* jl_look results besides a byte */

/* The kind of an error, for jansson's error code: a UTF-8 error, its
 * "premature end of input", another invalid_syntax error (which jansson
 * also calls premature when it stands at the end of input), or another. */
enum { JE_STREAM = 1, JE_PREMATURE, JE_SYNTAX, JE_OTHER };

typedef struct jlex {
    const unsigned char *b;
    size_t len, p; /* p: the next byte to read */
    int tok;
    size_t ts, te; /* the token's bytes: jansson's "saved text" */
    bool esc;      /* JT_STR: holds backslash escapes */
    bool knul;     /* JT_STR: an escape decodes to a NUL byte */
    bool nul_next; /* the token ended by putting back a NUL byte */
    int64_t ival;  /* JT_INT */
    double dval;   /* JT_REAL */
    /* The first error. */
    bool failed, nomem;
    int err_kind; /* JE_* */
    size_t err_ts, err_te;
    char err_text[112];
    /* NUL bytes jansson's stream dropped: the last one, how many since the
     * newline before it (they do not count as columns), how many in all
     * (nor as position). */
    size_t drop_last, drop_run, drops;
} jlex;

/* Character classes for the first byte of a token. */
enum { JC_OTHER = 0, JC_WS, JC_STRUCT, JC_QUOTE, JC_NUM, JC_ALPHA, JC_HIGH };

/* Each byte's class (otlp_json_lex_tables.c). */
extern const unsigned char dp__jl_cls[256];

static inline bool jl_digit(int c)
{
    return c >= '0' && c <= '9';
}
static inline bool jl_alpha(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Length of the valid UTF-8 sequence at s (jansson's utf8_check_first and
 * utf8_check_full: no overlongs, surrogates or code points past U+10FFFF),
 * or 0. A sequence cut by the end of input is invalid. */
static inline size_t jl_utf8(const unsigned char *s, size_t avail)
{
    unsigned c = s[0];
    uint32_t v;
    size_t n;

    if (c >= 0xC2 && c <= 0xDF)
        n = 2, v = c & 0x1F;
    else if (c >= 0xE0 && c <= 0xEF)
        n = 3, v = c & 0x0F;
    else if (c >= 0xF0 && c <= 0xF4)
        n = 4, v = c & 0x07;
    else
        return 0;
    if (avail < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if (s[i] < 0x80 || s[i] > 0xBF)
            return 0;
        v = v << 6 | (s[i] & 0x3F);
    }
    if (v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF) || (n == 2 && v < 0x80) ||
        (n == 3 && v < 0x800) || (n == 4 && v < 0x10000))
        return 0;
    return n;
}

/* Records the first error: the saved text is b[ts..te) and jansson's stream
 * stands at te; kind is JE_*. Returns -1. */
static int jl_fail(jlex *l, size_t ts, size_t te, int kind, const char *fmt,
                   ...) __attribute__((format(printf, 5, 6), unused));
static int jl_fail(jlex *l, size_t ts, size_t te, int kind, const char *fmt,
                   ...)
{
    va_list ap;

    if (l->failed)
        return -1;
    l->failed = true;
    l->err_ts = ts;
    l->err_te = te;
    l->err_kind = kind;
    va_start(ap, fmt);
    vsnprintf(l->err_text, sizeof(l->err_text), fmt, ap);
    va_end(ap);
    return -1;
}

/* A parser error at the current token (kind JE_SYNTAX or JE_OTHER). */
static inline int jl_fail_tok(jlex *l, int kind, const char *msg)
{
    return jl_fail(l, l->ts, l->te, kind, "%s", msg);
}

/* Reads the byte at q as jansson's stream would (checking a whole UTF-8
 * sequence when it starts one) for a token starting at ts. Returns the byte,
 * JL_EOF, or JL_ERR after recording the error. */
static inline int jl_look(jlex *l, size_t q, size_t ts)
{
    unsigned c;

    if (q >= l->len)
        return JL_EOF;
    c = l->b[q];
    if (c >= 0x80 && !jl_utf8(l->b + q, l->len - q)) {
        jl_fail(l, ts, q, JE_STREAM, "unable to decode byte 0x%x", c);
        return JL_ERR;
    }
    return (int)c;
}

/* Nonzero when a byte of w is '"', '\\', a control byte or >= 0x80. */
static inline uint64_t jl_special8(uint64_t w)
{
    const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
    uint64_t q = w ^ (ones * '"'), s = w ^ (ones * '\\');

    return (w | ((w - ones * 0x20) & ~w) | ((q - ones) & ~q) |
            ((s - ones) & ~s)) &
           high;
}

/* Bytes a string holds as they are: 0x20..0x7F but '"' and '\\'. */
extern const unsigned char dp__jl_plain[256];

/* The index of the first byte at or after q in b[0..len) that is not plain
 * (len if none): eight bytes a step while none is special, then a byte. */
static inline size_t jl_skip_plain(const unsigned char *b, size_t q, size_t len)
{
    while (q + 8 <= len) {
        uint64_t w;
        memcpy(&w, b + q, 8);
        if (jl_special8(w))
            break;
        q += 8;
    }
    while (q < len && dp__jl_plain[b[q]])
        q++;
    return q;
}

/* A string token from the quote at ts: jansson's lex_scan_string, first the
 * checking pass, then the surrogate rules of its decoding pass (an error
 * there names the whole token). The slow path of jl_next: strings with
 * escapes, bytes >= 0x80 or errors. */
static __attribute__((noinline, unused)) int jl_string(jlex *l, size_t ts)
{
    const unsigned char *b = l->b;
    size_t len = l->len, q = ts + 1;
    bool esc = false, knul = false, uerr = false;
    int32_t hi = -1; /* a high surrogate whose partner escape comes next */
    char utext[48];

    for (;;) {
        unsigned c;

        q = jl_skip_plain(b, q, len);
        if (q >= len)
            return jl_fail(l, ts, len, JE_PREMATURE, "premature end of input");
        c = b[q];
        if (c == '"')
            break;
        if (c == '\\') {
            int e = jl_look(l, q + 1, ts);

            esc = true;
            if (e == JL_ERR)
                return -1;
            if (e == JL_EOF)
                return jl_fail(l, ts, q + 1, JE_SYNTAX, "invalid escape");
            q += 2;
            if (e == 'u') {
                int32_t v = 0;

                for (int i = 0; i < 4; i++) {
                    int h = jl_look(l, q, ts), d;
                    if (h == JL_ERR)
                        return -1;
                    if (h == JL_EOF)
                        return jl_fail(l, ts, q, JE_SYNTAX, "invalid escape");
                    q++;
                    if ((d = dp_hex_digit(h)) < 0)
                        return jl_fail(l, ts, q, JE_SYNTAX, "invalid escape");
                    v = v << 4 | d;
                }
                if (uerr)
                    continue;
                if (hi >= 0) {
                    if (v < 0xDC00 || v > 0xDFFF) {
                        snprintf(utext, sizeof(utext),
                                 "invalid Unicode '\\u%04X\\u%04X'",
                                 (unsigned)hi, (unsigned)v);
                        uerr = true;
                    }
                    hi = -1;
                } else if (v >= 0xD800 && v <= 0xDBFF) {
                    if (q + 1 < len && b[q] == '\\' && b[q + 1] == 'u') {
                        hi = v;
                    } else {
                        snprintf(utext, sizeof(utext),
                                 "invalid Unicode '\\u%04X'", (unsigned)v);
                        uerr = true;
                    }
                } else if (v >= 0xDC00 && v <= 0xDFFF) {
                    snprintf(utext, sizeof(utext), "invalid Unicode '\\u%04X'",
                             (unsigned)v);
                    uerr = true;
                } else if (v == 0) {
                    knul = true;
                }
            } else if (!(e == '"' || e == '\\' || e == '/' || e == 'b' ||
                         e == 'f' || e == 'n' || e == 'r' || e == 't')) {
                return jl_fail(l, ts, q, JE_SYNTAX, "invalid escape");
            }
            continue;
        }
        if (c < 0x20) {
            if (c == '\n')
                return jl_fail(l, ts, q, JE_SYNTAX, "unexpected newline");
            return jl_fail(l, ts, q, JE_SYNTAX, "control character 0x%x", c);
        }
        /* c >= 0x80 */
        {
            size_t n = jl_utf8(b + q, len - q);
            if (!n)
                return jl_fail(l, ts, q, JE_STREAM,
                               "unable to decode byte 0x%x", c);
            q += n;
        }
    }
    q++;
    if (uerr)
        return jl_fail(l, ts, q, JE_SYNTAX, "%s", utext);
    l->tok = JT_STR;
    l->te = l->p = q;
    l->esc = esc;
    l->knul = knul;
    return 0;
}

/* Reads the next byte of a number or word at *q, advancing past it unless
 * at the end of input (jansson's lex_get_save). */
#define JL_GET(c, q)                                                           \
    do {                                                                       \
        (c) = jl_look(l, (q), ts);                                             \
        if ((c) == JL_ERR)                                                     \
            return -1;                                                         \
        if ((c) != JL_EOF)                                                     \
            (q)++;                                                             \
    } while (0)
/* Puts the last byte back (jansson's lex_unget_unsave). */
#define JL_UNGET(c, q)                                                         \
    do {                                                                       \
        if ((c) != JL_EOF)                                                     \
            (q)--;                                                             \
    } while (0)

/* An invalid token whose saved text is b[ts..q). */
static inline int jl_invalid(jlex *l, size_t ts, size_t q)
{
    (void)ts;
    l->tok = JT_INVALID;
    l->te = l->p = q;
    return 0;
}

/* A real as jansson's jsonp_strtod reads it (the '.' becomes the current
 * locale's decimal point, as strtod wants), failing on overflow. */
static __attribute__((unused)) int jl_real(jlex *l, size_t ts, size_t q)
{
    char small[128], *s = small, point = nl_langinfo(RADIXCHAR)[0];
    size_t n = q - ts;
    double v;

    if (n >= sizeof(small) && !(s = malloc(n + 1))) {
        l->nomem = true;
        return jl_fail(l, ts, q, JE_OTHER, "out of memory");
    }
    memcpy(s, l->b + ts, n);
    s[n] = '\0';
    if (point && point != '.') {
        char *dot = strchr(s, '.');
        if (dot)
            *dot = point;
    }
    errno = 0;
    v = strtod(s, NULL);
    if (s != small)
        free(s);
    if ((v == HUGE_VAL || v == -HUGE_VAL) && errno == ERANGE)
        return jl_fail(l, ts, q, JE_OTHER, "real number overflow");
    l->tok = JT_REAL;
    l->dval = v;
    return 0;
}

/* A number from the '-' or digit at ts: jansson's lex_scan_number. */
static __attribute__((noinline, unused)) int jl_number(jlex *l, size_t ts)
{
    size_t q = ts + 1;
    int c = l->b[ts];

    if (c == '-')
        JL_GET(c, q);
    if (c == '0') {
        JL_GET(c, q);
        if (jl_digit(c)) {
            JL_UNGET(c, q);
            return jl_invalid(l, ts, q);
        }
    } else if (jl_digit(c)) {
        do
            JL_GET(c, q);
        while (jl_digit(c));
    } else {
        JL_UNGET(c, q);
        return jl_invalid(l, ts, q);
    }
    if (c != '.' && c != 'e' && c != 'E') {
        bool neg = l->b[ts] == '-', over = false;
        uint64_t v = 0;

        JL_UNGET(c, q);
        for (size_t i = ts + neg; i < q; i++) {
            unsigned d = l->b[i] - '0';
            if (v > (UINT64_MAX - d) / 10)
                over = true;
            v = v * 10 + d;
        }
        if (neg && (over || v > (uint64_t)INT64_MAX + 1))
            return jl_fail(l, ts, q, JE_OTHER, "too big negative integer");
        if (!neg && (over || v > (uint64_t)INT64_MAX))
            return jl_fail(l, ts, q, JE_OTHER, "too big integer");
        l->tok = JT_INT;
        l->ival = !neg                           ? (int64_t)v
                  : v == (uint64_t)INT64_MAX + 1 ? INT64_MIN
                                                 : -(int64_t)v;
        l->te = l->p = q;
        l->nul_next = c == 0;
        return 0;
    }
    if (c == '.') {
        c = jl_look(l, q, ts);
        if (c == JL_ERR)
            return -1;
        if (!jl_digit(c))
            return jl_invalid(l, ts, q);
        q++;
        do
            JL_GET(c, q);
        while (jl_digit(c));
    }
    if (c == 'e' || c == 'E') {
        JL_GET(c, q);
        if (c == '+' || c == '-')
            JL_GET(c, q);
        if (!jl_digit(c)) {
            JL_UNGET(c, q);
            return jl_invalid(l, ts, q);
        }
        do
            JL_GET(c, q);
        while (jl_digit(c));
    }
    JL_UNGET(c, q);
    if (jl_real(l, ts, q))
        return -1;
    l->te = l->p = q;
    l->nul_next = c == 0;
    return 0;
}

/* A run of letters from ts: true, false, null or an invalid token. */
static __attribute__((noinline, unused)) int jl_word(jlex *l, size_t ts)
{
    size_t q = ts + 1, n;
    int c;

    do
        JL_GET(c, q);
    while (jl_alpha(c));
    JL_UNGET(c, q);
    n = q - ts;
    if (n == 4 && memcmp(l->b + ts, "true", 4) == 0)
        l->tok = JT_TRUE;
    else if (n == 5 && memcmp(l->b + ts, "false", 5) == 0)
        l->tok = JT_FALSE;
    else if (n == 4 && memcmp(l->b + ts, "null", 4) == 0)
        l->tok = JT_NULL;
    else
        return jl_invalid(l, ts, q);
    l->te = l->p = q;
    l->nul_next = c == 0;
    return 0;
}

#undef JL_GET
#undef JL_UNGET

/* Everything but structural characters and plain strings. */
static __attribute__((noinline, unused)) int jl_next_other(jlex *l, size_t p)
{
    unsigned c = l->b[p];

    switch (dp__jl_cls[c]) {
    case JC_QUOTE:
        return jl_string(l, p);
    case JC_NUM:
        return jl_number(l, p);
    case JC_ALPHA:
        return jl_word(l, p);
    case JC_HIGH: {
        size_t n = jl_utf8(l->b + p, l->len - p);
        if (!n)
            return jl_fail(l, p, p, JE_STREAM, "unable to decode byte 0x%x", c);
        return jl_invalid(l, p, p + n);
    }
    default:
        return jl_invalid(l, p, p + 1);
    }
}

/* Drops the NUL a number or word put back (see the top of this file). */
static __attribute__((noinline, unused)) size_t jl_drop_nul(jlex *l, size_t p)
{
    l->nul_next = false;
    if (p < l->len && l->b[p] == 0) {
        if (l->drop_run && !memchr(l->b + l->drop_last, '\n', p - l->drop_last))
            l->drop_run++;
        else
            l->drop_run = 1;
        l->drop_last = p++;
        l->drops++;
    }
    return p;
}

/* Reads the next token into l->tok, ts, te (jansson's lex_scan). Returns 0,
 * or -1 after recording an error. Structural characters and strings of
 * plain ASCII are read here; the rest out of line. */
static inline __attribute__((always_inline)) int jl_next(jlex *l)
{
    const unsigned char *b = l->b;
    size_t p = l->p, len = l->len, q;
    unsigned c;

    if (__builtin_expect(l->nul_next, 0))
        p = jl_drop_nul(l, p);
    while (p < len && dp__jl_cls[b[p]] == JC_WS)
        p++;
    l->ts = p;
    if (__builtin_expect(p == len, 0)) {
        l->tok = JT_EOF;
        l->te = l->p = p;
        return 0;
    }
    c = b[p];
    if (c == '"') {
        q = p + 1;
        q = jl_skip_plain(b, q, len);
        if (__builtin_expect(q < len && b[q] == '"', 1)) {
            l->tok = JT_STR;
            l->te = l->p = q + 1;
            l->esc = l->knul = false;
            return 0;
        }
        return jl_string(l, p);
    }
    if (dp__jl_cls[c] == JC_STRUCT) {
        l->tok = (int)c;
        l->te = l->p = p + 1;
        return 0;
    }
    return jl_next_other(l, p);
}

/* Writes jansson's error text for the recorded error ("<msg> near '<saved
 * text>'", "... near end of file", or the bare message), its line and
 * column (characters, not bytes, as jansson counts them) and whether jansson
 * would call it json_error_premature_end_of_input. */
static __attribute__((unused)) void jl_error(const jlex *l, char *text,
                                             size_t cap, int *line, int *column,
                                             bool *premature)
{
    const unsigned char *b = l->b;
    size_t ts = l->err_ts, te = l->err_te, sl = te - ts, nl = 0;
    size_t lines = 1, col = 0;

    *premature = l->err_kind == JE_PREMATURE;
    if (sl > 0 && b[ts] != 0) {
        const unsigned char *z = memchr(b + ts, 0, sl);
        if (sl <= 20)
            snprintf(text, cap, "%s near '%.*s'", l->err_text,
                     (int)(z ? (size_t)(z - (b + ts)) : sl),
                     (const char *)b + ts);
        else
            snprintf(text, cap, "%s", l->err_text);
    } else if (l->err_kind == JE_STREAM) {
        snprintf(text, cap, "%s", l->err_text);
    } else {
        snprintf(text, cap, "%s near end of file", l->err_text);
        *premature = *premature || l->err_kind == JE_SYNTAX;
    }
    if (cap > 158)
        text[158] = '\0'; /* jansson's json_error_t text holds 158 bytes */
    for (size_t i = 0; i < te; i++)
        if (b[i] == '\n')
            lines++, nl = i + 1;
    for (size_t i = nl; i < te; i++)
        if (b[i] < 0x80 || (b[i] >= 0xC2 && b[i] <= 0xF4))
            col++;
    if (l->drop_run && l->drop_last >= nl && l->drop_last < te)
        col -= l->drop_run;
    *line = (int)lines;
    *column = (int)col;
}

#endif /* DP_OTLP_JSON_LEX_H */
