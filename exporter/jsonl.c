/*
 * jsonl.c - the `jsonl` exporter: each record's JSON object as one line, to
 * stdout or to a file with size-based rotation.
 *
 * It runs on its own exporter thread (exporters.c), so it owns its file
 * descriptor without a lock. Each line is written with one writev() of the
 * record's JSON and a newline (repeated only for a partial write), so
 * concurrent readers never see half a line from this writer. Before a line
 * would take the file past max_size, the file is rotated: path.N-1 ->
 * path.N, ..., path -> path.1, and a new path is opened; at most max_files
 * rotated files are kept. A failed write returns RETRY (a full disk is
 * usually transient); flush fsyncs the file on shutdown.
 *
 * The file is opened with O_NOFOLLOW, at start-up and after each rotation:
 * a symbolic link planted at the path (to make dagprof append to, or
 * create, a file elsewhere) is refused with a message saying so. A file it
 * creates gets cfg->mode (0600 unless configured), less the umask; an
 * existing file keeps its permissions.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "exporters.h"
#include "log.h"

struct jsonl {
    char *path; /* NULL: stdout */
    int fd;
    mode_t mode;   /* for a file it creates */
    uint64_t size; /* bytes in the current file */
    uint64_t max_size;
    uint32_t max_files;
    uint64_t failures;
};

/* Creates the missing directories above path (mode 0700), so a path in a
 * data folder (dagprof-data/profiles.jsonl) works on a fresh checkout. */
static void make_parents(const char *path)
{
    char dir[4096];
    size_t n = strlen(path);
    if (n >= sizeof(dir))
        return;
    memcpy(dir, path, n + 1);
    for (char *p = dir + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(dir, 0700) != 0 && errno != EEXIST)
            return; /* open() reports the error that matters */
        *p = '/';
    }
}

static int open_file(struct jsonl *j, char *err, size_t err_len)
{
    make_parents(j->path);
    j->fd =
        open(j->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW,
             j->mode);
    if (j->fd < 0) {
        int e = errno;
        struct stat lst;
        if (err && e == ELOOP && lstat(j->path, &lst) == 0 &&
            S_ISLNK(lst.st_mode))
            snprintf(err, err_len,
                     "refusing to open '%s': it is a symbolic link (output "
                     "files are opened without following links; name the "
                     "target itself, or - for stdout)",
                     j->path);
        else if (err)
            snprintf(err, err_len, "cannot open '%s': %s", j->path,
                     strerror(e));
        return DP_EIO;
    }
    struct stat st;
    j->size = fstat(j->fd, &st) == 0 ? (uint64_t)st.st_size : 0;
    return 0;
}

void *dp_jsonl_create(const dp_jsonl_config *cfg, char *err, size_t err_len)
{
    struct jsonl *j = calloc(1, sizeof(*j));
    if (!j) {
        snprintf(err, err_len, "out of memory");
        return NULL;
    }
    j->fd = 1;
    j->mode = cfg->mode ? (mode_t)cfg->mode : 0600;
    j->max_size = cfg->max_size;
    j->max_files = cfg->max_files;
    if (cfg->path && cfg->path[0] && strcmp(cfg->path, "-") != 0) {
        j->path = strdup(cfg->path);
        if (!j->path || open_file(j, err, err_len)) {
            if (!j->path)
                snprintf(err, err_len, "out of memory");
            free(j->path);
            free(j);
            return NULL;
        }
    }
    return j;
}

/* Renames path.i to path.i+1 from the oldest down, path to path.1, and
 * opens a new path. With max_files 0 the old file is simply removed. Cost:
 * max_files renames. */
static int rotate(struct jsonl *j)
{
    size_t n = strlen(j->path) + 16;
    char *from = malloc(n), *to = malloc(n);
    int rc = 0;
    if (!from || !to) {
        rc = DP_ENOMEM;
        goto out;
    }
    fsync(j->fd);
    close(j->fd);
    j->fd = -1;
    if (j->max_files == 0) {
        unlink(j->path);
    } else {
        snprintf(to, n, "%s.%u", j->path, j->max_files);
        unlink(to);
        for (uint32_t i = j->max_files - 1; i >= 1; i--) {
            snprintf(from, n, "%s.%u", j->path, i);
            snprintf(to, n, "%s.%u", j->path, i + 1);
            if (rename(from, to) != 0 && errno != ENOENT)
                dp_log_warn("exporter:jsonl", "cannot rename %s: %s", from,
                            strerror(errno));
        }
        snprintf(to, n, "%s.1", j->path);
        if (rename(j->path, to) != 0 && errno != ENOENT)
            dp_log_warn("exporter:jsonl", "cannot rename %s: %s", j->path,
                        strerror(errno));
    }
    char msg[256];
    rc = open_file(j, msg, sizeof(msg));
    if (rc)
        dp_log_error("exporter:jsonl", "rotation: %s", msg);
out:
    free(from);
    free(to);
    return rc;
}

static int jsonl_export(void *ctx, const dp_record *r)
{
    struct jsonl *j = ctx;
    size_t total = r->json_len + 1;
    if (j->path) {
        char msg[256];
        if (j->fd < 0 && open_file(j, msg, sizeof(msg)) != 0) {
            if (j->failures++ == 0 || (j->failures & (j->failures - 1)) == 0)
                dp_log_error("exporter:jsonl", "%s", msg);
            return DP_EXPORTER_RETRY;
        }
        if (j->max_size && j->size > 0 && j->size + total > j->max_size &&
            rotate(j) != 0)
            return DP_EXPORTER_RETRY;
    }
    size_t done = 0;
    while (done < total) {
        struct iovec v[2];
        int nv = 0;
        if (done < r->json_len)
            v[nv++] = (struct iovec){r->json + done, r->json_len - done};
        v[nv++] = (struct iovec){"\n", 1};
        ssize_t w = writev(j->fd, v, nv);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            if (j->failures++ == 0 || (j->failures & (j->failures - 1)) == 0)
                dp_log_error("exporter:jsonl", "cannot write to %s: %s",
                             j->path ? j->path : "stdout", strerror(errno));
            /* Half a line written cannot be retried without doubling
             * it: end it so the next line starts clean, and drop. */
            j->size += done;
            if (done && write(j->fd, "\n", 1) == 1)
                j->size++;
            return done ? DP_EXPORTER_ERROR : DP_EXPORTER_RETRY;
        }
        done += (size_t)w;
    }
    j->size += total;
    return DP_EXPORTER_OK;
}

static void jsonl_flush(void *ctx)
{
    struct jsonl *j = ctx;
    if (j->fd >= 0 && fsync(j->fd) != 0 && j->path)
        dp_log_warn("exporter:jsonl", "fsync %s: %s", j->path, strerror(errno));
}

static void jsonl_destroy(void *ctx)
{
    struct jsonl *j = ctx;
    if (!j)
        return;
    if (j->path && j->fd >= 0)
        close(j->fd);
    free(j->path);
    free(j);
}

const dp_exporter_ops dp_jsonl_ops = {.name = "jsonl",
                                      .export = jsonl_export,
                                      .flush = jsonl_flush,
                                      .destroy = jsonl_destroy,
                                      .kinds = (1u << DP_RECORD_PROFILE) |
                                               (1u << DP_RECORD_ALERT)};

const dp_exporter_ops dp_jsonl_profile_ops = {.name = "jsonl",
                                              .export = jsonl_export,
                                              .flush = jsonl_flush,
                                              .destroy = jsonl_destroy,
                                              .kinds = 1u << DP_RECORD_PROFILE};
