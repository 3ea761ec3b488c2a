/*
 * control.h - xld's two control sockets and their clients.
 *
 * The admin socket takes every command, the read-only socket only
 * queries (doc/protocol.md).  This layer knows nothing of JSON: it
 * checks who connected (SO_PEERCRED), cuts the input into lines, and
 * queues output, so that a slow or dead client never blocks xld or the
 * other clients.  What the lines mean is proto.c's business, reached
 * through the handlers given to xld_control_open().
 */
#ifndef XLD_CONTROL_H
#define XLD_CONTROL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct xld_loop;
struct xld_control;
struct xld_client;

/* The longest request line, and the most output queued for one client
 * before xld gives up on it. */
#define XLD_CONTROL_MAX_LINE (1024u * 1024)
#define XLD_CONTROL_MAX_QUEUED (4u * 1024 * 1024)
/* The most file descriptors a client may pass with a request. */
#define XLD_CONTROL_MAX_FDS 2

enum xld_client_access {
    XLD_ACCESS_REFUSED,    /* on the admin socket without the right */
    XLD_ACCESS_READONLY,
    XLD_ACCESS_ADMIN,
};

struct xld_control_options {
    const char *path;       /* the admin socket */
    const char *ro_path;    /* the read-only socket */
    bool have_group;
    gid_t group;            /* members may use the admin socket */
};

void xld_control_options_init(struct xld_control_options *o);
void xld_control_options_dispose(struct xld_control_options *o);

struct xld_control_handlers {
    /* A client connected: send the greeting.  A refused client is
     * closed once what the handler sends is written. */
    void (*connected)(void *opaque, struct xld_client *c);
    /* One request line, NUL-terminated in place of its newline (a final
     * \r is removed too); the handler must not keep the pointer. */
    void (*request)(void *opaque, struct xld_client *c, char *line,
                    size_t len);
    /* The client sent a line over XLD_CONTROL_MAX_LINE: send the error;
     * the client is closed once it is written. */
    void (*too_large)(void *opaque, struct xld_client *c);
};

/*
 * Create both sockets and listen.  Fails (errno value, with the reason
 * logged) when a socket cannot be made, or when another xld already
 * listens on one of the paths.
 */
int xld_control_open(struct xld_control **out, struct xld_loop *loop,
                     const struct xld_control_options *opts,
                     const struct xld_control_handlers *handlers,
                     void *opaque);
/* Close every client and both sockets, and remove the socket files. */
void xld_control_close(struct xld_control *ctl);

/* Stop accepting new clients (xld is stopping); the socket files are
 * removed so that clients fail fast instead of waiting. */
void xld_control_stop_listening(struct xld_control *ctl);

/* Send a line (a newline is added) to every subscribed client. */
void xld_control_broadcast(struct xld_control *ctl, const char *buf,
                           size_t len);

/* How many clients are connected. */
size_t xld_control_nclients(const struct xld_control *ctl);

/*
 * Clients.  A client stays allocated while someone holds a reference:
 * the connection holds one, and every request in flight takes one with
 * xld_client_ref(), so that a reply can be sent (or dropped, if the
 * client went away) whenever the operation finishes.
 */
void xld_client_ref(struct xld_client *c);
void xld_client_unref(struct xld_client *c);

/* Queue a line (a newline is added).  Dropped silently when the client
 * is gone; a client whose queue grows past XLD_CONTROL_MAX_QUEUED is
 * closed. */
void xld_client_send(struct xld_client *c, const char *buf, size_t len);

/* Close once everything queued is written. */
void xld_client_close_after_flush(struct xld_client *c);

bool xld_client_alive(const struct xld_client *c);
/*
 * The file descriptors the client sent (SCM_RIGHTS) with the request
 * line being handled, or before it on the same connection: up to max
 * go to fds, and are the caller's to close.  Returns how many.  Those a
 * request does not take are closed once every line is handled.
 */
size_t xld_client_take_fds(struct xld_client *c, int *fds, size_t max);
enum xld_client_access xld_client_access(const struct xld_client *c);
void xld_client_subscribe(struct xld_client *c);
/* "client 7 (uid 0, pid 1234)": for the log. */
const char *xld_client_name(const struct xld_client *c);

#endif /* XLD_CONTROL_H */
