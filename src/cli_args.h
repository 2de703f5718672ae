/*
 * cli_args.h - option values several commands take: --format of a trace
 * file, --window, --width of a text report (and the terminal's width).
 * Each prints "dagprof <cmd>: --<option> must be ..., not '<arg>'" on a
 * bad value.
 */
#ifndef DP_CLI_ARGS_H
#define DP_CLI_ARGS_H

#include "window.h"

/* --format auto|json|proto: the DP_FORMAT_* value, or -1 (message
 * printed). */
int dp_cli_format(const char *cmd, const char *arg);

/* --window N|SIZE|all into *w: 0, or 2 (message printed). */
int dp_cli_window(const char *cmd, const char *arg, dp_window_opt *w);

/* --width N (60 to 1000) into *width: 0, or 2 (message printed). */
int dp_cli_width(const char *cmd, const char *arg, int *width);

/* The width of a text report: width when given (not 0), else $COLUMNS,
 * else the terminal's, else 80; at least 60. */
int dp_cli_text_width(int width);

#endif /* DP_CLI_ARGS_H */
