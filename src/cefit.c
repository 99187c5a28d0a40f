#include "cefit.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_eigen.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_sf_psi.h>

#include "linalg.h"

/* EM and Newton iterations: enough to converge far below the sampling noise of
 * a level; the limits only guard against a pathological sample. */
#define EM_ITERATIONS 200
#define EM_TOLERANCE 1e-10
#define NEWTON_ITERATIONS 100
/* Mixture components whose share of the elite weight falls below this are
 * dropped: they cover no part of the event the sample can see. */
#define MIN_COMPONENT_SHARE 1e-6

static const double LOG_2PI = 1.8378770664093454836; /* log(2 pi) */

static const char *const FAMILY_NAMES[] = {"auto", "normal", "student-t", "mixture",
                                           "exponential", "gamma", "factor-shift",
                                           "independent"};

const char *issim_cefit_family_name(issim_cefit_family f)
{
  return (unsigned)f < sizeof FAMILY_NAMES / sizeof *FAMILY_NAMES ? FAMILY_NAMES[f] : "?";
}

int issim_cefit_family_lookup(const char *name, issim_cefit_family *f)
{
  for (size_t i = 1; i < sizeof FAMILY_NAMES / sizeof *FAMILY_NAMES; i++)
    if (strcmp(name, FAMILY_NAMES[i]) == 0) {
      *f = (issim_cefit_family)i;
      return ISSIM_OK;
    }
  return ISSIM_EINVAL;
}

/* ---- parameters ---- */

int issim_cefit_params_init(issim_cefit_params *v, issim_cefit_family f, size_t d, size_t k)
{
  *v = (issim_cefit_params){.family = f, .d = d, .k = k};
  v->weight = calloc(k, sizeof *v->weight);
  v->mean = calloc(k * d, sizeof *v->mean);
  v->cov = calloc(k * d * d, sizeof *v->cov);
  if (v->weight && v->mean && v->cov)
    return ISSIM_OK;
  issim_cefit_params_clear(v);
  return ISSIM_ENOMEM;
}

void issim_cefit_params_clear(issim_cefit_params *v)
{
  for (size_t j = 0; v->parts && j < v->d; j++)
    issim_cefit_params_clear(&v->parts[j]);
  free(v->parts);
  v->parts = NULL;
  free(v->weight);
  free(v->mean);
  free(v->cov);
  v->weight = v->mean = v->cov = NULL;
  v->k = 0;
}

int issim_cefit_params_copy(issim_cefit_params *dst, const issim_cefit_params *src)
{
  issim_cefit_params c;
  if (issim_cefit_params_init(&c, src->family, src->d, src->k) != ISSIM_OK)
    return ISSIM_ENOMEM;
  memcpy(c.weight, src->weight, src->k * sizeof *c.weight);
  memcpy(c.mean, src->mean, src->k * src->d * sizeof *c.mean);
  memcpy(c.cov, src->cov, src->k * src->d * src->d * sizeof *c.cov);
  c.df = src->df, c.location = src->location, c.rate = src->rate;
  c.shape = src->shape, c.scale = src->scale;
  if (src->parts && (c.parts = calloc(src->d, sizeof *c.parts)) == NULL) {
    issim_cefit_params_clear(&c);
    return ISSIM_ENOMEM;
  }
  for (size_t j = 0; src->parts && j < src->d; j++)
    if (issim_cefit_params_copy(&c.parts[j], &src->parts[j]) != ISSIM_OK) {
      issim_cefit_params_clear(&c);
      return ISSIM_ENOMEM;
    }
  c.credit_base = src->credit_base;
  issim_cefit_params_clear(dst);
  *dst = c;
  return ISSIM_OK;
}

/* Component j's univariate member from its distribution c, in family f
 * (independent: c's own). */
static int part_of(issim_cefit_params *part, issim_cefit_family f, const issim_dist *c, size_t j,
                   const char *what, issim_error *err)
{
  issim_cefit_family own = c->kind == ISSIM_DIST_NORMAL        ? ISSIM_CE_NORMAL
                        : c->kind == ISSIM_DIST_EXPONENTIAL ? ISSIM_CE_EXPONENTIAL
                        : c->kind == ISSIM_DIST_GAMMA       ? ISSIM_CE_GAMMA
                                                            : ISSIM_CE_AUTO;
  if (own == ISSIM_CE_AUTO || (f != ISSIM_CE_INDEPENDENT && own != f))
    return issim_error_set(err, ISSIM_EINVAL, "family %s fits %s components; component %zu of %s "
                                              "is %s", issim_cefit_family_name(f),
                           f == ISSIM_CE_INDEPENDENT ? "normal, exponential and gamma"
                                                     : issim_cefit_family_name(f),
                           j + 1, what, issim_dist_name(c));
  if (issim_cefit_params_init(part, own, 1, 1) != ISSIM_OK)
    return issim_error_set(err, ISSIM_ENOMEM, "out of memory");
  part->weight[0] = 1;
  part->mean[0] = c->param[0], part->cov[0] = c->param[1] * c->param[1]; /* normal */
  part->rate = c->param[0], part->location = c->param[1];                /* exponential */
  part->shape = c->param[0], part->scale = c->param[1];                  /* gamma */
  return ISSIM_OK;
}

int issim_cefit_params_init_independent(issim_cefit_params *v, issim_cefit_family f, const issim_model *m,
                                     const char *what, issim_error *err)
{
  size_t d = issim_model_dim(m);
  if (issim_model_kind_of(m) != ISSIM_MODEL_INDEPENDENT)
    return issim_error_set(err, ISSIM_EINVAL, "family %s fits independent components in x; %s "
                                              "is not an independent model", issim_cefit_family_name(f),
                           what);
  if (issim_cefit_params_init(v, f, d, 1) != ISSIM_OK || (v->parts = calloc(d, sizeof *v->parts)) == NULL)
    return issim_error_set(err, ISSIM_ENOMEM, "out of memory");
  v->weight[0] = 1;
  for (size_t j = 0; j < d; j++) {
    int rc = part_of(&v->parts[j], f, issim_model_component(m, j), j, what, err);
    if (rc != ISSIM_OK)
      return rc;
  }
  return ISSIM_OK;
}

issim_dist *issim_cefit_params_dist(const issim_cefit_params *v, issim_error *err)
{
  if (v->d != 1) {
    issim_error_set(err, ISSIM_EINVAL, "a %zu-dimensional proposal is not a univariate distribution", v->d);
    return NULL;
  }
  switch (v->family) {
  case ISSIM_CE_NORMAL:
    return issim_dist_alloc_normal(v->mean[0], sqrt(v->cov[0]), err);
  case ISSIM_CE_STUDENT_T: {
    const char *keys[] = {"df", "location", "scale"};
    double values[] = {v->df, v->mean[0], sqrt(v->cov[0])};
    return issim_dist_alloc("student-t", 3, keys, values, err);
  }
  case ISSIM_CE_EXPONENTIAL: {
    const char *keys[] = {"rate", "location"};
    double values[] = {v->rate, v->location};
    return issim_dist_alloc("exponential", 2, keys, values, err);
  }
  case ISSIM_CE_GAMMA: {
    const char *keys[] = {"shape", "scale"};
    double values[] = {v->shape, v->scale};
    return issim_dist_alloc("gamma", 2, keys, values, err);
  }
  default:
    issim_error_set(err, ISSIM_EINVAL, "a %s proposal is not a univariate distribution",
                    issim_cefit_family_name(v->family));
    return NULL;
  }
}

/* A one-dimensional model wrapping the distribution, as a scenario wraps its
 * univariate proposals: the same densities to the last bit. */
static issim_model *wrapped(issim_dist *dist, issim_error *err)
{
  if (dist == NULL)
    return NULL;
  const issim_dist *one = dist;
  issim_model *m = issim_model_alloc_independent(1, &one, err);
  issim_dist_free(dist);
  return m;
}

/* Component j of a mixture (or the one normal) as a model. */
static issim_model *normal_part(const issim_cefit_params *v, size_t j, issim_error *err)
{
  size_t d = v->d;
  if (d == 1)
    return wrapped(issim_dist_alloc_normal(v->mean[j], sqrt(v->cov[j]), err), err);
  return issim_model_alloc_normal(d, v->mean + j * d, v->cov + j * d * d, err);
}

issim_model *issim_cefit_params_standard_model(const issim_cefit_params *v, issim_error *err)
{
  size_t d = v->d;
  if (v->family == ISSIM_CE_NORMAL)
    return issim_model_alloc_normal(d, v->mean, v->cov, err);
  if (v->family != ISSIM_CE_MIXTURE) {
    issim_error_set(err, ISSIM_EINVAL, "in the standard space issim fits normal and mixture "
                                       "families, not %s", issim_cefit_family_name(v->family));
    return NULL;
  }
  issim_model **parts = calloc(v->k, sizeof *parts), *m = NULL;
  int ok = parts != NULL;
  if (!ok)
    issim_error_set(err, ISSIM_ENOMEM, "out of memory for a mixture");
  for (size_t j = 0; ok && j < v->k; j++)
    ok = (parts[j] = issim_model_alloc_normal(d, v->mean + j * d, v->cov + j * d * d, err)) != NULL;
  if (ok)
    m = issim_model_alloc_mixture(v->k, (const issim_model *const *)parts, v->weight, err);
  for (size_t j = 0; parts && j < v->k; j++)
    issim_model_free(parts[j]);
  free(parts);
  return m;
}

/* An independent member's model: its parts' distributions. */
static issim_model *independent_model(const issim_cefit_params *v, issim_error *err)
{
  issim_dist **c = calloc(v->d, sizeof *c);
  issim_model *m = NULL;
  int ok = c != NULL;
  if (!ok)
    issim_error_set(err, ISSIM_ENOMEM, "out of memory");
  for (size_t j = 0; ok && j < v->d; j++)
    ok = (c[j] = issim_cefit_params_dist(&v->parts[j], err)) != NULL;
  if (ok)
    m = issim_model_alloc_independent(v->d, (const issim_dist *const *)c, err);
  for (size_t j = 0; c && j < v->d; j++)
    issim_dist_free(c[j]);
  free(c);
  return m;
}

/* The base's law with the member's shift (its twist kept). */
static issim_model *credit_member(const issim_cefit_params *v, issim_error *err)
{
  const issim_credit_law *law = issim_model_credit_law(v->credit_base);
  return issim_model_alloc_credit(issim_credit_law_book(law), v->mean,
                                  issim_credit_law_twist(law), err);
}

issim_model *issim_cefit_params_model(const issim_cefit_params *v, issim_error *err)
{
  if (v->parts)
    return independent_model(v, err);
  if (v->family == ISSIM_CE_FACTOR_SHIFT)
    return credit_member(v, err);
  if (v->family == ISSIM_CE_MIXTURE) {
    issim_model **parts = calloc(v->k, sizeof *parts);
    int ok = parts != NULL;
    for (size_t j = 0; ok && j < v->k; j++)
      ok = (parts[j] = normal_part(v, j, err)) != NULL;
    issim_model *m = ok ? issim_model_alloc_mixture(v->k, (const issim_model *const *)parts,
                                                    v->weight, err)
                        : NULL;
    for (size_t j = 0; parts && j < v->k; j++)
      issim_model_free(parts[j]);
    free(parts);
    if (!ok && parts == NULL)
      issim_error_set(err, ISSIM_ENOMEM, "out of memory for a mixture");
    return m;
  }
  if (v->d == 1)
    return wrapped(issim_cefit_params_dist(v, err), err);
  if (v->family == ISSIM_CE_NORMAL)
    return issim_model_alloc_normal(v->d, v->mean, v->cov, err);
  if (v->family == ISSIM_CE_STUDENT_T)
    return issim_model_alloc_student_t(v->d, v->df, v->mean, v->cov, err);
  issim_error_set(err, ISSIM_EINVAL, "a %s proposal has one dimension, not %zu",
                  issim_cefit_family_name(v->family), v->d);
  return NULL;
}

/* "(a, b, c, ...)": the first coordinates of a vector */
static size_t describe_vector(char *buf, size_t size, const double *x, size_t d, size_t stride)
{
  size_t used = (size_t)snprintf(buf, size, d == 1 ? "" : "(");
  for (size_t j = 0; j < d && j < 3 && used < size; j++)
    used += (size_t)snprintf(buf + used, size - used, "%s%.4g", j ? ", " : "", x[j * stride]);
  if (used < size && d > 1)
    used += (size_t)snprintf(buf + used, size - used, "%s)", d > 3 ? ", ..." : "");
  return used < size ? used : size;
}

void issim_cefit_params_describe(const issim_cefit_params *v, char *buf, size_t size)
{
  size_t d = v->d, used = 0;
  if (size == 0)
    return;
  buf[0] = '\0';
  for (size_t j = 0; v->parts && j < d && j < 3 && used + 1 < size; j++) {
    used += (size_t)snprintf(buf + used, size - used, "%sx%zu ", j ? "; " : "", j + 1);
    if (used + 1 < size)
      issim_cefit_params_describe(&v->parts[j], buf + used, size - used);
    used += strlen(buf + used);
  }
  if (v->parts) {
    if (d > 3 && used + 1 < size)
      snprintf(buf + used, size - used, "; ...");
    return;
  }
  switch (v->family) {
  case ISSIM_CE_EXPONENTIAL:
    snprintf(buf, size, "location=%.6g rate=%.6g", v->location, v->rate);
    return;
  case ISSIM_CE_GAMMA:
    snprintf(buf, size, "shape=%.6g scale=%.6g", v->shape, v->scale);
    return;
  case ISSIM_CE_FACTOR_SHIFT:
    used = (size_t)snprintf(buf, size, "shift=");
    if (used + 1 < size)
      describe_vector(buf + used, size - used, v->mean, d, 1);
    return;
  default:
    break;
  }
  double sd[3];
  for (size_t j = 0; j < v->k && used + 1 < size; j++) {
    const double *m = v->mean + j * d, *c = v->cov + j * d * d;
    for (size_t i = 0; i < d && i < 3; i++)
      sd[i] = sqrt(c[i * d + i]);
    if (v->family == ISSIM_CE_MIXTURE)
      used += (size_t)snprintf(buf + used, size - used, "%s%.3g at ", j ? "; " : "", v->weight[j]);
    if (used + 1 >= size)
      break;
    used += (size_t)snprintf(buf + used, size - used, "%s=",
                             v->family == ISSIM_CE_STUDENT_T ? "location" : "mean");
    if (used + 1 < size)
      used += describe_vector(buf + used, size - used, m, d, 1);
    if (used + 1 < size)
      used += (size_t)snprintf(buf + used, size - used, " %s=",
                               v->family == ISSIM_CE_STUDENT_T ? "scale" : "sd");
    if (used + 1 < size)
      used += describe_vector(buf + used, size - used, sd, d < 3 ? d : 3, 1);
    if (v->family == ISSIM_CE_STUDENT_T && used + 1 < size)
      used += (size_t)snprintf(buf + used, size - used, " df=%.6g", v->df);
  }
}

double issim_cefit_floor_covariance(size_t d, double *c, const double *s, double min_spread)
{
  double *l = malloc(d * d * sizeof *l), *a = malloc(d * d * sizeof *a),
         *col = malloc(2 * d * sizeof *col);
  gsl_matrix *am = gsl_matrix_alloc(d, d), *vecs = gsl_matrix_alloc(d, d);
  gsl_vector *vals = gsl_vector_alloc(d);
  gsl_eigen_symmv_workspace *ws = gsl_eigen_symmv_alloc(d);
  double smallest = NAN;
  if (!l || !a || !col || !am || !vecs || !vals || !ws ||
      issim_linalg_cholesky_recurrence(d, s, l, NULL) != ISSIM_OK)
    goto done;
  /* a = l^-1 c l^-T, column by column: b = l^-1 c, then a = l^-1 b^T */
  for (size_t j = 0; j < d; j++) {
    for (size_t i = 0; i < d; i++)
      col[i] = c[i * d + j];
    issim_linalg_forward_solve(d, l, col, col + d);
    for (size_t i = 0; i < d; i++)
      a[j * d + i] = col[d + i]; /* a holds b^T */
  }
  for (size_t j = 0; j < d; j++) {
    issim_linalg_forward_solve(d, l, a + j * d, col); /* column j of l^-1 b^T is l^-1 (row j of b^T) */
    for (size_t i = 0; i < d; i++)
      gsl_matrix_set(am, i, j, col[i]);
  }
  for (size_t i = 0; i < d; i++) /* symmetric up to rounding */
    for (size_t j = 0; j < i; j++) {
      double m = 0.5 * (gsl_matrix_get(am, i, j) + gsl_matrix_get(am, j, i));
      gsl_matrix_set(am, i, j, m);
      gsl_matrix_set(am, j, i, m);
    }
  if (gsl_eigen_symmv(am, vals, vecs, ws) != GSL_SUCCESS)
    goto done;
  double floor2 = min_spread * min_spread;
  smallest = INFINITY;
  for (size_t i = 0; i < d; i++) {
    double e = gsl_vector_get(vals, i);
    smallest = e < smallest ? e : smallest;
    gsl_vector_set(vals, i, e > floor2 ? e : floor2);
  }
  /* c = l (V diag(vals) V^T) l^T */
  for (size_t i = 0; i < d; i++)
    for (size_t j = 0; j < d; j++) {
      double m = 0;
      for (size_t k = 0; k < d; k++)
        m += gsl_matrix_get(vecs, i, k) * gsl_vector_get(vals, k) * gsl_matrix_get(vecs, j, k);
      a[i * d + j] = m;
    }
  for (size_t i = 0; i < d; i++) /* col = row i of l a, then c[i][j] = (l a)_i . l_j */
    for (size_t j = 0; j <= i; j++) {
      double m = 0;
      for (size_t k = 0; k <= j; k++) {
        double la = 0;
        for (size_t p = 0; p <= i; p++)
          la += l[i * d + p] * a[p * d + k];
        m += la * l[j * d + k];
      }
      c[i * d + j] = c[j * d + i] = m;
    }
done:
  free(l);
  free(a);
  free(col);
  gsl_matrix_free(am);
  gsl_matrix_free(vecs);
  gsl_vector_free(vals);
  if (ws)
    gsl_eigen_symmv_free(ws);
  return smallest;
}

/* ---- weighted maximum likelihood ---- */

/* w[i] = exp(log_w[i] - max): weights scaled so the largest is 1; returns
 * their sum (0 when none is positive).  NaN log-weights count as 0. */
static double scaled_weights(size_t m, const double *log_w, double *w)
{
  double top = -INFINITY;
  for (size_t i = 0; i < m; i++)
    if (log_w[i] > top)
      top = log_w[i];
  double sum = 0;
  for (size_t i = 0; i < m; i++) {
    w[i] = isfinite(top) && log_w[i] > -INFINITY ? exp(log_w[i] - top) : 0;
    sum += w[i];
  }
  return sum;
}

/* mean (d) and, if cov != NULL, covariance (d x d) of the points under
 * weights w[i] * u[i] (u NULL: 1) for the mean, w[i] * u[i] / (sum w) for the
 * covariance (the student-t M-step; u = 1 gives the ordinary moments). */
static void weighted_moments(size_t m, size_t d, const double *x, const double *w,
                             const double *u, double *mean, double *cov)
{
  double sw = 0, swu = 0;
  for (size_t j = 0; j < d; j++)
    mean[j] = 0;
  for (size_t i = 0; i < m; i++) {
    double wi = w[i] * (u ? u[i] : 1);
    sw += w[i];
    swu += wi;
    for (size_t j = 0; j < d; j++)
      mean[j] += wi * x[i * d + j];
  }
  for (size_t j = 0; j < d; j++)
    mean[j] /= swu;
  if (cov == NULL)
    return;
  for (size_t j = 0; j < d * d; j++)
    cov[j] = 0;
  for (size_t i = 0; i < m; i++) {
    double wi = w[i] * (u ? u[i] : 1);
    for (size_t a = 0; a < d; a++) {
      double da = x[i * d + a] - mean[a];
      for (size_t b = 0; b <= a; b++)
        cov[a * d + b] += wi * da * (x[i * d + b] - mean[b]);
    }
  }
  for (size_t a = 0; a < d; a++)
    for (size_t b = 0; b <= a; b++)
      cov[a * d + b] = cov[b * d + a] = cov[a * d + b] / sw;
}

static int floor_spread(const issim_cefit_update_rules *rules, size_t d, double *cov,
                        issim_error *err)
{
  if (rules->target_cov == NULL)
    return issim_error_set(err, ISSIM_EINVAL, "the spread update needs the target's covariance "
                                              "for its floor, and this target has none");
  if (isnan(issim_cefit_floor_covariance(d, cov, rules->target_cov, rules->min_spread)))
    return issim_error_set(err, ISSIM_EINVAL, "the target's covariance is not positive definite");
  return ISSIM_OK;
}

static int update_normal(issim_cefit_params *v, size_t m, const double *x, const double *w,
                         const issim_cefit_update_rules *rules, issim_error *err)
{
  double *cov = rules->update_spread ? v->cov : NULL;
  weighted_moments(m, v->d, x, w, NULL, v->mean, cov);
  return cov ? floor_spread(rules, v->d, v->cov, err) : ISSIM_OK;
}

/* The student-t location (and scale) by EM with latent scale variables:
 * u_i = (df + d) / (df + delta_i), location = sum w u x / sum w u, scale =
 * sum w u (x - location)(x - location)^T / sum w. */
static int update_student_t(issim_cefit_params *v, size_t m, const double *x, const double *w,
                            const issim_cefit_update_rules *rules, issim_error *err)
{
  size_t d = v->d;
  double *u = malloc(m * sizeof *u), *l = malloc(d * d * sizeof *l),
         *scratch = malloc(2 * d * sizeof *scratch), *old = malloc(d * sizeof *old);
  int rc = u && l && scratch && old ? ISSIM_OK
                                    : issim_error_set(err, ISSIM_ENOMEM, "out of memory");
  for (int it = 0; rc == ISSIM_OK && it < EM_ITERATIONS; it++) {
    if (issim_linalg_cholesky_recurrence(d, v->cov, l, NULL) != ISSIM_OK) {
      rc = issim_error_set(err, ISSIM_EINVAL, "the student-t scale matrix lost positive definiteness");
      break;
    }
    issim_linalg_mahalanobis_rows(m, d, l, x, v->mean, u, scratch);
    for (size_t i = 0; i < m; i++)
      u[i] = (v->df + (double)d) / (v->df + u[i]);
    memcpy(old, v->mean, d * sizeof *old);
    weighted_moments(m, d, x, w, u, v->mean, rules->update_spread ? v->cov : NULL);
    if (rules->update_spread)
      rc = floor_spread(rules, d, v->cov, err);
    double change = 0, size = 0;
    for (size_t j = 0; j < d; j++) {
      change += fabs(v->mean[j] - old[j]);
      size += fabs(v->mean[j]) + sqrt(v->cov[j * d + j]);
    }
    if (change <= EM_TOLERANCE * size)
      break;
  }
  free(u), free(l), free(scratch), free(old);
  return rc;
}

/* k starting means for a mixture: the heaviest elite, then repeatedly the
 * elite farthest (in the metric of l) from those chosen. */
static void farthest_points(size_t m, size_t d, const double *x, const double *w,
                            const double *l, size_t k, double *means, double *scratch,
                            double *dist)
{
  size_t first = 0;
  for (size_t i = 1; i < m; i++)
    if (w[i] > w[first])
      first = i;
  memcpy(means, x + first * d, d * sizeof *means);
  for (size_t i = 0; i < m; i++)
    dist[i] = INFINITY;
  for (size_t c = 1; c < k; c++) {
    double *delta = dist + m; /* distances to the last chosen */
    issim_linalg_mahalanobis_rows(m, d, l, x, means + (c - 1) * d, delta, scratch);
    size_t best = 0;
    for (size_t i = 0; i < m; i++) {
      if (delta[i] < dist[i])
        dist[i] = delta[i];
      if (dist[i] > dist[best])
        best = i;
    }
    memcpy(means + c * d, x + best * d, d * sizeof *means);
  }
}

/* From one normal to k components on the elites: means spread by
 * farthest_points, every covariance and weight the one normal's. */
static int spread_mixture(issim_cefit_params *v, size_t m, const double *x, const double *w,
                          size_t k, issim_error *err)
{
  size_t d = v->d;
  if (k > m)
    k = m;
  issim_cefit_params c;
  double *l = malloc(d * d * sizeof *l), *scratch = malloc(2 * d * sizeof *scratch),
         *dist = malloc(2 * m * sizeof *dist);
  int rc = issim_cefit_params_init(&c, ISSIM_CE_MIXTURE, d, k);
  if (rc != ISSIM_OK || !l || !scratch || !dist)
    rc = issim_error_set(err, ISSIM_ENOMEM, "out of memory");
  else if (issim_linalg_cholesky_recurrence(d, v->cov, l, NULL) != ISSIM_OK)
    rc = issim_error_set(err, ISSIM_EINVAL, "the mixture's covariance is not positive definite");
  if (rc == ISSIM_OK) {
    farthest_points(m, d, x, w, l, k, c.mean, scratch, dist);
    for (size_t j = 0; j < k; j++) {
      c.weight[j] = 1.0 / (double)k;
      memcpy(c.cov + j * d * d, v->cov, d * d * sizeof *c.cov);
    }
    issim_cefit_params_clear(v);
    *v = c;
  } else {
    issim_cefit_params_clear(&c);
  }
  free(l), free(scratch), free(dist);
  return rc;
}

/* log N(x; mean, l l^T) of every point, given the factor l. */
static void normal_log_pdf(size_t m, size_t d, const double *x, const double *mean,
                           const double *l, double *out, double *scratch)
{
  const double log_det = issim_linalg_lower_log_det(d, l);
  issim_linalg_mahalanobis_rows(m, d, l, x, mean, out, scratch);
  for (size_t i = 0; i < m; i++)
    out[i] = -0.5 * out[i] - log_det - 0.5 * (double)d * LOG_2PI;
}

/* Drops components with no weight, keeping the order of the others. */
static void drop_empty_components(issim_cefit_params *v)
{
  size_t d = v->d, kept = 0;
  for (size_t j = 0; j < v->k; j++) {
    if (!(v->weight[j] >= MIN_COMPONENT_SHARE))
      continue;
    v->weight[kept] = v->weight[j];
    memmove(v->mean + kept * d, v->mean + j * d, d * sizeof *v->mean);
    memmove(v->cov + kept * d * d, v->cov + j * d * d, d * d * sizeof *v->cov);
    kept++;
  }
  double total = 0;
  for (size_t j = 0; j < kept; j++)
    total += v->weight[j];
  for (size_t j = 0; j < kept; j++)
    v->weight[j] /= total;
  v->k = kept;
}

/* One EM step of a weighted Gaussian mixture; returns the weighted
 * log-likelihood before the step, NAN on failure. */
static double em_step(issim_cefit_params *v, size_t m, const double *x, const double *w,
                      const issim_cefit_update_rules *rules, double *r, double *l, double *scratch,
                      issim_error *err)
{
  size_t d = v->d, k = v->k;
  for (size_t j = 0; j < k; j++) { /* r[i k + j] = log pi_j + log N_j(x_i) */
    if (issim_linalg_cholesky_recurrence(d, v->cov + j * d * d, l, NULL) != ISSIM_OK) {
      issim_error_set(err, ISSIM_EINVAL, "a mixture component's covariance is not positive definite");
      return NAN;
    }
    normal_log_pdf(m, d, x, v->mean + j * d, l, scratch + 2 * d, scratch);
    for (size_t i = 0; i < m; i++)
      r[i * k + j] = log(v->weight[j]) + scratch[2 * d + i];
  }
  double loglik = 0, sw = 0;
  for (size_t i = 0; i < m; i++) { /* responsibilities by log-sum-exp */
    double top = -INFINITY, s = 0;
    for (size_t j = 0; j < k; j++)
      top = r[i * k + j] > top ? r[i * k + j] : top;
    for (size_t j = 0; j < k; j++)
      s += (r[i * k + j] = exp(r[i * k + j] - top));
    for (size_t j = 0; j < k; j++)
      r[i * k + j] /= s;
    if (w[i] > 0) {
      loglik += w[i] * (top + log(s));
      sw += w[i];
    }
  }
  double *wr = scratch + 2 * d; /* w_i r_ij for one j */
  for (size_t j = 0; j < k; j++) {
    double nj = 0;
    for (size_t i = 0; i < m; i++)
      nj += (wr[i] = w[i] * r[i * k + j]);
    v->weight[j] = nj / sw;
    if (!(nj > 0))
      continue;
    weighted_moments(m, d, x, wr, NULL, v->mean + j * d,
                     rules->update_spread ? v->cov + j * d * d : NULL);
    if (rules->update_spread && floor_spread(rules, d, v->cov + j * d * d, err) != ISSIM_OK)
      return NAN;
  }
  drop_empty_components(v);
  return loglik / sw;
}

static int update_mixture(issim_cefit_params *v, size_t m, const double *x, const double *w,
                          const issim_cefit_update_rules *rules, size_t components, issim_error *err)
{
  if (v->k == 1 && components > 1) {
    int rc = spread_mixture(v, m, x, w, components, err);
    if (rc != ISSIM_OK)
      return rc;
  }
  size_t d = v->d;
  double *r = malloc(m * v->k * sizeof *r), *l = malloc(d * d * sizeof *l),
         *scratch = malloc((2 * d + m) * sizeof *scratch);
  int rc = r && l && scratch ? ISSIM_OK : issim_error_set(err, ISSIM_ENOMEM, "out of memory");
  double last = -INFINITY;
  for (int it = 0; rc == ISSIM_OK && it < EM_ITERATIONS; it++) {
    double ll = em_step(v, m, x, w, rules, r, l, scratch, err);
    if (isnan(ll))
      rc = err->code ? err->code : ISSIM_EINVAL;
    else if (fabs(ll - last) <= EM_TOLERANCE * (1 + fabs(ll)))
      break;
    last = ll;
  }
  free(r), free(l), free(scratch);
  return rc;
}

/* location = rules->location (unless NAN), rate = sum w / sum w (x - location). */
static int update_exponential(issim_cefit_params *v, size_t m, const double *x, const double *w,
                              const issim_cefit_update_rules *rules, issim_error *err)
{
  if (!isnan(rules->location))
    v->location = rules->location;
  double sw = 0, swx = 0;
  for (size_t i = 0; i < m; i++) {
    sw += w[i];
    swx += w[i] * (x[i] - v->location);
  }
  if (!(swx > 0))
    return issim_error_set(err, ISSIM_EINVAL, "the elite draws all sit at the exponential's "
                                              "location: no rate fits them");
  v->rate = sw / swx;
  return ISSIM_OK;
}

/* The gamma MLE: scale = mean / shape, and (with the spread) the shape
 * solving log a - psi(a) = log(mean) - mean(log x), by Newton from Minka's
 * approximation. */
static int update_gamma(issim_cefit_params *v, size_t m, const double *x, const double *w,
                        const issim_cefit_update_rules *rules, issim_error *err)
{
  double sw = 0, swx = 0, swl = 0;
  for (size_t i = 0; i < m; i++) {
    sw += w[i];
    swx += w[i] * x[i];
    swl += w[i] * log(x[i]);
  }
  double mean = swx / sw, s = log(mean) - swl / sw;
  if (rules->update_spread) {
    if (!(s > 0) || !isfinite(s))
      return issim_error_set(err, ISSIM_EINVAL, "the elite draws are all equal: no gamma "
                                                "shape fits them");
    double a = (3 - s + sqrt((s - 3) * (s - 3) + 24 * s)) / (12 * s);
    for (int it = 0; it < NEWTON_ITERATIONS; it++) {
      gsl_sf_result psi, psi1;
      if (gsl_sf_psi_e(a, &psi) != GSL_SUCCESS || gsl_sf_psi_1_e(a, &psi1) != GSL_SUCCESS)
        break;
      double f = log(a) - psi.val - s, step = f / (1 / a - psi1.val);
      double next = a - step;
      a = next > 0 ? next : a / 2;
      if (fabs(step) <= 1e-14 * a)
        break;
    }
    v->shape = a;
  }
  v->scale = mean / v->shape;
  return ISSIM_OK;
}

/* An independent member: each coordinate's own family fitted to its column
 * of the points, with the target's variance of that coordinate for the
 * spread floor. */
static int update_independent(issim_cefit_params *v, size_t m, const double *x, const double *w,
                              const issim_cefit_update_rules *rules, issim_error *err)
{
  size_t d = v->d;
  double *col = malloc((m ? m : 1) * sizeof *col);
  int rc = col ? ISSIM_OK : issim_error_set(err, ISSIM_ENOMEM, "out of memory");
  for (size_t j = 0; rc == ISSIM_OK && j < d; j++) {
    issim_cefit_params *part = &v->parts[j];
    issim_cefit_update_rules r = *rules;
    r.target_cov = rules->target_cov ? rules->target_cov + j * d + j : NULL;
    r.location = NAN;
    for (size_t i = 0; i < m; i++)
      col[i] = x[i * d + j];
    rc = part->family == ISSIM_CE_NORMAL        ? update_normal(part, m, col, w, &r, err)
         : part->family == ISSIM_CE_EXPONENTIAL ? update_exponential(part, m, col, w, &r, err)
                                                : update_gamma(part, m, col, w, &r, err);
  }
  free(col);
  return rc;
}

/* The weighted mean of the elites' factors (the first d coordinates of
 * rows of the base model's dimension): the shift nearest the zero-variance
 * law in KL, whatever the twist, which does not depend on the shift. */
static int update_factor_shift(issim_cefit_params *v, size_t m, const double *x, const double *w)
{
  const size_t row = issim_model_dim(v->credit_base);
  double sw = 0;
  for (size_t j = 0; j < v->d; j++)
    v->mean[j] = 0;
  for (size_t i = 0; i < m; i++) {
    sw += w[i];
    for (size_t j = 0; j < v->d; j++)
      v->mean[j] += w[i] * x[i * row + j];
  }
  for (size_t j = 0; j < v->d; j++)
    v->mean[j] /= sw;
  return ISSIM_OK;
}

int issim_cefit_update(issim_cefit_params *v, size_t m, const double *x, const double *log_w,
                    const issim_cefit_update_rules *rules, size_t components, issim_error *err)
{
  double *w = malloc((m ? m : 1) * sizeof *w);
  if (w == NULL)
    return issim_error_set(err, ISSIM_ENOMEM, "out of memory");
  int rc;
  if (m == 0 || !(scaled_weights(m, log_w, w) > 0))
    rc = issim_error_set(err, ISSIM_EINVAL, "no elite draw carries weight: the level holds "
                                            "nothing to fit");
  else if (v->parts)
    rc = update_independent(v, m, x, w, rules, err);
  else if (v->family == ISSIM_CE_NORMAL)
    rc = update_normal(v, m, x, w, rules, err);
  else if (v->family == ISSIM_CE_STUDENT_T)
    rc = update_student_t(v, m, x, w, rules, err);
  else if (v->family == ISSIM_CE_MIXTURE)
    rc = update_mixture(v, m, x, w, rules, components, err);
  else if (v->family == ISSIM_CE_EXPONENTIAL)
    rc = update_exponential(v, m, x, w, rules, err);
  else if (v->family == ISSIM_CE_GAMMA)
    rc = update_gamma(v, m, x, w, rules, err);
  else if (v->family == ISSIM_CE_FACTOR_SHIFT)
    rc = update_factor_shift(v, m, x, w);
  else
    rc = issim_error_set(err, ISSIM_EINVAL, "no update for family %s", issim_cefit_family_name(v->family));
  free(w);
  return rc;
}

/* ---- saving ---- */

/* "key = v1 v2 ..." with at most six numbers a line, continued on indented
 * lines (a scenario line holds at most 198 characters). */
static void write_numbers(FILE *out, const char *key, const double *x, size_t n)
{
  fprintf(out, "%s =", key);
  for (size_t i = 0; i < n; i++)
    fprintf(out, "%s%.17g", i > 0 && i % 6 == 0 ? "\n   " : " ", x[i]);
  fputc('\n', out);
}

static void write_normal_section(FILE *out, const char *name, size_t d, const double *mean,
                                 const double *cov)
{
  fprintf(out, "[proposal %s]\n", name);
  if (d == 1) {
    fprintf(out, "distribution = normal\nmean = %.17g\nsd = %.17g\n", mean[0], sqrt(cov[0]));
    return;
  }
  fprintf(out, "distribution = multivariate-normal\ndimension = %zu\n", d);
  write_numbers(out, "mean", mean, d);
  write_numbers(out, "covariance", cov, d * d);
}

/* A normal of u as a standard-space section (mean and covariance in any
 * dimension: the multivariate normal issim_cefit_params_standard_model makes). */
static void write_standard_section(FILE *out, const char *name, size_t d, const double *mean,
                                   const double *cov)
{
  fprintf(out, "[proposal %s]\ndistribution = standard-space\n", name);
  write_numbers(out, "mean", mean, d);
  write_numbers(out, "covariance", cov, d * d);
}

/* A mixture: one section per component (by `section`), then the mixture of
 * them, NAME.1 to NAME.k. */
static void write_mixture(FILE *out, const char *name, const issim_cefit_params *v,
                          void (*section)(FILE *, const char *, size_t, const double *,
                                          const double *))
{
  size_t d = v->d;
  for (size_t j = 0; j < v->k; j++) {
    char part[256];
    snprintf(part, sizeof part, "%s.%zu", name, j + 1);
    section(out, part, d, v->mean + j * d, v->cov + j * d * d);
    fputc('\n', out);
  }
  fprintf(out, "[proposal %s]\ndistribution = mixture\ncomponents =", name);
  for (size_t j = 0; j < v->k; j++)
    fprintf(out, "%s%.17g %s.%zu", j ? "\n  + " : " ", v->weight[j], name, j + 1);
  fputc('\n', out);
}

void issim_cefit_params_write_standard(FILE *out, const char *name, const issim_cefit_params *v)
{
  if (v->family == ISSIM_CE_NORMAL)
    write_standard_section(out, name, v->d, v->mean, v->cov);
  else
    write_mixture(out, name, v, write_standard_section);
}

/* An independent member as an independent section: the components'
 * families (one name when they share it), then each parameter key with the
 * values of the components whose family takes it, in their order (the
 * scenario's reading: docs/scenarios.md). */
static void write_independent(FILE *out, const char *name, const issim_cefit_params *v)
{
  static const struct {
    issim_cefit_family f;
    const char *family, *key[2];
  } fam[] = {{ISSIM_CE_NORMAL, "normal", {"mean", "sd"}},
             {ISSIM_CE_EXPONENTIAL, "exponential", {"rate", "location"}},
             {ISSIM_CE_GAMMA, "gamma", {"shape", "scale"}}};
  size_t d = v->d, one = 1, n;
  for (size_t j = 1; j < d; j++)
    one &= v->parts[j].family == v->parts[0].family;
  fprintf(out, "[proposal %s]\ndistribution = independent\ndimension = %zu\ncomponent =", name, d);
  for (size_t j = 0; j < (one ? 1 : d); j++)
    for (size_t f = 0; f < 3; f++)
      if (fam[f].f == v->parts[j].family)
        fprintf(out, "%s%s", j > 0 && j % 6 == 0 ? "\n   " : " ", fam[f].family);
  fputc('\n', out);
  double *x = malloc(d * sizeof *x);
  for (size_t f = 0; x && f < 3; f++)
    for (int k = 0; k < 2; k++) {
      n = 0;
      for (size_t j = 0; j < d; j++) {
        const issim_cefit_params *p = &v->parts[j];
        if (p->family != fam[f].f)
          continue;
        x[n++] = f == 0 ? (k == 0 ? p->mean[0] : sqrt(p->cov[0]))
               : f == 1 ? (k == 0 ? p->rate : p->location)
                        : (k == 0 ? p->shape : p->scale);
      }
      if (n > 0)
        write_numbers(out, fam[f].key[k], x, n);
    }
  free(x);
}

void issim_cefit_params_write(FILE *out, const char *name, const issim_cefit_params *v)
{
  size_t d = v->d;
  if (v->parts) {
    write_independent(out, name, v);
    return;
  }
  switch (v->family) {
  case ISSIM_CE_NORMAL:
    write_normal_section(out, name, d, v->mean, v->cov);
    break;
  case ISSIM_CE_STUDENT_T:
    fprintf(out, "[proposal %s]\n", name);
    if (d == 1) {
      fprintf(out, "distribution = student-t\ndf = %.17g\nlocation = %.17g\nscale = %.17g\n",
              v->df, v->mean[0], sqrt(v->cov[0]));
      break;
    }
    fprintf(out, "distribution = multivariate-t\ndimension = %zu\ndf = %.17g\n", d, v->df);
    write_numbers(out, "location", v->mean, d);
    write_numbers(out, "scale", v->cov, d * d);
    break;
  case ISSIM_CE_EXPONENTIAL:
    fprintf(out, "[proposal %s]\ndistribution = exponential\nrate = %.17g\nlocation = %.17g\n",
            name, v->rate, v->location);
    break;
  case ISSIM_CE_GAMMA:
    fprintf(out, "[proposal %s]\ndistribution = gamma\nshape = %.17g\nscale = %.17g\n", name,
            v->shape, v->scale);
    break;
  case ISSIM_CE_FACTOR_SHIFT: {
    double level = issim_credit_law_twist(issim_model_credit_law(v->credit_base));
    fprintf(out, "[proposal %s]\ndistribution = %s\n", name,
            isnan(level) ? "factor-shift" : "glasserman-li");
    write_numbers(out, "shift", v->mean, d);
    if (!isnan(level))
      fprintf(out, "level = %.17g\n", level);
    break;
  }
  default: /* a mixture: its components first, then the mixture of them */
    write_mixture(out, name, v, write_normal_section);
  }
}

