/*
 * proto.c - the control protocol (see proto.h and doc/protocol.md).
 *
 * A request lives in a struct xld_request from the moment its line is
 * parsed to the moment its reply is queued: it holds the parsed line
 * (the reply echoes its id, which may be any JSON value) and a
 * reference on its client, so that an operation that ends after the
 * client left finds a client to drop the reply on.
 */
#define _GNU_SOURCE

#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/time.h>
#include <time.h>

#include <libxl_utils.h>

#include "host.h"
#include "log.h"
#include "loop.h"
#include "migrate.h"
#include "proto.h"
#include "stats.h"
#include "xlcfg.h"
#include "xlconv.h"

/* Requests nest this deep at most: deeper ones are refused before they
 * are parsed, because yajl's tree (and our walk of it) recurse. */
#define MAX_DEPTH 32

/* PROGRESS events for one request come at most this often. */
#define PROGRESS_MS 250

struct xld_request;

struct xld_proto {
    struct xld_dm *dm;
    struct xld_host *host;
    struct xld_control *ctl;
    char *backend_name;
    /* migrate-receive requests under way: no operation holds them while
     * they wait for the sender, so xld's stop ends them from here. */
    LIST_HEAD(, xld_request) receiving;
};

struct xld_request;
typedef void cmd_fn(struct xld_request *req);

/* The types an argument may have. */
enum arg_type {
    ARG_STRING,
    ARG_BOOL,
    ARG_UINT,          /* an integer >= 0 */
    ARG_INT,
    ARG_DOMAIN,        /* a name, a domid (number or digits) or a uuid */
    ARG_STRINGS,       /* an array of strings */
    ARG_VCPU,          /* a vcpu number, or "all" */
};

struct arg_spec {
    const char *name;
    enum arg_type type;
    bool required;
};

/* Flags of a command.  A command is admin-only unless it says it is a
 * query: a forgotten flag denies, it never allows. */
enum {
    CMD_READONLY = 1 << 0,
};

struct cmd {
    const char *name;
    cmd_fn *fn;
    unsigned flags;
    const struct arg_spec *args;      /* ends with a NULL name */
    enum xld_dm_optype op;            /* the operation, for cmd_domain_op */
};

struct xld_request {
    struct xld_proto *proto;
    struct xld_client *client;
    const struct cmd *cmd;
    yajl_val root;                    /* the whole request */
    yajl_val id;                      /* inside root, or NULL */
    yajl_val args;                    /* inside root, or NULL */
    uint64_t last_progress;
    struct xld_mig_receiver *receiver;   /* migrate-receive */
    LIST_ENTRY(xld_request) rlink;       /* in proto->receiving */
};

static const char *const error_names[] = {
    [XLD_E_PARSE] = "ParseError",
    [XLD_E_TOO_LARGE] = "TooLarge",
    [XLD_E_COMMAND_NOT_FOUND] = "CommandNotFound",
    [XLD_E_INVALID_ARGUMENT] = "InvalidArgument",
    [XLD_E_PERMISSION_DENIED] = "PermissionDenied",
    [XLD_E_DOMAIN_NOT_FOUND] = "DomainNotFound",
    [XLD_E_BUSY] = "Busy",
    [XLD_E_ALREADY_EXISTS] = "AlreadyExists",
    [XLD_E_CONFIG] = "ConfigError",
    [XLD_E_NO_MEMORY] = "NoMemory",
    [XLD_E_FAILED] = "Failed",
};

const char *xld_proto_error_name(enum xld_proto_error e)
{
    return error_names[e];
}

/* ---- JSON helpers ------------------------------------------------------- */

/* The length of the valid UTF-8 sequence at s, or 0. */
static size_t utf8_seq(const unsigned char *s)
{
    size_t n;
    uint32_t c;

    if (s[0] < 0x80)
        return 1;
    if ((s[0] & 0xe0) == 0xc0)
        n = 2, c = s[0] & 0x1f;
    else if ((s[0] & 0xf0) == 0xe0)
        n = 3, c = s[0] & 0x0f;
    else if ((s[0] & 0xf8) == 0xf0)
        n = 4, c = s[0] & 0x07;
    else
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        c = (c << 6) | (s[i] & 0x3f);
    }
    /* Overlong forms, surrogates and values past U+10FFFF. */
    if ((n == 2 && c < 0x80) || (n == 3 && c < 0x800)
        || (n == 4 && (c < 0x10000 || c > 0x10ffff))
        || (c >= 0xd800 && c <= 0xdfff))
        return 0;
    return n;
}

yajl_gen_status xld_proto_gen_str(yajl_gen g, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t len = strlen(s), i = 0;
    yajl_gen_status st;
    char *copy;

    while (i < len) {
        size_t n = utf8_seq(p + i);

        if (!n)
            break;
        i += n;
    }
    if (i >= len)
        return yajl_gen_string(g, p, len);
    copy = strdup(s);
    if (!copy)
        return yajl_gen_generation_complete;   /* any error will do */
    for (i = 0; i < len;) {
        size_t n = utf8_seq((unsigned char *)copy + i);

        if (!n) {
            copy[i++] = '?';
            continue;
        }
        i += n;
    }
    st = yajl_gen_string(g, (unsigned char *)copy, len);
    free(copy);
    return st;
}

yajl_gen_status xld_proto_gen_tree(yajl_gen g, yajl_val v)
{
    yajl_gen_status s = yajl_gen_status_ok;

    if (!v)
        return yajl_gen_null(g);
    switch (v->type) {
    case yajl_t_string:
        return xld_proto_gen_str(g, v->u.string);
    case yajl_t_number:
        return yajl_gen_number(g, v->u.number.r, strlen(v->u.number.r));
    case yajl_t_object:
        s = yajl_gen_map_open(g);
        for (size_t i = 0; !s && i < v->u.object.len; i++) {
            s = xld_proto_gen_str(g, v->u.object.keys[i]);
            if (!s)
                s = xld_proto_gen_tree(g, v->u.object.values[i]);
        }
        return s ? s : yajl_gen_map_close(g);
    case yajl_t_array:
        s = yajl_gen_array_open(g);
        for (size_t i = 0; !s && i < v->u.array.len; i++)
            s = xld_proto_gen_tree(g, v->u.array.values[i]);
        return s ? s : yajl_gen_array_close(g);
    case yajl_t_true:
        return yajl_gen_bool(g, 1);
    case yajl_t_false:
        return yajl_gen_bool(g, 0);
    default:
        return yajl_gen_null(g);
    }
}

yajl_gen_status xld_proto_gen_json_text(yajl_gen g, const char *json)
{
    yajl_val v = yajl_tree_parse(json, NULL, 0);
    yajl_gen_status s;

    if (!v)
        return yajl_gen_null(g);
    s = xld_proto_gen_tree(g, v);
    yajl_tree_free(v);
    return s;
}

/* The text of a generator, as a malloc'd C string. */
static int gen_text(yajl_gen g, char **out, size_t *outlen)
{
    const unsigned char *buf;
    size_t len;

    *out = NULL;
    if (yajl_gen_get_buf(g, &buf, &len) != yajl_gen_status_ok)
        return EINVAL;
    *out = malloc(len + 1);
    if (!*out)
        return ENOMEM;
    memcpy(*out, buf, len);
    (*out)[len] = '\0';
    if (outlen)
        *outlen = len;
    return 0;
}

int xld_proto_tree_to_text(yajl_val v, char **out)
{
    yajl_gen g = yajl_gen_alloc(NULL);
    int rc = ENOMEM;

    *out = NULL;
    if (!g)
        return ENOMEM;
    if (xld_proto_gen_tree(g, v) == yajl_gen_status_ok)
        rc = gen_text(g, out, NULL);
    yajl_gen_free(g);
    return rc;
}

static yajl_gen_status gen_key(yajl_gen g, const char *key)
{
    return xld_proto_gen_str(g, key);
}

static void gen_kv_str(yajl_gen g, const char *key, const char *value)
{
    gen_key(g, key);
    xld_proto_gen_str(g, value);
}

static void gen_kv_int(yajl_gen g, const char *key, long long value)
{
    gen_key(g, key);
    yajl_gen_integer(g, value);
}

static void gen_kv_bool(yajl_gen g, const char *key, bool value)
{
    gen_key(g, key);
    yajl_gen_bool(g, value);
}

/* ---- sending ------------------------------------------------------------ */

/* Send what g holds to one client, or to the subscribers when c is
 * NULL. */
static void send_gen(struct xld_proto *p, struct xld_client *c, yajl_gen g)
{
    const unsigned char *buf;
    size_t len;

    if (yajl_gen_get_buf(g, &buf, &len) != yajl_gen_status_ok) {
        xld_err("a reply or event was built wrong; it is dropped");
        return;
    }
    if (c)
        xld_client_send(c, (const char *)buf, len);
    else if (p->ctl)
        xld_control_broadcast(p->ctl, (const char *)buf, len);
}

static void gen_error(yajl_gen g, enum xld_proto_error cls,
                      const char *desc)
{
    gen_key(g, "error");
    yajl_gen_map_open(g);
    gen_kv_str(g, "class", error_names[cls]);
    gen_kv_str(g, "desc", desc);
}

/* An error for a line that is not (yet) a request: no id to echo. */
static void send_error(struct xld_proto *p, struct xld_client *c,
                       enum xld_proto_error cls, const char *desc)
{
    yajl_gen g = yajl_gen_alloc(NULL);

    if (!g)
        return;
    yajl_gen_map_open(g);
    gen_error(g, cls, desc);
    yajl_gen_map_close(g);
    yajl_gen_map_close(g);
    send_gen(p, c, g);
    yajl_gen_free(g);
}

static void request_free(struct xld_request *req)
{
    if (!req)
        return;
    if (req->client)
        xld_client_unref(req->client);
    yajl_tree_free(req->root);
    free(req);
}

/* Start a reply: the generator is inside the reply object, ready for
 * the "return" (or "error") member. */
static yajl_gen reply_begin(void)
{
    yajl_gen g = yajl_gen_alloc(NULL);

    if (g)
        yajl_gen_map_open(g);
    return g;
}

/* Finish a reply (echo the id), send it, and free the request. */
static void reply_end(struct xld_request *req, yajl_gen g)
{
    if (g) {
        if (req->id) {
            gen_key(g, "id");
            xld_proto_gen_tree(g, req->id);
        }
        yajl_gen_map_close(g);
        send_gen(req->proto, req->client, g);
        yajl_gen_free(g);
    }
    request_free(req);
}

static void reply_error(struct xld_request *req, enum xld_proto_error cls,
                        const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void reply_error(struct xld_request *req, enum xld_proto_error cls,
                        const char *fmt, ...)
{
    yajl_gen g = reply_begin();
    char desc[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(desc, sizeof(desc), fmt, ap);
    va_end(ap);
    xld_debug("%s: %s: %s: %s", xld_client_name(req->client),
              req->cmd ? req->cmd->name : "?", error_names[cls], desc);
    if (g) {
        gen_error(g, cls, desc);
        yajl_gen_map_close(g);
    }
    reply_end(req, g);
}

static void reply_empty(struct xld_request *req)
{
    yajl_gen g = reply_begin();

    if (g) {
        gen_key(g, "return");
        yajl_gen_map_open(g);
        yajl_gen_map_close(g);
    }
    reply_end(req, g);
}

/* ---- events ------------------------------------------------------------- */

static yajl_gen event_begin(const char *name)
{
    yajl_gen g = yajl_gen_alloc(NULL);

    if (!g)
        return NULL;
    yajl_gen_map_open(g);
    gen_kv_str(g, "event", name);
    gen_key(g, "data");
    yajl_gen_map_open(g);
    return g;
}

static void event_end(struct xld_proto *p, struct xld_client *c, yajl_gen g)
{
    struct timeval tv;

    if (!g)
        return;
    gettimeofday(&tv, NULL);
    yajl_gen_map_close(g);
    gen_key(g, "timestamp");
    yajl_gen_map_open(g);
    gen_kv_int(g, "seconds", (long long)tv.tv_sec);
    gen_kv_int(g, "microseconds", (long long)tv.tv_usec);
    yajl_gen_map_close(g);
    yajl_gen_map_close(g);
    send_gen(p, c, g);
    yajl_gen_free(g);
}

void xld_proto_dm_event(void *opaque, const struct xld_dm_event *ev)
{
    struct xld_proto *p = opaque;
    yajl_gen g;

    if (!p->ctl)
        return;
    g = event_begin(ev->type);
    if (!g)
        return;
    if (ev->domid != XLD_NO_DOMID)
        gen_kv_int(g, "domid", ev->domid);
    if (ev->name)
        gen_kv_str(g, "name", ev->name);
    if (ev->uuid)
        gen_kv_str(g, "uuid", ev->uuid);
    if (ev->state)
        gen_kv_str(g, "state", ev->state);
    if (ev->reason)
        gen_kv_str(g, "reason", ev->reason);
    if (ev->operation)
        gen_kv_str(g, "operation", ev->operation);
    if (ev->detail)
        gen_kv_str(g, "detail", ev->detail);
    event_end(p, NULL, g);
}

/* ---- arguments ---------------------------------------------------------- */

static yajl_val arg(struct xld_request *req, const char *name)
{
    yajl_val a = req->args;

    if (!a)
        return NULL;
    for (size_t i = 0; i < a->u.object.len; i++)
        if (!strcmp(a->u.object.keys[i], name)) {
            yajl_val v = a->u.object.values[i];

            return YAJL_IS_NULL(v) ? NULL : v;
        }
    return NULL;
}

static const char *arg_str(struct xld_request *req, const char *name)
{
    yajl_val v = arg(req, name);

    return v ? YAJL_GET_STRING(v) : NULL;
}

static bool arg_bool(struct xld_request *req, const char *name)
{
    return YAJL_IS_TRUE(arg(req, name));
}

static long long arg_int(struct xld_request *req, const char *name,
                         long long dflt)
{
    yajl_val v = arg(req, name);

    return v ? YAJL_GET_INTEGER(v) : dflt;
}

static const char *type_name(enum arg_type t)
{
    switch (t) {
    case ARG_STRING: return "a string";
    case ARG_BOOL: return "true or false";
    case ARG_UINT: return "an integer of 0 or more";
    case ARG_INT: return "an integer";
    case ARG_DOMAIN: return "a domain name, domid or UUID";
    case ARG_STRINGS: return "an array of strings";
    case ARG_VCPU: return "a vcpu number or \"all\"";
    }
    return "?";
}

static bool type_ok(enum arg_type t, yajl_val v)
{
    switch (t) {
    case ARG_STRING:
        return YAJL_IS_STRING(v);
    case ARG_BOOL:
        return YAJL_IS_TRUE(v) || YAJL_IS_FALSE(v);
    case ARG_UINT:
        return YAJL_IS_INTEGER(v) && YAJL_GET_INTEGER(v) >= 0;
    case ARG_INT:
        return YAJL_IS_INTEGER(v);
    case ARG_DOMAIN:
        return (YAJL_IS_STRING(v) && *YAJL_GET_STRING(v))
               || (YAJL_IS_INTEGER(v) && YAJL_GET_INTEGER(v) >= 0);
    case ARG_STRINGS:
        if (!YAJL_IS_ARRAY(v))
            return false;
        for (size_t i = 0; i < v->u.array.len; i++)
            if (!YAJL_IS_STRING(v->u.array.values[i]))
                return false;
        return true;
    case ARG_VCPU:
        return (YAJL_IS_INTEGER(v) && YAJL_GET_INTEGER(v) >= 0
                && YAJL_GET_INTEGER(v) < 4096)
               || (YAJL_IS_STRING(v) && !strcmp(v->u.string, "all"));
    }
    return false;
}

/* Every argument known and of its type, every required one there;
 * false after replying with the error. */
static bool check_args(struct xld_request *req)
{
    const struct arg_spec *spec = req->cmd->args;
    yajl_val a = req->args;

    for (size_t i = 0; a && i < a->u.object.len; i++) {
        const struct arg_spec *s = spec;

        while (s && s->name && strcmp(s->name, a->u.object.keys[i]))
            s++;
        if (!s || !s->name) {
            reply_error(req, XLD_E_INVALID_ARGUMENT, "%s takes no argument "
                        "'%s'", req->cmd->name, a->u.object.keys[i]);
            return false;
        }
        if (YAJL_IS_NULL(a->u.object.values[i]))
            continue;
        if (!type_ok(s->type, a->u.object.values[i])) {
            reply_error(req, XLD_E_INVALID_ARGUMENT, "%s: '%s' must be %s",
                        req->cmd->name, s->name, type_name(s->type));
            return false;
        }
    }
    for (const struct arg_spec *s = spec; s && s->name; s++) {
        if (s->required && !arg(req, s->name)) {
            reply_error(req, XLD_E_INVALID_ARGUMENT, "%s needs '%s' (%s)",
                        req->cmd->name, s->name, type_name(s->type));
            return false;
        }
    }
    return true;
}

/* The domain named by the "domain" argument; NULL after replying
 * DomainNotFound. */
static struct xld_domain *arg_domain(struct xld_request *req)
{
    yajl_val v = arg(req, "domain");
    struct xld_domain *dom;
    char buf[32];
    const char *spec;

    if (YAJL_IS_INTEGER(v)) {
        snprintf(buf, sizeof(buf), "%lld", YAJL_GET_INTEGER(v));
        spec = buf;
    } else {
        spec = YAJL_GET_STRING(v);
    }
    dom = spec ? xld_dm_lookup(req->proto->dm, spec) : NULL;
    if (!dom)
        reply_error(req, XLD_E_DOMAIN_NOT_FOUND, "no domain '%s'",
                    spec ? spec : "");
    return dom;
}

/* ---- operation results -------------------------------------------------- */

static void gen_diag(yajl_gen g, const struct xlcfg *cfg,
                     const struct xlcfg_diag *d)
{
    bool extra = cfg->extra_line && d->loc.line >= cfg->extra_line;

    yajl_gen_map_open(g);
    gen_kv_str(g, "file", extra ? "command line"
               : d->loc.file ? d->loc.file
               : cfg->filename ? cfg->filename : "<config>");
    /* A diagnostic about the file as a whole has no place in it. */
    if (d->loc.line > 0) {
        gen_kv_int(g, "line", extra ? d->loc.line - cfg->extra_line + 1
                   : d->loc.line);
        gen_kv_int(g, "column", d->loc.column);
    }
    gen_kv_str(g, "severity",
               d->severity == XLCFG_WARNING ? "warning" : "error");
    gen_kv_str(g, "message", d->msg ? d->msg : "out of memory");
    yajl_gen_map_close(g);
}

static void gen_diags(yajl_gen g, const struct xlcfg *cfg, bool warnings_only)
{
    yajl_gen_array_open(g);
    for (size_t i = 0; cfg && i < cfg->ndiags; i++)
        if (!warnings_only || cfg->diags[i].severity == XLCFG_WARNING)
            gen_diag(g, cfg, &cfg->diags[i]);
    yajl_gen_array_close(g);
}

static enum xld_proto_error error_class(int rc)
{
    switch (rc) {
    case -ENOENT:
        return XLD_E_DOMAIN_NOT_FOUND;
    case -EBUSY:
        return XLD_E_BUSY;
    case -ENOMEM:
        return XLD_E_NO_MEMORY;
    case -EEXIST:
        return XLD_E_ALREADY_EXISTS;
    case -EINVAL:
        return XLD_E_INVALID_ARGUMENT;
    default:
        return XLD_E_FAILED;
    }
}

static void op_done(void *opaque, const struct xld_dm_result *res)
{
    struct xld_request *req = opaque;
    yajl_gen g;

    if (res->config_error) {
        g = reply_begin();
        if (g) {
            gen_error(g, XLD_E_CONFIG, res->msg ? res->msg : "invalid "
                      "config");
            gen_key(g, "diagnostics");
            gen_diags(g, res->cfg, false);
            yajl_gen_map_close(g);
        }
        reply_end(req, g);
        return;
    }
    if (res->rc) {
        reply_error(req, error_class(res->rc), "%s",
                    res->msg ? res->msg : strerror(-res->rc));
        return;
    }
    if (res->name) {
        /* create and restore */
        g = reply_begin();
        if (g) {
            gen_key(g, "return");
            yajl_gen_map_open(g);
            gen_kv_int(g, "domid", res->domid);
            gen_kv_str(g, "name", res->name);
            gen_key(g, "warnings");
            gen_diags(g, res->cfg, true);
            yajl_gen_map_close(g);
        }
        reply_end(req, g);
        return;
    }
    reply_empty(req);
}

static void op_progress(void *opaque, const char *operation,
                        const char *domain, uint64_t done, uint64_t total)
{
    struct xld_request *req = opaque;
    struct xld_proto *p = req->proto;
    uint64_t now = xld_loop_now(NULL);
    yajl_gen g;

    if (done < total && req->last_progress
        && now - req->last_progress < PROGRESS_MS)
        return;
    req->last_progress = now;
    if (!xld_client_alive(req->client))
        return;
    g = event_begin("PROGRESS");
    if (!g)
        return;
    gen_key(g, "id");
    xld_proto_gen_tree(g, req->id);
    gen_kv_str(g, "operation", operation);
    gen_kv_str(g, "domain", domain);
    gen_kv_int(g, "done", (long long)done);
    gen_kv_int(g, "total", (long long)total);
    event_end(p, req->client, g);
}

/* Hand an operation to the domain table; the reply comes from op_done. */
static void submit(struct xld_request *req, struct xld_domain *dom,
                   const struct xld_dm_request *rq)
{
    xld_debug("%s: %s%s%s", xld_client_name(req->client), req->cmd->name,
              dom ? " " : "", dom ? dom->name : "");
    xld_dm_submit(req->proto->dm, dom, rq, op_done, op_progress, req);
}

/* ---- commands ----------------------------------------------------------- */

static void cmd_info(struct xld_request *req)
{
    struct xld_backend *be = xld_dm_backend(req->proto->dm);
    const struct xld_dm_report *rep;
    struct xld_host_info hi;
    size_t nrep, managed, n;
    yajl_gen g;
    int rc;

    memset(&hi, 0, sizeof(hi));
    rc = be->ops->host_info(be, &hi);
    if (rc) {
        reply_error(req, XLD_E_FAILED, "asking the hypervisor: %s",
                    strerror(-rc));
        return;
    }
    n = xld_dm_count(req->proto->dm, &managed);
    rep = xld_dm_reports(req->proto->dm, &nrep);
    g = reply_begin();
    if (g) {
        gen_key(g, "return");
        yajl_gen_map_open(g);
        gen_kv_str(g, "xen_version", hi.xen_version);
        gen_kv_str(g, "hypervisor", hi.hypervisor);
        gen_kv_int(g, "nr_cpus", hi.nr_cpus);
        gen_kv_int(g, "nr_nodes", hi.nr_nodes);
        gen_kv_int(g, "total_memkb", (long long)hi.total_memkb);
        gen_kv_int(g, "free_memkb", (long long)hi.free_memkb);
        gen_kv_str(g, "xld_version", PACKAGE_VERSION);
        gen_kv_int(g, "protocol", XLD_PROTOCOL_VERSION);
        gen_kv_str(g, "backend", req->proto->backend_name);
        gen_kv_int(g, "domains", (long long)n);
        gen_kv_int(g, "managed", (long long)managed);
        gen_key(g, "recovery");
        yajl_gen_array_open(g);
        for (size_t i = 0; i < nrep; i++) {
            yajl_gen_map_open(g);
            gen_kv_str(g, "name", rep[i].name);
            gen_kv_str(g, "uuid", rep[i].uuid);
            gen_kv_str(g, "operation", rep[i].operation);
            gen_kv_str(g, "outcome", rep[i].outcome);
            yajl_gen_map_close(g);
        }
        yajl_gen_array_close(g);
        yajl_gen_map_close(g);
    }
    reply_end(req, g);
}

static long long uptime_of(const struct xld_domain *dom)
{
    time_t now = time(NULL);

    return now > dom->started ? (long long)(now - dom->started) : 0;
}

static void gen_domain(yajl_gen g, const struct xld_domain *dom)
{
    char uuid[LIBXL_UUID_FMTLEN + 1], cpu[32];
    const struct xld_dominfo *i = &dom->info;

    snprintf(uuid, sizeof(uuid), LIBXL_UUID_FMT,
             LIBXL_UUID_BYTES(dom->uuid));
    yajl_gen_map_open(g);
    gen_kv_str(g, "name", dom->name ? dom->name : "");
    gen_kv_int(g, "domid", dom->domid);
    gen_kv_str(g, "uuid", uuid);
    gen_kv_str(g, "state", xld_dm_state_name(dom));
    if (dom->have_info && i->shutdown)
        gen_kv_str(g, "reason",
                   xld_dm_shutdown_reason_name(i->shutdown_reason));
    gen_kv_int(g, "memkb", (long long)i->current_memkb);
    gen_kv_int(g, "maxmemkb", (long long)i->max_memkb);
    gen_kv_int(g, "vcpus", i->vcpu_online);
    gen_kv_int(g, "maxvcpus", i->vcpu_max);
    /* Milliseconds are plenty, and spare clients 20-digit floats. */
    snprintf(cpu, sizeof(cpu), "%.3f", (double)i->cpu_time_ns / 1e9);
    gen_key(g, "cpu_time");
    yajl_gen_number(g, cpu, strlen(cpu));
    gen_kv_int(g, "uptime", uptime_of(dom));
    gen_kv_bool(g, "managed", dom->managed);
    if (dom->managed && dom->rec.held)
        gen_kv_str(g, "held", dom->rec.held);
    if (dom->managed && dom->rec.interrupted)
        gen_kv_str(g, "interrupted", dom->rec.interrupted);
    yajl_gen_map_close(g);
}

static int by_domid(const void *a, const void *b)
{
    const struct xld_domain *x = *(const struct xld_domain *const *)a;
    const struct xld_domain *y = *(const struct xld_domain *const *)b;

    return x->domid < y->domid ? -1 : x->domid > y->domid;
}

/* The domains to list: the one asked for, or every one that has a
 * domain in the hypervisor, by domid as xl lists them.  NULL (after
 * replying) on an error. */
static struct xld_domain **listed(struct xld_request *req, size_t *n)
{
    const struct xld_domain_list *all = xld_dm_domains(req->proto->dm);
    struct xld_domain **v, *dom;
    size_t cnt = 0;

    *n = 0;
    if (arg(req, "domain")) {
        dom = arg_domain(req);
        if (!dom)
            return NULL;
        v = malloc(sizeof(*v));
        if (!v) {
            reply_error(req, XLD_E_FAILED, "out of memory");
            return NULL;
        }
        v[0] = dom;
        *n = dom->domid != XLD_NO_DOMID;
        return v;
    }
    TAILQ_FOREACH(dom, all, link)
        cnt++;
    v = calloc(cnt + 1, sizeof(*v));
    if (!v) {
        reply_error(req, XLD_E_FAILED, "out of memory");
        return NULL;
    }
    cnt = 0;
    TAILQ_FOREACH(dom, all, link)
        if (dom->state != XLD_DS_GONE && dom->domid != XLD_NO_DOMID)
            v[cnt++] = dom;
    qsort(v, cnt, sizeof(*v), by_domid);
    *n = cnt;
    return v;
}

static void cmd_list(struct xld_request *req)
{
    struct xld_domain **v;
    size_t n;
    yajl_gen g;

    /* One question to the hypervisor per list, for the counters. */
    xld_dm_refresh(req->proto->dm);
    v = listed(req, &n);
    if (!v)
        return;
    g = reply_begin();
    if (g) {
        gen_key(g, "return");
        yajl_gen_array_open(g);
        for (size_t i = 0; i < n; i++)
            gen_domain(g, v[i]);
        yajl_gen_array_close(g);
    }
    free(v);
    reply_end(req, g);
}

/* ---- stats and metrics (xlctl top, xlctl metrics) ---------------------- */

/* xentop's state letters, in its order: dying, shutdown, blocked,
 * crashed, paused, running. */
static void state_flags(const struct xld_dominfo *i, char out[7])
{
    out[0] = i->dying ? 'd' : '-';
    out[1] = i->shutdown ? 's' : '-';
    out[2] = i->blocked ? 'b' : '-';
    out[3] = i->shutdown
             && i->shutdown_reason == LIBXL_SHUTDOWN_REASON_CRASH ? 'c' : '-';
    out[4] = i->paused ? 'p' : '-';
    out[5] = i->running ? 'r' : '-';
    out[6] = '\0';
}

struct stats_row {
    struct xld_stats_dom s;
    char uuid[LIBXL_UUID_FMTLEN + 1];
    char flags[7];
};

/*
 * Every domain's counters, fresh: one question to the hypervisor for
 * the list, one per domain for its devices.  A domain whose devices
 * cannot be read shows zero I/O rather than failing the whole answer
 * (it may be dying as we look).  NULL after replying, on an error.
 */
static struct stats_row *collect_stats(struct xld_request *req, size_t *n)
{
    struct xld_backend *be = xld_dm_backend(req->proto->dm);
    struct xld_domain **v;
    struct stats_row *rows;

    xld_dm_refresh(req->proto->dm);
    v = listed(req, n);
    if (!v)
        return NULL;
    rows = calloc(*n ? *n : 1, sizeof(*rows));
    if (!rows) {
        free(v);
        reply_error(req, XLD_E_FAILED, "out of memory");
        return NULL;
    }
    for (size_t k = 0; k < *n; k++) {
        const struct xld_domain *dom = v[k];
        const struct xld_dominfo *i = &dom->info;
        struct stats_row *r = &rows[k];

        snprintf(r->uuid, sizeof(r->uuid), LIBXL_UUID_FMT,
                 LIBXL_UUID_BYTES(dom->uuid));
        state_flags(i, r->flags);
        r->s.name = dom->name ? dom->name : "";
        r->s.domid = dom->domid;
        r->s.uuid = r->uuid;
        r->s.state = xld_dm_state_name(dom);
        r->s.cpu_time_ns = i->cpu_time_ns;
        r->s.current_memkb = i->current_memkb;
        r->s.max_memkb = i->max_memkb;
        r->s.vcpus_online = i->vcpu_online;
        r->s.vcpus_max = i->vcpu_max;
        if (be->ops->dom_stats
            && be->ops->dom_stats(be, dom->domid, &r->s.io))
            memset(&r->s.io, 0, sizeof(r->s.io));
    }
    free(v);
    return rows;
}

static uint64_t monotonic_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void cmd_stats(struct xld_request *req)
{
    struct xld_backend *be = xld_dm_backend(req->proto->dm);
    struct xld_host_info hi;
    struct stats_row *rows;
    size_t n;
    yajl_gen g;

    memset(&hi, 0, sizeof(hi));
    if (be->ops->host_info(be, &hi))
        memset(&hi, 0, sizeof(hi));
    rows = collect_stats(req, &n);
    if (!rows)
        return;
    g = reply_begin();
    if (g) {
        gen_key(g, "return");
        yajl_gen_map_open(g);
        /* The clients' CPU % is cpu time over this clock's time. */
        gen_kv_int(g, "time_ns", (long long)monotonic_ns());
        gen_kv_str(g, "xen_version", hi.xen_version);
        gen_kv_int(g, "nr_cpus", hi.nr_cpus);
        gen_kv_int(g, "total_memkb", (long long)hi.total_memkb);
        gen_kv_int(g, "free_memkb", (long long)hi.free_memkb);
        gen_key(g, "domains");
        yajl_gen_array_open(g);
        for (size_t k = 0; k < n; k++) {
            const struct xld_stats_dom *s = &rows[k].s;

            yajl_gen_map_open(g);
            gen_kv_str(g, "name", s->name);
            gen_kv_int(g, "domid", s->domid);
            gen_kv_str(g, "uuid", s->uuid);
            gen_kv_str(g, "state", s->state);
            gen_kv_str(g, "flags", rows[k].flags);
            gen_kv_int(g, "cpu_time_ns", (long long)s->cpu_time_ns);
            gen_kv_int(g, "memkb", (long long)s->current_memkb);
            gen_kv_int(g, "maxmemkb", (long long)s->max_memkb);
            gen_kv_int(g, "vcpus", s->vcpus_online);
            gen_kv_int(g, "maxvcpus", s->vcpus_max);
            gen_kv_int(g, "nets", s->io.nets);
            gen_kv_int(g, "net_tx_bytes", (long long)s->io.net_tx_bytes);
            gen_kv_int(g, "net_tx_packets", (long long)s->io.net_tx_packets);
            gen_kv_int(g, "net_rx_bytes", (long long)s->io.net_rx_bytes);
            gen_kv_int(g, "net_rx_packets", (long long)s->io.net_rx_packets);
            gen_kv_int(g, "vbds", s->io.vbds);
            gen_kv_int(g, "vbd_oo", (long long)s->io.vbd_oo);
            gen_kv_int(g, "vbd_rd", (long long)s->io.vbd_rd);
            gen_kv_int(g, "vbd_wr", (long long)s->io.vbd_wr);
            gen_kv_int(g, "vbd_rsect", (long long)s->io.vbd_rsect);
            gen_kv_int(g, "vbd_wsect", (long long)s->io.vbd_wsect);
            yajl_gen_map_close(g);
        }
        yajl_gen_array_close(g);
        yajl_gen_map_close(g);
    }
    free(rows);
    reply_end(req, g);
}

static void cmd_metrics(struct xld_request *req)
{
    struct xld_backend *be = xld_dm_backend(req->proto->dm);
    struct xld_stats_dom *doms = NULL;
    struct xld_stats_host host;
    struct xld_host_info hi;
    struct stats_row *rows;
    char *text = NULL;
    size_t n, len = 0;
    FILE *f = NULL;
    yajl_gen g;

    memset(&hi, 0, sizeof(hi));
    if (be->ops->host_info(be, &hi))
        memset(&hi, 0, sizeof(hi));
    rows = collect_stats(req, &n);
    if (!rows)
        return;
    doms = calloc(n ? n : 1, sizeof(*doms));
    f = open_memstream(&text, &len);
    if (!doms || !f) {
        reply_error(req, XLD_E_FAILED, "out of memory");
        goto out;
    }
    for (size_t k = 0; k < n; k++)
        doms[k] = rows[k].s;
    host.total_memkb = hi.total_memkb;
    host.free_memkb = hi.free_memkb;
    host.nr_cpus = hi.nr_cpus;
    if (xld_stats_prometheus(f, &host, doms, n) || fclose(f)) {
        f = NULL;
        reply_error(req, XLD_E_FAILED, "out of memory");
        goto out;
    }
    f = NULL;
    g = reply_begin();
    if (g) {
        gen_key(g, "return");
        yajl_gen_map_open(g);
        gen_kv_str(g, "text", text);
        yajl_gen_map_close(g);
    }
    reply_end(req, g);

out:
    if (f)
        fclose(f);
    free(text);
    free(doms);
    free(rows);
}

static void cmd_uptime(struct xld_request *req)
{
    struct xld_domain **v;
    size_t n;
    yajl_gen g;

    v = listed(req, &n);
    if (!v)
        return;
    g = reply_begin();
    if (g) {
        gen_key(g, "return");
        yajl_gen_array_open(g);
        for (size_t i = 0; i < n; i++) {
            yajl_gen_map_open(g);
            gen_kv_str(g, "name", v[i]->name);
            gen_kv_int(g, "domid", v[i]->domid);
            gen_kv_int(g, "uptime", uptime_of(v[i]));
            yajl_gen_map_close(g);
        }
        yajl_gen_array_close(g);
    }
    free(v);
    reply_end(req, g);
}

static void cmd_domid(struct xld_request *req)
{
    struct xld_domain *dom = arg_domain(req);
    yajl_gen g;

    if (!dom)
        return;
    if (dom->domid == XLD_NO_DOMID) {
        reply_error(req, XLD_E_BUSY, "%s has no domid yet: it is being "
                    "created", dom->name);
        return;
    }
    g = reply_begin();
    if (g) {
        gen_key(g, "return");
        yajl_gen_integer(g, dom->domid);
    }
    reply_end(req, g);
}

static void cmd_domname(struct xld_request *req)
{
    struct xld_domain *dom = arg_domain(req);
    yajl_gen g;

    if (!dom)
        return;
    g = reply_begin();
    if (g) {
        gen_key(g, "return");
        xld_proto_gen_str(g, dom->name);
    }
    reply_end(req, g);
}

static void cmd_config(struct xld_request *req)
{
    struct xld_domain *dom = arg_domain(req);
    yajl_gen g;

    if (!dom)
        return;
    if (!dom->managed) {
        reply_error(req, XLD_E_FAILED, "%s was not created by xld: its "
                    "config is unknown", dom->name);
        return;
    }
    g = reply_begin();
    if (g) {
        gen_key(g, "return");
        yajl_gen_map_open(g);
        gen_kv_str(g, "text", dom->rec.config ? dom->rec.config : "");
        gen_kv_str(g, "filename",
                   dom->rec.filename ? dom->rec.filename : "");
        gen_key(g, "overrides");
        yajl_gen_array_open(g);
        for (size_t i = 0; i < dom->rec.noverrides; i++)
            xld_proto_gen_str(g, dom->rec.overrides[i]);
        yajl_gen_array_close(g);
        gen_key(g, "json");
        if (dom->rec.json)
            xld_proto_gen_json_text(g, dom->rec.json);
        else
            yajl_gen_null(g);
        yajl_gen_map_close(g);
    }
    reply_end(req, g);
}

static void cmd_subscribe(struct xld_request *req)
{
    xld_client_subscribe(req->client);
    reply_empty(req);
}

/* The config arguments of create and adopt into rq: 0, or -1 after an
 * error reply.  *overrides is for the caller to free. */
static int config_args(struct xld_request *req, struct xld_dm_request *rq,
                       char ***overrides)
{
    yajl_val ov = arg(req, "overrides");

    *overrides = NULL;
    rq->config = arg_str(req, "config");
    rq->filename = arg_str(req, "filename");
    if (!ov || !ov->u.array.len)
        return 0;
    *overrides = calloc(ov->u.array.len, sizeof(**overrides));
    if (!*overrides) {
        reply_error(req, XLD_E_FAILED, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < ov->u.array.len; i++) {
        (*overrides)[i] = YAJL_GET_STRING(ov->u.array.values[i]);
        /* As xl: an override is a setting, NAME=VALUE. */
        if (!strchr((*overrides)[i], '=')) {
            reply_error(req, XLD_E_INVALID_ARGUMENT, "override '%s' is "
                        "not KEY=VALUE", (*overrides)[i]);
            return -1;
        }
    }
    rq->overrides = *overrides;
    rq->noverrides = ov->u.array.len;
    return 0;
}

static void cmd_create(struct xld_request *req)
{
    struct xld_dm_request rq;
    char **overrides = NULL;

    xld_dm_request_init(&rq);
    rq.type = XLD_OP_CREATE;
    rq.paused = arg_bool(req, "paused");
    if (!config_args(req, &rq, &overrides))
        submit(req, NULL, &rq);
    free(overrides);
    xld_dm_request_dispose(&rq);
}

/* Take over a domain xld did not create, with its config file or (no
 * config) the config libxl keeps of it. */
static void cmd_adopt(struct xld_request *req)
{
    struct xld_domain *dom = arg_domain(req);
    struct xld_dm_request rq;
    char **overrides = NULL;

    if (!dom)
        return;
    xld_dm_request_init(&rq);
    rq.type = XLD_OP_ADOPT;
    if (!config_args(req, &rq, &overrides))
        submit(req, dom, &rq);
    free(overrides);
    xld_dm_request_dispose(&rq);
}

/* The commands on one domain that map to one operation. */
/* Every command that is one operation on one domain: the table row says
 * which. */
static void cmd_domain_op(struct xld_request *req)
{
    enum xld_dm_optype type = req->cmd->op;
    struct xld_domain *dom = arg_domain(req);
    struct xld_dm_request rq;

    if (!dom)
        return;
    xld_dm_request_init(&rq);
    rq.type = type;
    rq.wait = arg_bool(req, "wait");
    rq.force = arg_bool(req, "force");
    rq.checkpoint = arg_bool(req, "checkpoint");
    rq.path = arg_str(req, "path");
    rq.name = arg_str(req, "name");
    rq.memkb = (uint64_t)arg_int(req, "memkb", 0);
    if (type == XLD_OP_VCPU_SET) {
        long long c = arg_int(req, "count", 0);

        if (c < 1 || c > 4096) {
            reply_error(req, XLD_E_INVALID_ARGUMENT, "vcpu-set: 'count' "
                        "must be from 1 to 4096");
            goto out;
        }
        rq.count = (int)c;
    }
    if (type == XLD_OP_VCPU_PIN) {
        yajl_val v = arg(req, "vcpu");

        rq.vcpu = YAJL_IS_INTEGER(v) ? (int)YAJL_GET_INTEGER(v) : -1;
        rq.hard = arg_str(req, "hard");
        rq.soft = arg_str(req, "soft");
    }
    if (type == XLD_OP_SYSRQ) {
        const char *key = arg_str(req, "key");

        /* xl sysrq takes one letter; the rest is the domain table's. */
        if (strlen(key) != 1) {
            reply_error(req, XLD_E_INVALID_ARGUMENT, "sysrq: 'key' is one "
                        "character");
            goto out;
        }
        rq.key = key[0];
    }
    if (type == XLD_OP_SCHED_SET) {
        long long w = arg_int(req, "weight", -1), c = arg_int(req, "cap", -1);

        if (w > 65535 || c > 409600) {
            reply_error(req, XLD_E_INVALID_ARGUMENT, "sched-set: 'weight' "
                        "is from 1 to 65535, 'cap' from 0 to 100 per vcpu");
            goto out;
        }
        rq.weight = (int)w;
        rq.cap = (int)c;
        rq.scheduler = arg_str(req, "scheduler");
    }
    submit(req, dom, &rq);

out:
    xld_dm_request_dispose(&rq);
}

/*
 * Live migration, the sending side: the transport command is built here
 * as xl builds it (migrate.h), and run by the domain's operation.
 */
static void cmd_migrate(struct xld_request *req)
{
    const char *host = arg_str(req, "host");
    const char *ssh = arg_str(req, "ssh");
    struct xld_dm_request rq;
    struct xld_domain *dom;
    char *command = NULL;
    int rc;

    /* Last: an unknown domain is answered, and req freed, by it. */
    dom = arg_domain(req);
    if (!dom)
        return;
    xld_dm_request_init(&rq);
    if (!*host) {
        reply_error(req, XLD_E_INVALID_ARGUMENT, "migrate: 'host' is "
                    "empty");
        goto out;
    }
    rc = xld_mig_command(ssh ? ssh : "ssh", host, arg_bool(req, "no_wait"),
                         arg_bool(req, "debug"), arg_bool(req, "paused"),
                         &command);
    if (rc) {
        reply_error(req, XLD_E_FAILED, "%s", strerror(rc));
        goto out;
    }
    rq.type = XLD_OP_MIGRATE;
    rq.command = command;
    rq.paused = arg_bool(req, "paused");
    rq.debug = arg_bool(req, "debug");
    rq.dry_run = arg_bool(req, "dry_run");
    rq.no_live = arg_bool(req, "no_live");
    rq.config = arg_str(req, "config");
    rq.filename = arg_str(req, "filename");
    submit(req, dom, &rq);
out:
    xld_dm_request_dispose(&rq);
    free(command);
}

static void received(void *opaque, int rc, const char *msg,
                     const char *name, uint32_t domid)
{
    struct xld_mig_receiver *r = NULL;
    struct xld_request *req = opaque;
    struct xld_dm_result res;

    memset(&res, 0, sizeof(res));
    res.rc = rc;
    res.msg = msg;
    res.domid = domid;
    /* Answered as a restore is: the domain's domid and name; a dry run
     * made none, and is answered {}. */
    res.name = rc || domid == XLD_NO_DOMID ? NULL : name;
    r = req->receiver;
    req->receiver = NULL;
    LIST_REMOVE(req, rlink);
    op_done(req, &res);
    xld_mig_receiver_free(r);
}

/*
 * Live migration, the receiving side: the client (xlctl migrate-receive,
 * under sshd) passed its stdin and stdout with the request, and the
 * domain comes on them.
 */
static void cmd_migrate_receive(struct xld_request *req)
{
    struct xld_dm *dm = req->proto->dm;
    int fds[2] = { -1, -1 };
    size_t n;
    int rc;

    n = xld_client_take_fds(req->client, fds, 2);
    if (n != 2) {
        if (n == 1)
            close(fds[0]);
        reply_error(req, XLD_E_INVALID_ARGUMENT, "migrate-receive: the "
                    "request must come with two file descriptors (the "
                    "stream in and out, SCM_RIGHTS); it came with %zu", n);
        return;
    }
    xld_info("%s: migrate-receive", xld_client_name(req->client));
    rc = xld_mig_receive(dm, xld_dm_loop(dm), fds[0], fds[1],
                         arg_bool(req, "paused"), received, op_progress, req,
                         &req->receiver);
    if (rc) {
        reply_error(req, XLD_E_FAILED, "migrate-receive: %s", strerror(rc));
        return;
    }
    LIST_INSERT_HEAD(&req->proto->receiving, req, rlink);
}

static void cmd_restore(struct xld_request *req)
{
    struct xld_dm_request rq;

    xld_dm_request_init(&rq);
    rq.type = XLD_OP_RESTORE;
    rq.path = arg_str(req, "path");
    rq.paused = arg_bool(req, "paused");
    submit(req, NULL, &rq);
    xld_dm_request_dispose(&rq);
}

/*
 * Where a console client attaches.  xld does not relay the console: on
 * Xen, the client (xlctl console) runs Xen's own xenconsole on the
 * domain this names, as xl console does, so the escape key and the
 * terminal handling are the ones admins know; on the simulator, whose
 * consoles xenconsole cannot find, xlctl opens the tty itself.  The
 * reply names the backend so that the client knows which.  Without a
 * type, the primary console, as xl's: the emulated serial port of an HVM
 * guest, the PV console of others (a domain xld did not create counts as
 * PV unless asked otherwise).
 */
static void cmd_console(struct xld_request *req)
{
    struct xld_backend *be = xld_dm_backend(req->proto->dm);
    /* The arguments first: a domain that is not found is answered, and
     * the request freed, by arg_domain. */
    const char *tname = arg_str(req, "type");
    long long num = arg_int(req, "num", 0);
    struct xld_domain *dom = arg_domain(req);
    libxl_console_type type = LIBXL_CONSOLE_TYPE_PV;
    char *tty = NULL;
    yajl_gen g;
    int rc;

    if (!dom)
        return;
    if (tname && libxl_console_type_from_string(tname, &type)) {
        reply_error(req, XLD_E_INVALID_ARGUMENT, "console: 'type' is pv, "
                    "serial or vuart, not '%s'", tname);
        return;
    }
    if (!tname && dom->managed && dom->have_dc
        && dom->dc.c_info.type == LIBXL_DOMAIN_TYPE_HVM)
        type = LIBXL_CONSOLE_TYPE_SERIAL;
    if (num < 0 || num > 255) {
        reply_error(req, XLD_E_INVALID_ARGUMENT, "console: 'num' is from 0 "
                    "to 255");
        return;
    }
    if (dom->domid == XLD_NO_DOMID) {
        reply_error(req, XLD_E_BUSY, "%s has no domain in the hypervisor "
                    "right now", dom->name);
        return;
    }
    rc = be->ops->console_tty
         ? be->ops->console_tty(be, dom->domid, (int)num, type, &tty)
         : -EOPNOTSUPP;
    if (rc == -EOPNOTSUPP) {
        reply_error(req, XLD_E_FAILED, "the %s backend has no guest "
                    "consoles", be->ops->name);
        goto out;
    }
    /* The domain is there, the console is not: not DomainNotFound. */
    if (rc == -ENOENT) {
        reply_error(req, XLD_E_FAILED, "%s has no %s console %lld%s",
                    dom->name, libxl_console_type_to_string(type), num,
                    type == LIBXL_CONSOLE_TYPE_SERIAL && dom->managed
                    && dom->have_dc
                    && dom->dc.c_info.type != LIBXL_DOMAIN_TYPE_HVM
                    ? " (only an HVM guest has a serial port)" : "");
        goto out;
    }
    if (rc) {
        reply_error(req, error_class(rc), "%s has no %s console %lld: %s",
                    dom->name, libxl_console_type_to_string(type), num,
                    strerror(-rc));
        goto out;
    }
    g = reply_begin();
    if (g) {
        gen_key(g, "return");
        yajl_gen_map_open(g);
        gen_kv_int(g, "domid", dom->domid);
        gen_kv_str(g, "type", libxl_console_type_to_string(type));
        gen_kv_int(g, "num", num);
        gen_kv_str(g, "tty", tty);
        gen_kv_str(g, "backend", be->ops->name);
        yajl_gen_map_close(g);
    }
    reply_end(req, g);
out:
    free(tty);
}

/* ---- cpu placement and scheduling --------------------------------------- */

/* The cpus of a map, as an array of numbers (up to the host's cpus). */
static void gen_cpus(yajl_gen g, const char *key, const libxl_bitmap *m,
                     int nr_cpus)
{
    gen_key(g, key);
    yajl_gen_array_open(g);
    for (int c = 0; c < nr_cpus && (uint32_t)c < m->size * 8; c++)
        if (libxl_bitmap_test(m, c))
            yajl_gen_integer(g, c);
    yajl_gen_array_close(g);
}

/* The backend's op or a reply saying the backend has none; NULL after
 * replying. */
static struct xld_backend *backend_with(struct xld_request *req,
                                        const void *op)
{
    struct xld_backend *be = xld_dm_backend(req->proto->dm);

    if (!op) {
        reply_error(req, XLD_E_FAILED, "the %s backend cannot do %s",
                    be->ops->name, req->cmd->name);
        return NULL;
    }
    return be;
}

/*
 * Every vcpu of one domain or of all, as xl vcpu-list shows them: where
 * each runs, its state, its time and its hard and soft affinity.  A
 * domain that went away while listing all is left out, as xl does.
 */
static void cmd_vcpu_list(struct xld_request *req)
{
    struct xld_backend *be = xld_dm_backend(req->proto->dm);
    struct xld_domain **v = NULL;
    struct xld_host_info hi;
    struct vcpus { libxl_vcpuinfo *vi; int n; } *got = NULL;
    yajl_gen g;
    char t[32];
    size_t n = 0;
    int rc;

    if (!(be = backend_with(req, be->ops->vcpu_info)))
        return;
    memset(&hi, 0, sizeof(hi));
    rc = be->ops->host_info(be, &hi);
    if (rc) {
        reply_error(req, XLD_E_FAILED, "asking the hypervisor: %s",
                    strerror(-rc));
        return;
    }
    v = listed(req, &n);
    if (!v)
        return;
    got = calloc(n ? n : 1, sizeof(*got));
    if (!got) {
        reply_error(req, XLD_E_FAILED, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        rc = be->ops->vcpu_info(be, v[i]->domid, &got[i].vi, &got[i].n);
        if (rc && arg(req, "domain")) {
            reply_error(req, error_class(rc), "the vcpus of %s: %s",
                        v[i]->name, strerror(-rc));
            goto out;
        }
    }
    g = reply_begin();
    if (g) {
        gen_key(g, "return");
        yajl_gen_map_open(g);
        gen_kv_int(g, "nr_cpus", hi.nr_cpus);
        gen_key(g, "vcpus");
        yajl_gen_array_open(g);
        for (size_t i = 0; i < n; i++) {
            for (int k = 0; k < got[i].n; k++) {
                const libxl_vcpuinfo *x = &got[i].vi[k];

                yajl_gen_map_open(g);
                gen_kv_str(g, "name", v[i]->name);
                gen_kv_int(g, "domid", v[i]->domid);
                gen_kv_int(g, "vcpu", x->vcpuid);
                gen_kv_int(g, "cpu", x->cpu);
                gen_kv_bool(g, "online", x->online);
                gen_kv_bool(g, "running", x->running);
                gen_kv_bool(g, "blocked", x->blocked);
                snprintf(t, sizeof(t), "%.3f", (double)x->vcpu_time / 1e9);
                gen_key(g, "time");
                yajl_gen_number(g, t, strlen(t));
                gen_cpus(g, "hard", &x->cpumap, hi.nr_cpus);
                gen_cpus(g, "soft", &x->cpumap_soft, hi.nr_cpus);
                yajl_gen_map_close(g);
            }
        }
        yajl_gen_array_close(g);
        yajl_gen_map_close(g);
    }
    reply_end(req, g);
out:
    for (size_t i = 0; got && i < n; i++)
        if (got[i].vi)
            libxl_vcpuinfo_list_free(got[i].vi, got[i].n);
    free(got);
    free(v);
}

/* The cpupools, or the one named (by name or poolid), as xl
 * cpupool-list shows them. */
static void cmd_cpupool_list(struct xld_request *req)
{
    struct xld_backend *be = xld_dm_backend(req->proto->dm);
    const char *want = arg_str(req, "pool");
    struct xld_host_info hi;
    struct xld_cpupool *pools = NULL;
    char id[16];
    bool found = !want;
    yajl_gen g;
    int np = 0, rc;

    if (!(be = backend_with(req, be->ops->cpupool_info)))
        return;
    memset(&hi, 0, sizeof(hi));
    be->ops->host_info(be, &hi);
    rc = be->ops->cpupool_info(be, &pools, &np);
    if (rc) {
        reply_error(req, XLD_E_FAILED, "asking the hypervisor for its "
                    "cpupools: %s", strerror(-rc));
        return;
    }
    for (int i = 0; want && i < np; i++) {
        snprintf(id, sizeof(id), "%" PRIu32, pools[i].poolid);
        found |= (pools[i].name && !strcmp(pools[i].name, want))
                 || !strcmp(id, want);
    }
    if (!found) {
        reply_error(req, XLD_E_INVALID_ARGUMENT, "pool '%s' does not exist",
                    want);
        goto out;
    }
    g = reply_begin();
    if (g) {
        gen_key(g, "return");
        yajl_gen_array_open(g);
        for (int i = 0; i < np; i++) {
            snprintf(id, sizeof(id), "%" PRIu32, pools[i].poolid);
            if (want && (!pools[i].name || strcmp(pools[i].name, want))
                && strcmp(id, want))
                continue;
            yajl_gen_map_open(g);
            gen_kv_str(g, "name", pools[i].name ? pools[i].name : "");
            gen_kv_int(g, "poolid", pools[i].poolid);
            gen_kv_str(g, "sched",
                       libxl_scheduler_to_string(pools[i].sched)
                       ? libxl_scheduler_to_string(pools[i].sched)
                       : "unknown");
            gen_cpus(g, "cpus", &pools[i].cpus, hi.nr_cpus > 0
                     ? hi.nr_cpus : (int)pools[i].cpus.size * 8);
            gen_kv_int(g, "domains", pools[i].n_dom);
            if (pools[i].ratelimit_us >= 0)
                gen_kv_int(g, "ratelimit_us", pools[i].ratelimit_us);
            yajl_gen_map_close(g);
        }
        yajl_gen_array_close(g);
    }
    reply_end(req, g);
out:
    xld_cpupool_list_free(pools, np);
}

/* The scheduler parameters of one domain or of all, with the cpupool
 * each is in (xl sched-credit2 lists them pool by pool). */
static void cmd_sched_get(struct xld_request *req)
{
    struct xld_backend *be = xld_dm_backend(req->proto->dm);
    struct xld_domain **v = NULL;
    libxl_domain_sched_params sp;
    const char *sched;
    yajl_gen g;
    size_t n;
    int rc;

    if (!(be = backend_with(req, be->ops->sched_get)))
        return;
    /* For each domain's pool, which the backend's list says. */
    xld_dm_refresh(req->proto->dm);
    v = listed(req, &n);
    if (!v)
        return;
    libxl_domain_sched_params_init(&sp);
    g = reply_begin();
    if (!g) {
        reply_end(req, NULL);
        goto out;
    }
    gen_key(g, "return");
    yajl_gen_array_open(g);
    for (size_t i = 0; i < n; i++) {
        libxl_domain_sched_params_dispose(&sp);
        libxl_domain_sched_params_init(&sp);
        rc = be->ops->sched_get(be, v[i]->domid, &sp);
        if (rc && arg(req, "domain")) {
            yajl_gen_free(g);
            reply_error(req, error_class(rc), "the scheduler parameters of "
                        "%s: %s", v[i]->name, strerror(-rc));
            goto out;
        }
        if (rc)
            continue;
        sched = libxl_scheduler_to_string(sp.sched);
        yajl_gen_map_open(g);
        gen_kv_str(g, "name", v[i]->name);
        gen_kv_int(g, "domid", v[i]->domid);
        gen_kv_int(g, "poolid", v[i]->info.cpupool);
        gen_kv_str(g, "sched", sched ? sched : "unknown");
        gen_kv_int(g, "weight", sp.weight);
        gen_kv_int(g, "cap", sp.cap);
        yajl_gen_map_close(g);
    }
    yajl_gen_array_close(g);
    reply_end(req, g);
out:
    libxl_domain_sched_params_dispose(&sp);
    free(v);
}

static void cmd_sim_inject(struct xld_request *req)
{
    struct xld_backend *be = xld_dm_backend(req->proto->dm);
    const char *what = arg_str(req, "what");
    yajl_val dv = arg(req, "domain");
    uint32_t domid = 0;
    int rc;

    if (!be->ops->inject) {
        reply_error(req, XLD_E_FAILED, "the %s backend cannot inject "
                    "faults", be->ops->name);
        return;
    }
    if (dv) {
        const char *s = YAJL_GET_STRING(dv);
        struct xld_domain *dom = NULL;

        if (YAJL_IS_INTEGER(dv))
            domid = (uint32_t)YAJL_GET_INTEGER(dv);
        else if ((dom = xld_dm_lookup(req->proto->dm, s)))
            domid = dom->domid;
        else {
            reply_error(req, XLD_E_DOMAIN_NOT_FOUND, "no domain '%s'", s);
            return;
        }
    }
    rc = be->ops->inject(be, what, domid, arg_int(req, "value", 0));
    if (rc == -EINVAL) {
        reply_error(req, XLD_E_INVALID_ARGUMENT, "sim-inject: unknown "
                    "'what' (%s) or value", what);
        return;
    }
    if (rc) {
        reply_error(req, error_class(rc), "sim-inject %s: %s", what,
                    strerror(-rc));
        return;
    }
    xld_info("%s: injected %s into domain %" PRIu32,
             xld_client_name(req->client), what, domid);
    reply_empty(req);
}

/* ---- the host job (host.c) ---------------------------------------------- */

/* The job's events go to the client that asked for it, as PROGRESS
 * does: HOST_JOB when it has its list, HOST_DOMAIN for every domain's
 * outcome, HOST_PROGRESS at most four times a second. */
static void host_started(void *opaque, const char *job, unsigned total,
                         unsigned maxwait)
{
    struct xld_request *req = opaque;
    yajl_gen g;

    if (!xld_client_alive(req->client) || !(g = event_begin("HOST_JOB")))
        return;
    gen_key(g, "id");
    xld_proto_gen_tree(g, req->id);
    gen_kv_str(g, "job", job);
    gen_kv_int(g, "total", total);
    gen_kv_int(g, "maxwait", maxwait);
    event_end(req->proto, req->client, g);
}

static void gen_outcome(yajl_gen g, const struct xld_host_outcome *o)
{
    gen_kv_str(g, "domain", o->domain);
    gen_kv_str(g, "action", o->action);
    gen_kv_str(g, "outcome", o->outcome);
    if (o->path)
        gen_kv_str(g, "path", o->path);
    if (o->detail)
        gen_kv_str(g, "detail", o->detail);
    gen_kv_bool(g, "failed", o->failed);
}

static void host_outcome(void *opaque, const struct xld_host_outcome *o)
{
    struct xld_request *req = opaque;
    yajl_gen g;

    if (!xld_client_alive(req->client) || !(g = event_begin("HOST_DOMAIN")))
        return;
    gen_key(g, "id");
    xld_proto_gen_tree(g, req->id);
    gen_outcome(g, o);
    event_end(req->proto, req->client, g);
}

static void host_progress(void *opaque, const struct xld_host_progress *p)
{
    struct xld_request *req = opaque;
    uint64_t now = xld_loop_now(NULL);
    yajl_gen g;

    if (p->done < p->total && req->last_progress
        && now - req->last_progress < PROGRESS_MS)
        return;
    req->last_progress = now;
    if (!xld_client_alive(req->client)
        || !(g = event_begin("HOST_PROGRESS")))
        return;
    gen_key(g, "id");
    xld_proto_gen_tree(g, req->id);
    gen_kv_str(g, "job", p->job);
    gen_kv_int(g, "done", p->done);
    gen_kv_int(g, "total", p->total);
    gen_kv_int(g, "active", p->active);
    if (p->domain) {
        gen_kv_str(g, "domain", p->domain);
        gen_kv_str(g, "step", p->step);
        gen_kv_int(g, "bytes_done", (long long)p->bytes_done);
        gen_kv_int(g, "bytes_total", (long long)p->bytes_total);
    }
    gen_kv_int(g, "all_bytes_done", (long long)p->all_bytes_done);
    if (p->seconds_left)
        gen_kv_int(g, "seconds_left", p->seconds_left);
    event_end(req->proto, req->client, g);
}

static void host_done(void *opaque, int rc, const char *msg,
                      const struct xld_host_summary *s)
{
    struct xld_request *req = opaque;
    yajl_gen g;

    if (rc) {
        reply_error(req, error_class(rc), "%s", msg ? msg : strerror(-rc));
        return;
    }
    g = reply_begin();
    if (g) {
        gen_key(g, "return");
        yajl_gen_map_open(g);
        gen_kv_str(g, "job", s->job);
        gen_kv_int(g, "failed", s->failed);
        gen_kv_int(g, "maxwait", s->maxwait);
        gen_kv_int(g, "parallel", s->parallel);
        gen_key(g, "domains");
        yajl_gen_array_open(g);
        for (size_t i = 0; i < s->n; i++) {
            yajl_gen_map_open(g);
            gen_outcome(g, &s->outcomes[i]);
            yajl_gen_map_close(g);
        }
        yajl_gen_array_close(g);
        gen_key(g, "warnings");
        yajl_gen_array_open(g);
        for (size_t i = 0; i < s->nwarnings; i++)
            xld_proto_gen_str(g, s->warnings[i]);
        yajl_gen_array_close(g);
        yajl_gen_map_close(g);
    }
    reply_end(req, g);
}

static void cmd_host(struct xld_request *req)
{
    static const struct xld_host_client cl = {
        .started = host_started,
        .outcome = host_outcome,
        .progress = host_progress,
        .done = host_done,
    };

    if (!req->proto->host) {
        reply_error(req, XLD_E_FAILED, "this xld has no host job");
        return;
    }
    xld_info("%s: %s", xld_client_name(req->client), req->cmd->name);
    xld_host_run(req->proto->host, strcmp(req->cmd->name, "host-stop")
                 ? XLD_HOST_START : XLD_HOST_STOP, &cl, req);
}

static void cmd_autostart_list(struct xld_request *req)
{
    struct xld_host_auto *a = NULL;
    char err[512], *dir = NULL;
    size_t n = 0;
    yajl_gen g;
    int rc;

    if (!req->proto->host) {
        reply_error(req, XLD_E_FAILED, "this xld has no host job");
        return;
    }
    rc = xld_host_auto_list(req->proto->host, &dir, &a, &n, err,
                            sizeof(err));
    if (rc) {
        reply_error(req, error_class(rc), "%s", err);
        return;
    }
    g = reply_begin();
    if (g) {
        gen_key(g, "return");
        yajl_gen_map_open(g);
        gen_kv_str(g, "dir", dir);
        gen_key(g, "entries");
        yajl_gen_array_open(g);
        for (size_t i = 0; i < n; i++) {
            yajl_gen_map_open(g);
            gen_kv_str(g, "file", a[i].file);
            if (a[i].target)
                gen_kv_str(g, "target", a[i].target);
            if (a[i].domain)
                gen_kv_str(g, "domain", a[i].domain);
            if (a[i].problem)
                gen_kv_str(g, "problem", a[i].problem);
            gen_kv_bool(g, "running", a[i].running);
            yajl_gen_map_close(g);
        }
        yajl_gen_array_close(g);
        yajl_gen_map_close(g);
    }
    reply_end(req, g);
    xld_host_auto_free(a, n);
    free(dir);
}

/* autostart-add and autostart-remove: one change, one path back. */
static void cmd_autostart_change(struct xld_request *req)
{
    bool add = !strcmp(req->cmd->name, "autostart-add");
    char err[512], *path = NULL;
    yajl_gen g;
    int rc;

    if (!req->proto->host) {
        reply_error(req, XLD_E_FAILED, "this xld has no host job");
        return;
    }
    rc = add ? xld_host_auto_add(req->proto->host, arg_str(req, "config"),
                                 &path, err, sizeof(err))
             : xld_host_auto_remove(req->proto->host, arg_str(req, "name"),
                                    &path, err, sizeof(err));
    if (rc) {
        /* No such entry is not a missing domain. */
        reply_error(req, rc == -ENOENT ? XLD_E_INVALID_ARGUMENT
                    : error_class(rc), "%s", err);
        return;
    }
    g = reply_begin();
    if (g) {
        gen_key(g, "return");
        yajl_gen_map_open(g);
        gen_kv_str(g, "path", path);
        yajl_gen_map_close(g);
    }
    reply_end(req, g);
    free(path);
}

/* ---- devices while the domain runs -------------------------------------- */

/* block-attach, block-detach, network-attach, network-detach,
 * pci-attach, pci-detach, cd-insert, cd-eject: one operation on the
 * domain's queue, as the table row says. */
static void cmd_device_op(struct xld_request *req)
{
    struct xld_domain *dom = arg_domain(req);
    struct xld_dm_request rq;
    char **specs = NULL;
    yajl_val sp;

    /* A reply (the error) ends the request: nothing of it is read
     * after. */
    if (!dom)
        return;
    sp = arg(req, "specs");
    xld_dm_request_init(&rq);
    rq.type = req->cmd->op;
    rq.force = arg_bool(req, "force");
    rq.device = arg_str(req, "vdev") ? arg_str(req, "vdev")
                : arg_str(req, "device") ? arg_str(req, "device")
                : arg_str(req, "spec");
    rq.target = arg_str(req, "target");
    if (sp && sp->u.array.len) {
        specs = calloc(sp->u.array.len, sizeof(*specs));
        if (!specs) {
            reply_error(req, XLD_E_FAILED, "out of memory");
            goto out;
        }
        for (size_t i = 0; i < sp->u.array.len; i++)
            specs[i] = YAJL_GET_STRING(sp->u.array.values[i]);
        rq.specs = specs;
        rq.nspecs = sp->u.array.len;
    }
    submit(req, dom, &rq);
out:
    free(specs);
    xld_dm_request_dispose(&rq);
}

/*
 * block-list, network-list: the devices of one domain, as libxl's
 * getinfo describes them (what xl block-list and network-list print).
 */
static void cmd_device_list(struct xld_request *req)
{
    struct xld_backend *be = xld_dm_backend(req->proto->dm);
    bool vif = !strcmp(req->cmd->name, "network-list");
    struct xld_domain *dom = arg_domain(req);
    struct xld_devinfo *l = NULL;
    char mac[32];
    yajl_gen g;
    int n = 0, rc;

    if (!dom)
        return;
    if (!(be = backend_with(req, vif ? (const void *)be->ops->nic_list
                                     : (const void *)be->ops->disk_list)))
        return;
    if (dom->domid == XLD_NO_DOMID) {
        reply_error(req, XLD_E_BUSY, "%s has no domain in the hypervisor "
                    "right now", dom->name);
        return;
    }
    rc = vif ? be->ops->nic_list(be, dom->domid, &l, &n)
             : be->ops->disk_list(be, dom->domid, &l, &n);
    if (rc) {
        reply_error(req, error_class(rc), "the %s of %s: %s",
                    vif ? "vifs" : "disks", dom->name, strerror(-rc));
        return;
    }
    g = reply_begin();
    if (g) {
        gen_key(g, "return");
        yajl_gen_map_open(g);
        gen_kv_str(g, "name", dom->name);
        gen_kv_int(g, "domid", dom->domid);
        gen_key(g, "devices");
        yajl_gen_array_open(g);
        for (int i = 0; i < n; i++) {
            yajl_gen_map_open(g);
            gen_kv_int(g, "devid", l[i].devid);
            gen_kv_int(g, "backend_id", l[i].backend_id);
            gen_kv_int(g, "frontend_id", l[i].frontend_id);
            gen_kv_int(g, "state", l[i].state);
            gen_kv_int(g, "evtch", l[i].evtch);
            if (vif) {
                snprintf(mac, sizeof(mac), LIBXL_MAC_FMT,
                         LIBXL_MAC_BYTES(l[i].mac));
                gen_kv_str(g, "mac", mac);
                gen_kv_int(g, "tx_ring_ref", l[i].rref);
                gen_kv_int(g, "rx_ring_ref", l[i].rref_rx);
            } else {
                gen_kv_str(g, "vdev", l[i].vdev ? l[i].vdev : "");
                gen_kv_int(g, "ring_ref", l[i].rref);
                if (l[i].target)
                    gen_kv_str(g, "target", l[i].target);
            }
            gen_kv_str(g, "backend", l[i].backend ? l[i].backend : "");
            yajl_gen_map_close(g);
        }
        yajl_gen_array_close(g);
        yajl_gen_map_close(g);
    }
    reply_end(req, g);
    xld_devinfo_list_free(l, n);
}

/* A PCI address as libxl writes one: "0000:03:00.0". */
static void gen_kv_bdf(yajl_gen g, const char *key,
                       const libxl_device_pci *pci)
{
    char bdf[32];

    snprintf(bdf, sizeof(bdf), "%04x:%02x:%02x.%x",
             (unsigned)pci->domain & 0xffff, pci->bus, pci->dev & 0x1f,
             pci->func & 7);
    gen_kv_str(g, key, bdf);
}

/* pci-list: the PCI devices of one domain, as libxl_device_pci_list
 * gives them (what xl pci-list prints). */
static void cmd_pci_list(struct xld_request *req)
{
    struct xld_backend *be = xld_dm_backend(req->proto->dm);
    struct xld_domain *dom = arg_domain(req);
    libxl_device_pci *l = NULL;
    const char *policy;
    yajl_gen g;
    int n = 0, rc;

    if (!dom || !(be = backend_with(req, (const void *)be->ops->pci_list)))
        return;
    if (dom->domid == XLD_NO_DOMID) {
        reply_error(req, XLD_E_BUSY, "%s has no domain in the hypervisor "
                    "right now", dom->name);
        return;
    }
    rc = be->ops->pci_list(be, dom->domid, &l, &n);
    if (rc) {
        reply_error(req, error_class(rc), "the pci devices of %s: %s",
                    dom->name, strerror(-rc));
        return;
    }
    g = reply_begin();
    if (g) {
        gen_key(g, "return");
        yajl_gen_map_open(g);
        gen_kv_str(g, "name", dom->name);
        gen_kv_int(g, "domid", dom->domid);
        gen_key(g, "devices");
        yajl_gen_array_open(g);
        for (int i = 0; i < n; i++) {
            yajl_gen_map_open(g);
            gen_kv_bdf(g, "bdf", &l[i]);
            gen_kv_int(g, "vdevfn", l[i].vdevfn);
            if (l[i].name)
                gen_kv_str(g, "name", l[i].name);
            gen_kv_bool(g, "permissive", l[i].permissive);
            gen_kv_bool(g, "msitranslate", l[i].msitranslate);
            gen_kv_bool(g, "power_mgmt", l[i].power_mgmt);
            policy = libxl_rdm_reserve_policy_to_string(l[i].rdm_policy);
            gen_kv_str(g, "rdm_policy", policy ? policy : "invalid");
            yajl_gen_map_close(g);
        }
        yajl_gen_array_close(g);
        yajl_gen_map_close(g);
    }
    reply_end(req, g);
    libxl_device_pci_list_free(l, n);
}

/* pci-assignable-list: the host's devices ready for a guest. */
static void cmd_pci_assignable_list(struct xld_request *req)
{
    struct xld_backend *be = xld_dm_backend(req->proto->dm);
    libxl_device_pci *l = NULL;
    yajl_gen g;
    int n = 0, rc;

    if (!(be = backend_with(req, (const void *)be->ops->pci_assignable_list)))
        return;
    rc = be->ops->pci_assignable_list(be, &l, &n);
    if (rc) {
        reply_error(req, error_class(rc), "the assignable pci devices: %s",
                    strerror(-rc));
        return;
    }
    g = reply_begin();
    if (g) {
        gen_key(g, "return");
        yajl_gen_map_open(g);
        gen_key(g, "devices");
        yajl_gen_array_open(g);
        for (int i = 0; i < n; i++) {
            yajl_gen_map_open(g);
            gen_kv_bdf(g, "bdf", &l[i]);
            if (l[i].name)
                gen_kv_str(g, "name", l[i].name);
            yajl_gen_map_close(g);
        }
        yajl_gen_array_close(g);
        yajl_gen_map_close(g);
    }
    reply_end(req, g);
    libxl_device_pci_assignable_list_free(l, n);
}

/*
 * pci-assignable-add and pci-assignable-remove: the host's side, at once
 * (no domain's queue is involved).  As xl: add takes an address and an
 * optional name; remove takes a name, or, when no device has that name,
 * an address.
 */
static void cmd_pci_assignable_change(struct xld_request *req)
{
    struct xld_backend *be = xld_dm_backend(req->proto->dm);
    bool add = !strcmp(req->cmd->name, "pci-assignable-add");
    const char *text = add ? arg_str(req, "bdf") : arg_str(req, "device");
    const char *name = arg_str(req, "name");
    libxl_device_pci pci;
    char why[256] = "the backend refused it as it is";
    int rc;

    libxl_device_pci_init(&pci);
    be = backend_with(req, add ? (const void *)be->ops->pci_assignable_add
                               : (const void *)be->ops->pci_assignable_remove);
    if (!be)
        goto out;
    if (add) {
        rc = xlconv_pci_address(text, &pci, why, sizeof(why));
        if (!rc && name && !(pci.name = strdup(name)))
            rc = ENOMEM;
        rc = rc ? -rc : be->ops->pci_assignable_add(be, &pci, true);
    } else {
        /* A name first, as xl tries it. */
        rc = (pci.name = strdup(text)) ? 0 : -ENOMEM;
        if (!rc)
            rc = be->ops->pci_assignable_remove(be, &pci,
                                                arg_bool(req, "rebind"));
        if (rc == -ENODEV) {
            free(pci.name);
            pci.name = NULL;
            rc = -xlconv_pci_address(text, &pci, why, sizeof(why));
            if (rc == -EINVAL)
                snprintf(why, sizeof(why), "no device is named '%s', and "
                         "it is no PCI address [DDDD:]BB:DD.F", text);
            else
                rc = be->ops->pci_assignable_remove(be, &pci,
                                                    arg_bool(req, "rebind"));
        }
    }
    switch (rc) {
    case 0:
        xld_info("%s: %s %s", xld_client_name(req->client), req->cmd->name,
                 text);
        reply_empty(req);
        break;
    case -EINVAL:
        reply_error(req, XLD_E_INVALID_ARGUMENT, "%s", pci.name && add
                    ? "a device name is 1 to 64 printable characters, "
                      "and no other device's" : why);
        break;
    case -ENODEV:
        reply_error(req, XLD_E_INVALID_ARGUMENT, "the host has no PCI "
                    "device %s", text);
        break;
    case -EBUSY:
        reply_error(req, XLD_E_BUSY, "%s is attached to a domain "
                    "(pci-detach it first)", text);
        break;
    default:
        reply_error(req, error_class(rc), "%s %s: %s", req->cmd->name, text,
                    strerror(-rc));
        break;
    }
out:
    libxl_device_pci_dispose(&pci);
}

static const struct arg_spec args_none[] = { { NULL, 0, false } };
static const struct arg_spec args_domain[] = {
    { "domain", ARG_DOMAIN, true }, { NULL, 0, false } };
static const struct arg_spec args_domain_opt[] = {
    { "domain", ARG_DOMAIN, false }, { NULL, 0, false } };
static const struct arg_spec args_create[] = {
    { "config", ARG_STRING, true }, { "filename", ARG_STRING, false },
    { "overrides", ARG_STRINGS, false }, { "paused", ARG_BOOL, false },
    { NULL, 0, false } };
static const struct arg_spec args_shutdown[] = {
    { "domain", ARG_DOMAIN, true }, { "wait", ARG_BOOL, false },
    { "force", ARG_BOOL, false }, { NULL, 0, false } };
static const struct arg_spec args_reboot[] = {
    { "domain", ARG_DOMAIN, true }, { "force", ARG_BOOL, false },
    { NULL, 0, false } };
static const struct arg_spec args_adopt[] = {
    { "domain", ARG_DOMAIN, true }, { "config", ARG_STRING, false },
    { "filename", ARG_STRING, false }, { "overrides", ARG_STRINGS, false },
    { NULL, 0, false } };
static const struct arg_spec args_save[] = {
    { "domain", ARG_DOMAIN, true }, { "path", ARG_STRING, true },
    { "checkpoint", ARG_BOOL, false }, { NULL, 0, false } };
static const struct arg_spec args_migrate[] = {
    { "domain", ARG_DOMAIN, true }, { "host", ARG_STRING, true },
    { "ssh", ARG_STRING, false }, { "config", ARG_STRING, false },
    { "filename", ARG_STRING, false }, { "paused", ARG_BOOL, false },
    { "debug", ARG_BOOL, false }, { "no_wait", ARG_BOOL, false },
    { "dry_run", ARG_BOOL, false }, { "no_live", ARG_BOOL, false },
    { NULL, 0, false } };
static const struct arg_spec args_migrate_receive[] = {
    { "paused", ARG_BOOL, false }, { "debug", ARG_BOOL, false },
    { "no_wait", ARG_BOOL, false }, { NULL, 0, false } };
static const struct arg_spec args_restore[] = {
    { "path", ARG_STRING, true }, { "paused", ARG_BOOL, false },
    { NULL, 0, false } };
static const struct arg_spec args_mem[] = {
    { "domain", ARG_DOMAIN, true }, { "memkb", ARG_UINT, true },
    { NULL, 0, false } };
static const struct arg_spec args_vcpu[] = {
    { "domain", ARG_DOMAIN, true }, { "count", ARG_UINT, true },
    { NULL, 0, false } };
static const struct arg_spec args_rename[] = {
    { "domain", ARG_DOMAIN, true }, { "name", ARG_STRING, true },
    { NULL, 0, false } };
static const struct arg_spec args_console[] = {
    { "domain", ARG_DOMAIN, true }, { "type", ARG_STRING, false },
    { "num", ARG_UINT, false }, { NULL, 0, false } };
static const struct arg_spec args_vcpu_pin[] = {
    { "domain", ARG_DOMAIN, true }, { "vcpu", ARG_VCPU, true },
    { "hard", ARG_STRING, false }, { "soft", ARG_STRING, false },
    { "force", ARG_BOOL, false }, { NULL, 0, false } };
static const struct arg_spec args_cpupool[] = {
    { "pool", ARG_STRING, false }, { NULL, 0, false } };
static const struct arg_spec args_sched_set[] = {
    { "domain", ARG_DOMAIN, true }, { "weight", ARG_UINT, false },
    { "cap", ARG_UINT, false }, { "scheduler", ARG_STRING, false },
    { NULL, 0, false } };
static const struct arg_spec args_sysrq[] = {
    { "domain", ARG_DOMAIN, true }, { "key", ARG_STRING, true },
    { NULL, 0, false } };
static const struct arg_spec args_inject[] = {
    { "what", ARG_STRING, true }, { "domain", ARG_DOMAIN, false },
    { "value", ARG_INT, false }, { NULL, 0, false } };
static const struct arg_spec args_block_attach[] = {
    { "domain", ARG_DOMAIN, true }, { "specs", ARG_STRINGS, true },
    { NULL, 0, false } };
static const struct arg_spec args_block_detach[] = {
    { "domain", ARG_DOMAIN, true }, { "vdev", ARG_STRING, true },
    { "force", ARG_BOOL, false }, { NULL, 0, false } };
static const struct arg_spec args_network_attach[] = {
    { "domain", ARG_DOMAIN, true }, { "specs", ARG_STRINGS, false },
    { NULL, 0, false } };
static const struct arg_spec args_network_detach[] = {
    { "domain", ARG_DOMAIN, true }, { "device", ARG_STRING, true },
    { NULL, 0, false } };
static const struct arg_spec args_pci_attach[] = {
    { "domain", ARG_DOMAIN, true }, { "spec", ARG_STRING, true },
    { NULL, 0, false } };
static const struct arg_spec args_pci_detach[] = {
    { "domain", ARG_DOMAIN, true }, { "spec", ARG_STRING, true },
    { "force", ARG_BOOL, false }, { NULL, 0, false } };
static const struct arg_spec args_pci_assignable_add[] = {
    { "bdf", ARG_STRING, true }, { "name", ARG_STRING, false },
    { NULL, 0, false } };
static const struct arg_spec args_pci_assignable_remove[] = {
    { "device", ARG_STRING, true }, { "rebind", ARG_BOOL, false },
    { NULL, 0, false } };
static const struct arg_spec args_cd_insert[] = {
    { "domain", ARG_DOMAIN, true }, { "vdev", ARG_STRING, true },
    { "target", ARG_STRING, true }, { NULL, 0, false } };
static const struct arg_spec args_cd_eject[] = {
    { "domain", ARG_DOMAIN, true }, { "vdev", ARG_STRING, true },
    { NULL, 0, false } };
static const struct arg_spec args_autostart_add[] = {
    { "config", ARG_STRING, true }, { NULL, 0, false } };
static const struct arg_spec args_autostart_remove[] = {
    { "name", ARG_STRING, true }, { NULL, 0, false } };

/* The command table: the protocol is this table. */
static const struct cmd cmds[] = {
    { "info", cmd_info, CMD_READONLY, args_none, 0 },
    { "list", cmd_list, CMD_READONLY, args_domain_opt, 0 },
    { "domid", cmd_domid, CMD_READONLY, args_domain, 0 },
    { "domname", cmd_domname, CMD_READONLY, args_domain, 0 },
    { "uptime", cmd_uptime, CMD_READONLY, args_domain_opt, 0 },
    { "config", cmd_config, CMD_READONLY, args_domain, 0 },
    { "subscribe", cmd_subscribe, CMD_READONLY, args_none, 0 },
    { "create", cmd_create, 0, args_create, 0 },
    { "shutdown", cmd_domain_op, 0, args_shutdown, XLD_OP_SHUTDOWN },
    { "reboot", cmd_domain_op, 0, args_reboot, XLD_OP_REBOOT },
    { "adopt", cmd_adopt, 0, args_adopt, XLD_OP_ADOPT },
    { "destroy", cmd_domain_op, 0, args_domain, XLD_OP_DESTROY },
    { "pause", cmd_domain_op, 0, args_domain, XLD_OP_PAUSE },
    { "unpause", cmd_domain_op, 0, args_domain, XLD_OP_UNPAUSE },
    { "save", cmd_domain_op, 0, args_save, XLD_OP_SAVE },
    { "restore", cmd_restore, 0, args_restore, 0 },
    { "migrate", cmd_migrate, 0, args_migrate, 0 },
    { "migrate-receive", cmd_migrate_receive, 0, args_migrate_receive, 0 },
    { "mem-set", cmd_domain_op, 0, args_mem, XLD_OP_MEM_SET },
    { "mem-max", cmd_domain_op, 0, args_mem, XLD_OP_MEM_MAX },
    { "vcpu-set", cmd_domain_op, 0, args_vcpu, XLD_OP_VCPU_SET },
    { "rename", cmd_domain_op, 0, args_rename, XLD_OP_RENAME },
    { "console", cmd_console, 0, args_console, 0 },
    { "vcpu-list", cmd_vcpu_list, CMD_READONLY, args_domain_opt, 0 },
    { "vcpu-pin", cmd_domain_op, 0, args_vcpu_pin, XLD_OP_VCPU_PIN },
    { "cpupool-list", cmd_cpupool_list, CMD_READONLY, args_cpupool, 0 },
    { "sched-get", cmd_sched_get, CMD_READONLY, args_domain_opt, 0 },
    { "sched-set", cmd_domain_op, 0, args_sched_set, XLD_OP_SCHED_SET },
    { "sysrq", cmd_domain_op, 0, args_sysrq, XLD_OP_SYSRQ },
    { "block-attach", cmd_device_op, 0, args_block_attach,
      XLD_OP_DISK_ATTACH },
    { "block-detach", cmd_device_op, 0, args_block_detach,
      XLD_OP_DISK_DETACH },
    { "block-list", cmd_device_list, CMD_READONLY, args_domain, 0 },
    { "network-attach", cmd_device_op, 0, args_network_attach,
      XLD_OP_NIC_ATTACH },
    { "network-detach", cmd_device_op, 0, args_network_detach,
      XLD_OP_NIC_DETACH },
    { "network-list", cmd_device_list, CMD_READONLY, args_domain, 0 },
    { "pci-attach", cmd_device_op, 0, args_pci_attach, XLD_OP_PCI_ATTACH },
    { "pci-detach", cmd_device_op, 0, args_pci_detach, XLD_OP_PCI_DETACH },
    { "pci-list", cmd_pci_list, CMD_READONLY, args_domain, 0 },
    { "pci-assignable-list", cmd_pci_assignable_list, CMD_READONLY,
      args_none, 0 },
    { "pci-assignable-add", cmd_pci_assignable_change, 0,
      args_pci_assignable_add, 0 },
    { "pci-assignable-remove", cmd_pci_assignable_change, 0,
      args_pci_assignable_remove, 0 },
    { "cd-insert", cmd_device_op, 0, args_cd_insert, XLD_OP_CD_INSERT },
    { "cd-eject", cmd_device_op, 0, args_cd_eject, XLD_OP_CD_EJECT },
    { "stats", cmd_stats, CMD_READONLY, args_none, 0 },
    { "metrics", cmd_metrics, CMD_READONLY, args_none, 0 },
    { "sim-inject", cmd_sim_inject, 0, args_inject, 0 },
    { "host-start", cmd_host, 0, args_none, 0 },
    { "host-stop", cmd_host, 0, args_none, 0 },
    { "autostart-list", cmd_autostart_list, CMD_READONLY, args_none, 0 },
    { "autostart-add", cmd_autostart_change, 0, args_autostart_add, 0 },
    { "autostart-remove", cmd_autostart_change, 0, args_autostart_remove,
      0 },
    { NULL, NULL, 0, NULL, 0 },
};

/* ---- requests ----------------------------------------------------------- */

/* How deep the line nests, strings skipped; stops counting past max. */
static int nesting(const char *s, int max)
{
    int depth = 0, deepest = 0;
    bool in_str = false;

    for (; *s && deepest <= max; s++) {
        if (in_str) {
            if (*s == '\\' && s[1])
                s++;
            else if (*s == '"')
                in_str = false;
        } else if (*s == '"') {
            in_str = true;
        } else if (*s == '{' || *s == '[') {
            if (++depth > deepest)
                deepest = depth;
        } else if (*s == '}' || *s == ']') {
            depth--;
        }
    }
    return deepest;
}

static yajl_val member(yajl_val obj, const char *key)
{
    for (size_t i = 0; i < obj->u.object.len; i++)
        if (!strcmp(obj->u.object.keys[i], key))
            return obj->u.object.values[i];
    return NULL;
}

static void handle_request(void *opaque, struct xld_client *c, char *line,
                           size_t len)
{
    struct xld_proto *p = opaque;
    struct xld_request *req = NULL;
    char err[512];
    yajl_val root, exec;
    const char *name;

    (void)len;
    if (nesting(line, MAX_DEPTH) > MAX_DEPTH) {
        snprintf(err, sizeof(err), "the request nests deeper than %d "
                 "levels", MAX_DEPTH);
        send_error(p, c, XLD_E_PARSE, err);
        return;
    }
    err[0] = '\0';
    root = yajl_tree_parse(line, err, sizeof(err));
    if (!root || !YAJL_IS_OBJECT(root)) {
        char desc[600];

        /* yajl's message goes on with a picture of the text on further
         * lines: the first line says it. */
        err[strcspn(err, "\n")] = '\0';
        snprintf(desc, sizeof(desc), "%s", root ? "a request must be a "
                 "JSON object" : err[0] ? err : "not JSON");
        yajl_tree_free(root);
        send_error(p, c, XLD_E_PARSE, desc);
        return;
    }
    req = calloc(1, sizeof(*req));
    if (!req) {
        yajl_tree_free(root);
        send_error(p, c, XLD_E_FAILED, "out of memory");
        return;
    }
    req->proto = p;
    req->root = root;
    req->client = c;
    xld_client_ref(c);
    req->id = member(root, "id");
    req->args = member(root, "arguments");
    exec = member(root, "execute");
    if (!YAJL_IS_STRING(exec)) {
        reply_error(req, XLD_E_INVALID_ARGUMENT, "a request needs "
                    "\"execute\": the command, as a string");
        return;
    }
    name = YAJL_GET_STRING(exec);
    if (req->args && YAJL_IS_NULL(req->args))
        req->args = NULL;
    if (req->args && !YAJL_IS_OBJECT(req->args)) {
        reply_error(req, XLD_E_INVALID_ARGUMENT, "\"arguments\" must be an "
                    "object");
        return;
    }
    for (const struct cmd *cmd = cmds; cmd->name; cmd++)
        if (!strcmp(cmd->name, name))
            req->cmd = cmd;
    if (!req->cmd) {
        reply_error(req, XLD_E_COMMAND_NOT_FOUND, "no command '%s'", name);
        return;
    }
    if (!(req->cmd->flags & CMD_READONLY)
        && xld_client_access(c) != XLD_ACCESS_ADMIN) {
        reply_error(req, XLD_E_PERMISSION_DENIED, "%s changes things: it "
                    "needs the admin socket", name);
        return;
    }
    if (!check_args(req))
        return;
    req->cmd->fn(req);
}

static void handle_connected(void *opaque, struct xld_client *c)
{
    struct xld_proto *p = opaque;
    enum xld_client_access a = xld_client_access(c);
    yajl_gen g;

    if (a == XLD_ACCESS_REFUSED) {
        send_error(p, c, XLD_E_PERMISSION_DENIED, "the admin socket is for "
                   "root and the admin group; use the read-only socket");
        return;
    }
    g = yajl_gen_alloc(NULL);
    if (!g)
        return;
    yajl_gen_map_open(g);
    gen_key(g, "xld");
    yajl_gen_map_open(g);
    gen_kv_str(g, "version", PACKAGE_VERSION);
    gen_kv_int(g, "protocol", XLD_PROTOCOL_VERSION);
    gen_kv_str(g, "access", a == XLD_ACCESS_ADMIN ? "admin" : "read-only");
    yajl_gen_map_close(g);
    yajl_gen_map_close(g);
    send_gen(p, c, g);
    yajl_gen_free(g);
}

static void handle_too_large(void *opaque, struct xld_client *c)
{
    char desc[128];

    snprintf(desc, sizeof(desc), "a request line is over %u bytes; closing "
             "the connection", XLD_CONTROL_MAX_LINE);
    xld_notice("%s: %s", xld_client_name(c), desc);
    send_error(opaque, c, XLD_E_TOO_LARGE, desc);
}

const struct xld_control_handlers xld_proto_control_handlers = {
    .connected = handle_connected,
    .request = handle_request,
    .too_large = handle_too_large,
};

int xld_proto_new(struct xld_proto **out, struct xld_dm *dm,
                  const char *backend_name)
{
    struct xld_proto *p = calloc(1, sizeof(*p));

    *out = NULL;
    if (!p)
        return ENOMEM;
    p->dm = dm;
    LIST_INIT(&p->receiving);
    p->backend_name = strdup(backend_name);
    if (!p->backend_name) {
        free(p);
        return ENOMEM;
    }
    *out = p;
    return 0;
}

void xld_proto_free(struct xld_proto *p)
{
    struct xld_request *req;

    if (!p)
        return;
    /* xld stops with a migration coming in: its sender sees the stream
     * end, and destroys nothing (it resumes its guest, or holds it if it
     * had said go); the copy here, if any, went with the table. */
    while ((req = LIST_FIRST(&p->receiving))) {
        LIST_REMOVE(req, rlink);
        xld_mig_receiver_free(req->receiver);
        request_free(req);
    }
    free(p->backend_name);
    free(p);
}

void xld_proto_set_control(struct xld_proto *p, struct xld_control *ctl)
{
    p->ctl = ctl;
}

void xld_proto_set_host(struct xld_proto *p, struct xld_host *host)
{
    p->host = host;
}
