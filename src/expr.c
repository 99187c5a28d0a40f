/* expr.c: formulas in x1..xd, compiled through GNU libmatheval (see expr.h);
 * the tokens, words, messages and names are expr_lex.c's (expr_impl.h).
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
#include "expr_impl.h"

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

/* ---- compiled expressions ---- */

typedef enum { NODE_VARIABLE, NODE_CALL, NODE_EVALUATOR } node_kind;

/* What a call (a placeholder's value, or a NODE_CALL) computes. */
typedef enum { OP_MIN, OP_MAX, OP_IF, OP_NOT, OP_GROUP, OP_OR, OP_AND, OP_COMPARE } call_op;
typedef enum { CMP_LT, CMP_LE, CMP_GT, CMP_GE, CMP_EQ, CMP_NE } cmp_op;

typedef struct {
  call_op op;
  size_t nargs;
  expr_node **args;
  unsigned char *cmp; /* OP_COMPARE: the nargs - 1 comparisons (cmp_op) */
} mm_call;

struct expr_node {
  node_kind kind;
  size_t var;      /* NODE_VARIABLE: x index */
  void *ev;        /* NODE_EVALUATOR */
  int nvars;       /* the evaluator's variables after simplification */
  char **names;    /* owned by the evaluator */
  ptrdiff_t *src;  /* per variable: x index >= 0, or call k as -(k + 1) */
  double *values;  /* per variable, filled per point */
  size_t ncalls;   /* the outermost calls (NODE_CALL: exactly 1) */
  mm_call *calls;
  double *callv;   /* per call, filled per point */
};

#define MAX_NESTING 64
#define PLACEHOLDER "_issim_mm"
#define NONE ((size_t)-1)

static void node_free(expr_node *nd)
{
  if (nd == NULL)
    return;
  for (size_t k = 0; k < nd->ncalls; k++) {
    for (size_t a = 0; a < nd->calls[k].nargs; a++)
      node_free(nd->calls[k].args[a]);
    free(nd->calls[k].args);
    free(nd->calls[k].cmp);
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

/* The ')' matching the '(' at token open, or NONE. */
static size_t matching_paren(const compiler *c, size_t open, size_t b)
{
  long depth = 0;
  for (size_t k = open; k < b; k++) {
    if (c->tok[k].kind == TOK_LPAREN)
      depth++;
    else if (c->tok[k].kind == TOK_RPAREN && --depth == 0)
      return k;
  }
  return NONE;
}

/* Is token k the one-character operator ch? */
static bool tok_is(const compiler *c, size_t k, char ch)
{
  const token *t = &c->tok[k];
  return t->len == 1 && (t->kind == TOK_OP || t->kind == TOK_LOGIC) && c->formula[t->start] == ch;
}

/* The parenthesis depth after token k, from depth before it. */
static long depth_after(const compiler *c, size_t k, long depth)
{
  return depth + (c->tok[k].kind == TOK_LPAREN) - (c->tok[k].kind == TOK_RPAREN);
}

/* C's precedence levels of the binary comparison and logical operators. */
enum { LEVEL_NONE, LEVEL_OR, LEVEL_AND, LEVEL_EQUALITY, LEVEL_RELATION };

static int binary_level(const compiler *c, size_t k)
{
  const token *t = &c->tok[k];
  if (t->kind != TOK_LOGIC)
    return LEVEL_NONE;
  const char *s = c->formula + t->start;
  if (t->len == 2)
    return s[0] == '|' ? LEVEL_OR : s[0] == '&' ? LEVEL_AND
           : s[0] == '=' || s[0] == '!' ? LEVEL_EQUALITY : LEVEL_RELATION;
  return s[0] == '<' || s[0] == '>' ? LEVEL_RELATION : LEVEL_NONE;
}

static unsigned char comparison(const compiler *c, size_t k)
{
  const token *t = &c->tok[k];
  switch (c->formula[t->start]) {
  case '<': return t->len == 2 ? CMP_LE : CMP_LT;
  case '>': return t->len == 2 ? CMP_GE : CMP_GT;
  case '=': return CMP_EQ;
  default: return CMP_NE;
  }
}

/* Does [a, b) hold, outside every parenthesis, a binary comparison or
 * logical operator, a '?' or a ':'? */
static bool has_logic(const compiler *c, size_t a, size_t b)
{
  long depth = 0;
  for (size_t k = a; k < b; k++) {
    depth = depth_after(c, k, depth);
    if (depth == 0 && (binary_level(c, k) != LEVEL_NONE || tok_is(c, k, '?') || tok_is(c, k, ':')))
      return true;
  }
  return false;
}

static int call_alloc(compiler *c, mm_call *call, call_op op, size_t cap)
{
  call->op = op;
  call->nargs = 0; /* the arguments compiled so far, freed with the node */
  call->args = calloc(cap, sizeof *call->args);
  return call->args == NULL ? oom(c) : ISSIM_OK;
}

/* Tokens [a, b), a non-empty formula (else the message `empty`), as the next
 * argument of call. */
static int compile_operand(compiler *c, size_t a, size_t b, int depth, mm_call *call,
                           const char *empty)
{
  if (a >= b)
    return expr_syntax_error(c, empty);
  int rc = compile_range(c, a, b, depth + 1, &call->args[call->nargs]);
  call->nargs++;
  return rc;
}

/* The call whose name (min, max or if) is token i and whose ')' is token
 * close, into *call. */
static int compile_call(compiler *c, size_t i, size_t close, int depth, mm_call *call)
{
  const char *name = c->formula + c->tok[i].start;
  bool is_if = expr_word_is(name, c->tok[i].len, "if");
  call_op op = is_if ? OP_IF : expr_word_is(name, c->tok[i].len, "max") ? OP_MAX : OP_MIN;
  size_t cap = 1;
  for (size_t k = i + 2; k < close; k++)
    cap += c->tok[k].kind == TOK_COMMA;
  int rc = call_alloc(c, call, op, cap);
  long level = 0;
  size_t start = i + 2;
  const char *empty = is_if ? "an argument of if is empty" : "an argument of min or max is empty";
  for (size_t k = i + 2; k <= close && rc == ISSIM_OK; k++) {
    tok_kind kind = c->tok[k].kind;
    if (k < close && kind == TOK_LPAREN)
      level++;
    else if (k < close && kind == TOK_RPAREN)
      level--;
    else if (k == close || (kind == TOK_COMMA && level == 0)) {
      rc = compile_operand(c, start, k, depth, call, empty);
      start = k + 1;
    }
  }
  if (rc == ISSIM_OK && is_if && call->nargs != 3)
    return expr_syntax_error(c, "if takes three arguments: if(condition, a, b)");
  return rc;
}

/* The ':' of the '?' at token q: the first one after it, outside
 * parentheses, that no '?' in between has taken; NONE when there is none. */
static size_t matching_colon(const compiler *c, size_t q, size_t b)
{
  long depth = 0;
  size_t open = 0;
  for (size_t k = q + 1; k < b; k++) {
    depth = depth_after(c, k, depth);
    if (depth != 0)
      continue;
    if (tok_is(c, k, '?'))
      open++;
    else if (tok_is(c, k, ':')) {
      if (open == 0)
        return k;
      open--;
    }
  }
  return NONE;
}

/* condition ? a : b, the '?' at token q of [a, b), as an if into *call. */
static int compile_conditional(compiler *c, size_t a, size_t q, size_t b, int depth,
                               mm_call *call)
{
  size_t colon = matching_colon(c, q, b);
  if (colon == NONE)
    return expr_syntax_error(c, "a '?' without its ':': write condition ? a : b");
  const char *empty = "a part of condition ? a : b is empty";
  int rc = call_alloc(c, call, OP_IF, 3);
  if (rc == ISSIM_OK)
    rc = compile_operand(c, a, q, depth, call, empty);
  if (rc == ISSIM_OK)
    rc = compile_operand(c, q + 1, colon, depth, call, empty);
  if (rc == ISSIM_OK)
    rc = compile_operand(c, colon + 1, b, depth, call, empty);
  return rc;
}

/* The operands of [a, b) between its operators of one level outside
 * parentheses (left to right, as C groups them) into *call. */
static int compile_chain(compiler *c, size_t a, size_t b, int level, int depth, mm_call *call)
{
  size_t nops = 0;
  long d = 0;
  for (size_t k = a; k < b; k++) {
    d = depth_after(c, k, d);
    nops += d == 0 && binary_level(c, k) == level;
  }
  call_op op = level == LEVEL_OR ? OP_OR : level == LEVEL_AND ? OP_AND : OP_COMPARE;
  int rc = call_alloc(c, call, op, nops + 1);
  if (rc == ISSIM_OK && op == OP_COMPARE && (call->cmp = malloc(nops)) == NULL)
    rc = oom(c);
  const char *empty = "an operand of a comparison, && or || is empty";
  size_t start = a, i = 0;
  d = 0;
  for (size_t k = a; k < b && rc == ISSIM_OK; k++) {
    d = depth_after(c, k, d);
    if (d != 0 || binary_level(c, k) != level)
      continue;
    if (call->cmp != NULL)
      call->cmp[i++] = comparison(c, k);
    rc = compile_operand(c, start, k, depth, call, empty);
    start = k + 1;
  }
  if (rc == ISSIM_OK)
    rc = compile_operand(c, start, b, depth, call, empty);
  return rc;
}

/* Node nd for tokens [a, b), which hold a comparison, a logical operator or
 * ?: outside parentheses: condition ? a : b first (C's lowest precedence,
 * right-associative), else the operands of the lowest level there. */
static int compile_logic(compiler *c, size_t a, size_t b, int depth, expr_node *nd)
{
  nd->kind = NODE_CALL;
  nd->calls = calloc(1, sizeof *nd->calls);
  nd->callv = calloc(1, sizeof *nd->callv);
  if (nd->calls == NULL || nd->callv == NULL)
    return oom(c);
  nd->ncalls = 1;
  int lowest = LEVEL_RELATION;
  size_t q = NONE, colon = NONE;
  long d = 0;
  for (size_t k = a; k < b; k++) {
    d = depth_after(c, k, d);
    if (d != 0)
      continue;
    if (q == NONE && tok_is(c, k, '?'))
      q = k;
    if (colon == NONE && tok_is(c, k, ':'))
      colon = k;
    int level = binary_level(c, k);
    if (level != LEVEL_NONE && level < lowest)
      lowest = level;
  }
  if (q != NONE)
    return compile_conditional(c, a, q, b, depth, &nd->calls[0]);
  if (colon != NONE)
    return expr_syntax_error(c, "a ':' without a '?' before it: write condition ? a : b");
  return compile_chain(c, a, b, lowest, depth, &nd->calls[0]);
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
    } else if (expr_parse_variable(names[v], len, c->d, &j) == VAR_OK) {
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

/* Is token k a min, max or if? */
static int is_call_word(const compiler *c, size_t k)
{
  const token *t = &c->tok[k];
  size_t j;
  if (t->kind != TOK_WORD)
    return 0;
  word_kind w = expr_classify_word(c->formula + t->start, t->len, c->names, c->d, &j);
  return w == WORD_MIN || w == WORD_MAX || w == WORD_IF;
}

/* The end of the operand of the '!' at token k -- more signs, then a number,
 * a name, a call or a parenthesis, with any ^ chain -- or NONE. */
static size_t not_operand_end(const compiler *c, size_t k, size_t b)
{
  size_t i = k + 1;
  for (;;) {
    while (i < b && (tok_is(c, i, '-') || tok_is(c, i, '!')))
      i++;
    if (i >= b)
      return NONE;
    tok_kind kind = c->tok[i].kind;
    size_t open = kind == TOK_LPAREN ? i : kind == TOK_WORD && i + 1 < b &&
                  c->tok[i + 1].kind == TOK_LPAREN ? i + 1 : NONE;
    if (open != NONE && (i = matching_paren(c, open, b)) == NONE)
      return NONE;
    if (open == NONE && kind != TOK_NUMBER && kind != TOK_WORD)
      return NONE;
    i++;
    if (i < b && tok_is(c, i, '^')) {
      i++;
      continue;
    }
    return i;
  }
}

/* Whether token k of [.., b) starts what an evaluator takes as a
 * placeholder: a call of min, max or if, a '!' and its operand, or a
 * parenthesis holding a comparison, a logical operator or ?:.  Its end (one
 * past its last token) in *end, 0 when it is none. */
static int placeholder_at(compiler *c, size_t k, size_t b, size_t *end)
{
  const token *t = &c->tok[k];
  *end = 0;
  if (tok_is(c, k, '!')) {
    *end = not_operand_end(c, k, b);
    return *end == NONE ? expr_syntax_error(c, "'!' needs an operand: !x1, !(x1 < 2)") : ISSIM_OK;
  }
  if (!is_call_word(c, k) && t->kind != TOK_LPAREN)
    return ISSIM_OK;
  size_t close = matching_paren(c, t->kind == TOK_LPAREN ? k : k + 1, b);
  if (close == NONE)
    return expr_generic_syntax_error(c);
  if (t->kind == TOK_WORD || has_logic(c, k + 1, close))
    *end = close + 1;
  return ISSIM_OK;
}

/* The placeholder [k, end) into *call. */
static int compile_placeholder(compiler *c, size_t k, size_t end, int depth, mm_call *call)
{
  const token *t = &c->tok[k];
  if (t->kind == TOK_WORD)
    return compile_call(c, k, end - 1, depth, call);
  bool group = t->kind == TOK_LPAREN;
  int rc = call_alloc(c, call, group ? OP_GROUP : OP_NOT, 1);
  size_t a = k + 1, b = group ? end - 1 : end;
  if (!group && c->tok[a].kind == TOK_LPAREN && matching_paren(c, a, b) == b - 1)
    a++, b--; /* !( ... ) */
  if (rc != ISSIM_OK || !group)
    return rc == ISSIM_OK ? compile_operand(c, a, b, depth, call, "empty parentheses") : rc;
  /* a parenthesis adds no level of its own: its content is at most as deep
   * as the formula's parentheses (MAX_PARENS) */
  rc = compile_range(c, a, b, depth, &call->args[0]);
  call->nargs = 1;
  return rc;
}

/* The placeholders at the top of tokens [a, b) into *ncalls, and the size of
 * their text for libmatheval into *textlen; a comma outside a call is an
 * error. */
static int count_calls(compiler *c, size_t a, size_t b, size_t *ncalls, size_t *textlen)
{
  const token *t = c->tok;
  *ncalls = 0;
  *textlen = 1;
  for (size_t k = a; k < b; k++) {
    *textlen += (t[k].kind == TOK_WORD && t[k].len < 24 ? 24 : t[k].len) + 1;
    size_t end;
    int rc = placeholder_at(c, k, b, &end);
    if (rc != ISSIM_OK)
      return rc;
    if (end > 0) {
      ++*ncalls;
      k = end - 1;
    } else if (t[k].kind == TOK_COMMA) {
      return expr_syntax_error(c, "a comma outside the parentheses of min(...) or max(...)");
    }
  }
  return ISSIM_OK;
}

/* Token k's text for libmatheval at text + len: a named variable as x<j>;
 * the new length. */
static size_t write_token(const compiler *c, size_t k, char *text, size_t len)
{
  const token *t = &c->tok[k];
  size_t j;
  if (t->kind == TOK_WORD && expr_named_variable(c->formula + t->start, t->len, c->names, c->d, &j))
    return len + (size_t)sprintf(text + len, "x%zu ", j + 1);
  memcpy(text + len, c->formula + t->start, t->len);
  len += t->len;
  text[len++] = ' ';
  return len;
}

/* Node nd as a libmatheval evaluator of tokens [a, b), each top-level
 * placeholder compiled into nd->calls and written as a variable. */
static int compile_evaluator(compiler *c, size_t a, size_t b, int depth, size_t ncalls,
                             size_t textlen, expr_node *nd)
{
  nd->kind = NODE_EVALUATOR;
  char *text = malloc(textlen + ncalls * (sizeof PLACEHOLDER + 32));
  if (text == NULL)
    return oom(c);
  size_t len = 0;
  for (size_t k = a; k < b; k++) {
    size_t end;
    int rc = placeholder_at(c, k, b, &end);
    if (rc == ISSIM_OK && end > 0) {
      rc = compile_placeholder(c, k, end, depth, &nd->calls[nd->ncalls]);
      nd->ncalls++; /* freed with the node even when incomplete */
      bool group = c->tok[k].kind == TOK_LPAREN;
      len += (size_t)sprintf(text + len, "%s%s%zu%s ", group ? "( " : "", PLACEHOLDER,
                             nd->ncalls - 1, group ? " )" : "");
      k = end - 1;
    } else if (rc == ISSIM_OK) {
      len = write_token(c, k, text, len);
    }
    if (rc != ISSIM_OK) {
      free(text);
      return rc;
    }
  }
  text[len] = '\0';
  nd->ev = matheval_create(text);
  free(text);
  if (nd->ev == NULL)
    return expr_generic_syntax_error(c);
  return bind_variables(c, nd);
}

static int compile_range(compiler *c, size_t a, size_t b, int depth, expr_node **out)
{
  if (depth > MAX_NESTING) {
    char hint[96];
    snprintf(hint, sizeof hint, "min, max, if, conditionals and comparisons nested more than %d deep",
             MAX_NESTING);
    return expr_syntax_error(c, hint);
  }
  expr_node *nd = calloc(1, sizeof *nd);
  if (nd == NULL)
    return oom(c);
  *out = nd;
  if (has_logic(c, a, b))
    return compile_logic(c, a, b, depth, nd);
  const token *t = c->tok;
  size_t j, end;
  if (b - a == 1 && t[a].kind == TOK_WORD && /* one variable */
      expr_classify_word(c->formula + t[a].start, t[a].len, c->names, c->d, &j) == WORD_VARIABLE) {
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
  if (ncalls == 1 && placeholder_at(c, a, b, &end) == ISSIM_OK && end == b) { /* one call */
    nd->kind = NODE_CALL;
    nd->ncalls = 1;
    return compile_placeholder(c, a, b, depth, &nd->calls[0]);
  }
  return compile_evaluator(c, a, b, depth, ncalls, textlen, nd);
}

/* The whole formula into e->root. */
static int compile(issim_expr *e, const char *const *names, const char *formula,
                   issim_error *err)
{
  compiler c;
  expr_compiler_init(&c, formula, e->d, names, err);
  token *tok = NULL;
  size_t ntok = 0;
  int rc = expr_lex(&c, &tok, &ntok);
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

static double min_max_eval(const mm_call *call, const double *x)
{
  double r = node_eval(call->args[0], x);
  if (isnan(r))
    return r;
  for (size_t a = 1; a < call->nargs; a++) {
    double v = node_eval(call->args[a], x);
    if (isnan(v))
      return v;
    if (call->op == OP_MAX ? v > r : v < r)
      r = v;
  }
  return r;
}

/* && and ||, left to right, stopping as C does; a NaN operand reached makes
 * the result NaN. */
static double logic_eval(const mm_call *call, const double *x)
{
  bool is_or = call->op == OP_OR;
  for (size_t a = 0; a < call->nargs; a++) {
    double v = node_eval(call->args[a], x);
    if (isnan(v))
      return v;
    if ((v != 0) == is_or)
      return is_or;
  }
  return !is_or;
}

/* C's comparisons: false with a NaN, but for != (true). */
static double compare(unsigned char op, double u, double v)
{
  switch (op) {
  case CMP_LT: return u < v;
  case CMP_LE: return u <= v;
  case CMP_GT: return u > v;
  case CMP_GE: return u >= v;
  case CMP_EQ: return u == v;
  default: return u != v;
  }
}

static double call_eval(const mm_call *call, const double *x)
{
  double v;
  switch (call->op) {
  case OP_MIN:
  case OP_MAX:
    return min_max_eval(call, x);
  case OP_OR:
  case OP_AND:
    return logic_eval(call, x);
  case OP_GROUP:
    return node_eval(call->args[0], x);
  case OP_NOT:
    v = node_eval(call->args[0], x);
    return isnan(v) ? v : v == 0;
  case OP_IF: /* only the branch taken is evaluated */
    v = node_eval(call->args[0], x);
    return isnan(v) ? v : node_eval(call->args[v != 0 ? 1 : 2], x);
  case OP_COMPARE:
    v = node_eval(call->args[0], x);
    for (size_t a = 1; a < call->nargs; a++)
      v = compare(call->cmp[a - 1], v, node_eval(call->args[a], x));
    return v;
  }
  return NAN;
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
  return issim_expr_alloc_named(d, NULL, formula, err);
}

issim_expr *issim_expr_alloc_named(size_t d, const char *const *names, const char *formula,
                                   issim_error *err)
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
  if (names != NULL && issim_expr_check_names(d, d, names, err) != ISSIM_OK) {
    free(e);
    return NULL;
  }
  if (compile(e, names, formula != NULL ? formula : "", err) != ISSIM_OK) {
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
