/*
 * config_keys.h - the configuration key table (config_keys.c) shared by the
 * loader (config.c: YAML, DAGPROF_* variables, flags) and the printers
 * (--print-config, --help, --help-markdown). Internal to the command.
 */
#ifndef DP_CONFIG_KEYS_H
#define DP_CONFIG_KEYS_H

#include <stddef.h>
#include <stdio.h>

#include "config.h"

enum key_type {
    K_STR,      /* char * */
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
    K_MODE      /* uint32_t file permissions, written in octal */
};

struct dp__config_key {
    const char *key;
    const char *flag;
    int type;
    const char *def;
    size_t off;
    double min, max;
    const char *desc;
};

/* Every key, in the order --print-config, --help and the docs list them. */
extern const struct dp__config_key dp__config_keys[];
extern const size_t dp__config_n_keys;

/* key's environment variable: DAGPROF_ + key upper-cased, '.' -> '_'. */
void dp__config_env_name(const char *key, char *out, size_t len);
/* Writes s[0..len) to out as a double-quoted YAML scalar (see
 * config_keys.c). */
void dp__config_put_quoted(FILE *out, const char *s, size_t len);
/* Writes k's value in cfg as --print-config does (no newline). */
void dp__config_print_value(const dp_config *cfg,
                            const struct dp__config_key *k, FILE *out);

#endif /* DP_CONFIG_KEYS_H */
