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
  double *hit;        /* 1.0 in the event, 0.0 not */
  double *g, *scratch;/* d-dimensional problems: the losses, and the models' scratch */
  issim_loss *loss;   /* this thread's copy: an expression's evaluator holds state */
} workspace;

static void workspace_free(workspace *w)
{
  if (w->rng)
    gsl_rng_free(w->rng);
  free(w->x);
  free(w->log_p);
  free(w->log_q);
  free(w->hit);
  free(w->g);
  free(w->scratch);
  issim_loss_free(w->loss);
  *w = (workspace){0};
}

/* Points per batch: 512, halved for a large dimension until a batch holds at
 * most 65536 coordinates (so always a divisor of 512, where trace checkpoints
 * fall). */
static size_t batch_points(const issim_problem *pb)
{
  size_t d = pb->target_model ? issim_model_dim(pb->target_model) : 1, b = BATCH;
  while (b > 16 && b * d > 65536)
    b /= 2;
  return b;
}

static int workspace_init(workspace *w, const gsl_rng_type *type, const issim_problem *pb)
{
  *w = (workspace){0};
  size_t b = batch_points(pb);
  size_t d = pb->target_model ? issim_model_dim(pb->target_model) : 1;
  w->rng = gsl_rng_alloc(type);
  w->x = malloc(b * d * sizeof *w->x);
  w->log_p = malloc(b * sizeof *w->log_p);
  w->log_q = malloc(b * sizeof *w->log_q);
  w->hit = malloc(b * sizeof *w->hit);
  int ok = w->rng && w->x && w->log_p && w->log_q && w->hit;
  if (ok && pb->target_model) {
    size_t sc = issim_model_scratch(pb->target_model, b);
    if (pb->proposal_model && issim_model_scratch(pb->proposal_model, b) > sc)
      sc = issim_model_scratch(pb->proposal_model, b);
    w->g = malloc(b * sizeof *w->g);
    w->scratch = malloc((sc ? sc : 1) * sizeof *w->scratch);
    w->loss = issim_loss_clone(pb->loss);
    ok = w->g && w->scratch && w->loss;
  }
  if (ok)
    return 1;
  workspace_free(w);
  return 0;
}

/* ---- one block ---- */

/* The most trace checkpoints inside one block: ten a decade from 512 to
 * 65536 in the first block, a handful in any other. */
#define MAX_SNAPSHOTS 32

typedef struct {
  issim_accum acc;
  issim_topk *tail;   /* NULL when k-hat is not wanted */
  issim_hist hist;
  size_t n_snapshots; /* the accumulator at each trace checkpoint inside the block */
  uint64_t snapshot_n[MAX_SNAPSHOTS];
  issim_accum snapshot[MAX_SNAPSHOTS];
  int done;           /* the block ran (all of it, or `partial`) */
  int partial;        /* stopped between batches: holds its first draws only */
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

/* Draws n points of the proposal q into w->x, their log-densities under the
 * target into w->log_p and under q (returned: w->log_p itself when q is the
 * target, every weight then 1), and for d-dimensional problems their losses
 * into w->g. */
static const double *draw_batch(const issim_problem *pb, const issim_dist *q, workspace *w,
                                size_t n)
{
  if (pb->target_model) {
    const issim_model *qm = pb->proposal_model ? pb->proposal_model : pb->target_model;
    issim_model_sample(qm, w->rng, n, w->x, w->scratch);
    issim_model_log_pdf(pb->target_model, n, w->x, w->log_p, w->scratch);
    issim_loss_eval(w->loss, n, w->x, w->g);
    if (pb->proposal_model == NULL)
      return w->log_p;
    issim_model_log_pdf(pb->proposal_model, n, w->x, w->log_q, w->scratch);
    return w->log_q;
  }
  issim_dist_sample(q, w->rng, n, w->x);
  issim_dist_log_pdf(pb->target, n, w->x, w->log_p);
  if (pb->proposal == NULL)
    return w->log_p;
  issim_dist_log_pdf(pb->proposal, n, w->x, w->log_q);
  return w->log_q;
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
/* What a block is asked to record besides its accumulator. */
typedef struct engine engine;

typedef struct {
  engine *e;                   /* asked between batches whether to stop */
  double tail_floor;           /* see run_block */
  int want_hist;
  const uint64_t *checkpoints; /* the trace's, NULL for none */
  size_t n_checkpoints;
} block_wants;

/* The first checkpoint after draw `start`. */
static size_t first_checkpoint_after(const block_wants *want, uint64_t start)
{
  size_t lo = 0, hi = want->n_checkpoints;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (want->checkpoints[mid] <= start)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

static int told_to_stop(engine *e);

/* A time limit or an interrupt is honoured between batches: in high
 * dimension one block can take minutes.  The block then holds its first draws
 * only, which is what a run of that many draws would hold in its last block. */
static void run_block(const issim_problem *pb, const issim_run_config *cfg, uint64_t block,
                      uint64_t count, const block_wants *want, workspace *w, block_result *out)
{
  const issim_dist *q = pb->proposal ? pb->proposal : pb->target;
  const uint64_t start = block * ISSIM_BLOCK_SIZE;
  size_t next = first_checkpoint_after(want, start);
  gsl_rng_set(w->rng, issim_rng_block_seed(cfg->seed, cfg->stream, block));
  issim_accum_reset(&out->acc);
  issim_hist_reset(&out->hist, ISSIM_HIST_WIDTH);
  out->n_snapshots = 0;
  out->partial = 0;
  if (out->tail) {
    issim_topk_reset(out->tail);
    issim_topk_raise_floor(out->tail, want->tail_floor);
  }
  const size_t step = batch_points(pb);
  for (uint64_t done = 0; done < count; done += step) {
    if (done > 0 && want->e && told_to_stop(want->e)) {
      out->partial = 1;
      break;
    }
    size_t n = count - done < step ? (size_t)(count - done) : step;
    const double *log_q = draw_batch(pb, q, w, n);
    mark_hits(pb, n, pb->target_model ? w->g : w->x, w->hit);
    issim_accum_add(&out->acc, n, w->log_p, log_q, w->hit);
    if (out->tail || want->want_hist) {
      event_log_weights(n, w->log_p, log_q, w->hit, w->x); /* x is spent: reuse it */
      if (out->tail)
        issim_topk_add(out->tail, n, w->x);
      if (want->want_hist)
        issim_hist_add(&out->hist, n, w->x);
    }
    /* checkpoints are multiples of 512, which every batch size divides */
    while (next < want->n_checkpoints && want->checkpoints[next] == start + done + n &&
           out->n_snapshots < MAX_SNAPSHOTS) {
      out->snapshot_n[out->n_snapshots] = want->checkpoints[next++];
      out->snapshot[out->n_snapshots++] = out->acc;
    }
  }
  out->done = 1;
}

issim_problem issim_problem_of(const issim_scenario *s, const issim_proposal *p)
{
  issim_problem pb = {.threshold = s->threshold, .direction = s->direction};
  if (s->target_model) {
    pb.target_model = s->target_model;
    pb.proposal_model = p->model;
    pb.loss = s->loss;
  } else {
    pb.target = s->target;
    pb.proposal = p->dist;
  }
  return pb;
}

int issim_engine_threads(int requested)
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

struct engine {
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
};

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
  if (pb->target_model && pb->proposal_model &&
      issim_model_dim(pb->proposal_model) != issim_model_dim(pb->target_model))
    return issim_error_set(err, ISSIM_EINVAL, "the proposal has %zu dimensions but the target %zu",
                           issim_model_dim(pb->proposal_model), issim_model_dim(pb->target_model));
  e->threads = issim_engine_threads(cfg->threads);
  e->ws = calloc((size_t)e->threads, sizeof *e->ws);
  e->blocks = calloc(ISSIM_CHUNK_BLOCKS, sizeof *e->blocks);
  int ok = e->ws != NULL && e->blocks != NULL;
  for (int t = 0; ok && t < e->threads; t++)
    ok = workspace_init(&e->ws[t], cfg->rng, pb);
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
#pragma omp atomic write
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
static long run_chunk_blocks(engine *e, uint64_t chunk, const block_wants *want)
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
    run_block(e->pb, cfg, block, count, want, &e->ws[thread_index()], &e->blocks[j]);
#pragma omp atomic
    e->draws_done += e->blocks[j].acc.n;
    if (thread_index() == 0)
      report_progress(e, NULL, 0);
  }
  return n;
}

static void trace_point(issim_trace *trace, const issim_accum *state, const issim_topk *tail)
{
  if (trace->count > trace->capacity)
    return;
  issim_estimate e;
  issim_accum_estimate(state, &e);
  issim_trace_point *p = &trace->points[trace->count++];
  *p = (issim_trace_point){
    .n = state->n, .hits = state->hits, .log_estimate = e.log_estimate,
    .log_ci_low = e.log_ci_low, .log_ci_high = e.log_ci_high,
    .relative_error = e.relative_error, .event_ess = e.event_ess,
    .pareto_k = tail ? issim_topk_khat(tail, state->n) : NAN,
  };
}

/* A block's trace points: the run so far (total, then this chunk's earlier
 * blocks) merged with each of the block's snapshots.  k-hat only at the block's
 * end, where the run's tail buffer is exactly that of the draws so far. */
static void record_block_trace(issim_trace *trace, const issim_accum *total,
                               const issim_accum *chunk_acc, const block_result *b,
                               const issim_topk *tail)
{
  for (size_t k = 0; k < b->n_snapshots; k++) {
    issim_accum state = *total;
    issim_accum_merge(&state, chunk_acc);
    issim_accum_merge(&state, &b->snapshot[k]);
    int at_end = b->snapshot[k].n == b->acc.n;
    trace_point(trace, &state, at_end ? tail : NULL);
  }
}

/* Merges a chunk's finished blocks, in order, into *chunk_acc and out's tail,
 * histogram and trace, stopping after the block where the relative error
 * target is reached.  Returns 1 when the run must end after this chunk. */
static int merge_chunk(engine *e, long n, const issim_accum *total, issim_accum *chunk_acc,
                       issim_run_output *out)
{
  issim_accum_reset(chunk_acc);
  for (long j = 0; j < n; j++) {
    const block_result *b = &e->blocks[j];
    if (!b->done)
      return 1; /* stopped by time or interrupt: the prefix is the run */
    if (out->tail)
      issim_topk_merge(out->tail, b->tail);
    if (out->hist)
      issim_hist_merge(out->hist, &b->hist);
    if (out->trace)
      record_block_trace(out->trace, total, chunk_acc, b, out->tail);
    issim_accum_merge(chunk_acc, &b->acc);
    if (b->partial)
      return 1; /* the first partial block ends the prefix: later blocks are dropped */
    if (target_reached(e, total, chunk_acc)) {
      e->why = ISSIM_STOP_TARGET_RE;
      return 1;
    }
  }
  return e->stop;
}

static block_wants wants_of(engine *e, const issim_run_output *out, double tail_floor)
{
  return (block_wants){
    .e = e, .tail_floor = tail_floor, .want_hist = out->hist != NULL,
    .checkpoints = out->trace ? out->trace->checkpoints : NULL,
    .n_checkpoints = out->trace ? out->trace->capacity : 0,
  };
}

int issim_engine_run(const issim_problem *pb, const issim_run_config *cfg,
                     issim_run_output *out, issim_error *err)
{
  engine e;
  int rc = engine_init(&e, pb, cfg, out->tail != NULL, err);
  if (rc != ISSIM_OK)
    return rc;
  issim_accum_reset(&out->acc);
  if (out->tail)
    issim_topk_reset(out->tail);
  if (out->hist)
    issim_hist_reset(out->hist, ISSIM_HIST_WIDTH);
  if (out->trace)
    out->trace->count = 0;
  uint64_t count = issim_engine_chunk_count(cfg->samples);
  for (uint64_t c = 0; c < count; c++) {
    block_wants want = wants_of(&e, out, out->tail ? issim_topk_floor(out->tail) : -INFINITY);
    long n = run_chunk_blocks(&e, c, &want);
    issim_accum chunk;
    int end = merge_chunk(&e, n, &out->acc, &chunk, out);
    issim_accum_merge(&out->acc, &chunk);
    report_progress(&e, &out->acc, 1);
    if (end)
      break;
  }
  /* a run stopped early ends its trace where it stopped */
  issim_trace *t = out->trace;
  if (t && out->acc.n > 0 && (t->count == 0 || t->points[t->count - 1].n != out->acc.n))
    trace_point(t, &out->acc, out->tail);
  out->stopped_by = e.why;
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
  issim_run_output out = {.tail = tail};
  if (tail)
    issim_topk_reset(tail);
  issim_accum none;
  issim_accum_reset(&none);
  uint64_t count = issim_engine_chunk_count(cfg->samples);
  for (uint64_t c = first; c < last && c < count; c++) {
    /* no floor here: the chunks' tails are merged with other processes' */
    block_wants want = wants_of(NULL, &out, -INFINITY);
    long n = run_chunk_blocks(&e, c, &want);
    merge_chunk(&e, n, &none, &chunks[c - first], &out);
  }
  engine_free(&e);
  return ISSIM_OK;
}
