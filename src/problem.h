/* problem.h: what is estimated, and with what: a target p, an event, and
 * the proposal q the draws come from.
 *
 * The problem is P = P_p(event), estimated from draws of q weighted by p/q.
 * The target and the proposal are models (model.h); a NULL proposal means
 * the target itself: plain Monte Carlo.  A univariate problem's are
 * distributions on the line wrapped as models of dimension 1
 * (issim_model_alloc_line) and its event is on x itself: the sampler draws
 * them as every other model, and the analyses that need the line (the
 * event's interval, the exact tail, the support) take the distribution back
 * through issim_problem_line_target.  The problem holds
 * pointers only: whoever built it (a scenario, a caller) owns the parts.
 *
 * This is the one thing that crosses from a scenario (scenario.h) into the
 * machinery (sampler, engine, cross-entropy, design points): none of those
 * know what a scenario is.  What depends on the target and the event alone
 * (the exact probability, the loss's moments, whether a proposal covers the
 * event) is computed here, once, for every caller.
 */
#ifndef ISSIM_PROBLEM_H
#define ISSIM_PROBLEM_H

#include <stddef.h>

#include "dist.h"
#include "event.h"
#include "model.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
  const issim_model *target;
  const issim_model *proposal; /* NULL: draw from the target */
  issim_event event;           /* on x itself for univariate problems */
} issim_problem;

/* The problem with the same target and event and proposal q (NULL: the
 * target itself). */
issim_problem issim_problem_with_proposal(const issim_problem *pb, const issim_model *q);

/* The target's distribution when the problem is univariate (its target made
 * by issim_model_alloc_line), else NULL: the line view, for the analyses on
 * the line. */
const issim_dist *issim_problem_line_target(const issim_problem *pb);

/* The dimension of a point: 1 for a univariate problem. */
size_t issim_problem_dim(const issim_problem *pb);

/* The exact log P(event) under the target, or NAN when issim knows no formula:
 * univariate targets with a tail formula; a linear or sum loss of a
 * multivariate normal or t; the max or min of independent components. */
double issim_problem_exact_log(const issim_problem *pb);

/* The event's region where a univariate target has mass: (lo, hi), empty when
 * lo >= hi; (-inf, inf) for a d-dimensional problem. */
void issim_problem_event_region(const issim_problem *pb, double *lo, double *hi);

/* The mean and standard deviation of the loss under the target, when known
 * exactly: the target itself in one dimension; a linear or sum loss of a
 * multivariate normal, a t with df > 2, or independent components with
 * finite variances.  1 and the two values, or 0. */
int issim_problem_loss_moments(const issim_problem *pb, double *mean, double *sd);

/* The range [lo, hi] of a d-dimensional problem's loss over the product of
 * the target's component supports (the whole line for a normal or t; a
 * copula's joint support is the product of its marginals'): 1 for max, min,
 * linear, sum and norm, 0 for an expression or a function, whose range issim
 * does not work out. */
int issim_problem_loss_range(const issim_problem *pb, double *lo, double *hi);

/* Does model q put mass wherever the target does?  Component by
 * component (the product of the marginal supports); a mixture is judged when
 * it is built from its parts, and counts as covering here. */
int issim_problem_model_covers(const issim_problem *pb, const issim_model *q);

/* Writes the target's description, e.g. "normal(mean=0, sd=1)". */
void issim_problem_describe_target(const issim_problem *pb, char *buf, size_t size);

#ifdef __cplusplus
}
#endif

#endif
