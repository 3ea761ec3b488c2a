/*
 * simcon.c - the guest console of the simulated hypervisor (see
 * simcon.h): a bounded log, the guest's echo and line reading, and the
 * pty a console client attaches to.
 */
#define _GNU_SOURCE

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "log.h"
#include "loop.h"
#include "simcon.h"

/* One read from the pty per turn of the loop: a client that types
 * without pause cannot keep xld from its other work. */
#define SIMCON_READ_CHUNK 1024
/* The longest line of xld_simcon_printf (a longer one is cut). */
#define SIMCON_PRINTF_MAX 1024

/* ---- the ring ------------------------------------------------------- */

void xld_simcon_ring_init(struct xld_simcon_ring *r)
{
    r->buf = NULL;
    r->head = 0;
    r->len = 0;
}

void xld_simcon_ring_dispose(struct xld_simcon_ring *r)
{
    free(r->buf);
    xld_simcon_ring_init(r);
}

int xld_simcon_ring_put(struct xld_simcon_ring *r, const char *p, size_t n)
{
    const size_t size = XLD_SIMCON_LOG_SIZE;

    if (!r->buf) {
        r->buf = malloc(size);
        if (!r->buf)
            return -ENOMEM;
    }
    /* Of a write longer than the ring, only its end can be kept. */
    if (n > size) {
        p += n - size;
        n = size;
    }
    while (n) {
        size_t k = size - r->head < n ? size - r->head : n;

        memcpy(r->buf + r->head, p, k);
        r->head = (r->head + k) % size;
        r->len = r->len + k > size ? size : r->len + k;
        p += k;
        n -= k;
    }
    return 0;
}

size_t xld_simcon_ring_get(const struct xld_simcon_ring *r, char *out,
                           size_t size)
{
    const size_t cap = XLD_SIMCON_LOG_SIZE;
    size_t n = r->len < size ? r->len : size;
    /* The oldest byte wanted: n bytes back from the head. */
    size_t start = (r->head + cap - n) % cap;
    size_t first = cap - start < n ? cap - start : n;

    if (!n)
        return 0;
    memcpy(out, r->buf + start, first);
    memcpy(out + first, r->buf, n - first);
    return n;
}

/* ---- the console ---------------------------------------------------- */

void xld_simcon_init(struct xld_simcon *c, struct xld_loop *loop,
                     xld_simcon_line_fn *on_line, void *opaque)
{
    memset(c, 0, sizeof(*c));
    c->loop = loop;
    xld_simcon_ring_init(&c->log);
    c->on_line = on_line;
    c->opaque = opaque;
    c->boot_ms = xld_loop_now(loop);
    c->master = -1;
    c->slave = -1;
}

/* Close the pty, if open; the log stays. */
static void simcon_close_pty(struct xld_simcon *c)
{
    xld_loop_unwatch(c->watch);
    c->watch = NULL;
    if (c->master >= 0)
        close(c->master);
    if (c->slave >= 0)
        close(c->slave);
    c->master = c->slave = -1;
    free(c->tty);
    c->tty = NULL;
}

void xld_simcon_dispose(struct xld_simcon *c)
{
    simcon_close_pty(c);
    xld_simcon_ring_dispose(&c->log);
}

/* Write to the master what fits; the rest is dropped.  A pty that fails
 * otherwise is closed: the next client gets a new one. */
static void simcon_to_pty(struct xld_simcon *c, const char *p, size_t n)
{
    while (c->master >= 0 && n) {
        ssize_t w = write(c->master, p, n);

        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        if (w <= 0) {
            xld_warn("sim: console %s: %s; closing it", c->tty,
                     w < 0 ? strerror(errno) : "nothing written");
            simcon_close_pty(c);
            return;
        }
        p += w;
        n -= (size_t)w;
    }
}

void xld_simcon_write(struct xld_simcon *c, const char *p, size_t n)
{
    /* Without memory the log misses these bytes; a client attached
     * still sees them. */
    xld_simcon_ring_put(&c->log, p, n);
    simcon_to_pty(c, p, n);
}

/* prefix is short: a time stamp at most. */
static void simcon_vprintf(struct xld_simcon *c, const char *prefix,
                           const char *fmt, va_list ap)
{
    char buf[SIMCON_PRINTF_MAX];
    /* Room for the text and its NUL, keeping two bytes for "\r\n". */
    size_t len = strlen(prefix), room = sizeof(buf) - 2 - len;
    int n;

    memcpy(buf, prefix, len);
    n = vsnprintf(buf + len, room, fmt, ap);
    if (n < 0)
        return;
    len += (size_t)n < room ? (size_t)n : room - 1;
    buf[len++] = '\r';
    buf[len++] = '\n';
    xld_simcon_write(c, buf, len);
}

void xld_simcon_printf(struct xld_simcon *c, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    simcon_vprintf(c, "", fmt, ap);
    va_end(ap);
}

void xld_simcon_kmsg(struct xld_simcon *c, const char *fmt, ...)
{
    uint64_t ms = xld_loop_now(c->loop) - c->boot_ms;
    char stamp[40];
    va_list ap;

    snprintf(stamp, sizeof(stamp), "[%5" PRIu64 ".%06" PRIu64 "] ",
             ms / 1000, ms % 1000 * 1000);
    va_start(ap, fmt);
    simcon_vprintf(c, stamp, fmt, ap);
    va_end(ap);
}

void xld_simcon_boot(struct xld_simcon *c)
{
    c->boot_ms = xld_loop_now(c->loop);
    c->line_len = 0;
    c->last_cr = false;
}

/* Whether b is the second or later byte of a UTF-8 sequence. */
static bool simcon_continuation(unsigned char b)
{
    return (b & 0xc0) == 0x80;
}

/* One byte of input, as a terminal in canonical mode with echo treats
 * it; the echo goes out with the rest of the guest's output. */
static void simcon_byte(struct xld_simcon *c, unsigned char b)
{
    bool cr_before = c->last_cr;

    c->last_cr = b == '\r';
    if (b == '\r' || b == '\n') {
        /* "\r\n" from a client that sends both is one end of line. */
        if (b == '\n' && cr_before)
            return;
        xld_simcon_write(c, "\r\n", 2);
        c->line[c->line_len] = '\0';
        c->line_len = 0;
        if (c->on_line)
            c->on_line(c->opaque, c->line);
        return;
    }
    if (b == 0x7f || b == '\b') {
        /* Erase a whole character, however many bytes UTF-8 gave it. */
        while (c->line_len
               && simcon_continuation((unsigned char)c->line[c->line_len
                                                              - 1]))
            c->line_len--;
        if (c->line_len) {
            c->line_len--;
            xld_simcon_write(c, "\b \b", 3);
        }
        return;
    }
    /* Other control characters mean nothing to this guest; a full line
     * takes no more, as a tty's buffer. */
    if ((b < 0x20 && b != '\t') || c->line_len >= XLD_SIMCON_LINE_MAX)
        return;
    c->line[c->line_len++] = (char)b;
    xld_simcon_write(c, (const char *)&b, 1);
}

void xld_simcon_input(struct xld_simcon *c, const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        simcon_byte(c, (unsigned char)p[i]);
}

static short simcon_events(const struct xld_simcon *c)
{
    return c->reading ? POLLIN : 0;
}

void xld_simcon_set_reading(struct xld_simcon *c, bool on)
{
    c->reading = on;
    if (c->watch)
        xld_loop_watch_events(c->watch, simcon_events(c));
}

static void simcon_readable(void *opaque, int fd, short revents)
{
    struct xld_simcon *c = opaque;
    char buf[SIMCON_READ_CHUNK];
    ssize_t n;

    (void)revents;
    n = read(fd, buf, sizeof(buf));
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK
                  || errno == EINTR))
        return;
    if (n <= 0) {
        /* xld holds the slave, so this is no client leaving: the pty is
         * broken, and the next client gets a new one. */
        xld_warn("sim: console %s: %s; closing it", c->tty,
                 n < 0 ? strerror(errno) : "end of file");
        simcon_close_pty(c);
        return;
    }
    xld_simcon_input(c, buf, (size_t)n);
}

/* A raw line, as xenconsoled sets its ptys: bytes pass unchanged both
 * ways, and the pty itself echoes nothing (the guest does). */
static int simcon_raw(int fd)
{
    struct termios t;

    if (tcgetattr(fd, &t) < 0)
        return -errno;
    cfmakeraw(&t);
    if (tcsetattr(fd, TCSANOW, &t) < 0)
        return -errno;
    return 0;
}

static int simcon_open_pty(struct xld_simcon *c)
{
    char name[128];
    int rc = 0, flags;

    c->master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (c->master < 0) {
        rc = -errno;
        goto out;
    }
    flags = fcntl(c->master, F_GETFL);
    if (flags < 0 || fcntl(c->master, F_SETFL, flags | O_NONBLOCK) < 0
        || fcntl(c->master, F_SETFD, FD_CLOEXEC) < 0
        || grantpt(c->master) < 0 || unlockpt(c->master) < 0) {
        rc = -errno;
        goto out;
    }
    rc = -ptsname_r(c->master, name, sizeof(name));
    if (rc)
        goto out;
    c->slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
    if (c->slave < 0) {
        rc = -errno;
        goto out;
    }
    rc = simcon_raw(c->slave);
    if (rc)
        goto out;
    c->tty = strdup(name);
    if (!c->tty) {
        rc = -ENOMEM;
        goto out;
    }
    rc = -xld_loop_watch(c->loop, c->master, simcon_events(c),
                         simcon_readable, c, &c->watch);
out:
    if (rc)
        simcon_close_pty(c);
    return rc;
}

/*
 * A new client gets a clean line.  What an earlier client left unread is
 * in the log too: it is dropped from the pty, so that the log is shown
 * once.  What earlier clients typed and the guest has not read yet (it
 * was paused, or they typed faster than it reads) is dropped too, with
 * the line the guest was reading, so that the new client does not wait
 * behind it: the pty's buffers are bounded, and so is the draining.
 */
static void simcon_clean(struct xld_simcon *c)
{
    char buf[SIMCON_READ_CHUNK];

    tcflush(c->slave, TCIOFLUSH);
    for (int i = 0; i < 256; i++)
        if (read(c->master, buf, sizeof(buf)) <= 0)
            break;
    c->line_len = 0;
    c->last_cr = false;
}

int xld_simcon_tty(struct xld_simcon *c, char **path)
{
    char *copy = NULL, *log = NULL;
    size_t len;
    int rc = 0;

    *path = NULL;
    if (c->master < 0) {
        rc = simcon_open_pty(c);
        if (rc)
            goto out;
    } else {
        simcon_clean(c);
    }
    copy = strdup(c->tty);
    log = malloc(XLD_SIMCON_LOG_SIZE);
    if (!copy || !log) {
        rc = -ENOMEM;
        goto out;
    }
    len = xld_simcon_ring_get(&c->log, log, XLD_SIMCON_LOG_SIZE);
    simcon_to_pty(c, log, len);
    /* A pty that broke while the log was written is gone with its
     * path. */
    if (c->master < 0) {
        rc = -EIO;
        goto out;
    }
    *path = copy;
    copy = NULL;
out:
    free(copy);
    free(log);
    return rc;
}
