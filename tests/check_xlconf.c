/*
 * check_xlconf.c - unit tests of the xl.conf reader (cfgparse/xlconf.c):
 * what the differential test against xl (tests/xlconf.test) cannot see,
 * because it never shows in `xl -N create`'s JSON: the defaults, the
 * run-time settings, a missing or unreadable file, and how "auto"
 * autoballooning reads the Xen command line.
 */
#include <check.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "xlconf.h"

static struct xlconf xc;

static void setup(void)
{
    xlconf_init(&xc);
}

static void teardown(void)
{
    xlconf_dispose(&xc);
}

static void read_text(const char *text)
{
    ck_assert_int_eq(xlconf_read_buffer(&xc, "xl.conf", text,
                                        strlen(text)), 0);
}

/* How many diagnostics of a severity the reading left. */
static size_t count(enum xlcfg_severity sev)
{
    size_t n = 0;

    for (size_t i = 0; i < xc.src.ndiags; i++)
        n += xc.src.diags[i].severity == sev;
    return n;
}

START_TEST(defaults_are_xls)
{
    const struct xlconf *d = xlconf_defaults();

    ck_assert(d->run_hotplug_scripts && d->claim_mode);
    ck_assert(!d->vif_script && !d->vif_bridge && !d->vif_gatewaydev
              && !d->vif_backend && !d->blkdev_start);
    ck_assert_int_eq(d->max_grant_frames, -1);
    ck_assert_int_eq(d->max_maptrack_frames, -1);
    ck_assert_int_eq(d->max_grant_version, -1);
    ck_assert(!d->vm_cpumask && !d->vm_pv_cpumask && !d->vm_hvm_cpumask);
    ck_assert_int_eq(d->autoballoon, XLCONF_AUTOBALLOON_AUTO);
    ck_assert_int_eq(d->output_format, XLCONF_OUTPUT_JSON);
    ck_assert_int_eq(d->domid_policy, XLCONF_DOMID_XEN);
    ck_assert_str_eq(xlconf_lockfile(d), "/var/lock/xl");
    /* A fresh struct is the same. */
    ck_assert(xc.run_hotplug_scripts && xc.claim_mode);
    ck_assert_int_eq(xc.max_grant_frames, -1);
    ck_assert(!xc.found);
}
END_TEST

START_TEST(every_setting)
{
    read_text("autoballoon = \"on\"\n"
              "run_hotplug_scripts = 0\n"
              "lockfile = \"/run/xl.lock\"\n"
              "vif.default.script = \"vif-route\"\n"
              "vif.default.bridge = \"xenbr1\"\n"
              "vif.default.gatewaydev = \"eth1\"\n"
              "vif.default.backend = \"netdom\"\n"
              "output_format = \"sxp\"\n"
              "blkdev_start = \"xvdq\"\n"
              "claim_mode = 0\n"
              "remus.default.netbufscript = \"/s/netbuf\"\n"
              "colo.default.proxyscript = \"/s/proxy\"\n"
              "max_grant_frames = 64\n"
              "max_maptrack_frames = \"1024\"\n"
              "max_grant_version = 0x1\n"
              "vm.cpumask = \"0-3\"\n"
              "vm.pv.cpumask = \"1\"\n"
              "vm.hvm.cpumask = \"2-3\"\n"
              "domid_policy = \"random\"\n");
    ck_assert(xlconf_ok(&xc));
    ck_assert_uint_eq(xc.src.ndiags, 0);
    ck_assert_int_eq(xc.autoballoon, XLCONF_AUTOBALLOON_ON);
    ck_assert(!xc.run_hotplug_scripts && !xc.claim_mode);
    ck_assert_str_eq(xlconf_lockfile(&xc), "/run/xl.lock");
    ck_assert_str_eq(xc.vif_script, "vif-route");
    ck_assert_str_eq(xc.vif_bridge, "xenbr1");
    ck_assert_str_eq(xc.vif_gatewaydev, "eth1");
    ck_assert_str_eq(xc.vif_backend, "netdom");
    ck_assert_int_eq(xc.output_format, XLCONF_OUTPUT_SXP);
    ck_assert_str_eq(xc.blkdev_start, "xvdq");
    ck_assert_str_eq(xc.remus_netbufscript, "/s/netbuf");
    ck_assert_str_eq(xc.colo_proxyscript, "/s/proxy");
    ck_assert_int_eq(xc.max_grant_frames, 64);
    ck_assert_int_eq(xc.max_maptrack_frames, 1024);
    ck_assert_int_eq(xc.max_grant_version, 1);
    ck_assert_str_eq(xc.vm_cpumask, "0-3");
    ck_assert_str_eq(xc.vm_pv_cpumask, "1");
    ck_assert_str_eq(xc.vm_hvm_cpumask, "2-3");
    ck_assert_int_eq(xc.domid_policy, XLCONF_DOMID_RANDOM);
}
END_TEST

/* Bad values: xl complains (or not) and keeps its defaults. */
START_TEST(bad_values_keep_defaults)
{
    read_text("autoballoon = \"yes\"\n"
              "output_format = \"xml\"\n"
              "domid_policy = \"next\"\n"
              "claim_mode = \"on\"\n"
              "lockfile = [ \"/a\" ]\n"
              "vm.cpumask = \"1,x,3\"\n"
              "bogus = 1\n");
    ck_assert(xlconf_ok(&xc));
    ck_assert_uint_eq(count(XLCFG_WARNING), 7);
    ck_assert_int_eq(xc.autoballoon, XLCONF_AUTOBALLOON_AUTO);
    ck_assert_int_eq(xc.output_format, XLCONF_OUTPUT_JSON);
    ck_assert_int_eq(xc.domid_policy, XLCONF_DOMID_XEN);
    ck_assert(xc.claim_mode);
    ck_assert_ptr_null(xc.lockfile);
    /* The mask is kept as written: the converter evaluates it. */
    ck_assert_str_eq(xc.vm_cpumask, "1,x,3");
}
END_TEST

/* What makes xl refuse to run. */
START_TEST(fatal_errors)
{
    static const char *const bad[] = {
        "max_grant_frames = \"x\"\n",
        "max_maptrack_frames = 2147483648\n",
        "max_grant_version = [ 1 ]\n",
        "max_grant_frames = \"-1\"\n",
        "claim_mode = \n",
    };

    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        xlconf_dispose(&xc);
        xlconf_init(&xc);
        read_text(bad[i]);
        ck_assert_msg(!xlconf_ok(&xc), "accepted: %s", bad[i]);
        ck_assert_uint_ge(xc.src.diags[0].loc.line, 1);
    }
}
END_TEST

START_TEST(deprecated_names)
{
    read_text("vifscript = \"a\"\ndefaultbridge = \"b\"\n"
              "vif.default.script = \"c\"\n");
    ck_assert(xlconf_ok(&xc));
    ck_assert_uint_eq(count(XLCFG_WARNING), 2);
    ck_assert_str_eq(xc.vif_script, "c");
    ck_assert_str_eq(xc.vif_bridge, "b");
}
END_TEST

START_TEST(flags_are_ints)
{
    read_text("run_hotplug_scripts = 4294967296\nclaim_mode = 4294967297\n");
    ck_assert(!xc.run_hotplug_scripts);
    ck_assert(xc.claim_mode);
}
END_TEST

START_TEST(missing_and_unreadable)
{
    ck_assert_int_eq(xlconf_read_file(&xc, "/nonexistent/xl.conf"), 0);
    ck_assert(xlconf_ok(&xc));
    ck_assert(!xc.found);
    ck_assert_uint_eq(xc.src.ndiags, 0);
    ck_assert(xc.claim_mode);

    /* A directory cannot be read: a warning, and the defaults. */
    xlconf_dispose(&xc);
    xlconf_init(&xc);
    ck_assert_int_eq(xlconf_read_file(&xc, "/"), 0);
    ck_assert(xlconf_ok(&xc));
    ck_assert(!xc.found);
    ck_assert_uint_eq(count(XLCFG_WARNING), 1);

    /* An empty file is found, and means the defaults. */
    xlconf_dispose(&xc);
    xlconf_init(&xc);
    ck_assert_int_eq(xlconf_read_file(&xc, "/dev/null"), 0);
    ck_assert(xlconf_ok(&xc));
    ck_assert(xc.found);
    ck_assert(xc.run_hotplug_scripts);
}
END_TEST

START_TEST(autoballoon_auto)
{
    ck_assert(xlconf_autoballoon(&xc, NULL));
    ck_assert(xlconf_autoballoon(&xc, "placeholder"));
    ck_assert(!xlconf_autoballoon(&xc, "dom0_mem=2G"));
    ck_assert(!xlconf_autoballoon(&xc, "console=vga dom0_mem=1024M,max:2G "
                                       "loglvl=all"));
    ck_assert(!xlconf_autoballoon(&xc, "dom0_mem=min:512M,max:4096M"));
    ck_assert(xlconf_autoballoon(&xc, "xdom0_mem=2G"));
    ck_assert(xlconf_autoballoon(&xc, "dom0_mem=lots"));
    xc.autoballoon = XLCONF_AUTOBALLOON_OFF;
    ck_assert(!xlconf_autoballoon(&xc, "placeholder"));
    xc.autoballoon = XLCONF_AUTOBALLOON_ON;
    ck_assert(xlconf_autoballoon(&xc, "dom0_mem=2G"));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("xlconf");
    TCase *tc = tcase_create("xlconf");
    SRunner *sr;
    int failed;

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, defaults_are_xls);
    tcase_add_test(tc, every_setting);
    tcase_add_test(tc, bad_values_keep_defaults);
    tcase_add_test(tc, fatal_errors);
    tcase_add_test(tc, deprecated_names);
    tcase_add_test(tc, flags_are_ints);
    tcase_add_test(tc, missing_and_unreadable);
    tcase_add_test(tc, autoballoon_auto);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
