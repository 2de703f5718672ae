/*
 * config_text.h - loads a configuration given as YAML text the way
 * `dagprof serve --config` reads a file, for the configuration tests
 * (test_config_sections.c, test_exporters_config.c): the text goes to
 * test.yaml in a fresh directory under /tmp, dp_config_load_yaml() reads
 * it, and the file and directory are removed.
 *
 * Everything is static inline (each test is its own executable). Include
 * after <cmocka.h>.
 */
#ifndef DP_TEST_CONFIG_TEXT_H
#define DP_TEST_CONFIG_TEXT_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "config.h"

/* Initialises *c and loads text into it; err gets the message (empty on
 * success). Returns dp_config_load_yaml()'s code. The caller finishes *c
 * with dp_config_fini() whatever the result. */
static inline int dp_test_config_load_text(dp_config *c, const char *text,
                                           char *err, size_t err_len)
{
    char dir[] = "/tmp/dp-config-XXXXXX", path[64];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/test.yaml", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    dp_config_init(c);
    if (err_len)
        err[0] = '\0';
    int rc = dp_config_load_yaml(c, path, err, err_len);
    unlink(path);
    rmdir(dir);
    return rc;
}

#endif /* DP_TEST_CONFIG_TEXT_H */
