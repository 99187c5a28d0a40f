#include "compare.h"

#include <stdlib.h>

#include <math.h>

static double efficiency_of(const issim_result *r)
{
  const issim_estimate *e = &r->estimate;
  if (e->hits == 0 || !(e->relative_variance > 0) || !(r->seconds > 0))
    return 0;
  return 1.0 / (e->relative_variance * r->seconds / (double)e->samples);
}

static double efficiency_per_call_of(const issim_result *r)
{
  const issim_estimate *e = &r->estimate;
  uint64_t calls = issim_calls_total(&r->calls);
  if (e->hits == 0 || !(e->relative_variance > 0) || calls == 0)
    return 0;
  return 1.0 / (e->relative_variance * (double)calls / (double)e->samples);
}

void issim_reference_choose(const issim_reference_candidate *c, size_t n, double exact_log,
                            issim_reference *ref)
{
  *ref = (issim_reference){.exact = 1, .log_value = exact_log};
  if (!isnan(exact_log))
    return;
  ref->exact = 0;
  double best = INFINITY;
  for (size_t i = 0; i < n; i++)
    if (c[i].trusted && c[i].relative_error < best) {
      best = c[i].relative_error;
      ref->proposal = i;
      ref->log_value = c[i].log_value;
    }
}

void issim_compare_reference(const issim_result *results, size_t n, double exact_log,
                             issim_reference *ref)
{
  issim_reference_candidate *c = calloc(n ? n : 1, sizeof *c);
  for (size_t i = 0; c && i < n; i++) {
    const issim_estimate *e = &results[i].estimate;
    c[i] = (issim_reference_candidate){
      .trusted = results[i].verdict.level == ISSIM_TRUSTWORTHY && e->hits > 0,
      .log_value = e->log_estimate, .relative_error = e->relative_error,
    };
  }
  if (c)
    issim_reference_choose(c, n, exact_log, ref);
  else /* out of memory: the exact value alone */
    *ref = (issim_reference){.exact = !isnan(exact_log), .log_value = exact_log};
  free(c);
}

static int excludes(const issim_result *r, const issim_reference *ref, size_t index)
{
  const issim_estimate *e = &r->estimate;
  if (isnan(ref->log_value) || e->hits == 0 || (!ref->exact && ref->proposal == index))
    return 0;
  /* |P_hat - ref| > 1.96 SE, with the relative error floored at rounding */
  double rel = fmax(e->relative_error, ISSIM_RELATIVE_PRECISION);
  double ratio = exp(ref->log_value - e->log_estimate); /* ref / P_hat */
  return fabs(ratio - 1) > ISSIM_Z95 * rel;
}

/* Does x rank before y? */
static int ranks_before(const issim_ranked *x, const issim_ranked *y, const issim_result *results,
                        issim_rank_by by)
{
  const issim_result *rx = &results[x->index], *ry = &results[y->index];
  if (rx->verdict.level != ry->verdict.level)
    return rx->verdict.level < ry->verdict.level;
  double ex = by == ISSIM_RANK_BY_CALLS ? x->efficiency_per_call : x->efficiency;
  double ey = by == ISSIM_RANK_BY_CALLS ? y->efficiency_per_call : y->efficiency;
  if (ex != ey)
    return ex > ey;
  return x->index < y->index;
}

/* An insertion sort: a scenario has a handful of proposals, and qsort would
 * need the results in a global. */
static void sort_ranked(issim_ranked *ranked, size_t n, const issim_result *results,
                        issim_rank_by by)
{
  for (size_t i = 1; i < n; i++) {
    issim_ranked item = ranked[i];
    size_t j = i;
    for (; j > 0 && ranks_before(&item, &ranked[j - 1], results, by); j--)
      ranked[j] = ranked[j - 1];
    ranked[j] = item;
  }
}

void issim_compare_rank(const issim_result *results, size_t n, double exact_log,
                        issim_ranked *ranked, issim_reference *ref)
{
  issim_compare_rank_by(results, n, exact_log, ISSIM_RANK_BY_SECONDS, ranked, ref);
}

void issim_compare_rank_by(const issim_result *results, size_t n, double exact_log,
                           issim_rank_by by, issim_ranked *ranked, issim_reference *ref)
{
  issim_compare_reference(results, n, exact_log, ref);
  /* plain Monte Carlo's efficiency from its exact relative variance (1-P)/P at
   * the reference P, and its measured speed: its own few hits would say
   * little about its variance */
  double log_crude = NAN;
  for (size_t i = 0; i < n; i++) {
    const issim_result *r = &results[i];
    if (r->proposal->model == NULL && r->seconds > 0 &&
        !isnan(ref->log_value))
      log_crude = ref->log_value - log1p(-exp(ref->log_value)) -
                  log(r->seconds / (double)r->estimate.samples);
  }
  for (size_t i = 0; i < n; i++) {
    ranked[i] = (issim_ranked){
      .index = i, .efficiency = efficiency_of(&results[i]),
      .efficiency_per_call = efficiency_per_call_of(&results[i]),
      .excludes_reference = excludes(&results[i], ref, i),
    };
    ranked[i].log_gain_over_crude_work =
        ranked[i].efficiency > 0 ? log(ranked[i].efficiency) - log_crude : NAN;
  }
  sort_ranked(ranked, n, results, by);
}

/* (P_a - P_b) / sqrt(SE_a^2 + SE_b^2), from the logs (P may be below the
 * smallest double): everything relative to the larger estimate. */
static double distance(const issim_estimate *a, const issim_estimate *b)
{
  double m = fmax(a->log_estimate, b->log_estimate);
  double pa = exp(a->log_estimate - m), pb = exp(b->log_estimate - m);
  double sa = exp(a->log_std_error - m), sb = exp(b->log_std_error - m);
  double se = sqrt(sa * sa + sb * sb);
  return se > 0 ? (pa - pb) / se : (pa == pb ? 0 : INFINITY);
}

/* Demotes two estimates, each judged trustworthy before any cross-check
 * (was_a, was_b), that disagree; `at` names where, "" for the run's own
 * threshold.  1 when they disagree. */
static int cross_check_pair(const issim_estimate *ea, issim_verdict *va, const char *a,
                            issim_verdict_level was_a, const issim_estimate *eb,
                            issim_verdict *vb, const char *b, issim_verdict_level was_b,
                            const char *at)
{
  if (was_a != ISSIM_TRUSTWORTHY || was_b != ISSIM_TRUSTWORTHY)
    return 0;
  double z = distance(ea, eb);
  if (!(fabs(z) > ISSIM_CROSS_CHECK_Z))
    return 0;
  issim_verdict_add(va, ISSIM_DOUBTFUL,
                    "disagrees with '%s'%s, also judged trustworthy: the two estimates are %.1f "
                    "combined standard errors apart, so at most one of them is right (a "
                    "region one of them does not reach, or a tail heavier than its draws show)",
                    b, at, fabs(z));
  issim_verdict_add(vb, ISSIM_DOUBTFUL,
                    "disagrees with '%s'%s, also judged trustworthy: the two estimates are %.1f "
                    "combined standard errors apart, so at most one of them is right (a "
                    "region one of them does not reach, or a tail heavier than its draws show)",
                    a, at, fabs(z));
  return 1;
}

size_t issim_compare_cross_check(issim_result *results, size_t n)
{
  size_t pairs = 0;
  issim_verdict_level *was = malloc((n ? n : 1) * sizeof *was);
  if (was == NULL)
    return 0;
  for (size_t i = 0; i < n; i++) /* judged on the verdicts before any cross-check */
    was[i] = results[i].verdict.level;
  for (size_t i = 0; i < n; i++)
    for (size_t j = i + 1; j < n; j++)
      pairs += (size_t)cross_check_pair(
          &results[i].estimate, &results[i].verdict, results[i].proposal->name, was[i],
          &results[j].estimate, &results[j].verdict, results[j].proposal->name, was[j], "");
  free(was);
  return pairs;
}

/* The same at level k of every curve (the levels are the scenario's, the
 * same for every proposal). */
static size_t cross_check_level(issim_result *results, size_t n, size_t k,
                                issim_verdict_level *was)
{
  size_t pairs = 0;
  for (size_t i = 0; i < n; i++)
    was[i] = results[i].curve->levels[k].verdict.level;
  char at[64];
  snprintf(at, sizeof at, " at the threshold %.6g", results[0].curve->levels[k].threshold);
  for (size_t i = 0; i < n; i++)
    for (size_t j = i + 1; j < n; j++) {
      issim_curve_level *a = &results[i].curve->levels[k], *b = &results[j].curve->levels[k];
      pairs += (size_t)cross_check_pair(&a->estimate, &a->verdict, results[i].proposal->name,
                                        was[i], &b->estimate, &b->verdict,
                                        results[j].proposal->name, was[j], at);
    }
  return pairs;
}

size_t issim_compare_cross_check_curves(issim_result *results, size_t n)
{
  size_t levels = n > 0 && results[0].curve ? results[0].curve->n_levels : 0;
  for (size_t i = 0; i < n; i++)
    if (results[i].curve == NULL || results[i].curve->n_levels != levels)
      return 0;
  issim_verdict_level *was = malloc((n ? n : 1) * sizeof *was);
  size_t pairs = 0;
  for (size_t k = 0; was && k < levels; k++)
    pairs += cross_check_level(results, n, k, was);
  free(was);
  return pairs;
}
