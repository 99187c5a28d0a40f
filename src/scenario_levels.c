/* scenario_levels.c: [event]'s thresholds and quantiles (scenario_impl.h).
 *
 * threshold is one value or a list of them (parse.h's issim_parse_levels):
 * the first value written is the main threshold, the event the proposals are
 * designed for (design points, the main estimate, --target-re); every value
 * is a level of the exceedance curve, estimated from the same draws.  "K
 * sigma" is the loss's mean plus K standard deviations (minus for '<').
 * quantile is a list of probabilities alpha whose loss levels are estimated.
 * Either may come from the command line instead (issim_scenario_overrides):
 * its messages then name the option rather than a line of the file.
 */
#include "scenario_impl.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A failure of the key `key` given at `line` of the file, or on the command
 * line as --KEY when `from_option`. */
static int level_fail(builder *b, int from_option, const char *key, int line, const char *fmt,
                      ...) __attribute__((format(printf, 5, 6)));
static int level_fail(builder *b, int from_option, const char *key, int line, const char *fmt,
                      ...)
{
  char msg[ISSIM_ERROR_MESSAGE_SIZE];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (!from_option)
    return issim_inifile_fail(b->r, line, "%s", msg);
  if (b->r->error_line == 0) {
    issim_error_set_key(b->r->err, ISSIM_EINVAL, key, "--%s: %s", key, msg);
    b->r->error_line = line > 0 ? line : 1;
  }
  return 0;
}

static int threshold_fail(builder *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int threshold_fail(builder *b, const char *fmt, ...)
{
  char msg[ISSIM_ERROR_MESSAGE_SIZE];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return level_fail(b, b->threshold_from_option, "threshold", b->threshold_line, "%s", msg);
}

/* The loss's mean and sd for "K sigma" values (text: the whole list). */
static int sigma_scale(builder *b, const char *text, double *mean, double *sd)
{
  issim_problem pb = issim_scenario_problem(b->s, NULL);
  if (!issim_problem_loss_moments(&pb, mean, sd))
    return threshold_fail(b, "threshold = %s needs the loss's mean and standard deviation, which "
                          "issim knows for the target itself in one dimension, and for a linear "
                          "or sum loss of a multivariate normal, a multivariate t with df > 2, or "
                          "independent components with finite variances; give the threshold as "
                          "a number", text);
  if (!(*sd > 0))
    return threshold_fail(b, "threshold = %s: the loss has standard deviation 0 (are the weights "
                          "all zero?), so no threshold in sigmas exists", text);
  return 1;
}

/* The number of a value: itself, or mean +- K sd. */
static double level_number(const issim_scenario *s, const issim_level_value *v, double mean,
                           double sd)
{
  if (!v->sigma)
    return v->value;
  return s->event.direction == ISSIM_ABOVE ? mean + v->value * sd : mean - v->value * sd;
}

/* The values of the text: one value as before lists existed (its messages
 * unchanged), or a list. */
static int read_values(builder *b, const char *t, issim_level_value *v, size_t *n)
{
  issim_error inner;
  if (strchr(t, ',') || strstr(t, "..")) {
    if (issim_parse_levels(t, "threshold", v, ISSIM_SCENARIO_MAX_LEVELS, n, &inner) != ISSIM_OK)
      return threshold_fail(b, "%s", inner.message);
    return 1;
  }
  char *end;
  double k = strtod(t, &end);
  while (isspace((unsigned char)*end))
    end++;
  *n = 1;
  v[0] = (issim_level_value){.value = k, .sigma = 1};
  if (end != t && strcmp(end, "sigma") == 0 && isfinite(k))
    return 1;
  v[0].sigma = 0;
  if (issim_parse_number(t, "threshold", &v[0].value, &inner) != ISSIM_OK)
    return threshold_fail(b, "%s; it may also be given in standard deviations of the loss, e.g. "
                          "threshold = 5 sigma", inner.message);
  return 1;
}

/* A level (not the main threshold, which scenario.c checks with its own
 * messages) where the event is impossible under the target: P = 0 exactly. */
static int check_level_possible(builder *b, double t)
{
  issim_scenario *s = b->s;
  issim_problem pb = issim_scenario_problem(s, NULL);
  pb.event.threshold = t;
  double lo, hi;
  int above = s->event.direction == ISSIM_ABOVE;
  const issim_dist *line = issim_model_line_dist(s->target);
  if (line) {
    issim_problem_event_region(&pb, &lo, &hi);
    if (lo < hi)
      return 1;
    lo = line->lower, hi = line->upper;
  } else if (s->event.loss == NULL || !issim_problem_loss_range(&pb, &lo, &hi) ||
             (above ? t < hi : t > lo)) {
    return 1;
  }
  return threshold_fail(b, "the threshold %.10g of the list makes the event impossible under the "
                        "target (the loss ranges over [%.10g, %.10g]), so P = 0 exactly; choose "
                        "thresholds %s %.10g", t, lo, hi, above ? "below" : "above",
                        above ? hi : lo);
}

static int compare_doubles(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* s->levels: the values ascending, without repeats, each with its sigmas. */
static int store_levels(builder *b, const issim_level_value *v, size_t n, double mean, double sd)
{
  issim_scenario *s = b->s;
  double *t = malloc(n * sizeof *t);
  s->levels = malloc(n * sizeof *s->levels);
  s->level_sigmas = malloc(n * sizeof *s->level_sigmas);
  if (t == NULL || s->levels == NULL || s->level_sigmas == NULL) {
    free(t);
    b->r->nomem = 1;
    return 0;
  }
  for (size_t i = 0; i < n; i++)
    t[i] = level_number(s, &v[i], mean, sd);
  qsort(t, n, sizeof *t, compare_doubles);
  s->n_levels = 0;
  for (size_t i = 0; i < n; i++)
    if (s->n_levels == 0 || t[i] != s->levels[s->n_levels - 1])
      s->levels[s->n_levels++] = t[i];
  for (size_t k = 0; k < s->n_levels; k++) { /* the sigmas of the first value giving it */
    s->level_sigmas[k] = NAN;
    for (size_t i = 0; i < n && isnan(s->level_sigmas[k]); i++)
      if (v[i].sigma && level_number(s, &v[i], mean, sd) == s->levels[k])
        s->level_sigmas[k] = v[i].value;
  }
  free(t);
  for (size_t k = 0; k < s->n_levels; k++)
    if (s->levels[k] != s->event.threshold && !check_level_possible(b, s->levels[k]))
      return 0;
  return 1;
}

int scenario_resolve_levels(builder *b)
{
  issim_scenario *s = b->s;
  const char *t = b->threshold_text;
  issim_level_value *v = malloc(ISSIM_SCENARIO_MAX_LEVELS * sizeof *v);
  if (v == NULL) {
    b->r->nomem = 1;
    return 0;
  }
  size_t n = 0;
  double mean = NAN, sd = NAN;
  int ok = read_values(b, t, v, &n);
  int any_sigma = 0;
  for (size_t i = 0; ok && i < n; i++)
    any_sigma |= v[i].sigma;
  if (ok && any_sigma)
    ok = sigma_scale(b, t, &mean, &sd);
  for (size_t i = 0; ok && n > 1 && i < n; i++) /* K sigma beyond the doubles: +-inf */
    if (!isfinite(level_number(s, &v[i], mean, sd)))
      ok = threshold_fail(b, "threshold = %s: %.10g sigma (of a loss with mean %.10g and sd "
                          "%.10g) lies beyond the largest double; give thresholds the loss can "
                          "reach", t, v[i].value, mean, sd);
  if (ok) {
    s->event.threshold = level_number(s, &v[0], mean, sd);
    s->event.threshold_sigmas = v[0].sigma ? v[0].value : NAN;
    ok = store_levels(b, v, n, mean, sd);
  }
  free(v);
  return ok;
}

int scenario_resolve_quantiles(builder *b)
{
  issim_scenario *s = b->s;
  const char *t = b->quantile_text;
  if (t == NULL)
    return 1;
  const int opt = b->quantile_from_option;
  issim_level_value v[ISSIM_SCENARIO_MAX_QUANTILES];
  size_t n = 0;
  issim_error inner;
  if (strstr(t, ".."))
    return level_fail(b, opt, "quantile", b->quantile_line, "quantile = %s: give the "
                      "probabilities one by one, e.g. quantile = 1e-4, 1e-6", t);
  if (issim_parse_levels(t, "quantile", v, ISSIM_SCENARIO_MAX_QUANTILES, &n, &inner) != ISSIM_OK)
    return level_fail(b, opt, "quantile", b->quantile_line, "%s", inner.message);
  s->quantiles = malloc(n * sizeof *s->quantiles);
  if (s->quantiles == NULL) {
    b->r->nomem = 1;
    return 0;
  }
  for (size_t i = 0; i < n; i++) {
    if (v[i].sigma || !(v[i].value > 0 && v[i].value < 1))
      return level_fail(b, opt, "quantile", b->quantile_line,
                        "quantile = %s: each value is a probability alpha above 0 and below 1, "
                        "the chance that the loss goes beyond the level estimated", t);
    s->quantiles[s->n_quantiles++] = v[i].value;
  }
  return 1;
}
