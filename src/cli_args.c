/*
 * cli_args.c - option values several commands take (cli_args.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cli_args.h"
#include "trace_file.h"

int dp_cli_format(const char *cmd, const char *arg)
{
    int format = dp_trace_format_parse(arg);
    if (format < 0) {
        fprintf(stderr,
                "dagprof %s: --format must be auto, json or proto, not "
                "'%s'\n",
                cmd, arg);
        return -1;
    }
    return format;
}

int dp_cli_window(const char *cmd, const char *arg, dp_window_opt *w)
{
    if (dp_window_parse(arg, w)) {
        fprintf(stderr,
                "dagprof %s: --window must be a number of spans, a size "
                "such as 256MB, or all, not '%s'\n",
                cmd, arg);
        return 2;
    }
    return 0;
}

int dp_cli_width(const char *cmd, const char *arg, int *width)
{
    char *end;
    *width = (int)strtol(arg, &end, 10);
    if (*end || *width < 60 || *width > 1000) {
        fprintf(stderr,
                "dagprof %s: --width must be a number from 60 to 1000, not "
                "'%s'\n",
                cmd, arg);
        return 2;
    }
    return 0;
}

int dp_cli_text_width(int width)
{
    struct winsize ws;
    const char *cols = getenv("COLUMNS");
    if (width == 0) {
        if (cols && atoi(cols) > 0)
            width = atoi(cols);
        else if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
            width = ws.ws_col;
        else
            width = 80;
    }
    return width < 60 ? 60 : width;
}
