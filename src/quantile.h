/* quantile.h: rare quantiles: the pilot that places a quantile's grid, and
 * exact quantiles.
 *
 * The loss level exceeded with probability alpha, q with P(g > q) = alpha
 * (for an event g < t: P(g < q) = alpha), is estimated from the weighted
 * draws of a run in two stages (docs/exceedance.md):
 *
 *   1. a pilot of at most ISSIM_QUANTILE_PILOT_MAX draws of the proposal, on
 *      a stream of its own, kept in memory and sorted by loss: its weighted
 *      tail P_hat(t) and standard error at every draw place a grid of
 *      ISSIM_QUANTILE_GRID thresholds over the set of t where |P_hat(t) -
 *      alpha| <= ISSIM_QUANTILE_PILOT_Z standard errors;
 *   2. the run itself estimates P(t) at every threshold of the grid
 *      (exceedance.h), and issim_quantile_invert reads the quantile and its
 *      95% interval off them.
 *
 * The pilot's memory is bounded (16 bytes a draw, 1 MiB at most) and the
 * run's is O(grid): never O(draws).  The pilot draws through
 * issim_engine_replay, so it is the same for any thread or rank count.
 */
#ifndef ISSIM_QUANTILE_H
#define ISSIM_QUANTILE_H

#include <stddef.h>
#include <stdint.h>

#include "engine.h"
#include "error.h"
#include "problem.h"

#ifdef __cplusplus
extern "C" {
#endif

#define ISSIM_QUANTILE_GRID 17
#define ISSIM_QUANTILE_PILOT_MAX 65536u
#define ISSIM_QUANTILE_PILOT_Z 4.0

/* The pilot's stream: the run's, xor this (so that its draws are not the
 * run's first ones). */
#define ISSIM_QUANTILE_PILOT_STREAM 0x7069696c6f74ULL

typedef struct {
  double alpha;
  double estimate;        /* the pilot's weighted quantile; NAN when not placed */
  double lo, hi;          /* the grid's first and last thresholds */
  int placed;             /* 1: the grid is [lo, hi]; 0: the pilot's draws do not
                           * bracket alpha (reason says how) */
  char reason[256];
} issim_quantile_pilot;

/* The pilot's size for a run of n draws: n / 16, at most
 * ISSIM_QUANTILE_PILOT_MAX, at least min(n, 4096). */
uint64_t issim_quantile_pilot_draws(uint64_t n);

/* The pilot of the run cfg of problem pb for k probabilities alpha[j], each
 * above 0 and below 1, into out[j]: one set of pilot draws serves them all.
 * ISSIM_OK (a quantile the pilot cannot place is out[j].placed = 0, not an
 * error), ISSIM_ENOMEM, or the replay's error. */
int issim_quantile_pilot_run(const issim_problem *pb, const issim_run_config *cfg, size_t k,
                             const double *alpha, issim_quantile_pilot *out, issim_error *err);

/* The grid of a placed pilot: ISSIM_QUANTILE_GRID thresholds from lo to hi,
 * ascending, into t. */
void issim_quantile_grid(const issim_quantile_pilot *p, double *t);

/* The exact quantile of pb's event under its target: the t where
 * issim_problem_exact_log at threshold t equals log alpha, found by
 * bracketing from `hint` (any finite guess) and bisection to the last
 * digit; NAN where issim knows no exact P, or no such t is found. */
double issim_quantile_exact(const issim_problem *pb, double alpha, double hint);

#ifdef __cplusplus
}
#endif

#endif
