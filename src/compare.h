/* compare.h: proposals side by side.
 *
 * Ranks analysed proposals (analysis.h) for `issim compare`: first by verdict
 * (trustworthy, then doubtful, then unreliable: a proposal whose error bar
 * cannot be trusted must not win on a variance it misreports), then by
 * work-normalised efficiency 1 / (relative variance x seconds per draw),
 * highest first; proposals without a hit come last.  Marks those whose 95%
 * interval excludes the reference: the exact value when known, else the
 * estimate of the most precise trustworthy proposal.
 */
#ifndef ISSIM_COMPARE_H
#define ISSIM_COMPARE_H

#include <stddef.h>

#include "analysis.h"

typedef struct {
  size_t index;           /* into the results compared */
  double efficiency;      /* 1 / (rv x seconds per draw); 0 without a hit */
  double log_gain_over_crude_work; /* log of efficiency over plain Monte Carlo's, whose
                                     relative variance is (1-P)/P at the reference P and
                                     whose speed is measured; NAN without a crude proposal */
  int excludes_reference; /* the 95% interval misses the reference */
} issim_ranked;

typedef struct {
  int exact;              /* 1: the exact value; 0: a proposal's estimate */
  size_t proposal;        /* with exact == 0: which result gives it */
  double log_value;       /* NAN when there is no reference at all */
} issim_reference;

/* Fills ranked[0..n) in rank order and *ref. exact_log: NAN when unknown. */
void issim_compare_rank(const issim_result *results, size_t n, double exact_log,
                        issim_ranked *ranked, issim_reference *ref);

#endif
