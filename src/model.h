/* model.h: d-dimensional distributions, for targets and proposals.
 *
 * A model is one of
 *   independent    d univariate distributions (dist.h), one per component
 *   normal         multivariate normal N(mean, covariance)
 *   student-t      multivariate t: location + sqrt(df / chi2_df) L z, scale = L L^T
 *   copula         a Gaussian copula with correlation R and univariate marginals:
 *                  X_j = F_j^-1(Phi(Z_j)), Z ~ N(0, R)
 *   mixture        sum_k w_k q_k of models of one dimension, density by log-sum-exp
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

#include "dist.h"
#include "error.h"

typedef enum {
  ISSIM_MODEL_INDEPENDENT,
  ISSIM_MODEL_NORMAL,
  ISSIM_MODEL_STUDENT_T,
  ISSIM_MODEL_COPULA,
  ISSIM_MODEL_MIXTURE
} issim_model_kind;

typedef struct issim_model issim_model;

/* components: d distributions, copied.  err->key names the parameter at fault
 * ("covariance", "correlation", "weights", "df", ...). */
issim_model *issim_model_alloc_independent(size_t d, const issim_dist *const *components,
                                           issim_error *err);
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

/* ---- a proposal and its target, drawn and weighted together ----
 *
 * The sampler's hot path: n points of the proposal q into x[n*d], with their
 * log-densities under the target p and under q, the values that
 * issim_model_sample followed by issim_model_log_pdf of p and of q give (to
 * rounding).  A normal or t q with a dense Cholesky factor L draws x = mu_q +
 * f L z (f = 1 for the normal, the t's scale factor otherwise), and log q
 * comes from |f z|^2, without a triangular solve; when p is a normal or t
 * with the same L (a mean shift, such as the design-point proposal, or plain
 * Monte Carlo), log p comes from |f z + delta|^2 with delta = L^-1 (mu_q -
 * mu_p) computed once: O(d) a point beyond L z.  Otherwise it is those three
 * calls (two when q is p, plain Monte Carlo).  The pair refers to p and q,
 * which must outlive it. */
typedef struct issim_model_pair issim_model_pair;

/* NULL when out of memory or when the dimensions differ. */
issim_model_pair *issim_model_pair_alloc(const issim_model *p, const issim_model *q);
void issim_model_pair_free(issim_model_pair *pair);
/* Whether the pair takes the shared-factor path above. */
int issim_model_pair_shares_factor(const issim_model_pair *pair);
size_t issim_model_pair_scratch(const issim_model_pair *pair, size_t n);
void issim_model_pair_draw(const issim_model_pair *pair, gsl_rng *r, size_t n, double *x,
                           double *log_p, double *log_q, double *scratch);

/* A linear loss g(x) = w.x drawn with the points.  For a normal or t q with
 * a dense L, x = mu_q + f L z makes g = w.mu_q + f (L^T w).z: one dot
 * product a point on the z already drawn, and when p shares L (above) x
 * itself is never formed.  issim_model_pair_set_linear_loss prepares v = L^T
 * w and w.mu_q from w (d values) once, and returns 1; or returns 0 when q is
 * not such a model, or out of memory (the pair is then unchanged).  After it
 * returned 1, issim_model_pair_draw_linear draws as issim_model_pair_draw
 * does (the same stream, the same log_p and log_q to the last bit) and puts
 * the n losses in g: those of the points to rounding, a few d eps of
 * sum_j |w_j| (|mu_j| + f sum_k |L_jk z_k|).  x (n d doubles) is work space,
 * its contents unspecified afterwards. */
int issim_model_pair_set_linear_loss(issim_model_pair *pair, const double *w);
void issim_model_pair_draw_linear(const issim_model_pair *pair, gsl_rng *r, size_t n, double *x,
                                  double *g, double *log_p, double *log_q, double *scratch);

/* A normal or student-t m moved to `location` (d values) with its covariance
 * or scale matrix times spread^2 (spread > 0): L becomes spread L, computed
 * from m's own factor, so that with spread 1 the two share L exactly (and
 * issim_model_pair takes its fast path).  NULL and err set for another kind
 * or a location or spread that is not finite / positive. */
issim_model *issim_model_alloc_moved(const issim_model *m, const double *location, double spread,
                                     issim_error *err);

/* Mean vector and covariance matrix where they exist and are finite:
 * ISSIM_OK, or ISSIM_EINVAL when undefined or infinite (a t with df <= 2, a
 * Cauchy component...).  cov may be NULL. */
int issim_model_moments(const issim_model *m, double *mean, double *cov);

/* For a normal or student-t model: its location and the lower Cholesky factor
 * of its covariance or scale matrix (row-major d x d); and df (INFINITY for
 * the normal).  ISSIM_EINVAL for other kinds. */
int issim_model_gaussian_form(const issim_model *m, double *location, double *cholesky,
                              double *df);

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

/* A mixture's number of components (0 for other kinds), and its component k
 * with its weight (NULL for k out of range or another kind). */
/* The elliptical form of issim_model_elliptical_form in memory of its own:
 * x = mu + L z (L lower triangular, d x d row-major), df INFINITY for a
 * normal.  issim_elliptical_of returns 1 with e filled (release it with
 * issim_elliptical_free), or 0 with e holding nothing (another kind, or out
 * of memory); issim_elliptical_free may be called either way. */
typedef struct {
  size_t d;
  double *mu, *l, df;
} issim_elliptical;
int issim_elliptical_of(const issim_model *m, issim_elliptical *e);
void issim_elliptical_free(issim_elliptical *e);

size_t issim_model_mixture_size(const issim_model *m);
const issim_model *issim_model_mixture_part(const issim_model *m, size_t k, double *weight);

#endif
