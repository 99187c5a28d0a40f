#include "trace.h"
#include "simd.h"

#include <float.h>
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

/* Slots of a batch, given the window's top: 0..BINS-1 the window's bins,
 * BINS "below", where values that are not finite go too, and values above the
 * window (the caller raises the window and starts again when there are any).
 * The bin floor(v / width) is found by truncation to an int32 of v / width
 * clamped to the window and one bin below it (GCC does not vectorise floor
 * here), so |top| must be below 2^30.  Written so that every quantity is used
 * on both sides of each select: GCC turns a value needed on one side only
 * into a branch, which stops the vectoriser. */
#define SLOT_BELOW ISSIM_HIST_BINS
#define SLOT_TOP_LIMIT 1073741824.0 /* 2^30 */

static inline int32_t slot_of(double y, double lo, double hi, int32_t itop)
{
  double yc = y > lo ? y : lo;
  yc = yc < hi ? yc : lo; /* +inf, -inf, NaN, above the window: lo, below */
  int32_t t = (int32_t)yc;
  int32_t k = itop - t + ((double)t > yc); /* top - floor(yc) */
  return k < SLOT_BELOW ? k : SLOT_BELOW;
}

typedef struct {
  int32_t first, last; /* the window's slots in use: first..last (and below) */
  double max;          /* the largest finite value; meaningless when none (skipped == n) */
  double skipped;      /* values that are not finite */
} slot_summary;

/* One pass of slots_of, y = v * scale (divide == 0) or v / scale: inlined
 * twice with divide a constant, as a select between the two would compute
 * both and stop the vectoriser.  The max reduction's starting value is the
 * compiler's choice (OpenMP's "least representable value": GCC takes -inf,
 * clang -DBL_MAX), so the maximum means nothing when no value is finite,
 * and that is told by the count of values skipped, never by the maximum. */
static inline __attribute__((always_inline)) void
slots_pass(size_t n, const double *restrict v, double scale, int divide, int64_t top,
           int32_t *restrict slot, slot_summary *sum)
{
  const double lo = (double)(top - SLOT_BELOW - 1), hi = (double)(top + 1);
  const int32_t itop = (int32_t)top;
  int32_t kmin = SLOT_BELOW, kmax = 0;
  double m = -INFINITY, skipped = 0;
#pragma omp simd reduction(min : kmin) reduction(max : kmax, m) reduction(+ : skipped)
  for (size_t i = 0; i < n; i++) {
    int32_t k = slot_of(divide ? v[i] / scale : v[i] * scale, lo, hi, itop);
    slot[i] = k;
    kmin = k < kmin ? k : kmin;
    int32_t in_window = k < SLOT_BELOW ? k : 0;
    kmax = in_window > kmax ? in_window : kmax;
    double finite = fabs(v[i]) <= DBL_MAX ? 1.0 : 0.0;
    double f = finite > 0 ? v[i] : -INFINITY;
    m = f > m ? f : m;
    skipped += 1 - finite;
  }
  *sum = (slot_summary){.first = kmin, .last = kmax, .max = m, .skipped = skipped};
}

/* v / width is v times 1/width, exactly, when width is a power of two (the
 * engine's 0.5): a multiplication rather than a division a value. */
VECTOR_CLONES
static void slots_of(size_t n, const double *restrict v, double width, int64_t top,
                     int32_t *restrict slot, slot_summary *sum)
{
  int e;
  if (frexp(width, &e) == 0.5)
    slots_pass(n, v, 1 / width, 0, top, slot, sum);
  else
    slots_pass(n, v, width, 1, top, slot, sum);
}

/* Values a batch at a time: slots against the window as it is, and only when
 * the batch holds a value above it (rarely, once the largest values have been
 * seen) is the window raised to the batch's highest bin and the slots found
 * again; raising once gives the same counts as raising value by value (a bin
 * that leaves the window goes to `below` either way).  Then each value is
 * tallied without a branch, in four interleaved tallies so that runs of equal
 * slots (most values fall in a few bins) do not wait on one another's
 * increments; only the slots in use are cleared and added. */
#define HIST_BATCH 512

void issim_hist_add(issim_hist *h, size_t n, const double *v)
{
  int32_t slot[HIST_BATCH];
  uint32_t tally[4][ISSIM_HIST_BINS + 1];
  for (size_t start = 0; start < n; start += HIST_BATCH) {
    size_t m = n - start < HIST_BATCH ? n - start : HIST_BATCH;
    const double *b = v + start;
    slot_summary sum;
    const int64_t guess = h->top == INT64_MIN ? 0 : h->top;
    if (fabs((double)guess) < SLOT_TOP_LIMIT) {
      slots_of(m, b, h->width, guess, slot, &sum);
      if (sum.skipped == (double)m)
        continue; /* nothing finite */
      int64_t top_bin = (int64_t)floor(sum.max / h->width);
      if (top_bin > h->top) {
        raise_top(h, top_bin);
        if (fabs((double)h->top) < SLOT_TOP_LIMIT)
          slots_of(m, b, h->width, h->top, slot, &sum);
      }
    }
    if (!(fabs((double)h->top) < SLOT_TOP_LIMIT)) {
      for (size_t i = 0; i < m; i++) /* far out: value by value */
        if (isfinite(b[i]))
          count_bin(h, (int64_t)floor(b[i] / h->width), 1);
      continue;
    }
    for (int j = 0; j < 4; j++) {
      for (int32_t k = sum.first; k <= sum.last; k++)
        tally[j][k] = 0;
      tally[j][SLOT_BELOW] = 0;
    }
    size_t i = 0;
    for (; i + 4 <= m; i += 4) {
      tally[0][slot[i]]++;
      tally[1][slot[i + 1]]++;
      tally[2][slot[i + 2]]++;
      tally[3][slot[i + 3]]++;
    }
    for (; i < m; i++)
      tally[0][slot[i]]++;
    for (int32_t k = sum.first; k <= sum.last; k++)
      h->counts[k] += (uint64_t)tally[0][k] + tally[1][k] + tally[2][k] + tally[3][k];
    h->below += (uint64_t)tally[0][SLOT_BELOW] + tally[1][SLOT_BELOW] + tally[2][SLOT_BELOW] +
                tally[3][SLOT_BELOW] - (uint64_t)sum.skipped;
  }
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
