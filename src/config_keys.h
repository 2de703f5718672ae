/*
 * config_keys.h - the configuration key table (config_keys.c) shared by the
 * loader (config.c: values, DAGPROF_* variables and flags; config_yaml.c:
 * YAML files) and the printers (config_print.c: --print-config, --help,
 * --help-markdown). Internal to the command.
 *
 * One table describes every key, the core ones and the `exporters:` and
 * `alerts:` sections alike. Besides single values a row can be
 *   K_BLOCK  a mapping whose presence means something (an exporter is on
 *            when its mapping appears, even empty: `prometheus: {}`); the
 *            rows below it print only when it is on;
 *   K_MAP    a mapping of free names to text (HTTP headers);
 *   K_LIST   a list of mappings, each read by the element rows of its
 *            dp__config_list (alert rules), whose keys are relative to the
 *            element and printed as `alerts[].name`.
 * A row without a flag is YAML only: no flag and no DAGPROF_ variable
 * (keys inside blocks and lists); `env` then names a variable that stands
 * in when the key is left unset, read where the value is used.
 */
#ifndef DP_CONFIG_KEYS_H
#define DP_CONFIG_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "config.h"

enum key_type {
    K_STR,      /* char * (def NULL: unset, NULL) */
    K_ENDPOINT, /* char *, host:port or empty */
    K_LOGLEVEL, /* char *, error|warn|info|debug */
    K_LOGFMT,   /* char *, text|json */
    K_DURABLE,  /* char *, none|wal */
    K_DUR_U64,  /* uint64_t ns */
    K_DUR_I64,  /* int64_t ns */
    K_SIZE,     /* uint64_t bytes */
    K_U64,      /* uint64_t */
    K_U32,      /* uint32_t */
    K_I64,      /* int64_t */
    K_DOUBLE,   /* double */
    K_BOOL,     /* bool: true or false */
    K_MODE,     /* uint32_t file permissions, written in octal */
    K_ENUM,     /* int: the index of the word in choices ("none|gzip") */
    K_BLOCK,    /* bool: the mapping appeared (may be empty or null) */
    K_MAP,      /* dp_str_map: names to text, in file order */
    K_LIST      /* bool: the list appeared; elements per list */
};

struct dp__config_list;

struct dp__config_key {
    const char *key;  /* dotted; in a list element, relative to it */
    const char *flag; /* NULL: YAML only */
    int type;
    const char *def; /* as text; NULL: no default (left zero or NULL) */
    size_t off;      /* in dp_config, or in the list element */
    double min, max; /* checked when min != max */
    const char *desc;
    const char *choices;                /* K_ENUM */
    const char *env;                    /* YAML-only key: stands in if unset */
    const struct dp__config_list *list; /* K_LIST */
};

/* A K_LIST's elements: an array of elem_size structs at items_off (void *,
 * realloc'ed) counted by the size_t at count_off, each read by rows. */
struct dp__config_list {
    const struct dp__config_key *rows;
    size_t n_rows;
    size_t elem_size, items_off, count_off;
    const char *label_key; /* its value names an element in messages */
    const char *label;     /* printf format of that name: "alert '%s'" */
    const char *what;      /* "rules (- name: ..., condition: ...)" */
    /* Called once element i was read, to check and use it. Returns 0 or
     * an error with a message. */
    int (*added)(dp_config *cfg, const void *elem, char *err, size_t err_len);
};

/* Every key, in the order --print-config, --help and the docs list them. */
extern const struct dp__config_key dp__config_keys[];
extern const size_t dp__config_n_keys;

/* The row of a dotted key among rows[0..n) (the Collector's
 * receivers.otlp.protocols.* spelling accepted), or NULL. */
const struct dp__config_key *dp__config_find(const struct dp__config_key *rows,
                                             size_t n, const char *key);
/* Whether key is a proper dotted prefix of a row among rows[0..n). */
bool dp__config_is_prefix(const struct dp__config_key *rows, size_t n,
                          const char *key);
/* Writes "unknown configuration key 'shown'" with the nearest row of
 * rows (a near miss: "did you mean"), or else the names known at that
 * level. key is relative to rows; shown is the key as the user wrote it
 * (the path of a list element), and suggestions are written alike. */
void dp__config_unknown(const struct dp__config_key *rows, size_t n,
                        const char *key, const char *shown, char *err,
                        size_t err_len);
/* The form a value of k must have, for messages ("block or drop" from
 * k's choices); buf holds what is built. */
const char *dp__config_expected_form(const struct dp__config_key *k, char *buf,
                                     size_t len);
/* Sets row k of base from text v; messages name the key as label. */
int dp__config_set_value(void *base, const struct dp__config_key *k,
                         const char *v, const char *label, char *err,
                         size_t err_len);
/* Fills every row of rows with its default; frees what they own. */
void dp__config_defaults(void *base, const struct dp__config_key *rows,
                         size_t n);
void dp__config_free(void *base, const struct dp__config_key *rows, size_t n);

/* key's environment variable: DAGPROF_ + key upper-cased, '.' -> '_'. */
void dp__config_env_name(const char *key, char *out, size_t len);
/* Writes s[0..len) to out as a double-quoted YAML scalar (see
 * config_print.c). */
void dp__config_put_quoted(FILE *out, const char *s, size_t len);
/* Writes the single value of row k in base as --print-config does (no
 * newline). */
void dp__config_print_value(const void *base, const struct dp__config_key *k,
                            FILE *out);

#endif /* DP_CONFIG_KEYS_H */
