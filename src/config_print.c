/*
 * config_print.c - what is printed from the configuration table
 * (config_keys.c) alone: --print-config (YAML that the loader reads back to
 * the same configuration), --help and --help-markdown (the table of
 * docs/configuration.md). Blocks print only when on, maps and lists as
 * block-style YAML, every value in the form the loader reads.
 */
#include <ctype.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config_keys.h"

/* ---- YAML scalars ----------------------------------------------------------
 */

/* Decodes the UTF-8 sequence at s[0..len): returns its length and sets
 * *cp, or returns 0 when it is not UTF-8 (a stray or missing continuation
 * byte, an overlong form, a surrogate, above U+10FFFF). */
static size_t utf8_decode(const unsigned char *s, size_t len, uint32_t *cp)
{
    size_t n;
    uint32_t c, min;
    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    if (s[0] >= 0xc2 && s[0] <= 0xdf)
        n = 2;
    else if ((s[0] & 0xf0) == 0xe0)
        n = 3;
    else if (s[0] >= 0xf0 && s[0] <= 0xf4)
        n = 4;
    else
        return 0;
    c = s[0] & (0x7f >> n);
    min = n == 2 ? 0x80 : n == 3 ? 0x800 : 0x10000;
    if (len < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        c = c << 6 | (s[i] & 0x3f);
    }
    if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
        return 0;
    *cp = c;
    return n;
}

/* Writes s[0..len) to out as a double-quoted YAML scalar that
 * dp_config_load_yaml reads back as the same text: '"' and '\\' escaped,
 * and every character YAML refuses or folds when written raw (C0 and C1
 * controls, DEL, the line breaks U+0085, U+2028 and U+2029, U+FEFF,
 * U+FFFE, U+FFFF) written as an escape. A byte that is not UTF-8 (only a
 * flag or the environment can set one) has no YAML spelling: it is written
 * \xXX and so reads back as U+00XX. O(len). */
void dp__config_put_quoted(FILE *out, const char *s, size_t len)
{
    fputc('"', out);
    for (size_t i = 0; i < len;) {
        const unsigned char *u = (const unsigned char *)s + i;
        uint32_t cp;
        size_t n = utf8_decode(u, len - i, &cp);
        if (n == 0) {
            fprintf(out, "\\x%02x", u[0]);
            n = 1;
        } else if (cp == '"' || cp == '\\') {
            fprintf(out, "\\%c", (char)cp);
        } else if (cp == '\n') {
            fputs("\\n", out);
        } else if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f)) {
            fprintf(out, "\\x%02x", (unsigned)cp);
        } else if (cp == 0x2028 || cp == 0x2029 || cp == 0xfeff ||
                   cp == 0xfffe || cp == 0xffff) {
            fprintf(out, "\\u%04x", (unsigned)cp);
        } else {
            fwrite(u, 1, n, out);
        }
        i += n;
    }
    fputc('"', out);
}

void dp__config_env_name(const char *key, char *out, size_t len)
{
    size_t o = snprintf(out, len, "DAGPROF_");
    for (const char *p = key; *p && o + 1 < len; p++)
        out[o++] = *p == '.' ? '_' : (char)toupper((unsigned char)*p);
    out[o] = '\0';
}

/* ---- printing ------------------------------------------------------------ */

static void format_duration(uint64_t ns, char *out, size_t len)
{
    static const struct {
        uint64_t ns;
        const char *unit;
    } units[] = {{86400000000000ULL, "d"},
                 {3600000000000ULL, "h"},
                 {60000000000ULL, "m"},
                 {1000000000ULL, "s"},
                 {1000000ULL, "ms"},
                 {1000ULL, "us"},
                 {1ULL, "ns"}};
    if (ns == 0) {
        snprintf(out, len, "0");
        return;
    }
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
        if (ns % units[i].ns == 0) {
            snprintf(out, len, "%llu%s", (unsigned long long)(ns / units[i].ns),
                     units[i].unit);
            return;
        }
}

static void format_size(uint64_t b, char *out, size_t len)
{
    if (b && b % 1073741824ULL == 0)
        snprintf(out, len, "%lluGiB", (unsigned long long)(b / 1073741824ULL));
    else if (b && b % 1048576ULL == 0)
        snprintf(out, len, "%lluMiB", (unsigned long long)(b / 1048576ULL));
    else if (b && b % 1024ULL == 0)
        snprintf(out, len, "%lluKiB", (unsigned long long)(b / 1024ULL));
    else
        snprintf(out, len, "%llu", (unsigned long long)b);
}

/* The word of an enum row for value v ("" when out of range). */
static void enum_word(const char *choices, int v, char *out, size_t len)
{
    const char *p = choices;
    for (int i = 0; i < v && p; i++)
        if ((p = strchr(p, '|')) != NULL)
            p++;
    size_t n = p ? strcspn(p, "|") : 0;
    snprintf(out, len, "%.*s", (int)n, p ? p : "");
}

void dp__config_print_value(const void *cfg, const struct dp__config_key *k,
                            FILE *out)
{
    const char *base = (const char *)cfg + k->off;
    char v[64];
    switch (k->type) {
    case K_STR:
    case K_ENDPOINT:
    case K_LOGLEVEL:
    case K_LOGFMT:
    case K_DURABLE: {
        const char *s = *(char *const *)base;
        dp__config_put_quoted(out, s ? s : "", s ? strlen(s) : 0);
        return;
    }
    case K_DUR_U64:
        format_duration(*(const uint64_t *)base, v, sizeof(v));
        break;
    case K_DUR_I64:
        format_duration((uint64_t) * (const int64_t *)base, v, sizeof(v));
        break;
    case K_SIZE:
        format_size(*(const uint64_t *)base, v, sizeof(v));
        break;
    case K_U64:
        snprintf(v, sizeof(v), "%llu",
                 (unsigned long long)*(const uint64_t *)base);
        break;
    case K_U32:
        snprintf(v, sizeof(v), "%u", *(const uint32_t *)base);
        break;
    case K_I64:
        snprintf(v, sizeof(v), "%lld", (long long)*(const int64_t *)base);
        break;
    case K_BOOL:
    case K_BLOCK:
    case K_LIST:
        snprintf(v, sizeof(v), "%s", *(const bool *)base ? "true" : "false");
        break;
    case K_MODE: /* quoted: YAML 1.1 readers take a bare 0600 as a number */
        snprintf(v, sizeof(v), "\"%04o\"", *(const uint32_t *)base);
        break;
    case K_ENUM:
        enum_word(k->choices, *(const int *)base, v, sizeof(v));
        break;
    case K_MAP:
        snprintf(v, sizeof(v), "{}");
        break;
    default: /* K_DOUBLE */
        snprintf(v, sizeof(v), "%.15g", *(const double *)base);
        break;
    }
    fputs(v, out);
}

/* Length of the first dotted component of key. */
static size_t component(const char *key)
{
    return strcspn(key, ".");
}

static void print_rows(const void *base, const struct dp__config_key *rows,
                       size_t n, size_t skip, int indent, FILE *out);

static void print_map(const dp_str_map *m, int indent, FILE *out)
{
    for (size_t i = 0; i < m->n; i++) {
        fprintf(out, "%*s", indent, "");
        dp__config_put_quoted(out, m->names[i], strlen(m->names[i]));
        fputs(": ", out);
        dp__config_put_quoted(out, m->values[i], strlen(m->values[i]));
        fputc('\n', out);
    }
}

/* Each element as a block mapping whose first line starts with "- ". */
static void print_list(const void *base, const struct dp__config_key *k,
                       int indent, FILE *out)
{
    const struct dp__config_list *l = k->list;
    const char *items = *(char *const *)((const char *)base + l->items_off);
    size_t count = *(const size_t *)((const char *)base + l->count_off);
    for (size_t i = 0; i < count; i++) {
        char *text = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);
        if (!f)
            return;
        print_rows(items + i * l->elem_size, l->rows, l->n_rows, 0, indent + 2,
                   f);
        if (fclose(f) == 0 && len > (size_t)indent + 2)
            fprintf(out, "%*s- %s", indent, "", text + indent + 2);
        else
            fprintf(out, "%*s- {}\n", indent, "");
        free(text);
    }
}

/* Prints rows[0..n), whose keys share their first skip characters, as
 * YAML at indent: rows with a common next component nest under it. */
static void print_rows(const void *base, const struct dp__config_key *rows,
                       size_t n, size_t skip, int indent, FILE *out)
{
    for (size_t i = 0, j; i < n; i = j) {
        const char *name = rows[i].key + skip;
        size_t len = component(name);
        for (j = i + 1; j < n && strncmp(rows[j].key + skip, name, len) == 0 &&
                        (rows[j].key[skip + len] == '.' ||
                         rows[j].key[skip + len] == '\0');
             j++)
            ;
        const struct dp__config_key *k = &rows[i];
        bool self = name[len] == '\0'; /* rows[i] is this component's row */
        const char *at = (const char *)base + k->off;
        if (self && (k->type == K_BLOCK || k->type == K_LIST) &&
            !*(const bool *)at)
            continue; /* absent: nothing below it is printed */
        if (self && k->type == K_STR && !*(char *const *)at)
            continue; /* unset (a key without a default) */
        fprintf(out, "%*s%.*s:", indent, "", (int)len, name);
        if (self && k->type == K_MAP) {
            const dp_str_map *m = (const dp_str_map *)at;
            fputs(m->n ? "\n" : " {}\n", out);
            print_map(m, indent + 2, out);
        } else if (self && k->type == K_LIST) {
            size_t count =
                *(const size_t *)((const char *)base + k->list->count_off);
            fputs(count ? "\n" : " []\n", out);
            print_list(base, k, indent + 2, out);
        } else if (!self || k->type == K_BLOCK) {
            /* Children into a buffer: a block with none on is "{}". */
            char *text = NULL;
            size_t tlen = 0;
            FILE *f = open_memstream(&text, &tlen);
            if (!f)
                return;
            print_rows(base, rows + i + self, j - i - self, skip + len + 1,
                       indent + 2, f);
            if (fclose(f) == 0 && tlen)
                fprintf(out, "\n%s", text);
            else
                fputs(" {}\n", out);
            free(text);
        } else {
            fputc(' ', out);
            dp__config_print_value(base, k, out);
            fputc('\n', out);
        }
    }
}

void dp_config_print(const dp_config *cfg, FILE *out)
{
    print_rows(cfg, dp__config_keys, dp__config_n_keys, 0, 0, out);
}

/* ---- --help and --help-markdown ------------------------------------------ */

/* The default as documented; "" for none. */
static const char *shown_default(const struct dp__config_key *k)
{
    switch (k->type) {
    case K_BLOCK:
        return "off";
    case K_LIST:
        return "[]";
    case K_MAP:
        return "{}";
    default:
        return k->def ? k->def : "";
    }
}

/* Calls fn for every row, list elements' rows after their list's with the
 * key written list[].key. */
static void each_row(void (*fn)(const struct dp__config_key *k, const char *key,
                                FILE *out),
                     FILE *out)
{
    for (size_t i = 0; i < dp__config_n_keys; i++) {
        const struct dp__config_key *k = &dp__config_keys[i];
        fn(k, k->key, out);
        if (k->type != K_LIST)
            continue;
        for (size_t e = 0; e < k->list->n_rows; e++) {
            char key[160];
            snprintf(key, sizeof(key), "%s[].%s", k->key, k->list->rows[e].key);
            fn(&k->list->rows[e], key, out);
        }
    }
}

static void help_row(const struct dp__config_key *k, const char *key, FILE *out)
{
    const char *def = shown_default(k);
    const char *q = k->def && !k->def[0] ? "\"" : "";
    fprintf(out, "  %s\n      ", key);
    if (k->flag) {
        char env[128];
        dp__config_env_name(k->key, env, sizeof(env));
        fprintf(out, "--%s, %s", k->flag, env);
    } else if (k->env) {
        fprintf(out, "YAML only; unset: %s", k->env);
    } else {
        fputs("YAML only", out);
    }
    if (k->def || k->type == K_BLOCK || k->type == K_LIST || k->type == K_MAP)
        fprintf(out, " (default: %s%s%s)", q, def, q);
    fprintf(out, "\n      %s\n", k->desc);
}

void dp_config_help(FILE *out)
{
    fputs("configuration keys (YAML key / flag / environment variable):\n",
          out);
    each_row(help_row, out);
}

static void markdown_row(const struct dp__config_key *k, const char *key,
                         FILE *out)
{
    char env[160] = "";
    const char *def = shown_default(k);
    if (k->flag)
        dp__config_env_name(k->key, env, sizeof(env));
    fprintf(out, "| `%s` | ", key);
    if (k->flag)
        fprintf(out, "`--%s` | `%s` | ", k->flag, env);
    else if (k->env)
        fprintf(out, " | `%s` (when unset) | ", k->env);
    else
        fputs(" |  | ", out);
    if (def[0])
        fprintf(out, "`%s` | %s |\n", def, k->desc);
    else if (k->def)
        fprintf(out, "`\"\"` | %s |\n", k->desc);
    else
        fprintf(out, " | %s |\n", k->desc);
}

void dp_config_markdown(FILE *out)
{
    fputs("| key | flag | environment | default | description |\n"
          "|---|---|---|---|---|\n",
          out);
    each_row(markdown_row, out);
}
