/*
 * wal_segment.c - encode and read write-ahead log segments (see
 * wal_segment.h for the format). Pure functions over memory.
 */
#include "wal_segment.h"

#include <string.h>
#include <zlib.h>

#include "processor.h"

static void put_u32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

/* CRC-32 of the header's last four bytes and the payload. zlib takes
 * lengths as uInt: a payload over 4 GiB cannot occur (DP_WAL_MAX_PAYLOAD),
 * but feed it in pieces anyway. */
static uint32_t record_crc(const uint8_t *tail4, const uint8_t *payload,
                           size_t len)
{
    uLong crc = crc32(0L, Z_NULL, 0);
    crc = crc32(crc, tail4, 4);
    while (len) {
        uInt n = len > (1u << 30) ? (1u << 30) : (uInt)len;
        crc = crc32(crc, payload, n);
        payload += n;
        len -= n;
    }
    return (uint32_t)crc;
}

void dp_wal_segment_header(uint8_t out[DP_WAL_HEADER_SIZE], uint64_t id)
{
    memcpy(out, DP_WAL_MAGIC, 8);
    for (int i = 0; i < 8; i++)
        out[8 + i] = (uint8_t)(id >> (8 * i));
}

void dp_wal_record_header(uint8_t hdr[DP_WAL_RECORD_HEADER_SIZE], int type,
                          int format, const void *payload, size_t len)
{
    put_u32(hdr, (uint32_t)len);
    hdr[8] = (uint8_t)type;
    hdr[9] = (uint8_t)format;
    hdr[10] = hdr[11] = 0;
    put_u32(hdr + 4, record_crc(hdr + 8, payload, len));
}

int dp_wal_reader_init(dp_wal_reader *r, const uint8_t *data, size_t len,
                       uint64_t *id)
{
    r->data = data;
    r->len = len;
    r->off = 0;
    if (len < DP_WAL_HEADER_SIZE || memcmp(data, DP_WAL_MAGIC, 8) != 0)
        return DP_EPARSE;
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v |= (uint64_t)data[8 + i] << (8 * i);
    *id = v;
    r->off = DP_WAL_HEADER_SIZE;
    return 0;
}

int dp_wal_reader_next(dp_wal_reader *r, dp_wal_record *rec)
{
    if (r->off >= r->len)
        return 0;
    size_t left = r->len - r->off;
    if (left < DP_WAL_RECORD_HEADER_SIZE)
        return DP_EPARSE;
    const uint8_t *h = r->data + r->off;
    uint32_t len = get_u32(h);
    if (len > left - DP_WAL_RECORD_HEADER_SIZE)
        return DP_EPARSE;
    const uint8_t *payload = h + DP_WAL_RECORD_HEADER_SIZE;
    if (h[10] || h[11] || record_crc(h + 8, payload, len) != get_u32(h + 4))
        return DP_EPARSE;
    rec->type = h[8];
    rec->format = h[9];
    rec->payload = payload;
    rec->len = len;
    r->off += DP_WAL_RECORD_HEADER_SIZE + (size_t)len;
    return 1;
}
