/* copula.c: the Gaussian copula's marginal transforms, its density, its
 * moments and its correlation (issim_model_correlation, model.h: model.c is
 * at its size limit) (see copula.h; the copula model itself is built in
 * model.c).
 *
 * A copula model draws z = L e (e standard normal, L L^T = R) and returns
 * x_j = F_j^-1(Phi(z_j)); its log-density is the marginals' plus the
 * copula term -1/2 log det R - 1/2 z^T (R^-1 - I) z at z_j = Phi^-1(F_j(x_j)).
 * Both transforms are done in log space, so that they keep their digits in
 * the far tails (a tail probability of 1e-300 and beyond).
 */
#include "copula.h"
#include "model_impl.h"
#include "linalg.h"

#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_math.h>
#include <gsl/gsl_sf_erf.h>
#include <gsl/gsl_sf_gamma.h>

static const double LOG_2PI = 1.8378770664093454836; /* log(2 pi) */

/* ---- the standard normal in log space ---- */

/* log P(Z > z), accurate in the far upper tail (-804.6 at z = 40). */
static double std_normal_log_sf(double z)
{
  return z >= 0 ? gsl_sf_log_erfc(z * M_SQRT1_2) - M_LN2
                : log1p(-0.5 * erfc(-z * M_SQRT1_2));
}

/* ---- quantiles of the marginals, for the copula ----
 *
 * g(z) = F^-1(Phi(z)): the marginal's value at normal score z.  normal and
 * lognormal are exact transformations (mean + sd z, exp(meanlog + sdlog z)).
 * Families whose inverse is in closed form use GSL's Pinv for z <= 0 and
 * Qinv of Phi(-z) for z > 0, so that upper-tail draws keep their digits
 * instead of rounding Phi(z) to 1.  For student-t, gamma, chi-squared and
 * beta, GSL's inverses are iterative and report non-convergence through
 * GSL_ERROR (which aborts under GSL's default handler, e.g. a gamma of shape
 * 0.01 at P = 1e-5, whose quantile underflows); they are solved here instead,
 * by the safeguarded Newton iteration below on issim's own log tails (which
 * stay accurate below 1e-308). */

/* x(u) of the variable the iteration works in, and log dx/du:
 *   student-t    x = location + scale sinh(u)  (power tails: log S is
 *                                               nearly linear in u)
 *   gamma, chi2  x = e^u
 *   beta         x = 1 / (1 + e^-u)
 * In each, a step du is a relative step in x (or in 1 - x) far out. */
static double solver_x(const issim_dist *m, double u, double *log_dxdu)
{
  const double au = fabs(u);
  switch (m->kind) {
  case ISSIM_DIST_STUDENT_T:
    *log_dxdu = log(m->param[2]) + au + log1p(exp(-2 * au)) - M_LN2;
    return m->param[1] + m->param[2] * sinh(u);
  case ISSIM_DIST_BETA: {
    const double e = exp(-au);
    *log_dxdu = -au - 2 * log1p(e);
    return u >= 0 ? 1 / (1 + e) : e / (1 + e);
  }
  default: /* gamma, chi-squared */
    *log_dxdu = u;
    return exp(u);
  }
}

typedef struct {
  const issim_dist *m;
  bool upper; /* solve log P(X > x) = lt, else log P(X <= x) = lt */
  double lt;
} quantile_problem;

/* G(u), increasing in u, zero at the root; *dg = G'(u); *x = x(u). */
static double solver_eval(const quantile_problem *q, double u, double *dg, double *x)
{
  double log_dxdu;
  *x = solver_x(q->m, u, &log_dxdu);
  const double side = q->upper ? issim_dist_log_sf(q->m, *x) : issim_dist_log_cdf(q->m, *x);
  *dg = exp(issim_dist_log_pdf1(q->m, *x) - side + log_dxdu);
  return q->upper ? q->lt - side : side - q->lt;
}

/* Starting points in u: up to three candidates from closed-form
 * approximations; the solver starts from the best of them. */
static size_t solver_starts(const quantile_problem *q, double *u)
{
  const double *p = q->m->param;
  const double z = issim_dist_normal_upper_quantile(q->lt); /* >= 0: the tail's normal score */
  const double sign = q->upper ? 1 : -1;
  size_t n = 0;
  switch (q->m->kind) {
  case ISSIM_DIST_STUDENT_T: {
    /* The normal score (too small: the t's tails are heavier) and the tail
     * asymptote S(t) ~ nu^(nu/2 - 1) t^-nu / B(nu/2, 1/2) (too large, as
     * the density lies below its asymptote): they bracket the root. */
    const double nu = p[0];
    const double log_t = (0.5 * nu * log(nu) - gsl_sf_lnbeta(0.5 * nu, 0.5) - log(nu) - q->lt) / nu;
    u[n++] = sign * asinh(z);
    if (log_t < 700)
      u[n++] = sign * asinh(exp(log_t));
    else
      u[n++] = sign * (log_t + M_LN2);
    break;
  }
  case ISSIM_DIST_GAMMA:
  case ISSIM_DIST_CHI_SQUARED: {
    const double a = q->m->kind == ISSIM_DIST_GAMMA ? p[0] : 0.5 * p[0];
    const double log_scale = q->m->kind == ISSIM_DIST_GAMMA ? log(p[1]) : M_LN2;
    /* Wilson-Hilferty */
    const double base = 1 - 1 / (9 * a) + sign * z / (3 * sqrt(a));
    if (base > 0)
      u[n++] = log_scale + log(a) + 3 * log(base);
    if (!q->upper) { /* P(a, y) ~ y^a / Gamma(a + 1) */
      u[n++] = log_scale + (q->lt + gsl_sf_lngamma(a + 1)) / a;
    } else { /* Q(a, y) ~ y^(a-1) e^-y / Gamma(a): y = -lt - lgamma(a) + (a-1) log y */
      double y = fmax(a, -q->lt);
      for (int i = 0; i < 3 && y > 0; i++)
        y = -q->lt - gsl_sf_lngamma(a) + (a - 1) * log(y);
      if (y > 0 && isfinite(y))
        u[n++] = log_scale + log(y);
    }
    break;
  }
  case ISSIM_DIST_BETA: {
    const double a = p[0], b = p[1], lb = gsl_sf_lnbeta(a, b);
    const double mean = a / (a + b), sd = sqrt(a * b / ((a + b) * (a + b) * (a + b + 1)));
    const double xn = mean + sign * z * sd;
    if (xn > 0 && xn < 1)
      u[n++] = log(xn) - log1p(-xn);
    if (!q->upper) { /* F(x) ~ x^a / (a B(a, b)) */
      const double log_x = (q->lt + log(a) + lb) / a;
      if (log_x < -M_LN2)
        u[n++] = log_x - log1p(-exp(log_x));
    } else { /* S(x) ~ (1-x)^b / (b B(a, b)) */
      const double log_y = (q->lt + log(b) + lb) / b;
      if (log_y < -M_LN2)
        u[n++] = log1p(-exp(log_y)) - log_y;
    }
    break;
  }
  default:
    break;
  }
  if (n == 0)
    u[n++] = 0;
  return n;
}

/* The x with log P(X <= x) = lt (or log P(X > x) = lt when upper), lt <=
 * log(1/2), for student-t, gamma, chi-squared and beta: Newton steps on G(u)
 * inside a bracket that every evaluation narrows; a step that leaves the
 * bracket is replaced by bisection, or by doubling |u| while the bracket is
 * still open on that side.  It stops when G is at the level of its own
 * rounding or a Newton step was below 1e-9 (the next error is then ~1e-18,
 * Newton's convergence being quadratic); then one Newton step in x itself
 * gives the last digits, which u's own resolution (eps |u|) would lose far
 * out.  Accuracy: that of issim's log tails, ~1e-14 relative in x. */
static double solve_quantile(const issim_dist *dist, bool upper, double lt)
{
  if (isnan(lt))
    return NAN;
  if (lt == -INFINITY)
    return upper ? dist->upper : dist->lower;
  const quantile_problem q = {dist, upper, lt};
  double starts[3], u = NAN, g = NAN, dg = NAN, x = NAN;
  double lo = -INFINITY, hi = INFINITY; /* G(lo) < 0 < G(hi) */
  const size_t ns = solver_starts(&q, starts);
  for (size_t i = 0; i < ns; i++) {
    double dgi, xi;
    const double gi = solver_eval(&q, starts[i], &dgi, &xi);
    if (isnan(gi))
      continue;
    if (gi < 0 && starts[i] > lo)
      lo = starts[i];
    if (gi > 0 && starts[i] < hi)
      hi = starts[i];
    if (isnan(g) || fabs(gi) < fabs(g)) {
      u = starts[i], g = gi, dg = dgi, x = xi;
    }
  }
  if (isnan(g))
    return NAN;
  const double g_tol = 4 * DBL_EPSILON * (1 + fabs(lt));
  for (int iter = 0; iter < 200 && g != 0 && !(fabs(g) <= g_tol); iter++) {
    double un = u - g / dg;
    const bool newton = isfinite(un) && un > lo && un < hi;
    if (!newton) {
      if (isfinite(lo) && isfinite(hi))
        un = 0.5 * lo + 0.5 * hi;
      else if (g < 0) /* the root is above u, and the bracket open there */
        un = u + fmax(1, fabs(u));
      else
        un = u - fmax(1, fabs(u));
    }
    const double step = fabs(un - u);
    u = un;
    g = solver_eval(&q, u, &dg, &x);
    if (isnan(g))
      return NAN;
    if (g < 0)
      lo = u;
    else if (g > 0)
      hi = u;
    if ((newton && step <= 1e-9 * fmax(1, fabs(u))) ||
        (isfinite(lo) && isfinite(hi) && hi - lo <= 4 * DBL_EPSILON * fmax(1, fabs(u))))
      break;
  }
  /* the last digits: one Newton step in x, kept if it stays inside x's
   * bracket and the support */
  if (g != 0 && isfinite(g) && isfinite(x)) {
    const double side = upper ? issim_dist_log_sf(dist, x) : issim_dist_log_cdf(dist, x);
    const double dgx = exp(issim_dist_log_pdf1(dist, x) - side); /* dG/dx */
    double unused;
    const double xlo = isfinite(lo) ? solver_x(dist, lo, &unused) : -INFINITY;
    const double xhi = isfinite(hi) ? solver_x(dist, hi, &unused) : INFINITY;
    const double xn = x - g / dgx;
    if (isfinite(xn) && xn >= xlo && xn <= xhi && xn >= dist->lower && xn <= dist->upper)
      x = xn;
  }
  return x;
}

/* log Phi(-|z|), the smaller of the two normal tails at z. */
static double std_normal_log_small_tail(double z)
{
  return std_normal_log_sf(fabs(z));
}

/* log(1 - e^t) for t <= 0 (Maechler's log1mexp). */
static double log1mexp(double t)
{
  return t > -M_LN2 ? log(-expm1(t)) : log1p(-exp(t));
}

/* The quantile of a family with a closed-form inverse at a tail probability
 * given by its log lt <= log(1/2): log P(X > x) = lt (upper) or log P(X <= x)
 * = lt.  Every formula takes lt itself, so that a tail of 1e-320 or 1e-400
 * (a normal score beyond 37.5, where Phi's tail is subnormal or 0 as a
 * double) keeps its digits; -log1p(-e^lt) = -log(1 - P) for the large side. */
static double closed_quantile(const issim_dist *m, bool upper, double lt)
{
  const double *p = m->param;
  const double big = -log1mexp(lt); /* -log of the other side, 1 - e^lt */
  /* log big: big = e^lt (1 + e^lt / 2 + ...), whose log is lt to double
   * precision below e^-40 (where e^lt itself may underflow) */
  const double log_big = lt < -40 ? lt : log(big);
  const double s = upper ? 1 : -1;
  switch (m->kind) {
  case ISSIM_DIST_EXPONENTIAL: /* S = exp(-rate (x - location)) */
    return p[1] + (upper ? -lt : big) / p[0];
  case ISSIM_DIST_LAPLACE: /* the smaller tail is e^(-|x - location| / scale) / 2 */
    return p[0] - s * p[1] * (lt + M_LN2);
  case ISSIM_DIST_LOGISTIC: /* log-odds */
    return p[0] + s * p[1] * (-lt - big);
  case ISSIM_DIST_CAUCHY: /* the smaller tail is atan2(1, |y|) / pi */
    return p[0] + s * p[1] / tan(M_PI * exp(lt));
  case ISSIM_DIST_WEIBULL: /* S = exp(-(x / scale)^shape) */
    return upper ? p[1] * pow(-lt, 1 / p[0]) : p[1] * exp(log_big / p[0]);
  case ISSIM_DIST_PARETO: /* S = (scale / x)^shape */
    return p[1] * exp((upper ? -lt : big) / p[0]);
  case ISSIM_DIST_GUMBEL: /* F = exp(-e^-y): lower, e^-y = -lt; upper, e^-y = big */
    return p[0] - p[1] * (upper ? log_big : log(-lt));
  case ISSIM_DIST_UNIFORM: /* in halves, so that no width overflows */
    return upper ? p[1] - 2 * exp(lt) * (0.5 * p[1] - 0.5 * p[0])
                 : p[0] + 2 * exp(lt) * (0.5 * p[1] - 0.5 * p[0]);
  default:
    return NAN;
  }
}

static double copula_quantile(const issim_dist *m, double z)
{
  const double *p = m->param;
  if (isnan(z))
    return NAN;
  switch (m->kind) {
  case ISSIM_DIST_NORMAL:
    return p[0] + p[1] * z;
  case ISSIM_DIST_LOGNORMAL:
    return exp(p[0] + p[1] * z);
  case ISSIM_DIST_STUDENT_T:
  case ISSIM_DIST_GAMMA:
  case ISSIM_DIST_CHI_SQUARED:
  case ISSIM_DIST_BETA:
    return solve_quantile(m, z > 0, std_normal_log_small_tail(z));
  case ISSIM_DIST_TRUNCATED_NORMAL:
  case ISSIM_DIST_GEV:
  case ISSIM_DIST_TRIANGULAR:
    return issim_dist_tail_quantile(m, z > 0, std_normal_log_small_tail(z));
  default:
    return closed_quantile(m, z > 0, std_normal_log_small_tail(z));
  }
}

/* z = Phi^-1(F(x)), the normal score of x under marginal m.
 *
 * normal and lognormal: exact ((x - mean)/sd, (log x - meanlog)/sdlog).
 * Others: from the smaller of log F(x) and log S(x) (issim_dist_log_cdf /
 * log_sf, accurate in the far tails), through issim_dist_normal_upper_quantile.
 * The error in z is then that of the log tail, d(lq) ~ 1e-14 |lq| at worst,
 * divided by |d log Q / dz| ~ |z|: dz ~ 1e-14 |z| / 2, so ~4e-13 at z = 38
 * (a tail probability of 1e-316), and the copula term z^T (R^-1 - I) z
 * carries ~1e-14 z^2 ||R^-1 - I|| of it.  Points where F(x) is 0 or 1 in
 * floating point (beyond the support, or a beta within eps of 1) get
 * z = -inf or +inf. */
static double normal_score(const issim_dist *m, double x)
{
  const double *p = m->param;
  switch (m->kind) {
  case ISSIM_DIST_NORMAL:
    return (x - p[0]) / p[1];
  case ISSIM_DIST_LOGNORMAL:
    if (!(x > 0))
      return isnan(x) ? x : -INFINITY;
    return (log(x) - p[0]) / p[1];
  default:
    break;
  }
  const double lc = issim_dist_log_cdf(m, x);
  if (isnan(lc))
    return NAN;
  if (lc < -M_LN2)
    return -issim_dist_normal_upper_quantile(lc);
  return issim_dist_normal_upper_quantile(issim_dist_log_sf(m, x));
}

double issim_copula_quantile(const issim_dist *marginal, double z)
{
  return copula_quantile(marginal, z);
}

double issim_copula_normal_score(const issim_dist *marginal, double x)
{
  return normal_score(marginal, x);
}

void issim_copula_from_scores(const issim_model *m, size_t n, double *x)
{
  const size_t d = m->d;
  for (size_t i = 0; i < n; i++)
    for (size_t j = 0; j < d; j++)
      x[i * d + j] = copula_quantile(m->dists[j], x[i * d + j]);
}

/* ---- the density ---- */

void issim_copula_log_pdf(const issim_model *m, size_t n, const double *x, double *lp,
                          double *scratch)
{
  const size_t d = m->d;
  issim_model_sum_component_log_pdfs(m, n, x, lp, scratch);
  if (m->diagonal) /* R = I: the copula density is 1 */
    return;
  double *z = scratch;
  for (size_t i = 0; i < n; i++) {
    if (!isfinite(lp[i])) /* 0 (or NaN, or a pole) from the marginals already */
      continue;
    const double *row = x + i * d;
    double zz = 0, bad = 0;
    for (size_t j = 0; j < d && bad == 0; j++) {
      z[j] = normal_score(m->dists[j], row[j]);
      if (!isfinite(z[j]))
        bad = z[j];
      zz += z[j] * z[j];
    }
    /* F_j(x_j) rounds to 0 or 1: a null set at the support's edges, given
     * density 0 (see normal_score) */
    if (bad != 0) {
      lp[i] = isnan(bad) ? NAN : -INFINITY;
      continue;
    }
    const double q = issim_linalg_mahalanobis(d, m->chol, z, NULL, z); /* z^T R^-1 z */
    const double log_c = m->log_norm - 0.5 * (q - zz);
    lp[i] = isfinite(log_c) ? lp[i] + log_c : -INFINITY;
  }
}

/* ---- moments ---- */

/* Hermite coefficients of g(z) = F^-1(Phi(z)) for the copula's covariance:
 * with orthonormal Hermite polynomials h_k (E h_j(Z) h_k(Z) = delta_jk),
 * g = sum_k c_k h_k, and for (Z_i, Z_j) standard bivariate normal with
 * correlation rho, Mehler's formula gives
 *   Cov(g_i(Z_i), g_j(Z_j)) = sum_{k>=1} c_ik c_jk rho^k.
 * c_k = E[g(Z) h_k(Z)] by the trapezoid rule on [-38, 38] with step 1/32
 * (spectrally accurate for the smooth, Gaussian-damped integrands; the
 * Laplace's kink at its median costs it some digits, ~1e-8).  The series is
 * cut at HERMITE_TERMS: its tail is at most |rho|^(K+1) sqrt(T_i T_j), T_i =
 * Var_i - sum c_ik^2, negligible unless |rho| is near 1 and a marginal has a
 * heavy tail (a t with df near 2). */
enum { HERMITE_TERMS = 120 };
static const double HERMITE_STEP = 1.0 / 32, HERMITE_LIMIT = 38;

static void hermite_coefficients(const issim_dist *m, double *c)
{
  double sqrt_k[HERMITE_TERMS + 1];
  for (int k = 0; k <= HERMITE_TERMS; k++) {
    c[k] = 0;
    sqrt_k[k] = sqrt((double) k);
  }
  const int half = (int) (HERMITE_LIMIT / HERMITE_STEP);
  for (int i = -half; i <= half; i++) {
    const double z = i * HERMITE_STEP;
    const double w = HERMITE_STEP * exp(-0.5 * z * z - 0.5 * LOG_2PI) * copula_quantile(m, z);
    if (!isfinite(w) || w == 0)
      continue;
    double h0 = 1, h1 = z;
    c[0] += w;
    c[1] += w * z;
    for (int k = 2; k <= HERMITE_TERMS; k++) {
      const double h2 = (z * h1 - sqrt_k[k - 1] * h0) / sqrt_k[k];
      c[k] += w * h2;
      h0 = h1;
      h1 = h2;
    }
  }
}

int issim_copula_moments(const issim_model *m, double *mean, double *cov)
{
  const size_t d = m->d;
  for (size_t j = 0; j < d; j++) {
    mean[j] = issim_dist_mean(m->dists[j]);
    if (!isfinite(mean[j]))
      return ISSIM_EINVAL;
  }
  if (cov == NULL)
    return ISSIM_OK;
  for (size_t j = 0; j < d; j++) {
    const double v = issim_dist_variance(m->dists[j]);
    if (!isfinite(v))
      return ISSIM_EINVAL;
    cov[j * d + j] = v;
  }
  double *c = m->diagonal ? NULL : malloc(d * (HERMITE_TERMS + 1) * sizeof *c);
  if (!m->diagonal && c == NULL)
    return ISSIM_ENOMEM;
  for (size_t j = 0; !m->diagonal && j < d; j++)
    hermite_coefficients(m->dists[j], c + j * (HERMITE_TERMS + 1));
  for (size_t i = 0; i < d; i++)
    for (size_t j = 0; j < i; j++) {
      const double rho = m->matrix[i * d + j];
      double s = 0;
      if (rho != 0) {
        const double *ci = c + i * (HERMITE_TERMS + 1), *cj = c + j * (HERMITE_TERMS + 1);
        double power = 1;
        for (int k = 1; k <= HERMITE_TERMS; k++) {
          power *= rho;
          s += ci[k] * cj[k] * power;
        }
      }
      cov[i * d + j] = cov[j * d + i] = s;
    }
  free(c);
  return ISSIM_OK;
}


int issim_model_correlation(const issim_model *m, double *r)
{
  if (m->kind != ISSIM_MODEL_COPULA)
    return ISSIM_EINVAL;
  memcpy(r, m->matrix, m->d * m->d * sizeof *r);
  return ISSIM_OK;
}
