/*
 * test_auth.c - unit tests for receiver/auth.c: the bearer tokens file
 * (comments, blanks, CRLF, bad tokens), the Authorization check (scheme,
 * exact token, no prefix or extension matches) and reloading (a bad file
 * keeps the old tokens, a good one replaces them).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "auth.h"
#include "processor.h"

static char path[64];

static void write_file(const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static int setup(void **state)
{
    (void)state;
    snprintf(path, sizeof(path), "/tmp/dp-auth-%ld.txt", (long)getpid());
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    unlink(path);
    return 0;
}

static bool check(dp_auth *a, const char *v)
{
    return dp_auth_check(a, v, strlen(v));
}

static void test_auth_file_comments_blanks_crlf(void **state)
{
    (void)state;
    char err[256];
    write_file("# tokens\n\n  alpha-1  \r\nbeta_2\r\n\t# gamma\n");
    dp_auth *a = dp_auth_create(path, err, sizeof(err));
    assert_non_null(a);
    assert_int_equal(dp_auth_count(a), 2);
    assert_true(check(a, "Bearer alpha-1"));
    assert_true(check(a, "Bearer beta_2"));
    assert_false(check(a, "Bearer gamma"));
    assert_false(check(a, "Bearer # gamma"));
    dp_auth_destroy(a);
}

static void test_auth_check_exact_token_and_scheme(void **state)
{
    (void)state;
    char err[256];
    write_file("s3cret\n");
    dp_auth *a = dp_auth_create(path, err, sizeof(err));
    assert_non_null(a);
    assert_true(check(a, "Bearer s3cret"));
    assert_true(check(a, "bearer s3cret"));
    assert_true(check(a, "BEARER   s3cret  "));
    assert_false(check(a, "Bearer s3cre"));   /* a prefix */
    assert_false(check(a, "Bearer s3crett")); /* an extension */
    assert_false(check(a, "Bearer S3CRET"));  /* tokens are exact */
    assert_false(check(a, "Basic s3cret"));
    assert_false(check(a, "Bearers3cret"));
    assert_false(check(a, "s3cret"));
    assert_false(check(a, "Bearer "));
    assert_false(check(a, ""));
    assert_false(dp_auth_check(a, NULL, 0));
    /* A NUL inside the value is part of it, not an end. */
    assert_false(dp_auth_check(a, "Bearer s3cret\0x", 15));
    /* No auth configured accepts everything. */
    assert_true(dp_auth_check(NULL, "", 0));
    dp_auth_destroy(a);
}

static void test_auth_file_errors_name_file_and_line(void **state)
{
    (void)state;
    char err[256];
    write_file("# only comments\n\n");
    assert_null(dp_auth_create(path, err, sizeof(err)));
    assert_non_null(strstr(err, "no token"));
    assert_non_null(strstr(err, path));
    write_file("good\nbad token\n");
    assert_null(dp_auth_create(path, err, sizeof(err)));
    assert_non_null(strstr(err, ":2:"));
    char longtok[DP_AUTH_MAX_TOKEN + 3];
    memset(longtok, 'x', DP_AUTH_MAX_TOKEN + 1);
    longtok[DP_AUTH_MAX_TOKEN + 1] = '\n';
    longtok[DP_AUTH_MAX_TOKEN + 2] = '\0';
    write_file(longtok);
    assert_null(dp_auth_create(path, err, sizeof(err)));
    assert_non_null(strstr(err, "longer than"));
    assert_null(dp_auth_create("/nonexistent/tokens", err, sizeof(err)));
    assert_non_null(strstr(err, "/nonexistent/tokens"));
}

static void test_auth_reload_replaces_or_keeps(void **state)
{
    (void)state;
    char err[256];
    write_file("old\n");
    dp_auth *a = dp_auth_create(path, err, sizeof(err));
    assert_non_null(a);
    write_file("new-1\nnew-2\n");
    assert_int_equal(dp_auth_reload(a, err, sizeof(err)), 0);
    assert_int_equal(dp_auth_count(a), 2);
    assert_false(check(a, "Bearer old"));
    assert_true(check(a, "Bearer new-2"));
    write_file("\n"); /* no token: refused, the old set stays */
    assert_true(dp_auth_reload(a, err, sizeof(err)) < 0);
    assert_true(check(a, "Bearer new-1"));
    unlink(path);
    assert_true(dp_auth_reload(a, err, sizeof(err)) < 0);
    assert_true(check(a, "Bearer new-1"));
    dp_auth_destroy(a);
    dp_auth_destroy(NULL);
}

static void test_auth_parse_counts_without_nul(void **state)
{
    (void)state;
    char err[128];
    unsigned char(*d)[32] = NULL;
    const char text[] = "a\nb\nc"; /* no final newline */
    assert_int_equal(dp_auth_parse(text, 5, "t", &d, err, sizeof(err)), 3);
    free(d);
    assert_int_equal(dp_auth_parse(text, 1, "t", &d, err, sizeof(err)), 1);
    free(d);
    assert_true(dp_auth_parse("", 0, "t", &d, err, sizeof(err)) < 0);
    assert_null(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_auth_file_comments_blanks_crlf,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_auth_check_exact_token_and_scheme,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_auth_file_errors_name_file_and_line, setup, teardown),
        cmocka_unit_test_setup_teardown(test_auth_reload_replaces_or_keeps,
                                        setup, teardown),
        cmocka_unit_test(test_auth_parse_counts_without_nul),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
