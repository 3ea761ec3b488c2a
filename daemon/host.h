/*
 * host.h - the host boot and shutdown job, what upstream's xendomains
 * script does, done inside xld.
 *
 * host start: restore every image of the save directory, then create
 * every autostart config whose domain does not run.  host stop: save
 * (or else shut down) every running domain, several at once, within a
 * deadline.  The settings are read from the xendomains file
 * (xendomains.h) when a job starts, so that an edit needs no restart.
 *
 * Every step on a domain goes through the domain table (domain.h), so
 * that its queue stays the one owner of the domain: the host job is a
 * client of the table like any request, and a domain busy with an
 * admin's operation simply queues the job's step behind it.
 *
 * One job runs at a time.  The job reports each domain's outcome and
 * its progress through callbacks (proto.c makes protocol events of
 * them), and its summary at the end.
 */
#ifndef XLD_HOST_H
#define XLD_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct xld_loop;
struct xld_dm;
struct xld_host;

enum xld_host_kind {
    XLD_HOST_START,
    XLD_HOST_STOP,
};

/* What became of one domain (or one file, when it names no domain). */
struct xld_host_outcome {
    const char *domain;          /* the domain's name, else the file's */
    const char *action;          /* restore, create, save, shutdown,
                                    destroy, none */
    const char *outcome;         /* restored, created, saved, shut-down,
                                    destroyed, left-running, skipped,
                                    failed */
    const char *path;            /* the image or config, or NULL */
    const char *detail;          /* a sentence, or NULL */
    bool failed;                 /* counts against the job's status */
};

struct xld_host_progress {
    const char *job;             /* "start", "stop" */
    unsigned done, total;        /* domains */
    unsigned active;             /* steps in flight */
    const char *domain;          /* the latest one with bytes moving */
    const char *step;            /* its step: save, restore... */
    uint64_t bytes_done, bytes_total;   /* its bytes, 0 when unknown */
    uint64_t all_bytes_done;     /* bytes saved or restored in the job */
    unsigned seconds_left;       /* before the deadline; 0 without one */
};

struct xld_host_summary {
    const char *job;
    const struct xld_host_outcome *outcomes;
    size_t n;
    unsigned failed;
    unsigned maxwait;            /* the deadline used, in seconds */
    unsigned parallel;
    const char *const *warnings; /* about the settings */
    size_t nwarnings;
};

struct xld_host_client {
    /* The job has its list: how many domains, and its deadline (s, 0
     * when none), for a client that tells systemd how long to wait. */
    void (*started)(void *opaque, const char *job, unsigned total,
                    unsigned maxwait);
    void (*outcome)(void *opaque, const struct xld_host_outcome *o);
    void (*progress)(void *opaque, const struct xld_host_progress *p);
    /* Exactly once: rc 0 (the summary says what failed), or a negative
     * errno value with msg when the job could not run at all (-EBUSY:
     * another runs). */
    void (*done)(void *opaque, int rc, const char *msg,
                 const struct xld_host_summary *s);
};

/* file: the xendomains file (XLD_XD_FILE when NULL). */
int xld_host_new(struct xld_host **out, struct xld_loop *loop,
                 struct xld_dm *dm, const char *file);
/* Ends a running job at once (done() with -ECANCELED). */
void xld_host_free(struct xld_host *h);
/* xld is stopping: a running job starts nothing more and ends as soon as
 * its steps in flight end. */
void xld_host_stop(struct xld_host *h);

void xld_host_run(struct xld_host *h, enum xld_host_kind kind,
                  const struct xld_host_client *cl, void *opaque);

/* One entry of the autostart folder. */
struct xld_host_auto {
    char *file;                  /* its name in the folder */
    char *target;                /* where a link points, or NULL */
    char *domain;                /* the config's name, or NULL */
    char *problem;               /* why it would not start, or NULL */
    bool running;                /* a domain of that name exists */
};

void xld_host_auto_free(struct xld_host_auto *a, size_t n);

/*
 * The autostart folder (XENDOMAINS_AUTO).  Each returns 0 or a negative
 * errno value with a sentence in err: -ENOENT (no such file or entry),
 * -EEXIST (an entry of that name or domain exists), -EINVAL (a bad
 * config, or no folder configured).
 */
int xld_host_auto_list(struct xld_host *h, char **dir,
                       struct xld_host_auto **out, size_t *n, char *err,
                       size_t errlen);
/* Link cfg (absolute) into the folder under its own file name. */
int xld_host_auto_add(struct xld_host *h, const char *cfg, char **link,
                      char *err, size_t errlen);
/* Remove the entry of that file name, else the one whose domain has
 * that name; only links are removed (a real file there is the admin's). */
int xld_host_auto_remove(struct xld_host *h, const char *name,
                         char **removed, char *err, size_t errlen);

#endif /* XLD_HOST_H */
