/*
 * fuzz_config.c - libFuzzer target for the YAML configuration loader
 * (src/config_yaml.c dp_config_load_yaml) with every row of the key table,
 * the `exporters:` and `alerts:` sections included, as `dagprof serve
 * --config FILE` loads it.
 *
 * The input is the file's text, read through an in-memory file. Any input
 * must load (0) or fail with DP_EINVAL, DP_ENOENT or DP_EPARSE and a
 * message naming the file. When it loads, --print-config's output
 * (dp_config_print, documented as YAML that dp_config_load_yaml re-reads)
 * must load again into a fresh configuration and print the same text.
 * Seeds: tests/data/fuzz/corpus/fuzz_config (the two example files of
 * examples/ among them); dictionary: fuzz_config.dict.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "config.h"

/* Writes data to the memfd *fd (created on first use) and its path. */
static void to_file(int *fd, const char *name, const void *data, size_t size,
                    char *path, size_t path_len)
{
    if (*fd < 0 && (*fd = memfd_create(name, 0)) < 0)
        abort();
    if (ftruncate(*fd, 0) || pwrite(*fd, data, size, 0) != (ssize_t)size)
        abort();
    snprintf(path, path_len, "/proc/self/fd/%d", *fd);
}

/* Loads path into fresh cfg (caller finis it); returns the code. */
static int load(const char *path, dp_config *cfg, char *err, size_t err_len)
{
    dp_config_init(cfg);
    err[0] = '\0';
    return dp_config_load_yaml(cfg, path, err, err_len);
}

/* dp_config_print into a malloc'ed string. */
static char *print(const dp_config *cfg, size_t *len)
{
    char *text = NULL;
    FILE *out = open_memstream(&text, len);
    if (!out)
        abort();
    dp_config_print(cfg, out);
    if (fclose(out))
        abort();
    return text;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int fd = -1, fd2 = -1;
    char path[64], path2[64], err[1024];
    dp_config cfg, cfg2;

    to_file(&fd, "fuzz_config", data, size, path, sizeof(path));
    int rc = load(path, &cfg, err, sizeof(err));
    if (rc) {
        if (rc != DP_EINVAL && rc != DP_ENOENT && rc != DP_EPARSE) {
            fprintf(stderr, "rc %d: %s\n", rc, err);
            abort();
        }
        if (!err[0]) {
            fprintf(stderr, "rc %d without a message\n", rc);
            abort();
        }
    } else {
        size_t len, len2;
        char *text = print(&cfg, &len);
        to_file(&fd2, "fuzz_config_print", text, len, path2, sizeof(path2));
        int rc2 = load(path2, &cfg2, err, sizeof(err));
        if (rc2) {
            fprintf(stderr,
                    "--print-config output does not load again: %s\n"
                    "--- printed:\n%s\n---\n",
                    err, text);
            abort();
        }
        char *text2 = print(&cfg2, &len2);
        if (len != len2 || memcmp(text, text2, len) != 0) {
            fprintf(stderr,
                    "--print-config differs after a reload\n--- first:\n%s\n"
                    "--- second:\n%s\n---\n",
                    text, text2);
            abort();
        }
        free(text);
        free(text2);
        dp_config_fini(&cfg2);
    }
    dp_config_fini(&cfg);
    return 0;
}
