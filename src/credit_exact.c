/* credit_exact.c: the exact P(L > t) of a one-factor book with whole-number
 * exposures (see credit.h).
 *
 * Given Z = z the obligors are independent, and the distribution of L is the
 * convolution of their two-point laws: the recursion f <- (1 - q) f + q f(.
 * - c_k), O(n C) for C = sum c_k.  In the far tail P(L > t | z) is a sum of
 * terms far below the bulk of f, which would underflow; so the recursion runs
 * under the probabilities twisted to level T + 1 (T = floor t, L > t <=> L >=
 * T + 1), where the tail is the bulk, and
 *     P(L > t | z) = e^(psi - theta (T+1)) sum_{l > T} f_theta(l) e^(-theta (l - T - 1)),
 * each term at most f_theta(l).  Losses beyond T + 1 + W, W = 45 / theta,
 * carry a factor below e^-45 and are kept in one absorbing cell (a loss never
 * decreases), counted at that bound: the array has T + 2 + W cells, not C + 1.
 * Untwisted (E[L | z] > T), the cell is T + 1 itself, and exact.
 *
 * Over z: log phi(z) + log P(L > t | z) peaks near the maximiser z0 of its
 * tail bound, log phi(z) + F_t(z) (credit_shift.c); the integrand, divided by
 * its value at z0, is integrated over [z0 - 16, z0 + 16] by GSL's adaptive
 * 21-point Gauss-Kronrod rule to a relative 1e-10 (for a concave F, which the
 * homogeneous book has, the integrand beyond is below e^-128 of the peak). */
#include "credit.h"
#include "credit_impl.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_integration.h>

static const double LOG_SQRT_2PI = 0.91893853320467274178;

/* Losses this far past T + 1 (times theta) are kept in the absorbing cell. */
#define TAIL_SPAN 45.0
#define HALF_RANGE 16.0
#define REL_TOL 1e-10
#define INTERVALS 200

typedef struct {
  const issim_credit_book *b;
  long top;          /* T + 1 */
  long total;        /* sum c_k */
  double *pz, *q;    /* n each */
  double *f, *g;     /* total + 1 cells at most, each */
  double shift;      /* log of the integrand at z0 */
} tail_work;

/* The recursion over the obligors with probabilities q, cells cells, the
 * last absorbing (it holds every loss from cells - 1 on), from f into g and
 * back (each cells doubles): returns the one holding the result. */
static double *convolve(const issim_credit_book *b, const double *q, double *f, double *g,
                        long cells)
{
  const long last = cells - 1;
  long reach = 0; /* the largest loss so far, at most last */
  f[0] = 1;
  for (size_t k = 0; k < b->n; k++) {
    const long c = (long)b->c[k];
    const double qk = q[k], rk = 1 - qk;
    if (c == 0 || qk == 0)
      continue;
    const long top = reach + c < last ? reach + c : last;
    for (long l = reach + 1; l <= top; l++) /* cells beyond the reach hold nothing yet */
      f[l] = 0;
    double into = 0; /* what reaches the absorbing cell */
    for (long l = last - c > 0 ? last - c : 0; l <= reach && l < last; l++)
      into += f[l];
    const long low = c < top ? c : top;
#pragma omp simd
    for (long l = 0; l < low; l++)
      g[l] = rk * f[l];
#pragma omp simd
    for (long l = low; l < top; l++)
      g[l] = rk * f[l] + qk * f[l - c];
    if (top < last)
      g[top] = rk * f[top] + (top >= c ? qk * f[top - c] : 0);
    else
      g[last] = f[last] + qk * into;
    double *t = f;
    f = g, g = t;
    reach = top;
  }
  return f;
}

/* log P(L > t | z) */
static double log_tail_given(tail_work *w, double z)
{
  const issim_credit_book *b = w->b;
  for (size_t k = 0; k < b->n; k++)
    w->pz[k] = 0.5 * erfc(-(b->a[k] * z + b->h[k]) / b->b[k] * 0.70710678118654752440);
  double psi, theta = issim_credit_twist(b, w->pz, (double)w->top, &psi);
  for (size_t k = 0; k < b->n; k++) {
    double t1 = expm1(theta * b->c[k]);
    w->q[k] = theta > 0 ? w->pz[k] * (t1 + 1) / (1 + w->pz[k] * t1) : w->pz[k];
  }
  long span = theta > 0 ? (long)ceil(TAIL_SPAN / theta) : 0;
  long cells = w->top + 1 + span + 1;
  if (cells > w->total + 1)
    cells = w->total + 1, span = cells - 1 - w->top; /* then nothing is lumped */
  const double *f = convolve(b, w->q, w->f, w->g, cells);
  double s = 0;
  for (long l = w->top; l < cells; l++)
    s += f[l] * exp(-theta * (double)(l - w->top));
  return psi - theta * (double)w->top + log(s);
}

static double integrand(double z, void *params)
{
  tail_work *w = params;
  return exp(-0.5 * z * z - LOG_SQRT_2PI + log_tail_given(w, z) - w->shift);
}

/* The peak of the tail bound's integrand, log phi(z) + F_t(z): the shift of
 * a one-factor book at level T + 1, found by credit_shift.c. */
static double bound_peak(const issim_credit_book *b, long top)
{
  double mu;
  if (issim_credit_shift_tail_bound(b, (double)top, &mu, NULL, NULL) != ISSIM_OK)
    return 0;
  return mu;
}

static int whole_exposures(const issim_credit_book *b, long *total)
{
  double s = 0;
  for (size_t k = 0; k < b->n; k++) {
    if (b->c[k] != floor(b->c[k]))
      return 0;
    s += b->c[k];
  }
  if (s > 1e9 || (double)b->n * s > ISSIM_CREDIT_EXACT_MAX_WORK)
    return 0;
  *total = (long)s;
  return 1;
}

double issim_credit_exact_log_tail(const issim_credit_book *b, double t, double *rel_err)
{
  long total;
  if (rel_err)
    *rel_err = 0;
  if (b->m != 1 || !whole_exposures(b, &total) || isnan(t))
    return NAN;
  if (t < 0)
    return 0;
  if (t >= (double)total)
    return -INFINITY;
  tail_work w = {.b = b, .top = (long)floor(t) + 1, .total = total,
                 .pz = malloc(b->n * sizeof(double)), .q = malloc(b->n * sizeof(double)),
                 .f = malloc((size_t)(total + 1) * sizeof(double)),
                 .g = malloc((size_t)(total + 1) * sizeof(double))};
  gsl_integration_workspace *ws = gsl_integration_workspace_alloc(INTERVALS);
  double result = NAN, abserr = NAN;
  if (w.pz && w.q && w.f && w.g && ws) {
    double z0 = bound_peak(b, w.top);
    w.shift = -0.5 * z0 * z0 - LOG_SQRT_2PI + log_tail_given(&w, z0);
    gsl_function fn = {.function = integrand, .params = &w};
    gsl_error_handler_t *old = gsl_set_error_handler_off();
    int st = isfinite(w.shift)
               ? gsl_integration_qag(&fn, z0 - HALF_RANGE, z0 + HALF_RANGE, 0, REL_TOL,
                                     INTERVALS, GSL_INTEG_GAUSS21, ws, &result, &abserr)
               : GSL_EFAILED;
    gsl_set_error_handler(old);
    if (st != GSL_SUCCESS && !(st == GSL_EROUND && abserr <= 1e-6 * result))
      result = NAN;
  }
  gsl_integration_workspace_free(ws);
  free(w.pz), free(w.q), free(w.f), free(w.g);
  if (!(result > 0))
    return NAN;
  if (rel_err)
    *rel_err = abserr / result;
  return w.shift + log(result);
}

int issim_credit_conditional_pmf(const issim_credit_book *b, const double *z, double *pmf,
                                 size_t size, issim_error *err)
{
  long total;
  if (!whole_exposures(b, &total))
    return issim_error_set(err, ISSIM_EINVAL, "the exact loss distribution needs whole-number "
                                              "exposures (and n sum c_k at most %g)",
                           ISSIM_CREDIT_EXACT_MAX_WORK);
  if (size < (size_t)total + 1)
    return issim_error_set(err, ISSIM_EINVAL, "pmf has %zu cells; it needs sum c_k + 1 = %ld",
                           size, total + 1);
  double *pz = malloc(b->n * sizeof *pz), *work = malloc(b->n * sizeof *work);
  double *g = malloc(((size_t)total + 1) * sizeof *g);
  if (pz == NULL || work == NULL || g == NULL) {
    free(pz), free(work), free(g);
    return issim_error_set(err, ISSIM_ENOMEM, "out of memory");
  }
  issim_credit_conditional(b, z, pz, NULL, NULL, work);
  /* the last cell, absorbing, is exact: no loss exceeds sum c_k */
  const double *f = convolve(b, pz, pmf, g, total + 1);
  if (f != pmf)
    memcpy(pmf, f, ((size_t)total + 1) * sizeof *pmf);
  free(pz), free(work), free(g);
  return ISSIM_OK;
}

double issim_credit_law_exact_log_tail(const issim_credit_law *l, double t, double *rel_err)
{
  issim_credit_law *cache = (issim_credit_law *)l; /* the answer is kept (credit.h) */
  if (!(cache->cached && cache->cache_t == t)) {
    cache->cache_log = issim_credit_exact_log_tail(l->book, t, &cache->cache_err);
    cache->cache_t = t;
    cache->cached = 1;
  }
  if (rel_err)
    *rel_err = cache->cache_err;
  return cache->cache_log;
}
