/*
 * test_sha256.c - unit tests for exporter/sha256.c: the NIST FIPS 180-4
 * example vectors (empty, "abc", the 448- and 896-bit messages, one
 * million 'a'), incremental updates across block boundaries, base64 of
 * RFC 4648's test strings and the CSP source form.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sha256.h"

static void hex(const uint8_t d[DP_SHA256_LEN], char out[65])
{
    for (int i = 0; i < DP_SHA256_LEN; i++)
        snprintf(out + 2 * i, 3, "%02x", d[i]);
}

static void check(const char *msg, size_t n, const char *want)
{
    uint8_t d[DP_SHA256_LEN];
    char h[65];
    dp_sha256(msg, n, d);
    hex(d, h);
    assert_string_equal(h, want);
}

static void test_sha256_nist_vectors(void **state)
{
    (void)state;
    check("", 0,
          "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    check("abc", 3,
          "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const char *m448 =
        "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    check(m448, strlen(m448),
          "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    const char *m896 =
        "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
        "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";
    check(m896, strlen(m896),
          "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}

static void test_sha256_million_a_incremental(void **state)
{
    (void)state;
    char chunk[1000];
    dp_sha256_ctx c;
    uint8_t d[DP_SHA256_LEN];
    char h[65];
    memset(chunk, 'a', sizeof(chunk));
    dp_sha256_init(&c);
    /* Uneven pieces so updates straddle the 64-byte blocks. */
    size_t left = 1000000, step = 1;
    while (left > 0) {
        size_t take = step < left ? step : left;
        if (take > sizeof(chunk))
            take = sizeof(chunk);
        dp_sha256_update(&c, chunk, take);
        left -= take;
        step = step % 997 + 13;
    }
    dp_sha256_final(&c, d);
    hex(d, h);
    assert_string_equal(
        h, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

static void test_sha256_padding_edges(void **state)
{
    (void)state;
    /* 55, 56 and 64 bytes: the length fits, just does not, one block. */
    char buf[64];
    memset(buf, 'a', sizeof(buf));
    check(buf, 55,
          "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318");
    check(buf, 56,
          "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a");
    check(buf, 64,
          "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb");
}

static void test_base64_rfc4648(void **state)
{
    (void)state;
    static const char *in[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    static const char *out[] = {"",         "Zg==",     "Zm8=",    "Zm9v",
                                "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
    char b[16];
    for (size_t i = 0; i < 7; i++) {
        size_t n = dp_base64((const uint8_t *)in[i], strlen(in[i]), b);
        assert_string_equal(b, out[i]);
        assert_int_equal(n, strlen(out[i]));
    }
}

static void test_sha256_csp_source(void **state)
{
    (void)state;
    char src[DP_SHA256_B64_LEN + 16];
    /* sha256("abc") in base64. */
    dp_sha256_csp_source("abc", 3, src, sizeof(src));
    assert_string_equal(
        src, "'sha256-ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0='");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sha256_nist_vectors),
        cmocka_unit_test(test_sha256_million_a_incremental),
        cmocka_unit_test(test_sha256_padding_edges),
        cmocka_unit_test(test_base64_rfc4648),
        cmocka_unit_test(test_sha256_csp_source),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
