/*
 * test_jsonl.c - unit tests for exporter/jsonl.c: lines written whole to a
 * file (appending to what is there), size-based rotation with max_files
 * kept (file contents checked after each rotation), a line larger than
 * max_size, max_files 0, a bad path at start-up, a symbolic link at the
 * path refused at start-up and never followed at rotation, the created file's
 * mode, and the exporter behind the pipeline with its shutdown flush.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "exporters.h"

static char dir[64];

static int setup(void **state)
{
    (void)state;
    strcpy(dir, "/tmp/dp-test-jsonl.XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static char *path_of(const char *name)
{
    static char p[4][128];
    static int k;
    k = (k + 1) % 4;
    snprintf(p[k], sizeof(p[k]), "%s/%s", dir, name);
    return p[k];
}

/* The whole file as a string ("" when absent is NOT allowed: NULL). */
static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    static char buf[4][4096];
    static int k;
    k = (k + 1) % 4;
    size_t n = fread(buf[k], 1, sizeof(buf[k]) - 1, f);
    buf[k][n] = '\0';
    fclose(f);
    return buf[k];
}

static void export_line(const dp_exporter_ops *ops, void *ctx, const char *json)
{
    dp_record r;
    memset(&r, 0, sizeof(r));
    r.kind = DP_RECORD_PROFILE;
    r.json = (char *)json;
    r.json_len = strlen(json);
    assert_int_equal(ops->export(ctx, &r), DP_EXPORTER_OK);
}

/* A 39-byte JSON object (a 40-byte line) numbered n. */
static const char *obj39(int n)
{
    static char s[8][64];
    static int k;
    k = (k + 1) % 8;
    snprintf(s[k], sizeof(s[k]), "{\"n\":%d,\"pad\":\"%0*d\"}", n, 39 - 16, 0);
    assert_int_equal(strlen(s[k]), 39);
    return s[k];
}

static void test_jsonl_writes_whole_lines_and_appends(void **state)
{
    (void)state;
    char err[256];
    char p[128];
    strcpy(p, path_of("a.jsonl"));
    FILE *f = fopen(p, "w");
    fputs("{\"old\":1}\n", f);
    fclose(f);
    dp_jsonl_config c = {.path = p};
    void *j = dp_jsonl_create(&c, err, sizeof(err));
    assert_non_null(j);
    export_line(&dp_jsonl_ops, j, "{\"a\":1}");
    export_line(&dp_jsonl_ops, j, "{\"b\":\"x\"}");
    dp_jsonl_ops.flush(j);
    assert_string_equal(slurp(p), "{\"old\":1}\n{\"a\":1}\n{\"b\":\"x\"}\n");
    dp_jsonl_ops.destroy(j);
}

/* Missing folders above the path are created (0700): a data folder works
 * on a fresh checkout. */
static void test_jsonl_creates_parent_folders(void **state)
{
    (void)state;
    char err[256], p[400], d1[160], d2[200];
    strcpy(d1, path_of("data"));
    snprintf(d2, sizeof(d2), "%s/sub", d1);
    snprintf(p, sizeof(p), "%s/p.jsonl", d2);
    dp_jsonl_config c = {.path = p};
    void *j = dp_jsonl_create(&c, err, sizeof(err));
    if (!j)
        fail_msg("%s", err);
    export_line(&dp_jsonl_ops, j, "{\"a\":1}");
    dp_jsonl_ops.flush(j);
    assert_string_equal(slurp(p), "{\"a\":1}\n");
    struct stat st;
    assert_int_equal(stat(d2, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    dp_jsonl_ops.destroy(j);
    unlink(p);
    rmdir(d2);
    rmdir(d1);
}

static void test_jsonl_rotates_by_size(void **state)
{
    (void)state;
    char err[256], want[512];
    char p[128];
    strcpy(p, path_of("r.jsonl"));
    dp_jsonl_config c = {.path = p, .max_size = 100, .max_files = 2};
    void *j = dp_jsonl_create(&c, err, sizeof(err));
    assert_non_null(j);
    export_line(&dp_jsonl_ops, j, obj39(1));
    export_line(&dp_jsonl_ops, j, obj39(2)); /* 80 bytes */
    assert_null(slurp(path_of("r.jsonl.1")));
    export_line(&dp_jsonl_ops, j, obj39(3)); /* 120 > 100: rotate first */
    snprintf(want, sizeof(want), "%s\n%s\n", obj39(1), obj39(2));
    assert_string_equal(slurp(path_of("r.jsonl.1")), want);
    snprintf(want, sizeof(want), "%s\n", obj39(3));
    assert_string_equal(slurp(p), want);
    for (int n = 4; n <= 7; n++)
        export_line(&dp_jsonl_ops, j, obj39(n));
    /* 1,2 rotated out for good; .2 holds 3,4; .1 holds 5,6; current 7. */
    snprintf(want, sizeof(want), "%s\n%s\n", obj39(3), obj39(4));
    assert_string_equal(slurp(path_of("r.jsonl.2")), want);
    snprintf(want, sizeof(want), "%s\n%s\n", obj39(5), obj39(6));
    assert_string_equal(slurp(path_of("r.jsonl.1")), want);
    snprintf(want, sizeof(want), "%s\n", obj39(7));
    assert_string_equal(slurp(p), want);
    assert_null(slurp(path_of("r.jsonl.3")));
    dp_jsonl_ops.destroy(j);
}

static void test_jsonl_rotation_keeps_no_files_when_max_files_zero(void **state)
{
    (void)state;
    char err[256], want[256];
    char p[128];
    strcpy(p, path_of("z.jsonl"));
    dp_jsonl_config c = {.path = p, .max_size = 80, .max_files = 0};
    void *j = dp_jsonl_create(&c, err, sizeof(err));
    assert_non_null(j);
    for (int n = 1; n <= 3; n++)
        export_line(&dp_jsonl_ops, j, obj39(n));
    snprintf(want, sizeof(want), "%s\n", obj39(3));
    assert_string_equal(slurp(p), want);
    assert_null(slurp(path_of("z.jsonl.1")));
    dp_jsonl_ops.destroy(j);
}

static void test_jsonl_line_larger_than_max_size(void **state)
{
    (void)state;
    char err[256], want[256];
    char p[128];
    strcpy(p, path_of("big.jsonl"));
    dp_jsonl_config c = {.path = p, .max_size = 10, .max_files = 1};
    void *j = dp_jsonl_create(&c, err, sizeof(err));
    assert_non_null(j);
    /* An empty file takes any line whole rather than rotating forever. */
    export_line(&dp_jsonl_ops, j, obj39(1));
    export_line(&dp_jsonl_ops, j, obj39(2));
    snprintf(want, sizeof(want), "%s\n", obj39(1));
    assert_string_equal(slurp(path_of("big.jsonl.1")), want);
    snprintf(want, sizeof(want), "%s\n", obj39(2));
    assert_string_equal(slurp(p), want);
    dp_jsonl_ops.destroy(j);
}

static void test_jsonl_bad_path_fails_at_create(void **state)
{
    (void)state;
    char err[256] = "";
    dp_jsonl_config c = {.path = "/proc/nonexistent-dir-dagprof/x.jsonl"};
    assert_null(dp_jsonl_create(&c, err, sizeof(err)));
    assert_non_null(strstr(err, "/proc/nonexistent-dir-dagprof/x.jsonl"));
    assert_non_null(strstr(err, "No such file"));
}

static mode_t mode_of(const char *path)
{
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    return st.st_mode & 07777;
}

/* A symbolic link at the path is refused at start-up, whether it points
 * to an existing file (which must stay untouched) or nowhere (which must
 * not be created), with a message that says why. */
static void test_jsonl_symlink_refused_at_create(void **state)
{
    (void)state;
    char err[512] = "", target[128], link_path[128], dangling[128];
    strcpy(target, path_of("target.jsonl"));
    strcpy(link_path, path_of("link.jsonl"));
    strcpy(dangling, path_of("dangling.jsonl"));
    FILE *f = fopen(target, "w");
    fputs("keep\n", f);
    fclose(f);
    assert_int_equal(symlink(target, link_path), 0);
    assert_int_equal(symlink(path_of("created-through-link"), dangling), 0);
    const char *links[] = {link_path, dangling};
    for (int i = 0; i < 2; i++) {
        dp_jsonl_config c = {.path = links[i]};
        err[0] = '\0';
        assert_null(dp_jsonl_create(&c, err, sizeof(err)));
        assert_non_null(strstr(err, links[i]));
        assert_non_null(strstr(err, "symbolic link"));
    }
    assert_string_equal(slurp(target), "keep\n");
    assert_null(slurp(path_of("created-through-link")));
}

/* Rotation never writes through a link: links planted at the path and at
 * the rotated name are renamed or removed as links, and the new file is a
 * fresh regular file (opened with O_NOFOLLOW like at start-up). */
static void test_jsonl_rotation_never_follows_links(void **state)
{
    (void)state;
    char err[256], p[128], p1[128], victim[128];
    strcpy(p, path_of("rot.jsonl"));
    strcpy(p1, path_of("rot.jsonl.1"));
    strcpy(victim, path_of("victim"));
    dp_jsonl_config c = {.path = p, .max_size = 50, .max_files = 1};
    void *j = dp_jsonl_create(&c, err, sizeof(err));
    assert_non_null(j);
    export_line(&dp_jsonl_ops, j, obj39(1));
    FILE *f = fopen(victim, "w");
    fputs("victim\n", f);
    fclose(f);
    assert_int_equal(symlink(victim, p1), 0);
    assert_int_equal(rename(p, path_of("rot.jsonl.moved")), 0);
    assert_int_equal(symlink(victim, p), 0);
    /* 40 + 40 > 50: rotate (p.1 and p are links), reopen p. */
    export_line(&dp_jsonl_ops, j, obj39(2));
    assert_string_equal(slurp(victim), "victim\n");
    struct stat st;
    assert_int_equal(lstat(p, &st), 0);
    assert_true(S_ISREG(st.st_mode));
    char want[64];
    snprintf(want, sizeof(want), "%s\n", obj39(2));
    assert_string_equal(slurp(p), want);
    dp_jsonl_ops.destroy(j);
}

/* A created file gets mode 0600 by default, or the configured mode (less
 * the umask), also after rotation; an existing file keeps its own. */
static void test_jsonl_file_mode(void **state)
{
    (void)state;
    char err[256], p[128];
    mode_t old = umask(022);
    strcpy(p, path_of("m.jsonl"));
    dp_jsonl_config c = {.path = p, .max_size = 50, .max_files = 1};
    void *j = dp_jsonl_create(&c, err, sizeof(err));
    assert_non_null(j);
    assert_int_equal(mode_of(p), 0600);
    export_line(&dp_jsonl_ops, j, obj39(1));
    export_line(&dp_jsonl_ops, j, obj39(2)); /* rotates */
    assert_int_equal(mode_of(p), 0600);
    assert_int_equal(mode_of(path_of("m.jsonl.1")), 0600);
    dp_jsonl_ops.destroy(j);

    strcpy(p, path_of("m640.jsonl"));
    c = (dp_jsonl_config){.path = p, .mode = 0664};
    j = dp_jsonl_create(&c, err, sizeof(err));
    assert_non_null(j);
    assert_int_equal(mode_of(p), 0644); /* 0664 less the umask 022 */
    dp_jsonl_ops.destroy(j);

    strcpy(p, path_of("existing.jsonl"));
    FILE *f = fopen(p, "w");
    fclose(f);
    assert_int_equal(chmod(p, 0640), 0);
    c = (dp_jsonl_config){.path = p};
    j = dp_jsonl_create(&c, err, sizeof(err));
    assert_non_null(j);
    assert_int_equal(mode_of(p), 0640);
    dp_jsonl_ops.destroy(j);
    umask(old);
}

static void test_jsonl_through_pipeline_flushes_on_shutdown(void **state)
{
    (void)state;
    char err[256], want[64] = "";
    char p[128];
    strcpy(p, path_of("pipe.jsonl"));
    dp_jsonl_config c = {.path = p};
    void *j = dp_jsonl_create(&c, err, sizeof(err));
    assert_non_null(j);
    dp_exporters *e = dp_exporters_create();
    assert_int_equal(dp_exporters_add(e, &dp_jsonl_profile_ops, j, NULL, NULL),
                     0);
    assert_int_equal(dp_exporters_start(e), 0);
    for (int i = 0; i < 5; i++) {
        dp_record *r = calloc(1, sizeof(*r));
        atomic_init(&r->refs, 1);
        r->kind = i == 2 ? DP_RECORD_ALERT : DP_RECORD_PROFILE;
        r->json = malloc(8);
        snprintf(r->json, 8, "%d", i);
        r->json_len = 1;
        assert_int_equal(dp_exporters_submit(e, r), i == 2 ? 0 : 1);
        dp_record_unref(r);
    }
    dp_exporters_shutdown(e, 2000000000ULL);
    strcpy(want, "0\n1\n3\n4\n"); /* the alert was not for this exporter */
    assert_string_equal(slurp(p), want);
    dp_exporter_stats s;
    dp_exporters_stats_get(e, 0, &s);
    assert_string_equal(s.name, "jsonl");
    assert_int_equal(s.exported, 4);
    dp_exporters_destroy(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_jsonl_writes_whole_lines_and_appends),
        cmocka_unit_test(test_jsonl_rotates_by_size),
        cmocka_unit_test(
            test_jsonl_rotation_keeps_no_files_when_max_files_zero),
        cmocka_unit_test(test_jsonl_line_larger_than_max_size),
        cmocka_unit_test(test_jsonl_bad_path_fails_at_create),
        cmocka_unit_test(test_jsonl_symlink_refused_at_create),
        cmocka_unit_test(test_jsonl_rotation_never_follows_links),
        cmocka_unit_test(test_jsonl_file_mode),
        cmocka_unit_test(test_jsonl_creates_parent_folders),
        cmocka_unit_test(test_jsonl_through_pipeline_flushes_on_shutdown),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
