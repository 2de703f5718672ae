/*
 * dp_bench_offline.c - `dagprof report` on a file, measured as a user runs
 * it, against stock protobuf-c on the same bytes.
 *
 *   dp_bench_offline --dagprof PATH --file FILE.pb --spans N [--reps 3]
 *                    [--label NAME] [--rss-only]
 *
 * FILE.pb is a length-delimited protobuf file (dp_bench_gen --proto). Each
 * repetition runs, one after the other (interleaved, so machine load hits
 * both alike):
 *   - the baseline, in this process: the file read in 1 MiB chunks and
 *     every frame through protobuf-c's ..._unpack + ..._free_unpacked
 *     (default allocator), nothing else; CPU = user + system time of the
 *     loop (getrusage);
 *   - `dagprof report --output json FILE > /dev/null` as a child; CPU =
 *     the child's user + system time, peak RSS = its ru_maxrss (wait4).
 * The best repetition of each is kept. Prints JSON result records:
 * report_cpu_s_per_1m, unpack_cpu_s_per_1m, report_over_unpack (unpack CPU
 * / report CPU: the rate ratio, >= 1 when report is as fast as the bare
 * unpack) and report_rss_mb_<label>. --rss-only runs dagprof once and
 * prints the RSS record only.
 */
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"
#include "dp_wire.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb-c.h"

static double tv_s(struct timeval tv)
{
    return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

static double cpu_self(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return tv_s(ru.ru_utime) + tv_s(ru.ru_stime);
}

/* The baseline: CPU seconds to unpack and free every frame. -1 on error. */
static double unpack_file(const char *path, uint64_t *requests)
{
    int fd = open(path, O_RDONLY);
    size_t cap = (size_t)1 << 20, start = 0, end = 0;
    uint8_t *buf = malloc(cap);
    double t0 = cpu_self();
    bool eof = false;

    *requests = 0;
    if (fd < 0 || !buf) {
        free(buf);
        if (fd >= 0)
            close(fd);
        return -1;
    }
    for (;;) {
        const uint8_t *q = buf + start;
        uint64_t n = 0;
        bool hv = dp_wire_get_varint(&q, buf + end, &n);
        size_t off = (size_t)(q - buf);
        if (hv && n <= end - off) {
            Opentelemetry__Proto__Collector__Trace__V1__ExportTraceServiceRequest
                *req =
                    opentelemetry__proto__collector__trace__v1__export_trace_service_request__unpack(
                        NULL, (size_t)n, buf + off);
            if (!req)
                break;
            opentelemetry__proto__collector__trace__v1__export_trace_service_request__free_unpacked(
                req, NULL);
            (*requests)++;
            start = off + (size_t)n;
            continue;
        }
        if (eof)
            break;
        size_t hdr = off - start;
        memmove(buf, buf + start, end - start);
        end -= start;
        start = 0;
        while (hv && hdr + n > cap) {
            uint8_t *p = realloc(buf, cap * 2);
            if (!p)
                break;
            buf = p;
            cap *= 2;
        }
        ssize_t got = read(fd, buf + end, cap - end);
        if (got <= 0)
            eof = true;
        else
            end += (size_t)got;
    }
    double t = cpu_self() - t0;
    close(fd);
    free(buf);
    return start == end ? t : -1;
}

/* Runs dagprof report on path; CPU seconds and peak RSS of the child. */
static int run_report(const char *dagprof, const char *path, double *cpu,
                      double *rss_mb)
{
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        if (null >= 0)
            dup2(null, STDOUT_FILENO);
        execl(dagprof, dagprof, "report", "--output", "json", path,
              (char *)NULL);
        _exit(127);
    }
    int status;
    struct rusage ru;
    if (wait4(pid, &status, 0, &ru) != pid || !WIFEXITED(status) ||
        WEXITSTATUS(status) != 0)
        return -1;
    *cpu = tv_s(ru.ru_utime) + tv_s(ru.ru_stime);
    *rss_mb = (double)ru.ru_maxrss / 1024.0;
    return 0;
}

int main(int argc, char **argv)
{
    const char *dagprof = NULL, *file = NULL, *label = "1m";
    uint64_t spans = 0, reps = 3;
    bool rss_only = false;
    char extra[256], fig[64];

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--rss-only")) {
            rss_only = true;
            continue;
        }
        if (!v)
            goto usage;
        if (!strcmp(a, "--dagprof"))
            dagprof = v;
        else if (!strcmp(a, "--file"))
            file = v;
        else if (!strcmp(a, "--spans"))
            spans = dp_bench_parse_count(v);
        else if (!strcmp(a, "--reps"))
            reps = dp_bench_parse_count(v);
        else if (!strcmp(a, "--label"))
            label = v;
        else
            goto usage;
        i++;
    }
    if (!dagprof || !file || !spans || !reps)
        goto usage;

    double best_unpack = 1e30, best_report = 1e30, rss = 0;
    uint64_t requests = 0;
    for (uint64_t r = 0; r < (rss_only ? 1 : reps); r++) {
        double cpu, mb;
        if (!rss_only) {
            double u = unpack_file(file, &requests);
            if (u < 0) {
                fprintf(stderr,
                        "dp_bench_offline: %s: not a length-delimited "
                        "protobuf file\n",
                        file);
                return 1;
            }
            if (u < best_unpack)
                best_unpack = u;
        }
        if (run_report(dagprof, file, &cpu, &mb)) {
            fprintf(stderr, "dp_bench_offline: %s report %s failed\n", dagprof,
                    file);
            return 1;
        }
        if (cpu < best_report)
            best_report = cpu;
        if (mb > rss)
            rss = mb;
    }
    double per = 1e6 / (double)spans;
    snprintf(extra, sizeof(extra), "\"spans\":%llu,\"cpu_s\":%.3f",
             (unsigned long long)spans, best_report);
    snprintf(fig, sizeof(fig), "report_rss_mb_%s", label);
    dp_bench_result(stdout, fig, rss, "MB", extra);
    if (rss_only)
        return 0;
    dp_bench_result(stdout, "report_cpu_s_per_1m", best_report * per, "s",
                    extra);
    snprintf(
        extra, sizeof(extra), "\"spans\":%llu,\"requests\":%llu,\"cpu_s\":%.3f",
        (unsigned long long)spans, (unsigned long long)requests, best_unpack);
    dp_bench_result(stdout, "unpack_cpu_s_per_1m", best_unpack * per, "s",
                    extra);
    dp_bench_result(stdout, "report_over_unpack", best_unpack / best_report,
                    "x", NULL);
    return 0;
usage:
    fputs("usage: dp_bench_offline --dagprof PATH --file FILE.pb --spans N\n"
          "         [--reps 3] [--label NAME] [--rss-only]\n",
          stderr);
    return 2;
}
