/* loss_helpers.h: what the tests of loss.c and expr.c share: a fixed-seed
 * generator of their own (no GSL needed), points, a relative comparison that
 * names the point, and an expression loss that must compile.  Included by
 * tests/check_loss.c and tests/check_expr.c only. */
#ifndef ISSIM_LOSS_HELPERS_H
#define ISSIM_LOSS_HELPERS_H

#include <check.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "check_util.h"
#include "loss.h"

static uint64_t rng_state;

static inline void rng_seed(uint64_t s)
{
  rng_state = s;
}

/* splitmix64, then 53 bits into [0, 1) */
static inline double uniform(void)
{
  uint64_t z = (rng_state += 0x9E3779B97F4A7C15u);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
  z ^= z >> 31;
  return (double)(z >> 11) * 0x1p-53;
}

/* A point component of varied sign and size: uniform in [-5, 5] times 10^k,
 * k in [-3, 3]. */
static inline double component(void)
{
  double u = 10.0 * uniform() - 5.0;
  return u * pow(10.0, floor(7.0 * uniform()) - 3.0);
}

static inline double *random_points(size_t n, size_t d)
{
  double *x = malloc(n * d * sizeof *x);
  ck_assert_ptr_nonnull(x);
  for (size_t i = 0; i < n * d; i++)
    x[i] = component();
  return x;
}

static inline void assert_rel_at(double got, double want, double rel, const char *what, size_t i)
{
  if (isnan(want)) {
    ck_assert_msg(isnan(got), "%s, point %zu: got %.17g, want NaN", what, i, got);
    return;
  }
  if (isinf(want)) {
    ck_assert_msg(got == want, "%s, point %zu: got %.17g, want %g", what, i, got, want);
    return;
  }
  double tol = rel * fmax(fabs(want), DBL_MIN);
  ck_assert_msg(fabs(got - want) <= tol, "%s, point %zu: got %.17g, want %.17g (rel %g)", what,
                i, got, want, fabs(got - want) / fabs(want));
}

static inline issim_loss *expr(size_t d, const char *formula)
{
  issim_error err = {0};
  issim_loss *g = issim_loss_alloc_expression(d, formula, &err);
  ck_assert_msg(g != NULL, "'%s': %s", formula, err.message);
  return g;
}

/* g at one point */
static inline double eval1(issim_loss *g, const double *x)
{
  double out;
  issim_loss_eval(g, 1, x, &out);
  return out;
}


#endif
