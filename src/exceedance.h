/* exceedance.h: several thresholds of one event, from one set of draws.
 *
 * An issim_exceedance is the streaming tally of the events {g > t_j} (or
 * {g < t_j}) for j = 1..n over the same weighted draws: one accumulator per
 * threshold (estimator.h: P(g > t_j), its standard error and every
 * diagnostic of the event) and, when asked, one buffer of the largest
 * log(w h_j) per threshold (khat.h: each threshold's Pareto k-hat).  Memory
 * is O(n) and O(n K) for the tails, never O(draws).  Two tallies merge as
 * the accumulators do (issim_accum_merge: the engine merges blocks in a
 * fixed order, so the digits do not depend on threads or processes); the
 * tails merge as multisets (khat.h), in any order.
 *
 * issim_quantile_invert turns the estimates on a grid of thresholds into the
 * loss level exceeded with probability alpha and its 95% interval, by test
 * inversion (docs/exceedance.md): the interval is the set of thresholds t
 * whose 95% interval for P(t) contains alpha, so that it covers the true
 * quantile exactly when the interval for P covers alpha there.
 */
#ifndef ISSIM_EXCEEDANCE_H
#define ISSIM_EXCEEDANCE_H

#include <stddef.h>
#include <stdint.h>

#include "estimator.h"
#include "khat.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
  size_t n;              /* thresholds */
  double *thresholds;    /* n values, the caller's order */
  int above;             /* 1: the events g > t_j; 0: g < t_j */
  issim_accum *acc;      /* n accumulators */
  issim_khat_topk **tail;     /* n buffers of log(w h_j), or NULL: no tails */
  double *scratch;       /* a stretch of values for the tails */
} issim_exceedance;

/* n thresholds (copied), the events above (above != 0) or below them, and
 * with tail_capacity > 0 a tail buffer of that capacity per threshold.  NULL
 * when out of memory or n is 0. */
issim_exceedance *issim_exceedance_alloc(size_t n, const double *thresholds, int above,
                                         size_t tail_capacity);
/* The same thresholds and direction as x, with tails of tail_capacity. */
issim_exceedance *issim_exceedance_alloc_like(const issim_exceedance *x, size_t tail_capacity);
void issim_exceedance_free(issim_exceedance *x);

/* Empties every accumulator and tail. */
void issim_exceedance_reset(issim_exceedance *x);

/* Adds n draws: their log-densities under the target and the proposal and
 * their losses g. */
void issim_exceedance_add(issim_exceedance *x, size_t n, const double *log_p,
                          const double *log_q, const double *g);

/* dst += src (the same thresholds), as if src's draws came after dst's; the
 * tails take the largest values of src's (trimmed first: khat.h), so src
 * changes but holds the same values. */
void issim_exceedance_merge(issim_exceedance *dst, issim_exceedance *src);

/* x as bytes, for another process: put(ctx, bytes, len) is called in turn
 * with the parts, each a whole number of 8-byte words. */
void issim_exceedance_pack(issim_exceedance *x, void (*put)(void *ctx, const void *p, size_t n),
                           void *ctx);
/* Reads what issim_exceedance_pack wrote of a tally like x into x (its
 * accumulators replaced, its tails offered the values); returns the bytes
 * after it. */
const unsigned char *issim_exceedance_unpack(issim_exceedance *x, const unsigned char *p);

/* Threshold j's estimate, and its Pareto k-hat for a run of x's draws (NAN
 * without tails; threads as issim_khat_topk_khat_on's). */
void issim_exceedance_estimate(const issim_exceedance *x, size_t j, issim_estimate *e);
double issim_exceedance_khat(const issim_exceedance *x, size_t j, int threads);

/* ---- quantiles ---- */

typedef struct {
  double estimate;         /* the threshold t where the estimated P(t) = alpha,
                            * interpolated in log P between the two grid
                            * thresholds around it; NAN when the grid does not
                            * hold it (see where) */
  double ci_low, ci_high;  /* the 95% interval by test inversion, its ends
                            * interpolated the same way */
  int low_open, high_open; /* that end reaches the grid's end: the interval
                            * is at least that wide */
  int where;               /* 0: inside the grid; -1: below its first
                            * threshold (every P on the grid is beyond alpha
                            * on the small side), +1: above its last */
  size_t lower, upper;     /* the grid thresholds around the estimate, and of
                            * the interval: [lower, upper] holds both */
} issim_quantile_estimate;

/* The level where P(t) = alpha from n >= 2 thresholds t (ascending) and
 * their estimates e (estimator.h); above: P(t) = P(g > t), which decreases
 * with t, else P(g < t), which increases.  A threshold without a hit has
 * no upper bound on its P: it never ends an interval. */
void issim_quantile_invert(size_t n, const double *t, const issim_estimate *e, int above,
                           double log_alpha, issim_quantile_estimate *q);

#ifdef __cplusplus
}
#endif

#endif
