/* Tests of src/tail.c: the analytic finite-variance and finite-cross-entropy
 * checks.  Each expectation is derived in its comment from int_A p^2/q. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "issim.h"
#include "tail.h"

static issim_dist *make(const char *family, const char *k1, double v1, const char *k2,
                        double v2)
{
  const char *keys[2] = {k1, k2};
  double values[2] = {v1, v2};
  issim_error err;
  issim_dist *d = issim_dist_alloc(family, k2 ? 2 : (k1 ? 1 : 0), keys, values, &err);
  ck_assert_msg(d != NULL, "%s", err.message);
  return d;
}

static issim_dist *normal(double m, double s) { return issim_dist_alloc_normal(m, s, NULL); }

static issim_variance above(const issim_dist *p, const issim_dist *q, double t, char *why)
{
  return issim_weight_variance(p, q, fmax(t, p->lower), p->upper, why, 512);
}

START_TEST(test_normal_proposals)
{
  issim_dist *p = normal(0, 1);
  char why[512] = "";
  /* p^2/q ~ exp(-x^2 + x^2/(2 s^2)): finite iff s > 1/sqrt 2 */
  issim_dist *q = normal(5, 1);
  ck_assert_int_eq(above(p, q, 5, why), ISSIM_VARIANCE_FINITE);
  issim_dist_free(q);
  q = normal(5, 0.75);
  ck_assert_int_eq(above(p, q, 5, why), ISSIM_VARIANCE_FINITE);
  issim_dist_free(q);
  q = normal(5, 0.5);
  ck_assert_int_eq(above(p, q, 5, why), ISSIM_VARIANCE_INFINITE);
  ck_assert_msg(strstr(why, "upper tail is too light") != NULL, "%s", why);
  ck_assert_msg(strstr(why, "needs sd > 0.7071") != NULL, "%s", why);
  issim_dist_free(q);
  q = normal(5, 0.3);
  ck_assert_int_eq(above(p, q, 5, why), ISSIM_VARIANCE_INFINITE);
  issim_dist_free(q);
  /* s = 1/sqrt 2 exactly: p^2/q ~ exp(-2 m x), finite for a mean m > 0 only */
  q = normal(5, 1 / sqrt(2.0));
  ck_assert_int_eq(above(p, q, 5, why), ISSIM_VARIANCE_FINITE);
  issim_dist_free(q);
  q = normal(-1, 1 / sqrt(2.0));
  ck_assert_int_eq(above(p, q, 5, why), ISSIM_VARIANCE_INFINITE);
  issim_dist_free(q);
  /* a lower-tail event looks at the lower tails */
  q = normal(-5, 0.5);
  ck_assert_int_eq(issim_weight_variance(p, q, -INFINITY, -5, why, sizeof why),
                   ISSIM_VARIANCE_INFINITE);
  ck_assert_msg(strstr(why, "lower tail") != NULL, "%s", why);
  issim_dist_free(q);
  /* q = p (plain Monte Carlo): weights are 1 */
  ck_assert_int_eq(above(p, NULL, 5, why), ISSIM_VARIANCE_FINITE);
  issim_dist_free(p);
}
END_TEST

START_TEST(test_fat_tailed_target)
{
  issim_dist *p = make("student-t", "df", 3, NULL, 0);
  char why[512] = "";
  /* a normal proposal is lighter than any power law */
  issim_dist *q = normal(100, 10);
  ck_assert_int_eq(above(p, q, 100, why), ISSIM_VARIANCE_INFINITE);
  ck_assert_msg(strstr(why, "|x|^-4") != NULL, "%s", why);
  issim_dist_free(q);
  /* Pareto(a): p^2/q ~ x^{-8 + a + 1}: finite iff a < 6 */
  q = make("pareto", "shape", 3, "scale", 100);
  ck_assert_int_eq(above(p, q, 100, why), ISSIM_VARIANCE_FINITE);
  issim_dist_free(q);
  q = make("pareto", "shape", 5.9, "scale", 100);
  ck_assert_int_eq(above(p, q, 100, why), ISSIM_VARIANCE_FINITE);
  issim_dist_free(q);
  q = make("pareto", "shape", 6, "scale", 100);
  ck_assert_int_eq(above(p, q, 100, why), ISSIM_VARIANCE_INFINITE);
  issim_dist_free(q);
  /* the same family, heavier or equal: finite; a lognormal or exponential: infinite */
  q = make("student-t", "df", 3, "location", 100);
  ck_assert_int_eq(above(p, q, 100, why), ISSIM_VARIANCE_FINITE);
  issim_dist_free(q);
  q = make("cauchy", "location", 100, "scale", 10);
  ck_assert_int_eq(above(p, q, 100, why), ISSIM_VARIANCE_FINITE);
  issim_dist_free(q);
  q = make("lognormal", "meanlog", 5, "sdlog", 1);
  ck_assert_int_eq(above(p, q, 100, why), ISSIM_VARIANCE_INFINITE);
  issim_dist_free(q);
  issim_dist_free(p);
}
END_TEST

START_TEST(test_exponential_type_tails)
{
  issim_dist *p = make("exponential", "rate", 1, NULL, 0);
  char why[512] = "";
  /* p^2/q ~ exp(-(2 - r) x): finite iff r < 2; r = 2 leaves a constant */
  issim_dist *q = make("exponential", "rate", 0.04, NULL, 0);
  ck_assert_int_eq(above(p, q, 25, why), ISSIM_VARIANCE_FINITE);
  issim_dist_free(q);
  q = make("exponential", "rate", 2, NULL, 0);
  ck_assert_int_eq(above(p, q, 25, why), ISSIM_VARIANCE_INFINITE);
  issim_dist_free(q);
  /* gamma(2, 0.5) also has rate 2 but x^1 in front: x^{0 - 1} = 1/x, still infinite */
  q = make("gamma", "shape", 2, "scale", 0.5);
  ck_assert_int_eq(above(p, q, 25, why), ISSIM_VARIANCE_INFINITE);
  issim_dist_free(q);
  /* gamma(3, 0.5): p^2/q ~ x^{-2}: finite */
  q = make("gamma", "shape", 3, "scale", 0.5);
  ck_assert_int_eq(above(p, q, 25, why), ISSIM_VARIANCE_FINITE);
  issim_dist_free(q);
  /* a normal proposal is lighter than an exponential target */
  q = normal(25, 5);
  ck_assert_int_eq(above(p, q, 25, why), ISSIM_VARIANCE_INFINITE);
  issim_dist_free(q);
  issim_dist_free(p);
}
END_TEST

START_TEST(test_lognormal_and_gumbel)
{
  char why[512] = "";
  issim_dist *p = make("lognormal", "meanlog", 0, "sdlog", 1);
  /* -(2/2 - 1/(2 s^2)) L^2: finite iff s^2 > 1/2 */
  issim_dist *q = make("lognormal", "meanlog", 6, "sdlog", 1);
  ck_assert_int_eq(above(p, q, exp(6), why), ISSIM_VARIANCE_FINITE);
  issim_dist_free(q);
  q = make("lognormal", "meanlog", 6, "sdlog", 0.5);
  ck_assert_int_eq(above(p, q, exp(6), why), ISSIM_VARIANCE_INFINITE);
  issim_dist_free(q);
  /* near 0 (a lower-tail event) the same quadratic in log x decides */
  q = make("lognormal", "meanlog", -6, "sdlog", 1);
  ck_assert_int_eq(issim_weight_variance(p, q, 0, exp(-6), why, sizeof why), ISSIM_VARIANCE_FINITE);
  issim_dist_free(q);
  q = make("lognormal", "meanlog", -6, "sdlog", 0.6);
  ck_assert_int_eq(issim_weight_variance(p, q, 0, exp(-6), why, sizeof why),
                   ISSIM_VARIANCE_INFINITE);
  issim_dist_free(q);
  issim_dist_free(p);

  p = make("gumbel", "location", 0, "scale", 1);
  q = make("gumbel", "location", 20, "scale", 1);
  ck_assert_int_eq(above(p, q, 20, why), ISSIM_VARIANCE_FINITE);
  /* the lower tail of a Gumbel is double-exponential: a narrower one is too light */
  issim_dist *q2 = make("gumbel", "location", -3, "scale", 0.5);
  ck_assert_int_eq(issim_weight_variance(p, q2, -INFINITY, -3, why, sizeof why),
                   ISSIM_VARIANCE_INFINITE);
  ck_assert_int_eq(issim_weight_variance(q2, p, -INFINITY, -3, why, sizeof why),
                   ISSIM_VARIANCE_FINITE);
  issim_dist_free(q2);
  issim_dist_free(q);
  issim_dist_free(p);
}
END_TEST

START_TEST(test_finite_endpoints)
{
  char why[512] = "";
  /* Weibull lower tail: near 0, p ~ x^4; q Weibull(k) ~ x^{k-1}: finite iff 8 - (k-1) > -1 */
  issim_dist *p = make("weibull", "shape", 5, "scale", 1);
  issim_dist *q = make("weibull", "shape", 5, "scale", 0.02);
  ck_assert_int_eq(issim_weight_variance(p, q, 0, 0.02, why, sizeof why), ISSIM_VARIANCE_FINITE);
  issim_dist_free(q);
  q = make("weibull", "shape", 10, "scale", 0.02);
  ck_assert_int_eq(issim_weight_variance(p, q, 0, 0.02, why, sizeof why), ISSIM_VARIANCE_INFINITE);
  ck_assert_msg(strstr(why, "near 0") != NULL, "%s", why);
  issim_dist_free(q);
  issim_dist_free(p);
  /* a uniform target on (0,1), beta proposals near 1: p ~ 1, q ~ (1-x)^{b-1}: finite iff b < 2 */
  p = make("uniform", "lower", 0, "upper", 1);
  q = make("beta", "alpha", 1, "beta", 1.5);
  ck_assert_int_eq(issim_weight_variance(p, q, 0.9, 1, why, sizeof why), ISSIM_VARIANCE_FINITE);
  issim_dist_free(q);
  q = make("beta", "alpha", 1, "beta", 2);
  ck_assert_int_eq(issim_weight_variance(p, q, 0.9, 1, why, sizeof why), ISSIM_VARIANCE_INFINITE);
  issim_dist_free(q);
  issim_dist_free(p);
}
END_TEST

START_TEST(test_shipped_proposals_pass)
{
  /* every proposal of the shipped scenarios has finite weight variance, but the
   * ones that are there to show the check firing */
  const char *files[] = {"gaussian-5sigma", "gaussian-40sigma", "student-t-tail",
                         "exponential-tail", "lognormal-tail", "weibull-lower-tail",
                         "gumbel-flood", "proposals-5sigma"};
  for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.ini", SCENARIO_DIR, files[i]);
    issim_error err;
    issim_scenario *s = issim_scenario_read(path, &err);
    ck_assert_msg(s != NULL, "%s", err.message);
    double lo, hi;
    issim_scenario_event_region(s, &lo, &hi);
    for (size_t j = 0; j < s->n_proposals; j++) {
      char why[512] = "";
      /* the shipped examples of the mistake */
      int bad = (strcmp(files[i], "student-t-tail") == 0 && strcmp(s->proposals[j].name, "light") == 0) ||
                (strcmp(files[i], "proposals-5sigma") == 0 && strcmp(s->proposals[j].name, "narrow") == 0);
      ck_assert_msg(issim_weight_variance(s->target, s->proposals[j].dist, lo, hi, why,
                                          sizeof why) ==
                        (bad ? ISSIM_VARIANCE_INFINITE : ISSIM_VARIANCE_FINITE),
                    "%s/%s: %s", files[i], s->proposals[j].name, why);
    }
    issim_scenario_free(s);
  }
}
END_TEST

START_TEST(test_cross_entropy_finite)
{
  issim_dist *n01 = normal(0, 1);
  issim_dist *t2 = make("student-t", "df", 2, NULL, 0);
  issim_dist *t3 = make("student-t", "df", 3, NULL, 0);
  issim_dist *c = make("cauchy", "location", 0, "scale", 1);
  issim_dist *u = make("uniform", "lower", -1, "upper", 1);
  issim_dist *lap = make("laplace", "location", 0, "scale", 1);
  issim_dist *gum = make("gumbel", "location", 0, "scale", 1);
  /* -log normal ~ x^2/2: needs E x^2, which t(2) and Cauchy lack and t(3) has */
  ck_assert_int_eq(issim_cross_entropy_finite(t2, n01), 0);
  ck_assert_int_eq(issim_cross_entropy_finite(c, n01), 0);
  ck_assert_int_eq(issim_cross_entropy_finite(t3, n01), 1);
  /* -log t ~ log x: always finite */
  ck_assert_int_eq(issim_cross_entropy_finite(n01, t3), 1);
  ck_assert_int_eq(issim_cross_entropy_finite(c, t2), 1);
  /* p outside q's support */
  ck_assert_int_eq(issim_cross_entropy_finite(n01, u), 0);
  ck_assert_int_eq(issim_cross_entropy_finite(u, n01), 1);
  /* the Gumbel's lower tail: -log q ~ exp(|x|); a Laplace(1) lacks E exp(|x|), a normal has it */
  ck_assert_int_eq(issim_cross_entropy_finite(lap, gum), 0);
  ck_assert_int_eq(issim_cross_entropy_finite(n01, gum), 1);
  issim_dist_free(n01);
  issim_dist_free(t2);
  issim_dist_free(t3);
  issim_dist_free(c);
  issim_dist_free(u);
  issim_dist_free(lap);
  issim_dist_free(gum);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("tail");
  TCase *tc = tcase_create("tail");
  tcase_add_test(tc, test_normal_proposals);
  tcase_add_test(tc, test_fat_tailed_target);
  tcase_add_test(tc, test_exponential_type_tails);
  tcase_add_test(tc, test_lognormal_and_gumbel);
  tcase_add_test(tc, test_finite_endpoints);
  tcase_add_test(tc, test_shipped_proposals_pass);
  tcase_add_test(tc, test_cross_entropy_finite);
  suite_add_tcase(s, tc);
  return run_suite(s);
}
