/* model_helpers.h: what the tests of model.c, copula.c and pair.c share:
 * assertions, seeded generators, models built without error checks, GSL's
 * references (Cholesky, the normal log-density, LU), and sample moments
 * against known ones.  static inline: each test program uses a part. */
#ifndef ISSIM_TESTS_MODEL_HELPERS_H
#define ISSIM_TESTS_MODEL_HELPERS_H

#include <check.h>
#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_integration.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_math.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_sf_erf.h>
#include <gsl/gsl_sf_gamma.h>
#include <gsl/gsl_vector.h>

#include "check_main.h"
#include "dist.h"
#include "check_util.h"
#include "loss.h"
#include "model.h"

enum { NSAMPLE = 200000 };

/* ---- assertions ---- */

/* assert_close: check_util.h */

/* |got - want| <= rel max(1, |want|) */
#define assert_near(got, want, rel)                                            \
  assert_close(got, want, (rel) * fmax(1.0, fabs((double) (want))))

#define assert_error(err, want_key, want_message)                              \
  do {                                                                         \
    ck_assert_int_eq((err).code, ISSIM_EINVAL);                                \
    ck_assert_str_eq((err).key, want_key);                                     \
    ck_assert_str_eq((err).message, want_message);                             \
  } while (0)

/* ---- helpers ---- */

static inline gsl_rng *seeded(unsigned long seed)
{
  gsl_rng *r = gsl_rng_alloc(gsl_rng_taus2);
  gsl_rng_set(r, seed);
  return r;
}

/* exactly issim_model_scratch(m, n) doubles (at least one, for malloc) */
static inline double *scratch_for(const issim_model *m, size_t n)
{
  const size_t s = issim_model_scratch(m, n);
  double *p = malloc((s ? s : 1) * sizeof *p);
  ck_assert_ptr_nonnull(p);
  return p;
}

static inline double *sample(const issim_model *m, unsigned long seed, size_t n)
{
  const size_t d = issim_model_dim(m);
  double *x = malloc(n * d * sizeof *x), *s = scratch_for(m, n);
  gsl_rng *r = seeded(seed);
  ck_assert_ptr_nonnull(x);
  issim_model_sample(m, r, n, x, s);
  gsl_rng_free(r);
  free(s);
  return x;
}

static inline void log_pdf(const issim_model *m, size_t n, const double *x, double *lp)
{
  double *s = scratch_for(m, n);
  issim_model_log_pdf(m, n, x, lp, s);
  free(s);
}

static inline double log_pdf1(const issim_model *m, const double *x)
{
  double lp;
  log_pdf(m, 1, x, &lp);
  return lp;
}

static inline issim_dist *dist(const char *family, size_t n, const char *const *keys,
                        const double *values)
{
  issim_error err;
  issim_dist *d = issim_dist_alloc(family, n, keys, values, &err);
  ck_assert_msg(d != NULL, "%s: %s", family, err.message);
  return d;
}

static inline issim_dist *normal(double mean, double sd)
{
  return dist("normal", 2, (const char *[]){"mean", "sd"}, (double[]){mean, sd});
}

static inline issim_dist *student(double df, double loc, double scale)
{
  return dist("student-t", 3, (const char *[]){"df", "location", "scale"},
              (double[]){df, loc, scale});
}

static inline issim_dist *gamma_dist(double shape, double scale)
{
  return dist("gamma", 2, (const char *[]){"shape", "scale"}, (double[]){shape, scale});
}

static inline issim_model *make_normal(size_t d, const double *mean, const double *cov)
{
  issim_error err;
  issim_model *m = issim_model_alloc_normal(d, mean, cov, &err);
  ck_assert_msg(m != NULL, "normal: %s", err.message);
  return m;
}

static inline issim_model *make_t(size_t d, double df, const double *loc, const double *scale)
{
  issim_error err;
  issim_model *m = issim_model_alloc_student_t(d, df, loc, scale, &err);
  ck_assert_msg(m != NULL, "student-t: %s", err.message);
  return m;
}

/* A copula that takes ownership of the marginals. */
static inline issim_model *make_copula(size_t d, const double *r, issim_dist **marg)
{
  issim_error err;
  issim_model *m = issim_model_alloc_copula(d, r, (const issim_dist *const *) marg, &err);
  ck_assert_msg(m != NULL, "copula: %s", err.message);
  for (size_t j = 0; j < d; j++)
    issim_dist_free(marg[j]);
  return m;
}

static inline issim_model *make_mixture(size_t k, const issim_model *const *parts, const double *w)
{
  issim_error err;
  issim_model *m = issim_model_alloc_mixture(k, parts, w, &err);
  ck_assert_msg(m != NULL, "mixture: %s", err.message);
  return m;
}

/* A random symmetric positive definite matrix: B B^T / d + I/2, rows and
 * columns then scaled by sd in [0.5, 3]. */
static inline void random_spd(gsl_rng *r, size_t d, double *a)
{
  double *b = malloc(d * d * sizeof *b), *sd = malloc(d * sizeof *sd);
  for (size_t i = 0; i < d * d; i++)
    b[i] = gsl_ran_gaussian(r, 1);
  for (size_t i = 0; i < d; i++)
    sd[i] = 0.5 + 2.5 * gsl_rng_uniform(r);
  for (size_t i = 0; i < d; i++)
    for (size_t j = 0; j < d; j++) {
      double s = i == j ? 0.5 : 0;
      for (size_t k = 0; k < d; k++)
        s += b[i * d + k] * b[j * d + k] / (double) d;
      a[i * d + j] = s * sd[i] * sd[j];
    }
  free(b);
  free(sd);
}

/* The correlation matrix of a covariance. */
static inline void to_correlation(size_t d, const double *a, double *r)
{
  for (size_t i = 0; i < d; i++)
    for (size_t j = 0; j < d; j++)
      r[i * d + j] = i == j ? 1 : a[i * d + j] / sqrt(a[i * d + i] * a[j * d + j]);
}

/* Lower Cholesky factor by GSL (upper triangle zeroed). */
static inline void gsl_cholesky(size_t d, const double *a, double *l)
{
  memcpy(l, a, d * d * sizeof *l);
  gsl_matrix_view v = gsl_matrix_view_array(l, d, d);
  ck_assert_int_eq(gsl_linalg_cholesky_decomp1(&v.matrix), GSL_SUCCESS);
  for (size_t i = 0; i < d; i++)
    for (size_t j = i + 1; j < d; j++)
      l[i * d + j] = 0;
}

/* GSL's multivariate normal log-density. */
static inline double gsl_mvn_log_pdf(size_t d, const double *x, const double *mean, const double *l)
{
  gsl_vector_const_view xv = gsl_vector_const_view_array(x, d);
  gsl_vector_const_view mv = gsl_vector_const_view_array(mean, d);
  gsl_matrix_const_view lv = gsl_matrix_const_view_array(l, d, d);
  gsl_vector *work = gsl_vector_alloc(d);
  double result;
  ck_assert_int_eq(gsl_ran_multivariate_gaussian_log_pdf(&xv.vector, &mv.vector, &lv.matrix,
                                                         &result, work),
                   GSL_SUCCESS);
  gsl_vector_free(work);
  return result;
}

/* (x - mu)^T A^-1 (x - mu) and log det A by LU: independent of Cholesky. */
static inline double lu_quadratic(size_t d, const double *a, const double *x, const double *mu,
                           double *log_det)
{
  gsl_matrix *lu = gsl_matrix_alloc(d, d);
  gsl_permutation *p = gsl_permutation_alloc(d);
  gsl_vector *b = gsl_vector_alloc(d), *sol = gsl_vector_alloc(d);
  int sign;
  for (size_t i = 0; i < d; i++) {
    gsl_vector_set(b, i, x[i] - (mu ? mu[i] : 0));
    for (size_t j = 0; j < d; j++)
      gsl_matrix_set(lu, i, j, a[i * d + j]);
  }
  gsl_linalg_LU_decomp(lu, p, &sign);
  gsl_linalg_LU_solve(lu, p, b, sol);
  *log_det = gsl_linalg_LU_lndet(lu);
  double q = 0;
  for (size_t i = 0; i < d; i++)
    q += gsl_vector_get(b, i) * gsl_vector_get(sol, i);
  gsl_matrix_free(lu);
  gsl_permutation_free(p);
  gsl_vector_free(b);
  gsl_vector_free(sol);
  return q;
}

/* x = mean + c L e, e a random unit vector: |L^-1 (x - mean)| = c exactly
 * up to rounding. */
static inline void point_at_distance(gsl_rng *r, size_t d, const double *mean, const double *l,
                              double c, double *x)
{
  double *e = malloc(d * sizeof *e), norm = 0;
  for (size_t j = 0; j < d; j++) {
    e[j] = gsl_ran_gaussian(r, 1);
    norm += e[j] * e[j];
  }
  norm = sqrt(norm);
  for (size_t i = 0; i < d; i++) {
    double s = 0;
    for (size_t k = 0; k <= i; k++)
      s += l[i * d + k] * e[k] / norm;
    x[i] = mean[i] + c * s;
  }
  free(e);
}

/* Sample means and covariances of n points of dimension d. */
static inline void sample_moments(size_t n, size_t d, const double *x, double *mean, double *cov)
{
  for (size_t j = 0; j < d; j++) {
    double s = 0;
    for (size_t i = 0; i < n; i++)
      s += x[i * d + j];
    mean[j] = s / (double) n;
  }
  for (size_t a = 0; a < d; a++)
    for (size_t b = 0; b < d; b++) {
      double s = 0;
      for (size_t i = 0; i < n; i++)
        s += (x[i * d + a] - mean[a]) * (x[i * d + b] - mean[b]);
      cov[a * d + b] = s / (double) (n - 1);
    }
}

/* Sample mean and covariance against a normal's (or any law with Gaussian
 * fourth moments times kurt): SE of mean_i = sqrt(s_ii / n), of cov_ij =
 * sqrt((kurt (s_ii s_jj + 2 s_ij^2) - s_ij^2) / n), which is sqrt((s_ii s_jj
 * + s_ij^2)/n) for the normal (kurt = 1). */
static inline void check_sample_moments(size_t n, size_t d, const double *x, const double *mean,
                                 const double *cov, double kurt)
{
  double *m = malloc(d * sizeof *m), *c = malloc(d * d * sizeof *c);
  sample_moments(n, d, x, m, c);
  for (size_t i = 0; i < d; i++)
    assert_close(m[i], mean[i], 4 * sqrt(cov[i * d + i] / (double) n));
  for (size_t i = 0; i < d; i++)
    for (size_t j = 0; j < d; j++) {
      const double sij = cov[i * d + j];
      const double var =
          kurt * (cov[i * d + i] * cov[j * d + j] + 2 * sij * sij) - sij * sij;
      assert_close(c[i * d + j], sij, 4 * sqrt(var / (double) n));
    }
  free(m);
  free(c);
}

static const size_t DIMS[] = {1, 3, 10};
/* a 3 x 3 correlation */
static const double R3[9] = {1, 0.6, -0.3, 0.6, 1, 0.2, -0.3, 0.2, 1};

#endif
