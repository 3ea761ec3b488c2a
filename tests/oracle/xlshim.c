/*
 * xlshim.c - LD_PRELOAD shim that lets Debian's real "xl" (Xen 4.17) run
 * "xl -N create CFG" on a machine that has no Xen hypervisor.
 *
 * Why this exists: the xl config format has many undocumented corners, and
 * the most reliable description of what is accepted, rejected and how each
 * key lands in libxl_domain_config is the upstream parser itself.  A dry run
 * ("-N") only parses the config and prints the resulting libxl_domain_config
 * as JSON, but xl still insists on opening the hypervisor and xenstore
 * before it parses anything, and a few config keys (cpus=, pool=, vnuma...)
 * ask the hypervisor about the host.  This shim answers those questions as
 * a fixed, fictional host would:
 *
 *   Xen 4.17 (extraversion ".7", as Debian 12's 4.17.7 hypervisor reports),
 *   8 physical CPUs numbered 0-7, 1 socket, 1 NUMA node, 256 GiB of RAM,
 *   HVM + PV + HAP + shadow + IOMMU capable, credit2 scheduler,
 *   one cpupool "Pool-0" owning all CPUs, and only Domain-0 running.
 *
 * Design:
 *   - Interposition happens at the boundary between libxenlight and
 *     libxenctrl/libxenstore.  Those are calls between two shared objects,
 *     so they always go through the PLT and the preloaded definitions win.
 *     libxl itself is left untouched, which keeps all of its parsing,
 *     defaulting and JSON generation genuine.
 *   - xc_interface_open() and xs_open() return pointers to private dummy
 *     objects.  No real libxenctrl or libxenstore function may ever see
 *     these pointers, because it would dereference them as its own private
 *     structure.  Therefore every other xc_* and xs_* entry point that
 *     libxenlight imports is defined here as a "tripwire" that prints the
 *     function name and aborts.  An oracle that silently invents answers
 *     would be worse than one that stops and says which query it could not
 *     answer.
 *   - Three libxl entry points that xl calls directly are also wrapped:
 *     libxl_read_file_contents() so that the global /etc/xen/xl.conf can be
 *     redirected (xl has no option or environment variable for it), and
 *     libxl_uuid_generate() / libxl_ms_vm_genid_generate() so that the
 *     otherwise random domain UUID and VM generation ID can be made
 *     reproducible.
 *
 * Environment variables read by the shim:
 *   XL_ORACLE_GLOBAL_CONFIG  path read instead of /etc/xen/xl.conf; when it
 *                            is unset or empty, an empty file is
 *                            simulated, which gives xl's built-in defaults.
 *   XL_ORACLE_UUID           "random" keeps libxl's real random UUIDs;
 *                            a UUID string fixes the first generated UUID
 *                            (later ones count upwards in the last byte);
 *                            unset means 00000000-0000-4000-8000-000000000001.
 *   XL_ORACLE_TRACE          when set to a non-empty value, every emulated
 *                            query is logged to stderr as "xlshim: ...".
 *
 * Build: cc -std=gnu11 -shared -fPIC -Wall -Wextra -Werror -o xlshim.so
 * xlshim.c -ldl (tests/oracle/xl-dry-run does this).  The Xen headers use
 * GNU extensions, so a strict ISO dialect such as -std=c11 cannot be used.
 *
 * Nothing in this file is copied from Xen; the values and semantics were
 * taken from the public headers installed by libxen-dev and from observing
 * which calls xl makes.
 */

#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xenctrl.h>
#include <xenstore.h>
#include <libxl.h>
#include <libxl_utils.h>

/* ------------------------------------------------------------------------
 * The emulated host.  All numbers live here so that the README and the
 * code can be checked against each other at a glance.
 * ---------------------------------------------------------------------- */

#define HOST_NR_CPUS        8u
#define HOST_NR_NODES       1u
#define HOST_PAGE_SIZE      4096u
/* 256 GiB expressed in 4 KiB pages. */
#define HOST_TOTAL_PAGES    (256ull * 1024 * 1024 * 1024 / HOST_PAGE_SIZE)
/*
 * Free memory: everything except what a typical Debian dom0 and Xen itself
 * hold (4 GiB in total), so that any reasonable guest would fit.  The dry
 * run never reaches the ballooning code, but xl info style queries would.
 */
#define HOST_FREE_PAGES     (HOST_TOTAL_PAGES - \
                             (4ull * 1024 * 1024 * 1024 / HOST_PAGE_SIZE))
#define HOST_CPU_KHZ        2400000u
#define HOST_VERSION_MAJOR  4
#define HOST_VERSION_MINOR  17
/* The Debian 12 xen-hypervisor-4.17 build reports ".7" as its extraversion. */
#define HOST_EXTRAVERSION   ".7"
/* The credit2 scheduler is the default in Xen 4.17 (XEN_SCHEDULER_CREDIT2). */
#define HOST_SCHED_ID       6
/* Distance of a NUMA node to itself, as reported by ACPI SLIT. */
#define HOST_LOCAL_DISTANCE 10u
/* Linux x86_64 PV guests see Xen starting here. */
#define HOST_VIRT_START     0xffff800000000000ul

/* ------------------------------------------------------------------------
 * Small helpers.
 * ---------------------------------------------------------------------- */

static int trace_enabled(void)
{
    const char *t = getenv("XL_ORACLE_TRACE");

    return t && *t;
}

/*
 * Log one emulated query.  Tracing is opt-in because xl's stderr is part of
 * what the oracle reproduces, and extra lines would change it.
 */
static void trace(const char *fmt, ...)
{
    va_list ap;

    if (!trace_enabled())
        return;
    va_start(ap, fmt);
    fputs("xlshim: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

/*
 * Called by every tripwire.  The message names the function so that the
 * shim can be extended; abort() makes the failure impossible to mistake
 * for a genuine rejection of the config by xl.
 */
static void unexpected(const char *fn) __attribute__((noreturn));
static void unexpected(const char *fn)
{
    fprintf(stderr,
            "xlshim: xl asked the (emulated) hypervisor something the shim "
            "does not answer: %s(); extend tests/oracle/xlshim.c\n", fn);
    fflush(stderr);
    abort();
}

/* Find the next definition of a symbol, i.e. the real library function. */
static void *real_symbol(const char *name)
{
    void *p = dlsym(RTLD_NEXT, name);

    if (!p) {
        fprintf(stderr, "xlshim: cannot find the real %s: %s\n",
                name, dlerror());
        abort();
    }
    return p;
}

/* Copy a string into a fixed-size hypervisor buffer, always terminated. */
static void set_fixed_string(char *dst, size_t size, const char *src)
{
    snprintf(dst, size, "%s", src);
}

/* ------------------------------------------------------------------------
 * Handles.  The objects only need distinct, non-NULL addresses; their
 * contents are never looked at.
 * ---------------------------------------------------------------------- */

static char fake_xc_object;
static char fake_xs_object;

#define FAKE_XCH ((xc_interface *)(void *)&fake_xc_object)
#define FAKE_XSH ((struct xs_handle *)(void *)&fake_xs_object)

/*
 * Guard used by every emulated xc_* function: a handle that is not ours
 * means someone opened libxenctrl behind the shim's back, which the shim
 * cannot serve.
 */
static void check_xch(xc_interface *xch, const char *fn)
{
    if (xch != FAKE_XCH)
        unexpected(fn);
}

static void check_xsh(struct xs_handle *xsh, const char *fn)
{
    if (xsh != FAKE_XSH)
        unexpected(fn);
}

xc_interface *xc_interface_open(xentoollog_logger *logger,
                                xentoollog_logger *dombuild_logger,
                                unsigned open_flags)
{
    (void)logger;
    (void)dombuild_logger;
    trace("xc_interface_open(flags=%#x)", open_flags);
    return FAKE_XCH;
}

int xc_interface_close(xc_interface *xch)
{
    trace("xc_interface_close");
    check_xch(xch, "xc_interface_close");
    return 0;
}

struct xs_handle *xs_open(unsigned long flags)
{
    trace("xs_open(flags=%#lx)", flags);
    return FAKE_XSH;
}

void xs_close(struct xs_handle *xsh)
{
    trace("xs_close");
    /* The real xs_close() accepts NULL, so the emulation does too. */
    if (xsh)
        check_xsh(xsh, "xs_close");
}

/* The deprecated spellings of xs_open()/xs_close(), for completeness. */
struct xs_handle *xs_daemon_open(void)
{
    trace("xs_daemon_open");
    return FAKE_XSH;
}

struct xs_handle *xs_daemon_open_readonly(void)
{
    trace("xs_daemon_open_readonly");
    return FAKE_XSH;
}

struct xs_handle *xs_domain_open(void)
{
    trace("xs_domain_open");
    return FAKE_XSH;
}

void xs_daemon_close(struct xs_handle *xsh)
{
    trace("xs_daemon_close");
    if (xsh)
        check_xsh(xsh, "xs_daemon_close");
}

/* ------------------------------------------------------------------------
 * Host description queries (libxenctrl).
 * ---------------------------------------------------------------------- */

int xc_physinfo(xc_interface *xch, xc_physinfo_t *info)
{
    check_xch(xch, "xc_physinfo");
    trace("xc_physinfo");
    memset(info, 0, sizeof(*info));
    /* One socket with eight cores and no hyperthreading: CPUs 0-7. */
    info->threads_per_core = 1;
    info->cores_per_socket = HOST_NR_CPUS;
    info->nr_cpus = HOST_NR_CPUS;
    info->max_cpu_id = HOST_NR_CPUS - 1;
    info->nr_nodes = HOST_NR_NODES;
    info->max_node_id = HOST_NR_NODES - 1;
    info->cpu_khz = HOST_CPU_KHZ;
    info->capabilities = XEN_SYSCTL_PHYSCAP_hvm |
                         XEN_SYSCTL_PHYSCAP_pv |
                         XEN_SYSCTL_PHYSCAP_directio |
                         XEN_SYSCTL_PHYSCAP_hap |
                         XEN_SYSCTL_PHYSCAP_shadow |
                         XEN_SYSCTL_PHYSCAP_iommu_hap_pt_share |
                         XEN_SYSCTL_PHYSCAP_gnttab_v1 |
                         XEN_SYSCTL_PHYSCAP_gnttab_v2;
    info->total_pages = HOST_TOTAL_PAGES;
    info->free_pages = HOST_FREE_PAGES;
    info->scrub_pages = 0;
    info->outstanding_pages = 0;
    info->max_mfn = HOST_TOTAL_PAGES - 1;
    return 0;
}

/*
 * libxenctrl derives these three from physinfo internally.  A call inside
 * one library need not pass through the PLT, so the shim's xc_physinfo()
 * might not be reached; each one is therefore answered here directly.
 */
int xc_get_max_cpus(xc_interface *xch)
{
    check_xch(xch, "xc_get_max_cpus");
    trace("xc_get_max_cpus");
    return HOST_NR_CPUS;
}

int xc_get_online_cpus(xc_interface *xch)
{
    check_xch(xch, "xc_get_online_cpus");
    trace("xc_get_online_cpus");
    return HOST_NR_CPUS;
}

int xc_get_max_nodes(xc_interface *xch)
{
    check_xch(xch, "xc_get_max_nodes");
    trace("xc_get_max_nodes");
    return HOST_NR_NODES;
}

/*
 * Page sharing is not in use on the emulated host; libxl treats 0 and
 * ENOSYS alike, and 0 is what a host without sharing reports.
 */
long xc_sharing_freed_pages(xc_interface *xch)
{
    check_xch(xch, "xc_sharing_freed_pages");
    trace("xc_sharing_freed_pages");
    return 0;
}

long xc_sharing_used_frames(xc_interface *xch)
{
    check_xch(xch, "xc_sharing_used_frames");
    trace("xc_sharing_used_frames");
    return 0;
}

/*
 * CPU topology: a NULL array asks for the number of CPUs; otherwise fill
 * as many entries as the caller has room for.  Every CPU is its own core
 * on socket 0 and node 0.
 */
int xc_cputopoinfo(xc_interface *xch, unsigned *max_cpus,
                   xc_cputopo_t *cputopo)
{
    unsigned i;

    check_xch(xch, "xc_cputopoinfo");
    trace("xc_cputopoinfo(max_cpus=%u, %s)", *max_cpus,
          cputopo ? "fill" : "count");
    if (cputopo) {
        for (i = 0; i < *max_cpus && i < HOST_NR_CPUS; i++) {
            cputopo[i].core = i;
            cputopo[i].socket = 0;
            cputopo[i].node = 0;
        }
    }
    *max_cpus = HOST_NR_CPUS;
    return 0;
}

/*
 * NUMA information: one node holding all memory, at the local distance
 * from itself.  As with the topology call, NULL arrays ask for the count.
 */
int xc_numainfo(xc_interface *xch, unsigned *max_nodes,
                xc_meminfo_t *meminfo, uint32_t *distance)
{
    check_xch(xch, "xc_numainfo");
    trace("xc_numainfo(max_nodes=%u)", *max_nodes);
    if (*max_nodes >= HOST_NR_NODES) {
        if (meminfo) {
            meminfo[0].memsize = HOST_TOTAL_PAGES * HOST_PAGE_SIZE;
            meminfo[0].memfree = HOST_FREE_PAGES * HOST_PAGE_SIZE;
        }
        if (distance)
            distance[0] = HOST_LOCAL_DISTANCE;
    }
    *max_nodes = HOST_NR_NODES;
    return 0;
}

int xc_sched_id(xc_interface *xch, int *sched_id)
{
    check_xch(xch, "xc_sched_id");
    trace("xc_sched_id");
    *sched_id = HOST_SCHED_ID;
    return 0;
}

/*
 * Version queries.  Only the data libxl_get_version_info() collects is
 * answered.  The strings imitate the Debian 12 hypervisor build; none of
 * them influences how a config is parsed, except the command line, which
 * xl scans for dom0_mem= to decide on automatic ballooning.  The command
 * line is Debian's default "placeholder" without dom0_mem, so
 * autoballoon=auto resolves to "on", as on a stock Debian host.
 */
int xc_version(xc_interface *xch, int cmd, void *arg)
{
    check_xch(xch, "xc_version");
    trace("xc_version(cmd=%d)", cmd);
    switch (cmd) {
    case XENVER_version:
        return (HOST_VERSION_MAJOR << 16) | HOST_VERSION_MINOR;
    case XENVER_extraversion:
        set_fixed_string(arg, sizeof(xen_extraversion_t), HOST_EXTRAVERSION);
        return 0;
    case XENVER_compile_info: {
        xen_compile_info_t *ci = arg;

        memset(ci, 0, sizeof(*ci));
        set_fixed_string(ci->compiler, sizeof(ci->compiler),
                         "x86_64-linux-gnu-gcc (Debian 12.2.0-14+deb12u1) "
                         "12.2.0");
        set_fixed_string(ci->compile_by, sizeof(ci->compile_by),
                         "pkg-xen-devel");
        set_fixed_string(ci->compile_domain, sizeof(ci->compile_domain),
                         "lists.alioth.debian.org");
        set_fixed_string(ci->compile_date, sizeof(ci->compile_date),
                         "Thu Jan  1 00:00:00 UTC 1970");
        return 0;
    }
    case XENVER_capabilities:
        set_fixed_string(arg, sizeof(xen_capabilities_info_t),
                         "xen-3.0-x86_64 hvm-3.0-x86_32 hvm-3.0-x86_32p "
                         "hvm-3.0-x86_64");
        return 0;
    case XENVER_changeset:
        set_fixed_string(arg, sizeof(xen_changeset_info_t), "");
        return 0;
    case XENVER_platform_parameters: {
        xen_platform_parameters_t *pp = arg;

        pp->virt_start = HOST_VIRT_START;
        return 0;
    }
    case XENVER_pagesize:
        return HOST_PAGE_SIZE;
    case XENVER_commandline:
        set_fixed_string(arg, sizeof(xen_commandline_t), "placeholder");
        return 0;
    case XENVER_build_id:
        /* A zero-length build id; libxl reports it as an empty string. */
        return 0;
    default:
        errno = ENOSYS;
        return -1;
    }
}

/* ------------------------------------------------------------------------
 * Cpupools.  The host has only Pool-0 (id 0) with all CPUs and dom0.
 * ---------------------------------------------------------------------- */

/* Bytes needed for a bitmap of all host CPUs. */
#define HOST_CPUMAP_BYTES ((HOST_NR_CPUS + 7) / 8)

/*
 * Return the first pool whose id is >= poolid, or NULL with ENOENT when
 * there is none; this is how callers walk the list of pools.  The info
 * and its CPU map are one allocation so xc_cpupool_infofree() can free
 * both at once.
 */
xc_cpupoolinfo_t *xc_cpupool_getinfo(xc_interface *xch, uint32_t poolid)
{
    xc_cpupoolinfo_t *info;
    unsigned i;

    check_xch(xch, "xc_cpupool_getinfo");
    trace("xc_cpupool_getinfo(%u)", poolid);
    if (poolid > 0) {
        errno = ENOENT;
        return NULL;
    }
    info = calloc(1, sizeof(*info) + HOST_CPUMAP_BYTES);
    if (!info)
        return NULL;
    info->cpupool_id = 0;
    info->sched_id = HOST_SCHED_ID;
    info->n_dom = 1;
    info->cpumap = (xc_cpumap_t)(info + 1);
    for (i = 0; i < HOST_NR_CPUS; i++)
        info->cpumap[i / 8] |= (uint8_t)(1u << (i % 8));
    return info;
}

void xc_cpupool_infofree(xc_interface *xch, xc_cpupoolinfo_t *info)
{
    check_xch(xch, "xc_cpupool_infofree");
    trace("xc_cpupool_infofree");
    free(info);
}

/* No CPU is outside a pool: the map of free CPUs is empty. */
xc_cpumap_t xc_cpupool_freeinfo(xc_interface *xch)
{
    check_xch(xch, "xc_cpupool_freeinfo");
    trace("xc_cpupool_freeinfo");
    return calloc(1, HOST_CPUMAP_BYTES);
}

/* ------------------------------------------------------------------------
 * Xenstore.  Only the two names a fresh host has are known; every other
 * read reports that the node does not exist, like an empty store would.
 * ---------------------------------------------------------------------- */

void *xs_read(struct xs_handle *h, xs_transaction_t t,
              const char *path, unsigned int *len)
{
    const char *value = NULL;
    char *copy;

    (void)t;
    check_xsh(h, "xs_read");
    if (!strcmp(path, "/local/pool/0/name"))
        value = "Pool-0";
    else if (!strcmp(path, "/local/domain/0/name"))
        value = "Domain-0";
    trace("xs_read(%s) -> %s", path, value ? value : "ENOENT");
    if (!value) {
        errno = ENOENT;
        return NULL;
    }
    copy = strdup(value);
    if (copy && len)
        *len = (unsigned int)strlen(copy);
    return copy;
}

/* ------------------------------------------------------------------------
 * libxl entry points that xl calls directly.
 * ---------------------------------------------------------------------- */

/*
 * xl reads its global configuration from the compiled-in path
 * /etc/xen/xl.conf and offers no way to change it.  Reading a file that
 * happens to be on the machine running the oracle would make results
 * depend on that machine, so the path is replaced by a chosen file, or by
 * an empty configuration (xl's built-in defaults).  All other files, notably the
 * domain config itself, are read unchanged.
 */
int libxl_read_file_contents(libxl_ctx *ctx, const char *filename,
                             void **data_r, int *datalen_r)
{
    typedef int (*read_fn)(libxl_ctx *, const char *, void **, int *);
    static read_fn real_read;
    const char *global;

    if (!real_read)
        real_read = (read_fn)real_symbol("libxl_read_file_contents");
    if (filename && !strcmp(filename, "/etc/xen/xl.conf")) {
        global = getenv("XL_ORACLE_GLOBAL_CONFIG");
        if (!global || !*global) {
            /*
             * Behave as if the file existed and were empty.  /dev/null
             * cannot stand in for it: libxl only reads plain files.
             */
            trace("global config %s replaced by an empty one", filename);
            if (data_r)
                *data_r = NULL;
            if (datalen_r)
                *datalen_r = 0;
            return 0;
        }
        trace("global config %s read from %s", filename, global);
        filename = global;
    }
    return real_read(ctx, filename, data_r, datalen_r);
}

/*
 * Parse "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" into 16 bytes.  Returns 0
 * on success.  Written out by hand so that the shim does not depend on
 * libuuid or on libxl's parser.
 */
static int parse_uuid(const char *s, unsigned char out[16])
{
    unsigned i, n = 0;
    int hi = -1;

    for (i = 0; s[i]; i++) {
        int v;
        char c = s[i];

        if (c == '-') {
            if (i != 8 && i != 13 && i != 18 && i != 23)
                return -1;
            continue;
        }
        if (c >= '0' && c <= '9')
            v = c - '0';
        else if (c >= 'a' && c <= 'f')
            v = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            v = c - 'A' + 10;
        else
            return -1;
        if (hi < 0) {
            hi = v;
        } else {
            if (n >= 16)
                return -1;
            out[n++] = (unsigned char)(hi << 4 | v);
            hi = -1;
        }
    }
    return (n == 16 && hi < 0 && i == 36) ? 0 : -1;
}

/*
 * A real host gives every new domain a random UUID, which makes the JSON
 * differ from run to run.  By default the shim hands out a fixed sequence
 * instead, so that two runs on the same config print identical output.
 */
void libxl_uuid_generate(libxl_uuid *uuid)
{
    static const char default_uuid[] = "00000000-0000-4000-8000-000000000001";
    static unsigned calls;
    const char *want = getenv("XL_ORACLE_UUID");
    unsigned char bytes[16];

    if (want && !strcmp(want, "random")) {
        void (*real_gen)(libxl_uuid *) =
            (void (*)(libxl_uuid *))real_symbol("libxl_uuid_generate");

        real_gen(uuid);
        return;
    }
    if (!want || !*want)
        want = default_uuid;
    if (parse_uuid(want, bytes)) {
        fprintf(stderr, "xlshim: XL_ORACLE_UUID is not a UUID: %s\n", want);
        abort();
    }
    /* Successive UUIDs differ in the last byte, as distinct UUIDs should. */
    bytes[15] = (unsigned char)(bytes[15] + calls);
    calls++;
    memcpy(uuid->uuid, bytes, sizeof(bytes));
    trace("libxl_uuid_generate -> fixed value #%u", calls);
}

/*
 * generation_id="generate" asks libxl for 16 random bytes.  They are made
 * reproducible in the same way as the UUID (XL_ORACLE_UUID=random keeps
 * the real randomness for both).
 */
int libxl_ms_vm_genid_generate(libxl_ctx *ctx, libxl_ms_vm_genid *id)
{
    const char *want = getenv("XL_ORACLE_UUID");
    unsigned i;

    if (want && !strcmp(want, "random")) {
        int (*real_gen)(libxl_ctx *, libxl_ms_vm_genid *) =
            (int (*)(libxl_ctx *, libxl_ms_vm_genid *))
            real_symbol("libxl_ms_vm_genid_generate");

        return real_gen(ctx, id);
    }
    for (i = 0; i < LIBXL_MS_VM_GENID_LEN; i++)
        id->bytes[i] = (uint8_t)(i + 1);
    trace("libxl_ms_vm_genid_generate -> fixed value");
    return 0;
}

/* ------------------------------------------------------------------------
 * Tripwires.  Each of these is a libxenctrl or libxenstore function that
 * libxenlight imports and that the shim does not emulate.  Since the
 * handles are fake, letting the real function run would crash or, worse,
 * misbehave quietly.  The C names carry a prefix so that they do not
 * clash with the prototypes in the Xen headers; the assembler label gives
 * each one the exported name of the function it replaces.
 * ---------------------------------------------------------------------- */

#define TRIPWIRE(fn)                                                    \
    void xlshim_tripwire_##fn(void) __asm__(#fn);                       \
    void xlshim_tripwire_##fn(void) { unexpected(#fn); }

TRIPWIRE(xc_assign_device)
TRIPWIRE(xc_assign_dt_device)
TRIPWIRE(xc_cpuid_apply_policy)
TRIPWIRE(xc_cpupool_addcpu)
TRIPWIRE(xc_cpupool_create)
TRIPWIRE(xc_cpupool_destroy)
TRIPWIRE(xc_cpupool_movedomain)
TRIPWIRE(xc_cpupool_removecpu)
TRIPWIRE(xc_deassign_device)
TRIPWIRE(xc_dom_allocate)
TRIPWIRE(xc_dom_boot_image)
TRIPWIRE(xc_dom_boot_mem_init)
TRIPWIRE(xc_dom_boot_xen_init)
TRIPWIRE(xc_dom_build_image)
TRIPWIRE(xc_dom_feature_get)
TRIPWIRE(xc_dom_gnttab_init)
TRIPWIRE(xc_dom_guest_os)
TRIPWIRE(xc_dom_kernel_file)
TRIPWIRE(xc_dom_kernel_mem)
TRIPWIRE(xc_dom_loginit)
TRIPWIRE(xc_dom_malloc)
TRIPWIRE(xc_dom_mem_init)
TRIPWIRE(xc_dom_module_file)
TRIPWIRE(xc_dom_module_mem)
TRIPWIRE(xc_dom_parse_image)
TRIPWIRE(xc_dom_release)
TRIPWIRE(xc_dom_translated)
TRIPWIRE(xc_domain_create)
TRIPWIRE(xc_domain_destroy)
TRIPWIRE(xc_domain_dumpcore)
TRIPWIRE(xc_domain_get_native_protocol)
TRIPWIRE(xc_domain_getinfo)
TRIPWIRE(xc_domain_getinfolist)
TRIPWIRE(xc_domain_getvnuma)
TRIPWIRE(xc_domain_iomem_permission)
TRIPWIRE(xc_domain_ioport_permission)
TRIPWIRE(xc_domain_irq_permission)
TRIPWIRE(xc_domain_max_vcpus)
TRIPWIRE(xc_domain_memory_mapping)
TRIPWIRE(xc_domain_node_getaffinity)
TRIPWIRE(xc_domain_node_setaffinity)
TRIPWIRE(xc_domain_pause)
TRIPWIRE(xc_domain_resume)
TRIPWIRE(xc_domain_send_trigger)
TRIPWIRE(xc_domain_set_memmap_limit)
TRIPWIRE(xc_domain_set_memory_map)
TRIPWIRE(xc_domain_set_pod_target)
TRIPWIRE(xc_domain_set_target)
TRIPWIRE(xc_domain_set_time_offset)
TRIPWIRE(xc_domain_set_tsc_info)
TRIPWIRE(xc_domain_setmaxmem)
TRIPWIRE(xc_domain_setvnuma)
TRIPWIRE(xc_domain_shutdown)
TRIPWIRE(xc_domain_soft_reset)
TRIPWIRE(xc_domain_unpause)
TRIPWIRE(xc_evtchn_alloc_unbound)
TRIPWIRE(xc_flask_context_to_sid)
TRIPWIRE(xc_flask_getenforce)
TRIPWIRE(xc_flask_load)
TRIPWIRE(xc_flask_relabel_domain)
TRIPWIRE(xc_flask_setenforce)
TRIPWIRE(xc_flask_sid_to_context)
TRIPWIRE(xc_get_machine_memory_map)
TRIPWIRE(xc_hvm_param_get)
TRIPWIRE(xc_hvm_param_set)
TRIPWIRE(xc_map_foreign_range)
TRIPWIRE(xc_pcitopoinfo)
TRIPWIRE(xc_physdev_map_pirq)
TRIPWIRE(xc_physdev_unmap_pirq)
TRIPWIRE(xc_psr_cmt_attach)
TRIPWIRE(xc_psr_cmt_detach)
TRIPWIRE(xc_psr_cmt_enabled)
TRIPWIRE(xc_psr_cmt_get_data)
TRIPWIRE(xc_psr_cmt_get_domain_rmid)
TRIPWIRE(xc_psr_cmt_get_l3_cache_size)
TRIPWIRE(xc_psr_cmt_get_l3_event_mask)
TRIPWIRE(xc_psr_cmt_get_l3_upscaling_factor)
TRIPWIRE(xc_psr_cmt_get_total_rmid)
TRIPWIRE(xc_psr_get_domain_data)
TRIPWIRE(xc_psr_get_hw_info)
TRIPWIRE(xc_psr_set_domain_data)
TRIPWIRE(xc_readconsolering)
TRIPWIRE(xc_reserved_device_memory_map)
TRIPWIRE(xc_sched_credit2_domain_get)
TRIPWIRE(xc_sched_credit2_domain_set)
TRIPWIRE(xc_sched_credit2_params_get)
TRIPWIRE(xc_sched_credit2_params_set)
TRIPWIRE(xc_sched_credit_domain_get)
TRIPWIRE(xc_sched_credit_domain_set)
TRIPWIRE(xc_sched_credit_params_get)
TRIPWIRE(xc_sched_credit_params_set)
TRIPWIRE(xc_sched_rtds_domain_get)
TRIPWIRE(xc_sched_rtds_domain_set)
TRIPWIRE(xc_sched_rtds_vcpu_get)
TRIPWIRE(xc_sched_rtds_vcpu_set)
TRIPWIRE(xc_send_debug_keys)
TRIPWIRE(xc_set_paging_mempool_size)
TRIPWIRE(xc_suspend_evtchn_init_exclusive)
TRIPWIRE(xc_suspend_evtchn_release)
TRIPWIRE(xc_test_assign_device)
TRIPWIRE(xc_vcpu_getaffinity)
TRIPWIRE(xc_vcpu_getinfo)
TRIPWIRE(xc_vcpu_setaffinity)

TRIPWIRE(xs_check_watch)
TRIPWIRE(xs_daemon_destroy_postfork)
TRIPWIRE(xs_directory)
TRIPWIRE(xs_fileno)
TRIPWIRE(xs_get_domain_path)
TRIPWIRE(xs_introduce_domain)
TRIPWIRE(xs_mkdir)
TRIPWIRE(xs_read_watch)
TRIPWIRE(xs_release_domain)
TRIPWIRE(xs_resume_domain)
TRIPWIRE(xs_rm)
TRIPWIRE(xs_set_permissions)
TRIPWIRE(xs_set_target)
TRIPWIRE(xs_suspend_evtchn_port)
TRIPWIRE(xs_transaction_end)
TRIPWIRE(xs_transaction_start)
TRIPWIRE(xs_unwatch)
TRIPWIRE(xs_watch)
TRIPWIRE(xs_write)
