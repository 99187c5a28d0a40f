/* transform.c: the iso-probabilistic transform of a target and the proposals
 * drawn in its standard space (see transform.h).
 *
 * The transformed model's density at a point x it did not draw inverts T
 * (u = T^-1(x)) and is p(x) q_u(u) / phi(u); at the points it draws against
 * its own target, pair.c takes log q from the u it drew instead. */
#include "transform.h"
#include "copula.h"
#include "linalg.h"
#include "model_impl.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const double LOG_2PI = 1.8378770664093454836; /* log(2 pi) */

struct issim_transform {
  issim_model *target; /* its own copy */
  size_t d;
  issim_dist **cond;   /* student-t: cond[k] the standard t of nu + k degrees of freedom */
  double log_det;      /* log |det L| (normal, student-t, copula); 0 for independent */
};

static double log_phi1(double u)
{
  return -0.5 * u * u - 0.5 * LOG_2PI;
}

void issim_transform_log_phi(size_t d, size_t n, const double *u, double *lp)
{
  for (size_t i = 0; i < n; i++) {
    double s = 0;
    for (size_t j = 0; j < d; j++)
      s += u[i * d + j] * u[i * d + j];
    lp[i] = -0.5 * s - 0.5 * (double)d * LOG_2PI;
  }
}

/* ---- the transform ---- */

void issim_transform_free(issim_transform *t)
{
  if (t == NULL)
    return;
  for (size_t k = 0; t->cond && k < t->d; k++)
    issim_dist_free(t->cond[k]);
  free(t->cond);
  issim_model_free(t->target);
  free(t);
}

/* cond[k] = the standard t of nu + k degrees of freedom, k < d. */
static int conditional_laws(issim_transform *t, issim_error *err)
{
  const char *keys[3] = {"df", "location", "scale"};
  t->cond = calloc(t->d, sizeof *t->cond);
  if (t->cond == NULL)
    return issim_error_set(err, ISSIM_ENOMEM, "out of memory for the transform");
  for (size_t k = 0; k < t->d; k++) {
    const double v[3] = {t->target->df + (double)k, 0, 1};
    if ((t->cond[k] = issim_dist_alloc("student-t", 3, keys, v, err)) == NULL)
      return err ? err->code : ISSIM_EINVAL;
  }
  return ISSIM_OK;
}

issim_transform *issim_transform_alloc(const issim_model *target, issim_error *err)
{
  const issim_model_kind kind = target->kind;
  if (kind != ISSIM_MODEL_INDEPENDENT && kind != ISSIM_MODEL_COPULA &&
      kind != ISSIM_MODEL_NORMAL && kind != ISSIM_MODEL_STUDENT_T) {
    char desc[160];
    issim_model_describe(target, desc, sizeof desc);
    issim_error_set(err, ISSIM_EINVAL, "%s has no standard space: issim knows the "
                                       "iso-probabilistic transform of independent components, "
                                       "a Gaussian copula, a multivariate normal and a "
                                       "multivariate t", desc);
    return NULL;
  }
  issim_transform *t = calloc(1, sizeof *t);
  if (t == NULL || (t->target = issim_model_clone(target)) == NULL) {
    issim_transform_free(t);
    issim_error_set(err, ISSIM_ENOMEM, "out of memory for the transform");
    return NULL;
  }
  t->d = target->d;
  if (target->chol)
    t->log_det = issim_linalg_lower_log_det(t->d, target->chol);
  if (kind == ISSIM_MODEL_STUDENT_T && conditional_laws(t, err) != ISSIM_OK) {
    issim_transform_free(t);
    return NULL;
  }
  return t;
}

issim_transform *issim_transform_clone(const issim_transform *t)
{
  return t ? issim_transform_alloc(t->target, NULL) : NULL;
}

size_t issim_transform_dim(const issim_transform *t)
{
  return t->d;
}

const issim_model *issim_transform_target(const issim_transform *t)
{
  return t->target;
}

size_t issim_transform_scratch(const issim_transform *t)
{
  return t->d;
}

static int same_doubles(const double *a, const double *b, size_t n)
{
  return (a == NULL) == (b == NULL) && (a == NULL || memcmp(a, b, n * sizeof *a) == 0);
}

int issim_transform_is_of(const issim_transform *t, const issim_model *m)
{
  const issim_model *p = t->target;
  const size_t d = p->d;
  if (m == NULL || m->kind != p->kind || m->d != d || !(m->df == p->df || (isnan(m->df) && isnan(p->df))))
    return 0;
  if (!same_doubles(p->loc, m->loc, d) || !same_doubles(p->chol, m->chol, d * d))
    return 0;
  for (size_t j = 0; p->dists && j < d; j++)
    if (m->dists == NULL || p->dists[j]->kind != m->dists[j]->kind ||
        memcmp(p->dists[j]->param, m->dists[j]->param, sizeof p->dists[j]->param) != 0)
      return 0;
  return (p->dists == NULL) == (m->dists == NULL);
}

/* x = T(u) for one point; z: d doubles of scratch.  Returns log |det dx/du|
 * when jac, else 0. */
static double point_to_x(const issim_transform *t, const double *u, double *x, int jac, double *z)
{
  const issim_model *m = t->target;
  const size_t d = t->d;
  double lj = t->log_det;
  switch (m->kind) {
  case ISSIM_MODEL_INDEPENDENT:
    for (size_t j = 0; j < d; j++) {
      const double uj = u[j];
      x[j] = issim_copula_quantile(m->dists[j], uj);
      if (jac)
        lj += log_phi1(uj) - issim_dist_log_pdf1(m->dists[j], x[j]);
    }
    break;
  case ISSIM_MODEL_COPULA:
    issim_linalg_lower_times(d, m->chol, u, z);
    for (size_t j = 0; j < d; j++) {
      x[j] = issim_copula_quantile(m->dists[j], z[j]);
      if (jac)
        lj += log_phi1(z[j]) - issim_dist_log_pdf1(m->dists[j], x[j]);
    }
    break;
  case ISSIM_MODEL_NORMAL:
    issim_linalg_lower_times(d, m->chol, u, z);
    for (size_t j = 0; j < d; j++)
      x[j] = m->loc[j] + z[j];
    break;
  default: { /* student-t: r = sqrt(nu + t_1^2 + ... + t_(k-1)^2), by hypot */
    double r = sqrt(m->df);
    for (size_t k = 0; k < d; k++) {
      const double log_s = log(r) - 0.5 * log(m->df + (double)k);
      const double v = issim_copula_quantile(t->cond[k], u[k]);
      if (jac)
        lj += log_s + log_phi1(u[k]) - issim_dist_log_pdf1(t->cond[k], v);
      z[k] = exp(log_s) * v;
      r = hypot(r, z[k]);
    }
    issim_linalg_lower_times(d, m->chol, z, z);
    for (size_t j = 0; j < d; j++)
      x[j] = m->loc[j] + z[j];
    break;
  }
  }
  return jac ? lj : 0;
}

void issim_transform_to_x(const issim_transform *t, size_t n, const double *u, double *x,
                          double *log_jac, double *scratch)
{
  const size_t d = t->d;
  for (size_t i = 0; i < n; i++) {
    const double lj = point_to_x(t, u + i * d, x + i * d, log_jac != NULL, scratch);
    if (log_jac)
      log_jac[i] = lj;
  }
}

/* u = T^-1(x) for one point; z: d doubles of scratch. */
static void point_to_u(const issim_transform *t, const double *x, double *u, double *z)
{
  const issim_model *m = t->target;
  const size_t d = t->d;
  switch (m->kind) {
  case ISSIM_MODEL_INDEPENDENT:
    for (size_t j = 0; j < d; j++)
      u[j] = issim_copula_normal_score(m->dists[j], x[j]);
    break;
  case ISSIM_MODEL_COPULA:
    for (size_t j = 0; j < d; j++)
      z[j] = issim_copula_normal_score(m->dists[j], x[j]);
    issim_linalg_forward_solve(d, m->chol, z, u);
    break;
  case ISSIM_MODEL_NORMAL:
    for (size_t j = 0; j < d; j++)
      z[j] = x[j] - m->loc[j];
    issim_linalg_forward_solve(d, m->chol, z, u);
    break;
  default: { /* student-t */
    for (size_t j = 0; j < d; j++)
      z[j] = x[j] - m->loc[j];
    issim_linalg_forward_solve(d, m->chol, z, z);
    double r = sqrt(m->df);
    for (size_t k = 0; k < d; k++) {
      const double s = r / sqrt(m->df + (double)k);
      u[k] = issim_copula_normal_score(t->cond[k], z[k] / s);
      r = hypot(r, z[k]);
    }
    break;
  }
  }
}

void issim_transform_to_u(const issim_transform *t, size_t n, const double *x, double *u,
                          double *scratch)
{
  const size_t d = t->d;
  for (size_t i = 0; i < n; i++)
    point_to_u(t, x + i * d, u + i * d, scratch);
}

int issim_transform_half_space(const issim_transform *t, size_t k, double threshold,
                               int direction, double *u, double *beta)
{
  const issim_model *m = t->target;
  const size_t d = t->d;
  double s, norm = 1;
  if (k >= d || m->kind == ISSIM_MODEL_STUDENT_T)
    return 0;
  for (size_t j = 0; j < d; j++) /* a = row k of L (e_k when independent) */
    u[j] = m->chol ? (j <= k ? m->chol[k * d + j] : 0) : j == k;
  for (size_t j = 0; m->chol && j <= k; j++)
    norm = j == 0 ? u[0] * u[0] : norm + u[j] * u[j];
  norm = sqrt(norm); /* |row k|: 1 for a correlation's factor, to rounding */
  s = m->kind == ISSIM_MODEL_NORMAL ? threshold - m->loc[k]
                                    : issim_copula_normal_score(m->dists[k], threshold);
  s /= norm; /* {row_k . u > s} = {a . u > s / |row k|} */
  if (!isfinite(s))
    return 0;
  for (size_t j = 0; j < d; j++)
    u[j] *= s / norm;
  *beta = direction > 0 ? s : -s;
  return 1;
}

/* ---- proposals in the standard space ---- */

issim_model *issim_transform_standard_normal(size_t d, issim_error *err)
{
  issim_dist *z = issim_dist_alloc_normal(0, 1, err);
  issim_dist **comps = z ? malloc(d * sizeof *comps) : NULL;
  issim_model *m = NULL;
  if (z && comps == NULL)
    issim_error_set(err, ISSIM_ENOMEM, "out of memory");
  for (size_t j = 0; comps && j < d; j++)
    comps[j] = z;
  if (comps)
    m = issim_model_alloc_independent(d, (const issim_dist *const *)comps, err);
  free(comps);
  issim_dist_free(z);
  return m;
}

issim_model *issim_transform_proposal(const issim_transform *t, const issim_model *q_u,
                                      issim_error *err)
{
  if (q_u->d != t->d || q_u->kind == ISSIM_MODEL_TRANSFORMED) {
    issim_error_set(err, ISSIM_EINVAL, q_u->d != t->d
                    ? "a proposal in the standard space must have the target's dimension "
                      "(%zu, not %zu)"
                    : "a proposal in the standard space is a model of u, not itself a "
                      "transformed model (d = %zu, %zu)", t->d, q_u->d);
    return NULL;
  }
  issim_model *m = calloc(1, sizeof *m);
  if (m != NULL) {
    m->kind = ISSIM_MODEL_TRANSFORMED;
    m->d = t->d;
    m->inner = issim_model_clone(q_u);
    m->transform = issim_transform_clone(t);
  }
  if (m == NULL || m->inner == NULL || m->transform == NULL) {
    issim_model_free(m);
    issim_error_set(err, ISSIM_ENOMEM, "out of memory for the proposal");
    return NULL;
  }
  return m;
}

const issim_transform *issim_transform_of(const issim_model *m)
{
  return m && m->kind == ISSIM_MODEL_TRANSFORMED ? m->transform : NULL;
}

const issim_model *issim_transform_inner(const issim_model *m)
{
  return m && m->kind == ISSIM_MODEL_TRANSFORMED ? m->inner : NULL;
}

/* ---- the transformed model's kernels (model_impl.h) ---- */

/* sampling: the inner model's scratch, then d for T.  density: u (n d),
 * log phi(u) (n), then the most of the inner model's, the target's and T's. */
size_t issim_transformed_scratch(const issim_model *m, size_t n)
{
  const size_t si = issim_model_scratch(m->inner, n);
  const size_t sp = issim_model_scratch(m->transform->target, n);
  size_t s = si > sp ? si : sp;
  s = s > m->d ? s : m->d;
  return n * m->d + n + s;
}

void issim_transformed_sample(const issim_model *m, gsl_rng *r, size_t n, double *x,
                              double *scratch)
{
  issim_model_sample(m->inner, r, n, x, scratch);
  issim_transform_to_x(m->transform, n, x, x, NULL, scratch);
}

/* log q(x) = log p(x) + log q_u(u) - log phi(u), u = T^-1(x); -inf where p
 * is 0 or u is not finite (x at the end of the support in floating point). */
void issim_transformed_log_pdf(const issim_model *m, size_t n, const double *x, double *lp,
                               double *scratch)
{
  const size_t d = m->d;
  double *u = scratch, *lphi = scratch + n * d, *rest = lphi + n;
  issim_transform_to_u(m->transform, n, x, u, rest);
  issim_transform_log_phi(d, n, u, lphi);
  issim_model_log_pdf(m->inner, n, u, lp, rest);
  for (size_t i = 0; i < n; i++)
    lphi[i] = isfinite(lphi[i]) ? lp[i] - lphi[i] : -INFINITY; /* log q_u - log phi */
  issim_model_log_pdf(m->transform->target, n, x, lp, rest);
  for (size_t i = 0; i < n; i++)
    lp[i] = lp[i] == -INFINITY || lphi[i] == -INFINITY ? -INFINITY : lp[i] + lphi[i];
}
