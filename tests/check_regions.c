/* Tests of src/regions.c: the failure regions of an event and the check of a
 * proposal against them, on events with several regions whose answers are
 * known (x1 x2 > 9, a union of half-spaces, a parabola), and the verdict it
 * leads to at several seeds. */
#include <check.h>
#include <gsl/gsl_cdf.h>
#include <math.h>
#include <string.h>

#include "check_main.h"
#include "check_util.h"
#include "issim.h"

/* P(X1 X2 > 9) for independent standard normals: 2 int_0^inf phi(x) Q(9/x)
 * dx, by adaptive quadrature at 30 digits (mpmath). */
#define PRODUCT_EXACT 1.54329287680085827e-5

static const char *PRODUCT =
    "[target]\ndistribution = independent\ndimension = 2\ncomponent = normal\n"
    "[event]\nloss = expression\nexpression = x1*x2\nthreshold = 9\n"
    "[proposal design-point]\ndistribution = shifted-target\nshift = design-point\n"
    "[proposal design-points]\ndistribution = shifted-target\nshift = design-points\n"
    "[proposal crude]\ndistribution = target\n";

static void find(const issim_scenario *s, issim_regions *r)
{
  issim_problem pb = issim_scenario_problem(s, NULL);
  issim_error err;
  ck_assert_int_eq(issim_regions_find(&pb, r, &err), ISSIM_OK);
}

START_TEST(test_two_regions_of_a_product)
{
  issim_scenario *s = scenario_parse_ok(PRODUCT, "product.ini");
  issim_regions r;
  find(s, &r);
  ck_assert_uint_eq(r.n, 2);
  double beta = 3 * sqrt(2.0);
  for (size_t i = 0; i < 2; i++) {
    assert_close(r.beta[i], beta, 1e-6);
    assert_close(r.share[i], 0.5, 1e-6);
    assert_close(fabs(r.x[2 * i]), 3, 1e-6);
    ck_assert(r.x[2 * i] * r.x[2 * i + 1] > 0); /* (3, 3) and (-3, -3) */
    /* the half-space through the point, normal to it: a . x* = b */
    assert_close(r.a[2 * i] * r.x[2 * i] + r.a[2 * i + 1] * r.x[2 * i + 1], r.b[i], 1e-6);
    /* under the target, its probability is Q(beta) */
    assert_close(issim_regions_log_prob(&r, i, NULL), log(gsl_cdf_ugaussian_Q(beta)), 1e-9);
  }
  /* the target shifted to (3, 3): a . X is N(a . (3, 3), 1) for |a| = 1 */
  const issim_proposal *p = issim_scenario_proposal(s, "design-point");
  size_t near = r.x[0] > 0 ? 0 : 1, far = 1 - near;
  assert_close(issim_regions_log_prob(&r, near, p->model), log(0.5), 1e-6);
  assert_close(issim_regions_log_prob(&r, far, p->model), log(gsl_cdf_ugaussian_Q(2 * beta)),
               1e-6);
  /* the mixture of both shifts: half of each component's */
  p = issim_scenario_proposal(s, "design-points");
  double both = 0.5 * 0.5 + 0.5 * gsl_cdf_ugaussian_Q(2 * beta);
  assert_close(issim_regions_log_prob(&r, far, p->model), log(both), 1e-6);
  issim_regions_free(&r);
  issim_scenario_free(s);
}
END_TEST

START_TEST(test_the_check_finds_the_neglected_region)
{
  issim_scenario *s = scenario_parse_ok(PRODUCT, "product.ini");
  issim_regions r;
  find(s, &r);
  issim_region_check c;
  double share;
  size_t worst = 99;
  /* one design point: the other region is out of reach at any N it can run */
  issim_regions_check(&r, issim_scenario_proposal(s, "design-point")->model, &c);
  ck_assert_uint_eq(c.n_checked, 2);
  ck_assert_uint_eq(issim_region_check_short(&c, 1e12, 1, &share, &worst), 1);
  assert_close(share, 0.5, 1e-6);
  ck_assert(strstr(c.where[worst], "-3") != NULL);
  /* both: nothing neglected */
  issim_regions_check(&r, issim_scenario_proposal(s, "design-points")->model, &c);
  ck_assert_uint_eq(issim_region_check_short(&c, 10, 1, &share, &worst), 0);
  /* the target itself neglects no region, even where it visits none */
  issim_regions_check(&r, NULL, &c);
  ck_assert_uint_eq(issim_region_check_short(&c, 10, 1, &share, &worst), 0);
  issim_regions_free(&r);
  issim_scenario_free(s);
}
END_TEST

/* The example at several seeds: one design point is unreliable,
 * naming the missed region; both are trustworthy and within 4 SE. */
START_TEST(test_product_verdicts_at_several_seeds)
{
  issim_scenario *s = scenario_parse_ok(PRODUCT, "product.ini");
  for (uint64_t seed = 1; seed <= 4; seed++) {
    issim_error err;
    issim_result one, both;
    issim_run_config cfg = run_config_of(s, "design-point", 100000, seed, 2);
    ck_assert_int_eq(issim_analyse(s, issim_scenario_proposal(s, "design-point"), &cfg, 0, &one,
                                   &err), ISSIM_OK);
    ck_assert_int_eq(one.verdict.level, ISSIM_UNRELIABLE);
    ck_assert_msg(strstr(one.verdict.reasons[0], "(-3, -3)") &&
                      strstr(one.verdict.reasons[0], "cannot have visited"),
                  "%s", one.verdict.reasons[0]);
    /* and it is wrong: about half the truth, far beyond its error bar */
    ck_assert(fabs(one.estimate.estimate - PRODUCT_EXACT) > 20 * one.estimate.std_error);
    cfg = run_config_of(s, "design-points", 100000, seed, 2);
    ck_assert_int_eq(issim_analyse(s, issim_scenario_proposal(s, "design-points"), &cfg, 0,
                                   &both, &err), ISSIM_OK);
    ck_assert_msg(both.verdict.level == ISSIM_TRUSTWORTHY, "%s", both.verdict.reasons[0]);
    ck_assert_within_4se(both.estimate.estimate, PRODUCT_EXACT, both.estimate.std_error);
    issim_result_clear(&one);
    issim_result_clear(&both);
  }
  issim_scenario_free(s);
}
END_TEST

/* max(x1, x2) > 4 with a proposal on one half-space, away from the other: the union of two
 * half-spaces, found in closed form; the covered one is fine. */
START_TEST(test_union_of_half_spaces)
{
  issim_scenario *s = scenario_parse_ok(
      "[target]\ndistribution = independent\ndimension = 2\ncomponent = normal\n"
      "[event]\nloss = max\nthreshold = 4\n"
      "[proposal one]\ndistribution = independent\ncomponent = normal\nmean = 4 -4\n"
      "[proposal both]\ndistribution = shifted-target\nshift = design-points\n",
      "max.ini");
  issim_regions r;
  find(s, &r);
  ck_assert_uint_eq(r.n, 2);
  ck_assert(r.stats.closed_form);
  double exact = 1 - pow(1 - gsl_cdf_ugaussian_Q(4), 2);
  issim_error err;
  issim_result one, both;
  issim_run_config cfg = run_config_of(s, "one", 100000, 7, 2);
  ck_assert_int_eq(issim_analyse(s, issim_scenario_proposal(s, "one"), &cfg, 0, &one, &err),
                   ISSIM_OK);
  ck_assert_int_eq(one.verdict.level, ISSIM_UNRELIABLE);
  ck_assert(strstr(one.verdict.reasons[0], "(0, 4)") != NULL);
  cfg = run_config_of(s, "both", 100000, 7, 2);
  ck_assert_int_eq(issim_analyse(s, issim_scenario_proposal(s, "both"), &cfg, 0, &both, &err),
                   ISSIM_OK);
  ck_assert_int_eq(both.verdict.level, ISSIM_TRUSTWORTHY);
  ck_assert_within_4se(both.estimate.estimate, exact, both.estimate.std_error);
  issim_result_clear(&one);
  /* on the other's boundary, (4, 0): Q(4) N = 3 expected visits, a lottery */
  issim_scenario *near = scenario_parse_ok(
      "[target]\ndistribution = independent\ndimension = 2\ncomponent = normal\n"
      "[event]\nloss = max\nthreshold = 4\n"
      "[proposal one]\ndistribution = independent\ncomponent = normal\nmean = 4 0\n",
      "near.ini");
  cfg = run_config_of(near, "one", 100000, 7, 2);
  ck_assert_int_eq(issim_analyse(near, &near->proposals[0], &cfg, 0, &one, &err), ISSIM_OK);
  ck_assert_int_eq(one.verdict.level, ISSIM_DOUBTFUL);
  ck_assert(strstr(one.verdict.reasons[0], "only a few times") != NULL);
  issim_scenario_free(near);
  issim_result_clear(&one);
  issim_result_clear(&both);
  issim_regions_free(&r);
  issim_scenario_free(s);
}
END_TEST

/* No check where there is one region, or no standard space. */
START_TEST(test_no_regions_to_check)
{
  issim_scenario *s = scenario_parse_ok(
      "[target]\ndistribution = multivariate-normal\ndimension = 3\n"
      "[event]\nloss = sum\nthreshold = 6\n[proposal crude]\ndistribution = target\n",
      "sum.ini");
  issim_regions r;
  find(s, &r);
  ck_assert_uint_eq(r.n, 0);
  ck_assert(strstr(r.why_none, "linear") != NULL);
  issim_scenario_free(s);
  s = scenario_parse_ok("[target]\ndistribution = normal\n[event]\nthreshold = 5\n"
                        "[proposal crude]\ndistribution = target\n", "one.ini");
  find(s, &r);
  ck_assert_uint_eq(r.n, 0);
  issim_scenario_free(s);
}

START_TEST(test_a_failing_model_is_an_error)
{
  /* not "no region found": the check would then be skipped in silence */
  issim_model *p = independent_normals(2, NULL, NULL);
  issim_loss *g = counting_sum_loss(2, 0.5, NULL);
  issim_problem pb = {.target_model = p, .event = issim_event_init(g, 3, ISSIM_ABOVE)};
  issim_regions r;
  issim_error err;
  ck_assert_int_eq(issim_regions_find(&pb, &r, &err), ISSIM_ELOSS);
  ck_assert_msg(strstr(err.message, "counting sum failed") != NULL, "%s", err.message);
  ck_assert_uint_eq(r.n, 0);
  issim_regions_free(&r);
  issim_loss_free(g);
  issim_model_free(p);
}
END_TEST

END_TEST

static Suite *regions_suite(void)
{
  Suite *s = suite_create("regions");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_two_regions_of_a_product);
  tcase_add_test(tc, test_the_check_finds_the_neglected_region);
  tcase_add_test(tc, test_product_verdicts_at_several_seeds);
  tcase_add_test(tc, test_union_of_half_spaces);
  tcase_add_test(tc, test_no_regions_to_check);
  tcase_add_test(tc, test_a_failing_model_is_an_error);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  return run_suite(regions_suite());
}
