/*
 * xlconv.h - the semantic layer of the xl config format: from the config
 * tree of xlcfg.h into libxl's own libxl_domain_config, exactly as
 * upstream xl (4.17) builds it, so that a config means the same to xld
 * as to xl.
 *
 * Where xl exits on an error, the converter records a diagnostic with
 * the location of the value at fault and goes on, so that one run
 * reports every error; where xl prints a warning and goes on, so does
 * the converter.
 */
#ifndef XLCONV_H
#define XLCONV_H

#include <libxl.h>
#include <libxl_utils.h>

#include "xlcfg.h"

struct xlconf;

/*
 * The host a config is converted for: the few facts xl asks the
 * hypervisor while parsing (cpu and node counts for affinity masks and
 * vNUMA), and the host's xl.conf.  Without Xen, and in the simulator,
 * this is the default host: Xen 4.17, 8 CPUs (0-7) on one NUMA node,
 * 256 GiB, and Debian's stock xl.conf.
 */
struct xlconv_host {
    int xen_major;
    int xen_minor;
    int max_cpus;        /* cpus 0..max_cpus-1, all online */
    int nr_nodes;
    /*
     * The node of each cpu (max_cpus entries, -1 for a cpu that is not
     * online), as libxl_get_cpu_topology tells it, for "node:N" in cpu
     * lists; malloc'd, freed by xlconv_host_dispose (set it with
     * xlconv_host_set_topology).  NULL: cpu i is on node
     * i * nr_nodes / max_cpus, the layout of the default host.
     */
    int *cpu_node;
    uint64_t total_mem_kb;
    /*
     * xl.conf's settings (xlconf.h), which must be valid (xlconf_ok);
     * not owned.  NULL means xl's defaults, i.e. Debian's stock file.
     * The converter applies those that change a domain's config where
     * xl applies them: run_hotplug_scripts, claim_mode, blkdev_start,
     * the grant table limits, the vif.default.* settings and the global
     * cpu masks.
     */
    const struct xlconf *conf;
};

void xlconv_host_init(struct xlconv_host *host);   /* the default host */
void xlconv_host_dispose(struct xlconv_host *host);
/* Copy the node of each of the host's max_cpus cpus.  0 or ENOMEM. */
int xlconv_host_set_topology(struct xlconv_host *host, const int *cpu_node);

/*
 * A cpu list in xl's syntax ("0-3,^2", "node:1", "nodes:0-1", "all"), as
 * in cpus= and as `xl vcpu-pin` takes it, into map, a map of the host's
 * cpus the caller initialised (libxl_bitmap_init).  Returns 0, EINVAL
 * (why says what is wrong, in a sentence) or ENOMEM.
 */
int xlconv_cpulist(const struct xlconv_host *host, const char *text,
                   libxl_bitmap *map, char *why, size_t len);

/*
 * One device spec, as a hot-plug verb takes it (xl block-attach,
 * network-attach): read by the same parser as the items of disk= and
 * vif=, into a device the caller initialised (libxl_device_disk_init,
 * libxl_device_nic_init).  xlconv_nic first puts in xl.conf's
 * vif.default.* settings (host->conf), as xl does for network-attach;
 * it leaves nic->devid alone unless the spec has devid=.  Each returns
 * 0, EINVAL (why says what is wrong, in the parser's words) or ENOMEM.
 * Warnings are not errors, and are not reported.
 */
int xlconv_disk(const struct xlconv_host *host, const char *spec,
                libxl_device_disk *disk, char *why, size_t len);
int xlconv_nic(const struct xlconv_host *host, const char *spec,
               libxl_device_nic *nic, char *why, size_t len);

/*
 * A PCI device for the hot-plug verbs (xl pci-attach, pci-detach): a
 * PCI_SPEC_STRING of xl-pci-configuration(5), read by the same parser
 * as the items of pci=, into a device the caller initialised
 * (libxl_device_pci_init).  As with xl, none of a config's pci_*
 * defaults apply: what the spec leaves out keeps libxl's default.
 * 0, EINVAL (why says what is wrong, in the parser's words) or ENOMEM.
 */
int xlconv_pci_device(const char *spec, libxl_device_pci *pci, char *why,
                      size_t len);

/*
 * A bare PCI address [DDDD:]BB:DD.F, as xl pci-assignable-add and
 * pci-assignable-remove take it, into pci's domain, bus, dev, func and
 * vfunc_mask (nothing else is touched).  Stricter than xl, which reads
 * the address at the start of the text and ignores the rest: text after
 * the address, and '*' for the function, are refused, since an
 * assignable device is one function.  0 or EINVAL with why.
 */
int xlconv_pci_address(const char *text, libxl_device_pci *pci, char *why,
                       size_t len);

/*
 * The PCI_SPEC_STRING that means pci as it is: its address (".*" for
 * every function), its virtual slot when it has one, and every flag
 * spelt out, so that read back as an item of pci= it gives the same
 * device whatever pci_* defaults the config sets.  How xld writes an
 * attached device into a domain's record.  malloc'd; NULL on ENOMEM.
 */
char *xlconv_pci_to_spec(const libxl_device_pci *pci);

/*
 * The number Xen's block interface gives a vdev (docs/misc/
 * vbd-interface.txt, as libxl computes it for the devid of a disk):
 * xvdX[N], hdX[N], sdX[N] and dDpP.  -1 for a name that is none of
 * these, which libxl would refuse to attach.
 */
int xlconv_vdev_devid(const char *vdev);

/*
 * Convert a parsed, valid config.  dc must be initialised
 * (libxl_domain_config_init).  Returns 0 on success, EINVAL when the
 * config has errors (each recorded in cfg's diagnostics, with warnings),
 * or ENOMEM.  On failure dc holds a partial result: dispose it.
 */
int xlconv_convert(struct xlcfg *cfg, const struct xlconv_host *host,
                   libxl_domain_config *dc);

/* An on_poweroff/on_reboot/... action by its xl.cfg(5) name. */
const char *xlconv_action_name(libxl_action_on_shutdown a);

/* The JSON of a domain config exactly as `xl -N create` prints it
 * (libxl's generator, yajl's indentation, a final newline).  Returns
 * a malloc'd string, or NULL on ENOMEM. */
char *xlconv_json(libxl_domain_config *dc);

#endif /* XLCONV_H */
