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

#include <stdbool.h>
#include <stdio.h>

#include "client.h"

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
    /* Talks to xld.  With XLCTL_OFFLINE too, only in some of its forms
     * (create without --dry-run, config show of a domain).  With
     * XLCTL_READONLY, xld's read-only socket will do. */
    XLCTL_DAEMON = 1 << 2,
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

/* The global option --socket PATH: xld's admin socket, or NULL for
 * $XLD_SOCKET or the default. */
extern const char *xlctl_socket;

/* Print "usage: xlctl NAME USAGE" to f. */
void xlctl_usage(const struct xlctl_cmd *cmd, FILE *f);

/* Verbs, one file per group of verbs. */
int xlctl_cmd_config_check(const struct xlctl_cmd *cmd, int argc,
                           char **argv);
int xlctl_cmd_create(const struct xlctl_cmd *cmd, int argc, char **argv);

/*
 * Read the xl.conf that config check and a dry run apply, as xl reads
 * /etc/xen/xl.conf before any command, into an initialised xc, and print
 * what is wrong with it.  Returns false when xl would refuse to run with
 * it (or on ENOMEM).
 */
struct xlconf;
bool xlctl_load_xlconf(const char *path, struct xlconf *xc);
int xlctl_cmd_adopt(const struct xlctl_cmd *cmd, int argc, char **argv);
int xlctl_cmd_console(const struct xlctl_cmd *cmd, int argc, char **argv);
/* console.c: attach to the console tty (the simulator's), relaying it
 * and the terminal until Ctrl-], the end of the console or a signal;
 * the terminal is given back as it was.  Returns an exit status. */
int xlctl_console_attach(const char *tty);
int xlctl_cmd_config_show(const struct xlctl_cmd *cmd, int argc,
                          char **argv);
/* Read a whole config file into *buf (NUL-terminated, *len bytes):
 * prints why it cannot and returns -1. */
int xlctl_read_config(const char *path, char **buf, size_t *len);

/* cmd_domain.c: the verbs that talk to xld. */
/* Connect for cmd (the read-only socket will do for a read-only verb);
 * on failure, print why and return -1.  c must be initialised. */
int xlctl_connect(const struct xlctl_cmd *cmd, struct xlctl_client *c);

/*
 * Parse the options of a verb: optstring and longopts as for getopt_long
 * (a "help" option is understood in any case).  Calls fn for every other
 * option.  Returns -1 to go on, or the exit status when the verb is done
 * (help printed, or a usage error).  Checks that the number of operands
 * is in [min, max] (max -1: any).
 */
struct option;
int xlctl_options(const struct xlctl_cmd *cmd, int argc, char **argv,
                  const char *optstring, const struct option *longopts,
                  int min, int max,
                  bool (*fn)(void *opaque, int opt), void *opaque);
/* An fn for xlctl_options when the one option is a flag: sets the bool
 * opaque points to. */
bool xlctl_flag_opt(void *opaque, int opt);
/* Connect, make one request, and close: for the verbs that need one
 * answer and nothing else (queries time out, operations wait as long as
 * they take).  a is consumed.  Returns an exit status. */
int xlctl_call_once(const struct xlctl_cmd *cmd, const char *execute,
                    struct xlctl_client_args *a);
/* Show the PROGRESS events of long operations as one updating line on
 * stderr when it is a terminal, and nothing otherwise. */
struct xlctl_progress {
    bool tty;
    bool shown;            /* a line is on the terminal */
};
void xlctl_progress_init(struct xlctl_progress *p);
xlctl_client_event_fn xlctl_progress_event;   /* opaque: the progress */
void xlctl_progress_clear(struct xlctl_progress *p);

int xlctl_cmd_config_show_any(const struct xlctl_cmd *cmd, int argc,
                              char **argv);
int xlctl_cmd_list(const struct xlctl_cmd *cmd, int argc, char **argv);
int xlctl_cmd_info(const struct xlctl_cmd *cmd, int argc, char **argv);
int xlctl_cmd_domid(const struct xlctl_cmd *cmd, int argc, char **argv);
int xlctl_cmd_domname(const struct xlctl_cmd *cmd, int argc, char **argv);
int xlctl_cmd_uptime(const struct xlctl_cmd *cmd, int argc, char **argv);
int xlctl_cmd_shutdown(const struct xlctl_cmd *cmd, int argc, char **argv);
int xlctl_cmd_reboot(const struct xlctl_cmd *cmd, int argc, char **argv);
/* destroy, pause, unpause: the verb's name is the command. */
int xlctl_cmd_domain_op(const struct xlctl_cmd *cmd, int argc, char **argv);
int xlctl_cmd_save(const struct xlctl_cmd *cmd, int argc, char **argv);
int xlctl_cmd_restore(const struct xlctl_cmd *cmd, int argc, char **argv);
int xlctl_cmd_migrate(const struct xlctl_cmd *cmd, int argc, char **argv);
int xlctl_cmd_migrate_receive(const struct xlctl_cmd *cmd, int argc,
                              char **argv);
/* mem-set, mem-max. */
int xlctl_cmd_mem(const struct xlctl_cmd *cmd, int argc, char **argv);
int xlctl_cmd_vcpu_set(const struct xlctl_cmd *cmd, int argc, char **argv);
int xlctl_cmd_rename(const struct xlctl_cmd *cmd, int argc, char **argv);
/* vcpu-list, vcpu-pin, cpupool-list, sched-credit2. */
int xlctl_cmd_vcpu_list(const struct xlctl_cmd *cmd, int argc, char **argv);
int xlctl_cmd_vcpu_pin(const struct xlctl_cmd *cmd, int argc, char **argv);
int xlctl_cmd_cpupool_list(const struct xlctl_cmd *cmd, int argc,
                           char **argv);
int xlctl_cmd_sched_credit2(const struct xlctl_cmd *cmd, int argc,
                            char **argv);
int xlctl_cmd_events(const struct xlctl_cmd *cmd, int argc, char **argv);
int xlctl_cmd_sysrq(const struct xlctl_cmd *cmd, int argc, char **argv);
int xlctl_cmd_top(const struct xlctl_cmd *cmd, int argc, char **argv);
int xlctl_cmd_metrics(const struct xlctl_cmd *cmd, int argc, char **argv);
int xlctl_cmd_sim_inject(const struct xlctl_cmd *cmd, int argc,
                         char **argv);

/* cmd_device.c: devices while a domain runs. */
int xlctl_cmd_block_attach(const struct xlctl_cmd *cmd, int argc,
                           char **argv);
int xlctl_cmd_block_detach(const struct xlctl_cmd *cmd, int argc,
                           char **argv);
int xlctl_cmd_block_list(const struct xlctl_cmd *cmd, int argc, char **argv);
int xlctl_cmd_network_attach(const struct xlctl_cmd *cmd, int argc,
                             char **argv);
int xlctl_cmd_network_detach(const struct xlctl_cmd *cmd, int argc,
                             char **argv);
int xlctl_cmd_network_list(const struct xlctl_cmd *cmd, int argc,
                           char **argv);
int xlctl_cmd_pci_attach(const struct xlctl_cmd *cmd, int argc, char **argv);
int xlctl_cmd_pci_detach(const struct xlctl_cmd *cmd, int argc, char **argv);
int xlctl_cmd_pci_list(const struct xlctl_cmd *cmd, int argc, char **argv);
int xlctl_cmd_pci_assignable_list(const struct xlctl_cmd *cmd, int argc,
                                  char **argv);
int xlctl_cmd_pci_assignable_add(const struct xlctl_cmd *cmd, int argc,
                                 char **argv);
int xlctl_cmd_pci_assignable_remove(const struct xlctl_cmd *cmd, int argc,
                                    char **argv);
/* cd-insert, cd-eject. */
int xlctl_cmd_cd_insert(const struct xlctl_cmd *cmd, int argc, char **argv);

/* cmd_host.c: the host boot and shutdown job, the autostart folder. */
int xlctl_cmd_host(const struct xlctl_cmd *cmd, int argc, char **argv);
int xlctl_cmd_autostart_list(const struct xlctl_cmd *cmd, int argc,
                             char **argv);
int xlctl_cmd_autostart_change(const struct xlctl_cmd *cmd, int argc,
                               char **argv);

#endif /* XLCTL_H */
