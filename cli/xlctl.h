/*
 * xlctl.h - the command table of xlctl.
 *
 * Every verb is one row of xlctl_cmds[]: its name (one or two words),
 * its handler, its usage line and a summary.  The table drives
 * dispatch, `xlctl help` and the usage messages, so a verb exists in one
 * place only.
 */
#ifndef XLCTL_H
#define XLCTL_H

#include <stdio.h>

/* Exit statuses, as xl scripts expect them. */
enum {
    XLCTL_OK = 0,
    XLCTL_FAIL = 1,   /* the operation failed */
    XLCTL_USAGE = 2,  /* the command line was wrong */
};

/* Flags of a verb. */
enum {
    XLCTL_OFFLINE = 1 << 0,   /* works without the daemon */
    XLCTL_READONLY = 1 << 1,  /* changes nothing */
};

struct xlctl_cmd {
    const char *name;
    /* argv[0] is the verb's name; options follow. */
    int (*handler)(const struct xlctl_cmd *cmd, int argc, char **argv);
    const char *usage;
    const char *summary;
    unsigned flags;
};

extern const struct xlctl_cmd xlctl_cmds[];

/* Print "usage: xlctl NAME USAGE" to f. */
void xlctl_usage(const struct xlctl_cmd *cmd, FILE *f);

/* Verbs, one file per group of verbs. */
int xlctl_cmd_config_check(const struct xlctl_cmd *cmd, int argc,
                           char **argv);
int xlctl_cmd_config_show(const struct xlctl_cmd *cmd, int argc,
                          char **argv);

#endif /* XLCTL_H */
