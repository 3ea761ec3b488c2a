/*
 * cmd_create.c - `xlctl create`: read a domain config and its key=value
 * overrides, and either print the libxl domain config it means, as
 * `xl -N create` does (--dry-run, no daemon needed), or have xld create
 * the domain.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "xlcfg.h"
#include "xlconf.h"
#include "xlconv.h"
#include "xlctl.h"

/* --xl-conf has no short form: xl has no option for it at all. */
#define OPT_XL_CONF 256

/* Read a whole config file into *buf (NUL-terminated, *len bytes).
 * Prints why it cannot and returns -1. */
int xlctl_read_config(const char *path, char **buf, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *b = NULL;
    size_t n = 0, cap = 0;
    int rc = -1;

    *buf = NULL;
    *len = 0;
    if (!f) {
        fprintf(stderr, "%s: cannot open: %s\n", path, strerror(errno));
        return -1;
    }
    for (;;) {
        size_t got;

        if (cap - n < 4096) {
            char *nb;

            cap = cap ? cap * 2 : 16384;
            if (cap > XLCFG_MAX_FILE_SIZE + 4096)
                cap = XLCFG_MAX_FILE_SIZE + 4096;
            nb = realloc(b, cap);
            if (!nb) {
                fprintf(stderr, "xlctl: %s\n", strerror(ENOMEM));
                goto out;
            }
            b = nb;
        }
        got = fread(b + n, 1, cap - n - 1, f);
        n += got;
        if (n > XLCFG_MAX_FILE_SIZE) {
            fprintf(stderr, "%s: more than %u bytes: not a domain config\n",
                    path, XLCFG_MAX_FILE_SIZE);
            goto out;
        }
        if (got == 0)
            break;
    }
    if (ferror(f)) {
        fprintf(stderr, "%s: cannot read: %s\n", path, strerror(errno));
        goto out;
    }
    /* The protocol carries the text as a JSON string, which ends at a NUL
     * byte; a config never holds one. */
    if (memchr(b, '\0', n)) {
        fprintf(stderr, "%s: holds a NUL byte: not a domain config\n", path);
        goto out;
    }
    b[n] = '\0';
    *buf = b;
    *len = n;
    b = NULL;
    rc = 0;

out:
    free(b);
    fclose(f);
    return rc;
}

/* Have xld create the domain: the config goes as its text, with the
 * overrides and the file's name for messages, so that xld parses it
 * exactly as `config check` does here. */
static int create_in_xld(const struct xlctl_cmd *cmd, const char *path,
                         char *const *extra, size_t nextra, bool paused,
                         bool quiet, long long *domid)
{
    struct xlctl_client c;
    struct xlctl_client_args *a;
    yajl_val reply = NULL, ret;
    char *text = NULL;
    size_t len;
    int status = XLCTL_FAIL;

    xlctl_client_init(&c);
    if (xlctl_read_config(path, &text, &len))
        goto out;
    /* xl says this before anything else, and -q silences it. */
    if (!quiet)
        fprintf(stderr, "Parsing config from %s\n", path);
    if (xlctl_connect(cmd, &c))
        goto out;
    a = xlctl_client_args();
    xlctl_client_arg_str(a, "config", text);
    xlctl_client_arg_str(a, "filename", path);
    xlctl_client_arg_strv(a, "overrides", extra, nextra);
    xlctl_client_arg_bool(a, "paused", paused);
    /* Creating may wait behind the host's memory being freed, or behind
     * another operation: no timeout. */
    if (xlctl_client_call(&c, "create", a, XLCTL_CLIENT_FOREVER, &reply,
                          &ret)) {
        const struct xlctl_client_error *e = xlctl_client_error(&c);

        if (e->desc && !e->cls && strstr(e->desc, "not valid UTF-8"))
            fprintf(stderr, "%s: the config is not valid UTF-8 text, which "
                    "xld needs; convert it (iconv -t UTF-8)\n", path);
        else
            xlctl_client_perror(&c, cmd->name, stderr);
        goto out;
    }
    *domid = xlctl_json_int(ret, "domid", -1);
    status = XLCTL_OK;

out:
    yajl_tree_free(reply);
    free(text);
    xlctl_client_dispose(&c);
    return status;
}

/*
 * create -c: attach to the new domain's console, as `xlctl console`
 * does.  xl starts its console client before it unpauses the guest; here
 * the guest runs already, and xenconsoled's buffer of what it printed
 * meanwhile (on the simulator, its console's log) is what the client
 * shows first.
 */
static int attach_console(long long domid)
{
    char id[32], verb[] = "console";
    char *argv[] = { verb, id, NULL };

    for (const struct xlctl_cmd *c = xlctl_cmds; c->name; c++) {
        if (strcmp(c->name, "console"))
            continue;
        snprintf(id, sizeof(id), "%lld", domid);
        optind = 0;
        return c->handler(c, 2, argv);
    }
    return XLCTL_FAIL;
}

int xlctl_cmd_create(const struct xlctl_cmd *cmd, int argc, char **argv)
{
    static const struct option opts[] = {
        { "dry-run", no_argument, NULL, 'n' },
        { "dryrun", no_argument, NULL, 'n' },
        { "quiet", no_argument, NULL, 'q' },
        { "xl-conf", required_argument, NULL, OPT_XL_CONF },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct xlcfg cfg;
    struct xlconf xc;
    struct xlconv_host host;
    libxl_domain_config dc;
    const char *path = NULL, *xlconf_path = NULL;
    char **extra = NULL, *json = NULL;
    size_t nextra = 0;
    bool dry_run = false, paused = false, quiet = false, console = false;
    long long domid = -1;
    int c, rc, status = XLCTL_FAIL;

    xlcfg_init(&cfg);
    xlconf_init(&xc);
    xlconv_host_init(&host);
    libxl_domain_config_init(&dc);
    while ((c = getopt_long(argc, argv, "+npqch", opts, NULL)) != -1) {
        switch (c) {
        case 'n':
            dry_run = true;
            break;
        case 'c':
            console = true;
            break;
        case 'p':
            paused = true;
            break;
        case 'q':
            quiet = true;
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
            status = XLCTL_USAGE;
            goto out;
        }
    }
    /* As in xl: words with '=' are settings, the one without is the
     * config file. */
    extra = calloc((size_t)argc, sizeof(*extra));
    if (!extra) {
        fprintf(stderr, "xlctl: %s\n", strerror(ENOMEM));
        goto out;
    }
    for (int i = optind; i < argc; i++) {
        if (strchr(argv[i], '=')) {
            extra[nextra++] = argv[i];
        } else if (!path) {
            path = argv[i];
        } else {
            xlctl_usage(cmd, stderr);
            status = XLCTL_USAGE;
            goto out;
        }
    }
    if (!path) {
        xlctl_usage(cmd, stderr);
        status = XLCTL_USAGE;
        goto out;
    }
    if (!dry_run) {
        /* xld applies the xl.conf of its host, which it reads itself. */
        if (xlconf_path) {
            fprintf(stderr, "xlctl: --xl-conf goes with --dry-run: xld "
                    "applies its own xl.conf\n");
            status = XLCTL_USAGE;
            goto out;
        }
        status = create_in_xld(cmd, path, extra, nextra, paused, quiet,
                               &domid);
        if (status == XLCTL_OK && console && domid >= 0)
            status = attach_console(domid);
        goto out;
    }
    if (!xlctl_load_xlconf(xlconf_path ? xlconf_path : XLCONF_DEFAULT_PATH,
                           &xc))
        goto out;
    /* xl would print SXP then; the JSON is what xld and its tools use. */
    if (xc.output_format == XLCONF_OUTPUT_SXP)
        fprintf(stderr, "xlctl: xl.conf's output_format is \"sxp\", which "
                "xl -N create would print; xlctl prints JSON\n");
    host.conf = &xc;
    rc = xlcfg_parse_file_extra(&cfg, path, extra, nextra);
    if (rc) {
        fprintf(stderr, "%s: %s\n", path, strerror(rc));
        goto out;
    }
    if (xlcfg_ok(&cfg)) {
        rc = xlconv_convert(&cfg, &host, &dc);
        if (rc == ENOMEM)
            fprintf(stderr, "xlctl: %s\n", strerror(rc));
    }
    xlcfg_print_diags(&cfg, stderr);
    if (!xlcfg_ok(&cfg) || rc)
        goto out;
    json = xlconv_json(&dc);
    if (!json) {
        fprintf(stderr, "xlctl: %s\n", strerror(ENOMEM));
        goto out;
    }
    fputs(json, stdout);
    if (fflush(stdout)) {
        fprintf(stderr, "xlctl: writing the config: %s\n", strerror(errno));
        goto out;
    }
    status = XLCTL_OK;

out:
    free(json);
    free(extra);
    libxl_domain_config_dispose(&dc);
    xlconv_host_dispose(&host);
    xlconf_dispose(&xc);
    xlcfg_dispose(&cfg);
    return status;
}

/*
 * adopt DOM [CONFIG [KEY=VALUE...]]: xld takes over a domain plain xl
 * started.  With a config file, xld keeps its text as for a domain it
 * created (and a restart re-reads nothing else); without one, xld asks
 * libxl for the config the domain runs with.
 */
int xlctl_cmd_adopt(const struct xlctl_cmd *cmd, int argc, char **argv)
{
    static const struct option opts[] = {
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct xlctl_client c;
    struct xlctl_client_args *a;
    const char *dom = NULL, *path = NULL;
    char **extra = NULL, *text = NULL;
    size_t nextra = 0, len;
    int opt, status = XLCTL_USAGE;

    xlctl_client_init(&c);
    while ((opt = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
        if (opt == 'h') {
            xlctl_usage(cmd, stdout);
            status = XLCTL_OK;
            goto out;
        }
        xlctl_usage(cmd, stderr);
        goto out;
    }
    extra = calloc((size_t)argc + 1, sizeof(*extra));
    if (!extra) {
        fprintf(stderr, "xlctl: %s\n", strerror(ENOMEM));
        status = XLCTL_FAIL;
        goto out;
    }
    if (optind < argc)
        dom = argv[optind++];
    if (optind < argc && !strchr(argv[optind], '='))
        path = argv[optind++];
    for (; optind < argc; optind++) {
        /* Settings come after a config file, as with create. */
        if (!path || !strchr(argv[optind], '=')) {
            dom = NULL;
            break;
        }
        extra[nextra++] = argv[optind];
    }
    if (!dom) {
        xlctl_usage(cmd, stderr);
        goto out;
    }
    status = XLCTL_FAIL;
    if (path && xlctl_read_config(path, &text, &len))
        goto out;
    if (xlctl_connect(cmd, &c))
        goto out;
    a = xlctl_client_args();
    xlctl_client_arg_str(a, "domain", dom);
    if (path) {
        xlctl_client_arg_str(a, "config", text);
        xlctl_client_arg_str(a, "filename", path);
        xlctl_client_arg_strv(a, "overrides", extra, nextra);
    }
    if (xlctl_client_call(&c, "adopt", a, XLCTL_CLIENT_FOREVER, NULL,
                          NULL)) {
        xlctl_client_perror(&c, cmd->name, stderr);
        goto out;
    }
    status = XLCTL_OK;

out:
    free(text);
    free(extra);
    xlctl_client_dispose(&c);
    return status;
}
