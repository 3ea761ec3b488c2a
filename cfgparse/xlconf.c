/*
 * xlconf.c - reading xl's global config, xl.conf(5), with the
 * acceptance, defaults and warnings of upstream xl 4.17's
 * parse_global_config() (see xlconf.h for what each setting does and
 * where it is applied).
 *
 * The file goes through our own parser, as xl's goes through libxlutil,
 * and the settings are read with the lookups of the semantic layer,
 * which behave exactly like libxlutil's (same acceptance, same warnings
 * at the value): a setting xl.conf gives a domain has to mean what it
 * means to xl.
 */
#define _GNU_SOURCE

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xlconf.h"
#include "xlconv_int.h"

/* Every setting xl reads, for the warning about the others. */
static const char *const known_settings[] = {
    "autoballoon", "blkdev_start", "claim_mode", "colo.default.proxyscript",
    "defaultbridge", "domid_policy", "lockfile", "max_grant_frames",
    "max_grant_version", "max_maptrack_frames", "output_format",
    "remus.default.netbufscript", "run_hotplug_scripts",
    "vif.default.backend", "vif.default.bridge", "vif.default.gatewaydev",
    "vif.default.script", "vifscript", "vm.cpumask", "vm.hvm.cpumask",
    "vm.pv.cpumask",
};

static const struct xlconf defaults = {
    .run_hotplug_scripts = true,
    .claim_mode = true,
    .max_grant_frames = -1,
    .max_maptrack_frames = -1,
    .max_grant_version = -1,
    .autoballoon = XLCONF_AUTOBALLOON_AUTO,
    .output_format = XLCONF_OUTPUT_JSON,
    .domid_policy = XLCONF_DOMID_XEN,
};

void xlconf_init(struct xlconf *xc)
{
    *xc = defaults;
    xlcfg_init(&xc->src);
}

void xlconf_dispose(struct xlconf *xc)
{
    free(xc->vif_script);
    free(xc->vif_bridge);
    free(xc->vif_gatewaydev);
    free(xc->vif_backend);
    free(xc->blkdev_start);
    free(xc->vm_cpumask);
    free(xc->vm_pv_cpumask);
    free(xc->vm_hvm_cpumask);
    free(xc->lockfile);
    free(xc->remus_netbufscript);
    free(xc->colo_proxyscript);
    xlcfg_dispose(&xc->src);
    memset(xc, 0, sizeof(*xc));
}

const struct xlconf *xlconf_defaults(void)
{
    return &defaults;
}

/* ---- the settings -------------------------------------------------------- */

/* A string setting into *out (replacing what was there), as xl's
 * xlu_cfg_get_string + strdup: a list is a warning and is ignored.
 * Returns 0 when the setting was taken. */
static int take_string(struct xlconv *cv, const char *name, char **out)
{
    return xlconv_replace_string(cv, name, out, false);
}

/* A string setting that must be one of a few words: anything else makes
 * xl print a message and keep what it had. */
static void take_word(struct xlconv *cv, const char *name,
                      const char *const *words, const int *values,
                      size_t nwords, int *out, const char *expected)
{
    const char *buf;

    if (xlconv_string(cv, name, &buf, false))
        return;
    for (size_t i = 0; i < nwords; i++) {
        if (!strcmp(buf, words[i])) {
            *out = values[i];
            return;
        }
    }
    xlconv_warn(cv, xlconv_loc(cv, name), "invalid %s \"%s\" (%s): xl says "
                "so and keeps its default", name, buf, expected);
}

/* A number that xl stores in an int and uses as a boolean. */
static void take_flag(struct xlconv *cv, const char *name, bool *out)
{
    long l;

    /* xl keeps the number in an int, so only its low 32 bits count:
     * 4294967296 is off. */
    if (!xlconv_long(cv, name, &l, false))
        *out = ((unsigned long)l & 0xffffffffUL) != 0;
}

/* max_grant_frames and its kin: a number from 0 to INT_MAX, or xl exits
 * at once, without a word. */
static void take_grant_limit(struct xlconv *cv, const char *name, long *out)
{
    long l;
    int rc = xlconv_bounded_long(cv, name, 0, INT_MAX, &l, true);

    if (!rc)
        *out = l;
    else if (rc != ENOENT)
        xlconv_err(cv, xlconv_loc(cv, name), "%s must be a number from 0 "
                   "to %d: xl refuses to run with this xl.conf", name,
                   INT_MAX);
}

/*
 * A global cpu mask.  xl parses it as it parses cpus=, reports a bad
 * item and goes on with what it got before it, so a bad mask is a
 * warning here; whether it leaves a domain any cpu is the converter's
 * business, on the host it converts for.
 */
static void take_cpumask(struct xlconv *cv, const char *name, char **out)
{
    libxl_bitmap map;

    if (take_string(cv, name, out) || !*out)
        return;
    libxl_bitmap_init(&map);
    if (!xlconv_bitmap_alloc(cv, &map, cv->host->max_cpus)
        && !xlconv_cpumap_parse(cv, NULL, *out, &map, false))
        xlconv_warn(cv, xlconv_loc(cv, name), "%s \"%s\" is not a valid cpu "
                    "list (cpus, ranges A-B, ^ to exclude, node:N, or all): "
                    "xl keeps only what comes before the bad item", name,
                    *out);
    free(map.map);
}

static void read_settings(struct xlconv *cv, struct xlconf *xc)
{
    static const char *const balloon_words[] = { "on", "1", "off", "0",
                                                 "auto" };
    static const int balloon_values[] = {
        XLCONF_AUTOBALLOON_ON, XLCONF_AUTOBALLOON_ON, XLCONF_AUTOBALLOON_OFF,
        XLCONF_AUTOBALLOON_OFF, XLCONF_AUTOBALLOON_AUTO,
    };
    static const char *const format_words[] = { "json", "sxp" };
    static const int format_values[] = { XLCONF_OUTPUT_JSON,
                                         XLCONF_OUTPUT_SXP };
    static const char *const domid_words[] = { "xen", "random" };
    static const int domid_values[] = { XLCONF_DOMID_XEN,
                                        XLCONF_DOMID_RANDOM };
    int v;

    /* In xl's order, which matters only for vifscript and defaultbridge:
     * the new names win over the deprecated ones. */
    v = (int)xc->autoballoon;
    take_word(cv, "autoballoon", balloon_words, balloon_values, 5, &v,
              "on, off or auto");
    xc->autoballoon = (enum xlconf_autoballoon)v;
    take_flag(cv, "run_hotplug_scripts", &xc->run_hotplug_scripts);
    take_string(cv, "lockfile", &xc->lockfile);
    if (!take_string(cv, "vifscript", &xc->vif_script))
        xlconv_warn(cv, xlconv_loc(cv, "vifscript"), "vifscript is "
                    "deprecated: write vif.default.script");
    take_string(cv, "vif.default.script", &xc->vif_script);
    if (!take_string(cv, "defaultbridge", &xc->vif_bridge))
        xlconv_warn(cv, xlconv_loc(cv, "defaultbridge"), "defaultbridge is "
                    "deprecated: write vif.default.bridge");
    take_string(cv, "vif.default.bridge", &xc->vif_bridge);
    take_string(cv, "vif.default.gatewaydev", &xc->vif_gatewaydev);
    take_string(cv, "vif.default.backend", &xc->vif_backend);
    v = (int)xc->output_format;
    take_word(cv, "output_format", format_words, format_values, 2, &v,
              "json or sxp");
    xc->output_format = (enum xlconf_output_format)v;
    take_string(cv, "blkdev_start", &xc->blkdev_start);
    take_flag(cv, "claim_mode", &xc->claim_mode);
    take_string(cv, "remus.default.netbufscript", &xc->remus_netbufscript);
    take_string(cv, "colo.default.proxyscript", &xc->colo_proxyscript);
    take_grant_limit(cv, "max_grant_frames", &xc->max_grant_frames);
    take_grant_limit(cv, "max_maptrack_frames", &xc->max_maptrack_frames);
    take_grant_limit(cv, "max_grant_version", &xc->max_grant_version);
    take_cpumask(cv, "vm.cpumask", &xc->vm_cpumask);
    take_cpumask(cv, "vm.hvm.cpumask", &xc->vm_hvm_cpumask);
    take_cpumask(cv, "vm.pv.cpumask", &xc->vm_pv_cpumask);
    v = (int)xc->domid_policy;
    take_word(cv, "domid_policy", domid_words, domid_values, 2, &v,
              "xen or random");
    xc->domid_policy = (enum xlconf_domid_policy)v;
}

/* Settings xl does not read: it ignores them without a word, which
 * hides typos and domain settings put here by mistake. */
static void report_unknown(struct xlconv *cv)
{
    struct xlcfg *cfg = cv->cfg;

    for (size_t i = 0; i < cfg->nsettings; i++) {
        const struct xlcfg_setting *s = &cfg->settings[i];
        const char *hint = NULL;
        size_t best = 3;
        bool first = true;

        if (s->used)
            continue;
        for (size_t j = 0; j < i && first; j++)
            first = strcmp(cfg->settings[j].name, s->name) != 0;
        if (!first)
            continue;
        for (size_t k = 0; k < sizeof(known_settings) / sizeof(*known_settings);
             k++) {
            size_t d = xlconv_key_distance(s->name, known_settings[k]);

            if (d < best) {
                best = d;
                hint = known_settings[k];
            }
        }
        if (hint)
            xlconv_warn(cv, &s->loc, "unknown xl.conf setting '%s', which xl "
                        "ignores; did you mean '%s'?", s->name, hint);
        else if (xlconv_known_key(s->name))
            xlconv_warn(cv, &s->loc, "'%s' is a domain config setting: xl "
                        "ignores it in xl.conf, which holds only the global "
                        "settings of xl.conf(5)", s->name);
        else
            xlconv_warn(cv, &s->loc, "unknown xl.conf setting '%s', which xl "
                        "ignores (a typo?)", s->name);
    }
}

int xlconf_read_buffer(struct xlconf *xc, const char *name, const char *buf,
                       size_t len)
{
    struct xlconv_host host;
    struct xlconv cv = { .cfg = &xc->src, .host = &host };
    int rc;

    xlconv_host_init(&host);
    rc = xlcfg_parse_buffer(&xc->src, name, buf, len);
    if (rc)
        goto out;
    /* xl stops at a syntax error: nothing of the file counts. */
    if (!xlcfg_ok(&xc->src))
        goto out;
    rc = xlconv_index(&cv);
    if (rc)
        goto out;
    read_settings(&cv, xc);
    report_unknown(&cv);
    xlconv_index_free(&cv);
    xlcfg_sort_diags(&xc->src);
    if (cv.oom)
        rc = ENOMEM;

out:
    xlconv_host_dispose(&host);
    return rc;
}

/* Read a whole file into a malloc'd buffer.  Returns 0, or an errno
 * value. */
static int slurp(const char *path, char **out, size_t *outlen)
{
    char *buf = NULL;
    size_t len = 0, cap = 0;
    int fd, rc = 0;

    *out = NULL;
    *outlen = 0;
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno;
    for (;;) {
        ssize_t got;

        if (cap - len < 4096) {
            char *nb;

            if (cap > XLCFG_MAX_FILE_SIZE) {
                rc = EFBIG;
                goto out;
            }
            cap = cap ? cap * 2 : 8192;
            nb = realloc(buf, cap);
            if (!nb) {
                rc = ENOMEM;
                goto out;
            }
            buf = nb;
        }
        got = read(fd, buf + len, cap - len);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            rc = errno;
            goto out;
        }
        if (got == 0)
            break;
        len += (size_t)got;
    }
    *out = buf;
    *outlen = len;
    buf = NULL;

out:
    free(buf);
    close(fd);
    return rc;
}

int xlconf_read_file(struct xlconf *xc, const char *path)
{
    char *buf = NULL;
    size_t len = 0;
    int rc = slurp(path, &buf, &len);

    if (rc == ENOMEM)
        goto out;
    if (rc) {
        /* xl says it could not read the file and goes on with the
         * defaults; a missing file is the usual case and says nothing
         * here. */
        int err = rc;

        rc = xlcfg_parse_buffer(&xc->src, path, "", 0);
        if (rc)
            goto out;
        if (err == EFBIG)
            xlcfg_diag_add(&xc->src, XLCFG_ERROR, NULL, "the file is larger "
                           "than %u MiB: not an xl.conf",
                           XLCFG_MAX_FILE_SIZE / (1024 * 1024));
        else if (err != ENOENT)
            xlcfg_diag_add(&xc->src, XLCFG_WARNING, NULL, "cannot read: %s; "
                           "xl uses the defaults then", strerror(err));
        goto out;
    }
    xc->found = true;
    rc = xlconf_read_buffer(xc, path, buf, len);

out:
    free(buf);
    return rc;
}

void xlconf_print_diags(const struct xlconf *xc, FILE *out)
{
    xlcfg_print_diags(&xc->src, out);
}

/* ---- run time ------------------------------------------------------------- */

bool xlconf_autoballoon(const struct xlconf *xc, const char *xen_cmdline)
{
    regex_t re;
    bool on;

    if (xc->autoballoon != XLCONF_AUTOBALLOON_AUTO)
        return xc->autoballoon == XLCONF_AUTOBALLOON_ON;
    /* xl balloons unless dom0 was given its memory size on the Xen
     * command line; when it cannot tell, it balloons. */
    if (!xen_cmdline)
        return true;
    if (regcomp(&re, "(^| )dom0_mem=((|min:|max:)[0-9]+[bBkKmMgG]?,?)+($| )",
                REG_NOSUB | REG_EXTENDED))
        return true;
    on = regexec(&re, xen_cmdline, 0, NULL, 0) == REG_NOMATCH;
    regfree(&re);
    return on;
}

const char *xlconf_lockfile(const struct xlconf *xc)
{
    return xc->lockfile ? xc->lockfile : XLCONF_DEFAULT_LOCKFILE;
}
