/* dist.c: univariate probability distributions (see dist.h).
 *
 * One table describes every family: its name, its keys, their defaults and
 * which must be positive.  issim_dist_alloc is driven by that table; the
 * per-family code is only the maths (sampling, log-density, tails, moments),
 * each written as one switch on the family.  In the vector functions
 * (issim_dist_sample, issim_dist_log_pdf) the switch is outside the loop over
 * the n points: they are on the sampler's hot path.
 */
#include "dist.h"
#include "dist_impl.h"
#include "logspecial.h"
#include "simd.h"

#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_math.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_sf_erf.h>
#include <gsl/gsl_sf_gamma.h>
#include <gsl/gsl_sf_psi.h>

/* ---- the family table ---- */

/* Keys a family accepts, alternatives included (the lognormal's five). */
#define MAX_KEYS 5

typedef struct {
  const char *name;
  /* Accepted keys, NULL-terminated.  keys[0..nparams) are the canonical
   * parameters stored in issim_dist.param; a key after them is an
   * alternative spelling (gamma's rate, see reciprocal_of). */
  const char *keys[MAX_KEYS + 1];
  size_t nparams;
  double defaults[ISSIM_DIST_MAX_PARAMS]; /* NAN: the key is required */
  unsigned positive;                      /* bit k: keys[k] must be > 0 */
  /* If >= 0, keys[nparams] may be given instead of keys[reciprocal_of], as
   * its reciprocal (gamma: rate = 1/scale).  -1 otherwise. */
  int reciprocal_of;
  unsigned infinite_ok;                   /* bit k: keys[k] may be -inf or inf */
} family_info;

#define BIT(k) (1u << (k))
#define REQUIRED NAN

/* In the order of issim_dist_kind. */
static const family_info families[ISSIM_DIST_NFAMILIES] = {
  [ISSIM_DIST_NORMAL] = {"normal", {"mean", "sd"}, 2,
                         {0, 1}, BIT(1), -1, 0},
  [ISSIM_DIST_STUDENT_T] = {"student-t", {"df", "location", "scale"}, 3,
                            {REQUIRED, 0, 1}, BIT(0) | BIT(2), -1, 0},
  [ISSIM_DIST_EXPONENTIAL] = {"exponential", {"rate", "location"}, 2,
                              {1, 0}, BIT(0), -1, 0},
  [ISSIM_DIST_GAMMA] = {"gamma", {"shape", "scale", "rate"}, 2,
                        {REQUIRED, 1}, BIT(0) | BIT(1) | BIT(2), 1, 0},
  /* mean, sd, cov: of X, the alternative to meanlog and sdlog (dist_engineering.c) */
  [ISSIM_DIST_LOGNORMAL] = {"lognormal", {"meanlog", "sdlog", "mean", "sd", "cov"}, 2,
                            {0, 1}, BIT(1) | BIT(2) | BIT(3) | BIT(4), -1, 0},
  [ISSIM_DIST_LAPLACE] = {"laplace", {"location", "scale"}, 2,
                          {0, 1}, BIT(1), -1, 0},
  [ISSIM_DIST_LOGISTIC] = {"logistic", {"location", "scale"}, 2,
                           {0, 1}, BIT(1), -1, 0},
  [ISSIM_DIST_CAUCHY] = {"cauchy", {"location", "scale"}, 2,
                         {0, 1}, BIT(1), -1, 0},
  [ISSIM_DIST_WEIBULL] = {"weibull", {"shape", "scale"}, 2,
                          {REQUIRED, 1}, BIT(0) | BIT(1), -1, 0},
  [ISSIM_DIST_PARETO] = {"pareto", {"shape", "scale"}, 2,
                         {REQUIRED, 1}, BIT(0) | BIT(1), -1, 0},
  [ISSIM_DIST_GUMBEL] = {"gumbel", {"location", "scale"}, 2,
                         {0, 1}, BIT(1), -1, 0},
  [ISSIM_DIST_UNIFORM] = {"uniform", {"lower", "upper"}, 2,
                          {0, 1}, 0, -1, 0},
  [ISSIM_DIST_BETA] = {"beta", {"alpha", "beta"}, 2,
                       {REQUIRED, REQUIRED}, BIT(0) | BIT(1), -1, 0},
  [ISSIM_DIST_CHI_SQUARED] = {"chi-squared", {"df"}, 1,
                              {REQUIRED}, BIT(0), -1, 0},
  [ISSIM_DIST_TRUNCATED_NORMAL] = {"truncated-normal", {"mean", "sd", "lower", "upper"}, 4,
                                   {0, 1, -INFINITY, INFINITY}, BIT(1), -1,
                                   BIT(2) | BIT(3)},
  [ISSIM_DIST_GEV] = {"gev", {"location", "scale", "shape"}, 3,
                      {0, 1, REQUIRED}, BIT(1), -1, 0},
  [ISSIM_DIST_TRIANGULAR] = {"triangular", {"lower", "mode", "upper"}, 3,
                             {REQUIRED, REQUIRED, REQUIRED}, 0, -1, 0},
};

static const double LOG_2PI = 1.8378770664093454836; /* log(2 pi) */

size_t issim_dist_family_count(void)
{
  return ISSIM_DIST_NFAMILIES;
}

const char *issim_dist_family_name(size_t i)
{
  return i < ISSIM_DIST_NFAMILIES ? families[i].name : NULL;
}

static const family_info *find_family(const char *name)
{
  if (name == NULL)
    return NULL;
  for (size_t i = 0; i < ISSIM_DIST_NFAMILIES; i++)
    if (strcmp(families[i].name, name) == 0)
      return &families[i];
  return NULL;
}

const char *const *issim_dist_family_keys(const char *family)
{
  const family_info *f = find_family(family);
  return f ? f->keys : NULL;
}

int issim_dist_key_may_be_infinite(const char *family, const char *key)
{
  const family_info *f = find_family(family);
  for (size_t k = 0; f && key && f->keys[k] != NULL; k++)
    if (strcmp(f->keys[k], key) == 0)
      return (f->infinite_ok & BIT(k)) != 0;
  return 0;
}

/* ---- string building (snprintf semantics: *used counts what was wanted) ---- */

static void append(char *buf, size_t size, size_t *used, const char *s)
{
  char *at = *used < size ? buf + *used : NULL;
  size_t room = *used < size ? size - *used : 0;
  int n = snprintf(at, room, "%s", s);
  if (n > 0)
    *used += (size_t) n;
}

static void append_number(char *buf, size_t size, size_t *used, double v)
{
  char number[32];
  snprintf(number, sizeof number, "%.10g", v);
  append(buf, size, used, number);
}

/* "a, b, c" */
static void format_key_list(char *buf, size_t size, const family_info *f)
{
  size_t used = 0;
  buf[0] = '\0';
  for (size_t k = 0; f->keys[k] != NULL; k++) {
    append(buf, size, &used, k ? ", " : "");
    append(buf, size, &used, f->keys[k]);
  }
}

static void format_family_list(char *buf, size_t size)
{
  size_t used = 0;
  buf[0] = '\0';
  for (size_t i = 0; i < ISSIM_DIST_NFAMILIES; i++) {
    append(buf, size, &used, i ? ", " : "");
    append(buf, size, &used, families[i].name);
  }
}

/* ---- construction ---- */

static int key_index(const family_info *f, const char *key)
{
  for (int k = 0; f->keys[k] != NULL; k++)
    if (strcmp(f->keys[k], key) == 0)
      return k;
  return -1;
}

/* log(upper - lower) without overflow when the width exceeds DBL_MAX
 * (halving is exact, so this is as accurate as the direct form). */
static double log_width(double lower, double upper)
{
  return log(0.5 * upper - 0.5 * lower) + M_LN2;
}

/* Fills the support and the constants c[] the log-density uses. */
static void precompute(issim_dist *d)
{
  const double *p = d->param;
  double *c = d->c;
  d->lower = -INFINITY;
  d->upper = INFINITY;
  switch (d->kind) {
  case ISSIM_DIST_NORMAL:
    c[0] = -log(p[1]) - 0.5 * LOG_2PI;
    break;
  case ISSIM_DIST_STUDENT_T:
    /* Gamma((v+1)/2) / (Gamma(v/2) sqrt(v pi)) = 1 / (B(v/2, 1/2) sqrt(v)):
     * lnbeta stays accurate for large df, where the difference of two
     * lngamma values would cancel. */
    c[0] = -gsl_sf_lnbeta(0.5 * p[0], 0.5) - 0.5 * log(p[0]) - log(p[2]);
    c[1] = 0.5 * (p[0] + 1);
    c[2] = sqrt(p[0]);
    break;
  case ISSIM_DIST_EXPONENTIAL:
    c[0] = log(p[0]);
    d->lower = p[1];
    break;
  case ISSIM_DIST_GAMMA:
    c[0] = -gsl_sf_lngamma(p[0]) - log(p[1]);
    c[1] = p[0] - 1;
    c[2] = p[1];
    d->lower = 0;
    break;
  case ISSIM_DIST_CHI_SQUARED: /* gamma(df/2, scale 2) */
    c[0] = -gsl_sf_lngamma(0.5 * p[0]) - M_LN2;
    c[1] = 0.5 * p[0] - 1;
    c[2] = 2;
    d->lower = 0;
    break;
  case ISSIM_DIST_LOGNORMAL:
    c[0] = -log(p[1]) - 0.5 * LOG_2PI;
    d->lower = 0;
    break;
  case ISSIM_DIST_LAPLACE:
    c[0] = -log(2 * p[1]);
    break;
  case ISSIM_DIST_LOGISTIC:
  case ISSIM_DIST_GUMBEL:
    c[0] = -log(p[1]);
    break;
  case ISSIM_DIST_CAUCHY:
    c[0] = -log(M_PI * p[1]);
    break;
  case ISSIM_DIST_WEIBULL:
    c[0] = log(p[0]) - log(p[1]);
    c[1] = p[0] - 1;
    d->lower = 0;
    break;
  case ISSIM_DIST_PARETO:
    c[0] = log(p[0]) - log(p[1]);
    c[1] = p[0] + 1;
    d->lower = p[1];
    break;
  case ISSIM_DIST_UNIFORM:
    c[0] = -log_width(p[0], p[1]);
    d->lower = p[0];
    d->upper = p[1];
    break;
  case ISSIM_DIST_BETA:
    c[0] = -gsl_sf_lnbeta(p[0], p[1]);
    c[1] = p[0] - 1;
    c[2] = p[1] - 1;
    d->lower = 0;
    d->upper = 1;
    break;
  case ISSIM_DIST_TRUNCATED_NORMAL:
  case ISSIM_DIST_GEV:
  case ISSIM_DIST_TRIANGULAR:
    issim_dist_eng_precompute(d);
    break;
  case ISSIM_DIST_NFAMILIES:
    break;
  }
}

/* Checks one key/value pair and records it in value[]/given[]. */
static int accept_pair(const family_info *f, const char *key, double v,
                       double value[], bool given[], issim_error *err)
{
  char known[256];
  int k = key ? key_index(f, key) : -1;
  if (k < 0) {
    format_key_list(known, sizeof known, f);
    return issim_error_set_key(err, ISSIM_EINVAL, key ? key : "",
                               "unknown key '%s' for %s (known: %s)",
                               key ? key : "(null)", f->name, known);
  }
  if (given[k])
    return issim_error_set_key(err, ISSIM_EINVAL, key, "key '%s' given twice",
                               key);
  if (!isfinite(v) && !(isinf(v) && (f->infinite_ok & BIT(k))))
    return issim_error_set_key(err, ISSIM_EINVAL, key,
                               "%s must be finite (got %g)", key, v);
  if ((f->positive & BIT(k)) && !(v > 0))
    return issim_error_set_key(err, ISSIM_EINVAL, key,
                               "%s must be > 0 (got %g)", key, v);
  given[k] = true;
  value[k] = v;
  return ISSIM_OK;
}

/* Cross-key rules, once every pair has been accepted: a reciprocal
 * alternative (gamma's rate), required keys, uniform's lower < upper. */
static int check_complete(const family_info *f, double value[],
                          const bool given[], issim_error *err)
{
  if (f->reciprocal_of >= 0 && given[f->nparams]) {
    const char *alt = f->keys[f->nparams], *canon = f->keys[f->reciprocal_of];
    if (given[f->reciprocal_of])
      return issim_error_set_key(err, ISSIM_EINVAL, alt,
                                 "give %s or %s for %s, not both "
                                 "(got %s=%g, %s=%g)", canon, alt, f->name,
                                 canon, value[f->reciprocal_of], alt,
                                 value[f->nparams]);
    value[f->reciprocal_of] = 1 / value[f->nparams];
    if (!isfinite(value[f->reciprocal_of]))
      return issim_error_set_key(err, ISSIM_EINVAL, alt,
                                 "%s is too small: %s = 1/%s is not finite "
                                 "(got %g)", alt, canon, alt,
                                 value[f->nparams]);
  }
  for (size_t k = 0; k < f->nparams; k++)
    if (isnan(value[k]))
      return issim_error_set_key(err, ISSIM_EINVAL, f->keys[k],
                                 "missing required key '%s' for %s",
                                 f->keys[k], f->name);
  if (f == &families[ISSIM_DIST_UNIFORM] && !(value[0] < value[1]))
    return issim_error_set_key(err, ISSIM_EINVAL, "upper",
                               "lower must be < upper (got lower=%g, upper=%g)",
                               value[0], value[1]);
  return issim_dist_eng_check((issim_dist_kind) (f - families), value, given, err);
}

issim_dist *issim_dist_alloc(const char *family, size_t n,
                             const char *const keys[], const double values[],
                             issim_error *err)
{
  const family_info *f = find_family(family);
  if (f == NULL) {
    char known[512];
    format_family_list(known, sizeof known);
    issim_error_set_key(err, ISSIM_EINVAL, "",
                        "unknown distribution '%s' (known: %s)",
                        family ? family : "(null)", known);
    return NULL;
  }

  double value[MAX_KEYS] = {0};
  bool given[MAX_KEYS] = {false};
  memcpy(value, f->defaults, sizeof f->defaults);
  for (size_t i = 0; i < n; i++)
    if (accept_pair(f, keys[i], values[i], value, given, err) != ISSIM_OK)
      return NULL;
  if (check_complete(f, value, given, err) != ISSIM_OK)
    return NULL;

  issim_dist *d = calloc(1, sizeof *d);
  if (d == NULL) {
    issim_error_set(err, ISSIM_ENOMEM, "out of memory");
    return NULL;
  }
  d->kind = (issim_dist_kind) (f - families);
  memcpy(d->param, value, f->nparams * sizeof value[0]);
  precompute(d);
  return d;
}

issim_dist *issim_dist_alloc_normal(double mean, double sd, issim_error *err)
{
  static const char *const keys[] = {"mean", "sd"};
  const double values[] = {mean, sd};
  return issim_dist_alloc("normal", 2, keys, values, err);
}

issim_dist *issim_dist_clone(const issim_dist *d)
{
  if (d == NULL)
    return NULL;
  issim_dist *copy = malloc(sizeof *copy);
  if (copy != NULL)
    *copy = *d;
  return copy;
}

void issim_dist_free(issim_dist *d)
{
  free(d);
}

const char *issim_dist_name(const issim_dist *d)
{
  return families[d->kind].name;
}

int issim_dist_describe(const issim_dist *d, char *buf, size_t size)
{
  const family_info *f = &families[d->kind];
  size_t used = 0;
  append(buf, size, &used, f->name);
  append(buf, size, &used, "(");
  for (size_t k = 0; k < f->nparams; k++) {
    append(buf, size, &used, k ? ", " : "");
    append(buf, size, &used, f->keys[k]);
    append(buf, size, &used, "=");
    append_number(buf, size, &used, d->param[k]);
  }
  append(buf, size, &used, ")");
  return (int) used;
}

/* ---- sampling ---- */

#define SAMPLE_LOOP(expr)                                                      \
  do {                                                                         \
    for (size_t i = 0; i < n; i++)                                             \
      x[i] = (expr);                                                           \
  } while (0)

static void add_constant(size_t n, double *restrict x, double a)
{
#pragma omp simd
  for (size_t i = 0; i < n; i++)
    x[i] += a;
}

double issim_dist_chi_squared_draw(gsl_rng *r, double df, double *log_value)
{
  const double a = 0.5 * df;
  if (a >= 1) {
    const double y = gsl_ran_chisq(r, df);
    *log_value = log(y);
    return y;
  }
  /* GSL's chisq(df) = 2 gamma(df/2), the gamma for a shape a < 1 drawn as
   * gamma(1 + a) U^(1/a): the same random numbers in the same order */
  const double u = gsl_rng_uniform_pos(r);
  const double g = gsl_ran_gamma(r, 1.0 + a, 1.0);
  *log_value = M_LN2 + log(g) + log(u) / a;
  return 2 * (g * pow(u, 1.0 / a));
}

/* A standard student-t draw: GSL's own (gsl_ran_tdist), except where GSL's
 * loses it.  For df <= 2 GSL returns Y1 / sqrt(Y2 / df), Y1 normal and Y2
 * chi-squared(df), which underflows for a small df (df 0.01: whenever U <
 * 0.03, 3% of the draws; see issim_dist_chi_squared_draw) although the t
 * draw itself, about Y1 / sqrt(Y2), is a finite 1e200: GSL returns +-inf,
 * whose log-weight is NaN.  The same random numbers are drawn here in the
 * same order, and Y2 is formed GSL's way; only when it is not a normal
 * double is the draw recomputed from log Y2, so every draw GSL gets right is
 * GSL's, to the bit. */
static double student_t_draw(gsl_rng *r, double df)
{
  if (df >= 2)
    return gsl_ran_tdist(r, df);
  const double y1 = gsl_ran_ugaussian(r);
  double log_y2;
  const double y2 = issim_dist_chi_squared_draw(r, df, &log_y2);
  if (y2 >= DBL_MIN)
    return y1 / sqrt(y2 / df);
  return y1 == 0 ? 0 : y1 * exp(-0.5 * (log_y2 - log(df)));
}

void issim_dist_sample(const issim_dist *d, gsl_rng *r, size_t n, double *x)
{
  const double a = d->param[0], b = d->param[1], c = d->param[2];
  switch (d->kind) {
  case ISSIM_DIST_NORMAL:
    /* the hot path: GSL scales by sd itself (sd times the same standard
     * draw, to the same digits), and the mean is added in a loop of its own,
     * which vectorises */
    SAMPLE_LOOP(gsl_ran_gaussian_ziggurat(r, b));
    add_constant(n, x, a);
    break;
  case ISSIM_DIST_STUDENT_T:
    SAMPLE_LOOP(b + c * student_t_draw(r, a));
    break;
  case ISSIM_DIST_EXPONENTIAL: /* GSL takes the mean, 1/rate */
    SAMPLE_LOOP(b + gsl_ran_exponential(r, 1 / a));
    break;
  case ISSIM_DIST_GAMMA:
    SAMPLE_LOOP(gsl_ran_gamma(r, a, b));
    break;
  case ISSIM_DIST_LOGNORMAL:
    SAMPLE_LOOP(gsl_ran_lognormal(r, a, b));
    break;
  case ISSIM_DIST_LAPLACE:
    SAMPLE_LOOP(a + gsl_ran_laplace(r, b));
    break;
  case ISSIM_DIST_LOGISTIC:
    SAMPLE_LOOP(a + gsl_ran_logistic(r, b));
    break;
  case ISSIM_DIST_CAUCHY:
    SAMPLE_LOOP(a + gsl_ran_cauchy(r, b));
    break;
  case ISSIM_DIST_WEIBULL: /* GSL: a = scale, b = shape */
    SAMPLE_LOOP(gsl_ran_weibull(r, b, a));
    break;
  case ISSIM_DIST_PARETO: /* GSL: a = shape, b = scale */
    SAMPLE_LOOP(gsl_ran_pareto(r, a, b));
    break;
  case ISSIM_DIST_GUMBEL:
    SAMPLE_LOOP(a + b * gsl_ran_gumbel1(r, 1.0, 1.0));
    break;
  case ISSIM_DIST_UNIFORM:
    SAMPLE_LOOP(gsl_ran_flat(r, a, b));
    break;
  case ISSIM_DIST_BETA:
    SAMPLE_LOOP(gsl_ran_beta(r, a, b));
    break;
  case ISSIM_DIST_CHI_SQUARED:
    SAMPLE_LOOP(gsl_ran_chisq(r, a));
    break;
  case ISSIM_DIST_TRUNCATED_NORMAL:
  case ISSIM_DIST_GEV:
  case ISSIM_DIST_TRIANGULAR:
    SAMPLE_LOOP(issim_dist_eng_draw(d, r));
    break;
  case ISSIM_DIST_NFAMILIES:
    break;
  }
}

/* ---- log-density ----
 * Each function below is called only for x in [lower, upper] and finite
 * (the density is 0 at +-infinity for every family). */

/* e * log(x), with 0 when e == 0 even at x == 0 (where log x = -inf): the
 * x^(shape-1) factor of gamma, weibull and beta at the boundary x = 0 is
 * +inf for shape < 1, 1 for shape == 1 and 0 for shape > 1. */
static inline double power_log(double e, double log_x)
{
  return e == 0 ? 0 : e * log_x;
}


/* The normal, on the sampler's hot path, takes 1/sd once for the batch: a
 * division a point costs more than the rest of the density.  (x - mean) times
 * 1/sd is within an ulp of (x - mean) / sd, and the same when sd is a power of
 * two. */
static inline double normal_log_pdf(double mean, double inv_sd, double c0, double x)
{
  const double z = (x - mean) * inv_sd;
  return c0 - 0.5 * z * z;
}

/* log |x - m| for finite x and m, also where x - m overflows. */
static inline double log_abs_difference(double x, double m)
{
  return log(fabs(0.5 * x - 0.5 * m)) + M_LN2;
}

/* log(1 + u^2) for u = (x - m) / s / r (r = 1, or sqrt(df) for the t), for
 * every finite x: u overflows to +-inf when s r is small (a t with df 0.01
 * divides by 0.1, so every x beyond 1.8e307) while log(1 + u^2) = 2 log |u|
 * is some 1400; the density there is then taken from the logs. */
static inline double log1p_square_scaled(double x, double m, double s, double r)
{
  const double u = (x - m) / s / r;
  if (isinf(u) && isfinite(x))
    return 2 * (log_abs_difference(x, m) - log(s) - log(r));
  return log1p_square(u);
}

static inline double student_t_log_pdf(const issim_dist *d, double x)
{
  return d->c[0] - d->c[1] * log1p_square_scaled(x, d->param[1], d->param[2], d->c[2]);
}

static inline double exponential_log_pdf(const issim_dist *d, double x)
{
  return d->c[0] - d->param[0] * (x - d->param[1]);
}

/* gamma and chi-squared: c = {-lgamma(k) - log scale, k - 1, scale} */
static inline double gamma_log_pdf(const issim_dist *d, double x)
{
  const double y = x / d->c[2];
  return d->c[0] + power_log(d->c[1], log(y)) - y;
}

static inline double lognormal_log_pdf(const issim_dist *d, double x)
{
  if (x == 0)
    return -INFINITY;
  const double log_x = log(x), z = (log_x - d->param[0]) / d->param[1];
  return d->c[0] - log_x - 0.5 * z * z;
}

static inline double laplace_log_pdf(const issim_dist *d, double x)
{
  return d->c[0] - fabs(x - d->param[0]) / d->param[1];
}

/* log(e^-z / (s (1 + e^-z)^2)); symmetric in z, so written in -|z| where
 * exp cannot overflow. */
static inline double logistic_log_pdf(const issim_dist *d, double x)
{
  const double az = fabs((x - d->param[0]) / d->param[1]);
  return d->c[0] - az - 2 * log1p(exp(-az));
}

static inline double cauchy_log_pdf(const issim_dist *d, double x)
{
  return d->c[0] - log1p_square_scaled(x, d->param[0], d->param[1], 1);
}

static inline double weibull_log_pdf(const issim_dist *d, double x)
{
  const double y = x / d->param[1];
  return d->c[0] + power_log(d->c[1], log(y)) - pow(y, d->param[0]);
}

/* log(x / scale) for x >= scale, accurate near x = scale, where x - scale
 * is exact but x / scale would round to 1 + O(eps). */
static inline double pareto_log_ratio(const issim_dist *d, double x)
{
  return log1p((x - d->param[1]) / d->param[1]);
}

static inline double pareto_log_pdf(const issim_dist *d, double x)
{
  return d->c[0] - d->c[1] * pareto_log_ratio(d, x);
}

static inline double gumbel_log_pdf(const issim_dist *d, double x)
{
  const double z = (x - d->param[0]) / d->param[1];
  return d->c[0] - z - exp(-z);
}

static inline double uniform_log_pdf(const issim_dist *d, double x)
{
  return isnan(x) ? x : d->c[0];
}

static inline double beta_log_pdf(const issim_dist *d, double x)
{
  return d->c[0] + power_log(d->c[1], log(x)) + power_log(d->c[2], log1p(-x));
}

static inline bool outside_support(const issim_dist *d, double x)
{
  return x < d->lower || x > d->upper || isinf(x);
}

/* Whether the family's formula is already right everywhere: a support that is
 * the whole line, and -inf at +-inf (not the Gumbel's -z - exp(-z), which
 * gives inf - inf at -inf). */
static bool formula_needs_no_mask(const issim_dist *d)
{
  return d->lower == -INFINITY && d->upper == INFINITY && d->kind != ISSIM_DIST_GUMBEL &&
         d->kind != ISSIM_DIST_GEV;
}

/* The formula everywhere first, in a branch-free loop the compiler vectorises
 * for the families whose formula is plain arithmetic (the normal, on the
 * sampler's hot path); then, where needed, the points outside the support are
 * masked. */
#define LOG_PDF_LOOP(family_log_pdf)                                           \
  do {                                                                         \
    _Pragma("omp simd")                                                        \
    for (size_t i = 0; i < n; i++)                                             \
      lp[i] = family_log_pdf(d, x[i]);                                         \
    if (!formula_needs_no_mask(d))                                             \
      for (size_t i = 0; i < n; i++)                                           \
        if (outside_support(d, x[i]))                                          \
          lp[i] = -INFINITY;                                                   \
  } while (0)

VECTOR_CLONES
void issim_dist_log_pdf(const issim_dist *d, size_t n, const double *x,
                        double *lp)
{
  switch (d->kind) {
  case ISSIM_DIST_NORMAL: { /* the whole line: no mask */
    const double mean = d->param[0], inv_sd = 1 / d->param[1], c0 = d->c[0];
#pragma omp simd
    for (size_t i = 0; i < n; i++)
      lp[i] = normal_log_pdf(mean, inv_sd, c0, x[i]);
    break;
  }
  case ISSIM_DIST_STUDENT_T:
    LOG_PDF_LOOP(student_t_log_pdf);
    break;
  case ISSIM_DIST_EXPONENTIAL:
    LOG_PDF_LOOP(exponential_log_pdf);
    break;
  case ISSIM_DIST_GAMMA:
  case ISSIM_DIST_CHI_SQUARED:
    LOG_PDF_LOOP(gamma_log_pdf);
    break;
  case ISSIM_DIST_LOGNORMAL:
    LOG_PDF_LOOP(lognormal_log_pdf);
    break;
  case ISSIM_DIST_LAPLACE:
    LOG_PDF_LOOP(laplace_log_pdf);
    break;
  case ISSIM_DIST_LOGISTIC:
    LOG_PDF_LOOP(logistic_log_pdf);
    break;
  case ISSIM_DIST_CAUCHY:
    LOG_PDF_LOOP(cauchy_log_pdf);
    break;
  case ISSIM_DIST_WEIBULL:
    LOG_PDF_LOOP(weibull_log_pdf);
    break;
  case ISSIM_DIST_PARETO:
    LOG_PDF_LOOP(pareto_log_pdf);
    break;
  case ISSIM_DIST_GUMBEL:
    LOG_PDF_LOOP(gumbel_log_pdf);
    break;
  case ISSIM_DIST_UNIFORM:
    LOG_PDF_LOOP(uniform_log_pdf);
    break;
  case ISSIM_DIST_BETA:
    LOG_PDF_LOOP(beta_log_pdf);
    break;
  case ISSIM_DIST_TRUNCATED_NORMAL:
  case ISSIM_DIST_GEV:
  case ISSIM_DIST_TRIANGULAR:
    LOG_PDF_LOOP(issim_dist_eng_log_pdf);
    break;
  case ISSIM_DIST_NFAMILIES:
    break;
  }
}

double issim_dist_log_pdf1(const issim_dist *d, double x)
{
  double lp = NAN;
  issim_dist_log_pdf(d, 1, &x, &lp);
  return lp;
}

/* ---- tail probabilities ----
 * Each family gives log P(X > x) in log_sf; log_cdf is the same computation
 * on the mirrored tail where the family is symmetric, and otherwise written
 * out.  For precision, a probability near 1 is never logged directly: its
 * complement (small, hence accurate) goes through log1p. */

/* log(1 - e^t) for t <= 0 (Maechler's log1mexp: expm1 near 0, log1p far). */
static double log1mexp(double t)
{
  return t > -M_LN2 ? log(-expm1(t)) : log1p(-exp(t));
}

/* log(1 - e^-u) for u >= 0, given log u too: when u is so small that e^-u
 * rounds to 1 (or u itself underflowed to 0), 1 - e^-u = u (1 - u/2 + ...)
 * and the log is log u - u/2 to within u^2/24. */
static double log1mexp_neg(double u, double log_u)
{
  return u < 1e-8 ? log_u - 0.5 * u : log1mexp(-u);
}

/* log q, given q and its complement p = 1 - q, both accurate: logs the
 * smaller of the two directly. */
static double log_prob(double q, double p)
{
  return q <= p ? log(q) : log1p(-p);
}

/* log P(Z > z) for the standard normal: log erfc does not underflow in the
 * upper tail (about -804.6 at z = 40). */
static double std_normal_log_sf(double z)
{
  return z >= 0 ? gsl_sf_log_erfc(z / M_SQRT2) - M_LN2
                : log1p(-0.5 * erfc(-z / M_SQRT2));
}

double issim_dist_std_normal_log_sf(double z)
{
  return std_normal_log_sf(z);
}

double issim_dist_log1mexp(double t)
{
  return log1mexp(t);
}

/* log P(Z > z) for the standard laplace */
static double std_laplace_log_sf(double z)
{
  return z >= 0 ? -z - M_LN2 : log1p(-0.5 * exp(z));
}

/* log P(Z > z) = -log(1 + e^z) for the standard logistic, without
 * overflowing e^z. */
static double std_logistic_log_sf(double z)
{
  return z > 0 ? -z - log1p(exp(-z)) : -log1p(exp(z));
}

/* P(Z > z) = 1/2 - atan(z)/pi for the standard cauchy, written so that it
 * keeps full relative precision for large positive z. */
static double std_cauchy_sf(double z)
{
  return atan2(1.0, z) / M_PI;
}

/* ---- far tails in log space (student-t, gamma, chi-squared, beta) ----
 * GSL's P and Q are probabilities, so below ~1e-308 they lose digits among
 * the subnormals and then underflow to 0 (tdist_Q is 0 for any t > ~1e154,
 * t^2 overflowing).  Where GSL's small side is below FAR_TAIL, it is
 * recomputed here from the series and continued fractions GSL also uses,
 * but with the power-and-exponential prefactor kept as a log; elsewhere
 * GSL's values stand.  The prefactors are written through
 * Stirling's ratio so that they keep their digits when the shape parameters
 * are large (a log z - z - lgamma(a) would cancel to a tiny fraction of its
 * terms there). */

/* Below this, GSL's value is replaced (it is still a normal number, 1e28
 * above the subnormals, so the two agree where they meet). */
static const double FAR_TAIL = 1e-280;
/* The series and continued fractions are logspecial.c's (logspecial.h). */

/* log(x / s) for x, s > 0, also where x / s is subnormal or 0. */
static double log_quotient(double x, double s)
{
  const double q = x / s;
  return q >= DBL_MIN ? log(q) : log(x) - log(s);
}

/* log P(X > x) computed in log space, for x inside the support; NAN where
 * this family has no such formula or it does not apply. */
static double far_log_sf(const issim_dist *d, double x)
{
  const double *p = d->param;
  switch (d->kind) {
  case ISSIM_DIST_STUDENT_T:
    return issim_logspecial_student_t_sf(p[0], (x - p[1]) / p[2]);
  case ISSIM_DIST_GAMMA:
    return issim_logspecial_gamma_q(p[0], x / p[1]);
  case ISSIM_DIST_CHI_SQUARED:
    return issim_logspecial_gamma_q(0.5 * p[0], 0.5 * x);
  case ISSIM_DIST_BETA: /* I_(1-x)(beta, alpha) */
    return issim_logspecial_beta_inc(p[1], p[0], 1 - x, x, log1p(-x), log(x));
  default:
    return NAN;
  }
}

/* log P(X <= x) likewise. */
static double far_log_cdf(const issim_dist *d, double x)
{
  const double *p = d->param;
  switch (d->kind) {
  case ISSIM_DIST_STUDENT_T:
    return issim_logspecial_student_t_sf(p[0], -(x - p[1]) / p[2]);
  case ISSIM_DIST_GAMMA:
    return issim_logspecial_gamma_p(p[0], x / p[1], log_quotient(x, p[1]));
  case ISSIM_DIST_CHI_SQUARED:
    return issim_logspecial_gamma_p(0.5 * p[0], 0.5 * x, log_quotient(x, 2));
  case ISSIM_DIST_BETA:
    return issim_logspecial_beta_inc(p[0], p[1], x, 1 - x, log(x), log1p(-x));
  default:
    return NAN;
  }
}

/* Sets the small side's log to log_small, and its complement's to
 * log(1 - e^log_small), unless log_small is NAN (no formula, or one that did
 * not converge) or positive (parameters so extreme that the formula
 * overflowed): then GSL's stand. */
static void replace_small_side(double log_small, double *small, double *large)
{
  if (!(log_small <= 0))
    return;
  *small = log_small;
  *large = log1mexp(log_small);
}

/* log P(X > x) and log P(X <= x) from GSL's Q and P for the families whose
 * tails issim does not write in closed form; where GSL's smaller side is
 * below FAR_TAIL, from far_log_sf or far_log_cdf instead. */
static void gsl_tails(const issim_dist *d, double x, double *log_sf,
                      double *log_cdf)
{
  const double *p = d->param;
  double q = NAN, cdf = NAN;
  switch (d->kind) {
  case ISSIM_DIST_STUDENT_T: {
    const double z = (x - p[1]) / p[2];
    q = gsl_cdf_tdist_Q(z, p[0]);
    cdf = gsl_cdf_tdist_P(z, p[0]);
    break;
  }
  case ISSIM_DIST_GAMMA:
    q = gsl_cdf_gamma_Q(x, p[0], p[1]);
    cdf = gsl_cdf_gamma_P(x, p[0], p[1]);
    break;
  case ISSIM_DIST_BETA:
    q = gsl_cdf_beta_Q(x, p[0], p[1]);
    cdf = gsl_cdf_beta_P(x, p[0], p[1]);
    break;
  case ISSIM_DIST_CHI_SQUARED:
    q = gsl_cdf_chisq_Q(x, p[0]);
    cdf = gsl_cdf_chisq_P(x, p[0]);
    break;
  default:
    break;
  }
  *log_sf = log_prob(q, cdf);
  *log_cdf = log_prob(cdf, q);
  if (q < FAR_TAIL)
    replace_small_side(far_log_sf(d, x), log_sf, log_cdf);
  else if (cdf < FAR_TAIL)
    replace_small_side(far_log_cdf(d, x), log_cdf, log_sf);
}

/* Both tails for x strictly inside the support. */
static void log_tails(const issim_dist *d, double x, double *log_sf,
                      double *log_cdf)
{
  const double *p = d->param;
  double t;
  switch (d->kind) {
  case ISSIM_DIST_NORMAL:
    t = (x - p[0]) / p[1];
    *log_sf = std_normal_log_sf(t);
    *log_cdf = std_normal_log_sf(-t);
    break;
  case ISSIM_DIST_LOGNORMAL:
    t = (log(x) - p[0]) / p[1];
    *log_sf = std_normal_log_sf(t);
    *log_cdf = std_normal_log_sf(-t);
    break;
  case ISSIM_DIST_LAPLACE:
    t = (x - p[0]) / p[1];
    *log_sf = std_laplace_log_sf(t);
    *log_cdf = std_laplace_log_sf(-t);
    break;
  case ISSIM_DIST_LOGISTIC:
    t = (x - p[0]) / p[1];
    *log_sf = std_logistic_log_sf(t);
    *log_cdf = std_logistic_log_sf(-t);
    break;
  case ISSIM_DIST_CAUCHY:
    t = (x - p[0]) / p[1];
    *log_sf = log_prob(std_cauchy_sf(t), std_cauchy_sf(-t));
    *log_cdf = log_prob(std_cauchy_sf(-t), std_cauchy_sf(t));
    break;
  case ISSIM_DIST_EXPONENTIAL: /* sf = exp(-rate (x - location)) */
    *log_sf = -p[0] * (x - p[1]);
    *log_cdf = log1mexp(*log_sf);
    break;
  case ISSIM_DIST_WEIBULL: /* sf = exp(-u), u = (x/scale)^shape */
    t = pow(x / p[1], p[0]);
    *log_sf = -t;
    *log_cdf = log1mexp_neg(t, p[0] * log(x / p[1])); /* t may underflow */
    break;
  case ISSIM_DIST_PARETO: /* sf = (scale/x)^shape */
    *log_sf = -p[0] * pareto_log_ratio(d, x);
    *log_cdf = log1mexp(*log_sf);
    break;
  case ISSIM_DIST_GUMBEL: /* cdf = exp(-u), u = exp(-z) */
    t = (x - p[0]) / p[1];
    *log_cdf = -exp(-t);
    *log_sf = log1mexp_neg(exp(-t), -t);
    break;
  case ISSIM_DIST_UNIFORM: { /* in halves, so that no width overflows */
    const double half_width = 0.5 * p[1] - 0.5 * p[0];
    const double sf = (0.5 * p[1] - 0.5 * x) / half_width;
    const double cdf = (0.5 * x - 0.5 * p[0]) / half_width;
    *log_sf = log_prob(sf, cdf);
    *log_cdf = log_prob(cdf, sf);
    break;
  }
  case ISSIM_DIST_STUDENT_T:
  case ISSIM_DIST_GAMMA:
  case ISSIM_DIST_BETA:
  case ISSIM_DIST_CHI_SQUARED:
    gsl_tails(d, x, log_sf, log_cdf);
    break;
  case ISSIM_DIST_TRUNCATED_NORMAL:
  case ISSIM_DIST_GEV:
  case ISSIM_DIST_TRIANGULAR:
    issim_dist_eng_log_tails(d, x, log_sf, log_cdf);
    break;
  case ISSIM_DIST_NFAMILIES:
    *log_sf = *log_cdf = NAN;
    break;
  }
}

/* At or beyond an end of the support the tails are exact 0s and 1s. */
static void log_tails_anywhere(const issim_dist *d, double x, double *log_sf,
                               double *log_cdf)
{
  if (isnan(x)) {
    *log_sf = *log_cdf = NAN;
  } else if (x <= d->lower) {
    *log_sf = 0;
    *log_cdf = -INFINITY;
  } else if (x >= d->upper) {
    *log_sf = -INFINITY;
    *log_cdf = 0;
  } else {
    log_tails(d, x, log_sf, log_cdf);
  }
}

double issim_dist_log_sf(const issim_dist *d, double x)
{
  double log_sf, log_cdf;
  log_tails_anywhere(d, x, &log_sf, &log_cdf);
  return log_sf;
}

double issim_dist_log_cdf(const issim_dist *d, double x)
{
  double log_sf, log_cdf;
  log_tails_anywhere(d, x, &log_sf, &log_cdf);
  return log_cdf;
}

/* ---- moments and entropy ---- */

/* Gamma(1 + k/shape) for weibull moments, via lngamma. */
static double weibull_gamma_term(double k, double shape)
{
  return exp(gsl_sf_lngamma(1 + k / shape));
}

double issim_dist_mean(const issim_dist *d)
{
  const double *p = d->param;
  switch (d->kind) {
  case ISSIM_DIST_NORMAL:
    return p[0];
  case ISSIM_DIST_STUDENT_T:
    return p[0] > 1 ? p[1] : NAN;
  case ISSIM_DIST_EXPONENTIAL:
    return p[1] + 1 / p[0];
  case ISSIM_DIST_GAMMA:
    return p[0] * p[1];
  case ISSIM_DIST_LOGNORMAL:
    return exp(p[0] + 0.5 * p[1] * p[1]);
  case ISSIM_DIST_LAPLACE:
  case ISSIM_DIST_LOGISTIC:
    return p[0];
  case ISSIM_DIST_CAUCHY:
    return NAN;
  case ISSIM_DIST_WEIBULL:
    return p[1] * weibull_gamma_term(1, p[0]);
  case ISSIM_DIST_PARETO:
    return p[0] > 1 ? p[0] * p[1] / (p[0] - 1) : INFINITY;
  case ISSIM_DIST_GUMBEL:
    return p[0] + p[1] * M_EULER;
  case ISSIM_DIST_UNIFORM:
    return 0.5 * p[0] + 0.5 * p[1];
  case ISSIM_DIST_BETA:
    return p[0] / (p[0] + p[1]);
  case ISSIM_DIST_CHI_SQUARED:
    return p[0];
  case ISSIM_DIST_TRUNCATED_NORMAL:
  case ISSIM_DIST_GEV:
  case ISSIM_DIST_TRIANGULAR:
    return issim_dist_eng_mean(d);
  case ISSIM_DIST_NFAMILIES:
    break;
  }
  return NAN;
}

double issim_dist_variance(const issim_dist *d)
{
  const double *p = d->param;
  switch (d->kind) {
  case ISSIM_DIST_NORMAL:
    return p[1] * p[1];
  case ISSIM_DIST_STUDENT_T:
    if (p[0] > 2)
      return p[2] * p[2] * p[0] / (p[0] - 2);
    return p[0] > 1 ? INFINITY : NAN; /* no mean at all for df <= 1 */
  case ISSIM_DIST_EXPONENTIAL:
    return 1 / (p[0] * p[0]);
  case ISSIM_DIST_GAMMA:
    return p[0] * p[1] * p[1];
  case ISSIM_DIST_LOGNORMAL: {
    const double s2 = p[1] * p[1];
    return expm1(s2) * exp(2 * p[0] + s2);
  }
  case ISSIM_DIST_LAPLACE:
    return 2 * p[1] * p[1];
  case ISSIM_DIST_LOGISTIC:
    return M_PI * M_PI * p[1] * p[1] / 3;
  case ISSIM_DIST_CAUCHY:
    return NAN;
  case ISSIM_DIST_WEIBULL: {
    /* scale^2 (G(1+2e) - G(1+e)^2) with e = 1/shape, written as
     * scale^2 G(1+e)^2 expm1(D), D = log G(1+2e) - 2 log G(1+e).  For large
     * shape D ~ (pi^2/6) e^2 is a difference of O(e) terms: as a difference
     * of lngammas it would lose a factor 1/e in precision (GSL's lngamma
     * near 1 is accurate in absolute, not relative, terms), so it is formed
     * from lnpoch(a, e) = log(G(a+e)/G(a)), which is relatively accurate. */
    const double e = 1 / p[0];
    const double lg1 = gsl_sf_lngamma(1 + e);
    const double D = gsl_sf_lnpoch(1 + e, e) - gsl_sf_lnpoch(1, e);
    return p[1] * p[1] * exp(2 * lg1) * expm1(D);
  }
  case ISSIM_DIST_PARETO:
    if (p[0] <= 2)
      return INFINITY;
    return p[1] * p[1] * p[0] / ((p[0] - 1) * (p[0] - 1) * (p[0] - 2));
  case ISSIM_DIST_GUMBEL:
    return M_PI * M_PI * p[1] * p[1] / 6;
  case ISSIM_DIST_UNIFORM: {
    const double w = p[1] - p[0];
    return w * w / 12;
  }
  case ISSIM_DIST_BETA: {
    const double s = p[0] + p[1];
    return p[0] * p[1] / (s * s * (s + 1));
  }
  case ISSIM_DIST_CHI_SQUARED:
    return 2 * p[0];
  case ISSIM_DIST_TRUNCATED_NORMAL:
  case ISSIM_DIST_GEV:
  case ISSIM_DIST_TRIANGULAR:
    return issim_dist_eng_variance(d);
  case ISSIM_DIST_NFAMILIES:
    break;
  }
  return NAN;
}

static double gamma_entropy(double shape, double scale)
{
  return shape + log(scale) + gsl_sf_lngamma(shape) +
         (1 - shape) * gsl_sf_psi(shape);
}

double issim_dist_entropy(const issim_dist *d)
{
  const double *p = d->param;
  switch (d->kind) {
  case ISSIM_DIST_NORMAL:
    return 0.5 * (1 + LOG_2PI) + log(p[1]);
  case ISSIM_DIST_STUDENT_T: {
    const double h = 0.5 * (p[0] + 1);
    return h * (gsl_sf_psi(h) - gsl_sf_psi(0.5 * p[0])) +
           0.5 * log(p[0]) + gsl_sf_lnbeta(0.5 * p[0], 0.5) + log(p[2]);
  }
  case ISSIM_DIST_EXPONENTIAL:
    return 1 - log(p[0]);
  case ISSIM_DIST_GAMMA:
    return gamma_entropy(p[0], p[1]);
  case ISSIM_DIST_LOGNORMAL:
    return p[0] + 0.5 + log(p[1]) + 0.5 * LOG_2PI;
  case ISSIM_DIST_LAPLACE:
    return 1 + log(2 * p[1]);
  case ISSIM_DIST_LOGISTIC:
    return log(p[1]) + 2;
  case ISSIM_DIST_CAUCHY:
    return log(4 * M_PI * p[1]);
  case ISSIM_DIST_WEIBULL:
    return (1 - 1 / p[0]) * M_EULER + log(p[1] / p[0]) + 1;
  case ISSIM_DIST_PARETO:
    return log(p[1] / p[0]) + 1 / p[0] + 1;
  case ISSIM_DIST_GUMBEL:
    return log(p[1]) + M_EULER + 1;
  case ISSIM_DIST_UNIFORM:
    return log_width(p[0], p[1]);
  case ISSIM_DIST_BETA:
    return gsl_sf_lnbeta(p[0], p[1]) - (p[0] - 1) * gsl_sf_psi(p[0]) -
           (p[1] - 1) * gsl_sf_psi(p[1]) +
           (p[0] + p[1] - 2) * gsl_sf_psi(p[0] + p[1]);
  case ISSIM_DIST_CHI_SQUARED:
    return gamma_entropy(0.5 * p[0], 2);
  case ISSIM_DIST_TRUNCATED_NORMAL:
  case ISSIM_DIST_GEV:
  case ISSIM_DIST_TRIANGULAR:
    return issim_dist_eng_entropy(d);
  case ISSIM_DIST_NFAMILIES:
    break;
  }
  return NAN;
}

double issim_dist_standard_log_sf(double df, double z)
{
  issim_dist *law;
  if (isinf(df)) {
    law = issim_dist_alloc_normal(0, 1, NULL);
  } else {
    const char *keys[1] = {"df"};
    law = issim_dist_alloc("student-t", 1, keys, &df, NULL);
  }
  double lp = law ? issim_dist_log_sf(law, z) : NAN;
  issim_dist_free(law);
  return lp;
}
