/*
 * dp_bench_report.c - turns the result lines of one bench/run (JSON lines
 * from dp_bench_inproc and dp_bench_load) into the table: figure,
 * value, target, baseline, value / target and whether it is met; prints it
 * and writes the same (plus the machine and every raw record) as JSON.
 *
 *   dp_bench_report RESULTS.jsonl OUT.json [--commit SHA] [--mode NAME]
 *
 * Exits 1 when a figure is missing (a benchmark did not run), never because
 * of a measured value: targets are reported, not asserted.
 */
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum op { GE, LE, REPORTED };

struct row {
    const char *label;
    const char *fig;  /* the value's record */
    const char *over; /* when set, value = fig / over (and over is the
                         baseline) */
    enum op op;
    double target;
    const char *unit;
};

static const struct row rows[] = {
    {"in-process protobuf decode+process+finalize, 1 thread",
     "inproc_proto_sps", NULL, GE, 1500000, "spans/s"},
    {"  that / protobuf-c unpack+free_unpacked alone", "inproc_proto_sps",
     "protobufc_unpack_sps", GE, 2.0, "x"},
    {"same, OTLP/JSON input", "inproc_json_sps", NULL, GE, 300000, "spans/s"},
    {"OTLP/gRPC loopback, 512-span batches: dagprof / null", "grpc_dagprof",
     "grpc_null", GE, 0.7, "x"},
    {"OTLP/HTTP protobuf loopback: dagprof / null", "http_dagprof", "http_null",
     GE, 0.7, "x"},
    {"processor memory per buffered span (beyond attr bytes)",
     "memory_per_span_bytes", NULL, LE, 300, "bytes"},
    {"profile emitted after grace expiry, p99", "grace_latency_p99_ms", NULL,
     LE, 1, "ms"},
    {"one 100,000-span trace finalized and profiled", "finalize_100000_ms",
     NULL, LE, 50, "ms"},
    {"profile JSON writer alone", "profile_json_mbps", NULL, REPORTED, 0,
     "MB/s"},
    {"  that / the printf-based writer it replaced, same run",
     "profile_json_mbps", "profile_json_ref_mbps", GE, 3.0, "x"},
    {"profile JSON bytes per input span", "profile_json_bytes_per_span", NULL,
     REPORTED, 0, "bytes"},
    {"throughput 2 shards / 1 shard (expect > 1.5)", "shards_2_over_1", NULL,
     REPORTED, 0, "x"},
    {"profiling cost per span, 100k-span vs 1k-span trace",
     "finalize_linearity", NULL, REPORTED, 0, "x"},
    {"dagprof report (1M-span file) / protobuf-c unpack+free",
     "report_over_unpack", NULL, GE, 1.0, "x"},
    {"  dagprof report CPU (user+sys) per 1M spans", "report_cpu_s_per_1m",
     NULL, REPORTED, 0, "s"},
    {"  protobuf-c unpack+free CPU per 1M spans, same file",
     "unpack_cpu_s_per_1m", NULL, REPORTED, 0, "s"},
    {"dagprof report peak RSS, 1M spans", "report_rss_mb_1m", NULL, REPORTED, 0,
     "MB"},
    {"dagprof report peak RSS, 2M spans", "report_rss_mb_2m", NULL, LE, 150,
     "MB"},
    {"dagprof report peak RSS, 4M spans", "report_rss_mb_4m", NULL, REPORTED, 0,
     "MB"},
    {"  peak RSS 4M / 1M spans (flat: about 1)", "report_rss_mb_4m",
     "report_rss_mb_1m", REPORTED, 0, "x"},
    {"OTLP/gRPC serve, durability wal / none (interleaved)", "grpc_wal_sps_wal",
     "grpc_wal_sps_none", REPORTED, 0, "x"},
    {"  server CPU per 1M spans, durability none", "grpc_wal_cpu_none", NULL,
     REPORTED, 0, "CPU-s"},
    {"  server CPU per 1M spans, durability wal", "grpc_wal_cpu_wal", NULL,
     REPORTED, 0, "CPU-s"},
    {"OTLP/HTTP serve, durability wal / none (interleaved)", "http_wal_sps_wal",
     "http_wal_sps_none", REPORTED, 0, "x"},
    {"  server CPU per 1M spans, durability none", "http_wal_cpu_none", NULL,
     REPORTED, 0, "CPU-s"},
    {"  server CPU per 1M spans, durability wal", "http_wal_cpu_wal", NULL,
     REPORTED, 0, "CPU-s"},
};

static json_t *find(json_t *recs, const char *fig);

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, size_t n)
{
    qsort(v, n, sizeof(*v), cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* bench/run's WAL rounds: records <proto>_wal_<durability>_r<N> (the
 * load's spans/s and seconds) and <that>_cpu (the server's CPU seconds
 * over the same run). Adds <proto>_wal_sps_<durability> (median spans/s)
 * and <proto>_wal_cpu_<durability> (median CPU-s per 1M spans). */
static void wal_medians(json_t *recs, const char *proto, const char *dur)
{
    double sps[64], cpu[64];
    size_t n = 0, nc = 0;
    char prefix[64], fig[96];
    snprintf(prefix, sizeof(prefix), "%s_wal_%s_r", proto, dur);
    size_t i;
    json_t *r;
    json_array_foreach(recs, i, r)
    {
        const char *f = json_string_value(json_object_get(r, "figure"));
        if (!f || strncmp(f, prefix, strlen(prefix)) != 0 ||
            strstr(f, "_cpu") || n == 64)
            continue;
        double v = json_number_value(json_object_get(r, "value"));
        double secs = json_number_value(json_object_get(r, "seconds"));
        sps[n++] = v;
        snprintf(fig, sizeof(fig), "%s_cpu", f);
        json_t *c = find(recs, fig);
        if (c && v * secs > 0)
            cpu[nc++] = json_number_value(json_object_get(c, "value")) /
                        (v * secs) * 1e6;
    }
    if (n) {
        snprintf(fig, sizeof(fig), "%s_wal_sps_%s", proto, dur);
        json_t *o = json_object();
        json_object_set_new(o, "figure", json_string(fig));
        json_object_set_new(o, "value", json_real(median(sps, n)));
        json_object_set_new(o, "unit", json_string("spans/s"));
        json_object_set_new(o, "runs", json_integer((json_int_t)n));
        json_array_append_new(recs, o);
    }
    if (nc) {
        snprintf(fig, sizeof(fig), "%s_wal_cpu_%s", proto, dur);
        json_t *o = json_object();
        json_object_set_new(o, "figure", json_string(fig));
        json_object_set_new(o, "value", json_real(median(cpu, nc)));
        json_object_set_new(o, "unit", json_string("CPU-s"));
        json_object_set_new(o, "runs", json_integer((json_int_t)nc));
        json_array_append_new(recs, o);
    }
}

static json_t *find(json_t *recs, const char *fig)
{
    size_t i;
    json_t *r, *found = NULL;
    json_array_foreach(recs, i, r)
    {
        const char *f = json_string_value(json_object_get(r, "figure"));
        if (f && !strcmp(f, fig))
            found = r; /* the last one wins */
    }
    return found;
}

static double num(json_t *r, const char *key)
{
    return r ? json_number_value(json_object_get(r, key)) : 0;
}

static void fmt(char *out, size_t n, double v, const char *unit)
{
    if (!strcmp(unit, "spans/s"))
        snprintf(out, n, "%.0f spans/s", v);
    else if (!strcmp(unit, "x"))
        snprintf(out, n, "%.2fx", v);
    else if (!strcmp(unit, "ms"))
        snprintf(out, n, "%.3f ms", v);
    else if (!strcmp(unit, "s"))
        snprintf(out, n, "%.2f s", v);
    else if (!strcmp(unit, "CPU-s"))
        snprintf(out, n, "%.2f CPU-s", v);
    else
        snprintf(out, n, "%.0f %s", v, unit);
}

/* Adds thousands separators to the integer part of a formatted number. */
static void commas(char *s, size_t cap)
{
    char tmp[96];
    size_t digits = 0, len = strlen(s), o = 0;
    while (digits < len && s[digits] >= '0' && s[digits] <= '9')
        digits++;
    if (digits < 4)
        return;
    for (size_t i = 0; i < len && o + 2 < sizeof(tmp); i++) {
        tmp[o++] = s[i];
        if (i + 1 < digits && (digits - i - 1) % 3 == 0)
            tmp[o++] = ',';
    }
    tmp[o] = 0;
    if (o < cap)
        memcpy(s, tmp, o + 1);
}

static json_t *machine(void)
{
    json_t *m = json_object();
    char line[512], model[256] = "unknown";
    long long mem_kb = 0;
    FILE *f = fopen("/proc/cpuinfo", "r");
    while (f && fgets(line, sizeof(line), f))
        if (!strncmp(line, "model name", 10) && strchr(line, ':')) {
            snprintf(model, sizeof(model), "%s", strchr(line, ':') + 2);
            model[strcspn(model, "\n")] = 0;
            break;
        }
    if (f)
        fclose(f);
    f = fopen("/proc/meminfo", "r");
    while (f && fgets(line, sizeof(line), f))
        if (sscanf(line, "MemTotal: %lld kB", &mem_kb) == 1)
            break;
    if (f)
        fclose(f);
    json_object_set_new(m, "nproc",
                        json_integer(sysconf(_SC_NPROCESSORS_ONLN)));
    json_object_set_new(m, "cpu", json_string(model));
    json_object_set_new(m, "mem_gib", json_real((double)mem_kb / 1048576.0));
    /* Other work on the machine during the run skews every figure. */
    double load = 0;
    f = fopen("/proc/loadavg", "r");
    if (f && fscanf(f, "%lf", &load) != 1)
        load = 0;
    if (f)
        fclose(f);
    json_object_set_new(m, "loadavg_1min", json_real(load));
    return m;
}

int main(int argc, char **argv)
{
    const char *commit = "", *mode = "full";
    if (argc < 3) {
        fprintf(stderr, "usage: dp_bench_report RESULTS.jsonl OUT.json "
                        "[--commit SHA] [--mode NAME]\n");
        return 2;
    }
    for (int i = 3; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--commit"))
            commit = argv[i + 1];
        else if (!strcmp(argv[i], "--mode"))
            mode = argv[i + 1];
    }
    FILE *in = fopen(argv[1], "r");
    if (!in) {
        perror(argv[1]);
        return 2;
    }
    json_t *recs = json_array();
    char line[8192];
    while (fgets(line, sizeof(line), in)) {
        json_error_t e;
        json_t *r = json_loads(line, 0, &e);
        if (r && json_is_object(r))
            json_array_append_new(recs, r);
        else if (r)
            json_decref(r);
    }
    fclose(in);
    for (int p = 0; p < 2; p++)
        for (int d = 0; d < 2; d++)
            wal_medians(recs, p ? "http" : "grpc", d ? "wal" : "none");

    json_t *out = json_object(), *jrows = json_array(), *m = machine();
    char when[64];
    time_t now = time(NULL);
    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
    json_object_set_new(out, "date", json_string(when));
    json_object_set_new(out, "commit", json_string(commit));
    json_object_set_new(out, "mode", json_string(mode));
    json_object_set_new(out, "machine", m);

    int missing = 0;
    printf("dagprof benchmarks (%s run, %s)\n", mode, when);
    printf("machine: %lld CPUs, %s, %.1f GiB RAM, load average %.2f at the "
           "end%s%s\n\n",
           (long long)json_integer_value(json_object_get(m, "nproc")),
           json_string_value(json_object_get(m, "cpu")),
           json_real_value(json_object_get(m, "mem_gib")),
           json_real_value(json_object_get(m, "loadavg_1min")),
           commit[0] ? ", commit " : "", commit);
    printf("| %-55s | %16s | %16s | %18s | %8s | %-8s |\n", "figure", "value",
           "target", "baseline", "/target", "status");
    printf("|%s|%s|%s|%s|%s|%s|\n",
           "---------------------------------------"
           "------------------",
           "------------------", "------------------", "--------------------",
           "----------", "----------");
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        const struct row *rw = &rows[i];
        json_t *r = find(recs, rw->fig),
               *b = rw->over ? find(recs, rw->over) : NULL;
        json_t *jr = json_object();
        char val[48] = "n/a", tgt[48] = "reported", base[48] = "",
             ratio[24] = "";
        const char *status = "missing";
        double v = 0, bv = 0;
        bool have = r && (!rw->over || (b && num(b, "value") > 0));
        if (have) {
            v = num(r, "value");
            if (rw->over) {
                bv = num(b, "value");
                v = v / bv;
                fmt(base, sizeof(base), bv,
                    json_string_value(json_object_get(b, "unit")));
                commas(base, sizeof(base));
            }
            fmt(val, sizeof(val), v, rw->unit);
            commas(val, sizeof(val));
        } else {
            missing++;
        }
        if (rw->op != REPORTED) {
            snprintf(tgt, sizeof(tgt), "%s ", rw->op == GE ? ">=" : "<=");
            fmt(tgt + 3, sizeof(tgt) - 3, rw->target, rw->unit);
            commas(tgt + 3, sizeof(tgt) - 3);
            if (have) {
                snprintf(ratio, sizeof(ratio), "%.2f", v / rw->target);
                status = (rw->op == GE ? v >= rw->target : v <= rw->target)
                             ? "met"
                             : "NOT MET";
            }
        } else if (have) {
            status = "reported";
        }
        printf("| %-55s | %16s | %16s | %18s | %8s | %-8s |\n", rw->label, val,
               tgt, base, ratio, status);
        json_object_set_new(jr, "figure", json_string(rw->label));
        json_object_set_new(jr, "record", json_string(rw->fig));
        json_object_set_new(jr, "value", have ? json_real(v) : json_null());
        json_object_set_new(jr, "unit", json_string(rw->unit));
        json_object_set_new(jr, "op",
                            json_string(rw->op == GE   ? ">="
                                        : rw->op == LE ? "<="
                                                       : "reported"));
        json_object_set_new(jr, "target",
                            rw->op == REPORTED ? json_null()
                                               : json_real(rw->target));
        if (rw->over) {
            json_object_set_new(jr, "baseline_record", json_string(rw->over));
            json_object_set_new(jr, "baseline",
                                have ? json_real(bv) : json_null());
        }
        json_object_set_new(jr, "status", json_string(status));
        json_array_append_new(jrows, jr);
    }
    json_object_set_new(out, "rows", jrows);
    json_object_set_new(out, "records", recs);

    /* Details: every raw record, one line each. */
    printf("\nall records:\n");
    size_t i;
    json_t *r;
    json_array_foreach(recs, i, r)
    {
        char *s = json_dumps(r, JSON_COMPACT | JSON_PRESERVE_ORDER |
                                    JSON_REAL_PRECISION(6));
        printf("  %s\n", s ? s : "");
        free(s);
    }
    if (json_dump_file(out, argv[2], JSON_INDENT(2) | JSON_PRESERVE_ORDER)) {
        fprintf(stderr, "dp_bench_report: cannot write %s\n", argv[2]);
        json_decref(out);
        return 2;
    }
    json_decref(out);
    if (missing)
        fprintf(stderr, "dp_bench_report: %d figure(s) missing\n", missing);
    return missing ? 1 : 0;
}
