/*
 * cmd_host.c - the host boot and shutdown job (xld's host.c) and the
 * autostart folder: `xlctl host start|stop`, `xlctl autostart
 * list|add|remove`.
 *
 * xld does the work and reads the settings (/etc/default/xendomains);
 * xlctl shows it: one line per domain as each is done, a progress line
 * on a terminal, and, when systemd runs it (xld-domains.service), it
 * tells systemd how long host stop may take, since that depends on the
 * settings and not on the unit file.
 */
#define _GNU_SOURCE
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "client.h"
#include "xlctl.h"

/* What systemd gets beyond the job's deadline, for the destroys that
 * follow it and for xlctl itself. */
#define EXTRA_STOP_SECONDS 60

struct host_view {
    struct xlctl_progress progress;
    bool quiet;
    unsigned failed;
};

/*
 * Tell systemd something (sd_notify(3)'s protocol: one datagram to
 * $NOTIFY_SOCKET).  xlctl does not link libsystemd for this one
 * message; without NOTIFY_SOCKET (not under systemd) it does nothing.
 */
static void notify(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void notify(const char *fmt, ...)
{
    const char *path = getenv("NOTIFY_SOCKET");
    struct sockaddr_un sa;
    char msg[256];
    va_list ap;
    size_t len;
    int fd;

    if (!path || (path[0] != '/' && path[0] != '@')
        || strlen(path) >= sizeof(sa.sun_path))
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    len = strlen(path);
    memcpy(sa.sun_path, path, len);
    if (sa.sun_path[0] == '@')
        sa.sun_path[0] = '\0';   /* an abstract socket */
    fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return;
    (void)sendto(fd, msg, strlen(msg), MSG_NOSIGNAL, (struct sockaddr *)&sa,
                 (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len));
    close(fd);
}

static void mib(char *buf, size_t len, double bytes)
{
    if (bytes >= 10.0 * 1024 * 1024 * 1024)
        snprintf(buf, len, "%.1f GiB", bytes / (1024.0 * 1024 * 1024));
    else
        snprintf(buf, len, "%.0f MiB", bytes / (1024.0 * 1024));
}

static void host_event(void *opaque, const char *name, yajl_val data,
                       yajl_val msg)
{
    struct host_view *v = opaque;
    struct xlctl_progress *p = &v->progress;

    (void)msg;
    if (!strcmp(name, "HOST_JOB")) {
        const char *job = xlctl_json_str(data, "job");
        long long maxwait = xlctl_json_int(data, "maxwait", 0);

        /* systemd waits as long as the settings say, plus a margin, and
         * not its unit's fixed timeout; without a deadline (0), for a
         * day, as XAPI gives its host shutdown. */
        if (job && !strcmp(job, "stop"))
            notify("EXTEND_TIMEOUT_USEC=%llu", (unsigned long long)
                   (maxwait > 0 ? maxwait + EXTRA_STOP_SECONDS : 86400)
                   * 1000000ULL);
    } else if (!strcmp(name, "HOST_DOMAIN")) {
        const char *dom = xlctl_json_str(data, "domain");
        const char *outcome = xlctl_json_str(data, "outcome");
        const char *detail = xlctl_json_str(data, "detail");
        bool failed = xlctl_json_bool(data, "failed", false);

        v->failed += failed;
        if (v->quiet && !failed)
            return;
        xlctl_progress_clear(p);
        fprintf(failed ? stderr : stdout, "%s: %s%s%s\n", dom ? dom : "?",
                outcome ? outcome : "?", detail ? ": " : "",
                detail ? detail : "");
        fflush(failed ? stderr : stdout);
    } else if (!strcmp(name, "HOST_PROGRESS") && p->tty) {
        const char *job = xlctl_json_str(data, "job");
        const char *dom = xlctl_json_str(data, "domain");
        const char *step = xlctl_json_str(data, "step");
        long long done = xlctl_json_int(data, "done", 0);
        long long total = xlctl_json_int(data, "total", 0);
        long long active = xlctl_json_int(data, "active", 0);
        double bd = xlctl_json_double(data, "bytes_done", 0);
        double bt = xlctl_json_double(data, "bytes_total", 0);
        double all = xlctl_json_double(data, "all_bytes_done", 0);
        long long left = xlctl_json_int(data, "seconds_left", 0);
        char line[512], a[32], b[32];
        size_t n;

        n = (size_t)snprintf(line, sizeof(line), "host %s: %lld of %lld "
                             "done, %lld in progress", job ? job : "?", done,
                             total, active);
        if (dom && step && bt > 0 && n < sizeof(line)) {
            mib(a, sizeof(a), bd);
            mib(b, sizeof(b), bt);
            n += (size_t)snprintf(line + n, sizeof(line) - n, "; %s %s "
                                  "%.0f%% (%s of %s)", step, dom,
                                  100.0 * (bd > bt ? bt : bd) / bt, a, b);
        }
        if (all > 0 && n < sizeof(line)) {
            mib(a, sizeof(a), all);
            n += (size_t)snprintf(line + n, sizeof(line) - n, "; %s in all",
                                  a);
        }
        if (left > 0 && n < sizeof(line))
            snprintf(line + n, sizeof(line) - n, "; %lld s left", left);
        fputc('\r', stderr);
        fputs(line, stderr);
        fputs("\033[K", stderr);
        fflush(stderr);
        p->shown = true;
    }
}

static int usage_error(const struct xlctl_cmd *cmd)
{
    xlctl_usage(cmd, stderr);
    return XLCTL_USAGE;
}

/* Options: -q only (and --help).  Returns -1 to go on, else the exit
 * status. */
static int parse_quiet(const struct xlctl_cmd *cmd, int argc, char **argv,
                       int operands, bool *quiet)
{
    static const struct option opts[] = {
        { "quiet", no_argument, NULL, 'q' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    int c;

    while ((c = getopt_long(argc, argv, "+qh", opts, NULL)) != -1) {
        if (c == 'h') {
            xlctl_usage(cmd, stdout);
            printf("%s\n", cmd->summary);
            return XLCTL_OK;
        }
        if (c != 'q' || !quiet)
            return usage_error(cmd);
        *quiet = true;
    }
    if (argc - optind != operands)
        return usage_error(cmd);
    return -1;
}

int xlctl_cmd_host(const struct xlctl_cmd *cmd, int argc, char **argv)
{
    const char *execute = strcmp(cmd->name, "host stop") ? "host-start"
                                                          : "host-stop";
    struct xlctl_client c;
    struct host_view v;
    yajl_val ret = NULL, val, warnings, doms;
    int status;

    memset(&v, 0, sizeof(v));
    status = parse_quiet(cmd, argc, argv, 0, &v.quiet);
    if (status >= 0)
        return status;
    status = XLCTL_FAIL;
    xlctl_progress_init(&v.progress);
    xlctl_client_init(&c);
    if (xlctl_connect(cmd, &c))
        goto out;
    xlctl_client_on_event(&c, host_event, &v);
    if (xlctl_client_call(&c, execute, NULL, XLCTL_CLIENT_FOREVER, &ret,
                          &val)) {
        xlctl_progress_clear(&v.progress);
        xlctl_client_perror(&c, cmd->name, stderr);
        goto out;
    }
    xlctl_progress_clear(&v.progress);
    warnings = xlctl_json_get(val, "warnings");
    for (size_t i = 0; YAJL_IS_ARRAY(warnings)
         && i < warnings->u.array.len; i++)
        if (YAJL_IS_STRING(warnings->u.array.values[i]))
            fprintf(stderr, "xlctl: %s: warning: %s\n", cmd->name,
                    warnings->u.array.values[i]->u.string);
    doms = xlctl_json_get(val, "domains");
    v.failed = (unsigned)xlctl_json_int(val, "failed", 0);
    if (!v.quiet || v.failed)
        fprintf(v.failed ? stderr : stdout, "%s: %zu domain%s, %u failed\n",
                cmd->name, YAJL_IS_ARRAY(doms) ? doms->u.array.len : 0,
                YAJL_IS_ARRAY(doms) && doms->u.array.len == 1 ? "" : "s",
                v.failed);
    status = v.failed ? XLCTL_FAIL : XLCTL_OK;

out:
    yajl_tree_free(ret);
    xlctl_progress_clear(&v.progress);
    xlctl_client_dispose(&c);
    return status;
}

int xlctl_cmd_autostart_list(const struct xlctl_cmd *cmd, int argc,
                             char **argv)
{
    struct xlctl_client c;
    yajl_val ret = NULL, val, entries;
    int status;

    status = parse_quiet(cmd, argc, argv, 0, NULL);
    if (status >= 0)
        return status;
    status = XLCTL_FAIL;
    xlctl_client_init(&c);
    if (xlctl_connect(cmd, &c))
        goto out;
    if (xlctl_client_call(&c, "autostart-list", NULL, XLCTL_CLIENT_QUERY_MS,
                          &ret, &val)) {
        xlctl_client_perror(&c, cmd->name, stderr);
        goto out;
    }
    entries = xlctl_json_get(val, "entries");
    if (!YAJL_IS_ARRAY(entries)) {
        fprintf(stderr, "xlctl: protocol error: xld's answer to "
                "'autostart-list' does not have the expected shape\n");
        goto out;
    }
    printf("%-24s %-20s %-8s %s\n", "File", "Domain", "State", "Config");
    for (size_t i = 0; i < entries->u.array.len; i++) {
        yajl_val e = entries->u.array.values[i];
        const char *file = xlctl_json_str(e, "file");
        const char *dom = xlctl_json_str(e, "domain");
        const char *target = xlctl_json_str(e, "target");
        const char *problem = xlctl_json_str(e, "problem");

        printf("%-24s %-20s %-8s %s%s%s\n", file ? file : "?",
               dom ? dom : "-", problem ? "broken"
               : xlctl_json_bool(e, "running", false) ? "running"
               : "stopped", target ? target : "(a file)",
               problem ? ": " : "", problem ? problem : "");
    }
    status = XLCTL_OK;

out:
    yajl_tree_free(ret);
    xlctl_client_dispose(&c);
    return status;
}

/* autostart add CFG, autostart remove NAME. */
int xlctl_cmd_autostart_change(const struct xlctl_cmd *cmd, int argc,
                               char **argv)
{
    bool add = !strcmp(cmd->name, "autostart add");
    struct xlctl_client_args *a;
    struct xlctl_client c;
    yajl_val ret = NULL, val;
    char *path = NULL;
    bool quiet = false;
    int status;

    status = parse_quiet(cmd, argc, argv, 1, &quiet);
    if (status >= 0)
        return status;
    status = XLCTL_FAIL;
    xlctl_client_init(&c);
    if (add) {
        /* xld does not share our working directory. */
        path = realpath(argv[optind], NULL);
        if (!path) {
            fprintf(stderr, "xlctl: %s: %s\n", argv[optind],
                    strerror(errno));
            goto out;
        }
    }
    if (xlctl_connect(cmd, &c))
        goto out;
    a = xlctl_client_args();
    if (add)
        xlctl_client_arg_str(a, "config", path);
    else
        xlctl_client_arg_str(a, "name", argv[optind]);
    if (xlctl_client_call(&c, add ? "autostart-add" : "autostart-remove", a,
                          XLCTL_CLIENT_QUERY_MS, &ret, &val)) {
        xlctl_client_perror(&c, cmd->name, stderr);
        goto out;
    }
    if (!quiet)
        printf("%s %s\n", add ? "added" : "removed",
               xlctl_json_str(val, "path") ? xlctl_json_str(val, "path")
               : "?");
    status = XLCTL_OK;

out:
    free(path);
    yajl_tree_free(ret);
    xlctl_client_dispose(&c);
    return status;
}
