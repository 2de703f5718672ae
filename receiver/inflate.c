/*
 * inflate.c - bounded decompression of request bodies, shared by the
 * OTLP/HTTP receiver (Content-Encoding) and the OTLP/gRPC receiver (gRPC
 * message compression, which dagprof inflates itself so that a small
 * compressed bomb never grows past the configured message limit).
 */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "inflate.h"

/* Inflates a gzip (RFC 1952, several members allowed) or deflate (zlib
 * RFC 1950, or raw RFC 1951 as some clients send) body into a malloc'd
 * *out (caller frees). Output stops at max + 1 bytes. Returns 0,
 * DP_ETOOBIG past max, DP_EPARSE on corrupt or truncated data, DP_ENOMEM.
 * Cost: O(output), memory <= max + 1. */
int dp__inflate_bounded(const uint8_t *in, size_t in_len, bool gzip, size_t max,
                        uint8_t **out, size_t *out_len)
{
    z_stream zs;
    memset(&zs, 0, sizeof(zs));
    bool raw_retry = !gzip;
    if (inflateInit2(&zs, gzip ? 15 + 16 : 15) != Z_OK)
        return DP_ENOMEM;
    size_t cap = in_len < 16384 ? 65536 : in_len * 4;
    if (cap > max + 1)
        cap = max + 1;
    uint8_t *buf = malloc(cap);
    int rc = buf ? DP_OK : DP_ENOMEM;
    size_t len = 0;
    zs.next_in = (Bytef *)in;
    zs.avail_in = (uInt)in_len;
    while (rc == DP_OK) {
        if (len == cap) {
            if (cap > max) {
                rc = DP_ETOOBIG;
                break;
            }
            size_t ncap = cap * 2 > max + 1 ? max + 1 : cap * 2;
            uint8_t *nb = realloc(buf, ncap);
            if (!nb) {
                rc = DP_ENOMEM;
                break;
            }
            buf = nb;
            cap = ncap;
        }
        zs.next_out = buf + len;
        zs.avail_out = (uInt)(cap - len);
        int zr = inflate(&zs, Z_NO_FLUSH);
        len = (size_t)(zs.next_out - buf);
        if (len > max) {
            rc = DP_ETOOBIG;
        } else if (zr == Z_STREAM_END) {
            if (zs.avail_in == 0)
                break;
            if (gzip && inflateReset(&zs) == Z_OK)
                continue; /* the next gzip member */
            rc = DP_EPARSE;
        } else if (zr == Z_DATA_ERROR && raw_retry && len == 0) {
            raw_retry = false; /* no zlib header: try raw deflate */
            inflateEnd(&zs);
            memset(&zs, 0, sizeof(zs));
            if (inflateInit2(&zs, -15) != Z_OK) {
                free(buf);
                return DP_ENOMEM;
            }
            zs.next_in = (Bytef *)in;
            zs.avail_in = (uInt)in_len;
        } else if (zr == Z_MEM_ERROR) {
            rc = DP_ENOMEM;
        } else if (zr != Z_OK && zr != Z_BUF_ERROR) {
            rc = DP_EPARSE;
        } else if (zs.avail_out > 0) {
            rc = DP_EPARSE; /* input ended before the stream did */
        }
    }
    inflateEnd(&zs);
    if (rc != DP_OK) {
        free(buf);
        return rc;
    }
    *out = buf;
    *out_len = len;
    return 0;
}
