/*
 * http_test_client.h - a raw HTTP/1.1 client on blocking POSIX sockets, for
 * tests that talk to dagprof's OTLP/HTTP receiver byte by byte.
 *
 * Header-only (static inline) so any test can include it. The caller writes
 * the request bytes itself (or uses dp_htc_post); dp_htc_read() returns one
 * response at a time, keeping any bytes after it for the next call, so
 * pipelined replies can be checked in order. A final response without
 * Content-Length is an error. Every socket has 5 s send/receive timeouts,
 * so no call blocks longer than that. Sends use MSG_NOSIGNAL.
 */
#ifndef DP_HTTP_TEST_CLIENT_H
#define DP_HTTP_TEST_CLIENT_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include <zlib.h>

typedef struct dp_htc {
    int fd;
    size_t len; /* unread bytes in buf */
    char buf[65536];
} dp_htc;

typedef struct dp_htc_reply {
    int status;
    char head[4096]; /* status line and headers, through the blank line */
    char *body;      /* malloc'd, NUL-terminated */
    size_t body_len;
} dp_htc_reply;

/* A connected socket to 127.0.0.1:port with 5 s timeouts, or -1. src, when
 * not NULL, is the local address to connect from: another loopback address
 * ("127.0.0.2") is another client peer to the server. */
static inline int dp_htc_connect_fd_from(int port, const char *src)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    struct timeval tv = {5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    if (src) {
        struct sockaddr_in l = {.sin_family = AF_INET};
        if (inet_pton(AF_INET, src, &l.sin_addr) != 1 ||
            bind(fd, (struct sockaddr *)&l, sizeof(l)) != 0) {
            close(fd);
            return -1;
        }
    }
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static inline int dp_htc_connect_fd(int port)
{
    return dp_htc_connect_fd_from(port, NULL);
}

static inline dp_htc *dp_htc_open_from(int port, const char *src)
{
    dp_htc *c = calloc(1, sizeof(*c));
    if (c && (c->fd = dp_htc_connect_fd_from(port, src)) < 0) {
        free(c);
        return NULL;
    }
    return c;
}

static inline dp_htc *dp_htc_open(int port)
{
    return dp_htc_open_from(port, NULL);
}

static inline void dp_htc_close(dp_htc *c)
{
    if (!c)
        return;
    close(c->fd);
    free(c);
}

/* Sends all of data. Returns 0 or -1. */
static inline int dp_htc_send(dp_htc *c, const void *data, size_t len)
{
    const char *p = data;
    while (len > 0) {
        ssize_t n = send(c->fd, p, len, MSG_NOSIGNAL);
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static inline int dp_htc_sends(dp_htc *c, const char *s)
{
    return dp_htc_send(c, s, strlen(s));
}

/* Sends a POST with Content-Type and Content-Length; extra is whole header
 * lines ("Content-Encoding: gzip\r\n") or NULL. Returns 0 or -1. */
static inline int dp_htc_post(dp_htc *c, const char *path, const char *ctype,
                              const char *extra, const void *body, size_t len)
{
    char head[1024];
    snprintf(head, sizeof(head),
             "POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: %s\r\n"
             "Content-Length: %zu\r\n%s\r\n",
             path, ctype, len, extra ? extra : "");
    if (dp_htc_sends(c, head) < 0)
        return -1;
    return dp_htc_send(c, body, len);
}

static inline int dp_htc_fill(dp_htc *c)
{
    if (c->len == sizeof(c->buf))
        return -1;
    ssize_t n = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, 0);
    if (n <= 0)
        return -1;
    c->len += (size_t)n;
    return 0;
}

/* The value of header name in r, copied into out; NULL when absent. */
static inline const char *dp_htc_header(const dp_htc_reply *r, const char *name,
                                        char *out, size_t n)
{
    size_t nl = strlen(name);
    for (const char *l = strstr(r->head, "\r\n"); l && l[2] != '\r';
         l = strstr(l + 2, "\r\n")) {
        const char *s = l + 2;
        if (strncasecmp(s, name, nl) == 0 && s[nl] == ':') {
            s += nl + 1;
            while (*s == ' ')
                s++;
            size_t vl = (size_t)(strstr(s, "\r\n") - s);
            snprintf(out, n, "%.*s", (int)vl, s);
            return out;
        }
    }
    return NULL;
}

static inline bool dp_htc_header_is(const dp_htc_reply *r, const char *name,
                                    const char *want)
{
    char v[256];
    return dp_htc_header(r, name, v, sizeof(v)) && strcmp(v, want) == 0;
}

/* Reads one response (an interim 1xx one too). head_req: the request was
 * HEAD, so no body follows. Returns 0, or -1 on timeout, EOF, a bad status
 * line or a final response without Content-Length. */
static inline int dp_htc_read(dp_htc *c, dp_htc_reply *r, bool head_req)
{
    memset(r, 0, sizeof(*r));
    char *end;
    while (!(end = memmem(c->buf, c->len, "\r\n\r\n", 4)))
        if (dp_htc_fill(c) < 0)
            return -1;
    size_t hl = (size_t)(end - c->buf) + 4;
    if (hl >= sizeof(r->head))
        return -1;
    memcpy(r->head, c->buf, hl);
    if (sscanf(r->head, "HTTP/1.1 %d ", &r->status) != 1)
        return -1;
    size_t blen = 0;
    char v[64];
    if (r->status >= 200) {
        if (!dp_htc_header(r, "Content-Length", v, sizeof(v)))
            return -1;
        blen = head_req ? 0 : strtoul(v, NULL, 10);
    }
    while (c->len < hl + blen)
        if (dp_htc_fill(c) < 0)
            return -1;
    r->body = malloc(blen + 1);
    if (!r->body)
        return -1;
    memcpy(r->body, c->buf + hl, blen);
    r->body[blen] = 0;
    r->body_len = blen;
    c->len -= hl + blen;
    memmove(c->buf, c->buf + hl + blen, c->len);
    return 0;
}

static inline void dp_htc_reply_free(dp_htc_reply *r)
{
    free(r->body);
    r->body = NULL;
}

/* Returns 1 when fd has bytes or EOF to read within ms, 0 when not. */
static inline int dp_htc_readable(int fd, int ms)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    return poll(&p, 1, ms) == 1;
}

/* Returns 0 when the server closed cleanly with no bytes left unread. */
static inline int dp_htc_wait_eof(dp_htc *c)
{
    char b[64];
    return c->len == 0 && recv(c->fd, b, sizeof(b), 0) == 0 ? 0 : -1;
}

/* Compresses repeat copies of in[0..len) as one stream (window_bits as for
 * deflateInit2: 31 gzip, 15 zlib) into a malloc'd *out. Returns its length,
 * 0 on failure. */
static inline size_t dp_htc_compress(const void *in, size_t len, size_t repeat,
                                     int window_bits, uint8_t **out)
{
    z_stream zs;
    memset(&zs, 0, sizeof(zs));
    if (deflateInit2(&zs, 6, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY))
        return 0;
    size_t cap = deflateBound(&zs, len) * (repeat / 64 + 1) + 1024, olen = 0;
    *out = malloc(cap);
    for (size_t i = 0; *out && i < repeat; i++) {
        zs.next_in = (Bytef *)in;
        zs.avail_in = (uInt)len;
        int flush = i + 1 == repeat ? Z_FINISH : Z_NO_FLUSH;
        do {
            zs.next_out = *out + olen;
            zs.avail_out = (uInt)(cap - olen);
            deflate(&zs, flush);
            olen = cap - zs.avail_out;
            if (olen == cap) {
                olen = 0; /* output does not fit: give up */
                i = repeat;
                break;
            }
        } while (zs.avail_in > 0 || (flush == Z_FINISH && zs.avail_out == 0));
    }
    deflateEnd(&zs);
    return olen;
}

#endif /* DP_HTTP_TEST_CLIENT_H */
