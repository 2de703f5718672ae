/*
 * wal_replay.c - opening the write-ahead log's directory and replaying the
 * segments a previous run left there (see wal.h).
 *
 * Open reads every file named <16 hex digits>.wal, oldest id first, checks
 * each record's length and CRC, truncates a segment at its first bad
 * record (a write torn by the crash) with a warning, and collects the
 * trace ids of DONE records. Replay reads each segment again and hands its
 * REQUEST records to the caller; each old segment keeps a hold until then,
 * so it is deleted only once the traces replayed from it are out again.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "grow.h"
#include "log.h"
#include "processor.h"
#include "wal_internal.h"
#include "wal_segment.h"

/* Reads a whole file into *data (malloc'd). Returns 0 or -1 (errno). */
static int read_file(const char *path, uint8_t **data, size_t *len)
{
    *data = NULL;
    *len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return -1;
    struct stat st;
    if (fstat(fd, &st) != 0) {
        close(fd);
        return -1;
    }
    size_t size = (size_t)st.st_size;
    uint8_t *buf = malloc(size ? size : 1);
    if (!buf) {
        close(fd);
        errno = ENOMEM;
        return -1;
    }
    size_t got = 0;
    while (got < size) {
        ssize_t k = read(fd, buf + got, size - got);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            break; /* shorter than fstat said: read what is there */
        got += (size_t)k;
    }
    close(fd);
    *data = buf;
    *len = got;
    return 0;
}

/* mkdir -p with mode 0700 for the parts it creates. */
static int make_dirs(const char *dir)
{
    char path[4096];
    size_t n = strlen(dir);
    if (n == 0 || n >= sizeof(path))
        return -1;
    memcpy(path, dir, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (path[i] != '/' && path[i] != '\0')
            continue;
        char c = path[i];
        path[i] = '\0';
        if (mkdir(path, 0700) != 0 && errno != EEXIST)
            return -1;
        path[i] = c;
    }
    struct stat st;
    return stat(dir, &st) == 0 && S_ISDIR(st.st_mode) ? 0 : -1;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* The segment id of a file name, or false when it is not a segment's. */
static bool segment_name(const char *name, uint64_t *id)
{
    if (strlen(name) != 20 || strcmp(name + 16, ".wal") != 0)
        return false;
    uint64_t v = 0;
    for (int i = 0; i < 16; i++) {
        char c = name[i];
        int d = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                       : -1;
        if (d < 0)
            return false;
        v = v << 4 | (uint64_t)d;
    }
    *id = v;
    return v != 0;
}

/* Checks one segment: collects its DONE ids, truncates it after its last
 * good record. Returns its valid length, or 0 when it is not a segment
 * (then it is left alone). */
static uint64_t scan_segment(dp_wal *w, uint64_t id, uint64_t *requests)
{
    char path[4096];
    dp__wal_seg_path(w, id, path, sizeof(path));
    uint8_t *data;
    size_t len;
    if (read_file(path, &data, &len) != 0) {
        dp_log_warn("wal", "cannot read %s: %s; skipped", path,
                    strerror(errno));
        return 0;
    }
    dp_wal_reader r;
    uint64_t hid;
    if (dp_wal_reader_init(&r, data, len, &hid) != 0) {
        free(data);
        if (len < DP_WAL_HEADER_SIZE) {
            /* Created but its header never written: holds nothing. */
            dp_log_warn("wal", "%s: %zu byte(s), no header; removed", path,
                        len);
            unlink(path);
        } else {
            dp_log_warn("wal", "%s: not a dagprof WAL segment; left alone",
                        path);
        }
        return 0;
    }
    if (hid != id)
        dp_log_warn("wal", "%s: header names segment %" PRIx64 "; read as %s",
                    path, hid, path);
    dp_wal_record rec;
    int rc;
    while ((rc = dp_wal_reader_next(&r, &rec)) == 1) {
        if (rec.type == DP_WAL_REQUEST)
            (*requests)++;
        else if (rec.type == DP_WAL_DONE)
            for (size_t i = 0; i + 16 <= rec.len; i += 16)
                if (dp__wal_idset_add(&w->done_ids, rec.payload + i))
                    break; /* ENOMEM: at worst a duplicate profile */
    }
    if (rc != 0) {
        dp_log_warn("wal",
                    "%s: bad record at byte %zu of %zu (torn write or "
                    "corruption): truncated there, %zu byte(s) dropped",
                    path, r.off, len, len - r.off);
        if (truncate(path, (off_t)r.off) != 0)
            dp_log_error("wal", "cannot truncate %s: %s", path,
                         strerror(errno));
        w->st.truncated++;
    }
    free(data);
    return r.off;
}

dp_wal *dp_wal_open(const dp_wal_config *cfg, char *err, size_t err_len)
{
    dp_wal *w = calloc(1, sizeof(*w));
    if (!w) {
        snprintf(err, err_len, "out of memory");
        return NULL;
    }
    w->cfg = *cfg;
    if (!w->cfg.sync_requests)
        w->cfg.sync_requests = 1;
    if (w->cfg.segment_size < 4096)
        w->cfg.segment_size = 4096;
    w->fd = -1;
    pthread_mutex_init(&w->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&w->work, &ca);
    pthread_cond_init(&w->done, &ca);
    pthread_condattr_destroy(&ca);
    w->dir = strdup(cfg->dir && cfg->dir[0] ? cfg->dir : ".");
    if (!w->dir) {
        snprintf(err, err_len, "out of memory");
        dp__wal_free(w);
        return NULL;
    }
    if (make_dirs(w->dir) != 0) {
        snprintf(err, err_len, "wal.dir: cannot create %s: %s", w->dir,
                 strerror(errno));
        dp__wal_free(w);
        return NULL;
    }
    DIR *d = opendir(w->dir);
    if (!d) {
        snprintf(err, err_len, "wal.dir: cannot read %s: %s", w->dir,
                 strerror(errno));
        dp__wal_free(w);
        return NULL;
    }
    uint64_t *ids = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        uint64_t id;
        if (!segment_name(e->d_name, &id))
            continue;
        if (dp_grow(&ids, n, &cap, sizeof(*ids), 16))
            break;
        ids[n++] = id;
        if (id > w->max_seen)
            w->max_seen = id;
    }
    closedir(d);
    if (n)
        qsort(ids, n, sizeof(*ids), cmp_u64);
    uint64_t requests = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t bytes = scan_segment(w, ids[i], &requests);
        if (bytes && dp__wal_seg_add(w, ids[i], bytes) == 0)
            ids[w->n_old++] = ids[i];
    }
    w->old_ids = ids;
    if (w->n_old)
        dp_log_info("wal",
                    "%s: %zu segment(s) from the last run: %" PRIu64
                    " request(s) to replay, %zu trace(s) already out",
                    w->dir, w->n_old, requests, w->done_ids.n);
    return w;
}

uint64_t dp_wal_replay(dp_wal *w, dp_wal_replay_fn fn, void *user)
{
    uint64_t replayed = 0;
    for (size_t i = 0; i < w->n_old; i++) {
        char path[4096];
        dp__wal_seg_path(w, w->old_ids[i], path, sizeof(path));
        uint8_t *data;
        size_t len;
        dp_wal_reader r;
        uint64_t hid;
        if (read_file(path, &data, &len) == 0 &&
            dp_wal_reader_init(&r, data, len, &hid) == 0) {
            dp_wal_record rec;
            while (dp_wal_reader_next(&r, &rec) == 1)
                if (rec.type == DP_WAL_REQUEST) {
                    fn(user, w->old_ids[i], rec.format, rec.payload, rec.len);
                    replayed++;
                }
        } else {
            dp_log_error("wal",
                         "cannot read %s again: its requests are "
                         "not replayed",
                         path);
        }
        free(data);
        dp_wal_unref(w, w->old_ids[i]); /* the hold taken at start */
    }
    pthread_mutex_lock(&w->lock);
    w->st.replayed += replayed;
    pthread_mutex_unlock(&w->lock);
    free(w->done_ids.ids);
    memset(&w->done_ids, 0, sizeof(w->done_ids));
    if (w->n_old)
        dp_log_info("wal",
                    "replayed %" PRIu64 " request(s) from %zu "
                    "segment(s)",
                    replayed, w->n_old);
    w->n_old = 0;
    return replayed;
}
