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

/* The families of design codes: a gev's upper tail is a power law for
 * shape > 0 (x^-(1/shape + 1)), a truncated normal's the normal's where not
 * cut, a reverse Weibull's lower tail exp(-(|shape| y / scale)^(1/|shape|)),
 * a triangular falls linearly to its ends.  (Before, every new family fell to
 * "bounded": a normal proposal for a Frechet target was called finite.) */
START_TEST(test_design_code_families)
{
  char why[512] = "";
  issim_dist *p = make("gev", "shape", 0.1, "scale", 6); /* alpha = 10 */
  issim_dist *q = normal(100, 10);
  ck_assert_int_eq(above(p, q, 100, why), ISSIM_VARIANCE_INFINITE);
  ck_assert_msg(strstr(why, "|x|^-11") != NULL, "%s", why);
  issim_dist_free(q);
  q = make("student-t", "df", 5, NULL, 0); /* 2 * 10 > 5 */
  ck_assert_int_eq(above(p, q, 100, why), ISSIM_VARIANCE_FINITE);
  issim_dist_free(q);
  q = make("gev", "shape", 0.04, "scale", 6); /* alpha 25 > 2 * 10 */
  ck_assert_int_eq(above(p, q, 100, why), ISSIM_VARIANCE_INFINITE);
  issim_dist_free(q);
  issim_dist_free(p);
  /* shape 0: the Gumbel's exp(-x / 6) against exponentials */
  p = make("gev", "shape", 0, "scale", 6);
  q = make("exponential", "rate", 0.1, NULL, 0);
  ck_assert_int_eq(above(p, q, 10, why), ISSIM_VARIANCE_FINITE);
  issim_dist_free(q);
  q = make("exponential", "rate", 0.5, NULL, 0);
  ck_assert_int_eq(above(p, q, 10, why), ISSIM_VARIANCE_INFINITE);
  issim_dist_free(q);
  issim_dist_free(p);
  /* shape -0.5, scale 1: lower tail -(y/2)^2, a normal of sd 1 exactly at the
   * border: sd 1.5 finite, 0.8 infinite */
  p = make("gev", "shape", -0.5, "scale", 1);
  q = normal(0, 1.5);
  ck_assert_int_eq(issim_weight_variance(p, q, -INFINITY, -3, why, sizeof why), ISSIM_VARIANCE_FINITE);
  issim_dist_free(q);
  q = normal(0, 0.8);
  ck_assert_int_eq(issim_weight_variance(p, q, -INFINITY, -3, why, sizeof why), ISSIM_VARIANCE_INFINITE);
  issim_dist_free(q);
  issim_dist_free(p);
  /* a truncated normal of sd 2 above 5: a normal proposal needs sd > sqrt 2 */
  p = make("truncated-normal", "lower", 0, "sd", 2);
  q = normal(5, 1);
  ck_assert_int_eq(above(p, q, 5, why), ISSIM_VARIANCE_INFINITE);
  issim_dist_free(q);
  q = normal(5, 2);
  ck_assert_int_eq(above(p, q, 5, why), ISSIM_VARIANCE_FINITE);
  issim_dist_free(q);
  issim_dist_free(p);
  /* a triangular (0, 1, 2) near 0, p ~ x: a gamma ~ x^(shape - 1) is finite iff 2 - (shape - 1) > -1 */
  const char *keys[3] = {"lower", "mode", "upper"};
  const double tri[3] = {0, 1, 2};
  p = issim_dist_alloc("triangular", 3, keys, tri, NULL);
  q = make("gamma", "shape", 3, NULL, 0);
  ck_assert_int_eq(issim_weight_variance(p, q, 0, 0.5, why, sizeof why), ISSIM_VARIANCE_FINITE);
  issim_dist_free(q);
  q = make("gamma", "shape", 4, NULL, 0);
  ck_assert_int_eq(issim_weight_variance(p, q, 0, 0.5, why, sizeof why), ISSIM_VARIANCE_INFINITE);
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
      ck_assert_msg(issim_weight_variance(issim_model_line_dist(s->target),
                                          issim_model_line_dist(s->proposals[j].model), lo, hi,
                                          why, sizeof why) ==
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

/* ---- d-dimensional models ---- */

static issim_model *mvn(size_t d, const double *mean, const double *cov)
{
  issim_error err;
  issim_model *m = issim_model_alloc_normal(d, mean, cov, &err);
  ck_assert_msg(m != NULL, "%s", err.message);
  return m;
}

static issim_model *mvt(size_t d, double df, const double *scale)
{
  double loc[4] = {0};
  issim_model *m = issim_model_alloc_student_t(d, df, loc, scale, NULL);
  ck_assert_ptr_nonnull(m);
  return m;
}

static const issim_region WHOLE = {ISSIM_REGION_WHOLE, 0, 0, 0},
                          HALF = {ISSIM_REGION_HALF_SPACES, 0, 3, 1},
                          CONE = {ISSIM_REGION_CONE, 0, 3, -1},
                          BOUNDED = {ISSIM_REGION_BOUNDED, 0, 3, -1},
                          UNKNOWN = {ISSIM_REGION_UNKNOWN, 0, 3, 1};

static issim_variance on(const issim_model *p, const issim_model *q, const issim_region *a)
{
  return issim_model_weight_variance_on(p, q, a, NULL, 0);
}

START_TEST(test_region_of_event)
{
  ck_assert_int_eq(issim_region_of_event(ISSIM_LOSS_LINEAR, 1, -1).kind, ISSIM_REGION_HALF_SPACES);
  issim_region a = issim_region_of_event(ISSIM_LOSS_MAX, 1, 1);
  ck_assert(a.kind == ISSIM_REGION_HALF_SPACES && a.coordinate_union && a.threshold == 1);
  ck_assert_int_eq(issim_region_of_event(ISSIM_LOSS_MAX, 1, -1).kind, ISSIM_REGION_CONE);
  ck_assert_int_eq(issim_region_of_event(ISSIM_LOSS_MIN, 1, -1).kind, ISSIM_REGION_HALF_SPACES);
  ck_assert_int_eq(issim_region_of_event(ISSIM_LOSS_MIN, 1, 1).kind, ISSIM_REGION_CONE);
  ck_assert_int_eq(issim_region_of_event(ISSIM_LOSS_NORM, 1, 1).kind, ISSIM_REGION_EXTERIOR);
  ck_assert_int_eq(issim_region_of_event(ISSIM_LOSS_NORM, 1, -1).kind, ISSIM_REGION_BOUNDED);
  ck_assert_int_eq(issim_region_of_event(ISSIM_LOSS_EXPRESSION, 1, 1).kind, ISSIM_REGION_UNKNOWN);
}
END_TEST

/* p = N(0, I): q = N(0, diag(s1^2, 1)) is too narrow iff 2 - 1/s1^2 < 0; in
 * one dimension the rule must be the univariate one (sd > 1/sqrt 2). */
START_TEST(test_normal_models)
{
  const double zero[2] = {0, 0}, id[4] = {1, 0, 0, 1};
  issim_model *p = mvn(2, zero, id);
  const double narrow[4] = {0.4, 0, 0, 1}, wide[4] = {0.6, 0, 0, 1};
  issim_model *qn = mvn(2, zero, narrow), *qw = mvn(2, zero, wide);
  char why[640] = "";
  ck_assert_int_eq(issim_model_weight_variance(p, qn, why, sizeof why), ISSIM_VARIANCE_INFINITE);
  ck_assert_msg(strstr(why, "negative eigenvalue -0.5") != NULL, "%s", why);
  ck_assert_int_eq(on(p, qn, &HALF), ISSIM_VARIANCE_INFINITE);
  ck_assert_int_eq(on(p, qn, &CONE), ISSIM_VARIANCE_UNDECIDED);
  ck_assert_int_eq(on(p, qn, &UNKNOWN), ISSIM_VARIANCE_UNDECIDED);
  ck_assert_int_eq(on(p, qn, &BOUNDED), ISSIM_VARIANCE_FINITE);
  ck_assert_int_eq(on(p, qw, &HALF), ISSIM_VARIANCE_FINITE);
  ck_assert_int_eq(on(p, qw, &UNKNOWN), ISSIM_VARIANCE_FINITE);
  ck_assert_int_eq(on(p, NULL, &HALF), ISSIM_VARIANCE_FINITE);
  /* a dense pair: S_p = [[1, .9], [.9, 1]], S_q = diag(1, 0.05):
   * M = 2 S_p^-1 - S_q^-1 = [[9.526, -9.474], [-9.474, -9.474]] has det < 0 */
  const double sp[4] = {1, 0.9, 0.9, 1}, sq[4] = {1, 0, 0, 0.05};
  issim_model *pd = mvn(2, zero, sp), *qd = mvn(2, zero, sq);
  double k = 1 / (1 - 0.81), m11 = 2 * k - 1, m12 = -2 * 0.9 * k, m22 = 2 * k - 20;
  ck_assert(m11 * m22 - m12 * m12 < 0);
  ck_assert_int_eq(on(pd, qd, &HALF), ISSIM_VARIANCE_INFINITE);
  /* S_q = S_p / 2 exactly: M = 0, a tie */
  const double half[4] = {0.5, 0.45, 0.45, 0.5};
  issim_model *qh = mvn(2, zero, half);
  ck_assert_int_eq(on(pd, qh, &WHOLE), ISSIM_VARIANCE_UNDECIDED);
  /* 1-D against the univariate rule */
  const double sds[] = {0.3, 0.7, 0.72, 1, 3};
  issim_dist *p1 = issim_dist_alloc_normal(0, 1, NULL);
  issim_model *pm1 = mvn(1, zero, id);
  for (size_t i = 0; i < sizeof sds / sizeof sds[0]; i++) {
    double var = sds[i] * sds[i];
    issim_dist *q1 = issim_dist_alloc_normal(0, sds[i], NULL);
    issim_model *qm1 = mvn(1, zero, &var);
    ck_assert_int_eq(on(pm1, qm1, &HALF), issim_weight_variance(p1, q1, 3, INFINITY, NULL, 0));
    ck_assert_int_eq(on(pm1, qm1, &WHOLE), issim_weight_variance(p1, q1, -INFINITY, INFINITY, NULL, 0));
    issim_model_free(qm1);
    issim_dist_free(q1);
  }
  issim_model_free(pm1);
  issim_dist_free(p1);
  issim_model_free(qh);
  issim_model_free(pd);
  issim_model_free(qd);
  issim_model_free(qn);
  issim_model_free(qw);
  issim_model_free(p);
}
END_TEST

/* t(a) p against normal and t(b) q: p^2/q ~ exp(+x^T Q x / 2) or |x|^-(2a + d - b). */
START_TEST(test_t_models)
{
  const double zero[2] = {0, 0}, id[4] = {1, 0, 0, 1};
  issim_model *t4 = mvt(2, 4, id), *t7 = mvt(2, 7, id), *t8 = mvt(2, 8, id), *t9 = mvt(2, 9, id);
  issim_model *n = mvn(2, zero, id);
  char why[640] = "";
  ck_assert_int_eq(issim_model_weight_variance_on(t4, n, &HALF, why, sizeof why), ISSIM_VARIANCE_INFINITE);
  ck_assert_msg(strstr(why, "multivariate t") != NULL, "%s", why);
  ck_assert_int_eq(on(t4, n, &CONE), ISSIM_VARIANCE_INFINITE);
  ck_assert_int_eq(on(t4, n, &BOUNDED), ISSIM_VARIANCE_FINITE);
  ck_assert_int_eq(on(t4, n, &UNKNOWN), ISSIM_VARIANCE_UNDECIDED);
  ck_assert_int_eq(on(n, t4, &WHOLE), ISSIM_VARIANCE_FINITE);
  ck_assert_int_eq(on(t4, t7, &HALF), ISSIM_VARIANCE_FINITE);
  ck_assert_int_eq(on(t4, t8, &HALF), ISSIM_VARIANCE_INFINITE); /* |x|^-d: log-divergent */
  ck_assert_int_eq(on(t4, t9, &WHOLE), ISSIM_VARIANCE_INFINITE);
  ck_assert_int_eq(on(t4, t9, &UNKNOWN), ISSIM_VARIANCE_UNDECIDED);
  /* mixtures: the defensive one is finite; light components alone are not */
  const issim_model *parts[2] = {t4, n};
  double w[2] = {0.1, 0.9};
  issim_model *defensive = issim_model_alloc_mixture(2, parts, w, NULL);
  ck_assert_int_eq(on(t4, defensive, &HALF), ISSIM_VARIANCE_FINITE);
  const issim_model *light[2] = {n, t9};
  issim_model *bad = issim_model_alloc_mixture(2, light, w, NULL);
  ck_assert_int_eq(on(t4, bad, &HALF), ISSIM_VARIANCE_INFINITE);
  /* a weight of 0 does not count */
  double w0[2] = {0, 1};
  issim_model *zero_target = issim_model_alloc_mixture(2, parts, w0, NULL);
  ck_assert_int_eq(on(t4, zero_target, &HALF), ISSIM_VARIANCE_INFINITE);
  issim_model_free(zero_target);
  issim_model_free(bad);
  issim_model_free(defensive);
  issim_model_free(n);
  issim_model_free(t4), issim_model_free(t7), issim_model_free(t8), issim_model_free(t9);
}
END_TEST

/* A normal target's mixtures: one narrow shape shared by every component is
 * infinite; two shapes, each narrow in another direction, may cover each
 * other: undecided. */
START_TEST(test_normal_mixtures)
{
  const double zero[2] = {0, 0}, one[2] = {3, 0}, id[4] = {1, 0, 0, 1};
  const double narrow1[4] = {0.4, 0, 0, 1}, narrow2[4] = {1, 0, 0, 0.4};
  issim_model *p = mvn(2, zero, id), *a = mvn(2, zero, narrow1), *b = mvn(2, one, narrow1),
              *c = mvn(2, zero, narrow2);
  const issim_model *same[2] = {a, b}, *crossed[2] = {a, c};
  double w[2] = {0.5, 0.5};
  issim_model *m1 = issim_model_alloc_mixture(2, same, w, NULL);
  issim_model *m2 = issim_model_alloc_mixture(2, crossed, w, NULL);
  ck_assert_int_eq(on(p, m1, &HALF), ISSIM_VARIANCE_INFINITE);
  ck_assert_int_eq(on(p, m2, &HALF), ISSIM_VARIANCE_UNDECIDED);
  issim_model_free(m1), issim_model_free(m2);
  issim_model_free(p), issim_model_free(a), issim_model_free(b), issim_model_free(c);
}
END_TEST

/* Independent components: the product of the univariate integrals.  p two
 * exponential(1); q with rates 3 and 0.5: component 1's rate is above twice
 * the target's, so its integral over R (and over (5, inf)) is infinite. */
START_TEST(test_independent_models)
{
  issim_dist *e1 = make("exponential", "rate", 1, NULL, 0), *e3 = make("exponential", "rate", 3, NULL, 0),
             *eh = make("exponential", "rate", 0.5, NULL, 0);
  const issim_dist *pc[2] = {e1, e1}, *qc[2] = {e3, eh}, *ok[2] = {eh, eh};
  issim_model *p = issim_model_alloc_independent(2, pc, NULL), *q = issim_model_alloc_independent(2, qc, NULL),
              *good = issim_model_alloc_independent(2, ok, NULL);
  issim_region max_above = issim_region_of_event(ISSIM_LOSS_MAX, 5, 1);
  issim_region sum = issim_region_of_event(ISSIM_LOSS_SUM, 5, 1);
  char why[640] = "";
  ck_assert_int_eq(issim_model_weight_variance(p, q, why, sizeof why), ISSIM_VARIANCE_INFINITE);
  ck_assert_msg(strncmp(why, "component 1: ", 13) == 0, "%s", why);
  ck_assert_int_eq(on(p, q, &max_above), ISSIM_VARIANCE_INFINITE);
  ck_assert_int_eq(on(p, q, &sum), ISSIM_VARIANCE_UNDECIDED);
  ck_assert_int_eq(on(p, good, &sum), ISSIM_VARIANCE_FINITE);
  /* a max above the support's end in every component: no half-space has mass */
  issim_model_free(p), issim_model_free(q), issim_model_free(good);
  issim_dist_free(e1), issim_dist_free(e3), issim_dist_free(eh);
}
END_TEST

/* The defensive mixture of a copula target: the target is recognised in the
 * mixture, so the weights are bounded by 1/a. */
START_TEST(test_copula_defensive)
{
  issim_dist *t = make("student-t", "df", 4, NULL, 0);
  const issim_dist *marg[3] = {t, t, t};
  double r[9] = {1, 0.5, 0.5, 0.5, 1, 0.5, 0.5, 0.5, 1}, r2[9] = {1, 0.4, 0.5, 0.4, 1, 0.5, 0.5, 0.5, 1};
  issim_model *p = issim_model_alloc_copula(3, r, marg, NULL), *other = issim_model_alloc_copula(3, r2, marg, NULL);
  const double zero[3] = {0}, id[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1};
  issim_model *n = mvn(3, zero, id);
  const issim_model *parts[2] = {p, n}, *parts2[2] = {other, n};
  double w[2] = {0.1, 0.9};
  issim_model *m = issim_model_alloc_mixture(2, parts, w, NULL), *m2 = issim_model_alloc_mixture(2, parts2, w, NULL);
  ck_assert_int_eq(on(p, m, &HALF), ISSIM_VARIANCE_FINITE);
  ck_assert_int_eq(on(p, m2, &HALF), ISSIM_VARIANCE_UNDECIDED); /* another correlation */
  ck_assert_int_eq(on(p, n, &HALF), ISSIM_VARIANCE_UNDECIDED);
  issim_model_free(m), issim_model_free(m2), issim_model_free(n), issim_model_free(p), issim_model_free(other);
  issim_dist_free(t);
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
  tcase_add_test(tc, test_design_code_families);
  tcase_add_test(tc, test_shipped_proposals_pass);
  tcase_add_test(tc, test_cross_entropy_finite);
  tcase_add_test(tc, test_region_of_event);
  tcase_add_test(tc, test_normal_models);
  tcase_add_test(tc, test_t_models);
  tcase_add_test(tc, test_normal_mixtures);
  tcase_add_test(tc, test_independent_models);
  tcase_add_test(tc, test_copula_defensive);
  suite_add_tcase(s, tc);
  return run_suite(s);
}
