/*
 * xlconv_keys.c - every setting name upstream xl 4.17 reads from a domain
 * config, for telling a typo from a setting that has no effect on this
 * kind of guest.  From xl.cfg(5) and from what the converter reads; a
 * test (tests/keys.test) checks that every name the converter reads is
 * here.
 */
#include <stdlib.h>
#include <string.h>

#include "xlconv_int.h"

/* Sorted, for bsearch(). */
static const char *const known[] = {
    "acpi",
    "acpi_firmware",
    "acpi_laptop_slate",
    "acpi_s3",
    "acpi_s4",
    "altp2m",
    "altp2mhvm",
    "apic",
    "bios",
    "bios_path_override",
    "boot",
    "bootloader",
    "bootloader_args",
    "builder",
    "cap",
    "channel",
    "cmdline",
    "cpu_weight",
    "cpuid",
    "cpus",
    "cpus_soft",
    "device_model",
    "device_model_args",
    "device_model_args_hvm",
    "device_model_args_pv",
    "device_model_override",
    "device_model_stubdomain_override",
    "device_model_stubdomain_seclabel",
    "device_model_user",
    "device_model_version",
    "device_tree",
    "disk",
    "display",
    "dm_restrict",
    "driver_domain",
    "dtdev",
    "e820_host",
    "extra",
    "extratime",
    "firmware",
    "firmware_override",
    "gfx_passthru",
    "gic_version",
    "hap",
    "hdtype",
    "hpet",
    "init_seclabel",
    "iomem",
    "ioports",
    "irqs",
    "kernel",
    "keymap",
    "latency",
    "localtime",
    "max_event_channels",
    "max_grant_frames",
    "max_grant_version",
    "max_maptrack_frames",
    "maxmem",
    "maxvcpus",
    "mca_caps",
    "memory",
    "mmio_hole",
    "ms_vm_genid",
    "msr_relaxed",
    "name",
    "nestedhvm",
    "nographic",
    "nomigrate",
    "nx",
    "on_crash",
    "on_poweroff",
    "on_reboot",
    "on_soft_reset",
    "on_watchdog",
    "oos",
    "opengl",
    "p9",
    "pae",
    "passthrough",
    "pci",
    "pci_msitranslate",
    "pci_permissive",
    "pci_power_mgmt",
    "pci_seize",
    "period",
    "pool",
    "pvcalls",
    "pvshim",
    "pvshim_cmdline",
    "pvshim_extra",
    "pvshim_path",
    "ramdisk",
    "rdm",
    "rdm_mem_boundary",
    "root",
    "rtc_timeoffset",
    "sdl",
    "seclabel",
    "serial",
    "shadow_memory",
    "slice",
    "smbios_firmware",
    "soundhw",
    "spice",
    "spice_clipboard_sharing",
    "spice_image_compression",
    "spice_streaming_video",
    "spiceagent_mouse",
    "spicedisable_ticketing",
    "spicehost",
    "spicepasswd",
    "spiceport",
    "spicetls_port",
    "spiceusbredirection",
    "spicevdagent",
    "stdvga",
    "stubdomain_cmdline",
    "stubdomain_kernel",
    "stubdomain_memory",
    "stubdomain_ramdisk",
    "tee",
    "timer_mode",
    "tsc_mode",
    "type",
    "usb",
    "usbctrl",
    "usbdev",
    "usbdevice",
    "usbversion",
    "uuid",
    "vcpus",
    "vdispl",
    "vendor_device",
    "vfb",
    "vga",
    "videoram",
    "vif",
    "vif2",
    "viridian",
    "vkb",
    "vkb_device",
    "vmtrace_buf_kb",
    "vnc",
    "vncdisplay",
    "vnclisten",
    "vncpasswd",
    "vncunused",
    "vncviewer",
    "vnuma",
    "vpmu",
    "vpt_align",
    "vsnd",
    "vtpm",
    "vuart",
    "xauthority",
    "xen_platform_pci",
    "xend_suspend_evtchn_compat",
};

static int cmp(const void *key, const void *elem)
{
    return strcmp(key, *(const char *const *)elem);
}

bool xlconv_known_key(const char *name)
{
    return bsearch(name, known, sizeof(known) / sizeof(known[0]),
                   sizeof(known[0]), cmp) != NULL;
}

/* The edit distance between a and b, up to a small bound: enough to
   suggest a key for a typo. */
size_t xlconv_key_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b), prev[64], cur[64];

    if (la >= 63 || lb >= 63)
        return 99;
    for (size_t j = 0; j <= lb; j++)
        prev[j] = j;
    for (size_t i = 1; i <= la; i++) {
        cur[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
            size_t del = prev[j] + 1, ins = cur[j - 1] + 1;

            cur[j] = sub < del ? (sub < ins ? sub : ins)
                               : (del < ins ? del : ins);
        }
        memcpy(prev, cur, (lb + 1) * sizeof(*cur));
    }
    return prev[lb];
}

const char *xlconv_suggest_key(const char *name)
{
    const char *best = NULL;
    size_t best_d = 3;

    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
        size_t d = xlconv_key_distance(name, known[i]);

        if (d < best_d) {
            best_d = d;
            best = known[i];
        }
    }
    return best;
}
