#include "engine.h"

#include <math.h>
#include <stdlib.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "rng.h"

/* Draws are generated, weighted and accumulated a batch at a time: long enough
 * for tight vector loops, short enough that the batch's five arrays stay in
 * the L1 cache. */
#define BATCH 512u

typedef struct {
  gsl_rng *rng;
  double *x, *log_p, *log_q;
  unsigned char *hit;
  issim_topk *tail; /* this thread's largest log(w h); NULL when not wanted */
} workspace;

static void workspace_free(workspace *w)
{
  if (w->rng)
    gsl_rng_free(w->rng);
  free(w->x);
  free(w->log_p);
  free(w->log_q);
  free(w->hit);
  issim_topk_free(w->tail);
  *w = (workspace){0};
}

static int workspace_init(workspace *w, const gsl_rng_type *type, size_t tail_capacity)
{
  *w = (workspace){0};
  if (tail_capacity > 0 && (w->tail = issim_topk_alloc(tail_capacity)) == NULL)
    return 0;
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

static void mark_hits(const issim_problem *pb, size_t n, const double *x, unsigned char *hit)
{
  double t = pb->threshold;
  if (pb->direction == ISSIM_ABOVE)
    for (size_t i = 0; i < n; i++)
      hit[i] = x[i] > t;
  else
    for (size_t i = 0; i < n; i++)
      hit[i] = x[i] < t;
}

static void run_block(const issim_problem *pb, const issim_run_config *cfg, uint64_t block,
                      uint64_t count, workspace *w, issim_accum *acc)
{
  const issim_dist *q = pb->proposal ? pb->proposal : pb->target;
  gsl_rng_set(w->rng, issim_rng_block_seed(cfg->seed, cfg->stream, block));
  issim_accum_reset(acc);
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
    issim_accum_add(acc, n, w->log_p, log_q, w->hit);
    if (w->tail) {
      /* x is spent: reuse it for log(w h) */
      for (size_t i = 0; i < n; i++)
        w->x[i] = w->hit[i] ? w->log_p[i] - log_q[i] : -INFINITY;
      issim_topk_add(w->tail, n, w->x);
    }
  }
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

uint64_t issim_engine_chunk_count(uint64_t samples)
{
  uint64_t blocks = (samples + ISSIM_BLOCK_SIZE - 1) / ISSIM_BLOCK_SIZE;
  return (blocks + ISSIM_CHUNK_BLOCKS - 1) / ISSIM_CHUNK_BLOCKS;
}

typedef struct {
  int threads;
  workspace *ws;
  issim_accum *blocks; /* one chunk's block accumulators */
} engine;

static void engine_free(engine *e)
{
  for (int t = 0; e->ws && t < e->threads; t++)
    workspace_free(&e->ws[t]);
  free(e->ws);
  free(e->blocks);
}

static int engine_init(engine *e, const issim_run_config *cfg, int want_tail, issim_error *err)
{
  size_t tail_capacity = want_tail ? issim_khat_capacity(cfg->samples) : 0;
  e->threads = thread_count(cfg->threads);
  e->ws = calloc((size_t)e->threads, sizeof *e->ws);
  e->blocks = calloc(ISSIM_CHUNK_BLOCKS, sizeof *e->blocks);
  int ok = e->ws != NULL && e->blocks != NULL;
  for (int t = 0; ok && t < e->threads; t++)
    ok = workspace_init(&e->ws[t], cfg->rng, tail_capacity);
  if (ok)
    return ISSIM_OK;
  engine_free(e);
  return issim_error_set(err, ISSIM_ENOMEM, "out of memory allocating the sampler's buffers");
}

/* One chunk: its blocks on the threads, then merged in block order. */
static void run_chunk(engine *e, const issim_problem *pb, const issim_run_config *cfg,
                      uint64_t chunk, issim_accum *out)
{
  uint64_t total_blocks = (cfg->samples + ISSIM_BLOCK_SIZE - 1) / ISSIM_BLOCK_SIZE;
  uint64_t first = chunk * ISSIM_CHUNK_BLOCKS;
  long n = (long)(total_blocks - first < ISSIM_CHUNK_BLOCKS ? total_blocks - first
                                                             : ISSIM_CHUNK_BLOCKS);
#pragma omp parallel for num_threads(e->threads) schedule(dynamic, 1)
  for (long j = 0; j < n; j++) {
    uint64_t block = first + (uint64_t)j;
    uint64_t start = block * ISSIM_BLOCK_SIZE;
    uint64_t count = cfg->samples - start < ISSIM_BLOCK_SIZE ? cfg->samples - start
                                                             : ISSIM_BLOCK_SIZE;
#ifdef _OPENMP
    workspace *w = &e->ws[omp_get_thread_num()];
#else
    workspace *w = &e->ws[0];
#endif
    run_block(pb, cfg, block, count, w, &e->blocks[j]);
  }
  issim_accum_reset(out);
  for (long j = 0; j < n; j++)
    issim_accum_merge(out, &e->blocks[j]);
}

/* The threads' tail buffers into *tail: a union of sets, in any order. */
static void collect_tail(engine *e, issim_topk *tail)
{
  if (tail == NULL)
    return;
  issim_topk_reset(tail);
  for (int t = 0; t < e->threads; t++)
    issim_topk_merge(tail, e->ws[t].tail);
}

int issim_engine_run_chunks(const issim_problem *pb, const issim_run_config *cfg,
                            uint64_t first, uint64_t last, issim_accum *chunks,
                            issim_topk *tail, issim_error *err)
{
  engine e;
  int rc = engine_init(&e, cfg, tail != NULL, err);
  if (rc != ISSIM_OK)
    return rc;
  uint64_t count = issim_engine_chunk_count(cfg->samples);
  for (uint64_t c = first; c < last && c < count; c++)
    run_chunk(&e, pb, cfg, c, &chunks[c - first]);
  collect_tail(&e, tail);
  engine_free(&e);
  return ISSIM_OK;
}

int issim_engine_run(const issim_problem *pb, const issim_run_config *cfg,
                     issim_accum *out, issim_topk *tail, issim_error *err)
{
  engine e;
  int rc = engine_init(&e, cfg, tail != NULL, err);
  if (rc != ISSIM_OK)
    return rc;
  issim_accum_reset(out);
  uint64_t count = issim_engine_chunk_count(cfg->samples);
  for (uint64_t c = 0; c < count; c++) {
    issim_accum chunk;
    run_chunk(&e, pb, cfg, c, &chunk);
    issim_accum_merge(out, &chunk);
  }
  collect_tail(&e, tail);
  engine_free(&e);
  return ISSIM_OK;
}
