/* linalg.h: dense linear algebra on small row-major d x d matrices.
 *
 * One set of helpers for the Cholesky factor L (lower triangular, L L^T = A)
 * that the models, the cross-entropy updates, the divergences, the tail
 * checks and the design points all work with.  Every matrix is row-major,
 * element (i, j) at [i * d + j]; every triangular result has its other
 * triangle zeroed.  Every sum runs in increasing index, one term at a time, so
 * that a result is the same to the last digit wherever it is computed.  No
 * allocation, no global state.
 */
#ifndef ISSIM_LINALG_H
#define ISSIM_LINALG_H

#include <stddef.h>

#include "error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The lower Cholesky factor of the symmetric a (d x d) into l, by GSL's
 * gsl_linalg_cholesky_decomp1, guarded so that GSL's error handler is never
 * called: ISSIM_EINVAL (and l undefined) when a is not positive definite
 * with a margin of 4 d eps on every pivot relative to a_jj (numerically
 * singular).  a and l must not overlap. */
int issim_linalg_cholesky(size_t d, const double *a, double *l, issim_error *err);

/* The lower Cholesky factor of a by the textbook recurrence, row by row,
 * without GSL; only a's lower triangle is read.  ISSIM_EINVAL when a pivot is
 * not positive.  Its digits may differ from issim_linalg_cholesky's (GSL
 * sums in another order): the cross-entropy updates (adapt.c) use this one. */
int issim_linalg_cholesky_recurrence(size_t d, const double *a, double *l, issim_error *err);

/* x = L^-1 b by forward substitution; x may be b. */
void issim_linalg_forward_solve(size_t d, const double *l, const double *b, double *x);

/* x = L^-T b by back substitution (L^T is upper triangular); x may be b. */
void issim_linalg_back_solve_transposed(size_t d, const double *l, const double *b, double *x);

/* X = L^-1 B for a lower triangular B (d x d), itself lower triangular; x
 * must not overlap l or b. */
void issim_linalg_lower_solve(size_t d, const double *l, const double *b, double *x);

/* X = L^-1 (lower triangular); x must not overlap l. */
void issim_linalg_lower_inverse(size_t d, const double *l, double *x);

/* v = L^T w (v_k = sum_{j >= k} L_jk w_j); v must not overlap w. */
void issim_linalg_lower_transpose_times(size_t d, const double *l, const double *w, double *v);

/* x = L u (x_i = sum_{j <= i} L_ij u_j, summed in increasing j); x may be u. */
void issim_linalg_lower_times(size_t d, const double *l, const double *u, double *x);

/* log |det L| = sum_j log L_jj (half the log-determinant of L L^T). */
double issim_linalg_lower_log_det(size_t d, const double *l);

/* The squared Mahalanobis distance |L^-1 (x - mean)|^2 of the point x (mean
 * NULL: 0), through scratch (d doubles; may be x). */
double issim_linalg_mahalanobis(size_t d, const double *l, const double *x, const double *mean,
                                double *scratch);

/* out[i] = |L^-1 (x_i - mean)|^2 for the m points of x (m x d, row-major),
 * through scratch (d doubles). */
void issim_linalg_mahalanobis_rows(size_t m, size_t d, const double *l, const double *x,
                                   const double *mean, double *out, double *scratch);

#ifdef __cplusplus
}
#endif

#endif
