/*
 * backend_libxl.c - the "libxl" backend: xld on a real Xen dom0, through
 * one libxl context for the whole daemon.  It implements every op of
 * backend.h but inject.
 *
 * The loop.  libxl does its waiting through xld's poll loop: its file
 * descriptors and timeouts are registered with libxl_osevent_register_
 * hooks and become loop watches and timers (struct xld_lx_osev), and
 * the loop hands what happens back with libxl_osevent_occurred_fd and
 * _timeout.  libxl's rules for timeouts: a timeout fires exactly once,
 * it is forgotten by the application before it fires, and
 * timeout_modify is only ever "now" ({0,0}).
 *
 * Callbacks.  Everything libxl tells us (an asynchronous operation
 * ended, a guest shut down or died, progress) arrives inside a libxl
 * call, where calling xld back is unsafe: xld may call any op from its
 * callbacks, close() included, and libxl_ctx_free must not run inside
 * libxl.  So every such report becomes a note on one queue, drained by
 * a 0-ms loop timer one note per turn, the callback into xld being the
 * last thing each turn does.  That also keeps backend.h's promise that
 * done() is never called from inside the op that started the work,
 * even when libxl completes an operation before its initiating call
 * returns.
 *
 * Long operations.  create, restore, save, destroy, core_dump and
 * soft_reset run as libxl asynchronous operations (libxl_asyncop_how
 * with a callback).  Where xl follows one libxl operation with another,
 * so does this backend, from the note queue (outside libxl): a created
 * or restored domain is unpaused unless asked to stay paused (libxl
 * builds domains paused); a saved domain is destroyed, or resumed when
 * the save is a checkpoint or failed.  Progress: libxl reports the
 * memory copy of save and restore through its logger's progress
 * callback; with one save or restore running, that becomes xld's
 * progress, and every save and restore reports done == total at the
 * end.  libxl writes the domid of a new domain only when create or
 * restore ends; backend.h wants it as soon as the domain exists, so the
 * domain is recognised earlier by its uuid in any list taken meanwhile,
 * or by libxl's "console available" progress report.
 *
 * Guest events.  A domain death evgen (libxl_evenable_domain_death) is
 * enabled for every domain but Domain-0 that the backend sees: at open,
 * in every list, and after a create or restore.  DOMAIN_SHUTDOWN (with
 * its reason) and DOMAIN_DEATH become xld's backend events; the evgen
 * of a dead domain is disabled.  libxl reports a domain that is already
 * shut down when its evgen is enabled, which is how a restarted xld
 * learns of the shutdowns it missed.
 *
 * Child processes.  libxl forks (the save/restore helper, hotplug
 * scripts, the device model, the bootloader).  xld's only child of its
 * own is a migration's transport (migrate.c), which it reaps by pid with
 * waitpid(WNOHANG), and xld never touches SIGCHLD (its signalfd takes
 * SIGTERM, SIGINT and SIGHUP only): libxl owns SIGCHLD and reaps only
 * its own children (libxl_sigchld_owner_libxl_always_selective_reap;
 * the plain libxl mode would reap the transport with waitpid(-1) while
 * a save runs, which is exactly when the transport runs).  Its children
 * must not inherit what xld did to its signals, though: xld blocks
 * SIGTERM, SIGINT and SIGHUP for its signalfd and ignores SIGPIPE, and
 * a blocked or ignored signal stays so across exec, which would leave a
 * device model or a hotplug script deaf to libxl's SIGTERM and SIGHUP.
 * The fork replacement undoes both in the child.
 *
 * Errors: libxl's ERROR_* codes become negative errno values through
 * one table (xld_lx_errno).  libxl's own log lines go to xld's log,
 * at the matching level, prefixed "libxl:".
 *
 * close() with operations still inside libxl (xld stopping after its
 * grace period) abandons them: libxl_ctx_free may not run while libxl
 * has work in flight (it asserts so), and the process is about to exit,
 * so the context is left to the exit.
 */
#define _GNU_SOURCE

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/time.h>
#include <unistd.h>

#include <libxl.h>
#include <libxl_event.h>
#include <libxl_utils.h>
#include <xentoollog.h>

#include "backend.h"
#include "backend_libxl_int.h"
#include "log.h"
#include "loop.h"
#include "stats.h"

#define ARRAY_SIZE(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* Where a dom0 has the hypercall device, and where xenstored listens. */
#define LX_PRIVCMD "/dev/xen/privcmd"

/* xl writes its images as a libxl stream of version 2
 * (XL_MANDATORY_FLAG_STREAMv2), and so does libxl_domain_suspend. */
#define LX_STREAM_VERSION 2

/* ---- the error table ------------------------------------------------ */

static const struct {
    int lxrc;
    int err;
} lx_errors[] = {
    { ERROR_NONSPECIFIC, EIO },
    { ERROR_VERSION, EPROTO },
    { ERROR_FAIL, EIO },
    { ERROR_NI, EOPNOTSUPP },
    { ERROR_NOMEM, ENOMEM },
    { ERROR_INVAL, EINVAL },
    { ERROR_BADFAIL, EIO },
    { ERROR_GUEST_TIMEDOUT, ETIMEDOUT },
    { ERROR_TIMEDOUT, ETIMEDOUT },
    /* The guest has no PV control to ask: backend.h's -EOPNOTSUPP, after
     * which shutdown -F falls back to a trigger. */
    { ERROR_NOPARAVIRT, EOPNOTSUPP },
    { ERROR_NOT_READY, EAGAIN },
    { ERROR_OSEVENT_REG_FAIL, EIO },
    { ERROR_BUFFERFULL, ENOBUFS },
    { ERROR_UNKNOWN_CHILD, ECHILD },
    { ERROR_LOCK_FAIL, EBUSY },
    /* No libxl-json stored for the domain: nothing to retrieve. */
    { ERROR_JSON_CONFIG_EMPTY, ENOENT },
    { ERROR_DEVICE_EXISTS, EEXIST },
    { ERROR_CHECKPOINT_DEVOPS_DOES_NOT_MATCH, EINVAL },
    { ERROR_CHECKPOINT_DEVICE_NOT_SUPPORTED, EOPNOTSUPP },
    { ERROR_VNUMA_CONFIG_INVALID, EINVAL },
    { ERROR_DOMAIN_NOTFOUND, ENOENT },
    { ERROR_ABORTED, ECANCELED },
    { ERROR_NOTFOUND, ENOENT },
    /* The domain went away under the operation: for xld, it is gone. */
    { ERROR_DOMAIN_DESTROYED, ENOENT },
    { ERROR_FEATURE_REMOVED, EOPNOTSUPP },
    { ERROR_PROTOCOL_ERROR_QMP, EPROTO },
    { ERROR_UNKNOWN_QMP_ERROR, EIO },
    { ERROR_QMP_GENERIC_ERROR, EIO },
    { ERROR_QMP_COMMAND_NOT_FOUND, EOPNOTSUPP },
    { ERROR_QMP_DEVICE_NOT_ACTIVE, ENODEV },
    { ERROR_QMP_DEVICE_NOT_FOUND, ENODEV },
    { ERROR_QEMU_API, EOPNOTSUPP },
};

bool xld_lx_errno_known(int lxrc)
{
    for (int i = 0; i < ARRAY_SIZE(lx_errors); i++)
        if (lx_errors[i].lxrc == lxrc)
            return true;
    return false;
}

int xld_lx_errno(int lxrc)
{
    if (lxrc == 0)
        return 0;
    /* A positive value is an errno one of our osevent hooks returned,
     * which libxl passes up unchanged. */
    if (lxrc > 0)
        return -lxrc;
    for (int i = 0; i < ARRAY_SIZE(lx_errors); i++)
        if (lx_errors[i].lxrc == lxrc)
            return -lx_errors[i].err;
    /* A code newer than this table: a failure all the same. */
    return -EIO;
}

/* ---- pure helpers ----------------------------------------------------- */

bool xld_lx_userdata_id_ok(const char *id)
{
    static const char *const reserved[] = {
        "xl", "libvirt-xml", "libxl-json", "domain-userdata-lock",
    };
    size_t len;

    if (!id)
        return false;
    len = strlen(id);
    if (len == 0 || len > 32)
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)id[i];

        if (c <= ' ' || c >= 0x7f || c == '/' || c == '.')
            return false;
    }
    for (int i = 0; i < ARRAY_SIZE(reserved); i++)
        if (!strcmp(id, reserved[i]))
            return false;
    return true;
}

bool xld_lx_translate_event(const libxl_event *ev,
                            struct xld_backend_event *out)
{
    memset(out, 0, sizeof(*out));
    out->domid = ev->domid;
    switch (ev->type) {
    case LIBXL_EVENT_TYPE_DOMAIN_SHUTDOWN:
        out->type = XLD_BE_DOMAIN_SHUTDOWN;
        /* Xen's reason codes past the ones libxl names (a newer Xen)
         * are reasons xld cannot act on: unknown. */
        out->reason = ev->u.domain_shutdown.shutdown_reason
                      <= LIBXL_SHUTDOWN_REASON_SOFT_RESET
                      ? (libxl_shutdown_reason)
                        ev->u.domain_shutdown.shutdown_reason
                      : LIBXL_SHUTDOWN_REASON_UNKNOWN;
        return true;
    case LIBXL_EVENT_TYPE_DOMAIN_DEATH:
        out->type = XLD_BE_DOMAIN_DEATH;
        out->reason = LIBXL_SHUTDOWN_REASON_UNKNOWN;
        return true;
    default:
        return false;
    }
}

enum xld_log_level xld_lx_log_level(xentoollog_level level)
{
    switch (level) {
    case XTL_CRITICAL:
    case XTL_ERROR:
        return XLD_LOG_ERR;
    case XTL_WARN:
        return XLD_LOG_WARNING;
    case XTL_NOTICE:
        return XLD_LOG_NOTICE;
    case XTL_INFO:
        return XLD_LOG_INFO;
    default:
        /* Debug, verbose, detail and progress lines are many: -v. */
        return XLD_LOG_DEBUG;
    }
}

uint64_t xld_lx_timeout_ms(struct timeval abs, struct timeval now)
{
    int64_t us;

    if (abs.tv_sec == 0 && abs.tv_usec == 0)
        return 0;
    us = ((int64_t)abs.tv_sec - (int64_t)now.tv_sec) * 1000000
         + ((int64_t)abs.tv_usec - (int64_t)now.tv_usec);
    if (us <= 0)
        return 0;
    return ((uint64_t)us + 999) / 1000;
}

/* ---- libxl's fds and timeouts on the loop ----------------------------- */

struct xld_lx_fdreg {
    LIST_ENTRY(xld_lx_fdreg) link;
    struct xld_lx_osev *os;
    int fd;
    short events;
    void *for_libxl;
    struct xld_watch *w;      /* NULL while events is 0 */
};

struct xld_lx_timereg {
    LIST_ENTRY(xld_lx_timereg) link;
    struct xld_lx_osev *os;
    void *for_libxl;
    struct xld_timer *t;
};

void xld_lx_osev_init(struct xld_lx_osev *os, struct xld_loop *loop,
                      xld_lx_fire_fd_fn *fire_fd,
                      xld_lx_fire_timeout_fn *fire_timeout, void *opaque)
{
    memset(os, 0, sizeof(*os));
    os->loop = loop;
    os->fire_fd = fire_fd;
    os->fire_timeout = fire_timeout;
    os->opaque = opaque;
    LIST_INIT(&os->fds);
    LIST_INIT(&os->timeouts);
}

static void fdreg_free(struct xld_lx_fdreg *r)
{
    xld_loop_unwatch(r->w);
    LIST_REMOVE(r, link);
    r->os->nfds--;
    free(r);
}

static void timereg_free(struct xld_lx_timereg *r)
{
    xld_loop_cancel(r->t);
    LIST_REMOVE(r, link);
    r->os->ntimeouts--;
    free(r);
}

void xld_lx_osev_dispose(struct xld_lx_osev *os)
{
    while (!LIST_EMPTY(&os->fds))
        fdreg_free(LIST_FIRST(&os->fds));
    while (!LIST_EMPTY(&os->timeouts))
        timereg_free(LIST_FIRST(&os->timeouts));
}

static void osev_fd_ready(void *opaque, int fd, short revents)
{
    struct xld_lx_fdreg *r = opaque;
    struct xld_lx_osev *os = r->os;

    /* poll reports errors and hangups whatever was asked; libxl wants
     * those too, but nothing beyond what it registered for. */
    revents &= (short)(r->events | POLLERR | POLLHUP | POLLNVAL);
    if (!revents)
        return;
    /* Last: libxl may deregister (free) r from inside. */
    os->fire_fd(os->opaque, r->for_libxl, fd, r->events, revents);
}

/* Watch fd for events, or stop watching it for 0: poll would still
 * report a hangup on an fd watched for nothing, again and again. */
static int fdreg_arm(struct xld_lx_fdreg *r, short events)
{
    int rc;

    if (!events) {
        xld_loop_unwatch(r->w);
        r->w = NULL;
    } else if (r->w) {
        xld_loop_watch_events(r->w, events);
    } else {
        rc = xld_loop_watch(r->os->loop, r->fd, events, osev_fd_ready, r,
                            &r->w);
        if (rc)
            return rc;
    }
    r->events = events;
    return 0;
}

static int hook_fd_register(void *user, int fd, void **reg_out,
                            short events, void *for_libxl)
{
    struct xld_lx_osev *os = user;
    struct xld_lx_fdreg *r = calloc(1, sizeof(*r));
    int rc;

    if (!r)
        return ENOMEM;
    r->os = os;
    r->fd = fd;
    r->for_libxl = for_libxl;
    rc = fdreg_arm(r, events);
    if (rc) {
        free(r);
        return rc;
    }
    LIST_INSERT_HEAD(&os->fds, r, link);
    os->nfds++;
    *reg_out = r;
    return 0;
}

static int hook_fd_modify(void *user, int fd, void **reg_update,
                          short events)
{
    struct xld_lx_fdreg *r = *reg_update;

    (void)user;
    (void)fd;
    return fdreg_arm(r, events);
}

static void hook_fd_deregister(void *user, int fd, void *reg)
{
    (void)user;
    (void)fd;
    fdreg_free(reg);
}

static void osev_timeout_due(void *opaque)
{
    struct xld_lx_timereg *r = opaque;
    struct xld_lx_osev *os = r->os;
    void *for_libxl = r->for_libxl;

    /* libxl considers the timeout deregistered on entry to
     * occurred_timeout: forget it first, so that it fires exactly once
     * and a later register starts afresh. */
    r->t = NULL;
    timereg_free(r);
    os->fire_timeout(os->opaque, for_libxl);
}

static int timereg_arm(struct xld_lx_timereg *r, struct timeval abs)
{
    struct timeval now;
    struct xld_timer *t;
    int rc;

    gettimeofday(&now, NULL);
    rc = xld_loop_timer(r->os->loop, xld_lx_timeout_ms(abs, now),
                        osev_timeout_due, r, &t);
    if (rc)
        return rc;
    /* The old deadline goes only once the new one is set: a failed
     * modify leaves the registration as it was, as libxl requires. */
    xld_loop_cancel(r->t);
    r->t = t;
    return 0;
}

static int hook_timeout_register(void *user, void **reg_out,
                                 struct timeval abs, void *for_libxl)
{
    struct xld_lx_osev *os = user;
    struct xld_lx_timereg *r = calloc(1, sizeof(*r));
    int rc;

    if (!r)
        return ENOMEM;
    r->os = os;
    r->for_libxl = for_libxl;
    rc = timereg_arm(r, abs);
    if (rc) {
        free(r);
        return rc;
    }
    LIST_INSERT_HEAD(&os->timeouts, r, link);
    os->ntimeouts++;
    *reg_out = r;
    return 0;
}

/* Only ever "now" ({0,0}), says libxl: the timer is set again at 0 ms.
 * One thread means a modify cannot race with the timeout firing: once
 * it fired, libxl no longer knows this registration. */
static int hook_timeout_modify(void *user, void **reg_update,
                               struct timeval abs)
{
    (void)user;
    return timereg_arm(*reg_update, abs);
}

/* libxl never calls it (it belongs to a deprecated use of the API), but
 * if it did, this is what it would mean. */
static void hook_timeout_deregister(void *user, void *reg)
{
    (void)user;
    timereg_free(reg);
}

const libxl_osevent_hooks xld_lx_osevent_hooks = {
    .fd_register = hook_fd_register,
    .fd_modify = hook_fd_modify,
    .fd_deregister = hook_fd_deregister,
    .timeout_register = hook_timeout_register,
    .timeout_modify = hook_timeout_modify,
    .timeout_deregister = hook_timeout_deregister,
};

/* ---- the backend's state ------------------------------------------------ */

enum lx_op_kind {
    LX_OP_CREATE,
    LX_OP_RESTORE,
    LX_OP_SAVE,
    LX_OP_DESTROY,
    LX_OP_CORE_DUMP,
    LX_OP_SOFT_RESET,
    /* Devices while the domain runs. */
    LX_OP_DISK_ADD,
    LX_OP_DISK_REMOVE,
    LX_OP_DISK_DESTROY,
    LX_OP_NIC_ADD,
    LX_OP_NIC_REMOVE,
    LX_OP_PCI_ADD,
    LX_OP_PCI_REMOVE,
    LX_OP_PCI_DESTROY,
    LX_OP_CDROM_INSERT,
};

static const char *const lx_op_names[] = {
    [LX_OP_CREATE] = "create",
    [LX_OP_RESTORE] = "restore",
    [LX_OP_SAVE] = "save",
    [LX_OP_DESTROY] = "destroy",
    [LX_OP_CORE_DUMP] = "core dump",
    [LX_OP_SOFT_RESET] = "soft reset",
    [LX_OP_DISK_ADD] = "disk add",
    [LX_OP_DISK_REMOVE] = "disk remove",
    [LX_OP_DISK_DESTROY] = "disk destroy",
    [LX_OP_NIC_ADD] = "nic add",
    [LX_OP_NIC_REMOVE] = "nic remove",
    [LX_OP_PCI_ADD] = "pci add",
    [LX_OP_PCI_REMOVE] = "pci remove",
    [LX_OP_PCI_DESTROY] = "pci destroy",
    [LX_OP_CDROM_INSERT] = "cdrom insert",
};

/* Where an operation is: its libxl operation, or the one xl runs after
 * it. */
enum lx_stage {
    LX_STAGE_MAIN,
    LX_STAGE_RESUME,          /* save: checkpoint, or the save failed */
    LX_STAGE_DESTROY,         /* save: the image is written */
};

struct lx;

enum lx_note_kind {
    LX_NOTE_EVENT,
    LX_NOTE_STEP,             /* an op's libxl operation ended */
    LX_NOTE_PROGRESS,
};

struct lx_op;

struct lx_note {
    STAILQ_ENTRY(lx_note) link;
    enum lx_note_kind kind;
    bool embedded;            /* part of an op, not malloc'd */
    struct xld_backend_event ev;
    struct lx_op *op;
};

struct lx_op {
    LIST_ENTRY(lx_op) link;
    struct lx *lx;
    enum lx_op_kind kind;
    enum lx_stage stage;
    bool in_libxl;            /* a libxl operation of ours is running */
    uint32_t domid;
    uint32_t *domid_out;      /* create, restore: the caller's */
    libxl_domain_config *dc;  /* create, restore: the caller's */
    bool paused;
    bool checkpoint;
    /* migrate_send: LIBXL_SUSPEND_LIVE, and the domain stays suspended
     * when the stream is written (the caller destroys or resumes it). */
    bool live;
    int suspend_flags;
    int fd;
    char *path;               /* core dump */
    libxl_domain_restore_params params;
    /* Devices: the caller's device to add (it lives until done), or the
     * op's own copy of the one to take away, as libxl read it back. */
    libxl_device_disk *disk;
    libxl_device_nic *nic;
    libxl_device_pci *pci;    /* the caller's, to add or take away */
    libxl_device_disk old_disk;
    libxl_device_nic old_nic;
    int lxrc;                 /* how the last libxl operation ended */
    int main_rc;              /* save: how the save itself ended */
    uint64_t total;           /* progress: bytes of guest memory */
    uint64_t done_bytes;
    bool progress_queued;
    /* An op's own notes: reporting its end must not depend on memory
     * being there, or a reply could be lost. */
    struct lx_note step_note;
    struct lx_note progress_note;
    xld_backend_done_fn *done;
    xld_backend_progress_fn *progress;
    void *opaque;
};

/* A domain we follow: its death evgen, and the last name xenstore gave
 * (a dying domain loses its xenstore entries before it is gone, and
 * must not be listed nameless meanwhile). */
struct lx_death {
    LIST_ENTRY(lx_death) link;
    uint32_t domid;
    libxl_evgen_domain_death *evgen;
    char *name;
};

static void death_free(struct lx_death *d)
{
    free(d->name);
    free(d);
}

/* Our logger: libxl and libxc log through it into xld's log. */
struct lx_logger {
    xentoollog_logger vt;     /* first: libxl sees only this */
    struct lx *lx;
};

struct lx {
    struct lx_logger logger;
    libxl_ctx *ctx;
    struct xld_loop *loop;
    struct xld_lx_osev osev;
    xld_backend_event_fn *events;
    void *events_opaque;
    LIST_HEAD(, lx_op) ops;
    LIST_HEAD(, lx_death) deaths;
    STAILQ_HEAD(, lx_note) notes;
    struct xld_timer *note_timer;
    unsigned nstreams;        /* saves and restores running */
    char last_error[1024];    /* libxl's last error line, for open() */
};

/* ---- logging -------------------------------------------------------- */

static void lx_vmessage(xentoollog_logger *lg, xentoollog_level level,
                        int errnoval, const char *context,
                        const char *format, va_list al)
    __attribute__((format(printf, 5, 0)));

static void lx_vmessage(xentoollog_logger *lg, xentoollog_level level,
                        int errnoval, const char *context,
                        const char *format, va_list al)
{
    struct lx *lx = ((struct lx_logger *)lg)->lx;
    enum xld_log_level l = xld_lx_log_level(level);
    char msg[1024];
    int n;

    if (!xld_log_enabled(l) && level < XTL_ERROR)
        return;
    n = vsnprintf(msg, sizeof(msg), format, al);
    if (n >= 0 && (size_t)n < sizeof(msg) && errnoval >= 0)
        snprintf(msg + n, sizeof(msg) - (size_t)n, ": %s",
                 strerror(errnoval));
    /* open() says why libxl did not start with libxl's own words. */
    if (level >= XTL_ERROR)
        snprintf(lx->last_error, sizeof(lx->last_error), "%s", msg);
    xld_log(l, "%s: %s", context ? context : "libxl", msg);
}

static void note_push(struct lx *lx, struct lx_note *n);

static void lx_progress(xentoollog_logger *lg, const char *context,
                        const char *doing_what, int percent,
                        unsigned long done, unsigned long total)
{
    struct lx *lx = ((struct lx_logger *)lg)->lx;
    struct lx_op *op, *stream = NULL;

    xld_debug("%s: %s: %d%% (%lu/%lu)", context ? context : "libxl",
              doing_what ? doing_what : "", percent, done, total);
    /* Progress lines name no domain: they are only ours to pass on when
     * a single save or restore runs. */
    if (lx->nstreams != 1 || percent < 0 || percent > 100)
        return;
    LIST_FOREACH(op, &lx->ops, link)
        if ((op->kind == LX_OP_SAVE || op->kind == LX_OP_RESTORE)
            && op->stage == LX_STAGE_MAIN && op->in_libxl)
            stream = op;
    if (!stream || !stream->progress || !stream->total)
        return;
    stream->done_bytes = stream->total / 100 * (uint64_t)percent;
    if (stream->progress_queued)
        return;
    stream->progress_queued = true;
    note_push(lx, &stream->progress_note);
}

static void lx_logger_destroy(xentoollog_logger *lg)
{
    /* The logger lives in struct lx, which close() frees. */
    (void)lg;
}

/* ---- the note queue --------------------------------------------------- */

static void op_step(struct lx_op *op);
static void pci_read_back(struct lx_op *op);

static void notes_drain(void *opaque)
{
    struct lx *lx = opaque;
    struct lx_note *n = STAILQ_FIRST(&lx->notes);
    enum lx_note_kind kind;
    struct xld_backend_event ev;
    struct lx_op *op;
    struct lx_death *d;

    lx->note_timer = NULL;
    if (!n)
        return;
    STAILQ_REMOVE_HEAD(&lx->notes, link);
    if (!STAILQ_EMPTY(&lx->notes)
        && xld_loop_timer(lx->loop, 0, notes_drain, lx, &lx->note_timer))
        lx->note_timer = NULL;
    kind = n->kind;
    ev = n->ev;
    op = n->op;
    if (!n->embedded)
        free(n);
    switch (kind) {
    case LX_NOTE_EVENT:
        if (ev.type == XLD_BE_DOMAIN_DEATH) {
            LIST_FOREACH(d, &lx->deaths, link)
                if (d->domid == ev.domid)
                    break;
            if (d) {
                libxl_evdisable_domain_death(lx->ctx, d->evgen);
                LIST_REMOVE(d, link);
                death_free(d);
            }
        }
        if (lx->events)
            lx->events(lx->events_opaque, &ev);
        return;
    case LX_NOTE_PROGRESS:
        op->progress_queued = false;
        op->progress(op->opaque, op->done_bytes, op->total);
        return;
    case LX_NOTE_STEP:
        op_step(op);
        return;
    }
}

static void note_push(struct lx *lx, struct lx_note *n)
{
    STAILQ_INSERT_TAIL(&lx->notes, n, link);
    if (!lx->note_timer
        && xld_loop_timer(lx->loop, 0, notes_drain, lx, &lx->note_timer))
        lx->note_timer = NULL;
}

/* Drop the notes of an op that goes away. */
static void notes_forget(struct lx *lx, const struct lx_op *op)
{
    struct lx_note *n, *next;

    for (n = STAILQ_FIRST(&lx->notes); n; n = next) {
        next = STAILQ_NEXT(n, link);
        if (n->op == op) {
            STAILQ_REMOVE(&lx->notes, n, lx_note, link);
            if (!n->embedded)
                free(n);
        }
    }
}

/* ---- guest events ------------------------------------------------------ */

static void lx_event_occurs(void *user, libxl_event *event)
{
    struct lx *lx = user;
    struct xld_backend_event ev;
    struct lx_note *n;

    if (xld_lx_translate_event(event, &ev)) {
        n = calloc(1, sizeof(*n));
        if (n) {
            n->kind = LX_NOTE_EVENT;
            n->ev = ev;
            note_push(lx, n);
        } else {
            xld_err("libxl backend: out of memory: an event of domain %"
                    PRIu32 " is lost", ev.domid);
        }
    }
    libxl_event_free(lx->ctx, event);
}

/* No libxl call is allowed here: say it, and carry on as well as
 * possible (xld stays up; an admin must look). */
static void lx_disaster(void *user, libxl_event_type type, const char *msg,
                        int errnoval)
{
    (void)user;
    xld_err("libxl reports a disaster (%s%s%s): guest events of type %s "
            "may be lost; restart xld", msg, errnoval ? ": " : "",
            errnoval ? strerror(errnoval) : "",
            type ? libxl_event_type_to_string(type) : "any");
}

static const libxl_event_hooks lx_event_hooks = {
    .event_occurs_mask = LIBXL_EVENTMASK_ALL,
    .event_occurs = lx_event_occurs,
    .disaster = lx_disaster,
};

/* Have libxl tell us when this domain shuts down or dies, once. */
static int lx_watch_domain(struct lx *lx, uint32_t domid)
{
    struct lx_death *d;
    int rc;

    if (domid == 0 || domid == (uint32_t)INVALID_DOMID)
        return 0;
    LIST_FOREACH(d, &lx->deaths, link)
        if (d->domid == domid)
            return 0;
    d = calloc(1, sizeof(*d));
    if (!d)
        return -ENOMEM;
    d->domid = domid;
    rc = libxl_evenable_domain_death(lx->ctx, domid, domid, &d->evgen);
    if (rc) {
        xld_warn("libxl backend: domain %" PRIu32 ": cannot follow its "
                 "shutdowns (libxl error %d)", domid, rc);
        free(d);
        return xld_lx_errno(rc);
    }
    LIST_INSERT_HEAD(&lx->deaths, d, link);
    return 0;
}

/* ---- child processes --------------------------------------------------- */

/* libxl's fork: the child gets the signals xld took for itself back
 * (see the head of this file).  Only async-signal-safe calls here. */
static pid_t lx_fork(void *user)
{
    struct sigaction sa;
    sigset_t none;
    pid_t pid;

    (void)user;
    pid = fork();
    if (pid == 0) {
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = SIG_DFL;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGPIPE, &sa, NULL);
    }
    return pid;
}

static const libxl_childproc_hooks lx_childproc_hooks = {
    .chldowner = libxl_sigchld_owner_libxl_always_selective_reap,
    .fork_replacement = lx_fork,
    .reaped_callback = NULL,
};

/* ---- asynchronous operations -------------------------------------- */

static void op_free(struct lx_op *op)
{
    if (!op)
        return;
    libxl_domain_restore_params_dispose(&op->params);
    libxl_device_disk_dispose(&op->old_disk);
    libxl_device_nic_dispose(&op->old_nic);
    free(op->path);
    free(op);
}

static struct lx_op *op_new(struct lx *lx, enum lx_op_kind kind,
                            uint32_t domid, xld_backend_progress_fn *progress,
                            xld_backend_done_fn *done, void *opaque)
{
    struct lx_op *op = calloc(1, sizeof(*op));

    if (!op)
        return NULL;
    op->lx = lx;
    op->kind = kind;
    op->domid = domid;
    op->fd = -1;
    op->progress = progress;
    op->done = done;
    op->opaque = opaque;
    op->step_note.kind = LX_NOTE_STEP;
    op->step_note.embedded = true;
    op->step_note.op = op;
    op->progress_note.kind = LX_NOTE_PROGRESS;
    op->progress_note.embedded = true;
    op->progress_note.op = op;
    libxl_domain_restore_params_init(&op->params);
    libxl_device_disk_init(&op->old_disk);
    libxl_device_nic_init(&op->old_nic);
    return op;
}

/* The memory of a domain in bytes, for progress. */
static uint64_t domain_bytes(struct lx *lx, uint32_t domid)
{
    libxl_dominfo di;
    uint64_t bytes = 0;

    libxl_dominfo_init(&di);
    if (libxl_domain_info(lx->ctx, &di, domid) == 0)
        bytes = di.current_memkb * 1024;
    libxl_dominfo_dispose(&di);
    return bytes;
}

static void op_ao_done(libxl_ctx *ctx, int rc, void *for_callback)
{
    struct lx_op *op = for_callback;

    (void)ctx;
    op->in_libxl = false;
    op->lxrc = rc;
    note_push(op->lx, &op->step_note);
}

/*
 * libxl writes the domid of a new domain only once create or restore
 * has ended, but backend.h wants it as soon as the domain exists: the
 * domain is recognised by the uuid libxl put in the caller's config, in
 * any list taken meanwhile, and at the latest when libxl reports its
 * console available.
 */
static void claim_domid(struct lx *lx, uint32_t domid, const libxl_uuid *uuid)
{
    struct lx_op *op;
    struct lx_death *d;

    /* A domain followed already is not new.  It may have the uuid: a
     * migration to this host itself restores a domain while the one it
     * comes from still runs, as xl's localhost migration does. */
    LIST_FOREACH(d, &lx->deaths, link)
        if (d->domid == domid)
            return;
    LIST_FOREACH(op, &lx->ops, link) {
        if ((op->kind != LX_OP_CREATE && op->kind != LX_OP_RESTORE)
            || op->stage != LX_STAGE_MAIN || !op->in_libxl
            || *op->domid_out != (uint32_t)INVALID_DOMID)
            continue;
        if (uuid && (libxl_uuid_is_nil(&op->dc->c_info.uuid)
                     || libxl_uuid_compare(uuid, &op->dc->c_info.uuid)))
            continue;
        *op->domid_out = domid;
        return;
    }
}

/* Whether domid is a domain one of our creates or restores is building. */
static bool building(struct lx *lx, uint32_t domid)
{
    struct lx_op *op;

    LIST_FOREACH(op, &lx->ops, link)
        if ((op->kind == LX_OP_CREATE || op->kind == LX_OP_RESTORE)
            && op->stage == LX_STAGE_MAIN && *op->domid_out == domid)
            return true;
    return false;
}

static void op_console_ready(libxl_ctx *ctx, libxl_event *ev,
                             void *for_callback)
{
    struct lx_op *op = for_callback;

    if (ev->type == LIBXL_EVENT_TYPE_DOMAIN_CREATE_CONSOLE_AVAILABLE
        && *op->domid_out == (uint32_t)INVALID_DOMID)
        *op->domid_out = ev->domid;
    libxl_event_free(ctx, ev);
}

static libxl_asyncop_how op_how(struct lx_op *op)
{
    libxl_asyncop_how how;

    memset(&how, 0, sizeof(how));
    how.callback = op_ao_done;
    how.u.for_callback = op;
    return how;
}

/* Start the libxl operation of op's current stage; 0 or a libxl
 * error. */
static int op_launch(struct lx_op *op)
{
    struct lx *lx = op->lx;
    libxl_asyncop_how how = op_how(op);
    int rc;

    op->in_libxl = true;
    switch (op->stage) {
    case LX_STAGE_RESUME:
        /* suspend_cancel: the guest carries on where it was, as after
         * xl save -c. */
        rc = libxl_domain_resume(lx->ctx, op->domid, 1, &how);
        break;
    case LX_STAGE_DESTROY:
        rc = libxl_domain_destroy(lx->ctx, op->domid, &how);
        break;
    default:
        rc = ERROR_INVAL;
        break;
    }
    if (rc)
        op->in_libxl = false;
    return rc;
}

/* The op is over: report, and forget it.  The callback comes last, as
 * xld may close the backend from inside it. */
static void op_finish(struct lx_op *op, int rc)
{
    struct lx *lx = op->lx;
    xld_backend_done_fn *done = op->done;
    void *opaque = op->opaque;

    if (op->kind == LX_OP_SAVE || op->kind == LX_OP_RESTORE)
        lx->nstreams--;
    if (!rc && op->progress && op->total)
        op->progress(op->opaque, op->total, op->total);
    notes_forget(lx, op);
    LIST_REMOVE(op, link);
    if (rc)
        xld_debug("libxl backend: %s of domain %" PRIu32 " failed: %s",
                  lx_op_names[op->kind], op->domid, strerror(-rc));
    op_free(op);
    done(opaque, rc);
}

/* A created or restored domain: follow it, and let it run (libxl builds
 * it paused) unless asked not to, as xl does. */
static int created(struct lx_op *op)
{
    struct lx *lx = op->lx;
    int rc;

    op->domid = *op->domid_out;
    lx_watch_domain(lx, op->domid);
    if (op->paused)
        return 0;
    rc = libxl_domain_unpause(lx->ctx, op->domid, NULL);
    /* The domain exists, paused; xld records it as such and an unpause
     * can still start it: not a reason to throw the guest away. */
    if (rc)
        xld_warn("libxl backend: domain %" PRIu32 " stays paused: "
                 "unpausing it failed (libxl error %d)", op->domid, rc);
    return 0;
}

static void op_step(struct lx_op *op)
{
    int rc = op->lxrc, lrc;

    switch (op->stage) {
    case LX_STAGE_MAIN:
        switch (op->kind) {
        case LX_OP_CREATE:
        case LX_OP_RESTORE:
            op_finish(op, rc ? xld_lx_errno(rc) : created(op));
            return;
        case LX_OP_SAVE:
            /* As xl migrate: what happens to a migrated domain is the
             * handshake's business; a failed stream resumes it below. */
            if (op->live && !rc) {
                op_finish(op, 0);
                return;
            }
            /* As xl save: a saved domain is destroyed unless this was a
             * checkpoint; one that was not saved carries on running. */
            op->main_rc = rc;
            op->stage = rc || op->checkpoint ? LX_STAGE_RESUME
                                              : LX_STAGE_DESTROY;
            if (rc)
                xld_warn("libxl backend: saving domain %" PRIu32
                         " failed (libxl error %d): resuming it",
                         op->domid, rc);
            lrc = op_launch(op);
            if (lrc)
                op_finish(op, xld_lx_errno(rc ? rc : lrc));
            return;
        case LX_OP_PCI_ADD:
            if (!rc)
                pci_read_back(op);
            op_finish(op, xld_lx_errno(rc));
            return;
        default:
            op_finish(op, xld_lx_errno(rc));
            return;
        }
    case LX_STAGE_RESUME:
        if (rc && !op->main_rc)
            xld_warn("libxl backend: domain %" PRIu32 " is saved but did "
                     "not resume (libxl error %d)", op->domid, rc);
        op_finish(op, xld_lx_errno(op->main_rc ? op->main_rc : rc));
        return;
    case LX_STAGE_DESTROY:
        /* Gone already is as good as destroyed. */
        op_finish(op, rc == ERROR_DOMAIN_NOTFOUND ? 0 : xld_lx_errno(rc));
        return;
    }
}

/* Launch the main libxl operation of a new op; on failure the op is
 * freed and the error returned (done() is then never called). */
static int op_start(struct lx *lx, struct lx_op *op, libxl_domain_config *dc)
{
    libxl_asyncop_how how = op_how(op);
    libxl_asyncprogress_how console;
    int rc;

    memset(&console, 0, sizeof(console));
    console.callback = op_console_ready;
    console.for_callback = op;
    op->dc = dc;
    if (op->domid_out)
        *op->domid_out = INVALID_DOMID;
    LIST_INSERT_HEAD(&lx->ops, op, link);
    if (op->kind == LX_OP_SAVE || op->kind == LX_OP_RESTORE)
        lx->nstreams++;
    op->in_libxl = true;
    switch (op->kind) {
    case LX_OP_CREATE:
        rc = libxl_domain_create_new(lx->ctx, dc, op->domid_out, &how,
                                     &console);
        break;
    case LX_OP_RESTORE:
        rc = libxl_domain_create_restore(lx->ctx, dc, op->domid_out, op->fd,
                                         -1, &op->params, &how, &console);
        break;
    case LX_OP_SAVE:
        rc = libxl_domain_suspend(lx->ctx, op->domid, op->fd,
                                  op->suspend_flags, &how);
        break;
    case LX_OP_DESTROY:
        rc = libxl_domain_destroy(lx->ctx, op->domid, &how);
        break;
    case LX_OP_CORE_DUMP:
        rc = libxl_domain_core_dump(lx->ctx, op->domid, op->path, &how);
        break;
    case LX_OP_SOFT_RESET:
        rc = libxl_domain_soft_reset(lx->ctx, dc, op->domid, &how, NULL);
        break;
    case LX_OP_DISK_ADD:
        rc = libxl_device_disk_add(lx->ctx, op->domid, op->disk, &how);
        break;
    case LX_OP_DISK_REMOVE:
        /* As xl block-detach: the guest is asked to let the disk go. */
        rc = libxl_device_disk_safe_remove(lx->ctx, op->domid,
                                           &op->old_disk, &how);
        break;
    case LX_OP_DISK_DESTROY:
        rc = libxl_device_disk_destroy(lx->ctx, op->domid, &op->old_disk,
                                       &how);
        break;
    case LX_OP_NIC_ADD:
        rc = libxl_device_nic_add(lx->ctx, op->domid, op->nic, &how);
        break;
    case LX_OP_NIC_REMOVE:
        rc = libxl_device_nic_remove(lx->ctx, op->domid, &op->old_nic,
                                     &how);
        break;
    case LX_OP_PCI_ADD:
        rc = libxl_device_pci_add(lx->ctx, op->domid, op->pci, &how);
        break;
    case LX_OP_PCI_REMOVE:
        /* As xl pci-detach: the guest is asked to let the device go. */
        rc = libxl_device_pci_remove(lx->ctx, op->domid, op->pci, &how);
        break;
    case LX_OP_PCI_DESTROY:
        rc = libxl_device_pci_destroy(lx->ctx, op->domid, op->pci, &how);
        break;
    case LX_OP_CDROM_INSERT:
        rc = libxl_cdrom_insert(lx->ctx, op->domid, op->disk, &how);
        break;
    default:
        rc = ERROR_INVAL;
        break;
    }
    if (!rc)
        return 0;
    op->in_libxl = false;
    if (op->kind == LX_OP_SAVE || op->kind == LX_OP_RESTORE)
        lx->nstreams--;
    notes_forget(lx, op);
    LIST_REMOVE(op, link);
    op_free(op);
    return xld_lx_errno(rc);
}

/* ---- open and close ---------------------------------------------------- */

static void fire_fd(void *opaque, void *for_libxl, int fd, short events,
                    short revents)
{
    struct lx *lx = opaque;

    libxl_osevent_occurred_fd(lx->ctx, for_libxl, fd, events, revents);
}

static void fire_timeout(void *opaque, void *for_libxl)
{
    struct lx *lx = opaque;

    libxl_osevent_occurred_timeout(lx->ctx, for_libxl);
}

static void lx_free(struct lx *lx)
{
    struct lx_note *n;
    struct lx_death *d;
    struct lx_op *op;
    unsigned busy = 0;

    if (!lx)
        return;
    LIST_FOREACH(op, &lx->ops, link)
        busy += op->in_libxl;
    if (busy) {
        xld_warn("libxl backend: %u operations are still running inside "
                 "libxl; they are abandoned with xld's libxl context",
                 busy);
    } else if (lx->ctx) {
        /* Disables the evgens and deregisters libxl's fds through the
         * hooks, so it comes before the osev goes. */
        libxl_ctx_free(lx->ctx);
        lx->ctx = NULL;
    }
    while ((d = LIST_FIRST(&lx->deaths))) {
        LIST_REMOVE(d, link);
        death_free(d);
    }
    while ((n = STAILQ_FIRST(&lx->notes))) {
        STAILQ_REMOVE_HEAD(&lx->notes, link);
        if (!n->embedded)
            free(n);
    }
    while ((op = LIST_FIRST(&lx->ops))) {
        LIST_REMOVE(op, link);
        op_free(op);
    }
    xld_loop_cancel(lx->note_timer);
    /* Even with a context left behind: no libxl code runs after close,
     * and the loop is not run again once the backend is closed. */
    xld_lx_osev_dispose(&lx->osev);
    free(lx);
}

/* Why libxl cannot work on this host, before asking libxl: on a machine
 * without Xen libxl only says "cannot open libxc handle". */
static int lx_precheck(void)
{
    if (access(LX_PRIVCMD, F_OK) == 0)
        return 0;
    if (access("/proc/xen", F_OK) == 0)
        xld_err("libxl backend: no %s: this host runs Xen, but the "
                "xen-privcmd driver is not there (load the xen_privcmd "
                "module, and mount xenfs on /proc/xen)", LX_PRIVCMD);
    else
        xld_err("libxl backend: no %s: this host does not run Xen, or "
                "xld is not in its dom0", LX_PRIVCMD);
    return -ENODEV;
}

static int lx_open(struct xld_backend *be, struct xld_loop *loop,
                   const char *options, xld_backend_event_fn *events,
                   void *opaque)
{
    struct lx *lx = NULL;
    libxl_dominfo *list = NULL;
    int rc, n = 0;

    if (options && *options) {
        xld_err("libxl backend: it takes no options (given '%s')", options);
        rc = -EINVAL;
        goto out;
    }
    rc = lx_precheck();
    if (rc)
        goto out;
    lx = calloc(1, sizeof(*lx));
    if (!lx) {
        rc = -ENOMEM;
        goto out;
    }
    lx->logger.vt.vmessage = lx_vmessage;
    lx->logger.vt.progress = lx_progress;
    lx->logger.vt.destroy = lx_logger_destroy;
    lx->logger.lx = lx;
    lx->loop = loop;
    lx->events = events;
    lx->events_opaque = opaque;
    LIST_INIT(&lx->ops);
    LIST_INIT(&lx->deaths);
    STAILQ_INIT(&lx->notes);
    xld_lx_osev_init(&lx->osev, loop, fire_fd, fire_timeout, lx);
    rc = libxl_ctx_alloc(&lx->ctx, LIBXL_VERSION, 0, &lx->logger.vt);
    if (rc) {
        lx->ctx = NULL;
        xld_err("libxl backend: libxl cannot start: %s%s",
                lx->last_error[0] ? lx->last_error : "libxl_ctx_alloc "
                "failed",
                strstr(lx->last_error, "xenstore")
                ? " (is xenstored running?)" : "");
        rc = xld_lx_errno(rc);
        goto out;
    }
    /* The loop's hooks first: libxl registers its fds through them from
     * then on, and setting the child mode (always_selective_reap) opens
     * the SIGCHLD self-pipe, which must go through the hooks too (libxl
     * asserts that no fd is registered when the hooks arrive). */
    libxl_osevent_register_hooks(lx->ctx, &xld_lx_osevent_hooks, &lx->osev);
    libxl_childproc_setmode(lx->ctx, &lx_childproc_hooks, lx);
    libxl_event_register_callbacks(lx->ctx, &lx_event_hooks, lx);
    list = libxl_list_domain(lx->ctx, &n);
    if (!list) {
        xld_err("libxl backend: cannot list the domains: %s",
                lx->last_error[0] ? lx->last_error : "libxl error");
        rc = -EIO;
        goto out;
    }
    for (int i = 0; i < n; i++)
        lx_watch_domain(lx, list[i].domid);
    be->priv = lx;
    lx = NULL;
    rc = 0;
out:
    if (list)
        libxl_dominfo_list_free(list, n);
    lx_free(lx);
    return rc;
}

static void lx_close(struct xld_backend *be)
{
    lx_free(be->priv);
    be->priv = NULL;
}

/* ---- queries ------------------------------------------------------------ */

/* Which node each cpu is on, for "node:N" in cpu lists (xl asks
 * libxl_node_to_cpumap, which reads the same topology).  Without it,
 * the cpus are taken as evenly split over the nodes. */
static void lx_topology(struct lx *lx, struct xld_host_info *out)
{
    libxl_cputopology *topo;
    int n = 0;

    topo = libxl_get_cpu_topology(lx->ctx, &n);
    if (!topo)
        return;
    if (n >= out->nr_cpus && out->nr_cpus <= XLD_HOST_MAX_TOPOLOGY) {
        for (int i = 0; i < out->nr_cpus; i++)
            out->cpu_node[i] = topo[i].node == LIBXL_CPUTOPOLOGY_INVALID_ENTRY
                               ? -1 : (int16_t)topo[i].node;
        out->have_topology = true;
    }
    libxl_cputopology_list_free(topo, n);
}

static int lx_host_info(struct xld_backend *be, struct xld_host_info *out)
{
    struct lx *lx = be->priv;
    const libxl_version_info *vi;
    libxl_physinfo pi;
    uint64_t kb_per_page;
    int rc;

    memset(out, 0, sizeof(*out));
    libxl_physinfo_init(&pi);
    vi = libxl_get_version_info(lx->ctx);
    if (!vi) {
        rc = -EIO;
        goto out;
    }
    rc = xld_lx_errno(libxl_get_physinfo(lx->ctx, &pi));
    if (rc)
        goto out;
    /* As xl info shows it: "4.17.7", the extra being Debian's point
     * release. */
    snprintf(out->xen_version, sizeof(out->xen_version), "%d.%d%s",
             vi->xen_version_major, vi->xen_version_minor,
             vi->xen_version_extra ? vi->xen_version_extra : "");
    snprintf(out->hypervisor, sizeof(out->hypervisor), "xen");
    out->nr_cpus = (int)pi.nr_cpus;
    out->nr_nodes = (int)pi.nr_nodes;
    kb_per_page = vi->pagesize > 0 ? (uint64_t)vi->pagesize / 1024 : 4;
    out->total_memkb = pi.total_pages * kb_per_page;
    out->free_memkb = pi.free_pages * kb_per_page;
    out->cap_hap = pi.cap_hap;
    out->cap_shadow = pi.cap_shadow;
    lx_topology(lx, out);
out:
    libxl_physinfo_dispose(&pi);
    return rc;
}

static struct lx_death *death_find(struct lx *lx, uint32_t domid)
{
    struct lx_death *d;

    LIST_FOREACH(d, &lx->deaths, link)
        if (d->domid == domid)
            return d;
    return NULL;
}

/* The name of a domain: xenstore's, else the last one seen, else none
 * (a domain being built has no name yet: it is listed all the same). */
static char *domain_name(struct lx *lx, uint32_t domid)
{
    struct lx_death *d = death_find(lx, domid);
    char *name = libxl_domid_to_name(lx->ctx, domid), *copy;

    if (name && d && (!d->name || strcmp(d->name, name))) {
        /* Only a cache: without memory for it, the name is still
         * right this time. */
        copy = strdup(name);
        if (copy) {
            free(d->name);
            d->name = copy;
        }
    }
    if (!name)
        name = strdup(d && d->name ? d->name : "");
    return name;
}

static int fill_info(struct lx *lx, const libxl_dominfo *src,
                     struct xld_dominfo *out)
{
    xld_dominfo_init(out);
    out->name = domain_name(lx, src->domid);
    if (!out->name)
        return -ENOMEM;
    out->domid = src->domid;
    out->uuid = src->uuid;
    out->running = src->running;
    out->blocked = src->blocked;
    out->paused = src->paused;
    out->shutdown = src->shutdown;
    out->dying = src->dying;
    out->shutdown_reason = src->shutdown ? src->shutdown_reason
                                         : LIBXL_SHUTDOWN_REASON_UNKNOWN;
    out->current_memkb = src->current_memkb;
    out->max_memkb = src->max_memkb;
    out->vcpu_online = (int)src->vcpu_online;
    out->vcpu_max = (int)src->vcpu_max_id + 1;
    out->cpu_time_ns = src->cpu_time;
    out->cpupool = src->cpupool;
    return 0;
}

static int lx_info(struct xld_backend *be, uint32_t domid,
                   struct xld_dominfo *out)
{
    struct lx *lx = be->priv;
    libxl_dominfo di;
    int rc;

    xld_dominfo_init(out);
    libxl_dominfo_init(&di);
    rc = xld_lx_errno(libxl_domain_info(lx->ctx, &di, domid));
    if (!rc)
        rc = fill_info(lx, &di, out);
    if (rc)
        xld_dominfo_dispose(out);
    libxl_dominfo_dispose(&di);
    return rc;
}

static int lx_list(struct xld_backend *be, struct xld_dominfo **out,
                   int *nout)
{
    struct lx *lx = be->priv;
    struct xld_dominfo *v = NULL;
    libxl_dominfo *list;
    int n = 0, got = 0, rc = 0;

    *out = NULL;
    *nout = 0;
    list = libxl_list_domain(lx->ctx, &n);
    if (!list) {
        rc = -EIO;
        goto out;
    }
    v = calloc(n > 0 ? (size_t)n : 1, sizeof(*v));
    if (!v) {
        rc = -ENOMEM;
        goto out;
    }
    for (int i = 0; i < n && !rc; i++) {
        claim_domid(lx, list[i].domid, &list[i].uuid);
        /* A domain made behind xld's back (plain xl) is followed from
         * the first time it is seen.  Not one of ours being built: its
         * evgen comes when the build has ended. */
        if (!building(lx, list[i].domid))
            lx_watch_domain(lx, list[i].domid);
        rc = fill_info(lx, &list[i], &v[got]);
        if (rc)
            break;
        got++;
    }
    if (rc)
        goto out;
    *out = v;
    *nout = got;
    v = NULL;
out:
    if (v) {
        for (int i = 0; i < got; i++)
            xld_dominfo_dispose(&v[i]);
        free(v);
    }
    if (list)
        libxl_dominfo_list_free(list, n);
    return rc;
}

/* ---- long operations ------------------------------------------------- */

static int lx_create(struct xld_backend *be, libxl_domain_config *dc,
                     bool paused, uint32_t *domid, xld_backend_done_fn *done,
                     void *opaque)
{
    struct lx *lx = be->priv;
    struct lx_op *op = op_new(lx, LX_OP_CREATE, INVALID_DOMID, NULL, done,
                              opaque);

    if (!op)
        return -ENOMEM;
    op->domid_out = domid;
    op->paused = paused;
    return op_start(lx, op, dc);
}

/*
 * libxl 4.17 calls a NULL function (and takes xld down with it, as it
 * does plain xl) when a restore stream's header is not its own; so the
 * ident is checked before libxl sees the stream, where the stream is a
 * file that can be read ahead (a migration's pipe cannot, and comes from
 * another xld's libxl).
 */
static int lx_stream_check(int fd)
{
    static const unsigned char ident[8] = "LibxlFmt";
    unsigned char buf[sizeof(ident)];
    off_t at = lseek(fd, 0, SEEK_CUR);
    ssize_t n;

    if (at < 0)
        return 0;
    n = pread(fd, buf, sizeof(buf), at);
    if (n < 0)
        return -errno;
    if (n != (ssize_t)sizeof(buf) || memcmp(buf, ident, sizeof(ident))) {
        xld_err("libxl backend: the image's libxl stream does not start "
                "with libxl's header: it is damaged, and libxl would crash "
                "on it");
        return -EINVAL;
    }
    return 0;
}

static int lx_restore(struct xld_backend *be, libxl_domain_config *dc,
                      int fd, bool paused, uint32_t *domid,
                      xld_backend_progress_fn *progress,
                      xld_backend_done_fn *done, void *opaque)
{
    struct lx *lx = be->priv;
    struct lx_op *op = op_new(lx, LX_OP_RESTORE, INVALID_DOMID, progress,
                              done, opaque);
    int fl, rc;

    if (!op)
        return -ENOMEM;
    rc = lx_stream_check(fd);
    if (rc) {
        op_free(op);
        return rc;
    }
    op->domid_out = domid;
    op->paused = paused;
    op->fd = fd;
    /* libxl's restore helper reads the fd itself, blocking: a migration
     * stream's pipe comes non-blocking from the handshake. */
    fl = fcntl(fd, F_GETFL);
    if (fl >= 0 && (fl & O_NONBLOCK))
        fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
    op->params.checkpointed_stream = LIBXL_CHECKPOINTED_STREAM_NONE;
    op->params.stream_version = LX_STREAM_VERSION;
    op->total = dc->b_info.target_memkb != LIBXL_MEMKB_DEFAULT
                ? dc->b_info.target_memkb * 1024 : 0;
    return op_start(lx, op, dc);
}

static int lx_save(struct xld_backend *be, uint32_t domid, int fd,
                   bool checkpoint, xld_backend_progress_fn *progress,
                   xld_backend_done_fn *done, void *opaque)
{
    struct lx *lx = be->priv;
    struct lx_op *op;

    if (domid == 0)
        return -EPERM;
    op = op_new(lx, LX_OP_SAVE, domid, progress, done, opaque);
    if (!op)
        return -ENOMEM;
    op->fd = fd;
    op->checkpoint = checkpoint;
    op->total = domain_bytes(lx, domid);
    return op_start(lx, op, NULL);
}

/*
 * The sending half of a migration, as xl migrate: libxl_domain_suspend
 * with LIBXL_SUSPEND_LIVE writes the stream while the guest runs, then
 * suspends it; it stays suspended for the handshake to destroy or
 * resume.  libxl's save helper writes the fd itself, blocking: it must
 * not be O_NONBLOCK.  Not yet run on a real Xen.
 */
static int lx_migrate_send(struct xld_backend *be, uint32_t domid, int fd,
                           bool live, bool debug,
                           xld_backend_progress_fn *progress,
                           xld_backend_done_fn *done, void *opaque)
{
    struct lx *lx = be->priv;
    struct lx_op *op;
    int fl = fcntl(fd, F_GETFL);

    if (domid == 0)
        return -EPERM;
    if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0)
        return -errno;
    op = op_new(lx, LX_OP_SAVE, domid, progress, done, opaque);
    if (!op)
        return -ENOMEM;
    op->fd = fd;
    /* op->live: a migration, whose domain is kept once sent; libxl's
     * LIVE flag is the precopy while the guest runs. */
    op->live = true;
    op->suspend_flags = (live ? LIBXL_SUSPEND_LIVE : 0)
                        | (debug ? LIBXL_SUSPEND_DEBUG : 0);
    op->total = domain_bytes(lx, domid);
    return op_start(lx, op, NULL);
}

/* As xl after a failed migration: libxl_domain_resume with
 * suspend_cancel, the guest carries on where it was suspended. */
static int lx_resume(struct xld_backend *be, uint32_t domid)
{
    struct lx *lx = be->priv;

    if (domid == 0)
        return -EPERM;
    return xld_lx_errno(libxl_domain_resume(lx->ctx, domid, 1, NULL));
}

static int lx_destroy(struct xld_backend *be, uint32_t domid,
                      xld_backend_done_fn *done, void *opaque)
{
    struct lx *lx = be->priv;
    struct lx_op *op;

    if (domid == 0)
        return -EPERM;
    op = op_new(lx, LX_OP_DESTROY, domid, NULL, done, opaque);
    if (!op)
        return -ENOMEM;
    return op_start(lx, op, NULL);
}

static int lx_core_dump(struct xld_backend *be, uint32_t domid,
                        const char *path, xld_backend_done_fn *done,
                        void *opaque)
{
    struct lx *lx = be->priv;
    struct lx_op *op;

    if (domid == 0)
        return -EPERM;
    if (!path)
        return -EINVAL;
    op = op_new(lx, LX_OP_CORE_DUMP, domid, NULL, done, opaque);
    if (!op)
        return -ENOMEM;
    /* libxl reads the path for as long as the dump runs. */
    op->path = strdup(path);
    if (!op->path) {
        op_free(op);
        return -ENOMEM;
    }
    return op_start(lx, op, NULL);
}

static int lx_soft_reset(struct xld_backend *be, libxl_domain_config *dc,
                         uint32_t domid, xld_backend_done_fn *done,
                         void *opaque)
{
    struct lx *lx = be->priv;
    struct lx_op *op;

    if (domid == 0)
        return -EPERM;
    op = op_new(lx, LX_OP_SOFT_RESET, domid, NULL, done, opaque);
    if (!op)
        return -ENOMEM;
    return op_start(lx, op, dc);
}

/* ---- quick operations --------------------------------------------------- */

static int lx_shutdown(struct xld_backend *be, uint32_t domid)
{
    struct lx *lx = be->priv;

    if (domid == 0)
        return -EPERM;
    return xld_lx_errno(libxl_domain_shutdown(lx->ctx, domid, NULL));
}

static int lx_reboot(struct xld_backend *be, uint32_t domid)
{
    struct lx *lx = be->priv;

    if (domid == 0)
        return -EPERM;
    return xld_lx_errno(libxl_domain_reboot(lx->ctx, domid, NULL));
}

static int lx_pause(struct xld_backend *be, uint32_t domid)
{
    struct lx *lx = be->priv;

    /* A paused Domain-0 would take xld (and the host) with it. */
    if (domid == 0)
        return -EPERM;
    return xld_lx_errno(libxl_domain_pause(lx->ctx, domid, NULL));
}

static int lx_unpause(struct xld_backend *be, uint32_t domid)
{
    struct lx *lx = be->priv;

    return xld_lx_errno(libxl_domain_unpause(lx->ctx, domid, NULL));
}

static int lx_set_memory_target(struct xld_backend *be, uint32_t domid,
                                uint64_t memkb)
{
    struct lx *lx = be->priv;

    if (memkb == 0 || memkb > INT64_MAX)
        return -EINVAL;
    /* Absolute, and enforced (the maximum follows), as xl mem-set. */
    return xld_lx_errno(libxl_set_memory_target(lx->ctx, domid,
                                                (int64_t)memkb, 0, 1));
}

static int lx_set_memory_max(struct xld_backend *be, uint32_t domid,
                             uint64_t memkb)
{
    struct lx *lx = be->priv;

    if (memkb == 0)
        return -EINVAL;
    return xld_lx_errno(libxl_domain_setmaxmem(lx->ctx, domid, memkb));
}

static int lx_set_vcpus(struct xld_backend *be, uint32_t domid, int count)
{
    struct lx *lx = be->priv;
    libxl_dominfo di;
    libxl_bitmap map;
    int rc, max;

    libxl_dominfo_init(&di);
    libxl_bitmap_init(&map);
    rc = xld_lx_errno(libxl_domain_info(lx->ctx, &di, domid));
    if (rc)
        goto out;
    max = (int)di.vcpu_max_id + 1;
    if (count < 1 || count > max) {
        rc = -EINVAL;
        goto out;
    }
    /* The first count vcpus online, the others offline. */
    rc = xld_lx_errno(libxl_bitmap_alloc(lx->ctx, &map, max));
    if (rc)
        goto out;
    for (int i = 0; i < count; i++)
        libxl_bitmap_set(&map, i);
    rc = xld_lx_errno(libxl_set_vcpuonline(lx->ctx, domid, &map, NULL));
out:
    libxl_bitmap_dispose(&map);
    libxl_dominfo_dispose(&di);
    return rc;
}

static int lx_rename(struct xld_backend *be, uint32_t domid,
                     const char *name)
{
    struct lx *lx = be->priv;
    uint32_t other;

    if (!name || !*name)
        return -EINVAL;
    /* libxl refuses a taken name with a plain ERROR_INVAL: say which. */
    if (libxl_name_to_domid(lx->ctx, name, &other) == 0 && other != domid)
        return -EEXIST;
    return xld_lx_errno(libxl_domain_rename(lx->ctx, domid, NULL, name));
}

static int lx_preserve(struct xld_backend *be, uint32_t domid,
                       const char *name_suffix, const libxl_uuid *new_uuid)
{
    struct lx *lx = be->priv;
    libxl_domain_create_info ci;
    int rc;

    if (domid == 0)
        return -EPERM;
    libxl_domain_create_info_init(&ci);
    /* libxl builds the preserved name from the create info's name. */
    ci.name = libxl_domid_to_name(lx->ctx, domid);
    if (!ci.name) {
        rc = libxl_domain_info(lx->ctx, NULL, domid) ? -ENOENT : -EIO;
        goto out;
    }
    rc = xld_lx_errno(libxl_domain_preserve(lx->ctx, domid, &ci,
                                            name_suffix ? name_suffix : "",
                                            *new_uuid));
out:
    libxl_domain_create_info_dispose(&ci);
    return rc;
}

static int lx_send_trigger(struct xld_backend *be, uint32_t domid,
                           libxl_trigger trigger)
{
    struct lx *lx = be->priv;

    if (domid == 0)
        return -EPERM;
    return xld_lx_errno(libxl_send_trigger(lx->ctx, domid, trigger, 0, NULL));
}

static int lx_send_sysrq(struct xld_backend *be, uint32_t domid, char key)
{
    struct lx *lx = be->priv;

    if (domid == 0)
        return -EPERM;
    return xld_lx_errno(libxl_send_sysrq(lx->ctx, domid, key));
}

/* netback and blkback publish their counters in dom0's sysfs, where
 * xentop (libxenstat) reads them too; libxl has no call for them. */
static int lx_dom_stats(struct xld_backend *be, uint32_t domid,
                        struct xld_domstats *out)
{
    (void)be;
    return xld_stats_read_sysfs("/sys", domid, out);
}

static int lx_retrieve_config(struct xld_backend *be, uint32_t domid,
                              libxl_domain_config *dc)
{
    struct lx *lx = be->priv;

    if (libxl_domain_info(lx->ctx, NULL, domid))
        return -ENOENT;
    return xld_lx_errno(libxl_retrieve_domain_configuration(lx->ctx, domid,
                                                            dc, NULL));
}

static int lx_config_from_json(struct xld_backend *be, const char *json,
                               libxl_domain_config *dc)
{
    struct lx *lx = be->priv;

    if (!json)
        return -EINVAL;
    /* Whatever libxl dislikes in the text, it is the text's fault. */
    return libxl_domain_config_from_json(lx->ctx, dc, json) ? -EINVAL : 0;
}

static int lx_console_tty(struct xld_backend *be, uint32_t domid, int num,
                          libxl_console_type type, char **path)
{
    struct lx *lx = be->priv;
    int rc;

    *path = NULL;
    if (libxl_domain_info(lx->ctx, NULL, domid))
        return -ENOENT;
    rc = libxl_console_get_tty(lx->ctx, domid, num, type, path);
    /* libxl says ERROR_FAIL when xenstore has no tty for that console:
     * for xld, there is no such console. */
    if (rc == ERROR_FAIL)
        return -ENOENT;
    return xld_lx_errno(rc);
}

/* ---- cpu placement and scheduling ------------------------------------ */

static int lx_vcpu_info(struct xld_backend *be, uint32_t domid,
                        libxl_vcpuinfo **out, int *n)
{
    struct lx *lx = be->priv;
    int nr_cpus = 0;

    *out = NULL;
    *n = 0;
    /* libxl_list_vcpu says NULL for any failure: tell a missing domain
     * from the others first. */
    if (libxl_domain_info(lx->ctx, NULL, domid))
        return -ENOENT;
    *out = libxl_list_vcpu(lx->ctx, domid, n, &nr_cpus);
    if (!*out) {
        *n = 0;
        return -EIO;
    }
    return 0;
}

static int lx_vcpu_pin(struct xld_backend *be, uint32_t domid, int vcpu,
                       const libxl_bitmap *hard, const libxl_bitmap *soft,
                       bool force)
{
    struct lx *lx = be->priv;
    libxl_dominfo di;
    int rc;

    libxl_dominfo_init(&di);
    rc = xld_lx_errno(libxl_domain_info(lx->ctx, &di, domid));
    if (rc)
        goto out;
    if (vcpu >= 0 && (uint32_t)vcpu > di.vcpu_max_id) {
        rc = -EINVAL;
        goto out;
    }
    /* As xl vcpu-pin: all vcpus through _all, which takes their count;
     * force through _force, for one vcpu only. */
    if (vcpu < 0 && force)
        rc = -EINVAL;
    else if (vcpu < 0)
        rc = xld_lx_errno(libxl_set_vcpuaffinity_all(lx->ctx, domid,
                                                     di.vcpu_max_id + 1,
                                                     hard, soft));
    else if (force)
        rc = xld_lx_errno(libxl_set_vcpuaffinity_force(lx->ctx, domid,
                                                       (uint32_t)vcpu,
                                                       hard, soft));
    else
        rc = xld_lx_errno(libxl_set_vcpuaffinity(lx->ctx, domid,
                                                 (uint32_t)vcpu, hard,
                                                 soft));
out:
    libxl_dominfo_dispose(&di);
    return rc;
}

static int lx_cpupool_info(struct xld_backend *be, struct xld_cpupool **out,
                           int *n)
{
    struct lx *lx = be->priv;
    libxl_cpupoolinfo *pools;
    struct xld_cpupool *v = NULL;
    int npools = 0, rc = 0;

    *out = NULL;
    *n = 0;
    pools = libxl_list_cpupool(lx->ctx, &npools);
    if (!pools)
        return -EIO;
    v = calloc(npools ? (size_t)npools : 1, sizeof(*v));
    if (!v) {
        rc = -ENOMEM;
        goto out;
    }
    for (int i = 0; i < npools; i++) {
        libxl_sched_credit2_params c2;
        libxl_sched_credit_params c1;

        v[i].poolid = pools[i].poolid;
        v[i].sched = pools[i].sched;
        v[i].n_dom = (int)pools[i].n_dom;
        v[i].ratelimit_us = -1;
        /* The name and the map move over: libxl's list is freed
         * without them. */
        v[i].name = pools[i].pool_name;
        pools[i].pool_name = NULL;
        v[i].cpus = pools[i].cpumap;
        libxl_bitmap_init(&pools[i].cpumap);
        if (v[i].sched == LIBXL_SCHEDULER_CREDIT2
            && !libxl_sched_credit2_params_get(lx->ctx, v[i].poolid, &c2))
            v[i].ratelimit_us = c2.ratelimit_us;
        else if (v[i].sched == LIBXL_SCHEDULER_CREDIT
                 && !libxl_sched_credit_params_get(lx->ctx, v[i].poolid,
                                                   &c1))
            v[i].ratelimit_us = c1.ratelimit_us;
    }
    *out = v;
    *n = npools;
    v = NULL;
out:
    libxl_cpupoolinfo_list_free(pools, npools);
    free(v);
    return rc;
}

static int lx_sched_get(struct xld_backend *be, uint32_t domid,
                        libxl_domain_sched_params *out)
{
    struct lx *lx = be->priv;

    if (libxl_domain_info(lx->ctx, NULL, domid))
        return -ENOENT;
    return xld_lx_errno(libxl_domain_sched_params_get(lx->ctx, domid, out));
}

static int lx_sched_set(struct xld_backend *be, uint32_t domid,
                        const libxl_domain_sched_params *params)
{
    struct lx *lx = be->priv;

    if (libxl_domain_info(lx->ctx, NULL, domid))
        return -ENOENT;
    return xld_lx_errno(libxl_domain_sched_params_set(lx->ctx, domid,
                                                      params));
}

/* ---- userdata -------------------------------------------------------- */

static int lx_userdata_store(struct xld_backend *be, uint32_t domid,
                             const char *data, size_t len)
{
    struct lx *lx = be->priv;

    if ((!data && len) || len > INT_MAX)
        return -EINVAL;
    if (libxl_domain_info(lx->ctx, NULL, domid))
        return -ENOENT;
    /* An empty record is libxl's way to remove the data, which retrieve
     * then reports as -ENOENT: fine for xld, which never stores nothing
     * as something. */
    return xld_lx_errno(libxl_userdata_store(lx->ctx, domid,
                                             XLD_LX_USERDATA_ID,
                                             (const uint8_t *)data,
                                             (int)len));
}

static int lx_userdata_retrieve(struct xld_backend *be, uint32_t domid,
                                char **data, size_t *len)
{
    struct lx *lx = be->priv;
    uint8_t *raw = NULL;
    int n = 0, rc;

    *data = NULL;
    *len = 0;
    if (libxl_domain_info(lx->ctx, NULL, domid)) {
        rc = -ENOENT;
        goto out;
    }
    rc = xld_lx_errno(libxl_userdata_retrieve(lx->ctx, domid,
                                              XLD_LX_USERDATA_ID, &raw, &n));
    if (rc)
        goto out;
    if (!raw || n <= 0) {
        rc = -ENOENT;
        goto out;
    }
    /* One byte more, so that the data is a C string too. */
    *data = malloc((size_t)n + 1);
    if (!*data) {
        rc = -ENOMEM;
        goto out;
    }
    memcpy(*data, raw, (size_t)n);
    (*data)[n] = '\0';
    *len = (size_t)n;
out:
    free(raw);
    return rc;
}

/* ---- devices while the domain runs ------------------------------------- */

/* libxl's check of a domain that can take a device: it exists, and has
 * not shut down.  0, -ENOENT or -EINVAL. */
static int dev_domain(struct lx *lx, uint32_t domid)
{
    libxl_dominfo di;
    int rc;

    libxl_dominfo_init(&di);
    rc = libxl_domain_info(lx->ctx, &di, domid);
    if (rc)
        rc = rc == ERROR_DOMAIN_NOTFOUND ? -ENOENT : xld_lx_errno(rc);
    else if (di.shutdown || di.dying)
        rc = -EINVAL;
    libxl_dominfo_dispose(&di);
    return rc;
}

static int lx_disk_add(struct xld_backend *be, uint32_t domid,
                       libxl_device_disk *disk, xld_backend_done_fn *done,
                       void *opaque)
{
    struct lx *lx = be->priv;
    libxl_device_disk cur;
    struct lx_op *op;
    int rc = dev_domain(lx, domid);

    if (rc)
        return rc;
    /* libxl gives a generic error for a vdev in use; the check first
     * makes it one the admin understands. */
    libxl_device_disk_init(&cur);
    rc = libxl_vdev_to_device_disk(lx->ctx, domid, disk->vdev, &cur);
    libxl_device_disk_dispose(&cur);
    if (!rc)
        return -EEXIST;
    op = op_new(lx, LX_OP_DISK_ADD, domid, NULL, done, opaque);
    if (!op)
        return -ENOMEM;
    op->disk = disk;
    return op_start(lx, op, NULL);
}

static int lx_disk_remove(struct xld_backend *be, uint32_t domid,
                          const char *vdev, bool force,
                          xld_backend_done_fn *done, void *opaque)
{
    struct lx *lx = be->priv;
    struct lx_op *op;
    int rc = dev_domain(lx, domid);

    if (rc)
        return rc;
    op = op_new(lx, force ? LX_OP_DISK_DESTROY : LX_OP_DISK_REMOVE, domid,
                NULL, done, opaque);
    if (!op)
        return -ENOMEM;
    if (libxl_vdev_to_device_disk(lx->ctx, domid, vdev, &op->old_disk)) {
        op_free(op);
        return -ENODEV;
    }
    return op_start(lx, op, NULL);
}

static int lx_nic_add(struct xld_backend *be, uint32_t domid,
                      libxl_device_nic *nic, xld_backend_done_fn *done,
                      void *opaque)
{
    struct lx *lx = be->priv;
    libxl_device_nic cur;
    struct lx_op *op;
    int rc = dev_domain(lx, domid);

    if (rc)
        return rc;
    libxl_device_nic_init(&cur);
    rc = nic->devid >= 0
         ? libxl_devid_to_device_nic(lx->ctx, domid, nic->devid, &cur) : 1;
    libxl_device_nic_dispose(&cur);
    if (!rc)
        return -EEXIST;
    op = op_new(lx, LX_OP_NIC_ADD, domid, NULL, done, opaque);
    if (!op)
        return -ENOMEM;
    op->nic = nic;
    return op_start(lx, op, NULL);
}

static int lx_nic_remove(struct xld_backend *be, uint32_t domid, int devid,
                         xld_backend_done_fn *done, void *opaque)
{
    struct lx *lx = be->priv;
    struct lx_op *op;
    int rc = dev_domain(lx, domid);

    if (rc)
        return rc;
    op = op_new(lx, LX_OP_NIC_REMOVE, domid, NULL, done, opaque);
    if (!op)
        return -ENOMEM;
    if (libxl_devid_to_device_nic(lx->ctx, domid, devid, &op->old_nic)) {
        op_free(op);
        return -ENODEV;
    }
    return op_start(lx, op, NULL);
}

/* What one device's getinfo said, into x.  0 or -ENOMEM.  (A device
 * whose getinfo fails, going away meanwhile, is left out of the lists,
 * as xl does.) */
static int devinfo_fill(struct xld_devinfo *x, const char *backend,
                        uint32_t backend_id, uint32_t frontend_id, int devid,
                        int state, int evtch, int rref, int rref_rx)
{
    x->devid = devid;
    x->backend_id = backend_id;
    x->frontend_id = frontend_id;
    x->state = state;
    x->evtch = evtch;
    x->rref = rref;
    x->rref_rx = rref_rx;
    x->backend = strdup(backend ? backend : "");
    return x->backend ? 0 : -ENOMEM;
}

static int lx_disk_list(struct xld_backend *be, uint32_t domid,
                        struct xld_devinfo **out, int *n)
{
    struct lx *lx = be->priv;
    libxl_device_disk *disks;
    struct xld_devinfo *l = NULL;
    libxl_diskinfo info;
    int nb = 0, k = 0, rc = 0;

    *out = NULL;
    *n = 0;
    disks = libxl_device_disk_list(lx->ctx, domid, &nb);
    l = calloc((size_t)nb + 1, sizeof(*l));
    if (!l) {
        rc = -ENOMEM;
        goto out;
    }
    for (int i = 0; i < nb && !rc; i++) {
        libxl_diskinfo_init(&info);
        if (!libxl_device_disk_getinfo(lx->ctx, domid, &disks[i], &info)) {
            rc = devinfo_fill(&l[k], info.backend, info.backend_id,
                              info.frontend_id, info.devid, info.state,
                              info.evtch, info.rref, 0);
            if (!rc && disks[i].vdev
                && !(l[k].vdev = strdup(disks[i].vdev)))
                rc = -ENOMEM;
            if (!rc && disks[i].pdev_path
                && !(l[k].target = strdup(disks[i].pdev_path)))
                rc = -ENOMEM;
            k++;
        }
        libxl_diskinfo_dispose(&info);
    }
    if (!rc) {
        *out = l;
        *n = k;
        l = NULL;
    }
out:
    xld_devinfo_list_free(l, k);
    if (disks)
        libxl_device_disk_list_free(disks, nb);
    return rc;
}

static int lx_nic_list(struct xld_backend *be, uint32_t domid,
                       struct xld_devinfo **out, int *n)
{
    struct lx *lx = be->priv;
    libxl_device_nic *nics;
    struct xld_devinfo *l = NULL;
    libxl_nicinfo info;
    int nb = 0, k = 0, rc = 0;

    *out = NULL;
    *n = 0;
    nics = libxl_device_nic_list(lx->ctx, domid, &nb);
    l = calloc((size_t)nb + 1, sizeof(*l));
    if (!l) {
        rc = -ENOMEM;
        goto out;
    }
    for (int i = 0; i < nb && !rc; i++) {
        libxl_nicinfo_init(&info);
        if (!libxl_device_nic_getinfo(lx->ctx, domid, &nics[i], &info)) {
            rc = devinfo_fill(&l[k], info.backend, info.backend_id,
                              info.frontend_id, info.devid, info.state,
                              info.evtch, info.rref_tx, info.rref_rx);
            memcpy(l[k].mac, nics[i].mac, sizeof(l[k].mac));
            k++;
        }
        libxl_nicinfo_dispose(&info);
    }
    if (!rc) {
        *out = l;
        *n = k;
        l = NULL;
    }
out:
    xld_devinfo_list_free(l, k);
    if (nics)
        libxl_device_nic_list_free(nics, nb);
    return rc;
}

/* ---- PCI passthrough and CD-ROM drives -------------------------------- */

/* Whether have is at the address want names (with LIBXL_PCI_FUNC_ALL,
 * any function of want's slot). */
static bool pci_match(const libxl_device_pci *want,
                      const libxl_device_pci *have)
{
    if (want->domain != have->domain || want->bus != have->bus
        || want->dev != have->dev)
        return false;
    return want->vfunc_mask == LIBXL_PCI_FUNC_ALL || want->func == have->func;
}

/* Whether have is the device want names: by its name when want has one,
 * else by address. */
static bool pci_same(const libxl_device_pci *want,
                     const libxl_device_pci *have)
{
    if (want->name)
        return have->name && !strcmp(want->name, have->name);
    return pci_match(want, have);
}

/* No domain has the device. */
#define LX_NO_HOLDER ((uint32_t)INVALID_DOMID)

/* The domain that has the device pci names (by address), or
 * LX_NO_HOLDER: libxl lists each domain's devices. */
static uint32_t pci_holder(struct lx *lx, const libxl_device_pci *pci)
{
    libxl_dominfo *doms;
    libxl_device_pci *l;
    uint32_t holder = LX_NO_HOLDER;
    int nd = 0, n;

    doms = libxl_list_domain(lx->ctx, &nd);
    for (int i = 0; i < nd && holder == LX_NO_HOLDER; i++) {
        n = 0;
        l = libxl_device_pci_list(lx->ctx, doms[i].domid, &n);
        for (int k = 0; k < n; k++)
            if (pci_match(pci, &l[k]))
                holder = doms[i].domid;
        if (l)
            libxl_device_pci_list_free(l, n);
    }
    if (doms)
        libxl_dominfo_list_free(doms, nd);
    return holder;
}

/* Whether the host's assignable list has the device pci names; *other
 * is set when another device there has pci's name. */
static bool pci_assignable(struct lx *lx, const libxl_device_pci *pci,
                           bool *other)
{
    libxl_device_pci *l;
    bool found = false;
    int n = 0;

    *other = false;
    l = libxl_device_pci_assignable_list(lx->ctx, &n);
    for (int i = 0; i < n; i++) {
        if (pci_same(pci, &l[i]))
            found = true;
        else if (pci->name && l[i].name && !strcmp(pci->name, l[i].name))
            *other = true;
    }
    if (l)
        libxl_device_pci_assignable_list_free(l, n);
    return found;
}

/*
 * libxl says no more than ERROR_FAIL when a device cannot be given to a
 * guest; backend.h's errors say why, from what libxl lists first:
 * -EEXIST when the domain has the device, -EBUSY when another one has
 * it, -ENODEV when it is not assignable (unless seize asks libxl to
 * take it from dom0).  0 when it can go.
 */
static int pci_check_free(struct lx *lx, uint32_t domid,
                          const libxl_device_pci *pci)
{
    uint32_t holder;
    bool other;

    if (pci_assignable(lx, pci, &other))
        return 0;
    /* A name is only known for the devices made assignable with it. */
    holder = pci->name ? LX_NO_HOLDER : pci_holder(lx, pci);
    if (holder != LX_NO_HOLDER)
        return holder == domid ? -EEXIST : -EBUSY;
    return pci->seize && !pci->name ? 0 : -ENODEV;
}

static int lx_pci_add(struct xld_backend *be, uint32_t domid,
                      libxl_device_pci *pci, xld_backend_done_fn *done,
                      void *opaque)
{
    struct lx *lx = be->priv;
    struct lx_op *op;
    int rc = dev_domain(lx, domid);

    if (!rc)
        rc = pci_check_free(lx, domid, pci);
    if (rc)
        return rc;
    op = op_new(lx, LX_OP_PCI_ADD, domid, NULL, done, opaque);
    if (!op)
        return -ENOMEM;
    op->pci = pci;
    return op_start(lx, op, NULL);
}

/*
 * What libxl chose for a device it added (its address when it was given
 * by name, the slot the device model gave it), read from the domain's
 * list into the caller's device, as backend.h promises.  By name first;
 * libxl may also have written the address into the device itself.
 */
static void pci_read_back(struct lx_op *op)
{
    libxl_device_pci *l, *found = NULL;
    int n = 0;

    l = libxl_device_pci_list(op->lx->ctx, op->domid, &n);
    for (int i = 0; i < n && !found; i++)
        if (pci_same(op->pci, &l[i]))
            found = &l[i];
    for (int i = 0; i < n && !found; i++)
        if (pci_match(op->pci, &l[i]))
            found = &l[i];
    if (found) {
        op->pci->domain = found->domain;
        op->pci->bus = found->bus;
        op->pci->dev = found->dev;
        if (op->pci->vfunc_mask != LIBXL_PCI_FUNC_ALL)
            op->pci->func = found->func;
        /* The functions of a whole slot differ in their low bits. */
        op->pci->vdevfn = op->pci->vfunc_mask == LIBXL_PCI_FUNC_ALL
                          ? found->vdevfn & ~7u : found->vdevfn;
    }
    if (l)
        libxl_device_pci_list_free(l, n);
}

static int lx_pci_remove(struct xld_backend *be, uint32_t domid,
                         libxl_device_pci *pci, bool force,
                         xld_backend_done_fn *done, void *opaque)
{
    struct lx *lx = be->priv;
    libxl_device_pci *l;
    struct lx_op *op;
    bool found = false;
    int n = 0, rc = dev_domain(lx, domid);

    if (rc)
        return rc;
    l = libxl_device_pci_list(lx->ctx, domid, &n);
    for (int i = 0; i < n; i++)
        found |= pci_same(pci, &l[i]);
    if (l)
        libxl_device_pci_list_free(l, n);
    if (!found)
        return -ENODEV;
    op = op_new(lx, force ? LX_OP_PCI_DESTROY : LX_OP_PCI_REMOVE, domid,
                NULL, done, opaque);
    if (!op)
        return -ENOMEM;
    op->pci = pci;
    return op_start(lx, op, NULL);
}

static int lx_pci_list(struct xld_backend *be, uint32_t domid,
                       libxl_device_pci **out, int *n)
{
    struct lx *lx = be->priv;
    libxl_dominfo di;
    int rc;

    *out = NULL;
    *n = 0;
    libxl_dominfo_init(&di);
    rc = libxl_domain_info(lx->ctx, &di, domid);
    libxl_dominfo_dispose(&di);
    if (rc)
        return rc == ERROR_DOMAIN_NOTFOUND ? -ENOENT : xld_lx_errno(rc);
    /* No list is no device: libxl gives NULL for a domain that never
     * had one. */
    *out = libxl_device_pci_list(lx->ctx, domid, n);
    if (!*out)
        *n = 0;
    return 0;
}

static int lx_pci_assignable_list(struct xld_backend *be,
                                  libxl_device_pci **out, int *n)
{
    struct lx *lx = be->priv;

    /* libxl logs why when there is no list (pciback is not loaded):
     * there is then no device to give. */
    *out = libxl_device_pci_assignable_list(lx->ctx, n);
    if (!*out)
        *n = 0;
    return 0;
}

/* Whether the host has a PCI device at pci's address (sysfs). */
static bool pci_exists(const libxl_device_pci *pci)
{
    char path[64];

    snprintf(path, sizeof(path), "/sys/bus/pci/devices/%04x:%02x:%02x.%x",
             (unsigned)pci->domain & 0xffff, pci->bus, pci->dev & 0x1f,
             pci->func & 7);
    return access(path, F_OK) == 0;
}

/* A name libxl accepts: at most 64 characters, all printable. */
static bool pci_name_ok(const char *name)
{
    size_t n = strlen(name);

    if (!n || n > 64)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isgraph((unsigned char)name[i]))
            return false;
    return true;
}

/* libxl fails alike for every reason; what it checks first is checked
 * here first, so that the admin reads which. */
static int lx_pci_assignable_add(struct xld_backend *be,
                                 libxl_device_pci *pci, bool rebind)
{
    struct lx *lx = be->priv;
    bool other;

    if (!pci_exists(pci))
        return -ENODEV;
    if (pci->name && !pci_name_ok(pci->name))
        return -EINVAL;
    if (pci_holder(lx, pci) != LX_NO_HOLDER)
        return -EBUSY;
    if (pci->name && !pci_assignable(lx, pci, &other) && other)
        return -EINVAL;
    return xld_lx_errno(libxl_device_pci_assignable_add(lx->ctx, pci,
                                                        rebind));
}

static int lx_pci_assignable_remove(struct xld_backend *be,
                                    libxl_device_pci *pci, bool rebind)
{
    struct lx *lx = be->priv;
    int rc;

    if (!pci->name && !pci_exists(pci))
        return -ENODEV;
    if (!pci->name && pci_holder(lx, pci) != LX_NO_HOLDER)
        return -EBUSY;
    rc = libxl_device_pci_assignable_remove(lx->ctx, pci, rebind);
    /* No device of that name. */
    return rc == ERROR_NOTFOUND ? -ENODEV : xld_lx_errno(rc);
}

static int lx_cdrom_insert(struct xld_backend *be, uint32_t domid,
                           libxl_device_disk *disk,
                           xld_backend_done_fn *done, void *opaque)
{
    struct lx *lx = be->priv;
    libxl_device_disk *disks;
    libxl_dominfo di;
    struct lx_op *op;
    bool found = false;
    int nb = 0, rc = dev_domain(lx, domid);

    if (rc)
        return rc;
    /* libxl's own checks, first, for errors that say which failed: an
     * HVM guest, and a drive of it that is a cdrom. */
    libxl_dominfo_init(&di);
    rc = libxl_domain_info(lx->ctx, &di, domid);
    if (!rc && di.domain_type != LIBXL_DOMAIN_TYPE_HVM)
        rc = -EOPNOTSUPP;
    else if (rc)
        rc = xld_lx_errno(rc);
    libxl_dominfo_dispose(&di);
    if (rc)
        return rc;
    disks = libxl_device_disk_list(lx->ctx, domid, &nb);
    for (int i = 0; i < nb; i++)
        found |= disks[i].is_cdrom && disks[i].vdev
                 && !strcmp(disks[i].vdev, disk->vdev);
    if (disks)
        libxl_device_disk_list_free(disks, nb);
    if (!found)
        return -ENODEV;
    op = op_new(lx, LX_OP_CDROM_INSERT, domid, NULL, done, opaque);
    if (!op)
        return -ENOMEM;
    op->disk = disk;
    return op_start(lx, op, NULL);
}

const struct xld_backend_ops xld_backend_libxl_ops = {
    .name = "libxl",
    .open = lx_open,
    .close = lx_close,
    .host_info = lx_host_info,
    .list = lx_list,
    .info = lx_info,
    .create = lx_create,
    .restore = lx_restore,
    .save = lx_save,
    .destroy = lx_destroy,
    .shutdown = lx_shutdown,
    .reboot = lx_reboot,
    .pause = lx_pause,
    .unpause = lx_unpause,
    .set_memory_target = lx_set_memory_target,
    .set_memory_max = lx_set_memory_max,
    .set_vcpus = lx_set_vcpus,
    .rename = lx_rename,
    .preserve = lx_preserve,
    .core_dump = lx_core_dump,
    .soft_reset = lx_soft_reset,
    .send_trigger = lx_send_trigger,
    .send_sysrq = lx_send_sysrq,
    .dom_stats = lx_dom_stats,
    .retrieve_config = lx_retrieve_config,
    .config_from_json = lx_config_from_json,
    .console_tty = lx_console_tty,
    .vcpu_info = lx_vcpu_info,
    .vcpu_pin = lx_vcpu_pin,
    .cpupool_info = lx_cpupool_info,
    .sched_get = lx_sched_get,
    .sched_set = lx_sched_set,
    .userdata_store = lx_userdata_store,
    .userdata_retrieve = lx_userdata_retrieve,
    .inject = NULL,
    .migrate_send = lx_migrate_send,
    .resume = lx_resume,
    .disk_add = lx_disk_add,
    .disk_remove = lx_disk_remove,
    .disk_list = lx_disk_list,
    .nic_add = lx_nic_add,
    .nic_remove = lx_nic_remove,
    .nic_list = lx_nic_list,
    .pci_add = lx_pci_add,
    .pci_remove = lx_pci_remove,
    .pci_list = lx_pci_list,
    .pci_assignable_list = lx_pci_assignable_list,
    .pci_assignable_add = lx_pci_assignable_add,
    .pci_assignable_remove = lx_pci_assignable_remove,
    .cdrom_insert = lx_cdrom_insert,
};
