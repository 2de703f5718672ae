/*
 * clickhouse_rows.c - the rows of the ClickHouse history store
 * (clickhouse.h): the JSONEachRow lines a profile becomes (runs, nodes,
 * bottlenecks, profiles, model_calls) and the decoding of result rows
 * (JSONEachRow lines, 64-bit integers as ClickHouse quotes them, a run
 * row). No I/O: clickhouse.c sends and receives them.
 */
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clickhouse.h"
#include "profile_json.h"

/* Adds obj as one line to b, taking the reference. */
static int put_row(dp_buf *b, json_t *obj)
{
    if (!obj)
        return DP_ENOMEM;
    char *s = json_dumps(obj, JSON_COMPACT | JSON_ENSURE_ASCII);
    json_decref(obj);
    if (!s)
        return DP_ENOMEM;
    int err = dp_buf_puts(b, s);
    free(s);
    return err ? err : dp_buf_puts(b, "\n");
}

static json_t *str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

int dp__ch_encode_profile(const dp_profile *p, const char *json,
                          size_t json_len, dp_buf *runs, dp_buf *nodes,
                          dp_buf *bns, dp_buf *profiles)
{
    dp_buf tmp;
    int err;
    uint32_t failed = 0;
    json_int_t start_s = (json_int_t)(p->start_unix_ns / 1000000000u);
    json_int_t at = (json_int_t)p->profiled_at_unix_ns;
    const char *dag = p->dag_id ? p->dag_id : "";
    for (size_t i = 0; i < p->n_nodes; i++)
        failed += p->nodes[i].status == DP_STATUS_ERROR;
    const dp_bottleneck *top = p->n_bottlenecks ? &p->bottlenecks[0] : NULL;
    const dp_tokens *t = &p->tokens;
    json_int_t total = 0;
    if (t->known & (DP_TOK_INPUT | DP_TOK_OUTPUT))
        if (__builtin_add_overflow(t->input, t->output, &total))
            total = INT64_MAX;
    err = put_row(
        runs,
        json_pack(
            "{s:s,s:s,s:s,s:o,s:o,s:o,s:I,s:I,s:I,s:I,s:I,s:I,s:f,s:I,s:I,"
            "s:i,s:o,s:I,s:I,s:o,s:o,s:I}",
            "trace_id", p->trace_id_hex, "profile_id", p->profile_id, "dag_id",
            dag, "version", str_or_null(p->version), "session_id",
            str_or_null(p->session_id), "service_name",
            str_or_null(p->service_name), "start_ns",
            (json_int_t)p->start_unix_ns, "start", start_s, "profiled_at_ns",
            (json_int_t)p->profiled_at_unix_ns, "wall_ns",
            (json_int_t)p->wall_ns, "critical_path_ns",
            (json_int_t)p->critical_path_ns, "sum_execution_ns",
            (json_int_t)p->sum_execution_ns, "efficiency",
            p->parallelization_efficiency, "total_tokens", total, "cost_pusd",
            (json_int_t)p->cost_pusd, "complete", p->complete ? 1 : 0,
            "incomplete_reason",
            str_or_null(dp_incomplete_reason_name(p->incomplete_reason)),
            "span_count", (json_int_t)p->span_count, "node_count",
            (json_int_t)p->n_nodes, "top_bottleneck",
            str_or_null(top ? dp_bottleneck_type_name(top->type) : NULL),
            "top_bottleneck_node",
            str_or_null(top && top->node < p->n_nodes ? p->nodes[top->node].id
                                                      : NULL),
            "failed_nodes", (json_int_t)failed));
    for (size_t i = 0; !err && i < p->n_nodes; i++) {
        const dp_node *n = &p->nodes[i];
        err = put_row(
            nodes,
            json_pack(
                "{s:s,s:s,s:I,s:I,s:s,s:s,s:o,s:I,s:I,s:I,s:I,s:I,s:s,s:I,s:I,"
                "s:i,s:I,s:o,s:I}",
                "trace_id", p->trace_id_hex, "dag_id", dag, "start", start_s,
                "idx", (json_int_t)i, "node_id", n->id ? n->id : "", "kind",
                dp_node_kind_name(n->kind), "parent_id",
                str_or_null(n->parent >= 0 && (size_t)n->parent < p->n_nodes
                                ? p->nodes[n->parent].id
                                : NULL),
                "execution_ns", (json_int_t)n->execution_ns, "wait_ns",
                (json_int_t)n->wait_ns, "duration_ns",
                (json_int_t)n->duration_ns, "attempts", (json_int_t)n->attempts,
                "retries", (json_int_t)n->retries, "status",
                dp_status_name(n->status), "cost_pusd",
                (json_int_t)n->cost_pusd, "own_cost_pusd",
                (json_int_t)n->own_cost_pusd, "on_critical_path",
                n->on_critical_path ? 1 : 0, "profiled_at_ns", at, "version",
                str_or_null(p->version), "start_ns",
                (json_int_t)p->start_unix_ns));
    }
    for (size_t i = 0; !err && i < p->n_bottlenecks; i++) {
        const dp_bottleneck *b = &p->bottlenecks[i];
        err = put_row(bns,
                      json_pack("{s:s,s:s,s:I,s:I,s:s,s:s,s:s,s:f,s:I}",
                                "trace_id", p->trace_id_hex, "dag_id", dag,
                                "start", start_s, "idx", (json_int_t)i, "type",
                                dp_bottleneck_type_name(b->type), "node_id",
                                b->node < p->n_nodes && p->nodes[b->node].id
                                    ? p->nodes[b->node].id
                                    : "",
                                "severity", dp_severity_name(b->severity),
                                "impact", b->impact, "profiled_at_ns", at));
    }
    if (err)
        return err;
    dp_buf_init(&tmp);
    if (!json) {
        if (dp_profile_json_write(&tmp, p)) {
            dp_buf_fini(&tmp);
            return DP_ENOMEM;
        }
        json = tmp.data;
        json_len = tmp.len;
    }
    while (json_len && json[json_len - 1] == '\n')
        json_len--;
    err = put_row(profiles,
                  json_pack("{s:s,s:s,s:I,s:s%,s:I}", "trace_id",
                            p->trace_id_hex, "dag_id", dag, "start", start_s,
                            "json", json, json_len, "profiled_at_ns", at));
    dp_buf_fini(&tmp);
    return err;
}

/* The model_calls rows of p (as the SQLite store's insert_models): per
 * model, its LLM calls that reported output tokens, their count, summed
 * time and output tokens. */
int dp__ch_encode_models(const dp_profile *p, dp_buf *models)
{
    bool *done = p->n_calls ? calloc(p->n_calls, sizeof(*done)) : NULL;
    if (p->n_calls && !done)
        return DP_ENOMEM;
    json_int_t start_s = (json_int_t)(p->start_unix_ns / 1000000000u);
    json_int_t at = (json_int_t)p->profiled_at_unix_ns;
    const char *dag = p->dag_id ? p->dag_id : "";
    int err = 0;
    for (size_t i = 0; i < p->n_calls && !err; i++) {
        const dp_call *c = &p->calls[i];
        if (done[i] || c->kind != DP_CALL_LLM || !c->name || !c->name[0] ||
            !(c->tokens.known & DP_TOK_OUTPUT))
            continue;
        int64_t calls = 0, ns = 0, out = 0;
        for (size_t j = i; j < p->n_calls; j++) {
            const dp_call *d = &p->calls[j];
            if (done[j] || d->kind != DP_CALL_LLM || !d->name ||
                strcmp(d->name, c->name) != 0 ||
                !(d->tokens.known & DP_TOK_OUTPUT))
                continue;
            done[j] = true;
            calls++;
            if (d->end_ns > d->start_ns)
                ns += d->end_ns - d->start_ns;
            out += d->tokens.output > 0 ? d->tokens.output : 0;
        }
        err = put_row(models, json_pack("{s:s,s:s,s:I,s:s,s:I,s:I,s:I,s:I}",
                                        "trace_id", p->trace_id_hex, "dag_id",
                                        dag, "start", start_s, "model", c->name,
                                        "calls", (json_int_t)calls, "llm_ns",
                                        (json_int_t)ns, "output_tokens",
                                        (json_int_t)out, "profiled_at_ns", at));
    }
    free(done);
    return err;
}

int dp__ch_each_row(const char *body, size_t len, dp_ch_row_fn fn, void *user)
{
    size_t i = 0;
    while (i < len) {
        const char *nl = memchr(body + i, '\n', len - i);
        size_t end = nl ? (size_t)(nl - body) : len;
        if (end > i) {
            json_error_t je;
            json_t *o = json_loadb(body + i, end - i, 0, &je);
            if (!o || !json_is_object(o)) {
                json_decref(o);
                return DP_EINVAL;
            }
            int err = fn(user, o);
            json_decref(o);
            if (err)
                return err;
        }
        i = end + 1;
    }
    return 0;
}

int64_t dp__ch_i64(void *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    if (json_is_integer(v))
        return (int64_t)json_integer_value(v);
    if (json_is_real(v))
        return (int64_t)json_real_value(v);
    if (json_is_string(v))
        return strtoll(json_string_value(v), NULL, 10);
    return 0;
}

static const char *str_field(void *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

int dp__ch_decode_run(void *obj, dp_history_run *r)
{
    memset(r, 0, sizeof(*r));
    r->trace_id = str_field(obj, "trace_id");
    r->dag_id = str_field(obj, "dag_id");
    if (!r->dag_id)
        r->dag_id = "";
    r->version = str_field(obj, "version");
    r->session_id = str_field(obj, "session_id");
    r->service_name = str_field(obj, "service_name");
    r->start_unix_ns = (uint64_t)dp__ch_i64(obj, "start_ns");
    r->wall_ns = dp__ch_i64(obj, "wall_ns");
    r->critical_path_ns = dp__ch_i64(obj, "critical_path_ns");
    json_t *e = json_object_get(obj, "efficiency");
    r->efficiency = json_is_number(e) ? json_number_value(e) : 0;
    r->tokens = dp__ch_i64(obj, "total_tokens");
    r->cost_pusd = dp__ch_i64(obj, "cost_pusd");
    r->complete = json_object_get(obj, "complete")
                      ? dp__ch_i64(obj, "complete") != 0
                      : true;
    r->incomplete_reason = str_field(obj, "incomplete_reason");
    r->span_count = (uint64_t)dp__ch_i64(obj, "span_count");
    r->node_count = (uint32_t)dp__ch_i64(obj, "node_count");
    r->failed_nodes = (uint32_t)dp__ch_i64(obj, "failed_nodes");
    r->top_bottleneck = str_field(obj, "top_bottleneck");
    r->top_bottleneck_node = str_field(obj, "top_bottleneck_node");
    return r->dag_id ? 0 : DP_EINVAL;
}
