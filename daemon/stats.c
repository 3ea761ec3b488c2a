/*
 * stats.c - a domain's I/O counters from sysfs, and the Prometheus text
 * of every domain's counters (see stats.h).
 */
#define _GNU_SOURCE

#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "stats.h"

/* One counter file of a device: a decimal number and a newline.  The
 * device may be unplugged under us, so a missing file is -ENOENT, which
 * the callers take as "this device is gone". */
static int read_counter(int dirfd, const char *path, uint64_t *out)
{
    char buf[32], *end;
    unsigned long long v;
    ssize_t len;
    int fd, rc = 0;

    fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    len = read(fd, buf, sizeof(buf) - 1);
    if (len < 0) {
        rc = -errno;
        goto out;
    }
    buf[len] = '\0';
    errno = 0;
    v = strtoull(buf, &end, 10);
    if (end == buf || errno || (*end && *end != '\n')) {
        rc = -EINVAL;
        goto out;
    }
    *out = v;
out:
    close(fd);
    return rc;
}

/* Whether name is exactly PREFIX<domid><sep><number>: "vif3.0" or
 * "vbd-3-51712", and not "vif3.0-emu" (the emulated twin of an HVM
 * guest's vif, whose traffic xentop does not count either). */
static bool device_of(const char *name, const char *prefix, char sep,
                      uint32_t domid)
{
    size_t plen = strlen(prefix);
    unsigned long d;
    char *end;

    if (strncmp(name, prefix, plen))
        return false;
    name += plen;
    if (*name < '0' || *name > '9')
        return false;
    errno = 0;
    d = strtoul(name, &end, 10);
    if (errno || d != domid || *end != sep)
        return false;
    name = end + 1;
    if (*name < '0' || *name > '9')
        return false;
    strtoul(name, &end, 10);
    return *end == '\0';
}

/* Add the counters named in `files` of every matching device folder of
 * dir to the sums; returns how many devices were counted, or a negative
 * errno value when dir cannot be read (a missing dir: none). */
static int sum_devices(const char *dir, const char *prefix, char sep,
                       uint32_t domid, const char *const *files,
                       uint64_t *const *sums, size_t nfiles)
{
    struct dirent *de;
    DIR *d = opendir(dir);
    int count = 0;

    if (!d)
        return errno == ENOENT ? 0 : -errno;
    while ((de = readdir(d))) {
        uint64_t vals[8];
        char path[PATH_MAX];
        int dirfd;
        size_t i;

        if (!device_of(de->d_name, prefix, sep, domid))
            continue;
        if (snprintf(path, sizeof(path), "%s/%s/statistics", dir,
                     de->d_name) >= (int)sizeof(path))
            continue;
        dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dirfd < 0)
            continue;
        /* A device counts whole or not at all: one that went away half
         * read would make the sums go backwards on the next sample. */
        for (i = 0; i < nfiles && i < 8; i++)
            if (read_counter(dirfd, files[i], &vals[i]))
                break;
        close(dirfd);
        if (i < nfiles)
            continue;
        for (i = 0; i < nfiles; i++)
            *sums[i] += vals[i];
        count++;
    }
    closedir(d);
    return count;
}

int xld_stats_read_sysfs(const char *sysroot, uint32_t domid,
                         struct xld_domstats *out)
{
    /* netback counts from dom0's side: its rx is what the guest sent. */
    static const char *const net_files[] = {
        "rx_bytes", "rx_packets", "tx_bytes", "tx_packets",
    };
    static const char *const vbd_files[] = {
        "oo_req", "rd_req", "wr_req", "rd_sect", "wr_sect",
    };
    uint64_t *const net_sums[] = {
        &out->net_tx_bytes, &out->net_tx_packets,
        &out->net_rx_bytes, &out->net_rx_packets,
    };
    uint64_t *const vbd_sums[] = {
        &out->vbd_oo, &out->vbd_rd, &out->vbd_wr, &out->vbd_rsect,
        &out->vbd_wsect,
    };
    char dir[PATH_MAX];
    int n;

    memset(out, 0, sizeof(*out));
    if (snprintf(dir, sizeof(dir), "%s/class/net", sysroot)
        >= (int)sizeof(dir))
        return -ENAMETOOLONG;
    n = sum_devices(dir, "vif", '.', domid, net_files, net_sums, 4);
    if (n < 0)
        return n;
    out->nets = (unsigned)n;
    if (snprintf(dir, sizeof(dir), "%s/bus/xen-backend/devices", sysroot)
        >= (int)sizeof(dir))
        return -ENAMETOOLONG;
    n = sum_devices(dir, "vbd-", '-', domid, vbd_files, vbd_sums, 5);
    if (n < 0)
        return n;
    out->vbds = (unsigned)n;
    return 0;
}

/* ---- the Prometheus text ------------------------------------------------ */

/* A label value: backslash, double quote and newline escaped, as the
 * exposition format wants. */
static void put_label(FILE *out, const char *s)
{
    for (; s && *s; s++) {
        if (*s == '\\')
            fputs("\\\\", out);
        else if (*s == '"')
            fputs("\\\"", out);
        else if (*s == '\n')
            fputs("\\n", out);
        else
            fputc(*s, out);
    }
}

enum metric_kind { GAUGE, COUNTER };

/* The domain metrics: name, kind, help, and how to get the value. */
struct dom_metric {
    const char *name;
    enum metric_kind kind;
    const char *help;
    double (*get)(const struct xld_stats_dom *d);
};

#define GETTER(fn, expr)                                                   \
    static double fn(const struct xld_stats_dom *d) { return (double)(expr); }

GETTER(get_cpu, d->cpu_time_ns / 1e9)
GETTER(get_mem, d->current_memkb * 1024.0)
GETTER(get_maxmem, d->max_memkb * 1024.0)
GETTER(get_vcpus, d->vcpus_online)
GETTER(get_maxvcpus, d->vcpus_max)
GETTER(get_nets, d->io.nets)
GETTER(get_net_tx, d->io.net_tx_bytes)
GETTER(get_net_rx, d->io.net_rx_bytes)
GETTER(get_net_txp, d->io.net_tx_packets)
GETTER(get_net_rxp, d->io.net_rx_packets)
GETTER(get_vbds, d->io.vbds)
GETTER(get_vbd_oo, d->io.vbd_oo)
GETTER(get_vbd_rd, d->io.vbd_rd)
GETTER(get_vbd_wr, d->io.vbd_wr)
GETTER(get_vbd_rb, d->io.vbd_rsect * 512.0)
GETTER(get_vbd_wb, d->io.vbd_wsect * 512.0)

static const struct dom_metric dom_metrics[] = {
    { "xld_domain_cpu_seconds_total", COUNTER,
      "CPU time the domain's vcpus have run, in seconds.", get_cpu },
    { "xld_domain_memory_bytes", GAUGE,
      "Memory the domain has now, in bytes.", get_mem },
    { "xld_domain_memory_max_bytes", GAUGE,
      "The most memory the domain may have, in bytes.", get_maxmem },
    { "xld_domain_vcpus_online", GAUGE,
      "The domain's vcpus that are online.", get_vcpus },
    { "xld_domain_vcpus_max", GAUGE,
      "The vcpus the domain may have online.", get_maxvcpus },
    { "xld_domain_network_interfaces", GAUGE,
      "The domain's virtual network interfaces (vifs).", get_nets },
    { "xld_domain_network_transmit_bytes_total", COUNTER,
      "Bytes the domain sent on its vifs.", get_net_tx },
    { "xld_domain_network_receive_bytes_total", COUNTER,
      "Bytes the domain received on its vifs.", get_net_rx },
    { "xld_domain_network_transmit_packets_total", COUNTER,
      "Packets the domain sent on its vifs.", get_net_txp },
    { "xld_domain_network_receive_packets_total", COUNTER,
      "Packets the domain received on its vifs.", get_net_rxp },
    { "xld_domain_block_devices", GAUGE,
      "The domain's virtual block devices served by blkback.", get_vbds },
    { "xld_domain_block_out_of_requests_total", COUNTER,
      "Block requests that waited for a free ring slot.", get_vbd_oo },
    { "xld_domain_block_read_requests_total", COUNTER,
      "Block read requests.", get_vbd_rd },
    { "xld_domain_block_write_requests_total", COUNTER,
      "Block write requests.", get_vbd_wr },
    { "xld_domain_block_read_bytes_total", COUNTER,
      "Bytes read from the domain's block devices.", get_vbd_rb },
    { "xld_domain_block_write_bytes_total", COUNTER,
      "Bytes written to the domain's block devices.", get_vbd_wb },
};

static void header(FILE *out, const char *name, enum metric_kind kind,
                   const char *help)
{
    fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name,
            kind == COUNTER ? "counter" : "gauge");
}

/* The shortest decimal that reads back as the same double (0.402, not
 * 0.40200000000000002); %.17g always does, and prints integers up to
 * 2^53, which is what these counters hold, without an exponent. */
static void value(FILE *out, double v)
{
    char buf[40];

    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, sizeof(buf), "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    fprintf(out, " %s\n", buf);
}

int xld_stats_prometheus(FILE *out, const struct xld_stats_host *host,
                         const struct xld_stats_dom *doms, size_t n)
{
    header(out, "xld_host_memory_total_bytes", GAUGE,
           "The host's memory, in bytes.");
    fputs("xld_host_memory_total_bytes", out);
    value(out, host->total_memkb * 1024.0);
    header(out, "xld_host_memory_free_bytes", GAUGE,
           "The host's memory that no domain has, in bytes.");
    fputs("xld_host_memory_free_bytes", out);
    value(out, host->free_memkb * 1024.0);
    header(out, "xld_host_cpus", GAUGE, "The host's physical cpus.");
    fputs("xld_host_cpus", out);
    value(out, host->nr_cpus);
    header(out, "xld_domains", GAUGE, "The domains on the host, Domain-0 "
           "included.");
    fputs("xld_domains", out);
    value(out, (double)n);
    header(out, "xld_domain_info", GAUGE, "Always 1; the domain's state is "
           "a label.");
    for (size_t i = 0; i < n; i++) {
        fputs("xld_domain_info{domain=\"", out);
        put_label(out, doms[i].name);
        fprintf(out, "\",domid=\"%" PRIu32 "\",uuid=\"", doms[i].domid);
        put_label(out, doms[i].uuid);
        fputs("\",state=\"", out);
        put_label(out, doms[i].state);
        fputs("\"} 1\n", out);
    }
    for (size_t m = 0; m < sizeof(dom_metrics) / sizeof(dom_metrics[0]);
         m++) {
        const struct dom_metric *dm = &dom_metrics[m];

        header(out, dm->name, dm->kind, dm->help);
        for (size_t i = 0; i < n; i++) {
            fprintf(out, "%s{domain=\"", dm->name);
            put_label(out, doms[i].name);
            fprintf(out, "\",domid=\"%" PRIu32 "\",uuid=\"", doms[i].domid);
            put_label(out, doms[i].uuid);
            fputs("\"}", out);
            value(out, dm->get(&doms[i]));
        }
    }
    return ferror(out) ? -EIO : 0;
}
