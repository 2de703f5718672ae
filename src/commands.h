/*
 * commands.h - the dagprof subcommands, each an entry point taking the
 * arguments after its name. main.c dispatches; each lives in cmd_<name>.c.
 * Return value: the process exit status.
 */
#ifndef DP_COMMANDS_H
#define DP_COMMANDS_H

int dp_cmd_compare(int argc, char **argv);
int dp_cmd_report(int argc, char **argv);
int dp_cmd_serve(int argc, char **argv);
int dp_cmd_runs(int argc, char **argv);
int dp_cmd_show(int argc, char **argv);
int dp_cmd_trends(int argc, char **argv);
int dp_cmd_regressions(int argc, char **argv);
int dp_cmd_whatif(int argc, char **argv);

#endif /* DP_COMMANDS_H */
