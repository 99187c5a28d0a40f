/* model.h: d-dimensional distributions, for targets and proposals.
 *
 * A model is one of
 *   independent    d univariate distributions (dist.h), one per component
 *   normal         multivariate normal N(mean, covariance)
 *   student-t      multivariate t: location + sqrt(df / chi2_df) L z, scale = L L^T
 *   copula         a Gaussian copula with correlation R and univariate marginals:
 *                  X_j = F_j^-1(Phi(Z_j)), Z ~ N(0, R)
 *   mixture        sum_k w_k q_k of models of one dimension, density by log-sum-exp
 *   credit         a credit portfolio's factors and default indicators, with
 *                  a factor shift and Glasserman and Li's twist (credit.h)
 *   transformed    a model of u in a target's standard space carried to x by the
 *                  target's iso-probabilistic transform (built by transform.h)
 * Sampling and log-densities work on batches of n points stored row by row
 * (x[i*d + j]), with scratch memory from the caller so that the hot path never
 * allocates.  Log-densities are computed in log space throughout.  Matrices are
 * row-major d x d; covariances and correlations must be symmetric (to a relative
 * 1e-12) and positive definite (checked by GSL's Cholesky factorisation).
 */
#ifndef ISSIM_MODEL_H
#define ISSIM_MODEL_H

#include <stddef.h>
#include <gsl/gsl_rng.h>

#include "credit.h"
#include "dist.h"
#include "error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
  ISSIM_MODEL_INDEPENDENT,
  ISSIM_MODEL_NORMAL,
  ISSIM_MODEL_STUDENT_T,
  ISSIM_MODEL_COPULA,
  ISSIM_MODEL_MIXTURE,
  ISSIM_MODEL_CREDIT,
  ISSIM_MODEL_TRANSFORMED
} issim_model_kind;

typedef struct issim_model issim_model;

/* components: d distributions, copied.  err->key names the parameter at fault
 * ("covariance", "correlation", "weights", "df", ...). */
issim_model *issim_model_alloc_independent(size_t d, const issim_dist *const *components,
                                           issim_error *err);
/* A distribution on the line as a model: the univariate kind (independent,
 * one component), marked so that issim_model_line_dist gives the
 * distribution back to the analyses on the line (the event's interval, the
 * exact tail, the support).  A univariate problem's target and proposals are
 * such models; an independent model of one component otherwise built is not
 * (its event has a loss). */
issim_model *issim_model_alloc_line(const issim_dist *dist, issim_error *err);
/* The distribution of a model made by issim_model_alloc_line (or its clone);
 * NULL for every other model, and for NULL. */
const issim_dist *issim_model_line_dist(const issim_model *m);
issim_model *issim_model_alloc_normal(size_t d, const double *mean, const double *covariance,
                                      issim_error *err);
issim_model *issim_model_alloc_student_t(size_t d, double df, const double *location,
                                         const double *scale, issim_error *err);
issim_model *issim_model_alloc_copula(size_t d, const double *correlation,
                                      const issim_dist *const *marginals, issim_error *err);
/* weights: k values >= 0 summing to 1 (to 1e-9); components: k models of one
 * dimension, copied. */
issim_model *issim_model_alloc_mixture(size_t k, const issim_model *const *components,
                                       const double *weights, issim_error *err);
/* The credit law of book b (credit.h) moved by shift (m values; NULL: none)
 * and twisted to level `twist` (NAN: none), in d = m + n dimensions: a point
 * is (z_1..z_m, y_1..y_n).  The book is copied. */
issim_model *issim_model_alloc_credit(const issim_credit_book *b, const double *shift,
                                      double twist, issim_error *err);
/* A credit model's law; NULL for other kinds. */
const issim_credit_law *issim_model_credit_law(const issim_model *m);
issim_model *issim_model_clone(const issim_model *m);
void issim_model_free(issim_model *m);

issim_model_kind issim_model_kind_of(const issim_model *m);
size_t issim_model_dim(const issim_model *m);

/* Scratch doubles the functions below need for a batch of n points. */
size_t issim_model_scratch(const issim_model *m, size_t n);

/* n points into x[n*d]. */
void issim_model_sample(const issim_model *m, gsl_rng *r, size_t n, double *x, double *scratch);

/* log density of each of the n points into lp[n]; -INFINITY outside the support. */
void issim_model_log_pdf(const issim_model *m, size_t n, const double *x, double *lp,
                         double *scratch);

/* A normal or student-t m moved to `location` (d values) with its covariance
 * or scale matrix times spread^2 (spread > 0): L becomes spread L, computed
 * from m's own factor, so that with spread 1 the two share L exactly (and
 * issim_pair takes its fast path).  NULL and err set for another kind
 * or a location or spread that is not finite / positive. */
issim_model *issim_model_alloc_moved(const issim_model *m, const double *location, double spread,
                                     issim_error *err);

/* Mean vector and covariance matrix where they exist and are finite:
 * ISSIM_OK, or ISSIM_EINVAL when undefined or infinite (a t with df <= 2, a
 * Cauchy component...) or not worked out (a credit model).  cov may be NULL. */
int issim_model_moments(const issim_model *m, double *mean, double *cov);

/* For a normal or student-t model: its location and the lower Cholesky factor
 * of its covariance or scale matrix (row-major d x d); and df (INFINITY for
 * the normal).  ISSIM_EINVAL for other kinds. */
int issim_model_gaussian_form(const issim_model *m, double *location, double *cholesky,
                              double *df);

/* A copula model's correlation matrix R (d x d, row-major) into r: ISSIM_OK,
 * or ISSIM_EINVAL (r untouched) for every other kind. */
int issim_model_correlation(const issim_model *m, double *r);

/* The i-th component of an independent model or marginal of a copula; NULL
 * otherwise. */
const issim_dist *issim_model_component(const issim_model *m, size_t i);

/* Writes e.g. "multivariate-normal(d=10)"; returns what snprintf returns. */
int issim_model_describe(const issim_model *m, char *buf, size_t size);

/* issim_model_gaussian_form, also for an independent model whose components
 * are all normal (a normal with a diagonal covariance; df = INFINITY).
 * ISSIM_EINVAL for every other model. */
int issim_model_elliptical_form(const issim_model *m, double *location, double *cholesky,
                                double *df);

/* The elliptical form of issim_model_elliptical_form in memory of its own:
 * x = mu + L z (L lower triangular, d x d row-major), df INFINITY for a
 * normal.  issim_model_elliptical_of returns 1 with e filled (release it with
 * issim_model_elliptical_free), or 0 with e holding nothing (another kind, or out
 * of memory); issim_model_elliptical_free may be called either way. */
typedef struct {
  size_t d;
  double *mu, *l, df;
} issim_model_elliptical;
int issim_model_elliptical_of(const issim_model *m, issim_model_elliptical *e);
void issim_model_elliptical_free(issim_model_elliptical *e);

/* A mixture's number of components (0 for other kinds), and its component k
 * with its weight (NULL for k out of range or another kind). */
size_t issim_model_mixture_size(const issim_model *m);
const issim_model *issim_model_mixture_part(const issim_model *m, size_t k, double *weight);

/* The components that issim_model_sample(m, r, n, ...) draws its n points
 * from when r is in the state that call starts in (it draws them first):
 * label[i] = k (0-based, as a double), advancing r by those draws.  1 for a
 * mixture, and for a proposal in the standard space whose model of u is a
 * mixture (transform.h); 0 for another model (label untouched), whose
 * issim_model_has_labels is 0. */
int issim_model_has_labels(const issim_model *m);
int issim_model_mixture_labels(const issim_model *m, gsl_rng *r, size_t n, double *label);

#ifdef __cplusplus
}
#endif

#endif
