/* engine.h: the sampling engine.
 *
 * Draws from a proposal, weights the draws against the target in log space and
 * accumulates them (estimator.h).  Work is cut into fixed blocks of
 * ISSIM_BLOCK_SIZE draws, each with its own generator stream (rng.h), run on
 * OpenMP threads and merged in a fixed order (below): for a given seed the
 * result is the same to the last bit whatever the number of threads.
 *
 * Stopping rules are decided at block boundaries on that same merged state, so
 * a run stopped after n draws is exactly the run of n draws.  A single
 * process with a relative-error target also watches each chunk's finished
 * blocks as they come, and starts no block past the one where the target is
 * reached (those in flight stop at their next batch): the decision is the
 * same, the blocks it would drop are not drawn.
 *
 * With a cluster (cluster.h), processes take chunks in rounds: in round r,
 * rank k runs chunk r K + k of a world of K.  Each ships what the canonical
 * merge needs of its chunk (block accumulators, trace snapshots, tail values,
 * histogram) to all the others, and every rank merges the round's chunks in
 * chunk order with the same code as a single process, which is a world of
 * one: the same merge tree, so the same bits, for any K and any thread count
 * (docs/distributed.md).  Stopping rules are decided on that merged state by
 * every rank alike, at the block where a single process would stop; time
 * limits and interrupts are each process's own, and end the run at the first
 * chunk, in chunk order, that they cut short.
 *
 * A loss that fails (the caller's own model, loss.h) ends the run at the
 * batch where it failed: the blocks before that one finish, the later ones
 * stop, and the run is the draws before the failed batch in the canonical
 * order, the same for any thread or process count when the failure depends
 * on the points alone.  It is returned, partial, with ISSIM_ELOSS.
 */
#ifndef ISSIM_ENGINE_H
#define ISSIM_ENGINE_H

#include <signal.h>
#include <stdint.h>
#include <gsl/gsl_rng.h>

#include "cluster.h"
#include "dist.h"
#include "error.h"
#include "estimator.h"
#include "exceedance.h"
#include "khat.h"
#include "loss.h"
#include "model.h"
#include "problem.h"
#include "regions.h"
#include "trace.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Why a run ended. */
typedef enum {
  ISSIM_STOP_SAMPLES,    /* all the samples asked for were drawn */
  ISSIM_STOP_TARGET_RE,  /* the relative error reached its target */
  ISSIM_STOP_TIME,       /* the time limit was reached */
  ISSIM_STOP_INTERRUPT,  /* interrupted (Ctrl-C): the result is partial */
  ISSIM_STOP_LOSS,       /* the loss failed (loss.h): the result is partial */
  ISSIM_STOP_CALLS       /* the budget of loss evaluations (calls.h): set by the caller
                          * that cut cfg->samples to fit it, never by the engine */
} issim_stop_reason;

/* "samples", "target-re", "max-seconds", "interrupt", "loss-failed" or
 * "max-calls" */
const char *issim_stop_reason_name(issim_stop_reason r);

/* Progress of a run, for a progress bar.  state is the merged accumulator of
 * the draws so far when one is at hand, NULL in between. */
typedef struct {
  uint64_t draws, samples;
  double seconds;
  const issim_accum *state;
} issim_progress;

typedef void (*issim_progress_fn)(const issim_progress *p, void *user);

typedef struct {
  /* > 0: stop at the first block boundary where the relative error is at most
   * this, with at least min_hits hits and an event ESS of at least min_hits, so
   * that an early lucky estimate does not end the run */
  double target_re;
  uint64_t min_hits;   /* 0: 100 */
  double max_seconds;  /* > 0: stop at the next block boundary after this long */
  const volatile sig_atomic_t *interrupt; /* non-NULL: stop once *interrupt != 0 */
  issim_progress_fn progress;             /* non-NULL: called now and then */
  void *progress_user;
  double progress_interval;               /* seconds between calls; 0: 0.2 */
} issim_stop_rules;

typedef struct {
  uint64_t samples;           /* the draws asked for: the most with a stopping rule */
  uint64_t seed;
  uint64_t stream;            /* e.g. issim_rng_stream_id(proposal name) */
  const gsl_rng_type *rng;
  int threads;                /* 0: all available cores, in each process */
  const issim_stop_rules *stop; /* NULL: draw all the samples */
  /* NULL: this process alone.  Otherwise every process of the cluster makes
   * the same call, the chunks are spread over them, and every one receives
   * the whole output, the same to the last bit as a run in one process. */
  const issim_cluster *cluster;
} issim_run_config;

/* The threads a run uses: `requested`, or all available cores for 0 (1
 * without OpenMP). */
int issim_engine_threads(int requested);

/* What a run produces.  The caller fills the pointers with what it wants
 * (NULL: not wanted): tail, a buffer of issim_khat_capacity(cfg->samples)
 * values for Pareto k-hat; trace, a trace planned for cfg->samples
 * (issim_trace_alloc); hist, a histogram of the event log-weights; regions,
 * a tally of the hits by failure region (regions.h), accumulated per block
 * and merged in the order of the accumulators; levels, the tally of several
 * thresholds of the event (exceedance.h), accumulated and merged the same way
 * (its tails, if it has them, from each block's largest values: block j of
 * a chunk keeps four times the share of the run's K of a block in a run of
 * j + 1 blocks, and at least 64, so the run's K largest are exact unless one
 * block holds four times its share of them, whatever the run's length: a
 * run stopped early keeps the values of the fixed run of as many draws);
 * level_regions, each threshold's hits by its own failure regions
 * (regions.h's issim_region_levels), accumulated and merged the same way. */
typedef struct {
  issim_accum acc;
  issim_khat_topk *tail;
  issim_trace *trace;
  issim_hist *hist;
  issim_region_tally *regions;
  issim_exceedance *levels;
  issim_region_levels *level_regions;
  issim_stop_reason stopped_by;
  /* stopped_by ISSIM_STOP_LOSS: the loss's message, with the draws it
   * failed on ("draws 1025 to 1536: ...") */
  char failure[ISSIM_ERROR_MESSAGE_SIZE];
} issim_run_output;

/* Runs the draws into *out (out->acc always; the rest as asked).  When the
 * loss fails: ISSIM_ELOSS, err's message that of out->failure, and *out the
 * partial run of the draws before the failure (out->acc.n of them, possibly
 * 0), stopped_by ISSIM_STOP_LOSS. */
int issim_engine_run(const issim_problem *pb, const issim_run_config *cfg,
                     issim_run_output *out, issim_error *err);

/* The canonical merge order.  Blocks are grouped in chunks of
 * ISSIM_CHUNK_BLOCKS consecutive blocks; a chunk's accumulator is its blocks'
 * accumulators merged left to right, and a run's accumulator is its chunks'
 * merged left to right.  Floating-point merging is not associative, so this
 * fixed tree is what makes a run's result independent of how blocks are spread
 * over threads, and of how chunks are spread over processes. */
#define ISSIM_CHUNK_BLOCKS 64u

/* Each block keeps its largest log(w h) values, at most this many, for k-hat;
 * the run's buffer is the union of its blocks'.  That union holds the run's K
 * largest exactly unless one block of 65536 iid draws holds more than 4096 of
 * them, where K = 3 sqrt(N) (under 2 per block on average once K > 4096). */
#define ISSIM_BLOCK_TAIL 4096u

/* The number of chunks of a run of n draws. */
uint64_t issim_engine_chunk_count(uint64_t samples);

/* Runs chunks [first, last) of the cfg->samples draws (no stopping rule),
 * storing chunk c's accumulator in chunks[c - first] and merging the chunks'
 * tails into *tail if non-NULL.  Merging all chunks of a run in order
 * reproduces issim_engine_run exactly.  A loss that fails: ISSIM_ELOSS, the
 * chunks' accumulators then meaningless. */
int issim_engine_run_chunks(const issim_problem *pb, const issim_run_config *cfg,
                            uint64_t first, uint64_t last, issim_accum *chunks,
                            issim_khat_topk *tail, issim_error *err);

/* One batch of draws, as issim_engine_replay gives them: n points x (n x d,
 * row by row), their log-densities under the target and the proposal, their
 * losses g, and for a mixture proposal each point's component (0-based, as
 * a double), NULL otherwise; first: the index of the batch's first draw. */
typedef struct {
  uint64_t first;
  size_t n, d;
  const double *x, *log_p, *log_q, *g, *component;
} issim_draws;

/* Takes a batch; anything but ISSIM_OK (with err filled) stops the replay. */
typedef int (*issim_draws_fn)(void *user, const issim_draws *batch, issim_error *err);

/* The first n draws (n <= cfg->samples) of a run of cfg drawn again, in
 * order, on this thread alone, a batch at a time, into fn: the same points
 * and log-densities as issim_engine_run's, whatever the thread or rank count
 * of that run; the losses are computed from the points (a linear loss drawn
 * with the points differs in the last digits).  ISSIM_OK, ISSIM_ENOMEM, or
 * fn's error. */
int issim_engine_replay(const issim_problem *pb, const issim_run_config *cfg, uint64_t n,
                        issim_draws_fn fn, void *user, issim_error *err);

#ifdef __cplusplus
}
#endif

#endif
