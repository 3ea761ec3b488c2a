/*
 * cmd_domain.c - the verbs that talk to xld: xl's domain verbs, with
 * xl's names, options and output, on top of the control protocol
 * (client.h, doc/protocol.md).
 */
/* asprintf. */
#define _GNU_SOURCE
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "xlctl.h"

/* ---- shared ------------------------------------------------------------ */

int xlctl_connect(const struct xlctl_cmd *cmd, struct xlctl_client *c)
{
    if (xlctl_client_connect(c, xlctl_socket, NULL,
                             (cmd->flags & XLCTL_READONLY) != 0) == 0)
        return 0;
    xlctl_client_perror(c, cmd->name, stderr);
    return -1;
}

/* Queries get an answer at once (xld never makes one wait for an
 * operation); anything else may wait behind a long operation on the same
 * domain, for as long as that takes. */
static int timeout_for(const struct xlctl_cmd *cmd)
{
    return cmd->flags & XLCTL_READONLY ? XLCTL_CLIENT_QUERY_MS
                                       : XLCTL_CLIENT_FOREVER;
}

/* One request and its reply; xld's error, if any, is printed.  Returns
 * an exit status; on XLCTL_OK, *ret holds the reply (free it) and *value
 * its "return" value. */
static int call(const struct xlctl_cmd *cmd, struct xlctl_client *c,
                const char *execute, struct xlctl_client_args *a,
                yajl_val *ret, yajl_val *value)
{
    if (xlctl_client_call(c, execute, a, timeout_for(cmd), ret, value)) {
        xlctl_client_perror(c, cmd->name, stderr);
        return XLCTL_FAIL;
    }
    return XLCTL_OK;
}

int xlctl_call_once(const struct xlctl_cmd *cmd, const char *execute,
                    struct xlctl_client_args *a)
{
    struct xlctl_client c;
    int status = XLCTL_FAIL;

    xlctl_client_init(&c);
    if (xlctl_connect(cmd, &c)) {
        xlctl_client_args_free(a);
        goto out;
    }
    status = call(cmd, &c, execute, a, NULL, NULL);

out:
    xlctl_client_dispose(&c);
    return status;
}

int xlctl_options(const struct xlctl_cmd *cmd, int argc, char **argv,
                  const char *optstring, const struct option *longopts,
                  int min, int max,
                  bool (*fn)(void *opaque, int opt), void *opaque)
{
    static const struct option none[] = {
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    char shorts[32];
    int c, n;

    snprintf(shorts, sizeof(shorts), "+%sh", optstring);
    while ((c = getopt_long(argc, argv, shorts, longopts ? longopts : none,
                            NULL)) != -1) {
        if (c == 'h') {
            xlctl_usage(cmd, stdout);
            return XLCTL_OK;
        }
        if (c == '?' || !fn || !fn(opaque, c)) {
            xlctl_usage(cmd, stderr);
            return XLCTL_USAGE;
        }
    }
    n = argc - optind;
    if (n < min || (max >= 0 && n > max)) {
        xlctl_usage(cmd, stderr);
        return XLCTL_USAGE;
    }
    return -1;
}

/* A path for xld, which does not share our working directory. */
static char *absolute(const char *path)
{
    char *cwd, *s = NULL;

    if (path[0] == '/')
        return strdup(path);
    cwd = getcwd(NULL, 0);
    if (!cwd)
        return NULL;
    if (asprintf(&s, "%s/%s", cwd, path) < 0)
        s = NULL;
    free(cwd);
    return s;
}

static int no_memory(void)
{
    fprintf(stderr, "xlctl: %s\n", strerror(ENOMEM));
    return XLCTL_FAIL;
}

/* A protocol-level surprise in an answer that was otherwise fine. */
static int bad_answer(const char *execute)
{
    fprintf(stderr, "xlctl: protocol error: xld's answer to '%s' does not "
            "have the expected shape\n", execute);
    return XLCTL_FAIL;
}

/* ---- progress ---------------------------------------------------------- */

void xlctl_progress_init(struct xlctl_progress *p)
{
    p->tty = isatty(STDERR_FILENO) == 1;
    p->shown = false;
}

/* Replace the progress line with text (printf-style). */
static void progress_line(struct xlctl_progress *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void progress_line(struct xlctl_progress *p, const char *fmt, ...)
{
    va_list ap;

    if (!p->tty)
        return;
    fputc('\r', stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    /* Clear what a longer earlier line left behind. */
    fputs("\033[K", stderr);
    fflush(stderr);
    p->shown = true;
}

void xlctl_progress_event(void *opaque, const char *name, yajl_val data,
                          yajl_val msg)
{
    struct xlctl_progress *p = opaque;
    const char *op = xlctl_json_str(data, "operation");
    const char *dom = xlctl_json_str(data, "domain");
    double done = xlctl_json_double(data, "done", 0);
    double total = xlctl_json_double(data, "total", 0);

    (void)msg;
    if (strcmp(name, "PROGRESS") != 0)
        return;
    if (total > 0)
        progress_line(p, "%s %s: %3.0f%% (%.0f of %.0f MiB)",
                      op ? op : "working", dom ? dom : "",
                      100.0 * (done > total ? total : done) / total,
                      done / 1048576, total / 1048576);
    else
        progress_line(p, "%s %s: %.0f MiB", op ? op : "working",
                      dom ? dom : "", done / 1048576);
}

void xlctl_progress_clear(struct xlctl_progress *p)
{
    if (p->tty && p->shown) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
    }
    p->shown = false;
}

/* ---- list ------------------------------------------------------------ */

/* libxl's shutdown reasons, in the order of their codes, with the letter
 * xl list shows for each. */
static const struct {
    const char *name;
    char letter;
} reasons[] = {
    { "poweroff", '-' }, { "reboot", 'r' }, { "suspend", 's' },
    { "crash", 'c' }, { "watchdog", 'w' }, { "soft_reset", 'S' },
};

static int reason_code(const char *reason)
{
    if (!reason)
        return -1;
    for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
        if (strcmp(reason, reasons[i].name) == 0
            /* libxl spells it soft_reset, events may say soft-reset. */
            || (i == 5 && strcmp(reason, "soft-reset") == 0))
            return (int)i;
    return -1;
}

/* xl's six state letters, "rbpscd": running, blocked, paused, shut
 * down, the shutdown reason, dying. */
static void state_letters(yajl_val d, char out[7], int *code)
{
    const char *state = xlctl_json_str(d, "state");
    const char *reason = xlctl_json_str(d, "reason");
    int r;

    if (!reason)
        reason = xlctl_json_str(d, "shutdown_reason");
    r = reason_code(reason);
    memcpy(out, "------", 7);
    *code = -1;
    if (!state)
        return;
    if (strcmp(state, "running") == 0) {
        out[0] = 'r';
    } else if (strcmp(state, "blocked") == 0) {
        out[1] = 'b';
    } else if (strcmp(state, "paused") == 0) {
        out[2] = 'p';
    } else if (strcmp(state, "shutdown") == 0
               || strcmp(state, "crashed") == 0) {
        /* A crashed guest is one shut down for the reason "crash". */
        if (strcmp(state, "crashed") == 0)
            r = 3;
        out[3] = 's';
        out[4] = r >= 0 ? reasons[r].letter : r == -1 && !reason ? '-'
                                                                 : '?';
        *code = r >= 0 ? r : 0;
    } else if (strcmp(state, "dying") == 0) {
        out[5] = 'd';
    }
}

static void print_list(yajl_val doms, bool verbose)
{
    printf("Name                                        ID   Mem VCPUs\t"
           "State\tTime(s)");
    if (verbose)
        printf("   UUID                            Reason-Code\t"
               "Security Label");
    printf("\n");
    for (size_t i = 0; i < doms->u.array.len; i++) {
        yajl_val d = doms->u.array.values[i];
        const char *name = xlctl_json_str(d, "name");
        const char *uuid = xlctl_json_str(d, "uuid");
        char st[7];
        int code;

        state_letters(d, st, &code);
        printf("%-40s %5lld %5lld %5lld     %s  %8.1f",
               name ? name : "-", xlctl_json_int(d, "domid", -1),
               xlctl_json_int(d, "memkb", 0) / 1024,
               xlctl_json_int(d, "vcpus", 0), st,
               xlctl_json_double(d, "cpu_time", 0));
        if (verbose) {
            printf(" %s", uuid ? uuid : "-");
            if (code >= 0)
                printf(" %8x", (unsigned)code);
            else
                printf(" %8s", "-");
            printf(" %16s", "-");
        }
        printf("\n");
    }
}

/* xl list -l: [{"domid": N, "config": {...libxl's config...}}, ...] for
 * the domains whose config is known, the others skipped as xl does. */
static int print_list_long(const struct xlctl_cmd *cmd,
                           struct xlctl_client *c, yajl_val doms)
{
    yajl_gen g = yajl_gen_alloc(NULL);
    yajl_gen_status s;
    const unsigned char *buf;
    size_t len;
    int status = XLCTL_FAIL;

    if (!g)
        return no_memory();
    yajl_gen_config(g, yajl_gen_beautify, 1);
    yajl_gen_config(g, yajl_gen_indent_string, "    ");
    s = yajl_gen_array_open(g);
    for (size_t i = 0; s == yajl_gen_status_ok && i < doms->u.array.len;
         i++) {
        long long domid = xlctl_json_int(doms->u.array.values[i], "domid",
                                         -1);
        struct xlctl_client_args *a = xlctl_client_args();
        yajl_val ret, v, json, parsed = NULL;

        xlctl_client_arg_int(a, "domain", domid);
        if (xlctl_client_call(c, "config", a, timeout_for(cmd), &ret, &v)) {
            /* A domain xld did not create has no config to show; a
             * broken connection is another matter. */
            if (!xlctl_client_error(c)->cls) {
                xlctl_client_perror(c, cmd->name, stderr);
                goto out;
            }
            continue;
        }
        json = xlctl_json_get(v, "json");
        /* The config may come as an object or as its JSON text. */
        if (YAJL_IS_STRING(json))
            json = parsed = yajl_tree_parse(YAJL_GET_STRING(json), NULL, 0);
        if (json) {
            s = yajl_gen_map_open(g);
            if (s == yajl_gen_status_ok)
                s = yajl_gen_string(g, (const unsigned char *)"domid", 5);
            if (s == yajl_gen_status_ok)
                s = yajl_gen_integer(g, domid);
            if (s == yajl_gen_status_ok)
                s = yajl_gen_string(g, (const unsigned char *)"config", 6);
            if (s == yajl_gen_status_ok)
                s = xlctl_json_gen(g, json);
            if (s == yajl_gen_status_ok)
                s = yajl_gen_map_close(g);
        }
        yajl_tree_free(parsed);
        yajl_tree_free(ret);
    }
    if (s == yajl_gen_status_ok)
        s = yajl_gen_array_close(g);
    if (s != yajl_gen_status_ok
        || yajl_gen_get_buf(g, &buf, &len) != yajl_gen_status_ok) {
        no_memory();
        goto out;
    }
    fwrite(buf, 1, len, stdout);
    status = XLCTL_OK;

out:
    yajl_gen_free(g);
    return status;
}

struct list_opts {
    bool lng, verbose, json;
};

static bool list_opt(void *opaque, int opt)
{
    struct list_opts *o = opaque;

    switch (opt) {
    case 'l':
        o->lng = true;
        return true;
    case 'v':
        o->verbose = true;
        return true;
    case 'J':
        o->json = true;
        return true;
    }
    return false;
}

int xlctl_cmd_list(const struct xlctl_cmd *cmd, int argc, char **argv)
{
    static const struct option opts[] = {
        { "long", no_argument, NULL, 'l' },
        { "verbose", no_argument, NULL, 'v' },
        { "json", no_argument, NULL, 'J' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct list_opts o = { false, false, false };
    struct xlctl_client c;
    struct xlctl_client_args *a;
    yajl_val ret = NULL, doms;
    int status;

    status = xlctl_options(cmd, argc, argv, "lv", opts, 0, 1, list_opt, &o);
    if (status >= 0)
        return status;
    xlctl_client_init(&c);
    status = XLCTL_FAIL;
    if (xlctl_connect(cmd, &c))
        goto out;
    a = xlctl_client_args();
    if (optind < argc)
        xlctl_client_arg_domain(a, "domain", argv[optind]);
    status = call(cmd, &c, "list", a, &ret, &doms);
    if (status)
        goto out;
    if (!YAJL_IS_ARRAY(doms)) {
        status = bad_answer("list");
        goto out;
    }
    if (o.json)
        status = xlctl_json_print(doms, true, stdout) ? no_memory()
                                                       : XLCTL_OK;
    else if (o.lng)
        status = print_list_long(cmd, &c, doms);
    else
        print_list(doms, o.verbose);

out:
    yajl_tree_free(ret);
    xlctl_client_dispose(&c);
    return status;
}

/* ---- info, domid, domname, uptime -------------------------------------- */

/* xl info prints "key                    : value"; `xl info KEY` prints
 * the values of the keys that start with KEY, alone. */
static void info_line(const char *filter, const char *k, const char *fmt,
                      ...) __attribute__((format(printf, 3, 4)));
static void info_line(const char *filter, const char *k, const char *fmt,
                      ...)
{
    va_list ap;

    if (filter && strncmp(k, filter, strlen(filter)) != 0)
        return;
    if (!filter)
        printf("%-23s: ", k);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
}

static bool json_opt(void *opaque, int opt)
{
    if (opt != 'J')
        return false;
    *(bool *)opaque = true;
    return true;
}

int xlctl_cmd_info(const struct xlctl_cmd *cmd, int argc, char **argv)
{
    static const struct option opts[] = {
        { "json", no_argument, NULL, 'J' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    /* The keys printed in their own way; any other key of the answer is
     * printed after them as it comes. */
    static const char *const known[] = {
        "nr_cpus", "nr_nodes", "total_memkb", "free_memkb", "xen_version",
        "hypervisor", "xld_version", "backend",
    };
    struct xlctl_client c;
    struct utsname u;
    yajl_val ret = NULL, v;
    const char *filter = NULL;
    bool json = false;
    int status;

    status = xlctl_options(cmd, argc, argv, "", opts, 0, 1, json_opt, &json);
    if (status >= 0)
        return status;
    if (optind < argc)
        filter = argv[optind];
    xlctl_client_init(&c);
    status = XLCTL_FAIL;
    if (xlctl_connect(cmd, &c))
        goto out;
    status = call(cmd, &c, "info", NULL, &ret, &v);
    if (status)
        goto out;
    if (!YAJL_IS_OBJECT(v)) {
        status = bad_answer("info");
        goto out;
    }
    if (json) {
        status = xlctl_json_print(v, true, stdout) ? no_memory() : XLCTL_OK;
        goto out;
    }
    /* As in xl, the node's own part comes from uname(2): xld runs on
     * this host. */
    if (uname(&u) == 0) {
        info_line(filter, "host", "%s", u.nodename);
        info_line(filter, "release", "%s", u.release);
        info_line(filter, "version", "%s", u.version);
        info_line(filter, "machine", "%s", u.machine);
    }
    info_line(filter, "nr_cpus", "%lld", xlctl_json_int(v, "nr_cpus", 0));
    info_line(filter, "nr_nodes", "%lld", xlctl_json_int(v, "nr_nodes", 0));
    info_line(filter, "total_memory", "%lld",
              xlctl_json_int(v, "total_memkb", 0) / 1024);
    info_line(filter, "free_memory", "%lld",
              xlctl_json_int(v, "free_memkb", 0) / 1024);
    info_line(filter, "xen_version", "%s",
              xlctl_json_str(v, "xen_version") ?: "");
    info_line(filter, "hypervisor", "%s",
              xlctl_json_str(v, "hypervisor") ?: "");
    info_line(filter, "xld_version", "%s",
              xlctl_json_str(v, "xld_version") ?: "");
    info_line(filter, "backend", "%s", xlctl_json_str(v, "backend") ?: "");
    for (size_t i = 0; i < v->u.object.len; i++) {
        const char *k = v->u.object.keys[i];
        yajl_val x = v->u.object.values[i];
        bool seen = false;

        for (size_t j = 0; j < sizeof(known) / sizeof(known[0]); j++)
            seen = seen || strcmp(k, known[j]) == 0;
        if (seen)
            continue;
        if (YAJL_IS_STRING(x))
            info_line(filter, k, "%s", YAJL_GET_STRING(x));
        else if (YAJL_IS_NUMBER(x))
            info_line(filter, k, "%s", x->u.number.r);
        else if (YAJL_IS_TRUE(x) || YAJL_IS_FALSE(x))
            info_line(filter, k, "%s", YAJL_IS_TRUE(x) ? "true" : "false");
    }
    info_line(filter, "xend_config_format", "4");

out:
    yajl_tree_free(ret);
    xlctl_client_dispose(&c);
    return status;
}

int xlctl_cmd_domid(const struct xlctl_cmd *cmd, int argc, char **argv)
{
    struct xlctl_client c;
    struct xlctl_client_args *a;
    yajl_val ret = NULL, v;
    int status;

    status = xlctl_options(cmd, argc, argv, "", NULL, 1, 1, NULL, NULL);
    if (status >= 0)
        return status;
    xlctl_client_init(&c);
    status = XLCTL_FAIL;
    if (xlctl_connect(cmd, &c))
        goto out;
    /* xl domid takes a name, so it goes as one whatever it looks like. */
    a = xlctl_client_args();
    xlctl_client_arg_str(a, "domain", argv[optind]);
    status = call(cmd, &c, "domid", a, &ret, &v);
    if (status)
        goto out;
    if (!YAJL_IS_INTEGER(v)) {
        status = bad_answer("domid");
        goto out;
    }
    printf("%lld\n", YAJL_GET_INTEGER(v));

out:
    yajl_tree_free(ret);
    xlctl_client_dispose(&c);
    return status;
}

int xlctl_cmd_domname(const struct xlctl_cmd *cmd, int argc, char **argv)
{
    struct xlctl_client c;
    struct xlctl_client_args *a;
    yajl_val ret = NULL, v;
    unsigned long long id;
    char *end;
    int status;

    status = xlctl_options(cmd, argc, argv, "", NULL, 1, 1, NULL, NULL);
    if (status >= 0)
        return status;
    errno = 0;
    id = strtoull(argv[optind], &end, 10);
    if (argv[optind][0] < '0' || argv[optind][0] > '9' || *end || errno
        || id > UINT32_MAX) {
        fprintf(stderr, "xlctl: invalid domain id '%s'\n", argv[optind]);
        return XLCTL_USAGE;
    }
    xlctl_client_init(&c);
    status = XLCTL_FAIL;
    if (xlctl_connect(cmd, &c))
        goto out;
    a = xlctl_client_args();
    xlctl_client_arg_int(a, "domain", (long long)id);
    status = call(cmd, &c, "domname", a, &ret, &v);
    if (status)
        goto out;
    if (!YAJL_IS_STRING(v)) {
        status = bad_answer("domname");
        goto out;
    }
    printf("%s\n", YAJL_GET_STRING(v));

out:
    yajl_tree_free(ret);
    xlctl_client_dispose(&c);
    return status;
}

/* xl's uptime: "[D day[s], ]HH:MM:SS", or without the seconds in the
 * short form. */
static void format_uptime(char *buf, size_t n, unsigned long long up,
                          bool short_mode)
{
    unsigned long long day = up / 86400;
    int hour = (int)(up % 86400 / 3600), min = (int)(up % 3600 / 60);
    int sec = (int)(up % 60);
    char days[48] = "";

    if (day)
        snprintf(days, sizeof(days), "%llu day%s, ", day,
                 day > 1 ? "s" : "");
    if (short_mode)
        snprintf(buf, n, "%s%2d:%02d", days, hour, min);
    else
        snprintf(buf, n, "%s%2d:%02d:%02d", days, hour, min, sec);
}

static void print_uptime(yajl_val doms, bool short_mode, const char *now)
{
    for (size_t i = 0; i < doms->u.array.len; i++) {
        yajl_val d = doms->u.array.values[i];
        const char *name = xlctl_json_str(d, "name");
        long long up = xlctl_json_int(d, "uptime", 0);
        char s[96];

        format_uptime(s, sizeof(s), up > 0 ? (unsigned long long)up : 0,
                      short_mode);
        if (short_mode)
            printf(" %s up %s, %s (%lld)\n", now, s, name ? name : "-",
                   xlctl_json_int(d, "domid", -1));
        else
            printf("%-33s %4lld %s\n", name ? name : "-",
                   xlctl_json_int(d, "domid", -1), s);
    }
}

static bool uptime_opt(void *opaque, int opt)
{
    if (opt != 's')
        return false;
    *(bool *)opaque = true;
    return true;
}

int xlctl_cmd_uptime(const struct xlctl_cmd *cmd, int argc, char **argv)
{
    struct xlctl_client c;
    yajl_val *rets = NULL, v;
    bool short_mode = false;
    char now[32] = "";
    time_t t = time(NULL);
    struct tm tm;
    int status, n;

    status = xlctl_options(cmd, argc, argv, "s", NULL, 0, -1, uptime_opt,
                     &short_mode);
    if (status >= 0)
        return status;
    if (localtime_r(&t, &tm))
        strftime(now, sizeof(now), "%H:%M:%S", &tm);
    /* One request for all domains, or one per domain asked for. */
    n = argc - optind ? argc - optind : 1;
    xlctl_client_init(&c);
    status = XLCTL_FAIL;
    rets = calloc((size_t)n, sizeof(*rets));
    if (!rets) {
        no_memory();
        goto out;
    }
    if (xlctl_connect(cmd, &c))
        goto out;
    /* Every answer first: as in xl, an unknown domain means no output. */
    for (int i = 0; i < n; i++) {
        struct xlctl_client_args *a = xlctl_client_args();

        if (optind < argc)
            xlctl_client_arg_domain(a, "domain", argv[optind + i]);
        if (call(cmd, &c, "uptime", a, &rets[i], &v))
            goto out;
        if (!YAJL_IS_ARRAY(v)) {
            bad_answer("uptime");
            goto out;
        }
    }
    if (!short_mode)
        printf("%-33s %4s %s\n", "Name", "ID", "Uptime");
    for (int i = 0; i < n; i++)
        print_uptime(xlctl_json_get(rets[i], "return"), short_mode, now);
    status = XLCTL_OK;

out:
    for (int i = 0; rets && i < n; i++)
        yajl_tree_free(rets[i]);
    free(rets);
    xlctl_client_dispose(&c);
    return status;
}

/* ---- config show ------------------------------------------------------- */

int xlctl_cmd_config_show_any(const struct xlctl_cmd *cmd, int argc,
                              char **argv)
{
    static const struct option opts[] = {
        { "json", no_argument, NULL, 'J' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct xlctl_client c;
    struct xlctl_client_args *a;
    struct stat st;
    yajl_val ret = NULL, v, json;
    const char *arg, *text;
    bool want_json = false;
    int status;

    status = xlctl_options(cmd, argc, argv, "", opts, 1, 1, json_opt,
                           &want_json);
    if (status >= 0)
        return status;
    arg = argv[optind];
    /* A file that exists, or what can only be a path, is a file: the
     * verb keeps its offline meaning.  Anything else names a domain. */
    if (!want_json && (stat(arg, &st) == 0 || strchr(arg, '/')
                       || (strlen(arg) > 4
                           && !strcmp(arg + strlen(arg) - 4, ".cfg")))) {
        optind = 0;
        return xlctl_cmd_config_show(cmd, argc, argv);
    }
    xlctl_client_init(&c);
    status = XLCTL_FAIL;
    if (xlctl_connect(cmd, &c))
        goto out;
    a = xlctl_client_args();
    xlctl_client_arg_domain(a, "domain", arg);
    status = call(cmd, &c, "config", a, &ret, &v);
    if (status)
        goto out;
    text = xlctl_json_str(v, "text");
    json = xlctl_json_get(v, "json");
    if (want_json && json) {
        if (YAJL_IS_STRING(json))
            printf("%s\n", YAJL_GET_STRING(json));
        else if (xlctl_json_print(json, true, stdout))
            status = no_memory();
    } else if (!want_json && text) {
        fputs(text, stdout);
        if (*text && text[strlen(text) - 1] != '\n')
            putchar('\n');
    } else {
        status = bad_answer("config");
    }

out:
    yajl_tree_free(ret);
    xlctl_client_dispose(&c);
    return status;
}

/* ---- shutdown, reboot -------------------------------------------------- */

struct down_opts {
    bool all, wait, force, reboot;
};

static bool down_opt(void *opaque, int opt)
{
    struct down_opts *o = opaque;

    switch (opt) {
    case 'a':
        o->all = true;
        return true;
    case 'w':
        o->wait = true;
        return true;
    case 'F':
        o->force = true;
        return true;
    }
    return false;
}

/* What reboot --wait waits for: each domain to go down, as DOMAIN_STATE
 * events tell (the states of doc/protocol.md, and the steps of a
 * restart xld makes after a reboot). */
struct reboot_wait {
    long long *domids;
    bool *down;
    int n, left;
    struct xlctl_progress *progress;
    struct xlctl_client *client;
};

static bool is_down_state(const char *state)
{
    static const char *const down[] = {
        "shutdown", "crashed", "dying", "destroyed", "restarting",
        "preserved",
    };

    for (size_t i = 0; state && i < sizeof(down) / sizeof(down[0]); i++)
        if (strcmp(state, down[i]) == 0)
            return true;
    return false;
}

static void reboot_event(void *opaque, const char *name, yajl_val data,
                         yajl_val msg)
{
    struct reboot_wait *w = opaque;
    long long domid = xlctl_json_int(data, "domid", -1);

    (void)msg;
    if (strcmp(name, "DOMAIN_STATE") != 0
        || !is_down_state(xlctl_json_str(data, "state")))
        return;
    for (int i = 0; i < w->n; i++) {
        if (w->domids[i] == domid && !w->down[i]) {
            w->down[i] = true;
            w->left--;
            progress_line(w->progress, "reboot: waiting for %d of %d "
                          "domain%s", w->left, w->n, w->n > 1 ? "s" : "");
        }
    }
    /* Ends the wait for events once every domain is down. */
    if (w->left == 0 && w->client)
        w->client->stop = true;
}

/* The domids of every domain but dom0 (-a), or of the one asked for;
 * *n of them, in a malloc'd array.  Returns an exit status. */
static int targets(const struct xlctl_cmd *cmd, struct xlctl_client *c,
                   const char *dom, long long **out, int *n)
{
    struct xlctl_client_args *a = xlctl_client_args();
    yajl_val ret, doms;
    int status;

    *out = NULL;
    *n = 0;
    if (dom)
        xlctl_client_arg_domain(a, "domain", dom);
    status = call(cmd, c, "list", a, &ret, &doms);
    if (status)
        return status;
    if (!YAJL_IS_ARRAY(doms)) {
        yajl_tree_free(ret);
        return bad_answer("list");
    }
    *out = calloc(doms->u.array.len + 1, sizeof(**out));
    if (!*out) {
        yajl_tree_free(ret);
        return no_memory();
    }
    for (size_t i = 0; i < doms->u.array.len; i++) {
        long long domid = xlctl_json_int(doms->u.array.values[i], "domid",
                                         -1);

        if (domid > 0 || (dom && domid == 0))
            (*out)[(*n)++] = domid;
    }
    yajl_tree_free(ret);
    return XLCTL_OK;
}

static int down(const struct xlctl_cmd *cmd, int argc, char **argv,
                bool reboot)
{
    static const struct option opts[] = {
        { "all", no_argument, NULL, 'a' },
        { "wait", no_argument, NULL, 'w' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct down_opts o = { .reboot = reboot };
    struct xlctl_progress progress;
    struct reboot_wait rw = { .progress = &progress };
    struct xlctl_client c;
    const char *verb = reboot ? "reboot" : "shutdown";
    long long *domids = NULL, *ids = NULL;
    int status, n = 0, done = 0;

    status = xlctl_options(cmd, argc, argv, "awF", opts, 0, 1,
                     down_opt, &o);
    if (status >= 0)
        return status;
    if (o.all == (optind < argc)) {
        xlctl_usage(cmd, stderr);
        return XLCTL_USAGE;
    }
    xlctl_progress_init(&progress);
    xlctl_client_init(&c);
    status = XLCTL_FAIL;
    if (xlctl_connect(cmd, &c))
        goto out;
    /* A domain is named by its domid from here on: a name can move to
     * another domain while we wait (a reboot makes a new domain of the
     * same name). */
    status = targets(cmd, &c, o.all ? NULL : argv[optind], &domids, &n);
    if (status)
        goto out;
    ids = calloc((size_t)n + 1, sizeof(*ids));
    rw.down = calloc((size_t)n + 1, sizeof(*rw.down));
    if (!ids || !rw.down) {
        status = no_memory();
        goto out;
    }
    rw.domids = domids;
    rw.n = rw.left = n;
    rw.client = &c;
    if (reboot && o.wait) {
        /* Subscribed before the first request: no event can be missed. */
        xlctl_client_on_event(&c, reboot_event, &rw);
        if (call(cmd, &c, "subscribe", NULL, NULL, NULL))
            goto out;
    }
    /* Every request first, so that the domains go down together, then
     * every answer. */
    for (int i = 0; i < n; i++) {
        struct xlctl_client_args *a = xlctl_client_args();

        xlctl_client_arg_int(a, "domain", domids[i]);
        if (!reboot)
            xlctl_client_arg_bool(a, "wait", o.wait);
        xlctl_client_arg_bool(a, "force", o.force);
        if (progress.tty)
            fprintf(stderr, "%s domain %lld\n",
                    reboot ? "Rebooting" : "Shutting down", domids[i]);
        if (xlctl_client_send(&c, verb, a, &ids[i])) {
            xlctl_client_perror(&c, cmd->name, stderr);
            goto out;
        }
    }
    status = XLCTL_OK;
    if (o.wait && !reboot && n)
        progress_line(&progress, "shutdown: waiting for %d domain%s", n,
                      n > 1 ? "s" : "");
    for (int i = 0; i < n; i++) {
        if (xlctl_client_wait(&c, ids[i], timeout_for(cmd), NULL, NULL)) {
            xlctl_progress_clear(&progress);
            xlctl_client_perror(&c, cmd->name, stderr);
            status = XLCTL_FAIL;
            if (c.fd < 0)
                goto out;
            continue;
        }
        done++;
        if (o.wait && !reboot && done < n)
            progress_line(&progress, "shutdown: waiting for %d of %d "
                          "domains", n - done, n);
    }
    if (reboot && o.wait && status == XLCTL_OK && rw.left > 0) {
        progress_line(&progress, "reboot: waiting for %d domain%s",
                      rw.left, rw.left > 1 ? "s" : "");
        /* reboot_event() ends this wait when the last one is down. */
        c.stop = false;
        if (xlctl_client_wait(&c, 0, XLCTL_CLIENT_FOREVER, NULL, NULL)) {
            xlctl_progress_clear(&progress);
            xlctl_client_perror(&c, cmd->name, stderr);
            status = XLCTL_FAIL;
        }
    }

out:
    xlctl_progress_clear(&progress);
    free(rw.down);
    free(ids);
    free(domids);
    xlctl_client_dispose(&c);
    return status;
}

int xlctl_cmd_shutdown(const struct xlctl_cmd *cmd, int argc, char **argv)
{
    return down(cmd, argc, argv, false);
}

int xlctl_cmd_reboot(const struct xlctl_cmd *cmd, int argc, char **argv)
{
    return down(cmd, argc, argv, true);
}

/* ---- one domain, one request ----------------------------------------- */

int xlctl_cmd_domain_op(const struct xlctl_cmd *cmd, int argc, char **argv)
{
    struct xlctl_client_args *a;
    int status;

    status = xlctl_options(cmd, argc, argv, "", NULL, 1, 1, NULL, NULL);
    if (status >= 0)
        return status;
    a = xlctl_client_args();
    xlctl_client_arg_domain(a, "domain", argv[optind]);
    return xlctl_call_once(cmd, cmd->name, a);
}

/* xl's memory sizes (parse_mem_size_kb): a decimal number of MiB, or
 * with one suffix letter b, k, m, g or t (any case).  Returns KiB, or -1. */
static long long parse_mem_kb(const char *s)
{
    char *end;
    long long v;
    int shift;

    errno = 0;
    v = strtoll(s, &end, 10);
    if (end == s || errno || v < 0 || strlen(end) > 1)
        return -1;
    switch (*end) {
    case 't': case 'T':
        shift = 30;
        break;
    case 'g': case 'G':
        shift = 20;
        break;
    case '\0': case 'm': case 'M':
        shift = 10;
        break;
    case 'k': case 'K':
        shift = 0;
        break;
    case 'b': case 'B':
        return v >> 10;
    default:
        return -1;
    }
    if (v > (LLONG_MAX >> shift))
        return -1;
    return v << shift;
}

int xlctl_cmd_mem(const struct xlctl_cmd *cmd, int argc, char **argv)
{
    struct xlctl_client_args *a;
    long long kb;
    int status;

    status = xlctl_options(cmd, argc, argv, "", NULL, 2, 2, NULL, NULL);
    if (status >= 0)
        return status;
    kb = parse_mem_kb(argv[optind + 1]);
    if (kb < 0) {
        fprintf(stderr, "xlctl: invalid memory size: %s\n",
                argv[optind + 1]);
        return XLCTL_USAGE;
    }
    a = xlctl_client_args();
    xlctl_client_arg_domain(a, "domain", argv[optind]);
    xlctl_client_arg_int(a, "memkb", kb);
    return xlctl_call_once(cmd, cmd->name, a);
}

int xlctl_cmd_vcpu_set(const struct xlctl_cmd *cmd, int argc, char **argv)
{
    struct xlctl_client_args *a;
    char *end;
    long n;
    int status;

    status = xlctl_options(cmd, argc, argv, "", NULL, 2, 2, NULL, NULL);
    if (status >= 0)
        return status;
    errno = 0;
    n = strtol(argv[optind + 1], &end, 10);
    if (end == argv[optind + 1] || *end || errno || n < 1 || n > 4096) {
        fprintf(stderr, "xlctl: invalid vCPU count: %s\n",
                argv[optind + 1]);
        return XLCTL_USAGE;
    }
    a = xlctl_client_args();
    xlctl_client_arg_domain(a, "domain", argv[optind]);
    xlctl_client_arg_int(a, "count", n);
    return xlctl_call_once(cmd, "vcpu-set", a);
}

int xlctl_cmd_rename(const struct xlctl_cmd *cmd, int argc, char **argv)
{
    struct xlctl_client_args *a;
    int status;

    status = xlctl_options(cmd, argc, argv, "", NULL, 2, 2, NULL, NULL);
    if (status >= 0)
        return status;
    a = xlctl_client_args();
    xlctl_client_arg_domain(a, "domain", argv[optind]);
    xlctl_client_arg_str(a, "name", argv[optind + 1]);
    return xlctl_call_once(cmd, "rename", a);
}

int xlctl_cmd_sysrq(const struct xlctl_cmd *cmd, int argc, char **argv)
{
    struct xlctl_client_args *a;
    int status;

    status = xlctl_options(cmd, argc, argv, "", NULL, 2, 2, NULL, NULL);
    if (status >= 0)
        return status;
    /* As xl: one letter, said here rather than by xld. */
    if (strlen(argv[optind + 1]) != 1) {
        fprintf(stderr, "xlctl: %s: KEY is one character, not '%s'\n",
                cmd->name, argv[optind + 1]);
        return XLCTL_USAGE;
    }
    a = xlctl_client_args();
    xlctl_client_arg_domain(a, "domain", argv[optind]);
    xlctl_client_arg_str(a, "key", argv[optind + 1]);
    return xlctl_call_once(cmd, "sysrq", a);
}

/* ---- save, restore ------------------------------------------------------ */

bool xlctl_flag_opt(void *opaque, int opt)
{
    (void)opt;
    *(bool *)opaque = true;
    return true;
}

/* A long operation: one request, with its progress shown. */
static int long_op(const struct xlctl_cmd *cmd, const char *execute,
                   struct xlctl_client_args *a)
{
    struct xlctl_progress progress;
    struct xlctl_client c;
    int status = XLCTL_FAIL;

    xlctl_progress_init(&progress);
    xlctl_client_init(&c);
    if (xlctl_connect(cmd, &c)) {
        xlctl_client_args_free(a);
        goto out;
    }
    xlctl_client_on_event(&c, xlctl_progress_event, &progress);
    if (xlctl_client_call(&c, execute, a, XLCTL_CLIENT_FOREVER, NULL,
                          NULL)) {
        xlctl_progress_clear(&progress);
        xlctl_client_perror(&c, cmd->name, stderr);
        goto out;
    }
    status = XLCTL_OK;

out:
    xlctl_progress_clear(&progress);
    xlctl_client_dispose(&c);
    return status;
}

int xlctl_cmd_save(const struct xlctl_cmd *cmd, int argc, char **argv)
{
    struct xlctl_client_args *a;
    bool checkpoint = false;
    char *path;
    int status;

    status = xlctl_options(cmd, argc, argv, "c", NULL, 2, 2, xlctl_flag_opt,
                     &checkpoint);
    if (status >= 0)
        return status;
    path = absolute(argv[optind + 1]);
    if (!path)
        return no_memory();
    a = xlctl_client_args();
    xlctl_client_arg_domain(a, "domain", argv[optind]);
    xlctl_client_arg_str(a, "path", path);
    xlctl_client_arg_bool(a, "checkpoint", checkpoint);
    free(path);
    return long_op(cmd, "save", a);
}

int xlctl_cmd_restore(const struct xlctl_cmd *cmd, int argc, char **argv)
{
    struct xlctl_client_args *a;
    bool paused = false;
    struct stat st;
    char *path;
    int status;

    status = xlctl_options(cmd, argc, argv, "p", NULL, 1, 1, xlctl_flag_opt,
                           &paused);
    if (status >= 0)
        return status;
    /* xld would say the same, later and less plainly. */
    if (stat(argv[optind], &st) && errno == ENOENT) {
        fprintf(stderr, "xlctl: %s: %s\n", argv[optind], strerror(ENOENT));
        return XLCTL_FAIL;
    }
    path = absolute(argv[optind]);
    if (!path)
        return no_memory();
    a = xlctl_client_args();
    xlctl_client_arg_str(a, "path", path);
    xlctl_client_arg_bool(a, "paused", paused);
    free(path);
    return long_op(cmd, "restore", a);
}

/* ---- migrate, migrate-receive ------------------------------------------ */

struct migrate_opts {
    const char *ssh;
    const char *config;
    bool no_wait, paused, debug, dry_run, no_live;
};

static bool migrate_opt(void *opaque, int opt)
{
    struct migrate_opts *o = opaque;

    switch (opt) {
    case 's':
        o->ssh = optarg;
        return true;
    case 'C':
        o->config = optarg;
        return true;
    case 'e':
        o->no_wait = true;
        return true;
    case 'd':
        o->debug = true;
        return true;
    case 'p':
        o->paused = true;
        return true;
    case 0x100:
        o->debug = true;
        return true;
    case 0x200:
        /* xl's migration is always live; --live is for xm's users. */
        return true;
    case 0x300:
        o->dry_run = true;
        return true;
    case 0x400:
        o->no_live = true;
        return true;
    default:
        return false;
    }
}

int xlctl_cmd_migrate(const struct xlctl_cmd *cmd, int argc, char **argv)
{
    static const struct option longopts[] = {
        { "debug", no_argument, NULL, 0x100 },
        { "live", no_argument, NULL, 0x200 },
        { "dry-run", no_argument, NULL, 0x300 },
        { "no-live", no_argument, NULL, 0x400 },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct migrate_opts o;
    struct xlctl_client_args *a;
    char *text = NULL, *path = NULL;
    size_t len;
    int status;

    memset(&o, 0, sizeof(o));
    /* Options may follow the operands, as xl's getopt lets them
     * (xendomains runs `xl migrate ID $XENDOMAINS_MIGRATE`, and the
     * setting may be "host --live"). */
    while ((status = getopt_long(argc, argv, "s:C:eph", longopts,
                                 NULL)) != -1) {
        if (status == 'h') {
            xlctl_usage(cmd, stdout);
            return XLCTL_OK;
        }
        if (status == '?' || !migrate_opt(&o, status)) {
            xlctl_usage(cmd, stderr);
            return XLCTL_USAGE;
        }
    }
    if (argc - optind != 2) {
        xlctl_usage(cmd, stderr);
        return XLCTL_USAGE;
    }
    if (o.config) {
        if (xlctl_read_config(o.config, &text, &len))
            return XLCTL_FAIL;
        path = absolute(o.config);
        if (!path) {
            free(text);
            return no_memory();
        }
    }
    a = xlctl_client_args();
    xlctl_client_arg_domain(a, "domain", argv[optind]);
    xlctl_client_arg_str(a, "host", argv[optind + 1]);
    if (o.ssh)
        xlctl_client_arg_str(a, "ssh", o.ssh);
    if (text) {
        xlctl_client_arg_str(a, "config", text);
        xlctl_client_arg_str(a, "filename", path);
    }
    xlctl_client_arg_bool(a, "paused", o.paused);
    xlctl_client_arg_bool(a, "debug", o.debug);
    xlctl_client_arg_bool(a, "no_wait", o.no_wait);
    if (o.dry_run)
        xlctl_client_arg_bool(a, "dry_run", true);
    if (o.no_live)
        xlctl_client_arg_bool(a, "no_live", true);
    free(text);
    free(path);
    status = long_op(cmd, "migrate", a);
    if (status == XLCTL_OK && o.dry_run)
        printf("%s: the target would take it (dry run: nothing moved)\n",
               argv[optind]);
    return status;
}

/*
 * Under sshd: stdin and stdout are the migration stream.  They go to xld
 * with the request, and ours are replaced with /dev/null at once, so
 * that xld holds the only copies: when it closes them, the sender sees
 * the stream end.  What we say goes to stderr, which the sender logs.
 */
int xlctl_cmd_migrate_receive(const struct xlctl_cmd *cmd, int argc,
                              char **argv)
{
    struct migrate_opts o;
    struct xlctl_client c;
    struct xlctl_client_args *a;
    const int fds[2] = { STDIN_FILENO, STDOUT_FILENO };
    yajl_val ret = NULL, v = NULL, domid;
    const char *dpath[] = { "domid", NULL };
    long long id;
    int status, null = -1;

    memset(&o, 0, sizeof(o));
    status = xlctl_options(cmd, argc, argv, "dep", NULL, 0, 0, migrate_opt,
                           &o);
    /* -d is xl's debug flag on this side. */
    if (status >= 0)
        return status;
    status = XLCTL_FAIL;
    xlctl_client_init(&c);
    if (xlctl_connect(cmd, &c))
        goto out;
    a = xlctl_client_args();
    xlctl_client_arg_bool(a, "paused", o.paused);
    xlctl_client_arg_bool(a, "debug", o.debug);
    xlctl_client_arg_bool(a, "no_wait", o.no_wait);
    if (xlctl_client_send_fds(&c, "migrate-receive", a, fds, 2, &id)) {
        xlctl_client_perror(&c, cmd->name, stderr);
        goto out;
    }
    null = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null < 0 || dup2(null, STDIN_FILENO) < 0
        || dup2(null, STDOUT_FILENO) < 0) {
        fprintf(stderr, "xlctl: /dev/null: %s\n", strerror(errno));
        goto out;
    }
    if (xlctl_client_wait(&c, id, XLCTL_CLIENT_FOREVER, &ret, &v)) {
        xlctl_client_perror(&c, cmd->name, stderr);
        goto out;
    }
    /* A dry run (the sender's migrate --dry-run) made no domain. */
    domid = v ? yajl_tree_get(v, dpath, yajl_t_number) : NULL;
    fprintf(stderr, "xlctl: migrate-receive: %s\n", domid
            ? "the domain runs here"
            : "dry run: the domain would be taken here");
    status = XLCTL_OK;

out:
    yajl_tree_free(ret);
    if (null >= 0)
        close(null);
    xlctl_client_dispose(&c);
    return status;
}

/* ---- cpu placement and scheduling --------------------------------------- */

/*
 * A set of cpus as xl prints one (print_bitmap): "all" when it holds
 * every cpu of the host, "none" when it holds none, else its runs, as in
 * "0-3,6".  cpus is a JSON array of cpu numbers out of nr_cpus.
 */
static void print_cpus(yajl_val cpus, long long nr_cpus)
{
    size_t n = YAJL_IS_ARRAY(cpus) ? cpus->u.array.len : 0;
    long long first = -1, last = -1;
    bool comma = false;

    if (n == 0) {
        fputs("none", stdout);
        return;
    }
    /* One run of consecutive cpus after another; the answer lists them
     * in order. */
    for (size_t i = 0; i < n; i++) {
        yajl_val x = cpus->u.array.values[i];
        long long c = YAJL_IS_INTEGER(x) ? YAJL_GET_INTEGER(x) : -1;

        if (i > 0 && c == last + 1) {
            last = c;
            continue;
        }
        if (i > 0) {
            printf("%s%lld", comma ? "," : "", first);
            if (last > first)
                printf("-%lld", last);
            comma = true;
        }
        first = last = c;
    }
    if (!comma && first == 0 && last == nr_cpus - 1) {
        fputs("all", stdout);
        return;
    }
    printf("%s%lld", comma ? "," : "", first);
    if (last > first)
        printf("-%lld", last);
}

/* xl vcpu-list's lines for the vcpus of one answer. */
static void print_vcpus(yajl_val ret)
{
    long long nr_cpus = xlctl_json_int(ret, "nr_cpus", 0);
    yajl_val v = xlctl_json_get(ret, "vcpus");

    for (size_t i = 0; YAJL_IS_ARRAY(v) && i < v->u.array.len; i++) {
        yajl_val x = v->u.array.values[i];
        const char *name = xlctl_json_str(x, "name");

        printf("%-32s %5lld %5lld", name ? name : "-",
               xlctl_json_int(x, "domid", -1), xlctl_json_int(x, "vcpu", 0));
        if (!xlctl_json_bool(x, "online", false))
            printf("%5c %3c%cp ", '-', '-', '-');
        else
            printf("%5lld %3c%c- ", xlctl_json_int(x, "cpu", 0),
                   xlctl_json_bool(x, "running", false) ? 'r' : '-',
                   xlctl_json_bool(x, "blocked", false) ? 'b' : '-');
        printf("%9.1f  ", xlctl_json_double(x, "time", 0));
        print_cpus(xlctl_json_get(x, "hard"), nr_cpus);
        fputs(" / ", stdout);
        print_cpus(xlctl_json_get(x, "soft"), nr_cpus);
        putchar('\n');
    }
}

int xlctl_cmd_vcpu_list(const struct xlctl_cmd *cmd, int argc, char **argv)
{
    struct xlctl_client c;
    yajl_val *rets = NULL, v;
    int status, n;

    status = xlctl_options(cmd, argc, argv, "", NULL, 0, -1, NULL, NULL);
    if (status >= 0)
        return status;
    /* One request for all domains, or one per domain asked for. */
    n = argc - optind ? argc - optind : 1;
    xlctl_client_init(&c);
    status = XLCTL_FAIL;
    rets = calloc((size_t)n, sizeof(*rets));
    if (!rets) {
        no_memory();
        goto out;
    }
    if (xlctl_connect(cmd, &c))
        goto out;
    /* Every answer first: an unknown domain means no output. */
    for (int i = 0; i < n; i++) {
        struct xlctl_client_args *a = xlctl_client_args();

        if (optind < argc)
            xlctl_client_arg_domain(a, "domain", argv[optind + i]);
        if (call(cmd, &c, "vcpu-list", a, &rets[i], &v))
            goto out;
        if (!YAJL_IS_OBJECT(v)) {
            bad_answer("vcpu-list");
            goto out;
        }
    }
    printf("%-32s %5s %5s %5s %5s %9s %s\n", "Name", "ID", "VCPU", "CPU",
           "State", "Time(s)", "Affinity (Hard / Soft)");
    for (int i = 0; i < n; i++)
        print_vcpus(xlctl_json_get(rets[i], "return"));
    status = XLCTL_OK;

out:
    for (int i = 0; rets && i < n; i++)
        yajl_tree_free(rets[i]);
    free(rets);
    xlctl_client_dispose(&c);
    return status;
}

int xlctl_cmd_vcpu_pin(const struct xlctl_cmd *cmd, int argc, char **argv)
{
    static const struct option opts[] = {
        { "force", no_argument, NULL, 'f' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct xlctl_client_args *a;
    const char *vcpu, *hard, *soft;
    bool force = false;
    char *end;
    long id = -1;
    int status;

    status = xlctl_options(cmd, argc, argv, "f", opts, 3, 4, xlctl_flag_opt,
                           &force);
    if (status >= 0)
        return status;
    vcpu = argv[optind + 1];
    hard = argv[optind + 2];
    soft = optind + 3 < argc ? argv[optind + 3] : NULL;
    if (strcmp(vcpu, "all")) {
        errno = 0;
        id = strtol(vcpu, &end, 10);
        if (end == vcpu || *end || errno || id < 0 || id >= 4096) {
            fprintf(stderr, "xlctl: invalid vcpu '%s': a vcpu number, or "
                    "all\n", vcpu);
            return XLCTL_USAGE;
        }
    } else if (force) {
        fprintf(stderr, "xlctl: --force and 'all' as the vcpu do not go "
                "together: pin one vcpu at a time\n");
        return XLCTL_USAGE;
    }
    a = xlctl_client_args();
    xlctl_client_arg_domain(a, "domain", argv[optind]);
    if (id >= 0)
        xlctl_client_arg_int(a, "vcpu", id);
    else
        xlctl_client_arg_str(a, "vcpu", "all");
    xlctl_client_arg_str(a, "hard", hard);
    if (soft)
        xlctl_client_arg_str(a, "soft", soft);
    if (force)
        xlctl_client_arg_bool(a, "force", true);
    return xlctl_call_once(cmd, "vcpu-pin", a);
}

int xlctl_cmd_cpupool_list(const struct xlctl_cmd *cmd, int argc,
                           char **argv)
{
    static const struct option opts[] = {
        { "cpus", no_argument, NULL, 'c' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct xlctl_client c;
    struct xlctl_client_args *a;
    yajl_val ret = NULL, v;
    bool cpus = false;
    int status;

    status = xlctl_options(cmd, argc, argv, "c", opts, 0, 1, xlctl_flag_opt,
                           &cpus);
    if (status >= 0)
        return status;
    xlctl_client_init(&c);
    status = XLCTL_FAIL;
    if (xlctl_connect(cmd, &c))
        goto out;
    a = xlctl_client_args();
    if (optind < argc)
        xlctl_client_arg_str(a, "pool", argv[optind]);
    if (call(cmd, &c, "cpupool-list", a, &ret, &v))
        goto out;
    if (!YAJL_IS_ARRAY(v)) {
        bad_answer("cpupool-list");
        goto out;
    }
    printf("%-19s%s\n", "Name", cpus ? "CPU list"
           : "CPUs   Sched     Active   Domain count");
    for (size_t i = 0; i < v->u.array.len; i++) {
        yajl_val p = v->u.array.values[i];
        yajl_val list = xlctl_json_get(p, "cpus");
        size_t ncpus = YAJL_IS_ARRAY(list) ? list->u.array.len : 0;
        const char *name = xlctl_json_str(p, "name");
        const char *sched = xlctl_json_str(p, "sched");

        printf("%-19s", name ? name : "-");
        if (cpus) {
            for (size_t k = 0; k < ncpus; k++)
                printf("%s%lld", k ? "," : "",
                       YAJL_IS_INTEGER(list->u.array.values[k])
                       ? YAJL_GET_INTEGER(list->u.array.values[k]) : -1);
        } else {
            printf("%3d %9s       y       %4lld", (int)ncpus,
                   sched ? sched : "-", xlctl_json_int(p, "domains", 0));
        }
        putchar('\n');
    }
    status = XLCTL_OK;

out:
    yajl_tree_free(ret);
    xlctl_client_dispose(&c);
    return status;
}

/* sched-credit2's options, as xl's. */
struct sched_opts {
    const char *dom, *pool;
    long weight, cap;
    bool has_weight, has_cap, schedparam, ratelimit, bad;
};

static bool sched_opt(void *opaque, int opt)
{
    struct sched_opts *o = opaque;
    char *end;
    long v = 0;

    if (opt == 'w' || opt == 'c') {
        errno = 0;
        v = strtol(optarg, &end, 10);
        if (end == optarg || *end || errno || v < 0 || v > INT_MAX) {
            fprintf(stderr, "xlctl: invalid %s '%s'\n",
                    opt == 'w' ? "weight" : "cap", optarg);
            o->bad = true;
        }
    }
    switch (opt) {
    case 'd':
        o->dom = optarg;
        return true;
    case 'p':
        o->pool = optarg;
        return true;
    case 'w':
        o->weight = v;
        o->has_weight = true;
        return !o->bad;
    case 'c':
        o->cap = v;
        o->has_cap = true;
        return !o->bad;
    case 's':
        o->schedparam = true;
        return true;
    case 'r':
        o->ratelimit = true;
        return true;
    }
    return false;
}

/* The line xl prints for a credit2 pool: its rate limit. */
static void print_pool_line(yajl_val pool)
{
    const char *name = xlctl_json_str(pool, "name");
    long long rl = xlctl_json_int(pool, "ratelimit_us", -1);

    if (rl < 0)
        printf("Cpupool %s: [sched params unavailable]\n", name ? name : "-");
    else
        printf("Cpupool %s: ratelimit=%lldus\n", name ? name : "-", rl);
}

static void print_sched_header(void)
{
    printf("%-33s %4s %6s %4s\n", "Name", "ID", "Weight", "Cap");
}

static void print_sched_line(yajl_val d)
{
    const char *name = xlctl_json_str(d, "name");

    printf("%-33s %4lld %6lld %4lld\n", name ? name : "-",
           xlctl_json_int(d, "domid", -1), xlctl_json_int(d, "weight", 0),
           xlctl_json_int(d, "cap", 0));
}

/* Whether a pool answer is the pool the user named (by name or id). */
static bool pool_is(yajl_val pool, const char *want)
{
    const char *name = xlctl_json_str(pool, "name");
    char id[24];

    snprintf(id, sizeof(id), "%lld", xlctl_json_int(pool, "poolid", -1));
    return !want || (name && !strcmp(name, want)) || !strcmp(id, want);
}

/*
 * xl sched-credit2: without -d, every domain of every credit2 cpupool
 * (or of -p's pool), pool by pool; with -d, one domain's weight and cap,
 * or (-w, -c) a change of them; -s, the pool's own parameters (its rate
 * limit, which xld shows but does not change).
 */
int xlctl_cmd_sched_credit2(const struct xlctl_cmd *cmd, int argc,
                            char **argv)
{
    static const struct option opts[] = {
        { "domain", required_argument, NULL, 'd' },
        { "weight", required_argument, NULL, 'w' },
        { "cap", required_argument, NULL, 'c' },
        { "cpupool", required_argument, NULL, 'p' },
        { "schedparam", no_argument, NULL, 's' },
        { "ratelimit_us", required_argument, NULL, 'r' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct sched_opts o = { 0 };
    struct xlctl_cmd ro;
    struct xlctl_client c;
    struct xlctl_client_args *a;
    yajl_val pret = NULL, dret = NULL, pools, doms;
    bool shown = false;
    const char *sched;
    int status;

    status = xlctl_options(cmd, argc, argv, "d:w:c:p:r:s", opts, 0, 0,
                           sched_opt, &o);
    if (status >= 0)
        return status;
    if (o.pool && (o.dom || o.has_weight || o.has_cap)) {
        fprintf(stderr, "xlctl: a cpupool (-p) does not go with the domain "
                "options (-d, -w, -c)\n");
        return XLCTL_USAGE;
    }
    if (!o.dom && (o.has_weight || o.has_cap)) {
        fprintf(stderr, "xlctl: -w and -c need a domain (-d)\n");
        return XLCTL_USAGE;
    }
    if (o.ratelimit) {
        fprintf(stderr, "xlctl: xld does not change a pool's rate limit "
                "(-r); -s shows it\n");
        return XLCTL_USAGE;
    }
    if (o.dom && (o.has_weight || o.has_cap)) {
        a = xlctl_client_args();
        xlctl_client_arg_domain(a, "domain", o.dom);
        if (o.has_weight)
            xlctl_client_arg_int(a, "weight", o.weight);
        if (o.has_cap)
            xlctl_client_arg_int(a, "cap", o.cap);
        xlctl_client_arg_str(a, "scheduler", "credit2");
        return xlctl_call_once(cmd, "sched-set", a);
    }
    /* What is left only reads: the read-only socket will do. */
    ro = *cmd;
    ro.flags |= XLCTL_READONLY;
    cmd = &ro;
    xlctl_client_init(&c);
    status = XLCTL_FAIL;
    if (xlctl_connect(cmd, &c))
        goto out;
    if (o.dom) {
        a = xlctl_client_args();
        xlctl_client_arg_domain(a, "domain", o.dom);
        if (call(cmd, &c, "sched-get", a, &dret, &doms))
            goto out;
        if (!YAJL_IS_ARRAY(doms) || doms->u.array.len != 1) {
            bad_answer("sched-get");
            goto out;
        }
        sched = xlctl_json_str(doms->u.array.values[0], "sched");
        if (!sched || strcmp(sched, "credit2")) {
            fprintf(stderr, "xlctl: %s runs under the %s scheduler, not "
                    "credit2\n", o.dom, sched ? sched : "unknown");
            goto out;
        }
        print_sched_header();
        print_sched_line(doms->u.array.values[0]);
        status = XLCTL_OK;
        goto out;
    }
    if (call(cmd, &c, "cpupool-list", NULL, &pret, &pools))
        goto out;
    if (!YAJL_IS_ARRAY(pools)) {
        bad_answer("cpupool-list");
        goto out;
    }
    if (o.pool) {
        bool found = false;

        for (size_t i = 0; i < pools->u.array.len; i++)
            found |= pool_is(pools->u.array.values[i], o.pool);
        if (!found) {
            fprintf(stderr, "xlctl: unknown cpupool '%s'\n", o.pool);
            goto out;
        }
    }
    if (!o.schedparam
        && call(cmd, &c, "sched-get", NULL, &dret, &doms))
        goto out;
    for (size_t i = 0; i < pools->u.array.len; i++) {
        yajl_val p = pools->u.array.values[i];

        sched = xlctl_json_str(p, "sched");
        /* -s alone is about Pool-0, as in xl. */
        if (o.schedparam && !o.pool
            ? xlctl_json_int(p, "poolid", -1) != 0
            : !pool_is(p, o.pool))
            continue;
        if (!sched || strcmp(sched, "credit2")) {
            if (o.schedparam)
                fprintf(stderr, "xlctl: cpupool %s runs the %s scheduler, "
                        "not credit2\n", xlctl_json_str(p, "name"),
                        sched ? sched : "unknown");
            continue;
        }
        shown = true;
        print_pool_line(p);
        if (o.schedparam)
            continue;
        print_sched_header();
        for (size_t k = 0; YAJL_IS_ARRAY(doms) && k < doms->u.array.len;
             k++) {
            yajl_val d = doms->u.array.values[k];

            if (xlctl_json_int(d, "poolid", -1)
                == xlctl_json_int(p, "poolid", -2))
                print_sched_line(d);
        }
    }
    /* xl prints nothing at all on a host without credit2; say why. */
    if (!shown && !o.schedparam)
        fprintf(stderr, "xlctl: no cpupool%s%s runs the credit2 scheduler\n",
                o.pool ? " " : "", o.pool ? o.pool : "");
    status = XLCTL_OK;

out:
    yajl_tree_free(pret);
    yajl_tree_free(dret);
    xlctl_client_dispose(&c);
    return status;
}

/* ---- events ---------------------------------------------------------- */

/* A value of an event's data in `key=value` form: strings bare unless
 * they need quotes, anything else as JSON. */
static void print_value(yajl_val v)
{
    const char *s = YAJL_IS_STRING(v) ? v->u.string : NULL;

    if (s && *s && !strpbrk(s, " \t\"\\=")) {
        fputs(s, stdout);
        return;
    }
    if (YAJL_IS_NUMBER(v)) {
        fputs(v->u.number.r, stdout);
        return;
    }
    /* The JSON printer ends with a newline, which the line has no room
     * for; print it to a buffer first. */
    {
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);

        if (f) {
            xlctl_json_print(v, false, f);
            fclose(f);
            if (len && buf[len - 1] == '\n')
                buf[--len] = '\0';
            fputs(buf ? buf : "", stdout);
        }
        free(buf);
    }
}

static void print_event(void *opaque, const char *name, yajl_val data,
                        yajl_val msg)
{
    yajl_val ts = xlctl_json_get(msg, "timestamp");
    time_t t = (time_t)xlctl_json_int(ts, "seconds", (long long)time(NULL));
    long long us = xlctl_json_int(ts, "microseconds", 0);
    char when[64] = "";
    struct tm tm;

    if (*(bool *)opaque) {
        xlctl_json_print(msg, false, stdout);
    } else {
        if (localtime_r(&t, &tm))
            strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
        printf("%s.%06lld %s", when, us, name);
        for (size_t i = 0; YAJL_IS_OBJECT(data) && i < data->u.object.len;
             i++) {
            printf(" %s=", data->u.object.keys[i]);
            print_value(data->u.object.values[i]);
        }
        putchar('\n');
    }
    /* Whoever reads this (a pipe, a log) wants each event as it comes. */
    fflush(stdout);
}

static void on_signal(int sig)
{
    (void)sig;
    xlctl_client_interrupted = 1;
}

int xlctl_cmd_events(const struct xlctl_cmd *cmd, int argc, char **argv)
{
    static const struct option opts[] = {
        { "json", no_argument, NULL, 'J' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct sigaction sa = { .sa_handler = on_signal };
    sigset_t block, waitmask;
    struct xlctl_client c;
    bool json = false;
    int status;

    status = xlctl_options(cmd, argc, argv, "", opts, 0, 0, json_opt, &json);
    if (status >= 0)
        return status;
    /* Interrupted is the normal end: stop cleanly, with status 0.  The
     * signals stay blocked but while waiting in ppoll, so that none is
     * missed between a check and the wait. */
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGHUP);
    sigprocmask(SIG_BLOCK, &block, &waitmask);
    sigdelset(&waitmask, SIGINT);
    sigdelset(&waitmask, SIGTERM);
    sigdelset(&waitmask, SIGHUP);
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    xlctl_client_init(&c);
    c.sigmask = &waitmask;
    status = XLCTL_FAIL;
    if (xlctl_connect(cmd, &c))
        goto out;
    xlctl_client_on_event(&c, print_event, &json);
    if (call(cmd, &c, "subscribe", NULL, NULL, NULL))
        goto out;
    xlctl_client_wait(&c, 0, XLCTL_CLIENT_FOREVER, NULL, NULL);
    if (xlctl_client_interrupted)
        status = XLCTL_OK;
    else
        xlctl_client_perror(&c, cmd->name, stderr);

out:
    xlctl_client_dispose(&c);
    return status;
}

/* ---- the simulator ---------------------------------------------------- */

int xlctl_cmd_sim_inject(const struct xlctl_cmd *cmd, int argc, char **argv)
{
    /* What concerns the simulated host as a whole takes no domain. */
    static const char *const host_wide[] = {
        "fail-next", "create-ms", "save-ms-per-gib", "restore-ms-per-gib",
        "destroy-ms",
    };
    struct xlctl_client_args *a;
    const char *what, *dom = NULL, *value = NULL;
    bool host = false;
    long long v = 0;
    char *end;
    int status, n;

    status = xlctl_options(cmd, argc, argv, "", NULL, 1, 3, NULL, NULL);
    if (status >= 0)
        return status;
    what = argv[optind];
    n = argc - optind;
    for (size_t i = 0; i < sizeof(host_wide) / sizeof(host_wide[0]); i++)
        host = host || strcmp(what, host_wide[i]) == 0;
    if (host) {
        /* WHAT VALUE, or WHAT 0 VALUE as the backend's interface has it. */
        if (n == 1 || (n == 3 && strcmp(argv[optind + 1], "0") != 0)) {
            xlctl_usage(cmd, stderr);
            return XLCTL_USAGE;
        }
        value = argv[argc - 1];
    } else {
        if (n < 2) {
            xlctl_usage(cmd, stderr);
            return XLCTL_USAGE;
        }
        dom = argv[optind + 1];
        value = n == 3 ? argv[optind + 2] : NULL;
    }
    if (value) {
        errno = 0;
        v = strtoll(value, &end, 0);
        if (end == value || *end || errno) {
            fprintf(stderr, "xlctl: invalid value '%s'\n", value);
            return XLCTL_USAGE;
        }
    }
    a = xlctl_client_args();
    xlctl_client_arg_str(a, "what", what);
    if (dom)
        xlctl_client_arg_domain(a, "domain", dom);
    if (value)
        xlctl_client_arg_int(a, "value", v);
    return xlctl_call_once(cmd, "sim-inject", a);
}

/* ---- console ------------------------------------------------------------ */

struct console_opts {
    const char *type;
    long long num;
};

static bool console_opt(void *opaque, int opt)
{
    struct console_opts *o = opaque;
    char *end;

    switch (opt) {
    case 't':
        /* xl's three console types; xld checks them again. */
        if (strcmp(optarg, "pv") && strcmp(optarg, "serial")
            && strcmp(optarg, "vuart")) {
            fprintf(stderr, "xlctl console: the console types are pv, "
                    "serial and vuart\n");
            return false;
        }
        o->type = optarg;
        return true;
    case 'n':
        errno = 0;
        o->num = strtoll(optarg, &end, 10);
        return !errno && end != optarg && !*end && o->num >= 0
               && o->num <= 255;
    }
    return false;
}

/* Xen's console client, where Debian and upstream install it; the
 * environment may name another (tests, unusual layouts). */
static const char *find_xenconsole(void)
{
    static const char *const where[] = {
        "/usr/lib/xen-4.17/bin/xenconsole",
        "/usr/lib/xen/bin/xenconsole",
        "/usr/libexec/xen/bin/xenconsole",
    };
    const char *env = getenv("XLCTL_XENCONSOLE");

    if (env && *env)
        return env;
    for (size_t i = 0; i < sizeof(where) / sizeof(where[0]); i++)
        if (access(where[i], X_OK) == 0)
            return where[i];
    return NULL;
}

/*
 * console [-t TYPE] [-n NUM] DOM: xld says which domid and console.  On
 * Xen, xlctl then becomes Xen's xenconsole, as xl console does, so the
 * keys (Ctrl-] to leave) and the terminal handling are xl's own.  On the
 * simulator, whose consoles are ptys of xld's that xenconsole cannot find
 * in xenstore, xlctl attaches to the tty itself, the same way
 * (console.c).
 */
int xlctl_cmd_console(const struct xlctl_cmd *cmd, int argc, char **argv)
{
    struct console_opts o = { NULL, 0 };
    struct xlctl_client c;
    struct xlctl_client_args *a;
    yajl_val ret = NULL, v, domid, type, tty, backend;
    const char *path, *tpath[] = { "type", NULL }, *dpath[] = { "domid",
                                                                 NULL };
    const char *ttypath[] = { "tty", NULL }, *bpath[] = { "backend", NULL };
    char domid_s[16], num_s[16];
    int status;

    status = xlctl_options(cmd, argc, argv, "t:n:", NULL, 1, 1, console_opt,
                           &o);
    if (status >= 0)
        return status;
    xlctl_client_init(&c);
    status = XLCTL_FAIL;
    if (xlctl_connect(cmd, &c))
        goto out;
    a = xlctl_client_args();
    xlctl_client_arg_str(a, "domain", argv[optind]);
    if (o.type)
        xlctl_client_arg_str(a, "type", o.type);
    xlctl_client_arg_int(a, "num", o.num);
    status = call(cmd, &c, "console", a, &ret, &v);
    if (status)
        goto out;
    domid = yajl_tree_get(v, dpath, yajl_t_number);
    type = yajl_tree_get(v, tpath, yajl_t_string);
    tty = yajl_tree_get(v, ttypath, yajl_t_string);
    backend = yajl_tree_get(v, bpath, yajl_t_string);
    if (!YAJL_IS_INTEGER(domid) || !type) {
        status = bad_answer("console");
        goto out;
    }
    /* An xld older than the "backend" key ran on Xen alone: it had no
     * simulated consoles. */
    if (YAJL_IS_STRING(backend) && !strcmp(backend->u.string, "sim")) {
        if (!YAJL_IS_STRING(tty)) {
            status = bad_answer("console");
            goto out;
        }
        /* A session may last: xld's connection is not kept open. */
        xlctl_client_dispose(&c);
        status = xlctl_console_attach(tty->u.string);
        goto out;
    }
    path = find_xenconsole();
    if (!path) {
        fprintf(stderr, "xlctl: xenconsole not found (it comes with "
                "xen-utils-4.17; XLCTL_XENCONSOLE names another)\n");
        status = XLCTL_FAIL;
        goto out;
    }
    snprintf(domid_s, sizeof(domid_s), "%lld", YAJL_GET_INTEGER(domid));
    snprintf(num_s, sizeof(num_s), "%lld", o.num);
    /* The connection to xld must not live on in the console client. */
    xlctl_client_dispose(&c);
    fflush(NULL);
    execl(path, path, domid_s, "--num", num_s, "--type",
          YAJL_GET_STRING(type), (char *)NULL);
    fprintf(stderr, "xlctl: running %s: %s\n", path, strerror(errno));
    status = XLCTL_FAIL;

out:
    yajl_tree_free(ret);
    xlctl_client_dispose(&c);
    return status;
}
