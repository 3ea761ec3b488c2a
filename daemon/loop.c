/*
 * loop.c - the event loop (see loop.h).
 *
 * Watches and timers live in plain arrays and lists: xld watches a few
 * dozen fds at most (the sockets and their clients) and its timers are
 * few, so a linear scan per turn costs nothing next to a system call and
 * keeps the code obvious.  Deletion only marks an entry dead; dead
 * entries are freed between turns, so a callback may delete anything,
 * itself included, without pulling the floor from under the loop.
 */
#define _GNU_SOURCE

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "loop.h"

struct xld_watch {
    struct xld_loop *loop;
    int fd;
    short events;
    xld_fd_fn *fn;
    void *opaque;
    bool dead;
    struct xld_watch *next;
};

struct xld_timer {
    struct xld_loop *loop;
    uint64_t when;
    uint64_t seq;          /* equal deadlines fire in the order set */
    xld_timer_fn *fn;
    void *opaque;
    bool dead;
    struct xld_timer *next;
};

struct xld_loop {
    struct xld_watch *watches;
    struct xld_timer *timers;
    uint64_t seq;
    bool stop;
};

int xld_loop_new(struct xld_loop **out)
{
    *out = calloc(1, sizeof(**out));
    return *out ? 0 : ENOMEM;
}

void xld_loop_free(struct xld_loop *loop)
{
    if (!loop)
        return;
    while (loop->watches) {
        struct xld_watch *w = loop->watches;

        loop->watches = w->next;
        free(w);
    }
    while (loop->timers) {
        struct xld_timer *t = loop->timers;

        loop->timers = t->next;
        free(t);
    }
    free(loop);
}

uint64_t xld_loop_now(struct xld_loop *loop)
{
    struct timespec ts;

    (void)loop;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int xld_loop_watch(struct xld_loop *loop, int fd, short events,
                   xld_fd_fn *fn, void *opaque, struct xld_watch **out)
{
    struct xld_watch *w = calloc(1, sizeof(*w));

    if (!w)
        return ENOMEM;
    w->loop = loop;
    w->fd = fd;
    w->events = events;
    w->fn = fn;
    w->opaque = opaque;
    w->next = loop->watches;
    loop->watches = w;
    if (out)
        *out = w;
    return 0;
}

void xld_loop_watch_events(struct xld_watch *w, short events)
{
    w->events = events;
}

void xld_loop_unwatch(struct xld_watch *w)
{
    if (w)
        w->dead = true;
}

int xld_loop_timer(struct xld_loop *loop, uint64_t ms, xld_timer_fn *fn,
                   void *opaque, struct xld_timer **out)
{
    struct xld_timer *t = calloc(1, sizeof(*t)), **pp;

    if (!t)
        return ENOMEM;
    t->loop = loop;
    t->when = xld_loop_now(loop) + ms;
    t->seq = loop->seq++;
    t->fn = fn;
    t->opaque = opaque;
    /* Kept sorted by deadline, then by the order they were set. */
    for (pp = &loop->timers; *pp && (*pp)->when <= t->when; pp = &(*pp)->next)
        ;
    t->next = *pp;
    *pp = t;
    if (out)
        *out = t;
    return 0;
}

void xld_loop_cancel(struct xld_timer *t)
{
    if (t)
        t->dead = true;
}

void xld_loop_stop(struct xld_loop *loop)
{
    loop->stop = true;
}

/* Free what callbacks deleted during the last turn. */
static void reap(struct xld_loop *loop)
{
    for (struct xld_watch **pp = &loop->watches; *pp;) {
        struct xld_watch *w = *pp;

        if (w->dead) {
            *pp = w->next;
            free(w);
        } else {
            pp = &w->next;
        }
    }
    for (struct xld_timer **pp = &loop->timers; *pp;) {
        struct xld_timer *t = *pp;

        if (t->dead) {
            *pp = t->next;
            free(t);
        } else {
            pp = &t->next;
        }
    }
}

/* Run the timers that are due; those set while running wait for the next
 * turn, so a timer of 0 ms cannot starve the fds. */
static void run_timers(struct xld_loop *loop)
{
    uint64_t now = xld_loop_now(loop), limit = loop->seq;

    for (struct xld_timer *t = loop->timers; t && t->when <= now;
         t = t->next) {
        if (t->dead || t->seq >= limit)
            continue;
        t->dead = true;
        t->fn(t->opaque);
        if (loop->stop)
            return;
    }
}

int xld_loop_run(struct xld_loop *loop)
{
    struct pollfd *pfds = NULL;
    struct xld_watch **ws = NULL;
    size_t cap = 0;
    int rc = 0;

    loop->stop = false;
    while (!loop->stop) {
        size_t n = 0;
        int timeout = -1, got;

        reap(loop);
        for (struct xld_watch *w = loop->watches; w; w = w->next)
            n++;
        if (n > cap) {
            struct pollfd *np = realloc(pfds, n * sizeof(*np));
            struct xld_watch **nw;

            if (!np) {
                rc = ENOMEM;
                break;
            }
            pfds = np;
            nw = realloc(ws, n * sizeof(*nw));
            if (!nw) {
                rc = ENOMEM;
                break;
            }
            ws = nw;
            cap = n;
        }
        n = 0;
        for (struct xld_watch *w = loop->watches; w; w = w->next) {
            /* A watch that asks for nothing is not polled at all: poll
             * reports a hangup or an error whatever the events, and a
             * watch paused on a closed fd would spin the loop. */
            pfds[n].fd = w->events ? w->fd : -1;
            pfds[n].events = w->events;
            pfds[n].revents = 0;
            ws[n++] = w;
        }
        for (struct xld_timer *t = loop->timers; t; t = t->next) {
            if (!t->dead) {
                uint64_t now = xld_loop_now(loop);

                timeout = t->when <= now ? 0
                          : (t->when - now > 60000 ? 60000
                                                   : (int)(t->when - now));
                break;
            }
        }
        got = poll(pfds, n, timeout);
        if (got < 0 && errno != EINTR) {
            rc = errno;
            break;
        }
        for (size_t i = 0; got > 0 && i < n && !loop->stop; i++)
            if (pfds[i].revents && !ws[i]->dead)
                ws[i]->fn(ws[i]->opaque, ws[i]->fd, pfds[i].revents);
        if (!loop->stop)
            run_timers(loop);
    }
    reap(loop);
    free(pfds);
    free(ws);
    return rc;
}
