/* divergence.c: exact entropy, cross-entropy and KL divergence (see
 * divergence.h).
 *
 * Order of decisions, for both H(p, q) and KL(p || q):
 *   1. infinite?  issim_cross_entropy_finite (tail.h) decides from supports
 *      and tails; KL = H(p, q) - H(p) with H(p) finite for every family, so
 *      the same rule decides KL.
 *   2. a closed form for the pair (same family, see closed_form below);
 *   3. otherwise adaptive quadrature over p's support.
 *
 * ---- GSL's error handler ----
 * GSL's QUADPACK routines (qags, qagi, qagiu, qagil) report a numerical
 * failure -- too many subdivisions, roundoff, a divergent or badly behaved
 * integrand -- through GSL_ERROR (integration/qags.c, label return_error),
 * which calls gsl_error(), and gsl_error() with the default handler prints a
 * message and calls abort().  The only ways to survive that are
 * gsl_set_error_handler_off() or installing another handler, and the handler
 * is one process-wide variable: setting it would change the behaviour of
 * every other GSL call in the caller's program, and swapping it around each
 * call would race with other threads (the engine runs OpenMP threads).
 *
 * So this module integrates with gsl_integration_cquad (Gonnet's doubly
 * adaptive Clenshaw-Curtis scheme; integration/cquad.c in GSL 2.7).  CQUAD
 * calls GSL_ERROR only for invalid arguments (a NULL pointer, negative
 * tolerances, epsabs <= 0 with epsrel < DBL_EPSILON), which the calls below
 * never pass.  Its numerical outcomes come back without the handler: a
 * detected divergence as a plain `return GSL_EDIVERGE`, and everything else
 * as GSL_SUCCESS with an error estimate, which this module compares with the
 * accuracy it wants itself (quad_accepts).  CQUAD also tolerates Inf and NaN
 * integrand values (it drops the point and downdates its interpolant),
 * which is what an integrable singularity at a support boundary produces.
 * The one remaining path into the handler is
 * gsl_integration_cquad_workspace_alloc running out of memory (GSL_ENOMEM),
 * like every other GSL allocation in issim.
 *
 * p's support is cut at p's bulk and q's (where q's log-density may kink);
 * each piece is mapped onto [0, 1] (see map_kind: a doubly exponential map
 * for the tails, a power map from a finite end where p's density may be
 * infinite), and the pieces' values and error estimates are summed.  What
 * doubles cannot reach (mass beyond 1e300, or closer to a finite end than
 * the doubles' spacing there) is bounded and added to the error estimate
 * (unreachable_part): a result is refused (NAN) rather than truncated.
 */
#include "divergence.h"
#include "divergence_impl.h"

#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_integration.h>
#include <gsl/gsl_math.h>
#include <gsl/gsl_sf_erf.h>
#include <gsl/gsl_sf_gamma.h>
#include <gsl/gsl_sf_psi.h>

#include "linalg.h"
#include "tail.h"

static const double LOG_2PI = 1.8378770664093454836; /* log(2 pi) */

const char *issim_exact_method_name(issim_exact_method m)
{
  switch (m) {
  case ISSIM_EXACT_CLOSED_FORM: return "closed form";
  case ISSIM_EXACT_QUADRATURE: return "quadrature";
  case ISSIM_EXACT_INFINITE: return "infinite";
  case ISSIM_EXACT_NONE: break;
  }
  return "unknown";
}

void issim_divergence_set_how(issim_exact_method *how, issim_exact_method m)
{
  if (how != NULL)
    *how = m;
}

/* ---- small, accurate helpers ---- */

/* x - log(1 + x) >= 0 for x > -1, accurate in relative terms near x = 0,
 * where it is x^2/2 - x^3/3 + ... and the difference would cancel. */
double issim_divergence_x_minus_log1p(double x)
{
  if (fabs(x) < 1e-2) {
    /* sum_{k>=2} (-1)^k x^k / k; the first omitted term, x^11/11, is below
     * 1e-17 of the sum for |x| < 1e-2. */
    double sum = 0, power = x;
    for (int k = 2; k <= 10; k++) {
      power *= -x;
      sum -= power / k; /* power = (-1)^(k-1) x^k */
    }
    return sum;
  }
  return x - log1p(x);
}

/* z + e^-z - 1 >= 0 for z >= 0, accurate near z = 0 (z^2/2 - z^3/6 + ...). */
static double z_plus_expm1_neg(double z)
{
  if (z < 1e-2) {
    double sum = 0, term = -z; /* term = (-z)^k / k! */
    for (int k = 2; k <= 9; k++) {
      term *= -z / k;
      sum += term;
    }
    return sum;
  }
  return z + expm1(-z);
}

/* log(upper - lower) without overflowing the width, as dist.c does. */
static double log_width(double lower, double upper)
{
  return log(0.5 * upper - 0.5 * lower) + M_LN2;
}

/* Gamma parameters (shape, scale) of a gamma or chi-squared distribution
 * (chi-squared(df) = gamma(df/2, scale 2)); 0 for other families. */
static int gamma_params(const issim_dist *d, double *shape, double *scale)
{
  if (d->kind == ISSIM_DIST_GAMMA) {
    *shape = d->param[0];
    *scale = d->param[1];
    return 1;
  }
  if (d->kind == ISSIM_DIST_CHI_SQUARED) {
    *shape = 0.5 * d->param[0];
    *scale = 2;
    return 1;
  }
  return 0;
}

/* ---- closed forms ----
 * Each pair below has its cross-entropy H(p, q) derived from E_p[log q], and
 * its KL from the standard divergence formula written independently (not as
 * H(p, q) - H(p)), so that the identity KL = H(p, q) - H(p) is a real check
 * of both (and of dist.c's entropies).  Called only when H(p, q) is finite. */

/* normal p = N(m1, s1^2), q = N(m2, s2^2), d = m1 - m2:
 *   log q(x) = -log(2 pi)/2 - log s2 - (x - m2)^2 / (2 s2^2),
 *   E_p[(x - m2)^2] = s1^2 + d^2, so
 *   H(p, q) = log(2 pi)/2 + log s2 + (s1^2 + d^2) / (2 s2^2).
 * KL = log(s2/s1) + (s1^2 + d^2)/(2 s2^2) - 1/2; with t = s1^2/s2^2 - 1,
 *   log(s2/s1) = -log1p(t)/2 and s1^2/(2 s2^2) - 1/2 = t/2, so
 *   KL = (t - log1p(t))/2 + d^2/(2 s2^2), both terms >= 0. */
static void normal_pair(double m1, double s1, double m2, double s2, double *h,
                        double *kl)
{
  const double d = m1 - m2, v2 = s2 * s2;
  *h = 0.5 * LOG_2PI + log(s2) + (s1 * s1 + d * d) / (2 * v2);
  const double t = (s1 - s2) * (s1 + s2) / v2;
  *kl = 0.5 * issim_divergence_x_minus_log1p(t) + d * d / (2 * v2);
}

/* lognormal p = LN(m1, s1), q = LN(m2, s2): with L = log x ~ N(m1, s1^2),
 *   log q(x) = -L - log(2 pi)/2 - log s2 - (L - m2)^2 / (2 s2^2), so
 *   H(p, q) = m1 + H(N(m1, s1^2), N(m2, s2^2)).
 * KL is invariant under the bijection x -> log x: the normal pair's KL. */
static void lognormal_pair(const double *a, const double *b, double *h,
                           double *kl)
{
  normal_pair(a[0], a[1], b[0], b[1], h, kl);
  *h += a[0];
}

/* exponential p: rate r1, location l1; q: rate r2, location l2 <= l1:
 *   log q(x) = log r2 - r2 (x - l2) on x >= l2, E_p[x] = l1 + 1/r1, so
 *   H(p, q) = -log r2 + r2/r1 + r2 (l1 - l2).
 * KL = E_p[log r1 - r1 (x - l1) - log r2 + r2 (x - l2)]
 *    = log(r1/r2) + r2/r1 - 1 + r2 (l1 - l2)
 * (the standard log(r1/r2) + r2/r1 - 1 when l1 = l2); with x = r2/r1 - 1,
 *    = (x - log1p(x)) + r2 (l1 - l2), both terms >= 0. */
static void exponential_pair(const double *a, const double *b, double *h,
                             double *kl)
{
  const double r1 = a[0], l1 = a[1], r2 = b[0], l2 = b[1];
  *h = -log(r2) + r2 / r1 + r2 * (l1 - l2);
  *kl = issim_divergence_x_minus_log1p((r2 - r1) / r1) + r2 * (l1 - l2);
}

/* gamma p: shape k1, scale t1; q: shape k2, scale t2:
 *   log q(x) = -lnG(k2) - k2 log t2 + (k2 - 1) log x - x / t2,
 *   E_p[log x] = psi(k1) + log t1, E_p[x] = k1 t1, so
 *   H(p, q) = lnG(k2) + k2 log t2 - (k2 - 1)(psi(k1) + log t1) + k1 t1 / t2.
 * KL, the standard shape-scale formula:
 *   KL = (k1 - k2) psi(k1) - lnG(k1) + lnG(k2) + k2 log(t2/t1)
 *        + k1 (t1 - t2) / t2,
 * written with r = t1/t2 as
 *   [lnG(k2) - lnG(k1) - (k2 - k1) psi(k1)] + k2 (r - 1 - log r)
 *   + (k1 - k2)(r - 1),
 * the first two terms >= 0 (lnG is convex; r - 1 >= log r).  The sum is
 * clamped at 0 against rounding when p and q nearly coincide. */
static void gamma_pair(double k1, double t1, double k2, double t2, double *h,
                       double *kl)
{
  const double psi1 = gsl_sf_psi(k1);
  *h = gsl_sf_lngamma(k2) + k2 * log(t2) - (k2 - 1) * (psi1 + log(t1)) +
       k1 * t1 / t2;
  const double lg = k1 == k2 ? 0
                             : gsl_sf_lngamma(k2) - gsl_sf_lngamma(k1) -
                                   (k2 - k1) * psi1;
  const double r1 = (t1 - t2) / t2; /* r - 1 */
  *kl = fmax(0, lg + k2 * issim_divergence_x_minus_log1p(r1) + (k1 - k2) * r1);
}

/* laplace p: location u1, scale b1; q: location u2, scale b2; d = |u1 - u2|.
 *   log q(x) = -log(2 b2) - |x - u2| / b2, and for X = u1 + b1 L with L
 *   standard laplace, E|X - u2| = d + 2 E[max(0, u2 - X)] (taking
 *   u1 >= u2 by symmetry) = d + 2 int_{d/b1}^inf (b1 v - d) e^-v / 2 dv
 *   = d + b1 e^{-d/b1}, so
 *   H(p, q) = log(2 b2) + (d + b1 e^{-d/b1}) / b2.
 * KL, the standard formula:
 *   KL = log(b2/b1) + d/b2 + (b1/b2) e^{-d/b1} - 1;
 * with r = b1/b2 and z = d/b1 (so d/b2 = r z),
 *   KL = (r - 1 - log r) + r (z + e^-z - 1), both terms >= 0. */
static void laplace_pair(const double *a, const double *b, double *h,
                         double *kl)
{
  const double d = fabs(a[0] - b[0]), b1 = a[1], b2 = b[1];
  const double z = d / b1, r = b1 / b2;
  *h = log(2 * b2) + (d + b1 * exp(-z)) / b2;
  *kl = issim_divergence_x_minus_log1p((b1 - b2) / b2) + r * z_plus_expm1_neg(z);
}

/* uniform p on [a1, b1] inside q's [a2, b2]: log q = -log(b2 - a2) on p's
 * support, so H(p, q) = log(b2 - a2), and
 *   KL = log((b2 - a2) / (b1 - a1)) >= 0  (the ratio of the widths). */
static void uniform_pair(const double *a, const double *b, double *h,
                         double *kl)
{
  const double wp = 0.5 * a[1] - 0.5 * a[0], wq = 0.5 * b[1] - 0.5 * b[0];
  const double ratio = wq / wp;
  *h = log_width(b[0], b[1]);
  *kl = isfinite(ratio) && ratio > 0 ? log(ratio) : log(wq) - log(wp);
}

/* H(p, q) and KL(p || q) in closed form, when the pair has one; returns 0
 * otherwise.  Only for pairs with a finite cross-entropy. */
static int closed_form(const issim_dist *p, const issim_dist *q, double *h,
                       double *kl)
{
  double k1, t1, k2, t2;
  if (gamma_params(p, &k1, &t1) && gamma_params(q, &k2, &t2)) {
    gamma_pair(k1, t1, k2, t2, h, kl);
    return 1;
  }
  if (p->kind != q->kind)
    return 0;
  const double *a = p->param, *b = q->param;
  switch (p->kind) {
  case ISSIM_DIST_NORMAL: normal_pair(a[0], a[1], b[0], b[1], h, kl); return 1;
  case ISSIM_DIST_LOGNORMAL: lognormal_pair(a, b, h, kl); return 1;
  case ISSIM_DIST_EXPONENTIAL: exponential_pair(a, b, h, kl); return 1;
  case ISSIM_DIST_LAPLACE: laplace_pair(a, b, h, kl); return 1;
  case ISSIM_DIST_UNIFORM: uniform_pair(a, b, h, kl); return 1;
  default: return 0;
  }
}

/* ---- quadrature ---- */

enum {
  QUAD_INTERVALS = 200, /* CQUAD's interval buffer (GSL suggests 100) */
  MAX_POINTS = 2        /* interior break points */
};

/* Each piece is integrated to QUAD_EPSREL relative or QUAD_EPSABS absolute;
 * the sum is accepted when its total error estimate is within TARGET_REL of
 * it, or TARGET_ABS for a result near 0. */
static const double QUAD_EPSREL = 1e-11, QUAD_EPSABS = 1e-15;
static const double TARGET_REL = 1e-10, TARGET_ABS = 1e-13;

/* A point in the bulk of d's distribution (strictly inside the support) and
 * a length over which its density changes appreciably. */
static void bulk(const issim_dist *d, double *center, double *spread)
{
  const double *v = d->param;
  switch (d->kind) {
  case ISSIM_DIST_NORMAL: *center = v[0]; *spread = v[1]; return;
  case ISSIM_DIST_STUDENT_T: *center = v[1]; *spread = v[2]; return;
  case ISSIM_DIST_EXPONENTIAL: *center = v[1] + 1 / v[0]; *spread = 1 / v[0]; return;
  case ISSIM_DIST_GAMMA: *center = v[0] * v[1]; *spread = v[1] * fmax(1, sqrt(v[0])); return;
  case ISSIM_DIST_CHI_SQUARED: *center = v[0]; *spread = 2 * fmax(1, sqrt(0.5 * v[0])); return;
  case ISSIM_DIST_LOGNORMAL:
    *center = exp(v[0]);
    *spread = *center * expm1(v[1]);
    return;
  case ISSIM_DIST_LAPLACE:
  case ISSIM_DIST_LOGISTIC:
  case ISSIM_DIST_CAUCHY:
  case ISSIM_DIST_GUMBEL: *center = v[0]; *spread = v[1]; return;
  case ISSIM_DIST_WEIBULL: /* the median */
    *center = v[1] * pow(M_LN2, 1 / v[0]);
    *spread = v[1];
    return;
  case ISSIM_DIST_PARETO: /* the median, and its distance from the scale */
    *center = v[1] * pow(2, 1 / v[0]);
    *spread = *center - v[1];
    return;
  case ISSIM_DIST_UNIFORM:
    *center = 0.5 * v[0] + 0.5 * v[1];
    *spread = 0.5 * v[1] - 0.5 * v[0];
    return;
  case ISSIM_DIST_BETA:
    *center = v[0] / (v[0] + v[1]);
    *spread = 0.5;
    return;
  case ISSIM_DIST_TRUNCATED_NORMAL: /* the median, and the quartiles' distance */
  case ISSIM_DIST_GEV:
  case ISSIM_DIST_TRIANGULAR:
    *center = issim_dist_tail_quantile(d, 0, -M_LN2);
    *spread = issim_dist_tail_quantile(d, 1, -2 * M_LN2) - issim_dist_tail_quantile(d, 0, -2 * M_LN2);
    return;
  case ISSIM_DIST_NFAMILIES: break;
  }
  *center = 0;
  *spread = 1;
}

/* How a piece of the support is mapped onto t in [0, 1].
 *
 * A tail [a, inf) is mapped by x = a + w (e^s - 1), s = t / (1 - t): the
 * logarithmic stage turns a power-law tail x^-(alpha+1) dx into e^{-alpha s}
 * ds, and the second stage sends s = inf to t = 1, where the integrand then
 * vanishes with all its derivatives.  (The single map x = a + w t/(1 - t)
 * of qagiu leaves (1 - t)^(alpha - 1), a singularity for alpha < 1 that no
 * rule integrates to 1e-10.)  Doubles reach x ~ 1e308 this way; what lies
 * beyond is accounted for by unreachable_part.
 *
 * A piece [e, e + w] starting at a finite end e of p's support is mapped by
 * x = e + w t^m: when p(x) ~ |x - e|^c (c > -1), the integrand p log p or
 * p log q becomes ~ t^(m (c + 1) - 1) log t, and m = 2 / (c + 1) (at least
 * 2) makes that t log t, smooth enough for the rule. */
typedef enum {
  MAP_LINEAR,     /* x = t on [a, b] */
  MAP_UPPER_TAIL, /* x = a + w expm1(t / (1 - t)): [a, inf) */
  MAP_LOWER_TAIL, /* x = a - w expm1(t / (1 - t)): (-inf, a] */
  MAP_FROM_LOWER, /* x = a + w t^m: [a, a + w], a a finite support end */
  MAP_FROM_UPPER  /* x = a - w t^m: [a - w, a] */
} map_kind;

typedef struct {
  const issim_dist *p, *q;
  int kl; /* integrand p (log p - log q) rather than -p log q */
  map_kind map;
  double a, w, m;
} integrand;

/* -p(x) log q(x), or p(x) (log p(x) - log q(x)): 0 wherever p(x) is 0 (or
 * underflows), never 0 * inf.  An infinite value (p's density itself
 * infinite at a support end) is returned as is: CQUAD drops such points. */
static double integrand_at(const integrand *f, double x)
{
  const double lp = issim_dist_log_pdf1(f->p, x);
  if (lp == -INFINITY)
    return 0;
  const double px = exp(lp);
  if (px == 0)
    return 0;
  const double lq = issim_dist_log_pdf1(f->q, x);
  return f->kl ? px * (lp - lq) : -px * lq;
}

static double mapped_integrand(double t, void *params)
{
  const integrand *f = params;
  double x, jacobian;
  switch (f->map) {
  case MAP_UPPER_TAIL:
  case MAP_LOWER_TAIL: {
    if (t >= 1)
      return 0; /* x = +-inf, where every density is 0 */
    const double u = 1 - t, s = t / u, dx = f->w * expm1(s);
    if (!isfinite(dx))
      return 0; /* beyond the doubles: see unreachable_part */
    x = f->map == MAP_UPPER_TAIL ? f->a + dx : f->a - dx;
    jacobian = f->w * exp(s) / (u * u);
    break;
  }
  case MAP_FROM_LOWER:
  case MAP_FROM_UPPER: {
    const double tm1 = pow(t, f->m - 1), dx = f->w * tm1 * t;
    x = f->map == MAP_FROM_LOWER ? f->a + dx : f->a - dx;
    jacobian = f->m * f->w * tm1;
    break;
  }
  case MAP_LINEAR:
  default:
    return integrand_at(f, t);
  }
  const double y = integrand_at(f, x);
  return y == 0 ? 0 : y * jacobian;
}

/* The power m of the map x = e + w t^m from a finite end e of p's support. */
static double endpoint_power(const issim_dist *p, double e)
{
  const double c = issim_dist_endpoint_exponent(p, e);
  if (!(c < 0)) /* bounded density (or INFINITY: vanishing faster than a power) */
    return 2;
  return fmin(64, fmax(2, ceil(2 / (c + 1))));
}

/* ---- what the maps cannot reach ----
 * Doubles end: the tail maps stop where x overflows (|x| ~ 1e308), and next
 * to a finite end e of the support x cannot come closer to e than the
 * spacing of doubles there (about 1e-300 at e = 0, 2.2e-16 |e| elsewhere).
 * For most families p's mass out there is far below 1e-20; for some it is
 * not: a pareto(0.01) has P(X > 1e300) = 1e-3, a gamma(shape 0.02)
 * P(X < 1e-300) = 1e-6, a beta(3, 0.5) P(X > 1 - 2.2e-16) = 2e-8.  The part
 * of the integral that lies there is bounded roughly by that mass times
 * the size of the integrand's logs at the cut, and is added to the
 * quadrature's error estimate, so that such integrals are refused rather
 * than silently truncated. */

/* The size of the integral over p's mass beyond the cut x: that mass
 * times twice the integrand's log factor at x (|log q|, or |log p| +
 * |log q| for KL), the logs growing only slowly past the cut. */
static double beyond(const issim_dist *p, const issim_dist *q, int kl,
                     double log_mass, double x)
{
  if (isnan(log_mass))
    return INFINITY;
  const double mass = exp(log_mass);
  if (mass == 0)
    return 0; /* even if a log overflows there (a normal q at 1e300) */
  const double lp = issim_dist_log_pdf1(p, x), lq = issim_dist_log_pdf1(q, x);
  const double size = 2 * (kl ? fabs(lp) + fabs(lq) : fabs(lq));
  return isfinite(size) ? mass * size : INFINITY;
}

static double unreachable_part(const issim_dist *p, const issim_dist *q, int kl)
{
  static const double FAR = 1e300, NEAR = 1e-300;
  double part = 0;
  /* Tails: only power laws and lognormals can put mass beyond 1e300 (and
   * log_sf is not asked at 1e300 of the others: the normal's gives NaN). */
  for (int side = -1; side <= 1; side += 2) {
    const issim_tail_kind kind = issim_dist_tail(p, side).kind;
    if ((side > 0 ? p->upper : -p->lower) != INFINITY ||
        (kind != ISSIM_TAIL_POWER && kind != ISSIM_TAIL_LOGNORMAL))
      continue;
    const double x = side * FAR;
    part += beyond(p, q, kl, side > 0 ? issim_dist_log_sf(p, x) : issim_dist_log_cdf(p, x), x);
  }
  /* Finite ends where p's density is unbounded (c < 0) or flat to all
   * orders (c = inf: the lognormal at 0, whose mass at 0 may be large for
   * a large sdlog); a bounded density loses only ~1e-300 there. */
  for (int side = -1; side <= 1; side += 2) {
    const double e = side > 0 ? p->upper : p->lower;
    if (!isfinite(e))
      continue;
    const double c = issim_dist_endpoint_exponent(p, e);
    if (!(c < 0) && !isinf(c))
      continue;
    const double gap = fmax(NEAR, 4 * DBL_EPSILON * fabs(e)), x = e - side * gap;
    part += beyond(p, q, kl, side > 0 ? issim_dist_log_sf(p, x) : issim_dist_log_cdf(p, x), x);
  }
  return part;
}

/* Whether an integral `value` with error estimate `error` is accurate
 * enough to report. */
static int quad_accepts(double value, double error)
{
  return isfinite(value) && error >= 0 &&
         error <= fmax(TARGET_REL * fabs(value), TARGET_ABS);
}

/* Sorted, distinct break points strictly inside p's support: the bulk of p
 * and that of q (where q's log-density may bend or kink, as the laplace's
 * does at its location).  At least one. */
static size_t break_points(const issim_dist *p, const issim_dist *q,
                           double pts[MAX_POINTS])
{
  double cand[2], spread;
  size_t n = 0;
  bulk(p, &cand[0], &spread);
  bulk(q, &cand[1], &spread);
  for (size_t i = 0; i < 2; i++) {
    const double x = cand[i];
    if (!(x > p->lower && x < p->upper) || !isfinite(x) || (n == 1 && pts[0] == x))
      continue;
    if (n == 1 && pts[0] > x) {
      pts[1] = pts[0];
      pts[0] = x;
    } else {
      pts[n] = x;
    }
    n++;
  }
  if (n == 0) /* not reached: p's bulk is inside its support */
    pts[n++] = isfinite(p->lower) && isfinite(p->upper) ? 0.5 * p->lower + 0.5 * p->upper
               : isfinite(p->lower)                     ? p->lower + 1
               : isfinite(p->upper)                     ? p->upper - 1
                                                        : 0;
  return n;
}

/* int over p's support of -p log q (kl = 0) or p (log p - log q) (kl = 1).
 * Returns 1 and the value in *result when accurate to TARGET_REL.
 *
 * KL is integrated directly, not as H(p, q) - H(p): the quadrature's error
 * is then relative to KL itself, while the difference inherits the absolute
 * error of H(p, q) (~1e-10 |H(p, q)|) and cancels when p is close to q.
 * For N(0, 1) || N(1e-6, 1), whose KL is 5e-13, the direct integral gives
 * 5.0000000007e-13 and the difference 4.98e-13 (0.4% off). */
static int integrate(const issim_dist *p, const issim_dist *q, int kl,
                     double *result)
{
  double pts[MAX_POINTS], center, spread;
  const size_t n = break_points(p, q, pts);
  bulk(p, &center, &spread);
  if (!(spread > 0) || !isfinite(spread))
    spread = 1;

  const double unreachable = unreachable_part(p, q, kl);
  if (!isfinite(unreachable))
    return 0;

  gsl_integration_cquad_workspace *ws =
      gsl_integration_cquad_workspace_alloc(QUAD_INTERVALS);
  if (ws == NULL)
    return 0;

  integrand f = {p, q, kl, MAP_LINEAR, 0, 0, 1};
  gsl_function fn = {mapped_integrand, &f};
  double total = 0, total_error = 0;
  int ok = 1;
  /* the pieces: [lower, pts[0]], [pts[0], pts[1]], ..., [pts[n-1], upper] */
  for (size_t i = 0; i <= n && ok; i++) {
    const double a = i == 0 ? p->lower : pts[i - 1];
    const double b = i == n ? p->upper : pts[i];
    double lo = a, hi = b;
    if (a == -INFINITY) {
      f.map = MAP_LOWER_TAIL, f.a = b, f.w = spread, lo = 0, hi = 1;
    } else if (b == INFINITY) {
      f.map = MAP_UPPER_TAIL, f.a = a, f.w = spread, lo = 0, hi = 1;
    } else if (i == 0) { /* a is a finite end of the support */
      f.map = MAP_FROM_LOWER, f.a = a, f.w = b - a, lo = 0, hi = 1;
      f.m = endpoint_power(p, a);
    } else if (i == n) {
      f.map = MAP_FROM_UPPER, f.a = b, f.w = b - a, lo = 0, hi = 1;
      f.m = endpoint_power(p, b);
    } else {
      f.map = MAP_LINEAR;
    }
    double value = 0, error = 0;
    size_t nevals = 0;
    const int status = gsl_integration_cquad(&fn, lo, hi, QUAD_EPSABS, QUAD_EPSREL,
                                             ws, &value, &error, &nevals);
    if (status != GSL_SUCCESS || !isfinite(value) || !isfinite(error))
      ok = 0;
    total += value;
    total_error += error;
  }
  gsl_integration_cquad_workspace_free(ws);
  if (!ok || !quad_accepts(total, total_error + unreachable))
    return 0;
  *result = total;
  return 1;
}

static double by_quadrature(const issim_dist *p, const issim_dist *q, int kl,
                            issim_exact_method *how)
{
  double value;
  if (!integrate(p, q, kl, &value)) {
    issim_divergence_set_how(how, ISSIM_EXACT_NONE);
    return NAN;
  }
  issim_divergence_set_how(how, ISSIM_EXACT_QUADRATURE);
  /* KL >= 0: a result below 0 is within its error of 0 (or p = q). */
  return kl ? fmax(0, value) : value;
}

/* ---- the API ---- */

double issim_entropy_exact(const issim_dist *p, issim_exact_method *how)
{
  issim_divergence_set_how(how, ISSIM_EXACT_CLOSED_FORM);
  return issim_dist_entropy(p);
}

/* H(p, q) (want_kl = 0) or KL(p || q) (want_kl = 1): infinite when provably
 * so, else a closed form, else quadrature. */
static double exact(const issim_dist *p, const issim_dist *q, int want_kl,
                    issim_exact_method *how)
{
  double h, kl;
  if (!issim_cross_entropy_finite(p, q)) {
    issim_divergence_set_how(how, ISSIM_EXACT_INFINITE);
    return INFINITY;
  }
  if (closed_form(p, q, &h, &kl)) {
    issim_divergence_set_how(how, ISSIM_EXACT_CLOSED_FORM);
    return want_kl ? kl : h;
  }
  return by_quadrature(p, q, want_kl, how);
}

double issim_cross_entropy_exact(const issim_dist *p, const issim_dist *q,
                                 issim_exact_method *how)
{
  return exact(p, q, 0, how);
}

double issim_kl_exact(const issim_dist *p, const issim_dist *q, issim_exact_method *how)
{
  return exact(p, q, 1, how);
}

double issim_cross_entropy_quadrature(const issim_dist *p, const issim_dist *q,
                                      issim_exact_method *how)
{
  if (!issim_cross_entropy_finite(p, q)) {
    issim_divergence_set_how(how, ISSIM_EXACT_INFINITE);
    return INFINITY;
  }
  return by_quadrature(p, q, 0, how);
}

double issim_kl_quadrature(const issim_dist *p, const issim_dist *q,
                           issim_exact_method *how)
{
  if (!issim_cross_entropy_finite(p, q)) {
    issim_divergence_set_how(how, ISSIM_EXACT_INFINITE);
    return INFINITY;
  }
  return by_quadrature(p, q, 1, how);
}

/* ---- reliability of the estimates ---- */

#define INFO_MIN_KISH_ESS 100
#define INFO_Z 4
#define INFO_RELATIVE_ACCURACY 1e-9 /* quadrature's 1e-10, with room */

static issim_info_status say(issim_info_status st, char *reason, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static issim_info_status say(issim_info_status st, char *reason, size_t size, const char *fmt, ...)
{
  if (reason != NULL && size > 0) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, size, fmt, ap);
    va_end(ap);
  }
  return st;
}

issim_info_status issim_divergence_judge(const issim_info_input *in, char *reason, size_t size)
{
  if (reason != NULL && size > 0)
    reason[0] = '\0';
  if (isinf(in->estimate) || (in->how == ISSIM_EXACT_INFINITE && isinf(in->exact)))
    return ISSIM_INFO_RELIABLE;
  if (isnan(in->estimate) || isnan(in->se))
    return say(ISSIM_INFO_NO_SE, reason, size, "no standard error");
  if (in->weighted && in->weight_variance == ISSIM_VARIANCE_INFINITE)
    return say(ISSIM_INFO_INFINITE_VARIANCE, reason, size,
               "the weights p/q have infinite variance under q (analytic): the weighted "
               "average and its standard error mean nothing");
  if (in->weighted && !in->covers)
    return say(ISSIM_INFO_PARTIAL_SUPPORT, reason, size,
               "q covers only part of p's support: the estimate describes p restricted to it");
  if (in->weighted && !(in->kish_ess >= INFO_MIN_KISH_ESS))
    return say(ISSIM_INFO_LOW_ESS, reason, size,
               "weighted by w over draws whose Kish ESS is only %.3g", in->kish_ess);
  if (in->how != ISSIM_EXACT_NONE && isfinite(in->exact)) {
    double gap = fabs(in->estimate - in->exact);
    if (gap > INFO_Z * in->se && gap > INFO_RELATIVE_ACCURACY * fmax(1, fabs(in->exact)))
      return say(ISSIM_INFO_OFF_EXACT, reason, size,
                 "%.3g standard errors from the exact value", in->se > 0 ? gap / in->se : INFINITY);
  }
  return ISSIM_INFO_RELIABLE;
}

issim_variance issim_divergence_weight_variance(const issim_model *p, const issim_model *q)
{
  const issim_dist *lp = issim_model_line_dist(p), *lq = issim_model_line_dist(q);
  if (q == NULL)
    return ISSIM_VARIANCE_FINITE;
  if (lp == NULL || lq == NULL)
    return issim_model_weight_variance(p, q, NULL, 0);
  double lo = fmax(lp->lower, lq->lower), hi = fmin(lp->upper, lq->upper);
  if (!(lo < hi))
    return ISSIM_VARIANCE_UNDECIDED;
  return issim_weight_variance(lp, lq, lo, hi, NULL, 0);
}

/* ---- the exact relative variance ---- */

enum { RV_MAP_LINEAR, RV_MAP_UP, RV_MAP_DOWN };

typedef struct {
  const issim_dist *p, *q;
  double shift; /* 2 log P: the integrand is p^2 / q / P^2 */
  int map;
  double a, w;  /* x = a + w t / (1 - t) (UP), a - w t / (1 - t) (DOWN) */
  int overflow; /* set when a value was infinite: CQUAD would drop the point
                 * silently, and an integral that is too small would make
                 * the verdict believe a sample's SE */
} rv_integrand;

static double rv_at(rv_integrand *f, double x)
{
  const double lp = issim_dist_log_pdf1(f->p, x);
  if (lp == -INFINITY || isnan(lp))
    return 0;
  const double v = exp(2 * lp - issim_dist_log_pdf1(f->q, x) - f->shift);
  if (!isfinite(v))
    f->overflow = 1;
  return v;
}

static double rv_mapped(double t, void *params)
{
  rv_integrand *f = params;
  if (f->map == RV_MAP_LINEAR)
    return rv_at(f, t);
  if (t >= 1)
    return 0;
  const double u = f->w * t / (1 - t), jac = f->w / ((1 - t) * (1 - t));
  const double v = rv_at(f, f->map == RV_MAP_UP ? f->a + u : f->a - u);
  return v == 0 ? 0 : v * jac;
}

/* log P_p(lo < X < hi), from the tail that is cut off. */
static double log_mass(const issim_dist *p, double lo, double hi)
{
  const int cut_lo = lo > p->lower, cut_hi = hi < p->upper;
  if (cut_lo && !cut_hi)
    return issim_dist_log_sf(p, lo);
  if (cut_hi && !cut_lo)
    return issim_dist_log_cdf(p, hi);
  if (!cut_lo)
    return 0;
  const double a = issim_dist_log_sf(p, lo), b = issim_dist_log_sf(p, hi);
  return a + (b - a > -M_LN2 ? log(-expm1(b - a)) : log1p(-exp(b - a)));
}

double issim_relative_variance_exact(const issim_dist *p, const issim_dist *q, double lo,
                                     double hi)
{
  const double log_p = log_mass(p, lo, hi);
  if (!isfinite(log_p))
    return NAN;
  if (q == NULL)
    return -expm1(log_p) / exp(log_p);
  /* break points: the bulks of q and p, and q's bulk -+ 3 spreads, inside (lo, hi) */
  double cq, sq, cp, sp, pts[6];
  bulk(q, &cq, &sq);
  bulk(p, &cp, &sp);
  if (!(sq > 0) || !isfinite(sq))
    sq = 1;
  const double cand[5] = {cq - 3 * sq, cq, cq + 3 * sq, cp, isfinite(lo) ? lo + sq : hi - sq};
  size_t n = 0;
  pts[n++] = lo;
  for (size_t i = 0; i < 5; i++)
    if (cand[i] > lo && cand[i] < hi && isfinite(cand[i]))
      pts[n++] = cand[i];
  for (size_t i = 1; i < n; i++) /* insertion sort */
    for (size_t j = i; j > 1 && pts[j - 1] > pts[j]; j--) {
      double t = pts[j];
      pts[j] = pts[j - 1];
      pts[j - 1] = t;
    }
  gsl_integration_cquad_workspace *ws = gsl_integration_cquad_workspace_alloc(QUAD_INTERVALS);
  if (ws == NULL)
    return NAN;
  rv_integrand f = {p, q, 2 * log_p, RV_MAP_LINEAR, 0, sq, 0};
  gsl_function fn = {rv_mapped, &f};
  double total = 0, total_error = 0;
  int ok = 1;
  for (size_t i = 0; i < n && ok; i++) { /* [pts[i], pts[i + 1]] and the last to hi */
    double a = pts[i], b = i + 1 < n ? pts[i + 1] : hi, x0 = 0, x1 = 1;
    if (a == b)
      continue;
    if (a == -INFINITY && b == INFINITY) { /* no break point: split at q's bulk */
      ok = 0;
      break;
    }
    if (a == -INFINITY)
      f.map = RV_MAP_DOWN, f.a = b;
    else if (b == INFINITY)
      f.map = RV_MAP_UP, f.a = a;
    else
      f.map = RV_MAP_LINEAR, x0 = a, x1 = b;
    double value = 0, error = 0;
    size_t nevals = 0;
    int status = gsl_integration_cquad(&fn, x0, x1, 0, 1e-8, ws, &value, &error, &nevals);
    if (status != GSL_SUCCESS || !isfinite(value) || !isfinite(error))
      ok = 0;
    total += value;
    total_error += error;
  }
  gsl_integration_cquad_workspace_free(ws);
  if (!ok || f.overflow || !(total_error <= 1e-6 * total))
    return NAN;
  const double rv = total - 1;
  return rv < 1e-6 * total ? 0 : rv;
}

/* ---- the exact relative variance of elliptical pairs ----
 * In p's whitened coordinates, with u along the event's axis, v along the
 * part of q's shift off it (if any) and r the distance from the plane (or
 * axis) they span, p^2/q depends on (u, v, r) only: integrals over u > c',
 * v in R and r > 0, r weighted by the area r^(k-1) of the sphere in the k
 * remaining dimensions.  The verdict needs rv to a few percent, and a
 * shift off the axis costs three nested integrals (0.7 s in 10 dimensions):
 * the t's integrals aim at 1e-3 (ELL_ACCEPT_REL), the inner levels at 1e-5. */

#define ELL_INNER_REL 1e-5
#define ELL_OUTER_REL 1e-4
#define ELL_ACCEPT_REL 1e-3

typedef struct {
  double nu, d, log_c;   /* the t's df and dimension; log of its normalising constant */
  double k, log_area;    /* the radial dimensions and the log area of their unit sphere */
  double m1, mv, shift;  /* the shift along the axis and off it; 2 log P */
  int off;               /* mv > 0: a v integral */
  double u, v;           /* the outer variables, for the inner integrals */
  double w_inner;
  gsl_integration_cquad_workspace *ws_r, *ws_v;
  int overflow, failed;
} ell_integrand;

/* log of the spherical t density at squared radius r2 (whitened) */
static double ell_log_f(const ell_integrand *f, double r2)
{
  return f->log_c - 0.5 * (f->nu + f->d) * log1p(r2 / f->nu);
}

/* p^2/q / P^2 at (u, v, r), times the sphere's area r^(k-1) */
static double ell_value(ell_integrand *f, double r)
{
  const double r2p = f->u * f->u + f->v * f->v + r * r;
  const double r2q = gsl_pow_2(f->u - f->m1) + gsl_pow_2(f->v - f->mv) + r * r;
  double lv = 2 * ell_log_f(f, r2p) - ell_log_f(f, r2q) - f->shift;
  if (f->k > 0)
    lv += f->log_area + (f->k - 1) * log(r);
  const double v = exp(lv);
  if (isinf(v))
    f->overflow = 1;
  return isnan(v) ? 0 : v;
}

static double ell_r(double t, void *params)
{
  ell_integrand *f = params;
  if (t >= 1 || t <= 0)
    return 0; /* r^(k-1) is 0 at 0 for k > 1; for k = 1 the point has measure 0 */
  const double jac = f->w_inner / ((1 - t) * (1 - t));
  return ell_value(f, f->w_inner * t / (1 - t)) * jac;
}

/* accepts a CQUAD result of an inner level */
static void ell_check(ell_integrand *f, int status, double value, double error)
{
  if (status != GSL_SUCCESS || !isfinite(value) || !isfinite(error) ||
      error > ELL_INNER_REL * value + 1e-300)
    f->failed = 1;
}

/* the integral over r at (u, v); the value itself when there is no r */
static double ell_radial(ell_integrand *f)
{
  if (f->k == 0)
    return ell_value(f, 0);
  gsl_function fn = {ell_r, f};
  double value = 0, error = 0;
  size_t nevals = 0;
  int status = gsl_integration_cquad(&fn, 0, 1, 0, ELL_INNER_REL, f->ws_r, &value, &error, &nevals);
  ell_check(f, status, value, error);
  return value;
}

/* v on [0, inf) (params' sign +1) or (-inf, 0] (-1), mapped to [0, 1) */
typedef struct {
  ell_integrand *f;
  double sign;
} ell_half;

static double ell_v(double t, void *params)
{
  const ell_half *h = params;
  if (t >= 1)
    return 0;
  h->f->v = h->sign * t / (1 - t);
  return ell_radial(h->f) / ((1 - t) * (1 - t));
}

/* the integral over the plane or axis at u */
static double ell_at_u(ell_integrand *f)
{
  if (!f->off) {
    f->v = 0;
    return ell_radial(f);
  }
  double total = 0;
  for (int sign = -1; sign <= 1; sign += 2) {
    ell_half h = {f, sign};
    gsl_function fn = {ell_v, &h};
    double value = 0, error = 0;
    size_t nevals = 0;
    int status = gsl_integration_cquad(&fn, 0, 1, 0, ELL_INNER_REL, f->ws_v, &value, &error, &nevals);
    ell_check(f, status, value, error);
    total += value;
  }
  return total;
}

typedef struct {
  ell_integrand *f;
  double c, w_outer;
} ell_outer_ctx;

static double ell_outer(double t, void *params)
{
  ell_outer_ctx *o = params;
  if (t >= 1)
    return 0;
  const double jac = o->w_outer / ((1 - t) * (1 - t));
  o->f->u = o->c + o->w_outer * t / (1 - t);
  return ell_at_u(o->f) * jac;
}

/* whether two d x d matrices agree to 1e-12 relative */
static int same_matrix(size_t d, const double *a, const double *b)
{
  for (size_t i = 0; i < d * d; i++)
    if (!(fabs(a[i] - b[i]) <= 1e-12 * fmax(fabs(a[i]), fabs(b[i]))))
      return 0;
  return 1;
}

/* The geometry of a moved elliptical pair and a half-space event: with a =
 * direction L^T w and m = L^-1 (mu_q - mu_p) in the standard space, the
 * event's distance along a, cc = direction (t - w.mu_p) / |a|, the move
 * along a, m1, its squared length m2 and squared part off the axis, mperp.
 * 0 when |a| = 0 or out of memory. */
static int moved_geometry(const issim_model_elliptical *ep, const issim_model_elliptical *eq, const double *w,
                          double t, int direction, double *cc, double *m1, double *m2,
                          double *mperp)
{
  const size_t d = ep->d;
  double *a = calloc(d, sizeof *a), *m = calloc(d, sizeof *m);
  int ok = a != NULL && m != NULL;
  double c = t, na = 0;
  for (size_t j = 0; ok && j < d; j++)
    c -= w[j] * ep->mu[j];
  if (ok)
    issim_linalg_lower_transpose_times(d, ep->l, w, a);
  for (size_t j = 0; ok && j < d; j++) {
    a[j] *= direction;
    na += a[j] * a[j];
  }
  na = sqrt(na);
  for (size_t i = 0; ok && i < d; i++)
    m[i] = eq->mu[i] - ep->mu[i];
  if (ok)
    issim_linalg_forward_solve(d, ep->l, m, m);
  *m1 = *m2 = *mperp = 0;
  for (size_t j = 0; ok && j < d; j++) {
    *m1 += m[j] * a[j] / na;
    *m2 += m[j] * m[j];
  }
  for (size_t j = 0; ok && j < d; j++)
    *mperp += gsl_pow_2(m[j] - *m1 * a[j] / na);
  free(a), free(m);
  *cc = direction * c / na;
  return ok && na > 0 && isfinite(c);
}

/* Normals: e^(|m|^2) Q(cc + m1) / P^2 - 1. */
static double normal_relative_variance(double cc, double m1, double m2, double log_p)
{
  const double log_q = log(0.5 * gsl_sf_erfc((cc + m1) / M_SQRT2));
  double log_tail = isfinite(log_q) ? log_q : NAN;
  if (isnan(log_tail) && cc + m1 > 0) /* far tail: Q(x) = phi(x)/x (1 - 1/x^2 + 3/x^4) */
    log_tail = -0.5 * gsl_pow_2(cc + m1) - log(cc + m1) - 0.5 * log(2 * M_PI) +
               log1p(-1 / gsl_pow_2(cc + m1) + 3 / gsl_pow_4(cc + m1));
  return expm1(m2 + log_tail - 2 * log_p);
}

/* t's: the nested integrals of ell_outer (NAN when they do not converge). */
static double t_relative_variance(double nu, size_t d, double cc, double m1, double m2,
                                  double mperp, double log_p)
{
  double result = NAN;
  /* the shift off the axis, if it is more than rounding */
  const int off = mperp > 1e-18 * fmax(1, m2);
  const double dd = (double)d, k = off ? dd - 2 : dd - 1;
  ell_integrand f = {
    .nu = nu, .d = dd,
    .log_c = gsl_sf_lngamma(0.5 * (nu + dd)) - gsl_sf_lngamma(0.5 * nu) -
             0.5 * dd * log(nu * M_PI),
    .k = k,
    .log_area = k > 0 ? M_LN2 + 0.5 * k * log(M_PI) - gsl_sf_lngamma(0.5 * k) : 0,
    .m1 = m1, .mv = off ? sqrt(mperp) : 0, .shift = 2 * log_p, .off = off,
    .w_inner = sqrt(fmax(k, 1)),
  };
  gsl_integration_cquad_workspace *wo = gsl_integration_cquad_workspace_alloc(QUAD_INTERVALS);
  f.ws_r = gsl_integration_cquad_workspace_alloc(QUAD_INTERVALS);
  f.ws_v = gsl_integration_cquad_workspace_alloc(QUAD_INTERVALS);
  if (wo && f.ws_r && f.ws_v) {
    ell_outer_ctx o = {&f, cc, 1};
    gsl_function fn = {ell_outer, &o};
    double value = 0, error = 0;
    size_t nevals = 0;
    int status = gsl_integration_cquad(&fn, 0, 1, 0, ELL_OUTER_REL, wo, &value, &error, &nevals);
    if (status == GSL_SUCCESS && !f.failed && !f.overflow && isfinite(value) &&
        error <= ELL_ACCEPT_REL * value) {
      result = value - 1;
      if (result < ELL_ACCEPT_REL * value)
        result = 0;
    }
  }
  if (wo)
    gsl_integration_cquad_workspace_free(wo);
  if (f.ws_r)
    gsl_integration_cquad_workspace_free(f.ws_r);
  if (f.ws_v)
    gsl_integration_cquad_workspace_free(f.ws_v);
  return result;
}

double issim_model_relative_variance_exact(const issim_model *p, const issim_model *q,
                                           const double *w, double t, int direction,
                                           double log_p)
{
  issim_model_elliptical ep = {0}, eq = {0};
  double result = NAN, cc, m1, m2, mperp;
  if (q != NULL && isfinite(log_p) && issim_model_elliptical_of(p, &ep) && issim_model_elliptical_of(q, &eq) &&
      ep.d == eq.d && ep.d >= 2 && ep.df == eq.df && same_matrix(ep.d, ep.l, eq.l) &&
      moved_geometry(&ep, &eq, w, t, direction, &cc, &m1, &m2, &mperp))
    result = isinf(ep.df) ? normal_relative_variance(cc, m1, m2, log_p)
                          : t_relative_variance(ep.df, ep.d, cc, m1, m2, mperp, log_p);
  issim_model_elliptical_free(&ep);
  issim_model_elliptical_free(&eq);
  return result;
}
