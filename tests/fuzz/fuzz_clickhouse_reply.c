/*
 * fuzz_clickhouse_reply.c - libFuzzer target for the reader of ClickHouse
 * replies (history/clickhouse.c): dp__ch_each_row over a JSONEachRow body
 * and dp__ch_decode_run / dp__ch_i64 on every row it accepts. The input is
 * the reply body as the server would send it.
 *
 * Checks: each_row returns 0 or DP_EINVAL and calls back only with JSON
 * objects; every accepted row decodes with a non-NULL dag_id, and a row's
 * string fields are NULL or NUL-terminated strings; the second input byte
 * and after, fed as a URL, parses or fails with a message naming it.
 * The same bytes as a RowBinary regressions reply
 * (dp__ch_regress_rows, clickhouse_stats.c): 0 or DP_EINVAL, the samples
 * counted alone the same as those fed, and the rows computed.
 * Seeds: tests/data/fuzz/corpus/fuzz_clickhouse_reply.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "clickhouse.h"
#include "history_stats.h"

static int on_row(void *user, void *obj)
{
    dp_history_run r;
    (void)user;
    if (!json_is_object((json_t *)obj))
        abort();
    if (dp__ch_decode_run(obj, &r) != 0 || !r.dag_id)
        abort();
    const char *s[] = {r.trace_id,           r.version,
                       r.session_id,         r.service_name,
                       r.incomplete_reason,  r.top_bottleneck,
                       r.top_bottleneck_node};
    size_t total = 0;
    for (size_t i = 0; i < sizeof(s) / sizeof(s[0]); i++)
        total += s[i] ? strlen(s[i]) : 0;
    (void)total;
    (void)dp__ch_i64(obj, "n");
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int rc = dp__ch_each_row((const char *)data, size, on_row, NULL);
    if (rc != 0 && rc != DP_EINVAL)
        abort();
    uint64_t counted = 0;
    int rb = dp__ch_regress_rows((const char *)data, size, NULL, &counted);
    if (rb != 0 && rb != DP_EINVAL)
        abort();
    dp_regress *g = dp_regress_create();
    if (g) {
        int fed = dp__ch_regress_rows((const char *)data, size, g, NULL);
        if (fed != rb && fed != DP_ENOMEM)
            abort();
        const dp_regress_row *rows;
        dp_regress_config c;
        dp_regress_config_init(&c);
        if (fed == 0 && dp_regress_compute(g, &c, &rows) < 0)
            abort();
        dp_regress_destroy(g);
    }
    if (size > 1 && size < 512 && !memchr(data, 0, size)) {
        char uri[600], err[1024] = "";
        dp_ch_url u;
        memcpy(uri, "clickhouse://", 13);
        memcpy(uri + 13, data + 1, size - 1);
        uri[12 + size] = '\0';
        if (dp__ch_url_parse(uri, &u, err, sizeof(err)) == 0) {
            if (strncmp(u.base, "http://", 7) != 0 || !u.db[0])
                abort();
        } else if (!strstr(err, "clickhouse://"))
            abort();
    }
    return 0;
}
