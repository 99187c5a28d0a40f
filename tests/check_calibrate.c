/* Tests of src/calibrate.c: replications of a 1-D normal scenario with a
 * fixed seed judged against the exact value (gsl_cdf_ugaussian_Q), the
 * coverage counted again here from the replications' own numbers and held to
 * a band from the binomial standard error of R replications; the
 * over-confident and inconclusive flags on proposals known to be so; the
 * formulas of issim_calibration_judge and the pooled reference on hand-made
 * replications; and the streams the replications draw from. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>

#include "check_main.h"
#include "check_util.h"
#include "issim.h"

/* P(Z > 3) = 1.35e-3 */
static const char NORMAL3[] = "[target]\ndistribution = normal\n[event]\nthreshold = 3\n"
                              "[proposal shifted]\ndistribution = normal\nmean = 3\n"
                              "[proposal crude]\ndistribution = target\n";

/* R replications of n draws of the proposal `name`, seed 17, one thread. */
static void calibrate(issim_scenario *s, const char *name, uint64_t n, size_t reps,
                      issim_calibration *c)
{
  const issim_proposal *p = issim_scenario_proposal(s, name);
  ck_assert_ptr_nonnull(p);
  issim_run_config cfg = run_config_of(s, name, n, 17, 1);
  issim_error err;
  int rc = issim_calibration_run(s, p, NULL, &cfg, reps, c, &err);
  ck_assert_msg(rc == ISSIM_OK, "%s", err.message);
  ck_assert_ptr_eq(c->proposal, p);
  ck_assert_uint_eq(c->reps, reps);
}

/* The share of replications with a hit whose 95% interval holds P, counted
 * from their estimates and relative errors. */
static double coverage_of(const issim_calibration *c, double exact, size_t *with_hit)
{
  size_t covered = 0;
  *with_hit = 0;
  for (size_t r = 0; r < c->reps; r++) {
    if (isnan(c->relative_error[r]))
      continue;
    double est = exp(c->log_estimate[r]), se = c->relative_error[r] * est;
    covered += fabs(est - exact) <= ISSIM_Z95 * se;
    (*with_hit)++;
  }
  return (double)covered / (double)*with_hit;
}

START_TEST(test_good_proposal_is_honest)
{
  issim_scenario *s = scenario_parse_ok(NORMAL3, "calibrate.ini");
  const size_t R = 400;
  issim_calibration c;
  calibrate(s, "shifted", 2000, R, &c);
  double exact = gsl_cdf_ugaussian_Q(3);
  ck_assert_uint_eq(c.zero_hit_reps, 0);
  ck_assert_uint_eq(c.unreliable_reps, 0);
  ck_assert(c.seconds > 0);
  /* the mean of the R estimates against the exact value, by the SE of a mean
   * of R (each replication against its own SE is the coverage, below) */
  double mean = 0, sq = 0;
  for (size_t r = 0; r < R; r++) {
    double est = exp(c.log_estimate[r]);
    mean += est / (double)R;
    sq += est * est / (double)R;
  }
  double sd = sqrt((sq - mean * mean) * (double)R / (double)(R - 1));
  ck_assert_within_4se(mean, exact, sd / sqrt((double)R));
  /* replications are distinct draws: not two equal estimates in a row */
  for (size_t r = 1; r < R; r++)
    ck_assert(c.log_estimate[r] != c.log_estimate[r - 1]);

  issim_calibration_judge(&c, log(exact));
  size_t m;
  double coverage = coverage_of(&c, exact, &m);
  ck_assert_uint_eq(m, R);
  ck_assert_double_eq_tol(c.coverage, coverage, 1e-15);
  /* an honest 95% interval: the count of R = 400 is binomial, SE
   * sqrt(0.95 0.05 / 400) = 0.011; 4 of them either side */
  double bse = sqrt(0.95 * 0.05 / (double)R);
  ck_assert_msg(fabs(c.coverage - 0.95) <= 4 * bse, "coverage %g, band 0.95 -+ %g", c.coverage,
                4 * bse);
  /* z-scores: mean 0 with SE 1/sqrt R, sd 1 with SE about 1/sqrt(2R) */
  ck_assert_msg(fabs(c.z_mean) <= 4 / sqrt((double)R), "z mean %g", c.z_mean);
  ck_assert_msg(fabs(c.z_sd - 1) <= 4 / sqrt(2.0 * (double)R), "z sd %g", c.z_sd);
  /* the spread around P matches the claimed relative error */
  double ratio = c.relative_rmse / c.mean_reported_re;
  ck_assert_msg(ratio > 0.8 && ratio < 1.25, "rel RMSE %g, mean reported RE %g",
                c.relative_rmse, c.mean_reported_re);
  ck_assert_int_eq(c.over_confident, 0);
  ck_assert_int_eq(c.inconclusive, 0);
  issim_calibration_free(&c);
  ck_assert_ptr_null(c.log_estimate);
  issim_calibration_free(&c); /* twice is harmless */
  issim_scenario_free(s);
}
END_TEST

START_TEST(test_light_proposal_is_over_confident)
{
  /* a normal proposal on a student-t(3) tail: infinite weight variance; the
   * far tail, which holds a good part of P, is almost never drawn, so the runs
   * are low and claim a small error: they miss P far more often than 1 in 20.
   * (A normal of sd 0.3 on NORMAL3's normal target, infinite variance too, is
   * not flagged at N = 2000: 94% coverage; the mass beyond its reach, about
   * 1% of P, is below the error its runs report.) */
  issim_scenario *s = scenario_parse_ok("[target]\ndistribution = student-t\ndf = 3\n"
                                        "[event]\nthreshold = 5\n"
                                        "[proposal light]\ndistribution = normal\nmean = 5\n",
                                        "calibrate.ini");
  const size_t R = 100;
  issim_calibration c;
  calibrate(s, "light", 1000, R, &c);
  double exact = gsl_cdf_tdist_Q(5, 3);
  ck_assert_uint_eq(c.unreliable_reps, R); /* the tail check says so every time */
  ck_assert_uint_eq(c.zero_hit_reps, 0);
  issim_calibration_judge(&c, log(exact));
  size_t m;
  double coverage = coverage_of(&c, exact, &m);
  ck_assert_double_eq_tol(c.coverage, coverage, 1e-15);
  ck_assert_uint_ge(m, 50);
  ck_assert_msg(c.coverage < 0.85, "coverage %g", c.coverage);
  ck_assert_msg(c.relative_rmse > 2 * c.mean_reported_re, "ratio %g",
                c.relative_rmse / c.mean_reported_re);
  ck_assert_msg(c.z_mean < -2, "z mean %g", c.z_mean); /* low, not just noisy */
  ck_assert_int_eq(c.over_confident, 1);
  ck_assert_int_eq(c.inconclusive, 0);
  issim_calibration_free(&c);
  issim_scenario_free(s);
}
END_TEST

START_TEST(test_crude_without_hits_is_inconclusive)
{
  /* plain Monte Carlo with N P = 0.27: about 3 in 4 replications see nothing */
  issim_scenario *s = scenario_parse_ok(NORMAL3, "calibrate.ini");
  const size_t R = 60;
  issim_calibration c;
  calibrate(s, "crude", 200, R, &c);
  size_t empty = 0;
  for (size_t r = 0; r < R; r++) {
    empty += isnan(c.relative_error[r]);
    ck_assert(isnan(c.relative_error[r]) == (c.log_estimate[r] == -INFINITY));
  }
  ck_assert_uint_eq(c.zero_hit_reps, empty);
  ck_assert_msg(2 * empty > R, "%zu of %zu empty", empty, R);
  /* a replication without a hit is unreliable too */
  ck_assert_uint_ge(c.unreliable_reps, c.zero_hit_reps);
  issim_calibration_judge(&c, log(gsl_cdf_ugaussian_Q(3)));
  ck_assert_int_eq(c.inconclusive, 1);
  ck_assert_int_eq(c.over_confident, 0);
  issim_calibration_free(&c);
  issim_scenario_free(s);
}
END_TEST

START_TEST(test_replication_streams)
{
  /* replication r is the run of stream issim_rng_stream_id(name) + r + 1 */
  issim_scenario *s = scenario_parse_ok(NORMAL3, "calibrate.ini");
  issim_calibration c;
  calibrate(s, "shifted", 5000, 3, &c);
  const issim_proposal *p = issim_scenario_proposal(s, "shifted");
  for (size_t r = 0; r < 3; r++) {
    issim_run_config cfg = run_config_of(s, "shifted", 5000, 17, 2);
    cfg.stream += r + 1;
    issim_result res;
    issim_error err;
    ck_assert_msg(issim_analyse(s, p, &cfg, 0, &res, &err) == ISSIM_OK, "%s", err.message);
    ck_assert_double_eq(res.estimate.log_estimate, c.log_estimate[r]);
    ck_assert_double_eq(res.estimate.relative_error, c.relative_error[r]);
  }
  /* and not issim run's own stream */
  issim_run_config cfg = run_config_of(s, "shifted", 5000, 17, 1);
  issim_result res;
  ck_assert_int_eq(issim_analyse(s, p, &cfg, 0, &res, NULL), ISSIM_OK);
  for (size_t r = 0; r < 3; r++)
    ck_assert(res.estimate.log_estimate != c.log_estimate[r]);
  issim_calibration_free(&c);
  issim_scenario_free(s);
}
END_TEST

/* ---- the judgement on hand-made replications ---- */

static double log_est[128], rel_err[128];
static const issim_proposal HAND = {.name = "hand"};

static issim_calibration hand(size_t reps, size_t zero_hits, size_t unreliable)
{
  return (issim_calibration){.proposal = &HAND, .reps = reps, .zero_hit_reps = zero_hits,
                             .unreliable_reps = unreliable, .log_estimate = log_est,
                             .relative_error = rel_err};
}

START_TEST(test_judge_formulas)
{
  /* reference 1e-300 (far below what would be safe to exponentiate into a
   * ratio with care); four replications at ratios 1.1, 0.9, 1.02, 0 (no hit) */
  const double ref = log(1e-300);
  const double ratio[4] = {1.1, 0.9, 1.02, 0};
  const double re[4] = {0.05, 0.04, 0.01, NAN};
  for (size_t r = 0; r < 4; r++) {
    log_est[r] = ratio[r] > 0 ? ref + log(ratio[r]) : -INFINITY;
    rel_err[r] = re[r];
  }
  issim_calibration c = hand(4, 1, 1);
  issim_calibration_judge(&c, ref);
  /* RMSE over all 4, the no-hit one as an error of -100% */
  double rmse = sqrt((0.01 + 0.01 + 0.0004 + 1) / 4);
  assert_close(c.relative_rmse, rmse, 1e-12);
  assert_close(c.mean_reported_re, (0.05 + 0.04 + 0.01) / 3, 1e-15);
  /* z = (P_r - ref) / (RE_r P_r): 0.1/0.055 = 1.82, -0.1/0.036 = -2.78,
   * 0.02/0.0102 = 1.96 (just outside: covered 1 of 3) */
  double z[3] = {0.1 / (0.05 * 1.1), -0.1 / (0.04 * 0.9), 0.02 / (0.01 * 1.02)};
  double zm = (z[0] + z[1] + z[2]) / 3;
  double zv = ((z[0] - zm) * (z[0] - zm) + (z[1] - zm) * (z[1] - zm) + (z[2] - zm) * (z[2] - zm)) / 2;
  assert_close(c.z_mean, zm, 1e-9);
  assert_close(c.z_sd, sqrt(zv), 1e-9);
  ck_assert(z[2] > ISSIM_Z95);
  assert_close(c.coverage, 1.0 / 3, 1e-15);
  /* 1 of 4 without a hit: conclusive; RMSE 0.51 > 2 x 0.033: over-confident */
  ck_assert_int_eq(c.inconclusive, 0);
  ck_assert_int_eq(c.over_confident, 1);
}
END_TEST

START_TEST(test_judge_thresholds)
{
  /* replications exactly on P with a claimed RE of 10%, and some without a
   * hit (-100% each in the RMSE) */
  for (size_t r = 0; r < 4; r++) {
    log_est[r] = log(1e-3);
    rel_err[r] = 0.1;
  }
  issim_calibration c = hand(4, 0, 0);
  issim_calibration_judge(&c, log(1e-3));
  ck_assert_double_eq(c.relative_rmse, 0);
  ck_assert_double_eq(c.coverage, 1);
  ck_assert_int_eq(c.over_confident, 0);
  ck_assert_int_eq(c.inconclusive, 0);
  /* 2 of 4 without a hit is not more than half: judged, and RMSE
   * sqrt(1/2) = 0.71 > 2 x 10%: over-confident */
  for (size_t r = 0; r < 2; r++) {
    log_est[r] = -INFINITY;
    rel_err[r] = NAN;
  }
  c = hand(4, 2, 2);
  issim_calibration_judge(&c, log(1e-3));
  ck_assert_int_eq(c.inconclusive, 0);
  assert_close(c.relative_rmse, sqrt(0.5), 1e-15);
  ck_assert_int_eq(c.over_confident, 1);
  /* 3 of 4: inconclusive, and then never over-confident */
  log_est[2] = -INFINITY;
  rel_err[2] = NAN;
  c = hand(4, 3, 3);
  issim_calibration_judge(&c, log(1e-3));
  ck_assert_int_eq(c.inconclusive, 1);
  ck_assert_int_eq(c.over_confident, 0);
  /* the ratio rule at its edge: RMSE 0.2 against a claimed 0.1 passes, a
   * little more does not */
  for (size_t r = 0; r < 4; r++) {
    log_est[r] = log(1e-3) + log(r % 2 ? 1.2 : 0.8);
    rel_err[r] = 0.1;
  }
  c = hand(4, 0, 0);
  issim_calibration_judge(&c, log(1e-3));
  assert_close(c.relative_rmse, 0.2, 1e-15);
  ck_assert_int_eq(c.over_confident, !(c.relative_rmse <= 0.2));
  for (size_t r = 0; r < 4; r++)
    log_est[r] = log(1e-3) + log(r % 2 ? 1.21 : 0.79);
  issim_calibration_judge(&c, log(1e-3));
  ck_assert_int_eq(c.over_confident, 1);
}
END_TEST

/* n replications with a hit, at ratio 1 + d_r with RE 0.1, where `missed` of
 * them are 3 SE off (outside their interval) and the rest exactly on P */
static issim_calibration with_coverage(size_t n, size_t missed)
{
  for (size_t r = 0; r < n; r++) {
    rel_err[r] = 0.1;
    /* ratio q with (q - 1) / (0.1 q) = 3: q = 1 / 0.7 */
    log_est[r] = log(1e-5) + (r < missed ? -log(0.7) : 0);
  }
  issim_calibration c = hand(n, 0, 0);
  issim_calibration_judge(&c, log(1e-5));
  return c;
}

START_TEST(test_coverage_rule_needs_50_replications)
{
  /* 84% coverage: below 85%, flagged from 50 replications with a hit on */
  issim_calibration c = with_coverage(50, 8);
  assert_close(c.coverage, 0.84, 1e-15);
  ck_assert_msg(c.relative_rmse <= 2 * c.mean_reported_re, "rmse %g", c.relative_rmse);
  ck_assert_int_eq(c.over_confident, 1);
  c = with_coverage(50, 7); /* 86% */
  ck_assert_int_eq(c.over_confident, 0);
  c = with_coverage(49, 8); /* 83.7%, but only 49: too few to judge, too low for honest */
  ck_assert(c.coverage < 0.85);
  ck_assert_int_eq(c.over_confident, 0);
  ck_assert_int_eq(c.inconclusive, 1);
  c = with_coverage(100, 15); /* 85% exactly is enough */
  assert_close(c.coverage, 0.85, 1e-15);
  ck_assert_int_eq(c.over_confident, 0);
}
END_TEST

/* No verdict from NaN or from too few error bars (issue 18 item 9): one
 * draw per replication gave every run a hit but no relative error (NaN),
 * and calibrate called the proposal OVER-CONFIDENT from the NaN ratio; 34%
 * coverage over fewer than 50 error bars was "honest". */
START_TEST(test_no_verdict_without_error_bars)
{
  for (size_t r = 0; r < 100; r++) {
    log_est[r] = log(1e-5) + log(r % 2 ? 1.5 : 0.6);
    rel_err[r] = NAN; /* a hit, but no error bar */
  }
  issim_calibration c = hand(100, 0, 100);
  issim_calibration_judge(&c, log(1e-5));
  ck_assert_uint_eq(c.no_error_bar_reps, 100);
  ck_assert_int_eq(c.inconclusive, 1);
  ck_assert_int_eq(c.over_confident, 0);
  /* 40 error bars covering 35% (14 of 40 on P, 26 far off); 40 runs without
   * a bar: not most.  The RE claimed is wide enough for the spread (RMSE
   * below twice it): before, "honest" */
  for (size_t r = 0; r < 80; r++) {
    int with_bar = r < 40, on = r < 14;
    log_est[r] = log(1e-5) + (with_bar ? (on ? 0 : log(r % 2 ? 1.3 : 0.75)) : log(r % 2 ? 1.2 : 0.8));
    rel_err[r] = with_bar ? (on ? 0.5 : 0.08) : NAN;
  }
  c = hand(80, 0, 40);
  issim_calibration_judge(&c, log(1e-5));
  ck_assert_uint_eq(c.no_error_bar_reps, 40);
  assert_close(c.coverage, 14.0 / 40, 1e-15);
  ck_assert_msg(c.relative_rmse <= 2 * c.mean_reported_re, "rmse %g re %g", c.relative_rmse,
                c.mean_reported_re);
  ck_assert_int_eq(c.inconclusive, 1);
  ck_assert_int_eq(c.over_confident, 0);
}
END_TEST

START_TEST(test_pooled_reference)
{
  static double l[3][4], e[3][4];
  const issim_proposal names[3] = {{.name = "a"}, {.name = "b"}, {.name = "c"}};
  issim_calibration c[3];
  for (size_t i = 0; i < 3; i++) {
    c[i] = (issim_calibration){.proposal = &names[i], .reps = 4, .log_estimate = l[i],
                               .relative_error = e[i]};
    for (size_t r = 0; r < 4; r++) {
      /* far below the smallest double: the mean must be taken in logs */
      l[i][r] = -800.0 - (double)r;
      e[i][r] = 0.01 * (double)(3 - i); /* c is the most precise, then b */
    }
  }
  c[2].unreliable_reps = 1; /* c is excluded: one of its runs was unreliable */
  size_t which = 99;
  /* a is judged against b (the most precise other trusted one; a agrees) */
  double ref = issim_calibration_pooled_reference(c, 3, 0, &which);
  ck_assert_uint_eq(which, 1);
  /* log of the mean of exp(-800), exp(-801), exp(-802), exp(-803) */
  double want = -800 + log((1 + exp(-1) + exp(-2) + exp(-3)) / 4);
  assert_close(ref, want, 1e-12);
  /* b is never judged against itself: against a */
  ref = issim_calibration_pooled_reference(c, 3, 1, &which);
  ck_assert_uint_eq(which, 0);
  assert_close(ref, want, 1e-12);
  /* c against b, whose runner-up a agrees */
  ref = issim_calibration_pooled_reference(c, 3, 2, &which);
  ck_assert_uint_eq(which, 1);
  /* a runner-up 10% away, with 1% errors over 4 reps: they disagree, none */
  for (size_t r = 0; r < 4; r++)
    l[0][r] += log(1.1);
  which = 99;
  ref = issim_calibration_pooled_reference(c, 3, 2, &which);
  ck_assert(isnan(ref));
  ck_assert_uint_eq(which, 99);
  c[1].zero_hit_reps = 1; /* then only a is trusted: b against it */
  ref = issim_calibration_pooled_reference(c, 3, 1, &which);
  ck_assert_uint_eq(which, 0);
  c[0].reps = 0; /* a proposal with no replications has no mean */
  which = 99;
  ref = issim_calibration_pooled_reference(c, 3, 1, &which);
  ck_assert(isnan(ref));
  ck_assert_uint_eq(which, 99);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("calibrate");
  TCase *tc = tcase_create("calibrate");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_good_proposal_is_honest);
  tcase_add_test(tc, test_no_verdict_without_error_bars);
  tcase_add_test(tc, test_light_proposal_is_over_confident);
  tcase_add_test(tc, test_crude_without_hits_is_inconclusive);
  tcase_add_test(tc, test_replication_streams);
  tcase_add_test(tc, test_judge_formulas);
  tcase_add_test(tc, test_judge_thresholds);
  tcase_add_test(tc, test_coverage_rule_needs_50_replications);
  tcase_add_test(tc, test_pooled_reference);
  suite_add_tcase(s, tc);
  return run_suite(s);
}
