/*
 * report_html_write.c - what every part of the HTML report writes with: the
 * writer that keeps its first error and takes back a part that failed, the
 * page's one escaping function (XML-safe text and attributes), and units
 * for a person: durations in ms or s by size, money, counts with thousands
 * separators, UTC times. A leaf: report_html.c, report_html_charts.c and
 * report_html_gantt.c call it and it calls none of them.
 */
#include "report_html.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "report_html_internal.h"

/* ---- the writer ------------------------------------------------------ */

int dp__hw_end(dp__hw *w)
{
    if (w->err)
        dp_buf_truncate(w->b, w->start);
    return w->err;
}

const dp_html_run_opts *dp__html_opts(const dp_html_run_opts *o)
{
    static const dp_html_run_opts def = {1, true, 0};
    return o ? o : &def;
}

void dp__hw_putn(dp__hw *w, const char *s, size_t n)
{
    dp__buf_put(w->b, &w->err, s, n);
}

void dp__hw_put(dp__hw *w, const char *s)
{
    dp__hw_putn(w, s, strlen(s));
}

void dp__hw_putf(dp__hw *w, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    dp__buf_vputf(w->b, &w->err, 512, fmt, ap);
    va_end(ap);
}

void dp__hw_esc(dp__hw *w, const char *s)
{
    if (s == NULL)
        dp__hw_put(w, "-");
    else if (w->err == 0)
        w->err = dp_html_escapen(w->b, s, strlen(s));
}

void dp__hw_esc_cut(dp__hw *w, const char *s, size_t max_cps)
{
    size_t i = 0, cps = 0, n, seq, bad;
    const unsigned char *u = (const unsigned char *)s;
    if (s == NULL) {
        dp__hw_put(w, "-");
        return;
    }
    n = strlen(s);
    if (max_cps < 2)
        max_cps = 2;
    /* Count code points (an invalid subsequence counts as its U+FFFD). */
    while (i < n && cps < max_cps) {
        seq = dp__utf8_seq(u + i, n - i, &bad);
        i += seq ? seq : bad;
        cps++;
    }
    if (i >= n) {
        dp__hw_esc(w, s);
        return;
    }
    /* Too long: max_cps - 1 code points and an ellipsis. */
    i = 0;
    for (size_t k = 0; k + 1 < max_cps; k++) {
        seq = dp__utf8_seq(u + i, n - i, &bad);
        i += seq ? seq : bad;
    }
    if (w->err == 0)
        w->err = dp_html_escapen(w->b, s, i);
    dp__hw_put(w, "\xE2\x80\xA6");
}

void dp__hw_ms(dp__hw *w, int64_t ns)
{
    if (w->err == 0)
        w->err = dp_buf_ms(w->b, ns);
}

/* ---- escaping -------------------------------------------------------- */

int dp_html_escapen(dp_buf *b, const char *s, size_t n)
{
    static const char fffd[] = "\xEF\xBF\xBD";
    const unsigned char *u = (const unsigned char *)s;
    size_t start, i = 0, run = 0, seq, bad;
    const char *rep;

    if (b == NULL || (s == NULL && n > 0))
        return DP_EINVAL;
    start = b->len;
#define FLUSH()                                                                \
    do {                                                                       \
        if (run && dp_buf_append(b, u + i - run, run) != 0)                    \
            goto nomem;                                                        \
        run = 0;                                                               \
    } while (0)
    while (i < n) {
        unsigned char c = u[i];
        rep = NULL;
        seq = 1;
        switch (c) {
        case '&':
            rep = "&amp;";
            break;
        case '<':
            rep = "&lt;";
            break;
        case '>':
            rep = "&gt;";
            break;
        case '"':
            rep = "&quot;";
            break;
        case '\'':
            rep = "&#39;";
            break;
        case '\t':
        case '\n':
            break;
        default:
            if (c < 0x20 || c == 0x7F) {
                rep = fffd;
            } else if (c >= 0x80) {
                seq = dp__utf8_seq(u + i, n - i, &bad);
                if (seq == 0) {
                    rep = fffd;
                    seq = bad;
                } else if ((seq == 2 && c == 0xC2 && u[i + 1] <= 0x9F) ||
                           (seq == 3 && c == 0xEF && u[i + 1] == 0xBF &&
                            u[i + 2] >= 0xBE)) {
                    rep = fffd; /* C1 control, U+FFFE, U+FFFF */
                }
            }
        }
        if (rep) {
            FLUSH();
            if (dp_buf_puts(b, rep) != 0)
                goto nomem;
            i += seq;
        } else {
            run += seq;
            i += seq;
        }
    }
    FLUSH();
#undef FLUSH
    return 0;
nomem:
    dp_buf_truncate(b, start);
    return DP_ENOMEM;
}

int dp_html_escape(dp_buf *b, const char *s)
{
    if (b == NULL)
        return DP_EINVAL;
    return s ? dp_html_escapen(b, s, strlen(s)) : 0;
}

/* ---- formatting ------------------------------------------------------ */

const char *dp__html_dur(char *out, size_t len, int64_t ns)
{
    const char *sign = ns < 0 ? "-" : "";
    uint64_t a = ns < 0 ? (uint64_t)0 - (uint64_t)ns : (uint64_t)ns;
    double ms = (double)a / 1e6;
    if (a == 0)
        snprintf(out, len, "0 ms");
    else if (a < 1000000)
        snprintf(out, len, "%s%.3f ms", sign, ms);
    else if (a < 10000000)
        snprintf(out, len, "%s%.2f ms", sign, ms);
    else if (a < 1000000000)
        snprintf(out, len, "%s%.1f ms", sign, ms);
    else if (a < UINT64_C(60000000000))
        snprintf(out, len, "%s%.2f s", sign, ms / 1000);
    else if (a < UINT64_C(3600000000000))
        snprintf(out, len, "%s%" PRIu64 " min %.1f s", sign,
                 a / UINT64_C(60000000000),
                 (double)(a % UINT64_C(60000000000)) / 1e9);
    else
        snprintf(out, len, "%s%" PRIu64 " h %02" PRIu64 " min", sign,
                 a / UINT64_C(3600000000000),
                 a % UINT64_C(3600000000000) / UINT64_C(60000000000));
    return out;
}

int64_t dp__html_tokens(const dp_tokens *t)
{
    int64_t sum;
    if (__builtin_add_overflow(t->input, t->output, &sum))
        return t->input > 0 ? INT64_MAX : INT64_MIN;
    return sum;
}

const char *dp__html_money(char *out, size_t len, int64_t pusd)
{
    char raw[48];
    size_t o = 0;
    dp_money_text(raw, sizeof(raw), pusd);
    for (const char *c = raw; *c && o + 5 < len; c++) {
        if (*c == '<') {
            memcpy(out + o, "&lt;", 4);
            o += 4;
        } else {
            out[o++] = *c;
        }
    }
    if (len)
        out[o < len ? o : len - 1] = '\0';
    return out;
}

const char *dp__html_count(char *out, size_t len, int64_t v)
{
    char digits[32];
    uint64_t a = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    int n = snprintf(digits, sizeof(digits), "%" PRIu64, a);
    size_t o = 0;
    if (len == 0)
        return out;
    if (v < 0 && o + 1 < len)
        out[o++] = '-';
    for (int i = 0; i < n && o + 1 < len; i++) {
        if (i > 0 && (n - i) % 3 == 0 && o + 2 < len)
            out[o++] = ',';
        out[o++] = digits[i];
    }
    out[o] = '\0';
    return out;
}

const char *dp__html_utc(char *out, size_t len, uint64_t unix_ns,
                         bool with_date_year, bool with_seconds)
{
    time_t secs = (time_t)(unix_ns / 1000000000ULL);
    struct tm tm;
    const char *fmt =
        with_date_year ? (with_seconds ? "%Y-%m-%d %H:%M:%S" : "%Y-%m-%d %H:%M")
                       : (with_seconds ? "%m-%d %H:%M:%S" : "%m-%d %H:%M");
    if (gmtime_r(&secs, &tm) == NULL || strftime(out, len, fmt, &tm) == 0)
        snprintf(out, len, "-");
    return out;
}
