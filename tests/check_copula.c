/* check_copula.c: tests of copula.c (the Gaussian copula model and its
 * marginal transforms) against independent values.
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
#include "copula.h"

/* ---- Gaussian copula ---- */

/* With N(0,1) marginals the copula is N(0, R): the same log-density
 * (including 40 sd out), and, from the same seed, the same draws. */
START_TEST(test_copula_normal_marginals_is_normal)
{
  const size_t d = DIMS[_i], n = 200;
  gsl_rng *r = seeded(71 + _i);
  double *a = malloc(d * d * sizeof *a), *rr = malloc(d * d * sizeof *rr);
  double *l = malloc(d * d * sizeof *l), *zero = calloc(d, sizeof *zero);
  double *x = malloc(n * d * sizeof *x), *lpc = malloc(n * sizeof *lpc);
  double *lpn = malloc(n * sizeof *lpn);
  random_spd(r, d, a);
  to_correlation(d, a, rr);
  gsl_cholesky(d, rr, l);
  issim_dist **marg = malloc(d * sizeof *marg);
  for (size_t j = 0; j < d; j++)
    marg[j] = normal(0, 1);
  issim_model *c = make_copula(d, rr, marg), *nm = make_normal(d, zero, rr);
  for (size_t i = 0; i < n; i++)
    point_at_distance(r, d, zero, l, i < 5 ? 40 : 6 * gsl_rng_uniform(r), x + i * d);
  log_pdf(c, n, x, lpc);
  log_pdf(nm, n, x, lpn);
  for (size_t i = 0; i < n; i++) {
    ck_assert(isfinite(lpc[i]));
    assert_close(lpc[i], lpn[i], 1e-10);
  }
  double *xc = sample(c, 9, 1000), *xn = sample(nm, 9, 1000);
  for (size_t i = 0; i < 1000 * d; i++)
    ck_assert(xc[i] == xn[i]);
  issim_model_free(c), issim_model_free(nm);
  gsl_rng_free(r);
  free(a), free(rr), free(l), free(zero), free(x), free(lpc), free(lpn), free(marg), free(xc),
      free(xn);
}
END_TEST

/* N(mu_j, s_j) marginals: N(mu, diag(s) R diag(s)); sample correlations
 * within 4 SE, SE(r_ij) = (1 - rho^2)/sqrt(n). */
START_TEST(test_copula_normal_marginals_correlation)
{
  const double mu[3] = {1, -2, 0}, sd[3] = {0.5, 3, 1.5};
  double cov[9];
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++)
      cov[i * 3 + j] = sd[i] * sd[j] * R3[i * 3 + j];
  issim_dist *marg[3] = {normal(mu[0], sd[0]), normal(mu[1], sd[1]), normal(mu[2], sd[2])};
  issim_model *c = make_copula(3, R3, marg), *nm = make_normal(3, mu, cov);
  gsl_rng *r = seeded(3);
  double x[3];
  for (int t = 0; t < 50; t++) {
    for (int j = 0; j < 3; j++)
      x[j] = mu[j] + sd[j] * gsl_ran_gaussian(r, t < 5 ? 20 : 2);
    assert_close(log_pdf1(c, x), log_pdf1(nm, x), 1e-10);
  }
  double *xs = sample(c, 81, NSAMPLE), m[3], s[9], mom_mean[3], mom_cov[9];
  sample_moments(NSAMPLE, 3, xs, m, s);
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < i; j++) {
      const double rho = R3[i * 3 + j];
      assert_close(s[i * 3 + j] / sqrt(s[i * 4] * s[j * 4]), rho,
                   4 * (1 - rho * rho) / sqrt(NSAMPLE));
    }
  ck_assert_int_eq(issim_model_moments(c, mom_mean, mom_cov), ISSIM_OK);
  for (int i = 0; i < 9; i++)
    assert_near(mom_cov[i], cov[i], 1e-12);
  free(xs);
  gsl_rng_free(r);
  issim_model_free(c), issim_model_free(nm);
}
END_TEST

/* Every family as a 1-D copula: the draw is F^-1(Phi(Z)) for the Z drawn
 * from the same seed, F^-1 by GSL's Pinv (Z <= 0) or Qinv (Z > 0), in the
 * parameterisation of dist.h; within GSL's own convergence tolerance. */
START_TEST(test_copula_quantiles_match_gsl)
{
  enum { N = 2000 };
  struct {
    const char *family;
    size_t n;
    const char *keys[3];
    double v[3];
  } cases[] = {
      {"normal", 2, {"mean", "sd"}, {1, 2}},
      {"student-t", 3, {"df", "location", "scale"}, {3.5, 1, 2}},
      {"exponential", 2, {"rate", "location"}, {2, 1}},
      {"gamma", 2, {"shape", "scale"}, {0.7, 3}},
      {"lognormal", 2, {"meanlog", "sdlog"}, {0.5, 0.8}},
      {"laplace", 2, {"location", "scale"}, {-1, 2}},
      {"logistic", 2, {"location", "scale"}, {1, 0.5}},
      {"cauchy", 2, {"location", "scale"}, {2, 3}},
      {"weibull", 2, {"shape", "scale"}, {1.7, 2.5}},
      {"pareto", 2, {"shape", "scale"}, {2.5, 1.5}},
      {"gumbel", 2, {"location", "scale"}, {1, 2}},
      {"uniform", 2, {"lower", "upper"}, {-2, 5}},
      {"beta", 2, {"alpha", "beta"}, {2, 5}},
      {"chi-squared", 1, {"df"}, {7}},
  };
  const size_t c = (size_t) _i;
  const double *v = cases[c].v;
  issim_dist *marg[1] = {dist(cases[c].family, cases[c].n, cases[c].keys, v)};
  const double one = 1;
  issim_model *m = make_copula(1, &one, marg);
  double *x = sample(m, 91 + c, N);
  gsl_rng *r = seeded(91 + c);
  for (size_t i = 0; i < N; i++) {
    const double z = gsl_ran_gaussian_ziggurat(r, 1);
    const double p = gsl_cdf_ugaussian_P(z), q = gsl_cdf_ugaussian_Q(z);
    const bool up = z > 0;
    double want = NAN;
    switch (c) {
    case 0: want = v[0] + (up ? gsl_cdf_gaussian_Qinv(q, v[1]) : gsl_cdf_gaussian_Pinv(p, v[1])); break;
    case 1: want = v[1] + v[2] * (up ? gsl_cdf_tdist_Qinv(q, v[0]) : gsl_cdf_tdist_Pinv(p, v[0])); break;
    case 2: want = v[1] + (up ? gsl_cdf_exponential_Qinv(q, 1 / v[0]) : gsl_cdf_exponential_Pinv(p, 1 / v[0])); break;
    case 3: want = up ? gsl_cdf_gamma_Qinv(q, v[0], v[1]) : gsl_cdf_gamma_Pinv(p, v[0], v[1]); break;
    case 4: want = up ? gsl_cdf_lognormal_Qinv(q, v[0], v[1]) : gsl_cdf_lognormal_Pinv(p, v[0], v[1]); break;
    case 5: want = v[0] + (up ? gsl_cdf_laplace_Qinv(q, v[1]) : gsl_cdf_laplace_Pinv(p, v[1])); break;
    case 6: want = v[0] + (up ? gsl_cdf_logistic_Qinv(q, v[1]) : gsl_cdf_logistic_Pinv(p, v[1])); break;
    case 7: want = v[0] + (up ? gsl_cdf_cauchy_Qinv(q, v[1]) : gsl_cdf_cauchy_Pinv(p, v[1])); break;
    case 8: want = up ? gsl_cdf_weibull_Qinv(q, v[1], v[0]) : gsl_cdf_weibull_Pinv(p, v[1], v[0]); break;
    case 9: want = up ? gsl_cdf_pareto_Qinv(q, v[0], v[1]) : gsl_cdf_pareto_Pinv(p, v[0], v[1]); break;
    case 10: want = v[0] + v[1] * (up ? gsl_cdf_gumbel1_Qinv(q, 1, 1) : gsl_cdf_gumbel1_Pinv(p, 1, 1)); break;
    case 11: want = up ? gsl_cdf_flat_Qinv(q, v[0], v[1]) : gsl_cdf_flat_Pinv(p, v[0], v[1]); break;
    case 12: want = up ? gsl_cdf_beta_Qinv(q, v[0], v[1]) : gsl_cdf_beta_Pinv(p, v[0], v[1]); break;
    case 13: want = up ? gsl_cdf_chisq_Qinv(q, v[0]) : gsl_cdf_chisq_Pinv(p, v[0]); break;
    }
    /* GSL's iterative inverses stop at a relative step of 1e-10 */
    assert_close(x[i], want, 1e-9 * fmax(1e-300, fabs(want)));
  }
  gsl_rng_free(r);
  free(x);
  issim_model_free(m);
}
END_TEST

/* The transforms of copula.h: a 1-D copula's draw is issim_copula_quantile
 * of its normal score, to the bit; and issim_copula_normal_score undoes it
 * (the quantile's ~1e-14 relative error, scaled by f(x) / phi(z)). */
START_TEST(test_copula_transforms_round_trip)
{
  struct {
    const char *family;
    size_t n;
    const char *keys[3];
    double v[3];
  } cases[] = {
      {"normal", 2, {"mean", "sd"}, {1, 2}},
      {"student-t", 3, {"df", "location", "scale"}, {3.5, 1, 2}},
      {"exponential", 2, {"rate", "location"}, {2, 1}},
      {"gamma", 2, {"shape", "scale"}, {0.7, 3}},
      {"beta", 2, {"alpha", "beta"}, {2, 5}},
      {"gumbel", 2, {"location", "scale"}, {1, 2}},
  };
  enum { N = 500 };
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    issim_dist *marg[1] = {dist(cases[c].family, cases[c].n, cases[c].keys, cases[c].v)};
    const double one = 1;
    issim_model *m = make_copula(1, &one, marg); /* frees marg[0] */
    const issim_dist *m0 = issim_model_component(m, 0);
    double *x = sample(m, 17 + c, N);
    gsl_rng *r = seeded(17 + c);
    for (size_t i = 0; i < N; i++) {
      const double z = gsl_ran_gaussian_ziggurat(r, 1);
      ck_assert_msg(issim_copula_quantile(m0, z) == x[i], "%s at z = %g", cases[c].family, z);
      assert_close(issim_copula_normal_score(m0, x[i]), z, 1e-9 * (1 + fabs(z)));
    }
    ck_assert(isnan(issim_copula_quantile(m0, NAN)));
    ck_assert(isnan(issim_copula_normal_score(m0, NAN)));
    gsl_rng_free(r);
    free(x);
    issim_model_free(m);
  }
}
END_TEST

/* t marginals: the fraction of draws below each marginal quantile is the
 * level p, within 4 binomial SE sqrt(p(1-p)/n). */
START_TEST(test_copula_t_marginal_quantiles)
{
  enum { N = 100000 };
  const double r2[4] = {1, 0.7, 0.7, 1}, dfs[2] = {3, 8};
  const double levels[] = {0.001, 0.01, 0.1, 0.3, 0.5, 0.7, 0.9, 0.99, 0.999};
  issim_dist *marg[2] = {student(dfs[0], 1, 2), student(dfs[1], 0, 1)};
  issim_model *m = make_copula(2, r2, marg);
  double *x = sample(m, 101, N);
  for (size_t j = 0; j < 2; j++)
    for (size_t k = 0; k < sizeof levels / sizeof levels[0]; k++) {
      const double p = levels[k];
      const double q = j == 0 ? 1 + 2 * gsl_cdf_tdist_Pinv(p, dfs[0]) : gsl_cdf_tdist_Pinv(p, dfs[1]);
      size_t below = 0;
      for (size_t i = 0; i < N; i++)
        below += x[i * 2 + j] <= q;
      assert_close((double) below / N, p, 4 * sqrt(p * (1 - p) / N));
    }
  free(x);
  issim_model_free(m);
}
END_TEST

/* Independent normal score: z with log Q(z) = lq, by bisection on GSL's
 * log erfc (no inverse function involved). */
static double bisect_upper_score(double lq)
{
  double lo = -40, hi = 1e5;
  for (int i = 0; i < 400 && hi - lo > 1e-16 * fabs(hi); i++) {
    const double mid = 0.5 * (lo + hi);
    const double lqm = mid >= 0 ? gsl_sf_log_erfc(mid / M_SQRT2) - M_LN2
                                : log1p(-0.5 * erfc(-mid / M_SQRT2));
    if (lqm > lq)
      lo = mid;
    else
      hi = mid;
  }
  return 0.5 * (lo + hi);
}

static double score_reference(const issim_dist *m, double x)
{
  const double lc = issim_dist_log_cdf(m, x), ls = issim_dist_log_sf(m, x);
  return lc < ls ? -bisect_upper_score(lc) : bisect_upper_score(ls);
}

/* The copula density by the transformation formula, written out here:
 * sum_j log f_j(x_j) - 1/2 log det R - 1/2 z^T (R^-1 - I) z, z_j =
 * Phi^-1(F_j(x_j)) by GSL's P and Pinv (moderate points) or by the
 * bisection above on issim's log tails (far points, where F_j(x_j) or its
 * complement is below 1e-300). */
static double copula_reference(size_t d, const double *r, issim_dist *const *marg,
                               const double *x, bool far)
{
  double z[3], lp = 0, log_det;
  for (size_t j = 0; j < d; j++) {
    lp += issim_dist_log_pdf1(marg[j], x[j]);
    if (far) {
      z[j] = score_reference(marg[j], x[j]);
    } else {
      const double *p = marg[j]->param;
      double u = NAN;
      switch (marg[j]->kind) {
      case ISSIM_DIST_STUDENT_T: u = gsl_cdf_tdist_P((x[j] - p[1]) / p[2], p[0]); break;
      case ISSIM_DIST_GAMMA: u = gsl_cdf_gamma_P(x[j], p[0], p[1]); break;
      case ISSIM_DIST_BETA: u = gsl_cdf_beta_P(x[j], p[0], p[1]); break;
      case ISSIM_DIST_LOGISTIC: u = gsl_cdf_logistic_P(x[j] - p[0], p[1]); break;
      default: ck_abort_msg("no reference for %s", issim_dist_name(marg[j]));
      }
      z[j] = gsl_cdf_ugaussian_Pinv(u);
    }
  }
  const double zrz = lu_quadratic(d, r, z, NULL, &log_det);
  double zz = 0;
  for (size_t j = 0; j < d; j++)
    zz += z[j] * z[j];
  return lp - 0.5 * log_det - 0.5 * (zrz - zz);
}

START_TEST(test_copula_log_pdf_matches_formula)
{
  issim_dist *marg[3] = {student(4, 0, 1.5), gamma_dist(2.5, 1),
                         dist("beta", 2, (const char *[]){"alpha", "beta"}, (double[]){2, 3})};
  issim_dist *keep[3] = {issim_dist_clone(marg[0]), issim_dist_clone(marg[1]),
                         issim_dist_clone(marg[2])};
  issim_model *m = make_copula(3, R3, marg);
  gsl_rng *r = seeded(111);
  double x[3];
  for (int t = 0; t < 200; t++) {
    x[0] = 1.5 * gsl_ran_tdist(r, 4);
    x[1] = gsl_ran_gamma(r, 2.5, 1);
    x[2] = gsl_ran_beta(r, 2, 3);
    assert_near(log_pdf1(m, x), copula_reference(3, R3, keep, x, false), 1e-9);
  }
  /* far tails: t at 1e6 and -1e80 (F ~ 1e-320: not a double), gamma at 800
   * (S ~ e^-795), beta at 1e-200 (F ~ 1e-400) */
  const double far[][3] = {{1e6, 30, 0.999}, {-1e80, 800, 1e-200}, {1e30, 1e-200, 0.5},
                           {-3, 400, 1e-300}};
  for (size_t t = 0; t < sizeof far / sizeof far[0]; t++) {
    const double lp = log_pdf1(m, far[t]), want = copula_reference(3, R3, keep, far[t], true);
    ck_assert_msg(isfinite(lp), "far point %zu: %g", t, lp);
    assert_near(lp, want, 1e-11);
  }
  for (int j = 0; j < 3; j++)
    issim_dist_free(keep[j]);
  gsl_rng_free(r);
  issim_model_free(m);
}
END_TEST

/* Outside a marginal's support: density 0; NaN stays NaN. */
START_TEST(test_copula_outside_support)
{
  const double r2[4] = {1, 0.5, 0.5, 1};
  issim_dist *marg[2] = {gamma_dist(2, 1), normal(0, 1)};
  issim_model *m = make_copula(2, r2, marg);
  ck_assert(log_pdf1(m, (double[]){-1, 0}) == -INFINITY);
  ck_assert(log_pdf1(m, (double[]){INFINITY, 0}) == -INFINITY);
  ck_assert(isnan(log_pdf1(m, (double[]){NAN, 0})));
  issim_model_free(m);
}
END_TEST

/* The density integrates to 1 and has the right marginals: 2-D adaptive
 * quadrature (a logistic and a gamma marginal, rho = 0.6). */
typedef struct {
  const issim_model *m;
  double *scratch;
  double x1;
} quad_ctx;

static double inner_integrand(double x2, void *p)
{
  quad_ctx *c = p;
  const double x[2] = {c->x1, x2};
  double lp;
  issim_model_log_pdf(c->m, 1, x, &lp, c->scratch);
  return exp(lp);
}

static double marginal_at(quad_ctx *c, double x1, double *abserr)
{
  gsl_integration_workspace *w = gsl_integration_workspace_alloc(1000);
  gsl_function f = {inner_integrand, c};
  double v;
  c->x1 = x1;
  ck_assert_int_eq(gsl_integration_qagiu(&f, 0, 1e-15, 1e-11, 1000, w, &v, abserr), GSL_SUCCESS);
  gsl_integration_workspace_free(w);
  return v;
}

static double outer_integrand(double x1, void *p)
{
  double err;
  return marginal_at(p, x1, &err);
}

START_TEST(test_copula_integrates_to_one)
{
  gsl_error_handler_t *old = gsl_set_error_handler_off();
  const double r2[4] = {1, 0.6, 0.6, 1};
  issim_dist *marg[2] = {dist("logistic", 2, (const char *[]){"location", "scale"},
                              (double[]){1, 0.7}),
                         gamma_dist(1.5, 2)};
  issim_dist *f1 = issim_dist_clone(marg[0]);
  issim_model *m = make_copula(2, r2, marg);
  quad_ctx c = {m, scratch_for(m, 1), 0};
  gsl_integration_workspace *w = gsl_integration_workspace_alloc(1000);
  gsl_function f = {outer_integrand, &c};
  double total, err;
  ck_assert_int_eq(gsl_integration_qagi(&f, 1e-12, 1e-10, 1000, w, &total, &err), GSL_SUCCESS);
  assert_close(total, 1, 1e-8);
  const double at[] = {-4, 0, 1, 2.5, 9};
  for (size_t k = 0; k < sizeof at / sizeof at[0]; k++) {
    const double got = marginal_at(&c, at[k], &err);
    assert_close(got, exp(issim_dist_log_pdf1(f1, at[k])), 1e-9 * got + 1e-15);
  }
  gsl_integration_workspace_free(w);
  free(c.scratch);
  issim_dist_free(f1);
  issim_model_free(m);
  gsl_set_error_handler(old);
}
END_TEST

/* Covariance of a copula: exact for lognormal marginals,
 * Cov = e^(m_i + m_j + (s_i^2 + s_j^2)/2) (e^(rho s_i s_j) - 1), and within
 * 4 SE of the sample covariance for gamma and logistic ones (SE from the
 * sample's own fourth moments). */
START_TEST(test_copula_moments)
{
  const double m[3] = {0, 0.5, -0.3}, s[3] = {0.5, 0.3, 0.8};
  issim_dist *ln[3];
  for (int j = 0; j < 3; j++)
    ln[j] = dist("lognormal", 2, (const char *[]){"meanlog", "sdlog"}, (double[]){m[j], s[j]});
  issim_model *c = make_copula(3, R3, ln);
  double mean[3], cov[9];
  ck_assert_int_eq(issim_model_moments(c, mean, cov), ISSIM_OK);
  for (int i = 0; i < 3; i++) {
    assert_near(mean[i], exp(m[i] + 0.5 * s[i] * s[i]), 1e-14);
    for (int j = 0; j < 3; j++) {
      const double want = exp(m[i] + m[j] + 0.5 * (s[i] * s[i] + s[j] * s[j])) *
                          expm1(R3[i * 3 + j] * s[i] * s[j]);
      assert_close(cov[i * 3 + j], want, 1e-10 * fabs(want));
    }
  }
  issim_model_free(c);

  enum { N = 100000 };
  issim_dist *marg[3] = {gamma_dist(2, 1.5),
                         dist("logistic", 2, (const char *[]){"location", "scale"},
                              (double[]){0, 2}),
                         gamma_dist(0.8, 1)};
  c = make_copula(3, R3, marg);
  ck_assert_int_eq(issim_model_moments(c, mean, cov), ISSIM_OK);
  double *x = sample(c, 121, N), sm[3], sc[9];
  sample_moments(N, 3, x, sm, sc);
  for (int i = 0; i < 3; i++) {
    assert_close(sm[i], mean[i], 4 * sqrt(cov[i * 4] / N));
    for (int j = 0; j <= i; j++) {
      double v = 0;
      for (size_t k = 0; k < N; k++) {
        const double p = (x[k * 3 + i] - sm[i]) * (x[k * 3 + j] - sm[j]) - sc[i * 3 + j];
        v += p * p;
      }
      assert_close(sc[i * 3 + j], cov[i * 3 + j], 4 * sqrt(v / (N - 1) / N));
    }
  }
  free(x);
  issim_model_free(c);

  issim_dist *heavy[2] = {student(2, 0, 1), normal(0, 1)};
  const double r2[4] = {1, 0.5, 0.5, 1};
  c = make_copula(2, r2, heavy);
  ck_assert_int_eq(issim_model_moments(c, mean, cov), ISSIM_EINVAL);
  issim_model_free(c);
}
END_TEST

/* Extreme marginals (a gamma of shape 0.01, whose lower quantiles
 * underflow) must not abort under GSL's default handler. */
/* issim_model_correlation: the copula's R (R3, symmetric already) back as
 * given; another kind is refused and its buffer untouched. */
START_TEST(test_copula_correlation_accessor)
{
  issim_dist *marg[3] = {normal(0, 1), normal(1, 2), student(4, 0, 1)};
  issim_model *m = make_copula(3, R3, marg);
  double r[9], untouched[9] = {7, 7, 7, 7, 7, 7, 7, 7, 7};
  ck_assert_int_eq(issim_model_correlation(m, r), ISSIM_OK);
  for (size_t i = 0; i < 9; i++)
    ck_assert_double_eq(r[i], R3[i]);
  const double zero[3] = {0}, id[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1};
  issim_model *n = make_normal(3, zero, id);
  ck_assert_int_eq(issim_model_correlation(n, untouched), ISSIM_EINVAL);
  ck_assert_double_eq(untouched[0], 7);
  issim_model_free(m), issim_model_free(n);
}
END_TEST

START_TEST(test_copula_extreme_marginals_do_not_abort)
{
  const double r2[4] = {1, 0.9, 0.9, 1};
  issim_dist *marg[2] = {gamma_dist(0.01, 1),
                         dist("beta", 2, (const char *[]){"alpha", "beta"}, (double[]){0.05, 0.05})};
  issim_model *m = make_copula(2, r2, marg);
  double *x = sample(m, 131, 2000);
  for (size_t i = 0; i < 2000; i++) {
    ck_assert(x[2 * i] >= 0 && x[2 * i] < INFINITY);
    ck_assert(x[2 * i + 1] >= 0 && x[2 * i + 1] <= 1);
  }
  free(x);
  issim_model_free(m);
}
END_TEST


static Suite *copula_suite(void)
{
  Suite *s = suite_create("copula");
  TCase *tc = tcase_create("copula");
  tcase_set_timeout(tc, 120);
  tcase_add_loop_test(tc, test_copula_normal_marginals_is_normal, 0, 3);
  tcase_add_test(tc, test_copula_normal_marginals_correlation);
  tcase_add_loop_test(tc, test_copula_quantiles_match_gsl, 0, 14);
  tcase_add_test(tc, test_copula_t_marginal_quantiles);
  tcase_add_test(tc, test_copula_transforms_round_trip);
  tcase_add_test(tc, test_copula_log_pdf_matches_formula);
  tcase_add_test(tc, test_copula_outside_support);
  tcase_add_test(tc, test_copula_integrates_to_one);
  tcase_add_test(tc, test_copula_moments);
  tcase_add_test(tc, test_copula_extreme_marginals_do_not_abort);
  tcase_add_test(tc, test_copula_correlation_accessor);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  return run_suite(copula_suite());
}
