/*
 * migrate_msg.c - the lines of the migration handshake and the transport
 * command (see migrate.h): no I/O here, so that tests/check_migrate.c
 * runs them alone.
 */
#define _GNU_SOURCE

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "migrate.h"

static const char receiver_word[] = "xld-migrate-receiver";
static const char sender_word[] = "xld-migrate-sender";

/* line starts with word followed by a space or its end: the rest. */
static const char *after(const char *line, const char *word)
{
    size_t n = strlen(word);

    if (strncmp(line, word, n))
        return NULL;
    if (line[n] == '\0')
        return line + n;
    if (line[n] == ' ' && line[n + 1])
        return line + n + 1;
    return NULL;
}

/* "1", then the sender's flags. */
static int parse_hello(const char *rest, struct xld_mig_line *out,
                       bool sender)
{
    char *end;
    unsigned long v;

    if (!rest || *rest < '1' || *rest > '9')
        return EINVAL;
    v = strtoul(rest, &end, 10);
    if (v != XLD_MIG_VERSION)
        return EINVAL;
    out->version = (unsigned)v;
    while (*end == ' ') {
        const char *w = end + 1;
        size_t n = strcspn(w, " ");

        if (!sender)
            return EINVAL;
        if (n == 6 && !strncmp(w, "paused", 6))
            out->flags |= XLD_MIG_F_PAUSED;
        else if (n == 5 && !strncmp(w, "debug", 5))
            out->flags |= XLD_MIG_F_DEBUG;
        else if (n == 5 && !strncmp(w, "check", 5))
            out->flags |= XLD_MIG_F_CHECK;
        else
            return EINVAL;
        end = (char *)w + n;
    }
    return *end ? EINVAL : 0;
}

int xld_mig_parse(const char *line, struct xld_mig_line *out)
{
    static const struct {
        const char *word;
        enum xld_mig_msg type;
        bool text;
    } plain[] = {
        { "accept", XLD_MIG_M_ACCEPT, false },
        { "refuse", XLD_MIG_M_REFUSE, true },
        { "ready", XLD_MIG_M_READY, false },
        { "failed", XLD_MIG_M_FAILED, true },
        { "go", XLD_MIG_M_GO, false },
        { "done", XLD_MIG_M_DONE, false },
    };
    const char *rest;
    int rc;

    memset(out, 0, sizeof(*out));
    if (strlen(line) >= XLD_MIG_MAX_LINE)
        return EINVAL;
    if ((rest = after(line, receiver_word))) {
        rc = parse_hello(rest, out, false);
        if (!rc)
            out->type = XLD_MIG_M_RECEIVER;
        return rc;
    }
    if ((rest = after(line, sender_word))) {
        rc = parse_hello(rest, out, true);
        if (!rc)
            out->type = XLD_MIG_M_SENDER;
        else
            out->flags = 0;
        return rc;
    }
    for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
        rest = after(line, plain[i].word);
        if (!rest)
            continue;
        /* A reason is said in words; its absence is still a failure. */
        if (!plain[i].text && *rest)
            return EINVAL;
        out->type = plain[i].type;
        out->text = plain[i].text ? (*rest ? rest : "no reason given")
                                  : NULL;
        return 0;
    }
    return EINVAL;
}

char *xld_mig_format(enum xld_mig_msg type, unsigned flags,
                     const char *text)
{
    static const char *const words[] = {
        [XLD_MIG_M_ACCEPT] = "accept", [XLD_MIG_M_REFUSE] = "refuse",
        [XLD_MIG_M_READY] = "ready", [XLD_MIG_M_FAILED] = "failed",
        [XLD_MIG_M_GO] = "go", [XLD_MIG_M_DONE] = "done",
    };
    char *s = NULL;
    int n;

    switch (type) {
    case XLD_MIG_M_RECEIVER:
        n = asprintf(&s, "%s %u\n", receiver_word, XLD_MIG_VERSION);
        break;
    case XLD_MIG_M_SENDER:
        n = asprintf(&s, "%s %u%s%s%s\n", sender_word, XLD_MIG_VERSION,
                     flags & XLD_MIG_F_PAUSED ? " paused" : "",
                     flags & XLD_MIG_F_DEBUG ? " debug" : "",
                     flags & XLD_MIG_F_CHECK ? " check" : "");
        break;
    case XLD_MIG_M_REFUSE:
    case XLD_MIG_M_FAILED: {
        /* One line that fits, whatever the reason holds. */
        size_t max = XLD_MIG_MAX_LINE - 16;

        n = asprintf(&s, "%s %.*s\n", words[type], (int)max,
                     text && *text ? text : "no reason given");
        if (n < 0)
            break;
        for (char *p = s + strlen(words[type]) + 1; p[1]; p++)
            if (*p == '\n' || *p == '\r')
                *p = ' ';
        break;
    }
    case XLD_MIG_M_ACCEPT:
    case XLD_MIG_M_READY:
    case XLD_MIG_M_GO:
    case XLD_MIG_M_DONE:
        n = asprintf(&s, "%s\n", words[type]);
        break;
    default:
        return NULL;
    }
    return n < 0 ? NULL : s;
}

int xld_mig_command(const char *ssh, const char *host, bool no_wait,
                    bool debug, bool paused, char **out)
{
    int n;

    if (!*ssh)
        n = asprintf(out, "%s", host);
    else
        n = asprintf(out, "exec %s %s xlctl migrate-receive%s%s%s", ssh,
                     host, no_wait ? " -e" : "", debug ? " -d" : "",
                     paused ? " -p" : "");
    if (n < 0) {
        *out = NULL;
        return ENOMEM;
    }
    return 0;
}
