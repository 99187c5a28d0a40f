/* report.h: the results of a run, as text for people and JSON for programs. */
#ifndef ISSIM_REPORT_H
#define ISSIM_REPORT_H

#include <stddef.h>
#include <stdio.h>

#include "adapt.h"
#include "analysis.h"
#include "calibrate.h"
#include "compare.h"
#include "estimator.h"
#include "form.h"
#include "scenario.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
  const issim_scenario *scenario;
  uint64_t samples, seed;      /* as run (after command-line overrides) */
  const char *rng_name;
  int threads;
  double target_re, max_seconds; /* the stopping rules, 0 when not set */
  uint64_t max_calls;             /* --max-calls (calls.h), 0 when not set */
  int interrupted;             /* Ctrl-C: the results are partial */
  const issim_regions *regions;/* the event's failure regions (NULL: not shown) */
  double exact_log;            /* log P exactly, NAN when unknown */
  size_t n_results;
  const issim_result *results;
} issim_report;

/* Writes a probability given by its natural log, e.g. "3.66e-350" for
 * log P = -804.6; works far below the smallest double.  digits: significant. */
void issim_format_log_prob(double log_p, int digits, char *buf, size_t size);

/* Warnings about one result, in plain words (the verdict's reasons first);
 * returns how many were written into lines[0..max). Each line is malloc'd. */
size_t issim_result_warnings(const issim_report *r, const issim_result *res,
                             char **lines, size_t max);

/* Writes the report; returns 0, or -1 if the stream failed. */
int issim_report_text(FILE *out, const issim_report *r);
int issim_report_json(FILE *out, const issim_report *r);
/* The header lines, then per proposal one line (name, verdict, estimate
 * +- SE, relative error, 95% interval) and its warnings below it. */
int issim_report_brief(FILE *out, const issim_report *r);
/* One row per proposal: the estimate, its SE and 95% interval (numbers where
 * a double holds them, empty otherwise), their log10 (always), the exact and
 * reference values, z, and the main diagnostics (docs/output.md). */
int issim_report_csv(FILE *out, const issim_report *r);

/* ---- issim compare ---- */

typedef struct {
  issim_report run;               /* the run's settings and results */
  const issim_ranked *ranked;     /* run.n_results entries, in rank order */
  issim_reference reference;
  issim_rank_by rank_by;          /* what ranked them, after the verdict */
} issim_compare_report;

int issim_compare_report_text(FILE *out, const issim_compare_report *c);
int issim_compare_report_json(FILE *out, const issim_compare_report *c);
int issim_compare_report_csv(FILE *out, const issim_compare_report *c);

/* ---- issim calibrate ---- */

typedef struct {
  const issim_scenario *scenario;
  uint64_t samples, seed;      /* per replication */
  const char *rng_name;
  size_t reps;
  double exact_log;            /* the exact log P, NAN when unknown */
  double given_log;            /* the scenario's [event] reference, NAN when none */
  size_t n;
  const issim_calibration *calibrations;
} issim_calibrate_report;

int issim_calibrate_report_text(FILE *out, const issim_calibrate_report *r);
int issim_calibrate_report_json(FILE *out, const issim_calibrate_report *r);
/* One row per proposal: the pooled estimate of its replications with the
 * standard error of their spread, its interval, exact value and z, then the
 * calibration's columns. */
int issim_calibrate_report_csv(FILE *out, const issim_calibrate_report *r);

/* ---- issim divergence ---- */

/* One row: the target itself (proposal NULL, from draws of p) or a proposal
 * (from draws of q). */
typedef struct {
  const issim_proposal *proposal;
  issim_estimate estimate;
  issim_information exact;
} issim_divergence_row;

typedef struct {
  const issim_scenario *scenario;
  uint64_t samples, seed;
  const char *rng_name;
  int bits;                /* report in bits rather than nats */
  size_t n_rows;
  const issim_divergence_row *rows; /* rows[0] is the target */
} issim_divergence_report;

int issim_divergence_report_text(FILE *out, const issim_divergence_report *r);
int issim_divergence_report_json(FILE *out, const issim_divergence_report *r);

/* ---- issim adapt ---- */

typedef struct {
  issim_report run;             /* the final run: one result, none when not fitted */
  const issim_adapt_options *options;
  const issim_adapt_fit *fit;
  const char *name;             /* the fitted proposal's name */
  const char *saved;            /* the --save file, NULL for none */
} issim_adapt_report;

/* The levels, then the final run's report and the total effort. */
int issim_adapt_report_text(FILE *out, const issim_adapt_report *r);
/* The run's JSON object with an "adaptation" member. */
int issim_adapt_report_json(FILE *out, const issim_adapt_report *r);

/* ---- issim form ---- */

typedef struct {
  const issim_scenario *scenario;
  const issim_form_result *form;
  double exact_log;            /* log P exactly, NAN when unknown */
} issim_form_report;

/* Each design point (at most 10 in full; the rest in one line), the union
 * and the effort. */
int issim_form_report_text(FILE *out, const issim_form_report *r);
/* Every design point in full. */
int issim_form_report_json(FILE *out, const issim_form_report *r);

#ifdef __cplusplus
}
#endif

#endif
