/*
 * stats.h - a domain's I/O counters, and the Prometheus text of every
 * domain's counters (the data of `xlctl top` and `xlctl metrics`).
 *
 * The counters are xentop's: the domain's virtual network interfaces
 * and block devices as their backends in dom0 count them.  On a real
 * dom0 they are read from sysfs, where netback and blkback publish them
 * (xld_stats_read_sysfs); the simulator makes its own.  Directions are
 * the guest's, as xentop shows them: what a guest sends is what its
 * vif in dom0 receives.
 */
#ifndef XLD_STATS_H
#define XLD_STATS_H

#include <stdint.h>
#include <stdio.h>

struct xld_domstats {
    unsigned nets;               /* vifs */
    uint64_t net_tx_bytes, net_tx_packets;  /* sent by the guest */
    uint64_t net_rx_bytes, net_rx_packets;  /* received by the guest */
    unsigned vbds;               /* block devices (blkback) */
    uint64_t vbd_oo;             /* requests held back: out of ring slots */
    uint64_t vbd_rd, vbd_wr;     /* read and write requests */
    uint64_t vbd_rsect, vbd_wsect;   /* 512-byte sectors read, written */
};

/*
 * Sum the counters of domid's vifs (SYSROOT/class/net/vifD.N/statistics)
 * and blkback devices (SYSROOT/bus/xen-backend/devices/vbd-D-N/statistics)
 * into *out.  sysroot is "/sys" on a dom0 (a test gives its own tree).
 * A device that goes away while it is read is left out; a domain with no
 * device has zero counters.  Returns 0 or a negative errno value.
 */
int xld_stats_read_sysfs(const char *sysroot, uint32_t domid,
                         struct xld_domstats *out);

/* One domain for the Prometheus text. */
struct xld_stats_dom {
    const char *name;
    uint32_t domid;
    const char *uuid;
    const char *state;           /* xld's state name: running, paused... */
    uint64_t cpu_time_ns;
    uint64_t current_memkb, max_memkb;
    int vcpus_online, vcpus_max;
    struct xld_domstats io;
};

/* The host's part of it. */
struct xld_stats_host {
    uint64_t total_memkb, free_memkb;
    int nr_cpus;
};

/*
 * Write the Prometheus text exposition format (version 0.0.4) of the
 * host and the domains to out: one HELP and TYPE line per metric, then
 * a sample per domain labelled with its name, domid and uuid.  Returns
 * 0, or a negative errno value when out fails.
 */
int xld_stats_prometheus(FILE *out, const struct xld_stats_host *host,
                         const struct xld_stats_dom *doms, size_t n);

#endif /* XLD_STATS_H */
