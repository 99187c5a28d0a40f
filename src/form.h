/* form.h: FORM and SORM, the first- and second-order reliability methods.
 *
 * For a target X = mu + L U with U standard (a multivariate normal, a
 * multivariate t, or independent normals: see design.h), or X = T(U) with T
 * the iso-probabilistic transform of any other target (independent
 * components of any families, a Gaussian copula, a univariate target of
 * any family; transform.h) and U standard normal, and an event
 * {g(X) > t} (or < t), write the event in the standard space as
 *   c(u) = s (g(mu + L u) - t) > 0,   s = +1 for "above", -1 for "below"
 * (g(T(u)) for a transform).
 * Every design point u* that issim_design_points finds (the points of the
 * surface c = 0 nearest the origin, locally) is analysed:
 *
 *   beta     signed distance |u*|: negative when the origin (the target's
 *            mean) is in the event
 *   x*, u*   the point in the target's own variables and in u
 *   alpha    the unit normal u* / beta, pointing into the event (for beta
 *            = 0, grad c / |grad c|); u* = beta alpha
 *   alpha_j^2  importance factors: the share of variable u_j in beta^2
 *            (they sum to 1).  For a correlated normal they are the
 *            standard variables' u_j = (L^-1 (x - mu))_j, not x_j's.
 *   FORM     P_1 = Phi(-beta) = Q(beta), the probability of the half-space
 *            beyond the tangent hyperplane at u*: log Q(beta) =
 *            log erfc(beta / sqrt 2) - log 2 (gsl_sf_log_erfc; for beta < 0
 *            log1p(-Q(-beta))), accurate far
 *            out (beta = 37 and beyond, where Q itself underflows near 39).
 *            For a t target, the t(df) tail at beta: U is then not normal
 *            and FORM is only an approximation (the result's `normal_space`
 *            is 0); exact all the same for a linear loss, whose half-space
 *            has exactly that probability.
 *   share    P_1 of the point over the sum of P_1 over all points.
 *
 * ---- SORM ----
 * The curvatures of the surface at u*: the Hessian H of c at u* by central
 * differences in u with step h = 1e-4 max(1, |u*|) (diagonal (c(u + h e_j)
 * - 2 c(u) + c(u - h e_j)) / h^2; off-diagonal from the four points
 * u +- h e_j +- h e_k, divided by 4 h^2: 2 d^2 + 1 loss evaluations; error
 * O(h^2) from the fourth derivatives plus O(eps |g| / h^2) from rounding),
 * and |grad c| from the same points, (c(u + h e_j) - c(u - h e_j)) / 2h.  A
 * Householder reflection R = I - 2 v v^T / v.v with v = alpha + sign(alpha_d)
 * e_d (no cancellation in v) has +-alpha as its last column; the top-left (d-1) x
 * (d-1) block of R^T H R is the Hessian on the tangent plane, and its
 * eigenvalues (gsl_eigen_symm) lambda_i give the principal curvatures
 *   kappa_i = -lambda_i / |grad c|,
 * signed so that kappa > 0 where the event's region is convex (the surface
 * curves away from the origin, which makes P smaller than FORM's), and
 * kappa < 0 where it curves round the origin.  For the paraboloid
 * u_d > beta + (k / 2) sum_{i<d} u_i^2, every kappa_i = k.  The closed-form
 * cases of design.h (a linear loss; max above or min below: half-spaces)
 * have flat surfaces: kappa = 0 without any evaluation.  The differences
 * assume c is smooth within h of u*: at a kink of the loss (a tie of an
 * expression's max or min, abs) they straddle it and the curvatures mean
 * nothing.  Curvatures that are not numbers (the loss NaN near u*, a zero
 * gradient) make SORM NAN with that reason.
 * With beta >= 0 (m = d - 1 curvatures, Q = Phi(-beta), phi the normal
 * density):
 *   Breitung (1984)             P = Q(beta) prod (1 + beta kappa_i)^(-1/2)
 *   Hohenbichler-Rackwitz (1988) P = Q(beta) prod (1 + r kappa_i)^(-1/2),
 *                               r = phi(beta) / Q(beta) (gsl_sf_hazard)
 *   Tvedt (1990)                P = A1 + A2 + A3,
 *     A1 = Q(beta) prod (1 + beta kappa_i)^(-1/2)
 *     A2 = (beta Q(beta) - phi(beta)) [prod (1 + beta kappa_i)^(-1/2)
 *                                      - prod (1 + (beta + 1) kappa_i)^(-1/2)]
 *     A3 = (beta + 1) (beta Q(beta) - phi(beta)) [prod (1 + beta kappa_i)^(-1/2)
 *                          - Re prod (1 + (beta + i) kappa_i)^(-1/2)]
 *     (principal complex square roots, factor by factor),
 * all computed as Q(beta) times a factor, in log space.  Breitung's formula
 * is the asymptotic answer as beta grows with beta kappa_i fixed.  A
 * formula is refused (NAN, with the reason in sorm_why) when one of its
 * factors 1 + beta kappa_i (1 + r kappa_i, 1 + (beta + 1) kappa_i) is <= 0:
 * the surface curves round the origin more tightly than the sphere of
 * radius beta, so u* is not a local minimum of |u| on it (a saddle of the
 * search), and the formula has no meaning.  With beta < 0 the origin is in
 * the event: the formulas are applied to its complement, whose distance is
 * -beta and whose curvatures are -kappa_i, and P = 1 - P(complement)
 * (OpenTURNS does the same).  For a t target the formulas do not apply (they
 * integrate a normal density): SORM is NAN with that reason, curvatures are
 * still given.
 *
 * ---- The union (several failure regions) ----
 * The event is (to first order) the union of the half-spaces H_i = {alpha_i
 * . u > beta_i}.  With the points ordered by decreasing P_i and P_ij =
 * P(H_i and H_j) = P(Z_1 > beta_i, Z_2 > beta_j) for standard normals of
 * correlation rho_ij = alpha_i . alpha_j:
 *   sum of FORM       sum_i P_i                 an upper bound (Boole)
 *   Ditlevsen (1979)  lower  P_1 + sum_{i>=2} max(0, P_i - sum_{j<i} P_ij)
 *                     upper  sum_i P_i - sum_{i>=2} max_{j<i} P_ij
 *                     bounds on P(union of the H_i), the first-order answer
 *                     for a series system
 *   sum of SORM       sum_i of each SORM formula over the points where it
 *                     is defined (sorm_excluded counts the points left out
 *                     of Breitung's sum); NAN when it is defined at none
 * All relative to the largest P_i, in log space.  A spurious stationary
 * point (a saddle, whose SORM is refused) still counts in the FORM sum and
 * the Ditlevsen bounds: its half-space is part of the linearised union, and
 * the sum stays an upper bound on that union; it is left out of the SORM
 * sums, since it is no local design point and the region near it belongs
 * to its neighbours'.  For a t target the Ditlevsen bounds are NAN (they need a
 * bivariate t).
 *
 * The bivariate normal tail (issim_form_log_bvn_tail): GSL has none.  It is
 * the 1-D integral
 *   P(Z_1 > a, Z_2 > b) = int_a^inf phi(x) Q((b - rho x) / sqrt(1 - rho^2)) dx
 * (with a >= b after swapping, the faster-falling variable outside), whose
 * integrand is log-concave: its peak x_m is found by bisection on the
 * derivative of its log, the integrand is scaled by its value there, and
 * integrated over [max(a, x_m - 40), x_m + 40] (beyond, it is below e^-800 of
 * its peak, as log phi has second derivative -1) in two pieces by
 * gsl_integration_cquad (which reports failures by its return value, never
 * through GSL's error handler; see divergence.c), relative tolerance 1e-12.
 * |rho| > 1 - 1e-12 takes the limits: rho -> 1, Q(max(a, b)); rho -> -1,
 * Q(a) - Phi(-b) when positive, else 0.  Far tails are fine: log P is
 * log phi(x_m) + log Q(...) + log(integral).
 *
 * ---- Effort ----
 * The loss evaluations of the search (issim_design_points_stats) and of the
 * Hessians, the starts tried, those that converged, the distinct points
 * found, and the start at which the last new point appeared: when it is
 * well before the last start, the later starts found nothing new.
 */
#ifndef ISSIM_FORM_H
#define ISSIM_FORM_H

#include <stddef.h>

#include "error.h"
#include "event.h"
#include "model.h"
#include "problem.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One design point and its FORM/SORM analysis.  Arrays are owned by the
 * result (issim_form_result_free). */
typedef struct {
  double beta;               /* signed */
  double *x, *u;             /* d each: x* and u* */
  double *alpha;             /* d: unit normal into the event */
  double *importance;        /* d: alpha_j^2 */
  double log_p_form;         /* log Q(beta) (t tail for a t target) */
  double share;              /* P_form / sum of P_form */
  double grad_norm;          /* |grad c| at u*, NAN for a closed form */
  size_t n_curvatures;       /* d - 1 */
  double *kappa;             /* n_curvatures principal curvatures, ascending */
  double *directions;        /* issim_form_curved_proposal's: the d - 1 unit
                              * principal directions in u, row by row, in the
                              * order of kappa; NULL otherwise */
  double log_p_breitung, log_p_hr, log_p_tvedt; /* NAN when refused */
  char sorm_why[200];        /* why a SORM value is NAN; "" when none is */
  int corner;                /* at a corner of the surface: the gradient at u* (by
                              * central differences) is more than 1e-3 off alpha;
                              * curvatures and SORM NAN */
} issim_form_point;

typedef struct {
  size_t d, n;                  /* dimension, design points */
  issim_form_point *points;     /* n, most probable first */
  int normal_space;             /* 1: U is normal; 0: a t target, FORM approximate */
  double df;                    /* the target's df, INFINITY for a normal */
  int closed_form;              /* the points are exact (design.h's closed forms) */
  int transformed;              /* 1: x = T(u), the target's iso-probabilistic
                                 * transform (transform.h); 0: x = mu + L u */
  double log_sum_form;          /* log sum_i P_form */
  double log_ditlevsen_lower, log_ditlevsen_upper; /* NAN: see union_why */
  double log_sum_breitung, log_sum_hr, log_sum_tvedt; /* over the points where
                                 * each is defined; NAN when at none */
  size_t sorm_excluded;         /* points whose Breitung P is NAN, left out */
  char union_why[200];          /* why the Ditlevsen bounds are NAN; "" */
  /* effort */
  size_t design_evals, hessian_evals; /* loss evaluations (points) */
  size_t starts, converged, found, last_new_start;
  size_t corners;               /* of the points found, those the corner search found */
} issim_form_result;

/* The FORM/SORM analysis of the event under target (any model with a
 * standard space: not a mixture).  ISSIM_EINVAL with a message for another target or
 * when no design point is found (issim_design_points's errors); ISSIM_ENOMEM.
 * On success free r with issim_form_result_free. */
int issim_form_analyse(const issim_model *target, const issim_event *ev, issim_form_result *r,
                       issim_error *err);

/* The same for a problem: a d-dimensional one as above, or a univariate one
 * of any family (the event on x itself: a half-space of u, FORM exact). */
int issim_form_analyse_problem(const issim_problem *pb, issim_form_result *r, issim_error *err);

void issim_form_result_free(issim_form_result *r);

/* shift = design-point(s) with spread = curvature: at the design point (or
 * at each, all_points), a normal of u centred on u* whose variance along each
 * principal direction of curvature is the zero-variance density's there,
 * 1 / (1 + beta kappa_j), where the surface curves round the origin (kappa_j
 * < 0: a sum of exponentials), at most 9, and 1 elsewhere (along alpha,
 * where the surface is flat or curves away, and at a closed form's flat
 * points: the target's own spread); the points mixed by their FORM
 * probabilities, as issim_design_mixture's.  For an elliptical target the
 * normal of u is carried to x linearly (a normal, or a t of the target's df,
 * at x* with covariance (scale) L C L^T); for any other, by its transform
 * (transform.h).  NULL and err as issim_form_analyse's. */
issim_model *issim_form_curved_proposal(const issim_model *target, const issim_event *ev,
                                        int all_points, issim_error *err);

/* Does the problem's target have the standard-space form FORM needs? */
int issim_form_supported(const issim_problem *pb);

/* ---- the formulas, for tests and other callers ---- */

/* log Q(beta) = log P(Z > beta), Z standard normal, accurate for all beta. */
double issim_form_log_normal_tail(double beta);

/* log P(Z1 > a, Z2 > b) for standard normals of correlation rho in [-1, 1];
 * -INFINITY when it is 0, NAN when the quadrature fails. */
double issim_form_log_bvn_tail(double a, double b, double rho);

/* SORM at signed beta with the m curvatures kappa: the logs of Breitung's,
 * Hohenbichler-Rackwitz's and Tvedt's P (any pointer may be NULL), NAN for
 * a refused formula with the reason in why (size bytes; may be NULL). */
void issim_form_sorm(double beta, size_t m, const double *kappa, double *log_breitung,
                     double *log_hr, double *log_tvedt, char *why, size_t size);

/* The Ditlevsen bounds for the union of n half-spaces {alpha_i . u > beta_i}
 * (alpha: n x d row-major unit vectors) of a standard normal u: their logs,
 * and log sum_i Q(beta_i).  ISSIM_ENOMEM, ISSIM_EINVAL when a bivariate
 * probability fails (bounds NAN). */
int issim_form_ditlevsen(size_t n, size_t d, const double *beta, const double *alpha,
                         double *log_lower, double *log_upper, double *log_sum);

#ifdef __cplusplus
}
#endif

#endif
