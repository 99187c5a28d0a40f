/* The report of issim compare (report.h). */
#define _POSIX_C_SOURCE 200809L

#include "report.h"

#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_math.h>
#include <jansson.h>

#include "report_impl.h"

/* ---- issim compare ---- */

/* KL(p||q): the exact value when known (the sample estimate, weighted over all
 * draws, is often unreliable), else the estimate; *exact says which. */
static double kl_shown(const issim_result *r, int *exact)
{
  *exact = r->exact.kl_p_q_how != ISSIM_EXACT_NONE;
  return *exact ? r->exact.kl_p_q : r->estimate.kl_p_q;
}

static void reference_text(const issim_compare_report *c, char *buf, size_t size)
{
  const issim_reference *ref = &c->reference;
  char v[48];
  issim_format_log_prob(ref->log_value, 6, v, sizeof v);
  if (isnan(ref->log_value))
    snprintf(buf, size, "none (no exact value and no trustworthy proposal)");
  else if (ref->given)
    snprintf(buf, size, "%s, given in the scenario ([event] reference)", v);
  else if (ref->exact)
    snprintf(buf, size, "the exact value %s", v);
  else
    snprintf(buf, size, "%s, the estimate of '%s' (the most precise trustworthy proposal)", v,
             c->run.results[ref->proposal].proposal->name);
}

/* The line below the table: what ranked the proposals, and the gain. */
static void ranking_note(FILE *out, issim_rank_by by, int calls)
{
  if (by == ISSIM_RANK_BY_CALLS)
    fprintf(out, "\nRanked by verdict, then by efficiency per loss evaluation 1/(rel.var x loss "
                 "evaluations per draw), the set-up's evaluations included (eff/call); gain: the "
                 "efficiency per second over plain Monte Carlo's, whose relative variance is "
                 "(1-P)/P at the reference P.\n");
  else
    fprintf(out, "\nRanked by verdict, then by work-normalised efficiency 1/(rel.var x seconds per "
                 "draw); gain: that efficiency over plain Monte Carlo's, whose relative variance "
                 "is (1-P)/P at the reference P.\n");
  if (calls && by != ISSIM_RANK_BY_CALLS)
    fprintf(out, "eff/call: 1/(rel.var x loss evaluations per draw), the set-up's included "
                 "(--rank-by calls ranks by it).\n");
}

int issim_compare_report_text(FILE *out, const issim_compare_report *c)
{
  const issim_report *r = &c->run;
  report_text_header(out, r);
  char ref[160];
  reference_text(c, ref, sizeof ref);
  fprintf(out, "reference  %s\n\n", ref);
  int calls = 0; /* the columns of loss evaluations, when the event calls a model */
  for (size_t k = 0; k < r->n_results; k++)
    calls |= r->results[k].calls.model;
  fprintf(out, "%-4s %-14s %-12s %-12s %8s %9s %10s %9s %6s %9s %9s %8s %9s %10s", "rank",
          "proposal", "verdict", "estimate", "rel.err", "rel.var", "for 1%", "event ESS",
          "k-hat", "KL(p||q)", "KL(p*||q)", "seconds", "M draws/s", "gain");
  fprintf(out, calls ? " %12s %9s\n" : "\n", "loss evals", "eff/call");
  int any_excluded = 0, any_exact_kl = 0;
  for (size_t k = 0; k < r->n_results; k++) {
    const issim_ranked *rk = &c->ranked[k];
    const issim_result *res = &r->results[rk->index];
    const issim_estimate *e = &res->estimate;
    char est[48] = "0", gain[48] = "-", kl[32];
    if (e->hits > 0)
      issim_format_log_prob(e->log_estimate, 5, est, sizeof est);
    if (!isnan(rk->log_gain_over_crude_work))
      issim_format_log_prob(rk->log_gain_over_crude_work, 2, gain, sizeof gain);
    int exact_kl;
    double klv = kl_shown(res, &exact_kl);
    if (isinf(klv))
      snprintf(kl, sizeof kl, "inf%s", exact_kl ? "*" : "");
    else
      snprintf(kl, sizeof kl, "%.3g%s", klv, exact_kl ? "*" : "");
    any_exact_kl |= exact_kl;
    any_excluded |= rk->excludes_reference;
    char re[16] = "-", rv[16] = "-", n1[16] = "-", kh[16] = "-", kls[16] = "-";
    if (e->hits > 0) {
      snprintf(re, sizeof re, "%.3g%%", 100 * e->relative_error);
      snprintf(rv, sizeof rv, "%.3g", e->relative_variance);
      snprintf(n1, sizeof n1, "%.3g", e->samples_for_1pct);
      snprintf(kls, sizeof kls, "%.3g", e->kl_pstar_q);
    }
    if (!isnan(res->pareto_k))
      snprintf(kh, sizeof kh, "%.2f", res->pareto_k);
    fprintf(out, "%-4zu %-14s %-12s %-11s%s %8s %9s %10s %9.0f %6s %9s %9s %8.3g %9.3g %10s",
            k + 1, res->proposal->name, issim_verdict_name(res->verdict.level), est,
            rk->excludes_reference ? "!" : " ", re, rv, n1, e->event_ess, kh, kl, kls,
            res->seconds, (double)e->samples / res->seconds / 1e6, gain);
    if (calls)
      fprintf(out, " %12llu %9.3g", (unsigned long long)issim_calls_total(&res->calls),
              rk->efficiency_per_call);
    fputc('\n', out);
  }
  ranking_note(out, c->rank_by, calls);
  if (any_excluded)
    fprintf(out, "! the 95%% interval excludes the reference.\n");
  if (any_exact_kl)
    fprintf(out, "* KL(p||q) exact (closed form or quadrature); the others are estimates.\n");
  for (size_t k = 0; k < r->n_results; k++) {
    const issim_proposal *p = r->results[c->ranked[k].index].proposal;
    if (p->adaptive)
      fprintf(out, "%s was fitted by the cross-entropy method first: %u levels, %llu draws, %.3g s "
                   "more than the table shows.\n",
              p->name, p->adapt_levels, (unsigned long long)p->adapt_draws, p->adapt_seconds);
  }
  int header = 0;
  for (size_t k = 0; k < r->n_results; k++) {
    const issim_result *res = &r->results[c->ranked[k].index];
    char *lines[16];
    size_t n = issim_result_warnings(r, res, lines, 16);
    for (size_t i = 0; i < n; i++) {
      if (!header++)
        fprintf(out, "\nwarnings\n");
      fprintf(out, "  %s: %s\n", res->proposal->name, lines[i]);
      free(lines[i]);
    }
  }
  return ferror(out) ? -1 : 0;
}

int issim_compare_report_json(FILE *out, const issim_compare_report *c)
{
  const issim_report *r = &c->run;
  json_t *root = json_object();
  report_set(root, "scenario", json_string(r->scenario->name));
  report_set(root, "samples", json_integer((json_int_t)r->samples));
  char seed[24];
  snprintf(seed, sizeof seed, "%llu", (unsigned long long)r->seed);
  report_set(root, "seed", json_string(seed));
  report_set(root, "rng", json_string(r->rng_name));
  report_set(root, "threads", json_integer(r->threads));
  report_set(root, "exact", report_jprob(r->exact_log));
  report_set(root, "log10_exact", report_jlog10(r->exact_log));
  json_t *ref = json_object();
  report_set(ref, "kind", json_string(isnan(c->reference.log_value) ? "none"
                               : c->reference.given ? "given"
                               : c->reference.exact ? "exact" : "estimate"));
  report_set(ref, "proposal", !c->reference.exact && !isnan(c->reference.log_value)
                           ? json_string(r->results[c->reference.proposal].proposal->name)
                           : json_null());
  report_set(ref, "log10_value", report_jlog10(c->reference.log_value));
  report_set(root, "reference", ref);
  report_set(root, "ranked_by", json_string(c->rank_by == ISSIM_RANK_BY_CALLS ? "calls" : "seconds"));
  /* results: run's objects in the scenario's order, each with its rank;
   * ranking: the same objects in rank order */
  json_t *ranking = json_array(), **entries = calloc(r->n_results ? r->n_results : 1,
                                                     sizeof *entries);
  if (entries == NULL) {
    json_decref(root);
    json_decref(ranking);
    return -1;
  }
  for (size_t k = 0; k < r->n_results; k++) {
    const issim_ranked *rk = &c->ranked[k];
    json_t *o = report_json_result(r, &r->results[rk->index]);
    json_t *entry = json_object();
    report_set(entry, "rank", json_integer((json_int_t)(k + 1)));
    report_set(entry, "efficiency", report_jnum(rk->efficiency));
    report_set(entry, "efficiency_per_call", report_jnum(rk->efficiency_per_call));
    report_set(entry, "log10_gain_over_crude_work", report_jlog10(rk->log_gain_over_crude_work));
    report_set(entry, "ci_excludes_reference", json_boolean(rk->excludes_reference));
    json_object_update(entry, o);
    json_decref(o);
    json_array_append_new(ranking, entry);
    entries[rk->index] = entry;
  }
  json_t *results = json_array();
  for (size_t i = 0; i < r->n_results; i++)
    json_array_append(results, entries[i]);
  free(entries);
  report_set(root, "results", results);
  report_set(root, "ranking", ranking);
  return report_dump_json(out, root);
}

int issim_compare_report_csv(FILE *out, const issim_compare_report *c)
{
  const issim_report *r = &c->run;
  fprintf(out, "rank,proposal,verdict,samples,hits,log10_estimate,relative_error,"
               "relative_variance,samples_for_1pct,event_ess,pareto_k,kl_p_q,kl_p_q_exact,kl_pstar_q,seconds,"
               "draws_per_second,efficiency,log10_gain_over_crude_work,ci_excludes_reference,%s,"
               "loss_evaluations,efficiency_per_call\n",
          report_csv_estimate_columns);
  for (size_t k = 0; k < r->n_results; k++) {
    const issim_ranked *rk = &c->ranked[k];
    const issim_result *res = &r->results[rk->index];
    const issim_estimate *e = &res->estimate;
    fprintf(out, "%zu,%s,%s,%llu,%llu", k + 1, res->proposal->name,
            issim_verdict_name(res->verdict.level), (unsigned long long)e->samples,
            (unsigned long long)e->hits);
    report_csv_number(out, e->hits ? e->log_estimate / M_LN10 : NAN);
    report_csv_number(out, e->relative_error);
    report_csv_number(out, e->relative_variance);
    report_csv_number(out, e->samples_for_1pct);
    report_csv_number(out, e->event_ess);
    report_csv_number(out, res->pareto_k);
    report_csv_number(out, res->exact.kl_p_q_how == ISSIM_EXACT_INFINITE ? INFINITY : e->kl_p_q);
    report_csv_number(out, res->exact.kl_p_q_how == ISSIM_EXACT_NONE ? NAN : res->exact.kl_p_q);
    report_csv_number(out, e->kl_pstar_q);
    report_csv_number(out, res->seconds);
    report_csv_number(out, (double)e->samples / res->seconds);
    report_csv_number(out, rk->efficiency);
    report_csv_number(out, rk->log_gain_over_crude_work / M_LN10);
    fprintf(out, ",%s", rk->excludes_reference ? "true" : "false");
    report_csv_estimate(out, r, e);
    fprintf(out, ",%llu", (unsigned long long)issim_calls_total(&res->calls));
    report_csv_number(out, rk->efficiency_per_call);
    fputc('\n', out);
  }
  return ferror(out) ? -1 : 0;
}

