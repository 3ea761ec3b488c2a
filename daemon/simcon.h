/*
 * simcon.h - the guest console of the simulated hypervisor (backend_sim.c):
 * what a simulated guest writes to its console, kept as a bounded log,
 * and the pseudo-terminal a console client attaches to.
 *
 * A console has three parts:
 *
 *   - the log: a ring of the last XLD_SIMCON_LOG_SIZE bytes the guest
 *     wrote (the oldest bytes are dropped), which a client that attaches
 *     is shown first, as xenconsoled's buffer is;
 *   - the guest's side of the line: it echoes what it is sent as a
 *     terminal in canonical mode would (printable bytes, backspace, and
 *     Return as "\r\n"), and gives each complete line to the backend,
 *     which answers it;
 *   - the pty: opened on the first xld_simcon_tty() only, so that a
 *     thousand guests nobody looks at hold no pty.  xld keeps the master
 *     on its loop and the slave open too (in raw mode), as xenconsoled
 *     does, so that the master does not report a hangup whenever no
 *     client is attached.  The master is non-blocking: output that the
 *     pty has no room for is dropped, as on a serial line nobody listens
 *     to, and xld never waits for a client.
 *
 * The guest reads its input only while it runs (xld_simcon_set_reading):
 * otherwise what a client types waits in the pty, as it would in the
 * console ring of a paused guest.
 */
#ifndef XLD_SIMCON_H
#define XLD_SIMCON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct xld_loop;
struct xld_watch;

/* The log's size, and the longest input line the guest keeps. */
#define XLD_SIMCON_LOG_SIZE 4096
#define XLD_SIMCON_LINE_MAX 256

/* A ring of the last XLD_SIMCON_LOG_SIZE bytes written. */
struct xld_simcon_ring {
    char *buf;                    /* malloc'd on the first write */
    size_t head;                  /* where the next byte goes */
    size_t len;                   /* bytes held, at most the size */
};

void xld_simcon_ring_init(struct xld_simcon_ring *r);
void xld_simcon_ring_dispose(struct xld_simcon_ring *r);
/* Append n bytes, dropping the oldest ones beyond the size.  -ENOMEM
 * when the buffer cannot be allocated (the bytes are then lost). */
int xld_simcon_ring_put(struct xld_simcon_ring *r, const char *p, size_t n);
/* Copy what the ring holds, oldest first, into out (at most size bytes,
 * the newest ones when it holds more); returns the count copied. */
size_t xld_simcon_ring_get(const struct xld_simcon_ring *r, char *out,
                           size_t size);

/* A complete line the guest read (NUL-terminated, without its end). */
typedef void xld_simcon_line_fn(void *opaque, const char *line);

struct xld_simcon {
    struct xld_loop *loop;
    struct xld_simcon_ring log;
    xld_simcon_line_fn *on_line;
    void *opaque;
    char line[XLD_SIMCON_LINE_MAX + 1];
    size_t line_len;
    bool last_cr;                 /* the last input byte was '\r' */
    bool reading;                 /* the guest reads its input */
    uint64_t boot_ms;             /* loop ms of the last boot */
    int master;                   /* -1 until the pty is opened */
    int slave;
    char *tty;                    /* the slave's path; malloc'd */
    struct xld_watch *watch;
};

void xld_simcon_init(struct xld_simcon *c, struct xld_loop *loop,
                     xld_simcon_line_fn *on_line, void *opaque);
/* Closes the pty: a client attached reads end of file, as when the
 * domain is gone. */
void xld_simcon_dispose(struct xld_simcon *c);

/* The guest writes n bytes: into the log, and to the pty if open. */
void xld_simcon_write(struct xld_simcon *c, const char *p, size_t n);
/* The guest writes a line with printf's format, "\r\n" added. */
void xld_simcon_printf(struct xld_simcon *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* A line of the guest's kernel: the same, after the time since the last
 * xld_simcon_boot() as Linux prints it ("[   12.345678] "). */
void xld_simcon_kmsg(struct xld_simcon *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* The guest's kernel starts again: its clock restarts, its line is
 * empty. */
void xld_simcon_boot(struct xld_simcon *c);

/* Input from the client, as the guest reads it (the pty's handler calls
 * this; the unit tests too). */
void xld_simcon_input(struct xld_simcon *c, const char *p, size_t n);

/* Whether the guest reads its input now (it runs). */
void xld_simcon_set_reading(struct xld_simcon *c, bool on);

/*
 * Where a client attaches: opens the pty on the first call, then writes
 * the log into it, and gives the slave's path in *path (malloc'd).  An
 * earlier client's leftovers are discarded first, both ways: the output
 * it did not read (the log shows it once), and the input the guest has
 * not read yet, with the line it was reading.  Returns 0 or a negative
 * errno value.
 */
int xld_simcon_tty(struct xld_simcon *c, char **path);

#endif /* XLD_SIMCON_H */
