/*
 * chunk_in.h - sequential input read in chunks into one reusable buffer,
 * with look-ahead: the offline commands read trace and profile files (and
 * stdin) through it, so memory is the largest record they look at (a line,
 * a protobuf frame, a JSON document), never the whole file.
 *
 * The caller owns the struct: dp_chunk_in_open() (or _init_fd) fills it,
 * dp_chunk_in_close() releases it. The unconsumed bytes are
 * dp_chunk_in_data()[0, dp_chunk_in_avail()); dp_chunk_in_need() reads
 * until that many bytes are there (or end of input), dp_chunk_in_consume()
 * drops bytes from the front. Pointers into the buffer stay valid until the
 * next need/line/fill call. Reads use read(2) on the descriptor (no stdio
 * buffer, no copy beyond the one into the buffer), so stdin, pipes and FIFOs
 * work like files.
 */
#ifndef DP_CHUNK_IN_H
#define DP_CHUNK_IN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bytes asked of read(2) at a time (and the buffer's starting size). */
#define DP_CHUNK_IN_READ ((size_t)1 << 20)

typedef struct dp_chunk_in {
    int fd;
    bool own_fd; /* close fd in dp_chunk_in_close */
    char *buf;
    size_t start, end, cap; /* unconsumed bytes are buf[start, end) */
    uint64_t pos;           /* input offset of buf[start] */
    uint64_t file_bytes;    /* size of a regular file, 0 when unknown */
    bool eof;               /* read(2) returned 0: nothing more will come */
    int err;                /* errno of a failed read, 0 */
    size_t read_size;       /* bytes per read(2); DP_CHUNK_IN_READ */
} dp_chunk_in;

/* Opens path ("-" is stdin, not closed by dp_chunk_in_close). Returns 0, or
 * DP_EIO with in->err set to errno (nothing to close). */
int dp_chunk_in_open(dp_chunk_in *in, const char *path);
/* Reads fd; own: close it in dp_chunk_in_close. */
void dp_chunk_in_init_fd(dp_chunk_in *in, int fd, bool own);
/* Frees the buffer and closes an owned descriptor. Idempotent. */
void dp_chunk_in_close(dp_chunk_in *in);

static inline const char *dp_chunk_in_data(const dp_chunk_in *in)
{
    return in->buf ? in->buf + in->start : ""; /* nothing read yet */
}

static inline size_t dp_chunk_in_avail(const dp_chunk_in *in)
{
    return in->end - in->start;
}

/* Input offset of dp_chunk_in_data()[0] (bytes consumed so far). */
static inline uint64_t dp_chunk_in_pos(const dp_chunk_in *in)
{
    return in->pos;
}

/* True when every byte of the input is in the buffer. */
static inline bool dp_chunk_in_at_eof(const dp_chunk_in *in)
{
    return in->eof;
}

/* Drops n (<= avail) bytes from the front. */
void dp_chunk_in_consume(dp_chunk_in *in, size_t n);

/* Does one read(2) of up to in->read_size bytes after the unconsumed ones,
 * making room first (moving them to the front of the buffer, or growing it
 * so avail + read_size fit). Sets eof when the input is exhausted. Returns 0,
 * DP_EIO (in->err holds errno; EINTR is retried) or DP_ENOMEM. */
int dp_chunk_in_fill(dp_chunk_in *in);

/* Reads until at least n bytes are unconsumed or the input ends (then
 * fewer may be). The buffer grows to n when needed. Returns 0, DP_EIO or
 * DP_ENOMEM. Cost: O(bytes read) plus one move of the unconsumed bytes per
 * fill. */
int dp_chunk_in_need(dp_chunk_in *in, size_t n);

/* Next line without its '\n' (a last line without one counts). Returns 1
 * with *line valid until the next reading call, 0 at end of input, or
 * DP_EIO / DP_ENOMEM. Memory: the longest line. */
int dp_chunk_in_line(dp_chunk_in *in, const char **line, size_t *len);

/* JSON's whitespace: space, tab, CR, LF. */
static inline bool dp_chunk_in_is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* True when s[0..n) is only whitespace (or empty). */
static inline bool dp_chunk_in_is_blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!dp_chunk_in_is_space(s[i]))
            return false;
    return true;
}

/* The next line that is not blank, as dp_chunk_in_line gives it, with its
 * input offset in *at; *line_no counts every line read, blank ones too.
 * Returns 1, 0 at end of input, or DP_EIO / DP_ENOMEM. */
int dp_chunk_in_text_line(dp_chunk_in *in, const char **line, size_t *len,
                          unsigned long *line_no, uint64_t *at);

/* Gives memory back after one large record: when the buffer is more than
 * 4 read sizes and holds less than one, it shrinks to keep the unconsumed
 * bytes and one read. Never fails (a failed shrink keeps the buffer). */
void dp_chunk_in_trim(dp_chunk_in *in);

#ifdef __cplusplus
}
#endif

#endif /* DP_CHUNK_IN_H */
