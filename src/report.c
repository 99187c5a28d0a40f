#define _POSIX_C_SOURCE 200809L /* strdup */

#include "report.h"
#include "report_impl.h"

#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_math.h>
#include <jansson.h>

/* defined below, used earlier */
static void write_regions_block(FILE *out, const issim_regions *rg, char *const *names);
static json_t *regions_block_json(const issim_regions *rg);
static void write_regions_text(FILE *out, const issim_region_check *c, uint64_t samples);
static void write_regions_drawn(FILE *out, const issim_region_check *c);

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
  /* the exponent as a double: beyond 10^-2147483647 it does not fit an int
   * (P(Z > 100000) is 10^-2171472410) */
  snprintf(buf, size, "%.*fe%c%02.0f", digits - 1, mantissa, exponent < 0 ? '-' : '+',
           fabs(exponent));
}

static int is_crude(const issim_result *res)
{
  return res->proposal->model == NULL;
}

/* (estimate - value) / SE, computed from logs so it works below DBL_MIN */
static double z_to(double log_value, const issim_estimate *e)
{
  if (isnan(log_value) || e->hits == 0 || isnan(e->log_std_error))
    return NAN;
  double log_se = fmax(e->log_std_error, log_value + log(ISSIM_RELATIVE_PRECISION));
  return exp(e->log_estimate - log_se) - exp(log_value - log_se);
}

double report_z(double log_value, const issim_estimate *e)
{
  return z_to(log_value, e);
}

double report_z_exact(const issim_report *r, const issim_estimate *e)
{
  return z_to(r->exact_log, e);
}

double report_reference_log(const issim_report *r, const char **kind)
{
  double given = r->scenario ? r->scenario->reference_log : NAN;
  if (kind)
    *kind = !isnan(r->exact_log) ? "exact" : !isnan(given) ? "given" : "none";
  return !isnan(r->exact_log) ? r->exact_log : given;
}

double report_z_reference(const issim_report *r, const issim_estimate *e)
{
  return z_to(report_reference_log(r, NULL), e);
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
  }
  for (size_t i = 0; i < res->verdict.n_reasons && n < max; i++)
    if (e->hits > 0 || strcmp(res->verdict.reasons[i], "no draw hit the event") != 0)
      lines[n++] = format_alloc("%s", res->verdict.reasons[i]);
  /* draws with an undefined log-weight are among the verdict's reasons */
  double z = report_z_exact(r, e);
  if (fabs(z) > 4 && n < max)
    lines[n++] = format_alloc("the estimate is %.1f standard errors from the exact value: this "
                              "proposal's error bar is not honest", z);
  /* the scenario's reference, used like an exact value when there is none */
  double zr = isnan(r->exact_log) ? report_z_reference(r, e) : NAN;
  if (fabs(zr) > 4 && n < max)
    lines[n++] = format_alloc("the estimate is %.1f standard errors from the scenario's "
                              "reference value: this proposal's error bar is not honest, or the "
                              "reference is wrong", zr);
  return n;
}
/* The header lines every report of a scenario starts with: its name, the
 * target, the event, and the exact P (or the scenario's reference). */
void report_write_scenario_lines(FILE *out, const issim_scenario *s, double exact_log)
{
  char target[256], event[160], p[48];
  issim_problem pb = issim_scenario_problem(s, NULL);
  issim_problem_describe_target(&pb, target, sizeof target);
  issim_scenario_describe_event(s, event, sizeof event);
  fprintf(out, "scenario   %s%s%s\n", s->name, s->description[0] ? ": " : "", s->description);
  fprintf(out, "target     %s\n", target);
  fprintf(out, "event      %s\n", event);
  for (size_t j = 0; s->variables != NULL && j < s->dimension; j++)
    fprintf(out, "%s%s = x%zu%s", j ? ", " : "variables  ", s->variables[j], j + 1,
            j + 1 == s->dimension ? "\n" : "");
  if (!isnan(exact_log)) {
    issim_format_log_prob(exact_log, 10, p, sizeof p);
    fprintf(out, "exact      P = %s  (log10 P = %.6f)\n", p, exact_log / M_LN10);
  } else if (!isnan(s->reference_log)) {
    issim_format_log_prob(s->reference_log, 10, p, sizeof p);
    fprintf(out, "exact      unknown; reference P = %s given in the scenario\n", p);
  } else {
    fprintf(out, "exact      unknown\n");
  }
}


/* The names of [event] variables, as a JSON array. */
json_t *report_json_variables(const issim_scenario *s)
{
  json_t *a = json_array();
  for (size_t j = 0; j < s->dimension; j++)
    json_array_append_new(a, json_string(s->variables[j]));
  return a;
}

/* ---- text ---- */

void report_text_header(FILE *out, const issim_report *r)
{
  const issim_scenario *s = r->scenario;
  report_write_scenario_lines(out, s, r->exact_log);
  fprintf(out, "run        %s%llu samples per proposal, seed %llu, rng %s, %d thread%s\n",
          r->target_re > 0 || r->max_seconds > 0 || r->max_calls > 0 ? "at most " : "",
          (unsigned long long)r->samples, (unsigned long long)r->seed, r->rng_name, r->threads,
          r->threads == 1 ? "" : "s");
  if (r->target_re > 0)
    fprintf(out, "stop       at relative error %.3g%% (with at least 100 hits and event ESS)\n",
            100 * r->target_re);
  if (r->max_seconds > 0)
    fprintf(out, "stop       after %.3g seconds per proposal\n", r->max_seconds);
  if (r->max_calls > 0)
    fprintf(out, "stop       after %llu loss evaluations per proposal, its set-up included\n",
            (unsigned long long)r->max_calls);
  if (r->interrupted)
    fprintf(out, "PARTIAL    interrupted: the results are for the draws done before Ctrl-C\n");
  for (size_t i = 0; i < r->n_results; i++)
    if (r->results[i].stopped_by == ISSIM_STOP_LOSS)
      fprintf(out, "PARTIAL    the loss failed: proposal %s holds the draws before the failure, "
                   "and no later proposal was run\n", r->results[i].proposal->name);
  write_regions_block(out, r->regions, s->variables);
}

static void describe_proposal(const issim_result *res, char *buf, size_t size)
{
  issim_scenario_describe_proposal(res->proposal, buf, size);
}

static const char *stop_description(issim_stop_reason why)
{
  switch (why) {
  case ISSIM_STOP_TARGET_RE: return "the relative error target (--target-re)";
  case ISSIM_STOP_TIME: return "the time limit (--max-seconds)";
  case ISSIM_STOP_INTERRUPT: return "Ctrl-C: partial";
  case ISSIM_STOP_LOSS: return "the loss's failure: partial";
  case ISSIM_STOP_CALLS: return "the budget of loss evaluations (--max-calls)";
  case ISSIM_STOP_SAMPLES: break;
  }
  return "the sample budget";
}

/* The digits of a 95% interval's ends: enough to tell them apart, 5 at least. */
static int ci_digits(const issim_estimate *e)
{
  int digits = e->relative_error > 0 ? 3 + (int)ceil(-log10(e->relative_error)) : 17;
  return digits < 5 ? 5 : digits > 17 ? 17 : digits;
}

static void text_estimate(FILE *out, const issim_report *r, const issim_result *res)
{
  const issim_estimate *e = &res->estimate;
  char p[48], se[48], lo[48], hi[48];
  if (e->hits == 0) {
    fprintf(out, "  estimate         0  (no draw hit the event: see the warnings)\n");
  } else {
    issim_format_log_prob(e->log_estimate, 6, p, sizeof p);
    issim_format_log_prob(e->log_std_error, 3, se, sizeof se);
    fprintf(out, "  estimate         %s +- %s  (relative error %.3g%%, log10 %.4f)\n", p, se,
            100 * e->relative_error, e->log_estimate / M_LN10);
    int digits = ci_digits(e);
    issim_format_log_prob(e->log_ci_low, digits, lo, sizeof lo);
    issim_format_log_prob(e->log_ci_high, digits, hi, sizeof hi);
    fprintf(out, "  95%% CI           [%s, %s]\n", lo, hi);
    if (e->relative_error > 0.2) {
      issim_format_log_prob(e->log_ci_low_ls, 3, lo, sizeof lo);
      issim_format_log_prob(e->log_ci_high_ls, 3, hi, sizeof hi);
      fprintf(out, "  95%% CI, log scale [%s, %s]\n", lo, hi);
    }
    double z = report_z_exact(r, e);
    const char *kind;
    double log_ref = report_reference_log(r, &kind), zr = report_z_reference(r, e);
    if (!isnan(z)) {
      issim_format_log_prob(r->exact_log, 6, p, sizeof p);
      fprintf(out, "  exact            %s, %+.2f standard errors away\n", p, z);
    } else if (!isnan(zr)) {
      issim_format_log_prob(log_ref, 6, p, sizeof p);
      fprintf(out, "  reference        %s (given in the scenario), %+.2f standard errors away\n",
              p, zr);
    }
    issim_format_log_prob(e->self_normalized_log_estimate, 6, p, sizeof p);
    fprintf(out, "  self-normalised  %s  (relative error %.3g%%)\n", p,
            100 * e->self_normalized_relative_error);
  }
  fprintf(out, "  draws            %llu, %llu in the event (%.4g%%)", (unsigned long long)e->samples,
          (unsigned long long)e->hits, 100.0 * (double)e->hits / (double)e->samples);
  if (res->seconds > 0)
    fprintf(out, ", %.3g s (%.3g million/s)", res->seconds,
            (double)e->samples / res->seconds / 1e6);
  fputc('\n', out);
  report_calls_text(out, "  loss evaluations ", &res->calls, "draws");
  if (res->stopped_by != ISSIM_STOP_SAMPLES)
    fprintf(out, "  stopped by       %s\n", stop_description(res->stopped_by));
  if (res->stopped_by == ISSIM_STOP_LOSS)
    fprintf(out, "  loss failed      %s\n", res->failure);
}

static void text_efficiency(FILE *out, const issim_estimate *e)
{
  if (e->hits == 0)
    return;
  char gain[48];
  issim_format_log_prob(e->log_gain_over_crude, 3, gain, sizeof gain);
  fprintf(out, "  efficiency\n");
  if (e->samples_for_1pct < 1)
    fprintf(out, "    relative variance %.4g per draw: fewer than one draw for 1%%\n",
            e->relative_variance);
  else
    fprintf(out, "    relative variance %.4g per draw: %.3g draws for 1%%, %.3g for 10%%\n",
            e->relative_variance, e->samples_for_1pct, e->samples_for_10pct);
  fprintf(out, "    gain over crude  %s times\n", gain);
}

static void text_weights(FILE *out, const issim_result *res)
{
  const issim_estimate *e = &res->estimate;
  fprintf(out, "  weights\n");
  fprintf(out, "    ESS              %.*f (Kish, all weights)", e->ess < 100 ? 1 : 0, e->ess);
  if (e->hits > 0)
    fprintf(out, "; %.*f on the event", e->event_ess < 100 ? 1 : 0, e->event_ess);
  fputc('\n', out);
  if (e->hits > 0)
    fprintf(out, "    largest weight   %.3g%% of the estimate\n", 100 * e->max_weight_share);
  fprintf(out, "    mean weight      %.6g +- %.3g", e->mean_weight, e->mean_weight_se);
  /* unknown for multivariate proposals and mixtures: nothing to compare with */
  if (!isnan(res->expected_mean_weight))
    fprintf(out, " (expected %.6g)", res->expected_mean_weight);
  fputc('\n', out);
  if (!isnan(res->pareto_k) && res->verdict.khat_not_judged)
    fprintf(out, "    Pareto k-hat     %.2f (not judged: the variance is finite and the standard "
                 "error agrees with the exact one)\n", res->pareto_k);
  else if (!isnan(res->pareto_k))
    fprintf(out, "    Pareto k-hat     %.2f (%s)\n", res->pareto_k,
            res->pareto_k <= 0.5 ? "at most 0.5: finite variance"
            : res->pareto_k <= 0.7 ? "0.5 to 0.7: doubtful" : "above 0.7: unreliable");
  fprintf(out, "    tail check       %s\n",
          res->variance == ISSIM_VARIANCE_FINITE ? "finite variance (analytic)"
          : res->variance == ISSIM_VARIANCE_INFINITE ? "INFINITE variance (analytic): see the warnings"
                                 : "undecided (no rule of tail.h settles this pair)");
  write_regions_text(out, &res->regions, e->samples);
}

/* The region check in JSON: null without regions to check. */
static json_t *regions_json(const issim_region_check *c, uint64_t samples);

/* The region check from the draws: each checked region's share of the
 * first-order P, of the estimate, its hits (the first REGIONS_DRAWN_SHOWN,
 * then the one whose estimate falls shortest of its share), and the hits in
 * no half-space. */
#define REGIONS_DRAWN_SHOWN 6

static const char *seen_mark(const issim_region_check *c, size_t k)
{
  int seen = issim_region_check_seen(c, k);
  return seen == ISSIM_REGION_NOT_SEEN ? "  NOT SEEN" : seen == ISSIM_REGION_FEW_HITS ? "  few" : "";
}

static void write_region_row(FILE *out, const issim_region_check *c, size_t k)
{
  char form[32], est[32];
  snprintf(form, sizeof form, "%.3g%%", 100 * c->share[k]);
  snprintf(est, sizeof est, "%.3g%%", 100 * c->estimate_share[k]);
  fprintf(out, "      %-15zu%10s %16s %11llu%s\n", c->index[k] + 1, form, est,
          (unsigned long long)c->hits[k], seen_mark(c, k));
}

/* The checked region whose share of the estimate is the smallest fraction of
 * its first-order share. */
static size_t shortest_region(const issim_region_check *c)
{
  size_t worst = 0;
  for (size_t k = 1; k < c->n_checked; k++)
    if (c->estimate_share[k] / c->share[k] < c->estimate_share[worst] / c->share[worst])
      worst = k;
  return worst;
}

static void write_regions_drawn(FILE *out, const issim_region_check *c)
{
  if (!c->drawn || c->n_checked == 0 || c->hits_total == 0)
    return;
  fprintf(out, "    %-17s%10s %16s %11s\n", "by region", "FORM share", "of the estimate", "hits");
  for (size_t k = 0; k < c->n_checked && k < REGIONS_DRAWN_SHOWN; k++)
    write_region_row(out, c, k);
  if (c->n_checked > REGIONS_DRAWN_SHOWN) {
    size_t w = shortest_region(c);
    fprintf(out, "      ... %zu more; the shortest of its share:\n", c->n_checked - REGIONS_DRAWN_SHOWN);
    write_region_row(out, c, w);
  }
  char est[32];
  snprintf(est, sizeof est, "%.3g%%", 100 * c->outside_share);
  fprintf(out, "      %-25s %16s %11llu\n", "in no half-space", est,
          (unsigned long long)c->outside_hits);
}

/* The region check's summary: how many regions, and the least visited. */
static size_t least_visited(const issim_region_check *c)
{
  size_t least = 0;
  for (size_t k = 1; k < c->n_checked; k++)
    if (c->log_q[k] < c->log_q[least] || isnan(c->log_q[least]))
      least = k;
  return least;
}

static void write_regions_text(FILE *out, const issim_region_check *c, uint64_t samples)
{
  if (c->n_regions < 2)
    return;
  double share;
  size_t worst = 0, neglected = issim_region_check_short(c, (double)samples, 1, &share, &worst);
  size_t least = least_visited(c);
  fprintf(out, "    regions          %zu found (design points), %zu holding >= 1%%: ", c->n_regions,
          c->n_checked);
  if (c->n_checked == 0 || isnan(c->log_q[least]))
    fprintf(out, "this proposal's visits not computable\n");
  else if (neglected > 0)
    fprintf(out, "%zu neglected (%.0f%% of P): see the warnings\n", neglected, 100 * share);
  else
    fprintf(out, "none neglected; fewest expected draws %.3g (region %zu)\n",
            (double)samples * exp(c->log_q[least]), c->index[least] + 1);
  write_regions_drawn(out, c);
}

/* The region check from the draws in JSON (docs/output.md). */
json_t *report_regions_drawn_json(const issim_region_check *c)
{
  static const char *const seen_names[] = {"seen", "few hits", "not seen"};
  double share;
  size_t worst = 0, unseen = issim_region_check_unseen(c, 0, &share, &worst);
  json_t *o = json_object(), *list = json_array();
  json_object_set_new(o, "hits", json_integer((json_int_t)c->hits_total));
  json_object_set_new(o, "neglected", json_integer((json_int_t)unseen));
  json_object_set_new(o, "neglected_share", report_jnum(share));
  json_object_set_new(o, "outside_hits", json_integer((json_int_t)c->outside_hits));
  json_object_set_new(o, "outside_share", report_jnum(c->outside_share));
  for (size_t k = 0; k < c->n_checked; k++) {
    json_t *r = json_object();
    json_object_set_new(r, "region", json_integer((json_int_t)c->index[k] + 1));
    json_object_set_new(r, "beta", report_jnum(c->beta[k]));
    json_object_set_new(r, "form_share", report_jnum(c->share[k]));
    json_object_set_new(r, "estimate_share", report_jnum(c->estimate_share[k]));
    json_object_set_new(r, "hits", json_integer((json_int_t)c->hits[k]));
    json_object_set_new(r, "expected_hits", report_jnum(issim_region_check_expected_hits(c, k)));
    json_object_set_new(r, "draws_say",
                        json_string(seen_names[issim_region_check_seen(c, k)]));
    json_array_append_new(list, r);
  }
  json_object_set_new(o, "by_region", list);
  return o;
}

static json_t *regions_json(const issim_region_check *c, uint64_t samples)
{
  if (c->n_regions < 2)
    return json_null();
  double share;
  size_t worst = 0, neglected = issim_region_check_short(c, (double)samples, 1, &share, &worst);
  size_t least = least_visited(c);
  json_t *o = json_object();
  json_object_set_new(o, "found", json_integer((json_int_t)c->n_regions));
  json_object_set_new(o, "checked", json_integer((json_int_t)c->n_checked));
  json_object_set_new(o, "neglected", json_integer((json_int_t)neglected));
  json_object_set_new(o, "neglected_share", report_jnum(share));
  json_object_set_new(o, "fewest_expected_draws",
                      report_jnum(c->n_checked ? (double)samples * exp(c->log_q[least]) : NAN));
  if (c->drawn)
    json_object_set_new(o, "draws", report_regions_drawn_json(c));
  return o;
}

/* The event's failure regions, when it has several: each design point's
 * place, beta and share (the first six), and the search's effort. */
#define REGIONS_SHOWN 6

static void write_regions_block(FILE *out, const issim_regions *rg, char *const *names)
{
  if (rg == NULL || rg->n < 2)
    return;
  fprintf(out, "regions    %zu failure regions (design points; issim form gives FORM/SORM):\n",
          rg->n);
  for (size_t i = 0; i < rg->n && i < REGIONS_SHOWN; i++) {
    fprintf(out, "             %zu: x* = (", i + 1);
    for (size_t j = 0; j < rg->d && j < 4; j++)
      fprintf(out, "%s%s%s%.4g", j ? ", " : "", names ? names[j] : "", names ? " = " : "",
              rg->x[i * rg->d + j]);
    fprintf(out, "%s), beta %.4g, %.3g%% of the first-order P\n", rg->d > 4 ? ", ..." : "",
            rg->beta[i], 100 * rg->share[i]);
  }
  if (rg->n > REGIONS_SHOWN)
    fprintf(out, "             ... and %zu more\n", rg->n - REGIONS_SHOWN);
  if (rg->stats.closed_form)
    fprintf(out, "           found in closed form\n");
  else
    fprintf(out, "           search: %zu starts, %zu loss evaluations, the last new point at start "
                 "%zu\n", rg->stats.starts, rg->stats.loss_evals, rg->stats.last_new_start);
}

static json_t *regions_block_json(const issim_regions *rg)
{
  if (rg == NULL || rg->n < 2)
    return json_null();
  json_t *o = json_object(), *list = json_array();
  for (size_t i = 0; i < rg->n; i++) {
    json_t *p = json_object(), *x = json_array();
    for (size_t j = 0; j < rg->d; j++)
      json_array_append_new(x, report_jnum(rg->x[i * rg->d + j]));
    json_object_set_new(p, "x", x);
    json_object_set_new(p, "beta", report_jnum(rg->beta[i]));
    json_object_set_new(p, "share", report_jnum(rg->share[i]));
    json_array_append_new(list, p);
  }
  json_object_set_new(o, "points", list);
  json_object_set_new(o, "closed_form", json_boolean(rg->stats.closed_form));
  json_object_set_new(o, "starts", json_integer((json_int_t)rg->stats.starts));
  json_object_set_new(o, "loss_evaluations", json_integer((json_int_t)rg->stats.loss_evals));
  json_object_set_new(o, "last_new_start", json_integer((json_int_t)rg->stats.last_new_start));
  return o;
}

void report_format_number_se(double v, double se, char *buf, size_t size)
{
  if (isinf(v))
    snprintf(buf, size, "%s", v > 0 ? "inf" : "-inf");
  else if (isnan(v))
    snprintf(buf, size, "-");
  else if (isnan(se))
    snprintf(buf, size, "%.6g", v + 0.0); /* + 0.0: print -0 as 0 */
  else
    snprintf(buf, size, "%.6g +- %.2g", v + 0.0, se);
}

void report_format_exact(double v, issim_exact_method how, char *buf, size_t size)
{
  if (how == ISSIM_EXACT_NONE)
    snprintf(buf, size, "unknown");
  else if (isinf(v))
    snprintf(buf, size, "inf");
  else
    snprintf(buf, size, "%.6g (%s)", v, issim_exact_method_name(how));
}

/* An estimate shown beside an exact value that is infinite is itself infinite:
 * the sample mean of a quantity with infinite expectation means nothing. */
static void text_information_row(FILE *out, const char *name, double v, double se, double exact,
                                 issim_exact_method how, int unreliable)
{
  char est[64], ex[64];
  report_format_number_se(isinf(exact) && how == ISSIM_EXACT_INFINITE ? exact : v, se, est, sizeof est);
  report_format_exact(exact, how, ex, sizeof ex);
  if (unreliable)
    fprintf(out, "    %-16s %-26s %-26s unreliable\n", name, est, ex);
  else
    fprintf(out, "    %-16s %-26s %s\n", name, est, ex);
}

/* The information quantities of issim run, their names in text and JSON. */
static const struct {
  const char *text, *key;
} run_information[] = {
  {"KL(p||q)", "kl_p_q"}, {"KL(q||p)", "kl_q_p"}, {"H(p)", "entropy_p"},
  {"H(p,q)", "cross_entropy_p_q"},
};

/* One line per distinct reason: "NAME, NAME unreliable: REASON", names in
 * the order given. */
void report_text_unreliable_lines(FILE *out, const char *indent, size_t n, const char *const *names,
                                  const int *bad, char (*reasons)[256])
{
  for (size_t i = 0; i < n; i++) {
    if (!bad[i])
      continue;
    int first = 1;
    for (size_t j = 0; j < i && first; j++)
      first = !(bad[j] && strcmp(reasons[j], reasons[i]) == 0);
    if (!first)
      continue;
    fprintf(out, "%s%s", indent, names[i]);
    for (size_t j = i + 1; j < n; j++)
      if (bad[j] && strcmp(reasons[j], reasons[i]) == 0)
        fprintf(out, ", %s", names[j]);
    fprintf(out, " unreliable: %s\n", reasons[i]);
  }
}

static void text_information(FILE *out, const issim_result *res)
{
  const issim_estimate *e = &res->estimate;
  const issim_information *x = &res->exact;
  char reasons[4][256];
  const char *names[4];
  int bad[4], said[4];
  /* the notes below already give these reasons */
  int partial_note = res->expected_mean_weight < 1 - 1e-12, ess_note = !partial_note && e->ess < 100;
  for (size_t i = 0; i < 4; i++) {
    names[i] = run_information[i].text;
    issim_info_status st = issim_result_information_judge(res, run_information[i].key, reasons[i],
                                                          sizeof reasons[i]);
    bad[i] = st != ISSIM_INFO_RELIABLE;
    said[i] = bad[i] && !((st == ISSIM_INFO_PARTIAL_SUPPORT && partial_note) ||
                          (st == ISSIM_INFO_LOW_ESS && ess_note));
  }
  fprintf(out, "  information      estimate (nats)            exact\n");
  text_information_row(out, "KL(p||q)", e->kl_p_q, e->kl_p_q_se, x->kl_p_q, x->kl_p_q_how, bad[0]);
  text_information_row(out, "KL(q||p)", e->kl_q_p, e->kl_q_p_se, x->kl_q_p, x->kl_q_p_how, bad[1]);
  text_information_row(out, "H(p)", e->entropy_p, e->entropy_p_se, x->entropy_p, x->entropy_p_how,
                       bad[2]);
  text_information_row(out, "H(p,q)", e->cross_entropy_p_q, e->cross_entropy_p_q_se,
                       x->cross_entropy_p_q, x->cross_entropy_p_q_how, bad[3]);
  text_information_row(out, "KL(p*||q)", e->kl_pstar_q, NAN, NAN, ISSIM_EXACT_NONE, 0);
  report_text_unreliable_lines(out, "    ", 4, names, said, reasons);
  if (partial_note)
    fprintf(out, "    (q covers only part of p's support, %.3g of its mass: the w-weighted "
                 "estimates of KL(p||q), H(p) and H(p,q) describe p restricted to it)\n",
            res->expected_mean_weight);
  else if (ess_note)
    fprintf(out, "    (KL(p||q), H(p) and H(p,q) are weighted by w over all draws, whose Kish ESS "
                 "is only %.3g: their estimates and standard errors are unreliable)\n", e->ess);
}

static void text_result(FILE *out, const issim_report *r, const issim_result *res)
{
  char desc[256];
  describe_proposal(res, desc, sizeof desc);
  fprintf(out, "\nproposal %s: %s\n", res->proposal->name, desc);
  if (res->proposal->adaptive)
    fprintf(out, "  adapted          %u levels, %llu draws, %.3g s: %llu draws in all with the "
                 "%llu below\n",
            res->proposal->adapt_levels, (unsigned long long)res->proposal->adapt_draws,
            res->proposal->adapt_seconds,
            (unsigned long long)(res->proposal->adapt_draws + res->estimate.samples),
            (unsigned long long)res->estimate.samples);
  fprintf(out, "  verdict          %s\n", issim_verdict_name(res->verdict.level));
  text_estimate(out, r, res);
  text_efficiency(out, &res->estimate);
  text_weights(out, res);
  text_information(out, res);
  report_text_curve(out, res);
}

/* Each result, then the warnings of all. */
void report_text_results(FILE *out, const issim_report *r)
{
  for (size_t i = 0; i < r->n_results; i++)
    text_result(out, r, &r->results[i]);

  int header = 0;
  for (size_t i = 0; i < r->n_results; i++) {
    char *lines[16];
    size_t n = issim_result_warnings(r, &r->results[i], lines, 16);
    for (size_t k = 0; k < n; k++) {
      if (!header++)
        fprintf(out, "\nwarnings\n");
      fprintf(out, "  %s: %s\n", r->results[i].proposal->name, lines[k]);
      free(lines[k]);
    }
  }
}

/* ---- --brief ---- */

static void brief_result(FILE *out, const issim_report *r, const issim_result *res, int width)
{
  const issim_estimate *e = &res->estimate;
  fprintf(out, "%-*s  %-11s  ", width, res->proposal->name, issim_verdict_name(res->verdict.level));
  if (e->hits == 0) {
    fprintf(out, "0  (no draw hit the event in %llu)\n", (unsigned long long)e->samples);
  } else {
    char p[48], se[48], lo[48], hi[48];
    issim_format_log_prob(e->log_estimate, 6, p, sizeof p);
    issim_format_log_prob(e->log_std_error, 3, se, sizeof se);
    issim_format_log_prob(e->log_ci_low, ci_digits(e), lo, sizeof lo);
    issim_format_log_prob(e->log_ci_high, ci_digits(e), hi, sizeof hi);
    fprintf(out, "%s +- %s  (%.3g%%)  95%% CI [%s, %s]", p, se, 100 * e->relative_error, lo, hi);
    double z = report_z_reference(r, e);
    if (!isnan(z))
      fprintf(out, "  %+.2f SE from the %s value", z, isnan(r->exact_log) ? "given" : "exact");
    fputc('\n', out);
  }
  char *lines[16];
  size_t n = issim_result_warnings(r, res, lines, 16);
  for (size_t k = 0; k < n; k++) {
    fprintf(out, "%*s  - %s\n", width, "", lines[k]);
    free(lines[k]);
  }
}

int issim_report_brief(FILE *out, const issim_report *r)
{
  report_write_scenario_lines(out, r->scenario, r->exact_log);
  if (r->interrupted)
    fprintf(out, "PARTIAL    interrupted: the results are for the draws done before Ctrl-C\n");
  int width = 8;
  for (size_t i = 0; i < r->n_results; i++) {
    int len = (int)strlen(r->results[i].proposal->name);
    width = len > width ? len : width;
  }
  fputc('\n', out);
  for (size_t i = 0; i < r->n_results; i++)
    brief_result(out, r, &r->results[i], width);
  return ferror(out) ? -1 : 0;
}

int issim_report_text(FILE *out, const issim_report *r)
{
  report_text_header(out, r);
  report_text_results(out, r);
  return ferror(out) ? -1 : 0;
}

/* ---- JSON ---- */

/* A JSON number, or null where the value is not finite (JSON has no NaN). */
json_t *report_jnum(double v)
{
  return isfinite(v) ? json_real(v + 0.0) : json_null(); /* + 0.0: no -0 */
}

/* A probability known by its log: a number while a double holds it, else the
 * text (e.g. "3.66e-350") rather than a wrong 0. */
json_t *report_jprob(double log_p)
{
  if (log_p == -INFINITY)
    return json_real(0);
  if (!isfinite(log_p))
    return json_null();
  if (log_p >= log(DBL_MIN) && log_p < log(DBL_MAX))
    return json_real(exp(log_p));
  char buf[48];
  issim_format_log_prob(log_p, 17, buf, sizeof buf);
  return json_string(buf);
}

json_t *report_jlog10(double log_p)
{
  return report_jnum(log_p / M_LN10);
}

/* A quantity that may be infinite: JSON has no infinity, so "inf" as text. */
json_t *report_jinf(double v)
{
  if (isinf(v))
    return json_string(v > 0 ? "inf" : "-inf");
  return report_jnum(v);
}

void report_set(json_t *o, const char *key, json_t *value)
{
  json_object_set_new(o, key, value);
}

static json_t *json_exact(double v, issim_exact_method how)
{
  json_t *o = json_object();
  report_set(o, "value", how == ISSIM_EXACT_NONE ? json_null() : report_jinf(v));
  report_set(o, "method", json_string(issim_exact_method_name(how)));
  return o;
}

/* An estimate of a quantity whose exact value is infinite is itself infinite. */
static double unless_infinite(double estimate, double exact, issim_exact_method how)
{
  return how == ISSIM_EXACT_INFINITE ? exact : estimate;
}

static void json_information(json_t *o, const issim_result *res)
{
  const issim_estimate *e = &res->estimate;
  const issim_information *x = &res->exact;
  report_set(o, "kl_p_q", report_jinf(unless_infinite(e->kl_p_q, x->kl_p_q, x->kl_p_q_how)));
  report_set(o, "kl_p_q_se", report_jnum(unless_infinite(e->kl_p_q_se, NAN, x->kl_p_q_how)));
  report_set(o, "kl_q_p", report_jinf(unless_infinite(e->kl_q_p, x->kl_q_p, x->kl_q_p_how)));
  report_set(o, "kl_q_p_se", report_jnum(unless_infinite(e->kl_q_p_se, NAN, x->kl_q_p_how)));
  report_set(o, "kl_pstar_q", report_jinf(e->kl_pstar_q));
  report_set(o, "entropy_p", report_jinf(e->entropy_p));
  report_set(o, "entropy_p_se", report_jnum(e->entropy_p_se));
  report_set(o, "cross_entropy_p_q",
      report_jinf(unless_infinite(e->cross_entropy_p_q, x->cross_entropy_p_q, x->cross_entropy_p_q_how)));
  report_set(o, "cross_entropy_p_q_se",
      report_jnum(unless_infinite(e->cross_entropy_p_q_se, NAN, x->cross_entropy_p_q_how)));
  json_t *ex = json_object();
  report_set(ex, "kl_p_q", json_exact(x->kl_p_q, x->kl_p_q_how));
  report_set(ex, "kl_q_p", json_exact(x->kl_q_p, x->kl_q_p_how));
  report_set(ex, "entropy_p", json_exact(x->entropy_p, x->entropy_p_how));
  report_set(ex, "entropy_q", json_exact(x->entropy_q, x->entropy_q_how));
  report_set(ex, "cross_entropy_p_q", json_exact(x->cross_entropy_p_q, x->cross_entropy_p_q_how));
  report_set(o, "exact_information", ex);
  for (size_t i = 0; i < 4; i++) {
    char reason[ISSIM_VERDICT_REASON_SIZE], key[64];
    int ok = issim_result_information_judge(res, run_information[i].key, reason, sizeof reason) ==
             ISSIM_INFO_RELIABLE;
    snprintf(key, sizeof key, "%s_reliable", run_information[i].key);
    report_set(o, key, json_boolean(ok));
    snprintf(key, sizeof key, "%s_reliable_reason", run_information[i].key);
    report_set(o, key, ok ? json_null() : json_string(reason));
  }
}

static void json_weights(json_t *o, const issim_result *res)
{
  const issim_estimate *e = &res->estimate;
  report_set(o, "ess", report_jnum(e->ess));
  report_set(o, "event_ess", report_jnum(e->event_ess));
  report_set(o, "max_weight_share", report_jnum(e->max_weight_share));
  report_set(o, "mean_weight", report_jnum(e->mean_weight));
  report_set(o, "mean_weight_se", report_jnum(e->mean_weight_se));
  report_set(o, "expected_mean_weight", report_jnum(res->expected_mean_weight));
  report_set(o, "pareto_k", report_jnum(res->pareto_k));
  report_set(o, "tail_check", json_string(res->variance == ISSIM_VARIANCE_FINITE ? "finite"
                                   : res->variance == ISSIM_VARIANCE_INFINITE ? "infinite"
                                                                              : "undecided"));
  report_set(o, "regions", regions_json(&res->regions, e->samples));
  report_set(o, "relative_variance", report_jnum(e->relative_variance));
  report_set(o, "samples_for_1pct", report_jnum(e->samples_for_1pct));
  report_set(o, "samples_for_10pct", report_jnum(e->samples_for_10pct));
  report_set(o, "log10_gain_over_crude", report_jlog10(e->log_gain_over_crude));
}

void report_json_estimate(json_t *o, const issim_estimate *e)
{
  report_set(o, "samples", json_integer((json_int_t)e->samples));
  report_set(o, "hits", json_integer((json_int_t)e->hits));
  report_set(o, "estimate", report_jprob(e->log_estimate));
  report_set(o, "log10_estimate", report_jlog10(e->log_estimate));
  report_set(o, "std_error", e->hits ? report_jprob(e->log_std_error) : json_null());
  report_set(o, "relative_error", report_jnum(e->relative_error));
  json_t *ci = json_array();
  json_array_append_new(ci, e->hits ? report_jprob(e->log_ci_low) : json_real(0));
  json_array_append_new(ci, e->hits ? report_jprob(e->log_ci_high) : json_null());
  report_set(o, "ci95", ci);
}

json_t *report_json_result(const issim_report *r, const issim_result *res)
{
  const issim_estimate *e = &res->estimate;
  char desc[256];
  if (res->proposal->model)
    issim_scenario_describe_proposal(res->proposal, desc, sizeof desc);
  else
    snprintf(desc, sizeof desc, "target");
  json_t *o = json_object();
  report_set(o, "proposal", json_string(res->proposal->name));
  report_set(o, "distribution", json_string(desc));
  report_set(o, "verdict", json_string(issim_verdict_name(res->verdict.level)));
  report_json_estimate(o, e);
  json_t *ci_ls = json_array();
  json_array_append_new(ci_ls, e->hits ? report_jprob(e->log_ci_low_ls) : json_null());
  json_array_append_new(ci_ls, e->hits ? report_jprob(e->log_ci_high_ls) : json_null());
  report_set(o, "ci95_log_scale", ci_ls);
  report_set(o, "exact", report_jprob(r->exact_log));
  report_set(o, "z_exact", report_jnum(report_z_exact(r, e)));
  report_set(o, "z_reference", report_jnum(report_z_reference(r, e)));
  report_set(o, "self_normalized_estimate", e->hits ? report_jprob(e->self_normalized_log_estimate) : json_null());
  report_set(o, "self_normalized_relative_error", report_jnum(e->self_normalized_relative_error));
  json_weights(o, res);
  json_information(o, res);
  report_set(o, "seconds", report_jnum(res->seconds));
  report_set(o, "loss_evaluations", report_calls_json(&res->calls));
  if (res->proposal->adaptive) {
    const issim_proposal *p = res->proposal;
    json_t *a = json_object();
    report_set(a, "levels", json_integer(p->adapt_levels));
    report_set(a, "draws", json_integer((json_int_t)p->adapt_draws));
    report_set(a, "seconds", report_jnum(p->adapt_seconds));
    report_set(a, "total_draws", json_integer((json_int_t)(p->adapt_draws + e->samples)));
    report_set(o, "adaptation", a);
  }
  if (res->curve)
    report_set(o, "exceedance", report_json_curve(res->curve));
  report_set(o, "stopped_by", json_string(issim_stop_reason_name(res->stopped_by)));
  int partial = res->stopped_by == ISSIM_STOP_INTERRUPT || res->stopped_by == ISSIM_STOP_LOSS;
  report_set(o, "partial", json_boolean(partial));
  report_set(o, "failure", res->stopped_by == ISSIM_STOP_LOSS ? json_string(res->failure)
                                                              : json_null());
  json_t *warnings = json_array();
  char *lines[16];
  size_t n = issim_result_warnings(r, res, lines, 16);
  for (size_t k = 0; k < n; k++) {
    json_array_append_new(warnings, json_string(lines[k]));
    free(lines[k]);
  }
  report_set(o, "warnings", warnings);
  return o;
}

/* What z_reference is measured against: the exact value, else the
 * scenario's given reference. */
json_t *report_json_reference(const issim_report *r)
{
  const char *kind;
  double log_ref = report_reference_log(r, &kind);
  json_t *o = json_object();
  report_set(o, "kind", json_string(kind));
  report_set(o, "value", report_jprob(log_ref));
  report_set(o, "log10_value", report_jlog10(log_ref));
  return o;
}

json_t *report_json_run(const issim_report *r)
{
  const issim_scenario *s = r->scenario;
  char target[256];
  issim_problem pb = issim_scenario_problem(s, NULL);
  issim_problem_describe_target(&pb, target, sizeof target);
  json_t *root = json_object();
  json_object_set_new(root, "scenario", json_string(s->name));
  json_object_set_new(root, "file", json_string(s->path));
  json_object_set_new(root, "target", json_string(target));
  json_t *event = json_object();
  json_object_set_new(event, "direction", json_string(s->event.direction == ISSIM_ABOVE ? ">" : "<"));
  json_object_set_new(event, "threshold", json_real(s->event.threshold));
  json_object_set_new(event, "threshold_sigmas", report_jnum(s->event.threshold_sigmas));
  json_object_set_new(event, "loss", json_string(s->event.loss ? issim_loss_kind_name(issim_loss_kind_of(s->event.loss))
                                                         : "identity"));
  if (s->event.loss && issim_loss_kind_of(s->event.loss) == ISSIM_LOSS_FUNCTION) {
    char what[256];
    issim_loss_describe(s->event.loss, what, sizeof what);
    json_object_set_new(event, "function", json_string(what));
  }
  if (s->variables)
    json_object_set_new(event, "variables", report_json_variables(s));
  json_object_set_new(root, "event", event);
  json_object_set_new(root, "exact", report_jprob(r->exact_log));
  json_object_set_new(root, "log10_exact", report_jlog10(r->exact_log));
  json_object_set_new(root, "reference", report_json_reference(r));
  json_object_set_new(root, "failure_regions", regions_block_json(r->regions));
  json_object_set_new(root, "samples", json_integer((json_int_t)r->samples));
  /* a seed can exceed JSON's safe integers: keep it exact as text too */
  char seed[24];
  snprintf(seed, sizeof seed, "%llu", (unsigned long long)r->seed);
  json_object_set_new(root, "seed", json_string(seed));
  json_object_set_new(root, "rng", json_string(r->rng_name));
  json_object_set_new(root, "threads", json_integer(r->threads));
  json_object_set_new(root, "target_re", r->target_re > 0 ? json_real(r->target_re) : json_null());
  json_object_set_new(root, "max_seconds",
                      r->max_seconds > 0 ? json_real(r->max_seconds) : json_null());
  json_object_set_new(root, "max_calls",
                      r->max_calls > 0 ? json_integer((json_int_t)r->max_calls) : json_null());
  int partial = r->interrupted;
  for (size_t i = 0; i < r->n_results; i++)
    partial |= r->results[i].stopped_by == ISSIM_STOP_LOSS;
  json_object_set_new(root, "partial", json_boolean(partial));
  json_t *results = json_array();
  for (size_t i = 0; i < r->n_results; i++)
    json_array_append_new(results, report_json_result(r, &r->results[i]));
  json_object_set_new(root, "results", results);
  return root;
}

/* Writes root and releases it. */
int report_dump_json(FILE *out, json_t *root)
{
  int rc = json_dumpf(root, out, JSON_INDENT(2) | JSON_REAL_PRECISION(17) | JSON_PRESERVE_ORDER);
  json_decref(root);
  fputc('\n', out);
  return rc == 0 && !ferror(out) ? 0 : -1;
}

int issim_report_json(FILE *out, const issim_report *r)
{
  return report_dump_json(out, report_json_run(r));
}

