/*
 * wal_segment.h - the on-disk format of the write-ahead log's segments.
 *
 * A segment file (wal.dir/<16 hex digits>.wal, the segment id) starts with a
 * 16-byte header: the magic "DPWAL01\n" and the segment id as a little-endian
 * u64. Records follow back to back, each a 12-byte header then the payload:
 *
 *   u32 payload length (LE) | u32 CRC-32 (LE) | u8 type | u8 format | u16 0
 *
 * The CRC (zlib's CRC-32) covers the last four header bytes and the
 * payload, so a flipped type or format is caught as well as a torn payload.
 * Types: DP_WAL_REQUEST, one ExportTraceServiceRequest body as received
 * (format: DP_PAYLOAD_PROTO or DP_PAYLOAD_JSON); DP_WAL_DONE, one or more
 * 16-byte trace ids whose profiles every exporter has finished with (replay
 * skips their spans). Records of other types are skipped by readers.
 *
 * The reader works on a segment held in memory and never trusts a length:
 * the first record that is short or fails its CRC ends the valid prefix
 * (a torn tail after a crash); the caller truncates the file there. This
 * module does no I/O, so it is unit-tested and fuzzed on its own
 * (tests/unit/test_wal.c, tests/fuzz/fuzz_wal_segment.c).
 */
#ifndef DP_WAL_SEGMENT_H
#define DP_WAL_SEGMENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DP_WAL_MAGIC "DPWAL01\n"
#define DP_WAL_HEADER_SIZE 16
#define DP_WAL_RECORD_HEADER_SIZE 12
/* The largest payload a record may claim (a request is at most
 * receivers.otlp.http.max_body_size, itself under 4 GiB). */
#define DP_WAL_MAX_PAYLOAD ((uint32_t)0xffffffffu)

enum dp_wal_record_type { DP_WAL_REQUEST = 1, DP_WAL_DONE = 2 };

typedef struct dp_wal_record {
    int type;               /* enum dp_wal_record_type (or unknown) */
    int format;             /* DP_WAL_REQUEST: enum dp_payload_format */
    const uint8_t *payload; /* points into the reader's buffer */
    size_t len;
} dp_wal_record;

typedef struct dp_wal_reader {
    const uint8_t *data;
    size_t len;
    size_t off; /* start of the next record: the valid prefix so far */
} dp_wal_reader;

/* Writes the segment header for id into out. */
void dp_wal_segment_header(uint8_t out[DP_WAL_HEADER_SIZE], uint64_t id);

/* Fills hdr, the record header of a payload of len bytes (<=
 * DP_WAL_MAX_PAYLOAD), its CRC included. O(len). */
void dp_wal_record_header(uint8_t hdr[DP_WAL_RECORD_HEADER_SIZE], int type,
                          int format, const void *payload, size_t len);

/* Starts reading the segment data[0..len). Returns 0 with *id set, or
 * DP_EPARSE when the header is missing or not a segment's (r->off is then
 * 0: nothing of the file is valid). */
int dp_wal_reader_init(dp_wal_reader *r, const uint8_t *data, size_t len,
                       uint64_t *id);

/* Reads the next record. Returns 1 with *rec filled (r->off moves past
 * it), 0 at a clean end of data, or DP_EPARSE when the bytes at r->off are
 * not a whole record with a good CRC: r->off is the valid prefix, where
 * the file should be truncated. Never reads outside data[0..len). */
int dp_wal_reader_next(dp_wal_reader *r, dp_wal_record *rec);

#endif /* DP_WAL_SEGMENT_H */
