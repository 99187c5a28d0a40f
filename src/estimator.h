/* estimator.h: streaming, mergeable importance-sampling accumulators.
 *
 * An issim_accum takes draws in batches as log-densities (log p, log q) and
 * event indicators, and keeps O(1) state from which every estimator and weight
 * diagnostic of docs/estimators.md is derived.  Weights are never formed as
 * p/q: sums of weights are kept as (m, s) with m a running maximum log-weight and
 * s = sum exp(l_i - m) f_i, so estimates far below the smallest double (P(Z > 40)
 * = 3.66e-350) are exact to double precision in log space.
 *
 * Two accumulators merge exactly (issim_accum_merge): the engine accumulates
 * fixed blocks independently and merges them in block order, which is what makes
 * results independent of the number of threads or processes.
 */
#ifndef ISSIM_ESTIMATOR_H
#define ISSIM_ESTIMATOR_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The 97.5% quantile of the standard normal: 95% intervals are -+ ISSIM_Z95 SE. */
#define ISSIM_Z95 1.959963984540054

/* Below this relative size a difference between an estimate and a reference is
 * rounding, not sampling error: a near-perfect proposal reports an SE of 1e-28 P,
 * and an exact value is known to about 1e-14.  Relative errors are floored at it
 * wherever an estimate is judged against a reference. */
#define ISSIM_RELATIVE_PRECISION 1e-10

/* The state; its fields are internal. */
typedef struct {
  uint64_t n;       /* draws */
  uint64_t hits;    /* draws in the event with p(x) > 0 */
  uint64_t invalid; /* draws whose log-weight was NaN or +inf (q(x) = 0 at a draw of q) */

  /* y = w h over all n draws, in units of exp(hit_m): mean and sum of squared
   * deviations (Chan et al.'s pairwise update), and sum y l. */
  double hit_m, y_mean, y_m2, y_l;

  /* sums over all draws in units of exp(all_m) (weights) or exp(2 all_m)
   * (squared weights), f in {1, l, log p, log q}. */
  double all_m;
  double w, w2, wl, w2l2, wlp, w2lp2, wlq, w2lq2;

  /* plain sums of the log-weight, for KL(q||p), and of log q, for H(q) */
  double l, l2, lq, lq2;
} issim_accum;

void issim_accum_reset(issim_accum *a);

/* Adds n draws: log p(x_i), log q(x_i), and the event indicator h_i: 1.0 when
 * x_i is in the event, 0.0 when not (a double, as in the formulas w_i h_i, so
 * that every loop over a batch runs on one element type and vectorises). */
void issim_accum_add(issim_accum *a, size_t n, const double *log_p,
                     const double *log_q, const double *hit);

/* The same n draws added to k accumulators at once, one per threshold:
 * acc[j] takes the event g > thresholds[j] (above != 0) or g < thresholds[j],
 * g the draws' losses (a NaN loss is in no event).  What k calls of
 * issim_accum_add with those indicators give, to rounding: the log-weights
 * and the sums over all draws are computed once, each event adding only its
 * own sums over its hits (docs/exceedance.md). */
void issim_accum_add_levels(issim_accum *acc, size_t k, const double *thresholds, int above,
                            size_t n, const double *log_p, const double *log_q, const double *g);

/* log(w_i h_i): the log-weight log p - log q on the event, -inf off it (the
 * values of k-hat's tail buffer and of the log-weight histogram). */
void issim_event_log_weights(size_t n, const double *log_p, const double *log_q,
                             const double *hit, double *out);

/* dst += src, exactly as if src's draws had been added to dst after its own. */
void issim_accum_merge(issim_accum *dst, const issim_accum *src);

/* Everything derived from an accumulator.  Probabilities come both as natural
 * logs (always right) and as doubles (0 when they underflow): print from the logs.
 * A quantity that cannot be computed (no hits, one draw) is NAN. */
typedef struct {
  uint64_t samples, hits, invalid;

  double log_estimate;     /* log P_hat; -INFINITY with no hits */
  double estimate;
  double log_std_error;    /* log SE */
  double std_error;
  double relative_error;   /* SE / P_hat */
  double log_ci_low, log_ci_high;       /* P_hat -+ 1.96 SE (log; low -inf when <= 0) */
  double log_ci_low_ls, log_ci_high_ls; /* log-scale interval: log P_hat -+ 1.96 RE */

  double self_normalized_log_estimate, self_normalized_relative_error;
  double mean_weight, mean_weight_se;

  double ess;              /* Kish (sum w)^2 / sum w^2 */
  double event_ess;        /* (sum w h)^2 / sum (w h)^2 */
  double max_weight_share; /* max w h / sum w h */

  double relative_variance;         /* N RE^2 */
  double samples_for_1pct, samples_for_10pct;
  double log_gain_over_crude;       /* log( ((1-P)/P) / rv ) */

  double kl_p_q, kl_p_q_se;         /* E_q[w l] */
  double kl_q_p, kl_q_p_se;         /* E_q[-l] */
  double entropy_p, entropy_p_se;   /* -E_q[w log p] */
  double cross_entropy_p_q, cross_entropy_p_q_se; /* -E_q[w log q] */
  double entropy_q, entropy_q_se;   /* -E_q[log q] */
  double kl_pstar_q;                /* sum w h l / sum w h - log P_hat */
} issim_estimate;

void issim_accum_estimate(const issim_accum *a, issim_estimate *e);

#ifdef __cplusplus
}
#endif

#endif
