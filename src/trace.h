/* trace.h: convergence traces and log-weight histograms.
 *
 * A trace records, at about ten log-spaced checkpoints per decade of N (each a
 * multiple of the 512-draw batch, and beyond one block a multiple of the
 * 65536-draw block), the estimate, its 95% interval, its relative error, the
 * event ESS and (at block multiples and at the end) Pareto k-hat.  Each point is exactly the result a run of that many draws would
 * give.  Memory is O(checkpoints), never O(N).
 *
 * A histogram counts the log-weights log(w h) of the event's draws in bins of
 * a fixed width on an absolute grid, keeping the ISSIM_HIST_BINS highest bins
 * and one "below" bin; two histograms merge exactly, in any order.
 */
#ifndef ISSIM_TRACE_H
#define ISSIM_TRACE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
  uint64_t n;               /* draws */
  uint64_t hits;
  double log_estimate;      /* natural logs; -inf with no hit */
  double log_ci_low, log_ci_high;
  double relative_error;    /* NAN with no hit */
  double event_ess;
  double pareto_k;          /* NAN before 65536 draws or when it cannot be fitted */
} issim_trace_point;

typedef struct {
  size_t count;             /* points recorded */
  size_t capacity;          /* checkpoints planned */
  uint64_t *checkpoints;    /* increasing */
  issim_trace_point *points;
} issim_trace;

/* A trace planned for a run of `samples` draws (the last checkpoint is
 * `samples` itself); NULL when out of memory. */
issim_trace *issim_trace_alloc(uint64_t samples);
void issim_trace_free(issim_trace *t);

#define ISSIM_HIST_BINS 256

typedef struct {
  double width;             /* nats per bin */
  int64_t top;              /* absolute index of the highest bin; INT64_MIN when empty */
  uint64_t counts[ISSIM_HIST_BINS]; /* counts[i]: bin top - i, i.e. [(top-i) w, (top-i+1) w) */
  uint64_t below;           /* values under the lowest bin kept */
} issim_hist;

#define ISSIM_HIST_WIDTH 0.5

void issim_hist_reset(issim_hist *h, double width);
/* Counts the finite values among v[0..n) (-inf, off the event, is skipped). */
void issim_hist_add(issim_hist *h, size_t n, const double *v);
void issim_hist_merge(issim_hist *dst, const issim_hist *src);
uint64_t issim_hist_total(const issim_hist *h);

#ifdef __cplusplus
}
#endif

#endif
