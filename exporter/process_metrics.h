/*
 * process_metrics.h - dagprof's own process on GET /metrics, in the names
 * every Prometheus client library uses, plus a build_info series:
 *   dagprof_build_info{version,openssl,grpc} 1
 *   process_cpu_seconds_total          user + system CPU time
 *   process_resident_memory_bytes      RSS
 *   process_virtual_memory_bytes
 *   process_open_fds, process_max_fds  descriptors open, and the limit
 *   process_start_time_seconds         since the Unix epoch
 *   process_threads
 * Read from /proc/self at each scrape (Linux). Appended after the
 * prometheus exporter's families by `dagprof serve`.
 */
#ifndef DP_PROCESS_METRICS_H
#define DP_PROCESS_METRICS_H

#include "buf.h"

/* Appends the families above to b. Values that cannot be read are left
 * out (their family too). Returns 0 or DP_ENOMEM. Cost: a few /proc reads
 * and one directory listing (open descriptors). */
int dp_process_metrics_render(dp_buf *b, const char *version);

#endif /* DP_PROCESS_METRICS_H */
