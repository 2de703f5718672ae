/*
 * test_wal.c - the write-ahead log: the segment format (pipeline/wal_segment.c:
 * round trip, CRC, torn tails, bad headers) and the log itself (pipeline/wal.c,
 * pipeline/wal_replay.c) on a temporary directory: append and replay, a torn
 * tail truncated at open, rotation, deletion oldest first once nothing is
 * held, DONE records skipping traces, group commit from several threads,
 * holds released after close, and files that are not segments.
 */
#include <dirent.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "log.h"
#include "processor.h"
#include "receiver.h"
#include "wal.h"
#include "wal_dir.h"
#include "wal_internal.h"
#include "wal_segment.h"

/* ---- helpers --------------------------------------------------------------
 */

struct seg_buf {
    uint8_t data[1 << 16];
    size_t len;
};

static void sb_header(struct seg_buf *b, uint64_t id)
{
    dp_wal_segment_header(b->data, id);
    b->len = DP_WAL_HEADER_SIZE;
}

static size_t sb_record(struct seg_buf *b, int type, int format,
                        const void *payload, size_t len)
{
    size_t at = b->len;
    dp_wal_record_header(b->data + b->len, type, format, payload, len);
    memcpy(b->data + b->len + DP_WAL_RECORD_HEADER_SIZE, payload, len);
    b->len += DP_WAL_RECORD_HEADER_SIZE + len;
    return at;
}

static size_t count_segments(const char *dir)
{
    DIR *d = opendir(dir);
    size_t n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)))
        if (strlen(e->d_name) == 20 && strstr(e->d_name, ".wal"))
            n++;
    if (d)
        closedir(d);
    return n;
}

static bool segment_exists(const char *dir, uint64_t id)
{
    char p[512];
    snprintf(p, sizeof(p), "%s/%016llx.wal", dir, (unsigned long long)id);
    return access(p, F_OK) == 0;
}

static dp_wal *open_wal(const char *dir, uint64_t segment_size)
{
    dp_wal_config c = {dir, 0, 1, segment_size};
    char err[256];
    dp_wal *w = dp_wal_open(&c, err, sizeof(err));
    assert_non_null(w);
    assert_int_equal(dp_wal_start(w, err, sizeof(err)), 0);
    return w;
}

struct replayed {
    size_t n;
    uint64_t seg[64];
    int format[64];
    char body[64][64];
    const dp_wal *w;
    uint8_t probe[16];
    bool probe_done;
};

static int on_replay(void *user, uint64_t seg, int format, const uint8_t *body,
                     size_t len)
{
    struct replayed *r = user;
    if (r->n < 64) {
        r->seg[r->n] = seg;
        r->format[r->n] = format;
        snprintf(r->body[r->n], sizeof(r->body[0]), "%.*s", (int)len,
                 (const char *)body);
    }
    r->n++;
    if (r->w)
        r->probe_done = dp_wal_trace_done(r->w, r->probe);
    return 0;
}

static uint64_t append(dp_wal *w, int format, const char *body)
{
    uint64_t seg, ticket;
    assert_int_equal(dp_wal_append(w, format, (const uint8_t *)body,
                                   strlen(body), &seg, &ticket),
                     0);
    assert_int_equal(dp_wal_wait(w, ticket), 0);
    return seg;
}

/* ---- the segment format ---------------------------------------------------
 */

static void test_wal_segment_round_trip(void **state)
{
    (void)state;
    static struct seg_buf b;
    uint8_t id[16] = {1, 2, 3};
    sb_header(&b, 42);
    sb_record(&b, DP_WAL_REQUEST, DP_PAYLOAD_PROTO, "\x0a\x01\x02", 3);
    sb_record(&b, DP_WAL_REQUEST, DP_PAYLOAD_JSON, "{}", 2);
    sb_record(&b, DP_WAL_DONE, 0, id, 16);
    sb_record(&b, DP_WAL_REQUEST, DP_PAYLOAD_PROTO, "", 0);

    dp_wal_reader r;
    uint64_t sid = 0;
    dp_wal_record rec;
    assert_int_equal(dp_wal_reader_init(&r, b.data, b.len, &sid), 0);
    assert_int_equal(sid, 42);
    assert_int_equal(dp_wal_reader_next(&r, &rec), 1);
    assert_int_equal(rec.type, DP_WAL_REQUEST);
    assert_int_equal(rec.format, DP_PAYLOAD_PROTO);
    assert_int_equal(rec.len, 3);
    assert_memory_equal(rec.payload, "\x0a\x01\x02", 3);
    assert_int_equal(dp_wal_reader_next(&r, &rec), 1);
    assert_int_equal(rec.format, DP_PAYLOAD_JSON);
    assert_memory_equal(rec.payload, "{}", 2);
    assert_int_equal(dp_wal_reader_next(&r, &rec), 1);
    assert_int_equal(rec.type, DP_WAL_DONE);
    assert_memory_equal(rec.payload, id, 16);
    assert_int_equal(dp_wal_reader_next(&r, &rec), 1);
    assert_int_equal(rec.len, 0);
    assert_int_equal(dp_wal_reader_next(&r, &rec), 0);
    assert_int_equal(r.off, b.len);
}

static void test_wal_segment_crc_catches_every_flipped_byte(void **state)
{
    (void)state;
    static struct seg_buf b;
    sb_header(&b, 1);
    sb_record(&b, DP_WAL_REQUEST, DP_PAYLOAD_PROTO, "first", 5);
    size_t second = sb_record(&b, DP_WAL_REQUEST, DP_PAYLOAD_JSON, "second", 6);
    /* Any byte of the second record flipped (length aside, which may make
     * it run short instead): the first stays, the second is refused. */
    for (size_t at = second; at < b.len; at++) {
        b.data[at] ^= 0x40;
        dp_wal_reader r;
        uint64_t id;
        dp_wal_record rec;
        assert_int_equal(dp_wal_reader_init(&r, b.data, b.len, &id), 0);
        assert_int_equal(dp_wal_reader_next(&r, &rec), 1);
        assert_int_equal(dp_wal_reader_next(&r, &rec), DP_EPARSE);
        assert_int_equal(r.off, second);
        b.data[at] ^= 0x40;
    }
}

static void test_wal_segment_torn_tail_at_every_length(void **state)
{
    (void)state;
    static struct seg_buf b;
    sb_header(&b, 1);
    size_t first_end = DP_WAL_HEADER_SIZE + DP_WAL_RECORD_HEADER_SIZE + 4;
    sb_record(&b, DP_WAL_REQUEST, DP_PAYLOAD_PROTO, "abcd", 4);
    sb_record(&b, DP_WAL_REQUEST, DP_PAYLOAD_PROTO, "0123456789", 10);
    for (size_t len = first_end; len <= b.len; len++) {
        dp_wal_reader r;
        uint64_t id;
        dp_wal_record rec;
        assert_int_equal(dp_wal_reader_init(&r, b.data, len, &id), 0);
        assert_int_equal(dp_wal_reader_next(&r, &rec), 1);
        int rc = dp_wal_reader_next(&r, &rec);
        if (len == first_end) {
            assert_int_equal(rc, 0); /* a clean end */
        } else if (len == b.len) {
            assert_int_equal(rc, 1);
            assert_int_equal(dp_wal_reader_next(&r, &rec), 0);
        } else {
            assert_int_equal(rc, DP_EPARSE); /* torn */
            assert_int_equal(r.off, first_end);
        }
    }
    /* Zeros after the last record (a file extended but not written). */
    memset(b.data + b.len, 0, 64);
    dp_wal_reader r;
    uint64_t id;
    dp_wal_record rec;
    assert_int_equal(dp_wal_reader_init(&r, b.data, b.len + 64, &id), 0);
    assert_int_equal(dp_wal_reader_next(&r, &rec), 1);
    assert_int_equal(dp_wal_reader_next(&r, &rec), 1);
    assert_int_equal(dp_wal_reader_next(&r, &rec), DP_EPARSE);
    assert_int_equal(r.off, b.len);
}

static void test_wal_segment_bad_header(void **state)
{
    (void)state;
    uint8_t buf[DP_WAL_HEADER_SIZE];
    dp_wal_segment_header(buf, 7);
    dp_wal_reader r;
    uint64_t id;
    assert_int_equal(dp_wal_reader_init(&r, buf, sizeof(buf) - 1, &id),
                     DP_EPARSE);
    assert_int_equal(r.off, 0);
    buf[0] = 'X';
    assert_int_equal(dp_wal_reader_init(&r, buf, sizeof(buf), &id), DP_EPARSE);
    assert_int_equal(dp_wal_reader_init(&r, buf, 0, &id), DP_EPARSE);
}

/* ---- the log --------------------------------------------------------------
 */

static void test_wal_append_then_replay(void **state)
{
    (void)state;
    char dir[64];
    dp_wal_dir_make(dir, "wal");
    dp_wal *w = open_wal(dir, 1 << 20);
    /* The request holds are never dropped: everything is kept. */
    uint64_t s1 = append(w, DP_PAYLOAD_PROTO, "one");
    uint64_t s2 = append(w, DP_PAYLOAD_JSON, "two");
    append(w, DP_PAYLOAD_PROTO, "three");
    assert_int_equal(s1, s2);
    dp_wal_stats st;
    dp_wal_stats_get(w, &st);
    assert_int_equal(st.records, 3);
    assert_true(st.syncs >= 1);
    dp_wal_close(w);
    assert_int_equal(count_segments(dir), 1);

    w = open_wal(dir, 1 << 20);
    struct replayed r = {0};
    assert_int_equal(dp_wal_replay(w, on_replay, &r), 3);
    assert_int_equal(r.n, 3);
    assert_string_equal(r.body[0], "one");
    assert_int_equal(r.format[0], DP_PAYLOAD_PROTO);
    assert_string_equal(r.body[1], "two");
    assert_int_equal(r.format[1], DP_PAYLOAD_JSON);
    assert_string_equal(r.body[2], "three");
    assert_int_equal(r.seg[0], s1);
    /* Nothing holds the old segment once replayed: it goes, and so does
     * the new one at close. */
    WAIT_UNTIL(!segment_exists(dir, s1));
    dp_wal_close(w);
    assert_int_equal(count_segments(dir), 0);
    dp_wal_dir_remove(dir);
}

static void test_wal_torn_tail_truncated_at_open(void **state)
{
    (void)state;
    char dir[64];
    dp_wal_dir_make(dir, "wal");
    dp_wal *w = open_wal(dir, 1 << 20);
    uint64_t seg = append(w, DP_PAYLOAD_PROTO, "kept-1");
    append(w, DP_PAYLOAD_PROTO, "kept-2");
    dp_wal_close(w);
    char path[512];
    snprintf(path, sizeof(path), "%s/%016llx.wal", dir,
             (unsigned long long)seg);
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    off_t good = sb.st_size;
    /* A record cut short by the crash. */
    uint8_t hdr[DP_WAL_RECORD_HEADER_SIZE];
    dp_wal_record_header(hdr, DP_WAL_REQUEST, 0, "lost-record", 11);
    FILE *f = fopen(path, "ab");
    assert_non_null(f);
    fwrite(hdr, 1, sizeof(hdr), f);
    fwrite("lost", 1, 4, f);
    fclose(f);

    w = open_wal(dir, 1 << 20);
    dp_wal_stats st;
    dp_wal_stats_get(w, &st);
    assert_int_equal(st.truncated, 1);
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_size, good);
    struct replayed r = {0};
    assert_int_equal(dp_wal_replay(w, on_replay, &r), 2);
    assert_string_equal(r.body[1], "kept-2");
    dp_wal_close(w);
    dp_wal_dir_remove(dir);
}

static void test_wal_rotation_by_size(void **state)
{
    (void)state;
    char dir[64];
    dp_wal_dir_make(dir, "wal");
    dp_wal *w = open_wal(dir, 4096);
    char body[1001];
    memset(body, 'x', 1000);
    body[1000] = '\0';
    uint64_t first = 0, last = 0;
    for (int i = 0; i < 10; i++) {
        last = append(w, DP_PAYLOAD_PROTO, body);
        if (!i)
            first = last;
    }
    /* Four 1 KiB records and their headers fit in 4 KiB: three segments. */
    assert_int_equal(last - first, 2);
    assert_int_equal(count_segments(dir), 3);
    dp_wal_close(w); /* the holds were never dropped: all kept */
    w = open_wal(dir, 4096);
    struct replayed r = {0};
    assert_int_equal(dp_wal_replay(w, on_replay, &r), 10);
    assert_int_equal(r.seg[9], last);
    dp_wal_close(w);
    dp_wal_dir_remove(dir);
}

static void test_wal_deletion_oldest_first(void **state)
{
    (void)state;
    char dir[64];
    dp_wal_dir_make(dir, "wal");
    dp_wal *w = open_wal(dir, 4096);
    char body[3001];
    memset(body, 'y', 3000);
    body[3000] = '\0';
    /* One record per segment: a, b, c. */
    uint64_t a = append(w, DP_PAYLOAD_PROTO, body);
    uint64_t b = append(w, DP_PAYLOAD_PROTO, body);
    uint64_t c = append(w, DP_PAYLOAD_PROTO, body);
    assert_true(a < b && b < c);
    uint8_t ta[16] = {0xa}, tb[16] = {0xb};
    /* A trace holds a, another b; the requests let go. */
    dp_wal_ref(w, a, 1);
    dp_wal_ref(w, b, 1);
    dp_wal_unref(w, a);
    dp_wal_unref(w, b);
    dp_wal_unref(w, c);
    /* b is free before a: kept, a is older and held. */
    dp_wal_trace_out(w, b, tb);
    sleep_ms(500);
    assert_true(segment_exists(dir, a));
    assert_true(segment_exists(dir, b));
    dp_wal_trace_out(w, a, ta);
    WAIT_UNTIL(!segment_exists(dir, a) && !segment_exists(dir, b));
    /* Nothing held at all: the segment written last goes too (the log
     * starts a fresh one). */
    WAIT_UNTIL(!segment_exists(dir, c));
    assert_int_equal(count_segments(dir), 1);
    dp_wal_stats st;
    dp_wal_stats_get(w, &st);
    assert_true(st.deleted >= 3);
    dp_wal_close(w);
    assert_int_equal(count_segments(dir), 0);
    dp_wal_dir_remove(dir);
}

static void test_wal_done_traces_known_at_replay(void **state)
{
    (void)state;
    char dir[64];
    dp_wal_dir_make(dir, "wal");
    dp_wal *w = open_wal(dir, 1 << 20);
    uint64_t seg = append(w, DP_PAYLOAD_PROTO, "req");
    uint8_t done[16] = {9, 9, 9};
    dp_wal_ref(w, seg, 1); /* a trace still in memory at the crash */
    dp_wal_ref(w, seg, 1);
    dp_wal_trace_out(w, seg, done);
    append(w, DP_PAYLOAD_PROTO, "req-2"); /* a round that writes DONE */
    dp_wal_close(w);

    w = open_wal(dir, 1 << 20);
    struct replayed r = {0};
    r.w = w;
    memcpy(r.probe, done, 16);
    assert_int_equal(dp_wal_replay(w, on_replay, &r), 2);
    assert_true(r.probe_done);
    dp_wal_close(w);
    dp_wal_dir_remove(dir);
}

struct appender {
    dp_wal *w;
    int n;
    int failures;
};

static void *append_thread(void *arg)
{
    struct appender *a = arg;
    for (int i = 0; i < a->n; i++) {
        uint64_t seg, ticket;
        if (dp_wal_append(a->w, DP_PAYLOAD_PROTO, (const uint8_t *)"span", 4,
                          &seg, &ticket) != 0 ||
            dp_wal_wait(a->w, ticket) != 0) {
            a->failures++;
            continue;
        }
        dp_wal_unref(a->w, seg);
    }
    return NULL;
}

static void test_wal_group_commit_from_threads(void **state)
{
    (void)state;
    char dir[64];
    dp_wal_dir_make(dir, "wal");
    dp_wal_config c = {dir, 2000000 /* 2 ms */, 8, 1 << 20};
    char err[256];
    dp_wal *w = dp_wal_open(&c, err, sizeof(err));
    assert_non_null(w);
    assert_int_equal(dp_wal_start(w, err, sizeof(err)), 0);
    pthread_t t[8];
    struct appender a[8];
    for (int i = 0; i < 8; i++) {
        a[i] = (struct appender){w, 50, 0};
        pthread_create(&t[i], NULL, append_thread, &a[i]);
    }
    for (int i = 0; i < 8; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(a[i].failures, 0);
    }
    dp_wal_stats st;
    dp_wal_stats_get(w, &st);
    assert_int_equal(st.records, 400);
    /* Waiting requests share a sync. */
    assert_true(st.syncs < st.records);
    dp_wal_close(w);
    assert_int_equal(count_segments(dir), 0);
    dp_wal_dir_remove(dir);
}

static void test_wal_hold_released_after_close(void **state)
{
    (void)state;
    char dir[64];
    dp_wal_dir_make(dir, "wal");
    dp_wal *w = open_wal(dir, 1 << 20);
    uint64_t seg = append(w, DP_PAYLOAD_PROTO, "req");
    uint8_t id[16] = {1};
    dp_wal_ref(w, seg, 1);
    dp_wal_unref(w, seg);
    dp_wal_hold *h = dp_wal_hold_create(w, seg, id);
    assert_non_null(h);
    dp_wal_close(w); /* held: the segment stays; the log waits for h */
    assert_int_equal(count_segments(dir), 1);
    dp_wal_hold_release(h); /* frees the log (the leak check sees it) */
    dp_wal_hold_release(NULL);
    dp_wal_dir_remove(dir);
}

static void test_wal_files_that_are_not_segments(void **state)
{
    (void)state;
    char dir[64], p[512];
    dp_wal_dir_make(dir, "wal");
    snprintf(p, sizeof(p), "%s/notes.txt", dir);
    FILE *f = fopen(p, "w");
    fputs("hello", f);
    fclose(f);
    /* Named like a segment, created but never given its header. */
    snprintf(p, sizeof(p), "%s/0000000000000003.wal", dir);
    f = fopen(p, "w");
    fputs("DPW", f);
    fclose(f);
    /* Named like a segment, not one: left alone. */
    snprintf(p, sizeof(p), "%s/0000000000000004.wal", dir);
    f = fopen(p, "w");
    fputs("this is not a write-ahead log segment", f);
    fclose(f);
    dp_wal *w = open_wal(dir, 1 << 20);
    struct replayed r = {0};
    assert_int_equal(dp_wal_replay(w, on_replay, &r), 0);
    assert_false(segment_exists(dir, 3));
    assert_true(segment_exists(dir, 4));
    snprintf(p, sizeof(p), "%s/notes.txt", dir);
    assert_int_equal(access(p, F_OK), 0);
    dp_wal_close(w);
    assert_true(segment_exists(dir, 4));
    dp_wal_dir_remove(dir);
}

static void test_wal_dir_created_and_refused(void **state)
{
    (void)state;
    char dir[64], sub[128];
    dp_wal_dir_make(dir, "wal");
    snprintf(sub, sizeof(sub), "%s/a/b/wal", dir);
    dp_wal_config c = {sub, 0, 1, 1 << 20};
    char err[256];
    dp_wal *w = dp_wal_open(&c, err, sizeof(err));
    assert_non_null(w);
    struct stat sb;
    assert_int_equal(stat(sub, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0700);
    dp_wal_close(w);
    /* A file where the directory should be. */
    char file[160];
    snprintf(file, sizeof(file), "%s/file", dir);
    FILE *f = fopen(file, "w");
    fclose(f);
    c.dir = file;
    assert_null(dp_wal_open(&c, err, sizeof(err)));
    assert_non_null(strstr(err, "wal.dir"));
    unlink(file);
    rmdir(sub);
    snprintf(sub, sizeof(sub), "%s/a/b", dir);
    rmdir(sub);
    snprintf(sub, sizeof(sub), "%s/a", dir);
    rmdir(sub);
    dp_wal_dir_remove(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wal_segment_round_trip),
        cmocka_unit_test(test_wal_segment_crc_catches_every_flipped_byte),
        cmocka_unit_test(test_wal_segment_torn_tail_at_every_length),
        cmocka_unit_test(test_wal_segment_bad_header),
        cmocka_unit_test(test_wal_append_then_replay),
        cmocka_unit_test(test_wal_torn_tail_truncated_at_open),
        cmocka_unit_test(test_wal_rotation_by_size),
        cmocka_unit_test(test_wal_deletion_oldest_first),
        cmocka_unit_test(test_wal_done_traces_known_at_replay),
        cmocka_unit_test(test_wal_group_commit_from_threads),
        cmocka_unit_test(test_wal_hold_released_after_close),
        cmocka_unit_test(test_wal_files_that_are_not_segments),
        cmocka_unit_test(test_wal_dir_created_and_refused),
    };
    dp_log_set_level(DP_LOG_ERROR);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
