/*
 * test_log.c - unit tests for the log line formats of processor/util.c:
 * text (TIME LEVEL [component] message) and json (log.format: json), where
 * every line is one JSON object that parses, whatever the message holds
 * (quotes, backslashes, newlines, bytes that are not UTF-8).
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
#include <jansson.h>

#include "log.h"
#include "processor.h"

/* Runs the logging calls with stderr sent to a file; returns its text. */
static char *capture(void (*fn)(void))
{
    char path[64];
    snprintf(path, sizeof(path), "/tmp/dp-log-%ld.txt", (long)getpid());
    fflush(stderr);
    int saved = dup(fileno(stderr));
    assert_non_null(freopen(path, "w", stderr));
    fn();
    fflush(stderr);
    dup2(saved, fileno(stderr));
    close(saved);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    static char buf[8192];
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    buf[n] = '\0';
    fclose(f);
    unlink(path);
    return buf;
}

static void log_some(void)
{
    dp_log_write(DP_LOG_WARN, "receiver:http", "GET %s: no such route",
                 "/a\"b\\c\n\xff\xc3\xa9");
    dp_log_write(DP_LOG_INFO, "serve", "ready");
}

static void test_log_json_lines_parse(void **state)
{
    (void)state;
    assert_int_equal(dp_log_format_parse("json"), DP_LOG_FORMAT_JSON);
    assert_int_equal(dp_log_format_parse("text"), DP_LOG_FORMAT_TEXT);
    assert_int_equal(dp_log_format_parse("xml"), DP_EINVAL);
    dp_log_set_format(DP_LOG_FORMAT_JSON);
    char *text = capture(log_some);
    dp_log_set_format(DP_LOG_FORMAT_TEXT);
    char *nl = strchr(text, '\n');
    assert_non_null(nl);
    *nl = '\0';
    json_error_t e;
    json_t *o = json_loads(text, 0, &e);
    assert_non_null(o);
    assert_string_equal(json_string_value(json_object_get(o, "level")), "warn");
    assert_string_equal(json_string_value(json_object_get(o, "component")),
                        "receiver:http");
    assert_string_equal(json_string_value(json_object_get(o, "msg")),
                        "GET /a\"b\\c\n\xef\xbf\xbd\xc3\xa9: no such route");
    const char *t = json_string_value(json_object_get(o, "time"));
    assert_int_equal(strlen(t), 24);
    assert_int_equal(t[23], 'Z');
    json_decref(o);
    o = json_loads(nl + 1, JSON_DISABLE_EOF_CHECK, &e);
    assert_non_null(o);
    assert_string_equal(json_string_value(json_object_get(o, "msg")), "ready");
    json_decref(o);
}

static void test_log_text_line(void **state)
{
    (void)state;
    char *text = capture(log_some);
    assert_non_null(strstr(text, " warn  [receiver:http] GET /a\"b"));
    assert_non_null(strstr(text, " info  [serve] ready\n"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_log_json_lines_parse),
        cmocka_unit_test(test_log_text_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
