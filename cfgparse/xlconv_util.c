/*
 * xlconv_util.c - the semantic layer's shared helpers: diagnostics,
 * lookups with libxlutil's exact semantics, memory helpers, and the JSON
 * that `xl -N create` prints.
 */
#define _GNU_SOURCE

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xlconv_int.h"

/* libxl_json.h wants libxl.h first and yajl's version to pick its API. */
#include <yajl/yajl_gen.h>
#include <yajl/yajl_version.h>
#include <libxl_json.h>

/* ---- diagnostics ------------------------------------------------------ */

void xlconv_err(struct xlconv *cv, const struct xlcfg_loc *at,
                const char *fmt, ...)
{
    va_list ap;

    cv->nerrors++;
    va_start(ap, fmt);
    xlcfg_diag_addv(cv->cfg, XLCFG_ERROR, at, fmt, ap);
    va_end(ap);
}

void xlconv_warn(struct xlconv *cv, const struct xlcfg_loc *at,
                 const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    xlcfg_diag_addv(cv->cfg, XLCFG_WARNING, at, fmt, ap);
    va_end(ap);
}

/* ---- lookups ------------------------------------------------------------ */

static int by_name_cmp(const void *a, const void *b)
{
    const struct xlcfg_setting *x = *(struct xlcfg_setting *const *)a;
    const struct xlcfg_setting *y = *(struct xlcfg_setting *const *)b;
    int c = strcmp(x->name, y->name);

    /* Settings live in one array, so their addresses give file order. */
    return c ? c : (x < y ? -1 : x > y);
}

int xlconv_index(struct xlconv *cv)
{
    struct xlcfg *cfg = cv->cfg;

    cv->nby_name = 0;
    cv->by_name = calloc(cfg->nsettings ? cfg->nsettings : 1,
                         sizeof(*cv->by_name));
    if (!cv->by_name)
        return ENOMEM;
    for (size_t i = 0; i < cfg->nsettings; i++)
        cv->by_name[i] = &cfg->settings[i];
    cv->nby_name = cfg->nsettings;
    qsort(cv->by_name, cv->nby_name, sizeof(*cv->by_name), by_name_cmp);
    return 0;
}

void xlconv_index_free(struct xlconv *cv)
{
    free(cv->by_name);
    cv->by_name = NULL;
    cv->nby_name = 0;
}

/* Every lookup marks the settings of that name as read, so that the
 * settings nothing read can be reported afterwards (see
 * xlconv_convert()): they are typos, or keys xl ignores.  The last
 * setting of the name is the one that counts, as in xl. */
static const struct xlcfg_setting *lookup(struct xlconv *cv, const char *name)
{
    size_t lo = 0, hi = cv->nby_name, last;

    if (!cv->by_name)
        return xlcfg_find(cv->cfg, name);
    /* The first entry not below name. */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (strcmp(cv->by_name[mid]->name, name) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (last = lo; last < cv->nby_name
         && !strcmp(cv->by_name[last]->name, name); last++)
        cv->by_name[last]->used = true;
    return last > lo ? cv->by_name[last - 1] : NULL;
}

const struct xlcfg_setting *xlconv_setting(struct xlconv *cv,
                                           const char *name)
{
    return lookup(cv, name);
}

const struct xlcfg_loc *xlconv_loc(struct xlconv *cv, const char *name)
{
    const struct xlcfg_setting *s = lookup(cv, name);

    return s ? &s->value->loc : NULL;
}

/* The setting of a single value, or ENOENT/EINVAL as xlu's find_atom. */
static int atom(struct xlconv *cv, const char *name,
                const struct xlcfg_setting **out, bool dont_warn)
{
    const struct xlcfg_setting *s = lookup(cv, name);

    if (!s)
        return ENOENT;
    if (s->value->type == XLCFG_LIST) {
        if (!dont_warn)
            xlconv_warn(cv, &s->value->loc, "'%s' is a list but should be "
                        "a single value", name);
        return EINVAL;
    }
    *out = s;
    return 0;
}

int xlconv_string(struct xlconv *cv, const char *name, const char **out,
                  bool dont_warn)
{
    const struct xlcfg_setting *s;
    int rc = atom(cv, name, &s, dont_warn);

    if (!rc)
        *out = s->value->str;
    return rc;
}

int xlconv_replace_string(struct xlconv *cv, const char *name, char **out,
                          bool dont_warn)
{
    const char *s;
    int rc = xlconv_string(cv, name, &s, dont_warn);

    if (!rc) {
        free(*out);
        *out = xlconv_strdup(cv, s);
    }
    return rc;
}

int xlconv_bounded_long(struct xlconv *cv, const char *name, long min,
                        long max, long *out, bool dont_warn)
{
    const struct xlcfg_setting *s;
    const struct xlcfg_loc *at;
    char *end;
    long l;
    int rc = atom(cv, name, &s, dont_warn);

    if (rc)
        return rc;
    at = &s->value->loc;
    if (s->op == XLCFG_APPEND) {
        if (!dont_warn)
            xlconv_warn(cv, at, "'%s' is a number: xl ignores a number "
                        "set with '+='", name);
        return EINVAL;
    }
    errno = 0;
    l = strtol(s->value->str, &end, 0);
    if (errno) {
        rc = errno;
        if (!dont_warn)
            xlconv_warn(cv, at, "'%s' could not be read as a number: %s",
                        name, strerror(rc));
        return rc;
    }
    if (*end || end == s->value->str) {
        if (!dont_warn)
            xlconv_warn(cv, at, "'%s' is not a valid number: \"%s\"", name,
                        s->value->str);
        return EINVAL;
    }
    if (l < min) {
        if (!dont_warn)
            xlconv_warn(cv, at, "'%s' is %ld, smaller than the minimum %ld",
                        name, l, min);
        return EINVAL;
    }
    if (l > max) {
        if (!dont_warn)
            xlconv_warn(cv, at, "'%s' is %ld, greater than the maximum %ld",
                        name, l, max);
        return EINVAL;
    }
    *out = l;
    return 0;
}

int xlconv_long(struct xlconv *cv, const char *name, long *out,
                bool dont_warn)
{
    return xlconv_bounded_long(cv, name, LONG_MIN, LONG_MAX, out, dont_warn);
}

int xlconv_defbool(struct xlconv *cv, const char *name, libxl_defbool *out,
                   bool dont_warn)
{
    long l;
    int rc = xlconv_long(cv, name, &l, dont_warn);

    if (!rc)
        libxl_defbool_set(out, l != 0);
    return rc;
}

int xlconv_list(struct xlconv *cv, const char *name,
                const struct xlcfg_value **out, bool dont_warn)
{
    const struct xlcfg_setting *s = lookup(cv, name);

    if (!s)
        return ENOENT;
    if (s->value->type != XLCFG_LIST) {
        if (!dont_warn)
            xlconv_warn(cv, &s->value->loc, "'%s' is a single value but "
                        "should be a list", name);
        return EINVAL;
    }
    *out = s->value;
    return 0;
}

int xlconv_string_list(struct xlconv *cv, const char *name,
                       libxl_string_list *out, bool dont_warn)
{
    const struct xlcfg_value *l;
    char **sl;
    int rc = xlconv_list(cv, name, &l, dont_warn);

    if (rc)
        return rc;
    sl = xlconv_calloc(cv, l->nitems + 1, sizeof(*sl));
    if (!sl)
        return ENOMEM;
    /* A nested list ends the string list (xl's copy has a NULL there,
     * and everything after it is lost to its readers anyway). */
    for (size_t i = 0; i < l->nitems; i++) {
        const char *s = xlcfg_list_string(l, i);

        if (!s || !(sl[i] = xlconv_strdup(cv, s)))
            break;
    }
    /* It replaces what the field held, as xlu_cfg_replace_string does. */
    libxl_string_list_dispose(out);
    *out = sl;
    return 0;
}

/* ---- memory ------------------------------------------------------------- */

char *xlconv_strdup(struct xlconv *cv, const char *s)
{
    char *r = strdup(s);

    if (!r)
        cv->oom = true;
    return r;
}

void *xlconv_calloc(struct xlconv *cv, size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size);

    if (!p)
        cv->oom = true;
    return p;
}

void *xlconv_grow(struct xlconv *cv, void **array, int *count, size_t size)
{
    char *a;

    if (*count >= INT_MAX / 2) {
        cv->oom = true;
        return NULL;
    }
    a = realloc(*array, ((size_t)*count + 1) * size);
    if (!a) {
        cv->oom = true;
        return NULL;
    }
    *array = a;
    memset(a + (size_t)*count * size, 0, size);
    return a + (size_t)(*count)++ * size;
}

int xlconv_bitmap_alloc(struct xlconv *cv, libxl_bitmap *bm, int nbits)
{
    size_t bytes = ((size_t)nbits + 7) / 8;

    bm->map = xlconv_calloc(cv, bytes, 1);
    if (!bm->map)
        return ENOMEM;
    bm->size = (uint32_t)bytes;
    return 0;
}

/* ---- the host ----------------------------------------------------------- */

void xlconv_host_init(struct xlconv_host *host)
{
    memset(host, 0, sizeof(*host));
    host->xen_major = 4;
    host->xen_minor = 17;
    host->max_cpus = 8;
    host->nr_nodes = 1;
    host->total_mem_kb = 256ULL * 1024 * 1024;
}

void xlconv_host_dispose(struct xlconv_host *host)
{
    free(host->cpu_node);
    memset(host, 0, sizeof(*host));
}

int xlconv_host_set_topology(struct xlconv_host *host, const int *cpu_node)
{
    int *copy;

    if (host->max_cpus <= 0)
        return 0;
    copy = malloc((size_t)host->max_cpus * sizeof(*copy));
    if (!copy)
        return ENOMEM;
    memcpy(copy, cpu_node, (size_t)host->max_cpus * sizeof(*copy));
    free(host->cpu_node);
    host->cpu_node = copy;
    return 0;
}

/* ---- JSON ----------------------------------------------------------------- */

char *xlconv_json(libxl_domain_config *dc)
{
    yajl_gen hand = yajl_gen_alloc(NULL);
    const unsigned char *buf;
    size_t len;
    char *out = NULL;

    if (!hand)
        return NULL;
    /* What libxl's own *_to_json() does: yajl's beautifier, whose
     * indentation (four spaces, empty maps as "{", "", "}") xl -N shows. */
    yajl_gen_config(hand, yajl_gen_beautify, 1);
    if (libxl_domain_config_gen_json(hand, dc) != yajl_gen_status_ok)
        goto out;
    if (yajl_gen_get_buf(hand, &buf, &len) != yajl_gen_status_ok)
        goto out;
    /* yajl ends the beautified document with a newline already. */
    if (asprintf(&out, "%.*s", (int)len, (const char *)buf) < 0)
        out = NULL;

out:
    yajl_gen_free(hand);
    return out;
}
