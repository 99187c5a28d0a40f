#define _POSIX_C_SOURCE 200809L /* open_memstream */
/* Tests of src/cefit.c: each cross-entropy family's weighted
 * maximum-likelihood update against hand-computed cases (or, where the MLE
 * has no closed form, against its defining equation), and the covariance
 * floor. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_eigen.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_math.h>
#include <gsl/gsl_sf_psi.h>

#include "check_main.h"
#include "check_util.h"
#include "issim.h"

static const issim_cefit_update_rules MEAN_ONLY = {.location = NAN};

/* log-weights of the given weights */
static void logs_of(size_t n, const double *w, double *lw)
{
  for (size_t i = 0; i < n; i++)
    lw[i] = log(w[i]);
}

START_TEST(test_normal_update_by_hand)
{
  /* points 1, 2, 4 with weights 1, 2, 1: mean 9/4, variance
   * (1 (5/4)^2 + 2 (1/4)^2 + 1 (7/4)^2) / 4 = 19/16 */
  double x[] = {1, 2, 4}, w[] = {1, 2, 1}, lw[3];
  logs_of(3, w, lw);
  issim_cefit_params v;
  ck_assert_int_eq(issim_cefit_params_init(&v, ISSIM_CE_NORMAL, 1, 1), ISSIM_OK);
  v.weight[0] = 1, v.mean[0] = 0, v.cov[0] = 1;
  issim_error err;
  ck_assert_int_eq(issim_cefit_update(&v, 3, x, lw, &MEAN_ONLY, 1, &err), ISSIM_OK);
  ck_assert_double_eq_tol(v.mean[0], 2.25, 1e-15);
  ck_assert_double_eq(v.cov[0], 1); /* mean only: the spread is kept */
  double target = 1;
  issim_cefit_update_rules spread = {.target_cov = &target, .update_spread = 1, .min_spread = 0.85,
                                  .location = NAN};
  ck_assert_int_eq(issim_cefit_update(&v, 3, x, lw, &spread, 1, &err), ISSIM_OK);
  ck_assert_double_eq_tol(v.cov[0], 19.0 / 16, 1e-14);
  /* weights scaled by any constant give the same fit (only ratios matter), to
   * the rounding of log-weights near -800 (an ulp there is 1.1e-13) */
  for (size_t i = 0; i < 3; i++)
    lw[i] -= 800;
  issim_cefit_params_clear(&v);
  issim_cefit_params_init(&v, ISSIM_CE_NORMAL, 1, 1);
  v.cov[0] = 1;
  ck_assert_int_eq(issim_cefit_update(&v, 3, x, lw, &spread, 1, &err), ISSIM_OK);
  ck_assert_double_eq_tol(v.mean[0], 2.25, 1e-12);
  ck_assert_double_eq_tol(v.cov[0], 19.0 / 16, 1e-12);
  issim_cefit_params_clear(&v);
}
END_TEST

START_TEST(test_multivariate_normal_update_by_hand)
{
  /* (0,0) w 1, (2,0) w 1, (0,2) w 2: mean (0.5, 1); covariance
   * [[0.75, -0.5], [-0.5, 1]] */
  double x[] = {0, 0, 2, 0, 0, 2}, w[] = {1, 1, 2}, lw[3];
  logs_of(3, w, lw);
  double target[] = {0.5, 0, 0, 0.5};
  issim_cefit_update_rules spread = {.target_cov = target, .update_spread = 1, .min_spread = 0.9,
                                  .location = NAN};
  issim_cefit_params v;
  issim_cefit_params_init(&v, ISSIM_CE_NORMAL, 2, 1);
  issim_error err;
  ck_assert_int_eq(issim_cefit_update(&v, 3, x, lw, &spread, 1, &err), ISSIM_OK);
  ck_assert_double_eq_tol(v.mean[0], 0.5, 1e-15);
  ck_assert_double_eq_tol(v.mean[1], 1, 1e-15);
  /* generalised eigenvalues of (C, 0.5 I) are 2 x those of C, 0.719 and 2.78:
   * the smaller is floored at 0.9^2 */
  double c[] = {0.75, -0.5, -0.5, 1};
  double tr = c[0] + c[3], det = c[0] * c[3] - c[1] * c[2];
  double lo = 2 * (tr / 2 - sqrt(tr * tr / 4 - det)), hi = 2 * (tr / 2 + sqrt(tr * tr / 4 - det));
  ck_assert(lo < 0.81 && hi > 0.81);
  /* the floored matrix keeps the eigenvectors: eigenvalues 0.5 * 0.81 and hi / 2 */
  double t2 = v.cov[0] + v.cov[3], d2 = v.cov[0] * v.cov[3] - v.cov[1] * v.cov[2];
  double lo2 = t2 / 2 - sqrt(t2 * t2 / 4 - d2), hi2 = t2 / 2 + sqrt(t2 * t2 / 4 - d2);
  ck_assert_double_eq_tol(lo2, 0.5 * 0.81, 1e-13);
  ck_assert_double_eq_tol(hi2, hi / 2, 1e-13);
  ck_assert_double_eq_tol(v.cov[1], v.cov[2], 1e-15);
  issim_cefit_params_clear(&v);
}
END_TEST

START_TEST(test_floor_against_a_correlated_target)
{
  /* target S = [[2, 1.2], [1.2, 1]]; C = 0.2 S + a bump: after the floor every
   * generalised eigenvalue of (C, S) is at least 0.8^2, those above untouched */
  double s[] = {2, 1.2, 1.2, 1}, c[] = {0.4, 0.24, 0.24, 0.2 + 1.5};
  double before = issim_cefit_floor_covariance(2, c, s, 0.8);
  ck_assert(before < 0.64);
  /* generalised eigenvalues by GSL */
  gsl_matrix *a = gsl_matrix_alloc(2, 2), *b = gsl_matrix_alloc(2, 2);
  gsl_vector *e = gsl_vector_alloc(2);
  gsl_eigen_gensymm_workspace *ws = gsl_eigen_gensymm_alloc(2);
  for (int i = 0; i < 4; i++) {
    a->data[i] = c[i];
    b->data[i] = s[i];
  }
  ck_assert_int_eq(gsl_eigen_gensymm(a, b, e, ws), GSL_SUCCESS);
  double e0 = gsl_vector_get(e, 0), e1 = gsl_vector_get(e, 1);
  double emin = e0 < e1 ? e0 : e1, emax = e0 < e1 ? e1 : e0;
  ck_assert_double_eq_tol(emin, 0.64, 1e-12);
  ck_assert(emax > 0.64);
  /* a non-positive-definite target is refused, not factorised */
  double bad[] = {1, 2, 2, 1};
  ck_assert(isnan(issim_cefit_floor_covariance(2, c, bad, 0.8)));
  gsl_eigen_gensymm_free(ws);
  gsl_vector_free(e);
  gsl_matrix_free(a);
  gsl_matrix_free(b);
}
END_TEST

START_TEST(test_student_t_update_solves_its_equations)
{
  /* the location (and scale) MLE satisfies mu = sum w u x / sum w u and
   * sigma^2 = sum w u (x - mu)^2 / sum w with u = (df + 1) / (df + (x - mu)^2 / sigma^2) */
  double x[] = {-1, 0.5, 2, 3, 7}, w[] = {1, 3, 2, 1, 0.5}, lw[5];
  logs_of(5, w, lw);
  double target = 1;
  issim_cefit_update_rules spread = {.target_cov = &target, .update_spread = 1, .min_spread = 0.75,
                                  .location = NAN};
  issim_cefit_params v;
  issim_cefit_params_init(&v, ISSIM_CE_STUDENT_T, 1, 1);
  v.df = 3, v.cov[0] = 1;
  issim_error err;
  ck_assert_int_eq(issim_cefit_update(&v, 5, x, lw, &spread, 1, &err), ISSIM_OK);
  double mu = v.mean[0], s2 = v.cov[0], swu = 0, swux = 0, sw = 0, swud = 0;
  for (int i = 0; i < 5; i++) {
    double u = (3 + 1) / (3 + (x[i] - mu) * (x[i] - mu) / s2);
    swu += w[i] * u, swux += w[i] * u * x[i], sw += w[i];
    swud += w[i] * u * (x[i] - mu) * (x[i] - mu);
  }
  ck_assert_double_eq_tol(mu, swux / swu, 1e-8);
  ck_assert_double_eq_tol(s2, swud / sw, 1e-8);
  /* symmetric points within a scale of their centre: the location is the
   * centre (EM stops once a step moves it by less than 1e-10 of its size).
   * (Far apart, the t likelihood has a mode near each point instead.) */
  v.cov[0] = 4;
  double y[] = {-1, 3}, lwy[] = {0, 0};
  ck_assert_int_eq(issim_cefit_update(&v, 2, y, lwy, &MEAN_ONLY, 1, &err), ISSIM_OK);
  ck_assert_double_eq_tol(v.mean[0], 1, 1e-8);
  issim_cefit_params_clear(&v);
}
END_TEST

START_TEST(test_exponential_and_gamma_updates)
{
  /* exponential from location 1: rate = sum w / sum w (x - 1) = 4 / (0 + 2 + 3) */
  double x[] = {1, 2, 4}, w[] = {1, 2, 1}, lw[3];
  logs_of(3, w, lw);
  issim_cefit_params v;
  issim_cefit_params_init(&v, ISSIM_CE_EXPONENTIAL, 1, 1);
  v.location = 1, v.rate = 1;
  issim_error err;
  ck_assert_int_eq(issim_cefit_update(&v, 3, x, lw, &MEAN_ONLY, 1, &err), ISSIM_OK);
  ck_assert_double_eq_tol(v.rate, 0.8, 1e-15);
  ck_assert_double_eq(v.location, 1);
  /* with a location to move to: rate = 4 / (1 + 2 x 2 + 4) from 0 */
  issim_cefit_update_rules move = {.location = 0};
  ck_assert_int_eq(issim_cefit_update(&v, 3, x, lw, &move, 1, &err), ISSIM_OK);
  ck_assert_double_eq_tol(v.rate, 4.0 / 9, 1e-15);
  ck_assert_double_eq(v.location, 0);
  issim_cefit_params_clear(&v);

  /* gamma, mean only: scale = mean / shape = (9/4) / 2 */
  issim_cefit_params_init(&v, ISSIM_CE_GAMMA, 1, 1);
  v.shape = 2, v.scale = 1;
  ck_assert_int_eq(issim_cefit_update(&v, 3, x, lw, &MEAN_ONLY, 1, &err), ISSIM_OK);
  ck_assert_double_eq_tol(v.scale, 1.125, 1e-15);
  /* with the spread: log a - psi(a) = log(mean) - mean(log x) */
  issim_cefit_update_rules spread = {.update_spread = 1, .location = NAN};
  ck_assert_int_eq(issim_cefit_update(&v, 3, x, lw, &spread, 1, &err), ISSIM_OK);
  double s = log(2.25) - (2 * log(2) + log(4)) / 4;
  ck_assert_double_eq_tol(log(v.shape) - gsl_sf_psi(v.shape), s, 1e-12);
  ck_assert_double_eq_tol(v.scale * v.shape, 2.25, 1e-12);
  /* equal points: no shape fits */
  double same[] = {2, 2}, lws[] = {0, 0};
  ck_assert_int_eq(issim_cefit_update(&v, 2, same, lws, &spread, 1, &err), ISSIM_EINVAL);
  issim_cefit_params_clear(&v);
}
END_TEST


/* An independent member: each coordinate its own family, fitted by hand on
 * its column (the same points as above); written as an independent section
 * it reads back to the same distributions, to the bit; a component of
 * another family is refused. */
START_TEST(test_independent_update_by_hand)
{
  issim_error err;
  issim_scenario *t = scenario_parse_ok(
    "[target]\ndistribution = independent\ndimension = 3\ncomponent = normal exponential gamma\n"
    "mean = 0\nsd = 2\nrate = 1\nlocation = 1\nshape = 2\nscale = 1\n"
    "[event]\nloss = sum\nthreshold = 30\n[proposal c]\ndistribution = target\n", "t.ini");
  issim_cefit_params v = {0};
  ck_assert_int_eq(issim_cefit_params_init_independent(&v, ISSIM_CE_INDEPENDENT, t->target,
                                                    "the target", &err), ISSIM_OK);
  ck_assert_int_eq(v.parts[1].family, ISSIM_CE_EXPONENTIAL);
  ck_assert_double_eq(v.parts[0].cov[0], 4);
  double x[] = {1, 1, 1, 2, 2, 2, 4, 4, 4}, w[] = {1, 2, 1}, lw[3];
  logs_of(3, w, lw);
  ck_assert_int_eq(issim_cefit_update(&v, 3, x, lw, &MEAN_ONLY, 1, &err), ISSIM_OK);
  ck_assert_double_eq_tol(v.parts[0].mean[0], 9.0 / 4, 1e-15); /* weighted mean */
  ck_assert_double_eq(v.parts[0].cov[0], 4);                   /* mean only */
  ck_assert_double_eq_tol(v.parts[1].rate, 0.8, 1e-15);         /* 4 / (0 + 2 + 3) */
  ck_assert_double_eq_tol(v.parts[2].scale, 1.125, 1e-15);      /* (9/4) / 2 */
  char desc[256];
  issim_cefit_params_describe(&v, desc, sizeof desc);
  ck_assert_str_eq(desc, "x1 mean=2.25 sd=2; x2 location=1 rate=0.8; x3 shape=2 scale=1.125");
  /* saved and read back */
  char *buf = NULL;
  size_t len = 0;
  FILE *mem = open_memstream(&buf, &len);
  issim_cefit_params_write(mem, "fit", &v);
  fclose(mem);
  char text[4096];
  snprintf(text, sizeof text, "[target]\ndistribution = independent\ndimension = 3\n"
                              "component = normal exponential gamma\nshape = 2\nlocation = 1\n"
                              "[event]\nloss = sum\nthreshold = 30\n%s", buf);
  issim_scenario *s = scenario_parse_ok(text, "saved.ini");
  issim_model *m = issim_cefit_params_model(&v, &err);
  const issim_proposal *q = issim_scenario_proposal(s, "fit");
  for (size_t j = 0; j < 3; j++) {
    const issim_dist *a = issim_model_component(m, j), *b = issim_model_component(q->model, j);
    ck_assert_int_eq(a->kind, b->kind);
    ck_assert(memcmp(a->param, b->param, sizeof a->param) == 0);
  }
  issim_model_free(m);
  issim_scenario_free(s);
  free(buf);
  issim_cefit_params_clear(&v);
  /* family exponential: every component must be one */
  ck_assert_int_eq(issim_cefit_params_init_independent(&v, ISSIM_CE_EXPONENTIAL, t->target,
                                                    "the target", &err), ISSIM_EINVAL);
  ck_assert_str_eq(err.message, "family exponential fits exponential components; component 1 of "
                                "the target is normal");
  issim_cefit_params_clear(&v);
  issim_scenario_free(t);
}
END_TEST

START_TEST(test_mixture_update_finds_two_clusters)
{
  /* two clusters 10 apart: EM gives each its own weighted mean and share */
  double x[] = {-5.1, -4.9, 4.9, 5.1, 5.0}, w[] = {1, 1, 1, 1, 2}, lw[5];
  logs_of(5, w, lw);
  issim_cefit_params v;
  issim_cefit_params_init(&v, ISSIM_CE_MIXTURE, 1, 1);
  v.weight[0] = 1, v.mean[0] = 0, v.cov[0] = 1;
  issim_error err;
  ck_assert_int_eq(issim_cefit_update(&v, 5, x, lw, &MEAN_ONLY, 2, &err), ISSIM_OK);
  ck_assert_uint_eq(v.k, 2);
  int neg = v.mean[0] < 0 ? 0 : 1, pos = 1 - neg;
  ck_assert_double_eq_tol(v.mean[neg], -5, 1e-12);
  ck_assert_double_eq_tol(v.mean[pos], (4.9 + 5.1 + 2 * 5.0) / 4, 1e-12);
  ck_assert_double_eq_tol(v.weight[neg], 2.0 / 6, 1e-12);
  ck_assert_double_eq_tol(v.weight[pos], 4.0 / 6, 1e-12);
  ck_assert_double_eq(v.cov[0], 1);
  /* more components than the points can hold: the empty ones are dropped */
  issim_cefit_params_clear(&v);
  issim_cefit_params_init(&v, ISSIM_CE_MIXTURE, 1, 1);
  v.weight[0] = 1, v.cov[0] = 1;
  double one[] = {3}, lwo[] = {0};
  ck_assert_int_eq(issim_cefit_update(&v, 1, one, lwo, &MEAN_ONLY, 4, &err), ISSIM_OK);
  ck_assert_uint_eq(v.k, 1);
  ck_assert_double_eq(v.mean[0], 3);
  issim_cefit_params_clear(&v);
}
END_TEST

START_TEST(test_update_without_weight_is_refused)
{
  double x[] = {1, 2}, lw[] = {-INFINITY, -INFINITY};
  issim_cefit_params v;
  issim_cefit_params_init(&v, ISSIM_CE_NORMAL, 1, 1);
  v.cov[0] = 1;
  issim_error err;
  ck_assert_int_eq(issim_cefit_update(&v, 2, x, lw, &MEAN_ONLY, 1, &err), ISSIM_EINVAL);
  ck_assert_int_eq(issim_cefit_update(&v, 0, x, lw, &MEAN_ONLY, 1, &err), ISSIM_EINVAL);
  issim_cefit_params_clear(&v);
}
END_TEST

static Suite *cefit_suite(void)
{
  Suite *s = suite_create("cefit");
  TCase *u = tcase_create("updates");
  tcase_add_test(u, test_normal_update_by_hand);
  tcase_add_test(u, test_multivariate_normal_update_by_hand);
  tcase_add_test(u, test_floor_against_a_correlated_target);
  tcase_add_test(u, test_student_t_update_solves_its_equations);
  tcase_add_test(u, test_exponential_and_gamma_updates);
  tcase_add_test(u, test_independent_update_by_hand);
  tcase_add_test(u, test_mixture_update_finds_two_clusters);
  tcase_add_test(u, test_update_without_weight_is_refused);
  suite_add_tcase(s, u);
  return s;
}

int main(void)
{
  gsl_set_error_handler_off();
  return run_suite(cefit_suite());
}
