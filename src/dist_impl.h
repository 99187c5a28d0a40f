/* dist_impl.h (not installed): what dist.c and dist_engineering.c, the two
 * files of the dist module, share.  dist_engineering.c holds the families
 * design codes use (truncated-normal, gev, triangular, and the lognormal
 * given by the mean and the standard deviation or coefficient of variation
 * of X); dist.c drives them through these functions. */
#ifndef ISSIM_DIST_IMPL_H
#define ISSIM_DIST_IMPL_H

#include "dist.h"

#include <stdbool.h>

/* log P(Z > z) for the standard normal, accurate in the far upper tail. */
double issim_dist_std_normal_log_sf(double z);
/* log(1 - e^t) for t <= 0. */
double issim_dist_log1mexp(double t);

/* The family rules once every key is read (value[] in the family's key
 * order, given[] which were given): the lognormal's mean with sd or cov
 * turned into meanlog and sdlog, truncated-normal's lower < upper with a
 * representable mass between them, triangular's lower <= mode <= upper. */
int issim_dist_eng_check(issim_dist_kind kind, double value[], const bool given[],
                         issim_error *err);
/* Support and constants c[] of truncated-normal, gev, triangular. */
void issim_dist_eng_precompute(issim_dist *d);
/* One draw of truncated-normal, gev or triangular. */
double issim_dist_eng_draw(const issim_dist *d, gsl_rng *r);
/* log p(x) for x in the support (its ends included). */
double issim_dist_eng_log_pdf(const issim_dist *d, double x);
/* log P(X > x) and log P(X <= x) for x strictly inside the support. */
void issim_dist_eng_log_tails(const issim_dist *d, double x, double *log_sf, double *log_cdf);
/* Mean, variance and entropy (nats). */
double issim_dist_eng_mean(const issim_dist *d);
double issim_dist_eng_variance(const issim_dist *d);
double issim_dist_eng_entropy(const issim_dist *d);

#endif
