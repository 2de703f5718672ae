/*
 * otlp_http_prot.c - OTLP/HTTP/1.1 receiver: the wire protocol.
 *
 * The http-parser callbacks for one connection (otlp_http.c feeds them the
 * bytes): they collect the path and the three headers that matter
 * (Content-Type, Content-Encoding, Expect), route the request, buffer a
 * `POST /v1/traces` body up to max_body_bytes, inflate gzip/deflate bodies
 * with the same limit on the output (inflation stops one byte past it, so a
 * gzip bomb costs at most max_body_bytes), call the dp_export_fn and encode
 * its dp_export_result as the OTLP reply: an ExportTraceServiceResponse in
 * the request's encoding, or an error status whose body is a
 * google.rpc.Status in that encoding. Framing (Content-Length, chunked,
 * pipelining, keep-alive rules) is http-parser's; nothing here parses the
 * request line or header syntax by hand.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>
#include <zlib.h>

#include "dp_wire.h"
#include "inflate.h"
#include "log.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb-c.h"
#include "otlp_http_internal.h"
#include "processor.h"

typedef dp__http_conn conn;
/* A spare body of at least need bytes (its capacity in *cap), else a new
 * one; NULL on ENOMEM. Loop thread only. */
static uint8_t *body_take(dp_http_server *s, size_t need, size_t *cap)
{
    for (size_t i = s->n_spare; i-- > 0;) {
        if (s->spare_cap[i] < need)
            continue;
        uint8_t *b = s->spare_body[i];
        *cap = s->spare_cap[i];
        s->n_spare--;
        s->spare_body[i] = s->spare_body[s->n_spare];
        s->spare_cap[i] = s->spare_cap[s->n_spare];
        return b;
    }
    *cap = need;
    return malloc(need ? need : 1);
}

/* Keeps a finished request's body for the next request, or frees it. */
static void body_give(dp_http_server *s, uint8_t *b, size_t cap)
{
    if (!b)
        return;
    if (cap > DP__HTTP_SPARE_MAX) {
        free(b);
        return;
    }
    if (s->n_spare == DP__HTTP_SPARE_BODIES) {
        /* Full: keep the larger of this one and the smallest kept. */
        size_t min = 0;
        for (size_t i = 1; i < s->n_spare; i++)
            if (s->spare_cap[i] < s->spare_cap[min])
                min = i;
        if (s->spare_cap[min] >= cap) {
            free(b);
            return;
        }
        free(s->spare_body[min]);
        s->spare_body[min] = b;
        s->spare_cap[min] = cap;
        return;
    }
    s->spare_body[s->n_spare] = b;
    s->spare_cap[s->n_spare++] = cap;
}

void dp__http_free_spares(dp_http_server *s)
{
    for (size_t i = 0; i < s->n_spare; i++)
        free(s->spare_body[i]);
    s->n_spare = 0;
}

void dp__http_reset_request(conn *c)
{
    body_give(c->srv, c->body, c->body_cap);
    c->body = NULL;
    c->body_len = c->body_cap = c->discarded = 0;
    c->url_len = c->hname_len = 0;
    c->url_over = c->hname_over = false;
    c->hdr_in_value = true; /* the first field callback starts a header */
    c->cur_hdr = DP__HDR_OTHER;
    memset(c->hdrs, 0, sizeof(c->hdrs));
    c->route = DP__ROUTE_NONE;
    c->get = NULL;
    c->fmt_known = c->is_head = false;
    c->fmt = DP_PAYLOAD_PROTO;
    c->enc = DP__ENC_IDENTITY;
    c->reject_status = 0;
    c->reject_msg = c->reject_extra = NULL;
}

/* ------------------------------------------------------------------------ */
/* Reply bodies.                                                            */

/* A JSON string for s; bytes jansson refuses (invalid UTF-8) become '?'. */
static json_t *json_str_safe(const char *s)
{
    json_t *j = json_string(s);
    if (j)
        return j;
    char tmp[512];
    size_t i = 0;
    for (; s[i] && i + 1 < sizeof(tmp); i++)
        tmp[i] = (unsigned char)s[i] < 0x80 ? s[i] : '?';
    tmp[i] = '\0';
    return json_string(tmp);
}

static int grpc_code_for(int status)
{
    switch (status) {
    case 400:
    case 415:
        return 3; /* INVALID_ARGUMENT */
    case 404:
    case 405:
        return 12; /* UNIMPLEMENTED */
    case 408:
        return 4; /* DEADLINE_EXCEEDED */
    case 413:
        return 8; /* RESOURCE_EXHAUSTED */
    case 500:
        return 13; /* INTERNAL */
    case 503:
        return 14; /* UNAVAILABLE */
    default:
        return 2; /* UNKNOWN */
    }
}

/* Replies with an error status. On /v1/traces with a known content type
 * the body is a google.rpc.Status (code = 1, message = 2) in that encoding;
 * otherwise it is the message as text. */
void dp__http_reply_error(conn *c, int status, const char *msg,
                          const char *extra, bool close)
{
    if (status >= 500)
        dp_log_warn(DP__HTTP_COMPONENT, "%d: %s", status, msg);
    else
        dp_log_debug(DP__HTTP_COMPONENT, "%d: %s", status, msg);
    if (c->route != DP__ROUTE_TRACES || !c->fmt_known) {
        char text[320];
        int n = snprintf(text, sizeof(text), "%.300s\n", msg);
        dp__http_reply(c, status, "text/plain; charset=utf-8", text, (size_t)n,
                       extra, close);
        return;
    }
    int code = grpc_code_for(status);
    if (c->fmt == DP_PAYLOAD_PROTO) {
        uint8_t buf[DP_WIRE_STATUS_MAX(256)];
        size_t mlen = strnlen(msg, 256);
        size_t n = dp_wire_put_status(buf, (uint32_t)code, msg, mlen, -1);
        dp__http_reply(c, status, "application/x-protobuf", buf, n, extra,
                       close);
        return;
    }
    json_t *o = json_object();
    json_object_set_new(o, "code", json_integer(code));
    json_object_set_new(o, "message", json_str_safe(msg));
    char *text = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    if (text)
        dp__http_reply(c, status, "application/json", text, strlen(text), extra,
                       close);
    else
        dp__http_reply(c, 500, "text/plain", "out of memory\n", 14, NULL, true);
    free(text);
}

/* 200 with an ExportTraceServiceResponse in the request's encoding; the
 * partial_success field is present when spans were rejected or the handler
 * left a message. */
static void reply_export_ok(conn *c, const dp_export_result *r, bool close)
{
    bool partial = r->rejected_spans > 0 || r->error_message[0];
    if (c->fmt == DP_PAYLOAD_PROTO) {
        uint8_t buf[DP_WIRE_EXPORT_RESPONSE_MAX(sizeof(r->error_message))];
        size_t n = dp_wire_put_export_response(buf, partial, r->rejected_spans,
                                               r->error_message);
        dp__http_reply(c, 200, "application/x-protobuf", buf, n, NULL, close);
        return;
    }
    json_t *o = json_object();
    if (partial) {
        char num[24];
        snprintf(num, sizeof(num), "%" PRId64, r->rejected_spans);
        json_t *ps = json_object();
        json_object_set_new(ps, "rejectedSpans", json_string(num));
        if (r->error_message[0])
            json_object_set_new(ps, "errorMessage",
                                json_str_safe(r->error_message));
        json_object_set_new(o, "partialSuccess", ps);
    }
    char *text = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    if (text)
        dp__http_reply(c, 200, "application/json", text, strlen(text), NULL,
                       close);
    else
        dp__http_reply(c, 500, "text/plain", "out of memory\n", 14, NULL, true);
    free(text);
}

/* ------------------------------------------------------------------------ */
/* Bodies: decompression and export.                                        */

static void handle_export(conn *c, bool close)
{
    dp_http_server *s = c->srv;
    static const uint8_t empty[1];
    const uint8_t *body = c->body ? c->body : empty;
    size_t len = c->body_len;
    uint8_t *inflated = NULL;
    if (c->enc == DP__ENC_GZIP || c->enc == DP__ENC_DEFLATE) {
        int rc = dp__inflate_bounded(body, len, c->enc == DP__ENC_GZIP,
                                     s->cfg.max_body_bytes, &inflated, &len);
        if (rc == DP_ETOOBIG) {
            dp__http_reply_error(c, 413, c->srv->inflated_too_big_msg, NULL,
                                 close);
            return;
        }
        if (rc < 0) {
            dp__http_reply_error(c, rc == DP_ENOMEM ? 500 : 400,
                                 rc == DP_ENOMEM
                                     ? "out of memory"
                                     : "body is not valid compressed data",
                                 NULL, close);
            return;
        }
        body = inflated;
    }
    dp_export_result r;
    memset(&r, 0, sizeof(r));
    r.can_defer = s->poll && !c->ssl; /* TLS input cannot be paused here */
    s->handler(s->user, c->fmt, body, len, &r);
    free(inflated);
    if (r.defer_ticket && dp__http_defer(c, &r, close))
        return;           /* replied by dp__http_on_wake */
    if (r.defer_ticket) { /* accepted, but not known to be on disk */
        dp__http_reply_error(c, 503, "out of memory", NULL, close);
        return;
    }
    dp__http_reply_export(c, &r, close);
}

void dp__http_reply_export(conn *c, dp_export_result *rp, bool close)
{
    dp_export_result r = *rp;
    dp_http_server *s = c->srv;
    r.error_message[sizeof(r.error_message) - 1] = '\0';
    const char *msg = r.error_message;
    switch (r.outcome) {
    case DP_EXPORT_OK:
        reply_export_ok(c, &r, close);
        break;
    case DP_EXPORT_BAD_DATA:
        dp__http_reply_error(
            c, 400, msg[0] ? msg : "request could not be decoded", NULL, close);
        break;
    case DP_EXPORT_UNAVAILABLE: {
        char extra[48];
        snprintf(extra, sizeof(extra), "Retry-After: %" PRIu32 "\r\n",
                 r.retry_after_s ? r.retry_after_s : s->cfg.retry_after_s);
        dp__http_reply_error(c, 503,
                             msg[0] ? msg : "temporarily unavailable, retry",
                             extra, close);
        break;
    }
    default:
        dp__http_reply_error(c, 500, msg[0] ? msg : "internal error", NULL,
                             close);
        break;
    }
}

static void handle_get(conn *c, bool close)
{
    dp_http_page pg = {0};
    int status;
    if (c->get->page)
        status = c->get->page(c->get->user, c->url, c->url_len, &pg);
    else
        status = c->get->fn(c->get->user, &pg.body, &pg.len, &pg.content_type);
    if (status < 100 || status > 599)
        status = 500;
    if (!pg.body)
        pg.len = 0;
    dp__http_reply(c, status,
                   pg.content_type ? pg.content_type
                                   : "text/plain; charset=utf-8",
                   pg.body, pg.len, pg.headers, close);
    free(pg.body);
    free(pg.headers);
}

/* ------------------------------------------------------------------------ */
/* http-parser callbacks. Each returns non-zero to stop the parser once the */
/* connection is ending; on_read then ignores the parser's error.           */

static bool ieq(const char *a, size_t alen, const char *b)
{
    return alen == strlen(b) && strncasecmp(a, b, alen) == 0;
}

/* Trims HTTP whitespace around [*p, *p + *n) and cuts at the first ';'. */
static void trim_value(const char **p, size_t *n, bool cut_params)
{
    const char *s = *p, *e = s + *n;
    if (cut_params) {
        const char *semi = memchr(s, ';', *n);
        if (semi)
            e = semi;
    }
    while (s < e && (*s == ' ' || *s == '\t'))
        s++;
    while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
        e--;
    *p = s;
    *n = (size_t)(e - s);
}

static int on_message_begin(http_parser *p)
{
    conn *c = p->data;
    if (c->state != DP__CONN_OPEN)
        return -1;
    dp__http_reset_request(c);
    dp__http_request_begin(c);
    return 0;
}

static int on_url(http_parser *p, const char *at, size_t len)
{
    conn *c = p->data;
    if (c->url_len + len > DP__HTTP_URL_MAX) {
        c->url_over = true;
        return 0;
    }
    memcpy(c->url + c->url_len, at, len);
    c->url_len += len;
    return 0;
}

static int on_header_field(http_parser *p, const char *at, size_t len)
{
    conn *c = p->data;
    if (c->hdr_in_value) {
        c->hdr_in_value = false;
        c->hname_len = 0;
        c->hname_over = false;
    }
    if (c->hname_len + len > DP__HTTP_HNAME_MAX) {
        c->hname_over = true;
        return 0;
    }
    memcpy(c->hname + c->hname_len, at, len);
    c->hname_len += len;
    return 0;
}

static int on_header_value(http_parser *p, const char *at, size_t len)
{
    conn *c = p->data;
    if (!c->hdr_in_value) {
        c->hdr_in_value = true;
        c->cur_hdr = DP__HDR_OTHER;
        if (c->hname_over) /* longer than any name we look for */
            c->cur_hdr = DP__HDR_OTHER;
        else if (ieq(c->hname, c->hname_len, "content-type"))
            c->cur_hdr = DP__HDR_CONTENT_TYPE;
        else if (ieq(c->hname, c->hname_len, "content-encoding"))
            c->cur_hdr = DP__HDR_CONTENT_ENCODING;
        else if (ieq(c->hname, c->hname_len, "expect"))
            c->cur_hdr = DP__HDR_EXPECT;
        else if (ieq(c->hname, c->hname_len, "authorization"))
            c->cur_hdr = DP__HDR_AUTHORIZATION;
        if (c->cur_hdr != DP__HDR_OTHER && c->hdrs[c->cur_hdr].len > 0)
            on_header_value(p, ", ", 2); /* a repeated header: a list */
    }
    if (c->cur_hdr == DP__HDR_OTHER)
        return 0;
    dp__http_hval *h = &c->hdrs[c->cur_hdr];
    if (h->len + len >= sizeof(h->s)) {
        h->over = true;
        return 0;
    }
    memcpy(h->s + h->len, at, len);
    h->len += len;
    h->s[h->len] = '\0';
    return 0;
}

/* FNV-1a of method and path (which unknown routes were logged). */
static uint64_t path_hash(const char *path, size_t len, const char *m)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (; *m; m++)
        h = (h ^ (uint8_t)*m) * 0x100000001b3ULL;
    for (size_t i = 0; i < len; i++)
        h = (h ^ (uint8_t)path[i]) * 0x100000001b3ULL;
    return h;
}

static void defer_reject(conn *c, int status, const char *msg,
                         const char *extra)
{
    c->reject_status = status;
    c->reject_msg = msg;
    c->reject_extra = extra;
}

/* A request for a path or method that does not exist: counted, and each
 * distinct path logged once at warn (at most 64 are remembered; later new
 * ones go to debug), with what the server does answer. */
static void unknown_route(dp_http_server *s, const char *method,
                          const char *path, size_t len)
{
    atomic_fetch_add_explicit(&s->st_unknown_route, 1, memory_order_relaxed);
    uint64_t h = path_hash(path, len, method);
    for (size_t i = 0; i < s->n_logged_paths; i++)
        if (s->logged_paths[i] == h)
            return;
    int shown = len > 200 ? 200 : (int)len;
    if (s->n_logged_paths == sizeof(s->logged_paths) / sizeof(uint64_t)) {
        dp_log_debug("receiver:http", "%s %.*s: no such route", method, shown,
                     path);
        return;
    }
    s->logged_paths[s->n_logged_paths++] = h;
    dp_log_warn("receiver:http",
                "%s %.*s: no such route (%s; OTLP/HTTP exporters need the "
                "full URL, e.g. http://HOST:PORT/v1/traces)",
                method, shown, path, s->routes_msg);
}

/* True when the request needs a bearer token: tokens are configured, and
 * it is not POST /v1/traces with auth_traces off nor under an open path
 * (an open path matches itself and what lies below it). */
static bool needs_token(const dp_http_server *s, const conn *c,
                        const char *path, size_t len)
{
    if (!s->cfg.auth)
        return false;
    if (c->route == DP__ROUTE_TRACES)
        return s->cfg.auth_traces;
    for (size_t i = 0; i < s->cfg.n_open_paths; i++) {
        const char *o = s->cfg.open_paths[i];
        size_t n = strlen(o);
        if (len >= n && memcmp(path, o, n) == 0 &&
            (len == n || path[n] == '/' || o[n - 1] == '/'))
            return false;
    }
    return true;
}

/* Picks the route and the reply for errors known from the headers alone.
 * Deferred errors are sent at message complete after the body is skipped,
 * keeping the connection; they are sent at once (and the connection
 * closed) when the client waits on 100-continue or announced a body over
 * the limit. */
static int on_headers_complete(http_parser *p)
{
    conn *c = p->data;
    dp_http_server *s = c->srv;
    if (c->state != DP__CONN_OPEN)
        return -1;
    c->in_body = true;
    c->is_head = p->method == HTTP_HEAD;
    struct http_parser_url u;
    http_parser_url_init(&u);
    const char *path = "";
    size_t path_len = 0;
    if (!c->url_over &&
        http_parser_parse_url(c->url, c->url_len, p->method == HTTP_CONNECT,
                              &u) == 0 &&
        (u.field_set & (1 << UF_PATH))) {
        path = c->url + u.field_data[UF_PATH].off;
        path_len = u.field_data[UF_PATH].len;
    }
    bool has_len = (p->flags & F_CONTENTLENGTH) != 0;
    bool has_body = (p->flags & F_CHUNKED) || (has_len && p->content_length);
    bool too_big = has_len && p->content_length > s->cfg.max_body_bytes;
    dp__http_hval *ex = &c->hdrs[DP__HDR_EXPECT];
    bool expect_100 = !ex->over && p->http_major == 1 && p->http_minor >= 1 &&
                      ieq(ex->s, ex->len, "100-continue");

    if (ieq(path, path_len, DP__HTTP_TRACES_PATH)) {
        c->route = DP__ROUTE_TRACES;
        dp__http_hval *ct = &c->hdrs[DP__HDR_CONTENT_TYPE],
                      *ce = &c->hdrs[DP__HDR_CONTENT_ENCODING];
        const char *v = ct->s;
        size_t n = ct->len;
        trim_value(&v, &n, true);
        if (!ct->over && ieq(v, n, "application/x-protobuf")) {
            c->fmt_known = true;
            c->fmt = DP_PAYLOAD_PROTO;
        } else if (!ct->over && ieq(v, n, "application/json")) {
            c->fmt_known = true;
            c->fmt = DP_PAYLOAD_JSON;
        }
        v = ce->s;
        n = ce->len;
        trim_value(&v, &n, false);
        if (ce->over)
            c->enc = DP__ENC_UNSUPPORTED;
        else if (n == 0 || ieq(v, n, "identity"))
            c->enc = DP__ENC_IDENTITY;
        else if (ieq(v, n, "gzip") || ieq(v, n, "x-gzip"))
            c->enc = DP__ENC_GZIP;
        else if (ieq(v, n, "deflate"))
            c->enc = DP__ENC_DEFLATE;
        else
            c->enc = DP__ENC_UNSUPPORTED;
        if (p->method != HTTP_POST) {
            unknown_route(s, http_method_str(p->method), path, path_len);
            defer_reject(c, 405,
                         "only POST is allowed on " DP__HTTP_TRACES_PATH,
                         "Allow: POST\r\n");
        } else if (!c->fmt_known)
            defer_reject(c, 415,
                         "unsupported content type; use "
                         "application/x-protobuf or application/json",
                         NULL);
        else if (c->enc == DP__ENC_UNSUPPORTED)
            defer_reject(c, 415,
                         "unsupported content encoding; use gzip, deflate "
                         "or identity",
                         NULL);
        else if (too_big) {
            dp__http_reply_error(c, 413, c->srv->too_big_msg, NULL, true);
            return -1;
        }
    } else {
        for (size_t i = 0; i < s->n_routes && !c->get; i++)
            if (!s->routes[i].page && ieq(path, path_len, s->routes[i].path))
                c->get = &s->routes[i];
        for (size_t i = 0; i < s->n_routes && !c->get; i++) {
            const char *r = s->routes[i].path;
            size_t n = strlen(r);
            if (s->routes[i].page &&
                ((path_len >= n && memcmp(path, r, n) == 0) ||
                 (path_len == n - 1 && memcmp(path, r, n - 1) == 0)))
                c->get = &s->routes[i];
        }
        if (!c->get) {
            unknown_route(s, http_method_str(p->method), path, path_len);
            defer_reject(c, 404, s->routes_msg, NULL);
        } else if (p->method != HTTP_GET && p->method != HTTP_HEAD) {
            unknown_route(s, http_method_str(p->method), path, path_len);
            defer_reject(c, 405, "only GET is allowed here",
                         "Allow: GET, HEAD\r\n");
        } else
            c->route = DP__ROUTE_GET;
    }
    if (needs_token(s, c, path, path_len)) {
        dp__http_hval *a = &c->hdrs[DP__HDR_AUTHORIZATION];
        if (a->over || !dp_auth_check(s->cfg.auth, a->s, a->len)) {
            /* Nothing about the route or the token is said. A body is not
             * read: the reply goes now and the connection closes. */
            c->route = DP__ROUTE_NONE;
            c->get = NULL;
            defer_reject(c, 401, "unauthenticated",
                         "WWW-Authenticate: Bearer\r\n");
            if (has_body) {
                dp__http_reply_error(c, 401, c->reject_msg, c->reject_extra,
                                     true);
                return -1;
            }
        }
    }
    if (c->reject_status && has_body && (expect_100 || too_big)) {
        dp__http_reply_error(c, c->reject_status, c->reject_msg,
                             c->reject_extra, true);
        return -1;
    }
    if (!c->reject_status && has_len && c->route == DP__ROUTE_TRACES &&
        p->content_length > 0) {
        c->body = body_take(s, p->content_length, &c->body_cap);
        if (!c->body) {
            dp__http_reply_error(c, 500, "out of memory", NULL, true);
            return -1;
        }
    }
    if (expect_100 && has_body)
        dp__http_write(c, "HTTP/1.1 100 Continue\r\n\r\n", 25);
    return c->state == DP__CONN_OPEN ? 0 : -1;
}

static int on_body(http_parser *p, const char *at, size_t len)
{
    conn *c = p->data;
    size_t max = c->srv->cfg.max_body_bytes;
    if (c->state != DP__CONN_OPEN)
        return -1;
    if (c->reject_status || c->route != DP__ROUTE_TRACES) {
        c->discarded += len;
        if (c->discarded <= max)
            return 0;
        if (c->reject_status)
            dp__http_reply_error(c, c->reject_status, c->reject_msg,
                                 c->reject_extra, true);
        else
            dp__http_reply_error(c, 413, c->srv->too_big_msg, NULL, true);
        return -1;
    }
    if (len > max - c->body_len) {
        dp__http_reply_error(c, 413, c->srv->too_big_msg, NULL, true);
        return -1;
    }
    if (!c->body) {
        /* Chunked: start from a spare body. */
        size_t need = len > 65536 ? len : 65536;
        c->body = body_take(c->srv, need < max ? need : max, &c->body_cap);
        if (!c->body) {
            dp__http_reply_error(c, 500, "out of memory", NULL, true);
            return -1;
        }
    }
    if (c->body_len + len > c->body_cap) {
        size_t ncap = c->body_cap ? c->body_cap * 2 : 65536;
        while (ncap < c->body_len + len)
            ncap *= 2;
        if (ncap > max)
            ncap = max;
        uint8_t *nb = realloc(c->body, ncap);
        if (!nb) {
            dp__http_reply_error(c, 500, "out of memory", NULL, true);
            return -1;
        }
        c->body = nb;
        c->body_cap = ncap;
    }
    memcpy(c->body + c->body_len, at, len);
    c->body_len += len;
    return 0;
}

static int on_message_complete(http_parser *p)
{
    conn *c = p->data;
    dp_http_server *s = c->srv;
    if (c->state != DP__CONN_OPEN)
        return -1;
    c->in_request = c->in_body = false;
    bool close = !http_should_keep_alive(p) || s->shutting_down || p->upgrade;
    int fmt = c->fmt;
    if (c->reject_status)
        dp__http_reply_error(c, c->reject_status, c->reject_msg,
                             c->reject_extra, close);
    else if (c->route == DP__ROUTE_TRACES)
        handle_export(c, close);
    else if (c->route == DP__ROUTE_GET)
        handle_get(c, close);
    dp__http_reset_request(c);
    if (c->deferred) { /* input stays unparsed until the reply is out */
        c->deferred_fmt = fmt;
        http_parser_pause(p, 1);
    }
    dp__http_request_end(c);
    return c->state == DP__CONN_OPEN ? 0 : -1;
}

static http_parser_settings parser_settings;
static uv_once_t settings_once = UV_ONCE_INIT;

static void init_settings(void)
{
    http_parser_settings_init(&parser_settings);
    parser_settings.on_message_begin = on_message_begin;
    parser_settings.on_url = on_url;
    parser_settings.on_header_field = on_header_field;
    parser_settings.on_header_value = on_header_value;
    parser_settings.on_headers_complete = on_headers_complete;
    parser_settings.on_body = on_body;
    parser_settings.on_message_complete = on_message_complete;
}

const http_parser_settings *dp__http_parser_settings(void)
{
    uv_once(&settings_once, init_settings);
    return &parser_settings;
}
