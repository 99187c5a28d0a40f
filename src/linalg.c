/* linalg.c: dense linear algebra on small row-major matrices (see linalg.h).
 *
 * Positive definiteness.  gsl_linalg_cholesky_decomp1 reports a matrix that
 * is not positive definite through GSL_ERROR, and GSL's default error handler
 * aborts the program.  The issim command line turns the handler off, but the
 * library must not crash a program that did not, and it must not change the
 * handler (that is global state, shared by every thread).  So the matrix is
 * first factorised here, by the same Cholesky recurrence, checking that every
 * pivot is positive with a margin of 4 d eps a_jj: the two factorisations
 * sum the same products in different orders, so their pivots differ by at
 * most about d eps a_jj (the rounding-error analysis of Cholesky, Higham,
 * Accuracy and Stability of Numerical Algorithms, ch. 10), and a
 * pivot above the margin here is positive in GSL's too.  Only then is GSL
 * called.  The check costs O(d^3 / 3) once, nothing next to the sampling, and
 * a matrix that fails it is numerically singular anyway.
 */
#include "linalg.h"

#include <float.h>
#include <math.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_matrix.h>

/* With margin > 0: the pivot s of a row whose diagonal is a_ii is above
 * margin a_ii and finite; with margin 0: s > 0 alone (the recurrence
 * variant's test, kept as it was: an infinite pivot passes). */
static int pivot_ok(double s, double a_ii, double margin)
{
  if (margin > 0)
    return s > margin * a_ii && isfinite(s);
  return s > 0;
}

/* The recurrence, row by row: l_ij = (a_ij - sum_{k<j} l_ik l_jk) / l_jj,
 * l_ii = sqrt(a_ii - sum_{k<i} l_ik^2), each sum in increasing k.  Every
 * element is the same whatever the order the elements are visited in (row by
 * row or column by column): only the order within a sum matters.  0 at the
 * first pivot that fails pivot_ok. */
static int recurrence(size_t d, const double *a, double *l, double margin)
{
  for (size_t i = 0; i < d; i++)
    for (size_t j = 0; j <= i; j++) {
      double s = a[i * d + j];
      for (size_t k = 0; k < j; k++)
        s -= l[i * d + k] * l[j * d + k];
      if (i == j) {
        if (!pivot_ok(s, a[i * d + i], margin))
          return 0;
        l[i * d + i] = sqrt(s);
      } else {
        l[i * d + j] = s / l[j * d + j];
      }
      l[j * d + i] = i == j ? l[i * d + i] : 0;
    }
  return 1;
}

int issim_linalg_cholesky(size_t d, const double *a, double *l, issim_error *err)
{
  /* Our own pass (see the top of the file), then GSL's factorisation, which
   * cannot fail on this matrix. */
  if (!recurrence(d, a, l, 4.0 * (double) d * DBL_EPSILON))
    return issim_error_set(err, ISSIM_EINVAL, "the matrix is not positive definite");
  memcpy(l, a, d * d * sizeof *l);
  gsl_matrix_view view = gsl_matrix_view_array(l, d, d);
  if (gsl_linalg_cholesky_decomp1(&view.matrix) != GSL_SUCCESS)
    return issim_error_set(err, ISSIM_EINVAL, "the matrix is not positive definite");
  for (size_t i = 0; i < d; i++)
    for (size_t j = i + 1; j < d; j++)
      l[i * d + j] = 0; /* GSL leaves the original upper triangle there */
  return ISSIM_OK;
}

int issim_linalg_cholesky_recurrence(size_t d, const double *a, double *l, issim_error *err)
{
  if (!recurrence(d, a, l, 0))
    return issim_error_set(err, ISSIM_EINVAL, "the matrix is not positive definite");
  return ISSIM_OK;
}

void issim_linalg_forward_solve(size_t d, const double *l, const double *b, double *x)
{
  for (size_t i = 0; i < d; i++) {
    double s = b[i]; /* read before x[i] is written: x may be b */
    for (size_t k = 0; k < i; k++)
      s -= l[i * d + k] * x[k];
    x[i] = s / l[i * d + i];
  }
}

void issim_linalg_back_solve_transposed(size_t d, const double *l, const double *b, double *x)
{
  for (size_t i = d; i-- > 0;) {
    double s = b[i]; /* read before x[i] is written: x may be b */
    for (size_t k = i + 1; k < d; k++)
      s -= l[k * d + i] * x[k];
    x[i] = s / l[i * d + i];
  }
}

/* X = L^-1 B, B lower triangular (b NULL: the identity).  X_kj = 0 for
 * k < j, so each sum starts at k = j. */
static void solve_lower(size_t d, const double *l, const double *b, double *x)
{
  for (size_t i = 0; i < d; i++) {
    for (size_t j = 0; j <= i; j++) {
      double s = b ? b[i * d + j] : i == j ? 1 : 0;
      for (size_t k = j; k < i; k++)
        s -= l[i * d + k] * x[k * d + j];
      x[i * d + j] = s / l[i * d + i];
    }
    for (size_t j = i + 1; j < d; j++)
      x[i * d + j] = 0;
  }
}

void issim_linalg_lower_solve(size_t d, const double *l, const double *b, double *x)
{
  solve_lower(d, l, b, x);
}

void issim_linalg_lower_inverse(size_t d, const double *l, double *x)
{
  solve_lower(d, l, NULL, x);
}

void issim_linalg_lower_transpose_times(size_t d, const double *l, const double *w, double *v)
{
  for (size_t k = 0; k < d; k++) {
    double s = 0;
    for (size_t j = k; j < d; j++)
      s += l[j * d + k] * w[j];
    v[k] = s;
  }
}

void issim_linalg_lower_times(size_t d, const double *l, const double *u, double *x)
{
  for (size_t i = d; i-- > 0;) { /* from the last row up: row i reads u_0..u_i only */
    double s = 0;
    for (size_t j = 0; j <= i; j++)
      s += l[i * d + j] * u[j];
    x[i] = s;
  }
}

double issim_linalg_lower_log_det(size_t d, const double *l)
{
  double s = 0;
  for (size_t j = 0; j < d; j++)
    s += log(l[j * d + j]);
  return s;
}

double issim_linalg_mahalanobis(size_t d, const double *l, const double *x, const double *mean,
                                double *scratch)
{
  if (mean != NULL)
    for (size_t j = 0; j < d; j++)
      scratch[j] = x[j] - mean[j];
  else if (scratch != x)
    memcpy(scratch, x, d * sizeof *scratch);
  /* issim_linalg_forward_solve in place, the sum of squares formed as it
   * goes (in the same order as a second pass would: one pass less, for the
   * copula's density, which calls this once a point) */
  double q = 0;
  for (size_t i = 0; i < d; i++) {
    double s = scratch[i];
    for (size_t k = 0; k < i; k++)
      s -= l[i * d + k] * scratch[k];
    scratch[i] = s / l[i * d + i];
    q += scratch[i] * scratch[i];
  }
  return q;
}

void issim_linalg_mahalanobis_rows(size_t m, size_t d, const double *l, const double *x,
                                   const double *mean, double *out, double *scratch)
{
  for (size_t i = 0; i < m; i++)
    out[i] = issim_linalg_mahalanobis(d, l, x + i * d, mean, scratch);
}
