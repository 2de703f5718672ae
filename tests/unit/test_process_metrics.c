/*
 * test_process_metrics.c - unit tests for exporter/process_metrics.c: the
 * build_info series and the process_* families, each with HELP and TYPE,
 * with values this test process can check (RSS, descriptors it opens,
 * start time before now).
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "buf.h"
#include "process_metrics.h"

/* The value of the sample line `name <value>` in text. */
static double sample(const char *text, const char *name)
{
    char key[128];
    snprintf(key, sizeof(key), "\n%s ", name);
    const char *p = strstr(text, key);
    assert_non_null(p);
    return strtod(p + strlen(key), NULL);
}

static void test_process_metrics_families_and_values(void **state)
{
    (void)state;
    dp_buf b;
    dp_buf_init(&b);
    assert_int_equal(dp_process_metrics_render(&b, "9.9.9"), 0);
    const char *t = b.data;
    assert_non_null(strstr(t, "# TYPE dagprof_build_info gauge\n"));
    assert_non_null(strstr(t, "dagprof_build_info{version=\"9.9.9\","));
    const char *families[] = {"process_cpu_seconds_total counter",
                              "process_resident_memory_bytes gauge",
                              "process_virtual_memory_bytes gauge",
                              "process_threads gauge",
                              "process_start_time_seconds gauge",
                              "process_open_fds gauge",
                              "process_max_fds gauge"};
    for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++) {
        char want[96];
        snprintf(want, sizeof(want), "# TYPE %s\n", families[i]);
        assert_non_null(strstr(t, want));
    }
    assert_true(sample(t, "process_resident_memory_bytes") > 1 << 20);
    assert_true(sample(t, "process_threads") >= 1);
    assert_true(sample(t, "process_cpu_seconds_total") >= 0);
    double start = sample(t, "process_start_time_seconds");
    assert_true(start > 1.6e9 && start <= (double)time(NULL) + 1);
    double fds = sample(t, "process_open_fds");
    assert_true(fds >= 3);
    dp_buf_fini(&b);

    /* Ten more descriptors show up at the next render. */
    int opened[10];
    for (int i = 0; i < 10; i++)
        opened[i] = open("/dev/null", O_RDONLY);
    dp_buf_init(&b);
    assert_int_equal(dp_process_metrics_render(&b, "9.9.9"), 0);
    assert_true(sample(b.data, "process_open_fds") == fds + 10);
    dp_buf_fini(&b);
    for (int i = 0; i < 10; i++)
        close(opened[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_process_metrics_families_and_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
