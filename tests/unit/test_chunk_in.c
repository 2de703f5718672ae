/*
 * test_chunk_in.c - unit tests for receiver/chunk_in.c and the streaming
 * trace-file reader on top of it: lines and records that span chunk
 * boundaries (reads of a few bytes), truncated input, a pipe standing in
 * for stdin, the buffer giving memory back after a large record, and a
 * protobuf input longer than the look-ahead (frames and a bare message)
 * read record by record with the spans of a whole read.
 */
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "chunk_in.h"
#include "dp_wire.h"
#include "trace_file.h"

/* A file in the build tree holding data; returns its path (static). */
static const char *tmp_file(const char *name, const void *data, size_t len)
{
    static char path[1024];
    snprintf(path, sizeof(path), "%s/test_chunk_in.%s", DP_BINARY_DIR, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
    return path;
}

static void open_small(dp_chunk_in *in, const char *path, size_t read_size)
{
    assert_int_equal(dp_chunk_in_open(in, path), 0);
    in->read_size = read_size;
}

static void test_chunk_in_lines_across_chunks(void **state)
{
    (void)state;
    static const char text[] = "alpha\nbe\n\nlonger line here\nlast";
    const char *expect[] = {"alpha", "be", "", "longer line here", "last"};
    for (size_t rs = 1; rs <= 9; rs++) {
        dp_chunk_in in;
        const char *line;
        size_t len, k = 0;
        open_small(&in, tmp_file("lines", text, sizeof(text) - 1), rs);
        while (dp_chunk_in_line(&in, &line, &len) == 1) {
            assert_true(k < 5);
            assert_int_equal(len, strlen(expect[k]));
            assert_memory_equal(line, expect[k], len);
            k++;
        }
        assert_int_equal(k, 5);
        assert_int_equal(dp_chunk_in_pos(&in), sizeof(text) - 1);
        assert_int_equal(dp_chunk_in_line(&in, &line, &len), 0);
        dp_chunk_in_close(&in);
    }
}

static void test_chunk_in_need_and_consume(void **state)
{
    (void)state;
    char data[1000];
    for (size_t i = 0; i < sizeof(data); i++)
        data[i] = (char)(i * 7);
    dp_chunk_in in;
    open_small(&in, tmp_file("need", data, sizeof(data)), 3);
    assert_int_equal(in.file_bytes, sizeof(data));
    size_t off = 0;
    /* Records of growing size, each spanning several reads. */
    for (size_t n = 1; off < sizeof(data); n += 13) {
        size_t want = n < sizeof(data) - off ? n : sizeof(data) - off;
        assert_int_equal(dp_chunk_in_need(&in, n), 0);
        assert_true(dp_chunk_in_avail(&in) >= want);
        assert_int_equal(dp_chunk_in_pos(&in), off);
        assert_memory_equal(dp_chunk_in_data(&in), data + off, want);
        dp_chunk_in_consume(&in, want);
        off += want;
    }
    /* Truncated: asking past the end gives what there is, at eof. */
    assert_int_equal(dp_chunk_in_need(&in, 50), 0);
    assert_int_equal(dp_chunk_in_avail(&in), 0);
    assert_true(dp_chunk_in_at_eof(&in));
    dp_chunk_in_close(&in);
    dp_chunk_in_close(&in); /* idempotent */
}

static void test_chunk_in_missing_file(void **state)
{
    (void)state;
    dp_chunk_in in;
    assert_int_equal(dp_chunk_in_open(&in, DP_BINARY_DIR "/no/such/file"),
                     DP_EIO);
    assert_int_not_equal(in.err, 0);
    dp_chunk_in_close(&in);
}

static void test_chunk_in_trim_after_large_record(void **state)
{
    (void)state;
    size_t big = 6 * 4096 + 100;
    char *data = calloc(1, big + 10);
    assert_non_null(data);
    dp_chunk_in in;
    open_small(&in, tmp_file("trim", data, big + 10), 4096);
    assert_int_equal(dp_chunk_in_need(&in, big), 0);
    assert_true(in.cap >= big);
    dp_chunk_in_consume(&in, big);
    dp_chunk_in_trim(&in);
    assert_true(in.cap <= 2 * 4096);
    assert_int_equal(dp_chunk_in_need(&in, 10), 0);
    assert_int_equal(dp_chunk_in_avail(&in), 10);
    dp_chunk_in_close(&in);
    free(data);
}

/* ---- a pipe, as stdin is ------------------------------------------------- */

struct writer {
    int fd;
    const char *data;
    size_t len;
};

static void *write_slowly(void *arg)
{
    struct writer *w = arg;
    for (size_t off = 0; off < w->len;) {
        size_t n = w->len - off < 5 ? w->len - off : 5;
        ssize_t k = write(w->fd, w->data + off, n);
        if (k <= 0)
            break;
        off += (size_t)k;
    }
    close(w->fd);
    return NULL;
}

static void test_chunk_in_pipe(void **state)
{
    (void)state;
    static const char text[] = "one\ntwo\nthree\n";
    int p[2];
    pthread_t th;
    assert_int_equal(pipe(p), 0);
    struct writer w = {p[1], text, sizeof(text) - 1};
    assert_int_equal(pthread_create(&th, NULL, write_slowly, &w), 0);
    dp_chunk_in in;
    dp_chunk_in_init_fd(&in, p[0], true);
    assert_int_equal(in.file_bytes, 0);
    const char *line;
    size_t len, n = 0;
    while (dp_chunk_in_line(&in, &line, &len) == 1)
        n++;
    assert_int_equal(n, 3);
    assert_int_equal(dp_chunk_in_pos(&in), sizeof(text) - 1);
    dp_chunk_in_close(&in);
    pthread_join(th, NULL);
}

/* ---- the trace reader on small chunks, files and pipes ------------------ */

struct counts {
    uint64_t spans, first_start, last_start;
    uint64_t records;
    uint64_t last_offset;
};

static int count_sink(void *user, const dp_span_in *s)
{
    struct counts *c = user;
    if (c->spans++ == 0)
        c->first_start = s->start_ns;
    c->last_start = s->start_ns;
    return 0;
}

static void count_record(void *user, uint64_t offset)
{
    struct counts *c = user;
    assert_true(c->records == 0 || offset > c->last_offset);
    c->records++;
    c->last_offset = offset;
}

static void quiet(void *user, const char *msg)
{
    (void)user;
    (void)msg;
}

static int read_with(dp_chunk_in *in, struct counts *c, const char *name)
{
    dp_decode_ctx ctx;
    dp_trace_file_opts opts = {count_record, c, false, 0};
    memset(&ctx, 0, sizeof(ctx));
    memset(c, 0, sizeof(*c));
    ctx.sink = count_sink;
    ctx.sink_user = c;
    ctx.on_error = quiet;
    return dp_trace_file_read_in(in, name, DP_FORMAT_AUTO, &ctx, &opts);
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char *buf = malloc(1 << 20);
    assert_non_null(buf);
    *len = fread(buf, 1, 1 << 20, f);
    fclose(f);
    return buf;
}

/* Every fixture gives the same spans whatever the read size. */
static void test_chunk_in_fixtures_any_read_size(void **state)
{
    (void)state;
    const char *names[] = {"lines.json", "pretty.json", "same_trace.pb",
                           "same_trace_bare.pb"};
    for (size_t i = 0; i < 4; i++) {
        char path[1024];
        struct counts whole, part;
        dp_chunk_in in;
        snprintf(path, sizeof(path), "%s/tests/data/decode/%s", DP_SOURCE_DIR,
                 names[i]);
        assert_int_equal(dp_chunk_in_open(&in, path), 0);
        assert_int_equal(read_with(&in, &whole, path), 0);
        dp_chunk_in_close(&in);
        assert_true(whole.spans > 0);
        for (size_t rs = 1; rs < 40; rs += 3) {
            open_small(&in, path, rs);
            assert_int_equal(read_with(&in, &part, path), 0);
            dp_chunk_in_close(&in);
            assert_int_equal(part.spans, whole.spans);
            assert_int_equal(part.first_start, whole.first_start);
            assert_int_equal(part.last_start, whole.last_start);
            assert_int_equal(part.records, whole.records);
        }
    }
}

/* One varint-delimited frame of the fixture, repeated past the 8 MiB
 * look-ahead: read record by record from a pipe, every frame delivered;
 * cut in the middle of the last frame, the rest still delivered and the
 * cut reported as DP_EPARSE. The same bytes without the length prefixes
 * are one bare message, read one resource_spans at a time. */
static void test_chunk_in_long_protobuf_streamed(void **state)
{
    (void)state;
    size_t flen;
    char *frames =
        slurp(DP_SOURCE_DIR "/tests/data/decode/same_trace.pb", &flen);
    /* The fixture's first frame. */
    const uint8_t *at = (const uint8_t *)frames;
    uint64_t len = 0;
    assert_true(dp_wire_get_varint(&at, at + flen, &len));
    size_t off = (size_t)(at - (const uint8_t *)frames), n = (size_t)len;
    size_t one = off + n, reps = ((size_t)9 << 20) / one + 1;
    char *big = malloc(reps * one), *bare = malloc(reps * n);
    assert_non_null(big);
    assert_non_null(bare);
    for (size_t i = 0; i < reps; i++) {
        memcpy(big + i * one, frames, one);
        memcpy(bare + i * n, frames + off, n);
    }
    struct counts c1, c;
    dp_chunk_in in;
    assert_int_equal(dp_chunk_in_open(&in, tmp_file("one", frames, one)), 0);
    assert_int_equal(read_with(&in, &c1, "one"), 0);
    dp_chunk_in_close(&in);
    assert_true(c1.spans > 0);

    /* Frames, through a pipe. */
    int p[2];
    pthread_t th;
    assert_int_equal(pipe(p), 0);
    struct writer w = {p[1], big, reps * one};
    assert_int_equal(pthread_create(&th, NULL, write_slowly, &w), 0);
    dp_chunk_in_init_fd(&in, p[0], true);
    in.read_size = 65536;
    assert_int_equal(read_with(&in, &c, "stdin"), 0);
    pthread_join(th, NULL);
    assert_int_equal(c.spans, c1.spans * reps);
    assert_int_equal(c.records, reps);
    assert_true(in.cap < ((size_t)9 << 20) + 65536 * 2);
    dp_chunk_in_close(&in);

    /* Truncated inside the last frame. */
    assert_int_equal(
        dp_chunk_in_open(&in, tmp_file("cut", big, reps * one - n / 2)), 0);
    assert_int_equal(read_with(&in, &c, "cut"), DP_EPARSE);
    dp_chunk_in_close(&in);
    assert_int_equal(c.spans, c1.spans * (reps - 1));

    /* A bare message that long. */
    assert_int_equal(dp_chunk_in_open(&in, tmp_file("bare", bare, reps * n)),
                     0);
    assert_int_equal(read_with(&in, &c, "bare"), 0);
    dp_chunk_in_close(&in);
    assert_int_equal(c.spans, c1.spans * reps);
    assert_true(c.records >= reps);
    free(big);
    free(bare);
    free(frames);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chunk_in_lines_across_chunks),
        cmocka_unit_test(test_chunk_in_need_and_consume),
        cmocka_unit_test(test_chunk_in_missing_file),
        cmocka_unit_test(test_chunk_in_trim_after_large_record),
        cmocka_unit_test(test_chunk_in_pipe),
        cmocka_unit_test(test_chunk_in_fixtures_any_read_size),
        cmocka_unit_test(test_chunk_in_long_protobuf_streamed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
