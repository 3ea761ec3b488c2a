/*
 * console.c - xlctl's own console client, for the consoles of xld's
 * simulator (on Xen, `xlctl console` runs Xen's xenconsole, which finds
 * its pty in xenstore; the simulator's ptys are xld's and in no
 * xenstore).  It behaves as xenconsole does: the terminal in raw mode
 * while attached, bytes relayed both ways unchanged, Ctrl-] to leave,
 * and the terminal given back on every way out, a signal included.
 *
 * Beyond xenconsole: input that is no terminal (a pipe, a file) is
 * relayed too, until its end, after which the guest's output goes on
 * being shown until the console goes away or a signal comes, as
 * xenconsole shows it when it is not interactive.  Ctrl-] ends the
 * session wherever it is in what was read, not only alone in a read.
 * What the console has no room for (its guest does not read) is
 * dropped, as on a serial line, so that Ctrl-] always gets through.
 */
#define _GNU_SOURCE

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "xlctl.h"

/* xl's escape key, Ctrl-]. */
#define XLCTL_CONSOLE_ESCAPE 0x1d

/* The signals that end a session; their handlers and the mask are
 * given back when it ends. */
static const int console_signals[] = { SIGTERM, SIGHUP, SIGINT, SIGQUIT };
#define XLCTL_CONSOLE_NSIG \
    ((int)(sizeof(console_signals) / sizeof(console_signals[0])))

static volatile sig_atomic_t console_caught;

static void console_on_signal(int sig)
{
    console_caught = sig;
}

struct xlctl_console {
    int fd;                       /* the console's tty; -1: not open */
    bool interactive;             /* stdin is a terminal */
    bool stdin_open;              /* stdin has not ended */
    bool term_saved;              /* stdin's settings are in term */
    struct termios term;
    bool signals_set;             /* old_act and old_mask are to restore */
    struct sigaction old_act[XLCTL_CONSOLE_NSIG];
    struct sigaction old_pipe;
    sigset_t old_mask;
};

static void xlctl_console_init(struct xlctl_console *con)
{
    memset(con, 0, sizeof(*con));
    con->fd = -1;
    con->stdin_open = true;
}

/* Everything as it was: the terminal first, so that whatever comes next
 * prints on a sane one. */
static void xlctl_console_dispose(struct xlctl_console *con)
{
    if (con->term_saved)
        tcsetattr(STDIN_FILENO, TCSANOW, &con->term);
    if (con->signals_set) {
        for (int i = 0; i < XLCTL_CONSOLE_NSIG; i++)
            sigaction(console_signals[i], &con->old_act[i], NULL);
        sigaction(SIGPIPE, &con->old_pipe, NULL);
        sigprocmask(SIG_SETMASK, &con->old_mask, NULL);
    }
    if (con->fd >= 0)
        close(con->fd);
    xlctl_console_init(con);
}

/*
 * The signals that end a session are blocked but for the wait in ppoll,
 * so that one is seen however it falls; SIGPIPE is ignored, so that an
 * output that went away is an error to handle, not a death that leaves
 * the terminal raw.
 */
static int console_catch(struct xlctl_console *con)
{
    struct sigaction act, ign;
    sigset_t block;

    memset(&act, 0, sizeof(act));
    act.sa_handler = console_on_signal;
    sigemptyset(&act.sa_mask);
    memset(&ign, 0, sizeof(ign));
    ign.sa_handler = SIG_IGN;
    sigemptyset(&ign.sa_mask);
    sigemptyset(&block);
    for (int i = 0; i < XLCTL_CONSOLE_NSIG; i++)
        sigaddset(&block, console_signals[i]);
    console_caught = 0;
    if (sigprocmask(SIG_BLOCK, &block, &con->old_mask) < 0)
        return -errno;
    for (int i = 0; i < XLCTL_CONSOLE_NSIG; i++)
        sigaction(console_signals[i], &act, &con->old_act[i]);
    sigaction(SIGPIPE, &ign, &con->old_pipe);
    con->signals_set = true;
    return 0;
}

/* Raw mode, as xenconsole sets both its terminal and the console's pty:
 * no echo, no line editing, no signal keys, bytes as they are.  A
 * terminal that refuses is left as it is. */
static void console_raw(int fd, struct termios *saved, bool *was_saved)
{
    struct termios t;

    if (tcgetattr(fd, &t) < 0)
        return;
    if (saved) {
        *saved = t;
        *was_saved = true;
    }
    cfmakeraw(&t);
    tcsetattr(fd, TCSANOW, &t);
}

static int console_write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);

        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -errno;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* To the guest: what the console has no room for is dropped. */
static void console_to_guest(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);

        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return;
        p += w;
        n -= (size_t)w;
    }
}

/* What a turn of the session leads to. */
enum console_next {
    CONSOLE_GO_ON,
    CONSOLE_LEAVE,                /* Ctrl-], or the end of the session */
    CONSOLE_ERROR,                /* said on stderr */
};

/* Output from the guest.  The console going away (its domain did) ends
 * the session, as it ends xenconsole's. */
static enum console_next console_from_guest(struct xlctl_console *con)
{
    char buf[4096];
    ssize_t n = read(con->fd, buf, sizeof(buf));
    int rc;

    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return CONSOLE_GO_ON;
    if (n == 0 || (n < 0 && errno == EIO))
        return CONSOLE_LEAVE;
    if (n < 0) {
        fprintf(stderr, "xlctl: console: %s\r\n", strerror(errno));
        return CONSOLE_ERROR;
    }
    rc = console_write_all(STDOUT_FILENO, buf, (size_t)n);
    if (rc) {
        fprintf(stderr, "xlctl: console: writing the output: %s\r\n",
                strerror(-rc));
        return CONSOLE_ERROR;
    }
    return CONSOLE_GO_ON;
}

/* Input for the guest, up to Ctrl-]; the end of a terminal's input
 * ends the session too. */
static enum console_next console_from_user(struct xlctl_console *con)
{
    char buf[4096];
    ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
    const char *esc;

    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return CONSOLE_GO_ON;
    if (n <= 0) {
        con->stdin_open = false;
        return con->interactive ? CONSOLE_LEAVE : CONSOLE_GO_ON;
    }
    esc = memchr(buf, XLCTL_CONSOLE_ESCAPE, (size_t)n);
    console_to_guest(con->fd, buf, esc ? (size_t)(esc - buf) : (size_t)n);
    return esc ? CONSOLE_LEAVE : CONSOLE_GO_ON;
}

/* Relay until the session ends; a signal ends it too.  Returns an exit
 * status. */
static int console_loop(struct xlctl_console *con)
{
    enum console_next next = CONSOLE_GO_ON;

    while (next == CONSOLE_GO_ON && !console_caught) {
        struct pollfd p[2] = {
            { .fd = con->fd, .events = POLLIN },
            { .fd = con->stdin_open ? STDIN_FILENO : -1, .events = POLLIN },
        };

        if (ppoll(p, 2, NULL, &con->old_mask) < 0) {
            if (errno == EINTR)
                continue;
            fprintf(stderr, "xlctl: console: %s\r\n", strerror(errno));
            next = CONSOLE_ERROR;
            break;
        }
        if (p[0].revents)
            next = console_from_guest(con);
        if (next == CONSOLE_GO_ON && p[1].revents)
            next = console_from_user(con);
    }
    return next == CONSOLE_ERROR ? XLCTL_FAIL : XLCTL_OK;
}

int xlctl_console_attach(const char *tty)
{
    struct xlctl_console con;
    int status = XLCTL_FAIL, rc;

    xlctl_console_init(&con);
    con.fd = open(tty, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (con.fd < 0) {
        fprintf(stderr, "xlctl: console %s: %s\n", tty, strerror(errno));
        goto out;
    }
    rc = console_catch(&con);
    if (rc) {
        fprintf(stderr, "xlctl: console: %s\n", strerror(-rc));
        goto out;
    }
    console_raw(con.fd, NULL, NULL);
    con.interactive = isatty(STDIN_FILENO) == 1;
    if (con.interactive)
        console_raw(STDIN_FILENO, &con.term, &con.term_saved);
    fflush(NULL);
    status = console_loop(&con);
out:
    xlctl_console_dispose(&con);
    return status;
}
