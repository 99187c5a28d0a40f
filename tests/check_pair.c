/* check_pair.c: tests of pair.c, a proposal drawn with its target: the
 * same points and log-densities as the models' own calls, and the linear
 * loss drawn with them.  Scratch is always allocated at exactly
 * issim_pair_scratch(pair, n) doubles, so that valgrind sees any
 * overrun. */
#include "model_helpers.h"
#include "pair.h"

enum { NBATCH = 37 }; /* not a whole number of the kernels' 16-point groups */

enum { PAIR_CASES = 10 };

static bool pair_case_shares(int c)
{
  return c == 0 || c == 3 || c == 5 || c == 6 || c == 7 || c == 8;
}

static bool pair_case_q_is_t(int c)
{
  return c == 3 || c == 6 || c == 8 || c == 9;
}

static void pair_case(int c, issim_model **p, issim_model **q)
{
  const size_t d = 10;
  gsl_rng *r = seeded(91);
  double mean[10], shift[10], cov[100], cov2[100], diag[100] = {0};
  for (size_t j = 0; j < d; j++) {
    mean[j] = gsl_ran_gaussian(r, 1);
    shift[j] = mean[j] + gsl_ran_gaussian(r, 2);
    diag[j * d + j] = 1 + j;
  }
  random_spd(r, d, cov);
  random_spd(r, d, cov2);
  gsl_rng_free(r);
  issim_error err;
  const bool t_target = c == 3 || c == 6 || c == 7 || c == 9;
  *p = t_target ? make_t(d, 4, mean, cov) : make_normal(d, mean, cov);
  switch (c) {
  case 0: case 3: *q = issim_model_alloc_moved(*p, shift, 1, &err); break;
  case 1: case 9: *q = issim_model_alloc_moved(*p, shift, 1.5, &err); break;
  case 2: *q = make_normal(d, shift, cov2); break;
  case 4: *q = make_normal(d, shift, diag); break;
  case 7: *q = make_normal(d, shift, cov); break;
  case 8: *q = make_t(d, 3, shift, cov); break;
  default: *q = *p; break;
  }
  ck_assert_msg(*q != NULL, "%s", err.message);
}

static void pair_case_free(issim_model *p, issim_model *q)
{
  if (q != p)
    issim_model_free(q);
  issim_model_free(p);
}

/* issim_pair_draw against issim_model_sample and issim_model_log_pdf
 * of each model: the same points (the same stream), and the same
 * log-densities to rounding; for plain Monte Carlo every weight exactly 1. */
START_TEST(test_pair_equals_separate_calls)
{
  const size_t d = 10, n = NBATCH;
  issim_model *p, *q;
  pair_case(_i, &p, &q);
  issim_pair *pair = issim_pair_alloc(p, q);
  ck_assert_ptr_nonnull(pair);
  ck_assert_int_eq(issim_pair_shares_factor(pair), pair_case_shares(_i));
  const size_t sc = issim_pair_scratch(pair, n);
  ck_assert_uint_ge(sc, issim_model_scratch(p, n));
  ck_assert_uint_ge(sc, issim_model_scratch(q, n));
  double *scratch = malloc(sc * sizeof *scratch), *x = malloc(n * d * sizeof *x);
  double lp[NBATCH], lq[NBATCH], lp1[NBATCH], lq1[NBATCH];
  gsl_rng *r = seeded(7);
  issim_pair_draw(pair, r, n, x, lp, lq, scratch);
  gsl_rng_free(r);
  double *x1 = sample(q, 7, n);
  ck_assert(memcmp(x, x1, n * d * sizeof *x) == 0);
  log_pdf(p, n, x, lp1);
  log_pdf(q, n, x, lq1);
  double mu[10], lpq[10 * 10];
  ck_assert_int_eq(issim_model_elliptical_form(q, mu, lpq, NULL), ISSIM_OK);
  for (size_t i = 0; i < n; i++) {
    /* log q from |f z|^2 differs from the solve's only by the rounding of
     * x = mu + f L z and of the solve: a few eps of the terms */
    assert_near(lp[i], lp1[i], 1e-12);
    assert_near(lq[i], lq1[i], 1e-12);
    if (!pair_case_q_is_t(_i))
      assert_near(lq[i], gsl_mvn_log_pdf(d, x + i * d, mu, lpq), 1e-12);
    if (q == p) /* every weight exactly 1 */
      ck_assert(lp[i] == lq[i]);
  }
  issim_pair_free(pair);
  pair_case_free(p, q);
  free(scratch), free(x), free(x1);
}
END_TEST

/* issim_pair_draw_linear, for every pair above and a linear loss (_i
 * even) or a sum (_i odd), in batches of 1, 8 (one whole group of the
 * kernel) and NBATCH points: log p and log q are issim_pair_draw's to
 * the last bit, and g is the loss of its points to a few ulps of the terms,
 * sum_j |w_j| (|mu_j| + f sum_k |L_jk z_k|), z and f redrawn here from the
 * same stream; both are within (d + 2) eps of them of the exact loss (long
 * double).  A diagonal q is refused, and stays with the separate calls. */
START_TEST(test_pair_linear_loss)
{
  const size_t d = 10, ns[] = {1, 8, NBATCH};
  const int c = _i / 2;
  issim_model *p, *q;
  pair_case(c, &p, &q);
  issim_error err;
  double w[10], mu[10], l[100], df, z[10];
  gsl_rng *r = seeded(97 + _i);
  for (size_t j = 0; j < d; j++)
    w[j] = gsl_ran_gaussian(r, 1);
  gsl_rng_free(r);
  issim_loss *loss = _i % 2 ? issim_loss_alloc(ISSIM_LOSS_SUM, d, &err)
                            : issim_loss_alloc_linear(d, w, &err);
  ck_assert_ptr_nonnull(loss);
  ck_assert(issim_loss_linear_form(loss, w));
  issim_pair *pair = issim_pair_alloc(p, q), *plain = issim_pair_alloc(p, q);
  ck_assert_ptr_nonnull(pair);
  ck_assert_ptr_nonnull(plain);
  const bool dense = c != 4;
  ck_assert_int_eq(issim_pair_set_linear_loss(pair, w), dense);
  ck_assert_int_eq(issim_pair_shares_factor(pair), pair_case_shares(c));
  ck_assert_int_eq(issim_model_elliptical_form(q, mu, l, &df), ISSIM_OK);
  for (size_t b = 0; dense && b < sizeof ns / sizeof ns[0]; b++) {
    const size_t n = ns[b], sc = issim_pair_scratch(pair, n);
    double *scratch = malloc(sc * sizeof *scratch), *x = malloc(n * d * sizeof *x);
    double g[NBATCH], lp[NBATCH], lq[NBATCH], g1[NBATCH], lp1[NBATCH], lq1[NBATCH];
    r = seeded(7 + b);
    issim_pair_draw_linear(pair, r, n, x, g, lp, lq, scratch);
    gsl_rng_free(r);
    r = seeded(7 + b);
    issim_pair_draw(plain, r, n, x, lp1, lq1, scratch);
    gsl_rng_free(r);
    issim_loss_eval(loss, n, x, g1);
    r = seeded(7 + b);
    for (size_t i = 0; i < n; i++) {
      ck_assert(lp[i] == lp1[i]);
      ck_assert(lq[i] == lq1[i]);
      for (size_t j = 0; j < d; j++)
        z[j] = gsl_ran_gaussian_ziggurat(r, 1.0);
      const double f = isinf(df) ? 1 : sqrt(df / gsl_ran_chisq(r, df));
      long double exact = 0;
      double terms = 0;
      for (size_t j = 0; j < d; j++) {
        long double lz = 0;
        double alz = 0;
        for (size_t k = 0; k <= j; k++) {
          lz += (long double) l[j * d + k] * z[k];
          alz += fabs(l[j * d + k] * z[k]);
        }
        exact += (long double) w[j] * (mu[j] + (long double) f * lz);
        terms += fabs(w[j]) * (fabs(mu[j]) + f * alz);
      }
      const double ulp = DBL_EPSILON * terms;
      ck_assert_msg(fabs(g[i] - g1[i]) <= 4 * ulp, "point %zu: g %.17g, of x %.17g (%.3g ulps)",
                    i, g[i], g1[i], fabs(g[i] - g1[i]) / ulp);
      assert_close(g[i], (double) exact, (d + 2) * ulp);
      assert_close(g1[i], (double) exact, (d + 2) * ulp);
    }
    gsl_rng_free(r);
    free(scratch), free(x);
  }
  issim_pair_free(pair);
  issim_pair_free(plain);
  issim_loss_free(loss);
  pair_case_free(p, q);
}
END_TEST

/* A t q of df 0.02 draws about one point in a thousand with f L z beyond 1e154,
 * where |f z|^2 overflows: their log q, and the log p of a t p sharing L,
 * are finite (the density is tiny, not 0: no NaN weight from -inf - -inf)
 * and agree with issim_model_log_pdf at the points formed, and with the
 * closed form e log|L^-1 (x - mu)|^2 to rounding. */
START_TEST(test_pair_far_draws)
{
  const size_t d = 3, n = 8192;
  const double mean[3] = {0.5, -1, 2}, shift[3] = {1, 1, 1},
               cov[9] = {1, 0.5, 0, 0.5, 2, 0.3, 0, 0.3, 1.5};
  issim_model *p = make_t(d, 0.02, mean, cov), *q;
  issim_error err;
  q = issim_model_alloc_moved(p, shift, 1, &err);
  ck_assert_ptr_nonnull(q);
  issim_pair *pair = issim_pair_alloc(p, q);
  ck_assert(issim_pair_shares_factor(pair));
  double *scratch = malloc(issim_pair_scratch(pair, n) * sizeof *scratch);
  double *x = malloc(n * d * sizeof *x), *lp = malloc(n * sizeof *lp),
         *lq = malloc(n * sizeof *lq), *lp1 = malloc(n * sizeof *lp1),
         *lq1 = malloc(n * sizeof *lq1);
  gsl_rng *r = seeded(5);
  issim_pair_draw(pair, r, n, x, lp, lq, scratch);
  gsl_rng_free(r);
  log_pdf(p, n, x, lp1);
  log_pdf(q, n, x, lq1);
  size_t far = 0;
  for (size_t i = 0; i < n; i++) {
    const double *xi = x + i * d;
    ck_assert_msg(isfinite(lp[i]) && isfinite(lq[i]), "draw %zu: %g %g at %g %g %g", i, lp[i], lq[i], xi[0], xi[1], xi[2]);
    assert_near(lp[i], lp1[i], 1e-12);
    assert_near(lq[i], lq1[i], 1e-12);
    if (fabs(xi[0]) + fabs(xi[1]) + fabs(xi[2]) < 1e160)
      continue;
    far++;
    /* far out, log q = c - (df + d)/2 log(|L^-1 x|^2 / df): |L^-1 x|^2 of
     * x / s by the covariance's inverse (adjugate over determinant) */
    const double s = fabs(xi[0]) + fabs(xi[1]) + fabs(xi[2]);
    const double y[3] = {xi[0] / s, xi[1] / s, xi[2] / s};
    const double a = cov[0], b = cov[1], c = cov[2], e = cov[4], f = cov[5], g = cov[8];
    const double det = a * (e * g - f * f) - b * (b * g - f * c) + c * (b * f - e * c);
    const double inv[9] = {e * g - f * f, c * f - b * g, b * f - c * e,
                           c * f - b * g, a * g - c * c, b * c - a * f,
                           b * f - c * e, b * c - a * f, a * e - b * b};
    double m = 0;
    for (size_t j = 0; j < 3; j++)
      for (size_t k = 0; k < 3; k++)
        m += y[j] * inv[j * 3 + k] * y[k] / det;
    const double df = 0.02, h = 0.5 * (df + 3);
    const double c0 = lgamma(h) - lgamma(0.5 * df) - 1.5 * log(df * M_PI) - 0.5 * log(det);
    assert_near(lq[i], c0 - h * (2 * log(s) + log(m) - log(df)), 1e-12);
  }
  ck_assert_msg(far >= 3, "only %zu far draws", far);
  issim_pair_free(pair);
  issim_model_free(q), issim_model_free(p);
  free(scratch), free(x), free(lp), free(lq), free(lp1), free(lq1);
}
END_TEST


static Suite *pair_suite(void)
{
  Suite *s = suite_create("pair");
  TCase *tc = tcase_create("pair");
  tcase_set_timeout(tc, 60);
  tcase_add_loop_test(tc, test_pair_equals_separate_calls, 0, PAIR_CASES);
  tcase_add_loop_test(tc, test_pair_linear_loss, 0, 2 * PAIR_CASES);
  tcase_add_test(tc, test_pair_far_draws);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  return run_suite(pair_suite());
}
