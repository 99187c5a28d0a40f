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
#include "khat.h"
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

/* Runs cfg->samples draws and leaves their accumulator in *out and, if tail
 * is non-NULL, the largest log(w h) in *tail (for Pareto k-hat; a buffer of
 * issim_khat_capacity(cfg->samples) values).  The tail buffer holds the largest
 * values as a set, so it too is the same whatever the split of the work. */
int issim_engine_run(const issim_problem *pb, const issim_run_config *cfg,
                     issim_accum *out, issim_topk *tail, issim_error *err);

/* The canonical merge order.  Blocks are grouped in chunks of
 * ISSIM_CHUNK_BLOCKS consecutive blocks; a chunk's accumulator is its blocks'
 * accumulators merged left to right, and a run's accumulator is its chunks'
 * merged left to right.  Floating-point merging is not associative, so this
 * fixed tree is what makes a run's result independent of how blocks are spread
 * over threads, and of how chunks are spread over processes. */
#define ISSIM_CHUNK_BLOCKS 64u

/* The number of chunks of a run of n draws. */
uint64_t issim_engine_chunk_count(uint64_t samples);

/* Runs chunks [first, last) of the cfg->samples draws, storing chunk c's
 * accumulator in chunks[c - first].  Merging all chunks of a run in order
 * reproduces issim_engine_run exactly. */
int issim_engine_run_chunks(const issim_problem *pb, const issim_run_config *cfg,
                            uint64_t first, uint64_t last, issim_accum *chunks,
                            issim_topk *tail, issim_error *err);

#endif
