/*
 * gen.c - synthetic agent runs as OTLP protobuf and OTLP/JSON (see gen.h).
 *
 * Each span is first described as a plain struct (ids, name, times, status,
 * attributes) by span_at(), a pure function of the run and the span's place
 * in it, so the protobuf and JSON writers produce the same runs. The
 * protobuf writer nests messages by reserving a 5-byte length and closing
 * each message by shifting its payload onto the minimal varint; trace-id
 * offsets are found afterwards by walking the finished request.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dp_wire.h"
#include "gen.h"

void dp_gen_config_init(dp_gen_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->nodes = 8;
    cfg->llm_calls = 2;
    cfg->tool_calls = 1;
    cfg->attrs = 10;
    cfg->fanout = 4;
    cfg->seed = 1;
    cfg->base_unix_ns = 1700000000000000000ULL;
}

uint64_t dp_gen_spans_per_run(const dp_gen_config *cfg)
{
    return 1 + (uint64_t)cfg->nodes * (1 + cfg->llm_calls + cfg->tool_calls);
}

struct dp_gen {
    dp_gen_config cfg;
    uint64_t run;   /* current run */
    uint64_t k;     /* next span within it */
    uint64_t spans; /* written so far */
};

dp_gen *dp_gen_create(const dp_gen_config *cfg)
{
    dp_gen *g = calloc(1, sizeof(*g));
    if (!g)
        return NULL;
    g->cfg = *cfg;
    if (!g->cfg.fanout)
        g->cfg.fanout = 1;
    return g;
}

void dp_gen_destroy(dp_gen *g)
{
    free(g);
}

uint64_t dp_gen_spans(const dp_gen *g)
{
    return g->spans;
}

void dp_gbuf_free(dp_gbuf *b)
{
    free(b->data);
    memset(b, 0, sizeof(*b));
}

static int gb_put(dp_gbuf *b, const void *d, size_t n)
{
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (b->len + n > cap)
            cap *= 2;
        uint8_t *p = realloc(b->data, cap);
        if (!p)
            return -1;
        b->data = p;
        b->cap = cap;
    }
    if (n)
        memcpy(b->data + b->len, d, n);
    b->len += n;
    return 0;
}

static uint64_t mix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

/* ---- the span model ------------------------------------------------------ */

enum { A_STR, A_INT, A_DBL, A_BOOL, A_ARR };

struct gattr {
    const char *key;
    int type;
    const char *s; /* A_STR: value; A_ARR: items joined by NUL */
    int64_t i;     /* A_INT; A_ARR: item count */
    double d;
    bool b;
    bool kept; /* a string the processor copies (for the memory figure) */
};

struct gspan {
    uint8_t tid[16], sid[8], pid[8];
    bool has_parent;
    char name[64];
    int kind, status;
    uint64_t start, end;
    struct gattr a[48];
    size_t n;
    char str[2048];
    size_t used;
};

static const char *sdup(struct gspan *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static const char *sdup(struct gspan *s, const char *fmt, ...)
{
    va_list ap;
    char *p = s->str + s->used;
    va_start(ap, fmt);
    int n = vsnprintf(p, sizeof(s->str) - s->used, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof(s->str) - s->used)
        return "";
    s->used += (size_t)n + 1;
    return p;
}

static void add(struct gspan *s, const char *key, int type, const char *str,
                int64_t i, double d, bool kept)
{
    if (s->n >= sizeof(s->a) / sizeof(s->a[0]))
        return;
    struct gattr *a = &s->a[s->n++];
    memset(a, 0, sizeof(*a));
    a->key = key;
    a->type = type;
    a->s = str;
    a->i = i;
    a->d = d;
    a->b = i != 0;
    a->kept = kept;
}

static void span_id_of(const dp_gen_config *c, uint64_t run, uint64_t k,
                       uint8_t out[8])
{
    uint64_t x = mix(c->seed * 0x100000001b3ULL ^ (run << 20) ^ (k + 1));
    if (!x)
        x = 1;
    memcpy(out, &x, 8);
}

static const char *const models[][2] = {
    {"gpt-4o", "gpt-4o-2024-08-06"},
    {"claude-3-5-sonnet", "claude-3-5-sonnet-20241022"},
    {"gpt-4o-mini", "gpt-4o-mini-2024-07-18"},
};
static const char *const tools[] = {"web_search", "read_file", "run_sql",
                                    "http_fetch"};

/* Describes span k of run `run`: calls of node 0, node 0, calls of node 1,
 * ..., root. Pure function of (cfg, run, k). */
static void span_at(const dp_gen_config *c, uint64_t run, uint64_t k,
                    struct gspan *s)
{
    uint64_t per_node = 1 + c->llm_calls + c->tool_calls;
    uint64_t layer_ns = c->llm_calls * 1600000000ULL +
                        c->tool_calls * 350000000ULL + 100000000ULL;
    uint64_t t0 = c->base_unix_ns + run * 1000000000ULL;
    uint64_t h = mix(run * 7919 + k);
    uint64_t tid_hi = mix(c->seed * 0x9e3779b97f4a7c15ULL + run),
             tid_lo = mix(c->seed ^ (run + 1));

    memset(s, 0, offsetof(struct gspan, a));
    s->n = 0;
    s->used = 0;
    memcpy(s->tid, &tid_hi, 8);
    memcpy(s->tid + 8, &tid_lo, 8);
    span_id_of(c, run, k, s->sid);
    s->kind = 1;
    s->status = 0;
    const char *session =
        sdup(s, "%016llx", (unsigned long long)mix(run ^ 0x5e55));

    if (k == (uint64_t)c->nodes * per_node) { /* the root */
        uint64_t layers = (c->nodes + c->fanout - 1) / c->fanout;
        s->start = t0;
        s->end = t0 + 20000000ULL + layers * layer_ns;
        snprintf(s->name, sizeof(s->name), "invoke_agent research_pipeline");
        s->kind = 2;
        s->status = 1;
        add(s, "dag.id", A_STR, "research-pipeline", 0, 0, true);
        add(s, "gen_ai.operation.name", A_STR, "invoke_agent", 0, 0, false);
        add(s, "gen_ai.agent.name", A_STR, "research_pipeline", 0, 0, true);
        add(s, "session.id", A_STR, session, 0, 0, false);
        add(s, "user.id", A_STR,
            sdup(s, "user-%llu", (unsigned long long)(run % 9973)), 0, 0,
            false);
        add(s, "code.function", A_STR, "pipelines.research.run", 0, 0, false);
        add(s, "thread.id", A_INT, NULL, (int64_t)(h % 64) + 1, 0, false);
        add(s, "deployment.environment", A_STR, "prod", 0, 0, false);
        add(s, "service.version", A_STR, "1.4.2", 0, 0, false);
        add(s, "run.attempt", A_INT, NULL, 1, 0, false);
    } else {
        uint64_t node = k / per_node, j = k % per_node;
        uint64_t layer = node / c->fanout;
        uint64_t nstart = t0 + 10000000ULL + layer * layer_ns +
                          (node % c->fanout) * 5000000ULL;
        uint8_t node_sid[8];
        span_id_of(c, run, node * per_node + per_node - 1, node_sid);
        if (j == per_node - 1) { /* the node span */
            uint64_t nend = nstart + 5000000ULL;
            for (uint64_t m = 0; m < c->llm_calls; m++)
                nend += 1200000000ULL +
                        mix(run * 7919 + node * per_node + m) % 400000000ULL;
            nend += c->tool_calls * 300000000ULL;
            span_id_of(c, run, (uint64_t)c->nodes * per_node, s->pid);
            s->has_parent = true;
            s->start = nstart;
            s->end = nend;
            snprintf(s->name, sizeof(s->name), "node step_%llu",
                     (unsigned long long)node);
            add(s, "dag.node.id", A_STR,
                sdup(s, "step_%llu", (unsigned long long)node), 0, 0, true);
            /* depends on every node of the previous layer */
            char deps[512];
            size_t dl = 0;
            int64_t nd = 0;
            if (layer > 0)
                for (uint64_t d = (layer - 1) * c->fanout;
                     d < layer * c->fanout && d < c->nodes && nd < 16; d++) {
                    int w = snprintf(deps + dl, sizeof(deps) - dl, "step_%llu",
                                     (unsigned long long)d);
                    dl += (size_t)w + 1;
                    nd++;
                }
            const char *dcopy = s->str + s->used;
            if (s->used + dl < sizeof(s->str)) {
                memcpy(s->str + s->used, deps, dl);
                s->used += dl;
            }
            add(s, "dag.node.depends_on", A_ARR, dcopy, nd, 0, true);
            add(s, "node.type", A_STR, "agent", 0, 0, false);
            add(s, "code.function", A_STR,
                sdup(s, "graph.nodes.step_%llu", (unsigned long long)node), 0,
                0, false);
            add(s, "code.lineno", A_INT, NULL, 100 + (int64_t)node, 0, false);
            add(s, "thread.id", A_INT, NULL, (int64_t)(h % 64) + 1, 0, false);
            add(s, "session.id", A_STR, session, 0, 0, false);
            add(s, "node.attempt", A_INT, NULL, 1, 0, false);
            add(s, "deployment.environment", A_STR, "prod", 0, 0, false);
            add(s, "service.version", A_STR, "1.4.2", 0, 0, false);
            s->status = 1;
        } else {
            uint64_t at = nstart + 2000000ULL;
            memcpy(s->pid, node_sid, 8);
            s->has_parent = true;
            for (uint64_t m = 0; m < j && m < c->llm_calls; m++)
                at += 1200000000ULL +
                      mix(run * 7919 + node * per_node + m) % 400000000ULL;
            if (j < c->llm_calls) { /* an LLM call */
                const char *const *mdl = models[(node + j) % 3];
                uint64_t dur =
                    1200000000ULL +
                    mix(run * 7919 + node * per_node + j) % 400000000ULL -
                    1000000ULL;
                s->start = at;
                s->end = at + dur;
                s->kind = 3;
                snprintf(s->name, sizeof(s->name), "chat %s", mdl[0]);
                add(s, "gen_ai.operation.name", A_STR, "chat", 0, 0, false);
                add(s, "gen_ai.system", A_STR, "openai", 0, 0, false);
                add(s, "gen_ai.request.model", A_STR, mdl[0], 0, 0, false);
                add(s, "gen_ai.response.model", A_STR, mdl[1], 0, 0, true);
                add(s, "gen_ai.request.temperature", A_DBL, NULL, 0, 0.2,
                    false);
                add(s, "gen_ai.response.id", A_STR,
                    sdup(s, "chatcmpl-%012llx",
                         (unsigned long long)(mix(h) >> 16)),
                    0, 0, false);
                add(s, "gen_ai.usage.input_tokens", A_INT, NULL,
                    800 + (int64_t)(h % 3000), 0, false);
                add(s, "gen_ai.usage.output_tokens", A_INT, NULL,
                    50 + (int64_t)(h % 700), 0, false);
                add(s, "gen_ai.response.finish_reasons", A_ARR, "stop", 1, 0,
                    false);
                add(s, "server.port", A_INT, NULL, 443, 0, false);
            } else { /* a tool call */
                const char *tool = tools[(node + j) % 4];
                at += (j - c->llm_calls) * 300000000ULL;
                s->start = at;
                s->end = at + 250000000ULL + h % 40000000ULL;
                snprintf(s->name, sizeof(s->name), "execute_tool %s", tool);
                add(s, "gen_ai.operation.name", A_STR, "execute_tool", 0, 0,
                    false);
                add(s, "gen_ai.tool.name", A_STR, tool, 0, 0, true);
                add(s, "gen_ai.tool.call.id", A_STR,
                    sdup(s, "call_%012llx",
                         (unsigned long long)(mix(h ^ 3) >> 16)),
                    0, 0, false);
                add(s, "gen_ai.tool.call.arguments", A_STR,
                    sdup(s, "{\"query\":\"agent topic %llu\",\"limit\":5}",
                         (unsigned long long)(h % 100000)),
                    0, 0, false);
                add(s, "gen_ai.tool.type", A_STR, "function", 0, 0, false);
                add(s, "code.function", A_STR, sdup(s, "tools.%s.run", tool), 0,
                    0, false);
                add(s, "code.lineno", A_INT, NULL, 40 + (int64_t)j, 0, false);
                add(s, "thread.id", A_INT, NULL, (int64_t)(h % 64) + 1, 0,
                    false);
                add(s, "session.id", A_STR, session, 0, 0, false);
                add(s, "tool.result.size", A_INT, NULL, (int64_t)(h % 9000), 0,
                    false);
            }
        }
    }
    /* Fewer attributes: drop from the end; more: add plain strings. */
    if (c->attrs < s->n)
        s->n = c->attrs;
    for (uint32_t x = (uint32_t)s->n; x < c->attrs && s->n < 48; x++)
        add(s, sdup(s, "app.extra.%u", x), A_STR,
            sdup(s, "value-%llu", (unsigned long long)(h % 1000000)), 0, 0,
            false);
}

double dp_gen_kept_attr_bytes_per_span(const dp_gen_config *cfg)
{
    struct gspan *s = malloc(sizeof(*s));
    uint64_t n = dp_gen_spans_per_run(cfg);
    double total = 0;
    if (!s)
        return 0;
    for (uint64_t k = 0; k < n; k++) {
        span_at(cfg, 0, k, s);
        total += (double)strlen(s->name) + 1;
        for (size_t i = 0; i < s->n; i++) {
            const struct gattr *a = &s->a[i];
            if (!a->kept)
                continue;
            if (a->type == A_STR) {
                total += (double)strlen(a->s) + 1;
            } else if (a->type == A_ARR) {
                const char *p = a->s;
                for (int64_t j = 0; j < a->i; j++) {
                    total += (double)strlen(p) + 1 + sizeof(char *);
                    p += strlen(p) + 1;
                }
            }
        }
    }
    free(s);
    return total / (double)n;
}

/* ---- protobuf
 * ---------------------------------------------------------------- */

static int pb_varint(dp_gbuf *b, uint64_t v)
{
    uint8_t t[DP_WIRE_VARINT_MAX];
    return gb_put(b, t, dp_wire_put_varint(t, v));
}

static int pb_tag(dp_gbuf *b, uint32_t field, unsigned wt)
{
    return pb_varint(b, ((uint64_t)field << 3) | wt);
}

static int pb_bytes(dp_gbuf *b, uint32_t field, const void *d, size_t n)
{
    return pb_tag(b, field, 2) || pb_varint(b, n) || gb_put(b, d, n);
}

static int pb_str(dp_gbuf *b, uint32_t field, const char *s)
{
    return pb_bytes(b, field, s, strlen(s));
}

static int pb_fixed64(dp_gbuf *b, uint32_t field, uint64_t v)
{
    return pb_tag(b, field, 1) || gb_put(b, &v, 8);
}

/* Opens a sub-message: writes the tag and reserves 5 length bytes. */
static int pb_begin(dp_gbuf *b, uint32_t field, size_t *at)
{
    static const uint8_t pad[5];
    if (pb_tag(b, field, 2))
        return -1;
    *at = b->len;
    return gb_put(b, pad, 5);
}

/* Closes it: the payload moves onto the minimal varint length. */
static void pb_end(dp_gbuf *b, size_t at)
{
    size_t len = b->len - at - 5;
    uint8_t t[DP_WIRE_VARINT_MAX];
    size_t n = dp_wire_put_varint(t, len);
    memmove(b->data + at + n, b->data + at + 5, len);
    memcpy(b->data + at, t, n);
    b->len -= 5 - n;
}

static int pb_any(dp_gbuf *b, const struct gattr *a)
{
    size_t at, arr, item;
    uint64_t bits;
    switch (a->type) {
    case A_STR:
        return pb_str(b, 1, a->s);
    case A_INT:
        return pb_tag(b, 3, 0) || pb_varint(b, (uint64_t)a->i);
    case A_DBL:
        memcpy(&bits, &a->d, 8);
        return pb_tag(b, 4, 1) || gb_put(b, &bits, 8);
    case A_BOOL:
        return pb_tag(b, 2, 0) || pb_varint(b, a->b);
    default: {
        const char *p = a->s;
        if (pb_begin(b, 5, &arr))
            return -1;
        for (int64_t j = 0; j < a->i; j++) {
            if (pb_begin(b, 1, &item) || pb_str(b, 1, p))
                return -1;
            pb_end(b, item);
            p += strlen(p) + 1;
        }
        pb_end(b, arr);
        (void)at;
        return 0;
    }
    }
}

static int pb_span(dp_gbuf *b, const struct gspan *s)
{
    size_t at, kv, any, st;
    uint32_t flags = 0x100;
    if (pb_begin(b, 2, &at) || pb_bytes(b, 1, s->tid, 16) ||
        pb_bytes(b, 2, s->sid, 8))
        return -1;
    if (s->has_parent && pb_bytes(b, 4, s->pid, 8))
        return -1;
    if (pb_str(b, 5, s->name) || pb_tag(b, 6, 0) ||
        pb_varint(b, (uint64_t)s->kind) || pb_fixed64(b, 7, s->start) ||
        pb_fixed64(b, 8, s->end))
        return -1;
    for (size_t i = 0; i < s->n; i++) {
        if (pb_begin(b, 9, &kv) || pb_str(b, 1, s->a[i].key) ||
            pb_begin(b, 2, &any) || pb_any(b, &s->a[i]))
            return -1;
        pb_end(b, any);
        pb_end(b, kv);
    }
    if (s->status) {
        if (pb_begin(b, 15, &st) || pb_tag(b, 3, 0) ||
            pb_varint(b, (uint64_t)s->status))
            return -1;
        pb_end(b, st);
    }
    if (pb_tag(b, 16, 5) || gb_put(b, &flags, 4))
        return -1;
    pb_end(b, at);
    return 0;
}

static int pb_kv_str(dp_gbuf *b, uint32_t field, const char *k, const char *v)
{
    size_t kv, any;
    if (pb_begin(b, field, &kv) || pb_str(b, 1, k) || pb_begin(b, 2, &any) ||
        pb_str(b, 1, v))
        return -1;
    pb_end(b, any);
    pb_end(b, kv);
    return 0;
}

/* Advances the stream by one span into *s. */
static void next_span(dp_gen *g, struct gspan *s)
{
    span_at(&g->cfg, g->run, g->k, s);
    g->spans++;
    if (++g->k == dp_gen_spans_per_run(&g->cfg)) {
        g->k = 0;
        g->run++;
    }
}

/* Reads a varint; 0 on a malformed one. */
static size_t rd(const uint8_t *p, const uint8_t *end, uint64_t *v)
{
    const uint8_t *q = p;
    return dp_wire_get_varint(&q, end, v) ? (size_t)(q - p) : 0;
}

/* Appends the offset of every span's trace id (the first field the writer
 * puts in a span) below request -> resource_spans -> scope_spans -> spans. */
static int find_ids(const uint8_t *base, const uint8_t *p, const uint8_t *end,
                    int depth, size_t **ids, size_t *n, size_t *cap)
{
    static const uint32_t path[] = {1, 2, 2, 1}; /* rs, ss, span, trace_id */
    while (p < end) {
        uint64_t tag, len;
        size_t k = rd(p, end, &tag);
        if (!k || (tag & 7) != 2) /* every field on the path is LEN */
            return -1;
        p += k;
        k = rd(p, end, &len);
        if (!k || len > (uint64_t)(end - p - (ptrdiff_t)k))
            return -1;
        p += k;
        if (depth == 3) {
            if ((tag >> 3) != 1 || len != 16)
                return -1;
            if (*n == *cap) {
                size_t c = *cap ? *cap * 2 : 1024;
                size_t *x = realloc(*ids, c * sizeof(*x));
                if (!x)
                    return -1;
                *ids = x;
                *cap = c;
            }
            (*ids)[(*n)++] = (size_t)(p - base);
            return 0;
        }
        if ((tag >> 3) == path[depth] &&
            find_ids(base, p, p + len, depth + 1, ids, n, cap))
            return -1;
        p += len;
    }
    return 0;
}

int dp_gen_batch_proto(dp_gen *g, size_t n, dp_gbuf *out, size_t **ids,
                       size_t *n_ids)
{
    struct gspan *s = malloc(sizeof(*s));
    size_t start = out->len, rs, res, ss, scope;
    int rc = -1;

    if (!s)
        return -1;
    if (pb_begin(out, 1, &rs) || pb_begin(out, 1, &res) ||
        pb_kv_str(out, 1, "service.name", "agent-service") ||
        pb_kv_str(out, 1, "telemetry.sdk.name", "opentelemetry") ||
        pb_kv_str(out, 1, "telemetry.sdk.language", "python") ||
        pb_kv_str(out, 1, "host.name", "worker-7"))
        goto out;
    pb_end(out, res);
    if (pb_begin(out, 2, &ss) || pb_begin(out, 1, &scope) ||
        pb_str(out, 1, "agent.tracer") || pb_str(out, 2, "1.0"))
        goto out;
    pb_end(out, scope);
    for (size_t i = 0; i < n; i++) {
        next_span(g, s);
        if (pb_span(out, s))
            goto out;
    }
    pb_end(out, ss);
    pb_end(out, rs);
    rc = 0;
    if (ids) {
        /* The caller's capacity is unknown: treat the array as full, so
         * the first append reallocates it. */
        size_t cap = *n_ids, before = *n_ids;
        rc = find_ids(out->data, out->data + start, out->data + out->len, 0,
                      ids, n_ids, &cap);
        if (rc == 0 && *n_ids - before != n)
            rc = -1;
    }
out:
    free(s);
    return rc;
}

void dp_gen_patch_ids(uint8_t *batch, const size_t *ids, size_t n_ids,
                      uint64_t key)
{
    for (size_t i = 0; i < n_ids; i++) {
        uint64_t x;
        memcpy(&x, batch + ids[i] + 8, 8);
        x ^= key;
        memcpy(batch + ids[i] + 8, &x, 8);
    }
}

/* ---- OTLP/JSON
 * --------------------------------------------------------------- */

static int js(dp_gbuf *b, const char *s)
{
    return gb_put(b, s, strlen(s));
}

static int js_str(dp_gbuf *b, const char *s)
{
    if (gb_put(b, "\"", 1))
        return -1;
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') {
            char e[2] = {'\\', *s};
            if (gb_put(b, e, 2))
                return -1;
        } else if (gb_put(b, s, 1)) {
            return -1;
        }
    }
    return gb_put(b, "\"", 1);
}

static int js_hex(dp_gbuf *b, const uint8_t *id, size_t n)
{
    char hex[40];
    for (size_t i = 0; i < n; i++)
        snprintf(hex + 2 * i, 3, "%02x", id[i]);
    return gb_put(b, "\"", 1) || gb_put(b, hex, 2 * n) || gb_put(b, "\"", 1);
}

static int js_value(dp_gbuf *b, const struct gattr *a)
{
    char num[64];
    switch (a->type) {
    case A_STR:
        return js(b, "{\"stringValue\":") || js_str(b, a->s) || js(b, "}");
    case A_INT:
        snprintf(num, sizeof(num), "{\"intValue\":\"%lld\"}", (long long)a->i);
        return js(b, num);
    case A_DBL:
        snprintf(num, sizeof(num), "{\"doubleValue\":%.17g}", a->d);
        return js(b, num);
    case A_BOOL:
        return js(b, a->b ? "{\"boolValue\":true}" : "{\"boolValue\":false}");
    default: {
        const char *p = a->s;
        if (js(b, "{\"arrayValue\":{\"values\":["))
            return -1;
        for (int64_t j = 0; j < a->i; j++) {
            if ((j && js(b, ",")) || js(b, "{\"stringValue\":") ||
                js_str(b, p) || js(b, "}"))
                return -1;
            p += strlen(p) + 1;
        }
        return js(b, "]}}");
    }
    }
}

static int js_span(dp_gbuf *b, const struct gspan *s)
{
    char num[160];
    if (js(b, "{\"traceId\":") || js_hex(b, s->tid, 16) ||
        js(b, ",\"spanId\":") || js_hex(b, s->sid, 8))
        return -1;
    if (s->has_parent && (js(b, ",\"parentSpanId\":") || js_hex(b, s->pid, 8)))
        return -1;
    snprintf(num, sizeof(num),
             ",\"kind\":%d,\"startTimeUnixNano\":\"%llu\","
             "\"endTimeUnixNano\":\"%llu\",\"flags\":256",
             s->kind, (unsigned long long)s->start, (unsigned long long)s->end);
    if (js(b, ",\"name\":") || js_str(b, s->name) || js(b, num) ||
        js(b, ",\"attributes\":["))
        return -1;
    for (size_t i = 0; i < s->n; i++) {
        if ((i && js(b, ",")) || js(b, "{\"key\":") || js_str(b, s->a[i].key) ||
            js(b, ",\"value\":") || js_value(b, &s->a[i]) || js(b, "}"))
            return -1;
    }
    if (js(b, "]"))
        return -1;
    if (s->status) {
        snprintf(num, sizeof(num), ",\"status\":{\"code\":%d}", s->status);
        if (js(b, num))
            return -1;
    }
    return js(b, "}");
}

int dp_gen_batch_json(dp_gen *g, size_t n, dp_gbuf *out)
{
    struct gspan *s = malloc(sizeof(*s));
    int rc = -1;
    if (!s)
        return -1;
    if (js(out,
           "{\"resourceSpans\":[{\"resource\":{\"attributes\":["
           "{\"key\":\"service.name\",\"value\":{\"stringValue\":"
           "\"agent-service\"}},"
           "{\"key\":\"telemetry.sdk.name\",\"value\":{\"stringValue\":"
           "\"opentelemetry\"}},"
           "{\"key\":\"telemetry.sdk.language\",\"value\":{\"stringValue\":"
           "\"python\"}},"
           "{\"key\":\"host.name\",\"value\":{\"stringValue\":\"worker-7\"}}"
           "]},\"scopeSpans\":[{\"scope\":{\"name\":\"agent.tracer\","
           "\"version\":\"1.0\"},\"spans\":["))
        goto out;
    for (size_t i = 0; i < n; i++) {
        next_span(g, s);
        if ((i && js(out, ",")) || js_span(out, s))
            goto out;
    }
    rc = js(out, "]}]}]}");
out:
    free(s);
    return rc;
}
