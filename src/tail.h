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
#include "loss.h"
#include "model.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Room enough for any `reason` below. */
#define ISSIM_TAIL_REASON_SIZE 640

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

/* ---- d-dimensional targets and proposals ----
 *
 * The same question for models (model.h): is E_q[w^2 1_A] = int_A p^2/q
 * finite?  The event region A is described by its shape only, which is all
 * the rules below need:
 *   WHOLE        all of R^d (issim_model_weight_variance: the condition for
 *                any event, e.g. to floor a fitted covariance);
 *   HALF_SPACES  a half-space {w.x > t} (a linear or sum loss, either
 *                direction), or a union of half-spaces (max above t, min
 *                below t);
 *   CONE         an unbounded region holding a cone of directions of positive
 *                solid angle, but perhaps not a half-space (an orthant: max
 *                below t, min above t);
 *   EXTERIOR     the outside of a ball (norm above t): far out in every
 *                direction, as R^d;
 *   BOUNDED      a bounded region (norm below t): p^2/q is continuous, so
 *                finite for every pair below;
 *   UNKNOWN      anything (an expression): only what holds on R^d is said.
 * Rules, for p and q normal, multivariate t, or independent normals (a
 * normal), with P = S_p^-1, Q = S_q^-1 (S the covariance or scale matrix):
 *   normal p, normal q   p^2/q ~ exp(-x^T M x / 2 + b.x), M = 2P - Q: finite
 *                        when M is positive definite; infinite when M has a
 *                        negative eigenvalue, on WHOLE, HALF_SPACES and
 *                        EXTERIOR (a half-space holds a ray, and a tube
 *                        around it, in every direction v or -v); a
 *                        (numerically) singular M, or a negative eigenvalue on
 *                        a CONE, is undecided.  (In one dimension: the
 *                        proposal's sd must exceed the target's / sqrt 2.)
 *                        Decided in O(d) when both covariances are diagonal,
 *                        in O(d^3) up to d = 400, undecided beyond.
 *   normal p, t q        finite (q's polynomial tail beats p's Gaussian one).
 *   t p, normal q        infinite on every unbounded region (p^2/q grows like
 *                        exp(x^T Q x / 2) in every direction); BOUNDED finite.
 *   t(a) p, t(b) q       p^2/q ~ |x|^-(2a + d - b): finite iff b < 2a; else
 *                        infinite on every unbounded region.
 *   independent p, q     (any families, same dimension) int p^2/q over R^d is
 *                        the product of the components' integrals over R
 *                        (issim_weight_variance): finite iff each is; on a
 *                        union of half-spaces {x_k > t} (or < t), which holds
 *                        {x_k > t} x R^(d-1), infinite as soon as one factor
 *                        over R, or component k's over (t, inf), is.
 *   mixture q            q >= a_k q_k: finite when a component of weight
 *                        a_k > 0 is (the target itself: w <= 1/a_k); infinite
 *                        when every component is and the tails compare as for
 *                        one (t target: every component normal or too light a
 *                        t; normal target: every component normal with one Q).
 *   credit p, q          (credit.h, one book, the event on its default loss L)
 *                        finite when q is not twisted (a factor shift: a
 *                        ratio of normals of one covariance), or twisted to
 *                        a level x at most the threshold of an event L > t
 *                        (the twist's factor is then at most 1 on the event);
 *                        else undecided.
 *   copula p, independent q
 *                        (p a Gaussian copula with correlation R, marginals
 *                        f_j; q independent, marginals g_j) in normal scores
 *                        z_j = Phi^-1(F_j(x_j)), p^2/q dx = |R|^-1 phi_d(z)
 *                        exp(-z'(R^-1 - I) z) prod r_j dz with r_j = f_j/g_j:
 *                        exp(-z'(2R^-1 - I) z / 2) prod r_j.  Where log r_j
 *                        falls slower than z_j^2 (g_j's tail no heavier than
 *                        f_j's at the leading order: a shift, or the same
 *                        power law at any scale), an eigenvalue of R above
 *                        2 makes it grow along its eigenvector v: infinite
 *                        when the event holds a tube around the ray along v
 *                        or -v (WHOLE, EXTERIOR, a coordinate union with a
 *                        component going its way, a half-space whose weights
 *                        all agree in sign with that direction).  A wider
 *                        g_j of f_j's family (a faster-falling r_j) changes
 *                        the condition, and is undecided; so is anything
 *                        else with a copula (eigenvalues below 2 included).
 *   q NULL (q = p)       finite.
 * Anything else is undecided.  `reason` says why when the answer is infinite. */
typedef enum {
  ISSIM_REGION_WHOLE,
  ISSIM_REGION_HALF_SPACES,
  ISSIM_REGION_CONE,
  ISSIM_REGION_EXTERIOR,
  ISSIM_REGION_BOUNDED,
  ISSIM_REGION_UNKNOWN
} issim_region_kind;

typedef struct {
  issim_region_kind kind;
  /* for a union of the coordinate half-spaces {direction (x_k - t) > 0}
   * (max above, min below): coordinate_union = 1 and t, direction; else 0 */
  int coordinate_union;
  double threshold;
  int direction;
  /* for a half-space {direction (w.x - t) > 0} of a linear or sum loss:
   * linear = 1 and w = weights (NULL: all 1s, a sum), which the copula rule
   * needs; else 0 (the region of issim_region_of_event has 0) */
  int linear;
  const double *weights;
} issim_region;

/* The region of the event {g(x) > t} (direction +1) or < t (-1). */
issim_region issim_region_of_event(issim_loss_kind loss_kind, double threshold, int direction);
/* The same, from the loss itself: a linear or sum loss's region also carries
 * its weights (pointing into g, which must outlive the region). */
issim_region issim_region_of_loss(const issim_loss *g, double threshold, int direction);

/* On all of R^d. */
issim_variance issim_model_weight_variance(const issim_model *p, const issim_model *q,
                                           char *reason, size_t size);
/* On the region a. */
issim_variance issim_model_weight_variance_on(const issim_model *p,
                                              const issim_model *q, const issim_region *a,
                                              char *reason, size_t size);

/* Whether the cross-entropy H(p, q) = -E_p[log q], and so KL(p || q), is
 * finite: q must cover p's support and its log-density must not fall faster
 * than p's moments allow (KL of a student-t(2) from a normal is infinite). */
int issim_cross_entropy_finite(const issim_dist *p, const issim_dist *q);

#ifdef __cplusplus
}
#endif

#endif
