/* Tests of src/scenario_levels.c: [event] threshold lists (the main
 * threshold first written, the levels sorted and unique, K sigma resolved in
 * either direction), quantile lists, the command line's overrides, and every
 * error with its line or its option. */
#include <check.h>
#include <math.h>
#include <string.h>

#include "check_main.h"
#include "check_util.h"
#include "issim.h"

#define PORTFOLIO_TARGET                                                                   \
  "[target]\ndistribution = multivariate-normal\ndimension = 10\nsd = 0.01\n"             \
  "correlation = 0.3\n"
#define PROPOSAL "[proposal c]\ndistribution = target\n"

/* The loss sd of the portfolio: 0.1 * 0.01 * sqrt(37). */
static const double sd = 0.001 * 6.0827625302982196;

START_TEST(test_threshold_list)
{
  issim_scenario *s = scenario_parse_ok(PORTFOLIO_TARGET "[event]\nloss = linear\nweights = -0.1\n"
                                        "threshold = 5 sigma, 3 sigma .. 7 sigma, 4 sigma\n"
                                        PROPOSAL, "test.ini");
  ck_assert_double_eq_tol(s->event.threshold, 5 * sd, 1e-15);
  ck_assert_double_eq(s->event.threshold_sigmas, 5);
  ck_assert_uint_eq(s->n_levels, 9); /* 5 and 4 repeat levels of the range */
  for (size_t k = 0; k < 9; k++) {
    ck_assert_double_eq(s->level_sigmas[k], 3 + 0.5 * (double)k);
    ck_assert_double_eq_tol(s->levels[k], (3 + 0.5 * (double)k) * sd, 1e-15);
    if (k)
      ck_assert(s->levels[k] > s->levels[k - 1]);
  }
  ck_assert_uint_eq(s->n_quantiles, 0);
  issim_scenario_free(s);
  /* a lower tail: K sigma below the mean, numbers as written; main first */
  s = scenario_parse_ok("[target]\ndistribution = normal\nmean = 1\nsd = 2\n"
                        "[event]\ndirection = <\nthreshold = 2 sigma, -10, 3 sigma\n" PROPOSAL,
                        "test.ini");
  ck_assert_double_eq(s->event.threshold, -3);
  ck_assert_uint_eq(s->n_levels, 3);
  ck_assert(s->levels[0] == -10 && s->levels[1] == -5 && s->levels[2] == -3);
  ck_assert(isnan(s->level_sigmas[0]) && s->level_sigmas[1] == 3 && s->level_sigmas[2] == 2);
  issim_scenario_free(s);
  /* a single threshold is a list of one */
  s = scenario_parse_ok("[target]\ndistribution = normal\n[event]\nthreshold = 5\n" PROPOSAL,
                        "test.ini");
  ck_assert(s->n_levels == 1 && s->levels[0] == 5 && isnan(s->level_sigmas[0]));
  issim_scenario_free(s);
}
END_TEST

START_TEST(test_quantile_list)
{
  issim_scenario *s = scenario_parse_ok("[target]\ndistribution = normal\n[event]\n"
                                        "threshold = 5\nquantile = 1e-6, 0.01\n" PROPOSAL,
                                        "test.ini");
  ck_assert_uint_eq(s->n_quantiles, 2);
  ck_assert(s->quantiles[0] == 1e-6 && s->quantiles[1] == 0.01);
  issim_scenario_free(s);
}
END_TEST

/* The command line's lists replace the file's before anything is built. */
START_TEST(test_overrides)
{
  issim_scenario_overrides ov = {.threshold = "4, 2 .. 3 count 2", .quantile = "1e-3"};
  issim_error err;
  const char *text = "[target]\ndistribution = normal\n[event]\nthreshold = 5\nquantile = 1e-6\n"
                     PROPOSAL;
  issim_scenario *s = issim_scenario_parse_with(text, strlen(text), "test.ini", NULL, &ov, &err);
  ck_assert_msg(s != NULL, "%s", err.message);
  ck_assert_double_eq(s->event.threshold, 4);
  ck_assert(s->n_levels == 3 && s->levels[0] == 2 && s->levels[2] == 4);
  ck_assert(s->n_quantiles == 1 && s->quantiles[0] == 1e-3);
  issim_scenario_free(s);
  ov = (issim_scenario_overrides){.threshold = "4 .. x"};
  s = issim_scenario_parse_with(text, strlen(text), "test.ini", NULL, &ov, &err);
  ck_assert_ptr_null(s);
  ck_assert_int_eq(err.code, ISSIM_EINVAL);
  ck_assert_msg(strncmp(err.message, "--threshold: threshold: cannot read '4 .. x'", 44) == 0, "%s",
                err.message);
  ov = (issim_scenario_overrides){.quantile = "2"};
  s = issim_scenario_parse_with(text, strlen(text), "test.ini", NULL, &ov, &err);
  ck_assert_ptr_null(s);
  ck_assert_msg(strstr(err.message, "--quantile: quantile = 2: each value is a probability") ==
                    err.message, "%s", err.message);
}
END_TEST

static void expect_error(const char *text, const char *message)
{
  issim_error err;
  issim_scenario *s = issim_scenario_parse(text, "test.ini", &err);
  ck_assert_ptr_null(s);
  ck_assert_int_eq(err.code, ISSIM_EINVAL);
  ck_assert_msg(strstr(err.message, message) != NULL, "want '%s', got '%s'", message, err.message);
}

START_TEST(test_errors)
{
  expect_error("[target]\ndistribution = normal\n[event]\nthreshold = 5, 6 sigmas\n" PROPOSAL,
               "test.ini:4: threshold: cannot read '6 sigmas': not a number or 'K sigma'");
  expect_error("[target]\ndistribution = normal\n[event]\nthreshold = 4,5\n" PROPOSAL,
               "test.ini:4: threshold: '4,5' has a comma between two digits");
  /* K sigma needs the loss's moments */
  expect_error("[target]\ndistribution = independent\ndimension = 2\ncomponent = normal\n"
               "[event]\nloss = expression\nexpression = x1 * x2\n"
               "threshold = 9, 3 sigma\n" PROPOSAL,
               "test.ini:8: threshold = 9, 3 sigma needs the loss's mean and standard deviation");
  /* a level where the event is impossible: on the line, and for a loss */
  expect_error("[target]\ndistribution = uniform\n[event]\nthreshold = 0.5, 0.2 .. 1 count 5\n"
               PROPOSAL, "test.ini:4: the threshold 1 of the list makes the event impossible "
                         "under the target (the loss ranges over [0, 1])");
  expect_error("[target]\ndistribution = independent\ndimension = 3\ncomponent = uniform\n"
               "[event]\nloss = max\nthreshold = 0.9, 2\n" PROPOSAL,
               "test.ini:7: the threshold 2 of the list makes the event impossible");
  /* K sigma beyond the largest double: a level at -inf was estimated (P = 1 at "t = -inf") */
  expect_error("[target]\ndistribution = normal\nsd = 10\n[event]\n"
               "threshold = 5 sigma, -1e308 sigma\n" PROPOSAL,
               "test.ini:5: threshold = 5 sigma, -1e308 sigma: -1e+308 sigma (of a loss with mean "
               "0 and sd 10) lies beyond the largest double");
  expect_error("[target]\ndistribution = normal\nsd = 10\n[event]\n"
               "threshold = 5 sigma, 1e308 sigma\n" PROPOSAL,
               "test.ini:5: threshold = 5 sigma, 1e308 sigma: 1e+308 sigma (of a loss with mean "
               "0 and sd 10) lies beyond the largest double");
  expect_error("[target]\ndistribution = normal\n[event]\nthreshold = 5\nquantile = 0\n" PROPOSAL,
               "test.ini:5: quantile = 0: each value is a probability alpha above 0 and below 1");
  expect_error("[target]\ndistribution = normal\n[event]\nthreshold = 5\n"
               "quantile = 1e-3 .. 1e-6\n" PROPOSAL,
               "test.ini:5: quantile = 1e-3 .. 1e-6: give the probabilities one by one");
  expect_error("[target]\ndistribution = normal\n[event]\nthreshold = 5\n"
               "quantile = 1 sigma\n" PROPOSAL, "test.ini:5: quantile = 1 sigma: each value");
  expect_error("[target]\ndistribution = normal\n[event]\nthreshold = 5\n"
               "quantile = 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9\n" PROPOSAL,
               "test.ini:5: quantile: at most 8 thresholds in all");
  expect_error("[target]\ndistribution = normal\n[event]\nthreshold = 0 .. 1 step 0.001\n"
               PROPOSAL, "gives 1001 values; at most 100 thresholds in all");
}
END_TEST

static Suite *levels_suite(void)
{
  Suite *s = suite_create("scenario_levels");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, test_threshold_list);
  tcase_add_test(tc, test_quantile_list);
  tcase_add_test(tc, test_overrides);
  tcase_add_test(tc, test_errors);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  return run_suite(levels_suite());
}
