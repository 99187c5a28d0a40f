/* reference.c: the yardstick, a well-written plain C loop for
 * P(Z > 5) with the shifted normal proposal N(5, 1), and nothing else.
 *
 * Normals are drawn into a batch of 4096 with gsl_rng_taus2 and
 * gsl_ran_gaussian_ziggurat, then a separate branch-free loop, which the
 * compiler vectorises (libmvec's exp), forms w = h exp(-5 x + 12.5) and sums
 * w and w^2: the estimate and its standard error, no diagnostic at all.  It
 * measures what this machine gives a bare loop over GSL's generator at this
 * moment, so that issim's figures can be read against it (bench_engine runs
 * the two in turn). */
#define _POSIX_C_SOURCE 199309L /* clock_gettime, CLOCK_MONOTONIC under -std=c11 */
#include "reference.h"
#include "simd.h" /* the same vector clones as issim's own loops */

#include <math.h>
#include <time.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#pragma omp declare simd notinbranch
double exp(double);

#define REFERENCE_BATCH 4096

static double seconds_now(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* exps in a loop of their own: with the comparison in the same loop GCC makes
 * the exp conditional, and the loop does not vectorise */
VECTOR_CLONES
static void weigh(const double *restrict x, double *restrict e, double *s1, double *s2)
{
  const double mu = 5;
  double a = 0, a2 = 0;
#pragma omp simd
  for (int j = 0; j < REFERENCE_BATCH; j++)
    e[j] = exp(-mu * x[j] + 0.5 * mu * mu);
#pragma omp simd reduction(+ : a, a2)
  for (int j = 0; j < REFERENCE_BATCH; j++) {
    double w = (x[j] > 5.0 ? 1.0 : 0.0) * e[j];
    a += w;
    a2 += w * w;
  }
  *s1 += a;
  *s2 += a2;
}

double issim_reference_rate(uint64_t draws, unsigned long seed, double *estimate)
{
  static double x[REFERENCE_BATCH], e[REFERENCE_BATCH];
  gsl_rng *r = gsl_rng_alloc(gsl_rng_taus2);
  if (r == NULL)
    return NAN;
  gsl_rng_set(r, seed);
  uint64_t batches = (draws + REFERENCE_BATCH - 1) / REFERENCE_BATCH;
  double s1 = 0, s2 = 0, t0 = seconds_now();
  for (uint64_t b = 0; b < batches; b++) {
    for (int j = 0; j < REFERENCE_BATCH; j++)
      x[j] = 5.0 + gsl_ran_gaussian_ziggurat(r, 1.0);
    weigh(x, e, &s1, &s2);
  }
  double seconds = seconds_now() - t0;
  gsl_rng_free(r);
  if (estimate)
    *estimate = s1 / ((double)batches * REFERENCE_BATCH);
  return (double)batches * REFERENCE_BATCH / seconds;
}
