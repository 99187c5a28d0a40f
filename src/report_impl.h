/* report_impl.h (internal, not installed): the formatting every report of
 * report.h shares; report.c defines it, report_*.c use it. */
#ifndef ISSIM_REPORT_IMPL_H
#define ISSIM_REPORT_IMPL_H

#include <stdio.h>

#include <jansson.h>

#include "report.h"

#define ISSIM_INTERNAL __attribute__((visibility("hidden")))

ISSIM_INTERNAL int report_dump_json(FILE *out, json_t *root);
ISSIM_INTERNAL void report_format_exact(double v, issim_exact_method how, char *buf, size_t size);
ISSIM_INTERNAL void report_format_number_se(double v, double se, char *buf, size_t size);
ISSIM_INTERNAL json_t *report_jinf(double v);
ISSIM_INTERNAL json_t *report_jlog10(double log_p);
ISSIM_INTERNAL json_t *report_jnum(double v);
ISSIM_INTERNAL json_t *report_jprob(double log_p);
/* The draws' check of the failure regions (regions.h's issim_regions_check_draws):
 * regions.draws in the JSON report, and a curve level's regions_draws. */
ISSIM_INTERNAL json_t *report_regions_drawn_json(const issim_region_check *c);
ISSIM_INTERNAL json_t *report_json_result(const issim_report *r, const issim_result *res);
/* An estimate's samples, hits, estimate, log10_estimate, std_error,
 * relative_error and ci95 into o, as every report writes them. */
ISSIM_INTERNAL void report_json_estimate(json_t *o, const issim_estimate *e);
ISSIM_INTERNAL json_t *report_json_run(const issim_report *r);
ISSIM_INTERNAL json_t *report_json_reference(const issim_report *r);
/* The value z_reference is measured against: the exact log P, else the
 * scenario's [event] reference, else NAN; *kind (may be NULL) "exact",
 * "given" or "none". */
ISSIM_INTERNAL double report_reference_log(const issim_report *r, const char **kind);
ISSIM_INTERNAL double report_z_reference(const issim_report *r, const issim_estimate *e);
ISSIM_INTERNAL double report_z_exact(const issim_report *r, const issim_estimate *e);
/* CSV (report_csv.c): ",number" (empty when NaN); the estimate's columns
 * that run's and compare's CSV share, named in report_csv_estimate_columns */
ISSIM_INTERNAL void report_csv_number(FILE *out, double v);
ISSIM_INTERNAL extern const char *const report_csv_estimate_columns;
ISSIM_INTERNAL void report_csv_estimate(FILE *out, const issim_report *r, const issim_estimate *e);
ISSIM_INTERNAL void report_set(json_t *o, const char *key, json_t *value);
ISSIM_INTERNAL void report_text_header(FILE *out, const issim_report *r);
ISSIM_INTERNAL void report_text_results(FILE *out, const issim_report *r);
ISSIM_INTERNAL void report_text_unreliable_lines(FILE *out, const char *indent, size_t n,
                                                 const char *const *names, const int *bad,
                                                 char (*reasons)[256]);
ISSIM_INTERNAL void report_write_scenario_lines(FILE *out, const issim_scenario *s, double exact_log);
/* [event] variables (s->variables not NULL) as a JSON array of names. */
ISSIM_INTERNAL json_t *report_json_variables(const issim_scenario *s);
/* (estimate - exp(log_value)) / SE, from the logs (below the smallest double too) */
ISSIM_INTERNAL double report_z(double log_value, const issim_estimate *e);
/* report_curve.c: a result's exceedance curve and quantiles (curve.h), in
 * text (nothing without a curve) and as the JSON "exceedance" object. */
ISSIM_INTERNAL void report_text_curve(FILE *out, const issim_result *res);
ISSIM_INTERNAL json_t *report_json_curve(const issim_curve *c);

/* report_calls.c: a run's loss evaluations (calls.h).  Text: one line,
 * label then "total = parts" (the draws' part called `draws`), nothing when
 * the event is on x; JSON: the "loss_evaluations" object (docs/output.md). */
ISSIM_INTERNAL void report_calls_text(FILE *out, const char *label, const issim_calls *c,
                                      const char *draws);
ISSIM_INTERNAL json_t *report_calls_json(const issim_calls *c);

#endif
