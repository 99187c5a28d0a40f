/* model_impl.h (internal, not installed): what model.c, copula.c and pair.c
 * share: the model's struct, the layout of a batch in coordinate rows, and
 * the few kernels of model.c that the copula and the pair call.  The
 * internal functions are hidden from the library's exported symbols. */
#ifndef ISSIM_MODEL_IMPL_H
#define ISSIM_MODEL_IMPL_H

#include <math.h>
#include <stdbool.h>
#include <stddef.h>

#include <gsl/gsl_rng.h>

#include "model.h"

#define ISSIM_INTERNAL __attribute__((visibility("hidden")))

/* One struct holds every kind (model.c's top comment says which fields each
 * uses); the fields a kind does not use are NULL/0. */
struct issim_model {
  issim_model_kind kind;
  size_t d;
  bool line;          /* a distribution on the line (issim_model_alloc_line) */
  issim_dist **dists; /* independent: components; copula: marginals */
  double *loc;        /* normal: mean; student-t: location */
  double *matrix;     /* covariance, scale or correlation (symmetrised) */
  double *chol;       /* its lower Cholesky factor */
  double *diag;       /* L_jj */
  bool diagonal;      /* matrix (hence L) is diagonal */
  double df;          /* student-t */
  double log_norm;    /* constant term of the log-density (see the allocators) */
  size_t k;           /* mixture */
  issim_model **parts;
  double *weights, *log_weights, *cum;
  issim_model *inner;               /* transformed: the model of u */
  struct issim_transform *transform; /* transformed: T, with its copy of the target */
  issim_credit_law *credit; /* credit */
};

/* Points per group of the batched kernels (see model.c, "sampling"): 4 vectors of
 * sums, which stay in registers across the loop over k; coordinate rows hold
 * whole groups (zeros past the n points). */
#define GROUP 16

static inline size_t padded(size_t n)
{
  return (n + GROUP - 1) / GROUP * GROUP;
}

/* The distance between coordinate rows: padded(n) and one cache line more,
 * so that a group's rows do not all fall in one set of the L1 cache (rows
 * 4 KB apart do, for a batch of 512). */
static inline size_t stride(size_t n)
{
  return padded(n) + 8;
}

/* log(1 + q/df) for q >= 0, also where q/df overflows. */
static inline double log1p_ratio(double q, double df)
{
  const double r = q / df;
  return r < 1e300 ? log1p(r) : log(q) - log(df);
}

/* log(1 + q/df) from log q: for points so far out that q itself overflows
 * (a t's density there is tiny but not 0). */
static inline double log1p_exp_ratio(double log_q, double df)
{
  const double a = log_q - log(df);
  return a > 0 ? a + log1p(exp(-a)) : log1p(exp(a));
}

/* ---- model.c's kernels ---- */

/* Standard normal draws for n points, point by point, into coordinate rows
 * (t[j*np + i], np = stride(n)) when L is dense, else straight into x's
 * rows; with f, each point's t scale factor after its normals.  Returns
 * where the normals are. */
ISSIM_INTERNAL double *issim_model_draw_normals(const issim_model *m, gsl_rng *r, size_t n,
                                                double *x, double *t, double *f);
/* x_i = loc + L z_i (loc NULL: L z_i) for n points drawn by
 * issim_model_draw_normals, through 2 d stride(n) doubles of t. */
ISSIM_INTERNAL void issim_model_lower_times_batch(const issim_model *m, size_t n, double *x,
                                                  double *t, const double *loc);
/* x_i = loc + f_i L z_i for n points of a t drawn by issim_model_draw_normals
 * (with f): L z first, then scaled and moved. */
ISSIM_INTERNAL void issim_model_t_points(const issim_model *m, size_t n, double *x, double *t,
                                         const double *f);
/* lp[i] = sum_j log f_j(x_ij) of an independent model's components or a
 * copula's marginals, a column at a time through scratch (2n doubles). */
ISSIM_INTERNAL void issim_model_sum_component_log_pdfs(const issim_model *m, size_t n,
                                                       const double *x, double *lp,
                                                       double *scratch);

/* ---- copula.c's, for a copula model ---- */

/* x[i*d + j] = F_j^-1(Phi(x[i*d + j])): normal scores (correlated, L z) to
 * the marginals' values, in place. */
ISSIM_INTERNAL void issim_copula_from_scores(const issim_model *m, size_t n, double *x);
/* The copula model's log-density (issim_model_log_pdf). */
ISSIM_INTERNAL void issim_copula_log_pdf(const issim_model *m, size_t n, const double *x,
                                         double *lp, double *scratch);
/* The copula model's moments (issim_model_moments). */
ISSIM_INTERNAL int issim_copula_moments(const issim_model *m, double *mean, double *cov);

/* ---- transform.c's, for a transformed model ----
 * (issim_transform_clone and issim_transform_free are transform.h's, declared
 * here too: model.c may not include transform.h, which includes model.h.) */

struct issim_transform *issim_transform_clone(const struct issim_transform *t);
void issim_transform_free(struct issim_transform *t);
ISSIM_INTERNAL size_t issim_transformed_scratch(const issim_model *m, size_t n);
ISSIM_INTERNAL void issim_transformed_sample(const issim_model *m, gsl_rng *r, size_t n, double *x,
                                             double *scratch);
ISSIM_INTERNAL void issim_transformed_log_pdf(const issim_model *m, size_t n, const double *x,
                                              double *lp, double *scratch);

#endif
