#include "curve.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "divergence.h"

int issim_curve_model_rules(const issim_scenario *s, const issim_proposal *p)
{
  return issim_model_line_dist(s->target) == NULL ||
         (p->model && issim_model_line_dist(p->model) == NULL);
}

/* The scenario's event at threshold t. */
static issim_event event_at(const issim_scenario *s, double t)
{
  issim_event ev = s->event;
  ev.threshold = t;
  return ev;
}

issim_variance issim_curve_tail_check_at(const issim_scenario *s, const issim_proposal *p,
                                         double t, char *reason, size_t size)
{
  if (issim_curve_model_rules(s, p)) { /* the model rules of tail.h on the event's region */
    issim_region a = {.kind = ISSIM_REGION_UNKNOWN, .threshold = t, .direction = s->event.direction};
    if (s->event.loss != NULL)
      a = issim_region_of_loss(s->event.loss, t, s->event.direction);
    return issim_model_weight_variance_on(s->target, p->model, &a, reason, size);
  }
  const issim_dist *line = issim_model_line_dist(s->target);
  double lo, hi;
  issim_event ev = event_at(s, t);
  issim_event_interval(&ev, line->lower, line->upper, &lo, &hi);
  return issim_weight_variance(line, issim_model_line_dist(p->model), lo, hi, reason, size);
}

double issim_curve_exact_rv_at(const issim_scenario *s, const issim_proposal *p, double t,
                               issim_variance variance, double *exact_log)
{
  *exact_log = NAN;
  if (variance != ISSIM_VARIANCE_FINITE)
    return NAN;
  issim_problem pb = issim_scenario_problem(s, NULL);
  pb.event.threshold = t;
  if (!issim_curve_model_rules(s, p)) {
    const issim_dist *line = issim_model_line_dist(s->target);
    double lo, hi;
    issim_event_interval(&pb.event, line->lower, line->upper, &lo, &hi);
    *exact_log = issim_problem_exact_log(&pb);
    return issim_relative_variance_exact(line, issim_model_line_dist(p->model), lo, hi);
  }
  /* a half-space event of an elliptical pair (divergence.h) */
  size_t d = issim_model_dim(s->target);
  double *w = s->event.loss ? malloc(d * sizeof *w) : NULL, rv = NAN;
  if (w != NULL && issim_loss_linear_form(s->event.loss, w)) {
    *exact_log = issim_problem_exact_log(&pb);
    rv = issim_model_relative_variance_exact(s->target,
                                             p->model ? p->model : s->target, w, t,
                                             s->event.direction, *exact_log);
  }
  free(w);
  return rv;
}

int issim_curve_wanted(const issim_scenario *s)
{
  return s->n_levels > 1 || s->n_quantiles > 0;
}

/* How far from `at` the one-dimensional model m puts mass without a gap:
 * the end of its distribution's support when that holds `at`, and for a
 * mixture the furthest its parts reach, one from another (the union of
 * their supports); `at` itself when nothing goes beyond it.  A model of
 * another kind reaches everywhere. */
static double model_reach(const issim_model *m, double at)
{
  size_t k = issim_model_mixture_size(m);
  if (k == 0) {
    const issim_dist *c = issim_model_component(m, 0);
    if (c == NULL)
      return INFINITY;
    return c->lower <= at && c->upper > at ? c->upper : at;
  }
  double reach = at;
  for (size_t pass = 0; pass < k; pass++) { /* each pass adds a part, or ends */
    double before = reach;
    for (size_t j = 0; j < k; j++) {
      double r = model_reach(issim_model_mixture_part(m, j, NULL), reach);
      reach = r > reach ? r : reach;
    }
    if (reach == before)
      break;
  }
  return reach;
}

/* Does the one-dimensional model m put mass on all of [lo, hi]? */
static int model_covers(const issim_model *m, double lo, double hi)
{
  return model_reach(m, lo) >= hi;
}

/* A level's analytic checks: before the run, once. */
static void check_level(const issim_scenario *s, const issim_proposal *p, double t,
                        issim_curve_level *lv)
{
  *lv = (issim_curve_level){.threshold = t, .sigmas = NAN, .main = t == s->event.threshold,
                            .pareto_k = NAN, .covers = 1};
  lv->variance = issim_curve_tail_check_at(s, p, t, lv->variance_reason,
                                           sizeof lv->variance_reason);
  double ignored;
  lv->exact_rv = issim_curve_exact_rv_at(s, p, t, lv->variance, &ignored);
  issim_problem pb = issim_scenario_problem(s, NULL);
  pb.event.threshold = t;
  lv->exact_log = issim_problem_exact_log(&pb);
  if (issim_model_line_dist(s->target) && p->model) { /* a proposal's support on the line */
    double lo, hi;
    issim_problem_event_region(&pb, &lo, &hi);
    lv->covers = model_covers(p->model, lo, hi);
  }
}

/* The failure regions of the event at threshold t (regions.h's search) into
 * *rg, kept for the run's attribution of that threshold's hits, and the
 * proposal against them (the analytic check) into *c: 1 when the search
 * finds regions there, 0 when none (rg emptied), -1 when out of memory. */
static int regions_at(const issim_scenario *s, const issim_proposal *p, double t,
                      issim_regions *rg, issim_region_check *c)
{
  issim_problem pb = issim_scenario_problem(s, NULL);
  pb.event.threshold = t;
  issim_error err;
  int found = issim_regions_find(&pb, rg, &err) == ISSIM_OK ? rg->n > 0 : -1;
  if (found > 0)
    issim_regions_check(rg, p->model, c);
  else
    issim_regions_free(rg);
  return found;
}

/* The levels of the scenario's list, when it has several. */
static int prepare_levels(const issim_scenario *s, const issim_proposal *p, issim_curve *c)
{
  if (s->n_levels < 2)
    return 1;
  c->levels = calloc(s->n_levels, sizeof *c->levels);
  c->level_regions = calloc(s->n_levels, sizeof *c->level_regions);
  c->level_found = calloc(s->n_levels, sizeof *c->level_found);
  if (c->levels == NULL || c->level_regions == NULL || c->level_found == NULL)
    return 0;
  c->n_levels = s->n_levels;
  for (size_t k = 0; k < s->n_levels; k++) {
    issim_curve_level *lv = &c->levels[k];
    check_level(s, p, s->levels[k], lv);
    lv->sigmas = s->level_sigmas[k];
    int found = lv->main ? 0 : regions_at(s, p, lv->threshold, &c->level_found[k],
                                          &c->level_regions[k]);
    if (found < 0)
      return 0;
    lv->regions = found ? &c->level_regions[k] : NULL;
  }
  return 1;
}

/* Quantile q's grid levels and their failure regions, those at the grid's
 * middle (the grid is narrow: its regions are one set), each grid level with
 * its own check of them (its own hits' attribution after the run); 0 when
 * out of memory. */
static int prepare_grid(const issim_scenario *s, const issim_proposal *p,
                        issim_curve_quantile *q)
{
  issim_quantile_grid(&q->pilot, q->grid);
  q->at = calloc(ISSIM_QUANTILE_GRID, sizeof *q->at);
  q->regions = malloc(ISSIM_QUANTILE_GRID * sizeof *q->regions);
  if (q->at == NULL || q->regions == NULL)
    return 0;
  int found = regions_at(s, p, q->grid[ISSIM_QUANTILE_GRID / 2], &q->found, q->regions);
  if (found < 0)
    return 0;
  if (!found) {
    free(q->regions);
    q->regions = NULL;
  }
  for (size_t i = 0; i < ISSIM_QUANTILE_GRID; i++) {
    check_level(s, p, q->grid[i], &q->at[i]);
    q->at[i].main = 0;
    if (q->regions)
      q->regions[i] = q->regions[0];
    q->at[i].regions = q->regions ? &q->regions[i] : NULL;
  }
  return 1;
}

static int prepare_quantiles(const issim_scenario *s, const issim_proposal *p,
                             const issim_run_config *cfg, issim_curve *c, issim_error *err)
{
  if (s->n_quantiles == 0)
    return ISSIM_OK;
  c->quantiles = calloc(s->n_quantiles, sizeof *c->quantiles);
  issim_quantile_pilot *pilots = calloc(s->n_quantiles, sizeof *pilots);
  if (c->quantiles == NULL || pilots == NULL) {
    free(pilots);
    return issim_error_set(err, ISSIM_ENOMEM, "out of memory for the quantiles");
  }
  c->n_quantiles = s->n_quantiles;
  c->pilot_draws = issim_quantile_pilot_draws(cfg->samples);
  issim_problem pb = issim_scenario_problem(s, p);
  int rc = issim_quantile_pilot_run(&pb, cfg, s->n_quantiles, s->quantiles, pilots, err);
  for (size_t j = 0; rc == ISSIM_OK && j < s->n_quantiles; j++) {
    issim_curve_quantile *q = &c->quantiles[j];
    q->alpha = s->quantiles[j];
    q->pilot = pilots[j];
    double hint = q->pilot.placed && !isnan(q->pilot.estimate) ? q->pilot.estimate
                                                                : s->event.threshold;
    q->exact = issim_quantile_exact(&pb, q->alpha, hint);
    if (!q->pilot.placed)
      continue;
    if (!prepare_grid(s, p, q))
      rc = issim_error_set(err, ISSIM_ENOMEM, "out of memory for the quantiles");
  }
  free(pilots);
  return rc;
}

/* Every level but the main one, then each placed grid. */
static int list_tally(issim_curve *c)
{
  size_t n = c->n_levels + c->n_quantiles * ISSIM_QUANTILE_GRID;
  c->tally = malloc((n ? n : 1) * sizeof *c->tally);
  if (c->tally == NULL)
    return 0;
  for (size_t k = 0; k < c->n_levels; k++)
    if (!c->levels[k].main)
      c->tally[c->n_tally++] = c->levels[k].threshold;
  for (size_t j = 0; j < c->n_quantiles; j++)
    for (size_t i = 0; c->quantiles[j].at && i < ISSIM_QUANTILE_GRID; i++)
      c->tally[c->n_tally++] = c->quantiles[j].grid[i];
  return 1;
}

int issim_curve_prepare(const issim_scenario *s, const issim_proposal *p,
                        const issim_run_config *cfg, issim_curve **out, issim_error *err)
{
  *out = NULL;
  if (!issim_curve_wanted(s))
    return ISSIM_OK;
  issim_curve *c = calloc(1, sizeof *c);
  if (c)
    c->above = s->event.direction == ISSIM_ABOVE;
  int rc = c && prepare_levels(s, p, c)
               ? ISSIM_OK
               : issim_error_set(err, ISSIM_ENOMEM, "out of memory for the exceedance curve");
  if (rc == ISSIM_OK)
    rc = prepare_quantiles(s, p, cfg, c, err);
  if (rc == ISSIM_OK && !list_tally(c))
    rc = issim_error_set(err, ISSIM_ENOMEM, "out of memory for the exceedance curve");
  if (rc != ISSIM_OK) {
    issim_curve_free(c);
    return rc;
  }
  *out = c;
  return ISSIM_OK;
}

issim_exceedance *issim_curve_tally(const issim_curve *c, uint64_t samples)
{
  if (c == NULL || c->n_tally == 0)
    return NULL;
  size_t k = issim_khat_capacity(samples);
  return issim_exceedance_alloc(c->n_tally, c->tally, c->above,
                                k < ISSIM_CURVE_TAIL ? k : ISSIM_CURVE_TAIL);
}

/* Regions worth a tally of the draws: as the main threshold's (analysis.h),
 * at least two, and one of them checked. */
static const issim_regions *tallied(const issim_regions *rg, const issim_region_check *c)
{
  return c != NULL && rg->n >= 2 && c->n_checked > 0 ? rg : NULL;
}

int issim_curve_region_tally(const issim_curve *c, issim_region_levels **out)
{
  *out = NULL;
  if (c == NULL || c->n_tally == 0)
    return ISSIM_OK;
  const issim_regions **rg = malloc(c->n_tally * sizeof *rg);
  if (rg == NULL)
    return ISSIM_ENOMEM;
  size_t k = 0, any = 0;
  for (size_t j = 0; j < c->n_levels; j++)
    if (!c->levels[j].main)
      rg[k++] = tallied(&c->level_found[j], c->levels[j].regions);
  for (size_t j = 0; j < c->n_quantiles; j++)
    for (size_t i = 0; c->quantiles[j].at && i < ISSIM_QUANTILE_GRID; i++)
      rg[k++] = tallied(&c->quantiles[j].found, c->quantiles[j].at[i].regions);
  for (size_t j = 0; j < k; j++)
    any += rg[j] != NULL;
  if (any)
    *out = issim_region_levels_alloc(k, c->tally, c->above, rg);
  free(rg);
  return any && *out == NULL ? ISSIM_ENOMEM : ISSIM_OK;
}

void issim_curve_free(issim_curve *c)
{
  if (c == NULL)
    return;
  for (size_t j = 0; j < c->n_quantiles; j++) {
    free(c->quantiles[j].at);
    free(c->quantiles[j].regions);
    issim_regions_free(&c->quantiles[j].found);
  }
  for (size_t j = 0; c->level_found && j < c->n_levels; j++)
    issim_regions_free(&c->level_found[j]);
  free(c->level_found);
  free(c->quantiles);
  free(c->levels);
  free(c->level_regions);
  free(c->tally);
  free(c);
}

/* ---- after the run ---- */

/* A level judged by verdict.h's rules with its own inputs (its failure
 * regions too, where the search at its threshold found them) and the
 * proposal's (see curve.h). */
static void judge_level(issim_curve_level *lv, const issim_curve_main *m)
{
  double n = (double)lv->estimate.samples;
  issim_verdict_inputs in = {
    .pareto_k = lv->pareto_k, .variance = lv->variance, .variance_reason = lv->variance_reason,
    .expected_mean_weight = m->expected_mean_weight,
    .regions = lv->regions ? lv->regions : m->regions,
    /* the level's own hits by its own regions when the run tallied them
     * (issim_curve_region_tally); else the main threshold's stand in */
    .regions_drawn = lv->regions && !lv->regions->drawn ? m->regions : NULL,
    .has_exact_std_error = !isnan(lv->exact_rv) && !isnan(lv->exact_log),
    .exact_log_std_error = lv->exact_log + 0.5 * (log(lv->exact_rv) - log(n)),
  };
  issim_verdict_judge(&lv->estimate, &in, &lv->verdict);
  if (m->failed_after)
    issim_verdict_add_loss_failure(&lv->verdict, m->failed_after);
  if (!lv->covers)
    issim_verdict_add(&lv->verdict, ISSIM_UNRELIABLE,
                      "the proposal puts no mass on part of the event region at this threshold: "
                      "its estimate leaves that part out");
}

/* Level lv from the tally's threshold k (and its regions' tally xr, NULL:
 * none), or from the run itself when main. */
static void fill_level(issim_curve_level *lv, const issim_exceedance *x,
                       const issim_region_levels *xr, size_t *k, const issim_curve_main *m,
                       int threads)
{
  if (lv->main) {
    lv->estimate = *m->estimate;
    lv->pareto_k = m->pareto_k;
    lv->verdict = *m->verdict;
    return;
  }
  issim_exceedance_estimate(x, *k, &lv->estimate);
  lv->pareto_k = issim_exceedance_khat(x, *k, threads);
  if (xr && xr->tally[*k]) /* the level's check is the curve's own: see prepare_levels */
    issim_regions_check_draws(xr->tally[*k], (issim_region_check *)lv->regions);
  (*k)++;
  judge_level(lv, m);
}

static const char *side(int where, int above)
{
  return (where > 0) == (above != 0) ? "beyond" : "short of";
}

static const char *first_reason(const issim_verdict *v)
{
  return v->n_reasons ? v->reasons[0] : "";
}

/* Grid threshold k is not trustworthy, for the reason `why`. */
static int untrusted_for(const issim_curve_quantile *cq, size_t k, const char *why)
{
  const issim_verdict *v = &cq->at[k].verdict;
  return v->level > ISSIM_TRUSTWORTHY && strcmp(first_reason(v), why) == 0;
}

/* Each distinct first reason of the grid thresholds from..to that are not
 * trustworthy, once, with how many of them give it. */
static void add_grid_reasons(issim_verdict *v, const issim_curve_quantile *cq, size_t from,
                             size_t to)
{
  for (size_t i = from; i <= to; i++) {
    const char *why = first_reason(&cq->at[i].verdict);
    size_t seen = from;
    while (seen < i && !untrusted_for(cq, seen, why))
      seen++;
    if (!untrusted_for(cq, i, why) || seen < i) /* trustworthy, or said already */
      continue;
    size_t count = 0, last = i;
    issim_verdict_level worst = ISSIM_TRUSTWORTHY;
    for (size_t k = i; k <= to; k++)
      if (untrusted_for(cq, k, why)) {
        count++, last = k;
        worst = cq->at[k].verdict.level > worst ? cq->at[k].verdict.level : worst;
      }
    if (count == 1)
      issim_verdict_add(v, worst, "at the grid's threshold %.6g: %s", cq->grid[i], why);
    else
      issim_verdict_add(v, worst, "at %zu of the grid's thresholds, %.6g to %.6g: %s", count,
                        cq->grid[i], cq->grid[last], why);
  }
}

/* The quantile's verdict: its grid levels', and the grid's own limits. */
static void judge_quantile(issim_curve_quantile *cq, int above)
{
  issim_verdict *v = &cq->verdict;
  const issim_quantile_estimate *q = &cq->q;
  *v = (issim_verdict){.level = ISSIM_TRUSTWORTHY};
  if (!cq->pilot.placed) {
    issim_verdict_add(v, ISSIM_UNRELIABLE, "%s", cq->pilot.reason);
    return;
  }
  if (q->where != 0) {
    issim_verdict_add(v, ISSIM_UNRELIABLE,
                      "the estimated P does not reach alpha = %g on the grid the pilot placed, "
                      "[%.6g, %.6g]: the quantile lies %s it, where this run has no threshold "
                      "(the pilot was misled; more samples give it more draws)", cq->alpha,
                      cq->grid[0], cq->grid[ISSIM_QUANTILE_GRID - 1], side(q->where, above));
    return;
  }
  add_grid_reasons(v, cq, q->lower, q->upper);
  if (q->low_open || q->high_open)
    issim_verdict_add(v, ISSIM_DOUBTFUL,
                      "the 95%% interval reaches the end of the grid the pilot placed (%.6g): it "
                      "is at least as wide as shown, perhaps wider",
                      q->low_open ? cq->grid[0] : cq->grid[ISSIM_QUANTILE_GRID - 1]);
}

void issim_curve_judge(issim_curve *c, const issim_exceedance *x, const issim_region_levels *xr,
                       const issim_curve_main *m, int threads)
{
  size_t k = 0;
  const int above = c->above;
  for (size_t j = 0; j < c->n_levels; j++)
    fill_level(&c->levels[j], x, xr, &k, m, threads);
  issim_estimate e[ISSIM_QUANTILE_GRID];
  for (size_t j = 0; j < c->n_quantiles; j++) {
    issim_curve_quantile *cq = &c->quantiles[j];
    cq->q = (issim_quantile_estimate){.estimate = NAN, .ci_low = NAN, .ci_high = NAN};
    for (size_t i = 0; cq->at && i < ISSIM_QUANTILE_GRID; i++) {
      fill_level(&cq->at[i], x, xr, &k, m, threads);
      e[i] = cq->at[i].estimate;
    }
    if (cq->at)
      issim_quantile_invert(ISSIM_QUANTILE_GRID, cq->grid, e, above, log(cq->alpha), &cq->q);
    judge_quantile(cq, above);
    if (m->failed_after)
      issim_verdict_add_loss_failure(&cq->verdict, m->failed_after);
  }
}
