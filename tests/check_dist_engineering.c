/* check_dist_engineering.c: tests of dist_engineering.c, the families of
 * design codes (truncated-normal, gev, triangular, the lognormal by the
 * mean and sd or cov of X), against independent values: GSL's normal and
 * Weibull functions (a gev of shape < 0 is a reflected Weibull, 1/(X - end)
 * of a Frechet is a Weibull), closed forms written here, CQUAD quadrature of
 * the density, asymptotic series in the far tails, and Monte Carlo moments
 * within 5 of their standard errors (fixed seeds). */
#include <check.h>
#include <float.h>
#include <math.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_math.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "copula.h"
#include "dist.h"
#include "check_main.h"
#include "check_util.h"

typedef struct {
  const char *family;
  size_t n;
  const char *keys[4];
  double v[4];
} spec;

static issim_dist *make(const spec *s)
{
  issim_error err;
  issim_error_clear(&err);
  issim_dist *d = issim_dist_alloc(s->family, s->n, s->keys, s->v, &err);
  ck_assert_msg(d != NULL, "%s: %s", s->family, err.message);
  return d;
}

/* The cases every generic test runs on. */
static const spec CASES[] = {
  {"truncated-normal", 4, {"mean", "sd", "lower", "upper"}, {1, 2, -0.5, 4}},
  {"truncated-normal", 3, {"mean", "sd", "lower"}, {1, 2, 0}},
  {"truncated-normal", 3, {"mean", "sd", "upper"}, {0, 1, -3}},
  {"truncated-normal", 4, {"mean", "sd", "lower", "upper"}, {0, 1, 6, 6.5}},
  {"gev", 3, {"location", "scale", "shape"}, {1, 2, 0.2}},
  {"gev", 3, {"location", "scale", "shape"}, {1, 2, 0}},
  {"gev", 3, {"location", "scale", "shape"}, {-1, 0.5, -0.3}},
  {"gev", 3, {"location", "scale", "shape"}, {0, 1, 1e-13}},
  {"triangular", 3, {"lower", "mode", "upper"}, {-1, 0.5, 3}},
  {"triangular", 3, {"lower", "mode", "upper"}, {0, 0, 2}},
  {"triangular", 3, {"lower", "mode", "upper"}, {0, 2, 2}},
  {"lognormal", 2, {"mean", "sd"}, {10, 2}},
  {"lognormal", 2, {"mean", "cov"}, {3, 1.5}},
};
#define NCASES ((int)(sizeof CASES / sizeof *CASES))

/* ---- exact values written independently ---- */

/* The truncated normal from GSL's normal: density and both tails. */
static void truncated_exact(const issim_dist *d, double x, double *pdf, double *cdf, double *sf)
{
  const double m = d->param[0], s = d->param[1], a = d->param[2], b = d->param[3];
  if (a > m) { /* in the upper tail: from GSL's Q, which keeps its digits there */
    const double qa = gsl_cdf_gaussian_Q(a - m, s), qb = gsl_cdf_gaussian_Q(b - m, s);
    const double z = qa - qb;
    *pdf = gsl_ran_gaussian_pdf(x - m, s) / z;
    *sf = (gsl_cdf_gaussian_Q(x - m, s) - qb) / z;
    *cdf = (qa - gsl_cdf_gaussian_Q(x - m, s)) / z;
    return;
  }
  const double pa = gsl_cdf_gaussian_P(a - m, s), pb = gsl_cdf_gaussian_P(b - m, s);
  const double z = pb - pa;
  *pdf = gsl_ran_gaussian_pdf(x - m, s) / z;
  *cdf = (gsl_cdf_gaussian_P(x - m, s) - pa) / z;
  *sf = (pb - gsl_cdf_gaussian_P(x - m, s)) / z;
}

/* The gev: shape < 0 through GSL's Weibull of end - x; shape > 0 through
 * the Weibull of 1/(x - end); shape 0 the Gumbel written out. */
static void gev_exact(const issim_dist *d, double x, double *pdf, double *cdf, double *sf)
{
  const double mu = d->param[0], sg = d->param[1], xi = d->param[2];
  if (fabs(xi) < 1e-6) {
    const double z = (x - mu) / sg;
    *cdf = exp(-exp(-z));
    *sf = -expm1(-exp(-z));
    *pdf = exp(-z - exp(-z)) / sg;
    return;
  }
  const double end = mu - sg / xi;
  if (xi < 0) { /* y = end - x ~ Weibull(scale -sg/xi, shape -1/xi); F_X = S_Y */
    const double y = end - x, lam = -sg / xi, k = -1 / xi;
    *cdf = gsl_cdf_weibull_Q(y, lam, k);
    *sf = gsl_cdf_weibull_P(y, lam, k);
    *pdf = gsl_ran_weibull_pdf(y, lam, k);
  } else { /* w = 1/(x - end) ~ Weibull(scale xi/sg, shape 1/xi); F_X = S_W */
    const double w = 1 / (x - end), lam = xi / sg, k = 1 / xi;
    *cdf = gsl_cdf_weibull_Q(w, lam, k);
    *sf = gsl_cdf_weibull_P(w, lam, k);
    *pdf = gsl_ran_weibull_pdf(w, lam, k) * w * w;
  }
}

static void triangular_exact(const issim_dist *d, double x, double *pdf, double *cdf, double *sf)
{
  const double a = d->param[0], c = d->param[1], b = d->param[2];
  if (x <= c && c > a) {
    *pdf = 2 * (x - a) / ((b - a) * (c - a));
    *cdf = (x - a) * (x - a) / ((b - a) * (c - a));
    *sf = 1 - *cdf;
  } else {
    *pdf = 2 * (b - x) / ((b - a) * (b - c));
    *sf = (b - x) * (b - x) / ((b - a) * (b - c));
    *cdf = 1 - *sf;
  }
}

/* The lognormal of mean m and sd s: meanlog and sdlog by the design codes'
 * formulas, then GSL's lognormal. */
static void lognormal_exact(const issim_dist *d, const spec *c, double x, double *pdf,
                            double *cdf, double *sf)
{
  (void)d;
  const double m = c->v[0], cov = strcmp(c->keys[1], "cov") == 0 ? c->v[1] : c->v[1] / m;
  const double sl = sqrt(log(1 + cov * cov)), ml = log(m) - 0.5 * sl * sl;
  *pdf = gsl_ran_lognormal_pdf(x, ml, sl);
  *cdf = gsl_cdf_lognormal_P(x, ml, sl);
  *sf = gsl_cdf_lognormal_Q(x, ml, sl);
}

static void exact(const issim_dist *d, const spec *c, double x, double *pdf, double *cdf,
                  double *sf)
{
  if (d->kind == ISSIM_DIST_TRUNCATED_NORMAL)
    truncated_exact(d, x, pdf, cdf, sf);
  else if (d->kind == ISSIM_DIST_GEV)
    gev_exact(d, x, pdf, cdf, sf);
  else if (d->kind == ISSIM_DIST_TRIANGULAR)
    triangular_exact(d, x, pdf, cdf, sf);
  else
    lognormal_exact(d, c, x, pdf, cdf, sf);
}

/* Points across the bulk: the quantiles at 1%, 10%, ..., 99% (by the
 * exact cdf's own inverse is not at hand: by issim's, checked elsewhere
 * against the tails). */
static double point(const issim_dist *d, double p)
{
  return p <= 0.5 ? issim_dist_tail_quantile(d, 0, log(p)) : issim_dist_tail_quantile(d, 1, log1p(-p));
}

static double bulk_point(const issim_dist *d, double p)
{
  if (d->kind == ISSIM_DIST_LOGNORMAL) /* no tail quantile: the copula's */
    return issim_copula_quantile(d, p <= 0.5 ? gsl_cdf_ugaussian_Pinv(p) : -gsl_cdf_ugaussian_Pinv(1 - p));
  return point(d, p);
}

/* The x with P(X > x) = q. */
static double upper_point(const issim_dist *d, double q)
{
  if (d->kind == ISSIM_DIST_LOGNORMAL)
    return issim_copula_quantile(d, gsl_cdf_ugaussian_Qinv(q));
  return issim_dist_tail_quantile(d, 1, log(q));
}

/* ---- 1. density and tails against the exact values ---- */

START_TEST(test_against_exact)
{
  const spec *c = &CASES[_i];
  issim_dist *d = make(c);
  const double ps[] = {0.001, 0.01, 0.1, 0.3, 0.5, 0.7, 0.9, 0.99, 0.999};
  for (size_t k = 0; k < sizeof ps / sizeof *ps; k++) {
    const double x = bulk_point(d, ps[k]);
    double pdf, cdf, sf;
    exact(d, c, x, &pdf, &cdf, &sf);
    ck_assert_msg(fabs(issim_dist_log_pdf1(d, x) - log(pdf)) <= 1e-9 * fmax(1, fabs(log(pdf))),
                  "%s case %d at x = %.17g: log pdf %.17g, exact %.17g", c->family, _i, x,
                  issim_dist_log_pdf1(d, x), log(pdf));
    assert_close(issim_dist_log_cdf(d, x), log(cdf), 1e-8 * fmax(1, fabs(log(cdf))));
    assert_close(issim_dist_log_sf(d, x), log(sf), 1e-8 * fmax(1, fabs(log(sf))));
    /* and the quantile inverts the tails: x is the p-quantile */
    assert_close(exp(issim_dist_log_cdf(d, x)), ps[k], 1e-12);
  }
  issim_dist_free(d);
}
END_TEST

/* ---- 2. the density integrates to the tails, the mean, the variance and
 * the entropy (CQUAD over the support, cut where the tail is below 1e-17) */

typedef struct {
  const issim_dist *d;
  int power; /* 0: p, 1: x p, 2: (x - m)^2 p, 3: -p log p */
  double m;
} integrand;

static double f_of(double x, void *params)
{
  const integrand *g = params;
  const double lp = issim_dist_log_pdf1(g->d, x);
  if (lp == -INFINITY)
    return 0;
  const double p = exp(lp);
  switch (g->power) {
  case 0: return p;
  case 1: return x * p;
  case 2: return (x - g->m) * (x - g->m) * p;
  default: return -p * lp;
  }
}

static double integral(const issim_dist *d, int power, double m, double lo, double hi)
{
  integrand g = {d, power, m};
  return quadrature(f_of, &g, lo, hi);
}

START_TEST(test_by_quadrature)
{
  const spec *c = &CASES[_i];
  issim_dist *d = make(c);
  /* the range holding all but 1e-17 on either side (gev of shape 0.2: its
   * mean and variance converge slowly in the upper tail: cut at 1e-25) */
  const double lo = fmax(d->lower, bulk_point(d, 1e-17));
  const double hi = fmin(d->upper, upper_point(d, d->kind == ISSIM_DIST_GEV && d->param[2] > 0.1 ? 1e-30 : 1e-17));
  const double mode = bulk_point(d, 0.5);
  assert_close(integral(d, 0, 0, lo, hi), 1, 1e-9);
  const double xs[] = {bulk_point(d, 0.05), mode, bulk_point(d, 0.8)};
  for (size_t k = 0; k < 3; k++)
    assert_close(integral(d, 0, 0, lo, xs[k]), exp(issim_dist_log_cdf(d, xs[k])), 1e-9);
  const double mean = issim_dist_mean(d), var = issim_dist_variance(d);
  const double sd = sqrt(var);
  assert_close(integral(d, 1, 0, lo, hi), mean, 1e-7 * fmax(sd, fabs(mean)));
  assert_close(integral(d, 2, mean, lo, hi), var, 1e-7 * var);
  assert_close(integral(d, 3, 0, lo, hi), issim_dist_entropy(d), 1e-7 * fmax(1, fabs(issim_dist_entropy(d))));
  issim_dist_free(d);
}
END_TEST

/* ---- 3. quantiles invert the tails out to 1e-400 ---- */

START_TEST(test_tail_quantile_round_trip)
{
  const spec *c = &CASES[_i];
  issim_dist *d = make(c);
  if (d->kind == ISSIM_DIST_LOGNORMAL) { /* not a family of issim_dist_tail_quantile */
    ck_assert(isnan(issim_dist_tail_quantile(d, 1, -3)));
    issim_dist_free(d);
    return;
  }
  const double lts[] = {-M_LN2, -1, -5, -40, -300, -700, -800, -921};
  for (int upper = 0; upper < 2; upper++)
    for (size_t k = 0; k < sizeof lts / sizeof *lts; k++) {
      const double x = issim_dist_tail_quantile(d, upper, lts[k]);
      ck_assert_msg(x >= d->lower && x <= d->upper, "%s case %d: x = %g", c->family, _i, x);
      /* a point a double cannot tell from a finite end holds no tail: skip */
      if (x == d->lower || x == d->upper || (upper && fabs(d->upper - x) < 1e-6 * fabs(x)) ||
          (!upper && fabs(x - d->lower) < 1e-6 * fabs(x)))
        continue;
      const double got = upper ? issim_dist_log_sf(d, x) : issim_dist_log_cdf(d, x);
      ck_assert_msg(fabs(got - lts[k]) <= 1e-9 * fabs(lts[k]),
                    "%s case %d, %s tail %g: x = %.17g gives %.17g", c->family, _i,
                    upper ? "upper" : "lower", lts[k], x, got);
    }
  issim_dist_free(d);
}
END_TEST

/* ---- 4. far tails against asymptotic or closed forms ---- */

START_TEST(test_far_tails)
{
  /* truncated to [40, inf): P(X > 41) = Q(41) / Q(40) */
  issim_dist *d = make(&(spec){"truncated-normal", 3, {"mean", "sd", "lower"}, {0, 1, 40}});
  assert_close(issim_dist_log_sf(d, 41), log_normal_sf(41) - log_normal_sf(40), 1e-12 * 40);
  /* P(X <= 40 + h) = phi(40) h (1 - 20 h) / Q(40) to second order, h the
   * double nearest 1e-10 above 40 */
  const double x40 = 40 + 1e-10, h = x40 - 40;
  assert_close(issim_dist_log_cdf(d, x40),
               -800 - 0.5 * log(2 * M_PI) + log(h) + log1p(-20 * h) - log_normal_sf(40), 1e-12 * 20);
  assert_close(issim_dist_log_pdf1(d, 41), -0.5 * 41 * 41 - 0.5 * log(2 * M_PI) - log_normal_sf(40),
               1e-12 * 800);
  /* mean phi(40)/Q(40), variance 1 + 40 m - m^2 (a difference: 1e-9) */
  const double mills = exp(-800 - 0.5 * log(2 * M_PI) - log_normal_sf(40));
  assert_close(issim_dist_mean(d), mills, 1e-13 * 40);
  assert_close(issim_dist_variance(d), 1 + 40 * mills - mills * mills, 1e-9);
  issim_dist_free(d);
  /* bounded at 0 (the half-normal): P(X <= h) = 2 phi(0) h = h sqrt(2/pi) */
  d = make(&(spec){"truncated-normal", 2, {"mean", "lower"}, {0, 0}});
  assert_close(issim_dist_log_cdf(d, 1e-250), log(1e-250) + 0.5 * log(2 / M_PI), 1e-12 * 600);
  assert_close(issim_dist_log_sf(d, 38), log_normal_sf(38) + M_LN2, 1e-12 * 700);
  issim_dist_free(d);
  /* gev of shape 0.5 (Frechet 2): S(x) = 1 - exp(-t) with t = (1 + x/2)^-2;
   * at x = 1e200, log S = log t - t/2 = -2 log(1 + 5e199) */
  d = make(&(spec){"gev", 1, {"shape"}, {0.5}});
  assert_close(issim_dist_log_sf(d, 1e200), -2 * log(5e199), 1e-12 * 920);
  /* its lower end -2: log F = -t, t = (1 + (x/2))^-2 at x = -2 + 1e-3 */
  assert_close(issim_dist_log_cdf(d, -2 + 1e-3), -pow(0.5e-3, -2), 1e-9 * 4e6);
  issim_dist_free(d);
  /* the Gumbel's upper tail, log S = -z - e^-z / 2 + ..., z = 800 */
  d = make(&(spec){"gev", 1, {"shape"}, {0}});
  assert_close(issim_dist_log_sf(d, 800), -800, 1e-12 * 800);
  assert_close(issim_dist_log_cdf(d, -6), -exp(6), 1e-12 * 403);
  issim_dist_free(d);
  /* triangular next to its ends: F = (x - a)^2 / ((b - a)(c - a)) */
  d = make(&(spec){"triangular", 3, {"lower", "mode", "upper"}, {0, 1, 4}});
  assert_close(issim_dist_log_cdf(d, 1e-200), -400 * M_LN10 - log(4), 1e-12 * 921);
  assert_close(issim_dist_log_sf(d, 4 - 1e-12), -24 * M_LN10 - log(12), 1e-3);
  /* at the mode, S = (b - c)/(b - a) = 3/4 from the sum of two terms */
  assert_close(issim_dist_log_sf(d, 1), log(0.75), 1e-15);
  issim_dist_free(d);
}
END_TEST

/* ---- 5. the lognormal of design codes ---- */

START_TEST(test_lognormal_from_moments)
{
  issim_dist *d = make(&(spec){"lognormal", 2, {"mean", "sd"}, {10, 2}});
  const double s2 = log(1.04);
  assert_close(d->param[1], sqrt(s2), 1e-15);
  assert_close(d->param[0], log(10) - 0.5 * s2, 1e-15);
  assert_close(issim_dist_mean(d), 10, 1e-13);
  assert_close(issim_dist_variance(d), 4, 1e-12);
  issim_dist_free(d);
  d = make(&(spec){"lognormal", 2, {"mean", "cov"}, {5, 0.5}});
  assert_close(issim_dist_mean(d), 5, 1e-13);
  assert_close(sqrt(issim_dist_variance(d)) / 5, 0.5, 1e-13);
  issim_dist_free(d);
  /* a tiny cov: sdlog = cov to double precision (cov^2 underflows) */
  d = make(&(spec){"lognormal", 2, {"mean", "cov"}, {1, 1e-170}});
  ck_assert_double_eq(d->param[1], 1e-170);
  issim_dist_free(d);
  /* a huge one: sdlog^2 = 2 log cov */
  d = make(&(spec){"lognormal", 2, {"mean", "cov"}, {1, 1e200}});
  assert_close(d->param[1], sqrt(400 * M_LN10), 1e-13);
  issim_dist_free(d);
}
END_TEST

/* ---- 6. draws: mean and the share below the median within 5 SE ---- */

START_TEST(test_draws)
{
  const spec *c = &CASES[_i];
  issim_dist *d = make(c);
  enum { N = 100000 };
  double *x = xalloc(N);
  gsl_rng *r = gsl_rng_alloc(gsl_rng_taus2);
  gsl_rng_set(r, 1234 + (unsigned long)_i);
  issim_dist_sample(d, r, N, x);
  const double mean = issim_dist_mean(d), var = issim_dist_variance(d), median = bulk_point(d, 0.5);
  double s = 0, below = 0;
  for (size_t i = 0; i < N; i++) {
    ck_assert_msg(x[i] >= d->lower && x[i] <= d->upper, "%s: draw %g", c->family, x[i]);
    s += x[i];
    below += x[i] <= median;
  }
  if (isfinite(var)) /* gev 0.2's fourth moment is infinite: the SE of the mean is still right */
    ck_assert_within_4se(s / N, mean, 1.25 * sqrt(var / N));
  ck_assert_within_4se(below / N, 0.5, 1.25 * sqrt(0.25 / N));
  gsl_rng_free(r);
  free(x);
  issim_dist_free(d);
}
END_TEST

/* ---- 7. bad parameters ---- */

static void expect_error(const spec *s, const char *key, const char *message)
{
  issim_error err;
  issim_error_clear(&err);
  issim_dist *d = issim_dist_alloc(s->family, s->n, s->keys, s->v, &err);
  ck_assert_ptr_null(d);
  ck_assert_str_eq(err.key, key);
  ck_assert_str_eq(err.message, message);
}

START_TEST(test_errors)
{
  expect_error(&(spec){"lognormal", 2, {"mean", "meanlog"}, {1, 0}}, "mean",
               "give a lognormal by meanlog and sdlog (of log X) or by mean and sd or cov (of "
               "X), not both");
  expect_error(&(spec){"lognormal", 1, {"mean"}, {1}}, "mean",
               "the mean of a lognormal needs sd or cov (= sd / mean) beside it");
  expect_error(&(spec){"lognormal", 1, {"cov"}, {1}}, "cov",
               "cov of a lognormal needs the mean of X beside it (or give meanlog and sdlog, "
               "of log X)");
  expect_error(&(spec){"lognormal", 3, {"mean", "sd", "cov"}, {1, 1, 1}}, "cov",
               "give sd or cov (= sd / mean) of a lognormal, not both");
  expect_error(&(spec){"lognormal", 2, {"mean", "sd"}, {-1, 1}}, "mean", "mean must be > 0 (got -1)");
  expect_error(&(spec){"truncated-normal", 2, {"lower", "upper"}, {2, 1}}, "upper",
               "lower must be < upper (got lower=2, upper=1)");
  expect_error(&(spec){"truncated-normal", 2, {"lower", "upper"}, {1e200, 2e200}}, "lower",
               "lower=1e+200 and upper=2e+200 hold no probability issim can represent (1e+200 and "
               "2e+200 sd from the mean)");
  expect_error(&(spec){"truncated-normal", 1, {"lower"}, {NAN}}, "lower", "lower must be finite (got nan)");
  expect_error(&(spec){"truncated-normal", 1, {"mean"}, {INFINITY}}, "mean", "mean must be finite (got inf)");
  expect_error(&(spec){"gev", 1, {"scale"}, {1}}, "shape", "missing required key 'shape' for gev");
  expect_error(&(spec){"gev", 2, {"shape", "scale"}, {0.1, 0}}, "scale", "scale must be > 0 (got 0)");
  expect_error(&(spec){"triangular", 3, {"lower", "mode", "upper"}, {0, 3, 2}}, "mode",
               "a triangular needs lower <= mode <= upper and lower < upper (got lower=0, mode=3, "
               "upper=2)");
  expect_error(&(spec){"triangular", 3, {"lower", "mode", "upper"}, {1, 1, 1}}, "mode",
               "a triangular needs lower <= mode <= upper and lower < upper (got lower=1, mode=1, "
               "upper=1)");
  expect_error(&(spec){"triangular", 3, {"lower", "mode", "upper"}, {-1e308, 0, 1e308}}, "upper",
               "upper - lower must be finite (got lower=-1e+308, upper=1e+308)");
  /* the bounds may be infinite, and then describe says so */
  issim_dist *d = make(&(spec){"truncated-normal", 2, {"lower", "upper"}, {-INFINITY, 0}});
  char buf[128];
  issim_dist_describe(d, buf, sizeof buf);
  ck_assert_str_eq(buf, "truncated-normal(mean=0, sd=1, lower=-inf, upper=0)");
  ck_assert(issim_dist_key_may_be_infinite("truncated-normal", "upper"));
  ck_assert(!issim_dist_key_may_be_infinite("uniform", "upper"));
  issim_dist_free(d);
}
END_TEST

static Suite *engineering_suite(void)
{
  Suite *s = suite_create("dist_engineering");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 60);
  tcase_add_loop_test(tc, test_against_exact, 0, NCASES);
  tcase_add_loop_test(tc, test_by_quadrature, 0, NCASES);
  tcase_add_loop_test(tc, test_tail_quantile_round_trip, 0, NCASES);
  tcase_add_test(tc, test_far_tails);
  tcase_add_test(tc, test_lognormal_from_moments);
  tcase_add_loop_test(tc, test_draws, 0, NCASES);
  tcase_add_test(tc, test_errors);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  gsl_set_error_handler_off();
  return run_suite(engineering_suite());
}
