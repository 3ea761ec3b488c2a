/*
 * check_xendomains.c - unit tests of the xendomains settings reader
 * (daemon/xendomains.c): upstream's and Debian's files as they ship,
 * the shell quoting the reader takes, the lines it refuses (and that it
 * never runs anything), and the values of each setting.
 */
#define _GNU_SOURCE

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xendomains.h"

static struct xld_xd xd;

static void setup(void)
{
    ck_assert_int_eq(xld_xd_init(&xd), 0);
}

static void teardown(void)
{
    xld_xd_dispose(&xd);
}

static void parse(const char *text)
{
    ck_assert_int_eq(xld_xd_parse_buffer(&xd, text, strlen(text)), 0);
}

/* Whether a diagnostic of that line contains the words. */
static bool has_diag(unsigned line, const char *words)
{
    for (size_t i = 0; i < xd.ndiags; i++)
        if (xd.diags[i].line == line && strstr(xd.diags[i].msg, words))
            return true;
    return false;
}

START_TEST(defaults)
{
    ck_assert_str_eq(xd.save, "/var/lib/xen/save");
    ck_assert(xd.restore);
    ck_assert_str_eq(xd.auto_dir, "/etc/xen/auto");
    ck_assert_str_eq(xd.migrate, "");
    ck_assert_str_eq(xd.shutdown, "--wait");
    ck_assert_str_eq(xd.shutdown_all, "--all --wait");
    ck_assert_str_eq(xd.sysrq, "");
    ck_assert_uint_eq(xd.usleep, 100000);
    ck_assert_uint_eq(xd.create_usleep, 0);
    ck_assert(!xd.auto_only);
    ck_assert_uint_eq(xd.stop_maxwait, 300);
    ck_assert_uint_eq(xd.parallel, XLD_XD_PARALLEL);
    ck_assert(!xd.stop_destroy);
    ck_assert_uint_eq(xd.ndiags, 0);
}
END_TEST

/* Debian bookworm's /etc/default/xendomains, its comments shortened. */
START_TEST(debian_file)
{
    parse("\n# Set this to a non-empty string if you want to migrate\n"
          "# virtual machines on shutdown.\n"
          "#\nXENDOMAINS_MIGRATE=\"\"\n\n"
          "# Directory to save running domains to. \n"
          "XENDOMAINS_SAVE=/var/lib/xen/save\n\n"
          "XENDOMAINS_RESTORE=true\n\n"
          "XENDOMAINS_AUTO=/etc/xen/auto\n\n"
          "XENDOMAINS_STOP_MAXWAIT=300\n\n");
    ck_assert_uint_eq(xd.ndiags, 0);
    ck_assert_str_eq(xd.migrate, "");
    ck_assert_str_eq(xd.save, "/var/lib/xen/save");
    ck_assert(xd.restore);
    ck_assert_uint_eq(xd.stop_maxwait, 300);
}
END_TEST

/* Upstream's sysconfig.xendomains keys, with values changed. */
START_TEST(upstream_keys)
{
    parse("XENDOMAINS_SYSRQ=\"s e\"\n"
          "XENDOMAINS_USLEEP=200000\n"
          "XENDOMAINS_CREATE_USLEEP=5000000\n"
          "XENDOMAINS_MIGRATE=\"192.0.2.7 --live\"\n"
          "XENDOMAINS_SAVE=\n"
          "XENDOMAINS_SHUTDOWN=\"--wait -F\"\n"
          "XENDOMAINS_SHUTDOWN_ALL=\n"
          "XENDOMAINS_RESTORE=false\n"
          "XENDOMAINS_AUTO=/srv/xen/auto\n"
          "XENDOMAINS_AUTO_ONLY=true\n"
          "XENDOMAINS_STOP_MAXWAIT=0\n"
          "XENDOMAINS_PARALLEL=32\n"
          "XENDOMAINS_STOP_DESTROY=yes\n");
    ck_assert_uint_eq(xd.ndiags, 0);
    ck_assert_str_eq(xd.sysrq, "s e");
    ck_assert_uint_eq(xd.usleep, 200000);
    ck_assert_uint_eq(xd.create_usleep, 5000000);
    ck_assert_str_eq(xd.migrate, "192.0.2.7 --live");
    ck_assert_str_eq(xd.save, "");
    ck_assert_str_eq(xd.shutdown, "--wait -F");
    ck_assert_str_eq(xd.shutdown_all, "");
    ck_assert(!xd.restore);
    ck_assert_str_eq(xd.auto_dir, "/srv/xen/auto");
    ck_assert(xd.auto_only);
    ck_assert_uint_eq(xd.stop_maxwait, 0);
    ck_assert_uint_eq(xd.parallel, 32);
    ck_assert(xd.stop_destroy);
}
END_TEST

START_TEST(quoting)
{
    parse("export XENDOMAINS_SAVE='/srv/save dir'\n"
          "XENDOMAINS_AUTO=/a'b c'\"d\\\"e\"\\ f\n"
          "  XENDOMAINS_MIGRATE=\"a \\$b \\\\ c\" ; # trailing\n"
          "XENDOMAINS_SYSRQ=s\\\n"
          "e\n"
          "XENDOMAINS_SHUTDOWN=--wait\r\n"
          "XENDOMAINS_SHUTDOWN_ALL=a=b#c\n");
    ck_assert_uint_eq(xd.ndiags, 0);
    ck_assert_str_eq(xd.save, "/srv/save dir");
    ck_assert_str_eq(xd.auto_dir, "/ab cd\"e f");
    ck_assert_str_eq(xd.migrate, "a $b \\ c");
    ck_assert_str_eq(xd.sysrq, "se");
    ck_assert_str_eq(xd.shutdown, "--wait");
    ck_assert_str_eq(xd.shutdown_all, "a=b#c");
}
END_TEST

/* Lines that need a shell are refused with their line, the setting
 * keeps its value, and the rest of the file still counts. */
START_TEST(refused)
{
    parse("XENDOMAINS_SAVE=$HOME/save\n"                       /* 1 */
          "XENDOMAINS_AUTO=\"$(touch /tmp/x)\"\n"              /* 2 */
          "XENDOMAINS_MIGRATE=`id`\n"                          /* 3 */
          "rm -rf /\n"                                         /* 4 */
          "XENDOMAINS_SYSRQ=a b\n"                             /* 5 */
          "XENDOMAINS_SHUTDOWN='open\n"                        /* 6 */
          "XENDOMAINS_USLEEP=1|true\n"                         /* 7 */
          "if true; then\n"                                    /* 8 */
          "XENDOMAINS_STOP_MAXWAIT=42\n");                     /* 9 */
    ck_assert(has_diag(1, "expansions"));
    ck_assert(has_diag(2, "expansions"));
    ck_assert(has_diag(3, "expansions"));
    ck_assert(has_diag(4, "not an assignment"));
    ck_assert(has_diag(5, "something follows the value"));
    ck_assert(has_diag(6, "single quote is not closed"));
    ck_assert(has_diag(7, "shell operator"));
    ck_assert(has_diag(8, "not an assignment"));
    ck_assert_uint_eq(xd.nerrors, 8);
    ck_assert_str_eq(xd.save, "/var/lib/xen/save");
    ck_assert_str_eq(xd.auto_dir, "/etc/xen/auto");
    ck_assert_str_eq(xd.migrate, "");
    ck_assert_str_eq(xd.sysrq, "");
    ck_assert_uint_eq(xd.stop_maxwait, 42);
}
END_TEST

START_TEST(bad_values)
{
    parse("XENDOMAINS_RESTORE=maybe\n"
          "XENDOMAINS_STOP_MAXWAIT=-1\n"
          "XENDOMAINS_PARALLEL=0\n"
          "XENDOMAINS_USLEEP=1e6\n"
          "XENDOMAINS_TYPO=1\n"
          "OTHER=ignored\n"
          "XENDOMAINS_CREATE_USLEEP=\n");
    ck_assert(has_diag(1, "neither true nor false"));
    ck_assert(has_diag(2, "whole number"));
    ck_assert(has_diag(3, "whole number from 1"));
    ck_assert(has_diag(4, "microseconds"));
    ck_assert(has_diag(5, "unknown setting"));
    ck_assert_uint_eq(xd.ndiags, 5);
    ck_assert_uint_eq(xd.nerrors, 0);
    ck_assert(xd.restore);
    ck_assert_uint_eq(xd.stop_maxwait, 300);
    ck_assert_uint_eq(xd.parallel, XLD_XD_PARALLEL);
    ck_assert_uint_eq(xd.usleep, 100000);
    ck_assert_uint_eq(xd.create_usleep, 0);
}
END_TEST

START_TEST(binary_and_empty)
{
    static const char bin[] = "XENDOMAINS_SAVE=/a\n\0XENDOMAINS_SAVE=/b\n";

    parse("");
    ck_assert_uint_eq(xd.ndiags, 0);
    parse("\n\n   \n# only comments\n");
    ck_assert_uint_eq(xd.ndiags, 0);
    ck_assert_int_eq(xld_xd_parse_buffer(&xd, bin, sizeof(bin) - 1), 0);
    ck_assert(has_diag(2, "NUL byte"));
    ck_assert_str_eq(xd.save, "/a");
    /* No newline at the end. */
    parse("XENDOMAINS_SAVE=/c");
    ck_assert_str_eq(xd.save, "/c");
}
END_TEST

START_TEST(files)
{
    char path[] = "/tmp/check_xendomains.XXXXXX";
    int fd = mkstemp(path);
    static const char text[] = "XENDOMAINS_SAVE=/from/file\n";

    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, text, sizeof(text) - 1),
                     (ssize_t)sizeof(text) - 1);
    close(fd);
    ck_assert_int_eq(xld_xd_parse_file(&xd, path), 0);
    ck_assert_str_eq(xd.save, "/from/file");
    unlink(path);
    ck_assert_int_eq(xld_xd_parse_file(&xd, path), ENOENT);
    ck_assert_str_eq(xd.save, "/from/file");
}
END_TEST

START_TEST(shutdown_flags)
{
    bool wait, force;
    char bad[32];

    xld_xd_shutdown_flags("--wait", &wait, &force, bad, sizeof(bad));
    ck_assert(wait && !force && !bad[0]);
    xld_xd_shutdown_flags(" -a  -w -F ", &wait, &force, bad, sizeof(bad));
    ck_assert(wait && force && !bad[0]);
    xld_xd_shutdown_flags("", &wait, &force, bad, sizeof(bad));
    ck_assert(!wait && !force && !bad[0]);
    xld_xd_shutdown_flags("--all --halt", &wait, &force, bad, sizeof(bad));
    ck_assert(!wait && !force);
    ck_assert_str_eq(bad, "--halt");
}
END_TEST

/* XENDOMAINS_MIGRATE: xl migrate's options and the host, split as sh
 * splits a command line. */
START_TEST(migrate_args)
{
    struct xld_xd_migrate m;
    char err[200];

    xld_xd_migrate_init(&m);
    ck_assert_int_eq(xld_xd_migrate_parse("host2 --live", &m, err,
                                          sizeof(err)), 0);
    ck_assert_str_eq(m.host, "host2");
    ck_assert_ptr_null(m.ssh);
    ck_assert(!m.paused && !m.no_wait && !m.debug);
    ck_assert_int_eq(xld_xd_migrate_parse("-s '' 'XLD_SOCKET=/x xlctl "
                                          "migrate-receive' -p -e --debug",
                                          &m, err, sizeof(err)), 0);
    ck_assert_str_eq(m.ssh, "");
    ck_assert_str_eq(m.host, "XLD_SOCKET=/x xlctl migrate-receive");
    ck_assert(m.paused && m.no_wait && m.debug);
    ck_assert_int_eq(xld_xd_migrate_parse("-s\"ssh -p 22\" -C/etc/x.cfg h\\ 2",
                                          &m, err, sizeof(err)), 0);
    ck_assert_str_eq(m.ssh, "ssh -p 22");
    ck_assert_str_eq(m.config, "/etc/x.cfg");
    ck_assert_str_eq(m.host, "h 2");
    ck_assert_int_eq(xld_xd_migrate_parse("-D h2", &m, err, sizeof(err)),
                     EINVAL);
    ck_assert(strstr(err, "-D"));
    ck_assert_int_eq(xld_xd_migrate_parse("h1 h2", &m, err, sizeof(err)),
                     EINVAL);
    ck_assert_int_eq(xld_xd_migrate_parse("--live", &m, err, sizeof(err)),
                     EINVAL);
    ck_assert(strstr(err, "no host"));
    ck_assert_int_eq(xld_xd_migrate_parse("-s 'ssh h2", &m, err,
                                          sizeof(err)), EINVAL);
    ck_assert_int_eq(xld_xd_migrate_parse("h2 -s", &m, err, sizeof(err)),
                     EINVAL);
    xld_xd_migrate_dispose(&m);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("xendomains");
    TCase *tc = tcase_create("settings");
    SRunner *sr;
    int failed;

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, defaults);
    tcase_add_test(tc, debian_file);
    tcase_add_test(tc, upstream_keys);
    tcase_add_test(tc, quoting);
    tcase_add_test(tc, refused);
    tcase_add_test(tc, bad_values);
    tcase_add_test(tc, binary_and_empty);
    tcase_add_test(tc, files);
    tcase_add_test(tc, shutdown_flags);
    tcase_add_test(tc, migrate_args);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_ENV);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
