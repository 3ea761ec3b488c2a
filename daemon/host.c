/*
 * host.c - the host boot and shutdown job (see host.h).
 *
 * A job is a list of items, one per domain (or per file of the save or
 * autostart folder), each walking through its steps by operations on
 * the domain table: at most `parallel` items are in flight, the others
 * wait their turn.  Every operation's done() comes back to its item; an
 * item that the job gave up on (the deadline passed) ignores the late
 * ones, and the job's memory stays until the last of them has come back,
 * so that no callback ever finds freed memory.
 *
 * host stop, per domain: the SysRq keys of XENDOMAINS_SYSRQ first, one
 * after the other with XENDOMAINS_USLEEP between them, as upstream's
 * script sends them; then a migration when XENDOMAINS_MIGRATE is set
 * (a domain that migrated is done, one that did not goes on); then save to SAVE/NAME (the domain table writes
 * NAME.tmp, fsyncs it and renames it, so a crash never leaves half an
 * image under the final name); a save that fails falls back to a
 * shutdown, as upstream's script does; when the deadline passes, what is
 * still running is destroyed if XENDOMAINS_STOP_DESTROY says so, and
 * otherwise left as it is and reported.
 *
 * host start: restore every image of SAVE (deleted only once its domain
 * runs; an image that fails is moved to SAVE/failed/ with the reason
 * logged, and the domain it holds is not cold-booted from its autostart
 * config, since its disks belong to the saved memory); then create each
 * autostart config whose domain does not exist.
 */
#define _GNU_SOURCE

#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "domain.h"
#include "host.h"
#include "log.h"
#include "loop.h"
#include "migrate.h"
#include "state.h"
#include "xendomains.h"
#include "xlcfg.h"

/* How often the job's progress is told while bytes move. */
#define TICK_MS 500

/* The folders next to SAVE (SAVE.failed, SAVE.stale: inside it, they
 * would take the names of domains) where images that failed to restore
 * are kept (their domains are not cold-booted while they are there),
 * and images of domains that were running already (older than the
 * domain). */
#define FAILED_DIR "failed"
#define STALE_DIR "stale"

/* The longest config read from the autostart folder. */
#define MAX_CONFIG (4u * 1024 * 1024)

/* Xen's save images start with this, whoever wrote them (upstream's
 * script checks the same words). */
static const char image_magic[] = "Xen saved domain";

enum step {
    S_QUEUED,
    S_SYSRQ,
    S_MIGRATE,
    S_SAVE,
    S_SHUTDOWN,
    S_DESTROY,
    S_RESTORE,
    S_CREATE,
    S_DONE,
};

static const char *const step_names[] = {
    [S_QUEUED] = "queued", [S_SYSRQ] = "sysrq", [S_MIGRATE] = "migrate",
    [S_SAVE] = "save", [S_SHUTDOWN] = "shutdown",
    [S_DESTROY] = "destroy", [S_RESTORE] = "restore",
    [S_CREATE] = "create", [S_DONE] = "done",
};

struct job;

struct item {
    struct job *job;
    enum step step;
    char *name;                  /* the domain's, else the file's */
    char uuid[LIBXL_UUID_FMTLEN + 1];    /* stop: the domain */
    char *path;                  /* the image or the config */
    bool save_it;                /* stop: save (else shut down) */
    bool migrate_tried;          /* stop: XENDOMAINS_MIGRATE was tried */
    unsigned ncb;                /* done() callbacks still to come */
    uint64_t bytes_done, bytes_total;
    char *fallback;              /* why a save fell back to shutdown */
    const char *sysrq_next;      /* stop: the keys still to send, or NULL
                                    once they are all sent */
    struct xld_timer *sysrq_timer;   /* XENDOMAINS_USLEEP after a key */
};

struct job {
    struct xld_host *h;
    enum xld_host_kind kind;
    const char *name;            /* "start", "stop" */
    struct xld_host_client cl;
    void *opaque;
    struct xld_xd xd;
    bool shutdown_wait, shutdown_force, do_shutdown;
    /* XENDOMAINS_MIGRATE, understood: the transport command and the
     * options; do_migrate when it is set and makes sense. */
    struct xld_xd_migrate mig;
    char *mig_command;
    char *mig_config;            /* -C: the file's text */
    bool do_migrate;
    struct item **items;
    size_t nitems, next;
    unsigned active, ndone;
    unsigned refs;               /* callbacks outstanding, all items */
    int phase;                   /* start: 0 restore, 1 autostart */
    /* Domains whose image failed to restore: not cold-booted. */
    char **failed_names;
    size_t nfailed_names;
    struct xld_host_outcome *outcomes;
    size_t noutcomes;
    char **warnings;
    size_t nwarnings;
    unsigned failed;
    uint64_t all_bytes;          /* done by finished items */
    struct item *last_moving;
    struct xld_timer *deadline, *tick, *delay;
    uint64_t deadline_at;        /* monotonic ms, 0: none */
    bool timed_out, stopping, finished, pumping, repump, holding;
};

struct xld_host {
    struct xld_loop *loop;
    struct xld_dm *dm;
    char *file;
    struct job *job;             /* the running one */
    /* Jobs that answered but wait for late callbacks. */
    struct job **lingering;
    size_t nlingering;
};

static void pump(struct job *j);
static void item_step_shutdown(struct item *it, const char *fallback);

/* ---- small helpers ---------------------------------------------------- */

static bool has_name(char *const *names, size_t n, const char *name)
{
    for (size_t i = 0; name && i < n; i++)
        if (!strcmp(names[i], name))
            return true;
    return false;
}

static int add_name(char ***names, size_t *n, const char *name)
{
    char **v;

    if (!name || has_name(*names, *n, name))
        return 0;
    v = realloc(*names, (*n + 1) * sizeof(*v));
    if (!v)
        return ENOMEM;
    *names = v;
    v[*n] = strdup(name);
    if (!v[*n])
        return ENOMEM;
    (*n)++;
    return 0;
}

static void free_names(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

/* mkdir -p for one or two levels, mode 0700 as upstream's script. */
static int make_dir(const char *dir)
{
    char *copy, *slash;
    int rc = 0;

    if (!mkdir(dir, 0700) || errno == EEXIST)
        return 0;
    if (errno != ENOENT)
        return errno;
    copy = strdup(dir);
    if (!copy)
        return ENOMEM;
    for (slash = strchr(copy + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
        *slash = '\0';
        if (mkdir(copy, 0755) && errno != EEXIST) {
            rc = errno;
            break;
        }
        *slash = '/';
    }
    free(copy);
    if (!rc && mkdir(dir, 0700) && errno != EEXIST)
        rc = errno;
    return rc;
}

/* ---- the job's life --------------------------------------------------- */

static void item_free(struct item *it)
{
    xld_loop_cancel(it->sysrq_timer);
    free(it->name);
    free(it->path);
    free(it->fallback);
    free(it);
}

static void job_free(struct job *j)
{
    if (!j)
        return;
    xld_loop_cancel(j->deadline);
    xld_loop_cancel(j->tick);
    xld_loop_cancel(j->delay);
    for (size_t i = 0; i < j->nitems; i++)
        item_free(j->items[i]);
    free(j->items);
    for (size_t i = 0; i < j->noutcomes; i++) {
        free((char *)j->outcomes[i].domain);
        free((char *)j->outcomes[i].path);
        free((char *)j->outcomes[i].detail);
    }
    free(j->outcomes);
    free_names(j->failed_names, j->nfailed_names);
    free_names(j->warnings, j->nwarnings);
    xld_xd_migrate_dispose(&j->mig);
    free(j->mig_command);
    free(j->mig_config);
    xld_xd_dispose(&j->xd);
    free(j);
}

static void linger_drop(struct xld_host *h, struct job *j)
{
    for (size_t i = 0; i < h->nlingering; i++)
        if (h->lingering[i] == j) {
            h->lingering[i] = h->lingering[--h->nlingering];
            job_free(j);
            return;
        }
}

/* A callback came back: the job may be free to go. */
static void job_unref(struct job *j)
{
    j->refs--;
    if (j->finished && !j->refs)
        linger_drop(j->h, j);
}

static void job_finish(struct job *j, int rc, const char *msg)
{
    struct xld_host *h = j->h;
    struct xld_host_summary s;
    struct job **v;

    xld_loop_cancel(j->deadline);
    xld_loop_cancel(j->tick);
    xld_loop_cancel(j->delay);
    j->deadline = j->tick = j->delay = NULL;
    memset(&s, 0, sizeof(s));
    s.job = j->name;
    s.outcomes = j->outcomes;
    s.n = j->noutcomes;
    s.failed = j->failed;
    s.maxwait = j->xd.stop_maxwait;
    s.parallel = j->xd.parallel;
    s.warnings = (const char *const *)j->warnings;
    s.nwarnings = j->nwarnings;
    if (!rc)
        xld_notice("host %s: done: %zu domains, %u failed", j->name,
                   j->noutcomes, j->failed);
    sd_notifyf(0, "STATUS=host %s done: %zu domains, %u failed", j->name,
               j->noutcomes, j->failed);
    j->finished = true;
    if (h->job == j)
        h->job = NULL;
    if (j->cl.done)
        j->cl.done(j->opaque, rc, msg, &s);
    if (!j->refs) {
        job_free(j);
        return;
    }
    /* Keep it for the callbacks still to come; out of memory, it leaks
     * rather than be freed under them. */
    v = realloc(h->lingering, (h->nlingering + 1) * sizeof(*v));
    if (v) {
        h->lingering = v;
        h->lingering[h->nlingering++] = j;
    }
}

static void warn(struct job *j, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void warn(struct job *j, const char *fmt, ...)
{
    char *msg, **v;
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vasprintf(&msg, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    xld_warn("host %s: %s", j->name, msg);
    v = realloc(j->warnings, (j->nwarnings + 1) * sizeof(*v));
    if (!v) {
        free(msg);
        return;
    }
    j->warnings = v;
    v[j->nwarnings++] = msg;
}

static void progress(struct job *j)
{
    struct xld_host_progress p;
    struct item *m = j->last_moving;
    uint64_t now = xld_loop_now(NULL), all = j->all_bytes;

    if (!j->cl.progress || j->finished)
        return;
    memset(&p, 0, sizeof(p));
    p.job = j->name;
    p.done = j->ndone;
    p.total = (unsigned)j->nitems;
    p.active = j->active;
    for (size_t i = 0; i < j->nitems; i++)
        if (j->items[i]->step != S_DONE)
            all += j->items[i]->bytes_done;
    p.all_bytes_done = all;
    if (m && m->step != S_DONE) {
        p.domain = m->name;
        p.step = step_names[m->step];
        p.bytes_done = m->bytes_done;
        p.bytes_total = m->bytes_total;
    }
    if (j->deadline_at && now < j->deadline_at)
        p.seconds_left = (unsigned)((j->deadline_at - now + 999) / 1000);
    j->cl.progress(j->opaque, &p);
}

static void tick(void *opaque)
{
    struct job *j = opaque;

    j->tick = NULL;
    progress(j);
    sd_notifyf(0, "STATUS=host %s: %u of %zu domains done, %u in progress",
               j->name, j->ndone, j->nitems, j->active);
    if (!j->finished)
        xld_loop_timer(j->h->loop, TICK_MS, tick, j, &j->tick);
}

/* The end of one item: its outcome is recorded, told and logged. */
static void item_outcome(struct item *it, const char *action,
                         const char *outcome, bool failed,
                         const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static void item_outcome(struct item *it, const char *action,
                         const char *outcome, bool failed,
                         const char *fmt, ...)
{
    struct job *j = it->job;
    struct xld_host_outcome *o, *v;
    char *detail = NULL;
    bool was_active = it->step != S_QUEUED;

    if (it->step == S_DONE)
        return;
    if (fmt) {
        va_list ap;

        va_start(ap, fmt);
        if (vasprintf(&detail, fmt, ap) < 0)
            detail = NULL;
        va_end(ap);
    }
    it->step = S_DONE;
    xld_loop_cancel(it->sysrq_timer);
    it->sysrq_timer = NULL;
    j->ndone++;
    if (was_active)
        j->active--;
    j->all_bytes += it->bytes_done;
    j->failed += failed;
    if (failed)
        xld_warn("host %s: %s: %s%s%s", j->name, it->name, outcome,
                 detail ? ": " : "", detail ? detail : "");
    else
        xld_notice("host %s: %s: %s%s%s", j->name, it->name, outcome,
                   detail ? ": " : "", detail ? detail : "");
    v = realloc(j->outcomes, (j->noutcomes + 1) * sizeof(*v));
    if (!v) {
        free(detail);
        return;
    }
    j->outcomes = v;
    o = &v[j->noutcomes++];
    memset(o, 0, sizeof(*o));
    o->domain = strdup(it->name);
    o->action = action;
    o->outcome = outcome;
    o->path = it->path ? strdup(it->path) : NULL;
    o->detail = detail;
    o->failed = failed;
    if (j->cl.outcome)
        j->cl.outcome(j->opaque, o);
    progress(j);
}

/* ---- host stop ------------------------------------------------------ */

static struct xld_domain *item_domain(struct item *it)
{
    struct xld_domain *dom = xld_dm_lookup(it->job->h->dm, it->uuid);

    return dom && dom->state != XLD_DS_GONE ? dom : NULL;
}

static void on_progress(void *opaque, const char *operation,
                        const char *domain, uint64_t done, uint64_t total)
{
    struct item *it = opaque;

    (void)operation;
    (void)domain;
    if (it->step == S_DONE)
        return;
    it->bytes_done = done;
    it->bytes_total = total;
    it->job->last_moving = it;
}

static void destroyed(void *opaque, const struct xld_dm_result *res)
{
    struct item *it = opaque;
    struct job *j = it->job;

    it->ncb--;
    if (it->step == S_DESTROY) {
        if (res->rc && res->rc != -ENOENT)
            item_outcome(it, "destroy", "failed", true, "destroying it "
                         "failed: %s", res->msg ? res->msg
                         : strerror(-res->rc));
        else
            item_outcome(it, "destroy", "destroyed", true, "%s",
                         it->fallback ? it->fallback : "destroyed");
        pump(j);
    }
    job_unref(j);
}

/* Destroy what did not stop: only when the settings say so. */
static void item_destroy(struct item *it, const char *why)
{
    struct job *j = it->job;
    struct xld_domain *dom = item_domain(it);
    struct xld_dm_request rq;

    free(it->fallback);
    it->fallback = strdup(why);
    if (!dom) {
        item_outcome(it, "none", "shut-down", false, "it went away");
        return;
    }
    if (it->step == S_QUEUED)
        j->active++;
    it->step = S_DESTROY;
    xld_dm_request_init(&rq);
    rq.type = XLD_OP_DESTROY;
    it->ncb++;
    j->refs++;
    xld_dm_submit(j->h->dm, dom, &rq, destroyed, NULL, it);
    xld_dm_request_dispose(&rq);
}

static void shut_down(void *opaque, const struct xld_dm_result *res)
{
    struct item *it = opaque;
    struct job *j = it->job;

    it->ncb--;
    if (it->step == S_SHUTDOWN) {
        if (!res->rc || res->rc == -ENOENT)
            item_outcome(it, "shutdown", "shut-down", it->fallback != NULL,
                         "%s", it->fallback ? it->fallback : "it shut down");
        else if (j->xd.stop_destroy && !j->stopping) {
            char why[600];

            snprintf(why, sizeof(why), "asking it to shut down failed (%s); "
                     "destroyed, as XENDOMAINS_STOP_DESTROY says",
                     res->msg ? res->msg : strerror(-res->rc));
            item_destroy(it, why);
        } else
            item_outcome(it, "shutdown", "left-running", true, "asking it "
                         "to shut down failed: %s", res->msg ? res->msg
                         : strerror(-res->rc));
        pump(j);
    }
    job_unref(j);
}

static void item_step_shutdown(struct item *it, const char *fallback)
{
    struct job *j = it->job;
    struct xld_domain *dom = item_domain(it);
    struct xld_dm_request rq;

    if (fallback) {
        free(it->fallback);
        it->fallback = strdup(fallback);
    }
    if (!dom) {
        item_outcome(it, "none", "shut-down", it->fallback != NULL, "%s",
                     it->fallback ? it->fallback : "it went away");
        return;
    }
    if (!j->do_shutdown) {
        item_outcome(it, "none", "left-running", it->fallback != NULL,
                     "%s%sXENDOMAINS_SHUTDOWN and XENDOMAINS_SHUTDOWN_ALL "
                     "are empty", it->fallback ? it->fallback : "",
                     it->fallback ? "; " : "");
        return;
    }
    if (it->step == S_QUEUED)
        j->active++;
    it->step = S_SHUTDOWN;
    xld_dm_request_init(&rq);
    rq.type = XLD_OP_SHUTDOWN;
    /* The job always waits: a domain is done when it is down, whatever
     * the options say, so that the deadline means something. */
    rq.wait = true;
    rq.force = j->shutdown_force;
    it->ncb++;
    j->refs++;
    xld_dm_submit(j->h->dm, dom, &rq, shut_down, NULL, it);
    xld_dm_request_dispose(&rq);
}

static void saved(void *opaque, const struct xld_dm_result *res)
{
    struct item *it = opaque;
    struct job *j = it->job;

    it->ncb--;
    if (it->step == S_SAVE) {
        if (!res->rc) {
            item_outcome(it, "save", "saved", false, "saved to %s",
                         it->path);
        } else {
            char why[700];

            snprintf(why, sizeof(why), "saving it failed (%s); shut down "
                     "instead", res->msg ? res->msg : strerror(-res->rc));
            xld_warn("host stop: %s: %s", it->name, why);
            if (j->stopping)
                item_outcome(it, "save", "failed", true, "%s", why);
            else
                item_step_shutdown(it, why);
        }
        pump(j);
    } else if (!res->rc) {
        /* It finished after the job gave up on it: the image is whole. */
        xld_notice("host stop: %s: its save ended after the deadline; the "
                   "image %s is complete", it->name, it->path);
    }
    job_unref(j);
}

static void stop_item_start(struct item *it);
static void sysrq_send(struct item *it);

/* As upstream's script: a domain that migrated is done; one that did not
 * is saved or shut down as if the setting were empty. */
static void migrated(void *opaque, const struct xld_dm_result *res)
{
    struct item *it = opaque;
    struct job *j = it->job;

    it->ncb--;
    if (it->step == S_MIGRATE) {
        if (!res->rc) {
            item_outcome(it, "migrate", "migrated", false, "migrated to %s",
                         j->mig.host);
        } else {
            char why[700];

            snprintf(why, sizeof(why), "migrating it to %s failed (%s)",
                     j->mig.host, res->msg ? res->msg : strerror(-res->rc));
            xld_warn("host stop: %s: %s; %s instead", it->name, why,
                     it->save_it ? "saved" : "shut down");
            free(it->fallback);
            it->fallback = NULL;
            if (j->stopping)
                item_outcome(it, "migrate", "failed", true, "%s", why);
            else
                stop_item_start(it);
        }
        pump(j);
    }
    job_unref(j);
}

static void sysrq_pause_over(void *opaque)
{
    struct item *it = opaque;

    it->sysrq_timer = NULL;
    if (it->step == S_SYSRQ)
        sysrq_send(it);
}

static void sysrq_sent(void *opaque, const struct xld_dm_result *res)
{
    struct item *it = opaque;
    struct job *j = it->job;
    uint64_t ms = (j->xd.usleep + 999) / 1000;

    it->ncb--;
    if (it->step != S_SYSRQ)
        goto out;
    /* As upstream: a key that failed is reported, and the next one
     * follows at once. */
    if (res->rc) {
        xld_warn("host stop: %s: SysRq '%c' failed: %s", it->name,
                 it->sysrq_next[-1], res->msg ? res->msg
                 : strerror(-res->rc));
        sysrq_send(it);
    } else if (!ms || xld_loop_timer(j->h->loop, ms, sysrq_pause_over, it,
                                     &it->sysrq_timer)) {
        it->sysrq_timer = NULL;
        sysrq_send(it);
    }
    pump(j);
out:
    job_unref(j);
}

/*
 * The next key of XENDOMAINS_SYSRQ (letters separated by blanks, as the
 * script's `for sysrq in $XENDOMAINS_SYSRQ` splits them; a word that is
 * not one letter was warned about when the job began, and is skipped
 * here, as `xl sysrq` refuses it), or the save or shutdown once all are
 * sent.
 */
static void sysrq_send(struct item *it)
{
    struct job *j = it->job;
    struct xld_domain *dom = item_domain(it);
    struct xld_dm_request rq;
    const char *p = it->sysrq_next;

    for (;;) {
        size_t n;

        p += strspn(p, " \t\n");
        n = strcspn(p, " \t\n");
        if (!n || n == 1)
            break;
        p += n;
    }
    if (!*p || !dom) {
        it->sysrq_next = NULL;
        stop_item_start(it);
        return;
    }
    it->sysrq_next = p + 1;
    xld_dm_request_init(&rq);
    rq.type = XLD_OP_SYSRQ;
    rq.key = *p;
    it->ncb++;
    j->refs++;
    xld_dm_submit(j->h->dm, dom, &rq, sysrq_sent, NULL, it);
    xld_dm_request_dispose(&rq);
}

static void stop_item_start(struct item *it)
{
    struct job *j = it->job;
    struct xld_domain *dom = item_domain(it);
    struct xld_dm_request rq;
    int rc;

    if (!dom) {
        item_outcome(it, "none", "skipped", false, "it is gone already");
        return;
    }
    if (it->step == S_QUEUED && *j->xd.sysrq) {
        j->active++;
        it->step = S_SYSRQ;
        it->sysrq_next = j->xd.sysrq;
        sysrq_send(it);
        return;
    }
    if (j->do_migrate && !it->migrate_tried) {
        it->migrate_tried = true;
        if (it->step == S_QUEUED)
            j->active++;
        it->step = S_MIGRATE;
        xld_dm_request_init(&rq);
        rq.type = XLD_OP_MIGRATE;
        rq.command = j->mig_command;
        rq.paused = j->mig.paused;
        rq.debug = j->mig.debug;
        rq.config = j->mig_config;
        rq.filename = j->mig.config;
        it->ncb++;
        j->refs++;
        xld_dm_submit(j->h->dm, dom, &rq, migrated, on_progress, it);
        xld_dm_request_dispose(&rq);
        return;
    }
    if (!it->save_it) {
        item_step_shutdown(it, NULL);
        return;
    }
    rc = make_dir(j->xd.save);
    if (rc) {
        char why[600];

        snprintf(why, sizeof(why), "the save folder %s cannot be made (%s); "
                 "shut down instead", j->xd.save, strerror(rc));
        item_step_shutdown(it, why);
        return;
    }
    if (it->step == S_QUEUED)
        j->active++;
    it->step = S_SAVE;
    xld_dm_request_init(&rq);
    rq.type = XLD_OP_SAVE;
    rq.path = it->path;
    it->ncb++;
    j->refs++;
    xld_dm_submit(j->h->dm, dom, &rq, saved, on_progress, it);
    xld_dm_request_dispose(&rq);
}

/* A config file's whole text, for XENDOMAINS_MIGRATE's -C; errno. */
static int read_text(const char *path, char **out)
{
    FILE *f = fopen(path, "re");
    char *buf = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;

    *out = NULL;
    if (!f)
        return errno;
    for (;;) {
        size_t got;

        if (cap - n < 4096) {
            char *p;

            cap = cap ? cap * 2 : 8192;
            if (cap > MAX_CONFIG || !(p = realloc(buf, cap))) {
                rc = cap > MAX_CONFIG ? EFBIG : ENOMEM;
                break;
            }
            buf = p;
        }
        got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0) {
            if (ferror(f))
                rc = EIO;
            break;
        }
    }
    fclose(f);
    if (rc) {
        free(buf);
        return rc;
    }
    buf[n] = '\0';
    *out = buf;
    return 0;
}

/* XENDOMAINS_MIGRATE: what `xl migrate ID $XENDOMAINS_MIGRATE` would do;
 * a setting xld cannot follow is warned about and skipped, every domain
 * then being saved or shut down, as when a migration fails. */
static void migrate_setup(struct job *j)
{
    char err[200];
    int rc;

    rc = xld_xd_migrate_parse(j->xd.migrate, &j->mig, err, sizeof(err));
    if (!rc)
        rc = xld_mig_command(j->mig.ssh ? j->mig.ssh : "ssh", j->mig.host,
                             j->mig.no_wait, j->mig.debug, j->mig.paused,
                             &j->mig_command);
    if (rc) {
        warn(j, "XENDOMAINS_MIGRATE (%s): %s; domains are saved or shut "
             "down instead", j->xd.migrate, rc == ENOMEM ? "out of memory"
             : err);
        return;
    }
    if (j->mig.config) {
        rc = read_text(j->mig.config, &j->mig_config);
        if (rc) {
            warn(j, "XENDOMAINS_MIGRATE: -C %s: %s; domains are saved or "
                 "shut down instead", j->mig.config, strerror(rc));
            return;
        }
    }
    j->do_migrate = true;
    xld_notice("host stop: every domain is migrated first: %s",
               j->mig_command);
}

/* The deadline: what is not down yet is destroyed, or left and told. */
static void deadline(void *opaque)
{
    struct job *j = opaque;
    char why[200];

    j->deadline = NULL;
    j->timed_out = true;
    snprintf(why, sizeof(why), "it did not stop within "
             "XENDOMAINS_STOP_MAXWAIT (%u s)", j->xd.stop_maxwait);
    xld_warn("host stop: the deadline (%u s) passed with %zu domains not "
             "done", j->xd.stop_maxwait, j->nitems - j->ndone);
    /* Nothing queued starts any more, even from inside the loop below. */
    j->next = j->nitems;
    for (size_t i = 0; i < j->nitems; i++) {
        struct item *it = j->items[i];
        char msg[400];

        if (it->step == S_DONE || it->step == S_DESTROY)
            continue;
        if (j->xd.stop_destroy) {
            snprintf(msg, sizeof(msg), "%s; destroyed, as "
                     "XENDOMAINS_STOP_DESTROY says", why);
            item_destroy(it, msg);
        } else {
            item_outcome(it, it->step == S_QUEUED ? "none"
                         : step_names[it->step], "left-running", true,
                         "%s%s; left as it is (XENDOMAINS_STOP_DESTROY is "
                         "not set)", why, it->step == S_SAVE
                         ? " (its save goes on)" : "");
        }
    }
    pump(j);
}

/* XENDOMAINS_SYSRQ's words that are not one key: `xl sysrq` would refuse
 * each, and upstream's script would go on with the next. */
static void sysrq_check(struct job *j)
{
    const char *p = j->xd.sysrq;

    for (;;) {
        size_t n;

        p += strspn(p, " \t\n");
        n = strcspn(p, " \t\n");
        if (!n)
            break;
        if (n > 1)
            warn(j, "XENDOMAINS_SYSRQ: '%.*s' is not one SysRq key; it is "
                 "skipped", (int)n, p);
        p += n;
    }
}

/* The names of the domains of the autostart configs, for AUTO_ONLY. */
static void auto_names(struct job *j, char ***names, size_t *n);

static int stop_build(struct job *j)
{
    const struct xld_domain_list *doms = xld_dm_domains(j->h->dm);
    const struct xld_domain *dom;
    char **autos = NULL;
    size_t nautos = 0;
    int rc = 0;

    if (j->xd.auto_only)
        auto_names(j, &autos, &nautos);
    TAILQ_FOREACH(dom, doms, link) {
        struct item *it, **v;

        if (dom->domid == 0 || dom->domid == XLD_NO_DOMID
            || dom->state != XLD_DS_ACTIVE)
            continue;
        /* Already shut down or dying: nothing to save, nothing to ask. */
        if (dom->have_info && (dom->info.shutdown || dom->info.dying))
            continue;
        it = calloc(1, sizeof(*it));
        v = realloc(j->items, (j->nitems + 1) * sizeof(*v));
        if (!it || !v) {
            free(it);
            if (v)
                j->items = v;
            rc = ENOMEM;
            break;
        }
        j->items = v;
        v[j->nitems++] = it;
        it->job = j;
        snprintf(it->uuid, sizeof(it->uuid), LIBXL_UUID_FMT,
                 LIBXL_UUID_BYTES(dom->uuid));
        it->name = strdup(dom->name);
        if (!it->name) {
            rc = ENOMEM;
            break;
        }
        it->save_it = *j->xd.save
                      && (!j->xd.auto_only
                          || has_name(autos, nautos, dom->name));
        if (it->save_it && asprintf(&it->path, "%s/%s", j->xd.save,
                                    dom->name) < 0) {
            it->path = NULL;
            rc = ENOMEM;
            break;
        }
    }
    free_names(autos, nautos);
    return rc;
}

/* ---- host start ----------------------------------------------------- */

/* Move an image that did not restore out of the way, so that no later
 * boot restores stale memory over disks that have moved on.  Returns
 * where it went (malloc'd), or NULL if it could not be moved. */
/* SAVE.SUB, malloc'd. */
static char *aside_dir(const struct job *j, const char *sub)
{
    size_t len = strlen(j->xd.save);
    char *dir;

    while (len > 1 && j->xd.save[len - 1] == '/')
        len--;
    if (asprintf(&dir, "%.*s.%s", (int)len, j->xd.save, sub) < 0)
        return NULL;
    return dir;
}

static char *move_aside(struct job *j, const char *path, const char *file,
                        const char *sub)
{
    char *dir = aside_dir(j, sub), *to = NULL;
    struct stat st;
    int rc;

    if (!dir)
        return NULL;
    rc = make_dir(dir);
    for (int n = 0; !rc && n < 1000; n++) {
        free(to);
        if ((n ? asprintf(&to, "%s/%s.%d", dir, file, n)
             : asprintf(&to, "%s/%s", dir, file)) < 0) {
            to = NULL;
            rc = ENOMEM;
            break;
        }
        if (lstat(to, &st) && errno == ENOENT)
            break;
    }
    if (!rc && to && rename(path, to) == 0) {
        xld_state_sync_parent(to);
        xld_state_sync_parent(path);
        free(dir);
        return to;
    }
    xld_err("host start: %s could not be moved to %s: %s", path,
            dir, strerror(rc ? rc : errno));
    free(dir);
    free(to);
    return NULL;
}

static void restored(void *opaque, const struct xld_dm_result *res)
{
    struct item *it = opaque;
    struct job *j = it->job;
    const char *file = strrchr(it->path, '/') + 1;
    char *to = NULL;

    it->ncb--;
    if (!res->rc) {
        /* Its domain runs: the image has done its job. */
        if (unlink(it->path) && errno != ENOENT)
            xld_warn("host start: %s runs again, but its image %s could "
                     "not be removed: %s", res->name, it->path,
                     strerror(errno));
        else
            xld_state_sync_parent(it->path);
        free(it->name);
        it->name = strdup(res->name ? res->name : file);
        if (!it->name)
            it->name = strdup("?");
        item_outcome(it, "restore", "restored", false, "restored from %s "
                     "(domid %" PRIu32 ")", it->path, res->domid);
    } else if (res->rc == -EEXIST) {
        /* Its domain already runs (started since the save): the image is
         * older than the domain and must never be restored over it. */
        to = move_aside(j, it->path, file, STALE_DIR);
        item_outcome(it, "restore", "skipped", false, "its domain already "
                     "runs (%s); the image was moved to %s",
                     res->msg ? res->msg : "it exists",
                     to ? to : "nowhere (see the log)");
    } else {
        if (add_name(&j->failed_names, &j->nfailed_names, it->name))
            xld_err("host start: out of memory");
        to = move_aside(j, it->path, file, FAILED_DIR);
        item_outcome(it, "restore", "failed", true, "restoring %s failed "
                     "(%s); the image was moved to %s, and %s is not "
                     "started from its autostart config",
                     it->path, res->msg ? res->msg : strerror(-res->rc),
                     to ? to : "nowhere (see the log)", it->name);
    }
    free(to);
    pump(j);
    job_unref(j);
}

/* What the image holds: the domain's name (NULL if unknown); -1 for a
 * file that is not a Xen image at all (left alone), 1 for an image whose
 * header is damaged, 0 for a good header. */
static int image_name(const char *path, char **name, char *err,
                      size_t errlen)
{
    struct xld_image_info ii;
    char head[sizeof(image_magic) - 1];
    int fd, rc = 0;

    *name = NULL;
    xld_image_info_init(&ii);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "%s", strerror(errno));
        return 1;
    }
    if (read(fd, head, sizeof(head)) != (ssize_t)sizeof(head)
        || memcmp(head, image_magic, sizeof(head))) {
        rc = -1;
        goto out;
    }
    if (lseek(fd, 0, SEEK_SET) < 0
        || xld_image_read_header(fd, &ii, err, errlen)) {
        rc = 1;
        goto out;
    }
    if (ii.rec.name)
        *name = strdup(ii.rec.name);

out:
    close(fd);
    xld_image_info_dispose(&ii);
    return rc;
}

static void restore_item_start(struct item *it)
{
    struct job *j = it->job;
    struct xld_dm_request rq;
    char err[256], *name = NULL, *to;
    int rc;

    rc = image_name(it->path, &name, err, sizeof(err));
    if (rc < 0) {
        item_outcome(it, "none", "skipped", false, "%s is not a Xen save "
                     "image; left alone", it->path);
        return;
    }
    if (name) {
        free(it->name);
        it->name = name;
    }
    if (rc > 0) {
        if (add_name(&j->failed_names, &j->nfailed_names, it->name))
            xld_err("host start: out of memory");
        to = move_aside(j, it->path, strrchr(it->path, '/') + 1,
                        FAILED_DIR);
        item_outcome(it, "restore", "failed", true, "the image %s is "
                     "damaged (%s); it was moved to %s, and %s is not "
                     "started from its autostart config", it->path, err,
                     to ? to : "nowhere (see the log)", it->name);
        free(to);
        return;
    }
    j->active++;
    it->step = S_RESTORE;
    xld_dm_request_init(&rq);
    rq.type = XLD_OP_RESTORE;
    rq.path = it->path;
    it->ncb++;
    j->refs++;
    xld_dm_submit(j->h->dm, NULL, &rq, restored, on_progress, it);
    xld_dm_request_dispose(&rq);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in a folder that the job looks at, sorted. */
static int list_dir(const char *dir, char ***out, size_t *n)
{
    struct dirent *de;
    DIR *d;
    int rc = 0;

    *out = NULL;
    *n = 0;
    d = opendir(dir);
    if (!d)
        return errno;
    while ((de = readdir(d))) {
        size_t len = strlen(de->d_name);

        /* Hidden files, editors' and dpkg's leftovers are not entries. */
        if (de->d_name[0] == '.' || de->d_name[len - 1] == '~'
            || strstr(de->d_name, ".dpkg-"))
            continue;
        rc = add_name(out, n, de->d_name);
        if (rc)
            break;
    }
    closedir(d);
    if (*n)
        qsort(*out, *n, sizeof(**out), cmp_str);
    return rc;
}

static struct item *add_item(struct job *j, const char *dir,
                             const char *file)
{
    struct item *it = calloc(1, sizeof(*it)), **v;

    v = realloc(j->items, (j->nitems + 1) * sizeof(*v));
    if (v)
        j->items = v;
    if (!it || !v) {
        free(it);
        return NULL;
    }
    it->job = j;
    it->name = strdup(file);
    if (!it->name || asprintf(&it->path, "%s/%s", dir, file) < 0) {
        free(it->name);
        free(it);
        return NULL;
    }
    v[j->nitems++] = it;
    return it;
}

/*
 * The images of earlier boots that failed to restore block their
 * domains' cold boot until the admin removes them: the disks belong to
 * the memory in the image, and the image is the admin's to recover.
 * Their file names are the domains' (SAVE/NAME), with ".N" added when a
 * name was taken.
 */
static int failed_build(struct job *j)
{
    char *dir = aside_dir(j, FAILED_DIR), **files = NULL;
    size_t n = 0;
    int rc = 0;

    if (!dir)
        return ENOMEM;
    if (list_dir(dir, &files, &n))
        goto out;
    for (size_t i = 0; i < n && !rc; i++) {
        char *dot = strrchr(files[i], '.');

        if (dot && dot[1] && strspn(dot + 1, "0123456789") == strlen(dot + 1))
            *dot = '\0';
        rc = add_name(&j->failed_names, &j->nfailed_names, files[i]);
    }
    if (n)
        xld_notice("host start: %zu images in %s failed to restore earlier: "
                   "their domains are not started until they are removed",
                   n, dir);

out:
    free_names(files, n);
    free(dir);
    return rc;
}

static int restore_build(struct job *j)
{
    char **files = NULL;
    size_t n = 0;
    int rc;

    if (!*j->xd.save)
        return 0;
    rc = failed_build(j);
    if (rc || !j->xd.restore)
        return rc;
    rc = list_dir(j->xd.save, &files, &n);
    if (rc == ENOENT)
        return 0;
    if (rc) {
        warn(j, "the save folder %s cannot be read: %s", j->xd.save,
             strerror(rc));
        return 0;
    }
    for (size_t i = 0; i < n && !rc; i++) {
        char *path = NULL;
        struct stat st;
        size_t len = strlen(files[i]);

        if (asprintf(&path, "%s/%s", j->xd.save, files[i]) < 0) {
            rc = ENOMEM;
            break;
        }
        if (len > 4 && !strcmp(files[i] + len - 4, ".tmp")) {
            /* A save that never finished (a crash, a power cut): never an
             * image to restore, but maybe all that is left of a guest. */
            xld_warn("host start: %s is an unfinished save; left alone",
                     path);
        } else if (!stat(path, &st) && S_ISREG(st.st_mode)) {
            if (!add_item(j, j->xd.save, files[i]))
                rc = ENOMEM;
        }
        free(path);
    }
    free_names(files, n);
    return rc;
}

/* Read a config and find its domain's name: 0, or an errno value with a
 * sentence in err. */
static int read_config(const char *path, char **text, size_t *len,
                       char **name, char *err, size_t errlen)
{
    struct xlcfg cfg;
    const char *nm = NULL;
    struct stat st;
    ssize_t r;
    int fd = -1, rc = 0;

    *text = NULL;
    *name = NULL;
    *len = 0;
    xlcfg_init(&cfg);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &st)) {
        rc = errno;
        if (rc == ENOENT && !lstat(path, &st) && S_ISLNK(st.st_mode)) {
            char target[PATH_MAX];
            ssize_t t = readlink(path, target, sizeof(target) - 1);

            target[t < 0 ? 0 : t] = '\0';
            snprintf(err, errlen, "a broken link (to %.400s)", target);
        } else {
            snprintf(err, errlen, "%s", strerror(rc));
        }
        goto out;
    }
    if (!S_ISREG(st.st_mode) || st.st_size > MAX_CONFIG) {
        rc = EINVAL;
        snprintf(err, errlen, "not a config file (%s)", S_ISREG(st.st_mode)
                 ? "too big" : "not a regular file");
        goto out;
    }
    *text = malloc((size_t)st.st_size + 1);
    if (!*text) {
        rc = ENOMEM;
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    while (*len < (size_t)st.st_size
           && (r = read(fd, *text + *len, (size_t)st.st_size - *len)) > 0)
        *len += (size_t)r;
    (*text)[*len] = '\0';
    rc = xlcfg_parse_buffer(&cfg, path, *text, *len);
    if (rc) {
        snprintf(err, errlen, "%s", strerror(rc));
        goto out;
    }
    if (!xlcfg_ok(&cfg)) {
        const struct xlcfg_diag *d = NULL;

        for (size_t i = 0; i < cfg.ndiags && !d; i++)
            if (cfg.diags[i].severity == XLCFG_ERROR)
                d = &cfg.diags[i];
        rc = EINVAL;
        snprintf(err, errlen, "a bad config: line %d: %s",
                 d ? d->loc.line : 0, d ? d->msg : "errors");
        goto out;
    }
    if (xlcfg_get_string(&cfg, "name", &nm) || !nm || !*nm) {
        rc = EINVAL;
        snprintf(err, errlen, "a bad config: it has no name = \"...\"");
        goto out;
    }
    *name = strdup(nm);
    if (!*name) {
        rc = ENOMEM;
        snprintf(err, errlen, "out of memory");
    }

out:
    if (rc) {
        free(*text);
        *text = NULL;
    }
    if (fd >= 0)
        close(fd);
    xlcfg_dispose(&cfg);
    return rc;
}

static void auto_names(struct job *j, char ***names, size_t *n)
{
    char **files = NULL;
    size_t nfiles = 0;

    *names = NULL;
    *n = 0;
    if (!*j->xd.auto_dir || list_dir(j->xd.auto_dir, &files, &nfiles))
        return;
    for (size_t i = 0; i < nfiles; i++) {
        char *path = NULL, *text = NULL, *name = NULL, err[256];
        size_t len;

        if (asprintf(&path, "%s/%s", j->xd.auto_dir, files[i]) < 0)
            break;
        if (!read_config(path, &text, &len, &name, err, sizeof(err)))
            add_name(names, n, name);
        free(path);
        free(text);
        free(name);
    }
    free_names(files, nfiles);
}

static void created(void *opaque, const struct xld_dm_result *res)
{
    struct item *it = opaque;
    struct job *j = it->job;

    it->ncb--;
    if (!res->rc)
        item_outcome(it, "create", "created", false, "created from %s "
                     "(domid %" PRIu32 ")", it->path, res->domid);
    else if (res->rc == -EEXIST)
        item_outcome(it, "create", "skipped", false, "already running");
    else if (res->config_error && res->cfg && res->cfg->nerrors) {
        const struct xlcfg_diag *d = NULL;

        for (size_t i = 0; i < res->cfg->ndiags && !d; i++)
            if (res->cfg->diags[i].severity == XLCFG_ERROR)
                d = &res->cfg->diags[i];
        item_outcome(it, "create", "failed", true, "a bad config: line "
                     "%d: %s", d ? d->loc.line : 0, d ? d->msg : "errors");
    } else
        item_outcome(it, "create", "failed", true, "creating it failed: "
                     "%s", res->msg ? res->msg : strerror(-res->rc));
    pump(j);
    job_unref(j);
}

static void delay_over(void *opaque)
{
    struct job *j = opaque;

    j->delay = NULL;
    j->holding = false;
    pump(j);
}

static void auto_item_start(struct item *it)
{
    struct job *j = it->job;
    struct xld_dm_request rq;
    char err[512], *text = NULL, *name = NULL;
    size_t len;

    if (read_config(it->path, &text, &len, &name, err, sizeof(err))) {
        item_outcome(it, "none", "failed", true, "%s: %s; not started",
                     it->path, err);
        return;
    }
    free(it->name);
    it->name = name;
    if (has_name(j->failed_names, j->nfailed_names, name)) {
        item_outcome(it, "none", "failed", true, "not started: its saved "
                     "image did not restore (it is in %s.%s), and a cold "
                     "boot would run its disks without the memory that "
                     "goes with them; remove the image to let it start",
                     j->xd.save, FAILED_DIR);
        free(text);
        return;
    }
    if (xld_dm_lookup(j->h->dm, name)) {
        item_outcome(it, "none", "skipped", false, "already running");
        free(text);
        return;
    }
    j->active++;
    it->step = S_CREATE;
    xld_dm_request_init(&rq);
    rq.type = XLD_OP_CREATE;
    rq.config = text;
    rq.filename = it->path;
    it->ncb++;
    j->refs++;
    xld_dm_submit(j->h->dm, NULL, &rq, created, NULL, it);
    xld_dm_request_dispose(&rq);
    free(text);
    /* As upstream: give each autostarted domain time before the next. */
    if (j->xd.create_usleep && !j->finished) {
        j->holding = true;
        if (xld_loop_timer(j->h->loop, (j->xd.create_usleep + 999) / 1000,
                           delay_over, j, &j->delay))
            j->holding = false;
    }
}

static int auto_build(struct job *j)
{
    char **files = NULL;
    size_t n = 0;
    int rc;

    if (!*j->xd.auto_dir)
        return 0;
    rc = list_dir(j->xd.auto_dir, &files, &n);
    if (rc == ENOENT)
        return 0;
    if (rc) {
        warn(j, "the autostart folder %s cannot be read: %s",
             j->xd.auto_dir, strerror(rc));
        return 0;
    }
    for (size_t i = 0; i < n && !rc; i++)
        if (!add_item(j, j->xd.auto_dir, files[i]))
            rc = ENOMEM;
    free_names(files, n);
    return rc;
}

/* ---- the pump --------------------------------------------------------- */

static unsigned limit(const struct job *j)
{
    /* Autostart with a pause between creates goes one at a time. */
    if (j->kind == XLD_HOST_START && j->phase == 1 && j->xd.create_usleep)
        return 1;
    return j->xd.parallel ? j->xd.parallel : 1;
}

static void start_item(struct item *it)
{
    struct job *j = it->job;

    if (j->kind == XLD_HOST_STOP)
        stop_item_start(it);
    else if (j->phase == 0)
        restore_item_start(it);
    else
        auto_item_start(it);
}

/*
 * Start what may start, and end the phase or the job when all is done.
 * done() callbacks may come from inside xld_dm_submit() (a refusal), so
 * this may be re-entered: the inner call only asks the outer to loop.
 */
static void pump(struct job *j)
{
    if (j->finished)
        return;
    if (j->pumping) {
        j->repump = true;
        return;
    }
    j->pumping = true;
    do {
        j->repump = false;
        while (!j->stopping && !j->holding && j->active < limit(j)
               && j->next < j->nitems && !j->finished) {
            struct item *it = j->items[j->next++];

            if (it->step == S_QUEUED)
                start_item(it);
        }
        if (j->finished || j->active)
            break;
        if (j->stopping && j->next < j->nitems) {
            for (size_t i = j->next; i < j->nitems; i++)
                item_outcome(j->items[i], "none", "failed", true, "xld is "
                             "stopping");
            j->next = j->nitems;
        }
        if (j->next < j->nitems)
            continue;
        if (j->kind == XLD_HOST_START && j->phase == 0) {
            j->phase = 1;
            if (auto_build(j))
                warn(j, "out of memory listing the autostart configs");
            if (j->cl.started)
                j->cl.started(j->opaque, j->name, (unsigned)j->nitems, 0);
            j->repump = true;
            continue;
        }
        j->pumping = false;
        job_finish(j, 0, NULL);
        return;
    } while (j->repump);
    j->pumping = false;
}

/* ---- the interface ------------------------------------------------------ */

int xld_host_new(struct xld_host **out, struct xld_loop *loop,
                 struct xld_dm *dm, const char *file)
{
    struct xld_host *h = calloc(1, sizeof(*h));

    *out = NULL;
    if (!h)
        return ENOMEM;
    h->loop = loop;
    h->dm = dm;
    h->file = strdup(file ? file : XLD_XD_FILE);
    if (!h->file) {
        free(h);
        return ENOMEM;
    }
    *out = h;
    return 0;
}

void xld_host_free(struct xld_host *h)
{
    if (!h)
        return;
    if (h->job) {
        struct job *j = h->job;

        /* The domain table is gone by now: no callback is to come. */
        j->refs = 0;
        job_finish(j, -ECANCELED, "xld is stopping");
    }
    for (size_t i = 0; i < h->nlingering; i++)
        job_free(h->lingering[i]);
    free(h->lingering);
    free(h->file);
    free(h);
}

void xld_host_stop(struct xld_host *h)
{
    if (!h->job)
        return;
    h->job->stopping = true;
    xld_notice("host %s: xld is stopping; the job starts nothing more",
               h->job->name);
    pump(h->job);
}

/* Read the settings; their problems become warnings of the job. */
static int load_settings(struct xld_host *h, struct xld_xd *xd, struct job *j,
                         char *err, size_t errlen)
{
    int rc = xld_xd_init(xd);

    if (!rc)
        rc = xld_xd_parse_file(xd, h->file);
    if (rc == ENOENT) {
        xld_info("%s does not exist: the defaults apply", h->file);
        rc = 0;
    }
    if (rc) {
        snprintf(err, errlen, "%s: %s", h->file, strerror(rc));
        return -rc;
    }
    for (size_t i = 0; j && i < xd->ndiags; i++)
        warn(j, "%s:%u: %s", h->file, xd->diags[i].line, xd->diags[i].msg);
    return 0;
}

void xld_host_run(struct xld_host *h, enum xld_host_kind kind,
                  const struct xld_host_client *cl, void *opaque)
{
    struct job *j;
    char err[512], bad[64];
    int rc;

    if (h->job) {
        if (cl->done)
            cl->done(opaque, -EBUSY, h->job->kind == XLD_HOST_STOP
                     ? "host stop is running" : "host start is running",
                     NULL);
        return;
    }
    j = calloc(1, sizeof(*j));
    if (!j) {
        if (cl->done)
            cl->done(opaque, -ENOMEM, "out of memory", NULL);
        return;
    }
    j->h = h;
    j->kind = kind;
    j->name = kind == XLD_HOST_STOP ? "stop" : "start";
    j->cl = *cl;
    j->opaque = opaque;
    h->job = j;
    rc = load_settings(h, &j->xd, j, err, sizeof(err));
    if (rc) {
        job_finish(j, rc, err);
        return;
    }
    xld_notice("host %s: settings from %s", j->name, h->file);
    if (kind == XLD_HOST_STOP) {
        bool w1, f1, w2, f2;
        char bad2[64];

        xld_xd_shutdown_flags(j->xd.shutdown, &w1, &f1, bad, sizeof(bad));
        xld_xd_shutdown_flags(j->xd.shutdown_all, &w2, &f2, bad2,
                              sizeof(bad2));
        if (bad[0] || bad2[0])
            warn(j, "XENDOMAINS_SHUTDOWN: xld does not know the option "
                 "'%s'; it is ignored", bad[0] ? bad : bad2);
        j->do_shutdown = *j->xd.shutdown || *j->xd.shutdown_all;
        j->shutdown_wait = w1 || w2;
        j->shutdown_force = *j->xd.shutdown ? f1 : f2;
        if (*j->xd.migrate)
            migrate_setup(j);
        sysrq_check(j);
        rc = stop_build(j);
    } else {
        rc = restore_build(j);
    }
    if (rc) {
        job_finish(j, -rc, "out of memory");
        return;
    }
    xld_notice("host %s: %zu %s, %u at a time%s", j->name, j->nitems,
               kind == XLD_HOST_STOP ? "domains" : "save images",
               j->xd.parallel, kind == XLD_HOST_STOP && *j->xd.save
               ? ", saved to the save folder" : "");
    if (kind == XLD_HOST_STOP && j->xd.stop_maxwait) {
        j->deadline_at = xld_loop_now(h->loop)
                         + (uint64_t)j->xd.stop_maxwait * 1000;
        if (xld_loop_timer(h->loop, (uint64_t)j->xd.stop_maxwait * 1000,
                           deadline, j, &j->deadline))
            j->deadline_at = 0;
    }
    if (j->cl.started)
        j->cl.started(j->opaque, j->name, (unsigned)j->nitems,
                      kind == XLD_HOST_STOP ? j->xd.stop_maxwait : 0);
    xld_loop_timer(h->loop, TICK_MS, tick, j, &j->tick);
    pump(j);
}

/* ---- the autostart folder ------------------------------------------- */

void xld_host_auto_free(struct xld_host_auto *a, size_t n)
{
    for (size_t i = 0; a && i < n; i++) {
        free(a[i].file);
        free(a[i].target);
        free(a[i].domain);
        free(a[i].problem);
    }
    free(a);
}

static int auto_dir(struct xld_host *h, struct xld_xd *xd, char *err,
                    size_t errlen)
{
    int rc = load_settings(h, xd, NULL, err, errlen);

    if (rc)
        return rc;
    if (!*xd->auto_dir) {
        snprintf(err, errlen, "XENDOMAINS_AUTO is empty in %s: there is no "
                 "autostart folder", h->file);
        return -EINVAL;
    }
    return 0;
}

int xld_host_auto_list(struct xld_host *h, char **dir,
                       struct xld_host_auto **out, size_t *n, char *err,
                       size_t errlen)
{
    struct xld_host_auto *v = NULL;
    struct xld_xd xd;
    char **files = NULL;
    size_t nfiles = 0;
    int rc;

    *out = NULL;
    *n = 0;
    *dir = NULL;
    rc = auto_dir(h, &xd, err, errlen);
    if (rc)
        goto out;
    rc = list_dir(xd.auto_dir, &files, &nfiles);
    if (rc == ENOENT)
        rc = 0;
    if (rc) {
        snprintf(err, errlen, "%s: %s", xd.auto_dir, strerror(rc));
        rc = -rc;
        goto out;
    }
    v = calloc(nfiles ? nfiles : 1, sizeof(*v));
    *dir = strdup(xd.auto_dir);
    if (!v || !*dir) {
        rc = -ENOMEM;
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < nfiles; i++) {
        struct xld_host_auto *a = &v[*n];
        char *path = NULL, *text = NULL, why[512], target[PATH_MAX];
        size_t len;
        ssize_t t;

        if (asprintf(&path, "%s/%s", xd.auto_dir, files[i]) < 0)
            break;
        (*n)++;
        a->file = strdup(files[i]);
        t = readlink(path, target, sizeof(target) - 1);
        if (t >= 0) {
            target[t] = '\0';
            a->target = strdup(target);
        }
        if (read_config(path, &text, &len, &a->domain, why, sizeof(why)))
            a->problem = strdup(why);
        else
            a->running = xld_dm_lookup(h->dm, a->domain) != NULL;
        free(text);
        free(path);
    }
    *out = v;
    v = NULL;

out:
    xld_host_auto_free(v, *n);
    if (v)
        *n = 0;
    free_names(files, nfiles);
    xld_xd_dispose(&xd);
    return rc;
}

int xld_host_auto_add(struct xld_host *h, const char *cfg, char **link,
                      char *err, size_t errlen)
{
    struct xld_host_auto *a = NULL;
    char *dir = NULL, *text = NULL, *name = NULL, why[512];
    const char *base = strrchr(cfg, '/');
    size_t n = 0, len;
    int rc;

    *link = NULL;
    if (cfg[0] != '/' || !base || !base[1]) {
        snprintf(err, errlen, "the config path must be absolute: %s", cfg);
        rc = -EINVAL;
        goto out;
    }
    base++;
    rc = read_config(cfg, &text, &len, &name, why, sizeof(why));
    if (rc) {
        snprintf(err, errlen, "%s: %s", cfg, why);
        rc = rc == ENOENT ? -ENOENT : -EINVAL;
        goto out;
    }
    rc = xld_host_auto_list(h, &dir, &a, &n, err, errlen);
    if (rc)
        goto out;
    for (size_t i = 0; i < n; i++) {
        if (!strcmp(a[i].file, base)) {
            snprintf(err, errlen, "%s/%s exists already", dir, base);
            rc = -EEXIST;
            goto out;
        }
        if (a[i].domain && !strcmp(a[i].domain, name)) {
            snprintf(err, errlen, "%s/%s starts the domain %s already",
                     dir, a[i].file, name);
            rc = -EEXIST;
            goto out;
        }
    }
    rc = make_dir(dir);
    if (rc) {
        snprintf(err, errlen, "%s: %s", dir, strerror(rc));
        rc = -rc;
        goto out;
    }
    if (asprintf(link, "%s/%s", dir, base) < 0) {
        *link = NULL;
        rc = -ENOMEM;
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    if (symlink(cfg, *link)) {
        rc = -errno;
        snprintf(err, errlen, "%s: %s", *link, strerror(errno));
        free(*link);
        *link = NULL;
        goto out;
    }
    xld_state_sync_parent(*link);
    xld_notice("autostart: %s (domain %s) added as %s", cfg, name, *link);

out:
    xld_host_auto_free(a, n);
    free(dir);
    free(text);
    free(name);
    return rc;
}

int xld_host_auto_remove(struct xld_host *h, const char *name,
                         char **removed, char *err, size_t errlen)
{
    struct xld_host_auto *a = NULL;
    const struct xld_host_auto *hit = NULL;
    char *dir = NULL;
    struct stat st;
    size_t n = 0;
    int rc;

    *removed = NULL;
    rc = xld_host_auto_list(h, &dir, &a, &n, err, errlen);
    if (rc)
        goto out;
    for (size_t i = 0; i < n && !hit; i++)
        if (!strcmp(a[i].file, name))
            hit = &a[i];
    for (size_t i = 0; i < n && !hit; i++)
        if (a[i].domain && !strcmp(a[i].domain, name))
            hit = &a[i];
    if (!hit) {
        snprintf(err, errlen, "no autostart entry or domain '%s' in %s",
                 name, dir);
        rc = -ENOENT;
        goto out;
    }
    if (asprintf(removed, "%s/%s", dir, hit->file) < 0) {
        *removed = NULL;
        rc = -ENOMEM;
        goto out;
    }
    if (lstat(*removed, &st) || !S_ISLNK(st.st_mode)) {
        snprintf(err, errlen, "%s is a file, not a link: remove it by hand "
                 "if you mean it", *removed);
        rc = -EINVAL;
        goto out;
    }
    if (unlink(*removed)) {
        rc = -errno;
        snprintf(err, errlen, "%s: %s", *removed, strerror(errno));
        goto out;
    }
    xld_state_sync_parent(*removed);
    xld_notice("autostart: %s removed", *removed);

out:
    if (rc) {
        free(*removed);
        *removed = NULL;
    }
    xld_host_auto_free(a, n);
    free(dir);
    return rc;
}
