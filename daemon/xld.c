/*
 * xld.c - the daemon's main: options, logging, signals, and the order
 * in which the parts start and stop.
 *
 * Start: the backend, then the state directory and the reconciliation
 * of its records with what the hypervisor runs, and only then the
 * sockets, so that the first client already sees every domain.  systemd
 * hears READY=1 once the sockets listen.
 *
 * Stop (SIGTERM, SIGINT): the sockets close, operations that have not
 * started are refused, the running ones get a few seconds to end, and
 * xld exits.  Guests are never touched: a daemon restart must not stop
 * a single domain (host shutdown is the xendomains job's business).  An
 * operation still running at exit is recorded as in progress in its
 * state record, and the next xld reports it.
 *
 * xld never forks: run it under systemd (Type=notify) or with -f.
 */
#define _GNU_SOURCE

#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "backend.h"
#include "control.h"
#include "domain.h"
#include "host.h"
#include "log.h"
#include "loop.h"
#include "proto.h"
#include "state.h"
#include "xendomains.h"
#include "xlconf.h"

#define DEFAULT_SOCKET "/run/xld/xld.sock"
#define DEFAULT_RO_SOCKET "/run/xld/xld-ro.sock"
#define DEFAULT_STATE_DIR "/var/lib/xld"

/* How long running operations may take to end once xld is asked to
 * stop; systemd's default stop timeout is 90 s. */
#define STOP_GRACE_MS 10000

/* How often STATUS= is brought up to date for systemctl status. */
#define STATUS_MS 10000

struct xld_options {
    bool foreground;
    int verbose;
    const char *socket;
    const char *ro_socket;
    const char *group;
    const char *state_dir;
    const char *backend;
    const char *backend_options;
    const char *dump_dir;
    const char *xendomains_file;
    const char *xl_conf;
};

/* Everything the daemon runs, for the signal and timer callbacks. */
struct xld_daemon {
    struct xld_loop *loop;
    struct xld_backend be;
    bool be_open;
    struct xld_state *st;
    struct xld_dm *dm;
    struct xld_host *host;
    struct xlconf *xlconf;      /* the one the table converts with */
    const char *xl_conf_path;
    struct xld_proto *proto;
    struct xld_control *ctl;
    int sigfd;
    struct xld_watch *sigwatch;
    struct xld_timer *grace;
    struct xld_timer *status;
    bool stopping;
    const char *socket;
};

static void usage(FILE *f)
{
    fprintf(f,
            "usage: xld [OPTION]...\n"
            "The Xen toolstack daemon.\n\n"
            "  -f, --foreground          log to stderr (else to the journal "
            "or syslog)\n"
            "  -v, --verbose             log everything, every request included\n"
            "      --socket=PATH         the admin socket (%s)\n"
            "      --ro-socket=PATH      the read-only socket (%s)\n"
            "      --group=GROUP         members may use the admin socket\n"
            "      --state-dir=DIR       where domains are recorded (%s)\n"
            "      --backend=NAME        libxl or sim (default: libxl when "
            "this host runs Xen)\n"
            "      --backend-options=S   the backend's options (sim: "
            "dir=PATH,memory=MIB,cpus=N,...)\n"
            "      --dump-dir=DIR        where on_crash=\"coredump-*\" "
            "writes cores (%s)\n"
            "      --xendomains-file=F   the host job's settings (%s)\n"
            "      --xl-conf=FILE        xl's global config, read at start "
            "and on SIGHUP (%s)\n"
            "  -h, --help                this help\n"
            "  -V, --version             the version\n\n"
            "xld does not fork: run it under systemd (Type=notify) or with "
            "-f.\n",
            DEFAULT_SOCKET, DEFAULT_RO_SOCKET, DEFAULT_STATE_DIR,
            XLD_DM_DUMP_DIR, XLD_XD_FILE, XLCONF_DEFAULT_PATH);
}

/* 0 when the options are good, 1 for --help/--version (exit 0), 2 for a
 * usage error. */
static int parse_options(int argc, char **argv, struct xld_options *o)
{
    enum { OPT_SOCKET = 256, OPT_RO_SOCKET, OPT_GROUP, OPT_STATE_DIR,
           OPT_BACKEND, OPT_BACKEND_OPTIONS, OPT_DUMP_DIR,
           OPT_XENDOMAINS_FILE, OPT_XL_CONF };
    static const struct option opts[] = {
        { "foreground", no_argument, NULL, 'f' },
        { "verbose", no_argument, NULL, 'v' },
        { "socket", required_argument, NULL, OPT_SOCKET },
        { "ro-socket", required_argument, NULL, OPT_RO_SOCKET },
        { "group", required_argument, NULL, OPT_GROUP },
        { "state-dir", required_argument, NULL, OPT_STATE_DIR },
        { "backend", required_argument, NULL, OPT_BACKEND },
        { "backend-options", required_argument, NULL, OPT_BACKEND_OPTIONS },
        { "dump-dir", required_argument, NULL, OPT_DUMP_DIR },
        { "xendomains-file", required_argument, NULL, OPT_XENDOMAINS_FILE },
        { "xl-conf", required_argument, NULL, OPT_XL_CONF },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'V' },
        { NULL, 0, NULL, 0 },
    };
    int c;

    o->socket = DEFAULT_SOCKET;
    o->ro_socket = DEFAULT_RO_SOCKET;
    o->state_dir = DEFAULT_STATE_DIR;
    while ((c = getopt_long(argc, argv, "fvhV", opts, NULL)) != -1) {
        switch (c) {
        case 'f':
            o->foreground = true;
            break;
        case 'v':
            o->verbose++;
            break;
        case OPT_SOCKET:
            o->socket = optarg;
            break;
        case OPT_RO_SOCKET:
            o->ro_socket = optarg;
            break;
        case OPT_GROUP:
            o->group = optarg;
            break;
        case OPT_STATE_DIR:
            o->state_dir = optarg;
            break;
        case OPT_BACKEND:
            o->backend = optarg;
            break;
        case OPT_BACKEND_OPTIONS:
            o->backend_options = optarg;
            break;
        case OPT_DUMP_DIR:
            o->dump_dir = optarg;
            break;
        case OPT_XENDOMAINS_FILE:
            o->xendomains_file = optarg;
            break;
        case OPT_XL_CONF:
            o->xl_conf = optarg;
            break;
        case 'h':
            usage(stdout);
            return 1;
        case 'V':
            printf("xld %s\n", PACKAGE_VERSION);
            return 1;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "xld: unexpected argument '%s'\n", argv[optind]);
        usage(stderr);
        return 2;
    }
    if (!strcmp(o->socket, o->ro_socket)) {
        fprintf(stderr, "xld: the admin and read-only sockets must differ\n");
        return 2;
    }
    return 0;
}

/* A group by name or number. */
static int parse_group(const char *s, gid_t *out)
{
    struct group gr, *res = NULL;
    char buf[4096], *end;
    long n;

    errno = 0;
    n = strtol(s, &end, 10);
    if (*s && !*end && !errno && n >= 0) {
        *out = (gid_t)n;
        return 0;
    }
    if (getgrnam_r(s, &gr, buf, sizeof(buf), &res) || !res)
        return ENOENT;
    *out = res->gr_gid;
    return 0;
}

static void update_status(struct xld_daemon *d)
{
    size_t managed = 0, n = xld_dm_count(d->dm, &managed);

    sd_notifyf(0, "STATUS=%zu domains (%zu managed), %zu clients, "
               "listening on %s", n, managed,
               d->ctl ? xld_control_nclients(d->ctl) : 0, d->socket);
}

static void status_tick(void *opaque)
{
    struct xld_daemon *d = opaque;

    d->status = NULL;
    if (d->stopping)
        return;
    update_status(d);
    xld_loop_timer(d->loop, STATUS_MS, status_tick, d, &d->status);
}

static void grace_over(void *opaque)
{
    struct xld_daemon *d = opaque;

    d->grace = NULL;
    xld_warn("%u operations are still running; xld stops without them "
             "(the next start reports them)", xld_dm_running(d->dm));
    xld_loop_stop(d->loop);
}

/* The domain table has nothing running any more: stop now. */
static void dm_idle(void *opaque)
{
    struct xld_daemon *d = opaque;

    if (d->stopping)
        xld_loop_stop(d->loop);
}

static void dm_event(void *opaque, const struct xld_dm_event *ev)
{
    struct xld_daemon *d = opaque;

    if (d->proto)
        xld_proto_dm_event(d->proto, ev);
}

static void begin_stop(struct xld_daemon *d, const char *why)
{
    if (d->stopping) {
        xld_notice("%s again: stopping at once", why);
        xld_loop_stop(d->loop);
        return;
    }
    d->stopping = true;
    xld_notice("%s: stopping (guests are left as they are)", why);
    sd_notify(0, "STOPPING=1\nSTATUS=stopping");
    xld_loop_cancel(d->status);
    d->status = NULL;
    if (d->ctl)
        xld_control_stop_listening(d->ctl);
    if (xld_loop_timer(d->loop, STOP_GRACE_MS, grace_over, d, &d->grace))
        d->grace = NULL;
    /* A host job stops starting steps, and the table its operations.
     * Calls dm_idle at once when nothing runs. */
    if (d->host)
        xld_host_stop(d->host);
    xld_dm_stop(d->dm);
}

/*
 * Read xl.conf into *out (malloc'd), logging what is wrong with it, one
 * diagnostic per line.  Returns 0 or ENOMEM; *out may have errors
 * (xlconf_ok false), which the domain table then refuses to convert with.
 */
static int read_xlconf(const char *path, struct xlconf **out)
{
    struct xlconf *xc = malloc(sizeof(*xc));
    char *text = NULL, *line, *save = NULL;
    size_t len = 0;
    FILE *mem = NULL;
    int rc;

    *out = NULL;
    if (!xc)
        return ENOMEM;
    xlconf_init(xc);
    rc = xlconf_read_file(xc, path);
    if (rc)
        goto out;
    mem = open_memstream(&text, &len);
    if (!mem) {
        rc = ENOMEM;
        goto out;
    }
    xlconf_print_diags(xc, mem);
    if (fclose(mem)) {
        mem = NULL;
        rc = ENOMEM;
        goto out;
    }
    mem = NULL;
    for (line = strtok_r(text, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        if (strstr(line, ": warning: "))
            xld_warn("%s", line);
        else
            xld_err("%s", line);
    }
    if (!xlconf_ok(xc))
        xld_err("%s has errors: xld creates no domain from a config "
                "until they are fixed and xld is sent SIGHUP, as xl would "
                "run no command (the domains that run keep their configs)",
                path);
    else if (xc->found)
        xld_info("xl.conf: %s", path);
    *out = xc;
    xc = NULL;

out:
    free(text);
    if (xc) {
        xlconf_dispose(xc);
        free(xc);
    }
    return rc;
}

static void free_xlconf(struct xlconf *xc)
{
    if (!xc)
        return;
    xlconf_dispose(xc);
    free(xc);
}

/* SIGHUP: xl reads xl.conf at every command; xld reads it again when the
 * admin says so.  A file with errors does not replace good settings. */
static void reload_xlconf(struct xld_daemon *d)
{
    struct xlconf *xc;

    if (read_xlconf(d->xl_conf_path, &xc)) {
        xld_err("SIGHUP: reading %s: %s", d->xl_conf_path, strerror(ENOMEM));
        return;
    }
    if (!xlconf_ok(xc) && d->xlconf && xlconf_ok(d->xlconf)) {
        xld_warn("SIGHUP: %s has errors; xld keeps the settings it read "
                 "before", d->xl_conf_path);
        free_xlconf(xc);
        return;
    }
    xld_dm_set_xlconf(d->dm, xc);
    free_xlconf(d->xlconf);
    d->xlconf = xc;
}

static void on_signal(void *opaque, int fd, short revents)
{
    struct xld_daemon *d = opaque;
    struct signalfd_siginfo si;

    (void)revents;
    while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
        switch (si.ssi_signo) {
        case SIGTERM:
            begin_stop(d, "SIGTERM");
            break;
        case SIGINT:
            begin_stop(d, "SIGINT");
            break;
        case SIGHUP:
            reload_xlconf(d);
            break;
        default:
            break;
        }
    }
}

static int setup_signals(struct xld_daemon *d)
{
    sigset_t set;

    /* Replies to clients that left must not kill xld: writes use
     * MSG_NOSIGNAL, and this covers the rest. */
    signal(SIGPIPE, SIG_IGN);
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
        return errno;
    d->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    if (d->sigfd < 0)
        return errno;
    return xld_loop_watch(d->loop, d->sigfd, POLLIN, on_signal, d,
                          &d->sigwatch);
}

static void daemon_dispose(struct xld_daemon *d)
{
    /* Clients first, so that what the rest cancels is answered to no
     * one; then the backend, which drops its callbacks; then the table,
     * which ends what was still queued or running. */
    xld_control_close(d->ctl);
    d->ctl = NULL;
    if (d->proto)
        xld_proto_set_control(d->proto, NULL);
    if (d->be_open)
        d->be.ops->close(&d->be);
    xld_dm_free(d->dm);
    free_xlconf(d->xlconf);
    /* After the table (no operation calls back any more), before the
     * protocol (a job still running answers its request). */
    xld_host_free(d->host);
    xld_proto_free(d->proto);
    xld_state_close(d->st);
    if (d->sigfd >= 0)
        close(d->sigfd);
    xld_loop_free(d->loop);
}

int main(int argc, char **argv)
{
    struct xld_options o;
    struct xld_daemon d;
    struct xld_control_options co;
    struct xld_dm_hooks hooks;
    enum xld_log_level level;
    int rc, status = 1;

    memset(&o, 0, sizeof(o));
    memset(&d, 0, sizeof(d));
    d.sigfd = -1;
    xld_control_options_init(&co);
    rc = parse_options(argc, argv, &o);
    if (rc)
        return rc == 1 ? 0 : 2;
    level = o.verbose ? XLD_LOG_DEBUG : XLD_LOG_INFO;
    xld_log_open(o.foreground, level);
    co.path = o.socket;
    co.ro_path = o.ro_socket;
    if (o.group) {
        if (parse_group(o.group, &co.group)) {
            xld_err("--group: no group '%s'", o.group);
            goto out;
        }
        co.have_group = true;
    }
    d.socket = o.socket;
    if (xld_backend_select(o.backend, &d.be.ops))
        goto out;
    rc = xld_loop_new(&d.loop);
    if (!rc)
        rc = setup_signals(&d);
    if (rc) {
        xld_err("starting: %s", strerror(rc));
        goto out;
    }
    if (xld_state_open(&d.st, o.state_dir))
        goto out;
    memset(&hooks, 0, sizeof(hooks));
    hooks.event = dm_event;
    hooks.idle = dm_idle;
    rc = xld_dm_new(&d.dm, d.loop, &d.be, d.st, &hooks, &d);
    if (!rc && o.dump_dir)
        rc = xld_dm_set_dump_dir(d.dm, o.dump_dir);
    d.xl_conf_path = o.xl_conf ? o.xl_conf : XLCONF_DEFAULT_PATH;
    if (!rc)
        rc = read_xlconf(d.xl_conf_path, &d.xlconf);
    if (!rc)
        xld_dm_set_xlconf(d.dm, d.xlconf);
    if (!rc)
        rc = xld_proto_new(&d.proto, d.dm, d.be.ops->name);
    if (!rc)
        rc = xld_host_new(&d.host, d.loop, d.dm, o.xendomains_file);
    if (!rc)
        xld_proto_set_host(d.proto, d.host);
    if (rc) {
        xld_err("starting: %s", strerror(rc));
        goto out;
    }
    rc = d.be.ops->open(&d.be, d.loop, o.backend_options,
                        xld_dm_backend_event, d.dm);
    if (rc) {
        xld_err("the %s backend did not start: %s", d.be.ops->name,
                strerror(rc < 0 ? -rc : rc));
        goto out;
    }
    d.be_open = true;
    xld_info("xld %s on the %s backend, state in %s", PACKAGE_VERSION,
             d.be.ops->name, o.state_dir);
    rc = xld_dm_recover(d.dm);
    if (rc) {
        xld_err("finding the domains again failed: %s", strerror(rc));
        goto out;
    }
    if (xld_control_open(&d.ctl, d.loop, &co, &xld_proto_control_handlers,
                         d.proto))
        goto out;
    xld_proto_set_control(d.proto, d.ctl);
    {
        size_t managed = 0, n = xld_dm_count(d.dm, &managed);

        xld_notice("ready: %zu domains (%zu managed)", n, managed);
        sd_notifyf(0, "READY=1\nSTATUS=%zu domains (%zu managed), "
                   "listening on %s", n, managed, o.socket);
    }
    xld_loop_timer(d.loop, STATUS_MS, status_tick, &d, &d.status);
    rc = xld_loop_run(d.loop);
    if (rc) {
        xld_err("the event loop failed: %s", strerror(rc));
        goto out;
    }
    xld_notice("stopped");
    status = 0;

out:
    daemon_dispose(&d);
    xld_control_options_dispose(&co);
    xld_log_close();
    return status;
}
