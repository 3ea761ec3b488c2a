/*
 * check_syntax.c - unit tests of the config syntax layer: every rule of
 * the grammar, the lookups, the diagnostics and their locations, the
 * normalised writer, and behaviour on hostile input.
 */
#define _GNU_SOURCE

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"
#include "xlcfg.h"

static struct xlcfg cfg;

static void setup(void)
{
    xlcfg_init(&cfg);
}

static void teardown(void)
{
    xlcfg_dispose(&cfg);
}

/* Parse a string; returns the number of errors. */
static size_t parse(const char *text)
{
    xlcfg_dispose(&cfg);
    ck_assert_int_eq(xlcfg_parse_buffer(&cfg, "t.cfg", text, strlen(text)),
                     0);
    return cfg.nerrors;
}

static const char *str(const char *name)
{
    const char *s = NULL;

    ck_assert_int_eq(xlcfg_get_string(&cfg, name, &s), 0);
    return s;
}

/* The n-th diagnostic, formatted as printed. */
static char *diag(size_t n)
{
    static char buf[512];

    ck_assert_uint_lt(n, cfg.ndiags);
    snprintf(buf, sizeof(buf), "%d:%d: %s%s", cfg.diags[n].loc.line,
             cfg.diags[n].loc.column,
             cfg.diags[n].severity == XLCFG_WARNING ? "warning: " : "",
             cfg.diags[n].msg);
    return buf;
}

static void assert_diag_at(size_t n, int line, int column)
{
    ck_assert_uint_lt(n, cfg.ndiags);
    ck_assert_msg(cfg.diags[n].loc.line == line
                  && cfg.diags[n].loc.column == column,
                  "diag %zu is at %s, expected %d:%d", n, diag(n), line,
                  column);
}

START_TEST(settings_and_types)
{
    const struct xlcfg_setting *s;

    ck_assert_uint_eq(parse("name = \"web\"\nmemory = 1024\n"
                            "disk = [ 'a', \"b\" ]\nkernel.x_9 = 'k'\n"), 0);
    ck_assert_uint_eq(cfg.nsettings, 4);
    ck_assert_str_eq(str("name"), "web");
    s = xlcfg_find(&cfg, "memory");
    ck_assert_ptr_nonnull(s);
    ck_assert_int_eq(s->value->type, XLCFG_NUMBER);
    ck_assert_str_eq(s->value->str, "1024");
    ck_assert_int_eq(s->loc.line, 2);
    ck_assert_int_eq(s->loc.column, 1);
    ck_assert_int_eq(s->value->loc.column, 10);
    ck_assert_str_eq(s->loc.file, "t.cfg");
    s = xlcfg_find(&cfg, "disk");
    ck_assert_int_eq(s->value->type, XLCFG_LIST);
    ck_assert_uint_eq(s->value->nitems, 2);
    ck_assert_str_eq(xlcfg_list_string(s->value, 0), "a");
    ck_assert_str_eq(xlcfg_list_string(s->value, 1), "b");
    ck_assert_ptr_null(xlcfg_list_string(s->value, 2));
    ck_assert_int_eq(s->value->items[1]->loc.column, 15);
    ck_assert_str_eq(str("kernel.x_9"), "k");
    ck_assert_ptr_null(xlcfg_find(&cfg, "nothing"));
}
END_TEST

START_TEST(separators_and_comments)
{
    ck_assert_uint_eq(parse(""), 0);
    ck_assert_uint_eq(cfg.nsettings, 0);
    ck_assert_uint_eq(parse("\n\n;;\n# only a comment\n"), 0);
    ck_assert_uint_eq(parse("a=1;b=2;\nc=3 # trailing \"comment\"\n"), 0);
    ck_assert_str_eq(str("a"), "1");
    ck_assert_str_eq(str("b"), "2");
    ck_assert_str_eq(str("c"), "3");
    /* A # inside a string is text. */
    ck_assert_uint_eq(parse("a = \"x # y\"\n"), 0);
    ck_assert_str_eq(str("a"), "x # y");
    ck_assert_uint_eq(parse(" \t a \t = \t 1 \t \n"), 0);
    ck_assert_str_eq(str("a"), "1");
}
END_TEST

START_TEST(last_line_without_newline)
{
    ck_assert_uint_eq(parse("a = 1\nb = \"x\""), 0);
    ck_assert_str_eq(str("b"), "x");
    ck_assert_uint_eq(parse("a = [1,\n2]"), 0);
    ck_assert_uint_eq(parse("a = 1; b = 2"), 0);
    ck_assert_str_eq(str("b"), "2");
    /* ... but a comment on that line needs its newline, as in xl. */
    ck_assert_uint_eq(parse("a = 1 # c"), 1);
    assert_diag_at(0, 1, 7);
    ck_assert_uint_eq(parse("a = 1\n# c"), 1);
    assert_diag_at(0, 2, 1);
}
END_TEST

START_TEST(strings_and_escapes)
{
    ck_assert_uint_eq(parse("a = 'it\"s'\nb = \"it's\"\n"), 0);
    ck_assert_str_eq(str("a"), "it\"s");
    ck_assert_str_eq(str("b"), "it's");
    ck_assert_uint_eq(parse("a = \"\\\\ \\\" \\' \\a\\b\\f\\n\\r\\t\\v\"\n"),
                      0);
    ck_assert_str_eq(str("a"), "\\ \" ' \a\b\f\n\r\t\v");
    ck_assert_uint_eq(parse("a = ''\nb = \"\"\n"), 0);
    ck_assert_str_eq(str("a"), "");
    ck_assert_uint_eq(parse("a = \"caf\xc3\xa9\"\n"), 0);
    ck_assert_str_eq(str("a"), "caf\xc3\xa9");
    /* xl drops a numeric escape without a trace: kept, and warned. */
    ck_assert_uint_eq(parse("a = \"x\\101y\"\n"), 0);
    ck_assert_str_eq(str("a"), "xy");
    ck_assert_uint_eq(cfg.ndiags, 1);
    ck_assert_int_eq(cfg.diags[0].severity, XLCFG_WARNING);
    assert_diag_at(0, 1, 7);
    /* strtoul's view of the three bytes: blanks and a sign count. */
    ck_assert_uint_eq(parse("a = \"\\1 5z\"\n"), 0);
    ck_assert_str_eq(str("a"), "z");
    ck_assert_uint_eq(parse("a = \"\\1234\"\n"), 0);
    ck_assert_str_eq(str("a"), "");
    /* One or no digit after it is an error; so is every \x. */
    ck_assert_uint_eq(parse("a = \"\\12\"\n"), 1);
    assert_diag_at(0, 1, 6);
    ck_assert_uint_eq(parse("a = \"\\1\"\n"), 1);
    ck_assert_uint_eq(parse("a = \"\\x41\"\n"), 1);
    assert_diag_at(0, 1, 6);
    ck_assert_uint_eq(parse("a = 'ok\\q'\n"), 1);
    assert_diag_at(0, 1, 8);
    ck_assert_ptr_nonnull(strstr(cfg.diags[0].msg, "\\q"));
}
END_TEST

START_TEST(numbers)
{
    long l;

    ck_assert_uint_eq(parse("a = 0x1f\nb = 010\nc = 12abc\nd = \"42\"\n"
                            "e = 99999999999999999999\nf = [1]\ng = 0x\n"),
                      0);
    ck_assert_int_eq(xlcfg_get_long(&cfg, "a", &l), 0);
    ck_assert_int_eq(l, 31);
    ck_assert_int_eq(xlcfg_get_long(&cfg, "b", &l), 0);
    ck_assert_int_eq(l, 8);
    /* A number token that is not a number to strtol. */
    ck_assert_str_eq(str("c"), "12abc");
    ck_assert_int_eq(xlcfg_get_long(&cfg, "c", &l), EINVAL);
    ck_assert_int_eq(xlcfg_get_long(&cfg, "d", &l), 0);
    ck_assert_int_eq(l, 42);
    ck_assert_int_eq(xlcfg_get_long(&cfg, "e", &l), ERANGE);
    ck_assert_int_eq(xlcfg_get_long(&cfg, "f", &l), EINVAL);
    ck_assert_int_eq(xlcfg_get_long(&cfg, "g", &l), EINVAL);
    ck_assert_int_eq(xlcfg_get_long(&cfg, "none", &l), ENOENT);
    /* Capital hex digits, signs and points are not numbers to xl. */
    ck_assert_uint_eq(parse("a = 0x1F\n"), 1);
    assert_diag_at(0, 1, 8);
    ck_assert_uint_eq(parse("a = -1\n"), 1);
    assert_diag_at(0, 1, 5);
    ck_assert_uint_eq(parse("a = 1.5\n"), 1);
    assert_diag_at(0, 1, 6);
}
END_TEST

START_TEST(lists)
{
    const struct xlcfg_value *v;

    ck_assert_uint_eq(parse("a = []\nb = [1,]\nc = [\n\n 1 ,\n\n 2 ,\n]\n"
                            "d = [[1, 2], [], [[\"x\"]]]\n"), 0);
    ck_assert_int_eq(xlcfg_get_list(&cfg, "a", &v), 0);
    ck_assert_uint_eq(v->nitems, 0);
    ck_assert_int_eq(xlcfg_get_list(&cfg, "b", &v), 0);
    ck_assert_uint_eq(v->nitems, 1);
    ck_assert_int_eq(xlcfg_get_list(&cfg, "c", &v), 0);
    ck_assert_uint_eq(v->nitems, 2);
    ck_assert_int_eq(v->items[1]->loc.line, 7);
    ck_assert_int_eq(xlcfg_get_list(&cfg, "d", &v), 0);
    ck_assert_uint_eq(v->nitems, 3);
    ck_assert_int_eq(v->items[0]->type, XLCFG_LIST);
    ck_assert_ptr_null(xlcfg_list_string(v, 0));
    ck_assert_str_eq(v->items[2]->items[0]->items[0]->str, "x");
    /* A list where a string is wanted and the other way round. */
    {
        const char *s;

        ck_assert_int_eq(xlcfg_get_string(&cfg, "a", &s), EINVAL);
        ck_assert_uint_eq(parse("a = 1\n"), 0);
        ck_assert_int_eq(xlcfg_get_list(&cfg, "a", &v), EINVAL);
    }
    /* Lists never start a line after '=', nor hold empty items. */
    ck_assert_uint_eq(parse("a =\n[1]\n"), 2);
    ck_assert_uint_eq(parse("a = [,]\n"), 1);
    ck_assert_uint_eq(parse("a = [1,,2]\n"), 1);
    ck_assert_uint_eq(parse("a = [1 2]\n"), 1);
    ck_assert_uint_eq(parse("a = [1\n"), 1);
}
END_TEST

START_TEST(duplicates_and_append)
{
    const struct xlcfg_value *v;
    long l;

    ck_assert_uint_eq(parse("a = 1\nb = 2\na = 3\n"), 0);
    ck_assert_str_eq(str("a"), "3");
    ck_assert_uint_eq(cfg.nsettings, 3);
    ck_assert_uint_eq(parse("a = \"x\"\na += 'y'\na += \"z\"\n"), 0);
    ck_assert_str_eq(str("a"), "xyz");
    ck_assert_uint_eq(parse("a = [1, 2]\na += [3]\na += []\na += [[4]]\n"),
                      0);
    ck_assert_int_eq(xlcfg_get_list(&cfg, "a", &v), 0);
    ck_assert_uint_eq(v->nitems, 4);
    ck_assert_str_eq(v->items[2]->str, "3");
    ck_assert_int_eq(v->items[3]->type, XLCFG_LIST);
    /* The earlier statement keeps what it said. */
    ck_assert_uint_eq(cfg.settings[0].value->nitems, 2);
    /* += without an earlier value is a plain value... */
    ck_assert_uint_eq(parse("a += [1]\nb += 5\n"), 0);
    ck_assert_int_eq(xlcfg_get_list(&cfg, "a", &v), 0);
    ck_assert_uint_eq(v->nitems, 1);
    ck_assert_str_eq(str("b"), "5");
    /* ...except that xl never reads a += value as a number. */
    ck_assert_int_eq(xlcfg_get_long(&cfg, "b", &l), EINVAL);
    ck_assert_uint_eq(parse("m = 1\nm += 2\n"), 0);
    ck_assert_str_eq(str("m"), "12");
    ck_assert_int_eq(xlcfg_get_long(&cfg, "m", &l), EINVAL);
    ck_assert_uint_eq(parse("m = 1\nm += 2\nm = 7\n"), 0);
    ck_assert_int_eq(xlcfg_get_long(&cfg, "m", &l), 0);
    ck_assert_int_eq(l, 7);
    /* Mixing kinds is an error at the value, even if a later setting
     * would replace it. */
    ck_assert_uint_eq(parse("a = \"x\"\na += [1]\na = [2]\n"), 1);
    assert_diag_at(0, 2, 6);
    ck_assert_ptr_nonnull(strstr(cfg.diags[0].msg, "line 1"));
    ck_assert_uint_eq(parse("a = [1]\na += 'x'\n"), 1);
}
END_TEST

/* Every error of a file in one run, at the right places, and the good
 * lines between them still read. */
START_TEST(all_errors_in_one_run)
{
    ck_assert_uint_eq(parse("a = 1\n"
                            "b = \n"
                            "c = 3\n"
                            "Bad = 4\n"
                            "d = [1 2]\n"
                            "e = \"open\n"
                            "f = 6\n"
                            "g = x\n"), 5);
    assert_diag_at(0, 2, 5);
    assert_diag_at(1, 4, 1);
    assert_diag_at(2, 5, 8);
    assert_diag_at(3, 6, 5);
    assert_diag_at(4, 8, 5);
    ck_assert_str_eq(str("a"), "1");
    ck_assert_str_eq(str("c"), "3");
    ck_assert_str_eq(str("f"), "6");
    ck_assert_ptr_nonnull(strstr(cfg.diags[4].msg, "quoted"));
}
END_TEST

START_TEST(lexical_errors)
{
    /* Each with a hint for the usual cause. */
    static const struct {
        const char *text;
        int line, column;
        const char *words;
    } cases[] = {
        { "a = 1\r\n", 1, 6, "DOS line endings" },
        { "\xef\xbb\xbf" "a = 1\n", 1, 1, "byte order mark" },
        { "type = HVM\n", 1, 8, "lower case" },
        { "a = \"x\\\ny\"\n", 1, 5, "next line" },
        { "a = 'x\n", 1, 5, "unterminated" },
        { "a = (1)\n", 1, 5, "Python" },
        { "a = 1\nb = \x01\n", 2, 5, "control character" },
        { "a = 1 \xc3\xa9\n", 1, 7, "non-ASCII" },
        { "a = 1 @ 2\n", 1, 7, "'@'" },
        { "a = 1\n\0b = 2\n", 2, 1, "NUL" },
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t len = strlen(cases[i].text);

        if (i == sizeof(cases) / sizeof(cases[0]) - 1)
            len = 13;  /* the one with a NUL in it */
        xlcfg_dispose(&cfg);
        ck_assert_int_eq(xlcfg_parse_buffer(&cfg, "t.cfg", cases[i].text,
                                            len), 0);
        ck_assert_msg(cfg.nerrors >= 1, "case %zu accepted", i);
        assert_diag_at(0, cases[i].line, cases[i].column);
        ck_assert_msg(strstr(cfg.diags[0].msg, cases[i].words),
                      "case %zu: '%s' lacks '%s'", i, cfg.diags[0].msg,
                      cases[i].words);
    }
    /* A DOS file gets one report, not one per line. */
    ck_assert_uint_eq(parse("a = 1\r\nb = 2\r\nc = 3\r\n"), 1);
}
END_TEST

START_TEST(syntax_error_messages)
{
    ck_assert_uint_eq(parse("a = yes\n"), 1);
    ck_assert_str_eq(diag(0), "1:5: expected a value (a \"string\", a "
                     "number or a [list]), found 'yes'; text values must "
                     "be quoted, e.g. \"word\"");
    ck_assert_uint_eq(parse("a 1\n"), 1);
    ck_assert_str_eq(diag(0), "1:3: expected '=' or '+=' after the setting "
                     "name, found the number 1");
    ck_assert_uint_eq(parse("= 1\n"), 1);
    ck_assert_str_eq(diag(0), "1:1: expected a setting name at the start of "
                     "a statement, found '='; the setting name is missing");
    ck_assert_uint_eq(parse("a = \"x\" \"y\"\n"), 1);
    ck_assert_str_eq(diag(0), "1:9: expected the end of the line or ';' "
                     "after the value, found the string \"y\"; strings are "
                     "not joined: write them as one string");
    ck_assert_uint_eq(parse("a = [\"x\" \"y\"]\n"), 1);
    ck_assert_str_eq(diag(0), "1:10: expected ',' or ']' in the list, found "
                     "the string \"y\"; list items are separated by commas");
    ck_assert_uint_eq(parse("a = [1,\n"), 1);
    ck_assert_str_eq(diag(0), "2:1: expected a list item or ']', found the "
                     "end of the file");
}
END_TEST

START_TEST(files)
{
    char path[4096];

    xlcfg_dispose(&cfg);
    ck_assert_int_eq(xlcfg_parse_file(&cfg, "/nonexistent/x.cfg"), 0);
    ck_assert_uint_eq(cfg.nerrors, 1);
    ck_assert_int_eq(cfg.diags[0].loc.line, 0);
    ck_assert_ptr_nonnull(strstr(cfg.diags[0].msg, "cannot open"));
    xlcfg_dispose(&cfg);
    snprintf(path, sizeof(path), "%s/tests/cfg/pass-basic.cfg",
             tu_srcdir());
    ck_assert_int_eq(xlcfg_parse_file(&cfg, path), 0);
    ck_assert_uint_eq(cfg.nerrors, 0);
    ck_assert_str_eq(cfg.filename, path);
    ck_assert_uint_gt(cfg.nsettings, 3);
    /* A directory is not a config. */
    xlcfg_dispose(&cfg);
    ck_assert_int_eq(xlcfg_parse_file(&cfg, tu_srcdir()), 0);
    ck_assert_uint_eq(cfg.nerrors, 1);
}
END_TEST

/* Writing a config and reading it back gives the same values, for every
 * valid test config. */
static void roundtrip(const char *name, const char *buf, size_t len)
{
    struct xlcfg a, b;
    char *out = NULL;
    size_t outlen = 0;
    FILE *f;

    xlcfg_init(&a);
    xlcfg_init(&b);
    ck_assert_int_eq(xlcfg_parse_buffer(&a, name, buf, len), 0);
    if (!xlcfg_ok(&a))
        goto out;
    f = open_memstream(&out, &outlen);
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(xlcfg_write(&a, f), 0);
    fclose(f);
    ck_assert_int_eq(xlcfg_parse_buffer(&b, "out", out, outlen), 0);
    ck_assert_msg(xlcfg_ok(&b), "%s: the written config does not parse:\n%s",
                  name, out);
    for (size_t i = 0; i < a.nsettings; i++) {
        const struct xlcfg_setting *sa = xlcfg_find(&a, a.settings[i].name);
        const struct xlcfg_setting *sb = xlcfg_find(&b, a.settings[i].name);

        ck_assert_ptr_nonnull(sb);
        ck_assert_msg(xlcfg_value_equal(sa->value, sb->value),
                      "%s: %s changed", name, sa->name);
        if (sa->value->type != XLCFG_LIST)
            ck_assert_int_eq(sa->op, sb->op);
    }
    /* Nothing more, nothing less. */
    for (size_t i = 0; i < b.nsettings; i++)
        ck_assert_ptr_nonnull(xlcfg_find(&a, b.settings[i].name));
out:
    free(out);
    xlcfg_dispose(&a);
    xlcfg_dispose(&b);
}

START_TEST(write_roundtrip)
{
    char dir[4096], **paths;
    size_t n, valid = 0;
    static const char tricky[] =
        "a = \"both ' and \\\" quotes\\n\\ttab\"\n"
        "b = 'only \" double'\n"
        "c = [ [], [[1]], \"\\\\\" ]\n"
        "d = 1\nd += 2\n"
        "e = \"\\a\\b\\f\\r\\v\x01\"\n";

    roundtrip("tricky", tricky, sizeof(tricky) - 1);
    snprintf(dir, sizeof(dir), "%s/tests/cfg", tu_srcdir());
    n = tu_list_cfgs(dir, &paths);
    for (size_t i = 0; i < n; i++) {
        size_t len;
        char *buf = tu_read_file(paths[i], &len);

        ck_assert_ptr_nonnull(buf);
        roundtrip(paths[i], buf, len);
        valid += strstr(paths[i], "/pass-") != NULL;
        free(buf);
    }
    tu_free_list(paths, n);
    ck_assert_uint_ge(valid, 10);
}
END_TEST

START_TEST(write_format)
{
    char *out = NULL;
    size_t outlen = 0;
    FILE *f;

    ck_assert_uint_eq(parse("b = 2\na = [\"x\"]\nb = 3\nd = ['p', 'q']\n"
                            "s = 'x'\ns += \"y\"\nn = [[1]]\n"
                            "l = [ \"0123456789012345678901234567890123456789\","
                            " \"0123456789012345678901234567890123456789\" ]\n"),
                      0);
    f = open_memstream(&out, &outlen);
    ck_assert_int_eq(xlcfg_write(&cfg, f), 0);
    fclose(f);
    ck_assert_str_eq(out, "b = 3\na = [ \"x\" ]\nd = [ \"p\", \"q\" ]\n"
                     "s += \"xy\"\nn = [ [ 1 ] ]\nl = [\n"
                     "    \"0123456789012345678901234567890123456789\",\n"
                     "    \"0123456789012345678901234567890123456789\",\n]\n");
    free(out);
}
END_TEST

/* Hostile input: deep nesting, long lists, long lines, odd bytes.  No
 * crash, no leak (the -san build checks), a clear error. */
START_TEST(hostile_input)
{
    size_t n = 200000;
    char *buf = malloc(n * 2 + 16);
    size_t len;
    const struct xlcfg_value *v;

    ck_assert_ptr_nonnull(buf);
    /* Nesting beyond bison's stack. */
    len = (size_t)sprintf(buf, "a = ");
    memset(buf + len, '[', 50000);
    len += 50000;
    xlcfg_dispose(&cfg);
    ck_assert_int_eq(xlcfg_parse_buffer(&cfg, "deep", buf, len), 0);
    ck_assert_uint_ge(cfg.nerrors, 1);
    ck_assert_ptr_nonnull(strstr(cfg.diags[0].msg, "nested too deeply"));
    /* Nesting that fits is fine. */
    len = (size_t)sprintf(buf, "a = ");
    memset(buf + len, '[', 1000);
    memset(buf + len + 1000, ']', 1000);
    len += 2000;
    xlcfg_dispose(&cfg);
    ck_assert_int_eq(xlcfg_parse_buffer(&cfg, "deep", buf, len), 0);
    ck_assert_uint_eq(cfg.nerrors, 0);
    /* A list of 100000 items. */
    len = (size_t)sprintf(buf, "a = [");
    for (size_t i = 0; i < n / 2; i++) {
        buf[len++] = '1';
        buf[len++] = ',';
    }
    buf[len++] = ']';
    xlcfg_dispose(&cfg);
    ck_assert_int_eq(xlcfg_parse_buffer(&cfg, "long", buf, len), 0);
    ck_assert_uint_eq(cfg.nerrors, 0);
    ck_assert_int_eq(xlcfg_get_list(&cfg, "a", &v), 0);
    ck_assert_uint_eq(v->nitems, n / 2);
    /* One long string. */
    buf[0] = 'a';
    buf[1] = '=';
    buf[2] = '"';
    memset(buf + 3, 'x', n);
    buf[n + 3] = '"';
    xlcfg_dispose(&cfg);
    ck_assert_int_eq(xlcfg_parse_buffer(&cfg, "str", buf, n + 4), 0);
    ck_assert_uint_eq(cfg.nerrors, 0);
    ck_assert_uint_eq(strlen(str("a")), n);
    /* Every byte value, many errors, one report per word. */
    for (size_t i = 0; i < 256 * 4; i++)
        buf[i] = (char)(i % 256);
    xlcfg_dispose(&cfg);
    ck_assert_int_eq(xlcfg_parse_buffer(&cfg, "bytes", buf, 1024), 0);
    ck_assert_uint_ge(cfg.nerrors, 1);
    free(buf);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("syntax");
    TCase *tc = tcase_create("cfgparse");
    SRunner *sr;
    int failed;

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, settings_and_types);
    tcase_add_test(tc, separators_and_comments);
    tcase_add_test(tc, last_line_without_newline);
    tcase_add_test(tc, strings_and_escapes);
    tcase_add_test(tc, numbers);
    tcase_add_test(tc, lists);
    tcase_add_test(tc, duplicates_and_append);
    tcase_add_test(tc, all_errors_in_one_run);
    tcase_add_test(tc, lexical_errors);
    tcase_add_test(tc, syntax_error_messages);
    tcase_add_test(tc, files);
    tcase_add_test(tc, write_roundtrip);
    tcase_add_test(tc, write_format);
    tcase_add_test(tc, hostile_input);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
