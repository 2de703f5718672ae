/*
 * stats.c - exact rounded means and 128-bit decimal formatting, used by
 * the summary (summary.c) and compare (cmd_compare.c) views across runs,
 * and by the history's trends and regressions (history/trends.c,
 * regress.c). See stats.h for the definitions; the percentiles are
 * exporter/order_stats.c's.
 */
#include "stats.h"

/* num / den rounded half away from zero; den > 0. */
static dp_i128 div_round(dp_i128 num, dp_i128 den)
{
    dp_i128 mag = num < 0 ? -num : num;
    dp_i128 q = mag / den, r = mag % den;
    if (2 * r >= den)
        q++;
    return num < 0 ? -q : q;
}

int64_t dp_stats_mean(dp_i128 sum, uint64_t n)
{
    return n == 0 ? 0 : (int64_t)div_round(sum, (dp_i128)n);
}

int64_t dp_stats_mean_x100(dp_i128 sum, uint64_t n)
{
    return n == 0 ? 0 : (int64_t)div_round(sum * 100, (dp_i128)n);
}

/* Writes the decimal digits of mag (>= 0) into the end of tmp[0..size);
 * returns a pointer to the first digit. */
static char *digits(dp_i128 mag, char *tmp, size_t size)
{
    char *p = tmp + size;
    *--p = '\0';
    do {
        *--p = (char)('0' + (int)(mag % 10));
        mag /= 10;
    } while (mag > 0 && p > tmp);
    return p;
}

/* |v| without overflow for every value the callers produce (they never
 * reach the 128-bit minimum). */
static dp_i128 mag128(dp_i128 v)
{
    return v < 0 ? -v : v;
}

int dp_stats_i128(dp_buf *b, dp_i128 v)
{
    char tmp[48];
    char *d = digits(mag128(v), tmp, sizeof(tmp));
    if (v < 0 && dp_buf_puts(b, "-"))
        return DP_ENOMEM;
    return dp_buf_puts(b, d);
}

/* Appends "<prefix><whole>[.<frac>]" where frac has `decimals` digits with
 * trailing zeros trimmed down to min_decimals (no fraction at all when it
 * is 0 and min_decimals is 0). */
static int put_fixed(dp_buf *b, const char *prefix, dp_i128 whole,
                     uint64_t frac, int decimals, int min_decimals)
{
    char tmp[48];
    size_t start = b->len;
    int err;

    err = dp_buf_puts(b, prefix);
    if (!err)
        err = dp_buf_puts(b, digits(whole, tmp, sizeof(tmp)));
    if (!err && (frac != 0 || min_decimals > 0)) {
        while (decimals > min_decimals && frac % 10 == 0) {
            frac /= 10;
            decimals--;
        }
        err = dp_buf_printf(b, ".%0*llu", decimals, (unsigned long long)frac);
    }
    if (err) {
        b->len = start;
        if (b->data)
            b->data[start] = '\0';
    }
    return err;
}

int dp_stats_usd_exact(dp_buf *b, dp_i128 pusd)
{
    const dp_i128 unit = 1000000000000; /* pico-USD per USD */
    dp_i128 mag = mag128(pusd);
    return put_fixed(b, pusd < 0 ? "-" : "", mag / unit, (uint64_t)(mag % unit),
                     12, 0);
}

int dp_stats_usd_text(dp_buf *b, dp_i128 pusd)
{
    char tmp[64];
    return dp_buf_puts(b, dp_money_text(tmp, sizeof(tmp), pusd));
}

int dp_stats_x100(dp_buf *b, int64_t x100)
{
    dp_i128 mag = mag128((dp_i128)x100);
    return put_fixed(b, x100 < 0 ? "-" : "", mag / 100, (uint64_t)(mag % 100),
                     2, 0);
}
