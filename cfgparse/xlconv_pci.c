/*
 * xlconv_pci.c - passthrough of host hardware, as xl 4.17 reads it: the
 * pci_* defaults, rdm, pci = [...] (the PCI_SPEC_STRING language of
 * xl-pci-configuration(5)), dtdev, passthrough, ioports, irqs, iomem,
 * usbctrl and usbdev; and one PCI_SPEC_STRING or bare address alone, as
 * xl pci-attach and pci-assignable-add read them (xlconv.h).
 *
 * Several of these are read with C library conversions (scanf's %x,
 * strtoul, atoi) whose corners define what xl accepts: blanks before a
 * number, a sign, a 0x prefix, values that wrap when stored.  Where xl
 * relies on such a conversion this file uses the same one, so that the
 * accepted language is the same, and warns where the result is likely
 * to surprise the admin.
 */
#define _GNU_SOURCE

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xlconv_int.h"

/*
 * What xl 4.17 stores for the parts of rdm= it never sets: it reads them
 * from an uninitialised variable, and its dry run prints them as null
 * (a value no enum name has).  Any such value gives the same JSON; this
 * one is at least recognisable.
 */
#define RDM_UNDEFINED 0x7fffffff

/* ---- numbers as xl's C library calls read them --------------------- */

/* A hexadecimal digit in the C locale (xl runs in it). */
static bool is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')
        || (c >= 'A' && c <= 'F');
}

static bool is_digits(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return false;
    return true;
}

/*
 * One number read as scanf's "%x" does (blanks, a sign and a 0x prefix
 * are allowed, and the value is cut to 32 bits), because that is how xl
 * reads every number of a PCI address.  Returns the length of the text
 * read, or -1 when there is no number.  *odd is set when the text is
 * anything but plain hex digits that fit, so that the caller can warn.
 */
static int scan_hex(const char *s, unsigned int *v, bool *odd)
{
    int n = -1;

    if (sscanf(s, "%x%n", v, &n) != 1 || n < 0)
        return -1;
    for (int i = 0; i < n; i++)
        if (!is_hex(s[i]))
            *odd = true;
    if (!*odd) {
        unsigned long long full;

        errno = 0;
        full = strtoull(s, NULL, 16);
        if (errno || full > UINT_MAX)
            *odd = true;
    }
    return n;
}

/*
 * atoi(), which xl uses for the flags of a PCI spec and a few usb
 * numbers: glibc's is strtol() cut to an int, so junk after the digits
 * is ignored, text without digits is 0 and big values wrap.  Warns when
 * the value is not what the text plainly says.
 */
static int read_atoi(struct xlconv *cv, const struct xlcfg_loc *at,
                     const char *what, const char *s)
{
    long l = strtol(s, NULL, 10);
    int v = (int)l;
    const char *digits = (*s == '-') ? s + 1 : s;

    if (!is_digits(digits) || l != v)
        xlconv_warn(cv, at, "%s\"%s\": xl reads this as %d (the leading "
                    "decimal digits, cut to 32 bits)", what, s, v);
    return v;
}

/* ---- one PCI spec ---------------------------------------------------- */

/*
 * A PCI address [DDDD:]BB:DD.F at s, where F may be '*' for all
 * functions.  xl decides whether the domain is there by counting the
 * colons among the leading hex digits and colons, then reads the
 * numbers with scanf.  On success the device is filled in, *end is set
 * after the address, *odd is set when the address is written in an odd
 * way, and NULL is returned; otherwise nothing is changed and the
 * reason is returned.
 */
static const char *parse_bdf(const char *s, libxl_device_pci *pci,
                             const char **end, bool *odd)
{
    unsigned int num[3], func;
    uint32_t mask;
    int colons = 0, n;
    bool o = false;
    const char *p;

    for (p = s; is_hex(*p) || *p == ':'; p++)
        if (*p == ':')
            colons++;
    if (colons != 1 && colons != 2)
        return "the address must be [DDDD:]BB:DD.F (hexadecimal numbers)";
    p = s;
    num[0] = 0;
    for (int i = 3 - (colons + 1); i < 3; i++) {
        n = scan_hex(p, &num[i], &o);
        if (n < 0)
            return "the address must be [DDDD:]BB:DD.F (hexadecimal numbers)";
        p += n;
        if (i < 2) {
            if (*p != ':')
                return "the address must be [DDDD:]BB:DD.F (hexadecimal "
                       "numbers)";
            p++;
        }
    }
    /* Without the dot, xl 4.17 reads an uninitialised offset and
     * usually crashes; such a spec cannot mean anything. */
    if (*p != '.')
        return "the device number must be followed by '.' and the "
               "function (xl 4.17 crashes on such a spec)";
    p++;
    if (num[0] > 0xffff)
        return "the PCI domain must be at most ffff";
    if (num[1] > 0xff)
        return "the bus must be at most ff";
    if (num[2] > 0x1f)
        return "the device must be at most 1f";
    if (*p == '*') {
        mask = LIBXL_PCI_FUNC_ALL;
        func = 0;
        p++;
    } else {
        n = scan_hex(p, &func, &o);
        if (n < 0 || func > 7)
            return "the function must be 0 to 7, or * for all of them";
        mask = 1;
        p += n;
    }
    pci->domain = (int)num[0];
    pci->bus = (uint8_t)num[1];
    pci->dev = (uint8_t)num[2];
    pci->func = (uint8_t)func;
    pci->vfunc_mask = mask;
    *end = p;
    *odd |= o;
    return NULL;
}

/* A virtual slot, as after '@' or in vslot=. */
static const char *parse_vslot(const char *s, uint32_t *vdevfn,
                               const char **end, bool *odd)
{
    unsigned int v;
    bool o = false;
    int n = scan_hex(s, &v, &o);

    if (n < 0 || v > 0x1f)
        return "the virtual slot must be a hexadecimal number from 0 to 1f";
    *vdevfn = v << 3;
    *end = s + n;
    *odd |= o;
    return NULL;
}

/* The options a PCI spec may have after the address, for messages. */
#define PCI_OPTIONS "bdf, vslot, permissive, msitranslate, seize, " \
    "power_mgmt, rdm_policy or name"

/* One KEY=VALUE option of a spec, already split; 0 or EINVAL. */
static int pci_option(struct xlconv *cv, const char *spec,
                      const struct xlcfg_loc *at, const char *key,
                      const char *val, libxl_device_pci *pci,
                      bool *have_bdf, bool *have_name, bool *odd)
{
    const char *why, *end;

    if (!strcmp(key, "bdf")) {
        why = parse_bdf(val, pci, &end, odd);
        if (why) {
            xlconv_err(cv, at, "pci \"%s\": bdf=%s: %s", spec, val, why);
            return EINVAL;
        }
        *have_bdf = true;
        if (*end)
            xlconv_warn(cv, at, "pci \"%s\": xl ignores \"%s\" after the "
                        "address in bdf=", spec, end);
    } else if (!strcmp(key, "vslot")) {
        why = parse_vslot(val, &pci->vdevfn, &end, odd);
        if (why) {
            xlconv_err(cv, at, "pci \"%s\": vslot=%s: %s", spec, val, why);
            return EINVAL;
        }
        if (*end)
            xlconv_warn(cv, at, "pci \"%s\": xl ignores \"%s\" after the "
                        "slot in vslot=", spec, end);
    } else if (!strcmp(key, "permissive")) {
        pci->permissive = read_atoi(cv, at, "pci permissive=", val) != 0;
    } else if (!strcmp(key, "msitranslate")) {
        pci->msitranslate = read_atoi(cv, at, "pci msitranslate=", val) != 0;
    } else if (!strcmp(key, "seize")) {
        pci->seize = read_atoi(cv, at, "pci seize=", val) != 0;
    } else if (!strcmp(key, "power_mgmt")) {
        pci->power_mgmt = read_atoi(cv, at, "pci power_mgmt=", val) != 0;
    } else if (!strcmp(key, "rdm_policy")) {
        /* libxl's names, in any case; "invalid" is one of them and
         * means the domain's policy. */
        if (libxl_rdm_reserve_policy_from_string(val, &pci->rdm_policy)) {
            xlconv_err(cv, at, "pci \"%s\": unknown rdm_policy \"%s\" "
                       "(strict or relaxed)", spec, val);
            return EINVAL;
        }
    } else if (!strcmp(key, "name")) {
        free(pci->name);
        pci->name = xlconv_strdup(cv, val);
        *have_name = true;
    } else {
        xlconv_err(cv, at, "pci \"%s\": unknown option \"%s\" (%s)%s", spec,
                   key, PCI_OPTIONS, key[0] == ' ' ? "; options are "
                   "separated by a comma without spaces" : "");
        return EINVAL;
    }
    return 0;
}

int xlconv_pci_spec(struct xlconv *cv, const char *spec,
                    const struct xlcfg_loc *at, libxl_device_pci *pci)
{
    const char *p = spec, *bdf_why, *why;
    bool have_bdf = false, have_name = false, odd = false, first = true;
    char *key = NULL, *val = NULL;
    int rc = EINVAL;

    /* An address first, if the spec starts with one; otherwise the whole
     * spec is options (bdf= or name= among them). */
    bdf_why = parse_bdf(p, pci, &p, &odd);
    if (!bdf_why) {
        have_bdf = true;
        if (*p == '@') {
            why = parse_vslot(p + 1, &pci->vdevfn, &p, &odd);
            if (why) {
                xlconv_err(cv, at, "pci \"%s\": %s", spec, why);
                goto out;
            }
        }
        if (*p == ',') {
            p++;
        } else if (*p) {
            xlconv_err(cv, at, "pci \"%s\": unexpected \"%s\" (options "
                       "follow the address after a comma, without spaces)",
                       spec, p);
            goto out;
        }
    }
    while (*p) {
        const char *eq = strchr(p, '='), *stop;

        /* When the spec did not start with an address and its first
         * option makes no sense either, the address is what was
         * meant. */
        if (!eq) {
            stop = p + strcspn(p, ",");
            if (first && bdf_why)
                xlconv_err(cv, at, "pci \"%s\": %s", spec, bdf_why);
            else
                xlconv_err(cv, at, "pci \"%s\": option \"%.*s\" has no "
                           "value (KEY=VALUE)", spec, (int)(stop - p), p);
            goto out;
        }
        stop = eq + 1 + strcspn(eq + 1, ",");
        key = strndup(p, (size_t)(eq - p));
        val = strndup(eq + 1, (size_t)(stop - eq - 1));
        if (!key || !val) {
            cv->oom = true;
            rc = ENOMEM;
            goto out;
        }
        if (first && bdf_why && strchr(key, ':')) {
            xlconv_err(cv, at, "pci \"%s\": %s", spec, bdf_why);
            goto out;
        }
        if (pci_option(cv, spec, at, key, val, pci, &have_bdf, &have_name,
                       &odd))
            goto out;
        free(key);
        free(val);
        key = val = NULL;
        first = false;
        p = *stop ? stop + 1 : stop;
    }
    if (have_bdf && have_name) {
        xlconv_err(cv, at, "pci \"%s\": give the device either as an "
                   "address or as name=, not both", spec);
        goto out;
    }
    if (!have_bdf && !have_name) {
        xlconv_err(cv, at, "pci \"%s\": the device is missing ([DDDD:]BB:"
                   "DD.F, bdf= or name=)", spec);
        goto out;
    }
    if (odd && have_bdf) {
        char fn[2] = "*", slot[8] = "";

        if (pci->vfunc_mask != LIBXL_PCI_FUNC_ALL)
            fn[0] = (char)('0' + pci->func);
        if (pci->vdevfn)
            snprintf(slot, sizeof(slot), "@%02x", (pci->vdevfn >> 3) & 0x1f);
        xlconv_warn(cv, at, "pci \"%s\": the address is not written as "
                    "plain hexadecimal numbers; xl reads it as "
                    "%04x:%02x:%02x.%s%s", spec, (unsigned)pci->domain,
                    pci->bus, pci->dev, fn, slot);
    }
    rc = 0;

out:
    free(key);
    free(val);
    return rc;
}

/* ---- one device for the hot-plug verbs ------------------------------- */

int xlconv_pci_device(const char *spec, libxl_device_pci *pci, char *why,
                      size_t len)
{
    struct xlcfg cfg;
    struct xlconv cv;
    int rc;

    /* A conversion context of its own, for the diagnostics; no host is
     * needed, as nothing of a PCI spec depends on the host or xl.conf. */
    xlcfg_init(&cfg);
    memset(&cv, 0, sizeof(cv));
    cv.cfg = &cfg;
    rc = xlconv_pci_spec(&cv, spec, NULL, pci);
    if (!rc && cv.oom)
        rc = ENOMEM;
    if (rc == EINVAL)
        xlconv_first_error(&cv, "not a PCI_SPEC_STRING", why, len);
    else if (rc)
        snprintf(why, len, "out of memory");
    xlcfg_dispose(&cfg);
    return rc;
}

int xlconv_pci_address(const char *text, libxl_device_pci *pci, char *why,
                       size_t len)
{
    libxl_device_pci tmp = *pci;
    const char *end = text, *msg;
    bool odd = false;

    msg = parse_bdf(text, &tmp, &end, &odd);
    if (!msg && *end)
        msg = "nothing may follow the address";
    if (!msg && tmp.vfunc_mask == LIBXL_PCI_FUNC_ALL)
        msg = "the address names one function: 0 to 7, not *";
    if (msg) {
        snprintf(why, len, "\"%s\": %s", text, msg);
        return EINVAL;
    }
    *pci = tmp;
    return 0;
}

char *xlconv_pci_to_spec(const libxl_device_pci *pci)
{
    const char *policy = libxl_rdm_reserve_policy_to_string(pci->rdm_policy);
    char fn[2] = "*", slot[8] = "", *s = NULL;

    if (pci->vfunc_mask != LIBXL_PCI_FUNC_ALL)
        fn[0] = (char)('0' + (pci->func & 7));
    if (pci->vdevfn >> 3)
        snprintf(slot, sizeof(slot), "@%02x", (pci->vdevfn >> 3) & 0x1f);
    /* Every flag is written out, so that the config's pci_* defaults,
     * which a spec without them would take, change nothing. */
    if (asprintf(&s, "%04x:%02x:%02x.%s%s,permissive=%d,msitranslate=%d,"
                 "power_mgmt=%d,seize=%d%s%s", (unsigned)pci->domain & 0xffff,
                 pci->bus, pci->dev & 0x1f, fn, slot, pci->permissive,
                 pci->msitranslate, pci->power_mgmt, pci->seize,
                 policy ? ",rdm_policy=" : "", policy ? policy : "") < 0)
        return NULL;
    return s;
}

/* ---- the keys -------------------------------------------------------- */

/* xl walks a device list until the first item that is not a string, so
 * whatever follows a nested list is silently dropped. */
static void warn_rest_ignored(struct xlconv *cv, const char *key,
                              const struct xlcfg_value *l, size_t i)
{
    xlconv_warn(cv, &l->items[i]->loc, "%s: item %zu is a nested list, not "
                "a device; xl ignores it and every item after it", key,
                i + 1);
}

/* The pci_* keys: defaults for the flags of every pci device.  xl keeps
 * them in an int, so a value is cut to 32 bits before it counts as
 * true or false. */
static int pci_default(struct xlconv *cv, const char *key)
{
    long l;

    if (xlconv_long(cv, key, &l, false))
        return 0;
    if (l != (int)l)
        xlconv_warn(cv, xlconv_loc(cv, key), "%s = %ld does not fit in 32 "
                    "bits; xl reads it as %d", key, l, (int)l);
    return (int)l;
}

/*
 * rdm = "strategy=host[,policy=strict|relaxed]", read as libxlutil's
 * xlu_rdm_parse of 4.17 reads it.  Its bugs decide the meaning: a valid
 * policy makes it fail (its success test is inverted), an unknown one is
 * reported but let through, and when it succeeds whatever it did not set
 * is undefined.  xl ignores a failed rdm without a word.  None of this
 * ever rejects a config.
 */
static void conv_rdm(struct xlconv *cv)
{
    libxl_domain_build_info *b = &cv->dc->b_info;
    const struct xlcfg_loc *at;
    libxl_rdm_reserve_policy pol;
    const char *buf, *p;
    bool strategy_set = false;
    int strategy = RDM_UNDEFINED, policy = RDM_UNDEFINED;

    if (xlconv_string(cv, "rdm", &buf, false))
        return;
    at = xlconv_loc(cv, "rdm");
    for (p = buf;;) {
        const char *eq = strchr(p, '='), *v, *stop;
        size_t klen, vlen;

        if (!eq) {
            xlconv_warn(cv, at, "rdm \"%s\" is not a list of KEY=VALUE "
                        "(strategy=host); xl ignores the whole setting",
                        buf);
            return;
        }
        klen = (size_t)(eq - p);
        v = eq + 1;
        stop = v + strcspn(v, ",");
        vlen = (size_t)(stop - v);
        if (klen == 8 && !strncmp(p, "strategy", 8)) {
            if (vlen != 4 || strncmp(v, "host", 4)) {
                xlconv_warn(cv, at, "rdm: unknown strategy \"%.*s\" (host); "
                            "xl ignores the whole setting", (int)vlen, v);
                return;
            }
            strategy = LIBXL_RDM_RESERVE_STRATEGY_HOST;
            strategy_set = true;
        } else if (klen == 6 && !strncmp(p, "policy", 6)) {
            char *name = strndup(v, vlen);
            int bad;

            if (!name) {
                cv->oom = true;
                return;
            }
            bad = libxl_rdm_reserve_policy_from_string(name, &pol);
            if (!bad) {
                xlconv_warn(cv, at, "rdm: xl 4.17 ignores the whole rdm "
                            "setting when it has a valid policy (\"%s\"), a "
                            "bug of its parser; set rdm_policy= on the pci "
                            "devices instead", name);
                free(name);
                return;
            }
            xlconv_warn(cv, at, "rdm: unknown policy \"%s\" (strict or "
                        "relaxed); xl reports it and goes on", name);
            free(name);
        } else {
            xlconv_warn(cv, at, "rdm: unknown option \"%.*s\" (strategy or "
                        "policy); xl ignores the whole setting", (int)klen,
                        p);
            return;
        }
        if (!*stop)
            break;
        p = stop + 1;
    }
    xlconv_warn(cv, at, "rdm: xl 4.17 never sets the reservation "
                "policy%s, which is left undefined; xld stores an invalid "
                "value, as xl's dry run shows", strategy_set ? "" :
                " (nor the strategy)");
    /* The union member of HVM guests, whatever the type: xl does so, and
     * the pci devices below take their default policy from there. */
    b->u.hvm.rdm.strategy = (libxl_rdm_reserve_strategy)strategy;
    b->u.hvm.rdm.policy = (libxl_rdm_reserve_policy)policy;
}

static void conv_pci_list(struct xlconv *cv)
{
    libxl_domain_config *dc = cv->dc;
    libxl_domain_build_info *b = &dc->b_info;
    const struct xlcfg_value *l;
    int msitranslate = pci_default(cv, "pci_msitranslate");
    int power_mgmt = pci_default(cv, "pci_power_mgmt");
    int permissive = pci_default(cv, "pci_permissive");
    int seize = pci_default(cv, "pci_seize");

    conv_rdm(cv);
    if (xlconv_list(cv, "pci", &l, false))
        return;
    for (size_t i = 0; i < l->nitems; i++) {
        const char *spec = xlcfg_list_string(l, i);
        libxl_device_pci *pci;

        if (!spec) {
            warn_rest_ignored(cv, "pci", l, i);
            break;
        }
        pci = xlconv_grow(cv, (void **)&dc->pcidevs, &dc->num_pcidevs,
                          sizeof(*dc->pcidevs));
        if (!pci)
            return;
        libxl_device_pci_init(pci);
        pci->msitranslate = msitranslate != 0;
        pci->power_mgmt = power_mgmt != 0;
        pci->permissive = permissive != 0;
        pci->seize = seize != 0;
        /* For PV and PVH guests this reads the HVM member of the union,
         * as xl does: zero ("strict") unless rdm= wrote there. */
        pci->rdm_policy = b->u.hvm.rdm.policy;
        xlconv_pci_spec(cv, spec, &l->items[i]->loc, pci);
    }
    /* PV guests with devices need the host's memory map. */
    if (dc->num_pcidevs && dc->c_info.type == LIBXL_DOMAIN_TYPE_PV)
        libxl_defbool_set(&b->u.pv.e820_host, true);
}

static void conv_dtdevs(struct xlconv *cv)
{
    libxl_domain_config *dc = cv->dc;
    const struct xlcfg_value *l;

    if (xlconv_list(cv, "dtdev", &l, false))
        return;
    for (size_t i = 0; i < l->nitems; i++) {
        const char *path = xlcfg_list_string(l, i);
        libxl_device_dtdev *dt;

        if (!path) {
            warn_rest_ignored(cv, "dtdev", l, i);
            break;
        }
        dt = xlconv_grow(cv, (void **)&dc->dtdevs, &dc->num_dtdevs,
                         sizeof(*dc->dtdevs));
        if (!dt)
            return;
        libxl_device_dtdev_init(dt);
        dt->path = xlconv_strdup(cv, path);
    }
}

static void conv_passthrough(struct xlconv *cv)
{
    const char *buf;

    if (xlconv_string(cv, "passthrough", &buf, false))
        return;
    if (libxl_passthrough_from_string(buf, &cv->dc->c_info.passthrough))
        xlconv_err(cv, xlconv_loc(cv, "passthrough"), "unknown passthrough "
                   "\"%s\" (default, disabled, enabled, sync_pt or "
                   "share_pt)", buf);
}

/*
 * ioports = [ "FIRST[-LAST]", ... ] in hexadecimal (strtoul).  xl
 * complains about junk after a single port but keeps the port, and it
 * never checks that LAST is not below FIRST: the count then wraps.
 */
static void conv_ioports(struct xlconv *cv)
{
    libxl_domain_build_info *b = &cv->dc->b_info;
    const struct xlcfg_value *l;

    if (xlconv_list(cv, "ioports", &l, false) || !l->nitems)
        return;
    b->ioports = xlconv_calloc(cv, l->nitems, sizeof(*b->ioports));
    if (!b->ioports)
        return;
    b->num_ioports = (int)l->nitems;
    for (size_t i = 0; i < l->nitems; i++) {
        const char *s = xlcfg_list_string(l, i);
        const struct xlcfg_loc *at = &l->items[i]->loc;
        unsigned long ul;
        uint32_t start, end;
        char *ep;

        if (!s) {
            xlconv_err(cv, at, "ioports: item %zu is a list, not a port "
                       "range", i + 1);
            continue;
        }
        ul = strtoul(s, &ep, 16);
        if (ep == s) {
            xlconv_err(cv, at, "ioports: \"%s\" is not a port or a range of "
                       "ports (hexadecimal FIRST or FIRST-LAST)", s);
            continue;
        }
        if (ul >= UINT32_MAX) {
            xlconv_err(cv, at, "ioports: port %lx in \"%s\" is too big "
                       "(at most fffffffe)", ul, s);
            continue;
        }
        start = end = (uint32_t)ul;
        if (*ep == '-') {
            const char *last = ep + 1;

            ul = strtoul(last, &ep, 16);
            if (ep == last || *ep) {
                xlconv_err(cv, at, "ioports: \"%s\" is not a port or a "
                           "range of ports (hexadecimal FIRST or "
                           "FIRST-LAST)", s);
                continue;
            }
            if (ul >= UINT32_MAX) {
                xlconv_err(cv, at, "ioports: port %lx in \"%s\" is too big "
                           "(at most fffffffe)", ul, s);
                continue;
            }
            end = (uint32_t)ul;
            if (end < start)
                xlconv_warn(cv, at, "ioports: \"%s\" ends before it "
                            "starts; xl does not check and counts %" PRIu32
                            " ports", s, (uint32_t)(end - start + 1));
        } else if (*ep) {
            xlconv_warn(cv, at, "ioports: xl ignores \"%s\" after port %"
                        PRIx32 " in \"%s\" (it reports it and goes on)", ep,
                        start, s);
        }
        b->ioports[i].first = start;
        b->ioports[i].number = end - start + 1;
    }
}

/* irqs = [ N, ... ] in decimal. */
static void conv_irqs(struct xlconv *cv)
{
    libxl_domain_build_info *b = &cv->dc->b_info;
    const struct xlcfg_value *l;

    if (xlconv_list(cv, "irqs", &l, false) || !l->nitems)
        return;
    b->irqs = xlconv_calloc(cv, l->nitems, sizeof(*b->irqs));
    if (!b->irqs)
        return;
    b->num_irqs = (int)l->nitems;
    for (size_t i = 0; i < l->nitems; i++) {
        const char *s = xlcfg_list_string(l, i);
        const struct xlcfg_loc *at = &l->items[i]->loc;
        unsigned long ul;
        char *ep;

        if (!s) {
            xlconv_err(cv, at, "irqs: item %zu is a list, not an irq "
                       "number", i + 1);
            continue;
        }
        ul = strtoul(s, &ep, 10);
        if (ep == s || *ep) {
            xlconv_err(cv, at, "irqs: \"%s\" is not an irq number (a "
                       "decimal number such as 4; names are not "
                       "accepted)", s);
            continue;
        }
        if (ul >= UINT32_MAX) {
            xlconv_err(cv, at, "irqs: %s is too big (at most %" PRIu32 ")",
                       s, UINT32_MAX - 1);
            continue;
        }
        b->irqs[i] = (uint32_t)ul;
    }
}

/* iomem = [ "START,NUMBER[@GFN]", ... ] in hexadecimal page numbers, read
 * with scanf as xl does (so blanks before each number are allowed). */
static void conv_iomem(struct xlconv *cv)
{
    libxl_domain_build_info *b = &cv->dc->b_info;
    const struct xlcfg_value *l;

    if (xlconv_list(cv, "iomem", &l, false) || !l->nitems)
        return;
    b->iomem = xlconv_calloc(cv, l->nitems, sizeof(*b->iomem));
    if (!b->iomem)
        return;
    b->num_iomem = (int)l->nitems;
    for (size_t i = 0; i < l->nitems; i++) {
        const char *s = xlcfg_list_string(l, i);
        const struct xlcfg_loc *at = &l->items[i]->loc;
        libxl_iomem_range *r = &b->iomem[i];
        int got, used = -1;

        libxl_iomem_range_init(r);
        if (!s) {
            xlconv_err(cv, at, "iomem: item %zu is a list, not a memory "
                       "range", i + 1);
            continue;
        }
        got = sscanf(s, "%" SCNx64 ",%" SCNx64 "%n@%" SCNx64 "%n",
                     &r->start, &r->number, &used, &r->gfn, &used);
        if (got < 2 || used < 0 || s[used]) {
            xlconv_err(cv, at, "iomem: \"%s\" is not a memory range "
                       "(hexadecimal START,NUMBER or START,NUMBER@GFN)", s);
            continue;
        }
    }
}

/* The options of usbctrl and usbdev specs: comma-separated, blanks at
 * the start of an option skipped, empty options skipped (strtok). */
typedef int (*usb_option_fn)(struct xlconv *cv, const struct xlcfg_loc *at,
                             const char *opt, void *dev);

static void usb_options(struct xlconv *cv, const struct xlcfg_loc *at,
                        const char *spec, usb_option_fn fn, void *dev)
{
    char *buf = xlconv_strdup(cv, spec), *save = NULL;

    if (!buf)
        return;
    for (char *opt = strtok_r(buf, ",", &save); opt;
         opt = strtok_r(NULL, ",", &save)) {
        while (*opt == ' ')
            opt++;
        fn(cv, at, opt, dev);
    }
    free(buf);
}

/* The value of an option "KEY=VALUE" if opt is one, else NULL. */
static const char *option_value(const char *opt, const char *key)
{
    size_t n = strlen(key);

    if (strncmp(opt, key, n) || opt[n] != '=')
        return NULL;
    return opt + n + 1;
}

static int usbctrl_option(struct xlconv *cv, const struct xlcfg_loc *at,
                          const char *opt, void *dev)
{
    libxl_device_usbctrl *uc = dev;
    const char *v;

    if (!*opt) {
        xlconv_err(cv, at, "usbctrl: an empty option (a blank after a "
                   "comma?)");
        return EINVAL;
    }
    if ((v = option_value(opt, "type"))) {
        if (libxl_usbctrl_type_from_string(v, &uc->type)) {
            xlconv_err(cv, at, "usbctrl: unknown controller type \"%s\" "
                       "(auto, pv, devicemodel or qusb)", v);
            return EINVAL;
        }
    } else if ((v = option_value(opt, "version"))) {
        uc->version = read_atoi(cv, at, "usbctrl version=", v);
    } else if ((v = option_value(opt, "ports"))) {
        uc->ports = read_atoi(cv, at, "usbctrl ports=", v);
    } else {
        xlconv_err(cv, at, "usbctrl: unknown option \"%s\" (type=, "
                   "version= or ports=)", opt);
        return EINVAL;
    }
    return 0;
}

/* A USB bus or address: strtoul in any base, stored in 8 bits. */
static uint8_t usb_byte(struct xlconv *cv, const struct xlcfg_loc *at,
                        const char *what, const char *s)
{
    char *end;
    unsigned long ul = strtoul(s, &end, 0);

    if (end == s || *end || ul > 0xff)
        xlconv_warn(cv, at, "usbdev %s\"%s\": xl reads this as %u (a "
                    "number from 0 to 255 is expected)", what, s,
                    (unsigned)(uint8_t)ul);
    return (uint8_t)ul;
}

static int usbdev_option(struct xlconv *cv, const struct xlcfg_loc *at,
                         const char *opt, void *dev)
{
    libxl_device_usbdev *ud = dev;
    const char *v;

    /* hostbus and hostaddr go to the hostdev member whatever the type,
     * as in xl; they only count when type=hostdev is given too. */
    if (!*opt) {
        xlconv_err(cv, at, "usbdev: an empty option (a blank after a "
                   "comma?)");
        return EINVAL;
    }
    if ((v = option_value(opt, "type"))) {
        if (libxl_usbdev_type_from_string(v, &ud->type)) {
            xlconv_err(cv, at, "usbdev: unknown device type \"%s\" "
                       "(hostdev)", v);
            return EINVAL;
        }
    } else if ((v = option_value(opt, "hostbus"))) {
        ud->u.hostdev.hostbus = usb_byte(cv, at, "hostbus=", v);
    } else if ((v = option_value(opt, "hostaddr"))) {
        ud->u.hostdev.hostaddr = usb_byte(cv, at, "hostaddr=", v);
    } else if ((v = option_value(opt, "controller"))) {
        ud->ctrl = read_atoi(cv, at, "usbdev controller=", v);
    } else if ((v = option_value(opt, "port"))) {
        ud->port = read_atoi(cv, at, "usbdev port=", v);
    } else {
        xlconv_err(cv, at, "usbdev: unknown option \"%s\" (type=, hostbus=, "
                   "hostaddr=, controller= or port=)", opt);
        return EINVAL;
    }
    return 0;
}

static void conv_usb(struct xlconv *cv)
{
    libxl_domain_config *dc = cv->dc;
    const struct xlcfg_value *l;

    if (!xlconv_list(cv, "usbctrl", &l, false)) {
        for (size_t i = 0; i < l->nitems; i++) {
            const char *spec = xlcfg_list_string(l, i);
            libxl_device_usbctrl *uc;

            if (!spec) {
                warn_rest_ignored(cv, "usbctrl", l, i);
                break;
            }
            uc = xlconv_grow(cv, (void **)&dc->usbctrls, &dc->num_usbctrls,
                             sizeof(*dc->usbctrls));
            if (!uc)
                return;
            libxl_device_usbctrl_init(uc);
            /* xl numbers controllers in the order of the list. */
            uc->devid = (libxl_devid)i;
            usb_options(cv, &l->items[i]->loc, spec, usbctrl_option, uc);
        }
    }
    if (!xlconv_list(cv, "usbdev", &l, false)) {
        for (size_t i = 0; i < l->nitems; i++) {
            const char *spec = xlcfg_list_string(l, i);
            libxl_device_usbdev *ud;

            if (!spec) {
                warn_rest_ignored(cv, "usbdev", l, i);
                break;
            }
            ud = xlconv_grow(cv, (void **)&dc->usbdevs, &dc->num_usbdevs,
                             sizeof(*dc->usbdevs));
            if (!ud)
                return;
            libxl_device_usbdev_init(ud);
            usb_options(cv, &l->items[i]->loc, spec, usbdev_option, ud);
        }
    }
}

void xlconv_pci(struct xlconv *cv)
{
    conv_pci_list(cv);
    conv_dtdevs(cv);
    conv_passthrough(cv);
    conv_ioports(cv);
    conv_irqs(cv);
    conv_iomem(cv);
    conv_usb(cv);
}
