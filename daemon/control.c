/*
 * control.c - the control sockets and their clients (see control.h).
 *
 * Every client socket is non-blocking.  Input is read as it comes and
 * cut into lines; output goes to a queue per client that is written as
 * the socket drains, so that one client that stops reading costs xld
 * memory (up to a bound), never time.
 *
 * A closed client is not freed at once: the code that closed it may be
 * deep in a call that still holds the pointer (a reply that overflowed
 * the queue closes the client from inside xld_client_send()).  Closing
 * only shuts the socket; the connection's own reference is dropped from
 * the loop at its next turn, and the memory goes with the last
 * reference.
 */
#define _GNU_SOURCE

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "control.h"
#include "log.h"
#include "loop.h"

#ifndef SO_PEERGROUPS
#define SO_PEERGROUPS 59
#endif

/* Read this much at a time. */
#define READ_CHUNK (64u * 1024)

struct listener {
    struct xld_control *ctl;
    char *path;
    int fd;
    bool admin;
    dev_t dev;              /* of the socket file we made, so that we */
    ino_t ino;              /* never remove another process's socket */
    struct xld_watch *watch;
    struct xld_timer *retry; /* accept paused: out of file descriptors */
};

struct xld_client {
    struct xld_control *ctl;     /* NULL once closed */
    unsigned long serial;
    int fd;
    unsigned refs;
    enum xld_client_access access;
    bool subscribed;
    bool dead;
    bool eof;                    /* the client will send nothing more */
    bool closing;                /* close once the output is written */
    uid_t uid;
    pid_t pid;
    char name[64];
    struct xld_watch *watch;
    struct xld_timer *reaper;    /* drops the connection's reference */
    char *in;
    size_t inlen, incap;
    char *out;
    size_t outoff, outlen, outcap;   /* unsent bytes: out[outoff..outlen) */
    /* File descriptors that came with the input (SCM_RIGHTS), for the
     * request line they arrived with or before. */
    int fds[XLD_CONTROL_MAX_FDS];
    size_t nfds;
    TAILQ_ENTRY(xld_client) link;
};

TAILQ_HEAD(client_list, xld_client);

struct xld_control {
    struct xld_loop *loop;
    struct xld_control_handlers handlers;
    void *opaque;
    struct listener listeners[2];     /* admin, read-only */
    bool have_group;
    gid_t group;
    unsigned long serial;
    size_t nclients;
    struct client_list clients;       /* connected */
    struct client_list zombies;       /* closed, reference not yet dropped */
};

void xld_control_options_init(struct xld_control_options *o)
{
    memset(o, 0, sizeof(*o));
}

void xld_control_options_dispose(struct xld_control_options *o)
{
    memset(o, 0, sizeof(*o));
}

/* ---- clients ------------------------------------------------------------ */

static void client_update_events(struct xld_client *c);
static void client_close(struct xld_client *c);

void xld_client_ref(struct xld_client *c)
{
    c->refs++;
}

static void client_close_fds(struct xld_client *c)
{
    for (size_t i = 0; i < c->nfds; i++)
        close(c->fds[i]);
    c->nfds = 0;
}

size_t xld_client_take_fds(struct xld_client *c, int *fds, size_t max)
{
    size_t n = c->nfds < max ? c->nfds : max;

    memcpy(fds, c->fds, n * sizeof(*fds));
    memmove(c->fds, c->fds + n, (c->nfds - n) * sizeof(*fds));
    c->nfds -= n;
    return n;
}

static void client_free(struct xld_client *c)
{
    client_close_fds(c);
    free(c->in);
    free(c->out);
    free(c);
}

/* A client that said everything it had to say is closed once nothing it
 * asked for is pending (each pending request holds a reference) and its
 * replies are written. */
static void client_check_drained(struct xld_client *c)
{
    if (c->dead || c->outlen > c->outoff)
        return;
    if (c->closing || (c->eof && c->refs == 1))
        client_close(c);
}

void xld_client_unref(struct xld_client *c)
{
    if (--c->refs == 0) {
        client_free(c);
        return;
    }
    if (c->eof)
        client_check_drained(c);
}

bool xld_client_alive(const struct xld_client *c)
{
    return !c->dead;
}

enum xld_client_access xld_client_access(const struct xld_client *c)
{
    return c->access;
}

void xld_client_subscribe(struct xld_client *c)
{
    c->subscribed = true;
}

const char *xld_client_name(const struct xld_client *c)
{
    return c->name;
}

static void reap_client(void *opaque)
{
    struct xld_client *c = opaque;
    struct xld_control *ctl = c->ctl;

    c->reaper = NULL;
    TAILQ_REMOVE(&ctl->zombies, c, link);
    c->ctl = NULL;
    xld_client_unref(c);
}

static void client_close(struct xld_client *c)
{
    struct xld_control *ctl = c->ctl;

    if (c->dead)
        return;
    c->dead = true;
    xld_debug("%s: closed", c->name);
    xld_loop_unwatch(c->watch);
    c->watch = NULL;
    close(c->fd);
    c->fd = -1;
    TAILQ_REMOVE(&ctl->clients, c, link);
    ctl->nclients--;
    TAILQ_INSERT_TAIL(&ctl->zombies, c, link);
    if (xld_loop_timer(ctl->loop, 0, reap_client, c, &c->reaper)) {
        /* Without a timer the reference is dropped at xld_control_close;
         * until then the client only costs its memory. */
        c->reaper = NULL;
    }
}

/* Write what the socket takes now. */
static void client_flush(struct xld_client *c)
{
    while (!c->dead && c->outlen > c->outoff) {
        ssize_t n = send(c->fd, c->out + c->outoff, c->outlen - c->outoff,
                         MSG_NOSIGNAL | MSG_DONTWAIT);

        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                break;
            xld_debug("%s: write: %s", c->name, strerror(errno));
            client_close(c);
            return;
        }
        c->outoff += (size_t)n;
    }
    if (c->dead)
        return;
    if (c->outoff == c->outlen)
        c->outoff = c->outlen = 0;
    client_update_events(c);
    client_check_drained(c);
}

void xld_client_send(struct xld_client *c, const char *buf, size_t len)
{
    size_t queued, need;

    if (c->dead)
        return;
    queued = c->outlen - c->outoff;
    if (queued + len + 1 > XLD_CONTROL_MAX_QUEUED) {
        xld_warn("%s: more than %u MiB of replies and events queued and "
                 "not read: dropping the client", c->name,
                 XLD_CONTROL_MAX_QUEUED / (1024 * 1024));
        client_close(c);
        return;
    }
    /* Compact before growing: the queue is a window on one buffer. */
    if (c->outoff && c->outlen + len + 1 > c->outcap) {
        memmove(c->out, c->out + c->outoff, queued);
        c->outoff = 0;
        c->outlen = queued;
    }
    need = c->outlen + len + 1;
    if (need > c->outcap) {
        size_t cap = c->outcap ? c->outcap : 4096;
        char *p;

        while (cap < need)
            cap *= 2;
        p = realloc(c->out, cap);
        if (!p) {
            xld_warn("%s: out of memory for its replies: dropping the "
                     "client", c->name);
            client_close(c);
            return;
        }
        c->out = p;
        c->outcap = cap;
    }
    memcpy(c->out + c->outlen, buf, len);
    c->outlen += len;
    c->out[c->outlen++] = '\n';
    /* Write at once when nothing is waiting: most replies go out without
     * a turn of the loop. */
    if (queued == 0)
        client_flush(c);
}

void xld_client_close_after_flush(struct xld_client *c)
{
    if (c->dead)
        return;
    c->closing = true;
    client_update_events(c);
    client_check_drained(c);
}

static void client_update_events(struct xld_client *c)
{
    short ev = 0;

    if (c->dead)
        return;
    if (!c->eof && !c->closing)
        ev |= POLLIN;
    if (c->outlen > c->outoff)
        ev |= POLLOUT;
    xld_loop_watch_events(c->watch, ev);
}

/* Hand every complete line in the input to the request handler. */
static void client_lines(struct xld_client *c)
{
    struct xld_control *ctl = c->ctl;
    size_t start = 0;

    while (!c->dead && !c->closing) {
        char *nl = memchr(c->in + start, '\n', c->inlen - start);
        size_t len;

        if (!nl)
            break;
        len = (size_t)(nl - (c->in + start));
        *nl = '\0';
        if (len > XLD_CONTROL_MAX_LINE) {
            start = c->inlen;
            ctl->handlers.too_large(ctl->opaque, c);
            xld_client_close_after_flush(c);
            break;
        }
        if (len && c->in[start + len - 1] == '\r')
            c->in[start + --len] = '\0';
        /* The handler may close the client; the buffer stays until the
         * client is freed, so the line stays valid during the call. */
        if (len)
            ctl->handlers.request(ctl->opaque, c, c->in + start, len);
        start += (size_t)(nl - (c->in + start)) + 1;
    }
    if (c->dead || c->closing)
        return;
    memmove(c->in, c->in + start, c->inlen - start);
    c->inlen -= start;
    /* File descriptors no request took are closed once no part of a
     * line is waiting: they belonged to lines that did not want them. */
    if (!c->inlen)
        client_close_fds(c);
    if (c->inlen > XLD_CONTROL_MAX_LINE) {
        ctl->handlers.too_large(ctl->opaque, c);
        xld_client_close_after_flush(c);
    }
}

/*
 * recv(2), taking the file descriptors that come with the bytes
 * (doc/protocol.md, "File descriptors"): MSG_CMSG_CLOEXEC, so that no
 * child of xld inherits them; more than XLD_CONTROL_MAX_FDS waiting is
 * a client misbehaving, and the extra ones are closed at once.
 */
static ssize_t recv_fds(struct xld_client *c, size_t len)
{
    union {
        char buf[CMSG_SPACE(XLD_CONTROL_MAX_FDS * sizeof(int))];
        struct cmsghdr align;
    } u;
    struct iovec iov = { c->in + c->inlen, len };
    struct msghdr mh;
    struct cmsghdr *cm;
    ssize_t n;

    memset(&mh, 0, sizeof(mh));
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    mh.msg_control = u.buf;
    mh.msg_controllen = sizeof(u.buf);
    n = recvmsg(c->fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
    if (n < 0)
        return n;
    for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
        size_t k;
        int *fds = (int *)CMSG_DATA(cm);

        if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
            continue;
        k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < k; i++) {
            int fd;

            memcpy(&fd, fds + i, sizeof(fd));
            if (c->nfds < XLD_CONTROL_MAX_FDS)
                c->fds[c->nfds++] = fd;
            else
                close(fd);
        }
    }
    if (mh.msg_flags & MSG_CTRUNC)
        xld_warn("%s: sent more than %d file descriptors at once: the "
                 "rest are dropped", c->name, XLD_CONTROL_MAX_FDS);
    return n;
}

static void client_read(struct xld_client *c)
{
    ssize_t n;

    if (c->incap - c->inlen < READ_CHUNK) {
        size_t cap = c->inlen + READ_CHUNK;
        char *p = realloc(c->in, cap);

        if (!p) {
            xld_warn("%s: out of memory for its requests: dropping the "
                     "client", c->name);
            client_close(c);
            return;
        }
        c->in = p;
        c->incap = cap;
    }
    n = recv_fds(c, READ_CHUNK);
    if (n < 0) {
        if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)
            return;
        xld_debug("%s: read: %s", c->name, strerror(errno));
        client_close(c);
        return;
    }
    if (n == 0) {
        /* The client closed its side; what it sent before still counts,
         * and its replies are still written (see client_check_drained). */
        c->eof = true;
        if (c->inlen && memchr(c->in, '\n', c->inlen) == NULL)
            xld_debug("%s: %zu bytes without a newline at the end: "
                      "ignored", c->name, c->inlen);
        client_update_events(c);
        client_check_drained(c);
        return;
    }
    c->inlen += (size_t)n;
    client_lines(c);
}

static void client_event(void *opaque, int fd, short revents)
{
    struct xld_client *c = opaque;

    (void)fd;
    /* Keep the client while its handlers run. */
    xld_client_ref(c);
    if (revents & (POLLERR | POLLNVAL)) {
        client_close(c);
        goto out;
    }
    if (revents & POLLOUT)
        client_flush(c);
    if (!c->dead && (revents & (POLLIN | POLLHUP))) {
        /* Read what a client that hung up sent before it did; once
         * that is read, nothing more can reach it: close. */
        if (!c->eof && !c->closing)
            client_read(c);
        else if (revents & POLLHUP)
            client_close(c);
    }

out:
    xld_client_unref(c);
}

/* Whether the peer may use the admin socket: root, xld's own user (a
 * daemon run by hand or in the tests), or a member of the admin group.
 * The groups come from the kernel (SO_PEERGROUPS), as they were when the
 * client connected, not from the group database. */
static bool peer_is_admin(struct xld_control *ctl, int fd,
                          const struct ucred *cred)
{
    gid_t groups[256];
    socklen_t len = sizeof(groups);

    if (cred->uid == 0 || cred->uid == geteuid())
        return true;
    if (!ctl->have_group)
        return false;
    if (cred->gid == ctl->group)
        return true;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) < 0)
        return false;
    for (size_t i = 0; i < len / sizeof(gid_t); i++)
        if (groups[i] == ctl->group)
            return true;
    return false;
}

static void accept_resume(void *opaque)
{
    struct listener *l = opaque;

    l->retry = NULL;
    if (l->watch)
        xld_loop_watch_events(l->watch, POLLIN);
}

static void listener_accept(void *opaque, int fd, short revents)
{
    struct listener *l = opaque;
    struct xld_control *ctl = l->ctl;

    (void)revents;
    /* A few at a time, so that a storm of connections does not starve
     * the clients already there. */
    for (int i = 0; i < 16; i++) {
        struct xld_client *c;
        struct ucred cred;
        socklen_t len = sizeof(cred);
        int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

        if (cfd < 0) {
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS
                || errno == ENOMEM) {
                /* The connection stays in the backlog: wait a little
                 * instead of spinning on a socket that stays readable. */
                xld_warn("accepting a client: %s; trying again in 100 ms",
                         strerror(errno));
                xld_loop_watch_events(l->watch, 0);
                if (!l->retry
                    && xld_loop_timer(ctl->loop, 100, accept_resume, l,
                                      &l->retry))
                    xld_loop_watch_events(l->watch, POLLIN);
            }
            return;
        }
        c = calloc(1, sizeof(*c));
        if (!c) {
            close(cfd);
            return;
        }
        c->ctl = ctl;
        c->fd = cfd;
        c->refs = 1;
        c->serial = ++ctl->serial;
        if (getsockopt(cfd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
            cred.uid = (uid_t)-1;
            cred.gid = (gid_t)-1;
            cred.pid = 0;
        }
        c->uid = cred.uid;
        c->pid = cred.pid;
        snprintf(c->name, sizeof(c->name), "client %lu (uid %ld, pid %ld)",
                 c->serial, (long)(int)cred.uid, (long)cred.pid);
        if (!l->admin)
            c->access = XLD_ACCESS_READONLY;
        else if (cred.uid != (uid_t)-1 && peer_is_admin(ctl, cfd, &cred))
            c->access = XLD_ACCESS_ADMIN;
        else
            c->access = XLD_ACCESS_REFUSED;
        if (xld_loop_watch(ctl->loop, cfd, POLLIN, client_event, c,
                           &c->watch)) {
            close(cfd);
            free(c);
            return;
        }
        TAILQ_INSERT_TAIL(&ctl->clients, c, link);
        ctl->nclients++;
        xld_debug("%s: connected to the %s socket", c->name,
                  l->admin ? "admin" : "read-only");
        if (c->access == XLD_ACCESS_REFUSED)
            xld_notice("%s: refused on the admin socket: not root and not "
                       "in the admin group", c->name);
        xld_client_ref(c);
        ctl->handlers.connected(ctl->opaque, c);
        if (c->access == XLD_ACCESS_REFUSED)
            xld_client_close_after_flush(c);
        xld_client_unref(c);
    }
}

/* ---- listeners ---------------------------------------------------------- */

/* mkdir -p of the socket's folder (/run/xld is made at each boot). */
static int make_parent(const char *path)
{
    char *dir = strdup(path), *p;
    int rc = 0;

    if (!dir)
        return ENOMEM;
    p = strrchr(dir, '/');
    if (!p || p == dir)
        goto out;
    *p = '\0';
    for (p = dir + 1; ; p++) {
        if (*p == '/' || *p == '\0') {
            char c = *p;

            *p = '\0';
            if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
                rc = errno;
                goto out;
            }
            *p = c;
            if (!c)
                break;
        }
    }

out:
    free(dir);
    return rc;
}

/* A socket file left by an xld that died is removed; one that answers
 * belongs to a running xld, and xld refuses to start. */
static int clear_stale(const char *path, const struct sockaddr_un *sa)
{
    struct stat st;
    int fd, rc = 0;

    if (lstat(path, &st) < 0)
        return errno == ENOENT ? 0 : errno;
    if (!S_ISSOCK(st.st_mode)) {
        xld_err("%s exists and is not a socket: not removing it", path);
        return EEXIST;
    }
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return errno;
    if (connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0) {
        xld_err("%s: another xld is listening there", path);
        rc = EADDRINUSE;
        goto out;
    }
    if (unlink(path) < 0 && errno != ENOENT)
        rc = errno;

out:
    close(fd);
    return rc;
}

static int listener_open(struct xld_control *ctl, struct listener *l,
                         const char *path, bool admin)
{
    struct sockaddr_un sa;
    struct stat st;
    mode_t mask;
    int rc;

    l->ctl = ctl;
    l->admin = admin;
    l->fd = -1;
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    if (strlen(path) >= sizeof(sa.sun_path)) {
        xld_err("%s: the socket path is too long (at most %zu bytes)", path,
                sizeof(sa.sun_path) - 1);
        return ENAMETOOLONG;
    }
    strcpy(sa.sun_path, path);
    l->path = strdup(path);
    if (!l->path)
        return ENOMEM;
    rc = make_parent(path);
    if (rc) {
        xld_err("%s: cannot make its folder: %s", path, strerror(rc));
        return rc;
    }
    rc = clear_stale(path, &sa);
    if (rc)
        return rc;
    l->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (l->fd < 0) {
        rc = errno;
        xld_err("socket: %s", strerror(rc));
        return rc;
    }
    /* Created private, then opened up: no moment where the admin socket
     * is open to all. */
    mask = umask(0177);
    rc = bind(l->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ? errno : 0;
    umask(mask);
    if (rc) {
        xld_err("%s: bind: %s", path, strerror(rc));
        return rc;
    }
    if (stat(path, &st) == 0) {
        l->dev = st.st_dev;
        l->ino = st.st_ino;
    }
    if (admin && ctl->have_group && chown(path, (uid_t)-1, ctl->group) < 0) {
        rc = errno;
        xld_err("%s: chown to group %ld: %s", path, (long)ctl->group,
                strerror(rc));
        return rc;
    }
    if (chmod(path, admin ? 0660 : 0666) < 0) {
        rc = errno;
        xld_err("%s: chmod: %s", path, strerror(rc));
        return rc;
    }
    if (listen(l->fd, 128) < 0) {
        rc = errno;
        xld_err("%s: listen: %s", path, strerror(rc));
        return rc;
    }
    rc = xld_loop_watch(ctl->loop, l->fd, POLLIN, listener_accept, l,
                        &l->watch);
    if (rc)
        return rc;
    xld_info("listening on %s (%s)", path, admin ? "admin" : "read-only");
    return 0;
}

/* Stop listening; the socket file goes only if it is still ours. */
static void listener_close(struct listener *l)
{
    struct stat st;

    xld_loop_unwatch(l->watch);
    l->watch = NULL;
    xld_loop_cancel(l->retry);
    l->retry = NULL;
    if (l->fd >= 0) {
        close(l->fd);
        l->fd = -1;
        if (l->path && stat(l->path, &st) == 0 && st.st_dev == l->dev
            && st.st_ino == l->ino)
            unlink(l->path);
    }
    free(l->path);
    l->path = NULL;
}

int xld_control_open(struct xld_control **out, struct xld_loop *loop,
                     const struct xld_control_options *opts,
                     const struct xld_control_handlers *handlers,
                     void *opaque)
{
    struct xld_control *ctl = calloc(1, sizeof(*ctl));
    int rc;

    *out = NULL;
    if (!ctl)
        return ENOMEM;
    ctl->loop = loop;
    ctl->handlers = *handlers;
    ctl->opaque = opaque;
    ctl->have_group = opts->have_group;
    ctl->group = opts->group;
    ctl->listeners[0].fd = ctl->listeners[1].fd = -1;
    TAILQ_INIT(&ctl->clients);
    TAILQ_INIT(&ctl->zombies);
    rc = listener_open(ctl, &ctl->listeners[0], opts->path, true);
    if (rc)
        goto out;
    rc = listener_open(ctl, &ctl->listeners[1], opts->ro_path, false);
    if (rc)
        goto out;
    *out = ctl;
    ctl = NULL;

out:
    if (ctl)
        xld_control_close(ctl);
    return rc;
}

void xld_control_stop_listening(struct xld_control *ctl)
{
    listener_close(&ctl->listeners[0]);
    listener_close(&ctl->listeners[1]);
}

void xld_control_close(struct xld_control *ctl)
{
    struct xld_client *c;

    if (!ctl)
        return;
    xld_control_stop_listening(ctl);
    while ((c = TAILQ_FIRST(&ctl->clients)))
        client_close(c);
    /* Drop the connections' references now: the loop will not turn
     * again for them.  Clients that requests still hold are freed when
     * those are. */
    while ((c = TAILQ_FIRST(&ctl->zombies))) {
        xld_loop_cancel(c->reaper);
        c->reaper = NULL;
        TAILQ_REMOVE(&ctl->zombies, c, link);
        c->ctl = NULL;
        xld_client_unref(c);
    }
    free(ctl);
}

void xld_control_broadcast(struct xld_control *ctl, const char *buf,
                           size_t len)
{
    struct xld_client *c, *next;

    /* A send may close (and unlink) the client: take the next first. */
    for (c = TAILQ_FIRST(&ctl->clients); c; c = next) {
        next = TAILQ_NEXT(c, link);
        if (c->subscribed)
            xld_client_send(c, buf, len);
    }
}

size_t xld_control_nclients(const struct xld_control *ctl)
{
    return ctl->nclients;
}
