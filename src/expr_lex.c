/* expr_lex.c: the front of the expression language (expr.h): tokens, what
 * each word is, the messages, and the check of the variables' names.  How
 * and why formulas are split into tokens here before libmatheval sees them:
 * expr.c's opening comment. */
#include "expr_impl.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- tokens ---- */

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

bool expr_word_is(const char *s, size_t len, const char *w)
{
  return strlen(w) == len && memcmp(s, w, len) == 0;
}

static bool word_in(const char *s, size_t len, const char *const *list, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (expr_word_is(s, len, list[i]))
      return true;
  return false;
}

/* x1..xd (no leading zeros): the index j (0-based) in *j, or whether it is
 * "x" and digits at all. */
var_parse expr_parse_variable(const char *s, size_t len, size_t d, size_t *j)
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

/* A named variable: its index in *j. */
bool expr_named_variable(const char *s, size_t len, const char *const *names, size_t d,
                         size_t *j)
{
  for (size_t k = 0; names != NULL && k < d; k++)
    if (expr_word_is(s, len, names[k])) {
      *j = k;
      return true;
    }
  return false;
}

word_kind expr_classify_word(const char *s, size_t len, const char *const *names, size_t d,
                             size_t *j)
{
  if (expr_word_is(s, len, "min"))
    return WORD_MIN;
  if (expr_word_is(s, len, "max"))
    return WORD_MAX;
  if (expr_word_is(s, len, "if"))
    return WORD_IF;
  if (expr_named_variable(s, len, names, d, j))
    return WORD_VARIABLE;
  if (word_in(s, len, FUNCTIONS, COUNT(FUNCTIONS)))
    return WORD_FUNCTION;
  if (word_in(s, len, CONSTANTS, COUNT(CONSTANTS)))
    return WORD_CONSTANT;
  if (expr_parse_variable(s, len, d, j) == VAR_OK)
    return WORD_VARIABLE;
  return WORD_OTHER;
}

/* ---- messages ---- */

/* c->vars: the names (shortened), then x1..xd. */
static void compiler_vars(compiler *c)
{
  char xs[48];
  if (c->d == 1)
    snprintf(xs, sizeof xs, "x1");
  else
    snprintf(xs, sizeof xs, "x1..x%zu", c->d);
  if (c->names == NULL) {
    snprintf(c->vars, sizeof c->vars, "%s", xs);
    return;
  }
  size_t k = 0, room = sizeof c->vars - sizeof xs - 16;
  for (size_t j = 0; j < c->d; j++) {
    size_t len = strlen(c->names[j]);
    if (k + len + 2 > room) {
      k += (size_t)snprintf(c->vars + k, sizeof c->vars - k, "%s...", j ? ", " : "");
      break;
    }
    k += (size_t)snprintf(c->vars + k, sizeof c->vars - k, "%s%s", j ? ", " : "", c->names[j]);
  }
  snprintf(c->vars + k, sizeof c->vars - k, " (or %s)", xs);
}

void expr_compiler_init(compiler *c, const char *formula, size_t d, const char *const *names,
                          issim_error *err)
{
  c->formula = formula;
  c->d = d;
  c->names = names;
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
  compiler_vars(c);
}

int expr_syntax_error(compiler *c, const char *hint)
{
  return issim_error_set_key(c->err, ISSIM_EINVAL, "expression",
                             "expression does not parse: '%s' (%s)", c->shown, hint);
}

int expr_generic_syntax_error(compiler *c)
{
  char hint[sizeof c->vars + 64];
  snprintf(hint, sizeof hint, "check the parentheses and operators; variables are %s", c->vars);
  return expr_syntax_error(c, hint);
}

static int bad_word_error(compiler *c, const token *t)
{
  const char *s = c->formula + t->start;
  int len = t->len > 64 ? 64 : (int)t->len;
  size_t j;
  bool called = t + 1 < c->tok + c->ntok && t[1].kind == TOK_LPAREN;
  switch (expr_parse_variable(s, t->len, c->d, &j)) {
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
                               "log, sqrt, abs, erf, sin, cos, tan, ..., min, max, if (see "
                               "loss.h), and ^ for powers",
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

/* The length of the comparison or logical operator at f[i] (< <= > >= == !=
 * && || ! ? :), 0 when there is none; *hint says why a lone = & | is not one. */
static size_t scan_logic(const char *f, size_t n, size_t i, const char **hint)
{
  static const char two[][3] = {"<=", ">=", "==", "!=", "&&", "||"};
  *hint = NULL;
  for (size_t m = 0; m < COUNT(two); m++)
    if (i + 1 < n && f[i] == two[m][0] && f[i + 1] == two[m][1])
      return 2;
  switch (f[i]) {
  case '<': case '>': case '!': case '?': case ':':
    return 1;
  case '=':
    *hint = "a lone '=': compare with ==";
    return 0;
  case '&':
    *hint = "a lone '&': 'and' is &&";
    return 0;
  case '|':
    *hint = "a lone '|': 'or' is ||";
    return 0;
  default:
    return 0;
  }
}

static int bad_character(compiler *c, unsigned char ch)
{
  char hint[sizeof c->vars + 128], what[16];
  if (ch >= 0x20 && ch < 0x7f)
    snprintf(what, sizeof what, "'%c'", ch);
  else
    snprintf(what, sizeof what, "byte 0x%02X", (unsigned)ch);
  snprintf(hint, sizeof hint,
           "%s is not part of a formula: use numbers, %s, + - * / ^, parentheses and "
           "functions",
           what, c->vars);
  return expr_syntax_error(c, hint);
}

/* Every word a variable, constant or function, and min and max followed by
 * their parentheses. */
static int check_words(compiler *c, const token *tok, size_t nt)
{
  for (size_t k = 0; k < nt; k++) {
    if (tok[k].kind != TOK_WORD)
      continue;
    size_t j;
    word_kind w = expr_classify_word(c->formula + tok[k].start, tok[k].len, c->names, c->d, &j);
    if (w == WORD_OTHER)
      return bad_word_error(c, &tok[k]);
    bool called = k + 1 < nt && tok[k + 1].kind == TOK_LPAREN;
    if ((w == WORD_MIN || w == WORD_MAX) && !called)
      return expr_syntax_error(c, "min and max take their arguments in parentheses: min(a, b, ...)");
    if (w == WORD_IF && !called)
      return expr_syntax_error(c, "if takes its arguments in parentheses: if(condition, a, b)");
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
int expr_lex(compiler *c, token **tok_out, size_t *ntok_out)
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
        rc = expr_syntax_error(c, "a '.' that is not part of a number");
    } else if (is_ident_start(ch)) {
      size_t k = i + 1;
      while (k < n && is_ident_char((unsigned char)f[k]))
        k++;
      t.kind = TOK_WORD;
      t.len = k - i;
    } else if (!punctuation(ch, &t.kind)) {
      const char *hint;
      t.kind = TOK_LOGIC;
      t.len = scan_logic(f, n, i, &hint);
      if (t.len == 0)
        rc = hint ? expr_syntax_error(c, hint) : bad_character(c, ch);
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

/* ---- names ---- */

#define MAX_NAME 64

/* Name i of names[n], against the words of formulas and the names before it. */
static int check_name(size_t i, const char *const *names, issim_error *err)
{
  const char *name = names[i];
  size_t len = strlen(name), j;
  bool ident = len > 0 && is_ident_start((unsigned char)name[0]);
  for (size_t k = 1; ident && k < len; k++)
    ident = is_ident_char((unsigned char)name[k]);
  if (!ident)
    return issim_error_set_key(err, ISSIM_EINVAL, "variables",
                               "variable name '%.64s' is not a name: use letters, digits and _, "
                               "starting with a letter or _ (R, load_1)", name);
  if (len > MAX_NAME)
    return issim_error_set_key(err, ISSIM_EINVAL, "variables",
                               "variable name '%.20s...' is longer than %d characters", name,
                               MAX_NAME);
  if (expr_parse_variable(name, len, SIZE_MAX, &j) != VAR_NOT)
    return issim_error_set_key(err, ISSIM_EINVAL, "variables",
                               "variable name '%s' looks like x1..xd, which always name the "
                               "coordinates in order: choose another name", name);
  word_kind w = expr_classify_word(name, len, NULL, 0, &j);
  if (w != WORD_OTHER)
    return issim_error_set_key(err, ISSIM_EINVAL, "variables",
                               "variable name '%s' is a %s of expressions: choose another name",
                               name, w == WORD_CONSTANT ? "constant" : "function");
  for (size_t k = 0; k < i; k++)
    if (strcmp(names[k], name) == 0)
      return issim_error_set_key(err, ISSIM_EINVAL, "variables",
                                 "variable name '%s' is given twice (variables %zu and %zu): "
                                 "each coordinate needs its own name", name, k + 1, i + 1);
  return ISSIM_OK;
}

int issim_expr_check_names(size_t d, size_t n, const char *const *names, issim_error *err)
{
  if (n != d)
    return issim_error_set_key(err, ISSIM_EINVAL, "variables",
                               "%zu variable name%s for a target of %zu dimension%s: give one "
                               "name a coordinate, in order", n, n == 1 ? "" : "s", d,
                               d == 1 ? "" : "s");
  for (size_t i = 0; i < n; i++) {
    int rc = check_name(i, names, err);
    if (rc != ISSIM_OK)
      return rc;
  }
  return ISSIM_OK;
}
