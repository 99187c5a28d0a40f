/* Tests of src/compare.c: the ranking (verdict first, then work-normalised
 * efficiency, then file order), the choice of the reference (exact, else the
 * most precise trustworthy estimate, else none), the marks of intervals that
 * exclude it, and the gain over plain Monte Carlo per unit of work; on
 * hand-made results, then on a small run with a fixed seed. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>

#include "check_main.h"
#include "check_util.h"
#include "issim.h"

/* Proposals: `crude` is the target (no distribution), the others have one. */
typedef struct {
  issim_model *model;
  issim_proposal p[8];
  issim_result r[8];
} fixture;

static void fixture_init(fixture *f)
{
  memset(f, 0, sizeof *f);
  f->model = line_model(issim_dist_alloc_normal(5, 1, NULL));
}

/* Result i: a proposal with a distribution (crude = 0) or the target. Its
 * estimate P = exp(log_p) with relative error re from n draws in `seconds`,
 * so rv = n re^2; hits 0 makes it a proposal without a hit. */
static void set(fixture *f, size_t i, const char *name, int crude, issim_verdict_level level,
                uint64_t hits, double log_p, double re, uint64_t n, double seconds)
{
  f->p[i] = (issim_proposal){.name = (char *)name, .model = crude ? NULL : f->model};
  issim_result *r = &f->r[i];
  *r = (issim_result){.proposal = &f->p[i], .seconds = seconds, .pareto_k = NAN};
  r->verdict.level = level;
  r->estimate = good_estimate();
  r->estimate.samples = n;
  r->estimate.hits = hits;
  r->estimate.log_estimate = hits ? log_p : -INFINITY;
  r->estimate.relative_error = hits ? re : NAN;
  r->estimate.relative_variance = hits ? (double)n * re * re : NAN;
}

static void fixture_free(fixture *f)
{
  issim_model_free(f->model);
}

/* ranked[k].index for k = 0..n-1 as a string of result letters, "DABCE" */
static void order_of(const issim_ranked *ranked, size_t n, char *out)
{
  for (size_t k = 0; k < n; k++)
    out[k] = (char)('A' + ranked[k].index);
  out[n] = '\0';
}

START_TEST(test_verdict_first_then_efficiency)
{
  fixture f;
  fixture_init(&f);
  /* efficiency = n / (rv seconds) = 1 / (re^2 seconds) */
  set(&f, 0, "A", 0, ISSIM_TRUSTWORTHY, 1000, log(1e-6), 0.1, 10000, 1);     /* 100 */
  set(&f, 1, "B", 0, ISSIM_DOUBTFUL, 1000, log(1e-6), 0.001, 10000, 1);     /* 1e6 */
  set(&f, 2, "C", 0, ISSIM_UNRELIABLE, 1000, log(1e-6), 0.0001, 10000, 1);  /* 1e8 */
  set(&f, 3, "D", 0, ISSIM_TRUSTWORTHY, 1000, log(1e-6), 0.01, 10000, 1);   /* 1e4 */
  set(&f, 4, "E", 0, ISSIM_UNRELIABLE, 0, 0, 0, 10000, 1);                  /* no hit */
  set(&f, 5, "F", 0, ISSIM_DOUBTFUL, 1000, log(1e-6), 0.01, 10000, 0.5);    /* 2e4 */
  issim_ranked ranked[6];
  issim_reference ref;
  issim_compare_rank(f.r, 6, log(1e-6), ranked, &ref);
  char order[8];
  order_of(ranked, 6, order);
  ck_assert_str_eq(order, "DABFCE");
  assert_close(ranked[0].efficiency, 1e4, 1e-8);
  assert_close(ranked[1].efficiency, 100, 1e-10);
  assert_close(ranked[2].efficiency, 1e6, 1e-4);
  assert_close(ranked[3].efficiency, 2e4, 1e-8);
  assert_close(ranked[4].efficiency, 1e8, 1e-2);
  ck_assert_double_eq(ranked[5].efficiency, 0); /* without a hit */
  fixture_free(&f);
}
END_TEST

START_TEST(test_ties_keep_file_order_and_zero_efficiency)
{
  fixture f;
  fixture_init(&f);
  set(&f, 0, "A", 0, ISSIM_DOUBTFUL, 10, log(1e-3), 0.1, 100, 1);
  set(&f, 1, "B", 0, ISSIM_TRUSTWORTHY, 10, log(1e-3), 0.1, 100, 0); /* no time: efficiency 0 */
  set(&f, 2, "C", 0, ISSIM_DOUBTFUL, 10, log(1e-3), 0.1, 100, 1);    /* ties A */
  set(&f, 3, "D", 0, ISSIM_TRUSTWORTHY, 10, log(1e-3), 0.1, 100, 0); /* ties B */
  set(&f, 4, "E", 0, ISSIM_DOUBTFUL, 10, log(1e-3), 0.1, 100, 1);    /* ties A */
  f.r[4].estimate.relative_variance = 0; /* rv 0: efficiency 0 */
  issim_ranked ranked[5];
  issim_reference ref;
  issim_compare_rank(f.r, 5, NAN, ranked, &ref);
  char order[8];
  order_of(ranked, 5, order);
  ck_assert_str_eq(order, "BDACE");
  ck_assert_double_eq(ranked[0].efficiency, 0);
  ck_assert_double_eq(ranked[4].efficiency, 0);
  /* reversed input, reversed ties */
  issim_result rev[5];
  for (size_t i = 0; i < 5; i++)
    rev[i] = f.r[4 - i];
  issim_compare_rank(rev, 5, NAN, ranked, &ref);
  for (size_t k = 0; k < 5; k++)
    order[k] = rev[ranked[k].index].proposal->name[0];
  ck_assert_str_eq(order, "DBCAE");
  fixture_free(&f);
}
END_TEST

START_TEST(test_reference_choice)
{
  fixture f;
  fixture_init(&f);
  set(&f, 0, "A", 0, ISSIM_TRUSTWORTHY, 100, log(2e-6), 0.05, 1000, 1);
  set(&f, 1, "B", 0, ISSIM_DOUBTFUL, 100, log(3e-6), 0.001, 1000, 1);   /* more precise, doubtful */
  set(&f, 2, "C", 0, ISSIM_TRUSTWORTHY, 100, log(2.1e-6), 0.02, 1000, 1);
  set(&f, 3, "D", 0, ISSIM_UNRELIABLE, 0, 0, 0, 1000, 1);
  issim_ranked ranked[4];
  issim_reference ref;
  /* the exact value when known */
  issim_compare_rank(f.r, 4, log(2.05e-6), ranked, &ref);
  ck_assert_int_eq(ref.exact, 1);
  ck_assert_double_eq(ref.log_value, log(2.05e-6));
  /* else the trustworthy estimate with the smallest relative error: C, not B */
  issim_compare_rank(f.r, 4, NAN, ranked, &ref);
  ck_assert_int_eq(ref.exact, 0);
  ck_assert_uint_eq(ref.proposal, 2);
  ck_assert_double_eq(ref.log_value, log(2.1e-6));
  /* and none without a trustworthy proposal: nothing is marked */
  f.r[0].verdict.level = ISSIM_DOUBTFUL;
  f.r[2].verdict.level = ISSIM_UNRELIABLE;
  issim_compare_rank(f.r, 4, NAN, ranked, &ref);
  ck_assert(isnan(ref.log_value));
  for (size_t k = 0; k < 4; k++) {
    ck_assert_int_eq(ranked[k].excludes_reference, 0);
    ck_assert(isnan(ranked[k].log_gain_over_crude_work));
  }
  fixture_free(&f);
}
END_TEST

/* Does a proposal at P = 1e-6, RE 1%, exclude the exact value P (1 + d)? */
static int excludes_at(double d, double re)
{
  fixture f;
  fixture_init(&f);
  set(&f, 0, "A", 0, ISSIM_TRUSTWORTHY, 100, log(1e-6), re, 1000, 1);
  issim_ranked ranked[1];
  issim_reference ref;
  issim_compare_rank(f.r, 1, log(1e-6) + log1p(d), ranked, &ref);
  fixture_free(&f);
  return ranked[0].excludes_reference;
}

START_TEST(test_ci_excludes_reference)
{
  /* |ref - P_hat| > 1.96 RE P_hat */
  ck_assert_int_eq(excludes_at(0.0195, 0.01), 0);
  ck_assert_int_eq(excludes_at(-0.0195, 0.01), 0);
  ck_assert_int_eq(excludes_at(0.0197, 0.01), 1);
  ck_assert_int_eq(excludes_at(-0.0197, 0.01), 1);
  ck_assert_int_eq(excludes_at(0, 0.01), 0);
  /* the relative error is floored at 1e-10: a perfect proposal (RE 0) is not
   * marked for rounding, but is for a real difference */
  ck_assert_int_eq(excludes_at(1e-12, 0), 0);
  ck_assert_int_eq(excludes_at(1e-8, 0), 1);
  ck_assert_int_eq(excludes_at(1e-8, 1e-20), 1);
}
END_TEST

START_TEST(test_no_mark_without_hit_or_on_the_reference_itself)
{
  fixture f;
  fixture_init(&f);
  set(&f, 0, "A", 0, ISSIM_TRUSTWORTHY, 100, log(1e-6), 0.001, 1000, 1);
  set(&f, 1, "B", 0, ISSIM_TRUSTWORTHY, 100, log(2e-6), 0.01, 1000, 1); /* 100 SE off A */
  set(&f, 2, "C", 0, ISSIM_UNRELIABLE, 0, 0, 0, 1000, 1);
  issim_ranked ranked[3];
  issim_reference ref;
  issim_compare_rank(f.r, 3, NAN, ranked, &ref);
  ck_assert_uint_eq(ref.proposal, 0);
  for (size_t k = 0; k < 3; k++)
    ck_assert_int_eq(ranked[k].excludes_reference, ranked[k].index == 1);
  /* with the exact value as reference, A is judged like the others */
  issim_compare_rank(f.r, 3, log(1.5e-6), ranked, &ref);
  for (size_t k = 0; k < 3; k++)
    ck_assert_int_eq(ranked[k].excludes_reference, ranked[k].index != 2);
  fixture_free(&f);
}
END_TEST

START_TEST(test_gain_over_crude_work)
{
  fixture f;
  fixture_init(&f);
  double P = 1e-4;
  set(&f, 0, "good", 0, ISSIM_TRUSTWORTHY, 5000, log(P), 0.01, 100000, 2);
  set(&f, 1, "crude", 1, ISSIM_DOUBTFUL, 10, log(1.1 * P), 0.3, 100000, 0.5);
  issim_ranked ranked[2];
  issim_reference ref;
  issim_compare_rank(f.r, 2, log(P), ranked, &ref);
  ck_assert_uint_eq(ranked[0].index, 0);
  /* crude's efficiency from its exact relative variance (1-P)/P and measured
   * time per draw; the gain is the ratio of the efficiencies */
  double eff_good = 100000 / (100000 * 0.01 * 0.01 * 2);
  double eff_crude = 1 / ((1 - P) / P * 0.5 / 100000);
  assert_close(ranked[0].log_gain_over_crude_work, log(eff_good / eff_crude), 1e-12);
  /* crude's own row: its sample rv (0.3^2 N) against the exact one */
  double eff_crude_sample = 100000 / (100000 * 0.3 * 0.3 * 0.5);
  assert_close(ranked[1].log_gain_over_crude_work, log(eff_crude_sample / eff_crude), 1e-12);
  /* without a crude proposal, or with one that took no time: no gain */
  f.p[1].model = f.model;
  issim_compare_rank(f.r, 2, log(P), ranked, &ref);
  ck_assert(isnan(ranked[0].log_gain_over_crude_work));
  f.p[1].model = NULL;
  f.r[1].seconds = 0;
  issim_compare_rank(f.r, 2, log(P), ranked, &ref);
  ck_assert(isnan(ranked[0].log_gain_over_crude_work));
  /* a crude proposal without a hit still gives its speed */
  f.r[1].seconds = 0.5;
  f.r[1].estimate.hits = 0;
  issim_compare_rank(f.r, 2, log(P), ranked, &ref);
  assert_close(ranked[0].log_gain_over_crude_work, log(eff_good / eff_crude), 1e-12);
  ck_assert(isnan(ranked[1].log_gain_over_crude_work)); /* its own efficiency is 0 */
  fixture_free(&f);
}
END_TEST

/* ---- a small run: P(Z > 4) ---- */

START_TEST(test_small_run_ranking)
{
  /* good: the shifted normal (rv 4.5, trustworthy); poor: it overshoots by
   * three sd (rv exp(49) Q(11) / P^2 - 1 = 360, 80 times good's, a gap no
   * timing noise reverses; its k-hat, fitted on top weights spread over four
   * orders of magnitude, comes out above 0.7 at this N: unreliable, which puts
   * it among the unreliable ones, first by efficiency); away: never reaches
   * the event; crude: a handful of hits at most */
  issim_scenario *s = scenario_parse_ok(
      "[target]\ndistribution = normal\n[event]\nthreshold = 4\n"
      "[proposal crude]\ndistribution = target\n"
      "[proposal away]\ndistribution = normal\nmean = -4\nsd = 0.5\n"
      "[proposal poor]\ndistribution = normal\nmean = 7\n"
      "[proposal good]\ndistribution = normal\nmean = 4\n", "compare.ini");
  issim_result r[4];
  for (size_t i = 0; i < 4; i++) {
    issim_run_config cfg = run_config_of(s, s->proposals[i].name, 100000, 3, 1);
    issim_error err;
    ck_assert_msg(issim_analyse(s, &s->proposals[i], &cfg, 0, &r[i], &err) == ISSIM_OK, "%s",
                  err.message);
  }
  double exact = gsl_cdf_ugaussian_Q(4);
  ck_assert_int_eq(r[3].verdict.level, ISSIM_TRUSTWORTHY);
  ck_assert_within_4se(r[3].estimate.estimate, exact, r[3].estimate.std_error);
  ck_assert_int_eq(r[1].verdict.level, ISSIM_UNRELIABLE);
  ck_assert_int_eq(r[0].verdict.level, ISSIM_UNRELIABLE); /* event ESS < 30 */
  issim_ranked ranked[4];
  issim_reference ref;
  issim_compare_rank(r, 4, log(exact), ranked, &ref);
  ck_assert_uint_eq(ranked[0].index, 3); /* good */
  /* then the unreliable ones by efficiency: poor, crude (some hits: its
   * efficiency is above 0; with none it would tie with away, and come first
   * by file order), away (no hit) */
  ck_assert_uint_eq(ranked[1].index, 2);
  ck_assert_uint_eq(ranked[2].index, 0);
  ck_assert_uint_eq(ranked[3].index, 1);
  ck_assert_double_eq(ranked[3].efficiency, 0);
  /* the marks agree with |z| > 1.96 computed here */
  for (size_t k = 0; k < 4; k++) {
    const issim_estimate *e = &r[ranked[k].index].estimate;
    if (e->hits == 0) {
      ck_assert_int_eq(ranked[k].excludes_reference, 0);
      continue;
    }
    double z = (exact - e->estimate) / (e->relative_error * e->estimate);
    ck_assert_int_eq(ranked[k].excludes_reference, fabs(z) > ISSIM_Z95);
  }
  /* good's gain over crude per unit of work: plain Monte Carlo's relative
   * variance per draw (1-P)/P at the reference over good's, times their speed
   * ratio, both measured here (a timing, so the test checks the formula, and
   * the gain per draw alone, which is large: about 4e3) */
  const issim_estimate *g = &r[3].estimate;
  const double per_draw_good = (double)g->samples * g->relative_error * g->relative_error;
  ck_assert_msg((1 - exact) / exact / per_draw_good > 400, "gain per draw %g",
                (1 - exact) / exact / per_draw_good);
  const double log_crude = log(exact) - log1p(-exact) - log(r[0].seconds / (double)r[0].estimate.samples);
  assert_close(ranked[0].log_gain_over_crude_work, log(ranked[0].efficiency) - log_crude, 1e-12);
  /* without the exact value, good is the reference (the most precise) */
  issim_compare_rank(r, 4, NAN, ranked, &ref);
  ck_assert_int_eq(ref.exact, 0);
  ck_assert_uint_eq(ref.proposal, 3);
  ck_assert_double_eq(ref.log_value, r[3].estimate.log_estimate);
  issim_scenario_free(s);
}
END_TEST

/* The cross-check: two trustworthy proposals more than 4 combined SE apart
 * are both demoted, each naming the other; within 4 SE, or where one was not
 * trustworthy, nothing changes.  P far below the smallest double works. */
START_TEST(test_cross_check)
{
  fixture f;
  fixture_init(&f);
  const double lp = -800; /* P = 3.7e-348 */
  /* A and B: 1% apart with 0.1% relative errors: 7.0 combined SE */
  set(&f, 0, "A", 0, ISSIM_TRUSTWORTHY, 100, lp, 1e-3, 100000, 1);
  set(&f, 1, "B", 0, ISSIM_TRUSTWORTHY, 100, lp + log(1.01), 1e-3, 100000, 1);
  /* C: 3 SE from A at 0.5% relative error; D: far off but already doubtful */
  set(&f, 2, "C", 0, ISSIM_TRUSTWORTHY, 100, lp + log(1.015), 5e-3, 100000, 1);
  set(&f, 3, "D", 0, ISSIM_DOUBTFUL, 100, lp + log(2.0), 1e-3, 100000, 1);
  for (size_t i = 0; i < 4; i++)
    f.r[i].estimate.log_std_error =
        f.r[i].estimate.log_estimate + log(f.r[i].estimate.relative_error);
  ck_assert_uint_eq(issim_compare_cross_check(f.r, 4), 1);
  ck_assert_int_eq(f.r[0].verdict.level, ISSIM_DOUBTFUL);
  ck_assert_int_eq(f.r[1].verdict.level, ISSIM_DOUBTFUL);
  ck_assert_msg(strstr(f.r[0].verdict.reasons[0], "'B'") &&
                    strstr(f.r[0].verdict.reasons[0], "7.0 combined standard errors"),
                "%s", f.r[0].verdict.reasons[0]);
  ck_assert(strstr(f.r[1].verdict.reasons[0], "'A'") != NULL);
  /* C is 2.9 SE from A and 0.99 from B: it stays; D was not trustworthy */
  ck_assert_int_eq(f.r[2].verdict.level, ISSIM_TRUSTWORTHY);
  ck_assert_uint_eq(f.r[2].verdict.n_reasons, 0);
  ck_assert_int_eq(f.r[3].verdict.level, ISSIM_DOUBTFUL);
  ck_assert_uint_eq(f.r[3].verdict.n_reasons, 0);
  fixture_free(&f);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("compare");
  TCase *tc = tcase_create("compare");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_verdict_first_then_efficiency);
  tcase_add_test(tc, test_ties_keep_file_order_and_zero_efficiency);
  tcase_add_test(tc, test_reference_choice);
  tcase_add_test(tc, test_ci_excludes_reference);
  tcase_add_test(tc, test_no_mark_without_hit_or_on_the_reference_itself);
  tcase_add_test(tc, test_gain_over_crude_work);
  tcase_add_test(tc, test_small_run_ranking);
  tcase_add_test(tc, test_cross_check);
  suite_add_tcase(s, tc);
  return run_suite(s);
}
