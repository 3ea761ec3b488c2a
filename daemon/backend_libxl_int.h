/*
 * backend_libxl_int.h - the parts of the libxl backend (backend_libxl.c)
 * that need no hypervisor, exposed so that tests/check_libxl.c can hold
 * them to their rules on a machine without Xen.  Nothing else in xld
 * includes this header: the backend's interface is backend.h.
 */
#ifndef XLD_BACKEND_LIBXL_INT_H
#define XLD_BACKEND_LIBXL_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>
#include <sys/time.h>

#include <libxl.h>
#include <libxl_event.h>
#include <xentoollog.h>

#include "backend.h"
#include "log.h"

struct xld_loop;

/*
 * The userdata id under which xld keeps its record of a domain with the
 * domain (libxl_userdata_store).  Not "xl": xl keeps its config text
 * there, and xl and xld must not overwrite each other's data.
 */
#define XLD_LX_USERDATA_ID "xld"

/* Whether id may be a userdata id of ours: a short printable ASCII word
 * that libxl can put in a file name (no '/', no '.', which libxl uses
 * to separate the parts of the name), and none of the ids the libxl
 * registry gives to others ("xl", "libvirt-xml", "libxl-json",
 * "domain-userdata-lock"). */
bool xld_lx_userdata_id_ok(const char *id);

/* libxl's error code (ERROR_*, or a positive errno value one of our
 * osevent hooks gave libxl) as a negative errno value; 0 stays 0. */
int xld_lx_errno(int lxrc);

/* Whether the table knows this ERROR_* code (for the test that every
 * code libxl defines has its own entry). */
bool xld_lx_errno_known(int lxrc);

/* A libxl event as the backend event it means; false for the events
 * xld has no use for (disk eject, operation complete...). */
bool xld_lx_translate_event(const libxl_event *ev,
                            struct xld_backend_event *out);

/* The level of xld's log for a libxl/libxc message. */
enum xld_log_level xld_lx_log_level(xentoollog_level level);

/*
 * How many milliseconds from now a libxl timeout at abs (wall clock, as
 * libxl reads gettimeofday) is due: 0 for {0,0} (libxl's "now") and for
 * a time already past, rounded up otherwise so that it never fires
 * early.
 */
uint64_t xld_lx_timeout_ms(struct timeval abs, struct timeval now);

/*
 * libxl's file descriptors and timeouts on xld's loop (the
 * libxl_osevent_hooks): every registration is one watch or one timer
 * of the loop.  When one is due, the fire functions are called (in the
 * backend: libxl_osevent_occurred_fd/_timeout; in the tests: a
 * recorder).  A timeout fires exactly once: its registration is gone
 * (freed) before fire_timeout runs, as libxl's rules say.
 */
typedef void xld_lx_fire_fd_fn(void *opaque, void *for_libxl, int fd,
                               short events, short revents);
typedef void xld_lx_fire_timeout_fn(void *opaque, void *for_libxl);

struct xld_lx_fdreg;
struct xld_lx_timereg;

struct xld_lx_osev {
    struct xld_loop *loop;
    xld_lx_fire_fd_fn *fire_fd;
    xld_lx_fire_timeout_fn *fire_timeout;
    void *opaque;
    LIST_HEAD(, xld_lx_fdreg) fds;
    LIST_HEAD(, xld_lx_timereg) timeouts;
    unsigned nfds, ntimeouts;
};

void xld_lx_osev_init(struct xld_lx_osev *os, struct xld_loop *loop,
                      xld_lx_fire_fd_fn *fire_fd,
                      xld_lx_fire_timeout_fn *fire_timeout, void *opaque);
/* Drops every registration left (libxl never deregisters a timeout). */
void xld_lx_osev_dispose(struct xld_lx_osev *os);

/* The hooks to give libxl_osevent_register_hooks, with the osev as
 * user. */
extern const libxl_osevent_hooks xld_lx_osevent_hooks;

#endif /* XLD_BACKEND_LIBXL_INT_H */
