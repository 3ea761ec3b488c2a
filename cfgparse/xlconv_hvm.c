/*
 * xlconv_hvm.c - the HVM part of the build info (firmware, ACPI and
 * timer flags, viridian, MMIO hole, VM generation id...), CPUID
 * policies, the device model and its stub domain, the emulated display
 * (vga, vnc, sdl, spice), serial ports, emulated USB, sound, and the few
 * settings xl reads after the device lists (Arm GIC and TEE, the xend
 * suspend channel, msr_relaxed, vpmu).
 *
 * Everything follows xl 4.17's parse_config_data(): the same keys, read
 * with the same lookups (so the same warnings), in the same order, with
 * the same values accepted and rejected.  Where xl exits, an error is
 * recorded and the conversion goes on; where xl only complains and goes
 * on (cpuid, deprecated keys), a warning is recorded.
 */
#define _GNU_SOURCE

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "xlconv_int.h"

#include <xen/hvm/e820.h>
#include <xen/hvm/params.h>

/* ---- helpers ------------------------------------------------------------ */

/*
 * The names a libxl enumeration accepts, for error messages: "a, b, c".
 * libxl's own tables are used so that the list can never disagree with
 * what libxl_*_from_string() accepts.  "unknown", which some tables
 * have for their zero value, is left out: it is accepted, but means "not
 * set" and is no advice to give.  Returns buf, which holds "" when the
 * names do not fit.
 */
static const char *enum_names(const libxl_enum_string_table *t, char *buf,
                              size_t size)
{
    size_t used = 0;

    buf[0] = '\0';
    for (; t->s; t++) {
        int n;

        if (!strcmp(t->s, "unknown"))
            continue;
        n = snprintf(buf + used, size - used, "%s%s", used ? ", " : "",
                     t->s);
        if (n < 0 || (size_t)n >= size - used) {
            buf[0] = '\0';
            break;
        }
        used += (size_t)n;
    }
    return buf;
}

/* The location of a list's item i, or of the list itself. */
static const struct xlcfg_loc *item_loc(const struct xlcfg_value *list,
                                        size_t i)
{
    return i < list->nitems ? &list->items[i]->loc : &list->loc;
}

/* ---- the HVM branch of the switch on the domain type ---------------------- */

/*
 * A "kernel" whose file name is hvmloader is what xend configs used to
 * select the HVM firmware; xl drops it (with a warning) because libxl
 * picks the firmware itself.
 */
static void conv_hvm_kernel(struct xlconv *cv)
{
    libxl_domain_build_info *b = &cv->dc->b_info;
    const char *base;

    if (!b->kernel)
        return;
    base = strrchr(b->kernel, '/');
    base = base ? base + 1 : b->kernel;
    if (strcmp(base, "hvmloader"))
        return;
    xlconv_warn(cv, xlconv_loc(cv, "kernel"), "\"kernel\" names hvmloader, "
                "which HVM guests get anyway: it is ignored (set "
                "\"firmware_override\" to use another firmware)");
    free(b->kernel);
    b->kernel = NULL;
}

static void conv_bios(struct xlconv *cv)
{
    libxl_domain_build_info *b = &cv->dc->b_info;
    const char *buf;
    char names[256];

    xlconv_replace_string(cv, "firmware_override", &b->u.hvm.firmware,
                          false);
    xlconv_replace_string(cv, "bios_path_override",
                          &b->u.hvm.system_firmware, false);
    if (!xlconv_string(cv, "bios", &buf, false)) {
        if (libxl_bios_type_from_string(buf, &b->u.hvm.bios))
            xlconv_err(cv, xlconv_loc(cv, "bios"), "invalid bios \"%s\" "
                       "(valid: %s; for UEFI say \"ovmf\" or use "
                       "firmware=\"uefi\")", buf,
                       enum_names(libxl_bios_type_string_table, names,
                                  sizeof(names)));
    } else if (b->u.hvm.system_firmware) {
        xlconv_warn(cv, xlconv_loc(cv, "bios_path_override"),
                    "\"bios_path_override\" is given without \"bios\" "
                    "saying which kind of firmware it is");
    }
}

/*
 * viridian is either a list of enlightenments ("all", "defaults", a name
 * to enable, "!name" to disable) or a plain boolean.
 */
static void conv_viridian(struct xlconv *cv)
{
    libxl_domain_build_info *b = &cv->dc->b_info;
    libxl_bitmap *en = &b->u.hvm.viridian_enable;
    libxl_bitmap *dis = &b->u.hvm.viridian_disable;
    const struct xlcfg_value *list;
    char names[512];

    switch (xlconv_list(cv, "viridian", &list, true)) {
    case 0:
        break;
    case EINVAL:
        /* Not a list: a boolean, where xl ignores anything else without
         * a word. */
        xlconv_defbool(cv, "viridian", &b->u.hvm.viridian, true);
        return;
    default:
        return;
    }
    if (list->nitems) {
        if (xlconv_bitmap_alloc(cv, en,
                LIBXL_BUILDINFO_HVM_VIRIDIAN_ENABLE_DISABLE_WIDTH) ||
            xlconv_bitmap_alloc(cv, dis,
                LIBXL_BUILDINFO_HVM_VIRIDIAN_ENABLE_DISABLE_WIDTH))
            return;
    }
    for (size_t i = 0; i < list->nitems; i++) {
        const char *buf = xlcfg_list_string(list, i);
        libxl_viridian_enlightenment v;
        libxl_bitmap *set = en, *clear = dis;

        if (!buf) {
            /* xl crashes on this. */
            xlconv_err(cv, item_loc(list, i), "a viridian enlightenment "
                       "must be a string, not a list");
            continue;
        }
        if (!strcmp(buf, "all")) {
            libxl_bitmap_set_any(en);
            continue;
        }
        if (!strcmp(buf, "defaults")) {
            libxl_defbool_set(&b->u.hvm.viridian, true);
            continue;
        }
        if (*buf == '!') {
            set = dis;
            clear = en;
            buf++;
        }
        if (libxl_viridian_enlightenment_from_string(buf, &v)) {
            xlconv_err(cv, item_loc(list, i), "unknown viridian "
                       "enlightenment \"%s\" (valid: all, defaults, or one "
                       "of %s, each optionally preceded by '!' to disable "
                       "it)", buf,
                       enum_names(libxl_viridian_enlightenment_string_table,
                                  names, sizeof(names)));
            continue;
        }
        libxl_bitmap_set(set, (int)v);
        libxl_bitmap_reset(clear, (int)v);
    }
}

static void conv_mmio_hole(struct xlconv *cv)
{
    libxl_domain_build_info *b = &cv->dc->b_info;
    uint64_t bytes;
    long l;

    if (xlconv_long(cv, "mmio_hole", &l, false))
        return;
    /* The arithmetic is xl's, unsigned and wrapping, so that huge and
     * negative values are judged exactly as xl judges them. */
    b->u.hvm.mmio_hole_memkb = (uint64_t)l * 1024;
    bytes = b->u.hvm.mmio_hole_memkb * 1024;
    if (bytes < HVM_BELOW_4G_MMIO_LENGTH || bytes > HVM_BELOW_4G_MMIO_START)
        xlconv_err(cv, xlconv_loc(cv, "mmio_hole"), "invalid mmio_hole %ld: "
                   "the MMIO hole below 4 GiB is given in MiB, from %llu "
                   "to %llu", l,
                   (unsigned long long)(HVM_BELOW_4G_MMIO_LENGTH >> 20),
                   (unsigned long long)(HVM_BELOW_4G_MMIO_START >> 20));
}

static void conv_ms_vm_genid(struct xlconv *cv)
{
    libxl_ms_vm_genid *id = &cv->dc->b_info.u.hvm.ms_vm_genid;
    const char *buf;
    size_t got = 0;

    if (xlconv_string(cv, "ms_vm_genid", &buf, false))
        return;
    if (!strcmp(buf, "none"))
        return;
    if (strcmp(buf, "generate")) {
        xlconv_err(cv, xlconv_loc(cv, "ms_vm_genid"), "invalid ms_vm_genid "
                   "\"%s\" (valid: \"generate\" or \"none\")", buf);
        return;
    }
    /* libxl_ms_vm_genid_generate() would need a libxl context, that is a
     * hypervisor; it only asks the kernel for random bytes anyway. */
    while (got < sizeof(id->bytes)) {
        ssize_t n = getrandom(id->bytes + got, sizeof(id->bytes) - got, 0);

        if (n < 0) {
            if (errno == EINTR)
                continue;
            xlconv_err(cv, xlconv_loc(cv, "ms_vm_genid"), "cannot generate "
                       "a VM generation id: %s", strerror(errno));
            return;
        }
        got += (size_t)n;
    }
}

static void conv_mca_caps(struct xlconv *cv)
{
    libxl_domain_build_info *b = &cv->dc->b_info;
    const struct xlcfg_value *list;

    switch (xlconv_list(cv, "mca_caps", &list, true)) {
    case 0:
        break;
    case ENOENT:
        return;
    default:
        xlconv_err(cv, xlconv_loc(cv, "mca_caps"), "mca_caps must be a list "
                   "of MCA capabilities, e.g. [ \"lmce\" ]");
        return;
    }
    for (size_t i = 0; i < list->nitems; i++) {
        const char *buf = xlcfg_list_string(list, i);

        if (!buf)
            /* xl crashes on this. */
            xlconv_err(cv, item_loc(list, i), "an MCA capability must be a "
                       "string, not a list");
        else if (!strcmp(buf, "lmce"))
            b->u.hvm.mca_caps |= XEN_HVM_MCA_CAP_LMCE;
        else
            xlconv_err(cv, item_loc(list, i), "unknown MCA capability "
                       "\"%s\" (the only one is \"lmce\")", buf);
    }
}

/*
 * "firmware" is a shorthand: a bios name, "uefi" (or any prefix of it,
 * even an empty string, as xl compares only the given characters) for
 * OVMF, "bios" (or a prefix) for libxl's default, anything else a path
 * to a custom firmware image.
 */
static void conv_hvm_firmware(struct xlconv *cv)
{
    libxl_domain_build_info *b = &cv->dc->b_info;
    const char *buf;
    size_t n;

    if (xlconv_string(cv, "firmware", &buf, false) ||
        !libxl_bios_type_from_string(buf, &b->u.hvm.bios))
        return;
    n = strlen(buf);
    if (!strncmp(buf, "uefi", n)) {
        if (!n)
            xlconv_warn(cv, xlconv_loc(cv, "firmware"), "an empty "
                        "\"firmware\" means UEFI (OVMF), as in xl");
        b->u.hvm.bios = LIBXL_BIOS_TYPE_OVMF;
    } else if (strncmp(buf, "bios", n)) {
        xlconv_replace_string(cv, "firmware", &b->u.hvm.firmware, false);
    }
}

static void conv_hvm_build(struct xlconv *cv)
{
    libxl_domain_build_info *b = &cv->dc->b_info;
    long l;

    conv_hvm_kernel(cv);
    conv_bios(cv);
    xlconv_defbool(cv, "pae", &b->u.hvm.pae, false);
    xlconv_defbool(cv, "acpi_s3", &b->u.hvm.acpi_s3, false);
    xlconv_defbool(cv, "acpi_s4", &b->u.hvm.acpi_s4, false);
    xlconv_defbool(cv, "acpi_laptop_slate", &b->u.hvm.acpi_laptop_slate,
                   false);
    xlconv_defbool(cv, "nx", &b->u.hvm.nx, false);
    xlconv_defbool(cv, "hpet", &b->u.hvm.hpet, false);
    xlconv_defbool(cv, "vpt_align", &b->u.hvm.vpt_align, false);
    xlconv_defbool(cv, "apic", &b->apic, false);
    conv_viridian(cv);
    conv_mmio_hole(cv);
    if (!xlconv_defbool(cv, "altp2mhvm", &b->u.hvm.altp2m, false))
        xlconv_warn(cv, xlconv_loc(cv, "altp2mhvm"), "\"altp2mhvm\" is "
                    "deprecated, use \"altp2m\" instead");
    xlconv_replace_string(cv, "smbios_firmware", &b->u.hvm.smbios_firmware,
                          false);
    xlconv_replace_string(cv, "acpi_firmware", &b->u.hvm.acpi_firmware,
                          false);
    conv_ms_vm_genid(cv);
    if (!xlconv_long(cv, "rdm_mem_boundary", &l, false))
        b->u.hvm.rdm_mem_boundary_memkb = (uint64_t)l * 1024;
    conv_mca_caps(cv);
    conv_hvm_firmware(cv);
}

/* ---- cpuid ---------------------------------------------------------------- */

/*
 * xl prints what is wrong with a CPUID setting and carries on with the
 * next one (the guest is created anyway), so these are warnings.
 */
static const char *xend_cpuid_error(int e)
{
    switch (e) {
    case 1:
        return "the leaf is not a number";
    case 2:
        return "the subleaf is not a number";
    case 3:
        return "a ':' is missing after the leaf";
    case 4:
        return "the register must be eax, ebx, ecx or edx";
    case 5:
        return "the register's policy must be exactly 32 characters "
               "(one per bit: 0, 1, x, k or s)";
    default:
        return "it cannot be parsed";
    }
}

static const char *flag_cpuid_error(int e)
{
    switch (e) {
    case 1:
        return "it is not of the form flag=value";
    case 2:
        return "there is no CPUID flag of that name";
    case 3:
        return "the value must be 0, 1, x, k or s";
    default:
        return "it cannot be parsed";
    }
}

static void conv_cpuid_string(struct xlconv *cv, const char *str)
{
    libxl_cpuid_policy_list *policy = &cv->dc->b_info.cpuid;
    const struct xlcfg_loc *at = xlconv_loc(cv, "cpuid");
    char *copy = xlconv_strdup(cv, str);
    char *save = NULL, *p;

    if (!copy)
        return;
    /* A string without any word (empty, or only commas) is nothing. */
    p = strtok_r(copy, ",", &save);
    if (!p)
        goto out;
    if (strcmp(p, "host")) {
        xlconv_warn(cv, at, "cpuid \"%s\" is ignored: a CPUID string must "
                    "start with \"host\", e.g. \"host,tm=0,sse3=0\"", str);
        goto out;
    }
    while ((p = strtok_r(NULL, ",", &save))) {
        int e = libxl_cpuid_parse_config(policy, p);

        if (e)
            xlconv_warn(cv, at, "CPUID setting \"%s\" is ignored: %s", p,
                        flag_cpuid_error(e));
    }

out:
    free(copy);
}

static void conv_cpuid(struct xlconv *cv)
{
    libxl_cpuid_policy_list *policy = &cv->dc->b_info.cpuid;
    const struct xlcfg_value *list;
    const char *buf;

    switch (xlconv_list(cv, "cpuid", &list, true)) {
    case 0:
        /* xl stops at the first item that is not a string. */
        for (size_t i = 0; i < list->nitems; i++) {
            int e;

            buf = xlcfg_list_string(list, i);
            if (!buf) {
                xlconv_warn(cv, item_loc(list, i), "cpuid items must be "
                            "strings: this one and any after it are "
                            "ignored");
                break;
            }
            e = libxl_cpuid_parse_config_xend(policy, buf);
            if (e)
                xlconv_warn(cv, item_loc(list, i), "CPUID line \"%s\" is "
                            "invalid and (at least partly) ignored: %s",
                            buf,
                            xend_cpuid_error(e));
        }
        break;
    case EINVAL:
        if (!xlconv_string(cv, "cpuid", &buf, false))
            conv_cpuid_string(cv, buf);
        break;
    default:
        break;
    }
}

/* ---- the device model ------------------------------------------------------ */

static void conv_dm_args(struct xlconv *cv, const char *key,
                         libxl_string_list *out)
{
    if (xlconv_string_list(cv, key, out, false) == EINVAL)
        xlconv_err(cv, xlconv_loc(cv, key), "%s must be a list of "
                   "arguments, e.g. [ \"-name\", \"guest\" ]", key);
}

static void conv_device_model(struct xlconv *cv)
{
    libxl_domain_build_info *b = &cv->dc->b_info;
    const char *buf;
    long l;

    if (!xlconv_string(cv, "device_model", &buf, false)) {
        xlconv_warn(cv, xlconv_loc(cv, "device_model"), "\"device_model\" "
                    "is ignored; set \"device_model_override\" for a "
                    "non-default device model");
        if (strstr(buf, "stubdom-dm")) {
            if (b->type == LIBXL_DOMAIN_TYPE_HVM)
                xlconv_warn(cv, xlconv_loc(cv, "device_model"), "or set "
                            "\"device_model_stubdomain_override\" to run "
                            "the device model in a stub domain");
            else
                xlconv_warn(cv, xlconv_loc(cv, "device_model"), "a device "
                            "model stub domain is for HVM guests only");
        }
    }
    xlconv_replace_string(cv, "device_model_override", &b->device_model,
                          false);
    if (!xlconv_string(cv, "device_model_version", &buf, false)) {
        if (!strcmp(buf, "qemu-xen-traditional"))
            b->device_model_version =
                LIBXL_DEVICE_MODEL_VERSION_QEMU_XEN_TRADITIONAL;
        else if (!strcmp(buf, "qemu-xen"))
            b->device_model_version = LIBXL_DEVICE_MODEL_VERSION_QEMU_XEN;
        else
            xlconv_err(cv, xlconv_loc(cv, "device_model_version"),
                       "unknown device_model_version \"%s\" (valid: "
                       "\"qemu-xen\" or \"qemu-xen-traditional\")", buf);
    } else if (b->device_model) {
        xlconv_warn(cv, xlconv_loc(cv, "device_model_override"),
                    "\"device_model_override\" is given without "
                    "\"device_model_version\" saying which kind of device "
                    "model it is");
    }
    xlconv_defbool(cv, "device_model_stubdomain_override",
                   &b->device_model_stubdomain, false);
    xlconv_replace_string(cv, "device_model_stubdomain_seclabel",
                          &b->device_model_ssid_label, false);
    xlconv_replace_string(cv, "device_model_user", &b->device_model_user,
                          false);
    xlconv_replace_string(cv, "stubdomain_kernel", &b->stubdomain_kernel,
                          false);
    xlconv_replace_string(cv, "stubdomain_cmdline", &b->stubdomain_cmdline,
                          false);
    xlconv_replace_string(cv, "stubdomain_ramdisk", &b->stubdomain_ramdisk,
                          false);
    if (!xlconv_long(cv, "stubdomain_memory", &l, false))
        b->stubdomain_memkb = (uint64_t)l * 1024;
    conv_dm_args(cv, "device_model_args", &b->extra);
    conv_dm_args(cv, "device_model_args_pv", &b->extra_pv);
    conv_dm_args(cv, "device_model_args_hvm", &b->extra_hvm);
}

/* ---- the display ------------------------------------------------------------ */

static void conv_vnc(struct xlconv *cv, libxl_vnc_info *vnc)
{
    long l;

    xlconv_defbool(cv, "vnc", &vnc->enable, false);
    xlconv_replace_string(cv, "vnclisten", &vnc->listen, false);
    xlconv_replace_string(cv, "vncpasswd", &vnc->passwd, false);
    if (!xlconv_long(cv, "vncdisplay", &l, false))
        vnc->display = (int)l;
    xlconv_defbool(cv, "vncunused", &vnc->findunused, false);
}

static void conv_sdl(struct xlconv *cv, libxl_sdl_info *sdl)
{
    xlconv_defbool(cv, "sdl", &sdl->enable, false);
    xlconv_defbool(cv, "opengl", &sdl->opengl, false);
    xlconv_replace_string(cv, "display", &sdl->display, false);
    xlconv_replace_string(cv, "xauthority", &sdl->xauthority, false);
}

/* The top-level display keys that conv_vnc() and conv_sdl() read. */
static const char *const display_keys[] = {
    "vnc", "vnclisten", "vncpasswd", "vncdisplay", "vncunused",
    "sdl", "opengl", "display", "xauthority",
};

/*
 * Forget that the settings of a name were read, for keys xl reads but
 * then never uses: the driver reports settings nothing read as having no
 * effect, which is the truth for these.
 */
static void mark_unused(struct xlconv *cv, const char *name)
{
    for (size_t i = 0; i < cv->cfg->nsettings; i++)
        if (!strcmp(cv->cfg->settings[i].name, name))
            cv->cfg->settings[i].used = false;
}

/* Whether the vfb list gives the guest at least one framebuffer: xl
 * takes its items up to the first one that is not a string. */
static bool have_vfb_list(struct xlconv *cv)
{
    const struct xlcfg_value *list;

    return !xlconv_list(cv, "vfb", &list, true) &&
           xlcfg_list_string(list, 0);
}

/*
 * The top-level vnc and sdl keys.  For a PV guest without a vfb list
 * they describe a framebuffer (with its keyboard), created only when vnc
 * is on; otherwise they are the HVM device model's display.
 */
static void conv_top_display(struct xlconv *cv)
{
    libxl_domain_config *dc = cv->dc;
    libxl_domain_build_info *b = &dc->b_info;
    libxl_device_vfb *vfb;
    libxl_device_vkb *vkb;
    long l;

    if (b->type == LIBXL_DOMAIN_TYPE_PV && !have_vfb_list(cv)) {
        if (xlconv_long(cv, "vnc", &l, false) || !l)
            return;
        /* The vfb list, if any, is empty: these are the first devices. */
        vfb = xlconv_grow(cv, (void **)&dc->vfbs, &dc->num_vfbs,
                          sizeof(*dc->vfbs));
        if (!vfb)
            return;
        libxl_device_vfb_init(vfb);
        vfb->devid = dc->num_vfbs - 1;
        vkb = xlconv_grow(cv, (void **)&dc->vkbs, &dc->num_vkbs,
                          sizeof(*dc->vkbs));
        if (!vkb)
            return;
        libxl_device_vkb_init(vkb);
        vkb->devid = dc->num_vkbs - 1;
        conv_vnc(cv, &vfb->vnc);
        conv_sdl(cv, &vfb->sdl);
        xlconv_replace_string(cv, "keymap", &vfb->keymap, false);
    } else if (b->type == LIBXL_DOMAIN_TYPE_HVM) {
        conv_vnc(cv, &b->u.hvm.vnc);
        conv_sdl(cv, &b->u.hvm.sdl);
    } else {
        /*
         * xl reads the keys into the HVM part of the build info even for
         * PV and PVH guests, where nothing ever looks at it.  They are
         * read the same way (for the same warnings) and dropped.
         */
        libxl_vnc_info vnc;
        libxl_sdl_info sdl;

        libxl_vnc_info_init(&vnc);
        libxl_sdl_info_init(&sdl);
        conv_vnc(cv, &vnc);
        conv_sdl(cv, &sdl);
        libxl_vnc_info_dispose(&vnc);
        libxl_sdl_info_dispose(&sdl);
        /* They were read for nothing: let the report of settings without
         * effect mention them. */
        for (size_t i = 0; i < sizeof(display_keys) / sizeof(*display_keys);
             i++)
            mark_unused(cv, display_keys[i]);
    }
}

static void conv_vga(struct xlconv *cv)
{
    libxl_domain_build_info *b = &cv->dc->b_info;
    const char *buf;
    long l;

    if (!xlconv_string(cv, "vga", &buf, false)) {
        /* xl compares exactly, unlike libxl's own enum parser. */
        if (!strcmp(buf, "stdvga"))
            b->u.hvm.vga.kind = LIBXL_VGA_INTERFACE_TYPE_STD;
        else if (!strcmp(buf, "cirrus"))
            b->u.hvm.vga.kind = LIBXL_VGA_INTERFACE_TYPE_CIRRUS;
        else if (!strcmp(buf, "none"))
            b->u.hvm.vga.kind = LIBXL_VGA_INTERFACE_TYPE_NONE;
        else if (!strcmp(buf, "qxl"))
            b->u.hvm.vga.kind = LIBXL_VGA_INTERFACE_TYPE_QXL;
        else
            xlconv_err(cv, xlconv_loc(cv, "vga"), "unknown vga \"%s\" "
                       "(valid: stdvga, cirrus, qxl or none)", buf);
    } else if (!xlconv_long(cv, "stdvga", &l, false)) {
        b->u.hvm.vga.kind = l ? LIBXL_VGA_INTERFACE_TYPE_STD
                              : LIBXL_VGA_INTERFACE_TYPE_CIRRUS;
    }
}

static void conv_spice(struct xlconv *cv)
{
    libxl_spice_info *spice = &cv->dc->b_info.u.hvm.spice;
    long l;

    xlconv_defbool(cv, "spice", &spice->enable, false);
    if (!xlconv_long(cv, "spiceport", &l, false))
        spice->port = (int)l;
    if (!xlconv_long(cv, "spicetls_port", &l, false))
        spice->tls_port = (int)l;
    xlconv_replace_string(cv, "spicehost", &spice->host, false);
    xlconv_defbool(cv, "spicedisable_ticketing", &spice->disable_ticketing,
                   false);
    xlconv_replace_string(cv, "spicepasswd", &spice->passwd, false);
    xlconv_defbool(cv, "spiceagent_mouse", &spice->agent_mouse, false);
    xlconv_defbool(cv, "spicevdagent", &spice->vdagent, false);
    xlconv_defbool(cv, "spice_clipboard_sharing", &spice->clipboard_sharing,
                   false);
    if (!xlconv_long(cv, "spiceusbredirection", &l, false))
        spice->usbredirection = (int)l;
    xlconv_replace_string(cv, "spice_image_compression",
                          &spice->image_compression, false);
    xlconv_replace_string(cv, "spice_streaming_video",
                          &spice->streaming_video, false);
}

static void conv_gfx_passthru(struct xlconv *cv)
{
    libxl_domain_build_info *b = &cv->dc->b_info;
    const char *buf;
    char names[128];
    long l;

    /* A number is a boolean; a string names the kind of card and turns
     * passthrough on. */
    if (!xlconv_long(cv, "gfx_passthru", &l, true)) {
        libxl_defbool_set(&b->u.hvm.gfx_passthru, l != 0);
    } else if (!xlconv_string(cv, "gfx_passthru", &buf, false)) {
        if (libxl_gfx_passthru_kind_from_string(buf,
                                                &b->u.hvm.gfx_passthru_kind))
            xlconv_err(cv, xlconv_loc(cv, "gfx_passthru"), "invalid "
                       "gfx_passthru \"%s\" (valid: a number for on/off, or "
                       "one of %s)", buf,
                       enum_names(libxl_gfx_passthru_kind_string_table,
                                  names, sizeof(names)));
        else
            libxl_defbool_set(&b->u.hvm.gfx_passthru, true);
    }
}

/* serial and usbdevice: a list of strings, or a single string. */
static void conv_list_or_string(struct xlconv *cv, const char *key,
                                libxl_string_list *list, char **str)
{
    if (xlconv_string_list(cv, key, list, true) == EINVAL)
        xlconv_replace_string(cv, key, str, false);
}

static void conv_vendor_device(struct xlconv *cv)
{
    libxl_domain_build_info *b = &cv->dc->b_info;
    libxl_vendor_device d;
    const char *buf;
    char names[128];

    if (xlconv_string(cv, "vendor_device", &buf, false))
        return;
    if (libxl_vendor_device_from_string(buf, &d))
        xlconv_err(cv, xlconv_loc(cv, "vendor_device"), "unknown "
                   "vendor_device \"%s\" (valid: %s)", buf,
                   enum_names(libxl_vendor_device_string_table, names,
                              sizeof(names)));
    else
        b->u.hvm.vendor_device = d;
}

/* The HVM guest's emulated hardware, after the device lists. */
static void conv_hvm_devices(struct xlconv *cv)
{
    libxl_domain_build_info *b = &cv->dc->b_info;
    const char *buf;
    char names[128];
    long l;

    conv_vga(cv);
    if (!xlconv_string(cv, "hdtype", &buf, false) &&
        libxl_hdtype_from_string(buf, &b->u.hvm.hdtype))
        xlconv_err(cv, xlconv_loc(cv, "hdtype"), "invalid hdtype \"%s\" "
                   "(valid: %s)", buf,
                   enum_names(libxl_hdtype_string_table, names,
                              sizeof(names)));
    xlconv_replace_string(cv, "keymap", &b->u.hvm.keymap, false);
    conv_spice(cv);
    xlconv_defbool(cv, "nographic", &b->u.hvm.nographic, false);
    conv_gfx_passthru(cv);
    conv_list_or_string(cv, "serial", &b->u.hvm.serial_list,
                        &b->u.hvm.serial);
    xlconv_replace_string(cv, "boot", &b->u.hvm.boot, false);
    xlconv_defbool(cv, "usb", &b->u.hvm.usb, false);
    if (!xlconv_long(cv, "usbversion", &l, false))
        b->u.hvm.usbversion = (int)l;
    conv_list_or_string(cv, "usbdevice", &b->u.hvm.usbdevice_list,
                        &b->u.hvm.usbdevice);
    xlconv_defbool(cv, "vkb_device", &b->u.hvm.vkb_device, false);
    xlconv_replace_string(cv, "soundhw", &b->u.hvm.soundhw, false);
    xlconv_defbool(cv, "xen_platform_pci", &b->u.hvm.xen_platform_pci,
                   false);
    if (b->u.hvm.vnc.listen && b->u.hvm.vnc.display &&
        strchr(b->u.hvm.vnc.listen, ':'))
        xlconv_err(cv, xlconv_loc(cv, "vnclisten"), "vnclisten \"%s\" "
                   "already has a display number (after ':'), and "
                   "vncdisplay gives another: set only one of them",
                   b->u.hvm.vnc.listen);
    conv_vendor_device(cv);
}

/* ---- after the device lists ---------------------------------------------------- */

static void conv_arm(struct xlconv *cv)
{
    libxl_domain_build_info *b = &cv->dc->b_info;
    const char *buf;
    char names[128];

    /* xl reads these for every guest, silently ignoring a list. */
    if (!xlconv_string(cv, "gic_version", &buf, true) &&
        libxl_gic_version_from_string(buf, &b->arch_arm.gic_version))
        xlconv_err(cv, xlconv_loc(cv, "gic_version"), "unknown gic_version "
                   "\"%s\" (valid: %s)", buf,
                   enum_names(libxl_gic_version_string_table, names,
                              sizeof(names)));
    if (!xlconv_string(cv, "tee", &buf, true) &&
        libxl_tee_type_from_string(buf, &b->tee))
        xlconv_err(cv, xlconv_loc(cv, "tee"), "unknown tee \"%s\" (valid: "
                   "%s)", buf,
                   enum_names(libxl_tee_type_string_table, names,
                              sizeof(names)));
}

void xlconv_hvm(struct xlconv *cv)
{
    libxl_domain_config *dc = cv->dc;

    if (dc->b_info.type == LIBXL_DOMAIN_TYPE_HVM)
        conv_hvm_build(cv);
    conv_cpuid(cv);
    conv_device_model(cv);
    conv_top_display(cv);
    xlconv_defbool(cv, "dm_restrict", &dc->b_info.dm_restrict, false);
    if (dc->b_info.type == LIBXL_DOMAIN_TYPE_HVM)
        conv_hvm_devices(cv);
    conv_arm(cv);
    xlconv_defbool(cv, "xend_suspend_evtchn_compat",
                   &dc->c_info.xend_suspend_evtchn_compat, false);
    if (!xlconv_defbool(cv, "msr_relaxed", &dc->b_info.arch_x86.msr_relaxed,
                        false))
        xlconv_warn(cv, xlconv_loc(cv, "msr_relaxed"), "msr_relaxed will be "
                    "removed in a future Xen; if the guest needs it, please "
                    "report that to xen-devel@lists.xenproject.org");
    xlconv_defbool(cv, "vpmu", &dc->b_info.vpmu, false);
}
