/* The report of issim adapt (report.h). */
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

/* ---- issim adapt ---- */

static void text_adapt_settings(FILE *out, const issim_adapt_report *r)
{
  const issim_adapt_options *o = r->options;
  fprintf(out, "adaptation cross-entropy, family %s (%s)%s, from %s; rho %g, %llu draws a level",
          issim_cefit_family_name(r->fit->params.family),
          r->fit->update_spread ? "mean and spread" : "mean only",
          r->fit->standard ? " in the standard space u" : "",
          o->start ? o->start : "the target", o->rho, (unsigned long long)o->level_draws);
  if (o->alpha < 1)
    fprintf(out, ", smoothing %g", o->alpha);
  if (r->fit->update_spread)
    fprintf(out, ", spread floor %g", o->min_spread);
  fputc('\n', out);
}

static void text_levels(FILE *out, const issim_adapt_fit *fit)
{
  fprintf(out, "  %5s %12s %8s %10s %10s %9s  %s\n", "level", "gamma", "elites", "P(level)",
          "KL(p*||q)", "event ESS", "fitted");
  for (size_t i = 0; i < fit->n_levels; i++) {
    const issim_adapt_level *l = &fit->levels[i];
    char prob[32];
    issim_format_log_prob(l->log_level_prob, 3, prob, sizeof prob);
    fprintf(out, "  %5u %12.6g %8llu %10s %10.4g %9.4g  %s\n", l->level, l->gamma,
            (unsigned long long)l->elites, prob, l->kl_star, l->event_ess,
            l->fitted[0] ? l->fitted : "(no update)");
  }
  if (fit->outcome == ISSIM_CE_REACHED)
    fprintf(out, "  reached the threshold at level %zu: %llu draws, %.3g s\n", fit->n_levels,
            (unsigned long long)fit->draws, fit->seconds);
  else
    fprintf(out, "  %s: %s\n",
            fit->outcome == ISSIM_CE_INTERRUPTED   ? "INTERRUPTED"
            : fit->outcome == ISSIM_CE_LOSS_FAILED ? "LOSS FAILED"
                                                   : "NOT FITTED",
            fit->message);
}

/* Does the event call a model (calls.h)? */
static int model_called(const issim_adapt_report *r)
{
  issim_problem pb = issim_scenario_problem(r->run.scenario, NULL);
  return issim_calls_model(&pb);
}

int issim_adapt_report_text(FILE *out, const issim_adapt_report *r)
{
  report_text_header(out, &r->run);
  text_adapt_settings(out, r);
  text_levels(out, r->fit);
  report_text_results(out, &r->run);
  if (r->run.n_results == 1) {
    uint64_t final = r->run.results[0].estimate.samples;
    fprintf(out, "\ntotal effort %llu adaptation draws + %llu final draws = %llu\n",
            (unsigned long long)r->fit->draws, (unsigned long long)final,
            (unsigned long long)(r->fit->draws + final));
  }
  else if (model_called(r)) /* no final run: the levels' evaluations are the run's */
    fprintf(out, "\nloss evaluations %llu, the levels' draws\n",
            (unsigned long long)r->fit->draws);
  if (r->saved)
    fprintf(out, "saved      [proposal %s] to %s\n", r->name, r->saved);
  return ferror(out) ? -1 : 0;
}

static const char *outcome_name(issim_adapt_outcome o)
{
  switch (o) {
  case ISSIM_CE_REACHED: return "reached";
  case ISSIM_CE_NO_PROGRESS: return "no-progress";
  case ISSIM_CE_LEVEL_LIMIT: return "level-limit";
  case ISSIM_CE_INTERRUPTED: return "interrupted";
  case ISSIM_CE_LOSS_FAILED: return "loss-failed";
  }
  return "?";
}

int issim_adapt_report_json(FILE *out, const issim_adapt_report *r)
{
  const issim_adapt_options *o = r->options;
  const issim_adapt_fit *fit = r->fit;
  json_t *root = report_json_run(&r->run), *a = json_object(), *levels = json_array();
  report_set(a, "proposal", json_string(r->name));
  report_set(a, "family", json_string(issim_cefit_family_name(fit->params.family)));
  report_set(a, "start", json_string(o->start ? o->start : "target"));
  report_set(a, "update", json_string(fit->update_spread ? "mean+spread" : "mean"));
  report_set(a, "rho", json_real(o->rho));
  report_set(a, "level_draws", json_integer((json_int_t)o->level_draws));
  report_set(a, "alpha", json_real(o->alpha));
  report_set(a, "max_levels", json_integer(o->max_levels));
  report_set(a, "min_spread", fit->update_spread ? json_real(o->min_spread) : json_null());
  for (size_t i = 0; i < fit->n_levels; i++) {
    const issim_adapt_level *l = &fit->levels[i];
    json_t *x = json_object();
    report_set(x, "level", json_integer(l->level));
    report_set(x, "gamma", report_jnum(l->gamma));
    report_set(x, "draws", json_integer((json_int_t)l->draws));
    report_set(x, "elites", json_integer((json_int_t)l->elites));
    report_set(x, "level_probability", report_jprob(l->log_level_prob));
    report_set(x, "kl_pstar_q", report_jnum(l->kl_star));
    report_set(x, "event_ess", report_jnum(l->event_ess));
    report_set(x, "fitted", l->fitted[0] ? json_string(l->fitted) : json_null());
    json_array_append_new(levels, x);
  }
  report_set(a, "levels", levels);
  report_set(a, "outcome", json_string(outcome_name(fit->outcome)));
  report_set(a, "message", fit->outcome == ISSIM_CE_REACHED ? json_null() : json_string(fit->message));
  report_set(a, "draws", json_integer((json_int_t)fit->draws));
  report_set(a, "seconds", report_jnum(fit->seconds));
  uint64_t final = r->run.n_results == 1 ? r->run.results[0].estimate.samples : 0;
  report_set(a, "total_draws", json_integer((json_int_t)(fit->draws + final)));
  report_set(a, "loss_evaluations", report_calls_json(&(issim_calls){.model = model_called(r),
                                                                     .setup = fit->draws}));
  report_set(a, "saved", r->saved ? json_string(r->saved) : json_null());
  report_set(root, "adaptation", a);
  return report_dump_json(out, root);
}

