/*
 * process_metrics.c - process_* and dagprof_build_info for GET /metrics
 * (see process_metrics.h).
 */
#include <dirent.h>
#include <grpc/grpc.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "process_metrics.h"
#include "processor.h"

static int family(dp_buf *b, const char *name, const char *type,
                  const char *help)
{
    return dp_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name,
                         type);
}

/* Fields of /proc/self/stat after the command name: utime, stime (ticks),
 * num_threads, starttime (ticks since boot), vsize, rss (pages). */
static int read_stat(unsigned long long *utime, unsigned long long *stime,
                     long *threads, unsigned long long *start,
                     unsigned long long *vsize, long *rss)
{
    char buf[1024];
    FILE *f = fopen("/proc/self/stat", "r");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *p = strrchr(buf, ')'); /* the command name may hold spaces */
    if (!p)
        return -1;
    /* state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt
     * utime stime cutime cstime priority nice num_threads itrealvalue
     * starttime vsize rss */
    int got = sscanf(p + 2,
                     "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu "
                     "%*d %*d %*d %*d %ld %*d %llu %llu %ld",
                     utime, stime, threads, start, vsize, rss);
    return got == 6 ? 0 : -1;
}

/* Seconds since the epoch at boot, from /proc/stat's btime. */
static long long boot_time(void)
{
    char line[256];
    long long bt = -1;
    FILE *f = fopen("/proc/stat", "r");
    if (!f)
        return -1;
    while (fgets(line, sizeof(line), f))
        if (sscanf(line, "btime %lld", &bt) == 1)
            break;
    fclose(f);
    return bt;
}

static long open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return -1;
    long n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n - 1; /* the directory's own descriptor */
}

int dp_process_metrics_render(dp_buf *b, const char *version)
{
    int err = 0;
    err |= family(b, "dagprof_build_info", "gauge",
                  "dagprof's version and the libraries it runs with.");
    err |= dp_buf_printf(b,
                         "dagprof_build_info{version=\"%s\",openssl=\"%s\","
                         "grpc=\"%s\"} 1\n",
                         version, OpenSSL_version(OPENSSL_VERSION_STRING),
                         grpc_version_string());
    unsigned long long ut, st, start, vsize;
    long threads, rss;
    long tick = sysconf(_SC_CLK_TCK), page = sysconf(_SC_PAGESIZE);
    if (tick > 0 && page > 0 &&
        read_stat(&ut, &st, &threads, &start, &vsize, &rss) == 0) {
        err |= family(b, "process_cpu_seconds_total", "counter",
                      "Total user and system CPU time spent in seconds.");
        err |= dp_buf_printf(b, "process_cpu_seconds_total %.2f\n",
                             (double)(ut + st) / (double)tick);
        err |= family(b, "process_resident_memory_bytes", "gauge",
                      "Resident memory size in bytes.");
        err |= dp_buf_printf(b, "process_resident_memory_bytes %lld\n",
                             (long long)rss * page);
        err |= family(b, "process_virtual_memory_bytes", "gauge",
                      "Virtual memory size in bytes.");
        err |= dp_buf_printf(b, "process_virtual_memory_bytes %llu\n", vsize);
        err |= family(b, "process_threads", "gauge", "Number of OS threads.");
        err |= dp_buf_printf(b, "process_threads %ld\n", threads);
        long long bt = boot_time();
        if (bt >= 0) {
            err |= family(b, "process_start_time_seconds", "gauge",
                          "Start time of the process since unix epoch in "
                          "seconds.");
            err |= dp_buf_printf(b, "process_start_time_seconds %.2f\n",
                                 (double)bt + (double)start / (double)tick);
        }
    }
    long fds = open_fds();
    if (fds >= 0) {
        err |= family(b, "process_open_fds", "gauge",
                      "Number of open file descriptors.");
        err |= dp_buf_printf(b, "process_open_fds %ld\n", fds);
    }
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
        err |= family(b, "process_max_fds", "gauge",
                      "Maximum number of open file descriptors.");
        err |= dp_buf_printf(b, "process_max_fds %llu\n",
                             (unsigned long long)rl.rlim_cur);
    }
    return err ? DP_ENOMEM : 0;
}
