/* dist.h: univariate probability distributions.
 *
 * A distribution is a family (normal, student-t, ...) with its parameters.
 * For each, issim knows how to sample it (GSL's gsl_ran_* samplers), its
 * log-density computed in log space (finite and correct far in the tails,
 * where the density itself underflows), its support, and where a closed form
 * or GSL function exists its log tail probabilities, mean, variance and
 * entropy.
 *
 * Families and parameters (defaults in brackets; no default = required):
 *   normal        mean [0], sd [1]                      sd > 0
 *   student-t     df, location [0], scale [1]            df > 0, scale > 0
 *   exponential   rate [1], location [0]                 rate > 0
 *   gamma         shape, scale [1] | rate                shape > 0, scale > 0
 *   lognormal     meanlog [0], sdlog [1]                 sdlog > 0
 *                 or mean and sd | cov (of X itself)      mean, sd, cov > 0
 *   laplace       location [0], scale [1]                scale > 0
 *   logistic      location [0], scale [1]                scale > 0
 *   cauchy        location [0], scale [1]                scale > 0
 *   weibull       shape, scale [1]                       shape > 0, scale > 0
 *   pareto        shape, scale [1]                       shape > 0, scale > 0
 *   gumbel        location [0], scale [1]                scale > 0
 *   uniform       lower [0], upper [1]                   lower < upper
 *   beta          alpha, beta                            alpha > 0, beta > 0
 *   chi-squared   df                                     df > 0
 *   truncated-normal mean [0], sd [1], lower [-inf], upper [inf]
 *                                                        sd > 0, lower < upper
 *   gev           location [0], scale [1], shape         scale > 0
 *   triangular    lower, mode, upper                     lower <= mode <= upper,
 *                                                        lower < upper
 * Every parameter must be finite, except truncated-normal's lower and upper,
 * which may be -inf and inf.  gamma takes scale or rate, not both.  A
 * lognormal takes meanlog and sdlog (of log X), or the mean of X with its
 * standard deviation sd or its coefficient of variation cov = sd / mean, as
 * design codes give it: then sdlog^2 = log(1 + cov^2) and meanlog =
 * log(mean) - sdlog^2 / 2, exactly (the distribution keeps meanlog and sdlog).
 * gev is the generalised extreme value law, F(x) = exp(-(1 + shape
 * (x - location) / scale)^(-1/shape)): shape > 0 a Frechet (bounded below at
 * location - scale / shape), 0 the Gumbel, < 0 a reverse Weibull (bounded
 * above at location - scale / shape).  The Frechet of shape alpha, scale s
 * and location m, F(x) = exp(-((x - m) / s)^-alpha), is gev with shape =
 * 1/alpha, scale = s/alpha, location = m + s.
 */
#ifndef ISSIM_DIST_H
#define ISSIM_DIST_H

#include <stddef.h>
#include <gsl/gsl_rng.h>

#include "error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
  ISSIM_DIST_NORMAL,
  ISSIM_DIST_STUDENT_T,
  ISSIM_DIST_EXPONENTIAL,
  ISSIM_DIST_GAMMA,
  ISSIM_DIST_LOGNORMAL,
  ISSIM_DIST_LAPLACE,
  ISSIM_DIST_LOGISTIC,
  ISSIM_DIST_CAUCHY,
  ISSIM_DIST_WEIBULL,
  ISSIM_DIST_PARETO,
  ISSIM_DIST_GUMBEL,
  ISSIM_DIST_UNIFORM,
  ISSIM_DIST_BETA,
  ISSIM_DIST_CHI_SQUARED,
  ISSIM_DIST_TRUNCATED_NORMAL,
  ISSIM_DIST_GEV,
  ISSIM_DIST_TRIANGULAR,
  ISSIM_DIST_NFAMILIES
} issim_dist_kind;

#define ISSIM_DIST_MAX_PARAMS 4

/* Fields are read-only for callers; use the functions below. */
typedef struct {
  issim_dist_kind kind;
  /* Canonical parameters, in the order of the family's keys (gamma keeps
   * shape and scale, whichever of scale or rate the user gave). */
  double param[ISSIM_DIST_MAX_PARAMS];
  /* Constants precomputed for the log-density (normalising terms). */
  double c[ISSIM_DIST_MAX_PARAMS];
  double lower, upper; /* support; -INFINITY / INFINITY when unbounded */
} issim_dist;

/* ---- families ---- */

/* The number of families and the name of family i (e.g. "normal"). */
size_t issim_dist_family_count(void);
const char *issim_dist_family_name(size_t i);

/* Parameter keys a family accepts, NULL-terminated; NULL for an unknown family. */
const char *const *issim_dist_family_keys(const char *family);

/* Whether key of family may be -inf or inf (truncated-normal's bounds). */
int issim_dist_key_may_be_infinite(const char *family, const char *key);

/* ---- construction ---- */

/* Allocates the distribution of the named family from n key/value pairs.
 * Unknown family, unknown key, repeated key, missing required key, a value
 * that is not finite or is out of range: returns NULL and fills err with the
 * offending key (err->key) and a message naming the valid range, e.g.
 * "sd must be > 0 (got -1)" or "unknown key 'mu' for normal (known: mean, sd)". */
issim_dist *issim_dist_alloc(const char *family, size_t n,
                             const char *const keys[], const double values[],
                             issim_error *err);
issim_dist *issim_dist_clone(const issim_dist *d);
void issim_dist_free(issim_dist *d);

/* Convenience constructor for the common case. */
issim_dist *issim_dist_alloc_normal(double mean, double sd, issim_error *err);

const char *issim_dist_name(const issim_dist *d);

/* Writes e.g. "normal(mean=0, sd=1)" (%.10g numbers); returns what
 * snprintf returns. */
int issim_dist_describe(const issim_dist *d, char *buf, size_t size);

/* ---- evaluation ---- */

/* Draws n variates into x. */
void issim_dist_sample(const issim_dist *d, gsl_rng *r, size_t n, double *x);

/* A chi-squared(df) draw, GSL's gsl_ran_chisq to the bit (the same random
 * numbers in the same order), and its logarithm in *log_value, exact where
 * the draw itself underflows: for df < 2 the draw is 2 gamma(1 + df/2)
 * U^(2/df), which is below the smallest double whenever U is small (df 0.01:
 * 3% of the draws).  The student-t draws (univariate and multivariate) take
 * their scale from it. */
double issim_dist_chi_squared_draw(gsl_rng *r, double df, double *log_value);

/* log p(x[i]) into lp[i] for i < n; -INFINITY outside the support. */
void issim_dist_log_pdf(const issim_dist *d, size_t n, const double *x,
                        double *lp);
double issim_dist_log_pdf1(const issim_dist *d, double x);

/* log P(X > x) and log P(X <= x), accurate in the far tails (for the normal
 * at x = 40 the result is about -804.6, not -inf).  NAN if issim has no
 * formula for this family. */
double issim_dist_log_sf(const issim_dist *d, double x);
double issim_dist_log_cdf(const issim_dist *d, double x);

/* The quantile at a tail probability given by its log lt: the x with
 * log P(X > x) = lt when upper, else log P(X <= x) = lt, for lt <= log(1/2)
 * (the smaller side, so that a tail of 1e-400 keeps its digits), in closed
 * form, for truncated-normal, gev and triangular; NAN for the other families
 * (issim_copula_quantile, copula.h, has every family). */
double issim_dist_tail_quantile(const issim_dist *d, int upper, double lt);

/* The z with log P(Z > z) = lq for the standard normal Z, lq <= log(1/2),
 * to a few ulps also where e^lq underflows (lq = -800: z = 39.8). */
double issim_dist_normal_upper_quantile(double lq);

/* log P(T > z) for T the standard normal (df = INFINITY) or the standard t
 * with df degrees of freedom, accurate in the far tails; NAN for df <= 0. */
double issim_dist_standard_log_sf(double df, double z);

/* Moments and differential entropy (nats): INFINITY when infinite, NAN when
 * undefined (e.g. the mean of a Cauchy). */
double issim_dist_mean(const issim_dist *d);
double issim_dist_variance(const issim_dist *d);
double issim_dist_entropy(const issim_dist *d);

#ifdef __cplusplus
}
#endif

#endif
