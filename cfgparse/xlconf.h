/*
 * xlconf.h - xl's global config, /etc/xen/xl.conf (xl.conf(5)), read as
 * upstream xl 4.17 reads it.
 *
 * xl.conf has the syntax of a domain config (xl parses it with
 * libxlutil, as we parse it with xlcfg.h), and xl reads it once, before
 * any command, into a handful of globals.  Some of them change what a
 * domain config means (the converter applies them, see xlconv.h's
 * struct xlconv_host); the others only change what xl does at run time,
 * which is xld's business: they are kept here for it.
 *
 * What xl does with a file that is wrong is kept too, so a setting means
 * the same to xld as to xl:
 *   - a syntax error, or a max_grant_frames, max_maptrack_frames or
 *     max_grant_version that is not a number from 0 to INT_MAX, makes
 *     every xl command fail: these are errors;
 *   - a bad value of the other settings makes xl print a message (or
 *     nothing) and keep its default, or, for a cpu mask, the part of the
 *     mask before the bad item: these are warnings;
 *   - a missing file means the defaults, silently (xl prints a message
 *     and goes on); a file that cannot be read means the defaults too,
 *     with a warning.
 * Settings xl does not know are ignored by xl; they get a warning.
 *
 * The defaults are xl's, which are also those of Debian's stock
 * xl.conf, where every line is a comment.
 */
#ifndef XLCONF_H
#define XLCONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "xlcfg.h"

/* Where xl reads it: compiled in, and no option or variable changes it. */
#define XLCONF_DEFAULT_PATH "/etc/xen/xl.conf"
/* xl's lock file when lockfile= is not set (Debian's XEN_LOCK_DIR). */
#define XLCONF_DEFAULT_LOCKFILE "/var/lock/xl"

enum xlconf_autoballoon {
    XLCONF_AUTOBALLOON_AUTO,  /* "auto": see xlconf_autoballoon() */
    XLCONF_AUTOBALLOON_OFF,   /* "off" or "0" */
    XLCONF_AUTOBALLOON_ON,    /* "on" or "1" */
};

enum xlconf_output_format {
    XLCONF_OUTPUT_JSON,       /* "json" */
    XLCONF_OUTPUT_SXP,        /* "sxp" */
};

enum xlconf_domid_policy {
    XLCONF_DOMID_XEN,         /* "xen": Xen picks the next free domid */
    XLCONF_DOMID_RANDOM,      /* "random": libxl picks a random one */
};

/*
 * The settings, each under xl.conf(5)'s name.  Strings are malloc'd, and
 * NULL means "not set", which is xl's default unless said otherwise.
 */
struct xlconf {
    /*
     * What goes into every domain's libxl_domain_config: the converter
     * applies these exactly where xl does (see xlconv.h), and
     * `xl -N create` shows them in its JSON.
     */
    /* run_hotplug_scripts: c_info.run_hotplug_scripts of every domain
     * (default on). */
    bool run_hotplug_scripts;
    /* claim_mode: b_info.claim_mode of every domain (default on).  xld
     * passes it to libxl with the config, as xl does. */
    bool claim_mode;
    /* vif.default.script (or the deprecated vifscript),
     * vif.default.bridge (or defaultbridge), vif.default.gatewaydev and
     * vif.default.backend: put into every vif of a domain config before
     * its spec is read, so that the spec overrides them.  xl applies
     * them to network-attach too. */
    char *vif_script;
    char *vif_bridge;
    char *vif_gatewaydev;
    char *vif_backend;
    /* blkdev_start: b_info.blkdev_start of every domain (the first
     * device name libxl uses to attach a disk to dom0, e.g. for
     * pygrub). */
    char *blkdev_start;
    /* max_grant_frames, max_maptrack_frames, max_grant_version: the
     * b_info value of a domain whose config does not set it; -1 leaves
     * libxl's default. */
    long max_grant_frames;
    long max_maptrack_frames;
    long max_grant_version;
    /* vm.cpumask, vm.pv.cpumask (PV guests), vm.hvm.cpumask (HVM and
     * PVH guests): cpu lists in the syntax of cpus=, evaluated on the
     * host when a domain is converted.  Every vcpu's hard affinity is
     * ANDed with the global mask and the one of the guest's type; when
     * a mask is not every cpu and the config sets no cpus=, each vcpu
     * gets the masks as its affinity.  NULL: every cpu. */
    char *vm_cpumask;
    char *vm_pv_cpumask;
    char *vm_hvm_cpumask;

    /*
     * What xl does at run time; none of these shows in a domain's
     * config.
     */
    /* autoballoon: whether dom0 is ballooned down to make room for a
     * new domain (default auto). */
    enum xlconf_autoballoon autoballoon;
    /* lockfile: held while domains are created (NULL:
     * XLCONF_DEFAULT_LOCKFILE). */
    char *lockfile;
    /* output_format: how xl prints domain configs, in `list -l` and in
     * `create -N` / `create -d` (default json). */
    enum xlconf_output_format output_format;
    /* remus.default.netbufscript: the network buffering script of
     * `remus` (NULL: libxl's default, remus-netbuf-setup). */
    char *remus_netbufscript;
    /* colo.default.proxyscript: the proxy script of COLO (NULL: libxl's
     * default, colo-proxy-setup). */
    char *colo_proxyscript;
    /* domid_policy: how a new domain's id is picked; xl sets
     * c_info.domid when it creates the domain, after a dry run would
     * have printed the config (INVALID_DOMID for "xen", RANDOM_DOMID for
     * "random"). */
    enum xlconf_domid_policy domid_policy;

    /*
     * The file as parsed: its settings, and the diagnostics of the
     * reading, with their FILE:LINE:COLUMN.
     */
    struct xlcfg src;
    bool found;  /* false: the file was missing or unreadable */
};

/* xl's defaults: what Debian's stock xl.conf (all comments) means. */
void xlconf_init(struct xlconf *xc);
void xlconf_dispose(struct xlconf *xc);

/*
 * The defaults as a shared, read-only instance, for callers with no
 * xl.conf of their own (a NULL settings pointer in xlconv_host).
 */
const struct xlconf *xlconf_defaults(void);

/*
 * Read an xl.conf into a freshly initialised xc.  Returns 0 when the
 * reading ran (xc is usable only if xlconf_ok()), or ENOMEM.  A missing
 * file is no error: xc keeps the defaults.
 */
int xlconf_read_file(struct xlconf *xc, const char *path);
/* The same from memory; `name` is used in diagnostics. */
int xlconf_read_buffer(struct xlconf *xc, const char *name, const char *buf,
                       size_t len);

/* Whether xl would run at all with this file. */
static inline bool xlconf_ok(const struct xlconf *xc)
{
    return xlcfg_ok(&xc->src);
}

/* The diagnostics, "FILE:LINE:COLUMN: message", one line each. */
void xlconf_print_diags(const struct xlconf *xc, FILE *out);

/*
 * autoballoon as xl resolves it: "auto" means on unless the Xen command
 * line (xl info's xen_commandline, NULL when unknown) gives dom0_mem=,
 * i.e. unless dom0 was started with less than all of the host's memory.
 */
bool xlconf_autoballoon(const struct xlconf *xc, const char *xen_cmdline);

/* The lock file xl would use. */
const char *xlconf_lockfile(const struct xlconf *xc);

#endif /* XLCONF_H */
