/* workflow.h: what each command does, as library calls.
 *
 * A workflow is a scenario as a command runs it: working copies of its
 * proposals (an adaptive proposal's copy receives its fitted distribution;
 * the scenario itself is never written), the run settings the command line
 * set, and the hooks through which a front end shows progress and warnings.
 * issim's command line (main.c) only turns arguments into settings, calls
 * these functions, and writes their reports (report.h); a C program can do
 * the same.
 *
 * Errors come back as codes with a message (error.h).  A fit that does not
 * reach its threshold, or work cut short by the interrupt flag, is
 * ISSIM_ENOTDONE.  In a distributed run (cluster.h) every process makes the
 * same calls and gets the same results; the interrupt is decided by all
 * processes together.
 */
#ifndef ISSIM_WORKFLOW_H
#define ISSIM_WORKFLOW_H

#include <signal.h>
#include <stddef.h>

#include "adapt.h"
#include "analysis.h"
#include "calibrate.h"
#include "cluster.h"
#include "compare.h"
#include "engine.h"
#include "error.h"
#include "report.h"
#include "scenario.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
  int threads;                  /* 0: all cores */
  issim_stop_rules stop;        /* target-re, max-seconds, and the flag that cuts
                                 * a run short (partial results) */
  /* the flag that stops a fit between levels and a command between
   * proposals (NULL: none); usually the same as stop.interrupt */
  const volatile sig_atomic_t *interrupt;
  const issim_cluster *cluster; /* NULL: this process alone */
  const char *only;             /* run only the proposal of this name; NULL: all */
  /* > 0: each proposal's run (each replication in calibrate) makes at most
   * this many loss evaluations, its set-up included (calls.h): its draws
   * are cut to fit, the scenario's samples the most; a set-up that leaves no
   * draw is ISSIM_EINVAL.  0: no budget. */
  uint64_t max_calls;
  issim_rank_by rank_by;        /* compare's ranking (compare.h): per second by default */
  /* Hooks, each may be NULL; `user` is passed to each.  warn: a warning
   * about a proposal before any draw (infinite weight variance); before and
   * after: around each proposal's sampling, e.g. to attach a progress line
   * to *stop (before may set its progress fields) and clear it. */
  void (*warn)(const char *proposal, const char *message, void *user);
  void (*before)(const issim_proposal *p, issim_stop_rules *stop, void *user);
  void (*after)(const issim_proposal *p, void *user);
  void *user;
} issim_workflow_settings;

typedef struct issim_workflow issim_workflow;

/* A workflow of scenario s (which must outlive it) with settings *set
 * (copied).  NULL when out of memory. */
issim_workflow *issim_workflow_alloc(const issim_scenario *s, const issim_workflow_settings *set);
void issim_workflow_free(issim_workflow *wf);

/* The scenario's proposals as this workflow runs them, and whether
 * `only` selects proposal i. */
size_t issim_workflow_size(const issim_workflow *wf);
issim_proposal *issim_workflow_proposal(issim_workflow *wf, size_t i);
int issim_workflow_selected(const issim_workflow *wf, size_t i);

/* The run configuration of a proposal: the scenario's samples, seed and
 * generator, the stream of `stream_name`, the settings' threads and rules. */
issim_run_config issim_workflow_config(const issim_workflow *wf, const char *stream_name);

/* The event's failure regions (regions.h), found on first use; NULL when out
 * of memory. */
const issim_regions *issim_workflow_regions(issim_workflow *wf, issim_error *err);

/* Has the interrupt flag been raised (in any process)? */
int issim_workflow_interrupted(const issim_workflow *wf);

/* ---- the cross-entropy method ---- */

/* Fits proposal p (a working copy) with options *opt, from the proposal
 * opt->start names (NULL: the target), stopping between levels on the
 * interrupt; when the threshold is reached, p receives the fitted
 * distribution and the fit's effort.  *fit holds the levels either way
 * (issim_adapt_fit_clear).  ISSIM_OK when fitted; ISSIM_ENOTDONE with the fit's
 * own message when it was not (interrupted, no progress, level limit); a
 * fit's error otherwise (ISSIM_EINVAL: the scenario must change). */
int issim_workflow_fit(issim_workflow *wf, issim_proposal *p, const issim_adapt_options *opt,
                       issim_adapt_fit *fit, issim_error *err);

/* Every selected adaptive proposal fitted, in file order; the first failure
 * stops, its message naming the proposal. */
int issim_workflow_fit_adaptive(issim_workflow *wf, issim_error *err);

/* Writes a reached fit of proposal `name` to `path` as a [proposal NAME]
 * section (adapt.h), whole or not at all; rank 0 alone writes. */
int issim_workflow_save_fit(const issim_workflow *wf, const char *path, const char *name,
                            const issim_adapt_fit *fit, issim_error *err);

/* ---- run, compare, calibrate, divergence ---- */

/* Warns (settings' warn) about each selected proposal whose weights the
 * analytic check proves of infinite variance: said before a long run. */
void issim_workflow_warn(issim_workflow *wf);

/* Runs each selected proposal into results[0..*n) (results: room for every
 * proposal), recording what `record` asks (analysis.h: ISSIM_RECORD_CURVE
 * for the exceedance curves and quantiles of a scenario that asks for them);
 * stops between proposals on the interrupt; then cross-checks them, at
 * every level of the curves too (compare.h).  Clear the results with
 * issim_result_clear.  When the loss fails (ISSIM_ELOSS) the run stops
 * there, and the proposal's partial run, if it drew anything, is the last
 * of the *n results (issim_workflow_partial): report it. */
int issim_workflow_run(issim_workflow *wf, unsigned record, issim_result *results, size_t *n,
                       issim_error *err);

/* One proposal (a working copy, or one the caller built) run into *result,
 * nothing recorded beyond the estimate, its diagnostics and its exceedance
 * curve (when the scenario asks for one); on ISSIM_ELOSS *result holds the
 * partial run when issim_workflow_partial says so. */
int issim_workflow_run_one(issim_workflow *wf, const issim_proposal *p, issim_result *result,
                           issim_error *err);

/* Does a result that came back with code rc hold a partial run (the loss
 * failed after some draws: analysis.h) that must be reported and cleared? */
int issim_workflow_partial(int rc, const issim_result *result);

/* The report of n results (report.h). */
issim_report issim_workflow_report(const issim_workflow *wf, const issim_result *results,
                                   size_t n);

/* The value a report judges estimates against when the exact P is unknown:
 * the scenario's [event] reference, used like an exact value; NAN when
 * neither is known.  The exact log P when known. */
double issim_workflow_known_log(const issim_workflow *wf);

/* n results ranked (compare.h) against issim_workflow_known_log: ref->given
 * says when that is the scenario's reference. */
void issim_workflow_rank(const issim_workflow *wf, const issim_result *results, size_t n,
                         issim_ranked *ranked, issim_reference *ref);

/* The figures of n results into dir (plot.h), with the reference of
 * compare.h's rule (the known value first); ranked (may be NULL) gives the
 * efficiencies.  gnuplot:
 * the program to render with (NULL: data and scripts only); *rendered as
 * issim_plot_write's. */
int issim_workflow_plots(const issim_workflow *wf, const char *dir, const issim_result *results,
                         size_t n, const issim_ranked *ranked, const char *gnuplot,
                         int *rendered, issim_error *err);

/* The draws of n results (issim_workflow_run's) written to path as CSV
 * (dump.h): each proposal's run drawn again, as many draws as it made;
 * whole or not at all; rank 0 alone writes. */
int issim_workflow_dump(const issim_workflow *wf, const char *path, const issim_result *results,
                        size_t n, issim_error *err);

/* `reps` replications of each selected proposal into cal[0..*n) (room for
 * every proposal), judged against the exact value or else the pooled
 * reference of compare.h's rule; *rep describes them.  Free each
 * calibration with issim_calibration_free. */
int issim_workflow_calibrate(issim_workflow *wf, size_t reps, issim_calibration *cal, size_t *n,
                             issim_calibrate_report *rep, issim_error *err);

/* The entropies and divergences of the target (rows[0]) and each selected
 * proposal (room for every proposal + 1), from draws; univariate scenarios
 * without mixtures only (ISSIM_EINVAL otherwise). */
int issim_workflow_divergence(issim_workflow *wf, issim_divergence_row *rows, size_t *n,
                              issim_error *err);

#ifdef __cplusplus
}
#endif

#endif
