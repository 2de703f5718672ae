/*
 * memguard.c - the RSS ceiling and idle trimming (see memguard.h).
 *
 * /proc/self/statm's second field is the resident pages of the process.
 * It is read with pread at offset 0 on a descriptor opened once: procfs
 * regenerates the text on every read, so no reopen is needed.
 */
#include <fcntl.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "memguard.h"
#include "processor.h"

/* Pressure turns on above HIGH_WATER_PERCENT of the ceiling and off below
 * LOW_WATER_PERCENT: refusing starts short of the ceiling because what was
 * already accepted (queued batches, traces in their grace period) still
 * grows RSS for a moment after the first refusal. */
#define HIGH_WATER_PERCENT 90
#define LOW_WATER_PERCENT 80
/* While under pressure, memory is asked back at most this often. */
#define PRESSURE_RELEASE_NS 250000000ULL

int dp_memguard_init(dp_memguard *g, const dp_memguard_config *cfg)
{
    memset(g, 0, sizeof(*g));
    g->cfg = *cfg;
    g->page = sysconf(_SC_PAGESIZE);
    if (g->page <= 0)
        g->page = 4096;
    g->fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
    if (g->fd < 0) {
        if (cfg->max_rss)
            dp_log_warn("serve", "limits.max_rss: /proc/self/statm cannot "
                                 "be read; the ceiling is not enforced");
        return DP_EIO;
    }
    dp_memguard_read_rss(g);
    return 0;
}

void dp_memguard_fini(dp_memguard *g)
{
    if (g->fd >= 0)
        close(g->fd);
    g->fd = -1;
}

uint64_t dp_memguard_read_rss(dp_memguard *g)
{
    char buf[128];
    if (g->fd < 0)
        return 0;
    ssize_t n = pread(g->fd, buf, sizeof(buf) - 1, 0);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    char *p = buf;
    strtoull(p, &p, 10); /* size */
    unsigned long long pages = strtoull(p, NULL, 10);
    uint64_t rss = (uint64_t)pages * (uint64_t)g->page;
    atomic_store(&g->rss, rss);
    if (rss > atomic_load(&g->rss_peak))
        atomic_store(&g->rss_peak, rss);
    return rss;
}

void dp_memguard_trim(dp_memguard *g)
{
    uint64_t before = atomic_load(&g->rss);
    if (g->cfg.release)
        g->cfg.release(g->cfg.user);
    malloc_trim(0);
    uint64_t after = dp_memguard_read_rss(g);
    atomic_fetch_add(&g->trims, 1);
    if (after && before > after)
        atomic_fetch_add(&g->trimmed, before - after);
}

bool dp_memguard_tick(dp_memguard *g, uint64_t now_ns, uint64_t activity)
{
    uint64_t rss = dp_memguard_read_rss(g);
    if (activity != g->last_activity || !g->activity_ns) {
        g->last_activity = activity;
        g->activity_ns = now_ns;
        g->trimmed_idle = false;
    }
    bool pressure = atomic_load(&g->pressure);
    uint64_t max = g->cfg.max_rss;
    if (max && rss) {
        if (!pressure && rss > max / 100 * HIGH_WATER_PERCENT) {
            pressure = true;
            atomic_fetch_add(&g->episodes, 1);
            dp_log_warn("serve",
                        "RSS %llu MiB over %d%% of limits.max_rss (%llu "
                        "MiB): refusing requests (UNAVAILABLE / 503) until "
                        "it falls below %d%%",
                        (unsigned long long)(rss >> 20), HIGH_WATER_PERCENT,
                        (unsigned long long)(max >> 20), LOW_WATER_PERCENT);
        } else if (pressure && rss < max / 100 * LOW_WATER_PERCENT) {
            pressure = false;
            dp_log_info("serve", "RSS %llu MiB: accepting requests again",
                        (unsigned long long)(rss >> 20));
        }
        atomic_store(&g->pressure, pressure);
        /* From the low-water mark on, memory is asked back too: freed
         * heap that stays resident eats the headroom requests need. */
        bool tight = pressure || rss > max / 100 * LOW_WATER_PERCENT;
        if (tight && (!g->last_release_ns ||
                      now_ns - g->last_release_ns >= PRESSURE_RELEASE_NS)) {
            g->last_release_ns = now_ns;
            dp_memguard_trim(g);
        }
    }
    if (g->cfg.trim_idle_ns && !g->trimmed_idle &&
        now_ns - g->activity_ns >= g->cfg.trim_idle_ns) {
        g->trimmed_idle = true;
        dp_memguard_trim(g);
    }
    return pressure;
}

int64_t dp_memguard_headroom(const dp_memguard *g, uint64_t pending)
{
    uint64_t max = g->cfg.max_rss;
    uint64_t rss = atomic_load(&g->rss);
    if (!max || !rss)
        return INT64_MAX;
    uint64_t high = max / 100 * HIGH_WATER_PERCENT;
    uint64_t used = rss + pending;
    if (used >= high)
        return -(int64_t)((used - high) > INT64_MAX ? INT64_MAX : used - high);
    return (int64_t)(high - used);
}

void dp_memguard_stats_get(dp_memguard *g, dp_memguard_stats *out)
{
    memset(out, 0, sizeof(*out));
    out->rss = atomic_load(&g->rss);
    out->rss_peak = atomic_load(&g->rss_peak);
    out->max_rss = g->cfg.max_rss;
    out->pressure = atomic_load(&g->pressure);
    out->pressure_episodes = atomic_load(&g->episodes);
    out->trims = atomic_load(&g->trims);
    out->trimmed_bytes = atomic_load(&g->trimmed);
}

/* The first unsigned number in file path, or 0. */
static uint64_t read_u64_file(const char *path)
{
    char buf[64];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    if (buf[0] < '0' || buf[0] > '9') /* cgroup v2 "max" */
        return 0;
    return strtoull(buf, NULL, 10);
}

uint64_t dp_memguard_auto_limit(void)
{
    uint64_t total =
        (uint64_t)sysconf(_SC_PHYS_PAGES) * (uint64_t)sysconf(_SC_PAGESIZE);
    uint64_t cg = read_u64_file("/sys/fs/cgroup/memory.max");
    if (!cg)
        cg = read_u64_file("/sys/fs/cgroup/memory/memory.limit_in_bytes");
    if (cg && (!total || cg < total))
        total = cg;
    return total / 4 * 3;
}
