/* analysis.h: one proposal of a scenario, run and judged.
 *
 * issim_analyse runs the engine for a proposal and gathers everything the
 * reports show: the estimate and its diagnostics (estimator.h), Pareto k-hat
 * (khat.h), the analytic tail check (tail.h), the exact entropies and
 * divergences where they are known (divergence.h), and the verdict
 * (verdict.h).  The command line and every report are built on it.
 */
#ifndef ISSIM_ANALYSIS_H
#define ISSIM_ANALYSIS_H

#include "calls.h"
#include "curve.h"
#include "divergence.h"
#include "engine.h"
#include "regions.h"
#include "estimator.h"
#include "scenario.h"
#include "tail.h"
#include "trace.h"
#include "verdict.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Exact information quantities of a (p, q) pair, each with how it is known. */
typedef struct {
  double entropy_p, entropy_q, cross_entropy_p_q, kl_p_q, kl_q_p;
  issim_exact_method entropy_p_how, entropy_q_how, cross_entropy_p_q_how, kl_p_q_how,
      kl_q_p_how;
} issim_information;

typedef struct {
  const issim_proposal *proposal;
  double seconds;
  /* the run's loss evaluations (calls.h): the regions' search and the
   * proposal's own set-up (issim_analyse_before), the pilot and the draws
   * (issim_analyse_sample) */
  issim_calls calls;
  issim_stop_reason stopped_by;
  /* stopped_by ISSIM_STOP_LOSS: why the loss failed, and on which draws */
  char failure[ISSIM_ERROR_MESSAGE_SIZE];
  issim_estimate estimate;
  double pareto_k;
  issim_variance variance;
  char variance_reason[ISSIM_VERDICT_REASON_SIZE];
  double expected_mean_weight; /* P_p(support of q) */
  /* for the w-weighted information estimates (divergence.h's reliability) */
  issim_variance information_variance; /* of w = p/q over q's support */
  int covers_target;                   /* q > 0 wherever p > 0 */
  /* the exact relative variance int_A p^2/q / P^2 - 1 and log P, for
   * univariate pairs whose tail check is finite; NAN otherwise */
  double exact_relative_variance, exact_log_p;
  issim_verdict verdict;
  issim_information exact;
  issim_region_check regions; /* against the event's failure regions (regions.h), analytic
                               * and, after sampling, from the draws */
  const issim_regions *found_regions; /* issim_analyse_before's rg: the sampling tallies
                                       * the hits by region when it has two or more */
  issim_trace *trace;       /* with ISSIM_RECORD_TRACE, else NULL; owned */
  issim_hist hist;          /* with ISSIM_RECORD_HIST */
  /* with ISSIM_RECORD_CURVE, when the scenario has several thresholds or
   * quantiles: the exceedance curve and quantiles from the same draws
   * (curve.h); else NULL.  Owned. */
  issim_curve *curve;
} issim_result;

/* What issim_analyse records besides the estimate and diagnostics. */
enum { ISSIM_RECORD_TRACE = 1, ISSIM_RECORD_HIST = 2, ISSIM_RECORD_CURVE = 4 };

/* The exact information quantities of target p and proposal q (q NULL: q =
 * p): divergence.h's closed forms of distributions on the line when p, and q
 * unless NULL, are such (model.h's issim_model_line_dist), else its model
 * closed forms. */
void issim_analyse_information(const issim_model *p, const issim_model *q,
                               issim_information *info);

/* The analytic tail check alone (tail.h) of proposal p on the event's
 * region, its explanation in reason when infinite: what a command warns
 * about before it samples, without the rest of issim_analyse_before. */
issim_variance issim_analyse_tail_check(const issim_scenario *s, const issim_proposal *p,
                                        char *reason, size_t size);

/* The analytic checks that need no sampling: the tail check on the event
 * region, the exact information, and p against the event's failure regions
 * rg (regions.h; found once per scenario, NULL: no region check); fills those
 * fields of *r.  rg must outlive the sampling (issim_analyse_sample), which
 * checks the draws against it too. */
void issim_analyse_before(const issim_scenario *s, const issim_proposal *p,
                          const issim_regions *rg, issim_result *r);

/* The loss evaluations a run of p makes before its draws (calls.h): the
 * search of the failure regions rg (NULL: none) and p's own set-up (its
 * design-point search, its cross-entropy fit); draws and pilot 0. */
issim_calls issim_analyse_calls_before(const issim_scenario *s, const issim_proposal *p,
                                       const issim_regions *rg);

/* Runs proposal p with cfg and fills *r; record: ISSIM_RECORD_* flags, or 0.
 * Release what it holds with issim_result_clear.  The same as finding the
 * scenario's regions, issim_analyse_before and issim_analyse_sample. */
int issim_analyse(const issim_scenario *s, const issim_proposal *p, const issim_run_config *cfg,
                  unsigned record, issim_result *r, issim_error *err);

/* The sampling part alone, for an *r already through issim_analyse_before
 * with the same scenario and proposal (replications share that part).
 * A loss that fails (loss.h) is ISSIM_ELOSS; when draws were done before it,
 * *r is then the partial run of those draws (r->estimate.samples > 0,
 * stopped_by ISSIM_STOP_LOSS, r->failure), judged unreliable, and the caller
 * still clears it. */
int issim_analyse_sample(const issim_scenario *s, const issim_proposal *p,
                         const issim_run_config *cfg, unsigned record, issim_result *r,
                         issim_error *err);

/* The reliability of the estimate of an information quantity of r (issim run's
 * information block): which, one of "kl_p_q", "kl_q_p", "entropy_p",
 * "cross_entropy_p_q"; the rules of divergence.h, with the reason. */
issim_info_status issim_result_information_judge(const issim_result *r, const char *which,
                                                 char *reason, size_t size);

void issim_result_clear(issim_result *r);

#ifdef __cplusplus
}
#endif

#endif
