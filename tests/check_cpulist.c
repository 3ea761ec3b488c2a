/*
 * check_cpulist.c - unit tests of xlconv_cpulist (cfgparse/xlconv.h):
 * xl's cpu lists as `xl vcpu-pin` and cpus= read them, on the default
 * host and on a host whose topology interleaves its nodes (where
 * "node:N" must mean the cpus the topology puts on node N, as
 * libxl_node_to_cpumap finds them, and not an even split).
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "xlconv.h"

/* The map of text on host, as a string of 0s and 1s, cpu 0 first; or
 * "EINVAL: why". */
static const char *map_of(const struct xlconv_host *host, const char *text)
{
    static char out[300];
    libxl_bitmap map;
    char why[200];
    int rc;

    libxl_bitmap_init(&map);
    rc = xlconv_cpulist(host, text, &map, why, sizeof(why));
    if (rc == EINVAL) {
        snprintf(out, sizeof(out), "EINVAL: %s", why);
    } else {
        ck_assert_int_eq(rc, 0);
        for (int i = 0; i < host->max_cpus; i++)
            out[i] = libxl_bitmap_test(&map, i) ? '1' : '0';
        out[host->max_cpus] = '\0';
    }
    libxl_bitmap_dispose(&map);
    return out;
}

START_TEST(default_host)
{
    struct xlconv_host host;

    xlconv_host_init(&host);
    ck_assert_str_eq(map_of(&host, "0-3,^2"), "11010000");
    ck_assert_str_eq(map_of(&host, "all"), "11111111");
    ck_assert_str_eq(map_of(&host, "all,^6-7"), "11111100");
    ck_assert_str_eq(map_of(&host, "node:0"), "11111111");
    ck_assert_str_eq(map_of(&host, "5,12"), "00000100");
    ck_assert(!strncmp(map_of(&host, "0-x"), "EINVAL: invalid cpu range",
                       25));
    ck_assert(!strncmp(map_of(&host, "^all"), "EINVAL: \"^all\"", 14));
    xlconv_host_dispose(&host);
}
END_TEST

START_TEST(interleaved_nodes)
{
    /* Even cpus on node 0, odd ones on node 1; cpu 7 offline. */
    static const int nodes[8] = { 0, 1, 0, 1, 0, 1, 0, -1 };
    struct xlconv_host host;

    xlconv_host_init(&host);
    host.nr_nodes = 2;
    /* Without the topology, node 1 is the upper half. */
    ck_assert_str_eq(map_of(&host, "node:1"), "00001111");
    ck_assert_int_eq(xlconv_host_set_topology(&host, nodes), 0);
    ck_assert_str_eq(map_of(&host, "node:1"), "01010100");
    ck_assert_str_eq(map_of(&host, "nodes:0-1"), "11111110");
    ck_assert_str_eq(map_of(&host, "all,^node:0"), "01010101");
    ck_assert_str_eq(map_of(&host, "node:1,^3"), "01000100");
    ck_assert_str_eq(map_of(&host, "node:5"), "00000000");
    xlconv_host_dispose(&host);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("cpulist");
    TCase *tc = tcase_create("cpulist");
    SRunner *sr;
    int failed;

    tcase_add_test(tc, default_host);
    tcase_add_test(tc, interleaved_nodes);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_ENV);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
