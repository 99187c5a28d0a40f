/* Tests of src/workflow.c: what each command does, as library calls.  A
 * fitted proposal lives in the workflow's copy and never in the scenario;
 * runs cross-check their proposals; regions are found once; calibrate uses
 * the scenario's given reference; divergence estimates d-dimensional
 * targets' entropies and divergences within 4 SE of their closed forms and
 * refuses what it cannot do;
 * `only` selects one proposal. */
#include <check.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_math.h>
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
  issim_workflow_free(wf);
  issim_scenario_free(s);
}
END_TEST

/* ---- divergence of d-dimensional targets ---- */

enum { D3 = 3 };
static const double MU_Q[D3] = {0.5, -0.3, 0.2};
static const double COV_P[D3 * D3] = {1, 0.5, 0.2, 0.5, 2, -0.3, 0.2, -0.3, 1.5};
static const double COV_Q[D3 * D3] = {1.5, 0.4, 0, 0.4, 2.5, 0.2, 0, 0.2, 2};

/* log det and inverse of a 3 x 3 symmetric positive definite matrix (GSL's LU). */
static double lu_log_det_inverse(const double *a, double *inv)
{
  gsl_matrix_const_view av = gsl_matrix_const_view_array(a, D3, D3);
  gsl_matrix *lu = gsl_matrix_alloc(D3, D3);
  gsl_permutation *perm = gsl_permutation_alloc(D3);
  gsl_matrix_view iv = gsl_matrix_view_array(inv, D3, D3);
  int sign;
  gsl_matrix_memcpy(lu, &av.matrix);
  gsl_linalg_LU_decomp(lu, perm, &sign);
  gsl_linalg_LU_invert(lu, perm, &iv.matrix);
  double ld = gsl_linalg_LU_lndet(lu);
  gsl_permutation_free(perm);
  gsl_matrix_free(lu);
  return ld;
}

/* KL(N(m1, S1) || N(m2, S2)) = 1/2 [tr(S2^-1 S1) - d + dm^T S2^-1 dm + log |S2|/|S1|],
 * dm = m2 - m1 (the textbook formula, written independently of divergence_model.c). */
static double mvn_kl(const double *m1, const double *s1, const double *m2, const double *s2)
{
  double inv1[D3 * D3], inv2[D3 * D3];
  const double ld1 = lu_log_det_inverse(s1, inv1), ld2 = lu_log_det_inverse(s2, inv2);
  double tr = 0, quad = 0;
  for (size_t i = 0; i < D3; i++)
    for (size_t j = 0; j < D3; j++) {
      tr += inv2[i * D3 + j] * s1[j * D3 + i];
      quad += (m2[i] - m1[i]) * inv2[i * D3 + j] * (m2[j] - m1[j]);
    }
  return 0.5 * (tr - D3 + quad + ld2 - ld1);
}

static double mvn_entropy(const double *s)
{
  double inv[D3 * D3];
  return 0.5 * D3 * (1 + log(2 * M_PI)) + 0.5 * lu_log_det_inverse(s, inv);
}

/* A correlated 3-d normal target and a wider normal proposal moved off its
 * mean: every estimate within 4 SE of the closed forms (computed here with
 * GSL's LU), and the rows' exact values equal to them. */
START_TEST(test_divergence_of_a_multivariate_target)
{
  issim_scenario *s = scenario_parse_ok(
      "[target]\ndistribution = multivariate-normal\ndimension = 3\n"
      "covariance = 1 0.5 0.2  0.5 2 -0.3  0.2 -0.3 1.5\n"
      "[event]\nloss = sum\nthreshold = 6\n"
      "[proposal q]\ndistribution = multivariate-normal\ndimension = 3\nmean = 0.5 -0.3 0.2\n"
      "covariance = 1.5 0.4 0  0.4 2.5 0.2  0 0.2 2\n"
      "[proposal crude]\ndistribution = target\n[run]\nsamples = 40000\nseed = 5\n",
      "mvn.ini");
  issim_workflow *wf = workflow_of(s, NULL);
  issim_error err;
  issim_divergence_row rows[3];
  size_t n;
  ck_assert_int_eq(issim_workflow_divergence(wf, rows, &n, &err), ISSIM_OK);
  ck_assert_uint_eq(n, 3);
  const double zero[D3] = {0};
  const double hp = mvn_entropy(COV_P), hq = mvn_entropy(COV_Q);
  const double kl_pq = mvn_kl(zero, COV_P, MU_Q, COV_Q), kl_qp = mvn_kl(MU_Q, COV_Q, zero, COV_P);
  /* the target's own row: H(p) from draws of p */
  ck_assert_within_4se(rows[0].estimate.entropy_q, hp, rows[0].estimate.entropy_q_se);
  assert_close(rows[0].exact.entropy_p, hp, 1e-12);
  /* the proposal's: H(q), H(p, q) = H(p) + KL(p||q), both KLs */
  const issim_estimate *e = &rows[1].estimate;
  const issim_information *x = &rows[1].exact;
  ck_assert_within_4se(e->entropy_q, hq, e->entropy_q_se);
  ck_assert_within_4se(e->cross_entropy_p_q, hp + kl_pq, e->cross_entropy_p_q_se);
  ck_assert_within_4se(e->kl_p_q, kl_pq, e->kl_p_q_se);
  ck_assert_within_4se(e->kl_q_p, kl_qp, e->kl_q_p_se);
  ck_assert(e->kl_p_q_se > 0 && e->kl_p_q_se < 0.05 && e->kl_q_p_se < 0.05);
  assert_close(x->kl_p_q, kl_pq, 1e-12);
  assert_close(x->kl_q_p, kl_qp, 1e-12);
  assert_close(x->cross_entropy_p_q, hp + kl_pq, 1e-12);
  assert_close(x->entropy_q, hq, 1e-12);
  ck_assert_int_eq(x->kl_p_q_how, ISSIM_EXACT_CLOSED_FORM);
  /* q = p: both divergences exactly 0 */
  ck_assert_double_eq(rows[2].estimate.kl_p_q, 0);
  ck_assert_double_eq(rows[2].exact.kl_q_p, 0);
  issim_workflow_free(wf);
  issim_scenario_free(s);
}
END_TEST

/* Independent components of the families of design codes (a lognormal by
 * mean and cov, a gev, a truncated normal) against wider ones (the gev's
 * lower end -10 kept, or KL(q||p) would be infinite: shape 0.2, scale 2): the exact
 * values are sums of the components' (quadrature), and every estimate is
 * within 4 SE of them. */
START_TEST(test_divergence_of_independent_families)
{
  issim_scenario *s = scenario_parse_ok(
      "[target]\ndistribution = independent\ndimension = 3\n"
      "component = lognormal gev truncated-normal\nmean = 10 0\ncov = 0.2\n"
      "shape = 0.1\nlower = 0\n"
      "[event]\nloss = sum\nthreshold = 30\n"
      "[proposal q]\ndistribution = independent\ndimension = 3\n"
      "component = lognormal gev truncated-normal\nmean = 10 0\ncov = 0.3\n"
      "shape = 0.2\nscale = 2\nsd = 1.5\nlower = 0\n"
      "[run]\nsamples = 40000\nseed = 9\n",
      "families.ini");
  issim_workflow *wf = workflow_of(s, NULL);
  issim_error err;
  issim_divergence_row rows[2];
  size_t n;
  ck_assert_int_eq(issim_workflow_divergence(wf, rows, &n, &err), ISSIM_OK);
  ck_assert_uint_eq(n, 2);
  ck_assert_within_4se(rows[0].estimate.entropy_q, rows[0].exact.entropy_p,
                       rows[0].estimate.entropy_q_se);
  const issim_estimate *e = &rows[1].estimate;
  const issim_information *x = &rows[1].exact;
  ck_assert_int_eq(x->kl_p_q_how, ISSIM_EXACT_QUADRATURE);
  ck_assert_within_4se(e->entropy_q, x->entropy_q, e->entropy_q_se);
  ck_assert_within_4se(e->cross_entropy_p_q, x->cross_entropy_p_q, e->cross_entropy_p_q_se);
  ck_assert_within_4se(e->kl_p_q, x->kl_p_q, e->kl_p_q_se);
  ck_assert_within_4se(e->kl_q_p, x->kl_q_p, e->kl_q_p_se);
  /* KL(p||q) = H(p, q) - H(p) between the exact values */
  assert_close(x->kl_p_q, x->cross_entropy_p_q - rows[0].exact.entropy_p, 1e-8);
  issim_workflow_free(wf);
  issim_scenario_free(s);
}
END_TEST

/* A univariate target with a mixture proposal is still refused. */
START_TEST(test_divergence_refuses_a_univariate_mixture)
{
  issim_scenario *s = scenario_parse_ok(
      "[target]\ndistribution = normal\n[event]\nthreshold = 4\n"
      "[proposal a]\ndistribution = normal\nmean = 4\n"
      "[proposal b]\ndistribution = normal\nmean = -4\n"
      "[proposal m]\ndistribution = mixture\ncomponents = 0.5 a + 0.5 b\n",
      "mix.ini");
  issim_workflow *wf = workflow_of(s, NULL);
  issim_error err;
  issim_divergence_row rows[4];
  size_t n;
  ck_assert_int_eq(issim_workflow_divergence(wf, rows, &n, &err), ISSIM_EINVAL);
  ck_assert(strstr(err.message, "univariate scenarios without mixtures") != NULL);
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
  tcase_add_test(tc, test_divergence_of_a_multivariate_target);
  tcase_add_test(tc, test_divergence_of_independent_families);
  tcase_add_test(tc, test_divergence_refuses_a_univariate_mixture);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  return run_suite(workflow_suite());
}
