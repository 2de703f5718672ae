/*
 * fuzz_wal_segment.c - libFuzzer target for the write-ahead log's segment
 * reader (see tests/fuzz/CMakeLists.txt). The input is a segment file.
 *
 * In memory (dp_wal_reader_*): every call returns 1, 0 or DP_EPARSE, the
 * valid prefix only grows and stays within the input, and the records read
 * re-encode (dp_wal_segment_header, dp_wal_record_header) to exactly the
 * bytes of that prefix: the reader accepts what the writer writes and
 * nothing else. On disk (dp_wal_open, dp_wal_replay): the input as the one
 * segment of a log directory is truncated to that prefix (or removed when
 * it has no header) and replays exactly the REQUEST records read in memory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "processor.h"
#include "wal.h"
#include "wal_segment.h"

static int count_replayed(void *user, uint64_t seg, int format,
                          const uint8_t *body, size_t len)
{
    (void)seg;
    (void)format;
    (void)body;
    (void)len;
    (*(size_t *)user)++;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char dir[64];
    static uint8_t *again;
    if (!dir[0]) {
        strcpy(dir, "/tmp/dp-fuzz-wal.XXXXXX");
        if (!mkdtemp(dir))
            abort();
        dp_log_set_level(DP_LOG_ERROR);
    }

    /* In memory. */
    dp_wal_reader r;
    uint64_t id = 0;
    size_t requests = 0, prefix = 0;
    bool has_header = dp_wal_reader_init(&r, data, size, &id) == 0;
    if (has_header) {
        free(again);
        again = malloc(size ? size : 1);
        if (!again)
            abort();
        dp_wal_segment_header(again, id);
        size_t at = DP_WAL_HEADER_SIZE;
        dp_wal_record rec;
        int rc;
        while ((rc = dp_wal_reader_next(&r, &rec)) == 1) {
            if (r.off > size || r.off <= at)
                abort();
            dp_wal_record_header(again + at, rec.type, rec.format, rec.payload,
                                 rec.len);
            memcpy(again + at + DP_WAL_RECORD_HEADER_SIZE, rec.payload,
                   rec.len);
            at += DP_WAL_RECORD_HEADER_SIZE + rec.len;
            if (rec.type == DP_WAL_REQUEST)
                requests++;
        }
        if ((rc != 0 && rc != DP_EPARSE) || r.off != at)
            abort();
        if (rc == 0 && r.off != size)
            abort();
        if (memcmp(again, data, at) != 0)
            abort(); /* accepted bytes the writer would not write */
        prefix = at;
    } else if (r.off != 0) {
        abort();
    }

    /* On disk: segment 1 of a log directory. */
    char path[128];
    snprintf(path, sizeof(path), "%s/0000000000000001.wal", dir);
    FILE *f = fopen(path, "wb");
    if (!f || (size && fwrite(data, 1, size, f) != size))
        abort();
    fclose(f);
    dp_wal_config c = {dir, 0, 1, 1 << 20};
    char err[256];
    dp_wal *w = dp_wal_open(&c, err, sizeof(err));
    if (!w)
        abort();
    size_t replayed = 0;
    dp_wal_replay(w, count_replayed, &replayed);
    dp_wal_close(w); /* never started: nothing written or deleted */
    struct stat st;
    int there = stat(path, &st) == 0;
    if (has_header) {
        if (!there || (size_t)st.st_size != prefix || replayed != requests)
            abort();
    } else if (size < DP_WAL_HEADER_SIZE ? there : !there || replayed) {
        abort(); /* a short file is removed, a foreign one left alone */
    }
    unlink(path);
    return 0;
}
