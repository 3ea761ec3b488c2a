/*
 * proto.h - the control protocol (doc/protocol.md): JSON requests in,
 * replies, errors and events out.
 *
 * Each line a client sends is parsed, checked against the command
 * table (the command exists, the socket allows it, the arguments have
 * the right names and types) and handed to its handler: queries are
 * answered from the domain table at once, operations go to the domain
 * table's queues (domain.h) and are answered when they end.  What
 * happens to domains comes back through xld_proto_dm_event() and goes to
 * the subscribed clients.
 */
#ifndef XLD_PROTO_H
#define XLD_PROTO_H

#include <stdbool.h>

#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "control.h"
#include "domain.h"

#define XLD_PROTOCOL_VERSION 1

struct xld_proto;

/* The error classes of doc/protocol.md. */
enum xld_proto_error {
    XLD_E_PARSE,
    XLD_E_TOO_LARGE,
    XLD_E_COMMAND_NOT_FOUND,
    XLD_E_INVALID_ARGUMENT,
    XLD_E_PERMISSION_DENIED,
    XLD_E_DOMAIN_NOT_FOUND,
    XLD_E_BUSY,
    XLD_E_ALREADY_EXISTS,
    XLD_E_CONFIG,
    XLD_E_NO_MEMORY,
    XLD_E_FAILED,
};

int xld_proto_new(struct xld_proto **out, struct xld_dm *dm,
                  const char *backend_name);
void xld_proto_free(struct xld_proto *p);

/* Events go to the subscribed clients of ctl (none before it is set). */
void xld_proto_set_control(struct xld_proto *p, struct xld_control *ctl);

/* The host job (host.c) the host-* and autostart-* commands drive
 * (none before it is set). */
struct xld_host;
void xld_proto_set_host(struct xld_proto *p, struct xld_host *host);

/* The handlers for xld_control_open (opaque: the struct xld_proto). */
extern const struct xld_control_handlers xld_proto_control_handlers;

/* The domain table's event hook (opaque: the struct xld_proto). */
void xld_proto_dm_event(void *opaque, const struct xld_dm_event *ev);

/* The name of an error class, as on the wire. */
const char *xld_proto_error_name(enum xld_proto_error e);

/*
 * JSON helpers for the whole daemon.  Strings that are not valid UTF-8
 * (a domain name from the hypervisor can be anything) are written with
 * each bad byte replaced by '?', so that the output always parses.
 */
yajl_gen_status xld_proto_gen_str(yajl_gen g, const char *s);
/* A parsed tree, written back. */
yajl_gen_status xld_proto_gen_tree(yajl_gen g, yajl_val v);
/* A JSON text, parsed and written back in g's style (compact on the
 * wire, whatever its own layout). */
yajl_gen_status xld_proto_gen_json_text(yajl_gen g, const char *json);
/* A tree as compact JSON text (malloc'd); ENOMEM. */
int xld_proto_tree_to_text(yajl_val v, char **out);

#endif /* XLD_PROTO_H */
