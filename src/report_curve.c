/* report_curve.c: a result's exceedance curve and quantiles (curve.h) in the
 * run's text and JSON reports (report_impl.h); docs/exceedance.md explains
 * every line and field. */
#include "report.h"
#include "report_impl.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include <gsl/gsl_math.h>

static const char *operator(const issim_curve *c)
{
  return c->above ? ">" : "<";
}

static const char *tail_check_name(issim_variance v)
{
  return v == ISSIM_VARIANCE_FINITE ? "finite" : v == ISSIM_VARIANCE_INFINITE ? "infinite"
                                                                               : "undecided";
}

/* ---- text ---- */

static void text_level(FILE *out, const issim_curve_level *lv, int sigmas)
{
  const issim_estimate *e = &lv->estimate;
  char p[48] = "0", ex[48] = "unknown", sig[16] = "", re[16] = "-", k[16] = "-";
  if (e->hits)
    issim_format_log_prob(e->log_estimate, 6, p, sizeof p);
  if (e->hits)
    snprintf(re, sizeof re, "%.3g%%", 100 * e->relative_error);
  if (!isnan(lv->pareto_k))
    snprintf(k, sizeof k, "%.2f", lv->pareto_k);
  if (sigmas && isnan(lv->sigmas))
    snprintf(sig, sizeof sig, "%7s", "-");
  else if (sigmas)
    snprintf(sig, sizeof sig, "%7.3g", lv->sigmas);
  if (!isnan(lv->exact_log)) {
    issim_format_log_prob(lv->exact_log, 6, ex, sizeof ex);
    double z = report_z(lv->exact_log, e);
    if (!isnan(z))
      snprintf(ex + strlen(ex), sizeof ex - strlen(ex), " (%+.2f)", z);
  }
  fprintf(out, "  %c %14.8g%s %12s %8s %9llu %10.1f %6s  %-11s  %s\n", lv->main ? '*' : ' ',
          lv->threshold, sig, p, re, (unsigned long long)e->hits, e->event_ess, k,
          issim_verdict_name(lv->verdict.level), ex);
}

static const char *first_reason(const issim_curve_level *lv)
{
  return lv->verdict.n_reasons ? lv->verdict.reasons[0] : "";
}

static int untrusted_for(const issim_curve_level *lv, const char *why)
{
  return lv->verdict.level != ISSIM_TRUSTWORTHY && strcmp(first_reason(lv), why) == 0;
}

/* Each distinct first reason of the levels that are not trustworthy, once,
 * after the levels that give it (the worst verdict among them). */
static void text_level_reasons(FILE *out, const issim_curve *c)
{
  for (size_t k = 0; k < c->n_levels; k++) {
    const char *why = first_reason(&c->levels[k]);
    size_t seen = 0;
    while (seen < k && !untrusted_for(&c->levels[seen], why))
      seen++;
    if (!untrusted_for(&c->levels[k], why) || seen < k)
      continue;
    issim_verdict_level worst = ISSIM_TRUSTWORTHY;
    int more = 0;
    fputs("    at", out);
    for (size_t j = k, n = 0; j < c->n_levels; j++) {
      const issim_curve_level *lv = &c->levels[j];
      if (!untrusted_for(lv, why))
        continue;
      fprintf(out, "%s %.8g", n++ ? "," : "", lv->threshold);
      if (!isnan(lv->sigmas))
        fprintf(out, " (%g sigma)", lv->sigmas);
      worst = lv->verdict.level > worst ? lv->verdict.level : worst;
      more |= lv->verdict.n_reasons > 1;
    }
    fprintf(out, ", %s: %s%s\n", issim_verdict_name(worst), why,
            more ? " (and more: see the JSON report)" : "");
  }
}

static void text_levels(FILE *out, const issim_curve *c)
{
  int sigmas = 0;
  for (size_t k = 0; k < c->n_levels; k++)
    sigmas |= !isnan(c->levels[k].sigmas);
  fprintf(out, "  exceedance curve P(loss %s t) at each threshold t, from these draws (* the "
               "main threshold)\n", operator(c));
  fprintf(out, "    %14s%s %12s %8s %9s %10s %6s  %-11s  %s\n", "t", sigmas ? "  sigma" : "",
          "estimate", "rel.err", "hits", "event ESS", "k-hat", "verdict", "exact (z)");
  for (size_t k = 0; k < c->n_levels; k++)
    text_level(out, &c->levels[k], sigmas);
  text_level_reasons(out, c);
}

static void text_quantile(FILE *out, const issim_curve *c, const issim_curve_quantile *cq)
{
  const issim_quantile_estimate *q = &cq->q;
  fprintf(out, "    alpha %-9g ", cq->alpha);
  if (isnan(q->estimate)) {
    fprintf(out, "no estimate: %s\n", issim_verdict_name(cq->verdict.level));
  } else {
    fprintf(out, "q = %.8g  [%s%.8g, %s%.8g]  %s", q->estimate, q->low_open ? "<= " : "",
            q->ci_low, q->high_open ? ">= " : "", q->ci_high,
            issim_verdict_name(cq->verdict.level));
    if (!isnan(cq->exact))
      fprintf(out, "; exact %.8g (%s the interval)", cq->exact,
              cq->exact >= q->ci_low && cq->exact <= q->ci_high ? "in" : "OUTSIDE");
    fputc('\n', out);
  }
  if (cq->pilot.placed)
    fprintf(out, "      pilot's estimate %.6g; grid of %d thresholds over [%.8g, %.8g]\n",
            cq->pilot.estimate, ISSIM_QUANTILE_GRID, cq->grid[0],
            cq->grid[ISSIM_QUANTILE_GRID - 1]);
  for (size_t i = 0; i < cq->verdict.n_reasons; i++)
    fprintf(out, "      %s\n", cq->verdict.reasons[i]);
  (void)c;
}

static void text_quantiles(FILE *out, const issim_curve *c)
{
  fprintf(out, "  quantiles        the level q with P(loss %s q) = alpha; 95%% interval by test "
               "inversion; pilot of %llu draws\n", operator(c),
          (unsigned long long)c->pilot_draws);
  for (size_t j = 0; j < c->n_quantiles; j++)
    text_quantile(out, c, &c->quantiles[j]);
}

void report_text_curve(FILE *out, const issim_result *res)
{
  const issim_curve *c = res->curve;
  if (c == NULL)
    return;
  if (c->n_levels > 0)
    text_levels(out, c);
  if (c->n_quantiles > 0)
    text_quantiles(out, c);
}

/* ---- JSON ---- */

static json_t *json_reasons(const issim_verdict *v)
{
  json_t *a = json_array();
  for (size_t i = 0; i < v->n_reasons; i++)
    json_array_append_new(a, json_string(v->reasons[i]));
  return a;
}

static json_t *json_pair(json_t *a, json_t *b)
{
  json_t *p = json_array();
  json_array_append_new(p, a);
  json_array_append_new(p, b);
  return p;
}

static json_t *json_level(const issim_curve_level *lv)
{
  const issim_estimate *e = &lv->estimate;
  json_t *o = json_object();
  report_set(o, "threshold", report_jnum(lv->threshold));
  report_set(o, "threshold_sigmas", report_jnum(lv->sigmas));
  report_set(o, "main", json_boolean(lv->main));
  report_set(o, "verdict", json_string(issim_verdict_name(lv->verdict.level)));
  report_set(o, "reasons", json_reasons(&lv->verdict));
  report_json_estimate(o, e);
  report_set(o, "event_ess", report_jnum(e->event_ess));
  report_set(o, "max_weight_share", report_jnum(e->max_weight_share));
  report_set(o, "pareto_k", report_jnum(lv->pareto_k));
  report_set(o, "tail_check", json_string(tail_check_name(lv->variance)));
  report_set(o, "exact", report_jprob(lv->exact_log));
  report_set(o, "log10_exact", report_jlog10(lv->exact_log));
  report_set(o, "z_exact", report_jnum(report_z(lv->exact_log, e)));
  report_set(o, "regions_draws", lv->regions && lv->regions->drawn
                                     ? report_regions_drawn_json(lv->regions)
                                     : json_null());
  return o;
}

static json_t *json_quantile(const issim_curve_quantile *cq)
{
  const issim_quantile_estimate *q = &cq->q;
  json_t *o = json_object();
  report_set(o, "alpha", report_jnum(cq->alpha));
  report_set(o, "estimate", report_jnum(q->estimate));
  report_set(o, "ci95", json_pair(report_jnum(q->ci_low), report_jnum(q->ci_high)));
  report_set(o, "ci95_open", json_pair(json_boolean(q->low_open), json_boolean(q->high_open)));
  report_set(o, "verdict", json_string(issim_verdict_name(cq->verdict.level)));
  report_set(o, "reasons", json_reasons(&cq->verdict));
  report_set(o, "exact", report_jnum(cq->exact));
  report_set(o, "exact_in_ci95", isnan(cq->exact) || isnan(q->estimate)
                                      ? json_null()
                                      : json_boolean(cq->exact >= q->ci_low &&
                                                     cq->exact <= q->ci_high));
  json_t *pilot = json_object();
  report_set(pilot, "placed", json_boolean(cq->pilot.placed));
  report_set(pilot, "estimate", report_jnum(cq->pilot.estimate));
  report_set(pilot, "grid", cq->pilot.placed
                                ? json_pair(report_jnum(cq->grid[0]),
                                            report_jnum(cq->grid[ISSIM_QUANTILE_GRID - 1]))
                                : json_null());
  report_set(pilot, "reason", cq->pilot.placed ? json_null() : json_string(cq->pilot.reason));
  report_set(o, "pilot", pilot);
  json_t *grid = json_array();
  for (size_t i = 0; cq->at && i < ISSIM_QUANTILE_GRID; i++)
    json_array_append_new(grid, json_level(&cq->at[i]));
  report_set(o, "grid", grid);
  return o;
}

json_t *report_json_curve(const issim_curve *c)
{
  json_t *o = json_object(), *levels = json_array(), *quantiles = json_array();
  report_set(o, "direction", json_string(operator(c)));
  for (size_t k = 0; k < c->n_levels; k++)
    json_array_append_new(levels, json_level(&c->levels[k]));
  report_set(o, "levels", levels);
  for (size_t j = 0; j < c->n_quantiles; j++)
    json_array_append_new(quantiles, json_quantile(&c->quantiles[j]));
  report_set(o, "quantiles", quantiles);
  report_set(o, "pilot_draws", json_integer((json_int_t)c->pilot_draws));
  return o;
}
