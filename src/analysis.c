#include "analysis.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gsl/gsl_math.h>


#include "clock.h"
#include "khat.h"

/* q = p: q's entropy and H(p, q) are p's entropy, both divergences 0. */
static void information_of_q_is_p(issim_information *info)
{
  info->entropy_q = info->cross_entropy_p_q = info->entropy_p;
  info->entropy_q_how = info->cross_entropy_p_q_how = info->entropy_p_how;
  info->kl_p_q = info->kl_q_p = 0;
  info->kl_p_q_how = info->kl_q_p_how = ISSIM_EXACT_CLOSED_FORM;
}

static void information_on_line(const issim_dist *p, const issim_dist *q, issim_information *info)
{
  info->entropy_p = issim_entropy_exact(p, &info->entropy_p_how);
  if (q == NULL) {
    information_of_q_is_p(info);
    return;
  }
  info->entropy_q = issim_entropy_exact(q, &info->entropy_q_how);
  info->cross_entropy_p_q = issim_cross_entropy_exact(p, q, &info->cross_entropy_p_q_how);
  info->kl_p_q = issim_kl_exact(p, q, &info->kl_p_q_how);
  info->kl_q_p = issim_kl_exact(q, p, &info->kl_q_p_how);
}

/* log(1 - exp(a)) for a <= 0, accurate over the whole range (Maechler 2012). */
static double log1mexp(double a)
{
  return a > -M_LN2 ? log(-expm1(a)) : log1p(-exp(a));
}

/* P_p(lo < X < hi), which the weights of a proposal supported on [lo, hi]
 * average.  In log space from the tail that is cut off, never as
 * 1 - cdf(lo) - sf(hi): beyond 8 sigma that is 1 - (1 - 6.2e-16), which
 * doubles round to 6.66e-16. */
static double target_mass(const issim_dist *p, double lo, double hi)
{
  int cut_lo = lo > p->lower, cut_hi = hi < p->upper;
  if (!cut_lo && !cut_hi)
    return 1;
  if (!cut_hi)
    return exp(issim_dist_log_sf(p, lo)); /* NAN when the tail has no formula: no check */
  if (!cut_lo)
    return exp(issim_dist_log_cdf(p, hi));
  double sf_lo = issim_dist_log_sf(p, lo), sf_hi = issim_dist_log_sf(p, hi);
  if (sf_lo < -M_LN2) /* both in the upper half: sf(lo) - sf(hi) */
    return exp(sf_lo + log1mexp(sf_hi - sf_lo));
  double cdf_lo = issim_dist_log_cdf(p, lo), cdf_hi = issim_dist_log_cdf(p, hi);
  if (cdf_hi < -M_LN2) /* both in the lower half: cdf(hi) - cdf(lo) */
    return exp(cdf_hi + log1mexp(cdf_lo - cdf_hi));
  return 1 - exp(cdf_lo) - exp(sf_hi); /* lo and hi on either side of the median */
}

void issim_analyse_information(const issim_model *p, const issim_model *q,
                               issim_information *info)
{
  const issim_dist *lp = issim_model_line_dist(p), *lq = issim_model_line_dist(q);
  if (lp && (q == NULL || lq)) {
    information_on_line(lp, lq, info);
    return;
  }
  info->entropy_p = issim_model_entropy_exact(p, &info->entropy_p_how);
  if (q == NULL) {
    information_of_q_is_p(info);
    return;
  }
  info->entropy_q = issim_model_entropy_exact(q, &info->entropy_q_how);
  info->cross_entropy_p_q = issim_model_cross_entropy_exact(p, q, &info->cross_entropy_p_q_how);
  info->kl_p_q = issim_model_kl_exact(p, q, &info->kl_p_q_how);
  info->kl_q_p = issim_model_kl_exact(q, p, &info->kl_q_p_how);
}

issim_variance issim_analyse_tail_check(const issim_scenario *s, const issim_proposal *p,
                                        char *reason, size_t size)
{
  return issim_curve_tail_check_at(s, p, s->event.threshold, reason, size);
}

issim_calls issim_analyse_calls_before(const issim_scenario *s, const issim_proposal *p,
                                       const issim_regions *rg)
{
  issim_problem pb = issim_scenario_problem(s, NULL);
  return (issim_calls){.model = issim_calls_model(&pb), .regions = rg ? rg->loss_calls : 0,
                       .setup = p->search_calls + p->adapt_draws};
}

void issim_analyse_before(const issim_scenario *s, const issim_proposal *p,
                          const issim_regions *rg, issim_result *r)
{
  r->proposal = p;
  r->calls = issim_analyse_calls_before(s, p, rg);
  r->variance_reason[0] = '\0';
  r->regions = (issim_region_check){0};
  r->found_regions = rg;
  if (rg)
    issim_regions_check(rg, p->model, &r->regions);
  /* on the line, a proposal's support; a d-dimensional proposal, or a
   * mixture, covers the target's support and has no mean weight worked out */
  const issim_dist *t = issim_model_line_dist(s->target), *q = issim_model_line_dist(p->model);
  int line = !issim_curve_model_rules(s, p);
  r->variance = issim_analyse_tail_check(s, p, r->variance_reason, sizeof r->variance_reason);
  r->expected_mean_weight = p->model == NULL ? 1 : line ? target_mass(t, q->lower, q->upper) : NAN;
  r->information_variance = issim_divergence_weight_variance(s->target, p->model);
  /* the exact relative variance, for the verdict's comparison of the SE */
  r->exact_relative_variance =
      issim_curve_exact_rv_at(s, p, s->event.threshold, r->variance, &r->exact_log_p);
  r->covers_target = !line || q == NULL || (q->lower <= t->lower && q->upper >= t->upper);
  issim_analyse_information(s->target, p->model, &r->exact);
}

int issim_analyse(const issim_scenario *s, const issim_proposal *p, const issim_run_config *cfg,
                  unsigned record, issim_result *r, issim_error *err)
{
  issim_problem pb = issim_scenario_problem(s, NULL);
  issim_regions rg;
  r->trace = NULL;
  r->estimate.samples = 0; /* nothing drawn, should the regions' search fail */
  int rc = issim_regions_find(&pb, &rg, err);
  if (rc == ISSIM_OK) {
    issim_analyse_before(s, p, &rg, r);
    rc = issim_analyse_sample(s, p, cfg, record, r, err);
    r->found_regions = NULL; /* freed here */
  }
  issim_regions_free(&rg);
  return rc;
}

/* The curve's pilot, and its tally in out (analysis.h's ISSIM_RECORD_CURVE). */
static int prepare_curve(const issim_scenario *s, const issim_proposal *p,
                         const issim_run_config *cfg, issim_result *r, issim_run_output *out,
                         issim_error *err)
{
  int rc = issim_curve_prepare(s, p, cfg, &r->curve, err);
  if (rc == ISSIM_OK && r->curve && r->curve->n_tally > 0 &&
      ((out->levels = issim_curve_tally(r->curve, cfg->samples)) == NULL ||
       issim_curve_region_tally(r->curve, &out->level_regions) != ISSIM_OK))
    rc = issim_error_set(err, ISSIM_ENOMEM, "out of memory for the exceedance curve");
  return rc;
}

/* The verdict of the run's own threshold, and the curve's levels; partial:
 * the loss failed, and the run holds the draws before it. */
static void judge(issim_result *r, const issim_run_output *out, int partial, int threads)
{
  double n = (double)r->estimate.samples;
  issim_verdict_inputs in = {
    .pareto_k = r->pareto_k, .variance = r->variance, .variance_reason = r->variance_reason,
    .expected_mean_weight = r->expected_mean_weight, .regions = &r->regions,
    .has_exact_std_error = !isnan(r->exact_relative_variance) && !isnan(r->exact_log_p),
    .exact_log_std_error = r->exact_log_p + 0.5 * (log(r->exact_relative_variance) - log(n)),
  };
  issim_verdict_judge(&r->estimate, &in, &r->verdict);
  if (partial)
    issim_verdict_add_loss_failure(&r->verdict, out->acc.n);
  if (r->curve == NULL)
    return;
  issim_curve_main m = {.estimate = &r->estimate, .pareto_k = r->pareto_k,
                        .verdict = &r->verdict, .expected_mean_weight = r->expected_mean_weight,
                        .regions = &r->regions, .variance = r->variance,
                        .failed_after = partial ? out->acc.n : 0};
  issim_curve_judge(r->curve, out->levels, out->level_regions, &m, threads);
}

int issim_analyse_sample(const issim_scenario *s, const issim_proposal *p,
                         const issim_run_config *cfg, unsigned record, issim_result *r,
                         issim_error *err)
{
  r->trace = NULL;
  r->curve = NULL;
  r->calls.draws = r->calls.pilot = 0;
  if (issim_proposal_unfitted(p)) /* it has no distribution yet: never the target's */
    return issim_error_set(err, ISSIM_EINVAL, "proposal '%s' is adaptive and not fitted yet; "
                                              "fit it first (issim adapt, adapt.h)", p->name);
  issim_run_output out = {.tail = issim_khat_topk_alloc(issim_khat_capacity(cfg->samples))};
  if (record & ISSIM_RECORD_TRACE)
    out.trace = r->trace = issim_trace_alloc(cfg->samples);
  if (record & ISSIM_RECORD_HIST)
    out.hist = &r->hist;
  const issim_regions *rg = r->found_regions;
  int tally = rg != NULL && rg->n >= 2 && r->regions.n_checked > 0;
  if (tally)
    out.regions = issim_region_tally_alloc(rg);
  int rc = ISSIM_OK;
  if (out.tail == NULL || ((record & ISSIM_RECORD_TRACE) && out.trace == NULL) ||
      (tally && out.regions == NULL))
    rc = issim_error_set(err, ISSIM_ENOMEM, "out of memory for the diagnostics' buffers");
  else if (record & ISSIM_RECORD_CURVE)
    rc = prepare_curve(s, p, cfg, r, &out, err);
  if (rc == ISSIM_OK) {
    issim_problem pb = issim_scenario_problem(s, p);
    double t0 = issim_clock_now();
    rc = issim_engine_run(&pb, cfg, &out, err);
    r->seconds = issim_clock_now() - t0;
  }
  r->estimate.samples = 0;
  r->failure[0] = '\0';
  int partial = rc == ISSIM_ELOSS && out.acc.n > 0; /* the draws before the failure */
  if (rc == ISSIM_OK || partial) {
    r->stopped_by = out.stopped_by;
    issim_accum_estimate(&out.acc, &r->estimate);
    r->calls.draws = out.acc.n;
    r->calls.pilot = r->curve ? r->curve->pilot_draws : 0;
    if (out.regions)
      issim_regions_check_draws(out.regions, &r->regions);
    const double *kept; /* the K largest only: the fit then needs no copy of the candidates */
    issim_khat_topk_trim(out.tail, &kept);
    r->pareto_k = issim_khat_topk_khat_on(out.tail, out.acc.n, issim_engine_threads(cfg->threads));
    if (partial)
      snprintf(r->failure, sizeof r->failure, "%s", out.failure);
    judge(r, &out, partial, issim_engine_threads(cfg->threads));
  }
  issim_khat_topk_free(out.tail);
  issim_region_tally_free(out.regions);
  issim_exceedance_free(out.levels);
  issim_region_levels_free(out.level_regions);
  return rc;
}

/* The estimate as the reports show it: the exact value where that is
 * infinite (a sample mean of an infinite expectation is not an estimate). */
static double shown(double estimate, double exact, issim_exact_method how)
{
  return how == ISSIM_EXACT_INFINITE ? exact : estimate;
}

issim_info_status issim_result_information_judge(const issim_result *r, const char *which,
                                                 char *reason, size_t size)
{
  const issim_estimate *e = &r->estimate;
  const issim_information *x = &r->exact;
  issim_info_input in = {.weighted = 1, .covers = r->covers_target, .kish_ess = e->ess,
                         .weight_variance = r->information_variance};
  if (strcmp(which, "kl_p_q") == 0) {
    in.estimate = shown(e->kl_p_q, x->kl_p_q, x->kl_p_q_how);
    in.se = e->kl_p_q_se, in.exact = x->kl_p_q, in.how = x->kl_p_q_how;
  } else if (strcmp(which, "kl_q_p") == 0) {
    in.estimate = shown(e->kl_q_p, x->kl_q_p, x->kl_q_p_how);
    in.se = e->kl_q_p_se, in.exact = x->kl_q_p, in.how = x->kl_q_p_how;
    in.weighted = 0;
  } else if (strcmp(which, "entropy_p") == 0) {
    in.estimate = e->entropy_p, in.se = e->entropy_p_se;
    in.exact = x->entropy_p, in.how = x->entropy_p_how;
  } else {
    in.estimate = shown(e->cross_entropy_p_q, x->cross_entropy_p_q, x->cross_entropy_p_q_how);
    in.se = e->cross_entropy_p_q_se;
    in.exact = x->cross_entropy_p_q, in.how = x->cross_entropy_p_q_how;
  }
  return issim_divergence_judge(&in, reason, size);
}

void issim_result_clear(issim_result *r)
{
  issim_trace_free(r->trace);
  r->trace = NULL;
  issim_curve_free(r->curve);
  r->curve = NULL;
}
