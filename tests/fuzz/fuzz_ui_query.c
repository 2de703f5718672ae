/*
 * fuzz_ui_query.c - libFuzzer target for the web UI's query strings
 * (src/ui_query.c). The input is a query ("dag=..&limit=.."). Checks: a
 * parse returns 0 with limit, offset, sort and complete in range and
 * NUL-terminated values, or -1 with a message; the link built from a
 * parsed query parses back to the same filters; the decoder's result is
 * never longer than its input and holds no NUL.
 * Seeds: tests/data/fuzz/corpus/fuzz_ui_query.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ui_query.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *q = (const char *)data;
    char out[DP_UI_VALUE_MAX], err[160] = "";
    int n = dp_ui_decode(q, size, out, sizeof(out));
    if (n >= 0 && ((size_t)n > size || strlen(out) != (size_t)n))
        abort();
    dp_ui_list_query lq, back;
    if (dp_ui_list_query_parse(&lq, q, size, err, sizeof(err)) != 0) {
        if (!err[0])
            abort();
        return 0;
    }
    if (lq.limit < 1 || lq.limit > DP_UI_LIMIT_MAX ||
        lq.offset > DP_UI_OFFSET_MAX || lq.sort < 0 || lq.sort > 2 ||
        lq.complete < 0 || lq.complete > 2)
        abort();
    dp_buf b;
    dp_buf_init(&b);
    if (dp_ui_list_query_href(&b, &lq, lq.offset) != 0)
        abort();
    if (b.len < 1 || b.data[0] != '?' ||
        dp_ui_list_query_parse(&back, b.data + 1, b.len - 1, err,
                               sizeof(err)) != 0 ||
        strcmp(back.dag, lq.dag) != 0 ||
        strcmp(back.version, lq.version) != 0 ||
        strcmp(back.since, lq.since) != 0 || back.limit != lq.limit ||
        back.offset != lq.offset || back.sort != lq.sort ||
        back.complete != lq.complete)
        abort();
    dp_buf_fini(&b);
    return 0;
}
