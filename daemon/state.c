/*
 * state.c - the state directory and the save image header (see
 * state.h).
 *
 * Records are small (a config is a few KiB) and written a few times per
 * operation, so each write is a whole new file: simple, atomic, and the
 * cost is the fsyncs, which is the price of finding every domain again
 * after a crash.
 */
#define _GNU_SOURCE

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "log.h"
#include "proto.h"
#include "state.h"

/* Version of the record format; a newer one is refused, not misread. */
#define RECORD_VERSION 1

/* The largest record or userdata document read back: a config is at
 * most XLCFG_MAX_FILE_SIZE, and a client request at most 1 MiB. */
#define MAX_RECORD_SIZE (32u * 1024 * 1024)

struct xld_state {
    char *dir;
    char *domains;        /* dir/domains */
    int lockfd;
    int domfd;            /* dir/domains, for fsync and *at() calls */
};

const char xld_state_released_doc[] = "{\"xld\":1,\"released\":true}";

/* ---- records ------------------------------------------------------------ */

void xld_record_init(struct xld_record *r)
{
    memset(r, 0, sizeof(*r));
    r->domid = XLD_NO_DOMID;
}

static void free_overrides(struct xld_record *r)
{
    for (size_t i = 0; i < r->noverrides; i++)
        free(r->overrides[i]);
    free(r->overrides);
    r->overrides = NULL;
    r->noverrides = 0;
}

void xld_record_dispose(struct xld_record *r)
{
    free(r->name);
    free(r->filename);
    free(r->config);
    free_overrides(r);
    free(r->json);
    free(r->held);
    free(r->operation);
    free(r->op_path);
    free(r->interrupted);
    xld_record_init(r);
}

int xld_record_set(char **field, const char *value)
{
    char *copy = NULL;

    if (value && !(copy = strdup(value)))
        return ENOMEM;
    free(*field);
    *field = copy;
    return 0;
}

int xld_record_copy(struct xld_record *dst, const struct xld_record *src)
{
    int rc = ENOMEM;

    xld_record_dispose(dst);
    dst->uuid = src->uuid;
    dst->domid = src->domid;
    dst->created = src->created;
    dst->started = src->started;
    dst->target_memkb = src->target_memkb;
    dst->max_memkb = src->max_memkb;
    dst->vcpus = src->vcpus;
    dst->has_sched = src->has_sched;
    dst->sched_weight = src->sched_weight;
    dst->sched_cap = src->sched_cap;
    if (xld_record_set(&dst->name, src->name)
        || xld_record_set(&dst->filename, src->filename)
        || xld_record_set(&dst->config, src->config)
        || xld_record_set(&dst->json, src->json)
        || xld_record_set(&dst->held, src->held)
        || xld_record_set(&dst->operation, src->operation)
        || xld_record_set(&dst->op_path, src->op_path)
        || xld_record_set(&dst->interrupted, src->interrupted))
        goto out;
    if (src->noverrides) {
        dst->overrides = calloc(src->noverrides, sizeof(char *));
        if (!dst->overrides)
            goto out;
        for (size_t i = 0; i < src->noverrides; i++) {
            dst->overrides[i] = strdup(src->overrides[i]);
            if (!dst->overrides[i])
                goto out;
            dst->noverrides++;
        }
    }
    rc = 0;

out:
    if (rc)
        xld_record_dispose(dst);
    return rc;
}

static yajl_gen_status gen_key_str(yajl_gen g, const char *key,
                                   const char *value)
{
    yajl_gen_status s = xld_proto_gen_str(g, key);

    return s != yajl_gen_status_ok ? s : xld_proto_gen_str(g, value);
}

static yajl_gen_status gen_key_int(yajl_gen g, const char *key,
                                   long long value)
{
    yajl_gen_status s = xld_proto_gen_str(g, key);

    return s != yajl_gen_status_ok ? s : yajl_gen_integer(g, value);
}

int xld_record_to_json(const struct xld_record *r, bool with_state,
                       char **out, size_t *len)
{
    yajl_gen g = yajl_gen_alloc(NULL);
    const unsigned char *buf;
    char uuid[LIBXL_UUID_FMTLEN + 1];
    yajl_gen_status s;
    size_t blen;
    int rc = ENOMEM;

    *out = NULL;
    if (!g)
        return ENOMEM;
    /* Indented: people read these files when something went wrong. */
    if (with_state)
        yajl_gen_config(g, yajl_gen_beautify, 1);
    snprintf(uuid, sizeof(uuid), LIBXL_UUID_FMT,
             LIBXL_UUID_BYTES(r->uuid));
    s = yajl_gen_map_open(g);
    if (!s) s = gen_key_int(g, "xld", RECORD_VERSION);
    if (!s) s = gen_key_str(g, "uuid", uuid);
    if (!s && r->name) s = gen_key_str(g, "name", r->name);
    if (!s && r->domid != XLD_NO_DOMID)
        s = gen_key_int(g, "domid", r->domid);
    if (!s && r->filename) s = gen_key_str(g, "filename", r->filename);
    /* A domain xld took over from xl, or restored from xl's own image,
     * has no config text, only libxl's JSON: then the JSON is what
     * rebuilds it, and goes to the userdata too. */
    if (!s && r->config) s = gen_key_str(g, "config", r->config);
    if (!s && !r->config && !with_state && r->json) {
        s = xld_proto_gen_str(g, "json");
        if (!s) s = xld_proto_gen_json_text(g, r->json);
    }
    if (!s) s = xld_proto_gen_str(g, "overrides");
    if (!s) s = yajl_gen_array_open(g);
    for (size_t i = 0; !s && i < r->noverrides; i++)
        s = xld_proto_gen_str(g, r->overrides[i]);
    if (!s) s = yajl_gen_array_close(g);
    if (!s) s = gen_key_int(g, "created", r->created);
    if (!s) s = gen_key_int(g, "started", r->started);
    if (!s && r->target_memkb)
        s = gen_key_int(g, "target_memkb", (long long)r->target_memkb);
    if (!s && r->max_memkb)
        s = gen_key_int(g, "max_memkb", (long long)r->max_memkb);
    if (!s && r->vcpus)
        s = gen_key_int(g, "vcpus", r->vcpus);
    if (!s && r->has_sched) {
        s = xld_proto_gen_str(g, "sched");
        if (!s) s = yajl_gen_map_open(g);
        if (!s) s = gen_key_int(g, "weight", r->sched_weight);
        if (!s) s = gen_key_int(g, "cap", r->sched_cap);
        if (!s) s = yajl_gen_map_close(g);
    }
    if (!s && r->held) s = gen_key_str(g, "held", r->held);
    if (with_state) {
        if (!s && r->operation)
            s = gen_key_str(g, "operation", r->operation);
        if (!s && r->op_path)
            s = gen_key_str(g, "op_path", r->op_path);
        if (!s && r->interrupted)
            s = gen_key_str(g, "interrupted", r->interrupted);
        if (!s && r->json) {
            s = xld_proto_gen_str(g, "json");
            if (!s) s = xld_proto_gen_json_text(g, r->json);
        }
    }
    if (!s) s = yajl_gen_map_close(g);
    if (s || yajl_gen_get_buf(g, &buf, &blen) != yajl_gen_status_ok)
        goto out;
    *out = malloc(blen + 1);
    if (!*out)
        goto out;
    memcpy(*out, buf, blen);
    (*out)[blen] = '\0';
    *len = blen;
    rc = 0;

out:
    yajl_gen_free(g);
    return rc;
}

static const char *get_string(yajl_val doc, const char *key)
{
    const char *path[] = { key, NULL };
    yajl_val v = yajl_tree_get(doc, path, yajl_t_string);

    return v ? YAJL_GET_STRING(v) : NULL;
}

/* A non-negative integer member; false when absent or of another type. */
static bool get_uint(yajl_val doc, const char *key, uint64_t *out)
{
    const char *path[] = { key, NULL };
    yajl_val v = yajl_tree_get(doc, path, yajl_t_number);

    if (!v || !YAJL_IS_INTEGER(v) || YAJL_GET_INTEGER(v) < 0)
        return false;
    *out = (uint64_t)YAJL_GET_INTEGER(v);
    return true;
}

int xld_record_from_json(struct xld_record *r, const char *buf, size_t len,
                         char *err, size_t errlen)
{
    const char *path_over[] = { "overrides", NULL };
    const char *path_json[] = { "json", NULL };
    const char *path_sched[] = { "sched", NULL };
    char *text = NULL, perr[256];
    yajl_val doc = NULL, v, sched;
    const char *s;
    uint64_t n, m;
    int rc = EINVAL;

    err[0] = '\0';
    if (len > MAX_RECORD_SIZE) {
        snprintf(err, errlen, "larger than %u MiB",
                 MAX_RECORD_SIZE / (1024 * 1024));
        goto out;
    }
    /* yajl wants a C string, and a buffer from the hypervisor's store
     * need not end in a NUL. */
    text = malloc(len + 1);
    if (!text) {
        rc = ENOMEM;
        goto out;
    }
    memcpy(text, buf, len);
    text[len] = '\0';
    doc = yajl_tree_parse(text, perr, sizeof(perr));
    if (!doc) {
        snprintf(err, errlen, "not JSON: %s", perr);
        goto out;
    }
    if (!YAJL_IS_OBJECT(doc) || !get_uint(doc, "xld", &n)) {
        snprintf(err, errlen, "not an xld record");
        goto out;
    }
    if (n > RECORD_VERSION) {
        snprintf(err, errlen, "written by a newer xld (format %" PRIu64
                 ")", n);
        goto out;
    }
    {
        const char *path[] = { "released", NULL };

        v = yajl_tree_get(doc, path, yajl_t_true);
        if (v) {
            rc = ENOENT;
            goto out;
        }
    }
    s = get_string(doc, "uuid");
    if (!s || libxl_uuid_from_string(&r->uuid, s)) {
        snprintf(err, errlen, "no valid uuid");
        goto out;
    }
    s = get_string(doc, "config");
    if (!s && !yajl_tree_get(doc, path_json, yajl_t_object)) {
        snprintf(err, errlen, "no config");
        goto out;
    }
    rc = ENOMEM;
    if (xld_record_set(&r->config, s)
        || xld_record_set(&r->name, get_string(doc, "name"))
        || xld_record_set(&r->filename, get_string(doc, "filename"))
        || xld_record_set(&r->held, get_string(doc, "held"))
        || xld_record_set(&r->operation, get_string(doc, "operation"))
        || xld_record_set(&r->op_path, get_string(doc, "op_path"))
        || xld_record_set(&r->interrupted, get_string(doc, "interrupted")))
        goto out;
    if (get_uint(doc, "domid", &n) && n < XLD_DOMID_LIMIT)
        r->domid = (uint32_t)n;
    if (get_uint(doc, "created", &n))
        r->created = (int64_t)n;
    if (get_uint(doc, "started", &n))
        r->started = (int64_t)n;
    if (get_uint(doc, "target_memkb", &n))
        r->target_memkb = n;
    if (get_uint(doc, "max_memkb", &n))
        r->max_memkb = n;
    if (get_uint(doc, "vcpus", &n) && n < 4096)
        r->vcpus = (int)n;
    sched = yajl_tree_get(doc, path_sched, yajl_t_object);
    if (sched && get_uint(sched, "weight", &n) && n >= 1 && n <= 65535
        && get_uint(sched, "cap", &m) && m <= INT_MAX) {
        r->has_sched = true;
        r->sched_weight = (int)n;
        r->sched_cap = (int)m;
    }
    v = yajl_tree_get(doc, path_over, yajl_t_array);
    if (v && YAJL_GET_ARRAY(v)->len) {
        size_t cnt = YAJL_GET_ARRAY(v)->len;

        r->overrides = calloc(cnt, sizeof(char *));
        if (!r->overrides)
            goto out;
        for (size_t i = 0; i < cnt; i++) {
            yajl_val item = YAJL_GET_ARRAY(v)->values[i];

            if (!YAJL_IS_STRING(item))
                continue;
            r->overrides[r->noverrides] = strdup(item->u.string);
            if (!r->overrides[r->noverrides])
                goto out;
            r->noverrides++;
        }
    }
    v = yajl_tree_get(doc, path_json, yajl_t_object);
    if (v && xld_proto_tree_to_text(v, &r->json))
        goto out;
    rc = 0;

out:
    if (rc && rc != ENOENT)
        xld_record_dispose(r);
    yajl_tree_free(doc);
    free(text);
    return rc;
}

/* ---- the directory -------------------------------------------------------- */

static int write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;

    while (len) {
        ssize_t n = write(fd, p, len);

        if (n < 0) {
            if (errno == EINTR)
                continue;
            return errno;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static int mkdir_p(const char *dir, mode_t mode)
{
    char *copy = strdup(dir);
    int rc = 0;

    if (!copy)
        return ENOMEM;
    for (char *p = copy + 1; ; p++) {
        if (*p == '/' || *p == '\0') {
            char c = *p;

            *p = '\0';
            if (mkdir(copy, mode) < 0 && errno != EEXIST) {
                rc = errno;
                break;
            }
            *p = c;
            if (!c)
                break;
        }
    }
    free(copy);
    return rc;
}

int xld_state_open(struct xld_state **out, const char *dir)
{
    struct xld_state *st = calloc(1, sizeof(*st));
    char *lockpath = NULL;
    int rc;

    *out = NULL;
    if (!st)
        return ENOMEM;
    st->lockfd = st->domfd = -1;
    if (!(st->dir = strdup(dir))
        || asprintf(&st->domains, "%s/domains", dir) < 0
        || asprintf(&lockpath, "%s/lock", dir) < 0) {
        st->domains = NULL;
        lockpath = NULL;
        rc = ENOMEM;
        goto out;
    }
    rc = mkdir_p(st->domains, 0700);
    if (rc) {
        xld_err("%s: cannot make the state folder: %s", st->domains,
                strerror(rc));
        goto out;
    }
    st->lockfd = open(lockpath, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (st->lockfd < 0) {
        rc = errno;
        xld_err("%s: %s", lockpath, strerror(rc));
        goto out;
    }
    /* Two xlds on one state directory would each think they own every
     * domain in it. */
    if (flock(st->lockfd, LOCK_EX | LOCK_NB) < 0) {
        rc = errno == EWOULDBLOCK ? EBUSY : errno;
        xld_err("%s: %s", lockpath, rc == EBUSY ?
                "another xld is using this state folder" : strerror(rc));
        goto out;
    }
    st->domfd = open(st->domains, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (st->domfd < 0) {
        rc = errno;
        xld_err("%s: %s", st->domains, strerror(rc));
        goto out;
    }
    *out = st;
    st = NULL;

out:
    free(lockpath);
    xld_state_close(st);
    return rc;
}

void xld_state_close(struct xld_state *st)
{
    if (!st)
        return;
    if (st->domfd >= 0)
        close(st->domfd);
    if (st->lockfd >= 0)
        close(st->lockfd);
    free(st->domains);
    free(st->dir);
    free(st);
}

const char *xld_state_dir(const struct xld_state *st)
{
    return st->dir;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);

    return n >= m && strcmp(s + n - m, suffix) == 0;
}

bool xld_record_incoming(const struct xld_record *r)
{
    return r->name && ends_with(r->name, XLD_STATE_INCOMING);
}

/*
 * The file of a record: UUID.json, or UUID.incoming.json for the copy a
 * migration brings in, so that a migration from this host to itself
 * (two domains of one uuid for a while, as with xl) keeps both records.
 */
static void record_name(const libxl_uuid *uuid, bool incoming, char *buf,
                        size_t len, const char *suffix)
{
    snprintf(buf, len, LIBXL_UUID_FMT "%s%s", LIBXL_UUID_BYTES(*uuid),
             incoming ? ".incoming" : "", suffix);
}

int xld_state_write(struct xld_state *st, const struct xld_record *r)
{
    char name[64], tmp[64], *doc = NULL;
    size_t len = 0;
    int fd = -1, rc;

    record_name(&r->uuid, xld_record_incoming(r), name, sizeof(name),
                ".json");
    record_name(&r->uuid, xld_record_incoming(r), tmp, sizeof(tmp),
                ".json.tmp");
    rc = xld_record_to_json(r, true, &doc, &len);
    if (rc)
        goto out;
    fd = openat(st->domfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
                0600);
    if (fd < 0) {
        rc = errno;
        goto out;
    }
    rc = write_all(fd, doc, len);
    if (!rc)
        rc = write_all(fd, "\n", 1);
    if (!rc && fsync(fd) < 0)
        rc = errno;
    if (close(fd) < 0 && !rc)
        rc = errno;
    fd = -1;
    if (rc)
        goto out;
    if (renameat(st->domfd, tmp, st->domfd, name) < 0) {
        rc = errno;
        goto out;
    }
    if (fsync(st->domfd) < 0)
        rc = errno;

out:
    if (fd >= 0)
        close(fd);
    if (rc) {
        xld_err("%s/%s: writing the record of %s: %s", st->domains, name,
                r->name ? r->name : "a domain", strerror(rc));
        unlinkat(st->domfd, tmp, 0);
    }
    free(doc);
    return rc;
}

int xld_state_remove(struct xld_state *st, const libxl_uuid *uuid,
                     bool incoming)
{
    char name[64];

    record_name(uuid, incoming, name, sizeof(name), ".json");
    if (unlinkat(st->domfd, name, 0) < 0) {
        if (errno == ENOENT)
            return 0;
        xld_err("%s/%s: %s", st->domains, name, strerror(errno));
        return errno;
    }
    fsync(st->domfd);
    return 0;
}

/* Read a small file of the domains folder into a NUL-terminated buffer. */
static int read_record_file(struct xld_state *st, const char *name,
                            char **out, size_t *outlen)
{
    struct stat sb;
    char *buf = NULL;
    size_t len = 0;
    int fd, rc = 0;

    *out = NULL;
    fd = openat(st->domfd, name, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno;
    if (fstat(fd, &sb) < 0) {
        rc = errno;
        goto out;
    }
    if (sb.st_size < 0 || (uint64_t)sb.st_size > MAX_RECORD_SIZE) {
        rc = EFBIG;
        goto out;
    }
    buf = malloc((size_t)sb.st_size + 1);
    if (!buf) {
        rc = ENOMEM;
        goto out;
    }
    while (len < (size_t)sb.st_size) {
        ssize_t n = read(fd, buf + len, (size_t)sb.st_size - len);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = errno;
            goto out;
        }
        if (n == 0)
            break;
        len += (size_t)n;
    }
    buf[len] = '\0';
    *out = buf;
    *outlen = len;
    buf = NULL;

out:
    free(buf);
    close(fd);
    return rc;
}

int xld_state_load(struct xld_state *st, struct xld_record **out, size_t *n)
{
    struct xld_record *recs = NULL;
    size_t nrecs = 0, cap = 0;
    struct dirent *de;
    DIR *d = NULL;
    int fd, rc = 0;

    *out = NULL;
    *n = 0;
    fd = openat(st->domfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || !(d = fdopendir(fd))) {
        rc = errno;
        if (fd >= 0)
            close(fd);
        goto out;
    }
    while ((de = readdir(d))) {
        char *buf = NULL, err[256], bad[300];
        size_t len = 0;

        if (de->d_name[0] == '.')
            continue;
        /* A temporary file is a write that a crash cut short; the record
         * it was to replace is still there. */
        if (ends_with(de->d_name, ".json.tmp")) {
            unlinkat(st->domfd, de->d_name, 0);
            continue;
        }
        if (!ends_with(de->d_name, ".json"))
            continue;
        if (nrecs == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            struct xld_record *p = realloc(recs, ncap * sizeof(*p));

            if (!p) {
                rc = ENOMEM;
                goto out;
            }
            recs = p;
            cap = ncap;
        }
        xld_record_init(&recs[nrecs]);
        rc = read_record_file(st, de->d_name, &buf, &len);
        if (rc == ENOMEM) {
            free(buf);
            goto out;
        }
        if (rc) {
            snprintf(err, sizeof(err), "%s", strerror(rc));
        } else {
            rc = xld_record_from_json(&recs[nrecs], buf, len, err,
                                      sizeof(err));
            if (rc == ENOENT)
                snprintf(err, sizeof(err), "a released domain");
        }
        free(buf);
        if (rc == ENOMEM)
            goto out;
        if (rc) {
            /* Kept for the admin to look at, under a name that is not
             * read again. */
            snprintf(bad, sizeof(bad), "%s.bad", de->d_name);
            xld_err("%s/%s: %s: moved to %s", st->domains, de->d_name, err,
                    bad);
            renameat(st->domfd, de->d_name, st->domfd, bad);
            xld_record_dispose(&recs[nrecs]);
            rc = 0;
            continue;
        }
        nrecs++;
    }
    *out = recs;
    *n = nrecs;
    recs = NULL;
    nrecs = 0;

out:
    if (d)
        closedir(d);
    for (size_t i = 0; i < nrecs; i++)
        xld_record_dispose(&recs[i]);
    free(recs);
    return rc;
}

int xld_state_sync_parent(const char *path)
{
    char *dir = strdup(path), *slash;
    int fd, rc = 0;

    if (!dir)
        return ENOMEM;
    slash = strrchr(dir, '/');
    if (slash == dir)
        slash[1] = '\0';
    else if (slash)
        *slash = '\0';
    else
        strcpy(dir, ".");
    fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || fsync(fd) < 0)
        rc = errno;
    if (fd >= 0)
        close(fd);
    free(dir);
    return rc;
}

/* ---- save images ---------------------------------------------------------- */

static const char image_magic[32] = "Xen saved domain, xl format\n \0 \r";
#define IMAGE_BYTEORDER 0x01020304u
#define IMAGE_FLAG_JSON (1u << 0)
#define IMAGE_FLAG_STREAMV2 (1u << 1)
#define IMAGE_HEADER_SIZE 48
/* Bounds on what a header may announce: more is not an image. */
#define IMAGE_MAX_OPTDATA (64u * 1024 * 1024)
static const char xld_chunk_magic[4] = { 'x', 'l', 'd', '\0' };

void xld_image_info_init(struct xld_image_info *ii)
{
    memset(ii, 0, sizeof(*ii));
    xld_record_init(&ii->rec);
}

void xld_image_info_dispose(struct xld_image_info *ii)
{
    free(ii->json);
    xld_record_dispose(&ii->rec);
    xld_image_info_init(ii);
}

static void put_u32(unsigned char *p, uint32_t v)
{
    memcpy(p, &v, 4);       /* the host's byte order, as xl writes it */
}

static uint32_t get_u32(const unsigned char *p)
{
    uint32_t v;

    memcpy(&v, p, 4);
    return v;
}

int xld_image_header_make(const char *json, const struct xld_record *rec,
                          unsigned char **out, size_t *outlen)
{
    unsigned char *buf = NULL, *p;
    size_t jlen = json ? strlen(json) + 1 : 0, rlen = 0, optlen;
    char *doc = NULL;
    uint32_t flags = IMAGE_FLAG_STREAMV2;
    int rc;

    *out = NULL;
    *outlen = 0;
    rc = xld_record_to_json(rec, false, &doc, &rlen);
    if (rc)
        goto out;
    optlen = 4 + jlen + sizeof(xld_chunk_magic) + 4 + rlen;
    if (optlen > IMAGE_MAX_OPTDATA) {
        rc = EFBIG;
        goto out;
    }
    buf = malloc(IMAGE_HEADER_SIZE + optlen);
    if (!buf) {
        rc = ENOMEM;
        goto out;
    }
    if (jlen)
        flags |= IMAGE_FLAG_JSON;
    memcpy(buf, image_magic, sizeof(image_magic));
    put_u32(buf + 32, IMAGE_BYTEORDER);
    put_u32(buf + 36, flags);
    put_u32(buf + 40, 0);
    put_u32(buf + 44, (uint32_t)optlen);
    p = buf + IMAGE_HEADER_SIZE;
    put_u32(p, (uint32_t)jlen);
    p += 4;
    if (jlen) {
        memcpy(p, json, jlen);
        p += jlen;
    }
    memcpy(p, xld_chunk_magic, sizeof(xld_chunk_magic));
    p += sizeof(xld_chunk_magic);
    put_u32(p, (uint32_t)rlen);
    p += 4;
    memcpy(p, doc, rlen);
    *out = buf;
    *outlen = IMAGE_HEADER_SIZE + optlen;
    buf = NULL;

out:
    free(buf);
    free(doc);
    return rc;
}

int xld_image_write_header(int fd, const char *json,
                           const struct xld_record *rec)
{
    unsigned char *buf;
    size_t len;
    int rc = xld_image_header_make(json, rec, &buf, &len);

    if (!rc)
        rc = write_all(fd, buf, len);
    free(buf);
    return rc;
}

static int read_all(int fd, void *buf, size_t len)
{
    char *p = buf;

    while (len) {
        ssize_t n = read(fd, p, len);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return errno;
        if (n == 0)
            return ENODATA;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int xld_image_header_optlen(const unsigned char *hdr,
                            struct xld_image_info *ii, uint32_t *optlen,
                            char *err, size_t errlen)
{
    err[0] = '\0';
    if (memcmp(hdr, image_magic, sizeof(image_magic))) {
        snprintf(err, errlen, "not a Xen save image (wrong magic number)");
        return EINVAL;
    }
    if (get_u32(hdr + 32) != IMAGE_BYTEORDER) {
        snprintf(err, errlen, "the image was saved on a host of another "
                 "byte order");
        return EINVAL;
    }
    ii->mandatory_flags = get_u32(hdr + 36);
    if (ii->mandatory_flags & ~(IMAGE_FLAG_JSON | IMAGE_FLAG_STREAMV2)) {
        snprintf(err, errlen, "the image has mandatory flags 0x%" PRIx32
                 " that this xld does not know",
                 ii->mandatory_flags & ~(IMAGE_FLAG_JSON
                                         | IMAGE_FLAG_STREAMV2));
        return EINVAL;
    }
    *optlen = get_u32(hdr + 44);
    if (*optlen > IMAGE_MAX_OPTDATA) {
        snprintf(err, errlen, "the header announces %" PRIu32 " bytes of "
                 "config: not an image", *optlen);
        return EINVAL;
    }
    return 0;
}

int xld_image_header_parse_opt(const unsigned char *opt, uint32_t optlen,
                               struct xld_image_info *ii, char *err,
                               size_t errlen)
{
    uint32_t left = optlen, jlen;
    int rc;

    err[0] = '\0';
    if (left < 4)
        return 0;
    jlen = get_u32(opt);
    left -= 4;
    if (jlen > left) {
        snprintf(err, errlen, "the config in the header is truncated");
        return EINVAL;
    }
    if (jlen && (ii->mandatory_flags & IMAGE_FLAG_JSON)) {
        ii->json = strndup((const char *)opt + 4, jlen);
        if (!ii->json)
            return ENOMEM;
    }
    left -= jlen;
    if (left >= 8 && !memcmp(opt + optlen - left, xld_chunk_magic, 4)) {
        const unsigned char *chunk = opt + optlen - left;
        uint32_t rlen = get_u32(chunk + 4);
        char rerr[200];

        if (rlen > left - 8) {
            snprintf(err, errlen, "xld's part of the header is truncated");
            return EINVAL;
        }
        rc = xld_record_from_json(&ii->rec, (const char *)chunk + 8, rlen,
                                  rerr, sizeof(rerr));
        if (rc == ENOMEM)
            return rc;
        if (rc) {
            snprintf(err, errlen, "xld's part of the header: %s", rerr);
            return EINVAL;
        }
        ii->has_rec = true;
    }
    return 0;
}

int xld_image_read_header(int fd, struct xld_image_info *ii, char *err,
                          size_t errlen)
{
    unsigned char hdr[IMAGE_HEADER_SIZE], *opt = NULL;
    uint32_t optlen;
    int rc;

    err[0] = '\0';
    rc = read_all(fd, hdr, sizeof(hdr));
    if (rc) {
        snprintf(err, errlen, "reading the header: %s",
                 rc == ENODATA ? "the file is too short" : strerror(rc));
        rc = EINVAL;
        goto out;
    }
    rc = xld_image_header_optlen(hdr, ii, &optlen, err, errlen);
    if (rc)
        goto out;
    opt = malloc(optlen ? optlen : 1);
    if (!opt) {
        rc = ENOMEM;
        goto out;
    }
    rc = read_all(fd, opt, optlen);
    if (rc) {
        snprintf(err, errlen, "reading the config in the header: %s",
                 rc == ENODATA ? "the file is truncated" : strerror(rc));
        rc = EINVAL;
        goto out;
    }
    rc = xld_image_header_parse_opt(opt, optlen, ii, err, errlen);

out:
    free(opt);
    return rc;
}
