/* check_model.c: tests of model.c against independent values.
 *
 * References: GSL's multivariate normal log-density and its Cholesky, LU
 * inverses and determinants, GSL's univariate distribution functions and
 * inverses, closed forms written here, 1-D and 2-D adaptive quadrature, and
 * Monte Carlo estimates whose tolerances are 4 of their own standard errors
 * (derived from the model's known moments, not from the sample).  Samples
 * use gsl_rng_taus2 with fixed seeds, so a run is reproducible.
 *
 * GSL's default error handler (abort) stays installed except inside the
 * quadrature tests, so a GSL_ERROR raised anywhere in model.c would fail the
 * run: the library must not depend on the handler being off.
 *
 * Scratch is always allocated at exactly issim_model_scratch(m, n) doubles,
 * so that valgrind sees any overrun.
 */
#include "model_helpers.h"

/* ---- multivariate normal ---- */


START_TEST(test_normal_log_pdf_matches_gsl)
{
  const size_t d = DIMS[_i];
  gsl_rng *r = seeded(11 + _i);
  double *mean = malloc(d * sizeof *mean), *cov = malloc(d * d * sizeof *cov);
  double *l = malloc(d * d * sizeof *l), *x = malloc(d * sizeof *x);
  for (size_t j = 0; j < d; j++)
    mean[j] = gsl_ran_gaussian(r, 3);
  random_spd(r, d, cov);
  gsl_cholesky(d, cov, l);
  issim_model *m = make_normal(d, mean, cov);
  for (int t = 0; t < 50; t++) {
    point_at_distance(r, d, mean, l, 4 * gsl_rng_uniform(r), x);
    assert_near(log_pdf1(m, x), gsl_mvn_log_pdf(d, x, mean, l), 1e-12);
  }
  /* 40 standard deviations out: finite, equal to the closed form and GSL */
  double log_det, sum_log_l = 0;
  for (size_t j = 0; j < d; j++)
    sum_log_l += log(l[j * d + j]);
  point_at_distance(r, d, mean, l, 40, x);
  const double q = lu_quadratic(d, cov, x, mean, &log_det);
  assert_close(q, 1600, 1e-9);
  const double closed = -0.5 * (double) d * log(2 * M_PI) - sum_log_l - 800;
  const double lp = log_pdf1(m, x);
  ck_assert(isfinite(lp));
  assert_near(lp, closed, 1e-12);
  assert_near(lp, -0.5 * (double) d * log(2 * M_PI) - 0.5 * log_det - 0.5 * q, 1e-12);
  assert_near(lp, gsl_mvn_log_pdf(d, x, mean, l), 1e-12);
  issim_model_free(m);
  gsl_rng_free(r);
  free(mean), free(cov), free(l), free(x);
}
END_TEST

/* A diagonal covariance takes the O(d) path; the same matrix with
 * off-diagonal entries of 1e-300 takes the dense one.  Same seed: the same
 * draws, and the same log-densities (also = the sum of univariate ones). */
START_TEST(test_normal_diagonal_equals_dense)
{
  const size_t d = DIMS[_i], n = 500;
  double *mean = malloc(d * sizeof *mean), *diag = calloc(d * d, sizeof *diag);
  double *dense = malloc(d * d * sizeof *dense), *lpa = malloc(n * sizeof *lpa);
  double *lpb = malloc(n * sizeof *lpb);
  gsl_rng *r = seeded(21);
  for (size_t j = 0; j < d; j++) {
    mean[j] = gsl_ran_gaussian(r, 2);
    diag[j * d + j] = 0.25 + 4 * gsl_rng_uniform(r);
  }
  for (size_t i = 0; i < d * d; i++)
    dense[i] = diag[i] != 0 ? diag[i] : 1e-300;
  issim_model *a = make_normal(d, mean, diag), *b = make_normal(d, mean, dense);
  double *xa = sample(a, 5, n), *xb = sample(b, 5, n);
  for (size_t i = 0; i < n * d; i++)
    assert_near(xa[i], xb[i], 1e-15);
  xa[0] = mean[0] + 40 * sqrt(diag[0]); /* and one point far out */
  log_pdf(a, n, xa, lpa);
  log_pdf(b, n, xa, lpb);
  for (size_t i = 0; i < n; i++) {
    double want = 0;
    for (size_t j = 0; j < d; j++) {
      issim_dist *nj = normal(mean[j], sqrt(diag[j * d + j]));
      want += issim_dist_log_pdf1(nj, xa[i * d + j]);
      issim_dist_free(nj);
    }
    ck_assert(isfinite(lpa[i]));
    assert_near(lpa[i], lpb[i], 1e-13);
    assert_near(lpa[i], want, 1e-13);
  }
  issim_model_free(a), issim_model_free(b);
  gsl_rng_free(r);
  free(mean), free(diag), free(dense), free(lpa), free(lpb), free(xa), free(xb);
}
END_TEST

START_TEST(test_normal_sample_moments)
{
  const size_t d = 3;
  const double mean[3] = {1, -2, 0.5};
  const double dense[9] = {4, 1.2, -0.6, 1.2, 1, 0.3, -0.6, 0.3, 2.25};
  const double diag[9] = {4, 0, 0, 0, 1, 0, 0, 0, 2.25};
  const double *covs[2] = {dense, diag};
  for (int c = 0; c < 2; c++) {
    issim_model *m = make_normal(d, mean, covs[c]);
    double *x = sample(m, 31 + c, NSAMPLE);
    check_sample_moments(NSAMPLE, d, x, mean, covs[c], 1);
    free(x);
    issim_model_free(m);
  }
}
END_TEST

START_TEST(test_normal_forms)
{
  const double mean[2] = {1, 2}, cov[4] = {4, 1, 1, 2};
  issim_model *m = make_normal(2, mean, cov);
  double loc[2], l[4], df, mu[2], c[4];
  ck_assert_int_eq(issim_model_gaussian_form(m, loc, l, &df), ISSIM_OK);
  ck_assert(isinf(df) && df > 0);
  ck_assert(loc[0] == 1 && loc[1] == 2);
  ck_assert(l[1] == 0); /* lower triangular */
  assert_near(l[0] * l[0], 4, 1e-15);
  assert_near(l[2] * l[0], 1, 1e-15);
  assert_near(l[2] * l[2] + l[3] * l[3], 2, 1e-15);
  ck_assert_int_eq(issim_model_moments(m, mu, c), ISSIM_OK);
  for (int i = 0; i < 4; i++)
    ck_assert(c[i] == cov[i]);
  ck_assert(mu[0] == 1 && mu[1] == 2);
  ck_assert_int_eq(issim_model_moments(m, mu, NULL), ISSIM_OK);
  issim_model_free(m);
}
END_TEST

/* Non-finite coordinates: density 0, or NaN for a NaN. */
START_TEST(test_normal_non_finite_points)
{
  const double mean[2] = {0, 0}, cov[4] = {1, 0.5, 0.5, 1};
  issim_model *m = make_normal(2, mean, cov);
  ck_assert(log_pdf1(m, (double[]){INFINITY, 0}) == -INFINITY);
  ck_assert(log_pdf1(m, (double[]){INFINITY, INFINITY}) == -INFINITY);
  ck_assert(log_pdf1(m, (double[]){-INFINITY, INFINITY}) == -INFINITY);
  ck_assert(isnan(log_pdf1(m, (double[]){NAN, 0})));
  issim_model_free(m);
}
END_TEST

/* ---- multivariate t ---- */

/* The t log-density written out independently: LU for the quadratic form
 * and determinant, lgamma for the constant. */
static double t_log_pdf_reference(size_t d, double df, const double *loc, const double *scale,
                                  const double *x)
{
  double log_det;
  const double q = lu_quadratic(d, scale, x, loc, &log_det);
  return gsl_sf_lngamma(0.5 * (df + (double) d)) - gsl_sf_lngamma(0.5 * df) -
         0.5 * (double) d * log(df * M_PI) - 0.5 * log_det -
         0.5 * (df + (double) d) * log1p(q / df);
}

START_TEST(test_t_log_pdf_matches_formula)
{
  const size_t d = DIMS[_i];
  const double dfs[] = {0.7, 3, 25};
  gsl_rng *r = seeded(41 + _i);
  double *loc = malloc(d * sizeof *loc), *scale = malloc(d * d * sizeof *scale);
  double *l = malloc(d * d * sizeof *l), *x = malloc(d * sizeof *x);
  for (size_t j = 0; j < d; j++)
    loc[j] = gsl_ran_gaussian(r, 3);
  random_spd(r, d, scale);
  gsl_cholesky(d, scale, l);
  for (int k = 0; k < 3; k++) {
    issim_model *m = make_t(d, dfs[k], loc, scale);
    for (int t = 0; t < 30; t++) {
      point_at_distance(r, d, loc, l, t == 0 ? 40 : t == 1 ? 1e6 : 5 * gsl_rng_uniform(r), x);
      const double lp = log_pdf1(m, x);
      ck_assert(isfinite(lp));
      /* the reference's lgamma difference and LU lose a few digits */
      assert_near(lp, t_log_pdf_reference(d, dfs[k], loc, scale, x), 1e-11);
    }
    issim_model_free(m);
  }
  gsl_rng_free(r);
  free(loc), free(scale), free(l), free(x);
}
END_TEST

/* In one dimension it is the univariate t of dist.c (scale = sqrt(S)). */
START_TEST(test_t_one_dimension_is_univariate)
{
  const double loc = 1.5, s = 2.25;
  issim_model *m = make_t(1, 4.5, &loc, &s);
  issim_dist *u = student(4.5, 1.5, 1.5);
  const double xs[] = {-1e8, -3e4, -100, -7, -1, 0, 1.5, 2, 9, 400, 1e6, 1e12};
  for (size_t i = 0; i < sizeof xs / sizeof xs[0]; i++)
    assert_near(log_pdf1(m, &xs[i]), issim_dist_log_pdf1(u, xs[i]), 1e-13);
  issim_dist_free(u);
  issim_model_free(m);
}
END_TEST

/* The multivariate t's scale factor sqrt(df / Y), Y chi-squared(df), comes
 * from log Y where Y underflows (df < 2): with df = 0.01, GSL's Y is 0 for
 * 3% of the draws, which made those points infinite and their log-weights
 * NaN.  In one dimension the points are univariate t draws: as many are
 * infinite (beyond the doubles) as the t's tail says, about 8e-4 of them.
 * (The density of a point beyond 1e154 is another matter: its squared
 * Mahalanobis distance overflows; not checked here.) */
START_TEST(test_t_small_df_points_stay_finite)
{
  const double df = 0.01, loc = 0, scale = 1;
  const size_t n = 200000;
  issim_model *m = make_t(1, df, &loc, &scale);
  double *x = sample(m, 7, n);
  size_t infinite = 0, nan = 0;
  for (size_t i = 0; i < n; i++) {
    nan += isnan(x[i]) != 0;
    infinite += isinf(x[i]) != 0;
  }
  /* P(|T| > x) = 2 C df^((df+1)/2) x^-df / df for x this large */
  const double log_c = lgamma(0.5 * (df + 1)) - lgamma(0.5 * df) - 0.5 * log(df * M_PI);
  const double p_inf = 2 * exp(log_c + 0.5 * (df + 1) * log(df) - df * log(DBL_MAX)) / df;
  const double sd = sqrt(n * p_inf * (1 - p_inf));
  ck_assert_uint_eq(nan, 0);
  ck_assert_msg(fabs((double)infinite - n * p_inf) <= 5 * sd,
                "%zu infinite points, expected %.1f +- %.1f", infinite, n * p_inf, sd);
  free(x);
  issim_model_free(m);
}
END_TEST

/* Covariance df/(df-2) S; the fourth moments of the t are the normal's times
 * df^2/((df-2)(df-4)) / (df/(df-2))^2 = (df-2)/(df-4) relative to its own
 * covariance. */
START_TEST(test_t_sample_moments)
{
  const size_t d = 3;
  const double df = 6, loc[3] = {0, 1, -1};
  const double scale[9] = {1, 0.4, 0.2, 0.4, 2, -0.5, 0.2, -0.5, 1.5};
  double cov[9];
  for (int i = 0; i < 9; i++)
    cov[i] = df / (df - 2) * scale[i];
  issim_model *m = make_t(d, df, loc, scale);
  double *x = sample(m, 51, NSAMPLE);
  check_sample_moments(NSAMPLE, d, x, loc, cov, (df - 2) / (df - 4));
  double mu[3], c[9];
  ck_assert_int_eq(issim_model_moments(m, mu, c), ISSIM_OK);
  for (int i = 0; i < 9; i++)
    assert_near(c[i], cov[i], 1e-15);
  double ml[3], l[9], got_df;
  ck_assert_int_eq(issim_model_gaussian_form(m, ml, l, &got_df), ISSIM_OK);
  ck_assert(got_df == df);
  free(x);
  issim_model_free(m);
}
END_TEST

START_TEST(test_t_moments_exist)
{
  const double loc[2] = {1, 2}, scale[4] = {1, 0, 0, 1};
  double mu[2], c[4];
  issim_model *m = make_t(2, 1.5, loc, scale); /* mean yes, covariance no */
  ck_assert_int_eq(issim_model_moments(m, mu, NULL), ISSIM_OK);
  ck_assert(mu[0] == 1 && mu[1] == 2);
  ck_assert_int_eq(issim_model_moments(m, mu, c), ISSIM_EINVAL);
  issim_model_free(m);
  m = make_t(2, 1, loc, scale); /* neither */
  ck_assert_int_eq(issim_model_moments(m, mu, NULL), ISSIM_EINVAL);
  issim_model_free(m);
  m = make_t(2, 2, loc, scale);
  ck_assert_int_eq(issim_model_moments(m, mu, c), ISSIM_EINVAL);
  issim_model_free(m);
}
END_TEST

/* ---- independent ---- */

static issim_model *make_independent3(void)
{
  issim_dist *c[3] = {normal(1, 2),
                      dist("exponential", 1, (const char *[]){"rate"}, (double[]){0.5}),
                      dist("uniform", 2, (const char *[]){"lower", "upper"},
                           (double[]){-1, 3})};
  issim_error err;
  issim_model *m = issim_model_alloc_independent(3, (const issim_dist *const *) c, &err);
  ck_assert_msg(m != NULL, "%s", err.message);
  for (int j = 0; j < 3; j++)
    issim_dist_free(c[j]);
  return m;
}

START_TEST(test_independent_log_pdf)
{
  issim_model *m = make_independent3();
  enum { N = 7 };
  const double x[N * 3] = {0, 1, 0,    1, 0.1, 2.9, -80, 100, -1, 3, 0, 3,
                           0, -1, 0,   0, 1, 3.5,  NAN, 1, 1};
  double lp[N];
  log_pdf(m, N, x, lp);
  for (int i = 0; i < N; i++) {
    double want = 0;
    for (size_t j = 0; j < 3; j++)
      want += issim_dist_log_pdf1(issim_model_component(m, j), x[i * 3 + j]);
    if (isnan(want))
      ck_assert(isnan(lp[i]));
    else
      assert_close(lp[i], want, 1e-15 * fmax(1, fabs(want)));
  }
  ck_assert(lp[4] == -INFINITY && lp[5] == -INFINITY); /* outside the supports */
  ck_assert(isfinite(lp[2]));                          /* far out, still finite */
  issim_model_free(m);
}
END_TEST

/* Marginal means and variances: SE of a variance = sqrt((mu4 - s^4)/n) with
 * the fourth central moments 3 s^4 (normal), 9 s^4 (exponential) and
 * 9/5 s^4 (uniform). */
START_TEST(test_independent_sample_moments)
{
  issim_model *m = make_independent3();
  const double mean[3] = {1, 2, 1}, var[3] = {4, 4, 16.0 / 12}, kurt[3] = {3, 9, 1.8};
  double *x = sample(m, 61, NSAMPLE);
  double mu[3], cov[9], got_mean[3], got_cov[9];
  sample_moments(NSAMPLE, 3, x, mu, cov);
  for (int j = 0; j < 3; j++) {
    assert_close(mu[j], mean[j], 4 * sqrt(var[j] / NSAMPLE));
    assert_close(cov[j * 3 + j], var[j], 4 * sqrt((kurt[j] - 1) * var[j] * var[j] / NSAMPLE));
  }
  assert_close(cov[1], 0, 4 * sqrt(var[0] * var[1] / NSAMPLE));
  ck_assert_int_eq(issim_model_moments(m, got_mean, got_cov), ISSIM_OK);
  for (int j = 0; j < 3; j++) {
    assert_near(got_mean[j], mean[j], 1e-15);
    assert_near(got_cov[j * 4], var[j], 1e-15);
  }
  ck_assert(got_cov[1] == 0 && got_cov[5] == 0);
  free(x);
  issim_model_free(m);

  issim_dist *c[2] = {normal(0, 1), dist("cauchy", 0, NULL, NULL)};
  m = issim_model_alloc_independent(2, (const issim_dist *const *) c, NULL);
  ck_assert_int_eq(issim_model_moments(m, got_mean, NULL), ISSIM_EINVAL);
  issim_model_free(m);
  issim_dist_free(c[0]), issim_dist_free(c[1]);
}
END_TEST

/* ---- mixtures ---- */

START_TEST(test_mixture_log_pdf)
{
  const size_t d = 2;
  const double mean0[2] = {0, 0}, cov0[4] = {1, 0.3, 0.3, 1};
  const double mean1[2] = {4, 3}, cov1[4] = {0.5, 0, 0, 2};
  issim_model *p = make_normal(d, mean0, cov0), *q = make_normal(d, mean1, cov1);
  const issim_model *parts[2] = {p, q};
  const double w[2] = {0.25, 0.75};
  issim_model *m = make_mixture(2, parts, w);
  gsl_rng *r = seeded(141);
  double x[2];
  for (int t = 0; t < 100; t++) {
    x[0] = gsl_ran_gaussian(r, 4);
    x[1] = gsl_ran_gaussian(r, 4);
    const double direct = log(w[0] * exp(log_pdf1(p, x)) + w[1] * exp(log_pdf1(q, x)));
    assert_near(log_pdf1(m, x), direct, 1e-13);
  }
  /* 40+ sd from both: both densities underflow, the mixture's does not */
  const double far[][2] = {{-40, -40}, {60, 50}, {-30, 100}, {1e3, -1e3}};
  for (size_t t = 0; t < sizeof far / sizeof far[0]; t++) {
    const double a = log(w[0]) + log_pdf1(p, far[t]), b = log(w[1]) + log_pdf1(q, far[t]);
    ck_assert(exp(a) == 0 && exp(b) == 0);
    const double mx = fmax(a, b), want = mx + log(exp(a - mx) + exp(b - mx));
    const double got = log_pdf1(m, far[t]);
    ck_assert(isfinite(got));
    assert_near(got, want, 1e-13);
  }
  issim_model_free(p), issim_model_free(q), issim_model_free(m);
  gsl_rng_free(r);
}
END_TEST

/* Two well-separated components: the count from each is binomial, within
 * 4 SE sqrt(n w (1-w)); each group has its component's mean; the same seed
 * gives the same draws. */
START_TEST(test_mixture_frequencies)
{
  const double m0 = 0, m1 = 100, v = 1, w[2] = {0.3, 0.7};
  issim_model *a = make_normal(1, &m0, &v), *b = make_normal(1, &m1, &v);
  const issim_model *parts[2] = {a, b};
  issim_model *m = make_mixture(2, parts, w);
  double *x = sample(m, 151, NSAMPLE), *y = sample(m, 151, NSAMPLE);
  size_t n1 = 0;
  double s0 = 0, s1 = 0;
  for (size_t i = 0; i < NSAMPLE; i++) {
    ck_assert(x[i] == y[i]);
    if (x[i] > 50) {
      n1++;
      s1 += x[i];
    } else {
      s0 += x[i];
    }
  }
  assert_close((double) n1, NSAMPLE * w[1], 4 * sqrt(NSAMPLE * w[0] * w[1]));
  assert_close(s0 / (double) (NSAMPLE - n1), m0, 4 / sqrt((double) (NSAMPLE - n1)));
  assert_close(s1 / (double) n1, m1, 4 / sqrt((double) n1));
  double mean, var;
  ck_assert_int_eq(issim_model_moments(m, &mean, &var), ISSIM_OK);
  assert_near(mean, 70, 1e-15);
  assert_near(var, 1 + 0.3 * 0.7 * 100 * 100, 1e-13);
  free(x), free(y);
  issim_model_free(a), issim_model_free(b), issim_model_free(m);
}
END_TEST

/* The defensive mixture: the target (a copula here) and a shifted normal,
 * of different kinds; and a mixture nested in a mixture, run on exactly
 * the scratch issim_model_scratch asks for.  The three components' draws
 * are told apart by their supports and locations. */
START_TEST(test_mixture_defensive_and_nested)
{
  const size_t d = 3, n = 3000;
  issim_dist *marg[3] = {gamma_dist(2, 1), gamma_dist(3, 1), gamma_dist(1.5, 2)};
  issim_model *target = make_copula(d, R3, marg);
  const double shift[3] = {40, 40, 40}, cov[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1};
  const double far_mean[3] = {-100, -100, -100};
  issim_model *shifted = make_normal(d, shift, cov), *other = make_normal(d, far_mean, cov);
  const issim_model *inner_parts[2] = {target, shifted};
  const double inner_w[2] = {0.1, 0.9};
  issim_model *inner = make_mixture(2, inner_parts, inner_w);
  const issim_model *outer_parts[2] = {inner, other};
  const double outer_w[2] = {0.5, 0.5};
  issim_model *outer = make_mixture(2, outer_parts, outer_w);
  double *x = sample(outer, 161, n), *lp = malloc(n * sizeof *lp);
  log_pdf(outer, n, x, lp);
  size_t counts[3] = {0, 0, 0};
  for (size_t i = 0; i < n; i++) {
    const double *row = x + i * d;
    counts[row[0] < -50 ? 2 : row[0] > 20 ? 1 : 0]++;
    double lps[3];
    lps[0] = log_pdf1(target, row), lps[1] = log_pdf1(shifted, row),
    lps[2] = log_pdf1(other, row);
    const double lw[3] = {log(0.05), log(0.45), log(0.5)};
    double mx = -INFINITY, s = 0;
    for (int k = 0; k < 3; k++)
      mx = fmax(mx, lw[k] + lps[k]);
    for (int k = 0; k < 3; k++)
      s += exp(lw[k] + lps[k] - mx);
    ck_assert(isfinite(lp[i]));
    assert_near(lp[i], mx + log(s), 1e-12);
  }
  const double p[3] = {0.05, 0.45, 0.5};
  for (int k = 0; k < 3; k++)
    assert_close((double) counts[k], n * p[k], 4 * sqrt(n * p[k] * (1 - p[k])));
  free(x), free(lp);
  issim_model_free(target), issim_model_free(shifted), issim_model_free(other);
  issim_model_free(inner), issim_model_free(outer);
}
END_TEST

/* A component of weight 0 is never drawn, and contributes nothing. */
START_TEST(test_mixture_zero_weight)
{
  const double m0 = 0, m1 = 100, v = 1, w[3] = {1, 0, 0};
  issim_model *a = make_normal(1, &m0, &v), *b = make_normal(1, &m1, &v);
  const issim_model *parts[3] = {a, b, b};
  issim_model *m = make_mixture(3, parts, w);
  double *x = sample(m, 171, 10000);
  for (size_t i = 0; i < 10000; i++)
    ck_assert(x[i] < 50);
  assert_near(log_pdf1(m, x), log_pdf1(a, x), 1e-15);
  free(x);
  issim_model_free(a), issim_model_free(b), issim_model_free(m);
}
END_TEST

/* ---- errors ---- */

START_TEST(test_errors)
{
  issim_error err;
  const double zero2[2] = {0, 0};
  issim_model *m;

  ck_assert_ptr_null(issim_model_alloc_normal(2, zero2, (double[]){1, 0.3, 0.2, 1}, &err));
  assert_error(err, "covariance", "covariance is not symmetric: entry (1,2) = 0.3 but (2,1) = 0.2");
  ck_assert_ptr_null(issim_model_alloc_normal(2, zero2, (double[]){1, 2, 2, 1}, &err));
  assert_error(err, "covariance",
               "covariance is not positive definite (GSL's Cholesky factorisation failed)");
  ck_assert_ptr_null(issim_model_alloc_normal(2, zero2, (double[]){1, 1, 1, 1}, &err));
  assert_error(err, "covariance",
               "covariance is not positive definite (GSL's Cholesky factorisation failed)");
  ck_assert_ptr_null(issim_model_alloc_normal(2, zero2, (double[]){-1, 0, 0, 1}, &err));
  assert_error(err, "covariance",
               "covariance is not positive definite (GSL's Cholesky factorisation failed)");
  ck_assert_ptr_null(issim_model_alloc_normal(2, zero2, (double[]){1, 0, 0, NAN}, &err));
  assert_error(err, "covariance", "covariance entry (2,2) must be finite (got nan)");
  ck_assert_ptr_null(issim_model_alloc_normal(2, (double[]){0, INFINITY},
                                              (double[]){1, 0, 0, 1}, &err));
  assert_error(err, "mean", "mean entry 2 must be finite (got inf)");
  ck_assert_ptr_null(issim_model_alloc_normal(0, zero2, (double[]){1}, &err));
  assert_error(err, "dimension", "dimension must be >= 1 (got 0)");
  /* symmetric to a relative 1e-12 is accepted */
  m = issim_model_alloc_normal(2, zero2, (double[]){1, 0.3, 0.3 * (1 + 1e-13), 1}, &err);
  ck_assert_ptr_nonnull(m);
  issim_model_free(m);

  const double id[4] = {1, 0, 0, 1};
  ck_assert_ptr_null(issim_model_alloc_student_t(2, 0, zero2, id, &err));
  assert_error(err, "df", "df must be > 0 (got 0)");
  ck_assert_ptr_null(issim_model_alloc_student_t(2, -1, zero2, id, &err));
  assert_error(err, "df", "df must be > 0 (got -1)");
  ck_assert_ptr_null(issim_model_alloc_student_t(2, NAN, zero2, id, &err));
  assert_error(err, "df", "df must be finite (got nan)");
  ck_assert_ptr_null(issim_model_alloc_student_t(2, 3, zero2, (double[]){1, 0, 0.5, 1}, &err));
  assert_error(err, "scale", "scale is not symmetric: entry (1,2) = 0 but (2,1) = 0.5");
  ck_assert_ptr_null(issim_model_alloc_student_t(2, 3, zero2, (double[]){1, 3, 3, 1}, &err));
  assert_error(err, "scale",
               "scale is not positive definite (GSL's Cholesky factorisation failed)");

  issim_dist *nm[2] = {normal(0, 1), normal(0, 1)};
  const issim_dist *const *mg = (const issim_dist *const *) nm;
  ck_assert_ptr_null(issim_model_alloc_copula(2, (double[]){1.5, 0, 0, 1}, mg, &err));
  assert_error(err, "correlation", "correlation must have 1s on its diagonal: entry (1,1) = 1.5");
  ck_assert_ptr_null(issim_model_alloc_copula(2, (double[]){1, 0, 0, 2}, mg, &err));
  assert_error(err, "correlation", "correlation must have 1s on its diagonal: entry (2,2) = 2");
  ck_assert_ptr_null(issim_model_alloc_copula(2, (double[]){1, 0.5, 0.4, 1}, mg, &err));
  assert_error(err, "correlation",
               "correlation is not symmetric: entry (1,2) = 0.5 but (2,1) = 0.4");
  ck_assert_ptr_null(issim_model_alloc_copula(2, (double[]){1, 1.2, 1.2, 1}, mg, &err));
  assert_error(err, "correlation",
               "correlation is not positive definite (GSL's Cholesky factorisation failed)");
  ck_assert_ptr_null(issim_model_alloc_copula(2, id, (const issim_dist *[]){nm[0], NULL}, &err));
  assert_error(err, "marginal", "marginal 2 is missing");
  ck_assert_ptr_null(
      issim_model_alloc_independent(2, (const issim_dist *[]){NULL, nm[0]}, &err));
  assert_error(err, "component", "component 1 is missing");

  issim_model *a = make_normal(2, zero2, id), *b = make_normal(1, zero2, id);
  const issim_model *two[2] = {a, a}, *mixed[2] = {a, b};
  ck_assert_ptr_null(issim_model_alloc_mixture(2, two, (double[]){1.1, -0.1}, &err));
  assert_error(err, "weights", "weight 2 must be >= 0 (got -0.1)");
  ck_assert_ptr_null(issim_model_alloc_mixture(2, two, (double[]){0.5, 0.4}, &err));
  assert_error(err, "weights", "weights must sum to 1 (got 0.9)");
  ck_assert_ptr_null(issim_model_alloc_mixture(2, two, (double[]){NAN, 0.5}, &err));
  assert_error(err, "weights", "weight 1 must be finite (got nan)");
  ck_assert_ptr_null(issim_model_alloc_mixture(2, mixed, (double[]){0.5, 0.5}, &err));
  assert_error(err, "components",
               "mixture components must have one dimension: component 1 has d = 2 but "
               "component 2 has d = 1");
  ck_assert_ptr_null(issim_model_alloc_mixture(0, two, NULL, &err));
  assert_error(err, "components", "a mixture needs at least one component (got 0)");
  /* within 1e-9 of 1 is accepted */
  m = issim_model_alloc_mixture(2, two, (double[]){0.5, 0.5 + 5e-10}, &err);
  ck_assert_ptr_nonnull(m);
  issim_model_free(m);

  /* err may be NULL */
  ck_assert_ptr_null(issim_model_alloc_normal(2, zero2, (double[]){1, 2, 2, 1}, NULL));
  issim_model_free(a), issim_model_free(b);
  issim_dist_free(nm[0]), issim_dist_free(nm[1]);
}
END_TEST

/* Correlations within a few ulps of 1: each is accepted or refused, and GSL's
 * factorisation, run only on accepted ones, never aborts (the default
 * handler is installed). */
START_TEST(test_nearly_singular_never_aborts)
{
  const double zero3[3] = {0, 0, 0};
  int accepted = 0;
  for (int k = 0; k <= 64; k++) {
    const double rho = 1 - k * DBL_EPSILON / 2;
    const double a[9] = {1, rho, rho, rho, 1, rho, rho, rho, 1};
    issim_error err;
    issim_model *m = issim_model_alloc_normal(3, zero3, a, &err);
    if (m != NULL) {
      accepted++;
      double lp = log_pdf1(m, zero3);
      ck_assert(isfinite(lp));
      issim_model_free(m);
    } else {
      assert_error(err, "covariance",
                   "covariance is not positive definite (GSL's Cholesky factorisation failed)");
    }
  }
  ck_assert_int_gt(accepted, 0);
  ck_assert_int_lt(accepted, 65);
}
END_TEST

/* ---- api ---- */

START_TEST(test_describe_and_accessors)
{
  char buf[128];
  const double z[3] = {0, 0, 0}, id[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1};
  issim_model *n = make_normal(3, z, id), *t = make_t(3, 4.5, z, id);
  issim_model *ind = make_independent3();
  issim_dist *marg[3] = {normal(0, 1), normal(0, 1), normal(0, 1)};
  issim_model *c = make_copula(3, R3, marg);
  const issim_model *parts[2] = {n, t};
  issim_model *mix = make_mixture(2, parts, (double[]){0.5, 0.5});
  ck_assert_int_eq(issim_model_describe(n, buf, sizeof buf), 24);
  ck_assert_str_eq(buf, "multivariate-normal(d=3)");
  issim_model_describe(t, buf, sizeof buf);
  ck_assert_str_eq(buf, "multivariate-t(d=3, df=4.5)");
  issim_model_describe(ind, buf, sizeof buf);
  ck_assert_str_eq(buf, "independent(d=3)");
  issim_model_describe(c, buf, sizeof buf);
  ck_assert_str_eq(buf, "gaussian-copula(d=3)");
  issim_model_describe(mix, buf, sizeof buf);
  ck_assert_str_eq(buf, "mixture(d=3, k=2)");
  ck_assert_int_eq(issim_model_describe(n, buf, 5), 24); /* truncated, snprintf's count */
  ck_assert_str_eq(buf, "mult");

  ck_assert_int_eq(issim_model_kind_of(n), ISSIM_MODEL_NORMAL);
  ck_assert_int_eq(issim_model_kind_of(t), ISSIM_MODEL_STUDENT_T);
  ck_assert_int_eq(issim_model_kind_of(ind), ISSIM_MODEL_INDEPENDENT);
  ck_assert_int_eq(issim_model_kind_of(c), ISSIM_MODEL_COPULA);
  ck_assert_int_eq(issim_model_kind_of(mix), ISSIM_MODEL_MIXTURE);
  ck_assert_uint_eq(issim_model_dim(mix), 3);

  ck_assert_ptr_nonnull(issim_model_component(ind, 2));
  ck_assert_str_eq(issim_dist_name(issim_model_component(ind, 1)), "exponential");
  ck_assert_ptr_nonnull(issim_model_component(c, 0));
  ck_assert_ptr_null(issim_model_component(ind, 3));
  ck_assert_ptr_null(issim_model_component(n, 0));
  ck_assert_ptr_null(issim_model_component(mix, 0));
  double loc[3], l[9], df;
  ck_assert_int_eq(issim_model_gaussian_form(c, loc, l, &df), ISSIM_EINVAL);
  ck_assert_int_eq(issim_model_gaussian_form(mix, loc, l, &df), ISSIM_EINVAL);
  ck_assert_int_eq(issim_model_gaussian_form(ind, loc, l, &df), ISSIM_EINVAL);

  issim_model_free(n), issim_model_free(t), issim_model_free(ind), issim_model_free(c);
  issim_model_free(mix);
}
END_TEST

/* A clone draws and evaluates exactly as the original, after the original
 * is freed (deep copy), for every kind. */
START_TEST(test_clone)
{
  const double z[3] = {0.5, 0, -1}, id[9] = {2, 0.5, 0, 0.5, 1, 0.2, 0, 0.2, 1.5};
  issim_dist *marg[3] = {student(5, 0, 1), gamma_dist(2, 1), normal(1, 2)};
  issim_model *orig[5] = {make_normal(3, z, id), make_t(3, 5, z, id), make_independent3(),
                          make_copula(3, R3, marg), NULL};
  const issim_model *parts[2] = {orig[0], orig[3]};
  orig[4] = make_mixture(2, parts, (double[]){0.4, 0.6});
  for (int k = 0; k < 5; k++) {
    double *x = sample(orig[k], 181, 300), lp[300], lpc[300];
    log_pdf(orig[k], 300, x, lp);
    issim_model *c = issim_model_clone(orig[k]);
    issim_model_free(orig[k]);
    double *xc = sample(c, 181, 300);
    log_pdf(c, 300, x, lpc);
    for (size_t i = 0; i < 900; i++)
      ck_assert(x[i] == xc[i]);
    for (size_t i = 0; i < 300; i++)
      ck_assert(lp[i] == lpc[i] || (isnan(lp[i]) && isnan(lpc[i])));
    issim_model_free(c);
    free(x), free(xc);
  }
  ck_assert_ptr_null(issim_model_clone(NULL));
  issim_model_free(NULL);
}
END_TEST

/* n = 0 does nothing; n = 1 works with its own (small) scratch. */
START_TEST(test_empty_and_single_batches)
{
  const double z[2] = {0, 0}, id[4] = {1, 0.5, 0.5, 1};
  issim_model *n = make_normal(2, z, id);
  const issim_model *parts[2] = {n, n};
  issim_model *mix = make_mixture(2, parts, (double[]){0.5, 0.5});
  double x[2] = {7, 7}, lp = 7;
  double *s = scratch_for(mix, 0);
  gsl_rng *r = seeded(1);
  issim_model_sample(mix, r, 0, x, s);
  issim_model_log_pdf(mix, 0, x, &lp, s);
  ck_assert(x[0] == 7 && lp == 7);
  free(s);
  double *x1 = sample(mix, 2, 1);
  ck_assert(isfinite(log_pdf1(mix, x1)));
  free(x1);
  gsl_rng_free(r);
  issim_model_free(n), issim_model_free(mix);
}
END_TEST

/* ---- batches, and a proposal drawn with its target ---- */

static const size_t BATCH_DIMS[] = {1, 3, 10, 40};
enum { NBATCH = 37 }; /* not a whole number of the kernels' 16-point groups */

/* A batch's log-densities are each point's alone, to the last digit (the
 * batched forward substitution sums in the point-by-point order), and GSL's
 * for the normal. */
START_TEST(test_batch_log_pdf_equals_points)
{
  const size_t d = BATCH_DIMS[_i];
  gsl_rng *r = seeded(71 + _i);
  double *mean = malloc(d * sizeof *mean), *cov = malloc(d * d * sizeof *cov);
  double *l = malloc(d * d * sizeof *l);
  for (size_t j = 0; j < d; j++)
    mean[j] = gsl_ran_gaussian(r, 2);
  random_spd(r, d, cov);
  gsl_cholesky(d, cov, l);
  issim_model *models[2] = {make_normal(d, mean, cov), make_t(d, 3.5, mean, cov)};
  double *x = malloc(NBATCH * d * sizeof *x), lp[NBATCH];
  for (size_t i = 0; i < NBATCH; i++)
    point_at_distance(r, d, mean, l, 6 * gsl_rng_uniform(r), x + i * d);
  for (int k = 0; k < 2; k++) {
    log_pdf(models[k], NBATCH, x, lp);
    for (size_t i = 0; i < NBATCH; i++) {
      const double one = log_pdf1(models[k], x + i * d);
      ck_assert_msg(lp[i] == one, "model %d, d = %zu, point %zu: %.17g in a batch, %.17g alone",
                    k, d, i, lp[i], one);
      if (k == 0)
        assert_near(lp[i], gsl_mvn_log_pdf(d, x + i * d, mean, l), 1e-12);
    }
    issim_model_free(models[k]);
  }
  gsl_rng_free(r);
  free(mean), free(cov), free(l), free(x);
}
END_TEST

/* A batch of a dense normal is mean + L z, z drawn point by point with GSL's
 * ziggurat: recomputed here from the same stream, point by point. */
START_TEST(test_batch_sample_is_mean_plus_l_z)
{
  const size_t d = BATCH_DIMS[_i];
  gsl_rng *r = seeded(81 + _i);
  double *mean = malloc(d * sizeof *mean), *cov = malloc(d * d * sizeof *cov);
  double *l = malloc(d * d * sizeof *l), *z = malloc(d * sizeof *z);
  for (size_t j = 0; j < d; j++)
    mean[j] = gsl_ran_gaussian(r, 2);
  random_spd(r, d, cov);
  gsl_rng_free(r);
  issim_model *m = make_normal(d, mean, cov);
  ck_assert_int_eq(issim_model_gaussian_form(m, NULL, l, NULL), ISSIM_OK);
  double *x = sample(m, 5, NBATCH);
  r = seeded(5);
  for (size_t i = 0; i < NBATCH; i++) {
    for (size_t j = 0; j < d; j++)
      z[j] = gsl_ran_gaussian_ziggurat(r, 1.0);
    for (size_t j = 0; j < d; j++) {
      double s = 0;
      for (size_t k = 0; k <= j; k++)
        s += l[j * d + k] * z[k];
      assert_near(x[i * d + j], mean[j] + s, 4 * DBL_EPSILON);
    }
  }
  gsl_rng_free(r);
  issim_model_free(m);
  free(mean), free(cov), free(l), free(z), free(x);
}
END_TEST

/* The pairs of the tests below, in d = 10 (p and q: free q unless it is p):
 *   0  a normal target and the same normal moved (one L: the shared path)
 *   1  a normal moved and widened (spread 1.5: log q from |z|^2 alone)
 *   2  a normal target and an unrelated dense normal
 *   3  a t target and the t moved (one L: the shared path, with the t's f)
 *   4  a normal target and a diagonal normal proposal (the separate calls)
 *   5  plain Monte Carlo of a dense normal (q is p: the shared path, delta 0)
 *   6  plain Monte Carlo of a t (q is p: the shared path, delta 0)
 *   7  a t target and a normal proposal with its L (a light proposal, shared)
 *   8  a normal target and a t proposal with its L (a heavy proposal, shared)
 *   9  a t target and the t moved and widened (spread 1.5: log q from |f z|^2) */
/* A moved model is the model built from the moved location and spread^2
 * times the matrix; and the moved factor is spread L exactly. */
START_TEST(test_moved)
{
  const size_t d = 4;
  gsl_rng *r = seeded(95);
  double mean[4], loc[4], cov[16], cov4[16], l[16], l2[16], x[4];
  for (size_t j = 0; j < d; j++) {
    mean[j] = gsl_ran_gaussian(r, 1);
    loc[j] = gsl_ran_gaussian(r, 3);
  }
  random_spd(r, d, cov);
  for (size_t j = 0; j < d * d; j++)
    cov4[j] = 4 * cov[j];
  issim_error err;
  for (int k = 0; k < 2; k++) {
    issim_model *m = k ? make_t(d, 5, mean, cov) : make_normal(d, mean, cov);
    issim_model *want = k ? make_t(d, 5, loc, cov4) : make_normal(d, loc, cov4);
    issim_model *moved = issim_model_alloc_moved(m, loc, 2, &err);
    ck_assert_msg(moved != NULL, "%s", err.message);
    ck_assert_int_eq(issim_model_kind_of(moved), issim_model_kind_of(m));
    issim_model_gaussian_form(m, NULL, l, NULL);
    issim_model_gaussian_form(moved, NULL, l2, NULL);
    for (size_t j = 0; j < d * d; j++)
      ck_assert(l2[j] == 2 * l[j]);
    for (int t = 0; t < 20; t++) {
      for (size_t j = 0; j < d; j++)
        x[j] = loc[j] + gsl_ran_gaussian(r, 4);
      assert_near(log_pdf1(moved, x), log_pdf1(want, x), 1e-12);
    }
    double mu[4], c[16], cw[16];
    ck_assert_int_eq(issim_model_moments(moved, mu, c), ISSIM_OK);
    ck_assert_int_eq(issim_model_moments(want, mu, cw), ISSIM_OK);
    for (size_t j = 0; j < d * d; j++)
      assert_near(c[j], cw[j], 1e-14);
    issim_model_free(m), issim_model_free(want), issim_model_free(moved);
  }
  gsl_rng_free(r);
  /* what cannot be moved */
  issim_model *m = make_normal(d, mean, cov);
  ck_assert_ptr_null(issim_model_alloc_moved(m, loc, 0, &err));
  ck_assert_str_eq(err.key, "spread");
  ck_assert_ptr_null(issim_model_alloc_moved(m, loc, INFINITY, &err));
  loc[2] = NAN;
  ck_assert_ptr_null(issim_model_alloc_moved(m, loc, 1, &err));
  ck_assert_str_eq(err.key, "location");
  issim_dist *comps[4];
  for (size_t j = 0; j < d; j++)
    comps[j] = normal(0, 1);
  issim_model *ind = issim_model_alloc_independent(d, (const issim_dist *const *) comps, &err);
  ck_assert_ptr_null(issim_model_alloc_moved(ind, mean, 1, &err));
  ck_assert_int_eq(err.code, ISSIM_EINVAL);
  for (size_t j = 0; j < d; j++)
    issim_dist_free(comps[j]);
  issim_model_free(ind), issim_model_free(m);
}
END_TEST

static Suite *model_suite(void)
{
  Suite *s = suite_create("model");
  TCase *tc;

  tc = tcase_create("normal");
  tcase_set_timeout(tc, 60);
  tcase_add_loop_test(tc, test_normal_log_pdf_matches_gsl, 0, 3);
  tcase_add_loop_test(tc, test_normal_diagonal_equals_dense, 0, 3);
  tcase_add_test(tc, test_normal_sample_moments);
  tcase_add_test(tc, test_normal_forms);
  tcase_add_test(tc, test_normal_non_finite_points);
  suite_add_tcase(s, tc);

  tc = tcase_create("student-t");
  tcase_set_timeout(tc, 60);
  tcase_add_loop_test(tc, test_t_log_pdf_matches_formula, 0, 3);
  tcase_add_test(tc, test_t_one_dimension_is_univariate);
  tcase_add_test(tc, test_t_sample_moments);
  tcase_add_test(tc, test_t_small_df_points_stay_finite);
  tcase_add_test(tc, test_t_moments_exist);
  suite_add_tcase(s, tc);

  tc = tcase_create("independent");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_independent_log_pdf);
  tcase_add_test(tc, test_independent_sample_moments);
  suite_add_tcase(s, tc);

  tc = tcase_create("mixture");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_mixture_log_pdf);
  tcase_add_test(tc, test_mixture_frequencies);
  tcase_add_test(tc, test_mixture_defensive_and_nested);
  tcase_add_test(tc, test_mixture_zero_weight);
  suite_add_tcase(s, tc);

  tc = tcase_create("batch");
  tcase_set_timeout(tc, 60);
  tcase_add_loop_test(tc, test_batch_log_pdf_equals_points, 0, 4);
  tcase_add_loop_test(tc, test_batch_sample_is_mean_plus_l_z, 0, 4);
  tcase_add_test(tc, test_moved);
  suite_add_tcase(s, tc);

  tc = tcase_create("errors");
  tcase_add_test(tc, test_errors);
  tcase_add_test(tc, test_nearly_singular_never_aborts);
  suite_add_tcase(s, tc);

  tc = tcase_create("api");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_describe_and_accessors);
  tcase_add_test(tc, test_clone);
  tcase_add_test(tc, test_empty_and_single_batches);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  return run_suite(model_suite());
}
