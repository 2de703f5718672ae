/*
 * span_expect.h - expectations for the processor's scenario tests: the
 * profiles built from span_builder.h traces are compared with
 * hand-computed values, field by field, and a mismatch names the field,
 * the value and the one expected (node timing, dependencies with their
 * source, the critical path, run-level timing and ratios, tokens, and two
 * whole profiles against each other). Times are milliseconds from the run
 * start, as in span_builder.h. Static inline: each test is its own
 * executable.
 */
#ifndef DP_TESTS_SPAN_EXPECT_H
#define DP_TESTS_SPAN_EXPECT_H

#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "span_builder.h"

/* ---- assertions with readable messages --------------------------------- */

static inline void sb_eq_i64(const char *what, int64_t got, int64_t want,
                             const char *file, int line)
{
    if (got != want) {
        print_error("%s = %lld, expected %lld\n", what, (long long)got,
                    (long long)want);
        _fail(file, line);
    }
}

static inline void sb_eq_dbl(const char *what, double got, double want,
                             const char *file, int line)
{
    if (!isfinite(got) || fabs(got - want) > 1e-9 * (fabs(want) + 1.0)) {
        print_error("%s = %.12g, expected %.12g\n", what, got, want);
        _fail(file, line);
    }
}

static inline void sb_eq_str(const char *what, const char *got,
                             const char *want, const char *file, int line)
{
    if (got == NULL || strcmp(got, want) != 0) {
        print_error("%s = '%s', expected '%s'\n", what, got ? got : "(null)",
                    want);
        _fail(file, line);
    }
}

/* Times: got in ns, want in ms. */
#define SB_EQ_MS(got, want_ms)                                                 \
    sb_eq_i64(#got, (int64_t)(got), SB_MS(want_ms), __FILE__, __LINE__)
#define SB_EQ(got, want)                                                       \
    sb_eq_i64(#got, (int64_t)(got), (int64_t)(want), __FILE__, __LINE__)
#define SB_EQ_DBL(got, want)                                                   \
    sb_eq_dbl(#got, (double)(got), (double)(want), __FILE__, __LINE__)
#define SB_EQ_STR(got, want) sb_eq_str(#got, (got), (want), __FILE__, __LINE__)

/* Expected timing of one node; times in ms from run start. */
typedef struct sb_node_expect {
    const char *id;
    int64_t start, end, duration, wait, dep_wait, queue, exec;
    int64_t self, llm, tool;
    uint32_t attempts, retries;
    int status;
} sb_node_expect;

/* Asserts the node at index idx is e->id with every field of e. */
static inline void sb_assert_node_at(const dp_profile *prof, size_t idx,
                                     const sb_node_expect *e, const char *file,
                                     int line)
{
    if (idx >= prof->n_nodes) {
        print_error("node index %zu out of range (%zu nodes)\n", idx,
                    prof->n_nodes);
        _fail(file, line);
    }
    const dp_node *n = &prof->nodes[idx];
    char what[160];
#define SB__F(field, want)                                                     \
    do {                                                                       \
        snprintf(what, sizeof(what), "node[%zu] %.60s " #field, idx, e->id);   \
        sb_eq_i64(what, (int64_t)n->field, (int64_t)(want), file, line);       \
    } while (0)
    snprintf(what, sizeof(what), "node[%zu].id", idx);
    sb_eq_str(what, n->id, e->id, file, line);
    SB__F(start_ns, SB_MS(e->start));
    SB__F(end_ns, SB_MS(e->end));
    SB__F(duration_ns, SB_MS(e->duration));
    SB__F(wait_ns, SB_MS(e->wait));
    SB__F(dependency_wait_ns, SB_MS(e->dep_wait));
    SB__F(queue_delay_ns, SB_MS(e->queue));
    SB__F(execution_ns, SB_MS(e->exec));
    SB__F(self_ns, SB_MS(e->self));
    SB__F(llm_ns, SB_MS(e->llm));
    SB__F(tool_ns, SB_MS(e->tool));
    SB__F(attempts, e->attempts);
    SB__F(retries, e->retries);
    SB__F(status, e->status);
#undef SB__F
}
#define SB_ASSERT_NODE_AT(prof, idx, ...)                                      \
    do {                                                                       \
        sb_node_expect sb__e = __VA_ARGS__;                                    \
        sb_assert_node_at((prof), (idx), &sb__e, __FILE__, __LINE__);          \
    } while (0)

/* Asserts node id depends on exactly the NULL-terminated list of node ids
 * (in any order) with dependency source src (SB_ANY_SOURCE: not checked). */
#define SB_ANY_SOURCE (-1)
static inline void sb_assert_deps(const dp_profile *prof, const char *id,
                                  int src, const char *file, int line, ...)
{
    const dp_node *n = sb_node(prof, id);
    const char *want[32];
    size_t nw = 0;
    va_list ap;
    va_start(ap, line);
    for (const char *v = va_arg(ap, const char *); v != NULL;
         v = va_arg(ap, const char *))
        want[nw++] = v;
    va_end(ap);
    bool ok = n->n_deps == nw && (src < 0 || n->dep_source == src);
    for (size_t i = 0; ok && i < nw; i++) {
        bool found = false;
        for (size_t k = 0; k < n->n_deps; k++)
            if (n->deps[k] < prof->n_nodes &&
                strcmp(prof->nodes[n->deps[k]].id, want[i]) == 0)
                found = true;
        ok = found;
    }
    if (!ok) {
        print_error("node %s: deps [", id);
        for (size_t k = 0; k < n->n_deps; k++)
            print_error("%s%s", k ? " " : "",
                        n->deps[k] < prof->n_nodes ? prof->nodes[n->deps[k]].id
                                                   : "?");
        print_error("] source %s, expected [",
                    dp_dep_source_name(n->dep_source));
        for (size_t i = 0; i < nw; i++)
            print_error("%s%s", i ? " " : "", want[i]);
        print_error("] source %s\n",
                    src < 0 ? "(any)" : dp_dep_source_name(src));
        _fail(file, line);
    }
}
#define SB_ASSERT_DEPS(prof, id, src, ...)                                     \
    sb_assert_deps((prof), (id), (src), __FILE__, __LINE__, __VA_ARGS__, NULL)
#define SB_ASSERT_NO_DEPS(prof, id, src)                                       \
    sb_assert_deps((prof), (id), (src), __FILE__, __LINE__, NULL)

/* Asserts the critical path is exactly the NULL-terminated node ids, first
 * to last, and that on_critical_path marks exactly those nodes. */
static inline void sb_assert_cp(const dp_profile *prof, const char *file,
                                int line, ...)
{
    const char *want[32];
    size_t nw = 0;
    va_list ap;
    va_start(ap, line);
    for (const char *v = va_arg(ap, const char *); v != NULL;
         v = va_arg(ap, const char *))
        want[nw++] = v;
    va_end(ap);
    bool ok = prof->n_critical_path == nw;
    for (size_t i = 0; ok && i < nw; i++)
        ok = prof->critical_path[i] < prof->n_nodes &&
             strcmp(prof->nodes[prof->critical_path[i]].id, want[i]) == 0;
    if (!ok) {
        print_error("critical path [");
        for (size_t i = 0; i < prof->n_critical_path; i++)
            print_error("%s%s", i ? " " : "",
                        prof->critical_path[i] < prof->n_nodes
                            ? prof->nodes[prof->critical_path[i]].id
                            : "?");
        print_error("], expected [");
        for (size_t i = 0; i < nw; i++)
            print_error("%s%s", i ? " " : "", want[i]);
        print_error("]\n");
        _fail(file, line);
    }
    for (size_t k = 0; k < prof->n_nodes; k++) {
        bool on = false;
        for (size_t i = 0; i < nw; i++)
            if (strcmp(prof->nodes[k].id, want[i]) == 0)
                on = true;
        if (prof->nodes[k].on_critical_path != on) {
            print_error("node %s on_critical_path = %d, expected %d\n",
                        prof->nodes[k].id, prof->nodes[k].on_critical_path, on);
            _fail(file, line);
        }
    }
}
#define SB_ASSERT_CP(prof, ...)                                                \
    sb_assert_cp((prof), __FILE__, __LINE__, __VA_ARGS__, NULL)

/* Run-level timing: times in ms, ratios exact doubles. */
typedef struct sb_run_expect {
    int64_t wall, cp, sum_exec;
    double efficiency, dag_par, achieved;
    uint32_t peak;
} sb_run_expect;

static inline void sb_assert_run(const dp_profile *prof, const sb_run_expect *e,
                                 const char *file, int line)
{
    sb_eq_i64("wall_ns", prof->wall_ns, SB_MS(e->wall), file, line);
    sb_eq_i64("critical_path_ns", prof->critical_path_ns, SB_MS(e->cp), file,
              line);
    sb_eq_i64("sum_execution_ns", prof->sum_execution_ns, SB_MS(e->sum_exec),
              file, line);
    sb_eq_dbl("parallelization_efficiency", prof->parallelization_efficiency,
              e->efficiency, file, line);
    sb_eq_dbl("dag_parallelism", prof->dag_parallelism, e->dag_par, file, line);
    sb_eq_dbl("achieved_parallelism", prof->achieved_parallelism, e->achieved,
              file, line);
    sb_eq_i64("peak_concurrency", prof->peak_concurrency, e->peak, file, line);
}
#define SB_ASSERT_RUN(prof, ...)                                               \
    do {                                                                       \
        sb_run_expect sb__r = __VA_ARGS__;                                     \
        sb_assert_run((prof), &sb__r, __FILE__, __LINE__);                     \
    } while (0)

/* Asserts a token record field by field. */
#define SB_ASSERT_TOKENS(tok, in, out, cr, cw, rs)                             \
    do {                                                                       \
        SB_EQ((tok).input, (in));                                              \
        SB_EQ((tok).output, (out));                                            \
        SB_EQ((tok).cache_read, (cr));                                         \
        SB_EQ((tok).cache_write, (cw));                                        \
        SB_EQ((tok).reasoning, (rs));                                          \
    } while (0)

/* ---- comparing two profiles -------------------------------------------- */

enum {
    SB_CMP_CALL_NAMES = 1, /* compare tool names of calls too */
    SB_CMP_SPAN_COUNT = 2, /* compare span_count */
    SB_CMP_DEP_SOURCE = 4, /* compare each node's dependency source */
};

static inline void sb_cmp_tokens(const char *what, const dp_tokens *a,
                                 const dp_tokens *b, const char *file, int line)
{
    char w[160];
    snprintf(w, sizeof(w), "%.100s input", what);
    sb_eq_i64(w, a->input, b->input, file, line);
    snprintf(w, sizeof(w), "%.100s output", what);
    sb_eq_i64(w, a->output, b->output, file, line);
    snprintf(w, sizeof(w), "%.100s cache_read", what);
    sb_eq_i64(w, a->cache_read, b->cache_read, file, line);
    snprintf(w, sizeof(w), "%.100s cache_write", what);
    sb_eq_i64(w, a->cache_write, b->cache_write, file, line);
    snprintf(w, sizeof(w), "%.100s reasoning", what);
    sb_eq_i64(w, a->reasoning, b->reasoning, file, line);
}

static inline void sb_cmp_named(const char *what, const dp_named_i64 *a,
                                size_t na, const dp_named_i64 *b, size_t nb,
                                const char *file, int line)
{
    char w[160];
    snprintf(w, sizeof(w), "%.100s count", what);
    sb_eq_i64(w, (int64_t)na, (int64_t)nb, file, line);
    for (size_t i = 0; i < na; i++) {
        snprintf(w, sizeof(w), "%.100s[%.40s]", what, a[i].name);
        sb_eq_i64(w, a[i].value, sb_named(b, nb, a[i].name), file, line);
    }
}

/* Asserts got and want carry the same DAG: dag id, run timing, critical
 * path, tokens, every node (id, timing, attempts, status, deps by id,
 * models, tokens) and every call (kind, node, times, success, tokens; model
 * names always, tool names with SB_CMP_CALL_NAMES). Not compared: ids of
 * the trace, profiledAt, cost and analysis. */
static inline void sb_assert_same_profile(const dp_profile *got,
                                          const dp_profile *want, int flags,
                                          const char *file, int line)
{
    char w[200];
    sb_eq_str("dag_id", got->dag_id, want->dag_id, file, line);
    sb_eq_i64("complete", got->complete, want->complete, file, line);
    sb_eq_i64("incomplete_reason", got->incomplete_reason,
              want->incomplete_reason, file, line);
    sb_eq_i64("start_unix_ns", (int64_t)got->start_unix_ns,
              (int64_t)want->start_unix_ns, file, line);
    if (flags & SB_CMP_SPAN_COUNT)
        sb_eq_i64("span_count", (int64_t)got->span_count,
                  (int64_t)want->span_count, file, line);
    sb_eq_i64("wall_ns", got->wall_ns, want->wall_ns, file, line);
    sb_eq_i64("critical_path_ns", got->critical_path_ns, want->critical_path_ns,
              file, line);
    sb_eq_i64("sum_execution_ns", got->sum_execution_ns, want->sum_execution_ns,
              file, line);
    sb_eq_dbl("parallelization_efficiency", got->parallelization_efficiency,
              want->parallelization_efficiency, file, line);
    sb_eq_dbl("dag_parallelism", got->dag_parallelism, want->dag_parallelism,
              file, line);
    sb_eq_dbl("achieved_parallelism", got->achieved_parallelism,
              want->achieved_parallelism, file, line);
    sb_eq_i64("peak_concurrency", got->peak_concurrency, want->peak_concurrency,
              file, line);
    sb_cmp_tokens("run tokens", &got->tokens, &want->tokens, file, line);
    sb_cmp_named("run tokens_by_model", got->tokens_by_model,
                 got->n_tokens_by_model, want->tokens_by_model,
                 want->n_tokens_by_model, file, line);

    sb_eq_i64("n_nodes", (int64_t)got->n_nodes, (int64_t)want->n_nodes, file,
              line);
    for (size_t i = 0; i < want->n_nodes; i++) {
        const dp_node *a = &got->nodes[i], *b = &want->nodes[i];
        snprintf(w, sizeof(w), "node[%zu].id", i);
        sb_eq_str(w, a->id, b->id, file, line);
#define SB__C(field)                                                           \
    do {                                                                       \
        snprintf(w, sizeof(w), "node %.60s " #field, b->id);                   \
        sb_eq_i64(w, (int64_t)a->field, (int64_t)b->field, file, line);        \
    } while (0)
        SB__C(start_ns);
        SB__C(end_ns);
        SB__C(duration_ns);
        SB__C(wait_ns);
        SB__C(dependency_wait_ns);
        SB__C(queue_delay_ns);
        SB__C(execution_ns);
        SB__C(self_ns);
        SB__C(llm_ns);
        SB__C(tool_ns);
        SB__C(failed_attempts_ns);
        SB__C(attempts);
        SB__C(retries);
        SB__C(status);
        SB__C(n_deps);
        SB__C(n_models);
        SB__C(n_calls);
        SB__C(on_critical_path);
        if (flags & SB_CMP_DEP_SOURCE)
            SB__C(dep_source);
#undef SB__C
        for (size_t k = 0; k < b->n_deps; k++) {
            bool found = false;
            for (size_t j = 0; j < a->n_deps; j++)
                if (strcmp(got->nodes[a->deps[j]].id,
                           want->nodes[b->deps[k]].id) == 0)
                    found = true;
            if (!found) {
                print_error("node %s lacks dependency %s\n", b->id,
                            want->nodes[b->deps[k]].id);
                _fail(file, line);
            }
        }
        for (size_t k = 0; k < b->n_models && k < a->n_models; k++) {
            snprintf(w, sizeof(w), "node %.60s models[%zu]", b->id, k);
            sb_eq_str(w, a->models[k], b->models[k], file, line);
        }
        snprintf(w, sizeof(w), "node %.60s tokens", b->id);
        sb_cmp_tokens(w, &a->tokens, &b->tokens, file, line);
        snprintf(w, sizeof(w), "node %.60s tokens_by_model", b->id);
        sb_cmp_named(w, a->tokens_by_model, a->n_tokens_by_model,
                     b->tokens_by_model, b->n_tokens_by_model, file, line);
    }

    sb_eq_i64("n_critical_path", (int64_t)got->n_critical_path,
              (int64_t)want->n_critical_path, file, line);
    for (size_t i = 0; i < want->n_critical_path; i++) {
        snprintf(w, sizeof(w), "critical_path[%zu]", i);
        sb_eq_str(w, got->nodes[got->critical_path[i]].id,
                  want->nodes[want->critical_path[i]].id, file, line);
    }

    sb_eq_i64("n_calls", (int64_t)got->n_calls, (int64_t)want->n_calls, file,
              line);
    for (size_t i = 0; i < want->n_calls; i++) {
        const dp_call *a = &got->calls[i], *b = &want->calls[i];
        snprintf(w, sizeof(w), "calls[%zu].kind", i);
        sb_eq_i64(w, a->kind, b->kind, file, line);
        snprintf(w, sizeof(w), "calls[%zu].node", i);
        sb_eq_i64(w, a->node, b->node, file, line);
        snprintf(w, sizeof(w), "calls[%zu].start_ns", i);
        sb_eq_i64(w, a->start_ns, b->start_ns, file, line);
        snprintf(w, sizeof(w), "calls[%zu].end_ns", i);
        sb_eq_i64(w, a->end_ns, b->end_ns, file, line);
        snprintf(w, sizeof(w), "calls[%zu].success", i);
        sb_eq_i64(w, a->success, b->success, file, line);
        snprintf(w, sizeof(w), "calls[%zu].tokens", i);
        sb_cmp_tokens(w, &a->tokens, &b->tokens, file, line);
        if (b->kind == DP_CALL_LLM || (flags & SB_CMP_CALL_NAMES)) {
            snprintf(w, sizeof(w), "calls[%zu].name", i);
            sb_eq_str(w, a->name, b->name ? b->name : "", file, line);
        }
    }
}
#define SB_ASSERT_SAME_PROFILE(got, want, flags)                               \
    sb_assert_same_profile((got), (want), (flags), __FILE__, __LINE__)

/* Asserts every ratio of the profile is a finite number. */
#define SB_ASSERT_RATIOS_FINITE(prof)                                          \
    do {                                                                       \
        assert_true(isfinite((prof)->parallelization_efficiency));             \
        assert_true(isfinite((prof)->dag_parallelism));                        \
        assert_true(isfinite((prof)->achieved_parallelism));                   \
    } while (0)

#endif /* DP_TESTS_SPAN_EXPECT_H */
