/* Tests of src/logspecial.c: the incomplete gamma and beta functions and
 * the student-t tail in log space, against GSL where GSL's values are normal
 * numbers, and finite and monotone far beyond where GSL's underflow. */
#include <check.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_sf_gamma.h>
#include <math.h>

#include "check_main.h"
#include "logspecial.h"

START_TEST(test_against_gsl)
{
  /* where dist.c uses them: the far tails (here where GSL's values are
   * still normal numbers, between 1e-300 and 1e-10) */
  const double a[] = {0.5, 2, 30, 1e4};
  const double far[] = {4, 8, 16, 32, 64, 128}, near[] = {1e-6, 1e-4, 1e-3, 1e-2, 0.1, 0.3};
  size_t checked = 0;
  for (size_t i = 0; i < 4; i++)
    for (size_t k = 0; k < 6; k++) {
      double z = a[i] * far[k], q = gsl_sf_gamma_inc_Q(a[i], z);
      if (q > 1e-300 && q < 1e-10) {
        ck_assert_msg(fabs(issim_logspecial_gamma_q(a[i], z) - log(q)) <= 1e-10 * fmax(1, -log(q)),
                      "Q(%g, %g)", a[i], z);
        checked++;
      }
      z = a[i] * near[k];
      double p = gsl_sf_gamma_inc_P(a[i], z);
      if (p > 1e-300 && p < 1e-10) {
        ck_assert_msg(fabs(issim_logspecial_gamma_p(a[i], z, log(z)) - log(p)) <=
                          1e-10 * fmax(1, -log(p)), "P(%g, %g)", a[i], z);
        checked++;
      }
    }
  ck_assert_uint_ge(checked, 12);
  const double nu[] = {1, 3, 30};
  for (size_t i = 0; i < 3; i++)
    for (double t = 1e3; t < 1e9; t *= 7) {
      double q = gsl_cdf_tdist_Q(t, nu[i]);
      ck_assert_msg(fabs(issim_logspecial_student_t_sf(nu[i], t) - log(q)) <= 1e-9 * fmax(1, -log(q)),
                    "t(%g) > %g", nu[i], t);
    }
  /* I_x(a, b) against GSL's beta CDF */
  double x = 0.2, y = 0.8;
  double want = log(gsl_cdf_beta_P(x, 3, 5));
  ck_assert(fabs(issim_logspecial_beta_inc(3, 5, x, y, log(x), log(y)) - want) <= 1e-10);
}
END_TEST

START_TEST(test_far_tails)
{
  /* far below the smallest double: finite, and falling */
  double prev = 0;
  for (double t = 1e160; t < 1e300; t *= 1e20) {
    double l = issim_logspecial_student_t_sf(3, t);
    ck_assert(isfinite(l) && l < prev);
    /* a t(3) tail falls like t^-3: log P ~ -3 log t + const */
    ck_assert(fabs(l + 3 * log(t)) < 5);
    prev = l;
  }
  double lq = issim_logspecial_gamma_q(2, 2000); /* Q(2, z) = (1 + z) e^-z */
  ck_assert(fabs(lq - (log1p(2000.0) - 2000)) <= 1e-10 * 2000);
}
END_TEST

static Suite *logspecial_suite(void)
{
  Suite *s = suite_create("logspecial");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, test_against_gsl);
  tcase_add_test(tc, test_far_tails);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  return run_suite(logspecial_suite());
}
