/* expr.h: formulas g(x) in x1..xd, compiled for fast repeated evaluation.
 *
 * The expression loss of loss.h (issim_loss_alloc_expression) is one of
 * these; libmatheval (GNU) evaluates the formula, issim checks it first and
 * adds min and max (expr.c says how and why).
 *
 * Variables   x1..xd, exactly (not x0, not x01, not X1); every other name is
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
 *             Up to 64 nested levels.  These two are issim's, not
 *             libmatheval's (see expr.c).
 * Constants   e, pi, and (as in C's M_ names) log2e log10e ln2 ln10 pi_2 pi_4
 *             1_pi 2_pi 2_sqrtpi sqrt2 sqrt1_2 (1_pi = 1/pi, pi_2 = pi/2,
 *             2_sqrtpi = 2/sqrt(pi), sqrt1_2 = 1/sqrt(2)).  Names are case
 *             sensitive: E and PI are not constants.
 * Whitespace  anywhere between tokens, newlines included.
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
