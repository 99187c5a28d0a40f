/* Tests of src/linalg.c: Cholesky factors against a hand-computed one and
 * against GSL's, triangular solves against their products, Mahalanobis
 * distances against the direct formula (x - mu)^T A^-1 (x - mu). */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_linalg.h>
#include <gsl/gsl_matrix.h>

#include "check_main.h"
#include "issim.h"

/* A = L L^T with small integers throughout: every factor is exact. */
static const double A3[9] = {4, 12, -16, 12, 37, -43, -16, -43, 98};
static const double L3[9] = {2, 0, 0, 6, 1, 0, -8, 5, 3};

/* A well-conditioned 5 x 5 SPD matrix: B B^T + 5 I for a fixed B. */
static void spd5(double *a)
{
  static const double b[25] = {0.3, -1.2, 0.7, 2.1, -0.4, 1.5, 0.2, -0.9, 0.6, 1.1,
                               -0.8, 0.5, 1.9, -1.3, 0.05, 0.4, 1.7, -0.2, 0.9, -1.6,
                               2.2, -0.6, 0.3, -0.7, 1.2};
  for (size_t i = 0; i < 5; i++)
    for (size_t j = 0; j < 5; j++) {
      double s = i == j ? 5 : 0;
      for (size_t k = 0; k < 5; k++)
        s += b[i * 5 + k] * b[j * 5 + k];
      a[i * 5 + j] = s;
    }
}

START_TEST(test_cholesky_exact)
{
  double l[9];
  memset(l, 0x7f, sizeof l); /* junk in the upper triangle must be cleared */
  ck_assert_int_eq(issim_linalg_cholesky(3, A3, l, NULL), ISSIM_OK);
  for (size_t i = 0; i < 9; i++)
    ck_assert_double_eq(l[i], L3[i]);
  memset(l, 0x7f, sizeof l);
  ck_assert_int_eq(issim_linalg_cholesky_recurrence(3, A3, l, NULL), ISSIM_OK);
  for (size_t i = 0; i < 9; i++)
    ck_assert_double_eq(l[i], L3[i]);
}
END_TEST

START_TEST(test_cholesky_is_gsls)
{
  double a[25], l[25], r[25];
  spd5(a);
  gsl_matrix *g = gsl_matrix_alloc(5, 5);
  memcpy(g->data, a, sizeof a);
  ck_assert_int_eq(gsl_linalg_cholesky_decomp1(g), GSL_SUCCESS);
  ck_assert_int_eq(issim_linalg_cholesky(5, a, l, NULL), ISSIM_OK);
  ck_assert_int_eq(issim_linalg_cholesky_recurrence(5, a, r, NULL), ISSIM_OK);
  for (size_t i = 0; i < 5; i++)
    for (size_t j = 0; j < 5; j++) {
      const double want = j <= i ? gsl_matrix_get(g, i, j) : 0;
      ck_assert_double_eq(l[i * 5 + j], want); /* GSL's digits exactly */
      ck_assert_double_eq_tol(r[i * 5 + j], want, 1e-14 * fabs(a[i * 5 + i]));
    }
  /* L L^T gives a back */
  for (size_t i = 0; i < 5; i++)
    for (size_t j = 0; j < 5; j++) {
      double s = 0;
      for (size_t k = 0; k < 5; k++)
        s += l[i * 5 + k] * l[j * 5 + k];
      ck_assert_double_eq_tol(s, a[i * 5 + j], 1e-13 * a[i * 5 + i]);
    }
  gsl_matrix_free(g);
}
END_TEST

START_TEST(test_cholesky_not_positive_definite)
{
  double l[4];
  issim_error err = {0};
  const double indefinite[4] = {1, 2, 2, 1};
  ck_assert_int_eq(issim_linalg_cholesky(2, indefinite, l, &err), ISSIM_EINVAL);
  ck_assert_int_eq(err.code, ISSIM_EINVAL);
  ck_assert(strstr(err.message, "positive definite") != NULL);
  ck_assert_int_eq(issim_linalg_cholesky_recurrence(2, indefinite, l, NULL), ISSIM_EINVAL);
  const double singular[4] = {1, 1, 1, 1};
  ck_assert_int_eq(issim_linalg_cholesky(2, singular, l, NULL), ISSIM_EINVAL);
  ck_assert_int_eq(issim_linalg_cholesky_recurrence(2, singular, l, NULL), ISSIM_EINVAL);
  /* a pivot of 2 eps: positive (the recurrence takes it), but under GSL's
   * guard's margin of 4 d eps a_jj (numerically singular) */
  const double nearly[4] = {1, 1, 1, 1 + 2 * 2.220446049250313e-16};
  ck_assert_int_eq(issim_linalg_cholesky(2, nearly, l, NULL), ISSIM_EINVAL);
  ck_assert_int_eq(issim_linalg_cholesky_recurrence(2, nearly, l, NULL), ISSIM_OK);
  ck_assert_double_eq(l[3], sqrt(2 * 2.220446049250313e-16));
}
END_TEST

START_TEST(test_forward_solve)
{
  const double b[3] = {2, 7, 1}; /* L x = b: x = (1, 1, 4/3) by hand */
  double x[3], y[3];
  issim_linalg_forward_solve(3, L3, b, x);
  ck_assert_double_eq(x[0], 1);
  ck_assert_double_eq(x[1], 1);
  ck_assert_double_eq(x[2], 4.0 / 3);
  memcpy(y, b, sizeof y); /* in place: the same digits */
  issim_linalg_forward_solve(3, L3, y, y);
  for (size_t i = 0; i < 3; i++)
    ck_assert_double_eq(y[i], x[i]);
}
END_TEST

START_TEST(test_lower_solve_and_inverse)
{
  double a[25], l[25], m[25], x[25], li[25];
  spd5(a);
  ck_assert_int_eq(issim_linalg_cholesky(5, a, l, NULL), ISSIM_OK);
  ck_assert_int_eq(issim_linalg_cholesky_recurrence(5, a, m, NULL), ISSIM_OK); /* a lower B */
  for (size_t i = 0; i < 5; i++) /* B's own, scaled, so that B is not L */
    for (size_t j = 0; j <= i; j++)
      m[i * 5 + j] *= 0.5 + (double)(i + j) / 7;
  memset(x, 0x7f, sizeof x);
  issim_linalg_lower_solve(5, l, m, x);
  issim_linalg_lower_inverse(5, l, li);
  for (size_t i = 0; i < 5; i++)
    for (size_t j = 0; j < 5; j++) {
      if (j > i) {
        ck_assert_double_eq(x[i * 5 + j], 0);
        ck_assert_double_eq(li[i * 5 + j], 0);
      }
      double lx = 0, lli = 0;
      for (size_t k = 0; k < 5; k++) {
        lx += l[i * 5 + k] * x[k * 5 + j];
        lli += l[i * 5 + k] * li[k * 5 + j];
      }
      ck_assert_double_eq_tol(lx, j <= i ? m[i * 5 + j] : 0, 1e-13);
      ck_assert_double_eq_tol(lli, i == j ? 1 : 0, 1e-14);
    }
  /* column j of X is the forward solve of column j of B */
  for (size_t j = 0; j < 5; j++) {
    double col[5], sol[5];
    for (size_t i = 0; i < 5; i++)
      col[i] = j <= i ? m[i * 5 + j] : 0;
    issim_linalg_forward_solve(5, l, col, sol);
    for (size_t i = j; i < 5; i++)
      ck_assert_double_eq_tol(sol[i], x[i * 5 + j], 1e-15 * (1 + fabs(sol[i])));
  }
}
END_TEST

START_TEST(test_transpose_times_and_log_det)
{
  const double w[3] = {1, -2, 0.5};
  double v[3];
  issim_linalg_lower_transpose_times(3, L3, w, v);
  ck_assert_double_eq(v[0], 2 * 1 + 6 * -2 + -8 * 0.5);
  ck_assert_double_eq(v[1], 1 * -2 + 5 * 0.5);
  ck_assert_double_eq(v[2], 3 * 0.5);
  ck_assert_double_eq_tol(issim_linalg_lower_log_det(3, L3), log(6.0), 1e-15);
}
END_TEST

START_TEST(test_mahalanobis)
{
  double a[25], l[25], inv[25], scratch[5];
  spd5(a);
  ck_assert_int_eq(issim_linalg_cholesky(5, a, l, NULL), ISSIM_OK);
  /* A^-1 by GSL, for the direct formula */
  gsl_matrix *g = gsl_matrix_alloc(5, 5);
  memcpy(g->data, a, sizeof a);
  gsl_linalg_cholesky_decomp1(g);
  gsl_linalg_cholesky_invert(g);
  memcpy(inv, g->data, sizeof inv);
  gsl_matrix_free(g);
  const double mu[5] = {0.1, -0.2, 0.3, 1, -1};
  double x[15];
  for (size_t i = 0; i < 15; i++)
    x[i] = sin(1.0 + (double)i) * 3;
  double rows[3];
  issim_linalg_mahalanobis_rows(3, 5, l, x, mu, rows, scratch);
  for (size_t p = 0; p < 3; p++) {
    const double *xp = x + p * 5;
    double direct = 0;
    for (size_t i = 0; i < 5; i++)
      for (size_t j = 0; j < 5; j++)
        direct += (xp[i] - mu[i]) * inv[i * 5 + j] * (xp[j] - mu[j]);
    const double q = issim_linalg_mahalanobis(5, l, xp, mu, scratch);
    ck_assert_double_eq_tol(q, direct, 1e-13 * direct);
    ck_assert_double_eq(rows[p], q);
    /* mean NULL is a zero mean, and scratch may be the point itself */
    double c[5];
    for (size_t i = 0; i < 5; i++)
      c[i] = xp[i] - mu[i];
    const double q0 = issim_linalg_mahalanobis(5, l, c, NULL, scratch);
    ck_assert_double_eq(q0, q);
    ck_assert_double_eq(issim_linalg_mahalanobis(5, l, c, NULL, c), q);
  }
}
END_TEST

static Suite *linalg_suite(void)
{
  Suite *s = suite_create("linalg");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, test_cholesky_exact);
  tcase_add_test(tc, test_cholesky_is_gsls);
  tcase_add_test(tc, test_cholesky_not_positive_definite);
  tcase_add_test(tc, test_forward_solve);
  tcase_add_test(tc, test_lower_solve_and_inverse);
  tcase_add_test(tc, test_transpose_times_and_log_det);
  tcase_add_test(tc, test_mahalanobis);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  return run_suite(linalg_suite());
}
