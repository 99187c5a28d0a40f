/* engine.h: the sampling engine.
 *
 * Draws from a proposal, weights the draws against the target in log space and
 * accumulates them (estimator.h).  Work is cut into fixed blocks of
 * ISSIM_BLOCK_SIZE draws, each with its own generator stream (rng.h), run on
 * OpenMP threads and merged in block order: for a given seed the result is the
 * same to the last bit whatever the number of threads.
 */
#ifndef ISSIM_ENGINE_H
#define ISSIM_ENGINE_H

#include <stdint.h>
#include <gsl/gsl_rng.h>

#include "dist.h"
#include "error.h"
#include "estimator.h"
#include "scenario.h"

typedef struct {
  const issim_dist *target;
  const issim_dist *proposal; /* NULL: draw from the target (plain Monte Carlo) */
  double threshold;
  issim_direction direction;
} issim_problem;

typedef struct {
  uint64_t samples;
  uint64_t seed;
  uint64_t stream;            /* e.g. issim_rng_stream_id(proposal name) */
  const gsl_rng_type *rng;
  int threads;                /* 0: all available cores */
} issim_run_config;

/* The problem of a scenario's proposal. */
issim_problem issim_problem_of(const issim_scenario *s, const issim_proposal *p);

/* Runs cfg->samples draws and leaves their accumulator in *out. */
int issim_engine_run(const issim_problem *pb, const issim_run_config *cfg,
                     issim_accum *out, issim_error *err);

#endif
