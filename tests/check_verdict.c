/* Tests of src/verdict.c: each rule of verdict.h at both sides of its
 * threshold, on hand-made estimates, with the level and the reason that names
 * the cause; the order of the reasons and the worst level winning; the no-hit
 * and infinite-variance rules; that the distance to the exact value is a
 * warning (report.c) and not part of the verdict; and tiny runs with fixed
 * seeds that must come out trustworthy, doubtful and unreliable. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>

#include "check_main.h"
#include "check_util.h"
#include "issim.h"

static const issim_verdict_inputs FINE = {.pareto_k = 0.2, .variance = ISSIM_VARIANCE_FINITE,
                                          .expected_mean_weight = 1};

/* The verdict of e with FINE's inputs but pareto_k = k. */
static issim_verdict judge_k(double k)
{
  issim_estimate e = good_estimate();
  issim_verdict_inputs in = FINE;
  in.pareto_k = k;
  issim_verdict v;
  memset(&v, 0x5a, sizeof v); /* judge must not depend on what was there */
  issim_verdict_judge(&e, &in, &v);
  return v;
}

static issim_verdict judge(const issim_estimate *e, const issim_verdict_inputs *in)
{
  issim_verdict v;
  memset(&v, 0x5a, sizeof v);
  issim_verdict_judge(e, in, &v);
  return v;
}

/* v has the level and exactly one reason, which contains `cause`. */
#define assert_one_reason(v, want_level, cause)                                          \
  do {                                                                                   \
    ck_assert_msg((v).level == (want_level), "level %s, want %s",                       \
                  issim_verdict_name((v).level), issim_verdict_name(want_level));        \
    ck_assert_uint_eq((v).n_reasons, 1);                                                 \
    ck_assert_msg(strstr((v).reasons[0], cause) != NULL, "reason '%s' lacks '%s'",       \
                  (v).reasons[0], cause);                                                \
  } while (0)

#define assert_trustworthy(v)                                                            \
  do {                                                                                   \
    ck_assert_msg((v).level == ISSIM_TRUSTWORTHY, "level %s: %s",                        \
                  issim_verdict_name((v).level), (v).n_reasons ? (v).reasons[0] : "");   \
    ck_assert_uint_eq((v).n_reasons, 0);                                                 \
  } while (0)

START_TEST(test_names)
{
  ck_assert_str_eq(issim_verdict_name(ISSIM_TRUSTWORTHY), "trustworthy");
  ck_assert_str_eq(issim_verdict_name(ISSIM_DOUBTFUL), "doubtful");
  ck_assert_str_eq(issim_verdict_name(ISSIM_UNRELIABLE), "unreliable");
  ck_assert_str_eq(issim_verdict_name((issim_verdict_level)42), "unknown");
  /* the levels are ordered: the worst is the largest */
  ck_assert_int_lt(ISSIM_TRUSTWORTHY, ISSIM_DOUBTFUL);
  ck_assert_int_lt(ISSIM_DOUBTFUL, ISSIM_UNRELIABLE);
}
END_TEST

START_TEST(test_khat_thresholds)
{
  issim_verdict v = judge_k(0.5); /* at most 0.5: fine */
  assert_trustworthy(v);
  v = judge_k(-0.68); /* bounded weights */
  assert_trustworthy(v);
  v = judge_k(nextafter(0.5, 1));
  assert_one_reason(v, ISSIM_DOUBTFUL, "Pareto k-hat = 0.50 is between 0.5 and 0.7");
  v = judge_k(0.6);
  assert_one_reason(v, ISSIM_DOUBTFUL, "the weights' variance may be infinite");
  v = judge_k(0.7); /* (0.5, 0.7] is doubtful */
  assert_one_reason(v, ISSIM_DOUBTFUL, "Pareto k-hat = 0.70 is between 0.5 and 0.7");
  v = judge_k(nextafter(0.7, 1));
  assert_one_reason(v, ISSIM_UNRELIABLE, "Pareto k-hat = 0.70 > 0.7");
  v = judge_k(1.38);
  assert_one_reason(v, ISSIM_UNRELIABLE, "Pareto k-hat = 1.38 > 0.7: the largest weights");
  v = judge_k(INFINITY);
  ck_assert_int_eq(v.level, ISSIM_UNRELIABLE);
  v = judge_k(NAN); /* not computed: not judged */
  assert_trustworthy(v);
}
END_TEST

START_TEST(test_event_ess_thresholds)
{
  issim_estimate e = good_estimate();
  e.event_ess = 100; /* not below 100 */
  issim_verdict v = judge(&e, &FINE);
  assert_trustworthy(v);
  e.event_ess = 100 * (1 - 1e-12); /* rounding: at 100 (see test_equal_weights...) */
  v = judge(&e, &FINE);
  assert_trustworthy(v);
  e.event_ess = 99.9;
  v = judge(&e, &FINE);
  assert_one_reason(v, ISSIM_DOUBTFUL, "event ESS = 99.9 is below 100");
  e.event_ess = 42.25;
  v = judge(&e, &FINE);
  assert_one_reason(v, ISSIM_DOUBTFUL, "event ESS = 42.2 is below 100: the standard error is "
                                       "only a rough guide");
  e.event_ess = 30; /* 30 is doubtful, not unreliable */
  v = judge(&e, &FINE);
  assert_one_reason(v, ISSIM_DOUBTFUL, "event ESS = 30.0 is below 100");
  e.event_ess = 30 * (1 - 1e-12);
  v = judge(&e, &FINE);
  assert_one_reason(v, ISSIM_DOUBTFUL, "event ESS = 30.0 is below 100");
  e.event_ess = 29.9;
  v = judge(&e, &FINE);
  assert_one_reason(v, ISSIM_UNRELIABLE, "event ESS = 29.9: fewer than 30 effective draws");
  e.event_ess = 1;
  v = judge(&e, &FINE);
  assert_one_reason(v, ISSIM_UNRELIABLE, "so its standard error is itself unreliable");
}
END_TEST

START_TEST(test_weight_share_thresholds)
{
  issim_estimate e = good_estimate();
  e.max_weight_share = 0.1;
  issim_verdict v = judge(&e, &FINE);
  assert_trustworthy(v);
  e.max_weight_share = 0.1 * (1 + 1e-12); /* rounding: at 0.1 */
  v = judge(&e, &FINE);
  assert_trustworthy(v);
  e.max_weight_share = 0.1004;
  v = judge(&e, &FINE);
  assert_one_reason(v, ISSIM_DOUBTFUL, "one draw carries 10% of the estimate");
  e.max_weight_share = 0.5;
  v = judge(&e, &FINE);
  assert_one_reason(v, ISSIM_DOUBTFUL, "one draw carries 50% of the estimate");
  e.max_weight_share = 0.5 * (1 + 1e-12);
  v = judge(&e, &FINE);
  assert_one_reason(v, ISSIM_DOUBTFUL, "one draw carries 50% of the estimate");
  e.max_weight_share = 0.5004;
  v = judge(&e, &FINE);
  assert_one_reason(v, ISSIM_UNRELIABLE, "one draw carries 50% of the estimate");
  e.max_weight_share = 1;
  v = judge(&e, &FINE);
  assert_one_reason(v, ISSIM_UNRELIABLE, "one draw carries 100% of the estimate");
}
END_TEST

START_TEST(test_mean_weight_rule)
{
  issim_estimate e = good_estimate(); /* mean weight 1 +- 0.01 */
  /* 10 standard errors and 10% away: doubtful, with both numbers named */
  e.mean_weight = 0.9;
  issim_verdict v = judge(&e, &FINE);
  assert_one_reason(v, ISSIM_DOUBTFUL, "the mean weight is 0.9, 10.0 standard errors from 1 "
                                       "(the target's mass on the proposal's support)");
  /* both conditions are needed: 6 SE but 3% ... */
  e.mean_weight = 0.97;
  e.mean_weight_se = 0.005;
  v = judge(&e, &FINE);
  assert_trustworthy(v);
  /* ... 7% but 3.9 SE ... */
  e.mean_weight = 0.93;
  e.mean_weight_se = 0.07 / 3.9;
  v = judge(&e, &FINE);
  assert_trustworthy(v);
  /* ... 7% and 4.1 SE */
  e.mean_weight_se = 0.07 / 4.1;
  v = judge(&e, &FINE);
  assert_one_reason(v, ISSIM_DOUBTFUL, "4.1 standard errors from 1");
  /* 5% is the floor relative to the expected value: 4.9% passes, 5.1% not */
  issim_verdict_inputs in = FINE;
  in.expected_mean_weight = 0.5;
  e.mean_weight_se = 1e-4;
  e.mean_weight = 0.5 * 1.049;
  v = judge(&e, &in);
  assert_trustworthy(v);
  e.mean_weight = 0.5 * 1.051;
  v = judge(&e, &in);
  assert_one_reason(v, ISSIM_DOUBTFUL, "from 0.5 (the target's mass");
  /* judged from a Kish ESS of 1000 on, not below */
  e.ess = 1000;
  v = judge(&e, &in);
  ck_assert_int_eq(v.level, ISSIM_DOUBTFUL);
  e.ess = nextafter(1000, 0);
  v = judge(&e, &in);
  assert_trustworthy(v);
  /* not judged without an expected value (multivariate proposals, mixtures) */
  e.ess = 5000;
  in.expected_mean_weight = NAN;
  v = judge(&e, &in);
  assert_trustworthy(v);
}
END_TEST

START_TEST(test_infinite_variance)
{
  issim_estimate e = good_estimate();
  issim_verdict_inputs in = FINE;
  in.variance = ISSIM_VARIANCE_INFINITE;
  in.variance_reason = "the proposal's upper tail is too light for the target's";
  issim_verdict v = judge(&e, &in);
  ck_assert_int_eq(v.level, ISSIM_UNRELIABLE);
  ck_assert_uint_eq(v.n_reasons, 1);
  ck_assert_str_eq(v.reasons[0], in.variance_reason);
  /* without an explanation, a generic one */
  in.variance_reason = NULL;
  v = judge(&e, &in);
  ck_assert_str_eq(v.reasons[0], "the weights have infinite variance");
  /* undecided does not change the verdict */
  in.variance = ISSIM_VARIANCE_UNDECIDED;
  v = judge(&e, &in);
  assert_trustworthy(v);
  /* a reason longer than a reason's buffer is cut, not overrun */
  char longer[2 * ISSIM_VERDICT_REASON_SIZE];
  memset(longer, 'r', sizeof longer - 1);
  longer[sizeof longer - 1] = '\0';
  in.variance = ISSIM_VARIANCE_INFINITE;
  in.variance_reason = longer;
  v = judge(&e, &in);
  ck_assert_uint_eq(strlen(v.reasons[0]), ISSIM_VERDICT_REASON_SIZE - 1);
}
END_TEST

START_TEST(test_no_hit)
{
  /* no hit: unreliable, and no other sample rule is applied (the event ESS of
   * 0 and the k-hat would otherwise add reasons) */
  issim_estimate e = good_estimate();
  e.hits = 0;
  e.event_ess = 0;
  e.max_weight_share = NAN;
  issim_verdict_inputs in = FINE;
  in.pareto_k = 0.9;
  issim_verdict v = judge(&e, &in);
  ck_assert_int_eq(v.level, ISSIM_UNRELIABLE);
  ck_assert_uint_eq(v.n_reasons, 1);
  ck_assert_str_eq(v.reasons[0], "no draw hit the event");
  /* the analytic check comes first, and still counts */
  in.variance = ISSIM_VARIANCE_INFINITE;
  in.variance_reason = "too light";
  v = judge(&e, &in);
  ck_assert_uint_eq(v.n_reasons, 2);
  ck_assert_str_eq(v.reasons[0], "too light");
  ck_assert_str_eq(v.reasons[1], "no draw hit the event");
}
END_TEST

START_TEST(test_worst_level_and_order_of_reasons)
{
  /* every rule at once, in the order of verdict.h: tail check, k-hat, event
   * ESS, largest weight, mean weight; the worst level wins */
  issim_estimate e = good_estimate();
  e.event_ess = 50;         /* doubtful */
  e.max_weight_share = 0.2; /* doubtful */
  e.mean_weight = 0.5;      /* doubtful */
  issim_verdict_inputs in = FINE;
  in.pareto_k = 0.6; /* doubtful */
  issim_verdict v = judge(&e, &in);
  ck_assert_int_eq(v.level, ISSIM_DOUBTFUL);
  ck_assert_uint_eq(v.n_reasons, 4);
  ck_assert(strstr(v.reasons[0], "Pareto k-hat = 0.60") != NULL);
  ck_assert(strstr(v.reasons[1], "event ESS = 50.0") != NULL);
  ck_assert(strstr(v.reasons[2], "one draw carries 20%") != NULL);
  ck_assert(strstr(v.reasons[3], "the mean weight is 0.5") != NULL);
  /* one unreliable rule among doubtful ones makes it unreliable */
  e.max_weight_share = 0.9;
  v = judge(&e, &in);
  ck_assert_int_eq(v.level, ISSIM_UNRELIABLE);
  ck_assert_uint_eq(v.n_reasons, 4);
  ck_assert(strstr(v.reasons[2], "one draw carries 90%") != NULL);
  in.variance = ISSIM_VARIANCE_INFINITE;
  in.variance_reason = "analytic";
  v = judge(&e, &in);
  ck_assert_uint_eq(v.n_reasons, 5);
  ck_assert_str_eq(v.reasons[0], "analytic");
}
END_TEST

/* The distance to the exact value is not part of the verdict: it is the
 * warning of report.c at |z| > 4. */
static size_t warnings_at_z(double z, char **lines)
{
  static const issim_proposal q = {.name = "q"};
  double p = 1e-6, re = 0.01;
  issim_result res = {.proposal = &q, .pareto_k = 0.2, .variance = ISSIM_VARIANCE_FINITE,
                      .expected_mean_weight = 1};
  res.estimate = good_estimate();
  res.estimate.log_estimate = log(p * (1 + z * re)); /* SE = re P exactly below */
  res.estimate.log_std_error = log(re * p);
  res.estimate.relative_error = re / (1 + z * re);
  issim_verdict_inputs in = FINE;
  issim_verdict_judge(&res.estimate, &in, &res.verdict);
  ck_assert_int_eq(res.verdict.level, ISSIM_TRUSTWORTHY);
  issim_report r = {.exact_log = log(p), .n_results = 1, .results = &res};
  return issim_result_warnings(&r, &res, lines, 4);
}

START_TEST(test_distance_to_exact_is_a_warning_only)
{
  char *lines[4];
  ck_assert_uint_eq(warnings_at_z(3.9, lines), 0);
  ck_assert_uint_eq(warnings_at_z(-3.9, lines), 0);
  ck_assert_uint_eq(warnings_at_z(4.1, lines), 1);
  ck_assert_str_eq(lines[0], "the estimate is 4.1 standard errors from the exact value: this "
                             "proposal's error bar is not honest");
  free(lines[0]);
  ck_assert_uint_eq(warnings_at_z(-7.1, lines), 1);
  ck_assert(strstr(lines[0], "the estimate is -7.1 standard errors") != NULL);
  free(lines[0]);
}
END_TEST

/* ---- equal weights at the thresholds ---- */

/* The estimate of n draws of weight 1 (plain Monte Carlo), k of them hits,
 * accumulated as the engine does, in batches of 512. */
static issim_estimate equal_weights(size_t n, unsigned k)
{
  double *zero = xalloc(n), *hit = xalloc(n);
  for (size_t i = 0; i < n; i++)
    zero[i] = hit[i] = 0;
  for (unsigned i = 0; i < k; i++)
    hit[(i * 7919u) % n] = 1;
  issim_accum a;
  issim_accum_reset(&a);
  for (size_t off = 0; off < n; off += 512)
    issim_accum_add(&a, n - off < 512 ? n - off : 512, zero + off, zero + off, hit + off);
  issim_estimate e;
  issim_accum_estimate(&a, &e);
  free(zero);
  free(hit);
  return e;
}

START_TEST(test_equal_weights_at_the_thresholds)
{
  /* k hits of weight 1 have an event ESS of exactly k and a largest share of
   * exactly 1/k; the estimator's sums round them to a few ulps either side
   * (30 hits in 1000 draws: 29.999999999999993; 100 in 5985:
   * 99.999999999999986).  A rule must not fire on rounding: 30 such hits are
   * doubtful, not "event ESS = 30.0: fewer than 30 effective draws", 100 are
   * trustworthy, 10 are unreliable for their event ESS alone, without "one
   * draw carries 10%" on top. */
  issim_verdict_inputs in = FINE;
  in.pareto_k = NAN; /* equal weights: no k-hat */
  for (size_t n = 1000; n <= 60000; n += 997) {
    issim_estimate e = equal_weights(n, 30);
    issim_verdict v = judge(&e, &in);
    ck_assert_msg(v.level == ISSIM_DOUBTFUL && v.n_reasons == 1, "30 hits in %zu: %s, %s", n,
                  issim_verdict_name(v.level), v.reasons[0]);
    ck_assert(strstr(v.reasons[0], "event ESS = 30.0 is below 100") != NULL);
    e = equal_weights(n, 100);
    v = judge(&e, &in);
    ck_assert_msg(v.level == ISSIM_TRUSTWORTHY, "100 hits in %zu: %s, %s", n,
                  issim_verdict_name(v.level), v.n_reasons ? v.reasons[0] : "");
    e = equal_weights(n, 10);
    v = judge(&e, &in);
    ck_assert_msg(v.level == ISSIM_UNRELIABLE && v.n_reasons == 1, "10 hits in %zu: %zu reasons, "
                  "the last '%s'", n, v.n_reasons, v.reasons[v.n_reasons - 1]);
  }
}
END_TEST

/* ---- tiny runs with fixed seeds ---- */

/* Analyses the proposal `name` of the scenario text with n draws, seed 11. */
static void run_named(const char *text, const char *name, uint64_t n, issim_result *r)
{
  issim_scenario *s = scenario_parse_ok(text, "verdict.ini");
  const issim_proposal *p = issim_scenario_proposal(s, name);
  ck_assert_ptr_nonnull(p);
  issim_run_config cfg = run_config_of(s, name, n, 11, 1);
  issim_error err;
  int rc = issim_analyse(s, p, &cfg, 0, r, &err);
  ck_assert_msg(rc == ISSIM_OK, "%s", err.message);
  r->proposal = NULL;
  issim_scenario_free(s);
}

static const char NORMAL3[] = "[target]\ndistribution = normal\n[event]\nthreshold = 3\n"
                              "[proposal shifted]\ndistribution = normal\nmean = 3\n"
                              "[proposal crude]\ndistribution = target\n"
                              "[proposal away]\ndistribution = normal\nmean = -5\nsd = 0.5\n"
                              "[proposal narrow]\ndistribution = normal\nmean = 3\nsd = 0.3\n";

/* The region check from the draws (regions.h): a checked region with no hit
 * of 1000, where a tenth of its share would be 50, is unreliable when the
 * analytic check cannot judge (log_q NAN), doubtful when its few hits carry
 * its share, and is not said twice when the analytic check already says
 * unreliable. */
/* A certain event (a level of a curve below the target's support: P = 1,
 * plain Monte Carlo hits with every draw): the exact SE and the sample's are
 * both 0, log -inf, and agree; their ratio was 0/0, and the verdict doubtful
 * because "the standard error is -nan of the exact one". */
START_TEST(test_certain_event_se_agrees)
{
  issim_estimate e = good_estimate();
  e.hits = e.samples;
  e.log_estimate = 0;
  e.log_std_error = -INFINITY;
  issim_verdict_inputs in = FINE;
  in.has_exact_std_error = 1;
  in.exact_log_std_error = -INFINITY;
  issim_verdict v = judge(&e, &in);
  assert_trustworthy(v);
  e.log_std_error = log(1e-3); /* an SE where the exact one is 0: not too narrow */
  v = judge(&e, &in);
  assert_trustworthy(v);
}
END_TEST

START_TEST(test_regions_from_the_draws)
{
  issim_estimate e = good_estimate();
  issim_region_check c = {.n_regions = 2, .n_checked = 2, .index = {0, 1},
                          .share = {0.5, 0.5}, .beta = {4.24, 4.24},
                          .log_q = {NAN, NAN}, .log_q_total = NAN, .drawn = 1,
                          .hits_total = 1000, .hits = {1000, 0}, .estimate_share = {1, 0}};
  snprintf(c.where[1], sizeof c.where[1], "x* = (-3, -3)");
  issim_verdict_inputs in = FINE;
  in.regions = &c;
  issim_verdict v = judge(&e, &in);
  assert_one_reason(v, ISSIM_UNRELIABLE, "from the draws");
  ck_assert(strstr(v.reasons[0], "region 2 at x* = (-3, -3)") != NULL);
  ck_assert(strstr(v.reasons[0], "0 of this proposal's 1000 hits") != NULL);
  c.hits[0] = 995, c.hits[1] = 5, c.estimate_share[0] = 0.55, c.estimate_share[1] = 0.45;
  v = judge(&e, &in);
  assert_one_reason(v, ISSIM_DOUBTFUL, "rests on a handful of draws");
  c.hits[1] = 10; /* enough hits: nothing to say */
  v = judge(&e, &in);
  assert_trustworthy(v);
  /* the analytic check names the region first; the draws add nothing */
  c.hits[0] = 1000, c.hits[1] = 0, c.estimate_share[0] = 1, c.estimate_share[1] = 0;
  c.log_q[0] = log(0.5), c.log_q[1] = log(1e-17), c.log_q_total = log(0.5);
  v = judge(&e, &in);
  assert_one_reason(v, ISSIM_UNRELIABLE, "cannot have visited it");
}
END_TEST

START_TEST(test_runs_trustworthy)
{
  issim_result r;
  run_named(NORMAL3, "shifted", 20000, &r);
  assert_trustworthy(r.verdict);
  ck_assert_within_4se(r.estimate.estimate, gsl_cdf_ugaussian_Q(3), r.estimate.std_error);
}
END_TEST

START_TEST(test_runs_doubtful_on_few_hits)
{
  /* plain Monte Carlo of P(Z > 3) = 1.35e-3 with 50,000 draws: about 67 hits,
   * all of weight 1, so the event ESS is the number of hits, below 100 */
  issim_result r;
  run_named(NORMAL3, "crude", 50000, &r);
  ck_assert_msg(r.estimate.hits >= 30 && r.estimate.hits < 100, "%llu hits",
                (unsigned long long)r.estimate.hits);
  ck_assert_double_eq_tol(r.estimate.event_ess, (double)r.estimate.hits, 1e-9);
  ck_assert(isnan(r.pareto_k)); /* equal weights: no k-hat */
  assert_one_reason(r.verdict, ISSIM_DOUBTFUL, "is below 100: the standard error is only a "
                                               "rough guide");
  ck_assert_within_4se(r.estimate.estimate, gsl_cdf_ugaussian_Q(3), r.estimate.std_error);
}
END_TEST

START_TEST(test_runs_unreliable_without_hits)
{
  /* N(-5, 0.5) never reaches x > 3 (16 of its sd away) */
  issim_result r;
  run_named(NORMAL3, "away", 20000, &r);
  ck_assert_uint_eq(r.estimate.hits, 0);
  ck_assert_int_eq(r.verdict.level, ISSIM_UNRELIABLE);
  ck_assert_str_eq(r.verdict.reasons[r.verdict.n_reasons - 1], "no draw hit the event");
}
END_TEST

START_TEST(test_runs_unreliable_on_infinite_variance)
{
  /* sd 0.3 < 1/sqrt 2: the weights' variance is infinite, which the tail
   * check says before any draw, and its reason comes first */
  issim_result r;
  run_named(NORMAL3, "narrow", 20000, &r);
  ck_assert_int_eq(r.variance, ISSIM_VARIANCE_INFINITE);
  ck_assert_int_eq(r.verdict.level, ISSIM_UNRELIABLE);
  ck_assert_uint_ge(r.verdict.n_reasons, 1);
  ck_assert_str_eq(r.verdict.reasons[0], r.variance_reason);
  ck_assert(strlen(r.variance_reason) > 0);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("verdict");
  TCase *tc = tcase_create("verdict");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_names);
  tcase_add_test(tc, test_regions_from_the_draws);
  tcase_add_test(tc, test_certain_event_se_agrees);
  tcase_add_test(tc, test_khat_thresholds);
  tcase_add_test(tc, test_event_ess_thresholds);
  tcase_add_test(tc, test_weight_share_thresholds);
  tcase_add_test(tc, test_mean_weight_rule);
  tcase_add_test(tc, test_infinite_variance);
  tcase_add_test(tc, test_no_hit);
  tcase_add_test(tc, test_worst_level_and_order_of_reasons);
  tcase_add_test(tc, test_distance_to_exact_is_a_warning_only);
  tcase_add_test(tc, test_equal_weights_at_the_thresholds);
  tcase_add_test(tc, test_runs_trustworthy);
  tcase_add_test(tc, test_runs_doubtful_on_few_hits);
  tcase_add_test(tc, test_runs_unreliable_without_hits);
  tcase_add_test(tc, test_runs_unreliable_on_infinite_variance);
  suite_add_tcase(s, tc);
  return run_suite(s);
}
