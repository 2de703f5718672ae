/*
 * config_args.c - a command's configuration from its arguments: --config
 * FILE first (config_yaml.c), then DAGPROF_* variables, then the flags of
 * the key table (config_keys.c), each later source overriding the earlier;
 * arguments that are no flag of the table are kept for the command.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "config_keys.h"
#include "errors.h"

static bool key_selected(const struct dp__config_key *k,
                         const char *const *prefixes)
{
    if (!prefixes)
        return true;
    for (; *prefixes; prefixes++)
        if (strncmp(k->key, *prefixes, strlen(*prefixes)) == 0)
            return true;
    return false;
}

static const struct dp__config_key *find_flag(const char *flag, size_t len,
                                              const char *const *prefixes)
{
    for (size_t i = 0; i < dp__config_n_keys; i++)
        if (dp__config_keys[i].flag && strlen(dp__config_keys[i].flag) == len &&
            strncmp(dp__config_keys[i].flag, flag, len) == 0 &&
            key_selected(&dp__config_keys[i], prefixes))
            return &dp__config_keys[i];
    return NULL;
}

int dp_config_from_args(dp_config *cfg, int argc, char **argv, char *err,
                        size_t err_len)
{
    return dp_config_from_args_only(cfg, argc, argv, NULL, err, err_len);
}

int dp_config_from_args_only(dp_config *cfg, int argc, char **argv,
                             const char *const *prefixes, char *err,
                             size_t err_len)
{
    const char *config_file = NULL;
    /* Pass 1: --config. */
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--config") == 0) {
            if (i + 1 >= argc)
                return dp_errf(err, err_len, DP_EINVAL,
                               "--config needs a file"),
                       -1;
            config_file = argv[++i];
        } else if (strncmp(argv[i], "--config=", 9) == 0) {
            config_file = argv[i] + 9;
        }
    }
    if (config_file && dp_config_load_yaml(cfg, config_file, err, err_len))
        return -1;
    if (dp_config_load_env(cfg, err, err_len))
        return -1;
    /* Pass 2: flags, keeping everything else. */
    int out = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--config") == 0) {
            i++;
            continue;
        }
        if (strncmp(a, "--config=", 9) == 0)
            continue;
        if (strncmp(a, "--", 2) != 0) {
            argv[out++] = argv[i];
            continue;
        }
        const char *name = a + 2, *eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        const struct dp__config_key *k = find_flag(name, len, prefixes);
        if (!k) {
            argv[out++] = argv[i];
            continue;
        }
        const char *value;
        if (eq) {
            value = eq + 1;
        } else {
            if (i + 1 >= argc) {
                char form[160];
                return dp_errf(err, err_len, DP_EINVAL,
                               "--%s needs a value (%s)", k->flag,
                               dp__config_expected_form(k, form, sizeof(form))),
                       -1;
            }
            value = argv[++i];
        }
        if (dp__config_set_value(cfg, k, value, k->key, err, err_len)) {
            char msg[512];
            snprintf(msg, sizeof(msg), "%s (from --%s)", err, k->flag);
            snprintf(err, err_len, "%s", msg);
            return -1;
        }
    }
    return out;
}
