/*
 * main.c - the dagprof command: picks a subcommand and runs it.
 *
 *   dagprof serve            OTLP endpoint: profiles runs as they finish
 *   dagprof report FILE...   profile OTLP trace files offline
 *   dagprof compare A B      two strategies side by side
 *   dagprof runs, show, trends, regressions
 *                            the run history serve keeps (history/)
 *   dagprof whatif INPUT CHANGE...  replay a run under changed strategies
 *
 * Each subcommand wires receiver -> processor -> exporter itself (see
 * cmd_<name>.c) and prints its own --help.
 */
#include <stdio.h>
#include <string.h>

#include "commands.h"

#ifndef DP_VERSION
#define DP_VERSION "0.1.0"
#endif

static void usage(FILE *out)
{
    fputs("usage: dagprof <command> [options]\n"
          "\n"
          "Profiles LLM-agent runs recorded as OpenTelemetry traces: latency\n"
          "split into waiting and executing, the critical path, parallelism,\n"
          "tokens and cost, bottlenecks and optimizations.\n"
          "\n"
          "commands:\n"
          "  serve            receive OTLP over gRPC (:4317) and HTTP (:4318)\n"
          "                   and write a profile per finished run\n"
          "  report FILE...   profile OTLP/JSON or OTLP protobuf trace files\n"
          "                   (--summary: per-DAG percentiles and projection)\n"
          "  compare A B      two strategies side by side, with deltas and\n"
          "                   ratios\n"
          "  runs             the runs kept in the history store\n"
          "  show TRACE_ID    one stored run's profile\n"
          "  trends --dag D   runs, p50/p95 wall and cost, tokens, error\n"
          "                   rate per day, hour or version\n"
          "  regressions --dag D\n"
          "                   a version against the one before: per node,\n"
          "                   p50 change and Mann-Whitney U p-value\n"
          "  whatif INPUT CHANGE...\n"
          "                   replay one run with more or fewer workers,\n"
          "                   another model, a cache, a dependency\n"
          "                   dropped: predicted wall, critical path, cost\n"
          "  version          print the version\n"
          "\n"
          "Run 'dagprof <command> --help' for a command's options.\n",
          out);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "report") == 0)
        return dp_cmd_report(argc - 1, argv + 1);
    if (strcmp(cmd, "compare") == 0)
        return dp_cmd_compare(argc - 1, argv + 1);
    if (strcmp(cmd, "whatif") == 0)
        return dp_cmd_whatif(argc - 1, argv + 1);
    if (strcmp(cmd, "serve") == 0)
        return dp_cmd_serve(argc - 1, argv + 1);
    if (strcmp(cmd, "runs") == 0)
        return dp_cmd_runs(argc - 1, argv + 1);
    if (strcmp(cmd, "show") == 0)
        return dp_cmd_show(argc - 1, argv + 1);
    if (strcmp(cmd, "trends") == 0)
        return dp_cmd_trends(argc - 1, argv + 1);
    if (strcmp(cmd, "regressions") == 0)
        return dp_cmd_regressions(argc - 1, argv + 1);
    if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
        printf("dagprof %s\n", DP_VERSION);
        return 0;
    }
    if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 ||
        strcmp(cmd, "-h") == 0) {
        usage(stdout);
        return 0;
    }
    fprintf(stderr, "dagprof: unknown command '%s'\n", cmd);
    usage(stderr);
    return 2;
}
