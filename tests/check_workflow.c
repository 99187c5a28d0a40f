/* Tests of src/workflow.c: what each command does, as library calls.  A
 * fitted proposal lives in the workflow's copy and never in the scenario;
 * runs cross-check their proposals; regions are found once; calibrate uses
 * the scenario's given reference; divergence refuses what it cannot do;
 * `only` selects one proposal. */
#include <check.h>
#include <gsl/gsl_cdf.h>
#include <math.h>
#include <string.h>

#include "check_main.h"
#include "check_util.h"
#include "issim.h"

static const char *FIVE_SIGMA =
    "[target]\ndistribution = normal\n[event]\nthreshold = 5\n"
    "[proposal shifted]\ndistribution = normal\nmean = 5\n"
    "[proposal ce]\ndistribution = adaptive\n[run]\nsamples = 20000\nseed = 3\n";

static issim_workflow *workflow_of(const issim_scenario *s, const char *only)
{
  issim_workflow_settings set = {.threads = 2, .only = only};
  issim_workflow *wf = issim_workflow_alloc(s, &set);
  ck_assert_ptr_nonnull(wf);
  return wf;
}

START_TEST(test_fit_lives_in_the_workflow)
{
  issim_scenario *s = scenario_parse_ok(FIVE_SIGMA, "five.ini");
  issim_workflow *wf = workflow_of(s, NULL);
  issim_error err;
  ck_assert_int_eq(issim_workflow_fit_adaptive(wf, &err), ISSIM_OK);
  const issim_proposal *fitted = issim_workflow_proposal(wf, 1);
  ck_assert(fitted->fitted && issim_model_line_dist(fitted->model) != NULL);
  ck_assert_uint_gt(fitted->adapt_levels, 0);
  /* the scenario's own proposal is as it was read */
  const issim_proposal *declared = issim_scenario_proposal(s, "ce");
  ck_assert(!declared->fitted && declared->model == NULL);
  issim_result r[2];
  size_t n;
  ck_assert_int_eq(issim_workflow_run(wf, 0, r, &n, &err), ISSIM_OK);
  ck_assert_uint_eq(n, 2);
  double exact = gsl_cdf_ugaussian_Q(5);
  for (size_t i = 0; i < n; i++) {
    ck_assert_int_eq(r[i].verdict.level, ISSIM_TRUSTWORTHY);
    ck_assert_within_4se(r[i].estimate.estimate, exact, r[i].estimate.std_error);
    issim_result_clear(&r[i]);
  }
  issim_report rep = issim_workflow_report(wf, r, n);
  assert_close(rep.exact_log, log(exact), 1e-12);
  ck_assert_uint_eq(rep.samples, 20000);
  issim_workflow_free(wf);
  issim_scenario_free(s);
}
END_TEST

START_TEST(test_only_one_proposal)
{
  issim_scenario *s = scenario_parse_ok(FIVE_SIGMA, "five.ini");
  issim_workflow *wf = workflow_of(s, "shifted");
  ck_assert(issim_workflow_selected(wf, 0));
  ck_assert(!issim_workflow_selected(wf, 1));
  issim_error err;
  /* the adaptive proposal is not selected, so nothing is fitted */
  ck_assert_int_eq(issim_workflow_fit_adaptive(wf, &err), ISSIM_OK);
  ck_assert(!issim_workflow_proposal(wf, 1)->fitted);
  issim_result r[2];
  size_t n;
  ck_assert_int_eq(issim_workflow_run(wf, 0, r, &n, &err), ISSIM_OK);
  ck_assert_uint_eq(n, 1);
  ck_assert_str_eq(r[0].proposal->name, "shifted");
  issim_result_clear(&r[0]);
  issim_workflow_free(wf);
  issim_scenario_free(s);
}
END_TEST

START_TEST(test_regions_and_given_reference)
{
  issim_scenario *s = scenario_parse_ok(
      "[target]\ndistribution = independent\ndimension = 2\ncomponent = normal\n"
      "[event]\nloss = expression\nexpression = x1*x2\nthreshold = 9\n"
      "reference = 1.54329287680085827e-5\n"
      "[proposal one]\ndistribution = shifted-target\nshift = design-point\n"
      "[proposal both]\ndistribution = shifted-target\nshift = design-points\n"
      "[run]\nsamples = 4000\n",
      "product.ini");
  issim_workflow *wf = workflow_of(s, NULL);
  issim_error err;
  const issim_regions *rg = issim_workflow_regions(wf, &err);
  ck_assert_ptr_nonnull(rg);
  ck_assert_uint_eq(rg->n, 2);
  ck_assert_ptr_eq(issim_workflow_regions(wf, &err), rg); /* found once */
  issim_calibration cal[2];
  size_t n;
  issim_calibrate_report rep;
  ck_assert_int_eq(issim_workflow_calibrate(wf, 20, cal, &n, &rep, &err), ISSIM_OK);
  ck_assert_uint_eq(n, 2);
  ck_assert(isnan(rep.exact_log));
  assert_close(rep.given_log, log(1.54329287680085827e-5), 1e-12);
  for (size_t i = 0; i < n; i++)
    ck_assert_int_eq(cal[i].ref_kind, ISSIM_CALIBRATION_REF_GIVEN);
  ck_assert_uint_eq(cal[0].unreliable_reps, 20); /* one region only: every replication */
  ck_assert_uint_eq(cal[1].unreliable_reps, 0);
  for (size_t i = 0; i < n; i++)
    issim_calibration_free(&cal[i]);
  issim_divergence_row rows[3];
  ck_assert_int_eq(issim_workflow_divergence(wf, rows, &n, &err), ISSIM_EINVAL);
  ck_assert(strstr(err.message, "univariate") != NULL);
  issim_workflow_free(wf);
  issim_scenario_free(s);
}
END_TEST

static Suite *workflow_suite(void)
{
  Suite *s = suite_create("workflow");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_fit_lives_in_the_workflow);
  tcase_add_test(tc, test_only_one_proposal);
  tcase_add_test(tc, test_regions_and_given_reference);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  return run_suite(workflow_suite());
}
