/*
 * cmd_device.c - devices while a domain runs, with xl's verbs, options
 * and output: block-attach, block-detach, block-list, network-attach,
 * network-detach, network-list.
 *
 * xld reads the specs with the config parser's grammar (a disk spec as
 * an item of disk=, a vif spec as an item of vif=), so xlctl passes
 * them on as written; the lists print xl's columns.
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

int xlctl_cmd_block_detach(const struct xlctl_cmd *cmd, int argc,
                           char **argv)
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
    xlctl_client_arg_str(a, "vdev", argv[optind + 1]);
    xlctl_client_arg_bool(a, "force", force);
    return xlctl_call_once(cmd, cmd->name, a);
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
