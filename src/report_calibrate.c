/* The report of issim calibrate (report.h). */
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

/* ---- issim calibrate ---- */

static void calibrate_reference_text(const issim_calibrate_report *r, char *buf, size_t size)
{
  char v[48];
  issim_format_log_prob(isnan(r->exact_log) ? r->given_log : r->exact_log, 6, v, sizeof v);
  if (!isnan(r->exact_log))
    snprintf(buf, size, "the exact value %s", v);
  else if (!isnan(r->given_log))
    snprintf(buf, size, "%s, given in the scenario ([event] reference)", v);
  else
    snprintf(buf, size, "pooled: each proposal against the mean of the replications of the most "
                        "precise other proposal whose replications all hit and were never "
                        "unreliable, if the next such proposal agrees with it");
}

/* A pooled row's reference, after the verdict on its error bars. */
static void calibrate_against(FILE *out, const issim_calibration *c)
{
  if (c->ref_kind == ISSIM_CALIBRATION_REF_POOLED) {
    char v[48];
    issim_format_log_prob(c->log_reference, 4, v, sizeof v);
    fprintf(out, " (against '%s', %s)", c->reference_from, v);
  }
  fputc('\n', out);
}

int issim_calibrate_report_text(FILE *out, const issim_calibrate_report *r)
{
  char ref[300];
  calibrate_reference_text(r, ref, sizeof ref);
  fprintf(out, "scenario   %s%s%s\n", r->scenario->name, r->scenario->description[0] ? ": " : "",
          r->scenario->description);
  fprintf(out, "calibrate  %zu replications of %llu samples per proposal, seed %llu, rng %s\n",
          r->reps, (unsigned long long)r->samples, (unsigned long long)r->seed, r->rng_name);
  fprintf(out, "reference  %s\n\n", ref);
  fprintf(out, "%-14s %10s %9s %11s %7s %9s %7s %6s  %s\n", "proposal", "unreliable", "rel.RMSE",
          "mean rep.RE", "ratio", "coverage", "z mean", "z sd", "error bars");
  for (size_t i = 0; i < r->n; i++) {
    const issim_calibration *c = &r->calibrations[i];
    char unrel[32];
    snprintf(unrel, sizeof unrel, "%zu/%zu", c->unreliable_reps, c->reps);
    if (c->ref_kind == ISSIM_CALIBRATION_REF_NONE) {
      fprintf(out, "%-14s %10s   (no reference to judge against: no other proposal whose "
                   "replications all hit and were never unreliable, or two that disagree)\n",
              c->proposal->name, unrel);
      continue;
    }
    if (c->inconclusive && 2 * c->no_error_bar_reps > c->reps) {
      fprintf(out, "%-14s %10s %8.3g%%  inconclusive: %zu of %zu replications had no hit",
              c->proposal->name, unrel, 100 * c->relative_rmse, c->no_error_bar_reps, c->reps);
      calibrate_against(out, c);
      continue;
    }
    if (c->inconclusive) {
      fprintf(out, "%-14s %10s %8.3g%%  inconclusive: coverage %.3g%% over only %zu error bars",
              c->proposal->name, unrel, 100 * c->relative_rmse, 100 * c->coverage,
              c->reps - c->no_error_bar_reps);
      calibrate_against(out, c);
      continue;
    }
    fprintf(out, "%-14s %10s %8.3g%% %10.3g%% %7.3g %8.1f%% %7.2f %6.2f  %s", c->proposal->name,
            unrel, 100 * c->relative_rmse, 100 * c->mean_reported_re,
            c->relative_rmse / c->mean_reported_re, 100 * c->coverage, c->z_mean, c->z_sd,
            c->over_confident ? "OVER-CONFIDENT" : "honest");
    calibrate_against(out, c);
  }
  int header = 0; /* the replications' cost, when the event calls a model */
  for (size_t i = 0; i < r->n; i++) {
    const issim_calibration *c = &r->calibrations[i];
    if (c->calls.model && !header++)
      fprintf(out, "\nloss evaluations (the set-up once, then every replication's draws)\n");
    char label[300];
    snprintf(label, sizeof label, "  %-14s ", c->proposal->name);
    report_calls_text(out, label, &c->calls, "draws");
  }
  fprintf(out, "\nrel.RMSE: the spread of the estimates around the reference; mean rep.RE: the "
               "relative error the runs reported; ratio: the two, 1 when honest.  Over-confident: "
               "a ratio above 2, or coverage of the 95%% intervals below 85%% (over 50 "
               "replications with a hit or more).\n");
  return ferror(out) ? -1 : 0;
}

static const char *const CALIBRATION_REF_NAMES[] = {"none", "exact", "given", "pooled"};

int issim_calibrate_report_json(FILE *out, const issim_calibrate_report *r)
{
  json_t *root = json_object();
  report_set(root, "scenario", json_string(r->scenario->name));
  report_set(root, "reps", json_integer((json_int_t)r->reps));
  report_set(root, "samples", json_integer((json_int_t)r->samples));
  char seed[24];
  snprintf(seed, sizeof seed, "%llu", (unsigned long long)r->seed);
  report_set(root, "seed", json_string(seed));
  report_set(root, "rng", json_string(r->rng_name));
  json_t *ref = json_object();
  report_set(ref, "kind", json_string(!isnan(r->exact_log) ? "exact" : !isnan(r->given_log) ? "given"
                                                                                  : "pooled"));
  report_set(ref, "log10_value", report_jlog10(isnan(r->exact_log) ? r->given_log : r->exact_log));
  report_set(root, "reference", ref);
  json_t *list = json_array();
  for (size_t i = 0; i < r->n; i++) {
    const issim_calibration *c = &r->calibrations[i];
    json_t *o = json_object();
    int judged = c->ref_kind != ISSIM_CALIBRATION_REF_NONE;
    report_set(o, "proposal", json_string(c->proposal->name));
    report_set(o, "reps", json_integer((json_int_t)c->reps));
    report_set(o, "zero_hit_reps", json_integer((json_int_t)c->zero_hit_reps));
    report_set(o, "unreliable_reps", json_integer((json_int_t)c->unreliable_reps));
    json_t *cref = json_object();
    report_set(cref, "kind", json_string(CALIBRATION_REF_NAMES[c->ref_kind]));
    report_set(cref, "proposal", c->reference_from ? json_string(c->reference_from) : json_null());
    report_set(cref, "log10_value", report_jlog10(c->log_reference));
    report_set(o, "reference", cref);
    report_set(o, "relative_rmse", judged ? report_jnum(c->relative_rmse) : json_null());
    report_set(o, "mean_reported_relative_error", judged ? report_jnum(c->mean_reported_re) : json_null());
    report_set(o, "ratio", judged ? report_jnum(c->relative_rmse / c->mean_reported_re) : json_null());
    report_set(o, "coverage", judged ? report_jnum(c->coverage) : json_null());
    report_set(o, "z_mean", judged ? report_jnum(c->z_mean) : json_null());
    report_set(o, "z_sd", judged ? report_jnum(c->z_sd) : json_null());
    report_set(o, "over_confident", judged ? json_boolean(c->over_confident) : json_null());
    report_set(o, "inconclusive", json_boolean(c->inconclusive));
    report_set(o, "seconds", report_jnum(c->seconds));
    report_set(o, "loss_evaluations", report_calls_json(&c->calls));
    json_array_append_new(list, o);
  }
  report_set(root, "proposals", list);
  return report_dump_json(out, root);
}

