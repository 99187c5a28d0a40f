/* divergence.h: exact entropy, cross-entropy and Kullback-Leibler divergence
 * of univariate distributions.
 *
 * These are the reference values against which issim's sample estimates of
 * the information-theoretic quantities are judged (docs/estimators.md):
 *
 *   H(p)       = -E_p[log p]                    differential entropy
 *   H(p, q)    = -E_p[log q]                    cross-entropy
 *   KL(p || q) =  E_p[log p - log q] = H(p, q) - H(p)  >= 0
 *
 * all in nats.  Each function says how it obtained its value:
 *
 *   ISSIM_EXACT_INFINITE     the quantity is provably infinite (INFINITY):
 *                            q does not cover p's support, or q's log-density
 *                            falls faster than p's moments allow (the rule of
 *                            issim_cross_entropy_finite in tail.h).  Decided
 *                            first, before any formula or integral.
 *   ISSIM_EXACT_CLOSED_FORM  a formula: for pairs of the same family among
 *                            normal, exponential (any locations), gamma (with
 *                            chi-squared as gamma(df/2, scale 2)), laplace,
 *                            lognormal and uniform.
 *   ISSIM_EXACT_QUADRATURE   adaptive numerical integration over p's support
 *                            (GSL's CQUAD), to a relative accuracy of about
 *                            1e-10 (absolute 1e-13 for values near 0), for
 *                            every other pair.
 *   ISSIM_EXACT_NONE         the integration did not reach that accuracy,
 *                            or part of p's mass lies where doubles cannot
 *                            reach (beyond 1e300: a pareto with shape below
 *                            about 0.05; below 1e-300: a gamma with shape
 *                            below about 0.05; within 2e-16 of 1: a beta with
 *                            beta below about 0.8); the value is NAN.
 *
 * None of these functions calls GSL's error handler on a numerical failure
 * (a failure is reported as NAN with ISSIM_EXACT_NONE), and none changes any
 * global state, so they may be called from several threads at once.
 *
 * In every function `how` may be NULL when the caller does not need it.
 * p and q must be valid distributions (from issim_dist_alloc).
 */
#ifndef ISSIM_DIVERGENCE_H
#define ISSIM_DIVERGENCE_H

#include "dist.h"
#include "model.h"
#include "tail.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
  ISSIM_EXACT_NONE,        /* no exact value known (NAN) */
  ISSIM_EXACT_CLOSED_FORM, /* a formula */
  ISSIM_EXACT_QUADRATURE,  /* numerical integration to ~1e-10 relative */
  ISSIM_EXACT_INFINITE     /* provably infinite (INFINITY) */
} issim_exact_method;

/* "closed form", "quadrature", "infinite", or "unknown" (for
 * ISSIM_EXACT_NONE and any value outside the enumeration). */
const char *issim_exact_method_name(issim_exact_method m);

/* H(p, q) = -E_p[log q]: closed form for the same-family pairs listed above,
 * quadrature otherwise; INFINITY when issim_cross_entropy_finite(p, q) is 0. */
double issim_cross_entropy_exact(const issim_dist *p, const issim_dist *q,
                                 issim_exact_method *how);

/* KL(p || q) = E_p[log p - log q] >= 0.  The closed forms are the standard
 * divergence formulas, written so that they are never negative and keep
 * their relative accuracy when p is close to q (they are not computed as
 * H(p, q) - H(p), which would cancel); by quadrature the integrand is
 * p (log p - log q) itself, for the same reason.  KL(p || p) = 0. */
double issim_kl_exact(const issim_dist *p, const issim_dist *q,
                      issim_exact_method *how);

/* H(p) = issim_dist_entropy(p), a closed form for every family: how is set
 * to ISSIM_EXACT_CLOSED_FORM. */
double issim_entropy_exact(const issim_dist *p, issim_exact_method *how);

/* H(p, q) and KL(p || q) by quadrature only, even for pairs that have a
 * closed form (to check one against the other, or to use one method
 * throughout).  how is ISSIM_EXACT_QUADRATURE, ISSIM_EXACT_INFINITE (as
 * above, decided first) or ISSIM_EXACT_NONE (NAN). */
double issim_cross_entropy_quadrature(const issim_dist *p, const issim_dist *q,
                                      issim_exact_method *how);
double issim_kl_quadrature(const issim_dist *p, const issim_dist *q,
                           issim_exact_method *how);

/* ---- d-dimensional models (model.h) ----
 * Closed forms, with x = mu + L z for a normal N(mu, L L^T) or a
 * multivariate t(v) of scale L L^T (independent normals are a normal):
 *   H(normal)  = d/2 (1 + log 2 pi) + log |L|
 *   H(t(v))    = log |L| + log G(v/2) + d/2 log(v pi) - log G((v + d)/2)
 *                + (v + d)/2 (psi((v + d)/2) - psi(v/2))
 *   H(p, q), q normal N(m2, L2 L2^T), p normal or a t with df v > 2 (whose
 *              covariance is c = v/(v - 2) times its scale matrix; c = 1 for
 *              a normal): with A = L2^-1 L1, delta = L2^-1 (m1 - m2),
 *              H(p, q) = d/2 log 2 pi + log |L2| + (c ||A||_F^2 + |delta|^2) / 2
 *   KL(p || q), both normal: 1/2 [sum_i (A_ii^2 - 1 - log A_ii^2)
 *              + sum_{i != j} A_ij^2 + |delta|^2], each term >= 0 (accurate
 *              when p is near q); t p, normal q: H(p, q) - H(p)
 *   a t p of df <= 2 and a normal q: H(p, q) and KL(p || q) infinite
 *   independent p and q (any families): sums of the components' exact values
 *              (closed form or quadrature, as above; infinite when one is)
 * Unknown (NAN, ISSIM_EXACT_NONE): a t or non-normal q against an elliptical
 * p, copulas, mixtures, mixed kinds, and dense pairs beyond d = 1000 (the
 * closed forms cost O(d^3)). */
double issim_model_entropy_exact(const issim_model *p, issim_exact_method *how);
double issim_model_cross_entropy_exact(const issim_model *p, const issim_model *q,
                                       issim_exact_method *how);
double issim_model_kl_exact(const issim_model *p, const issim_model *q, issim_exact_method *how);

/* ---- is an estimate of one of these quantities to be believed? ----
 *
 * issim estimates H(p), H(q), H(p, q), KL(p || q) and KL(q || p) from draws
 * of q (or of p).  Those that are expectations under p (H(p) and H(p, q) and
 * KL(p || q) from draws of q) are averages weighted by w = p/q: they are
 * only as good as the weights.  Each estimate is judged on its own, in this
 * order; the first rule that applies is the verdict:
 *   reliable   its value is infinite (the exact value is: the estimate is
 *              shown as inf; or a draw of q had p = 0, which proves
 *              KL(q || p) infinite)
 *   no SE      the estimate or its standard error is undefined (NaN)
 *   weighted only:
 *   infinite variance  the tail check (tail.h) proves E_q[w^2] infinite on
 *              q's support: the sample mean converges, if at all, too
 *              slowly for its SE to mean anything (exponential(1) from
 *              exponential(10): 1.7 +- 0.2 for a KL of 6.7)
 *   partial support    q covers only part of p's support: the estimate is
 *              of p restricted to it, not of the quantity named
 *   low ESS    (weighted only) the Kish ESS of the weights is below 100
 *   off exact  the exact value is known and the estimate is more than 4 SE
 *              (and more than 1e-9 relative, quadrature's accuracy) from it
 *   reliable   none of the above.
 * With an unknown exact value and a tail check that is undecided, the
 * weighted estimates are judged on the Kish ESS alone. */
typedef enum {
  ISSIM_INFO_RELIABLE,
  ISSIM_INFO_NO_SE,
  ISSIM_INFO_INFINITE_VARIANCE,
  ISSIM_INFO_PARTIAL_SUPPORT,
  ISSIM_INFO_OFF_EXACT,
  ISSIM_INFO_LOW_ESS
} issim_info_status;

typedef struct {
  double estimate, se;        /* the sample value and its standard error */
  double exact;               /* with how; NAN and ISSIM_EXACT_NONE when unknown */
  issim_exact_method how;
  int weighted;               /* 1: an expectation under p from draws of q, weighted by w */
  /* for weighted estimates: */
  int covers;                 /* q > 0 wherever p > 0 */
  double kish_ess;            /* (sum w)^2 / sum w^2 */
  issim_variance weight_variance; /* of w over q's support (issim_divergence_weight_variance) */
} issim_info_input;

/* The status; with reason non-NULL, the reason in words (empty when
 * reliable). */
issim_info_status issim_divergence_judge(const issim_info_input *in, char *reason, size_t size);

/* Whether w = p/q has finite variance over draws of q, which the weighted
 * estimates need; finite for q NULL (q = p).  Distributions on the line
 * (model.h's issim_model_line_dist: p, and q unless NULL): the tail check of
 * tail.h over q's support within p's; other models: on all of R^d. */
issim_variance issim_divergence_weight_variance(const issim_model *p, const issim_model *q);

/* ---- the exact relative variance of an importance-sampling estimate ----
 *
 * rv = E_q[w^2 h] / P^2 - 1 = (int_lo^hi p^2 / q) / P^2 - 1, P = P_p(lo < X
 * < hi): the variance per draw of the estimate of P, relative to P^2, for
 * the event region (lo, hi) (which q must cover).  By quadrature (GSL's
 * CQUAD, on pieces split at the bulks of p and q, the infinite ones mapped to
 * [0, 1)), to 1e-6 relative; NAN when the quadrature does not get there,
 * when the integrand overflows anywhere (even at an integrable singularity:
 * NAN is the cautious answer, the verdict then does without it), or the
 * integral is infinite (call it only when issim_weight_variance says finite).  Values below 1e-6 are rounding of 1 + rv and are returned as 0.
 * q NULL (q = p): (1 - P) / P. */
double issim_relative_variance_exact(const issim_dist *p, const issim_dist *q, double lo,
                                     double hi);

/* The same for d-dimensional elliptical models and a half-space event
 * {w.x > t} (direction +1) or {w.x < t} (-1): p and q normal or student-t
 * with the same df and the same scale matrix (Cholesky factors equal to
 * 1e-12), q's location moved from p's.  In p's whitened coordinates z, the
 * event is {a.z > c} and q is p shifted by m.
 *   normal   rv = e^(|m|^2) Q(c' + m.a') / Q(c')^2 - 1 (a' = a/|a|, c' = c/|a|),
 *            for any shift;
 *   t        p^2/q depends on z only through u = a'.z, the coordinate v
 *            along the part of the shift off that axis, and the distance r
 *            from the plane they span: rv is the integral over u > c', v and
 *            r > 0 (with the area r^(k-1) of the sphere in the k = d - 2
 *            remaining dimensions), by nested quadrature, to 1e-3 (enough for
 *            the verdict, which compares standard errors to a factor of
 *            sqrt 2); a shift along a' (a design-point shift) needs no v,
 *            and costs two levels instead of three.
 * NAN for anything else (other kinds, different scale or df, d < 2, a failed
 * quadrature).  log_p: log P of the event. */
double issim_model_relative_variance_exact(const issim_model *p, const issim_model *q,
                                           const double *w, double t, int direction,
                                           double log_p);
#ifdef __cplusplus
}
#endif

#endif
