/*
 * wal.h - the write-ahead log (durability: wal): acknowledged requests
 * survive a crash of the process.
 *
 * Sits between the receivers and the shards (pipeline/pipeline.c). Each Export
 * request the pipeline accepts is appended, as received (format + raw
 * body, length, CRC-32; wal_segment.h), to the current segment file in
 * wal.dir; the receiver's reply waits until the record is on disk. One
 * writer thread does group commit: it writes everything appended so far
 * and calls fdatasync once, waiting up to wal.sync_interval after the
 * first waiting request for others to join unless wal.sync_requests are
 * already waiting. A segment is closed when the next record would take it
 * past wal.segment_size.
 *
 * Deletion. Every segment counts the holds on it: the request being
 * appended (until its spans are queued), and each live trace whose first
 * queued span came from it (until every exporter has finished with the
 * trace's profile, or it was finalized without one). Segments are deleted
 * oldest first, a closed segment once it and every older one hold nothing:
 * a trace's later spans sit in the same or newer segments, so holding its
 * first segment keeps them all. When every segment is free the current
 * one is closed and deleted too (at most a second after the last release).
 * When a trace is out, a DONE record with its id is appended (not waited
 * for), so a replay can skip a trace that was already profiled.
 *
 * Replay. dp_wal_open() reads every segment left in wal.dir: a record that
 * is short or fails its CRC ends that segment (the file is truncated there,
 * with a warning), and the trace ids of DONE records are collected. After
 * dp_wal_start(), dp_wal_replay() hands each REQUEST record, oldest first,
 * to a callback that queues its spans again (the pipeline's decode path),
 * skipping traces dp_wal_trace_done() names. Delivery is at least once: a
 * trace whose profile went out just before the crash but whose DONE record
 * did not reach the file is profiled again.
 *
 * Thread-safety: every function may be called from any thread after
 * dp_wal_start(), except open/replay/close which the owner calls once.
 */
#ifndef DP_WAL_H
#define DP_WAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct dp_wal dp_wal;

typedef struct dp_wal_config {
    const char *dir;           /* created (with parents) when missing */
    uint64_t sync_interval_ns; /* group-commit window; 0: sync at once */
    uint64_t sync_requests;    /* sync at once when this many wait */
    uint64_t segment_size;     /* bytes; a larger record gets its own */
} dp_wal_config;

typedef struct dp_wal_stats {
    uint64_t segments;  /* segment files now */
    uint64_t bytes;     /* their total size, written or queued */
    uint64_t records;   /* REQUEST records appended since start */
    uint64_t syncs;     /* fdatasync calls */
    uint64_t deleted;   /* segments deleted since start */
    uint64_t replayed;  /* REQUEST records replayed at start */
    uint64_t truncated; /* segments truncated at a bad record */
    uint64_t errors;    /* failed writes or syncs */
} dp_wal_stats;

/* Opens cfg->dir, reads the segments left there (truncating bad tails)
 * and remembers the traces already done. NULL with a message in err when
 * the directory cannot be created or read. */
dp_wal *dp_wal_open(const dp_wal_config *cfg, char *err, size_t err_len);

/* Starts the writer thread on a new segment. Returns 0 or DP_EIO (err). */
int dp_wal_start(dp_wal *w, char *err, size_t err_len);

/* Called by dp_wal_replay for each REQUEST record of the segments found at
 * open, oldest first; seg is its segment (for dp_wal_ref). Returns 0 to
 * go on. body is valid only during the call. */
typedef int (*dp_wal_replay_fn)(void *user, uint64_t seg, int format,
                                const uint8_t *body, size_t len);

/* Replays the segments found at open (after dp_wal_start) and then forgets
 * the done traces. Each old segment is held until its records have been
 * handed over. Returns the number of records replayed. */
uint64_t dp_wal_replay(dp_wal *w, dp_wal_replay_fn fn, void *user);

/* During replay: whether trace_id was done before the crash. */
bool dp_wal_trace_done(const dp_wal *w, const uint8_t trace_id[16]);

/* Appends one request and holds its segment (released with dp_wal_unref
 * once the request's spans are queued and holding what they need). Does
 * not wait: *ticket is for dp_wal_wait. Returns 0, or DP_EIO when the log
 * is not writable (the last write failed) or stopped, DP_ENOMEM. */
int dp_wal_append(dp_wal *w, int format, const uint8_t *body, size_t len,
                  uint64_t *seg, uint64_t *ticket);

/* Blocks until the record of ticket is on disk (fdatasync returned).
 * Returns 0, or DP_EIO when writing or syncing it failed. */
int dp_wal_wait(dp_wal *w, uint64_t ticket);

/* dp_wal_wait without blocking: 1 while ticket is not on disk yet, then 0,
 * or DP_EIO when writing or syncing it failed. */
int dp_wal_poll(dp_wal *w, uint64_t ticket);
/* fn(user) is called on the writer thread, under the log's lock (it must
 * not call back into the log: a uv_async_send), after every round and at
 * close: waiters polling with dp_wal_poll look again then. NULL: none.
 * Once this returns, the previous fn is not called any more. */
void dp_wal_set_notify(dp_wal *w, void (*fn)(void *user), void *user);
/* Adds n holds on segment seg / drops one. */
void dp_wal_ref(dp_wal *w, uint64_t seg, uint64_t n);
void dp_wal_unref(dp_wal *w, uint64_t seg);

/* Drops a trace's hold on seg and appends a DONE record for trace_id. */
void dp_wal_trace_out(dp_wal *w, uint64_t seg, const uint8_t trace_id[16]);

/* A trace's hold carried with its profile to the exporters: calls
 * dp_wal_trace_out when released. NULL on ENOMEM (the caller then drops
 * the hold at once). */
typedef struct dp_wal_hold dp_wal_hold;
dp_wal_hold *dp_wal_hold_create(dp_wal *w, uint64_t seg,
                                const uint8_t trace_id[16]);
/* Releases a hold (void * to serve as a record's free callback). Safe
 * after dp_wal_close: the log is freed with its last hold. */
void dp_wal_hold_release(void *hold);

void dp_wal_stats_get(dp_wal *w, dp_wal_stats *out);

/* Writes and syncs what is pending, stops the writer, deletes the segments
 * that hold nothing (all of them when nothing is held) and frees the log,
 * or leaves the freeing to the last outstanding hold. Accepts NULL. */
void dp_wal_close(dp_wal *w);

#endif /* DP_WAL_H */
