/*
 * xlconv_disk.c - the `disk = [ ... ]` list and the disk spec language
 * of xl-disk-configuration(5), as xl 4.17 reads them.
 *
 * Upstream reads a disk spec with a flex scanner (libxlutil's
 * libxlu_disk_l.l).  Which parameter a piece of text is depends on the
 * scanner's rules: at each point of the spec every rule is tried, the
 * one matching the longest text wins, and on a tie the rule written
 * first wins.  Several rules end in "trailing context" (e.g. `phy:`
 * followed by anything), which counts towards the length of the match
 * but is not consumed.  The odd corners of the language (what is a
 * target, what is a prefix, when `key=value` is an unknown parameter)
 * all follow from that, so this parser keeps the same model: a table
 * of rules in upstream's order, a matcher per rule shape, and
 * longest-match selection.  The actions are written anew.
 */
#define _GNU_SOURCE

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xlconv_int.h"

/* What a rule does with the text it matched. */
enum disk_action {
    A_SPACE,          /* blanks between parameters: nothing */
    A_FORMAT,         /* format=VALUE */
    A_CDROM,          /* cdrom, devtype=cdrom */
    A_DISK,           /* devtype=disk */
    A_BAD_DEVTYPE,    /* devtype=anything else */
    A_ACCESS,
    A_BACKEND,
    A_BACKENDTYPE,
    A_SPECIFICATION,
    A_VDEV,
    A_SCRIPT,
    A_DIRECT_IO_SAFE,
    A_DISCARD,
    A_NO_DISCARD,
    A_COLO,
    A_NO_COLO,
    A_COLO_HOST,
    A_COLO_PORT,
    A_COLO_EXPORT,
    A_ACTIVE_DISK,
    A_HIDDEN_DISK,
    A_TARGET,         /* target=, which takes the rest of the spec */
    A_UNKNOWN_KEY,
    A_FORMAT_PREFIX,  /* raw: qcow: qcow2: vhd: */
    A_SCRIPT_PREFIX,  /* iscsi: nbd: enbd: drbd: */
    A_OLD_PREFIX,     /* tap: aio: phy: ...: ignored */
    A_UNKNOWN_PREFIX,
    A_POSITIONAL,
    A_JUNK,           /* a character no parameter can start with */
};

/* How a rule's text looks ("LIT" stands for the rule's literal). */
enum disk_shape {
    SH_SPACE,          /* [ \t\n]+ then, as context, the rest */
    SH_WORD,           /* LIT ,? */
    SH_KEY,            /* LIT [^,]* ,?  (LIT ends in '=') */
    SH_REST,           /* LIT .* */
    SH_UNKNOWN_KEY,    /* [a-z][-a-z0-9]* = [^,] ,? */
    SH_PREFIX,         /* LIT then, as context, .* (LIT ends in ':') */
    SH_UNKNOWN_PREFIX, /* [a-z][a-z0-9]* : then, as context, nothing or
                          a character other than [a-z0-9] and .* */
    SH_POSITIONAL,     /* [^=,]* , | [^=,]+ ,? */
    SH_ANY,            /* any one character but a newline */
};

struct disk_rule {
    enum disk_shape shape;
    const char *lit;
    enum disk_action act;
};

/*
 * The rules of xl 4.17's disk spec scanner, in its order (the order
 * decides ties).  Version 4.17 has no trusted/untrusted, grant_usage or
 * transport parameters: those words are positional values there (or an
 * unknown parameter), as the oracle confirms.
 */
static const struct disk_rule rules[] = {
    { SH_SPACE, NULL, A_SPACE },
    { SH_KEY, "format=", A_FORMAT },
    { SH_WORD, "cdrom", A_CDROM },
    { SH_WORD, "devtype=cdrom", A_CDROM },
    { SH_WORD, "devtype=disk", A_DISK },
    { SH_KEY, "devtype=", A_BAD_DEVTYPE },
    { SH_KEY, "access=", A_ACCESS },
    { SH_KEY, "backend=", A_BACKEND },
    { SH_KEY, "backendtype=", A_BACKENDTYPE },
    { SH_KEY, "specification=", A_SPECIFICATION },
    { SH_KEY, "vdev=", A_VDEV },
    { SH_KEY, "script=", A_SCRIPT },
    { SH_WORD, "direct-io-safe", A_DIRECT_IO_SAFE },
    { SH_WORD, "discard", A_DISCARD },
    { SH_WORD, "no-discard", A_NO_DISCARD },
    { SH_WORD, "colo", A_COLO },
    { SH_WORD, "no-colo", A_NO_COLO },
    { SH_KEY, "colo-host=", A_COLO_HOST },
    { SH_KEY, "colo-port=", A_COLO_PORT },
    { SH_KEY, "colo-export=", A_COLO_EXPORT },
    { SH_KEY, "active-disk=", A_ACTIVE_DISK },
    { SH_KEY, "hidden-disk=", A_HIDDEN_DISK },
    { SH_REST, "target=", A_TARGET },
    { SH_UNKNOWN_KEY, NULL, A_UNKNOWN_KEY },
    { SH_PREFIX, "raw:", A_FORMAT_PREFIX },
    { SH_PREFIX, "qcow:", A_FORMAT_PREFIX },
    { SH_PREFIX, "qcow2:", A_FORMAT_PREFIX },
    { SH_PREFIX, "vhd:", A_FORMAT_PREFIX },
    { SH_PREFIX, "iscsi:", A_SCRIPT_PREFIX },
    { SH_PREFIX, "nbd:", A_SCRIPT_PREFIX },
    { SH_PREFIX, "enbd:", A_SCRIPT_PREFIX },
    { SH_PREFIX, "drbd:", A_SCRIPT_PREFIX },
    { SH_PREFIX, "tapdisk:", A_OLD_PREFIX },
    { SH_PREFIX, "tap:", A_OLD_PREFIX },
    { SH_PREFIX, "tap2:", A_OLD_PREFIX },
    { SH_PREFIX, "aio:", A_OLD_PREFIX },
    { SH_PREFIX, "ioemu:", A_OLD_PREFIX },
    { SH_PREFIX, "file:", A_OLD_PREFIX },
    { SH_PREFIX, "phy:", A_OLD_PREFIX },
    { SH_UNKNOWN_PREFIX, NULL, A_UNKNOWN_PREFIX },
    { SH_POSITIONAL, NULL, A_POSITIONAL },
    { SH_ANY, NULL, A_JUNK },
};

/* The state of the parse of one spec. */
struct disk_parse {
    struct xlconv *cv;
    const struct xlcfg_loc *at;
    const char *spec;
    libxl_device_disk *disk;
    bool had_prefix;   /* a legacy prefix was seen: no format position */
    bool access_set;   /* the access position has been used */
    bool failed;       /* an error was reported */
    bool stop;         /* the error ends the parse, as upstream's does */
};

static bool is_lower(char c)
{
    return c >= 'a' && c <= 'z';
}

static bool is_lower_or_digit(char c)
{
    return is_lower(c) || (c >= '0' && c <= '9');
}

/* The length of the text up to the end of the line: flex's `.*`. */
static size_t to_eol(const char *p)
{
    return strcspn(p, "\n");
}

/* An optional comma at p. */
static size_t opt_comma(const char *p)
{
    return *p == ',';
}

/*
 * How much text at p the rule matches, counting its trailing context,
 * or 0 when it does not match (no rule matches the empty string).
 * *head is set to the length of the text the rule consumes.
 */
static size_t rule_match(const struct disk_rule *r, const char *p,
                         size_t *head)
{
    size_t n = 0, len = r->lit ? strlen(r->lit) : 0;

    switch (r->shape) {
    case SH_SPACE:
        n = strspn(p, " \t\n");
        if (!n)
            return 0;
        *head = n;
        /* The context: a non-blank, then the rest of the line. */
        return p[n] ? n + 1 + to_eol(p + n + 1) : n;
    case SH_WORD:
        if (strncmp(p, r->lit, len))
            return 0;
        *head = len + opt_comma(p + len);
        return *head;
    case SH_KEY:
        if (strncmp(p, r->lit, len))
            return 0;
        n = len + strcspn(p + len, ",");
        *head = n + opt_comma(p + n);
        return *head;
    case SH_REST:
        if (strncmp(p, r->lit, len))
            return 0;
        *head = len + to_eol(p + len);
        return *head;
    case SH_UNKNOWN_KEY:
        if (!is_lower(p[0]))
            return 0;
        n = 1;
        while (is_lower_or_digit(p[n]) || p[n] == '-')
            n++;
        if (p[n] != '=' || !p[n + 1] || p[n + 1] == ',')
            return 0;
        n += 2;
        *head = n + opt_comma(p + n);
        return *head;
    case SH_PREFIX:
        if (strncmp(p, r->lit, len))
            return 0;
        *head = len;
        return len + to_eol(p + len);
    case SH_UNKNOWN_PREFIX:
        if (!is_lower(p[0]))
            return 0;
        n = 1;
        while (is_lower_or_digit(p[n]))
            n++;
        if (p[n] != ':')
            return 0;
        *head = ++n;
        if (p[n] && !is_lower_or_digit(p[n]))
            return n + 1 + to_eol(p + n + 1);
        return n;
    case SH_POSITIONAL:
        n = strcspn(p, "=,");
        if (p[n] == ',')
            n++;
        *head = n;
        return n;
    case SH_ANY:
        *head = (*p && *p != '\n');
        return *head;
    }
    return 0;
}

/*
 * Record a diagnostic about the spec being parsed: what is wrong, after
 * the spec itself so that the admin sees which disk.  A spec may hold
 * newlines and tabs (from escapes), which are shown escaped to keep the
 * diagnostic on one line.
 */
static void dp_diag(struct disk_parse *dp, bool error, const char *fmt,
                    va_list ap)
{
    char *msg = NULL, *full = NULL, *shown = NULL;
    size_t n = 0;

    if (vasprintf(&msg, fmt, ap) < 0) {
        msg = NULL;
        goto out;
    }
    if (asprintf(&full, "disk spec \"%s\": %s", dp->spec, msg) < 0) {
        full = NULL;
        goto out;
    }
    shown = malloc(4 * strlen(full) + 1);
    if (!shown)
        goto out;
    for (const unsigned char *c = (const unsigned char *)full; *c; c++) {
        if (*c == '\n')
            n += (size_t)sprintf(shown + n, "\\n");
        else if (*c == '\t')
            n += (size_t)sprintf(shown + n, "\\t");
        else if (*c < ' ' || *c == 0x7f)
            n += (size_t)sprintf(shown + n, "\\x%02x", *c);
        else
            shown[n++] = (char)*c;
    }
    shown[n] = '\0';
    if (error)
        xlconv_err(dp->cv, dp->at, "%s", shown);
    else
        xlconv_warn(dp->cv, dp->at, "%s", shown);

out:
    if (!shown) {
        dp->cv->oom = true;
        /* An error must count even when it cannot be worded. */
        if (error)
            dp->cv->nerrors++;
    }
    free(shown);
    free(full);
    free(msg);
}

static void __attribute__((format(printf, 2, 3)))
dp_err(struct disk_parse *dp, const char *fmt, ...)
{
    va_list ap;

    dp->failed = true;
    va_start(ap, fmt);
    dp_diag(dp, true, fmt, ap);
    va_end(ap);
}

static void __attribute__((format(printf, 2, 3)))
dp_warn(struct disk_parse *dp, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    dp_diag(dp, false, fmt, ap);
    va_end(ap);
}

/* Remove one trailing `c` from s, as the scanner does before it reads
 * a value. */
static void strip(char *s, char c)
{
    size_t n = strlen(s);

    if (n && s[n - 1] == c)
        s[n - 1] = '\0';
}

/*
 * Store a string parameter.  Giving it twice is an error, except when
 * the first value was empty: upstream lets a later value replace an
 * empty one silently.
 */
static void set_string(struct disk_parse *dp, const char *what, char **field,
                       const char *value)
{
    size_t n = strlen(value);

    if (*field && **field) {
        dp_err(dp, "%s is given twice (\"%s\", then \"%s\")", what, *field,
               value);
        return;
    }
    free(*field);
    *field = xlconv_strdup(dp->cv, value);
    /* Leading blanks are skipped between parameters but trailing ones
     * stay in the value, which is easy to miss in a path. */
    if (n && strchr(" \t\n", value[n - 1]))
        dp_warn(dp, "the %s \"%s\" ends in a blank, which is kept as part "
                "of it", what, value);
}

/* Set an enumerated parameter: giving it again with another value is an
 * error, with the same value harmless.  `earlier` names the value set
 * before, if any (every enum here has 0 for "not set"). */
static void set_enum(struct disk_parse *dp, const char *what, int *field,
                     int value, const char *text, const char *earlier)
{
    if (*field != 0 && *field != value)
        dp_err(dp, "%s \"%s\" conflicts with the %s given earlier "
               "(\"%s\")%s", what, text, what, earlier ? earlier : "?",
               !strcmp(what, "format") && *field == LIBXL_DISK_FORMAT_RAW ?
               " (an empty format also means raw)" : "");
    else
        *field = value;
}

static void set_format(struct disk_parse *dp, const char *s)
{
    static const struct {
        const char *name;
        libxl_disk_format format;
    } formats[] = {
        { "", LIBXL_DISK_FORMAT_RAW },
        { "raw", LIBXL_DISK_FORMAT_RAW },
        { "qcow", LIBXL_DISK_FORMAT_QCOW },
        { "qcow2", LIBXL_DISK_FORMAT_QCOW2 },
        { "vhd", LIBXL_DISK_FORMAT_VHD },
        { "empty", LIBXL_DISK_FORMAT_EMPTY },
        { "qed", LIBXL_DISK_FORMAT_QED },
    };
    int f = (int)dp->disk->format;

    for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
        if (!strcmp(s, formats[i].name)) {
            set_enum(dp, "format", &f, (int)formats[i].format, s,
                     libxl_disk_format_to_string(dp->disk->format));
            dp->disk->format = (libxl_disk_format)f;
            return;
        }
    }
    dp_err(dp, "unknown disk format \"%s\" (raw, qcow, qcow2, vhd, qed or "
           "empty; in the positional form target,format,vdev,access the "
           "second field is the format unless the target has a prefix such "
           "as phy:)", s);
}

static void set_access(struct disk_parse *dp, const char *s)
{
    if (!strcmp(s, "r") || !strcmp(s, "ro"))
        dp->disk->readwrite = 0;
    else if (!strcmp(s, "rw") || !strcmp(s, "w") || !*s)
        dp->disk->readwrite = 1;
    else
        dp_err(dp, "unknown access mode \"%s\" (r, ro, w or rw)", s);
}

static void set_backendtype(struct disk_parse *dp, const char *s)
{
    static const struct {
        const char *name;
        libxl_disk_backend backend;
    } types[] = {
        { "phy", LIBXL_DISK_BACKEND_PHY },
        { "tap", LIBXL_DISK_BACKEND_TAP },
        { "qdisk", LIBXL_DISK_BACKEND_QDISK },
        { "standalone", LIBXL_DISK_BACKEND_STANDALONE },
    };
    int b = (int)dp->disk->backend;

    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        if (!strcmp(s, types[i].name)) {
            set_enum(dp, "backendtype", &b, (int)types[i].backend, s,
                     libxl_disk_backend_to_string(dp->disk->backend));
            dp->disk->backend = (libxl_disk_backend)b;
            return;
        }
    }
    dp_err(dp, "unknown backendtype \"%s\" (phy, tap, qdisk or standalone)",
           s);
}

static void set_specification(struct disk_parse *dp, const char *s)
{
    const char *earlier =
        libxl_disk_specification_to_string(dp->disk->specification);
    int v = (int)dp->disk->specification;

    if (!strcmp(s, "xen"))
        set_enum(dp, "specification", &v, LIBXL_DISK_SPECIFICATION_XEN, s,
                 earlier);
    else if (!strcmp(s, "virtio"))
        set_enum(dp, "specification", &v, LIBXL_DISK_SPECIFICATION_VIRTIO,
                 s, earlier);
    else
        dp_err(dp, "unknown specification \"%s\" (xen or virtio)", s);
    dp->disk->specification = (libxl_disk_specification)v;
}

/*
 * colo-port takes what atoi() makes of the text: the leading digits,
 * wrapped to an int, and 0 (which includes no digits at all) is refused.
 */
static void set_colo_port(struct disk_parse *dp, const char *s)
{
    char *end;
    long l = strtol(s, &end, 10);
    int port = (int)l;

    if (!port) {
        dp_err(dp, "colo-port \"%s\" is not a port number", s);
        return;
    }
    if (*end || l != port || port < 0 || port > 65535)
        dp_warn(dp, "colo-port \"%s\" is read as %d", s, port);
    dp->disk->colo_port = port;
}

/*
 * A vdev followed by ":cdrom" or ":disk", the old way to give the device
 * type.  Returns false, doing nothing, when s has no colon.
 */
static bool vdev_with_type(struct disk_parse *dp, char *s)
{
    char *colon = strrchr(s, ':');

    if (!colon)
        return false;
    *colon++ = '\0';
    set_string(dp, "vdev", &dp->disk->vdev, s);
    if (!strcmp(colon, "cdrom"))
        dp->disk->is_cdrom = 1;
    else if (!strcmp(colon, "disk"))
        dp->disk->is_cdrom = 0;
    else
        dp_err(dp, "unknown device type \"%s\" after the vdev (cdrom or "
               "disk)", colon);
    return true;
}

/*
 * The positional form: target, then format (unless a legacy prefix such
 * as phy: or tap:aio: came first), then vdev, then access.
 */
static void positional(struct disk_parse *dp, char *s)
{
    libxl_device_disk *disk = dp->disk;

    strip(s, ',');
    if (dp->failed) {
        /* Upstream ignores positional values after an error, which would
         * only cause more confusing errors. */
        return;
    }
    /* xl-disk-configuration(5) of 4.17 documents these flags, but xl 4.17
     * does not know them: they are positional values like any word. */
    if (!strcmp(s, "trusted") || !strcmp(s, "untrusted"))
        dp_warn(dp, "xl 4.17 has no disk option \"%s\": it is read as a "
                "positional value (target, format, vdev or access)", s);
    if (!disk->pdev_path) {
        set_string(dp, "target", &disk->pdev_path, s);
    } else if (!dp->had_prefix &&
               disk->format == LIBXL_DISK_FORMAT_UNKNOWN) {
        /* With an empty target, "vdev:type" may stand in the format's
         * place: the disk is then an empty (removable) drive. */
        if (!*disk->pdev_path && vdev_with_type(dp, s))
            disk->format = LIBXL_DISK_FORMAT_EMPTY;
        else
            set_format(dp, s);
    } else if (!disk->vdev) {
        if (!vdev_with_type(dp, s))
            set_string(dp, "vdev", &disk->vdev, s);
    } else if (!dp->access_set) {
        dp->access_set = true;
        set_access(dp, s);
    } else {
        dp_err(dp, "too many positional parameters at \"%s\" (at most "
               "target,format,vdev,access; use key=value for the rest)", s);
        dp->stop = true;
    }
}

/* Carry out a rule's action on the text it consumed. */
static void act(struct disk_parse *dp, enum disk_action a, char *tok)
{
    libxl_device_disk *disk = dp->disk;
    /* For key=value rules, the value. */
    char *val = strchr(tok, '=');

    val = val ? val + 1 : tok;
    switch (a) {
    case A_SPACE:
        break;
    case A_FORMAT:
        strip(val, ',');
        set_format(dp, val);
        break;
    case A_CDROM:
        disk->is_cdrom = 1;
        break;
    case A_DISK:
        disk->is_cdrom = 0;
        break;
    case A_BAD_DEVTYPE:
        strip(val, ',');
        dp_err(dp, "unknown devtype \"%s\" (cdrom or disk)", val);
        break;
    case A_ACCESS:
        strip(val, ',');
        set_access(dp, val);
        break;
    case A_BACKEND:
        strip(val, ',');
        set_string(dp, "backend", &disk->backend_domname, val);
        break;
    case A_BACKENDTYPE:
        strip(val, ',');
        set_backendtype(dp, val);
        break;
    case A_SPECIFICATION:
        strip(val, ',');
        set_specification(dp, val);
        break;
    case A_VDEV:
        strip(val, ',');
        set_string(dp, "vdev", &disk->vdev, val);
        break;
    case A_SCRIPT:
        strip(val, ',');
        set_string(dp, "script", &disk->script, val);
        break;
    case A_DIRECT_IO_SAFE:
        disk->direct_io_safe = true;
        break;
    case A_DISCARD:
        libxl_defbool_set(&disk->discard_enable, true);
        break;
    case A_NO_DISCARD:
        libxl_defbool_set(&disk->discard_enable, false);
        break;
    case A_COLO:
        libxl_defbool_set(&disk->colo_enable, true);
        break;
    case A_NO_COLO:
        libxl_defbool_set(&disk->colo_enable, false);
        break;
    case A_COLO_HOST:
        strip(val, ',');
        set_string(dp, "colo-host", &disk->colo_host, val);
        break;
    case A_COLO_PORT:
        strip(val, ',');
        set_colo_port(dp, val);
        break;
    case A_COLO_EXPORT:
        strip(val, ',');
        set_string(dp, "colo-export", &disk->colo_export, val);
        break;
    case A_ACTIVE_DISK:
        strip(val, ',');
        set_string(dp, "active-disk", &disk->active_disk, val);
        break;
    case A_HIDDEN_DISK:
        strip(val, ',');
        set_string(dp, "hidden-disk", &disk->hidden_disk, val);
        break;
    case A_TARGET:
        /* target= takes everything after it, commas included (which is
         * how a path with a comma or colon is written), but a single
         * final comma is dropped. */
        strip(val, ',');
        set_string(dp, "target", &disk->pdev_path, val);
        break;
    case A_UNKNOWN_KEY:
        val[-1] = '\0';
        dp_err(dp, "unknown parameter \"%s\" (format, vdev, access, "
               "devtype, target, backend, backendtype, specification, "
               "script, colo-host, colo-port, colo-export, active-disk, "
               "hidden-disk)", tok);
        break;
    case A_FORMAT_PREFIX:
        strip(tok, ':');
        dp->had_prefix = true;
        set_format(dp, tok);
        break;
    case A_SCRIPT_PREFIX: {
        char *script;

        strip(tok, ':');
        dp->had_prefix = true;
        if (asprintf(&script, "block-%s", tok) < 0) {
            dp->cv->oom = true;
            dp->failed = dp->stop = true;
            break;
        }
        set_string(dp, "script", &disk->script, script);
        free(script);
        break;
    }
    case A_OLD_PREFIX:
        /* Prefixes of xm and early xl: they say nothing any more. */
        dp->had_prefix = true;
        break;
    case A_UNKNOWN_PREFIX:
        dp_err(dp, "unknown prefix \"%s\" (raw:, qcow:, qcow2:, vhd:, "
               "phy:, file:, tap:, tap2:, tapdisk:, aio:, ioemu:, iscsi:, "
               "nbd:, enbd: or drbd:; write a target containing ':' as "
               "target=...)", tok);
        dp->stop = true;
        break;
    case A_POSITIONAL:
        positional(dp, tok);
        break;
    case A_JUNK:
        /* Unreachable here: parse_spec() handles it, as it ends the
         * parse with the rest of the line. */
        break;
    }
}

/* Run the rules over the spec, as upstream's scanner does. */
static void parse_spec(struct disk_parse *dp)
{
    const char *p = dp->spec;

    while (*p && !dp->stop && !dp->cv->oom) {
        const struct disk_rule *best = NULL;
        size_t best_len = 0, best_head = 0;
        char *tok;

        for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
            size_t head = 0, len = rule_match(&rules[i], p, &head);

            /* Strictly longer: on a tie the earlier rule wins. */
            if (len > best_len) {
                best = &rules[i];
                best_len = len;
                best_head = head;
            }
        }
        if (!best) {
            /* Every character starts some match; be safe anyway. */
            dp_err(dp, "cannot read it");
            break;
        }
        if (best->act == A_JUNK) {
            /* No parameter starts here (only '=' gets here: a parameter
             * name is lower-case letters, digits and '-', and positional
             * values cannot contain '=').  Upstream's scanner then reads
             * the rest of the line as an error, but at the very end of
             * the spec there is no rest and it stops without one. */
            if (!p[1])
                dp_warn(dp, "the final '%c' is ignored", *p);
            else
                dp_err(dp, "unexpected text \"%.*s\" (parameters are "
                       "key=value with a lower-case key, or positional "
                       "values which cannot contain '=')",
                       (int)(1 + to_eol(p + 1)), p);
            break;
        }
        tok = strndup(p, best_head);
        if (!tok) {
            dp->cv->oom = true;
            break;
        }
        act(dp, best->act, tok);
        free(tok);
        p += best_head;
    }
}

int xlconv_disk_spec(struct xlconv *cv, const char *spec,
                     const struct xlcfg_loc *at, libxl_device_disk *disk)
{
    struct disk_parse dp = {
        .cv = cv, .at = at, .spec = spec, .disk = disk,
    };

    disk->readwrite = 1;
    parse_spec(&dp);
    if (dp.failed || cv->oom)
        return dp.failed ? EINVAL : ENOMEM;

    if (disk->format == LIBXL_DISK_FORMAT_UNKNOWN)
        disk->format = LIBXL_DISK_FORMAT_RAW;
    /* A CD-ROM drive is removable and read-only; without a medium it is
     * an empty drive whatever format was given. */
    if (disk->is_cdrom) {
        disk->removable = 1;
        disk->readwrite = 0;
        if (!disk->pdev_path || !*disk->pdev_path)
            disk->format = LIBXL_DISK_FORMAT_EMPTY;
    }
    if (!disk->vdev) {
        dp_err(&dp, "no vdev (the guest's device name, e.g. xvda) is given");
        return EINVAL;
    }
    if (!disk->pdev_path && !disk->removable) {
        dp_err(&dp, "no target is given, which only a CD-ROM drive may "
               "leave out");
        return EINVAL;
    }
    return 0;
}

int xlconv_disk(const struct xlconv_host *host, const char *spec,
                libxl_device_disk *disk, char *why, size_t len)
{
    struct xlcfg cfg;
    struct xlconv cv;
    int rc;

    /* A conversion context of its own, for the diagnostics. */
    xlcfg_init(&cfg);
    memset(&cv, 0, sizeof(cv));
    cv.cfg = &cfg;
    cv.host = host;
    rc = xlconv_disk_spec(&cv, spec, NULL, disk);
    if (rc == EINVAL)
        xlconv_first_error(&cv, "not a disk spec", why, len);
    else if (rc)
        snprintf(why, len, "out of memory");
    xlcfg_dispose(&cfg);
    return rc;
}

/*
 * A run of lower-case letters as a disk index, the way Xen's vbd names
 * count (a..z, then aa, ab...: bijective base 26), then an optional
 * partition number.  *p is moved past what was read.  false when there
 * is no letter, the index passes max_disk or the partition max_part.
 */
static bool vdev_letters(const char **p, long max_disk, long *disk,
                         long max_part, long *part)
{
    const char *s = *p;
    long d = 0, n = 0;

    if (*s < 'a' || *s > 'z')
        return false;
    for (; *s >= 'a' && *s <= 'z'; s++) {
        d = d * 26 + (*s - 'a' + 1);
        if (d - 1 > max_disk)
            return false;
    }
    /* A partition number never starts with 0 (xvda0 is no name). */
    if (*s == '0')
        return false;
    for (; *s >= '0' && *s <= '9'; s++) {
        n = n * 10 + (*s - '0');
        if (n > max_part)
            return false;
    }
    if (*s)
        return false;
    *disk = d - 1;
    *part = n;
    *p = s;
    return true;
}

int xlconv_vdev_devid(const char *vdev)
{
    const char *p;
    long disk, part;
    char *end;

    if (!vdev)
        return -1;
    if (!strncmp(vdev, "xvd", 3)) {
        p = vdev + 3;
        if (!vdev_letters(&p, (1L << 20) - 1, &disk, 255, &part))
            return -1;
        if (disk < 16 && part < 16)
            return (int)((202L << 8) | (disk << 4) | part);
        return (int)((1L << 28) | (disk << 8) | part);
    }
    if (!strncmp(vdev, "hd", 2)) {
        p = vdev + 2;
        if (!vdev_letters(&p, 3, &disk, 63, &part))
            return -1;
        return (int)(((disk < 2 ? 3L : 22L) << 8) | ((disk & 1) << 6)
                     | part);
    }
    if (!strncmp(vdev, "sd", 2)) {
        p = vdev + 2;
        if (!vdev_letters(&p, 15, &disk, 15, &part))
            return -1;
        return (int)((8L << 8) | (disk << 4) | part);
    }
    /* dDpP, the form for disks past what the names can number. */
    if (vdev[0] == 'd' && vdev[1] >= '0' && vdev[1] <= '9') {
        disk = strtol(vdev + 1, &end, 10);
        part = 0;
        if (*end == 'p' && end[1] >= '0' && end[1] <= '9')
            part = strtol(end + 1, &end, 10);
        if (*end || disk > (1L << 20) - 1 || part > 255)
            return -1;
        return (int)((1L << 28) | (disk << 8) | part);
    }
    return -1;
}

void xlconv_disks(struct xlconv *cv)
{
    libxl_domain_config *dc = cv->dc;
    const struct xlcfg_value *list;

    if (xlconv_list(cv, "disk", &list, false))
        return;
    for (size_t i = 0; i < list->nitems; i++) {
        const char *spec = xlcfg_list_string(list, i);
        libxl_device_disk *disk;

        if (!spec) {
            /* xl reads the list up to its first item that is not a
             * string and silently ignores the rest. */
            xlconv_warn(cv, &list->items[i]->loc, "a disk spec must be a "
                        "string, not a list: xl ignores this item and the "
                        "%zu after it", list->nitems - i - 1);
            break;
        }
        disk = xlconv_grow(cv, (void **)&dc->disks, &dc->num_disks,
                           sizeof(*dc->disks));
        if (!disk)
            return;
        libxl_device_disk_init(disk);
        xlconv_disk_spec(cv, spec, &list->items[i]->loc, disk);
    }
}
