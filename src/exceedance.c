#include "exceedance.h"
#include "simd.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Values of log(w h_j) a stretch at a time, for the tails. */
#define STRETCH 512

issim_exceedance *issim_exceedance_alloc(size_t n, const double *thresholds, int above,
                                         size_t tail_capacity)
{
  if (n == 0)
    return NULL;
  issim_exceedance *x = calloc(1, sizeof *x);
  if (x == NULL)
    return NULL;
  x->n = n;
  x->above = above != 0;
  x->thresholds = malloc(n * sizeof *x->thresholds);
  x->acc = malloc(n * sizeof *x->acc);
  int ok = x->thresholds && x->acc;
  if (ok && tail_capacity > 0) {
    x->tail = calloc(n, sizeof *x->tail);
    x->scratch = malloc(STRETCH * sizeof *x->scratch);
    ok = x->tail && x->scratch;
    for (size_t j = 0; ok && j < n; j++)
      ok = (x->tail[j] = issim_khat_topk_alloc(tail_capacity)) != NULL;
  }
  if (!ok) {
    issim_exceedance_free(x);
    return NULL;
  }
  memcpy(x->thresholds, thresholds, n * sizeof *thresholds);
  issim_exceedance_reset(x);
  return x;
}

issim_exceedance *issim_exceedance_alloc_like(const issim_exceedance *x, size_t tail_capacity)
{
  return issim_exceedance_alloc(x->n, x->thresholds, x->above, tail_capacity);
}

void issim_exceedance_free(issim_exceedance *x)
{
  if (x == NULL)
    return;
  for (size_t j = 0; x->tail && j < x->n; j++)
    issim_khat_topk_free(x->tail[j]);
  free(x->tail);
  free(x->scratch);
  free(x->thresholds);
  free(x->acc);
  free(x);
}

void issim_exceedance_reset(issim_exceedance *x)
{
  for (size_t j = 0; j < x->n; j++) {
    issim_accum_reset(&x->acc[j]);
    if (x->tail)
      issim_khat_topk_reset(x->tail[j]);
  }
}

/* log(w h) of n draws for the event beyond t: selects, no branch. */
VECTOR_CLONES
static void event_values(size_t n, const double *restrict log_p, const double *restrict log_q,
                         const double *restrict g, double t, int above, double *restrict v)
{
  if (above) {
#pragma omp simd
    for (size_t i = 0; i < n; i++)
      v[i] = g[i] > t ? log_p[i] - log_q[i] : -INFINITY;
  } else {
#pragma omp simd
    for (size_t i = 0; i < n; i++)
      v[i] = g[i] < t ? log_p[i] - log_q[i] : -INFINITY;
  }
}

/* Offers threshold j's log(w h_j) of n <= STRETCH draws to its tail. */
static void add_tail(issim_exceedance *x, size_t j, size_t n, const double *log_p,
                     const double *log_q, const double *g)
{
  event_values(n, log_p, log_q, g, x->thresholds[j], x->above, x->scratch);
  issim_khat_topk_add(x->tail[j], n, x->scratch);
}

void issim_exceedance_add(issim_exceedance *x, size_t n, const double *log_p,
                          const double *log_q, const double *g)
{
  issim_accum_add_levels(x->acc, x->n, x->thresholds, x->above, n, log_p, log_q, g);
  for (size_t start = 0; x->tail && start < n; start += STRETCH) {
    size_t m = n - start < STRETCH ? n - start : STRETCH;
    for (size_t j = 0; j < x->n; j++)
      add_tail(x, j, m, log_p + start, log_q + start, g + start);
  }
}

void issim_exceedance_merge(issim_exceedance *dst, issim_exceedance *src)
{
  for (size_t j = 0; j < dst->n; j++) {
    issim_accum_merge(&dst->acc[j], &src->acc[j]);
    if (dst->tail && src->tail) {
      const double *v;
      size_t m = issim_khat_topk_trim(src->tail[j], &v);
      issim_khat_topk_add(dst->tail[j], m, v);
    }
  }
}

void issim_exceedance_pack(issim_exceedance *x, void (*put)(void *ctx, const void *p, size_t n),
                           void *ctx)
{
  for (size_t j = 0; j < x->n; j++) {
    put(ctx, &x->acc[j], sizeof x->acc[j]);
    if (x->tail == NULL)
      continue;
    const double *v;
    uint64_t m = issim_khat_topk_trim(x->tail[j], &v);
    put(ctx, &m, sizeof m);
    put(ctx, v, (size_t)m * sizeof *v);
  }
}

const unsigned char *issim_exceedance_unpack(issim_exceedance *x, const unsigned char *p)
{
  for (size_t j = 0; j < x->n; j++) {
    memcpy(&x->acc[j], p, sizeof x->acc[j]);
    p += sizeof x->acc[j];
    if (x->tail == NULL)
      continue;
    uint64_t m;
    memcpy(&m, p, sizeof m);
    p += sizeof m;
    for (uint64_t done = 0; done < m; done += STRETCH) { /* aligned copies, a stretch at a time */
      size_t k = m - done < STRETCH ? (size_t)(m - done) : STRETCH;
      memcpy(x->scratch, p, k * sizeof *x->scratch);
      p += k * sizeof *x->scratch;
      issim_khat_topk_add(x->tail[j], k, x->scratch);
    }
  }
  return p;
}

void issim_exceedance_estimate(const issim_exceedance *x, size_t j, issim_estimate *e)
{
  issim_accum_estimate(&x->acc[j], e);
}

double issim_exceedance_khat(const issim_exceedance *x, size_t j, int threads)
{
  if (x->tail == NULL)
    return NAN;
  const double *kept;
  issim_khat_topk_trim(x->tail[j], &kept);
  return issim_khat_topk_khat_on(x->tail[j], x->acc[j].n, threads);
}

/* ---- quantiles ---- */

/* Where between u0 and u1 a quantity going from v0 to v1 (natural logs)
 * crosses level: linearly in the log where both are finite, else linearly in
 * the quantity itself (a log of -inf is 0, of +inf no bound: the middle). */
static double crossing(double u0, double u1, double v0, double v1, double level)
{
  double s = 0.5;
  if (isfinite(v0) && isfinite(v1) && v0 != v1) {
    s = (v0 - level) / (v0 - v1);
  } else {
    double a0 = exp(v0 - level), a1 = exp(v1 - level);
    if (isfinite(a0) && isfinite(a1) && a0 != a1)
      s = (a0 - 1) / (a0 - a1);
  }
  s = s < 0 ? 0 : s > 1 ? 1 : s;
  return u0 + s * (u1 - u0);
}

/* The grid as a decreasing P(u): u = t above, u = -t (in reverse) below. */
typedef struct {
  double *u, *f, *lo, *hi; /* log P, log of the interval's ends */
} grid;

static int grid_of(size_t n, const double *t, const issim_estimate *e, int above, grid *g)
{
  double *m = malloc(4 * n * sizeof *m);
  if (m == NULL)
    return 0;
  *g = (grid){.u = m, .f = m + n, .lo = m + 2 * n, .hi = m + 3 * n};
  for (size_t i = 0; i < n; i++) {
    size_t k = above ? i : n - 1 - i;
    g->u[i] = above ? t[k] : -t[k];
    g->f[i] = e[k].hits ? e[k].log_estimate : -INFINITY;
    g->lo[i] = e[k].hits ? e[k].log_ci_low : -INFINITY;
    g->hi[i] = e[k].hits && !isnan(e[k].log_ci_high) ? e[k].log_ci_high : INFINITY;
  }
  return 1;
}

/* In u: the estimate, and the interval's ends [lo_u, hi_u] with their open
 * flags; indices into the grid. */
static void invert_decreasing(size_t n, const grid *g, double level, issim_quantile_estimate *q)
{
  size_t k = 0;
  while (k < n && !(g->f[k] <= level))
    k++;
  q->where = k == 0 ? -1 : k == n ? 1 : 0;
  q->estimate = q->where ? NAN : crossing(g->u[k - 1], g->u[k], g->f[k - 1], g->f[k], level);
  size_t est_lo = k == 0 ? 0 : k == n ? n - 1 : k - 1, est_hi = k == n ? n - 1 : k;
  /* the lower end: the first u whose interval's low end is at most alpha */
  size_t a = 0;
  while (a < n && !(g->lo[a] <= level))
    a++;
  q->low_open = a == 0 || a == n;
  q->ci_low = a == 0 ? g->u[0] : a == n ? g->u[n - 1]
                                        : crossing(g->u[a - 1], g->u[a], g->lo[a - 1], g->lo[a], level);
  /* the upper end: the last u whose interval's high end is at least alpha */
  size_t b = n;
  while (b > 0 && !(g->hi[b - 1] >= level))
    b--;
  q->high_open = b == n || b == 0;
  q->ci_high = b == n ? g->u[n - 1] : b == 0 ? g->u[0]
                                             : crossing(g->u[b - 1], g->u[b], g->hi[b - 1], g->hi[b], level);
  /* the set holds the estimate, where the interpolated P is alpha; the ends'
   * interpolation may pass it where it is not the estimate's (a bound of 0,
   * log -inf, is interpolated in P itself, the estimate in log P) */
  if (q->where == 0) {
    q->ci_low = q->ci_low < q->estimate ? q->ci_low : q->estimate;
    q->ci_high = q->ci_high > q->estimate ? q->ci_high : q->estimate;
  }
  size_t lo_i = a == 0 ? 0 : a == n ? n - 1 : a - 1, hi_i = b == n ? n - 1 : b;
  q->lower = lo_i < est_lo ? lo_i : est_lo;
  q->upper = hi_i > est_hi ? hi_i : est_hi;
}

void issim_quantile_invert(size_t n, const double *t, const issim_estimate *e, int above,
                           double log_alpha, issim_quantile_estimate *q)
{
  *q = (issim_quantile_estimate){.estimate = NAN, .ci_low = NAN, .ci_high = NAN,
                                 .low_open = 1, .high_open = 1};
  grid g;
  if (n < 2 || !grid_of(n, t, e, above, &g))
    return;
  invert_decreasing(n, &g, log_alpha, q);
  free(g.u);
  if (above)
    return;
  /* back from u = -t: the ends swap, and so do the indices */
  double lo = q->ci_low;
  int lo_open = q->low_open;
  size_t lower = q->lower;
  q->estimate = -q->estimate;
  q->ci_low = -q->ci_high;
  q->ci_high = -lo;
  q->low_open = q->high_open;
  q->high_open = lo_open;
  q->where = -q->where;
  q->lower = n - 1 - q->upper;
  q->upper = n - 1 - lower;
}
