#define _POSIX_C_SOURCE 200809L /* open_memstream */

#include "workflow.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dump.h"
#include "fileio.h"
#include "plot.h"
#include "rng.h"

struct issim_workflow {
  const issim_scenario *s;
  issim_workflow_settings set;
  issim_proposal *proposals; /* copies of s->proposals; fitted ones own their laws */
  issim_regions regions;     /* the event's failure regions, found once */
  int have_regions;
};

issim_workflow *issim_workflow_alloc(const issim_scenario *s, const issim_workflow_settings *set)
{
  issim_workflow *wf = calloc(1, sizeof *wf);
  if (wf == NULL)
    return NULL;
  wf->s = s;
  wf->set = *set;
  wf->proposals = calloc(s->n_proposals ? s->n_proposals : 1, sizeof *wf->proposals);
  if (wf->proposals == NULL) {
    free(wf);
    return NULL;
  }
  for (size_t i = 0; i < s->n_proposals; i++)
    wf->proposals[i] = s->proposals[i];
  return wf;
}

void issim_workflow_free(issim_workflow *wf)
{
  if (wf == NULL)
    return;
  for (size_t i = 0; i < wf->s->n_proposals; i++)
    if (wf->proposals[i].fitted) {
      issim_model_free(wf->proposals[i].model);
    }
  if (wf->have_regions)
    issim_regions_free(&wf->regions);
  free(wf->proposals);
  free(wf);
}

size_t issim_workflow_size(const issim_workflow *wf)
{
  return wf->s->n_proposals;
}

issim_proposal *issim_workflow_proposal(issim_workflow *wf, size_t i)
{
  return &wf->proposals[i];
}

int issim_workflow_selected(const issim_workflow *wf, size_t i)
{
  return wf->set.only == NULL || strcmp(wf->set.only, wf->proposals[i].name) == 0;
}

issim_run_config issim_workflow_config(const issim_workflow *wf, const char *stream_name)
{
  const issim_scenario *s = wf->s;
  return (issim_run_config){
    .samples = s->samples, .seed = s->seed, .stream = issim_rng_stream_id(stream_name),
    .rng = s->rng, .threads = wf->set.threads, .stop = &wf->set.stop,
    .cluster = wf->set.cluster,
  };
}

const issim_regions *issim_workflow_regions(issim_workflow *wf, issim_error *err)
{
  if (!wf->have_regions) {
    issim_problem pb = issim_scenario_problem(wf->s, NULL);
    if (issim_regions_find(&pb, &wf->regions, err) != ISSIM_OK)
      return NULL;
    wf->have_regions = 1;
  }
  return &wf->regions;
}

int issim_workflow_interrupted(const issim_workflow *wf)
{
  const volatile sig_atomic_t *flag = wf->set.interrupt;
  return issim_cluster_max(wf->set.cluster, flag ? *flag : 0) != 0;
}

/* ---- the cross-entropy method ---- */

/* Between a fit's levels: has any process seen the interrupt?  (All decide
 * alike.) */
static int stop_fitting(void *user)
{
  return issim_workflow_interrupted(user);
}

/* A reached fit installed into p, a working copy that then owns its law. */
static int install(const issim_workflow *wf, issim_proposal *p, const issim_adapt_fit *fit,
                   const char *start_name, issim_error *err)
{
  issim_problem pb = issim_scenario_problem(wf->s, NULL);
  issim_model *qm = NULL;
  int rc = issim_adapt_fit_realise(&pb, fit, p->name, &qm, err);
  if (rc != ISSIM_OK)
    return rc;
  if (p->fitted)
    issim_model_free(p->model);
  const issim_proposal *start = start_name ? issim_scenario_proposal(wf->s, start_name) : NULL;
  *p = (issim_proposal){.name = p->name, .line = p->line, .adaptive = p->adaptive,
                        .model = qm, .fitted = 1, .adapt_levels = (unsigned)fit->n_levels,
                        .adapt_draws = fit->draws, .adapt_seconds = fit->seconds,
                        .search_calls = start ? start->search_calls : 0};
  return ISSIM_OK;
}

int issim_workflow_fit(issim_workflow *wf, issim_proposal *p, const issim_adapt_options *opt,
                       issim_adapt_fit *fit, issim_error *err)
{
  *fit = (issim_adapt_fit){0};
  issim_problem pb;
  const issim_scenario *s = wf->s;
  int rc = issim_scenario_fit_start(s, opt, &pb, err);
  if (rc == ISSIM_OK)
    rc = issim_adapt_run(&pb, p->name, opt, s->seed, s->rng, wf->set.threads, stop_fitting, wf,
                      fit, err);
  if (rc != ISSIM_OK)
    return rc;
  if (fit->outcome != ISSIM_CE_REACHED)
    return issim_error_set(err, ISSIM_ENOTDONE, "%s", fit->message);
  return install(wf, p, fit, opt->start, err);
}

int issim_workflow_fit_adaptive(issim_workflow *wf, issim_error *err)
{
  for (size_t i = 0; i < wf->s->n_proposals; i++) {
    issim_proposal *p = &wf->proposals[i];
    if (!p->adaptive || !issim_workflow_selected(wf, i))
      continue;
    issim_adapt_fit fit;
    issim_error inner;
    int rc = issim_workflow_fit(wf, p, p->adaptive, &fit, &inner);
    issim_adapt_fit_clear(&fit);
    if (rc == ISSIM_ENOTDONE)
      return issim_error_set(err, rc, "proposal '%s' %s: %s", p->name,
                             issim_workflow_interrupted(wf) ? "was not fitted"
                                                            : "could not be fitted",
                             inner.message);
    if (rc != ISSIM_OK)
      return issim_error_set(err, rc, "proposal '%s': %s", p->name, inner.message);
  }
  return ISSIM_OK;
}

int issim_workflow_save_fit(const issim_workflow *wf, const char *path, const char *name,
                            const issim_adapt_fit *fit, issim_error *err)
{
  char *buf = NULL;
  size_t len = 0;
  FILE *mem = open_memstream(&buf, &len);
  if (mem == NULL)
    return issim_error_set(err, ISSIM_ENOMEM, "out of memory");
  int rc = issim_adapt_save(mem, wf->s->name, name, fit, err);
  if (fclose(mem) != 0 && rc == ISSIM_OK)
    rc = issim_error_set(err, ISSIM_ENOMEM, "out of memory");
  if (rc == ISSIM_OK && issim_cluster_rank(wf->set.cluster) == 0)
    rc = issim_fileio_write_atomic(path, buf, len, err);
  free(buf);
  return rc;
}

/* ---- run, compare, calibrate, divergence ---- */

void issim_workflow_warn(issim_workflow *wf)
{
  for (size_t i = 0; wf->set.warn && i < wf->s->n_proposals; i++) {
    if (!issim_workflow_selected(wf, i))
      continue;
    char reason[ISSIM_VERDICT_REASON_SIZE] = "";
    if (issim_analyse_tail_check(wf->s, &wf->proposals[i], reason, sizeof reason) ==
        ISSIM_VARIANCE_INFINITE)
      wf->set.warn(wf->proposals[i].name, reason, wf->set.user);
  }
}

/* cfg->samples cut to the settings' budget of loss evaluations for
 * proposal p after the regions' search rg (calls.h); *cut: whether it was. */
static int fit_budget(const issim_workflow *wf, const issim_proposal *p, const issim_regions *rg,
                      int pilot, issim_run_config *cfg, int *cut, issim_error *err)
{
  *cut = 0;
  if (wf->set.max_calls == 0)
    return ISSIM_OK;
  issim_calls before = issim_analyse_calls_before(wf->s, p, rg);
  uint64_t draws;
  int rc = issim_calls_draws_within(wf->set.max_calls, &before, pilot, &draws, err);
  if (rc == ISSIM_OK && draws < cfg->samples) {
    cfg->samples = draws;
    *cut = 1;
  }
  if (rc != ISSIM_OK) {
    char why[ISSIM_ERROR_MESSAGE_SIZE];
    snprintf(why, sizeof why, "%s", err->message);
    issim_error_set(err, rc, "proposal '%s': %s", p->name, why);
  }
  return rc;
}

/* One proposal analysed between the settings' before and after hooks. */
static int analyse_one(issim_workflow *wf, const issim_proposal *p, unsigned record,
                       issim_result *result, issim_error *err)
{
  issim_run_config cfg = issim_workflow_config(wf, p->name);
  const issim_regions *rg = issim_workflow_regions(wf, err);
  int cut;
  if (rg == NULL ||
      fit_budget(wf, p, rg, (record & ISSIM_RECORD_CURVE) && wf->s->n_quantiles > 0, &cfg, &cut,
                 err) != ISSIM_OK)
    return err->code;
  issim_stop_rules stop = wf->set.stop;
  if (wf->set.before)
    wf->set.before(p, &stop, wf->set.user);
  cfg.stop = &stop;
  issim_analyse_before(wf->s, p, rg, result);
  int rc = issim_analyse_sample(wf->s, p, &cfg, record, result, err);
  if (cut && result->stopped_by == ISSIM_STOP_SAMPLES)
    result->stopped_by = ISSIM_STOP_CALLS;
  if (wf->set.after)
    wf->set.after(p, wf->set.user);
  if (rc != ISSIM_OK && !issim_workflow_partial(rc, result))
    issim_result_clear(result);
  return rc;
}

int issim_workflow_partial(int rc, const issim_result *result)
{
  return rc == ISSIM_ELOSS && result->estimate.samples > 0;
}

int issim_workflow_run_one(issim_workflow *wf, const issim_proposal *p, issim_result *result,
                           issim_error *err)
{
  return analyse_one(wf, p, ISSIM_RECORD_CURVE, result, err);
}

int issim_workflow_run(issim_workflow *wf, unsigned record, issim_result *results, size_t *n,
                       issim_error *err)
{
  *n = 0;
  issim_workflow_warn(wf);
  /* every rank of a distributed run alike, whichever saw the interrupt first */
  for (size_t i = 0; i < wf->s->n_proposals && !issim_workflow_interrupted(wf); i++) {
    if (!issim_workflow_selected(wf, i))
      continue;
    int rc = analyse_one(wf, &wf->proposals[i], record, &results[*n], err);
    if (rc == ISSIM_OK || issim_workflow_partial(rc, &results[*n]))
      (*n)++;
    if (rc != ISSIM_OK) {
      issim_compare_cross_check(results, *n);
      return rc;
    }
  }
  issim_compare_cross_check(results, *n);
  issim_compare_cross_check_curves(results, *n);
  return ISSIM_OK;
}

issim_report issim_workflow_report(const issim_workflow *wf, const issim_result *results,
                                   size_t n)
{
  const issim_scenario *s = wf->s;
  const volatile sig_atomic_t *flag = wf->set.interrupt;
  const issim_regions *rg = wf->have_regions ? &wf->regions : NULL;
  return (issim_report){
    .regions = rg,
    .scenario = s, .samples = s->samples, .seed = s->seed, .rng_name = s->rng->name,
    .threads = issim_engine_threads(wf->set.threads), .exact_log = issim_scenario_exact_log(s),
    .target_re = wf->set.stop.target_re, .max_seconds = wf->set.stop.max_seconds,
    .max_calls = wf->set.max_calls,
    .interrupted = flag && *flag != 0, .n_results = n, .results = results,
  };
}

double issim_workflow_known_log(const issim_workflow *wf)
{
  double exact = issim_scenario_exact_log(wf->s);
  return isnan(exact) ? wf->s->reference_log : exact;
}

void issim_workflow_rank(const issim_workflow *wf, const issim_result *results, size_t n,
                         issim_ranked *ranked, issim_reference *ref)
{
  issim_compare_rank_by(results, n, issim_workflow_known_log(wf), wf->set.rank_by, ranked, ref);
  ref->given = ref->exact && isnan(issim_scenario_exact_log(wf->s));
}

int issim_workflow_plots(const issim_workflow *wf, const char *dir, const issim_result *results,
                         size_t n, const issim_ranked *ranked, const char *gnuplot,
                         int *rendered, issim_error *err)
{
  const issim_scenario *s = wf->s;
  issim_plot_series *series = calloc(n ? n : 1, sizeof *series);
  if (series == NULL)
    return issim_error_set(err, ISSIM_ENOMEM, "out of memory for the plots");
  for (size_t i = 0; i < n; i++) {
    const issim_estimate *e = &results[i].estimate;
    series[i] = (issim_plot_series){
      .name = results[i].proposal->name, .trace = results[i].trace, .hist = &results[i].hist,
      .efficiency = NAN, .verdict = issim_verdict_name(results[i].verdict.level),
      .has_estimate = 1, .log_estimate = e->log_estimate, .relative_error = e->relative_error};
  }
  for (size_t k = 0; ranked && k < n; k++) {
    series[ranked[k].index].efficiency = ranked[k].efficiency;
    series[ranked[k].index].rank = k + 1;
  }
  char title[512];
  snprintf(title, sizeof title, "%s%s%s", s->name, s->description[0] ? ": " : "",
           s->description);
  double exact = issim_scenario_exact_log(s);
  issim_reference ref;
  issim_compare_reference(results, n, issim_workflow_known_log(wf), &ref);
  int by_estimate = !ref.exact && !isnan(ref.log_value);
  issim_plot_options opt = {
    .title = title, .exact_log = exact, .gnuplot = gnuplot,
    .reference_log = by_estimate ? ref.log_value : NAN,
    .reference_name = by_estimate ? results[ref.proposal].proposal->name : NULL,
    .has_given = isnan(exact) && !isnan(s->reference_log), .given_log = s->reference_log,
  };
  int rc = issim_plot_write(dir, series, n, &opt, rendered, err);
  const issim_curve **curves = calloc(n ? n : 1, sizeof *curves);
  if (rc == ISSIM_OK && curves == NULL)
    rc = issim_error_set(err, ISSIM_ENOMEM, "out of memory for the plots");
  for (size_t i = 0; rc == ISSIM_OK && i < n; i++)
    curves[i] = results[i].curve;
  issim_problem pb = issim_scenario_problem(s, NULL);
  issim_plot_exceedance_input in = {.curves = curves, .problem = &pb,
                                    .main_threshold = s->event.threshold};
  issim_error inner = {0};
  int drawn = 1;
  if (rc == ISSIM_OK && (rc = issim_plot_exceedance(dir, series, n, &opt, &in, &drawn,
                                                    &inner)) != ISSIM_OK)
    *err = inner;
  if (rc == ISSIM_OK && rendered && *rendered && !drawn) {
    *rendered = 0;
    *err = inner;
  }
  free(curves);
  free(series);
  return rc;
}

int issim_workflow_calibrate(issim_workflow *wf, size_t reps, issim_calibration *cal, size_t *n,
                             issim_calibrate_report *rep, issim_error *err)
{
  const issim_scenario *s = wf->s;
  *n = 0;
  issim_workflow_warn(wf);
  const issim_regions *rg = issim_workflow_regions(wf, err);
  if (rg == NULL)
    return err->code;
  for (size_t i = 0; i < s->n_proposals; i++) {
    if (!issim_workflow_selected(wf, i))
      continue;
    issim_run_config cfg = issim_workflow_config(wf, wf->proposals[i].name);
    int cut;
    int rc = fit_budget(wf, &wf->proposals[i], rg, 0, &cfg, &cut, err);
    if (rc == ISSIM_OK)
      rc = issim_calibration_run(s, &wf->proposals[i], rg, &cfg, reps, &cal[*n], err);
    if (rc != ISSIM_OK)
      return rc;
    (*n)++;
  }
  *rep = (issim_calibrate_report){
    .scenario = s, .samples = s->samples, .seed = s->seed, .rng_name = s->rng->name,
    .reps = reps, .exact_log = issim_scenario_exact_log(s), .given_log = s->reference_log,
    .n = *n, .calibrations = cal,
  };
  issim_calibration_judge_all(cal, *n, rep->exact_log, rep->given_log);
  return ISSIM_OK;
}

/* Draws of q (or of p for the target's own row) give every estimate.  The
 * estimates do not look at the event: a d-dimensional row's is the sum of
 * the coordinates above -inf, which every draw is in (the scenario's own
 * loss, perhaps a program, is not run). */
static int divergence_row(const issim_workflow *wf, const issim_proposal *p,
                          issim_divergence_row *row, issim_error *err)
{
  const issim_scenario *s = wf->s;
  issim_run_config cfg = issim_workflow_config(wf, p ? p->name : "target");
  issim_problem pb = {.target = s->target, .proposal = p ? p->model : NULL,
                      .event = {.threshold = -INFINITY, .direction = ISSIM_ABOVE}};
  issim_loss *everywhere = NULL;
  if (issim_model_line_dist(s->target) == NULL) {
    pb = issim_scenario_problem(s, p);
    everywhere = issim_loss_alloc(ISSIM_LOSS_SUM, issim_model_dim(s->target), err);
    if (everywhere == NULL)
      return err->code;
    pb.event = issim_event_init(everywhere, -INFINITY, ISSIM_ABOVE);
  }
  issim_run_output out = {0};
  int rc = issim_engine_run(&pb, &cfg, &out, err);
  issim_loss_free(everywhere);
  if (rc != ISSIM_OK)
    return rc;
  row->proposal = p;
  issim_accum_estimate(&out.acc, &row->estimate);
  issim_analyse_information(s->target, p ? p->model : NULL, &row->exact);
  return ISSIM_OK;
}

int issim_workflow_divergence(issim_workflow *wf, issim_divergence_row *rows, size_t *n,
                              issim_error *err)
{
  const issim_scenario *s = wf->s;
  *n = 0;
  if (issim_model_line_dist(s->target) && s->event.loss != NULL) /* a mixture: x as a loss */
    return issim_error_set(err, ISSIM_EINVAL, "%s: issim divergence handles univariate "
                                              "scenarios without mixtures and d-dimensional "
                                              "ones; use issim run, whose information block "
                                              "covers the rest", s->path);
  int rc = divergence_row(wf, NULL, &rows[(*n)++], err);
  for (size_t i = 0; rc == ISSIM_OK && i < s->n_proposals; i++)
    if (issim_workflow_selected(wf, i))
      rc = divergence_row(wf, &wf->proposals[i], &rows[(*n)++], err);
  return rc;
}

int issim_workflow_dump(const issim_workflow *wf, const char *path, const issim_result *results,
                        size_t n, issim_error *err)
{
  const issim_scenario *s = wf->s;
  if (issim_cluster_rank(wf->set.cluster) != 0)
    return ISSIM_OK;
  issim_problem target = issim_scenario_problem(s, NULL);
  issim_dump *dump;
  int rc = issim_dump_open(path, issim_problem_dim(&target), (const char *const *)s->variables,
                           &dump, err);
  for (size_t i = 0; rc == ISSIM_OK && i < n; i++) {
    const issim_proposal *p = results[i].proposal;
    issim_problem pb = issim_scenario_problem(s, p);
    issim_run_config cfg = issim_workflow_config(wf, p->name);
    cfg.stop = NULL;
    rc = issim_dump_add(dump, p->name, &pb, &cfg, results[i].estimate.samples, err);
  }
  if (rc != ISSIM_OK) {
    issim_dump_close(dump, 1, NULL);
    return rc;
  }
  return issim_dump_close(dump, 0, err);
}
