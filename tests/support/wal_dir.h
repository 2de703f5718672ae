/*
 * wal_dir.h - a temporary directory for a write-ahead log under test
 * (test_wal.c, test_pipeline_wal.c): made fresh under /tmp, its files
 * counted, removed with what is in it; and the bounded wait both use for
 * the log's writer thread (its idle round is 200 ms).
 *
 * Everything is static inline (each test is its own executable).
 */
#ifndef DP_TEST_WAL_DIR_H
#define DP_TEST_WAL_DIR_H

#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

/* Makes /tmp/dp-test-<name>.XXXXXX into dir (64 bytes at least). */
static inline void dp_wal_dir_make(char *dir, const char *name)
{
    snprintf(dir, 64, "/tmp/dp-test-%s.XXXXXX", name);
    assert_non_null(mkdtemp(dir));
}

/* Files in dir (names not starting with '.'); 0 when it is gone. */
static inline size_t dp_wal_dir_count(const char *dir)
{
    DIR *d = opendir(dir);
    size_t n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)))
        if (e->d_name[0] != '.')
            n++;
    if (d)
        closedir(d);
    return n;
}

/* Removes the files in dir, then dir. */
static inline void dp_wal_dir_remove(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char p[512];
        snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
        unlink(p);
    }
    closedir(d);
    rmdir(dir);
}

static inline void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Polls cond every 10 ms for up to 3 s, then asserts it. */
#define WAIT_UNTIL(cond)                                                       \
    do {                                                                       \
        for (int i_ = 0; i_ < 300 && !(cond); i_++)                            \
            sleep_ms(10);                                                      \
        assert_true(cond);                                                     \
    } while (0)

#endif /* DP_TEST_WAL_DIR_H */
