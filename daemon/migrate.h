/*
 * migrate.h - live migration from one xld to another, the way `xl
 * migrate` does it: a transport command (ssh to the target host by
 * default) whose stdin and stdout carry the stream, `xlctl
 * migrate-receive` at the other end handing them to the target's xld,
 * and a handshake around the domain's image so that exactly one of the
 * two hosts runs the guest at any time.
 *
 * The handshake, version 1 (doc/protocol.md, "Migration"): lines of text
 * ending in '\n', at most XLD_MIG_MAX_LINE bytes, and the image between
 * them.
 *
 *   receiver  "xld-migrate-receiver 1"
 *   sender    "xld-migrate-sender 1[ paused][ debug][ check]", then the
 *             header of a save image (state.h: libxl's config and xld's
 *             record)
 *   receiver  "accept", or "refuse MESSAGE" (the name or the uuid is
 *             taken, the config does not convert, the memory is short)
 *
 * With "check" (xlctl migrate --dry-run) the conversation ends there:
 * the receiver has checked everything it checks before a real stream
 * and made nothing, and the sender's domain never stopped.  A receiver
 * that does not know the word refuses the banner, so an older target
 * fails the dry run rather than taking the domain.
 *   sender    the hypervisor's stream (backend migrate_send, read by the
 *             target's restore), while the guest runs; the guest is
 *             suspended at its end
 *   receiver  "ready" (the domain exists, paused, named NAME--incoming),
 *             or "failed MESSAGE" (it does not)
 *   sender    "go", once its own domain is renamed NAME--migratedaway
 *   receiver  "done" (renamed NAME and unpaused, unless paused), or
 *             "failed MESSAGE" once its copy is destroyed
 *
 * The sender destroys its domain on "done" only.  Anything else before
 * "go" (a refusal, a failure, the transport's end) resumes it under its
 * name; a sender that goes away before "go" makes the receiver destroy
 * its copy.  After "go" without an answer, neither side can know which
 * copy runs: the sender leaves its domain suspended and says so, as xl
 * does.
 */
#ifndef XLD_MIGRATE_H
#define XLD_MIGRATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "domain.h"
#include "state.h"

struct xld_loop;

#define XLD_MIG_VERSION 1
#define XLD_MIG_MAX_LINE 4096
/* The names a domain has on each side during the handover, as xl's. */
#define XLD_MIG_INCOMING XLD_STATE_INCOMING
#define XLD_MIG_AWAY "--migratedaway"
/* How long either side waits for the other's next line (the stream
 * itself takes as long as it takes). */
#define XLD_MIG_REPLY_MS (300u * 1000)
/* How long the transport may take to exit once the stream is closed,
 * before it is killed. */
#define XLD_MIG_REAP_MS 5000u

/* ---- the messages (pure: tests/check_migrate.c) ------------------------ */

enum xld_mig_msg {
    XLD_MIG_M_BAD,
    XLD_MIG_M_RECEIVER,     /* the banner */
    XLD_MIG_M_SENDER,
    XLD_MIG_M_ACCEPT,
    XLD_MIG_M_REFUSE,
    XLD_MIG_M_READY,
    XLD_MIG_M_FAILED,
    XLD_MIG_M_GO,
    XLD_MIG_M_DONE,
};

/* The sender's flags. */
#define XLD_MIG_F_PAUSED 0x1u
#define XLD_MIG_F_DEBUG 0x2u
#define XLD_MIG_F_CHECK 0x4u

struct xld_mig_line {
    enum xld_mig_msg type;
    unsigned version;       /* RECEIVER, SENDER */
    unsigned flags;         /* SENDER: XLD_MIG_F_* */
    const char *text;       /* REFUSE, FAILED: inside the parsed line */
};

/* One line, without its '\n'.  0, or EINVAL for anything that is not a
 * message of this version (with type XLD_MIG_M_BAD). */
int xld_mig_parse(const char *line, struct xld_mig_line *out);
/* A message with its '\n' (malloc'd): text (REFUSE, FAILED) is cut to
 * one line that fits; NULL when out of memory. */
char *xld_mig_format(enum xld_mig_msg type, unsigned flags,
                     const char *text);

/*
 * The transport command, as xl builds it: "exec SSH HOST xlctl
 * migrate-receive" with -e, -d and -p passed on; with an empty ssh, HOST
 * is the whole command (the flags then go through the handshake only).
 * It is run by `sh -c`.  *out is malloc'd; ENOMEM.
 */
int xld_mig_command(const char *ssh, const char *host, bool no_wait,
                    bool debug, bool paused, char **out);

/* ---- the sending side (an operation of domain.c) ----------------------- */

struct xld_mig_sender;

enum xld_mig_outcome {
    XLD_MIG_FAILED,         /* the target has no domain: resume ours */
    XLD_MIG_DONE,           /* the target runs it: destroy ours */
    XLD_MIG_UNKNOWN,        /* "go" was sent, no answer came */
    XLD_MIG_CHECKED,        /* a dry run: the target would take it */
};

struct xld_mig_sender_hooks {
    /* The target took the config: start the hypervisor's stream into fd
     * (backend migrate_send), and call xld_mig_sender_streamed() when it
     * ends.  Nonzero (a negative errno value): it did not start. */
    int (*stream)(void *opaque, int fd);
    /* The target has the domain: rename ours away.  0, or a negative
     * errno value, and the migration fails. */
    int (*handover)(void *opaque);
    /* The end, with the transport gone: rc and msg say why it failed.
     * The sender may be freed from here. */
    void (*finished)(void *opaque, enum xld_mig_outcome outcome, int rc,
                     const char *msg);
};

struct xld_mig_sender_args {
    const char *command;            /* the transport, for sh -c */
    const char *name;               /* the domain, for the log */
    const unsigned char *header;    /* the image header to send */
    size_t header_len;
    unsigned flags;                 /* XLD_MIG_F_* */
};

/* Start the transport and the handshake: 0, or an errno value (nothing
 * started, no hook will be called). */
int xld_mig_sender_start(struct xld_loop *loop,
                         const struct xld_mig_sender_args *args,
                         const struct xld_mig_sender_hooks *hooks,
                         void *opaque, struct xld_mig_sender **out);
/* The stream that hooks->stream started ended with rc. */
void xld_mig_sender_streamed(struct xld_mig_sender *s, int rc);
/* Stop at once (xld is stopping): the transport is killed, no hook is
 * called any more. */
void xld_mig_sender_free(struct xld_mig_sender *s);

/* ---- the receiving side (the migrate-receive command) ------------------ */

struct xld_mig_receiver;

/* The end: rc 0 with the domain's name and domid, or why it failed.
 * The receiver may be freed from here. */
typedef void xld_mig_received_fn(void *opaque, int rc, const char *msg,
                                 const char *name, uint32_t domid);

/* Receive a domain on in (the stream) and answer on out; both are taken
 * (closed by the receiver).  paused: leave it paused whatever the
 * sender says.  0 with the receiver running, or an errno value (the fds
 * are closed, done is not called). */
int xld_mig_receive(struct xld_dm *dm, struct xld_loop *loop, int in,
                    int out, bool paused, xld_mig_received_fn *done,
                    xld_dm_progress_fn *progress, void *opaque,
                    struct xld_mig_receiver **rout);
void xld_mig_receiver_free(struct xld_mig_receiver *r);

#endif /* XLD_MIGRATE_H */
