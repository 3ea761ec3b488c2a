/*
 * xlconv_devs.c - the paravirtual devices that are neither disks, nics
 * nor passed-through hardware: 9pfs shares (p9), virtual TPMs (vtpm),
 * para-virtual displays (vdispl), PV calls (pvcalls), sound cards
 * (vsnd), channels (channel), framebuffers (vfb) and keyboards (vkb).
 *
 * Each list item is a small "key=value,key=value" spec.  xl reads every
 * kind of spec with its own hand-written loop, and they differ in small
 * ways that change what is accepted: which separators count, whether
 * spaces are skipped, whether a part without '=' ends the spec or is an
 * error, whether unknown keys are errors or ignored, how numbers are read
 * (strtoul, atoi, sscanf), and whether the device number (devid) is set.
 * The functions below keep each of those differences, because the same
 * config must mean the same thing here as under xl; where xl's reading is
 * surprising they add a warning.  Where xl crashes on a spec (an empty
 * channel spec, an empty list of sample rates...), the spec is rejected.
 */
#define _GNU_SOURCE

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "xlconv_int.h"

/* ---- helpers ----------------------------------------------------------- */

/*
 * The string items of a device list, as xl walks them: it stops at the
 * first item that is not a string (a nested list), silently dropping the
 * rest, so that is worth a warning.  Returns how many items to convert
 * (0 when the key is not set or is not a list).
 */
static size_t string_items(struct xlconv *cv, const char *key,
                           const struct xlcfg_value **out)
{
    const struct xlcfg_value *list;
    size_t n;

    if (xlconv_list(cv, key, &list, false))
        return 0;
    for (n = 0; n < list->nitems && xlcfg_list_string(list, n); n++)
        ;
    if (n < list->nitems)
        xlconv_warn(cv, &list->items[n]->loc, "item %zu of '%s' is a list, "
                    "not a device spec: xl ignores it and every item after "
                    "it", n + 1, key);
    *out = list;
    return n;
}

/* A device spec's parts are separated by commas; xl skips the spaces
 * (only spaces, not tabs) that start a part. */
static char *next_part(char *buf, char **save)
{
    char *part = strtok_r(buf, ",", save);

    return part ? part + strspn(part, " ") : NULL;
}

/* A malloc'd copy into a libxl string field, replacing what was there (xl
 * leaks the old value; the last one wins either way). */
static void set_string(struct xlconv *cv, char **field, const char *value)
{
    free(*field);
    *field = xlconv_strdup(cv, value);
}

/*
 * Pieces of a string cut at any of the characters of delim, with empty
 * pieces dropped, as strtok gives them to xl.  `buf` owns the text.
 */
struct pieces {
    char *buf;
    char **p;
    size_t n;
};

static int pieces_split(struct xlconv *cv, const char *s, const char *delim,
                        struct pieces *out)
{
    char *save = NULL, *piece;

    memset(out, 0, sizeof(*out));
    out->buf = xlconv_strdup(cv, s);
    /* There cannot be more pieces than characters. */
    out->p = xlconv_calloc(cv, strlen(s) + 1, sizeof(*out->p));
    if (!out->buf || !out->p)
        return ENOMEM;
    for (piece = strtok_r(out->buf, delim, &save); piece;
         piece = strtok_r(NULL, delim, &save))
        out->p[out->n++] = piece;
    return 0;
}

static void pieces_free(struct pieces *ps)
{
    free(ps->buf);
    free(ps->p);
    memset(ps, 0, sizeof(*ps));
}

/* Whether what a number conversion left over is only white space. */
static bool only_space(const char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    return !*s;
}

/*
 * A number as xl reads most device parameters: strtoul in base 0 (so 0x10
 * and 010 work), where text that is not a number reads as 0, junk after
 * the digits is ignored, a minus sign wraps around and an overflow gives
 * the largest value; the result is then cut to the field's size (`max`,
 * a mask of low bits) as xl's assignment does.  Warn where that hides a
 * mistake.  `spec` and `key` name the value in the warnings.
 */
static unsigned long lenient_ulong(struct xlconv *cv,
                                   const struct xlcfg_loc *at,
                                   const char *spec, const char *key,
                                   const char *s, unsigned long max)
{
    char *end;
    unsigned long v;
    int e;

    errno = 0;
    v = strtoul(s, &end, 0);
    e = errno;
    if (end == s)
        xlconv_warn(cv, at, "%s: %s=\"%s\" is not a number: xl reads it "
                    "as 0", spec, key, s);
    else if (e == ERANGE)
        xlconv_warn(cv, at, "%s: %s=\"%s\" is too big: xl reads it as %lu",
                    spec, key, s, v & max);
    else if (s[strspn(s, " \t\n\v\f\r+")] == '-')
        xlconv_warn(cv, at, "%s: %s=\"%s\" is negative: xl reads it as %lu",
                    spec, key, s, v & max);
    else if (v > max)
        xlconv_warn(cv, at, "%s: %s=\"%s\" is too big: xl keeps only the "
                    "low bits (%lu)", spec, key, s, v & max);
    else if (!only_space(end))
        xlconv_warn(cv, at, "%s: %s=\"%s\": xl ignores \"%s\" after the "
                    "number", spec, key, s, end);
    return v & max;
}

static uint32_t lenient_u32(struct xlconv *cv, const struct xlcfg_loc *at,
                            const char *spec, const char *key, const char *s)
{
    return (uint32_t)lenient_ulong(cv, at, spec, key, s, UINT32_MAX);
}

/* A flag read with strtoul: any number but 0 sets it. */
static bool lenient_flag(struct xlconv *cv, const struct xlcfg_loc *at,
                         const char *spec, const char *key, const char *s)
{
    return lenient_ulong(cv, at, spec, key, s, ULONG_MAX) != 0;
}

/*
 * A number as xl reads the vfb parameters, with atoi: decimal only, text
 * that is not a number reads as 0, junk after the digits is ignored, and
 * values beyond an int are cut to the low 32 bits (what glibc's atoi
 * does, being (int)strtol).
 */
static int lenient_int(struct xlconv *cv, const struct xlcfg_loc *at,
                       const char *key, const char *s)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(s, &end, 10);
    if (end == s)
        xlconv_warn(cv, at, "vfb spec: %s=\"%s\" is not a number: xl reads "
                    "it as 0", key, s);
    else if (errno == ERANGE || v < INT_MIN || v > INT_MAX)
        xlconv_warn(cv, at, "vfb spec: %s=\"%s\" is out of range: xl reads "
                    "it as %d", key, s, (int)v);
    else if (!only_space(end))
        xlconv_warn(cv, at, "vfb spec: %s=\"%s\": xl ignores \"%s\" after "
                    "the number", key, s, end);
    return (int)v;
}

/* ---- p9 ---------------------------------------------------------------- */

enum { P9_TAG, P9_PATH, P9_SECURITY_MODEL, P9_BACKEND, P9_NFIELDS };

static const char *const p9_keys[P9_NFIELDS] = {
    [P9_TAG] = "tag",
    [P9_PATH] = "path",
    [P9_SECURITY_MODEL] = "security_model",
    [P9_BACKEND] = "backend",
};

/*
 * p9 = [ 'tag=T,path=P,security_model=M[,backend=D]', ... ]
 *
 * xl keeps the values it has read in variables that live across the
 * items of the list, so a field missing from one spec is taken from the
 * spec before it.  That is kept (with a warning).  xl also initialises
 * each device twice, the second time after setting its devid, so 9pfs
 * devices keep libxl's default devid.
 */
static void conv_p9(struct xlconv *cv)
{
    libxl_domain_config *dc = cv->dc;
    const struct xlcfg_value *list;
    char *field[P9_NFIELDS] = { NULL };
    size_t n = string_items(cv, "p9", &list);

    for (size_t i = 0; i < n && !cv->oom; i++) {
        const struct xlcfg_loc *at = &list->items[i]->loc;
        bool seen[P9_NFIELDS] = { false };
        size_t errors = cv->nerrors;
        libxl_device_p9 *p9;
        char *buf, *part, *save = NULL;

        p9 = xlconv_grow(cv, (void **)&dc->p9s, &dc->num_p9s,
                         sizeof(*dc->p9s));
        buf = xlconv_strdup(cv, xlcfg_list_string(list, i));
        if (!p9 || !buf) {
            free(buf);
            break;
        }
        libxl_device_p9_init(p9);
        for (part = next_part(buf, &save); part;
             part = next_part(NULL, &save)) {
            char *eq = strchr(part, '=');
            size_t k;

            if (!eq) {
                xlconv_warn(cv, at, "p9 spec: \"%s\" is not key=value: xl "
                            "stops reading the spec there and ignores the "
                            "rest", part);
                break;
            }
            *eq = '\0';
            for (k = 0; k < P9_NFIELDS && strcmp(part, p9_keys[k]); k++)
                ;
            if (k == P9_NFIELDS) {
                xlconv_err(cv, at, "p9 spec: unknown parameter \"%s\" "
                           "(valid: tag, path, security_model, backend)",
                           part);
                continue;
            }
            set_string(cv, &field[k], eq + 1);
            seen[k] = true;
        }
        free(buf);

        for (size_t k = 0; k < P9_NFIELDS; k++)
            if (!seen[k] && field[k])
                xlconv_warn(cv, at, "p9 spec: no %s= given: xl reuses "
                            "\"%s\" from an earlier p9 spec", p9_keys[k],
                            field[k]);
        if (!field[P9_TAG] || !field[P9_PATH] || !field[P9_SECURITY_MODEL]) {
            /* A misspelt key is the likely cause: no need to say more. */
            if (cv->nerrors == errors)
                xlconv_err(cv, at, "p9 spec: tag=, path= and "
                           "security_model= are all required; missing:"
                           "%s%s%s", field[P9_TAG] ? "" : " tag=",
                           field[P9_PATH] ? "" : " path=",
                           field[P9_SECURITY_MODEL] ? "" : " security_model=");
            continue;
        }
        p9->tag = xlconv_strdup(cv, field[P9_TAG]);
        p9->path = xlconv_strdup(cv, field[P9_PATH]);
        p9->security_model = xlconv_strdup(cv, field[P9_SECURITY_MODEL]);
        if (field[P9_BACKEND])
            p9->backend_domname = xlconv_strdup(cv, field[P9_BACKEND]);
    }
    for (size_t k = 0; k < P9_NFIELDS; k++)
        free(field[k]);
}

/* ---- vtpm -------------------------------------------------------------- */

/* vtpm = [ 'backend=D[,uuid=U]', ... ] */
static void conv_vtpm(struct xlconv *cv)
{
    libxl_domain_config *dc = cv->dc;
    const struct xlcfg_value *list;
    size_t n = string_items(cv, "vtpm", &list);

    for (size_t i = 0; i < n && !cv->oom; i++) {
        const struct xlcfg_loc *at = &list->items[i]->loc;
        libxl_device_vtpm *vtpm;
        char *buf, *part, *save = NULL;
        bool got_backend = false;

        vtpm = xlconv_grow(cv, (void **)&dc->vtpms, &dc->num_vtpms,
                           sizeof(*dc->vtpms));
        buf = xlconv_strdup(cv, xlcfg_list_string(list, i));
        if (!vtpm || !buf) {
            free(buf);
            break;
        }
        libxl_device_vtpm_init(vtpm);
        vtpm->devid = dc->num_vtpms - 1;
        for (part = next_part(buf, &save); part;
             part = next_part(NULL, &save)) {
            char *eq = strchr(part, '=');

            if (!eq) {
                xlconv_warn(cv, at, "vtpm spec: \"%s\" is not key=value: "
                            "xl stops reading the spec there and ignores "
                            "the rest", part);
                break;
            }
            *eq = '\0';
            if (!strcmp(part, "backend")) {
                set_string(cv, &vtpm->backend_domname, eq + 1);
                got_backend = true;
            } else if (!strcmp(part, "uuid")) {
                if (libxl_uuid_from_string(&vtpm->uuid, eq + 1))
                    xlconv_err(cv, at, "vtpm spec: uuid=\"%s\" is not a "
                               "UUID (expected 8-4-4-4-12 hexadecimal "
                               "digits)", eq + 1);
            } else {
                xlconv_err(cv, at, "vtpm spec: unknown parameter \"%s\" "
                           "(valid: backend, uuid)", part);
            }
        }
        free(buf);
        if (!got_backend)
            xlconv_err(cv, at, "vtpm spec: backend= (the domain running "
                       "the vTPM) is required");
    }
}

/* ---- vdispl ------------------------------------------------------------ */

/*
 * One connector, "ID:WxH", read as xl does: the first two ':'-separated
 * words are the id and the resolution (more are ignored), and the
 * resolution is scanned with "%ux%u".  When the resolution does not even
 * start with a number, xl prints a message but goes on, leaving this
 * connector's size and all the following connectors empty; that is kept,
 * with a warning.  Returns false when the following connectors are to be
 * left empty.
 */
static bool vdispl_connector(struct xlconv *cv, const struct xlcfg_loc *at,
                             libxl_connector_param *conn, const char *text)
{
    struct pieces words;
    unsigned int w, h;
    bool go_on = true;
    int rc;

    if (pieces_split(cv, text, ":", &words))
        goto out;
    if (words.n < 2) {
        xlconv_err(cv, at, "vdispl spec: connector \"%s\" must be "
                   "ID:WIDTHxHEIGHT", text);
        goto out;
    }
    conn->unique_id = xlconv_strdup(cv, words.p[0]);
    rc = sscanf(words.p[1], "%ux%u", &w, &h);
    if (rc == 2) {
        conn->width = w;
        conn->height = h;
    } else if (rc == 0) {
        xlconv_warn(cv, at, "vdispl spec: connector \"%s\": \"%s\" is not "
                    "a WIDTHxHEIGHT resolution: xl leaves this connector's "
                    "size and every connector after it empty", text,
                    words.p[1]);
        go_on = false;
    } else {
        xlconv_err(cv, at, "vdispl spec: connector \"%s\": \"%s\" is not "
                   "a WIDTHxHEIGHT resolution", text, words.p[1]);
    }

out:
    pieces_free(&words);
    return go_on;
}

/* connectors=ID:WxH;ID:WxH... (a second connectors= replaces the first). */
static void vdispl_connectors(struct xlconv *cv, const struct xlcfg_loc *at,
                              libxl_device_vdispl *vdispl, const char *value)
{
    struct pieces conns;

    if (pieces_split(cv, value, ";", &conns))
        goto out;
    if (!conns.n) {
        xlconv_err(cv, at, "vdispl spec: connectors= lists no connector "
                   "(expected ID:WIDTHxHEIGHT, separated by ';')");
        goto out;
    }
    for (int c = 0; c < vdispl->num_connectors; c++)
        libxl_connector_param_dispose(&vdispl->connectors[c]);
    free(vdispl->connectors);
    vdispl->num_connectors = 0;
    vdispl->connectors = xlconv_calloc(cv, conns.n,
                                       sizeof(*vdispl->connectors));
    if (!vdispl->connectors)
        goto out;
    vdispl->num_connectors = (int)conns.n;
    for (size_t c = 0; c < conns.n; c++)
        libxl_connector_param_init(&vdispl->connectors[c]);
    for (size_t c = 0; c < conns.n; c++)
        if (!vdispl_connector(cv, at, &vdispl->connectors[c], conns.p[c]))
            break;

out:
    pieces_free(&conns);
}

/* vdispl = [ '[backend=D,][be-alloc=B,]connectors=...', ... ] */
static void conv_vdispl(struct xlconv *cv)
{
    libxl_domain_config *dc = cv->dc;
    const struct xlcfg_value *list;
    size_t n = string_items(cv, "vdispl", &list);

    for (size_t i = 0; i < n && !cv->oom; i++) {
        const struct xlcfg_loc *at = &list->items[i]->loc;
        libxl_device_vdispl *vdispl;
        char *buf, *part, *save = NULL;
        size_t errors = cv->nerrors;

        vdispl = xlconv_grow(cv, (void **)&dc->vdispls, &dc->num_vdispls,
                             sizeof(*dc->vdispls));
        buf = xlconv_strdup(cv, xlcfg_list_string(list, i));
        if (!vdispl || !buf) {
            free(buf);
            break;
        }
        libxl_device_vdispl_init(vdispl);
        vdispl->devid = dc->num_vdispls - 1;
        for (part = next_part(buf, &save); part;
             part = next_part(NULL, &save)) {
            char *eq = strchr(part, '=');
            const char *value = eq ? eq + 1 : "";

            if (eq)
                *eq = '\0';
            if (eq && !strcmp(part, "backend"))
                set_string(cv, &vdispl->backend_domname, value);
            else if (eq && !strcmp(part, "be-alloc"))
                vdispl->be_alloc = lenient_flag(cv, at, "vdispl spec",
                                                "be-alloc", value);
            else if (eq && !strcmp(part, "connectors"))
                vdispl_connectors(cv, at, vdispl, value);
            else
                xlconv_err(cv, at, "vdispl spec: unknown parameter \"%s\" "
                           "(valid: backend, be-alloc, connectors)",
                           part);
        }
        free(buf);
        /* Not when a bad connectors= already said why there is none. */
        if (!vdispl->num_connectors && cv->nerrors == errors && !cv->oom)
            xlconv_err(cv, at, "vdispl spec: at least one connector is "
                       "required (connectors=ID:WIDTHxHEIGHT;...)");
    }
}

/* ---- pvcalls ----------------------------------------------------------- */

/* pvcalls = [ '[backend=D]', ... ]: an empty spec is a valid device. */
static void conv_pvcalls(struct xlconv *cv)
{
    libxl_domain_config *dc = cv->dc;
    const struct xlcfg_value *list;
    size_t n = string_items(cv, "pvcalls", &list);

    for (size_t i = 0; i < n && !cv->oom; i++) {
        const struct xlcfg_loc *at = &list->items[i]->loc;
        libxl_device_pvcallsif *pvc;
        char *buf, *part, *save = NULL;

        pvc = xlconv_grow(cv, (void **)&dc->pvcallsifs, &dc->num_pvcallsifs,
                          sizeof(*dc->pvcallsifs));
        buf = xlconv_strdup(cv, xlcfg_list_string(list, i));
        if (!pvc || !buf) {
            free(buf);
            break;
        }
        libxl_device_pvcallsif_init(pvc);
        pvc->devid = dc->num_pvcallsifs - 1;
        for (part = next_part(buf, &save); part;
             part = next_part(NULL, &save)) {
            char *eq = strchr(part, '=');

            if (!eq) {
                xlconv_warn(cv, at, "pvcalls spec: \"%s\" is not "
                            "key=value: xl stops reading the spec there and "
                            "ignores the rest", part);
                break;
            }
            *eq = '\0';
            if (!strcmp(part, "backend"))
                set_string(cv, &pvc->backend_domname, eq + 1);
            else
                xlconv_err(cv, at, "pvcalls spec: unknown parameter \"%s\" "
                           "(valid: backend)", part);
        }
        free(buf);
    }
}

/* ---- vsnd -------------------------------------------------------------- */

static const char vsnd_formats[] =
    "s8, u8, s16_le, s16_be, u16_le, u16_be, s24_le, s24_be, u24_le, "
    "u24_be, s32_le, s32_be, u32_le, u32_be, f32_le, f32_be, f64_le, "
    "f64_be, iec958_subframe_le, iec958_subframe_be, mu_law, a_law, "
    "ima_adpcm, mpeg, gsm";

/*
 * The parameters that cards, pcms and streams share.  Returns false when
 * `key` is not one of them (so the caller tries its own), true when it
 * was handled, even with an error.
 */
static bool vsnd_param(struct xlconv *cv, const struct xlcfg_loc *at,
                       libxl_vsnd_params *params, const char *key,
                       const char *value)
{
    struct pieces list;

    if (!strcmp(key, "sample-rates")) {
        uint32_t *rates;

        if (pieces_split(cv, value, ";", &list))
            goto out;
        if (!list.n) {
            xlconv_err(cv, at, "vsnd: sample-rates= lists no rate "
                       "(expected rates separated by ';')");
            goto out;
        }
        rates = xlconv_calloc(cv, list.n, sizeof(*rates));
        if (!rates)
            goto out;
        for (size_t r = 0; r < list.n; r++)
            rates[r] = lenient_u32(cv, at, "vsnd", "sample-rates",
                                   list.p[r]);
        free(params->sample_rates);
        params->sample_rates = rates;
        params->num_sample_rates = (int)list.n;
    } else if (!strcmp(key, "sample-formats")) {
        libxl_vsnd_pcm_format *formats;

        if (pieces_split(cv, value, ";", &list))
            goto out;
        if (!list.n) {
            xlconv_err(cv, at, "vsnd: sample-formats= lists no format "
                       "(expected formats separated by ';')");
            goto out;
        }
        formats = xlconv_calloc(cv, list.n, sizeof(*formats));
        if (!formats)
            goto out;
        for (size_t f = 0; f < list.n; f++)
            if (libxl_vsnd_pcm_format_from_string(list.p[f], &formats[f]))
                xlconv_err(cv, at, "vsnd: unknown sample format \"%s\" "
                           "(valid: %s)", list.p[f], vsnd_formats);
        free(params->sample_formats);
        params->sample_formats = formats;
        params->num_sample_formats = (int)list.n;
    } else if (!strcmp(key, "channels-min")) {
        params->channels_min = lenient_u32(cv, at, "vsnd", key, value);
        return true;
    } else if (!strcmp(key, "channels-max")) {
        params->channels_max = lenient_u32(cv, at, "vsnd", key, value);
        return true;
    } else if (!strcmp(key, "buffer-size")) {
        params->buffer_size = lenient_u32(cv, at, "vsnd", key, value);
        return true;
    } else {
        return false;
    }

out:
    pieces_free(&list);
    return true;
}

enum vsnd_kind { VSND_CARD, VSND_PCM, VSND_STREAM };

/*
 * One string of a vsnd card list: "card, ...", "pcm, ..." or
 * "stream, ..." (the word in any case), then that object's parameters.
 * A pcm is added to the card, a stream to the card's last pcm (which is
 * created when there is none yet).
 */
static void vsnd_item(struct xlconv *cv, const struct xlcfg_loc *at,
                      libxl_device_vsnd *vsnd, const char *spec)
{
    static const char params[] = "sample-rates, sample-formats, "
                                 "channels-min, channels-max, buffer-size";
    char *buf = xlconv_strdup(cv, spec);
    char *part, *save = NULL;
    enum vsnd_kind kind;
    libxl_vsnd_pcm *pcm = NULL;
    libxl_vsnd_stream *stream = NULL;

    if (!buf)
        return;
    part = next_part(buf, &save);
    if (!part) {
        /* xl silently skips an empty string. */
        xlconv_warn(cv, at, "vsnd: empty item ignored");
        goto out;
    }
    if (!strcasecmp(part, "card")) {
        kind = VSND_CARD;
    } else if (!strcasecmp(part, "pcm")) {
        kind = VSND_PCM;
        pcm = xlconv_grow(cv, (void **)&vsnd->pcms, &vsnd->num_vsnd_pcms,
                          sizeof(*vsnd->pcms));
        if (!pcm)
            goto out;
        libxl_vsnd_pcm_init(pcm);
    } else if (!strcasecmp(part, "stream")) {
        kind = VSND_STREAM;
        if (!vsnd->num_vsnd_pcms) {
            pcm = xlconv_grow(cv, (void **)&vsnd->pcms,
                              &vsnd->num_vsnd_pcms, sizeof(*vsnd->pcms));
            if (!pcm)
                goto out;
            libxl_vsnd_pcm_init(pcm);
        }
        pcm = &vsnd->pcms[vsnd->num_vsnd_pcms - 1];
        stream = xlconv_grow(cv, (void **)&pcm->streams,
                             &pcm->num_vsnd_streams, sizeof(*pcm->streams));
        if (!stream)
            goto out;
        libxl_vsnd_stream_init(stream);
    } else {
        xlconv_err(cv, at, "vsnd: an item must start with card, pcm or "
                   "stream, not \"%s\"", part);
        goto out;
    }

    while ((part = next_part(NULL, &save))) {
        char *eq = strchr(part, '=');
        const char *value = eq ? eq + 1 : "";

        /* Every parameter is key=value: a part without '=' matches none
         * of them and is an error below. */
        if (eq)
            *eq = '\0';
        switch (kind) {
        case VSND_CARD:
            if (eq && vsnd_param(cv, at, &vsnd->params, part, value))
                continue;
            if (eq && !strcmp(part, "backend"))
                set_string(cv, &vsnd->backend_domname, value);
            else if (eq && !strcmp(part, "short-name"))
                set_string(cv, &vsnd->short_name, value);
            else if (eq && !strcmp(part, "long-name"))
                set_string(cv, &vsnd->long_name, value);
            else
                xlconv_err(cv, at, "vsnd card: unknown parameter \"%s\" "
                           "(valid: backend, short-name, long-name, %s)",
                           part, params);
            break;
        case VSND_PCM:
            if (eq && vsnd_param(cv, at, &pcm->params, part, value))
                continue;
            if (eq && !strcmp(part, "name"))
                set_string(cv, &pcm->name, value);
            else
                xlconv_err(cv, at, "vsnd pcm: unknown parameter \"%s\" "
                           "(valid: name, %s)", part, params);
            break;
        case VSND_STREAM:
            if (eq && vsnd_param(cv, at, &stream->params, part, value))
                continue;
            if (eq && !strcmp(part, "unique-id"))
                set_string(cv, &stream->unique_id, value);
            else if (eq && !strcmp(part, "type")) {
                if (libxl_vsnd_stream_type_from_string(value, &stream->type))
                    xlconv_err(cv, at, "vsnd stream: unknown type \"%s\" "
                               "(p for playback, c for capture)", value);
            } else
                xlconv_err(cv, at, "vsnd stream: unknown parameter \"%s\" "
                           "(valid: unique-id, type, %s)", part, params);
            break;
        }
    }

out:
    free(buf);
}

/*
 * vsnd = [ [ 'card, ...', 'pcm, ...', 'stream, ...', ... ], ... ]: one
 * list per sound card.  As elsewhere, xl stops reading a card's list at
 * an item that is not a string.
 */
static void conv_vsnd(struct xlconv *cv)
{
    libxl_domain_config *dc = cv->dc;
    const struct xlcfg_value *list;

    if (xlconv_list(cv, "vsnd", &list, false))
        return;
    for (size_t i = 0; i < list->nitems && !cv->oom; i++) {
        const struct xlcfg_value *card = list->items[i];
        libxl_device_vsnd *vsnd;
        size_t j;

        if (card->type != XLCFG_LIST) {
            xlconv_err(cv, &card->loc, "vsnd: each sound card must be a "
                       "list of strings like [ 'card, ...', 'pcm, ...', "
                       "'stream, ...' ], not a single value");
            continue;
        }
        vsnd = xlconv_grow(cv, (void **)&dc->vsnds, &dc->num_vsnds,
                           sizeof(*dc->vsnds));
        if (!vsnd)
            break;
        libxl_device_vsnd_init(vsnd);
        vsnd->devid = dc->num_vsnds - 1;
        for (j = 0; j < card->nitems && xlcfg_list_string(card, j); j++)
            vsnd_item(cv, &card->items[j]->loc, vsnd,
                      xlcfg_list_string(card, j));
        if (j < card->nitems)
            xlconv_warn(cv, &card->items[j]->loc, "vsnd: a nested list "
                        "inside a sound card's list: xl ignores it and "
                        "every item after it");
    }
}

/* ---- channel ----------------------------------------------------------- */

/*
 * A channel parameter "key=value" as xl splits it: the first two runs of
 * characters other than '=' are the key and the value (anything after a
 * second '=' is dropped, "key==value" is fine), then both lose their
 * surrounding white space.  Returns false when there is no key or no
 * value.  *key and *value are malloc'd.
 */
static bool channel_pair(struct xlconv *cv, const struct xlcfg_loc *at,
                         const char *part, char **key, char **value)
{
    const char *k = part + strspn(part, "="), *v;
    size_t klen = strcspn(k, "="), vlen;

    *key = *value = NULL;
    v = k + klen;
    v += strspn(v, "=");
    vlen = strcspn(v, "=");
    if (!klen || !vlen)
        return false;
    if (v[vlen])
        xlconv_warn(cv, at, "channel spec: \"%s\": xl drops everything "
                    "from the second '=' on (the value is \"%.*s\")", part,
                    (int)vlen, v);
    while (klen && isspace((unsigned char)*k)) {
        k++;
        klen--;
    }
    while (klen && isspace((unsigned char)k[klen - 1]))
        klen--;
    while (vlen && isspace((unsigned char)*v)) {
        v++;
        vlen--;
    }
    while (vlen && isspace((unsigned char)v[vlen - 1]))
        vlen--;
    *key = strndup(k, klen);
    *value = strndup(v, vlen);
    if (!*key || !*value) {
        cv->oom = true;
        free(*key);
        free(*value);
        *key = *value = NULL;
        return false;
    }
    return true;
}

/* One channel spec, into an initialised channel. */
static void channel_item(struct xlconv *cv, const struct xlcfg_loc *at,
                         libxl_device_channel *chn, const char *spec)
{
    struct pieces parts;
    char *path = NULL;
    bool bad_connection = false;

    if (pieces_split(cv, spec, ",", &parts))
        goto out;
    if (!parts.n) {
        xlconv_err(cv, at, "channel spec is empty (expected "
                   "name=...,connection=pty or connection=socket,path=...)");
        goto out;
    }
    for (size_t p = 0; p < parts.n; p++) {
        char *key, *value;

        if (!channel_pair(cv, at, parts.p[p], &key, &value)) {
            if (!cv->oom)
                xlconv_err(cv, at, "channel spec: \"%s\" is not key=value",
                           parts.p[p]);
            continue;
        }
        if (!strcmp(key, "backend")) {
            set_string(cv, &chn->backend_domname, value);
        } else if (!strcmp(key, "name")) {
            set_string(cv, &chn->name, value);
        } else if (!strcmp(key, "path")) {
            set_string(cv, &path, value);
        } else if (!strcmp(key, "connection")) {
            if (!strcmp(value, "pty")) {
                chn->connection = LIBXL_CHANNEL_CONNECTION_PTY;
            } else if (!strcmp(value, "socket")) {
                chn->connection = LIBXL_CHANNEL_CONNECTION_SOCKET;
            } else {
                xlconv_err(cv, at, "channel spec: unknown connection "
                           "\"%s\" (valid: pty, socket)", value);
                bad_connection = true;
            }
        } else {
            xlconv_warn(cv, at, "channel spec: unknown parameter \"%s\" "
                        "ignored (valid: name, connection, path, backend)",
                        key);
        }
        free(key);
        free(value);
    }

    switch (chn->connection) {
    case LIBXL_CHANNEL_CONNECTION_SOCKET:
        if (path)
            chn->u.socket.path = xlconv_strdup(cv, path);
        else
            xlconv_err(cv, at, "channel spec: connection=socket needs "
                       "path= (the socket's path)");
        break;
    case LIBXL_CHANNEL_CONNECTION_PTY:
        if (path)
            xlconv_warn(cv, at, "channel spec: path= is ignored with "
                        "connection=pty");
        break;
    default:
        /* Not again when the connection given was wrong. */
        if (!bad_connection)
            xlconv_err(cv, at, "channel spec: connection= is required "
                       "(pty or socket)");
        break;
    }

out:
    pieces_free(&parts);
    free(path);
}

/*
 * channel = [ 'name=N,connection=pty|socket[,path=P][,backend=D]', ... ]
 * Here, unlike the other specs, spaces around keys and values do not
 * matter and unknown keys are only warned about.
 */
static void conv_channel(struct xlconv *cv)
{
    libxl_domain_config *dc = cv->dc;
    const struct xlcfg_value *list;
    size_t n = string_items(cv, "channel", &list);

    for (size_t i = 0; i < n && !cv->oom; i++) {
        libxl_device_channel *chn;

        chn = xlconv_grow(cv, (void **)&dc->channels, &dc->num_channels,
                          sizeof(*dc->channels));
        if (!chn)
            break;
        libxl_device_channel_init(chn);
        chn->devid = dc->num_channels - 1;
        channel_item(cv, &list->items[i]->loc, chn,
                     xlcfg_list_string(list, i));
    }
}

/* ---- vfb --------------------------------------------------------------- */

/* Add a keyboard, numbered by its place in the list like xl does. */
static libxl_device_vkb *add_vkb(struct xlconv *cv)
{
    libxl_domain_config *dc = cv->dc;
    libxl_device_vkb *vkb;

    vkb = xlconv_grow(cv, (void **)&dc->vkbs, &dc->num_vkbs,
                      sizeof(*dc->vkbs));
    if (!vkb)
        return NULL;
    libxl_device_vkb_init(vkb);
    vkb->devid = dc->num_vkbs - 1;
    return vkb;
}

/*
 * vfb = [ 'vnc=1,vnclisten=...,sdl=0,...', ... ]: each framebuffer comes
 * with a keyboard.  xl is most lenient here: unknown keys are ignored,
 * numbers are read with atoi, and a part without '=' ends the spec.
 * (The top-level vnc= keys of a PV guest without vfb are xlconv_hvm.c's.)
 */
static void conv_vfb(struct xlconv *cv)
{
    libxl_domain_config *dc = cv->dc;
    const struct xlcfg_value *list;
    size_t n = string_items(cv, "vfb", &list);

    for (size_t i = 0; i < n && !cv->oom; i++) {
        const struct xlcfg_loc *at = &list->items[i]->loc;
        libxl_device_vfb *vfb;
        char *buf, *part, *save = NULL;

        vfb = xlconv_grow(cv, (void **)&dc->vfbs, &dc->num_vfbs,
                          sizeof(*dc->vfbs));
        if (!vfb)
            break;
        libxl_device_vfb_init(vfb);
        vfb->devid = dc->num_vfbs - 1;
        if (!add_vkb(cv))
            break;
        buf = xlconv_strdup(cv, xlcfg_list_string(list, i));
        if (!buf)
            break;
        for (part = next_part(buf, &save); part;
             part = next_part(NULL, &save)) {
            char *eq = strchr(part, '=');
            const char *v;

            if (!eq) {
                xlconv_warn(cv, at, "vfb spec: \"%s\" is not key=value: xl "
                            "stops reading the spec there and ignores the "
                            "rest", part);
                break;
            }
            *eq = '\0';
            v = eq + 1;
            if (!strcmp(part, "vnc"))
                libxl_defbool_set(&vfb->vnc.enable,
                                  lenient_int(cv, at, part, v));
            else if (!strcmp(part, "vnclisten"))
                set_string(cv, &vfb->vnc.listen, v);
            else if (!strcmp(part, "vncpasswd"))
                set_string(cv, &vfb->vnc.passwd, v);
            else if (!strcmp(part, "vncdisplay"))
                vfb->vnc.display = lenient_int(cv, at, part, v);
            else if (!strcmp(part, "vncunused"))
                libxl_defbool_set(&vfb->vnc.findunused,
                                  lenient_int(cv, at, part, v));
            else if (!strcmp(part, "keymap"))
                set_string(cv, &vfb->keymap, v);
            else if (!strcmp(part, "sdl"))
                libxl_defbool_set(&vfb->sdl.enable,
                                  lenient_int(cv, at, part, v));
            else if (!strcmp(part, "opengl"))
                libxl_defbool_set(&vfb->sdl.opengl,
                                  lenient_int(cv, at, part, v));
            else if (!strcmp(part, "display"))
                set_string(cv, &vfb->sdl.display, v);
            else if (!strcmp(part, "xauthority"))
                set_string(cv, &vfb->sdl.xauthority, v);
            else
                xlconv_warn(cv, at, "vfb spec: unknown parameter \"%s\" "
                            "ignored (valid: vnc, vnclisten, vncpasswd, "
                            "vncdisplay, vncunused, keymap, sdl, opengl, "
                            "display, xauthority)", part);
        }
        free(buf);
    }
}

/* ---- vkb --------------------------------------------------------------- */

/* The vkb parameters that are numbers or flags, read with strtoul. */
static const struct {
    const char *key;
    size_t off;
    bool flag;  /* a bool field, else a uint32_t */
} vkb_numbers[] = {
#define VKB_FLAG(key, field) { key, offsetof(libxl_device_vkb, field), true }
#define VKB_U32(key, field) { key, offsetof(libxl_device_vkb, field), false }
    VKB_FLAG("feature-disable-keyboard", feature_disable_keyboard),
    VKB_FLAG("feature-disable-pointer", feature_disable_pointer),
    VKB_FLAG("feature-abs-pointer", feature_abs_pointer),
    VKB_FLAG("feature-raw-pointer", feature_raw_pointer),
    VKB_FLAG("feature-multi-touch", feature_multi_touch),
    VKB_U32("multi-touch-width", multi_touch_width),
    VKB_U32("multi-touch-height", multi_touch_height),
    VKB_U32("multi-touch-num-contacts", multi_touch_num_contacts),
    VKB_U32("width", width),
    VKB_U32("height", height),
#undef VKB_FLAG
#undef VKB_U32
};

/* One "key=value" part of a vkb spec. */
static void vkb_part(struct xlconv *cv, const struct xlcfg_loc *at,
                     libxl_device_vkb *vkb, char *part)
{
    char *eq = strchr(part, '=');
    const char *v;
    libxl_vkb_backend bt;

    /* Every parameter is key=value: a part without '=' matches none. */
    if (!eq) {
        xlconv_err(cv, at, "vkb spec: \"%s\" is not key=value", part);
        return;
    }
    *eq = '\0';
    v = eq + 1;
    if (!strcmp(part, "backend")) {
        set_string(cv, &vkb->backend_domname, v);
        return;
    }
    if (!strcmp(part, "backend-type")) {
        if (libxl_vkb_backend_from_string(v, &bt))
            xlconv_err(cv, at, "vkb spec: unknown backend-type \"%s\" "
                       "(valid: qemu, linux)", v);
        else
            vkb->backend_type = bt;
        return;
    }
    if (!strcmp(part, "unique-id")) {
        set_string(cv, &vkb->unique_id, v);
        return;
    }
    for (size_t k = 0; k < sizeof(vkb_numbers) / sizeof(vkb_numbers[0]);
         k++) {
        char *field = (char *)vkb + vkb_numbers[k].off;

        if (strcmp(part, vkb_numbers[k].key))
            continue;
        if (vkb_numbers[k].flag)
            *(bool *)field = lenient_flag(cv, at, "vkb spec", part, v);
        else
            *(uint32_t *)field = lenient_u32(cv, at, "vkb spec", part, v);
        return;
    }
    xlconv_err(cv, at, "vkb spec: unknown parameter \"%s\" (valid: "
               "backend, backend-type, unique-id, feature-disable-keyboard, "
               "feature-disable-pointer, feature-abs-pointer, "
               "feature-raw-pointer, feature-multi-touch, width, height, "
               "multi-touch-width, multi-touch-height, "
               "multi-touch-num-contacts)", part);
}

/* vkb = [ 'backend-type=qemu|linux[,...]', ... ], after the vfbs' own. */
static void conv_vkb(struct xlconv *cv)
{
    const struct xlcfg_value *list;
    size_t n = string_items(cv, "vkb", &list);

    for (size_t i = 0; i < n && !cv->oom; i++) {
        const struct xlcfg_loc *at = &list->items[i]->loc;
        libxl_device_vkb *vkb = add_vkb(cv);
        char *buf, *part, *save = NULL;
        size_t errors = cv->nerrors;

        if (!vkb)
            break;
        buf = xlconv_strdup(cv, xlcfg_list_string(list, i));
        if (!buf)
            break;
        for (part = next_part(buf, &save); part;
             part = next_part(NULL, &save))
            vkb_part(cv, at, vkb, part);
        free(buf);

        /* Not when a bad backend-type= was already reported. */
        if (vkb->backend_type == LIBXL_VKB_BACKEND_UNKNOWN &&
            cv->nerrors == errors)
            xlconv_err(cv, at, "vkb spec: backend-type= is required "
                       "(qemu or linux)");
        /* Giving any multi-touch size turns multi-touch on; turning it on
         * without any size is an error. */
        if (vkb->multi_touch_width || vkb->multi_touch_height ||
            vkb->multi_touch_num_contacts)
            vkb->feature_multi_touch = true;
        else if (vkb->feature_multi_touch)
            xlconv_err(cv, at, "vkb spec: feature-multi-touch needs "
                       "multi-touch-width, multi-touch-height or "
                       "multi-touch-num-contacts");
    }
}

/* ---- the part's entry point -------------------------------------------- */

void xlconv_devices(struct xlconv *cv)
{
    /* xl's order, which is also the order of the keyboards: those of the
     * vfbs come before those of the vkb list. */
    conv_p9(cv);
    conv_vtpm(cv);
    conv_vdispl(cv);
    conv_pvcalls(cv);
    conv_vsnd(cv);
    conv_channel(cv);
    conv_vfb(cv);
    conv_vkb(cv);
}
