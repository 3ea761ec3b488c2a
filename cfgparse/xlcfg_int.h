/*
 * xlcfg_int.h - what the scanner, the grammar and xlcfg.c share.
 * Not installed; nothing outside cfgparse/ includes it.
 */
#ifndef XLCFG_INT_H
#define XLCFG_INT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include "xlcfg.h"

/* A token's place: its first line and column, and its byte range in the
 * input, from which error messages quote the text. */
struct xlcfg_span {
    int line;
    int column;
    size_t off;
    size_t end;
};

/* The state of one parse, shared by the scanner and the grammar. */
struct xlcfg_pctx {
    struct xlcfg *cfg;
    void *scanner;
    void *yb;              /* the scanner's buffer */
    const char *buf;       /* the whole input */
    size_t len;
    /* Where the scanner is: the position of the next byte. */
    size_t off;
    int line;
    int column;
    /* Error reporting state.  A line that had a lexical error gets no
     * syntax error on top of it: that second message would only be a
     * consequence of the first.  Likewise a bad word is reported once,
     * however many bad characters it holds. */
    int lex_error_line;
    int error_line;        /* the line of the last error reported */
    size_t bad_word_end;
    bool looks_like_python;
    int err;               /* ENOMEM: the parse could not finish */
    jmp_buf fatal;         /* where the scanner's fatal errors land */
};

/* Record a diagnostic at a location (line and column). */
void xlcfg__diag(struct xlcfg_pctx *pc, enum xlcfg_severity sev,
                 int line, int column, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Scanner helpers (xlcfg.c). */
char *xlcfg__strndup(struct xlcfg_pctx *pc, const char *s, size_t n);
char *xlcfg__dequote(struct xlcfg_pctx *pc, const char *tok, size_t len,
                     int line, int column);
bool xlcfg__bad_char(struct xlcfg_pctx *pc, size_t off, int line,
                     int column);

/* Grammar helpers (xlcfg.c).  Each takes ownership of what it is
 * given, also on failure. */
struct xlcfg_value *xlcfg__atom(struct xlcfg_pctx *pc, enum xlcfg_vtype t,
                                char *str, const struct xlcfg_span *at);
struct xlcfg_value *xlcfg__list_new(struct xlcfg_pctx *pc,
                                    const struct xlcfg_span *at);
struct xlcfg_value *xlcfg__list_add(struct xlcfg_pctx *pc,
                                    struct xlcfg_value *list,
                                    struct xlcfg_value *item);
void xlcfg__store(struct xlcfg_pctx *pc, char *name, enum xlcfg_op op,
                  struct xlcfg_value *value,
                  const struct xlcfg_span *name_at);

#endif /* XLCFG_INT_H */
