/*
 * memguard.h - the RSS ceiling and giving memory back after load.
 *
 * `dagprof serve` calls dp_memguard_tick() on a timer (its main loop, every
 * limits.check_interval). Each tick reads the resident set size from
 * /proc/self/statm (one pread of an fd kept open: a few microseconds) and
 * decides two things:
 *
 * - pressure: on when RSS passes 90 % of limits.max_rss (what was already
 *   accepted still grows RSS a little after the first refusal), off again
 *   once it falls below 80 % (hysteresis, so the receivers do not flap).
 *   While on, the caller refuses requests (UNAVAILABLE / 503 +
 *   Retry-After) and the tick asks for memory back (at most every 250 ms).
 * - trim: after limits.trim_idle without activity (the caller passes a
 *   counter that grows with requests taken and traces finalized), memory
 *   is asked back once per idle period.
 *
 * "Asking memory back" is the caller's release hook (free the batch pools)
 * followed by malloc_trim(0), which returns free heap pages of every malloc
 * arena to the kernel. The guard itself takes no lock: one thread ticks;
 * dp_memguard_stats_get() may run on any thread.
 */
#ifndef DP_MEMGUARD_H
#define DP_MEMGUARD_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct dp_memguard_config {
    uint64_t max_rss;      /* bytes; 0: no ceiling */
    uint64_t trim_idle_ns; /* 0: never trim when idle */
    /* Frees caches the caller keeps (batch pools); returns bytes freed.
     * May be NULL. Called on the ticking thread. */
    size_t (*release)(void *user);
    void *user;
} dp_memguard_config;

typedef struct dp_memguard_stats {
    uint64_t rss;               /* bytes, at the last tick */
    uint64_t rss_peak;          /* the highest tick */
    uint64_t max_rss;           /* the ceiling; 0: none */
    bool pressure;              /* over the ceiling now (requests refused) */
    uint64_t pressure_episodes; /* times pressure turned on */
    uint64_t trims;             /* malloc_trim calls */
    uint64_t trimmed_bytes;     /* RSS drop measured across them */
} dp_memguard_stats;

typedef struct dp_memguard {
    dp_memguard_config cfg;
    int fd;    /* /proc/self/statm; -1: unreadable (no ceiling) */
    long page; /* page size */
    uint64_t last_activity, activity_ns, last_release_ns;
    bool trimmed_idle; /* trimmed in the current idle period */
    atomic_uint_fast64_t rss, rss_peak, episodes, trims, trimmed;
    atomic_bool pressure;
} dp_memguard;

/* Opens /proc/self/statm. Returns 0, or DP_EIO when it cannot be read
 * (the guard then reports rss 0 and never sets pressure). */
int dp_memguard_init(dp_memguard *g, const dp_memguard_config *cfg);
void dp_memguard_fini(dp_memguard *g);

/* Resident set size of this process in bytes, 0 when unknown. */
uint64_t dp_memguard_read_rss(dp_memguard *g);

/* One check at now_ns (monotonic). activity is any counter that grows
 * while requests arrive. Returns whether pressure is on. */
bool dp_memguard_tick(dp_memguard *g, uint64_t now_ns, uint64_t activity);

/* Bytes that may still be admitted before the next tick: 90 % of the
 * ceiling, minus the RSS of the last tick, minus pending: bytes accepted
 * but not yet grown into their final form (queued batches still to be
 * turned into traces: counted again, as the traces built from them may
 * need new pages before the batches' memory is reused). Negative: none.
 * INT64_MAX without a ceiling. */
int64_t dp_memguard_headroom(const dp_memguard *g, uint64_t pending);

/* Asks memory back now: the release hook, then malloc_trim(0). Counted. */
void dp_memguard_trim(dp_memguard *g);

void dp_memguard_stats_get(dp_memguard *g, dp_memguard_stats *out);

/* The default ceiling: 75 % of the cgroup's memory limit (v2 memory.max or
 * v1 memory.limit_in_bytes) or, without one, of physical memory. */
uint64_t dp_memguard_auto_limit(void);

#endif /* DP_MEMGUARD_H */
