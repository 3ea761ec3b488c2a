/*
 * backend_sim.c - the "sim" backend: a simulated hypervisor embedded in
 * xld, in the spirit of libvirt's test:///default driver, for the demo
 * and the tests.  It implements every op of backend.h.
 *
 * The host.  One host with a configurable amount of memory and cpus
 * (open() options "memory=MIB,cpus=N,nodes=N,dom0-memory=MIB,dir=PATH,
 * sync=0|1,shadow=0|1"; by default 256 GiB, 8 cpus on one node and a
 * Domain-0 of 4 GiB, so that a test can hold a thousand small guests;
 * shadow=0 is a Xen without shadow paging, see migrate_send).  Domain-0 is
 * domid 0; it is listed like any domain but cannot be changed.
 *
 * Memory.  A domain occupies its current memory (its target); the host's
 * free memory is what the domains (Domain-0 included) do not occupy.
 * create and restore refuse with -ENOMEM a domain whose maximum memory
 * (max_memkb, or target_memkb if larger) does not fit in free memory, so
 * that a guest can always balloon up to its maximum; set_memory_target
 * moves the occupation within [1, max] and what is free.
 *
 * Where the state lives.  A real hypervisor keeps running when xld dies,
 * so the whole simulated hypervisor lives outside the xld process, in a
 * directory (dir=PATH, default /run/xld/sim):
 *
 *   lock                   flock()ed by the one instance that runs it
 *   host.json              the host, its timings and the domid rover
 *   domain-<domid>.json    one domain (not Domain-0, which is rebuilt)
 *   domain-<domid>.userdata  the bytes given to userdata_store
 *
 * One file per domain keeps every change O(1): a host with a thousand
 * guests would otherwise rewrite the record of all of them each time one
 * is paused.  Every file is replaced atomically (a temporary file,
 * fsync, rename, fsync of the directory; "sync=0" skips the fsyncs, for
 * tests on slow disks: the simulation only has to survive the death of
 * xld, which the page cache already does).  Times in the files are wall
 * clock milliseconds, so cpu time and the guests' pending answers keep
 * going while xld is not running, and are recomputed on reload.
 *
 * Reload (open() on a directory that has state).  What was in flight
 * when the previous xld died is settled as the hypervisor would:
 *   - create and restore are rolled back (the domain is destroyed): their
 *     owner is gone and a half-built guest is of no use to anyone;
 *   - save is abandoned and the guest resumes (it stays running, as after
 *     a failed save): the image's fd died with the process;
 *   - destroy is completed (the domain is gone);
 *   - a shutdown or reboot request whose answer time passed meanwhile has
 *     been answered: the domain is shut down;
 *   - every domain that is shut down is reported again with a
 *     XLD_BE_DOMAIN_SHUTDOWN event, as libxl does when a new process
 *     enables domain death events, so that the new xld can act on it.
 * A domain removed during reload gets no event: it is simply not there
 * any more when the new xld lists the domains.
 *
 * Callbacks.  No callback is ever called from inside an op: events,
 * progress reports and completions go through one queue that a 0-ms
 * loop timer drains one entry per turn, the callback being the last
 * thing that runs, so that xld may call anything from it, close()
 * included.  close() drops what is queued and abandons operations in
 * flight without calling their done(): they are settled by the next
 * open(), as above.  When an operation makes a domain go away (destroy,
 * a save that is not a checkpoint), its XLD_BE_DOMAIN_DEATH event comes
 * before its done(), so that done() finds the domain gone.  The suspend
 * at the end of a save is not reported as a shutdown: the domain simply
 * dies once its image is written.
 *
 * Migration.  migrate_send writes the same image as save while the
 * guest runs (as a checkpoint does), then pauses it, which is the
 * simulator's suspend; resume unpauses it.  The receiving side is
 * restore, which reads exactly one image from the fd.
 *
 * Beyond the lifecycle.  preserve renames a domain and gives it a new
 * uuid; core_dump writes a short text header and a sparse file of 1/1024
 * of the domain's memory; soft_reset rebuilds a shut-down domain from
 * its config under the same domid, paused; send_trigger's POWER is
 * answered by the guest as a shutdown request is (even without PV
 * control), and RESET reboots it at once.  The simulator keeps no libxl
 * config of its domains, so retrieve_config and config_from_json give
 * -EOPNOTSUPP.
 *
 * Placement and scheduling.  Every vcpu has a hard and a soft affinity,
 * maps of the host's cpus: those of the config (cpus=, cpus_soft=) when
 * the domain is built, every cpu otherwise; vcpu_pin changes them (a
 * hard one must keep a cpu of the host; cpus the host lacks are
 * dropped, as Xen drops those outside the pool).  There is one cpupool,
 * Pool-0, with every cpu and credit2 (Xen 4.17's default): each domain
 * has its weight (256) and cap (0, none), from its config when it sets
 * them; a cap below a tenth of a cpu per vcpu slows the domain's cpu
 * time.  vcpu_info shows a guest a tenth busy: vcpu 0 running, the
 * others mostly blocked, each on one of the cpus of its affinity, moving
 * every few seconds.  All of it is kept in the domain's state file, so
 * it outlives xld as the domain does; Domain-0 cannot be changed.
 *
 * PCI passthrough.  The host has five PCI devices (hostpci_defaults):
 * 0000:00:02.0 and 0000:00:1f.2, which dom0 drives, and 0000:03:00.0,
 * 0000:03:00.1 and 0000:04:00.0, bound to pciback and so assignable;
 * pci_assignable_add and _remove move a device between the two, with
 * its name (kept in host.json).  A device goes to one domain at a time,
 * from its config at create and restore (which fail as libxl's do when
 * a device is not assignable or another domain has it) or by pci_add,
 * and comes back when the domain dies or by pci_remove; an HVM guest
 * sees it at the first free slot from 04 unless the spec says one.
 * CD-ROM drives: the disks of the config or of disk_add that are
 * cdroms; cdrom_insert changes the medium of one of an HVM guest's.
 *
 * Consoles (simcon.h).  Every guest has one console line, a log of the
 * last 4 KiB it wrote: when it first runs after a create or a soft
 * reset, a few lines of a Linux boot (naming the guest, its domid,
 * memory and vcpus) and a getty prompt "NAME login: "; after a restore,
 * a line saying so and the prompt; a last line when it powers off,
 * reboots, crashes, trips its watchdog or kexecs; "Freezing..." when a
 * save starts and "Restarting tasks ... done." when the guest goes on
 * after one.  It echoes what it is sent as a terminal would, and answers
 * each line with "sim: NAME: LINE" and the prompt again (an empty line
 * gets the prompt alone), only while it runs: a paused guest's input
 * waits.  console_tty gives its PV console 0, which an HVM guest's
 * serial port 0 shares; nothing else, and nothing for Domain-0 (-ENOENT).
 * The pty is opened on the first console_tty only, and closed with the
 * domain.  The log lives in xld's memory, not in the state directory: a
 * guest found again by the next xld has an empty one.
 *
 * Timings (inject(), domid 0; persisted with the host): create-ms (50),
 * save-ms-per-gib (200), restore-ms-per-gib (200), destroy-ms (20, an
 * addition to backend.h's list), and shutdown-delay-ms (200) and
 * ignore-shutdown (0), which with a domid other than 0 set that guest's
 * own value and with domid 0 the default of the guests without one.
 *
 * Errors.  -ENOENT: no such domain; -EPERM: Domain-0 cannot be changed;
 * -EBUSY: an operation (create, restore, save, destroy) is in flight on
 * the domain, or (shutdown, reboot) the guest has not answered the
 * request it already has; -EINVAL: the domain is shut down (only destroy
 * is left for it) or an argument is out of range; -EEXIST: the name is
 * taken (create, restore, rename); -ENOMEM: the host lacks the memory.
 * pause of a paused domain and unpause of a running one succeed and
 * change nothing.
 *
 * Failures.  fail-next makes the next operation of a kind fail with
 * -EIO after it started: a create or restore that fails removes its
 * domain (done(-EIO), no death event, as libxl cleans up after a failed
 * create); a save that fails leaves the guest running after writing half
 * of its image; a destroy that fails leaves the domain as it was.
 *
 * The image (save and restore), little-endian, right after whatever the
 * caller wrote before it:
 *
 *   offset  0  magic "XLDSIMv1"
 *           8  u32 version (1)
 *          12  u32 header length (68 + name length)
 *          16  u64 data length (= the target memory in KiB: 1/1024 of it)
 *          24  u64 target memory (KiB)      32  u64 maximum memory (KiB)
 *          40  u32 online vcpus             44  u32 maximum vcpus
 *          48  uuid (16 bytes)              64  u32 name length
 *          68  the name (no NUL)
 *   then the data: zeroes, with a 16-byte marker (its index, then the
 *   first 8 bytes of the uuid) every 64 KiB;
 *   then a u64 FNV-1a-64 of the header and the data.
 *
 * restore reads exactly that much from the fd's current position and
 * creates the domain from the caller's config (the image must fit it);
 * a bad magic, version, size or checksum, or an image cut short, fails
 * with -EINVAL, a read error with its errno.
 *
 * When the fd is a regular file and positioned at its end, the zeroes
 * are skipped with lseek, so the file's apparent size is proportional to
 * memory while little is written.  Both directions run in chunks driven
 * by timers, paced to the configured ms per GiB, and handle partial
 * writes and EAGAIN, so a 256 GiB guest never blocks the loop.
 */
#define _GNU_SOURCE

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>
#include <libxl_utils.h>

#include "backend.h"
#include "log.h"
#include "loop.h"
#include "simcon.h"
#include "stats.h"
#include "xlconv.h"

#define ARRAY_SIZE(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* Xen's DOMID_FIRST_RESERVED: domids of guests are below it. */
#define SIM_DOMID_LIMIT 0x7FF0u

#define SIM_STATE_FORMAT 1
#define SIM_NAME_MAX 256

#define SIM_IMAGE_MAGIC "XLDSIMv1"
#define SIM_IMAGE_VERSION 1
#define SIM_IMAGE_FIXED 68
#define SIM_MARK_EVERY 65536u
#define SIM_MARK_LEN 16u
#define SIM_TRAILER 8u
/* The largest image we accept: a 16 TiB guest, as the largest host we
 * simulate.  Anything bigger in a header is corruption, not a guest. */
#define SIM_IMAGE_MAX_MEMKB (16ull << 30)

#define SIM_CHUNK 65536u                  /* one read or write */
#define SIM_TICK_IO (8u << 20)            /* I/O bytes per loop turn */
#define SIM_TICK_PIECES 1024              /* syscalls per loop turn */
#define SIM_TICK_MS 10
#define SIM_PROGRESS_MS 50

#define KIB_PER_GIB (1024ull * 1024ull)

#define DEF_DIR "/run/xld/sim"
#define DEF_MEMORY_MIB (256ull * 1024)
#define DEF_DOM0_MIB 4096ull
#define DEF_CPUS 8
#define DEF_NODES 1
#define DEF_CREATE_MS 50
#define DEF_SAVE_MS_PER_GIB 200
#define DEF_RESTORE_MS_PER_GIB 200
#define DEF_DESTROY_MS 20
#define DEF_SHUTDOWN_DELAY_MS 200
/* Timings above an hour are typing mistakes. */
#define TIMING_MAX 3600000
/* libxl's default when a config gives no memory at all. */
#define DEF_GUEST_MEMKB (32ull * 1024)

#define FNV_OFFSET 0xcbf29ce484222325ull
#define FNV_PRIME 0x100000001b3ull

/* fail-next bits, as backend.h numbers them. */
#define FAIL_CREATE 1u
#define FAIL_SAVE 2u
#define FAIL_RESTORE 4u
#define FAIL_DESTROY 8u

/* A PCI address as one number, the way Xen encodes it for device
 * assignment: domain, bus, device (0-1f) and function (0-7). */
#define SIM_BDF(dom, bus, dev, fn) \
    ((unsigned)(dom) << 16 | (unsigned)(bus) << 8 | (unsigned)(dev) << 3 \
     | (unsigned)(fn))
/* How many PCI devices the simulated host has (see hostpci_defaults). */
#define SIM_NPCI 5
/* The first slot qemu gives a passed-through device of an HVM guest:
 * the host bridge, the ISA bridge, the graphics and Xen's platform
 * device come before it. */
#define SIM_FIRST_PCI_SLOT 4

enum sim_op_kind {
    SIM_OP_NONE,
    SIM_OP_CREATE,
    SIM_OP_RESTORE,
    SIM_OP_SAVE,
    SIM_OP_DESTROY,
};

static const char *const op_names[] = {
    [SIM_OP_NONE] = "none", [SIM_OP_CREATE] = "create",
    [SIM_OP_RESTORE] = "restore", [SIM_OP_SAVE] = "save",
    [SIM_OP_DESTROY] = "destroy",
};

/* A request the guest has been sent and has not answered yet. */
enum sim_request {
    SIM_REQ_NONE,
    SIM_REQ_POWEROFF,
    SIM_REQ_REBOOT,
};

static const char *const request_names[] = {
    [SIM_REQ_NONE] = "none", [SIM_REQ_POWEROFF] = "poweroff",
    [SIM_REQ_REBOOT] = "reboot",
};

/* The host: all of it is persisted in host.json. */
struct sim_host {
    uint64_t total_memkb;
    uint64_t dom0_memkb;
    int cpus;
    int nodes;
    uint32_t next_domid;          /* the rover, as Xen's */
    unsigned fail_next;           /* FAIL_* bits */
    int64_t create_ms;
    int64_t save_ms_per_gib;
    int64_t restore_ms_per_gib;
    int64_t destroy_ms;
    int64_t shutdown_delay_ms;    /* default for every guest */
    bool ignore_shutdown;         /* default for every guest */
    int64_t started;              /* wall ms: dom0's cpu time runs from it */
};

/*
 * What the hypervisor knows of a domain, besides its name: plain values
 * only, so that an op can take a copy and put it back when the state
 * file cannot be written.
 */
struct sim_dom_state {
    libxl_uuid uuid;
    bool paused;
    bool shutdown;
    libxl_shutdown_reason reason;  /* when shutdown */
    enum sim_op_kind op;           /* what is in flight, as persisted */
    bool op_paused;                /* create/restore: leave it paused */
    enum sim_request request;
    int64_t request_deadline;      /* wall ms the guest answers at */
    uint64_t target_memkb;
    uint64_t max_memkb;
    int vcpu_online;
    int vcpu_max;
    uint64_t cpu_ns;               /* cpu time up to cpu_stamp */
    int64_t cpu_stamp;             /* wall ms */
    int ignore_shutdown;           /* -1: the host's default */
    int64_t shutdown_delay_ms;     /* -1: the host's default */
    bool no_pv_control;            /* no PV drivers: only triggers reach it */
    int nics, disks;               /* its config's vifs and disks */
    int weight;                    /* credit2's weight, 1-65535 */
    int cap;                       /* credit2's cap, % of a cpu; 0: none */
    /* PV, PVH or HVM, as its config says (INVALID in the files of
     * earlier versions): only an HVM guest has CD-ROM drives whose
     * medium changes. */
    libxl_domain_type type;
};

/* Where one vcpu may run (hard affinity) and would rather run (soft), as
 * Xen keeps them: maps of the host's cpus. */
struct sim_vcpu {
    libxl_bitmap hard;
    libxl_bitmap soft;
};

/* A virtual device of a domain, as its backend shows it in xenstore: a
 * vbd (vdev, target) or a vif (mac), with the event channel and ring
 * references its frontend gave. */
struct sim_dev {
    bool vif;
    int devid;
    char *vdev;                   /* vbd */
    char *target;                 /* vbd: pdev_path, or NULL (empty cd) */
    libxl_mac mac;                /* vif */
    int evtch;
    int rref;                     /* vbd's ring, a vif's tx ring */
    int rref_rx;                  /* vif */
    bool cdrom;                   /* vbd: a CD-ROM drive */
};

/*
 * A host PCI device a domain has, as pciback shows it: its address
 * (SIM_BDF), the slot and function the guest sees it at, and the
 * flags it was given with.  Its name is the host's (struct sim_hostpci).
 */
struct sim_pci {
    unsigned bdf;
    uint32_t vdevfn;
    bool msitranslate;
    bool power_mgmt;
    bool permissive;
    libxl_rdm_reserve_policy rdm_policy;
};

/*
 * A PCI device of the simulated host: its address, whether it is bound
 * to pciback (assignable), and the name pci-assignable-add gave it.
 * Which domain has it is found in the domains' sim_pci lists.
 */
struct sim_hostpci {
    unsigned bdf;
    bool assignable;
    char *name;                   /* malloc'd, or NULL */
};

/* What a guest writes on its console once it runs again: the lines of
 * its boot after a create or a soft reset, those of its return after a
 * restore.  A guest built paused writes them when it is unpaused. */
enum sim_con_next {
    SIM_CON_NOTHING,
    SIM_CON_BOOT,
    SIM_CON_RESUME,
};

struct sim;
struct sim_op;

struct sim_dom {
    struct sim *sim;
    uint32_t domid;
    char *name;
    struct sim_dom_state st;
    bool has_userdata;
    char *userdata;
    size_t userdata_len;
    struct xld_timer *answer_timer;   /* the guest answers a request */
    struct sim_op *op;                /* the operation in flight */
    struct sim_vcpu *vcpus;           /* st.vcpu_max of them */
    struct sim_dev *devs;             /* its vbds and vifs */
    int ndevs;
    struct sim_pci *pcis;             /* the host's PCI devices it has */
    int npcis;
    struct xld_simcon *con;           /* its console; NULL: nothing yet */
    enum sim_con_next con_next;       /* what it writes when it next runs */
};

/* Something to tell xld, later, from the loop. */
enum sim_note_kind {
    SIM_NOTE_EVENT,
    SIM_NOTE_DONE,
    SIM_NOTE_PROGRESS,
};

struct sim_note {
    enum sim_note_kind kind;
    struct xld_backend_event ev;
    xld_backend_done_fn *done;
    xld_backend_progress_fn *progress;
    void *opaque;
    int rc;
    uint64_t done_bytes;
    uint64_t total_bytes;
    struct sim_note *next;
};

/* An image being written (save) or read (restore). */
struct sim_stream {
    unsigned char hdr[SIM_IMAGE_FIXED + SIM_NAME_MAX];
    size_t hdr_len;               /* 0 until known (restore) */
    uint64_t data_len;
    uint64_t total;               /* header + data + trailer, once known */
    uint64_t pos;                 /* bytes of the stream handled */
    uint64_t fnv;
    bool sparse;                  /* skip zeroes with lseek */
    unsigned char tag[8];         /* the markers' uuid bytes */
    unsigned char trailer[SIM_TRAILER];
    unsigned char buf[SIM_CHUNK];
    size_t buf_len;               /* save: bytes made, not yet written */
    size_t buf_off;
};

struct sim_op {
    struct sim *sim;
    struct sim_dom *dom;
    enum sim_op_kind kind;
    struct xld_timer *timer;
    xld_backend_done_fn *done;
    xld_backend_progress_fn *progress;
    void *opaque;
    /* Allocated when the op starts, so that finishing cannot fail. */
    struct sim_note *done_note;
    struct sim_note *death_note;
    bool fail;                    /* fail-next chose this one */
    bool checkpoint;
    bool live;                    /* migrate_send: suspend at the end */
    bool stopped;                 /* migrate_send, not live: suspended
                                     (paused) for the whole stream */
    int fd;
    uint64_t started;             /* loop ms */
    uint64_t duration;            /* ms the whole op should take */
    uint64_t last_progress;       /* loop ms, 0: never */
    uint64_t mem_bytes;           /* what progress counts up to */
    struct sim_stream *stream;
};

struct sim {
    struct xld_loop *loop;
    xld_backend_event_fn *events;
    void *events_opaque;
    char *dir;
    int dirfd;
    int lock_fd;
    bool sync;
    /* shadow=0: a Xen built without shadow paging, as Debian's is, where
     * a PV guest has no log-dirty mode and cannot migrate live. */
    bool no_shadow;
    struct sim_host host;
    struct sim_dom *doms[SIM_DOMID_LIMIT];
    uint32_t hi;                  /* no domain at or above this domid */
    struct sim_note *notes;
    struct sim_note *notes_tail;
    struct xld_timer *note_timer;
    struct sim_hostpci pci[SIM_NPCI];   /* persisted in host.json */
};

/* What open() was told; zero means "not given". */
struct sim_options {
    char *dir;
    uint64_t memory_mib;
    uint64_t dom0_mib;
    int cpus;
    int nodes;
    int sync;                     /* -1: not given */
    int shadow;                   /* -1: not given */
};

/* ---- small helpers ------------------------------------------------- */

/* Wall clock milliseconds: what the state files keep, because they must
 * mean the same to the next xld process. */
static int64_t wall_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void put_le32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static void put_le64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static uint32_t get_le32(const unsigned char *p)
{
    uint32_t v = 0;

    for (int i = 3; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static uint64_t get_le64(const unsigned char *p)
{
    uint64_t v = 0;

    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

/* FNV-1a over n zero bytes: each one only multiplies by the prime, so a
 * run of zeroes is one power, computed in log(n) steps.  That keeps the
 * checksum of a mostly empty 256 MiB data section cheap. */
static uint64_t fnv_zeroes(uint64_t h, uint64_t n)
{
    uint64_t p = FNV_PRIME, r = 1;

    while (n) {
        if (n & 1)
            r *= p;
        p *= p;
        n >>= 1;
    }
    return h * r;
}

static uint64_t fnv_update(uint64_t h, const unsigned char *p, size_t n)
{
    while (n) {
        size_t k = n < 4096 ? n : 4096;

        /* All bytes equal to the first, and the first zero. */
        if (p[0] == 0 && (k == 1 || memcmp(p, p + 1, k - 1) == 0)) {
            h = fnv_zeroes(h, k);
        } else {
            for (size_t i = 0; i < k; i++) {
                h ^= p[i];
                h *= FNV_PRIME;
            }
        }
        p += k;
        n -= k;
    }
    return h;
}

static bool name_ok(const char *name)
{
    size_t len;

    if (!name)
        return false;
    len = strlen(name);
    /* The name goes in file names of xld's own and in one-line protocol
     * messages: no slash, no control characters. */
    if (len == 0 || len > SIM_NAME_MAX)
        return false;
    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
        if (*p < 0x20 || *p == 0x7f || *p == '/')
            return false;
    return true;
}

/* ---- domains in memory --------------------------------------------- */

static struct sim_dom *dom_get(struct sim *sim, uint32_t domid)
{
    return domid < SIM_DOMID_LIMIT ? sim->doms[domid] : NULL;
}

static struct sim_dom *dom_by_name(struct sim *sim, const char *name)
{
    for (uint32_t i = 0; i < sim->hi; i++)
        if (sim->doms[i] && !strcmp(sim->doms[i]->name, name))
            return sim->doms[i];
    return NULL;
}

static uint64_t used_memkb(const struct sim *sim)
{
    uint64_t used = 0;

    for (uint32_t i = 0; i < sim->hi; i++)
        if (sim->doms[i])
            used += sim->doms[i]->st.target_memkb;
    return used;
}

static uint64_t free_memkb(const struct sim *sim)
{
    uint64_t used = used_memkb(sim);

    /* A host given less memory on reload than its guests hold has none
     * free, not a negative amount. */
    return used >= sim->host.total_memkb ? 0 : sim->host.total_memkb - used;
}

static int dom_ignores(const struct sim_dom *d)
{
    return d->st.ignore_shutdown >= 0 ? d->st.ignore_shutdown
                                      : d->sim->host.ignore_shutdown;
}

static int64_t dom_delay(const struct sim_dom *d)
{
    return d->st.shutdown_delay_ms >= 0 ? d->st.shutdown_delay_ms
                                        : d->sim->host.shutdown_delay_ms;
}

/* Whether the guest's vcpus run: they do not while it is paused, shut
 * down, being built, restored or destroyed. */
static bool dom_runs(const struct sim_dom *d)
{
    return !d->st.paused && !d->st.shutdown && d->st.op != SIM_OP_CREATE
           && d->st.op != SIM_OP_RESTORE && d->st.op != SIM_OP_DESTROY;
}

/* The guest's type as libxl names it ("pv", "pvh", "hvm"); a config
 * that leaves it out (the unit tests' do) counts as PV, as in xl. */
static const char *dom_type_name(const struct sim_dom *d)
{
    const char *s = d->st.type == LIBXL_DOMAIN_TYPE_HVM
                    || d->st.type == LIBXL_DOMAIN_TYPE_PVH
                    ? libxl_domain_type_to_string(d->st.type) : NULL;

    return s ? s : "pv";
}

/* Cpu time: every online vcpu of a running guest is busy a tenth of the
 * time, which makes xl list's Time(s) move at a believable pace, unless
 * the domain's credit2 cap (a percentage of one cpu) allows less. */
static uint64_t dom_cpu_ns(const struct sim_dom *d, int64_t now)
{
    uint64_t ns = d->st.cpu_ns;
    uint64_t per_ms = 100000u * (uint64_t)d->st.vcpu_online;

    if (d->st.cap > 0 && (uint64_t)d->st.cap * 10000u < per_ms)
        per_ms = (uint64_t)d->st.cap * 10000u;
    if (dom_runs(d) && now > d->st.cpu_stamp)
        ns += (uint64_t)(now - d->st.cpu_stamp) * per_ms;
    return ns;
}

/* Account the cpu time up to now, before anything that changes whether
 * or how fast it grows. */
static void dom_fold(struct sim_dom *d, int64_t now)
{
    d->st.cpu_ns = dom_cpu_ns(d, now);
    d->st.cpu_stamp = now;
}

static void note_free_list(struct sim_note *n)
{
    while (n) {
        struct sim_note *next = n->next;

        free(n);
        n = next;
    }
}

static void stream_free(struct sim_stream *s)
{
    free(s);
}

static void op_free(struct sim_op *op)
{
    if (!op)
        return;
    xld_loop_cancel(op->timer);
    free(op->done_note);
    free(op->death_note);
    stream_free(op->stream);
    free(op);
}

/* ---- cpu placement ------------------------------------------------- */

/* A map of the host's cpus, all clear: libxl_bitmap_alloc without the
 * libxl context the simulator does not have. */
static int map_alloc(const struct sim *sim, libxl_bitmap *m)
{
    libxl_bitmap_init(m);
    m->size = (uint32_t)(sim->host.cpus + 7) / 8;
    m->map = calloc(m->size, 1);
    if (!m->map) {
        m->size = 0;
        return -ENOMEM;
    }
    return 0;
}

/* Every cpu of the host in m. */
static void map_fill(const struct sim *sim, libxl_bitmap *m)
{
    for (int c = 0; c < sim->host.cpus; c++)
        libxl_bitmap_set(m, c);
}

/* dst = the cpus of src that the host has (dst is a host map). */
static void map_take(const struct sim *sim, libxl_bitmap *dst,
                     const libxl_bitmap *src)
{
    memset(dst->map, 0, dst->size);
    for (int c = 0; c < sim->host.cpus && (uint32_t)c < src->size * 8; c++)
        if (libxl_bitmap_test(src, c))
            libxl_bitmap_set(dst, c);
}

static void vcpus_free(struct sim_vcpu *v, int n)
{
    for (int i = 0; v && i < n; i++) {
        libxl_bitmap_dispose(&v[i].hard);
        libxl_bitmap_dispose(&v[i].soft);
    }
    free(v);
}

/*
 * n vcpus placed as a config asks (dc: its cpus= and cpus_soft= maps, a
 * vcpu without one may run anywhere; NULL: anywhere), as libxl applies
 * them when it builds the domain.  A hard map that leaves a vcpu none of
 * the host's cpus is taken as all of them, as Xen falls back to its
 * pool's cpus.
 */
static int vcpus_make(const struct sim *sim, int n,
                      const libxl_domain_config *dc, struct sim_vcpu **out)
{
    const libxl_domain_build_info *b = dc ? &dc->b_info : NULL;
    struct sim_vcpu *v = calloc(n > 0 ? (size_t)n : 1, sizeof(*v));
    int rc = 0;

    *out = NULL;
    if (!v)
        return -ENOMEM;
    for (int i = 0; i < n; i++) {
        libxl_bitmap_init(&v[i].hard);
        libxl_bitmap_init(&v[i].soft);
    }
    for (int i = 0; i < n && !rc; i++) {
        rc = map_alloc(sim, &v[i].hard);
        if (!rc)
            rc = map_alloc(sim, &v[i].soft);
        if (rc)
            break;
        if (b && i < b->num_vcpu_hard_affinity)
            map_take(sim, &v[i].hard, &b->vcpu_hard_affinity[i]);
        if (libxl_bitmap_is_empty(&v[i].hard))
            map_fill(sim, &v[i].hard);
        if (b && i < b->num_vcpu_soft_affinity)
            map_take(sim, &v[i].soft, &b->vcpu_soft_affinity[i]);
        else
            map_fill(sim, &v[i].soft);
    }
    if (rc) {
        vcpus_free(v, n);
        return rc;
    }
    *out = v;
    return 0;
}

/* A deep copy of d's vcpus, for a change that may have to be undone. */
static int vcpus_copy(const struct sim_dom *d, struct sim_vcpu **out)
{
    int n = d->st.vcpu_max, rc = vcpus_make(d->sim, n, NULL, out);

    for (int i = 0; !rc && i < n; i++) {
        memcpy((*out)[i].hard.map, d->vcpus[i].hard.map,
               (*out)[i].hard.size);
        memcpy((*out)[i].soft.map, d->vcpus[i].soft.map,
               (*out)[i].soft.size);
    }
    return rc;
}

/* Credit2's defaults (a weight of 256, no cap), or what the config
 * asks. */
static void sched_from_config(struct sim_dom_state *st,
                              const libxl_domain_config *dc)
{
    const libxl_domain_sched_params *sp = dc ? &dc->b_info.sched_params
                                             : NULL;

    st->weight = sp && sp->weight >= 1 && sp->weight <= 65535
                 ? sp->weight : 256;
    st->cap = sp && sp->cap >= 0 && sp->cap <= 100 * st->vcpu_max
              ? sp->cap : 0;
}

static void devs_free(struct sim_dev *devs, int n)
{
    for (int i = 0; devs && i < n; i++) {
        free(devs[i].vdev);
        free(devs[i].target);
    }
    free(devs);
}

static void dom_free(struct sim_dom *d)
{
    if (!d)
        return;
    xld_loop_cancel(d->answer_timer);
    op_free(d->op);
    vcpus_free(d->vcpus, d->st.vcpu_max);
    devs_free(d->devs, d->ndevs);
    free(d->pcis);
    if (d->con)
        xld_simcon_dispose(d->con);
    free(d->con);
    free(d->userdata);
    free(d->name);
    free(d);
}

static void dom_insert(struct sim *sim, struct sim_dom *d)
{
    sim->doms[d->domid] = d;
    if (d->domid >= sim->hi)
        sim->hi = d->domid + 1;
}

/* ---- the note queue ------------------------------------------------ */

static void notes_deliver(void *opaque);

static void notes_arm(struct sim *sim)
{
    /* If the loop cannot allocate a timer, the notes wait for the next
     * push to try again: there is nothing better to do without memory. */
    if (sim->notes && !sim->note_timer)
        xld_loop_timer(sim->loop, 0, notes_deliver, sim, &sim->note_timer);
}

static void notes_push(struct sim *sim, struct sim_note *n)
{
    n->next = NULL;
    if (sim->notes_tail)
        sim->notes_tail->next = n;
    else
        sim->notes = n;
    sim->notes_tail = n;
    notes_arm(sim);
}

static void notes_deliver(void *opaque)
{
    struct sim *sim = opaque;
    struct sim_note *n = sim->notes, copy;

    sim->note_timer = NULL;
    if (!n)
        return;
    sim->notes = n->next;
    if (!sim->notes)
        sim->notes_tail = NULL;
    notes_arm(sim);
    copy = *n;
    free(n);
    /* The callback is the last thing done here: xld may call anything
     * from it, close() included, which frees sim. */
    switch (copy.kind) {
    case SIM_NOTE_EVENT:
        if (sim->events)
            sim->events(sim->events_opaque, &copy.ev);
        break;
    case SIM_NOTE_DONE:
        copy.done(copy.opaque, copy.rc);
        break;
    case SIM_NOTE_PROGRESS:
        copy.progress(copy.opaque, copy.done_bytes, copy.total_bytes);
        break;
    }
}

/* Queue an event in a note allocated beforehand (so that reporting
 * cannot fail once the state has changed). */
static void notes_event(struct sim *sim, struct sim_note *n,
                        enum xld_backend_event_type type, uint32_t domid,
                        libxl_shutdown_reason reason)
{
    if (!sim->events) {
        free(n);
        return;
    }
    n->kind = SIM_NOTE_EVENT;
    n->ev.type = type;
    n->ev.domid = domid;
    n->ev.reason = reason;
    notes_push(sim, n);
}

/* ---- files --------------------------------------------------------- */

static int write_all(int fd, const void *data, size_t len)
{
    const char *p = data;

    while (len) {
        ssize_t n = write(fd, p, len);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        if (n == 0)
            return -EIO;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Replace the file name in the state directory with data: a reader (the
 * next xld) sees the old content or the new, never a mix. */
static int write_atomic(struct sim *sim, const char *name, const void *data,
                        size_t len)
{
    char tmp[NAME_MAX + 1];
    int fd = -1, rc;

    if ((size_t)snprintf(tmp, sizeof(tmp), ".%s.tmp", name) >= sizeof(tmp)) {
        rc = -ENAMETOOLONG;
        goto out;
    }
    fd = openat(sim->dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
                0600);
    if (fd < 0) {
        rc = -errno;
        goto out;
    }
    rc = write_all(fd, data, len);
    if (rc)
        goto out;
    if (sim->sync && fsync(fd) < 0) {
        rc = -errno;
        goto out;
    }
    rc = close(fd) < 0 ? -errno : 0;
    fd = -1;
    if (rc)
        goto out;
    if (renameat(sim->dirfd, tmp, sim->dirfd, name) < 0) {
        rc = -errno;
        goto out;
    }
    /* The new content is in place for every reader from here on; a
     * directory that cannot be synced only weakens the promise for a
     * power cut, which the simulation does not survive anyway. */
    if (sim->sync)
        fsync(sim->dirfd);
out:
    if (fd >= 0)
        close(fd);
    if (rc)
        unlinkat(sim->dirfd, tmp, 0);
    return rc;
}

/* The whole file, with a NUL after it (for yajl), or -errno. */
static int read_whole(int dirfd, const char *name, char **out, size_t *len)
{
    char *buf = NULL;
    size_t cap = 0, n = 0;
    int fd, rc = 0;

    *out = NULL;
    fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        rc = -errno;
        goto out;
    }
    for (;;) {
        ssize_t got;

        if (cap - n < 4096) {
            char *nb = realloc(buf, cap = cap * 2 + 8192);

            if (!nb) {
                rc = -ENOMEM;
                goto out;
            }
            buf = nb;
        }
        got = read(fd, buf + n, cap - n - 1);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            rc = -errno;
            goto out;
        }
        if (got == 0)
            break;
        n += (size_t)got;
    }
    buf[n] = '\0';
    *out = buf;
    *len = n;
    buf = NULL;
out:
    if (fd >= 0)
        close(fd);
    free(buf);
    return rc;
}

/* ---- writing state ------------------------------------------------- */

/* yajl_gen with the first error kept, so that a record is written with
 * straight-line code and checked once. */
struct jw {
    yajl_gen g;
    yajl_gen_status st;
};

static void jw_key(struct jw *w, const char *key)
{
    if (w->st == yajl_gen_status_ok)
        w->st = yajl_gen_string(w->g, (const unsigned char *)key,
                                strlen(key));
}

static void jw_int(struct jw *w, const char *key, long long v)
{
    jw_key(w, key);
    if (w->st == yajl_gen_status_ok)
        w->st = yajl_gen_integer(w->g, v);
}

static void jw_bool(struct jw *w, const char *key, bool v)
{
    jw_key(w, key);
    if (w->st == yajl_gen_status_ok)
        w->st = yajl_gen_bool(w->g, v);
}

static void jw_str(struct jw *w, const char *key, const char *v)
{
    jw_key(w, key);
    if (w->st == yajl_gen_status_ok)
        w->st = yajl_gen_string(w->g, (const unsigned char *)v, strlen(v));
}

/* A map as hexadecimal digits, two a byte, in the map's byte order. */
static void jw_map(struct jw *w, const libxl_bitmap *m)
{
    static const char digits[] = "0123456789abcdef";
    char *hex;

    if (w->st != yajl_gen_status_ok)
        return;
    hex = malloc((size_t)m->size * 2 + 1);
    if (!hex) {
        w->st = yajl_gen_generation_complete;   /* any error will do */
        return;
    }
    for (uint32_t i = 0; i < m->size; i++) {
        hex[2 * i] = digits[m->map[i] >> 4];
        hex[2 * i + 1] = digits[m->map[i] & 15];
    }
    w->st = yajl_gen_string(w->g, (const unsigned char *)hex,
                            (size_t)m->size * 2);
    free(hex);
}

/* Every vcpu's affinity, as [[hard, soft], ...]. */
static void jw_vcpus(struct jw *w, const char *key, const struct sim_dom *d)
{
    jw_key(w, key);
    if (w->st == yajl_gen_status_ok)
        w->st = yajl_gen_array_open(w->g);
    for (int i = 0; i < d->st.vcpu_max && d->vcpus; i++) {
        if (w->st == yajl_gen_status_ok)
            w->st = yajl_gen_array_open(w->g);
        jw_map(w, &d->vcpus[i].hard);
        jw_map(w, &d->vcpus[i].soft);
        if (w->st == yajl_gen_status_ok)
            w->st = yajl_gen_array_close(w->g);
    }
    if (w->st == yajl_gen_status_ok)
        w->st = yajl_gen_array_close(w->g);
}

/* Every device, as [{"vif": false, "devid": 51712, "vdev": "xvda",
 * ...}, ...]. */
static void jw_devs(struct jw *w, const char *key, const struct sim_dom *d)
{
    char mac[32];

    jw_key(w, key);
    if (w->st == yajl_gen_status_ok)
        w->st = yajl_gen_array_open(w->g);
    for (int i = 0; i < d->ndevs; i++) {
        const struct sim_dev *v = &d->devs[i];

        if (w->st == yajl_gen_status_ok)
            w->st = yajl_gen_map_open(w->g);
        jw_bool(w, "vif", v->vif);
        jw_int(w, "devid", v->devid);
        if (v->vif) {
            snprintf(mac, sizeof(mac), LIBXL_MAC_FMT,
                     LIBXL_MAC_BYTES(v->mac));
            jw_str(w, "mac", mac);
        } else {
            jw_str(w, "vdev", v->vdev);
            if (v->target)
                jw_str(w, "target", v->target);
            if (v->cdrom)
                jw_bool(w, "cdrom", true);
        }
        jw_int(w, "evtch", v->evtch);
        jw_int(w, "rref", v->rref);
        jw_int(w, "rref_rx", v->rref_rx);
        if (w->st == yajl_gen_status_ok)
            w->st = yajl_gen_map_close(w->g);
    }
    if (w->st == yajl_gen_status_ok)
        w->st = yajl_gen_array_close(w->g);
}

/* A PCI address as libxl writes one: "0000:03:00.0". */
static void bdf_text(unsigned bdf, char *buf, size_t size)
{
    snprintf(buf, size, "%04x:%02x:%02x.%x", bdf >> 16, (bdf >> 8) & 0xff,
             (bdf >> 3) & 0x1f, bdf & 7);
}

/* The PCI devices a domain has, as [{"bdf": "0000:03:00.0", "vdevfn": 32,
 * ...}, ...]. */
static void jw_pcis(struct jw *w, const char *key, const struct sim_dom *d)
{
    char bdf[16];

    jw_key(w, key);
    if (w->st == yajl_gen_status_ok)
        w->st = yajl_gen_array_open(w->g);
    for (int i = 0; i < d->npcis; i++) {
        const struct sim_pci *p = &d->pcis[i];

        bdf_text(p->bdf, bdf, sizeof(bdf));
        if (w->st == yajl_gen_status_ok)
            w->st = yajl_gen_map_open(w->g);
        jw_str(w, "bdf", bdf);
        jw_int(w, "vdevfn", p->vdevfn);
        jw_bool(w, "msitranslate", p->msitranslate);
        jw_bool(w, "power_mgmt", p->power_mgmt);
        jw_bool(w, "permissive", p->permissive);
        jw_int(w, "rdm_policy", p->rdm_policy);
        if (w->st == yajl_gen_status_ok)
            w->st = yajl_gen_map_close(w->g);
    }
    if (w->st == yajl_gen_status_ok)
        w->st = yajl_gen_array_close(w->g);
}

/* The host's PCI devices, as [{"bdf": ..., "assignable": true, "name":
 * ...}, ...]. */
static void jw_hostpci(struct jw *w, const char *key, const struct sim *sim)
{
    char bdf[16];

    jw_key(w, key);
    if (w->st == yajl_gen_status_ok)
        w->st = yajl_gen_array_open(w->g);
    for (int i = 0; i < SIM_NPCI; i++) {
        const struct sim_hostpci *h = &sim->pci[i];

        bdf_text(h->bdf, bdf, sizeof(bdf));
        if (w->st == yajl_gen_status_ok)
            w->st = yajl_gen_map_open(w->g);
        jw_str(w, "bdf", bdf);
        jw_bool(w, "assignable", h->assignable);
        if (h->name)
            jw_str(w, "name", h->name);
        if (w->st == yajl_gen_status_ok)
            w->st = yajl_gen_map_close(w->g);
    }
    if (w->st == yajl_gen_status_ok)
        w->st = yajl_gen_array_close(w->g);
}

static int jw_begin(struct jw *w)
{
    w->g = yajl_gen_alloc(NULL);
    if (!w->g)
        return -ENOMEM;
    w->st = yajl_gen_map_open(w->g);
    return 0;
}

/* Close the record and write it to the file name. */
static int jw_commit(struct sim *sim, struct jw *w, const char *name)
{
    const unsigned char *buf;
    size_t len;
    int rc;

    if (w->st == yajl_gen_status_ok)
        w->st = yajl_gen_map_close(w->g);
    if (w->st == yajl_gen_status_ok)
        w->st = yajl_gen_get_buf(w->g, &buf, &len);
    if (w->st != yajl_gen_status_ok) {
        /* yajl only fails here for want of memory: the calls are always
         * balanced. */
        rc = -ENOMEM;
        goto out;
    }
    rc = write_atomic(sim, name, buf, len);
out:
    yajl_gen_free(w->g);
    w->g = NULL;
    return rc;
}

static int host_persist(struct sim *sim)
{
    const struct sim_host *h = &sim->host;
    struct jw w;
    int rc = jw_begin(&w);

    if (rc)
        return rc;
    jw_int(&w, "format", SIM_STATE_FORMAT);
    jw_int(&w, "total_memkb", (long long)h->total_memkb);
    jw_int(&w, "dom0_memkb", (long long)h->dom0_memkb);
    jw_int(&w, "cpus", h->cpus);
    jw_int(&w, "nodes", h->nodes);
    jw_int(&w, "next_domid", h->next_domid);
    jw_int(&w, "fail_next", h->fail_next);
    jw_int(&w, "create_ms", h->create_ms);
    jw_int(&w, "save_ms_per_gib", h->save_ms_per_gib);
    jw_int(&w, "restore_ms_per_gib", h->restore_ms_per_gib);
    jw_int(&w, "destroy_ms", h->destroy_ms);
    jw_int(&w, "shutdown_delay_ms", h->shutdown_delay_ms);
    jw_bool(&w, "ignore_shutdown", h->ignore_shutdown);
    jw_int(&w, "started", h->started);
    jw_hostpci(&w, "pci", sim);
    return jw_commit(sim, &w, "host.json");
}

static void dom_file(char *buf, size_t size, uint32_t domid, const char *ext)
{
    snprintf(buf, size, "domain-%" PRIu32 ".%s", domid, ext);
}

static int dom_persist(struct sim *sim, const struct sim_dom *d)
{
    char uuid[40], file[64];
    const char *reason;
    struct jw w;
    int rc;

    /* Domain-0 is rebuilt from the host at every open. */
    if (d->domid == 0)
        return 0;
    rc = jw_begin(&w);
    if (rc)
        return rc;
    snprintf(uuid, sizeof(uuid), LIBXL_UUID_FMT,
             LIBXL_UUID_BYTES(d->st.uuid));
    reason = libxl_shutdown_reason_to_string(d->st.reason);
    jw_int(&w, "domid", d->domid);
    jw_str(&w, "uuid", uuid);
    jw_str(&w, "name", d->name);
    jw_bool(&w, "paused", d->st.paused);
    jw_bool(&w, "shutdown", d->st.shutdown);
    jw_str(&w, "reason", reason ? reason : "unknown");
    jw_str(&w, "op", op_names[d->st.op]);
    jw_bool(&w, "op_paused", d->st.op_paused);
    jw_str(&w, "request", request_names[d->st.request]);
    jw_int(&w, "request_deadline", d->st.request_deadline);
    jw_int(&w, "target_memkb", (long long)d->st.target_memkb);
    jw_int(&w, "max_memkb", (long long)d->st.max_memkb);
    jw_int(&w, "vcpus", d->st.vcpu_online);
    jw_int(&w, "max_vcpus", d->st.vcpu_max);
    jw_int(&w, "cpu_ns", (long long)d->st.cpu_ns);
    jw_int(&w, "cpu_stamp", d->st.cpu_stamp);
    jw_int(&w, "ignore_shutdown", d->st.ignore_shutdown);
    jw_int(&w, "shutdown_delay_ms", d->st.shutdown_delay_ms);
    jw_bool(&w, "no_pv_control", d->st.no_pv_control);
    jw_int(&w, "nics", d->st.nics);
    jw_int(&w, "disks", d->st.disks);
    jw_int(&w, "weight", d->st.weight);
    jw_int(&w, "cap", d->st.cap);
    jw_vcpus(&w, "affinity", d);
    jw_devs(&w, "devices", d);
    jw_pcis(&w, "pci", d);
    jw_str(&w, "type", libxl_domain_type_to_string(d->st.type)
                       ? libxl_domain_type_to_string(d->st.type)
                       : "invalid");
    dom_file(file, sizeof(file), d->domid, "json");
    return jw_commit(sim, &w, file);
}

/* Forget a domain on disk: its record first, so that a crash in between
 * leaves a stray userdata file (removed by the next open) rather than a
 * domain without its userdata. */
static void dom_unpersist(struct sim *sim, uint32_t domid)
{
    char file[64];
    int removed = 0;

    dom_file(file, sizeof(file), domid, "json");
    removed += unlinkat(sim->dirfd, file, 0) == 0;
    dom_file(file, sizeof(file), domid, "userdata");
    removed += unlinkat(sim->dirfd, file, 0) == 0;
    /* Only a directory that changed needs syncing (create calls this for
     * every new domid, which usually has nothing to remove). */
    if (sim->sync && removed)
        fsync(sim->dirfd);
}

/* The domain is gone: from disk, then from memory. */
static void dom_remove(struct sim *sim, struct sim_dom *d)
{
    dom_unpersist(sim, d->domid);
    sim->doms[d->domid] = NULL;
    dom_free(d);
}

/* ---- the guest's console ------------------------------------------- */

static void con_answer(void *opaque, const char *line);

/* d's console, made on first use; NULL without memory, when what the
 * guest writes is lost, as on a line nobody listens to. */
static struct xld_simcon *dom_con(struct sim_dom *d)
{
    if (!d->con) {
        d->con = malloc(sizeof(*d->con));
        if (d->con)
            xld_simcon_init(d->con, d->sim->loop, con_answer, d);
    }
    return d->con;
}

/* The device the guest's kernel writes its console to. */
static const char *con_device(const struct sim_dom *d)
{
    return d->st.type == LIBXL_DOMAIN_TYPE_HVM ? "ttyS0" : "hvc0";
}

/* getty's prompt, which stays on its line. */
static void con_prompt(struct sim_dom *d, struct xld_simcon *c)
{
    char buf[SIM_NAME_MAX + 16];
    int n = snprintf(buf, sizeof(buf), "%s login: ", d->name);

    if (n > 0)
        xld_simcon_write(c, buf, (size_t)n < sizeof(buf) ? (size_t)n
                                                          : sizeof(buf) - 1);
}

/* Who the guest is, as its kernel would find out at boot. */
static void con_identity(struct sim_dom *d, struct xld_simcon *c,
                         const char *how)
{
    xld_simcon_kmsg(c, "Xen: %s guest %s, domid %" PRIu32 ", %" PRIu64
                    " MiB, %d vcpu%s%s", dom_type_name(d), d->name,
                    d->domid, d->st.target_memkb / 1024, d->st.vcpu_online,
                    d->st.vcpu_online == 1 ? "" : "s", how);
}

/* A simulated Linux boots: a few of its lines, then getty's banner and
 * prompt. */
static void con_boot(struct sim_dom *d, struct xld_simcon *c)
{
    xld_simcon_boot(c);
    xld_simcon_kmsg(c, "Linux version 6.1.0-sim (xld@sim) #1 SMP "
                    "PREEMPT_DYNAMIC Debian 6.1.0-sim");
    xld_simcon_kmsg(c, "Command line: root=/dev/xvda1 ro console=%s",
                    con_device(d));
    /* A PVH guest is an HVM container to the kernel that runs in it. */
    xld_simcon_kmsg(c, "Hypervisor detected: Xen %s",
                    d->st.type == LIBXL_DOMAIN_TYPE_HVM
                    || d->st.type == LIBXL_DOMAIN_TYPE_PVH ? "HVM" : "PV");
    con_identity(d, c, "");
    xld_simcon_kmsg(c, "Memory: %" PRIu64 "K/%" PRIu64 "K available",
                    d->st.target_memkb, d->st.max_memkb);
    xld_simcon_kmsg(c, "smp: Brought up 1 node, %d CPU%s",
                    d->st.vcpu_online, d->st.vcpu_online == 1 ? "" : "s");
    xld_simcon_kmsg(c, "Run /sbin/init as init process");
    xld_simcon_printf(c, "%s", "");
    xld_simcon_printf(c, "Debian GNU/Linux 12 %s %s", d->name,
                      con_device(d));
    xld_simcon_printf(c, "%s", "");
    con_prompt(d, c);
}

/* The guest runs again where its image was saved. */
static void con_resume(struct sim_dom *d, struct xld_simcon *c)
{
    xld_simcon_boot(c);
    con_identity(d, c, ", restored");
    xld_simcon_kmsg(c, "Restarting tasks ... done.");
    xld_simcon_printf(c, "%s", "");
    con_prompt(d, c);
}

/*
 * The guest answers a line typed on its console with "sim: NAME: LINE"
 * and a new prompt (an empty line gets the prompt alone): simple, and
 * the same every time, so that a test sees that what it typed arrived.
 */
static void con_answer(void *opaque, const char *line)
{
    struct sim_dom *d = opaque;

    if (*line)
        xld_simcon_printf(d->con, "sim: %s: %s", d->name, line);
    con_prompt(d, d->con);
}

/* The guest's last lines as it shuts down for reason. */
static void con_shutdown(struct sim_dom *d, libxl_shutdown_reason reason)
{
    struct xld_simcon *c = dom_con(d);

    if (!c)
        return;
    switch (reason) {
    case LIBXL_SHUTDOWN_REASON_POWEROFF:
        xld_simcon_kmsg(c, "reboot: Power down");
        break;
    case LIBXL_SHUTDOWN_REASON_REBOOT:
        xld_simcon_kmsg(c, "reboot: Restarting system");
        break;
    case LIBXL_SHUTDOWN_REASON_CRASH:
        xld_simcon_kmsg(c, "Kernel panic - not syncing: Fatal exception");
        break;
    case LIBXL_SHUTDOWN_REASON_WATCHDOG:
        xld_simcon_kmsg(c, "watchdog: BUG: soft lockup - CPU#0 stuck for "
                        "23s!");
        break;
    case LIBXL_SHUTDOWN_REASON_SOFT_RESET:
        xld_simcon_kmsg(c, "kexec_core: Starting new kernel");
        break;
    default:
        break;
    }
}

/* A save begins: the guest's processes stop. */
static void con_freeze(struct sim_dom *d)
{
    struct xld_simcon *c = dom_con(d);

    if (c)
        xld_simcon_kmsg(c, "Freezing user space processes ... (elapsed "
                        "0.001 seconds) done.");
}

/* The guest goes on after a checkpoint, a failed save or a failed
 * migration. */
static void con_thaw(struct sim_dom *d)
{
    struct xld_simcon *c = dom_con(d);

    if (c)
        xld_simcon_kmsg(c, "Restarting tasks ... done.");
}

/*
 * The console follows the guest's state: the guest reads what is typed
 * only while it runs, and writes what it has to write (its boot, its
 * return from a save) once it runs again.  Called with every change of
 * state, from dom_arm_answer.
 */
static void dom_con_sync(struct sim_dom *d)
{
    bool runs = dom_runs(d) && !d->op;
    struct xld_simcon *c;

    if (runs && d->con_next != SIM_CON_NOTHING && (c = dom_con(d))) {
        if (d->con_next == SIM_CON_BOOT)
            con_boot(d, c);
        else
            con_resume(d, c);
        d->con_next = SIM_CON_NOTHING;
    }
    if (d->con)
        xld_simcon_set_reading(d->con, runs);
}

/* ---- the guest answering requests ---------------------------------- */

static void answer_fire(void *opaque);

/* (Re)arm the timer at which the guest answers its pending request, or
 * disarm it when the guest cannot answer now: it is paused, busy with an
 * operation, or ignores requests.  Whatever changes one of those calls
 * this again, which is also where the console follows (dom_con_sync). */
static void dom_arm_answer(struct sim *sim, struct sim_dom *d)
{
    int64_t wait;

    dom_con_sync(d);
    xld_loop_cancel(d->answer_timer);
    d->answer_timer = NULL;
    if (d->st.request == SIM_REQ_NONE || d->st.shutdown || d->st.paused
        || d->op || d->st.op != SIM_OP_NONE || dom_ignores(d))
        return;
    wait = d->st.request_deadline - wall_ms();
    /* Without a timer the request stays pending until the next change
     * re-arms it; that is all we can do without memory. */
    xld_loop_timer(sim->loop, wait > 0 ? (uint64_t)wait : 0, answer_fire, d,
                   &d->answer_timer);
}

/*
 * The guest shuts itself down with reason, at wall time at, and an event
 * says so.  strict: an op asked for it, and a state file that cannot be
 * written undoes it and fails the op; otherwise (a timer, a reload) the
 * guest did it whatever the disk says, and the next write records it.
 */
static int dom_shut(struct sim *sim, struct sim_dom *d,
                    libxl_shutdown_reason reason, int64_t at, bool strict,
                    struct sim_note *note)
{
    struct sim_dom_state old = d->st;
    int rc;

    dom_fold(d, at);
    d->st.shutdown = true;
    d->st.reason = reason;
    d->st.request = SIM_REQ_NONE;
    d->st.request_deadline = 0;
    rc = dom_persist(sim, d);
    if (rc && strict) {
        d->st = old;
        free(note);
        goto out;
    }
    rc = 0;
    con_shutdown(d, reason);
    notes_event(sim, note, XLD_BE_DOMAIN_SHUTDOWN, d->domid, reason);
out:
    dom_arm_answer(sim, d);
    return rc;
}

static void answer_fire(void *opaque)
{
    struct sim_dom *d = opaque;
    struct sim *sim = d->sim;
    struct sim_note *note;
    libxl_shutdown_reason reason;

    d->answer_timer = NULL;
    if (d->st.request == SIM_REQ_NONE || d->st.shutdown)
        return;
    note = calloc(1, sizeof(*note));
    if (!note) {
        /* Try again a little later rather than lose the answer. */
        xld_loop_timer(sim->loop, 100, answer_fire, d, &d->answer_timer);
        return;
    }
    reason = d->st.request == SIM_REQ_REBOOT ? LIBXL_SHUTDOWN_REASON_REBOOT
                                             : LIBXL_SHUTDOWN_REASON_POWEROFF;
    dom_shut(sim, d, reason, wall_ms(), false, note);
}

/* ---- operations in flight ------------------------------------------ */

static void op_tick(void *opaque);

static struct sim_op *op_new(struct sim *sim, struct sim_dom *d,
                             enum sim_op_kind kind, bool death,
                             xld_backend_progress_fn *progress,
                             xld_backend_done_fn *done, void *opaque)
{
    struct sim_op *op = calloc(1, sizeof(*op));

    if (!op)
        goto out;
    op->sim = sim;
    op->dom = d;
    op->kind = kind;
    op->fd = -1;
    op->done = done;
    op->progress = progress;
    op->opaque = opaque;
    op->started = xld_loop_now(sim->loop);
    op->done_note = calloc(1, sizeof(*op->done_note));
    if (!op->done_note)
        goto out;
    if (death) {
        op->death_note = calloc(1, sizeof(*op->death_note));
        if (!op->death_note)
            goto out;
    }
    return op;
out:
    op_free(op);
    return NULL;
}

static int op_arm(struct sim_op *op, uint64_t ms)
{
    return -xld_loop_timer(op->sim->loop, ms, op_tick, op, &op->timer);
}

/* Report progress, at most every SIM_PROGRESS_MS (and always at the
 * end), as a fraction of the guest's memory. */
static void op_progress(struct sim_op *op, bool final)
{
    struct sim_stream *s = op->stream;
    uint64_t now = xld_loop_now(op->sim->loop);
    struct sim_note *n;
    double frac;

    if (!op->progress || !s->total)
        return;
    if (!final && op->last_progress
        && now - op->last_progress < SIM_PROGRESS_MS)
        return;
    n = calloc(1, sizeof(*n));
    /* A report lost for want of memory is only a report. */
    if (!n)
        return;
    frac = final ? 1.0 : (double)s->pos / (double)s->total;
    n->kind = SIM_NOTE_PROGRESS;
    n->progress = op->progress;
    n->opaque = op->opaque;
    n->total_bytes = op->mem_bytes;
    n->done_bytes = final ? op->mem_bytes
                          : (uint64_t)(frac * (double)op->mem_bytes);
    if (n->done_bytes > op->mem_bytes)
        n->done_bytes = op->mem_bytes;
    op->last_progress = now ? now : 1;
    notes_push(op->sim, n);
}

/*
 * The op is over with rc: queue its death event (gone, and the op had
 * one to send) and its done(), then either remove the domain (gone) or
 * record the state the caller has set.
 */
static void op_finish(struct sim_op *op, int rc, bool gone)
{
    struct sim *sim = op->sim;
    struct sim_dom *d = op->dom;

    if (gone && op->death_note) {
        notes_event(sim, op->death_note, XLD_BE_DOMAIN_DEATH, d->domid,
                    LIBXL_SHUTDOWN_REASON_UNKNOWN);
        op->death_note = NULL;
    }
    op->done_note->kind = SIM_NOTE_DONE;
    op->done_note->done = op->done;
    op->done_note->opaque = op->opaque;
    op->done_note->rc = rc;
    notes_push(sim, op->done_note);
    op->done_note = NULL;
    /* A guest that a save leaves running says so on its console; the
     * end of a live migration's send leaves it suspended. */
    if (op->kind == SIM_OP_SAVE && !gone && !(op->live && rc == 0))
        con_thaw(d);
    /* A failed migration that was not live gives the guest back. */
    if (op->stopped && rc && !gone) {
        dom_fold(d, wall_ms());
        d->st.paused = false;
    }
    d->op = NULL;
    d->st.op = SIM_OP_NONE;
    op_free(op);
    if (gone) {
        dom_remove(sim, d);
        return;
    }
    /* The guest's state moved on whether or not the disk follows; the
     * next write of this domain records it. */
    dom_persist(sim, d);
    dom_arm_answer(sim, d);
}

/* How far a paced stream may have got by now. */
static uint64_t op_allowed(const struct sim_op *op)
{
    uint64_t elapsed = xld_loop_now(op->sim->loop) - op->started;
    const struct sim_stream *s = op->stream;

    if (!s->total || elapsed >= op->duration)
        return UINT64_MAX;
    return (uint64_t)((double)s->total * (double)elapsed
                      / (double)op->duration);
}

/* ---- the image: writing -------------------------------------------- */

/* The data bytes [off, off + len) into buf: zeroes and the markers. */
static void data_make(const struct sim_stream *s, uint64_t off,
                      unsigned char *buf, size_t len)
{
    memset(buf, 0, len);
    for (uint64_t k = off / SIM_MARK_EVERY; k * SIM_MARK_EVERY < off + len;
         k++) {
        unsigned char mark[SIM_MARK_LEN];
        uint64_t m = k * SIM_MARK_EVERY;

        put_le64(mark, k);
        memcpy(mark + 8, s->tag, 8);
        for (unsigned i = 0; i < SIM_MARK_LEN; i++)
            if (m + i >= off && m + i < off + len)
                buf[m + i - off] = mark[i];
    }
}

static struct sim_stream *stream_for_save(const struct sim_dom *d, int fd)
{
    struct sim_stream *s = calloc(1, sizeof(*s));
    size_t name_len = strlen(d->name);
    struct stat sb;
    off_t cur;
    int fl;

    if (!s)
        return NULL;
    s->hdr_len = SIM_IMAGE_FIXED + name_len;
    s->data_len = d->st.target_memkb;
    s->total = s->hdr_len + s->data_len + SIM_TRAILER;
    s->fnv = FNV_OFFSET;
    memcpy(s->tag, d->st.uuid.uuid, 8);
    memcpy(s->hdr, SIM_IMAGE_MAGIC, 8);
    put_le32(s->hdr + 8, SIM_IMAGE_VERSION);
    put_le32(s->hdr + 12, (uint32_t)s->hdr_len);
    put_le64(s->hdr + 16, s->data_len);
    put_le64(s->hdr + 24, d->st.target_memkb);
    put_le64(s->hdr + 32, d->st.max_memkb);
    put_le32(s->hdr + 40, (uint32_t)d->st.vcpu_online);
    put_le32(s->hdr + 44, (uint32_t)d->st.vcpu_max);
    memcpy(s->hdr + 48, d->st.uuid.uuid, 16);
    put_le32(s->hdr + 64, (uint32_t)name_len);
    memcpy(s->hdr + SIM_IMAGE_FIXED, d->name, name_len);
    /* Skipping zeroes with lseek is only right past the end of a regular
     * file (anything else would leave old bytes where zeroes belong) and
     * without O_APPEND (which would ignore the skip). */
    fl = fcntl(fd, F_GETFL);
    cur = lseek(fd, 0, SEEK_CUR);
    s->sparse = fl >= 0 && !(fl & O_APPEND) && fstat(fd, &sb) == 0
                && S_ISREG(sb.st_mode) && cur >= 0 && cur == sb.st_size;
    return s;
}

/*
 * Make the next piece of the stream, up to limit: into the buffer, or,
 * for a run of zeroes of a sparse image, by moving the file offset.
 */
static int stream_make(struct sim_op *op, uint64_t limit)
{
    struct sim_stream *s = op->stream;
    uint64_t data_end = s->hdr_len + s->data_len;

    if (s->pos < s->hdr_len) {
        size_t n = s->hdr_len - (size_t)s->pos;

        memcpy(s->buf, s->hdr + s->pos, n);
        s->buf_len = n;
    } else if (s->pos < data_end) {
        uint64_t off = s->pos - s->hdr_len;
        uint64_t end = limit < data_end ? limit - s->hdr_len : s->data_len;
        uint64_t mark = off / SIM_MARK_EVERY * SIM_MARK_EVERY;

        if (s->sparse && off >= mark + SIM_MARK_LEN) {
            /* Zeroes up to the next marker: skip them. */
            uint64_t next = mark + SIM_MARK_EVERY, run;

            run = (next < end ? next : end) - off;
            if (lseek(op->fd, (off_t)run, SEEK_CUR) < 0)
                return -errno;
            s->fnv = fnv_zeroes(s->fnv, run);
            s->pos += run;
            return 0;
        }
        if (s->sparse && end > mark + SIM_MARK_LEN)
            end = mark + SIM_MARK_LEN;
        if (end - off > SIM_CHUNK)
            end = off + SIM_CHUNK;
        s->buf_len = (size_t)(end - off);
        data_make(s, off, s->buf, s->buf_len);
    } else {
        put_le64(s->trailer, s->fnv);
        memcpy(s->buf, s->trailer, SIM_TRAILER);
        s->buf_len = SIM_TRAILER;
        s->buf_off = 0;
        s->pos += SIM_TRAILER;
        return 0;
    }
    s->buf_off = 0;
    s->fnv = fnv_update(s->fnv, s->buf, s->buf_len);
    s->pos += s->buf_len;
    return 0;
}

/* Write what the pace allows.  0: the whole image is written; 1: more to
 * do, after *wait ms; or -errno. */
static int stream_write(struct sim_op *op, uint64_t *wait)
{
    struct sim_stream *s = op->stream;
    uint64_t allowed = op_allowed(op), io = 0;
    int pieces = 0, rc;

    for (;;) {
        if (s->buf_off < s->buf_len) {
            ssize_t n = write(op->fd, s->buf + s->buf_off,
                              s->buf_len - s->buf_off);

            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                /* The reader is slow (a pipe, a socket): come back. */
                *wait = SIM_TICK_MS;
                return 1;
            }
            if (n < 0)
                return -errno;
            if (n == 0)
                return -EIO;
            s->buf_off += (size_t)n;
            io += (uint64_t)n;
            continue;
        }
        if (s->pos >= s->total)
            return 0;
        if (op->fail && s->pos >= s->total / 2)
            return -EIO;
        if (s->pos >= allowed) {
            *wait = SIM_TICK_MS;
            return 1;
        }
        if (io >= SIM_TICK_IO || pieces >= SIM_TICK_PIECES) {
            /* Behind the pace: let the loop breathe, then go on. */
            *wait = 0;
            return 1;
        }
        rc = stream_make(op, allowed);
        if (rc)
            return rc;
        pieces++;
    }
}

/* ---- the image: reading -------------------------------------------- */

/* Check the fixed part of the header and learn the stream's size. */
static int stream_parse_fixed(struct sim_op *op)
{
    struct sim_stream *s = op->stream;
    uint32_t hdr_len = get_le32(s->hdr + 12);
    uint32_t name_len = get_le32(s->hdr + 64);
    uint64_t data_len = get_le64(s->hdr + 16);
    uint64_t target = get_le64(s->hdr + 24);
    uint64_t max = get_le64(s->hdr + 32);

    if (memcmp(s->hdr, SIM_IMAGE_MAGIC, 8)
        || get_le32(s->hdr + 8) != SIM_IMAGE_VERSION
        || name_len == 0 || name_len > SIM_NAME_MAX
        || hdr_len != SIM_IMAGE_FIXED + name_len
        || target == 0 || target > SIM_IMAGE_MAX_MEMKB || max < target
        || data_len != target)
        return -EINVAL;
    /* The image must fit the domain it is restored into. */
    if (target > op->dom->st.max_memkb)
        return -EINVAL;
    s->hdr_len = hdr_len;
    s->data_len = data_len;
    s->total = hdr_len + data_len + SIM_TRAILER;
    return 0;
}

/* Read what the pace allows: 0 when the image is read and checked, 1
 * for more after *wait ms, or -errno (-EINVAL: not a valid image). */
static int stream_read(struct sim_op *op, uint64_t *wait)
{
    struct sim_stream *s = op->stream;
    uint64_t io = 0;
    int pieces = 0, rc;

    for (;;) {
        uint64_t want, data_end = s->hdr_len + s->data_len;
        unsigned char *dst;
        bool trailer = false;
        ssize_t n;

        if (s->total && s->pos >= s->total)
            return get_le64(s->trailer) == s->fnv ? 0 : -EINVAL;
        if (op->fail && s->total && s->pos >= s->total / 2)
            return -EIO;
        if (!s->hdr_len) {
            dst = s->hdr + s->pos;
            want = SIM_IMAGE_FIXED - s->pos;
        } else if (s->pos < s->hdr_len) {
            dst = s->hdr + s->pos;
            want = s->hdr_len - s->pos;
        } else if (s->pos < data_end) {
            /* The pace is known once the header is: it holds the size. */
            if (s->pos >= op_allowed(op)) {
                *wait = SIM_TICK_MS;
                return 1;
            }
            dst = s->buf;
            want = data_end - s->pos;
            if (want > SIM_CHUNK)
                want = SIM_CHUNK;
        } else {
            trailer = true;
            dst = s->trailer + (s->pos - data_end);
            want = s->total - s->pos;
        }
        if (io >= SIM_TICK_IO || pieces >= SIM_TICK_PIECES) {
            *wait = 0;
            return 1;
        }
        n = read(op->fd, dst, (size_t)want);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            /* The writer is slow (a pipe, a socket): come back. */
            *wait = SIM_TICK_MS;
            return 1;
        }
        if (n < 0)
            return -errno;
        /* The image ends too early: it is truncated, hence not valid. */
        if (n == 0)
            return -EINVAL;
        pieces++;
        io += (uint64_t)n;
        if (!trailer)
            s->fnv = fnv_update(s->fnv, dst, (size_t)n);
        s->pos += (uint64_t)n;
        if (!s->hdr_len && s->pos == SIM_IMAGE_FIXED) {
            rc = stream_parse_fixed(op);
            if (rc)
                return rc;
        }
    }
}

/* ---- the op timer -------------------------------------------------- */

static void tick_create(struct sim_op *op)
{
    struct sim_dom *d = op->dom;

    if (op->fail) {
        op_finish(op, -EIO, true);
        return;
    }
    d->st.op = SIM_OP_NONE;
    d->st.paused = d->st.op_paused;
    d->st.op_paused = false;
    /* The vcpus start running now: no cpu time for the build. */
    d->st.cpu_stamp = wall_ms();
    d->con_next = SIM_CON_BOOT;
    op_finish(op, 0, false);
}

static void tick_destroy(struct sim_op *op)
{
    op_finish(op, op->fail ? -EIO : 0, !op->fail);
}

static void tick_save(struct sim_op *op)
{
    uint64_t wait = 0;
    int rc = stream_write(op, &wait);

    if (rc == 1) {
        op_progress(op, false);
        /* A loop out of memory for a timer cannot go on with the save. */
        if (op_arm(op, wait))
            op_finish(op, -ENOMEM, false);
        return;
    }
    if (rc < 0) {
        op_finish(op, rc, false);
        return;
    }
    op_progress(op, true);
    if (op->live) {
        /* The last pass of a live migration: the guest is suspended
         * (paused, here) and stays, for the caller to destroy or resume. */
        dom_fold(op->dom, wall_ms());
        op->dom->st.paused = true;
        op_finish(op, 0, false);
        return;
    }
    if (op->checkpoint) {
        op_finish(op, 0, false);
        return;
    }
    /* Saved: the guest is suspended, then destroyed. */
    op_finish(op, 0, true);
}

static void tick_restore(struct sim_op *op)
{
    struct sim_dom *d = op->dom;
    uint64_t wait = 0;
    int rc = stream_read(op, &wait);

    if (rc == 1) {
        op_progress(op, false);
        if (op_arm(op, wait))
            op_finish(op, -ENOMEM, true);
        return;
    }
    if (rc < 0) {
        op_finish(op, rc, true);
        return;
    }
    op_progress(op, true);
    d->st.op = SIM_OP_NONE;
    d->st.paused = d->st.op_paused;
    d->st.op_paused = false;
    d->st.cpu_stamp = wall_ms();
    d->con_next = SIM_CON_RESUME;
    op_finish(op, 0, false);
}

static void op_tick(void *opaque)
{
    struct sim_op *op = opaque;

    op->timer = NULL;
    switch (op->kind) {
    case SIM_OP_CREATE:
        tick_create(op);
        break;
    case SIM_OP_RESTORE:
        tick_restore(op);
        break;
    case SIM_OP_SAVE:
        tick_save(op);
        break;
    case SIM_OP_DESTROY:
        tick_destroy(op);
        break;
    case SIM_OP_NONE:
        break;
    }
}

/* ---- reading state ------------------------------------------------- */

static yajl_val jget(yajl_val obj, const char *key, yajl_type type)
{
    const char *path[] = { key, NULL };

    return yajl_tree_get(obj, path, type);
}

/* A device count from a state file: 0 when absent or out of range (a
 * damaged file shows a guest without devices rather than nonsense). */
static int json_small_int(yajl_val v)
{
    long long n;

    if (!v || !YAJL_IS_INTEGER(v))
        return 0;
    n = YAJL_GET_INTEGER(v);
    return n < 0 || n > 4096 ? 0 : (int)n;
}

static int jint(yajl_val obj, const char *key, long long min, long long max,
                long long *out)
{
    yajl_val v = jget(obj, key, yajl_t_number);

    if (!v || !YAJL_IS_INTEGER(v) || YAJL_GET_INTEGER(v) < min
        || YAJL_GET_INTEGER(v) > max)
        return -EINVAL;
    *out = YAJL_GET_INTEGER(v);
    return 0;
}

static int jbool(yajl_val obj, const char *key, bool *out)
{
    yajl_val v = jget(obj, key, yajl_t_any);

    if (!v || !(YAJL_IS_TRUE(v) || YAJL_IS_FALSE(v)))
        return -EINVAL;
    *out = YAJL_IS_TRUE(v);
    return 0;
}

static const char *jstr(yajl_val obj, const char *key)
{
    return YAJL_GET_STRING(jget(obj, key, yajl_t_string));
}

static int jenum(yajl_val obj, const char *key, const char *const *names,
                 int n, int *out)
{
    const char *s = jstr(obj, key);

    for (int i = 0; s && i < n; i++) {
        if (!strcmp(s, names[i])) {
            *out = i;
            return 0;
        }
    }
    return -EINVAL;
}

/* A map written by jw_map into a host map m: bytes past m's end (cpus
 * the host no longer has, when it was given fewer on this open) are
 * dropped.  -EINVAL when it is not hexadecimal. */
static int jmap(const char *hex, libxl_bitmap *m)
{
    size_t len = hex ? strlen(hex) : 0;

    if (!hex || len % 2)
        return -EINVAL;
    memset(m->map, 0, m->size);
    for (size_t i = 0; i < len / 2; i++) {
        unsigned v = 0;

        for (int k = 0; k < 2; k++) {
            char c = hex[2 * i + (size_t)k];

            if (c >= '0' && c <= '9')
                v = v * 16 + (unsigned)(c - '0');
            else if (c >= 'a' && c <= 'f')
                v = v * 16 + (unsigned)(c - 'a' + 10);
            else
                return -EINVAL;
        }
        if (i < m->size)
            m->map[i] = (uint8_t)v;
    }
    return 0;
}

/* The placement and scheduling of a domain's state file: absent from the
 * files of earlier versions, which means credit2's defaults and every
 * cpu.  -EINVAL for values that are there and wrong. */
static int dom_load_placement(struct sim *sim, struct sim_dom *d,
                              yajl_val root)
{
    yajl_val aff = jget(root, "affinity", yajl_t_array);
    long long v;
    int rc;

    sched_from_config(&d->st, NULL);
    if (jget(root, "weight", yajl_t_any)) {
        if (jint(root, "weight", 1, 65535, &v))
            return -EINVAL;
        d->st.weight = (int)v;
    }
    if (jget(root, "cap", yajl_t_any)) {
        if (jint(root, "cap", 0, 100LL * d->st.vcpu_max, &v))
            return -EINVAL;
        d->st.cap = (int)v;
    }
    rc = vcpus_make(sim, d->st.vcpu_max, NULL, &d->vcpus);
    if (rc || !aff)
        return rc;
    for (size_t i = 0; i < YAJL_GET_ARRAY(aff)->len
                       && (int)i < d->st.vcpu_max; i++) {
        yajl_val pair = YAJL_GET_ARRAY(aff)->values[i];

        if (!YAJL_IS_ARRAY(pair) || YAJL_GET_ARRAY(pair)->len != 2
            || jmap(YAJL_GET_STRING(YAJL_GET_ARRAY(pair)->values[0]),
                    &d->vcpus[i].hard)
            || jmap(YAJL_GET_STRING(YAJL_GET_ARRAY(pair)->values[1]),
                    &d->vcpus[i].soft))
            return -EINVAL;
        for (int c = sim->host.cpus; (uint32_t)c < d->vcpus[i].hard.size * 8;
             c++) {
            libxl_bitmap_reset(&d->vcpus[i].hard, c);
            libxl_bitmap_reset(&d->vcpus[i].soft, c);
        }
        if (libxl_bitmap_is_empty(&d->vcpus[i].hard))
            map_fill(sim, &d->vcpus[i].hard);
    }
    return 0;
}

/* A MAC as LIBXL_MAC_FMT writes it; -EINVAL when it is not one. */
static int mac_parse(const char *s, libxl_mac *mac)
{
    unsigned b[6];
    char end;

    if (!s || sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2],
                     &b[3], &b[4], &b[5], &end) != 6)
        return -EINVAL;
    for (int i = 0; i < 6; i++)
        (*mac)[i] = (uint8_t)b[i];
    return 0;
}

/* The devices of a domain's state file (absent from the files of
 * earlier versions: none, the counts alone say what the guest has).
 * -EINVAL for an entry that is not as jw_devs writes it. */
static int dom_load_devs(struct sim_dom *d, yajl_val root)
{
    yajl_val devs = jget(root, "devices", yajl_t_array);
    size_t n = devs ? YAJL_GET_ARRAY(devs)->len : 0;
    long long v[4];

    if (!n)
        return 0;
    d->devs = calloc(n, sizeof(*d->devs));
    if (!d->devs)
        return -ENOMEM;
    for (size_t i = 0; i < n; i++) {
        yajl_val e = YAJL_GET_ARRAY(devs)->values[i];
        struct sim_dev *dev = &d->devs[i];
        const char *vdev = jstr(e, "vdev"), *target = jstr(e, "target");

        d->ndevs++;
        if (!YAJL_IS_OBJECT(e) || jbool(e, "vif", &dev->vif)
            || jint(e, "devid", 0, INT_MAX, &v[0])
            || jint(e, "evtch", 0, INT_MAX, &v[1])
            || jint(e, "rref", 0, INT_MAX, &v[2])
            || jint(e, "rref_rx", 0, INT_MAX, &v[3])
            || (dev->vif ? mac_parse(jstr(e, "mac"), &dev->mac)
                         : !vdev))
            return -EINVAL;
        dev->devid = (int)v[0];
        dev->evtch = (int)v[1];
        dev->rref = (int)v[2];
        dev->rref_rx = (int)v[3];
        /* Absent from earlier files: a disk drive. */
        dev->cdrom = !dev->vif && YAJL_IS_TRUE(jget(e, "cdrom", yajl_t_any));
        if ((!dev->vif && !(dev->vdev = strdup(vdev)))
            || (target && !dev->vif && !(dev->target = strdup(target))))
            return -ENOMEM;
    }
    return 0;
}

/* A PCI address as bdf_text writes it; -EINVAL when it is not one. */
static int bdf_parse(const char *s, unsigned *bdf)
{
    unsigned dom, bus, dev, fn;
    int n = -1;

    if (!s || sscanf(s, "%4x:%2x:%2x.%1x%n", &dom, &bus, &dev, &fn, &n) != 4
        || n < 0 || s[n] || dev > 0x1f || fn > 7)
        return -EINVAL;
    *bdf = SIM_BDF(dom, bus, dev, fn);
    return 0;
}

/* The PCI devices of a domain's state file (absent from the files of
 * earlier versions: none).  -EINVAL for an entry jw_pcis did not
 * write. */
static int dom_load_pcis(struct sim_dom *d, yajl_val root)
{
    yajl_val pcis = jget(root, "pci", yajl_t_array);
    size_t n = pcis ? YAJL_GET_ARRAY(pcis)->len : 0;
    long long v[2];

    if (!n)
        return 0;
    d->pcis = calloc(n, sizeof(*d->pcis));
    if (!d->pcis)
        return -ENOMEM;
    for (size_t i = 0; i < n; i++) {
        yajl_val e = YAJL_GET_ARRAY(pcis)->values[i];
        struct sim_pci *p = &d->pcis[i];

        if (!YAJL_IS_OBJECT(e) || bdf_parse(jstr(e, "bdf"), &p->bdf)
            || jint(e, "vdevfn", 0, 0xff, &v[0])
            || jint(e, "rdm_policy", LIBXL_RDM_RESERVE_POLICY_INVALID,
                    LIBXL_RDM_RESERVE_POLICY_RELAXED, &v[1])
            || jbool(e, "msitranslate", &p->msitranslate)
            || jbool(e, "power_mgmt", &p->power_mgmt)
            || jbool(e, "permissive", &p->permissive))
            return -EINVAL;
        p->vdevfn = (uint32_t)v[0];
        p->rdm_policy = (libxl_rdm_reserve_policy)v[1];
        d->npcis++;
    }
    return 0;
}

/* The host's PCI devices as host.json has them (absent from the files of
 * earlier versions: the defaults stay).  A device the file has and the
 * host does not is ignored: the table is the hardware. */
static int host_load_pci(struct sim *sim, yajl_val root)
{
    yajl_val pcis = jget(root, "pci", yajl_t_array);
    size_t n = pcis ? YAJL_GET_ARRAY(pcis)->len : 0;

    for (size_t i = 0; i < n; i++) {
        yajl_val e = YAJL_GET_ARRAY(pcis)->values[i];
        const char *name = jstr(e, "name");
        unsigned bdf;
        bool assignable;

        if (!YAJL_IS_OBJECT(e) || bdf_parse(jstr(e, "bdf"), &bdf)
            || jbool(e, "assignable", &assignable))
            return -EINVAL;
        for (int k = 0; k < SIM_NPCI; k++) {
            if (sim->pci[k].bdf != bdf)
                continue;
            sim->pci[k].assignable = assignable;
            free(sim->pci[k].name);
            sim->pci[k].name = NULL;
            if (name && !(sim->pci[k].name = strdup(name)))
                return -ENOMEM;
        }
    }
    return 0;
}

/* Parse a JSON state file into a tree; -EINVAL with a message when it is
 * not JSON. */
static int parse_file(struct sim *sim, const char *name, yajl_val *out)
{
    char err[256], *text = NULL;
    size_t len;
    int rc = read_whole(sim->dirfd, name, &text, &len);

    *out = NULL;
    if (rc)
        goto out;
    *out = yajl_tree_parse(text, err, sizeof(err));
    if (!*out || !YAJL_IS_OBJECT(*out)) {
        xld_err("sim backend: %s/%s: not a JSON object", sim->dir, name);
        yajl_tree_free(*out);
        *out = NULL;
        rc = -EINVAL;
    }
out:
    free(text);
    return rc;
}

static int host_load(struct sim *sim, bool *found)
{
    struct sim_host *h = &sim->host;
    yajl_val root = NULL;
    long long v[13];
    int rc;

    *found = false;
    rc = parse_file(sim, "host.json", &root);
    if (rc == -ENOENT) {
        rc = 0;
        goto out;
    }
    if (rc)
        goto out;
    *found = true;
    if (jint(root, "format", SIM_STATE_FORMAT, SIM_STATE_FORMAT, &v[0])
        || jint(root, "total_memkb", 1, SIM_IMAGE_MAX_MEMKB, &v[1])
        || jint(root, "dom0_memkb", 1, SIM_IMAGE_MAX_MEMKB, &v[2])
        || jint(root, "cpus", 1, 4096, &v[3])
        || jint(root, "nodes", 1, 4096, &v[4])
        || jint(root, "next_domid", 1, SIM_DOMID_LIMIT, &v[5])
        || jint(root, "fail_next", 0, 15, &v[6])
        || jint(root, "create_ms", 0, TIMING_MAX, &v[7])
        || jint(root, "save_ms_per_gib", 0, TIMING_MAX, &v[8])
        || jint(root, "restore_ms_per_gib", 0, TIMING_MAX, &v[9])
        || jint(root, "destroy_ms", 0, TIMING_MAX, &v[10])
        || jint(root, "shutdown_delay_ms", 0, TIMING_MAX, &v[11])
        || jint(root, "started", LLONG_MIN, LLONG_MAX, &v[12])
        || jbool(root, "ignore_shutdown", &h->ignore_shutdown)) {
        xld_err("sim backend: %s/host.json: a value is missing or out of "
                "range", sim->dir);
        rc = -EINVAL;
        goto out;
    }
    h->total_memkb = (uint64_t)v[1];
    h->dom0_memkb = (uint64_t)v[2];
    h->cpus = (int)v[3];
    h->nodes = (int)v[4];
    h->next_domid = (uint32_t)v[5];
    h->fail_next = (unsigned)v[6];
    h->create_ms = v[7];
    h->save_ms_per_gib = v[8];
    h->restore_ms_per_gib = v[9];
    h->destroy_ms = v[10];
    h->shutdown_delay_ms = v[11];
    h->started = v[12];
    rc = host_load_pci(sim, root);
    if (rc == -EINVAL)
        xld_err("sim backend: %s/host.json: a PCI device is not as "
                "written", sim->dir);
out:
    yajl_tree_free(root);
    return rc;
}

static int dom_load(struct sim *sim, const char *file, uint32_t domid)
{
    struct sim_dom *d = NULL;
    yajl_val root = NULL;
    long long v[10];
    int op, req;
    const char *uuid, *name, *reason;
    int rc = parse_file(sim, file, &root);

    if (rc)
        goto out;
    uuid = jstr(root, "uuid");
    name = jstr(root, "name");
    reason = jstr(root, "reason");
    d = calloc(1, sizeof(*d));
    if (!d) {
        rc = -ENOMEM;
        goto out;
    }
    d->sim = sim;
    d->domid = domid;
    if (jint(root, "domid", domid, domid, &v[0])
        || !uuid || libxl_uuid_from_string(&d->st.uuid, uuid)
        || !name_ok(name) || !reason
        || libxl_shutdown_reason_from_string(reason, &d->st.reason)
        || jbool(root, "paused", &d->st.paused)
        || jbool(root, "shutdown", &d->st.shutdown)
        || jenum(root, "op", op_names, ARRAY_SIZE(op_names), &op)
        || jbool(root, "op_paused", &d->st.op_paused)
        || jenum(root, "request", request_names, ARRAY_SIZE(request_names),
                 &req)
        || jint(root, "request_deadline", LLONG_MIN, LLONG_MAX, &v[1])
        || jint(root, "target_memkb", 1, LLONG_MAX, &v[2])
        || jint(root, "max_memkb", 1, LLONG_MAX, &v[3])
        || jint(root, "vcpus", 1, INT_MAX, &v[4])
        || jint(root, "max_vcpus", 1, INT_MAX, &v[5])
        || jint(root, "cpu_ns", 0, LLONG_MAX, &v[6])
        || jint(root, "cpu_stamp", LLONG_MIN, LLONG_MAX, &v[7])
        || jint(root, "ignore_shutdown", -1, 1, &v[8])
        || jint(root, "shutdown_delay_ms", -1, TIMING_MAX, &v[9])
        || v[2] > v[3] || v[4] > v[5]) {
        xld_err("sim backend: %s/%s: a value is missing or out of range",
                sim->dir, file);
        rc = -EINVAL;
        goto out;
    }
    d->name = strdup(name);
    if (!d->name) {
        rc = -ENOMEM;
        goto out;
    }
    d->st.op = (enum sim_op_kind)op;
    d->st.request = (enum sim_request)req;
    d->st.request_deadline = v[1];
    d->st.target_memkb = (uint64_t)v[2];
    d->st.max_memkb = (uint64_t)v[3];
    d->st.vcpu_online = (int)v[4];
    d->st.vcpu_max = (int)v[5];
    d->st.cpu_ns = (uint64_t)v[6];
    d->st.cpu_stamp = v[7];
    d->st.ignore_shutdown = (int)v[8];
    d->st.shutdown_delay_ms = v[9];
    /* Absent from the files of earlier versions: a guest with PV
     * control, as every guest was then. */
    d->st.no_pv_control = YAJL_IS_TRUE(jget(root, "no_pv_control",
                                            yajl_t_any));
    /* Absent from earlier files too: a guest without devices. */
    d->st.nics = json_small_int(jget(root, "nics", yajl_t_number));
    d->st.disks = json_small_int(jget(root, "disks", yajl_t_number));
    rc = dom_load_placement(sim, d, root);
    if (rc == -EINVAL)
        xld_err("sim backend: %s/%s: a weight, cap or affinity is out of "
                "range", sim->dir, file);
    if (rc)
        goto out;
    rc = dom_load_devs(d, root);
    if (!rc)
        rc = dom_load_pcis(d, root);
    if (rc == -EINVAL)
        xld_err("sim backend: %s/%s: a device is not as written",
                sim->dir, file);
    if (rc)
        goto out;
    /* Absent from earlier files: a type that is none of them. */
    if (!jstr(root, "type")
        || libxl_domain_type_from_string(jstr(root, "type"), &d->st.type))
        d->st.type = LIBXL_DOMAIN_TYPE_INVALID;
    dom_insert(sim, d);
    d = NULL;
out:
    dom_free(d);
    yajl_tree_free(root);
    return rc;
}

static int userdata_load(struct sim *sim, const char *file, uint32_t domid)
{
    struct sim_dom *d = dom_get(sim, domid);
    char *buf = NULL;
    size_t len = 0;
    int rc = 0;

    /* Left behind by a domain that is gone (see dom_unpersist). */
    if (!d || domid == 0) {
        unlinkat(sim->dirfd, file, 0);
        goto out;
    }
    rc = read_whole(sim->dirfd, file, &buf, &len);
    if (rc)
        goto out;
    free(d->userdata);
    d->userdata = buf;
    d->userdata_len = len;
    d->has_userdata = true;
    buf = NULL;
out:
    free(buf);
    return rc;
}

/* Which state file name is: 1 a domain, 2 its userdata, 3 a temporary
 * file, 0 anything else. */
static int classify(const char *name, uint32_t *domid)
{
    unsigned long id;
    int end = 0;
    size_t len = strlen(name);

    if (name[0] == '.' && len > 4 && !strcmp(name + len - 4, ".tmp"))
        return 3;
    if (sscanf(name, "domain-%lu.json%n", &id, &end) == 1
        && (size_t)end == len && id > 0 && id < SIM_DOMID_LIMIT
        && name[7] >= '0' && name[7] <= '9') {
        *domid = (uint32_t)id;
        return 1;
    }
    end = 0;
    if (sscanf(name, "domain-%lu.userdata%n", &id, &end) == 1
        && (size_t)end == len && id < SIM_DOMID_LIMIT
        && name[7] >= '0' && name[7] <= '9') {
        *domid = (uint32_t)id;
        return 2;
    }
    return 0;
}

/* Every domain file, then every userdata file (which need their
 * domain), and away with temporary files of writes that died. */
static int doms_load(struct sim *sim)
{
    DIR *dir = NULL;
    struct dirent *e;
    int fd, rc = 0;

    for (int pass = 1; pass <= 2 && !rc; pass++) {
        fd = openat(sim->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0 || !(dir = fdopendir(fd))) {
            rc = -errno;
            if (fd >= 0)
                close(fd);
            goto out;
        }
        while (!rc && (e = readdir(dir))) {
            uint32_t domid = 0;
            int kind = classify(e->d_name, &domid);

            if (kind == 3 && pass == 1)
                unlinkat(sim->dirfd, e->d_name, 0);
            else if (kind == 1 && pass == 1)
                rc = dom_load(sim, e->d_name, domid);
            else if (kind == 2 && pass == 2)
                rc = userdata_load(sim, e->d_name, domid);
        }
        closedir(dir);
        dir = NULL;
    }
out:
    return rc;
}

/* Settle what the previous xld left in flight (see the top of the file)
 * and let time pass for the guests. */
static int doms_settle(struct sim *sim)
{
    int64_t now = wall_ms();
    int rc = 0;

    for (uint32_t i = 1; i < sim->hi; i++) {
        struct sim_dom *d = sim->doms[i];
        struct sim_note *note;

        if (!d)
            continue;
        switch (d->st.op) {
        case SIM_OP_CREATE:
        case SIM_OP_RESTORE:
        case SIM_OP_DESTROY:
            dom_remove(sim, d);
            continue;
        case SIM_OP_SAVE:
            d->st.op = SIM_OP_NONE;
            dom_persist(sim, d);
            break;
        case SIM_OP_NONE:
            break;
        }
        if (d->st.request != SIM_REQ_NONE && !d->st.shutdown
            && !d->st.paused && !dom_ignores(d)
            && d->st.request_deadline <= now) {
            /* It answered while xld was away, at its deadline: its cpu
             * time stopped growing then. */
            dom_fold(d, d->st.request_deadline);
            d->st.shutdown = true;
            d->st.reason = d->st.request == SIM_REQ_REBOOT
                               ? LIBXL_SHUTDOWN_REASON_REBOOT
                               : LIBXL_SHUTDOWN_REASON_POWEROFF;
            d->st.request = SIM_REQ_NONE;
            d->st.request_deadline = 0;
            dom_persist(sim, d);
        }
        if (d->st.shutdown) {
            note = calloc(1, sizeof(*note));
            if (!note) {
                rc = -ENOMEM;
                goto out;
            }
            notes_event(sim, note, XLD_BE_DOMAIN_SHUTDOWN, d->domid,
                        d->st.reason);
        }
        dom_arm_answer(sim, d);
    }
out:
    return rc;
}

/* ---- open and close ------------------------------------------------ */

static int parse_num(const char *s, uint64_t min, uint64_t max,
                     uint64_t *out)
{
    char *end;
    unsigned long long v;

    if (*s < '0' || *s > '9')
        return -EINVAL;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno || *end || v < min || v > max)
        return -EINVAL;
    *out = v;
    return 0;
}

static int parse_options(const char *options, struct sim_options *o)
{
    char *copy = NULL, *save = NULL, *item;
    int rc = 0;

    o->sync = -1;
    o->shadow = -1;
    if (!options)
        goto out;
    copy = strdup(options);
    if (!copy) {
        rc = -ENOMEM;
        goto out;
    }
    for (item = strtok_r(copy, ",", &save); item && !rc;
         item = strtok_r(NULL, ",", &save)) {
        char *val = strchr(item, '=');
        uint64_t n = 0;

        if (!val) {
            xld_err("sim backend: option '%s': expected key=value", item);
            rc = -EINVAL;
            break;
        }
        *val++ = '\0';
        if (!strcmp(item, "dir")) {
            free(o->dir);
            o->dir = *val ? strdup(val) : NULL;
            rc = o->dir ? 0 : (*val ? -ENOMEM : -EINVAL);
        } else if (!strcmp(item, "memory")) {
            rc = parse_num(val, 256, SIM_IMAGE_MAX_MEMKB >> 10,
                           &o->memory_mib);
        } else if (!strcmp(item, "dom0-memory")) {
            rc = parse_num(val, 64, SIM_IMAGE_MAX_MEMKB >> 10, &o->dom0_mib);
        } else if (!strcmp(item, "cpus")) {
            rc = parse_num(val, 1, 4096, &n);
            o->cpus = (int)n;
        } else if (!strcmp(item, "nodes")) {
            rc = parse_num(val, 1, 4096, &n);
            o->nodes = (int)n;
        } else if (!strcmp(item, "sync")) {
            rc = parse_num(val, 0, 1, &n);
            o->sync = (int)n;
        } else if (!strcmp(item, "shadow")) {
            rc = parse_num(val, 0, 1, &n);
            o->shadow = (int)n;
        } else {
            xld_err("sim backend: unknown option '%s' (known: memory, cpus, "
                    "nodes, dom0-memory, dir, sync, shadow)", item);
            rc = -EINVAL;
            break;
        }
        if (rc == -EINVAL)
            xld_err("sim backend: option %s: invalid value '%s'", item, val);
    }
out:
    free(copy);
    return rc;
}

/* mkdir -p, the last component private to root. */
static int make_dirs(const char *path)
{
    char *p = strdup(path);
    int rc = 0;

    if (!p)
        return -ENOMEM;
    for (char *s = p + 1; *s && !rc; s++) {
        if (*s != '/')
            continue;
        *s = '\0';
        if (mkdir(p, 0755) < 0 && errno != EEXIST)
            rc = -errno;
        *s = '/';
    }
    if (!rc && mkdir(p, 0700) < 0 && errno != EEXIST)
        rc = -errno;
    free(p);
    return rc;
}

/* Domain-0, rebuilt from the host at every open: its cpu time runs since
 * the host "booted". */
static int dom0_make(struct sim *sim)
{
    struct sim_dom *d = calloc(1, sizeof(*d));

    if (!d)
        return -ENOMEM;
    d->sim = sim;
    d->domid = 0;
    d->name = strdup("Domain-0");
    if (!d->name) {
        free(d);
        return -ENOMEM;
    }
    libxl_uuid_clear(&d->st.uuid);
    d->st.reason = LIBXL_SHUTDOWN_REASON_UNKNOWN;
    d->st.target_memkb = d->st.max_memkb = sim->host.dom0_memkb;
    d->st.vcpu_online = d->st.vcpu_max = sim->host.cpus;
    d->st.cpu_stamp = sim->host.started;
    d->st.type = LIBXL_DOMAIN_TYPE_PV;
    d->st.ignore_shutdown = -1;
    d->st.shutdown_delay_ms = -1;
    sched_from_config(&d->st, NULL);
    if (vcpus_make(sim, d->st.vcpu_max, NULL, &d->vcpus)) {
        dom_free(d);
        return -ENOMEM;
    }
    dom_insert(sim, d);
    return 0;
}

/*
 * The host's PCI devices, as a fresh host has them: a graphics card and
 * a SATA controller that dom0 drives (not assignable), and a two-port
 * network card and one more device bound to pciback, ready for guests.
 * host.json then says what pci-assignable-add and -remove changed.
 */
static void hostpci_init(struct sim_hostpci *h, unsigned bdf,
                         bool assignable)
{
    h->bdf = bdf;
    h->assignable = assignable;
    h->name = NULL;
}

static void hostpci_dispose(struct sim_hostpci *h)
{
    free(h->name);
    h->name = NULL;
}

static void hostpci_defaults(struct sim *sim)
{
    static const struct {
        unsigned bdf;
        bool assignable;
    } devices[SIM_NPCI] = {
        { SIM_BDF(0, 0x00, 0x02, 0), false },
        { SIM_BDF(0, 0x00, 0x1f, 2), false },
        { SIM_BDF(0, 0x03, 0x00, 0), true },
        { SIM_BDF(0, 0x03, 0x00, 1), true },
        { SIM_BDF(0, 0x04, 0x00, 0), true },
    };

    for (int i = 0; i < SIM_NPCI; i++)
        hostpci_init(&sim->pci[i], devices[i].bdf, devices[i].assignable);
}

/* The host: from host.json if there is one, from the defaults if not,
 * with what the options say on top (the options describe the hardware,
 * so they win over what an older run recorded). */
static int host_setup(struct sim *sim, const struct sim_options *o)
{
    struct sim_host *h = &sim->host;
    bool found;
    int rc = host_load(sim, &found);

    if (rc)
        return rc;
    if (!found) {
        h->total_memkb = DEF_MEMORY_MIB * 1024;
        h->dom0_memkb = 0;
        h->cpus = DEF_CPUS;
        h->nodes = DEF_NODES;
        h->next_domid = 1;
        h->create_ms = DEF_CREATE_MS;
        h->save_ms_per_gib = DEF_SAVE_MS_PER_GIB;
        h->restore_ms_per_gib = DEF_RESTORE_MS_PER_GIB;
        h->destroy_ms = DEF_DESTROY_MS;
        h->shutdown_delay_ms = DEF_SHUTDOWN_DELAY_MS;
        h->started = wall_ms();
    }
    if (o->memory_mib) {
        h->total_memkb = o->memory_mib * 1024;
        if (!o->dom0_mib)
            h->dom0_memkb = 0;
    }
    if (o->dom0_mib)
        h->dom0_memkb = o->dom0_mib * 1024;
    if (!h->dom0_memkb)
        h->dom0_memkb = h->total_memkb / 4 < DEF_DOM0_MIB * 1024
                            ? h->total_memkb / 4 : DEF_DOM0_MIB * 1024;
    if (o->cpus)
        h->cpus = o->cpus;
    if (o->nodes)
        h->nodes = o->nodes;
    if (h->dom0_memkb >= h->total_memkb || h->nodes > h->cpus) {
        xld_err("sim backend: Domain-0's memory must be less than the "
                "host's, and there cannot be more nodes than cpus");
        return -EINVAL;
    }
    return host_persist(sim);
}

static void sim_free(struct sim *sim)
{
    if (!sim)
        return;
    xld_loop_cancel(sim->note_timer);
    note_free_list(sim->notes);
    for (uint32_t i = 0; i < sim->hi; i++)
        dom_free(sim->doms[i]);
    for (int i = 0; i < SIM_NPCI; i++)
        hostpci_dispose(&sim->pci[i]);
    if (sim->lock_fd >= 0)
        close(sim->lock_fd);
    if (sim->dirfd >= 0)
        close(sim->dirfd);
    free(sim->dir);
    free(sim);
}

static int sim_open(struct xld_backend *be, struct xld_loop *loop,
                    const char *options, xld_backend_event_fn *events,
                    void *opaque)
{
    struct sim_options o = { 0 };
    struct sim *sim = calloc(1, sizeof(*sim));
    int rc;

    if (!sim) {
        rc = -ENOMEM;
        goto out;
    }
    sim->lock_fd = sim->dirfd = -1;
    hostpci_defaults(sim);
    sim->loop = loop;
    sim->events = events;
    sim->events_opaque = opaque;
    rc = parse_options(options, &o);
    if (rc)
        goto out;
    sim->sync = o.sync != 0;
    sim->no_shadow = o.shadow == 0;
    sim->dir = o.dir ? o.dir : strdup(DEF_DIR);
    o.dir = NULL;
    if (!sim->dir) {
        rc = -ENOMEM;
        goto out;
    }
    rc = make_dirs(sim->dir);
    if (!rc) {
        sim->dirfd = open(sim->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        rc = sim->dirfd < 0 ? -errno : 0;
    }
    if (rc) {
        xld_err("sim backend: %s: %s", sim->dir, strerror(-rc));
        goto out;
    }
    /* One simulated hypervisor, one xld: a second one on the same
     * directory would fork its history. */
    sim->lock_fd = openat(sim->dirfd, "lock", O_RDWR | O_CREAT | O_CLOEXEC,
                          0600);
    if (sim->lock_fd < 0 || flock(sim->lock_fd, LOCK_EX | LOCK_NB) < 0) {
        rc = errno == EWOULDBLOCK ? -EBUSY : -errno;
        xld_err("sim backend: %s: %s", sim->dir,
                rc == -EBUSY ? "in use by another xld" : strerror(-rc));
        goto out;
    }
    rc = host_setup(sim, &o);
    if (!rc)
        rc = dom0_make(sim);
    if (!rc)
        rc = doms_load(sim);
    if (!rc)
        rc = doms_settle(sim);
    if (rc) {
        /* -EINVAL comes with its own message, naming what is wrong. */
        if (rc != -EINVAL)
            xld_err("sim backend: %s: cannot load the state: %s",
                    sim->dir, strerror(-rc));
        goto out;
    }
    be->priv = sim;
    sim = NULL;
out:
    free(o.dir);
    sim_free(sim);
    return rc;
}

static void sim_close(struct xld_backend *be)
{
    sim_free(be->priv);
    be->priv = NULL;
}

/* ---- queries ------------------------------------------------------- */

static int sim_host_info(struct xld_backend *be, struct xld_host_info *out)
{
    struct sim *sim = be->priv;

    memset(out, 0, sizeof(*out));
    snprintf(out->xen_version, sizeof(out->xen_version), "4.17");
    snprintf(out->hypervisor, sizeof(out->hypervisor), "sim");
    out->nr_cpus = sim->host.cpus;
    out->nr_nodes = sim->host.nodes;
    out->total_memkb = sim->host.total_memkb;
    out->free_memkb = free_memkb(sim);
    out->cap_hap = true;
    out->cap_shadow = !sim->no_shadow;
    return 0;
}

static int dom_info(const struct sim_dom *d, int64_t now,
                    struct xld_dominfo *out)
{
    xld_dominfo_init(out);
    out->name = strdup(d->name);
    if (!out->name)
        return -ENOMEM;
    out->domid = d->domid;
    out->uuid = d->st.uuid;
    out->dying = d->st.op == SIM_OP_DESTROY;
    out->shutdown = d->st.shutdown && !out->dying;
    out->shutdown_reason = out->shutdown ? d->st.reason
                                         : LIBXL_SHUTDOWN_REASON_UNKNOWN;
    /* A domain being built or restored is paused, as in Xen. */
    out->paused = !out->dying && !out->shutdown
                  && (d->st.paused || d->st.op == SIM_OP_CREATE
                      || d->st.op == SIM_OP_RESTORE);
    out->running = !out->dying && !out->shutdown && !out->paused;
    out->blocked = false;
    out->current_memkb = d->st.target_memkb;
    out->max_memkb = d->st.max_memkb;
    out->vcpu_online = d->st.vcpu_online;
    out->vcpu_max = d->st.vcpu_max;
    out->cpu_time_ns = dom_cpu_ns(d, now);
    return 0;
}

static int sim_info(struct xld_backend *be, uint32_t domid,
                    struct xld_dominfo *out)
{
    struct sim *sim = be->priv;
    struct sim_dom *d = dom_get(sim, domid);

    if (!d) {
        xld_dominfo_init(out);
        return -ENOENT;
    }
    return dom_info(d, wall_ms(), out);
}

static int sim_list(struct xld_backend *be, struct xld_dominfo **out,
                    int *n)
{
    struct sim *sim = be->priv;
    struct xld_dominfo *v = NULL;
    int64_t now = wall_ms();
    int count = 0, got = 0, rc = 0;

    for (uint32_t i = 0; i < sim->hi; i++)
        count += sim->doms[i] != NULL;
    v = calloc((size_t)count, sizeof(*v));
    if (!v) {
        rc = -ENOMEM;
        goto out;
    }
    /* By domid, as xl list shows them. */
    for (uint32_t i = 0; i < sim->hi && !rc; i++) {
        if (!sim->doms[i])
            continue;
        rc = dom_info(sim->doms[i], now, &v[got]);
        got++;
    }
out:
    if (rc) {
        for (int i = 0; i < got; i++)
            xld_dominfo_dispose(&v[i]);
        free(v);
        v = NULL;
        got = 0;
    }
    *out = v;
    *n = got;
    return rc;
}

/* ---- create, restore ----------------------------------------------- */

/* What a libxl_domain_config asks of the hypervisor, with libxl's
 * defaults for what it leaves out. */
struct dc_params {
    uint64_t target_memkb;
    uint64_t max_memkb;
    int vcpu_online;
    int vcpu_max;
};

static int dc_read(const libxl_domain_config *dc, struct dc_params *p)
{
    const libxl_domain_build_info *b = &dc->b_info;
    int online;

    if (!name_ok(dc->c_info.name))
        return -EINVAL;
    p->max_memkb = b->max_memkb;
    p->target_memkb = b->target_memkb;
    if (p->max_memkb == LIBXL_MEMKB_DEFAULT
        && p->target_memkb == LIBXL_MEMKB_DEFAULT)
        p->max_memkb = p->target_memkb = DEF_GUEST_MEMKB;
    else if (p->max_memkb == LIBXL_MEMKB_DEFAULT)
        p->max_memkb = p->target_memkb;
    else if (p->target_memkb == LIBXL_MEMKB_DEFAULT)
        p->target_memkb = p->max_memkb;
    /* The maximum is at least the target: a guest can always have what
     * it was started with. */
    if (p->target_memkb > p->max_memkb)
        p->max_memkb = p->target_memkb;
    if (p->target_memkb == 0)
        return -EINVAL;
    p->vcpu_max = b->max_vcpus > 0 ? b->max_vcpus : 1;
    online = b->avail_vcpus.size ? libxl_bitmap_count_set(&b->avail_vcpus)
                                 : p->vcpu_max;
    if (online < 1)
        online = 1;
    p->vcpu_online = online < p->vcpu_max ? online : p->vcpu_max;
    return 0;
}

static int domid_alloc(struct sim *sim, uint32_t *out)
{
    uint32_t id = sim->host.next_domid;

    /* Like Xen: onwards from the last one given, not reusing a domid
     * until the numbers wrap. */
    for (uint32_t i = 1; i < SIM_DOMID_LIMIT; i++, id++) {
        if (id < 1 || id >= SIM_DOMID_LIMIT)
            id = 1;
        if (!sim->doms[id]) {
            *out = id;
            return 0;
        }
    }
    return -ENOSPC;
}

/* Take the fail-next bit of an operation, if set: it is for this one. */
static bool take_fail(struct sim *sim, unsigned bit)
{
    if (!(sim->host.fail_next & bit))
        return false;
    sim->host.fail_next &= ~bit;
    return true;
}

/* ---- devices ------------------------------------------------------- */

/* The next free event channel and grant reference of a domain's devices
 * (a real guest's numbers look like these: small, and counting up). */
static void dev_ports(const struct sim_dom *d, struct sim_dev *dev)
{
    int evtch = 8, rref = 8;

    for (int i = 0; i < d->ndevs; i++) {
        const struct sim_dev *o = &d->devs[i];

        if (o->evtch >= evtch)
            evtch = o->evtch + 1;
        if (o->rref >= rref)
            rref = o->rref + 1;
        if (o->rref_rx >= rref)
            rref = o->rref_rx + 1;
    }
    dev->evtch = evtch;
    dev->rref = rref;
    dev->rref_rx = dev->vif ? rref + 1 : 0;
}

static struct sim_dev *dev_find(struct sim_dom *d, bool vif, int devid)
{
    for (int i = 0; i < d->ndevs; i++)
        if (d->devs[i].vif == vif && d->devs[i].devid == devid)
            return &d->devs[i];
    return NULL;
}

static bool mac_used(const struct sim_dom *d, const libxl_mac *mac)
{
    for (int i = 0; i < d->ndevs; i++)
        if (d->devs[i].vif && !memcmp(d->devs[i].mac, *mac, sizeof(*mac)))
            return true;
    return false;
}

static bool mac_is_zero(const libxl_mac *mac)
{
    static const libxl_mac zero;

    return !memcmp(*mac, zero, sizeof(zero));
}

/* A MAC as libxl makes one for a vif without: Xen's prefix 00:16:3e and
 * three random bytes, none the domain has already. */
static void mac_make(const struct sim_dom *d, libxl_mac *mac)
{
    libxl_uuid u;

    do {
        libxl_uuid_generate(&u);
        (*mac)[0] = 0x00;
        (*mac)[1] = 0x16;
        (*mac)[2] = 0x3e;
        memcpy(&(*mac)[3], libxl_uuid_bytearray(&u), 3);
        (*mac)[3] &= 0x7f;
    } while (mac_used(d, mac));
}

/* Append a device to d (its numbers chosen); NULL on ENOMEM. */
static struct sim_dev *dev_append(struct sim_dom *d, bool vif)
{
    struct sim_dev *v = realloc(d->devs, (size_t)(d->ndevs + 1)
                                         * sizeof(*v));

    if (!v)
        return NULL;
    d->devs = v;
    v = &d->devs[d->ndevs];
    memset(v, 0, sizeof(*v));
    v->vif = vif;
    dev_ports(d, v);
    d->ndevs++;
    return v;
}

/* The device counts of the stats follow the devices. */
static void dev_count(struct sim_dom *d)
{
    d->st.disks = d->st.nics = 0;
    for (int i = 0; i < d->ndevs; i++) {
        if (d->devs[i].vif)
            d->st.nics++;
        else
            d->st.disks++;
    }
}

/* ---- PCI devices --------------------------------------------------- */

/* A libxl device's address as SIM_BDF numbers it. */
static unsigned pci_bdf(const libxl_device_pci *pci)
{
    return SIM_BDF(pci->domain & 0xffff, pci->bus, pci->dev & 0x1f,
                   pci->func & 7);
}

static void pci_fill(libxl_device_pci *pci, unsigned bdf)
{
    pci->domain = (int)(bdf >> 16);
    pci->bus = (uint8_t)(bdf >> 8);
    pci->dev = (uint8_t)((bdf >> 3) & 0x1f);
    pci->func = (uint8_t)(bdf & 7);
}

/* Whether bdf is what pci names: the same function, or with
 * LIBXL_PCI_FUNC_ALL any function of the same slot. */
static bool pci_names(const libxl_device_pci *pci, unsigned bdf)
{
    return pci->vfunc_mask == LIBXL_PCI_FUNC_ALL
           ? bdf >> 3 == pci_bdf(pci) >> 3 : bdf == pci_bdf(pci);
}

static struct sim_hostpci *hostpci_find(struct sim *sim, unsigned bdf)
{
    for (int i = 0; i < SIM_NPCI; i++)
        if (sim->pci[i].bdf == bdf)
            return &sim->pci[i];
    return NULL;
}

static struct sim_hostpci *hostpci_by_name(struct sim *sim,
                                           const char *name)
{
    for (int i = 0; i < SIM_NPCI; i++)
        if (sim->pci[i].name && !strcmp(sim->pci[i].name, name))
            return &sim->pci[i];
    return NULL;
}

/* A device given by name gets the address of the host's device of that
 * name, as libxl's name2bdf does.  0 or -ENODEV. */
static int pci_resolve(struct sim *sim, libxl_device_pci *pci)
{
    const struct sim_hostpci *h;

    if (!pci->name)
        return 0;
    h = hostpci_by_name(sim, pci->name);
    if (!h)
        return -ENODEV;
    pci_fill(pci, h->bdf);
    return 0;
}

static bool pci_has(const struct sim_dom *d, unsigned bdf)
{
    for (int i = 0; i < d->npcis; i++)
        if (d->pcis[i].bdf == bdf)
            return true;
    return false;
}

/* The domain that has the host's device bdf, or NULL. */
static struct sim_dom *pci_owner(struct sim *sim, unsigned bdf)
{
    for (uint32_t i = 0; i < sim->hi; i++)
        if (sim->doms[i] && pci_has(sim->doms[i], bdf))
            return sim->doms[i];
    return NULL;
}

/* One function of the host's device bdf, seen at vdevfn, with the flags
 * of the libxl device it was given as.  (It owns nothing: no dispose.) */
static void sim_pci_init(struct sim_pci *p, unsigned bdf, uint32_t vdevfn,
                         const libxl_device_pci *from)
{
    p->bdf = bdf;
    p->vdevfn = vdevfn;
    p->msitranslate = from->msitranslate;
    p->power_mgmt = from->power_mgmt;
    p->permissive = from->permissive;
    p->rdm_policy = from->rdm_policy;
}

static bool pci_slot_used(const struct sim_dom *d, unsigned slot)
{
    for (int i = 0; i < d->npcis; i++)
        if (((d->pcis[i].vdevfn >> 3) & 0x1f) == slot)
            return true;
    return false;
}

/*
 * Give d the host's device pci (with LIBXL_PCI_FUNC_ALL, every function
 * of its slot), as libxl's pci_add does: each function must be
 * assignable and no domain's.  An HVM guest sees it at the first free
 * slot from SIM_FIRST_PCI_SLOT unless the spec gave one; the functions
 * of a whole slot keep their numbers there.  pci is filled in with what
 * was found and chosen: its address when given by name, and its vdevfn.
 * Nothing is written to disk.  0, -ENODEV, -EBUSY, -EEXIST, -ENOSPC or
 * -ENOMEM.
 */
static int pci_take(struct sim *sim, struct sim_dom *d, libxl_device_pci *pci)
{
    bool all = pci->vfunc_mask == LIBXL_PCI_FUNC_ALL;
    struct sim_pci *grown;
    unsigned fns[SIM_NPCI], slot = (pci->vdevfn >> 3) & 0x1f;
    int nfn = 0, rc = pci_resolve(sim, pci);

    if (rc)
        goto out;
    for (int i = 0; i < SIM_NPCI; i++) {
        if (!pci_names(pci, sim->pci[i].bdf))
            continue;
        if (!sim->pci[i].assignable) {
            rc = -ENODEV;
            goto out;
        }
        fns[nfn++] = sim->pci[i].bdf;
    }
    rc = nfn ? 0 : -ENODEV;
    for (int k = 0; k < nfn && !rc; k++) {
        const struct sim_dom *o = pci_has(d, fns[k]) ? d
                                  : pci_owner(sim, fns[k]);

        rc = o == d ? -EEXIST : o ? -EBUSY : 0;
    }
    if (rc)
        goto out;
    if (!slot && d->st.type == LIBXL_DOMAIN_TYPE_HVM) {
        for (slot = SIM_FIRST_PCI_SLOT; slot <= 0x1f; slot++)
            if (!pci_slot_used(d, slot))
                break;
        if (slot > 0x1f) {
            rc = -ENOSPC;
            goto out;
        }
    } else if (slot && pci_slot_used(d, slot)) {
        rc = -EEXIST;
        goto out;
    }
    grown = realloc(d->pcis, (size_t)(d->npcis + nfn) * sizeof(*grown));
    if (!grown) {
        rc = -ENOMEM;
        goto out;
    }
    d->pcis = grown;
    for (int k = 0; k < nfn; k++)
        sim_pci_init(&d->pcis[d->npcis++], fns[k],
                     slot << 3 | (all ? (fns[k] & 7) : 0), pci);
    pci->vdevfn = slot << 3;
out:
    return rc;
}

/*
 * The devices a new domain gets from its config.  As libxl does, a vif
 * without a MAC gets one, written back into the config (which xld
 * keeps); a disk whose vdev is no name of Xen's is counted but not
 * listed (libxl would not have built the domain).
 */
static int devs_from_config(struct sim_dom *d, libxl_domain_config *dc)
{
    struct sim_dev *v;

    for (int i = 0; i < dc->num_disks; i++) {
        int devid = xlconv_vdev_devid(dc->disks[i].vdev);

        if (devid < 0 || dev_find(d, false, devid))
            continue;
        if (!(v = dev_append(d, false)))
            return -ENOMEM;
        v->devid = devid;
        v->cdrom = dc->disks[i].is_cdrom;
        /* An empty drive has no medium, whatever its path says. */
        if (!(v->vdev = strdup(dc->disks[i].vdev))
            || (dc->disks[i].pdev_path
                && dc->disks[i].format != LIBXL_DISK_FORMAT_EMPTY
                && !(v->target = strdup(dc->disks[i].pdev_path))))
            return -ENOMEM;
    }
    for (int i = 0; i < dc->num_nics; i++) {
        libxl_device_nic *nic = &dc->nics[i];

        if (nic->devid < 0)
            nic->devid = i;
        if (dev_find(d, true, nic->devid))
            continue;
        if (mac_is_zero(&nic->mac))
            mac_make(d, &nic->mac);
        if (!(v = dev_append(d, true)))
            return -ENOMEM;
        v->devid = nic->devid;
        memcpy(v->mac, nic->mac, sizeof(v->mac));
    }
    /* As libxl, a domain whose PCI devices cannot all be given to it is
     * not built. */
    for (int i = 0; i < dc->num_pcidevs; i++) {
        int rc = pci_take(d->sim, d, &dc->pcidevs[i]);

        if (rc)
            return rc;
    }
    return 0;
}

/* Write the domain with its devices, or put the old ones back. */
static int devs_commit(struct sim *sim, struct sim_dom *d,
                       struct sim_dev *old, int nold)
{
    struct sim_dom_state st = d->st;
    int rc;

    dev_count(d);
    rc = dom_persist(sim, d);
    if (rc) {
        devs_free(d->devs, d->ndevs);
        d->devs = old;
        d->ndevs = nold;
        d->st = st;
        return rc;
    }
    devs_free(old, nold);
    return 0;
}

/* A copy of a domain's devices, to go back to. */
static int devs_copy(const struct sim_dom *d, struct sim_dev **out)
{
    struct sim_dev *c = calloc((size_t)d->ndevs + 1, sizeof(*c));

    *out = NULL;
    if (!c)
        return -ENOMEM;
    for (int i = 0; i < d->ndevs; i++) {
        c[i] = d->devs[i];
        c[i].vdev = NULL;
        c[i].target = NULL;
        if ((d->devs[i].vdev && !(c[i].vdev = strdup(d->devs[i].vdev)))
            || (d->devs[i].target
                && !(c[i].target = strdup(d->devs[i].target)))) {
            devs_free(c, i + 1);
            return -ENOMEM;
        }
    }
    *out = c;
    return 0;
}

/* create and restore: the domain exists at once, paused, and the op
 * builds it (create) or fills it from the image (restore). */
static int start_domain(struct sim *sim, libxl_domain_config *dc,
                        enum sim_op_kind kind, int fd, bool paused,
                        uint32_t *domid, xld_backend_progress_fn *progress,
                        xld_backend_done_fn *done, void *opaque)
{
    struct sim_host old_host = sim->host;
    struct sim_dom *d = NULL;
    struct sim_op *op = NULL;
    struct dc_params p;
    bool host_written = false, inserted = false;
    uint32_t id;
    int rc;

    rc = dc_read(dc, &p);
    if (rc)
        goto out;
    if (kind == SIM_OP_RESTORE && fd < 0) {
        rc = -EBADF;
        goto out;
    }
    /* libxl refuses a second domain of the same name. */
    if (dom_by_name(sim, dc->c_info.name)) {
        rc = -EEXIST;
        goto out;
    }
    if (p.max_memkb > free_memkb(sim)) {
        rc = -ENOMEM;
        goto out;
    }
    rc = domid_alloc(sim, &id);
    if (rc)
        goto out;
    d = calloc(1, sizeof(*d));
    if (!d || !(d->name = strdup(dc->c_info.name))) {
        rc = -ENOMEM;
        goto out;
    }
    d->sim = sim;
    d->domid = id;
    /* libxl makes up a uuid for a config without one, and writes it back
     * into the config, which is what xld will keep. */
    if (libxl_uuid_is_nil(&dc->c_info.uuid))
        libxl_uuid_generate(&dc->c_info.uuid);
    d->st.uuid = dc->c_info.uuid;
    d->st.reason = LIBXL_SHUTDOWN_REASON_UNKNOWN;
    d->st.op = kind;
    d->st.op_paused = paused;
    d->st.target_memkb = p.target_memkb;
    d->st.max_memkb = p.max_memkb;
    d->st.vcpu_online = p.vcpu_online;
    d->st.vcpu_max = p.vcpu_max;
    d->st.cpu_stamp = wall_ms();
    d->st.ignore_shutdown = -1;
    d->st.shutdown_delay_ms = -1;
    sched_from_config(&d->st, dc);
    d->st.nics = dc->num_nics;
    d->st.disks = dc->num_disks;
    d->st.type = dc->c_info.type;
    rc = vcpus_make(sim, p.vcpu_max, dc, &d->vcpus);
    if (!rc)
        rc = devs_from_config(d, dc);
    if (rc)
        goto out;
    op = op_new(sim, d, kind, false, progress, done, opaque);
    if (!op) {
        rc = -ENOMEM;
        goto out;
    }
    op->fd = fd;
    if (kind == SIM_OP_RESTORE) {
        op->stream = calloc(1, sizeof(*op->stream));
        if (!op->stream) {
            rc = -ENOMEM;
            goto out;
        }
        op->stream->fnv = FNV_OFFSET;
        op->mem_bytes = p.target_memkb * 1024;
        op->duration = (uint64_t)sim->host.restore_ms_per_gib
                       * p.target_memkb / KIB_PER_GIB;
    }
    op->fail = take_fail(sim, kind == SIM_OP_CREATE ? FAIL_CREATE
                                                     : FAIL_RESTORE);
    sim->host.next_domid = id + 1 < SIM_DOMID_LIMIT ? id + 1 : 1;
    rc = host_persist(sim);
    if (rc)
        goto out;
    host_written = true;
    /* Userdata of an earlier domain of this domid must not become this
     * one's. */
    dom_unpersist(sim, id);
    d->op = op;
    op = NULL;
    dom_insert(sim, d);
    inserted = true;
    rc = dom_persist(sim, d);
    if (rc)
        goto out;
    rc = op_arm(d->op, kind == SIM_OP_CREATE ? (uint64_t)sim->host.create_ms
                                             : 0);
    if (rc)
        goto out;
    *domid = id;
    d = NULL;
out:
    if (rc && inserted)
        dom_remove(sim, d);
    else if (rc)
        dom_free(d);
    op_free(op);
    if (rc && !host_written) {
        sim->host = old_host;
    } else if (rc) {
        /* The domid stays used, as in Xen after a failed create, but a
         * failure injection is not used up by an op that never ran. */
        sim->host.fail_next = old_host.fail_next;
        host_persist(sim);
    }
    return rc;
}

static int sim_create(struct xld_backend *be, libxl_domain_config *dc,
                      bool paused, uint32_t *domid,
                      xld_backend_done_fn *done, void *opaque)
{
    return start_domain(be->priv, dc, SIM_OP_CREATE, -1, paused, domid,
                        NULL, done, opaque);
}

static int sim_restore(struct xld_backend *be, libxl_domain_config *dc,
                       int fd, bool paused, uint32_t *domid,
                       xld_backend_progress_fn *progress,
                       xld_backend_done_fn *done, void *opaque)
{
    return start_domain(be->priv, dc, SIM_OP_RESTORE, fd, paused, domid,
                        progress, done, opaque);
}

/* ---- save, destroy ------------------------------------------------- */

/* The domain an op may change: -ENOENT, -EPERM for Domain-0, -EBUSY
 * while another operation runs. */
static int dom_for_op(struct sim *sim, uint32_t domid, struct sim_dom **out)
{
    struct sim_dom *d = dom_get(sim, domid);

    *out = d;
    if (!d)
        return -ENOENT;
    if (domid == 0)
        return -EPERM;
    if (d->op || d->st.op != SIM_OP_NONE)
        return -EBUSY;
    return 0;
}

/* save, and migrate_send (live: the guest runs while its image is
 * written, as for a checkpoint, and is suspended at the end). */
static int save_start(struct xld_backend *be, uint32_t domid, int fd,
                      bool checkpoint, bool live, bool stop_first,
                      xld_backend_progress_fn *progress,
                      xld_backend_done_fn *done, void *opaque)
{
    struct sim *sim = be->priv;
    unsigned old_fail = sim->host.fail_next;
    struct sim_op *op = NULL;
    struct sim_dom *d;
    int rc = dom_for_op(sim, domid, &d);

    if (rc)
        goto out;
    /* A guest that is shut down has nothing left to suspend. */
    if (d->st.shutdown) {
        rc = -EINVAL;
        goto out;
    }
    if (fd < 0) {
        rc = -EBADF;
        goto out;
    }
    op = op_new(sim, d, SIM_OP_SAVE, !checkpoint && !live, progress, done,
                opaque);
    if (!op || !(op->stream = stream_for_save(d, fd))) {
        rc = -ENOMEM;
        goto out;
    }
    op->fd = fd;
    op->checkpoint = checkpoint || live;
    op->live = live;
    /* A migration that is not live suspends the guest first, as xl save
     * does; one the admin paused stays as it was. */
    if (stop_first && !d->st.paused) {
        dom_fold(d, wall_ms());
        d->st.paused = true;
        op->stopped = true;
    }
    op->mem_bytes = d->st.target_memkb * 1024;
    op->duration = (uint64_t)sim->host.save_ms_per_gib * d->st.target_memkb
                   / KIB_PER_GIB;
    op->fail = take_fail(sim, FAIL_SAVE);
    if (op->fail) {
        rc = host_persist(sim);
        if (rc)
            goto out;
    }
    rc = op_arm(op, 0);
    if (rc)
        goto out;
    d->st.op = SIM_OP_SAVE;
    d->op = op;
    op = NULL;
    con_freeze(d);
    /* The guest is not changed by the save's start; a record that cannot
     * say "saving" only means a reload would not have to resume it. */
    dom_persist(sim, d);
    dom_arm_answer(sim, d);
out:
    if (rc && sim->host.fail_next != old_fail) {
        sim->host.fail_next = old_fail;
        host_persist(sim);
    }
    op_free(op);
    return rc;
}

static int sim_save(struct xld_backend *be, uint32_t domid, int fd,
                    bool checkpoint, xld_backend_progress_fn *progress,
                    xld_backend_done_fn *done, void *opaque)
{
    return save_start(be, domid, fd, checkpoint, false, false, progress,
                      done, opaque);
}

/*
 * The simulated guest has no debug checks to make.  Live, the stream runs
 * while the guest does, as log-dirty paging lets Xen do; a PV guest on a
 * Xen without shadow paging has no log-dirty mode, and the send fails at
 * once with -EOPNOTSUPP, leaving it running, as libxc's does.  Not live,
 * the guest is suspended first.
 */
static int sim_migrate_send(struct xld_backend *be, uint32_t domid, int fd,
                            bool live, bool debug,
                            xld_backend_progress_fn *progress,
                            xld_backend_done_fn *done, void *opaque)
{
    struct sim *sim = be->priv;
    struct sim_dom *d;

    (void)debug;
    if (live && sim->no_shadow && !dom_for_op(sim, domid, &d)
        && d->st.type != LIBXL_DOMAIN_TYPE_HVM
        && d->st.type != LIBXL_DOMAIN_TYPE_PVH)
        return -EOPNOTSUPP;
    return save_start(be, domid, fd, false, true, !live, progress, done,
                      opaque);
}

static int sim_destroy(struct xld_backend *be, uint32_t domid,
                       xld_backend_done_fn *done, void *opaque)
{
    struct sim *sim = be->priv;
    unsigned old_fail = sim->host.fail_next;
    struct sim_dom_state old;
    struct sim_op *op = NULL;
    struct sim_dom *d;
    int rc = dom_for_op(sim, domid, &d);

    if (rc)
        goto out;
    old = d->st;
    op = op_new(sim, d, SIM_OP_DESTROY, true, NULL, done, opaque);
    if (!op) {
        rc = -ENOMEM;
        goto out;
    }
    op->fail = take_fail(sim, FAIL_DESTROY);
    if (op->fail) {
        /* A destroy that will fail leaves the domain as it is. */
        rc = host_persist(sim);
    } else {
        dom_fold(d, wall_ms());
        d->st.op = SIM_OP_DESTROY;
        rc = dom_persist(sim, d);
    }
    if (!rc)
        rc = op_arm(op, (uint64_t)sim->host.destroy_ms);
    if (rc) {
        d->st = old;
        dom_persist(sim, d);
        goto out;
    }
    d->op = op;
    op = NULL;
    dom_arm_answer(sim, d);
out:
    if (rc && sim->host.fail_next != old_fail) {
        sim->host.fail_next = old_fail;
        host_persist(sim);
    }
    op_free(op);
    return rc;
}

/* ---- immediate changes --------------------------------------------- */

/* A domain an immediate op may change: also not while it is shut down
 * (only destroy is left for it then). */
static int dom_for_change(struct sim *sim, uint32_t domid,
                          struct sim_dom **out)
{
    int rc = dom_for_op(sim, domid, out);

    if (!rc && (*out)->st.shutdown)
        rc = -EINVAL;
    return rc;
}

/* Record a change made to d, or undo it if it cannot be recorded. */
static int dom_commit(struct sim *sim, struct sim_dom *d,
                      const struct sim_dom_state *old)
{
    int rc = dom_persist(sim, d);

    if (rc)
        d->st = *old;
    dom_arm_answer(sim, d);
    return rc;
}

/* A shutdown or reboot request, through the guest's PV control
 * (xenstore's control/shutdown), or (trigger) its ACPI power button,
 * which the guest's OS answers the same way. */
static int request(struct xld_backend *be, uint32_t domid,
                   enum sim_request req, bool trigger)
{
    struct sim *sim = be->priv;
    struct sim_dom_state old;
    struct sim_dom *d;
    int rc = dom_for_change(sim, domid, &d);

    if (rc)
        return rc;
    /* libxl's ERROR_NOPARAVIRT: nobody reads control/shutdown. */
    if (d->st.no_pv_control && !trigger)
        return -EOPNOTSUPP;
    /* The guest has a request it has not answered: as in Xen, where a
     * request is a xenstore key the toolstack writes, asking again only
     * replaces what is asked; the guest answers when it answers. */
    if (d->st.request != SIM_REQ_NONE) {
        if (d->st.request == req)
            return 0;
        old = d->st;
        d->st.request = req;
        return dom_commit(sim, d, &old);
    }
    old = d->st;
    d->st.request_deadline = wall_ms() + dom_delay(d);
    d->st.request = req;
    return dom_commit(sim, d, &old);
}

static int sim_shutdown(struct xld_backend *be, uint32_t domid)
{
    return request(be, domid, SIM_REQ_POWEROFF, false);
}

static int sim_reboot(struct xld_backend *be, uint32_t domid)
{
    return request(be, domid, SIM_REQ_REBOOT, false);
}

static int set_paused(struct xld_backend *be, uint32_t domid, bool paused)
{
    struct sim *sim = be->priv;
    struct sim_dom_state old;
    struct sim_dom *d;
    int rc = dom_for_change(sim, domid, &d);

    if (rc || d->st.paused == paused)
        return rc;
    old = d->st;
    dom_fold(d, wall_ms());
    d->st.paused = paused;
    return dom_commit(sim, d, &old);
}

static int sim_pause(struct xld_backend *be, uint32_t domid)
{
    return set_paused(be, domid, true);
}

static int sim_unpause(struct xld_backend *be, uint32_t domid)
{
    return set_paused(be, domid, false);
}

/* A simulated suspend is a pause: resuming is unpausing, and the guest's
 * tasks go on. */
static int sim_resume(struct xld_backend *be, uint32_t domid)
{
    int rc = set_paused(be, domid, false);

    if (!rc)
        con_thaw(dom_get(be->priv, domid));
    return rc;
}

static int sim_set_memory_target(struct xld_backend *be, uint32_t domid,
                                 uint64_t memkb)
{
    struct sim *sim = be->priv;
    struct sim_dom_state old;
    struct sim_dom *d;
    int rc = dom_for_change(sim, domid, &d);

    if (rc)
        return rc;
    if (memkb == 0 || memkb > d->st.max_memkb)
        return -EINVAL;
    if (memkb > d->st.target_memkb
        && memkb - d->st.target_memkb > free_memkb(sim))
        return -ENOMEM;
    old = d->st;
    d->st.target_memkb = memkb;
    return dom_commit(sim, d, &old);
}

static int sim_set_memory_max(struct xld_backend *be, uint32_t domid,
                              uint64_t memkb)
{
    struct sim *sim = be->priv;
    struct sim_dom_state old;
    struct sim_dom *d;
    int rc = dom_for_change(sim, domid, &d);

    if (rc)
        return rc;
    /* As libxl: the maximum cannot go below what the guest has now. */
    if (memkb < d->st.target_memkb)
        return -EINVAL;
    if (memkb > sim->host.total_memkb)
        return -ENOMEM;
    old = d->st;
    d->st.max_memkb = memkb;
    return dom_commit(sim, d, &old);
}

static int sim_set_vcpus(struct xld_backend *be, uint32_t domid, int count)
{
    struct sim *sim = be->priv;
    struct sim_dom_state old;
    struct sim_dom *d;
    int rc = dom_for_change(sim, domid, &d);

    if (rc)
        return rc;
    if (count < 1 || count > d->st.vcpu_max)
        return -EINVAL;
    old = d->st;
    dom_fold(d, wall_ms());
    d->st.vcpu_online = count;
    return dom_commit(sim, d, &old);
}

static int sim_rename(struct xld_backend *be, uint32_t domid,
                      const char *name)
{
    struct sim *sim = be->priv;
    struct sim_dom *d = dom_get(sim, domid), *other;
    char *old_name, *new_name = NULL;
    int rc = 0;

    if (!d) {
        rc = -ENOENT;
        goto out;
    }
    if (domid == 0) {
        rc = -EPERM;
        goto out;
    }
    if (d->st.op == SIM_OP_DESTROY) {
        rc = -EBUSY;
        goto out;
    }
    if (!name_ok(name)) {
        rc = -EINVAL;
        goto out;
    }
    other = dom_by_name(sim, name);
    if (other == d)
        goto out;
    if (other) {
        rc = -EEXIST;
        goto out;
    }
    new_name = strdup(name);
    if (!new_name) {
        rc = -ENOMEM;
        goto out;
    }
    old_name = d->name;
    d->name = new_name;
    rc = dom_persist(sim, d);
    if (rc) {
        /* Back to the old name; the new one is freed below. */
        d->name = old_name;
        goto out;
    }
    /* The domain owns the new name now; the old one is freed below. */
    new_name = old_name;
out:
    free(new_name);
    return rc;
}

/* ---- preserve, core dump, soft reset, triggers --------------------- */

static int sim_preserve(struct xld_backend *be, uint32_t domid,
                        const char *name_suffix, const libxl_uuid *new_uuid)
{
    struct sim *sim = be->priv;
    struct sim_dom *d = dom_get(sim, domid);
    struct sim_dom_state old;
    char *name = NULL, *old_name;
    int rc;

    if (!d) {
        rc = -ENOENT;
        goto out;
    }
    if (domid == 0) {
        rc = -EPERM;
        goto out;
    }
    if (d->op || d->st.op != SIM_OP_NONE) {
        rc = -EBUSY;
        goto out;
    }
    if (!name_suffix || asprintf(&name, "%s%s", d->name, name_suffix) < 0) {
        name = NULL;
        rc = name_suffix ? -ENOMEM : -EINVAL;
        goto out;
    }
    if (!name_ok(name)) {
        rc = -EINVAL;
        goto out;
    }
    if (dom_by_name(sim, name)) {
        rc = -EEXIST;
        goto out;
    }
    old = d->st;
    old_name = d->name;
    d->name = name;
    d->st.uuid = *new_uuid;
    rc = dom_persist(sim, d);
    if (rc) {
        d->st = old;
        d->name = old_name;
        goto out;
    }
    name = old_name;
out:
    free(name);
    return rc;
}

/* done(rc) from the loop, in a note allocated beforehand. */
static void note_done(struct sim *sim, struct sim_note *n,
                      xld_backend_done_fn *done, void *opaque, int rc)
{
    n->kind = SIM_NOTE_DONE;
    n->done = done;
    n->opaque = opaque;
    n->rc = rc;
    notes_push(sim, n);
}

/*
 * The simulated core file: a short text header, then as many bytes as
 * the domain has KiB of memory (1/1024 of it, as the save image), left
 * sparse.  It is written at once; a real dump takes a while, but nothing
 * in xld depends on how long.
 */
static int sim_core_dump(struct xld_backend *be, uint32_t domid,
                         const char *path, xld_backend_done_fn *done,
                         void *opaque)
{
    struct sim *sim = be->priv;
    struct sim_dom *d;
    struct sim_note *note = NULL;
    char *head = NULL;
    const char *reason;
    int fd = -1, len, rc = dom_for_op(sim, domid, &d);

    if (rc)
        goto out;
    note = calloc(1, sizeof(*note));
    if (!note) {
        rc = -ENOMEM;
        goto out;
    }
    reason = d->st.shutdown ? libxl_shutdown_reason_to_string(d->st.reason)
                            : NULL;
    len = asprintf(&head, "XLDSIMCORE 1\nname: %s\ndomid: %" PRIu32
                   "\nuuid: " LIBXL_UUID_FMT "\nmemkb: %" PRIu64
                   "\nreason: %s\n\n", d->name, domid,
                   LIBXL_UUID_BYTES(d->st.uuid), d->st.target_memkb,
                   reason ? reason : "none");
    if (len < 0) {
        head = NULL;
        rc = -ENOMEM;
        goto out;
    }
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        rc = -errno;
        goto out;
    }
    rc = write_all(fd, head, (size_t)len);
    if (!rc && ftruncate(fd, (off_t)len + (off_t)d->st.target_memkb) < 0)
        rc = -errno;
    if (!rc && close(fd) < 0)
        rc = -errno;
    fd = -1;
    if (rc) {
        unlink(path);
        goto out;
    }
    note_done(sim, note, done, opaque, 0);
    note = NULL;
out:
    if (fd >= 0)
        close(fd);
    free(head);
    free(note);
    return rc;
}

/* The guest asked for a soft reset (kexec): it keeps its domid and is
 * built again from dc, paused, as a create leaves it. */
static int sim_soft_reset(struct xld_backend *be, libxl_domain_config *dc,
                          uint32_t domid, xld_backend_done_fn *done,
                          void *opaque)
{
    struct sim *sim = be->priv;
    struct sim_dom_state old;
    struct sim_note *note = NULL;
    struct sim_vcpu *vcpus = NULL, *old_vcpus;
    struct dc_params p = { 0 };
    struct sim_dom *d;
    int rc = dom_for_op(sim, domid, &d);

    if (rc)
        goto out;
    if (!d->st.shutdown) {
        rc = -EINVAL;
        goto out;
    }
    rc = dc_read(dc, &p);
    if (rc)
        goto out;
    if (p.max_memkb > d->st.target_memkb
        && p.max_memkb - d->st.target_memkb > free_memkb(sim)) {
        rc = -ENOMEM;
        goto out;
    }
    note = calloc(1, sizeof(*note));
    if (!note) {
        rc = -ENOMEM;
        goto out;
    }
    /* The domain is built again: its vcpus are placed as the config
     * says; its scheduler parameters are the domain's and stay. */
    rc = vcpus_make(sim, p.vcpu_max, dc, &vcpus);
    if (rc)
        goto out;
    old = d->st;
    old_vcpus = d->vcpus;
    d->vcpus = vcpus;
    dom_fold(d, wall_ms());
    d->st.shutdown = false;
    d->st.reason = LIBXL_SHUTDOWN_REASON_UNKNOWN;
    d->st.paused = true;
    d->st.request = SIM_REQ_NONE;
    d->st.request_deadline = 0;
    d->st.target_memkb = p.target_memkb;
    d->st.max_memkb = p.max_memkb;
    d->st.vcpu_online = p.vcpu_online;
    d->st.vcpu_max = p.vcpu_max;
    if (d->st.cap > 100 * d->st.vcpu_max)
        d->st.cap = 100 * d->st.vcpu_max;
    rc = dom_commit(sim, d, &old);
    if (rc) {
        d->vcpus = old_vcpus;
        goto out;
    }
    vcpus = NULL;
    vcpus_free(old_vcpus, old.vcpu_max);
    /* The new kernel boots once the domain is unpaused. */
    d->con_next = SIM_CON_BOOT;
    note_done(sim, note, done, opaque, 0);
    note = NULL;
out:
    vcpus_free(vcpus, p.vcpu_max);
    free(note);
    return rc;
}

static int sim_send_trigger(struct xld_backend *be, uint32_t domid,
                            libxl_trigger trigger)
{
    struct sim *sim = be->priv;
    struct sim_note *note;
    struct sim_dom *d;
    int rc;

    switch (trigger) {
    case LIBXL_TRIGGER_POWER:
        return request(be, domid, SIM_REQ_POWEROFF, true);
    case LIBXL_TRIGGER_RESET:
        /* The reset line: the guest's OS has no say in it. */
        rc = dom_for_change(sim, domid, &d);
        if (rc)
            return rc;
        note = calloc(1, sizeof(*note));
        if (!note)
            return -ENOMEM;
        return dom_shut(sim, d, LIBXL_SHUTDOWN_REASON_REBOOT, wall_ms(), true,
                        note);
    default:
        return -EINVAL;
    }
}

/*
 * A simulated guest kernel answers the SysRq keys that change its
 * domain's life as Linux does (c: crash, o: power off, b: reboot at
 * once); the others (s: sync, u: remount read-only, ...) have nothing to
 * act on and are only logged, which is how the tests see them arrive.
 * A guest without PV control never reads the key, as in Xen.
 */
/*
 * The guest's vifs and disks carry traffic in proportion to the cpu
 * time it has run: per vif, 2 packets of 700 bytes sent and 3 of 900
 * received per ms; per disk, a read and half a write per ms, of 8
 * sectors each.  Believable, monotonic, and zero for a paused guest's
 * pause, which is all xentop's columns need to show.
 */
static int sim_dom_stats(struct xld_backend *be, uint32_t domid,
                         struct xld_domstats *out)
{
    struct sim *sim = be->priv;
    struct sim_dom *d = dom_get(sim, domid);
    uint64_t ms;

    memset(out, 0, sizeof(*out));
    if (!d)
        return -ENOENT;
    ms = dom_cpu_ns(d, wall_ms()) / 1000000u;
    out->nets = (unsigned)d->st.nics;
    out->net_tx_packets = 2 * ms * (uint64_t)d->st.nics;
    out->net_tx_bytes = 700 * out->net_tx_packets;
    out->net_rx_packets = 3 * ms * (uint64_t)d->st.nics;
    out->net_rx_bytes = 900 * out->net_rx_packets;
    out->vbds = (unsigned)d->st.disks;
    out->vbd_rd = ms * (uint64_t)d->st.disks;
    out->vbd_wr = ms / 2 * (uint64_t)d->st.disks;
    out->vbd_rsect = 8 * out->vbd_rd;
    out->vbd_wsect = 8 * out->vbd_wr;
    return 0;
}

static int sim_send_sysrq(struct xld_backend *be, uint32_t domid, char key)
{
    struct sim *sim = be->priv;
    struct sim_note *note;
    struct sim_dom *d;
    libxl_shutdown_reason reason;
    int rc = dom_for_change(sim, domid, &d);

    if (rc)
        return rc;
    if (d->st.no_pv_control) {
        xld_info("sim: %s (domid %" PRIu32 ") has no PV control: SysRq "
                 "'%c' is not read", d->name, domid, key);
        return 0;
    }
    xld_info("sim: %s (domid %" PRIu32 ") got SysRq '%c'", d->name, domid,
             key);
    switch (key) {
    case 'c':
        reason = LIBXL_SHUTDOWN_REASON_CRASH;
        break;
    case 'o':
        reason = LIBXL_SHUTDOWN_REASON_POWEROFF;
        break;
    case 'b':
        reason = LIBXL_SHUTDOWN_REASON_REBOOT;
        break;
    default:
        return 0;
    }
    note = calloc(1, sizeof(*note));
    if (!note)
        return -ENOMEM;
    return dom_shut(sim, d, reason, wall_ms(), true, note);
}

/* ---- cpu placement and scheduling ----------------------------------- */

/*
 * Where a vcpu is now, as a scheduler would have it: one of the cpus it
 * may run on (those of its soft affinity among them, if any), moving on
 * every five seconds, so that vcpu-list shows vcpus that wander within
 * their affinity and stay on their cpu when pinned to one.
 */
static uint32_t vcpu_cpu(const struct sim_dom *d, int i, int64_t now)
{
    const struct sim_vcpu *v = &d->vcpus[i];
    bool soft = false;
    int count = 0, pick;

    for (int c = 0; c < d->sim->host.cpus; c++)
        if (libxl_bitmap_test(&v->hard, c) && libxl_bitmap_test(&v->soft, c))
            soft = true;
    for (int c = 0; c < d->sim->host.cpus; c++)
        if (libxl_bitmap_test(&v->hard, c)
            && (!soft || libxl_bitmap_test(&v->soft, c)))
            count++;
    if (!count)
        return 0;
    pick = (int)(((int64_t)d->domid * 7 + i * 3 + now / 5000) % count);
    for (int c = 0; c < d->sim->host.cpus; c++)
        if (libxl_bitmap_test(&v->hard, c)
            && (!soft || libxl_bitmap_test(&v->soft, c)) && pick-- == 0)
            return (uint32_t)c;
    return 0;
}

/*
 * Every vcpu: the online ones of a running guest share its cpu time;
 * vcpu 0 is running and the others are blocked but for one turn in ten
 * (a guest that is a tenth busy); the vcpus of a paused or shut down
 * guest neither run nor wait.
 */
static int sim_vcpu_info(struct xld_backend *be, uint32_t domid,
                         libxl_vcpuinfo **out, int *n)
{
    struct sim *sim = be->priv;
    struct sim_dom *d = dom_get(sim, domid);
    libxl_vcpuinfo *v = NULL;
    int64_t now = wall_ms();
    uint64_t total;
    int rc = 0, made = 0;

    *out = NULL;
    *n = 0;
    if (!d)
        return -ENOENT;
    v = calloc(d->st.vcpu_max > 0 ? (size_t)d->st.vcpu_max : 1, sizeof(*v));
    if (!v)
        return -ENOMEM;
    total = dom_cpu_ns(d, now);
    for (int i = 0; i < d->st.vcpu_max; i++, made++) {
        libxl_vcpuinfo *x = &v[i];

        libxl_vcpuinfo_init(x);
        x->vcpuid = (uint32_t)i;
        x->online = i < d->st.vcpu_online;
        x->cpu = vcpu_cpu(d, i, now);
        if (x->online && dom_runs(d)) {
            x->running = i == 0 || (now / 100 + i + d->domid) % 10 == 0;
            x->blocked = !x->running;
        }
        x->vcpu_time = x->online ? total / (uint64_t)d->st.vcpu_online : 0;
        rc = map_alloc(sim, &x->cpumap);
        if (!rc)
            rc = map_alloc(sim, &x->cpumap_soft);
        if (rc) {
            made++;
            break;
        }
        map_take(sim, &x->cpumap, &d->vcpus[i].hard);
        map_take(sim, &x->cpumap_soft, &d->vcpus[i].soft);
    }
    if (rc) {
        libxl_vcpuinfo_list_free(v, made);
        return rc;
    }
    *out = v;
    *n = d->st.vcpu_max;
    return 0;
}

/* There is no temporary pinning by a guest in the simulator, so force
 * changes nothing. */
static int sim_vcpu_pin(struct xld_backend *be, uint32_t domid, int vcpu,
                        const libxl_bitmap *hard, const libxl_bitmap *soft,
                        bool force)
{
    struct sim *sim = be->priv;
    struct sim_vcpu *vcpus = NULL, *old;
    libxl_bitmap h, so;
    struct sim_dom *d;
    int rc = dom_for_change(sim, domid, &d);

    (void)force;
    libxl_bitmap_init(&h);
    libxl_bitmap_init(&so);
    if (rc)
        goto out;
    if (vcpu >= d->st.vcpu_max || vcpu < -1) {
        rc = -EINVAL;
        goto out;
    }
    rc = map_alloc(sim, &h);
    if (!rc)
        rc = map_alloc(sim, &so);
    if (rc)
        goto out;
    /* Xen keeps of a hard affinity the cpus the pool has, and refuses
     * one that leaves none; a soft affinity may be empty. */
    if (hard) {
        map_take(sim, &h, hard);
        if (libxl_bitmap_is_empty(&h)) {
            rc = -EINVAL;
            goto out;
        }
    }
    if (soft)
        map_take(sim, &so, soft);
    rc = vcpus_copy(d, &vcpus);
    if (rc)
        goto out;
    for (int i = 0; i < d->st.vcpu_max; i++) {
        if (vcpu >= 0 && i != vcpu)
            continue;
        if (hard)
            memcpy(vcpus[i].hard.map, h.map, h.size);
        if (soft)
            memcpy(vcpus[i].soft.map, so.map, so.size);
    }
    old = d->vcpus;
    d->vcpus = vcpus;
    rc = dom_persist(sim, d);
    if (rc) {
        d->vcpus = old;
        goto out;
    }
    vcpus = old;
out:
    if (d)
        vcpus_free(vcpus, d->st.vcpu_max);
    libxl_bitmap_dispose(&h);
    libxl_bitmap_dispose(&so);
    return rc;
}

/* One pool, Pool-0, with every cpu of the host and credit2, Xen 4.17's
 * default scheduler, at its default rate limit of 1 ms. */
static int sim_cpupool_info(struct xld_backend *be, struct xld_cpupool **out,
                            int *n)
{
    struct sim *sim = be->priv;
    struct xld_cpupool *p = calloc(1, sizeof(*p));
    int rc;

    *out = NULL;
    *n = 0;
    if (!p)
        return -ENOMEM;
    p->poolid = 0;
    p->sched = LIBXL_SCHEDULER_CREDIT2;
    p->ratelimit_us = 1000;
    for (uint32_t i = 0; i < sim->hi; i++)
        p->n_dom += sim->doms[i] != NULL;
    p->name = strdup("Pool-0");
    rc = p->name ? map_alloc(sim, &p->cpus) : -ENOMEM;
    if (rc) {
        xld_cpupool_list_free(p, 1);
        return rc;
    }
    map_fill(sim, &p->cpus);
    *out = p;
    *n = 1;
    return 0;
}

static int sim_sched_get(struct xld_backend *be, uint32_t domid,
                         libxl_domain_sched_params *out)
{
    struct sim *sim = be->priv;
    struct sim_dom *d = dom_get(sim, domid);

    if (!d)
        return -ENOENT;
    libxl_domain_sched_params_init(out);
    out->sched = LIBXL_SCHEDULER_CREDIT2;
    out->weight = d->st.weight;
    out->cap = d->st.cap;
    return 0;
}

/* As Xen's credit2: a weight from 1 to 65535, a cap from 0 (none) to 100
 * times the domain's vcpus. */
static int sim_sched_set(struct xld_backend *be, uint32_t domid,
                         const libxl_domain_sched_params *params)
{
    struct sim *sim = be->priv;
    struct sim_dom_state old;
    struct sim_dom *d;
    int rc = dom_for_change(sim, domid, &d);

    if (rc)
        return rc;
    if ((params->sched != LIBXL_SCHEDULER_UNKNOWN
         && params->sched != LIBXL_SCHEDULER_CREDIT2)
        || (params->weight != LIBXL_DOMAIN_SCHED_PARAM_WEIGHT_DEFAULT
            && (params->weight < 1 || params->weight > 65535))
        || (params->cap != LIBXL_DOMAIN_SCHED_PARAM_CAP_DEFAULT
            && (params->cap < 0 || params->cap > 100 * d->st.vcpu_max)))
        return -EINVAL;
    old = d->st;
    dom_fold(d, wall_ms());
    if (params->weight != LIBXL_DOMAIN_SCHED_PARAM_WEIGHT_DEFAULT)
        d->st.weight = params->weight;
    if (params->cap != LIBXL_DOMAIN_SCHED_PARAM_CAP_DEFAULT)
        d->st.cap = params->cap;
    return dom_commit(sim, d, &old);
}

/* The simulator keeps no libxl config of its domains (it has no libxl
 * context to parse one back): adopting a domain takes its config file. */
static int sim_retrieve_config(struct xld_backend *be, uint32_t domid,
                               libxl_domain_config *dc)
{
    (void)dc;
    return dom_get(be->priv, domid) ? -EOPNOTSUPP : -ENOENT;
}

static int sim_config_from_json(struct xld_backend *be, const char *json,
                                libxl_domain_config *dc)
{
    (void)be;
    (void)json;
    (void)dc;
    return -EOPNOTSUPP;
}

/* ---- console ------------------------------------------------------- */

/*
 * A guest has one console line: its PV console, number 0, which an HVM
 * guest's emulated serial port (serial 0) shares, both showing the same
 * guest.  No other type or number exists (-ENOENT, as libxl finds no tty
 * for it), and Domain-0 has none (xenconsole refuses it too).
 */
static int sim_console_tty(struct xld_backend *be, uint32_t domid, int num,
                           libxl_console_type type, char **path)
{
    struct sim *sim = be->priv;
    struct sim_dom *d = dom_get(sim, domid);
    struct xld_simcon *c;
    bool serial = type == LIBXL_CONSOLE_TYPE_SERIAL
                  && d && d->st.type == LIBXL_DOMAIN_TYPE_HVM;

    *path = NULL;
    if (!d || domid == 0 || num != 0
        || (type != LIBXL_CONSOLE_TYPE_PV && !serial))
        return -ENOENT;
    c = dom_con(d);
    if (!c)
        return -ENOMEM;
    /* A console made just now reads input as its guest's state says. */
    dom_con_sync(d);
    return xld_simcon_tty(c, path);
}

/* ---- userdata ------------------------------------------------------ */

static int sim_userdata_store(struct xld_backend *be, uint32_t domid,
                              const char *data, size_t len)
{
    struct sim *sim = be->priv;
    struct sim_dom *d = dom_get(sim, domid);
    char file[64], *copy = NULL;
    int rc;

    if (!d) {
        rc = -ENOENT;
        goto out;
    }
    if (domid == 0) {
        rc = -EPERM;
        goto out;
    }
    if (!data && len) {
        rc = -EINVAL;
        goto out;
    }
    /* One byte more, so that retrieve can hand out a C string too. */
    copy = malloc(len + 1);
    if (!copy) {
        rc = -ENOMEM;
        goto out;
    }
    if (len)
        memcpy(copy, data, len);
    copy[len] = '\0';
    dom_file(file, sizeof(file), domid, "userdata");
    rc = write_atomic(sim, file, copy, len);
    if (rc)
        goto out;
    free(d->userdata);
    d->userdata = copy;
    d->userdata_len = len;
    d->has_userdata = true;
    copy = NULL;
out:
    free(copy);
    return rc;
}

static int sim_userdata_retrieve(struct xld_backend *be, uint32_t domid,
                                 char **data, size_t *len)
{
    struct sim *sim = be->priv;
    struct sim_dom *d = dom_get(sim, domid);

    *data = NULL;
    *len = 0;
    if (!d || !d->has_userdata)
        return -ENOENT;
    *data = malloc(d->userdata_len + 1);
    if (!*data)
        return -ENOMEM;
    if (d->userdata_len)
        memcpy(*data, d->userdata, d->userdata_len);
    (*data)[d->userdata_len] = '\0';
    *len = d->userdata_len;
    return 0;
}

/* ---- fault injection ----------------------------------------------- */

static const struct {
    const char *what;
    libxl_shutdown_reason reason;
} guest_actions[] = {
    { "crash", LIBXL_SHUTDOWN_REASON_CRASH },
    { "poweroff", LIBXL_SHUTDOWN_REASON_POWEROFF },
    { "reboot", LIBXL_SHUTDOWN_REASON_REBOOT },
    { "watchdog", LIBXL_SHUTDOWN_REASON_WATCHDOG },
    { "soft-reset", LIBXL_SHUTDOWN_REASON_SOFT_RESET },
};

/* The guest does it now. */
static int inject_action(struct sim *sim, libxl_shutdown_reason reason,
                         uint32_t domid)
{
    struct sim_note *note;
    struct sim_dom *d;
    int rc = dom_for_change(sim, domid, &d);

    /* Domain-0 going down would take the host with it: not simulated. */
    if (rc == -EPERM)
        return -EINVAL;
    if (rc)
        return rc;
    note = calloc(1, sizeof(*note));
    if (!note)
        return -ENOMEM;
    return dom_shut(sim, d, reason, wall_ms(), true, note);
}

/* A host setting: the value, undone if it cannot be recorded. */
static int inject_host(struct sim *sim, int64_t *field, int64_t value,
                       uint32_t domid)
{
    int64_t old = *field;
    int rc;

    if (domid != 0)
        return -EINVAL;
    if (value < 0 || value > TIMING_MAX)
        return -EINVAL;
    *field = value;
    rc = host_persist(sim);
    if (rc)
        *field = old;
    return rc;
}

/* ignore-shutdown and shutdown-delay-ms: for one guest, or (domid 0) the
 * default of every guest that has not been given its own. */
static int inject_guest_setting(struct sim *sim, bool ignore, uint32_t domid,
                                int64_t value)
{
    struct sim_dom_state old;
    struct sim_dom *d = dom_get(sim, domid);
    int rc;

    if (ignore ? value != 0 && value != 1 : value < 0 || value > TIMING_MAX)
        return -EINVAL;
    if (!d)
        return -ENOENT;
    if (domid == 0) {
        struct sim_host old_host = sim->host;

        if (ignore)
            sim->host.ignore_shutdown = value != 0;
        else
            sim->host.shutdown_delay_ms = value;
        rc = host_persist(sim);
        if (rc) {
            sim->host = old_host;
            return rc;
        }
        for (uint32_t i = 1; i < sim->hi; i++)
            if (sim->doms[i])
                dom_arm_answer(sim, sim->doms[i]);
        return 0;
    }
    old = d->st;
    if (ignore)
        d->st.ignore_shutdown = (int)value;
    else
        d->st.shutdown_delay_ms = value;
    return dom_commit(sim, d, &old);
}

/* A guest without PV drivers (value 1): shutdown and reboot requests
 * give -EOPNOTSUPP, and only send_trigger reaches it. */
static int inject_no_pv_control(struct sim *sim, uint32_t domid,
                                int64_t value)
{
    struct sim_dom_state old;
    struct sim_dom *d;
    int rc = dom_for_change(sim, domid, &d);

    if (rc)
        return rc == -EPERM ? -EINVAL : rc;
    if (value != 0 && value != 1)
        return -EINVAL;
    old = d->st;
    d->st.no_pv_control = value != 0;
    return dom_commit(sim, d, &old);
}

static void spawn_done(void *opaque, int rc)
{
    (void)opaque;
    (void)rc;
}

/*
 * A domain made behind xld's back, as plain `xl create` would: running,
 * with value MiB and one vcpu, named "foreign-DOMID", with no userdata.
 * The name takes the domid the rover gives next, which start_domain then
 * allocates, nothing having changed in between.
 */
static int inject_spawn(struct sim *sim, uint32_t domid, int64_t value)
{
    libxl_domain_config dc;
    uint32_t id, got;
    int rc;

    libxl_domain_config_init(&dc);
    if (domid != 0 || value < 1 || value > (int64_t)(16u << 20)) {
        rc = -EINVAL;
        goto out;
    }
    rc = domid_alloc(sim, &id);
    if (rc)
        goto out;
    if (asprintf(&dc.c_info.name, "foreign-%" PRIu32, id) < 0) {
        dc.c_info.name = NULL;
        rc = -ENOMEM;
        goto out;
    }
    dc.c_info.type = LIBXL_DOMAIN_TYPE_PV;
    dc.b_info.max_memkb = dc.b_info.target_memkb = (uint64_t)value * 1024;
    dc.b_info.max_vcpus = 1;
    rc = start_domain(sim, &dc, SIM_OP_CREATE, -1, false, &got, NULL,
                      spawn_done, NULL);
out:
    libxl_domain_config_dispose(&dc);
    return rc;
}

static int sim_inject(struct xld_backend *be, const char *what,
                      uint32_t domid, int64_t value)
{
    struct sim *sim = be->priv;
    struct sim_host *h = &sim->host;

    if (!what)
        return -EINVAL;
    for (int i = 0; i < ARRAY_SIZE(guest_actions); i++)
        if (!strcmp(what, guest_actions[i].what))
            return inject_action(sim, guest_actions[i].reason, domid);
    if (!strcmp(what, "ignore-shutdown"))
        return inject_guest_setting(sim, true, domid, value);
    if (!strcmp(what, "shutdown-delay-ms"))
        return inject_guest_setting(sim, false, domid, value);
    if (!strcmp(what, "no-pv-control"))
        return inject_no_pv_control(sim, domid, value);
    if (!strcmp(what, "spawn"))
        return inject_spawn(sim, domid, value);
    if (!strcmp(what, "fail-next")) {
        unsigned old = h->fail_next;
        int rc;

        if (domid != 0 || value < 0 || value > 15)
            return -EINVAL;
        h->fail_next = (unsigned)value;
        rc = host_persist(sim);
        if (rc)
            h->fail_next = old;
        return rc;
    }
    if (!strcmp(what, "create-ms"))
        return inject_host(sim, &h->create_ms, value, domid);
    if (!strcmp(what, "save-ms-per-gib"))
        return inject_host(sim, &h->save_ms_per_gib, value, domid);
    if (!strcmp(what, "restore-ms-per-gib"))
        return inject_host(sim, &h->restore_ms_per_gib, value, domid);
    if (!strcmp(what, "destroy-ms"))
        return inject_host(sim, &h->destroy_ms, value, domid);
    return -EINVAL;
}

/* ---- hot-plug ------------------------------------------------------ */

/*
 * Hot-plug: the change is made and written at once; done() comes from
 * the loop, as libxl's ao completes.  Xen's checks: a running domain
 * (not shut down), a vdev that is a name of Xen's and not in use, a
 * devid and MAC the domain does not have yet.
 */
static int sim_disk_add(struct xld_backend *be, uint32_t domid,
                        libxl_device_disk *disk, xld_backend_done_fn *done,
                        void *opaque)
{
    struct sim *sim = be->priv;
    struct sim_note *note = NULL;
    struct sim_dev *old = NULL, *v;
    struct sim_dom *d;
    int nold, devid, rc = dom_for_change(sim, domid, &d);

    if (rc)
        goto out;
    devid = xlconv_vdev_devid(disk->vdev);
    if (devid < 0) {
        rc = -EINVAL;
        goto out;
    }
    if (dev_find(d, false, devid)) {
        rc = -EEXIST;
        goto out;
    }
    nold = d->ndevs;
    note = calloc(1, sizeof(*note));
    if (!note || (rc = devs_copy(d, &old))) {
        rc = -ENOMEM;
        goto out;
    }
    v = dev_append(d, false);
    if (v) {
        v->devid = devid;
        v->cdrom = disk->is_cdrom;
    }
    if (!v || !(v->vdev = strdup(disk->vdev))
        || (disk->pdev_path && !(v->target = strdup(disk->pdev_path)))) {
        devs_free(d->devs, d->ndevs);
        d->devs = old;
        d->ndevs = nold;
        old = NULL;
        rc = -ENOMEM;
        goto out;
    }
    rc = devs_commit(sim, d, old, nold);
    old = NULL;
    if (rc)
        goto out;
    note_done(sim, note, done, opaque, 0);
    note = NULL;
out:
    devs_free(old, 0);
    free(note);
    return rc;
}

/* Take device devid (of a kind) from d. */
static int dev_remove(struct sim *sim, struct sim_dom *d, bool vif,
                      int devid, xld_backend_done_fn *done, void *opaque)
{
    struct sim_note *note = NULL;
    struct sim_dev *old = NULL;
    int nold = d->ndevs, k, rc;

    for (k = 0; k < d->ndevs; k++)
        if (d->devs[k].vif == vif && d->devs[k].devid == devid)
            break;
    if (k == d->ndevs)
        return -ENODEV;
    note = calloc(1, sizeof(*note));
    if (!note || (rc = devs_copy(d, &old))) {
        rc = -ENOMEM;
        goto out;
    }
    free(d->devs[k].vdev);
    free(d->devs[k].target);
    memmove(&d->devs[k], &d->devs[k + 1],
            (size_t)(d->ndevs - k - 1) * sizeof(*d->devs));
    d->ndevs--;
    rc = devs_commit(sim, d, old, nold);
    old = NULL;
    if (rc)
        goto out;
    note_done(sim, note, done, opaque, 0);
    note = NULL;
out:
    devs_free(old, 0);
    free(note);
    return rc;
}

/* The simulated guest lets a disk go at once, so force changes
 * nothing. */
static int sim_disk_remove(struct xld_backend *be, uint32_t domid,
                           const char *vdev, bool force,
                           xld_backend_done_fn *done, void *opaque)
{
    struct sim *sim = be->priv;
    struct sim_dom *d;
    int devid, rc = dom_for_change(sim, domid, &d);

    (void)force;
    if (rc)
        return rc;
    devid = xlconv_vdev_devid(vdev);
    if (devid < 0)
        return -ENODEV;
    return dev_remove(sim, d, false, devid, done, opaque);
}

static int sim_nic_add(struct xld_backend *be, uint32_t domid,
                       libxl_device_nic *nic, xld_backend_done_fn *done,
                       void *opaque)
{
    struct sim *sim = be->priv;
    struct sim_note *note = NULL;
    struct sim_dev *v;
    struct sim_dom *d;
    int rc = dom_for_change(sim, domid, &d);

    if (rc)
        return rc;
    if (nic->devid >= 0 && dev_find(d, true, nic->devid))
        return -EEXIST;
    if (!mac_is_zero(&nic->mac) && mac_used(d, &nic->mac))
        return -EEXIST;
    note = calloc(1, sizeof(*note));
    if (!note)
        return -ENOMEM;
    /* libxl's choice: the devid after the highest one, and a MAC of
     * Xen's prefix. */
    if (nic->devid < 0) {
        nic->devid = 0;
        for (int i = 0; i < d->ndevs; i++)
            if (d->devs[i].vif && d->devs[i].devid >= nic->devid)
                nic->devid = d->devs[i].devid + 1;
    }
    if (mac_is_zero(&nic->mac))
        mac_make(d, &nic->mac);
    v = dev_append(d, true);
    if (!v) {
        free(note);
        return -ENOMEM;
    }
    v->devid = nic->devid;
    memcpy(v->mac, nic->mac, sizeof(v->mac));
    dev_count(d);
    rc = dom_persist(sim, d);
    if (rc) {
        d->ndevs--;
        dev_count(d);
        free(note);
        return rc;
    }
    note_done(sim, note, done, opaque, 0);
    return 0;
}

static int sim_nic_remove(struct xld_backend *be, uint32_t domid, int devid,
                          xld_backend_done_fn *done, void *opaque)
{
    struct sim *sim = be->priv;
    struct sim_dom *d;
    int rc = dom_for_change(sim, domid, &d);

    if (rc)
        return rc;
    return dev_remove(sim, d, true, devid, done, opaque);
}

/* The devices of one kind, as libxl's getinfo describes them: backend
 * dom0, connected (XenbusStateConnected, 4). */
static int dev_list(struct xld_backend *be, uint32_t domid, bool vif,
                    struct xld_devinfo **out, int *n)
{
    struct sim *sim = be->priv;
    struct sim_dom *d = dom_get(sim, domid);
    struct xld_devinfo *l;
    int k = 0;

    *out = NULL;
    *n = 0;
    if (!d)
        return -ENOENT;
    l = calloc((size_t)d->ndevs + 1, sizeof(*l));
    if (!l)
        return -ENOMEM;
    for (int i = 0; i < d->ndevs; i++) {
        const struct sim_dev *v = &d->devs[i];
        struct xld_devinfo *x;

        if (v->vif != vif)
            continue;
        x = &l[k++];
        x->devid = v->devid;
        x->backend_id = 0;
        x->frontend_id = domid;
        x->state = 4;
        x->evtch = v->evtch;
        x->rref = v->rref;
        x->rref_rx = v->rref_rx;
        memcpy(x->mac, v->mac, sizeof(x->mac));
        if (asprintf(&x->backend, "/local/domain/0/backend/%s/%" PRIu32
                     "/%d", vif ? "vif" : "vbd", domid, v->devid) < 0) {
            x->backend = NULL;
            xld_devinfo_list_free(l, k);
            return -ENOMEM;
        }
        if ((v->vdev && !(x->vdev = strdup(v->vdev)))
            || (v->target && !(x->target = strdup(v->target)))) {
            xld_devinfo_list_free(l, k);
            return -ENOMEM;
        }
    }
    *out = l;
    *n = k;
    return 0;
}

static int sim_disk_list(struct xld_backend *be, uint32_t domid,
                         struct xld_devinfo **out, int *n)
{
    return dev_list(be, domid, false, out, n);
}

static int sim_nic_list(struct xld_backend *be, uint32_t domid,
                        struct xld_devinfo **out, int *n)
{
    return dev_list(be, domid, true, out, n);
}

/* pci-attach: Xen's checks are pci_take's; the guest takes the device
 * at once, and done() comes from the loop. */
static int sim_pci_add(struct xld_backend *be, uint32_t domid,
                       libxl_device_pci *pci, xld_backend_done_fn *done,
                       void *opaque)
{
    struct sim *sim = be->priv;
    struct sim_note *note = NULL;
    struct sim_dom *d;
    int nold, rc = dom_for_change(sim, domid, &d);

    if (rc)
        goto out;
    note = calloc(1, sizeof(*note));
    if (!note) {
        rc = -ENOMEM;
        goto out;
    }
    nold = d->npcis;
    rc = pci_take(sim, d, pci);
    if (rc)
        goto out;
    rc = dom_persist(sim, d);
    if (rc) {
        d->npcis = nold;
        goto out;
    }
    note_done(sim, note, done, opaque, 0);
    note = NULL;
out:
    free(note);
    return rc;
}

/* pci-detach: the simulated guest lets a device go at once, so force
 * changes nothing. */
static int sim_pci_remove(struct xld_backend *be, uint32_t domid,
                          libxl_device_pci *pci, bool force,
                          xld_backend_done_fn *done, void *opaque)
{
    struct sim *sim = be->priv;
    struct sim_note *note = NULL;
    struct sim_pci *old = NULL;
    struct sim_dom *d;
    int nold = 0, k = 0, rc = dom_for_change(sim, domid, &d);

    (void)force;
    if (!rc)
        rc = pci_resolve(sim, pci);
    if (rc)
        goto out;
    nold = d->npcis;
    note = calloc(1, sizeof(*note));
    old = calloc((size_t)nold + 1, sizeof(*old));
    if (!note || !old) {
        rc = -ENOMEM;
        goto out;
    }
    memcpy(old, d->pcis, (size_t)nold * sizeof(*old));
    for (int i = 0; i < nold; i++)
        if (!pci_names(pci, old[i].bdf))
            d->pcis[k++] = old[i];
    if (k == nold) {
        rc = -ENODEV;
        goto out;
    }
    d->npcis = k;
    rc = dom_persist(sim, d);
    if (rc) {
        memcpy(d->pcis, old, (size_t)nold * sizeof(*old));
        d->npcis = nold;
        goto out;
    }
    note_done(sim, note, done, opaque, 0);
    note = NULL;
out:
    free(old);
    free(note);
    return rc;
}

/* A malloc'd list of n libxl devices, each initialised; NULL on
 * ENOMEM. */
static libxl_device_pci *pci_list_new(int n)
{
    libxl_device_pci *l = calloc((size_t)n + 1, sizeof(*l));

    for (int i = 0; l && i < n; i++)
        libxl_device_pci_init(&l[i]);
    return l;
}

/* The host's name of a device into a listed device; 0 or -ENOMEM. */
static int pci_name_copy(struct sim *sim, libxl_device_pci *pci)
{
    const struct sim_hostpci *h = hostpci_find(sim, pci_bdf(pci));

    if (!h || !h->name)
        return 0;
    pci->name = strdup(h->name);
    return pci->name ? 0 : -ENOMEM;
}

static int sim_pci_list(struct xld_backend *be, uint32_t domid,
                        libxl_device_pci **out, int *n)
{
    struct sim *sim = be->priv;
    struct sim_dom *d = dom_get(sim, domid);
    libxl_device_pci *l = NULL;
    int rc = 0;

    *out = NULL;
    *n = 0;
    if (!d) {
        rc = -ENOENT;
        goto out;
    }
    l = pci_list_new(d->npcis);
    if (!l) {
        rc = -ENOMEM;
        goto out;
    }
    for (int i = 0; i < d->npcis && !rc; i++) {
        const struct sim_pci *p = &d->pcis[i];

        pci_fill(&l[i], p->bdf);
        l[i].vdevfn = p->vdevfn;
        l[i].vfunc_mask = 1;
        l[i].msitranslate = p->msitranslate;
        l[i].power_mgmt = p->power_mgmt;
        l[i].permissive = p->permissive;
        l[i].rdm_policy = p->rdm_policy;
        rc = pci_name_copy(sim, &l[i]);
    }
    if (!rc) {
        *out = l;
        *n = d->npcis;
        l = NULL;
    }
out:
    if (l)
        libxl_device_pci_list_free(l, d->npcis);
    return rc;
}

/* The host's assignable devices that no domain has, as pciback and
 * libxl's assignable list show them. */
static int sim_pci_assignable_list(struct xld_backend *be,
                                   libxl_device_pci **out, int *n)
{
    struct sim *sim = be->priv;
    libxl_device_pci *l = pci_list_new(SIM_NPCI);
    int k = 0, rc = 0;

    *out = NULL;
    *n = 0;
    if (!l) {
        rc = -ENOMEM;
        goto out;
    }
    for (int i = 0; i < SIM_NPCI && !rc; i++) {
        if (!sim->pci[i].assignable || pci_owner(sim, sim->pci[i].bdf))
            continue;
        pci_fill(&l[k], sim->pci[i].bdf);
        l[k].vfunc_mask = 1;
        rc = pci_name_copy(sim, &l[k++]);
    }
    if (!rc) {
        *out = l;
        *n = k;
        l = NULL;
    }
out:
    if (l)
        libxl_device_pci_assignable_list_free(l, SIM_NPCI);
    return rc;
}

/* A name libxl accepts for a device: at most 64 characters, all
 * printable and none a blank. */
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

static int sim_pci_assignable_add(struct xld_backend *be,
                                  libxl_device_pci *pci, bool rebind)
{
    struct sim *sim = be->priv;
    struct sim_hostpci *h = hostpci_find(sim, pci_bdf(pci)), old;
    const struct sim_hostpci *named;
    char *name = NULL;
    int rc = 0;

    /* The simulated dom0 has no drivers to give a device back to. */
    (void)rebind;
    if (!h) {
        rc = -ENODEV;
        goto out;
    }
    named = pci->name ? hostpci_by_name(sim, pci->name) : NULL;
    if (pci->name && (!pci_name_ok(pci->name) || (named && named != h))) {
        rc = -EINVAL;
        goto out;
    }
    if (pci_owner(sim, h->bdf)) {
        rc = -EBUSY;
        goto out;
    }
    if (pci->name && !(name = strdup(pci->name))) {
        rc = -ENOMEM;
        goto out;
    }
    old = *h;
    h->assignable = true;
    h->name = name;
    rc = host_persist(sim);
    if (rc) {
        *h = old;
        goto out;
    }
    name = old.name;
out:
    free(name);
    return rc;
}

static int sim_pci_assignable_remove(struct xld_backend *be,
                                     libxl_device_pci *pci, bool rebind)
{
    struct sim *sim = be->priv;
    struct sim_hostpci *h, old;
    int rc = 0;

    (void)rebind;
    h = pci->name ? hostpci_by_name(sim, pci->name)
                  : hostpci_find(sim, pci_bdf(pci));
    if (!h) {
        rc = -ENODEV;
        goto out;
    }
    if (pci_owner(sim, h->bdf)) {
        rc = -EBUSY;
        goto out;
    }
    /* A device dom0 has already stays so, as libxl lets it. */
    if (!h->assignable)
        goto out;
    old = *h;
    h->assignable = false;
    h->name = NULL;
    rc = host_persist(sim);
    if (rc) {
        *h = old;
        goto out;
    }
    free(old.name);
out:
    return rc;
}

/* cd-insert, cd-eject: the medium of a CD-ROM drive of an HVM guest
 * changes at once (its device model's drive). */
static int sim_cdrom_insert(struct xld_backend *be, uint32_t domid,
                            libxl_device_disk *disk,
                            xld_backend_done_fn *done, void *opaque)
{
    struct sim *sim = be->priv;
    struct sim_note *note = NULL;
    struct sim_dev *v = NULL;
    struct sim_dom *d;
    char *target = NULL, *old;
    int devid, rc = dom_for_change(sim, domid, &d);

    if (rc)
        goto out;
    if (d->st.type != LIBXL_DOMAIN_TYPE_HVM) {
        rc = -EOPNOTSUPP;
        goto out;
    }
    devid = xlconv_vdev_devid(disk->vdev);
    if (devid >= 0)
        v = dev_find(d, false, devid);
    if (!v || !v->cdrom) {
        rc = -ENODEV;
        goto out;
    }
    note = calloc(1, sizeof(*note));
    if (!note || (disk->format != LIBXL_DISK_FORMAT_EMPTY
                  && disk->pdev_path && *disk->pdev_path
                  && !(target = strdup(disk->pdev_path)))) {
        rc = -ENOMEM;
        goto out;
    }
    /* The drive's old medium comes back if the state cannot be
     * written (and is freed, through target, if it can). */
    old = v->target;
    v->target = target;
    target = old;
    rc = dom_persist(sim, d);
    if (rc) {
        target = v->target;
        v->target = old;
        goto out;
    }
    note_done(sim, note, done, opaque, 0);
    note = NULL;
out:
    free(target);
    free(note);
    return rc;
}

const struct xld_backend_ops xld_backend_sim_ops = {
    .name = "sim",
    .open = sim_open,
    .close = sim_close,
    .host_info = sim_host_info,
    .list = sim_list,
    .info = sim_info,
    .create = sim_create,
    .restore = sim_restore,
    .save = sim_save,
    .destroy = sim_destroy,
    .shutdown = sim_shutdown,
    .reboot = sim_reboot,
    .pause = sim_pause,
    .unpause = sim_unpause,
    .set_memory_target = sim_set_memory_target,
    .set_memory_max = sim_set_memory_max,
    .set_vcpus = sim_set_vcpus,
    .rename = sim_rename,
    .preserve = sim_preserve,
    .core_dump = sim_core_dump,
    .soft_reset = sim_soft_reset,
    .send_trigger = sim_send_trigger,
    .retrieve_config = sim_retrieve_config,
    .config_from_json = sim_config_from_json,
    .console_tty = sim_console_tty,
    .vcpu_info = sim_vcpu_info,
    .vcpu_pin = sim_vcpu_pin,
    .cpupool_info = sim_cpupool_info,
    .sched_get = sim_sched_get,
    .sched_set = sim_sched_set,
    .userdata_store = sim_userdata_store,
    .userdata_retrieve = sim_userdata_retrieve,
    .inject = sim_inject,
    .send_sysrq = sim_send_sysrq,
    .dom_stats = sim_dom_stats,
    .migrate_send = sim_migrate_send,
    .resume = sim_resume,
    .disk_add = sim_disk_add,
    .disk_remove = sim_disk_remove,
    .disk_list = sim_disk_list,
    .nic_add = sim_nic_add,
    .nic_remove = sim_nic_remove,
    .nic_list = sim_nic_list,
    .pci_add = sim_pci_add,
    .pci_remove = sim_pci_remove,
    .pci_list = sim_pci_list,
    .pci_assignable_list = sim_pci_assignable_list,
    .pci_assignable_add = sim_pci_assignable_add,
    .pci_assignable_remove = sim_pci_assignable_remove,
    .cdrom_insert = sim_cdrom_insert,
};
