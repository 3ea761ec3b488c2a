/*
 * xlconv_int.h - what the files of the semantic layer share: the state
 * of one conversion, diagnostics at a value's location, and lookups that
 * behave exactly like libxlutil's xlu_cfg_get_* (same acceptance, same
 * warnings), because xl's behaviour is defined in terms of them.
 *
 * The conversion is split by subject, one file each:
 *   xlconv.c       driver, c_info, the core of b_info (memory, vcpus,
 *                  affinity, vNUMA, kernel/bootloader, PV/PVH), on_*
 *   xlconv_hvm.c   HVM build info, device model, vga/vnc/sdl/spice,
 *                  serial, usb, viridian, cpuid, timers
 *   xlconv_disk.c  disk = [...] and the disk spec grammar
 *   xlconv_nic.c   vif = [...] and the vif spec grammar, rates
 *   xlconv_pci.c   pci, rdm, dtdev, iomem, ioports, irqs, usbctrl, usbdev
 *   xlconv_devs.c  vfb, vkb, channel, vtpm, p9, pvcalls, vdispl, vsnd
 */
#ifndef XLCONV_INT_H
#define XLCONV_INT_H

#include <stdarg.h>
#include <stdbool.h>

#include "xlconf.h"
#include "xlconv.h"

struct xlconv {
    struct xlcfg *cfg;
    const struct xlconv_host *host;
    libxl_domain_config *dc;
    size_t nerrors;   /* errors recorded by the conversion */
    bool oom;         /* an allocation failed: the result is unusable */
    bool bad_affinity;  /* cpus= had an error: its maps mean nothing */
    /* The settings sorted by name (then by position), for lookups: a
     * conversion makes a few hundred of them. */
    struct xlcfg_setting **by_name;
    size_t nby_name;
};

/* The xl.conf a conversion applies: the host's, or xl's defaults. */
static inline const struct xlconf *xlconv_conf(const struct xlconv *cv)
{
    return cv->host->conf ? cv->host->conf : xlconf_defaults();
}

/* Build and free cv->by_name (xlconv_convert() does both). */
int xlconv_index(struct xlconv *cv);
void xlconv_index_free(struct xlconv *cv);

/* Diagnostics at a location (NULL: the file as a whole).  An error makes
 * the conversion fail; the conversion goes on to find the others. */
void xlconv_err(struct xlconv *cv, const struct xlcfg_loc *at,
                const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void xlconv_warn(struct xlconv *cv, const struct xlcfg_loc *at,
                 const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* The setting that gives a name its value (the last one), or NULL. */
const struct xlcfg_setting *xlconv_setting(struct xlconv *cv,
                                           const char *name);
/* The location of a name's value, or NULL when it is not set. */
const struct xlcfg_loc *xlconv_loc(struct xlconv *cv, const char *name);

/*
 * Lookups with libxlutil's semantics.  Each returns 0, ENOENT when the
 * name is not set (libxlutil says ESRCH), or EINVAL/ERANGE when the value
 * does not fit, in which case a warning is recorded unless dont_warn,
 * worded like xl's and placed at the value: exactly where xl's
 * xlu_cfg_get_* would print one.  What the caller does then is xl's
 * business, e.g. most keys are then treated as not set.
 */
int xlconv_string(struct xlconv *cv, const char *name, const char **out,
                  bool dont_warn);
/* A malloc'd copy, replacing (and freeing) *out, as
 * xlu_cfg_replace_string does: for filling libxl's char * fields. */
int xlconv_replace_string(struct xlconv *cv, const char *name, char **out,
                          bool dont_warn);
int xlconv_long(struct xlconv *cv, const char *name, long *out,
                bool dont_warn);
int xlconv_bounded_long(struct xlconv *cv, const char *name, long min,
                        long max, long *out, bool dont_warn);
/* A number, true when not 0. */
int xlconv_defbool(struct xlconv *cv, const char *name, libxl_defbool *out,
                   bool dont_warn);
int xlconv_list(struct xlconv *cv, const char *name,
                const struct xlcfg_value **out, bool dont_warn);
/* A list of strings as libxl_string_list, replacing (and freeing) *out;
 * it ends at the first item that is not a string, where
 * xlu_cfg_get_list_as_string_list puts a NULL. */
int xlconv_string_list(struct xlconv *cv, const char *name,
                       libxl_string_list *out, bool dont_warn);

/* Memory helpers that record a failure in cv->oom instead of crashing;
 * they return NULL (or ENOMEM) then, and callers just go on. */
char *xlconv_strdup(struct xlconv *cv, const char *s);
void *xlconv_calloc(struct xlconv *cv, size_t n, size_t size);
/* Grow a libxl device array by one element, which is zeroed; returns it
 * or NULL.  Example: disk = xlconv_grow(cv, (void **)&dc->disks,
 * &dc->num_disks, sizeof(*dc->disks)); then libxl_device_disk_init(). */
void *xlconv_grow(struct xlconv *cv, void **array, int *count, size_t size);
/* libxl_bitmap_alloc without a libxl_ctx (which needs a hypervisor). */
int xlconv_bitmap_alloc(struct xlconv *cv, libxl_bitmap *bm, int nbits);

/* Whether xl reads a setting of this name at all (for any guest type),
 * and the known name closest to a typo (NULL when none is close). */
bool xlconv_known_key(const char *name);
const char *xlconv_suggest_key(const char *name);
/* The edit distance between two names, for such suggestions (99 for
 * names too long to compare). */
size_t xlconv_key_distance(const char *a, const char *b);

/*
 * A cpu list as xl's parse_cpurange() reads it (cpus=, cpus_soft= and
 * xl.conf's masks): comma separated items "3", "2-5", "^4", "node:1",
 * "nodes:0-1", "all", each added to or taken from *map (allocated for
 * the host's cpus).  It stops at the first bad item, as xl does, leaving
 * what the items before it did, and returns false; with `report`, the
 * bad item is recorded as an error at `at`.
 */
bool xlconv_cpumap_parse(struct xlconv *cv, const struct xlcfg_loc *at,
                         const char *s, libxl_bitmap *map, bool report);
/* The node of an online cpu of the host (-1: offline). */
long xlconv_cpu_node(const struct xlconv_host *host, int cpu);

/* The parts, in the order xlconv_convert() runs them (after c_info and
 * the core of b_info are set, so the domain type is known). */
void xlconv_hvm(struct xlconv *cv);
void xlconv_disks(struct xlconv *cv);
void xlconv_nics(struct xlconv *cv);
void xlconv_pci(struct xlconv *cv);
void xlconv_devices(struct xlconv *cv);

/* Single device specs, also for the hot-plug verbs (block-attach...).
 * Each fills an initialised device and returns 0, or records errors at
 * `at` and returns EINVAL. */
int xlconv_disk_spec(struct xlconv *cv, const char *spec,
                     const struct xlcfg_loc *at, libxl_device_disk *disk);
int xlconv_nic_spec(struct xlconv *cv, const char *spec,
                    const struct xlcfg_loc *at, libxl_device_nic *nic);
int xlconv_pci_spec(struct xlconv *cv, const char *spec,
                    const struct xlcfg_loc *at, libxl_device_pci *pci);

/* The first error of a conversion context's diagnostics, for the
 * public wrappers that give a message rather than a config's
 * diagnostics (xlconv_disk, xlconv_nic): copied into why, or dflt when
 * there is none. */
void xlconv_first_error(const struct xlconv *cv, const char *dflt, char *why,
                        size_t len);

#endif /* XLCONV_INT_H */
