/*
 * replay_fixture.h - hand-built profiles for the replay tests: nodes given
 * as (id, start ms, end ms, "dep,dep", parent index, group?) in output
 * order, LLM and tool calls with tokens, costs priced by a small test
 * table ("big": 10/20 USD per 1M input/output, cache read 1, cache write
 * 12.5, reasoning 40; "small": 1/2, 0.1, 1.25, 4). Only what the replay
 * reads is filled: times, execution, dependsOn, groups, calls, models,
 * tokens and costs (own and run totals).
 */
#ifndef DP_TEST_REPLAY_FIXTURE_H
#define DP_TEST_REPLAY_FIXTURE_H

#include <stdlib.h>
#include <string.h>

#include "internal.h" /* dp__pricing_cost */
#include "processor.h"

#define RF_MS(x) ((int64_t)(x)*1000000)
#define RF_T0 1767225600000000000ULL /* 2026-01-01 */

static const char rf_pricing_json[] =
    "{\"currency\":\"USD\",\"rows\":["
    "{\"pattern\":\"big\",\"match\":\"exact\",\"input\":10,\"output\":20,"
    "\"cache_read\":1,\"cache_write\":12.5,\"reasoning\":40,"
    "\"effective\":\"2020-01-01\"},"
    "{\"pattern\":\"small\",\"match\":\"exact\",\"input\":1,\"output\":2,"
    "\"cache_read\":0.1,\"cache_write\":1.25,\"reasoning\":4,"
    "\"effective\":\"2020-01-01\"}]}";

typedef struct rf_node {
    const char *id;
    int64_t start_ms, end_ms;
    const char *deps; /* comma-separated ids, or NULL */
    int parent;       /* index, or -1 */
    bool group;
} rf_node;

typedef struct rf_call {
    int node;
    int kind; /* DP_CALL_LLM / DP_CALL_TOOL */
    const char *name;
    int64_t start_ms, end_ms;
    int64_t in, out, cache_read, cache_write, reasoning;
    uint64_t key;
} rf_call;

static long rf_index(const dp_profile *p, const char *id, size_t len)
{
    for (size_t i = 0; i < p->n_nodes; i++)
        if (strlen(p->nodes[i].id) == len &&
            strncmp(p->nodes[i].id, id, len) == 0)
            return (long)i;
    return -1;
}

/* Builds the profile (free with dp_profile_free). wall_ms: the run. */
static dp_profile *rf_build(const rf_node *nodes, size_t n,
                            const rf_call *calls, size_t nc, int64_t wall_ms,
                            const dp_pricing *pricing)
{
    dp_profile *p = dp_profile_new();
    p->start_unix_ns = RF_T0;
    p->wall_ns = RF_MS(wall_ms);
    p->n_nodes = n;
    p->nodes = dp_profile_alloc(p, (n + 1) * sizeof(dp_node));
    for (size_t i = 0; i < n; i++) {
        dp_node *o = &p->nodes[i];
        o->id = nodes[i].id;
        o->kind = nodes[i].group ? DP_NODE_GROUP : DP_NODE_LEAF;
        o->parent = nodes[i].parent;
        o->start_ns = RF_MS(nodes[i].start_ms);
        o->end_ns = RF_MS(nodes[i].end_ms);
        o->execution_ns = o->end_ns - o->start_ns;
        o->children = dp_profile_alloc(p, (n + 1) * sizeof(size_t));
        o->deps = dp_profile_alloc(p, (n + 1) * sizeof(size_t));
        o->calls = dp_profile_alloc(p, (nc + 1) * sizeof(size_t));
        o->models = dp_profile_alloc(p, (nc + 1) * sizeof(char *));
        if (!nodes[i].group)
            p->n_leaves++;
    }
    for (size_t i = 0; i < n; i++) {
        dp_node *o = &p->nodes[i];
        if (o->parent >= 0) {
            dp_node *g = &p->nodes[o->parent];
            g->children[g->n_children++] = i;
        }
        const char *d = nodes[i].deps;
        while (d && *d) {
            size_t len = strcspn(d, ",");
            long k = rf_index(p, d, len);
            if (k >= 0)
                o->deps[o->n_deps++] = (size_t)k;
            d += len;
            if (*d == ',')
                d++;
        }
    }
    p->n_calls = nc;
    p->calls = dp_profile_alloc(p, (nc + 1) * sizeof(dp_call));
    for (size_t i = 0; i < nc; i++) {
        dp_call *c = &p->calls[i];
        const rf_call *s = &calls[i];
        c->kind = s->kind;
        c->node = s->node;
        c->name = s->name;
        c->start_ns = RF_MS(s->start_ms);
        c->end_ns = RF_MS(s->end_ms);
        c->success = true;
        c->cache_key = s->key;
        c->span_start_unix_ns = RF_T0 + (uint64_t)c->start_ns;
        dp_node *o = &p->nodes[s->node];
        o->calls[o->n_calls++] = i;
        if (s->kind != DP_CALL_LLM)
            continue;
        c->has_tokens = true;
        c->tokens = (dp_tokens){s->in,          s->out,       s->cache_read,
                                s->cache_write, s->reasoning, 0x1f};
        int64_t cost = dp__pricing_cost(pricing, s->name, &c->tokens,
                                        c->span_start_unix_ns);
        c->priced = cost >= 0;
        c->cost_pusd = cost >= 0 ? cost : 0;
        bool seen = false;
        for (size_t m = 0; m < o->n_models; m++)
            seen |= strcmp(o->models[m], s->name) == 0;
        if (!seen)
            o->models[o->n_models++] = s->name;
        o->tokens.input += s->in;
        o->tokens.output += s->out;
        o->tokens.cache_read += s->cache_read;
        o->tokens.cache_write += s->cache_write;
        o->tokens.reasoning += s->reasoning;
        o->tokens.known = 0x1f;
        o->own_tokens += s->in + s->out;
        o->cost_pusd += c->cost_pusd;
        o->own_cost_pusd += c->cost_pusd;
        p->tokens.input += s->in;
        p->tokens.output += s->out;
        p->tokens.cache_read += s->cache_read;
        p->tokens.cache_write += s->cache_write;
        p->tokens.reasoning += s->reasoning;
        p->tokens.known = 0x1f;
        p->cost_pusd += c->cost_pusd;
    }
    return p;
}

#endif /* DP_TEST_REPLAY_FIXTURE_H */
