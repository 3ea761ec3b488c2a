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
#include "xlconv.h"
#include "xlctl.h"

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
 * default host; print every diagnostic.  Returns true when valid. */
static bool check(struct xlcfg *cfg, const char *path)
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

int xlctl_cmd_config_check(const struct xlctl_cmd *cmd, int argc,
                           char **argv)
{
    static const struct option opts[] = {
        { "quiet", no_argument, NULL, 'q' },
        { "syntax", no_argument, NULL, 's' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    bool quiet = false, syntax_only = false;
    int c, status = XLCTL_OK;

    while ((c = getopt_long(argc, argv, "+qsh", opts, NULL)) != -1) {
        switch (c) {
        case 'q':
            quiet = true;
            break;
        case 's':
            syntax_only = true;
            break;
        case 'h':
            xlctl_usage(cmd, stdout);
            return XLCTL_OK;
        default:
            xlctl_usage(cmd, stderr);
            return XLCTL_USAGE;
        }
    }
    if (optind >= argc) {
        xlctl_usage(cmd, stderr);
        return XLCTL_USAGE;
    }
    for (int i = optind; i < argc; i++) {
        struct xlcfg cfg;

        xlcfg_init(&cfg);
        if (!(syntax_only ? load(&cfg, argv[i]) : check(&cfg, argv[i])))
            status = XLCTL_FAIL;
        else if (!quiet)
            printf("%s: OK\n", argv[i]);
        xlcfg_dispose(&cfg);
    }
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
