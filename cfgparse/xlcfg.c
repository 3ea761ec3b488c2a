/*
 * xlcfg.c - the config tree, its construction during a parse, lookups,
 * diagnostics and the normalised writer.
 */
#define _GNU_SOURCE

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xlcfg_int.h"
#include "xlcfg_parse.h"
#include "xlcfg_scan.h"

/* ---- values ---------------------------------------------------------- */

void xlcfg_value_free(struct xlcfg_value *v)
{
    if (!v)
        return;
    free(v->str);
    for (size_t i = 0; i < v->nitems; i++)
        xlcfg_value_free(v->items[i]);
    free(v->items);
    free(v);
}

struct xlcfg_value *xlcfg_value_copy(const struct xlcfg_value *v)
{
    struct xlcfg_value *c = calloc(1, sizeof(*c));

    if (!c)
        return NULL;
    c->type = v->type;
    c->loc = v->loc;
    if (v->str && !(c->str = strdup(v->str)))
        goto fail;
    if (v->nitems) {
        c->items = calloc(v->nitems, sizeof(*c->items));
        if (!c->items)
            goto fail;
        c->alloc = v->nitems;
        for (size_t i = 0; i < v->nitems; i++) {
            c->items[i] = xlcfg_value_copy(v->items[i]);
            if (!c->items[i])
                goto fail;
            c->nitems++;
        }
    }
    return c;

fail:
    xlcfg_value_free(c);
    return NULL;
}

bool xlcfg_value_equal(const struct xlcfg_value *a,
                       const struct xlcfg_value *b)
{
    if (a->type != b->type)
        return false;
    if (a->type != XLCFG_LIST)
        return strcmp(a->str, b->str) == 0;
    if (a->nitems != b->nitems)
        return false;
    for (size_t i = 0; i < a->nitems; i++)
        if (!xlcfg_value_equal(a->items[i], b->items[i]))
            return false;
    return true;
}

/* ---- the config ------------------------------------------------------ */

void xlcfg_init(struct xlcfg *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
}

void xlcfg_dispose(struct xlcfg *cfg)
{
    for (size_t i = 0; i < cfg->nsettings; i++) {
        free(cfg->settings[i].name);
        xlcfg_value_free(cfg->settings[i].value);
    }
    free(cfg->settings);
    for (size_t i = 0; i < cfg->ndiags; i++)
        free(cfg->diags[i].msg);
    free(cfg->diags);
    free(cfg->filename);
    xlcfg_init(cfg);
}

/* Add a diagnostic; on ENOMEM the message is lost but the error still
 * counts, so a config is never taken as valid by mistake. */
static void add_diag(struct xlcfg *cfg, enum xlcfg_severity sev,
                     int line, int column, char *msg)
{
    struct xlcfg_diag *d;

    if (sev == XLCFG_ERROR)
        cfg->nerrors++;
    if (!msg)
        return;
    d = reallocarray(cfg->diags, cfg->ndiags + 1, sizeof(*d));
    if (!d) {
        free(msg);
        return;
    }
    cfg->diags = d;
    d[cfg->ndiags].severity = sev;
    d[cfg->ndiags].loc.file = cfg->filename;
    d[cfg->ndiags].loc.line = line;
    d[cfg->ndiags].loc.column = column;
    d[cfg->ndiags].msg = msg;
    cfg->ndiags++;
}

/* One error per line: a second one on a line that already has an error
 * is nearly always a consequence of the first, and only noise.  (The
 * config is invalid either way.) */
void xlcfg__diag(struct xlcfg_pctx *pc, enum xlcfg_severity sev,
                 int line, int column, const char *fmt, ...)
{
    va_list ap;
    char *msg;

    if (sev == XLCFG_ERROR) {
        if (line > 0 && line == pc->error_line)
            return;
        pc->error_line = line;
    }
    va_start(ap, fmt);
    if (vasprintf(&msg, fmt, ap) < 0) {
        msg = NULL;
        pc->err = ENOMEM;
    }
    va_end(ap);
    add_diag(pc->cfg, sev, line, column, msg);
}

void xlcfg_diag_addv(struct xlcfg *cfg, enum xlcfg_severity sev,
                     const struct xlcfg_loc *at, const char *fmt, va_list ap)
{
    char *msg;

    if (vasprintf(&msg, fmt, ap) < 0)
        msg = NULL;
    add_diag(cfg, sev, at ? at->line : 0, at ? at->column : 0, msg);
}

void xlcfg_diag_add(struct xlcfg *cfg, enum xlcfg_severity sev,
                    const struct xlcfg_loc *at, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    xlcfg_diag_addv(cfg, sev, at, fmt, ap);
    va_end(ap);
}

char *xlcfg__strndup(struct xlcfg_pctx *pc, const char *s, size_t n)
{
    char *r = strndup(s, n);

    if (!r)
        pc->err = ENOMEM;
    return r;
}

/* ---- the scanner's helpers -------------------------------------------- */

/*
 * Resolve the escapes of a quoted string token (quotes included), the way
 * libxlutil does, including its two surprises, which real configs may
 * rely on without knowing:
 *
 *  - "\x.." never works: libxlutil rejects every hex escape;
 *  - "\NNN" (a digit 0-7 and then at least two more characters that C's
 *    strtoul reads as a decimal number: digits, maybe after blanks or a
 *    sign, three characters at most) is accepted but produces no
 *    character at all.  That is kept, with a warning, because xl gives
 *    such a string that meaning.
 *
 * A NUL byte inside a string is rejected (libxlutil would abort on it).
 * Returns NULL after reporting an error.
 */
char *xlcfg__dequote(struct xlcfg_pctx *pc, const char *tok, size_t len,
                     int line, int column)
{
    const char *body = tok + 1;
    size_t n = len - 2, i = 0;
    char *out = malloc(n + 1), *q = out;

    if (!out) {
        pc->err = ENOMEM;
        return NULL;
    }
    if (memchr(body, '\0', n)) {
        xlcfg__diag(pc, XLCFG_ERROR, line, column,
                    "NUL byte inside a quoted string");
        goto bad;
    }
    while (i < n) {
        char c = body[i++];
        int esc_col = column + (int)i;  /* column of the backslash */

        if (c != '\\') {
            *q++ = c;
            continue;
        }
        /* The scanner only matches a backslash followed by a character
         * inside the quotes. */
        c = body[i++];
        switch (c) {
        case '"': case '\'': case '\\': *q++ = c; break;
        case 'a': *q++ = '\a'; break;
        case 'b': *q++ = '\b'; break;
        case 'f': *q++ = '\f'; break;
        case 'n': *q++ = '\n'; break;
        case 'r': *q++ = '\r'; break;
        case 't': *q++ = '\t'; break;
        case 'v': *q++ = '\v'; break;
        case 'x':
            xlcfg__diag(pc, XLCFG_ERROR, line, esc_col,
                        "'\\x' escapes are not accepted by xl; write the "
                        "character itself");
            goto bad;
        case '0': case '1': case '2': case '3':
        case '4': case '5': case '6': case '7': {
            /* What strtoul(…, 10) consumes of the next three bytes. */
            size_t lim = i + 3 < n ? i + 3 : n, j = i, digits;

            while (j < lim && (body[j] == ' ' || body[j] == '\t'
                               || body[j] == '\v' || body[j] == '\f'
                               || body[j] == '\r'))
                j++;
            if (j < lim && (body[j] == '+' || body[j] == '-'))
                j++;
            for (digits = 0; j < lim && isdigit((unsigned char)body[j]);
                 j++)
                digits++;
            if (!digits || j - i < 2) {
                xlcfg__diag(pc, XLCFG_ERROR, line, esc_col,
                            "bad escape '\\%c' in a quoted string: xl "
                            "reads '\\' and a digit as an escape that "
                            "needs two more digits", c);
                goto bad;
            }
            xlcfg__diag(pc, XLCFG_WARNING, line, esc_col,
                        "the escape '\\%.*s' produces no character at all "
                        "in xl (its numeric escapes are dropped); write "
                        "the character itself",
                        (int)(j - i + 1), body + i - 1);
            i = j;
            break;
        }
        default:
            xlcfg__diag(pc, XLCFG_ERROR, line, esc_col,
                        "unknown escape '\\%c' in a quoted string (xl "
                        "knows \\\\ \\\" \\' \\a \\b \\f \\n \\r \\t \\v)",
                        isprint((unsigned char)c) ? c : '?');
            goto bad;
        }
    }
    *q = '\0';
    return out;

bad:
    free(out);
    return NULL;
}

static bool word_char(unsigned char c)
{
    return c != ' ' && c != '\t' && c != '\n' && c != '=' && c != ','
           && c != '[' && c != ']' && c != ';' && c != '"' && c != '\'';
}

/*
 * A byte that starts no token.  Say what is wrong in terms of the usual
 * cause: DOS line endings, an unterminated string, Python syntax, an
 * unquoted word with capitals...  A word with several bad bytes is
 * reported once.
 *
 * One exception keeps xl's meaning: libxlutil silently ignores a bad
 * byte that is the very last byte of the file (its scanner reaches the
 * end before it reports the word), so `memory = 512_` at the end of a
 * file is valid to xl.  That byte gets a warning and no token.
 *
 * Returns true when the byte is an error and the scanner should return
 * a BAD token.
 */
bool xlcfg__bad_char(struct xlcfg_pctx *pc, size_t off, int line,
                     int column)
{
    const unsigned char *b = (const unsigned char *)pc->buf;
    unsigned char c = b[off];
    size_t ws = off, we = off + 1;
    int wlen;

    if (strchr("()+-.:", c) && c)
        pc->looks_like_python = true;
    if (off + 1 == pc->len) {
        if (off >= pc->bad_word_end) {
            if (isprint(c))
                xlcfg__diag(pc, XLCFG_WARNING, line, column,
                            "stray '%c' at the very end of the file: xl "
                            "ignores it, but it is an error anywhere else",
                            c);
            else
                xlcfg__diag(pc, XLCFG_WARNING, line, column,
                            "stray byte 0x%02x at the very end of the file: "
                            "xl ignores it, but it is an error anywhere "
                            "else", c);
        }
        return false;
    }
    if (off < pc->bad_word_end)
        return true;
    while (ws > 0 && word_char(b[ws - 1]))
        ws--;
    while (we < pc->len && word_char(b[we]))
        we++;
    pc->bad_word_end = we;
    pc->lex_error_line = line;
    wlen = (int)(we - ws) > 40 ? 40 : (int)(we - ws);

    if (c == '\r') {
        xlcfg__diag(pc, XLCFG_ERROR, line, column,
                    "carriage return: the file has DOS line endings "
                    "(CRLF), which xl does not accept; convert it with "
                    "dos2unix");
        /* One report for the whole file is enough. */
        pc->bad_word_end = pc->len;
    } else if (c == '"' || c == '\'') {
        const char *nl = memchr(b + off, '\n', pc->len - off);
        size_t eol = nl ? (size_t)(nl - pc->buf) : pc->len;

        if (eol > off + 1 && b[eol - 1] == '\\' && eol < pc->len) {
            xlcfg__diag(pc, XLCFG_ERROR, line, column,
                        "a quoted string cannot go on to the next line (a "
                        "'\\' at the end of a line does not join lines)");
            /* The continued lines are part of the same mistake. */
            while (eol < pc->len && b[eol - 1] == '\\') {
                nl = memchr(b + eol + 1, '\n', pc->len - eol - 1);
                eol = nl ? (size_t)(nl - pc->buf) : pc->len;
            }
        } else {
            xlcfg__diag(pc, XLCFG_ERROR, line, column,
                        "unterminated string: no closing %c on this line",
                        c);
        }
        pc->bad_word_end = eol;
    } else if (c == '#') {
        xlcfg__diag(pc, XLCFG_ERROR, line, column,
                    "the comment on the last line has no newline at its "
                    "end, which xl does not accept");
    } else if (off == 0 && pc->len >= 3 && b[0] == 0xef && b[1] == 0xbb
               && b[2] == 0xbf) {
        xlcfg__diag(pc, XLCFG_ERROR, line, column,
                    "the file starts with a UTF-8 byte order mark, which "
                    "xl does not accept");
        pc->bad_word_end = 3;
    } else if (c == '\0') {
        xlcfg__diag(pc, XLCFG_ERROR, line, column, "NUL byte in the file");
        pc->bad_word_end = off + 1;
    } else if (c >= 0x80) {
        xlcfg__diag(pc, XLCFG_ERROR, line, column,
                    "non-ASCII character outside a quoted string");
    } else if (isupper(c) && isdigit(b[ws])) {
        char lower[41];

        for (int i = 0; i < wlen; i++)
            lower[i] = (char)tolower(b[ws + (size_t)i]);
        lower[wlen] = '\0';
        xlcfg__diag(pc, XLCFG_ERROR, line, column,
                    "'%.*s': xl reads only lower-case hex digits in a "
                    "number; write %s", wlen, pc->buf + ws, lower);
    } else if (isupper(c)) {
        xlcfg__diag(pc, XLCFG_ERROR, line, column,
                    "'%.*s': setting names are lower case, and a text "
                    "value must be quoted (\"%.*s\")",
                    wlen, pc->buf + ws, wlen, pc->buf + ws);
    } else if (c == '-' && we > off + 1 && isdigit(b[off + 1])) {
        xlcfg__diag(pc, XLCFG_ERROR, line, column,
                    "'%.*s': a number cannot have a sign; quote it "
                    "(\"%.*s\")", wlen, pc->buf + ws, wlen, pc->buf + ws);
    } else if (c == '.' && ws < off && isdigit(b[ws])) {
        xlcfg__diag(pc, XLCFG_ERROR, line, column,
                    "'%.*s': numbers are whole numbers; a value with a "
                    "point must be quoted (\"%.*s\")",
                    wlen, pc->buf + ws, wlen, pc->buf + ws);
    } else if (strchr("()+-.:", c)) {
        xlcfg__diag(pc, XLCFG_ERROR, line, column,
                    "unexpected '%c' in '%.*s' (an xl config is not "
                    "Python: a value is a \"string\", a number or a "
                    "[list])", c, wlen, pc->buf + ws);
    } else if (c == '/' && ws == off) {
        xlcfg__diag(pc, XLCFG_ERROR, line, column,
                    "'%.*s': a path must be quoted (\"%.*s\")",
                    wlen, pc->buf + ws, wlen, pc->buf + ws);
    } else if (isprint(c)) {
        xlcfg__diag(pc, XLCFG_ERROR, line, column,
                    "unexpected '%c' in '%.*s'", c, wlen, pc->buf + ws);
    } else {
        xlcfg__diag(pc, XLCFG_ERROR, line, column,
                    "unexpected control character 0x%02x", c);
    }
    return true;
}

/* ---- the grammar's helpers ------------------------------------------- */

static void set_loc(struct xlcfg_pctx *pc, struct xlcfg_loc *loc,
                    const struct xlcfg_span *at)
{
    loc->file = pc->cfg->filename;
    loc->line = at->line;
    loc->column = at->column;
}

struct xlcfg_value *xlcfg__atom(struct xlcfg_pctx *pc, enum xlcfg_vtype t,
                                char *str, const struct xlcfg_span *at)
{
    struct xlcfg_value *v = calloc(1, sizeof(*v));

    if (!v) {
        pc->err = ENOMEM;
        free(str);
        return NULL;
    }
    v->type = t;
    v->str = str;
    set_loc(pc, &v->loc, at);
    return v;
}

struct xlcfg_value *xlcfg__list_new(struct xlcfg_pctx *pc,
                                    const struct xlcfg_span *at)
{
    struct xlcfg_value *v = calloc(1, sizeof(*v));

    if (!v) {
        pc->err = ENOMEM;
        return NULL;
    }
    v->type = XLCFG_LIST;
    set_loc(pc, &v->loc, at);
    return v;
}

/* Lists grow by doubling, so a long list costs linear time. */
static int list_push(struct xlcfg_value *list, struct xlcfg_value *item)
{
    if (list->nitems == list->alloc) {
        size_t cap = list->alloc ? list->alloc * 2 : 4;
        struct xlcfg_value **items;

        items = reallocarray(list->items, cap, sizeof(*items));
        if (!items)
            return ENOMEM;
        list->items = items;
        list->alloc = cap;
    }
    list->items[list->nitems++] = item;
    return 0;
}

struct xlcfg_value *xlcfg__list_add(struct xlcfg_pctx *pc,
                                    struct xlcfg_value *list,
                                    struct xlcfg_value *item)
{
    /* A NULL is an earlier failure (already recorded). */
    if (!list || !item || list_push(list, item)) {
        if (list && item)
            pc->err = ENOMEM;
        xlcfg_value_free(list);
        xlcfg_value_free(item);
        return NULL;
    }
    return list;
}

/* `name += value`: the new value is the old one with this one appended,
 * as libxlutil computes it when it reads the statement. */
static struct xlcfg_value *append(struct xlcfg_pctx *pc,
                                  const struct xlcfg_setting *prev,
                                  struct xlcfg_value *add)
{
    const struct xlcfg_value *old = prev->value;
    struct xlcfg_value *res = NULL;

    if ((old->type == XLCFG_LIST) != (add->type == XLCFG_LIST)) {
        xlcfg__diag(pc, XLCFG_ERROR, add->loc.line, add->loc.column,
                    "cannot append a %s to '%s', which line %d set to a %s",
                    add->type == XLCFG_LIST ? "list" : "single value",
                    prev->name, prev->loc.line,
                    old->type == XLCFG_LIST ? "list" : "single value");
        goto out;
    }
    if (add->type != XLCFG_LIST) {
        char *s;

        if (asprintf(&s, "%s%s", old->str, add->str) < 0) {
            pc->err = ENOMEM;
            goto out;
        }
        free(add->str);
        add->str = s;
        /* Two numbers written side by side still read as a number. */
        if (old->type != XLCFG_NUMBER)
            add->type = XLCFG_STRING;
        res = add;
        add = NULL;
        goto out;
    }
    res = xlcfg_value_copy(old);
    if (!res) {
        pc->err = ENOMEM;
        goto out;
    }
    res->loc = add->loc;
    for (size_t i = 0; i < add->nitems; i++) {
        if (list_push(res, add->items[i])) {
            pc->err = ENOMEM;
            xlcfg_value_free(res);
            res = NULL;
            goto out;
        }
        add->items[i] = NULL;
    }

out:
    xlcfg_value_free(add);
    return res;
}

void xlcfg__store(struct xlcfg_pctx *pc, char *name, enum xlcfg_op op,
                  struct xlcfg_value *value,
                  const struct xlcfg_span *name_at)
{
    struct xlcfg *cfg = pc->cfg;
    struct xlcfg_setting *s;

    if (!name || !value)
        goto fail;
    if (op == XLCFG_APPEND) {
        const struct xlcfg_setting *prev = xlcfg_find(cfg, name);

        if (prev) {
            value = append(pc, prev, value);
            if (!value)
                goto fail;
        }
    }
    s = reallocarray(cfg->settings, cfg->nsettings + 1, sizeof(*s));
    if (!s) {
        pc->err = ENOMEM;
        goto fail;
    }
    cfg->settings = s;
    s += cfg->nsettings++;
    s->name = name;
    s->op = op;
    set_loc(pc, &s->loc, name_at);
    s->value = value;
    s->used = false;
    return;

fail:
    free(name);
    xlcfg_value_free(value);
}

/* ---- parsing --------------------------------------------------------- */

static int diag_cmp(const void *a, const void *b)
{
    const struct xlcfg_diag *x = a, *y = b;

    if (x->loc.line != y->loc.line)
        return x->loc.line < y->loc.line ? -1 : 1;
    if (x->loc.column != y->loc.column)
        return x->loc.column < y->loc.column ? -1 : 1;
    /* Keep the order of reports at one place: qsort is not stable, so
     * compare addresses, which follow the order the reports came in. */
    return x < y ? -1 : x > y;
}

void xlcfg_sort_diags(struct xlcfg *cfg)
{
    if (cfg->ndiags > 1)
        qsort(cfg->diags, cfg->ndiags, sizeof(*cfg->diags), diag_cmp);
}

/* The scanner's fatal errors land at the setjmp() here; nothing local
 * changes after it, so nothing is clobbered by the jump. */
static int run_parser(struct xlcfg_pctx *pc)
{
    if (setjmp(pc->fatal))
        return ENOMEM;
    pc->yb = xlcfg_yy_scan_bytes(pc->buf, (int)pc->len, pc->scanner);
    /* 0 is success; 1 is a syntax error, already reported; 2 is bison
     * running out of stack, reported through yyerror. */
    xlcfg_yyparse(pc->scanner, pc);
    return pc->err;
}

int xlcfg_parse_buffer(struct xlcfg *cfg, const char *name,
                       const char *buf, size_t len)
{
    struct xlcfg_pctx pc;
    int rc = 0;

    memset(&pc, 0, sizeof(pc));
    pc.cfg = cfg;
    pc.buf = buf;
    pc.len = len;
    pc.line = 1;
    pc.column = 1;
    if (!cfg->filename && !(cfg->filename = strdup(name))) {
        rc = ENOMEM;
        goto out;
    }
    if (len > INT_MAX) {
        add_diag(cfg, XLCFG_ERROR, 0, 0,
                 strdup("the file is too large to be a config"));
        goto out;
    }
    if (xlcfg_yylex_init_extra(&pc, &pc.scanner)) {
        rc = errno ? errno : ENOMEM;
        goto out;
    }
    rc = run_parser(&pc);
    if (rc)
        goto out;
    xlcfg_sort_diags(cfg);
    if (cfg->nerrors && pc.looks_like_python)
        add_diag(cfg, XLCFG_WARNING, 0, 0,
                 strdup("this file looks like Python; xl stopped running "
                        "config files as Python code long ago (see "
                        "xl.cfg(5) for the syntax)"));

out:
    if (pc.yb)
        xlcfg_yy_delete_buffer(pc.yb, pc.scanner);
    if (pc.scanner)
        xlcfg_yylex_destroy(pc.scanner);
    return rc;
}

/* Read a whole file into a malloc'd buffer; failures are diagnostics. */
static int read_file(struct xlcfg *cfg, const char *path, char **out,
                     size_t *outlen)
{
    FILE *f = NULL;
    char *buf = NULL, *msg = NULL;
    size_t len = 0, cap = 0;
    int rc = 0;

    *out = NULL;
    f = fopen(path, "r");
    if (!f) {
        if (asprintf(&msg, "cannot open: %s", strerror(errno)) < 0)
            msg = NULL;
        add_diag(cfg, XLCFG_ERROR, 0, 0, msg);
        goto out;
    }
    for (;;) {
        size_t got;

        if (len == cap) {
            char *nb;

            if (cap >= XLCFG_MAX_FILE_SIZE) {
                if (asprintf(&msg, "the file is larger than %u MiB: not "
                             "a domain config",
                             XLCFG_MAX_FILE_SIZE / (1024 * 1024)) < 0)
                    msg = NULL;
                add_diag(cfg, XLCFG_ERROR, 0, 0, msg);
                goto out;
            }
            cap = cap ? cap * 2 : 8192;
            nb = realloc(buf, cap);
            if (!nb) {
                rc = ENOMEM;
                goto out;
            }
            buf = nb;
        }
        got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0) {
            if (ferror(f)) {
                if (asprintf(&msg, "cannot read: %s", strerror(errno)) < 0)
                    msg = NULL;
                add_diag(cfg, XLCFG_ERROR, 0, 0, msg);
                goto out;
            }
            break;
        }
    }
    *out = buf;
    *outlen = len;
    buf = NULL;

out:
    if (f)
        fclose(f);
    free(buf);
    return rc;
}

int xlcfg_parse_buffer_extra(struct xlcfg *cfg, const char *name,
                             const char *text, size_t textlen,
                             char *const *extra, size_t nextra)
{
    char *buf = NULL;
    size_t len = textlen, more = 2;
    int rc, lines = 1;

    if (!nextra)
        return xlcfg_parse_buffer(cfg, name, text, textlen);
    for (size_t i = 0; i < nextra; i++)
        more += strlen(extra[i]) + 1;
    buf = malloc(textlen + more);
    if (!buf)
        return ENOMEM;
    if (textlen)
        memcpy(buf, text, textlen);
    for (size_t i = 0; i < textlen; i++)
        lines += buf[i] == '\n';
    /* xl appends "\n" and then each setting and a newline. */
    buf[len++] = '\n';
    cfg->extra_line = lines + 1;
    for (size_t i = 0; i < nextra; i++) {
        size_t n = strlen(extra[i]);

        memcpy(buf + len, extra[i], n);
        len += n;
        buf[len++] = '\n';
    }
    rc = xlcfg_parse_buffer(cfg, name, buf, len);
    free(buf);
    return rc;
}

int xlcfg_parse_file_extra(struct xlcfg *cfg, const char *path,
                           char *const *extra, size_t nextra)
{
    char *buf = NULL;
    size_t len = 0;
    int rc;

    if (!(cfg->filename = strdup(path)))
        return ENOMEM;
    rc = read_file(cfg, path, &buf, &len);
    if (rc || !buf)
        goto out;
    rc = xlcfg_parse_buffer_extra(cfg, path, buf, len, extra, nextra);

out:
    free(buf);
    return rc;
}

int xlcfg_parse_file(struct xlcfg *cfg, const char *path)
{
    return xlcfg_parse_file_extra(cfg, path, NULL, 0);
}

/* ---- lookups --------------------------------------------------------- */

const struct xlcfg_setting *xlcfg_find(const struct xlcfg *cfg,
                                       const char *name)
{
    for (size_t i = cfg->nsettings; i-- > 0;)
        if (strcmp(cfg->settings[i].name, name) == 0)
            return &cfg->settings[i];
    return NULL;
}

int xlcfg_get_string(const struct xlcfg *cfg, const char *name,
                     const char **out)
{
    const struct xlcfg_setting *s = xlcfg_find(cfg, name);

    if (!s)
        return ENOENT;
    if (s->value->type == XLCFG_LIST)
        return EINVAL;
    *out = s->value->str;
    return 0;
}

int xlcfg_get_long(const struct xlcfg *cfg, const char *name, long *out)
{
    const struct xlcfg_setting *s = xlcfg_find(cfg, name);
    char *end;
    long l;

    if (!s)
        return ENOENT;
    /* xl refuses `+=` for numbers, even when nothing came before. */
    if (s->value->type == XLCFG_LIST || s->op == XLCFG_APPEND)
        return EINVAL;
    errno = 0;
    l = strtol(s->value->str, &end, 0);
    if (errno)
        return errno;
    if (*end || end == s->value->str)
        return EINVAL;
    *out = l;
    return 0;
}

int xlcfg_get_list(const struct xlcfg *cfg, const char *name,
                   const struct xlcfg_value **out)
{
    const struct xlcfg_setting *s = xlcfg_find(cfg, name);

    if (!s)
        return ENOENT;
    if (s->value->type != XLCFG_LIST)
        return EINVAL;
    *out = s->value;
    return 0;
}

const char *xlcfg_list_string(const struct xlcfg_value *list, size_t i)
{
    if (list->type != XLCFG_LIST || i >= list->nitems
        || list->items[i]->type == XLCFG_LIST)
        return NULL;
    return list->items[i]->str;
}

/* ---- output ---------------------------------------------------------- */

void xlcfg_print_diags(const struct xlcfg *cfg, FILE *out)
{
    for (size_t i = 0; i < cfg->ndiags; i++) {
        const struct xlcfg_diag *d = &cfg->diags[i];
        const char *sev = d->severity == XLCFG_WARNING ? "warning: " : "";

        if (cfg->extra_line && d->loc.line >= cfg->extra_line)
            fprintf(out, "command line:%d:%d: %s%s\n",
                    d->loc.line - cfg->extra_line + 1, d->loc.column, sev,
                    d->msg);
        else if (d->loc.line > 0)
            fprintf(out, "%s:%d:%d: %s%s\n", cfg->filename, d->loc.line,
                    d->loc.column, sev, d->msg);
        else
            fprintf(out, "%s: %s%s\n", cfg->filename, sev, d->msg);
    }
}

/* Quote a string so that the parser reads it back unchanged: double
 * quotes unless the text holds a double quote and no single one. */
static void write_string(const char *s, FILE *out)
{
    char quote = strchr(s, '"') && !strchr(s, '\'') ? '\'' : '"';

    fputc(quote, out);
    for (; *s; s++) {
        switch (*s) {
        case '\\': fputs("\\\\", out); break;
        case '\n': fputs("\\n", out); break;
        case '\t': fputs("\\t", out); break;
        case '\r': fputs("\\r", out); break;
        case '\a': fputs("\\a", out); break;
        case '\b': fputs("\\b", out); break;
        case '\f': fputs("\\f", out); break;
        case '\v': fputs("\\v", out); break;
        default:
            if (*s == quote)
                fputc('\\', out);
            fputc(*s, out);
        }
    }
    fputc(quote, out);
}

int xlcfg_write_value(const struct xlcfg_value *v, FILE *out)
{
    switch (v->type) {
    case XLCFG_NUMBER:
        fputs(v->str, out);
        break;
    case XLCFG_STRING:
        write_string(v->str, out);
        break;
    case XLCFG_LIST:
        fputc('[', out);
        for (size_t i = 0; i < v->nitems; i++) {
            fputs(i ? ", " : " ", out);
            xlcfg_write_value(v->items[i], out);
        }
        fputs(v->nitems ? " ]" : "]", out);
        break;
    }
    return ferror(out) ? EIO : 0;
}

/* A list goes on one line when it is short and flat, and one item per
 * line otherwise, as admins write long disk and vif lists. */
static void write_setting(const struct xlcfg_setting *s, FILE *out)
{
    const struct xlcfg_value *v = s->value;
    bool one_line = true;

    /* `+=` only changes how xl reads a single value (never as a number),
     * so it is kept there and nowhere else. */
    fprintf(out, "%s %s ", s->name,
            s->op == XLCFG_APPEND && v->type != XLCFG_LIST ? "+=" : "=");
    if (v->type == XLCFG_LIST && v->nitems > 1) {
        size_t width = strlen(s->name) + 5;

        for (size_t i = 0; i < v->nitems && one_line; i++) {
            if (v->items[i]->type == XLCFG_LIST)
                one_line = false;
            else
                width += strlen(v->items[i]->str) + 4;
        }
        one_line = one_line && width <= 72;
    }
    if (!one_line) {
        fputs("[\n", out);
        for (size_t i = 0; i < v->nitems; i++) {
            fputs("    ", out);
            xlcfg_write_value(v->items[i], out);
            fputs(",\n", out);
        }
        fputs("]", out);
    } else {
        xlcfg_write_value(v, out);
    }
    fputc('\n', out);
}

int xlcfg_write(const struct xlcfg *cfg, FILE *out)
{
    /* Each name once, where it first appears, with its last value; the
     * op of that last setting is kept, since xl treats a number set
     * with `+=` differently. */
    for (size_t i = 0; i < cfg->nsettings; i++) {
        const char *name = cfg->settings[i].name;
        bool seen = false;

        for (size_t j = 0; j < i && !seen; j++)
            seen = strcmp(cfg->settings[j].name, name) == 0;
        if (!seen)
            write_setting(xlcfg_find(cfg, name), out);
    }
    return ferror(out) ? EIO : 0;
}
