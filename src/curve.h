/* curve.h: a proposal's exceedance curve and quantiles, judged.
 *
 * A scenario whose threshold is a list (scenario.h's levels) or that asks
 * for quantiles gets, for each proposal, an issim_curve: every level's
 * P(g > t) (or P(g < t)) from the run's own draws with its error bar,
 * diagnostics and verdict, and each quantile with its 95% interval and
 * verdict (docs/exceedance.md).  The proposal was designed for the main
 * threshold only; each level is judged on its own draws by verdict.h's
 * rules with its own inputs:
 *   - its Pareto k-hat, event ESS, largest share, hits (a level far from
 *     the proposal's reach has few hits: its verdict says so);
 *   - the analytic tail check on its own event region, and the exact
 *     standard error there where divergence.h knows it;
 *   - a univariate proposal whose support (a mixture's: the union of its
 *     parts') misses part of the level's event region is unreliable there
 *     (its estimate leaves that part out);
 *   - the failure regions of the level's own threshold (regions.h's search
 *     at t, and its analytic check of the proposal against them): a region
 *     negligible at the main threshold may carry most of the probability at
 *     another, and a proposal designed for the main threshold miss it there
 *     while every draw looks fine; where the search at t finds no region,
 *     the main threshold's check stands in;
 *   - the run's attribution of the level's own hits to the level's own
 *     regions (regions.h's draws rule, issim_region_levels): a proposal
 *     whose draws reach a region only where it overlaps another, or a
 *     handful of times, is caught there as at the main threshold (where the
 *     search at t finds no region, the main threshold's attribution stands
 *     in);
 *   - the run's mean weight, which is the proposal's, not the level's.
 * A quantile takes the worst verdict of the grid levels its estimate and
 * interval span, is unreliable where the pilot could not place its grid or
 * the estimate falls outside it, and doubtful where its interval reaches
 * the grid's end (it is wider than shown).
 *
 * The analytic checks at a threshold (issim_curve_check_at) are also what
 * analysis.h uses at the main threshold.
 */
#ifndef ISSIM_CURVE_H
#define ISSIM_CURVE_H

#include <stddef.h>
#include <stdint.h>

#include "engine.h"
#include "estimator.h"
#include "exceedance.h"
#include "quantile.h"
#include "regions.h"
#include "scenario.h"
#include "tail.h"
#include "verdict.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Whether proposal p of scenario s is judged by the model rules (a
 * d-dimensional scenario, or a mixture) rather than on the line. */
int issim_curve_model_rules(const issim_scenario *s, const issim_proposal *p);

/* The analytic tail check of p on the event's region at threshold t
 * (tail.h), its explanation in reason when infinite. */
issim_variance issim_curve_tail_check_at(const issim_scenario *s, const issim_proposal *p,
                                         double t, char *reason, size_t size);

/* The exact relative variance of p's weights on the event at t (divergence.h)
 * when variance is ISSIM_VARIANCE_FINITE and issim knows it (univariate pairs;
 * elliptical pairs with a linear loss), with *exact_log the exact log P there;
 * both NAN otherwise. */
double issim_curve_exact_rv_at(const issim_scenario *s, const issim_proposal *p, double t,
                               issim_variance variance, double *exact_log);

typedef struct {
  double threshold;
  double sigmas;              /* in sd of the loss; NAN: written as a number */
  int main;                   /* the main threshold: the run's own estimate */
  issim_estimate estimate;
  double pareto_k;            /* NAN when not computed */
  issim_variance variance;    /* the analytic tail check at this threshold */
  char variance_reason[ISSIM_VERDICT_REASON_SIZE];
  int covers;                 /* the proposal puts mass on all of the event region here */
  double exact_log;           /* log P exactly, NAN when unknown */
  double exact_rv;            /* the exact relative variance, NAN when unknown */
  const issim_region_check *regions; /* the proposal against the failure regions at
                                      * this threshold; NULL: none found there */
  issim_verdict verdict;
} issim_curve_level;

typedef struct {
  double alpha;
  issim_quantile_pilot pilot;
  double grid[ISSIM_QUANTILE_GRID];  /* when the pilot placed it */
  issim_curve_level *at;             /* the grid's levels, ISSIM_QUANTILE_GRID of them */
  issim_quantile_estimate q;         /* the estimate, its interval, the grid's indices */
  double exact;                      /* the exact quantile, NAN when unknown */
  issim_regions found;               /* the failure regions at the grid's middle */
  issim_region_check *regions;       /* the proposal against them, one check per grid
                                      * level (each its own draws); NULL: none */
  issim_verdict verdict;
} issim_curve_quantile;

typedef struct {
  size_t n_levels;
  issim_curve_level *levels;         /* the scenario's levels, ascending */
  issim_region_check *level_regions; /* n_levels checks, the levels' regions point here */
  issim_regions *level_found;        /* n_levels: the regions found at each level */
  size_t n_quantiles;
  issim_curve_quantile *quantiles;   /* in the scenario's order */
  uint64_t pilot_draws;              /* the quantiles' pilot, 0 without quantiles */
  int above;                         /* the event is g > t (else g < t) */
  size_t n_tally;                    /* the thresholds the run tallies */
  double *tally;                     /* and which (every level but the main one,
                                      * then each placed grid) */
} issim_curve;

/* Does scenario s ask for a curve (several thresholds) or quantiles? */
int issim_curve_wanted(const issim_scenario *s);

/* The curve of proposal p before its run cfg: each level's analytic checks
 * and exact P, each quantile's pilot (drawn here) and grid, and the
 * thresholds to tally.  *out NULL when s asks for no curve.  ISSIM_OK,
 * ISSIM_ENOMEM or the pilot's error. */
int issim_curve_prepare(const issim_scenario *s, const issim_proposal *p,
                        const issim_run_config *cfg, issim_curve **out, issim_error *err);

/* The tally the run fills for c (engine.h's levels), with k-hat tails for a
 * run of `samples` draws: each level's k-hat is fitted to its largest
 * min(N/5, 3 sqrt N, ISSIM_CURVE_TAIL - 1) weights (the main threshold's to
 * khat.h's M), so that a curve's memory stays a few MB; NULL when out of
 * memory or when c tallies nothing (a list of one threshold, and no
 * quantile placed). */
#define ISSIM_CURVE_TAIL 1024
issim_exceedance *issim_curve_tally(const issim_curve *c, uint64_t samples);

/* The tally of each tallied threshold's hits by its own failure regions
 * (regions.h's issim_region_levels, in c's tally order): a threshold with at
 * least two regions, one of them checked, as the main threshold's) into
 * *out, NULL when no threshold has such regions.  ISSIM_OK or ISSIM_ENOMEM. */
int issim_curve_region_tally(const issim_curve *c, issim_region_levels **out);

/* What the run's main threshold gave, for its level of the curve and for
 * the rules that are the proposal's. */
typedef struct {
  const issim_estimate *estimate;
  double pareto_k;
  const issim_verdict *verdict;
  double expected_mean_weight;         /* verdict.h's; NAN: not checked */
  const issim_region_check *regions;   /* NULL: none */
  issim_variance variance;             /* the main tail check */
  uint64_t failed_after;               /* > 0: the loss failed after so many draws
                                        * (a partial run): every level is unreliable */
} issim_curve_main;

/* After the run: every level's estimate, k-hat and verdict from the tally x
 * (NULL when issim_curve_tally gave none) and the regions' tally xr (NULL
 * when issim_curve_region_tally gave none), the main level from *m; each
 * quantile's estimate, interval and verdict.  threads: for the k-hat fits. */
void issim_curve_judge(issim_curve *c, const issim_exceedance *x, const issim_region_levels *xr,
                       const issim_curve_main *m, int threads);

void issim_curve_free(issim_curve *c);

#ifdef __cplusplus
}
#endif

#endif
