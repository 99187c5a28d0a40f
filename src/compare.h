/* compare.h: proposals side by side.
 *
 * Ranks analysed proposals (analysis.h) for `issim compare`: first by verdict
 * (trustworthy, then doubtful, then unreliable: a proposal whose error bar
 * cannot be trusted must not win on a variance it misreports), then by
 * work-normalised efficiency 1 / (relative variance x seconds per draw),
 * highest first, or per loss evaluation, 1 / (relative variance x loss
 * evaluations per draw), when a call of the model is what costs (calls.h:
 * its set-up counts, so a proposal that spent a search or a fit pays for
 * it); proposals without a hit come last.  Marks those whose 95%
 * interval excludes the reference: the exact value when known, else the
 * estimate of the most precise trustworthy proposal.
 */
#ifndef ISSIM_COMPARE_H
#define ISSIM_COMPARE_H

#include <stddef.h>

#include "analysis.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
  size_t index;           /* into the results compared */
  double efficiency;      /* 1 / (rv x seconds per draw); 0 without a hit */
  double efficiency_per_call; /* 1 / (rv x loss evaluations per draw), the run's every
                                 evaluation (calls.h) counted; 0 without a hit or
                                 without a model (an event on x) */
  double log_gain_over_crude_work; /* log of efficiency over plain Monte Carlo's, whose
                                     relative variance is (1-P)/P at the reference P and
                                     whose speed is measured; NAN without a crude proposal */
  int excludes_reference; /* the 95% interval misses the reference */
} issim_ranked;

typedef struct {
  int exact;              /* 1: the exact value; 0: a proposal's estimate */
  int given;              /* with exact == 1: a value the scenario gave ([event]
                           * reference), not one issim computed (set by the
                           * caller, issim_workflow_rank) */
  size_t proposal;        /* with exact == 0: which result gives it */
  double log_value;       /* NAN when there is no reference at all */
} issim_reference;

/* The one rule for a reference value, used by compare, calibrate and the
 * plots: the exact value when known; else, among the candidates the caller
 * trusts, the one with the smallest relative error; else none (log_value
 * NAN).  A candidate is a proposal's estimate (log_value), its relative
 * error, and whether it may serve (trusted: for compare and the plots a
 * trustworthy verdict with a hit; for calibrate replications never
 * unreliable and never without a hit). */
typedef struct {
  int trusted;
  double log_value;
  double relative_error;
} issim_reference_candidate;

void issim_reference_choose(const issim_reference_candidate *c, size_t n, double exact_log,
                            issim_reference *ref);

/* The reference of a set of results (the rule above). */
void issim_compare_reference(const issim_result *results, size_t n, double exact_log,
                             issim_reference *ref);

/* The cross-check: two proposals judged trustworthy whose estimates differ
 * by more than ISSIM_CROSS_CHECK_Z combined standard errors cannot both be
 * right, so neither stays trustworthy: each becomes doubtful, with a reason
 * naming the other and the distance.  Compares every pair of results;
 * returns the number of pairs that disagree.  run and compare both apply it
 * (workflow.h) before reporting. */
#define ISSIM_CROSS_CHECK_Z 4.0
size_t issim_compare_cross_check(issim_result *results, size_t n);

/* The cross-check at every level of the results' exceedance curves
 * (curve.h), each level's verdicts as above; results without a curve, or
 * with curves of different lengths, are not checked.  Returns the pairs
 * that disagree, over all levels. */
size_t issim_compare_cross_check_curves(issim_result *results, size_t n);

/* Fills ranked[0..n) in rank order and *ref. exact_log: NAN when unknown. */
/* What the ranking weighs, after the verdict. */
typedef enum {
  ISSIM_RANK_BY_SECONDS, /* efficiency, per second */
  ISSIM_RANK_BY_CALLS    /* efficiency_per_call, per loss evaluation */
} issim_rank_by;

/* issim_compare_rank with the efficiency of `by`. */
void issim_compare_rank_by(const issim_result *results, size_t n, double exact_log,
                           issim_rank_by by, issim_ranked *ranked, issim_reference *ref);

void issim_compare_rank(const issim_result *results, size_t n, double exact_log,
                        issim_ranked *ranked, issim_reference *ref);

#ifdef __cplusplus
}
#endif

#endif
