/* check_dist.c: tests of dist.c against independent values.
 *
 * References are GSL's own densities (gsl_ran_*_pdf), distribution functions
 * (gsl_cdf_*_P/_Q/_Pinv), closed forms and asymptotic series written here,
 * and Monte Carlo estimates whose tolerances are 5 of their own standard
 * errors.  Samples use gsl_rng_taus2 with fixed seeds, so a run is
 * reproducible; the chance that a correct implementation fails any one
 * 5-sigma check is below 1e-6.
 */
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
#include <gsl/gsl_math.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_sf_erf.h>

#include "dist.h"
#include "check_main.h"
#include "check_util.h"

enum { NSAMPLE = 200000 };

/* ---- assertions ---- */

/* assert_close: check_util.h */

/* |got - want| <= rel |want|. */
#define assert_rel(got, want, rel)                                             \
  assert_close(got, want, (rel) * fabs((double) (want)))

/* ---- building distributions ---- */

typedef struct {
  const char *key;
  double value;
} kv;

static issim_dist *make(const char *family, size_t n, const kv *pairs,
                        issim_error *err)
{
  const char *keys[8];
  double values[8];
  ck_assert_uint_le(n, 8);
  for (size_t i = 0; i < n; i++) {
    keys[i] = pairs[i].key;
    values[i] = pairs[i].value;
  }
  return issim_dist_alloc(family, n, keys, values, err);
}

#define NPAIRS(...) (sizeof((kv[]){__VA_ARGS__}) / sizeof(kv))
/* MAKE_OR_ERR("normal", &err, {"mean", 1}, {"sd", 2}) */
#define MAKE_OR_ERR(family, err, ...)                                          \
  make(family, NPAIRS(__VA_ARGS__), (kv[]){__VA_ARGS__}, err)

static issim_dist *make_ok(const char *family, size_t n, const kv *pairs)
{
  issim_error err;
  issim_error_clear(&err);
  issim_dist *d = make(family, n, pairs, &err);
  ck_assert_msg(d != NULL, "%s: %s", family, err.message);
  return d;
}

#define MAKE(family, ...)                                                      \
  make_ok(family, NPAIRS(__VA_ARGS__), (kv[]){__VA_ARGS__})

/* ---- GSL references, per family ----
 * v holds the case's parameter values in the order of its keys. */

typedef struct {
  double (*pdf)(double x, const double *v);
  double (*P)(double x, const double *v);
  double (*Q)(double x, const double *v);
  double (*Pinv)(double p, const double *v);
  double (*Qinv)(double q, const double *v);
} reference;

/* Families GSL parametrises as f(x - location, scale); v = {location, scale}. */
#define LOCATION_SCALE_REFERENCE(name, gsl)                                    \
  static double name##_pdf(double x, const double *v)                          \
  {                                                                            \
    return gsl_ran_##gsl##_pdf(x - v[0], v[1]);                                \
  }                                                                            \
  static double name##_P(double x, const double *v)                            \
  {                                                                            \
    return gsl_cdf_##gsl##_P(x - v[0], v[1]);                                  \
  }                                                                            \
  static double name##_Q(double x, const double *v)                            \
  {                                                                            \
    return gsl_cdf_##gsl##_Q(x - v[0], v[1]);                                  \
  }                                                                            \
  static double name##_Pinv(double p, const double *v)                         \
  {                                                                            \
    return v[0] + gsl_cdf_##gsl##_Pinv(p, v[1]);                               \
  }                                                                            \
  static double name##_Qinv(double q, const double *v)                         \
  {                                                                            \
    return v[0] + gsl_cdf_##gsl##_Qinv(q, v[1]);                               \
  }                                                                            \
  static const reference name##_ref = {name##_pdf, name##_P, name##_Q,         \
                                       name##_Pinv, name##_Qinv}

/* Families GSL parametrises as f(x, A, B) with A, B computed from v. */
#define TWO_PARAMETER_REFERENCE(name, gsl, A, B)                               \
  static double name##_pdf(double x, const double *v)                          \
  {                                                                            \
    return gsl_ran_##gsl##_pdf(x, A, B);                                       \
  }                                                                            \
  static double name##_P(double x, const double *v)                            \
  {                                                                            \
    return gsl_cdf_##gsl##_P(x, A, B);                                         \
  }                                                                            \
  static double name##_Q(double x, const double *v)                            \
  {                                                                            \
    return gsl_cdf_##gsl##_Q(x, A, B);                                         \
  }                                                                            \
  static double name##_Pinv(double p, const double *v)                         \
  {                                                                            \
    return gsl_cdf_##gsl##_Pinv(p, A, B);                                      \
  }                                                                            \
  static double name##_Qinv(double q, const double *v)                         \
  {                                                                            \
    return gsl_cdf_##gsl##_Qinv(q, A, B);                                      \
  }                                                                            \
  static const reference name##_ref = {name##_pdf, name##_P, name##_Q,         \
                                       name##_Pinv, name##_Qinv}

LOCATION_SCALE_REFERENCE(normal, gaussian);
LOCATION_SCALE_REFERENCE(laplace, laplace);
LOCATION_SCALE_REFERENCE(logistic, logistic);
LOCATION_SCALE_REFERENCE(cauchy, cauchy);
TWO_PARAMETER_REFERENCE(gamma, gamma, v[0], v[1]);          /* shape, scale */
TWO_PARAMETER_REFERENCE(gamma_rate, gamma, v[0], 1 / v[1]); /* shape, rate */
TWO_PARAMETER_REFERENCE(lognormal, lognormal, v[0], v[1]);
TWO_PARAMETER_REFERENCE(weibull, weibull, v[1], v[0]); /* GSL: scale, shape */
TWO_PARAMETER_REFERENCE(pareto, pareto, v[0], v[1]);   /* GSL: shape, scale */
TWO_PARAMETER_REFERENCE(uniform, flat, v[0], v[1]);
TWO_PARAMETER_REFERENCE(beta, beta, v[0], v[1]);
/* GSL's type-1 gumbel a b exp(-(b e^(-a x) + a x)) is location mu, scale s
 * for a = 1/s, b = e^(mu/s). */
TWO_PARAMETER_REFERENCE(gumbel, gumbel1, 1 / v[1], exp(v[0] / v[1]));

/* v = {df, location, scale} */
static double student_t_pdf(double x, const double *v)
{
  return gsl_ran_tdist_pdf((x - v[1]) / v[2], v[0]) / v[2];
}
static double student_t_P(double x, const double *v)
{
  return gsl_cdf_tdist_P((x - v[1]) / v[2], v[0]);
}
static double student_t_Q(double x, const double *v)
{
  return gsl_cdf_tdist_Q((x - v[1]) / v[2], v[0]);
}
static double student_t_Pinv(double p, const double *v)
{
  return v[1] + v[2] * gsl_cdf_tdist_Pinv(p, v[0]);
}
static double student_t_Qinv(double q, const double *v)
{
  return v[1] + v[2] * gsl_cdf_tdist_Qinv(q, v[0]);
}
static const reference student_t_ref = {student_t_pdf, student_t_P,
                                        student_t_Q, student_t_Pinv,
                                        student_t_Qinv};

/* v = {rate, location}; GSL takes the mean 1/rate. */
static double exponential_pdf(double x, const double *v)
{
  return gsl_ran_exponential_pdf(x - v[1], 1 / v[0]);
}
static double exponential_P(double x, const double *v)
{
  return gsl_cdf_exponential_P(x - v[1], 1 / v[0]);
}
static double exponential_Q(double x, const double *v)
{
  return gsl_cdf_exponential_Q(x - v[1], 1 / v[0]);
}
static double exponential_Pinv(double p, const double *v)
{
  return v[1] + gsl_cdf_exponential_Pinv(p, 1 / v[0]);
}
static double exponential_Qinv(double q, const double *v)
{
  return v[1] + gsl_cdf_exponential_Qinv(q, 1 / v[0]);
}
static const reference exponential_ref = {exponential_pdf, exponential_P,
                                          exponential_Q, exponential_Pinv,
                                          exponential_Qinv};

/* v = {df} */
static double chisq_pdf(double x, const double *v)
{
  return gsl_ran_chisq_pdf(x, v[0]);
}
static double chisq_P(double x, const double *v)
{
  return gsl_cdf_chisq_P(x, v[0]);
}
static double chisq_Q(double x, const double *v)
{
  return gsl_cdf_chisq_Q(x, v[0]);
}
static double chisq_Pinv(double p, const double *v)
{
  return gsl_cdf_chisq_Pinv(p, v[0]);
}
static double chisq_Qinv(double q, const double *v)
{
  return gsl_cdf_chisq_Qinv(q, v[0]);
}
static const reference chisq_ref = {chisq_pdf, chisq_P, chisq_Q, chisq_Pinv,
                                    chisq_Qinv};

/* ---- the test cases: every family at two or three parameter sets ---- */

typedef struct {
  const char *family;
  size_t n;
  const char *keys[3];
  double v[3];
  const reference *ref;
  bool finite_fourth_moment; /* the sample variance has a standard error */
} dist_case;

static const dist_case cases[] = {
  {"normal", 2, {"mean", "sd"}, {0, 1}, &normal_ref, true},
  {"normal", 2, {"mean", "sd"}, {3, 0.5}, &normal_ref, true},
  {"normal", 2, {"mean", "sd"}, {-2, 10}, &normal_ref, true},
  {"student-t", 3, {"df", "location", "scale"}, {3, 0, 1}, &student_t_ref, false},
  {"student-t", 3, {"df", "location", "scale"}, {1.5, 1, 2}, &student_t_ref, false},
  {"student-t", 3, {"df", "location", "scale"}, {30, -1, 0.5}, &student_t_ref, true},
  {"exponential", 2, {"rate", "location"}, {1, 0}, &exponential_ref, true},
  {"exponential", 2, {"rate", "location"}, {2.5, -1}, &exponential_ref, true},
  {"gamma", 2, {"shape", "scale"}, {2, 1.5}, &gamma_ref, true},
  {"gamma", 2, {"shape", "scale"}, {0.5, 1}, &gamma_ref, true},
  {"gamma", 2, {"shape", "rate"}, {3, 4}, &gamma_rate_ref, true},
  {"lognormal", 2, {"meanlog", "sdlog"}, {0, 1}, &lognormal_ref, true},
  {"lognormal", 2, {"meanlog", "sdlog"}, {1, 0.25}, &lognormal_ref, true},
  {"laplace", 2, {"location", "scale"}, {0, 1}, &laplace_ref, true},
  {"laplace", 2, {"location", "scale"}, {2, 3}, &laplace_ref, true},
  {"logistic", 2, {"location", "scale"}, {0, 1}, &logistic_ref, true},
  {"logistic", 2, {"location", "scale"}, {-1, 0.5}, &logistic_ref, true},
  {"cauchy", 2, {"location", "scale"}, {0, 1}, &cauchy_ref, false},
  {"cauchy", 2, {"location", "scale"}, {5, 2}, &cauchy_ref, false},
  {"weibull", 2, {"shape", "scale"}, {2, 1}, &weibull_ref, true},
  {"weibull", 2, {"shape", "scale"}, {0.7, 3}, &weibull_ref, true},
  {"pareto", 2, {"shape", "scale"}, {1.5, 1}, &pareto_ref, false},
  {"pareto", 2, {"shape", "scale"}, {5, 2}, &pareto_ref, true},
  {"gumbel", 2, {"location", "scale"}, {0, 1}, &gumbel_ref, true},
  {"gumbel", 2, {"location", "scale"}, {1, 2}, &gumbel_ref, true},
  {"uniform", 2, {"lower", "upper"}, {0, 1}, &uniform_ref, true},
  {"uniform", 2, {"lower", "upper"}, {-3, 5}, &uniform_ref, true},
  {"beta", 2, {"alpha", "beta"}, {2, 3}, &beta_ref, true},
  {"beta", 2, {"alpha", "beta"}, {0.5, 0.5}, &beta_ref, true},
  {"beta", 2, {"alpha", "beta"}, {5, 1}, &beta_ref, true},
  {"chi-squared", 1, {"df"}, {1}, &chisq_ref, true},
  {"chi-squared", 1, {"df"}, {4}, &chisq_ref, true},
  {"chi-squared", 1, {"df"}, {10}, &chisq_ref, true},
};
enum { NCASES = sizeof cases / sizeof cases[0] };

static issim_dist *make_case(const dist_case *c)
{
  issim_error err;
  issim_error_clear(&err);
  issim_dist *d = issim_dist_alloc(c->family, c->n, c->keys, c->v, &err);
  ck_assert_msg(d != NULL, "%s: %s", c->family, err.message);
  return d;
}

/* Points inside the support, at these probabilities (GSL's quantiles). */
static const double probe_p[] = {0.001, 0.01, 0.1,  0.25, 0.5,
                                 0.75,  0.9,  0.99, 0.999};
enum { NPROBES = sizeof probe_p / sizeof probe_p[0] };

/* ---- 1. log-density against log(gsl_ran_*_pdf) ---- */

/* Both sides are accurate to a few ulps of the density, i.e. a few 1e-16 in
 * the log, except that exp() of an argument of size |log p| carries its
 * rounding, |log p| * 1e-16, into GSL's density: so 1e-12 * max(1, |log p|)
 * leaves a margin of 1e3 or more without hiding a wrong constant. */
START_TEST(test_log_pdf_matches_gsl)
{
  const dist_case *c = &cases[_i];
  issim_dist *d = make_case(c);
  for (size_t j = 0; j < NPROBES; j++) {
    const double x = c->ref->Pinv(probe_p[j], c->v);
    const double pdf = c->ref->pdf(x, c->v);
    ck_assert_msg(pdf > 1e-300, "%s: probe %g not in the support", c->family,
                  x);
    const double want = log(pdf);
    assert_close(issim_dist_log_pdf1(d, x), want,
                 1e-12 * fmax(1, fabs(want)));
  }
  issim_dist_free(d);
}
END_TEST

START_TEST(test_log_pdf_vector_matches_scalar)
{
  const dist_case *c = &cases[_i];
  issim_dist *d = make_case(c);
  double x[NPROBES + 2], lp[NPROBES + 2];
  for (size_t j = 0; j < NPROBES; j++)
    x[j] = c->ref->Pinv(probe_p[j], c->v);
  x[NPROBES] = -INFINITY;
  x[NPROBES + 1] = INFINITY;
  issim_dist_log_pdf(d, NPROBES + 2, x, lp);
  for (size_t j = 0; j < NPROBES + 2; j++)
    ck_assert(lp[j] == issim_dist_log_pdf1(d, x[j]));
  issim_dist_log_pdf(d, 0, NULL, NULL); /* n = 0 touches nothing */
  issim_dist_free(d);
}
END_TEST

/* Support ends and their tails: -inf density outside, exact 0/1 tails. */
START_TEST(test_outside_support)
{
  const dist_case *c = &cases[_i];
  issim_dist *d = make_case(c);
  ck_assert(issim_dist_log_pdf1(d, -INFINITY) == -INFINITY);
  ck_assert(issim_dist_log_pdf1(d, INFINITY) == -INFINITY);
  ck_assert(issim_dist_log_sf(d, -INFINITY) == 0);
  ck_assert(issim_dist_log_cdf(d, -INFINITY) == -INFINITY);
  ck_assert(issim_dist_log_sf(d, INFINITY) == -INFINITY);
  ck_assert(issim_dist_log_cdf(d, INFINITY) == 0);
  if (isfinite(d->lower)) {
    const double below[] = {nextafter(d->lower, -INFINITY), d->lower - 1};
    for (size_t j = 0; j < 2; j++) {
      ck_assert(issim_dist_log_pdf1(d, below[j]) == -INFINITY);
      ck_assert(issim_dist_log_sf(d, below[j]) == 0);
      ck_assert(issim_dist_log_cdf(d, below[j]) == -INFINITY);
    }
  }
  if (isfinite(d->upper)) {
    const double above[] = {nextafter(d->upper, INFINITY), d->upper + 1};
    for (size_t j = 0; j < 2; j++) {
      ck_assert(issim_dist_log_pdf1(d, above[j]) == -INFINITY);
      ck_assert(issim_dist_log_sf(d, above[j]) == -INFINITY);
      ck_assert(issim_dist_log_cdf(d, above[j]) == 0);
    }
  }
  ck_assert(isnan(issim_dist_log_pdf1(d, NAN)));
  ck_assert(isnan(issim_dist_log_sf(d, NAN)));
  issim_dist_free(d);
}
END_TEST

START_TEST(test_support_fields)
{
  issim_dist *d;
  d = MAKE("normal", {"mean", 1});
  ck_assert(d->lower == -INFINITY && d->upper == INFINITY);
  issim_dist_free(d);
  d = MAKE("exponential", {"location", 2});
  ck_assert(d->lower == 2 && d->upper == INFINITY);
  issim_dist_free(d);
  const char *positive_half_line[] = {"lognormal", "gamma", "weibull",
                                      "chi-squared"};
  for (size_t i = 0; i < 4; i++) {
    const char *key = strcmp(positive_half_line[i], "chi-squared") == 0 ? "df"
                      : strcmp(positive_half_line[i], "lognormal") == 0
                          ? "sdlog"
                          : "shape";
    d = make_ok(positive_half_line[i], 1, (kv[]){{key, 2}});
    ck_assert_msg(d->lower == 0 && d->upper == INFINITY, "%s",
                  positive_half_line[i]);
    issim_dist_free(d);
  }
  d = MAKE("pareto", {"shape", 2}, {"scale", 3});
  ck_assert(d->lower == 3 && d->upper == INFINITY);
  issim_dist_free(d);
  d = MAKE("uniform", {"lower", -2}, {"upper", 7});
  ck_assert(d->lower == -2 && d->upper == 7);
  issim_dist_free(d);
  d = MAKE("beta", {"alpha", 2}, {"beta", 2});
  ck_assert(d->lower == 0 && d->upper == 1);
  issim_dist_free(d);
}
END_TEST

/* x^(shape-1) at the boundary x = 0: +inf, finite, 0 as shape < = > 1. */
START_TEST(test_log_pdf_at_boundary)
{
  issim_dist *d;
  d = MAKE("gamma", {"shape", 0.5}, {"scale", 2});
  ck_assert(issim_dist_log_pdf1(d, 0) == INFINITY);
  issim_dist_free(d);
  d = MAKE("gamma", {"shape", 1}, {"scale", 2});
  assert_rel(issim_dist_log_pdf1(d, 0), -log(2.0), 1e-15);
  issim_dist_free(d);
  d = MAKE("gamma", {"shape", 2}, {"scale", 2});
  ck_assert(issim_dist_log_pdf1(d, 0) == -INFINITY);
  issim_dist_free(d);

  d = MAKE("weibull", {"shape", 0.5}, {"scale", 3});
  ck_assert(issim_dist_log_pdf1(d, 0) == INFINITY);
  issim_dist_free(d);
  d = MAKE("weibull", {"shape", 1}, {"scale", 3});
  assert_rel(issim_dist_log_pdf1(d, 0), -log(3.0), 1e-15);
  issim_dist_free(d);
  d = MAKE("weibull", {"shape", 3}, {"scale", 3});
  ck_assert(issim_dist_log_pdf1(d, 0) == -INFINITY);
  issim_dist_free(d);

  d = MAKE("chi-squared", {"df", 1});
  ck_assert(issim_dist_log_pdf1(d, 0) == INFINITY);
  issim_dist_free(d);
  d = MAKE("chi-squared", {"df", 2}); /* exponential with mean 2 */
  assert_rel(issim_dist_log_pdf1(d, 0), -log(2.0), 1e-15);
  issim_dist_free(d);
  d = MAKE("chi-squared", {"df", 3});
  ck_assert(issim_dist_log_pdf1(d, 0) == -INFINITY);
  issim_dist_free(d);

  /* beta(1, 2) has density 2 (1 - x); beta(2, 1) has 2 x. */
  /* GSL's lnbeta is good to ~10 ulps: 1e-14 */
  d = MAKE("beta", {"alpha", 1}, {"beta", 2});
  assert_rel(issim_dist_log_pdf1(d, 0), log(2.0), 1e-14);
  ck_assert(issim_dist_log_pdf1(d, 1) == -INFINITY);
  issim_dist_free(d);
  d = MAKE("beta", {"alpha", 2}, {"beta", 1});
  ck_assert(issim_dist_log_pdf1(d, 0) == -INFINITY);
  assert_rel(issim_dist_log_pdf1(d, 1), log(2.0), 1e-14);
  issim_dist_free(d);
  d = MAKE("beta", {"alpha", 0.5}, {"beta", 0.3});
  ck_assert(issim_dist_log_pdf1(d, 0) == INFINITY);
  ck_assert(issim_dist_log_pdf1(d, 1) == INFINITY);
  issim_dist_free(d);

  d = MAKE("lognormal", {"meanlog", 0});
  ck_assert(issim_dist_log_pdf1(d, 0) == -INFINITY);
  issim_dist_free(d);
  d = MAKE("pareto", {"shape", 2}, {"scale", 3}); /* 2 * 3^2 / 3^3 at 3 */
  assert_rel(issim_dist_log_pdf1(d, 3), log(2.0 / 3), 1e-15);
  issim_dist_free(d);
  d = MAKE("exponential", {"rate", 2}, {"location", 1});
  assert_rel(issim_dist_log_pdf1(d, 1), log(2.0), 1e-15);
  issim_dist_free(d);
  d = MAKE("uniform", {"lower", 1}, {"upper", 5});
  assert_rel(issim_dist_log_pdf1(d, 1), -log(4.0), 1e-15);
  assert_rel(issim_dist_log_pdf1(d, 5), -log(4.0), 1e-15);
  issim_dist_free(d);
}
END_TEST

/* ---- 2. far tails ---- */

/* log P(Z > x) for the standard normal from the asymptotic series
 * Q(x) = phi(x)/x (1 - 1/x^2 + 3/x^4 - 15/x^6 + ...), summed while the
 * terms shrink below 1e-18 (for x = 40 the 7th term is about 1e-17). */
static double normal_log_sf_asymptotic(double x)
{
  double sum = 0, term = 1;
  for (int k = 1; fabs(term) > 1e-18; k++) {
    sum += term;
    term *= -(2 * k - 1) / (x * x);
  }
  return -0.5 * x * x - log(x) - 0.5 * log(2 * M_PI) + log(sum);
}

START_TEST(test_normal_far_tail)
{
  issim_dist *d = issim_dist_alloc_normal(0, 1, NULL);
  ck_assert_ptr_nonnull(d);
  assert_rel(issim_dist_log_pdf1(d, 40), -800 - 0.5 * log(2 * M_PI), 1e-12);
  assert_rel(issim_dist_log_pdf1(d, -40), -800 - 0.5 * log(2 * M_PI), 1e-12);

  const double series = normal_log_sf_asymptotic(40);
  assert_rel(series, -804.6084420137538, 1e-15); /* the series itself */
  assert_rel(issim_dist_log_sf(d, 40), series, 1e-14);
  assert_rel(issim_dist_log_cdf(d, -40), series, 1e-14);
  assert_rel(issim_dist_log_sf(d, 40), -804.6084420137538, 1e-14);

  /* where Q is representable, against the literal and GSL's Q */
  assert_rel(exp(issim_dist_log_sf(d, 5)), 2.8665157187919333e-7, 1e-13);
  assert_rel(exp(issim_dist_log_sf(d, 5)), gsl_cdf_ugaussian_Q(5), 1e-13);
  assert_rel(exp(issim_dist_log_cdf(d, -5)), gsl_cdf_ugaussian_P(-5), 1e-13);
  /* the near-1 side keeps its small complement: log(1 - Q(5)) */
  assert_rel(issim_dist_log_cdf(d, 5), log1p(-gsl_cdf_ugaussian_Q(5)), 1e-13);
  assert_rel(issim_dist_log_sf(d, -5), log1p(-gsl_cdf_ugaussian_Q(5)), 1e-13);
  /* 10 sd out, through log erfc */
  assert_rel(issim_dist_log_sf(d, 10), normal_log_sf_asymptotic(10), 1e-13);
  issim_dist_free(d);

  /* location and scale: x = 1 + 2 * 40 */
  d = issim_dist_alloc_normal(1, 2, NULL);
  assert_rel(issim_dist_log_sf(d, 81), series, 1e-14);
  assert_rel(issim_dist_log_pdf1(d, 81),
             -800 - 0.5 * log(2 * M_PI) - log(2.0), 1e-12);
  issim_dist_free(d);

  /* lognormal: log X is normal, so log_sf at e^40 is the same */
  d = MAKE("lognormal", {"meanlog", 0}, {"sdlog", 1});
  assert_rel(issim_dist_log_sf(d, exp(40)), series, 1e-13);
  assert_rel(issim_dist_log_cdf(d, exp(-40)), series, 1e-13);
  assert_rel(issim_dist_log_pdf1(d, exp(40)),
             -800 - 0.5 * log(2 * M_PI) - 40, 1e-12);
  issim_dist_free(d);
}
END_TEST

START_TEST(test_student_t_far_tail)
{
  issim_dist *d = MAKE("student-t", {"df", 3});
  const double t = 1e6;
  /* density 2/(pi sqrt 3) (1 + t^2/3)^-2, with log1p(t^2/3) expanded */
  const double log_k = log(2 / (M_PI * sqrt(3.0)));
  const double want = log_k - 2 * (log(t * t / 3) + log1p(3 / (t * t)));
  assert_rel(issim_dist_log_pdf1(d, t), want, 1e-14);
  assert_rel(issim_dist_log_pdf1(d, t), log(gsl_ran_tdist_pdf(t, 3)), 1e-12);
  /* Q(t) = 3k/t^3 (1 - 18/(5 t^2) + O(t^-4)) */
  const double log_q = log(3 * 2 / (M_PI * sqrt(3.0))) - 3 * log(t) +
                       log1p(-18 / (5 * t * t));
  assert_close(issim_dist_log_sf(d, t), log_q, 1e-13);
  assert_close(issim_dist_log_cdf(d, -t), log_q, 1e-13);
  /* beyond where t^2 overflows: log(1 + t^2/3) = 2 log t - log 3 */
  assert_rel(issim_dist_log_pdf1(d, 1e200),
             log_k - 2 * (400 * log(10.0) - log(3.0)), 1e-14);
  issim_dist_free(d);

  /* Large df: the constant is log G((v+1)/2) - log G(v/2) - log(v pi)/2
   * = -log(2 pi)/2 - 1/(4v) + O(v^-3), from the asymptotic ratio of gamma
   * functions.  (A difference of two lngammas of size 1e11 would be off by
   * ~1e-5; GSL's own tdist_pdf is off by 6e-7 here.) */
  const double v = 1e10;
  d = MAKE("student-t", {"df", v});
  const double log_c = -0.5 * log(2 * M_PI) - 1 / (4 * v);
  assert_close(issim_dist_log_pdf1(d, 0), log_c, 1e-14);
  assert_close(issim_dist_log_pdf1(d, 3), log_c - (v + 1) / 2 * log1p(9 / v),
               1e-14);
  issim_dist_free(d);
}
END_TEST

START_TEST(test_closed_form_far_tails)
{
  issim_dist *d;
  d = MAKE("exponential", {"rate", 2});
  assert_rel(issim_dist_log_pdf1(d, 1e5), log(2.0) - 2e5, 1e-15);
  assert_rel(issim_dist_log_sf(d, 1e5), -2e5, 1e-15);
  /* P(X <= x) = 1 - e^(-2x) ~ 2x near 0 */
  assert_rel(issim_dist_log_cdf(d, 1e-20), log(2e-20), 1e-15);
  issim_dist_free(d);

  d = MAKE("laplace", {"location", 1}, {"scale", 2});
  assert_rel(issim_dist_log_cdf(d, -1999), -1000 - log(2.0), 1e-15);
  assert_rel(issim_dist_log_sf(d, 2001), -1000 - log(2.0), 1e-15);
  assert_rel(issim_dist_log_pdf1(d, 2001), -1000 - log(4.0), 1e-15);
  issim_dist_free(d);

  /* logistic: far out the density is e^-|z|/s and the tails e^-|z| */
  d = MAKE("logistic", {"location", 0}, {"scale", 0.5});
  assert_rel(issim_dist_log_pdf1(d, 500), -1000 - log(0.5), 1e-15);
  assert_rel(issim_dist_log_pdf1(d, -500), -1000 - log(0.5), 1e-15);
  assert_rel(issim_dist_log_sf(d, 500), -1000, 1e-15);
  assert_rel(issim_dist_log_cdf(d, -500), -1000, 1e-15);
  assert_close(issim_dist_log_cdf(d, 500), 0, 1e-300);
  issim_dist_free(d);

  /* cauchy: P(X > x) = atan(1/x)/pi ~ 1/(pi x) */
  d = MAKE("cauchy", {"location", 0}, {"scale", 1});
  assert_rel(issim_dist_log_sf(d, 1e300), -300 * log(10.0) - log(M_PI), 1e-15);
  assert_rel(issim_dist_log_cdf(d, -1e300), -300 * log(10.0) - log(M_PI),
             1e-15);
  assert_rel(issim_dist_log_pdf1(d, 1e200), -400 * log(10.0) - log(M_PI),
             1e-15);
  issim_dist_free(d);

  d = MAKE("weibull", {"shape", 3}, {"scale", 2});
  assert_rel(issim_dist_log_sf(d, 200), -1e6, 1e-15);
  /* P(X <= x) = 1 - exp(-(x/2)^3) ~ (x/2)^3, which underflows here */
  assert_rel(issim_dist_log_cdf(d, 2e-200), -600 * log(10.0), 1e-15);
  assert_rel(issim_dist_log_cdf(d, 2e-3), log(-expm1(-1e-9)), 1e-15);
  issim_dist_free(d);

  d = MAKE("pareto", {"shape", 3}, {"scale", 2});
  assert_rel(issim_dist_log_sf(d, 2e300), -900 * log(10.0), 1e-15);
  issim_dist_free(d);

  /* gumbel: log P(X > x) = log(1 - exp(-e^-z)) ~ -z for large z;
   * log P(X <= x) = -e^-z */
  d = MAKE("gumbel", {"location", 1}, {"scale", 2});
  assert_rel(issim_dist_log_sf(d, 1601), -800, 1e-15); /* e^-800 underflows */
  assert_rel(issim_dist_log_sf(d, 41), log(-expm1(-exp(-20.0))), 1e-15);
  assert_rel(issim_dist_log_cdf(d, -9), -exp(5.0), 1e-15);
  issim_dist_free(d);

  /* gamma(2): Q(x) = e^-x (1 + x) exactly */
  d = MAKE("gamma", {"shape", 2});
  assert_rel(issim_dist_log_sf(d, 500), -500 + log(501.0), 1e-13);
  issim_dist_free(d);

  /* uniform near its ends */
  d = MAKE("uniform", {"lower", 0}, {"upper", 4});
  assert_rel(issim_dist_log_cdf(d, 4e-300), log(1e-300), 1e-15);
  assert_rel(issim_dist_log_sf(d, 4 - 4 * DBL_EPSILON), log(DBL_EPSILON),
             1e-15);
  issim_dist_free(d);
}
END_TEST

/* ---- 3. tails against GSL's P and Q ---- */

/* GSL's P and Q are accurate to a few ulps, except those that form
 * 1 - (something near 1), which lose up to log10(1/p) digits: at the
 * probes (p >= 1e-3) that is at most 1e3 ulps, 2e-13.  Hence 1e-12 in the
 * log.  exp(log_sf) + exp(log_cdf) is a sum of two values each within a
 * few ulps: 1e-14 is 45 ulps of 1. */
START_TEST(test_tails_match_gsl)
{
  const dist_case *c = &cases[_i];
  issim_dist *d = make_case(c);
  for (size_t j = 0; j < NPROBES; j++) {
    const double x = c->ref->Pinv(probe_p[j], c->v);
    const double log_sf = issim_dist_log_sf(d, x);
    const double log_cdf = issim_dist_log_cdf(d, x);
    assert_close(log_sf, log(c->ref->Q(x, c->v)), 1e-12);
    assert_close(log_cdf, log(c->ref->P(x, c->v)), 1e-12);
    assert_close(exp(log_sf) + exp(log_cdf), 1, 1e-14);
  }
  issim_dist_free(d);
}
END_TEST

/* 1e-10 into each tail: the small side against GSL's own small side, and
 * the near-1 side, log(1 - 1e-10) ~ -1e-10, to relative precision: logging
 * a probability that has rounded to within 1e-16 of 1 would be off by 1e-6
 * relative there. */
START_TEST(test_tails_near_one)
{
  const dist_case *c = &cases[_i];
  issim_dist *d = make_case(c);
  const double x_lo = c->ref->Pinv(1e-10, c->v), x_hi = c->ref->Qinv(1e-10, c->v);
  const double p_lo = c->ref->P(x_lo, c->v), q_hi = c->ref->Q(x_hi, c->v);
  assert_rel(issim_dist_log_sf(d, x_hi), log(q_hi), 1e-12);
  assert_rel(issim_dist_log_cdf(d, x_hi), log1p(-q_hi), 1e-12);
  /* gsl_cdf_pareto_P forms 1 - (b/x)^a, 8e-10 relative off at P = 1e-10:
   * test_pareto_lower_tail checks that side against mpmath instead. */
  if (c->ref != &pareto_ref) {
    assert_rel(issim_dist_log_cdf(d, x_lo), log(p_lo), 1e-12);
    assert_rel(issim_dist_log_sf(d, x_lo), log1p(-p_lo), 1e-12);
  }
  issim_dist_free(d);
}
END_TEST

/* Near the scale, where x - scale is ~1e-10: reference values from mpmath
 * at 40 digits for these exact doubles (GSL's Pinv(1e-10) points). */
START_TEST(test_pareto_lower_tail)
{
  issim_dist *d = MAKE("pareto", {"shape", 1.5}, {"scale", 1});
  assert_rel(issim_dist_log_cdf(d, 1.0000000000666667), -23.025850847283422604,
             1e-14);
  assert_rel(issim_dist_log_sf(d, 1.0000000000666667),
             -1.0000000827070376602e-10, 1e-14);
  issim_dist_free(d);
  d = MAKE("pareto", {"shape", 5}, {"scale", 2});
  assert_rel(issim_dist_log_cdf(d, 2.00000000004), -23.025850847260089269,
             1e-14);
  assert_rel(issim_dist_log_sf(d, 2.00000000004), -1.0000000827303709974e-10,
             1e-14);
  issim_dist_free(d);
  /* a scale that is not a power of 2, where x / scale rounds (to about
   * 2e-5 relative in x / scale - 1 at this x) */
  d = MAKE("pareto", {"shape", 2}, {"scale", 3});
  assert_rel(issim_dist_log_cdf(d, 3.0000000000123), -25.526891933610413105,
             1e-14);
  assert_rel(issim_dist_log_sf(d, 3.0000000000123), -8.1999592301279796872e-12,
             1e-14);
  issim_dist_free(d);
}
END_TEST

/* ---- 3b. far tails: student-t, gamma, chi-squared, beta below 1e-280 ----
 * There dist.c leaves GSL's P and Q (which underflow below ~1e-308) for its
 * own log-space series and continued fractions. */

/* Where the two meet: GSL's small side is still a normal number at 1e-300,
 * accurate to a few ulps, so on either side of 1e-280 dist.c must agree with
 * its log.  (The cases avoid where GSL is itself off: tdist_Q is 0 for
 * t > ~1e154 whatever the df, and for df ~ 1000 it is 5e-13 off in the log
 * near 1e-280.) */
typedef struct {
  dist_case c;
  bool upper;    /* the small side is P(X > x), else P(X <= x) */
  double lo, hi; /* bracket the x where GSL's small side is 1e-280 */
} switch_case;

#define KEYS_CHISQ {"df"}
#define KEYS_GAMMA {"shape", "scale"}
#define KEYS_BETA {"alpha", "beta"}
#define KEYS_T {"df", "location", "scale"}
static const switch_case switch_cases[] = {
  {{"chi-squared", 1, KEYS_CHISQ, {1}, &chisq_ref, true}, true, 1, 1e4},
  {{"chi-squared", 1, KEYS_CHISQ, {10}, &chisq_ref, true}, true, 1, 1e4},
  {{"chi-squared", 1, KEYS_CHISQ, {4}, &chisq_ref, true}, false, 1e-300, 1},
  {{"gamma", 2, KEYS_GAMMA, {2, 1.5}, &gamma_ref, true}, true, 1, 1e4},
  {{"gamma", 2, KEYS_GAMMA, {2, 1.5}, &gamma_ref, true}, false, 1e-300, 1},
  {{"gamma", 2, KEYS_GAMMA, {0.5, 1}, &gamma_ref, true}, true, 1, 1e4},
  {{"gamma", 2, {"shape", "rate"}, {3, 4}, &gamma_rate_ref, true}, true, 1,
   1e4},
  {{"gamma", 2, KEYS_GAMMA, {100, 1}, &gamma_ref, true}, true, 100, 1e4},
  {{"gamma", 2, KEYS_GAMMA, {100, 1}, &gamma_ref, true}, false, 1e-300, 100},
  {{"beta", 2, KEYS_BETA, {2, 3}, &beta_ref, true}, false, 1e-300, 0.4},
  {{"beta", 2, KEYS_BETA, {5, 1}, &beta_ref, true}, false, 1e-300, 0.5},
  {{"beta", 2, KEYS_BETA, {2, 50}, &beta_ref, true}, true, 0.5, 1},
  {{"beta", 2, KEYS_BETA, {100, 100}, &beta_ref, true}, false, 1e-300, 0.5},
  {{"beta", 2, KEYS_BETA, {100, 100}, &beta_ref, true}, true, 0.5, 1},
  {{"student-t", 3, KEYS_T, {3, 0, 1}, &student_t_ref, true}, true, 1, 1e300},
  {{"student-t", 3, KEYS_T, {10, 1, 2}, &student_t_ref, true}, true, 2,
   1e300},
  {{"student-t", 3, KEYS_T, {30, -1, 0.5}, &student_t_ref, true}, true, 1,
   1e300},
  {{"student-t", 3, KEYS_T, {200, 0, 1}, &student_t_ref, true}, true, 1,
   1e300},
};
#undef KEYS_CHISQ
#undef KEYS_GAMMA
#undef KEYS_BETA
#undef KEYS_T
enum { NSWITCH_CASES = sizeof switch_cases / sizeof switch_cases[0] };

/* GSL's small side of case s at x. */
static double gsl_small_side(const switch_case *s, double x)
{
  return s->upper ? s->c.ref->Q(x, s->c.v) : s->c.ref->P(x, s->c.v);
}

/* The x in [s->lo, s->hi] where GSL's small side is p, by bisection (in
 * log x across wide positive brackets, to reach 1e-56 or 1e93 in a few
 * hundred steps). */
static double gsl_small_side_at(const switch_case *s, double p)
{
  double lo = s->lo, hi = s->hi;
  for (int i = 0; i < 2000; i++) {
    const double mid =
        lo > 0 && hi > 4 * lo ? sqrt(lo) * sqrt(hi) : lo + 0.5 * (hi - lo);
    if (mid <= lo || mid >= hi)
      break;
    /* the small side falls from lo to hi (upper) or from hi to lo (lower) */
    if ((gsl_small_side(s, mid) > p) == s->upper)
      lo = mid;
    else
      hi = mid;
  }
  return lo + 0.5 * (hi - lo);
}

START_TEST(test_far_tail_switch)
{
  static const double probes[] = {1e-270, 1e-278, 3e-280, 3e-281,
                                  1e-282, 1e-290, 1e-300};
  const switch_case *s = &switch_cases[_i];
  issim_dist *d = make_case(&s->c);
  for (size_t j = 0; j < sizeof probes / sizeof probes[0]; j++) {
    const double x = gsl_small_side_at(s, probes[j]);
    const double p = gsl_small_side(s, x);
    ck_assert_msg(p > 1e-305 && p < 1e-260, "%s: x = %.17g, p = %g",
                  s->c.family, x, p);
    const double log_small =
        s->upper ? issim_dist_log_sf(d, x) : issim_dist_log_cdf(d, x);
    const double log_large =
        s->upper ? issim_dist_log_cdf(d, x) : issim_dist_log_sf(d, x);
    /* both are a few ulps off the log (observed: 5e-16 relative) */
    assert_rel(log_small, log(p), 1e-13);
    /* log(1 - p) = -p, to what 1e-13 relative in a log of ~700 leaves */
    assert_rel(log_large, -p, 1e-10);
  }
  issim_dist_free(d);
}
END_TEST

/* log(e^a + e^b) */
static double log_add(double a, double b)
{
  const double hi = fmax(a, b), lo = fmin(a, b);
  return hi == -INFINITY ? hi : hi + log1p(exp(lo - hi));
}

/* log Q(n, z) for an integer shape n: Q(n, z) = e^-z sum_{k<n} z^k/k!
 * (DLMF 8.4.10-11), summed in logs. */
static double log_gamma_q_integer(int n, double z)
{
  double sum = -INFINITY;
  for (int k = 0; k < n; k++)
    sum = log_add(sum, k * log(z) - lgamma(k + 1.0));
  return sum - z;
}

/* Far-tail values (1e-310, 1e-400, 1e-1000 and beyond) against closed forms
 * computed here in other ways.  Each is exact to a few ulps of the log, and
 * the tolerance 1e-13 relative leaves a margin of ~100. */
START_TEST(test_far_tail_closed_forms)
{
  issim_dist *d;

  /* chi-squared(1): P(X > x) = erfc(sqrt(x/2)); x = 2 s^2 makes the root
   * exact.  x = 1600 is where GSL's Q is 0. */
  d = MAKE("chi-squared", {"df", 1});
  assert_rel(issim_dist_log_sf(d, 2 * 27 * 27), gsl_sf_log_erfc(27), 1e-13);
  assert_rel(issim_dist_log_sf(d, 2 * 30 * 30), gsl_sf_log_erfc(30), 1e-13);
  assert_rel(issim_dist_log_sf(d, 2 * 48 * 48), gsl_sf_log_erfc(48), 1e-13);
  assert_rel(issim_dist_log_sf(d, 1600), gsl_sf_log_erfc(sqrt(800.0)), 1e-13);
  assert_close(issim_dist_log_cdf(d, 1600), 0, 1e-300);
  issim_dist_free(d);

  /* chi-squared(2) is exponential with mean 2: log P(X > x) = -x/2 and
   * P(X <= x) = 1 - e^(-x/2) = x/2 (1 - x/4 + ...) */
  d = MAKE("chi-squared", {"df", 2});
  assert_rel(issim_dist_log_sf(d, 1430), -715, 1e-13);
  assert_rel(issim_dist_log_sf(d, 1842), -921, 1e-13);
  assert_rel(issim_dist_log_sf(d, 4606), -2303, 1e-13);
  assert_rel(issim_dist_log_sf(d, 1e6), -5e5, 1e-13);
  assert_rel(issim_dist_log_cdf(d, 1e-300), log(5e-301), 1e-13);
  assert_rel(issim_dist_log_cdf(d, 2e-310), log(2e-310) - M_LN2, 1e-13);
  issim_dist_free(d);

  /* chi-squared(8) is gamma(4, 2): P(X <= x) = z^4/4! (1 + O(z)), z = x/2 */
  d = MAKE("chi-squared", {"df", 8});
  assert_rel(issim_dist_log_cdf(d, 2e-78), 4 * log(1e-78) - log(24.0), 1e-13);
  assert_rel(issim_dist_log_cdf(d, 2e-100), 4 * log(1e-100) - log(24.0),
             1e-13);
  assert_rel(issim_dist_log_cdf(d, 2e-250), 4 * log(1e-250) - log(24.0),
             1e-13);
  issim_dist_free(d);

  /* gamma with integer shape: the finite sum of DLMF 8.4.10-11 */
  d = MAKE("gamma", {"shape", 3}, {"scale", 2});
  assert_rel(issim_dist_log_sf(d, 1456), log_gamma_q_integer(3, 728), 1e-13);
  assert_rel(issim_dist_log_sf(d, 1880), log_gamma_q_integer(3, 940), 1e-13);
  assert_rel(issim_dist_log_sf(d, 4640), log_gamma_q_integer(3, 2320), 1e-13);
  issim_dist_free(d);
  d = MAKE("gamma", {"shape", 10}, {"rate", 2});
  assert_rel(issim_dist_log_sf(d, 380), log_gamma_q_integer(10, 760), 1e-13);
  assert_rel(issim_dist_log_sf(d, 490), log_gamma_q_integer(10, 980), 1e-13);
  assert_rel(issim_dist_log_sf(d, 1200), log_gamma_q_integer(10, 2400),
             1e-13);
  issim_dist_free(d);

  /* student-t(1) is the cauchy: P(T > t) = atan2(1, t)/pi */
  d = MAKE("student-t", {"df", 1});
  assert_rel(issim_dist_log_sf(d, 1e300), log(atan2(1, 1e300) / M_PI), 1e-13);
  assert_rel(issim_dist_log_sf(d, 1.5e308), log(atan2(1, 1.5e308) / M_PI),
             1e-13);
  assert_rel(issim_dist_log_cdf(d, -1e300), log(atan2(1, 1e300) / M_PI),
             1e-13);
  issim_dist_free(d);

  /* student-t(2): P(T > t) = (1 - t/s)/2 = 1/(s (s + t)) with
   * s = sqrt(2 + t^2) = t sqrt(1 + w), w = 2/t^2, so that
   * log P = -2 log t - log1p(w)/2 - log(1 + sqrt(1 + w)). */
  d = MAKE("student-t", {"df", 2});
  const double t2[] = {7e149, 1e155, 1e200, 1e300};
  for (size_t i = 0; i < sizeof t2 / sizeof t2[0]; i++) {
    const double w = 2 / (t2[i] * t2[i]);
    const double want =
        -2 * log(t2[i]) - 0.5 * log1p(w) - log(1 + sqrt(1 + w));
    assert_rel(issim_dist_log_sf(d, t2[i]), want, 1e-13);
    assert_rel(issim_dist_log_cdf(d, -t2[i]), want, 1e-13);
  }
  issim_dist_free(d);

  /* student-t(3), location 2, scale 5: P(T > t) = 6/(pi sqrt 3) t^-3
   * (1 - 18/(5 t^2) + ...), the correction below 1e-200 here */
  d = MAKE("student-t", {"df", 3}, {"location", 2}, {"scale", 5});
  const double log_k3 = log(6 / (M_PI * sqrt(3.0)));
  assert_rel(issim_dist_log_sf(d, 2 + 5e120), log_k3 - 3 * log(1e120), 1e-13);
  assert_rel(issim_dist_log_sf(d, 5e300), log_k3 - 3 * log(1e300), 1e-13);
  assert_rel(issim_dist_log_cdf(d, -5e200), log_k3 - 3 * log(1e200), 1e-13);
  issim_dist_free(d);

  /* beta(1, b): P(X > x) = (1 - x)^b, with 1 - x exact here */
  d = MAKE("beta", {"alpha", 1}, {"beta", 50});
  assert_rel(issim_dist_log_sf(d, 1 - ldexp(1, -21)), -50 * 21 * M_LN2, 1e-13);
  assert_rel(issim_dist_log_sf(d, 1 - ldexp(1, -27)), -50 * 27 * M_LN2, 1e-13);
  assert_close(issim_dist_log_cdf(d, 1 - ldexp(1, -27)), 0, 1e-300);
  issim_dist_free(d);
  d = MAKE("beta", {"alpha", 1}, {"beta", 100});
  assert_rel(issim_dist_log_sf(d, 1 - ldexp(1, -34)), -100 * 34 * M_LN2,
             1e-13);
  issim_dist_free(d);

  /* beta(a, 1): P(X <= x) = x^a */
  d = MAKE("beta", {"alpha", 3}, {"beta", 1});
  assert_rel(issim_dist_log_cdf(d, 1e-104), 3 * log(1e-104), 1e-13);
  assert_rel(issim_dist_log_cdf(d, 1e-134), 3 * log(1e-134), 1e-13);
  assert_rel(issim_dist_log_cdf(d, 1e-300), 3 * log(1e-300), 1e-13);
  issim_dist_free(d);

  /* beta(2, 3): P(X <= x) = sum_{j=2..4} C(4,j) x^j (1-x)^(4-j)
   * (DLMF 8.17.5) = x^2 (6 (1-x)^2 + 4 x (1-x) + x^2) */
  d = MAKE("beta", {"alpha", 2}, {"beta", 3});
  const double x23[] = {1e-160, 1e-200, 1e-300};
  for (size_t i = 0; i < sizeof x23 / sizeof x23[0]; i++) {
    const double x = x23[i], y = 1 - x;
    assert_rel(issim_dist_log_cdf(d, x),
               2 * log(x) + log(6 * y * y + 4 * x * y + x * x), 1e-13);
  }
  issim_dist_free(d);
}
END_TEST

/* Non-integer and large parameters, where the log-space prefactors go
 * through Stirling's ratio: reference values from mpmath at 50 digits for
 * these exact doubles (gammainc; the positive series z^a e^-z/Gamma(a+1)
 * 1F1(1; a+1; z); x^a (1-x)^b/(a B(a,b)) 2F1(a+b, 1; a+1; x)). */
START_TEST(test_far_tail_mpmath)
{
  issim_dist *d = MAKE("gamma", {"shape", 2.5});
  assert_rel(issim_dist_log_sf(d, 800), -790.25589086563786925, 1e-14);
  assert_rel(issim_dist_log_cdf(d, 1e-250), -1440.3166567236256266, 1e-14);
  issim_dist_free(d);
  d = MAKE("gamma", {"shape", 1e4});
  assert_rel(issim_dist_log_sf(d, 16000), -1304.9774429968925350, 1e-14);
  assert_rel(issim_dist_log_cdf(d, 6000), -1112.8644385362333355, 1e-14);
  issim_dist_free(d);
  /* 40 sd out: a log z - z - lgamma(a), terms of 1.7e9, would be off by
   * 1.5e-10 relative here without Stirling's ratio */
  d = MAKE("gamma", {"shape", 1e8}, {"scale", 3});
  assert_rel(issim_dist_log_sf(d, 3.012e8), -802.48149076305510269, 1e-14);
  assert_rel(issim_dist_log_cdf(d, 2.988e8), -806.74819340263551698, 1e-14);
  assert_rel(issim_dist_log_cdf(d, 1.5e8), -19314727.492126276396, 1e-14);
  issim_dist_free(d);

  d = MAKE("beta", {"alpha", 2.5}, {"beta", 0.7});
  assert_rel(issim_dist_log_cdf(d, 1e-130), -748.91659124478867898, 1e-14);
  issim_dist_free(d);
  d = MAKE("beta", {"alpha", 2.5}, {"beta", 40});
  assert_rel(issim_dist_log_sf(d, 1 - ldexp(1, -30)), -826.48186878811306685,
             1e-14);
  issim_dist_free(d);
  d = MAKE("beta", {"alpha", 1e6}, {"beta", 2e6});
  assert_rel(issim_dist_log_cdf(d, 0.3225), -805.69384931478332431, 1e-14);
  assert_rel(issim_dist_log_sf(d, 0.344), -764.68486752578198440, 1e-14);
  issim_dist_free(d);

  d = MAKE("student-t", {"df", 5.5});
  assert_rel(issim_dist_log_sf(d, 1e60), -756.98154920534874315, 1e-14);
  assert_rel(issim_dist_log_cdf(d, -1e60), -756.98154920534874315, 1e-14);
  issim_dist_free(d);
  d = MAKE("student-t", {"df", 1e6});
  assert_rel(issim_dist_log_sf(d, 37), -688.56178872603976514, 1e-14);
  issim_dist_free(d);
}
END_TEST

/* ---- 4. sampling ---- */

static double *draw(const issim_dist *d, unsigned long seed)
{
  gsl_rng *r = gsl_rng_alloc(gsl_rng_taus2);
  gsl_rng_set(r, seed);
  double *x = malloc(NSAMPLE * sizeof *x);
  ck_assert_ptr_nonnull(x);
  issim_dist_sample(d, r, NSAMPLE, x);
  gsl_rng_free(r);
  return x;
}

typedef struct {
  double mean, var, m4; /* sample mean, variance, 4th central moment */
} moments;

/* Compensated (Kahan) sum: a few ulps of the total, not n ulps, so a mean
 * of 2e5 equal values (uniform's log p) is not off by 1e-11 from rounding. */
static double kahan_sum(const double *x, size_t n)
{
  double sum = 0, carry = 0;
  for (size_t i = 0; i < n; i++) {
    const double y = x[i] - carry, t = sum + y;
    carry = (t - sum) - y;
    sum = t;
  }
  return sum;
}

static moments sample_moments(const double *x, size_t n)
{
  moments m = {0, 0, 0};
  m.mean = kahan_sum(x, n) / n;
  for (size_t i = 0; i < n; i++) {
    const double e = x[i] - m.mean, e2 = e * e;
    m.var += e2;
    m.m4 += e2 * e2;
  }
  m.var /= n - 1;
  m.m4 /= n;
  return m;
}

START_TEST(test_sample_moments_and_quartiles)
{
  const dist_case *c = &cases[_i];
  issim_dist *d = make_case(c);
  double *x = draw(d, 1000 + (unsigned long) _i);
  const moments m = sample_moments(x, NSAMPLE);
  const double mean = issim_dist_mean(d), var = issim_dist_variance(d);

  if (isfinite(var)) {
    ck_assert_msg(isfinite(mean), "%s: finite variance, mean %g", c->family,
                  mean);
    assert_close(m.mean, mean, 5 * sqrt(var / NSAMPLE));
  }
  /* Var(s^2) ~ (mu4 - sigma^4)/n, estimated from the sample; only where mu4
   * is finite (student-t df 3 and 1.5, cauchy, pareto 1.5 are skipped). */
  if (c->finite_fourth_moment)
    assert_close(m.var, var, 5 * sqrt((m.m4 - m.var * m.var) / NSAMPLE));

  /* The empirical CDF at GSL's quartiles is binomial(n, p)/n; this holds for
   * the heavy-tailed cases too. */
  const double quartile_p[] = {0.25, 0.5, 0.75};
  for (size_t j = 0; j < 3; j++) {
    const double p = quartile_p[j], q = c->ref->Pinv(p, c->v);
    size_t below = 0;
    for (size_t i = 0; i < NSAMPLE; i++)
      below += x[i] <= q;
    assert_close((double) below / NSAMPLE, p,
                 5 * sqrt(p * (1 - p) / NSAMPLE));
  }
  size_t outside = 0; /* counted, not asserted per draw: Check records each
                        assertion, which is slow under valgrind */
  for (size_t i = 0; i < NSAMPLE; i++)
    outside += !(x[i] >= d->lower && x[i] <= d->upper);
  ck_assert_msg(outside == 0, "%s: %zu draws outside the support", c->family,
                outside);
  free(x);
  issim_dist_free(d);
}
END_TEST

START_TEST(test_sample_is_reproducible)
{
  issim_dist *d = MAKE("gamma", {"shape", 2.5});
  double *a = draw(d, 7), *b = draw(d, 7);
  ck_assert(memcmp(a, b, NSAMPLE * sizeof *a) == 0);
  free(a);
  free(b);
  issim_dist_free(d);
}
END_TEST

START_TEST(test_special_moments)
{
  issim_dist *d;
  d = MAKE("cauchy", {"scale", 2});
  ck_assert(isnan(issim_dist_mean(d)) && isnan(issim_dist_variance(d)));
  issim_dist_free(d);
  d = MAKE("student-t", {"df", 1.5}, {"location", 3});
  ck_assert(issim_dist_mean(d) == 3 && issim_dist_variance(d) == INFINITY);
  issim_dist_free(d);
  d = MAKE("student-t", {"df", 1});
  ck_assert(isnan(issim_dist_mean(d)));
  issim_dist_free(d);
  d = MAKE("student-t", {"df", 4}, {"scale", 3});
  assert_rel(issim_dist_variance(d), 9 * 4 / 2.0, 1e-15);
  issim_dist_free(d);
  d = MAKE("pareto", {"shape", 1.5}, {"scale", 2});
  assert_rel(issim_dist_mean(d), 6, 1e-15);
  ck_assert(issim_dist_variance(d) == INFINITY);
  issim_dist_free(d);
  d = MAKE("pareto", {"shape", 0.8});
  ck_assert(issim_dist_mean(d) == INFINITY);
  issim_dist_free(d);
  d = MAKE("gamma", {"shape", 2}, {"rate", 4});
  assert_rel(issim_dist_mean(d), 0.5, 1e-15);
  assert_rel(issim_dist_variance(d), 0.125, 1e-15);
  issim_dist_free(d);
  /* weibull shape 1 is exponential; large shape must not cancel:
   * Var ~ (pi^2/6) scale^2 / k^2 as k -> inf */
  d = MAKE("weibull", {"shape", 1}, {"scale", 3});
  assert_rel(issim_dist_mean(d), 3, 1e-14);
  assert_rel(issim_dist_variance(d), 9, 1e-14);
  issim_dist_free(d);
  /* Var = G(1+e)^2 expm1(D) for e = 1/shape, with the series
   * log G(1+e) = -gamma e + zeta(2) e^2/2 - ..., so that
   * D = log G(1+2e) - 2 log G(1+e) = zeta(2) e^2 - 2 zeta(3) e^3 + O(e^4).
   * At e = 1e-4 the neglected terms are 1e-8 relative; GSL's lngamma near 1
   * is accurate to ~1e-16 absolute, so the naive difference of lngammas
   * would be off by ~1e-16/D ~ 1e-8 too. */
  d = MAKE("weibull", {"shape", 1e4});
  {
    const double e = 1e-4, zeta2 = M_PI * M_PI / 6, zeta3 = 1.2020569031595943;
    const double D = zeta2 * e * e - 2 * zeta3 * e * e * e +
                     3.5 * (M_PI * M_PI * M_PI * M_PI / 90) * e * e * e * e;
    const double lg1 = -M_EULER * e + zeta2 * e * e / 2 - zeta3 * e * e * e / 3;
    assert_rel(issim_dist_variance(d), exp(2 * lg1) * expm1(D), 1e-10);
  }
  issim_dist_free(d);
}
END_TEST

/* ---- moments and entropy by quadrature of GSL's density ----
 * The Monte Carlo checks cannot see an error below 5 standard errors
 * (~1e-2); adaptive quadrature at relative accuracy 1e-10 can.  Comparing at
 * 1e-8 leaves a factor 100 for the integrator's error estimate being only an
 * estimate. */

enum { QUAD_LIMIT = 1000 };
static const double QUAD_EPSREL = 1e-10, QUAD_COMPARE = 1e-8;

typedef struct {
  const dist_case *c;
  double center; /* moments: integrand (x - center)^power p(x) */
  int power;
  bool entropy; /* entropy: integrand -p(x) log p(x) */
} quad_args;

static double quad_integrand(double x, void *params)
{
  const quad_args *a = params;
  const double p = a->c->ref->pdf(x, a->c->v);
  if (a->entropy)
    return p > 0 ? -p * log(p) : 0;
  return p * gsl_pow_int(x - a->center, a->power);
}

/* The integral over the support, split at the median so that no half
 * integrates to ~0 (a relative tolerance would never be met) and each
 * half gets GSL's routine for its kind of interval. */
static double integrate(const dist_case *c, const issim_dist *d, quad_args a)
{
  gsl_integration_workspace *w = gsl_integration_workspace_alloc(QUAD_LIMIT);
  gsl_function f = {quad_integrand, &a};
  const double m = c->ref->Pinv(0.5, c->v);
  double left, right, err_left, err_right;
  const int s_left =
      isfinite(d->lower)
          ? gsl_integration_qags(&f, d->lower, m, 0, QUAD_EPSREL, QUAD_LIMIT,
                                 w, &left, &err_left)
          : gsl_integration_qagil(&f, m, 0, QUAD_EPSREL, QUAD_LIMIT, w, &left,
                                  &err_left);
  const int s_right =
      isfinite(d->upper)
          ? gsl_integration_qags(&f, m, d->upper, 0, QUAD_EPSREL, QUAD_LIMIT,
                                 w, &right, &err_right)
          : gsl_integration_qagiu(&f, m, 0, QUAD_EPSREL, QUAD_LIMIT, w, &right,
                                  &err_right);
  gsl_integration_workspace_free(w);
  ck_assert_msg(s_left == GSL_SUCCESS && s_right == GSL_SUCCESS,
                "%s: quadrature failed (%s, %s)", c->family,
                gsl_strerror(s_left), gsl_strerror(s_right));
  return left + right;
}

START_TEST(test_moments_by_quadrature)
{
  const dist_case *c = &cases[_i];
  issim_dist *d = make_case(c);
  const double mean = issim_dist_mean(d), var = issim_dist_variance(d);
  /* a scale for the mean, which may be 0: its distance from 0 plus the IQR */
  const double iqr = c->ref->Qinv(0.25, c->v) - c->ref->Pinv(0.25, c->v);
  const double median = c->ref->Pinv(0.5, c->v);
  assert_close(integrate(c, d, (quad_args){c, 0, 0, false}), 1, QUAD_COMPARE);
  if (isfinite(mean)) {
    const double q_mean =
        median + integrate(c, d, (quad_args){c, median, 1, false});
    assert_close(mean, q_mean, QUAD_COMPARE * (fabs(q_mean) + iqr));
    if (isfinite(var))
      assert_rel(var, integrate(c, d, (quad_args){c, q_mean, 2, false}),
                 QUAD_COMPARE);
  }
  issim_dist_free(d);
}
END_TEST

START_TEST(test_entropy_by_quadrature)
{
  const dist_case *c = &cases[_i];
  issim_dist *d = make_case(c);
  const double h = integrate(c, d, (quad_args){c, 0, 0, true});
  assert_close(issim_dist_entropy(d), h, QUAD_COMPARE * fmax(1, fabs(h)));
  issim_dist_free(d);
}
END_TEST

/* ---- 5. entropy ---- */

/* The Monte Carlo estimate -mean(log p(X)) has standard error
 * sd(log p)/sqrt n; 8 ulps more cover the rounding of the compensated mean
 * where log p is constant (uniform, sd 0). */
START_TEST(test_entropy_monte_carlo)
{
  const dist_case *c = &cases[_i];
  issim_dist *d = make_case(c);
  double *x = draw(d, 5000 + (unsigned long) _i);
  double *lp = malloc(NSAMPLE * sizeof *lp);
  ck_assert_ptr_nonnull(lp);
  issim_dist_log_pdf(d, NSAMPLE, x, lp);
  const moments m = sample_moments(lp, NSAMPLE);
  ck_assert_msg(isfinite(m.mean), "%s: log p(X) not finite", c->family);
  assert_close(issim_dist_entropy(d), -m.mean,
               5 * sqrt(m.var / NSAMPLE) + 8 * DBL_EPSILON * fabs(m.mean));
  free(lp);
  free(x);
  issim_dist_free(d);
}
END_TEST

START_TEST(test_entropy_textbook)
{
  issim_dist *d;
  const double tol = 4 * DBL_EPSILON;
  d = issim_dist_alloc_normal(5, 2, NULL);
  assert_close(issim_dist_entropy(d), 0.5 * log(2 * M_PI * M_E * 4), tol * 3);
  issim_dist_free(d);
  d = MAKE("exponential", {"rate", 2.5}, {"location", 7});
  assert_close(issim_dist_entropy(d), 1 - log(2.5), tol);
  issim_dist_free(d);
  d = MAKE("uniform", {"lower", -3}, {"upper", 5});
  assert_close(issim_dist_entropy(d), log(8.0), tol * 3);
  issim_dist_free(d);
  /* chi-squared(2) is exponential with rate 1/2 */
  d = MAKE("chi-squared", {"df", 2});
  assert_close(issim_dist_entropy(d), 1 + log(2.0), tol * 3);
  issim_dist_free(d);
}
END_TEST

/* ---- 6. errors ---- */

static void expect_error(issim_dist *d, const issim_error *err,
                         const char *key, const char *message)
{
  ck_assert_ptr_null(d);
  ck_assert_int_eq(err->code, ISSIM_EINVAL);
  ck_assert_str_eq(err->key, key);
  if (message != NULL)
    ck_assert_str_eq(err->message, message);
}

/* Allocates the family from pairs and expects the error key and message. */
#define EXPECT_ERROR(family, key, message, ...)                                \
  do {                                                                         \
    issim_error err_;                                                          \
    issim_error_clear(&err_);                                                  \
    expect_error(MAKE_OR_ERR(family, &err_, __VA_ARGS__), &err_, key,          \
                 message);                                                     \
  } while (0)

START_TEST(test_error_messages)
{
  EXPECT_ERROR("gauss", "",
               "unknown distribution 'gauss' (known: normal, student-t, "
               "exponential, gamma, lognormal, laplace, logistic, cauchy, "
               "weibull, pareto, gumbel, uniform, beta, chi-squared, "
               "truncated-normal, gev, triangular)",
               {"mean", 0});
  EXPECT_ERROR("normal", "mu", "unknown key 'mu' for normal (known: mean, sd)",
               {"mu", 0});
  EXPECT_ERROR("gamma", "mean",
               "unknown key 'mean' for gamma (known: shape, scale, rate)",
               {"shape", 1}, {"mean", 0});
  EXPECT_ERROR("normal", "sd", "key 'sd' given twice", {"sd", 1}, {"sd", 2});
  EXPECT_ERROR("normal", "sd", "sd must be > 0 (got -1)", {"sd", -1});
  EXPECT_ERROR("normal", "sd", "sd must be > 0 (got 0)", {"sd", 0});
  EXPECT_ERROR("student-t", "df", "df must be > 0 (got 0)", {"df", 0});
  EXPECT_ERROR("student-t", "df", "df must be > 0 (got -3)", {"df", -3});
  EXPECT_ERROR("chi-squared", "df", "df must be > 0 (got -0.5)", {"df", -0.5});
  EXPECT_ERROR("normal", "sd", "sd must be finite (got nan)", {"sd", NAN});
  EXPECT_ERROR("normal", "mean", "mean must be finite (got inf)",
               {"mean", INFINITY});
  EXPECT_ERROR("normal", "mean", "mean must be finite (got -inf)",
               {"mean", -INFINITY});
  EXPECT_ERROR("uniform", "upper",
               "lower must be < upper (got lower=3, upper=1)", {"lower", 3},
               {"upper", 1});
  EXPECT_ERROR("uniform", "upper",
               "lower must be < upper (got lower=2, upper=2)", {"lower", 2},
               {"upper", 2});
  EXPECT_ERROR("uniform", "upper",
               "lower must be < upper (got lower=1.5, upper=1)",
               {"lower", 1.5}); /* the default upper is 1 */
  EXPECT_ERROR("gamma", "rate",
               "give scale or rate for gamma, not both (got scale=2, rate=0.5)",
               {"shape", 1}, {"scale", 2}, {"rate", 0.5});
  EXPECT_ERROR("gamma", "rate",
               "give scale or rate for gamma, not both (got scale=2, rate=0.5)",
               {"rate", 0.5}, {"shape", 1}, {"scale", 2});
  EXPECT_ERROR("gamma", "rate", "rate must be > 0 (got -2)", {"shape", 1},
               {"rate", -2});
  EXPECT_ERROR("gamma", "rate", NULL, {"shape", 1}, {"rate", 1e-310});
  EXPECT_ERROR("beta", "beta", "missing required key 'beta' for beta",
               {"alpha", 2});
  EXPECT_ERROR("normal", "", "unknown key '(null)' for normal (known: mean, sd)",
               {NULL, 1});

  /* missing keys with no pairs at all */
  issim_error err;
  issim_error_clear(&err);
  expect_error(issim_dist_alloc("student-t", 0, NULL, NULL, &err), &err, "df",
               "missing required key 'df' for student-t");
  issim_error_clear(&err);
  expect_error(issim_dist_alloc(NULL, 0, NULL, NULL, &err), &err, "", NULL);
  /* a NULL err is allowed */
  ck_assert_ptr_null(issim_dist_alloc("gauss", 0, NULL, NULL, NULL));
  ck_assert_ptr_null(issim_dist_alloc_normal(0, -1, NULL));
}
END_TEST

/* Every required key, every key that must be positive, every key finite. */
START_TEST(test_error_every_key)
{
  static const struct {
    const char *family, *key;
  } required[] = {{"student-t", "df"}, {"gamma", "shape"},
                  {"weibull", "shape"}, {"pareto", "shape"},
                  {"beta", "alpha"}, {"chi-squared", "df"}},
    positive[] = {{"normal", "sd"},      {"student-t", "df"},
                  {"student-t", "scale"}, {"exponential", "rate"},
                  {"gamma", "shape"},    {"gamma", "scale"},
                  {"gamma", "rate"},     {"lognormal", "sdlog"},
                  {"laplace", "scale"},  {"logistic", "scale"},
                  {"cauchy", "scale"},   {"weibull", "shape"},
                  {"weibull", "scale"},  {"pareto", "shape"},
                  {"pareto", "scale"},   {"gumbel", "scale"},
                  {"beta", "alpha"},     {"beta", "beta"},
                  {"chi-squared", "df"}};
  char want[256];
  issim_error err;

  for (size_t i = 0; i < sizeof required / sizeof required[0]; i++) {
    issim_error_clear(&err);
    snprintf(want, sizeof want, "missing required key '%s' for %s",
             required[i].key, required[i].family);
    expect_error(issim_dist_alloc(required[i].family, 0, NULL, NULL, &err),
                 &err, required[i].key, want);
  }
  for (size_t i = 0; i < sizeof positive / sizeof positive[0]; i++) {
    const char *key = positive[i].key;
    const double bad[] = {0, -1, -DBL_MIN};
    const char *shown[] = {"0", "-1", "-2.22507e-308"};
    for (size_t j = 0; j < 3; j++) {
      issim_error_clear(&err);
      snprintf(want, sizeof want, "%s must be > 0 (got %s)", key, shown[j]);
      expect_error(issim_dist_alloc(positive[i].family, 1, &key, &bad[j], &err),
                   &err, key, want);
    }
  }
  for (size_t f = 0; f < issim_dist_family_count(); f++) {
    const char *family = issim_dist_family_name(f);
    const char *const *keys = issim_dist_family_keys(family);
    for (size_t k = 0; keys[k] != NULL; k++) {
      if (issim_dist_key_may_be_infinite(family, keys[k]))
        continue; /* check_dist_engineering.c */
      const double bad[] = {NAN, INFINITY, -INFINITY};
      const char *shown[] = {"nan", "inf", "-inf"};
      for (size_t j = 0; j < 3; j++) {
        issim_error_clear(&err);
        snprintf(want, sizeof want, "%s must be finite (got %s)", keys[k],
                 shown[j]);
        expect_error(issim_dist_alloc(family, 1, &keys[k], &bad[j], &err),
                     &err, keys[k], want);
      }
    }
  }
}
END_TEST

/* ---- 7. names, describe, clone ---- */

START_TEST(test_families)
{
  static const char *const names[] = {
    "normal",  "student-t", "exponential", "gamma",   "lognormal",
    "laplace", "logistic",  "cauchy",      "weibull", "pareto",
    "gumbel",  "uniform",   "beta",        "chi-squared", "truncated-normal",
    "gev",     "triangular"};
  ck_assert_uint_eq(issim_dist_family_count(), 17);
  for (size_t i = 0; i < 17; i++)
    ck_assert_str_eq(issim_dist_family_name(i), names[i]);
  ck_assert_ptr_null(issim_dist_family_name(17));

  const char *const *keys = issim_dist_family_keys("gamma");
  ck_assert_ptr_nonnull(keys);
  ck_assert_str_eq(keys[0], "shape");
  ck_assert_str_eq(keys[1], "scale");
  ck_assert_str_eq(keys[2], "rate");
  ck_assert_ptr_null(keys[3]);
  keys = issim_dist_family_keys("student-t");
  ck_assert_str_eq(keys[0], "df");
  ck_assert_str_eq(keys[1], "location");
  ck_assert_str_eq(keys[2], "scale");
  ck_assert_ptr_null(keys[3]);
  ck_assert_ptr_null(issim_dist_family_keys("gauss"));
  ck_assert_ptr_null(issim_dist_family_keys(NULL));

  issim_dist *d = MAKE("chi-squared", {"df", 3});
  ck_assert_str_eq(issim_dist_name(d), "chi-squared");
  ck_assert_int_eq(d->kind, ISSIM_DIST_CHI_SQUARED);
  issim_dist_free(d);
  issim_dist_free(NULL);
}
END_TEST

static void expect_description(const issim_dist *d, const char *want)
{
  char buf[128];
  ck_assert_int_eq(issim_dist_describe(d, buf, sizeof buf), (int) strlen(want));
  ck_assert_str_eq(buf, want);
}

START_TEST(test_describe)
{
  issim_dist *d = issim_dist_alloc_normal(0, 1, NULL);
  expect_description(d, "normal(mean=0, sd=1)");
  /* truncation follows snprintf */
  char small[8];
  ck_assert_int_eq(issim_dist_describe(d, small, sizeof small), 20);
  ck_assert_str_eq(small, "normal(");
  ck_assert_int_eq(issim_dist_describe(d, NULL, 0), 20);
  issim_dist_free(d);

  d = MAKE("gamma", {"scale", 1.5}, {"shape", 2});
  expect_description(d, "gamma(shape=2, scale=1.5)");
  issim_dist_free(d);
  d = MAKE("gamma", {"shape", 2}, {"rate", 4});
  expect_description(d, "gamma(shape=2, scale=0.25)");
  issim_dist_free(d);
  d = MAKE("student-t", {"df", 3});
  expect_description(d, "student-t(df=3, location=0, scale=1)");
  issim_dist_free(d);
  d = MAKE("uniform", {"upper", 1e-3}, {"lower", -1.0 / 3});
  expect_description(d, "uniform(lower=-0.3333333333, upper=0.001)");
  issim_dist_free(d);
}
END_TEST

START_TEST(test_clone)
{
  const dist_case *c = &cases[_i];
  issim_dist *d = make_case(c);
  issim_dist *copy = issim_dist_clone(d);
  ck_assert_ptr_nonnull(copy);
  ck_assert_ptr_ne(copy, d);
  ck_assert_int_eq(copy->kind, d->kind);
  for (size_t k = 0; k < ISSIM_DIST_MAX_PARAMS; k++) {
    ck_assert(copy->param[k] == d->param[k]);
    ck_assert(copy->c[k] == d->c[k]);
  }
  ck_assert(copy->lower == d->lower && copy->upper == d->upper);
  char a[128], b[128];
  issim_dist_describe(d, a, sizeof a);
  issim_dist_free(d); /* the copy owns nothing of the original */
  issim_dist_describe(copy, b, sizeof b);
  ck_assert_str_eq(a, b);
  issim_dist_free(copy);
}
END_TEST


/* ---- extreme degrees of freedom (issue 14, item 6.1) ----
 * A student-t with df = 0.01 puts about 1e-3 of its mass beyond 1e300: the
 * log-density must stay finite wherever x is, and the sampler must not turn
 * finite draws into infinities (both made the log-weights NaN). */

/* log of the t(df) density at x, for x so large that (1 + x^2/df) = x^2/df
 * to double precision: log C + (df+1)/2 (log df - 2 log x), with C from
 * lgamma (not from dist.c's lnbeta). */
static double student_t_log_pdf_far(double df, double log_abs_x)
{
  double log_c = lgamma(0.5 * (df + 1)) - lgamma(0.5 * df) - 0.5 * log(df * M_PI);
  return log_c + 0.5 * (df + 1) * (log(df) - 2 * log_abs_x);
}

START_TEST(test_log_pdf_beyond_overflow)
{
  issim_error err;
  issim_dist *t = make("student-t", 1, (kv[]){{"df", 0.01}}, &err);
  ck_assert_ptr_nonnull(t);
  /* x / sqrt(df) = 10 x overflows for x > 1.8e307 */
  const double xs[] = {1e300, 1e307, 1e308, DBL_MAX, -1e308, -DBL_MAX};
  for (size_t i = 0; i < sizeof xs / sizeof xs[0]; i++)
    assert_rel(issim_dist_log_pdf1(t, xs[i]), student_t_log_pdf_far(0.01, log(fabs(xs[i]))), 1e-13);
  issim_dist_free(t);
  /* scale 0.1: z = x / 0.1 overflows too; p(x) = f(x / s) / s */
  t = make("student-t", 3, (kv[]){{"df", 0.5}, {"location", 0}, {"scale", 0.1}}, &err);
  ck_assert_ptr_nonnull(t);
  assert_rel(issim_dist_log_pdf1(t, 1e308), student_t_log_pdf_far(0.5, log(1e308) - log(0.1)) + log(10.0),
             1e-13);
  issim_dist_free(t);
  issim_dist *c = make("cauchy", 2, (kv[]){{"location", 0}, {"scale", 0.1}}, &err);
  ck_assert_ptr_nonnull(c);
  /* log(1 / (pi s (1 + (x/s)^2))) = log s - log pi - 2 log x for huge x */
  assert_rel(issim_dist_log_pdf1(c, 1e308), log(0.1) - log(M_PI) - 2 * log(1e308), 1e-13);
  assert_rel(issim_dist_log_pdf1(c, -DBL_MAX), log(0.1) - log(M_PI) - 2 * log(DBL_MAX), 1e-13);
  issim_dist_free(c);
}
END_TEST

/* GSL's t sampler for df <= 2 divides a normal by sqrt(chi-squared / df); for
 * a small df the chi-squared underflows to 0 long before the draw itself
 * leaves the doubles, and the draw comes back infinite. */
START_TEST(test_student_t_small_df_draws)
{
  const double df = 0.01;
  const size_t n = 200000;
  issim_error err;
  issim_dist *t = make("student-t", 1, (kv[]){{"df", df}}, &err);
  ck_assert_ptr_nonnull(t);
  gsl_rng *r = gsl_rng_alloc(gsl_rng_taus2);
  gsl_rng_set(r, 7);
  double *x = malloc(n * sizeof *x);
  ck_assert_ptr_nonnull(x);
  issim_dist_sample(t, r, n, x);
  size_t infinite = 0, beyond = 0, nan = 0;
  const double far = 1e200;
  for (size_t i = 0; i < n; i++) {
    nan += isnan(x[i]) != 0;
    infinite += isinf(x[i]) != 0;
    beyond += fabs(x[i]) > far;
  }
  /* P(|T| > x) = 2 C df^((df+1)/2) x^-df / df for x this large */
  double log_c = lgamma(0.5 * (df + 1)) - lgamma(0.5 * df) - 0.5 * log(df * M_PI);
  double p_inf = 2 * exp(log_c + 0.5 * (df + 1) * log(df) - df * log(DBL_MAX)) / df;
  double p_far = 2 * exp(log_c + 0.5 * (df + 1) * log(df) - df * log(far)) / df;
  double sd_inf = sqrt(n * p_inf * (1 - p_inf)), sd_far = sqrt(n * p_far * (1 - p_far));
  ck_assert_uint_eq(nan, 0);
  ck_assert_msg(fabs((double)infinite - n * p_inf) <= 5 * sd_inf,
                "%zu infinite draws, expected %.1f +- %.1f", infinite, n * p_inf, sd_inf);
  ck_assert_msg(fabs((double)beyond - n * p_far) <= 5 * sd_far,
                "%zu draws beyond 1e200, expected %.1f +- %.1f", beyond, n * p_far, sd_far);
  free(x);
  gsl_rng_free(r);
  issim_dist_free(t);
}
END_TEST

/* The small-df path must give GSL's own draws wherever GSL's are finite:
 * the shipped scenarios' outputs do not move. */
START_TEST(test_student_t_draws_match_gsl)
{
  const double dfs[] = {0.3, 1, 1.5, 2, 3, 10};
  const size_t n = 20000;
  for (size_t k = 0; k < sizeof dfs / sizeof dfs[0]; k++) {
    issim_error err;
    issim_dist *t = make("student-t", 3, (kv[]){{"df", dfs[k]}, {"location", 2}, {"scale", 3}},
                         &err);
    ck_assert_ptr_nonnull(t);
    gsl_rng *r1 = gsl_rng_alloc(gsl_rng_taus2), *r2 = gsl_rng_alloc(gsl_rng_taus2);
    gsl_rng_set(r1, 11);
    gsl_rng_set(r2, 11);
    double *x = malloc(n * sizeof *x);
    ck_assert_ptr_nonnull(x);
    issim_dist_sample(t, r1, n, x);
    for (size_t i = 0; i < n; i++) {
      double y = 2 + 3 * gsl_ran_tdist(r2, dfs[k]);
      if (isfinite(y))
        ck_assert_msg(x[i] == y, "df %g draw %zu: %.17g, GSL %.17g", dfs[k], i, x[i], y);
    }
    free(x);
    gsl_rng_free(r1);
    gsl_rng_free(r2);
    issim_dist_free(t);
  }
}
END_TEST

static Suite *dist_suite(void)
{
  Suite *s = suite_create("dist");
  TCase *tc;

  tc = tcase_create("log_pdf");
  tcase_add_loop_test(tc, test_log_pdf_matches_gsl, 0, NCASES);
  tcase_add_loop_test(tc, test_log_pdf_vector_matches_scalar, 0, NCASES);
  tcase_add_loop_test(tc, test_outside_support, 0, NCASES);
  tcase_add_test(tc, test_support_fields);
  tcase_add_test(tc, test_log_pdf_at_boundary);
  tcase_add_test(tc, test_log_pdf_beyond_overflow);
  suite_add_tcase(s, tc);

  tc = tcase_create("tails");
  tcase_add_test(tc, test_normal_far_tail);
  tcase_add_test(tc, test_student_t_far_tail);
  tcase_add_test(tc, test_closed_form_far_tails);
  tcase_add_loop_test(tc, test_tails_match_gsl, 0, NCASES);
  tcase_add_loop_test(tc, test_tails_near_one, 0, NCASES);
  tcase_add_test(tc, test_pareto_lower_tail);
  tcase_add_loop_test(tc, test_far_tail_switch, 0, NSWITCH_CASES);
  tcase_add_test(tc, test_far_tail_closed_forms);
  tcase_add_test(tc, test_far_tail_mpmath);
  suite_add_tcase(s, tc);

  tc = tcase_create("sampling");
  tcase_set_timeout(tc, 60);
  tcase_add_loop_test(tc, test_sample_moments_and_quartiles, 0, NCASES);
  tcase_add_test(tc, test_sample_is_reproducible);
  tcase_add_test(tc, test_student_t_small_df_draws);
  tcase_add_test(tc, test_student_t_draws_match_gsl);
  tcase_add_loop_test(tc, test_moments_by_quadrature, 0, NCASES);
  tcase_add_test(tc, test_special_moments);
  suite_add_tcase(s, tc);

  tc = tcase_create("entropy");
  tcase_set_timeout(tc, 60);
  tcase_add_loop_test(tc, test_entropy_monte_carlo, 0, NCASES);
  tcase_add_test(tc, test_entropy_textbook);
  tcase_add_loop_test(tc, test_entropy_by_quadrature, 0, NCASES);
  suite_add_tcase(s, tc);

  tc = tcase_create("errors");
  tcase_add_test(tc, test_error_messages);
  tcase_add_test(tc, test_error_every_key);
  suite_add_tcase(s, tc);

  tc = tcase_create("api");
  tcase_add_test(tc, test_families);
  tcase_add_test(tc, test_describe);
  tcase_add_loop_test(tc, test_clone, 0, NCASES);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  /* GSL failures (e.g. a quadrature that does not converge) come back as
   * status codes that the tests check, rather than aborting the run. */
  gsl_set_error_handler_off();
  return run_suite(dist_suite());
}
