/*
 * units.c - the value syntax of DESIGN.md "Configuration values", shared by
 * every configuration reader (config.c's key table, exporters_config.c's
 * exporters: section): durations 500ms, 2s, 5m, 1h, 30d (units ns us ms s
 * m h d, combinable: 1m30s), sizes 512KiB, 4MiB, 20MB or plain bytes, and file
 * modes as octal digits (0600).
 */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "units.h"

/* "1m30s", "500ms", "2.5s", "0". */
bool dp_parse_duration(const char *s, uint64_t *out)
{
    static const struct {
        const char *unit;
        double ns;
    } units[] = {{"ns", 1},   {"us", 1e3},   {"ms", 1e6},   {"s", 1e9},
                 {"m", 60e9}, {"h", 3600e9}, {"d", 86400e9}};
    double total = 0;
    const char *p = s;
    if (strcmp(s, "0") == 0) {
        *out = 0;
        return true;
    }
    if (!*p)
        return false;
    while (*p) {
        char *end;
        if (!isdigit((unsigned char)*p) && *p != '.')
            return false;
        double v = strtod(p, &end);
        if (end == p)
            return false;
        p = end;
        size_t best = 0, best_len = 0;
        for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
            size_t ul = strlen(units[i].unit);
            if (strncmp(p, units[i].unit, ul) == 0 && ul > best_len) {
                best = i;
                best_len = ul;
            }
        }
        if (!best_len)
            return false;
        /* "m" must not swallow the "m" of "ms". */
        p += best_len;
        total += v * units[best].ns;
    }
    if (!(total >= 0 && total < 9.2e18))
        return false;
    *out = (uint64_t)llround(total);
    return true;
}

bool dp_parse_size(const char *s, uint64_t *out)
{
    static const struct {
        const char *unit;
        double mult;
    } units[] = {{"", 1},
                 {"B", 1},
                 {"KB", 1e3},
                 {"MB", 1e6},
                 {"GB", 1e9},
                 {"KiB", 1024.0},
                 {"MiB", 1048576.0},
                 {"GiB", 1073741824.0}};
    char *end;
    if (!isdigit((unsigned char)*s))
        return false;
    double v = strtod(s, &end);
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        if (strcmp(end, units[i].unit) == 0) {
            double b = v * units[i].mult;
            if (!(b >= 0 && b < 1.8e19) || b != floor(b))
                return false;
            *out = (uint64_t)b;
            return true;
        }
    }
    return false;
}

bool dp_parse_mode(const char *s, uint32_t *out)
{
    uint32_t v = 0;
    size_t n = 0;
    if (s[0] == '0' && (s[1] == 'o' || s[1] == 'O'))
        s += 2;
    for (; *s; s++, n++) {
        if (*s < '0' || *s > '7' || n == 4)
            return false;
        v = v * 8 + (uint32_t)(*s - '0');
    }
    if (n == 0 || v > 0777)
        return false;
    *out = v;
    return true;
}
