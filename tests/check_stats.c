/*
 * check_stats.c - unit tests of daemon/stats.c: the I/O counters read
 * from a sysfs tree made here as netback and blkback lay theirs out
 * (the devices of other domains, HVM's emulated vif twins, devices that
 * vanish half read), and the Prometheus text (its exact shape, label
 * escaping, large counters).
 */
#define _GNU_SOURCE

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "stats.h"

static char root[256];

static void mkdirs(const char *rel)
{
    char path[512], *p;

    snprintf(path, sizeof(path), "%s/%s", root, rel);
    for (p = path + strlen(root) + 1; (p = strchr(p, '/')); p++) {
        *p = '\0';
        mkdir(path, 0755);
        *p = '/';
    }
    mkdir(path, 0755);
}

static void put(const char *dev_dir, const char *file, const char *text)
{
    char path[512];
    FILE *f;

    mkdirs(dev_dir);
    snprintf(path, sizeof(path), "%s/%s/%s", root, dev_dir, file);
    f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    ck_assert_int_eq(fclose(f), 0);
}

/* A vif of dom0's: rx as dom0 counts it (what the guest sent). */
static void vif(const char *name, const char *rxb, const char *rxp,
                const char *txb, const char *txp)
{
    char dir[128];

    snprintf(dir, sizeof(dir), "class/net/%s/statistics", name);
    put(dir, "rx_bytes", rxb);
    put(dir, "rx_packets", rxp);
    put(dir, "tx_bytes", txb);
    put(dir, "tx_packets", txp);
}

static void vbd(const char *name, const char *oo, const char *rd,
                const char *wr, const char *rs, const char *ws)
{
    char dir[128];

    snprintf(dir, sizeof(dir), "bus/xen-backend/devices/%s/statistics",
             name);
    put(dir, "oo_req", oo);
    put(dir, "rd_req", rd);
    put(dir, "wr_req", wr);
    put(dir, "rd_sect", rs);
    put(dir, "wr_sect", ws);
}

static void setup(void)
{
    const char *tmp = getenv("TMPDIR");

    snprintf(root, sizeof(root), "%s/check_stats.XXXXXX", tmp ? tmp : "/tmp");
    ck_assert_ptr_nonnull(mkdtemp(root));
}

static void teardown(void)
{
    char cmd[300];

    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
    ck_assert_int_eq(system(cmd), 0);
}

START_TEST(empty_tree)
{
    struct xld_domstats s;

    /* No class/net, no xen-backend bus: a host without Xen devices. */
    ck_assert_int_eq(xld_stats_read_sysfs(root, 3, &s), 0);
    ck_assert_uint_eq(s.nets, 0);
    ck_assert_uint_eq(s.vbds, 0);
    ck_assert(s.net_tx_bytes == 0 && s.vbd_rsect == 0);
}
END_TEST

START_TEST(sums_of_one_domain)
{
    struct xld_domstats s;

    vif("vif3.0", "1000\n", "10\n", "2000\n", "20\n");
    vif("vif3.1", "5\n", "1\n", "7\n", "2\n");
    /* Not domain 3's: another domain, and an HVM's emulated twin. */
    vif("vif13.0", "999999\n", "9\n", "9\n", "9\n");
    vif("vif3.0-emu", "999999\n", "9\n", "9\n", "9\n");
    vif("eth0", "999999\n", "9\n", "9\n", "9\n");
    vbd("vbd-3-51712", "1\n", "100\n", "200\n", "800\n", "1600\n");
    vbd("vbd-3-51728", "0\n", "1\n", "2\n", "8\n", "16\n");
    vbd("vbd-31-51712", "5\n", "5\n", "5\n", "5\n", "5\n");
    mkdirs("bus/xen-backend/devices/vif-3-0");
    ck_assert_int_eq(xld_stats_read_sysfs(root, 3, &s), 0);
    ck_assert_uint_eq(s.nets, 2);
    /* The guest's view: it sent what dom0's vif received. */
    ck_assert_uint_eq(s.net_tx_bytes, 1005);
    ck_assert_uint_eq(s.net_tx_packets, 11);
    ck_assert_uint_eq(s.net_rx_bytes, 2007);
    ck_assert_uint_eq(s.net_rx_packets, 22);
    ck_assert_uint_eq(s.vbds, 2);
    ck_assert_uint_eq(s.vbd_oo, 1);
    ck_assert_uint_eq(s.vbd_rd, 101);
    ck_assert_uint_eq(s.vbd_wr, 202);
    ck_assert_uint_eq(s.vbd_rsect, 808);
    ck_assert_uint_eq(s.vbd_wsect, 1616);
    /* Domain 13 sees its own vif only. */
    ck_assert_int_eq(xld_stats_read_sysfs(root, 13, &s), 0);
    ck_assert_uint_eq(s.nets, 1);
    ck_assert_uint_eq(s.net_tx_bytes, 999999);
    ck_assert_uint_eq(s.vbds, 0);
}
END_TEST

START_TEST(devices_half_gone_or_odd)
{
    struct xld_domstats s;
    char path[512];

    vif("vif4.0", "10\n", "1\n", "20\n", "2\n");
    /* Unplugged while read: a counter file is missing. */
    vif("vif4.1", "10\n", "1\n", "20\n", "2\n");
    snprintf(path, sizeof(path), "%s/class/net/vif4.1/statistics/tx_bytes",
             root);
    ck_assert_int_eq(unlink(path), 0);
    /* Not a number, and no statistics folder at all. */
    vif("vif4.2", "lots\n", "1\n", "20\n", "2\n");
    mkdirs("class/net/vif4.3");
    /* Names that only look like a device of domain 4. */
    vif("vif4.", "1\n", "1\n", "1\n", "1\n");
    vif("vif4.0x", "1\n", "1\n", "1\n", "1\n");
    vif("vif04x.0", "1\n", "1\n", "1\n", "1\n");
    /* 2^64 - 1 is a valid counter. */
    vbd("vbd-4-768", "0\n", "18446744073709551615\n", "0\n", "0\n", "0\n");
    ck_assert_int_eq(xld_stats_read_sysfs(root, 4, &s), 0);
    ck_assert_uint_eq(s.nets, 1);
    ck_assert_uint_eq(s.net_tx_bytes, 10);
    ck_assert_uint_eq(s.net_rx_bytes, 20);
    ck_assert_uint_eq(s.vbds, 1);
    ck_assert(s.vbd_rd == UINT64_MAX);
}
END_TEST

/* The text for one host and the domains given, in a malloc'd string. */
static char *text_of(const struct xld_stats_dom *doms, size_t n)
{
    struct xld_stats_host host = { 8ull << 20, 6ull << 20, 8 };
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);

    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(xld_stats_prometheus(f, &host, doms, n), 0);
    ck_assert_int_eq(fclose(f), 0);
    return buf;
}

START_TEST(prometheus_text)
{
    struct xld_stats_dom d[2];
    char *t;

    memset(d, 0, sizeof(d));
    d[0].name = "Domain-0";
    d[0].uuid = "00000000-0000-0000-0000-000000000000";
    d[0].state = "running";
    d[0].cpu_time_ns = 402000000ull;
    d[0].current_memkb = 1024;
    d[1].name = "web \"1\"\\x";
    d[1].domid = 7;
    d[1].uuid = "5a1c0d2e-0000-4000-8000-000000000007";
    d[1].state = "paused";
    d[1].io.nets = 1;
    d[1].io.net_tx_bytes = 123456789012ull;
    d[1].io.vbd_rsect = 3;
    t = text_of(d, 2);
    ck_assert_ptr_nonnull(strstr(t,
        "# HELP xld_host_memory_total_bytes The host's memory, in bytes.\n"
        "# TYPE xld_host_memory_total_bytes gauge\n"
        "xld_host_memory_total_bytes 8589934592\n"));
    ck_assert_ptr_nonnull(strstr(t, "xld_host_cpus 8\n"));
    ck_assert_ptr_nonnull(strstr(t, "xld_domains 2\n"));
    ck_assert_ptr_nonnull(strstr(t,
        "xld_domain_info{domain=\"web \\\"1\\\"\\\\x\",domid=\"7\","
        "uuid=\"5a1c0d2e-0000-4000-8000-000000000007\",state=\"paused\"} 1\n"));
    ck_assert_ptr_nonnull(strstr(t,
        "# TYPE xld_domain_cpu_seconds_total counter\n"
        "xld_domain_cpu_seconds_total{domain=\"Domain-0\",domid=\"0\","
        "uuid=\"00000000-0000-0000-0000-000000000000\"} 0.402\n"));
    ck_assert_ptr_nonnull(strstr(t,
        "xld_domain_memory_bytes{domain=\"Domain-0\",domid=\"0\","
        "uuid=\"00000000-0000-0000-0000-000000000000\"} 1048576\n"));
    ck_assert_ptr_nonnull(strstr(t, "xld_domain_network_transmit_bytes_total"
        "{domain=\"web \\\"1\\\"\\\\x\",domid=\"7\",uuid=\"5a1c0d2e-0000-"
        "4000-8000-000000000007\"} 123456789012\n"));
    ck_assert_ptr_nonnull(strstr(t, "xld_domain_block_read_bytes_total"
        "{domain=\"web \\\"1\\\"\\\\x\",domid=\"7\",uuid=\"5a1c0d2e-0000-"
        "4000-8000-000000000007\"} 1536\n"));
    /* Every line is a comment or a sample "NAME[{...}] VALUE". */
    for (char *line = t, *nl; *line; line = nl + 1) {
        nl = strchr(line, '\n');
        ck_assert_ptr_nonnull(nl);
        if (line[0] == '#')
            continue;
        ck_assert(strncmp(line, "xld_", 4) == 0);
        ck_assert(memchr(line, ' ', (size_t)(nl - line)) != NULL);
    }
    free(t);
}
END_TEST

START_TEST(prometheus_no_domains)
{
    char *t = text_of(NULL, 0);

    ck_assert_ptr_nonnull(strstr(t, "xld_domains 0\n"));
    ck_assert_ptr_null(strstr(t, "{domain="));
    free(t);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("stats");
    TCase *tc = tcase_create("stats");
    SRunner *sr;
    int failed;

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, empty_tree);
    tcase_add_test(tc, sums_of_one_domain);
    tcase_add_test(tc, devices_half_gone_or_odd);
    tcase_add_test(tc, prometheus_text);
    tcase_add_test(tc, prometheus_no_domains);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_ENV);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
