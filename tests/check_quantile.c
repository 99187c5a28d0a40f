/* Tests of src/quantile.c: exact quantiles against GSL's inverse
 * distribution functions (normal, t and Weibull targets, a normal and a t
 * portfolio, the largest of 100 normals), and the pilot: its size, a grid
 * that holds the exact quantile, and the quantiles it cannot place. */
#include <check.h>
#include <math.h>
#include <string.h>

#include <gsl/gsl_cdf.h>

#include "check_main.h"
#include "check_util.h"
#include "issim.h"

START_TEST(test_pilot_draws)
{
  ck_assert_uint_eq(issim_quantile_pilot_draws(1000), 1000);
  ck_assert_uint_eq(issim_quantile_pilot_draws(20000), 4096);
  ck_assert_uint_eq(issim_quantile_pilot_draws(1000000), 62500);
  ck_assert_uint_eq(issim_quantile_pilot_draws(100000000), ISSIM_QUANTILE_PILOT_MAX);
}
END_TEST

#define PORTFOLIO(family)                                                                  \
  "[target]\ndistribution = " family "\ndimension = 10\nsd = 0.01\ncorrelation = 0.3\n"   \
  "[event]\nloss = linear\nweights = -0.1\nthreshold = 5 sigma\n"                          \
  "[proposal design-point]\ndistribution = shifted-target\nshift = design-point\n"         \
  "[proposal crude]\ndistribution = target\n"

/* The loss of the 10-asset portfolio: 0.1 * 0.01 * sqrt(10 + 90 * 0.3) times a
 * standard normal or t (its scale: the t's sd is sqrt(2) times it at df 4). */
static const double portfolio_scale = 0.001 * 6.0827625302982196;

static double exact_of(const char *text, double alpha)
{
  issim_scenario *s = scenario_parse_ok(text, "test.ini");
  issim_problem pb = issim_scenario_problem(s, NULL);
  double q = issim_quantile_exact(&pb, alpha, s->event.threshold);
  issim_scenario_free(s);
  return q;
}

START_TEST(test_exact_quantiles)
{
  const double alphas[] = {1e-2, 1e-6, 1e-12, 1e-100};
  for (size_t i = 0; i < 4; i++) {
    double a = alphas[i];
    double normal = exact_of("[target]\ndistribution = normal\n[event]\nthreshold = 5\n"
                             "[proposal c]\ndistribution = target\n", a);
    assert_close(normal, gsl_cdf_ugaussian_Qinv(a), 1e-10 * fabs(normal));
    double t3 = exact_of("[target]\ndistribution = student-t\ndf = 3\n[event]\nthreshold = 5\n"
                         "[proposal c]\ndistribution = target\n", a);
    if (a >= 1e-12) /* GSL's t inverse loses digits further out */
      assert_close(t3, gsl_cdf_tdist_Qinv(a, 3), 1e-8 * t3);
    double weibull = exact_of("[target]\ndistribution = weibull\nshape = 5\nscale = 1\n"
                              "[event]\nthreshold = 0.02\ndirection = <\n"
                              "[proposal c]\ndistribution = target\n", a);
    assert_close(weibull, pow(-log1p(-a), 0.2), 1e-10 * weibull); /* F^-1(a) */
  }
  double pn = exact_of(PORTFOLIO("multivariate-normal"), 1e-6);
  assert_close(pn, portfolio_scale * gsl_cdf_ugaussian_Qinv(1e-6), 1e-12);
  double pt = exact_of(PORTFOLIO("multivariate-t\ndf = 4"), 1e-6);
  assert_close(pt, portfolio_scale * gsl_cdf_tdist_Qinv(1e-6, 4), 1e-12);
  /* the largest of 100 normals: P(max > q) = 1 - Phi(q)^100 */
  double mx = exact_of("[target]\ndistribution = independent\ndimension = 100\n"
                       "component = normal\n[event]\nloss = max\nthreshold = 4\n"
                       "[proposal c]\ndistribution = target\n", 1e-5);
  assert_close(mx, gsl_cdf_ugaussian_Qinv(-expm1(log1p(-1e-5) / 100)), 1e-9);
  /* no exact P: no exact quantile */
  ck_assert(isnan(exact_of("[target]\ndistribution = independent\ndimension = 2\n"
                           "component = normal\n[event]\nloss = expression\n"
                           "expression = x1 * x2\nthreshold = 9\n"
                           "[proposal c]\ndistribution = target\n", 1e-6)));
}
END_TEST

static void pilot_of(const char *text, const char *proposal, uint64_t n, size_t k,
                     const double *alpha, issim_quantile_pilot *out)
{
  issim_scenario *s = scenario_parse_ok(text, "test.ini");
  const issim_proposal *p = issim_scenario_proposal(s, proposal);
  issim_problem pb = issim_scenario_problem(s, p);
  issim_run_config cfg = run_config_of(s, proposal, n, 42, 2);
  issim_error err;
  ck_assert_int_eq(issim_quantile_pilot_run(&pb, &cfg, k, alpha, out, &err), ISSIM_OK);
  issim_scenario_free(s);
}

/* The design-point proposal's pilot places grids that hold the exact
 * quantiles; the grid has ISSIM_QUANTILE_GRID thresholds from lo to hi. */
START_TEST(test_pilot_places_grid)
{
  const double alpha[] = {1e-5, 1e-7};
  issim_quantile_pilot p[2];
  pilot_of(PORTFOLIO("multivariate-normal"), "design-point", 1000000, 2, alpha, p);
  for (size_t j = 0; j < 2; j++) {
    double exact = portfolio_scale * gsl_cdf_ugaussian_Qinv(alpha[j]);
    ck_assert_msg(p[j].placed, "%s", p[j].reason);
    ck_assert_msg(p[j].lo < exact && exact < p[j].hi, "exact %g outside the grid [%g, %g]",
                  exact, p[j].lo, p[j].hi);
    ck_assert(p[j].lo < p[j].estimate && p[j].estimate < p[j].hi);
    /* a 62500-draw pilot of relative error ~1%: a grid a few percent of q wide */
    ck_assert(p[j].hi - p[j].lo < 0.05 * exact);
    double t[ISSIM_QUANTILE_GRID];
    issim_quantile_grid(&p[j], t);
    ck_assert(t[0] == p[j].lo && t[ISSIM_QUANTILE_GRID - 1] == p[j].hi);
    for (size_t i = 1; i < ISSIM_QUANTILE_GRID; i++)
      ck_assert(t[i] > t[i - 1]);
  }
  /* the lower tail: Weibull(5, 1) below its 1e-9 quantile, q = 0.0158 */
  const double a9 = 1e-9;
  issim_quantile_pilot w;
  pilot_of("[target]\ndistribution = weibull\nshape = 5\nscale = 1\n[event]\nthreshold = 0.02\n"
           "direction = <\n[proposal scaled]\ndistribution = weibull\nshape = 5\nscale = 0.02\n",
           "scaled", 1000000, 1, &a9, &w);
  double exact = pow(-log1p(-a9), 0.2);
  ck_assert_msg(w.placed && w.lo < exact && exact < w.hi, "%g [%g, %g] %s", exact, w.lo, w.hi,
                w.reason);
}
END_TEST

/* Plain Monte Carlo's pilot cannot reach 1e-9; a proposal that lives beyond
 * 3 carries P(X > 3) = 1.3e-3 in all, short of alpha = 0.01. */
START_TEST(test_pilot_unplaced)
{
  const double a = 1e-9;
  issim_quantile_pilot p;
  pilot_of(PORTFOLIO("multivariate-normal"), "crude", 1000000, 1, &a, &p);
  ck_assert(!p.placed && isnan(p.estimate));
  ck_assert_msg(strstr(p.reason, "beyond every pilot draw") != NULL, "%s", p.reason);
  const double b = 0.01;
  pilot_of("[target]\ndistribution = normal\n[event]\nthreshold = 3\n"
           "[proposal e]\ndistribution = exponential\nlocation = 3\nrate = 3\n", "e", 100000, 1,
           &b, &p);
  ck_assert(!p.placed);
  ck_assert_msg(strstr(p.reason, "less than alpha") != NULL, "%s", p.reason);
}
END_TEST

static Suite *quantile_suite(void)
{
  Suite *s = suite_create("quantile");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_pilot_draws);
  tcase_add_test(tc, test_exact_quantiles);
  tcase_add_test(tc, test_pilot_places_grid);
  tcase_add_test(tc, test_pilot_unplaced);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  return run_suite(quantile_suite());
}
