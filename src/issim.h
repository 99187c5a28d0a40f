/* issim.h: the whole public API of libissim.
 *
 *   error.h      error codes and messages
 *   dist.h       univariate distributions: sampling, log-densities, tails
 *   rng.h        GSL generators and reproducible block streams
 *   estimator.h  streaming, mergeable estimators and diagnostics
 *   scenario.h   scenario files
 *   engine.h     the sampling engine
 *   tail.h       tails of densities: is the weights' variance finite?
 *   report.h     text and JSON reports
 */
#ifndef ISSIM_H
#define ISSIM_H

#include "error.h"
#include "dist.h"
#include "rng.h"
#include "estimator.h"
#include "scenario.h"
#include "engine.h"
#include "tail.h"
#include "report.h"

#endif
