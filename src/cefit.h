/* cefit.h: the families the cross-entropy method fits, and their weighted
 * maximum-likelihood updates.
 *
 * A member of a family (issim_cefit_params) is a proposal's parameters: a normal
 * or multivariate normal, a student-t (df fixed), a mixture of normals, an
 * exponential or a gamma.  issim_cefit_update refits a member from weighted
 * points (the elites of a level, adapt.h): closed forms for normal means and
 * covariances and the exponential's rate, Newton for the gamma's shape, EM
 * for mixtures and for the student-t's location and scale.  The spread of a
 * fitted covariance is floored relative to the target's (the collapse trap,
 * adapt.h).  Nothing here draws: the method's levels are adapt.h's.
 */
#ifndef ISSIM_CEFIT_H
#define ISSIM_CEFIT_H

#include <stddef.h>
#include <stdio.h>

#include "dist.h"
#include "error.h"
#include "model.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The families the cross-entropy method fits. */
typedef enum {
  ISSIM_CE_AUTO,        /* the start's own family (normal for other targets) */
  ISSIM_CE_NORMAL,      /* normal or multivariate normal */
  ISSIM_CE_STUDENT_T,   /* student-t or multivariate t, df fixed */
  ISSIM_CE_MIXTURE,     /* a mixture of normals, fitted by EM */
  ISSIM_CE_EXPONENTIAL, /* exponential (rate; location fixed) */
  ISSIM_CE_GAMMA,       /* gamma (shape and scale) */
  ISSIM_CE_FACTOR_SHIFT, /* a credit law's factor shift (credit.h): the mean of the
                         * factors, the book and the twist kept */
  ISSIM_CE_INDEPENDENT  /* d independent components, each its own family among
                         * normal, exponential and gamma */
} issim_cefit_family;

/* min_spread must exceed this (1/sqrt 2): below, the weights' variance is infinite. */
#define ISSIM_CE_SPREAD_BOUND 0.70710678118654752440

/* "normal", "student-t", ...; "auto" for ISSIM_CE_AUTO. */
const char *issim_cefit_family_name(issim_cefit_family f);
/* ISSIM_OK and *f, or ISSIM_EINVAL for an unknown name. */
int issim_cefit_family_lookup(const char *name, issim_cefit_family *f);

/* ---- a member of a family ---- */

/* The parameters of a fitted proposal.  Points have d coordinates; a mixture
 * has k normal components (k = 1 for the other families).  An independent
 * member (family independent, or exponential or gamma with d > 1: the
 * natural exponential families in x, each coordinate fitted on its own) has
 * parts: d univariate members (normal, exponential or gamma, d = 1), which
 * its other fields do not use. */
typedef struct issim_cefit_params issim_cefit_params;
struct issim_cefit_params {
  issim_cefit_family family;
  size_t d, k;
  issim_cefit_params *parts; /* an independent member's d components; NULL otherwise */
  double *weight;  /* k, summing to 1 */
  double *mean;    /* k x d: means, or the student-t location */
  double *cov;     /* k x d x d: covariances, or the student-t scale matrix */
  double df;       /* student-t degrees of freedom (fixed) */
  double location, rate;  /* exponential: location + Exp(rate) */
  double shape, scale;    /* gamma */
  /* factor-shift: the credit model whose book and twist the member keeps
   * (not owned: it must outlive the member); d is its number of factors,
   * mean[0..d-1] the shift, and the points' rows are the model's
   * (factors, default indicators) */
  const issim_model *credit_base;
};

/* An empty member of family f (k components, d coordinates), all zero. */
int issim_cefit_params_init(issim_cefit_params *v, issim_cefit_family f, size_t d, size_t k);

/* An independent member of family f from the d components of an independent
 * model m: each a univariate member of its family (f independent: the
 * component's own, which must be normal, exponential or gamma; f
 * exponential or gamma: every component must be of that family) with the
 * component's parameters.  ISSIM_EINVAL naming the component that does not
 * fit; `what` names m in the message. */
int issim_cefit_params_init_independent(issim_cefit_params *v, issim_cefit_family f, const issim_model *m,
                                     const char *what, issim_error *err);
void issim_cefit_params_clear(issim_cefit_params *v);
int issim_cefit_params_copy(issim_cefit_params *dst, const issim_cefit_params *src);

/* The proposal v stands for, as a univariate distribution (normal, student-t,
 * exponential and gamma with d = 1) or as a d-dimensional model (any family;
 * with d = 1 the distribution wrapped as a scenario wraps its univariate
 * proposals); NULL with err set when v is invalid. */
issim_dist *issim_cefit_params_dist(const issim_cefit_params *v, issim_error *err);
issim_model *issim_cefit_params_model(const issim_cefit_params *v, issim_error *err);

/* In a fit in a target's standard space (adapt.h): the model of u that v
 * (normal or mixture) stands for, its normals multivariate normals in every
 * dimension, as a scenario's standard-space sections make them. */
issim_model *issim_cefit_params_standard_model(const issim_cefit_params *v, issim_error *err);

/* One line for a level's report, e.g. "mean=5.186 sd=1". */
void issim_cefit_params_describe(const issim_cefit_params *v, char *buf, size_t size);

/* ---- the weighted maximum-likelihood updates (step 3) ---- */

/* What an update needs besides the points: the target's covariance (d x d;
 * NULL when it has none) for the spread floor, and the options. */
typedef struct {
  const double *target_cov;
  int update_spread;
  double min_spread;
  /* exponential family: where its location moves (at most the event's
   * lower end, so that q covers the event; the MLE, the smallest elite, is at
   * or just above it); NAN: it stays */
  double location;
} issim_cefit_update_rules;

/* v <- the weighted MLE of its family from the m points x (m x d, row by
 * row) with log-weights log_w (weights exp(log_w), scaled as convenient; only
 * ratios matter).  The mean-only updates keep v's spread.  A mixture with
 * v->k = 1 on entry is first spread over `components` elite points (farthest
 * first) and then fitted by EM.  ISSIM_EINVAL when the points cannot support
 * the fit (no positive weight, fewer distinct points than parameters). */
int issim_cefit_update(issim_cefit_params *v, size_t m, const double *x, const double *log_w,
                    const issim_cefit_update_rules *rules, size_t components, issim_error *err);

/* Floors covariance c (d x d) at min_spread^2 times the target's covariance
 * s (d x d) in every direction (generalised eigenvalues); returns the
 * smallest generalised eigenvalue before flooring, or NAN when s is not
 * positive definite. */
double issim_cefit_floor_covariance(size_t d, double *c, const double *s, double min_spread);

/* Writes member v as scenario text: a [proposal NAME] section (preceded, for
 * a mixture, by one section NAME.1, NAME.2, ... per component) that reads
 * back unchanged; numbers in %.17g so that they read back exactly. */
void issim_cefit_params_write(FILE *out, const char *name, const issim_cefit_params *v);

/* The same for a member fitted in a target's standard space: standard-space
 * sections (mean, covariance), a mixture's components among them. */
void issim_cefit_params_write_standard(FILE *out, const char *name, const issim_cefit_params *v);

#ifdef __cplusplus
}
#endif

#endif
