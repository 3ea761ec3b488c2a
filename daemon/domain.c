/*
 * domain.c - the domain table, the per-domain operation queues, and
 * what xld does when a guest shuts down (see domain.h).
 *
 * An operation is a struct xld_dm_op in its domain's queue.  The first
 * one runs; when it ends (at once for the quick ones, from the
 * backend's completion callback for the long ones) the next one starts.
 * A guest event does not act by itself: it queues an ACTION operation,
 * and the action is decided when the queue reaches it, from the state
 * the domain is in then (the way xenopsd does it), so that an event and
 * an admin's command never race on one domain.
 *
 * Every change that matters after a crash (an operation starts or ends,
 * the name or memory changes) is written to the domain's record first
 * (state.h), and the config also goes to the backend's userdata, so
 * that a restarted xld finds every managed domain again.
 */
#define _GNU_SOURCE

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <libxl_utils.h>

#include "domain.h"
#include "log.h"
#include "loop.h"
#include "migrate.h"
#include "xlcfg.h"
#include "xlconf.h"
#include "xlconv.h"

/* How often the table is compared with the backend's list, to notice
 * domains made or destroyed behind xld's back (with plain xl). */
#define REFRESH_MS 5000

/* Stages of the operations that take several backend calls. */
enum op_stage {
    STAGE_START,
    STAGE_DESTROYING,      /* ACTION: the old domain */
    STAGE_CREATING,        /* ACTION, RECREATE: the new domain */
    STAGE_DUMPING,         /* ACTION: coredump-destroy/-restart */
    STAGE_RESETTING,       /* ACTION: soft-reset */
    STAGE_MIGRATING,       /* MIGRATE: the handshake and the stream */
};

struct xld_dm_op {
    TAILQ_ENTRY(xld_dm_op) link;
    struct xld_dm *dm;
    struct xld_domain *dom;
    enum xld_dm_optype type;
    enum op_stage stage;
    /* Copies of the request's parameters. */
    bool wait, force, paused, checkpoint;
    uint64_t memkb;
    int count;
    char key;
    int vcpu;                           /* VCPU_PIN: -1 for all */
    libxl_bitmap *hard, *soft;          /* VCPU_PIN: NULL, unchanged */
    libxl_domain_sched_params sched;    /* SCHED_SET */
    char *scheduler;                    /* SCHED_SET: what the client
                                           means, or NULL */
    char *name;
    char *path;
    libxl_shutdown_reason reason;       /* ACTION */
    bool restart;                       /* ACTION: destroy, then create */
    libxl_action_on_shutdown next_action;   /* ACTION: after the dump */
    xld_dm_done_fn *done;
    xld_dm_progress_fn *progress;
    void *opaque;
    int fd;                             /* save, restore: the image */
    char *tmppath;                      /* save: PATH.tmp */
    struct xlcfg *cfg;                  /* create, adopt: for its warnings */
    /* adopt with a config file: what it converted to, at submit time. */
    libxl_domain_config *adopt_dc;
    struct xld_record *adopt_rec;
    /* Devices: what an attach adds (converted at submit time), in the
     * words of its spec for the record; what a detach takes away (a
     * vdev, or a vif's devid or MAC), and the vif's devid found.  A pci
     * device to attach or detach (filled in from what runs); the drive of
     * a cd-insert or cd-eject, with its medium (disk, spec: the disk
     * spec xl makes of them). */
    libxl_device_disk *disk;
    libxl_device_nic *nic;
    libxl_device_pci *pci;
    char *spec;
    char *device;
    int devid;
    /* migrate: the transport command, the -C config (text, file name),
     * the conversation, and how far the domain went: suspended by the
     * stream, renamed away for the handover (its name before). */
    char *command;
    char *config;
    char *filename;
    bool debug;
    bool dry_run;               /* migrate --dry-run */
    bool no_live;               /* migrate --no-live */
    struct xld_mig_sender *mig;
    bool suspended;
    char *home_name;
};

struct xld_dm {
    struct xld_loop *loop;
    struct xld_backend *be;
    struct xld_state *st;
    struct xld_dm_hooks hooks;
    void *opaque;
    struct xld_domain_list domains;
    unsigned nrunning;
    bool stopping;
    bool idle_told;
    struct xld_timer *refresh;
    struct xld_dm_report *reports;
    size_t nreports;
    char *dump_dir;                     /* coredump-*: xl's XEN_DUMP_DIR */
    const struct xlconf *xlconf;        /* the host's xl.conf, or NULL */
};

static void dm_kick(struct xld_domain *dom);
static void op_start(struct xld_dm_op *op);
static void check_idle(struct xld_dm *dm);
static void domain_gone(struct xld_domain *dom);
static void hold(struct xld_domain *dom, const char *why);

void xld_dm_request_init(struct xld_dm_request *rq)
{
    memset(rq, 0, sizeof(*rq));
}

void xld_dm_request_dispose(struct xld_dm_request *rq)
{
    memset(rq, 0, sizeof(*rq));
}

/* ---- small helpers ------------------------------------------------------ */

static void uuid_str(const libxl_uuid *u, char *buf)
{
    snprintf(buf, LIBXL_UUID_FMTLEN + 1, LIBXL_UUID_FMT,
             LIBXL_UUID_BYTES(*u));
}

static const char *const reason_names[] = {
    [LIBXL_SHUTDOWN_REASON_POWEROFF] = "poweroff",
    [LIBXL_SHUTDOWN_REASON_REBOOT] = "reboot",
    [LIBXL_SHUTDOWN_REASON_SUSPEND] = "suspend",
    [LIBXL_SHUTDOWN_REASON_CRASH] = "crash",
    [LIBXL_SHUTDOWN_REASON_WATCHDOG] = "watchdog",
    [LIBXL_SHUTDOWN_REASON_SOFT_RESET] = "soft-reset",
};

const char *xld_dm_shutdown_reason_name(libxl_shutdown_reason r)
{
    if ((int)r >= 0 && (size_t)r < sizeof(reason_names) / sizeof(*reason_names)
        && reason_names[r])
        return reason_names[r];
    return "unknown";
}

static const char *action_name(libxl_action_on_shutdown a)
{
    return xlconv_action_name(a);
}

const char *xld_dm_state_name(const struct xld_domain *dom)
{
    const struct xld_dominfo *i = &dom->info;

    if (dom->state == XLD_DS_CREATING)
        return "creating";
    if (dom->state == XLD_DS_RESTARTING)
        return "restarting";
    if (dom->state == XLD_DS_GONE)
        return "dying";
    if (!dom->have_info)
        return "running";
    if (i->dying)
        return "dying";
    if (i->shutdown)
        return i->shutdown_reason == LIBXL_SHUTDOWN_REASON_CRASH
               ? "crashed" : "shutdown";
    if (i->paused)
        return "paused";
    if (i->blocked)
        return "blocked";
    return "running";
}

static const char *op_name(enum xld_dm_optype t)
{
    static const char *const names[] = {
        [XLD_OP_CREATE] = "create",
        [XLD_OP_RESTORE] = "restore",
        [XLD_OP_SHUTDOWN] = "shutdown",
        [XLD_OP_REBOOT] = "reboot",
        [XLD_OP_DESTROY] = "destroy",
        [XLD_OP_PAUSE] = "pause",
        [XLD_OP_UNPAUSE] = "unpause",
        [XLD_OP_SAVE] = "save",
        [XLD_OP_MEM_SET] = "mem-set",
        [XLD_OP_MEM_MAX] = "mem-max",
        [XLD_OP_VCPU_SET] = "vcpu-set",
        [XLD_OP_RENAME] = "rename",
        [XLD_OP_SYSRQ] = "sysrq",
        [XLD_OP_VCPU_PIN] = "vcpu-pin",
        [XLD_OP_SCHED_SET] = "sched-set",
        [XLD_OP_ADOPT] = "adopt",
        [XLD_OP_MIGRATE] = "migrate",
        [XLD_OP_ACTION] = "restart",
        [XLD_OP_RECREATE] = "restart",
        [XLD_OP_DISK_ATTACH] = "block-attach",
        [XLD_OP_DISK_DETACH] = "block-detach",
        [XLD_OP_NIC_ATTACH] = "network-attach",
        [XLD_OP_NIC_DETACH] = "network-detach",
        [XLD_OP_PCI_ATTACH] = "pci-attach",
        [XLD_OP_PCI_DETACH] = "pci-detach",
        [XLD_OP_CD_INSERT] = "cd-insert",
        [XLD_OP_CD_EJECT] = "cd-eject",
    };

    return names[t];
}

static void emit(struct xld_domain *dom, const char *state,
                 const char *reason, const char *detail)
{
    struct xld_dm *dm = dom->dm;
    struct xld_dm_event ev;
    char uuid[LIBXL_UUID_FMTLEN + 1];

    uuid_str(&dom->uuid, uuid);
    memset(&ev, 0, sizeof(ev));
    ev.type = "DOMAIN_STATE";
    ev.dom = dom;
    ev.domid = dom->domid;
    ev.name = dom->name;
    ev.uuid = uuid;
    ev.state = state;
    ev.reason = reason;
    ev.detail = detail;
    if (dm->hooks.event)
        dm->hooks.event(dm->opaque, &ev);
}

/* ---- domains ------------------------------------------------------------ */

static struct xld_domain *domain_new(struct xld_dm *dm)
{
    struct xld_domain *dom = calloc(1, sizeof(*dom));

    if (!dom)
        return NULL;
    dom->dm = dm;
    dom->domid = XLD_NO_DOMID;
    xld_dominfo_init(&dom->info);
    xld_record_init(&dom->rec);
    libxl_domain_config_init(&dom->dc);
    TAILQ_INIT(&dom->queue);
    TAILQ_INIT(&dom->waiters);
    dom->started = time(NULL);
    return dom;
}

static void op_free(struct xld_dm_op *op)
{
    if (op->hard) {
        libxl_bitmap_dispose(op->hard);
        free(op->hard);
    }
    if (op->soft) {
        libxl_bitmap_dispose(op->soft);
        free(op->soft);
    }
    libxl_domain_sched_params_dispose(&op->sched);
    free(op->scheduler);
    if (op->fd >= 0)
        close(op->fd);
    if (op->tmppath) {
        /* A save that did not finish leaves no image behind. */
        unlink(op->tmppath);
        free(op->tmppath);
    }
    if (op->cfg) {
        xlcfg_dispose(op->cfg);
        free(op->cfg);
    }
    if (op->adopt_dc) {
        libxl_domain_config_dispose(op->adopt_dc);
        free(op->adopt_dc);
    }
    if (op->adopt_rec) {
        xld_record_dispose(op->adopt_rec);
        free(op->adopt_rec);
    }
    xld_mig_sender_free(op->mig);
    free(op->command);
    free(op->config);
    free(op->filename);
    free(op->home_name);
    if (op->disk) {
        libxl_device_disk_dispose(op->disk);
        free(op->disk);
    }
    if (op->nic) {
        libxl_device_nic_dispose(op->nic);
        free(op->nic);
    }
    if (op->pci) {
        libxl_device_pci_dispose(op->pci);
        free(op->pci);
    }
    free(op->spec);
    free(op->device);
    free(op->name);
    free(op->path);
    free(op);
}

/* End an operation: tell who asked, free it, and let the queue go on. */
static void op_finish_full(struct xld_dm_op *op, const struct xld_dm_result
                           *res)
{
    struct xld_dm *dm = op->dm;
    struct xld_domain *dom = op->dom;

    if (dom && dom->running == op) {
        dom->running = NULL;
        dm->nrunning--;
    }
    if (op->done)
        op->done(op->opaque, res);
    op_free(op);
    /* The next operation starts, or a domain that went away leaves the
     * table (dm_kick does both); when dm_kick is the caller, it goes on
     * by itself. */
    if (dom && !dom->running && !dom->kicking)
        dm_kick(dom);
    check_idle(dm);
}

static void check_idle(struct xld_dm *dm)
{
    if (dm->stopping && dm->nrunning == 0 && !dm->idle_told) {
        dm->idle_told = true;
        if (dm->hooks.idle)
            dm->hooks.idle(dm->opaque);
    }
}

static void op_ok(struct xld_dm_op *op)
{
    struct xld_dm_result res;

    memset(&res, 0, sizeof(res));
    op_finish_full(op, &res);
}

static void op_finish(struct xld_dm_op *op, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void op_finish(struct xld_dm_op *op, int rc, const char *fmt, ...)
{
    struct xld_dm_result res;
    char msg[512];

    memset(&res, 0, sizeof(res));
    res.rc = rc;
    if (rc && fmt) {
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        res.msg = msg;
        if (op->dom)
            xld_info("%s %s: %s", op_name(op->type), op->dom->name, msg);
    } else if (rc) {
        res.msg = strerror(-rc);
    }
    op_finish_full(op, &res);
}

static void domain_free(struct xld_domain *dom)
{
    struct xld_dm_op *op;

    /* Only at exit can operations be left: they end unanswered (their
     * clients are gone by then). */
    while ((op = TAILQ_FIRST(&dom->queue))) {
        TAILQ_REMOVE(&dom->queue, op, link);
        op->dom = NULL;
        op_finish(op, -ECANCELED, "xld stopped");
    }
    while ((op = TAILQ_FIRST(&dom->waiters))) {
        TAILQ_REMOVE(&dom->waiters, op, link);
        op->dom = NULL;
        op_finish(op, -ECANCELED, "xld stopped");
    }
    if (dom->running) {
        op = dom->running;
        dom->running = NULL;
        dom->dm->nrunning--;
        op->dom = NULL;
        op_finish(op, -ECANCELED, "xld stopped");
    }
    free(dom->name);
    xld_dominfo_dispose(&dom->info);
    xld_record_dispose(&dom->rec);
    libxl_domain_config_dispose(&dom->dc);
    free(dom);
}

static void domain_remove(struct xld_domain *dom)
{
    TAILQ_REMOVE(&dom->dm->domains, dom, link);
    domain_free(dom);
}

static int domain_set_name(struct xld_domain *dom, const char *name)
{
    char *copy = strdup(name);

    if (!copy)
        return ENOMEM;
    free(dom->name);
    dom->name = copy;
    if (dom->managed) {
        if (xld_record_set(&dom->rec.name, name))
            return ENOMEM;
        if (dom->have_dc) {
            char *c = strdup(name);

            if (!c)
                return ENOMEM;
            free(dom->dc.c_info.name);
            dom->dc.c_info.name = c;
        }
    }
    return 0;
}

/* The record and the userdata say what the domain is now. */
static void domain_save(struct xld_domain *dom)
{
    struct xld_dm *dm = dom->dm;
    bool incoming = xld_record_incoming(&dom->rec);

    if (!dom->managed || dom->state == XLD_DS_GONE)
        return;
    if (xld_state_write(dm->st, &dom->rec))
        return;
    /* A migrated domain renamed from NAME--incoming to its own name:
     * its record moved to the file of that name, written first, so that
     * a crash in between leaves one of the two. */
    if (dom->incoming_file && !incoming)
        xld_state_remove(dm->st, &dom->uuid, true);
    dom->incoming_file = incoming;
}

/*
 * The domain's record goes.  A migration to this host itself leaves two
 * domains of one uuid for a while, the one leaving (renamed
 * NAME--migratedaway) and the one arriving: their records are two files
 * while the arriving one is NAME--incoming, and one once it takes NAME.
 * The file then belongs to whichever remains, which writes it again.
 */
static void domain_forget(struct xld_domain *dom)
{
    bool incoming = xld_record_incoming(&dom->rec);
    struct xld_domain *o;

    TAILQ_FOREACH(o, &dom->dm->domains, link) {
        if (o != dom && o->managed && o->state != XLD_DS_GONE
            && !libxl_uuid_compare(&o->uuid, &dom->uuid)
            && xld_record_incoming(&o->rec) == incoming) {
            domain_save(o);
            return;
        }
    }
    xld_state_remove(dom->dm->st, &dom->uuid, incoming);
    if (dom->incoming_file && !incoming)
        xld_state_remove(dom->dm->st, &dom->uuid, true);
}

static void domain_store_userdata(struct xld_domain *dom)
{
    struct xld_dm *dm = dom->dm;
    char *doc = NULL;
    size_t len = 0;
    int rc;

    if (!dom->managed || dom->domid == XLD_NO_DOMID)
        return;
    rc = xld_record_to_json(&dom->rec, false, &doc, &len);
    if (!rc)
        rc = -dm->be->ops->userdata_store(dm->be, dom->domid, doc, len);
    if (rc)
        xld_warn("%s: storing its config with the domain: %s", dom->name,
                 strerror(rc));
    free(doc);
}

/* libxl's JSON of the config, kept in the record for `config` and for
 * the header of save images. */
static void domain_update_json(struct xld_domain *dom)
{
    char *json;

    if (!dom->have_dc)
        return;
    json = xlconv_json(&dom->dc);
    if (!json)
        return;
    free(dom->rec.json);
    dom->rec.json = json;
}

/*
 * Once libxl has built a domain, the config it runs with holds what libxl
 * chose for it (the MAC address of a vif that had none, device ids...).
 * As xl does before it restarts a domain, xld keeps that config, so that
 * a restart, a save image and a restore give the guest the same virtual
 * hardware again.  A backend that cannot say (sim) keeps the config as
 * it was converted.
 */
static void domain_take_runtime_config(struct xld_domain *dom)
{
    struct xld_backend *be = dom->dm->be;
    libxl_domain_config cur;
    int rc;

    if (!be->ops->retrieve_config || !dom->managed
        || dom->domid == XLD_NO_DOMID)
        return;
    libxl_domain_config_init(&cur);
    rc = be->ops->retrieve_config(be, dom->domid, &cur);
    if (rc) {
        if (rc != -EOPNOTSUPP)
            xld_warn("%s: reading back the config it runs with: %s; "
                     "keeping the one it was created from", dom->name,
                     strerror(rc < 0 ? -rc : rc));
        libxl_domain_config_dispose(&cur);
        return;
    }
    libxl_domain_config_dispose(&dom->dc);
    dom->dc = cur;
    dom->have_dc = true;
    domain_update_json(dom);
}

static void domain_refresh_info(struct xld_domain *dom)
{
    struct xld_dm *dm = dom->dm;
    struct xld_dominfo di;

    if (dom->domid == XLD_NO_DOMID)
        return;
    xld_dominfo_init(&di);
    if (dm->be->ops->info(dm->be, dom->domid, &di) == 0) {
        xld_dominfo_dispose(&dom->info);
        dom->info = di;
        dom->have_info = true;
        return;
    }
    xld_dominfo_dispose(&di);
}

static void dm_host(struct xld_dm *dm, struct xlconv_host *host)
{
    struct xld_host_info hi;
    int major, minor;

    xlconv_host_init(host);
    host->conf = dm->xlconf;
    memset(&hi, 0, sizeof(hi));
    if (dm->be->ops->host_info(dm->be, &hi))
        return;
    if (hi.nr_cpus > 0)
        host->max_cpus = hi.nr_cpus;
    if (hi.nr_nodes > 0)
        host->nr_nodes = hi.nr_nodes;
    if (hi.total_memkb)
        host->total_mem_kb = hi.total_memkb;
    if (sscanf(hi.xen_version, "%d.%d", &major, &minor) == 2) {
        host->xen_major = major;
        host->xen_minor = minor;
    }
    /* Where the backend knows which node each cpu is on, "node:N" in a
     * cpu list means those cpus, as libxl_node_to_cpumap has it. */
    if (hi.have_topology && host->max_cpus == hi.nr_cpus
        && hi.nr_cpus <= XLD_HOST_MAX_TOPOLOGY) {
        int nodes[XLD_HOST_MAX_TOPOLOGY];

        for (int i = 0; i < hi.nr_cpus; i++)
            nodes[i] = hi.cpu_node[i];
        if (xlconv_host_set_topology(host, nodes))
            xld_warn("out of memory for the host's cpu topology; node:N "
                     "is read as an even split of the cpus");
    }
}

/*
 * Parse and convert a config as `xl create` does.  cfg must be freshly
 * initialised; its diagnostics say what is wrong.  Returns 0, EINVAL
 * (the config has errors) or ENOMEM.
 *
 * fresh: the admin asks for a domain from this config now (create,
 * adopt), which xl would refuse while xl.conf has errors.  Otherwise the
 * config is one a domain already runs with (restart, recovery, restore),
 * which a later typo in xl.conf must not take from xld: it is converted
 * with the settings of the file that did read.
 */
static int build_config(struct xld_dm *dm, const char *filename,
                        const char *text, char *const *overrides,
                        size_t noverrides, bool fresh, struct xlcfg *cfg,
                        libxl_domain_config *dc)
{
    struct xlconv_host host;
    int rc;

    dm_host(dm, &host);
    rc = xlcfg_parse_buffer_extra(cfg, filename ? filename : "<config>",
                                  text, strlen(text), overrides,
                                  noverrides);
    if (rc)
        goto out;
    /* xl runs no command at all with a broken xl.conf; its errors are in
     * xld's log, from when it was read. */
    if (fresh && dm->xlconf && !xlconf_ok(dm->xlconf)) {
        xlcfg_diag_add(cfg, XLCFG_ERROR, NULL, "%s has errors (see xld's "
                       "log): xld converts no config until they are fixed "
                       "and xld is sent SIGHUP",
                       dm->xlconf->src.filename ? dm->xlconf->src.filename
                                                : XLCONF_DEFAULT_PATH);
        rc = EINVAL;
        goto out;
    }
    if (!xlcfg_ok(cfg)) {
        rc = EINVAL;
        goto out;
    }
    rc = xlconv_convert(cfg, &host, dc);
    if (!rc && !xlcfg_ok(cfg))
        rc = EINVAL;
    /* xl sets the domid policy after a dry run would have printed the
     * config, so it is not part of what the converter produces. */
    if (!rc && host.conf && host.conf->domid_policy == XLCONF_DOMID_RANDOM)
        dc->c_info.domid = RANDOM_DOMID;

out:
    xlconv_host_dispose(&host);
    return rc;
}

/* What the record says beyond the config: who the domain is now, and
 * what the admin changed at run time. */
static void apply_record(libxl_domain_config *dc, const struct xld_record *r)
{
    dc->c_info.uuid = r->uuid;
    if (r->name) {
        char *c = strdup(r->name);

        if (c) {
            free(dc->c_info.name);
            dc->c_info.name = c;
        }
    }
    if (r->target_memkb)
        dc->b_info.target_memkb = r->target_memkb;
    if (r->max_memkb)
        dc->b_info.max_memkb = r->max_memkb;
    if (r->vcpus > 0 && dc->b_info.avail_vcpus.size) {
        for (int i = 0; i < (int)dc->b_info.avail_vcpus.size * 8; i++) {
            if (i < r->vcpus)
                libxl_bitmap_set(&dc->b_info.avail_vcpus, i);
            else
                libxl_bitmap_reset(&dc->b_info.avail_vcpus, i);
        }
    }
    if (r->has_sched) {
        dc->b_info.sched_params.weight = r->sched_weight;
        dc->b_info.sched_params.cap = r->sched_cap;
    }
}

/* libxl's JSON of a config, from a record or an image without config
 * text, through the backend (it takes a libxl context); errno values. */
static int config_from_json(struct xld_dm *dm, const char *json,
                            libxl_domain_config *dc)
{
    struct xld_backend *be = dm->be;
    int rc;

    if (!json)
        return EINVAL;
    if (!be->ops->config_from_json)
        return EOPNOTSUPP;
    rc = be->ops->config_from_json(be, json, dc);
    return rc < 0 ? -rc : rc;
}

/* Build a managed domain's libxl config from its record. */
static int domain_load_config(struct xld_domain *dom)
{
    struct xlcfg cfg;
    int rc;

    xlcfg_init(&cfg);
    libxl_domain_config_dispose(&dom->dc);
    libxl_domain_config_init(&dom->dc);
    dom->have_dc = false;
    /* The config libxl ran it with (see domain_take_runtime_config)
     * where the backend reads it back, else the text converted again. */
    rc = dom->rec.json ? config_from_json(dom->dm, dom->rec.json, &dom->dc)
                       : EINVAL;
    if (rc && !dom->rec.config) {
        xld_err("%s: its libxl config cannot be read back: %s", dom->name,
                strerror(rc));
    } else if (rc) {
        libxl_domain_config_dispose(&dom->dc);
        libxl_domain_config_init(&dom->dc);
        rc = build_config(dom->dm, dom->rec.filename, dom->rec.config,
                          dom->rec.overrides, dom->rec.noverrides, false,
                          &cfg,
                          &dom->dc);
    }
    if (rc == EINVAL && cfg.ndiags)
        xld_err("%s: its config no longer converts: %s:%d: %s", dom->name,
                cfg.diags[0].loc.file ? cfg.diags[0].loc.file : "config",
                cfg.diags[0].loc.line, cfg.diags[0].msg);
    if (!rc) {
        apply_record(&dom->dc, &dom->rec);
        dom->have_dc = true;
        domain_update_json(dom);
    }
    xlcfg_dispose(&cfg);
    return rc;
}

/* ---- the table ---------------------------------------------------------- */

static void refresh_tick(void *opaque)
{
    struct xld_dm *dm = opaque;

    dm->refresh = NULL;
    xld_dm_refresh(dm);
    if (!dm->stopping)
        xld_loop_timer(dm->loop, REFRESH_MS, refresh_tick, dm, &dm->refresh);
}

int xld_dm_new(struct xld_dm **out, struct xld_loop *loop,
               struct xld_backend *be, struct xld_state *st,
               const struct xld_dm_hooks *hooks, void *opaque)
{
    struct xld_dm *dm = calloc(1, sizeof(*dm));

    *out = NULL;
    if (!dm)
        return ENOMEM;
    dm->loop = loop;
    dm->be = be;
    dm->st = st;
    dm->hooks = *hooks;
    dm->opaque = opaque;
    TAILQ_INIT(&dm->domains);
    dm->dump_dir = strdup(XLD_DM_DUMP_DIR);
    if (!dm->dump_dir) {
        free(dm);
        return ENOMEM;
    }
    *out = dm;
    return 0;
}

void xld_dm_set_xlconf(struct xld_dm *dm, const struct xlconf *xc)
{
    dm->xlconf = xc;
}

int xld_dm_set_dump_dir(struct xld_dm *dm, const char *dir)
{
    char *copy = strdup(dir);

    if (!copy)
        return ENOMEM;
    free(dm->dump_dir);
    dm->dump_dir = copy;
    return 0;
}

void xld_dm_free(struct xld_dm *dm)
{
    struct xld_domain *dom;

    if (!dm)
        return;
    xld_loop_cancel(dm->refresh);
    while ((dom = TAILQ_FIRST(&dm->domains)))
        domain_remove(dom);
    for (size_t i = 0; i < dm->nreports; i++) {
        free(dm->reports[i].name);
        free(dm->reports[i].operation);
        free(dm->reports[i].outcome);
    }
    free(dm->reports);
    free(dm->dump_dir);
    free(dm);
}

const struct xld_domain_list *xld_dm_domains(const struct xld_dm *dm)
{
    return &dm->domains;
}

size_t xld_dm_count(const struct xld_dm *dm, size_t *managed)
{
    const struct xld_domain *dom;
    size_t n = 0, m = 0;

    TAILQ_FOREACH(dom, &dm->domains, link) {
        if (dom->state == XLD_DS_GONE)
            continue;
        n++;
        m += dom->managed;
    }
    if (managed)
        *managed = m;
    return n;
}

const struct xld_dm_report *xld_dm_reports(const struct xld_dm *dm,
                                           size_t *n)
{
    *n = dm->nreports;
    return dm->reports;
}

struct xld_loop *xld_dm_loop(const struct xld_dm *dm)
{
    return dm->loop;
}

struct xld_backend *xld_dm_backend(const struct xld_dm *dm)
{
    return dm->be;
}

unsigned xld_dm_running(const struct xld_dm *dm)
{
    return dm->nrunning;
}

struct xld_domain *xld_dm_by_domid(struct xld_dm *dm, uint32_t domid)
{
    struct xld_domain *dom;

    if (domid == XLD_NO_DOMID)
        return NULL;
    TAILQ_FOREACH(dom, &dm->domains, link)
        if (dom->domid == domid && dom->state != XLD_DS_GONE)
            return dom;
    return NULL;
}

static struct xld_domain *by_name(struct xld_dm *dm, const char *name)
{
    struct xld_domain *dom;

    TAILQ_FOREACH(dom, &dm->domains, link)
        if (dom->state != XLD_DS_GONE && dom->name
            && strcmp(dom->name, name) == 0)
            return dom;
    return NULL;
}

static struct xld_domain *by_uuid(struct xld_dm *dm, const libxl_uuid *u)
{
    struct xld_domain *dom;

    TAILQ_FOREACH(dom, &dm->domains, link)
        if (dom->state != XLD_DS_GONE && !libxl_uuid_compare(&dom->uuid, u))
            return dom;
    return NULL;
}

static bool all_digits(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return false;
    return true;
}

struct xld_domain *xld_dm_lookup(struct xld_dm *dm, const char *spec)
{
    struct xld_domain *dom;
    libxl_uuid u;

    /* As xl's find_domain: digits are a domid, a UUID is a UUID, and
     * anything else a name. */
    if (all_digits(spec)) {
        unsigned long n;

        errno = 0;
        n = strtoul(spec, NULL, 10);
        if (errno || n >= XLD_DOMID_LIMIT)
            return NULL;
        return xld_dm_by_domid(dm, (uint32_t)n);
    }
    if (strlen(spec) == LIBXL_UUID_FMTLEN && !libxl_uuid_from_string(&u, spec)
        && (dom = by_uuid(dm, &u)))
        return dom;
    return by_name(dm, spec);
}

static void add_report(struct xld_dm *dm, struct xld_domain *dom,
                       const struct xld_record *r, const char *operation,
                       const char *outcome)
{
    struct xld_dm_report *p = realloc(dm->reports,
                                      (dm->nreports + 1) * sizeof(*p));
    struct xld_dm_event ev;
    char uuid[LIBXL_UUID_FMTLEN + 1];

    if (p) {
        dm->reports = p;
        p += dm->nreports;
        memset(p, 0, sizeof(*p));
        uuid_str(&r->uuid, p->uuid);
        p->name = strdup(r->name ? r->name : "");
        p->operation = strdup(operation);
        p->outcome = strdup(outcome);
        if (p->name && p->operation && p->outcome) {
            dm->nreports++;
        } else {
            free(p->name);
            free(p->operation);
            free(p->outcome);
        }
    }
    xld_warn("%s: xld stopped during its %s: %s", r->name ? r->name : "?",
             operation, outcome);
    memset(&ev, 0, sizeof(ev));
    ev.type = "OPERATION_INTERRUPTED";
    ev.dom = dom;
    ev.domid = dom ? dom->domid : XLD_NO_DOMID;
    ev.name = r->name;
    uuid_str(&r->uuid, uuid);
    ev.uuid = uuid;
    ev.operation = operation;
    ev.detail = outcome;
    if (dm->hooks.event)
        dm->hooks.event(dm->opaque, &ev);
}

/* A domain of the backend's list that the table does not have yet.
 * With xld's userdata it is managed, with its config; rec, when given,
 * is the record of the state directory that names it (moved into the
 * domain). */
static struct xld_domain *adopt(struct xld_dm *dm, struct xld_dominfo *di,
                                struct xld_record *rec)
{
    struct xld_domain *dom = domain_new(dm);
    struct xld_record ud;
    char *data = NULL, err[200];
    size_t len = 0;
    bool have_ud = false, released = false;
    int rc;

    if (!dom)
        return NULL;
    xld_record_init(&ud);
    dom->domid = di->domid;
    dom->uuid = di->uuid;
    dom->name = strdup(di->name ? di->name : "");
    if (!dom->name) {
        domain_free(dom);
        dom = NULL;
        goto out;
    }
    rc = dm->be->ops->userdata_retrieve(dm->be, di->domid, &data, &len);
    if (rc == 0) {
        rc = xld_record_from_json(&ud, data, len, err, sizeof(err));
        if (rc == 0)
            have_ud = true;
        else if (rc == ENOENT)
            released = true;
        else
            xld_warn("%s (domid %" PRIu32 "): its xld userdata is "
                     "unreadable (%s): treating it as unmanaged",
                     dom->name, di->domid, err);
    } else if (rc != -ENOENT) {
        xld_warn("%s (domid %" PRIu32 "): reading its userdata: %s",
                 dom->name, di->domid, strerror(-rc));
    }
    if (rec && released) {
        xld_state_remove(dm->st, &rec->uuid, xld_record_incoming(rec));
    } else if (rec) {
        /* The record is the newer of the two: it is written first. */
        dom->incoming_file = xld_record_incoming(rec);
        dom->rec = *rec;
        xld_record_init(rec);
        dom->managed = true;
    } else if (have_ud) {
        dom->rec = ud;
        xld_record_init(&ud);
        dom->managed = true;
    }
    if (dom->managed) {
        dom->rec.domid = di->domid;
        /* The hypervisor's name is the truth (someone may have used xl
         * rename while xld was away). */
        xld_record_set(&dom->rec.name, dom->name);
        if (dom->rec.started)
            dom->started = (time_t)dom->rec.started;
        if (domain_load_config(dom)) {
            xld_err("%s (domid %" PRIu32 "): its config cannot be built "
                    "again; xld will not handle its shutdowns",
                    dom->name, di->domid);
            dom->managed = false;
        } else {
            if (!have_ud)
                domain_store_userdata(dom);
            /* Found by its userdata alone: the state folder was lost or
             * the record never written; write it now.  So too when a
             * migrated domain took its name but its record did not
             * follow yet. */
            if (!rec || dom->incoming_file
                != xld_record_incoming(&dom->rec)) {
                if (!xld_state_write(dm->st, &dom->rec)
                    && dom->incoming_file)
                    xld_state_remove(dm->st, &dom->uuid, true);
                dom->incoming_file = xld_record_incoming(&dom->rec);
            }
        }
    }
    dom->info = *di;
    xld_dominfo_init(di);
    dom->have_info = true;
    dom->state = XLD_DS_ACTIVE;
    TAILQ_INSERT_TAIL(&dm->domains, dom, link);

out:
    free(data);
    xld_record_dispose(&ud);
    return dom;
}

/* Whether the running operation expects the domain to die, so that its
 * death is part of it and not news. */
static bool owns_death(const struct xld_dm_op *op)
{
    if (!op)
        return false;
    switch (op->type) {
    case XLD_OP_DESTROY:
    case XLD_OP_ACTION:
    case XLD_OP_RECREATE:
        return true;
    case XLD_OP_SAVE:
        return !op->checkpoint;
    case XLD_OP_MIGRATE:
        return op->stage == STAGE_DESTROYING;
    default:
        return false;
    }
}

/* A domain of the table and its place in it, for refresh's index. */
struct dm_ref {
    uint32_t domid;
    size_t pos;
    struct xld_domain *dom;
};

static int dm_ref_cmp(const void *a, const void *b)
{
    const struct dm_ref *x = a, *y = b;

    if (x->domid != y->domid)
        return x->domid < y->domid ? -1 : 1;
    return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* The first (in table order) entry of that domid, or NULL. */
static struct dm_ref *dm_ref_find(struct dm_ref *refs, size_t n,
                                  uint32_t domid)
{
    size_t lo = 0, hi = n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (refs[mid].domid < domid)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && refs[lo].domid == domid ? &refs[lo] : NULL;
}

int xld_dm_refresh(struct xld_dm *dm)
{
    struct xld_dominfo *list = NULL;
    struct xld_domain *dom, *next;
    struct dm_ref *refs = NULL, *making = NULL;
    bool *seen = NULL;
    size_t ndoms = 0, nrefs = 0, nmaking = 0, i;
    int n = 0, rc;

    rc = -dm->be->ops->list(dm->be, &list, &n);
    if (rc) {
        xld_warn("listing the domains: %s", strerror(rc));
        return rc;
    }
    TAILQ_FOREACH(dom, &dm->domains, link)
        ndoms++;
    seen = calloc(ndoms + 1, sizeof(*seen));
    refs = calloc(ndoms + 1, sizeof(*refs));
    making = calloc(ndoms + 1, sizeof(*making));
    if (!seen || !refs || !making) {
        rc = ENOMEM;
        goto out;
    }
    /* An index by domid, so that matching the hypervisor's list with the
     * table costs n log n, not n squared (a list of 1000 domains spent
     * most of its time here); and the few domains being made, which are
     * matched by uuid before the backend tells their domid. */
    i = 0;
    TAILQ_FOREACH(dom, &dm->domains, link) {
        if (dom->state != XLD_DS_GONE) {
            refs[nrefs++] = (struct dm_ref){ dom->domid, i, dom };
            if (dom->state == XLD_DS_CREATING
                || dom->state == XLD_DS_RESTARTING)
                making[nmaking++] = (struct dm_ref){ dom->domid, i, dom };
        }
        i++;
    }
    qsort(refs, nrefs, sizeof(*refs), dm_ref_cmp);
    for (int k = 0; k < n; k++) {
        struct xld_dominfo *di = &list[k];
        struct dm_ref *r = dm_ref_find(refs, nrefs, di->domid);
        struct dm_ref *m = NULL;

        /* The first match in table order wins, as a scan would find it:
         * by domid, or (for a domain being made) by uuid. */
        for (size_t j = 0; j < nmaking && !m; j++)
            if (!libxl_uuid_compare(&making[j].dom->uuid, &di->uuid))
                m = &making[j];
        if (r && (!m || r->pos < m->pos)) {
            dom = r->dom;
            seen[r->pos] = true;
            if (di->name && dom->name && strcmp(di->name, dom->name)
                && dom->state == XLD_DS_ACTIVE) {
                xld_info("domain %" PRIu32 " was renamed from %s to %s "
                         "outside xld", di->domid, dom->name, di->name);
                domain_set_name(dom, di->name);
                domain_save(dom);
            }
            xld_dominfo_dispose(&dom->info);
            dom->info = *di;
            xld_dominfo_init(di);
            dom->have_info = true;
        } else if (m) {
            seen[m->pos] = true;
        } else if (!dm->stopping && (dom = adopt(dm, di, NULL))) {
            xld_info("found %s (domid %" PRIu32 ", %s)", dom->name,
                     dom->domid, dom->managed ? "managed" : "unmanaged");
            emit(dom, "found", NULL, NULL);
        }
    }
    /* Domains the backend no longer lists were destroyed behind xld's
     * back (or their death event is on its way). */
    i = 0;
    for (dom = TAILQ_FIRST(&dm->domains); dom && i < ndoms; dom = next, i++) {
        next = TAILQ_NEXT(dom, link);
        if (seen[i] || dom->state != XLD_DS_ACTIVE
            || dom->domid == XLD_NO_DOMID || dom->running)
            continue;
        xld_info("%s (domid %" PRIu32 ") is gone", dom->name, dom->domid);
        domain_gone(dom);
    }

out:
    free(seen);
    free(refs);
    free(making);
    for (int k = 0; k < n; k++)
        xld_dominfo_dispose(&list[k]);
    free(list);
    return rc;
}

/* ---- events from the backend -------------------------------------------- */

static struct xld_dm_op *op_new(struct xld_dm *dm, struct xld_domain *dom,
                                enum xld_dm_optype type)
{
    struct xld_dm_op *op = calloc(1, sizeof(*op));

    if (!op)
        return NULL;
    op->dm = dm;
    op->dom = dom;
    op->type = type;
    op->fd = -1;
    libxl_domain_sched_params_init(&op->sched);
    return op;
}

static void wake_waiters(struct xld_domain *dom, int rc)
{
    struct xld_dm_op *op;

    while ((op = TAILQ_FIRST(&dom->waiters))) {
        TAILQ_REMOVE(&dom->waiters, op, link);
        op->dom = NULL;
        if (rc)
            op_finish(op, rc, "%s", strerror(-rc));
        else
            op_ok(op);
    }
}

/* Queue what the guest's shutdown calls for; decided when it runs. */
static void queue_action(struct xld_domain *dom, libxl_shutdown_reason reason)
{
    struct xld_dm_op *op;

    if (dom->action_queued)
        return;
    op = op_new(dom->dm, dom, XLD_OP_ACTION);
    if (!op) {
        xld_err("%s: out of memory: its shutdown is not handled",
                dom->name);
        return;
    }
    op->reason = reason;
    dom->action_queued = true;
    TAILQ_INSERT_TAIL(&dom->queue, op, link);
    dm_kick(dom);
}

/*
 * The domain is no more: its record goes, whoever waited for it to go
 * down is answered, and what was queued for it ends (a destroy or a
 * shutdown got what it asked for).  It leaves the table when nothing
 * runs on it.
 */
static void domain_gone(struct xld_domain *dom)
{
    struct xld_dm_op *op;

    if (dom->state == XLD_DS_GONE)
        return;
    if (dom->managed)
        domain_forget(dom);
    if (dom->domid != XLD_NO_DOMID)
        emit(dom, "destroyed", NULL, NULL);
    dom->state = XLD_DS_GONE;
    wake_waiters(dom, 0);
    while ((op = TAILQ_FIRST(&dom->queue))) {
        TAILQ_REMOVE(&dom->queue, op, link);
        op->dom = NULL;
        if (op->type == XLD_OP_DESTROY || op->type == XLD_OP_SHUTDOWN
            || op->type == XLD_OP_ACTION)
            op_ok(op);
        else
            op_finish(op, -ENOENT, "domain %s is gone", dom->name);
    }
    if (!dom->running && !dom->kicking)
        domain_remove(dom);
}

void xld_dm_backend_event(void *opaque, const struct xld_backend_event *ev)
{
    struct xld_dm *dm = opaque;
    struct xld_domain *dom = xld_dm_by_domid(dm, ev->domid);
    const char *reason;

    if (!dom) {
        xld_debug("event for domain %" PRIu32 ", which xld does not know "
                  "(yet)", ev->domid);
        return;
    }
    switch (ev->type) {
    case XLD_BE_DOMAIN_SHUTDOWN:
        reason = xld_dm_shutdown_reason_name(ev->reason);
        domain_refresh_info(dom);
        xld_notice("%s (domid %" PRIu32 ") shut down: %s", dom->name,
                   dom->domid, reason);
        emit(dom, "shutdown", reason, NULL);
        /* A suspend is the middle of a save, which goes on by itself. */
        if (ev->reason == LIBXL_SHUTDOWN_REASON_SUSPEND)
            break;
        if (!dom->managed || dom->rec.held || !dom->have_dc) {
            wake_waiters(dom, 0);
            break;
        }
        /* A stopping xld leaves the guest as it is; the next one sees
         * it shut down and applies the action then. */
        if (dm->stopping)
            break;
        queue_action(dom, ev->reason);
        break;
    case XLD_BE_DOMAIN_DEATH:
        if (owns_death(dom->running))
            break;
        xld_notice("%s (domid %" PRIu32 ") is gone", dom->name, dom->domid);
        domain_gone(dom);
        break;
    }
}

/* ---- running the queues ------------------------------------------------- */

static void dm_kick(struct xld_domain *dom)
{
    struct xld_dm *dm = dom->dm;
    struct xld_dm_op *op;

    if (dom->kicking)
        return;
    dom->kicking = true;
    /* An operation that ends at once (the quick ones) lets the next one
     * start in the same turn. */
    while (!dom->running && !dm->stopping && dom->state != XLD_DS_GONE
           && (op = TAILQ_FIRST(&dom->queue))) {
        TAILQ_REMOVE(&dom->queue, op, link);
        dom->running = op;
        dm->nrunning++;
        op_start(op);
    }
    dom->kicking = false;
    if (dom->state == XLD_DS_GONE && !dom->running)
        domain_remove(dom);
}

/* Record the operation before it starts: a crash from now on is seen at
 * the next start. */
static void begin_op(struct xld_domain *dom, const char *what,
                     const char *path)
{
    if (!dom->managed)
        return;
    xld_record_set(&dom->rec.operation, what);
    xld_record_set(&dom->rec.op_path, path);
    domain_save(dom);
}

static void end_op(struct xld_domain *dom, bool ok)
{
    if (!dom->managed)
        return;
    xld_record_set(&dom->rec.operation, NULL);
    xld_record_set(&dom->rec.op_path, NULL);
    /* The admin has acted on the domain since the interrupted
     * operation: the flag has done its job. */
    if (ok)
        xld_record_set(&dom->rec.interrupted, NULL);
    domain_save(dom);
}

static int errno_rc(int rc)
{
    return rc < 0 ? rc : -rc;
}

/* A failure of a file xld reads or writes (the image of a save) is not
 * one of the domain: its errno must not read as "no such domain" or
 * "busy" to the client.  The message keeps the real reason. */
static int file_rc(int rc)
{
    switch (rc) {
    case -ENOENT:
    case -EEXIST:
    case -EBUSY:
    case -EINVAL:
        return -EIO;
    default:
        return rc;
    }
}

/* -- create and restore -- */

static void created(void *opaque, int rc)
{
    struct xld_dm_op *op = opaque;
    struct xld_domain *dom = op->dom;
    struct xld_dm_result res;
    bool restore = op->type == XLD_OP_RESTORE;

    if (op->fd >= 0) {
        close(op->fd);
        op->fd = -1;
    }
    if (!rc && dom->state == XLD_DS_GONE)
        rc = -ENOENT;
    if (rc) {
        xld_err("%s %s: %s", restore ? "restoring" : "creating", dom->name,
                strerror(-rc));
        if (dom->state != XLD_DS_GONE) {
            domain_forget(dom);
            dom->managed = false;
            dom->domid = XLD_NO_DOMID;
            domain_gone(dom);
        }
        op_finish(op, rc, rc == -ENOMEM ? "the host does not have the "
                  "memory for %s" : "%s", rc == -ENOMEM ? dom->name
                  : strerror(-rc));
        return;
    }
    dom->state = XLD_DS_ACTIVE;
    dom->started = time(NULL);
    dom->rec.started = dom->started;
    dom->rec.domid = dom->domid;
    domain_take_runtime_config(dom);
    end_op(dom, true);
    domain_store_userdata(dom);
    domain_refresh_info(dom);
    xld_notice("%s %s (domid %" PRIu32 ")", restore ? "restored" : "created",
               dom->name, dom->domid);
    emit(dom, restore ? "restored" : "created", NULL, NULL);
    memset(&res, 0, sizeof(res));
    res.domid = dom->domid;
    res.name = dom->name;
    res.cfg = op->cfg;
    op_finish_full(op, &res);
}

static void op_progress(void *opaque, uint64_t done, uint64_t total)
{
    struct xld_dm_op *op = opaque;

    if (op->progress && op->dom)
        op->progress(op->opaque, op_name(op->type), op->dom->name, done,
                     total);
}

static void start_create(struct xld_dm_op *op)
{
    struct xld_domain *dom = op->dom;
    struct xld_backend *be = op->dm->be;
    int rc;

    if (op->type == XLD_OP_RESTORE) {
        begin_op(dom, "restore", op->path);
        rc = be->ops->restore(be, &dom->dc, op->fd, op->paused, &dom->domid,
                              op_progress, created, op);
    } else {
        begin_op(dom, "create", NULL);
        rc = be->ops->create(be, &dom->dc, op->paused, &dom->domid, created,
                             op);
    }
    if (rc)
        created(op, errno_rc(rc));
}

/* -- destroy -- */

static void destroyed(void *opaque, int rc)
{
    struct xld_dm_op *op = opaque;
    struct xld_domain *dom = op->dom;

    if (rc && rc != -ENOENT) {
        end_op(dom, false);
        op_finish(op, rc, "%s", strerror(-rc));
        return;
    }
    xld_notice("destroyed %s (domid %" PRIu32 ")", dom->name, dom->domid);
    domain_gone(dom);
    op_ok(op);
}

static void start_destroy(struct xld_dm_op *op)
{
    struct xld_domain *dom = op->dom;
    struct xld_backend *be = op->dm->be;
    int rc;

    op->stage = STAGE_DESTROYING;
    begin_op(dom, "destroy", NULL);
    rc = be->ops->destroy(be, dom->domid, destroyed, op);
    if (rc)
        destroyed(op, errno_rc(rc));
}

/* -- save -- */

static void saved(void *opaque, int rc)
{
    struct xld_dm_op *op = opaque;
    struct xld_domain *dom = op->dom;

    if (!rc && fsync(op->fd) < 0)
        rc = -errno;
    if (close(op->fd) < 0 && !rc)
        rc = -errno;
    op->fd = -1;
    /* Only a complete image gets the final name. */
    if (!rc && rename(op->tmppath, op->path) < 0)
        rc = -errno;
    if (!rc) {
        free(op->tmppath);
        op->tmppath = NULL;
        xld_state_sync_parent(op->path);
    }
    if (rc) {
        end_op(dom, false);
        op_finish(op, file_rc(rc), "saving to %s: %s", op->path,
                  strerror(-rc));
        return;
    }
    xld_notice("saved %s (domid %" PRIu32 ") to %s", dom->name, dom->domid,
               op->path);
    emit(dom, "saved", NULL, op->path);
    if (op->checkpoint) {
        end_op(dom, true);
        domain_refresh_info(dom);
    } else {
        /* The backend destroys a domain once it is saved. */
        domain_gone(dom);
    }
    op_ok(op);
}

static void start_save(struct xld_dm_op *op)
{
    struct xld_domain *dom = op->dom;
    struct xld_backend *be = op->dm->be;
    int rc;

    if (!dom->managed || !dom->have_dc) {
        op_finish(op, -EINVAL, "%s was not created by xld: its config is "
                  "unknown, and a save image must carry it", dom->name);
        return;
    }
    if (asprintf(&op->tmppath, "%s.tmp", op->path) < 0) {
        op->tmppath = NULL;
        op_finish(op, -ENOMEM, "out of memory");
        return;
    }
    op->fd = open(op->tmppath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
                  0600);
    if (op->fd < 0) {
        rc = -errno;
        free(op->tmppath);
        op->tmppath = NULL;
        op_finish(op, file_rc(rc), "%s.tmp: %s", op->path, strerror(-rc));
        return;
    }
    begin_op(dom, "save", op->path);
    domain_update_json(dom);
    rc = xld_image_write_header(op->fd, dom->rec.json, &dom->rec);
    if (rc) {
        end_op(dom, false);
        op_finish(op, file_rc(-rc), "writing the header of %s: %s",
                  op->path, strerror(rc));
        return;
    }
    rc = be->ops->save(be, dom->domid, op->fd, op->checkpoint, op_progress,
                       saved, op);
    if (rc)
        saved(op, errno_rc(rc));
}

/* -- live migration (migrate.h) -- */

static void migrate_streamed(void *opaque, int rc)
{
    struct xld_dm_op *op = opaque;

    if (!rc)
        op->suspended = true;
    xld_mig_sender_streamed(op->mig, rc);
}

static int migrate_stream(void *opaque, int fd)
{
    struct xld_dm_op *op = opaque;
    struct xld_backend *be = op->dm->be;

    if (!be->ops->migrate_send || !be->ops->resume)
        return -EOPNOTSUPP;
    return errno_rc(be->ops->migrate_send(be, op->dom->domid, fd,
                                          !op->no_live, op->debug,
                                          op_progress, migrate_streamed,
                                          op));
}

/* Rename the domain in the hypervisor and in xld's books. */
static int migrate_rename(struct xld_domain *dom, const char *name)
{
    struct xld_backend *be = dom->dm->be;
    int rc = errno_rc(be->ops->rename(be, dom->domid, name));

    if (!rc && domain_set_name(dom, name))
        rc = -ENOMEM;
    if (!rc) {
        domain_update_json(dom);
        domain_save(dom);
        domain_store_userdata(dom);
    }
    return rc;
}

/* The target has the domain: ours goes out of its way, as xl's does. */
static int migrate_handover(void *opaque)
{
    struct xld_dm_op *op = opaque;
    struct xld_domain *dom = op->dom;
    char *away = NULL;
    int rc;

    if (asprintf(&away, "%s" XLD_MIG_AWAY, dom->name) < 0)
        return -ENOMEM;
    op->home_name = strdup(dom->name);
    rc = op->home_name ? migrate_rename(dom, away) : -ENOMEM;
    if (rc) {
        free(op->home_name);
        op->home_name = NULL;
    }
    free(away);
    return rc;
}

static void migrate_destroyed(void *opaque, int rc)
{
    struct xld_dm_op *op = opaque;
    struct xld_domain *dom = op->dom;

    if (rc && rc != -ENOENT) {
        /* The guest runs on the target: this copy must never resume. */
        hold(dom, "migrated");
        end_op(dom, false);
        op_finish(op, rc, "%s runs on the target now, but destroying this "
                  "suspended copy failed (%s): destroy it", dom->name,
                  strerror(-rc));
        return;
    }
    xld_notice("migrated %s away (domid %" PRIu32 " destroyed)",
               op->home_name ? op->home_name : dom->name, dom->domid);
    emit(dom, "migrated", NULL, NULL);
    domain_gone(dom);
    op_ok(op);
}

static void migrate_finished(void *opaque, enum xld_mig_outcome outcome,
                             int rc, const char *msg)
{
    struct xld_dm_op *op = opaque;
    struct xld_domain *dom = op->dom;
    struct xld_backend *be = op->dm->be;
    char *why = strdup(msg ? msg : rc ? strerror(-rc) : "");
    int rrc;

    /* The conversation is over; what remains is ours to do. */
    xld_mig_sender_free(op->mig);
    op->mig = NULL;
    if (outcome == XLD_MIG_CHECKED) {
        /* A dry run: the guest never stopped, and stays ours. */
        end_op(dom, false);
        op_finish(op, 0, "the target would take %s", dom->name);
        goto out;
    }
    if (outcome == XLD_MIG_DONE) {
        op->stage = STAGE_DESTROYING;
        rrc = be->ops->destroy(be, dom->domid, migrate_destroyed, op);
        if (rrc)
            migrate_destroyed(op, errno_rc(rrc));
        goto out;
    }
    if (outcome == XLD_MIG_UNKNOWN) {
        /* As xl: neither side knows which copy runs; this one stays
         * suspended under its away name, and xld stops acting on it. */
        hold(dom, "migration");
        end_op(dom, false);
        op_finish(op, rc ? rc : -EIO, "%s", why ? why : "out of memory");
        goto out;
    }
    /* Failed: the domain is ours again, under its name, running. */
    if (op->home_name) {
        rrc = migrate_rename(dom, op->home_name);
        if (rrc)
            xld_err("migrate %s: renaming it back to %s: %s", dom->name,
                    op->home_name, strerror(-rrc));
    }
    if (op->suspended) {
        rrc = errno_rc(be->ops->resume(be, dom->domid));
        if (rrc)
            xld_err("migrate %s: resuming it: %s", dom->name,
                    strerror(-rrc));
        else
            xld_notice("migrate %s: failed; resumed here", dom->name);
    }
    end_op(dom, false);
    domain_refresh_info(dom);
    op_finish(op, rc ? rc : -EIO, "%s", why ? why : "out of memory");
out:
    free(why);
}

/*
 * Whether the hypervisor can migrate this guest live: libxc's precopy
 * follows the pages the guest dirties, through HAP or shadow paging for
 * an HVM or PVH guest and through shadow paging alone for a PV one.
 * Found out before anything starts, rather than from libxc's "Failed to
 * enable logdirty" once the target is waiting.  0, or -EOPNOTSUPP; a
 * host that cannot say is let try.
 */
static int live_possible(struct xld_dm *dm, const struct xld_domain *dom)
{
    struct xld_host_info hi;
    bool pv = dom->dc.b_info.type == LIBXL_DOMAIN_TYPE_PV;

    memset(&hi, 0, sizeof(hi));
    if (dm->be->ops->host_info(dm->be, &hi))
        return 0;
    if (pv ? hi.cap_shadow : hi.cap_hap || hi.cap_shadow)
        return 0;
    return -EOPNOTSUPP;
}

static void start_migrate(struct xld_dm_op *op)
{
    static const struct xld_mig_sender_hooks hooks = {
        .stream = migrate_stream,
        .handover = migrate_handover,
        .finished = migrate_finished,
    };
    struct xld_domain *dom = op->dom;
    struct xld_mig_sender_args args;
    struct xld_record rec;
    unsigned char *hdr = NULL;
    size_t len = 0;
    int rc;

    xld_record_init(&rec);
    if (!dom->managed || !dom->have_dc) {
        op_finish(op, -EINVAL, "%s was not created by xld: its config is "
                  "unknown, and the target needs it", dom->name);
        goto out;
    }
    if (!op->dm->be->ops->migrate_send || !op->dm->be->ops->resume) {
        op_finish(op, -EOPNOTSUPP, "the %s backend cannot migrate",
                  op->dm->be->ops->name);
        goto out;
    }
    rc = live_possible(op->dm, dom);
    if (rc && !op->no_live) {
        op_finish(op, rc, "%s cannot migrate live here: live migration "
                  "of a %s guest needs log-dirty paging, and this Xen has "
                  "no %s (as Debian's is built); migrate --no-live sends "
                  "it suspended, as xl save and restore would", dom->name,
                  dom->dc.b_info.type == LIBXL_DOMAIN_TYPE_PV ? "PV"
                  : "HVM", dom->dc.b_info.type == LIBXL_DOMAIN_TYPE_PV
                  ? "shadow paging" : "HAP or shadow paging");
        goto out;
    }
    domain_update_json(dom);
    rc = xld_record_copy(&rec, &dom->rec);
    /* -C: the target builds the domain from that text, not from the
     * libxl config it runs with here; the uuid and the changes made at
     * run time (memory, vcpus) go with it, as they go with the guest. */
    if (!rc && op->config) {
        for (size_t i = 0; i < rec.noverrides; i++)
            free(rec.overrides[i]);
        free(rec.overrides);
        rec.overrides = NULL;
        rec.noverrides = 0;
        if (xld_record_set(&rec.config, op->config)
            || xld_record_set(&rec.filename, op->filename)
            || xld_record_set(&rec.json, NULL))
            rc = ENOMEM;
    }
    xld_record_set(&rec.operation, NULL);
    xld_record_set(&rec.op_path, NULL);
    if (!rc)
        rc = xld_image_header_make(op->config ? NULL : dom->rec.json, &rec,
                                   &hdr, &len);
    if (rc) {
        op_finish(op, -rc, "%s: the config to send: %s", dom->name,
                  strerror(rc));
        goto out;
    }
    memset(&args, 0, sizeof(args));
    args.command = op->command;
    args.name = dom->name;
    args.header = hdr;
    args.header_len = len;
    args.flags = (op->paused ? XLD_MIG_F_PAUSED : 0)
        | (op->debug ? XLD_MIG_F_DEBUG : 0)
        | (op->dry_run ? XLD_MIG_F_CHECK : 0);
    begin_op(dom, "migrate", NULL);
    op->stage = STAGE_MIGRATING;
    rc = xld_mig_sender_start(op->dm->loop, &args, &hooks, op, &op->mig);
    if (rc) {
        end_op(dom, false);
        op_finish(op, -rc, "starting the transport: %s", strerror(rc));
        goto out;
    }
    xld_notice("migrating %s (domid %" PRIu32 ")", dom->name, dom->domid);
out:
    free(hdr);
    xld_record_dispose(&rec);
}

/* -- shutdown actions -- */

static bool restart_allowed(struct xld_domain *dom)
{
    uint64_t now = xld_loop_now(dom->dm->loop);
    int recent = 0;

    for (int i = 0; i < XLD_DM_RESTART_BURST; i++)
        if (dom->restarts[i] && now - dom->restarts[i]
            < XLD_DM_RESTART_WINDOW_MS)
            recent++;
    return recent < XLD_DM_RESTART_BURST;
}

static void note_restart(struct xld_domain *dom)
{
    memmove(dom->restarts + 1, dom->restarts,
            (XLD_DM_RESTART_BURST - 1) * sizeof(dom->restarts[0]));
    dom->restarts[0] = xld_loop_now(dom->dm->loop);
}

static void hold(struct xld_domain *dom, const char *why)
{
    xld_record_set(&dom->rec.held, why);
    domain_save(dom);
}

static void recreated(void *opaque, int rc)
{
    struct xld_dm_op *op = opaque;
    struct xld_domain *dom = op->dom;

    if (!rc && dom->state == XLD_DS_GONE)
        rc = -ENOENT;
    if (rc) {
        xld_err("restarting %s: creating it again failed: %s", dom->name,
                strerror(-rc));
        emit(dom, "restart-failed", NULL, strerror(-rc));
        if (dom->state != XLD_DS_GONE) {
            dom->domid = XLD_NO_DOMID;
            domain_gone(dom);
        }
        wake_waiters(dom, 0);
        op_finish(op, rc, "%s", strerror(-rc));
        return;
    }
    dom->state = XLD_DS_ACTIVE;
    dom->started = time(NULL);
    dom->rec.started = dom->started;
    dom->rec.domid = dom->domid;
    domain_take_runtime_config(dom);
    end_op(dom, false);
    domain_store_userdata(dom);
    domain_refresh_info(dom);
    xld_notice("restarted %s (domid %" PRIu32 ")", dom->name, dom->domid);
    emit(dom, "restarted", NULL, NULL);
    wake_waiters(dom, 0);
    op_ok(op);
}

static void start_recreate(struct xld_dm_op *op)
{
    struct xld_domain *dom = op->dom;
    struct xld_backend *be = op->dm->be;
    int rc;

    op->stage = STAGE_CREATING;
    dom->state = XLD_DS_RESTARTING;
    dom->domid = XLD_NO_DOMID;
    dom->have_info = false;
    begin_op(dom, "restart", NULL);
    rc = be->ops->create(be, &dom->dc, false, &dom->domid, recreated, op);
    if (rc)
        recreated(op, errno_rc(rc));
}

static void action_destroyed(void *opaque, int rc)
{
    struct xld_dm_op *op = opaque;
    struct xld_domain *dom = op->dom;

    if (rc && rc != -ENOENT) {
        xld_err("%s: destroying it after its shutdown: %s", dom->name,
                strerror(-rc));
        end_op(dom, false);
        wake_waiters(dom, 0);
        op_finish(op, rc, "%s", strerror(-rc));
        return;
    }
    if (!op->restart) {
        /* The action was destroy. */
        xld_notice("destroyed %s (domid %" PRIu32 ") after its shutdown",
                   dom->name, dom->domid);
        domain_gone(dom);
        op_ok(op);
        return;
    }
    emit(dom, "destroyed", NULL, NULL);
    start_recreate(op);
}

/*
 * rename-restart, as xl does it: the old domain stays under its name
 * with a time suffix and a new uuid (libxl_domain_preserve), and is no
 * longer xld's; the new incarnation keeps the name and the uuid, so the
 * domain's record and identity carry on.
 */
static int preserve_renamed(struct xld_domain *dom)
{
    struct xld_dm *dm = dom->dm;
    struct xld_backend *be = dm->be;
    struct xld_domain *old;
    char suffix[32], *newname = NULL;
    libxl_uuid new_uuid;
    time_t now = time(NULL);
    struct tm tm;
    int rc;

    if (!be->ops->preserve)
        return EOPNOTSUPP;
    if (!gmtime_r(&now, &tm)
        || !strftime(suffix, sizeof(suffix), "-%Y%m%dT%H%MZ", &tm))
        return EINVAL;
    if (asprintf(&newname, "%s%s", dom->name, suffix) < 0) {
        newname = NULL;
        return ENOMEM;
    }
    libxl_uuid_generate(&new_uuid);
    rc = -be->ops->preserve(be, dom->domid, suffix, &new_uuid);
    if (rc)
        goto out;
    /* Our record must not come back with it: it is released. */
    be->ops->userdata_store(be, dom->domid, xld_state_released_doc,
                            strlen(xld_state_released_doc));
    old = domain_new(dm);
    if (old) {
        old->domid = dom->domid;
        old->uuid = new_uuid;
        old->name = newname;
        newname = NULL;
        old->state = XLD_DS_ACTIVE;
        old->started = dom->started;
        TAILQ_INSERT_TAIL(&dm->domains, old, link);
        domain_refresh_info(old);
        emit(old, "preserved", NULL, "renamed by rename-restart");
    }
    dom->domid = XLD_NO_DOMID;
    dom->state = XLD_DS_RESTARTING;
    domain_update_json(dom);

out:
    free(newname);
    return rc;
}

static void do_action(struct xld_dm_op *op, libxl_action_on_shutdown action);

/* A core dump is done (or failed: xl goes on without one, and so does
 * xld); now the rest of the action. */
static void action_dumped(void *opaque, int rc)
{
    struct xld_dm_op *op = opaque;
    struct xld_domain *dom = op->dom;

    end_op(dom, !rc);
    if (rc)
        xld_err("%s: the core dump to %s failed: %s; going on without one",
                dom->name, op->path, strerror(-rc));
    else
        xld_notice("%s: dumped its core to %s", dom->name, op->path);
    emit(dom, rc ? "core-dump-failed" : "core-dumped", NULL, op->path);
    do_action(op, op->next_action);
}

/* The coredump-* actions: the dump first, to DUMP_DIR/NAME as xl's
 * XEN_DUMP_DIR, then destroy or restart. */
static void start_dump(struct xld_dm_op *op, libxl_action_on_shutdown then)
{
    struct xld_domain *dom = op->dom;
    struct xld_dm *dm = op->dm;
    struct xld_backend *be = dm->be;
    int rc;

    op->next_action = then;
    op->stage = STAGE_DUMPING;
    free(op->path);
    if (asprintf(&op->path, "%s/%s", dm->dump_dir, dom->name) < 0) {
        op->path = NULL;
        rc = -ENOMEM;
        goto fail;
    }
    if (!be->ops->core_dump) {
        rc = -EOPNOTSUPP;
        goto fail;
    }
    begin_op(dom, "core-dump", op->path);
    rc = errno_rc(be->ops->core_dump(be, dom->domid, op->path, action_dumped,
                                     op));
    if (!rc)
        return;
    end_op(dom, false);
fail:
    xld_err("%s: cannot dump its core%s%s: %s; going on without one",
            dom->name, op->path ? " to " : "", op->path ? op->path : "",
            strerror(-rc));
    do_action(op, then);
}

static void soft_reset_done(void *opaque, int rc)
{
    struct xld_dm_op *op = opaque;
    struct xld_domain *dom = op->dom;
    struct xld_backend *be = op->dm->be;

    if (!rc && dom->state == XLD_DS_GONE)
        rc = -ENOENT;
    /* Built again paused, like a create: let it run, as xl does. */
    if (!rc)
        rc = errno_rc(be->ops->unpause(be, dom->domid));
    end_op(dom, !rc);
    domain_refresh_info(dom);
    if (rc) {
        xld_err("%s: its soft reset failed: %s; it is kept as it is",
                dom->name, strerror(-rc));
        if (dom->state != XLD_DS_GONE)
            hold(dom, "soft-reset-failed");
        emit(dom, "soft-reset-failed", NULL, strerror(-rc));
        wake_waiters(dom, 0);
        op_finish(op, rc, "%s", strerror(-rc));
        return;
    }
    xld_notice("%s (domid %" PRIu32 ") was soft-reset", dom->name,
               dom->domid);
    emit(dom, "soft-reset", NULL, NULL);
    wake_waiters(dom, 0);
    op_ok(op);
}

static void keep_held(struct xld_dm_op *op, const char *why,
                      const char *state, const char *rname)
{
    struct xld_domain *dom = op->dom;

    hold(dom, why);
    emit(dom, state, rname, NULL);
    wake_waiters(dom, 0);
    op_ok(op);
}

/* Carry out an on_* action of a managed domain that shut down. */
static void do_action(struct xld_dm_op *op, libxl_action_on_shutdown action)
{
    struct xld_domain *dom = op->dom;
    struct xld_backend *be = op->dm->be;
    const char *rname = xld_dm_shutdown_reason_name(op->reason);
    int rc;

    switch (action) {
    case LIBXL_ACTION_ON_SHUTDOWN_PRESERVE:
        keep_held(op, "preserve", "preserved", rname);
        return;
    case LIBXL_ACTION_ON_SHUTDOWN_SOFT_RESET:
    case LIBXL_ACTION_ON_SHUTDOWN_RESTART:
    case LIBXL_ACTION_ON_SHUTDOWN_RESTART_RENAME:
        /* A guest that goes down again and again is not helped by
         * restarting it again: xenopsd and xl's users both learnt that. */
        if (!restart_allowed(dom)) {
            xld_warn("%s restarted %d times in %d s: not restarting it "
                     "again; it is kept as it is (destroy it, or fix it "
                     "and create it again)", dom->name,
                     XLD_DM_RESTART_BURST, XLD_DM_RESTART_WINDOW_MS / 1000);
            keep_held(op, "restart-limit", "restart-limit", rname);
            return;
        }
        note_restart(dom);
        break;
    default:
        break;
    }
    switch (action) {
    case LIBXL_ACTION_ON_SHUTDOWN_SOFT_RESET:
        if (!be->ops->soft_reset) {
            xld_warn("%s: the %s backend cannot soft-reset a domain; "
                     "restarting it instead", dom->name, be->ops->name);
            action = LIBXL_ACTION_ON_SHUTDOWN_RESTART;
            break;
        }
        /* The same domid, built again from the config it runs with. */
        op->stage = STAGE_RESETTING;
        begin_op(dom, "soft-reset", NULL);
        emit(dom, "soft-resetting", rname, NULL);
        rc = errno_rc(be->ops->soft_reset(be, &dom->dc, dom->domid,
                                          soft_reset_done, op));
        if (rc)
            soft_reset_done(op, rc);
        return;
    case LIBXL_ACTION_ON_SHUTDOWN_RESTART_RENAME:
        op->restart = true;
        emit(dom, "restarting", rname, NULL);
        rc = preserve_renamed(dom);
        if (rc) {
            xld_err("%s: keeping it under another name for rename-restart: "
                    "%s; it is kept as it is", dom->name, strerror(rc));
            keep_held(op, "preserve", "preserved", rname);
            return;
        }
        start_recreate(op);
        return;
    default:
        break;
    }
    if (action == LIBXL_ACTION_ON_SHUTDOWN_RESTART) {
        op->restart = true;
        emit(dom, "restarting", rname, NULL);
        begin_op(dom, "restart", NULL);
    } else {
        begin_op(dom, "destroy", NULL);
    }
    op->stage = STAGE_DESTROYING;
    rc = be->ops->destroy(be, dom->domid, action_destroyed, op);
    if (rc)
        action_destroyed(op, errno_rc(rc));
}

static void start_action(struct xld_dm_op *op)
{
    struct xld_domain *dom = op->dom;
    libxl_action_on_shutdown action;
    libxl_shutdown_reason reason;
    const char *rname;

    dom->action_queued = false;
    domain_refresh_info(dom);
    if (!dom->have_info || !dom->info.shutdown || dom->info.dying) {
        op_ok(op);
        return;
    }
    reason = dom->info.shutdown_reason;
    op->reason = reason;
    rname = xld_dm_shutdown_reason_name(reason);
    if (reason == LIBXL_SHUTDOWN_REASON_SUSPEND || !dom->managed
        || !dom->have_dc || dom->rec.held) {
        wake_waiters(dom, 0);
        op_ok(op);
        return;
    }
    switch (reason) {
    case LIBXL_SHUTDOWN_REASON_POWEROFF:
        action = dom->dc.on_poweroff;
        break;
    case LIBXL_SHUTDOWN_REASON_REBOOT:
        action = dom->dc.on_reboot;
        break;
    case LIBXL_SHUTDOWN_REASON_CRASH:
        action = dom->dc.on_crash;
        break;
    case LIBXL_SHUTDOWN_REASON_WATCHDOG:
        action = dom->dc.on_watchdog;
        break;
    case LIBXL_SHUTDOWN_REASON_SOFT_RESET:
        action = dom->dc.on_soft_reset;
        break;
    default:
        /* As xl: an unknown reason destroys the domain. */
        action = LIBXL_ACTION_ON_SHUTDOWN_DESTROY;
        break;
    }
    xld_notice("%s (domid %" PRIu32 ") shut down (%s): on_%s is %s",
               dom->name, dom->domid, rname,
               reason == LIBXL_SHUTDOWN_REASON_SOFT_RESET ? "soft_reset"
               : rname, action_name(action));
    if (action == LIBXL_ACTION_ON_SHUTDOWN_COREDUMP_DESTROY) {
        start_dump(op, LIBXL_ACTION_ON_SHUTDOWN_DESTROY);
        return;
    }
    if (action == LIBXL_ACTION_ON_SHUTDOWN_COREDUMP_RESTART) {
        start_dump(op, LIBXL_ACTION_ON_SHUTDOWN_RESTART);
        return;
    }
    do_action(op, action);
}

/* -- the quick ones -- */

/*
 * shutdown -F and reboot -F, as xl's: a guest without PV control (an HVM
 * guest without PV drivers) gets an ACPI event instead, which its OS may
 * honour.  xl never destroys a guest for -F, and neither does xld.
 */
static int fallback_trigger(struct xld_domain *dom, libxl_trigger trigger)
{
    struct xld_backend *be = dom->dm->be;
    int rc;

    if (!be->ops->send_trigger)
        return -EOPNOTSUPP;
    xld_notice("%s (domid %" PRIu32 ") has no PV control: sending it an "
               "ACPI %s event", dom->name, dom->domid,
               trigger == LIBXL_TRIGGER_POWER ? "power button" : "reset");
    rc = errno_rc(be->ops->send_trigger(be, dom->domid, trigger));
    /* The guest cannot be reached at all (a PV guest has no ACPI). */
    return rc == -EINVAL ? -EOPNOTSUPP : rc;
}

static void start_shutdown(struct xld_dm_op *op)
{
    struct xld_domain *dom = op->dom;
    struct xld_backend *be = op->dm->be;
    int rc;

    domain_refresh_info(dom);
    if (dom->have_info && dom->info.shutdown && op->wait) {
        op_ok(op);
        return;
    }
    rc = errno_rc(be->ops->shutdown(be, dom->domid));
    if (rc == -EOPNOTSUPP && op->force)
        rc = fallback_trigger(dom, LIBXL_TRIGGER_POWER);
    if (rc == -EOPNOTSUPP) {
        op_finish(op, rc, "%s has no PV control to ask it to shut down "
                  "(no PV drivers?): use -F to press its ACPI power "
                  "button, or destroy it", dom->name);
        return;
    }
    if (rc) {
        op_finish(op, rc, "asking %s to shut down: %s", dom->name,
                  strerror(-rc));
        return;
    }
    xld_info("asked %s (domid %" PRIu32 ") to shut down", dom->name,
             dom->domid);
    if (!op->wait) {
        op_ok(op);
        return;
    }
    /* Waiting for the guest does not hold the queue: a destroy may come
     * after it, and is what an admin does to a guest that ignores the
     * request. */
    dom->running = NULL;
    op->dm->nrunning--;
    TAILQ_INSERT_TAIL(&dom->waiters, op, link);
    check_idle(op->dm);
}

static bool valid_name(const char *name, char *why, size_t len)
{
    libxl_uuid u;

    if (!*name) {
        snprintf(why, len, "a domain name cannot be empty");
        return false;
    }
    if (all_digits(name)) {
        snprintf(why, len, "'%s' would read as a domid", name);
        return false;
    }
    if (!libxl_uuid_from_string(&u, name)) {
        snprintf(why, len, "'%s' would read as a UUID", name);
        return false;
    }
    for (const char *p = name; *p; p++) {
        if (*p == '/' || (unsigned char)*p < 0x20) {
            snprintf(why, len, "a domain name cannot hold '/' or control "
                     "characters");
            return false;
        }
    }
    return true;
}

/*
 * sched-set: the domain's scheduler must be the one the client means
 * (xl sched-credit2 sets credit2's parameters, and libxl refuses them
 * for a domain under another scheduler).  What the hypervisor has then
 * goes to the record, so that a restart or a restore keeps it, as
 * libxl_retrieve_domain_configuration reads the parameters back for xl.
 * Returns nonzero with *rc and why when it failed.
 */
static int sched_set(struct xld_dm_op *op, char *why, size_t len, int *rc)
{
    struct xld_domain *dom = op->dom;
    struct xld_backend *be = op->dm->be;
    libxl_domain_sched_params now;
    libxl_scheduler want;
    int err = 0;

    libxl_domain_sched_params_init(&now);
    if (!be->ops->sched_get || !be->ops->sched_set) {
        err = -EOPNOTSUPP;
        snprintf(why, len, "the %s backend has no scheduler parameters",
                 be->ops->name);
        goto out;
    }
    err = errno_rc(be->ops->sched_get(be, dom->domid, &now));
    if (err) {
        snprintf(why, len, "reading the scheduler parameters of %s: %s",
                 dom->name, strerror(-err));
        goto out;
    }
    if (op->scheduler && (libxl_scheduler_from_string(op->scheduler, &want)
                          || want != now.sched)) {
        err = -EINVAL;
        snprintf(why, len, "%s runs under the %s scheduler, not %s",
                 dom->name, libxl_scheduler_to_string(now.sched)
                 ? libxl_scheduler_to_string(now.sched) : "unknown",
                 op->scheduler);
        goto out;
    }
    op->sched.sched = now.sched;
    err = errno_rc(be->ops->sched_set(be, dom->domid, &op->sched));
    if (err) {
        snprintf(why, len, "setting the %s parameters of %s: %s",
                 libxl_scheduler_to_string(now.sched)
                 ? libxl_scheduler_to_string(now.sched) : "scheduler",
                 dom->name, err == -EINVAL ? "a value is out of range"
                 : strerror(-err));
        goto out;
    }
    libxl_domain_sched_params_dispose(&now);
    libxl_domain_sched_params_init(&now);
    if (dom->managed && !be->ops->sched_get(be, dom->domid, &now)) {
        dom->rec.has_sched = true;
        dom->rec.sched_weight = now.weight;
        dom->rec.sched_cap = now.cap;
        apply_record(&dom->dc, &dom->rec);
    }
    xld_info("%s (domid %" PRIu32 "): scheduler weight %d, cap %d",
             dom->name, dom->domid, now.weight, now.cap);
out:
    libxl_domain_sched_params_dispose(&now);
    *rc = err;
    return err;
}

static void start_quick(struct xld_dm_op *op)
{
    struct xld_domain *dom = op->dom;
    struct xld_backend *be = op->dm->be;
    const char *state = NULL;
    char why[128], *old = NULL;
    int rc = 0;

    switch (op->type) {
    case XLD_OP_REBOOT:
        rc = errno_rc(be->ops->reboot(be, dom->domid));
        if (rc == -EOPNOTSUPP && op->force)
            rc = fallback_trigger(dom, LIBXL_TRIGGER_RESET);
        if (rc == -EOPNOTSUPP) {
            op_finish(op, rc, "%s has no PV control to ask it to reboot "
                      "(no PV drivers?): use -F to reset it through ACPI",
                      dom->name);
            return;
        }
        if (!rc)
            xld_info("asked %s (domid %" PRIu32 ") to reboot", dom->name,
                     dom->domid);
        break;
    case XLD_OP_PAUSE:
        rc = be->ops->pause(be, dom->domid);
        state = "paused";
        break;
    case XLD_OP_UNPAUSE:
        rc = be->ops->unpause(be, dom->domid);
        state = "unpaused";
        break;
    case XLD_OP_MEM_SET:
        rc = be->ops->set_memory_target(be, dom->domid, op->memkb);
        if (!rc && dom->managed) {
            dom->rec.target_memkb = op->memkb;
            dom->dc.b_info.target_memkb = op->memkb;
        }
        break;
    case XLD_OP_MEM_MAX:
        rc = be->ops->set_memory_max(be, dom->domid, op->memkb);
        if (!rc && dom->managed) {
            dom->rec.max_memkb = op->memkb;
            dom->dc.b_info.max_memkb = op->memkb;
        }
        break;
    case XLD_OP_VCPU_SET:
        rc = be->ops->set_vcpus(be, dom->domid, op->count);
        if (!rc && dom->managed) {
            dom->rec.vcpus = op->count;
            apply_record(&dom->dc, &dom->rec);
        }
        break;
    case XLD_OP_SYSRQ:
        /* A key the guest reads when it likes: nothing to wait for, and
         * nothing of the domain's record changes. */
        rc = be->ops->send_sysrq(be, dom->domid, op->key);
        if (!rc)
            xld_info("sent SysRq '%c' to %s (domid %" PRIu32 ")", op->key,
                     dom->name, dom->domid);
        break;
    case XLD_OP_VCPU_PIN:
        /* Xen's affinity only: libxl keeps none of it in the domain's
         * config (libxl_set_vcpuaffinity leaves its JSON alone), so
         * neither does xld's record, and a restart or a restore gets the
         * config's cpus= back, as with xl. */
        rc = be->ops->vcpu_pin
             ? be->ops->vcpu_pin(be, dom->domid, op->vcpu, op->hard,
                                 op->soft, op->force)
             : -EOPNOTSUPP;
        rc = errno_rc(rc);
        if (rc) {
            op_finish(op, rc, "pinning the vcpus of %s: %s", dom->name,
                      rc == -EPERM ? "the backend does not change this "
                      "domain" : rc == -EOPNOTSUPP ? "the backend cannot"
                      : strerror(-rc));
            return;
        }
        if (op->vcpu < 0)
            xld_info("%s (domid %" PRIu32 "): every vcpu pinned",
                     dom->name, dom->domid);
        else
            xld_info("%s (domid %" PRIu32 "): vcpu %d pinned", dom->name,
                     dom->domid, op->vcpu);
        break;
    case XLD_OP_SCHED_SET:
        if (sched_set(op, why, sizeof(why), &rc)) {
            op_finish(op, rc, "%s", why);
            return;
        }
        break;
    case XLD_OP_RENAME:
        if (!valid_name(op->name, why, sizeof(why))) {
            op_finish(op, -EINVAL, "%s", why);
            return;
        }
        if (strcmp(op->name, dom->name) && by_name(op->dm, op->name)) {
            op_finish(op, -EEXIST, "a domain named '%s' already exists",
                      op->name);
            return;
        }
        rc = be->ops->rename(be, dom->domid, op->name);
        if (!rc) {
            old = strdup(dom->name);
            if (domain_set_name(dom, op->name))
                rc = -ENOMEM;
            state = "renamed";
        }
        break;
    default:
        rc = -EINVAL;
        break;
    }
    rc = errno_rc(rc);
    if (rc) {
        op_finish(op, rc, "%s", strerror(-rc));
        free(old);
        return;
    }
    if (dom->managed && op->type != XLD_OP_REBOOT
        && op->type != XLD_OP_PAUSE && op->type != XLD_OP_UNPAUSE
        && op->type != XLD_OP_SYSRQ && op->type != XLD_OP_VCPU_PIN) {
        domain_update_json(dom);
        end_op(dom, true);
        domain_store_userdata(dom);
    } else if (dom->managed && dom->rec.interrupted) {
        end_op(dom, true);
    }
    domain_refresh_info(dom);
    if (state)
        emit(dom, state, NULL, old);
    free(old);
    op_ok(op);
}

/*
 * Take over a domain plain xl made: from now on xld applies its on_*
 * actions and keeps its record, as for a domain it created.  The config
 * is the file the admin gives (converted at submit time), or else the
 * one libxl keeps of the domain; either way the running domain's uuid
 * stays its own.
 */
static void start_adopt(struct xld_dm_op *op)
{
    struct xld_domain *dom = op->dom;
    struct xld_backend *be = op->dm->be;
    libxl_domain_config dc;
    struct xld_record rec;
    int rc;

    libxl_domain_config_init(&dc);
    xld_record_init(&rec);
    if (dom->managed) {
        op_finish(op, -EINVAL, "%s is managed by xld already", dom->name);
        goto out;
    }
    if (op->adopt_dc) {
        libxl_domain_config_dispose(&dc);
        dc = *op->adopt_dc;
        libxl_domain_config_init(op->adopt_dc);
        rec = *op->adopt_rec;
        xld_record_init(op->adopt_rec);
    } else {
        rc = be->ops->retrieve_config
             ? errno_rc(be->ops->retrieve_config(be, dom->domid, &dc))
             : -EOPNOTSUPP;
        if (rc == -EOPNOTSUPP) {
            op_finish(op, -EINVAL, "the %s backend cannot read the config "
                      "of a running domain: give its config file",
                      be->ops->name);
            goto out;
        }
        if (rc) {
            op_finish(op, rc, "reading the config of %s: %s", dom->name,
                      strerror(-rc));
            goto out;
        }
    }
    if (!dc.c_info.name || strcmp(dc.c_info.name, dom->name)) {
        op_finish(op, -EINVAL, "the config is of '%s', not of '%s'",
                  dc.c_info.name ? dc.c_info.name : "(no name)", dom->name);
        goto out;
    }
    domain_refresh_info(dom);
    dc.c_info.uuid = dom->uuid;
    rec.uuid = dom->uuid;
    rec.domid = dom->domid;
    rec.created = time(NULL);
    rec.started = dom->started;
    if (xld_record_set(&rec.name, dom->name)) {
        op_finish(op, -ENOMEM, "out of memory");
        goto out;
    }
    xld_record_dispose(&dom->rec);
    dom->rec = rec;
    xld_record_init(&rec);
    libxl_domain_config_dispose(&dom->dc);
    dom->dc = dc;
    libxl_domain_config_init(&dc);
    dom->have_dc = true;
    dom->managed = true;
    domain_update_json(dom);
    domain_save(dom);
    domain_store_userdata(dom);
    xld_notice("adopted %s (domid %" PRIu32 ")%s%s", dom->name, dom->domid,
               dom->rec.filename ? " with the config " : "",
               dom->rec.filename ? dom->rec.filename : "");
    emit(dom, "adopted", NULL, dom->rec.filename);
    /* A guest that went down before xld took it over gets its action
     * now, as if it had just shut down. */
    if (dom->have_info && dom->info.shutdown)
        queue_action(dom, dom->info.shutdown_reason);
    op_ok(op);
out:
    xld_record_dispose(&rec);
    libxl_domain_config_dispose(&dc);
}

/* ---- devices while the domain runs -------------------------------------- */

/* Whether an override (KEY=VALUE or KEY+=VALUE) sets key. */
static bool override_sets(const char *ov, const char *key)
{
    size_t n = strlen(key);

    while (*ov == ' ' || *ov == '\t')
        ov++;
    if (strncmp(ov, key, n))
        return false;
    ov += n;
    while (*ov == ' ' || *ov == '\t')
        ov++;
    return *ov == '=' || (ov[0] == '+' && ov[1] == '=');
}

/*
 * The items of a device list (disk= or vif=) of a managed domain's
 * config as it reads now: its text and overrides, parsed as at create,
 * up to the first item that is not a string (where xl stops).  *out is
 * a malloc'd array of malloc'd copies.  0 or an errno value.
 */
static int record_specs(const struct xld_record *rec, const char *key,
                        char ***out, size_t *n)
{
    const struct xlcfg_value *list;
    struct xlcfg cfg;
    char **v = NULL;
    size_t cnt = 0;
    int rc;

    *out = NULL;
    *n = 0;
    xlcfg_init(&cfg);
    rc = xlcfg_parse_buffer_extra(&cfg, rec->filename ? rec->filename
                                  : "<config>", rec->config,
                                  strlen(rec->config), rec->overrides,
                                  rec->noverrides);
    if (rc)
        goto out;
    rc = xlcfg_get_list(&cfg, key, &list);
    if (rc == ENOENT) {
        rc = 0;
        goto out;
    }
    if (rc)
        goto out;
    v = calloc(list->nitems + 1, sizeof(*v));
    if (!v) {
        rc = ENOMEM;
        goto out;
    }
    for (; cnt < list->nitems && xlcfg_list_string(list, cnt); cnt++) {
        if (!(v[cnt] = strdup(xlcfg_list_string(list, cnt)))) {
            rc = ENOMEM;
            goto out;
        }
    }
    *out = v;
    *n = cnt;
    v = NULL;
out:
    for (size_t i = 0; v && i < cnt; i++)
        free(v[i]);
    free(v);
    xlcfg_dispose(&cfg);
    return rc;
}

static void specs_free(char **specs, size_t n)
{
    for (size_t i = 0; specs && i < n; i++)
        free(specs[i]);
    free(specs);
}

/* A copy of spec at the end of a list of specs_free's kind; ENOMEM
 * leaves the list as it was. */
static int specs_append(char ***specs, size_t *n, const char *spec)
{
    char **grown = realloc(*specs, (*n + 1) * sizeof(**specs));

    if (!grown)
        return ENOMEM;
    *specs = grown;
    if (!(grown[*n] = strdup(spec)))
        return ENOMEM;
    (*n)++;
    return 0;
}

/* A spec as an item of an xl list: double quotes, and xl's escapes for
 * what would end the string or the line. */
static void put_quoted(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            fprintf(f, "\\%c", *s);
        else if (*s == '\n')
            fputs("\\n", f);
        else if (*s == '\t')
            fputs("\\t", f);
        else
            fputc(*s, f);
    }
    fputc('"', f);
}

/*
 * The record says the list key now holds specs: the earlier overrides
 * of key go, and one `key = [ "...", ... ]` comes last, so that the
 * config converts to the devices the domain has now (a restart, a
 * restore, a recovery).  The record is not written here.  0 or ENOMEM.
 */
static int record_set_list(struct xld_record *rec, const char *key,
                           char *const *specs, size_t n)
{
    char **ov = calloc(rec->noverrides + 1, sizeof(*ov));
    char *line = NULL;
    size_t len = 0, nov = 0;
    FILE *f = NULL;
    int rc = 0;

    if (!ov || !(f = open_memstream(&line, &len))) {
        rc = ENOMEM;
        goto out;
    }
    fprintf(f, "%s = [ ", key);
    for (size_t i = 0; i < n; i++) {
        put_quoted(f, specs[i]);
        fputs(i + 1 < n ? ", " : " ", f);
    }
    fputc(']', f);
    if (fclose(f)) {
        f = NULL;
        rc = ENOMEM;
        goto out;
    }
    f = NULL;
    for (size_t i = 0; i < rec->noverrides; i++) {
        if (override_sets(rec->overrides[i], key))
            free(rec->overrides[i]);
        else
            ov[nov++] = rec->overrides[i];
    }
    ov[nov++] = line;
    line = NULL;
    free(rec->overrides);
    rec->overrides = ov;
    rec->noverrides = nov;
    ov = NULL;
out:
    if (f)
        fclose(f);
    free(line);
    free(ov);
    return rc;
}

/* The pieces of a spec as one, as xl reads several arguments: a comma
 * between two pieces unless one of them has it already ("format=raw,"
 * "vdev=xvdb"). */
static char *join_specs(char *const *specs, size_t n)
{
    size_t len = 1, at;
    char *s;

    for (size_t i = 0; i < n; i++)
        len += strlen(specs[i]) + 1;
    s = malloc(len);
    if (!s)
        return NULL;
    s[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        at = strlen(s);
        if (i && at && s[at - 1] != ',' && specs[i][0] != ',')
            strcat(s, ",");
        strcat(s, specs[i]);
    }
    return s;
}

/* Whether text is a MAC (six pairs of hex digits with colons) into mac. */
static bool parse_mac(const char *text, libxl_mac *mac)
{
    unsigned b[6];
    char end;

    if (sscanf(text, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2],
               &b[3], &b[4], &b[5], &end) != 6 || strlen(text) != 17)
        return false;
    for (int i = 0; i < 6; i++)
        (*mac)[i] = (uint8_t)b[i];
    return true;
}

/*
 * The disk list of the record after an attach (spec added) or a detach
 * (every item of the vdev's number taken out).  0 or an errno value.
 */
static int record_disks(struct xld_dm_op *op)
{
    struct xld_domain *dom = op->dom;
    struct xlconv_host host;
    char **specs = NULL, why[256];
    size_t n = 0, k = 0;
    int rc, devid = -1;

    dm_host(op->dm, &host);
    rc = record_specs(&dom->rec, "disk", &specs, &n);
    if (rc)
        goto out;
    if (op->type == XLD_OP_DISK_ATTACH) {
        rc = specs_append(&specs, &n, op->spec);
    } else {
        devid = xlconv_vdev_devid(op->device);
        for (size_t i = 0; i < n; i++) {
            libxl_device_disk d;
            bool drop;

            libxl_device_disk_init(&d);
            drop = !xlconv_disk(&host, specs[i], &d, why, sizeof(why))
                   && xlconv_vdev_devid(d.vdev) == devid;
            libxl_device_disk_dispose(&d);
            if (drop)
                free(specs[i]);
            else
                specs[k++] = specs[i];
        }
        n = k;
    }
    if (!rc)
        rc = record_set_list(&dom->rec, "disk", specs, n);
out:
    specs_free(specs, n);
    xlconv_host_dispose(&host);
    return rc;
}

/*
 * The vif list of the record after an attach or a detach.  A vif of a
 * config is numbered by its place in the list, which a detach changes
 * for the ones after it; and libxl keeps the MAC it made up for a vif
 * without one.  So each item that runs gets devid= and mac= of its own
 * where the spec did not say them, and a restart gives the guest the
 * same vifs.  0 or an errno value.
 */
static int record_nics(struct xld_dm_op *op, const struct xld_devinfo *run,
                       int nrun)
{
    static const libxl_mac zero_mac;
    struct xld_domain *dom = op->dom;
    struct xlconv_host host;
    char **specs = NULL, why[256];
    size_t n = 0, k = 0;
    int rc;

    dm_host(op->dm, &host);
    rc = record_specs(&dom->rec, "vif", &specs, &n);
    if (rc)
        goto out;
    if (op->type == XLD_OP_NIC_ATTACH)
        rc = specs_append(&specs, &n, op->spec);
    if (rc)
        goto out;
    for (size_t i = 0; i < n; i++) {
        libxl_device_nic nic;
        bool own_devid, own_mac, drop = false;
        const struct xld_devinfo *x = NULL;
        char *more = NULL;
        int devid, len = 0;

        libxl_device_nic_init(&nic);
        rc = xlconv_nic(&host, specs[i], &nic, why, sizeof(why));
        own_devid = nic.devid >= 0;
        devid = own_devid ? nic.devid : (int)i;
        own_mac = memcmp(nic.mac, zero_mac, sizeof(zero_mac)) != 0;
        if (op->type == XLD_OP_NIC_ATTACH && i == n - 1)
            devid = op->nic->devid;
        libxl_device_nic_dispose(&nic);
        if (rc) {
            rc = 0;
            specs[k++] = specs[i];
            continue;
        }
        if (op->type == XLD_OP_NIC_DETACH && devid == op->devid)
            drop = true;
        for (int r = 0; r < nrun && !drop; r++)
            if (run[r].devid == devid)
                x = &run[r];
        if (drop) {
            free(specs[i]);
            continue;
        }
        if (x && !own_mac)
            len = asprintf(&more, "%s%smac=" LIBXL_MAC_FMT, specs[i],
                           *specs[i] ? "," : "", LIBXL_MAC_BYTES(x->mac));
        if (len >= 0 && !own_devid && devid != (int)k) {
            const char *base = more ? more : specs[i];
            char *again = NULL;

            len = asprintf(&again, "%s%sdevid=%d", base, *base ? "," : "",
                           devid);
            free(more);
            more = len >= 0 ? again : NULL;
        }
        if (len < 0) {
            rc = ENOMEM;
            specs[k++] = specs[i];
            for (size_t j = i + 1; j < n; j++)
                specs[k++] = specs[j];
            n = k;
            goto out;
        }
        if (more) {
            free(specs[i]);
            specs[i] = more;
        }
        specs[k++] = specs[i];
    }
    n = k;
    rc = record_set_list(&dom->rec, "vif", specs, n);
out:
    specs_free(specs, n);
    xlconv_host_dispose(&host);
    return rc;
}

/* Whether the item of a pci= list have is (or holds) the device want a
 * pci-detach takes away: by name when the item has one, else by address,
 * a whole slot on either side covering its every function. */
static bool pci_item_is(const libxl_device_pci *want,
                        const libxl_device_pci *have)
{
    if (have->name)
        return want->name && !strcmp(want->name, have->name);
    if (want->domain != have->domain || want->bus != have->bus
        || want->dev != have->dev)
        return false;
    return want->vfunc_mask == LIBXL_PCI_FUNC_ALL
           || have->vfunc_mask == LIBXL_PCI_FUNC_ALL
           || want->func == have->func;
}

/*
 * The pci list of the record after a pci-attach (the device as it runs,
 * written with every flag, so that the config's pci_* defaults do not
 * change it: xlconv_pci_to_spec) or a pci-detach (every item of the
 * device taken out).  An item of a whole slot that loses one function
 * gives way to one item per function the domain still has of the slot
 * (without a slot of its own, since a spec cannot give a function's).
 * 0 or an errno value.
 */
static int record_pcis(struct xld_dm_op *op)
{
    struct xld_domain *dom = op->dom;
    struct xld_backend *be = op->dm->be;
    libxl_device_pci *run = NULL;
    char **specs = NULL, **keep = NULL, why[256];
    bool replaced = false;
    size_t n = 0, k = 0;
    int nrun = 0, rc;

    rc = record_specs(&dom->rec, "pci", &specs, &n);
    if (!rc && op->type == XLD_OP_PCI_DETACH)
        rc = -be->ops->pci_list(be, dom->domid, &run, &nrun);
    if (rc)
        goto out;
    keep = calloc(n + 1 + (size_t)nrun, sizeof(*keep));
    if (!keep) {
        rc = ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < n && !rc; i++) {
        libxl_device_pci p;
        bool drop = false;

        libxl_device_pci_init(&p);
        if (op->type == XLD_OP_PCI_DETACH
            && !xlconv_pci_device(specs[i], &p, why, sizeof(why)))
            drop = pci_item_is(op->pci, &p);
        for (int r = 0; drop && !replaced && !rc && r < nrun; r++) {
            libxl_device_pci one = run[r];

            if (p.vfunc_mask != LIBXL_PCI_FUNC_ALL
                || op->pci->vfunc_mask == LIBXL_PCI_FUNC_ALL
                || one.domain != p.domain || one.bus != p.bus
                || one.dev != p.dev)
                continue;
            /* A copy that only lends run[r]'s name: not disposed. */
            one.vfunc_mask = 1;
            one.vdevfn = 0;
            if (!(keep[k] = xlconv_pci_to_spec(&one)))
                rc = ENOMEM;
            else
                k++;
        }
        replaced |= drop && p.vfunc_mask == LIBXL_PCI_FUNC_ALL;
        libxl_device_pci_dispose(&p);
        if (!drop) {
            keep[k++] = specs[i];
            specs[i] = NULL;
        }
    }
    if (!rc && op->type == XLD_OP_PCI_ATTACH) {
        if (!(keep[k] = xlconv_pci_to_spec(op->pci)))
            rc = ENOMEM;
        else
            k++;
    }
    if (!rc)
        rc = record_set_list(&dom->rec, "pci", keep, k);
out:
    specs_free(specs, n);
    specs_free(keep, k);
    if (run)
        libxl_device_pci_list_free(run, nrun);
    return rc;
}

/*
 * The disk list of the record after a cd-insert or cd-eject: the items
 * of the drive's vdev give way to the spec xl makes of the vdev and the
 * new medium (which libxl keeps in its config too).  0 or an errno
 * value.
 */
static int record_cdrom(struct xld_dm_op *op)
{
    struct xld_domain *dom = op->dom;
    struct xlconv_host host;
    char **specs = NULL, why[256];
    bool changed = false;
    size_t n = 0;
    int rc, devid = xlconv_vdev_devid(op->disk->vdev);

    dm_host(op->dm, &host);
    rc = record_specs(&dom->rec, "disk", &specs, &n);
    for (size_t i = 0; i < n && !rc; i++) {
        libxl_device_disk d;
        bool same;
        char *copy;

        libxl_device_disk_init(&d);
        same = !xlconv_disk(&host, specs[i], &d, why, sizeof(why))
               && xlconv_vdev_devid(d.vdev) == devid;
        libxl_device_disk_dispose(&d);
        if (!same)
            continue;
        if (!(copy = strdup(op->spec))) {
            rc = ENOMEM;
            break;
        }
        free(specs[i]);
        specs[i] = copy;
        changed = true;
    }
    /* A drive the record does not list (an adopted domain's) leaves the
     * record as it is. */
    if (!rc && changed)
        rc = record_set_list(&dom->rec, "disk", specs, n);
    specs_free(specs, n);
    xlconv_host_dispose(&host);
    return rc;
}

/*
 * After a device came or went: the config xld keeps follows.  The libxl
 * backend's own copy of the config (libxl updates it with the device)
 * is taken where the backend has one; the record's text follows in any
 * case, since it is what a backend without (sim), or a record without
 * libxl's JSON, converts again.
 */
static void device_follow(struct xld_dm_op *op, const struct xld_devinfo *run,
                          int nrun)
{
    struct xld_domain *dom = op->dom;
    struct xld_backend *be = op->dm->be;
    libxl_domain_config dc;
    struct xlcfg cfg;
    int rc = 0;

    libxl_domain_config_init(&dc);
    xlcfg_init(&cfg);
    if (!dom->managed)
        goto out;
    if (dom->rec.config) {
        switch (op->type) {
        case XLD_OP_DISK_ATTACH:
        case XLD_OP_DISK_DETACH:
            rc = record_disks(op);
            break;
        case XLD_OP_PCI_ATTACH:
        case XLD_OP_PCI_DETACH:
            rc = record_pcis(op);
            break;
        case XLD_OP_CD_INSERT:
        case XLD_OP_CD_EJECT:
            rc = record_cdrom(op);
            break;
        default:
            rc = record_nics(op, run, nrun);
            break;
        }
        if (rc)
            xld_warn("%s: its config in the record does not follow the "
                     "%s: %s", dom->name, op_name(op->type), strerror(rc));
    }
    rc = be->ops->retrieve_config
         ? errno_rc(be->ops->retrieve_config(be, dom->domid, &dc))
         : -EOPNOTSUPP;
    if (rc && dom->rec.config) {
        libxl_domain_config_dispose(&dc);
        libxl_domain_config_init(&dc);
        rc = -build_config(op->dm, dom->rec.filename, dom->rec.config,
                           dom->rec.overrides, dom->rec.noverrides, false,
                           &cfg, &dc);
        if (!rc)
            apply_record(&dc, &dom->rec);
    }
    if (rc) {
        xld_warn("%s: the config xld keeps does not follow the %s: %s",
                 dom->name, op_name(op->type), strerror(-rc));
    } else {
        libxl_domain_config_dispose(&dom->dc);
        dom->dc = dc;
        libxl_domain_config_init(&dc);
        dom->have_dc = true;
    }
    domain_update_json(dom);
    end_op(dom, true);
    domain_store_userdata(dom);
out:
    xlcfg_dispose(&cfg);
    libxl_domain_config_dispose(&dc);
}

/* A device operation ended in the backend. */
static bool pci_or_cd(enum xld_dm_optype t)
{
    return t == XLD_OP_PCI_ATTACH || t == XLD_OP_PCI_DETACH
           || t == XLD_OP_CD_INSERT || t == XLD_OP_CD_EJECT;
}

/* A PCI device as the admin reads it: its name when it has one, else
 * its address ("*" for every function of the slot). */
static void pci_text(const libxl_device_pci *pci, char *buf, size_t len)
{
    if (pci->name)
        snprintf(buf, len, "%s", pci->name);
    else if (pci->vfunc_mask == LIBXL_PCI_FUNC_ALL)
        snprintf(buf, len, "%04x:%02x:%02x.*", (unsigned)pci->domain,
                 pci->bus, pci->dev);
    else
        snprintf(buf, len, "%04x:%02x:%02x.%x", (unsigned)pci->domain,
                 pci->bus, pci->dev, pci->func);
}

/* The name of the domain of the table that has the device pci names
 * (by address), for a message; NULL when none does. */
static const char *pci_holder_name(struct xld_dm *dm,
                                   const libxl_device_pci *pci)
{
    struct xld_backend *be = dm->be;
    const char *holder = NULL;
    struct xld_domain *dom;

    TAILQ_FOREACH(dom, &dm->domains, link) {
        libxl_device_pci *l = NULL;
        int n = 0;

        if (holder || dom->domid == XLD_NO_DOMID
            || be->ops->pci_list(be, dom->domid, &l, &n))
            continue;
        for (int i = 0; i < n && !holder; i++)
            if (l[i].domain == pci->domain && l[i].bus == pci->bus
                && l[i].dev == pci->dev
                && (pci->vfunc_mask == LIBXL_PCI_FUNC_ALL
                    || l[i].func == pci->func))
                holder = dom->name;
        libxl_device_pci_list_free(l, n);
    }
    return holder;
}

/* A pci-attach, pci-detach, cd-insert or cd-eject the backend refused:
 * why, in the admin's words. */
static void pci_cd_failed(struct xld_dm_op *op, int rc)
{
    struct xld_domain *dom = op->dom;
    bool pci = op->type == XLD_OP_PCI_ATTACH || op->type == XLD_OP_PCI_DETACH;
    const char *holder;
    char dev[80] = "";

    if (pci)
        pci_text(op->pci, dev, sizeof(dev));
    switch (rc) {
    case -EINVAL:
        op_finish(op, rc, "%s: the domain is not running", dom->name);
        break;
    case -ENODEV:
        if (op->type == XLD_OP_PCI_ATTACH)
            op_finish(op, -EINVAL, "%s is not an assignable device of the "
                      "host (pci-assignable-list lists them, "
                      "pci-assignable-add makes one so)", dev);
        else if (pci)
            op_finish(op, -EINVAL, "%s has no pci device %s", dom->name,
                      dev);
        else
            op_finish(op, -EINVAL, "%s has no CD-ROM drive %s", dom->name,
                      op->device);
        break;
    case -EBUSY:
        holder = pci_holder_name(op->dm, op->pci);
        op_finish(op, rc, "%s is attached to %s already", dev,
                  holder ? holder : "another domain");
        break;
    case -EEXIST:
        op_finish(op, rc, "%s has %s already, or a device at the virtual "
                  "slot asked for", dom->name, dev);
        break;
    case -ENOSPC:
        op_finish(op, rc, "%s has no free virtual PCI slot", dom->name);
        break;
    case -EOPNOTSUPP:
        op_finish(op, -EINVAL, "%s is not an HVM guest: as with xl, only an "
                  "HVM guest's CD-ROM drives take and give up a medium",
                  dom->name);
        break;
    default:
        op_finish(op, rc, "%s %s: %s", op_name(op->type), dom->name,
                  strerror(-rc));
        break;
    }
}

static void device_done(void *opaque, int rc)
{
    struct xld_dm_op *op = opaque;
    struct xld_domain *dom = op->dom;
    struct xld_backend *be = op->dm->be;
    struct xld_devinfo *run = NULL;
    char dev[80];
    int nrun = 0;

    if (rc && pci_or_cd(op->type)) {
        pci_cd_failed(op, rc);
        return;
    }
    switch (rc) {
    case 0:
        break;
    case -EEXIST:
        if (op->type == XLD_OP_DISK_ATTACH)
            op_finish(op, rc, "%s has a disk %s already", dom->name,
                      op->disk->vdev);
        else if (op->nic->devid >= 0)
            op_finish(op, rc, "%s has a vif of devid %d already, or one "
                      "of the MAC given", dom->name, op->nic->devid);
        else
            op_finish(op, rc, "%s has a vif of MAC " LIBXL_MAC_FMT
                      " already", dom->name, LIBXL_MAC_BYTES(op->nic->mac));
        return;
    case -ENODEV:
        op_finish(op, -EINVAL, "%s has no %s %s (not connected)", dom->name,
                  op->type == XLD_OP_DISK_DETACH ? "disk" : "vif",
                  op->device);
        return;
    case -EINVAL:
        op_finish(op, rc, "%s: %s", dom->name,
                  op->type == XLD_OP_DISK_ATTACH
                  ? "the hypervisor refused the disk (is the domain "
                    "running?)" : "the domain is not running");
        return;
    default:
        op_finish(op, rc, "%s %s: %s", op_name(op->type), dom->name,
                  strerror(-rc));
        return;
    }
    if (op->type == XLD_OP_NIC_ATTACH || op->type == XLD_OP_NIC_DETACH)
        if (be->ops->nic_list(be, dom->domid, &run, &nrun))
            nrun = 0;
    if (op->pci)
        pci_text(op->pci, dev, sizeof(dev));
    if (op->type == XLD_OP_DISK_ATTACH)
        xld_info("%s (domid %" PRIu32 "): disk %s attached", dom->name,
                 dom->domid, op->disk->vdev);
    else if (op->type == XLD_OP_PCI_ATTACH)
        xld_info("%s (domid %" PRIu32 "): pci %s attached at virtual slot "
                 "%02x", dom->name, dom->domid, dev,
                 (op->pci->vdevfn >> 3) & 0x1f);
    else if (op->type == XLD_OP_PCI_DETACH)
        xld_info("%s (domid %" PRIu32 "): pci %s detached", dom->name,
                 dom->domid, dev);
    else if (op->type == XLD_OP_CD_INSERT || op->type == XLD_OP_CD_EJECT)
        xld_info("%s (domid %" PRIu32 "): %s %s%s", dom->name, dom->domid,
                 op->disk->vdev, op->disk->format == LIBXL_DISK_FORMAT_EMPTY
                 ? "is empty" : "has medium ", op->disk->format
                 == LIBXL_DISK_FORMAT_EMPTY ? "" : op->disk->pdev_path);
    else if (op->type == XLD_OP_NIC_ATTACH)
        xld_info("%s (domid %" PRIu32 "): vif %d (" LIBXL_MAC_FMT
                 ") attached", dom->name, dom->domid, op->nic->devid,
                 LIBXL_MAC_BYTES(op->nic->mac));
    else
        xld_info("%s (domid %" PRIu32 "): %s %s detached", dom->name,
                 dom->domid, op->type == XLD_OP_DISK_DETACH ? "disk" : "vif",
                 op->device);
    device_follow(op, run, nrun);
    xld_devinfo_list_free(run, nrun);
    op_ok(op);
}

/* The devid of the vif a detach names by devid or MAC; -ENODEV when the
 * domain has none such. */
static int nic_lookup(struct xld_dm_op *op)
{
    struct xld_backend *be = op->dm->be;
    struct xld_devinfo *run = NULL;
    libxl_mac mac;
    bool by_mac = parse_mac(op->device, &mac);
    int nrun = 0, rc;

    rc = be->ops->nic_list(be, op->dom->domid, &run, &nrun);
    if (rc)
        return rc;
    rc = -ENODEV;
    for (int i = 0; i < nrun; i++) {
        if (by_mac ? !memcmp(run[i].mac, mac, sizeof(mac))
                   : run[i].devid == atoi(op->device)) {
            op->devid = run[i].devid;
            rc = 0;
            break;
        }
    }
    xld_devinfo_list_free(run, nrun);
    return rc;
}

/*
 * The device a pci-detach names, as the domain has it: its address (it
 * may be named by name) and its name are filled in from the backend's
 * list, so that the record finds its items however they name it.
 * -ENODEV when the domain has none such.
 */
static int pci_lookup(struct xld_dm_op *op)
{
    struct xld_backend *be = op->dm->be;
    libxl_device_pci *run = NULL, *want = op->pci;
    int nrun = 0, rc;

    rc = be->ops->pci_list(be, op->dom->domid, &run, &nrun);
    if (rc)
        goto out;
    rc = -ENODEV;
    for (int i = 0; i < nrun && rc == -ENODEV; i++) {
        if (want->name ? !run[i].name || strcmp(want->name, run[i].name)
                       : run[i].domain != want->domain
                         || run[i].bus != want->bus || run[i].dev != want->dev
                         || (want->vfunc_mask != LIBXL_PCI_FUNC_ALL
                             && run[i].func != want->func))
            continue;
        rc = 0;
        want->domain = run[i].domain;
        want->bus = run[i].bus;
        want->dev = run[i].dev;
        if (want->vfunc_mask != LIBXL_PCI_FUNC_ALL)
            want->func = run[i].func;
        if (!want->name && run[i].name && want->vfunc_mask
            != LIBXL_PCI_FUNC_ALL && !(want->name = strdup(run[i].name)))
            rc = -ENOMEM;
    }
out:
    if (run)
        libxl_device_pci_list_free(run, nrun);
    return rc;
}

/* Whether the backend has the ops of a device operation. */
static bool backend_can(const struct xld_backend *be, enum xld_dm_optype t)
{
    const struct xld_backend_ops *o = be->ops;

    switch (t) {
    case XLD_OP_DISK_ATTACH:
    case XLD_OP_DISK_DETACH:
        return o->disk_add && o->disk_remove;
    case XLD_OP_PCI_ATTACH:
    case XLD_OP_PCI_DETACH:
        return o->pci_add && o->pci_remove && o->pci_list;
    case XLD_OP_CD_INSERT:
    case XLD_OP_CD_EJECT:
        return o->cdrom_insert;
    default:
        return o->nic_add && o->nic_remove && o->nic_list;
    }
}

static void start_device(struct xld_dm_op *op)
{
    struct xld_domain *dom = op->dom;
    struct xld_backend *be = op->dm->be;
    int rc;

    if (!backend_can(be, op->type)) {
        op_finish(op, -EOPNOTSUPP, "the %s backend cannot %s",
                  be->ops->name, op_name(op->type));
        return;
    }
    domain_refresh_info(dom);
    if (dom->have_info && (dom->info.shutdown || dom->info.dying)) {
        op_finish(op, -EINVAL, "%s has shut down: devices come and go "
                  "while a domain runs", dom->name);
        return;
    }
    switch (op->type) {
    case XLD_OP_DISK_ATTACH:
        rc = be->ops->disk_add(be, dom->domid, op->disk, device_done, op);
        break;
    case XLD_OP_DISK_DETACH:
        rc = be->ops->disk_remove(be, dom->domid, op->device, op->force,
                                  device_done, op);
        break;
    case XLD_OP_NIC_ATTACH:
        rc = be->ops->nic_add(be, dom->domid, op->nic, device_done, op);
        break;
    case XLD_OP_PCI_ATTACH:
        rc = be->ops->pci_add(be, dom->domid, op->pci, device_done, op);
        break;
    case XLD_OP_PCI_DETACH:
        rc = pci_lookup(op);
        if (!rc)
            rc = be->ops->pci_remove(be, dom->domid, op->pci, op->force,
                                     device_done, op);
        break;
    case XLD_OP_CD_INSERT:
    case XLD_OP_CD_EJECT:
        rc = be->ops->cdrom_insert(be, dom->domid, op->disk, device_done,
                                   op);
        break;
    default:
        rc = nic_lookup(op);
        if (!rc)
            rc = be->ops->nic_remove(be, dom->domid, op->devid, device_done,
                                     op);
        break;
    }
    if (rc)
        device_done(op, errno_rc(rc));
}

static void op_start(struct xld_dm_op *op)
{
    struct xld_domain *dom = op->dom;

    if (dom->domid == 0 && op->type != XLD_OP_MEM_SET
        && op->type != XLD_OP_MEM_MAX && op->type != XLD_OP_VCPU_SET
        && op->type != XLD_OP_VCPU_PIN && op->type != XLD_OP_SCHED_SET) {
        op_finish(op, -EINVAL, "xld does not %s domain 0",
                  op_name(op->type));
        return;
    }
    if (dom->domid == XLD_NO_DOMID && op->type != XLD_OP_CREATE
        && op->type != XLD_OP_RESTORE && op->type != XLD_OP_RECREATE) {
        op_finish(op, -ENOENT, "%s has no domain in the hypervisor",
                  dom->name);
        return;
    }
    switch (op->type) {
    case XLD_OP_CREATE:
    case XLD_OP_RESTORE:
        start_create(op);
        break;
    case XLD_OP_DESTROY:
        start_destroy(op);
        break;
    case XLD_OP_SAVE:
        start_save(op);
        break;
    case XLD_OP_SHUTDOWN:
        start_shutdown(op);
        break;
    case XLD_OP_ACTION:
        start_action(op);
        break;
    case XLD_OP_RECREATE:
        start_recreate(op);
        break;
    case XLD_OP_ADOPT:
        start_adopt(op);
        break;
    case XLD_OP_DISK_ATTACH:
    case XLD_OP_DISK_DETACH:
    case XLD_OP_NIC_ATTACH:
    case XLD_OP_NIC_DETACH:
    case XLD_OP_PCI_ATTACH:
    case XLD_OP_PCI_DETACH:
    case XLD_OP_CD_INSERT:
    case XLD_OP_CD_EJECT:
        start_device(op);
        break;
    case XLD_OP_MIGRATE:
        start_migrate(op);
        break;
    default:
        start_quick(op);
        break;
    }
}

/* ---- requests ----------------------------------------------------------- */

static void refuse(xld_dm_done_fn *done, void *opaque, int rc,
                   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void refuse(xld_dm_done_fn *done, void *opaque, int rc,
                   const char *fmt, ...)
{
    struct xld_dm_result res;
    char msg[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    memset(&res, 0, sizeof(res));
    res.rc = rc;
    res.msg = msg;
    done(opaque, &res);
}

static bool absolute(const char *path)
{
    return path && path[0] == '/';
}

/* The domain of this uuid that a migration is taking away, if any. */
static struct xld_domain *leaving(struct xld_dm *dm, const libxl_uuid *u)
{
    struct xld_domain *dom;

    TAILQ_FOREACH(dom, &dm->domains, link)
        if (dom->state != XLD_DS_GONE && dom->running
            && dom->running->type == XLD_OP_MIGRATE
            && !libxl_uuid_compare(&dom->uuid, u))
            return dom;
    return NULL;
}

/*
 * Check that a new domain's name and uuid are free; 0 or -EEXIST, with
 * the reason in why.  incoming: the domain comes by migration, and may
 * come from this very host (xl migrate DOM localhost): the domain that
 * is leaving has its uuid and its name until the handover, as with xl.
 */
static int check_free(struct xld_dm *dm, const char *name,
                      const libxl_uuid *uuid, bool incoming, char *why,
                      size_t len)
{
    struct xld_domain *dom, *away;
    char u[LIBXL_UUID_FMTLEN + 1];

    /* The backend's list is the truth: a domain made with plain xl a
     * moment ago counts too. */
    xld_dm_refresh(dm);
    away = incoming ? leaving(dm, uuid) : NULL;
    TAILQ_FOREACH(dom, &dm->domains, link) {
        if (dom->state == XLD_DS_GONE || dom == away)
            continue;
        if (dom->name && strcmp(dom->name, name) == 0) {
            snprintf(why, len, "a domain named '%s' already exists", name);
            return -EEXIST;
        }
    }
    TAILQ_FOREACH(dom, &dm->domains, link) {
        if (dom->state == XLD_DS_GONE || dom == away)
            continue;
        if (!libxl_uuid_compare(&dom->uuid, uuid)) {
            uuid_str(uuid, u);
            snprintf(why, len, "a domain with uuid %s already exists", u);
            return -EEXIST;
        }
    }
    return 0;
}

/* Make a new managed domain from a record, a built config and its op. */
static void add_new_domain(struct xld_dm *dm, struct xld_record *rec,
                           libxl_domain_config *dc, struct xld_dm_op *op)
{
    struct xld_domain *dom = op->dom;

    dom->managed = true;
    dom->state = XLD_DS_CREATING;
    dom->rec = *rec;
    xld_record_init(rec);
    dom->dc = *dc;
    libxl_domain_config_init(dc);
    dom->have_dc = true;
    dom->uuid = dom->rec.uuid;
    apply_record(&dom->dc, &dom->rec);
    domain_update_json(dom);
    TAILQ_INSERT_TAIL(&dm->domains, dom, link);
    TAILQ_INSERT_TAIL(&dom->queue, op, link);
    dm_kick(dom);
}

/*
 * A dry run's last check: the host has the memory the domain may grow
 * to, by the rule a create applies (the larger of its maximum and its
 * target must be free; xld does not balloon Domain-0 down to make
 * room).  Answers done either way.
 */
static void check_room(struct xld_dm *dm, const libxl_domain_config *dc,
                       xld_dm_done_fn *done, void *opaque)
{
    struct xld_backend *be = dm->be;
    struct xld_host_info hi;
    struct xld_dm_result res;
    uint64_t need = dc->b_info.max_memkb;
    int rc;

    if (dc->b_info.target_memkb != LIBXL_MEMKB_DEFAULT
        && dc->b_info.target_memkb > need)
        need = dc->b_info.target_memkb;
    memset(&hi, 0, sizeof(hi));
    rc = errno_rc(be->ops->host_info(be, &hi));
    if (rc) {
        refuse(done, opaque, rc, "reading the host's memory: %s",
               strerror(-rc));
        return;
    }
    if (need != LIBXL_MEMKB_DEFAULT && need > hi.free_memkb) {
        refuse(done, opaque, -ENOMEM, "the domain needs %" PRIu64 " MiB "
               "and the host has %" PRIu64 " MiB free", need / 1024,
               hi.free_memkb / 1024);
        return;
    }
    memset(&res, 0, sizeof(res));
    res.msg = "the domain would be taken";
    res.domid = XLD_NO_DOMID;
    done(opaque, &res);
}

static void submit_create(struct xld_dm *dm, const struct xld_dm_request *rq,
                          xld_dm_done_fn *done, void *opaque)
{
    struct xlcfg *cfg = calloc(1, sizeof(*cfg));
    struct xld_record rec;
    struct xld_dm_op *op = NULL;
    struct xld_dm_result res;
    libxl_domain_config dc;
    char why[256];
    int rc;

    xld_record_init(&rec);
    libxl_domain_config_init(&dc);
    if (!cfg) {
        refuse(done, opaque, -ENOMEM, "out of memory");
        goto out;
    }
    xlcfg_init(cfg);
    rc = build_config(dm, rq->filename, rq->config, rq->overrides,
                      rq->noverrides, true, cfg, &dc);
    if (rc == EINVAL) {
        memset(&res, 0, sizeof(res));
        res.rc = -EINVAL;
        res.msg = "the config has errors";
        res.cfg = cfg;
        res.config_error = true;
        done(opaque, &res);
        goto out;
    }
    if (rc) {
        refuse(done, opaque, -rc, "%s", strerror(rc));
        goto out;
    }
    if (!valid_name(dc.c_info.name, why, sizeof(why))) {
        refuse(done, opaque, -EINVAL, "%s", why);
        goto out;
    }
    rc = check_free(dm, dc.c_info.name, &dc.c_info.uuid, false, why,
                    sizeof(why));
    if (rc) {
        refuse(done, opaque, rc, "%s", why);
        goto out;
    }
    rec.uuid = dc.c_info.uuid;
    rec.created = rec.started = time(NULL);
    if (xld_record_set(&rec.name, dc.c_info.name)
        || xld_record_set(&rec.filename, rq->filename)
        || xld_record_set(&rec.config, rq->config)) {
        refuse(done, opaque, -ENOMEM, "out of memory");
        goto out;
    }
    if (rq->noverrides) {
        rec.overrides = calloc(rq->noverrides, sizeof(char *));
        if (!rec.overrides) {
            refuse(done, opaque, -ENOMEM, "out of memory");
            goto out;
        }
        for (size_t i = 0; i < rq->noverrides; i++) {
            if (!(rec.overrides[i] = strdup(rq->overrides[i]))) {
                refuse(done, opaque, -ENOMEM, "out of memory");
                goto out;
            }
            rec.noverrides++;
        }
    }
    op = op_new(dm, NULL, XLD_OP_CREATE);
    if (!op || !(op->dom = domain_new(dm))
        || !(op->dom->name = strdup(dc.c_info.name))) {
        refuse(done, opaque, -ENOMEM, "out of memory");
        goto out;
    }
    op->paused = rq->paused;
    op->done = done;
    op->opaque = opaque;
    op->cfg = cfg;
    cfg = NULL;
    add_new_domain(dm, &rec, &dc, op);
    op = NULL;

out:
    if (op) {
        if (op->dom)
            domain_free(op->dom);
        op->dom = NULL;
        op->done = NULL;
        op_free(op);
    }
    if (cfg) {
        xlcfg_dispose(cfg);
        free(cfg);
    }
    libxl_domain_config_dispose(&dc);
    xld_record_dispose(&rec);
}

/* A copy of a header read elsewhere (a migration's); 0 or ENOMEM. */
static int image_info_copy(struct xld_image_info *dst,
                           const struct xld_image_info *src)
{
    dst->mandatory_flags = src->mandatory_flags;
    dst->has_rec = src->has_rec;
    if (src->json && !(dst->json = strdup(src->json)))
        return ENOMEM;
    return src->has_rec ? xld_record_copy(&dst->rec, &src->rec) : 0;
}

static void submit_restore(struct xld_dm *dm, const struct xld_dm_request *rq,
                           xld_dm_done_fn *done, xld_dm_progress_fn *progress,
                           void *opaque)
{
    struct xld_image_info ii;
    struct xld_dm_op *op = NULL;
    struct xlcfg cfg;
    libxl_domain_config dc;
    const char *path = rq->path;
    char err[256], *incoming = NULL;
    int fd = -1, rc;

    xld_image_info_init(&ii);
    xlcfg_init(&cfg);
    libxl_domain_config_init(&dc);
    if (rq->image) {
        /* A migration: the header came through the handshake, and the
         * stream follows on the caller's fd, which the op gets a copy of
         * (the handshake goes on on it afterwards). */
        path = "the migration stream";
        fd = fcntl(rq->image_fd, F_DUPFD_CLOEXEC, 0);
        if (fd < 0 || image_info_copy(&ii, rq->image)) {
            refuse(done, opaque, -ENOMEM, "out of memory");
            goto out;
        }
    } else {
        if (!absolute(path)) {
            refuse(done, opaque, -EINVAL, "the image path must be "
                   "absolute");
            goto out;
        }
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            rc = errno;
            refuse(done, opaque, rc == ENOENT ? -EINVAL : -rc, "%s: %s",
                   path, strerror(rc));
            goto out;
        }
        rc = xld_image_read_header(fd, &ii, err, sizeof(err));
        if (rc) {
            refuse(done, opaque, -rc, "%s: %s", path,
                   rc == EINVAL ? err : strerror(rc));
            goto out;
        }
    }
    if (!ii.has_rec) {
        /* An image of plain `xl save`: libxl's JSON is all there is. */
        rc = config_from_json(dm, ii.json, &dc);
        if (rc == EOPNOTSUPP) {
            refuse(done, opaque, -EINVAL, "%s: the image was written by xl, "
                   "not xld: only the libxl backend can read its config",
                   path);
            goto out;
        }
        if (rc) {
            refuse(done, opaque, -EINVAL, "%s: the libxl config in the "
                   "image cannot be read: %s", path, strerror(rc));
            goto out;
        }
        ii.rec.uuid = dc.c_info.uuid;
        ii.rec.created = time(NULL);
        if (xld_record_set(&ii.rec.name, dc.c_info.name)
            || xld_record_set(&ii.rec.json, ii.json)) {
            refuse(done, opaque, -ENOMEM, "out of memory");
            goto out;
        }
    } else {
        /* The image's libxl config is the one the domain ran with (its
         * MACs...), where the backend can read it; else the text. */
        rc = ii.json ? config_from_json(dm, ii.json, &dc) : EINVAL;
        if (rc) {
            libxl_domain_config_dispose(&dc);
            libxl_domain_config_init(&dc);
            rc = build_config(dm, ii.rec.filename, ii.rec.config,
                              ii.rec.overrides, ii.rec.noverrides, false,
                              &cfg,
                              &dc);
        }
    }
    if (rc) {
        refuse(done, opaque, rc == EINVAL ? -EINVAL : -rc, "%s: the config "
               "in the image does not convert: %s", path,
               rc == EINVAL && cfg.ndiags ? cfg.diags[0].msg
               : strerror(rc));
        goto out;
    }
    apply_record(&dc, &ii.rec);
    rc = check_free(dm, ii.rec.name ? ii.rec.name : dc.c_info.name,
                    &ii.rec.uuid, rq->incoming, err, sizeof(err));
    if (rc) {
        refuse(done, opaque, rc, "%s", err);
        goto out;
    }
    /* A migration's domain is NAME--incoming until the sender lets go of
     * it, as with xl: both names must be free. */
    if (rq->incoming) {
        if (asprintf(&incoming, "%s" XLD_MIG_INCOMING, ii.rec.name
                     ? ii.rec.name : dc.c_info.name) < 0) {
            incoming = NULL;
            refuse(done, opaque, -ENOMEM, "out of memory");
            goto out;
        }
        rc = check_free(dm, incoming, &ii.rec.uuid, true, err,
                        sizeof(err));
        if (!rc && xld_record_set(&ii.rec.name, incoming))
            rc = -ENOMEM;
        if (rc) {
            refuse(done, opaque, rc, "%s", err);
            goto out;
        }
        apply_record(&dc, &ii.rec);
    }
    if (rq->dry_run) {
        check_room(dm, &dc, done, opaque);
        goto out;
    }
    /* The image's record, less what belonged to the saved domain's life
     * in xld. */
    ii.rec.domid = XLD_NO_DOMID;
    ii.rec.started = time(NULL);
    xld_record_set(&ii.rec.operation, NULL);
    xld_record_set(&ii.rec.op_path, NULL);
    xld_record_set(&ii.rec.interrupted, NULL);
    xld_record_set(&ii.rec.held, NULL);
    if (!ii.rec.name && xld_record_set(&ii.rec.name, dc.c_info.name)) {
        refuse(done, opaque, -ENOMEM, "out of memory");
        goto out;
    }
    op = op_new(dm, NULL, XLD_OP_RESTORE);
    if (!op || !(op->dom = domain_new(dm))
        || !(op->dom->name = strdup(ii.rec.name))
        || !(op->path = strdup(path))) {
        refuse(done, opaque, -ENOMEM, "out of memory");
        goto out;
    }
    op->paused = rq->paused;
    op->done = done;
    op->progress = progress;
    op->opaque = opaque;
    op->fd = fd;
    fd = -1;
    add_new_domain(dm, &ii.rec, &dc, op);
    op = NULL;

out:
    if (op) {
        if (op->dom)
            domain_free(op->dom);
        op->dom = NULL;
        op->done = NULL;
        op_free(op);
    }
    if (fd >= 0)
        close(fd);
    libxl_domain_config_dispose(&dc);
    xlcfg_dispose(&cfg);
    xld_image_info_dispose(&ii);
    free(incoming);
}

/* Whether a new operation makes sense behind what the domain already
 * has queued; 0, or -EBUSY with the reason. */
static int check_busy(struct xld_domain *dom, enum xld_dm_optype type,
                      char *why, size_t len)
{
    struct xld_dm_op *op = dom->running;
    bool destroying = op && op->type == XLD_OP_DESTROY;
    bool saving = op && op->type == XLD_OP_SAVE;
    bool migrating = op && op->type == XLD_OP_MIGRATE;

    TAILQ_FOREACH(op, &dom->queue, link) {
        destroying |= op->type == XLD_OP_DESTROY;
        saving |= op->type == XLD_OP_SAVE;
        migrating |= op->type == XLD_OP_MIGRATE;
    }
    if (dom->state == XLD_DS_CREATING && type != XLD_OP_DESTROY) {
        snprintf(why, len, "%s is being created", dom->name);
        return -EBUSY;
    }
    if (destroying && type != XLD_OP_DESTROY) {
        snprintf(why, len, "%s is being destroyed", dom->name);
        return -EBUSY;
    }
    if (saving && type != XLD_OP_DESTROY) {
        snprintf(why, len, "%s is being saved", dom->name);
        return -EBUSY;
    }
    /* Not even a destroy: the handover decides which copy lives. */
    if (migrating) {
        snprintf(why, len, "%s is being migrated", dom->name);
        return -EBUSY;
    }
    return 0;
}

/*
 * A cpu list of xl's syntax ("0-3,^2", "node:1", "all") into a new map
 * of the host's cpus, read by cfgparse's parser on the host the backend
 * describes.  0, or an errno value with why.
 */
static int cpulist(struct xld_dm *dm, const char *what, const char *text,
                   libxl_bitmap **out, char *why, size_t len)
{
    struct xlconv_host host;
    libxl_bitmap *map = calloc(1, sizeof(*map));
    char msg[256];
    int rc;

    *out = NULL;
    dm_host(dm, &host);
    if (!map) {
        rc = ENOMEM;
        snprintf(why, len, "out of memory");
        goto out;
    }
    libxl_bitmap_init(map);
    rc = xlconv_cpulist(&host, text, map, msg, sizeof(msg));
    if (rc) {
        snprintf(why, len, "%s affinity '%s': %s", what, text, msg);
        goto out;
    }
    *out = map;
    map = NULL;
out:
    if (map) {
        libxl_bitmap_dispose(map);
        free(map);
    }
    xlconv_host_dispose(&host);
    return rc;
}

/*
 * vcpu-pin's arguments, checked and converted now, so that a mistake is
 * answered at once: the vcpu must be one the domain has, a hard affinity
 * must keep a cpu of the host (Xen refuses one that does not), and
 * something must change.  Nonzero after done() was called.
 */
static int pin_convert(struct xld_dm_op *op, const struct xld_dm_request *rq,
                       xld_dm_done_fn *done, void *opaque)
{
    struct xld_domain *dom = op->dom;
    bool has_hard = rq->hard && strcmp(rq->hard, "-");
    bool has_soft = rq->soft && strcmp(rq->soft, "-");
    struct xld_host_info hi;
    char why[512];
    int rc;

    if (rq->vcpu < -1
        || (dom->have_info && rq->vcpu >= dom->info.vcpu_max)) {
        refuse(done, opaque, -EINVAL, "%s has vcpus 0 to %d: there is no "
               "vcpu %d", dom->name, dom->info.vcpu_max - 1, rq->vcpu);
        return -1;
    }
    if (rq->vcpu < 0 && rq->force) {
        refuse(done, opaque, -EINVAL, "force and all the vcpus do not go "
               "together (as with xl): pin one vcpu at a time");
        return -1;
    }
    if (!has_hard && !has_soft) {
        refuse(done, opaque, -EINVAL, "nothing to change: give a hard "
               "affinity, a soft one, or both ('-' leaves one as it is)");
        return -1;
    }
    rc = has_hard ? cpulist(op->dm, "hard", rq->hard, &op->hard, why,
                            sizeof(why)) : 0;
    if (!rc && has_soft)
        rc = cpulist(op->dm, "soft", rq->soft, &op->soft, why, sizeof(why));
    if (rc) {
        refuse(done, opaque, -rc, "%s", why);
        return -1;
    }
    if (op->hard && libxl_bitmap_is_empty(op->hard)) {
        memset(&hi, 0, sizeof(hi));
        op->dm->be->ops->host_info(op->dm->be, &hi);
        refuse(done, opaque, -EINVAL, "hard affinity '%s' leaves no cpu of "
               "this host, which has cpus 0 to %d", rq->hard,
               hi.nr_cpus - 1);
        return -1;
    }
    op->vcpu = rq->vcpu;
    return 0;
}

/* sched-set's arguments: Xen's credit and credit2 ranges, checked now
 * (the cap's upper bound is 100 per vcpu).  Nonzero after done() was
 * called. */
static int sched_convert(struct xld_dm_op *op,
                         const struct xld_dm_request *rq,
                         xld_dm_done_fn *done, void *opaque)
{
    struct xld_domain *dom = op->dom;

    if (rq->weight == -1 && rq->cap == -1) {
        refuse(done, opaque, -EINVAL, "nothing to change: give a weight, "
               "a cap, or both");
        return -1;
    }
    if (rq->weight != -1 && (rq->weight < 1 || rq->weight > 65535)) {
        refuse(done, opaque, -EINVAL, "a weight is from 1 to 65535, not %d",
               rq->weight);
        return -1;
    }
    if (rq->cap != -1 && (rq->cap < 0 || (dom->have_info
                                          && rq->cap > 100
                                                 * dom->info.vcpu_max))) {
        refuse(done, opaque, -EINVAL, "a cap is from 0 (none) to %d (100 "
               "for each of the %d vcpus of %s), not %d",
               100 * dom->info.vcpu_max, dom->info.vcpu_max, dom->name,
               rq->cap);
        return -1;
    }
    if (rq->scheduler && !(op->scheduler = strdup(rq->scheduler))) {
        refuse(done, opaque, -ENOMEM, "out of memory");
        return -1;
    }
    op->sched.weight = rq->weight;
    op->sched.cap = rq->cap;
    return 0;
}

/*
 * adopt with a config file: convert it now, as create does, so that its
 * errors are answered at once with their diagnostics; the record keeps
 * the text, its name and the overrides, as for a domain xld created.
 * Nonzero after done() was called.
 */
static int adopt_convert(struct xld_dm_op *op, const struct xld_dm_request *rq,
                         xld_dm_done_fn *done, void *opaque)
{
    struct xld_dm_result res;
    int rc;

    op->cfg = calloc(1, sizeof(*op->cfg));
    op->adopt_dc = calloc(1, sizeof(*op->adopt_dc));
    op->adopt_rec = calloc(1, sizeof(*op->adopt_rec));
    if (!op->cfg || !op->adopt_dc || !op->adopt_rec) {
        /* op_free() disposes only what was initialised. */
        free(op->cfg);
        free(op->adopt_dc);
        free(op->adopt_rec);
        op->cfg = NULL;
        op->adopt_dc = NULL;
        op->adopt_rec = NULL;
        refuse(done, opaque, -ENOMEM, "out of memory");
        return -1;
    }
    xlcfg_init(op->cfg);
    libxl_domain_config_init(op->adopt_dc);
    xld_record_init(op->adopt_rec);
    rc = build_config(op->dm, rq->filename, rq->config, rq->overrides,
                      rq->noverrides, true, op->cfg, op->adopt_dc);
    if (rc == EINVAL) {
        memset(&res, 0, sizeof(res));
        res.rc = -EINVAL;
        res.msg = "the config has errors";
        res.cfg = op->cfg;
        res.config_error = true;
        done(opaque, &res);
        return -1;
    }
    if (rc) {
        refuse(done, opaque, -rc, "%s", strerror(rc));
        return -1;
    }
    if (xld_record_set(&op->adopt_rec->filename, rq->filename)
        || xld_record_set(&op->adopt_rec->config, rq->config)
        || (rq->noverrides
            && !(op->adopt_rec->overrides = calloc(rq->noverrides,
                                                  sizeof(char *))))) {
        refuse(done, opaque, -ENOMEM, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < rq->noverrides; i++) {
        op->adopt_rec->overrides[i] = strdup(rq->overrides[i]);
        if (!op->adopt_rec->overrides[i]) {
            refuse(done, opaque, -ENOMEM, "out of memory");
            return -1;
        }
        op->adopt_rec->noverrides++;
    }
    return 0;
}

/*
 * The arguments of a pci-attach, pci-detach, cd-insert or cd-eject, read
 * now so that a mistake is answered at once: a PCI_SPEC_STRING by
 * cfgparse's parser, as xl pci-attach reads it; for a drive, the disk
 * spec xl makes of the vdev and the target
 * ("vdev=V,access=r,devtype=cdrom,target=T", T empty to eject), read as
 * an item of disk=, and, as xl checks before it asks libxl, a medium
 * that is there to stat.  Nonzero after done() was called.
 */
static int pci_cd_convert(struct xld_dm_op *op,
                          const struct xld_dm_request *rq,
                          xld_dm_done_fn *done, void *opaque)
{
    bool pci = op->type == XLD_OP_PCI_ATTACH || op->type == XLD_OP_PCI_DETACH;
    struct xlconv_host host;
    struct stat st;
    char why[512];
    int rc = -1;

    dm_host(op->dm, &host);
    if (!rq->device || !*rq->device) {
        refuse(done, opaque, -EINVAL, "%s needs %s", op_name(op->type),
               pci ? "a PCI_SPEC_STRING" : "the vdev of a CD-ROM drive");
        goto out;
    }
    if (op->type == XLD_OP_CD_INSERT && !rq->target) {
        refuse(done, opaque, -EINVAL, "cd-insert needs a target");
        goto out;
    }
    if (!(op->device = strdup(rq->device))) {
        refuse(done, opaque, -ENOMEM, "out of memory");
        goto out;
    }
    if (pci) {
        if ((op->pci = calloc(1, sizeof(*op->pci))))
            libxl_device_pci_init(op->pci);
        rc = op->pci ? xlconv_pci_device(rq->device, op->pci, why,
                                         sizeof(why)) : ENOMEM;
        if (rc)
            refuse(done, opaque, -rc, "%s", rc == ENOMEM ? "out of memory"
                   : why);
        goto out;
    }
    if (asprintf(&op->spec, "vdev=%s,access=r,devtype=cdrom,target=%s",
                 rq->device, rq->target ? rq->target : "") < 0)
        op->spec = NULL;
    if ((op->disk = calloc(1, sizeof(*op->disk))))
        libxl_device_disk_init(op->disk);
    rc = op->spec && op->disk ? xlconv_disk(&host, op->spec, op->disk, why,
                                            sizeof(why)) : ENOMEM;
    if (rc) {
        refuse(done, opaque, -rc, "%s", rc == ENOMEM ? "out of memory"
               : why);
    } else if (xlconv_vdev_devid(op->disk->vdev) < 0) {
        refuse(done, opaque, -EINVAL, "vdev '%s' is no name of Xen's "
               "(xvdX, hdX, sdX or dDpP)", op->disk->vdev);
        rc = -1;
    } else if (op->disk->format != LIBXL_DISK_FORMAT_EMPTY
               && stat(op->disk->pdev_path, &st)) {
        refuse(done, opaque, -EINVAL, "cannot stat the medium %s: %s",
               op->disk->pdev_path, strerror(errno));
        rc = -1;
    }
out:
    xlconv_host_dispose(&host);
    return rc;
}

/*
 * The arguments of a device operation, read now so that a mistake is
 * answered at once: an attach's spec by cfgparse's parser, as an item of
 * disk= or vif= (with xl.conf's vif.default.*), a detach's device by its
 * form.  Nonzero after done() was called.
 */
static int device_convert(struct xld_dm_op *op,
                          const struct xld_dm_request *rq,
                          xld_dm_done_fn *done, void *opaque)
{
    struct xlconv_host host;
    char why[512];
    libxl_mac mac;
    int rc = 0;

    dm_host(op->dm, &host);
    switch (op->type) {
    case XLD_OP_DISK_ATTACH:
    case XLD_OP_NIC_ATTACH:
        if (op->type == XLD_OP_DISK_ATTACH && !rq->nspecs) {
            refuse(done, opaque, -EINVAL, "block-attach needs a disk spec");
            rc = -1;
            break;
        }
        op->spec = join_specs(rq->specs, rq->nspecs);
        if (op->type == XLD_OP_DISK_ATTACH) {
            op->disk = calloc(1, sizeof(*op->disk));
            if (op->disk)
                libxl_device_disk_init(op->disk);
        } else {
            op->nic = calloc(1, sizeof(*op->nic));
            if (op->nic)
                libxl_device_nic_init(op->nic);
        }
        if (!op->spec || (!op->disk && !op->nic)) {
            refuse(done, opaque, -ENOMEM, "out of memory");
            rc = -1;
            break;
        }
        rc = op->disk ? xlconv_disk(&host, op->spec, op->disk, why,
                                    sizeof(why))
                      : xlconv_nic(&host, op->spec, op->nic, why,
                                   sizeof(why));
        if (rc) {
            refuse(done, opaque, -rc, "%s", why);
            rc = -1;
            break;
        }
        if (op->disk && xlconv_vdev_devid(op->disk->vdev) < 0) {
            refuse(done, opaque, -EINVAL, "vdev '%s' is no name of Xen's "
                   "(xvdX, hdX, sdX or dDpP, with a partition number or "
                   "not)", op->disk->vdev);
            rc = -1;
        }
        break;
    default:
        if (!rq->device || !*rq->device) {
            refuse(done, opaque, -EINVAL, "%s needs the device to take "
                   "away", op_name(op->type));
            rc = -1;
            break;
        }
        if (op->type == XLD_OP_NIC_DETACH
            && strspn(rq->device, "0123456789") != strlen(rq->device)
            && !parse_mac(rq->device, &mac)) {
            refuse(done, opaque, -EINVAL, "'%s' is neither a devid nor a "
                   "MAC address", rq->device);
            rc = -1;
            break;
        }
        if (op->type == XLD_OP_NIC_DETACH && !strchr(rq->device, ':')
            && strlen(rq->device) > 9) {
            refuse(done, opaque, -EINVAL, "devid %s is out of range",
                   rq->device);
            rc = -1;
            break;
        }
        op->device = strdup(rq->device);
        if (!op->device) {
            refuse(done, opaque, -ENOMEM, "out of memory");
            rc = -1;
        }
        break;
    }
    xlconv_host_dispose(&host);
    return rc;
}

void xld_dm_submit(struct xld_dm *dm, struct xld_domain *dom,
                   const struct xld_dm_request *rq, xld_dm_done_fn *done,
                   xld_dm_progress_fn *progress, void *opaque)
{
    struct xld_dm_op *op;
    char why[256];
    int rc;

    if (dm->stopping) {
        refuse(done, opaque, -ECANCELED, "xld is stopping");
        return;
    }
    if (rq->type == XLD_OP_CREATE) {
        submit_create(dm, rq, done, opaque);
        return;
    }
    if (rq->type == XLD_OP_RESTORE) {
        submit_restore(dm, rq, done, progress, opaque);
        return;
    }
    if (!dom || dom->state == XLD_DS_GONE) {
        refuse(done, opaque, -ENOENT, "no such domain");
        return;
    }
    if (rq->type == XLD_OP_SAVE && !absolute(rq->path)) {
        refuse(done, opaque, -EINVAL, "the image path must be absolute");
        return;
    }
    if (rq->type == XLD_OP_MIGRATE && (!rq->command || !*rq->command)) {
        refuse(done, opaque, -EINVAL, "no host to migrate to");
        return;
    }
    if (rq->type == XLD_OP_ADOPT && dom->managed) {
        refuse(done, opaque, -EINVAL, "%s is managed by xld already",
               dom->name);
        return;
    }
    if (rq->type == XLD_OP_SYSRQ
        && ((unsigned char)rq->key <= ' ' || (unsigned char)rq->key >= 0x7f)) {
        refuse(done, opaque, -EINVAL, "a SysRq key is one printable "
               "character");
        return;
    }
    if (rq->type == XLD_OP_VCPU_SET && rq->count < 1) {
        refuse(done, opaque, -EINVAL, "a domain needs at least one vcpu");
        return;
    }
    rc = check_busy(dom, rq->type, why, sizeof(why));
    if (rc) {
        refuse(done, opaque, rc, "%s", why);
        return;
    }
    op = op_new(dm, dom, rq->type);
    if (!op || (rq->name && !(op->name = strdup(rq->name)))
        || (rq->path && !(op->path = strdup(rq->path)))
        || (rq->type == XLD_OP_MIGRATE
            && (!(op->command = strdup(rq->command))
                || (rq->config && !(op->config = strdup(rq->config)))
                || (rq->filename
                    && !(op->filename = strdup(rq->filename)))))) {
        if (op)
            op_free(op);
        refuse(done, opaque, -ENOMEM, "out of memory");
        return;
    }
    if (rq->type == XLD_OP_ADOPT && rq->config
        && adopt_convert(op, rq, done, opaque)) {
        op_free(op);
        return;
    }
    if ((rq->type >= XLD_OP_DISK_ATTACH && rq->type <= XLD_OP_NIC_DETACH
         && device_convert(op, rq, done, opaque))
        || (pci_or_cd(rq->type) && pci_cd_convert(op, rq, done, opaque))
        || (rq->type == XLD_OP_VCPU_PIN && pin_convert(op, rq, done, opaque))
        || (rq->type == XLD_OP_SCHED_SET
            && sched_convert(op, rq, done, opaque))) {
        op_free(op);
        return;
    }
    op->wait = rq->wait;
    op->force = rq->force;
    op->checkpoint = rq->checkpoint;
    op->paused = rq->paused;
    op->debug = rq->debug;
    op->dry_run = rq->dry_run;
    op->no_live = rq->no_live;
    op->memkb = rq->memkb;
    op->count = rq->count;
    op->key = rq->key;
    op->done = done;
    op->progress = progress;
    op->opaque = opaque;
    TAILQ_INSERT_TAIL(&dom->queue, op, link);
    dm_kick(dom);
}

void xld_dm_stop(struct xld_dm *dm)
{
    struct xld_domain *dom, *next;
    struct xld_dm_op *op;

    dm->stopping = true;
    xld_loop_cancel(dm->refresh);
    dm->refresh = NULL;
    for (dom = TAILQ_FIRST(&dm->domains); dom; dom = next) {
        next = TAILQ_NEXT(dom, link);
        while ((op = TAILQ_FIRST(&dom->queue))) {
            TAILQ_REMOVE(&dom->queue, op, link);
            if (op->type == XLD_OP_ACTION)
                dom->action_queued = false;
            op->dom = NULL;
            op_finish(op, -ECANCELED, "xld is stopping");
        }
    }
    check_idle(dm);
}

/* ---- recovery at start -------------------------------------------------- */

static bool same(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

/* A record names a domain that still exists, and an operation was in
 * progress on it when xld stopped. */
/* What recovery finishes for a domain: an operation no client waits
 * for, run as soon as the domain's queue allows.  Out of memory, it is
 * not run, and the report already made says what was left undone. */
static void queue_recovery(struct xld_dm *dm, struct xld_domain *dom,
                           enum xld_dm_optype type)
{
    struct xld_dm_op *op = op_new(dm, dom, type);

    if (op) {
        TAILQ_INSERT_TAIL(&dom->queue, op, link);
        dm_kick(dom);
    }
}

/*
 * The sending side of a migration that xld's stop cut short.  A guest
 * that still runs was never stopped: the target cannot run it (its
 * receiver destroys what it got once the stream ends), so it simply
 * stays.  A suspended one under its own name was never handed over:
 * it runs again here.  One renamed NAME--migratedaway may have been
 * told to go, and may run on the target: as after a migration that
 * lost its answer, it stays suspended and held for the admin.
 */
static const char *recover_migrate(struct xld_dm *dm,
                                   struct xld_domain *dom)
{
    struct xld_backend *be = dm->be;
    size_t n = strlen(dom->name), m = strlen(XLD_MIG_AWAY);
    int rc;

    if (!dom->have_info || !dom->info.shutdown
        || dom->info.shutdown_reason != LIBXL_SHUTDOWN_REASON_SUSPEND)
        return "the guest was never stopped: it runs here still";
    if (n > m && strcmp(dom->name + n - m, XLD_MIG_AWAY) == 0) {
        hold(dom, "migration");
        return "the guest may run on the target: this copy stays "
               "suspended under its away name; check the target, then "
               "destroy this one";
    }
    rc = be->ops->resume ? errno_rc(be->ops->resume(be, dom->domid))
                         : -EOPNOTSUPP;
    if (rc) {
        xld_err("%s: resuming it after its migration: %s", dom->name,
                strerror(-rc));
        return "the guest was suspended and never handed over, and "
               "resuming it failed: check it";
    }
    domain_refresh_info(dom);
    return "the guest was suspended and never handed over: it runs here "
           "again";
}

static void recover_interrupted(struct xld_dm *dm, struct xld_domain *dom)
{
    struct xld_record *r = &dom->rec;
    char *op = r->operation, *tmp = NULL;
    const char *outcome;
    bool destroy = false;

    if (same(op, "destroy")) {
        outcome = "the domain is still there: destroying it again";
        destroy = true;
    } else if (same(op, "save")) {
        outcome = "the domain is still there; the unfinished image was "
                  "removed";
        if (r->op_path && asprintf(&tmp, "%s.tmp", r->op_path) >= 0) {
            unlink(tmp);
            free(tmp);
        }
    } else if (same(op, "restart")) {
        outcome = "the domain is there; check that it runs";
    } else if (same(op, "migrate")) {
        outcome = recover_migrate(dm, dom);
    } else if (same(op, "restore") && xld_record_incoming(r)) {
        /* A migration's copy that never took its name: it never ran
         * here, and its sender keeps the guest (or holds it, if it
         * was told to go: see recover_migrate). */
        outcome = "the migration's incoming copy was never started: "
                  "destroying it";
        destroy = true;
    } else {
        outcome = "the domain exists but may be incomplete: check it, or "
                  "destroy it";
    }
    add_report(dm, dom, r, op, outcome);
    r->operation = NULL;
    xld_record_set(&r->op_path, NULL);
    free(r->interrupted);
    r->interrupted = op;
    domain_save(dom);
    if (destroy)
        queue_recovery(dm, dom, XLD_OP_DESTROY);
}

/*
 * A migration's copy, restored but never renamed: the receiver gives it
 * its name before it lets it run, so this one never ran, and its sender
 * resumed the guest (or holds it, suspended, if it had said go).  It
 * can only be thrown away.
 */
static void recover_incoming(struct xld_dm *dm, struct xld_domain *dom)
{
    add_report(dm, dom, &dom->rec, "migrate-receive", "xld stopped before "
               "the migration's incoming copy took its name: destroying "
               "it");
    queue_recovery(dm, dom, XLD_OP_DESTROY);
}

/* A record whose domain is gone. */
static void recover_vanished(struct xld_dm *dm, struct xld_record *r)
{
    struct xld_domain *dom;
    char *tmp = NULL, outcome[512];

    if (same(r->operation, "restart")) {
        /* The old domain was destroyed and the new one not yet made:
         * finish the restart. */
        dom = domain_new(dm);
        if (!dom)
            return;
        dom->rec = *r;
        xld_record_init(r);
        dom->uuid = dom->rec.uuid;
        dom->name = strdup(dom->rec.name ? dom->rec.name : "");
        dom->managed = true;
        dom->state = XLD_DS_RESTARTING;
        if (!dom->name || domain_load_config(dom)) {
            add_report(dm, NULL, &dom->rec, "restart", "the config cannot "
                       "be built again: the domain is lost");
            xld_state_remove(dm->st, &dom->uuid,
                             xld_record_incoming(&dom->rec));
            domain_free(dom);
            return;
        }
        add_report(dm, dom, &dom->rec, "restart", "the domain is being "
                   "created again");
        TAILQ_INSERT_TAIL(&dm->domains, dom, link);
        queue_recovery(dm, dom, XLD_OP_RECREATE);
        return;
    }
    if (same(r->operation, "create") || same(r->operation, "restore")) {
        add_report(dm, NULL, r, r->operation, "the domain does not exist: "
                   "the operation failed");
    } else if (same(r->operation, "save")) {
        if (r->op_path && asprintf(&tmp, "%s.tmp", r->op_path) >= 0
            && access(tmp, F_OK) == 0)
            snprintf(outcome, sizeof(outcome), "the domain is gone; the "
                     "image may be incomplete and was left as %s", tmp);
        else
            snprintf(outcome, sizeof(outcome), "the domain is gone and no "
                     "image was written");
        add_report(dm, NULL, r, "save", outcome);
        free(tmp);
    } else if (same(r->operation, "destroy")) {
        xld_info("%s: its destroy finished while xld was away",
                 r->name ? r->name : "a domain");
    } else {
        xld_notice("%s is gone since xld last ran: forgetting it",
                   r->name ? r->name : "a domain");
    }
    xld_state_remove(dm->st, &r->uuid, xld_record_incoming(r));
}

int xld_dm_recover(struct xld_dm *dm)
{
    struct xld_record *recs = NULL;
    struct xld_dominfo *list = NULL;
    struct xld_domain *dom, *next;
    size_t nrecs = 0;
    bool *used = NULL;
    int n = 0, rc;

    rc = xld_state_load(dm->st, &recs, &nrecs);
    if (rc) {
        xld_err("reading the state folder: %s", strerror(rc));
        goto out;
    }
    rc = -dm->be->ops->list(dm->be, &list, &n);
    if (rc) {
        xld_err("listing the domains: %s", strerror(rc));
        goto out;
    }
    used = calloc(nrecs + 1, sizeof(*used));
    if (!used) {
        rc = ENOMEM;
        goto out;
    }
    for (int k = 0; k < n; k++) {
        struct xld_record *rec = NULL;

        /* By uuid; where two records have it (a migration to this host
         * itself was under way), the one of this domid. */
        for (size_t i = 0; i < nrecs; i++) {
            if (!used[i] && !libxl_uuid_compare(&recs[i].uuid,
                                                &list[k].uuid)
                && (!rec || recs[i].domid == list[k].domid))
                rec = &recs[i];
        }
        if (rec)
            used[rec - recs] = true;
        dom = adopt(dm, &list[k], rec);
        if (!dom) {
            rc = ENOMEM;
            goto out;
        }
        xld_info("found %s (domid %" PRIu32 ", %s)", dom->name, dom->domid,
                 dom->managed ? "managed" : "unmanaged");
        if (dom->managed && dom->rec.operation)
            recover_interrupted(dm, dom);
        else if (dom->managed && xld_record_incoming(&dom->rec))
            recover_incoming(dm, dom);
    }
    for (size_t i = 0; i < nrecs; i++)
        if (!used[i])
            recover_vanished(dm, &recs[i]);
    /* Guests that shut down while xld was away get their action now. */
    for (dom = TAILQ_FIRST(&dm->domains); dom; dom = next) {
        next = TAILQ_NEXT(dom, link);
        if (dom->managed && dom->state == XLD_DS_ACTIVE && dom->have_info
            && dom->info.shutdown && !dom->info.dying && !dom->rec.held
            && dom->info.shutdown_reason != LIBXL_SHUTDOWN_REASON_SUSPEND)
            queue_action(dom, dom->info.shutdown_reason);
    }
    dm->refresh = NULL;
    xld_loop_timer(dm->loop, REFRESH_MS, refresh_tick, dm, &dm->refresh);

out:
    for (int k = 0; k < n; k++)
        xld_dominfo_dispose(&list[k]);
    free(list);
    for (size_t i = 0; i < nrecs; i++)
        xld_record_dispose(&recs[i]);
    free(recs);
    free(used);
    return rc;
}
