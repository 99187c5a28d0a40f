/* loss.h: loss and limit-state functions g(x) of d-dimensional points.
 *
 *   identity    g(x) = x_1                      (d = 1 only)
 *   linear      g(x) = sum_j w_j x_j            (a portfolio's loss: with x the
 *                                                assets' returns, w = minus the
 *                                                holdings; see docs/scenarios.md)
 *   sum         g(x) = sum_j x_j
 *   max, min    g(x) = max_j x_j, min_j x_j
 *   norm        g(x) = sqrt(sum_j x_j^2), without overflow (1e200 components
 *               are fine)
 *   expression  any formula in x1..xd (GNU libmatheval), see expr.h
 * The built-in losses run as plain loops over a batch; an expression is
 * evaluated point by point through libmatheval's tree (about 4 million
 * points a second on one core for the four-branch series system of expr.h,
 * a built-in loss in d = 10 about 100 million), and each thread needs its own copy
 * (issim_loss_clone), because an evaluator holds its variables' values.
 *
 * NaN: a result that is not a number (log of a negative, sqrt(-1), 0/0,
 * a NaN component) is passed through as NaN, never replaced; the engine
 * treats such points as outside the event (a comparison with NaN is false).  max, min and
 * norm give NaN when a component is NaN (norm gives +inf when one is
 * infinite, as hypot does), and so do the expression's min and max when an
 * argument is NaN.
 *
 * Expressions: the language (variables, numbers, operators, functions,
 * min and max, constants), its errors and its thread-safety are documented
 * in expr.h.
 */
#ifndef ISSIM_LOSS_H
#define ISSIM_LOSS_H

#include <stddef.h>

#include "error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
  ISSIM_LOSS_IDENTITY,
  ISSIM_LOSS_LINEAR,
  ISSIM_LOSS_SUM,
  ISSIM_LOSS_MAX,
  ISSIM_LOSS_MIN,
  ISSIM_LOSS_NORM,
  ISSIM_LOSS_EXPRESSION
} issim_loss_kind;

typedef struct issim_loss issim_loss;

/* A built-in loss other than linear and expression.  d >= 1; identity needs
 * d = 1. */
issim_loss *issim_loss_alloc(issim_loss_kind kind, size_t d, issim_error *err);
/* weights: d finite values, copied (NULL is an error, key "weights"). */
issim_loss *issim_loss_alloc_linear(size_t d, const double *weights, issim_error *err);
/* An expression in x1..xd.  A formula that does not parse, or that names a
 * variable other than x1..xd, is ISSIM_EINVAL with a message naming it. */
issim_loss *issim_loss_alloc_expression(size_t d, const char *formula, issim_error *err);
/* An independent copy (its own evaluator); NULL when out of memory. */
issim_loss *issim_loss_clone(const issim_loss *g);
void issim_loss_free(issim_loss *g);

issim_loss_kind issim_loss_kind_of(const issim_loss *g);
size_t issim_loss_dim(const issim_loss *g);
/* The weights of a linear loss (NULL for other kinds). */
const double *issim_loss_weights(const issim_loss *g);
/* A loss of the form g(x) = w.x: linear, sum and identity (w = 1s).  Writes
 * its d weights into w and returns 1; returns 0 for the other kinds, with w
 * untouched. */
int issim_loss_linear_form(const issim_loss *g, double *w);

/* g of each of the n points x[i*d..] into out[n].  Not thread-safe for an
 * expression: one loss per thread. */
void issim_loss_eval(issim_loss *g, size_t n, const double *x, double *out);

/* "name" for the kind: "identity", "linear", ... */
const char *issim_loss_kind_name(issim_loss_kind kind);

#ifdef __cplusplus
}
#endif

#endif
