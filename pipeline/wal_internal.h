/*
 * wal_internal.h - the write-ahead log's state, shared by wal.c (appending,
 * the writer, holds and deletion) and wal_replay.c (opening a directory and
 * replaying what it holds). Not for use outside those two files.
 */
#ifndef DP_WAL_INTERNAL_H
#define DP_WAL_INTERNAL_H

#include <pthread.h>

#include "wal.h"

#define LAZY_ROUND_NS 200000000ULL /* DONE records and idle deletion */

struct seg {
    uint64_t id;
    uint64_t holds;
    uint64_t bytes;
    /* Held nothing when the writer last took the pending bytes: the DONE
     * records of its traces are written once that round is, so it may go
     * (a closed segment never gets a hold again once free). */
    bool free_at_swap;
};

struct bound {
    size_t off;  /* in the pending buffer */
    uint64_t id; /* the segment that starts there */
};

struct pending {
    uint8_t *data;
    size_t len, cap;
    struct bound *bounds;
    size_t n_bounds, cap_bounds;
};

/* Trace ids of DONE records found at open; open addressing. */
struct idset {
    uint8_t (*ids)[16];
    size_t cap, n; /* cap: 0 or a power of two; all-zero id = empty */
};

struct dp_wal {
    dp_wal_config cfg;
    char *dir;
    pthread_mutex_t lock;
    pthread_cond_t work;        /* wakes the writer */
    pthread_cond_t done;        /* wakes appenders waiting on a ticket */
    void (*notify)(void *user); /* after each round (dp_wal_set_notify) */
    void *notify_user;
    pthread_t thread;
    bool started, stopping, closed;

    struct pending pend, wpend; /* appenders' and the writer's */
    uint64_t n_waiting;         /* REQUEST records in pend */
    uint64_t first_wait_ns;     /* when the first of them arrived */
    uint64_t seq, durable_seq;  /* last ticket given / resolved */
    uint64_t fail_lo, fail_hi;  /* tickets that may have failed */
    bool broken;                /* the last round failed */

    struct seg *segs;
    size_t n_segs, cap_segs;
    uint64_t cur;       /* segment new records go to */
    int fd;             /* the segment file being written */
    uint64_t fd_seg;    /* its id */
    uint64_t fd_synced; /* bytes of it known durable */
    uint64_t fd_size;   /* bytes written to it */

    uint64_t n_holds; /* dp_wal_hold objects alive */
    struct idset done_ids;
    uint64_t max_seen; /* largest segment-like file name at open */
    uint64_t *old_ids; /* segments found at open, oldest first */
    size_t n_old;
    dp_wal_stats st;
};

uint64_t dp__wal_now_ns(void);
void dp__wal_seg_path(const dp_wal *w, uint64_t id, char *out, size_t len);
/* Appends segment id (larger than every other) to the list. */
int dp__wal_seg_add(dp_wal *w, uint64_t id, uint64_t bytes);
int dp__wal_idset_add(struct idset *s, const uint8_t *id);
bool dp__wal_idset_has(const struct idset *s, const uint8_t *id);
void dp__wal_free(dp_wal *w);

#endif /* DP_WAL_INTERNAL_H */
