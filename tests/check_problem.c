/* Tests of src/problem.c: what follows from a target and an event alone
 * (exact probabilities against closed forms, the loss's moments and range,
 * coverage). */
#include <check.h>
#include <gsl/gsl_cdf.h>
#include <math.h>

#include "check_main.h"
#include "check_util.h"
#include "problem.h"

static issim_model *bivariate_normal(double rho)
{
  const double mean[2] = {0, 0}, cov[4] = {1, rho, rho, 1};
  issim_error err;
  issim_model *m = issim_model_alloc_normal(2, mean, cov, &err);
  ck_assert_msg(m != NULL, "%s", err.message);
  return m;
}

START_TEST(test_linear_loss_of_a_normal)
{
  /* x1 + x2 of a correlated pair is N(0, 2 + 2 rho) */
  issim_model *p = bivariate_normal(0.5);
  issim_loss *sum = issim_loss_alloc(ISSIM_LOSS_SUM, 2, NULL);
  issim_problem pb = {.target = p, .event = issim_event_init(sum, 6, ISSIM_ABOVE)};
  ck_assert_uint_eq(issim_problem_dim(&pb), 2);
  ck_assert_double_eq_tol(issim_problem_exact_log(&pb), log(gsl_cdf_ugaussian_Q(6 / sqrt(3.0))),
                          1e-12);
  double mean, sd;
  ck_assert(issim_problem_loss_moments(&pb, &mean, &sd));
  ck_assert_double_eq_tol(mean, 0, 1e-15);
  ck_assert_double_eq_tol(sd, sqrt(3.0), 1e-14);
  double lo, hi;
  ck_assert(issim_problem_loss_range(&pb, &lo, &hi));
  ck_assert(isinf(lo) && lo < 0 && isinf(hi) && hi > 0);
  issim_problem_event_region(&pb, &lo, &hi); /* no interval in two dimensions */
  ck_assert(isinf(lo) && isinf(hi));
  issim_loss_free(sum);
  issim_model_free(p);
}
END_TEST

START_TEST(test_max_of_independent_components)
{
  /* P(max of 3 independent N(0,1) > 4) = 1 - Phi(4)^3, and far out, where
   * 1 - Phi^3 cancels, 3 Q(t) to double precision */
  issim_dist *z = issim_dist_alloc_normal(0, 1, NULL);
  const issim_dist *c[3] = {z, z, z};
  issim_model *p = issim_model_alloc_independent(3, c, NULL);
  issim_loss *max = issim_loss_alloc(ISSIM_LOSS_MAX, 3, NULL);
  issim_problem pb = {.target = p, .event = issim_event_init(max, 4, ISSIM_ABOVE)};
  double q = gsl_cdf_ugaussian_Q(4);
  ck_assert_double_eq_tol(exp(issim_problem_exact_log(&pb)), 1 - pow(1 - q, 3), 1e-16);
  pb.event.threshold = 30;
  ck_assert_double_eq_tol(issim_problem_exact_log(&pb), log(3.0) + log(gsl_cdf_ugaussian_Q(30)),
                          1e-9);
  issim_loss_free(max);
  issim_model_free(p);
  issim_dist_free(z);
}
END_TEST

START_TEST(test_univariate_problem)
{
  issim_dist *d = issim_dist_alloc_normal(1, 2, NULL);
  issim_model *p = issim_model_alloc_line(d, NULL);
  issim_problem pb = {.target = p, .event = issim_event_init(NULL, 7, ISSIM_ABOVE)};
  ck_assert_uint_eq(issim_problem_dim(&pb), 1);
  /* the line view: the distribution back (a copy of d), also from a clone */
  const issim_dist *line = issim_problem_line_target(&pb);
  ck_assert_ptr_nonnull(line);
  ck_assert_ptr_ne(line, d);
  ck_assert_int_eq(line->kind, ISSIM_DIST_NORMAL);
  ck_assert_double_eq(line->param[0], 1);
  ck_assert_double_eq(line->param[1], 2);
  issim_model *copy = issim_model_clone(p);
  ck_assert_ptr_nonnull(issim_model_line_dist(copy));
  issim_model_free(copy);
  /* a model of one component built as a model is not the line (its event
   * has a loss), nor is nothing */
  const issim_dist *one[1] = {d};
  issim_model *ind = issim_model_alloc_independent(1, one, NULL);
  ck_assert_ptr_null(issim_model_line_dist(ind));
  ck_assert_ptr_null(issim_model_line_dist(NULL));
  issim_model_free(ind);
  char desc[64];
  issim_problem_describe_target(&pb, desc, sizeof desc);
  ck_assert_str_eq(desc, "normal(mean=1, sd=2)");
  ck_assert_double_eq_tol(issim_problem_exact_log(&pb), log(gsl_cdf_ugaussian_Q(3)), 1e-12);
  double lo, hi, mean, sd;
  issim_problem_event_region(&pb, &lo, &hi);
  ck_assert_double_eq(lo, 7);
  ck_assert(isinf(hi));
  ck_assert(issim_problem_loss_moments(&pb, &mean, &sd));
  ck_assert_double_eq_tol(mean, 1, 1e-15);
  ck_assert_double_eq_tol(sd, 2, 1e-15);
  issim_model *q = line_model(issim_dist_alloc_normal(7, 2, NULL));
  issim_problem with = issim_problem_with_proposal(&pb, q);
  ck_assert_ptr_eq(with.proposal, q);
  ck_assert_ptr_eq(with.target, p);
  ck_assert_double_eq(with.event.threshold, 7);
  issim_model_free(q);
  issim_model_free(p);
  issim_dist_free(d);
}
END_TEST

START_TEST(test_coverage_of_component_supports)
{
  /* a normal target on the line is not covered by exponential components */
  issim_dist *z = issim_dist_alloc_normal(0, 1, NULL);
  const char *k[1] = {"rate"};
  double v[1] = {1};
  issim_dist *e = issim_dist_alloc("exponential", 1, k, v, NULL);
  const issim_dist *zz[2] = {z, z}, *ze[2] = {z, e};
  issim_model *p = issim_model_alloc_independent(2, zz, NULL);
  issim_model *q = issim_model_alloc_independent(2, ze, NULL);
  issim_loss *sum = issim_loss_alloc(ISSIM_LOSS_SUM, 2, NULL);
  issim_problem pb = {.target = p, .event = issim_event_init(sum, 3, ISSIM_ABOVE)};
  ck_assert_ptr_null(issim_problem_line_target(&pb)); /* two dimensions: no line */
  ck_assert(issim_problem_model_covers(&pb, p));
  ck_assert(issim_problem_model_covers(&pb, NULL)); /* the target itself */
  ck_assert(!issim_problem_model_covers(&pb, q));
  issim_loss_free(sum);
  issim_model_free(p);
  issim_model_free(q);
  issim_dist_free(z);
  issim_dist_free(e);
}
END_TEST

static Suite *problem_suite(void)
{
  Suite *s = suite_create("problem");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, test_linear_loss_of_a_normal);
  tcase_add_test(tc, test_max_of_independent_components);
  tcase_add_test(tc, test_univariate_problem);
  tcase_add_test(tc, test_coverage_of_component_supports);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  return run_suite(problem_suite());
}
