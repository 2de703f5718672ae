/*
 * wal.c - the write-ahead log (see wal.h for what it promises).
 *
 * State under one mutex: the pending bytes (records appended since the
 * writer last took them) with the segment boundaries that fall inside
 * them, the list of segments (id, holds, bytes; oldest first) and the
 * ticket counters. Appenders copy their record into the pending buffer and
 * leave; the writer thread swaps the buffer for its own, writes it outside
 * the lock (opening the next segment file at each boundary), calls
 * fdatasync once for the round, then publishes the round's last ticket and
 * deletes the segments that hold nothing. A segment's id is fixed when a
 * record is appended, so holds can be taken before the record is written.
 */
#include "wal_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "grow.h"
#include "log.h"
#include "processor.h"
#include "receiver.h"
#include "wal_segment.h"

uint64_t dp__wal_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

void dp__wal_seg_path(const dp_wal *w, uint64_t id, char *out, size_t len)
{
    snprintf(out, len, "%s/%016" PRIx64 ".wal", w->dir, id);
}

/* ---- the done set ---------------------------------------------------------
 */

static uint64_t id_hash(const uint8_t *id)
{
    uint64_t a, b;
    memcpy(&a, id, 8);
    memcpy(&b, id + 8, 8);
    uint64_t h = (a ^ (b * 0x9e3779b97f4a7c15ULL)) * 0xff51afd7ed558ccdULL;
    return h ^ (h >> 31);
}

static const uint8_t zero_id[16];

int dp__wal_idset_add(struct idset *s, const uint8_t *id)
{
    if (memcmp(id, zero_id, 16) == 0)
        return 0;
    if ((s->n + 1) * 2 > s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 1024;
        uint8_t(*ids)[16] = calloc(cap, 16);
        if (!ids)
            return DP_ENOMEM;
        for (size_t i = 0; i < s->cap; i++) {
            if (memcmp(s->ids[i], zero_id, 16) == 0)
                continue;
            size_t j = id_hash(s->ids[i]) & (cap - 1);
            while (memcmp(ids[j], zero_id, 16) != 0)
                j = (j + 1) & (cap - 1);
            memcpy(ids[j], s->ids[i], 16);
        }
        free(s->ids);
        s->ids = ids;
        s->cap = cap;
    }
    size_t j = id_hash(id) & (s->cap - 1);
    while (memcmp(s->ids[j], zero_id, 16) != 0) {
        if (memcmp(s->ids[j], id, 16) == 0)
            return 0;
        j = (j + 1) & (s->cap - 1);
    }
    memcpy(s->ids[j], id, 16);
    s->n++;
    return 0;
}

bool dp__wal_idset_has(const struct idset *s, const uint8_t *id)
{
    if (!s->n)
        return false;
    size_t j = id_hash(id) & (s->cap - 1);
    while (memcmp(s->ids[j], zero_id, 16) != 0) {
        if (memcmp(s->ids[j], id, 16) == 0)
            return true;
        j = (j + 1) & (s->cap - 1);
    }
    return false;
}

/* ---- segments (lock held) -------------------------------------------------
 */

static struct seg *seg_find(dp_wal *w, uint64_t id)
{
    size_t lo = 0, hi = w->n_segs;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (w->segs[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < w->n_segs && w->segs[lo].id == id ? &w->segs[lo] : NULL;
}

int dp__wal_seg_add(dp_wal *w, uint64_t id, uint64_t bytes)
{
    if (dp_grow(&w->segs, w->n_segs, &w->cap_segs, sizeof(*w->segs), 16))
        return DP_ENOMEM;
    w->segs[w->n_segs++] = (struct seg){id, 0, bytes, false};
    w->st.bytes += bytes;
    return 0;
}

static int pend_reserve(struct pending *p, size_t n)
{
    if (p->cap - p->len >= n)
        return 0;
    size_t cap = p->cap ? p->cap : 64 * 1024;
    while (cap - p->len < n)
        cap *= 2;
    uint8_t *d = realloc(p->data, cap);
    if (!d)
        return DP_ENOMEM;
    p->data = d;
    p->cap = cap;
    return 0;
}

/* Starts segment cur + 1 at the current end of the pending bytes. */
static int seg_rotate(dp_wal *w)
{
    struct pending *p = &w->pend;
    if (dp_grow(&p->bounds, p->n_bounds, &p->cap_bounds, sizeof(*p->bounds), 4))
        return DP_ENOMEM;
    if (dp__wal_seg_add(w, w->cur + 1, DP_WAL_HEADER_SIZE))
        return DP_ENOMEM;
    w->cur++;
    p->bounds[p->n_bounds++] = (struct bound){p->len, w->cur};
    return 0;
}

/* Appends a whole record to the pending bytes, in a new segment when it
 * would take the current one past segment_size. Returns its segment. */
static int pend_record(dp_wal *w, const uint8_t *hdr, const uint8_t *payload,
                       size_t len, uint64_t *seg)
{
    size_t n = DP_WAL_RECORD_HEADER_SIZE + len;
    struct seg *s = seg_find(w, w->cur);
    if (s && s->bytes > DP_WAL_HEADER_SIZE &&
        s->bytes + n > w->cfg.segment_size && seg_rotate(w))
        return DP_ENOMEM;
    if (pend_reserve(&w->pend, n))
        return DP_ENOMEM;
    memcpy(w->pend.data + w->pend.len, hdr, DP_WAL_RECORD_HEADER_SIZE);
    if (len)
        memcpy(w->pend.data + w->pend.len + DP_WAL_RECORD_HEADER_SIZE, payload,
               len);
    w->pend.len += n;
    s = seg_find(w, w->cur);
    s->bytes += n;
    w->st.bytes += n;
    *seg = w->cur;
    return 0;
}

/* Notes which segments hold nothing, just before the pending bytes (with
 * the DONE records of their traces) are taken to be written. */
static void seg_mark_free(dp_wal *w)
{
    for (size_t i = 0; i < w->n_segs; i++)
        w->segs[i].free_at_swap = w->segs[i].holds == 0;
}

/* Deletes closed segments, oldest first, while they hold nothing and held
 * nothing at the last swap. With all, the segment being written goes too
 * when nothing is held anywhere and nothing is pending (at close). */
static void seg_delete_free(dp_wal *w, bool all)
{
    while (w->n_segs) {
        struct seg *s = &w->segs[0];
        if (s->holds || !s->free_at_swap)
            break;
        if (s->id >= w->fd_seg) {
            if (!all || w->n_segs != 1 || w->pend.len || w->pend.n_bounds)
                break;
            if (w->fd >= 0) {
                close(w->fd);
                w->fd = -1;
            }
        }
        char path[4096];
        dp__wal_seg_path(w, s->id, path, sizeof(path));
        if (unlink(path) != 0 && errno != ENOENT)
            dp_log_warn("wal", "cannot delete %s: %s", path, strerror(errno));
        w->st.bytes -= s->bytes;
        w->st.deleted++;
        memmove(&w->segs[0], &w->segs[1], (w->n_segs - 1) * sizeof(*s));
        w->n_segs--;
    }
}

/* ---- the writer -----------------------------------------------------------
 */

static int sync_dir(const dp_wal *w)
{
    int fd = open(w->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

/* Closes the segment being written (synced) and creates segment id. */
static int open_segment(dp_wal *w, uint64_t id)
{
    if (w->fd >= 0) {
        if (w->fd_size > w->fd_synced && fdatasync(w->fd) != 0)
            dp_log_error("wal", "fdatasync: %s", strerror(errno));
        w->st.syncs++;
        close(w->fd);
        w->fd = -1;
    }
    char path[4096];
    dp__wal_seg_path(w, id, path, sizeof(path));
    int fd =
        open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        dp_log_error("wal", "cannot create %s: %s", path, strerror(errno));
        return DP_EIO;
    }
    uint8_t hdr[DP_WAL_HEADER_SIZE];
    dp_wal_segment_header(hdr, id);
    if (write(fd, hdr, sizeof(hdr)) != (ssize_t)sizeof(hdr)) {
        dp_log_error("wal", "cannot write %s: %s", path, strerror(errno));
        close(fd);
        return DP_EIO;
    }
    w->fd = fd;
    w->fd_seg = id;
    w->fd_size = DP_WAL_HEADER_SIZE;
    w->fd_synced = 0;
    if (sync_dir(w) != 0)
        dp_log_warn("wal", "cannot sync %s: %s", w->dir, strerror(errno));
    return 0;
}

static int write_all(dp_wal *w, const uint8_t *p, size_t n)
{
    while (n) {
        if (w->fd < 0)
            return DP_EIO;
        ssize_t k = write(w->fd, p, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            dp_log_error("wal", "write: %s", k < 0 ? strerror(errno) : "0");
            /* Cut the partial record so the file stays readable. */
            if (ftruncate(w->fd, (off_t)w->fd_size) != 0 ||
                lseek(w->fd, (off_t)w->fd_size, SEEK_SET) < 0)
                dp_log_error("wal", "cannot cut a partial record: %s",
                             strerror(errno));
            return DP_EIO;
        }
        p += k;
        n -= (size_t)k;
        w->fd_size += (uint64_t)k;
    }
    return 0;
}

/* Writes the writer's buffer (outside the lock), opening a new segment at
 * each boundary, and syncs when requests wait on it. */
static int write_round(dp_wal *w, bool sync)
{
    struct pending *p = &w->wpend;
    size_t off = 0;
    int err = 0;
    for (size_t i = 0; i <= p->n_bounds; i++) {
        size_t end = i < p->n_bounds ? p->bounds[i].off : p->len;
        if (end > off && !err)
            err = write_all(w, p->data + off, end - off);
        off = end;
        if (i < p->n_bounds && open_segment(w, p->bounds[i].id))
            err = DP_EIO;
    }
    if (sync && !err && w->fd >= 0 && w->fd_size > w->fd_synced) {
        if (fdatasync(w->fd) != 0) {
            dp_log_error("wal", "fdatasync: %s", strerror(errno));
            err = DP_EIO;
        } else {
            w->fd_synced = w->fd_size;
        }
        w->st.syncs++;
    }
    p->len = 0;
    p->n_bounds = 0;
    return err;
}

static void timed_wait(dp_wal *w, pthread_cond_t *cv, uint64_t until_ns)
{
    struct timespec ts = {(time_t)(until_ns / 1000000000ULL),
                          (long)(until_ns % 1000000000ULL)};
    pthread_cond_timedwait(cv, &w->lock, &ts);
}

static void *writer_main(void *arg)
{
    dp_wal *w = arg;
    pthread_mutex_lock(&w->lock);
    for (;;) {
        uint64_t lazy = dp__wal_now_ns() + LAZY_ROUND_NS;
        while (!w->stopping && !w->n_waiting && dp__wal_now_ns() < lazy)
            timed_wait(w, &w->work, lazy);
        /* Group commit: let others join the first waiting request. */
        if (w->n_waiting && w->cfg.sync_interval_ns) {
            uint64_t until = w->first_wait_ns + w->cfg.sync_interval_ns;
            while (!w->stopping && w->n_waiting < w->cfg.sync_requests &&
                   dp__wal_now_ns() < until)
                timed_wait(w, &w->work, until);
        }
        bool sync = w->n_waiting > 0 || w->stopping || w->broken;
        if (!w->pend.len && !w->pend.n_bounds && !sync) {
            /* Idle: when nothing is held, start a fresh segment so the
             * one written last can go. */
            bool held = false;
            for (size_t i = 0; i < w->n_segs && !held; i++)
                held = w->segs[i].holds != 0;
            struct seg *s = seg_find(w, w->cur);
            if (!held && s && s->bytes > DP_WAL_HEADER_SIZE &&
                w->cur == w->fd_seg)
                seg_rotate(w);
            if (!w->pend.n_bounds) {
                seg_mark_free(w); /* nothing pending: all written */
                seg_delete_free(w, false);
                continue;
            }
        }
        struct pending t = w->wpend;
        w->wpend = w->pend;
        w->pend = t;
        seg_mark_free(w);
        uint64_t round = w->seq;
        w->n_waiting = 0;
        pthread_mutex_unlock(&w->lock);
        int err = write_round(w, sync);
        pthread_mutex_lock(&w->lock);
        if (err) {
            w->st.errors++;
            if (w->durable_seq < round) {
                if (!w->fail_lo)
                    w->fail_lo = w->durable_seq + 1;
                w->fail_hi = round;
            }
            w->broken = true;
        } else if (sync) {
            w->broken = false;
        }
        w->durable_seq = round;
        pthread_cond_broadcast(&w->done);
        if (w->notify)
            w->notify(w->notify_user);
        seg_delete_free(w, false);
        if (w->stopping && !w->pend.len && !w->pend.n_bounds)
            break;
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

/* ---- public ---------------------------------------------------------------
 */

int dp_wal_append(dp_wal *w, int format, const uint8_t *body, size_t len,
                  uint64_t *seg, uint64_t *ticket)
{
    if (len > DP_WAL_MAX_PAYLOAD)
        return DP_ETOOBIG;
    uint8_t hdr[DP_WAL_RECORD_HEADER_SIZE];
    dp_wal_record_header(hdr, DP_WAL_REQUEST, format, body, len);
    pthread_mutex_lock(&w->lock);
    int err = 0;
    if (w->stopping || !w->started || w->broken)
        err = DP_EIO;
    else
        err = pend_record(w, hdr, body, len, seg);
    if (!err) {
        seg_find(w, *seg)->holds++;
        *ticket = ++w->seq;
        w->st.records++;
        if (!w->n_waiting++)
            w->first_wait_ns = dp__wal_now_ns();
        if (w->n_waiting == 1 || w->n_waiting >= w->cfg.sync_requests)
            pthread_cond_signal(&w->work);
    }
    pthread_mutex_unlock(&w->lock);
    return err;
}

int dp_wal_wait(dp_wal *w, uint64_t ticket)
{
    pthread_mutex_lock(&w->lock);
    while (w->durable_seq < ticket)
        pthread_cond_wait(&w->done, &w->lock);
    int err =
        w->fail_lo && ticket >= w->fail_lo && ticket <= w->fail_hi ? DP_EIO : 0;
    pthread_mutex_unlock(&w->lock);
    return err;
}

int dp_wal_poll(dp_wal *w, uint64_t ticket)
{
    pthread_mutex_lock(&w->lock);
    int rc = w->durable_seq < ticket ? 1 : 0;
    if (!rc && w->fail_lo && ticket >= w->fail_lo && ticket <= w->fail_hi)
        rc = DP_EIO;
    pthread_mutex_unlock(&w->lock);
    return rc;
}

void dp_wal_set_notify(dp_wal *w, void (*fn)(void *user), void *user)
{
    pthread_mutex_lock(&w->lock);
    w->notify = fn;
    w->notify_user = user;
    pthread_mutex_unlock(&w->lock);
}

void dp_wal_ref(dp_wal *w, uint64_t seg, uint64_t n)
{
    if (!n)
        return;
    pthread_mutex_lock(&w->lock);
    struct seg *s = seg_find(w, seg);
    if (s)
        s->holds += n;
    pthread_mutex_unlock(&w->lock);
}

void dp_wal_unref(dp_wal *w, uint64_t seg)
{
    pthread_mutex_lock(&w->lock);
    struct seg *s = seg_find(w, seg);
    if (s && s->holds)
        s->holds--;
    pthread_mutex_unlock(&w->lock);
}

void dp_wal_trace_out(dp_wal *w, uint64_t seg, const uint8_t trace_id[16])
{
    uint8_t hdr[DP_WAL_RECORD_HEADER_SIZE];
    dp_wal_record_header(hdr, DP_WAL_DONE, 0, trace_id, 16);
    pthread_mutex_lock(&w->lock);
    struct seg *s = seg_find(w, seg);
    if (s && s->holds)
        s->holds--;
    uint64_t at;
    /* A DONE record that cannot be queued only costs a duplicate profile
     * after a crash. */
    if (w->started && !w->stopping)
        (void)pend_record(w, hdr, trace_id, 16, &at);
    pthread_mutex_unlock(&w->lock);
}

struct dp_wal_hold {
    dp_wal *w;
    uint64_t seg;
    uint8_t trace_id[16];
};

dp_wal_hold *dp_wal_hold_create(dp_wal *w, uint64_t seg,
                                const uint8_t trace_id[16])
{
    dp_wal_hold *h = malloc(sizeof(*h));
    if (!h)
        return NULL;
    h->w = w;
    h->seg = seg;
    memcpy(h->trace_id, trace_id, 16);
    pthread_mutex_lock(&w->lock);
    w->n_holds++;
    pthread_mutex_unlock(&w->lock);
    return h;
}

void dp_wal_hold_release(void *hold)
{
    dp_wal_hold *h = hold;
    if (!h)
        return;
    dp_wal *w = h->w;
    pthread_mutex_lock(&w->lock);
    bool closed = w->closed;
    bool last = --w->n_holds == 0 && closed;
    pthread_mutex_unlock(&w->lock);
    if (!closed)
        dp_wal_trace_out(w, h->seg, h->trace_id);
    free(h);
    if (last)
        dp__wal_free(w);
}

void dp_wal_stats_get(dp_wal *w, dp_wal_stats *out)
{
    pthread_mutex_lock(&w->lock);
    *out = w->st;
    out->segments = w->n_segs;
    pthread_mutex_unlock(&w->lock);
}

bool dp_wal_trace_done(const dp_wal *w, const uint8_t trace_id[16])
{
    return dp__wal_idset_has(&w->done_ids, trace_id);
}

int dp_wal_start(dp_wal *w, char *err, size_t err_len)
{
    /* After every file named like a segment, so none is overwritten. */
    uint64_t id = w->max_seen + 1;
    if (w->n_segs && w->segs[w->n_segs - 1].id >= id)
        id = w->segs[w->n_segs - 1].id + 1;
    if (dp__wal_seg_add(w, id, DP_WAL_HEADER_SIZE) || open_segment(w, id)) {
        snprintf(err, err_len, "wal.dir: cannot create a segment in %s",
                 w->dir);
        return DP_EIO;
    }
    w->cur = id;
    /* Old segments are held until replay has handed them over. */
    for (size_t i = 0; i + 1 < w->n_segs; i++)
        w->segs[i].holds++;
    if (pthread_create(&w->thread, NULL, writer_main, w) != 0) {
        snprintf(err, err_len, "wal: cannot start the writer thread");
        return DP_EIO;
    }
    w->started = true;
    return 0;
}

void dp__wal_free(dp_wal *w)
{
    if (w->fd >= 0)
        close(w->fd);
    free(w->pend.data);
    free(w->pend.bounds);
    free(w->wpend.data);
    free(w->wpend.bounds);
    free(w->segs);
    free(w->done_ids.ids);
    free(w->old_ids);
    free(w->dir);
    pthread_mutex_destroy(&w->lock);
    pthread_cond_destroy(&w->work);
    pthread_cond_destroy(&w->done);
    free(w);
}

void dp_wal_close(dp_wal *w)
{
    if (!w)
        return;
    pthread_mutex_lock(&w->lock);
    w->stopping = true;
    pthread_cond_signal(&w->work);
    pthread_mutex_unlock(&w->lock);
    if (w->started)
        pthread_join(w->thread, NULL);
    pthread_mutex_lock(&w->lock);
    w->durable_seq = w->seq; /* nobody may wait past the writer */
    pthread_cond_broadcast(&w->done);
    if (w->notify)
        w->notify(w->notify_user);
    if (w->started) {
        /* All free: nothing is left to replay, whatever DONE records
         * were not written. Else only what was free at the last round. */
        bool held = false;
        for (size_t i = 0; i < w->n_segs && !held; i++)
            held = w->segs[i].holds != 0;
        if (!held)
            seg_mark_free(w);
        seg_delete_free(w, !held);
    }
    if (w->n_segs)
        dp_log_info("wal",
                    "%zu segment(s) kept in %s: traces in them were "
                    "not all profiled and delivered (replayed at the "
                    "next start)",
                    w->n_segs, w->dir);
    w->closed = true;
    bool last = w->n_holds == 0;
    pthread_mutex_unlock(&w->lock);
    if (last)
        dp__wal_free(w);
}
