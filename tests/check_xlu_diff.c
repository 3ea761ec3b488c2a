/*
 * check_xlu_diff.c - our parser against upstream's.
 *
 * Debian's libxlutil (xl's own config parser) is the oracle: for every
 * config of the shared corpus, of our test configs and of the examples,
 * and for thousands of mutations of them, both parsers must agree on
 * whether the file is valid and, when it is, on the value of every name
 * the file could set, and on how each reads as a number.
 *
 * libxlutil gives no way to list the names it stored, so the names
 * asked about are every word of the file that could be a name, plus
 * every name our parser stored: a name one parser invents and the other
 * does not shows up either way.
 */
#define _GNU_SOURCE

#include <check.h>
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxlutil.h>

#include "testutil.h"
#include "xlcfg.h"

/* Print a buffer as a C string, for the report of a mismatch. */
static void dump_c(FILE *f, const char *buf, size_t len)
{
    fputc('"', f);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)buf[i];

        if (c == '\n')
            fputs("\\n", f);
        else if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 32 || c > 126)
            fprintf(f, "\\x%02x\"\"", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

/* Compare one of our values with one of libxlutil's.  Returns NULL when
 * they agree, or what differs. */
static const char *cmp_value(XLU_Config *xc, const struct xlcfg_value *ours,
                             XLU_ConfigValue *theirs)
{
    if (xlu_cfg_value_type(theirs) == XLU_STRING) {
        char *s;

        if (ours->type == XLCFG_LIST)
            return "list here, string in libxlutil";
        xlu_cfg_value_get_string(xc, theirs, &s, 1);
        return strcmp(s, ours->str) ? "strings differ" : NULL;
    } else {
        XLU_ConfigList *l;
        size_t n = 0;

        if (ours->type != XLCFG_LIST)
            return "string here, list in libxlutil";
        xlu_cfg_value_get_list(xc, theirs, &l, 1);
        for (XLU_ConfigValue *it; (it = xlu_cfg_get_listitem2(l, (int)n));
             n++) {
            const char *why;

            if (n >= ours->nitems)
                return "libxlutil's list is longer";
            if ((why = cmp_value(xc, ours->items[n], it)))
                return why;
        }
        return n == ours->nitems ? NULL : "our list is longer";
    }
}

/* Compare what both parsers hold for one name. */
static const char *cmp_name(const struct xlcfg *cfg, XLU_Config *xc,
                            const char *name)
{
    const struct xlcfg_setting *s = xlcfg_find(cfg, name);
    const char *str;
    XLU_ConfigList *list;
    long l1 = 0, l2 = 0;
    int r1, r2;

    if (xlu_cfg_get_string(xc, name, &str, 1) == 0) {
        if (!s)
            return "set in libxlutil only";
        if (s->value->type == XLCFG_LIST)
            return "list here, string in libxlutil";
        if (strcmp(str, s->value->str))
            return "strings differ";
    } else if (xlu_cfg_get_list(xc, name, &list, NULL, 1) == 0) {
        int n = 0;
        const char *why;

        if (!s)
            return "set in libxlutil only";
        if (s->value->type != XLCFG_LIST)
            return "string here, list in libxlutil";
        while (xlu_cfg_get_listitem2(list, n))
            n++;
        if ((size_t)n != s->value->nitems)
            return "list lengths differ";
        for (int i = 0; i < n; i++)
            if ((why = cmp_value(xc, s->value->items[i],
                                 xlu_cfg_get_listitem2(list, i))))
                return why;
    } else if (s) {
        return "set here only";
    }
    /* The number reading, with its += and syntax rules. */
    r1 = xlcfg_get_long(cfg, name, &l1);
    r2 = xlu_cfg_get_long(xc, name, &l2, 1);
    if ((r1 == 0) != (r2 == 0) || (r1 == 0 && l1 != l2))
        return "numbers differ";
    return NULL;
}

static bool name_start(unsigned char c)
{
    return c >= 'a' && c <= 'z';
}

static bool name_char(unsigned char c)
{
    return name_start(c) || isdigit(c) || c == '.' || c == '_';
}

/*
 * Parse buf with both and compare.  Returns true when they agree; on a
 * disagreement prints what and where to stderr.
 */
static bool agree(const char *name, const char *buf, size_t len)
{
    struct xlcfg cfg;
    XLU_Config *xc = NULL;
    FILE *devnull = fopen("/dev/null", "w");
    bool ok = false, ours_ok;
    const char *why = NULL, *which = "";
    int xrc;

    xlcfg_init(&cfg);
    ck_assert_int_eq(xlcfg_parse_buffer(&cfg, name, buf, len), 0);
    ours_ok = xlcfg_ok(&cfg);
    /* libxlutil aborts on a NUL byte inside a string; ours rejects every
     * NUL byte (but the last, which xl ignores like any stray last byte),
     * and that is all that can be checked then. */
    if (len > 1 && memchr(buf, '\0', len - 1)) {
        ok = !ours_ok;
        why = "a NUL byte was accepted";
        goto out;
    }
    ck_assert_ptr_nonnull(devnull);
    xc = xlu_cfg_init(devnull, name);
    ck_assert_ptr_nonnull(xc);
    xrc = xlu_cfg_readdata(xc, buf, (int)len);
    if (ours_ok != (xrc == 0)) {
        why = ours_ok ? "accepted here, rejected by libxlutil"
                      : "rejected here, accepted by libxlutil";
        goto out;
    }
    if (!ours_ok) {
        ok = true;
        goto out;
    }
    for (size_t i = 0; i < cfg.nsettings && !why; i++) {
        which = cfg.settings[i].name;
        why = cmp_name(&cfg, xc, which);
    }
    for (size_t i = 0; i < len && !why; i++) {
        size_t j = i;
        char word[256];

        if (!name_start((unsigned char)buf[i])
            || (i > 0 && name_char((unsigned char)buf[i - 1])))
            continue;
        while (j < len && name_char((unsigned char)buf[j]))
            j++;
        if (j - i >= sizeof(word))
            continue;
        memcpy(word, buf + i, j - i);
        word[j - i] = '\0';
        which = word;
        why = cmp_name(&cfg, xc, word);
        if (why)
            which = strdupa(word);
    }
    ok = !why;

out:
    if (!ok) {
        fprintf(stderr, "%s: parsers disagree: %s%s%s\n  input: ", name,
                why, *which ? " for " : "", which);
        dump_c(stderr, buf, len);
        fputc('\n', stderr);
        xlcfg_print_diags(&cfg, stderr);
    }
    if (xc)
        xlu_cfg_destroy(xc);
    if (devnull)
        fclose(devnull);
    xlcfg_dispose(&cfg);
    return ok;
}

/* Run agree() on every .cfg of a directory; returns how many files. */
static size_t agree_dir(const char *dir, size_t *bad)
{
    char **paths;
    size_t n = tu_list_cfgs(dir, &paths);

    for (size_t i = 0; i < n; i++) {
        size_t len;
        char *buf = tu_read_file(paths[i], &len);

        ck_assert_msg(buf != NULL, "cannot read %s", paths[i]);
        if (!agree(paths[i], buf, len))
            (*bad)++;
        free(buf);
    }
    tu_free_list(paths, n);
    return n;
}

START_TEST(corpus)
{
    size_t bad = 0, n = agree_dir(tu_corpus(), &bad);

    if (n == 0) {
        /* CI always has the corpus; a developer may not. */
        fprintf(stderr, "note: no corpus at %s: set XLD_CORPUS\n",
                tu_corpus());
        return;
    }
    fprintf(stderr, "corpus: %zu configs, %zu disagreements\n", n, bad);
    ck_assert_uint_eq(bad, 0);
}
END_TEST

START_TEST(own_configs)
{
    char dir[4096];
    size_t bad = 0, n;

    snprintf(dir, sizeof(dir), "%s/tests/cfg", tu_srcdir());
    n = agree_dir(dir, &bad);
    snprintf(dir, sizeof(dir), "%s/etc/examples", tu_srcdir());
    n += agree_dir(dir, &bad);
    fprintf(stderr, "own configs: %zu, %zu disagreements\n", n, bad);
    ck_assert_uint_ge(n, 50);
    ck_assert_uint_eq(bad, 0);
}
END_TEST

/* ---- mutations ------------------------------------------------------- */

static uint64_t rng_state;

static uint32_t rnd(uint32_t n)
{
    /* xorshift64*: fixed seed, so a failure is the same every run. */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (uint32_t)((rng_state * 2685821657736338717ULL) >> 32) % n;
}

/* Bytes that matter to the grammar, and some that are merely odd. */
static const char interesting[] =
    "[]=,;\"'#\n\n\n \t+\\\\xn01789afAZ._-():\r";

/* Apply one random edit to buf (which has room for len + 64 bytes). */
static size_t mutate(char *buf, size_t len)
{
    size_t at = len ? rnd((uint32_t)len) : 0;

    switch (rnd(7)) {
    case 0: /* delete a byte */
        if (len) {
            memmove(buf + at, buf + at + 1, len - at - 1);
            len--;
        }
        break;
    case 1: /* insert a byte */
        memmove(buf + at + 1, buf + at, len - at);
        buf[at] = interesting[rnd(sizeof(interesting) - 1)];
        len++;
        break;
    case 2: /* replace a byte */
        if (len)
            buf[at] = interesting[rnd(sizeof(interesting) - 1)];
        break;
    case 3: /* cut the file short */
        len = at;
        break;
    case 4: /* swap two neighbours */
        if (at + 1 < len) {
            char c = buf[at];

            buf[at] = buf[at + 1];
            buf[at + 1] = c;
        }
        break;
    case 5: { /* insert a short piece of syntax */
        static const char *const bits[] = {
            "+=", "[]", "[,]", "\"\\101\"", "'x'", "0x1f", "a=1", "\\\n",
            "# c", "[\n", ",\n", "\"\"", "\\x41", "[[1],[2]]", "x+=[1]\n",
            "x+=\"s\"\n", "x=1;x+=2\n",
        };
        const char *b = bits[rnd(sizeof(bits) / sizeof(bits[0]))];
        size_t bl = strlen(b);

        memmove(buf + at + bl, buf + at, len - at);
        memcpy(buf + at, b, bl);
        len += bl;
        break;
    }
    default: /* drop the rest of a line */
        if (len) {
            char *nl = memchr(buf + at, '\n', len - at);
            size_t end = nl ? (size_t)(nl - buf) : len;

            memmove(buf + at, buf + end, len - end);
            len -= end - at;
        }
        break;
    }
    return len;
}

#define MUTANTS_PER_FILE 300

static void mutate_dir(const char *dir, size_t *runs, size_t *bad,
                       size_t *accepted)
{
    char **paths;
    size_t n = tu_list_cfgs(dir, &paths);

    for (size_t i = 0; i < n; i++) {
        size_t len;
        char *orig = tu_read_file(paths[i], &len);

        ck_assert_ptr_nonnull(orig);
        for (int m = 0; m < MUTANTS_PER_FILE && *bad < 5; m++) {
            /* Up to three edits on a fresh copy: room for 3 × 64. */
            char *buf = malloc(len + 256);
            size_t l = len;
            int edits = 1 + (int)rnd(3);
            struct xlcfg cfg;

            ck_assert_ptr_nonnull(buf);
            memcpy(buf, orig, len);
            while (edits--)
                l = mutate(buf, l);
            if (!agree(paths[i], buf, l))
                (*bad)++;
            xlcfg_init(&cfg);
            xlcfg_parse_buffer(&cfg, "m", buf, l);
            *accepted += xlcfg_ok(&cfg);
            xlcfg_dispose(&cfg);
            (*runs)++;
            free(buf);
        }
        free(orig);
    }
    tu_free_list(paths, n);
}

START_TEST(mutations)
{
    char dir[4096];
    size_t runs = 0, bad = 0, accepted = 0;

    rng_state = 0x9e3779b97f4a7c15ULL;
    snprintf(dir, sizeof(dir), "%s/tests/cfg", tu_srcdir());
    mutate_dir(dir, &runs, &bad, &accepted);
    mutate_dir(tu_corpus(), &runs, &bad, &accepted);
    fprintf(stderr, "mutations: %zu inputs (%zu valid), %zu "
            "disagreements\n", runs, accepted, bad);
    ck_assert_uint_gt(runs, 10000);
    /* Both kinds must be well represented, or the test proves little. */
    ck_assert_uint_gt(accepted, runs / 10);
    ck_assert_uint_gt(runs - accepted, runs / 10);
    ck_assert_uint_eq(bad, 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("xlu_diff");
    TCase *tc = tcase_create("oracle");
    SRunner *sr;
    int failed;

    /* Thousands of parses under ASan take a while on a small machine. */
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, corpus);
    tcase_add_test(tc, own_configs);
    tcase_add_test(tc, mutations);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
