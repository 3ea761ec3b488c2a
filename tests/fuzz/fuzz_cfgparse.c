/*
 * fuzz_cfgparse.c - libFuzzer target for the config parser.
 *
 * Beyond "no crash, no leak, no undefined behaviour", it checks two
 * properties on every input: a valid config written out in normal form
 * parses again to the same values, and an invalid one has at least one
 * diagnostic with a location inside the input.
 */
#define _GNU_SOURCE

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xlcfg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int cond, const char *what)
{
    if (!cond) {
        fprintf(stderr, "fuzz_cfgparse: property violated: %s\n", what);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct xlcfg a, b;
    char *out = NULL;
    size_t outlen = 0;
    FILE *f;

    xlcfg_init(&a);
    xlcfg_init(&b);
    if (xlcfg_parse_buffer(&a, "fuzz", (const char *)data, size))
        goto out;
    if (!xlcfg_ok(&a)) {
        int lines = 1;

        for (size_t i = 0; i < size; i++)
            lines += data[i] == '\n';
        check(a.ndiags > 0, "an error without a message");
        for (size_t i = 0; i < a.ndiags; i++)
            check(a.diags[i].loc.line <= lines,
                  "a diagnostic past the end of the input");
        goto out;
    }
    f = open_memstream(&out, &outlen);
    if (!f)
        goto out;
    xlcfg_write(&a, f);
    fclose(f);
    check(xlcfg_parse_buffer(&b, "again", out, outlen) == 0
          && xlcfg_ok(&b), "the written config does not parse");
    for (size_t i = 0; i < a.nsettings; i++) {
        const struct xlcfg_setting *sa = xlcfg_find(&a, a.settings[i].name);
        const struct xlcfg_setting *sb = xlcfg_find(&b, a.settings[i].name);

        check(sb && xlcfg_value_equal(sa->value, sb->value),
              "a value changed when written and read back");
    }
out:
    free(out);
    xlcfg_dispose(&a);
    xlcfg_dispose(&b);
    return 0;
}
