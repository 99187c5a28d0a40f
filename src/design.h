/* design.h: design points, the most likely points of an event.
 *
 * For a target X = mu + L U with U standard (a multivariate normal, a
 * multivariate t, or independent normals, whose L is diagonal), the density
 * of X falls with |U| alone, so the most likely point of an event
 * {g(X) > t} (or < t) is the point of the limit surface g(mu + L u) = t
 * nearest the origin of the standard space:
 *
 *   u* = argmin |u|^2  subject to  g(mu + L u) = t,   beta = |u*|,
 *
 * and x* = mu + L u* is the design point (Hasofer and Lind 1974).  beta is
 * reported with a sign: negative when the target's mean lies in the event.
 *
 * Any other target (independent components of any families, a Gaussian
 * copula) is searched in its standard space, x = T(u) with T the
 * iso-probabilistic transform (transform.h), u standard normal: u* =
 * argmin |u|^2 subject to g(T(u)) = t, x* = T(u*).  There an event on one
 * coordinate (a linear loss with one nonzero weight), and max above t or min
 * below t, are half-spaces of u or unions of d of them: exact, in closed form
 * (issim_transform_half_space); every other loss, a sum or a linear loss
 * included, goes to the search below, which then works on g(T(u)).
 *
 * How it is found:
 *   linear, sum (and identity)  closed form: with a = L^T w,
 *                               u* = a (t - w.mu) / |a|^2 (exact).
 *   max above t, min below t    the event is the union of the half-spaces
 *                               {x_k > t} (or < t): each has the closed form
 *                               above with w = e_k; the design point is the
 *                               nearest of them (exact).
 *   anything else (expression,  an optimisation: the improved HL-RF
 *   norm, max below, min above) iteration (Zhang and Der Kiureghian 1995):
 *                               from u, the nearest point of the tangent
 *                               hyperplane of c(u) = s (g(mu + L u) - t),
 *                                 u_HLRF = ((grad c . u - c) / |grad c|^2) grad c,
 *                               then a backtracking line search along
 *                               u_HLRF - u on the merit function
 *                                 m(u) = |u|^2 / 2 + k |c(u)|,
 *                               k = 2 max(|u|, |u_HLRF|) / |grad c| (large
 *                               enough that the direction descends m).  The
 *                               gradient is by central differences in the
 *                               standard space (step 1e-5 max(1, |u|); both
 *                               2d points in one issim_loss_eval batch).  It
 *                               has converged when u is on the surface,
 *                               |c| / |grad c| <= 1e-9 max(1, |u|), and
 *                               parallel to the gradient (the Lagrange
 *                               condition), |u - (u.n) n| <= 1e-7 max(1, |u|)
 *                               for n = grad c / |grad c|.  At most 200
 *                               iterations from each start; a start fails when
 *                               |u| passes 1000 (the event is out of reach),
 *                               the loss is not a number, the gradient is 0,
 *                               or the line search stalls.
 *                               Starts: the origin, +-e_j (for d <= 8) and
 *                               32 points in directions of a fixed
 *                               pseudo-random sequence (the same every time)
 *                               at radii 1, 2, 3, 4 in turn, so that a
 *                               kink (a tie of max or min at the origin) or
 *                               a stationary point does not stop it.  A
 *                               start also stops when its residual (|c| /
 *                               |grad c| plus the distance from parallel)
 *                               has not fallen by 10% in 20 iterations: at
 *                               a corner the iteration goes round in circles.
 *                               Then, when the mean is outside the event,
 *                               starts on the surface: along each of 32 more
 *                               directions of the sequence and their
 *                               opposites (and +-e_j, d <= 8), the first
 *                               point where the ray meets the event (steps
 *                               of 0.25 to 8, then 5%, up to 5 beyond the
 *                               nearest point found so far; bisection to
 *                               1e-3), so that an event made of several
 *                               limit states (a min) is entered on the
 *                               branch that bounds it in that direction,
 *                               where a start near the origin follows the
 *                               branch that is least there; and restarts
 *                               from the mirror images of the points found
 *                               (-u*, and for d <= 8 u* with one coordinate
 *                               negated) that are not found points already.
 *                               While a round of rays and mirrors finds new
 *                               points, another follows (at most 3 more).
 *                               Where HL-RF fails from a ray's point (d <=
 *                               8, the point not within 0.25 |u| of a point
 *                               found), the nearest point may be a corner
 *                               (max(g1, g2) < 0: two limit states meet,
 *                               and u* is not along either gradient):
 *                               the corner search minimises the ray's
 *                               crossing distance R(theta) over directions
 *                               by a pattern search on the sphere (theta +-
 *                               h e_j renormalised, h from 0.1, doubled
 *                               after a step that shortens R, halved
 *                               otherwise, to 1e-7; R to 1e-12 by a bracket
 *                               near the last crossing and bisection; it
 *                               stops early, h below 0.01, within 0.01 |u|
 *                               of a point found).  Its local minima are
 *                               the event's locally nearest points, smooth
 *                               or corner.  The design point is the
 *                               converged point of least |u|; when no start
 *                               converges the error says why the last one
 *                               failed.
 * The optimisation finds stationary points of |u| on the surface: local
 * minima, and sometimes other stationary points (for {x2 < x1^2/2 - 3} the
 * point (0, -3) besides the minima (+-2, -1)).  With several failure
 * regions (the four-branch system) the nearest is the design point, and a
 * single shifted target then misses the others: the right proposal is a
 * mixture with one component per region (issim_design_mixture), where a
 * spurious stationary point only adds a component of small weight.
 * Cost: each start takes at most 200 iterations of 2d + 1 loss evaluations
 * and a line search; a ray about 12 to 40 evaluations to meet the event;
 * a corner search some thousands in 2 dimensions (RP57 of the Rozsas and
 * Beck set, two corners and a circle: 60,000 evaluations in all, against
 * 48,800 for the fixed starts alone, which found only the circle's point;
 * x1 x2 > 9: 6,100 against 2,600); the closed forms cost O(d^2) per point.
 */
#ifndef ISSIM_DESIGN_H
#define ISSIM_DESIGN_H

#include <stddef.h>

#include "error.h"
#include "event.h"
#include "loss.h"
#include "model.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The design point x[d] of the event under target (any model with a
 * standard space: not a mixture) and its signed beta (may be NULL).
 * ISSIM_EINVAL with a message when the target has no standard space, the
 * loss does not depend on x, or the optimisation does not converge (the
 * message says why: the event is out of reach, the loss is not a number,
 * ...). */
int issim_design_point(const issim_model *target, const issim_event *ev, double *x,
                       double *beta, issim_error *err);

/* Every design point found: for a linear loss the one point; for max above
 * (min below) the d half-spaces' points; otherwise the distinct local design
 * points of the starts above (two are one when within 1e-4 max(1, |beta|)).
 * At most max points into x[max * d] and their signed betas into beta[max]
 * (may be NULL), nearest first (for a union: most probable first), with log_p[i] =
 * log P(the half-space beyond point i's tangent hyperplane) = log of the
 * standard normal (or t(df)) tail at beta_i: exact for the half-spaces of a
 * linear, max or min loss, the first-order (FORM) estimate otherwise.
 * log_p may be NULL. */
int issim_design_points(const issim_model *target, const issim_event *ev, size_t max,
                        double *x, double *beta, double *log_p, size_t *n, issim_error *err);

/* What issim_design_points_stats did to find the points. */
typedef struct {
  int closed_form;        /* 1: the linear or max/min closed forms, no search */
  size_t loss_evals;      /* points at which the loss was evaluated (0 for a
                           * closed form) */
  size_t starts;          /* starts of the search tried (0 for a closed form) */
  size_t converged;       /* of which converged */
  size_t found;           /* distinct points found (before max cut them) */
  size_t last_new_start;  /* the start (1 to starts) that found the last new
                           * point, 0 when none: well below starts, the later
                           * starts only found points already known */
  size_t corners;         /* of the points found, those at a corner (the
                           * corner search's, not HL-RF's) */
} issim_design_stats;

/* issim_design_points, and what it took into *stats (may be NULL). */
int issim_design_points_stats(const issim_model *target, const issim_event *ev, size_t max,
                              double *x, double *beta, double *log_p, size_t *n,
                              issim_design_stats *stats, issim_error *err);

/* issim_design_points_stats with the points in the target's standard space:
 * u[max * d], u = L^-1 (x - mu) for an elliptical target, T^-1(x) for any
 * other (transform.h). */
int issim_design_standard_points(const issim_model *target, const issim_event *ev, size_t max,
                                 double *u, double *beta, double *log_p, size_t *n,
                                 issim_design_stats *stats, issim_error *err);

/* The target moved to location[d] with its covariance (scale) multiplied by
 * spread^2: a multivariate normal or t of the target's df, or independent
 * normals for independent normals.  Any other target is moved in its
 * standard space: N(T^-1(location), spread^2 I) carried to x by T (a
 * transformed model, transform.h).  NULL (err set) for a mixture, or a
 * location outside the support. */
issim_model *issim_design_shifted(const issim_model *target, const double *location,
                                  double spread, issim_error *err);

/* N(u, spread^2 I) in the target's standard space (u: d values), carried
 * to x by its transform T (transform.h): the target moved in its standard
 * space.  For every target with a standard space (elliptical ones too: its
 * u is then T's, which for a t target differs from L^-1 (x - mu)).  NULL
 * (err set) for a mixture. */
issim_model *issim_design_standard_shifted(const issim_model *target, const double *u,
                                           double spread, issim_error *err);

/* shift = design-points: the mixture of the target shifted to each design
 * point of issim_design_points (at most 1000), weighted in proportion to
 * exp(log_p): for max above t of independent components the weights are
 * P(X_k > t), exact.  For a target without an elliptical form, the mixture
 * of N(u_i*, spread^2 I) in the standard space, carried to x by T. */
issim_model *issim_design_mixture(const issim_model *target, const issim_event *ev,
                                  double spread, issim_error *err);

#ifdef __cplusplus
}
#endif

#endif
