/*
 * backend.h - the hypervisor behind xld, as one interface with two
 * implementations: libxl (a real Xen dom0) and sim (a simulated
 * hypervisor for the demo and the tests).
 *
 * The interface is shaped by libxl's real API so that the libxl backend
 * is a thin layer: domains are libxl_domain_config values, known by
 * domid; long operations (create, restore, save, destroy) are
 * asynchronous and report through a completion callback with an rc, the
 * way libxl's ao_how does; quick ones (pause, memory target...) return
 * at once; and the guest's own actions (it powered off, rebooted,
 * crashed) arrive as events with libxl's shutdown reasons, as from
 * libxl_evenable_domain_death.
 *
 * Everything runs in xld's one thread: a backend does its waiting
 * through the event loop (loop.h), never by blocking.
 *
 * rc values: 0, or a negative errno value (-ENOENT: no such domain,
 * -EBUSY, -ENOMEM: the host lacks memory, -EINVAL, -EIO, -ECANCELED...).
 */
#ifndef XLD_BACKEND_H
#define XLD_BACKEND_H

#include <stdbool.h>
#include <stdint.h>

#include <libxl.h>

struct xld_loop;
struct xld_backend;

/* What the host is: for `xlctl info` and for refusing what cannot fit. */
/* The most cpus whose node host_info tells; a bigger host is taken as
 * an even split of its cpus over its nodes. */
#define XLD_HOST_MAX_TOPOLOGY 1024

struct xld_host_info {
    char xen_version[32];        /* "4.17" */
    char hypervisor[16];         /* "xen" or "sim" */
    int nr_cpus;
    int nr_nodes;
    uint64_t total_memkb;
    uint64_t free_memkb;
    /* The paging modes the hypervisor has (libxl_physinfo's cap_hap and
     * cap_shadow).  Live migration needs log-dirty paging: a PV guest
     * has it only through shadow paging, which a Xen may be built
     * without (Debian's is); an HVM or PVH guest through either. */
    bool cap_hap;
    bool cap_shadow;
    /* The node of each cpu (-1: offline), when have_topology. */
    bool have_topology;
    int16_t cpu_node[XLD_HOST_MAX_TOPOLOGY];
};

/* One domain as the hypervisor sees it (a subset of libxl_dominfo). */
struct xld_domstats;           /* stats.h */

struct xld_dominfo {
    uint32_t domid;
    libxl_uuid uuid;
    char *name;                  /* malloc'd */
    bool running, blocked, paused, shutdown, dying;
    libxl_shutdown_reason shutdown_reason;   /* valid when shutdown */
    uint64_t current_memkb;
    uint64_t max_memkb;
    int vcpu_online;
    int vcpu_max;
    uint64_t cpu_time_ns;
    uint32_t cpupool;            /* the poolid of its cpupool */
};

void xld_dominfo_init(struct xld_dominfo *di);
void xld_dominfo_dispose(struct xld_dominfo *di);

/* One cpupool, as libxl_cpupoolinfo, with the rate limit of its
 * scheduler (which `xl sched-credit2` shows with the pool). */
struct xld_cpupool {
    uint32_t poolid;
    char *name;                  /* malloc'd */
    libxl_scheduler sched;
    int n_dom;
    libxl_bitmap cpus;           /* a map of the host's cpus; malloc'd */
    int ratelimit_us;            /* credit and credit2; -1: none, unknown */
};

void xld_cpupool_list_free(struct xld_cpupool *pools, int n);

/*
 * One virtual device of a domain, as libxl_diskinfo and libxl_nicinfo
 * describe it, with the few fields of the device itself that the lists
 * show: devid (for a disk, the number Xen gives its vdev), the backend
 * domain and the frontend's (xl prints it as the handle of a disk),
 * the xenbus state, the event channel, the ring references (a vif has
 * two: tx in rref, rx in rref_rx) and the backend's xenstore path.
 */
struct xld_devinfo {
    int devid;
    uint32_t backend_id;
    uint32_t frontend_id;
    int state;
    int evtch;
    int rref;
    int rref_rx;
    char *backend;               /* malloc'd */
    char *vdev;                  /* disk: the guest's name; malloc'd */
    char *target;                /* disk: pdev_path, or NULL; malloc'd */
    libxl_mac mac;               /* vif */
};

void xld_devinfo_list_free(struct xld_devinfo *list, int n);

/* The guest did something: it shut itself down (with a reason, as
 * libxl's DOMAIN_SHUTDOWN event) or it is gone (DOMAIN_DEATH). */
enum xld_backend_event_type {
    XLD_BE_DOMAIN_SHUTDOWN,
    XLD_BE_DOMAIN_DEATH,
};

struct xld_backend_event {
    enum xld_backend_event_type type;
    uint32_t domid;
    libxl_shutdown_reason reason;   /* for XLD_BE_DOMAIN_SHUTDOWN */
};

/* Callbacks into xld. */
typedef void xld_backend_done_fn(void *opaque, int rc);
typedef void xld_backend_progress_fn(void *opaque, uint64_t done,
                                     uint64_t total);
typedef void xld_backend_event_fn(void *opaque,
                                  const struct xld_backend_event *ev);

struct xld_backend_ops {
    const char *name;

    /* Start and stop.  events() is called for every guest event from
     * then on.  options is the backend's own option string (xld
     * --backend-options), NULL for none; for sim, e.g.
     * "memory=262144,cpus=8" (MiB, count). */
    int (*open)(struct xld_backend *be, struct xld_loop *loop,
                const char *options, xld_backend_event_fn *events,
                void *opaque);
    void (*close)(struct xld_backend *be);

    int (*host_info)(struct xld_backend *be, struct xld_host_info *out);
    /* Every domain, dom0 included; *out is malloc'd, dispose each. */
    int (*list)(struct xld_backend *be, struct xld_dominfo **out, int *n);
    int (*info)(struct xld_backend *be, uint32_t domid,
                struct xld_dominfo *out);

    /*
     * Asynchronous: 0 means started, and done() will be called exactly
     * once, later, from the loop (never from inside the call); any other
     * return means it did not start and done() will not be called.
     * create and restore set *domid as soon as the domain exists.
     */
    int (*create)(struct xld_backend *be, libxl_domain_config *dc,
                  bool paused, uint32_t *domid, xld_backend_done_fn *done,
                  void *opaque);
    int (*restore)(struct xld_backend *be, libxl_domain_config *dc,
                   int fd, bool paused, uint32_t *domid,
                   xld_backend_progress_fn *progress,
                   xld_backend_done_fn *done, void *opaque);
    /* Write the domain's image to fd (which the caller owns); unless
     * checkpoint, the domain is destroyed once saved. */
    int (*save)(struct xld_backend *be, uint32_t domid, int fd,
                bool checkpoint, xld_backend_progress_fn *progress,
                xld_backend_done_fn *done, void *opaque);
    int (*destroy)(struct xld_backend *be, uint32_t domid,
                   xld_backend_done_fn *done, void *opaque);

    /* Immediate.  shutdown and reboot only ask the guest; what it does
     * comes as an event (or never, if it ignores the request).  They
     * give -EOPNOTSUPP for a guest without PV control (an HVM guest
     * without PV drivers), which only send_trigger can reach. */
    int (*shutdown)(struct xld_backend *be, uint32_t domid);
    int (*reboot)(struct xld_backend *be, uint32_t domid);
    int (*pause)(struct xld_backend *be, uint32_t domid);
    int (*unpause)(struct xld_backend *be, uint32_t domid);
    int (*set_memory_target)(struct xld_backend *be, uint32_t domid,
                             uint64_t memkb);
    int (*set_memory_max)(struct xld_backend *be, uint32_t domid,
                          uint64_t memkb);
    int (*set_vcpus)(struct xld_backend *be, uint32_t domid, int count);
    int (*rename)(struct xld_backend *be, uint32_t domid,
                  const char *name);

    /*
     * rename-restart, as libxl_domain_preserve: the shut-down domain
     * stays, renamed to its name followed by name_suffix and given
     * new_uuid, so that its successor can take both the name and the
     * uuid.  Immediate.
     */
    int (*preserve)(struct xld_backend *be, uint32_t domid,
                    const char *name_suffix, const libxl_uuid *new_uuid);
    /* Asynchronous, as libxl_domain_core_dump: write the domain's
     * memory to the file path (the on_* coredump-* actions). */
    int (*core_dump)(struct xld_backend *be, uint32_t domid,
                     const char *path, xld_backend_done_fn *done,
                     void *opaque);
    /* Asynchronous, as libxl_domain_soft_reset: the domain asked for a
     * soft reset (kexec); it keeps its domid and is built again from
     * dc, then left paused, like create. */
    int (*soft_reset)(struct xld_backend *be, libxl_domain_config *dc,
                      uint32_t domid, xld_backend_done_fn *done,
                      void *opaque);
    /*
     * Immediate, as libxl_send_trigger: LIBXL_TRIGGER_POWER (an ACPI
     * power button) and LIBXL_TRIGGER_RESET are what `shutdown -F` and
     * `reboot -F` fall back to when shutdown or reboot gave -EOPNOTSUPP
     * (libxl's ERROR_NOPARAVIRT: the guest has no PV control to ask).
     */
    int (*send_trigger)(struct xld_backend *be, uint32_t domid,
                        libxl_trigger trigger);
    /* The config the domain runs with, as the hypervisor's toolstack
     * knows it (libxl_retrieve_domain_configuration): how xld adopts a
     * domain it did not create.  dc is initialised by the caller. */
    int (*retrieve_config)(struct xld_backend *be, uint32_t domid,
                           libxl_domain_config *dc);
    /* libxl's JSON of a config into dc (libxl_domain_config_from_json,
     * which needs the backend's libxl context): for an image written by
     * plain `xl save` and a domain adopted from xl, which carry no xl.cfg
     * text.  dc is initialised by the caller.  -EOPNOTSUPP where the
     * backend has no libxl context (sim). */
    int (*config_from_json)(struct xld_backend *be, const char *json,
                            libxl_domain_config *dc);
    /* Where a console client attaches (libxl_console_get_tty): *path is
     * malloc'd.  -ENOENT when the domain has no such console. */
    int (*console_tty)(struct xld_backend *be, uint32_t domid, int num,
                       libxl_console_type type, char **path);

    /*
     * CPU placement and scheduling, all immediate.
     *
     * vcpu_info: every vcpu of a domain, as libxl_list_vcpu: where it
     * runs now, whether it is online, running or blocked, its cpu time,
     * and its hard and soft affinity as maps of the host's cpus.  *out
     * is malloc'd: free it with libxl_vcpuinfo_list_free(*out, *n).
     *
     * vcpu_pin: set the hard and soft affinity of one vcpu, or of every
     * vcpu when vcpu is -1, as libxl_set_vcpuaffinity(_all); a NULL map
     * leaves that affinity as it is.  force (libxl_set_vcpuaffinity_force,
     * one vcpu only) first undoes a temporary pinning the guest's kernel
     * made.  -EINVAL for a vcpu the domain does not have, or a hard map
     * with no cpu of the host; -EPERM where the backend will not change
     * the domain.
     *
     * cpupool_info: every cpupool, as libxl_list_cpupool; *out is
     * malloc'd: free it with xld_cpupool_list_free(*out, *n).
     *
     * sched_get, sched_set: a domain's scheduler parameters, as
     * libxl_domain_sched_params_get/set: set changes the fields that are
     * not LIBXL_DOMAIN_SCHED_PARAM_*_DEFAULT, and gives -EINVAL when
     * params->sched is neither LIBXL_SCHEDULER_UNKNOWN nor the
     * scheduler of the domain's pool, or a value is out of range.
     */
    int (*vcpu_info)(struct xld_backend *be, uint32_t domid,
                     libxl_vcpuinfo **out, int *n);
    int (*vcpu_pin)(struct xld_backend *be, uint32_t domid, int vcpu,
                    const libxl_bitmap *hard, const libxl_bitmap *soft,
                    bool force);
    int (*cpupool_info)(struct xld_backend *be, struct xld_cpupool **out,
                        int *n);
    int (*sched_get)(struct xld_backend *be, uint32_t domid,
                     libxl_domain_sched_params *out);
    int (*sched_set)(struct xld_backend *be, uint32_t domid,
                     const libxl_domain_sched_params *params);

    /*
     * The config a domain was created with, kept with the domain in the
     * hypervisor's own store (libxl's userdata, as xl does), so that a
     * restarted xld finds it again.  retrieve gives -ENOENT for a domain
     * xld did not create.  The data is xld's business (a JSON document).
     */
    int (*userdata_store)(struct xld_backend *be, uint32_t domid,
                          const char *data, size_t len);
    int (*userdata_retrieve)(struct xld_backend *be, uint32_t domid,
                             char **data, size_t *len);

    /*
     * The simulator only (NULL in other backends): make a guest or the
     * host misbehave, for tests.  what is one of "crash", "poweroff",
     * "reboot", "watchdog", "soft-reset" (the guest does that now),
     * "ignore-shutdown" (value 1/0), "shutdown-delay-ms" (how long the
     * guest takes to answer a shutdown or reboot request), "fail-next"
     * with domid 0 and value a bit mask of operations (1 create, 2 save,
     * 4 restore, 8 destroy), "create-ms", "save-ms-per-gib",
     * "restore-ms-per-gib" (timings, domid 0), "no-pv-control" (value
     * 1/0: the guest has no PV drivers, so shutdown and reboot give
     * -EOPNOTSUPP and only send_trigger reaches it), "spawn" (domid 0:
     * a running domain of value MiB made behind xld's back, as plain
     * `xl create` would, named foreign-DOMID).  -EINVAL for an unknown
     * what, -ENOENT for an unknown domain.
     */
    int (*inject)(struct xld_backend *be, const char *what, uint32_t domid,
                  int64_t value);

    /*
     * Immediate, as libxl_send_sysrq: a magic SysRq key for the guest's
     * kernel, through its PV control (xenstore's control/sysrq), which
     * the guest reads when it likes; nothing says whether it did.  What
     * `xl sysrq` and XENDOMAINS_SYSRQ send.  -EPERM for Domain-0.
     */
    int (*send_sysrq)(struct xld_backend *be, uint32_t domid, char key);

    /*
     * Immediate: the counters of a domain's vifs and block devices, as
     * xentop shows them (stats.h), for `top` and `metrics`.  NULL where
     * a backend has none: they are then zero.
     */
    int (*dom_stats)(struct xld_backend *be, uint32_t domid,
                     struct xld_domstats *out);

    /*
     * Migration (`xlctl migrate`), the sending half, as
     * libxl_domain_suspend with LIBXL_SUSPEND_LIVE when live (and
     * LIBXL_SUSPEND_DEBUG when debug): asynchronous as save.  The
     * domain's stream (the hypervisor's part only: xld writes the header
     * before it) goes to fd, while the guest runs when live, after it
     * was suspended when not; at the end the guest is suspended, and
     * stays so: done(0) leaves a suspended domain, which the caller
     * destroys once the target runs it, or gives back to the guest with
     * resume() when the migration fails.  A failed send leaves the guest
     * running.  Live needs log-dirty paging (xld_host_info): without it
     * the send fails, -EOPNOTSUPP where the backend can tell at once.
     * fd may be non-blocking (the sim copes with EAGAIN); a backend
     * that needs it blocking clears O_NONBLOCK.
     *
     * The receiving half is restore(), which reads exactly one stream
     * from fd and nothing after it, so that the handshake can go on on
     * the same fd.
     */
    int (*migrate_send)(struct xld_backend *be, uint32_t domid, int fd,
                        bool live, bool debug,
                        xld_backend_progress_fn *progress,
                        xld_backend_done_fn *done, void *opaque);
    /* Immediate, as libxl_domain_resume with suspend_cancel: a domain
     * that migrate_send suspended runs again where it was. */
    int (*resume)(struct xld_backend *be, uint32_t domid);

    /*
     * Devices while the domain runs (xl block-*, network-*), as libxl's
     * libxl_device_disk_add/_remove/_destroy and libxl_device_nic_add/
     * _remove: asynchronous as create, so 0 means started and done()
     * comes later; the device passed to an add must stay alive until
     * then.  disk_add and nic_add fill in what the backend chose (a
     * nic's devid and MAC when the spec had none), as libxl does.
     *
     * Errors given at once: -ENOENT for no such domain, -EINVAL for a
     * domain that is not running (shut down, dying) or a vdev that is
     * no name of Xen's, -EEXIST for a vdev, devid or MAC the domain
     * already has, -ENODEV for a vdev or devid it does not have.
     * disk_remove with force takes the device away without waiting for
     * the guest to let it go (libxl_device_disk_destroy).
     *
     * disk_list and nic_list: the domain's devices as
     * libxl_device_<type>_list and _getinfo give them (what xl
     * block-list and network-list print); *out is malloc'd: free it with
     * xld_devinfo_list_free(*out, *n).
     */
    int (*disk_add)(struct xld_backend *be, uint32_t domid,
                    libxl_device_disk *disk, xld_backend_done_fn *done,
                    void *opaque);
    int (*disk_remove)(struct xld_backend *be, uint32_t domid,
                       const char *vdev, bool force,
                       xld_backend_done_fn *done, void *opaque);
    int (*disk_list)(struct xld_backend *be, uint32_t domid,
                     struct xld_devinfo **out, int *n);
    int (*nic_add)(struct xld_backend *be, uint32_t domid,
                   libxl_device_nic *nic, xld_backend_done_fn *done,
                   void *opaque);
    int (*nic_remove)(struct xld_backend *be, uint32_t domid, int devid,
                      xld_backend_done_fn *done, void *opaque);
    int (*nic_list)(struct xld_backend *be, uint32_t domid,
                    struct xld_devinfo **out, int *n);

    /*
     * PCI passthrough while the domain runs (xl pci-attach, pci-detach),
     * as libxl_device_pci_add, _remove and _destroy: asynchronous as
     * disk_add, and the device passed must stay alive until done().  A
     * device whose vfunc_mask is LIBXL_PCI_FUNC_ALL stands for every
     * function of its slot.  pci_add fills in what the backend found or
     * chose, as libxl does: the address of a device given by name, and
     * the virtual slot (vdevfn) the guest sees it at.
     *
     * Errors given at once: -ENOENT for no such domain, -EINVAL for a
     * domain that is not running, -ENODEV for a device that is not
     * assignable (bound to no pciback, or no device of that address or
     * name), -EBUSY for one that another domain has, -EEXIST for one
     * this domain has already (or a virtual slot it uses).  pci_remove
     * gives -ENODEV for a device the domain does not have; with force it
     * takes the device without waiting for the guest to let it go
     * (libxl_device_pci_destroy).
     *
     * pci_list: the devices of a domain, as libxl_device_pci_list gives
     * them (address, vdevfn, flags, name); free *out with
     * libxl_device_pci_list_free(*out, *n).
     */
    int (*pci_add)(struct xld_backend *be, uint32_t domid,
                   libxl_device_pci *pci, xld_backend_done_fn *done,
                   void *opaque);
    int (*pci_remove)(struct xld_backend *be, uint32_t domid,
                      libxl_device_pci *pci, bool force,
                      xld_backend_done_fn *done, void *opaque);
    int (*pci_list)(struct xld_backend *be, uint32_t domid,
                    libxl_device_pci **out, int *n);

    /*
     * The host's side of PCI passthrough (xl pci-assignable-*), all
     * immediate, as libxl_device_pci_assignable_list, _add and _remove.
     * list: the devices ready for a guest (bound to pciback) that no
     * domain has, with the name each was given; free *out with
     * libxl_device_pci_assignable_list_free(*out, *n).  add: make the
     * device at pci's address assignable (idempotent), named pci->name
     * when it is set.  remove: give the device back to dom0 (rebind: to
     * the driver it had before), found by pci->name when it is set, else
     * by address; a device that is not assignable is left as it is.
     * -ENODEV: no such device, or no device of that name; -EBUSY: a
     * domain has the device; -EINVAL: a name libxl refuses (over 64
     * characters, or not all printable), or one another device has.
     */
    int (*pci_assignable_list)(struct xld_backend *be,
                               libxl_device_pci **out, int *n);
    int (*pci_assignable_add)(struct xld_backend *be, libxl_device_pci *pci,
                              bool rebind);
    int (*pci_assignable_remove)(struct xld_backend *be,
                                 libxl_device_pci *pci, bool rebind);

    /*
     * The medium of a CD-ROM drive the domain has (xl cd-insert,
     * cd-eject), as libxl_cdrom_insert: asynchronous as disk_add.  disk
     * is the drive with its new medium, as xl builds it from the vdev
     * and the target; LIBXL_DISK_FORMAT_EMPTY ejects.  -ENOENT and
     * -EINVAL as disk_add; -EOPNOTSUPP for a domain that is not HVM
     * (only an HVM guest's device model has drives whose medium
     * changes), -ENODEV for a vdev that is no CD-ROM drive of the
     * domain.
     */
    int (*cdrom_insert)(struct xld_backend *be, uint32_t domid,
                        libxl_device_disk *disk, xld_backend_done_fn *done,
                        void *opaque);
};

struct xld_backend {
    const struct xld_backend_ops *ops;
    void *priv;                  /* the implementation's state */
};

/* The implementations.  A backend that cannot run here (no Xen) fails in
 * open() with a message saying why. */
extern const struct xld_backend_ops xld_backend_sim_ops;
extern const struct xld_backend_ops xld_backend_libxl_ops;

/*
 * The backend xld runs on: name is --backend ("libxl" or "sim"), or
 * NULL for the default, which is libxl on a host that runs Xen (it has
 * /proc/xen/capabilities or /dev/xen/privcmd) and none otherwise, so
 * that the simulator is never taken for a hypervisor by mistake.
 * Returns 0, or an errno value after logging why there is none.
 */
int xld_backend_select(const char *name, const struct xld_backend_ops **out);

#endif /* XLD_BACKEND_H */
