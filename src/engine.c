#define _POSIX_C_SOURCE 200809L /* clock_gettime */

#include "engine.h"

#include <math.h>
#include <stdlib.h>
#include <time.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "rng.h"

/* Draws are generated, weighted and accumulated a batch at a time: long enough
 * for tight vector loops, short enough that the batch's five arrays stay in
 * the L1 cache. */
#define BATCH 512u

#define DEFAULT_MIN_HITS 100
#define DEFAULT_PROGRESS_INTERVAL 0.2

const char *issim_stop_reason_name(issim_stop_reason r)
{
  switch (r) {
  case ISSIM_STOP_SAMPLES: return "samples";
  case ISSIM_STOP_TARGET_RE: return "target-re";
  case ISSIM_STOP_TIME: return "max-seconds";
  case ISSIM_STOP_INTERRUPT: return "interrupt";
  }
  return "unknown";
}

static double now(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* ---- one thread's buffers ---- */

typedef struct {
  gsl_rng *rng;
  double *x, *log_p, *log_q;
  double *hit; /* 1.0 in the event, 0.0 not */
} workspace;

static void workspace_free(workspace *w)
{
  if (w->rng)
    gsl_rng_free(w->rng);
  free(w->x);
  free(w->log_p);
  free(w->log_q);
  free(w->hit);
  *w = (workspace){0};
}

static int workspace_init(workspace *w, const gsl_rng_type *type)
{
  *w = (workspace){0};
  w->rng = gsl_rng_alloc(type);
  w->x = malloc(BATCH * sizeof *w->x);
  w->log_p = malloc(BATCH * sizeof *w->log_p);
  w->log_q = malloc(BATCH * sizeof *w->log_q);
  w->hit = malloc(BATCH * sizeof *w->hit);
  if (w->rng && w->x && w->log_p && w->log_q && w->hit)
    return 1;
  workspace_free(w);
  return 0;
}

/* ---- one block ---- */

typedef struct {
  issim_accum acc;
  issim_topk *tail; /* NULL when k-hat is not wanted */
  int done;
} block_result;

static void mark_hits(const issim_problem *pb, size_t n, const double *restrict x,
                      double *restrict hit)
{
  double t = pb->threshold;
  if (pb->direction == ISSIM_ABOVE) {
#pragma omp simd
    for (size_t i = 0; i < n; i++)
      hit[i] = x[i] > t ? 1.0 : 0.0;
  } else {
#pragma omp simd
    for (size_t i = 0; i < n; i++)
      hit[i] = x[i] < t ? 1.0 : 0.0;
  }
}

/* log(w h): the log-weight on the event, -inf off it, for the k-hat buffer */
static void event_log_weights(size_t n, const double *restrict log_p,
                              const double *restrict log_q, const double *restrict hit,
                              double *restrict out)
{
#pragma omp simd
  for (size_t i = 0; i < n; i++)
    out[i] = hit[i] > 0 ? log_p[i] - log_q[i] : -INFINITY;
}

/* tail_floor: the run's K-th largest log(w h) so far, below which no value of
 * this block can count (fixed while a chunk runs, so the result does not
 * depend on the order in which blocks finish). */
static void run_block(const issim_problem *pb, const issim_run_config *cfg, uint64_t block,
                      uint64_t count, double tail_floor, workspace *w, block_result *out)
{
  const issim_dist *q = pb->proposal ? pb->proposal : pb->target;
  gsl_rng_set(w->rng, issim_rng_block_seed(cfg->seed, cfg->stream, block));
  issim_accum_reset(&out->acc);
  if (out->tail) {
    issim_topk_reset(out->tail);
    issim_topk_raise_floor(out->tail, tail_floor);
  }
  for (uint64_t done = 0; done < count; done += BATCH) {
    size_t n = count - done < BATCH ? (size_t)(count - done) : BATCH;
    issim_dist_sample(q, w->rng, n, w->x);
    issim_dist_log_pdf(pb->target, n, w->x, w->log_p);
    const double *log_q = w->log_p; /* plain Monte Carlo: q = p, every weight 1 */
    if (pb->proposal) {
      issim_dist_log_pdf(pb->proposal, n, w->x, w->log_q);
      log_q = w->log_q;
    }
    mark_hits(pb, n, w->x, w->hit);
    issim_accum_add(&out->acc, n, w->log_p, log_q, w->hit);
    if (out->tail) {
      event_log_weights(n, w->log_p, log_q, w->hit, w->x); /* x is spent: reuse it */
      issim_topk_add(out->tail, n, w->x);
    }
  }
  out->done = 1;
}

issim_problem issim_problem_of(const issim_scenario *s, const issim_proposal *p)
{
  return (issim_problem){
    .target = s->target, .proposal = p->dist,
    .threshold = s->threshold, .direction = s->direction,
  };
}

static int thread_count(int requested)
{
#ifdef _OPENMP
  return requested > 0 ? requested : omp_get_max_threads();
#else
  (void)requested;
  return 1;
#endif
}

static int thread_index(void)
{
#ifdef _OPENMP
  return omp_get_thread_num();
#else
  return 0;
#endif
}

uint64_t issim_engine_chunk_count(uint64_t samples)
{
  uint64_t blocks = (samples + ISSIM_BLOCK_SIZE - 1) / ISSIM_BLOCK_SIZE;
  return (blocks + ISSIM_CHUNK_BLOCKS - 1) / ISSIM_CHUNK_BLOCKS;
}

/* ---- the engine: threads' workspaces, one chunk's block results, the rules ---- */

typedef struct {
  const issim_problem *pb;
  const issim_run_config *cfg;
  const issim_stop_rules *rules; /* never NULL: a rule-less default */
  int threads;
  workspace *ws;
  block_result *blocks;   /* one chunk's */
  double start;           /* when the run began */
  double last_progress;
  uint64_t draws_done;    /* finished blocks' draws, for the progress bar */
  int stop;               /* set when a time limit or an interrupt says stop */
  issim_stop_reason why;
} engine;

static const issim_stop_rules no_rules = {0};

static void engine_free(engine *e)
{
  for (int t = 0; e->ws && t < e->threads; t++)
    workspace_free(&e->ws[t]);
  for (unsigned j = 0; e->blocks && j < ISSIM_CHUNK_BLOCKS; j++)
    issim_topk_free(e->blocks[j].tail);
  free(e->ws);
  free(e->blocks);
}

static int engine_init(engine *e, const issim_problem *pb, const issim_run_config *cfg,
                       int want_tail, issim_error *err)
{
  *e = (engine){.pb = pb, .cfg = cfg, .rules = cfg->stop ? cfg->stop : &no_rules,
                .why = ISSIM_STOP_SAMPLES};
  e->threads = thread_count(cfg->threads);
  e->ws = calloc((size_t)e->threads, sizeof *e->ws);
  e->blocks = calloc(ISSIM_CHUNK_BLOCKS, sizeof *e->blocks);
  int ok = e->ws != NULL && e->blocks != NULL;
  for (int t = 0; ok && t < e->threads; t++)
    ok = workspace_init(&e->ws[t], cfg->rng);
  size_t block_tail = issim_khat_capacity(cfg->samples);
  block_tail = block_tail < ISSIM_BLOCK_TAIL ? block_tail : ISSIM_BLOCK_TAIL;
  for (unsigned j = 0; ok && want_tail && j < ISSIM_CHUNK_BLOCKS; j++)
    ok = (e->blocks[j].tail = issim_topk_alloc(block_tail)) != NULL;
  e->start = e->last_progress = now();
  if (ok)
    return ISSIM_OK;
  engine_free(e);
  return issim_error_set(err, ISSIM_ENOMEM, "out of memory allocating the sampler's buffers");
}

/* Called by a worker before it starts a block: should the run end here? */
static int told_to_stop(engine *e)
{
  int stop;
#pragma omp atomic read
  stop = e->stop;
  if (stop)
    return 1;
  const issim_stop_rules *r = e->rules;
  issim_stop_reason why;
  if (r->interrupt && *r->interrupt)
    why = ISSIM_STOP_INTERRUPT;
  else if (r->max_seconds > 0 && now() - e->start >= r->max_seconds)
    why = ISSIM_STOP_TIME;
  else
    return 0;
#pragma omp critical(issim_engine_stop)
  if (!e->stop) {
    e->why = why;
    e->stop = 1;
  }
  return 1;
}

static void report_progress(engine *e, const issim_accum *state, int force)
{
  const issim_stop_rules *r = e->rules;
  if (r->progress == NULL)
    return;
  double t = now();
  double interval = r->progress_interval > 0 ? r->progress_interval : DEFAULT_PROGRESS_INTERVAL;
  if (!force && t - e->last_progress < interval)
    return;
  e->last_progress = t;
  uint64_t draws;
#pragma omp atomic read
  draws = e->draws_done;
  issim_progress p = {.draws = draws, .samples = e->cfg->samples, .seconds = t - e->start,
                      .state = state};
  r->progress(&p, r->progress_user);
}

/* Has the relative error reached its target, on enough hits to believe it? */
static int target_reached(const engine *e, const issim_accum *total, const issim_accum *partial)
{
  const issim_stop_rules *r = e->rules;
  if (!(r->target_re > 0))
    return 0;
  issim_accum merged = *total;
  issim_accum_merge(&merged, partial);
  uint64_t min_hits = r->min_hits ? r->min_hits : DEFAULT_MIN_HITS;
  if (merged.hits < min_hits)
    return 0;
  issim_estimate est;
  issim_accum_estimate(&merged, &est);
  return est.event_ess >= (double)min_hits && est.relative_error <= r->target_re;
}

/* Runs one chunk's blocks on the threads; returns how many there are. */
static long run_chunk_blocks(engine *e, uint64_t chunk, double tail_floor)
{
  const issim_run_config *cfg = e->cfg;
  uint64_t total_blocks = (cfg->samples + ISSIM_BLOCK_SIZE - 1) / ISSIM_BLOCK_SIZE;
  uint64_t first = chunk * ISSIM_CHUNK_BLOCKS;
  long n = (long)(total_blocks - first < ISSIM_CHUNK_BLOCKS ? total_blocks - first
                                                             : ISSIM_CHUNK_BLOCKS);
  for (long j = 0; j < n; j++)
    e->blocks[j].done = 0;
  /* Blocks are handed out in order, and a started block always finishes, so
   * the finished blocks are a prefix of the chunk when the run is stopped. */
#pragma omp parallel for num_threads(e->threads) schedule(dynamic, 1)
  for (long j = 0; j < n; j++) {
    if (told_to_stop(e))
      continue;
    uint64_t block = first + (uint64_t)j;
    uint64_t start = block * ISSIM_BLOCK_SIZE;
    uint64_t count = cfg->samples - start < ISSIM_BLOCK_SIZE ? cfg->samples - start
                                                             : ISSIM_BLOCK_SIZE;
    run_block(e->pb, cfg, block, count, tail_floor, &e->ws[thread_index()], &e->blocks[j]);
#pragma omp atomic
    e->draws_done += count;
    if (thread_index() == 0)
      report_progress(e, NULL, 0);
  }
  return n;
}

/* Merges a chunk's finished blocks, in order, into *chunk_acc and *tail,
 * stopping after the block where the relative error target is reached.
 * Returns 1 when the run must end after this chunk. */
static int merge_chunk(engine *e, long n, const issim_accum *total, issim_accum *chunk_acc,
                       issim_topk *tail)
{
  issim_accum_reset(chunk_acc);
  for (long j = 0; j < n; j++) {
    if (!e->blocks[j].done)
      return 1; /* stopped by time or interrupt: the prefix is the run */
    issim_accum_merge(chunk_acc, &e->blocks[j].acc);
    if (tail)
      issim_topk_merge(tail, e->blocks[j].tail);
    if (target_reached(e, total, chunk_acc)) {
      e->why = ISSIM_STOP_TARGET_RE;
      return 1;
    }
  }
  return e->stop;
}

int issim_engine_run(const issim_problem *pb, const issim_run_config *cfg, issim_accum *out,
                     issim_topk *tail, issim_stop_reason *stopped_by, issim_error *err)
{
  engine e;
  int rc = engine_init(&e, pb, cfg, tail != NULL, err);
  if (rc != ISSIM_OK)
    return rc;
  issim_accum_reset(out);
  if (tail)
    issim_topk_reset(tail);
  uint64_t count = issim_engine_chunk_count(cfg->samples);
  for (uint64_t c = 0; c < count; c++) {
    long n = run_chunk_blocks(&e, c, tail ? issim_topk_floor(tail) : -INFINITY);
    issim_accum chunk;
    int end = merge_chunk(&e, n, out, &chunk, tail);
    issim_accum_merge(out, &chunk);
    report_progress(&e, out, 1);
    if (end)
      break;
  }
  if (stopped_by)
    *stopped_by = e.why;
  engine_free(&e);
  return ISSIM_OK;
}

int issim_engine_run_chunks(const issim_problem *pb, const issim_run_config *cfg,
                            uint64_t first, uint64_t last, issim_accum *chunks,
                            issim_topk *tail, issim_error *err)
{
  issim_run_config plain = *cfg;
  plain.stop = NULL;
  engine e;
  int rc = engine_init(&e, pb, &plain, tail != NULL, err);
  if (rc != ISSIM_OK)
    return rc;
  if (tail)
    issim_topk_reset(tail);
  issim_accum none;
  issim_accum_reset(&none);
  uint64_t count = issim_engine_chunk_count(cfg->samples);
  for (uint64_t c = first; c < last && c < count; c++) {
    /* no floor here: the chunks' tails are merged with other processes' */
    long n = run_chunk_blocks(&e, c, -INFINITY);
    merge_chunk(&e, n, &none, &chunks[c - first], tail);
  }
  engine_free(&e);
  return ISSIM_OK;
}
