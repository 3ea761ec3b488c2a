/*
 * standalone.c - runs the fuzz target without libFuzzer, on the files
 * named on the command line or, by default, on every test config, the
 * examples and the shared corpus, and on every prefix of each (cut
 * files are the classic parser killer).  make check runs it, so the
 * target's properties hold on everything we know even where clang is
 * not installed.
 */
#define _GNU_SOURCE

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../testutil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t run_file(const char *path)
{
    size_t len;
    char *buf = tu_read_file(path, &len);

    if (!buf) {
        fprintf(stderr, "cannot read %s\n", path);
        exit(EXIT_FAILURE);
    }
    for (size_t cut = 0; cut <= len; cut++)
        LLVMFuzzerTestOneInput((const uint8_t *)buf, cut);
    free(buf);
    return len + 1;
}

int main(int argc, char **argv)
{
    size_t inputs = 0, files = 0;

    if (argc > 1) {
        for (int i = 1; i < argc; i++, files++)
            inputs += run_file(argv[i]);
    } else {
        const char *dirs[3];
        char d1[4096], d2[4096];

        snprintf(d1, sizeof(d1), "%s/tests/cfg", tu_srcdir());
        snprintf(d2, sizeof(d2), "%s/etc/examples", tu_srcdir());
        dirs[0] = d1;
        dirs[1] = d2;
        dirs[2] = tu_corpus();
        for (int d = 0; d < 3; d++) {
            char **paths;
            size_t n = tu_list_cfgs(dirs[d], &paths);

            for (size_t i = 0; i < n; i++, files++)
                inputs += run_file(paths[i]);
            tu_free_list(paths, n);
        }
    }
    printf("fuzz target: %zu files, %zu inputs (every prefix), all "
           "properties hold\n", files, inputs);
    return files ? EXIT_SUCCESS : EXIT_FAILURE;
}
