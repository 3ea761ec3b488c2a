/*
 * domain.h - the domain table: every domain the backend lists, what xld
 * knows of each, and the operations on them.
 *
 * Every domain has a queue of operations, run one at a time, so that
 * xld never does two things to one domain at once; operations on
 * different domains run side by side.  Queries read the table and
 * never wait for a queue.
 *
 * A domain that xld created (it has xld's userdata, or a record in the
 * state directory) is managed: xld knows its config, and applies its
 * on_poweroff/on_reboot/on_crash/on_watchdog/on_soft_reset actions when
 * the guest shuts down.  Any other domain (dom0, or one made with plain
 * xl) is unmanaged: listed and controllable, but its shutdowns are only
 * reported.
 *
 * This layer knows nothing of the protocol: requests come in as struct
 * xld_dm_request, results go out through callbacks, and what happens to
 * guests goes out as struct xld_dm_event for proto.c to turn into
 * events.
 */
#ifndef XLD_DOMAIN_H
#define XLD_DOMAIN_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>
#include <time.h>

#include <libxl.h>

#include "backend.h"
#include "state.h"

struct xld_loop;
struct xlcfg;
struct xld_dm;
struct xld_dm_op;

/* How many restarts in how long make a restart loop. */
#define XLD_DM_RESTART_BURST 3
#define XLD_DM_RESTART_WINDOW_MS 60000

enum xld_dm_state {
    XLD_DS_CREATING,     /* create or restore running: not usable yet */
    XLD_DS_ACTIVE,       /* exists in the hypervisor */
    XLD_DS_RESTARTING,   /* on_* restart: between the old and the new */
    XLD_DS_GONE,         /* destroyed: leaves once its operation ends */
};

/* One domain.  Read-only outside domain.c. */
struct xld_domain {
    TAILQ_ENTRY(xld_domain) link;
    struct xld_dm *dm;
    uint32_t domid;                /* XLD_NO_DOMID while it has none */
    libxl_uuid uuid;
    char *name;
    enum xld_dm_state state;
    struct xld_dominfo info;       /* as the backend last listed it */
    bool have_info;
    time_t started;                /* wall clock: for uptime */
    bool managed;
    /* Managed domains only: the record (config, overrides, what is in
     * progress) and the libxl config built from it. */
    struct xld_record rec;
    libxl_domain_config dc;
    bool have_dc;
    /* Its record may be in the incoming file (state.h): it came by
     * migration, and was not yet written under its own name. */
    bool incoming_file;
    uint64_t restarts[XLD_DM_RESTART_BURST];  /* monotonic ms, newest 1st */
    /* The queue: running is the operation in progress, queue the ones
     * waiting behind it. */
    struct xld_dm_op *running;
    TAILQ_HEAD(, xld_dm_op) queue;
    TAILQ_HEAD(, xld_dm_op) waiters;   /* shutdown --wait, until it is down */
    bool action_queued;            /* a shutdown action is queued */
    bool kicking;                  /* its queue is being run */
};

TAILQ_HEAD(xld_domain_list, xld_domain);

/* What a client asks. */
enum xld_dm_optype {
    XLD_OP_CREATE,
    XLD_OP_RESTORE,
    XLD_OP_SHUTDOWN,
    XLD_OP_REBOOT,
    XLD_OP_DESTROY,
    XLD_OP_PAUSE,
    XLD_OP_UNPAUSE,
    XLD_OP_SAVE,
    XLD_OP_MEM_SET,
    XLD_OP_MEM_MAX,
    XLD_OP_VCPU_SET,
    XLD_OP_RENAME,
    XLD_OP_SYSRQ,               /* a magic SysRq key for the guest */
    XLD_OP_VCPU_PIN,            /* vcpu affinity, as xl vcpu-pin */
    XLD_OP_SCHED_SET,           /* scheduler weight and cap */
    XLD_OP_ADOPT,               /* take over a domain made by plain xl */
    XLD_OP_MIGRATE,             /* live migration to another xld */
    /* Internal: a guest shut down, apply its action; a domain whose
     * restart a crash of xld interrupted, create it again. */
    XLD_OP_ACTION,
    XLD_OP_RECREATE,
    /* Devices while the domain runs: block-attach/-detach,
     * network-attach/-detach. */
    XLD_OP_DISK_ATTACH,
    XLD_OP_DISK_DETACH,
    XLD_OP_NIC_ATTACH,
    XLD_OP_NIC_DETACH,
    /* pci-attach/-detach, cd-insert/-eject. */
    XLD_OP_PCI_ATTACH,
    XLD_OP_PCI_DETACH,
    XLD_OP_CD_INSERT,
    XLD_OP_CD_EJECT,
};

struct xld_dm_request {
    enum xld_dm_optype type;
    bool wait;                  /* shutdown: reply when it is down */
    bool force;                 /* shutdown: destroy if it cannot be asked */
    bool paused;                /* create, restore */
    bool checkpoint;            /* save: leave it running */
    uint64_t memkb;             /* mem-set, mem-max */
    int count;                  /* vcpu-set */
    char key;                   /* sysrq */
    /* vcpu-pin: the vcpu (-1: every one), and the hard and soft affinity
     * as xl's cpu lists ("0-3,^2", "nodes:1", "all"); NULL or "-" leaves
     * one as it is. */
    int vcpu;
    const char *hard;
    const char *soft;
    /* sched-set: the scheduler the client has in mind ("credit2"; NULL:
     * any), and the weight and cap (-1: unchanged). */
    const char *scheduler;
    int weight;
    int cap;
    const char *name;           /* rename */
    const char *path;           /* save, restore */
    /* migrate: the transport command (migrate.h), and
     * LIBXL_SUSPEND_DEBUG; config and filename, when set, are the config
     * the target gets instead of the domain's (xl migrate -C); paused
     * leaves it paused there. */
    const char *command;
    bool debug;
    /* restore from a migration (migrate.h): the image's header, already
     * read from image_fd, where the stream follows (the caller keeps the
     * fd); incoming: the domain is named NAME--incoming until the
     * handover. */
    const struct xld_image_info *image;
    int image_fd;
    bool incoming;
    /* restore of a migration: check what a real one checks (the name,
     * the uuid, the config, the memory), answer, and make nothing; a
     * migration: have the target do so (xlctl migrate --dry-run). */
    bool dry_run;
    /* migrate: suspend the guest, then send it (xlctl migrate
     * --no-live), where log-dirty paging is missing. */
    bool no_live;
    const char *config;         /* create, adopt: the text */
    const char *filename;       /* create, adopt: for messages */
    char *const *overrides;     /* create, adopt: key=value */
    size_t noverrides;
    /* disk-attach, nic-attach: the spec, in the words of a disk= or vif=
     * item, as pieces that are read as one (xl takes it as several
     * arguments); nic-attach may have none. */
    char *const *specs;
    size_t nspecs;
    /* disk-detach: the vdev (force: without waiting for the guest);
     * nic-detach: the devid or the MAC; pci-attach, pci-detach (force as
     * disk-detach): the PCI_SPEC_STRING; cd-insert, cd-eject: the vdev
     * of the drive. */
    const char *device;
    /* cd-insert: the medium, as xl's target (a path, or any target of
     * xl-disk-configuration(5)). */
    const char *target;
};

void xld_dm_request_init(struct xld_dm_request *rq);
void xld_dm_request_dispose(struct xld_dm_request *rq);

/* How an operation ended. */
struct xld_dm_result {
    int rc;                      /* 0, or a negative errno value */
    const char *msg;             /* why it failed (NULL when rc is 0) */
    const struct xlcfg *cfg;     /* create: the diagnostics (errors when
                                    rc is -EINVAL and config_error) */
    bool config_error;
    uint32_t domid;              /* create, restore */
    const char *name;            /* create, restore */
};

typedef void xld_dm_done_fn(void *opaque, const struct xld_dm_result *res);
typedef void xld_dm_progress_fn(void *opaque, const char *operation,
                                const char *domain, uint64_t done,
                                uint64_t total);

/* What happened, for events. */
struct xld_dm_event {
    const char *type;            /* "DOMAIN_STATE", "OPERATION_INTERRUPTED" */
    const struct xld_domain *dom;   /* NULL when the domain is gone */
    uint32_t domid;
    const char *name;
    const char *uuid;
    const char *state;           /* DOMAIN_STATE: see doc/protocol.md */
    const char *reason;          /* shutdown reason, or NULL */
    const char *operation;       /* OPERATION_INTERRUPTED */
    const char *detail;          /* a sentence, or NULL */
};

struct xld_dm_hooks {
    void (*event)(void *opaque, const struct xld_dm_event *ev);
    /* No operation is running any more (called while stopping). */
    void (*idle)(void *opaque);
};

/* What the reconciliation at start found of operations a crash
 * interrupted, for `info`. */
struct xld_dm_report {
    char *name;
    char uuid[LIBXL_UUID_FMTLEN + 1];
    char *operation;
    char *outcome;
};

int xld_dm_new(struct xld_dm **out, struct xld_loop *loop,
               struct xld_backend *be, struct xld_state *st,
               const struct xld_dm_hooks *hooks, void *opaque);
void xld_dm_free(struct xld_dm *dm);

/* Where the coredump-destroy and coredump-restart actions write a
 * domain's core, as DIR/NAME: xl's XEN_DUMP_DIR by default. */
#define XLD_DM_DUMP_DIR "/var/lib/xen/dump"
int xld_dm_set_dump_dir(struct xld_dm *dm, const char *dir);

/* The host's xl.conf (xlconf.h), owned by the caller and kept alive
 * until it is replaced or the table is freed; NULL means xl's defaults.
 * Every config xld converts from then on is converted with it, as xl
 * converts every config with the xl.conf it read when it started; while
 * the file has errors, xld converts none, as xl would run no command. */
struct xlconf;
void xld_dm_set_xlconf(struct xld_dm *dm, const struct xlconf *xc);

/* The backend's events go here (its xld_backend_event_fn). */
void xld_dm_backend_event(void *opaque, const struct xld_backend_event *ev);

/*
 * At start: find every domain again.  The backend's list and each
 * domain's userdata are matched with the records of the state
 * directory; records of operations a crash interrupted are reported
 * (log, event, the domain's `interrupted` flag, xld_dm_reports()), and
 * the ones xld can finish (a restart, a destroy) are finished.
 */
int xld_dm_recover(struct xld_dm *dm);

/* Ask the backend for the list again and bring the table up to date. */
int xld_dm_refresh(struct xld_dm *dm);

/* A domain by name, domid (digits) or uuid; NULL when there is none. */
struct xld_domain *xld_dm_lookup(struct xld_dm *dm, const char *spec);
struct xld_domain *xld_dm_by_domid(struct xld_dm *dm, uint32_t domid);

const struct xld_domain_list *xld_dm_domains(const struct xld_dm *dm);
size_t xld_dm_count(const struct xld_dm *dm, size_t *managed);
const struct xld_dm_report *xld_dm_reports(const struct xld_dm *dm,
                                           size_t *n);
struct xld_backend *xld_dm_backend(const struct xld_dm *dm);
struct xld_loop *xld_dm_loop(const struct xld_dm *dm);

/*
 * Ask for an operation: create and restore take no domain, the others
 * one of the table.  done() is called exactly once, from inside this
 * call when the request is refused at once, later otherwise; progress()
 * (save, restore) may be called in between.
 */
void xld_dm_submit(struct xld_dm *dm, struct xld_domain *dom,
                   const struct xld_dm_request *rq, xld_dm_done_fn *done,
                   xld_dm_progress_fn *progress, void *opaque);

/* xld is stopping: start nothing new (queued operations fail, guests'
 * shutdowns are left for the next xld), let the running ones end; the
 * idle hook says when none is left. */
void xld_dm_stop(struct xld_dm *dm);
unsigned xld_dm_running(const struct xld_dm *dm);

/* Names for the protocol. */
const char *xld_dm_state_name(const struct xld_domain *dom);
const char *xld_dm_shutdown_reason_name(libxl_shutdown_reason r);

#endif /* XLD_DOMAIN_H */
