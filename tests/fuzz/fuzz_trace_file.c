/*
 * fuzz_trace_file.c - libFuzzer target for dp_trace_file_read (see
 * tests/fuzz/CMakeLists.txt): the input becomes an in-memory file read with
 * format detection, so JSON lines, pretty documents and protobuf framing are
 * all reached. Any input must return 0 or DP_EPARSE.
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

static int sink(void *user, const dp_span_in *s)
{
    (void)user;
    return s->end_ns < s->start_ns ? DP_EBADSPAN : 0;
}

static void on_error(void *user, const char *msg)
{
    (void)user;
    if (!msg || !msg[0])
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int fd = -1;
    char path[64];
    dp_decode_ctx ctx;
    int rc;

    if (fd < 0 && (fd = memfd_create("fuzz_trace_file", 0)) < 0)
        abort();
    if (ftruncate(fd, 0) || pwrite(fd, data, size, 0) != (ssize_t)size)
        abort();
    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    memset(&ctx, 0, sizeof(ctx));
    ctx.sink = sink;
    ctx.on_error = on_error;
    rc = dp_trace_file_read(path, DP_FORMAT_AUTO, &ctx);
    if (rc != 0 && rc != DP_EPARSE)
        abort();
    return 0;
}
