/* logspecial.c: the incomplete gamma and beta functions, and the student-t
 * tail, in log space (logspecial.h).
 *
 * GSL's P and Q are probabilities, so below ~1e-308 they lose digits among
 * the subnormals and then underflow to 0.  These are the series and
 * continued fractions GSL also uses, with the power-and-exponential
 * prefactor kept as a log, written through Stirling's ratio so that they
 * keep their digits when the shape parameters are large (a log z - z -
 * lgamma(a) would cancel to a tiny fraction of its terms there). */
#include "logspecial.h"

#ifndef M_LN2
#define M_LN2 0.69314718055994530942
#endif

#include <float.h>
#include <math.h>
#include <stdbool.h>

#include <gsl/gsl_sf_gamma.h>
#include <gsl/gsl_sf_log.h>

/* Cap on the terms of the series and continued fractions.  Far in the tails
 * they converge in tens of terms; the slowest, gamma's lower series just
 * past FAR_TAIL, takes ~0.7 sqrt(shape): 7.5e4 terms at a shape of 1e10,
 * 7e5 at 1e12.  Past the cap (shapes above ~2e12) GSL's value is kept. */
enum { FAR_TAIL_MAX_TERMS = 1000000 };
static const double LOG_SQRT_2PI = 0.91893853320467274178; /* log(2 pi)/2 */

/* log(1 + u) - u for |u| < 1/2, without the cancellation of the two: with
 * r = u/(2 + u), log(1 + u) = 2 atanh r = 2 (r + r^3/3 + r^5/5 + ...) and
 * u - 2r = r u, so log(1 + u) - u = r (2 (r^2/3 + r^4/5 + ...) - u). */
static double log1pmx_small(double u)
{
  const double r = u / (2 + u), r2 = r * r;
  double power = r2, sum = 0;
  for (int k = 1; k < 60 && power / (2 * k + 1) > 0.5 * DBL_EPSILON * sum;
       k++, power *= r2)
    sum += power / (2 * k + 1);
  return r * (2 * sum - u);
}

/* a log(w/w0) - excess, given excess = (a/w0) (w - w0) and log w: the part
 * of a log w left once the line through w0 is taken out.  Near w0 it is
 * a (log(1 + u) - u) with u = excess/a = (w - w0)/w0, which is small where
 * a log w and the line are not (the callers form excess with one rounding,
 * not from a rounded w0).  Away from w0, log(w/w0) is more accurate than
 * log w - log w0 where both logs are large (w0 = a = 1e8); log w is the
 * fallback where w is subnormal or the ratio is not a normal number. */
static double log_excess(double a, double excess, double w0, double w,
                         double log_w)
{
  const double u = excess / a, ratio = w / w0;
  if (fabs(u) < 0.5)
    return a * log1pmx_small(u);
  const bool normal = w >= DBL_MIN && ratio >= DBL_MIN && ratio <= DBL_MAX;
  return a * (normal ? log(ratio) : log_w - log(w0)) - excess;
}

/* log Gamma*(a), Stirling's ratio Gamma(a) / (sqrt(2 pi) a^(a-1/2) e^-a)
 * (DLMF 5.11.3), which tends to 1 as a grows. */
static double log_gammastar(double a)
{
  gsl_sf_result r;
  gsl_sf_gammastar_e(a, &r);
  return log(r.val);
}

/* log(z^a e^-z / Gamma(a)), given log z.  With lgamma(a) = (a - 1/2) log a
 * - a + log sqrt(2 pi) + log Gamma*(a), it is
 * a log(z/a) - (z - a) + log(a)/2 - log sqrt(2 pi) - log Gamma*(a). */
static double log_gamma_prefix(double a, double z, double log_z)
{
  return log_excess(a, z - a, a, z, log_z) + 0.5 * log(a) - LOG_SQRT_2PI -
         log_gammastar(a);
}

/* Replaces a continued fraction's zero denominator by a tiny one (Lentz). */
static double lentz_nonzero(double v)
{
  return fabs(v) < DBL_MIN / DBL_EPSILON ? DBL_MIN / DBL_EPSILON : v;
}

/* z^-a e^z Gamma(a, z) by the even part of DLMF 8.9.2,
 * 1/(z+1-a- 1(1-a)/(z+3-a- 2(2-a)/(z+5-a- ...))), modified Lentz; for
 * z > a, where it converges fast.  NAN if it does not converge. */
static double gamma_upper_cf(double a, double z)
{
  double b = z + 1 - a, c = 1 / (DBL_MIN / DBL_EPSILON), d = 1 / b, h = d;
  for (int i = 1; i <= FAR_TAIL_MAX_TERMS; i++) {
    const double an = -i * (i - a);
    b += 2;
    d = 1 / lentz_nonzero(an * d + b);
    c = lentz_nonzero(b + an / c);
    const double step = d * c;
    h *= step;
    if (fabs(step - 1) < 2 * DBL_EPSILON)
      return h;
  }
  return NAN;
}

/* sum_{k>=0} z^k / ((a+1)...(a+k)), the series of DLMF 8.7.1 written as
 * P(a, z) = z^a e^-z / Gamma(a+1) times it; for z < a, where its terms
 * fall geometrically.  NAN if it does not converge. */
static double gamma_lower_series(double a, double z)
{
  double term = 1, sum = 1;
  for (int k = 1; k <= FAR_TAIL_MAX_TERMS; k++) {
    term *= z / (a + k);
    sum += term;
    if (term < 0.5 * DBL_EPSILON * sum)
      return sum;
  }
  return NAN;
}

/* log Q(a, z) = log Gamma(a, z)/Gamma(a): DLMF 8.9.2 as above. */
double issim_logspecial_gamma_q(double a, double z)
{
  if (!(z > a))
    return NAN;
  return log_gamma_prefix(a, z, log(z)) + log(gamma_upper_cf(a, z));
}

/* log P(a, z) = log gamma(a, z)/Gamma(a): DLMF 8.7.1 as above, with
 * Gamma(a+1) = a Gamma(a). */
double issim_logspecial_gamma_p(double a, double z, double log_z)
{
  if (!(z < a))
    return NAN;
  return log_gamma_prefix(a, z, log_z) - log(a) +
         log(gamma_lower_series(a, z));
}

/* log(x^a y^b / B(a, b)) for y = 1 - x, given log x and log y.  With
 * Stirling's ratio in log B(a, b) and x0 = a/(a+b), y0 = b/(a+b), it is
 * a log(x/x0) + b log(y/y0) + log(ab/(a+b))/2 - log sqrt(2 pi)
 * - log Gamma*(a) - log Gamma*(b) + log Gamma*(a+b), and the two lines taken
 * out by log_excess, (a+b)(x - x0) and (a+b)(y - y0), sum to 0: so they are
 * formed once, from the smaller of x and y, the more accurate of the two
 * (1 - x rounds for small x). */
static double log_beta_prefix(double a, double b, double x, double y,
                              double log_x, double log_y)
{
  const double s = a + b, lo = fmin(a, b), hi = fmax(a, b);
  const double excess_x = x <= y ? fma(s, x, -a) : -fma(s, y, -b);
  return log_excess(a, excess_x, a / s, x, log_x) +
         log_excess(b, -excess_x, b / s, y, log_y) +
         0.5 * (log(lo) - log1p(lo / hi)) - LOG_SQRT_2PI - log_gammastar(a) -
         log_gammastar(b) + log_gammastar(s);
}

/* 1/(1+ d1/(1+ d2/(1+ ...))) of DLMF 8.17.22, with d_2m = m(b-m)x /
 * ((a+2m-1)(a+2m)) and d_2m+1 = -(a+m)(a+b+m)x / ((a+2m)(a+2m+1)), modified
 * Lentz; for x < (a+1)/(a+b+2), where it converges fast.  NAN if it does
 * not converge. */
static double beta_cf(double a, double b, double x)
{
  double c = 1, d = 1 / lentz_nonzero(1 - (a + b) * x / (a + 1)), h = d;
  for (int m = 1; m <= FAR_TAIL_MAX_TERMS; m++) {
    const double even = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m));
    d = 1 / lentz_nonzero(1 + even * d);
    c = lentz_nonzero(1 + even / c);
    h *= d * c;
    const double odd =
        -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1));
    d = 1 / lentz_nonzero(1 + odd * d);
    c = lentz_nonzero(1 + odd / c);
    const double step = d * c;
    h *= step;
    if (fabs(step - 1) < 2 * DBL_EPSILON)
      return h;
  }
  return NAN;
}

/* log I_x(a, b) = log(x^a y^b / (a B(a, b))) + log(CF), DLMF 8.17.22, for
 * y = 1 - x, given log x and log y; NAN where the fraction converges slowly
 * (the upper tail is I_y(b, a), DLMF 8.17.4). */
double issim_logspecial_beta_inc(double a, double b, double x, double y,
                           double log_x, double log_y)
{
  if (!(x < (a + 1) / (a + b + 2)))
    return NAN;
  return log_beta_prefix(a, b, x, y, log_x, log_y) - log(a) +
         log(beta_cf(a, b, x));
}

/* log P(T > t) for student-t with nu degrees of freedom and t > 0:
 * P(T > t) = I_x(nu/2, 1/2) / 2 with x = nu/(nu + t^2) (substituting
 * x = nu/(nu + s^2) in the t density's tail integral gives DLMF 8.17.1-2),
 * x and y = 1 - x written in r = t/sqrt(nu) so that t^2 may overflow. */
double issim_logspecial_student_t_sf(double nu, double t)
{
  if (!(t > 0))
    return NAN;
  const double r = t / sqrt(nu), x = 1 / (1 + r * r);
  const double log_x = -log1p_square(r);
  const double y = r >= 1 ? 1 / (1 + 1 / (r * r)) : r * r * x;
  const double log_y = r >= 1 ? -log1p(1 / (r * r)) : 2 * log(r) + log_x;
  return issim_logspecial_beta_inc(0.5 * nu, 0.5, x, y, log_x, log_y) - M_LN2;
}

