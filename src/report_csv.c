/* The CSV reports (report.h): issim run's and issim calibrate's, and the
 * columns of the estimate that issim compare's shares with run's.
 *
 * One header line, then one row per proposal; numbers to 17 significant
 * digits (they read back exactly); an empty field where there is no number.
 * A probability is written as a number where a double holds it and left
 * empty where it does not (below 2.2e-308): a CSV reader would turn
 * "3.66e-350" into 0; its log10 column is always there. */
#define _POSIX_C_SOURCE 200809L

#include "report.h"

#include <float.h>
#include <math.h>
#include <string.h>

#include <gsl/gsl_math.h>

#include "report_impl.h"

void report_csv_number(FILE *out, double v)
{
  if (isfinite(v))
    fprintf(out, ",%.17g", v + 0.0); /* + 0.0: no -0 */
  else if (isinf(v))
    fprintf(out, ",%s", v > 0 ? "inf" : "-inf");
  else
    fputc(',', out);
}

/* exp(log_p) where a double holds it: 0 for -inf, empty below DBL_MIN. */
static void csv_prob(FILE *out, double log_p)
{
  if (log_p == -INFINITY)
    fputs(",0", out);
  else if (isfinite(log_p) && log_p >= log(DBL_MIN) && log_p < log(DBL_MAX))
    report_csv_number(out, exp(log_p));
  else
    fputc(',', out);
}

static void csv_log10(FILE *out, double log_p)
{
  report_csv_number(out, log_p == -INFINITY ? NAN : log_p / M_LN10);
}

const char *const report_csv_estimate_columns =
    "estimate,std_error,ci95_low,ci95_high,log10_std_error,log10_ci95_low,log10_ci95_high,"
    "exact,log10_exact,z_exact,reference_kind,reference,log10_reference,z_reference";

void report_csv_estimate(FILE *out, const issim_report *r, const issim_estimate *e)
{
  int hit = e->hits > 0;
  csv_prob(out, e->log_estimate);
  csv_prob(out, hit ? e->log_std_error : NAN);
  csv_prob(out, hit ? e->log_ci_low : -INFINITY);
  csv_prob(out, hit ? e->log_ci_high : NAN);
  csv_log10(out, hit ? e->log_std_error : NAN);
  csv_log10(out, hit ? e->log_ci_low : NAN);
  csv_log10(out, hit ? e->log_ci_high : NAN);
  csv_prob(out, r->exact_log);
  csv_log10(out, r->exact_log);
  report_csv_number(out, report_z_exact(r, e));
  const char *kind;
  double log_ref = report_reference_log(r, &kind);
  fprintf(out, ",%s", kind);
  csv_prob(out, log_ref);
  csv_log10(out, log_ref);
  report_csv_number(out, report_z_reference(r, e));
}

int issim_report_csv(FILE *out, const issim_report *r)
{
  fprintf(out, "proposal,verdict,samples,hits,log10_estimate,relative_error,%s,"
               "relative_variance,samples_for_1pct,event_ess,ess,max_weight_share,pareto_k,"
               "tail_check,seconds,stopped_by,loss_evaluations\n", report_csv_estimate_columns);
  for (size_t i = 0; i < r->n_results; i++) {
    const issim_result *res = &r->results[i];
    const issim_estimate *e = &res->estimate;
    fprintf(out, "%s,%s,%llu,%llu", res->proposal->name, issim_verdict_name(res->verdict.level),
            (unsigned long long)e->samples, (unsigned long long)e->hits);
    csv_log10(out, e->hits ? e->log_estimate : NAN);
    report_csv_number(out, e->relative_error);
    report_csv_estimate(out, r, e);
    report_csv_number(out, e->relative_variance);
    report_csv_number(out, e->samples_for_1pct);
    report_csv_number(out, e->event_ess);
    report_csv_number(out, e->ess);
    report_csv_number(out, e->max_weight_share);
    report_csv_number(out, res->pareto_k);
    fprintf(out, ",%s", res->variance == ISSIM_VARIANCE_FINITE ? "finite"
                        : res->variance == ISSIM_VARIANCE_INFINITE ? "infinite" : "undecided");
    report_csv_number(out, res->seconds);
    fprintf(out, ",%s,%llu\n", issim_stop_reason_name(res->stopped_by),
            (unsigned long long)issim_calls_total(&res->calls));
  }
  return ferror(out) ? -1 : 0;
}

/* ---- issim calibrate ---- */

static const char *error_bars(const issim_calibration *c)
{
  if (c->ref_kind == ISSIM_CALIBRATION_REF_NONE)
    return "no-reference";
  return c->inconclusive ? "inconclusive" : c->over_confident ? "over-confident" : "honest";
}

static const char *const REF_KIND[] = {"none", "exact", "given", "pooled"};

/* (mean - value) / SE, from logs */
static double z_of(double log_mean, double log_se, double log_value)
{
  if (isnan(log_value) || !isfinite(log_se) || log_mean == -INFINITY)
    return NAN;
  return exp(log_mean - log_se) - exp(log_value - log_se);
}

static void calibration_row(FILE *out, const issim_calibrate_report *r, const issim_calibration *c)
{
  double lm, lse;
  issim_calibration_mean(c, &lm, &lse);
  int judged = c->ref_kind != ISSIM_CALIBRATION_REF_NONE;
  fprintf(out, "%s,%zu,%llu,%zu,%zu,%s", c->proposal->name, c->reps,
          (unsigned long long)r->samples, c->zero_hit_reps, c->unreliable_reps, error_bars(c));
  csv_prob(out, lm);
  csv_prob(out, lse);
  double half = isfinite(lse) ? ISSIM_Z95 * exp(lse - lm) : NAN; /* relative half-width */
  csv_prob(out, half < 1 ? lm + log1p(-half) : isnan(half) ? NAN : -INFINITY);
  csv_prob(out, lm + log1p(half));
  csv_log10(out, lm);
  csv_log10(out, lse);
  csv_prob(out, r->exact_log);
  csv_log10(out, r->exact_log);
  report_csv_number(out, z_of(lm, lse, r->exact_log));
  fprintf(out, ",%s", REF_KIND[c->ref_kind]);
  csv_prob(out, c->log_reference);
  csv_log10(out, c->log_reference);
  report_csv_number(out, z_of(lm, lse, c->log_reference));
  report_csv_number(out, judged ? c->relative_rmse : NAN);
  report_csv_number(out, judged ? c->mean_reported_re : NAN);
  report_csv_number(out, judged ? c->relative_rmse / c->mean_reported_re : NAN);
  report_csv_number(out, judged ? c->coverage : NAN);
  report_csv_number(out, judged ? c->z_mean : NAN);
  report_csv_number(out, judged ? c->z_sd : NAN);
  report_csv_number(out, c->seconds);
  fputc('\n', out);
}

int issim_calibrate_report_csv(FILE *out, const issim_calibrate_report *r)
{
  fprintf(out, "proposal,reps,samples,zero_hit_reps,unreliable_reps,error_bars,estimate,std_error,"
               "ci95_low,ci95_high,log10_estimate,log10_std_error,exact,log10_exact,z_exact,"
               "reference_kind,reference,log10_reference,z_reference,relative_rmse,"
               "mean_reported_relative_error,ratio,coverage,z_mean,z_sd,seconds\n");
  for (size_t i = 0; i < r->n; i++)
    calibration_row(out, r, &r->calibrations[i]);
  return ferror(out) ? -1 : 0;
}
