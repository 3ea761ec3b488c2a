/*
 * cmd_top.c - `xlctl top`, the job of `xl top` (xentop): every domain's
 * CPU, memory, vcpus and I/O counters, refreshed; and `xlctl metrics`,
 * the same counters in Prometheus's text format.
 *
 * xld answers "stats" with the counters and a monotonic timestamp; the
 * CPU percentage is computed here from two samples, as xentop does (the
 * vcpu time a domain used over the wall time that passed, so a domain
 * busy on two cpus shows 200%).  The table has xentop's columns, widths
 * and order (by name), so scripts written for `xentop -b` read it.
 */
#define _GNU_SOURCE

#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "xlctl.h"

/* One domain of a sample, as xld sent it. */
struct top_dom {
    yajl_val obj;                /* xld's object for it */
    const char *name;
    long long domid;
    const char *flags;           /* xentop's "dsbcpr" */
    unsigned long long cpu_ns, memkb, maxmemkb;
    long long vcpus;
    unsigned long long nets, net_tx, net_rx, vbds, vbd_oo, vbd_rd, vbd_wr,
        vbd_rsect, vbd_wsect;
    double cpu_pct;
};

/* A sample: xld's reply (owned) and the domains in it. */
struct top_sample {
    yajl_val reply;
    yajl_val ret;
    struct top_dom *doms;
    size_t n;
    unsigned long long time_ns;
};

static void top_sample_init(struct top_sample *s)
{
    memset(s, 0, sizeof(*s));
}

static void top_sample_dispose(struct top_sample *s)
{
    free(s->doms);
    yajl_tree_free(s->reply);
    top_sample_init(s);
}

static unsigned long long uget(yajl_val o, const char *key)
{
    long long v = xlctl_json_int(o, key, 0);

    return v < 0 ? 0 : (unsigned long long)v;
}

static int by_name(const void *a, const void *b)
{
    const struct top_dom *x = a, *y = b;

    return strcasecmp(x->name, y->name);
}

/* Ask xld for a sample.  Returns an exit status. */
static int take_sample(const struct xlctl_cmd *cmd, struct xlctl_client *c,
                       struct top_sample *s)
{
    yajl_val doms;
    size_t n;

    if (xlctl_client_call(c, "stats", NULL, XLCTL_CLIENT_QUERY_MS, &s->reply,
                          &s->ret)) {
        if (!xlctl_client_interrupted)
            xlctl_client_perror(c, cmd->name, stderr);
        return XLCTL_FAIL;
    }
    doms = xlctl_json_get(s->ret, "domains");
    if (!YAJL_IS_OBJECT(s->ret) || !YAJL_IS_ARRAY(doms)) {
        fprintf(stderr, "xlctl: %s: xld's answer is not what was expected\n",
                cmd->name);
        return XLCTL_FAIL;
    }
    n = doms->u.array.len;
    s->doms = calloc(n ? n : 1, sizeof(*s->doms));
    if (!s->doms) {
        fprintf(stderr, "xlctl: %s\n", strerror(ENOMEM));
        return XLCTL_FAIL;
    }
    s->time_ns = uget(s->ret, "time_ns");
    for (size_t i = 0; i < n; i++) {
        yajl_val o = doms->u.array.values[i];
        struct top_dom *d = &s->doms[s->n];

        if (!YAJL_IS_OBJECT(o) || !xlctl_json_str(o, "name"))
            continue;
        d->obj = o;
        d->name = xlctl_json_str(o, "name");
        d->domid = xlctl_json_int(o, "domid", -1);
        d->flags = xlctl_json_str(o, "flags");
        if (!d->flags)
            d->flags = "------";
        d->cpu_ns = uget(o, "cpu_time_ns");
        d->memkb = uget(o, "memkb");
        d->maxmemkb = uget(o, "maxmemkb");
        d->vcpus = xlctl_json_int(o, "maxvcpus", 0);
        d->nets = uget(o, "nets");
        d->net_tx = uget(o, "net_tx_bytes");
        d->net_rx = uget(o, "net_rx_bytes");
        d->vbds = uget(o, "vbds");
        d->vbd_oo = uget(o, "vbd_oo");
        d->vbd_rd = uget(o, "vbd_rd");
        d->vbd_wr = uget(o, "vbd_wr");
        d->vbd_rsect = uget(o, "vbd_rsect");
        d->vbd_wsect = uget(o, "vbd_wsect");
        s->n++;
    }
    qsort(s->doms, s->n, sizeof(*s->doms), by_name);
    return XLCTL_OK;
}

/* CPU % against the previous sample, as xentop: 0 without one, or for a
 * domain that was not in it (a new domain with a reused domid included:
 * its cpu time would go backwards). */
static void cpu_percent(struct top_sample *cur, const struct top_sample *old)
{
    double elapsed;

    if (!old || !old->reply || cur->time_ns <= old->time_ns)
        return;
    elapsed = (double)(cur->time_ns - old->time_ns);
    for (size_t i = 0; i < cur->n; i++) {
        struct top_dom *d = &cur->doms[i];

        for (size_t j = 0; j < old->n; j++) {
            const struct top_dom *o = &old->doms[j];

            if (o->domid == d->domid && d->cpu_ns >= o->cpu_ns) {
                d->cpu_pct = (double)(d->cpu_ns - o->cpu_ns) * 100.0
                             / elapsed;
                break;
            }
        }
    }
}

/* The widths of the counters that may outgrow xentop's defaults, as
 * xentop widens them to the largest value. */
struct widths {
    int net_tx, net_rx, vbd_rd, vbd_wr, vbd_rsect, vbd_wsect;
};

static int digits(unsigned long long v)
{
    int n = 1;

    while (v >= 10) {
        v /= 10;
        n++;
    }
    return n;
}

static void widen(int *w, unsigned long long v)
{
    if (digits(v) > *w)
        *w = digits(v);
}

static void table(const struct top_sample *s, unsigned long long total_kb)
{
    struct widths w = { 8, 8, 8, 8, 10, 10 };

    for (size_t i = 0; i < s->n; i++) {
        const struct top_dom *d = &s->doms[i];

        /* xentop's NETTX and NETRX are the vif's own counters in dom0:
         * NETTX is what the vif sent the guest, which the guest
         * received (net_rx), and NETRX what the guest sent.  Seen so on
         * Xen 4.17 in the end-to-end suite's step 10; the JSON and the
         * metrics keep the guest's point of view. */
        widen(&w.net_tx, d->net_rx / 1024);
        widen(&w.net_rx, d->net_tx / 1024);
        widen(&w.vbd_rd, d->vbd_rd);
        widen(&w.vbd_wr, d->vbd_wr);
        widen(&w.vbd_rsect, d->vbd_rsect);
        widen(&w.vbd_wsect, d->vbd_wsect);
    }
    printf("%10s %6s %10s %6s %10s %6s %10s %9s %5s %4s %*s %*s %4s %8s "
           "%*s %*s %*s %*s %4s\n", "NAME", "STATE", "CPU(sec)", "CPU(%)",
           "MEM(k)", "MEM(%)", "MAXMEM(k)", "MAXMEM(%)", "VCPUS", "NETS",
           w.net_tx, "NETTX(k)", w.net_rx, "NETRX(k)", "VBDS", "VBD_OO",
           w.vbd_rd, "VBD_RD", w.vbd_wr, "VBD_WR", w.vbd_rsect, "VBD_RSECT",
           w.vbd_wsect, "VBD_WSECT", "SSID");
    for (size_t i = 0; i < s->n; i++) {
        const struct top_dom *d = &s->doms[i];
        double total = total_kb ? (double)total_kb : 1.0;
        /* Domain-0 has no memory limit unless dom0_mem=max: says xentop
         * when Xen reports an unlimited maximum. */
        bool unlimited = d->maxmemkb == 0
                         || d->maxmemkb >= (UINT64_MAX >> 10);
        char maxmem[24], maxpct[32];

        if (unlimited) {
            snprintf(maxmem, sizeof(maxmem), "%s", "no limit");
            snprintf(maxpct, sizeof(maxpct), "%s", "n/a");
        } else {
            snprintf(maxmem, sizeof(maxmem), "%llu", d->maxmemkb);
            snprintf(maxpct, sizeof(maxpct), "%.1f",
                     (double)d->maxmemkb / total * 100.0);
        }
        printf("%10.10s %6.6s %10llu %6.1f %10llu %6.1f %10s %9s %5lld %4llu "
               "%*llu %*llu %4llu %8llu %*llu %*llu %*llu %*llu %4u\n",
               d->name, d->flags, d->cpu_ns / 1000000000ull, d->cpu_pct,
               d->memkb, (double)d->memkb / total * 100.0, maxmem, maxpct,
               d->vcpus, d->nets, w.net_tx, d->net_rx / 1024, w.net_rx,
               d->net_tx / 1024, d->vbds, d->vbd_oo, w.vbd_rd, d->vbd_rd,
               w.vbd_wr, d->vbd_wr, w.vbd_rsect, d->vbd_rsect, w.vbd_wsect,
               d->vbd_wsect, 0u);
    }
}

/* The lines above the table on a terminal, as xentop's. */
static void summary(const struct top_sample *s)
{
    unsigned run = 0, block = 0, pause = 0, crash = 0, dying = 0, shut = 0;
    unsigned long long total = uget(s->ret, "total_memkb");
    unsigned long long free_kb = uget(s->ret, "free_memkb");
    const char *ver = xlctl_json_str(s->ret, "xen_version");
    char now[16] = "";
    time_t t = time(NULL);
    struct tm tm;

    if (localtime_r(&t, &tm))
        strftime(now, sizeof(now), "%H:%M:%S", &tm);
    /* One state each, in xentop's order of precedence. */
    for (size_t i = 0; i < s->n; i++) {
        const char *f = s->doms[i].flags;

        if (strlen(f) < 6)
            continue;
        if (f[5] == 'r')
            run++;
        else if (f[2] == 'b')
            block++;
        else if (f[4] == 'p')
            pause++;
        else if (f[3] == 'c')
            crash++;
        else if (f[1] == 's')
            shut++;
        else if (f[0] == 'd')
            dying++;
    }
    printf("xlctl top - %s   Xen %s\n", now, ver ? ver : "?");
    printf("%zu domains: %u running, %u blocked, %u paused, %u crashed, "
           "%u dying, %u shutdown \n", s->n, run, block, pause, crash, dying,
           shut);
    printf("Mem: %lluk total, %lluk used, %lluk free    CPUs: %lld\n",
           total, total > free_kb ? total - free_kb : 0, free_kb,
           xlctl_json_int(s->ret, "nr_cpus", 0));
}

/* --json: one line per sample, the counters with the CPU % added. */
static int print_json(const struct top_sample *s)
{
    yajl_gen g = yajl_gen_alloc(NULL);
    const unsigned char *buf;
    size_t len;
    int rc = -1;

    if (!g)
        return -1;
    yajl_gen_map_open(g);
    yajl_gen_string(g, (const unsigned char *)"time_ns", 7);
    yajl_gen_integer(g, (long long)s->time_ns);
    yajl_gen_string(g, (const unsigned char *)"domains", 7);
    yajl_gen_array_open(g);
    for (size_t i = 0; i < s->n; i++) {
        const struct top_dom *d = &s->doms[i];
        yajl_val o = d->obj;
        char pct[32];

        /* xld's object for this domain, then the CPU %. */
        yajl_gen_map_open(g);
        for (size_t k = 0; k < o->u.object.len; k++) {
            const char *key = o->u.object.keys[k];

            yajl_gen_string(g, (const unsigned char *)key, strlen(key));
            xlctl_json_gen(g, o->u.object.values[k]);
        }
        snprintf(pct, sizeof(pct), "%.1f", d->cpu_pct);
        yajl_gen_string(g, (const unsigned char *)"cpu_pct", 7);
        yajl_gen_number(g, pct, strlen(pct));
        yajl_gen_map_close(g);
    }
    yajl_gen_array_close(g);
    yajl_gen_map_close(g);
    if (yajl_gen_get_buf(g, &buf, &len) == yajl_gen_status_ok
        && fwrite(buf, 1, len, stdout) == len && putchar('\n') != EOF)
        rc = 0;
    yajl_gen_free(g);
    return rc;
}

static volatile sig_atomic_t top_stop;

static void on_stop(int sig)
{
    (void)sig;
    top_stop = 1;
}

/* Wait for the delay, or a 'q' on the terminal.  Returns false to stop. */
static bool pause_for(unsigned delay_s, bool keys)
{
    struct pollfd p = { .fd = STDIN_FILENO, .events = POLLIN };
    struct timespec end, now;

    clock_gettime(CLOCK_MONOTONIC, &end);
    end.tv_sec += delay_s;
    for (;;) {
        long ms;

        if (top_stop)
            return false;
        clock_gettime(CLOCK_MONOTONIC, &now);
        ms = (end.tv_sec - now.tv_sec) * 1000
             + (end.tv_nsec - now.tv_nsec) / 1000000;
        if (ms <= 0)
            return true;
        if (!keys) {
            struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

            nanosleep(&ts, NULL);
            continue;
        }
        if (poll(&p, 1, (int)ms) > 0) {
            char ch;

            if (read(STDIN_FILENO, &ch, 1) != 1 || ch == 'q' || ch == 'Q')
                return false;
        }
    }
}

int xlctl_cmd_top(const struct xlctl_cmd *cmd, int argc, char **argv)
{
    static const struct option opts[] = {
        { "batch", no_argument, NULL, 'b' },
        { "delay", required_argument, NULL, 'd' },
        { "iterations", required_argument, NULL, 'i' },
        { "json", no_argument, NULL, 'J' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct sigaction sa = { .sa_handler = on_stop };
    struct top_sample cur, old;
    struct termios saved, raw;
    struct xlctl_client c;
    bool batch = false, json = false, screen, have_term = false;
    long delay = 3, iterations = 0, done = 0;
    char *end;
    int opt, status = XLCTL_FAIL;

    top_sample_init(&cur);
    top_sample_init(&old);
    xlctl_client_init(&c);
    while ((opt = getopt_long(argc, argv, "+bd:i:h", opts, NULL)) != -1) {
        switch (opt) {
        case 'b':
            batch = true;
            break;
        case 'J':
            json = true;
            break;
        case 'd':
        case 'i':
            errno = 0;
            if (opt == 'd')
                delay = strtol(optarg, &end, 10);
            else
                iterations = strtol(optarg, &end, 10);
            if (errno || *end || end == optarg
                || (opt == 'd' ? delay < 1 || delay > 86400
                               : iterations < 1)) {
                fprintf(stderr, "xlctl: %s: -%c wants a whole number %s, "
                        "not '%s'\n", cmd->name, opt,
                        opt == 'd' ? "of seconds from 1 to 86400"
                                   : "from 1 up", optarg);
                status = XLCTL_USAGE;
                goto out;
            }
            break;
        case 'h':
            xlctl_usage(cmd, stdout);
            status = XLCTL_OK;
            goto out;
        default:
            xlctl_usage(cmd, stderr);
            status = XLCTL_USAGE;
            goto out;
        }
    }
    if (optind != argc) {
        xlctl_usage(cmd, stderr);
        status = XLCTL_USAGE;
        goto out;
    }
    /* The live view is for a terminal; anything else gets lines. */
    screen = !batch && !json && isatty(STDOUT_FILENO);
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    if (screen && isatty(STDIN_FILENO) && !tcgetattr(STDIN_FILENO, &saved)) {
        raw = saved;
        raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
        raw.c_cc[VMIN] = 1;
        raw.c_cc[VTIME] = 0;
        have_term = !tcsetattr(STDIN_FILENO, TCSANOW, &raw);
    }
    if (xlctl_connect(cmd, &c))
        goto out;
    for (;;) {
        status = take_sample(cmd, &c, &cur);
        if (status)
            break;
        cpu_percent(&cur, &old);
        if (screen) {
            /* Home and clear: the table redrawn in place. */
            fputs("\033[H\033[2J", stdout);
            summary(&cur);
            table(&cur, uget(cur.ret, "total_memkb"));
            fputs("\n(q quits)", stdout);
        } else if (json) {
            if (print_json(&cur)) {
                status = XLCTL_FAIL;
                break;
            }
        } else {
            table(&cur, uget(cur.ret, "total_memkb"));
        }
        fflush(stdout);
        top_sample_dispose(&old);
        old = cur;
        top_sample_init(&cur);
        if (iterations && ++done >= iterations)
            break;
        if (!pause_for((unsigned)delay, have_term))
            break;
    }
    if (screen)
        putchar('\n');
    /* Interrupted is the normal way out of a live view. */
    if (top_stop)
        status = XLCTL_OK;

out:
    if (have_term)
        tcsetattr(STDIN_FILENO, TCSANOW, &saved);
    top_sample_dispose(&cur);
    top_sample_dispose(&old);
    xlctl_client_dispose(&c);
    return status;
}

int xlctl_cmd_metrics(const struct xlctl_cmd *cmd, int argc, char **argv)
{
    struct xlctl_client c;
    yajl_val reply = NULL, ret;
    const char *text;
    int status = XLCTL_USAGE;

    if (argc > 1) {
        if (strcmp(argv[1], "-h") && strcmp(argv[1], "--help")) {
            xlctl_usage(cmd, stderr);
            return XLCTL_USAGE;
        }
        xlctl_usage(cmd, stdout);
        return XLCTL_OK;
    }
    xlctl_client_init(&c);
    status = XLCTL_FAIL;
    if (xlctl_connect(cmd, &c))
        goto out;
    if (xlctl_client_call(&c, "metrics", NULL, XLCTL_CLIENT_QUERY_MS, &reply,
                          &ret)) {
        xlctl_client_perror(&c, cmd->name, stderr);
        goto out;
    }
    text = xlctl_json_str(ret, "text");
    if (!text) {
        fprintf(stderr, "xlctl: %s: xld's answer is not what was expected\n",
                cmd->name);
        goto out;
    }
    if (fputs(text, stdout) == EOF || fflush(stdout)) {
        fprintf(stderr, "xlctl: %s: %s\n", cmd->name, strerror(errno));
        goto out;
    }
    status = XLCTL_OK;

out:
    yajl_tree_free(reply);
    xlctl_client_dispose(&c);
    return status;
}
