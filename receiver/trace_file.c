/*
 * trace_file.c - reads a trace file for `dagprof report` and feeds each
 * request to the OTLP decoders (otlp_json.c, otlp_proto.c), which hand the
 * spans to the caller's sink.
 *
 * Input is read in chunks (chunk_in.h) that can look ahead without
 * consuming, so stdin works like a file and memory is the largest record,
 * not the file: AUTO looks at the first non-whitespace byte; JSON lines
 * are decoded line by line, pretty-printed documents one document (or one
 * top-level array) at a time; protobuf frames one frame at a time, and a
 * bare message one resource_spans field at a time. Every malformed piece
 * gives one message naming the file and its line (JSON) or message number
 * and offset (protobuf) and is skipped; the rest goes on.
 */
#include "trace_file.h"
#include "dp_wire.h"
#include "otlp_json.h"
#include "otlp_proto.h"
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A protobuf input that ends within this many bytes is classified
 * (length-delimited or bare) from all of it; a longer one from this much
 * of its start (see decide_prefix). */
#define PROTO_LOOKAHEAD ((size_t)8 << 20)

int dp_trace_format_parse(const char *name)
{
    if (!name)
        return DP_EINVAL;
    if (strcmp(name, "auto") == 0)
        return DP_FORMAT_AUTO;
    if (strcmp(name, "json") == 0 || strcmp(name, "otlp-json") == 0)
        return DP_FORMAT_JSON;
    if (strcmp(name, "proto") == 0 || strcmp(name, "protobuf") == 0 ||
        strcmp(name, "otlp-proto") == 0)
        return DP_FORMAT_PROTO;
    return DP_EINVAL;
}

/* Returns the first non-whitespace byte after an optional UTF-8 byte order
 * mark without consuming anything, or -1 at end of input. *bom tells whether
 * the mark is there; *rc gets a read error. */
static int input_peek(dp_chunk_in *in, bool *bom, int *rc)
{
    *rc = 0;
    *bom = false;
    for (;;) {
        size_t avail = dp_chunk_in_avail(in), i;
        const char *p = dp_chunk_in_data(in);

        if (avail >= 3 || dp_chunk_in_at_eof(in)) {
            *bom = avail >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0;
            for (i = *bom ? 3 : 0; i < avail; i++)
                if (!dp_chunk_in_is_space(p[i]))
                    return (unsigned char)p[i];
            if (dp_chunk_in_at_eof(in))
                return -1;
        }
        if ((*rc = dp_chunk_in_fill(in)))
            return -1;
    }
}

/* ------------------------------------------------------------------------ */
/* The reader: file name, message prefix, outcome.                           */

struct reader {
    dp_decode_ctx *ctx;
    const char *name; /* for messages: the path, "stdin" for "-" */
    char *where;
    size_t where_cap;
    dp_chunk_in *in;
    const dp_trace_file_opts *opts;
    unsigned wire_keep, json_keep; /* the decoders' keep-all flags or 0 */
    uint64_t records, last_record; /* on_record calls, last offset told */
    bool malformed;
};

/* Tells the caller a record ending at input offset end is decoded next. */
static void on_record(struct reader *r, uint64_t at)
{
    /* A first line that turns out to start a document is told once. */
    if (r->records++ > 0 && at <= r->last_record)
        return;
    r->last_record = at;
    if (r->opts && r->opts->on_record)
        r->opts->on_record(r->opts->user, at);
}

static void set_where(struct reader *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void set_where(struct reader *r, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(r->where, r->where_cap, fmt, ap);
    va_end(ap);
    r->ctx->where = r->where;
}

/* Decodes one non-blank line. Sets *premature when the line is the start of
 * a longer JSON value (only reported, not logged, when may_continue). */
static int json_line(struct reader *r, const char *line, size_t len,
                     unsigned long line_no, bool may_continue, bool *premature)
{
    dp_json_scan_result res;
    int rc;

    set_where(r, "%s:%lu", r->name, line_no);
    rc = dp_otlp_json_scan_ex(
        r->ctx, line, len,
        DP_JSON_SCAN_ARRAY | DP_JSON_SCAN_QUIET_SYNTAX | r->json_keep, &res);
    if (rc == DP_ENOMEM)
        return rc;
    if (rc == DP_EPARSE && res.text[0]) {
        if (may_continue && res.premature) {
            *premature = true;
            return 0;
        }
        dp__decode_error(r->ctx, "malformed JSON at column %d: %s", res.column,
                         res.text);
    }
    if (rc == DP_EPARSE)
        r->malformed = true;
    return 0;
}

/* True when the scan of a document that started the buffer must be redone
 * with more input: it ran into the end of the buffer before the end of
 * the input (cut inside a value, or an error reported within a few bytes
 * of the cut, e.g. a UTF-8 sequence cut in two), or a top-level scalar
 * ended exactly at the cut. In each case nothing was delivered. */
static bool scan_cut(const dp_chunk_in *in, int rc,
                     const dp_json_scan_result *res)
{
    size_t avail = dp_chunk_in_avail(in);
    char c0 = dp_chunk_in_data(in)[0];

    if (dp_chunk_in_at_eof(in))
        return false;
    if (rc == DP_EPARSE && res->text[0])
        return res->premature || res->used + 8 >= avail;
    return rc == DP_EPARSE && c0 != '{' && c0 != '[' && res->used >= avail;
}

/* Document mode: the input holds one or more JSON documents, the first
 * starting on line *line_no; each is read (growing the buffer until it is
 * whole) and decoded, then dropped. When not even the first one parses,
 * *lines is set and the input is left at its start for line mode. */
static int json_documents(struct reader *r, unsigned long *line_no, bool *lines)
{
    dp_chunk_in *in = r->in;
    size_t docs = 0;
    dp_json_scan_result res;
    int rc;

    for (;;) {
        /* Skip whitespace between documents. */
        for (;;) {
            const char *p = dp_chunk_in_data(in);
            size_t avail = dp_chunk_in_avail(in), i = 0;

            while (i < avail && dp_chunk_in_is_space(p[i]))
                *line_no += p[i++] == '\n';
            dp_chunk_in_consume(in, i);
            if (i < avail)
                break;
            if (dp_chunk_in_at_eof(in))
                return 0;
            if ((rc = dp_chunk_in_fill(in)))
                return rc;
        }
        set_where(r, "%s:%lu", r->name, *line_no);
        on_record(r, dp_chunk_in_pos(in));
        for (;;) {
            rc = dp_otlp_json_scan_ex(
                r->ctx, dp_chunk_in_data(in), dp_chunk_in_avail(in),
                DP_JSON_SCAN_ARRAY | DP_JSON_SCAN_FIRST_VALUE |
                    DP_JSON_SCAN_QUIET_SYNTAX | r->json_keep,
                &res);
            if (rc == DP_ENOMEM)
                return rc;
            if (!scan_cut(in, rc, &res))
                break;
            size_t avail = dp_chunk_in_avail(in);
            if ((rc = dp_chunk_in_need(
                     in,
                     avail + (avail > in->read_size ? avail : in->read_size))))
                return rc;
        }
        if (rc == DP_EPARSE && res.text[0]) {
            if (docs == 0) {
                *lines = true;
                return 0;
            }
            set_where(r, "%s:%lu", r->name,
                      *line_no +
                          (res.line > 0 ? (unsigned long)res.line - 1 : 0));
            dp__decode_error(r->ctx, "malformed JSON at column %d: %s",
                             res.column, res.text);
            r->malformed = true;
            return 0;
        }
        size_t used = res.used;
        if (used == 0 || used > dp_chunk_in_avail(in)) /* never loop */
            return 0;
        docs++;
        if (rc == DP_EPARSE)
            r->malformed = true;
        const char *p = dp_chunk_in_data(in);
        for (size_t i = 0; i < used; i++)
            *line_no += p[i] == '\n';
        dp_chunk_in_consume(in, used);
        dp_chunk_in_trim(in);
    }
}

static int read_json(struct reader *r)
{
    dp_chunk_in *in = r->in;
    unsigned long line_no = 0;
    bool first = true, premature = false, lines = false;
    const char *line = NULL;
    size_t len = 0;
    uint64_t at;
    int rc;

    while ((rc = dp_chunk_in_text_line(in, &line, &len, &line_no, &at)) == 1) {
        on_record(r, at);
        if ((rc = json_line(r, line, len, line_no, first, &premature)))
            return rc;
        if (premature) {
            /* Put the line back and read documents from it. */
            size_t back = (size_t)(in->buf + in->start - line);
            in->start -= back;
            in->pos -= back;
            premature = false;
            if ((rc = json_documents(r, &line_no, &lines)) || !lines)
                return rc;
            line_no--; /* the line mode below counts the document's line */
        }
        first = false;
    }
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Protobuf: length-delimited frames or one bare message.                    */

/* Reads the varint at p[*off] (p has len bytes), advancing *off past it. */
static bool read_varint(const uint8_t *p, size_t len, size_t *off,
                        uint64_t *out)
{
    const uint8_t *q = p + *off;

    if (*off >= len || !dp_wire_get_varint(&q, p + len, out))
        return false;
    *off = (size_t)(q - p);
    return true;
}

/* True when buf splits exactly into varint-length-prefixed frames. */
static bool frames_tile(const uint8_t *buf, size_t len)
{
    size_t off = 0;
    uint64_t n;

    while (off < len) {
        if (!read_varint(buf, len, &off, &n) || n > len - off)
            return false;
        off += (size_t)n;
    }
    return true;
}

/* True when buf is, at its top level, what OTLP writers produce for a bare
 * request: only field 1 (resource_spans, length-delimited), ending exactly. */
static bool bare_shape(const uint8_t *buf, size_t len)
{
    size_t off = 0;
    uint64_t n;

    while (off < len) {
        if (buf[off++] != 0x0a || !read_varint(buf, len, &off, &n) ||
            n > len - off)
            return false;
        off += (size_t)n;
    }
    return true;
}

static int discard_span(void *user, const dp_span_in *span)
{
    (void)user;
    (void)span;
    return 0;
}

static void discard_error(void *user, const char *message)
{
    (void)user;
    (void)message;
}

/* True when buf decodes as a request; delivers nothing. Uses the one-pass
 * decoder, which does not recurse (protobuf-c's unpack recurses once per
 * nesting level of AnyValue arrays). */
static bool unpacks(const uint8_t *buf, size_t len)
{
    dp_decode_ctx ctx;
    memset(&ctx, 0, sizeof(ctx));
    ctx.sink = discard_span;
    ctx.on_error = discard_error;
    return dp_otlp_wire_decode(&ctx, buf, len) == 0;
}

static bool all_frames_unpack(const uint8_t *buf, size_t len)
{
    size_t off = 0;
    uint64_t n;

    while (off < len) {
        if (!read_varint(buf, len, &off, &n) || n > len - off ||
            !unpacks(buf + off, (size_t)n))
            return false;
        off += (size_t)n;
    }
    return true;
}

static bool first_frame_unpacks(const uint8_t *buf, size_t len)
{
    size_t off = 0;
    uint64_t n;

    return read_varint(buf, len, &off, &n) && n <= len - off &&
           unpacks(buf + off, (size_t)n);
}

/* The frames of a prefix (the input goes on after len): true when every
 * complete frame fits and what follows the last one is the start of the
 * next (a length prefix or a frame cut by the end of the prefix). */
static bool frames_tile_prefix(const uint8_t *buf, size_t len)
{
    size_t off = 0;
    uint64_t n;

    while (off < len) {
        size_t at = off;
        if (!read_varint(buf, len, &off, &n))
            return len - at < 10; /* cut, or longer than a varint */
        if (n > len - off)
            return true;
        off += (size_t)n;
    }
    return true;
}

/* bare_shape for a prefix: fields 1 only, the last one may be cut. */
static bool bare_shape_prefix(const uint8_t *buf, size_t len)
{
    size_t off = 0;
    uint64_t n;

    while (off < len) {
        size_t at = off;
        if (buf[off++] != 0x0a)
            return false;
        if (!read_varint(buf, len, &off, &n))
            return len - at < 11;
        if (n > len - off)
            return true;
        off += (size_t)n;
    }
    return true;
}

/* True when every complete frame of a prefix decodes. */
static bool prefix_frames_unpack(const uint8_t *buf, size_t len)
{
    size_t off = 0;
    uint64_t n;

    while (off < len) {
        if (!read_varint(buf, len, &off, &n) || n > len - off)
            return true;
        if (!unpacks(buf + off, (size_t)n))
            return false;
        off += (size_t)n;
    }
    return true;
}

/* Length-delimited or bare, from the first PROTO_LOOKAHEAD bytes of a longer
 * input: the rules of the whole-input case (read_proto) with each test
 * limited to what the prefix holds: frames that tile it and a shape that
 * is not only field 1 mean frames; only field 1 and no tiling, a bare
 * message; both, frames when every complete one decodes; neither
 * (damaged), frames when the first one decodes. */
static bool decide_prefix(const uint8_t *buf, size_t len)
{
    bool tile = frames_tile_prefix(buf, len),
         bare = bare_shape_prefix(buf, len);

    if (tile && !bare)
        return true;
    if (bare && !tile)
        return false;
    if (tile)
        return prefix_frames_unpack(buf, len);
    return first_frame_unpacks(buf, len);
}

/* Reads the next record's header: a varint (after the tag 0x0a of a
 * resource_spans field when tag) at the front of the input. Returns 1 with
 * *hdr (header bytes) and *n (length), 0 when the header is broken or cut
 * (with the message written), or a negative DP_E* code. */
static int next_header(struct reader *r, bool tag, size_t *hdr, uint64_t *n)
{
    dp_chunk_in *in = r->in;
    size_t off = tag ? 1 : 0;
    int rc;

    if ((rc = dp_chunk_in_need(in, off + 10)))
        return rc;
    const uint8_t *p = (const uint8_t *)dp_chunk_in_data(in);
    if (tag && p[0] != 0x0a) {
        dp__decode_error(r->ctx,
                         "field %u wire type %u where resource_spans "
                         "(field 1) was expected",
                         (unsigned)(p[0] >> 3), (unsigned)(p[0] & 7));
        r->malformed = true;
        return 0;
    }
    if (!read_varint(p, dp_chunk_in_avail(in), &off, n)) {
        dp__decode_error(r->ctx, "truncated length prefix");
        r->malformed = true;
        return 0;
    }
    *hdr = off;
    return 1;
}

/* Delivers every record: the frames of a length-delimited input (tag
 * false) or the resource_spans fields of a bare message (tag true), each
 * decoded as a request of its own and then dropped from the buffer. A
 * record that does not decode is reported and skipped; a broken or cut
 * header ends the input. */
static int proto_records(struct reader *r, bool tag)
{
    dp_chunk_in *in = r->in;
    unsigned long msg = 0;
    int rc;

    for (;;) {
        uint64_t at = dp_chunk_in_pos(in), n = 0;
        size_t hdr = 0, left;

        if ((rc = dp_chunk_in_need(in, 1)))
            return rc;
        if (dp_chunk_in_avail(in) == 0)
            return 0;
        msg++;
        if (tag)
            set_where(r, "%s: message 1, resource_spans %lu (offset %llu)",
                      r->name, msg, (unsigned long long)at);
        else
            set_where(r, "%s: message %lu (offset %llu)", r->name, msg,
                      (unsigned long long)at);
        if ((rc = next_header(r, tag, &hdr, &n)) <= 0)
            return rc;
        /* A length past the end of a regular file is not read for. */
        if ((rc = dp_chunk_in_need(in, n < SIZE_MAX - hdr ? hdr + (size_t)n
                                                          : SIZE_MAX)))
            return rc;
        left = dp_chunk_in_avail(in) - hdr;
        if (n > left) {
            dp__decode_error(r->ctx,
                             "truncated: length %llu but %zu bytes left",
                             (unsigned long long)n, left);
            r->malformed = true;
            return 0;
        }
        on_record(r, at);
        const uint8_t *p = (const uint8_t *)dp_chunk_in_data(in);
        rc = tag ? dp_otlp_wire_decode_flags(r->ctx, p, hdr + (size_t)n,
                                             r->wire_keep)
                 : dp_otlp_wire_decode_flags(r->ctx, p + hdr, (size_t)n,
                                             r->wire_keep);
        if (rc == DP_EPARSE)
            r->malformed = true;
        else if (rc)
            return rc;
        dp_chunk_in_consume(in, hdr + (size_t)n);
        dp_chunk_in_trim(in);
    }
}

/* An input that ended within the look-ahead is classified from all of it
 * (as when files were read whole); a bare message that small is decoded in
 * one piece, so a damaged one delivers nothing. A longer input is
 * classified from its start and streamed record by record. */
static int read_proto(struct reader *r)
{
    dp_chunk_in *in = r->in;
    const uint8_t *buf;
    size_t len;
    bool delimited;
    int rc;

    size_t ahead = r->opts && r->opts->proto_lookahead
                       ? r->opts->proto_lookahead
                       : PROTO_LOOKAHEAD;

    if ((rc = dp_chunk_in_need(in, ahead + 1)))
        return rc;
    buf = (const uint8_t *)dp_chunk_in_data(in);
    len = dp_chunk_in_avail(in);
    if (len == 0)
        return 0;
    if (len > ahead) /* longer than the look-ahead, however it was read */
        return proto_records(r, !decide_prefix(buf, ahead));
    if (frames_tile(buf, len))
        delimited = !bare_shape(buf, len) || all_frames_unpack(buf, len) ||
                    !unpacks(buf, len);
    else if (bare_shape(buf, len))
        delimited = false;
    else /* damaged either way: keep what decodes */
        delimited = !unpacks(buf, len) && first_frame_unpacks(buf, len);
    if (delimited)
        return proto_records(r, false);
    set_where(r, "%s: message 1 (offset 0)", r->name);
    on_record(r, 0);
    rc = dp_otlp_wire_decode_flags(r->ctx, buf, len, r->wire_keep);
    if (rc == DP_EPARSE) {
        r->malformed = true;
        rc = 0;
    }
    return rc;
}

/* ------------------------------------------------------------------------ */

int dp_trace_file_read_in(dp_chunk_in *in, const char *name, int format,
                          dp_decode_ctx *ctx, const dp_trace_file_opts *opts)
{
    struct reader r;
    const char *saved_where;
    bool bom;
    int rc = 0, c;

    if (!in || !name || !ctx || !ctx->sink ||
        (format != DP_FORMAT_AUTO && format != DP_FORMAT_JSON &&
         format != DP_FORMAT_PROTO))
        return DP_EINVAL;
    memset(&r, 0, sizeof(r));
    saved_where = ctx->where;
    r.ctx = ctx;
    r.name = name;
    r.in = in;
    r.opts = opts;
    if (!opts || !opts->wanted_attrs_only) {
        r.wire_keep = DP_WIRE_KEEP_ALL_ATTRS;
        r.json_keep = DP_JSON_SCAN_KEEP_ALL_ATTRS;
    }
    r.where_cap = strlen(r.name) + 96;
    r.where = malloc(r.where_cap);
    if (!r.where)
        return DP_ENOMEM;
    set_where(&r, "%s", r.name);

    if (format != DP_FORMAT_PROTO) {
        c = input_peek(in, &bom, &rc);
        if (rc == 0 && c < 0)
            format = -1; /* empty: nothing to read */
        else if (rc == 0 && format == DP_FORMAT_AUTO)
            format = c == '{' || c == '[' ? DP_FORMAT_JSON : DP_FORMAT_PROTO;
        if (format == DP_FORMAT_JSON && bom)
            dp_chunk_in_consume(in, 3); /* some text editors write one */
    }
    if (rc == 0 && format == DP_FORMAT_JSON)
        rc = read_json(&r);
    else if (rc == 0 && format == DP_FORMAT_PROTO)
        rc = read_proto(&r);

    set_where(&r, "%s", r.name);
    if (rc == DP_EIO)
        dp__decode_error(ctx, "read error: %s", strerror(in->err));
    else if (rc == DP_ENOMEM)
        dp__decode_error(ctx, "out of memory reading the file");
    else if (rc == 0 && r.malformed)
        rc = DP_EPARSE;
    free(r.where);
    ctx->where = saved_where;
    return rc;
}

int dp_trace_file_read(const char *path, int format, dp_decode_ctx *ctx)
{
    dp_chunk_in in;
    const char *saved_where, *name;
    int rc;

    if (!path || !ctx || !ctx->sink ||
        (format != DP_FORMAT_AUTO && format != DP_FORMAT_JSON &&
         format != DP_FORMAT_PROTO))
        return DP_EINVAL;
    name = strcmp(path, "-") == 0 ? "stdin" : path;
    if (dp_chunk_in_open(&in, path)) {
        saved_where = ctx->where;
        ctx->where = name;
        dp__decode_error(ctx, "cannot open: %s", strerror(in.err));
        ctx->where = saved_where;
        return DP_EIO;
    }
    rc = dp_trace_file_read_in(&in, name, format, ctx, NULL);
    dp_chunk_in_close(&in);
    return rc;
}
