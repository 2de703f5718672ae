/*
 * h2_raw_client.h - a raw HTTP/2 client on a blocking POSIX socket, for
 * tests that must send what no gRPC library sends (a message whose
 * compressed flag is set without grpc-encoding, a connection that never
 * finishes its handshake) and watch what the server does with the
 * connection (GOAWAY, close).
 *
 * Header-only (static inline). It writes frames byte by byte: the client
 * preface, SETTINGS, HEADERS whose block is HPACK literals without indexing
 * or Huffman coding (RFC 7541 6.2.2), DATA. dp_h2_pump() reads frames until
 * a condition or a deadline, acknowledging the server's SETTINGS and PINGs
 * as a real client does (unless quiet), collecting the header blocks of one
 * stream and noting GOAWAY and end of file. It does not decode HPACK: the tests
 * look for a header name in the collected block, which works because gRPC core
 * sends a first grpc-status as a literal with a plain (not Huffman) value.
 * Every read is bounded by the socket's 1 s timeout and the caller's
 * deadline.
 */
#ifndef DP_H2_RAW_CLIENT_H
#define DP_H2_RAW_CLIENT_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

enum {
    DP_H2_DATA = 0,
    DP_H2_HEADERS = 1,
    DP_H2_SETTINGS = 4,
    DP_H2_PING = 6,
    DP_H2_GOAWAY = 7,
    DP_H2_CONTINUATION = 9
};
enum { DP_H2_END_STREAM = 0x1, DP_H2_ACK = 0x1, DP_H2_END_HEADERS = 0x4 };

typedef struct dp_h2 {
    int fd;
    uint8_t in[1 << 16]; /* unread bytes */
    size_t in_len;
    /* What dp_h2_pump saw. */
    bool eof;              /* the server closed (or reset) */
    int goaways;           /* GOAWAY frames */
    uint32_t goaway_error; /* error code of the last one */
    uint8_t headers[8192]; /* header blocks of stream `stream`, joined */
    size_t headers_len;
    uint32_t stream;   /* the stream whose headers are kept */
    bool stream_ended; /* END_STREAM seen on it */
    bool quiet;        /* dp_h2_pump answers nothing, not even the server's
                          SETTINGS: a client that never finishes its handshake */
} dp_h2;

static inline double dp_h2_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Connects to 127.0.0.1:port (nothing sent yet). NULL on failure. */
static inline dp_h2 *dp_h2_connect(int port)
{
    dp_h2 *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->fd = socket(AF_INET, SOCK_STREAM, 0);
    struct timeval tv = {1, 0};
    setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
        if (c->fd >= 0)
            close(c->fd);
        free(c);
        return NULL;
    }
    return c;
}

static inline void dp_h2_close(dp_h2 *c)
{
    if (c) {
        close(c->fd);
        free(c);
    }
}

static inline int dp_h2_send(dp_h2 *c, const void *data, size_t len)
{
    const uint8_t *p = data;
    while (len > 0) {
        ssize_t n = send(c->fd, p, len, MSG_NOSIGNAL);
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Sends one frame. Returns 0 or -1. */
static inline int dp_h2_frame(dp_h2 *c, uint8_t type, uint8_t flags,
                              uint32_t stream, const void *payload, size_t len)
{
    uint8_t h[9] = {(uint8_t)(len >> 16),
                    (uint8_t)(len >> 8),
                    (uint8_t)len,
                    type,
                    flags,
                    (uint8_t)(stream >> 24 & 0x7f),
                    (uint8_t)(stream >> 16),
                    (uint8_t)(stream >> 8),
                    (uint8_t)stream};
    if (dp_h2_send(c, h, 9) < 0)
        return -1;
    return len ? dp_h2_send(c, payload, len) : 0;
}

/* The client connection preface and an empty SETTINGS frame. */
static inline int dp_h2_preface(dp_h2 *c)
{
    static const char pri[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
    if (dp_h2_send(c, pri, sizeof(pri) - 1) < 0)
        return -1;
    return dp_h2_frame(c, DP_H2_SETTINGS, 0, 0, NULL, 0);
}

/* Appends an HPACK integer with an n-bit prefix (first byte's high bits in
 * first) to out; returns the bytes written. */
static inline size_t dp_h2_hpack_int(uint8_t *out, uint8_t first, int n,
                                     size_t v)
{
    size_t max = ((size_t)1 << n) - 1, o = 0;
    if (v < max) {
        out[o++] = (uint8_t)(first | v);
        return o;
    }
    out[o++] = (uint8_t)(first | max);
    v -= max;
    while (v >= 128) {
        out[o++] = (uint8_t)(v % 128 + 128);
        v /= 128;
    }
    out[o++] = (uint8_t)v;
    return o;
}

/* Appends "literal header field without indexing, new name" (plain
 * strings) to out; returns the bytes written. */
static inline size_t dp_h2_hpack_literal(uint8_t *out, const char *name,
                                         const char *value)
{
    size_t o = 0, nl = strlen(name), vl = strlen(value);
    out[o++] = 0x00;
    o += dp_h2_hpack_int(out + o, 0, 7, nl);
    memcpy(out + o, name, nl);
    o += nl;
    o += dp_h2_hpack_int(out + o, 0, 7, vl);
    memcpy(out + o, value, vl);
    return o + vl;
}

/* Sends the HEADERS of a gRPC call to path on stream (END_HEADERS set).
 * encoding: a grpc-encoding value, or NULL for none. */
static inline int dp_h2_grpc_headers(dp_h2 *c, uint32_t stream,
                                     const char *path, const char *encoding)
{
    uint8_t b[1024];
    size_t n = 0;
    n += dp_h2_hpack_literal(b + n, ":method", "POST");
    n += dp_h2_hpack_literal(b + n, ":scheme", "http");
    n += dp_h2_hpack_literal(b + n, ":path", path);
    n += dp_h2_hpack_literal(b + n, ":authority", "127.0.0.1");
    n += dp_h2_hpack_literal(b + n, "content-type", "application/grpc");
    n += dp_h2_hpack_literal(b + n, "te", "trailers");
    if (encoding)
        n += dp_h2_hpack_literal(b + n, "grpc-encoding", encoding);
    c->stream = stream;
    return dp_h2_frame(c, DP_H2_HEADERS, DP_H2_END_HEADERS, stream, b, n);
}

/* Sends one gRPC message (5-byte prefix with compressed_flag, then msg) as
 * one DATA frame that ends the stream. msg must fit one frame (16 KiB). */
static inline int dp_h2_grpc_message(dp_h2 *c, uint32_t stream,
                                     uint8_t compressed_flag, const void *msg,
                                     size_t len)
{
    uint8_t *b = malloc(5 + len);
    if (!b || len > 16384 - 5) {
        free(b);
        return -1;
    }
    b[0] = compressed_flag;
    b[1] = (uint8_t)(len >> 24);
    b[2] = (uint8_t)(len >> 16);
    b[3] = (uint8_t)(len >> 8);
    b[4] = (uint8_t)len;
    memcpy(b + 5, msg, len);
    int rc = dp_h2_frame(c, DP_H2_DATA, DP_H2_END_STREAM, stream, b, 5 + len);
    free(b);
    return rc;
}

/* Reads one frame into the caller's buffers (payload truncated to cap).
 * Returns 1 with a frame, 0 on timeout (1 s), -1 on EOF or error. */
static inline int dp_h2_read_frame(dp_h2 *c, uint8_t *type, uint8_t *flags,
                                   uint32_t *stream, uint8_t *payload,
                                   size_t cap, size_t *len)
{
    for (;;) {
        if (c->in_len >= 9) {
            size_t flen =
                (size_t)c->in[0] << 16 | (size_t)c->in[1] << 8 | c->in[2];
            if (c->in_len >= 9 + flen) {
                *type = c->in[3];
                *flags = c->in[4];
                *stream = ((uint32_t)c->in[5] & 0x7f) << 24 |
                          (uint32_t)c->in[6] << 16 | (uint32_t)c->in[7] << 8 |
                          c->in[8];
                *len = flen < cap ? flen : cap;
                memcpy(payload, c->in + 9, *len);
                memmove(c->in, c->in + 9 + flen, c->in_len - 9 - flen);
                c->in_len -= 9 + flen;
                return 1;
            }
            if (9 + flen > sizeof(c->in))
                return -1;
        }
        ssize_t n =
            recv(c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len, 0);
        if (n == 0)
            return -1;
        if (n < 0)
            return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
        c->in_len += (size_t)n;
    }
}

enum { DP_H2_UNTIL_EOF, DP_H2_UNTIL_GOAWAY, DP_H2_UNTIL_STREAM_END };

/* Reads frames for at most max_ms or until the condition holds,
 * acknowledging SETTINGS and PING. Returns whether the condition holds. */
static inline bool dp_h2_pump(dp_h2 *c, int until, int max_ms)
{
    double end = dp_h2_now_ms() + max_ms;
    uint8_t payload[16384];
    while (!c->eof && dp_h2_now_ms() < end) {
        if ((until == DP_H2_UNTIL_GOAWAY && c->goaways > 0) ||
            (until == DP_H2_UNTIL_STREAM_END && c->stream_ended))
            return true;
        uint8_t type, flags;
        uint32_t stream;
        size_t len;
        int rc = dp_h2_read_frame(c, &type, &flags, &stream, payload,
                                  sizeof(payload), &len);
        if (rc < 0) {
            c->eof = true;
            break;
        }
        if (rc == 0)
            continue;
        if (c->quiet) {
            /* reads and drops */
        } else if (type == DP_H2_SETTINGS && !(flags & DP_H2_ACK)) {
            dp_h2_frame(c, DP_H2_SETTINGS, DP_H2_ACK, 0, NULL, 0);
        } else if (type == DP_H2_PING && !(flags & DP_H2_ACK)) {
            dp_h2_frame(c, DP_H2_PING, DP_H2_ACK, 0, payload, len);
        } else if (type == DP_H2_GOAWAY) {
            c->goaways++;
            if (len >= 8)
                c->goaway_error = (uint32_t)payload[4] << 24 |
                                  (uint32_t)payload[5] << 16 |
                                  (uint32_t)payload[6] << 8 | payload[7];
        } else if ((type == DP_H2_HEADERS || type == DP_H2_CONTINUATION) &&
                   stream == c->stream && c->stream) {
            if (c->headers_len + len <= sizeof(c->headers)) {
                memcpy(c->headers + c->headers_len, payload, len);
                c->headers_len += len;
            }
            if (flags & DP_H2_END_STREAM)
                c->stream_ended = true;
        } else if (type == DP_H2_DATA && stream == c->stream && c->stream &&
                   (flags & DP_H2_END_STREAM)) {
            c->stream_ended = true;
        }
    }
    return (until == DP_H2_UNTIL_EOF && c->eof) ||
           (until == DP_H2_UNTIL_GOAWAY && c->goaways > 0) ||
           (until == DP_H2_UNTIL_STREAM_END && c->stream_ended);
}

/* The value of a header sent as a literal with a plain string in the
 * collected header blocks, copied into out; NULL when not found that way. */
static inline const char *dp_h2_literal_value(const dp_h2 *c, const char *name,
                                              char *out, size_t cap)
{
    size_t nl = strlen(name);
    const uint8_t *h = c->headers, *end = h + c->headers_len;
    for (const uint8_t *p = h + 1; p + nl + 1 < end; p++) {
        if (p[-1] != nl || memcmp(p, name, nl) != 0)
            continue;
        const uint8_t *v = p + nl;
        size_t vl = *v & 0x7f;
        if ((*v & 0x80) || vl == 0x7f || v + 1 + vl > end || vl + 1 > cap)
            return NULL; /* Huffman-coded or long: not for this client */
        memcpy(out, v + 1, vl);
        out[vl] = '\0';
        return out;
    }
    return NULL;
}

#endif /* DP_H2_RAW_CLIENT_H */
