/*
 * xendomains.c - /etc/default/xendomains read as data (see xendomains.h).
 *
 * The file is read line by line, each logical line (backslash-newline
 * joins lines) being one assignment.  Nothing of the shell runs: a line
 * that would need the shell to mean something (an expansion, a command)
 * is reported and skipped, so that an admin's file can never make xld
 * execute anything, and the rest of the file still counts.
 */
#define _GNU_SOURCE

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xendomains.h"

/* A file bigger than this is not a settings file. */
#define MAX_FILE (1024 * 1024)

static int set_str(char **field, const char *value)
{
    char *copy = strdup(value);

    if (!copy)
        return ENOMEM;
    free(*field);
    *field = copy;
    return 0;
}

int xld_xd_init(struct xld_xd *xd)
{
    memset(xd, 0, sizeof(*xd));
    xd->restore = true;
    xd->usleep = 100000;
    xd->stop_maxwait = 300;
    xd->parallel = XLD_XD_PARALLEL;
    if (set_str(&xd->save, "/var/lib/xen/save")
        || set_str(&xd->auto_dir, "/etc/xen/auto")
        || set_str(&xd->migrate, "")
        || set_str(&xd->shutdown, "--wait")
        || set_str(&xd->shutdown_all, "--all --wait")
        || set_str(&xd->sysrq, ""))
        return ENOMEM;
    return 0;
}

void xld_xd_dispose(struct xld_xd *xd)
{
    free(xd->save);
    free(xd->auto_dir);
    free(xd->migrate);
    free(xd->shutdown);
    free(xd->shutdown_all);
    free(xd->sysrq);
    for (size_t i = 0; i < xd->ndiags; i++)
        free(xd->diags[i].msg);
    free(xd->diags);
    memset(xd, 0, sizeof(*xd));
}

static int diag(struct xld_xd *xd, unsigned line, bool error,
                const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int diag(struct xld_xd *xd, unsigned line, bool error,
                const char *fmt, ...)
{
    struct xld_xd_diag *d;
    va_list ap;
    char *msg;
    int n;

    va_start(ap, fmt);
    n = vasprintf(&msg, fmt, ap);
    va_end(ap);
    if (n < 0)
        return ENOMEM;
    d = realloc(xd->diags, (xd->ndiags + 1) * sizeof(*d));
    if (!d) {
        free(msg);
        return ENOMEM;
    }
    xd->diags = d;
    d[xd->ndiags].line = line;
    d[xd->ndiags].error = error;
    d[xd->ndiags].msg = msg;
    xd->ndiags++;
    xd->nerrors += error;
    return 0;
}

/* ---- the values of the settings ------------------------------------- */

static bool parse_bool(const char *v, bool *out)
{
    static const char *const yes[] = { "true", "yes", "1", "on" };
    static const char *const no[] = { "false", "no", "0", "off", "" };

    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
        if (!strcasecmp(v, yes[i])) {
            *out = true;
            return true;
        }
    for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
        if (!strcasecmp(v, no[i])) {
            *out = false;
            return true;
        }
    return false;
}

static bool parse_uint(const char *v, uint64_t max, uint64_t *out)
{
    unsigned long long n;
    char *end;

    if (!isdigit((unsigned char)*v))
        return false;
    errno = 0;
    n = strtoull(v, &end, 10);
    if (errno || *end || n > max)
        return false;
    *out = n;
    return true;
}

enum kind { K_STR, K_BOOL, K_USEC, K_UINT };

struct setting {
    const char *name;
    enum kind kind;
    size_t off;           /* into struct xld_xd */
    uint64_t min, max;    /* K_UINT */
};

#define OFF(f) offsetof(struct xld_xd, f)

static const struct setting settings[] = {
    { "XENDOMAINS_SAVE", K_STR, OFF(save), 0, 0 },
    { "XENDOMAINS_RESTORE", K_BOOL, OFF(restore), 0, 0 },
    { "XENDOMAINS_AUTO", K_STR, OFF(auto_dir), 0, 0 },
    { "XENDOMAINS_MIGRATE", K_STR, OFF(migrate), 0, 0 },
    { "XENDOMAINS_SHUTDOWN", K_STR, OFF(shutdown), 0, 0 },
    { "XENDOMAINS_SHUTDOWN_ALL", K_STR, OFF(shutdown_all), 0, 0 },
    { "XENDOMAINS_SYSRQ", K_STR, OFF(sysrq), 0, 0 },
    { "XENDOMAINS_USLEEP", K_USEC, OFF(usleep), 0, 0 },
    { "XENDOMAINS_CREATE_USLEEP", K_USEC, OFF(create_usleep), 0, 0 },
    { "XENDOMAINS_AUTO_ONLY", K_BOOL, OFF(auto_only), 0, 0 },
    { "XENDOMAINS_STOP_MAXWAIT", K_UINT, OFF(stop_maxwait), 0, 86400 * 7 },
    { "XENDOMAINS_PARALLEL", K_UINT, OFF(parallel), 1, 1024 },
    { "XENDOMAINS_STOP_DESTROY", K_BOOL, OFF(stop_destroy), 0, 0 },
};

static int apply(struct xld_xd *xd, unsigned line, const char *name,
                 const char *value)
{
    const struct setting *s = NULL;
    char *base = (char *)xd;
    uint64_t n;
    bool b;

    if (strncmp(name, "XENDOMAINS_", 11) != 0)
        return 0;   /* not ours: a helper variable of the admin's */
    for (size_t i = 0; i < sizeof(settings) / sizeof(settings[0]); i++)
        if (!strcmp(settings[i].name, name))
            s = &settings[i];
    if (!s)
        return diag(xd, line, false, "%s: unknown setting, ignored", name);
    switch (s->kind) {
    case K_STR:
        return set_str((char **)(base + s->off), value);
    case K_BOOL:
        if (!parse_bool(value, &b))
            return diag(xd, line, false, "%s: '%s' is neither true nor "
                        "false; the default stands", name, value);
        *(bool *)(base + s->off) = b;
        return 0;
    case K_USEC:
        /* Upstream's usleep of an empty value sleeps for nothing. */
        if (!*value) {
            *(uint64_t *)(base + s->off) = 0;
            return 0;
        }
        if (!parse_uint(value, UINT64_MAX / 2, &n))
            return diag(xd, line, false, "%s: '%s' is not a number of "
                        "microseconds; the default stands", name, value);
        *(uint64_t *)(base + s->off) = n;
        return 0;
    case K_UINT:
        if (!parse_uint(value, s->max, &n) || n < s->min)
            return diag(xd, line, false, "%s: '%s' is not a whole number "
                        "from %llu to %llu; the default stands", name,
                        value, (unsigned long long)s->min,
                        (unsigned long long)s->max);
        *(unsigned *)(base + s->off) = (unsigned)n;
        return 0;
    }
    return 0;
}

/* ---- the shell subset ------------------------------------------------ */

/* The characters that end an unquoted word, or that would make the
 * shell do something we do not (a redirection, a pipe, a subshell). */
static bool special(int c)
{
    return strchr("|&<>()", c) != NULL;
}

/*
 * One logical line (NUL-terminated, joined already).  Returns 0 (with
 * a diagnostic for a line it does not take) or ENOMEM.
 */
static int parse_line(struct xld_xd *xd, unsigned lineno, const char *p)
{
    char name[128], *val = NULL;
    size_t nlen = 0, vlen = 0;
    const char *why = NULL;
    int rc = 0;

    while (*p == ' ' || *p == '\t')
        p++;
    if (!*p || *p == '#')
        return 0;
    if (!strncmp(p, "export", 6) && (p[6] == ' ' || p[6] == '\t')) {
        p += 6;
        while (*p == ' ' || *p == '\t')
            p++;
    }
    if (!(isalpha((unsigned char)*p) || *p == '_'))
        goto not_assignment;
    while (isalnum((unsigned char)*p) || *p == '_') {
        if (nlen + 1 >= sizeof(name))
            goto not_assignment;
        name[nlen++] = *p++;
    }
    name[nlen] = '\0';
    if (*p != '=')
        goto not_assignment;
    p++;
    /* The value can only shrink from the text. */
    val = malloc(strlen(p) + 1);
    if (!val)
        return ENOMEM;
    while (*p && *p != ' ' && *p != '\t' && *p != ';') {
        if (*p == '\'') {
            const char *end = strchr(p + 1, '\'');

            if (!end) {
                why = "a single quote is not closed";
                goto bad;
            }
            memcpy(val + vlen, p + 1, (size_t)(end - p - 1));
            vlen += (size_t)(end - p - 1);
            p = end + 1;
        } else if (*p == '"') {
            for (p++; *p != '"'; p++) {
                if (!*p) {
                    why = "a double quote is not closed";
                    goto bad;
                }
                if (*p == '$' || *p == '`') {
                    why = "expansions ($..., `...`) are not supported: "
                          "write the value itself";
                    goto bad;
                }
                if (*p == '\\' && p[1] && strchr("$`\"\\", p[1]))
                    p++;
                val[vlen++] = *p;
            }
            p++;
        } else if (*p == '\\') {
            if (!p[1]) {
                why = "a backslash ends the file";
                goto bad;
            }
            val[vlen++] = p[1];
            p += 2;
        } else if (*p == '$' || *p == '`') {
            why = "expansions ($..., `...`) are not supported: write the "
                  "value itself";
            goto bad;
        } else if (special((unsigned char)*p)) {
            why = "the value has a shell operator; quote it";
            goto bad;
        } else if (*p == '~' && vlen == 0) {
            why = "'~' is not expanded: write the whole path";
            goto bad;
        } else {
            val[vlen++] = *p++;
        }
    }
    val[vlen] = '\0';
    while (*p == ' ' || *p == '\t')
        p++;
    if (*p == ';') {
        p++;
        while (*p == ' ' || *p == '\t')
            p++;
    }
    if (*p && *p != '#') {
        why = "something follows the value (a command, or an unquoted "
              "space?); quote the value";
        goto bad;
    }
    rc = apply(xd, lineno, name, val);
    free(val);
    return rc;

bad:
    rc = diag(xd, lineno, true, "%s: %s; the line is ignored", name, why);
    free(val);
    return rc;

not_assignment:
    return diag(xd, lineno, true, "not an assignment NAME=VALUE (xld reads "
                "this file as data and runs no shell); the line is ignored");
}

int xld_xd_parse_buffer(struct xld_xd *xd, const char *buf, size_t len)
{
    char *line = malloc(len + 1);
    unsigned lineno = 1, first = 1;
    size_t n = 0;
    int rc = 0;

    if (!line)
        return ENOMEM;
    for (size_t i = 0; i <= len && !rc; i++) {
        char c = i < len ? buf[i] : '\n';

        if (c == '\\' && i + 1 < len && buf[i + 1] == '\n') {
            /* Joined with the next line, as the shell does. */
            i++;
            lineno++;
            continue;
        }
        if (c == '\0') {
            rc = diag(xd, lineno, true, "a NUL byte: this is not a text "
                      "file; the rest of the file is ignored");
            break;
        }
        if (c != '\n') {
            line[n++] = c;
            continue;
        }
        if (i == len && n == 0)
            break;
        line[n] = '\0';
        if (n && line[n - 1] == '\r')
            line[n - 1] = '\0';
        rc = parse_line(xd, first, line);
        n = 0;
        lineno++;
        first = lineno;
    }
    free(line);
    return rc;
}

int xld_xd_parse_file(struct xld_xd *xd, const char *path)
{
    char *buf = NULL;
    size_t len = 0;
    ssize_t r;
    int fd, rc = 0;

    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno;
    buf = malloc(MAX_FILE + 1);
    if (!buf) {
        rc = ENOMEM;
        goto out;
    }
    while ((r = read(fd, buf + len, MAX_FILE + 1 - len)) != 0) {
        if (r < 0) {
            if (errno == EINTR)
                continue;
            rc = errno;
            goto out;
        }
        len += (size_t)r;
        if (len > MAX_FILE) {
            rc = EFBIG;
            goto out;
        }
    }
    rc = xld_xd_parse_buffer(xd, buf, len);

out:
    free(buf);
    close(fd);
    return rc;
}

void xld_xd_shutdown_flags(const char *opts, bool *wait, bool *force,
                           char *bad, size_t badlen)
{
    const char *p = opts;

    *wait = false;
    *force = false;
    if (badlen)
        bad[0] = '\0';
    while (*p) {
        size_t n;

        p += strspn(p, " \t");
        n = strcspn(p, " \t");
        if (!n)
            break;
        if ((n == 6 && !strncmp(p, "--wait", 6)) || (n == 2
                                                     && !strncmp(p, "-w", 2)))
            *wait = true;
        else if (n == 2 && !strncmp(p, "-F", 2))
            *force = true;
        else if ((n == 5 && !strncmp(p, "--all", 5))
                 || (n == 2 && !strncmp(p, "-a", 2)))
            ;   /* xld goes through every domain anyway */
        else if (badlen && !bad[0])
            snprintf(bad, badlen, "%.*s", (int)n, p);
        p += n;
    }
}

void xld_xd_migrate_init(struct xld_xd_migrate *m)
{
    memset(m, 0, sizeof(*m));
}

void xld_xd_migrate_dispose(struct xld_xd_migrate *m)
{
    free(m->ssh);
    free(m->config);
    free(m->host);
    xld_xd_migrate_init(m);
}

/*
 * The next word of a command line, as sh splits one: blanks separate
 * words, quotes and backslashes group them.  *p moves past the word;
 * *out is malloc'd, NULL at the end of the text.  EINVAL for an
 * unterminated quote, ENOMEM.
 */
static int next_word(const char **p, char **out)
{
    const char *s = *p + strspn(*p, " \t\n");
    char *w, *o;

    *out = NULL;
    if (!*s) {
        *p = s;
        return 0;
    }
    w = o = malloc(strlen(s) + 1);
    if (!w)
        return ENOMEM;
    while (*s && !strchr(" \t\n", *s)) {
        if (*s == '\'') {
            const char *e = strchr(s + 1, '\'');

            if (!e)
                goto bad;
            memcpy(o, s + 1, (size_t)(e - s - 1));
            o += e - s - 1;
            s = e + 1;
        } else if (*s == '"') {
            for (s++; *s && *s != '"'; s++) {
                if (*s == '\\' && s[1] && strchr("\"\\$`", s[1]))
                    s++;
                *o++ = *s;
            }
            if (*s != '"')
                goto bad;
            s++;
        } else if (*s == '\\' && s[1]) {
            *o++ = s[1];
            s += 2;
        } else {
            *o++ = *s++;
        }
    }
    *o = '\0';
    *p = s;
    *out = w;
    return 0;
bad:
    free(w);
    return EINVAL;
}

int xld_xd_migrate_parse(const char *setting, struct xld_xd_migrate *m,
                         char *err, size_t errlen)
{
    const char *p = setting;
    char *w = NULL, **slot;
    int rc;

    xld_xd_migrate_dispose(m);
    err[0] = '\0';
    for (;;) {
        free(w);
        rc = next_word(&p, &w);
        if (rc == EINVAL)
            snprintf(err, errlen, "a quote is not closed");
        if (rc || !w)
            break;
        slot = NULL;
        if (!strcmp(w, "-e") || !strcmp(w, "-F"))
            m->no_wait = true;
        else if (!strcmp(w, "-p"))
            m->paused = true;
        else if (!strcmp(w, "--debug"))
            m->debug = true;
        else if (!strcmp(w, "--live"))
            ;   /* always live */
        else if (!strncmp(w, "-s", 2))
            slot = &m->ssh;
        else if (!strncmp(w, "-C", 2))
            slot = &m->config;
        else if (w[0] == '-' && w[1]) {
            snprintf(err, errlen, "the option '%.40s' is not one of xl "
                     "migrate's that xld knows", w);
            rc = EINVAL;
            break;
        } else if (m->host) {
            snprintf(err, errlen, "more than one host ('%.40s', '%.40s')",
                     m->host, w);
            rc = EINVAL;
            break;
        } else {
            m->host = w;
            w = NULL;
            continue;
        }
        if (!slot)
            continue;
        /* -sVALUE, or -s VALUE. */
        free(*slot);
        *slot = NULL;
        if (w[2]) {
            *slot = strdup(w + 2);
            if (!*slot)
                rc = ENOMEM;
        } else {
            char flag = w[1];

            free(w);
            rc = next_word(&p, &w);
            if (!rc && !w) {
                snprintf(err, errlen, "-%c needs a value", flag);
                rc = EINVAL;
            }
            if (!rc) {
                *slot = w;
                w = NULL;
            }
        }
        if (rc)
            break;
    }
    free(w);
    if (!rc && !m->host) {
        snprintf(err, errlen, "no host to migrate to");
        rc = EINVAL;
    }
    if (rc == ENOMEM)
        snprintf(err, errlen, "out of memory");
    return rc;
}
