/*
 * fuzz_chunk_in.c - libFuzzer target for the chunked trace-file reader
 * (receiver/chunk_in.c under dp_trace_file_read_in): the same bytes read
 * with reads of 1 to 64 bytes and with one large read must deliver the
 * same spans in the same order with the same return code, whatever
 * chunk boundary falls inside a line, a JSON document or a protobuf
 * frame. The look-ahead that classifies protobuf is set from the input
 * (16 to 271 bytes), so the streaming path of long inputs (frames and a
 * bare message read record by record) is reached with small inputs.
 *
 * Input: byte 0 = read size - 1 (mod 64), byte 1 = look-ahead - 16, rest =
 * the file. Any input must return 0 or DP_EPARSE.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memfd_create */
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "trace_file.h"

struct tally {
    uint64_t spans, hash, records, last;
};

static int sink(void *user, const dp_span_in *s)
{
    struct tally *t = user;
    uint64_t h = t->hash ^ s->start_ns ^ ((uint64_t)s->trace_id[0] << 56);
    for (int i = 0; i < 8; i++)
        h = (h ^ s->span_id[i]) * 0x100000001b3ULL;
    h = (h ^ s->n_attrs ^ (s->name_len << 8)) * 0x100000001b3ULL;
    t->hash = h;
    t->spans++;
    return s->end_ns < s->start_ns ? DP_EBADSPAN : 0;
}

static void on_record(void *user, uint64_t offset)
{
    struct tally *t = user;
    if (t->records++ > 0 && offset <= t->last)
        abort(); /* records are told once, in input order */
    t->last = offset;
}

static void on_error(void *user, const char *msg)
{
    (void)user;
    if (!msg || !msg[0])
        abort();
}

static int read_once(int fd, size_t read_size, size_t ahead, struct tally *t)
{
    dp_chunk_in in;
    dp_decode_ctx ctx;
    dp_trace_file_opts opts = {on_record, t, false, ahead};

    if (lseek(fd, 0, SEEK_SET) != 0)
        abort();
    dp_chunk_in_init_fd(&in, fd, false);
    in.read_size = read_size;
    memset(&ctx, 0, sizeof(ctx));
    memset(t, 0, sizeof(*t));
    ctx.sink = sink;
    ctx.sink_user = t;
    ctx.on_error = on_error;
    int rc = dp_trace_file_read_in(&in, "fuzz", DP_FORMAT_AUTO, &ctx, &opts);
    if (rc != 0 && rc != DP_EPARSE)
        abort();
    if (in.pos > (uint64_t)lseek(fd, 0, SEEK_END))
        abort();
    dp_chunk_in_close(&in);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int fd = -1;
    struct tally small, large;

    if (size < 2)
        return 0;
    size_t read_size = (size_t)(data[0] % 64) + 1, ahead = 16 + data[1];
    data += 2;
    size -= 2;
    if (fd < 0 && (fd = memfd_create("fuzz_chunk_in", 0)) < 0)
        abort();
    if (ftruncate(fd, 0) || pwrite(fd, data, size, 0) != (ssize_t)size)
        abort();
    int a = read_once(fd, read_size, ahead, &small);
    int b = read_once(fd, 1 << 20, ahead, &large);
    if (a != b || small.spans != large.spans || small.hash != large.hash ||
        small.records != large.records)
        abort();
    return 0;
}
