#include "trace.h"

#include <math.h>
#include <stdlib.h>

/* Checkpoints are multiples of the engine's 512-draw batch, so that the state
 * at each is exactly that of a run of that many draws; from one block on,
 * multiples of the block, where k-hat is known too. */
#define CHECKPOINT_STEP 512
#define BLOCK_STEP 65536
#define PER_DECADE 10

/* The checkpoints of a run of n draws, into out (NULL: count only). */
static size_t plan(uint64_t samples, uint64_t *out)
{
  size_t count = 0;
  uint64_t last = 0;
  for (int k = 0;; k++) {
    double target = CHECKPOINT_STEP * pow(10.0, (double)k / PER_DECADE);
    double step = target > BLOCK_STEP ? BLOCK_STEP : CHECKPOINT_STEP;
    uint64_t c = (uint64_t)(ceil(target / step) * step);
    if (c >= samples || target >= (double)samples)
      break;
    if (c == last)
      continue;
    if (out)
      out[count] = c;
    count++;
    last = c;
  }
  if (out)
    out[count] = samples;
  return count + 1;
}

issim_trace *issim_trace_alloc(uint64_t samples)
{
  issim_trace *t = calloc(1, sizeof *t);
  if (t == NULL)
    return NULL;
  t->capacity = plan(samples, NULL);
  t->checkpoints = malloc(t->capacity * sizeof *t->checkpoints);
  t->points = calloc(t->capacity + 1, sizeof *t->points); /* + 1: a run stopped early */
  if (t->checkpoints == NULL || t->points == NULL) {
    issim_trace_free(t);
    return NULL;
  }
  plan(samples, t->checkpoints);
  return t;
}

void issim_trace_free(issim_trace *t)
{
  if (t == NULL)
    return;
  free(t->checkpoints);
  free(t->points);
  free(t);
}

/* ---- histograms ---- */

void issim_hist_reset(issim_hist *h, double width)
{
  *h = (issim_hist){.width = width, .top = INT64_MIN};
}

/* Moves the window up so that its highest bin is `top`: bins that fall out of
 * it go to `below`. */
static void raise_top(issim_hist *h, int64_t top)
{
  if (h->top == INT64_MIN) {
    h->top = top;
    return;
  }
  int64_t shift = top - h->top;
  if (shift <= 0)
    return;
  for (int64_t i = ISSIM_HIST_BINS - 1; i >= 0; i--) {
    if (i + shift >= ISSIM_HIST_BINS)
      h->below += h->counts[i];
    else
      h->counts[i + shift] = h->counts[i];
  }
  for (int64_t i = 0; i < shift && i < ISSIM_HIST_BINS; i++)
    h->counts[i] = 0;
  h->top = top;
}

static void count_bin(issim_hist *h, int64_t bin, uint64_t k)
{
  if (bin > h->top)
    raise_top(h, bin);
  int64_t i = h->top - bin;
  if (i >= ISSIM_HIST_BINS)
    h->below += k;
  else
    h->counts[i] += k;
}

void issim_hist_add(issim_hist *h, size_t n, const double *v)
{
  for (size_t i = 0; i < n; i++)
    if (isfinite(v[i]))
      count_bin(h, (int64_t)floor(v[i] / h->width), 1);
}

void issim_hist_merge(issim_hist *dst, const issim_hist *src)
{
  if (src->top == INT64_MIN)
    return;
  if (src->top > dst->top)
    raise_top(dst, src->top);
  for (int64_t i = 0; i < ISSIM_HIST_BINS; i++)
    if (src->counts[i])
      count_bin(dst, src->top - i, src->counts[i]);
  dst->below += src->below;
}

uint64_t issim_hist_total(const issim_hist *h)
{
  uint64_t total = h->below;
  for (int i = 0; i < ISSIM_HIST_BINS; i++)
    total += h->counts[i];
  return total;
}
