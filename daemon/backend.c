/*
 * backend.c - what the backends share: struct xld_dominfo and struct
 * xld_cpupool, and the choice of the backend xld runs on (see
 * backend.h).
 */
#define _GNU_SOURCE

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend.h"
#include "log.h"

void xld_dominfo_init(struct xld_dominfo *di)
{
    memset(di, 0, sizeof(*di));
    di->domid = INVALID_DOMID;
}

void xld_dominfo_dispose(struct xld_dominfo *di)
{
    free(di->name);
    xld_dominfo_init(di);
}

void xld_cpupool_list_free(struct xld_cpupool *pools, int n)
{
    for (int i = 0; pools && i < n; i++) {
        free(pools[i].name);
        libxl_bitmap_dispose(&pools[i].cpus);
    }
    free(pools);
}

void xld_devinfo_list_free(struct xld_devinfo *list, int n)
{
    for (int i = 0; list && i < n; i++) {
        free(list[i].backend);
        free(list[i].vdev);
        free(list[i].target);
    }
    free(list);
}

/* Whether this host runs Xen, as xencommons checks it. */
static bool host_runs_xen(void)
{
    return access("/proc/xen/capabilities", F_OK) == 0
           || access("/dev/xen/privcmd", F_OK) == 0;
}

int xld_backend_select(const char *name, const struct xld_backend_ops **out)
{
    *out = NULL;
    if (!name) {
        if (!host_runs_xen()) {
            xld_err("this host does not run Xen (no /proc/xen/capabilities "
                    "nor /dev/xen/privcmd); to run on the simulator, pass "
                    "--backend=sim");
            return ENODEV;
        }
        name = "libxl";
    }
    if (!strcmp(name, "sim")) {
        *out = &xld_backend_sim_ops;
        return 0;
    }
    if (!strcmp(name, "libxl")) {
        *out = &xld_backend_libxl_ops;
        return 0;
    }
    xld_err("unknown backend '%s' (libxl or sim)", name);
    return EINVAL;
}
