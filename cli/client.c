/*
 * client.c - the client side of xld's control protocol: connect, check
 * the greeting, send requests, and match replies to them while events
 * flow past.
 */
/* asprintf, ppoll. */
#define _GNU_SOURCE
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "client.h"

/* The protocol version this client speaks. */
#define PROTOCOL 1

volatile sig_atomic_t xlctl_client_interrupted;

/* A request sent and not yet collected by xlctl_client_wait(): its reply
 * may arrive while we wait for another one. */
struct xlctl_client_pending {
    struct xlctl_client_pending *next;
    long long id;
    char *execute;
    yajl_val reply;          /* NULL until it arrives */
};

/* ---- errors ------------------------------------------------------------ */

static void clear_error(struct xlctl_client *c)
{
    free(c->err.cls);
    free(c->err.desc);
    yajl_tree_free(c->err.msg);
    memset(&c->err, 0, sizeof(c->err));
}

/* Record an error of the client's own.  Always returns -1, so that
 * callers can `return fail(c, ...)`. */
static int fail(struct xlctl_client *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int fail(struct xlctl_client *c, const char *fmt, ...)
{
    va_list ap;
    char *s = NULL;

    clear_error(c);
    va_start(ap, fmt);
    if (vasprintf(&s, fmt, ap) < 0)
        s = NULL;
    va_end(ap);
    /* Without memory for the message, strerror's static text still says
     * what the trouble is. */
    c->err.desc = s ? s : strdup(strerror(ENOMEM));
    return -1;
}

/* Record the error xld sent in msg, which the client takes over. */
static int fail_reply(struct xlctl_client *c, yajl_val msg)
{
    yajl_val e = xlctl_json_get(msg, "error");
    const char *cls = xlctl_json_str(e, "class");
    const char *desc = xlctl_json_str(e, "desc");

    clear_error(c);
    c->err.cls = strdup(cls ? cls : "Failed");
    c->err.desc = strdup(desc ? desc : c->err.cls ? c->err.cls : "");
    c->err.msg = msg;
    if (!c->err.cls || !c->err.desc) {
        free(c->err.cls);
        c->err.cls = NULL;
        free(c->err.desc);
        c->err.desc = NULL;
        return fail(c, "%s", strerror(ENOMEM));
    }
    return -1;
}

const struct xlctl_client_error *xlctl_client_error(
    const struct xlctl_client *c)
{
    return &c->err;
}

/* "run as root or join group NAME", NAME being the group that owns the
 * admin socket: that is the group xld was told to let in (--group). */
static char *permission_hint(const char *path)
{
    struct stat st;
    struct group *gr;
    char *s = NULL;

    if (path && stat(path, &st) == 0 && st.st_gid != 0
        && (gr = getgrgid(st.st_gid)) != NULL) {
        if (asprintf(&s, "run as root or join group %s", gr->gr_name) < 0)
            s = NULL;
        return s;
    }
    return strdup("run as root or join xld's admin group (xld --group)");
}

void xlctl_client_perror(const struct xlctl_client *c, const char *what,
                         FILE *f)
{
    const struct xlctl_client_error *e = &c->err;
    yajl_val diags;

    if (!e->cls) {
        fprintf(f, "xlctl: %s\n", e->desc ? e->desc : "unknown error");
        return;
    }
    if (strcmp(e->cls, "PermissionDenied") == 0 && c->read_only) {
        char *hint = permission_hint(c->admin_path);

        fprintf(f, "xlctl: %s: %s is xld's read-only socket, which only "
                "answers queries; %s\n", what ? what : "this command",
                c->path, hint ? hint : strerror(ENOMEM));
        free(hint);
        return;
    }
    diags = xlctl_json_get(xlctl_json_get(e->msg, "error"), "diagnostics");
    if (strcmp(e->cls, "ConfigError") == 0 && YAJL_IS_ARRAY(diags)
        && diags->u.array.len > 0) {
        /* The same shape as `xlctl config check` prints them. */
        for (size_t i = 0; i < diags->u.array.len; i++) {
            yajl_val d = diags->u.array.values[i];
            const char *file = xlctl_json_str(d, "file");
            const char *sev = xlctl_json_str(d, "severity");
            const char *msg = xlctl_json_str(d, "message");
            long long line = xlctl_json_int(d, "line", 0);
            long long col = xlctl_json_int(d, "column", 0);

            sev = sev && strcmp(sev, "warning") == 0 ? "warning: " : "";
            if (line > 0)
                fprintf(f, "%s:%lld:%lld: %s%s\n", file ? file : "config",
                        line, col, sev, msg ? msg : "");
            else
                fprintf(f, "%s: %s%s\n", file ? file : "config", sev,
                        msg ? msg : "");
        }
        return;
    }
    fprintf(f, "xlctl: %s\n", e->desc);
}

/* ---- JSON helpers ------------------------------------------------------ */

yajl_val xlctl_json_get(yajl_val obj, const char *key)
{
    if (!YAJL_IS_OBJECT(obj))
        return NULL;
    for (size_t i = 0; i < obj->u.object.len; i++)
        if (strcmp(obj->u.object.keys[i], key) == 0)
            return obj->u.object.values[i];
    return NULL;
}

const char *xlctl_json_str(yajl_val obj, const char *key)
{
    yajl_val v = xlctl_json_get(obj, key);

    return YAJL_IS_STRING(v) ? YAJL_GET_STRING(v) : NULL;
}

long long xlctl_json_int(yajl_val obj, const char *key, long long dflt)
{
    yajl_val v = xlctl_json_get(obj, key);

    if (YAJL_IS_INTEGER(v))
        return YAJL_GET_INTEGER(v);
    if (YAJL_IS_DOUBLE(v))
        return (long long)YAJL_GET_DOUBLE(v);
    return dflt;
}

double xlctl_json_double(yajl_val obj, const char *key, double dflt)
{
    yajl_val v = xlctl_json_get(obj, key);

    if (YAJL_IS_DOUBLE(v))
        return YAJL_GET_DOUBLE(v);
    if (YAJL_IS_INTEGER(v))
        return (double)YAJL_GET_INTEGER(v);
    return dflt;
}

bool xlctl_json_bool(yajl_val obj, const char *key, bool dflt)
{
    yajl_val v = xlctl_json_get(obj, key);

    if (YAJL_IS_TRUE(v))
        return true;
    if (YAJL_IS_FALSE(v))
        return false;
    return dflt;
}

yajl_gen_status xlctl_json_gen(yajl_gen g, yajl_val v)
{
    yajl_gen_status s = yajl_gen_status_ok;

    if (!v)
        return yajl_gen_null(g);
    switch (v->type) {
    case yajl_t_string:
        return yajl_gen_string(g, (const unsigned char *)v->u.string,
                               strlen(v->u.string));
    case yajl_t_number:
        /* The number as xld wrote it, so that nothing is lost to a
         * conversion. */
        return yajl_gen_number(g, v->u.number.r, strlen(v->u.number.r));
    case yajl_t_object:
        s = yajl_gen_map_open(g);
        for (size_t i = 0; s == yajl_gen_status_ok && i < v->u.object.len;
             i++) {
            const char *k = v->u.object.keys[i];

            s = yajl_gen_string(g, (const unsigned char *)k, strlen(k));
            if (s == yajl_gen_status_ok)
                s = xlctl_json_gen(g, v->u.object.values[i]);
        }
        return s == yajl_gen_status_ok ? yajl_gen_map_close(g) : s;
    case yajl_t_array:
        s = yajl_gen_array_open(g);
        for (size_t i = 0; s == yajl_gen_status_ok && i < v->u.array.len;
             i++)
            s = xlctl_json_gen(g, v->u.array.values[i]);
        return s == yajl_gen_status_ok ? yajl_gen_array_close(g) : s;
    case yajl_t_true:
        return yajl_gen_bool(g, 1);
    case yajl_t_false:
        return yajl_gen_bool(g, 0);
    case yajl_t_null:
    case yajl_t_any:
    default:
        return yajl_gen_null(g);
    }
}

int xlctl_json_print(yajl_val v, bool pretty, FILE *f)
{
    yajl_gen g = yajl_gen_alloc(NULL);
    const unsigned char *buf;
    size_t len;
    int rc = -1;

    if (!g)
        return -1;
    if (pretty) {
        yajl_gen_config(g, yajl_gen_beautify, 1);
        yajl_gen_config(g, yajl_gen_indent_string, "    ");
    }
    if (xlctl_json_gen(g, v) != yajl_gen_status_ok
        || yajl_gen_get_buf(g, &buf, &len) != yajl_gen_status_ok)
        goto out;
    /* yajl's beautifier ends a document with a newline; a bare scalar
     * has none. */
    if (fwrite(buf, 1, len, f) != len
        || (len && buf[len - 1] != '\n' && fputc('\n', f) == EOF))
        goto out;
    rc = 0;

out:
    yajl_gen_free(g);
    return rc;
}

/* ---- arguments ------------------------------------------------------- */

static void note(struct xlctl_client_args *a, yajl_gen_status s)
{
    if (a->failed == yajl_gen_status_ok)
        a->failed = s;
}

static void key(struct xlctl_client_args *a, const char *k)
{
    note(a, yajl_gen_string(a->g, (const unsigned char *)k, strlen(k)));
}

struct xlctl_client_args *xlctl_client_args(void)
{
    struct xlctl_client_args *a = calloc(1, sizeof(*a));

    if (!a)
        return NULL;
    a->g = yajl_gen_alloc(NULL);
    if (!a->g) {
        free(a);
        return NULL;
    }
    /* A string from the command line that is not UTF-8 would make a line
     * that xld rejects as a whole; better to say so here. */
    yajl_gen_config(a->g, yajl_gen_validate_utf8, 1);
    /* The request is built around the arguments: the outer map and the
     * "arguments" key now, "execute" and "id" when it is sent. */
    note(a, yajl_gen_map_open(a->g));
    key(a, "arguments");
    note(a, yajl_gen_map_open(a->g));
    return a;
}

void xlctl_client_args_free(struct xlctl_client_args *a)
{
    if (!a)
        return;
    yajl_gen_free(a->g);
    free(a);
}

void xlctl_client_arg_str(struct xlctl_client_args *a, const char *k,
                          const char *val)
{
    if (!a)
        return;
    key(a, k);
    note(a, yajl_gen_string(a->g, (const unsigned char *)val, strlen(val)));
}

void xlctl_client_arg_int(struct xlctl_client_args *a, const char *k,
                          long long val)
{
    if (!a)
        return;
    key(a, k);
    note(a, yajl_gen_integer(a->g, val));
}

void xlctl_client_arg_bool(struct xlctl_client_args *a, const char *k,
                           bool val)
{
    if (!a)
        return;
    key(a, k);
    note(a, yajl_gen_bool(a->g, val));
}

void xlctl_client_arg_strv(struct xlctl_client_args *a, const char *k,
                           char *const *vals, size_t n)
{
    if (!a)
        return;
    key(a, k);
    note(a, yajl_gen_array_open(a->g));
    for (size_t i = 0; i < n; i++)
        note(a, yajl_gen_string(a->g, (const unsigned char *)vals[i],
                                strlen(vals[i])));
    note(a, yajl_gen_array_close(a->g));
}

void xlctl_client_arg_domain(struct xlctl_client_args *a, const char *k,
                             const char *dom)
{
    char *end;
    unsigned long long v;

    if (!a)
        return;
    /* Only a plain string of digits that fits a domid is a number; the
     * protocol takes both forms, but a number is what xl means by it. */
    errno = 0;
    v = strtoull(dom, &end, 10);
    if (dom[0] >= '0' && dom[0] <= '9' && !*end && !errno
        && v <= UINT32_MAX)
        xlctl_client_arg_int(a, k, (long long)v);
    else
        xlctl_client_arg_str(a, k, dom);
}

/* ---- the connection -------------------------------------------------- */

void xlctl_client_init(struct xlctl_client *c)
{
    memset(c, 0, sizeof(*c));
    c->fd = -1;
    c->next_id = 1;
}

static void pending_free(struct xlctl_client_pending *p)
{
    free(p->execute);
    yajl_tree_free(p->reply);
    free(p);
}

static void disconnect(struct xlctl_client *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    c->len = c->scanned = 0;
}

void xlctl_client_dispose(struct xlctl_client *c)
{
    disconnect(c);
    while (c->pending) {
        struct xlctl_client_pending *p = c->pending;

        c->pending = p->next;
        pending_free(p);
    }
    free(c->path);
    free(c->admin_path);
    free(c->version);
    free(c->buf);
    clear_error(c);
    xlctl_client_init(c);
}

void xlctl_client_on_event(struct xlctl_client *c, xlctl_client_event_fn *fn,
                           void *opaque)
{
    c->on_event = fn;
    c->opaque = opaque;
}

static long long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Milliseconds left before deadline (-1: none), for poll(). */
static int remaining(long long deadline)
{
    long long left;

    if (deadline < 0)
        return -1;
    left = deadline - now_ms();
    if (left < 0)
        return 0;
    return left > INT_MAX ? INT_MAX : (int)left;
}

/* Read more bytes into the buffer.  Returns 1 when some came, 0 at the
 * end of the connection, -1 on an error (recorded). */
static int fill(struct xlctl_client *c, long long deadline, const char *what)
{
    struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
    ssize_t n;
    int rc;

    if (c->cap - c->len < 4096) {
        size_t cap = c->cap ? c->cap * 2 : 65536;
        char *b;

        if (cap > XLCTL_CLIENT_MAX_LINE + 1)
            cap = XLCTL_CLIENT_MAX_LINE + 1;
        if (c->len >= cap)
            return fail(c, "xld sent a line of more than %u bytes; giving "
                        "up", XLCTL_CLIENT_MAX_LINE);
        b = realloc(c->buf, cap);
        if (!b)
            return fail(c, "%s", strerror(ENOMEM));
        c->buf = b;
        c->cap = cap;
    }
    for (;;) {
        if (xlctl_client_interrupted)
            return fail(c, "interrupted");
        if (c->sigmask) {
            int ms = remaining(deadline);
            struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

            /* The signals that interrupt a wait are blocked outside of
             * ppoll, so that one arriving just before it is not lost. */
            rc = ppoll(&pfd, 1, ms < 0 ? NULL : &ts, c->sigmask);
        } else {
            rc = poll(&pfd, 1, remaining(deadline));
        }
        if (rc < 0 && errno == EINTR)
            continue;
        if (rc < 0)
            return fail(c, "waiting for xld: %s", strerror(errno));
        if (rc == 0)
            return fail(c, "xld (%s) did not answer %s in time; is it "
                        "stuck?", c->path, what);
        n = read(c->fd, c->buf + c->len, c->cap - c->len);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (n < 0)
            return fail(c, "reading from xld (%s): %s", c->path,
                        strerror(errno));
        c->len += (size_t)n;
        return n > 0;
    }
}

/*
 * Read one message.  Returns 1 with *msg (the caller frees it), 0 at a
 * clean end of the connection, -1 on an error (recorded).  what names
 * what we are waiting for, for messages.
 */
static int read_message(struct xlctl_client *c, long long deadline,
                        const char *what, yajl_val *msg)
{
    char *nl, errbuf[256];
    size_t linelen;
    int rc;

    *msg = NULL;
    for (;;) {
        nl = c->len > c->scanned
                 ? memchr(c->buf + c->scanned, '\n', c->len - c->scanned)
                 : NULL;
        if (nl)
            break;
        c->scanned = c->len;
        rc = fill(c, deadline, what);
        if (rc <= 0) {
            if (rc == 0 && c->len)
                return fail(c, "xld (%s) closed the connection in the "
                            "middle of a message", c->path);
            return rc;
        }
    }
    *nl = '\0';
    linelen = (size_t)(nl - c->buf) + 1;
    errbuf[0] = '\0';
    *msg = yajl_tree_parse(c->buf, errbuf, sizeof(errbuf));
    if (!*msg) {
        /* yajl's message spans lines; the first one says it. */
        errbuf[strcspn(errbuf, "\n")] = '\0';
        rc = fail(c, "protocol error: xld sent a line that is not JSON "
                  "(%s)", errbuf[0] ? errbuf : "out of memory?");
    } else if (!YAJL_IS_OBJECT(*msg)) {
        yajl_tree_free(*msg);
        *msg = NULL;
        rc = fail(c, "protocol error: xld sent a message that is not a "
                  "JSON object");
    } else {
        rc = 1;
    }
    memmove(c->buf, c->buf + linelen, c->len - linelen);
    c->len -= linelen;
    c->scanned = 0;
    return rc;
}

static int write_all(struct xlctl_client *c, const void *data, size_t len)
{
    const char *p = data;

    while (len) {
        /* MSG_NOSIGNAL: a daemon that went away is an error to report,
         * not a SIGPIPE that kills xlctl without a word. */
        ssize_t n = send(c->fd, p, len, MSG_NOSIGNAL);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EPIPE || errno == ECONNRESET))
            return fail(c, "xld (%s) closed the connection", c->path);
        if (n < 0)
            return fail(c, "writing to xld (%s): %s", c->path,
                        strerror(errno));
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* connect(2) to a socket path: 0 with *fd, or an errno value. */
static int try_connect(const char *path, int *fd)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    int s, err;

    *fd = -1;
    if (strlen(path) >= sizeof(sa.sun_path))
        return ENAMETOOLONG;
    memcpy(sa.sun_path, path, strlen(path) + 1);
    s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0)
        return errno;
    while (connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        if (errno == EINTR)
            continue;
        err = errno;
        close(s);
        return err;
    }
    *fd = s;
    return 0;
}

/* The outcome of one attempt to connect. */
enum attempt {
    CONNECTED,
    DENIED,      /* the socket or xld refused us: try read-only */
    FAILED,      /* anything else; the error is recorded */
};

static enum attempt attempt(struct xlctl_client *c, const char *path)
{
    yajl_val msg = NULL, hello;
    long long deadline = now_ms() + XLCTL_CLIENT_GREETING_MS;
    const char *access;
    int err, rc;

    disconnect(c);
    free(c->path);
    c->path = strdup(path);
    if (!c->path) {
        fail(c, "%s", strerror(ENOMEM));
        return FAILED;
    }
    err = try_connect(path, &c->fd);
    switch (err) {
    case 0:
        break;
    case ENOENT:
        fail(c, "xld is not running (no socket at %s)", path);
        return FAILED;
    case ECONNREFUSED:
        fail(c, "xld is not running (nothing listens on %s)", path);
        return FAILED;
    case EACCES:
    case EPERM:
        return DENIED;
    default:
        fail(c, "cannot connect to xld at %s: %s", path, strerror(err));
        return FAILED;
    }
    rc = read_message(c, deadline, "the connection", &msg);
    if (rc == 0)
        fail(c, "xld (%s) closed the connection without a greeting",
             path);
    if (rc <= 0)
        goto failed;
    if (xlctl_json_get(msg, "error")) {
        /* xld refuses a client it does not trust with a greeting that is
         * an error (SO_PEERCRED): that is a permission matter. */
        if (strcmp(xlctl_json_str(xlctl_json_get(msg, "error"), "class")
                       ?: "", "PermissionDenied") == 0) {
            yajl_tree_free(msg);
            disconnect(c);
            return DENIED;
        }
        fail_reply(c, msg);
        msg = NULL;
        goto failed;
    }
    hello = xlctl_json_get(msg, "xld");
    if (!YAJL_IS_OBJECT(hello)) {
        fail(c, "protocol error: %s did not greet as xld does; is it xld's "
             "socket?", path);
        goto failed;
    }
    if (xlctl_json_int(hello, "protocol", -1) != PROTOCOL) {
        fail(c, "xld at %s speaks protocol %lld; this xlctl speaks "
             "protocol %d", path, xlctl_json_int(hello, "protocol", -1),
             PROTOCOL);
        goto failed;
    }
    access = xlctl_json_str(hello, "access");
    c->read_only = access && strcmp(access, "read-only") == 0;
    free(c->version);
    c->version = strdup(xlctl_json_str(hello, "version") ?: "");
    yajl_tree_free(msg);
    clear_error(c);
    return CONNECTED;

failed:
    yajl_tree_free(msg);
    disconnect(c);
    return FAILED;
}

/* The read-only socket that goes with an admin socket path. */
static char *ro_path_for(const char *path, const char *ro_path)
{
    const char *env = getenv("XLD_RO_SOCKET");
    size_t n = strlen(path);
    char *s;

    if (ro_path)
        return strdup(ro_path);
    if (env && *env)
        return strdup(env);
    if (strcmp(path, XLCTL_CLIENT_SOCKET) == 0)
        return strdup(XLCTL_CLIENT_RO_SOCKET);
    /* xld names its sockets NAME.sock and NAME-ro.sock by default, and
     * the tests and most setups keep that pattern. */
    if (n > 5 && strcmp(path + n - 5, ".sock") == 0
        && asprintf(&s, "%.*s-ro.sock", (int)(n - 5), path) >= 0)
        return s;
    return NULL;
}

int xlctl_client_connect(struct xlctl_client *c, const char *path,
                         const char *ro_path, bool allow_ro)
{
    const char *env = getenv("XLD_SOCKET");
    char *ro = NULL, *hint = NULL;
    enum attempt a;
    int rc = -1;

    if (!path)
        path = env && *env ? env : XLCTL_CLIENT_SOCKET;
    free(c->admin_path);
    c->admin_path = strdup(path);
    if (!c->admin_path)
        return fail(c, "%s", strerror(ENOMEM));
    a = attempt(c, path);
    if (a == CONNECTED)
        return 0;
    if (a == FAILED)
        return -1;
    /* Denied: a query may still go through the read-only socket. */
    if (allow_ro && (ro = ro_path_for(path, ro_path)) != NULL
        && strcmp(ro, path) != 0) {
        a = attempt(c, ro);
        if (a == CONNECTED) {
            rc = 0;
            goto out;
        }
        /* A read-only socket that is not there says nothing more than the
         * admin socket's refusal does; any other failure does. */
        if (a == FAILED && access(ro, F_OK) == 0)
            goto out;
    }
    hint = permission_hint(path);
    fail(c, "permission denied on %s: %s", path,
         hint ? hint : strerror(ENOMEM));

out:
    free(ro);
    free(hint);
    return rc;
}

/* ---- requests ---------------------------------------------------------- */

/*
 * The first bytes of a request, with file descriptors (SCM_RIGHTS)
 * attached (doc/protocol.md, "File descriptors"); the rest goes with
 * write_all.  Returns how many bytes went, or -1.
 */
static ssize_t send_with_fds(struct xlctl_client *c, const void *data,
                             size_t len, const int *fds, size_t nfds)
{
    union {
        char buf[CMSG_SPACE(XLCTL_CLIENT_MAX_FDS * sizeof(int))];
        struct cmsghdr align;
    } u;
    struct iovec iov = { (void *)data, len };
    struct msghdr mh;
    struct cmsghdr *cm;
    ssize_t n;

    memset(&u, 0, sizeof(u));
    memset(&mh, 0, sizeof(mh));
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    mh.msg_control = u.buf;
    mh.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
    cm = CMSG_FIRSTHDR(&mh);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(nfds * sizeof(int));
    memcpy(CMSG_DATA(cm), fds, nfds * sizeof(int));
    do
        n = sendmsg(c->fd, &mh, MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        fail(c, "passing file descriptors to xld (%s): %s", c->path,
             strerror(errno));
    return n;
}

int xlctl_client_send(struct xlctl_client *c, const char *execute,
                      struct xlctl_client_args *args, long long *id)
{
    return xlctl_client_send_fds(c, execute, args, NULL, 0, id);
}

int xlctl_client_send_fds(struct xlctl_client *c, const char *execute,
                          struct xlctl_client_args *args, const int *fds,
                          size_t nfds, long long *id)
{
    struct xlctl_client_pending *p = NULL;
    const unsigned char *buf;
    size_t len;
    int rc = -1;

    *id = 0;
    if (!args)
        args = xlctl_client_args();
    if (!args) {
        fail(c, "%s", strerror(ENOMEM));
        goto out;
    }
    if (c->fd < 0) {
        fail(c, "not connected to xld");
        goto out;
    }
    note(args, yajl_gen_map_close(args->g));
    key(args, "execute");
    note(args, yajl_gen_string(args->g, (const unsigned char *)execute,
                               strlen(execute)));
    key(args, "id");
    note(args, yajl_gen_integer(args->g, c->next_id));
    note(args, yajl_gen_map_close(args->g));
    if (args->failed == yajl_gen_invalid_string) {
        fail(c, "%s: an argument is not valid UTF-8", execute);
        goto out;
    }
    if (args->failed != yajl_gen_status_ok
        || yajl_gen_get_buf(args->g, &buf, &len) != yajl_gen_status_ok) {
        fail(c, "%s: cannot build the request (%s)", execute,
             strerror(ENOMEM));
        goto out;
    }
    p = calloc(1, sizeof(*p));
    if (!p || !(p->execute = strdup(execute))) {
        fail(c, "%s", strerror(ENOMEM));
        goto out;
    }
    if (nfds > XLCTL_CLIENT_MAX_FDS) {
        fail(c, "%s: too many file descriptors", execute);
        goto out;
    }
    if (nfds) {
        ssize_t n = send_with_fds(c, buf, len, fds, nfds);

        if (n < 0)
            goto out;
        buf += n;
        len -= (size_t)n;
    }
    if (write_all(c, buf, len) || write_all(c, "\n", 1))
        goto out;
    p->id = c->next_id++;
    p->next = c->pending;
    c->pending = p;
    p = NULL;
    *id = c->pending->id;
    rc = 0;

out:
    if (p)
        pending_free(p);
    xlctl_client_args_free(args);
    return rc;
}

static struct xlctl_client_pending *find_pending(struct xlctl_client *c,
                                                 long long id)
{
    for (struct xlctl_client_pending *p = c->pending; p; p = p->next)
        if (p->id == id)
            return p;
    return NULL;
}

static void drop_pending(struct xlctl_client *c, struct xlctl_client_pending *p)
{
    struct xlctl_client_pending **pp = &c->pending;

    while (*pp && *pp != p)
        pp = &(*pp)->next;
    if (*pp)
        *pp = p->next;
    p->reply = NULL;
    pending_free(p);
}

/* Deal with one message that is not the greeting.  Takes msg over.
 * Returns 0, or -1 on a protocol error. */
static int dispatch(struct xlctl_client *c, yajl_val msg,
                    struct xlctl_client_pending *waiting)
{
    const char *event = xlctl_json_str(msg, "event");
    struct xlctl_client_pending *p;
    yajl_val id;

    if (event) {
        if (c->on_event)
            c->on_event(c->opaque, event, xlctl_json_get(msg, "data"), msg);
        yajl_tree_free(msg);
        return 0;
    }
    if (!xlctl_json_get(msg, "return") && !xlctl_json_get(msg, "error")) {
        yajl_tree_free(msg);
        return fail(c, "protocol error: xld sent a message that is neither "
                    "a reply nor an event");
    }
    id = xlctl_json_get(msg, "id");
    if (!id && xlctl_json_get(msg, "error")) {
        /* An error without an id answers a line xld could not read as a
         * request at all: ours, the one we wait for. */
        p = waiting;
    } else {
        p = YAJL_IS_INTEGER(id) ? find_pending(c, YAJL_GET_INTEGER(id))
                                : NULL;
    }
    if (!p || p->reply) {
        yajl_tree_free(msg);
        return fail(c, "protocol error: xld answered a request this "
                    "client did not send");
    }
    p->reply = msg;
    return 0;
}

int xlctl_client_wait(struct xlctl_client *c, long long id, int timeout_ms,
                      yajl_val *ret, yajl_val *value)
{
    struct xlctl_client_pending *p = id ? find_pending(c, id) : NULL;
    long long deadline = timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
    char what[128];
    yajl_val msg, reply;
    int rc;

    if (ret)
        *ret = NULL;
    if (value)
        *value = NULL;
    if (id && !p)
        return fail(c, "no request %lld to wait for", id);
    if (p)
        snprintf(what, sizeof(what), "'%s'", p->execute);
    else
        snprintf(what, sizeof(what), "anything");
    for (;;) {
        if (p ? p->reply != NULL : c->stop)
            break;
        if (c->fd < 0)
            return fail(c, "not connected to xld");
        rc = read_message(c, deadline, what, &msg);
        if (rc == 0) {
            disconnect(c);
            if (p)
                return fail(c, "xld (%s) closed the connection before "
                            "answering %s", c->path, what);
            return fail(c, "xld (%s) closed the connection", c->path);
        }
        if (rc < 0 || dispatch(c, msg, p) < 0) {
            /* After a broken message, a timeout or an interruption, the
             * lines that follow cannot be matched with confidence. */
            disconnect(c);
            return -1;
        }
    }
    if (!p) {
        c->stop = false;
        return 0;
    }
    reply = p->reply;
    drop_pending(c, p);
    if (xlctl_json_get(reply, "error"))
        return fail_reply(c, reply);
    if (ret)
        *ret = reply;
    else
        yajl_tree_free(reply);
    if (value)
        *value = ret ? xlctl_json_get(reply, "return") : NULL;
    return 0;
}

int xlctl_client_call(struct xlctl_client *c, const char *execute,
                      struct xlctl_client_args *args, int timeout_ms,
                      yajl_val *ret, yajl_val *value)
{
    long long id;

    if (ret)
        *ret = NULL;
    if (value)
        *value = NULL;
    if (xlctl_client_send(c, execute, args, &id))
        return -1;
    return xlctl_client_wait(c, id, timeout_ms, ret, value);
}
