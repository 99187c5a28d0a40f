/* Tests of src/calls.c: a run's cost in loss evaluations.  The counts are
 * checked against the model's own count of its calls (a function loss that
 * counts them), the design-point proposal's search against FORM's effort,
 * and --max-calls's stop at the same digits for 1 and 2 threads. */
#include <check.h>
#include <math.h>
#include <string.h>

#include "check_main.h"
#include "check_util.h"
#include "issim.h"

/* Two standard normals, the four-branch-like product event x1 x2 > 9 (two
 * regions): a search that is not a closed form. */
static const char *PRODUCT =
    "[target]\ndistribution = independent\ndimension = 2\ncomponent = normal\n"
    "[event]\nloss = expression\nexpression = x1*x2\nthreshold = 9\n"
    "[proposal crude]\ndistribution = target\n"
    "[proposal points]\ndistribution = shifted-target\nshift = design-points\n"
    "[run]\nsamples = 20000\nseed = 7\n";

START_TEST(test_budget_arithmetic)
{
  issim_calls c = {.model = 1, .regions = 100, .setup = 50};
  uint64_t n = 0;
  issim_error err;
  ck_assert_int_eq(issim_calls_draws_within(1000, &c, 0, &n, &err), ISSIM_OK);
  ck_assert_uint_eq(n, 850);
  /* with the pilot: n + pilot(n) <= 850, the largest such n; below 4096
   * draws the pilot is as large as the run */
  ck_assert_int_eq(issim_calls_draws_within(1000, &c, 1, &n, &err), ISSIM_OK);
  ck_assert_uint_eq(n, 425);
  ck_assert_int_eq(issim_calls_draws_within(10000150, &c, 1, &n, &err), ISSIM_OK);
  ck_assert_uint_le(n + issim_quantile_pilot_draws(n), 10000000);
  ck_assert_uint_gt(n + 1 + issim_quantile_pilot_draws(n + 1), 10000000);
  /* a set-up that spends the budget, and an event with no model */
  ck_assert_int_eq(issim_calls_draws_within(150, &c, 0, &n, &err), ISSIM_EINVAL);
  ck_assert_ptr_nonnull(strstr(err.message, "already made 150 loss evaluations"));
  c.model = 0;
  ck_assert_int_eq(issim_calls_draws_within(1000, &c, 0, &n, &err), ISSIM_EINVAL);
  ck_assert_ptr_nonnull(strstr(err.message, "calls no model"));
  ck_assert_uint_eq(issim_calls_total(&c), 0);
}
END_TEST

/* The loss's counter against the model's own count: a search's evaluations
 * (design points) and an engine run's (one per draw, whatever the threads). */
START_TEST(test_counts_are_the_models_calls)
{
  uint64_t count = 0;
  issim_loss *g = counting_sum_loss(2, INFINITY, &count);
  issim_model *target = independent_normals(2, NULL, NULL);
  issim_event ev = issim_event_init(g, 5, ISSIM_ABOVE);
  double x[2 * 4], beta[4];
  size_t n;
  issim_design_stats st;
  issim_error err;
  ck_assert_int_eq(issim_design_points_stats(target, &ev, 4, x, beta, NULL, &n, &st, &err),
                   ISSIM_OK);
  ck_assert_uint_gt(count, 0);
  ck_assert_uint_eq(issim_loss_calls(g), count);
  ck_assert_uint_eq(st.loss_evals, count);
  const uint64_t search = count;
  for (int threads = 1; threads <= 2; threads++) {
    uint64_t before = count;
    issim_problem pb = {.target = target, .event = ev};
    issim_run_config cfg = {.samples = 70000, .seed = 3, .rng = gsl_rng_taus2, .threads = threads};
    issim_run_output out = {0};
    ck_assert_int_eq(issim_engine_run(&pb, &cfg, &out, &err), ISSIM_OK);
    ck_assert_uint_eq(out.acc.n, 70000);
    ck_assert_uint_eq(count - before, 70000); /* one call a draw, no more */
    ck_assert_uint_eq(issim_loss_calls(g), search); /* the engine's copies are its own */
  }
  issim_model_free(target);
  issim_loss_free(g);
}
END_TEST

static issim_workflow *workflow_of(const issim_scenario *s, int threads, uint64_t max_calls)
{
  issim_workflow_settings set = {.threads = threads, .max_calls = max_calls};
  issim_workflow *wf = issim_workflow_alloc(s, &set);
  ck_assert_ptr_nonnull(wf);
  return wf;
}

/* A run of N draws makes N + the regions' search; a design-points
 * proposal's own search is FORM's search, evaluation for evaluation. */
START_TEST(test_run_counts)
{
  issim_scenario *s = scenario_parse_ok(PRODUCT, "product.ini");
  issim_problem pb = issim_scenario_problem(s, NULL);
  issim_form_result f;
  issim_error err;
  ck_assert_int_eq(issim_form_analyse_problem(&pb, &f, &err), ISSIM_OK);
  const issim_proposal *points = issim_scenario_proposal(s, "points");
  ck_assert_uint_gt(points->search_calls, 0);
  ck_assert_uint_eq(points->search_calls, f.design_evals);
  issim_form_result_free(&f);
  issim_workflow *wf = workflow_of(s, 2, 0);
  issim_result r[2];
  size_t n;
  ck_assert_int_eq(issim_workflow_run(wf, 0, r, &n, &err), ISSIM_OK);
  ck_assert_uint_eq(n, 2);
  const issim_regions *rg = issim_workflow_regions(wf, &err);
  ck_assert_uint_gt(rg->loss_calls, 0);
  ck_assert_uint_eq(rg->loss_calls, rg->stats.loss_evals);
  ck_assert(r[0].calls.model);
  ck_assert_uint_eq(r[0].calls.draws, 20000);
  ck_assert_uint_eq(issim_calls_total(&r[0].calls), 20000 + rg->loss_calls);
  ck_assert_uint_eq(issim_calls_total(&r[1].calls),
                    20000 + rg->loss_calls + points->search_calls);
  for (size_t i = 0; i < n; i++)
    issim_result_clear(&r[i]);
  issim_workflow_free(wf);
  issim_scenario_free(s);
}
END_TEST

/* --max-calls: the draws cut to the budget, stopped by it, the same digits
 * for 1 and 2 threads; a budget the set-up spends is an error. */
START_TEST(test_max_calls_stops_reproducibly)
{
  issim_scenario *s = scenario_parse_ok(PRODUCT, "product.ini");
  const issim_proposal *points = issim_scenario_proposal(s, "points");
  issim_result r[2][2];
  issim_error err;
  uint64_t budget = 12345 + 2 * points->search_calls;
  for (int t = 0; t < 2; t++) {
    issim_workflow *wf = workflow_of(s, t + 1, budget);
    size_t n;
    ck_assert_int_eq(issim_workflow_run(wf, 0, r[t], &n, &err), ISSIM_OK);
    ck_assert_uint_eq(n, 2);
    const issim_regions *rg = issim_workflow_regions(wf, &err);
    for (size_t i = 0; i < 2; i++) {
      ck_assert_int_eq(r[t][i].stopped_by, ISSIM_STOP_CALLS);
      ck_assert_uint_eq(issim_calls_total(&r[t][i].calls), budget);
      ck_assert_uint_eq(r[t][i].estimate.samples,
                        budget - rg->loss_calls - (i ? points->search_calls : 0));
      issim_result_clear(&r[t][i]);
    }
    issim_workflow_free(wf);
  }
  for (size_t i = 0; i < 2; i++) {
    ck_assert_uint_eq(r[0][i].estimate.samples, r[1][i].estimate.samples);
    ck_assert(r[0][i].estimate.log_estimate == r[1][i].estimate.log_estimate);
    double a = r[0][i].estimate.relative_error, b = r[1][i].estimate.relative_error;
    ck_assert((isnan(a) && isnan(b)) || a == b); /* NaN: no hit */
  }
  issim_workflow *wf = workflow_of(s, 2, 10);
  size_t n;
  ck_assert_int_eq(issim_workflow_run(wf, 0, r[0], &n, &err), ISSIM_EINVAL);
  ck_assert_uint_eq(n, 0);
  ck_assert_ptr_nonnull(strstr(err.message, "nothing is left for the draws"));
  issim_workflow_free(wf);
  issim_scenario_free(s);
}
END_TEST

/* An event on x itself calls no model: every count 0, and no budget. */
START_TEST(test_event_on_x_calls_nothing)
{
  issim_scenario *s = scenario_of_text("distribution = normal", 4, "distribution = normal\nmean = 4");
  issim_workflow *wf = workflow_of(s, 2, 0);
  issim_result r[1];
  size_t n;
  issim_error err;
  ck_assert_int_eq(issim_workflow_run(wf, 0, r, &n, &err), ISSIM_OK);
  ck_assert(!r[0].calls.model);
  ck_assert_uint_eq(issim_calls_total(&r[0].calls), 0);
  issim_result_clear(&r[0]);
  issim_workflow_free(wf);
  wf = workflow_of(s, 2, 1000);
  ck_assert_int_eq(issim_workflow_run(wf, 0, r, &n, &err), ISSIM_EINVAL);
  issim_workflow_free(wf);
  issim_scenario_free(s);
}
END_TEST

static Suite *calls_suite(void)
{
  Suite *s = suite_create("calls");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_budget_arithmetic);
  tcase_add_test(tc, test_counts_are_the_models_calls);
  tcase_add_test(tc, test_run_counts);
  tcase_add_test(tc, test_max_calls_stops_reproducibly);
  tcase_add_test(tc, test_event_on_x_calls_nothing);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  return run_suite(calls_suite());
}
