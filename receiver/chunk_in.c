/*
 * chunk_in.c - chunked sequential input with look-ahead (see chunk_in.h).
 * Used by trace_file.c for every trace-file format and by the offline
 * commands' input detection (runs/input.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "chunk_in.h"
#include "processor.h"

static void init(dp_chunk_in *in, int fd, bool own)
{
    struct stat st;

    memset(in, 0, sizeof(*in));
    in->fd = fd;
    in->own_fd = own;
    in->read_size = DP_CHUNK_IN_READ;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
        in->file_bytes = (uint64_t)st.st_size;
#ifdef POSIX_FADV_SEQUENTIAL
        (void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
    }
}

int dp_chunk_in_open(dp_chunk_in *in, const char *path)
{
    int fd;

    if (strcmp(path, "-") == 0) {
        init(in, STDIN_FILENO, false);
        return 0;
    }
    do
        fd = open(path, O_RDONLY | O_CLOEXEC);
    while (fd < 0 && errno == EINTR);
    if (fd < 0) {
        memset(in, 0, sizeof(*in));
        in->fd = -1;
        in->err = errno;
        return DP_EIO;
    }
    init(in, fd, true);
    return 0;
}

void dp_chunk_in_init_fd(dp_chunk_in *in, int fd, bool own)
{
    init(in, fd, own);
}

void dp_chunk_in_close(dp_chunk_in *in)
{
    if (in->own_fd && in->fd >= 0)
        close(in->fd);
    in->fd = -1;
    in->own_fd = false;
    free(in->buf);
    in->buf = NULL;
    in->start = in->end = in->cap = 0;
}

void dp_chunk_in_consume(dp_chunk_in *in, size_t n)
{
    if (n > in->end - in->start)
        n = in->end - in->start;
    in->start += n;
    in->pos += n;
    if (in->start == in->end)
        in->start = in->end = 0;
}

/* Makes room for room bytes after the unconsumed ones. */
static int make_room(dp_chunk_in *in, size_t room)
{
    size_t avail = in->end - in->start;

    if (in->cap - in->end >= room)
        return 0;
    if (in->start > 0) {
        memmove(in->buf, in->buf + in->start, avail);
        in->start = 0;
        in->end = avail;
        if (in->cap - in->end >= room)
            return 0;
    }
    if (room > SIZE_MAX / 2 - avail)
        return DP_ENOMEM;
    size_t cap = in->cap ? in->cap : in->read_size;
    while (cap < avail + room)
        cap *= 2;
    char *p = realloc(in->buf, cap);
    if (!p)
        return DP_ENOMEM;
    in->buf = p;
    in->cap = cap;
    return 0;
}

int dp_chunk_in_fill(dp_chunk_in *in)
{
    ssize_t n;
    int rc;

    if (in->eof)
        return 0;
    if ((rc = make_room(in, in->read_size)))
        return rc;
    do
        n = read(in->fd, in->buf + in->end, in->cap - in->end);
    while (n < 0 && errno == EINTR);
    if (n < 0) {
        in->err = errno ? errno : EIO;
        return DP_EIO;
    }
    if (n == 0)
        in->eof = true;
    in->end += (size_t)n;
    return 0;
}

int dp_chunk_in_need(dp_chunk_in *in, size_t n)
{
    while (in->end - in->start < n && !in->eof) {
        size_t want = n - (in->end - in->start);
        int rc;

        /* One allocation for a large record, not one doubling per read;
         * never more than a regular file still holds (a bogus length
         * prefix must not allocate it), and for a pipe only by doubling. */
        if (want > in->read_size && in->file_bytes > 0) {
            uint64_t left =
                in->file_bytes > in->pos + dp_chunk_in_avail(in)
                    ? in->file_bytes - in->pos - dp_chunk_in_avail(in)
                    : 0;
            if (left + 1 < want)
                want = (size_t)left + 1;
            if (want > in->read_size && (rc = make_room(in, want)))
                return rc;
        }
        if ((rc = dp_chunk_in_fill(in)))
            return rc;
    }
    return 0;
}

int dp_chunk_in_line(dp_chunk_in *in, const char **line, size_t *len)
{
    size_t searched = 0;

    for (;;) {
        const char *base = dp_chunk_in_data(in);
        size_t avail = in->end - in->start;
        const char *nl = avail > searched
                             ? memchr(base + searched, '\n', avail - searched)
                             : NULL;
        int rc;

        if (nl) {
            *line = base;
            *len = (size_t)(nl - base);
            in->start += *len + 1;
            in->pos += *len + 1;
            return 1;
        }
        if (in->eof) {
            if (avail == 0)
                return 0;
            *line = base;
            *len = avail;
            in->start = in->end;
            in->pos += avail;
            return 1;
        }
        searched = avail;
        if ((rc = dp_chunk_in_fill(in)))
            return rc;
    }
}

int dp_chunk_in_text_line(dp_chunk_in *in, const char **line, size_t *len,
                          unsigned long *line_no, uint64_t *at)
{
    int rc;

    do {
        *at = dp_chunk_in_pos(in);
        if ((rc = dp_chunk_in_line(in, line, len)) != 1)
            return rc;
        ++*line_no;
    } while (dp_chunk_in_is_blank(*line, *len));
    return 1;
}

void dp_chunk_in_trim(dp_chunk_in *in)
{
    size_t avail = in->end - in->start;

    if (in->cap <= 4 * in->read_size || avail >= in->read_size)
        return;
    if (in->start > 0) {
        memmove(in->buf, in->buf + in->start, avail);
        in->start = 0;
        in->end = avail;
    }
    char *p = realloc(in->buf, 2 * in->read_size);
    if (p) {
        in->buf = p;
        in->cap = 2 * in->read_size;
    }
}
