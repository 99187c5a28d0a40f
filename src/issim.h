/* issim.h: the whole public API of libissim.
 *
 *   error.h      error codes and messages
 *   linalg.h     Cholesky factors, triangular solves, Mahalanobis distances
 *   clock.h      the monotonic timer
 *   dist.h       univariate distributions: sampling, log-densities, tails
 *   expr.h       formulas in x1..xd (the expression loss's language)
 *   model.h      d-dimensional models: independent, normal, t, copula, mixture
 *   copula.h     the Gaussian copula's marginal transforms
 *   pair.h       a target and a proposal drawn and weighted together
 *   loss.h       loss and limit-state functions g(x)
 *   rng.h        GSL generators and reproducible block streams
 *   estimator.h  streaming, mergeable estimators and diagnostics
 *   scenario.h   scenario files
 *   cluster.h    the processes of a distributed run (MPI)
 *   engine.h     the sampling engine
 *   design.h     design points, the most likely points of an event
 *   adapt.h      proposals fitted by the cross-entropy method
 *   tail.h       tails of densities: is the weights' variance finite?
 *   khat.h       Pareto k-hat from a bounded buffer of the largest weights
 *   divergence.h exact entropies, cross-entropies and KL divergences
 *   verdict.h    trustworthy, doubtful or unreliable, and why
 *   trace.h      convergence traces and log-weight histograms
 *   analysis.h   one proposal run and judged
 *   compare.h    proposals ranked side by side
 *   calibrate.h  replications: are the error bars honest?
 *   fileio.h     files written whole or not at all, and their directories
 *   plot.h       convergence plots with gnuplot
 *   report.h     text and JSON reports
 */
#ifndef ISSIM_H
#define ISSIM_H

#include "error.h"
#include "linalg.h"
#include "clock.h"
#include "dist.h"
#include "model.h"
#include "copula.h"
#include "pair.h"
#include "loss.h"
#include "expr.h"
#include "rng.h"
#include "estimator.h"
#include "scenario.h"
#include "engine.h"
#include "design.h"
#include "tail.h"
#include "khat.h"
#include "divergence.h"
#include "verdict.h"
#include "trace.h"
#include "analysis.h"
#include "compare.h"
#include "calibrate.h"
#include "fileio.h"
#include "plot.h"
#include "report.h"
#include "adapt.h"

#endif
