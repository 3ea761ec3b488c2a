/*
 * xlconv_nic.c - network interfaces: `vif = [ ... ]` and the vif spec
 * grammar of xl-network-configuration(5), including rate limits.
 *
 * xl is lenient with vif specs.  An option it does not know, a bad
 * `type=` and a malformed `mac=` only make it print a message and go on
 * (it ignores what its option parser returns), so they are warnings
 * here.  Only a bad `rate=`, `devid=` or `mtu=` makes xl give up, so only
 * those are errors.
 */
#define _GNU_SOURCE

#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "xlconv_int.h"

/* Replace a libxl string field with a malloc'd copy, as libxl's dispose
 * functions will free it. */
static void set_field(struct xlconv *cv, char **field, const char *val)
{
    free(*field);
    *field = xlconv_strdup(cv, val);
}

/*
 * What xl puts into every nic before it reads the spec, so that the spec
 * overrides it: xl.conf's vif.default.script (or vifscript),
 * vif.default.bridge (or defaultbridge), vif.default.gatewaydev and
 * vif.default.backend (xl's set_default_nic_values).
 */
static void apply_nic_defaults(struct xlconv *cv, libxl_device_nic *nic)
{
    const struct xlconf *conf = xlconv_conf(cv);

    if (conf->vif_script)
        set_field(cv, &nic->script, conf->vif_script);
    if (conf->vif_bridge)
        set_field(cv, &nic->bridge, conf->vif_bridge);
    if (conf->vif_gatewaydev)
        set_field(cv, &nic->gatewaydev, conf->vif_gatewaydev);
    if (conf->vif_backend)
        set_field(cv, &nic->backend_domname, conf->vif_backend);
}

/* ---- options that are plain strings ------------------------------------ */

#define NIC_STR(key, field) { key, offsetof(libxl_device_nic, field) }

/* Options whose value is stored as written, after the '=' (trailing
 * spaces and further '=' included).  Each is recognised only when the
 * option starts with exactly `key=`, as xl does. */
static const struct {
    const char *key;
    size_t off;
} nic_strings[] = {
    NIC_STR("bridge", bridge),
    NIC_STR("gatewaydev", gatewaydev),
    NIC_STR("ip", ip),
    NIC_STR("script", script),
    NIC_STR("backend", backend_domname),
    NIC_STR("vifname", ifname),
    NIC_STR("model", model),
    NIC_STR("forwarddev", coloft_forwarddev),
    NIC_STR("colo_sock_mirror_id", colo_sock_mirror_id),
    NIC_STR("colo_sock_mirror_ip", colo_sock_mirror_ip),
    NIC_STR("colo_sock_mirror_port", colo_sock_mirror_port),
    NIC_STR("colo_sock_compare_sec_in_id", colo_sock_compare_sec_in_id),
    NIC_STR("colo_sock_compare_sec_in_ip", colo_sock_compare_sec_in_ip),
    NIC_STR("colo_sock_compare_sec_in_port", colo_sock_compare_sec_in_port),
    NIC_STR("colo_sock_redirector0_id", colo_sock_redirector0_id),
    NIC_STR("colo_sock_redirector0_ip", colo_sock_redirector0_ip),
    NIC_STR("colo_sock_redirector0_port", colo_sock_redirector0_port),
    NIC_STR("colo_sock_redirector1_id", colo_sock_redirector1_id),
    NIC_STR("colo_sock_redirector1_ip", colo_sock_redirector1_ip),
    NIC_STR("colo_sock_redirector1_port", colo_sock_redirector1_port),
    NIC_STR("colo_sock_redirector2_id", colo_sock_redirector2_id),
    NIC_STR("colo_sock_redirector2_ip", colo_sock_redirector2_ip),
    NIC_STR("colo_sock_redirector2_port", colo_sock_redirector2_port),
    NIC_STR("colo_sock_compare_pri_in_id", colo_sock_compare_pri_in_id),
    NIC_STR("colo_sock_compare_pri_in_ip", colo_sock_compare_pri_in_ip),
    NIC_STR("colo_sock_compare_pri_in_port", colo_sock_compare_pri_in_port),
    NIC_STR("colo_sock_compare_notify_id", colo_sock_compare_notify_id),
    NIC_STR("colo_sock_compare_notify_ip", colo_sock_compare_notify_ip),
    NIC_STR("colo_sock_compare_notify_port", colo_sock_compare_notify_port),
    NIC_STR("colo_filter_mirror_queue", colo_filter_mirror_queue),
    NIC_STR("colo_filter_mirror_outdev", colo_filter_mirror_outdev),
    NIC_STR("colo_filter_redirector0_queue", colo_filter_redirector0_queue),
    NIC_STR("colo_filter_redirector0_indev", colo_filter_redirector0_indev),
    NIC_STR("colo_filter_redirector0_outdev",
            colo_filter_redirector0_outdev),
    NIC_STR("colo_filter_redirector1_queue", colo_filter_redirector1_queue),
    NIC_STR("colo_filter_redirector1_indev", colo_filter_redirector1_indev),
    NIC_STR("colo_filter_redirector1_outdev",
            colo_filter_redirector1_outdev),
    NIC_STR("colo_compare_pri_in", colo_compare_pri_in),
    NIC_STR("colo_compare_sec_in", colo_compare_sec_in),
    NIC_STR("colo_compare_out", colo_compare_out),
    NIC_STR("colo_compare_notify_dev", colo_compare_notify_dev),
    NIC_STR("colo_sock_sec_redirector0_id", colo_sock_sec_redirector0_id),
    NIC_STR("colo_sock_sec_redirector0_ip", colo_sock_sec_redirector0_ip),
    NIC_STR("colo_sock_sec_redirector0_port",
            colo_sock_sec_redirector0_port),
    NIC_STR("colo_sock_sec_redirector1_id", colo_sock_sec_redirector1_id),
    NIC_STR("colo_sock_sec_redirector1_ip", colo_sock_sec_redirector1_ip),
    NIC_STR("colo_sock_sec_redirector1_port",
            colo_sock_sec_redirector1_port),
    NIC_STR("colo_filter_sec_redirector0_queue",
            colo_filter_sec_redirector0_queue),
    NIC_STR("colo_filter_sec_redirector0_indev",
            colo_filter_sec_redirector0_indev),
    NIC_STR("colo_filter_sec_redirector0_outdev",
            colo_filter_sec_redirector0_outdev),
    NIC_STR("colo_filter_sec_redirector1_queue",
            colo_filter_sec_redirector1_queue),
    NIC_STR("colo_filter_sec_redirector1_indev",
            colo_filter_sec_redirector1_indev),
    NIC_STR("colo_filter_sec_redirector1_outdev",
            colo_filter_sec_redirector1_outdev),
    NIC_STR("colo_filter_sec_rewriter0_queue",
            colo_filter_sec_rewriter0_queue),
    NIC_STR("colo_checkpoint_host", colo_checkpoint_host),
    NIC_STR("colo_checkpoint_port", colo_checkpoint_port),
};

#undef NIC_STR

/* The value of `opt` when it is `key=value`, else NULL.  Only the exact
 * key followed by '=' matches: no prefixes, no case folding, no spaces
 * before the '='. */
static const char *option_value(const char *opt, const char *key)
{
    size_t n = strlen(key);

    if (strncmp(opt, key, n) || opt[n] != '=')
        return NULL;
    return opt + n + 1;
}

/* ---- mac= ---------------------------------------------------------------- */

static bool is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
           (c >= 'A' && c <= 'F');
}

/* Whether a MAC is written the usual way, six groups of one or two hex
 * digits separated by colons and nothing else. */
static bool mac_is_canonical(const char *s)
{
    for (int i = 0; i < 6; i++) {
        int n = 0;

        while (is_hex(*s) && n < 3) {
            s++;
            n++;
        }
        if (n == 0 || n > 2)
            return false;
        if (i < 5 && *s++ != ':')
            return false;
    }
    return *s == '\0';
}

/*
 * mac=: xl reads six hex numbers with strtoul(), each after skipping one
 * character (whatever it is) after the previous number, and stores each
 * as it goes.  So leading spaces, signs and 0x are fine, any separator
 * works, whatever follows the sixth number is ignored, and a number that
 * does not fit in 32 bits silently wraps before the 0-255 check.  When
 * it stops at a bad group, the groups before it stay in the nic.
 *
 * Because xl parses in the middle of splitting the spec at commas, a
 * short MAC runs on into the text of the next options (not yet split),
 * e.g. `mac=1:2:3:4:5,6` is 01:02:03:04:05:06 followed by an option `6`.
 * `val` points into the spec as xl's splitting has left it at this
 * point, whose final NUL is followed by another one: xl would read past
 * its copy of the spec there, and the extra NUL stands for that.
 */
static void parse_mac(struct xlconv *cv, const struct xlcfg_loc *at,
                      const char *val, libxl_device_nic *nic)
{
    const char *p = val;
    const char *token_end = val + strlen(val);
    char *endp = NULL;

    for (int i = 0; i < 6; i++) {
        /* Truncated to unsigned int as xl's variable is. */
        unsigned int byte = (unsigned int)strtoul(p, &endp, 16);

        if (endp == p || byte > 255) {
            if (!*val)
                xlconv_warn(cv, at, "empty vif MAC address: xl ignores it");
            else if (!*p || p > token_end)
                xlconv_warn(cv, at, "vif MAC address \"%s\" has only %d of "
                            "its 6 bytes: xl leaves the others as they were",
                            val, i);
            else
                xlconv_warn(cv, at, "invalid vif MAC address \"%s\" "
                            "(expected six hex bytes such as "
                            "00:16:3e:12:34:56): xl ignores it from byte %d "
                            "on, keeping the bytes before", val, i + 1);
            return;
        }
        nic->mac[i] = (uint8_t)byte;
        /* Whatever follows the number is skipped, even the NUL at the end
         * of the spec: the extra NUL after it keeps the next read inside
         * the buffer. */
        p = endp + 1;
    }
    if (endp > token_end)
        xlconv_warn(cv, at, "vif MAC address \"%s\" is short: xl takes its "
                    "last bytes from the options that follow it", val);
    else if (!mac_is_canonical(val))
        xlconv_warn(cv, at, "vif MAC address \"%s\" is not written as six "
                    "hex bytes separated by colons: xl reads it as "
                    "%02x:%02x:%02x:%02x:%02x:%02x", val, nic->mac[0],
                    nic->mac[1], nic->mac[2], nic->mac[3], nic->mac[4],
                    nic->mac[5]);
}

/* ---- rate= ---------------------------------------------------------------- */

/* The number at the start of a rate or interval as libxlutil reads it:
 * strtoull with base 0, so a leading 0 means octal (and octal stops at
 * an 8 or a 9). */
static uint64_t rate_number(const char *s, const char **endp)
{
    char *e;
    uint64_t v;

    errno = 0;
    v = strtoull(s, &e, 0);
    if (errno == ERANGE)
        v = UINT64_MAX;
    *endp = e;
    return v;
}

/* Whether a rate or interval starts with a 0 that makes it octal. */
static bool is_octal(const char *s)
{
    return s[0] == '0' && s[1] >= '0' && s[1] <= '9';
}

/* Digits, then optional K/M/G, then B or b, then "/s", and nothing else. */
static bool rate_shape_ok(const char *s)
{
    if (*s < '0' || *s > '9')
        return false;
    while (*s >= '0' && *s <= '9')
        s++;
    if (*s == 'K' || *s == 'M' || *s == 'G')
        s++;
    if (*s != 'B' && *s != 'b')
        return false;
    return !strcmp(s + 1, "/s");
}

/* Digits, then optional m or u, then optional s, and nothing else. */
static bool interval_shape_ok(const char *s)
{
    if (*s < '0' || *s > '9')
        return false;
    while (*s >= '0' && *s <= '9')
        s++;
    if (*s == 'm' || *s == 'u')
        s++;
    if (*s == 's')
        s++;
    return *s == '\0';
}

/* The bytes per second of the part before '@', or 0 after an error. */
static uint64_t parse_bytes_per_sec(struct xlconv *cv,
                                    const struct xlcfg_loc *at,
                                    const char *s)
{
    const char *p;
    uint64_t v;

    if (!rate_shape_ok(s)) {
        xlconv_err(cv, at, "invalid vif rate \"%s\": expected a number and "
                   "a unit, B/s (bytes) or b/s (bits) with an optional K, M "
                   "or G before it, e.g. 100Mb/s or 10MB/s", s);
        return 0;
    }
    v = rate_number(s, &p);
    if (v == 0 || v > UINT32_MAX) {
        xlconv_err(cv, at, "vif rate \"%s\" is out of range: the number "
                   "must be between 1 and 4294967295%s", s,
                   is_octal(s) ? " (xl reads a number starting with 0 as "
                   "octal)" : "");
        return 0;
    }
    /* Where an octal number stops early, p is at a digit, and neither the
     * prefix nor the bits apply: what libxlutil does. */
    if (*p == 'G')
        v *= 1000 * 1000 * 1000;
    else if (*p == 'M')
        v *= 1000 * 1000;
    else if (*p == 'K')
        v *= 1000;
    if (p[0] == 'b' || p[1] == 'b')
        v /= 8;
    if (is_octal(s))
        xlconv_warn(cv, at, "vif rate \"%s\" starts with 0, so xl reads it "
                    "as octal: %llu bytes per second", s,
                    (unsigned long long)v);
    return v;
}

/* The interval after '@' in microseconds, or 0 after an error. */
static uint32_t parse_interval(struct xlconv *cv, const struct xlcfg_loc *at,
                               const char *s)
{
    const char *p;
    uint64_t v;

    if (!interval_shape_ok(s)) {
        xlconv_err(cv, at, "invalid vif rate replenishment interval \"%s\": "
                   "expected a number with an optional unit s, ms or us, "
                   "e.g. 20ms", s);
        return 0;
    }
    v = rate_number(s, &p);
    if (v == 0 || v > UINT32_MAX) {
        xlconv_err(cv, at, "vif rate replenishment interval \"%s\" is out of "
                   "range: it must be between 1us and 4294s%s", s,
                   is_octal(s) ? " (xl reads a number starting with 0 as "
                   "octal)" : "");
        return 0;
    }
    if (*p == 's' || *p == '\0') {
        if (*p == '\0')
            xlconv_warn(cv, at, "vif rate replenishment interval \"%s\" has "
                        "no unit: xl reads it as seconds", s);
        v *= 1000 * 1000;
    } else if (*p == 'm') {
        if (p[1] != 's')
            xlconv_warn(cv, at, "vif rate replenishment interval \"%s\": "
                        "xl reads the unit m as milliseconds, not minutes",
                        s);
        v *= 1000;
    }
    if (v > UINT32_MAX) {
        xlconv_err(cv, at, "vif rate replenishment interval \"%s\" is out of "
                   "range: it must be at most 4294s (4294967295us)", s);
        return 0;
    }
    if (is_octal(s))
        xlconv_warn(cv, at, "vif rate replenishment interval \"%s\" starts "
                    "with 0, so xl reads it as octal: %llu microseconds", s,
                    (unsigned long long)v);
    return (uint32_t)v;
}

/*
 * rate=RATE[@INTERVAL], as libxlutil's xlu_vif_parse_rate: the credit is
 * RATE over INTERVAL (50ms when not given).  Returns 0 or EINVAL; the
 * nic is changed only when the whole rate is valid.
 */
static int parse_rate(struct xlconv *cv, const struct xlcfg_loc *at,
                      const char *rate, libxl_device_nic *nic)
{
    const char *at_sign = strchr(rate, '@');
    char *bytes = NULL;
    uint64_t bps, per_interval;
    uint32_t usecs = 50000;
    int rc = EINVAL;

    bytes = at_sign ? strndup(rate, (size_t)(at_sign - rate)) : strdup(rate);
    if (!bytes) {
        cv->oom = true;
        goto out;
    }
    if (!*bytes) {
        xlconv_err(cv, at, "vif rate \"%s\" has no rate before the interval: "
                   "expected e.g. rate=10Mb/s or rate=1MB/s@20ms", rate);
        goto out;
    }
    bps = parse_bytes_per_sec(cv, at, bytes);
    if (!bps)
        goto out;
    if (at_sign) {
        usecs = parse_interval(cv, at, at_sign + 1);
        if (!usecs)
            goto out;
    }
    if (bps > UINT64_MAX / usecs) {
        xlconv_err(cv, at, "vif rate \"%s\" is too large: the bytes per "
                   "interval do not fit in 64 bits", rate);
        goto out;
    }
    per_interval = bps * usecs / 1000000;
    if (!per_interval)
        xlconv_warn(cv, at, "vif rate \"%s\" is less than one byte per "
                    "replenishment interval: the credit rounds down to 0 "
                    "bytes", rate);
    nic->rate_interval_usecs = usecs;
    nic->rate_bytes_per_interval = per_interval;
    rc = 0;

out:
    free(bytes);
    return rc;
}

/* ---- devid= and mtu= ------------------------------------------------------ */

/*
 * A number as xl's parse_ulong() reads it: strtoul base 10, so leading
 * spaces and a sign are taken, anything after the digits is ignored, and
 * the result is then stored in an int (wrapping).  Only no digits at all,
 * or a value that overflows unsigned long, are errors.
 */
static int parse_nic_ulong(struct xlconv *cv, const struct xlcfg_loc *at,
                           const char *key, const char *val, int *out)
{
    unsigned long ul;
    char *end;

    ul = strtoul(val, &end, 10);
    if (end == val || ul == ULONG_MAX) {
        xlconv_err(cv, at, "vif %s \"%s\" is not a number: expected a "
                   "non-negative decimal integer", key, val);
        return EINVAL;
    }
    *out = (int)ul;
    if (*end)
        xlconv_warn(cv, at, "vif %s \"%s\" has junk after the number: xl "
                    "ignores it and takes %d", key, val, *out);
    else if (ul > INT_MAX || strchr(val, '-'))
        xlconv_warn(cv, at, "vif %s \"%s\" is negative or too large: xl "
                    "wraps it around to %d", key, val, *out);
    return 0;
}

/* ---- one option ------------------------------------------------------------ */

/* Warn about a value that ends with whitespace, which xl keeps as part of
 * it (an easy mistake with `a=b , c=d`). */
static void check_trailing_space(struct xlconv *cv, const struct xlcfg_loc *at,
                                 const char *key, const char *val)
{
    size_t n = strlen(val);

    if (n && (val[n - 1] == ' ' || val[n - 1] == '\t'))
        xlconv_warn(cv, at, "the value of vif option %s, \"%s\", ends with "
                    "whitespace, which xl keeps as part of it", key, val);
}

/*
 * One option of a vif spec, the leading spaces already skipped, inside
 * the buffer of xlconv_nic_spec (see parse_mac).  Returns EINVAL only
 * where xl gives up.
 */
static int nic_option(struct xlconv *cv, const struct xlcfg_loc *at,
                      const char *opt, libxl_device_nic *nic)
{
    const char *val;

    for (size_t i = 0; i < sizeof(nic_strings) / sizeof(nic_strings[0]);
         i++) {
        val = option_value(opt, nic_strings[i].key);
        if (val) {
            check_trailing_space(cv, at, nic_strings[i].key, val);
            set_field(cv, (char **)((char *)nic + nic_strings[i].off), val);
            return 0;
        }
    }
    if ((val = option_value(opt, "type"))) {
        if (!strcmp(val, "vif"))
            nic->nictype = LIBXL_NIC_TYPE_VIF;
        else if (!strcmp(val, "ioemu"))
            nic->nictype = LIBXL_NIC_TYPE_VIF_IOEMU;
        else
            xlconv_warn(cv, at, "unknown vif type \"%s\" (valid: vif, "
                        "ioemu): xl ignores it", val);
    } else if ((val = option_value(opt, "mac"))) {
        parse_mac(cv, at, val, nic);
    } else if ((val = option_value(opt, "netdev"))) {
        xlconv_warn(cv, at, "the vif option netdev= is deprecated: use "
                    "gatewaydev= instead");
        set_field(cv, &nic->gatewaydev, val);
    } else if ((val = option_value(opt, "rate"))) {
        return parse_rate(cv, at, val, nic);
    } else if ((val = option_value(opt, "accel"))) {
        xlconv_warn(cv, at, "the vif option accel= is not supported: xl "
                    "ignores it");
    } else if ((val = option_value(opt, "devid"))) {
        return parse_nic_ulong(cv, at, "devid", val, &nic->devid);
    } else if ((val = option_value(opt, "mtu"))) {
        return parse_nic_ulong(cv, at, "mtu", val, &nic->mtu);
    } else if (!strcmp(opt, "trusted")) {
        libxl_defbool_set(&nic->trusted, true);
    } else if (!strcmp(opt, "untrusted")) {
        libxl_defbool_set(&nic->trusted, false);
    } else if (!*opt) {
        xlconv_warn(cv, at, "empty option in vif spec: xl ignores it");
    } else {
        xlconv_warn(cv, at, "unknown vif option \"%s\": xl ignores it (see "
                    "xl-network-configuration(5) for the valid ones)", opt);
    }
    return 0;
}

/* ---- a whole spec and the vif list ----------------------------------------- */

/*
 * Parse one vif spec onto `nic`, which the caller has initialised (and
 * given its devid and defaults).  As in xl, the spec is split at commas
 * (empty pieces between commas vanish), spaces (only spaces) before each
 * option are skipped, and each option then applies in turn, a later one
 * overriding an earlier one.  Nothing here looks at the config file, so
 * the hot-plug verbs can use it too.  Returns EINVAL only for the options
 * that make xl give up (rate, devid, mtu); what xl merely complains about
 * is a warning and the spec still counts as valid.
 */
int xlconv_nic_spec(struct xlconv *cv, const char *spec,
                    const struct xlcfg_loc *at, libxl_device_nic *nic)
{
    size_t len = strlen(spec);
    char *buf, *opt, *save = NULL;
    int rc = 0;

    /* The spec is split in place, as xl does with strtok, because a MAC
     * can read on into what is still unsplit (see parse_mac); the two
     * extra NULs stand for what lies past the end of xl's copy. */
    buf = xlconv_calloc(cv, len + 2, 1);
    if (!buf)
        return ENOMEM;
    memcpy(buf, spec, len);
    for (opt = strtok_r(buf, ",", &save); opt;
         opt = strtok_r(NULL, ",", &save)) {
        while (*opt == ' ')
            opt++;
        if (nic_option(cv, at, opt, nic))
            rc = EINVAL;
    }
    free(buf);
    return rc;
}

int xlconv_nic(const struct xlconv_host *host, const char *spec,
               libxl_device_nic *nic, char *why, size_t len)
{
    struct xlcfg cfg;
    struct xlconv cv;
    int rc;

    /* A conversion context of its own, for the diagnostics. */
    xlcfg_init(&cfg);
    memset(&cv, 0, sizeof(cv));
    cv.cfg = &cfg;
    cv.host = host;
    apply_nic_defaults(&cv, nic);
    rc = cv.oom ? ENOMEM : xlconv_nic_spec(&cv, spec, NULL, nic);
    if (!rc && cv.oom)
        rc = ENOMEM;
    if (rc == EINVAL)
        xlconv_first_error(&cv, "not a vif spec", why, len);
    else if (rc)
        snprintf(why, len, "out of memory");
    xlcfg_dispose(&cfg);
    return rc;
}

/* Warn about devids used twice: xl accepts them, but the domain cannot
 * be created with them. */
static void check_devids(struct xlconv *cv, const struct xlcfg_value *list)
{
    const libxl_domain_config *dc = cv->dc;

    for (int i = 1; i < dc->num_nics; i++) {
        for (int j = 0; j < i; j++) {
            if (dc->nics[i].devid == dc->nics[j].devid) {
                xlconv_warn(cv, &list->items[i]->loc, "vif %d has devid "
                            "%d, like vif %d: two vifs with the same devid "
                            "cannot both be created", i, dc->nics[i].devid,
                            j);
                break;
            }
        }
    }
}

void xlconv_nics(struct xlconv *cv)
{
    libxl_domain_config *dc = cv->dc;
    const struct xlcfg_value *list;

    if (!xlconv_list(cv, "vif", &list, false)) {
        for (size_t i = 0; i < list->nitems; i++) {
            const char *spec = xlcfg_list_string(list, i);
            libxl_device_nic *nic;

            /* xl's loop ends at the first item that is not a string. */
            if (!spec) {
                xlconv_warn(cv, &list->items[i]->loc, "a vif must be a "
                            "string, not a list: xl ignores this item and "
                            "the %zu after it", list->nitems - i - 1);
                break;
            }
            nic = xlconv_grow(cv, (void **)&dc->nics, &dc->num_nics,
                              sizeof(*dc->nics));
            if (!nic)
                break;
            libxl_device_nic_init(nic);
            /* xl numbers the vifs by their place in the list. */
            nic->devid = dc->num_nics - 1;
            apply_nic_defaults(cv, nic);
            xlconv_nic_spec(cv, spec, &list->items[i]->loc, nic);
        }
        check_devids(cv, list);
    }

    if (!xlconv_list(cv, "vif2", &list, false))
        xlconv_warn(cv, xlconv_loc(cv, "vif2"), "vif2 (netchannel2) is "
                    "deprecated and not supported: it is ignored");
}
