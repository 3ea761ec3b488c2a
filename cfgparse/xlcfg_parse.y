/*
 * xlcfg_parse.y - the grammar of the xl domain config format.
 *
 * The language is upstream xl's, as Debian's libxlutil accepts it:
 *
 *   - a statement is `name = value` or `name += value`, ended by a
 *     newline or ';'; empty statements are fine;
 *   - the last statement of a file needs no newline;
 *   - a value is a string, a number or a list `[ v, v, ... ]`; lists
 *     nest, may be empty, may end with a comma, and may break lines
 *     after '[', before ']' and around commas, but a value must start on
 *     the line of its '=';
 *   - `+=` appends to the value the name had (strings are joined, lists
 *     concatenated; mixing the two is an error).
 *
 * After an error the parser skips to the end of the line and goes on,
 * so that one run reports every error of a file.
 */

%define api.pure full
%define api.prefix {xlcfg_yy}
%define api.token.prefix {TOK_}
%define api.location.type {struct xlcfg_span}
%define parse.error custom
%define parse.lac full
%locations

%parse-param {void *scanner} {struct xlcfg_pctx *pc}
%lex-param {void *scanner}

%code requires {
#include "xlcfg_int.h"
}

%code provides {
int xlcfg_yylex(XLCFG_YYSTYPE *lval, XLCFG_YYLTYPE *lloc, void *scanner);
}

%code {
#include <stdio.h>
#include <string.h>

/* A span covering the symbols of a rule: it starts where the first one
 * starts and ends where the last one ends; an empty rule sits at the end
 * of what came before it. */
#define YYLLOC_DEFAULT(cur, rhs, n)                                     \
    do {                                                                \
        if (n) {                                                        \
            (cur).line = YYRHSLOC(rhs, 1).line;                         \
            (cur).column = YYRHSLOC(rhs, 1).column;                     \
            (cur).off = YYRHSLOC(rhs, 1).off;                           \
            (cur).end = YYRHSLOC(rhs, n).end;                           \
        } else {                                                        \
            (cur).line = YYRHSLOC(rhs, 0).line;                         \
            (cur).column = YYRHSLOC(rhs, 0).column;                     \
            (cur).off = (cur).end = YYRHSLOC(rhs, 0).end;               \
        }                                                               \
    } while (0)

/* Bison only prints locations in debug traces, which are not built. */
#define YYLOCATION_PRINT(f, l) ((void)0)

static void xlcfg_yyerror(XLCFG_YYLTYPE *at, void *scanner,
                          struct xlcfg_pctx *pc, const char *msg);
}

%union {
    char *str;
    struct xlcfg_value *val;
}

%token <str> IDENT "setting name"
%token <str> STRING "string"
%token <str> NUMBER "number"
%token NEWLINE "end of line"
%token APPEND "+="
%token BAD "invalid text"
%token EQ "'='"
%token SEMI "';'"
%token LBRACK "'['"
%token RBRACK "']'"
%token COMMA "','"

%type <val> value atom valuelist values

%destructor { free($$); } <str>
%destructor { xlcfg_value_free($$); } <val>

%%

file:   stmts
    |   stmts assignment
    ;

stmts:  %empty
    |   stmts stmt
    ;

stmt:   assignment endstmt
    |   endstmt
    |   error NEWLINE           { yyerrok; }
    ;

assignment:
        IDENT EQ value         { xlcfg__store(pc, $1, XLCFG_ASSIGN, $3, &@1); }
    |   IDENT APPEND value      { xlcfg__store(pc, $1, XLCFG_APPEND, $3, &@1); }
    ;

endstmt: NEWLINE
    |   SEMI
    ;

value:  atom
    |   LBRACK nlok valuelist RBRACK
                                {
                                    $$ = $3;
                                    /* The list's place is its '['. */
                                    if ($$) {
                                        $$->loc.line = @1.line;
                                        $$->loc.column = @1.column;
                                    }
                                }
    ;

atom:   STRING                  { $$ = xlcfg__atom(pc, XLCFG_STRING, $1, &@1); }
    |   NUMBER                  { $$ = xlcfg__atom(pc, XLCFG_NUMBER, $1, &@1); }
    ;

valuelist:
        %empty                  { $$ = xlcfg__list_new(pc, &@$); }
    |   values                  { $$ = $1; }
    |   values COMMA nlok         { $$ = $1; }
    ;

values: value nlok              { $$ = xlcfg__list_add(pc, xlcfg__list_new(pc, &@1), $1); }
    |   values COMMA nlok value nlok
                                { $$ = xlcfg__list_add(pc, $1, $4); }
    ;

nlok:   %empty
    |   nlok NEWLINE
    ;

%%

static void xlcfg_yyerror(XLCFG_YYLTYPE *at, void *scanner,
                          struct xlcfg_pctx *pc, const char *msg)
{
    (void)scanner;
    /* Only bison's own failures come here: its stack is full when lists
     * nest thousands deep (libxlutil stops there too).  Syntax errors go
     * through yyreport_syntax_error below. */
    if (strcmp(msg, "memory exhausted") == 0)
        msg = "lists are nested too deeply";
    xlcfg__diag(pc, XLCFG_ERROR, at->line, at->column, "%s", msg);
}

/* Say what the token at `at` is, for "found ..." in a message. */
static void describe(const struct xlcfg_pctx *pc, yysymbol_kind_t tok,
                     const XLCFG_YYLTYPE *at, char *buf, size_t size)
{
    const char *text = pc->buf + at->off;
    int len = (int)(at->end - at->off);
    const char *ell = "";

    if (len > 40) {
        len = 37;
        ell = "...";
    }
    switch (tok) {
    case YYSYMBOL_YYEOF:
        snprintf(buf, size, "the end of the file");
        break;
    case YYSYMBOL_NEWLINE:
        snprintf(buf, size, "%s", text[0] == '#' ? "a comment"
                                                  : "the end of the line");
        break;
    case YYSYMBOL_STRING:
        snprintf(buf, size, "the string %.*s%s", len, text, ell);
        break;
    case YYSYMBOL_NUMBER:
        snprintf(buf, size, "the number %.*s%s", len, text, ell);
        break;
    default:
        snprintf(buf, size, "'%.*s%s'", len, text, ell);
        break;
    }
}

static bool expects(const yypcontext_t *ctx, yysymbol_kind_t kind)
{
    yysymbol_kind_t exp[YYNTOKENS];
    int n = yypcontext_expected_tokens(ctx, exp, YYNTOKENS);

    for (int i = 0; i < n; i++)
        if (exp[i] == kind)
            return true;
    return false;
}

/*
 * A syntax error, said the way an admin thinks about the file: what was
 * expected at this point of a statement, what was found instead, and
 * for the common mistakes what to write.
 */
static int yyreport_syntax_error(const yypcontext_t *ctx,
                                 void *scanner, struct xlcfg_pctx *pc)
{
    const XLCFG_YYLTYPE *at = yypcontext_location(ctx);
    yysymbol_kind_t tok = yypcontext_token(ctx);
    char found[160];
    const char *hint = "";

    (void)scanner;
    /* The scanner has already explained a bad token, and anything else
     * wrong on that line most likely follows from it. */
    if (tok == YYSYMBOL_BAD || at->line == pc->lex_error_line)
        return 0;
    describe(pc, tok, at, found, sizeof(found));

    if (expects(ctx, YYSYMBOL_EQ)) {
        /* After a name: only '=' or '+=' can follow. */
        xlcfg__diag(pc, XLCFG_ERROR, at->line, at->column,
                    "expected '=' or '+=' after the setting name, found %s",
                    found);
    } else if (expects(ctx, YYSYMBOL_STRING)) {
        /* Where a value must come: after '=', or as a list item. */
        bool in_list = expects(ctx, YYSYMBOL_RBRACK);

        if (tok == YYSYMBOL_IDENT)
            hint = "; text values must be quoted, e.g. \"word\"";
        else if (tok == YYSYMBOL_COMMA)
            hint = "; a list item is missing between two commas or "
                   "after '['";
        else if (tok == YYSYMBOL_NEWLINE)
            hint = "; a value must start on the same line as its '='";
        xlcfg__diag(pc, XLCFG_ERROR, at->line, at->column,
                    "expected %s, found %s%s",
                    in_list ? "a list item or ']'"
                            : "a value (a \"string\", a number or a [list])",
                    found, hint);
    } else if (expects(ctx, YYSYMBOL_COMMA)) {
        /* Inside a list, after an item. */
        if (tok == YYSYMBOL_STRING || tok == YYSYMBOL_NUMBER
            || tok == YYSYMBOL_LBRACK)
            hint = "; list items are separated by commas";
        xlcfg__diag(pc, XLCFG_ERROR, at->line, at->column,
                    "expected ',' or ']' in the list, found %s%s", found,
                    hint);
    } else if (expects(ctx, YYSYMBOL_IDENT)) {
        /* At the start of a statement. */
        if (tok == YYSYMBOL_EQ)
            hint = "; the setting name is missing";
        xlcfg__diag(pc, XLCFG_ERROR, at->line, at->column,
                    "expected a setting name at the start of a statement, "
                    "found %s%s", found, hint);
    } else {
        /* After a complete value. */
        if (tok == YYSYMBOL_STRING)
            hint = "; strings are not joined: write them as one string";
        else if (tok == YYSYMBOL_IDENT)
            hint = "; separate settings with a new line or ';'";
        xlcfg__diag(pc, XLCFG_ERROR, at->line, at->column,
                    "expected the end of the line or ';' after the value, "
                    "found %s%s", found, hint);
    }
    return 0;
}
