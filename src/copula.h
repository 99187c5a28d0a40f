/* copula.h: the Gaussian copula's marginal transforms.
 *
 * A Gaussian copula model (model.h: issim_model_alloc_copula) joins
 * univariate marginals F_j through a correlation R: x_j = F_j^-1(Phi(z_j))
 * with z ~ N(0, R).  These are its two transforms, for one marginal, both
 * computed in log space so that they keep their digits in the far tails:
 *
 *   issim_copula_quantile      z -> F^-1(Phi(z)), the marginal's value at
 *                              normal score z.  normal and lognormal exactly;
 *                              families with closed-form inverses through
 *                              GSL's Pinv/Qinv of the smaller tail; student-t,
 *                              gamma, chi-squared and beta by a safeguarded
 *                              Newton solver on issim's own log tails (GSL's
 *                              iterative inverses can abort), ~1e-14 relative.
 *   issim_copula_normal_score  x -> Phi^-1(F(x)), from the smaller of
 *                              log F(x) and log S(x); -inf or +inf where F(x)
 *                              is 0 or 1 in floating point.
 *
 * NaN in, NaN out.  Thread-safe: no state, no allocation, GSL's error
 * handler never called.
 */
#ifndef ISSIM_COPULA_H
#define ISSIM_COPULA_H

#include "dist.h"

#ifdef __cplusplus
extern "C" {
#endif

double issim_copula_quantile(const issim_dist *marginal, double z);
double issim_copula_normal_score(const issim_dist *marginal, double x);

#ifdef __cplusplus
}
#endif

#endif
