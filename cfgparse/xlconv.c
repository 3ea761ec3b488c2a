/*
 * xlconv.c - the driver of the conversion, and its core: the domain's
 * identity (c_info) and the heart of its build info (scheduling, memory,
 * vcpus, affinity, vNUMA, kernel or bootloader, PV and PVH settings,
 * timers, shutdown actions).  The other subjects live in xlconv_*.c
 * (see xlconv_int.h).
 *
 * The order of the work follows xl's parse_config_data(), because some
 * settings depend on others: the domain type first of all, and vNUMA on
 * vcpus and memory.
 */
#define _GNU_SOURCE

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "xlconv_int.h"

/* Where Debian's xl finds firmware= images for PV and PVH guests. */
#define XLCONV_FIRMWARE_DIR "/usr/lib/xen-4.17/boot"

/* ---- small parsers with xl's exact leniency ---------------------------- */

/*
 * A decimal number as xl's parse_ulong() reads it: strtoul, so leading
 * blanks and a sign are taken, junk after the digits is ignored, and
 * only "no digits" and ULONG_MAX are errors.
 */
static bool xl_ulong(const char *s, unsigned long *out)
{
    char *end;

    errno = 0;
    *out = strtoul(s, &end, 10);
    return end != s && *out != ULONG_MAX;
}

/*
 * "A" or "A-B" as xl's parse_range() reads it.  *a and *b are set even
 * when the text is invalid, because some of xl's callers use them
 * anyway; the return value says whether it was valid.
 */
static bool xl_range(const char *s, unsigned long *a, unsigned long *b)
{
    char *end;
    const char *n;

    *a = *b = strtoul(s, &end, 10);
    if (end == s || *a == ULONG_MAX)
        return false;
    if (*end == '-') {
        n = end + 1;
        *b = strtoul(n, &end, 10);
        if (end == n || *b == ULONG_MAX || *b < *a)
            return false;
    }
    return *end == '\0';
}

/* A copy of s without the leading and trailing white space. */
static char *trimmed(struct xlconv *cv, const char *s)
{
    const char *e;

    while (*s && isspace((unsigned char)*s))
        s++;
    e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        e--;
    s = strndup(s, (size_t)(e - s));
    if (!s)
        cv->oom = true;
    return (char *)s;
}

/*
 * The pieces of s between the delimiters, as xl's
 * split_string_into_string_list() makes them with strtok: empty pieces
 * vanish.  Returns the count, or -1 when there is no piece at all: xl
 * crashes on such a value, so the callers reject it.  Free with
 * libxl_string_list_dispose().
 */
static int split(struct xlconv *cv, const char *s, const char *delim,
                 libxl_string_list *out)
{
    char *copy = xlconv_strdup(cv, s), *save = NULL, *p;
    int n = 0;

    *out = NULL;
    if (!copy)
        return -1;
    for (p = strtok_r(copy, delim, &save); p; p = strtok_r(NULL, delim,
                                                            &save)) {
        char **l = realloc(*out, (size_t)(n + 2) * sizeof(*l));

        if (!l || !(l[n] = strdup(p))) {
            if (l)
                *out = l;
            cv->oom = true;
            break;
        }
        l[++n] = NULL;
        *out = l;
    }
    free(copy);
    return n ? n : -1;
}

/* ---- c_info: who the domain is ------------------------------------------ */

/* A random (version 4) UUID from one getrandom() call: libuuid's
 * generator makes six system calls a time, which showed in the
 * benchmark. */
static void random_uuid(libxl_uuid *uuid)
{
    uint8_t *b = libxl_uuid_bytearray(uuid);

    if (getrandom(b, 16, 0) != 16) {
        libxl_uuid_generate(uuid);
        return;
    }
    b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);
    b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
}

/* xl takes any prefix of a type name, even the empty one. */
static bool type_prefix(const char *buf, const char *name)
{
    return strncmp(buf, name, strlen(buf)) == 0;
}

static void conv_create_info(struct xlconv *cv)
{
    libxl_domain_create_info *c = &cv->dc->c_info;
    libxl_domain_build_info *b = &cv->dc->b_info;
    const char *buf;

    if (!xlconv_string(cv, "init_seclabel", &buf, false))
        xlconv_replace_string(cv, "init_seclabel", &c->ssid_label, false);
    if (!xlconv_string(cv, "seclabel", &buf, false))
        xlconv_replace_string(cv, "seclabel", c->ssid_label
                              ? &b->exec_ssid_label : &c->ssid_label, false);

    /* xl.conf's run_hotplug_scripts, on by default, goes into every
     * domain's config. */
    libxl_defbool_set(&c->run_hotplug_scripts,
                      xlconv_conf(cv)->run_hotplug_scripts);

    if (!xlconv_string(cv, "type", &buf, false)) {
        if (type_prefix(buf, "hvm"))
            c->type = LIBXL_DOMAIN_TYPE_HVM;
        else if (type_prefix(buf, "pv"))
            c->type = LIBXL_DOMAIN_TYPE_PV;
        else if (type_prefix(buf, "pvh"))
            c->type = LIBXL_DOMAIN_TYPE_PVH;
        else
            xlconv_err(cv, xlconv_loc(cv, "type"), "invalid domain type "
                       "\"%s\" (pv, pvh or hvm)", buf);
    }
    if (!xlconv_string(cv, "builder", &buf, false)) {
        libxl_domain_type t = LIBXL_DOMAIN_TYPE_INVALID;

        if (type_prefix(buf, "hvm"))
            t = LIBXL_DOMAIN_TYPE_HVM;
        else if (type_prefix(buf, "generic"))
            t = LIBXL_DOMAIN_TYPE_PV;
        if (t == LIBXL_DOMAIN_TYPE_INVALID) {
            xlconv_err(cv, xlconv_loc(cv, "builder"), "invalid builder "
                       "\"%s\" (hvm or generic; builder= is deprecated, "
                       "use type=)", buf);
        } else if (c->type != LIBXL_DOMAIN_TYPE_INVALID && c->type != t) {
            xlconv_err(cv, xlconv_loc(cv, "builder"), "builder=\"%s\" "
                       "contradicts type=", buf);
        } else {
            xlconv_warn(cv, xlconv_loc(cv, "builder"), "builder= is "
                        "deprecated: write type=\"%s\"",
                        t == LIBXL_DOMAIN_TYPE_HVM ? "hvm" : "pv");
            c->type = t;
        }
    }
    if (c->type == LIBXL_DOMAIN_TYPE_INVALID)
        c->type = LIBXL_DOMAIN_TYPE_PV;

    xlconv_defbool(cv, "hap", &c->hap, false);
    if (xlconv_replace_string(cv, "name", &c->name, false))
        xlconv_err(cv, NULL, "the domain has no name (name = \"...\")");
    if (!xlconv_string(cv, "uuid", &buf, false)) {
        if (libxl_uuid_from_string(&c->uuid, buf))
            xlconv_err(cv, xlconv_loc(cv, "uuid"), "\"%s\" is not a UUID "
                       "(xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)", buf);
    } else {
        random_uuid(&c->uuid);
    }
    xlconv_defbool(cv, "oos", &c->oos, false);
    if (!xlconv_string(cv, "pool", &buf, false))
        xlconv_replace_string(cv, "pool", &c->pool_name, false);

    libxl_domain_build_info_init_type(b, c->type);
    if (b->type == LIBXL_DOMAIN_TYPE_PVH) {
        xlconv_defbool(cv, "pvshim", &b->u.pvh.pvshim, false);
        xlconv_replace_string(cv, "pvshim_path", &b->u.pvh.pvshim_path,
                              false);
        xlconv_replace_string(cv, "pvshim_cmdline",
                              &b->u.pvh.pvshim_cmdline, false);
        xlconv_replace_string(cv, "pvshim_extra", &b->u.pvh.pvshim_extra,
                              false);
    }
}

/* ---- vcpus, affinity and vNUMA ------------------------------------------ */

/* libxl_cpu_bitmap_alloc() without a ctx: 0 means "as many as the host
 * has", a negative count is an error. */
static int cpu_bitmap(struct xlconv *cv, libxl_bitmap *bm, long ncpus)
{
    libxl_bitmap_init(bm);
    if (ncpus < 0 || ncpus > INT_MAX)
        return EINVAL;
    return xlconv_bitmap_alloc(cv, bm, ncpus ? (int)ncpus
                                             : cv->host->max_cpus);
}

/*
 * One piece of a cpu list ("3", "2-5", "^4", "nodes:0-1", "all") added
 * to or taken from the map, as xl's update_cpumap_range() does.
 */
static bool cpumap_piece(struct xlconv *cv, const struct xlcfg_loc *at,
                         const char *s, libxl_bitmap *map, bool report)
{
    bool not = false, nodes = false;
    unsigned long a, b;

    if (*s == '^') {
        not = true;
        s++;
    }
    if (!strncmp(s, "node:", 5)) {
        nodes = true;
        s += 5;
    } else if (!strncmp(s, "nodes:", 6)) {
        nodes = true;
        s += 6;
    }
    if (!strcmp(s, "all")) {
        if (not) {
            if (report)
                xlconv_err(cv, at, "\"^all\" makes no sense: there would "
                           "be no cpu left");
            return false;
        }
        libxl_bitmap_set_any(map);
        return true;
    }
    if (!xl_range(s, &a, &b)) {
        if (report)
            xlconv_err(cv, at, "invalid cpu range \"%s\" (a cpu, a range "
                       "A-B, ^ to exclude, node:N, or all)", s);
        return false;
    }
    for (; a <= b; a++) {
        if (nodes) {
            /* Every cpu of node a, as libxl_node_to_cpumap finds them. */
            for (int cpu = 0; cpu < cv->host->max_cpus; cpu++)
                if (xlconv_cpu_node(cv->host, cpu) == (long)a) {
                    if (not)
                        libxl_bitmap_reset(map, cpu);
                    else
                        libxl_bitmap_set(map, cpu);
                }
        } else if (a < (unsigned long)map->size * 8) {
            /* Bits past the end of the map are dropped, as in libxl. */
            if (not)
                libxl_bitmap_reset(map, (int)a);
            else
                libxl_bitmap_set(map, (int)a);
        }
        if (b - a > (1ul << 20)) {
            /* xl would loop through billions of cpus that cannot
             * exist; nothing past the host's cpus changes the map. */
            break;
        }
    }
    return true;
}

long xlconv_cpu_node(const struct xlconv_host *host, int cpu)
{
    if (host->cpu_node)
        return host->cpu_node[cpu];
    return (long)((unsigned long)cpu * (unsigned long)host->nr_nodes
                  / (unsigned long)host->max_cpus);
}

int xlconv_cpulist(const struct xlconv_host *host, const char *text,
                   libxl_bitmap *map, char *why, size_t len)
{
    struct xlcfg cfg;
    struct xlconv cv;
    int rc = 0;

    /* A conversion context of its own, for the diagnostics. */
    xlcfg_init(&cfg);
    memset(&cv, 0, sizeof(cv));
    cv.cfg = &cfg;
    cv.host = host;
    if (xlconv_bitmap_alloc(&cv, map, host->max_cpus)) {
        rc = ENOMEM;
        snprintf(why, len, "out of memory");
        goto out;
    }
    if (!xlconv_cpumap_parse(&cv, NULL, text, map, true)) {
        rc = cv.oom ? ENOMEM : EINVAL;
        snprintf(why, len, "%s", cfg.ndiags && cfg.diags[0].msg
                 ? cfg.diags[0].msg : "not a cpu list");
    }
out:
    xlcfg_dispose(&cfg);
    return rc;
}

void xlconv_first_error(const struct xlconv *cv, const char *dflt, char *why,
                        size_t len)
{
    for (size_t i = 0; i < cv->cfg->ndiags; i++) {
        if (cv->cfg->diags[i].severity == XLCFG_ERROR
            && cv->cfg->diags[i].msg) {
            snprintf(why, len, "%s", cv->cfg->diags[i].msg);
            return;
        }
    }
    snprintf(why, len, "%s", dflt);
}

bool xlconv_cpumap_parse(struct xlconv *cv, const struct xlcfg_loc *at,
                         const char *s, libxl_bitmap *map, bool report)
{
    char *copy = xlconv_strdup(cv, s), *save = NULL, *p;
    bool ok = true;

    if (!copy)
        return false;
    for (p = strtok_r(copy, ",", &save); p && ok;
         p = strtok_r(NULL, ",", &save))
        ok = cpumap_piece(cv, at, p, map, report);
    free(copy);
    return ok;
}

/*
 * cpus= / cpus_soft=: one cpu list for every vcpu, or a list of cpu
 * lists, one per vcpu.
 */
static void conv_affinity(struct xlconv *cv, const char *key, bool hard)
{
    libxl_domain_build_info *b = &cv->dc->b_info;
    const struct xlcfg_value *list = NULL;
    const char *str = NULL;
    libxl_bitmap *maps;
    int n;

    if (xlconv_list(cv, key, &list, true)
        && xlconv_string(cv, key, &str, false))
        return;
    n = str ? b->max_vcpus : (int)list->nitems;
    if (n > b->max_vcpus)
        n = b->max_vcpus;
    if (n <= 0)
        return;
    maps = xlconv_calloc(cv, (size_t)n, sizeof(*maps));
    if (!maps)
        return;
    for (int i = 0; i < n; i++)
        libxl_bitmap_init(&maps[i]);
    if (hard) {
        b->vcpu_hard_affinity = maps;
        b->num_vcpu_hard_affinity = n;
    } else {
        b->vcpu_soft_affinity = maps;
        b->num_vcpu_soft_affinity = n;
    }
    if (str) {
        for (int i = 0; i < n; i++) {
            if (cpu_bitmap(cv, &maps[i], 0))
                return;
            if (i == 0) {
                if (!xlconv_cpumap_parse(cv, xlconv_loc(cv, key), str,
                                         &maps[0], true)) {
                    cv->bad_affinity |= hard;
                    return;
                }
            } else {
                memcpy(maps[i].map, maps[0].map, maps[0].size);
            }
        }
        if (!hard)
            libxl_defbool_set(&b->numa_placement, false);
        return;
    }
    /* xl stops at the first item that is not a string. */
    for (int i = 0; i < n; i++) {
        const char *item = xlcfg_list_string(list, (size_t)i);

        if (cpu_bitmap(cv, &maps[i], 0))
            return;
        if (!item) {
            xlconv_warn(cv, &list->items[i]->loc, "a nested list in %s is "
                        "not a cpu list: xl stops reading %s here", key,
                        key);
            break;
        }
        if (!xlconv_cpumap_parse(cv, &list->items[i]->loc, item, &maps[i],
                                 true))
            cv->bad_affinity |= hard;
    }
    libxl_defbool_set(&b->numa_placement, false);
}

/* One of xl.conf's global cpu masks on this host, as xl builds it: every
 * cpu when it is not set, else what its cpu list gives (up to a bad
 * item, which the xl.conf reader has reported). */
static int global_mask(struct xlconv *cv, const char *text, libxl_bitmap *m)
{
    if (xlconv_bitmap_alloc(cv, m, cv->host->max_cpus))
        return ENOMEM;
    if (text)
        xlconv_cpumap_parse(cv, NULL, text, m, false);
    else
        libxl_bitmap_set_any(m);
    return 0;
}

static bool mask_is_full(const libxl_bitmap *m)
{
    for (uint32_t i = 0; i < m->size; i++)
        if (m->map[i] != 0xff)
            return false;
    return true;
}

/* Where a vcpu left without a cpu comes from, for the message. */
static void report_empty_affinity(struct xlconv *cv, int vcpu,
                                  const char *type_key,
                                  const char *type_text)
{
    const struct xlconf *conf = xlconv_conf(cv);
    char *masks = NULL;
    int rc = 0;

    if (conf->vm_cpumask && type_text)
        rc = asprintf(&masks, "; xl.conf allows only vm.cpumask=\"%s\" "
                      "and %s=\"%s\"", conf->vm_cpumask, type_key,
                      type_text);
    else if (conf->vm_cpumask)
        rc = asprintf(&masks, "; xl.conf allows only vm.cpumask=\"%s\"",
                      conf->vm_cpumask);
    else if (type_text)
        rc = asprintf(&masks, "; xl.conf allows only %s=\"%s\"", type_key,
                      type_text);
    if (rc < 0) {
        masks = NULL;
        cv->oom = true;
    }
    xlconv_err(cv, xlconv_loc(cv, "cpus"), "vcpu %d would have no cpu to run "
               "on: the host has cpus 0-%d on %d node(s)%s", vcpu,
               cv->host->max_cpus - 1, cv->host->nr_nodes,
               masks ? masks : "");
    free(masks);
}

/*
 * What `xl create` does to hard affinities after parsing: each is ANDed
 * with xl.conf's global mask and with the mask of the guest's type
 * (vm.pv.cpumask for PV, vm.hvm.cpumask for HVM and PVH), each of them
 * every cpu of the host unless set, and one left empty is an error.  A
 * config without cpus= gets an affinity for each vcpu when a mask is not
 * every cpu, so the masks show in its JSON.
 */
static void mask_hard_affinity(struct xlconv *cv)
{
    const struct xlconf *conf = xlconv_conf(cv);
    libxl_domain_build_info *b = &cv->dc->b_info;
    bool pv = b->type == LIBXL_DOMAIN_TYPE_PV;
    const char *type_key = pv ? "vm.pv.cpumask" : "vm.hvm.cpumask";
    const char *type_text = pv ? conf->vm_pv_cpumask : conf->vm_hvm_cpumask;
    libxl_bitmap vm, type;

    libxl_bitmap_init(&vm);
    libxl_bitmap_init(&type);
    /* An empty map from a cpus= that was already reported is no news. */
    if (cv->bad_affinity)
        goto out;
    if (global_mask(cv, conf->vm_cpumask, &vm)
        || global_mask(cv, type_text, &type))
        goto out;
    if (b->num_vcpu_hard_affinity == 0 && b->max_vcpus > 0
        && (!mask_is_full(&vm) || !mask_is_full(&type))) {
        libxl_bitmap *maps = xlconv_calloc(cv, (size_t)b->max_vcpus,
                                           sizeof(*maps));

        if (!maps)
            goto out;
        b->vcpu_hard_affinity = maps;
        b->num_vcpu_hard_affinity = b->max_vcpus;
        for (int i = 0; i < b->max_vcpus; i++) {
            libxl_bitmap_init(&maps[i]);
            if (!cpu_bitmap(cv, &maps[i], 0))
                libxl_bitmap_set_any(&maps[i]);
        }
    }
    for (int i = 0; i < b->num_vcpu_hard_affinity; i++) {
        libxl_bitmap *m = &b->vcpu_hard_affinity[i];
        bool empty = true;

        if (!m->map)
            continue;
        /* libxl_bitmap_and() keeps the size of the smaller map: the
         * masks have the host's. */
        if (m->size > vm.size)
            m->size = vm.size;
        for (uint32_t j = 0; j < m->size; j++) {
            m->map[j] &= vm.map[j] & type.map[j];
            empty = empty && !m->map[j];
        }
        if (empty) {
            report_empty_affinity(cv, i, type_key, type_text);
            break;
        }
    }

out:
    libxl_bitmap_dispose(&vm);
    libxl_bitmap_dispose(&type);
}

/* One "key=value" of a vnode. */
static void vnode_option(struct xlconv *cv, const struct xlcfg_value *item,
                         libxl_vnode_info *p, libxl_bitmap *vcpus,
                         unsigned long *nvcpus, uint64_t *memkb)
{
    libxl_domain_build_info *b = &cv->dc->b_info;
    const struct xlcfg_loc *at = &item->loc;
    char *copy = xlconv_strdup(cv, item->str), *save = NULL;
    char *k = NULL, *v = NULL, *key = NULL, *val = NULL;
    libxl_string_list parts = NULL;
    unsigned long u;
    int n;

    if (!copy)
        goto out;
    /* xl splits at '=' with strtok: "a=b=c" is a=b, "=x" is an error. */
    k = strtok_r(copy, "=", &save);
    v = k ? strtok_r(NULL, "=", &save) : NULL;
    if (!v) {
        xlconv_err(cv, at, "\"%s\" is not key=value", item->str);
        goto out;
    }
    key = trimmed(cv, k);
    val = trimmed(cv, v);
    if (!key || !val)
        goto out;
    if (!strcmp(key, "pnode")) {
        if (!xl_ulong(val, &u)) {
            xlconv_err(cv, at, "pnode \"%s\" is not a number", val);
        } else if (u >= (unsigned long)cv->host->nr_nodes) {
            xlconv_err(cv, at, "pnode %lu does not exist: the host has %d "
                       "node(s)", u, cv->host->nr_nodes);
        } else {
            p->pnode = (uint32_t)u;
            libxl_defbool_set(&b->numa_placement, false);
        }
    } else if (!strcmp(key, "size")) {
        if (!xl_ulong(val, &u)) {
            xlconv_err(cv, at, "size \"%s\" is not a number (MiB)", val);
        } else {
            p->memkb = (uint64_t)u << 10;
            *memkb += p->memkb;
        }
    } else if (!strcmp(key, "vcpus")) {
        n = split(cv, val, ",", &parts);
        if (n < 0) {
            xlconv_err(cv, at, "vcpus has no vcpu in it");
            goto out;
        }
        for (int i = 0; i < n; i++) {
            unsigned long s, e;

            /* xl ignores whether the range is valid and uses what
             * strtoul made of it. */
            xl_range(parts[i], &s, &e);
            if (e != ULONG_MAX && e - s > 65536) {
                xlconv_err(cv, at, "vcpu range \"%s\" is too large",
                           parts[i]);
                goto out;
            }
            for (; s <= e; s++) {
                if (s < (unsigned long)vcpus->size * 8)
                    libxl_bitmap_set(vcpus, (int)s);
                (*nvcpus)++;
                if (s == ULONG_MAX)
                    break;
            }
        }
    } else if (!strcmp(key, "vdistances")) {
        n = split(cv, val, ",", &parts);
        if (n < 0) {
            xlconv_err(cv, at, "vdistances has no distance in it");
            goto out;
        }
        for (int i = 0; i < n; i++) {
            if (!xl_ulong(parts[i], &u)) {
                xlconv_err(cv, at, "distance \"%s\" is not a number",
                           parts[i]);
                goto out;
            }
            if (i >= p->num_distances) {
                /* xl writes past its array here; the distance cannot
                 * mean anything. */
                xlconv_warn(cv, at, "more distances than vnodes: \"%s\" "
                            "is ignored", parts[i]);
                continue;
            }
            p->distances[i] = (uint32_t)u;
        }
    }

out:
    libxl_string_list_dispose(&parts);
    free(key);
    free(val);
    free(copy);
}

/* vnuma = [ [ "pnode=0", "size=512", "vcpus=0-1", "vdistances=10,20" ],
 *           ... ] */
static void conv_vnuma(struct xlconv *cv)
{
    libxl_domain_build_info *b = &cv->dc->b_info;
    const struct xlcfg_value *vnuma;
    libxl_bitmap *vcpus = NULL;
    unsigned long nvcpus = 0;
    uint64_t memkb = 0;
    size_t n;

    if (xlconv_list(cv, "vnuma", &vnuma, true) || !vnuma->nitems)
        return;
    n = vnuma->nitems;
    b->vnuma_nodes = xlconv_calloc(cv, n, sizeof(*b->vnuma_nodes));
    vcpus = xlconv_calloc(cv, n, sizeof(*vcpus));
    if (!b->vnuma_nodes || !vcpus)
        goto out;
    b->num_vnuma_nodes = (uint32_t)n;
    for (size_t i = 0; i < n; i++) {
        libxl_vnode_info *p = &b->vnuma_nodes[i];

        libxl_vnode_info_init(p);
        p->distances = xlconv_calloc(cv, n, sizeof(*p->distances));
        if (p->distances)
            p->num_distances = (int)n;
        if (cpu_bitmap(cv, &vcpus[i], b->max_vcpus))
            goto out;
    }
    for (size_t i = 0; i < n; i++) {
        const struct xlcfg_value *node = vnuma->items[i];

        if (node->type != XLCFG_LIST) {
            xlconv_err(cv, &node->loc, "a vnode must be a list of "
                       "\"key=value\" strings, e.g. [ \"pnode=0\", "
                       "\"size=512\", \"vcpus=0-1\" ]");
            continue;
        }
        /* Items that are lists are skipped, as xl does. */
        for (size_t j = 0; j < node->nitems; j++)
            if (node->items[j]->type != XLCFG_LIST)
                vnode_option(cv, node->items[j], &b->vnuma_nodes[i],
                             &vcpus[i], &nvcpus, &memkb);
    }
    if (b->max_vcpus) {
        if ((unsigned long)b->max_vcpus != nvcpus)
            xlconv_err(cv, xlconv_loc(cv, "vnuma"), "the vnodes have %lu "
                       "vcpus but maxvcpus is %d", nvcpus, b->max_vcpus);
    } else if (nvcpus > (unsigned long)cv->host->max_cpus) {
        xlconv_err(cv, xlconv_loc(cv, "vnuma"), "the vnodes have %lu vcpus, "
                   "more than the host's %d cpus; set maxvcpus= to allow "
                   "it", nvcpus, cv->host->max_cpus);
    } else {
        b->max_vcpus = (int)nvcpus;
    }
    if (b->max_memkb != LIBXL_MEMKB_DEFAULT && b->max_memkb != memkb)
        xlconv_err(cv, xlconv_loc(cv, "vnuma"), "the vnodes have %" PRIu64
                   " MiB of memory but maxmem is %" PRIu64 " MiB",
                   memkb >> 10, b->max_memkb >> 10);
    else
        b->max_memkb = memkb;
    for (size_t i = 0; i < n; i++) {
        b->vnuma_nodes[i].vcpus = vcpus[i];
        libxl_bitmap_init(&vcpus[i]);
    }

out:
    if (vcpus)
        for (size_t i = 0; i < n; i++)
            libxl_bitmap_dispose(&vcpus[i]);
    free(vcpus);
}

/* ---- b_info: resources ---------------------------------------------------- */

/*
 * max_grant_frames and its kin: a number from 0 to INT_MAX, or, when the
 * config does not set it, xl.conf's (-1: not set either).  Returns
 * whether *out holds a value to use.
 */
static bool grant_limit(struct xlconv *cv, const char *key, long global,
                        long *out)
{
    int rc = xlconv_bounded_long(cv, key, 0, INT_MAX, out, true);

    if (rc == ENOENT) {
        *out = global;
        return global >= 0;
    }
    if (rc)
        xlconv_err(cv, xlconv_loc(cv, key), "%s must be a number from 0 to "
                   "%d", key, INT_MAX);
    return rc == 0;
}

static void conv_resources(struct xlconv *cv)
{
    const struct xlconf *conf = xlconv_conf(cv);
    libxl_domain_build_info *b = &cv->dc->b_info;
    const char *buf;
    long l, vcpus = 0;

    if (!xlconv_long(cv, "cpu_weight", &l, false))
        b->sched_params.weight = (int)l;
    if (!xlconv_long(cv, "cap", &l, false))
        b->sched_params.cap = (int)l;
    if (!xlconv_long(cv, "period", &l, false))
        b->sched_params.period = (int)l;
    if (!xlconv_long(cv, "slice", &l, false))
        b->sched_params.slice = (int)l;
    if (!xlconv_long(cv, "latency", &l, false))
        b->sched_params.latency = (int)l;
    if (!xlconv_long(cv, "extratime", &l, false))
        b->sched_params.extratime = (int)l;

    if (!xlconv_long(cv, "memory", &l, false))
        b->target_memkb = (uint64_t)l * 1024;
    if (!xlconv_long(cv, "maxmem", &l, false))
        b->max_memkb = (uint64_t)l * 1024;
    if (!xlconv_long(cv, "vcpus", &l, false)) {
        vcpus = l;
        /* The map holds (int)l vcpus, as xl passes a long to an int. */
        if (cpu_bitmap(cv, &b->avail_vcpus, (int)l)) {
            if (!cv->oom)
                xlconv_err(cv, xlconv_loc(cv, "vcpus"), "vcpus must not "
                           "be negative");
        } else {
            for (int i = 0; i < (int)l; i++)
                libxl_bitmap_set(&b->avail_vcpus, i);
        }
    }
    if (!xlconv_long(cv, "maxvcpus", &l, false))
        b->max_vcpus = (int)l;
    if (!xlconv_string(cv, "vuart", &buf, false)
        && libxl_vuart_type_from_string(buf, &b->arch_arm.vuart))
        xlconv_err(cv, xlconv_loc(cv, "vuart"), "invalid vuart \"%s\" "
                   "(sbsa_uart)", buf);

    conv_vnuma(cv);

    if (b->max_memkb == LIBXL_MEMKB_DEFAULT)
        b->max_memkb = b->target_memkb;
    if (b->max_vcpus == 0)
        b->max_vcpus = (int)vcpus;
    if (b->max_vcpus < vcpus)
        xlconv_err(cv, xlconv_loc(cv, "maxvcpus"), "maxvcpus (%d) is less "
                   "than vcpus (%ld)", b->max_vcpus, vcpus);

    conv_affinity(cv, "cpus", true);
    conv_affinity(cv, "cpus_soft", false);

    /* A config without these takes xl.conf's, whose defaults (-1) are
     * libxl's own. */
    if (grant_limit(cv, "max_grant_frames", conf->max_grant_frames, &l))
        b->max_grant_frames = (uint32_t)l;
    if (grant_limit(cv, "max_maptrack_frames", conf->max_maptrack_frames,
                    &l))
        b->max_maptrack_frames = (uint32_t)l;
    if (grant_limit(cv, "max_grant_version", conf->max_grant_version, &l))
        b->max_grant_version = (int)l;
    /* xl.conf's claim_mode, on by default, and its blkdev_start go into
     * every domain's config. */
    libxl_defbool_set(&b->claim_mode, conf->claim_mode);
    if (conf->blkdev_start)
        b->blkdev_start = xlconv_strdup(cv, conf->blkdev_start);
}

/* ---- shutdown actions -------------------------------------------------- */

/* xl.cfg(5)'s names of the actions (libxl's own names differ: it says
 * "restart_rename" where a config says "rename-restart"). */
static const char *const action_names[] = {
    [LIBXL_ACTION_ON_SHUTDOWN_DESTROY] = "destroy",
    [LIBXL_ACTION_ON_SHUTDOWN_RESTART] = "restart",
    [LIBXL_ACTION_ON_SHUTDOWN_RESTART_RENAME] = "rename-restart",
    [LIBXL_ACTION_ON_SHUTDOWN_PRESERVE] = "preserve",
    [LIBXL_ACTION_ON_SHUTDOWN_COREDUMP_DESTROY] = "coredump-destroy",
    [LIBXL_ACTION_ON_SHUTDOWN_COREDUMP_RESTART] = "coredump-restart",
    [LIBXL_ACTION_ON_SHUTDOWN_SOFT_RESET] = "soft-reset",
};

const char *xlconv_action_name(libxl_action_on_shutdown a)
{
    if ((int)a >= 0 && (size_t)a < sizeof(action_names)
                                    / sizeof(*action_names)
        && action_names[a])
        return action_names[a];
    return "unknown";
}

static void conv_actions(struct xlconv *cv)
{
    static const struct {
        const char *key;
        const char *dflt;
        size_t off;
    } actions[] = {
        { "on_poweroff", "destroy",
          offsetof(libxl_domain_config, on_poweroff) },
        { "on_reboot", "restart", offsetof(libxl_domain_config, on_reboot) },
        { "on_watchdog", "destroy",
          offsetof(libxl_domain_config, on_watchdog) },
        { "on_crash", "destroy", offsetof(libxl_domain_config, on_crash) },
        { "on_soft_reset", "soft-reset",
          offsetof(libxl_domain_config, on_soft_reset) },
    };

    for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++) {
        libxl_action_on_shutdown *a =
            (void *)((char *)cv->dc + actions[i].off);
        const char *buf;
        bool found = false;

        if (xlconv_string(cv, actions[i].key, &buf, false))
            buf = actions[i].dflt;
        for (size_t n = 0; n < sizeof(action_names) / sizeof(*action_names);
             n++) {
            if (action_names[n] && !strcmp(buf, action_names[n])) {
                *a = (libxl_action_on_shutdown)n;
                found = true;
            }
        }
        if (!found)
            xlconv_err(cv, xlconv_loc(cv, actions[i].key),
                       "unknown %s action \"%s\" (destroy, restart, "
                       "rename-restart, preserve, coredump-destroy, "
                       "coredump-restart or soft-reset)", actions[i].key,
                       buf);
    }
    /* Read before the pci list, which turns it on for PV guests with
     * devices whatever it says. */
    if (cv->dc->c_info.type == LIBXL_DOMAIN_TYPE_PV)
        xlconv_defbool(cv, "e820_host", &cv->dc->b_info.u.pv.e820_host,
                       false);
}

/* ---- b_info: boot and platform -------------------------------------------- */

/* tsc_mode, timer_mode and altp2m take a name, or (deprecated, for
 * tsc_mode and timer_mode) a number in a range. */
static void conv_tsc_mode(struct xlconv *cv)
{
    libxl_domain_build_info *b = &cv->dc->b_info;
    const char *buf;
    long l;

    if (!xlconv_long(cv, "tsc_mode", &l, true)) {
        const char *name = libxl_tsc_mode_to_string((libxl_tsc_mode)l);

        if (l < LIBXL_TSC_MODE_DEFAULT || l > LIBXL_TSC_MODE_NATIVE_PARAVIRT) {
            xlconv_err(cv, xlconv_loc(cv, "tsc_mode"), "invalid tsc_mode "
                       "%ld (default, always_emulate, native or "
                       "native_paravirt)", l);
            return;
        }
        xlconv_warn(cv, xlconv_loc(cv, "tsc_mode"), "tsc_mode as a number "
                    "is deprecated: write tsc_mode=\"%s\"", name);
        b->tsc_mode = (libxl_tsc_mode)l;
    } else if (!xlconv_string(cv, "tsc_mode", &buf, false)
               && libxl_tsc_mode_from_string(buf, &b->tsc_mode)) {
        xlconv_err(cv, xlconv_loc(cv, "tsc_mode"), "invalid tsc_mode \"%s\" "
                   "(default, always_emulate, native or native_paravirt)",
                   buf);
    }
}

static void conv_timer_mode(struct xlconv *cv)
{
    libxl_domain_build_info *b = &cv->dc->b_info;
    const char *buf;
    long l;
    bool num = !xlconv_long(cv, "timer_mode", &l, true);

    if (!num && xlconv_string(cv, "timer_mode", &buf, false))
        return;
    if (b->type == LIBXL_DOMAIN_TYPE_PV) {
        xlconv_err(cv, xlconv_loc(cv, "timer_mode"), "timer_mode is not "
                   "supported for PV guests");
        return;
    }
    if (num) {
        const char *name = libxl_timer_mode_to_string((libxl_timer_mode)l);

        if (l < LIBXL_TIMER_MODE_DELAY_FOR_MISSED_TICKS
            || l > LIBXL_TIMER_MODE_ONE_MISSED_TICK_PENDING) {
            xlconv_err(cv, xlconv_loc(cv, "timer_mode"), "invalid timer_mode "
                       "%ld", l);
            return;
        }
        xlconv_warn(cv, xlconv_loc(cv, "timer_mode"), "timer_mode as a "
                    "number is deprecated: write timer_mode=\"%s\"", name);
        b->timer_mode = (libxl_timer_mode)l;
    } else if (libxl_timer_mode_from_string(buf, &b->timer_mode)) {
        xlconv_err(cv, xlconv_loc(cv, "timer_mode"), "invalid timer_mode "
                   "\"%s\" (delay_for_missed_ticks, no_delay_for_missed_ticks, "
                   "no_missed_ticks_pending or one_missed_tick_pending)", buf);
    }
}

static void conv_cmdline(struct xlconv *cv)
{
    libxl_domain_build_info *b = &cv->dc->b_info;
    const char *buf = NULL, *root = NULL, *extra = NULL;
    int rc = 0;

    xlconv_string(cv, "cmdline", &buf, false);
    xlconv_string(cv, "root", &root, false);
    xlconv_string(cv, "extra", &extra, false);
    if (buf) {
        b->cmdline = xlconv_strdup(cv, buf);
        if (root || extra)
            xlconv_warn(cv, xlconv_loc(cv, "cmdline"), "root= and extra= "
                        "are ignored in favour of cmdline=");
    } else if (root && extra) {
        rc = asprintf(&b->cmdline, "root=%s %s", root, extra);
    } else if (root) {
        rc = asprintf(&b->cmdline, "root=%s", root);
    } else if (extra) {
        b->cmdline = xlconv_strdup(cv, extra);
    }
    if (rc < 0) {
        b->cmdline = NULL;
        cv->oom = true;
    }
}

static void conv_boot(struct xlconv *cv)
{
    libxl_domain_build_info *b = &cv->dc->b_info;
    libxl_domain_create_info *c = &cv->dc->c_info;
    const char *buf;
    long l;

    if (!xlconv_long(cv, "shadow_memory", &l, false))
        b->shadow_memkb = (uint64_t)l * 1024;
    xlconv_defbool(cv, "nomigrate", &b->disable_migrate, false);
    conv_tsc_mode(cv);
    if (!xlconv_long(cv, "rtc_timeoffset", &l, false))
        b->rtc_timeoffset = (uint32_t)l;
    if (!xlconv_long(cv, "vncviewer", &l, false))
        xlconv_warn(cv, xlconv_loc(cv, "vncviewer"), "vncviewer is ignored; "
                    "xl starts a viewer with create -V");
    xlconv_defbool(cv, "localtime", &b->localtime, false);
    if (!xlconv_long(cv, "videoram", &l, false))
        b->video_memkb = (uint64_t)l * 1024;
    if (!xlconv_long(cv, "max_event_channels", &l, false))
        b->event_channels = (uint32_t)l;

    xlconv_replace_string(cv, "kernel", &b->kernel, false);
    xlconv_replace_string(cv, "ramdisk", &b->ramdisk, false);
    xlconv_replace_string(cv, "device_tree", &b->device_tree, false);
    conv_cmdline(cv);
    xlconv_defbool(cv, "driver_domain", &c->driver_domain, false);
    xlconv_defbool(cv, "acpi", &b->acpi, false);

    xlconv_replace_string(cv, "bootloader", &b->bootloader, false);
    switch (xlconv_string_list(cv, "bootloader_args", &b->bootloader_args,
                               true)) {
    case EINVAL:
        if (!xlconv_string(cv, "bootloader_args", &buf, false)) {
            xlconv_warn(cv, xlconv_loc(cv, "bootloader_args"),
                        "bootloader_args as a string is deprecated: write "
                        "a list of arguments");
            if (split(cv, buf, " \t\n", &b->bootloader_args) < 0)
                xlconv_err(cv, xlconv_loc(cv, "bootloader_args"),
                           "bootloader_args has no argument in it");
        }
        break;
    default:
        break;
    }
    conv_timer_mode(cv);
    xlconv_defbool(cv, "nestedhvm", &b->nested_hvm, false);
}

/* firmware= and the kernel check of PV and PVH guests (HVM guests are
 * xlconv_hvm()'s business). */
static void conv_pv_boot(struct xlconv *cv)
{
    libxl_domain_build_info *b = &cv->dc->b_info;
    const char *buf;

    if (b->type == LIBXL_DOMAIN_TYPE_HVM)
        return;
    if (!xlconv_string(cv, "firmware", &buf, false)) {
        if (b->kernel) {
            xlconv_err(cv, xlconv_loc(cv, "firmware"), "both kernel and "
                       "firmware are set; keep one");
        } else if (!type_prefix(buf, "pvgrub32")
                   && !type_prefix(buf, "pvgrub64")) {
            xlconv_err(cv, xlconv_loc(cv, "firmware"), "firmware \"%s\" is "
                       "not supported for %s guests (pvgrub32 or pvgrub64)",
                       buf, b->type == LIBXL_DOMAIN_TYPE_PV ? "PV" : "PVH");
        } else if (asprintf(&b->kernel, XLCONV_FIRMWARE_DIR "/%s.bin",
                            buf) < 0) {
            b->kernel = NULL;
            cv->oom = true;
        }
    }
    if (!b->bootloader && !b->kernel && !xlconv_setting(cv, "firmware"))
        xlconv_err(cv, NULL, "neither kernel nor bootloader is set "
                   "(kernel = \"...\", bootloader = \"pygrub\" or "
                   "firmware = \"pvgrub64\")");
}

static void conv_altp2m(struct xlconv *cv)
{
    libxl_domain_build_info *b = &cv->dc->b_info;
    const char *buf;
    long l;

    if (!xlconv_long(cv, "altp2m", &l, true)) {
        if (l < LIBXL_ALTP2M_MODE_DISABLED || l > LIBXL_ALTP2M_MODE_LIMITED)
            xlconv_err(cv, xlconv_loc(cv, "altp2m"), "invalid altp2m %ld "
                       "(disabled, mixed, external or limited)", l);
        else
            b->altp2m = (libxl_altp2m_mode)l;
    } else if (!xlconv_string(cv, "altp2m", &buf, false)
               && libxl_altp2m_mode_from_string(buf, &b->altp2m)) {
        xlconv_err(cv, xlconv_loc(cv, "altp2m"), "invalid altp2m \"%s\" "
                   "(disabled, mixed, external or limited)", buf);
    }
    if (!xlconv_long(cv, "vmtrace_buf_kb", &l, true) && l)
        b->vmtrace_buf_kb = (int)l;
}

/*
 * Settings that nothing read: xl ignores them silently, which hides
 * typos ("memroy = 512") and settings meant for another kind of guest.
 * Each name is reported once, where it is first set.
 */
static void report_unused(struct xlconv *cv)
{
    struct xlcfg *cfg = cv->cfg;
    static const char *const type_names[] = {
        [LIBXL_DOMAIN_TYPE_HVM] = "an HVM",
        [LIBXL_DOMAIN_TYPE_PV] = "a PV",
        [LIBXL_DOMAIN_TYPE_PVH] = "a PVH",
    };
    libxl_domain_type t = cv->dc->c_info.type;

    for (size_t i = 0; i < cfg->nsettings; i++) {
        const struct xlcfg_setting *s = &cfg->settings[i];
        const char *hint;
        bool first = true;

        if (s->used)
            continue;
        for (size_t j = 0; j < i && first; j++)
            first = strcmp(cfg->settings[j].name, s->name) != 0;
        if (!first)
            continue;
        if (xlconv_known_key(s->name))
            xlconv_warn(cv, &s->loc, "'%s' has no effect on %s guest "
                        "with this config; xl ignores it", s->name,
                        t >= LIBXL_DOMAIN_TYPE_HVM
                        && t <= LIBXL_DOMAIN_TYPE_PVH
                        ? type_names[t] : "this");
        else if ((hint = xlconv_suggest_key(s->name)))
            xlconv_warn(cv, &s->loc, "unknown setting '%s', which xl "
                        "ignores; did you mean '%s'?", s->name, hint);
        else
            xlconv_warn(cv, &s->loc, "unknown setting '%s', which xl "
                        "ignores (a typo?)", s->name);
    }
}

int xlconv_convert(struct xlcfg *cfg, const struct xlconv_host *host,
                   libxl_domain_config *dc)
{
    struct xlconv cv = { .cfg = cfg, .host = host, .dc = dc };

    if (xlconv_index(&cv))
        return ENOMEM;
    conv_create_info(&cv);
    conv_resources(&cv);
    conv_actions(&cv);
    xlconv_pci(&cv);
    conv_boot(&cv);
    xlconv_hvm(&cv);
    conv_pv_boot(&cv);
    conv_altp2m(&cv);
    xlconv_disks(&cv);
    xlconv_devices(&cv);
    xlconv_nics(&cv);
    mask_hard_affinity(&cv);
    report_unused(&cv);
    xlconv_index_free(&cv);
    xlcfg_sort_diags(cfg);
    if (cv.oom)
        return ENOMEM;
    return cv.nerrors ? EINVAL : 0;
}
