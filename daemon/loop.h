/*
 * loop.h - xld's event loop: one thread, poll(2), file descriptors,
 * timers on the monotonic clock, and deferred calls.
 *
 * Everything xld does is a reaction to one of these; nothing blocks.
 * Handles stay valid until deleted; deleting one from inside any
 * callback (its own included) is safe.
 */
#ifndef XLD_LOOP_H
#define XLD_LOOP_H

#include <stdbool.h>
#include <stdint.h>

struct xld_loop;
struct xld_watch;   /* a watched fd */
struct xld_timer;

typedef void xld_fd_fn(void *opaque, int fd, short revents);
typedef void xld_timer_fn(void *opaque);

int xld_loop_new(struct xld_loop **out);
void xld_loop_free(struct xld_loop *loop);

/* Watch fd for events (POLLIN, POLLOUT); fn runs with what happened. */
int xld_loop_watch(struct xld_loop *loop, int fd, short events,
                   xld_fd_fn *fn, void *opaque, struct xld_watch **out);
void xld_loop_watch_events(struct xld_watch *w, short events);
void xld_loop_unwatch(struct xld_watch *w);

/* Call fn once, ms milliseconds from now (0: at the next turn of the
 * loop, after the current callback returns; that is how asynchronous
 * operations report "done" without calling back from inside the call). */
int xld_loop_timer(struct xld_loop *loop, uint64_t ms, xld_timer_fn *fn,
                   void *opaque, struct xld_timer **out);
void xld_loop_cancel(struct xld_timer *t);

/* The monotonic clock, in milliseconds. */
uint64_t xld_loop_now(struct xld_loop *loop);

/* Run until xld_loop_stop(); returns 0, or an errno value if poll fails
 * for a reason other than a signal. */
int xld_loop_run(struct xld_loop *loop);
void xld_loop_stop(struct xld_loop *loop);

#endif /* XLD_LOOP_H */
