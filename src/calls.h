/* calls.h: the cost of a run in calls of the model: loss evaluations.
 *
 * When the loss is a user's model (loss.h: a function, a plugin, a
 * program), its evaluations are what a run costs, not its draws or its
 * seconds.  A proposal's calls are everything a run of that proposal alone
 * makes, in the order it makes them:
 *   regions  the search of the event's failure regions (regions.h), made
 *            once per scenario before any draw; every proposal's run
 *            needs it, so each counts it
 *   setup    the proposal's own work before its draws: the design-point
 *            search (and curvatures) that built it (design.h, form.h), or
 *            the cross-entropy levels that fitted it (adapt.h), with the
 *            search of the proposal it started from
 *   pilot    the quantiles' pilot draws (quantile.h)
 *   draws    the run's draws, one evaluation each (all replications' in
 *            calibrate)
 * Searches are counted on the loss copy they evaluate (issim_loss_calls);
 * the draws are the run's, merged block by block in the engine's fixed
 * order, so the count is the same for any thread or process count.  A run
 * stopped early (a relative-error target, a time limit, a failure) may
 * have evaluated a few batches more on threads whose blocks it drops: not
 * counted, since they depend on the threads.
 *
 * An event on x itself (a univariate scenario, loss = identity) calls no
 * model: its calls are 0 and a report says so rather than count draws.
 */
#ifndef ISSIM_CALLS_H
#define ISSIM_CALLS_H

#include <stdint.h>

#include "error.h"
#include "problem.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
  int model;         /* 1: the event calls a loss; 0: it is on x, every count 0 */
  uint64_t regions, setup, pilot, draws;
} issim_calls;

/* Whether problem pb's event calls a loss (not on x itself: event.h). */
int issim_calls_model(const issim_problem *pb);

/* regions + setup + pilot + draws. */
uint64_t issim_calls_total(const issim_calls *c);

/* The most draws a run may make within max_calls (>= 1) evaluations when
 * c->regions + c->setup were spent before it, with the quantiles' pilot
 * (quantile.h's issim_quantile_pilot_draws) when `pilot`: the largest n
 * with before + n + pilot(n) <= max_calls.  ISSIM_EINVAL, with a message
 * saying what the set-up spent, when that leaves no draw, or saying there
 * is no model to budget when c->model is 0. */
int issim_calls_draws_within(uint64_t max_calls, const issim_calls *c, int pilot,
                             uint64_t *draws, issim_error *err);

#ifdef __cplusplus
}
#endif

#endif
