/* verdict.h: can a proposal's error bar be trusted?
 *
 * Combines the analytic tail check (tail.h) with the sample diagnostics of
 * docs/estimators.md into one word and its reasons:
 *   unreliable   no hit; weights of infinite variance (analytic); a failure
 *                region holding at least 1% of the first-order probability
 *                that the proposal cannot have visited (fewer than one
 *                expected draw there, regions.h), or, from the draws, that
 *                got too few hits for a tenth of its share and holds almost
 *                none of the estimate (regions.h's draws rule; said only
 *                when the analytic check did not say unreliable); Pareto
 *                k-hat > 0.7; event
 *                ESS < 30; one draw carries over half the estimate; draws
 *                with an undefined (NaN) log-weight that, at a hit's average
 *                weight, would move the estimate by more than its SE
 *   doubtful     such a region visited fewer than 10 times (expected), or
 *                from the draws one whose few hits carry its share;
 *                k-hat in (0.5, 0.7]; event ESS < 100; one draw carries over a
 *                tenth; the mean weight is both 4 standard errors and 5% away
 *                from the mass the target puts on the proposal's support
 *                (checked only when the Kish ESS is at least 1000, below which
 *                the mean weight's own standard error cannot be trusted); any
 *                draw with an undefined log-weight
 *   trustworthy  none of the above
 * When the tail check proves the variance finite and the exact standard error
 * is known (univariate pairs, and elliptical pairs with a half-space event,
 * divergence.h's issim_*relative_variance_exact), the sample's SE is compared with
 * it: at least 1/sqrt 2 of it, k-hat is not judged (its alarm is the shape
 * of a finite-variance tail at a small N); below, k-hat is judged and the SE
 * itself demotes: doubtful from 1/sqrt 2, unreliable below 1/2.
 */
#ifndef ISSIM_VERDICT_H
#define ISSIM_VERDICT_H

#include <stddef.h>
#include <stdint.h>

#include "estimator.h"
#include "regions.h"
#include "tail.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { ISSIM_TRUSTWORTHY, ISSIM_DOUBTFUL, ISSIM_UNRELIABLE } issim_verdict_level;

#define ISSIM_VERDICT_MAX_REASONS 8
#define ISSIM_VERDICT_REASON_SIZE 640

typedef struct {
  issim_verdict_level level;
  int khat_not_judged; /* k-hat above 0.5 left unjudged: the SE agrees with the exact one */
  size_t n_reasons;
  char reasons[ISSIM_VERDICT_MAX_REASONS][ISSIM_VERDICT_REASON_SIZE];
} issim_verdict;

/* What the verdict looks at besides the estimate. */
typedef struct {
  double pareto_k;              /* NAN when not computed */
  issim_variance variance;      /* the analytic tail check */
  const char *variance_reason;  /* its explanation when infinite */
  double expected_mean_weight;  /* P_p(support of q); NAN to skip the check */
  const issim_region_check *regions; /* the proposal against the event's failure
                                      * regions (regions.h); NULL: no check */
  /* the draws' attribution to regions, when it is another check's than
   * regions' (a level of an exceedance curve judged on its own threshold's
   * regions, with the run's draws attributed to the main threshold's); NULL:
   * regions' own */
  const issim_region_check *regions_drawn;
  /* the exact standard error at this N, P sqrt(rv / N) with rv the exact
   * relative variance (divergence.h), as a log; used only when
   * has_exact_std_error is set (a zeroed struct leaves the rule out) */
  int has_exact_std_error;
  double exact_log_std_error;
} issim_verdict_inputs;

void issim_verdict_judge(const issim_estimate *e, const issim_verdict_inputs *in,
                         issim_verdict *v);

/* Adds a reason at `level` (the verdict becomes at least that level): for
 * judgements made outside issim_verdict_judge, such as the cross-check of
 * proposals against each other (compare.h). */
void issim_verdict_add(issim_verdict *v, issim_verdict_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The run's loss failed after `draws` draws (a partial run, loss.h): the
 * estimate misses whatever the loss cannot evaluate; unreliable. */
void issim_verdict_add_loss_failure(issim_verdict *v, uint64_t draws);

/* "trustworthy", "doubtful" or "unreliable" */
const char *issim_verdict_name(issim_verdict_level level);

#ifdef __cplusplus
}
#endif

#endif
