/*
 * state.h - what xld keeps on disk: one record per managed domain in the
 * state directory (default /var/lib/xld), and the header of the save
 * images it writes and reads (xl's own format).
 *
 * A record holds everything needed to find a domain again after xld
 * restarts, crashed or not: who it is (uuid, name, domid), the config it
 * was created from (the text, its file name and the key=value
 * overrides, so that a restart re-creates it exactly), and the
 * operation in progress, written before the operation starts and
 * cleared when it ends, so that one a crash interrupted is seen at the
 * next start.  Records are JSON files, written atomically: a crash at
 * any moment leaves the old record or the new one, never a mix.
 *
 * Layout: STATE_DIR/lock (held while xld runs), STATE_DIR/domains/
 * UUID.json.
 */
#ifndef XLD_STATE_H
#define XLD_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libxl.h>

struct xld_state;

/* Xen's DOMID_FIRST_RESERVED: the domids of domains are below it. */
#define XLD_DOMID_LIMIT 0x7FF0u
/* No domid (libxl's INVALID_DOMID, as the type of a domid). */
#define XLD_NO_DOMID ((uint32_t)INVALID_DOMID)

/* The record of one managed domain. */
struct xld_record {
    libxl_uuid uuid;
    char *name;
    uint32_t domid;            /* INVALID_DOMID while it has none */
    char *filename;            /* the config's name, for messages */
    char *config;              /* the config text as given; NULL for a
                                  domain taken over from xl or restored
                                  from xl's image, which json rebuilds */
    char **overrides;          /* key=value settings after the text */
    size_t noverrides;
    char *json;                /* libxl's domain config (a JSON text) */
    int64_t created;           /* wall clock, seconds: first created */
    int64_t started;           /* wall clock, seconds: last (re)start */
    /* What the admin changed at run time, applied again when the domain
     * is restarted, as libxl_retrieve_domain_configuration does for xl
     * (0: unchanged). */
    uint64_t target_memkb;
    uint64_t max_memkb;
    int vcpus;
    /* The scheduler weight and cap (sched-credit2), when has_sched: as
     * libxl_retrieve_domain_configuration reads them back for xl.  vcpu
     * affinity is not kept, as libxl keeps none. */
    bool has_sched;
    int sched_weight;
    int sched_cap;
    /* Why xld stopped handling the guest's shutdowns: "preserve" (its
     * action said so), "restart-limit" (it restarted too often); NULL
     * when it handles them. */
    char *held;
    /* The operation in progress ("create", "restore", "save",
     * "destroy", "restart"), with its file for save and restore. */
    char *operation;
    char *op_path;
    /* An operation a crash of xld interrupted, kept until the admin
     * acts on the domain. */
    char *interrupted;
};

void xld_record_init(struct xld_record *r);
void xld_record_dispose(struct xld_record *r);
/* Deep copy into an initialised dst; ENOMEM. */
int xld_record_copy(struct xld_record *dst, const struct xld_record *src);

/* Setters for the string fields: free the old value, copy the new one
 * (NULL allowed); ENOMEM. */
int xld_record_set(char **field, const char *value);

/*
 * The record as a JSON document.  with_state: include what only the
 * state directory keeps (the operation, the libxl JSON); without it the
 * document is what xld stores with the domain in the hypervisor
 * (userdata).  *out is malloc'd and NUL-terminated.
 */
int xld_record_to_json(const struct xld_record *r, bool with_state,
                       char **out, size_t *len);
/* Parse a document of xld_record_to_json into an initialised record.
 * EINVAL (with a reason in err) when it is not one; a document that
 * says the domain was released (see xld_state_released_doc) gives
 * ENOENT. */
int xld_record_from_json(struct xld_record *r, const char *buf, size_t len,
                         char *err, size_t errlen);

/* The userdata of a domain xld no longer manages (the preserved half of
 * a rename-restart): found again, it is listed as unmanaged. */
extern const char xld_state_released_doc[];

/* Open the state directory (made if missing, mode 0700) and lock it:
 * EBUSY when another xld holds it. */
int xld_state_open(struct xld_state **out, const char *dir);
void xld_state_close(struct xld_state *st);
const char *xld_state_dir(const struct xld_state *st);

/*
 * A migration brings a domain in as NAME--incoming (migrate.h), and a
 * migration to this very host has two domains of one uuid, the leaving
 * one and the arriving one, until the handover: the arriving one's
 * record is then a file of its own (UUID.incoming.json beside
 * UUID.json).  Whether r is such a record, by its name.
 */
#define XLD_STATE_INCOMING "--incoming"
bool xld_record_incoming(const struct xld_record *r);

/* Write a record atomically (temporary file, fsync, rename, fsync of
 * the folder). */
int xld_state_write(struct xld_state *st, const struct xld_record *r);
/* Remove the record of a uuid, the incoming one or the other (see
 * above); no record is not an error. */
int xld_state_remove(struct xld_state *st, const libxl_uuid *uuid,
                     bool incoming);
/* Every record, for the reconciliation at start.  A file that cannot
 * be read is logged and moved aside (NAME.bad), never deleted. */
int xld_state_load(struct xld_state *st, struct xld_record **out,
                   size_t *n);

/* fsync the folder that holds path, so that a rename in it lasts. */
int xld_state_sync_parent(const char *path);

/*
 * Save images, in xl's format so that upstream `xl restore` reads them:
 * a 48-byte header (the magic "Xen saved domain, xl format\n \0 \r",
 * the byte order 0x01020304, mandatory flags, optional flags, the
 * length of the optional data, each a uint32 in the host's order), the
 * optional data (a uint32 length and the libxl JSON config with its
 * final NUL, as xl writes it), then the hypervisor's stream.
 *
 * xld adds after the config, still inside the optional data, a chunk of
 * its own ("xld\0", a uint32 length, the record as JSON): xl reads the
 * first config and skips the rest of the optional data, and xld gets
 * back the config text the domain was created from, which is how it
 * restores without parsing libxl's JSON (that needs a libxl context,
 * so a hypervisor).
 */
struct xld_image_info {
    uint32_t mandatory_flags;
    char *json;                 /* libxl's config, or NULL */
    struct xld_record rec;      /* xld's chunk, when has_rec */
    bool has_rec;
};

void xld_image_info_init(struct xld_image_info *ii);
void xld_image_info_dispose(struct xld_image_info *ii);

/* Write the header to fd, at its current offset. */
int xld_image_write_header(int fd, const char *json,
                           const struct xld_record *rec);
/* The same header in memory (*out malloc'd, *len bytes), for a
 * migration, which sends it through the event loop. */
int xld_image_header_make(const char *json, const struct xld_record *rec,
                          unsigned char **out, size_t *len);
/* Read and check the header; fd is left at the first byte of the
 * hypervisor's stream.  EINVAL with a reason in err for a file that is
 * not an image xld can restore. */
int xld_image_read_header(int fd, struct xld_image_info *ii, char *err,
                          size_t errlen);
/* The same in two steps, for a header that arrives through the event
 * loop (a migration): the fixed part (XLD_IMAGE_FIXED bytes) is checked
 * and says how many bytes of optional data follow; then those are
 * parsed.  EINVAL with a reason in err, or ENOMEM. */
#define XLD_IMAGE_FIXED 48
int xld_image_header_optlen(const unsigned char *fixed,
                            struct xld_image_info *ii, uint32_t *optlen,
                            char *err, size_t errlen);
int xld_image_header_parse_opt(const unsigned char *opt, uint32_t optlen,
                               struct xld_image_info *ii, char *err,
                               size_t errlen);

#endif /* XLD_STATE_H */
