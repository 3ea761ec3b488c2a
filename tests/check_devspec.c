/*
 * check_devspec.c - unit tests of the device spec wrappers of
 * cfgparse/xlconv.h that the hot-plug verbs use (block-attach,
 * network-attach): xlconv_disk and xlconv_nic read a spec exactly as an
 * item of disk= or vif= is read, with the parser's own message for a
 * bad one, and xl.conf's vif.default.* put into every nic;
 * xlconv_pci_device reads a PCI_SPEC_STRING as pci-attach does, and
 * xlconv_pci_to_spec writes one that reads back the same;
 * xlconv_pci_address reads the bare address of pci-assignable-*; and
 * xlconv_vdev_devid numbers vdevs as Xen's block interface does.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "xlconf.h"
#include "xlconv.h"

START_TEST(disk_specs)
{
    struct xlconv_host host;
    libxl_device_disk disk;
    char why[256];

    xlconv_host_init(&host);
    libxl_device_disk_init(&disk);
    ck_assert_int_eq(xlconv_disk(&host, "phy:/dev/vg/web,xvdb,w", &disk,
                                 why, sizeof(why)), 0);
    ck_assert_str_eq(disk.vdev, "xvdb");
    ck_assert_str_eq(disk.pdev_path, "/dev/vg/web");
    ck_assert_int_eq(disk.readwrite, 1);
    ck_assert_int_eq(disk.format, LIBXL_DISK_FORMAT_RAW);
    libxl_device_disk_dispose(&disk);

    libxl_device_disk_init(&disk);
    ck_assert_int_eq(xlconv_disk(&host, "format=qcow2,vdev=xvdc,access=ro,"
                                 "target=/img/a.qcow2", &disk, why,
                                 sizeof(why)), 0);
    ck_assert_str_eq(disk.vdev, "xvdc");
    ck_assert_int_eq(disk.format, LIBXL_DISK_FORMAT_QCOW2);
    ck_assert_int_eq(disk.readwrite, 0);
    libxl_device_disk_dispose(&disk);

    /* The parser's message, as for a config's disk= item. */
    libxl_device_disk_init(&disk);
    ck_assert_int_eq(xlconv_disk(&host, "/img/a.raw", &disk, why,
                                 sizeof(why)), EINVAL);
    ck_assert_ptr_nonnull(strstr(why, "disk spec \"/img/a.raw\""));
    ck_assert_ptr_nonnull(strstr(why, "vdev"));
    libxl_device_disk_dispose(&disk);

    libxl_device_disk_init(&disk);
    ck_assert_int_eq(xlconv_disk(&host, "format=raw,format=qcow2,"
                                 "vdev=xvdb,target=/x", &disk, why,
                                 sizeof(why)), EINVAL);
    ck_assert_ptr_nonnull(strstr(why, "format"));
    libxl_device_disk_dispose(&disk);
    xlconv_host_dispose(&host);
}
END_TEST

START_TEST(nic_specs)
{
    static const char conf[] = "vif.default.bridge=\"xenbr1\"\n"
                               "vif.default.script=\"vif-nat\"\n";
    struct xlconv_host host;
    struct xlconf xc;
    libxl_device_nic nic;
    char why[256];

    xlconv_host_init(&host);
    libxl_device_nic_init(&nic);
    ck_assert_int_eq(xlconv_nic(&host, "mac=00:16:3e:01:02:03,bridge=br0",
                                &nic, why, sizeof(why)), 0);
    ck_assert_str_eq(nic.bridge, "br0");
    ck_assert_int_eq(nic.mac[5], 3);
    /* No devid= in the spec: the caller's devid stays. */
    ck_assert_int_eq(nic.devid, -1);
    libxl_device_nic_dispose(&nic);

    libxl_device_nic_init(&nic);
    ck_assert_int_eq(xlconv_nic(&host, "devid=4", &nic, why, sizeof(why)),
                     0);
    ck_assert_int_eq(nic.devid, 4);
    libxl_device_nic_dispose(&nic);

    libxl_device_nic_init(&nic);
    ck_assert_int_eq(xlconv_nic(&host, "rate=10Mb/s@xyz", &nic, why,
                                sizeof(why)), EINVAL);
    ck_assert(why[0] != '\0');
    libxl_device_nic_dispose(&nic);

    /* xl.conf's vif.default.* go into the nic before the spec, which
     * overrides them. */
    xlconf_init(&xc);
    ck_assert_int_eq(xlconf_read_buffer(&xc, "xl.conf", conf,
                                        strlen(conf)), 0);
    host.conf = &xc;
    libxl_device_nic_init(&nic);
    ck_assert_int_eq(xlconv_nic(&host, "", &nic, why, sizeof(why)), 0);
    ck_assert_str_eq(nic.bridge, "xenbr1");
    ck_assert_str_eq(nic.script, "vif-nat");
    libxl_device_nic_dispose(&nic);
    libxl_device_nic_init(&nic);
    ck_assert_int_eq(xlconv_nic(&host, "bridge=br9", &nic, why,
                                sizeof(why)), 0);
    ck_assert_str_eq(nic.bridge, "br9");
    ck_assert_str_eq(nic.script, "vif-nat");
    libxl_device_nic_dispose(&nic);
    xlconf_dispose(&xc);
    xlconv_host_dispose(&host);
}
END_TEST

START_TEST(pci_specs)
{
    libxl_device_pci pci, back;
    char why[256], *spec;

    /* An address, a virtual slot and options, as pci-attach takes it;
     * no pci_* default of a config applies. */
    libxl_device_pci_init(&pci);
    ck_assert_int_eq(xlconv_pci_device("03:00.1@4,permissive=1", &pci, why,
                                       sizeof(why)), 0);
    ck_assert_int_eq(pci.domain, 0);
    ck_assert_int_eq(pci.bus, 3);
    ck_assert_int_eq(pci.dev, 0);
    ck_assert_int_eq(pci.func, 1);
    ck_assert_int_eq(pci.vdevfn, 4 << 3);
    ck_assert_int_eq(pci.vfunc_mask, 1);
    ck_assert(pci.permissive);
    ck_assert(!pci.msitranslate);
    ck_assert_int_eq(pci.rdm_policy, LIBXL_RDM_RESERVE_POLICY_INVALID);

    /* Written back as a spec, it reads as the same device. */
    spec = xlconv_pci_to_spec(&pci);
    ck_assert_ptr_nonnull(spec);
    ck_assert_str_eq(spec, "0000:03:00.1@04,permissive=1,msitranslate=0,"
                     "power_mgmt=0,seize=0,rdm_policy=invalid");
    libxl_device_pci_init(&back);
    ck_assert_int_eq(xlconv_pci_device(spec, &back, why, sizeof(why)), 0);
    ck_assert_int_eq(back.bus, 3);
    ck_assert_int_eq(back.func, 1);
    ck_assert_int_eq(back.vdevfn, pci.vdevfn);
    ck_assert(back.permissive);
    ck_assert_int_eq(back.rdm_policy, LIBXL_RDM_RESERVE_POLICY_INVALID);
    free(spec);
    libxl_device_pci_dispose(&back);
    libxl_device_pci_dispose(&pci);

    /* Every function of a slot, and a device by its name. */
    libxl_device_pci_init(&pci);
    ck_assert_int_eq(xlconv_pci_device("0000:04:00.*,rdm_policy=relaxed",
                                       &pci, why, sizeof(why)), 0);
    ck_assert_int_eq(pci.vfunc_mask, LIBXL_PCI_FUNC_ALL);
    spec = xlconv_pci_to_spec(&pci);
    ck_assert_ptr_nonnull(spec);
    ck_assert_ptr_nonnull(strstr(spec, "0000:04:00.*,"));
    ck_assert_ptr_nonnull(strstr(spec, "rdm_policy=relaxed"));
    free(spec);
    libxl_device_pci_dispose(&pci);
    libxl_device_pci_init(&pci);
    ck_assert_int_eq(xlconv_pci_device("name=gpu0", &pci, why, sizeof(why)),
                     0);
    ck_assert_str_eq(pci.name, "gpu0");
    libxl_device_pci_dispose(&pci);

    /* Bad specs: the parser's message, never a crash. */
    libxl_device_pci_init(&pci);
    ck_assert_int_eq(xlconv_pci_device("03:00", &pci, why, sizeof(why)),
                     EINVAL);
    ck_assert_ptr_nonnull(strstr(why, "pci \"03:00\""));
    libxl_device_pci_dispose(&pci);
    libxl_device_pci_init(&pci);
    ck_assert_int_eq(xlconv_pci_device("03:00.8", &pci, why, sizeof(why)),
                     EINVAL);
    ck_assert_ptr_nonnull(strstr(why, "function"));
    libxl_device_pci_dispose(&pci);
    libxl_device_pci_init(&pci);
    ck_assert_int_eq(xlconv_pci_device("03:00.0,bogus=1", &pci, why,
                                       sizeof(why)), EINVAL);
    ck_assert_ptr_nonnull(strstr(why, "bogus"));
    libxl_device_pci_dispose(&pci);
    libxl_device_pci_init(&pci);
    ck_assert_int_eq(xlconv_pci_device("03:00.0,name=x", &pci, why,
                                       sizeof(why)), EINVAL);
    libxl_device_pci_dispose(&pci);
    libxl_device_pci_init(&pci);
    ck_assert_int_eq(xlconv_pci_device("", &pci, why, sizeof(why)), EINVAL);
    ck_assert(why[0] != '\0');
    libxl_device_pci_dispose(&pci);
}
END_TEST

START_TEST(pci_addresses)
{
    libxl_device_pci pci;
    char why[256];

    libxl_device_pci_init(&pci);
    ck_assert_int_eq(xlconv_pci_address("0000:03:00.1", &pci, why,
                                        sizeof(why)), 0);
    ck_assert_int_eq(pci.bus, 3);
    ck_assert_int_eq(pci.func, 1);
    ck_assert_int_eq(xlconv_pci_address("1:1f:1f.7", &pci, why,
                                        sizeof(why)), 0);
    ck_assert_int_eq(pci.domain, 1);
    ck_assert_int_eq(pci.dev, 0x1f);
    ck_assert_int_eq(xlconv_pci_address("03:00.0,seize=1", &pci, why,
                                        sizeof(why)), EINVAL);
    ck_assert_ptr_nonnull(strstr(why, "follow"));
    ck_assert_int_eq(xlconv_pci_address("03:00.*", &pci, why, sizeof(why)),
                     EINVAL);
    ck_assert_int_eq(xlconv_pci_address("03:20.0", &pci, why, sizeof(why)),
                     EINVAL);
    ck_assert_int_eq(xlconv_pci_address("gpu0", &pci, why, sizeof(why)),
                     EINVAL);
    /* A failed parse changes nothing. */
    ck_assert_int_eq(pci.domain, 1);
    libxl_device_pci_dispose(&pci);
}
END_TEST

START_TEST(vdev_numbers)
{
    ck_assert_int_eq(xlconv_vdev_devid("xvda"), 51712);
    ck_assert_int_eq(xlconv_vdev_devid("xvdb"), 51728);
    ck_assert_int_eq(xlconv_vdev_devid("xvda1"), 51713);
    ck_assert_int_eq(xlconv_vdev_devid("xvdq"), (1 << 28) | (16 << 8));
    ck_assert_int_eq(xlconv_vdev_devid("xvdaa"), (1 << 28) | (26 << 8));
    ck_assert_int_eq(xlconv_vdev_devid("hda"), 768);
    ck_assert_int_eq(xlconv_vdev_devid("hdb"), 832);
    ck_assert_int_eq(xlconv_vdev_devid("hdc"), 5632);
    ck_assert_int_eq(xlconv_vdev_devid("sda"), 2048);
    ck_assert_int_eq(xlconv_vdev_devid("sdb2"), 2066);
    ck_assert_int_eq(xlconv_vdev_devid("d0p1"), (1 << 28) | 1);
    ck_assert_int_eq(xlconv_vdev_devid("hde"), -1);
    ck_assert_int_eq(xlconv_vdev_devid("xvd"), -1);
    ck_assert_int_eq(xlconv_vdev_devid("xvda0"), -1);
    ck_assert_int_eq(xlconv_vdev_devid("vda"), -1);
    ck_assert_int_eq(xlconv_vdev_devid("xvdA"), -1);
    ck_assert_int_eq(xlconv_vdev_devid(NULL), -1);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("devspec");
    TCase *tc = tcase_create("devspec");
    SRunner *sr;
    int failed;

    tcase_add_test(tc, disk_specs);
    tcase_add_test(tc, nic_specs);
    tcase_add_test(tc, pci_specs);
    tcase_add_test(tc, pci_addresses);
    tcase_add_test(tc, vdev_numbers);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_ENV);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
