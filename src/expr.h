/* expr.h: formulas g(x) in x1..xd, compiled for fast repeated evaluation.
 *
 * The expression loss of loss.h (issim_loss_alloc_expression) is one of
 * these; libmatheval (GNU) evaluates the arithmetic, issim checks the formula
 * first and adds min, max, comparisons, logic and conditionals (expr.c says
 * how and why).
 *
 * Variables   x1..xd, exactly (not x0, not x01, not X1), and the coordinates'
 *             names when they are given (issim_expr_alloc_named: R and S for
 *             x1 and x2, both spellings usable); every other name is
 *             refused with a message, even one a simplification would drop.
 * Numbers     12, 1.5, .5, 5., 2e-3, 1.5E+3 (no sign: -2 is minus 2).
 * Operators   + - * / ^ and parentheses.  Beware: ^ is left-associative
 *             (2^3^2 = (2^3)^2 = 64) and binds tighter than unary minus
 *             (-x1^2 = -(x1^2)); there is no unary plus; x^y is pow(x, y),
 *             NaN for a negative x and a non-integer y.
 * Functions   exp log sqrt abs erf, sin cos tan cot sec csc,
 *             asin acos atan acot asec acsc, sinh cosh tanh coth sech csch,
 *             asinh acosh atanh acoth asech acsch (log is natural; there is
 *             no log10, pow or atan2); step(x) = 1 for x >= 0, else 0;
 *             delta(x) = +inf at 0, else 0; nandelta(x) = NaN at 0, else 0.
 *             Each takes one argument in parentheses.
 *             min(a, b, ...) and max(a, b, ...): one or more arguments, each
 *             any formula (nested min/max included), usable anywhere an
 *             operand is: max(x1, min(x2, x3)) + 1, 2*min(x1, x2)^2.
 *             if(c, a, b) is c ? a : b (below).  These three are issim's,
 *             not libmatheval's (see expr.c).
 * Comparisons and logic, C's operators at C's precedence, lowest first:
 *               c ? a : b            (right-associative: a ? b : c ? d : e
 *                                     is a ? b : (c ? d : e))
 *               ||                   (left to right, each level)
 *               &&
 *               ==  !=
 *               <  <=  >  >=
 *               + -, then * /, then unary - and !, then ^ (as before)
 *             so x3 <= 5 ? x1 - x2 : x3 - x2 and x1 > 0 && x2 > 0 need no
 *             parentheses, while !x1 + 1 is (!x1) + 1 and !x1^2 is !(x1^2)
 *             (! binds as unary minus does).  Comparisons, &&, || and ! give
 *             1 or 0; a value is true when it is not 0.  && and || stop as
 *             C's do (0 && g: g is not evaluated); c ? a : b and if(c, a, b)
 *             evaluate only the branch taken, so x1 > 0 ? log(x1) : 0 is
 *             never NaN.  a < b < c is (a < b) < c, as in C.
 *             NaN: a comparison with a NaN operand is 0 (false), but != is 1,
 *             as in C (a NaN compares unequal to everything).  A NaN used as
 *             a truth value -- the condition of ?: or if, an operand of &&,
 *             || or ! -- makes the result NaN (C would take it as true): a
 *             NaN loss, which is never in the event, as before, rather
 *             than a branch taken on a number that is not one.
 *             Up to 64 nested levels of min, max, if, ?:, comparisons,
 *             logic and parentheses holding them.
 * Constants   e, pi, and (as in C's M_ names) log2e log10e ln2 ln10 pi_2 pi_4
 *             1_pi 2_pi 2_sqrtpi sqrt2 sqrt1_2 (1_pi = 1/pi, pi_2 = pi/2,
 *             2_sqrtpi = 2/sqrt(pi), sqrt1_2 = 1/sqrt(2)).  Names are case
 *             sensitive: E and PI are not constants.
 * Whitespace  anywhere between tokens, newlines included.
 * Piecewise, a limit state written as published (d = 3):
 *   x3 <= 5 ? x1 - x2 : x3 - x2        or  if(x3 <= 5, x1 - x2, x3 - x2)
 * Size        at most 20,000 tokens (numbers, names, operators, parentheses,
 *             commas) and 1,000 nested parentheses: libmatheval recurses
 *             over the formula, and a longer one would overflow the stack.
 * Example, the four-branch series system (d = 2):
 *   min(3 + 0.1*(x1 - x2)^2 - (x1 + x2)/sqrt(2),
 *       3 + 0.1*(x1 - x2)^2 + (x1 + x2)/sqrt(2),
 *       (x1 - x2) + 6/sqrt(2), (x2 - x1) + 6/sqrt(2))
 * Errors are ISSIM_EINVAL with err->key "expression" and a message naming
 * the fault: a character or a name that is not allowed, a variable beyond d,
 * a misplaced comma, or otherwise "does not parse" (libmatheval does not say
 * where).  Creating, cloning and freeing expressions is thread-safe (the
 * parser's global state is behind a lock); evaluating one expression from
 * two threads at once is not.  libmatheval exits the process when it runs out of
 * memory.
 */
#ifndef ISSIM_EXPR_H
#define ISSIM_EXPR_H

#include <stddef.h>

#include "error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct issim_expr issim_expr;

/* Compiles formula (NULL: empty, refused) in x1..xd, d >= 1.  NULL on an
 * error: ISSIM_EINVAL with key "expression" and a message naming the fault,
 * or ISSIM_ENOMEM. */
issim_expr *issim_expr_alloc(size_t d, const char *formula, issim_error *err);

/* The same, with names[d] for x1..xd (NULL: none); x1..xd stay usable.  The
 * names are checked as issim_expr_check_names does; the expression keeps no
 * pointer to them. */
issim_expr *issim_expr_alloc_named(size_t d, const char *const *names, const char *formula,
                                   issim_error *err);

/* Are names[n] good names of d coordinates?  n == d; each an identifier
 * ([_a-zA-Z][_a-zA-Z0-9]*, at most 64 characters) that is not a function, a
 * constant, min, max or if, and not x followed by digits (x1..xd always name
 * the coordinates); all different.  ISSIM_EINVAL with key "variables" and a
 * message naming the fault, else ISSIM_OK. */
int issim_expr_check_names(size_t d, size_t n, const char *const *names, issim_error *err);
void issim_expr_free(issim_expr *e);

size_t issim_expr_dim(const issim_expr *e);

/* The formula at each of the n points x[i*d..] into out[n].  Not
 * thread-safe: the evaluator holds its variables' values (one expression
 * per thread). */
void issim_expr_eval(issim_expr *e, size_t n, const double *x, double *out);

#ifdef __cplusplus
}
#endif

#endif
