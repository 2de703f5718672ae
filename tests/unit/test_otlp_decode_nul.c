/*
 * test_otlp_decode_nul.c - NUL bytes in identifiers (dp__decode_deliver in
 * otlp_decode.h), through every decoder: the protobuf pair (reference and
 * wire) on bytes written by hand, since protobuf-c's pack cannot put a NUL
 * inside a string, and the JSON pair (reference and scanner) on the same
 * request as OTLP/JSON text with \u0000 escapes. A NUL in dag.node.id,
 * graph.node.id, graph.node.parent_id, dag.id, a depends_on item, the
 * agent and entity names, metadata or the span name rejects the span with
 * a message naming it; elsewhere the byte is kept.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "otlp_ref.h"

#include "decode_capture.h"
#include "otlp_json.h"
#include "otlp_wire_diff.h"

/* The four decoders on one request: the protobuf pair on bytes built by
 * hand (protobuf-c's pack cannot put a NUL inside a string), the JSON pair
 * on the same request as text. */
enum { DEC_PROTO, DEC_WIRE, DEC_JSON, DEC_JSON_SCAN, DEC__COUNT };
static const char *const dec_names[] = {"proto", "wire", "json", "json_scan"};

static int decode_with(int which, dp_decode_ctx *ctx, const wd_buf *pb,
                       const char *json)
{
    switch (which) {
    case DEC_PROTO:
        return dp_ref_otlp_proto_decode(ctx, pb->p, pb->len);
    case DEC_WIRE:
        return dp_otlp_wire_decode(ctx, pb->p, pb->len);
    case DEC_JSON:
        return dp_ref_otlp_json_decode(ctx, json, strlen(json));
    default:
        return dp_otlp_json_scan(ctx, json, strlen(json));
    }
}

/* AnyValue{string_value = v[0..n)} */
static void any_str(wd_buf *any, const char *v, size_t n)
{
    wd_lenf(NULL, any, 1, v, n);
}

/* KeyValue{key, value} appended as field `field` of out. */
static void put_kv(wd_buf *out, uint32_t field, const char *key, size_t key_len,
                   const wd_buf *any)
{
    wd_buf kv = {0};
    wd_lenf(NULL, &kv, 1, key, key_len);
    wd_lenf(NULL, &kv, 2, any->p, any->len);
    wd_lenf(NULL, out, field, kv.p, kv.len);
    wd_free(&kv);
}

/* One request: resource attribute rkey = rval (when rkey), then spans 1
 * and 2 named name1/name2, each with attribute key = its value (when key;
 * as a one-item array when array). Values are (pointer, length): they may
 * hold NUL bytes. Writes protobuf into pb and OTLP/JSON into json. */
typedef struct nul_case {
    const char *what;
    const char *rkey;
    const char *key;
    size_t key_len; /* 0: strlen(key) */
    bool array;
    const char *v1, *v2; /* attribute (or resource) values, 3 bytes */
    const char *name1, *name2;
    int accepted;        /* spans accepted out of 2 */
    const char *message; /* in every rejection message */
} nul_case;

static void json_escaped(char *out, size_t cap, const char *s, size_t n)
{
    size_t o = 0;
    for (size_t i = 0; i < n && o + 7 < cap; i++)
        o += (size_t)(s[i] ? snprintf(out + o, cap - o, "%c", s[i])
                           : snprintf(out + o, cap - o, "\\u0000"));
    out[o] = '\0';
}

static void build_nul_case(const nul_case *t, wd_buf *pb, char *json,
                           size_t cap)
{
    static const uint8_t tid[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 1, 2, 3, 4, 5};
    wd_buf ss = {0}, rs = {0}, res = {0};
    char js[2][512], v[64] = "", n[64], k[64] = "";
    size_t klen = t->key ? (t->key_len ? t->key_len : strlen(t->key)) : 0;
    if (t->key)
        json_escaped(k, sizeof(k), t->key, klen);
    for (int i = 0; i < 2; i++) {
        uint8_t sid[8] = {0, 0, 0, 0, 0, 0, 0, (uint8_t)(i + 1)};
        const char *name = i ? t->name2 : t->name1;
        const char *val = i ? t->v2 : t->v1;
        wd_buf span = {0}, any = {0};
        wd_lenf(NULL, &span, 1, tid, 16);
        wd_lenf(NULL, &span, 2, sid, 8);
        wd_lenf(NULL, &span, 5, name, 3);
        wd_fixf(NULL, &span, 7, 1, 8);
        wd_fixf(NULL, &span, 8, 2, 8);
        if (t->key) {
            any_str(&any, val, 3);
            if (t->array) {
                wd_buf arr = {0}, outer = {0};
                wd_lenf(NULL, &arr, 1, any.p, any.len);
                wd_lenf(NULL, &outer, 5, arr.p, arr.len);
                wd_free(&any);
                any = outer;
                wd_free(&arr);
            }
            put_kv(&span, 9, t->key, klen, &any);
        }
        wd_lenf(NULL, &ss, 2, span.p, span.len);
        wd_free(&span);
        wd_free(&any);
        if (val)
            json_escaped(v, sizeof(v), val, 3);
        json_escaped(n, sizeof(n), name, 3);
        char attr[256] = "";
        if (t->key)
            snprintf(
                attr, sizeof(attr),
                ",\"attributes\":[{\"key\":\"%s\",\"value\":%s%s\"%s\"}%s}]", k,
                t->array ? "{\"arrayValue\":{\"values\":[" : "",
                "{\"stringValue\":", v, t->array ? "]}}" : "");
        snprintf(js[i], sizeof(js[i]),
                 "{\"traceId\":\"0102030405060708090102030405%s\",\"spanId\":"
                 "\"000000000000000%d\",\"name\":\"%s\",\"startTimeUnixNano\":"
                 "\"1\",\"endTimeUnixNano\":\"2\"%s}",
                 "0000", i + 1, n, attr);
    }
    char rattr[256] = "";
    if (t->rkey) {
        wd_buf any = {0}, resource = {0};
        any_str(&any, t->v1, 3);
        put_kv(&resource, 1, t->rkey, strlen(t->rkey), &any);
        wd_lenf(NULL, &rs, 1, resource.p, resource.len);
        wd_free(&any);
        wd_free(&resource);
        json_escaped(v, sizeof(v), t->v1, 3);
        snprintf(rattr, sizeof(rattr),
                 "\"resource\":{\"attributes\":[{\"key\":\"%s\",\"value\":{"
                 "\"stringValue\":\"%s\"}}]},",
                 t->rkey, v);
    }
    wd_lenf(NULL, &rs, 2, ss.p, ss.len);
    wd_lenf(NULL, pb, 1, rs.p, rs.len);
    snprintf(json, cap,
             "{\"resourceSpans\":[{%s\"scopeSpans\":[{\"spans\":[%s,%s]}]}]}",
             rattr, js[0], js[1]);
    wd_free(&ss);
    wd_free(&rs);
    wd_free(&res);
}

static void test_otlp_proto_nul_in_identifiers_rejects_span(void **state)
{
    (void)state;
    static const nul_case cases[] = {
        {"dag.node.id", NULL, "dag.node.id", 0, false, "a\0b", "a\0c", "one",
         "two", 0, "dag.node.id holds a NUL byte"},
        {"graph.node.id", NULL, "graph.node.id", 0, false, "a\0b", "a\0c",
         "one", "two", 0, "graph.node.id holds a NUL byte"},
        {"graph.node.parent_id", NULL, "graph.node.parent_id", 0, false, "a\0b",
         "a\0c", "one", "two", 0, "graph.node.parent_id holds a NUL byte"},
        {"dag.id", NULL, "dag.id", 0, false, "a\0b", "a\0c", "one", "two", 0,
         "dag.id holds a NUL byte"},
        {"depends_on item", NULL, "dag.node.depends_on", 0, true, "a\0b",
         "a\0c", "one", "two", 0, "dag.node.depends_on holds a NUL byte"},
        {"traceloop.entity.name", NULL, "traceloop.entity.name", 0, false,
         "a\0b", "a\0c", "one", "two", 0,
         "traceloop.entity.name holds a NUL byte"},
        {"gen_ai.agent.name", NULL, "gen_ai.agent.name", 0, false, "a\0b",
         "a\0c", "one", "two", 0, "gen_ai.agent.name holds a NUL byte"},
        {"metadata", NULL, "metadata", 0, false, "{\0}", "{\0}", "one", "two",
         0, "metadata holds a NUL byte"},
        {"span name", NULL, NULL, 0, false, NULL, NULL, "a\0b", "a\0c", 0,
         "the span name holds a NUL byte"},
        {"resource dag.id", "dag.id", NULL, 0, false, "a\0b", "a\0c", "one",
         "two", 0, "dag.id holds a NUL byte"},
        /* Not identifiers: the NUL is kept and the span taken. */
        {"model name", NULL, "gen_ai.request.model", 0, false, "a\0b", "a\0c",
         "one", "two", 2, NULL},
        {"resource graph.node.id (read on spans only)", "graph.node.id", NULL,
         0, false, "a\0b", "a\0c", "one", "two", 2, NULL},
        /* A NUL in the key: another key, not dag.node.id. */
        {"key with NUL", NULL, "dag.node.id\0x", 13, false, "a\0b", "a\0c",
         "one", "two", 2, NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const nul_case *t = &cases[i];
        wd_buf pb = {0};
        char json[2048];
        build_nul_case(t, &pb, json, sizeof(json));
        for (int d = 0; d < DEC__COUNT; d++) {
            dp_decode_ctx ctx;
            capture c;
            ctx_init(&ctx, &c, "r");
            int rc = decode_with(d, &ctx, &pb, json);
            if (rc != 0 || (int)c.n != t->accepted ||
                ctx.spans_rejected != (uint64_t)(2 - t->accepted))
                fail_msg("%s, %s decoder: rc %d, %zu accepted, %llu "
                         "rejected, first message: %s",
                         t->what, dec_names[d], rc, c.n,
                         (unsigned long long)ctx.spans_rejected,
                         c.n_msgs ? c.msgs[0] : "none");
            for (size_t m = 0; t->message && m < c.n_msgs; m++)
                if (!strstr(c.msgs[m], t->message))
                    fail_msg("%s, %s decoder: message \"%s\"", t->what,
                             dec_names[d], c.msgs[m]);
            /* Accepted spans keep the NUL byte of the value. */
            if (t->accepted && t->key && strcmp(t->key, "dag.node.id") != 0)
                assert_non_null(strstr(c.spans[0], "s'a\\0b'"));
            capture_reset(&c);
        }
        wd_free(&pb);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_otlp_proto_nul_in_identifiers_rejects_span),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
