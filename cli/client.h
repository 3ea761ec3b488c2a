/*
 * client.h - the client side of xld's control protocol (doc/protocol.md).
 *
 * A connection is one UNIX stream socket to xld.  xlctl_client_connect()
 * reads and checks the greeting; xlctl_client_send() writes a request
 * with a fresh id; xlctl_client_wait() reads lines until the reply with
 * that id arrives, giving every event (DOMAIN_STATE, PROGRESS...) that
 * comes in between to a callback, and keeping replies to other requests
 * in flight for their own wait.  xlctl_client_call() is send + wait.
 *
 * Conventions: _init/_dispose; functions return 0 or -1, and on -1 the
 * client holds an error (xlctl_client_error(), printed with
 * xlctl_client_perror()): either one that xld reported (a class, a
 * description, and for ConfigError the parser's diagnostics) or one of
 * the client's own (no daemon, permission, protocol, timeout).  Nothing
 * here exits; nothing prints except xlctl_client_perror().
 */
#ifndef XLCTL_CLIENT_H
#define XLCTL_CLIENT_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

/* Where xld listens unless told otherwise. */
#define XLCTL_CLIENT_SOCKET "/run/xld/xld.sock"
#define XLCTL_CLIENT_RO_SOCKET "/run/xld/xld-ro.sock"

/* How long to wait for the greeting, and for the answer to a query,
 * before deciding that xld is stuck. */
#define XLCTL_CLIENT_GREETING_MS 10000
#define XLCTL_CLIENT_QUERY_MS 60000
/* No timeout: for operations that take as long as they take (save,
 * restore, shutdown --wait), and for commands that may queue behind
 * them. */
#define XLCTL_CLIENT_FOREVER (-1)

/* A line longer than this from xld is a protocol error.  xld only
 * accepts 1 MiB from clients, but its own answers (a long list, a
 * domain's config) may be larger. */
#define XLCTL_CLIENT_MAX_LINE (64u * 1024 * 1024)

/* Called for every event that arrives while waiting: name is the
 * event's name ("DOMAIN_STATE", "PROGRESS"), data its "data" object (or
 * NULL), msg the whole message.  The values are valid during the call
 * only. */
typedef void xlctl_client_event_fn(void *opaque, const char *name,
                                   yajl_val data, yajl_val msg);

/* What went wrong, for the caller to print or to look at. */
struct xlctl_client_error {
    /* xld's error class ("DomainNotFound"...), or NULL when the error is
     * the client's own (the connection, the protocol). */
    char *cls;
    char *desc;
    /* The whole error message from xld (owned), for its diagnostics. */
    yajl_val msg;
};

/* A reply that arrived while waiting for another. */
struct xlctl_client_pending;

struct xlctl_client {
    int fd;
    char *path;             /* the socket we are connected to */
    /* The admin socket we meant (differs from path after a fall back to
     * the read-only socket), for messages about permissions. */
    char *admin_path;
    bool read_only;         /* the greeting said "access": "read-only" */
    char *version;          /* xld's version, from the greeting */
    long long next_id;
    /* Bytes read and not yet consumed. */
    char *buf;
    size_t len, cap;
    size_t scanned;         /* buf[0..scanned) holds no newline */
    struct xlctl_client_pending *pending;
    xlctl_client_event_fn *on_event;
    void *opaque;
    /* When set, waits use ppoll(2) with this signal mask: a caller that
     * blocks SIGINT and SIGTERM and sets xlctl_client_interrupted from
     * their handlers gets every one of them noticed. */
    const sigset_t *sigmask;
    /* An event callback sets this to end xlctl_client_wait(c, 0, ...)
     * with success. */
    bool stop;
    struct xlctl_client_error err;
};

/* Set from a signal handler to make a wait return (with the error
 * "interrupted") at the next signal; see xlctl_client_wait(). */
extern volatile sig_atomic_t xlctl_client_interrupted;

void xlctl_client_init(struct xlctl_client *c);
void xlctl_client_dispose(struct xlctl_client *c);

/*
 * Connect to xld.  path: the admin socket (NULL: $XLD_SOCKET, else the
 * default).  When allow_ro is set (a verb that changes nothing) and the
 * admin socket refuses us for want of permission, fall back to the
 * read-only socket: ro_path, else $XLD_RO_SOCKET, else the default one
 * when path is the default, else "NAME-ro.sock" next to a "NAME.sock"
 * path.  Reads and checks the greeting.
 */
int xlctl_client_connect(struct xlctl_client *c, const char *path,
                         const char *ro_path, bool allow_ro);

/* Where events go from now on (NULL: nowhere). */
void xlctl_client_on_event(struct xlctl_client *c, xlctl_client_event_fn *fn,
                           void *opaque);

/*
 * The arguments of a request, built key by key with the helpers below.
 * A step that fails (no memory, a string that is not UTF-8) is
 * remembered, and xlctl_client_send() reports it, so callers need not
 * check each step; the helpers accept NULL (xlctl_client_args() out of
 * memory) for the same reason.
 */
struct xlctl_client_args {
    yajl_gen g;
    yajl_gen_status failed;     /* the first failure, or yajl_gen_status_ok */
};

struct xlctl_client_args *xlctl_client_args(void);
void xlctl_client_args_free(struct xlctl_client_args *a);
void xlctl_client_arg_str(struct xlctl_client_args *a, const char *key,
                          const char *val);
void xlctl_client_arg_int(struct xlctl_client_args *a, const char *key,
                          long long val);
void xlctl_client_arg_bool(struct xlctl_client_args *a, const char *key,
                           bool val);
void xlctl_client_arg_strv(struct xlctl_client_args *a, const char *key,
                           char *const *vals, size_t n);
/* A domain as the user wrote it: a string of digits goes as a number,
 * anything else (a name, a UUID) as a string. */
void xlctl_client_arg_domain(struct xlctl_client_args *a, const char *key,
                             const char *dom);

/* Send a request; args (may be NULL: no arguments) is consumed, whatever
 * happens.  *id is the request's id, for xlctl_client_wait(). */
int xlctl_client_send(struct xlctl_client *c, const char *execute,
                      struct xlctl_client_args *args, long long *id);
/* The same, with file descriptors passed along (SCM_RIGHTS, with the
 * request's first bytes): xld takes them for this request
 * (migrate-receive's stream).  At most XLCTL_CLIENT_MAX_FDS. */
#define XLCTL_CLIENT_MAX_FDS 2
int xlctl_client_send_fds(struct xlctl_client *c, const char *execute,
                          struct xlctl_client_args *args, const int *fds,
                          size_t nfds, long long *id);

/*
 * Read until the reply to request id arrives.  On 0, *ret is the reply
 * message (free it with yajl_tree_free) and *value its "return" value
 * (inside *ret; may be NULL if the caller does not care).  On -1 (xld
 * answered with an error, the connection broke, timeout_ms went by
 * without the reply, or xlctl_client_interrupted was set) nothing is
 * returned.  id 0 waits for no reply: it reads events until an event
 * callback sets c->stop (then it clears it and returns 0), the
 * connection ends or an interruption (both errors).
 */
int xlctl_client_wait(struct xlctl_client *c, long long id, int timeout_ms,
                      yajl_val *ret, yajl_val *value);

/* send + wait. */
int xlctl_client_call(struct xlctl_client *c, const char *execute,
                      struct xlctl_client_args *args, int timeout_ms,
                      yajl_val *ret, yajl_val *value);

/* The last error. */
const struct xlctl_client_error *xlctl_client_error(
    const struct xlctl_client *c);
/* Print the last error as "xlctl: ..." lines, with a ConfigError's
 * diagnostics as FILE:LINE:COLUMN lines; what is the command, for the
 * messages that need it (a read-only refusal). */
void xlctl_client_perror(const struct xlctl_client *c, const char *what,
                         FILE *f);

/* Small accessors on replies: a key of an object, or NULL / a default
 * when it is missing or of another type. */
yajl_val xlctl_json_get(yajl_val obj, const char *key);
const char *xlctl_json_str(yajl_val obj, const char *key);
long long xlctl_json_int(yajl_val obj, const char *key, long long dflt);
double xlctl_json_double(yajl_val obj, const char *key, double dflt);
bool xlctl_json_bool(yajl_val obj, const char *key, bool dflt);

/* Print a JSON value followed by a newline: beautified, or on one line
 * (as xld sends it).  Returns 0, or -1 when out of memory or when
 * writing fails. */
int xlctl_json_print(yajl_val v, bool pretty, FILE *f);
/* Add a parsed value to a generator. */
yajl_gen_status xlctl_json_gen(yajl_gen g, yajl_val v);

#endif /* XLCTL_CLIENT_H */
