/* transform.h: the standard space of a target, and proposals drawn there.
 *
 * The iso-probabilistic transform T maps d independent standard normals u
 * to the target's x: if u ~ N(0, I) then x = T(u) has the target's law, and
 * T is a bijection between R^d and the target's support.  For each target
 * issim has:
 *   independent    x_j = F_j^-1(Phi(u_j)), each component its own family
 *   copula         z = L u (L L^T = R), x_j = F_j^-1(Phi(z_j))  (Nataf)
 *   normal         x = mu + L u                                (L L^T = covariance)
 *   student-t      Rosenblatt: x = mu + L t, with t the standard multivariate
 *                  t(nu) built one coordinate at a time from its conditional
 *                  laws, t_k = s_k G_k^-1(Phi(u_k)), G_k the standard t of
 *                  nu + k - 1 degrees of freedom and s_k^2 = (nu + t_1^2 +
 *                  ... + t_(k-1)^2) / (nu + k - 1)
 * (a mixture has none).  F^-1(Phi(.)) and Phi^-1(F(.)) are copula.h's, in
 * log space from the smaller tail, so that u = 30 or u = -37 maps to its x
 * without passing through a probability of 0 or 1 (for the lognormal, x =
 * exp(meanlog + sdlog u) exactly; for a Weibull, scale (-log Q(u))^(1/shape)
 * from log Q(u) itself).  The Jacobian: p(x) |det dx/du| = phi(u), so
 *   log |det dx/du| = sum_j log phi(u_j) - log p(x),
 * written out per kind (log det L, and each coordinate's log phi(z_j) -
 * log f_j(x_j) and, for the t, log s_k) rather than through p.
 *
 * A proposal in the standard space.  For any model q_u of u (a normal moved
 * to a design point, a mixture of such, a cross-entropy fit), T carries it to
 * a proposal of x (kind ISSIM_MODEL_TRANSFORMED, model.h) whose density is
 *   q(x) = q_u(u) |det du/dx| = p(x) q_u(u) / phi(u),   u = T^-1(x),
 * exactly, with p the transform's target: its weights are p(x)/q(x) =
 * phi(u)/q_u(u), the weights of q_u against the standard normal, so the
 * weights' variance, the tail check and the divergences are those of q_u
 * against N(0, I) (tail.h), and every draw is a point x of the target's own
 * space, with its own loss.  Drawn against its own target (pair.h), log q
 * comes from the u it drew, without inverting T.
 *
 * Thread-safe: no state is written after allocation; the functions that
 * work on batches take their scratch from the caller and never allocate.
 */
#ifndef ISSIM_TRANSFORM_H
#define ISSIM_TRANSFORM_H

#include <stddef.h>

#include "error.h"
#include "model.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct issim_transform issim_transform;

/* The transform of target (copied): independent, copula, normal or
 * student-t; NULL and ISSIM_EINVAL for a mixture or a transformed model. */
issim_transform *issim_transform_alloc(const issim_model *target, issim_error *err);
issim_transform *issim_transform_clone(const issim_transform *t);
void issim_transform_free(issim_transform *t);

size_t issim_transform_dim(const issim_transform *t);
/* The transform's own copy of its target. */
const issim_model *issim_transform_target(const issim_transform *t);
/* Is m the transform's target (the same kind and the same parameters, to
 * the bit)? */
int issim_transform_is_of(const issim_transform *t, const issim_model *m);

/* Doubles of scratch that issim_transform_to_x and _to_u need: d. */
size_t issim_transform_scratch(const issim_transform *t);

/* x = T(u) for n points (row by row, x[i*d + j]); x may be u (in place).
 * log_jac (may be NULL): log |det dx/du| at each point. */
void issim_transform_to_x(const issim_transform *t, size_t n, const double *u, double *x,
                          double *log_jac, double *scratch);

/* u = T^-1(x); u may be x.  A coordinate at or beyond its support's end
 * (F = 0 or 1 in floating point) gives -inf or +inf. */
void issim_transform_to_u(const issim_transform *t, size_t n, const double *x, double *u,
                          double *scratch);

/* The event {x_k > t} (direction +1) or {x_k < t} (-1) of one coordinate is
 * a half-space of u for an independent, copula or normal target: {x_k > t}
 * = {a . u > s} with a unit (e_k; row k of the copula's factor of R; row k
 * of L / |row k|) and s its normal score.  Writes the half-space's point
 * nearest the origin, u = +-s a, and its signed distance beta (negative when
 * the origin is in the event) and returns 1; returns 0 for a t target (not
 * a half-space) or when t is outside the coordinate's support (an empty or
 * certain event: s infinite). */
int issim_transform_half_space(const issim_transform *t, size_t k, double threshold,
                               int direction, double *u, double *beta);

/* lp[i] = sum_j log phi(u_ij), the standard normal log-density of n points
 * of d coordinates. */
void issim_transform_log_phi(size_t d, size_t n, const double *u, double *lp);

/* ---- proposals in the standard space ---- */

/* q_u (of the transform's dimension) carried to x by T; both copied.  NULL
 * with ISSIM_EINVAL when the dimensions differ. */
issim_model *issim_transform_proposal(const issim_transform *t, const issim_model *q_u,
                                      issim_error *err);

/* For a transformed model: its transform and its model of u; NULL for any
 * other model. */
const issim_transform *issim_transform_of(const issim_model *m);
const issim_model *issim_transform_inner(const issim_model *m);

/* The standard space's own law, N(0, I) in d dimensions (independent
 * standard normals), allocated. */
issim_model *issim_transform_standard_normal(size_t d, issim_error *err);

#ifdef __cplusplus
}
#endif

#endif
