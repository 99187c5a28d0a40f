/* dist_engineering.c: the families design codes use (see dist.h and
 * dist_impl.h): the lognormal given by the mean of X and its standard
 * deviation or coefficient of variation, the truncated normal, the
 * generalised extreme value law (gev) and the triangular.
 *
 * Every tail is written in log space from the side that is small, so that
 * no probability near 1 is ever subtracted from 1:
 *   truncated-normal  P(s < Z < t) for standard bounds, from the two upper
 *                     tails when s >= 0, the two lower ones when t <= 0, and
 *                     1 - Q(t) - Phi(s) (both <= 1/2) otherwise; a mass
 *                     next to a finite bound by its Taylor series.
 *   gev               F = exp(-t), t = (1 + shape z)^(-1/shape): log F = -t
 *                     and log S = log(1 - e^-t) from t and log t.
 *   triangular        F = (x - a)^2 / ((b - a)(c - a)) below the mode, and
 *                     S = ((b - c)(c - a) + (c - x)(c + x - 2a)) / ((b - a)
 *                     (c - a)), a sum of two non-negative terms, there too
 *                     (likewise above the mode).
 * Quantiles are in closed form from the log of the smaller tail
 * (issim_dist_tail_quantile), and draws are by inversion of one uniform
 * (GSL has no triangular, and its gsl_ran_gaussian_tail cuts one side only,
 * by rejection: inversion serves both cuts, exact from the tail quantiles,
 * one uniform a draw) or from GSL's exponential (gev: x = location + scale
 * (E^-shape - 1) / shape, E ~ Exp(1)).
 */
#include "dist_impl.h"
#include "logspecial.h"

#include <float.h>
#include <math.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_math.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_sf_gamma.h>
#include <gsl/gsl_sf_zeta.h>

static const double LOG_2PI = 1.8378770664093454836; /* log(2 pi) */

static double log_phi(double z)
{
  return -0.5 * z * z - 0.5 * LOG_2PI;
}

/* The standard normal's upper quantile in log space (dist.h).
 *
 * Down to lq = -700 (z = 37.3) this is GSL's Qinv (Wichura's AS241, relative
 * error ~1e-16) of e^lq, which is a normal double there.  Below, where e^lq
 * underflows, it starts from the asymptote log Q(z) = -z^2/2 - log z -
 * log(2 pi)/2 + O(z^-2) and refines with Newton steps on log Q itself
 * (gsl_sf_log_erfc, accurate everywhere), to a few ulps.  Beyond
 * lq = -1e10 (z = 1.4e5) the asymptote with two fixed-point steps is already
 * exact to double precision and is used as it is. */
double issim_dist_normal_upper_quantile(double lq)
{
  if (isnan(lq))
    return NAN;
  if (lq == -INFINITY)
    return INFINITY;
  if (lq >= 0)
    return -INFINITY;
  if (lq > -700)
    return gsl_cdf_ugaussian_Qinv(exp(lq));
  const double t = -lq;
  double z = sqrt(2 * t);
  for (int i = 0; i < 2; i++)
    z = sqrt(2 * (t - 0.5 * LOG_2PI - log(z)));
  if (t > 1e10)
    return z;
  for (int i = 0; i < 8; i++) {
    const double lqz = issim_dist_std_normal_log_sf(z);
    const double log_phi = -0.5 * z * z - 0.5 * LOG_2PI;
    const double step = (lqz - lq) / exp(log_phi - lqz); /* f / -f' */
    z += step;
    if (fabs(step) <= 2 * DBL_EPSILON * z)
      break;
  }
  return z;
}

/* log(e^a + e^b) */
static double log_add(double a, double b)
{
  const double hi = fmax(a, b), lo = fmin(a, b);
  return hi == -INFINITY ? hi : hi + log1p(exp(lo - hi));
}

/* ---- the lognormal from the moments of X ---- */

/* Keys: meanlog, sdlog, mean, sd, cov (dist.c's table). */
static int lognormal_moments(double value[], const bool given[], issim_error *err)
{
  if (!given[2] && !given[3] && !given[4])
    return ISSIM_OK;
  if (given[0] || given[1])
    return issim_error_set_key(err, ISSIM_EINVAL, given[2] ? "mean" : given[3] ? "sd" : "cov",
                               "give a lognormal by meanlog and sdlog (of log X) or by mean "
                               "and sd or cov (of X), not both");
  if (!given[2])
    return issim_error_set_key(err, ISSIM_EINVAL, given[3] ? "sd" : "cov",
                               "%s of a lognormal needs the mean of X beside it (or give "
                               "meanlog and sdlog, of log X)", given[3] ? "sd" : "cov");
  if (given[3] == given[4])
    return issim_error_set_key(err, ISSIM_EINVAL, given[3] ? "cov" : "mean",
                               given[3] ? "give sd or cov (= sd / mean) of a lognormal, not both"
                                        : "the mean of a lognormal needs sd or cov (= sd / "
                                          "mean) beside it");
  const double cov = given[4] ? value[4] : value[3] / value[2];
  const double s2 = log1p_square(cov); /* sdlog^2 = log(1 + cov^2) */
  /* sqrt(log1p(cov^2)) is cov to double precision once cov^2 < 1e-16, and
   * keeps it where cov^2 would underflow */
  value[1] = cov < 1e-10 ? cov : sqrt(s2);
  value[0] = log(value[2]) - 0.5 * s2;
  if (!(value[1] > 0) || !isfinite(value[1]))
    return issim_error_set_key(err, ISSIM_EINVAL, given[4] ? "cov" : "sd",
                               "the coefficient of variation of this lognormal, %g, gives no "
                               "finite sdlog > 0", cov);
  return ISSIM_OK;
}

/* ---- the truncated normal ----
 * c[0] = -log sd - log(2 pi)/2 - log mass, c[1] = log mass, c[2] and c[3]
 * the standardised bounds (lower - mean)/sd and (upper - mean)/sd. */

/* log P(s < Z < t), s < t, either may be infinite. */
static double log_mass(double s, double t)
{
  if (s >= 0) {
    const double ls = issim_dist_std_normal_log_sf(s);
    const double lt = t == INFINITY ? -INFINITY : issim_dist_std_normal_log_sf(t);
    return ls + issim_dist_log1mexp(lt - ls);
  }
  if (t <= 0)
    return log_mass(-t, -s);
  const double q = t == INFINITY ? 0 : exp(issim_dist_std_normal_log_sf(t));
  const double p = s == -INFINITY ? 0 : exp(issim_dist_std_normal_log_sf(-s));
  return log1p(-(q + p));
}

/* Next to a finite bound a, P(a < Z < a + delta) is phi(a) delta (1 - a
 * delta / 2 + (a^2 - 1) delta^2 / 6 + (3a - a^3) delta^3 / 24 + ...): its
 * Taylor series, to double precision while delta max(1, |a|) < NEAR (the
 * next term is below 1e-17 relative), also where delta is 1e-300 and the
 * difference of two tails would cancel to nothing. */
static const double NEAR = 1e-4;

static double near_bound_log1p(double a, double delta)
{
  const double c1 = -0.5 * a, c2 = (a * a - 1) / 6, c3 = (3 * a - a * a * a) / 24;
  return log1p(delta * (c1 + delta * (c2 + delta * c3)));
}

/* log P(a < Z < a + delta), delta >= 0, by the series when it applies;
 * NAN otherwise. */
static double near_bound_log_mass(double a, double delta)
{
  if (!(delta * fmax(1, fabs(a)) < NEAR))
    return NAN;
  return log_phi(a) + log(delta) + near_bound_log1p(a, delta);
}

/* The delta with log P(a < Z < a + delta) = L when delta is small, by
 * fixed-point steps on the series; NAN when delta is not small. */
static double near_bound_offset(double a, double L)
{
  const double base = L - log_phi(a);
  double delta = exp(base);
  if (!(delta * fmax(1, fabs(a)) < 0.5 * NEAR))
    return NAN;
  for (int i = 0; i < 4; i++)
    delta = exp(base - near_bound_log1p(a, delta));
  return delta;
}

static double truncated_normal_quantile(const issim_dist *d, int upper, double lt)
{
  const double *p = d->param, *c = d->c;
  if (lt == -INFINITY)
    return upper ? d->upper : d->lower;
  const double ls = upper ? lt : issim_dist_log1mexp(lt); /* log P(X > x) */
  const double lc = upper ? issim_dist_log1mexp(lt) : lt; /* log P(X <= x) */
  if (!upper && isfinite(c[2])) { /* next to the lower bound */
    const double delta = near_bound_offset(c[2], lc + c[1]);
    if (isfinite(delta))
      return fmin(d->lower + p[1] * delta, d->upper);
  }
  if (upper && isfinite(c[3])) {
    const double delta = near_bound_offset(-c[3], ls + c[1]);
    if (isfinite(delta))
      return fmax(d->upper - p[1] * delta, d->lower);
  }
  /* Phi(t) = Phi(a) + F Z and Q(t) = Q(b) + S Z, both sums of positive terms */
  const double l_phi = log_add(isfinite(c[2]) ? issim_dist_std_normal_log_sf(-c[2]) : -INFINITY,
                               lc + c[1]);
  const double l_q = log_add(isfinite(c[3]) ? issim_dist_std_normal_log_sf(c[3]) : -INFINITY,
                             ls + c[1]);
  const double t = l_q <= l_phi ? issim_dist_normal_upper_quantile(l_q)
                                 : -issim_dist_normal_upper_quantile(l_phi);
  return fmin(fmax(p[0] + p[1] * t, d->lower), d->upper);
}

/* Each side from its own mass, by the series next to a finite bound. */
static void truncated_normal_tails(const issim_dist *d, double x, double *log_sf,
                                   double *log_cdf)
{
  const double *p = d->param, *c = d->c;
  const double t = (x - p[0]) / p[1];
  double ls = isfinite(c[3]) ? near_bound_log_mass(-c[3], (p[3] - x) / p[1]) : NAN;
  double lc = isfinite(c[2]) ? near_bound_log_mass(c[2], (x - p[2]) / p[1]) : NAN;
  if (isnan(ls))
    ls = log_mass(t, c[3]);
  if (isnan(lc))
    lc = log_mass(c[2], t);
  *log_sf = fmin(0, ls - c[1]);
  *log_cdf = fmin(0, lc - c[1]);
}

/* phi(bound) / mass and bound phi(bound) / mass (0 at an infinite bound). */
static void bound_terms(const issim_dist *d, double z, double *r, double *zr)
{
  *r = isfinite(z) ? exp(log_phi(z) - d->c[1]) : 0;
  *zr = isfinite(z) ? z * *r : 0;
}

/* ---- the generalised extreme value law ---- */

/* Below this |shape| the law is the Gumbel to double precision. */
static const double GEV_GUMBEL = 1e-150;

/* log t at standard point z (1 + shape z > 0): t = (1 + shape z)^(-1/shape). */
static double gev_log_t(double shape, double z)
{
  return fabs(shape) < GEV_GUMBEL ? -z : -log1p(shape * z) / shape;
}

/* The standard point z at log t = L. */
static double gev_z(double shape, double L)
{
  return fabs(shape) < GEV_GUMBEL ? -L : expm1(-shape * L) / shape;
}

static double gev_log_pdf(const issim_dist *d, double x)
{
  const double *p = d->param;
  const double z = (x - p[0]) / p[1];
  if (!(1 + p[2] * z > 0) && fabs(p[2]) >= GEV_GUMBEL) { /* at the finite end */
    if (p[2] > -1) /* the density's 0 (a Frechet's lower end, most reverse Weibulls' upper) */
      return -INFINITY;
    return p[2] == -1 ? d->c[0] : INFINITY;
  }
  const double lt = gev_log_t(p[2], z);
  return d->c[0] + (p[2] + 1) * lt - exp(lt);
}

static void gev_tails(const issim_dist *d, double x, double *log_sf, double *log_cdf)
{
  const double *p = d->param;
  const double lt = gev_log_t(p[2], (x - p[0]) / p[1]), t = exp(lt);
  *log_cdf = -t;
  *log_sf = t < 1e-8 ? lt - 0.5 * t : issim_dist_log1mexp(-t);
}

static double gev_quantile(const issim_dist *d, int upper, double lt)
{
  const double *p = d->param;
  double log_t; /* F = exp(-t) */
  if (upper) { /* t = -log(1 - e^lt), whose log is lt below e^-40 */
    const double t = -issim_dist_log1mexp(lt);
    log_t = lt < -40 ? lt : log(t);
  } else {
    log_t = log(-lt);
  }
  const double x = p[0] + p[1] * gev_z(p[2], log_t);
  return fmin(fmax(x, d->lower), d->upper);
}

/* Gamma(1 - k shape), as the log lnpoch(1, -k shape), relatively accurate
 * near shape 0. */
static double gev_log_g(double k, double shape)
{
  return gsl_sf_lnpoch(1, -k * shape);
}

/* (g2 - g1^2) / (g1^2 shape^2) = expm1(D) / shape^2, D = log g2 - 2 log g1,
 * g_k = Gamma(1 - k shape).  For |shape| < 0.1, D by its series
 * sum_(k>=2) zeta(k) (2^k - 2) / k shape^k (from log Gamma(1 - x) = gamma x +
 * sum zeta(k) x^k / k), whose terms fall by 2 |shape| each: the difference
 * of the logs would cancel to a relative 1e-6 at shape 1e-9.  It is the
 * Gumbel's pi^2/6 at shape 0. */
static double gev_variance_factor(double shape)
{
  if (fabs(shape) >= 0.1) {
    const double D = gev_log_g(2, shape) - 2 * gev_log_g(1, shape);
    return expm1(D) / (shape * shape);
  }
  double dn = 0, power = 1; /* D / shape^2, and shape^(k-2) */
  for (int k = 2; k < 60; k++) {
    dn += gsl_sf_zeta_int(k) * (ldexp(1, k) - 2) / k * power;
    power *= shape;
  }
  const double D = dn * shape * shape;
  return D == 0 ? dn : dn * (expm1(D) / D);
}

/* ---- the triangular ---- */

/* Scaled differences from lower a, mode c, upper b, width w = b - a. */
static double triangular_quantile(const issim_dist *d, int upper, double lt)
{
  const double a = d->param[0], b = d->param[2];
  const double w = b - a, ca = (d->param[1] - a) / w, bc = (b - d->param[1]) / w;
  if (lt == -INFINITY)
    return upper ? b : a;
  const double other = issim_dist_log1mexp(lt);
  const double lf = upper ? other : lt, ls = upper ? lt : other; /* log F, log S at x */
  /* F = ((x - a)/w)^2 / ca below the mode, S = ((b - x)/w)^2 / bc above */
  double x;
  if ((upper && lt > log(bc)) || (!upper && lt <= log(ca)))
    x = a + w * exp(0.5 * (lf + log(ca)));
  else
    x = b - w * exp(0.5 * (ls + log(bc)));
  return fmin(fmax(x, a), b);
}

static double triangular_log_pdf(const issim_dist *d, double x)
{
  const double a = d->param[0], c = d->param[1], b = d->param[2];
  if (x < c)
    return d->c[0] + log(x - a) - d->c[1];
  if (x > c)
    return d->c[0] + log(b - x) - d->c[2];
  return isnan(x) ? x : d->c[0];
}

static void triangular_tails(const issim_dist *d, double x, double *log_sf, double *log_cdf)
{
  const double a = d->param[0], c = d->param[1], b = d->param[2];
  const double w = b - a, ca = (c - a) / w, bc = (b - c) / w;
  if (x <= c) {
    const double xa = (x - a) / w, cx = (c - x) / w;
    *log_cdf = 2 * log(xa) - log(ca);
    *log_sf = fmin(0, log(bc * ca + cx * (ca + xa)) - log(ca));
  } else {
    const double bx = (b - x) / w, xc = (x - c) / w;
    *log_sf = 2 * log(bx) - log(bc);
    *log_cdf = fmin(0, log(ca * bc + xc * (bc + bx)) - log(bc));
  }
}

/* ---- what dist.c calls ---- */

int issim_dist_eng_check(issim_dist_kind kind, double value[], const bool given[],
                         issim_error *err)
{
  switch (kind) {
  case ISSIM_DIST_LOGNORMAL:
    return lognormal_moments(value, given, err);
  case ISSIM_DIST_TRUNCATED_NORMAL: {
    if (!(value[2] < value[3]))
      return issim_error_set_key(err, ISSIM_EINVAL, "upper",
                                 "lower must be < upper (got lower=%g, upper=%g)", value[2],
                                 value[3]);
    const double s = (value[2] - value[0]) / value[1], t = (value[3] - value[0]) / value[1];
    if (!(log_mass(s, t) > -INFINITY))
      return issim_error_set_key(err, ISSIM_EINVAL, "lower",
                                 "lower=%g and upper=%g hold no probability issim can "
                                 "represent (%g and %g sd from the mean)", value[2], value[3],
                                 s, t);
    return ISSIM_OK;
  }
  case ISSIM_DIST_TRIANGULAR:
    if (!(value[0] <= value[1] && value[1] <= value[2] && value[0] < value[2]))
      return issim_error_set_key(err, ISSIM_EINVAL, "mode",
                                 "a triangular needs lower <= mode <= upper and lower < upper "
                                 "(got lower=%g, mode=%g, upper=%g)", value[0], value[1],
                                 value[2]);
    if (!isfinite(value[2] - value[0]))
      return issim_error_set_key(err, ISSIM_EINVAL, "upper",
                                 "upper - lower must be finite (got lower=%g, upper=%g)",
                                 value[0], value[2]);
    return ISSIM_OK;
  default:
    return ISSIM_OK;
  }
}

void issim_dist_eng_precompute(issim_dist *d)
{
  const double *p = d->param;
  double *c = d->c;
  switch (d->kind) {
  case ISSIM_DIST_TRUNCATED_NORMAL:
    c[2] = (p[2] - p[0]) / p[1];
    c[3] = (p[3] - p[0]) / p[1];
    c[1] = log_mass(c[2], c[3]);
    c[0] = -log(p[1]) - 0.5 * LOG_2PI - c[1];
    d->lower = p[2];
    d->upper = p[3];
    break;
  case ISSIM_DIST_GEV:
    c[0] = -log(p[1]);
    if (p[2] >= GEV_GUMBEL)
      d->lower = p[0] - p[1] / p[2];
    else if (p[2] <= -GEV_GUMBEL)
      d->upper = p[0] - p[1] / p[2];
    break;
  case ISSIM_DIST_TRIANGULAR: /* log(2 / w), log(c - a), log(b - c) */
    c[0] = M_LN2 - log(p[2] - p[0]);
    c[1] = log(p[1] - p[0]);
    c[2] = log(p[2] - p[1]);
    d->lower = p[0];
    d->upper = p[2];
    break;
  default:
    break;
  }
}

double issim_dist_tail_quantile(const issim_dist *d, int upper, double lt)
{
  if (isnan(lt))
    return NAN;
  switch (d->kind) {
  case ISSIM_DIST_TRUNCATED_NORMAL:
    return truncated_normal_quantile(d, upper, lt);
  case ISSIM_DIST_GEV:
    return gev_quantile(d, upper, lt);
  case ISSIM_DIST_TRIANGULAR:
    return triangular_quantile(d, upper, lt);
  default:
    return NAN;
  }
}

double issim_dist_eng_draw(const issim_dist *d, gsl_rng *r)
{
  if (d->kind == ISSIM_DIST_GEV) { /* t = -log U ~ Exp(1), F(x) = exp(-t) */
    const double e = gsl_ran_exponential(r, 1.0);
    return fmin(fmax(d->param[0] + d->param[1] * gev_z(d->param[2], log(e)), d->lower),
                d->upper);
  }
  const double u = gsl_rng_uniform_pos(r); /* 1 - u is exact for u >= 1/2 */
  return u <= 0.5 ? issim_dist_tail_quantile(d, 0, log(u))
                  : issim_dist_tail_quantile(d, 1, log1p(-u));
}

double issim_dist_eng_log_pdf(const issim_dist *d, double x)
{
  switch (d->kind) {
  case ISSIM_DIST_TRUNCATED_NORMAL: {
    const double z = (x - d->param[0]) / d->param[1];
    return d->c[0] - 0.5 * z * z;
  }
  case ISSIM_DIST_GEV:
    return gev_log_pdf(d, x);
  case ISSIM_DIST_TRIANGULAR:
    return triangular_log_pdf(d, x);
  default:
    return NAN;
  }
}

void issim_dist_eng_log_tails(const issim_dist *d, double x, double *log_sf, double *log_cdf)
{
  switch (d->kind) {
  case ISSIM_DIST_TRUNCATED_NORMAL:
    truncated_normal_tails(d, x, log_sf, log_cdf);
    break;
  case ISSIM_DIST_GEV:
    gev_tails(d, x, log_sf, log_cdf);
    break;
  case ISSIM_DIST_TRIANGULAR:
    triangular_tails(d, x, log_sf, log_cdf);
    break;
  default:
    *log_sf = *log_cdf = NAN;
    break;
  }
}

double issim_dist_eng_mean(const issim_dist *d)
{
  const double *p = d->param;
  double ra, za, rb, zb;
  switch (d->kind) {
  case ISSIM_DIST_TRUNCATED_NORMAL:
    bound_terms(d, d->c[2], &ra, &za);
    bound_terms(d, d->c[3], &rb, &zb);
    return p[0] + p[1] * (ra - rb);
  case ISSIM_DIST_GEV:
    if (p[2] >= 1)
      return INFINITY;
    if (fabs(p[2]) < GEV_GUMBEL)
      return p[0] + p[1] * M_EULER;
    return p[0] + p[1] * expm1(gev_log_g(1, p[2])) / p[2];
  case ISSIM_DIST_TRIANGULAR:
    return (p[0] + p[1] + p[2]) / 3;
  default:
    return NAN;
  }
}

double issim_dist_eng_variance(const issim_dist *d)
{
  const double *p = d->param;
  double ra, za, rb, zb;
  switch (d->kind) {
  case ISSIM_DIST_TRUNCATED_NORMAL:
    bound_terms(d, d->c[2], &ra, &za);
    bound_terms(d, d->c[3], &rb, &zb);
    return p[1] * p[1] * fmax(0, 1 + (za - zb) - (ra - rb) * (ra - rb));
  case ISSIM_DIST_GEV: {
    if (p[2] >= 0.5)
      return INFINITY;
    /* scale^2 (g2 - g1^2) / shape^2 */
    return p[1] * p[1] * exp(2 * gev_log_g(1, p[2])) * gev_variance_factor(p[2]);
  }
  case ISSIM_DIST_TRIANGULAR: {
    const double w = p[2] - p[0], m = p[1] - p[0];
    return (w * w - w * m + m * m) / 18;
  }
  default:
    return NAN;
  }
}

double issim_dist_eng_entropy(const issim_dist *d)
{
  const double *p = d->param;
  double ra, za, rb, zb;
  switch (d->kind) {
  case ISSIM_DIST_TRUNCATED_NORMAL:
    bound_terms(d, d->c[2], &ra, &za);
    bound_terms(d, d->c[3], &rb, &zb);
    return 0.5 * (1 + LOG_2PI) + log(p[1]) + d->c[1] + 0.5 * (za - zb);
  case ISSIM_DIST_GEV:
    return log(p[1]) + M_EULER * (1 + p[2]) + 1;
  case ISSIM_DIST_TRIANGULAR:
    return 0.5 + log(0.5 * (p[2] - p[0]));
  default:
    return NAN;
  }
}
