/* Tests of src/adapt.c: the cross-entropy method's levels (the families'
 * updates are check_cefit.c's): whole fits reaching the threshold, reproducible across thread counts, refusing to
 * collapse; the saved proposal read back exactly; the no-progress, level-limit
 * and error paths. */
#define _POSIX_C_SOURCE 200809L /* open_memstream */
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

#include <gsl/gsl_randist.h>

/* ---- whole fits ---- */

/* P(Z > 5) with an adaptive proposal holding `extra` keys */
static issim_scenario *five_sigma(const char *extra)
{
  char text[4096];
  snprintf(text, sizeof text, "[target]\ndistribution = normal\n[event]\nthreshold = 5\n"
                              "[proposal ce]\ndistribution = adaptive\n%s\n[run]\nseed = 7\n",
           extra);
  issim_scenario *s = scenario_parse_ok(text, "ce.ini");
  return s;
}

/* issim_adapt_run on proposal p of scenario s, from the start its options name. */
static int ce_run(const issim_scenario *s, const issim_proposal *p, uint64_t seed, int threads,
                  int (*stop)(void *), issim_adapt_fit *f, issim_error *err)
{
  *f = (issim_adapt_fit){0};
  issim_problem pb;
  int rc = issim_scenario_fit_start(s, p->adaptive, &pb, err);
  return rc != ISSIM_OK ? rc
                        : issim_adapt_run(&pb, p->name, p->adaptive, seed, s->rng, threads, stop,
                                       NULL, f, err);
}

/* The fitted proposal installed into p, as issim does in its working copy
 * (the test's scenario then frees it). */
static int ce_install(const issim_scenario *s, issim_proposal *p, const issim_adapt_fit *f,
                      issim_error *err)
{
  issim_problem pb = issim_scenario_problem(s, NULL);
  issim_model *qm = NULL;
  int rc = issim_adapt_fit_realise(&pb, f, p->name, &qm, err);
  if (rc == ISSIM_OK) {
    issim_model_free(p->model);
    p->model = qm, p->fitted = 1;
    p->adapt_levels = (unsigned)f->n_levels, p->adapt_draws = f->draws;
  }
  return rc;
}

static int fit(issim_scenario *s, int threads, issim_adapt_fit *f)
{
  issim_error err;
  issim_proposal *p = &s->proposals[0];
  int rc = ce_run(s, p, s->seed, threads, NULL, f, &err);
  ck_assert_msg(rc == ISSIM_OK, "%s", err.message);
  return rc;
}

START_TEST(test_levels_reach_the_threshold)
{
  issim_scenario *s = five_sigma("");
  issim_adapt_fit f;
  fit(s, 2, &f);
  ck_assert_int_eq(f.outcome, ISSIM_CE_REACHED);
  ck_assert(f.n_levels >= 2 && f.n_levels <= 6);
  for (size_t i = 1; i < f.n_levels; i++)
    ck_assert(f.levels[i].gamma > f.levels[i - 1].gamma);
  ck_assert_double_eq(f.levels[f.n_levels - 1].gamma, 5);
  ck_assert_uint_eq(f.draws, 10000 * f.n_levels);
  /* the CE optimum of the mean-shifted normal is E[X | X > 5] = phi(5)/Q(5);
   * the elites' weighted mean has SE about sd(X | X > 5)/sqrt(event ESS) */
  double optimum = exp(-12.5) / sqrt(2 * M_PI) / gsl_cdf_ugaussian_Q(5);
  const issim_adapt_level *last = &f.levels[f.n_levels - 1];
  double se = 0.18 / sqrt(last->event_ess);
  ck_assert_msg(fabs(f.params.mean[0] - optimum) <= 4 * se, "mean %g vs %g (se %g)",
                f.params.mean[0], optimum, se);
  ck_assert_double_eq(f.params.cov[0], 1); /* mean only */
  /* the last level estimates P itself: within its own CE-sample error of Q(5) */
  ck_assert(fabs(last->log_level_prob - log(gsl_cdf_ugaussian_Q(5))) < 4 / sqrt(last->event_ess));
  issim_adapt_fit_clear(&f);
  issim_scenario_free(s);
}
END_TEST

START_TEST(test_fit_is_the_same_for_any_thread_count)
{
  issim_scenario *s = five_sigma("update = mean+spread\nlevel-draws = 9000");
  issim_adapt_fit f1, f2, f3;
  fit(s, 1, &f1);
  fit(s, 2, &f2);
  fit(s, 3, &f3);
  ck_assert_uint_eq(f1.n_levels, f2.n_levels);
  ck_assert_uint_eq(f1.n_levels, f3.n_levels);
  ck_assert(memcmp(f1.params.mean, f2.params.mean, sizeof(double)) == 0);
  ck_assert(memcmp(f1.params.mean, f3.params.mean, sizeof(double)) == 0);
  ck_assert(memcmp(f1.params.cov, f3.params.cov, sizeof(double)) == 0);
  for (size_t i = 0; i < f1.n_levels; i++) {
    ck_assert(memcmp(&f1.levels[i].gamma, &f3.levels[i].gamma, sizeof(double)) == 0);
    ck_assert(memcmp(&f1.levels[i].kl_star, &f2.levels[i].kl_star, sizeof(double)) == 0);
  }
  issim_adapt_fit_clear(&f1);
  issim_adapt_fit_clear(&f2);
  issim_adapt_fit_clear(&f3);
  issim_scenario_free(s);
}
END_TEST

START_TEST(test_spread_update_never_collapses)
{
  /* unfloored, the spread would shrink to sd(X | X > 5), about 0.18: weights of
   * infinite variance.  The floor keeps it at min-spread or above, the tail
   * check confirms finite variance, and replications cover as they claim. */
  issim_scenario *s = five_sigma("update = mean+spread");
  issim_proposal *p = &s->proposals[0];
  issim_adapt_fit f;
  fit(s, 2, &f);
  ck_assert_int_eq(f.outcome, ISSIM_CE_REACHED);
  ck_assert(sqrt(f.params.cov[0]) >= 0.85 * (1 - 1e-12));
  ck_assert(sqrt(f.params.cov[0]) > ISSIM_CE_SPREAD_BOUND);
  issim_error err;
  ck_assert_int_eq(ce_install(s, p, &f, &err), ISSIM_OK);
  ck_assert(p->fitted && issim_model_line_dist(p->model) != NULL);
  double lo, hi;
  issim_scenario_event_region(s, &lo, &hi);
  ck_assert_int_eq(issim_weight_variance(issim_model_line_dist(s->target),
                                         issim_model_line_dist(p->model), lo, hi, NULL, 0),
                   ISSIM_VARIANCE_FINITE);
  /* calibration: 200 replications of 4096 draws; 95% intervals cover within
   * 4 binomial standard errors of 0.95 */
  issim_run_config cfg = {.samples = 4096, .seed = 11, .stream = issim_rng_stream_id("ce"),
                          .rng = s->rng, .threads = 2};
  issim_calibration cal;
  ck_assert_int_eq(issim_calibration_run(s, p, NULL, &cfg, 200, &cal, &err), ISSIM_OK);
  issim_calibration_judge(&cal, log(gsl_cdf_ugaussian_Q(5)));
  double sd = sqrt(0.95 * 0.05 / 200);
  ck_assert_msg(fabs(cal.coverage - 0.95) <= 4 * sd, "coverage %g", cal.coverage);
  ck_assert(!cal.over_confident);
  issim_calibration_free(&cal);
  issim_adapt_fit_clear(&f);
  issim_scenario_free(s);
}
END_TEST

/* Saves the fit, appends it to `text` with the adaptive section's name
 * taken, parses that, and returns the saved proposal's scenario. */
static issim_scenario *with_saved(const char *text, const issim_scenario *s, const issim_adapt_fit *f,
                                  const char *name)
{
  char *buf = NULL;
  size_t len = 0;
  FILE *mem = open_memstream(&buf, &len);
  issim_error err;
  ck_assert_int_eq(issim_adapt_save(mem, s->name, name, f, &err), ISSIM_OK);
  fclose(mem);
  size_t n = strlen(text) + len + 2;
  char *all = malloc(n);
  snprintf(all, n, "%s\n%s", text, buf);
  issim_scenario *t = issim_scenario_parse(all, "saved.ini", &err);
  ck_assert_msg(t != NULL, "%s\n%s", err.message, all);
  free(all);
  free(buf);
  return t;
}

/* Proposal p of s and q of t run on the stream of `name` (n draws, seed 5):
 * the same estimate to the last bit; p's estimate. */
static issim_estimate same_runs(const issim_scenario *s, const issim_proposal *p,
                                const issim_scenario *t, const issim_proposal *q,
                                const char *name, uint64_t n)
{
  issim_run_config c1 = run_config_of(s, name, n, 5, 2), c2 = run_config_of(t, name, n, 5, 2);
  issim_result a, b;
  issim_error err;
  ck_assert_msg(issim_analyse(s, p, &c1, 0, &a, &err) == ISSIM_OK, "%s", err.message);
  ck_assert_msg(issim_analyse(t, q, &c2, 0, &b, &err) == ISSIM_OK, "%s", err.message);
  ck_assert(memcmp(&a.estimate.log_estimate, &b.estimate.log_estimate, sizeof(double)) == 0);
  issim_estimate e = a.estimate;
  issim_result_clear(&a);
  issim_result_clear(&b);
  return e;
}

START_TEST(test_saved_proposal_reads_back_exactly)
{
  issim_scenario *s = five_sigma("update = mean+spread");
  issim_adapt_fit f;
  fit(s, 2, &f);
  issim_proposal *p = &s->proposals[0];
  issim_error err;
  ck_assert_int_eq(ce_install(s, p, &f, &err), ISSIM_OK);
  issim_scenario *t = with_saved("[target]\ndistribution = normal\n[event]\nthreshold = 5\n", s,
                                 &f, "ce");
  const issim_proposal *q = issim_scenario_proposal(t, "ce");
  ck_assert_ptr_nonnull(q);
  const issim_dist *saved = issim_model_line_dist(q->model), *fitted = issim_model_line_dist(p->model);
  ck_assert_int_eq(saved->kind, ISSIM_DIST_NORMAL);
  ck_assert(memcmp(saved->param, fitted->param, 2 * sizeof(double)) == 0);
  /* and so the run of the saved proposal is the run of the fitted one */
  issim_estimate a = same_runs(s, p, t, q, "ce", 100000);
  ck_assert(fabs(a.estimate - gsl_cdf_ugaussian_Q(5)) <= 4 * a.std_error);
  issim_scenario_free(t);
  issim_adapt_fit_clear(&f);
  issim_scenario_free(s);
}
END_TEST

static const char PORTFOLIO[] =
  "[target]\ndistribution = multivariate-normal\ndimension = 10\nsd = 0.01\ncorrelation = 0.3\n"
  "[event]\nloss = linear\nweights = -0.1\nthreshold = 5 sigma\n";

START_TEST(test_portfolio_fit_and_saved_covariance)
{
  char text[2048];
  snprintf(text, sizeof text, "%s[proposal ce]\ndistribution = adaptive\nupdate = mean+spread\n"
                              "[run]\nseed = 3\n", PORTFOLIO);
  issim_error err;
  issim_scenario *s = scenario_parse_ok(text, "p.ini");
  issim_adapt_fit f;
  fit(s, 2, &f);
  ck_assert_int_eq(f.outcome, ISSIM_CE_REACHED);
  issim_proposal *p = &s->proposals[0];
  ck_assert_int_eq(ce_install(s, p, &f, &err), ISSIM_OK);
  issim_scenario *t = with_saved(PORTFOLIO, s, &f, "ce");
  const issim_proposal *q = issim_scenario_proposal(t, "ce");
  /* the same model: log-densities equal to the last bit at a few points */
  double x[30], lp1[3], lp2[3], scratch[4096];
  for (int i = 0; i < 30; i++)
    x[i] = -0.03 + 0.001 * (i % 7);
  ck_assert(issim_model_scratch(p->model, 3) <= 4096);
  issim_model_log_pdf(p->model, 3, x, lp1, scratch);
  issim_model_log_pdf(q->model, 3, x, lp2, scratch);
  ck_assert(memcmp(lp1, lp2, sizeof lp1) == 0);
  /* the fitted proposal estimates Q(5) honestly */
  issim_run_config cfg = {.samples = 200000, .seed = 5, .stream = issim_rng_stream_id("ce"),
                          .rng = s->rng, .threads = 2};
  issim_result r;
  ck_assert_int_eq(issim_analyse(s, p, &cfg, 0, &r, &err), ISSIM_OK);
  ck_assert(fabs(r.estimate.estimate - gsl_cdf_ugaussian_Q(5)) <= 4 * r.estimate.std_error);
  ck_assert_int_eq(r.verdict.level, ISSIM_TRUSTWORTHY);
  issim_result_clear(&r);
  issim_scenario_free(t);
  issim_adapt_fit_clear(&f);
  issim_scenario_free(s);
}
END_TEST

/* The four-branch series system (scenarios/four-branch.ini); its reference
 * P = 4.457331e-3 comes from directional integration: for a 2-D standard
 * normal, P = (1/2 pi) int P(R in F(theta)) d theta with R^2 chi-squared(2),
 * each ray's failure set a union of intervals from the four branches'
 * quadratic and linear roots, integrated by the midpoint rule on 2e5 and 2e6
 * points (agreeing to 1e-12). */
#define FOUR_BRANCH_P 4.457331e-3

static const char FOUR_BRANCH[] =
  "[target]\ndistribution = independent\ndimension = 2\ncomponent = normal\n"
  "[event]\nloss = expression\nexpression = min(3 + 0.1*(x1-x2)^2 - (x1+x2)/sqrt(2), "
  "3 + 0.1*(x1-x2)^2 + (x1+x2)/sqrt(2),\n  (x1-x2) + 6/sqrt(2), (x2-x1) + 6/sqrt(2))\n"
  "threshold = 0\ndirection = <\n"
  "[proposal ce]\ndistribution = adaptive\nfamily = mixture\ncomponents = 4\n[run]\nseed = 42\n";

START_TEST(test_mixture_finds_the_four_branches)
{
  issim_error err;
  issim_scenario *s = scenario_parse_ok(FOUR_BRANCH, "four.ini");
  issim_adapt_fit f;
  fit(s, 2, &f);
  ck_assert_int_eq(f.outcome, ISSIM_CE_REACHED);
  /* one component in each quadrant, around the branches' design points (+-2.12, +-2.12) */
  ck_assert_uint_eq(f.params.k, 4);
  int quadrant[4] = {0};
  for (size_t j = 0; j < 4; j++) {
    const double *m = f.params.mean + 2 * j;
    quadrant[(m[0] > 0) * 2 + (m[1] > 0)]++;
    ck_assert(fabs(fabs(m[0]) - 2.3) < 0.6 && fabs(fabs(m[1]) - 2.3) < 0.6);
    ck_assert(f.params.weight[j] > 0.05);
  }
  for (int q = 0; q < 4; q++)
    ck_assert_int_eq(quadrant[q], 1);
  issim_proposal *p = &s->proposals[0];
  ck_assert_int_eq(ce_install(s, p, &f, &err), ISSIM_OK);
  issim_run_config cfg = {.samples = 200000, .seed = 5, .stream = issim_rng_stream_id("ce"),
                          .rng = s->rng, .threads = 2};
  issim_result r;
  ck_assert_int_eq(issim_analyse(s, p, &cfg, 0, &r, &err), ISSIM_OK);
  ck_assert_msg(fabs(r.estimate.estimate - FOUR_BRANCH_P) <= 4 * r.estimate.std_error,
                "%g +- %g", r.estimate.estimate, r.estimate.std_error);
  ck_assert_int_eq(r.verdict.level, ISSIM_TRUSTWORTHY);
  /* the saved mixture reads back as the same model */
  issim_scenario *t = with_saved(FOUR_BRANCH, s, &f, "fitted");
  const issim_proposal *q = issim_scenario_proposal(t, "fitted");
  ck_assert_ptr_nonnull(q);
  double x[] = {1, 2, -3, 0.5, 2.2, -2.1}, lp1[3], lp2[3], scratch[256];
  issim_model_log_pdf(p->model, 3, x, lp1, scratch);
  issim_model_log_pdf(q->model, 3, x, lp2, scratch);
  ck_assert(memcmp(lp1, lp2, sizeof lp1) == 0);
  issim_result_clear(&r);
  issim_scenario_free(t);
  issim_adapt_fit_clear(&f);
  issim_scenario_free(s);
}
END_TEST

START_TEST(test_no_progress_and_level_limit)
{
  /* a loss capped below its threshold: gamma stalls at the cap */
  const char *text =
    "[target]\ndistribution = multivariate-normal\ndimension = 2\n"
    "[event]\nloss = expression\nexpression = min(x1, 0.5)\nthreshold = 1\n"
    "[proposal ce]\ndistribution = adaptive\n";
  issim_error err;
  issim_scenario *s = scenario_parse_ok(text, "stall.ini");
  issim_adapt_fit f;
  fit(s, 2, &f);
  ck_assert_int_eq(f.outcome, ISSIM_CE_NO_PROGRESS);
  ck_assert_uint_eq(f.n_levels, 1 + ISSIM_CE_STALLS); /* the first level, then the stalls */
  for (size_t i = 0; i < f.n_levels; i++)
    ck_assert_double_eq(f.levels[i].gamma, 0.5);
  ck_assert(strstr(f.message, "made no progress") && strstr(f.message, "level-draws"));
  ck_assert_int_eq(ce_install(s, &s->proposals[0], &f, &err), ISSIM_EINVAL);
  ck_assert(!s->proposals[0].fitted);
  issim_adapt_fit_clear(&f);
  issim_scenario_free(s);
  /* one level cannot reach 5 sigma */
  s = five_sigma("max-levels = 1");
  fit(s, 2, &f);
  ck_assert_int_eq(f.outcome, ISSIM_CE_LEVEL_LIMIT);
  ck_assert_uint_eq(f.n_levels, 1);
  ck_assert(strstr(f.message, "max-levels") != NULL);
  issim_adapt_fit_clear(&f);
  issim_scenario_free(s);
}
END_TEST

static int always(void *user)
{
  (void)user;
  return 1;
}

START_TEST(test_interrupt_stops_between_levels)
{
  issim_scenario *s = five_sigma("");
  issim_proposal *p = &s->proposals[0];
  issim_adapt_fit f;
  issim_error err;
  ck_assert_int_eq(ce_run(s, p, 1, 2, always, &f, &err),
                   ISSIM_OK);
  ck_assert_int_eq(f.outcome, ISSIM_CE_INTERRUPTED);
  ck_assert_uint_eq(f.n_levels, 0);
  ck_assert_uint_eq(f.draws, 0);
  ck_assert_int_eq(ce_install(s, p, &f, &err), ISSIM_EINVAL);
  issim_adapt_fit_clear(&f);
  issim_scenario_free(s);
}
END_TEST

/* ---- the caller's own model as the loss (loss.h) ---- */

/* A fit of x1 + x2 > 6 for two standard normals, the loss a function that
 * counts its points and fails on a point with x1 above fail_above. */
static int fit_function_loss(double fail_above, int threads, uint64_t *count, issim_adapt_fit *f,
                             issim_error *err)
{
  issim_model *target = independent_normals(2, NULL, NULL);
  issim_loss *g = counting_sum_loss(2, fail_above, count);
  issim_problem pb = {.target = target, .event = issim_event_init(g, 6, ISSIM_ABOVE)};
  issim_adapt_options opt = issim_adapt_options_default();
  const gsl_rng_type *t;
  issim_rng_lookup("taus2", &t, NULL);
  int rc = issim_adapt_run(&pb, "ce", &opt, 5, t, threads, NULL, NULL, f, err);
  issim_loss_free(g);
  issim_model_free(target);
  return rc;
}

START_TEST(test_the_model_is_called_once_per_draw)
{
  /* the elites' coordinates are drawn again from the same seeds: without
   * their losses, which an expensive model must not compute twice */
  uint64_t count = 0;
  issim_adapt_fit f;
  issim_error err;
  ck_assert_int_eq(fit_function_loss(INFINITY, 3, &count, &f, &err), ISSIM_OK);
  ck_assert_int_eq(f.outcome, ISSIM_CE_REACHED);
  ck_assert_uint_ge(f.n_levels, 2);
  ck_assert_uint_eq(count, f.draws);
  issim_adapt_fit_clear(&f);
}
END_TEST

START_TEST(test_a_failing_model_keeps_the_levels_before)
{
  issim_adapt_fit f[2];
  issim_error err;
  const int threads[2] = {1, 3};
  for (int k = 0; k < 2; k++) {
    ck_assert_int_eq(fit_function_loss(4.0, threads[k], NULL, &f[k], &err), ISSIM_OK);
    ck_assert_int_eq(f[k].outcome, ISSIM_CE_LOSS_FAILED);
    ck_assert_msg(strstr(f[k].message, "the loss failed at level ") == f[k].message, "%s",
                  f[k].message);
    ck_assert_msg(strstr(f[k].message, " of the level: counting sum failed on a batch of ") != NULL,
                  "%s", f[k].message);
    ck_assert_str_eq(f[k].message, f[0].message); /* the first failed block's, for any threads */
    ck_assert_uint_eq(f[k].n_levels, f[0].n_levels);
  }
  ck_assert_uint_ge(f[0].n_levels, 1); /* the levels done before the failure */
  char want[64];
  snprintf(want, sizeof want, "at level %zu,", f[0].n_levels + 1);
  ck_assert_msg(strstr(f[0].message, want) != NULL, "%s", f[0].message);
  issim_adapt_fit_clear(&f[0]);
  issim_adapt_fit_clear(&f[1]);
}
END_TEST

START_TEST(test_student_t_fits_its_scale_by_default)
{
  /* a t(3) tail beyond 100: the zero-variance density spreads over a range
   * that grows with the threshold, so the default (auto) fits the scale */
  issim_error err;
  issim_scenario *s = scenario_parse_ok(
    "[target]\ndistribution = student-t\ndf = 3\n[event]\nthreshold = 100\n"
    "[proposal ce]\ndistribution = adaptive\n[run]\nseed = 42\n", "t.ini");
  issim_adapt_fit f;
  fit(s, 2, &f);
  ck_assert_int_eq(f.outcome, ISSIM_CE_REACHED);
  ck_assert_int_eq(f.params.family, ISSIM_CE_STUDENT_T);
  ck_assert_int_eq(f.update_spread, 1);
  ck_assert(sqrt(f.params.cov[0]) > 5); /* the scale grew with the threshold */
  issim_proposal *p = &s->proposals[0];
  ck_assert_int_eq(ce_install(s, p, &f, &err), ISSIM_OK);
  issim_run_config cfg = {.samples = 200000, .seed = 5, .stream = issim_rng_stream_id("ce"),
                          .rng = s->rng, .threads = 2};
  issim_result r;
  ck_assert_int_eq(issim_analyse(s, p, &cfg, 0, &r, &err), ISSIM_OK);
  ck_assert_int_eq(r.verdict.level, ISSIM_TRUSTWORTHY);
  double exact = gsl_cdf_tdist_Q(100, 3);
  ck_assert(fabs(r.estimate.estimate - exact) <= 4 * r.estimate.std_error);
  issim_result_clear(&r);
  issim_adapt_fit_clear(&f);
  issim_scenario_free(s);
}
END_TEST

START_TEST(test_fits_that_cannot_work_are_refused)
{
  issim_error err;
  issim_adapt_fit f;
  /* a normal proposal for a student-t tail has infinite-variance weights */
  issim_scenario *s = scenario_parse_ok(
    "[target]\ndistribution = student-t\ndf = 3\n[event]\nthreshold = 10\n"
    "[proposal ce]\ndistribution = adaptive\nfamily = normal\n", "t.ini");
  issim_proposal *p = &s->proposals[0];
  ck_assert_int_eq(ce_run(s, p, 1, 2, NULL, &f, &err), ISSIM_EINVAL);
  ck_assert_msg(strstr(err.message, "infinite variance") && strstr(err.message, "student-t"),
                "%s", err.message);
  issim_adapt_fit_clear(&f);
  issim_scenario_free(s);
  /* exponential from a normal start; gamma for a 2-D target that is not
   * independent components */
  s = five_sigma("family = exponential");
  p = &s->proposals[0];
  ck_assert_int_eq(ce_run(s, p, 1, 2, NULL, &f, &err), ISSIM_EINVAL);
  ck_assert_msg(strstr(err.message, "exponential") != NULL, "%s", err.message);
  issim_adapt_fit_clear(&f);
  issim_scenario_free(s);
  s = scenario_parse_ok("[target]\ndistribution = multivariate-normal\ndimension = 2\n"
                        "[event]\nloss = sum\nthreshold = 3\n"
                        "[proposal ce]\ndistribution = adaptive\nfamily = gamma\n", "g.ini");
  p = &s->proposals[0];
  ck_assert_int_eq(ce_run(s, p, 1, 2, NULL, &f, &err), ISSIM_EINVAL);
  ck_assert_str_eq(err.message, "family gamma fits independent components in x; 'the target' is "
                                "not an independent model");
  issim_adapt_fit_clear(&f);
  issim_scenario_free(s);
  /* the spread floor needs a target covariance: a t with df = 2 has none...
   * but its scale matrix serves; a Cauchy target has neither */
  s = scenario_parse_ok("[target]\ndistribution = cauchy\n[event]\nthreshold = 100\n"
                        "[proposal ce]\ndistribution = adaptive\nstart = c\nupdate = mean+spread\n"
                        "[proposal c]\ndistribution = normal\nmean = 50\nsd = 30\n", "c.ini");
  p = &s->proposals[0];
  ck_assert_int_eq(ce_run(s, p, 1, 2, NULL, &f, &err), ISSIM_EINVAL);
  ck_assert_msg(strstr(err.message, "update = mean") != NULL, "%s", err.message);
  issim_adapt_fit_clear(&f);
  issim_scenario_free(s);
}
END_TEST


/* ---- fits in the standard space ---- */

static double f_rs(double x, void *unused)
{
  (void)unused;
  return gsl_ran_gaussian_pdf(x - 100, 15) * gsl_cdf_lognormal_P(x, 5, 0.1);
}

/* Targets without an elliptical form, fitted in their standard space, with
 * their exact P: a sum of exponentials (the gamma tail; its limit surface
 * curves round the origin, which the default spread fit follows), a
 * lognormal resistance against a normal load (quadrature), lognormals
 * through a copula above a level in either coordinate (a union: family
 * mixture; the bivariate normal tail). */
static const struct {
  const char *text;
} STANDARD_FITS[] = {
  {"[target]\ndistribution = independent\ndimension = 3\ncomponent = exponential\nrate = 2\n"
   "[event]\nloss = sum\nthreshold = 10\n[proposal ce]\ndistribution = adaptive\n"},
  {"[target]\ndistribution = independent\ndimension = 2\ncomponent = lognormal normal\n"
   "meanlog = 5\nsdlog = 0.1\nmean = 100\nsd = 15\n"
   "[event]\nloss = linear\nweights = 1 -1\nthreshold = 0\ndirection = <\n"
   "[proposal ce]\ndistribution = adaptive\n"},
  {"[target]\ndistribution = gaussian-copula\ndimension = 2\nmarginal = lognormal\n"
   "correlation = 0.5\n[event]\nloss = max\nthreshold = 54.598150033144236\n"
   "[proposal ce]\ndistribution = adaptive\nfamily = mixture\ncomponents = 4\n"},
};

static double standard_fit_exact(int c)
{
  if (c == 0)
    return gsl_cdf_gamma_Q(10, 3, 0.5);
  if (c == 1)
    return quadrature(f_rs, NULL, 0, 700);
  return 2 * gsl_cdf_ugaussian_Q(4) - exp(issim_form_log_bvn_tail(4, 4, 0.5));
}

START_TEST(test_standard_space_fits)
{
  issim_scenario *s = scenario_parse_ok(STANDARD_FITS[_i].text, "std.ini");
  issim_adapt_fit f;
  fit(s, 2, &f);
  ck_assert_int_eq(f.outcome, ISSIM_CE_REACHED);
  ck_assert(f.standard);
  ck_assert(f.update_spread); /* the default there */
  issim_proposal *p = &s->proposals[0];
  issim_error err;
  ck_assert_int_eq(ce_install(s, p, &f, &err), ISSIM_OK);
  ck_assert_int_eq(issim_model_kind_of(p->model), ISSIM_MODEL_TRANSFORMED);
  issim_run_config cfg = run_config_of(s, "ce", 200000, 11, 2);
  issim_result r;
  ck_assert_msg(issim_analyse(s, p, &cfg, 0, &r, &err) == ISSIM_OK, "%s", err.message);
  ck_assert_within_4se(r.estimate.estimate, standard_fit_exact(_i), r.estimate.std_error);
  /* the sum of exponentials' weights have finite variance (the fitted
   * covariance is floored at min-spread^2 = 0.72 along the design point's
   * direction, so their far tail has index at most 0.28) and are bounded
   * where the proposal reaches, but rise steeply there: k-hat sits near 0.5
   * (0.42 to 0.63 over seeds 1 to 30; 14 of 30 seeds doubtful on k-hat
   * alone, every estimate within 1.96 SE of the exact value), a false alarm
   * of k-hat that the verdict cannot tell from a real one without an exact
   * SE (docs/output.md), and may make the verdict doubtful on that ground
   * alone */
  int khat_alone = r.verdict.level == ISSIM_DOUBTFUL && r.verdict.n_reasons == 1 &&
                   strstr(r.verdict.reasons[0], "k-hat = 0.5") != NULL;
  ck_assert_msg(r.verdict.level == ISSIM_TRUSTWORTHY || (_i == 0 && khat_alone), "case %d: %s", _i,
                r.verdict.n_reasons ? r.verdict.reasons[0] : "");
  ck_assert(r.estimate.relative_error < 0.02);
  ck_assert_int_eq(r.variance, ISSIM_VARIANCE_FINITE);
  issim_result_clear(&r);
  /* saved as standard-space sections, it reads back to the same proposal:
   * the same estimate to the last bit */
  issim_scenario *t = with_saved(STANDARD_FITS[_i].text, s, &f, "fit");
  const issim_proposal *q = issim_scenario_proposal(t, "fit");
  ck_assert_ptr_nonnull(q);
  same_runs(s, p, t, q, "same", 20000);
  issim_scenario_free(t);
  issim_adapt_fit_clear(&f);
  issim_scenario_free(s);
}
END_TEST

/* In the standard space issim fits normal and mixture families, from the
 * target or a standard-space proposal; a start elsewhere, or another
 * family, is refused with the reason. */
START_TEST(test_standard_space_refusals)
{
  static const char base[] =
    "[target]\ndistribution = independent\ndimension = 2\ncomponent = exponential\n"
    "[event]\nloss = sum\nthreshold = 20\n[proposal x]\ndistribution = independent\n"
    "component = exponential\nrate = 0.2\n[proposal u]\ndistribution = standard-space\n"
    "mean = 3\n[proposal ce]\ndistribution = adaptive\n";
  const char *keys[] = {"family = student-t\n", "start = x\n", "start = u\n"};
  for (int k = 0; k < 3; k++) {
    char text[1024];
    snprintf(text, sizeof text, "%s%s", base, keys[k]);
    issim_scenario *s = scenario_parse_ok(text, "std.ini");
    issim_adapt_fit f;
    issim_error err;
    int rc = ce_run(s, issim_scenario_proposal(s, "ce"), 1, 2, NULL, &f, &err);
    if (k < 2) {
      ck_assert_int_eq(rc, ISSIM_EINVAL);
      ck_assert_msg(strstr(err.message, k == 0 ? "family student-t does not apply here"
                                               : "a fit starts from the target or from a "
                                                 "standard-space proposal, which 'x' is not"),
                    "%s", err.message);
    } else { /* from u's N(3, I) */
      ck_assert_msg(rc == ISSIM_OK, "%s", err.message);
      ck_assert_int_eq(f.outcome, ISSIM_CE_REACHED);
    }
    issim_adapt_fit_clear(&f);
    issim_scenario_free(s);
  }
}
END_TEST

/* A scenario with an adaptive section holding `keys` must fail at `line` with `what`. */
static void parse_fails(const char *keys, int line, const char *what)
{
  char text[1024];
  snprintf(text, sizeof text, "[target]\ndistribution = normal\n[event]\nthreshold = 5\n"
                              "[proposal ce]\ndistribution = adaptive\n%s\n"
                              "[proposal shifted]\ndistribution = normal\nmean = 5\n", keys);
  issim_error err;
  issim_scenario *s = issim_scenario_parse(text, "bad.ini", &err);
  ck_assert_msg(s == NULL, "accepted: %s", keys);
  char where[32];
  snprintf(where, sizeof where, "bad.ini:%d:", line);
  ck_assert_msg(strncmp(err.message, where, strlen(where)) == 0, "%s (wanted %s)", err.message, where);
  ck_assert_msg(strstr(err.message, what) != NULL, "%s (wanted '%s')", err.message, what);
}

START_TEST(test_adaptive_section_errors)
{
  parse_fails("rho = 0.7", 7, "rho must be a number from 0 (excluded) to 0.5");
  parse_fails("rho = 0", 7, "rho must be");
  parse_fails("level-draws = 50", 7, "level-draws must be a whole number from 100");
  parse_fails("level-draws = 1000.5", 7, "whole number");
  parse_fails("alpha = 0", 7, "alpha must be");
  parse_fails("max-levels = 0", 7, "max-levels must be");
  parse_fails("min-spread = 0.7", 7, "1/sqrt(2)");
  parse_fails("family = lognormal", 7, "family must be normal, student-t, mixture");
  parse_fails("update = spread", 7, "update must be 'mean'");
  parse_fails("components = 3", 7, "components applies to family = mixture");
  parse_fails("family = mixture\ncomponents = 65", 8, "components must be");
  parse_fails("start = nowhere", 7, "no [proposal nowhere]");
  parse_fails("start = ce", 7, "not from an adaptive one");
  parse_fails("sd = 2", 7, "unknown key 'sd' in [proposal ce]");
  parse_fails("Rho = 0.1", 7, "did you mean 'rho'");
  /* a mixture cannot hold an adaptive proposal, fitted only when it runs */
  issim_error err;
  issim_scenario *s = issim_scenario_parse(
    "[target]\ndistribution = normal\n[event]\nthreshold = 5\n[proposal ce]\n"
    "distribution = adaptive\n[proposal m]\ndistribution = mixture\ncomponents = 0.5 target + 0.5 ce\n",
    "mix.ini", &err);
  ck_assert_ptr_null(s);
  ck_assert_msg(strstr(err.message, "mix.ini:9:") && strstr(err.message, "adaptive"), "%s", err.message);
}
END_TEST

START_TEST(test_unfitted_proposal_is_not_sampled)
{
  issim_scenario *s = five_sigma("");
  issim_run_config cfg = {.samples = 1000, .seed = 1, .stream = 1, .rng = s->rng, .threads = 1};
  issim_result r;
  issim_error err;
  ck_assert_int_eq(issim_analyse(s, &s->proposals[0], &cfg, 0, &r, &err), ISSIM_EINVAL);
  ck_assert_msg(strstr(err.message, "adaptive") != NULL, "%s", err.message);
  issim_scenario_free(s);
}
END_TEST

static Suite *adapt_suite(void)
{
  Suite *s = suite_create("adapt");
  TCase *f = tcase_create("fits");
  tcase_set_timeout(f, 300);
  tcase_add_test(f, test_levels_reach_the_threshold);
  tcase_add_test(f, test_fit_is_the_same_for_any_thread_count);
  tcase_add_test(f, test_spread_update_never_collapses);
  tcase_add_test(f, test_saved_proposal_reads_back_exactly);
  tcase_add_test(f, test_portfolio_fit_and_saved_covariance);
  tcase_add_test(f, test_mixture_finds_the_four_branches);
  tcase_add_test(f, test_no_progress_and_level_limit);
  tcase_add_test(f, test_interrupt_stops_between_levels);
  tcase_add_test(f, test_the_model_is_called_once_per_draw);
  tcase_add_test(f, test_a_failing_model_keeps_the_levels_before);
  tcase_add_test(f, test_student_t_fits_its_scale_by_default);
  tcase_add_test(f, test_fits_that_cannot_work_are_refused);
  tcase_add_test(f, test_adaptive_section_errors);
  tcase_add_test(f, test_unfitted_proposal_is_not_sampled);
  tcase_add_loop_test(f, test_standard_space_fits, 0,
                      (int)(sizeof STANDARD_FITS / sizeof *STANDARD_FITS));
  tcase_add_test(f, test_standard_space_refusals);
  suite_add_tcase(s, f);
  return s;
}

int main(void)
{
  gsl_set_error_handler_off();
  return run_suite(adapt_suite());
}
