/* calibrate.h: are the reported error bars honest?
 *
 * Runs R independent replications of a proposal (replication r draws from
 * stream issim_rng_stream_id(name) + r + 1, so replications never share a
 * stream with each other or with `issim run`) and compares the spread of the
 * estimates around a reference (the exact value, or a pooled estimate) with
 * the standard errors the runs reported:
 *   relative RMSE      sqrt(mean((P_r / ref - 1)^2)), over every replication
 *   mean reported RE   mean of the relative errors of the replications with a hit
 *   coverage           the share of their 95% intervals that contain the reference
 *   z-scores           (P_r - ref) / SE_r: mean about 0 and spread about 1 when honest
 * A proposal is flagged over-confident when its relative RMSE exceeds twice its
 * mean reported relative error, or when its coverage is below 85% over at
 * least 50 replications with a hit; inconclusive when most replications had no
 * error bar (no hit: a run without one claims no precision, so it is left out
 * of the coverage and z-scores), or when the coverage is below 85% over fewer
 * than 50 error bars (too few to judge either way).  Relative errors are
 * floored at 1e-10, rounding.
 * Memory is O(R).
 */
#ifndef ISSIM_CALIBRATE_H
#define ISSIM_CALIBRATE_H

#include <stddef.h>

#include "analysis.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What a proposal's replications are judged against. */
typedef enum {
  ISSIM_CALIBRATION_REF_NONE,   /* nothing to judge against */
  ISSIM_CALIBRATION_REF_EXACT,  /* the exact value */
  ISSIM_CALIBRATION_REF_GIVEN,  /* the scenario's [event] reference */
  ISSIM_CALIBRATION_REF_POOLED  /* another proposal's replications */
} issim_calibration_ref;

typedef struct {
  const issim_proposal *proposal;
  size_t reps;
  size_t zero_hit_reps;        /* replications with no hit: never covered */
  size_t no_error_bar_reps;    /* replications without a finite relative error (no hit) */
  size_t unreliable_reps;      /* replications whose own verdict was unreliable */
  double *log_estimate;        /* reps values */
  double *relative_error;      /* reps values; NAN with no hit */
  double seconds;              /* all replications */
  issim_calls calls;           /* loss evaluations (calls.h): the set-up once, the draws of
                                * all replications */
  /* against the reference: */
  double relative_rmse, mean_reported_re, coverage, z_mean, z_sd;
  int over_confident;
  int inconclusive;            /* too few error bars to judge (above): no verdict */
  /* the reference it was judged against (issim_calibration_judge_all) */
  issim_calibration_ref ref_kind;
  double log_reference;        /* NAN with ISSIM_CALIBRATION_REF_NONE */
  const char *reference_from;  /* with ISSIM_CALIBRATION_REF_POOLED: the proposal */
} issim_calibration;

/* Runs cfg->samples draws in each of `reps` replications of proposal p,
 * each judged as a run is (rg: the scenario's failure regions, NULL: no
 * region check). */
int issim_calibration_run(const issim_scenario *s, const issim_proposal *p,
                          const issim_regions *rg, const issim_run_config *cfg, size_t reps,
                          issim_calibration *c, issim_error *err);

/* The pooled reference of proposal `judged` (an index into c[]) when there is
 * no exact or given value: the mean of the replications of the most precise
 * other proposal (compare.h's rule) among those whose replications all hit
 * and were never unreliable (so they passed the region check, among
 * others), provided the second most precise such proposal agrees with it
 * (the means within 4 combined standard errors); a proposal is never judged
 * against itself, which could only call it honest.  Its log and *which;
 * NAN when none (no other such proposal, or the two disagree). */
double issim_calibration_pooled_reference(const issim_calibration *c, size_t n, size_t judged,
                                          size_t *which);

/* Judges each of c[0..n) against the exact value (exact_log), else the given
 * one (given_log), else its pooled reference, and records which. */
void issim_calibration_judge_all(issim_calibration *c, size_t n, double exact_log,
                                 double given_log);

/* The mean of the R replications' estimates (the estimate of all their
 * draws together) and its standard error from their spread,
 * sqrt(sum_r (P_r - mean)^2 / (R (R - 1))), which holds whether or not the
 * replications' own error bars are honest; both as natural logs (-INFINITY
 * for 0; the SE NAN with fewer than two replications). */
void issim_calibration_mean(const issim_calibration *c, double *mean, double *se);

/* Fills the comparison with the reference log_ref. */
void issim_calibration_judge(issim_calibration *c, double log_ref);

void issim_calibration_free(issim_calibration *c);

#ifdef __cplusplus
}
#endif

#endif
