/* Tests of src/estimator.c: every estimate against an exact answer, with a
 * tolerance of 4 of its own reported standard errors and fixed seeds. */
#include <check.h>
#include <math.h>
#include <stdlib.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_math.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_sf_erf.h>

#include "check_main.h"
#include "check_util.h"
#include "issim.h"

/* Runs the engine with a normal target N(0,1), event x > t, proposal N(mu, sd). */
static void run_normal(double t, double mu, double sd, uint64_t n, uint64_t seed, int crude,
                       issim_estimate *e)
{
  issim_model *p = line_model(issim_dist_alloc_normal(0, 1, NULL));
  issim_model *q = line_model(issim_dist_alloc_normal(mu, sd, NULL));
  issim_problem pb = {.target = p, .proposal = crude ? NULL : q, .event = {.threshold = t,
                      .direction = ISSIM_ABOVE}};
  const gsl_rng_type *type;
  ck_assert_int_eq(issim_rng_lookup("taus2", &type, NULL), ISSIM_OK);
  issim_run_config cfg = {.samples = n, .seed = seed, .stream = 7, .rng = type, .threads = 1};
  issim_run_output out = {0};
  ck_assert_int_eq(issim_engine_run(&pb, &cfg, &out, NULL), ISSIM_OK);
  issim_accum acc = out.acc;
  issim_accum_estimate(&acc, e);
  issim_model_free(p);
  issim_model_free(q);
}

START_TEST(test_five_sigma_shifted)
{
  issim_estimate e;
  run_normal(5, 5, 1, 1000000, 42, 0, &e);
  double exact = gsl_cdf_ugaussian_Q(5);
  ck_assert(fabs(exact - 2.8665157187919e-7) < 1e-19);
  ck_assert_within_4se(e.estimate, exact, e.std_error);
  ck_assert_msg(e.relative_error < 0.005, "relative error %g", e.relative_error);
  /* half the draws of N(5,1) exceed 5 */
  ck_assert_within_4se((double)e.hits / 1e6, 0.5, sqrt(0.25 / 1e6));
  /* the reported relative error matches the theory for this proposal:
   * rv = e^{t^2} Q(2t) / Q(t)^2 - 1 = 5.68 at t = 5 (docs/estimators.md) */
  double rv = exp(25) * gsl_cdf_ugaussian_Q(10) / (exact * exact) - 1;
  ck_assert(fabs(rv - 5.68) < 0.01);
  /* rv_hat + 1 = mean(y^2) / P_hat^2: its SE comes from the sample variance of y^2,
   * E_q[y^4] = int_t^inf p^4/q^3 = e^150 Q(20) (complete the square), and from
   * P_hat^2, whose relative SE is 2 RE. */
  double ey2 = (rv + 1) * exact * exact;
  double ey4 = exp(150) * gsl_cdf_ugaussian_Q(20);
  double se_rv = (rv + 1) * (sqrt((ey4 / (ey2 * ey2) - 1) / 1e6) + 2 * e.relative_error);
  ck_assert_within_4se(e.relative_variance, rv, se_rv);
  /* the CI is the estimate -+ 1.96 SE */
  ck_assert_double_eq_tol(exp(e.log_ci_low), e.estimate - 1.959963984540054 * e.std_error,
                          1e-12 * e.estimate);
  ck_assert_double_eq_tol(exp(e.log_ci_high), e.estimate + 1.959963984540054 * e.std_error,
                          1e-12 * e.estimate);
}
END_TEST

START_TEST(test_crude_reports_zero_hits)
{
  issim_estimate e;
  run_normal(5, 0, 1, 1000000, 42, 1, &e);
  /* P = 2.9e-7: at 1e6 draws, zero hits is likely and a few are possible */
  ck_assert_uint_le(e.hits, 5);
  if (e.hits == 0) {
    ck_assert(e.log_estimate == -INFINITY);
    ck_assert(e.estimate == 0);
    ck_assert(isnan(e.relative_error));
  } else {
    ck_assert(e.relative_error > 0.3);
  }
  /* crude weights are all 1 */
  ck_assert_double_eq_tol(e.ess, 1e6, 1e-6);
  ck_assert_double_eq_tol(e.mean_weight, 1, 1e-12);
}
END_TEST

/* A chunk without hits keeps hit_m = -inf, whatever starting value the
 * compiler gives a max reduction (clang's is -DBL_MAX, GCC's -inf: with
 * clang the accumulator held -DBL_MAX, and merged it onwards). */
START_TEST(test_no_hit_chunk_keeps_minus_infinity)
{
  enum { N = 1000 };
  double log_p[N], log_q[N], hit[N];
  for (int i = 0; i < N; i++) {
    log_p[i] = -0.5 * (i % 13);
    log_q[i] = -0.25 * (i % 7);
    hit[i] = 0;
  }
  issim_accum a, b;
  issim_accum_reset(&a);
  issim_accum_add(&a, N, log_p, log_q, hit);
  ck_assert_uint_eq(a.hits, 0);
  ck_assert(a.hit_m == -INFINITY);
  issim_accum_reset(&b);
  issim_accum_add(&b, N, log_p, log_q, hit);
  issim_accum_merge(&a, &b);
  ck_assert(a.hit_m == -INFINITY);
  issim_estimate e;
  issim_accum_estimate(&a, &e);
  ck_assert(e.log_estimate == -INFINITY);
}
END_TEST

START_TEST(test_crude_moderate_event)
{
  /* P(Z > 1) by plain Monte Carlo: the binomial variance exactly */
  issim_estimate e;
  run_normal(1, 0, 1, 200000, 3, 1, &e);
  double exact = gsl_cdf_ugaussian_Q(1);
  ck_assert_within_4se(e.estimate, exact, e.std_error);
  double p = (double)e.hits / 200000.0;
  ck_assert_double_eq_tol(e.estimate, p, 1e-15);
  ck_assert_double_eq_tol(e.std_error, sqrt(p * (1 - p) / (200000.0 - 1)), 1e-15);
}
END_TEST

START_TEST(test_forty_sigma_in_log_space)
{
  /* P(Z > 40) = 3.66e-350 is below the smallest double */
  issim_estimate e;
  run_normal(40, 40, 1, 200000, 11, 0, &e);
  double log_exact = log_normal_sf(40);
  ck_assert(fabs(log_exact / M_LN10 - (-349.43)) < 0.02);
  ck_assert(e.estimate == 0); /* underflows as a double ... */
  ck_assert(isfinite(e.log_estimate)); /* ... but not in log space */
  /* log P_hat - log P ~ (P_hat - P)/P, whose SE is the relative error */
  ck_assert_within_4se(e.log_estimate, log_exact, e.relative_error);
  ck_assert(e.relative_error > 0 && e.relative_error < 0.02);
  char buf[48];
  issim_format_log_prob(log_exact, 3, buf, sizeof buf);
  ck_assert_str_eq(buf, "3.66e-350");
}
END_TEST

/* Independent, direct computation of the estimators on a tiny sample. */
START_TEST(test_small_sample_by_hand)
{
  const double lp[] = {-1.0, -2.0, -0.5, -3.0, -1.5};
  const double lq[] = {-1.2, -1.0, -0.7, -2.0, -1.1};
  const double hit[] = {1, 0, 1, 1, 0};
  const int n = 5;
  issim_accum acc;
  issim_accum_reset(&acc);
  issim_accum_add(&acc, n, lp, lq, hit);
  issim_estimate e;
  issim_accum_estimate(&acc, &e);

  double sw = 0, sw2 = 0, sy = 0, sy2 = 0, swl = 0, sl = 0, swlp = 0, swlq = 0, syl = 0, ymax = 0;
  double slq = 0, slq2 = 0;
  for (int i = 0; i < n; i++) {
    double l = lp[i] - lq[i], w = exp(l), y = hit[i] ? w : 0;
    sw += w; sw2 += w * w; sy += y; sy2 += y * y; swl += w * l; sl += l;
    swlp += w * lp[i]; swlq += w * lq[i]; syl += y * l;
    ymax = fmax(ymax, y);
    slq += lq[i];
    slq2 += lq[i] * lq[i];
  }
  double mean = sy / n, var = (sy2 - n * mean * mean) / (n - 1);
  ck_assert_uint_eq(e.hits, 3);
  ck_assert_double_eq_tol(e.estimate, mean, 1e-14);
  ck_assert_double_eq_tol(e.std_error, sqrt(var / n), 1e-14);
  ck_assert_double_eq_tol(e.relative_error, sqrt(var / n) / mean, 1e-13);
  ck_assert_double_eq_tol(e.ess, sw * sw / sw2, 1e-13);
  ck_assert_double_eq_tol(e.event_ess, sy * sy / sy2, 1e-13);
  ck_assert_double_eq_tol(e.max_weight_share, ymax / sy, 1e-14);
  ck_assert_double_eq_tol(e.mean_weight, sw / n, 1e-14);
  ck_assert_double_eq_tol(e.mean_weight_se, sqrt((sw2 / n - (sw / n) * (sw / n)) / (n - 1)), 1e-14);
  ck_assert_double_eq_tol(e.entropy_q, -slq / n, 1e-14);
  ck_assert_double_eq_tol(e.entropy_q_se, sqrt((slq2 / n - (slq / n) * (slq / n)) / (n - 1)), 1e-14);
  ck_assert_double_eq_tol(exp(e.self_normalized_log_estimate), sy / sw, 1e-14);
  ck_assert_double_eq_tol(e.kl_p_q, swl / n, 1e-14);
  ck_assert_double_eq_tol(e.kl_q_p, -sl / n, 1e-14);
  ck_assert_double_eq_tol(e.entropy_p, -swlp / n, 1e-14);
  ck_assert_double_eq_tol(e.cross_entropy_p_q, -swlq / n, 1e-14);
  ck_assert_double_eq_tol(e.kl_pstar_q, syl / sy - log(mean), 1e-13);
  /* delta-method SE of the self-normalised estimate, straight from its definition */
  double pt = sy / sw, s2 = 0;
  for (int i = 0; i < n; i++) {
    double w = exp(lp[i] - lq[i]) / sw;
    s2 += w * w * (hit[i] - pt) * (hit[i] - pt);
  }
  ck_assert_double_eq_tol(e.self_normalized_relative_error, sqrt(s2) / pt, 1e-13);
}
END_TEST

/* Accumulating in pieces and merging gives the one-pass result. */
START_TEST(test_merge_equals_one_pass)
{
  enum { N = 10007 };
  static double lp[N], lq[N];
  static double hit[N];
  gsl_rng *r = gsl_rng_alloc(gsl_rng_taus2);
  gsl_rng_set(r, 5);
  for (int i = 0; i < N; i++) {
    double x = 3 + gsl_ran_gaussian(r, 1);
    lp[i] = -0.5 * x * x;
    lq[i] = -0.5 * (x - 3) * (x - 3);
    hit[i] = x > 3.5;
  }
  gsl_rng_free(r);

  issim_accum whole, merged, piece;
  issim_accum_reset(&whole);
  issim_accum_add(&whole, N, lp, lq, hit);
  issim_accum_reset(&merged);
  const int cuts[] = {0, 1, 500, 501, 4096, 9000, N};
  for (int k = 0; k + 1 < (int)(sizeof cuts / sizeof cuts[0]); k++) {
    issim_accum_reset(&piece);
    issim_accum_add(&piece, (size_t)(cuts[k + 1] - cuts[k]), lp + cuts[k], lq + cuts[k], hit + cuts[k]);
    issim_accum_merge(&merged, &piece);
  }
  issim_accum empty;
  issim_accum_reset(&empty);
  issim_accum_merge(&merged, &empty);

  issim_estimate a, b;
  issim_accum_estimate(&whole, &a);
  issim_accum_estimate(&merged, &b);
  ck_assert_uint_eq(a.samples, b.samples);
  ck_assert_uint_eq(a.hits, b.hits);
  const double *fa = &a.log_estimate, *fb = &b.log_estimate;
  size_t nfields = (sizeof a - offsetof(issim_estimate, log_estimate)) / sizeof(double);
  for (size_t i = 0; i < nfields; i++) {
    if (isnan(fa[i]) || isinf(fa[i])) {
      ck_assert(isnan(fa[i]) == isnan(fb[i]) && isinf(fa[i]) == isinf(fb[i]));
      continue;
    }
    ck_assert_msg(fabs(fa[i] - fb[i]) <= 1e-11 * fmax(1, fabs(fa[i])),
                  "field %zu: %.17g vs %.17g", i, fa[i], fb[i]);
  }
}
END_TEST

/* KL and entropies of normal pairs against their closed forms. */
static void check_normal_pair(double mu, double sd)
{
  issim_estimate e;
  run_normal(-INFINITY, mu, sd, 400000, 19, 0, &e); /* the event is everything */
  double h_p = 0.5 * log(2 * M_PI * M_E);
  double kl = log(sd) + (1 + mu * mu) / (2 * sd * sd) - 0.5;        /* KL(N(0,1) || N(mu,sd^2)) */
  double kl_rev = -log(sd) + (sd * sd + mu * mu) / 2 - 0.5;         /* KL(N(mu,sd^2) || N(0,1)) */
  ck_assert_within_4se(e.kl_p_q, kl, e.kl_p_q_se);
  ck_assert_within_4se(e.kl_q_p, kl_rev, e.kl_q_p_se);
  ck_assert_within_4se(e.entropy_p, h_p, e.entropy_p_se);
  ck_assert_within_4se(e.cross_entropy_p_q, h_p + kl, e.cross_entropy_p_q_se);
  /* with the event certain, P = 1 and the weights average 1 */
  ck_assert_within_4se(e.estimate, 1, e.std_error);
  ck_assert_within_4se(e.mean_weight, 1, e.std_error);
}

START_TEST(test_kl_normal_shift) { check_normal_pair(1, 1); }
END_TEST
START_TEST(test_kl_normal_wider) { check_normal_pair(0.5, 1.5); }
END_TEST

START_TEST(test_kl_to_zero_variance_proposal)
{
  /* KL(p*||q) for p = N(0,1), A = {x > t}, q = N(t,1):
   * E_{p*}[log p - log q] - log P = -t E[X | X > t] + t^2/2 - log Q(t) */
  const double t = 3;
  issim_estimate e;
  run_normal(t, t, 1, 400000, 23, 0, &e);
  double q = gsl_cdf_ugaussian_Q(t);
  double mills = gsl_ran_ugaussian_pdf(t) / q;
  double exact = -t * mills + t * t / 2 - log(q);
  /* its estimator is a ratio; its SE by the delta method is about
   * sd_{p*}(l) / sqrt(event ESS) */
  double var_l = t * t * (1 + t * mills - mills * mills); /* Var(X | X > t) t^2 */
  double se = sqrt(var_l / e.event_ess) + e.relative_error;
  ck_assert_within_4se(e.kl_pstar_q, exact, se);
  ck_assert(exact > 0);
  ck_assert_within_4se(exp(e.self_normalized_log_estimate), q,
                       q * e.self_normalized_relative_error);
}
END_TEST

START_TEST(test_format_log_prob)
{
  char buf[48];
  issim_format_log_prob(log(2.8665157187919e-7), 6, buf, sizeof buf);
  ck_assert_str_eq(buf, "2.86652e-07");
  issim_format_log_prob(log(9.9996), 3, buf, sizeof buf); /* rounds up to the next decade */
  ck_assert_str_eq(buf, "1.00e+01");
  issim_format_log_prob(-INFINITY, 3, buf, sizeof buf);
  ck_assert_str_eq(buf, "0");
  issim_format_log_prob(-2000 * M_LN10 + log(4.5), 2, buf, sizeof buf);
  ck_assert_str_eq(buf, "4.5e-2000");
}
END_TEST

static Suite *estimator_suite(void)
{
  Suite *s = suite_create("estimator");
  TCase *tc = tcase_create("estimates");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_five_sigma_shifted);
  tcase_add_test(tc, test_crude_reports_zero_hits);
  tcase_add_test(tc, test_no_hit_chunk_keeps_minus_infinity);
  tcase_add_test(tc, test_crude_moderate_event);
  tcase_add_test(tc, test_forty_sigma_in_log_space);
  tcase_add_test(tc, test_small_sample_by_hand);
  tcase_add_test(tc, test_merge_equals_one_pass);
  tcase_add_test(tc, test_kl_normal_shift);
  tcase_add_test(tc, test_kl_normal_wider);
  tcase_add_test(tc, test_kl_to_zero_variance_proposal);
  tcase_add_test(tc, test_format_log_prob);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  return run_suite(estimator_suite());
}
