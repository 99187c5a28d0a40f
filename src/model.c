/* model.c: d-dimensional distributions (see model.h).
 *
 * One struct holds every kind; the fields a kind does not use are NULL/0.
 *   independent   dists[d]
 *   normal        loc (mean), chol (L, L L^T = covariance), matrix, diag
 *   student-t     loc (location), chol (L, L L^T = scale), matrix, diag, df
 *   copula        dists[d] (marginals), chol (L, L L^T = R), matrix (R), diag
 *   mixture       parts[k], weights, log_weights, cum (cumulative weights)
 *   transformed   inner (the model of u), transform (transform.c's kernels)
 * Matrices are row-major d x d; chol is lower triangular with its upper
 * triangle zeroed; diag[j] = L_jj.
 *
 * Hot path (issim_model_sample, issim_model_log_pdf): no allocation, scratch
 * from the caller (issim_model_scratch says how much), no global state.
 * Every log-density is computed in log space, so that it stays finite and
 * accurate where the density itself underflows (40 standard deviations out).
 *
 * Positive definiteness: the factor is GSL's, guarded (see linalg.c).
 *
 * The struct and the batch kernels the other two files call are in
 * model_impl.h; the copula's transforms, density and moments are in
 * copula.c, the target/proposal pair's fast path in pair.c.
 */
#include "model.h"
#include "model_impl.h"
#include "linalg.h"
#include "simd.h"

#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_sf_gamma.h>

static const double LOG_2PI = 1.8378770664093454836; /* log(2 pi) */
static const double LOG_PI = 1.1447298858494001741;  /* log(pi) */

/* Tolerance of the symmetry check (model.h: symmetric to a relative 1e-12),
 * of the unit diagonal of a correlation, and of the mixture weights' sum. */
static const double SYMMETRY_TOL = 1e-12;
static const double UNIT_DIAGONAL_TOL = 1e-12;
static const double WEIGHT_SUM_TOL = 1e-9;

/* Scratch for a batch in coordinate rows, twice (L z is not formed in place),
 * and a value per point after them. */
static size_t columns_scratch(size_t d, size_t n)
{
  return 2 * d * stride(n) + padded(n);
}

/* ---- allocation helpers ---- */

static issim_model *new_model(issim_model_kind kind, size_t d)
{
  issim_model *m = calloc(1, sizeof *m);
  if (m != NULL) {
    m->kind = kind;
    m->d = d;
  }
  return m;
}

static double *copy_doubles(const double *src, size_t n)
{
  double *dst = malloc((n ? n : 1) * sizeof *dst);
  if (dst != NULL && n)
    memcpy(dst, src, n * sizeof *dst);
  return dst;
}

static void *fail_nomem(issim_model *m, issim_error *err)
{
  issim_model_free(m);
  issim_error_set(err, ISSIM_ENOMEM, "out of memory");
  return NULL;
}

static int check_dimension(size_t d, issim_error *err)
{
  if (d == 0)
    return issim_error_set_key(err, ISSIM_EINVAL, "dimension",
                               "dimension must be >= 1 (got 0)");
  return ISSIM_OK;
}

/* A vector of d finite numbers; entries are named 1-based, as in the
 * messages about matrices ("mean entry 2 must be finite (got nan)"). */
static int check_vector(size_t d, const double *v, const char *key, issim_error *err)
{
  if (v == NULL)
    return issim_error_set_key(err, ISSIM_EINVAL, key, "%s is missing", key);
  for (size_t j = 0; j < d; j++)
    if (!isfinite(v[j]))
      return issim_error_set_key(err, ISSIM_EINVAL, key,
                                 "%s entry %zu must be finite (got %g)", key, j + 1, v[j]);
  return ISSIM_OK;
}

/* d distributions, copied into m->dists. */
static int copy_dists(issim_model *m, const issim_dist *const *src, const char *key,
                      const char *what, issim_error *err)
{
  if (src == NULL)
    return issim_error_set_key(err, ISSIM_EINVAL, key, "the %ss are missing", what);
  for (size_t j = 0; j < m->d; j++)
    if (src[j] == NULL)
      return issim_error_set_key(err, ISSIM_EINVAL, key, "%s %zu is missing", what, j + 1);
  m->dists = calloc(m->d, sizeof *m->dists);
  if (m->dists == NULL)
    return issim_error_set(err, ISSIM_ENOMEM, "out of memory");
  for (size_t j = 0; j < m->d; j++)
    if ((m->dists[j] = issim_dist_clone(src[j])) == NULL)
      return issim_error_set(err, ISSIM_ENOMEM, "out of memory");
  return ISSIM_OK;
}

/* ---- symmetric positive definite matrices ---- */

/* Checks a (finite, symmetric to SYMMETRY_TOL), stores its symmetrised copy
 * in m->matrix and its Cholesky factor in m->chol and m->diag; sets
 * m->diagonal.  Indices in messages are 1-based (row, column). */
static int factorise(issim_model *m, const double *a, const char *key, issim_error *err)
{
  const size_t d = m->d;
  if (a == NULL)
    return issim_error_set_key(err, ISSIM_EINVAL, key, "%s is missing", key);
  for (size_t i = 0; i < d; i++)
    for (size_t j = 0; j < d; j++)
      if (!isfinite(a[i * d + j]))
        return issim_error_set_key(err, ISSIM_EINVAL, key,
                                   "%s entry (%zu,%zu) must be finite (got %g)", key, i + 1,
                                   j + 1, a[i * d + j]);
  for (size_t i = 0; i < d; i++)
    for (size_t j = i + 1; j < d; j++) {
      const double aij = a[i * d + j], aji = a[j * d + i];
      if (fabs(aij - aji) > SYMMETRY_TOL * fmax(fabs(aij), fabs(aji)))
        return issim_error_set_key(err, ISSIM_EINVAL, key,
                                   "%s is not symmetric: entry (%zu,%zu) = %g but (%zu,%zu) = %g",
                                   key, i + 1, j + 1, aij, j + 1, i + 1, aji);
    }

  /* calloc, not malloc: GCC 12 takes the filled matrix for uninitialised */
  m->matrix = calloc(d * d, sizeof *m->matrix);
  m->chol = calloc(d * d, sizeof *m->chol);
  m->diag = malloc(d * sizeof *m->diag);
  if (m->matrix == NULL || m->chol == NULL || m->diag == NULL)
    return issim_error_set(err, ISSIM_ENOMEM, "out of memory");
  m->diagonal = true;
  for (size_t i = 0; i < d; i++)
    for (size_t j = 0; j < d; j++) {
      /* halves, so that no sum overflows; exact when a_ij == a_ji */
      const double v = i == j ? a[i * d + i] : 0.5 * a[i * d + j] + 0.5 * a[j * d + i];
      m->matrix[i * d + j] = v;
      if (i != j && v != 0)
        m->diagonal = false;
    }

  /* GSL's factorisation, guarded (linalg.c says how) */
  double *l = m->chol;
  if (issim_linalg_cholesky(d, m->matrix, l, NULL) != ISSIM_OK)
    return issim_error_set_key(err, ISSIM_EINVAL, key,
                               "%s is not positive definite (GSL's Cholesky factorisation "
                               "failed)", key);
  for (size_t i = 0; i < d; i++)
    m->diag[i] = l[i * d + i];
  return ISSIM_OK;
}

static double sum_log_diag(const issim_model *m)
{
  return issim_linalg_lower_log_det(m->d, m->chol);
}

/* ---- constructors ---- */

issim_model *issim_model_alloc_independent(size_t d, const issim_dist *const *components,
                                           issim_error *err)
{
  if (check_dimension(d, err) != ISSIM_OK)
    return NULL;
  issim_model *m = new_model(ISSIM_MODEL_INDEPENDENT, d);
  if (m == NULL)
    return fail_nomem(m, err);
  if (copy_dists(m, components, "component", "component", err) != ISSIM_OK) {
    issim_model_free(m);
    return NULL;
  }
  return m;
}

issim_model *issim_model_alloc_line(const issim_dist *dist, issim_error *err)
{
  issim_model *m = issim_model_alloc_independent(1, &dist, err);
  return m ? (m->line = true, m) : NULL;
}

const issim_dist *issim_model_line_dist(const issim_model *m)
{
  return m && m->line ? m->dists[0] : NULL;
}

/* log_norm = -d/2 log(2 pi) - sum log L_jj */
issim_model *issim_model_alloc_normal(size_t d, const double *mean, const double *covariance,
                                      issim_error *err)
{
  if (check_dimension(d, err) != ISSIM_OK || check_vector(d, mean, "mean", err) != ISSIM_OK)
    return NULL;
  issim_model *m = new_model(ISSIM_MODEL_NORMAL, d);
  if (m == NULL || (m->loc = copy_doubles(mean, d)) == NULL)
    return fail_nomem(m, err);
  if (factorise(m, covariance, "covariance", err) != ISSIM_OK) {
    issim_model_free(m);
    return NULL;
  }
  m->log_norm = -0.5 * (double) d * LOG_2PI - sum_log_diag(m);
  return m;
}

/* log_norm = lgamma((df+d)/2) - lgamma(df/2) - d/2 log(df pi) - sum log L_jj,
 * the lgamma difference as lnpoch(df/2, d/2), which does not cancel for a
 * large df. */
issim_model *issim_model_alloc_student_t(size_t d, double df, const double *location,
                                         const double *scale, issim_error *err)
{
  if (check_dimension(d, err) != ISSIM_OK)
    return NULL;
  if (!isfinite(df)) {
    issim_error_set_key(err, ISSIM_EINVAL, "df", "df must be finite (got %g)", df);
    return NULL;
  }
  if (!(df > 0)) {
    issim_error_set_key(err, ISSIM_EINVAL, "df", "df must be > 0 (got %g)", df);
    return NULL;
  }
  if (check_vector(d, location, "location", err) != ISSIM_OK)
    return NULL;
  issim_model *m = new_model(ISSIM_MODEL_STUDENT_T, d);
  if (m == NULL || (m->loc = copy_doubles(location, d)) == NULL)
    return fail_nomem(m, err);
  m->df = df;
  if (factorise(m, scale, "scale", err) != ISSIM_OK) {
    issim_model_free(m);
    return NULL;
  }
  m->log_norm = gsl_sf_lnpoch(0.5 * df, 0.5 * (double) d) -
                0.5 * (double) d * (log(df) + LOG_PI) - sum_log_diag(m);
  return m;
}

/* log_norm = -1/2 log det R = -sum log L_jj */
issim_model *issim_model_alloc_copula(size_t d, const double *correlation,
                                      const issim_dist *const *marginals, issim_error *err)
{
  if (check_dimension(d, err) != ISSIM_OK)
    return NULL;
  if (correlation != NULL)
    for (size_t j = 0; j < d; j++) {
      const double r = correlation[j * d + j];
      if (isfinite(r) && !(fabs(r - 1) <= UNIT_DIAGONAL_TOL)) {
        issim_error_set_key(err, ISSIM_EINVAL, "correlation",
                            "correlation must have 1s on its diagonal: entry (%zu,%zu) = %g",
                            j + 1, j + 1, r);
        return NULL;
      }
    }
  issim_model *m = new_model(ISSIM_MODEL_COPULA, d);
  if (m == NULL)
    return fail_nomem(m, err);
  if (copy_dists(m, marginals, "marginal", "marginal", err) != ISSIM_OK ||
      factorise(m, correlation, "correlation", err) != ISSIM_OK) {
    issim_model_free(m);
    return NULL;
  }
  /* a diagonal within UNIT_DIAGONAL_TOL of 1 is taken as exactly 1 */
  for (size_t j = 0; j < d; j++)
    m->matrix[j * d + j] = 1;
  m->log_norm = -sum_log_diag(m);
  return m;
}

issim_model *issim_model_alloc_mixture(size_t k, const issim_model *const *components,
                                       const double *weights, issim_error *err)
{
  if (k == 0 || components == NULL) {
    issim_error_set_key(err, ISSIM_EINVAL, "components",
                        "a mixture needs at least one component (got 0)");
    return NULL;
  }
  for (size_t i = 0; i < k; i++)
    if (components[i] == NULL) {
      issim_error_set_key(err, ISSIM_EINVAL, "components", "mixture component %zu is missing",
                          i + 1);
      return NULL;
    }
  const size_t d = components[0]->d;
  for (size_t i = 1; i < k; i++)
    if (components[i]->d != d) {
      issim_error_set_key(err, ISSIM_EINVAL, "components",
                          "mixture components must have one dimension: component 1 has d = %zu "
                          "but component %zu has d = %zu",
                          d, i + 1, components[i]->d);
      return NULL;
    }
  if (weights == NULL) {
    issim_error_set_key(err, ISSIM_EINVAL, "weights", "weights are missing");
    return NULL;
  }
  double sum = 0;
  for (size_t i = 0; i < k; i++) {
    if (!isfinite(weights[i])) {
      issim_error_set_key(err, ISSIM_EINVAL, "weights", "weight %zu must be finite (got %g)",
                          i + 1, weights[i]);
      return NULL;
    }
    if (!(weights[i] >= 0)) {
      issim_error_set_key(err, ISSIM_EINVAL, "weights", "weight %zu must be >= 0 (got %g)",
                          i + 1, weights[i]);
      return NULL;
    }
    sum += weights[i];
  }
  if (!(fabs(sum - 1) <= WEIGHT_SUM_TOL)) {
    issim_error_set_key(err, ISSIM_EINVAL, "weights", "weights must sum to 1 (got %.12g)", sum);
    return NULL;
  }

  issim_model *m = new_model(ISSIM_MODEL_MIXTURE, d);
  if (m == NULL)
    return fail_nomem(m, err);
  m->k = k;
  m->parts = calloc(k, sizeof *m->parts);
  m->weights = malloc(k * sizeof *m->weights);
  m->log_weights = malloc(k * sizeof *m->log_weights);
  m->cum = malloc(k * sizeof *m->cum);
  if (m->parts == NULL || m->weights == NULL || m->log_weights == NULL || m->cum == NULL)
    return fail_nomem(m, err);
  size_t last = 0; /* the last component of positive weight */
  double run = 0;
  for (size_t i = 0; i < k; i++) {
    if ((m->parts[i] = issim_model_clone(components[i])) == NULL)
      return fail_nomem(m, err);
    m->weights[i] = weights[i] / sum; /* exactly normalised */
    m->log_weights[i] = log(m->weights[i]);
    run += m->weights[i];
    m->cum[i] = run;
    if (weights[i] > 0)
      last = i;
  }
  /* so that a uniform draw u < 1 always selects a component of positive
   * weight, whatever the rounding of the running sum */
  for (size_t i = last; i < k; i++)
    m->cum[i] = 1;
  return m;
}

issim_model *issim_model_alloc_credit(const issim_credit_book *b, const double *shift,
                                      double twist, issim_error *err)
{
  issim_credit_law *law = issim_credit_law_alloc(b, shift, twist, err);
  if (law == NULL)
    return NULL;
  issim_model *m = new_model(ISSIM_MODEL_CREDIT, issim_credit_law_dim(law));
  if (m == NULL) {
    issim_credit_law_free(law);
    return fail_nomem(m, err);
  }
  m->credit = law;
  return m;
}

const issim_credit_law *issim_model_credit_law(const issim_model *m)
{
  return m->kind == ISSIM_MODEL_CREDIT ? m->credit : NULL;
}

issim_model *issim_model_clone(const issim_model *src)
{
  if (src == NULL)
    return NULL;
  issim_model *m = new_model(src->kind, src->d);
  if (m == NULL)
    return NULL;
  const size_t d = src->d;
  *m = (issim_model){.kind = src->kind, .d = d, .line = src->line, .diagonal = src->diagonal,
                     .df = src->df, .log_norm = src->log_norm, .k = src->k}; /* the arrays below */
  bool ok = true;
  if (src->inner)
    ok = (m->inner = issim_model_clone(src->inner)) != NULL &&
         (m->transform = issim_transform_clone(src->transform)) != NULL;
  if (ok && src->credit)
    ok = (m->credit = issim_credit_law_clone(src->credit)) != NULL;
  if (src->dists) {
    ok = (m->dists = calloc(d, sizeof *m->dists)) != NULL;
    for (size_t j = 0; ok && j < d; j++)
      ok = (m->dists[j] = issim_dist_clone(src->dists[j])) != NULL;
  }
  if (ok && src->loc)
    ok = (m->loc = copy_doubles(src->loc, d)) != NULL;
  if (ok && src->matrix)
    ok = (m->matrix = copy_doubles(src->matrix, d * d)) != NULL &&
         (m->chol = copy_doubles(src->chol, d * d)) != NULL &&
         (m->diag = copy_doubles(src->diag, d)) != NULL;
  if (ok && src->parts) {
    ok = (m->parts = calloc(src->k, sizeof *m->parts)) != NULL &&
         (m->weights = copy_doubles(src->weights, src->k)) != NULL &&
         (m->log_weights = copy_doubles(src->log_weights, src->k)) != NULL &&
         (m->cum = copy_doubles(src->cum, src->k)) != NULL;
    for (size_t i = 0; ok && i < src->k; i++)
      ok = (m->parts[i] = issim_model_clone(src->parts[i])) != NULL;
  }
  if (!ok) {
    issim_model_free(m);
    return NULL;
  }
  return m;
}

void issim_model_free(issim_model *m)
{
  if (m == NULL)
    return;
  if (m->dists)
    for (size_t j = 0; j < m->d; j++)
      issim_dist_free(m->dists[j]);
  free(m->dists);
  if (m->parts)
    for (size_t i = 0; i < m->k; i++)
      issim_model_free(m->parts[i]);
  free(m->parts);
  issim_model_free(m->inner);
  issim_transform_free(m->transform);
  free(m->loc);
  free(m->matrix);
  free(m->chol);
  free(m->diag);
  free(m->weights);
  free(m->log_weights);
  free(m->cum);
  issim_credit_law_free(m->credit);
  free(m);
}

issim_model *issim_model_alloc_moved(const issim_model *m, const double *location, double spread,
                                     issim_error *err)
{
  if (m->kind != ISSIM_MODEL_NORMAL && m->kind != ISSIM_MODEL_STUDENT_T) {
    issim_error_set(err, ISSIM_EINVAL, "only a multivariate normal or t can be moved");
    return NULL;
  }
  if (check_vector(m->d, location, "location", err) != ISSIM_OK)
    return NULL;
  if (!(spread > 0) || !isfinite(spread)) {
    issim_error_set_key(err, ISSIM_EINVAL, "spread", "spread must be a finite number > 0 (got %g)",
                        spread);
    return NULL;
  }
  issim_model *moved = issim_model_clone(m);
  if (moved == NULL)
    return fail_nomem(moved, err);
  const size_t d = m->d;
  memcpy(moved->loc, location, d * sizeof *location);
  if (spread != 1) {
    for (size_t j = 0; j < d * d; j++) {
      moved->chol[j] *= spread;
      moved->matrix[j] *= spread * spread;
    }
    for (size_t j = 0; j < d; j++)
      moved->diag[j] *= spread;
    moved->log_norm -= (double) d * log(spread); /* -sum log L_jj */
  }
  return moved;
}

issim_model_kind issim_model_kind_of(const issim_model *m)
{
  return m->kind;
}

size_t issim_model_dim(const issim_model *m)
{
  return m->d;
}

/* ---- scratch ---- */

/* independent: a column and its log-densities (2n).
 * normal, student-t: the batch's coordinates a row each (columns_scratch),
 * for L z and for the forward substitution, then one value per point: the
 * t's scale factors when sampling, the squared norms for the density (this
 * also covers the d of the diagonal's point-by-point density).
 * copula: max(2n, columns_scratch): the marginals' log-densities column by
 * column, then the normal scores of one point (d); L z when sampling.
 * mixture, sampling: labels (n), per-component cursors (k), the points
 * grouped by component (n d), then the components' own scratch; density:
 * one component's log-densities (n), the log-sum-exp's running sums (n),
 * then the components' own scratch. */
size_t issim_model_scratch(const issim_model *m, size_t n)
{
  switch (m->kind) {
  case ISSIM_MODEL_INDEPENDENT:
    return 2 * n;
  case ISSIM_MODEL_NORMAL:
  case ISSIM_MODEL_STUDENT_T:
    return columns_scratch(m->d, n);
  case ISSIM_MODEL_COPULA: {
    const size_t nd = columns_scratch(m->d, n);
    return 2 * n > nd ? 2 * n : nd;
  }
  case ISSIM_MODEL_MIXTURE: {
    size_t sub = 0;
    for (size_t i = 0; i < m->k; i++) {
      const size_t s = issim_model_scratch(m->parts[i], n);
      if (s > sub)
        sub = s;
    }
    const size_t sample = n + m->k + n * m->d, density = 2 * n;
    return (sample > density ? sample : density) + sub;
  }
  case ISSIM_MODEL_TRANSFORMED:
    return issim_transformed_scratch(m, n);
  case ISSIM_MODEL_CREDIT:
    return issim_credit_law_scratch(m->credit);
  }
  return 0;
}

/* ---- sampling ---- */

/* Points in a batch are transformed all at once, their coordinates laid out
 * one coordinate to a row (t[j*np + i]: coordinate j of point i, np =
 * stride(n)), so that each entry of L is loaded once for a group of points
 * and the points run in vector lanes.  Each point's sums are formed in the
 * same order as a point-by-point loop would form them, so the digits do not
 * depend on the batch.  For a large d this is also what keeps L (8 MB at
 * d = 1000) from being read from memory once per point. */

/* Two vectors' lanes picked by index (0-3: a's, 4-7: b's): GCC's
 * __builtin_shuffle, clang's __builtin_shufflevector (clang has no
 * __builtin_shuffle). */
#if defined(__clang__)
#define SHUFFLE4(a, b, i0, i1, i2, i3) __builtin_shufflevector(a, b, i0, i1, i2, i3)
#else
#define SHUFFLE4(a, b, i0, i1, i2, i3) \
  __builtin_shuffle(a, b, (long long __attribute__((vector_size(32)))){i0, i1, i2, i3})
#endif

/* The 4 x 4 block a0..a3 transposed in place (a_k[i] becomes a_i[k]). */
static inline void transpose4(issim_vec4 *a0, issim_vec4 *a1, issim_vec4 *a2, issim_vec4 *a3)
{
  const issim_vec4 t0 = SHUFFLE4(*a0, *a1, 0, 4, 2, 6);
  const issim_vec4 t1 = SHUFFLE4(*a0, *a1, 1, 5, 3, 7);
  const issim_vec4 t2 = SHUFFLE4(*a2, *a3, 0, 4, 2, 6);
  const issim_vec4 t3 = SHUFFLE4(*a2, *a3, 1, 5, 3, 7);
  *a0 = SHUFFLE4(t0, t2, 0, 1, 4, 5);
  *a1 = SHUFFLE4(t1, t3, 0, 1, 4, 5);
  *a2 = SHUFFLE4(t0, t2, 2, 3, 6, 7);
  *a3 = SHUFFLE4(t1, t3, 2, 3, 6, 7);
}

/* t[j*st + i] = x[i*d + j] - loc[j] (st = stride(n)), zeros in the padding;
 * 4 points by 4 coordinates at a time where whole blocks fit. */
VECTOR_CLONES
static void to_columns(size_t n, size_t d, const double *restrict x, const double *restrict loc,
                       double *restrict t)
{
  const size_t st = stride(n), n4 = n / 4 * 4, d4 = d / 4 * 4;
  for (size_t i = 0; i < n4; i += 4) {
    for (size_t j = 0; j < d4; j += 4) {
      const issim_vec4 l = *(const issim_vec4 *)(loc + j);
      issim_vec4 a0 = *(const issim_vec4 *)(x + i * d + j) - l;
      issim_vec4 a1 = *(const issim_vec4 *)(x + (i + 1) * d + j) - l;
      issim_vec4 a2 = *(const issim_vec4 *)(x + (i + 2) * d + j) - l;
      issim_vec4 a3 = *(const issim_vec4 *)(x + (i + 3) * d + j) - l;
      transpose4(&a0, &a1, &a2, &a3);
      *(issim_vec4 *)(t + j * st + i) = a0;
      *(issim_vec4 *)(t + (j + 1) * st + i) = a1;
      *(issim_vec4 *)(t + (j + 2) * st + i) = a2;
      *(issim_vec4 *)(t + (j + 3) * st + i) = a3;
    }
    for (size_t j = d4; j < d; j++)
      for (size_t k = i; k < i + 4; k++)
        t[j * st + k] = x[k * d + j] - loc[j];
  }
  for (size_t j = 0; j < d; j++) {
    for (size_t i = n4; i < n; i++)
      t[j * st + i] = x[i * d + j] - loc[j];
    for (size_t i = n; i < padded(n); i++)
      t[j * st + i] = 0;
  }
}

/* x[i*d + j] = t[j*st + i] + loc[j] (loc NULL: t[j*st + i]), 4 by 4 as
 * to_columns. */
VECTOR_CLONES
static void from_columns(size_t n, size_t d, const double *restrict t, const double *restrict loc,
                         double *restrict x)
{
  const size_t st = stride(n), n4 = n / 4 * 4, d4 = d / 4 * 4;
  for (size_t i = 0; i < n4; i += 4) {
    for (size_t j = 0; j < d4; j += 4) {
      issim_vec4 a0 = *(const issim_vec4 *)(t + j * st + i);
      issim_vec4 a1 = *(const issim_vec4 *)(t + (j + 1) * st + i);
      issim_vec4 a2 = *(const issim_vec4 *)(t + (j + 2) * st + i);
      issim_vec4 a3 = *(const issim_vec4 *)(t + (j + 3) * st + i);
      transpose4(&a0, &a1, &a2, &a3);
      if (loc) {
        const issim_vec4 l = *(const issim_vec4 *)(loc + j);
        a0 += l, a1 += l, a2 += l, a3 += l;
      }
      *(issim_vec4 *)(x + i * d + j) = a0;
      *(issim_vec4 *)(x + (i + 1) * d + j) = a1;
      *(issim_vec4 *)(x + (i + 2) * d + j) = a2;
      *(issim_vec4 *)(x + (i + 3) * d + j) = a3;
    }
    for (size_t j = d4; j < d; j++)
      for (size_t k = i; k < i + 4; k++)
        x[k * d + j] = loc ? t[j * st + k] + loc[j] : t[j * st + k];
  }
  for (size_t j = 0; j < d; j++)
    for (size_t i = n4; i < n; i++)
      x[i * d + j] = loc ? t[j * st + i] + loc[j] : t[j * st + i];
}

/* The kernels work on one group of GROUP points (columns g.. of the
 * coordinate rows, np apart) and one block of rows k in [kb, ke) of the
 * input at a time: the block's rows of the group (KBLOCK x 128 bytes) stay in
 * the L1 cache while every row j of L that needs them streams by.  Blocks are
 * taken in increasing k, so each point's sums still run in increasing k. */
#define KBLOCK 32

/* out row j += sum_{k in [kb, min(ke, j+1))} L_jk (row k of in), for j >= kb;
 * kb == 0 starts the sums from 0. */
VECTOR_CLONES
static void lower_times_block(const double *restrict l, size_t d, size_t kb, size_t ke,
                              size_t np, const double *restrict in, double *restrict out)
{
  for (size_t j = kb; j < d; j++) {
    const double *lj = l + j * d;
    const size_t kend = j + 1 < ke ? j + 1 : ke;
    issim_vec4 *oj = (issim_vec4 *)(out + j * np);
    issim_vec4 a0 = {0, 0, 0, 0}, a1 = a0, a2 = a0, a3 = a0;
    if (kb > 0)
      a0 = oj[0], a1 = oj[1], a2 = oj[2], a3 = oj[3];
    for (size_t k = kb; k < kend; k++) {
      const issim_vec4 *ik = (const issim_vec4 *)(in + k * np);
      const double lk = lj[k];
      a0 += lk * ik[0];
      a1 += lk * ik[1];
      a2 += lk * ik[2];
      a3 += lk * ik[3];
    }
    oj[0] = a0, oj[1] = a1, oj[2] = a2, oj[3] = a3;
  }
}

/* Forward substitution, in place: rows j in [kb, ke) are finished, (row j -
 * sum_{k<j} L_jk row k) / L_jj, and q += (row j)^2; rows j >= ke subtract the
 * block's terms.  The operations, and their order, of issim_linalg_mahalanobis
 * (linalg.c), four points to a vector: this kernel stays here, beside the
 * other batched kernels, because a call per point would cost more than the
 * substitution itself. */
VECTOR_CLONES
static void solve_block(const double *restrict l, const double *restrict diag, size_t d,
                        size_t kb, size_t ke, size_t np, double *restrict g,
                        double *restrict q)
{
  issim_vec4 *qv = (issim_vec4 *)q;
  for (size_t j = kb; j < d; j++) {
    const double *lj = l + j * d;
    const size_t kend = j < ke ? j : ke;
    issim_vec4 *gj = (issim_vec4 *)(g + j * np);
    issim_vec4 a0 = gj[0], a1 = gj[1], a2 = gj[2], a3 = gj[3];
    for (size_t k = kb; k < kend; k++) {
      const issim_vec4 *gk = (const issim_vec4 *)(g + k * np);
      const double lk = lj[k];
      a0 -= lk * gk[0];
      a1 -= lk * gk[1];
      a2 -= lk * gk[2];
      a3 -= lk * gk[3];
    }
    if (j < ke) {
      const double ljj = diag[j];
      a0 /= ljj, a1 /= ljj, a2 /= ljj, a3 /= ljj;
      qv[0] += a0 * a0, qv[1] += a1 * a1, qv[2] += a2 * a2, qv[3] += a3 * a3;
    }
    gj[0] = a0, gj[1] = a1, gj[2] = a2, gj[3] = a3;
  }
}

/* Coordinate rows out = L t (a dense L). */
static void lower_times_columns(const issim_model *m, size_t n, const double *t, double *out)
{
  for (size_t kb = 0; kb < m->d; kb += KBLOCK)
    for (size_t i0 = 0; i0 < padded(n); i0 += GROUP)
      lower_times_block(m->chol, m->d, kb, kb + KBLOCK < m->d ? kb + KBLOCK : m->d, stride(n),
                        t + i0, out + i0);
}

/* Each of n points' component, a uniform draw of r each: the first draws
 * of a mixture's batch. */
static void draw_labels(const issim_model *m, gsl_rng *r, size_t n, double *label)
{
  for (size_t i = 0; i < n; i++) {
    const double u = gsl_rng_uniform(r);
    size_t c = 0;
    while (c + 1 < m->k && !(u < m->cum[c]))
      c++;
    label[i] = (double) c;
  }
}

/* The mixture whose components a sample of m draws first: m itself, or a
 * proposal in the standard space whose model of u is one (it samples u
 * first); NULL for other models. */
static const issim_model *labelled_mixture(const issim_model *m)
{
  if (m->kind == ISSIM_MODEL_TRANSFORMED)
    m = m->inner;
  return m->kind == ISSIM_MODEL_MIXTURE ? m : NULL;
}

int issim_model_has_labels(const issim_model *m)
{
  return labelled_mixture(m) != NULL;
}

int issim_model_mixture_labels(const issim_model *m, gsl_rng *r, size_t n, double *label)
{
  const issim_model *mix = labelled_mixture(m);
  if (mix == NULL)
    return 0;
  draw_labels(mix, r, n, label);
  return 1;
}

static void sample_mixture(const issim_model *m, gsl_rng *r, size_t n, double *x,
                           double *scratch)
{
  const size_t d = m->d, k = m->k;
  double *label = scratch, *cursor = scratch + n, *grouped = cursor + k;
  double *sub = grouped + n * d;
  for (size_t c = 0; c < k; c++)
    cursor[c] = 0;
  draw_labels(m, r, n, label);
  for (size_t i = 0; i < n; i++)
    cursor[(size_t) label[i]] += 1;
  /* each component's points, together, in component order; cursor[c]
   * becomes the first row of component c's group */
  size_t start = 0;
  for (size_t c = 0; c < k; c++) {
    const size_t count = (size_t) cursor[c];
    cursor[c] = (double) start;
    if (count)
      issim_model_sample(m->parts[c], r, count, grouped + start * d, sub);
    start += count;
  }
  for (size_t i = 0; i < n; i++) {
    const size_t c = (size_t) label[i], row = (size_t) cursor[c];
    memcpy(x + i * d, grouped + row * d, d * sizeof *x);
    cursor[c] += 1;
  }
}

/* Standard normal draws for n points, point by point, into coordinate rows
 * (t[j*np + i]) when L is dense, else straight into x's rows; returns where
 * they are. */
/* sqrt(df / Y), Y chi-squared(df): from log Y where Y underflows (df < 2),
 * so that the point stays finite wherever it is a double. */
static double t_scale_draw(gsl_rng *r, double df)
{
  double log_y;
  const double y = issim_dist_chi_squared_draw(r, df, &log_y);
  return y >= DBL_MIN ? sqrt(df / y) : exp(0.5 * (log(df) - log_y));
}

double *issim_model_draw_normals(const issim_model *m, gsl_rng *r, size_t n, double *x, double *t,
                            double *f)
{
  const size_t d = m->d, st = stride(n);
  double *z = m->diagonal ? x : t;
  const size_t point = m->diagonal ? d : 1, coordinate = m->diagonal ? 1 : st;
  for (size_t i = 0; i < n; i++) {
    for (size_t j = 0; j < d; j++)
      z[i * point + j * coordinate] = gsl_ran_gaussian_ziggurat(r, 1.0);
    if (f) /* the t's scale factor, drawn after the point's normals */
      f[i] = t_scale_draw(r, m->df);
  }
  if (!m->diagonal)
    for (size_t j = 0; j < d; j++)
      for (size_t i = n; i < padded(n); i++)
        t[j * st + i] = 0;
  for (size_t i = n; f && i < padded(n); i++)
    f[i] = 0;
  return z;
}

/* x_i = loc + L z_i (loc NULL: L z_i) for n points drawn by issim_model_draw_normals,
 * through 2 d stride(n) doubles of t. */
void issim_model_lower_times_batch(const issim_model *m, size_t n, double *x, double *t,
                              const double *loc)
{
  const size_t d = m->d;
  if (m->diagonal) {
    for (size_t i = 0; i < n; i++)
      for (size_t j = 0; j < d; j++)
        x[i * d + j] = loc ? x[i * d + j] * m->diag[j] + loc[j] : x[i * d + j] * m->diag[j];
    return;
  }
  double *out = t + d * stride(n);
  lower_times_columns(m, n, t, out);
  from_columns(n, d, out, loc, x);
}

/* x_i = loc + f_i L z_i for n points of a t drawn by issim_model_draw_normals (with f),
 * in that order: L z first, then scaled and moved. */
void issim_model_t_points(const issim_model *m, size_t n, double *x, double *t, const double *f)
{
  const size_t d = m->d;
  issim_model_lower_times_batch(m, n, x, t, NULL);
  for (size_t i = 0; i < n; i++)
    for (size_t j = 0; j < d; j++)
      x[i * d + j] = m->loc[j] + f[i] * x[i * d + j];
}

void issim_model_sample(const issim_model *m, gsl_rng *r, size_t n, double *x, double *scratch)
{
  const size_t d = m->d;
  double *t = scratch, *f = scratch + 2 * d * stride(n);
  switch (m->kind) {
  case ISSIM_MODEL_INDEPENDENT:
    if (d == 1) { /* the univariate kind: straight into x, no copy */
      issim_dist_sample(m->dists[0], r, n, x);
      break;
    }
    for (size_t j = 0; j < d; j++) {
      issim_dist_sample(m->dists[j], r, n, scratch);
      for (size_t i = 0; i < n; i++)
        x[i * d + j] = scratch[i];
    }
    break;
  case ISSIM_MODEL_NORMAL:
    issim_model_draw_normals(m, r, n, x, t, NULL);
    issim_model_lower_times_batch(m, n, x, t, m->loc);
    break;
  case ISSIM_MODEL_STUDENT_T:
    issim_model_draw_normals(m, r, n, x, t, f);
    issim_model_t_points(m, n, x, t, f);
    break;
  case ISSIM_MODEL_COPULA:
    issim_model_draw_normals(m, r, n, x, t, NULL);
    issim_model_lower_times_batch(m, n, x, t, NULL);
    issim_copula_from_scores(m, n, x);
    break;
  case ISSIM_MODEL_MIXTURE:
    sample_mixture(m, r, n, x, scratch);
    break;
  case ISSIM_MODEL_TRANSFORMED:
    issim_transformed_sample(m, r, n, x, scratch);
    break;
  case ISSIM_MODEL_CREDIT:
    issim_credit_law_sample(m->credit, r, n, x, scratch);
    break;
  }
}

/* ---- log-densities ---- */

/* q[i] = |L^-1 (x_i - loc)|^2 for the n points of x (a dense L), through
 * t (d stride(n) doubles) and q itself (padded(n) doubles). */
static void mahalanobis_batch(const issim_model *m, size_t n, const double *x, double *q,
                              double *t)
{
  const size_t d = m->d;
  for (size_t i = 0; i < padded(n); i++)
    q[i] = 0;
  to_columns(n, d, x, m->loc, t);
  for (size_t kb = 0; kb < d; kb += KBLOCK)
    for (size_t i0 = 0; i0 < padded(n); i0 += GROUP)
      solve_block(m->chol, m->diag, d, kb, kb + KBLOCK < d ? kb + KBLOCK : d, stride(n), t + i0,
                  q + i0);
}

/* |L^-1 (x - loc)|^2 for one point; O(d) for a diagonal L. */
static double mahalanobis(const issim_model *m, const double *row, double *y)
{
  const size_t d = m->d;
  double q = 0;
  if (m->diagonal) {
#pragma omp simd reduction(+ : q)
    for (size_t j = 0; j < d; j++) {
      const double t = (row[j] - m->loc[j]) / m->diag[j];
      q += t * t;
    }
    return q;
  }
  return issim_linalg_mahalanobis(d, m->chol, row, m->loc, y);
}

static bool all_finite(const double *row, size_t d)
{
  for (size_t j = 0; j < d; j++)
    if (!isfinite(row[j]))
      return false;
  return true;
}

/* A t's log-density at the points where it came out -inf with finite
 * coordinates: |L^-1 (x - loc)|^2 overflowed (beyond about 1e154), but the
 * density, like |x|^-(df+d), is not 0 there.  Computed again from the log of
 * the distance, scaled so that nothing overflows.  Scratch: d doubles. */
static void t_far_points(const issim_model *m, size_t n, const double *x, double *lp,
                         double *scratch)
{
  const size_t d = m->d;
  const double e = 0.5 * (m->df + (double) d);
  for (size_t i = 0; i < n; i++) {
    const double *row = x + i * d;
    if (lp[i] != -INFINITY || !all_finite(row, d))
      continue;
    double log_q;
    if (m->diagonal) {
      for (size_t j = 0; j < d; j++)
        scratch[j] = (row[j] - m->loc[j]) / m->diag[j];
      log_q = issim_linalg_log_sum_squares(d, scratch);
    } else {
      log_q = issim_linalg_log_mahalanobis(d, m->chol, row, m->loc, scratch);
    }
    lp[i] = m->log_norm - e * log1p_exp_ratio(log_q, m->df);
  }
}

/* A NaN from an infinite coordinate (inf - inf in the substitution) is a
 * density of 0; a NaN coordinate stays NaN. */
static double nan_to_zero_density(double lp, const double *row, size_t d)
{
  if (!isnan(lp))
    return lp;
  for (size_t j = 0; j < d; j++)
    if (isnan(row[j]))
      return NAN;
  return -INFINITY;
}

/* lp[i] = sum_j log f_j(x_ij): the components' log-densities, a column at a
 * time through scratch (2n doubles). */
void issim_model_sum_component_log_pdfs(const issim_model *m, size_t n, const double *x, double *lp,
                                   double *scratch)
{
  const size_t d = m->d;
  double *col = scratch, *colp = scratch + n;
  for (size_t i = 0; i < n; i++)
    lp[i] = 0;
  for (size_t j = 0; j < d; j++) {
    for (size_t i = 0; i < n; i++)
      col[i] = x[i * d + j];
    issim_dist_log_pdf(m->dists[j], n, col, colp);
    for (size_t i = 0; i < n; i++)
      lp[i] += colp[i];
  }
}

static void log_pdf_mixture(const issim_model *m, size_t n, const double *x, double *lp,
                            double *scratch)
{
  double *lpk = scratch, *s = scratch + n, *sub = scratch + 2 * n;
  /* log-sum-exp with a running maximum in lp and the sum of exp(a - max)
   * in s: no q_k(x) is ever formed, so the result is finite wherever one
   * log q_k is */
  for (size_t i = 0; i < n; i++) {
    lp[i] = -INFINITY;
    s[i] = 0;
  }
  for (size_t c = 0; c < m->k; c++) {
    if (m->weights[c] == 0)
      continue;
    issim_model_log_pdf(m->parts[c], n, x, lpk, sub);
    const double lw = m->log_weights[c];
    for (size_t i = 0; i < n; i++) {
      const double a = lw + lpk[i], mx = lp[i];
      if (a > mx) {
        s[i] = s[i] * exp(mx - a) + 1;
        lp[i] = a;
      } else if (a == mx) { /* also +inf == +inf, where a - mx is NaN */
        s[i] += 1;
      } else {
        s[i] += exp(a - mx); /* NaN a makes s NaN */
      }
    }
  }
  for (size_t i = 0; i < n; i++)
    lp[i] = lp[i] == -INFINITY && !isnan(s[i]) ? -INFINITY : lp[i] + log(s[i]);
}

void issim_model_log_pdf(const issim_model *m, size_t n, const double *x, double *lp,
                         double *scratch)
{
  const size_t d = m->d;
  switch (m->kind) {
  case ISSIM_MODEL_INDEPENDENT:
    if (d == 1) /* the univariate kind: the distribution's own, no copy */
      issim_dist_log_pdf(m->dists[0], n, x, lp);
    else
      issim_model_sum_component_log_pdfs(m, n, x, lp, scratch);
    break;
  case ISSIM_MODEL_NORMAL:
    if (!m->diagonal) {
      double *q = scratch + d * stride(n);
      mahalanobis_batch(m, n, x, q, scratch);
      for (size_t i = 0; i < n; i++)
        lp[i] = nan_to_zero_density(m->log_norm - 0.5 * q[i], x + i * d, d);
      break;
    }
    for (size_t i = 0; i < n; i++) {
      const double *row = x + i * d;
      lp[i] = nan_to_zero_density(m->log_norm - 0.5 * mahalanobis(m, row, scratch), row, d);
    }
    break;
  case ISSIM_MODEL_STUDENT_T: {
    const double e = 0.5 * (m->df + (double) d);
    if (!m->diagonal) {
      double *q = scratch + d * stride(n);
      mahalanobis_batch(m, n, x, q, scratch);
      for (size_t i = 0; i < n; i++)
        lp[i] = nan_to_zero_density(m->log_norm - e * log1p_ratio(q[i], m->df), x + i * d, d);
      t_far_points(m, n, x, lp, scratch);
      break;
    }
    for (size_t i = 0; i < n; i++) {
      const double *row = x + i * d;
      const double q = mahalanobis(m, row, scratch);
      lp[i] = nan_to_zero_density(m->log_norm - e * log1p_ratio(q, m->df), row, d);
    }
    t_far_points(m, n, x, lp, scratch);
    break;
  }
  case ISSIM_MODEL_COPULA:
    issim_copula_log_pdf(m, n, x, lp, scratch);
    break;
  case ISSIM_MODEL_MIXTURE:
    log_pdf_mixture(m, n, x, lp, scratch);
    break;
  case ISSIM_MODEL_TRANSFORMED:
    issim_transformed_log_pdf(m, n, x, lp, scratch);
    break;
  case ISSIM_MODEL_CREDIT:
    issim_credit_law_log_pdf(m->credit, n, x, lp, scratch);
    break;
  }
}

int issim_model_gaussian_form(const issim_model *m, double *location, double *cholesky,
                              double *df)
{
  if (m->kind != ISSIM_MODEL_NORMAL && m->kind != ISSIM_MODEL_STUDENT_T)
    return ISSIM_EINVAL;
  if (location)
    memcpy(location, m->loc, m->d * sizeof *location);
  if (cholesky)
    memcpy(cholesky, m->chol, m->d * m->d * sizeof *cholesky);
  if (df)
    *df = m->kind == ISSIM_MODEL_NORMAL ? INFINITY : m->df;
  return ISSIM_OK;
}

const issim_dist *issim_model_component(const issim_model *m, size_t i)
{
  if ((m->kind != ISSIM_MODEL_INDEPENDENT && m->kind != ISSIM_MODEL_COPULA) || i >= m->d)
    return NULL;
  return m->dists[i];
}

int issim_model_describe(const issim_model *m, char *buf, size_t size)
{
  switch (m->kind) {
  case ISSIM_MODEL_INDEPENDENT:
    return snprintf(buf, size, "independent(d=%zu)", m->d);
  case ISSIM_MODEL_NORMAL:
    return snprintf(buf, size, "multivariate-normal(d=%zu)", m->d);
  case ISSIM_MODEL_STUDENT_T:
    return snprintf(buf, size, "multivariate-t(d=%zu, df=%.10g)", m->d, m->df);
  case ISSIM_MODEL_COPULA:
    return snprintf(buf, size, "gaussian-copula(d=%zu)", m->d);
  case ISSIM_MODEL_MIXTURE:
    return snprintf(buf, size, "mixture(d=%zu, k=%zu)", m->d, m->k);
  case ISSIM_MODEL_TRANSFORMED: {
    char inner[200];
    issim_model_describe(m->inner, inner, sizeof inner);
    return snprintf(buf, size, "standard-space(%s)", inner);
  }
  case ISSIM_MODEL_CREDIT:
    return issim_credit_law_describe(m->credit, buf, size);
  }
  return snprintf(buf, size, "?");
}

int issim_model_elliptical_form(const issim_model *m, double *location, double *cholesky,
                                double *df)
{
  if (m->kind != ISSIM_MODEL_INDEPENDENT)
    return issim_model_gaussian_form(m, location, cholesky, df);
  for (size_t j = 0; j < m->d; j++)
    if (m->dists[j]->kind != ISSIM_DIST_NORMAL)
      return ISSIM_EINVAL;
  for (size_t j = 0; j < m->d; j++) {
    if (location)
      location[j] = m->dists[j]->param[0];
    for (size_t k = 0; cholesky && k < m->d; k++)
      cholesky[j * m->d + k] = j == k ? m->dists[j]->param[1] : 0;
  }
  if (df)
    *df = INFINITY;
  return ISSIM_OK;
}

void issim_model_elliptical_free(issim_model_elliptical *e)
{
  free(e->mu);
  free(e->l);
  e->mu = e->l = NULL;
}

int issim_model_elliptical_of(const issim_model *m, issim_model_elliptical *e)
{
  size_t d = m->d;
  *e = (issim_model_elliptical){.d = d, .mu = malloc(d * sizeof(double)),
                          .l = malloc(d * d * sizeof(double))};
  if (e->mu && e->l && issim_model_elliptical_form(m, e->mu, e->l, &e->df) == ISSIM_OK)
    return 1;
  issim_model_elliptical_free(e);
  return 0;
}

size_t issim_model_mixture_size(const issim_model *m)
{
  return m->kind == ISSIM_MODEL_MIXTURE ? m->k : 0;
}

const issim_model *issim_model_mixture_part(const issim_model *m, size_t k, double *weight)
{
  if (m->kind != ISSIM_MODEL_MIXTURE || k >= m->k)
    return NULL;
  if (weight)
    *weight = m->weights[k];
  return m->parts[k];
}
