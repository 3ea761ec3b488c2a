/*
 * xlcfg.h - the syntax layer of the xl domain config format (xl.cfg(5)).
 *
 * A config file is a sequence of settings, `name = value` or
 * `name += value`, where a value is a quoted string, a number or a
 * bracketed list of values.  This layer turns a file into a small tree
 * of those settings and a list of diagnostics; it knows nothing of what
 * the keys mean (that is the semantic layer's job).
 *
 * The accepted language is exactly the one of upstream xl's libxlutil,
 * including its odd corners: the meaning of every config an admin
 * already has must not change.  Where upstream's behaviour is surprising
 * the parser keeps it and adds a warning.
 *
 * Conventions: every struct has an _init and a _dispose function;
 * functions return 0 or an errno value; nothing here exits or prints.
 */
#ifndef XLCFG_H
#define XLCFG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Where something is in a config file.  Lines and columns count from
 * 1; a column counts bytes, so a tab is one column. */
struct xlcfg_loc {
    const char *file;  /* owned by the struct xlcfg it belongs to */
    int line;
    int column;
};

enum xlcfg_vtype {
    XLCFG_STRING,  /* "text" or 'text', escapes already resolved */
    XLCFG_NUMBER,  /* an unquoted number, kept as written (e.g. 0x10) */
    XLCFG_LIST,    /* [ value, ... ]; lists may nest */
};

struct xlcfg_value {
    enum xlcfg_vtype type;
    struct xlcfg_loc loc;
    char *str;                  /* STRING and NUMBER */
    struct xlcfg_value **items; /* LIST */
    size_t nitems;
    size_t alloc;               /* room in items; the parser's business */
};

enum xlcfg_op {
    XLCFG_ASSIGN,  /* name = value */
    XLCFG_APPEND,  /* name += value */
};

/* One statement of the file.  For `+=` the value is the result of the
 * append (the earlier value followed by the new one), as xl sees it. */
struct xlcfg_setting {
    char *name;
    enum xlcfg_op op;
    struct xlcfg_loc loc;       /* of the name */
    struct xlcfg_value *value;
    bool used;                  /* read by the semantic layer */
};

enum xlcfg_severity {
    XLCFG_ERROR,
    XLCFG_WARNING,
};

struct xlcfg_diag {
    enum xlcfg_severity severity;
    struct xlcfg_loc loc;
    char *msg;
};

struct xlcfg {
    char *filename;
    struct xlcfg_setting *settings;  /* in file order */
    size_t nsettings;
    struct xlcfg_diag *diags;        /* in file order */
    size_t ndiags;
    size_t nerrors;                  /* diags that are errors */
    /* Lines from this one on came from the command line (see
     * xlcfg_parse_file_extra); 0 when there are none. */
    int extra_line;
};

void xlcfg_init(struct xlcfg *cfg);
void xlcfg_dispose(struct xlcfg *cfg);

/*
 * Parse a config held in memory; `name` is used in locations.  Returns 0
 * when the parse ran (the config is valid only if cfg->nerrors is 0),
 * or an errno value when it could not run at all (ENOMEM).  The
 * cfg must be freshly initialised.
 */
int xlcfg_parse_buffer(struct xlcfg *cfg, const char *name,
                       const char *buf, size_t len);

/* Parse a file.  Failure to read it is reported as a diagnostic too, so
 * callers print diagnostics the same way whatever went wrong. */
int xlcfg_parse_file(struct xlcfg *cfg, const char *path);

/*
 * Parse a file followed by extra settings, one per string, as xl does
 * with `xl create CFG key=value...`: the text of the file, a newline,
 * then each setting on a line of its own, parsed as one config (so the
 * extra settings override the file's, and `+=` appends to them).
 * Diagnostics in the extra settings are reported as "command line:N",
 * N being the setting's position.
 */
int xlcfg_parse_file_extra(struct xlcfg *cfg, const char *path,
                           char *const *extra, size_t nextra);

/*
 * The same for a config held in memory (the text a client sent to xld):
 * the text, a newline, then each extra setting on a line of its own.
 */
int xlcfg_parse_buffer_extra(struct xlcfg *cfg, const char *name,
                             const char *text, size_t textlen,
                             char *const *extra, size_t nextra);

/* The largest config file accepted, a guard against reading a disk
 * image by mistake; real configs are a few KiB. */
#define XLCFG_MAX_FILE_SIZE (16u * 1024 * 1024)

static inline bool xlcfg_ok(const struct xlcfg *cfg)
{
    return cfg->nerrors == 0;
}

/*
 * Lookups.  As in xl, when a name is set several times the last setting
 * wins.  All return 0, ENOENT when the name is not set, or EINVAL when
 * the value has the wrong type.
 */
const struct xlcfg_setting *xlcfg_find(const struct xlcfg *cfg,
                                       const char *name);
/* A string or a number, as its text. */
int xlcfg_get_string(const struct xlcfg *cfg, const char *name,
                     const char **out);
/* A number as xl reads it: C syntax with base prefixes (strtol base 0),
 * quoted or not, and never from a `+=` setting.  ERANGE on overflow. */
int xlcfg_get_long(const struct xlcfg *cfg, const char *name, long *out);
int xlcfg_get_list(const struct xlcfg *cfg, const char *name,
                   const struct xlcfg_value **out);
/* The string of list item i, or NULL if i is out of range or the item
 * is itself a list. */
const char *xlcfg_list_string(const struct xlcfg_value *list, size_t i);

/* Add a diagnostic found after parsing (by the semantic layer), at a
 * location (NULL or line 0: the file as a whole). */
void xlcfg_diag_add(struct xlcfg *cfg, enum xlcfg_severity sev,
                    const struct xlcfg_loc *at, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void xlcfg_diag_addv(struct xlcfg *cfg, enum xlcfg_severity sev,
                     const struct xlcfg_loc *at, const char *fmt,
                     va_list ap);

/* Put the diagnostics in file order (stable for one place). */
void xlcfg_sort_diags(struct xlcfg *cfg);

/* "FILE:LINE:COLUMN: message" (with "warning: " before the message of a
 * warning), one line each, to `out`. */
void xlcfg_print_diags(const struct xlcfg *cfg, FILE *out);

/*
 * Write the config back in a normalised form: the last setting of each
 * name, in the order the names first appear, one per line, with
 * canonical quoting.  Parsing the output gives the same values.
 */
int xlcfg_write(const struct xlcfg *cfg, FILE *out);
/* One value in the same canonical form. */
int xlcfg_write_value(const struct xlcfg_value *v, FILE *out);

/* Values: deep copy and free. */
struct xlcfg_value *xlcfg_value_copy(const struct xlcfg_value *v);
void xlcfg_value_free(struct xlcfg_value *v);
bool xlcfg_value_equal(const struct xlcfg_value *a,
                       const struct xlcfg_value *b);

#endif /* XLCFG_H */
