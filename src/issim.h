/* issim.h: the whole public API of libissim, one header per concept, in the
 * order of the layers (docs/architecture.md): each may use those above it.
 *
 * foundations
 *   error.h      error codes and messages
 *   parse.h      numbers from text (the scenario file, the command line)
 *   linalg.h     Cholesky factors, triangular solves, Mahalanobis distances
 *   clock.h      the monotonic timer
 *   rng.h        GSL generators and reproducible block streams
 *   fileio.h     files written whole or not at all, and their directories
 *   cluster.h    the processes of a distributed run (MPI)
 * laws and losses
 *   dist.h       univariate distributions: sampling, log-densities, tails
 *   model.h      d-dimensional models: independent, normal, t, copula, mixture, transformed
 *   copula.h     the Gaussian copula's marginal transforms
 *   transform.h  a target's standard space (x = T(u)) and proposals drawn there
 *   pair.h       a target and a proposal drawn and weighted together
 *   loss.h       loss (limit-state) functions of d-dimensional points
 *   expr.h       formulas in x1..xd (the expression loss's language)
 *   plugin.h     a loss from a shared library (dlopen): the user's C function
 *   command.h    a loss computed by an external program, a batch at a time
 * the question
 *   event.h      the event {loss > threshold} (or <)
 *   problem.h    a target, a proposal and an event: what is estimated
 * drawing and accumulating
 *   sampler.h    the one sampler: draws weighed against the target
 *   estimator.h  streaming, mergeable estimators and diagnostics
 *   exceedance.h several thresholds from one set of draws; quantiles by inversion
 *   khat.h       Pareto k-hat from a bounded buffer of the largest weights
 *   trace.h      convergence traces and log-weight histograms
 * machinery
 *   engine.h     the sampling engine: blocks, threads, processes, stopping
 *   quantile.h   rare quantiles: the pilot that places the grid, exact quantiles
 *   calls.h      a run's cost in calls of the model (loss evaluations), --max-calls
 *   dump.h       a run's draws written out as CSV
 *   cefit.h      the cross-entropy families and their weighted MLE updates
 *   adapt.h      the cross-entropy method, level by level
 *   design.h     design points, the most likely points of an event
 *   form.h       FORM/SORM: design points, curvatures, union bounds
 *   regions.h    the event's failure regions, and a proposal's reach
 *   tail.h       tails of densities: is the weights' variance finite?
 *   divergence.h exact entropies, cross-entropies and KL divergences
 * input
 *   inifile.h    the scenario file's syntax
 *   scenario.h   scenario files: target, event, proposals, run settings
 * judging
 *   verdict.h    trustworthy, doubtful or unreliable, and why
 *   curve.h      a proposal's exceedance curve and quantiles, judged
 *   analysis.h   one proposal run and judged
 * many proposals
 *   compare.h    proposals ranked side by side; the one reference rule
 *   calibrate.h  replications: are the error bars honest?
 * output and commands
 *   plot.h       convergence plots with gnuplot
 *   report.h     text and JSON reports
 *   workflow.h   what each command does, as library calls
 */
#ifndef ISSIM_H
#define ISSIM_H

#include "error.h"
#include "parse.h"
#include "linalg.h"
#include "clock.h"
#include "rng.h"
#include "fileio.h"
#include "cluster.h"

#include "dist.h"
#include "credit.h"
#include "model.h"
#include "copula.h"
#include "transform.h"
#include "pair.h"
#include "loss.h"
#include "expr.h"
#include "plugin.h"
#include "command.h"

#include "event.h"
#include "problem.h"

#include "sampler.h"
#include "estimator.h"
#include "exceedance.h"
#include "khat.h"
#include "trace.h"

#include "engine.h"
#include "quantile.h"
#include "calls.h"
#include "dump.h"
#include "cefit.h"
#include "adapt.h"
#include "design.h"
#include "form.h"
#include "regions.h"
#include "tail.h"
#include "divergence.h"

#include "inifile.h"
#include "scenario.h"

#include "verdict.h"
#include "curve.h"
#include "analysis.h"

#include "compare.h"
#include "calibrate.h"

#include "plot.h"
#include "report.h"
#include "workflow.h"

#endif
