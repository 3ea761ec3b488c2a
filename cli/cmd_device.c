/*
 * cmd_device.c - devices while a domain runs, with xl's verbs, options
 * and output: block-attach, block-detach, block-list, network-attach,
 * network-detach, network-list, pci-attach, pci-detach, pci-list,
 * cd-insert, cd-eject; and the host's side of PCI passthrough,
 * pci-assignable-list, pci-assignable-add, pci-assignable-remove.
 *
 * xld reads the specs with the config parser's grammar (a disk spec as
 * an item of disk=, a vif spec as an item of vif=, a PCI_SPEC_STRING as
 * an item of pci=), so xlctl passes them on as written; the lists print
 * xl's columns.
 */
#define _GNU_SOURCE
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "xlctl.h"

int xlctl_cmd_block_attach(const struct xlctl_cmd *cmd, int argc,
                           char **argv)
{
    struct xlctl_client_args *a;
    int status;

    status = xlctl_options(cmd, argc, argv, "", NULL, 2, -1, NULL, NULL);
    if (status >= 0)
        return status;
    a = xlctl_client_args();
    xlctl_client_arg_domain(a, "domain", argv[optind]);
    xlctl_client_arg_strv(a, "specs", argv + optind + 1,
                          (size_t)(argc - optind - 1));
    return xlctl_call_once(cmd, cmd->name, a);
}

/*
 * [-f|--force] DOM DEVICE: block-detach and pci-detach, whose device
 * goes to xld as key, with force.
 */
static int detach(const struct xlctl_cmd *cmd, int argc, char **argv,
                  const char *key)
{
    static const struct option opts[] = {
        { "force", no_argument, NULL, 'f' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct xlctl_client_args *a;
    bool force = false;
    int status;

    status = xlctl_options(cmd, argc, argv, "f", opts, 2, 2, xlctl_flag_opt,
                           &force);
    if (status >= 0)
        return status;
    a = xlctl_client_args();
    xlctl_client_arg_domain(a, "domain", argv[optind]);
    xlctl_client_arg_str(a, key, argv[optind + 1]);
    xlctl_client_arg_bool(a, "force", force);
    return xlctl_call_once(cmd, cmd->name, a);
}

int xlctl_cmd_block_detach(const struct xlctl_cmd *cmd, int argc,
                           char **argv)
{
    return detach(cmd, argc, argv, "vdev");
}

int xlctl_cmd_network_attach(const struct xlctl_cmd *cmd, int argc,
                             char **argv)
{
    struct xlctl_client_args *a;
    int status;

    status = xlctl_options(cmd, argc, argv, "", NULL, 1, -1, NULL, NULL);
    if (status >= 0)
        return status;
    a = xlctl_client_args();
    xlctl_client_arg_domain(a, "domain", argv[optind]);
    if (argc - optind > 1)
        xlctl_client_arg_strv(a, "specs", argv + optind + 1,
                              (size_t)(argc - optind - 1));
    return xlctl_call_once(cmd, cmd->name, a);
}

int xlctl_cmd_network_detach(const struct xlctl_cmd *cmd, int argc,
                             char **argv)
{
    struct xlctl_client_args *a;
    int status;

    status = xlctl_options(cmd, argc, argv, "", NULL, 2, 2, NULL, NULL);
    if (status >= 0)
        return status;
    a = xlctl_client_args();
    xlctl_client_arg_domain(a, "domain", argv[optind]);
    xlctl_client_arg_str(a, "device", argv[optind + 1]);
    return xlctl_call_once(cmd, cmd->name, a);
}

static int json_int(yajl_val d, const char *key)
{
    return (int)xlctl_json_int(d, key, 0);
}

static void print_disk(yajl_val d)
{
    /* xl's columns: the vdev's number, the backend domain, the guest's
     * domid as the handle, the xenbus state, the event channel, the
     * ring reference and the backend's path. */
    printf("%-5d %-3d %-6d %-5d %-6d %-8d %-30s\n", json_int(d, "devid"),
           json_int(d, "backend_id"), json_int(d, "frontend_id"),
           json_int(d, "state"), json_int(d, "evtch"),
           json_int(d, "ring_ref"), xlctl_json_str(d, "backend")
           ? xlctl_json_str(d, "backend") : "");
}

static void print_nic(yajl_val d)
{
    const char *mac = xlctl_json_str(d, "mac");

    printf("%-3d %-2d %s%6d %5d %6d %5d/%-11d %-30s\n", json_int(d, "devid"),
           json_int(d, "backend_id"), mac ? mac : "00:00:00:00:00:00",
           json_int(d, "devid"), json_int(d, "state"), json_int(d, "evtch"),
           json_int(d, "tx_ring_ref"), json_int(d, "rx_ring_ref"),
           xlctl_json_str(d, "backend") ? xlctl_json_str(d, "backend")
           : "");
}

/*
 * block-list, network-list: xl's header, then the devices of each
 * domain.  As xl, a domain that cannot be listed is reported and the
 * others are still listed; the exit status says one failed.
 */
static int dev_list(const struct xlctl_cmd *cmd, int argc, char **argv,
                    bool vif)
{
    struct xlctl_client c;
    int status;

    status = xlctl_options(cmd, argc, argv, "", NULL, 1, -1, NULL, NULL);
    if (status >= 0)
        return status;
    xlctl_client_init(&c);
    status = XLCTL_FAIL;
    if (xlctl_connect(cmd, &c))
        goto out;
    if (vif)
        printf("%-3s %-2s %-17s %-6s %-5s %-6s %5s/%-5s %-30s\n", "Idx",
               "BE", "Mac Addr.", "handle", "state", "evt-ch", "tx-",
               "rx-ring-ref", "BE-path");
    else
        printf("%-5s %-3s %-6s %-5s %-6s %-8s %-30s\n", "Vdev", "BE",
               "handle", "state", "evt-ch", "ring-ref", "BE-path");
    status = XLCTL_OK;
    for (int i = optind; i < argc; i++) {
        struct xlctl_client_args *a = xlctl_client_args();
        yajl_val ret = NULL, v, devs;

        xlctl_client_arg_domain(a, "domain", argv[i]);
        if (xlctl_client_call(&c, cmd->name, a, XLCTL_CLIENT_QUERY_MS, &ret,
                              &v)) {
            fflush(stdout);
            xlctl_client_perror(&c, cmd->name, stderr);
            status = XLCTL_FAIL;
            continue;
        }
        devs = xlctl_json_get(v, "devices");
        for (size_t k = 0; devs && YAJL_IS_ARRAY(devs)
                           && k < devs->u.array.len; k++) {
            if (vif)
                print_nic(devs->u.array.values[k]);
            else
                print_disk(devs->u.array.values[k]);
        }
        yajl_tree_free(ret);
    }
out:
    xlctl_client_dispose(&c);
    return status;
}

int xlctl_cmd_block_list(const struct xlctl_cmd *cmd, int argc, char **argv)
{
    return dev_list(cmd, argc, argv, false);
}

int xlctl_cmd_network_list(const struct xlctl_cmd *cmd, int argc,
                           char **argv)
{
    return dev_list(cmd, argc, argv, true);
}

/* pci-attach DOM SPEC, pci-detach [-f] DOM SPEC: the spec goes to xld as
 * written, which reads it as xl's PCI_SPEC_STRING. */
int xlctl_cmd_pci_attach(const struct xlctl_cmd *cmd, int argc, char **argv)
{
    struct xlctl_client_args *a;
    int status;

    status = xlctl_options(cmd, argc, argv, "", NULL, 2, 2, NULL, NULL);
    if (status >= 0)
        return status;
    a = xlctl_client_args();
    xlctl_client_arg_domain(a, "domain", argv[optind]);
    xlctl_client_arg_str(a, "spec", argv[optind + 1]);
    return xlctl_call_once(cmd, cmd->name, a);
}

int xlctl_cmd_pci_detach(const struct xlctl_cmd *cmd, int argc, char **argv)
{
    return detach(cmd, argc, argv, "spec");
}

/* The numbers of a PCI address as xld writes it ("0000:03:00.0"); false
 * when it is not one. */
static bool bdf_numbers(const char *bdf, unsigned n[4])
{
    return bdf && sscanf(bdf, "%x:%x:%x.%x", &n[0], &n[1], &n[2],
                         &n[3]) == 4;
}

/*
 * pci-list DOM: xl's two columns, the slot and function the guest sees
 * a device at, and its address on the host.  As xl, a domain without a
 * device prints nothing at all, not even the header.
 */
int xlctl_cmd_pci_list(const struct xlctl_cmd *cmd, int argc, char **argv)
{
    struct xlctl_client_args *a;
    struct xlctl_client c;
    yajl_val ret = NULL, v, devs;
    unsigned n[4];
    int status;

    status = xlctl_options(cmd, argc, argv, "", NULL, 1, 1, NULL, NULL);
    if (status >= 0)
        return status;
    xlctl_client_init(&c);
    status = XLCTL_FAIL;
    if (xlctl_connect(cmd, &c))
        goto out;
    a = xlctl_client_args();
    xlctl_client_arg_domain(a, "domain", argv[optind]);
    if (xlctl_client_call(&c, cmd->name, a, XLCTL_CLIENT_QUERY_MS, &ret,
                          &v)) {
        xlctl_client_perror(&c, cmd->name, stderr);
        goto out;
    }
    devs = xlctl_json_get(v, "devices");
    if (devs && YAJL_IS_ARRAY(devs) && devs->u.array.len)
        printf("Vdev Device\n");
    for (size_t k = 0; devs && YAJL_IS_ARRAY(devs)
                       && k < devs->u.array.len; k++) {
        yajl_val d = devs->u.array.values[k];
        long long vdevfn = xlctl_json_int(d, "vdevfn", 0);

        if (!bdf_numbers(xlctl_json_str(d, "bdf"), n))
            continue;
        printf("%02llx.%01llx %04x:%02x:%02x.%01x\n", (vdevfn >> 3) & 0x1f,
               vdevfn & 7, n[0], n[1], n[2], n[3]);
    }
    status = XLCTL_OK;
out:
    yajl_tree_free(ret);
    xlctl_client_dispose(&c);
    return status;
}

/* pci-assignable-list [-n]: one address a line, and with -n the name
 * each device was made assignable with; as xl, a space ends every line
 * either way. */
int xlctl_cmd_pci_assignable_list(const struct xlctl_cmd *cmd, int argc,
                                  char **argv)
{
    static const struct option opts[] = {
        { "show-names", no_argument, NULL, 'n' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct xlctl_client c;
    yajl_val ret = NULL, v, devs;
    bool names = false;
    unsigned n[4];
    int status;

    status = xlctl_options(cmd, argc, argv, "n", opts, 0, 0, xlctl_flag_opt,
                           &names);
    if (status >= 0)
        return status;
    xlctl_client_init(&c);
    status = XLCTL_FAIL;
    if (xlctl_connect(cmd, &c))
        goto out;
    if (xlctl_client_call(&c, cmd->name, xlctl_client_args(),
                          XLCTL_CLIENT_QUERY_MS, &ret, &v)) {
        xlctl_client_perror(&c, cmd->name, stderr);
        goto out;
    }
    devs = xlctl_json_get(v, "devices");
    for (size_t k = 0; devs && YAJL_IS_ARRAY(devs)
                       && k < devs->u.array.len; k++) {
        yajl_val d = devs->u.array.values[k];
        const char *name = xlctl_json_str(d, "name");

        if (bdf_numbers(xlctl_json_str(d, "bdf"), n))
            printf("%04x:%02x:%02x.%01x %s\n", n[0], n[1], n[2], n[3],
                   names && name ? name : "");
    }
    status = XLCTL_OK;
out:
    yajl_tree_free(ret);
    xlctl_client_dispose(&c);
    return status;
}

/* The -n NAME of pci-assignable-add: opaque points to where it goes. */
static bool name_opt(void *opaque, int opt)
{
    if (opt != 'n')
        return false;
    *(const char **)opaque = optarg;
    return true;
}

int xlctl_cmd_pci_assignable_add(const struct xlctl_cmd *cmd, int argc,
                                 char **argv)
{
    static const struct option opts[] = {
        { "name", required_argument, NULL, 'n' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct xlctl_client_args *a;
    const char *name = NULL;
    int status;

    status = xlctl_options(cmd, argc, argv, "n:", opts, 1, 1, name_opt,
                           &name);
    if (status >= 0)
        return status;
    a = xlctl_client_args();
    xlctl_client_arg_str(a, "bdf", argv[optind]);
    if (name)
        xlctl_client_arg_str(a, "name", name);
    return xlctl_call_once(cmd, cmd->name, a);
}

int xlctl_cmd_pci_assignable_remove(const struct xlctl_cmd *cmd, int argc,
                                    char **argv)
{
    struct xlctl_client_args *a;
    bool rebind = false;
    int status;

    status = xlctl_options(cmd, argc, argv, "r", NULL, 1, 1, xlctl_flag_opt,
                           &rebind);
    if (status >= 0)
        return status;
    a = xlctl_client_args();
    xlctl_client_arg_str(a, "device", argv[optind]);
    xlctl_client_arg_bool(a, "rebind", rebind);
    return xlctl_call_once(cmd, cmd->name, a);
}

/* cd-insert DOM VDEV TARGET, cd-eject DOM VDEV. */
int xlctl_cmd_cd_insert(const struct xlctl_cmd *cmd, int argc, char **argv)
{
    bool insert = !strcmp(cmd->name, "cd-insert");
    struct xlctl_client_args *a;
    int status;

    status = xlctl_options(cmd, argc, argv, "", NULL, insert ? 3 : 2,
                           insert ? 3 : 2, NULL, NULL);
    if (status >= 0)
        return status;
    a = xlctl_client_args();
    xlctl_client_arg_domain(a, "domain", argv[optind]);
    xlctl_client_arg_str(a, "vdev", argv[optind + 1]);
    if (insert)
        xlctl_client_arg_str(a, "target", argv[optind + 2]);
    return xlctl_call_once(cmd, cmd->name, a);
}
