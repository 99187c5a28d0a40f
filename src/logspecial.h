/* logspecial.h (not installed; dist.c's, tested on its own): the incomplete
 * gamma and beta functions and the student-t tail in log space, for the far
 * tails where GSL's probabilities underflow (dist.c).  Each returns NAN where its series
 * or continued fraction does not converge within its cap of terms, and may
 * return a positive value for parameters so extreme that it overflowed:
 * callers then keep GSL's value. */
#ifndef ISSIM_LOGSPECIAL_H
#define ISSIM_LOGSPECIAL_H

#include <math.h>

/* log(1 + z^2), without overflowing z^2 for huge |z|. */
static inline double log1p_square(double z)
{
  const double az = fabs(z);
  return az > 1e150 ? 2 * log(az) : log1p(az * az);
}

/* log Q(a, z) = log Gamma(a, z) / Gamma(a), the upper regularised gamma. */
double issim_logspecial_gamma_q(double a, double z);
/* log P(a, z), the lower one; log_z = log z (kept where z underflows). */
double issim_logspecial_gamma_p(double a, double z, double log_z);
/* log I_x(a, b), the regularised incomplete beta, with y = 1 - x and the
 * logs of both given (kept where they cancel). */
double issim_logspecial_beta_inc(double a, double b, double x, double y,
                                 double log_x, double log_y);
/* log P(T > t) for T a standard student-t with nu degrees of freedom. */
double issim_logspecial_student_t_sf(double nu, double t);

#endif
