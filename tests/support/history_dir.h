/*
 * history_dir.h - a fresh directory for a history database under test
 * (test_history.c, test_history_write.c, test_history_throughput.c,
 * test_regalert.c): made under /tmp by each case's setup, the database
 * path inside it, and removed with what is in it by the teardown, so no
 * case sees another's runs.
 *
 * Everything is static inline (each test is its own executable). Include
 * after <cmocka.h>.
 */
#ifndef DP_TEST_HISTORY_DIR_H
#define DP_TEST_HISTORY_DIR_H

#include <stdio.h>
#include <stdlib.h>

/* Makes /tmp/dp_test_<name>_XXXXXX into dir (64 bytes) and writes the
 * database path <dir>/h.db into path (128 bytes). */
static inline void dp_history_dir_make(char *dir, char *path, const char *name)
{
    snprintf(dir, 64, "/tmp/dp_test_%s_XXXXXX", name);
    assert_non_null(mkdtemp(dir));
    snprintf(path, 128, "%s/h.db", dir);
}

/* Removes dir and everything in it. */
static inline void dp_history_dir_remove(const char *dir)
{
    char cmd[200];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

#endif /* DP_TEST_HISTORY_DIR_H */
