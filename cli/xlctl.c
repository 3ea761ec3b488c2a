/*
 * xlctl.c - the command line admins type: the command table, dispatch,
 * help and the shell completion generated from the table.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xlctl.h"

static int cmd_help(const struct xlctl_cmd *cmd, int argc, char **argv);
static int cmd_completion(const struct xlctl_cmd *cmd, int argc,
                          char **argv);

const char *xlctl_socket;

/*
 * The usage strings follow one convention, which the completion relies
 * on: options are words starting with '-' (alternatives joined by '|'),
 * and the other words are operands: DOM and NAME are domains, FILE and
 * CFG are files, and a trailing "..." repeats the last one.
 */
const struct xlctl_cmd xlctl_cmds[] = {
    { "config check", xlctl_cmd_config_check,
      "[-q] [-s|--syntax] [--xl-conf=FILE] FILE...",
      "check xl domain config files (-s: their syntax only) and report "
      "every error and warning, applying /etc/xen/xl.conf or --xl-conf's "
      "file (which is checked alone when no FILE is given)",
      XLCTL_OFFLINE | XLCTL_READONLY },
    { "config show", xlctl_cmd_config_show_any, "FILE|DOM",
      "print a config file in normalised form, or the config a domain "
      "was created with (when no such file exists)",
      XLCTL_OFFLINE | XLCTL_READONLY | XLCTL_DAEMON },
    { "create", xlctl_cmd_create,
      "[-p] [-q] [-c] [-n|--dry-run] [--xl-conf=FILE] CFG [KEY=VALUE...]",
      "create a domain from an xl config (-p: leave it paused; -c: then "
      "attach to its console; --dry-run: "
      "print the libxl config it means, as xl -N create does, without "
      "xld, applying /etc/xen/xl.conf or --xl-conf's file)",
      XLCTL_OFFLINE | XLCTL_DAEMON },
    { "list", xlctl_cmd_list, "[-l|--long] [-v|--verbose] [--json] [DOM]",
      "list the domains as xl list does (--long: their configs as JSON; "
      "--json: what xld knows of them, as JSON)",
      XLCTL_READONLY | XLCTL_DAEMON },
    { "info", xlctl_cmd_info, "[--json] [KEY]",
      "show information about the host, as xl info does (KEY: only the "
      "values of the keys starting with KEY)",
      XLCTL_READONLY | XLCTL_DAEMON },
    { "domid", xlctl_cmd_domid, "NAME", "print the domid of a domain",
      XLCTL_READONLY | XLCTL_DAEMON },
    { "domname", xlctl_cmd_domname, "ID", "print the name of a domain",
      XLCTL_READONLY | XLCTL_DAEMON },
    { "uptime", xlctl_cmd_uptime, "[-s] [DOM...]",
      "print the uptime of all or some domains (-s: in the short form)",
      XLCTL_READONLY | XLCTL_DAEMON },
    { "shutdown", xlctl_cmd_shutdown, "[-w|--wait] [-F] -a|--all|DOM",
      "ask a domain (-a: every domain but dom0) to shut down (-w: and "
      "wait until it is down; -F: press the ACPI power button of a guest "
      "without PV drivers)",
      XLCTL_DAEMON },
    { "reboot", xlctl_cmd_reboot, "[-w|--wait] [-F] -a|--all|DOM",
      "ask a domain (-a: every domain but dom0) to reboot (-w: and wait "
      "until it has gone down; -F: an ACPI reset for a guest without PV "
      "drivers)",
      XLCTL_DAEMON },
    { "destroy", xlctl_cmd_domain_op, "DOM",
      "terminate a domain at once", XLCTL_DAEMON },
    { "pause", xlctl_cmd_domain_op, "DOM", "pause a domain", XLCTL_DAEMON },
    { "unpause", xlctl_cmd_domain_op, "DOM", "unpause a paused domain",
      XLCTL_DAEMON },
    { "save", xlctl_cmd_save, "[-c] DOM FILE",
      "save a domain to FILE, to restore later (-c: leave it running)",
      XLCTL_DAEMON },
    { "restore", xlctl_cmd_restore, "[-p] FILE",
      "restore a domain saved in FILE (-p: leave it paused)",
      XLCTL_DAEMON },
    { "migrate", xlctl_cmd_migrate,
      "[-s SSHCOMMAND] [-e] [-C CONFIG] [-p] [--debug] [--live] "
      "[--no-live] [--dry-run] DOM HOST",
      "move a running domain to HOST's xld, live, as xl migrate does: "
      "through `ssh HOST xlctl migrate-receive` (-s: that ssh command "
      "instead; -s '': HOST is the whole command), and destroyed here "
      "only once it runs there (-C: send that config file instead of the "
      "domain's; -p: leave it paused there; -e: the target does not wait "
      "for the guest, passed on as xl does; --debug: check the memory "
      "sent; --live: accepted, as migration is live by default; "
      "--no-live: suspend the guest, then send it, where Xen cannot "
      "track its dirty pages (no shadow paging for PV); --dry-run: "
      "the target checks the name, uuid, config and memory, and nothing "
      "moves)",
      XLCTL_DAEMON },
    { "migrate-receive", xlctl_cmd_migrate_receive, "[-d] [-e] [-p]",
      "the target's end of a migration, run by the sender through ssh: "
      "hand stdin and stdout to xld, which receives the domain on them "
      "(-p: leave it paused; -d, -e: as xl's, accepted)",
      XLCTL_DAEMON },
    { "mem-set", xlctl_cmd_mem, "DOM MEM",
      "set a domain's memory target (MEM: a number of MiB, or with a "
      "suffix b, k, m, g or t)",
      XLCTL_DAEMON },
    { "mem-max", xlctl_cmd_mem, "DOM MEM",
      "set a domain's maximum memory (MEM: a number of MiB, or with a "
      "suffix b, k, m, g or t)",
      XLCTL_DAEMON },
    { "vcpu-set", xlctl_cmd_vcpu_set, "DOM COUNT",
      "set the number of a domain's active vCPUs", XLCTL_DAEMON },
    { "vcpu-list", xlctl_cmd_vcpu_list, "[DOM...]",
      "list the vCPUs of all or some domains, as xl vcpu-list does: the "
      "CPU each runs on, its state, its time, its hard and soft affinity",
      XLCTL_READONLY | XLCTL_DAEMON },
    { "vcpu-pin", xlctl_cmd_vcpu_pin,
      "[-f|--force] DOM VCPU|all HARD [SOFT]",
      "set the hard and soft affinity of a vCPU, or of all, in xl's cpu "
      "list syntax (2-5,^3 node:0 nodes:0-1 all; '-' leaves one as it "
      "is; -f: undo a pinning the guest's kernel made first); a restart "
      "gets the config's cpus= back, as with xl",
      XLCTL_DAEMON },
    { "cpupool-list", xlctl_cmd_cpupool_list, "[-c|--cpus] [POOL]",
      "list the CPU pools, as xl cpupool-list does (-c: their CPUs)",
      XLCTL_READONLY | XLCTL_DAEMON },
    { "sched-credit2", xlctl_cmd_sched_credit2,
      "[-d DOM [-w WEIGHT] [-c CAP]] [-p POOL] [-s]",
      "show the credit2 scheduler's weight and cap of every domain (-p: "
      "of one pool's), or of one (-d), or set them (-w 1-65535, -c: a "
      "percentage of one CPU, 0 for none; kept across restarts); -s: the "
      "pool's rate limit",
      XLCTL_DAEMON },
    { "rename", xlctl_cmd_rename, "DOM NEWNAME", "rename a domain",
      XLCTL_DAEMON },
    { "console", xlctl_cmd_console, "[-t pv|serial|vuart] [-n NUM] DOM",
      "attach to a domain's console, through Xen's xenconsole as xl does "
      "(on the simulator, to its simulated console; Ctrl-] leaves)",
      XLCTL_DAEMON },
    { "adopt", xlctl_cmd_adopt, "DOM [CONFIG [KEY=VALUE...]]",
      "let xld manage a domain plain xl started (its on_* actions, its "
      "record), with its config file or the config libxl keeps of it",
      XLCTL_DAEMON },
    { "sysrq", xlctl_cmd_sysrq, "DOM KEY",
      "send a magic SysRq key to a guest's kernel, as xl sysrq does (s: "
      "sync, u: remount read-only, b: reboot, o: power off, c: crash...)",
      XLCTL_DAEMON },
    { "block-attach", xlctl_cmd_block_attach, "DOM DISKSPEC...",
      "attach a disk to a running domain, as xl block-attach does (the "
      "spec as an item of disk=, e.g. phy:/dev/vg/data,xvdb,w); a "
      "restart or a restore keeps it",
      XLCTL_DAEMON },
    { "block-detach", xlctl_cmd_block_detach, "[-f|--force] DOM VDEV",
      "detach a disk from a running domain (-f: without waiting for the "
      "guest to let it go)",
      XLCTL_DAEMON },
    { "block-list", xlctl_cmd_block_list, "DOM...",
      "list the disks of domains, with xl block-list's columns",
      XLCTL_READONLY | XLCTL_DAEMON },
    { "network-attach", xlctl_cmd_network_attach, "DOM [VIFSPEC...]",
      "attach a vif to a running domain, as xl network-attach does (the "
      "spec as an item of vif=, e.g. bridge=xenbr0,mac=00:16:3e:01:02:03; "
      "xl.conf's vif.default.* apply); a restart or a restore keeps it",
      XLCTL_DAEMON },
    { "network-detach", xlctl_cmd_network_detach, "DOM DEVID|MAC",
      "detach a vif from a running domain, by its devid or its MAC",
      XLCTL_DAEMON },
    { "network-list", xlctl_cmd_network_list, "DOM...",
      "list the vifs of domains, with xl network-list's columns",
      XLCTL_READONLY | XLCTL_DAEMON },
    { "pci-attach", xlctl_cmd_pci_attach, "DOM PCI_SPEC_STRING",
      "pass a host PCI device through to a running domain, as xl "
      "pci-attach does (the spec as an item of pci=, e.g. 03:00.0, "
      "0000:03:00.*@08, 04:00.0,permissive=1 or name=NAME; the device "
      "must be assignable); a restart or a restore keeps it",
      XLCTL_DAEMON },
    { "pci-detach", xlctl_cmd_pci_detach, "[-f|--force] DOM PCI_SPEC_STRING",
      "take a passed-through PCI device from a running domain (-f: "
      "without waiting for the guest to let it go)",
      XLCTL_DAEMON },
    { "pci-list", xlctl_cmd_pci_list, "DOM",
      "list the PCI devices passed through to a domain, with xl "
      "pci-list's columns (Vdev: the slot.function the guest sees; "
      "nothing at all when it has none)",
      XLCTL_READONLY | XLCTL_DAEMON },
    { "pci-assignable-list", xlctl_cmd_pci_assignable_list,
      "[-n|--show-names]",
      "list the host's PCI devices that are ready to be passed through "
      "and no domain has, as xl pci-assignable-list does (-n: with the "
      "name each was made assignable with)",
      XLCTL_READONLY | XLCTL_DAEMON },
    { "pci-assignable-add", xlctl_cmd_pci_assignable_add,
      "[-n|--name LABEL] BDF",
      "make the host's PCI device at BDF ([DDDD:]BB:DD.F) assignable to "
      "guests, taking it from dom0's driver (-n: name it LABEL, for "
      "pci-attach name=LABEL)",
      XLCTL_DAEMON },
    { "pci-assignable-remove", xlctl_cmd_pci_assignable_remove,
      "[-r] BDF|LABEL",
      "give a PCI device no domain has back to dom0, found by its name or "
      "else its address (-r: rebind it to the driver it had)",
      XLCTL_DAEMON },
    { "cd-insert", xlctl_cmd_cd_insert, "DOM VDEV TARGET",
      "put a medium in a CD-ROM drive an HVM guest has, as xl cd-insert "
      "does (TARGET as in xl-disk-configuration(5), e.g. /iso/d.iso; it "
      "must exist); a restart or a restore keeps it",
      XLCTL_DAEMON },
    { "cd-eject", xlctl_cmd_cd_insert, "DOM VDEV",
      "take the medium out of a CD-ROM drive of an HVM guest, as xl "
      "cd-eject does",
      XLCTL_DAEMON },
    { "top", xlctl_cmd_top, "[-b|--batch] [-d SEC] [-i N] [--json]",
      "every domain's CPU, memory, vCPUs and I/O, refreshed every SEC "
      "seconds (3), as xl top (xentop) shows them (-b: lines for scripts; "
      "-i: N times; --json: a JSON line a time)",
      XLCTL_READONLY | XLCTL_DAEMON },
    { "metrics", xlctl_cmd_metrics, "",
      "every domain's counters in Prometheus's text format, for a scraper",
      XLCTL_READONLY | XLCTL_DAEMON },
    { "events", xlctl_cmd_events, "[--json]",
      "print xld's events, one a line, until interrupted",
      XLCTL_READONLY | XLCTL_DAEMON },
    { "sim-inject", xlctl_cmd_sim_inject, "WHAT [DOM] [VALUE]",
      "simulator only (xld --backend=sim), for tests: make a guest or "
      "the simulated host misbehave (crash, poweroff, reboot, "
      "ignore-shutdown, fail-next...)",
      XLCTL_DAEMON },
    { "host start", xlctl_cmd_host, "[-q]",
      "at host boot (xld-domains.service): restore the saved domains, "
      "then start the autostart configs whose domains do not run, as "
      "xendomains does (settings: /etc/default/xendomains)",
      XLCTL_DAEMON },
    { "host stop", xlctl_cmd_host, "[-q]",
      "at host shutdown: save every domain (else shut it down), several "
      "at once, within XENDOMAINS_STOP_MAXWAIT",
      XLCTL_DAEMON },
    { "autostart list", xlctl_cmd_autostart_list, "",
      "list the autostart folder (XENDOMAINS_AUTO): each config, its "
      "domain, whether it runs or why it would not start",
      XLCTL_READONLY | XLCTL_DAEMON },
    { "autostart add", xlctl_cmd_autostart_change, "[-q] CFG",
      "start a config's domain at host boot (a link in the autostart "
      "folder)", XLCTL_DAEMON },
    { "autostart remove", xlctl_cmd_autostart_change, "[-q] NAME",
      "stop starting a domain at host boot (NAME: the link's file name "
      "or the domain's)", XLCTL_DAEMON },
    { "completion", cmd_completion, "bash",
      "print a shell completion script (eval \"$(xlctl completion "
      "bash)\")",
      XLCTL_OFFLINE | XLCTL_READONLY },
    { "help", cmd_help, "[COMMAND]", "list the commands, or explain one",
      XLCTL_OFFLINE | XLCTL_READONLY },
    { NULL, NULL, NULL, NULL, 0 },
};

void xlctl_usage(const struct xlctl_cmd *cmd, FILE *f)
{
    fprintf(f, "usage: xlctl %s%s%s\n", cmd->name, *cmd->usage ? " " : "",
            cmd->usage);
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
    int width = 0;

    /* The summaries start in one column, two spaces after the longest
     * name (pci-assignable-remove), so that every name stands apart. */
    for (const struct xlctl_cmd *c = xlctl_cmds; c->name; c++)
        if ((int)strlen(c->name) > width)
            width = (int)strlen(c->name);
    fprintf(f, "usage: xlctl [-V] [--socket PATH] COMMAND [ARGS]\n\n"
            "--socket PATH: xld's admin socket (default: $XLD_SOCKET, "
            "else %s)\n\ncommands:\n", XLCTL_CLIENT_SOCKET);
    for (const struct xlctl_cmd *c = xlctl_cmds; c->name; c++)
        fprintf(f, "  %-*s  %s\n", width, c->name, c->summary);
}

/* Text for troff: backslashes and hyphens as troff wants them, and no
 * line that starts with a control character. */
static void troff_text(const char *s, FILE *f)
{
    if (*s == '.' || *s == '\'')
        fputs("\\&", f);
    for (; *s; s++) {
        if (*s == '\\')
            fputs("\\e", f);
        else if (*s == '-')
            fputs("\\-", f);
        else
            fputc(*s, f);
    }
}

/*
 * The COMMANDS section of xlctl(1), from the table, so that the manual
 * lists what xlctl has (the build splices it into doc/xlctl.1.in).
 */
static void troff_commands(FILE *f)
{
    for (const struct xlctl_cmd *c = xlctl_cmds; c->name; c++) {
        fputs(".TP\n.B xlctl ", f);
        troff_text(c->name, f);
        if (*c->usage) {
            fputc(' ', f);
            troff_text(c->usage, f);
        }
        fputc('\n', f);
        troff_text(c->summary, f);
        fputs(".\n", f);
        if ((c->flags & (XLCTL_DAEMON | XLCTL_OFFLINE)) == XLCTL_DAEMON)
            fprintf(f, "Talks to xld%s.\n", c->flags & XLCTL_READONLY
                    ? "; its read-only socket will do" : "");
        else if (c->flags & XLCTL_DAEMON)
            fputs("Works without xld, except in the forms said above.\n",
                  f);
        else
            fputs("Works without xld.\n", f);
    }
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
    if (argc == 2 && !strcmp(argv[1], "--troff")) {
        troff_commands(stdout);
        return fflush(stdout) ? XLCTL_FAIL : XLCTL_OK;
    }
    c = lookup(argc - 1, argv + 1, &words);
    if (!c || words != argc - 1) {
        fprintf(stderr, "xlctl: no command '%s'; 'xlctl help' lists "
                "them\n", argv[1]);
        return XLCTL_USAGE;
    }
    xlctl_usage(c, stdout);
    printf("%s\n", c->summary);
    if ((c->flags & (XLCTL_DAEMON | XLCTL_OFFLINE)) == XLCTL_DAEMON)
        printf("(talks to xld%s)\n", c->flags & XLCTL_READONLY
               ? "; its read-only socket will do" : "");
    return XLCTL_OK;
}

/* ---- completion ---------------------------------------------------------- */

/* What an operand of a verb is, for the completion. */
enum {
    OPERAND_DOM = 1 << 0,
    OPERAND_FILE = 1 << 1,
};

static unsigned operand_kind(const char *word, size_t n)
{
    static const struct { const char *name; unsigned kind; } kinds[] = {
        { "DOM", OPERAND_DOM }, { "NAME", OPERAND_DOM },
        { "FILE", OPERAND_FILE }, { "CFG", OPERAND_FILE },
    };

    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
        if (strlen(kinds[i].name) == n && !strncmp(word, kinds[i].name, n))
            return kinds[i].kind;
    return 0;
}

/*
 * Print, for the verb's usage string, the bash assignments
 * `opts="..."; operands=(...); repeat=N` from which the completion
 * function works: the options, the kind of each operand ("dom", "file",
 * "dom file" for either, "-" for anything else), and whether the last
 * operand repeats.
 */
static void print_usage_words(const char *usage, FILE *f)
{
    const char *p = usage;
    bool repeat = false;

    fputs("opts=\"", f);
    for (const char *q = p; *q;) {
        size_t n = strcspn(q, " ");

        for (const char *a = q; a < q + n;) {
            size_t m = strcspn(a, "|[] ");

            if (m > 1 && a[0] == '-' && a + m <= q + n)
                fprintf(f, "%.*s ", (int)m, a);
            a += m ? m : 1;
        }
        q += n;
        q += strspn(q, " ");
    }
    fputs("\"; operands=(", f);
    while (*p) {
        size_t n = strcspn(p, " ");
        unsigned kind = 0;
        bool operand = false;

        for (const char *a = p; a < p + n;) {
            size_t m = strcspn(a, "|[] ");

            if (m && a[0] != '-') {
                size_t w = m;

                if (w > 3 && strncmp(a + w - 3, "...", 3) == 0) {
                    w -= 3;
                    repeat = true;
                }
                kind |= operand_kind(a, w);
                operand = true;
            }
            a += m ? m : 1;
        }
        if (operand)
            fprintf(f, "\"%s%s%s\" ", kind & OPERAND_DOM ? "dom " : "",
                    kind & OPERAND_FILE ? "file" : "", kind ? "" : "-");
        p += n;
        p += strspn(p, " ");
    }
    fprintf(f, "); repeat=%d", repeat);
}

static void print_bash_completion(FILE *f)
{
    const struct xlctl_cmd *c;

    fputs("# bash completion for xlctl, generated from its command table by\n"
          "# `xlctl completion bash`; load it with\n"
          "#     eval \"$(xlctl completion bash)\"\n"
          "# or save it as /usr/share/bash-completion/completions/xlctl.\n"
          "_xlctl_domains()\n"
          "{\n"
          "    # The names of the domains, from xld, at completion time.\n"
          "    \"$1\" \"${@:2}\" list --json 2>/dev/null |\n"
          "        sed -n 's/^ *\"name\": *\"\\([^\"]*\\)\".*/\\1/p'\n"
          "}\n"
          "_xlctl()\n"
          "{\n"
          "    local cur=${COMP_WORDS[COMP_CWORD]} i=1 w verb= n=0\n"
          "    local opts operands repeat kind sock=()\n"
          "    COMPREPLY=()\n"
          "    # Global options, then the verb (one or two words).\n"
          "    while [ $i -lt $COMP_CWORD ]; do\n"
          "        w=${COMP_WORDS[i]}\n"
          "        case $w in\n"
          "        --socket)\n"
          "            if [ \"${COMP_WORDS[i+1]}\" = = ]; then\n"
          "                sock=(--socket \"${COMP_WORDS[i+2]}\"); i=$((i + 3))\n"
          "            else\n"
          "                sock=(--socket \"${COMP_WORDS[i+1]}\"); i=$((i + 2))\n"
          "            fi\n"
          "            continue;;\n"
          "        -*) i=$((i + 1)); continue;;\n"
          "        esac\n"
          "        break\n"
          "    done\n"
          "    if [ $i -ge $COMP_CWORD ]; then\n"
          "        if [ \"${COMP_WORDS[COMP_CWORD-1]}\" = --socket ]; then\n"
          "            COMPREPLY=($(compgen -f -- \"$cur\")); return\n"
          "        fi\n"
          "        COMPREPLY=($(compgen -W \"--socket --version --help", f);
    /* The first words of the verbs, once each. */
    for (c = xlctl_cmds; c->name; c++) {
        size_t n = strcspn(c->name, " ");
        bool seen = false;

        for (const struct xlctl_cmd *d = xlctl_cmds; d < c; d++)
            if (strcspn(d->name, " ") == n && !strncmp(d->name, c->name, n))
                seen = true;
        if (!seen)
            fprintf(f, " %.*s", (int)n, c->name);
    }
    fputs("\" -- \"$cur\"))\n"
          "        return\n"
          "    fi\n"
          "    verb=${COMP_WORDS[i]}; i=$((i + 1))\n"
          "    case $verb in\n", f);
    /* Verbs of two words: complete the second one. */
    for (c = xlctl_cmds; c->name; c++) {
        size_t n = strcspn(c->name, " ");
        bool seen = false;

        if (!c->name[n])
            continue;
        for (const struct xlctl_cmd *d = xlctl_cmds; d < c; d++)
            if (strcspn(d->name, " ") == n && !strncmp(d->name, c->name, n))
                seen = true;
        if (seen)
            continue;
        fprintf(f, "    %.*s)\n"
                "        if [ $i -eq $COMP_CWORD ]; then\n"
                "            COMPREPLY=($(compgen -W \"", (int)n, c->name);
        for (const struct xlctl_cmd *d = c; d->name; d++)
            if (strcspn(d->name, " ") == n && !strncmp(d->name, c->name, n)
                && d->name[n])
                fprintf(f, " %s", d->name + n + 1);
        fputs("\" -- \"$cur\")); return\n"
              "        fi\n"
              "        verb=\"$verb ${COMP_WORDS[i]}\"; i=$((i + 1));;\n", f);
    }
    fputs("    esac\n"
          "    case $verb in\n", f);
    for (c = xlctl_cmds; c->name; c++) {
        fprintf(f, "    \"%s\") ", c->name);
        print_usage_words(c->usage, f);
        fputs(";;\n", f);
    }
    fputs("    *) return;;\n"
          "    esac\n"
          "    case $verb in\n"
          "    help)\n"
          "        COMPREPLY=($(compgen -W \"", f);
    for (c = xlctl_cmds; c->name; c++)
        if (!strchr(c->name, ' '))
            fprintf(f, " %s", c->name);
    fputs(" config\" -- \"$cur\")); return;;\n"
          "    completion) COMPREPLY=($(compgen -W bash -- \"$cur\")); return;;\n"
          "    esac\n"
          "    if [[ $cur == -* ]]; then\n"
          "        COMPREPLY=($(compgen -W \"$opts --help\" -- \"$cur\")); return\n"
          "    fi\n"
          "    # Which operand is this?  (No option of a verb takes a value.)\n"
          "    for ((; i < COMP_CWORD; i++)); do\n"
          "        [[ ${COMP_WORDS[i]} == -* ]] || n=$((n + 1))\n"
          "    done\n"
          "    if [ $n -lt ${#operands[@]} ]; then\n"
          "        kind=${operands[n]}\n"
          "    elif [ \"$repeat\" = 1 ] && [ ${#operands[@]} -gt 0 ]; then\n"
          "        kind=${operands[${#operands[@]}-1]}\n"
          "    else\n"
          "        return\n"
          "    fi\n"
          "    case $kind in\n"
          "    *dom*) COMPREPLY=($(compgen -W \"$(_xlctl_domains \"${COMP_WORDS[0]}\" \"${sock[@]}\")\" -- \"$cur\"));;\n"
          "    esac\n"
          "    case $kind in\n"
          "    *file*) COMPREPLY+=($(compgen -f -- \"$cur\"));;\n"
          "    esac\n"
          "}\n"
          "complete -F _xlctl xlctl\n", f);
}

static int cmd_completion(const struct xlctl_cmd *cmd, int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "-h") && strcmp(argv[1], "--help")
        && strcmp(argv[1], "bash")) {
        fprintf(stderr, "xlctl: no completion for '%s'; only bash is "
                "known\n", argv[1]);
        return XLCTL_USAGE;
    }
    if (argc != 2 || strcmp(argv[1], "bash")) {
        bool help = argc == 2;

        xlctl_usage(cmd, help ? stdout : stderr);
        return help ? XLCTL_OK : XLCTL_USAGE;
    }
    print_bash_completion(stdout);
    if (fflush(stdout)) {
        perror("xlctl: writing the completion script");
        return XLCTL_FAIL;
    }
    return XLCTL_OK;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "version", no_argument, NULL, 'V' },
        { "help", no_argument, NULL, 'h' },
        { "socket", required_argument, NULL, 'S' },
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
        case 'S':
            xlctl_socket = optarg;
            break;
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
