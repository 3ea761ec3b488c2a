/*
 * check_sim.c - unit tests of the sim backend (daemon/backend_sim.c),
 * driven directly through its ops and xld's event loop: the domain
 * lifecycle, guest answers and injected faults, memory accounting, save
 * and restore through real image files and pipes, and the state that
 * outlives an xld process.
 */
#define _GNU_SOURCE

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libxl_utils.h>

#include "backend.h"
#include "loop.h"
#include "simcon.h"

struct ev {
    enum xld_backend_event_type type;
    uint32_t domid;
    libxl_shutdown_reason reason;
};

/* What an asynchronous op reported: its done() and its progress (the
 * backend gives both the same opaque). */
struct done {
    int calls;
    int rc;
    int progress_calls;
    uint64_t last;
    uint64_t total;
    bool backwards;
};

static struct xld_loop *loop;
static struct xld_backend be;
static char dir[PATH_MAX / 4];
static struct ev evs[4096];
static int nev;
/* True while the test is inside an op: a callback then is a bug (the
 * backend must defer every callback through the loop). */
static bool in_op;
/* When set, the next event closes the backend from inside its callback. */
static bool close_in_event;

#define ANY_REASON ((libxl_shutdown_reason)-2)

/* Call an op of the backend, recording that we are inside it. */
#define OP(call)                                                            \
    ({                                                                      \
        int r_;                                                             \
        in_op = true;                                                       \
        r_ = (call);                                                        \
        in_op = false;                                                      \
        r_;                                                                 \
    })

static void on_event(void *opaque, const struct xld_backend_event *ev)
{
    (void)opaque;
    ck_assert_msg(!in_op, "event called from inside an op");
    ck_assert_int_lt(nev, (int)(sizeof(evs) / sizeof(evs[0])));
    evs[nev].type = ev->type;
    evs[nev].domid = ev->domid;
    evs[nev].reason = ev->reason;
    nev++;
    if (close_in_event) {
        close_in_event = false;
        be.ops->close(&be);
        be.priv = NULL;
    }
}

static void on_done(void *opaque, int rc)
{
    struct done *d = opaque;

    ck_assert_msg(!in_op, "done called from inside an op");
    d->calls++;
    d->rc = rc;
}

static void on_progress(void *opaque, uint64_t done, uint64_t total)
{
    struct done *p = opaque;

    ck_assert_msg(!in_op, "progress called from inside an op");
    ck_assert_msg(p->calls == 0, "progress after done");
    ck_assert_uint_le(done, total);
    if (done < p->last)
        p->backwards = true;
    p->progress_calls++;
    p->last = done;
    p->total = total;
}

static int count_ev(enum xld_backend_event_type type, uint32_t domid,
                    libxl_shutdown_reason reason)
{
    int n = 0;

    for (int i = 0; i < nev; i++)
        if (evs[i].type == type && evs[i].domid == domid
            && (reason == ANY_REASON || evs[i].reason == reason))
            n++;
    return n;
}

static void stop_cb(void *opaque)
{
    (void)opaque;
    xld_loop_stop(loop);
}

/* Run the loop for ms milliseconds. */
static void run_ms(uint64_t ms)
{
    ck_assert_int_eq(xld_loop_timer(loop, ms, stop_cb, NULL, NULL), 0);
    ck_assert_int_eq(xld_loop_run(loop), 0);
}

/* Run the loop until cond holds, failing after ms milliseconds. */
#define WAIT_FOR(cond, ms)                                                  \
    do {                                                                    \
        uint64_t end_ = xld_loop_now(loop) + (ms);                          \
        while (!(cond) && xld_loop_now(loop) < end_)                        \
            run_ms(2);                                                      \
        ck_assert_msg((cond), "timed out waiting for %s", #cond);          \
    } while (0)

/* ---- fixtures and helpers ------------------------------------------- */

static void open_be(struct xld_backend *b, const char *extra)
{
    char opts[PATH_MAX + 256];

    snprintf(opts, sizeof(opts), "dir=%s%s%s", dir, extra ? "," : "",
             extra ? extra : "");
    b->ops = &xld_backend_sim_ops;
    b->priv = NULL;
    ck_assert_int_eq(OP(b->ops->open(b, loop, opts, on_event, NULL)), 0);
}

static void close_be(void)
{
    be.ops->close(&be);
    be.priv = NULL;
}

/* Open anew on the same directory, as a restarted xld does. */
static void reopen(const char *extra)
{
    close_be();
    open_be(&be, extra);
}

static void setup(void)
{
    const char *tmp = getenv("TMPDIR");

    snprintf(dir, sizeof(dir), "%s/check_sim.XXXXXX",
             tmp && *tmp ? tmp : "/tmp");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    ck_assert_int_eq(xld_loop_new(&loop), 0);
    nev = 0;
    in_op = false;
    close_in_event = false;
    open_be(&be, NULL);
}

static int rm_one(const char *path, const struct stat *sb, int flag,
                  struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void teardown(void)
{
    if (be.priv)
        close_be();
    xld_loop_free(loop);
    loop = NULL;
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* A config as xlconv makes it: name, uuid, memory, vcpus. */
static void mkcfg(libxl_domain_config *dc, const char *name,
                  uint64_t target_mib, uint64_t max_mib, int max_vcpus,
                  int online)
{
    libxl_domain_config_init(dc);
    if (name)
        dc->c_info.name = strdup(name);
    libxl_uuid_generate(&dc->c_info.uuid);
    dc->b_info.target_memkb = target_mib * 1024;
    dc->b_info.max_memkb = max_mib * 1024;
    dc->b_info.max_vcpus = max_vcpus;
    /* libxl_bitmap_alloc() needs a ctx, which we may not have. */
    dc->b_info.avail_vcpus.size = (uint32_t)(max_vcpus + 7) / 8;
    dc->b_info.avail_vcpus.map = calloc(dc->b_info.avail_vcpus.size, 1);
    ck_assert_ptr_nonnull(dc->b_info.avail_vcpus.map);
    for (int i = 0; i < online; i++)
        libxl_bitmap_set(&dc->b_info.avail_vcpus, i);
}

/* Start a create; returns the op's rc. */
static int create_start(const char *name, uint64_t mib, bool paused,
                        uint32_t *domid, struct done *d)
{
    libxl_domain_config dc;
    int rc;

    mkcfg(&dc, name, mib, mib, 2, 2);
    rc = OP(be.ops->create(&be, &dc, paused, domid, on_done, d));
    libxl_domain_config_dispose(&dc);
    return rc;
}

/* Create and wait until it is built. */
static uint32_t create_dom(const char *name, uint64_t mib, bool paused)
{
    struct done d = { 0 };
    uint32_t domid = ~0u;

    ck_assert_int_eq(create_start(name, mib, paused, &domid, &d), 0);
    ck_assert_int_eq(d.calls, 0);
    WAIT_FOR(d.calls == 1, 10000);
    ck_assert_int_eq(d.rc, 0);
    return domid;
}

static void destroy_dom(uint32_t domid)
{
    struct done d = { 0 };

    ck_assert_int_eq(OP(be.ops->destroy(&be, domid, on_done, &d)), 0);
    WAIT_FOR(d.calls == 1, 10000);
    ck_assert_int_eq(d.rc, 0);
}

static void info_of(uint32_t domid, struct xld_dominfo *di)
{
    ck_assert_int_eq(OP(be.ops->info(&be, domid, di)), 0);
}

static uint64_t free_kb(void)
{
    struct xld_host_info hi;

    ck_assert_int_eq(OP(be.ops->host_info(&be, &hi)), 0);
    return hi.free_memkb;
}

static bool is_gone(uint32_t domid)
{
    struct xld_dominfo di;
    int rc = OP(be.ops->info(&be, domid, &di));

    xld_dominfo_dispose(&di);
    return rc == -ENOENT;
}

/* A temporary image file, with the caller's own header already in it,
 * as xld writes it before the backend's stream. */
#define CALLER_HDR "XLDSAVE-CALLER\n"

static int image_file(char *path, size_t size)
{
    int fd;

    snprintf(path, size, "%s/image.XXXXXX", dir);
    fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, CALLER_HDR, strlen(CALLER_HDR)),
                     (ssize_t)strlen(CALLER_HDR));
    return fd;
}

/* Open an image for restore, positioned after the caller's header. */
static int image_open(const char *path)
{
    char hdr[sizeof(CALLER_HDR)];
    int fd = open(path, O_RDONLY);

    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(read(fd, hdr, strlen(CALLER_HDR)),
                     (ssize_t)strlen(CALLER_HDR));
    ck_assert_int_eq(memcmp(hdr, CALLER_HDR, strlen(CALLER_HDR)), 0);
    return fd;
}

/* Save and wait; returns done's rc, with what was reported in *d. */
static int save_sync(uint32_t domid, int fd, bool checkpoint, struct done *d)
{
    memset(d, 0, sizeof(*d));
    ck_assert_int_eq(OP(be.ops->save(&be, domid, fd, checkpoint,
                                     on_progress, on_done, d)),
                     0);
    ck_assert_int_eq(d->calls, 0);
    WAIT_FOR(d->calls == 1, 20000);
    return d->rc;
}

/* Restore from fd with a config of that name and size; returns done's
 * rc and the domid. */
static int restore_sync(const libxl_domain_config *src, int fd, bool paused,
                        uint32_t *domid, struct done *d)
{
    libxl_domain_config dc;

    memset(d, 0, sizeof(*d));
    libxl_domain_config_init(&dc);
    dc.c_info.name = strdup(src->c_info.name);
    dc.c_info.uuid = src->c_info.uuid;
    dc.b_info.target_memkb = src->b_info.target_memkb;
    dc.b_info.max_memkb = src->b_info.max_memkb;
    dc.b_info.max_vcpus = src->b_info.max_vcpus;
    ck_assert_int_eq(OP(be.ops->restore(&be, &dc, fd, paused, domid,
                                        on_progress, on_done, d)),
                     0);
    ck_assert_int_eq(d->calls, 0);
    libxl_domain_config_dispose(&dc);
    WAIT_FOR(d->calls == 1, 20000);
    return d->rc;
}

/* ---- the tests -------------------------------------------------------- */

START_TEST(host_and_dom0)
{
    struct xld_host_info hi;
    struct xld_dominfo *v = NULL;
    int n = 0;

    ck_assert_int_eq(OP(be.ops->host_info(&be, &hi)), 0);
    ck_assert_str_eq(hi.hypervisor, "sim");
    ck_assert_str_eq(hi.xen_version, "4.17");
    ck_assert_int_eq(hi.nr_cpus, 8);
    ck_assert_int_eq(hi.nr_nodes, 1);
    ck_assert_uint_eq(hi.total_memkb, 256ull << 20);
    ck_assert_uint_eq(hi.free_memkb, (256ull - 4) << 20);
    ck_assert_int_eq(OP(be.ops->list(&be, &v, &n)), 0);
    ck_assert_int_eq(n, 1);
    ck_assert_uint_eq(v[0].domid, 0);
    ck_assert_str_eq(v[0].name, "Domain-0");
    ck_assert(v[0].running);
    ck_assert_uint_eq(v[0].current_memkb, 4ull << 20);
    ck_assert_int_eq(v[0].vcpu_online, 8);
    xld_dominfo_dispose(&v[0]);
    free(v);
    /* Domain-0 cannot be changed. */
    ck_assert_int_eq(OP(be.ops->pause(&be, 0)), -EPERM);
    ck_assert_int_eq(OP(be.ops->shutdown(&be, 0)), -EPERM);
    ck_assert_int_eq(OP(be.ops->destroy(&be, 0, on_done, NULL)), -EPERM);
    ck_assert_int_eq(OP(be.ops->rename(&be, 0, "x")), -EPERM);
    ck_assert_int_eq(OP(be.ops->inject(&be, "crash", 0, 1)), -EINVAL);
    /* Options describe the hardware. */
    reopen("memory=16384,cpus=4,nodes=2");
    ck_assert_int_eq(OP(be.ops->host_info(&be, &hi)), 0);
    ck_assert_int_eq(hi.nr_cpus, 4);
    ck_assert_int_eq(hi.nr_nodes, 2);
    ck_assert_uint_eq(hi.total_memkb, 16ull << 20);
    ck_assert_uint_eq(hi.free_memkb, 12ull << 20);
}
END_TEST

START_TEST(bad_options_and_lock)
{
    struct xld_backend b2 = { &xld_backend_sim_ops, NULL };
    char opts[PATH_MAX + 64];

    ck_assert_int_eq(OP(b2.ops->open(&b2, loop, "memory=abc", on_event,
                                     NULL)), -EINVAL);
    ck_assert_int_eq(OP(b2.ops->open(&b2, loop, "bogus=1", on_event, NULL)),
                     -EINVAL);
    ck_assert_int_eq(OP(b2.ops->open(&b2, loop, "cpus", on_event, NULL)),
                     -EINVAL);
    snprintf(opts, sizeof(opts), "dir=%s,memory=1024,dom0-memory=2048",
             dir);
    close_be();
    ck_assert_int_eq(OP(b2.ops->open(&b2, loop, opts, on_event, NULL)),
                     -EINVAL);
    open_be(&be, NULL);
    /* One xld per simulated hypervisor. */
    snprintf(opts, sizeof(opts), "dir=%s", dir);
    ck_assert_int_eq(OP(b2.ops->open(&b2, loop, opts, on_event, NULL)),
                     -EBUSY);
    ck_assert_ptr_null(b2.priv);
}
END_TEST

START_TEST(create_list_destroy)
{
    libxl_domain_config dc;
    struct xld_dominfo di, *v = NULL;
    struct done d = { 0 };
    uint64_t free0 = free_kb(), cpu0;
    uint32_t a, b, c;
    int n = 0;

    mkcfg(&dc, "web1", 512, 512, 4, 2);
    ck_assert_int_eq(OP(be.ops->create(&be, &dc, false, &a, on_done, &d)),
                     0);
    ck_assert_uint_eq(a, 1);
    /* Being built: it exists, paused, and done() has not run. */
    ck_assert_int_eq(d.calls, 0);
    info_of(a, &di);
    ck_assert(di.paused);
    ck_assert(!di.running);
    xld_dominfo_dispose(&di);
    WAIT_FOR(d.calls == 1, 10000);
    ck_assert_int_eq(d.rc, 0);
    info_of(a, &di);
    ck_assert_str_eq(di.name, "web1");
    ck_assert(di.running);
    ck_assert(!di.paused && !di.shutdown && !di.dying);
    ck_assert_int_eq(libxl_uuid_compare(&di.uuid, &dc.c_info.uuid), 0);
    ck_assert_uint_eq(di.current_memkb, 512 * 1024);
    ck_assert_uint_eq(di.max_memkb, 512 * 1024);
    ck_assert_int_eq(di.vcpu_online, 2);
    ck_assert_int_eq(di.vcpu_max, 4);
    xld_dominfo_dispose(&di);
    ck_assert_uint_eq(free_kb(), free0 - 512 * 1024);

    /* libxl refuses a name twice, and a config without a name. */
    ck_assert_int_eq(OP(be.ops->create(&be, &dc, false, &b, on_done, &d)),
                     -EEXIST);
    libxl_domain_config_dispose(&dc);
    mkcfg(&dc, NULL, 512, 512, 1, 1);
    ck_assert_int_eq(OP(be.ops->create(&be, &dc, false, &b, on_done, &d)),
                     -EINVAL);
    libxl_domain_config_dispose(&dc);
    ck_assert_int_eq(d.calls, 1);

    b = create_dom("web2", 256, true);
    ck_assert_uint_eq(b, 2);
    info_of(b, &di);
    ck_assert(di.paused);
    xld_dominfo_dispose(&di);

    ck_assert_int_eq(OP(be.ops->list(&be, &v, &n)), 0);
    ck_assert_int_eq(n, 3);
    ck_assert_uint_eq(v[0].domid, 0);
    ck_assert_str_eq(v[1].name, "web1");
    ck_assert_str_eq(v[2].name, "web2");
    for (int i = 0; i < n; i++)
        xld_dominfo_dispose(&v[i]);
    free(v);
    ck_assert_int_eq(OP(be.ops->info(&be, 99, &di)), -ENOENT);
    xld_dominfo_dispose(&di);
    ck_assert_int_eq(OP(be.ops->info(&be, 0x7FFF, &di)), -ENOENT);
    xld_dominfo_dispose(&di);

    /* Cpu time grows while it runs. */
    info_of(a, &di);
    cpu0 = di.cpu_time_ns;
    xld_dominfo_dispose(&di);
    run_ms(30);
    info_of(a, &di);
    ck_assert_uint_gt(di.cpu_time_ns, cpu0);
    xld_dominfo_dispose(&di);

    /* Destroy: dying, then gone, with a death event. */
    memset(&d, 0, sizeof(d));
    ck_assert_int_eq(OP(be.ops->destroy(&be, a, on_done, &d)), 0);
    info_of(a, &di);
    ck_assert(di.dying);
    xld_dominfo_dispose(&di);
    ck_assert_int_eq(OP(be.ops->destroy(&be, a, on_done, &d)), -EBUSY);
    ck_assert_int_eq(OP(be.ops->pause(&be, a)), -EBUSY);
    WAIT_FOR(d.calls == 1, 10000);
    ck_assert_int_eq(d.rc, 0);
    ck_assert_int_eq(count_ev(XLD_BE_DOMAIN_DEATH, a, ANY_REASON), 1);
    ck_assert(is_gone(a));
    ck_assert_int_eq(OP(be.ops->destroy(&be, a, on_done, &d)), -ENOENT);
    ck_assert_uint_eq(free_kb(), free0 - 256 * 1024);
    /* Domids are not reused. */
    c = create_dom("web3", 128, false);
    ck_assert_uint_eq(c, 3);
}
END_TEST

START_TEST(pause_unpause)
{
    struct xld_dominfo di;
    uint32_t a = create_dom("p", 256, false);
    uint64_t cpu;

    ck_assert_int_eq(OP(be.ops->pause(&be, a)), 0);
    info_of(a, &di);
    ck_assert(di.paused && !di.running);
    cpu = di.cpu_time_ns;
    xld_dominfo_dispose(&di);
    run_ms(30);
    info_of(a, &di);
    ck_assert_uint_eq(di.cpu_time_ns, cpu);
    xld_dominfo_dispose(&di);
    ck_assert_int_eq(OP(be.ops->pause(&be, a)), 0);
    ck_assert_int_eq(OP(be.ops->unpause(&be, a)), 0);
    info_of(a, &di);
    ck_assert(di.running && !di.paused);
    xld_dominfo_dispose(&di);
    ck_assert_int_eq(OP(be.ops->pause(&be, 42)), -ENOENT);
    ck_assert_int_eq(OP(be.ops->unpause(&be, 42)), -ENOENT);
    ck_assert_int_eq(nev, 0);
}
END_TEST

START_TEST(shutdown_with_delay)
{
    struct xld_dominfo di;
    uint32_t a = create_dom("s", 256, false);
    uint64_t t0;

    ck_assert_int_eq(OP(be.ops->inject(&be, "shutdown-delay-ms", a, 300)),
                     0);
    t0 = xld_loop_now(loop);
    ck_assert_int_eq(OP(be.ops->shutdown(&be, a)), 0);
    ck_assert_int_eq(nev, 0);
    /* Asking again, as in Xen, is fine and does not restart the guest's
     * clock: it answers when it would have. */
    ck_assert_int_eq(OP(be.ops->shutdown(&be, a)), 0);
    run_ms(50);
    ck_assert_int_eq(nev, 0);
    info_of(a, &di);
    ck_assert(di.running);
    xld_dominfo_dispose(&di);
    WAIT_FOR(nev == 1, 10000);
    ck_assert_uint_ge(xld_loop_now(loop) - t0, 290);
    ck_assert_int_eq(evs[0].type, XLD_BE_DOMAIN_SHUTDOWN);
    ck_assert_uint_eq(evs[0].domid, a);
    ck_assert_int_eq(evs[0].reason, LIBXL_SHUTDOWN_REASON_POWEROFF);
    /* Shut down, it stays until destroyed, as in Xen. */
    run_ms(50);
    info_of(a, &di);
    ck_assert(di.shutdown && !di.running);
    ck_assert_int_eq(di.shutdown_reason, LIBXL_SHUTDOWN_REASON_POWEROFF);
    xld_dominfo_dispose(&di);
    ck_assert_int_eq(OP(be.ops->shutdown(&be, a)), -EINVAL);
    ck_assert_int_eq(OP(be.ops->pause(&be, a)), -EINVAL);
    ck_assert_int_eq(OP(be.ops->set_vcpus(&be, a, 1)), -EINVAL);
    destroy_dom(a);
    ck_assert_int_eq(count_ev(XLD_BE_DOMAIN_DEATH, a, ANY_REASON), 1);
    ck_assert_int_eq(nev, 2);
}
END_TEST

START_TEST(reboot_request)
{
    struct xld_dominfo di;
    uint32_t a = create_dom("r", 256, false);

    /* The default answer time (200 ms). */
    ck_assert_int_eq(OP(be.ops->reboot(&be, a)), 0);
    WAIT_FOR(nev == 1, 10000);
    ck_assert_int_eq(count_ev(XLD_BE_DOMAIN_SHUTDOWN, a,
                              LIBXL_SHUTDOWN_REASON_REBOOT), 1);
    info_of(a, &di);
    ck_assert(di.shutdown);
    ck_assert_int_eq(di.shutdown_reason, LIBXL_SHUTDOWN_REASON_REBOOT);
    xld_dominfo_dispose(&di);
}
END_TEST

START_TEST(paused_guest_answers_when_unpaused)
{
    uint32_t a = create_dom("pz", 256, false);

    ck_assert_int_eq(OP(be.ops->inject(&be, "shutdown-delay-ms", a, 20)), 0);
    ck_assert_int_eq(OP(be.ops->pause(&be, a)), 0);
    ck_assert_int_eq(OP(be.ops->shutdown(&be, a)), 0);
    run_ms(100);
    ck_assert_int_eq(nev, 0);
    ck_assert_int_eq(OP(be.ops->unpause(&be, a)), 0);
    WAIT_FOR(nev == 1, 10000);
    ck_assert_int_eq(count_ev(XLD_BE_DOMAIN_SHUTDOWN, a,
                              LIBXL_SHUTDOWN_REASON_POWEROFF), 1);
}
END_TEST

START_TEST(ignore_shutdown)
{
    struct xld_dominfo di;
    uint32_t a = create_dom("deaf", 256, false);
    uint32_t b = create_dom("other", 256, false);

    ck_assert_int_eq(OP(be.ops->inject(&be, "ignore-shutdown", a, 1)), 0);
    ck_assert_int_eq(OP(be.ops->inject(&be, "shutdown-delay-ms", 0, 10)), 0);
    ck_assert_int_eq(OP(be.ops->shutdown(&be, a)), 0);
    run_ms(300);
    ck_assert_int_eq(nev, 0);
    /* Asked again and still not listening: the request stands. */
    ck_assert_int_eq(OP(be.ops->shutdown(&be, a)), 0);
    info_of(a, &di);
    ck_assert(di.running);
    xld_dominfo_dispose(&di);
    /* Listening again, it answers the request it had. */
    ck_assert_int_eq(OP(be.ops->inject(&be, "ignore-shutdown", a, 0)), 0);
    WAIT_FOR(nev == 1, 10000);
    ck_assert_int_eq(count_ev(XLD_BE_DOMAIN_SHUTDOWN, a,
                              LIBXL_SHUTDOWN_REASON_POWEROFF), 1);
    /* The host-wide default. */
    ck_assert_int_eq(OP(be.ops->inject(&be, "ignore-shutdown", 0, 1)), 0);
    ck_assert_int_eq(OP(be.ops->reboot(&be, b)), 0);
    run_ms(100);
    ck_assert_int_eq(nev, 1);
    /* The way out of a guest that does not listen. */
    destroy_dom(b);
    ck_assert_int_eq(count_ev(XLD_BE_DOMAIN_DEATH, b, ANY_REASON), 1);
    ck_assert_int_eq(OP(be.ops->inject(&be, "ignore-shutdown", 0, 2)),
                     -EINVAL);
}
END_TEST

START_TEST(injected_guest_actions)
{
    static const struct {
        const char *what;
        libxl_shutdown_reason reason;
    } acts[] = {
        { "crash", LIBXL_SHUTDOWN_REASON_CRASH },
        { "poweroff", LIBXL_SHUTDOWN_REASON_POWEROFF },
        { "reboot", LIBXL_SHUTDOWN_REASON_REBOOT },
        { "watchdog", LIBXL_SHUTDOWN_REASON_WATCHDOG },
        { "soft-reset", LIBXL_SHUTDOWN_REASON_SOFT_RESET },
    };
    struct xld_dominfo di;
    char name[16];

    for (size_t i = 0; i < sizeof(acts) / sizeof(acts[0]); i++) {
        uint32_t id;

        snprintf(name, sizeof(name), "g%zu", i);
        id = create_dom(name, 128, false);
        ck_assert_int_eq(OP(be.ops->inject(&be, acts[i].what, id, 1)), 0);
        /* The event comes from the loop, not from inside inject. */
        ck_assert_int_eq(count_ev(XLD_BE_DOMAIN_SHUTDOWN, id, ANY_REASON),
                         0);
        info_of(id, &di);
        ck_assert(di.shutdown);
        ck_assert_int_eq(di.shutdown_reason, acts[i].reason);
        xld_dominfo_dispose(&di);
        WAIT_FOR(count_ev(XLD_BE_DOMAIN_SHUTDOWN, id, acts[i].reason) == 1,
                 10000);
        ck_assert_int_eq(OP(be.ops->inject(&be, "crash", id, 1)), -EINVAL);
    }
    ck_assert_int_eq(OP(be.ops->inject(&be, "crash", 77, 1)), -ENOENT);
    ck_assert_int_eq(OP(be.ops->inject(&be, "explode", 1, 1)), -EINVAL);
    ck_assert_int_eq(OP(be.ops->inject(&be, "create-ms", 1, 1)), -EINVAL);
    ck_assert_int_eq(OP(be.ops->inject(&be, "create-ms", 0, -1)), -EINVAL);
}
END_TEST

START_TEST(memory_at_the_host_limit)
{
    libxl_domain_config dc;
    struct done d = { 0 };
    uint32_t a, b, x;

    /* 8 GiB, of which Domain-0 has a quarter. */
    reopen("memory=8192");
    ck_assert_uint_eq(free_kb(), 6ull << 20);
    a = create_dom("a", 4096, false);
    ck_assert_int_eq(create_start("b", 4096, false, &x, &d), -ENOMEM);
    b = create_dom("b", 2048, false);
    ck_assert_uint_eq(free_kb(), 0);
    ck_assert_int_eq(create_start("c", 1, false, &x, &d), -ENOMEM);
    destroy_dom(a);
    ck_assert_uint_eq(free_kb(), 4ull << 20);
    /* What must fit is the maximum, not the target. */
    mkcfg(&dc, "c", 1024, 5120, 1, 1);
    ck_assert_int_eq(OP(be.ops->create(&be, &dc, false, &x, on_done, &d)),
                     -ENOMEM);
    libxl_domain_config_dispose(&dc);
    mkcfg(&dc, "c", 1024, 4096, 1, 1);
    ck_assert_int_eq(OP(be.ops->create(&be, &dc, false, &x, on_done, &d)),
                     0);
    libxl_domain_config_dispose(&dc);
    WAIT_FOR(d.calls == 1, 10000);
    ck_assert_int_eq(d.rc, 0);
    /* It holds its target; it may grow to its maximum if there is room. */
    ck_assert_uint_eq(free_kb(), 3ull << 20);
    ck_assert_int_eq(OP(be.ops->set_memory_target(&be, x, 4096 * 1024)), 0);
    ck_assert_uint_eq(free_kb(), 0);
    ck_assert_int_eq(OP(be.ops->set_memory_target(&be, b, 2049 * 1024)),
                     -EINVAL);
    ck_assert_int_eq(OP(be.ops->set_memory_max(&be, b, 3072 * 1024)), 0);
    ck_assert_int_eq(OP(be.ops->set_memory_target(&be, b, 2049 * 1024)),
                     -ENOMEM);
}
END_TEST

START_TEST(thousand_domains)
{
    static struct done d[1000];
    static uint32_t ids[1000];
    struct xld_dominfo *v = NULL;
    char name[32];
    int n = 0;

    /* A thousand creates write three thousand records: without fsync,
     * so that a slow disk does not make this a test of the disk. */
    reopen("sync=0");
    memset(d, 0, sizeof(d));
    for (int i = 0; i < 1000; i++) {
        snprintf(name, sizeof(name), "small-%04d", i);
        ck_assert_int_eq(create_start(name, 128, false, &ids[i], &d[i]), 0);
        ck_assert_uint_eq(ids[i], (uint32_t)i + 1);
    }
    for (int i = 0; i < 1000; i++)
        WAIT_FOR(d[i].calls == 1, 60000);
    for (int i = 0; i < 1000; i++)
        ck_assert_int_eq(d[i].rc, 0);
    ck_assert_int_eq(OP(be.ops->list(&be, &v, &n)), 0);
    ck_assert_int_eq(n, 1001);
    for (int i = 0; i < n; i++) {
        ck_assert_uint_eq(v[i].domid, (uint32_t)i);
        if (i) {
            snprintf(name, sizeof(name), "small-%04d", i - 1);
            ck_assert_str_eq(v[i].name, name);
            ck_assert(v[i].running);
        }
        xld_dominfo_dispose(&v[i]);
    }
    free(v);
    ck_assert_uint_eq(free_kb(), (256ull - 4) * 1024 * 1024
                                 - 1000ull * 128 * 1024);
}
END_TEST

START_TEST(vcpus)
{
    libxl_domain_config dc;
    struct xld_dominfo di;
    struct done d = { 0 };
    uint32_t a;

    mkcfg(&dc, "v", 256, 256, 4, 2);
    ck_assert_int_eq(OP(be.ops->create(&be, &dc, false, &a, on_done, &d)),
                     0);
    libxl_domain_config_dispose(&dc);
    WAIT_FOR(d.calls == 1, 10000);
    info_of(a, &di);
    ck_assert_int_eq(di.vcpu_online, 2);
    ck_assert_int_eq(di.vcpu_max, 4);
    xld_dominfo_dispose(&di);
    ck_assert_int_eq(OP(be.ops->set_vcpus(&be, a, 4)), 0);
    ck_assert_int_eq(OP(be.ops->set_vcpus(&be, a, 5)), -EINVAL);
    ck_assert_int_eq(OP(be.ops->set_vcpus(&be, a, 0)), -EINVAL);
    info_of(a, &di);
    ck_assert_int_eq(di.vcpu_online, 4);
    xld_dominfo_dispose(&di);
    ck_assert_int_eq(OP(be.ops->set_vcpus(&be, a, 1)), 0);
    info_of(a, &di);
    ck_assert_int_eq(di.vcpu_online, 1);
    xld_dominfo_dispose(&di);
    ck_assert_int_eq(OP(be.ops->set_vcpus(&be, 9, 1)), -ENOENT);
}
END_TEST

/* A map of nbits cpus with the cpus given (ending with -1). */
static void mkmap(libxl_bitmap *m, int nbits, ...)
{
    va_list ap;
    int c;

    libxl_bitmap_init(m);
    m->size = (uint32_t)(nbits + 7) / 8;
    m->map = calloc(m->size, 1);
    ck_assert_ptr_nonnull(m->map);
    va_start(ap, nbits);
    while ((c = va_arg(ap, int)) >= 0)
        libxl_bitmap_set(m, c);
    va_end(ap);
}

static int64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Vcpu i's hard and soft maps, as their first bytes (8-cpu hosts). */
static void affinity_of(uint32_t domid, int i, int *hard, int *soft,
                        uint32_t *cpu, bool *online)
{
    libxl_vcpuinfo *v = NULL;
    int n = 0;

    ck_assert_int_eq(OP(be.ops->vcpu_info(&be, domid, &v, &n)), 0);
    ck_assert_int_gt(n, i);
    ck_assert_int_eq(v[i].vcpuid, i);
    *hard = v[i].cpumap.map[0];
    *soft = v[i].cpumap_soft.map[0];
    *cpu = v[i].cpu;
    *online = v[i].online;
    libxl_vcpuinfo_list_free(v, n);
}

START_TEST(placement_and_sched)
{
    libxl_domain_sched_params sp;
    libxl_domain_config dc;
    libxl_bitmap m5, m2, m12, m6_12;
    struct xld_cpupool *pools = NULL;
    struct xld_dominfo di;
    struct done d = { 0 };
    int hard, soft, np = 0;
    uint32_t a, cpu;
    int64_t t0, t1;
    uint64_t ns0;
    bool online;

    /* The config's cpus="0-3" on every vcpu and a weight of 512. */
    mkcfg(&dc, "p", 256, 256, 4, 2);
    dc.b_info.vcpu_hard_affinity = calloc(4, sizeof(libxl_bitmap));
    ck_assert_ptr_nonnull(dc.b_info.vcpu_hard_affinity);
    dc.b_info.num_vcpu_hard_affinity = 4;
    for (int i = 0; i < 4; i++)
        mkmap(&dc.b_info.vcpu_hard_affinity[i], 8, 0, 1, 2, 3, -1);
    dc.b_info.sched_params.weight = 512;
    ck_assert_int_eq(OP(be.ops->create(&be, &dc, false, &a, on_done, &d)),
                     0);
    libxl_domain_config_dispose(&dc);
    WAIT_FOR(d.calls == 1, 10000);
    ck_assert_int_eq(d.rc, 0);

    affinity_of(a, 0, &hard, &soft, &cpu, &online);
    ck_assert_int_eq(hard, 0x0f);
    ck_assert_int_eq(soft, 0xff);
    ck_assert_uint_lt(cpu, 4);
    ck_assert(online);
    affinity_of(a, 3, &hard, &soft, &cpu, &online);
    ck_assert(!online);

    /* One vcpu's hard affinity; the soft one of every vcpu. */
    mkmap(&m5, 8, 5, -1);
    mkmap(&m2, 8, 2, -1);
    ck_assert_int_eq(OP(be.ops->vcpu_pin(&be, a, 1, &m5, NULL, false)), 0);
    affinity_of(a, 1, &hard, &soft, &cpu, &online);
    ck_assert_int_eq(hard, 0x20);
    ck_assert_int_eq(soft, 0xff);
    ck_assert_uint_eq(cpu, 5);
    ck_assert_int_eq(OP(be.ops->vcpu_pin(&be, a, -1, NULL, &m2, false)), 0);
    affinity_of(a, 0, &hard, &soft, &cpu, &online);
    ck_assert_int_eq(hard, 0x0f);
    ck_assert_int_eq(soft, 0x04);
    /* Where the affinities meet, the vcpu runs there. */
    ck_assert_uint_eq(cpu, 2);
    affinity_of(a, 1, &hard, &soft, &cpu, &online);
    ck_assert_int_eq(hard, 0x20);
    ck_assert_int_eq(soft, 0x04);
    ck_assert_uint_eq(cpu, 5);

    /* Cpus the host lacks are dropped; none left is refused. */
    mkmap(&m12, 16, 12, -1);
    mkmap(&m6_12, 16, 6, 12, -1);
    ck_assert_int_eq(OP(be.ops->vcpu_pin(&be, a, 2, &m12, NULL, false)),
                     -EINVAL);
    ck_assert_int_eq(OP(be.ops->vcpu_pin(&be, a, 2, &m6_12, NULL, true)),
                     0);
    affinity_of(a, 2, &hard, &soft, &cpu, &online);
    ck_assert_int_eq(hard, 0x40);
    ck_assert_int_eq(OP(be.ops->vcpu_pin(&be, a, 4, &m5, NULL, false)),
                     -EINVAL);
    ck_assert_int_eq(OP(be.ops->vcpu_pin(&be, 99, 0, &m5, NULL, false)),
                     -ENOENT);
    ck_assert_int_eq(OP(be.ops->vcpu_pin(&be, 0, 0, &m5, NULL, false)),
                     -EPERM);

    /* credit2's weight and cap, within Xen's ranges. */
    libxl_domain_sched_params_init(&sp);
    ck_assert_int_eq(OP(be.ops->sched_get(&be, a, &sp)), 0);
    ck_assert_int_eq(sp.sched, LIBXL_SCHEDULER_CREDIT2);
    ck_assert_int_eq(sp.weight, 512);
    ck_assert_int_eq(sp.cap, 0);
    libxl_domain_sched_params_init(&sp);
    sp.weight = 0;
    ck_assert_int_eq(OP(be.ops->sched_set(&be, a, &sp)), -EINVAL);
    sp.weight = 65536;
    ck_assert_int_eq(OP(be.ops->sched_set(&be, a, &sp)), -EINVAL);
    libxl_domain_sched_params_init(&sp);
    sp.cap = 401;
    ck_assert_int_eq(OP(be.ops->sched_set(&be, a, &sp)), -EINVAL);
    libxl_domain_sched_params_init(&sp);
    sp.sched = LIBXL_SCHEDULER_CREDIT;
    sp.weight = 100;
    ck_assert_int_eq(OP(be.ops->sched_set(&be, a, &sp)), -EINVAL);
    libxl_domain_sched_params_init(&sp);
    sp.sched = LIBXL_SCHEDULER_CREDIT2;
    sp.cap = 5;
    ck_assert_int_eq(OP(be.ops->sched_set(&be, a, &sp)), 0);
    libxl_domain_sched_params_init(&sp);
    ck_assert_int_eq(OP(be.ops->sched_get(&be, a, &sp)), 0);
    ck_assert_int_eq(sp.weight, 512);
    ck_assert_int_eq(sp.cap, 5);

    /* A cap of 5% of a cpu: the domain's cpu time grows that fast. */
    info_of(a, &di);
    ns0 = di.cpu_time_ns;
    xld_dominfo_dispose(&di);
    t0 = now_ms();
    run_ms(200);
    info_of(a, &di);
    t1 = now_ms();
    ck_assert_uint_gt(di.cpu_time_ns, ns0);
    ck_assert_uint_le(di.cpu_time_ns - ns0, (uint64_t)(t1 - t0 + 2) * 50000u);
    xld_dominfo_dispose(&di);

    /* One pool: every cpu, credit2, both domains. */
    ck_assert_int_eq(OP(be.ops->cpupool_info(&be, &pools, &np)), 0);
    ck_assert_int_eq(np, 1);
    ck_assert_str_eq(pools[0].name, "Pool-0");
    ck_assert_int_eq(pools[0].sched, LIBXL_SCHEDULER_CREDIT2);
    ck_assert_int_eq(pools[0].n_dom, 2);
    ck_assert_int_eq(pools[0].cpus.map[0], 0xff);
    ck_assert_int_eq(pools[0].ratelimit_us, 1000);
    xld_cpupool_list_free(pools, np);

    /* All of it outlives xld... */
    reopen(NULL);
    affinity_of(a, 1, &hard, &soft, &cpu, &online);
    ck_assert_int_eq(hard, 0x20);
    ck_assert_int_eq(soft, 0x04);
    libxl_domain_sched_params_init(&sp);
    ck_assert_int_eq(OP(be.ops->sched_get(&be, a, &sp)), 0);
    ck_assert_int_eq(sp.weight, 512);
    ck_assert_int_eq(sp.cap, 5);
    /* ...and a host with fewer cpus keeps what it has of each map, or
     * every cpu when nothing is left. */
    reopen("cpus=4");
    affinity_of(a, 0, &hard, &soft, &cpu, &online);
    ck_assert_int_eq(hard, 0x0f);
    ck_assert_int_eq(soft, 0x04);
    affinity_of(a, 1, &hard, &soft, &cpu, &online);
    ck_assert_int_eq(hard, 0x0f);
    ck_assert_uint_lt(cpu, 4);

    libxl_bitmap_dispose(&m5);
    libxl_bitmap_dispose(&m2);
    libxl_bitmap_dispose(&m12);
    libxl_bitmap_dispose(&m6_12);
}
END_TEST

START_TEST(memory_target_and_max)
{
    libxl_domain_config dc;
    struct xld_dominfo di;
    struct done d = { 0 };
    uint64_t free0 = free_kb();
    uint32_t a;

    mkcfg(&dc, "m", 1024, 2048, 1, 1);
    ck_assert_int_eq(OP(be.ops->create(&be, &dc, false, &a, on_done, &d)),
                     0);
    libxl_domain_config_dispose(&dc);
    WAIT_FOR(d.calls == 1, 10000);
    info_of(a, &di);
    ck_assert_uint_eq(di.current_memkb, 1024 * 1024);
    ck_assert_uint_eq(di.max_memkb, 2048 * 1024);
    xld_dominfo_dispose(&di);
    ck_assert_uint_eq(free_kb(), free0 - 1024 * 1024);
    ck_assert_int_eq(OP(be.ops->set_memory_target(&be, a, 2048 * 1024)), 0);
    ck_assert_uint_eq(free_kb(), free0 - 2048 * 1024);
    ck_assert_int_eq(OP(be.ops->set_memory_target(&be, a, 3072 * 1024)),
                     -EINVAL);
    ck_assert_int_eq(OP(be.ops->set_memory_target(&be, a, 0)), -EINVAL);
    /* The maximum cannot go below the current target. */
    ck_assert_int_eq(OP(be.ops->set_memory_max(&be, a, 1024 * 1024)),
                     -EINVAL);
    ck_assert_int_eq(OP(be.ops->set_memory_target(&be, a, 512 * 1024)), 0);
    ck_assert_uint_eq(free_kb(), free0 - 512 * 1024);
    ck_assert_int_eq(OP(be.ops->set_memory_max(&be, a, 1024 * 1024)), 0);
    ck_assert_int_eq(OP(be.ops->set_memory_max(&be, a, 512ull << 20)),
                     -ENOMEM);
    info_of(a, &di);
    ck_assert_uint_eq(di.current_memkb, 512 * 1024);
    ck_assert_uint_eq(di.max_memkb, 1024 * 1024);
    xld_dominfo_dispose(&di);
}
END_TEST

START_TEST(rename_domain)
{
    struct xld_dominfo di;
    uint32_t a = create_dom("old", 128, false);
    uint32_t b = create_dom("web", 128, false);

    ck_assert_int_eq(OP(be.ops->rename(&be, a, "db")), 0);
    info_of(a, &di);
    ck_assert_str_eq(di.name, "db");
    xld_dominfo_dispose(&di);
    ck_assert_int_eq(OP(be.ops->rename(&be, a, "web")), -EEXIST);
    ck_assert_int_eq(OP(be.ops->rename(&be, b, "web")), 0);
    ck_assert_int_eq(OP(be.ops->rename(&be, a, "")), -EINVAL);
    ck_assert_int_eq(OP(be.ops->rename(&be, a, "a/b")), -EINVAL);
    ck_assert_int_eq(OP(be.ops->rename(&be, 55, "x")), -ENOENT);
    /* The old name is free again. */
    create_dom("old", 128, false);
}
END_TEST

START_TEST(preserve_domain)
{
    struct xld_dominfo di;
    libxl_uuid u;
    uint32_t a = create_dom("rr", 128, false);

    create_dom("rr-x", 128, false);
    libxl_uuid_generate(&u);
    ck_assert_int_eq(OP(be.ops->inject(&be, "crash", a, 1)), 0);
    ck_assert_int_eq(OP(be.ops->preserve(&be, a, "-x", &u)), -EEXIST);
    ck_assert_int_eq(OP(be.ops->preserve(&be, a, "/x", &u)), -EINVAL);
    ck_assert_int_eq(OP(be.ops->preserve(&be, 0, "-y", &u)), -EPERM);
    ck_assert_int_eq(OP(be.ops->preserve(&be, 99, "-y", &u)), -ENOENT);
    ck_assert_int_eq(OP(be.ops->preserve(&be, a, "-20261125T0100Z", &u)), 0);
    info_of(a, &di);
    ck_assert_str_eq(di.name, "rr-20261125T0100Z");
    ck_assert(libxl_uuid_compare(&di.uuid, &u) == 0);
    ck_assert(di.shutdown);
    xld_dominfo_dispose(&di);
    /* The name is free for the domain's successor; the change lasts. */
    create_dom("rr", 128, false);
    reopen(NULL);
    info_of(a, &di);
    ck_assert_str_eq(di.name, "rr-20261125T0100Z");
    ck_assert(libxl_uuid_compare(&di.uuid, &u) == 0);
    xld_dominfo_dispose(&di);
}
END_TEST

START_TEST(core_dump)
{
    struct done d = { 0 };
    char path[PATH_MAX], line[128];
    struct stat st;
    FILE *f;
    uint32_t a = create_dom("cd", 256, false);

    snprintf(path, sizeof(path), "%s/cd.core", dir);
    ck_assert_int_eq(OP(be.ops->inject(&be, "crash", a, 1)), 0);
    ck_assert_int_eq(OP(be.ops->core_dump(&be, a, path, on_done, &d)), 0);
    /* done() comes from the loop, never from inside the call. */
    ck_assert_int_eq(d.calls, 0);
    WAIT_FOR(d.calls == 1, 10000);
    ck_assert_int_eq(d.rc, 0);
    f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    ck_assert_ptr_nonnull(fgets(line, sizeof(line), f));
    ck_assert_str_eq(line, "XLDSIMCORE 1\n");
    ck_assert_ptr_nonnull(fgets(line, sizeof(line), f));
    ck_assert_str_eq(line, "name: cd\n");
    fclose(f);
    ck_assert_int_eq(stat(path, &st), 0);
    /* 1/1024 of the memory, sparse. */
    ck_assert(st.st_size > 256 * 1024);
    ck_assert(st.st_blocks * 512 < 64 * 1024);
    /* A path that cannot be written: the error, and no done(). */
    snprintf(path, sizeof(path), "%s/no/such/dir/core", dir);
    memset(&d, 0, sizeof(d));
    ck_assert_int_eq(OP(be.ops->core_dump(&be, a, path, on_done, &d)),
                     -ENOENT);
    run_ms(50);
    ck_assert_int_eq(d.calls, 0);
}
END_TEST

START_TEST(soft_reset)
{
    struct done d = { 0 };
    struct xld_dominfo di;
    libxl_domain_config dc;
    uint32_t a = create_dom("sr", 256, false);

    mkcfg(&dc, "sr", 512, 512, 2, 1);
    /* Only a domain that went down can be reset. */
    ck_assert_int_eq(OP(be.ops->soft_reset(&be, &dc, a, on_done, &d)),
                     -EINVAL);
    ck_assert_int_eq(OP(be.ops->inject(&be, "soft-reset", a, 1)), 0);
    ck_assert_int_eq(OP(be.ops->soft_reset(&be, &dc, a, on_done, &d)), 0);
    ck_assert_int_eq(d.calls, 0);
    WAIT_FOR(d.calls == 1, 10000);
    ck_assert_int_eq(d.rc, 0);
    info_of(a, &di);
    ck_assert(!di.shutdown);
    ck_assert(di.paused);
    ck_assert_int_eq(di.current_memkb, 512 * 1024);
    ck_assert_int_eq(di.vcpu_online, 1);
    xld_dominfo_dispose(&di);
    libxl_domain_config_dispose(&dc);
}
END_TEST

START_TEST(no_pv_control_and_triggers)
{
    struct xld_dominfo di;
    uint32_t a = create_dom("hvm", 128, false);
    uint32_t b = create_dom("hvm2", 128, false);

    ck_assert_int_eq(OP(be.ops->inject(&be, "no-pv-control", a, 1)), 0);
    ck_assert_int_eq(OP(be.ops->inject(&be, "no-pv-control", a, 2)),
                     -EINVAL);
    ck_assert_int_eq(OP(be.ops->shutdown(&be, a)), -EOPNOTSUPP);
    ck_assert_int_eq(OP(be.ops->reboot(&be, a)), -EOPNOTSUPP);
    /* The power button is answered as a shutdown request is. */
    ck_assert_int_eq(OP(be.ops->inject(&be, "shutdown-delay-ms", 0, 10)), 0);
    ck_assert_int_eq(OP(be.ops->send_trigger(&be, a, LIBXL_TRIGGER_POWER)),
                     0);
    WAIT_FOR(count_ev(XLD_BE_DOMAIN_SHUTDOWN, a,
                      LIBXL_SHUTDOWN_REASON_POWEROFF) == 1, 10000);
    /* The reset line is not the guest's to answer. */
    ck_assert_int_eq(OP(be.ops->send_trigger(&be, b, LIBXL_TRIGGER_RESET)),
                     0);
    info_of(b, &di);
    ck_assert(di.shutdown);
    ck_assert_int_eq(di.shutdown_reason, LIBXL_SHUTDOWN_REASON_REBOOT);
    xld_dominfo_dispose(&di);
    ck_assert_int_eq(OP(be.ops->send_trigger(&be, b, LIBXL_TRIGGER_NMI)),
                     -EINVAL);
    /* The setting lasts across a reload of the state. */
    destroy_dom(a);
    a = create_dom("hvm3", 128, false);
    ck_assert_int_eq(OP(be.ops->inject(&be, "no-pv-control", a, 1)), 0);
    reopen(NULL);
    ck_assert_int_eq(OP(be.ops->shutdown(&be, a)), -EOPNOTSUPP);
}
END_TEST

START_TEST(sysrq_keys)
{
    struct xld_dominfo di;
    uint32_t a = create_dom("sq1", 128, false);
    uint32_t b = create_dom("sq2", 128, false);
    uint32_t c = create_dom("sq3", 128, false);

    /* Keys with nothing to act on leave the guest running. */
    ck_assert_int_eq(OP(be.ops->send_sysrq(&be, a, 's')), 0);
    ck_assert_int_eq(OP(be.ops->send_sysrq(&be, a, 'u')), 0);
    info_of(a, &di);
    ck_assert(!di.shutdown);
    xld_dominfo_dispose(&di);
    /* o powers off at once, c crashes, as a Linux guest does. */
    ck_assert_int_eq(OP(be.ops->send_sysrq(&be, a, 'o')), 0);
    WAIT_FOR(count_ev(XLD_BE_DOMAIN_SHUTDOWN, a,
                      LIBXL_SHUTDOWN_REASON_POWEROFF) == 1, 10000);
    ck_assert_int_eq(OP(be.ops->send_sysrq(&be, b, 'c')), 0);
    WAIT_FOR(count_ev(XLD_BE_DOMAIN_SHUTDOWN, b,
                      LIBXL_SHUTDOWN_REASON_CRASH) == 1, 10000);
    /* A guest without PV control never reads the key. */
    ck_assert_int_eq(OP(be.ops->inject(&be, "no-pv-control", c, 1)), 0);
    ck_assert_int_eq(OP(be.ops->send_sysrq(&be, c, 'o')), 0);
    info_of(c, &di);
    ck_assert(!di.shutdown);
    xld_dominfo_dispose(&di);
    /* Domain-0 and domains that are not there. */
    ck_assert_int_eq(OP(be.ops->send_sysrq(&be, 0, 's')), -EPERM);
    ck_assert_int_eq(OP(be.ops->send_sysrq(&be, 4242, 's')), -ENOENT);
}
END_TEST

START_TEST(spawn_foreign)
{
    struct xld_dominfo *list = NULL;
    char *data = NULL;
    size_t len = 0;
    int n = 0, found = -1;
    libxl_domain_config dc;

    ck_assert_int_eq(OP(be.ops->inject(&be, "spawn", 0, 64)), 0);
    ck_assert_int_eq(OP(be.ops->inject(&be, "spawn", 3, 64)), -EINVAL);
    ck_assert_int_eq(OP(be.ops->inject(&be, "spawn", 0, 0)), -EINVAL);
    run_ms(200);
    ck_assert_int_eq(OP(be.ops->list(&be, &list, &n)), 0);
    for (int i = 0; i < n; i++)
        if (!strncmp(list[i].name, "foreign-", 8))
            found = i;
    ck_assert_int_ge(found, 0);
    ck_assert(list[found].running || list[found].blocked);
    ck_assert_int_eq(list[found].current_memkb, 64 * 1024);
    /* Made behind xld's back: no userdata, and no config to read. */
    ck_assert_int_eq(OP(be.ops->userdata_retrieve(&be, list[found].domid,
                                                  &data, &len)), -ENOENT);
    libxl_domain_config_init(&dc);
    ck_assert_int_eq(OP(be.ops->retrieve_config(&be, list[found].domid,
                                                &dc)), -EOPNOTSUPP);
    ck_assert_int_eq(OP(be.ops->config_from_json(&be, "{}", &dc)),
                     -EOPNOTSUPP);
    libxl_domain_config_dispose(&dc);
    for (int i = 0; i < n; i++)
        xld_dominfo_dispose(&list[i]);
    free(list);
}
END_TEST

START_TEST(save_and_restore)
{
    libxl_domain_config dc;
    struct xld_dominfo di;
    struct done d = { 0 };
    char path[PATH_MAX];
    struct stat sb;
    uint64_t free0 = free_kb();
    uint32_t a, r;
    int fd;

    mkcfg(&dc, "big", 1024, 1024, 2, 2);
    ck_assert_int_eq(OP(be.ops->create(&be, &dc, false, &a, on_done, &d)),
                     0);
    WAIT_FOR(d.calls == 1, 10000);
    ck_assert_int_eq(d.rc, 0);

    /* A checkpoint leaves it running. */
    fd = image_file(path, sizeof(path));
    ck_assert_int_eq(save_sync(a, fd, true, &d), 0);
    ck_assert_int_eq(count_ev(XLD_BE_DOMAIN_DEATH, a, ANY_REASON), 0);
    info_of(a, &di);
    ck_assert(di.running);
    xld_dominfo_dispose(&di);
    close(fd);
    unlink(path);

    /* A save: progress, then the domain is gone. */
    fd = image_file(path, sizeof(path));
    memset(&d, 0, sizeof(d));
    ck_assert_int_eq(OP(be.ops->save(&be, a, fd, false, on_progress,
                                     on_done, &d)), 0);
    ck_assert_int_eq(OP(be.ops->save(&be, a, fd, false, on_progress,
                                     on_done, &d)), -EBUSY);
    ck_assert_int_eq(OP(be.ops->destroy(&be, a, on_done, &d)), -EBUSY);
    ck_assert_int_eq(OP(be.ops->pause(&be, a)), -EBUSY);
    WAIT_FOR(d.calls == 1, 20000);
    ck_assert_int_eq(d.rc, 0);
    /* The death event comes before done(). */
    ck_assert_int_eq(count_ev(XLD_BE_DOMAIN_DEATH, a, ANY_REASON), 1);
    close(fd);
    ck_assert_int_ge(d.progress_calls, 3);
    ck_assert(!d.backwards);
    ck_assert_uint_eq(d.total, 1024ull << 20);
    ck_assert_uint_eq(d.last, d.total);
    ck_assert(is_gone(a));
    ck_assert_uint_eq(free_kb(), free0);
    ck_assert_int_eq(stat(path, &sb), 0);
    /* Our header, theirs (68 + the name), 1 MiB of data, the checksum. */
    ck_assert_int_eq(sb.st_size, (off_t)(strlen(CALLER_HDR) + 68 + 3
                                         + (1 << 20) + 8));

    /* Restore: the same guest, running again. */
    fd = image_open(path);
    ck_assert_int_eq(restore_sync(&dc, fd, false, &r, &d), 0);
    ck_assert_int_ge(d.progress_calls, 3);
    ck_assert(!d.backwards);
    ck_assert_uint_eq(d.last, 1024ull << 20);
    ck_assert_int_eq(lseek(fd, 0, SEEK_CUR), sb.st_size);
    close(fd);
    ck_assert_uint_gt(r, a);
    info_of(r, &di);
    ck_assert(di.running);
    ck_assert_str_eq(di.name, "big");
    ck_assert_int_eq(libxl_uuid_compare(&di.uuid, &dc.c_info.uuid), 0);
    ck_assert_uint_eq(di.current_memkb, 1024 * 1024);
    ck_assert_int_eq(di.vcpu_online, 2);
    xld_dominfo_dispose(&di);

    /* And once more, paused, from the same image. */
    destroy_dom(r);
    fd = image_open(path);
    ck_assert_int_eq(restore_sync(&dc, fd, true, &r, &d), 0);
    close(fd);
    info_of(r, &di);
    ck_assert(di.paused);
    xld_dominfo_dispose(&di);
    libxl_domain_config_dispose(&dc);
}
END_TEST

/* Save a guest of mib MiB to path; returns its config (dispose it). */
static void saved_image(const char *name, uint64_t mib, char *path,
                        size_t size, libxl_domain_config *dc)
{
    struct done d = { 0 };
    uint32_t a;
    int fd;

    mkcfg(dc, name, mib, mib, 1, 1);
    ck_assert_int_eq(OP(be.ops->create(&be, dc, false, &a, on_done, &d)),
                     0);
    WAIT_FOR(d.calls == 1, 10000);
    fd = image_file(path, size);
    ck_assert_int_eq(save_sync(a, fd, false, &d), 0);
    close(fd);
    ck_assert(is_gone(a));
}

/* Restore from a copy of the image with one byte changed (or cut
 * short), and expect rc. */
static void restore_damaged(const char *path, const libxl_domain_config *dc,
                            off_t where, bool cut, int expect)
{
    char copy[PATH_MAX + 8];
    uint64_t free0 = free_kb();
    unsigned char byte;
    struct done d;
    uint32_t r = 0;
    int in, out, fd;
    ssize_t n;
    char buf[65536];

    snprintf(copy, sizeof(copy), "%s.bad", path);
    in = open(path, O_RDONLY);
    out = open(copy, O_RDWR | O_CREAT | O_TRUNC, 0600);
    ck_assert_int_ge(in, 0);
    ck_assert_int_ge(out, 0);
    while ((n = read(in, buf, sizeof(buf))) > 0)
        ck_assert_int_eq(write(out, buf, (size_t)n), n);
    close(in);
    if (cut) {
        ck_assert_int_eq(ftruncate(out, where), 0);
    } else {
        ck_assert_int_eq(pread(out, &byte, 1, where), 1);
        byte ^= 0x20;
        ck_assert_int_eq(pwrite(out, &byte, 1, where), 1);
    }
    close(out);
    fd = image_open(copy);
    ck_assert_int_eq(restore_sync(dc, fd, false, &r, &d), expect);
    close(fd);
    unlink(copy);
    /* A failed restore leaves nothing behind. */
    ck_assert(is_gone(r));
    ck_assert_uint_eq(free_kb(), free0);
}

START_TEST(corrupt_images)
{
    libxl_domain_config dc;
    char path[PATH_MAX];
    off_t base = (off_t)strlen(CALLER_HDR), size;
    struct stat sb;

    saved_image("c", 256, path, sizeof(path), &dc);
    ck_assert_int_eq(stat(path, &sb), 0);
    size = sb.st_size;
    /* A byte of the data (a zero, in the middle), of the magic, of the
     * name, of the checksum; an image cut short. */
    restore_damaged(path, &dc, base + 68 + 1 + 100000, false, -EINVAL);
    restore_damaged(path, &dc, base + 3, false, -EINVAL);
    restore_damaged(path, &dc, base + 68, false, -EINVAL);
    restore_damaged(path, &dc, size - 1, false, -EINVAL);
    restore_damaged(path, &dc, size - 9, true, -EINVAL);
    restore_damaged(path, &dc, base + 20, true, -EINVAL);
    restore_damaged(path, &dc, base, true, -EINVAL);
    libxl_domain_config_dispose(&dc);
}
END_TEST

START_TEST(fail_next)
{
    libxl_domain_config dc;
    struct xld_dominfo di;
    struct done d = { 0 }, p;
    char path[PATH_MAX];
    uint32_t a, x = 0;
    int fd;

    ck_assert_int_eq(OP(be.ops->inject(&be, "fail-next", 3, 2)), -EINVAL);
    ck_assert_int_eq(OP(be.ops->inject(&be, "fail-next", 0, 16)), -EINVAL);

    /* create: it starts, then fails, and the domain is gone. */
    ck_assert_int_eq(OP(be.ops->inject(&be, "fail-next", 0, 1)), 0);
    ck_assert_int_eq(create_start("f", 256, false, &x, &d), 0);
    WAIT_FOR(d.calls == 1, 10000);
    ck_assert_int_eq(d.rc, -EIO);
    ck_assert(is_gone(x));
    ck_assert_int_eq(nev, 0);

    /* save: fails half way, and the guest runs on. */
    a = create_dom("f", 256, false);
    ck_assert_int_eq(OP(be.ops->inject(&be, "fail-next", 0, 2)), 0);
    fd = image_file(path, sizeof(path));
    ck_assert_int_eq(save_sync(a, fd, false, &p), -EIO);
    close(fd);
    info_of(a, &di);
    ck_assert(di.running);
    xld_dominfo_dispose(&di);
    ck_assert_int_eq(count_ev(XLD_BE_DOMAIN_DEATH, a, ANY_REASON), 0);
    /* Only the next one. */
    fd = image_file(path, sizeof(path));
    ck_assert_int_eq(save_sync(a, fd, true, &p), 0);
    close(fd);

    /* destroy: fails, and the domain is as it was. */
    ck_assert_int_eq(OP(be.ops->inject(&be, "fail-next", 0, 8)), 0);
    memset(&d, 0, sizeof(d));
    ck_assert_int_eq(OP(be.ops->destroy(&be, a, on_done, &d)), 0);
    WAIT_FOR(d.calls == 1, 10000);
    ck_assert_int_eq(d.rc, -EIO);
    info_of(a, &di);
    ck_assert(di.running && !di.dying);
    xld_dominfo_dispose(&di);
    ck_assert_int_eq(count_ev(XLD_BE_DOMAIN_DEATH, a, ANY_REASON), 0);

    /* restore: from a good image, and still it fails. */
    fd = image_file(path, sizeof(path));
    ck_assert_int_eq(save_sync(a, fd, false, &p), 0);
    close(fd);
    ck_assert_int_eq(OP(be.ops->inject(&be, "fail-next", 0, 4)), 0);
    mkcfg(&dc, "f", 256, 256, 1, 1);
    fd = image_open(path);
    ck_assert_int_eq(restore_sync(&dc, fd, false, &x, &p), -EIO);
    close(fd);
    ck_assert(is_gone(x));
    fd = image_open(path);
    ck_assert_int_eq(restore_sync(&dc, fd, false, &x, &p), 0);
    close(fd);
    libxl_domain_config_dispose(&dc);
}
END_TEST

/* ---- save and restore through pipes ----------------------------------- */

struct pipebuf {
    unsigned char *data;
    size_t len;
    size_t cap;
    size_t off;             /* restore: bytes fed so far */
    struct xld_watch *w;
};

static void drain(void *opaque, int fd, short revents)
{
    struct pipebuf *pb = opaque;
    ssize_t n;

    (void)revents;
    for (;;) {
        if (pb->cap - pb->len < 65536) {
            pb->cap = pb->cap * 2 + 65536;
            pb->data = realloc(pb->data, pb->cap);
            ck_assert_ptr_nonnull(pb->data);
        }
        n = read(fd, pb->data + pb->len, pb->cap - pb->len);
        if (n <= 0)
            break;
        pb->len += (size_t)n;
    }
}

static void feed(void *opaque, int fd, short revents)
{
    struct pipebuf *pb = opaque;
    ssize_t n;

    (void)revents;
    /* A little at a time, so that the reader sees EAGAIN. */
    if (pb->off < pb->len) {
        size_t k = pb->len - pb->off < 4096 ? pb->len - pb->off : 4096;

        n = write(fd, pb->data + pb->off, k);
        if (n > 0)
            pb->off += (size_t)n;
    }
    if (pb->off == pb->len) {
        xld_loop_unwatch(pb->w);
        pb->w = NULL;
    }
}

START_TEST(save_and_restore_through_pipes)
{
    libxl_domain_config dc;
    struct pipebuf pb = { 0 };
    struct done d = { 0 };
    struct xld_dominfo di;
    uint32_t a, r;
    int fds[2];

    mkcfg(&dc, "piped", 256, 256, 1, 1);
    ck_assert_int_eq(OP(be.ops->create(&be, &dc, false, &a, on_done, &d)),
                     0);
    WAIT_FOR(d.calls == 1, 10000);
    ck_assert_int_eq(pipe2(fds, O_NONBLOCK), 0);
    ck_assert_int_eq(xld_loop_watch(loop, fds[0], POLLIN, drain, &pb,
                                    &pb.w), 0);
    ck_assert_int_eq(save_sync(a, fds[1], false, &d), 0);
    run_ms(20);
    xld_loop_unwatch(pb.w);
    close(fds[0]);
    close(fds[1]);
    /* 256 KiB of data: more than a pipe holds, so writes met EAGAIN. */
    ck_assert_uint_eq(pb.len, 68 + 5 + 256 * 1024 + 8);
    ck_assert(is_gone(a));

    ck_assert_int_eq(pipe2(fds, O_NONBLOCK), 0);
    ck_assert_int_eq(xld_loop_watch(loop, fds[1], POLLOUT, feed, &pb,
                                    &pb.w), 0);
    ck_assert_int_eq(restore_sync(&dc, fds[0], false, &r, &d), 0);
    if (pb.w)
        xld_loop_unwatch(pb.w);
    close(fds[0]);
    close(fds[1]);
    info_of(r, &di);
    ck_assert(di.running);
    ck_assert_str_eq(di.name, "piped");
    xld_dominfo_dispose(&di);
    free(pb.data);
    libxl_domain_config_dispose(&dc);
}
END_TEST

START_TEST(big_guest_sparse_image)
{
    libxl_domain_config dc;
    struct done d;
    char path[PATH_MAX];
    struct stat sb;
    uint32_t r;
    int fd;

    /* 64 GiB at 2 ms per GiB: quick, yet paced over many turns. */
    ck_assert_int_eq(OP(be.ops->inject(&be, "save-ms-per-gib", 0, 2)), 0);
    ck_assert_int_eq(OP(be.ops->inject(&be, "restore-ms-per-gib", 0, 2)),
                     0);
    saved_image("huge", 64 * 1024, path, sizeof(path), &dc);
    ck_assert_int_eq(stat(path, &sb), 0);
    ck_assert_int_eq(sb.st_size, (off_t)(strlen(CALLER_HDR) + 68 + 4
                                         + (64 << 20) + 8));
    /* Sparse: a marker block every 64 KiB, not 64 MiB of writes. */
    ck_assert_int_lt(sb.st_blocks * 512, 8 << 20);
    fd = image_open(path);
    ck_assert_int_eq(restore_sync(&dc, fd, false, &r, &d), 0);
    close(fd);
    ck_assert(!is_gone(r));
    libxl_domain_config_dispose(&dc);
}
END_TEST

struct ticker {
    uint64_t last;
    uint64_t max_gap;
    bool stop;
};

static void tick(void *opaque)
{
    struct ticker *t = opaque;
    uint64_t now = xld_loop_now(loop);

    if (now - t->last > t->max_gap)
        t->max_gap = now - t->last;
    t->last = now;
    if (!t->stop)
        ck_assert_int_eq(xld_loop_timer(loop, 5, tick, t, NULL), 0);
}

START_TEST(loop_stays_responsive)
{
    libxl_domain_config dc;
    struct ticker t = { 0 };
    struct done d;
    char path[PATH_MAX];
    uint32_t r;
    int fd;

    /* A 240 GiB guest saved and restored as fast as the backend goes: it
     * still gives the loop a turn every few milliseconds. */
    ck_assert_int_eq(OP(be.ops->inject(&be, "save-ms-per-gib", 0, 0)), 0);
    ck_assert_int_eq(OP(be.ops->inject(&be, "restore-ms-per-gib", 0, 0)),
                     0);
    saved_image("vast", 240 * 1024, path, sizeof(path), &dc);
    t.last = xld_loop_now(loop);
    ck_assert_int_eq(xld_loop_timer(loop, 5, tick, &t, NULL), 0);
    fd = image_open(path);
    ck_assert_int_eq(restore_sync(&dc, fd, false, &r, &d), 0);
    close(fd);
    t.stop = true;
    run_ms(10);
    ck_assert_uint_lt(t.max_gap, 250);
    ck_assert_int_ge(d.progress_calls, 2);
    libxl_domain_config_dispose(&dc);
}
END_TEST

START_TEST(libxl_defaults)
{
    libxl_domain_config dc;
    struct xld_dominfo di;
    struct done d = { 0 };
    uint32_t a;

    /* What libxl fills in for a config that leaves things out: 32 MiB,
     * one vcpu, and a uuid written back into the config. */
    libxl_domain_config_init(&dc);
    dc.c_info.name = strdup("bare");
    ck_assert(libxl_uuid_is_nil(&dc.c_info.uuid));
    ck_assert_int_eq(OP(be.ops->create(&be, &dc, false, &a, on_done, &d)),
                     0);
    ck_assert(!libxl_uuid_is_nil(&dc.c_info.uuid));
    WAIT_FOR(d.calls == 1, 10000);
    info_of(a, &di);
    ck_assert_int_eq(libxl_uuid_compare(&di.uuid, &dc.c_info.uuid), 0);
    ck_assert_uint_eq(di.current_memkb, 32 * 1024);
    ck_assert_uint_eq(di.max_memkb, 32 * 1024);
    ck_assert_int_eq(di.vcpu_online, 1);
    ck_assert_int_eq(di.vcpu_max, 1);
    xld_dominfo_dispose(&di);
    libxl_domain_config_dispose(&dc);
}
END_TEST

/* ---- state that outlives xld ------------------------------------------ */

START_TEST(reload_state)
{
    static const char ud[] = "{\"config\": \"a\"}\0binary\xff";
    struct done de = { 0 }, dc = { 0 };
    struct xld_dominfo di, *v = NULL;
    uint32_t a, b, c, s, e, f = 0, g;
    uint64_t cpu_a;
    char *data = NULL;
    size_t len = 0;
    int n = 0;

    a = create_dom("a", 256, false);
    b = create_dom("b", 256, false);
    c = create_dom("c", 256, false);
    s = create_dom("s", 256, false);
    e = create_dom("e", 256, false);
    ck_assert_int_eq(OP(be.ops->userdata_store(&be, a, ud, sizeof(ud))), 0);
    ck_assert_int_eq(OP(be.ops->userdata_retrieve(&be, b, &data, &len)),
                     -ENOENT);
    ck_assert_int_eq(OP(be.ops->userdata_store(&be, b, "b", 1)), 0);
    ck_assert_int_eq(OP(be.ops->userdata_store(&be, b, "bb", 2)), 0);
    ck_assert_int_eq(OP(be.ops->pause(&be, b)), 0);
    ck_assert_int_eq(OP(be.ops->inject(&be, "poweroff", c, 1)), 0);
    WAIT_FOR(nev == 1, 10000);
    /* s answers its request while no xld runs. */
    ck_assert_int_eq(OP(be.ops->inject(&be, "shutdown-delay-ms", s, 50)), 0);
    ck_assert_int_eq(OP(be.ops->shutdown(&be, s)), 0);
    /* e is being destroyed and f created when xld dies. */
    ck_assert_int_eq(OP(be.ops->inject(&be, "destroy-ms", 0, 100000)), 0);
    ck_assert_int_eq(OP(be.ops->destroy(&be, e, on_done, &de)), 0);
    ck_assert_int_eq(OP(be.ops->inject(&be, "create-ms", 0, 100000)), 0);
    ck_assert_int_eq(create_start("f", 256, false, &f, &dc), 0);
    info_of(a, &di);
    cpu_a = di.cpu_time_ns;
    xld_dominfo_dispose(&di);

    close_be();
    nev = 0;
    usleep(150 * 1000);
    open_be(&be, NULL);

    ck_assert_int_eq(OP(be.ops->list(&be, &v, &n)), 0);
    ck_assert_int_eq(n, 5);
    ck_assert_uint_eq(v[0].domid, 0);
    ck_assert_uint_eq(v[1].domid, a);
    ck_assert_str_eq(v[1].name, "a");
    ck_assert(v[1].running);
    ck_assert_uint_gt(v[1].cpu_time_ns, cpu_a);
    ck_assert_uint_eq(v[2].domid, b);
    ck_assert(v[2].paused);
    ck_assert_uint_eq(v[3].domid, c);
    ck_assert(v[3].shutdown);
    ck_assert_int_eq(v[3].shutdown_reason, LIBXL_SHUTDOWN_REASON_POWEROFF);
    ck_assert_uint_eq(v[4].domid, s);
    ck_assert(v[4].shutdown);
    ck_assert_int_eq(v[4].shutdown_reason, LIBXL_SHUTDOWN_REASON_POWEROFF);
    for (int i = 0; i < n; i++)
        xld_dominfo_dispose(&v[i]);
    free(v);
    ck_assert(is_gone(e));
    ck_assert(is_gone(f));

    ck_assert_int_eq(OP(be.ops->userdata_retrieve(&be, a, &data, &len)), 0);
    ck_assert_uint_eq(len, sizeof(ud));
    ck_assert_int_eq(memcmp(data, ud, len), 0);
    free(data);
    ck_assert_int_eq(OP(be.ops->userdata_retrieve(&be, b, &data, &len)), 0);
    ck_assert_uint_eq(len, 2);
    ck_assert_str_eq(data, "bb");
    free(data);
    ck_assert_int_eq(OP(be.ops->userdata_retrieve(&be, c, &data, &len)),
                     -ENOENT);
    ck_assert_int_eq(OP(be.ops->userdata_retrieve(&be, 0, &data, &len)),
                     -ENOENT);

    /* The new xld hears of the domains that are shut down, from the loop;
     * the old one's done() is never called. */
    ck_assert_int_eq(nev, 0);
    WAIT_FOR(nev == 2, 10000);
    ck_assert_int_eq(count_ev(XLD_BE_DOMAIN_SHUTDOWN, c,
                              LIBXL_SHUTDOWN_REASON_POWEROFF), 1);
    ck_assert_int_eq(count_ev(XLD_BE_DOMAIN_SHUTDOWN, s,
                              LIBXL_SHUTDOWN_REASON_POWEROFF), 1);
    run_ms(20);
    ck_assert_int_eq(de.calls + dc.calls, 0);

    /* The host remembers its timings and its domids. */
    ck_assert_int_eq(OP(be.ops->inject(&be, "create-ms", 0, 10)), 0);
    g = create_dom("g", 256, false);
    ck_assert_uint_eq(g, f + 1);
    /* The paused guest can be resumed, the stopped one destroyed. */
    ck_assert_int_eq(OP(be.ops->unpause(&be, b)), 0);
    ck_assert_int_eq(OP(be.ops->inject(&be, "destroy-ms", 0, 10)), 0);
    destroy_dom(c);

    /* A destroyed domain's userdata does not come back. */
    reopen(NULL);
    ck_assert(is_gone(c));
    ck_assert_int_eq(OP(be.ops->userdata_retrieve(&be, a, &data, &len)), 0);
    free(data);
    info_of(b, &di);
    ck_assert(di.running);
    xld_dominfo_dispose(&di);
}
END_TEST

START_TEST(survives_kill_9)
{
    struct xld_dominfo di;
    char *data = NULL;
    size_t len = 0;
    uint32_t a = 0;
    int status;
    pid_t pid;

    /* The real thing: an xld process that dies without closing. */
    close_be();
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        open_be(&be, NULL);
        a = create_dom("k", 256, false);
        ck_assert_uint_eq(a, 1);
        ck_assert_int_eq(OP(be.ops->userdata_store(&be, a, "cfg", 3)), 0);
        ck_assert_int_eq(OP(be.ops->inject(&be, "shutdown-delay-ms", a, 100)),
                         0);
        ck_assert_int_eq(OP(be.ops->reboot(&be, a)), 0);
        raise(SIGKILL);
    }
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    open_be(&be, NULL);
    ck_assert_int_eq(OP(be.ops->userdata_retrieve(&be, 1, &data, &len)), 0);
    ck_assert_uint_eq(len, 3);
    ck_assert_str_eq(data, "cfg");
    free(data);
    /* Its reboot request is answered, by now or soon. */
    WAIT_FOR(count_ev(XLD_BE_DOMAIN_SHUTDOWN, 1,
                      LIBXL_SHUTDOWN_REASON_REBOOT) == 1, 10000);
    info_of(1, &di);
    ck_assert_str_eq(di.name, "k");
    ck_assert(di.shutdown);
    xld_dominfo_dispose(&di);
}
END_TEST

START_TEST(corrupt_state_file)
{
    char path[PATH_MAX], opts[PATH_MAX];
    FILE *f;

    create_dom("ok", 128, false);
    close_be();
    /* A record cut short: the state of this hypervisor cannot be trusted,
     * and open() says so rather than lose a domain quietly. */
    snprintf(path, sizeof(path), "%s/domain-5.json", dir);
    f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs("{\"domid\": 5, \"name\": ", f);
    fclose(f);
    snprintf(opts, sizeof(opts), "dir=%s", dir);
    be.ops = &xld_backend_sim_ops;
    ck_assert_int_eq(OP(be.ops->open(&be, loop, opts, on_event, NULL)),
                     -EINVAL);
    ck_assert_ptr_null(be.priv);
    /* Without the damaged file, the rest is there. */
    unlink(path);
    open_be(&be, NULL);
    ck_assert(!is_gone(1));
}
END_TEST

START_TEST(close_from_a_callback)
{
    uint32_t a = create_dom("x1", 128, false);
    uint32_t b = create_dom("x2", 128, false);

    /* Two events queued; the first closes the backend from inside its
     * callback: the second must never come. */
    ck_assert_int_eq(OP(be.ops->inject(&be, "crash", a, 1)), 0);
    ck_assert_int_eq(OP(be.ops->inject(&be, "crash", b, 1)), 0);
    close_in_event = true;
    run_ms(100);
    ck_assert_ptr_null(be.priv);
    ck_assert_int_eq(nev, 1);
}
END_TEST

START_TEST(close_with_work_in_flight)
{
    struct done d1 = { 0 }, d2 = { 0 };
    struct xld_dominfo di;
    char path[PATH_MAX];
    uint32_t a, x;
    int fd;

    /* close() with operations in flight: nothing is called after it.
     * They are slow enough not to end before close(), however busy the
     * machine that runs the test. */
    a = create_dom("w", 1024, false);
    ck_assert_int_eq(OP(be.ops->inject(&be, "create-ms", 0, 100000)), 0);
    ck_assert_int_eq(OP(be.ops->inject(&be, "save-ms-per-gib", 0, 100000)),
                     0);
    fd = image_file(path, sizeof(path));
    ck_assert_int_eq(OP(be.ops->save(&be, a, fd, false, on_progress,
                                     on_done, &d1)), 0);
    ck_assert_int_eq(create_start("w2", 128, false, &x, &d2), 0);
    run_ms(30);
    close_be();
    run_ms(300);
    close(fd);
    ck_assert_int_eq(d1.calls, 0);
    ck_assert_int_eq(d2.calls, 0);
    /* The save was abandoned: the guest runs on; the create rolled back. */
    open_be(&be, NULL);
    info_of(a, &di);
    ck_assert(di.running);
    xld_dominfo_dispose(&di);
    ck_assert(is_gone(x));
}
END_TEST

/* ---- the guest's console -------------------------------------------- */

/* What the ring holds, NUL-terminated, in a static buffer. */
static const char *ring_text(const struct xld_simcon_ring *r)
{
    static char out[XLD_SIMCON_LOG_SIZE + 1];
    size_t n = xld_simcon_ring_get(r, out, XLD_SIMCON_LOG_SIZE);

    out[n] = '\0';
    return out;
}

START_TEST(console_ring)
{
    struct xld_simcon_ring r;
    static char big[XLD_SIMCON_LOG_SIZE + 100], want[6000];
    char out[16];
    size_t n = 0;

    xld_simcon_ring_init(&r);
    ck_assert_uint_eq(xld_simcon_ring_get(&r, out, sizeof(out)), 0);
    ck_assert_int_eq(xld_simcon_ring_put(&r, "hello", 5), 0);
    ck_assert_str_eq(ring_text(&r), "hello");
    /* Less room than it holds: the newest bytes. */
    ck_assert_uint_eq(xld_simcon_ring_get(&r, out, 3), 3);
    ck_assert_int_eq(memcmp(out, "llo", 3), 0);

    /* More than the ring in one write: its end, oldest first. */
    for (size_t i = 0; i < sizeof(big); i++)
        big[i] = (char)('a' + i % 23);
    ck_assert_int_eq(xld_simcon_ring_put(&r, big, sizeof(big)), 0);
    ck_assert_uint_eq(r.len, XLD_SIMCON_LOG_SIZE);
    ck_assert_int_eq(memcmp(ring_text(&r), big + 100, XLD_SIMCON_LOG_SIZE),
                     0);
    xld_simcon_ring_dispose(&r);

    /* Many small writes across the end of the buffer: the oldest bytes
     * go, in order. */
    xld_simcon_ring_init(&r);
    for (int i = 0; i < 1000; i++) {
        char line[8];

        snprintf(line, sizeof(line), "%04d\n", i);
        ck_assert_int_eq(xld_simcon_ring_put(&r, line, 5), 0);
        memcpy(want + n, line, 5);
        n += 5;
    }
    want[n] = '\0';
    ck_assert_str_eq(ring_text(&r), want + n - XLD_SIMCON_LOG_SIZE);
    xld_simcon_ring_dispose(&r);
    ck_assert_ptr_null(r.buf);
}
END_TEST

static char con_lines[8][XLD_SIMCON_LINE_MAX + 1];
static int con_nlines;

static void on_con_line(void *opaque, const char *line)
{
    (void)opaque;
    ck_assert_int_lt(con_nlines, 8);
    ck_assert_uint_le(strlen(line), XLD_SIMCON_LINE_MAX);
    strcpy(con_lines[con_nlines++], line);
}

START_TEST(console_line_discipline)
{
    struct xld_simcon c;
    char longline[300];
    const char *t;

    con_nlines = 0;
    xld_simcon_init(&c, loop, on_con_line, NULL);
    /* Echo, backspace, and "\r\n" as one end of line. */
    xld_simcon_input(&c, "ab\x7f" "c\r\n", 6);
    ck_assert_int_eq(con_nlines, 1);
    ck_assert_str_eq(con_lines[0], "ac");
    ck_assert_str_eq(ring_text(&c.log), "ab\b \bc\r\n");
    /* Control characters are not taken; "\n" alone ends a line. */
    xld_simcon_input(&c, "\x01\x1b" "d\n", 4);
    ck_assert_int_eq(con_nlines, 2);
    ck_assert_str_eq(con_lines[1], "d");
    /* A backspace takes a whole UTF-8 character; an empty line is a
     * line; nothing to erase echoes nothing. */
    xld_simcon_input(&c, "\xc3\xa9\x7f" "e\r\r\x7f", 7);
    ck_assert_int_eq(con_nlines, 4);
    ck_assert_str_eq(con_lines[2], "e");
    ck_assert_str_eq(con_lines[3], "");
    ck_assert_str_eq(ring_text(&c.log), "ab\b \bc\r\nd\r\n\xc3\xa9\b \be"
                     "\r\n\r\n");
    /* A line longer than the guest keeps is cut. */
    memset(longline, 'x', sizeof(longline) - 1);
    longline[sizeof(longline) - 1] = '\r';
    xld_simcon_input(&c, longline, sizeof(longline));
    ck_assert_int_eq(con_nlines, 5);
    ck_assert_uint_eq(strlen(con_lines[4]), XLD_SIMCON_LINE_MAX);
    /* Lines of the guest's own, with "\r\n"; a kernel's with its time. */
    xld_simcon_printf(&c, "x%d", 5);
    t = ring_text(&c.log);
    ck_assert_str_eq(t + strlen(t) - 4, "x5\r\n");
    xld_simcon_boot(&c);
    xld_simcon_kmsg(&c, "hi");
    t = ring_text(&c.log);
    ck_assert_str_eq(t + strlen(t) - 6, "] hi\r\n");
    ck_assert_int_eq(strncmp(t + strlen(t) - 19, "[    0.00", 9), 0);
    xld_simcon_dispose(&c);
}
END_TEST

/* Read the console's tty, running the loop, until what was read (kept
 * in out, NUL-terminated) holds want; fails after ms. */
static void con_until(int fd, char *out, size_t size, const char *want,
                      uint64_t ms)
{
    uint64_t end = xld_loop_now(loop) + ms;
    size_t len = strlen(out);

    while (!strstr(out, want) && xld_loop_now(loop) < end) {
        ssize_t n;

        /* A long output keeps its end, where want is to come. */
        if (len > size / 2) {
            memmove(out, out + len - 1024, 1024);
            len = 1024;
            out[len] = '\0';
        }
        n = read(fd, out + len, size - 1 - len);

        if (n > 0) {
            len += (size_t)n;
            out[len] = '\0';
            continue;
        }
        run_ms(2);
    }
    /* check's messages are short: the end of what was read. */
    ck_assert_msg(strstr(out, want) != NULL, "console: no \"%s\" in "
                  "\"...%s\"", want, out + (len > 200 ? len - 200 : 0));
}

/* Attach to a console as a client does; returns the tty's fd. */
static int con_open(uint32_t domid, libxl_console_type type)
{
    char *path = NULL;
    int fd;

    ck_assert_int_eq(OP(be.ops->console_tty(&be, domid, 0, type, &path)),
                     0);
    ck_assert_ptr_nonnull(path);
    fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK);
    ck_assert_int_ge(fd, 0);
    free(path);
    return fd;
}

/* The console's tty ends: end of file or EIO, once the pty is closed. */
static bool con_ended(int fd)
{
    char buf[4096];
    ssize_t n;

    while ((n = read(fd, buf, sizeof(buf))) > 0)
        ;
    return n == 0 || errno == EIO;
}

static int count_of(const char *s, const char *what)
{
    int n = 0;

    for (const char *p = s; (p = strstr(p, what)); p += strlen(what))
        n++;
    return n;
}

START_TEST(console_of_a_guest)
{
    static char buf[16384];
    char want[128], *path = (char *)"x";
    uint32_t a = create_dom("con1", 128, false);
    int fd;

    /* What is not there. */
    ck_assert_int_eq(OP(be.ops->console_tty(&be, a, 0,
                                            LIBXL_CONSOLE_TYPE_SERIAL,
                                            &path)), -ENOENT);
    ck_assert_ptr_null(path);
    ck_assert_int_eq(OP(be.ops->console_tty(&be, a, 0,
                                            LIBXL_CONSOLE_TYPE_VUART,
                                            &path)), -ENOENT);
    ck_assert_int_eq(OP(be.ops->console_tty(&be, a, 1,
                                            LIBXL_CONSOLE_TYPE_PV, &path)),
                     -ENOENT);
    ck_assert_int_eq(OP(be.ops->console_tty(&be, 0, 0,
                                            LIBXL_CONSOLE_TYPE_PV, &path)),
                     -ENOENT);
    ck_assert_int_eq(OP(be.ops->console_tty(&be, 4321, 0,
                                            LIBXL_CONSOLE_TYPE_PV, &path)),
                     -ENOENT);

    /* The boot, then what is typed comes back. */
    fd = con_open(a, LIBXL_CONSOLE_TYPE_PV);
    buf[0] = '\0';
    con_until(fd, buf, sizeof(buf), "con1 login: ", 2000);
    snprintf(want, sizeof(want), "Xen: pv guest con1, domid %u, 128 MiB, "
             "2 vcpus\r\n", a);
    ck_assert_ptr_nonnull(strstr(buf, want));
    ck_assert_ptr_nonnull(strstr(buf, "console=hvc0"));
    ck_assert_int_eq(write(fd, "hello\r", 6), 6);
    buf[0] = '\0';
    con_until(fd, buf, sizeof(buf), "sim: con1: hello\r\ncon1 login: ",
              2000);
    ck_assert_int_eq(strncmp(buf, "hello\r\n", 7), 0);
    close(fd);

    /* Another client: the log, once, with what came before. */
    fd = con_open(a, LIBXL_CONSOLE_TYPE_PV);
    buf[0] = '\0';
    con_until(fd, buf, sizeof(buf), "sim: con1: hello\r\ncon1 login: ",
              2000);
    ck_assert_int_eq(count_of(buf, "Linux version"), 1);

    /* A paused guest reads nothing; once unpaused, it does. */
    ck_assert_int_eq(OP(be.ops->pause(&be, a)), 0);
    ck_assert_int_eq(write(fd, "later\r", 6), 6);
    buf[0] = '\0';
    run_ms(100);
    ck_assert_int_lt(read(fd, buf, sizeof(buf) - 1), 0);
    ck_assert_int_eq(OP(be.ops->unpause(&be, a)), 0);
    buf[0] = '\0';
    con_until(fd, buf, sizeof(buf), "sim: con1: later", 2000);

    /* The guest's last words, then the tty ends with the domain. */
    ck_assert_int_eq(OP(be.ops->inject(&be, "crash", a, 1)), 0);
    con_until(fd, buf, sizeof(buf), "Kernel panic - not syncing", 2000);
    destroy_dom(a);
    ck_assert(con_ended(fd));
    close(fd);
}
END_TEST

START_TEST(console_serial_of_hvm)
{
    libxl_domain_config dc;
    struct done d = { 0 };
    static char buf[8192];
    uint32_t a;
    int fd;

    /* Built paused: it boots, and writes so, when unpaused. */
    mkcfg(&dc, "hvm1", 256, 256, 1, 1);
    dc.c_info.type = LIBXL_DOMAIN_TYPE_HVM;
    ck_assert_int_eq(OP(be.ops->create(&be, &dc, true, &a, on_done, &d)),
                     0);
    libxl_domain_config_dispose(&dc);
    WAIT_FOR(d.calls == 1, 10000);
    fd = con_open(a, LIBXL_CONSOLE_TYPE_SERIAL);
    buf[0] = '\0';
    run_ms(50);
    ck_assert_int_lt(read(fd, buf, sizeof(buf) - 1), 0);
    ck_assert_int_eq(OP(be.ops->unpause(&be, a)), 0);
    con_until(fd, buf, sizeof(buf), "hvm1 login: ", 2000);
    ck_assert_ptr_nonnull(strstr(buf, "console=ttyS0"));
    ck_assert_ptr_nonnull(strstr(buf, "hvm guest hvm1"));
    ck_assert_ptr_nonnull(strstr(buf, "256 MiB, 1 vcpu\r\n"));
    close(fd);
    /* The PV console is the same line. */
    fd = con_open(a, LIBXL_CONSOLE_TYPE_PV);
    buf[0] = '\0';
    con_until(fd, buf, sizeof(buf), "hvm1 login: ", 2000);
    close(fd);
    destroy_dom(a);
}
END_TEST

START_TEST(console_nobody_reads)
{
    static char flood[65536], buf[16384];
    uint32_t a = create_dom("con2", 128, false);
    uint64_t start;
    struct xld_dominfo di;
    int fd = con_open(a, LIBXL_CONSOLE_TYPE_PV);

    /* Input, a lot of it, and the echo never read: xld drops what the
     * pty has no room for and goes on; each turn of the loop stays
     * short. */
    memset(flood, 'y', sizeof(flood));
    for (size_t i = 0; i < sizeof(flood) / 256; i++)
        flood[i * 256 + 255] = '\r';
    for (int i = 0; i < 32; i++) {
        ssize_t n = write(fd, flood, sizeof(flood));

        (void)n;
        start = xld_loop_now(loop);
        run_ms(5);
        ck_assert_uint_lt(xld_loop_now(loop) - start, 1000);
    }
    info_of(a, &di);
    ck_assert(di.running);
    xld_dominfo_dispose(&di);
    close(fd);

    /* A new client sees the end of it, and the guest still answers. */
    fd = con_open(a, LIBXL_CONSOLE_TYPE_PV);
    buf[0] = '\0';
    con_until(fd, buf, sizeof(buf), "con2 login: ", 2000);
    ck_assert_int_le(strlen(buf), XLD_SIMCON_LOG_SIZE + 4096);
    ck_assert_int_eq(write(fd, "still\r", 6), 6);
    con_until(fd, buf, sizeof(buf), "sim: con2: still", 2000);
    close(fd);
}
END_TEST

START_TEST(console_save_restore_reload)
{
    libxl_domain_config dc;
    struct done d = { 0 };
    static char buf[16384];
    char path[PATH_MAX];
    uint32_t a, r;
    int fd, img;

    mkcfg(&dc, "con3", 128, 128, 2, 2);
    ck_assert_int_eq(OP(be.ops->create(&be, &dc, false, &a, on_done, &d)),
                     0);
    WAIT_FOR(d.calls == 1, 10000);
    fd = con_open(a, LIBXL_CONSOLE_TYPE_PV);
    buf[0] = '\0';
    con_until(fd, buf, sizeof(buf), "con3 login: ", 2000);

    /* A checkpoint: the guest stops, then goes on. */
    img = image_file(path, sizeof(path));
    ck_assert_int_eq(save_sync(a, img, true, &d), 0);
    con_until(fd, buf, sizeof(buf), "Freezing user space processes", 2000);
    con_until(fd, buf, sizeof(buf), "Restarting tasks ... done.", 2000);
    close(img);

    /* A save ends the domain, and its tty; the restored guest says it
     * is back. */
    img = image_file(path, sizeof(path));
    ck_assert_int_eq(save_sync(a, img, false, &d), 0);
    ck_assert(con_ended(fd));
    close(fd);
    close(img);
    img = image_open(path);
    ck_assert_int_eq(restore_sync(&dc, img, false, &r, &d), 0);
    close(img);
    fd = con_open(r, LIBXL_CONSOLE_TYPE_PV);
    buf[0] = '\0';
    con_until(fd, buf, sizeof(buf), "con3 login: ", 2000);
    ck_assert_ptr_nonnull(strstr(buf, "restored"));
    ck_assert_ptr_null(strstr(buf, "Linux version"));

    /* A new xld: the log was its predecessor's, the tty too; the guest
     * still answers on a new one. */
    reopen(NULL);
    ck_assert(con_ended(fd));
    close(fd);
    fd = con_open(r, LIBXL_CONSOLE_TYPE_PV);
    ck_assert_int_eq(write(fd, "again\r", 6), 6);
    buf[0] = '\0';
    con_until(fd, buf, sizeof(buf), "sim: con3: again\r\ncon3 login: ",
              2000);
    close(fd);
    libxl_domain_config_dispose(&dc);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("sim");
    TCase *tc = tcase_create("backend");
    SRunner *sr;
    int failed;

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, host_and_dom0);
    tcase_add_test(tc, bad_options_and_lock);
    tcase_add_test(tc, create_list_destroy);
    tcase_add_test(tc, pause_unpause);
    tcase_add_test(tc, shutdown_with_delay);
    tcase_add_test(tc, reboot_request);
    tcase_add_test(tc, paused_guest_answers_when_unpaused);
    tcase_add_test(tc, ignore_shutdown);
    tcase_add_test(tc, injected_guest_actions);
    tcase_add_test(tc, memory_at_the_host_limit);
    tcase_add_test(tc, thousand_domains);
    tcase_add_test(tc, vcpus);
    tcase_add_test(tc, placement_and_sched);
    tcase_add_test(tc, memory_target_and_max);
    tcase_add_test(tc, rename_domain);
    tcase_add_test(tc, preserve_domain);
    tcase_add_test(tc, core_dump);
    tcase_add_test(tc, soft_reset);
    tcase_add_test(tc, no_pv_control_and_triggers);
    tcase_add_test(tc, sysrq_keys);
    tcase_add_test(tc, spawn_foreign);
    tcase_add_test(tc, save_and_restore);
    tcase_add_test(tc, corrupt_images);
    tcase_add_test(tc, fail_next);
    tcase_add_test(tc, save_and_restore_through_pipes);
    tcase_add_test(tc, big_guest_sparse_image);
    tcase_add_test(tc, loop_stays_responsive);
    tcase_add_test(tc, libxl_defaults);
    tcase_add_test(tc, reload_state);
    tcase_add_test(tc, survives_kill_9);
    tcase_add_test(tc, corrupt_state_file);
    tcase_add_test(tc, close_from_a_callback);
    tcase_add_test(tc, close_with_work_in_flight);
    tcase_add_test(tc, console_ring);
    tcase_add_test(tc, console_line_discipline);
    tcase_add_test(tc, console_of_a_guest);
    tcase_add_test(tc, console_serial_of_hvm);
    tcase_add_test(tc, console_nobody_reads);
    tcase_add_test(tc, console_save_restore_reload);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_ENV);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
