#define _POSIX_C_SOURCE 200809L /* strdup */

#include "report.h"

#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_math.h>
#include <jansson.h>

#define Z95 1.959963984540054

void issim_format_log_prob(double log_p, int digits, char *buf, size_t size)
{
  if (isnan(log_p)) {
    snprintf(buf, size, "nan");
    return;
  }
  if (log_p == -INFINITY) {
    snprintf(buf, size, "0");
    return;
  }
  if (log_p == INFINITY) {
    snprintf(buf, size, "inf");
    return;
  }
  if (digits < 1)
    digits = 1;
  double l10 = log_p / M_LN10;
  double exponent = floor(l10);
  double mantissa = pow(10.0, l10 - exponent);
  /* rounding may carry the mantissa to 10.0: renormalise */
  double scale = pow(10.0, digits - 1);
  if (round(mantissa * scale) / scale >= 10.0) {
    mantissa /= 10.0;
    exponent += 1;
  }
  snprintf(buf, size, "%.*fe%c%02d", digits - 1, mantissa, exponent < 0 ? '-' : '+',
           (int)fabs(exponent));
}

static int is_crude(const issim_result *res)
{
  return res->proposal->dist == NULL;
}

/* Below this relative size a difference is rounding, not sampling error: a
 * near-perfect proposal (every weight equal) has an SE of 1e-28 P, and the
 * exact value itself is known to about 1e-14. */
#define RELATIVE_PRECISION 1e-10

/* (estimate - exact) / SE, computed from logs so it works below DBL_MIN */
static double z_to_exact(const issim_report *r, const issim_estimate *e)
{
  if (isnan(r->exact_log) || e->hits == 0 || isnan(e->log_std_error))
    return NAN;
  double log_se = fmax(e->log_std_error, r->exact_log + log(RELATIVE_PRECISION));
  return exp(e->log_estimate - log_se) - exp(r->exact_log - log_se);
}

static char *format_alloc(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *format_alloc(const char *fmt, ...)
{
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  return strdup(buf);
}

/* The fewest hits for which a standard error means something. */
#define FEW_HITS 30

size_t issim_result_warnings(const issim_report *r, const issim_result *res, char **lines,
                             size_t max)
{
  const issim_estimate *e = &res->estimate;
  size_t n = 0;
  if (e->hits == 0 && n < max) {
    char bound[32];
    issim_format_log_prob(log(3.0) - log((double)e->samples), 3, bound, sizeof bound);
    lines[n++] = is_crude(res)
        ? format_alloc("no draw hit the event in %llu samples: the estimate 0 is not evidence that "
                       "P is small (plain Monte Carlo's 95%% upper bound is 3/N = %s)",
                       (unsigned long long)e->samples, bound)
        : format_alloc("no draw hit the event in %llu samples: the proposal may not reach the "
                       "event region, and the estimate 0 is not evidence that P is small",
                       (unsigned long long)e->samples);
  } else if (e->hits < FEW_HITS && n < max) {
    lines[n++] = format_alloc("only %llu draw%s hit the event: the standard error itself is "
                              "unreliable; use more samples or a proposal that hits more often",
                              (unsigned long long)e->hits, e->hits == 1 ? "" : "s");
  }
  if (e->invalid > 0 && n < max)
    lines[n++] = format_alloc("%llu draws had an undefined log-weight (NaN, or q(x) = 0 at a "
                              "draw of q) and were left out",
                              (unsigned long long)e->invalid);
  double z = z_to_exact(r, e);
  if (fabs(z) > 4 && n < max)
    lines[n++] = format_alloc("the estimate is %.1f standard errors from the exact value: this "
                              "proposal's error bar is not honest", z);
  return n;
}

/* ---- text ---- */

static void text_header(FILE *out, const issim_report *r)
{
  const issim_scenario *s = r->scenario;
  char target[256];
  issim_dist_describe(s->target, target, sizeof target);
  fprintf(out, "scenario   %s%s%s\n", s->name, s->description[0] ? ": " : "", s->description);
  fprintf(out, "target     %s\n", target);
  fprintf(out, "event      x %s %.10g\n", s->direction == ISSIM_ABOVE ? ">" : "<", s->threshold);
  if (!isnan(r->exact_log)) {
    char p[48];
    issim_format_log_prob(r->exact_log, 10, p, sizeof p);
    fprintf(out, "exact      P = %s  (log10 P = %.6f)\n", p, r->exact_log / M_LN10);
  } else {
    fprintf(out, "exact      unknown\n");
  }
  fprintf(out, "run        %llu samples per proposal, seed %llu, rng %s, %d thread%s\n",
          (unsigned long long)r->samples, (unsigned long long)r->seed, r->rng_name, r->threads,
          r->threads == 1 ? "" : "s");
}

static void text_result(FILE *out, const issim_report *r, const issim_result *res)
{
  const issim_estimate *e = &res->estimate;
  char desc[256], p[48], se[48], lo[48], hi[48];
  if (res->proposal->dist)
    issim_dist_describe(res->proposal->dist, desc, sizeof desc);
  else
    snprintf(desc, sizeof desc, "the target (plain Monte Carlo)");
  fprintf(out, "\nproposal %s: %s\n", res->proposal->name, desc);
  fprintf(out, "  samples          %llu\n", (unsigned long long)e->samples);
  fprintf(out, "  hits             %llu (%.4g%%)\n", (unsigned long long)e->hits,
          100.0 * (double)e->hits / (double)e->samples);
  if (e->hits == 0) {
    fprintf(out, "  estimate         0  (no draw hit the event: see the warning)\n");
  } else {
    issim_format_log_prob(e->log_estimate, 6, p, sizeof p);
    issim_format_log_prob(e->log_std_error, 3, se, sizeof se);
    issim_format_log_prob(e->log_ci_low, 5, lo, sizeof lo);
    issim_format_log_prob(e->log_ci_high, 5, hi, sizeof hi);
    fprintf(out, "  estimate         %s  (log10 %.4f)\n", p, e->log_estimate / M_LN10);
    fprintf(out, "  std error        %s\n", se);
    fprintf(out, "  95%% CI           [%s, %s]\n", lo, hi);
    if (e->relative_error > 0.2) {
      issim_format_log_prob(e->log_ci_low_ls, 3, lo, sizeof lo);
      issim_format_log_prob(e->log_ci_high_ls, 3, hi, sizeof hi);
      fprintf(out, "  95%% CI, log scale [%s, %s]\n", lo, hi);
    }
    fprintf(out, "  relative error   %.3g%%\n", 100 * e->relative_error);
  }
  fprintf(out, "  ESS              %.*f (Kish, all weights)\n", e->ess < 100 ? 1 : 0, e->ess);
  if (e->hits > 0)
    fprintf(out, "  event ESS        %.*f (of the weights on the event)\n", e->event_ess < 100 ? 1 : 0,
            e->event_ess);
  double z = z_to_exact(r, e);
  if (!isnan(r->exact_log) && !isnan(z))
    fprintf(out, "  exact            %s, %+.2f standard errors away\n",
            (issim_format_log_prob(r->exact_log, 6, p, sizeof p), p), z);
  if (res->seconds > 0)
    fprintf(out, "  time             %.3g s (%.3g million draws/s)\n", res->seconds,
            (double)e->samples / res->seconds / 1e6);
}

int issim_report_text(FILE *out, const issim_report *r)
{
  text_header(out, r);
  for (size_t i = 0; i < r->n_results; i++)
    text_result(out, r, &r->results[i]);

  int header = 0;
  for (size_t i = 0; i < r->n_results; i++) {
    char *lines[8];
    size_t n = issim_result_warnings(r, &r->results[i], lines, 8);
    for (size_t k = 0; k < n; k++) {
      if (!header++)
        fprintf(out, "\nwarnings\n");
      fprintf(out, "  %s: %s\n", r->results[i].proposal->name, lines[k]);
      free(lines[k]);
    }
  }
  return ferror(out) ? -1 : 0;
}

/* ---- JSON ---- */

/* A JSON number, or null where the value is not finite (JSON has no NaN). */
static json_t *jnum(double v)
{
  return isfinite(v) ? json_real(v) : json_null();
}

/* A probability known by its log: a number while a double holds it, else the
 * text (e.g. "3.66e-350") rather than a wrong 0. */
static json_t *jprob(double log_p)
{
  if (log_p == -INFINITY)
    return json_real(0);
  if (!isfinite(log_p))
    return json_null();
  if (log_p >= log(DBL_MIN))
    return json_real(exp(log_p));
  char buf[48];
  issim_format_log_prob(log_p, 17, buf, sizeof buf);
  return json_string(buf);
}

static json_t *jlog10(double log_p)
{
  return jnum(log_p / M_LN10);
}

static json_t *json_result(const issim_report *r, const issim_result *res)
{
  const issim_estimate *e = &res->estimate;
  char desc[256];
  if (res->proposal->dist)
    issim_dist_describe(res->proposal->dist, desc, sizeof desc);
  else
    snprintf(desc, sizeof desc, "target");
  json_t *o = json_object();
  json_object_set_new(o, "proposal", json_string(res->proposal->name));
  json_object_set_new(o, "distribution", json_string(desc));
  json_object_set_new(o, "samples", json_integer((json_int_t)e->samples));
  json_object_set_new(o, "hits", json_integer((json_int_t)e->hits));
  json_object_set_new(o, "estimate", jprob(e->log_estimate));
  json_object_set_new(o, "log10_estimate", jlog10(e->log_estimate));
  json_object_set_new(o, "std_error", e->hits ? jprob(e->log_std_error) : json_null());
  json_object_set_new(o, "relative_error", jnum(e->relative_error));
  json_t *ci = json_array();
  json_array_append_new(ci, e->hits ? jprob(e->log_ci_low) : json_real(0));
  json_array_append_new(ci, e->hits ? jprob(e->log_ci_high) : json_null());
  json_object_set_new(o, "ci95", ci);
  json_t *ci_ls = json_array();
  json_array_append_new(ci_ls, e->hits ? jprob(e->log_ci_low_ls) : json_null());
  json_array_append_new(ci_ls, e->hits ? jprob(e->log_ci_high_ls) : json_null());
  json_object_set_new(o, "ci95_log_scale", ci_ls);
  json_object_set_new(o, "exact", jprob(r->exact_log));
  json_object_set_new(o, "z_exact", jnum(z_to_exact(r, e)));
  json_object_set_new(o, "ess", jnum(e->ess));
  json_object_set_new(o, "event_ess", jnum(e->event_ess));
  json_object_set_new(o, "seconds", jnum(res->seconds));
  json_t *warnings = json_array();
  char *lines[8];
  size_t n = issim_result_warnings(r, res, lines, 8);
  for (size_t k = 0; k < n; k++) {
    json_array_append_new(warnings, json_string(lines[k]));
    free(lines[k]);
  }
  json_object_set_new(o, "warnings", warnings);
  return o;
}

int issim_report_json(FILE *out, const issim_report *r)
{
  const issim_scenario *s = r->scenario;
  char target[256];
  issim_dist_describe(s->target, target, sizeof target);
  json_t *root = json_object();
  json_object_set_new(root, "scenario", json_string(s->name));
  json_object_set_new(root, "file", json_string(s->path));
  json_object_set_new(root, "target", json_string(target));
  json_t *event = json_object();
  json_object_set_new(event, "direction", json_string(s->direction == ISSIM_ABOVE ? ">" : "<"));
  json_object_set_new(event, "threshold", json_real(s->threshold));
  json_object_set_new(root, "event", event);
  json_object_set_new(root, "exact", jprob(r->exact_log));
  json_object_set_new(root, "log10_exact", jlog10(r->exact_log));
  json_object_set_new(root, "samples", json_integer((json_int_t)r->samples));
  /* a seed can exceed JSON's safe integers: keep it exact as text too */
  char seed[24];
  snprintf(seed, sizeof seed, "%llu", (unsigned long long)r->seed);
  json_object_set_new(root, "seed", json_string(seed));
  json_object_set_new(root, "rng", json_string(r->rng_name));
  json_object_set_new(root, "threads", json_integer(r->threads));
  json_t *results = json_array();
  for (size_t i = 0; i < r->n_results; i++)
    json_array_append_new(results, json_result(r, &r->results[i]));
  json_object_set_new(root, "results", results);
  int rc = json_dumpf(root, out, JSON_INDENT(2) | JSON_REAL_PRECISION(17) | JSON_PRESERVE_ORDER);
  json_decref(root);
  fputc('\n', out);
  return rc == 0 && !ferror(out) ? 0 : -1;
}
