#define _POSIX_C_SOURCE 200809L /* strdup */

#include "report.h"

#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_math.h>
#include <jansson.h>


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
  return res->proposal->dist == NULL && res->proposal->model == NULL;
}

/* (estimate - exact) / SE, computed from logs so it works below DBL_MIN */
static double z_to_exact(const issim_report *r, const issim_estimate *e)
{
  if (isnan(r->exact_log) || e->hits == 0 || isnan(e->log_std_error))
    return NAN;
  double log_se = fmax(e->log_std_error, r->exact_log + log(ISSIM_RELATIVE_PRECISION));
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
  char event[160];
  issim_problem pb = issim_scenario_problem(s, NULL);
  issim_problem_describe_target(&pb, target, sizeof target);
  issim_scenario_describe_event(s, event, sizeof event);
  fprintf(out, "scenario   %s%s%s\n", s->name, s->description[0] ? ": " : "", s->description);
  fprintf(out, "target     %s\n", target);
  fprintf(out, "event      %s\n", event);
  if (!isnan(r->exact_log)) {
    char p[48];
    issim_format_log_prob(r->exact_log, 10, p, sizeof p);
    fprintf(out, "exact      P = %s  (log10 P = %.6f)\n", p, r->exact_log / M_LN10);
  } else {
    fprintf(out, "exact      unknown\n");
  }
  fprintf(out, "run        %s%llu samples per proposal, seed %llu, rng %s, %d thread%s\n",
          r->target_re > 0 || r->max_seconds > 0 ? "at most " : "",
          (unsigned long long)r->samples, (unsigned long long)r->seed, r->rng_name, r->threads,
          r->threads == 1 ? "" : "s");
  if (r->target_re > 0)
    fprintf(out, "stop       at relative error %.3g%% (with at least 100 hits and event ESS)\n",
            100 * r->target_re);
  if (r->max_seconds > 0)
    fprintf(out, "stop       after %.3g seconds per proposal\n", r->max_seconds);
  if (r->interrupted)
    fprintf(out, "PARTIAL    interrupted: the results are for the draws done before Ctrl-C\n");
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
  case ISSIM_STOP_SAMPLES: break;
  }
  return "the sample budget";
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
    /* enough digits to tell the bounds apart, 5 at least */
    int digits = e->relative_error > 0 ? 3 + (int)ceil(-log10(e->relative_error)) : 17;
    digits = digits < 5 ? 5 : digits > 17 ? 17 : digits;
    issim_format_log_prob(e->log_ci_low, digits, lo, sizeof lo);
    issim_format_log_prob(e->log_ci_high, digits, hi, sizeof hi);
    fprintf(out, "  95%% CI           [%s, %s]\n", lo, hi);
    if (e->relative_error > 0.2) {
      issim_format_log_prob(e->log_ci_low_ls, 3, lo, sizeof lo);
      issim_format_log_prob(e->log_ci_high_ls, 3, hi, sizeof hi);
      fprintf(out, "  95%% CI, log scale [%s, %s]\n", lo, hi);
    }
    double z = z_to_exact(r, e);
    if (!isnan(z)) {
      issim_format_log_prob(r->exact_log, 6, p, sizeof p);
      fprintf(out, "  exact            %s, %+.2f standard errors away\n", p, z);
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
  if (res->stopped_by != ISSIM_STOP_SAMPLES)
    fprintf(out, "  stopped by       %s\n", stop_description(res->stopped_by));
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
  fprintf(out, "    mean weight      %.6g +- %.3g (expected %.6g)\n", e->mean_weight,
          e->mean_weight_se, res->expected_mean_weight);
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
}

static void format_number_se(double v, double se, char *buf, size_t size)
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

static void format_exact(double v, issim_exact_method how, char *buf, size_t size)
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
  format_number_se(isinf(exact) && how == ISSIM_EXACT_INFINITE ? exact : v, se, est, sizeof est);
  format_exact(exact, how, ex, sizeof ex);
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
static void text_unreliable_lines(FILE *out, const char *indent, size_t n, const char *const *names,
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
  text_unreliable_lines(out, "    ", 4, names, said, reasons);
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
}

/* Each result, then the warnings of all. */
static void text_results(FILE *out, const issim_report *r)
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

int issim_report_text(FILE *out, const issim_report *r)
{
  text_header(out, r);
  text_results(out, r);
  return ferror(out) ? -1 : 0;
}

/* ---- JSON ---- */

/* A JSON number, or null where the value is not finite (JSON has no NaN). */
static json_t *jnum(double v)
{
  return isfinite(v) ? json_real(v + 0.0) : json_null(); /* + 0.0: no -0 */
}

/* A probability known by its log: a number while a double holds it, else the
 * text (e.g. "3.66e-350") rather than a wrong 0. */
static json_t *jprob(double log_p)
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

static json_t *jlog10(double log_p)
{
  return jnum(log_p / M_LN10);
}

/* A quantity that may be infinite: JSON has no infinity, so "inf" as text. */
static json_t *jinf(double v)
{
  if (isinf(v))
    return json_string(v > 0 ? "inf" : "-inf");
  return jnum(v);
}

static void set(json_t *o, const char *key, json_t *value)
{
  json_object_set_new(o, key, value);
}

static json_t *json_exact(double v, issim_exact_method how)
{
  json_t *o = json_object();
  set(o, "value", how == ISSIM_EXACT_NONE ? json_null() : jinf(v));
  set(o, "method", json_string(issim_exact_method_name(how)));
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
  set(o, "kl_p_q", jinf(unless_infinite(e->kl_p_q, x->kl_p_q, x->kl_p_q_how)));
  set(o, "kl_p_q_se", jnum(unless_infinite(e->kl_p_q_se, NAN, x->kl_p_q_how)));
  set(o, "kl_q_p", jinf(unless_infinite(e->kl_q_p, x->kl_q_p, x->kl_q_p_how)));
  set(o, "kl_q_p_se", jnum(unless_infinite(e->kl_q_p_se, NAN, x->kl_q_p_how)));
  set(o, "kl_pstar_q", jinf(e->kl_pstar_q));
  set(o, "entropy_p", jinf(e->entropy_p));
  set(o, "entropy_p_se", jnum(e->entropy_p_se));
  set(o, "cross_entropy_p_q",
      jinf(unless_infinite(e->cross_entropy_p_q, x->cross_entropy_p_q, x->cross_entropy_p_q_how)));
  set(o, "cross_entropy_p_q_se",
      jnum(unless_infinite(e->cross_entropy_p_q_se, NAN, x->cross_entropy_p_q_how)));
  json_t *ex = json_object();
  set(ex, "kl_p_q", json_exact(x->kl_p_q, x->kl_p_q_how));
  set(ex, "kl_q_p", json_exact(x->kl_q_p, x->kl_q_p_how));
  set(ex, "entropy_p", json_exact(x->entropy_p, x->entropy_p_how));
  set(ex, "entropy_q", json_exact(x->entropy_q, x->entropy_q_how));
  set(ex, "cross_entropy_p_q", json_exact(x->cross_entropy_p_q, x->cross_entropy_p_q_how));
  set(o, "exact_information", ex);
  for (size_t i = 0; i < 4; i++) {
    char reason[ISSIM_VERDICT_REASON_SIZE], key[64];
    int ok = issim_result_information_judge(res, run_information[i].key, reason, sizeof reason) ==
             ISSIM_INFO_RELIABLE;
    snprintf(key, sizeof key, "%s_reliable", run_information[i].key);
    set(o, key, json_boolean(ok));
    snprintf(key, sizeof key, "%s_reliable_reason", run_information[i].key);
    set(o, key, ok ? json_null() : json_string(reason));
  }
}

static void json_weights(json_t *o, const issim_result *res)
{
  const issim_estimate *e = &res->estimate;
  set(o, "ess", jnum(e->ess));
  set(o, "event_ess", jnum(e->event_ess));
  set(o, "max_weight_share", jnum(e->max_weight_share));
  set(o, "mean_weight", jnum(e->mean_weight));
  set(o, "mean_weight_se", jnum(e->mean_weight_se));
  set(o, "expected_mean_weight", jnum(res->expected_mean_weight));
  set(o, "pareto_k", jnum(res->pareto_k));
  set(o, "tail_check", json_string(res->variance == ISSIM_VARIANCE_FINITE ? "finite"
                                   : res->variance == ISSIM_VARIANCE_INFINITE ? "infinite"
                                                                              : "undecided"));
  set(o, "relative_variance", jnum(e->relative_variance));
  set(o, "samples_for_1pct", jnum(e->samples_for_1pct));
  set(o, "samples_for_10pct", jnum(e->samples_for_10pct));
  set(o, "log10_gain_over_crude", jlog10(e->log_gain_over_crude));
}

static json_t *json_result(const issim_report *r, const issim_result *res)
{
  const issim_estimate *e = &res->estimate;
  char desc[256];
  if (res->proposal->dist || res->proposal->model)
    issim_scenario_describe_proposal(res->proposal, desc, sizeof desc);
  else
    snprintf(desc, sizeof desc, "target");
  json_t *o = json_object();
  set(o, "proposal", json_string(res->proposal->name));
  set(o, "distribution", json_string(desc));
  set(o, "verdict", json_string(issim_verdict_name(res->verdict.level)));
  set(o, "samples", json_integer((json_int_t)e->samples));
  set(o, "hits", json_integer((json_int_t)e->hits));
  set(o, "estimate", jprob(e->log_estimate));
  set(o, "log10_estimate", jlog10(e->log_estimate));
  set(o, "std_error", e->hits ? jprob(e->log_std_error) : json_null());
  set(o, "relative_error", jnum(e->relative_error));
  json_t *ci = json_array();
  json_array_append_new(ci, e->hits ? jprob(e->log_ci_low) : json_real(0));
  json_array_append_new(ci, e->hits ? jprob(e->log_ci_high) : json_null());
  set(o, "ci95", ci);
  json_t *ci_ls = json_array();
  json_array_append_new(ci_ls, e->hits ? jprob(e->log_ci_low_ls) : json_null());
  json_array_append_new(ci_ls, e->hits ? jprob(e->log_ci_high_ls) : json_null());
  set(o, "ci95_log_scale", ci_ls);
  set(o, "exact", jprob(r->exact_log));
  set(o, "z_exact", jnum(z_to_exact(r, e)));
  set(o, "self_normalized_estimate", e->hits ? jprob(e->self_normalized_log_estimate) : json_null());
  set(o, "self_normalized_relative_error", jnum(e->self_normalized_relative_error));
  json_weights(o, res);
  json_information(o, res);
  set(o, "seconds", jnum(res->seconds));
  if (res->proposal->adaptive) {
    const issim_proposal *p = res->proposal;
    json_t *a = json_object();
    set(a, "levels", json_integer(p->adapt_levels));
    set(a, "draws", json_integer((json_int_t)p->adapt_draws));
    set(a, "seconds", jnum(p->adapt_seconds));
    set(a, "total_draws", json_integer((json_int_t)(p->adapt_draws + e->samples)));
    set(o, "adaptation", a);
  }
  set(o, "stopped_by", json_string(issim_stop_reason_name(res->stopped_by)));
  set(o, "partial", json_boolean(res->stopped_by == ISSIM_STOP_INTERRUPT));
  json_t *warnings = json_array();
  char *lines[16];
  size_t n = issim_result_warnings(r, res, lines, 16);
  for (size_t k = 0; k < n; k++) {
    json_array_append_new(warnings, json_string(lines[k]));
    free(lines[k]);
  }
  set(o, "warnings", warnings);
  return o;
}

static json_t *json_run(const issim_report *r)
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
  json_object_set_new(event, "threshold_sigmas", jnum(s->event.threshold_sigmas));
  json_object_set_new(event, "loss", json_string(s->event.loss ? issim_loss_kind_name(issim_loss_kind_of(s->event.loss))
                                                         : "identity"));
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
  json_object_set_new(root, "target_re", r->target_re > 0 ? json_real(r->target_re) : json_null());
  json_object_set_new(root, "max_seconds",
                      r->max_seconds > 0 ? json_real(r->max_seconds) : json_null());
  json_object_set_new(root, "partial", json_boolean(r->interrupted));
  json_t *results = json_array();
  for (size_t i = 0; i < r->n_results; i++)
    json_array_append_new(results, json_result(r, &r->results[i]));
  json_object_set_new(root, "results", results);
  return root;
}

/* Writes root and releases it. */
static int dump_json(FILE *out, json_t *root)
{
  int rc = json_dumpf(root, out, JSON_INDENT(2) | JSON_REAL_PRECISION(17) | JSON_PRESERVE_ORDER);
  json_decref(root);
  fputc('\n', out);
  return rc == 0 && !ferror(out) ? 0 : -1;
}

int issim_report_json(FILE *out, const issim_report *r)
{
  return dump_json(out, json_run(r));
}

/* ---- issim divergence ---- */

typedef struct {
  const char *name;
  double estimate, se, exact;
  issim_exact_method how;
  int weighted; /* an expectation under p from draws of q */
  issim_info_status status;
  char reason[256];
} quantity;

/* Each quantity judged by divergence.h's rules, on the nats values. */
static void judge_quantities(const issim_divergence_row *row, const issim_scenario *s,
                             quantity *q, size_t n)
{
  const issim_dist *p = s->target, *d = row->proposal ? row->proposal->dist : NULL;
  issim_variance v = issim_information_weight_variance(p, d);
  int covers = d == NULL || (d->lower <= p->lower && d->upper >= p->upper);
  for (size_t i = 0; i < n; i++) {
    issim_info_input in = {.estimate = q[i].estimate, .se = q[i].se, .exact = q[i].exact,
                           .how = q[i].how, .weighted = q[i].weighted, .covers = covers,
                           .kish_ess = row->estimate.ess, .weight_variance = v};
    q[i].status = issim_information_judge(&in, q[i].reason, sizeof q[i].reason);
  }
}

/* The quantities of a row, judged, in the report's unit. */
static size_t row_quantities(const issim_divergence_row *row, const issim_scenario *s, double unit,
                             quantity *q)
{
  const issim_estimate *e = &row->estimate;
  const issim_information *x = &row->exact;
  if (row->proposal == NULL) {
    q[0] = (quantity){"H(p)", e->entropy_q, e->entropy_q_se, x->entropy_p, x->entropy_p_how, 0, ISSIM_INFO_RELIABLE, ""};
    judge_quantities(row, s, q, 1);
    for (size_t i = 0; i < 1; i++) {
      q[i].estimate /= unit; q[i].se /= unit; q[i].exact /= unit;
    }
    return 1;
  }
  q[0] = (quantity){"H(q)", e->entropy_q, e->entropy_q_se, x->entropy_q, x->entropy_q_how, 0, ISSIM_INFO_RELIABLE, ""};
  q[1] = (quantity){"H(p,q)", e->cross_entropy_p_q, e->cross_entropy_p_q_se, x->cross_entropy_p_q,
                    x->cross_entropy_p_q_how, 1, ISSIM_INFO_RELIABLE, ""};
  q[2] = (quantity){"KL(p||q)", e->kl_p_q, e->kl_p_q_se, x->kl_p_q, x->kl_p_q_how, 1, ISSIM_INFO_RELIABLE, ""};
  q[3] = (quantity){"KL(q||p)", e->kl_q_p, e->kl_q_p_se, x->kl_q_p, x->kl_q_p_how, 0, ISSIM_INFO_RELIABLE, ""};
  for (size_t i = 0; i < 4; i++) {
    /* a sample mean of an infinite expectation is not an estimate of it */
    if (q[i].how == ISSIM_EXACT_INFINITE) {
      q[i].estimate = INFINITY;
      q[i].se = NAN;
    }
  }
  judge_quantities(row, s, q, 4);
  for (size_t i = 0; i < 4; i++) {
    q[i].estimate /= unit;
    q[i].se /= unit;
    q[i].exact /= unit;
  }
  return 4;
}

/* KL(p||q) - (H(p,q) - H(p)) from the exact values, computed independently
 * where closed forms exist: a check of the formulas themselves. */
static double identity_gap(const issim_divergence_row *row, const issim_information *target)
{
  const issim_information *x = &row->exact;
  /* for q = p both sides are 0 by construction: no check */
  if (row->proposal == NULL || row->proposal->dist == NULL || isinf(x->kl_p_q) ||
      x->kl_p_q_how == ISSIM_EXACT_NONE ||
      x->cross_entropy_p_q_how == ISSIM_EXACT_NONE)
    return NAN;
  return x->kl_p_q - (x->cross_entropy_p_q - target->entropy_p);
}

int issim_divergence_report_text(FILE *out, const issim_divergence_report *r)
{
  double unit = r->bits ? M_LN2 : 1;
  const char *unit_name = r->bits ? "bits" : "nats";
  fprintf(out, "scenario   %s\n", r->scenario->name);
  fprintf(out, "run        %llu draws per row, seed %llu, rng %s; in %s\n",
          (unsigned long long)r->samples, (unsigned long long)r->seed, r->rng_name, unit_name);
  for (size_t i = 0; i < r->n_rows; i++) {
    const issim_divergence_row *row = &r->rows[i];
    char desc[256];
    if (row->proposal == NULL) {
      issim_dist_describe(r->scenario->target, desc, sizeof desc);
      fprintf(out, "\ntarget p: %s (from draws of p)\n", desc);
    } else {
      if (row->proposal->dist)
        issim_dist_describe(row->proposal->dist, desc, sizeof desc);
      else
        snprintf(desc, sizeof desc, "the target");
      fprintf(out, "\nproposal %s: q = %s (from draws of q)\n", row->proposal->name, desc);
    }
    fprintf(out, "  %-10s %-28s %s\n", "", "estimate", "exact");
    quantity q[4];
    size_t n = row_quantities(row, r->scenario, unit, q);
    for (size_t k = 0; k < n; k++) {
      char est[64], ex[64];
      format_number_se(q[k].estimate, q[k].se, est, sizeof est);
      format_exact(q[k].exact, q[k].how, ex, sizeof ex);
      if (q[k].status != ISSIM_INFO_RELIABLE)
        fprintf(out, "  %-10s %-28s %-28s unreliable\n", q[k].name, est, ex);
      else
        fprintf(out, "  %-10s %-28s %s\n", q[k].name, est, ex);
    }
    const char *names[4];
    int bad[4];
    char reasons[4][256];
    int ess_note = row->proposal && row->proposal->dist && row->estimate.ess < 100;
    for (size_t k = 0; k < n; k++) {
      names[k] = q[k].name;
      bad[k] = q[k].status != ISSIM_INFO_RELIABLE &&
               !(q[k].status == ISSIM_INFO_LOW_ESS && ess_note); /* the note below says it */
      snprintf(reasons[k], sizeof reasons[k], "%s", q[k].reason);
    }
    text_unreliable_lines(out, "  ", n, names, bad, reasons);
    double gap = identity_gap(row, &r->rows[0].exact);
    if (!isnan(gap))
      fprintf(out, "  identity   KL(p||q) = H(p,q) - H(p) holds to %.2g\n", fabs(gap) / unit);
    if (ess_note)
      fprintf(out, "  (H(p,q) and KL(p||q) are weighted by w, whose Kish ESS is only %.3g here: "
                   "those estimates and their standard errors are unreliable)\n",
              row->estimate.ess);
  }
  return ferror(out) ? -1 : 0;
}

static json_t *json_quantity(const quantity *q)
{
  json_t *o = json_object();
  set(o, "estimate", jinf(q->estimate));
  set(o, "std_error", jnum(q->se));
  set(o, "exact", q->how == ISSIM_EXACT_NONE ? json_null() : jinf(q->exact));
  set(o, "method", json_string(issim_exact_method_name(q->how)));
  set(o, "reliable", json_boolean(q->status == ISSIM_INFO_RELIABLE));
  set(o, "reason", q->status == ISSIM_INFO_RELIABLE ? json_null() : json_string(q->reason));
  return o;
}

int issim_divergence_report_json(FILE *out, const issim_divergence_report *r)
{
  double unit = r->bits ? M_LN2 : 1;
  json_t *root = json_object();
  set(root, "scenario", json_string(r->scenario->name));
  set(root, "units", json_string(r->bits ? "bits" : "nats"));
  set(root, "samples", json_integer((json_int_t)r->samples));
  char seed[24];
  snprintf(seed, sizeof seed, "%llu", (unsigned long long)r->seed);
  set(root, "seed", json_string(seed));
  set(root, "rng", json_string(r->rng_name));
  json_t *rows = json_array();
  for (size_t i = 0; i < r->n_rows; i++) {
    const issim_divergence_row *row = &r->rows[i];
    json_t *o = json_object();
    char desc[256] = "target";
    const issim_dist *d = row->proposal ? row->proposal->dist : r->scenario->target;
    if (d)
      issim_dist_describe(d, desc, sizeof desc);
    set(o, "row", json_string(row->proposal ? row->proposal->name : "target"));
    set(o, "distribution", json_string(desc));
    quantity q[4];
    size_t n = row_quantities(row, r->scenario, unit, q);
    static const char *const keys[2][4] = {{"entropy_p"}, {"entropy_q", "cross_entropy_p_q", "kl_p_q", "kl_q_p"}};
    for (size_t k = 0; k < n; k++)
      set(o, keys[row->proposal != NULL][k], json_quantity(&q[k]));
    double gap = identity_gap(row, &r->rows[0].exact);
    set(o, "identity_gap", jnum(gap / unit));
    json_array_append_new(rows, o);
  }
  set(root, "rows", rows);
  return dump_json(out, root);
}

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
  else if (ref->exact)
    snprintf(buf, size, "the exact value %s", v);
  else
    snprintf(buf, size, "%s, the estimate of '%s' (the most precise trustworthy proposal)", v,
             c->run.results[ref->proposal].proposal->name);
}

int issim_compare_report_text(FILE *out, const issim_compare_report *c)
{
  const issim_report *r = &c->run;
  text_header(out, r);
  char ref[160];
  reference_text(c, ref, sizeof ref);
  fprintf(out, "reference  %s\n\n", ref);
  fprintf(out, "%-4s %-14s %-12s %-12s %8s %9s %10s %9s %6s %9s %9s %8s %9s %10s\n", "rank",
          "proposal", "verdict", "estimate", "rel.err", "rel.var", "for 1%", "event ESS",
          "k-hat", "KL(p||q)", "KL(p*||q)", "seconds", "M draws/s", "gain");
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
    fprintf(out, "%-4zu %-14s %-12s %-11s%s %8s %9s %10s %9.0f %6s %9s %9s %8.3g %9.3g %10s\n",
            k + 1, res->proposal->name, issim_verdict_name(res->verdict.level), est,
            rk->excludes_reference ? "!" : " ", re, rv, n1, e->event_ess, kh, kl, kls,
            res->seconds, (double)e->samples / res->seconds / 1e6, gain);
  }
  fprintf(out, "\nRanked by verdict, then by work-normalised efficiency 1/(rel.var x seconds per "
               "draw); gain: that efficiency over plain Monte Carlo's, whose relative variance "
               "is (1-P)/P at the reference P.\n");
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
  set(root, "scenario", json_string(r->scenario->name));
  set(root, "samples", json_integer((json_int_t)r->samples));
  char seed[24];
  snprintf(seed, sizeof seed, "%llu", (unsigned long long)r->seed);
  set(root, "seed", json_string(seed));
  set(root, "rng", json_string(r->rng_name));
  set(root, "threads", json_integer(r->threads));
  set(root, "exact", jprob(r->exact_log));
  set(root, "log10_exact", jlog10(r->exact_log));
  json_t *ref = json_object();
  set(ref, "kind", json_string(isnan(c->reference.log_value) ? "none"
                               : c->reference.exact ? "exact" : "estimate"));
  set(ref, "proposal", !c->reference.exact && !isnan(c->reference.log_value)
                           ? json_string(r->results[c->reference.proposal].proposal->name)
                           : json_null());
  set(ref, "log10_value", jlog10(c->reference.log_value));
  set(root, "reference", ref);
  json_t *ranking = json_array();
  for (size_t k = 0; k < r->n_results; k++) {
    const issim_ranked *rk = &c->ranked[k];
    json_t *o = json_result(r, &r->results[rk->index]);
    json_t *entry = json_object();
    set(entry, "rank", json_integer((json_int_t)(k + 1)));
    set(entry, "efficiency", jnum(rk->efficiency));
    set(entry, "log10_gain_over_crude_work", jlog10(rk->log_gain_over_crude_work));
    set(entry, "ci_excludes_reference", json_boolean(rk->excludes_reference));
    json_object_update(entry, o);
    json_decref(o);
    json_array_append_new(ranking, entry);
  }
  set(root, "ranking", ranking);
  return dump_json(out, root);
}

/* A CSV number: empty where there is none. */
static void csv_number(FILE *out, double v)
{
  if (isfinite(v))
    fprintf(out, ",%.17g", v);
  else if (isinf(v))
    fprintf(out, ",%s", v > 0 ? "inf" : "-inf");
  else
    fputc(',', out);
}

int issim_compare_report_csv(FILE *out, const issim_compare_report *c)
{
  const issim_report *r = &c->run;
  fprintf(out, "rank,proposal,verdict,samples,hits,log10_estimate,relative_error,"
               "relative_variance,samples_for_1pct,event_ess,pareto_k,kl_p_q,kl_p_q_exact,kl_pstar_q,seconds,"
               "draws_per_second,efficiency,log10_gain_over_crude_work,ci_excludes_reference\n");
  for (size_t k = 0; k < r->n_results; k++) {
    const issim_ranked *rk = &c->ranked[k];
    const issim_result *res = &r->results[rk->index];
    const issim_estimate *e = &res->estimate;
    fprintf(out, "%zu,%s,%s,%llu,%llu", k + 1, res->proposal->name,
            issim_verdict_name(res->verdict.level), (unsigned long long)e->samples,
            (unsigned long long)e->hits);
    csv_number(out, e->hits ? e->log_estimate / M_LN10 : NAN);
    csv_number(out, e->relative_error);
    csv_number(out, e->relative_variance);
    csv_number(out, e->samples_for_1pct);
    csv_number(out, e->event_ess);
    csv_number(out, res->pareto_k);
    csv_number(out, res->exact.kl_p_q_how == ISSIM_EXACT_INFINITE ? INFINITY : e->kl_p_q);
    csv_number(out, res->exact.kl_p_q_how == ISSIM_EXACT_NONE ? NAN : res->exact.kl_p_q);
    csv_number(out, e->kl_pstar_q);
    csv_number(out, res->seconds);
    csv_number(out, (double)e->samples / res->seconds);
    csv_number(out, rk->efficiency);
    csv_number(out, rk->log_gain_over_crude_work / M_LN10);
    fprintf(out, ",%s\n", rk->excludes_reference ? "true" : "false");
  }
  return ferror(out) ? -1 : 0;
}

/* ---- issim calibrate ---- */

static void calibrate_reference_text(const issim_calibrate_report *r, char *buf, size_t size)
{
  char v[48];
  issim_format_log_prob(r->log_reference, 6, v, sizeof v);
  if (isnan(r->log_reference))
    snprintf(buf, size, "none: no exact value, and no proposal whose replications were all "
                        "hits and never unreliable");
  else if (r->reference_exact)
    snprintf(buf, size, "the exact value %s", v);
  else
    snprintf(buf, size, "%s, the mean of the replications of '%s'", v, r->reference_proposal);
}

int issim_calibrate_report_text(FILE *out, const issim_calibrate_report *r)
{
  char ref[200];
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
    if (isnan(r->log_reference)) {
      fprintf(out, "%-14s %10s   (no reference to judge against)\n", c->proposal->name, unrel);
      continue;
    }
    if (c->inconclusive) {
      fprintf(out, "%-14s %10s %8.3g%%  inconclusive: %zu of %zu replications had no hit\n",
              c->proposal->name, unrel, 100 * c->relative_rmse, c->zero_hit_reps, c->reps);
      continue;
    }
    fprintf(out, "%-14s %10s %8.3g%% %10.3g%% %7.3g %8.1f%% %7.2f %6.2f  %s\n", c->proposal->name,
            unrel, 100 * c->relative_rmse, 100 * c->mean_reported_re,
            c->relative_rmse / c->mean_reported_re, 100 * c->coverage, c->z_mean, c->z_sd,
            c->over_confident ? "OVER-CONFIDENT" : "honest");
  }
  fprintf(out, "\nrel.RMSE: the spread of the estimates around the reference; mean rep.RE: the "
               "relative error the runs reported; ratio: the two, 1 when honest.  Over-confident: "
               "a ratio above 2, or coverage of the 95%% intervals below 85%% (over 50 "
               "replications with a hit or more).\n");
  return ferror(out) ? -1 : 0;
}

int issim_calibrate_report_json(FILE *out, const issim_calibrate_report *r)
{
  json_t *root = json_object();
  set(root, "scenario", json_string(r->scenario->name));
  set(root, "reps", json_integer((json_int_t)r->reps));
  set(root, "samples", json_integer((json_int_t)r->samples));
  char seed[24];
  snprintf(seed, sizeof seed, "%llu", (unsigned long long)r->seed);
  set(root, "seed", json_string(seed));
  set(root, "rng", json_string(r->rng_name));
  json_t *ref = json_object();
  set(ref, "kind", json_string(isnan(r->log_reference) ? "none"
                               : r->reference_exact ? "exact" : "pooled"));
  set(ref, "proposal", r->reference_proposal ? json_string(r->reference_proposal) : json_null());
  set(ref, "log10_value", jlog10(r->log_reference));
  set(root, "reference", ref);
  json_t *list = json_array();
  for (size_t i = 0; i < r->n; i++) {
    const issim_calibration *c = &r->calibrations[i];
    json_t *o = json_object();
    int judged = !isnan(r->log_reference);
    set(o, "proposal", json_string(c->proposal->name));
    set(o, "reps", json_integer((json_int_t)c->reps));
    set(o, "zero_hit_reps", json_integer((json_int_t)c->zero_hit_reps));
    set(o, "unreliable_reps", json_integer((json_int_t)c->unreliable_reps));
    set(o, "relative_rmse", judged ? jnum(c->relative_rmse) : json_null());
    set(o, "mean_reported_relative_error", judged ? jnum(c->mean_reported_re) : json_null());
    set(o, "ratio", judged ? jnum(c->relative_rmse / c->mean_reported_re) : json_null());
    set(o, "coverage", judged ? jnum(c->coverage) : json_null());
    set(o, "z_mean", judged ? jnum(c->z_mean) : json_null());
    set(o, "z_sd", judged ? jnum(c->z_sd) : json_null());
    set(o, "over_confident", judged ? json_boolean(c->over_confident) : json_null());
    set(o, "inconclusive", json_boolean(c->inconclusive));
    set(o, "seconds", jnum(c->seconds));
    json_array_append_new(list, o);
  }
  set(root, "proposals", list);
  return dump_json(out, root);
}

/* ---- issim adapt ---- */

static void text_adapt_settings(FILE *out, const issim_adapt_report *r)
{
  const issim_ce_options *o = r->options;
  fprintf(out, "adaptation cross-entropy, family %s (%s), from %s; rho %g, %llu draws a level",
          issim_ce_family_name(r->fit->params.family),
          r->fit->update_spread ? "mean and spread" : "mean only",
          o->start ? o->start : "the target", o->rho, (unsigned long long)o->level_draws);
  if (o->alpha < 1)
    fprintf(out, ", smoothing %g", o->alpha);
  if (r->fit->update_spread)
    fprintf(out, ", spread floor %g", o->min_spread);
  fputc('\n', out);
}

static void text_levels(FILE *out, const issim_ce_fit *fit)
{
  fprintf(out, "  %5s %12s %8s %10s %10s %9s  %s\n", "level", "gamma", "elites", "P(level)",
          "KL(p*||q)", "event ESS", "fitted");
  for (size_t i = 0; i < fit->n_levels; i++) {
    const issim_ce_level *l = &fit->levels[i];
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
    fprintf(out, "  %s: %s\n", fit->outcome == ISSIM_CE_INTERRUPTED ? "INTERRUPTED" : "NOT FITTED",
            fit->message);
}

int issim_adapt_report_text(FILE *out, const issim_adapt_report *r)
{
  text_header(out, &r->run);
  text_adapt_settings(out, r);
  text_levels(out, r->fit);
  text_results(out, &r->run);
  if (r->run.n_results == 1) {
    uint64_t final = r->run.results[0].estimate.samples;
    fprintf(out, "\ntotal effort %llu adaptation draws + %llu final draws = %llu\n",
            (unsigned long long)r->fit->draws, (unsigned long long)final,
            (unsigned long long)(r->fit->draws + final));
  }
  if (r->saved)
    fprintf(out, "saved      [proposal %s] to %s\n", r->name, r->saved);
  return ferror(out) ? -1 : 0;
}

static const char *outcome_name(issim_ce_outcome o)
{
  switch (o) {
  case ISSIM_CE_REACHED: return "reached";
  case ISSIM_CE_NO_PROGRESS: return "no-progress";
  case ISSIM_CE_LEVEL_LIMIT: return "level-limit";
  case ISSIM_CE_INTERRUPTED: return "interrupted";
  }
  return "?";
}

int issim_adapt_report_json(FILE *out, const issim_adapt_report *r)
{
  const issim_ce_options *o = r->options;
  const issim_ce_fit *fit = r->fit;
  json_t *root = json_run(&r->run), *a = json_object(), *levels = json_array();
  set(a, "proposal", json_string(r->name));
  set(a, "family", json_string(issim_ce_family_name(fit->params.family)));
  set(a, "start", json_string(o->start ? o->start : "target"));
  set(a, "update", json_string(fit->update_spread ? "mean+spread" : "mean"));
  set(a, "rho", json_real(o->rho));
  set(a, "level_draws", json_integer((json_int_t)o->level_draws));
  set(a, "alpha", json_real(o->alpha));
  set(a, "max_levels", json_integer(o->max_levels));
  set(a, "min_spread", fit->update_spread ? json_real(o->min_spread) : json_null());
  for (size_t i = 0; i < fit->n_levels; i++) {
    const issim_ce_level *l = &fit->levels[i];
    json_t *x = json_object();
    set(x, "level", json_integer(l->level));
    set(x, "gamma", jnum(l->gamma));
    set(x, "draws", json_integer((json_int_t)l->draws));
    set(x, "elites", json_integer((json_int_t)l->elites));
    set(x, "level_probability", jprob(l->log_level_prob));
    set(x, "kl_pstar_q", jnum(l->kl_star));
    set(x, "event_ess", jnum(l->event_ess));
    set(x, "fitted", l->fitted[0] ? json_string(l->fitted) : json_null());
    json_array_append_new(levels, x);
  }
  set(a, "levels", levels);
  set(a, "outcome", json_string(outcome_name(fit->outcome)));
  set(a, "message", fit->outcome == ISSIM_CE_REACHED ? json_null() : json_string(fit->message));
  set(a, "draws", json_integer((json_int_t)fit->draws));
  set(a, "seconds", jnum(fit->seconds));
  uint64_t final = r->run.n_results == 1 ? r->run.results[0].estimate.samples : 0;
  set(a, "total_draws", json_integer((json_int_t)(fit->draws + final)));
  set(a, "saved", r->saved ? json_string(r->saved) : json_null());
  set(root, "adaptation", a);
  return dump_json(out, root);
}
