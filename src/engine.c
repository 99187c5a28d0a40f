#include "engine.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "clock.h"
#include "rng.h"
#include "sampler.h"

#define DEFAULT_MIN_HITS 100
#define DEFAULT_PROGRESS_INTERVAL 0.2

const char *issim_stop_reason_name(issim_stop_reason r)
{
  switch (r) {
  case ISSIM_STOP_SAMPLES: return "samples";
  case ISSIM_STOP_TARGET_RE: return "target-re";
  case ISSIM_STOP_TIME: return "max-seconds";
  case ISSIM_STOP_INTERRUPT: return "interrupt";
  case ISSIM_STOP_LOSS: return "loss-failed";
  case ISSIM_STOP_CALLS: return "max-calls";
  }
  return "unknown";
}

/* ---- one thread's buffers ---- */

typedef struct {
  issim_sampler *sampler;
  double *hit;        /* 1.0 in the event, 0.0 not */
} workspace;

static void workspace_free(workspace *w)
{
  issim_sampler_free(w->sampler);
  free(w->hit);
  *w = (workspace){0};
}

static int workspace_init(workspace *w, const gsl_rng_type *type, const issim_problem *pb)
{
  w->sampler = issim_sampler_alloc(pb, type);
  w->hit = malloc(issim_sampler_batch(pb) * sizeof *w->hit);
  if (w->sampler && w->hit)
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
  issim_khat_topk *tail;   /* NULL when k-hat is not wanted */
  issim_hist hist;
  issim_region_tally *regions; /* NULL when the regions' tally is not wanted */
  issim_exceedance *levels; /* NULL when the thresholds' tally is not wanted */
  issim_region_levels *level_regions; /* NULL when the levels' regions' tally is not wanted */
  size_t n_snapshots; /* the accumulator at each trace checkpoint inside the block */
  uint64_t snapshot_n[MAX_SNAPSHOTS];
  issim_accum snapshot[MAX_SNAPSHOTS];
  int done;           /* the block ran (all of it, or `partial`) */
  int partial;        /* stopped between batches: holds its first draws only */
  int failed;         /* partial because the loss failed on its next batch */
  char failure[ISSIM_ERROR_MESSAGE_SIZE]; /* then why, and on which draws */
} block_result;

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

static int told_to_stop(engine *e, uint64_t block);
static void loss_failed(engine *e, uint64_t block);

/* The loss failed on the batch of draws [first, first + n) of the block:
 * the block ends before it, with the message. */
static void record_failure(block_result *out, uint64_t first, size_t n, const char *why)
{
  out->partial = 1;
  out->failed = 1;
  snprintf(out->failure, sizeof out->failure, "draws %llu to %llu: %s",
           (unsigned long long)first + 1, (unsigned long long)(first + n), why);
}

/* A time limit or an interrupt is honoured between batches: in high
 * dimension one block can take minutes.  The block then holds its first draws
 * only, which is what a run of that many draws would hold in its last block.
 * So is a loss that fails, and a failure in an earlier block. */
static void run_block(const issim_problem *pb, const issim_run_config *cfg, uint64_t block,
                      uint64_t count, const block_wants *want, workspace *w, block_result *out)
{
  const uint64_t start = block * ISSIM_BLOCK_SIZE;
  size_t next = first_checkpoint_after(want, start);
  issim_sampler_seed(w->sampler, issim_rng_block_seed(cfg->seed, cfg->stream, block));
  issim_accum_reset(&out->acc);
  issim_hist_reset(&out->hist, ISSIM_HIST_WIDTH);
  out->n_snapshots = 0;
  out->partial = out->failed = 0;
  if (out->tail) {
    issim_khat_topk_reset(out->tail);
    issim_khat_topk_raise_floor(out->tail, want->tail_floor);
  }
  if (out->regions)
    issim_region_tally_reset(out->regions);
  if (out->levels)
    issim_exceedance_reset(out->levels);
  if (out->level_regions)
    issim_region_levels_reset(out->level_regions);
  const size_t step = issim_sampler_batch(pb);
  double *x = issim_sampler_x(w->sampler); /* spent once a batch is accumulated: reused */
  const double *log_p = issim_sampler_log_p(w->sampler);
  const double *log_q = issim_sampler_log_q(w->sampler);
  const double *g = issim_sampler_g(w->sampler);
  for (uint64_t done = 0; done < count; done += step) {
    if (done > 0 && want->e && told_to_stop(want->e, block)) {
      out->partial = 1;
      break;
    }
    size_t n = count - done < step ? (size_t)(count - done) : step;
    if (issim_sampler_draw(w->sampler, n, out->regions || out->level_regions) != ISSIM_OK) {
      record_failure(out, start + done, n, issim_sampler_error(w->sampler));
      if (want->e)
        loss_failed(want->e, block);
      break;
    }
    issim_event_mark_hits(&pb->event, n, g, w->hit);
    issim_accum_add(&out->acc, n, log_p, log_q, w->hit);
    if (out->regions) /* before x is reused below */
      issim_region_tally_add(out->regions, n, x, log_p, log_q, w->hit);
    if (out->level_regions)
      issim_region_levels_add(out->level_regions, n, x, log_p, log_q, g);
    if (out->levels)
      issim_exceedance_add(out->levels, n, log_p, log_q, g);
    if (out->tail || want->want_hist) {
      issim_event_log_weights(n, log_p, log_q, w->hit, x);
      if (out->tail)
        issim_khat_topk_add(out->tail, n, x);
      if (want->want_hist)
        issim_hist_add(&out->hist, n, x);
    }
    /* checkpoints are multiples of 512, which every batch size divides */
    while (next < want->n_checkpoints && want->checkpoints[next] == start + done + n &&
           out->n_snapshots < MAX_SNAPSHOTS) {
      out->snapshot_n[out->n_snapshots] = want->checkpoints[next++];
      out->snapshot[out->n_snapshots++] = out->acc;
    }
  }
  if (out->tail) { /* trimmed now, on the block's thread, rather than in the merge, serial */
    const double *kept;
    issim_khat_topk_trim(out->tail, &kept);
  }
  out->done = 1;
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
  /* one process with a relative error target: the chunk's finished prefix,
   * so that the blocks past the one where the target is reached are not
   * drawn (find_cut would drop them): a draw of a large model costs
   * microseconds, and a chunk holds 64 blocks */
  const issim_accum *total; /* the run before this chunk */
  issim_accum prefix_acc;
  long prefix;
  int chunk_stop;           /* the target is reached in the prefix */
  uint64_t failed_block;  /* the first block where the loss failed; UINT64_MAX: none */
  char failure[ISSIM_ERROR_MESSAGE_SIZE]; /* the run's failure, once the cut is found */
  /* the exchange of a round's chunks (see "what a rank ships" below) */
  int rank, ranks;
  block_result *shipped;  /* one chunk's blocks as received: no tail, no histogram */
  issim_khat_topk *segment;    /* a run-sized buffer for the tail values of blocks in a row */
  issim_region_tally *chunk_regions; /* one chunk's regions' tally, shipped or received */
  issim_region_levels *chunk_level_regions; /* one chunk's levels' regions' tally, likewise */
  issim_exceedance *chunk_levels; /* one chunk's thresholds' tally, shipped or received */
  double *values;         /* room for a segment's values as received */
  size_t *offsets;        /* where each rank's bytes begin in the heads (ranks + 1), then the bodies */
  double floor;           /* the run's tail floor when the round began */
};

static const issim_stop_rules no_rules = {0};

static void engine_free(engine *e)
{
  for (int t = 0; e->ws && t < e->threads; t++)
    workspace_free(&e->ws[t]);
  for (unsigned j = 0; e->blocks && j < ISSIM_CHUNK_BLOCKS; j++) {
    issim_khat_topk_free(e->blocks[j].tail);
    issim_region_tally_free(e->blocks[j].regions);
    issim_exceedance_free(e->blocks[j].levels);
    issim_region_levels_free(e->blocks[j].level_regions);
  }
  issim_region_tally_free(e->chunk_regions);
  issim_region_levels_free(e->chunk_level_regions);
  issim_exceedance_free(e->chunk_levels);
  free(e->ws);
  free(e->blocks);
  free(e->shipped);
  issim_khat_topk_free(e->segment);
  free(e->values);
  free(e->offsets);
}

/* The tail buffer, for each threshold of a tally whose run keeps the K
 * largest values, of the blocks in place j of their chunk: four times the
 * share of K of a block in a run of j + 1 blocks, at least 64, at most K.  A
 * run that ends after block b has at least b + 1 blocks, and b's place j is
 * at most b: its blocks keep four times their share whatever the run's
 * length, and a run stopped early (--target-re, a time limit) keeps the same
 * values as the fixed run of as many draws (engine.h). */
static size_t level_block_tail(unsigned j, size_t k)
{
  uint64_t c = (4 * (uint64_t)k + j) / ((uint64_t)j + 1);
  c = c < 64 ? 64 : c;
  return c < k ? (size_t)c : k;
}

/* Each block's thresholds' tally and the chunk's, like the run's `levels`:
 * for as many blocks as a chunk of this run holds. */
static int alloc_levels(engine *e, const issim_exceedance *levels)
{
  size_t k = levels->tail ? issim_khat_topk_capacity(levels->tail[0]) : 0;
  uint64_t blocks = (e->cfg->samples + ISSIM_BLOCK_SIZE - 1) / ISSIM_BLOCK_SIZE;
  int ok = (e->chunk_levels = issim_exceedance_alloc_like(levels, k)) != NULL;
  for (unsigned j = 0; ok && j < ISSIM_CHUNK_BLOCKS && j < blocks; j++)
    ok = (e->blocks[j].levels =
              issim_exceedance_alloc_like(levels, k ? level_block_tail(j, k) : 0)) != NULL;
  return ok;
}

/* Each block's tallies and the chunk's, of the regions, the thresholds and
 * the thresholds' regions (each NULL when not wanted); 0 when out of memory. */
static int alloc_tallies(engine *e, const issim_regions *regions, const issim_exceedance *levels,
                         const issim_region_levels *level_regions)
{
  int ok = 1;
  for (unsigned j = 0; ok && regions && j < ISSIM_CHUNK_BLOCKS; j++)
    ok = (e->blocks[j].regions = issim_region_tally_alloc(regions)) != NULL;
  if (ok && regions)
    ok = (e->chunk_regions = issim_region_tally_alloc(regions)) != NULL;
  if (ok && levels)
    ok = alloc_levels(e, levels);
  for (unsigned j = 0; ok && level_regions && j < ISSIM_CHUNK_BLOCKS; j++)
    ok = (e->blocks[j].level_regions = issim_region_levels_alloc_like(level_regions)) != NULL;
  if (ok && level_regions)
    ok = (e->chunk_level_regions = issim_region_levels_alloc_like(level_regions)) != NULL;
  return ok;
}

/* tail: the run's tail buffer, NULL when k-hat is not wanted; regions: the
 * regions to tally, NULL when not wanted; levels: the run's thresholds'
 * tally, NULL when not wanted; level_regions, their regions' tally, likewise.  With a cluster, every rank fails if one does,
 * so that none waits for the others. */
static int engine_init(engine *e, const issim_problem *pb, const issim_run_config *cfg,
                       const issim_khat_topk *tail, const issim_regions *regions,
                       const issim_exceedance *levels,
                       const issim_region_levels *level_regions, issim_error *err)
{
  *e = (engine){.pb = pb, .cfg = cfg, .rules = cfg->stop ? cfg->stop : &no_rules,
                .why = ISSIM_STOP_SAMPLES, .failed_block = UINT64_MAX,
                .rank = issim_cluster_rank(cfg->cluster),
                .ranks = issim_cluster_size(cfg->cluster)};
  int want_tail = tail != NULL;
  if (pb->proposal && issim_model_dim(pb->proposal) != issim_model_dim(pb->target))
    return issim_error_set(err, ISSIM_EINVAL, "the proposal has %zu dimensions but the target %zu",
                           issim_model_dim(pb->proposal), issim_model_dim(pb->target));
  e->threads = issim_engine_threads(cfg->threads);
  e->ws = calloc((size_t)e->threads, sizeof *e->ws);
  e->blocks = calloc(ISSIM_CHUNK_BLOCKS, sizeof *e->blocks);
  int ok = e->ws != NULL && e->blocks != NULL;
  for (int t = 0; ok && t < e->threads; t++)
    ok = workspace_init(&e->ws[t], cfg->rng, pb);
  size_t block_tail = issim_khat_capacity(cfg->samples);
  block_tail = block_tail < ISSIM_BLOCK_TAIL ? block_tail : ISSIM_BLOCK_TAIL;
  for (unsigned j = 0; ok && want_tail && j < ISSIM_CHUNK_BLOCKS; j++)
    ok = (e->blocks[j].tail = issim_khat_topk_alloc(block_tail)) != NULL;
  if (ok)
    ok = alloc_tallies(e, regions, levels, level_regions);
  if (ok) {
    e->shipped = calloc(ISSIM_CHUNK_BLOCKS, sizeof *e->shipped);
    e->offsets = malloc(2 * ((size_t)e->ranks + 1) * sizeof *e->offsets);
    ok = e->shipped && e->offsets;
  }
  if (ok && want_tail) {
    e->segment = issim_khat_topk_alloc(issim_khat_topk_capacity(tail));
    e->values = malloc(issim_khat_topk_capacity(tail) * sizeof *e->values);
    ok = e->segment && e->values;
  }
  e->start = e->last_progress = issim_clock_now();
  if (!issim_cluster_max(cfg->cluster, !ok))
    return ISSIM_OK;
  engine_free(e);
  return issim_error_set(err, ISSIM_ENOMEM, "out of memory allocating the sampler's buffers%s",
                         ok ? " (in another process)" : "");
}

/* The loss failed in this block: the later blocks stop, the earlier ones
 * finish (the run is then the draws before the failure, in order). */
static void loss_failed(engine *e, uint64_t block)
{
#pragma omp critical(issim_engine_stop)
  if (block < e->failed_block) {
#pragma omp atomic write
    e->failed_block = block;
  }
}

/* Called by a worker before it starts a block, and between the batches of
 * one: should block `block` end here? */
static int told_to_stop(engine *e, uint64_t block)
{
  int stop, chunk_stop;
  uint64_t failed;
#pragma omp atomic read
  stop = e->stop;
#pragma omp atomic read
  chunk_stop = e->chunk_stop;
#pragma omp atomic read
  failed = e->failed_block;
  if (stop || chunk_stop || block > failed)
    return 1;
  const issim_stop_rules *r = e->rules;
  issim_stop_reason why;
  if (r->interrupt && *r->interrupt)
    why = ISSIM_STOP_INTERRUPT;
  else if (r->max_seconds > 0 && issim_clock_now() - e->start >= r->max_seconds)
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
  double t = issim_clock_now();
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

/* After block j of a chunk of n finished: extends the finished prefix and
 * stops the chunk once the target is reached in it (the decision find_cut
 * takes, on the same merges in the same order), single process only. */
static void watch_prefix(engine *e, long n)
{
  if (e->total == NULL)
    return;
#pragma omp critical(issim_engine_prefix)
  while (!e->chunk_stop && e->prefix < n && e->blocks[e->prefix].done &&
         !e->blocks[e->prefix].partial) {
    issim_accum_merge(&e->prefix_acc, &e->blocks[e->prefix].acc);
    e->prefix++;
    if (target_reached(e, e->total, &e->prefix_acc)) {
#pragma omp atomic write
      e->chunk_stop = 1;
    }
  }
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
  issim_accum_reset(&e->prefix_acc);
  e->prefix = 0;
  e->chunk_stop = 0;
  /* Blocks are handed out in order, and a started block always finishes, so
   * the finished blocks are a prefix of the chunk when the run is stopped. */
#pragma omp parallel for num_threads(e->threads) schedule(dynamic, 1)
  for (long j = 0; j < n; j++) {
    uint64_t block = first + (uint64_t)j;
    if (told_to_stop(e, block))
      continue;
    uint64_t start = block * ISSIM_BLOCK_SIZE;
    uint64_t count = cfg->samples - start < ISSIM_BLOCK_SIZE ? cfg->samples - start
                                                             : ISSIM_BLOCK_SIZE;
    run_block(e->pb, cfg, block, count, want, &e->ws[thread_index()], &e->blocks[j]);
    watch_prefix(e, n);
#pragma omp atomic
    e->draws_done += e->blocks[j].acc.n;
    if (thread_index() == 0)
      report_progress(e, NULL, 0);
  }
  return n;
}

/* ---- what a rank ships of its chunk ----
 *
 * A round is exchanged in two steps.  First the heads: of each block of the
 * chunk's finished prefix, its accumulator, whether it is partial, and its
 * trace snapshots.  From the heads every rank finds, alike, where the run
 * ends (the cut).  Then the bodies, cut there: the chunk's tail values, in
 * segments that end where a trace point needs the run's tail (a block with a
 * checkpoint at its end) and at the last block kept, each segment the K
 * largest values of its blocks; and the histogram of the blocks kept.  Merging
 * a segment's K largest into the run's K largest leaves exactly what merging
 * its blocks one by one would, so the segments change nothing.  A single
 * process ships to itself: there is one merge, whatever the number of ranks.
 *
 * Everything is 64-bit words, so the doubles inside stay aligned.  An empty
 * contribution means "out of memory": then every rank fails alike. */

typedef struct {
  unsigned char *data;
  size_t len, cap;
  int failed;
} bytes;

static void put(bytes *b, const void *p, size_t n)
{
  if (b->failed || n == 0)
    return;
  if (b->len + n > b->cap) {
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + n)
      cap *= 2;
    unsigned char *d = realloc(b->data, cap);
    if (d == NULL) {
      b->failed = 1;
      return;
    }
    b->data = d;
    b->cap = cap;
  }
  memcpy(b->data + b->len, p, n);
  b->len += n;
}

/* put() for issim_exceedance_pack */
static void put_bytes(void *b, const void *p, size_t n)
{
  put(b, p, n);
}

static void put_u64(bytes *b, uint64_t v)
{
  put(b, &v, sizeof v);
}

/* What is sent: nothing when packing failed (see above). */
static size_t sent_length(const bytes *b)
{
  return b->failed ? 0 : b->len;
}

static const unsigned char *get(const unsigned char *p, void *out, size_t n)
{
  memcpy(out, p, n);
  return p + n;
}

static const unsigned char *get_u64(const unsigned char *p, uint64_t *v)
{
  return get(p, v, sizeof *v);
}

#define NO_CHUNK UINT64_MAX

/* The trace point at a block's snapshot k is at the block's end: the one
 * place inside a block where k-hat is known, and needs the run's tail. */
static int snapshot_at_end(const block_result *b, size_t k)
{
  return b->snapshot[k].n == b->acc.n;
}

/* Does a segment of tail values end after block j of the `kept` blocks? */
static int segment_ends(const block_result *b, uint64_t j, uint64_t kept, int tracing)
{
  return j + 1 == kept || (tracing && b->n_snapshots > 0 && snapshot_at_end(b, b->n_snapshots - 1));
}

/* The head of this rank's chunk (NO_CHUNK: none this round) of n blocks. */
static void pack_head(const engine *e, uint64_t chunk, long n, bytes *out)
{
  long done = 0;
  while (done < n && e->blocks[done].done)
    done++;
  put_u64(out, chunk);
  put_u64(out, (uint64_t)n);
  put_u64(out, e->stop ? (uint64_t)e->why + 1 : 0);
  put_u64(out, (uint64_t)done);
  for (long j = 0; j < done; j++) {
    const block_result *b = &e->blocks[j];
    put_u64(out, (uint64_t)b->partial);
    put_u64(out, (uint64_t)b->failed);
    put_u64(out, (uint64_t)b->n_snapshots);
    put(out, &b->acc, sizeof b->acc);
    put(out, b->snapshot, b->n_snapshots * sizeof b->snapshot[0]);
    if (b->failed) /* a multiple of 8 bytes */
      put(out, b->failure, sizeof b->failure);
  }
}

typedef struct {
  uint64_t n;             /* the chunk's blocks */
  uint64_t done;          /* the finished ones, a prefix */
  issim_stop_reason why;  /* why the rank stopped, if it did */
} chunk_head;

/* Reads a head, its blocks into blocks[0..done). */
static chunk_head read_head(const unsigned char *p, block_result *blocks)
{
  chunk_head h;
  uint64_t chunk, why;
  p = get_u64(p, &chunk);
  p = get_u64(p, &h.n);
  p = get_u64(p, &why);
  p = get_u64(p, &h.done);
  h.why = why ? (issim_stop_reason)(why - 1) : ISSIM_STOP_SAMPLES;
  for (uint64_t j = 0; j < h.done; j++) {
    block_result *b = &blocks[j];
    uint64_t partial, failed, n_snapshots;
    p = get_u64(p, &partial);
    p = get_u64(p, &failed);
    p = get_u64(p, &n_snapshots);
    b->partial = (int)partial;
    b->failed = (int)failed;
    b->n_snapshots = (size_t)n_snapshots;
    p = get(p, &b->acc, sizeof b->acc);
    p = get(p, b->snapshot, b->n_snapshots * sizeof b->snapshot[0]);
    if (b->failed)
      p = get(p, b->failure, sizeof b->failure);
    b->done = 1;
  }
  return h;
}

/* Merges a block's K largest tail values (trimmed first: see issim_khat_topk_trim)
 * into dst. */
static void merge_block_tail(issim_khat_topk *dst, issim_khat_topk *block_tail)
{
  const double *v;
  size_t m = issim_khat_topk_trim(block_tail, &v);
  issim_khat_topk_add(dst, m, v);
}

/* The body of this rank's chunk: the first `kept` blocks' tail segments and
 * histogram. */
static void pack_body(engine *e, uint64_t kept, const issim_run_output *out, bytes *body)
{
  put_u64(body, 1); /* never empty: see above */
  if (out->tail) {
    issim_khat_topk_reset(e->segment);
    issim_khat_topk_raise_floor(e->segment, e->floor);
    for (uint64_t j = 0; j < kept; j++) {
      merge_block_tail(e->segment, e->blocks[j].tail);
      if (!segment_ends(&e->blocks[j], j, kept, out->trace != NULL))
        continue;
      const double *v;
      size_t m = issim_khat_topk_trim(e->segment, &v);
      put_u64(body, (uint64_t)m);
      put(body, v, m * sizeof *v);
      issim_khat_topk_reset(e->segment);
      issim_khat_topk_raise_floor(e->segment, e->floor);
    }
  }
  if (out->hist) {
    issim_hist h;
    issim_hist_reset(&h, ISSIM_HIST_WIDTH);
    for (uint64_t j = 0; j < kept; j++)
      issim_hist_merge(&h, &e->blocks[j].hist);
    put(body, &h, sizeof h);
  }
  if (out->regions) { /* the kept blocks merged in order, as the accumulators */
    issim_region_tally_reset(e->chunk_regions);
    for (uint64_t j = 0; j < kept; j++)
      issim_region_tally_merge(e->chunk_regions, e->blocks[j].regions);
    put(body, e->chunk_regions->sum, e->chunk_regions->n * sizeof *e->chunk_regions->sum);
  }
  if (out->levels) { /* the kept blocks merged in order, as the accumulators */
    issim_exceedance_reset(e->chunk_levels);
    for (uint64_t j = 0; j < kept; j++)
      issim_exceedance_merge(e->chunk_levels, e->blocks[j].levels);
    issim_exceedance_pack(e->chunk_levels, put_bytes, body);
  }
  if (out->level_regions) { /* likewise */
    issim_region_levels_reset(e->chunk_level_regions);
    for (uint64_t j = 0; j < kept; j++)
      issim_region_levels_merge(e->chunk_level_regions, e->blocks[j].level_regions);
    issim_region_levels_pack(e->chunk_level_regions, put_bytes, body);
  }
}

/* ---- the canonical merge of a round ---- */

/* Where a round ends the run, if it does. */
typedef struct {
  size_t chunks;          /* the round's chunks merged, the cut one included */
  uint64_t kept;          /* the blocks kept of the last of them */
  int end;                /* the run ends there */
  issim_stop_reason why;
} cut;

/* Finds the cut: the first block, in chunk order, that is partial or after
 * which the relative error target is reached, or the first block not run:
 * the decisions a single process takes, in its order, on the same state. */
static cut find_cut(engine *e, const unsigned char *heads, size_t n_chunks,
                    const issim_accum *total_before)
{
  issim_accum total = *total_before;
  cut c = {.chunks = n_chunks, .why = ISSIM_STOP_SAMPLES};
  for (size_t k = 0; k < n_chunks; k++) {
    chunk_head h = read_head(heads + e->offsets[k], e->shipped); /* the heads' offsets */
    issim_accum chunk;
    issim_accum_reset(&chunk);
    c.kept = h.done;
    for (uint64_t j = 0; j < h.done && !c.end; j++) {
      issim_accum_merge(&chunk, &e->shipped[j].acc);
      if (e->shipped[j].failed) { /* the first partial block ends the prefix */
        c = (cut){.kept = j + 1, .end = 1, .why = ISSIM_STOP_LOSS};
        memcpy(e->failure, e->shipped[j].failure, sizeof e->failure);
      } else if (e->shipped[j].partial)
        c = (cut){.kept = j + 1, .end = 1, .why = h.why};
      else if (target_reached(e, &total, &chunk))
        c = (cut){.kept = j + 1, .end = 1, .why = ISSIM_STOP_TARGET_RE};
    }
    if (!c.end && h.done < h.n) /* stopped by time or interrupt: the prefix is the run */
      c = (cut){.kept = h.done, .end = 1, .why = h.why};
    if (c.end) {
      c.chunks = k + 1;
      return c;
    }
    issim_accum_merge(&total, &chunk);
  }
  return c;
}

/* tail: the run's, trimmed here (its K largest kept, as they would be
 * anyway) so that the fit needs no copy of its candidates */
static void trace_point(issim_trace *trace, const issim_accum *state, issim_khat_topk *tail,
                        int threads)
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
    .pareto_k = NAN,
  };
  if (tail) {
    const double *kept;
    issim_khat_topk_trim(tail, &kept);
    p->pareto_k = issim_khat_topk_khat_on(tail, state->n, threads);
  }
}

/* A block's trace points: the run so far merged with this chunk's earlier
 * blocks and each of the block's snapshots, associated as a run that ends
 * there merges them, total + (chunk + snapshot), so that every point is the
 * fixed run's digits (merges round, and do not associate exactly).  k-hat
 * only at the block's end, where the run's tail buffer is exactly that of the
 * draws so far. */
static void record_block_trace(issim_trace *trace, const issim_accum *total,
                               const issim_accum *chunk_acc, const block_result *b,
                               issim_khat_topk *tail, int threads)
{
  for (size_t k = 0; k < b->n_snapshots; k++) {
    issim_accum last_chunk = *chunk_acc, state = *total;
    issim_accum_merge(&last_chunk, &b->snapshot[k]);
    issim_accum_merge(&state, &last_chunk);
    trace_point(trace, &state, snapshot_at_end(b, k) ? tail : NULL, threads);
  }
}

/* Merges the first `kept` blocks (at most the finished ones) of a shipped
 * chunk, in order, into out: the accumulator (blocks left to right into the
 * chunk's, then the chunk into the run's), the tail a segment at a time, the
 * trace and the histogram. */
static void merge_shipped_chunk(engine *e, const unsigned char *head_bytes,
                                const unsigned char *body, uint64_t kept, issim_run_output *out)
{
  chunk_head h = read_head(head_bytes, e->shipped);
  kept = kept < h.done ? kept : h.done;
  uint64_t ok;
  body = get_u64(body, &ok);
  issim_accum chunk;
  issim_accum_reset(&chunk);
  for (uint64_t j = 0; j < kept; j++) {
    const block_result *b = &e->shipped[j];
    if (out->tail && segment_ends(b, j, kept, out->trace != NULL)) {
      uint64_t m;
      body = get_u64(body, &m);
      body = get(body, e->values, (size_t)m * sizeof *e->values);
      issim_khat_topk_add(out->tail, (size_t)m, e->values);
    }
    if (out->trace)
      record_block_trace(out->trace, &out->acc, &chunk, b, out->tail, e->threads);
    issim_accum_merge(&chunk, &b->acc);
  }
  if (out->hist) {
    issim_hist hist;
    body = get(body, &hist, sizeof hist);
    issim_hist_merge(out->hist, &hist);
  }
  if (out->regions) {
    body = get(body, e->chunk_regions->sum, e->chunk_regions->n * sizeof *e->chunk_regions->sum);
    issim_region_tally_merge(out->regions, e->chunk_regions);
  }
  if (out->levels) {
    issim_exceedance_reset(e->chunk_levels);
    body = issim_exceedance_unpack(e->chunk_levels, body);
    issim_exceedance_merge(out->levels, e->chunk_levels);
  }
  if (out->level_regions) {
    body = issim_region_levels_unpack(e->chunk_level_regions, body);
    issim_region_levels_merge(out->level_regions, e->chunk_level_regions);
  }
  issim_accum_merge(&out->acc, &chunk);
}

static block_wants wants_of(engine *e, const issim_run_output *out, double tail_floor)
{
  return (block_wants){
    .e = e, .tail_floor = tail_floor, .want_hist = out->hist != NULL,
    .checkpoints = out->trace ? out->trace->checkpoints : NULL,
    .n_checkpoints = out->trace ? out->trace->capacity : 0,
  };
}

/* Did some rank fail to pack its part of an exchange? */
static int exchange_failed(const engine *e, const void *all, const size_t *offsets)
{
  if (all == NULL)
    return 1;
  for (int r = 0; r < e->ranks; r++)
    if (offsets[r + 1] == offsets[r])
      return 1;
  return 0;
}

/* One round: this rank's chunk first + rank run, the round's heads exchanged,
 * the cut found, the bodies exchanged and merged in chunk order.  Sets *end
 * when the run ends here. */
static int run_round(engine *e, uint64_t first, issim_run_output *out, int *end,
                     issim_error *err)
{
  const issim_cluster *cl = e->cfg->cluster;
  uint64_t count = issim_engine_chunk_count(e->cfg->samples);
  uint64_t mine = first + (uint64_t)e->rank;
  size_t n_chunks = count - first < (uint64_t)e->ranks ? (size_t)(count - first) : (size_t)e->ranks;
  e->floor = out->tail ? issim_khat_topk_floor(out->tail) : -INFINITY;
  block_wants want = wants_of(e, out, e->floor);
  e->total = e->ranks == 1 && e->rules->target_re > 0 ? &out->acc : NULL;
  long n = mine < count ? run_chunk_blocks(e, mine, &want) : 0;

  size_t *head_at = e->offsets, *body_at = e->offsets + e->ranks + 1;
  bytes head = {0}, body = {0};
  pack_head(e, mine < count ? mine : NO_CHUNK, n, &head);
  unsigned char *heads = issim_cluster_allgather(cl, head.data, sent_length(&head), head_at);
  unsigned char *bodies = NULL;
  int failed = exchange_failed(e, heads, head_at);
  cut c = {0};
  if (!failed) { /* every rank alike */
    c = find_cut(e, heads, n_chunks, &out->acc);
    if ((size_t)e->rank < c.chunks)
      pack_body(e, (size_t)e->rank + 1 == c.chunks && c.end ? c.kept : (uint64_t)n, out, &body);
    else
      put_u64(&body, 1);
    bodies = issim_cluster_allgather(cl, body.data, sent_length(&body), body_at);
    failed = exchange_failed(e, bodies, body_at);
    for (size_t k = 0; !failed && k < c.chunks; k++)
      merge_shipped_chunk(e, heads + head_at[k], bodies + body_at[k],
                          k + 1 == c.chunks && c.end ? c.kept : UINT64_MAX, out);
  }
  free(head.data);
  free(body.data);
  free(heads);
  free(bodies);
  if (failed)
    return issim_error_set(err, ISSIM_ENOMEM, "out of memory exchanging the results of a round");
  e->why = c.why;
  *end = c.end;
  return ISSIM_OK;
}

int issim_engine_run(const issim_problem *pb, const issim_run_config *cfg,
                     issim_run_output *out, issim_error *err)
{
  engine e;
  int rc = engine_init(&e, pb, cfg, out->tail, out->regions ? out->regions->regions : NULL,
                       out->levels, out->level_regions, err);
  if (rc != ISSIM_OK)
    return rc;
  issim_accum_reset(&out->acc);
  if (out->regions)
    issim_region_tally_reset(out->regions);
  if (out->levels)
    issim_exceedance_reset(out->levels);
  if (out->level_regions)
    issim_region_levels_reset(out->level_regions);
  if (out->tail)
    issim_khat_topk_reset(out->tail);
  if (out->hist)
    issim_hist_reset(out->hist, ISSIM_HIST_WIDTH);
  if (out->trace)
    out->trace->count = 0;
  out->failure[0] = '\0';
  uint64_t count = issim_engine_chunk_count(cfg->samples);
  int end = 0;
  for (uint64_t first = 0; rc == ISSIM_OK && !end && first < count; first += (uint64_t)e.ranks) {
    rc = run_round(&e, first, out, &end, err);
    e.draws_done = out->acc.n;
    report_progress(&e, &out->acc, 1);
  }
  /* a run stopped early ends its trace where it stopped */
  issim_trace *t = out->trace;
  if (rc == ISSIM_OK && t && out->acc.n > 0 &&
      (t->count == 0 || t->points[t->count - 1].n != out->acc.n))
    trace_point(t, &out->acc, out->tail, e.threads);
  out->stopped_by = e.why;
  if (rc == ISSIM_OK && e.why == ISSIM_STOP_LOSS) {
    memcpy(out->failure, e.failure, sizeof out->failure);
    rc = issim_error_set(err, ISSIM_ELOSS, "%s", e.failure);
  }
  engine_free(&e);
  return rc;
}

int issim_engine_run_chunks(const issim_problem *pb, const issim_run_config *cfg,
                            uint64_t first, uint64_t last, issim_accum *chunks,
                            issim_khat_topk *tail, issim_error *err)
{
  issim_run_config plain = *cfg;
  plain.stop = NULL;
  plain.cluster = NULL; /* this process's chunks alone: nothing collective */
  engine e;
  int rc = engine_init(&e, pb, &plain, tail, NULL, NULL, NULL, err);
  if (rc != ISSIM_OK)
    return rc;
  if (tail)
    issim_khat_topk_reset(tail);
  issim_run_output none = {0};
  uint64_t count = issim_engine_chunk_count(cfg->samples);
  for (uint64_t c = first; rc == ISSIM_OK && c < last && c < count; c++) {
    /* no floor here: the chunks' tails are merged with other processes' */
    block_wants want = wants_of(NULL, &none, -INFINITY);
    long n = run_chunk_blocks(&e, c, &want);
    issim_accum_reset(&chunks[c - first]);
    for (long j = 0; rc == ISSIM_OK && j < n; j++) {
      if (e.blocks[j].failed)
        rc = issim_error_set(err, ISSIM_ELOSS, "%s", e.blocks[j].failure);
      if (tail)
        merge_block_tail(tail, e.blocks[j].tail);
      issim_accum_merge(&chunks[c - first], &e.blocks[j].acc);
    }
  }
  engine_free(&e);
  return rc;
}

/* ---- the draws again, in order ---- */

/* Block b's batches of a run of cfg, as run_block draws them, up to n draws
 * in all; *done counts the draws given. */
static int replay_block(workspace *w, const issim_problem *pb, const issim_run_config *cfg,
                        uint64_t b, uint64_t n, double *component, uint64_t *done,
                        issim_draws_fn fn, void *user, issim_error *err)
{
  const uint64_t start = b * ISSIM_BLOCK_SIZE;
  const uint64_t count = cfg->samples - start < ISSIM_BLOCK_SIZE ? cfg->samples - start
                                                                 : ISSIM_BLOCK_SIZE;
  const size_t step = issim_sampler_batch(pb);
  issim_sampler_seed(w->sampler, issim_rng_block_seed(cfg->seed, cfg->stream, b));
  for (uint64_t k = 0; k < count && *done < n; k += step) {
    size_t m = count - k < step ? (size_t)(count - k) : step;
    int labelled, rc = issim_sampler_draw_components(w->sampler, m, component, &labelled);
    if (rc == ISSIM_ENOMEM)
      return issim_error_set(err, rc, "out of memory copying a generator");
    if (rc != ISSIM_OK)
      return issim_error_set(err, rc, "%s", issim_sampler_error(w->sampler));
    issim_draws d = {
      .first = *done, .n = n - *done < m ? (size_t)(n - *done) : m, .d = issim_problem_dim(pb),
      .x = issim_sampler_x(w->sampler), .log_p = issim_sampler_log_p(w->sampler),
      .log_q = issim_sampler_log_q(w->sampler), .g = issim_sampler_g(w->sampler),
      .component = labelled ? component : NULL,
    };
    rc = fn(user, &d, err);
    if (rc != ISSIM_OK)
      return rc;
    *done += d.n;
  }
  return ISSIM_OK;
}

int issim_engine_replay(const issim_problem *pb, const issim_run_config *cfg, uint64_t n,
                        issim_draws_fn fn, void *user, issim_error *err)
{
  workspace w = {0};
  double *component = malloc(issim_sampler_batch(pb) * sizeof *component);
  if (component == NULL || !workspace_init(&w, cfg->rng, pb)) {
    free(component);
    return issim_error_set(err, ISSIM_ENOMEM, "out of memory allocating a sampler");
  }
  n = n < cfg->samples ? n : cfg->samples;
  uint64_t done = 0;
  int rc = ISSIM_OK;
  for (uint64_t b = 0; rc == ISSIM_OK && done < n; b++)
    rc = replay_block(&w, pb, cfg, b, n, component, &done, fn, user, err);
  workspace_free(&w);
  free(component);
  return rc;
}
