/*
 * check_migrate.c - unit tests of the migration handshake's messages and
 * of the transport command (daemon/migrate_msg.c): what each side sends
 * parses back to what was meant, anything else is refused, and the
 * command is the one xl would run.
 */
#define _GNU_SOURCE

#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "migrate.h"

/* A formatted message, parsed back (its '\n' removed). */
static int roundtrip(enum xld_mig_msg type, unsigned flags,
                     const char *text, struct xld_mig_line *m, char **line)
{
    char *s = xld_mig_format(type, flags, text);

    ck_assert_ptr_nonnull(s);
    ck_assert_int_eq(s[strlen(s) - 1], '\n');
    s[strlen(s) - 1] = '\0';
    *line = s;
    return xld_mig_parse(s, m);
}

START_TEST(test_roundtrip)
{
    static const enum xld_mig_msg plain[] = {
        XLD_MIG_M_RECEIVER, XLD_MIG_M_ACCEPT, XLD_MIG_M_READY,
        XLD_MIG_M_GO, XLD_MIG_M_DONE,
    };
    struct xld_mig_line m;
    char *line;

    for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
        ck_assert_int_eq(roundtrip(plain[i], 0, NULL, &m, &line),
                         0);
        ck_assert_int_eq(m.type, plain[i]);
        ck_assert_ptr_null(m.text);
        free(line);
    }
    ck_assert_int_eq(roundtrip(XLD_MIG_M_SENDER, XLD_MIG_F_PAUSED, NULL,
                               &m, &line), 0);
    ck_assert_int_eq(m.type, XLD_MIG_M_SENDER);
    ck_assert_int_eq(m.version, XLD_MIG_VERSION);
    ck_assert_uint_eq(m.flags, XLD_MIG_F_PAUSED);
    free(line);
    ck_assert_int_eq(roundtrip(XLD_MIG_M_SENDER, XLD_MIG_F_PAUSED
                               | XLD_MIG_F_DEBUG | XLD_MIG_F_CHECK, NULL,
                               &m, &line), 0);
    ck_assert_uint_eq(m.flags, XLD_MIG_F_PAUSED | XLD_MIG_F_DEBUG
                      | XLD_MIG_F_CHECK);
    free(line);
    ck_assert_int_eq(roundtrip(XLD_MIG_M_REFUSE, 0,
                               "a domain named 'web' already exists", &m,
                               &line), 0);
    ck_assert_int_eq(m.type, XLD_MIG_M_REFUSE);
    ck_assert_str_eq(m.text, "a domain named 'web' already exists");
    free(line);
}
END_TEST

/* A reason with newlines stays one line; a long one is cut to fit. */
START_TEST(test_reason_one_line)
{
    struct xld_mig_line m;
    char *line, *big = malloc(3 * XLD_MIG_MAX_LINE);

    ck_assert_int_eq(roundtrip(XLD_MIG_M_FAILED, 0,
                               "first\nsecond\r\nthird", &m, &line), 0);
    ck_assert_int_eq(m.type, XLD_MIG_M_FAILED);
    ck_assert_str_eq(m.text, "first second  third");
    free(line);
    ck_assert_ptr_nonnull(big);
    memset(big, 'x', 3 * XLD_MIG_MAX_LINE - 1);
    big[3 * XLD_MIG_MAX_LINE - 1] = '\0';
    ck_assert_int_eq(roundtrip(XLD_MIG_M_REFUSE, 0, big, &m,
                               &line), 0);
    ck_assert_uint_lt(strlen(line), XLD_MIG_MAX_LINE);
    free(line);
    /* No reason is still a refusal. */
    ck_assert_int_eq(xld_mig_parse("refuse", &m), 0);
    ck_assert_int_eq(m.type, XLD_MIG_M_REFUSE);
    ck_assert_str_eq(m.text, "no reason given");
    free(big);
}
END_TEST

START_TEST(test_refused)
{
    static const char *const bad[] = {
        "", "ready now", "xld-migrate-receiver", "xld-migrate-receiver 2",
        "xld-migrate-receiver 1 paused", "xld-migrate-sender 1 fast",
        "xld-migrate-sender 01x", "xl migration receiver ready, send binary "
        "domain data.", "GO", "go ", "donex", "accepted",
    };
    struct xld_mig_line m;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ck_assert_msg(xld_mig_parse(bad[i], &m) == EINVAL, "'%s'", bad[i]);
        ck_assert_int_eq(m.type, XLD_MIG_M_BAD);
    }
}
END_TEST

START_TEST(test_command)
{
    char *cmd;

    ck_assert_int_eq(xld_mig_command("ssh", "host2", false, false, false,
                                     &cmd), 0);
    ck_assert_str_eq(cmd, "exec ssh host2 xlctl migrate-receive");
    free(cmd);
    ck_assert_int_eq(xld_mig_command("ssh -p 2222", "root@h", true, true,
                                     true, &cmd), 0);
    ck_assert_str_eq(cmd, "exec ssh -p 2222 root@h xlctl migrate-receive "
                     "-e -d -p");
    free(cmd);
    /* An empty ssh command: the host is the whole command, as with xl. */
    ck_assert_int_eq(xld_mig_command("", "XLD_SOCKET=/x xlctl "
                                     "migrate-receive", false, false, true,
                                     &cmd), 0);
    ck_assert_str_eq(cmd, "XLD_SOCKET=/x xlctl migrate-receive");
    free(cmd);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("migrate");
    TCase *tc = tcase_create("messages");
    SRunner *sr;
    int failed;

    tcase_add_test(tc, test_roundtrip);
    tcase_add_test(tc, test_reason_one_line);
    tcase_add_test(tc, test_refused);
    tcase_add_test(tc, test_command);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
