/* expr_impl.h (internal, not installed): what expr.c (compiling and
 * evaluating) and expr_lex.c (tokens, words, messages, names) share. */
#ifndef ISSIM_EXPR_IMPL_H
#define ISSIM_EXPR_IMPL_H

#include <stdbool.h>
#include <stddef.h>

#include "expr.h"

#define ISSIM_INTERNAL __attribute__((visibility("hidden")))

typedef enum { TOK_NUMBER, TOK_WORD, TOK_OP, TOK_LPAREN, TOK_RPAREN, TOK_COMMA, TOK_LOGIC } tok_kind;

typedef struct {
  tok_kind kind;
  size_t start, len; /* in the formula */
} token;

/* What a word is. */
typedef enum {
  WORD_FUNCTION, WORD_CONSTANT, WORD_MIN, WORD_MAX, WORD_IF, WORD_VARIABLE, WORD_OTHER
} word_kind;

typedef enum { VAR_OK, VAR_ZERO, VAR_LEADING_ZERO, VAR_TOO_LARGE, VAR_NOT } var_parse;

typedef struct {
  const char *formula;
  size_t d;
  const char *const *names; /* the variables' names, or NULL */
  const token *tok;
  size_t ntok;
  issim_error *err;
  char shown[256]; /* the formula as shown in messages */
  char vars[256];  /* "x1..x4", "x1", or "R, S (or x1..x2)" */
} compiler;

/* The compiler of formula over d variables (names NULL or d names). */
ISSIM_INTERNAL void expr_compiler_init(compiler *c, const char *formula, size_t d,
                                       const char *const *names, issim_error *err);
/* Splits c's formula into tokens (*tok, *ntok, to be freed, also in c->tok);
 * checks every character and every word, and the formula's size. */
ISSIM_INTERNAL int expr_lex(compiler *c, token **tok_out, size_t *ntok_out);

ISSIM_INTERNAL bool expr_word_is(const char *s, size_t len, const char *w);
/* A named variable: its index in *j. */
ISSIM_INTERNAL bool expr_named_variable(const char *s, size_t len, const char *const *names,
                                        size_t d, size_t *j);
/* x1..xd (no leading zeros): the index j (0-based) in *j. */
ISSIM_INTERNAL var_parse expr_parse_variable(const char *s, size_t len, size_t d, size_t *j);
ISSIM_INTERNAL word_kind expr_classify_word(const char *s, size_t len, const char *const *names,
                                            size_t d, size_t *j);

/* "expression does not parse: '...' (hint)"; the generic hint names the
 * variables. */
ISSIM_INTERNAL int expr_syntax_error(compiler *c, const char *hint);
ISSIM_INTERNAL int expr_generic_syntax_error(compiler *c);

#endif
