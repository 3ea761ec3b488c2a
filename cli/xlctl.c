/*
 * xlctl.c - the command line admins type: the command table, dispatch
 * and help.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xlctl.h"

static int cmd_help(const struct xlctl_cmd *cmd, int argc, char **argv);

const struct xlctl_cmd xlctl_cmds[] = {
    { "config check", xlctl_cmd_config_check, "[-q] FILE...",
      "check xl domain config files and report every error",
      XLCTL_OFFLINE | XLCTL_READONLY },
    { "config show", xlctl_cmd_config_show, "FILE",
      "print a config file in normalised form",
      XLCTL_OFFLINE | XLCTL_READONLY },
    { "help", cmd_help, "[COMMAND]", "list the commands, or explain one",
      XLCTL_OFFLINE | XLCTL_READONLY },
    { NULL, NULL, NULL, NULL, 0 },
};

void xlctl_usage(const struct xlctl_cmd *cmd, FILE *f)
{
    fprintf(f, "usage: xlctl %s %s\n", cmd->name, cmd->usage);
}

/* How many of argv's words the command's name takes, or 0 when it does
 * not match. */
static int match(const struct xlctl_cmd *cmd, int argc, char **argv)
{
    const char *p = cmd->name;
    int words = 0;

    while (*p) {
        size_t n = strcspn(p, " ");

        if (words >= argc || strlen(argv[words]) != n
            || strncmp(argv[words], p, n) != 0)
            return 0;
        words++;
        p += n;
        p += strspn(p, " ");
    }
    return words;
}

static const struct xlctl_cmd *lookup(int argc, char **argv, int *words)
{
    for (const struct xlctl_cmd *c = xlctl_cmds; c->name; c++) {
        int n = match(c, argc, argv);

        if (n) {
            *words = n;
            return c;
        }
    }
    return NULL;
}

static void list_commands(FILE *f)
{
    fprintf(f, "usage: xlctl [-V] COMMAND [ARGS]\n\ncommands:\n");
    for (const struct xlctl_cmd *c = xlctl_cmds; c->name; c++)
        fprintf(f, "  %-14s %s\n", c->name, c->summary);
}

static int cmd_help(const struct xlctl_cmd *cmd, int argc, char **argv)
{
    const struct xlctl_cmd *c;
    int words;

    (void)cmd;
    if (argc < 2) {
        list_commands(stdout);
        return XLCTL_OK;
    }
    c = lookup(argc - 1, argv + 1, &words);
    if (!c || words != argc - 1) {
        fprintf(stderr, "xlctl: no command '%s'; 'xlctl help' lists "
                "them\n", argv[1]);
        return XLCTL_USAGE;
    }
    xlctl_usage(c, stdout);
    printf("%s\n", c->summary);
    return XLCTL_OK;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "version", no_argument, NULL, 'V' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const struct xlctl_cmd *cmd;
    int c, words;

    /* '+': options after the verb belong to the verb. */
    while ((c = getopt_long(argc, argv, "+Vh", opts, NULL)) != -1) {
        switch (c) {
        case 'V':
            printf("xlctl %s\n", PACKAGE_VERSION);
            return XLCTL_OK;
        case 'h':
            list_commands(stdout);
            return XLCTL_OK;
        default:
            list_commands(stderr);
            return XLCTL_USAGE;
        }
    }
    argc -= optind;
    argv += optind;
    if (argc == 0) {
        list_commands(stderr);
        return XLCTL_USAGE;
    }
    cmd = lookup(argc, argv, &words);
    if (!cmd) {
        fprintf(stderr, "xlctl: unknown command '%s'; 'xlctl help' "
                "lists them\n", argv[0]);
        return XLCTL_USAGE;
    }
    /* The handler sees its name as argv[0], as getopt expects. */
    optind = 0;
    return cmd->handler(cmd, argc - words + 1, argv + words - 1);
}
