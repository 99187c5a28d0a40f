/* tail.h: how fast densities fall in their tails, and what that implies.
 *
 * A sample cannot show that importance weights have infinite variance: the
 * draws that would reveal it are the ones a light-tailed proposal almost never
 * makes, so the reported error bar looks fine while the real error is large.
 * Whether E_q[w^2 h] = int_A p^2/q is finite is instead decided analytically,
 * from how p and q behave where the event region A is unbounded (their tails)
 * and at its finite ends (their exponents near a support boundary).
 *
 * Each univariate family's log-density is described, as |x| grows, by one of:
 *   double exponential  -exp(a |x|)                    (Gumbel's lower tail)
 *   stretched           -a |x|^k + b |x| + c log |x|   (normal k=2, exponential-type k=1, Weibull)
 *   lognormal           -a (log x)^2 + b log x
 *   power law           -(alpha + 1) log |x|           (student-t, Cauchy, Pareto)
 * in that order from light to heavy; near a finite support boundary e, by the
 * exponent c in p(x) ~ |x - e|^c (INFINITY: faster than any power).
 */
#ifndef ISSIM_TAIL_H
#define ISSIM_TAIL_H

#include <stddef.h>

#include "dist.h"

typedef enum {
  ISSIM_TAIL_BOUNDED,    /* the support ends on this side */
  ISSIM_TAIL_DOUBLE_EXP,
  ISSIM_TAIL_STRETCHED,
  ISSIM_TAIL_LOGNORMAL,
  ISSIM_TAIL_POWER
} issim_tail_kind;

typedef struct {
  issim_tail_kind kind;
  double k, a, b, c;  /* see above; alpha is stored in a for power laws */
} issim_tail;

/* The upper (side = +1) or lower (side = -1) tail of d. */
issim_tail issim_dist_tail(const issim_dist *d, int side);

/* The exponent c of d(x) ~ |x - e|^c near a point e of the closed support:
 * 0 inside the support, the family's exponent at a boundary. */
double issim_dist_endpoint_exponent(const issim_dist *d, double e);

typedef enum {
  ISSIM_VARIANCE_FINITE,
  ISSIM_VARIANCE_INFINITE,
  ISSIM_VARIANCE_UNDECIDED /* a tie no rule here settles */
} issim_variance;

/* Whether the weights w = p/q of draws of q have finite variance on the event
 * region (lo, hi) (which q is assumed to cover).  When infinite, `reason`
 * (if non-NULL) says why in plain words. q == NULL means q = p: finite. */
issim_variance issim_weight_variance(const issim_dist *p, const issim_dist *q, double lo,
                                     double hi, char *reason, size_t size);

/* Whether the cross-entropy H(p, q) = -E_p[log q], and so KL(p || q), is
 * finite: q must cover p's support and its log-density must not fall faster
 * than p's moments allow (KL of a student-t(2) from a normal is infinite). */
int issim_cross_entropy_finite(const issim_dist *p, const issim_dist *q);

#endif
