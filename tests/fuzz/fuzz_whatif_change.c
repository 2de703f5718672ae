/*
 * fuzz_whatif_change.c - libFuzzer target for the what-if change parser
 * (processor/replay_change.c) and the replay it drives (replay.c,
 * replay_apply.c).
 *
 * Input: change specs, one per line (at most 16 are used). Each line goes
 * to dp_change_parse, which must either fill a change or fail with
 * DP_EINVAL and a non-empty message; a change that parses must format
 * (dp_change_format) to a text that parses again to the same text. The
 * changes that parsed are then replayed together on a hand-built DAG with
 * a group and calls (tests/support/replay_fixture.h) under the fixture's
 * pricing, from the trace and as if read from a profile file: the replay
 * must succeed or fail with a message, and a success must be a schedule:
 * no node starts before 0 or ends before it starts or after the wall, at
 * most N leaves run at once under workers=N, the critical path's indices
 * are in range.
 * Seeds: tests/data/fuzz/corpus/fuzz_whatif_change; dictionary:
 * fuzz_whatif_change.dict.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pricing.h"
#include "replay.h"
#include "replay_fixture.h"

#define MAX_CHANGES 16

static dp_pricing *pricing;
static dp_profile *profile;

static const rf_node nodes[] = {
    {"a", 0, 10, NULL, -1, false},   {"G", 11, 30, "a", -1, true},
    {"c", 11, 16, "a", 1, false},    {"b", 12, 32, "a,c", 1, false},
    {"d", 40, 45, "G,b", -1, false},
};

static const rf_call calls[] = {
    {3, DP_CALL_LLM, "big", 14, 30, 1000, 500, 200, 0, 100, 1},
    {2, DP_CALL_LLM, "small", 11, 15, 100, 10, 0, 0, 0, 2},
    {2, DP_CALL_TOOL, "read", 12, 14, 0, 0, 0, 0, 0, 7},
    {3, DP_CALL_TOOL, "read", 13, 17, 0, 0, 0, 0, 0, 7},
    {4, DP_CALL_LLM, "small", 40, 42, 10, 10, 0, 0, 0, 5},
    {4, DP_CALL_LLM, "small", 42, 44, 10, 10, 0, 0, 0, 5},
};

static void init(void)
{
    char err[256];
    if (profile)
        return;
    pricing = dp_pricing_create_empty();
    if (!pricing ||
        dp_pricing_load_json(pricing, rf_pricing_json, "fuzz", err, sizeof err))
        abort();
    profile = rf_build(nodes, 5, calls, 6, 45, pricing);
}

static void check(const dp_replay *r, uint32_t workers)
{
    for (size_t k = 0; k < r->n_nodes; k++) {
        if (r->nodes[k].end_ns < r->nodes[k].start_ns ||
            r->nodes[k].start_ns < 0 || r->nodes[k].end_ns > r->wall_ns) {
            fprintf(stderr, "node %zu: [%lld, %lld), wall %lld\n", k,
                    (long long)r->nodes[k].start_ns,
                    (long long)r->nodes[k].end_ns, (long long)r->wall_ns);
            abort();
        }
    }
    if (workers && r->peak_concurrency > workers)
        abort();
    for (size_t i = 0; i < r->n_critical_path; i++)
        if (r->critical_path[i] >= r->n_nodes)
            abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    init();
    dp_change ch[MAX_CHANGES];
    size_t n = 0;
    uint32_t workers = 0;
    const uint8_t *p = data, *end = data + size;
    while (p < end && n < MAX_CHANGES) {
        const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
        char *line = malloc(len + 1);
        if (!line)
            abort();
        memcpy(line, p, len);
        line[len] = '\0'; /* a NUL inside ends the spec early: fine */
        p += len + (nl ? 1 : 0);
        char err[512] = "";
        int rc = dp_change_parse(line, &ch[n], err, sizeof err);
        free(line);
        if (rc) {
            if (rc != DP_EINVAL && rc != DP_ENOMEM)
                abort();
            if (rc == DP_EINVAL && !err[0])
                abort();
            continue;
        }
        char text[2048], again[2048];
        dp_change_format(&ch[n], text, sizeof text);
        dp_change d;
        if (strlen(text) < sizeof text - 1) {
            if (dp_change_parse(text, &d, err, sizeof err)) {
                fprintf(stderr, "'%s' does not parse again: %s\n", text, err);
                abort();
            }
            if (strcmp(dp_change_format(&d, again, sizeof again), text)) {
                fprintf(stderr, "'%s' parses back as '%s'\n", text, again);
                abort();
            }
            dp_change_fini(&d);
        }
        if (ch[n].kind == DP_CHANGE_WORKERS)
            workers = ch[n].workers;
        n++;
    }
    for (int from_file = 0; from_file < 2; from_file++) {
        dp_replay_ctx *ctx = dp_replay_create(profile, pricing, from_file);
        if (!ctx)
            abort();
        dp_replay r;
        char err[768] = "";
        int rc = dp_replay_run(ctx, ch, n, &r, err, sizeof err);
        if (rc == 0) {
            check(&r, workers);
            dp_replay_fini(&r);
        } else if (rc != DP_ENOMEM && !err[0]) {
            abort();
        }
        dp_replay_destroy(ctx);
    }
    for (size_t i = 0; i < n; i++)
        dp_change_fini(&ch[i]);
    return 0;
}
