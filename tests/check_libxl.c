/*
 * check_libxl.c - unit tests of the libxl backend (daemon/backend_
 * libxl.c) that need no hypervisor: the table from libxl's errors to
 * errno values, the translation of libxl's events, the userdata id,
 * libxl's fds and timeouts on xld's loop (each timeout fires exactly
 * once, "now" means now, an fd watched for nothing reports nothing),
 * and open() failing with a reason on a host without Xen.
 *
 * Running the backend against a real Xen is the job of the QEMU test
 * (see /work/shared/xen-in-qemu and tests/e2e).
 */
#define _GNU_SOURCE

#include <check.h>
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include <libxl.h>

#include "backend.h"
#include "backend_libxl_int.h"
#include "log.h"
#include "loop.h"

/* ---- errors ------------------------------------------------------------- */

START_TEST(error_table)
{
    /* Every code this libxl names has its own line in the table. */
    for (int rc = -1; rc > -200; rc--) {
        if (!libxl_error_to_string((libxl_error)rc))
            continue;
        ck_assert_msg(xld_lx_errno_known(rc), "libxl error %d (%s) is "
                      "missing from the table", rc,
                      libxl_error_to_string((libxl_error)rc));
        ck_assert_int_lt(xld_lx_errno(rc), 0);
    }
    ck_assert_int_eq(xld_lx_errno(0), 0);
    ck_assert_int_eq(xld_lx_errno(ERROR_NOPARAVIRT), -EOPNOTSUPP);
    ck_assert_int_eq(xld_lx_errno(ERROR_DOMAIN_NOTFOUND), -ENOENT);
    ck_assert_int_eq(xld_lx_errno(ERROR_NOMEM), -ENOMEM);
    ck_assert_int_eq(xld_lx_errno(ERROR_INVAL), -EINVAL);
    ck_assert_int_eq(xld_lx_errno(ERROR_ABORTED), -ECANCELED);
    ck_assert_int_eq(xld_lx_errno(ERROR_FAIL), -EIO);
    ck_assert_int_eq(xld_lx_errno(ERROR_LOCK_FAIL), -EBUSY);
    ck_assert_int_eq(xld_lx_errno(ERROR_DEVICE_EXISTS), -EEXIST);
    ck_assert_int_eq(xld_lx_errno(ERROR_JSON_CONFIG_EMPTY), -ENOENT);
    /* What our own hooks gave libxl comes back as it was. */
    ck_assert_int_eq(xld_lx_errno(ENOMEM), -ENOMEM);
    /* A code newer than the table is still a failure. */
    ck_assert_int_eq(xld_lx_errno(-999), -EIO);
}
END_TEST

/* ---- events ---------------------------------------------------------- */

START_TEST(event_translation)
{
    static const libxl_shutdown_reason reasons[] = {
        LIBXL_SHUTDOWN_REASON_POWEROFF, LIBXL_SHUTDOWN_REASON_REBOOT,
        LIBXL_SHUTDOWN_REASON_SUSPEND, LIBXL_SHUTDOWN_REASON_CRASH,
        LIBXL_SHUTDOWN_REASON_WATCHDOG, LIBXL_SHUTDOWN_REASON_SOFT_RESET,
    };
    struct xld_backend_event out;
    libxl_event ev;

    for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++) {
        libxl_event_init(&ev);
        libxl_event_init_type(&ev, LIBXL_EVENT_TYPE_DOMAIN_SHUTDOWN);
        ev.domid = 7;
        ev.u.domain_shutdown.shutdown_reason = (uint8_t)reasons[i];
        ck_assert(xld_lx_translate_event(&ev, &out));
        ck_assert_int_eq(out.type, XLD_BE_DOMAIN_SHUTDOWN);
        ck_assert_uint_eq(out.domid, 7);
        ck_assert_int_eq(out.reason, reasons[i]);
        libxl_event_dispose(&ev);
    }

    /* A reason this libxl does not name (Xen's own 255 included). */
    libxl_event_init(&ev);
    libxl_event_init_type(&ev, LIBXL_EVENT_TYPE_DOMAIN_SHUTDOWN);
    ev.domid = 9;
    ev.u.domain_shutdown.shutdown_reason = 255;
    ck_assert(xld_lx_translate_event(&ev, &out));
    ck_assert_int_eq(out.reason, LIBXL_SHUTDOWN_REASON_UNKNOWN);
    libxl_event_dispose(&ev);

    libxl_event_init(&ev);
    libxl_event_init_type(&ev, LIBXL_EVENT_TYPE_DOMAIN_DEATH);
    ev.domid = 12;
    ck_assert(xld_lx_translate_event(&ev, &out));
    ck_assert_int_eq(out.type, XLD_BE_DOMAIN_DEATH);
    ck_assert_uint_eq(out.domid, 12);
    libxl_event_dispose(&ev);

    /* Events xld has no use for. */
    libxl_event_init(&ev);
    libxl_event_init_type(&ev, LIBXL_EVENT_TYPE_OPERATION_COMPLETE);
    ck_assert(!xld_lx_translate_event(&ev, &out));
    libxl_event_dispose(&ev);
    libxl_event_init(&ev);
    libxl_event_init_type(&ev, LIBXL_EVENT_TYPE_DISK_EJECT);
    ck_assert(!xld_lx_translate_event(&ev, &out));
    libxl_event_dispose(&ev);
    libxl_event_init(&ev);
    libxl_event_init_type(&ev,
                          LIBXL_EVENT_TYPE_DOMAIN_CREATE_CONSOLE_AVAILABLE);
    ck_assert(!xld_lx_translate_event(&ev, &out));
    libxl_event_dispose(&ev);
}
END_TEST

/* ---- userdata id and log levels -------------------------------------------- */

START_TEST(userdata_id)
{
    ck_assert(xld_lx_userdata_id_ok(XLD_LX_USERDATA_ID));
    /* Never xl's: xl and xld must not overwrite each other. */
    ck_assert_str_ne(XLD_LX_USERDATA_ID, "xl");
    ck_assert(!xld_lx_userdata_id_ok("xl"));
    ck_assert(!xld_lx_userdata_id_ok("libxl-json"));
    ck_assert(!xld_lx_userdata_id_ok("libvirt-xml"));
    ck_assert(!xld_lx_userdata_id_ok("domain-userdata-lock"));
    ck_assert(!xld_lx_userdata_id_ok(""));
    ck_assert(!xld_lx_userdata_id_ok(NULL));
    ck_assert(!xld_lx_userdata_id_ok("a/b"));
    ck_assert(!xld_lx_userdata_id_ok("a.b"));
    ck_assert(!xld_lx_userdata_id_ok("a b"));
    ck_assert(!xld_lx_userdata_id_ok("caf\xc3\xa9"));
}
END_TEST

START_TEST(log_levels)
{
    ck_assert_int_eq(xld_lx_log_level(XTL_CRITICAL), XLD_LOG_ERR);
    ck_assert_int_eq(xld_lx_log_level(XTL_ERROR), XLD_LOG_ERR);
    ck_assert_int_eq(xld_lx_log_level(XTL_WARN), XLD_LOG_WARNING);
    ck_assert_int_eq(xld_lx_log_level(XTL_NOTICE), XLD_LOG_NOTICE);
    ck_assert_int_eq(xld_lx_log_level(XTL_INFO), XLD_LOG_INFO);
    ck_assert_int_eq(xld_lx_log_level(XTL_PROGRESS), XLD_LOG_DEBUG);
    ck_assert_int_eq(xld_lx_log_level(XTL_DEBUG), XLD_LOG_DEBUG);
}
END_TEST

/* ---- timeouts and fds on the loop ---------------------------------------- */

START_TEST(timeout_arithmetic)
{
    struct timeval now = { 1000, 500000 }, abs;

    abs = (struct timeval){ 0, 0 };
    ck_assert_uint_eq(xld_lx_timeout_ms(abs, now), 0);
    abs = (struct timeval){ 999, 0 };
    ck_assert_uint_eq(xld_lx_timeout_ms(abs, now), 0);
    abs = now;
    ck_assert_uint_eq(xld_lx_timeout_ms(abs, now), 0);
    abs = (struct timeval){ 1000, 501500 };
    ck_assert_uint_eq(xld_lx_timeout_ms(abs, now), 2);   /* never early */
    abs = (struct timeval){ 1001, 500000 };
    ck_assert_uint_eq(xld_lx_timeout_ms(abs, now), 1000);
    abs = (struct timeval){ 1002, 0 };
    ck_assert_uint_eq(xld_lx_timeout_ms(abs, now), 1500);
}
END_TEST

/* What the osev told "libxl". */
struct rec {
    struct xld_lx_osev os;
    struct xld_loop *loop;
    int fired[8];             /* per timeout tag */
    uint64_t fired_at[8];
    int left_at_fire;         /* registrations when the last one fired */
    int fd_calls[8];          /* per fd tag */
    short fd_revents[8];
    void *fd_reg[8];          /* to modify from inside */
    bool modify_to_zero;
};

static int tags[8] = { 0, 1, 2, 3, 4, 5, 6, 7 };

static void rec_timeout(void *opaque, void *for_libxl)
{
    struct rec *r = opaque;
    int tag = *(int *)for_libxl;

    r->fired[tag]++;
    r->fired_at[tag] = xld_loop_now(r->loop);
    r->left_at_fire = (int)r->os.ntimeouts;
}

static void rec_fd(void *opaque, void *for_libxl, int fd, short events,
                   short revents)
{
    struct rec *r = opaque;
    int tag = *(int *)for_libxl;
    char buf[16];

    (void)events;
    r->fd_calls[tag]++;
    r->fd_revents[tag] = revents;
    if (r->modify_to_zero) {
        /* As libxl does when it has what it wanted: the data stays
         * unread, and the fd must not be reported again. */
        ck_assert_int_eq(xld_lx_osevent_hooks.fd_modify(&r->os, fd,
                                                        &r->fd_reg[tag], 0),
                         0);
    } else if (read(fd, buf, sizeof(buf)) < 0) {
        ck_abort_msg("read: %s", strerror(errno));
    }
}

static void stop_loop(void *opaque)
{
    xld_loop_stop(opaque);
}

static struct timeval in_ms(int ms)
{
    struct timeval now, d = { ms / 1000, (ms % 1000) * 1000 }, out;

    gettimeofday(&now, NULL);
    timeradd(&now, &d, &out);
    return out;
}

static void count_calls(void *opaque, int fd, short revents)
{
    (void)fd;
    (void)revents;
    (*(int *)opaque)++;
}

/* A watch paused (no events) on an fd whose peer is gone: poll would
 * report the hangup whatever the events; the loop must not call it, nor
 * spin, until it asks for something again. */
START_TEST(paused_watch_on_a_hangup)
{
    struct xld_loop *loop;
    struct xld_watch *w;
    int p[2], calls = 0;

    ck_assert_int_eq(pipe(p), 0);
    ck_assert_int_eq(close(p[1]), 0);
    ck_assert_int_eq(xld_loop_new(&loop), 0);
    ck_assert_int_eq(xld_loop_watch(loop, p[0], 0, count_calls, &calls, &w),
                     0);
    ck_assert_int_eq(xld_loop_timer(loop, 100, stop_loop, loop, NULL), 0);
    xld_loop_run(loop);
    ck_assert_int_eq(calls, 0);
    /* Asked for input again: the hangup is told. */
    xld_loop_watch_events(w, POLLIN);
    ck_assert_int_eq(xld_loop_timer(loop, 50, stop_loop, loop, NULL), 0);
    xld_loop_run(loop);
    ck_assert_int_gt(calls, 0);
    xld_loop_unwatch(w);
    xld_loop_free(loop);
    close(p[0]);
}
END_TEST

START_TEST(timeouts_fire_once)
{
    struct rec r;
    void *reg[4] = { NULL };
    uint64_t t0;

    memset(&r, 0, sizeof(r));
    ck_assert_int_eq(xld_loop_new(&r.loop), 0);
    xld_lx_osev_init(&r.os, r.loop, rec_fd, rec_timeout, &r);
    const libxl_osevent_hooks *h = &xld_lx_osevent_hooks;

    t0 = xld_loop_now(r.loop);
    ck_assert_int_eq(h->timeout_register(&r.os, &reg[0], in_ms(30),
                                         &tags[0]), 0);
    /* Far away, then "now" ({0,0}): it fires at once, and only once. */
    ck_assert_int_eq(h->timeout_register(&r.os, &reg[1], in_ms(60000),
                                         &tags[1]), 0);
    ck_assert_int_eq(h->timeout_modify(&r.os, &reg[1],
                                       (struct timeval){ 0, 0 }), 0);
    ck_assert_int_eq(h->timeout_modify(&r.os, &reg[1],
                                       (struct timeval){ 0, 0 }), 0);
    /* Already past when registered. */
    ck_assert_int_eq(h->timeout_register(&r.os, &reg[2], in_ms(-5000),
                                         &tags[2]), 0);
    /* Never due during the test: dispose must free it. */
    ck_assert_int_eq(h->timeout_register(&r.os, &reg[3], in_ms(600000),
                                         &tags[3]), 0);
    ck_assert_uint_eq(r.os.ntimeouts, 4);

    ck_assert_int_eq(xld_loop_timer(r.loop, 300, stop_loop, r.loop, NULL),
                     0);
    ck_assert_int_eq(xld_loop_run(r.loop), 0);

    ck_assert_int_eq(r.fired[0], 1);
    ck_assert_int_eq(r.fired[1], 1);
    ck_assert_int_eq(r.fired[2], 1);
    ck_assert_int_eq(r.fired[3], 0);
    ck_assert_uint_ge(r.fired_at[0] - t0, 29);
    ck_assert_uint_lt(r.fired_at[1] - t0, 100);
    ck_assert_uint_lt(r.fired_at[2] - t0, 100);
    /* Each was forgotten before it fired. */
    ck_assert_int_eq(r.left_at_fire, 1);
    ck_assert_uint_eq(r.os.ntimeouts, 1);

    xld_lx_osev_dispose(&r.os);
    ck_assert_uint_eq(r.os.ntimeouts, 0);
    xld_loop_free(r.loop);
}
END_TEST

START_TEST(fds)
{
    struct rec r;
    int p[2], q[2];
    void *reg_q0 = NULL;
    const libxl_osevent_hooks *h = &xld_lx_osevent_hooks;

    memset(&r, 0, sizeof(r));
    ck_assert_int_eq(pipe(p), 0);
    ck_assert_int_eq(pipe(q), 0);
    ck_assert_int_eq(xld_loop_new(&r.loop), 0);
    xld_lx_osev_init(&r.os, r.loop, rec_fd, rec_timeout, &r);

    /* Readable: reported with POLLIN.  The same fd registered a second
     * time for nothing: never reported. */
    ck_assert_int_eq(h->fd_register(&r.os, p[0], &r.fd_reg[0], POLLIN,
                                    &tags[0]), 0);
    ck_assert_int_eq(h->fd_register(&r.os, p[0], &r.fd_reg[1], 0,
                                    &tags[1]), 0);
    /* Watched for nothing, then for POLLIN. */
    ck_assert_int_eq(h->fd_register(&r.os, q[0], &reg_q0, 0, &tags[2]), 0);
    ck_assert_int_eq(h->fd_modify(&r.os, q[0], &reg_q0, POLLIN), 0);
    ck_assert_uint_eq(r.os.nfds, 3);
    ck_assert_int_eq(write(p[1], "x", 1), 1);
    ck_assert_int_eq(write(q[1], "y", 1), 1);
    ck_assert_int_eq(xld_loop_timer(r.loop, 100, stop_loop, r.loop, NULL),
                     0);
    ck_assert_int_eq(xld_loop_run(r.loop), 0);
    ck_assert_int_eq(r.fd_calls[0], 1);
    ck_assert(r.fd_revents[0] & POLLIN);
    ck_assert_int_eq(r.fd_calls[1], 0);
    ck_assert_int_eq(r.fd_calls[2], 1);

    /* Deregistered: no longer reported. */
    h->fd_deregister(&r.os, q[0], reg_q0);
    ck_assert_uint_eq(r.os.nfds, 2);
    ck_assert_int_eq(write(q[1], "y", 1), 1);

    /* Modified to nothing from inside its own callback, data unread:
     * reported once, not again and again. */
    r.modify_to_zero = true;
    ck_assert_int_eq(write(p[1], "z", 1), 1);
    ck_assert_int_eq(xld_loop_timer(r.loop, 100, stop_loop, r.loop, NULL),
                     0);
    ck_assert_int_eq(xld_loop_run(r.loop), 0);
    ck_assert_int_eq(r.fd_calls[0], 2);
    ck_assert_int_eq(r.fd_calls[2], 1);

    /* A hangup is reported to a registration that asked for POLLIN. */
    r.modify_to_zero = false;
    ck_assert_int_eq(h->fd_modify(&r.os, p[0], &r.fd_reg[0], POLLIN), 0);
    close(p[1]);
    ck_assert_int_eq(xld_loop_timer(r.loop, 50, stop_loop, r.loop, NULL),
                     0);
    ck_assert_int_eq(xld_loop_run(r.loop), 0);
    ck_assert_int_ge(r.fd_calls[0], 3);
    ck_assert(r.fd_revents[0] & (POLLIN | POLLHUP));
    ck_assert_int_eq(r.fd_calls[1], 0);

    xld_lx_osev_dispose(&r.os);
    ck_assert_uint_eq(r.os.nfds, 0);
    xld_loop_free(r.loop);
    close(p[0]);
    close(q[0]);
    close(q[1]);
}
END_TEST

/* ---- open() without Xen ------------------------------------------------ */

static void no_events(void *opaque, const struct xld_backend_event *ev)
{
    (void)opaque;
    (void)ev;
    ck_abort_msg("an event from a backend that did not open");
}

START_TEST(open_without_xen)
{
    const struct xld_backend_ops *ops = NULL;
    struct xld_backend be = { NULL, NULL };
    struct xld_loop *loop;

    ck_assert_int_eq(xld_backend_select("libxl", &ops), 0);
    ck_assert_ptr_eq(ops, &xld_backend_libxl_ops);
    ck_assert_str_eq(ops->name, "libxl");
    ck_assert_ptr_null(ops->inject);
    if (access("/dev/xen/privcmd", F_OK) == 0)
        return;   /* a dom0: this is the QEMU test's business */
    ck_assert_int_eq(xld_loop_new(&loop), 0);
    be.ops = ops;
    ck_assert_int_eq(ops->open(&be, loop, NULL, no_events, NULL), -ENODEV);
    ck_assert_ptr_null(be.priv);
    /* The backend takes no options. */
    ck_assert_int_eq(ops->open(&be, loop, "memory=1", no_events, NULL),
                     -EINVAL);
    xld_loop_free(loop);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("libxl backend");
    TCase *tc = tcase_create("core");
    SRunner *sr;
    int failed;

    xld_log_open(true, XLD_LOG_WARNING);
    tcase_add_test(tc, error_table);
    tcase_add_test(tc, event_translation);
    tcase_add_test(tc, userdata_id);
    tcase_add_test(tc, log_levels);
    tcase_add_test(tc, timeout_arithmetic);
    tcase_add_test(tc, timeouts_fire_once);
    tcase_add_test(tc, paused_watch_on_a_hangup);
    tcase_add_test(tc, fds);
    tcase_add_test(tc, open_without_xen);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_ENV);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    xld_log_close();
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
