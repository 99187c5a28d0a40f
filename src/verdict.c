#include "verdict.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>

/* PSIS thresholds (Vehtari et al.) and the event-ESS rule of docs/estimators.md */
#define KHAT_DOUBTFUL 0.5
#define KHAT_UNRELIABLE 0.7
#define EVENT_ESS_DOUBTFUL 100
#define EVENT_ESS_UNRELIABLE 30
#define SHARE_DOUBTFUL 0.1
#define SHARE_UNRELIABLE 0.5
#define MEAN_WEIGHT_MIN_ESS 1000
#define MEAN_WEIGHT_MIN_GAP 0.05
/* expected draws of a proposal in a failure region's half-space */
#define REGION_VISITS_UNRELIABLE 1
#define REGION_VISITS_DOUBTFUL 10
/* the sample's SE against the exact one: 1/sqrt 2 (variance half the exact),
 * 1/2 (a quarter) */
#define SE_RATIO_DOUBTFUL 0.70710678118654752
#define SE_RATIO_UNRELIABLE 0.5


static void judge_khat(issim_verdict *v, double k)
{
  if (isnan(k))
    return;
  if (k > KHAT_UNRELIABLE)
    issim_verdict_add(v, ISSIM_UNRELIABLE,
        "Pareto k-hat = %.2f > 0.7: the largest weights follow a tail so heavy that the "
        "central limit theorem does not hold at this sample size", k);
  else if (k > KHAT_DOUBTFUL)
    issim_verdict_add(v, ISSIM_DOUBTFUL,
        "Pareto k-hat = %.2f is between 0.5 and 0.7: the weights' variance may be infinite; "
        "the error bar converges slowly if at all", k);
}

/* Equal weights (plain Monte Carlo) make the event ESS and the largest share
 * k and 1/k exactly, which the sums give to a few ulps either side: a value
 * within rounding of a threshold is at it, and no rule fires on rounding. */
#define BELOW(x, threshold) ((x) < (threshold) * (1 - ISSIM_RELATIVE_PRECISION))
#define ABOVE(x, threshold) ((x) > (threshold) * (1 + ISSIM_RELATIVE_PRECISION))

/* With finite variance (analytic) and the exact SE known: whether the
 * sample's SE is near the exact one, in which case k-hat is not judged
 * (returns 1); when it is well below, the error bar is over-confident
 * whatever k-hat says. */
static int judge_std_error(issim_verdict *v, const issim_estimate *e,
                           const issim_verdict_inputs *in)
{
  if (!in->has_exact_std_error || in->variance != ISSIM_VARIANCE_FINITE ||
      isnan(in->exact_log_std_error) || isnan(e->log_std_error))
    return 0;
  if (in->exact_log_std_error == -INFINITY) /* a certain event: no SE can be too narrow */
    return 1;
  double ratio = exp(e->log_std_error - in->exact_log_std_error);
  if (ratio >= SE_RATIO_DOUBTFUL)
    return 1;
  issim_verdict_add(v, ratio < SE_RATIO_UNRELIABLE ? ISSIM_UNRELIABLE : ISSIM_DOUBTFUL,
      "the standard error is %.2g of the exact one (from the exact variance of the weights): "
      "the draws that carry the variance are missing from this sample, and the error bar is "
      "too narrow", ratio);
  return 0;
}

static void judge_weights(issim_verdict *v, const issim_estimate *e)
{
  if (BELOW(e->event_ess, EVENT_ESS_UNRELIABLE))
    issim_verdict_add(v, ISSIM_UNRELIABLE, "event ESS = %.1f: fewer than 30 effective draws carry the "
                             "estimate, so its standard error is itself unreliable", e->event_ess);
  else if (BELOW(e->event_ess, EVENT_ESS_DOUBTFUL))
    issim_verdict_add(v, ISSIM_DOUBTFUL, "event ESS = %.1f is below 100: the standard error is only a "
                           "rough guide", e->event_ess);
  if (ABOVE(e->max_weight_share, SHARE_UNRELIABLE))
    issim_verdict_add(v, ISSIM_UNRELIABLE, "one draw carries %.0f%% of the estimate",
        100 * e->max_weight_share);
  else if (ABOVE(e->max_weight_share, SHARE_DOUBTFUL))
    issim_verdict_add(v, ISSIM_DOUBTFUL, "one draw carries %.0f%% of the estimate", 100 * e->max_weight_share);
}

/* A failure region the draws cannot have visited: the estimate leaves out its
 * share, and nothing in the draws' weights shows it.  Returns the level
 * given (trustworthy: none). */
static issim_verdict_level judge_regions(issim_verdict *v, const issim_region_check *c,
                                         uint64_t samples)
{
  if (c == NULL || c->n_checked == 0)
    return ISSIM_TRUSTWORTHY;
  double n = (double)samples, share;
  size_t w = 0;
  size_t missed = issim_region_check_short(c, n, REGION_VISITS_UNRELIABLE, &share, &w);
  issim_verdict_level level = ISSIM_UNRELIABLE;
  if (missed == 0) {
    missed = issim_region_check_short(c, n, REGION_VISITS_DOUBTFUL, &share, &w);
    level = ISSIM_DOUBTFUL;
  }
  if (missed == 0)
    return ISSIM_TRUSTWORTHY;
  char more[96] = "";
  if (missed > 1)
    snprintf(more, sizeof more, " (and %zu more such regions: %.0f%% in all)", missed - 1,
             100 * share);
  double visits = n * exp(c->log_q[w]);
  issim_verdict_add(v, level,
      "the event has %zu failure regions (design points); region %zu at %s, beta = %.3g, holds "
      "about %.0f%% of the first-order probability, and this proposal %s: %.2g expected draws "
      "there in %.0f%s; %s",
      c->n_regions, c->index[w] + 1, c->where[w], c->beta[w], 100 * c->share[w],
      level == ISSIM_UNRELIABLE ? "cannot have visited it" : "visits it only a few times",
      visits, n, more,
      level == ISSIM_UNRELIABLE
          ? "the estimate leaves that share out and nothing in the draws' weights shows it "
            "(use shift = design-points, or a mixture with a component in every region)"
          : "that region's part of the estimate rests on a handful of draws");
  return level;
}

/* The same from the draws (regions.h's rule): for any proposal, including
 * those the analytic check cannot judge; said only when it is worse than
 * what the analytic check said. */
static void judge_regions_drawn(issim_verdict *v, const issim_region_check *c,
                                issim_verdict_level analytic)
{
  if (c == NULL || !c->drawn || analytic == ISSIM_UNRELIABLE)
    return;
  double share;
  size_t w = 0;
  size_t missed = issim_region_check_unseen(c, 1, &share, &w);
  issim_verdict_level level = ISSIM_UNRELIABLE;
  if (missed == 0) {
    missed = issim_region_check_unseen(c, 0, &share, &w);
    level = ISSIM_DOUBTFUL;
  }
  if (missed == 0 || level <= analytic)
    return;
  char more[96] = "";
  if (missed > 1)
    snprintf(more, sizeof more, " (and %zu more such regions: %.0f%% in all)", missed - 1,
             100 * share);
  issim_verdict_add(v, level,
      "from the draws: the event has %zu failure regions (design points); region %zu at %s, "
      "beta = %.3g, holds about %.0f%% of the first-order probability but %llu of this "
      "proposal's %llu hits (%.2g%% of the estimate), where a proposal visiting it even a "
      "tenth as often as the target does would have put about %.3g%s; %s",
      c->n_regions, c->index[w] + 1, c->where[w], c->beta[w], 100 * c->share[w],
      (unsigned long long)c->hits[w], (unsigned long long)c->hits_total,
      100 * c->estimate_share[w], issim_region_check_expected_hits(c, w) / ISSIM_REGION_NEGLECT,
      more,
      level == ISSIM_UNRELIABLE
          ? "the estimate leaves that share out (use shift = design-points, or a mixture with a "
            "component in every region)"
          : "that region's part of the estimate rests on a handful of draws");
}

/* Draws whose log-weight is NaN (densities that could not be evaluated: a
 * draw beyond the largest double, where both read 0) are counted with weight
 * 0, but their true weight is unknown.  Had each carried a hit's average
 * weight, P_hat / hits * N, the estimate would be higher by invalid / hits of
 * itself: more than one standard error (invalid / hits > RE) is unreliable,
 * any at all doubtful. */
static void judge_invalid(issim_verdict *v, const issim_estimate *e)
{
  if (e->invalid == 0)
    return;
  double shift = (double)e->invalid / (double)e->hits;
  int many = !(shift <= e->relative_error); /* also when the RE is undefined */
  issim_verdict_add(v, many ? ISSIM_UNRELIABLE : ISSIM_DOUBTFUL,
      "%llu draw%s had an undefined log-weight (NaN, or q(x) = 0 at a draw of q: the "
      "densities could not be evaluated there, e.g. beyond the largest double) and %s counted with weight 0; at a hit's average "
      "weight %s would move the estimate by %.3g%%, %s its relative error",
      (unsigned long long)e->invalid, e->invalid == 1 ? "" : "s", e->invalid == 1 ? "was" : "were",
      e->invalid == 1 ? "it" : "they", 100 * shift, many ? "more than" : "within");
}

static void judge_mean_weight(issim_verdict *v, const issim_estimate *e, double expected)
{
  if (isnan(expected) || e->ess < MEAN_WEIGHT_MIN_ESS)
    return;
  double gap = fabs(e->mean_weight - expected);
  /* weights of normalised p and q average P_p(support of q) exactly; a gap of
   * both 4 standard errors and 5% is a set-up that is not what it seems, or a
   * weight distribution heavier than this sample shows */
  if (gap > 4 * e->mean_weight_se && gap > MEAN_WEIGHT_MIN_GAP * expected)
    issim_verdict_add(v, ISSIM_DOUBTFUL,
        "the mean weight is %.6g, %.1f standard errors from %.6g (the target's mass on the "
        "proposal's support): the weights are heavier-tailed than this sample shows, or the "
        "densities are not what the scenario says",
        e->mean_weight, gap / e->mean_weight_se, expected);
}

void issim_verdict_judge(const issim_estimate *e, const issim_verdict_inputs *in,
                         issim_verdict *v)
{
  v->level = ISSIM_TRUSTWORTHY;
  v->khat_not_judged = 0;
  v->n_reasons = 0;
  if (in->variance == ISSIM_VARIANCE_INFINITE)
    issim_verdict_add(v, ISSIM_UNRELIABLE, "%s", in->variance_reason ? in->variance_reason
                                                         : "the weights have infinite variance");
  if (e->hits == 0) {
    issim_verdict_add(v, ISSIM_UNRELIABLE, "no draw hit the event");
    judge_invalid(v, e);
    return;
  }
  judge_regions_drawn(v, in->regions_drawn ? in->regions_drawn : in->regions,
                      judge_regions(v, in->regions, e->samples));
  if (!judge_std_error(v, e, in))
    judge_khat(v, in->pareto_k);
  else
    v->khat_not_judged = in->pareto_k > KHAT_DOUBTFUL;
  judge_weights(v, e);
  judge_mean_weight(v, e, in->expected_mean_weight);
  judge_invalid(v, e);
}

void issim_verdict_add(issim_verdict *v, issim_verdict_level level, const char *fmt, ...)
{
  if (level > v->level)
    v->level = level;
  if (v->n_reasons == ISSIM_VERDICT_MAX_REASONS)
    return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(v->reasons[v->n_reasons++], ISSIM_VERDICT_REASON_SIZE, fmt, ap);
  va_end(ap);
}

void issim_verdict_add_loss_failure(issim_verdict *v, uint64_t draws)
{
  issim_verdict_add(v, ISSIM_UNRELIABLE,
                    "the loss failed after %llu draws: the estimate holds only the draws "
                    "before that, and misses whatever part of the event lies where the loss "
                    "cannot be evaluated", (unsigned long long)draws);
}

const char *issim_verdict_name(issim_verdict_level level)
{
  switch (level) {
  case ISSIM_TRUSTWORTHY: return "trustworthy";
  case ISSIM_DOUBTFUL: return "doubtful";
  case ISSIM_UNRELIABLE: return "unreliable";
  }
  return "unknown";
}
