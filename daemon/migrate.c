/*
 * migrate.c - live migration between two xld (see migrate.h): the
 * transport process, the handshake on its pipes, and the receiving side.
 *
 * Everything runs on the event loop.  The handshake's lines and the image
 * header go through a small channel (struct chan) that reads and writes
 * as the fds allow; while the hypervisor's stream runs, the backend owns
 * the stream's fd and the channel leaves it alone.  The channel reads no
 * further than what was asked for can need: each side only sends once the
 * other has answered, so nothing of the stream is ever read by mistake,
 * and bytes left over when the stream starts are a protocol error.
 *
 * The transport is `sh -c COMMAND`, started with posix_spawn: its stdin
 * and stdout are pipes to xld, its stderr a third pipe whose lines go to
 * the log (and the last one into the error, since "ssh: Could not resolve
 * hostname" says more than "the transport ended").  It gets back the
 * signals xld blocks or ignores.  xld reaps it by its pid (waitpid with
 * WNOHANG on a timer), never with waitpid(-1), since libxl owns SIGCHLD
 * for its own children (backend_libxl.c).
 */
#define _GNU_SOURCE

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "loop.h"
#include "migrate.h"
#include "state.h"

extern char **environ;

/* Poll the transport's exit this often. */
#define REAP_POLL_MS 20
/* At most this much is written at once: no more than a pipe takes
 * without blocking, should a backend have made the fd blocking. */
#define WRITE_CHUNK PIPE_BUF

/* ---- the channel ------------------------------------------------------- */

/* What arrived: rc 0 with the data (a line without its '\n', NUL-
 * terminated, or the bytes asked for), ENODATA when the peer closed,
 * ETIMEDOUT, EMSGSIZE for a line too long, or a read error. */
typedef void chan_got_fn(void *opaque, int rc, char *data, size_t len);
/* Everything queued is written (rc 0), or writing failed. */
typedef void chan_flushed_fn(void *opaque, int rc);

struct chan {
    struct xld_loop *loop;
    int in, out;
    struct xld_watch *win, *wout;
    struct xld_timer *timer;
    char *ibuf;
    size_t ilen, icap;
    char *obuf;
    size_t ooff, olen;
    bool want_line;
    size_t want;                  /* bytes, when not a line */
    bool reading, eof;
    int werr;
    chan_got_fn *got;
    chan_flushed_fn *flushed;
    void *opaque;
};

static void chan_in_event(void *opaque, int fd, short revents);
static void chan_out_event(void *opaque, int fd, short revents);

static void set_nonblock(int fd)
{
    int fl = fcntl(fd, F_GETFL);

    if (fl >= 0)
        fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static int chan_init(struct chan *ch, struct xld_loop *loop, int in,
                     int out, void *opaque)
{
    int rc;

    memset(ch, 0, sizeof(*ch));
    ch->loop = loop;
    ch->in = in;
    ch->out = out;
    ch->opaque = opaque;
    set_nonblock(in);
    set_nonblock(out);
    rc = xld_loop_watch(loop, in, 0, chan_in_event, ch, &ch->win);
    if (!rc)
        rc = xld_loop_watch(loop, out, 0, chan_out_event, ch, &ch->wout);
    return rc;
}

/* Stop watching and close both fds. */
static void chan_dispose(struct chan *ch)
{
    if (ch->win)
        xld_loop_unwatch(ch->win);
    if (ch->wout)
        xld_loop_unwatch(ch->wout);
    xld_loop_cancel(ch->timer);
    if (ch->in >= 0)
        close(ch->in);
    if (ch->out >= 0 && ch->out != ch->in)
        close(ch->out);
    free(ch->ibuf);
    free(ch->obuf);
    memset(ch, 0, sizeof(*ch));
    ch->in = ch->out = -1;
}

static void chan_deliver(struct chan *ch, int rc, char *data, size_t len)
{
    ch->reading = false;
    xld_loop_watch_events(ch->win, 0);
    xld_loop_cancel(ch->timer);
    ch->timer = NULL;
    ch->got(ch->opaque, rc, data, len);
}

/* Hand over what was asked for, if it is there; the callback runs last. */
static void chan_try(struct chan *ch)
{
    char *nl, *copy;
    size_t n;

    if (!ch->reading)
        return;
    if (ch->want_line) {
        nl = ch->ilen ? memchr(ch->ibuf, '\n', ch->ilen) : NULL;
        if (!nl) {
            if (ch->ilen >= XLD_MIG_MAX_LINE)
                chan_deliver(ch, EMSGSIZE, NULL, 0);
            else if (ch->eof)
                chan_deliver(ch, ENODATA, NULL, 0);
            return;
        }
        n = (size_t)(nl - ch->ibuf);
    } else {
        if (ch->ilen < ch->want) {
            if (ch->eof)
                chan_deliver(ch, ENODATA, NULL, 0);
            return;
        }
        n = ch->want;
    }
    copy = malloc(n + 1);
    if (!copy) {
        chan_deliver(ch, ENOMEM, NULL, 0);
        return;
    }
    memcpy(copy, ch->ibuf, n);
    copy[n] = '\0';
    if (ch->want_line && n && copy[n - 1] == '\r')
        copy[n - 1] = '\0';
    /* The line's '\n' goes too. */
    if (ch->want_line)
        n++;
    memmove(ch->ibuf, ch->ibuf + n, ch->ilen - n);
    ch->ilen -= n;
    chan_deliver(ch, 0, copy, ch->want_line ? n - 1 : n);
    free(copy);
}

static void chan_timeout(void *opaque)
{
    struct chan *ch = opaque;

    ch->timer = NULL;
    if (ch->reading)
        chan_deliver(ch, ETIMEDOUT, NULL, 0);
}

/* Ask for a line (bytes 0) or for exactly bytes bytes. */
static void chan_read(struct chan *ch, size_t bytes, chan_got_fn *got)
{
    ch->want_line = bytes == 0;
    ch->want = bytes;
    ch->got = got;
    ch->reading = true;
    xld_loop_cancel(ch->timer);
    ch->timer = NULL;
    if (xld_loop_timer(ch->loop, XLD_MIG_REPLY_MS, chan_timeout, ch,
                       &ch->timer))
        ch->timer = NULL;
    xld_loop_watch_events(ch->win, POLLIN);
    /* What is buffered already is answered from inside this call: the
     * callers ask last thing, and have nothing left to do after it. */
    chan_try(ch);
}

static void chan_in_event(void *opaque, int fd, short revents)
{
    struct chan *ch = opaque;
    size_t room;
    ssize_t n;

    (void)revents;
    if (!ch->reading)
        return;
    room = ch->want_line ? XLD_MIG_MAX_LINE : ch->want;
    if (ch->ilen >= room)
        room = ch->ilen + 1;
    if (ch->icap < room) {
        char *p = realloc(ch->ibuf, room);

        if (!p) {
            chan_deliver(ch, ENOMEM, NULL, 0);
            return;
        }
        ch->ibuf = p;
        ch->icap = room;
    }
    /* A line is read a byte at a time beyond what is buffered: the
     * peer's next bytes may be a stream that is not ours to take. */
    n = read(fd, ch->ibuf + ch->ilen, ch->want_line ? 1
             : ch->want - ch->ilen);
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return;
    if (n < 0) {
        chan_deliver(ch, errno, NULL, 0);
        return;
    }
    if (n == 0)
        ch->eof = true;
    ch->ilen += (size_t)n;
    chan_try(ch);
}

static void chan_flush(struct chan *ch)
{
    while (ch->ooff < ch->olen) {
        size_t len = ch->olen - ch->ooff;
        ssize_t n = write(ch->out, ch->obuf + ch->ooff,
                          len > WRITE_CHUNK ? WRITE_CHUNK : len);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN) {
            xld_loop_watch_events(ch->wout, POLLOUT);
            return;
        }
        if (n <= 0) {
            ch->werr = n < 0 ? errno : EPIPE;
            ch->ooff = ch->olen = 0;
            break;
        }
        ch->ooff += (size_t)n;
    }
    ch->ooff = ch->olen = 0;
    xld_loop_watch_events(ch->wout, 0);
    if (ch->flushed) {
        chan_flushed_fn *fn = ch->flushed;

        ch->flushed = NULL;
        fn(ch->opaque, ch->werr);
    }
}

static void chan_out_event(void *opaque, int fd, short revents)
{
    (void)fd;
    (void)revents;
    chan_flush(opaque);
}

/* Queue bytes; they go as the fd takes them.  ENOMEM, or the error of
 * an earlier write. */
static int chan_write(struct chan *ch, const void *data, size_t len)
{
    char *p;

    if (ch->werr)
        return ch->werr;
    p = realloc(ch->obuf, ch->olen + len);
    if (!p)
        return ENOMEM;
    ch->obuf = p;
    memcpy(ch->obuf + ch->olen, data, len);
    ch->olen += len;
    xld_loop_watch_events(ch->wout, POLLOUT);
    return 0;
}

/* A message of the handshake. */
static int chan_say(struct chan *ch, enum xld_mig_msg type,
                    unsigned flags, const char *text)
{
    char *line = xld_mig_format(type, flags, text);
    int rc;

    if (!line)
        return ENOMEM;
    rc = chan_write(ch, line, strlen(line));
    free(line);
    return rc;
}

/* Call fn once everything queued is written (from the loop). */
static void chan_when_flushed(struct chan *ch, chan_flushed_fn *fn)
{
    ch->flushed = fn;
    xld_loop_watch_events(ch->wout, POLLOUT);
}

/* ---- the transport ----------------------------------------------------- */

struct transport {
    struct xld_loop *loop;
    const char *name;               /* the domain's, for the log */
    pid_t pid;
    int to, from, err;              /* ours: its stdin, stdout, stderr */
    struct xld_watch *werr;
    char ebuf[1024];
    size_t elen;
    char last[512];                 /* its last line on stderr */
    int status;
    bool exited;
    struct xld_timer *reap;
    uint64_t reap_started;
    bool killed;
    void (*gone)(void *opaque);
    void *opaque;
};

static void transport_line(struct transport *t, const char *line)
{
    if (!*line)
        return;
    xld_info("migrate %s: transport: %s", t->name, line);
    snprintf(t->last, sizeof(t->last), "%.*s", (int)sizeof(t->last) - 1,
             line);
}

/* Read what the transport says on stderr, a line at a time to the log. */
static void transport_drain(struct transport *t)
{
    for (;;) {
        ssize_t n;
        char *nl;

        if (t->elen == sizeof(t->ebuf) - 1) {
            t->ebuf[t->elen] = '\0';
            transport_line(t, t->ebuf);
            t->elen = 0;
        }
        n = read(t->err, t->ebuf + t->elen, sizeof(t->ebuf) - 1 - t->elen);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n == 0 || errno != EAGAIN) {
                if (t->elen) {
                    t->ebuf[t->elen] = '\0';
                    transport_line(t, t->ebuf);
                    t->elen = 0;
                }
                xld_loop_unwatch(t->werr);
                t->werr = NULL;
                close(t->err);
                t->err = -1;
            }
            return;
        }
        t->elen += (size_t)n;
        while ((nl = memchr(t->ebuf, '\n', t->elen))) {
            size_t len = (size_t)(nl - t->ebuf);

            *nl = '\0';
            transport_line(t, t->ebuf);
            memmove(t->ebuf, nl + 1, t->elen - len - 1);
            t->elen -= len + 1;
        }
    }
}

static void transport_err_event(void *opaque, int fd, short revents)
{
    (void)fd;
    (void)revents;
    transport_drain(opaque);
}

static int transport_spawn(struct transport *t, struct xld_loop *loop,
                           const char *name, const char *command)
{
    int tp[2] = { -1, -1 }, fp[2] = { -1, -1 }, ep[2] = { -1, -1 };
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    bool have_fa = false, have_attr = false;
    sigset_t none, dfl;
    char *argv[] = { "sh", "-c", (char *)command, NULL };
    int rc;

    memset(t, 0, sizeof(*t));
    t->loop = loop;
    t->name = name;
    t->to = t->from = t->err = -1;
    t->pid = -1;
    if (pipe2(tp, O_CLOEXEC) || pipe2(fp, O_CLOEXEC) || pipe2(ep, O_CLOEXEC)) {
        rc = errno;
        goto out;
    }
    rc = posix_spawn_file_actions_init(&fa);
    if (rc)
        goto out;
    have_fa = true;
    rc = posix_spawnattr_init(&attr);
    if (rc)
        goto out;
    have_attr = true;
    /* dup2 clears FD_CLOEXEC on the copies: the child keeps these three
     * and nothing else of xld's. */
    if ((rc = posix_spawn_file_actions_adddup2(&fa, tp[0], 0))
        || (rc = posix_spawn_file_actions_adddup2(&fa, fp[1], 1))
        || (rc = posix_spawn_file_actions_adddup2(&fa, ep[1], 2)))
        goto out;
    /* xld blocks its signalfd's signals and ignores SIGPIPE; ssh must
     * get them back, or a broken stream would leave it hanging. */
    sigemptyset(&none);
    sigemptyset(&dfl);
    sigaddset(&dfl, SIGPIPE);
    sigaddset(&dfl, SIGTERM);
    sigaddset(&dfl, SIGINT);
    sigaddset(&dfl, SIGHUP);
    sigaddset(&dfl, SIGCHLD);
    if ((rc = posix_spawnattr_setsigmask(&attr, &none))
        || (rc = posix_spawnattr_setsigdefault(&attr, &dfl))
        || (rc = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK
                                          | POSIX_SPAWN_SETSIGDEF)))
        goto out;
    rc = posix_spawn(&t->pid, "/bin/sh", &fa, &attr, argv, environ);
    if (rc) {
        t->pid = -1;
        goto out;
    }
    t->to = tp[1];
    t->from = fp[0];
    t->err = ep[0];
    tp[1] = fp[0] = ep[0] = -1;
    set_nonblock(t->err);
    rc = xld_loop_watch(loop, t->err, POLLIN, transport_err_event, t,
                        &t->werr);
    if (rc)
        t->werr = NULL;
    rc = 0;
    xld_info("migrate %s: transport: sh -c '%s' (pid %ld)", name, command,
             (long)t->pid);

out:
    for (int i = 0; i < 2; i++) {
        if (tp[i] >= 0)
            close(tp[i]);
        if (fp[i] >= 0)
            close(fp[i]);
        if (ep[i] >= 0)
            close(ep[i]);
    }
    if (have_fa)
        posix_spawn_file_actions_destroy(&fa);
    if (have_attr)
        posix_spawnattr_destroy(&attr);
    return rc;
}

static void transport_reap_tick(void *opaque)
{
    struct transport *t = opaque;
    uint64_t now = xld_loop_now(t->loop);
    pid_t r;

    t->reap = NULL;
    r = waitpid(t->pid, &t->status, WNOHANG);
    if (r == t->pid || (r < 0 && errno == ECHILD)) {
        if (r < 0)
            t->status = 0;
        t->exited = true;
        if (t->err >= 0)
            transport_drain(t);
        if (t->werr) {
            xld_loop_unwatch(t->werr);
            t->werr = NULL;
        }
        if (t->err >= 0) {
            close(t->err);
            t->err = -1;
        }
        if (WIFSIGNALED(t->status) || WEXITSTATUS(t->status))
            xld_info("migrate %s: the transport (pid %ld) %s %d", t->name,
                     (long)t->pid, WIFSIGNALED(t->status)
                     ? "was killed by signal" : "exited with status",
                     WIFSIGNALED(t->status) ? WTERMSIG(t->status)
                     : WEXITSTATUS(t->status));
        t->gone(t->opaque);
        return;
    }
    if (!t->killed && now - t->reap_started >= XLD_MIG_REAP_MS) {
        xld_warn("migrate %s: the transport (pid %ld) did not exit within "
                 "%u ms of the end: killed", t->name, (long)t->pid,
                 XLD_MIG_REAP_MS);
        kill(t->pid, SIGKILL);
        t->killed = true;
    }
    if (xld_loop_timer(t->loop, REAP_POLL_MS, transport_reap_tick, t,
                       &t->reap)) {
        /* Without a timer, wait for it here: it is dead or soon will be. */
        kill(t->pid, SIGKILL);
        t->killed = true;
        waitpid(t->pid, &t->status, 0);
        t->exited = true;
        t->gone(t->opaque);
    }
}

/* The stream is closed by now: wait for the transport to exit, then call
 * gone (from the loop). */
static void transport_reap(struct transport *t, void (*gone)(void *),
                           void *opaque)
{
    t->gone = gone;
    t->opaque = opaque;
    t->reap_started = xld_loop_now(t->loop);
    if (xld_loop_timer(t->loop, 0, transport_reap_tick, t, &t->reap))
        transport_reap_tick(t);
}

/* Kill and reap at once (xld is stopping, or nothing was started). */
static void transport_dispose(struct transport *t)
{
    xld_loop_cancel(t->reap);
    t->reap = NULL;
    if (t->werr)
        xld_loop_unwatch(t->werr);
    t->werr = NULL;
    if (t->err >= 0)
        close(t->err);
    t->err = -1;
    if (t->pid > 0 && !t->exited) {
        kill(t->pid, SIGKILL);
        waitpid(t->pid, &t->status, 0);
        t->exited = true;
    }
}

/* ---- the sending side --------------------------------------------------- */

enum sender_state {
    SS_BANNER,
    SS_ACCEPT,
    SS_STREAM,
    SS_READY,
    SS_REPORT,
    SS_REAP,
};

struct xld_mig_sender {
    struct xld_loop *loop;
    struct xld_mig_sender_hooks hooks;
    void *opaque;
    char *name;
    unsigned flags;                 /* XLD_MIG_F_* */
    unsigned char *header;
    size_t header_len;
    struct transport tp;
    struct chan ch;
    enum sender_state state;
    bool went;                      /* "go" was sent */
    enum xld_mig_outcome outcome;
    int rc;
    char *msg;
};

static void sender_gone(void *opaque)
{
    struct xld_mig_sender *s = opaque;
    enum xld_mig_outcome outcome = s->outcome;
    const char *said = s->msg ? strstr(s->msg, ": ") : NULL;
    char *msg = NULL;
    int rc = s->rc;

    /* What the transport said last is often the real reason ("ssh:
     * Could not resolve hostname"), unless it is the target's xlctl
     * repeating what the target told us already. */
    said = said && strstr(s->tp.last, said + 2) ? NULL : s->tp.last;
    if (rc && said && said[0] && !s->went) {
        if (asprintf(&msg, "%s (the transport said: %s)", s->msg
                     ? s->msg : strerror(-rc), s->tp.last) < 0)
            msg = NULL;
    }
    s->state = SS_REAP;
    s->hooks.finished(s->opaque, outcome, rc, msg ? msg : s->msg);
    free(msg);
}

/* The end, good or bad: close the stream and wait for the transport. */
static void sender_end(struct xld_mig_sender *s, enum xld_mig_outcome o,
                       int rc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void sender_end(struct xld_mig_sender *s, enum xld_mig_outcome o,
                       int rc, const char *fmt, ...)
{
    va_list ap;

    if (s->state == SS_REAP)
        return;
    s->state = SS_REAP;
    s->outcome = o;
    s->rc = rc;
    if (fmt) {
        va_start(ap, fmt);
        if (vasprintf(&s->msg, fmt, ap) < 0)
            s->msg = NULL;
        va_end(ap);
    }
    /* Closing the stream is what tells the receiver that we gave up. */
    chan_dispose(&s->ch);
    s->tp.to = s->tp.from = -1;
    transport_reap(&s->tp, sender_gone, s);
}

static void sender_fail(struct xld_mig_sender *s, int rc, const char *what,
                        const char *why)
{
    sender_end(s, s->went ? XLD_MIG_UNKNOWN : XLD_MIG_FAILED, rc, "%s%s%s",
               what, why ? ": " : "", why ? why : "");
}

/* A read that did not bring a line: why, in words. */
static const char *read_error(int rc)
{
    switch (rc) {
    case ENODATA:
        return "the transport closed the stream";
    case ETIMEDOUT:
        return "no answer in time";
    case EMSGSIZE:
        return "a line too long";
    default:
        return strerror(rc);
    }
}

static void sender_got_report(void *opaque, int rc, char *data, size_t len)
{
    struct xld_mig_sender *s = opaque;
    struct xld_mig_line m;

    (void)len;
    if (rc) {
        sender_end(s, XLD_MIG_UNKNOWN, -EIO, "the target did not report "
                   "after it was told to go (%s): the domain may run "
                   "there or nowhere; check both hosts before resuming "
                   "this copy (%s%s), renamed and suspended here",
                   read_error(rc), s->name, XLD_MIG_AWAY);
        return;
    }
    if (xld_mig_parse(data, &m) || (m.type != XLD_MIG_M_DONE
                                    && m.type != XLD_MIG_M_FAILED)) {
        sender_end(s, XLD_MIG_UNKNOWN, -EPROTO, "the target's report is "
                   "not one: '%.100s'; check both hosts before resuming "
                   "this copy (%s%s)", data, s->name, XLD_MIG_AWAY);
        return;
    }
    if (m.type == XLD_MIG_M_FAILED) {
        /* The target destroyed its copy before it said so. */
        sender_end(s, XLD_MIG_FAILED, -EIO, "the target could not start "
                   "the domain: %s", m.text);
        return;
    }
    xld_notice("migrate %s: the target runs the domain", s->name);
    sender_end(s, XLD_MIG_DONE, 0, NULL);
}

static void sender_got_ready(void *opaque, int rc, char *data, size_t len)
{
    struct xld_mig_sender *s = opaque;
    struct xld_mig_line m;

    (void)len;
    if (rc) {
        sender_fail(s, -EIO, "waiting for the target to take the domain",
                    read_error(rc));
        return;
    }
    if (xld_mig_parse(data, &m) || (m.type != XLD_MIG_M_READY
                                    && m.type != XLD_MIG_M_FAILED)) {
        sender_fail(s, -EPROTO, "the target's answer is not one", data);
        return;
    }
    if (m.type == XLD_MIG_M_FAILED) {
        sender_fail(s, -EIO, "the target could not take the domain",
                    m.text);
        return;
    }
    /* From here on one of the two copies must not run again: ours goes
     * out of the target's way under another name before it may start. */
    rc = s->hooks.handover(s->opaque);
    if (rc) {
        sender_fail(s, rc, "renaming the domain away", strerror(-rc));
        return;
    }
    rc = chan_say(&s->ch, XLD_MIG_M_GO, 0, NULL);
    s->went = true;
    if (rc) {
        sender_fail(s, -rc, "telling the target to go", strerror(rc));
        return;
    }
    xld_info("migrate %s: the target has the domain: told it to go",
             s->name);
    s->state = SS_REPORT;
    chan_read(&s->ch, 0, sender_got_report);
}

void xld_mig_sender_streamed(struct xld_mig_sender *s, int rc)
{
    if (s->state != SS_STREAM)
        return;
    if (rc) {
        sender_fail(s, rc, "sending the domain", strerror(-rc));
        return;
    }
    s->state = SS_READY;
    chan_read(&s->ch, 0, sender_got_ready);
}

static void sender_got_accept(void *opaque, int rc, char *data, size_t len)
{
    struct xld_mig_sender *s = opaque;
    struct xld_mig_line m;

    (void)len;
    if (rc) {
        sender_fail(s, -EIO, "waiting for the target to accept the config",
                    read_error(rc));
        return;
    }
    if (xld_mig_parse(data, &m) || (m.type != XLD_MIG_M_ACCEPT
                                    && m.type != XLD_MIG_M_REFUSE)) {
        sender_fail(s, -EPROTO, "the target's answer is not one", data);
        return;
    }
    if (m.type == XLD_MIG_M_REFUSE) {
        sender_fail(s, -EIO, "the target refused the domain", m.text);
        return;
    }
    if (s->ch.ilen || s->ch.olen) {
        sender_fail(s, -EPROTO, "the target answered before it read the "
                    "config", NULL);
        return;
    }
    if (s->flags & XLD_MIG_F_CHECK) {
        xld_info("migrate %s: dry run: the target would take the domain",
                 s->name);
        sender_end(s, XLD_MIG_CHECKED, 0, NULL);
        return;
    }
    s->state = SS_STREAM;
    rc = s->hooks.stream(s->opaque, s->ch.out);
    if (rc)
        sender_fail(s, rc, "starting to send the domain", strerror(-rc));
}

static void sender_got_banner(void *opaque, int rc, char *data, size_t len)
{
    struct xld_mig_sender *s = opaque;
    struct xld_mig_line m;

    (void)len;
    if (rc) {
        sender_fail(s, -EIO, "waiting for the target's xlctl "
                    "migrate-receive", read_error(rc));
        return;
    }
    if (xld_mig_parse(data, &m) || m.type != XLD_MIG_M_RECEIVER) {
        char why[200];

        snprintf(why, sizeof(why), "'%.100s' instead of xld's banner "
                 "(is xld's xlctl migrate-receive at the other end?)", data);
        sender_fail(s, -EPROTO, "the transport's answer is not a "
                    "receiver's", why);
        return;
    }
    s->state = SS_ACCEPT;
    rc = chan_say(&s->ch, XLD_MIG_M_SENDER, s->flags, NULL);
    if (!rc)
        rc = chan_write(&s->ch, s->header, s->header_len);
    if (rc) {
        sender_fail(s, -rc, "sending the config", strerror(rc));
        return;
    }
    chan_read(&s->ch, 0, sender_got_accept);
}

int xld_mig_sender_start(struct xld_loop *loop,
                         const struct xld_mig_sender_args *args,
                         const struct xld_mig_sender_hooks *hooks,
                         void *opaque, struct xld_mig_sender **out)
{
    struct xld_mig_sender *s = calloc(1, sizeof(*s));
    int rc;

    *out = NULL;
    if (s) {
        s->ch.in = s->ch.out = -1;
        s->tp.to = s->tp.from = s->tp.err = -1;
        s->tp.pid = -1;
    }
    if (!s || !(s->name = strdup(args->name))
        || !(s->header = malloc(args->header_len ? args->header_len : 1))) {
        rc = ENOMEM;
        goto out;
    }
    memcpy(s->header, args->header, args->header_len);
    s->header_len = args->header_len;
    s->loop = loop;
    s->hooks = *hooks;
    s->opaque = opaque;
    s->flags = args->flags;
    rc = transport_spawn(&s->tp, loop, s->name, args->command);
    if (rc)
        goto out;
    rc = chan_init(&s->ch, loop, s->tp.from, s->tp.to, s);
    if (rc)
        goto out;
    chan_read(&s->ch, 0, sender_got_banner);
    *out = s;
    s = NULL;

out:
    if (s)
        xld_mig_sender_free(s);
    return rc;
}

void xld_mig_sender_free(struct xld_mig_sender *s)
{
    if (!s)
        return;
    if (s->ch.in >= 0 || s->ch.out >= 0 || s->ch.win || s->ch.wout)
        chan_dispose(&s->ch);
    else if (s->tp.to >= 0 || s->tp.from >= 0) {
        if (s->tp.to >= 0)
            close(s->tp.to);
        if (s->tp.from >= 0)
            close(s->tp.from);
    }
    transport_dispose(&s->tp);
    free(s->header);
    free(s->msg);
    free(s->name);
    free(s);
}

/* ---- the receiving side ------------------------------------------------- */

enum receiver_state {
    RS_HELLO,
    RS_FIXED,
    RS_OPT,
    RS_RESTORING,
    RS_CHECKED,                     /* a dry run's checks passed */
    RS_GO,
    RS_HANDOVER,
    RS_DESTROYING,
    RS_END,
};

struct xld_mig_receiver {
    struct xld_dm *dm;
    struct xld_loop *loop;
    struct chan ch;
    enum receiver_state state;
    bool paused;
    bool check;                     /* a dry run: check, make nothing */
    bool submitting;                /* inside xld_dm_submit */
    xld_mig_received_fn *done;
    xld_dm_progress_fn *progress;
    void *opaque;
    struct xld_image_info ii;
    uint32_t optlen;
    char *name;                     /* the domain's, after the handover */
    uint32_t domid;
    int rc;
    char *msg;
    char *fail_msg;                 /* DESTROYING: what to tell the sender */
    struct xld_timer *later;
};

static void receiver_answer(struct xld_mig_receiver *r)
{
    r->state = RS_END;
    r->done(r->opaque, r->rc, r->msg, r->name, r->domid);
}

static void receiver_flushed(void *opaque, int rc)
{
    (void)rc;
    receiver_answer(opaque);
}

static void receiver_later(void *opaque)
{
    struct xld_mig_receiver *r = opaque;

    r->later = NULL;
    receiver_answer(r);
}

/*
 * The end: say the last word (XLD_MIG_M_BAD: none) to the sender, and
 * answer the client once it is written.  The message is the client's,
 * and the sender's too.
 */
static void receiver_end(struct xld_mig_receiver *r, int rc,
                         enum xld_mig_msg last, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void receiver_end(struct xld_mig_receiver *r, int rc,
                         enum xld_mig_msg last, const char *fmt, ...)
{
    va_list ap;

    r->state = RS_END;
    r->rc = rc;
    if (fmt) {
        free(r->msg);
        va_start(ap, fmt);
        if (vasprintf(&r->msg, fmt, ap) < 0)
            r->msg = NULL;
        va_end(ap);
        xld_warn("migrate-receive %s: %s", r->name ? r->name : "",
                 r->msg ? r->msg : "failed");
    }
    /* Nothing of the stream is read any more. */
    xld_loop_watch_events(r->ch.win, 0);
    r->ch.reading = false;
    if (last != XLD_MIG_M_BAD
        && !chan_say(&r->ch, last, 0, r->msg)) {
        chan_when_flushed(&r->ch, receiver_flushed);
        return;
    }
    if (xld_loop_timer(r->loop, 0, receiver_later, r, &r->later)) {
        r->later = NULL;
        receiver_answer(r);
    }
}

/* Our copy goes, then the sender hears why. */
static void receiver_destroyed(void *opaque, const struct xld_dm_result *res)
{
    struct xld_mig_receiver *r = opaque;
    char *why = r->fail_msg;

    r->fail_msg = NULL;
    if (res->rc && res->rc != -ENOENT)
        xld_err("migrate-receive %s: destroying the incoming copy: %s",
                r->name, res->msg ? res->msg : strerror(-res->rc));
    receiver_end(r, -EIO, XLD_MIG_M_FAILED, "%s", why ? why : "failed");
    free(why);
}

static void receiver_destroy(struct xld_mig_receiver *r, const char *fmt,
                             ...) __attribute__((format(printf, 2, 3)));

static void receiver_destroy(struct xld_mig_receiver *r, const char *fmt,
                             ...)
{
    struct xld_domain *dom = xld_dm_by_domid(r->dm, r->domid);
    struct xld_dm_request rq;
    va_list ap;

    va_start(ap, fmt);
    if (vasprintf(&r->fail_msg, fmt, ap) < 0)
        r->fail_msg = NULL;
    va_end(ap);
    r->state = RS_DESTROYING;
    xld_loop_watch_events(r->ch.win, 0);
    r->ch.reading = false;
    xld_dm_request_init(&rq);
    rq.type = XLD_OP_DESTROY;
    xld_dm_submit(r->dm, dom, &rq, receiver_destroyed, NULL, r);
    xld_dm_request_dispose(&rq);
}

static void receiver_unpaused(void *opaque, const struct xld_dm_result *res)
{
    struct xld_mig_receiver *r = opaque;

    if (res->rc) {
        receiver_destroy(r, "unpausing the domain: %s", res->msg
                         ? res->msg : strerror(-res->rc));
        return;
    }
    xld_notice("migrate-receive %s: the domain runs here (domid %" PRIu32
               ")", r->name, r->domid);
    receiver_end(r, 0, XLD_MIG_M_DONE, NULL);
}

static void receiver_renamed(void *opaque, const struct xld_dm_result *res)
{
    struct xld_mig_receiver *r = opaque;
    struct xld_dm_request rq;

    if (res->rc) {
        receiver_destroy(r, "renaming the domain %s: %s", r->name,
                         res->msg ? res->msg : strerror(-res->rc));
        return;
    }
    if (r->paused) {
        xld_notice("migrate-receive %s: the domain is here (domid %" PRIu32
                   "), paused", r->name, r->domid);
        receiver_end(r, 0, XLD_MIG_M_DONE, NULL);
        return;
    }
    xld_dm_request_init(&rq);
    rq.type = XLD_OP_UNPAUSE;
    xld_dm_submit(r->dm, xld_dm_by_domid(r->dm, r->domid), &rq,
                  receiver_unpaused, NULL, r);
    xld_dm_request_dispose(&rq);
}

static void receiver_got_go(void *opaque, int rc, char *data, size_t len)
{
    struct xld_mig_receiver *r = opaque;
    struct xld_mig_line m;
    struct xld_dm_request rq;

    (void)len;
    if (rc) {
        receiver_destroy(r, "the sender did not say go (%s): the domain "
                         "stays where it was", read_error(rc));
        return;
    }
    if (xld_mig_parse(data, &m) || m.type != XLD_MIG_M_GO) {
        receiver_destroy(r, "the sender said '%.100s' instead of go", data);
        return;
    }
    r->state = RS_HANDOVER;
    xld_dm_request_init(&rq);
    rq.type = XLD_OP_RENAME;
    rq.name = r->name;
    xld_dm_submit(r->dm, xld_dm_by_domid(r->dm, r->domid), &rq,
                  receiver_renamed, NULL, r);
    xld_dm_request_dispose(&rq);
}

static void receiver_restored(void *opaque, const struct xld_dm_result *res)
{
    struct xld_mig_receiver *r = opaque;

    if (res->rc) {
        /* Refused before a byte of the stream was read: the sender has
         * sent none yet either. */
        if (r->submitting) {
            r->state = RS_END;
            r->rc = res->rc;
            r->msg = strdup(res->msg ? res->msg : strerror(-res->rc));
            return;
        }
        receiver_end(r, res->rc, XLD_MIG_M_FAILED, "restoring %s: %s",
                     r->name, res->msg ? res->msg : strerror(-res->rc));
        return;
    }
    if (r->check) {
        /* A dry run: the domain would be taken, and nothing was made.
         * The answer goes out once submit returns. */
        r->state = RS_CHECKED;
        return;
    }
    r->domid = res->domid;
    r->state = RS_GO;
    if (chan_say(&r->ch, XLD_MIG_M_READY, 0, NULL)) {
        receiver_destroy(r, "out of memory");
        return;
    }
    chan_read(&r->ch, 0, receiver_got_go);
}

/* The restore's progress goes to whoever asked for the migration. */
static void receiver_progress(void *opaque, const char *operation,
                              const char *domain, uint64_t done,
                              uint64_t total)
{
    struct xld_mig_receiver *r = opaque;

    (void)operation;
    if (r->progress)
        r->progress(r->opaque, "migrate-receive", domain, done, total);
}

static void receiver_got_opt(void *opaque, int rc, char *data, size_t len)
{
    struct xld_mig_receiver *r = opaque;
    struct xld_dm_request rq;
    char err[256];

    (void)len;
    if (rc) {
        receiver_end(r, -EIO, XLD_MIG_M_BAD, "reading the config: %s",
                     read_error(rc));
        return;
    }
    rc = xld_image_header_parse_opt((const unsigned char *)data, r->optlen,
                                    &r->ii, err, sizeof(err));
    if (!rc && (!r->ii.has_rec || !r->ii.rec.name)) {
        snprintf(err, sizeof(err), "the stream carries no xld record: "
                 "it does not come from xld");
        rc = EINVAL;
    }
    if (rc) {
        receiver_end(r, -rc, XLD_MIG_M_REFUSE, "%s", rc == ENOMEM
                     ? "out of memory" : err);
        return;
    }
    r->name = strdup(r->ii.rec.name);
    if (!r->name) {
        receiver_end(r, -ENOMEM, XLD_MIG_M_REFUSE, "out of memory");
        return;
    }
    /* The restore reads the rest of the stream itself. */
    xld_loop_watch_events(r->ch.win, 0);
    if (r->ch.ilen) {
        receiver_end(r, -EPROTO, XLD_MIG_M_REFUSE, "the sender sent the "
                     "stream before it was accepted");
        return;
    }
    xld_dm_request_init(&rq);
    rq.type = XLD_OP_RESTORE;
    rq.paused = true;
    rq.image = &r->ii;
    rq.image_fd = r->ch.in;
    rq.incoming = true;
    rq.dry_run = r->check;
    r->state = RS_RESTORING;
    r->submitting = true;
    xld_dm_submit(r->dm, NULL, &rq, receiver_restored, receiver_progress,
                  r);
    r->submitting = false;
    xld_dm_request_dispose(&rq);
    if (r->state == RS_END) {
        /* Refused at once: the name is taken, the memory is short. */
        char *why = r->msg;

        r->msg = NULL;
        receiver_end(r, r->rc, XLD_MIG_M_REFUSE, "%s", why ? why
                     : "refused");
        free(why);
        return;
    }
    if (r->state == RS_CHECKED) {
        xld_info("migrate-receive %s: dry run: the domain would be taken",
                 r->name);
        free(r->msg);
        r->msg = strdup("dry run: the domain would be taken");
        receiver_end(r, 0, XLD_MIG_M_ACCEPT, NULL);
        return;
    }
    if (chan_say(&r->ch, XLD_MIG_M_ACCEPT, 0, NULL))
        xld_err("migrate-receive %s: out of memory to accept", r->name);
}

static void receiver_got_fixed(void *opaque, int rc, char *data, size_t len)
{
    struct xld_mig_receiver *r = opaque;
    char err[256];

    (void)len;
    if (rc) {
        receiver_end(r, -EIO, XLD_MIG_M_BAD, "reading the config: %s",
                     read_error(rc));
        return;
    }
    rc = xld_image_header_optlen((const unsigned char *)data, &r->ii,
                                 &r->optlen, err, sizeof(err));
    if (rc) {
        receiver_end(r, -rc, XLD_MIG_M_REFUSE, "%s", err);
        return;
    }
    r->state = RS_OPT;
    if (!r->optlen) {
        receiver_got_opt(r, 0, (char *)"", 0);
        return;
    }
    chan_read(&r->ch, r->optlen, receiver_got_opt);
}

static void receiver_got_hello(void *opaque, int rc, char *data, size_t len)
{
    struct xld_mig_receiver *r = opaque;
    struct xld_mig_line m;

    (void)len;
    if (rc) {
        receiver_end(r, -EIO, XLD_MIG_M_BAD, "waiting for the sender: %s",
                     read_error(rc));
        return;
    }
    if (xld_mig_parse(data, &m) || m.type != XLD_MIG_M_SENDER) {
        receiver_end(r, -EPROTO, XLD_MIG_M_REFUSE, "'%.100s' is not an "
                     "xld migration sender of version %u", data,
                     XLD_MIG_VERSION);
        return;
    }
    /* -p on either side leaves it paused. */
    r->paused |= (m.flags & XLD_MIG_F_PAUSED) != 0;
    r->check = (m.flags & XLD_MIG_F_CHECK) != 0;
    r->state = RS_FIXED;
    chan_read(&r->ch, XLD_IMAGE_FIXED, receiver_got_fixed);
}

int xld_mig_receive(struct xld_dm *dm, struct xld_loop *loop, int in,
                    int out, bool paused, xld_mig_received_fn *done,
                    xld_dm_progress_fn *progress, void *opaque,
                    struct xld_mig_receiver **rout)
{
    struct xld_mig_receiver *r = calloc(1, sizeof(*r));
    int rc;

    *rout = NULL;
    if (!r) {
        close(in);
        close(out);
        return ENOMEM;
    }
    r->dm = dm;
    r->loop = loop;
    r->paused = paused;
    r->done = done;
    r->progress = progress;
    r->opaque = opaque;
    r->domid = XLD_NO_DOMID;
    xld_image_info_init(&r->ii);
    rc = chan_init(&r->ch, loop, in, out, r);
    if (!rc)
        rc = chan_say(&r->ch, XLD_MIG_M_RECEIVER, 0, NULL);
    if (rc) {
        xld_mig_receiver_free(r);
        return rc;
    }
    xld_info("migrate-receive: waiting for the sender");
    chan_read(&r->ch, 0, receiver_got_hello);
    *rout = r;
    return 0;
}

void xld_mig_receiver_free(struct xld_mig_receiver *r)
{
    if (!r)
        return;
    xld_loop_cancel(r->later);
    chan_dispose(&r->ch);
    xld_image_info_dispose(&r->ii);
    free(r->name);
    free(r->msg);
    free(r->fail_msg);
    free(r);
}
