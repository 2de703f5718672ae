/*
 * otlp_json.c - the single-pass OTLP/JSON decoder (otlp_json.h):
 * a recursive-descent reader specialised for ExportTraceServiceRequest that
 * walks the caller's buffer once with the jansson-compatible tokenizer of
 * otlp_json_lex.h, building no DOM and doing no per-span malloc. This file
 * holds the request level; spans are read in otlp_json_span.c, values
 * converted in otlp_json_conv.c, and the steps both levels take (growing
 * a record array, keys, skipping and capturing values) are in
 * otlp_json_walk.c (see otlp_json_int.h).
 *
 * Flow: the scan fills per-call record arrays (requests, resource spans,
 * scope spans, spans, attributes, array items, links) with views into buf.
 * Each field is resolved when its object closes, as jansson's object would
 * hold it: the last of duplicate keys wins, a lowerCamelCase key beats its
 * snake_case twin, null is absent. Nothing is delivered until the whole
 * text parsed and the request passed tests/reference/otlp_json_ref.c's shape
 * check; then the spans go to the sink in order, with the same messages as
 * tests/reference/otlp_json_ref.c.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "otlp_json_int.h"

/* An array of records (resourceSpans, scopeSpans, spans) into slot, each
 * element read by elem; n_recs is the count of the records it appends. */
static int val_records(scan *sc, int d, cslot *slot, bool camel,
                       int (*elem)(scan *, int), const size_t *n_recs)
{
    int r;

    ENTER(sc, d);
    if (!take(&slot->camel, camel))
        return skip_value(sc, d);
    slot->n = 0;
    if ((r = field_open(sc, d, '[', &slot->st)) <= 0)
        return r;
    slot->off = *n_recs;
    for (r = arr_begin(sc); r == 0; r = arr_next(sc))
        if (elem(sc, d + 1))
            return -1;
    slot->n = *n_recs - slot->off;
    return r < 0 ? -1 : 0;
}

/* One record object (rec, size bytes): obj set when the value is an object,
 * whose members go to member, then appended to the record array *arr (as
 * PUSH does; through VAL_RECORD). A value that is not an object is kept as
 * such. */
static int val_record(scan *sc, int d, bool *obj, member_fn member, void *rec,
                      size_t size, void **arr, size_t *n, size_t *cap)
{
    void *out;

    ENTER(sc, d);
    if (sc->l.tok != '{') {
        if (skip_value(sc, d))
            return -1;
    } else {
        *obj = true;
        if (obj_members(sc, d, member, rec))
            return -1;
    }
    if (!(out = dp__js_push(sc, arr, n, cap, size)))
        return -1;
    memcpy(out, rec, size);
    return 0;
}
#define VAL_RECORD(sc, d, a, rec, member)                                      \
    val_record((sc), (d), &(rec).obj, (member), &(rec), sizeof(rec),           \
               (void **)&(sc)->a, &(sc)->n_##a, &(sc)->cap_##a)

static int ss_member(scan *sc, int d, int k, void *rec)
{
    return k == K_SPANS ? val_records(sc, d, &((ss_rec *)rec)->spans, true,
                                      dp__js_span, &sc->n_sp)
                        : skip_value(sc, d);
}

static int val_ss(scan *sc, int d)
{
    ss_rec rec = {0};

    return VAL_RECORD(sc, d, ss, rec, ss_member);
}

static int resource_member(scan *sc, int d, int k, void *rec)
{
    return k == K_ATTRIBUTES ? dp__js_attrs(sc, d, &((rs_rec *)rec)->res)
                             : skip_value(sc, d);
}

static int rs_member(scan *sc, int d, int k, void *p)
{
    rs_rec *rec = p;

    if (k == K_RESOURCE) {
        memset(&rec->res, 0, sizeof(rec->res));
        return obj_field(sc, d, &rec->res_st, resource_member, rec);
    }
    if (k == K_SSPANS || k == K_SSPANS_S)
        return val_records(sc, d, &rec->scope[0], k == K_SSPANS, val_ss,
                           &sc->n_ss);
    if (k == K_ILS || k == K_ILS_S)
        return val_records(sc, d, &rec->scope[1], k == K_ILS, val_ss,
                           &sc->n_ss);
    return skip_value(sc, d);
}

static int val_rs(scan *sc, int d)
{
    rs_rec rec = {0};

    return VAL_RECORD(sc, d, rs, rec, rs_member);
}

static int rq_member(scan *sc, int d, int k, void *rec)
{
    return k == K_RSPANS || k == K_RSPANS_S
               ? val_records(sc, d, &((rq_rec *)rec)->rss, k == K_RSPANS,
                             val_rs, &sc->n_rs)
               : skip_value(sc, d);
}

/* One request object, or with DP_JSON_SCAN_ARRAY an element of the root
 * array (a value that is not an object is kept as such). */
static int val_request(scan *sc, int d)
{
    rq_rec rec = {0};

    return VAL_RECORD(sc, d, rq, rec, rq_member);
}

/* The whole text: one JSON object or array (jansson without
 * JSON_DECODE_ANY), then only whitespace unless DP_JSON_SCAN_FIRST_VALUE. */
static int parse_root(scan *sc)
{
    jlex *l = &sc->l;
    int r;

    if (jl_next(l))
        return -1;
    if (l->tok != '{' && l->tok != '[')
        return jl_fail_tok(l, JE_SYNTAX, "'[' or '{' expected");
    if (l->tok == '{') {
        if (val_request(sc, 1))
            return -1;
    } else if (!(sc->flags & DP_JSON_SCAN_ARRAY)) {
        if (skip_value(sc, 1) || !PUSH(sc, rq))
            return -1;
        sc->rq[0].obj = false;
    } else {
        for (r = arr_begin(sc); r == 0; r = arr_next(sc))
            if (val_request(sc, 2))
                return -1;
        if (r < 0)
            return -1;
    }
    if (sc->flags & DP_JSON_SCAN_FIRST_VALUE)
        return 0;
    if (jl_next(l))
        return -1;
    if (l->tok != JT_EOF)
        return jl_fail_tok(l, JE_OTHER, "end of file expected");
    return 0;
}

/* tests/reference/otlp_json_ref.c's scope_spans_of: scopeSpans, else the older
 * name. */
static const cslot *scope_of(const rs_rec *r)
{
    return r->scope[0].st > ST_NULL   ? &r->scope[0]
           : r->scope[1].st > ST_NULL ? &r->scope[1]
                                      : NULL;
}

/* tests/reference/otlp_json_ref.c's check_shape, on the records of one request.
 */
static int check_shape(const scan *sc, const rq_rec *rq, dp_decode_ctx *ctx)
{
    if (rq->rss.st == ST_OTHER)
        return dp__decode_shape_error(ctx, DP_SHAPE_RESOURCE_SPANS, 0, 0, 0);
    for (size_t i = 0; rq->rss.st == ST_OK && i < rq->rss.n; i++) {
        const rs_rec *rs = &sc->rs[rq->rss.off + i];
        const cslot *ssa = rs->obj ? scope_of(rs) : NULL;

        if (!rs->obj)
            return dp__decode_shape_error(ctx, DP_SHAPE_RESOURCE_SPAN, i, 0, 0);
        if (rs->res_st == ST_OTHER)
            return dp__decode_shape_error(ctx, DP_SHAPE_RESOURCE, i, 0, 0);
        if (ssa && ssa->st == ST_OTHER)
            return dp__decode_shape_error(ctx, DP_SHAPE_SCOPE_SPANS, i, 0, 0);
        for (size_t k = 0; ssa && k < ssa->n; k++) {
            const ss_rec *ss = &sc->ss[ssa->off + k];
            if (!ss->obj)
                return dp__decode_shape_error(ctx, DP_SHAPE_SCOPE_SPAN, i, k,
                                              0);
            if (ss->spans.st == ST_OTHER)
                return dp__decode_shape_error(ctx, DP_SHAPE_SPANS, i, k, 0);
            for (size_t j = 0; ss->spans.st == ST_OK && j < ss->spans.n; j++)
                if (sc->sp[ss->spans.off + j].kind == SP_NOT_OBJECT)
                    return dp__decode_shape_error(ctx, DP_SHAPE_SPAN, i, k, j);
        }
    }
    return 0;
}

static void deliver_span(scan *sc, dp_decode_ctx *ctx, const sp_rec *r,
                         const dp_attr *res, size_t n_res)
{
    dp_span_in in;

    if (r->kind == SP_REJECT) {
        char id[104]; /* dp__decode_reject shows at most 68 bytes of it */
        size_t n = r->id_len < 100 ? r->id_len : 100;

        memcpy(id, r->id, n);
        id[n] = '\0';
        dp__decode_reject(ctx, r->in.name, r->in.name_len, id, "%s",
                          sc->text + r->why - 1);
        return;
    }
    in = r->in;
    in.attrs = in.n_attrs ? sc->at + r->at_off : NULL;
    in.resource_attrs = n_res ? res : NULL;
    in.n_resource_attrs = n_res;
    in.links = in.n_links ? sc->ln + r->ln_off : NULL;
    dp__decode_deliver(ctx, &in);
}

/* The second half of tests/reference/otlp_json_ref.c's decode: every span of rq
 * in order. */
static void deliver(scan *sc, const rq_rec *rq, dp_decode_ctx *ctx)
{
    for (size_t i = 0; rq->rss.st == ST_OK && i < rq->rss.n; i++) {
        const rs_rec *rs = &sc->rs[rq->rss.off + i];
        const cslot *ssa = scope_of(rs);
        const char *why =
            rs->res_st == ST_OK ? dp__js_attrs_why(sc, &rs->res) : NULL;
        size_t n_res =
            rs->res_st == ST_OK && rs->res.st == ST_OK ? rs->res.n : 0;

        if (why) {
            size_t n = 0;
            for (size_t k = 0; ssa && k < ssa->n; k++)
                n += sc->ss[ssa->off + k].spans.st == ST_OK
                         ? sc->ss[ssa->off + k].spans.n
                         : 0;
            ctx->spans_rejected += n;
            dp__decode_error(ctx,
                             "resourceSpans[%zu].resource: %s; its %zu spans "
                             "were rejected",
                             i, why, n);
            continue;
        }
        for (size_t k = 0; ssa && k < ssa->n; k++) {
            const ss_rec *ss = &sc->ss[ssa->off + k];
            for (size_t j = 0; ss->spans.st == ST_OK && j < ss->spans.n; j++)
                deliver_span(sc, ctx, &sc->sp[ss->spans.off + j],
                             n_res ? sc->at + rs->res.off : NULL, n_res);
        }
    }
}

/* After a complete parse: checks and delivers each request. */
static int deliver_all(scan *sc, dp_decode_ctx *ctx)
{
    int rc = 0;

    /* Array items were recorded as indexes: the arrays stopped moving. */
    for (size_t i = 0; i < sc->n_at; i++)
        if (sc->at[i].value.type == DP_VAL_ARRAY)
            sc->at[i].value.u.arr.items =
                sc->at[i].value.u.arr.n
                    ? sc->va + (uintptr_t)sc->at[i].value.u.arr.items
                    : NULL;
    for (size_t i = 0; i < sc->n_rq; i++) {
        if (!sc->rq[i].obj) {
            if (sc->flags & DP_JSON_SCAN_ARRAY)
                dp__decode_error(ctx,
                                 "array element %zu is not an "
                                 "ExportTraceServiceRequest object",
                                 i);
            else
                dp__decode_error(ctx, "not an ExportTraceServiceRequest: the "
                                      "JSON value is not an object");
            rc = DP_EPARSE;
        } else if (check_shape(sc, &sc->rq[i], ctx)) {
            rc = DP_EPARSE;
        } else {
            deliver(sc, &sc->rq[i], ctx);
        }
    }
    return rc;
}

int dp_otlp_json_scan_ex(dp_decode_ctx *ctx, const char *buf, size_t len,
                         unsigned flags, dp_json_scan_result *res)
{
    dp_json_scan_result own;
    scan sc;
    int rc;

    if (!ctx || !ctx->sink || (!buf && len))
        return DP_EINVAL;
    if (!res)
        res = &own;
    memset(res, 0, sizeof(*res));
    memset(&sc, 0, sizeof(sc));
    sc.l.b = (const unsigned char *)(buf ? buf : "");
    sc.l.len = len;
    sc.flags = flags;
    rc = parse_root(&sc);
    if (sc.nomem || sc.l.nomem) {
        dp__decode_error(ctx, "out of memory decoding a request");
        rc = DP_ENOMEM;
    } else if (rc) {
        jl_error(&sc.l, res->text, sizeof(res->text), &res->line, &res->column,
                 &res->premature);
        res->used = sc.l.err_te - sc.l.drops;
        if (!(flags & DP_JSON_SCAN_QUIET_SYNTAX))
            dp__decode_error(ctx, "malformed JSON at line %d, column %d: %s",
                             res->line, res->column, res->text);
        rc = DP_EPARSE;
    } else {
        res->used = sc.l.te - sc.l.drops;
        rc = deliver_all(&sc, ctx);
    }
    free(sc.rq);
    free(sc.rs);
    free(sc.ss);
    free(sc.sp);
    free(sc.at);
    free(sc.va);
    free(sc.ln);
    free(sc.text);
    free(sc.ub);
    return rc;
}

int dp_otlp_json_scan(dp_decode_ctx *ctx, const char *buf, size_t len)
{
    return dp_otlp_json_scan_ex(ctx, buf, len, 0, NULL);
}
