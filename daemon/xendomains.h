/*
 * xendomains.h - the settings of the host boot and shutdown job, read
 * from /etc/default/xendomains (or /etc/sysconfig/xendomains) without
 * running it.
 *
 * The file is a shell fragment that upstream's script sources.  xld
 * never runs it: it reads the subset of shell that such files use,
 * assignments of constant values, and reports anything else with its
 * line number (the rest of the file is still read):
 *
 *   # a comment
 *   NAME=value            NAME='single quoted'   NAME="double \"quoted\""
 *   export NAME=value     NAME=a'b'"c"           NAME=   (empty)
 *
 * A value may be followed by `;` and by a comment; a backslash at the
 * end of a line joins the next.  Expansions ($VAR, $(...), `...`), a
 * command after the assignment, and any line that is not an assignment
 * are errors.  Variables other than XENDOMAINS_* are ignored; an unknown
 * XENDOMAINS_* name or a value of the wrong kind is a warning, and the
 * setting keeps its default.
 */
#ifndef XLD_XENDOMAINS_H
#define XLD_XENDOMAINS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Where Debian keeps the file. */
#define XLD_XD_FILE "/etc/default/xendomains"

/* How many domains the host job saves, shuts down or restores at once
 * unless XENDOMAINS_PARALLEL says otherwise. */
#define XLD_XD_PARALLEL 8

struct xld_xd_diag {
    unsigned line;               /* 0: about the file as a whole */
    bool error;                  /* else a warning */
    char *msg;
};

struct xld_xd {
    /* Upstream's settings, with upstream's defaults (tools/hotplug/
     * Linux/init.d/sysconfig.xendomains) where the file is silent. */
    char *save;                  /* XENDOMAINS_SAVE; "" disables saving */
    bool restore;                /* XENDOMAINS_RESTORE */
    char *auto_dir;              /* XENDOMAINS_AUTO; "" disables */
    char *migrate;               /* XENDOMAINS_MIGRATE; "" none */
    char *shutdown;              /* XENDOMAINS_SHUTDOWN: xl shutdown's options */
    char *shutdown_all;          /* XENDOMAINS_SHUTDOWN_ALL */
    char *sysrq;                 /* XENDOMAINS_SYSRQ: letters, or "" */
    uint64_t usleep;             /* XENDOMAINS_USLEEP (µs, after a SysRq) */
    uint64_t create_usleep;      /* XENDOMAINS_CREATE_USLEEP (µs) */
    bool auto_only;              /* XENDOMAINS_AUTO_ONLY */
    unsigned stop_maxwait;       /* XENDOMAINS_STOP_MAXWAIT (s); 0: none */
    /* xld's own. */
    unsigned parallel;           /* XENDOMAINS_PARALLEL: at once, >= 1 */
    bool stop_destroy;           /* XENDOMAINS_STOP_DESTROY: destroy what
                                    did not stop within STOP_MAXWAIT */
    /* What the file said that xld did not take. */
    struct xld_xd_diag *diags;
    size_t ndiags;
    size_t nerrors;
};

/* The defaults; every string is allocated (ENOMEM leaves NULLs, which
 * xld_xd_dispose() accepts). */
int xld_xd_init(struct xld_xd *xd);
void xld_xd_dispose(struct xld_xd *xd);

/* Read a file's text over the defaults: 0, or ENOMEM.  Problems in the
 * text are diagnostics, never a failure. */
int xld_xd_parse_buffer(struct xld_xd *xd, const char *buf, size_t len);
/* The same for a file: 0, ENOENT when it does not exist (the defaults
 * stand), or another errno value when it cannot be read. */
int xld_xd_parse_file(struct xld_xd *xd, const char *path);

/* XENDOMAINS_SHUTDOWN's options, as xld understands them: whether they
 * ask to wait (--wait, -w) and for -F; unknown words are reported in
 * bad (a static buffer of the caller). */
void xld_xd_shutdown_flags(const char *opts, bool *wait, bool *force,
                           char *bad, size_t badlen);

/*
 * XENDOMAINS_MIGRATE: what follows `xl migrate ID` in upstream's script,
 * options and the host ("-s '' 'ssh h2 xlctl migrate-receive'", "h2
 * --live").  Upstream's unquoted $XENDOMAINS_MIGRATE only splits at
 * blanks; xld splits it as sh splits a command line, so quotes group
 * words (a setting without quotes means the same to both).  Options:
 * -s CMD, -C FILE, -e (and -F), -p, --debug, --live.
 */
struct xld_xd_migrate {
    char *ssh;                   /* -s, or NULL: "ssh" */
    char *config;                /* -C, or NULL */
    char *host;
    bool no_wait, paused, debug;
};

void xld_xd_migrate_init(struct xld_xd_migrate *m);
void xld_xd_migrate_dispose(struct xld_xd_migrate *m);
/* 0, or EINVAL with why in err (an option xld does not know, no host, a
 * quote not closed), or ENOMEM. */
int xld_xd_migrate_parse(const char *setting, struct xld_xd_migrate *m,
                         char *err, size_t errlen);

#endif /* XLD_XENDOMAINS_H */
