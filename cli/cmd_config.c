/*
 * cmd_config.c - the config verbs: they read config files and need no
 * daemon.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "xlcfg.h"
#include "xlconf.h"
#include "xlconv.h"
#include "xlctl.h"

/* --xl-conf has no short form: xl has no option for it at all. */
#define OPT_XL_CONF 256

/* Parse one file and print its diagnostics to stderr.  Returns true when
 * the file is valid. */
static bool load(struct xlcfg *cfg, const char *path)
{
    int rc = xlcfg_parse_file(cfg, path);

    if (rc) {
        fprintf(stderr, "%s: %s\n", path, strerror(rc));
        return false;
    }
    xlcfg_print_diags(cfg, stderr);
    return xlcfg_ok(cfg);
}

/* Parse one file and check what it means, as `xl create` would, on the
 * default host with the settings of xl.conf `xc`; print every
 * diagnostic.  Returns true when valid. */
static bool check(struct xlcfg *cfg, const char *path,
                  const struct xlconf *xc)
{
    struct xlconv_host host;
    libxl_domain_config dc;
    int rc = xlcfg_parse_file(cfg, path);

    if (rc) {
        fprintf(stderr, "%s: %s\n", path, strerror(rc));
        return false;
    }
    if (xlcfg_ok(cfg)) {
        xlconv_host_init(&host);
        host.conf = xc;
        libxl_domain_config_init(&dc);
        rc = xlconv_convert(cfg, &host, &dc);
        libxl_domain_config_dispose(&dc);
        xlconv_host_dispose(&host);
        if (rc == ENOMEM) {
            fprintf(stderr, "%s: %s\n", path, strerror(rc));
            return false;
        }
    }
    xlcfg_print_diags(cfg, stderr);
    return xlcfg_ok(cfg) && !rc;
}

bool xlctl_load_xlconf(const char *path, struct xlconf *xc)
{
    int rc = xlconf_read_file(xc, path);

    if (rc) {
        fprintf(stderr, "%s: %s\n", path, strerror(rc));
        return false;
    }
    xlconf_print_diags(xc, stderr);
    if (!xlconf_ok(xc)) {
        fprintf(stderr, "%s: xl refuses to run with this xl.conf until its "
                "errors are fixed\n", path);
        return false;
    }
    return true;
}

int xlctl_cmd_config_check(const struct xlctl_cmd *cmd, int argc,
                           char **argv)
{
    static const struct option opts[] = {
        { "quiet", no_argument, NULL, 'q' },
        { "syntax", no_argument, NULL, 's' },
        { "xl-conf", required_argument, NULL, OPT_XL_CONF },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct xlconf xc;
    const char *xlconf_path = NULL;
    bool quiet = false, syntax_only = false;
    int c, status = XLCTL_USAGE;

    xlconf_init(&xc);
    while ((c = getopt_long(argc, argv, "+qsh", opts, NULL)) != -1) {
        switch (c) {
        case 'q':
            quiet = true;
            break;
        case 's':
            syntax_only = true;
            break;
        case OPT_XL_CONF:
            xlconf_path = optarg;
            break;
        case 'h':
            xlctl_usage(cmd, stdout);
            status = XLCTL_OK;
            goto out;
        default:
            xlctl_usage(cmd, stderr);
            goto out;
        }
    }
    /* With --xl-conf alone, the xl.conf is what is checked. */
    if (optind >= argc && !xlconf_path) {
        xlctl_usage(cmd, stderr);
        goto out;
    }
    if (syntax_only && xlconf_path) {
        fprintf(stderr, "xlctl: --syntax checks no meaning, so --xl-conf "
                "has nothing to do with it\n");
        goto out;
    }
    status = XLCTL_OK;
    /* The meaning of a domain config depends on xl.conf, which xl reads
     * before anything else; a broken one makes xl refuse every config. */
    if (!syntax_only) {
        if (!xlctl_load_xlconf(xlconf_path ? xlconf_path
                                           : XLCONF_DEFAULT_PATH, &xc)) {
            status = XLCTL_FAIL;
            goto out;
        }
        if (optind >= argc && !quiet)
            printf("%s: OK\n", xlconf_path);
    }
    for (int i = optind; i < argc; i++) {
        struct xlcfg cfg;

        xlcfg_init(&cfg);
        if (!(syntax_only ? load(&cfg, argv[i])
                          : check(&cfg, argv[i], &xc)))
            status = XLCTL_FAIL;
        else if (!quiet)
            printf("%s: OK\n", argv[i]);
        xlcfg_dispose(&cfg);
    }

out:
    xlconf_dispose(&xc);
    return status;
}

int xlctl_cmd_config_show(const struct xlctl_cmd *cmd, int argc,
                          char **argv)
{
    struct xlcfg cfg;
    int c, status = XLCTL_FAIL;

    while ((c = getopt(argc, argv, "+h")) != -1) {
        switch (c) {
        case 'h':
            xlctl_usage(cmd, stdout);
            return XLCTL_OK;
        default:
            xlctl_usage(cmd, stderr);
            return XLCTL_USAGE;
        }
    }
    if (argc - optind != 1) {
        xlctl_usage(cmd, stderr);
        return XLCTL_USAGE;
    }
    xlcfg_init(&cfg);
    if (!load(&cfg, argv[optind]))
        goto out;
    if (xlcfg_write(&cfg, stdout) || fflush(stdout)) {
        fprintf(stderr, "xlctl: writing the config: %s\n", strerror(EIO));
        goto out;
    }
    status = XLCTL_OK;

out:
    xlcfg_dispose(&cfg);
    return status;
}
