#include "estimator.h"
#include "event.h"
#include "simd.h"

#include <math.h>

/* libmvec, glibc's vector maths library, has SIMD versions of exp: declaring
 * exp so (before any use of it) lets the compiler call them from the loops
 * marked "omp simd" below, without -ffast-math, whose start-up code would flush
 * subnormals to zero for the whole program.  Those loops must stay branch-free
 * for that: no ?:, no fmin/fmax (library calls). */
#pragma omp declare simd notinbranch
double exp(double);

/* exp(from - to), with an empty sum (from = -inf) scaling to 0. */
static double rescale(double from, double to)
{
  return from == -INFINITY ? 0.0 : exp(from - to);
}

void issim_accum_reset(issim_accum *a)
{
  *a = (issim_accum){0};
  a->hit_m = -INFINITY;
  a->all_m = -INFINITY;
}

/* Draws are accumulated a chunk at a time, with scratch on the stack. */
#define CHUNK 512


/* The careful path, for a chunk with a log-weight that is not finite: a draw
 * outside the target's support (l = -inf, weight 0) or an invalid one. */
static void chunk_stats_careful(issim_accum *b, size_t n, const double *log_p,
                                const double *log_q, const double *hit)
{
  for (size_t i = 0; i < n; i++) {
    double l = log_p[i] - log_q[i];
    if (isnan(l) || l == INFINITY) {
      b->invalid++;
      continue;
    }
    b->l += l;
    b->l2 += l * l;
    b->lq += log_q[i];
    b->lq2 += log_q[i] * log_q[i];
    if (l > b->all_m)
      b->all_m = l;
    if (hit[i] && l > -INFINITY) {
      b->hits++;
      if (l > b->hit_m)
        b->hit_m = l;
    }
  }
  double y_sum = 0;
  for (size_t i = 0; i < n; i++) {
    double l = log_p[i] - log_q[i];
    if (!(l > -INFINITY && l < INFINITY))
      continue; /* zero weight, or invalid and counted above */
    double e = exp(l - b->all_m);
    b->w += e;
    b->w2 += e * e;
    b->wl += e * l;
    b->w2l2 += e * e * l * l;
    b->wlp += e * log_p[i];
    b->w2lp2 += e * e * log_p[i] * log_p[i];
    b->wlq += e * log_q[i];
    b->w2lq2 += e * e * log_q[i] * log_q[i];
    if (hit[i]) {
      double y = exp(l - b->hit_m);
      y_sum += y;
      b->y_l += y * l;
    }
  }
  if (b->hits > 0) {
    b->y_mean = y_sum / (double)n;
    double m2 = 0;
    for (size_t i = 0; i < n; i++) {
      double l = log_p[i] - log_q[i];
      if (hit[i] && l > -INFINITY && l < INFINITY) {
        double d = exp(l - b->hit_m) - b->y_mean;
        m2 += d * d;
      }
    }
    b->y_m2 = m2 + (double)(n - b->hits) * b->y_mean * b->y_mean;
  }
}

/* The fast path: every log-weight finite.  Branch-free loops the compiler
 * vectorises, exp included.  The exps have a loop of their own: a call to the
 * vector exp clobbers every vector register, so the sums, kept apart, stay in
 * registers (seven to a loop).  Sums of scaled weights e = exp(l - all_m) <= 1
 * and of y = h exp(l - hit_m) <= 1; the deviations of y from its mean by a
 * further pass over the n values (zeros included), which stays exact when the
 * weights are nearly equal. */
/* y = h exp(l - hit_m) is h e exp(all_m - hit_m): one exp per chunk instead
 * of one per draw while that factor is moderate.  Then a hit weight is lost to
 * underflow in e only below exp(-745 + 300) of the largest: nothing that
 * changes a sum. */
#define MAX_SCALE_GAP 300.0

/* y = h exp(l - hm) from e = exp(l - am). */
VECTOR_CLONES
static void hit_values(size_t n, const double *restrict l, const double *restrict h,
                       const double *restrict e, double am, double hm, double *restrict y)
{
  if (am - hm < MAX_SCALE_GAP) {
    double factor = exp(am - hm);
#pragma omp simd
    for (size_t i = 0; i < n; i++)
      y[i] = h[i] * e[i] * factor;
    return;
  }
#pragma omp simd
  for (size_t i = 0; i < n; i++) {
    /* misses may have l > hit_m: clamp so that their exp stays finite before
     * it is multiplied by 0 */
    double d = l[i] - hm;
    d = 0.5 * (d - fabs(d)); /* min(d, 0), exactly and without a branch */
    y[i] = h[i] * exp(d);
  }
}

VECTOR_CLONES
static void scaled_weights(size_t n, const double *restrict l, const double *restrict h,
                           double am, double hm, double *restrict e, double *restrict y)
{
#pragma omp simd
  for (size_t i = 0; i < n; i++)
    e[i] = exp(l[i] - am);
  hit_values(n, l, h, e, am, hm, y);
}

VECTOR_CLONES
static void weighted_sums(issim_accum *b, size_t n, const double *restrict l,
                          const double *restrict log_p, const double *restrict log_q,
                          const double *restrict e, const double *restrict y)
{
  double w = 0, w2 = 0, wl = 0, w2l2 = 0, wlp = 0, w2lp2 = 0, sy = 0;
#pragma omp simd reduction(+ : w, w2, wl, w2l2, wlp, w2lp2, sy)
  for (size_t i = 0; i < n; i++) {
    double el = e[i] * l[i], elp = e[i] * log_p[i];
    w += e[i];
    w2 += e[i] * e[i];
    wl += el;
    w2l2 += el * el;
    wlp += elp;
    w2lp2 += elp * elp;
    sy += y[i];
  }
  double wlq = 0, w2lq2 = 0, syl = 0;
#pragma omp simd reduction(+ : wlq, w2lq2, syl)
  for (size_t i = 0; i < n; i++) {
    double elq = e[i] * log_q[i];
    wlq += elq;
    w2lq2 += elq * elq;
    syl += y[i] * l[i];
  }
  b->w = w, b->w2 = w2, b->wl = wl, b->w2l2 = w2l2;
  b->wlp = wlp, b->w2lp2 = w2lp2, b->wlq = wlq, b->w2lq2 = w2lq2;
  b->y_l = syl;
  b->y_mean = sy / (double)n;
}

VECTOR_CLONES
static double squared_deviations(size_t n, const double *restrict y, double mean)
{
  double m2 = 0;
#pragma omp simd reduction(+ : m2)
  for (size_t i = 0; i < n; i++)
    m2 += (y[i] - mean) * (y[i] - mean);
  return m2;
}

static void chunk_stats_fast(issim_accum *b, size_t n, const double *l, const double *log_p,
                             const double *log_q, const double *h, double *e, double *y)
{
  /* with no hit, any finite base keeps d finite: every y is then 0 anyway */
  double hm = b->hits > 0 ? b->hit_m : b->all_m;
  scaled_weights(n, l, h, b->all_m, hm, e, y);
  weighted_sums(b, n, l, log_p, log_q, e, y);
  if (b->hits > 0)
    b->y_m2 = squared_deviations(n, y, b->y_mean);
  else
    b->y_mean = 0;
}

/* The first pass over a chunk: log-weights l = log p - log q, their maximum,
 * the hits' count and largest log-weight, and the plain sums of l, l^2, log q
 * and (log q)^2, which are not finite as soon as one l is NaN or infinite
 * (the careful path then starts again).  One element type, selects rather
 * than branches or fmax (a library call): a loop that vectorises. */
VECTOR_CLONES
static void log_weights(issim_accum *b, size_t n, const double *restrict log_p,
                        const double *restrict log_q, const double *restrict h,
                        double *restrict l)
{
  double am = -INFINITY, hm = -INFINITY, count = 0, sl = 0, sl2 = 0, slq = 0, slq2 = 0;
#pragma omp simd reduction(max : am, hm) reduction(+ : count, sl, sl2, slq, slq2)
  for (size_t i = 0; i < n; i++) {
    double li = log_p[i] - log_q[i];
    l[i] = li;
    am = li > am ? li : am;
    double on_event = h[i] > 0 ? li : -INFINITY;
    hm = on_event > hm ? on_event : hm;
    count += h[i];
    sl += li;
    sl2 += li * li;
    slq += log_q[i];
    slq2 += log_q[i] * log_q[i];
  }
  b->all_m = am;
  /* with no hit, hm is the max reduction's starting value, which is the
   * compiler's (GCC -inf, clang -DBL_MAX): -inf is the accumulator's own */
  b->hit_m = count > 0 ? hm : -INFINITY;
  b->hits = (uint64_t)count;
  b->l = sl, b->l2 = sl2, b->lq = slq, b->lq2 = slq2;
}

/* One chunk's statistics, in its own scales: a chunk is a small accumulator. */
static void chunk_stats(issim_accum *b, size_t n, const double *log_p, const double *log_q,
                        const double *hit)
{
  double l[CHUNK], e[CHUNK], y[CHUNK];
  issim_accum_reset(b);
  b->n = n;
  log_weights(b, n, log_p, log_q, hit, l);
  if (!isfinite(b->l)) {
    /* some l is NaN or infinite (or, harmlessly, the sum overflowed) */
    issim_accum_reset(b);
    b->n = n;
    chunk_stats_careful(b, n, log_p, log_q, hit);
    return;
  }
  chunk_stats_fast(b, n, l, log_p, log_q, hit, e, y);
}

void issim_accum_add(issim_accum *a, size_t n, const double *log_p, const double *log_q,
                     const double *hit)
{
  for (size_t start = 0; start < n; start += CHUNK) {
    size_t m = n - start < CHUNK ? n - start : CHUNK;
    issim_accum b;
    chunk_stats(&b, m, log_p + start, log_q + start, hit + start);
    issim_accum_merge(a, &b);
  }
}

VECTOR_CLONES
void issim_event_log_weights(size_t n, const double *restrict log_p,
                             const double *restrict log_q, const double *restrict hit,
                             double *restrict out)
{
  /* two loops: in one, GCC computes the difference on the event side only,
   * a branch that stops the vectoriser */
#pragma omp simd
  for (size_t i = 0; i < n; i++)
    out[i] = log_p[i] - log_q[i];
#pragma omp simd
  for (size_t i = 0; i < n; i++)
    out[i] = hit[i] > 0 ? out[i] : -INFINITY;
}

void issim_accum_merge(issim_accum *dst, const issim_accum *src)
{
  if (src->n == 0)
    return;
  if (dst->n == 0) {
    *dst = *src;
    return;
  }
  double na = (double)dst->n, nb = (double)src->n, n = na + nb;

  /* the estimate's mean and M2 (Chan, Golub & LeVeque), in a common scale */
  double hm = fmax(dst->hit_m, src->hit_m);
  if (hm > -INFINITY) {
    double ra = rescale(dst->hit_m, hm), rb = rescale(src->hit_m, hm);
    double ma = dst->y_mean * ra, mb = src->y_mean * rb;
    double delta = mb - ma;
    dst->y_m2 = dst->y_m2 * ra * ra + src->y_m2 * rb * rb + delta * delta * na * nb / n;
    dst->y_mean = ma + delta * nb / n;
    dst->y_l = dst->y_l * ra + src->y_l * rb;
    dst->hit_m = hm;
  }

  double am = fmax(dst->all_m, src->all_m);
  if (am > -INFINITY) {
    double ra = rescale(dst->all_m, am), rb = rescale(src->all_m, am);
    double ra2 = ra * ra, rb2 = rb * rb;
    dst->w = dst->w * ra + src->w * rb;
    dst->w2 = dst->w2 * ra2 + src->w2 * rb2;
    dst->wl = dst->wl * ra + src->wl * rb;
    dst->w2l2 = dst->w2l2 * ra2 + src->w2l2 * rb2;
    dst->wlp = dst->wlp * ra + src->wlp * rb;
    dst->w2lp2 = dst->w2lp2 * ra2 + src->w2lp2 * rb2;
    dst->wlq = dst->wlq * ra + src->wlq * rb;
    dst->w2lq2 = dst->w2lq2 * ra2 + src->w2lq2 * rb2;
    dst->all_m = am;
  }

  dst->n += src->n;
  dst->hits += src->hits;
  dst->invalid += src->invalid;
  dst->l += src->l;
  dst->l2 += src->l2;
  dst->lq += src->lq;
  dst->lq2 += src->lq2;
}

/* Mean and standard error of (1/N) sum v_i from the sums of v and v^2, where
 * both are scaled: sum v = exp(m) s1 and sum v^2 = exp(2 m) s2. */
static void scaled_mean_se(double m, double s1, double s2, double nd,
                           double *mean, double *se)
{
  if (m == -INFINITY) {
    *mean = 0;
    *se = 0;
    return;
  }
  /* mean and variance in the sums' own scale, then scaled once: exp(m) times
   * a standard deviation stays representable where exp(2 m) would not */
  double e1 = s1 / nd, var = s2 / nd - e1 * e1;
  double scale = exp(m);
  *mean = scale * e1;
  *se = nd > 1 ? scale * sqrt((var > 0 ? var : 0) / (nd - 1)) : NAN;
}

static void estimate_probability(const issim_accum *a, issim_estimate *e)
{
  double nd = (double)a->n;
  if (a->hits == 0) {
    e->log_estimate = -INFINITY;
    e->log_std_error = e->log_ci_low = e->log_ci_low_ls = -INFINITY;
    e->log_ci_high = e->log_ci_high_ls = NAN;
    e->relative_error = NAN;
    return;
  }
  e->log_estimate = a->hit_m + log(a->y_mean);
  if (a->n > 1) {
    double var = a->y_m2 / (nd - 1); /* in units of exp(2 hit_m) */
    e->log_std_error = a->hit_m + 0.5 * (log(var) - log(nd));
  } else {
    e->log_std_error = NAN;
  }
  e->relative_error = exp(e->log_std_error - e->log_estimate);
  double half = ISSIM_Z95 * e->relative_error;
  e->log_ci_low = half < 1 ? e->log_estimate + log1p(-half) : -INFINITY;
  e->log_ci_high = e->log_estimate + log1p(half);
  e->log_ci_low_ls = e->log_estimate - half;
  e->log_ci_high_ls = e->log_estimate + half;
}

static void estimate_efficiency(const issim_accum *a, issim_estimate *e)
{
  double nd = (double)a->n;
  double re = e->relative_error;
  e->relative_variance = nd * re * re;
  e->samples_for_1pct = e->relative_variance / 1e-4;
  e->samples_for_10pct = e->relative_variance / 1e-2;
  double lp = e->log_estimate;
  /* (1-P)/P / rv, in logs so that P = 1e-350 gives a finite log gain */
  e->log_gain_over_crude = log1p(-exp(lp)) - lp - log(e->relative_variance);
}

static void estimate_weights(const issim_accum *a, issim_estimate *e)
{
  double nd = (double)a->n;
  scaled_mean_se(a->all_m, a->w, a->w2, nd, &e->mean_weight, &e->mean_weight_se);
  e->ess = a->w2 > 0 ? a->w * a->w / a->w2 : 0;
  if (a->hits == 0) {
    e->event_ess = 0;
    e->max_weight_share = NAN;
    e->self_normalized_log_estimate = -INFINITY;
    e->self_normalized_relative_error = NAN;
    e->kl_pstar_q = NAN;
    return;
  }
  double y_sum = nd * a->y_mean;                    /* units exp(hit_m) */
  double y2_sum = a->y_m2 + nd * a->y_mean * a->y_mean; /* units exp(2 hit_m) */
  e->event_ess = y_sum * y_sum / y2_sum;
  e->max_weight_share = 1.0 / y_sum; /* the largest y is exp(hit_m - hit_m) = 1 */
  double log_sn = a->hit_m + log(y_sum) - (a->all_m + log(a->w));
  double p_sn = exp(log_sn);
  e->self_normalized_log_estimate = log_sn;
  /* the delta-method variance of docs/estimators.md divided by P_tilde^2:
   * (1 - 2 P_tilde) / ESS_A + 1 / ESS, free of underflow */
  double rel2 = (1 - 2 * p_sn) / e->event_ess + 1 / e->ess;
  e->self_normalized_relative_error = sqrt(rel2 > 0 ? rel2 : 0);
  e->kl_pstar_q = a->y_l / y_sum - e->log_estimate;
}

static void estimate_information(const issim_accum *a, issim_estimate *e)
{
  double nd = (double)a->n;
  double mean;
  scaled_mean_se(a->all_m, a->wl, a->w2l2, nd, &mean, &e->kl_p_q_se);
  e->kl_p_q = mean;
  scaled_mean_se(a->all_m, a->wlp, a->w2lp2, nd, &mean, &e->entropy_p_se);
  e->entropy_p = -mean;
  scaled_mean_se(a->all_m, a->wlq, a->w2lq2, nd, &mean, &e->cross_entropy_p_q_se);
  e->cross_entropy_p_q = -mean;
  scaled_mean_se(0, a->lq, a->lq2, nd, &mean, &e->entropy_q_se);
  e->entropy_q = -mean;
  scaled_mean_se(0, a->l, a->l2, nd, &mean, &e->kl_q_p_se);
  e->kl_q_p = -mean;
  if (isinf(e->kl_q_p))
    e->kl_q_p_se = NAN;
}

void issim_accum_estimate(const issim_accum *a, issim_estimate *e)
{
  *e = (issim_estimate){0};
  e->samples = a->n;
  e->hits = a->hits;
  e->invalid = a->invalid;
  if (a->n == 0) {
    e->log_estimate = -INFINITY;
    e->relative_error = NAN;
    return;
  }
  estimate_probability(a, e);
  estimate_efficiency(a, e);
  estimate_weights(a, e);
  estimate_information(a, e);
  e->estimate = exp(e->log_estimate);
  e->std_error = exp(e->log_std_error);
}

/* ---- several events of one batch ---- */

/* The hit part of a chunk accumulator b whose all-draw part is there (e =
 * exp(l - all_m)): hits, hit_m, y_mean, y_m2 and y_l for the indicators h;
 * the same sums as chunk_stats_fast's. */
VECTOR_CLONES
static void chunk_hits(issim_accum *b, size_t n, const double *restrict l,
                       const double *restrict h, const double *restrict e, double *restrict y)
{
  double hm = -INFINITY, count = 0;
#pragma omp simd reduction(max : hm) reduction(+ : count)
  for (size_t i = 0; i < n; i++) {
    double on_event = h[i] > 0 ? l[i] : -INFINITY;
    hm = on_event > hm ? on_event : hm;
    count += h[i];
  }
  b->hits = (uint64_t)count;
  b->hit_m = b->hits > 0 ? hm : -INFINITY; /* never a max reduction's starting value */
  b->y_mean = b->y_m2 = b->y_l = 0;
  if (b->hits == 0)
    return;
  hit_values(n, l, h, e, b->all_m, b->hit_m, y);
  double sy = 0, syl = 0;
#pragma omp simd reduction(+ : sy, syl)
  for (size_t i = 0; i < n; i++) {
    sy += y[i];
    syl += y[i] * l[i];
  }
  b->y_mean = sy / (double)n;
  b->y_l = syl;
  b->y_m2 = squared_deviations(n, y, b->y_mean);
}

void issim_accum_add_levels(issim_accum *acc, size_t k, const double *thresholds, int above,
                            size_t n, const double *log_p, const double *log_q, const double *g)
{
  double l[CHUNK], e[CHUNK], y[CHUNK], h[CHUNK];
  for (size_t start = 0; start < n; start += CHUNK) {
    const size_t m = n - start < CHUNK ? n - start : CHUNK;
    const double *lp = log_p + start, *lq = log_q + start, *gc = g + start;
    issim_accum all;
    issim_accum_reset(&all);
    all.n = m;
    for (size_t i = 0; i < m; i++)
      h[i] = 0;
    log_weights(&all, m, lp, lq, h, l);
    const int careful = !isfinite(all.l); /* see chunk_stats */
    if (!careful)
      chunk_stats_fast(&all, m, l, lp, lq, h, e, y);
    for (size_t j = 0; j < k; j++) {
      issim_accum b = all;
      issim_event_mark_hits_at(m, gc, thresholds[j], above, h);
      if (careful)
        chunk_stats(&b, m, lp, lq, h);
      else
        chunk_hits(&b, m, l, h, e, y);
      issim_accum_merge(&acc[j], &b);
    }
  }
}
