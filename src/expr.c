/* expr.c: formulas in x1..xd, compiled through GNU libmatheval (see expr.h).
 *
 * ---- What libmatheval 1.1.11 does, found by probing ----
 * - Its flex scanner has no rule for characters outside its alphabet (',',
 *   '@', '[', a '.' that starts no number...) and so takes flex's default:
 *   the character is ECHOed to stdout and skipped.  "x1 @+ x2" parses as
 *   x1 + x2 and prints "@"; "x1." parses as x1.  So every formula is first
 *   split into tokens here (lex below, mirroring the scanner's rules:
 *   numbers ({digit}+ | {digit}+.{digit}* | {digit}*.{digit}+ with an
 *   optional exponent), identifiers [_a-zA-Z][_a-zA-Z0-9]*, the constants
 *   1_pi, 2_pi and 2_sqrtpi, + - * / ^ ( )), anything else is refused, and
 *   libmatheval only ever sees the tokens re-joined by single spaces.
 * - Its identifier rule is [_a-zA-Z][[_a-zA-Z0-9]* (a stray '['), so "x[1"
 *   is one variable: '[' is refused by the token check above.
 * - Unknown identifiers are variables, silently (evaluate gives whatever the
 *   caller passed, 0 by default); and evaluator_get_variables lists only the
 *   variables left after simplification ("y^0" becomes 1 and lists none).
 *   So the identifiers are checked here, on the tokens: each must be a
 *   function (followed by '('), a constant, min or max, or x1..xd.
 * - evaluator_create parses through global variables (bison/flex state, the
 *   symbol table being built, the root node): it is not thread-safe, so
 *   every create and destroy here holds one mutex.  Evaluation touches only
 *   the evaluator's own tree and symbol table.
 * - evaluator_evaluate looks each name up in the evaluator's hash table on
 *   every call; evaluator_evaluate_x and friends only wrap it with the names
 *   "x", "y", "z".  No faster public entry point exists, so each point passes
 *   only the names the evaluator uses (from evaluator_get_variables), not all
 *   d.
 * - '^' is left-associative (2^3^2 = 64) and binds tighter than unary minus
 *   (-x1^2 = -(x1^2)); there is no unary plus ("+x1" does not parse).
 * - Out of memory, libmatheval prints a message and exits.
 * - Its parser, simplifier and evaluator recurse over the formula's tree,
 *   about 40 bytes of stack a level: a sum of 200,000 terms (a tree 200,000
 *   deep) overflowed an 8 MB stack while the scenario was read.  A tree is
 *   never deeper than the formula has tokens, so a formula is refused beyond
 *   MAX_TOKENS tokens (at most about 1 MB of stack, within any thread's), and
 *   beyond MAX_PARENS nested parentheses (bison's own stack gives up at
 *   10,000 with no reason given).
 *
 * ---- min and max ----
 * libmatheval has no min or max (nor any function of two arguments; "min(x1,
 * x2)" does not parse).  They are done here without an expression parser:
 * on the token list, each outermost call min( ... ) or max( ... ) -- the word
 * followed by '(' -- is found with its matching ')', its arguments are the
 * token ranges between commas at its own parenthesis depth, and the call is
 * replaced in the enclosing formula by a placeholder variable (_issim_mm0,
 * _issim_mm1, ...).  Each argument is compiled the same way, recursively,
 * and the enclosing formula, placeholders and all, is one libmatheval
 * evaluator.  To evaluate a point, the calls' arguments are evaluated and
 * combined, and their values are passed as the placeholders' values.  A
 * placeholder is a plain operand, so a call may appear anywhere an operand
 * may: max(x1, min(x2, x3)) + 1, 2*sin(min(x1, x2))^2, min(a, b)^2...
 * Shortcuts: a formula that is exactly one call, or exactly one variable,
 * needs no evaluator.  A NaN argument makes the call NaN.  Refused with a
 * message: a comma outside min/max's parentheses, min or max not followed by
 * '(', an empty argument, a '(' without its ')', nesting deeper than
 * MAX_NESTING.  Users cannot clash with the placeholders: every identifier
 * they write is checked first, and "_issim_mm0" is not x1..xd.
 */
#include "expr.h"

#include <ctype.h>
#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <matheval.h>

typedef struct expr_node expr_node;

struct issim_expr {
  size_t d;
  expr_node *root;
};

/* ---- libmatheval, serialised ---- */

static pthread_mutex_t matheval_lock = PTHREAD_MUTEX_INITIALIZER;

static void *matheval_create(char *text)
{
  pthread_mutex_lock(&matheval_lock);
  void *ev = evaluator_create(text);
  pthread_mutex_unlock(&matheval_lock);
  return ev;
}

static void matheval_destroy(void *ev)
{
  if (ev == NULL)
    return;
  pthread_mutex_lock(&matheval_lock);
  evaluator_destroy(ev);
  pthread_mutex_unlock(&matheval_lock);
}

/* ---- tokens ---- */

typedef enum { TOK_NUMBER, TOK_WORD, TOK_OP, TOK_LPAREN, TOK_RPAREN, TOK_COMMA } tok_kind;

typedef struct {
  tok_kind kind;
  size_t start, len; /* in the formula */
} token;

/* What a word is. */
typedef enum { WORD_FUNCTION, WORD_CONSTANT, WORD_MIN, WORD_MAX, WORD_VARIABLE, WORD_OTHER } word_kind;

static const char *const FUNCTIONS[] = {
    "exp",  "log",   "sqrt",  "abs",   "erf",   "step",  "delta", "nandelta",
    "sin",  "cos",   "tan",   "cot",   "sec",   "csc",   "asin",  "acos",
    "atan", "acot",  "asec",  "acsc",  "sinh",  "cosh",  "tanh",  "coth",
    "sech", "csch",  "asinh", "acosh", "atanh", "acoth", "asech", "acsch"};

static const char *const CONSTANTS[] = {"e",    "log2e", "log10e", "ln2",      "ln10",
                                        "pi",   "pi_2",  "pi_4",   "1_pi",     "2_pi",
                                        "2_sqrtpi", "sqrt2", "sqrt1_2"};

/* The constants that start with a digit, longest first: the scanner prefers
 * them to a number by longest match. */
static const char *const DIGIT_CONSTANTS[] = {"2_sqrtpi", "1_pi", "2_pi"};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static bool is_ident_start(int c)
{
  return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_ident_char(int c)
{
  return is_ident_start(c) || (c >= '0' && c <= '9');
}

static bool is_digit(int c)
{
  return c >= '0' && c <= '9';
}

static bool is_space(int c)
{
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static bool word_is(const char *s, size_t len, const char *w)
{
  return strlen(w) == len && memcmp(s, w, len) == 0;
}

static bool word_in(const char *s, size_t len, const char *const *list, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (word_is(s, len, list[i]))
      return true;
  return false;
}

/* x1..xd (no leading zeros): the index j (0-based) in *j, or whether it is
 * "x" and digits at all. */
typedef enum { VAR_OK, VAR_ZERO, VAR_LEADING_ZERO, VAR_TOO_LARGE, VAR_NOT } var_parse;

static var_parse parse_variable(const char *s, size_t len, size_t d, size_t *j)
{
  if (len < 2 || s[0] != 'x')
    return VAR_NOT;
  for (size_t i = 1; i < len; i++)
    if (!is_digit((unsigned char)s[i]))
      return VAR_NOT;
  if (s[1] == '0')
    return len == 2 ? VAR_ZERO : VAR_LEADING_ZERO;
  size_t v = 0;
  for (size_t i = 1; i < len; i++) {
    size_t digit = (size_t)(s[i] - '0');
    if (v > (SIZE_MAX - digit) / 10)
      return VAR_TOO_LARGE;
    v = v * 10 + digit;
  }
  if (v > d)
    return VAR_TOO_LARGE;
  *j = v - 1;
  return VAR_OK;
}

static word_kind classify_word(const char *s, size_t len, size_t d, size_t *j)
{
  if (word_is(s, len, "min"))
    return WORD_MIN;
  if (word_is(s, len, "max"))
    return WORD_MAX;
  if (word_in(s, len, FUNCTIONS, COUNT(FUNCTIONS)))
    return WORD_FUNCTION;
  if (word_in(s, len, CONSTANTS, COUNT(CONSTANTS)))
    return WORD_CONSTANT;
  if (parse_variable(s, len, d, j) == VAR_OK)
    return WORD_VARIABLE;
  return WORD_OTHER;
}

/* ---- messages ---- */

typedef struct {
  const char *formula;
  size_t d;
  const token *tok;
  size_t ntok;
  issim_error *err;
  char shown[256]; /* the formula as shown in messages */
  char vars[64];   /* "x1..x4" or "x1" */
} compiler;

static void compiler_init(compiler *c, const char *formula, size_t d, issim_error *err)
{
  c->formula = formula;
  c->d = d;
  c->tok = NULL;
  c->ntok = 0;
  c->err = err;
  /* printable, on one line, and not too long */
  size_t n = strlen(formula), max = sizeof c->shown - 4, k = 0;
  for (size_t i = 0; i < n && k < max; i++) {
    unsigned char ch = (unsigned char)formula[i];
    c->shown[k++] = is_space(ch) ? ' ' : (ch < 0x20 || ch >= 0x7f) ? '?' : (char)ch;
  }
  if (n > max) {
    memcpy(c->shown + k, "...", 3);
    k += 3;
  }
  c->shown[k] = '\0';
  if (d == 1)
    snprintf(c->vars, sizeof c->vars, "x1");
  else
    snprintf(c->vars, sizeof c->vars, "x1..x%zu", d);
}

static int syntax_error(compiler *c, const char *hint)
{
  return issim_error_set_key(c->err, ISSIM_EINVAL, "expression",
                             "expression does not parse: '%s' (%s)", c->shown, hint);
}

static int generic_syntax_error(compiler *c)
{
  char hint[128];
  snprintf(hint, sizeof hint, "check the parentheses and operators; variables are %s", c->vars);
  return syntax_error(c, hint);
}

static int bad_word_error(compiler *c, const token *t)
{
  const char *s = c->formula + t->start;
  int len = t->len > 64 ? 64 : (int)t->len;
  size_t j;
  bool called = t + 1 < c->tok + c->ntok && t[1].kind == TOK_LPAREN;
  switch (parse_variable(s, t->len, c->d, &j)) {
  case VAR_ZERO:
    return issim_error_set_key(c->err, ISSIM_EINVAL, "expression",
                               "expression uses 'x0', which is not a variable: variables are "
                               "numbered from 1 (%s)",
                               c->vars);
  case VAR_TOO_LARGE:
    return issim_error_set_key(c->err, ISSIM_EINVAL, "expression",
                               "expression uses '%.*s', but the model has %zu dimension%s (%s)",
                               len, s, c->d, c->d == 1 ? "" : "s", c->vars);
  case VAR_LEADING_ZERO:
  case VAR_NOT:
  case VAR_OK:
    break;
  }
  if (called)
    return issim_error_set_key(c->err, ISSIM_EINVAL, "expression",
                               "expression calls '%.*s', which is not a function: use exp, "
                               "log, sqrt, abs, erf, sin, cos, tan, ..., min, max (see loss.h), "
                               "and ^ for powers",
                               len, s);
  return issim_error_set_key(c->err, ISSIM_EINVAL, "expression",
                             "expression uses '%.*s', which is not a variable: use %s", len, s,
                             c->vars);
}

/* The length of the number (or digit-led constant such as 1_pi, a word) at
 * f[i], its kind in *kind; 0 for a '.' that is not part of a number. */
static size_t scan_number(const char *f, size_t n, size_t i, tok_kind *kind)
{
  for (size_t m = 0; m < COUNT(DIGIT_CONSTANTS); m++) {
    size_t len = strlen(DIGIT_CONSTANTS[m]);
    if (strncmp(f + i, DIGIT_CONSTANTS[m], len) == 0) {
      *kind = TOK_WORD;
      return len;
    }
  }
  size_t k = i, digits = 0;
  while (k < n && is_digit((unsigned char)f[k]))
    k++, digits++;
  if (k < n && f[k] == '.') {
    k++;
    while (k < n && is_digit((unsigned char)f[k]))
      k++, digits++;
  }
  if (digits == 0)
    return 0;
  if (k < n && (f[k] == 'e' || f[k] == 'E')) { /* an exponent only when digits follow */
    size_t m = k + 1;
    if (m < n && (f[m] == '+' || f[m] == '-'))
      m++;
    if (m < n && is_digit((unsigned char)f[m])) {
      while (m < n && is_digit((unsigned char)f[m]))
        m++;
      k = m;
    }
  }
  *kind = TOK_NUMBER;
  return k - i;
}

/* The kind of a one-character token; 0 when ch is none. */
static int punctuation(unsigned char ch, tok_kind *kind)
{
  switch (ch) {
  case '+': case '-': case '*': case '/': case '^': *kind = TOK_OP; return 1;
  case '(': *kind = TOK_LPAREN; return 1;
  case ')': *kind = TOK_RPAREN; return 1;
  case ',': *kind = TOK_COMMA; return 1;
  default: return 0;
  }
}

static int bad_character(compiler *c, unsigned char ch)
{
  char hint[200], what[16];
  if (ch >= 0x20 && ch < 0x7f)
    snprintf(what, sizeof what, "'%c'", ch);
  else
    snprintf(what, sizeof what, "byte 0x%02X", (unsigned)ch);
  snprintf(hint, sizeof hint,
           "%s is not part of a formula: use numbers, %s, + - * / ^, parentheses and "
           "functions",
           what, c->vars);
  return syntax_error(c, hint);
}

/* Every word a variable, constant or function, and min and max followed by
 * their parentheses. */
static int check_words(compiler *c, const token *tok, size_t nt)
{
  for (size_t k = 0; k < nt; k++) {
    if (tok[k].kind != TOK_WORD)
      continue;
    size_t j;
    word_kind w = classify_word(c->formula + tok[k].start, tok[k].len, c->d, &j);
    if (w == WORD_OTHER)
      return bad_word_error(c, &tok[k]);
    if ((w == WORD_MIN || w == WORD_MAX) && !(k + 1 < nt && tok[k + 1].kind == TOK_LPAREN))
      return syntax_error(c, "min and max take their arguments in parentheses: min(a, b, ...)");
  }
  return ISSIM_OK;
}

#define MAX_TOKENS 20000
#define MAX_PARENS 1000
#define STR_(x) #x
#define STR(x) STR_(x)

/* what: "has more than N tokens" */
static int too_large(compiler *c, const char *what)
{
  return issim_error_set_key(c->err, ISSIM_EINVAL, "expression",
                             "expression is too large: it %s, the most its evaluator can take "
                             "('%s'); write a long weighted sum of the variables as loss = "
                             "linear with weights, or shorten the formula",
                             what, c->shown);
}

/* The nesting so far: open parentheses, and unary minus signs in a row
 * (which nest as parentheses do). */
typedef struct {
  size_t parens, signs;
} formula_size;

/* Token t, after the nt tokens tok[], within the limits? */
static int check_size(compiler *c, const token *tok, size_t nt, const token *t, formula_size *z)
{
  tok_kind before = nt > 0 ? tok[nt - 1].kind : TOK_OP;
  int sign = c->formula[t->start] == '-' && before != TOK_RPAREN && before != TOK_NUMBER &&
             before != TOK_WORD;
  z->signs = sign ? z->signs + 1 : 0;
  if (z->signs > MAX_PARENS)
    return too_large(c, "has more than " STR(MAX_PARENS) " minus signs in a row");
  if (t->kind == TOK_LPAREN && ++z->parens > MAX_PARENS)
    return too_large(c, "nests parentheses more than " STR(MAX_PARENS) " deep");
  if (t->kind == TOK_RPAREN && z->parens > 0)
    z->parens--;
  if (nt == MAX_TOKENS)
    return too_large(c, "has more than " STR(MAX_TOKENS)
                        " tokens (numbers, names, operators, parentheses)");
  return ISSIM_OK;
}

/* Splits the formula into tokens (*tok, *ntok, to be freed); checks every
 * character and every word, and the formula's size. */
static int lex(compiler *c, token **tok_out, size_t *ntok_out)
{
  const char *f = c->formula;
  size_t n = strlen(f);
  token *tok = malloc((n + 1) * sizeof *tok);
  if (tok == NULL)
    return issim_error_set(c->err, ISSIM_ENOMEM, "out of memory for an expression");
  size_t nt = 0, i = 0;
  formula_size size = {0, 0};
  int rc = ISSIM_OK;
  while (i < n && rc == ISSIM_OK) {
    unsigned char ch = (unsigned char)f[i];
    token t = {TOK_OP, i, 1};
    if (is_space(ch)) {
      i++;
      continue;
    }
    if (is_digit(ch) || ch == '.') {
      t.len = scan_number(f, n, i, &t.kind);
      if (t.len == 0)
        rc = syntax_error(c, "a '.' that is not part of a number");
    } else if (is_ident_start(ch)) {
      size_t k = i + 1;
      while (k < n && is_ident_char((unsigned char)f[k]))
        k++;
      t.kind = TOK_WORD;
      t.len = k - i;
    } else if (!punctuation(ch, &t.kind)) {
      rc = bad_character(c, ch);
    }
    if (rc == ISSIM_OK)
      rc = check_size(c, tok, nt, &t, &size);
    tok[nt++] = t;
    i += t.len;
  }
  c->tok = tok;
  c->ntok = nt;
  if (rc == ISSIM_OK)
    rc = check_words(c, tok, nt);
  if (rc != ISSIM_OK) {
    free(tok);
    c->tok = NULL;
    return rc;
  }
  *tok_out = tok;
  *ntok_out = nt;
  return ISSIM_OK;
}

/* ---- compiled expressions ---- */

typedef enum { NODE_VARIABLE, NODE_CALL, NODE_EVALUATOR } node_kind;

typedef struct {
  bool is_max;
  size_t nargs;
  expr_node **args;
} mm_call;

struct expr_node {
  node_kind kind;
  size_t var;      /* NODE_VARIABLE: x index */
  void *ev;        /* NODE_EVALUATOR */
  int nvars;       /* the evaluator's variables after simplification */
  char **names;    /* owned by the evaluator */
  ptrdiff_t *src;  /* per variable: x index >= 0, or call k as -(k + 1) */
  double *values;  /* per variable, filled per point */
  size_t ncalls;   /* the outermost min/max calls (NODE_CALL: exactly 1) */
  mm_call *calls;
  double *callv;   /* per call, filled per point */
};

#define MAX_NESTING 64
#define PLACEHOLDER "_issim_mm"

static void node_free(expr_node *nd)
{
  if (nd == NULL)
    return;
  for (size_t k = 0; k < nd->ncalls; k++) {
    for (size_t a = 0; a < nd->calls[k].nargs; a++)
      node_free(nd->calls[k].args[a]);
    free(nd->calls[k].args);
  }
  free(nd->calls);
  free(nd->callv);
  matheval_destroy(nd->ev);
  free(nd->src);
  free(nd->values);
  free(nd);
}

static int compile_range(compiler *c, size_t a, size_t b, int depth, expr_node **out);

static int oom(compiler *c)
{
  return issim_error_set(c->err, ISSIM_ENOMEM, "out of memory for an expression");
}

/* The ')' matching the '(' at token open, or (size_t)-1. */
static size_t matching_paren(const compiler *c, size_t open, size_t b)
{
  long depth = 0;
  for (size_t k = open; k < b; k++) {
    if (c->tok[k].kind == TOK_LPAREN)
      depth++;
    else if (c->tok[k].kind == TOK_RPAREN && --depth == 0)
      return k;
  }
  return (size_t)-1;
}

/* The call whose name is token i and whose ')' is token close, into *call. */
static int compile_call(compiler *c, size_t i, size_t close, int depth, mm_call *call)
{
  call->is_max = word_is(c->formula + c->tok[i].start, c->tok[i].len, "max");
  call->nargs = 0;
  size_t cap = 1;
  for (size_t k = i + 2; k < close; k++)
    cap += c->tok[k].kind == TOK_COMMA;
  call->args = calloc(cap, sizeof *call->args);
  if (call->args == NULL)
    return oom(c);
  long level = 0;
  size_t start = i + 2;
  for (size_t k = i + 2; k <= close; k++) {
    tok_kind kind = c->tok[k].kind;
    if (k < close && kind == TOK_LPAREN)
      level++;
    else if (k < close && kind == TOK_RPAREN)
      level--;
    else if (k == close || (kind == TOK_COMMA && level == 0)) {
      if (start == k)
        return syntax_error(c, "an argument of min or max is empty");
      int rc = compile_range(c, start, k, depth + 1, &call->args[call->nargs]);
      call->nargs++; /* freed with the node even when incomplete */
      if (rc != ISSIM_OK)
        return rc;
      start = k + 1;
    }
  }
  return ISSIM_OK;
}

/* The variables of a compiled evaluator: x1..xd or placeholders. */
static int bind_variables(compiler *c, expr_node *nd)
{
  char **names;
  int count;
  evaluator_get_variables(nd->ev, &names, &count);
  nd->nvars = count;
  nd->names = names;
  nd->src = malloc((count > 0 ? (size_t)count : 1) * sizeof *nd->src);
  nd->values = calloc(count > 0 ? (size_t)count : 1, sizeof *nd->values);
  if (nd->src == NULL || nd->values == NULL)
    return oom(c);
  size_t plen = strlen(PLACEHOLDER);
  for (int v = 0; v < count; v++) {
    size_t len = strlen(names[v]), j;
    if (len > plen && strncmp(names[v], PLACEHOLDER, plen) == 0) {
      char *end;
      unsigned long k = strtoul(names[v] + plen, &end, 10);
      if (*end == '\0' && k < nd->ncalls) {
        nd->src[v] = -(ptrdiff_t)k - 1;
        continue;
      }
    } else if (parse_variable(names[v], len, c->d, &j) == VAR_OK) {
      nd->src[v] = (ptrdiff_t)j;
      continue;
    }
    /* the token check lets no other name through; this is a safety net
     * should the library's scanner differ */
    return issim_error_set_key(c->err, ISSIM_EINVAL, "expression",
                               "expression uses '%s', which is not a variable: use %s",
                               names[v], c->vars);
  }
  return ISSIM_OK;
}

/* Tokens [a, b): a non-empty formula. */
/* Is token k a min or max? */
static int is_call_word(const compiler *c, size_t k)
{
  const token *t = &c->tok[k];
  size_t j;
  if (t->kind != TOK_WORD)
    return 0;
  word_kind w = classify_word(c->formula + t->start, t->len, c->d, &j);
  return w == WORD_MIN || w == WORD_MAX;
}

/* The min/max calls at the top of tokens [a, b) into *ncalls, and the size of
 * their text for libmatheval into *textlen; a comma outside a call is an
 * error. */
static int count_calls(compiler *c, size_t a, size_t b, size_t *ncalls, size_t *textlen)
{
  const token *t = c->tok;
  *ncalls = 0;
  *textlen = 1;
  for (size_t k = a; k < b; k++) {
    *textlen += t[k].len + 1;
    if (is_call_word(c, k)) {
      size_t close = matching_paren(c, k + 1, b);
      if (close == (size_t)-1)
        return generic_syntax_error(c);
      ++*ncalls;
      k = close;
    } else if (t[k].kind == TOK_COMMA) {
      return syntax_error(c, "a comma outside the parentheses of min(...) or max(...)");
    }
  }
  return ISSIM_OK;
}

/* Node nd as a libmatheval evaluator of tokens [a, b), each top-level call
 * compiled into nd->calls and written as a placeholder variable. */
static int compile_evaluator(compiler *c, size_t a, size_t b, int depth, size_t ncalls,
                             size_t textlen, expr_node *nd)
{
  const token *t = c->tok;
  nd->kind = NODE_EVALUATOR;
  char *text = malloc(textlen + ncalls * (sizeof PLACEHOLDER + 24));
  if (text == NULL)
    return oom(c);
  size_t len = 0;
  for (size_t k = a; k < b; k++) {
    if (is_call_word(c, k)) {
      size_t close = matching_paren(c, k + 1, b);
      int rc = compile_call(c, k, close, depth, &nd->calls[nd->ncalls]);
      nd->ncalls++; /* freed with the node even when incomplete */
      if (rc != ISSIM_OK) {
        free(text);
        return rc;
      }
      len += (size_t)sprintf(text + len, "%s%zu ", PLACEHOLDER, nd->ncalls - 1);
      k = close;
      continue;
    }
    memcpy(text + len, c->formula + t[k].start, t[k].len);
    len += t[k].len;
    text[len++] = ' ';
  }
  text[len] = '\0';
  nd->ev = matheval_create(text);
  free(text);
  if (nd->ev == NULL)
    return generic_syntax_error(c);
  return bind_variables(c, nd);
}

static int compile_range(compiler *c, size_t a, size_t b, int depth, expr_node **out)
{
  if (depth > MAX_NESTING) {
    char hint[64];
    snprintf(hint, sizeof hint, "min and max nested more than %d deep", MAX_NESTING);
    return syntax_error(c, hint);
  }
  expr_node *nd = calloc(1, sizeof *nd);
  if (nd == NULL)
    return oom(c);
  *out = nd;
  const token *t = c->tok;
  size_t j;
  if (b - a == 1 && t[a].kind == TOK_WORD && /* one variable */
      parse_variable(c->formula + t[a].start, t[a].len, c->d, &j) == VAR_OK) {
    nd->kind = NODE_VARIABLE;
    nd->var = j;
    return ISSIM_OK;
  }
  size_t ncalls, textlen;
  int rc = count_calls(c, a, b, &ncalls, &textlen);
  if (rc != ISSIM_OK)
    return rc;
  nd->calls = calloc(ncalls > 0 ? ncalls : 1, sizeof *nd->calls);
  nd->callv = calloc(ncalls > 0 ? ncalls : 1, sizeof *nd->callv);
  if (nd->calls == NULL || nd->callv == NULL)
    return oom(c);
  if (ncalls == 1 && is_call_word(c, a) && t[a + 1].kind == TOK_LPAREN && /* one call */
      matching_paren(c, a + 1, b) == b - 1) {
    nd->kind = NODE_CALL;
    nd->ncalls = 1;
    return compile_call(c, a, b - 1, depth, &nd->calls[0]);
  }
  return compile_evaluator(c, a, b, depth, ncalls, textlen, nd);
}

/* The whole formula into e->root. */
static int compile(issim_expr *e, const char *formula, issim_error *err)
{
  compiler c;
  compiler_init(&c, formula, e->d, err);
  token *tok = NULL;
  size_t ntok = 0;
  int rc = lex(&c, &tok, &ntok);
  if (rc != ISSIM_OK)
    return rc;
  if (ntok == 0) {
    free(tok);
    return issim_error_set_key(err, ISSIM_EINVAL, "expression",
                               "expression is empty: write g(x) as a formula in %s", c.vars);
  }
  rc = compile_range(&c, 0, ntok, 0, &e->root);
  free(tok);
  if (rc != ISSIM_OK) {
    node_free(e->root);
    e->root = NULL;
  }
  return rc;
}

static double node_eval(expr_node *nd, const double *x);

static double call_eval(const mm_call *call, const double *x)
{
  double r = node_eval(call->args[0], x);
  if (isnan(r))
    return r;
  for (size_t a = 1; a < call->nargs; a++) {
    double v = node_eval(call->args[a], x);
    if (isnan(v))
      return v;
    if (call->is_max ? v > r : v < r)
      r = v;
  }
  return r;
}

static double node_eval(expr_node *nd, const double *x)
{
  switch (nd->kind) {
  case NODE_VARIABLE:
    return x[nd->var];
  case NODE_CALL:
    return call_eval(&nd->calls[0], x);
  case NODE_EVALUATOR:
    break;
  }
  for (size_t k = 0; k < nd->ncalls; k++)
    nd->callv[k] = call_eval(&nd->calls[k], x);
  for (int v = 0; v < nd->nvars; v++) {
    ptrdiff_t s = nd->src[v];
    nd->values[v] = s >= 0 ? x[s] : nd->callv[-s - 1];
  }
  return evaluator_evaluate(nd->ev, nd->nvars, nd->names, nd->values);
}

/* ---- the API ---- */

issim_expr *issim_expr_alloc(size_t d, const char *formula, issim_error *err)
{
  if (d == 0) {
    issim_error_set(err, ISSIM_EINVAL, "an expression needs at least 1 variable: d = 0");
    return NULL;
  }
  issim_expr *e = calloc(1, sizeof *e);
  if (e == NULL) {
    issim_error_set(err, ISSIM_ENOMEM, "out of memory for an expression");
    return NULL;
  }
  e->d = d;
  if (compile(e, formula != NULL ? formula : "", err) != ISSIM_OK) {
    free(e);
    return NULL;
  }
  return e;
}

void issim_expr_free(issim_expr *e)
{
  if (e == NULL)
    return;
  node_free(e->root);
  free(e);
}

size_t issim_expr_dim(const issim_expr *e)
{
  return e->d;
}

void issim_expr_eval(issim_expr *e, size_t n, const double *x, double *out)
{
  const size_t d = e->d;
  for (size_t i = 0; i < n; i++)
    out[i] = node_eval(e->root, x + i * d);
}
