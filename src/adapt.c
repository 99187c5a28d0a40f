#define _POSIX_C_SOURCE 200809L /* strdup */

#include "adapt.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_eigen.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_sf_psi.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "clock.h"
#include "engine.h"
#include "linalg.h"
#include "parse.h"
#include "rng.h"
#include "sampler.h"
#include "tail.h"

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
                                           "exponential", "gamma"};

const char *issim_ce_family_name(issim_ce_family f)
{
  return (unsigned)f < sizeof FAMILY_NAMES / sizeof *FAMILY_NAMES ? FAMILY_NAMES[f] : "?";
}

int issim_ce_family_lookup(const char *name, issim_ce_family *f)
{
  for (size_t i = 1; i < sizeof FAMILY_NAMES / sizeof *FAMILY_NAMES; i++)
    if (strcmp(name, FAMILY_NAMES[i]) == 0) {
      *f = (issim_ce_family)i;
      return ISSIM_OK;
    }
  return ISSIM_EINVAL;
}

issim_ce_options issim_ce_options_default(void)
{
  return (issim_ce_options){
    .family = ISSIM_CE_AUTO, .rho = ISSIM_CE_DEFAULT_RHO,
    .level_draws = ISSIM_CE_DEFAULT_LEVEL_DRAWS, .alpha = 1,
    .max_levels = ISSIM_CE_DEFAULT_MAX_LEVELS, .update_spread = -1,
    .min_spread = ISSIM_CE_DEFAULT_MIN_SPREAD, .components = ISSIM_CE_DEFAULT_COMPONENTS,
  };
}

/* A number option of the cross-entropy method within (lo, hi] (lo_open) or
 * [lo, hi]; `whole` for counts. */
static int ce_number(const char *what, const char *value, double lo, int lo_open, double hi,
                     int whole, const char *meaning, double *out, issim_error *err)
{
  double x = NAN;
  int ok = issim_parse_number(value, what, &x, NULL) == ISSIM_OK && (lo_open ? x > lo : x >= lo) &&
           x <= hi && (!whole || x == floor(x));
  if (!ok)
    return issim_error_set_key(err, ISSIM_EINVAL, what, "%s must be %s from %.10g (%s) to %.10g, "
                                                        "%s (got '%s')",
                               what, whole ? "a whole number" : "a number", lo,
                               lo_open ? "excluded" : "included", hi, meaning, value);
  *out = x;
  return ISSIM_OK;
}

int issim_ce_options_set(issim_ce_options *o, const char *key, const char *what,
                         const char *value, issim_error *err)
{
  double x = NAN;
  int rc;
  if (strcmp(key, "family") == 0) {
    if (issim_ce_family_lookup(value, &o->family) != ISSIM_OK)
      return issim_error_set_key(err, ISSIM_EINVAL, what, "%s must be normal, student-t, mixture, "
                                                          "exponential or gamma (got '%s'); "
                                                          "without it the start's own family is fitted",
                                 what, value);
    return ISSIM_OK;
  }
  if (strcmp(key, "update") == 0) {
    if (strcmp(value, "mean") != 0 && strcmp(value, "mean+spread") != 0 &&
        strcmp(value, "auto") != 0)
      return issim_error_set_key(err, ISSIM_EINVAL, what, "%s must be 'mean' (means, locations "
                                                          "and rates only), 'mean+spread' (also "
                                                          "the spread, floored at min-spread) or "
                                                          "'auto' (the default: the family's own "
                                                          "choice) (got '%s')", what, value);
    o->update_spread = strcmp(value, "auto") == 0 ? -1 : strcmp(value, "mean+spread") == 0;
    return ISSIM_OK;
  }
  if (strcmp(key, "start") == 0) {
    char *copy = strcmp(value, "target") == 0 ? NULL : strdup(value);
    if (copy == NULL && strcmp(value, "target") != 0)
      return issim_error_set(err, ISSIM_ENOMEM, "out of memory");
    free(o->start);
    o->start = copy;
    return ISSIM_OK;
  }
  static const struct {
    const char *key;
    double lo, hi;
    int lo_open, whole;
    const char *meaning;
  } numbers[] = {
    {"rho", 0, 0.5, 1, 0, "the fraction of each level's draws kept as elite"},
    {"level-draws", 100, 1e9, 0, 1, "the draws of each level"},
    {"alpha", 0, 1, 1, 0, "the smoothing weight of each new fit (1: none)"},
    {"max-levels", 1, 1000, 0, 1, "the most levels before giving up"},
    {"min-spread", ISSIM_CE_SPREAD_BOUND, 100, 1, 0,
     "the floor on the spread relative to the target's (at 1/sqrt(2) and below, the weights' "
     "variance is infinite)"},
    {"components", 1, ISSIM_CE_MAX_COMPONENTS, 0, 1, "the normals of a mixture"},
  };
  size_t i = 0, n = sizeof numbers / sizeof *numbers;
  while (i < n && strcmp(key, numbers[i].key) != 0)
    i++;
  if (i == n)
    return issim_error_set_key(err, ISSIM_EINVAL, what, "unknown option '%s' of the "
                                                        "cross-entropy method", what);
  rc = ce_number(what, value, numbers[i].lo, numbers[i].lo_open, numbers[i].hi, numbers[i].whole,
                 numbers[i].meaning, &x, err);
  if (rc != ISSIM_OK)
    return rc;
  switch (i) {
  case 0: o->rho = x; break;
  case 1: o->level_draws = (uint64_t)x; break;
  case 2: o->alpha = x; break;
  case 3: o->max_levels = (unsigned)x; break;
  case 4: o->min_spread = x; break;
  default: o->components = (unsigned)x; break;
  }
  return ISSIM_OK;
}

/* ---- parameters ---- */

int issim_ce_params_init(issim_ce_params *v, issim_ce_family f, size_t d, size_t k)
{
  *v = (issim_ce_params){.family = f, .d = d, .k = k};
  v->weight = calloc(k, sizeof *v->weight);
  v->mean = calloc(k * d, sizeof *v->mean);
  v->cov = calloc(k * d * d, sizeof *v->cov);
  if (v->weight && v->mean && v->cov)
    return ISSIM_OK;
  issim_ce_params_clear(v);
  return ISSIM_ENOMEM;
}

void issim_ce_params_clear(issim_ce_params *v)
{
  free(v->weight);
  free(v->mean);
  free(v->cov);
  v->weight = v->mean = v->cov = NULL;
  v->k = 0;
}

int issim_ce_params_copy(issim_ce_params *dst, const issim_ce_params *src)
{
  issim_ce_params c;
  if (issim_ce_params_init(&c, src->family, src->d, src->k) != ISSIM_OK)
    return ISSIM_ENOMEM;
  memcpy(c.weight, src->weight, src->k * sizeof *c.weight);
  memcpy(c.mean, src->mean, src->k * src->d * sizeof *c.mean);
  memcpy(c.cov, src->cov, src->k * src->d * src->d * sizeof *c.cov);
  c.df = src->df, c.location = src->location, c.rate = src->rate;
  c.shape = src->shape, c.scale = src->scale;
  issim_ce_params_clear(dst);
  *dst = c;
  return ISSIM_OK;
}

issim_dist *issim_ce_params_dist(const issim_ce_params *v, issim_error *err)
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
                    issim_ce_family_name(v->family));
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
static issim_model *normal_part(const issim_ce_params *v, size_t j, issim_error *err)
{
  size_t d = v->d;
  if (d == 1)
    return wrapped(issim_dist_alloc_normal(v->mean[j], sqrt(v->cov[j]), err), err);
  return issim_model_alloc_normal(d, v->mean + j * d, v->cov + j * d * d, err);
}

issim_model *issim_ce_params_model(const issim_ce_params *v, issim_error *err)
{
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
    return wrapped(issim_ce_params_dist(v, err), err);
  if (v->family == ISSIM_CE_NORMAL)
    return issim_model_alloc_normal(v->d, v->mean, v->cov, err);
  if (v->family == ISSIM_CE_STUDENT_T)
    return issim_model_alloc_student_t(v->d, v->df, v->mean, v->cov, err);
  issim_error_set(err, ISSIM_EINVAL, "a %s proposal has one dimension, not %zu",
                  issim_ce_family_name(v->family), v->d);
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

void issim_ce_params_describe(const issim_ce_params *v, char *buf, size_t size)
{
  size_t d = v->d, used = 0;
  if (size == 0)
    return;
  buf[0] = '\0';
  switch (v->family) {
  case ISSIM_CE_EXPONENTIAL:
    snprintf(buf, size, "location=%.6g rate=%.6g", v->location, v->rate);
    return;
  case ISSIM_CE_GAMMA:
    snprintf(buf, size, "shape=%.6g scale=%.6g", v->shape, v->scale);
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

double issim_ce_floor_covariance(size_t d, double *c, const double *s, double min_spread)
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

static int floor_spread(const issim_ce_update_rules *rules, size_t d, double *cov,
                        issim_error *err)
{
  if (rules->target_cov == NULL)
    return issim_error_set(err, ISSIM_EINVAL, "the spread update needs the target's covariance "
                                              "for its floor, and this target has none");
  if (isnan(issim_ce_floor_covariance(d, cov, rules->target_cov, rules->min_spread)))
    return issim_error_set(err, ISSIM_EINVAL, "the target's covariance is not positive definite");
  return ISSIM_OK;
}

static int update_normal(issim_ce_params *v, size_t m, const double *x, const double *w,
                         const issim_ce_update_rules *rules, issim_error *err)
{
  double *cov = rules->update_spread ? v->cov : NULL;
  weighted_moments(m, v->d, x, w, NULL, v->mean, cov);
  return cov ? floor_spread(rules, v->d, v->cov, err) : ISSIM_OK;
}

/* The student-t location (and scale) by EM with latent scale variables:
 * u_i = (df + d) / (df + delta_i), location = sum w u x / sum w u, scale =
 * sum w u (x - location)(x - location)^T / sum w. */
static int update_student_t(issim_ce_params *v, size_t m, const double *x, const double *w,
                            const issim_ce_update_rules *rules, issim_error *err)
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
static int spread_mixture(issim_ce_params *v, size_t m, const double *x, const double *w,
                          size_t k, issim_error *err)
{
  size_t d = v->d;
  if (k > m)
    k = m;
  issim_ce_params c;
  double *l = malloc(d * d * sizeof *l), *scratch = malloc(2 * d * sizeof *scratch),
         *dist = malloc(2 * m * sizeof *dist);
  int rc = issim_ce_params_init(&c, ISSIM_CE_MIXTURE, d, k);
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
    issim_ce_params_clear(v);
    *v = c;
  } else {
    issim_ce_params_clear(&c);
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
static void drop_empty_components(issim_ce_params *v)
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
static double em_step(issim_ce_params *v, size_t m, const double *x, const double *w,
                      const issim_ce_update_rules *rules, double *r, double *l, double *scratch,
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

static int update_mixture(issim_ce_params *v, size_t m, const double *x, const double *w,
                          const issim_ce_update_rules *rules, size_t components, issim_error *err)
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
static int update_exponential(issim_ce_params *v, size_t m, const double *x, const double *w,
                              const issim_ce_update_rules *rules, issim_error *err)
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
static int update_gamma(issim_ce_params *v, size_t m, const double *x, const double *w,
                        const issim_ce_update_rules *rules, issim_error *err)
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

int issim_ce_update(issim_ce_params *v, size_t m, const double *x, const double *log_w,
                    const issim_ce_update_rules *rules, size_t components, issim_error *err)
{
  double *w = malloc((m ? m : 1) * sizeof *w);
  if (w == NULL)
    return issim_error_set(err, ISSIM_ENOMEM, "out of memory");
  int rc;
  if (m == 0 || !(scaled_weights(m, log_w, w) > 0))
    rc = issim_error_set(err, ISSIM_EINVAL, "no elite draw carries weight: the level holds "
                                            "nothing to fit");
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
  else
    rc = issim_error_set(err, ISSIM_EINVAL, "no update for family %s", issim_ce_family_name(v->family));
  free(w);
  return rc;
}

/* ---- where a fit starts ---- */

/* The problem's dimension: 1 for a univariate target, even on models. */
/* Where both forms are given (a univariate target wrapped as a model for
 * a mixture elsewhere in the scenario), the fit works on the line. */
static size_t problem_dim(const issim_problem *s)
{
  return s->target ? 1 : issim_problem_dim(s);
}

/* The family the start suggests (AUTO): its own where issim fits it. */
static issim_ce_family family_of_start(const issim_dist *dist, const issim_model *model)
{
  if (dist) {
    switch (dist->kind) {
    case ISSIM_DIST_STUDENT_T: return ISSIM_CE_STUDENT_T;
    case ISSIM_DIST_EXPONENTIAL: return ISSIM_CE_EXPONENTIAL;
    case ISSIM_DIST_GAMMA: return ISSIM_CE_GAMMA;
    default: return ISSIM_CE_NORMAL;
    }
  }
  double df;
  if (issim_model_elliptical_form(model, NULL, NULL, &df) == ISSIM_OK && isfinite(df))
    return ISSIM_CE_STUDENT_T;
  return ISSIM_CE_NORMAL;
}

/* A normal start: the start's mean and covariance (finite ones). */
static int start_normal(const issim_dist *dist, const issim_model *model, issim_ce_params *v,
                        const char *what, issim_error *err)
{
  if (dist) {
    v->mean[0] = issim_dist_mean(dist);
    v->cov[0] = issim_dist_variance(dist);
  } else if (issim_model_moments(model, v->mean, v->cov) != ISSIM_OK) {
    v->cov[0] = NAN;
  }
  for (size_t j = 0; j < v->d * v->d; j++)
    if (!isfinite(v->cov[j]) || (j < v->d && !isfinite(v->mean[j])))
      return issim_error_set(err, ISSIM_EINVAL, "a normal fit starts from the mean and covariance "
                                                "of %s, which are not finite; start from a normal "
                                                "proposal (start = NAME), or use family = student-t",
                             what);
  v->weight[0] = 1;
  return ISSIM_OK;
}

static int start_student_t(const issim_dist *dist, const issim_model *model, issim_ce_params *v,
                           const char *what, issim_error *err)
{
  int ok;
  if (dist) {
    ok = dist->kind == ISSIM_DIST_STUDENT_T;
    v->df = dist->param[0], v->mean[0] = dist->param[1], v->cov[0] = dist->param[2] * dist->param[2];
  } else {
    double *l = malloc(v->d * v->d * sizeof *l);
    ok = l && issim_model_elliptical_form(model, v->mean, l, &v->df) == ISSIM_OK && isfinite(v->df);
    for (size_t i = 0; ok && i < v->d; i++) /* scale = l l^T */
      for (size_t j = 0; j < v->d; j++) {
        double c = 0;
        for (size_t k = 0; k <= (i < j ? i : j); k++)
          c += l[i * v->d + k] * l[j * v->d + k];
        v->cov[i * v->d + j] = c;
      }
    free(l);
  }
  if (!ok)
    return issim_error_set(err, ISSIM_EINVAL, "family student-t starts from a student-t or "
                                              "multivariate-t (its df is kept); %s is not one",
                           what);
  v->weight[0] = 1;
  return ISSIM_OK;
}

/* From the problem's proposal (NULL: the target), named `start` (NULL: "the
 * target") in messages. */
static int start_params(const issim_problem *s, const char *start, issim_ce_family family,
                        issim_ce_params *v, issim_error *err)
{
  const issim_dist *dist = s->target;
  const issim_model *model = s->target_model;
  if (s->target && s->proposal)
    dist = s->proposal;
  else if (!s->target && s->proposal_model)
    model = s->proposal_model;
  const char *what = start ? start : "the target";
  char label[160];
  snprintf(label, sizeof label, "'%s'", what);
  if (family == ISSIM_CE_AUTO)
    family = family_of_start(dist, model);
  size_t d = problem_dim(s);
  if ((family == ISSIM_CE_EXPONENTIAL || family == ISSIM_CE_GAMMA) && d != 1)
    return issim_error_set(err, ISSIM_EINVAL, "family %s fits univariate targets only; this one "
                                              "has %zu dimensions", issim_ce_family_name(family), d);
  if (issim_ce_params_init(v, family == ISSIM_CE_MIXTURE ? ISSIM_CE_MIXTURE : family, d, 1) != ISSIM_OK)
    return issim_error_set(err, ISSIM_ENOMEM, "out of memory");
  v->weight[0] = 1;
  switch (family) {
  case ISSIM_CE_STUDENT_T:
    return start_student_t(dist, model, v, label, err);
  case ISSIM_CE_EXPONENTIAL:
    if (dist->kind != ISSIM_DIST_EXPONENTIAL)
      return issim_error_set(err, ISSIM_EINVAL, "family exponential starts from an exponential "
                                                "(its location is kept); %s is %s", label,
                             issim_dist_name(dist));
    v->rate = dist->param[0], v->location = dist->param[1];
    return ISSIM_OK;
  case ISSIM_CE_GAMMA:
    if (dist->kind != ISSIM_DIST_GAMMA)
      return issim_error_set(err, ISSIM_EINVAL, "family gamma starts from a gamma; %s is %s",
                             label, issim_dist_name(dist));
    v->shape = dist->param[0], v->scale = dist->param[1];
    return ISSIM_OK;
  default:
    return start_normal(dist, model, v, label, err);
  }
}

/* The target's spread, which the spread update's floor is relative to: its
 * covariance, or a t's scale matrix; NULL when it has neither. */
static double *target_spread(const issim_problem *s)
{
  size_t d = problem_dim(s);
  double *c = malloc(d * d * sizeof *c), *l = malloc(d * d * sizeof *l), df;
  int ok = c && l;
  if (ok && s->target) {
    const issim_dist *t = s->target;
    c[0] = t->kind == ISSIM_DIST_NORMAL ? t->param[1] * t->param[1]
         : t->kind == ISSIM_DIST_STUDENT_T ? t->param[2] * t->param[2]
                                           : issim_dist_variance(t);
    ok = isfinite(c[0]) && c[0] > 0;
  } else if (ok && issim_model_elliptical_form(s->target_model, NULL, l, &df) == ISSIM_OK) {
    for (size_t i = 0; i < d; i++)
      for (size_t j = 0; j < d; j++) {
        double v = 0;
        for (size_t k = 0; k <= (i < j ? i : j); k++)
          v += l[i * d + k] * l[j * d + k];
        c[i * d + j] = v;
      }
  } else if (ok) {
    ok = issim_model_moments(s->target_model, l, c) == ISSIM_OK; /* l: room for the mean */
  }
  free(l);
  if (!ok) {
    free(c);
    return NULL;
  }
  return c;
}

/* ---- one level's draws ---- */

typedef struct {
  const issim_problem *s;     /* the target and the event */
  issim_problem level;        /* with the level's proposal */
  issim_dist *q;              /* the level's proposal: univariate problems */
  issim_model *qm;            /* the others */
  size_t d, batch;
  int dir;                    /* +1: the event is loss > t; -1: loss < t */
  uint64_t seed, stream;
  const gsl_rng_type *rng;
} level_source;

typedef struct {
  issim_sampler *sampler;
} level_workspace;

static void level_workspace_free(level_workspace *w)
{
  issim_sampler_free(w->sampler);
  *w = (level_workspace){0};
}

static int level_workspace_init(level_workspace *w, const level_source *src)
{
  w->sampler = issim_sampler_alloc(&src->level, src->rng);
  return w->sampler != NULL;
}

/* Draws n points of q (the sampler's points: sampler.h); with `weigh`, their
 * oriented losses into g and log-weights into lw (n values each). */
static void draw_points(const level_source *src, level_workspace *w, size_t n, int weigh,
                        double *g, double *lw)
{
  issim_sampler_draw(w->sampler, n, !weigh);
  if (!weigh)
    return;
  const double *lp = issim_sampler_log_p(w->sampler), *lq = issim_sampler_log_q(w->sampler);
  const double *loss = issim_sampler_g(w->sampler);
  for (size_t i = 0; i < n; i++) {
    double l = lp[i] - lq[i];
    lw[i] = isnan(l) ? -INFINITY : l; /* q = 0 at its own draw: no weight */
    g[i] = isnan(loss[i]) ? -INFINITY : src->dir * loss[i];
  }
}

/* A level: n draws, their oriented losses s[] and log-weights lw[]; then,
 * once the elites are known (s >= cut), their coordinates. */
typedef struct {
  uint64_t n;
  double *s, *lw;
  size_t n_elites;
  double *elite_x, *elite_lw;
} level_draws;

static uint64_t block_count(uint64_t n)
{
  return (n + ISSIM_CE_BLOCK - 1) / ISSIM_CE_BLOCK;
}

/* Runs `body` on every block, on the threads; each block re-seeds its
 * generator, so what a block draws never depends on the thread it runs on. */
typedef void (*block_fn)(const level_source *src, level_workspace *w, uint64_t block,
                         uint64_t first, size_t count, void *user);

static int for_each_block(const level_source *src, int threads, uint64_t n, block_fn body,
                          void *user)
{
  int t = issim_engine_threads(threads);
  level_workspace *ws = calloc((size_t)t, sizeof *ws);
  int ok = ws != NULL;
  for (int i = 0; ok && i < t; i++)
    ok = level_workspace_init(&ws[i], src);
  long blocks = (long)block_count(n);
#pragma omp parallel for num_threads(t) schedule(dynamic, 1) if (ok)
  for (long b = 0; b < blocks; b++) {
    if (!ok)
      continue;
#ifdef _OPENMP
    level_workspace *w = &ws[omp_get_thread_num()];
#else
    level_workspace *w = &ws[0];
#endif
    uint64_t first = (uint64_t)b * ISSIM_CE_BLOCK;
    size_t count = n - first < ISSIM_CE_BLOCK ? (size_t)(n - first) : ISSIM_CE_BLOCK;
    issim_sampler_seed(w->sampler, issim_rng_block_seed(src->seed, src->stream, (uint64_t)b));
    body(src, w, (uint64_t)b, first, count, user);
  }
  for (int i = 0; ws && i < t; i++)
    level_workspace_free(&ws[i]);
  free(ws);
  return ok;
}

static void weigh_block(const level_source *src, level_workspace *w, uint64_t block,
                        uint64_t first, size_t count, void *user)
{
  (void)block;
  level_draws *ld = user;
  for (size_t done = 0; done < count; done += src->batch) {
    size_t n = count - done < src->batch ? count - done : src->batch;
    draw_points(src, w, n, 1, ld->s + first + done, ld->lw + first + done);
  }
}

typedef struct {
  level_draws *ld;
  double cut;
  const size_t *offset;  /* per block: its first elite's index */
} elite_pass;

static int is_elite(double s, double cut)
{
  return s >= cut;
}

static void gather_block(const level_source *src, level_workspace *w, uint64_t block,
                         uint64_t first, size_t count, void *user)
{
  elite_pass *ep = user;
  level_draws *ld = ep->ld;
  size_t out = ep->offset[block], d = src->d;
  if (ep->offset[block + 1] == out)
    return; /* no elite here: nothing to re-draw */
  for (size_t done = 0; done < count; done += src->batch) {
    size_t n = count - done < src->batch ? count - done : src->batch;
    draw_points(src, w, n, 0, NULL, NULL);
    const double *x = issim_sampler_x(w->sampler);
    for (size_t i = 0; i < n; i++)
      if (is_elite(ld->s[first + done + i], ep->cut)) {
        memcpy(ld->elite_x + out * d, x + i * d, d * sizeof *x);
        ld->elite_lw[out++] = ld->lw[first + done + i];
      }
  }
}

/* The second pass: the elites' coordinates, re-drawn from the same seeds. */
static int gather_elites(const level_source *src, int threads, level_draws *ld, double cut)
{
  uint64_t blocks = block_count(ld->n);
  size_t *offset = calloc(blocks + 1, sizeof *offset);
  if (offset == NULL)
    return 0;
  for (uint64_t b = 0; b < blocks; b++) {
    uint64_t first = b * ISSIM_CE_BLOCK, end = first + ISSIM_CE_BLOCK < ld->n ? first + ISSIM_CE_BLOCK : ld->n;
    size_t c = 0;
    for (uint64_t i = first; i < end; i++)
      c += (size_t)is_elite(ld->s[i], cut);
    offset[b + 1] = offset[b] + c;
  }
  ld->n_elites = offset[blocks];
  free(ld->elite_x);
  free(ld->elite_lw);
  ld->elite_x = malloc((ld->n_elites ? ld->n_elites : 1) * src->d * sizeof *ld->elite_x);
  ld->elite_lw = malloc((ld->n_elites ? ld->n_elites : 1) * sizeof *ld->elite_lw);
  elite_pass ep = {.ld = ld, .cut = cut, .offset = offset};
  int ok = ld->elite_x && ld->elite_lw && for_each_block(src, threads, ld->n, gather_block, &ep);
  free(offset);
  return ok;
}

static int compare_doubles(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* The (1 - rho) quantile of the n values: the value with n rho at or above it. */
static double upper_quantile(const double *s, uint64_t n, double rho, int *ok)
{
  double *sorted = malloc(n * sizeof *sorted);
  *ok = sorted != NULL;
  if (!*ok)
    return NAN;
  memcpy(sorted, s, n * sizeof *sorted);
  qsort(sorted, n, sizeof *sorted, compare_doubles);
  double k = ceil((1 - rho) * (double)n);
  size_t i = k < 1 ? 0 : (size_t)k - 1;
  double v = sorted[i < n ? i : n - 1];
  free(sorted);
  return v;
}

/* The level's estimates from its draws: P(S >= cut), KL(p*_cut || q) and the
 * elites' event ESS, all in log space. */
static void level_statistics(const level_draws *ld, double cut, issim_ce_level *out)
{
  double top = -INFINITY;
  for (uint64_t i = 0; i < ld->n; i++)
    if (is_elite(ld->s[i], cut) && ld->lw[i] > top)
      top = ld->lw[i];
  double a = 0, b = 0, c = 0;
  for (uint64_t i = 0; isfinite(top) && i < ld->n; i++)
    if (is_elite(ld->s[i], cut) && ld->lw[i] > -INFINITY) {
      double w = exp(ld->lw[i] - top);
      a += w;
      b += w * ld->lw[i];
      c += w * w;
    }
  out->log_level_prob = isfinite(top) ? top + log(a) - log((double)ld->n) : -INFINITY;
  out->kl_star = isfinite(top) ? b / a - out->log_level_prob : NAN;
  out->event_ess = isfinite(top) ? a * a / c : 0;
}

/* ---- the driver ---- */

void issim_ce_fit_clear(issim_ce_fit *fit)
{
  free(fit->levels);
  issim_ce_params_clear(&fit->params);
  *fit = (issim_ce_fit){0};
}

/* The analytic tail check of a candidate proposal against the target on the
 * event region; infinite variance refuses the fit. */
static issim_variance fitted_variance(const issim_problem *s, const issim_dist *q,
                                      const issim_model *qm, char *reason, size_t size)
{
  if (q && s->target) {
    double lo, hi;
    issim_problem_event_region(s, &lo, &hi);
    return issim_weight_variance(s->target, q, lo, hi, reason, size);
  }
  issim_region a = issim_region_of_event(issim_loss_kind_of(s->event.loss), s->event.threshold,
                                         (int)s->event.direction);
  return issim_model_weight_variance_on(s->target_model, qm, &a, reason, size);
}

/* v <- alpha v + (1 - alpha) old, where the two have the same shape. */
static void smooth(issim_ce_params *v, const issim_ce_params *old, double alpha)
{
  if (alpha >= 1 || v->k != old->k)
    return;
  size_t d = v->d;
  for (size_t j = 0; j < v->k; j++)
    v->weight[j] = alpha * v->weight[j] + (1 - alpha) * old->weight[j];
  for (size_t j = 0; j < v->k * d; j++)
    v->mean[j] = alpha * v->mean[j] + (1 - alpha) * old->mean[j];
  for (size_t j = 0; j < v->k * d * d; j++)
    v->cov[j] = alpha * v->cov[j] + (1 - alpha) * old->cov[j];
  v->rate = alpha * v->rate + (1 - alpha) * old->rate;
  v->shape = alpha * v->shape + (1 - alpha) * old->shape;
  v->scale = alpha * v->scale + (1 - alpha) * old->scale;
}

/* The proposal of v, as the scenario samples: a distribution for univariate
 * scenarios without models, a model otherwise. */
static int realise(const issim_problem *s, const issim_ce_params *v, issim_dist **q,
                   issim_model **qm, issim_error *err)
{
  *q = NULL, *qm = NULL;
  if (s->target_model == NULL)
    *q = issim_ce_params_dist(v, err);
  else
    *qm = issim_ce_params_model(v, err);
  return *q || *qm ? ISSIM_OK : err->code;
}

static int target_is_student_t(const issim_problem *s)
{
  double df;
  if (s->target)
    return s->target->kind == ISSIM_DIST_STUDENT_T;
  return issim_model_elliptical_form(s->target_model, NULL, NULL, &df) == ISSIM_OK && isfinite(df);
}

static int check_fitted(const issim_problem *s, const issim_ce_params *v, unsigned level,
                        issim_error *err)
{
  issim_dist *q;
  issim_model *qm;
  int rc = realise(s, v, &q, &qm, err);
  if (rc != ISSIM_OK)
    return rc;
  char reason[ISSIM_TAIL_REASON_SIZE] = "";
  issim_variance var = fitted_variance(s, q, qm, reason, sizeof reason);
  issim_dist_free(q);
  issim_model_free(qm);
  if (var == ISSIM_VARIANCE_INFINITE)
    return issim_error_set(err, ISSIM_EINVAL, "level %u fitted a %s proposal whose weights "
                                              "would have infinite variance (%s); %s",
                           level, issim_ce_family_name(v->family), reason,
                           target_is_student_t(s) && v->family != ISSIM_CE_STUDENT_T
                             ? "use family = student-t, whose tails match the target's"
                             : "choose a family whose tails are at least as heavy as the "
                               "target's on the event, or start from a wider proposal");
  return ISSIM_OK;
}

typedef struct {
  const issim_problem *s;
  const issim_ce_options *opt;
  issim_ce_update_rules rules;
  level_source src;
  double t;       /* the oriented threshold */
  double best;    /* the highest (oriented) gamma so far */
  int threads;
  uint64_t base_stream; /* level k draws from stream base_stream + k */
} fit_context;

/* One level: draws, gamma, statistics, elites, update.  Returns ISSIM_OK and
 * sets *reached (gamma is the threshold) and *stalled (the quantile did not
 * rise above the highest gamma so far, which the level keeps). */
static int run_level(fit_context *c, issim_ce_fit *fit, level_draws *ld, int *reached,
                     int *stalled, issim_error *err)
{
  issim_ce_params *v = &fit->params;
  unsigned k = (unsigned)fit->n_levels + 1;
  int rc = realise(c->s, v, &c->src.q, &c->src.qm, err);
  if (rc != ISSIM_OK)
    return rc;
  c->src.level = issim_problem_with_proposal(c->s, c->src.q, c->src.qm);
  c->src.stream = c->base_stream + k;
  int ok = for_each_block(&c->src, c->threads, ld->n, weigh_block, ld);
  double q = ok ? upper_quantile(ld->s, ld->n, c->opt->rho, &ok) : NAN;
  issim_ce_level *lv = &fit->levels[fit->n_levels];
  *lv = (issim_ce_level){.level = k, .draws = ld->n};
  *reached = ok && q >= c->t;
  *stalled = !*reached && fit->n_levels > 0 && !(q > c->best);
  if (*stalled)
    q = c->best;
  else if (!*reached)
    c->best = q;
  /* at the threshold the elites are the event itself (S > t, as it is defined) */
  double cut = *reached ? nextafter(c->t, INFINITY) : q;
  lv->gamma = c->src.dir * (*reached ? c->t : q);
  if (ok)
    level_statistics(ld, cut, lv);
  ok = ok && gather_elites(&c->src, c->threads, ld, cut);
  issim_dist_free(c->src.q);
  issim_model_free(c->src.qm);
  c->src.q = NULL, c->src.qm = NULL;
  if (!ok)
    return issim_error_set(err, ISSIM_ENOMEM, "out of memory for a level's %llu draws",
                           (unsigned long long)ld->n);
  lv->elites = ld->n_elites;
  fit->draws += ld->n;
  fit->n_levels++;
  /* An exponential's location moves, at the last level, to an upper-tail
   * event's threshold: (t, inf) is then the proposal's whole support, and with
   * the rate fitted there it approaches the zero-variance proposal of an
   * exponential tail.  Intermediate levels keep it: an exponential that
   * starts at each level's gamma is memoryless, and would climb by only
   * log(1/rho) / rate a level. */
  c->rules.location = c->s->target && c->src.dir > 0 && *reached ? c->t : NAN;
  issim_ce_params old = {0};
  rc = issim_ce_params_copy(&old, v);
  if (rc == ISSIM_OK)
    rc = issim_ce_update(v, ld->n_elites, ld->elite_x, ld->elite_lw, &c->rules,
                         c->opt->components, err);
  if (rc == ISSIM_OK)
    smooth(v, &old, c->opt->alpha);
  issim_ce_params_clear(&old);
  if (rc == ISSIM_OK)
    rc = check_fitted(c->s, v, k, err);
  issim_ce_params_describe(v, lv->fitted, sizeof lv->fitted);
  return rc;
}

/* Level streams: the fitted proposal's name, moved away from the stream its
 * final run uses (issim_rng_stream_id(name) itself). */
#define LEVEL_STREAM_SALT 0x63726f73732d656eull /* "cross-en" */

static void no_progress_message(issim_ce_fit *fit, const issim_ce_options *opt)
{
  const issim_ce_level *last = &fit->levels[fit->n_levels - 1];
  fit->outcome = ISSIM_CE_NO_PROGRESS;
  snprintf(fit->message, sizeof fit->message,
           "levels %u to %u made no progress: gamma stayed at %.6g, so the threshold would "
           "never be reached. Either the family cannot follow the event (an event made of "
           "several regions, such as a max over many components, needs family = mixture with "
           "enough components), or the loss is flat or capped where the proposal draws. Try "
           "another family, more draws per level (level-draws, now %llu), a larger rho (now %g), "
           "or a start nearer the event (start = NAME)",
           last->level - ISSIM_CE_STALLS + 1, last->level, last->gamma,
           (unsigned long long)opt->level_draws, opt->rho);
}

/* What the spread update does by default: a student-t's scale must follow a
 * heavy tail (adapt.h); the other families fit their means. */
static int spread_by_default(issim_ce_family f)
{
  return f == ISSIM_CE_STUDENT_T;
}

int issim_ce_run(const issim_problem *s, const char *name, const issim_ce_options *opt,
                 uint64_t seed, const gsl_rng_type *rng, int threads,
                 int (*stop)(void *user), void *stop_user, issim_ce_fit *fit,
                 issim_error *err)
{
  *fit = (issim_ce_fit){0};
  double start_time = issim_clock_now();
  int rc = start_params(s, opt->start, opt->family, &fit->params, err);
  fit->update_spread = opt->update_spread >= 0 ? opt->update_spread
                                               : spread_by_default(fit->params.family);
  fit_context c = {
    .s = s, .opt = opt, .t = (double)s->event.direction * s->event.threshold, .threads = threads,
    .best = -INFINITY, .base_stream = issim_rng_stream_id(name) ^ LEVEL_STREAM_SALT,
    .rules = {.update_spread = fit->update_spread, .min_spread = opt->min_spread, .location = NAN},
    .src = {.s = s, .d = problem_dim(s), .dir = (int)s->event.direction, .seed = seed, .rng = rng},
  };
  c.src.batch = issim_sampler_batch(s);
  double *spread = target_spread(s);
  c.rules.target_cov = spread;
  if (rc == ISSIM_OK && fit->update_spread && spread == NULL)
    rc = issim_error_set(err, ISSIM_EINVAL, "update = mean+spread floors the spread relative "
                                            "to the target's covariance, which this target does "
                                            "not have (not finite); use update = mean");
  if (rc == ISSIM_OK && fit->update_spread && fit->params.family != ISSIM_CE_EXPONENTIAL &&
      fit->params.family != ISSIM_CE_GAMMA)
    issim_ce_floor_covariance(c.src.d, fit->params.cov, spread, opt->min_spread);
  fit->levels = calloc(opt->max_levels, sizeof *fit->levels);
  level_draws ld = {.n = opt->level_draws};
  ld.s = malloc(ld.n * sizeof *ld.s);
  ld.lw = malloc(ld.n * sizeof *ld.lw);
  if (rc == ISSIM_OK && (!fit->levels || !ld.s || !ld.lw))
    rc = issim_error_set(err, ISSIM_ENOMEM, "out of memory for the levels");
  fit->outcome = ISSIM_CE_LEVEL_LIMIT;
  unsigned stalls = 0;
  while (rc == ISSIM_OK && fit->n_levels < opt->max_levels) {
    if (stop && stop(stop_user)) {
      fit->outcome = ISSIM_CE_INTERRUPTED;
      snprintf(fit->message, sizeof fit->message, "interrupted after %zu levels", fit->n_levels);
      break;
    }
    int reached = 0, stalled = 0;
    rc = run_level(&c, fit, &ld, &reached, &stalled, err);
    stalls = stalled ? stalls + 1 : 0;
    if (rc == ISSIM_OK && reached)
      fit->outcome = ISSIM_CE_REACHED;
    else if (rc == ISSIM_OK && stalls == ISSIM_CE_STALLS)
      no_progress_message(fit, opt);
    if (reached || stalls == ISSIM_CE_STALLS)
      break;
  }
  if (rc == ISSIM_OK && fit->outcome == ISSIM_CE_LEVEL_LIMIT)
    snprintf(fit->message, sizeof fit->message,
             "after %u levels gamma reached %.6g, short of the threshold %.6g; allow more levels "
             "(max-levels), or use a larger rho or a start nearer the event",
             opt->max_levels, fit->n_levels ? fit->levels[fit->n_levels - 1].gamma : NAN,
             s->event.threshold);
  free(spread);
  free(ld.s), free(ld.lw), free(ld.elite_x), free(ld.elite_lw);
  fit->seconds = issim_clock_now() - start_time;
  return rc;
}

int issim_ce_fit_realise(const issim_problem *s, const issim_ce_fit *fit, const char *name,
                         issim_dist **dist, issim_model **model, issim_error *err)
{
  if (fit->outcome != ISSIM_CE_REACHED)
    return issim_error_set(err, ISSIM_EINVAL, "proposal '%s' was not fitted: %s", name,
                           fit->message);
  const issim_ce_params *v = &fit->params;
  issim_dist *q = NULL;
  issim_model *qm = NULL;
  if (s->target && v->family != ISSIM_CE_MIXTURE && !(q = issim_ce_params_dist(v, err)))
    return err->code;
  if (s->target_model && !(qm = issim_ce_params_model(v, err))) {
    issim_dist_free(q);
    return err->code;
  }
  *dist = q;
  *model = qm;
  return ISSIM_OK;
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

static void write_params(FILE *out, const char *name, const issim_ce_params *v)
{
  size_t d = v->d;
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
  default: { /* a mixture: its components first, then the mixture of them */
    for (size_t j = 0; j < v->k; j++) {
      char part[256];
      snprintf(part, sizeof part, "%s.%zu", name, j + 1);
      write_normal_section(out, part, d, v->mean + j * d, v->cov + j * d * d);
      fputc('\n', out);
    }
    fprintf(out, "[proposal %s]\ndistribution = mixture\ncomponents =", name);
    for (size_t j = 0; j < v->k; j++)
      fprintf(out, "%s%.17g %s.%zu", j ? "\n  + " : " ", v->weight[j], name, j + 1);
    fputc('\n', out);
  }
  }
}

int issim_ce_save(FILE *out, const char *scenario, const char *name, const issim_ce_fit *fit,
                  issim_error *err)
{
  if (fit->outcome != ISSIM_CE_REACHED)
    return issim_error_set(err, ISSIM_EINVAL, "nothing to save: %s", fit->message);
  fprintf(out, "; fitted by issim adapt (cross-entropy, family %s) on scenario %s:\n"
               "; %zu level%s, %llu draws\n",
          issim_ce_family_name(fit->params.family), scenario, fit->n_levels,
          fit->n_levels == 1 ? "" : "s", (unsigned long long)fit->draws);
  write_params(out, name, &fit->params);
  if (ferror(out))
    return issim_error_set(err, ISSIM_EIO, "cannot write the fitted proposal");
  return ISSIM_OK;
}
