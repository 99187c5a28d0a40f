#include "engine.h"

#include <stdlib.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "rng.h"

/* Draws are generated, weighted and accumulated a batch at a time: long enough
 * for tight loops, short enough to stay in the L1/L2 cache. */
#define BATCH 2048u

typedef struct {
  gsl_rng *rng;
  double *x, *log_p, *log_q;
  unsigned char *hit;
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

int issim_engine_run(const issim_problem *pb, const issim_run_config *cfg,
                     issim_accum *out, issim_error *err)
{
  int threads = thread_count(cfg->threads);
  uint64_t blocks = (cfg->samples + ISSIM_BLOCK_SIZE - 1) / ISSIM_BLOCK_SIZE;
  /* Blocks run a round at a time and are merged in block order; the round's
   * length changes nothing in the result, only how much runs at once. */
  size_t round = 2 * (size_t)threads;
  workspace *ws = calloc((size_t)threads, sizeof *ws);
  issim_accum *partial = calloc(round, sizeof *partial);
  int ok = ws != NULL && partial != NULL;
  for (int t = 0; ok && t < threads; t++)
    ok = workspace_init(&ws[t], cfg->rng);

  issim_accum_reset(out);
  for (uint64_t first = 0; ok && first < blocks; first += round) {
    long in_round = (long)(blocks - first < round ? blocks - first : round);
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1)
    for (long j = 0; j < in_round; j++) {
      uint64_t block = first + (uint64_t)j;
      uint64_t start = block * ISSIM_BLOCK_SIZE;
      uint64_t count = cfg->samples - start < ISSIM_BLOCK_SIZE ? cfg->samples - start : ISSIM_BLOCK_SIZE;
#ifdef _OPENMP
      workspace *w = &ws[omp_get_thread_num()];
#else
      workspace *w = &ws[0];
#endif
      run_block(pb, cfg, block, count, w, &partial[j]);
    }
    for (long j = 0; j < in_round; j++)
      issim_accum_merge(out, &partial[j]);
  }

  for (int t = 0; ws && t < threads; t++)
    workspace_free(&ws[t]);
  free(ws);
  free(partial);
  if (!ok)
    return issim_error_set(err, ISSIM_ENOMEM, "out of memory allocating the sampler's buffers");
  return ISSIM_OK;
}
