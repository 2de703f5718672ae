/*
 * test_tls.c - unit tests for receiver/tls.c: the key combinations, PEM
 * reading, and the OpenSSL server context (a matching key, a key of
 * another certificate, a client CA, reload keeping the current context
 * when the new files are bad). Certificates are made at test time with
 * the openssl command in a temporary directory.
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
#include <openssl/ssl.h>

#include "processor.h"
#include "tls.h"

static char dir[64];

static const char *file(const char *name)
{
    static char buf[4][128];
    static int i;
    i = (i + 1) % 4;
    snprintf(buf[i], sizeof(buf[i]), "%s/%s", dir, name);
    return buf[i];
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/dp-tls-XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    char cmd[1024];
    snprintf(cmd, sizeof(cmd),
             "(cd %s && "
             "openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key "
             "-out ca.pem -days 2 -subj /CN=dp-test-ca && "
             "openssl req -x509 -newkey rsa:2048 -nodes -keyout a.key "
             "-out a.pem -days 2 -subj /CN=a && "
             "openssl req -x509 -newkey rsa:2048 -nodes -keyout b.key "
             "-out b.pem -days 2 -subj /CN=b && "
             "echo 'not a pem' > junk.txt) >/dev/null 2>&1",
             dir);
    return system(cmd) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void test_tls_files_check_combinations(void **state)
{
    (void)state;
    char err[256];
    dp_tls_files off = {NULL, "", NULL};
    assert_false(dp_tls_files_on(&off));
    assert_int_equal(dp_tls_files_check(&off, "p", err, sizeof(err)), 0);
    dp_tls_files no_key = {"c.pem", "", NULL};
    assert_int_equal(dp_tls_files_check(&no_key, "p", err, sizeof(err)),
                     DP_EINVAL);
    assert_string_equal(err, "p.cert_file is set but p.key_file is not");
    dp_tls_files no_cert = {"", "k.pem", NULL};
    assert_int_equal(dp_tls_files_check(&no_cert, "p", err, sizeof(err)),
                     DP_EINVAL);
    assert_string_equal(err, "p.key_file is set but p.cert_file is not");
    dp_tls_files ca_only = {NULL, NULL, "ca.pem"};
    assert_int_equal(dp_tls_files_check(&ca_only, "p", err, sizeof(err)),
                     DP_EINVAL);
    assert_non_null(strstr(err, "p.client_ca_file needs p.cert_file"));
    dp_tls_files full = {"c", "k", "ca"};
    assert_true(dp_tls_files_on(&full));
    assert_int_equal(dp_tls_files_check(&full, "p", err, sizeof(err)), 0);
}

static void test_tls_pem_read_names_bad_file(void **state)
{
    (void)state;
    char err[256];
    dp_tls_pem pem;
    dp_tls_files good = {file("a.pem"), file("a.key"), file("ca.pem")};
    assert_int_equal(dp_tls_pem_read(&good, &pem, err, sizeof(err)), 0);
    assert_non_null(strstr(pem.cert, "-----BEGIN CERTIFICATE-----"));
    assert_non_null(strstr(pem.key, "PRIVATE KEY-----"));
    assert_non_null(pem.client_ca);
    dp_tls_pem_fini(&pem);
    dp_tls_pem_fini(&pem); /* zeroed: harmless */
    dp_tls_files junk = {file("a.pem"), file("junk.txt"), NULL};
    assert_int_equal(dp_tls_pem_read(&junk, &pem, err, sizeof(err)), DP_EIO);
    assert_non_null(strstr(err, "junk.txt: not PEM"));
    assert_null(pem.cert);
    dp_tls_files missing = {file("nope.pem"), file("a.key"), NULL};
    assert_int_equal(dp_tls_pem_read(&missing, &pem, err, sizeof(err)), DP_EIO);
    assert_non_null(strstr(err, "nope.pem: cannot open"));
}

static void test_tls_server_key_must_match(void **state)
{
    (void)state;
    char err[512];
    dp_tls_files ok = {file("a.pem"), file("a.key"), NULL};
    dp_tls_server *t = dp_tls_server_create(&ok, err, sizeof(err));
    assert_non_null(t);
    assert_false(dp_tls_server_mutual(t));
    SSL *ssl = dp_tls_server_new_ssl(t);
    assert_non_null(ssl);
    SSL_free(ssl);
    dp_tls_server_destroy(t);

    dp_tls_files wrong = {file("a.pem"), file("b.key"), NULL};
    assert_null(dp_tls_server_create(&wrong, err, sizeof(err)));
    assert_non_null(strstr(err, "b.key"));
    dp_tls_files junk = {file("junk.txt"), file("a.key"), NULL};
    assert_null(dp_tls_server_create(&junk, err, sizeof(err)));
    assert_non_null(strstr(err, "certificate"));
    assert_non_null(strstr(err, "junk.txt"));
    dp_tls_files bad_ca = {file("a.pem"), file("a.key"), file("junk.txt")};
    assert_null(dp_tls_server_create(&bad_ca, err, sizeof(err)));
    assert_non_null(strstr(err, "client CA"));
    dp_tls_server_destroy(NULL);
}

static void test_tls_server_reload_keeps_current_on_failure(void **state)
{
    (void)state;
    char err[512], cmd[512];
    snprintf(cmd, sizeof(cmd), "cp %s/a.pem %s/r.pem && cp %s/a.key %s/r.key",
             dir, dir, dir, dir);
    assert_int_equal(system(cmd), 0);
    dp_tls_files f = {file("r.pem"), file("r.key"), file("ca.pem")};
    dp_tls_server *t = dp_tls_server_create(&f, err, sizeof(err));
    assert_non_null(t);
    assert_true(dp_tls_server_mutual(t));
    SSL *before = dp_tls_server_new_ssl(t);
    /* A certificate whose key is not there yet (a half-done rotation). */
    snprintf(cmd, sizeof(cmd), "cp %s/b.pem %s/r.pem", dir, dir);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(dp_tls_server_reload(t, err, sizeof(err)), DP_EIO);
    SSL *still = dp_tls_server_new_ssl(t);
    assert_ptr_equal(SSL_get_SSL_CTX(still), SSL_get_SSL_CTX(before));
    /* The rotation completed. */
    snprintf(cmd, sizeof(cmd), "cp %s/b.key %s/r.key", dir, dir);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(dp_tls_server_reload(t, err, sizeof(err)), 0);
    SSL *after = dp_tls_server_new_ssl(t);
    assert_ptr_not_equal(SSL_get_SSL_CTX(after), SSL_get_SSL_CTX(before));
    X509 *leaf = SSL_get_certificate(after);
    char cn[64];
    X509_NAME_get_text_by_NID(X509_get_subject_name(leaf), NID_commonName, cn,
                              sizeof(cn));
    assert_string_equal(cn, "b");
    dp_tls_server_destroy(t);
    /* Objects made before stay usable after the server is gone. */
    assert_non_null(SSL_get_certificate(before));
    SSL_free(before);
    SSL_free(still);
    SSL_free(after);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tls_files_check_combinations),
        cmocka_unit_test(test_tls_pem_read_names_bad_file),
        cmocka_unit_test(test_tls_server_key_must_match),
        cmocka_unit_test(test_tls_server_reload_keeps_current_on_failure),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
