/*
 * trace_file.c - reads a trace file for `dagprof report` and feeds each
 * request to the OTLP decoders (otlp_json.c, otlp_proto.c), which hand the
 * spans to the caller's sink.
 *
 * Input goes through one buffer (struct input) that can look ahead without
 * consuming, so stdin works like a file: AUTO looks at the first
 * non-whitespace byte, JSON lines are streamed (memory: the longest line),
 * and a pretty-printed document or a protobuf file is read whole. Every
 * malformed piece gives one message naming the file and its line (JSON) or
 * message number and offset (protobuf) and is skipped; the rest goes on.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "trace_file.h"
#include "otlp_json_scan.h"
#include "otlp_wire.h"

#define READ_CHUNK ((size_t)1 << 20)

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

/* ------------------------------------------------------------------------ */
/* Buffered input with look-ahead.                                           */

struct input {
    FILE *f;
    char *buf;
    size_t start, end, cap; /* unconsumed bytes are buf[start, end) */
    uint64_t file_bytes;    /* size of a regular file, 0 when unknown */
    uint64_t read_bytes;
    bool eof;
    int err; /* errno of a failed read */
};

/* Reads more bytes after end, compacting or growing the buffer so at least
 * want bytes fit. Returns 0 (eof set when nothing was left), DP_EIO or
 * DP_ENOMEM. */
static int input_fill(struct input *in, size_t want)
{
    size_t n;

    if (in->eof)
        return 0;
    if (in->cap - in->end < want && in->start > 0) {
        memmove(in->buf, in->buf + in->start, in->end - in->start);
        in->end -= in->start;
        in->start = 0;
    }
    if (in->cap - in->end < want) {
        size_t cap = in->cap ? in->cap : READ_CHUNK;
        char *p;

        /* Double for lines of unknown length; exact for a known file size. */
        if (want > SIZE_MAX - in->end || cap > SIZE_MAX / 2)
            return DP_ENOMEM;
        cap = in->end + want > cap * 2 ? in->end + want : cap * 2;
        p = realloc(in->buf, cap);
        if (!p)
            return DP_ENOMEM;
        in->buf = p;
        in->cap = cap;
    }
    n = fread(in->buf + in->end, 1, in->cap - in->end, in->f);
    in->end += n;
    in->read_bytes += n;
    if (n == 0) {
        if (ferror(in->f)) {
            in->err = errno ? errno : EIO;
            return DP_EIO;
        }
        in->eof = true;
    }
    return 0;
}

/* Finds the next line (without its '\n'). Returns 1 with *line valid until
 * the next input call, 0 at end of input, or a negative DP_E* code. */
static int input_line(struct input *in, const char **line, size_t *len)
{
    size_t searched = 0;

    for (;;) {
        const char *base = in->buf + in->start;
        const char *nl = memchr(base + searched, '\n',
                                in->end - in->start - searched);
        int rc;

        if (nl) {
            *line = base;
            *len = (size_t)(nl - base);
            in->start += *len + 1;
            return 1;
        }
        if (in->eof) {
            if (in->start == in->end)
                return 0;
            *line = base;
            *len = in->end - in->start;
            in->start = in->end;
            return 1;
        }
        searched = in->end - in->start;
        if ((rc = input_fill(in, READ_CHUNK / 2)))
            return rc;
    }
}

/* Reads everything that is left; the unconsumed bytes stay in
 * buf[start, end). Returns 0 or a negative DP_E* code. */
static int input_slurp(struct input *in)
{
    while (!in->eof) {
        size_t want = READ_CHUNK / 2;
        int rc;

        if (in->file_bytes > in->read_bytes &&
            in->file_bytes - in->read_bytes < SIZE_MAX - 1)
            want = (size_t)(in->file_bytes - in->read_bytes) + 1;
        if ((rc = input_fill(in, want)))
            return rc;
    }
    return 0;
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Returns the first non-whitespace byte after an optional UTF-8 byte order
 * mark without consuming anything, or -1 at end of input. *bom tells whether
 * the mark is there; *rc gets a read error. */
static int input_peek(struct input *in, bool *bom, int *rc)
{
    *rc = 0;
    *bom = false;
    for (;;) {
        size_t avail = in->end - in->start, i;

        if (avail >= 3 || in->eof) {
            *bom = avail >= 3 &&
                   memcmp(in->buf + in->start, "\xEF\xBB\xBF", 3) == 0;
            for (i = *bom ? 3 : 0; i < avail; i++)
                if (!is_space(in->buf[in->start + i]))
                    return (unsigned char)in->buf[in->start + i];
            if (in->eof)
                return -1;
        }
        if ((*rc = input_fill(in, READ_CHUNK / 2)))
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
    struct input in;
    bool malformed;
};

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

static bool is_blank(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (!is_space(s[i]))
            return false;
    return true;
}

/* Decodes one non-blank line. Sets *premature when the line is the start of
 * a longer JSON value (only reported, not logged, when may_continue). */
static int json_line(struct reader *r, const char *line, size_t len,
                     unsigned long line_no, bool may_continue, bool *premature)
{
    dp_json_scan_result res;
    int rc;

    set_where(r, "%s:%lu", r->name, line_no);
    rc = dp_otlp_json_scan_ex(r->ctx, line, len,
                              DP_JSON_SCAN_ARRAY | DP_JSON_SCAN_QUIET_SYNTAX |
                                  DP_JSON_SCAN_KEEP_ALL_ATTRS,
                              &res);
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

/* Line mode over a buffer already in memory (the fallback when a document
 * read whole turns out not to be one). */
static int json_lines_in(struct reader *r, const char *buf, size_t len,
                         unsigned long line_no)
{
    size_t off = 0;
    bool premature = false;
    int rc;

    while (off < len) {
        const char *nl = memchr(buf + off, '\n', len - off);
        size_t n = nl ? (size_t)(nl - (buf + off)) : len - off;

        if (!is_blank(buf + off, n) &&
            (rc = json_line(r, buf + off, n, line_no, false, &premature)))
            return rc;
        off += n + (nl != NULL);
        line_no++;
    }
    return 0;
}

/* Document mode: buf holds one or more JSON documents, the first starting
 * on line line_no. When not even the first one parses, the buffer is read
 * line by line instead. */
static int json_documents(struct reader *r, const char *buf, size_t len,
                          unsigned long line_no)
{
    size_t off = 0, docs = 0;
    dp_json_scan_result res;
    int rc;

    for (;;) {
        size_t used;

        while (off < len && is_space(buf[off]))
            line_no += buf[off++] == '\n';
        if (off == len)
            return 0;
        set_where(r, "%s:%lu", r->name, line_no);
        rc = dp_otlp_json_scan_ex(r->ctx, buf + off, len - off,
                                  DP_JSON_SCAN_ARRAY | DP_JSON_SCAN_FIRST_VALUE |
                                      DP_JSON_SCAN_QUIET_SYNTAX |
                                      DP_JSON_SCAN_KEEP_ALL_ATTRS,
                                  &res);
        if (rc == DP_ENOMEM)
            return rc;
        if (rc == DP_EPARSE && res.text[0]) {
            if (docs == 0)
                return json_lines_in(r, buf + off, len - off, line_no);
            set_where(r, "%s:%lu", r->name,
                      line_no + (res.line > 0 ? (unsigned long)res.line - 1 : 0));
            dp__decode_error(r->ctx, "malformed JSON at column %d: %s",
                             res.column, res.text);
            r->malformed = true;
            return 0;
        }
        docs++;
        if (rc == DP_EPARSE)
            r->malformed = true;
        used = res.used;
        if (used == 0 || used > len - off) /* cannot happen; never loop */
            return 0;
        for (size_t i = off; i < off + used; i++)
            line_no += buf[i] == '\n';
        off += used;
    }
}

static int read_json(struct reader *r)
{
    unsigned long line_no = 0;
    bool first = true, premature = false;
    const char *line = NULL;
    size_t len = 0;
    int rc;

    while ((rc = input_line(&r->in, &line, &len)) == 1) {
        line_no++;
        if (is_blank(line, len))
            continue;
        if ((rc = json_line(r, line, len, line_no, first, &premature)))
            return rc;
        if (premature) {
            /* Put the line back and read the rest: one pretty document. */
            r->in.start = (size_t)(line - r->in.buf);
            if ((rc = input_slurp(&r->in)))
                return rc;
            return json_documents(r, r->in.buf + r->in.start,
                                  r->in.end - r->in.start, line_no);
        }
        first = false;
    }
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Protobuf: length-delimited frames or one bare message.                    */

static bool read_varint(const uint8_t *p, size_t len, size_t *off,
                        uint64_t *out)
{
    uint64_t v = 0;

    for (unsigned shift = 0; shift < 64; shift += 7) {
        uint8_t b;
        if (*off >= len)
            return false;
        b = p[(*off)++];
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *out = v;
            return true;
        }
    }
    return false;
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

/* Delivers every frame; a frame that does not decode is reported and
 * skipped, a broken length prefix ends the file. */
static int proto_frames(struct reader *r, const uint8_t *buf, size_t len)
{
    size_t off = 0;
    unsigned long msg = 0;
    uint64_t n;

    while (off < len) {
        size_t at = off;
        int rc;

        msg++;
        set_where(r, "%s: message %lu (offset %zu)", r->name, msg, at);
        if (!read_varint(buf, len, &off, &n)) {
            dp__decode_error(r->ctx, "truncated length prefix");
            r->malformed = true;
            return 0;
        }
        if (n > len - off) {
            dp__decode_error(r->ctx,
                             "truncated: length %llu but %zu bytes left",
                             (unsigned long long)n, len - off);
            r->malformed = true;
            return 0;
        }
        rc = dp_otlp_wire_decode_flags(r->ctx, buf + off, (size_t)n,
                                       DP_WIRE_KEEP_ALL_ATTRS);
        if (rc == DP_EPARSE)
            r->malformed = true;
        else if (rc)
            return rc;
        off += (size_t)n;
    }
    return 0;
}

static int read_proto(struct reader *r)
{
    const uint8_t *buf;
    size_t len;
    bool delimited;
    int rc;

    if ((rc = input_slurp(&r->in)))
        return rc;
    buf = (const uint8_t *)r->in.buf + r->in.start;
    len = r->in.end - r->in.start;
    if (len == 0)
        return 0;
    if (frames_tile(buf, len))
        delimited = !bare_shape(buf, len) || all_frames_unpack(buf, len) ||
                    !unpacks(buf, len);
    else if (bare_shape(buf, len))
        delimited = false;
    else /* damaged either way: keep what decodes */
        delimited = !unpacks(buf, len) && first_frame_unpacks(buf, len);
    if (delimited)
        return proto_frames(r, buf, len);
    set_where(r, "%s: message 1 (offset 0)", r->name);
    rc = dp_otlp_wire_decode_flags(r->ctx, buf, len, DP_WIRE_KEEP_ALL_ATTRS);
    if (rc == DP_EPARSE) {
        r->malformed = true;
        rc = 0;
    }
    return rc;
}

/* ------------------------------------------------------------------------ */

int dp_trace_file_read(const char *path, int format, dp_decode_ctx *ctx)
{
    struct reader r;
    const char *saved_where;
    struct stat st;
    bool is_stdin, bom;
    int rc = 0, c;

    if (!path || !ctx || !ctx->sink ||
        (format != DP_FORMAT_AUTO && format != DP_FORMAT_JSON &&
         format != DP_FORMAT_PROTO))
        return DP_EINVAL;
    memset(&r, 0, sizeof(r));
    saved_where = ctx->where;
    is_stdin = strcmp(path, "-") == 0;
    r.ctx = ctx;
    r.name = is_stdin ? "stdin" : path;
    r.where_cap = strlen(r.name) + 64;
    r.where = malloc(r.where_cap);
    if (!r.where)
        return DP_ENOMEM;
    set_where(&r, "%s", r.name);
    r.in.f = is_stdin ? stdin : fopen(path, "rb");
    if (!r.in.f) {
        dp__decode_error(ctx, "cannot open: %s", strerror(errno));
        rc = DP_EIO;
        goto out;
    }
    if (fstat(fileno(r.in.f), &st) == 0 && S_ISREG(st.st_mode))
        r.in.file_bytes = (uint64_t)st.st_size;

    if (format != DP_FORMAT_PROTO) {
        c = input_peek(&r.in, &bom, &rc);
        if (rc == 0 && c < 0)
            format = -1; /* empty: nothing to read */
        else if (rc == 0 && format == DP_FORMAT_AUTO)
            format = c == '{' || c == '[' ? DP_FORMAT_JSON : DP_FORMAT_PROTO;
        if (format == DP_FORMAT_JSON && bom)
            r.in.start += 3; /* text editors on some systems write one */
    }
    if (rc == 0 && format == DP_FORMAT_JSON)
        rc = read_json(&r);
    else if (rc == 0 && format == DP_FORMAT_PROTO)
        rc = read_proto(&r);

    set_where(&r, "%s", r.name);
    if (rc == DP_EIO)
        dp__decode_error(ctx, "read error: %s", strerror(r.in.err));
    else if (rc == DP_ENOMEM)
        dp__decode_error(ctx, "out of memory reading the file");
    else if (rc == 0 && r.malformed)
        rc = DP_EPARSE;
out:
    if (r.in.f && !is_stdin)
        fclose(r.in.f);
    free(r.in.buf);
    free(r.where);
    ctx->where = saved_where;
    return rc;
}
