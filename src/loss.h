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
 *   function    the caller's own model: a C function over a batch of points
 *               (below), which a plugin (plugin.h) or an external program
 *               (command.h) provides in a scenario
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
#include <stdint.h>

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
  ISSIM_LOSS_EXPRESSION,
  ISSIM_LOSS_FUNCTION
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
/* The same with names[d] for x1..xd (NULL: none; copied), usable in the
 * formula beside x1..xd (expr.h); bad names are ISSIM_EINVAL, key
 * "variables". */
issim_loss *issim_loss_alloc_expression_named(size_t d, const char *const *names,
                                              const char *formula, issim_error *err);

/* ---- the caller's own model: a function loss ----
 *
 * eval(x, n, d, g, state) computes the losses g[0..n) of the n points x[i*d ..
 * i*d + d) (row by row) and returns 0, or returns non-zero when it cannot:
 * the evaluation then fails (issim_loss_eval), and a run stops there with
 * the draws done so far reported as a partial run (engine.h).  Points come in
 * batches, at most issim_sampler_batch(problem) of them (512 for d <= 128)
 * when sampling, 1 to a few times d in a design-point search or FORM.
 *
 * Results.  A NaN is a failure, never a point outside the event: a loss that
 * is not a number cannot say whether a point fails, and counting it as safe
 * would bias the estimate down without a sign.  +inf and -inf are numbers.
 *
 * Thread safety.  issim evaluates a loss from several threads at once, each
 * through its own copy (issim_loss_clone: one per thread of a run, of a
 * cross-entropy level), and never one copy from two threads at once.  Each
 * copy has its own state: init(user, &state), when given, is called once per
 * copy, in the thread that evaluates it, just before its first evaluation;
 * done(user, state) when the copy is freed.  Without init every copy's state
 * is `user`, shared: eval must then be safe to call concurrently with the
 * same state (a pure function, or one that takes its own lock).  `user` is shared
 * by every copy and must outlive them all: release(user), when given, is
 * called once the last copy is freed (by whichever thread frees it).
 *
 * Messages.  message(user, state), when given, says why the last call
 * failed (state NULL when init failed); it may return NULL.  issim adds the
 * loss's name, the batch's size and its first point (the engine, the draws
 * the batch holds). */
typedef int (*issim_loss_fn)(const double *x, size_t n, size_t d, double *g, void *state);

typedef struct {
  issim_loss_fn eval;                       /* required */
  void *user;                               /* passed to init; the state without init */
  int (*init)(void *user, void **state);    /* optional: non-zero is a failure */
  void (*done)(void *user, void *state);    /* optional */
  const char *(*message)(void *user, void *state); /* optional */
  void (*release)(void *user);              /* optional */
  const char *name;                         /* what the loss is, in messages and reports
                                             * ("plugin ./limit.so:g"); copied */
} issim_loss_function;

/* A function loss of d >= 1 coordinates (f copied; eval required). */
issim_loss *issim_loss_alloc_function(size_t d, const issim_loss_function *f, issim_error *err);

/* An independent copy (its own evaluator; a function loss's copy has its own
 * state); NULL when out of memory. */
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
 * expression or a function: one copy per thread.  ISSIM_OK; a function loss
 * may fail, ISSIM_ELOSS, with the message in issim_loss_error (the built-in
 * losses never fail). */
int issim_loss_eval(issim_loss *g, size_t n, const double *x, double *out);

/* The points this copy has evaluated (issim_loss_eval, failed batches
 * included): a copy starts at 0 (issim_loss_clone too).  A search on one copy
 * (design points, FORM, the failure regions) is the difference before and
 * after it; the engine's copies are its threads', and it counts its draws
 * instead (analysis.h's issim_calls).  The one count of a model's calls. */
uint64_t issim_loss_calls(const issim_loss *g);

/* Why this copy's last evaluation failed ("" when none did). */
const char *issim_loss_error(const issim_loss *g);

/* issim_loss_eval for a search that goes on and stops later (design points,
 * FORM): on a failure out[0..n) is NaN, and the first failure is kept, its
 * message copied into first[size] and *failed set (later ones are not). */
void issim_loss_eval_noting(issim_loss *g, size_t n, const double *x, double *out, int *failed,
                            char *first, size_t size);

/* What the loss is, for reports: "linear loss", ..., or a function's name. */
void issim_loss_describe(const issim_loss *g, char *buf, size_t size);

/* "name" for the kind: "identity", "linear", ... */
const char *issim_loss_kind_name(issim_loss_kind kind);

#ifdef __cplusplus
}
#endif

#endif
