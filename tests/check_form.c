/* Tests of FORM/SORM (src/form.c) against closed forms and exact
 * probabilities: the formulas by hand, the bivariate normal tail by an
 * independent route (Plackett's identity), limit states whose FORM is exact
 * (linear), whose curvatures and exact P are known (a paraboloid, spheres of
 * a shifted normal: noncentral chi-squared), and problems with several
 * design points (x1 x2 > 9; Der Kiureghian and Dakessian's two-point
 * parabola; a saddle the search also finds), whose exact P is a 1-D
 * integral computed here by quadrature, and two benchmark problems with
 * published reference probabilities (RP22, RP24). */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_integration.h>
#include <gsl/gsl_math.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_sf_erf.h>

#include "check_main.h"
#include "check_util.h"
#include "design.h"
#include "form.h"


static void analyse(const issim_model *m, const issim_event *ev, issim_form_result *r)
{
  issim_error err;
  ck_assert_msg(issim_form_analyse(m, ev, r, &err) == ISSIM_OK, "%s", err.message);
}

static void near_rel(double got, double want, double tol, const char *what)
{
  ck_assert_msg(fabs(got - want) <= tol * fabs(want), "%s: got %.17g, want %.17g (rel %.3g > %.3g)",
                what, got, want, fabs(got - want) / fabs(want), tol);
}

static void near_abs(double got, double want, double tol, const char *what)
{
  ck_assert_msg(fabs(got - want) <= tol, "%s: got %.17g, want %.17g (abs %.3g > %.3g)", what, got,
                want, fabs(got - want), tol);
}

/* Q(b) by GSL, for moderate b */
static double q(double b)
{
  return gsl_cdf_ugaussian_Q(b);
}

/* log Q(b) for large b from the asymptotic series (terms to 1/b^10: its
 * error is below 945 / b^12 relative, 1e-16 at b = 30) */
static double log_q_asymptotic(double b)
{
  double b2 = b * b, s = 1 - 1 / b2 + 3 / (b2 * b2) - 15 / (b2 * b2 * b2) +
                        105 / (b2 * b2 * b2 * b2) - 945 / (b2 * b2 * b2 * b2 * b2);
  return -0.5 * b2 - 0.5 * log(2 * M_PI) - log(b) + log(s);
}

START_TEST(test_log_normal_tail)
{
  for (double b = -6; b <= 20; b += 0.25) /* below 0, log Q = log1p(-Q(-b)) */
    near_rel(issim_form_log_normal_tail(b), b < 0 ? log1p(-q(-b)) : log(q(b)), 1e-13,
             "log Q against gsl_cdf_ugaussian_Q");
  /* far below 0: log Q = log1p(-Q(-b)) -> 0, without an underflow error
   * (the tests run with GSL's aborting error handler) */
  for (double b = -30; b >= -1000; b *= 2)
    ck_assert_msg(issim_form_log_normal_tail(b) <= 0 && issim_form_log_normal_tail(b) > -1e-190,
                  "log Q(%g) = %g", b, issim_form_log_normal_tail(b));
  /* exp of a log near -447 carries 447 eps of relative error */
  near_rel(issim_form_log_normal_tail(-30), -exp(log_q_asymptotic(30)), 5e-13, "log Q(-30)");
  for (double b = 30; b <= 60; b += 3.5) /* beyond 38, Q underflows: the log does not */
    near_rel(issim_form_log_normal_tail(b), log_q_asymptotic(b), 1e-14, "log Q far out");
}
END_TEST

/* P(Z1 > a, Z2 > b; rho) by Plackett's identity: d/drho = phi2(a, b; rho),
 * from Q(a) Q(b) at rho = 0, integrated by 64-point Gauss-Legendre. */
static double bvn_plackett(double a, double b, double rho)
{
  gsl_integration_glfixed_table *t = gsl_integration_glfixed_table_alloc(64);
  double s = 0;
  for (size_t i = 0; i < 64; i++) {
    double r, w;
    gsl_integration_glfixed_point(0, rho, i, &r, &w, t);
    double om = 1 - r * r;
    s += w * exp(-(a * a - 2 * r * a * b + b * b) / (2 * om)) / (2 * M_PI * sqrt(om));
  }
  gsl_integration_glfixed_table_free(t);
  return q(a) * q(b) + s;
}

/* The same by the conditional integral int_a^(a+20) phi(x) Q((b - rho x) /
 * sqrt(1 - rho^2)) dx with a fixed rule (200 panels of 100-point
 * Gauss-Legendre): for strongly negative rho, where Plackett's sum cancels
 * (P is many orders below Q(a) Q(b)); good while P > 1e-300. */
static double bvn_direct(double a, double b, double rho)
{
  gsl_integration_glfixed_table *t = gsl_integration_glfixed_table_alloc(100);
  double s = sqrt(1 - rho * rho), tot = 0;
  for (int k = 0; k < 200; k++)
    for (size_t i = 0; i < 100; i++) {
      double x, w;
      gsl_integration_glfixed_point(a + 0.1 * k, a + 0.1 * (k + 1), i, &x, &w, t);
      tot += w * gsl_ran_ugaussian_pdf(x) * q((b - rho * x) / s);
    }
  gsl_integration_glfixed_table_free(t);
  return tot;
}

START_TEST(test_bivariate_normal)
{
  /* strongly negative correlation: P far below the product */
  const double neg[][3] = {{2, 2.5, -0.8}, {5, 4, -0.95}, {1, 1, -0.95}, {-1, 3, -0.6}};
  for (size_t i = 0; i < sizeof neg / sizeof *neg; i++)
    near_rel(exp(issim_form_log_bvn_tail(neg[i][0], neg[i][1], neg[i][2])),
             bvn_direct(neg[i][0], neg[i][1], neg[i][2]), 1e-11, "negative rho, direct");
  /* rho = 0: the product, far out too */
  near_rel(issim_form_log_bvn_tail(1, 2, 0), log(q(1) * q(2)), 1e-11, "rho 0");
  near_rel(issim_form_log_bvn_tail(37, 30, 0),
           issim_form_log_normal_tail(37) + issim_form_log_normal_tail(30), 1e-12, "rho 0 far");
  /* at the origin: 1/4 + asin(rho) / (2 pi) */
  const double rhos[] = {-0.95, -0.5, 0.3, 0.8, 0.99, 0.999999};
  for (size_t i = 0; i < sizeof rhos / sizeof *rhos; i++)
    near_rel(exp(issim_form_log_bvn_tail(0, 0, rhos[i])), 0.25 + asin(rhos[i]) / (2 * M_PI), 1e-10,
             "orthant at 0");
  /* Plackett's identity, an independent route */
  const double ab[][2] = {{1, 2}, {-1, 0.5}, {2.5, 2.5}, {3, -1}, {0.2, 4}};
  const double rs[] = {-0.7, -0.2, 0.4, 0.9};
  for (size_t i = 0; i < sizeof ab / sizeof *ab; i++)
    for (size_t k = 0; k < sizeof rs / sizeof *rs; k++) {
      double want = bvn_plackett(ab[i][0], ab[i][1], rs[k]);
      near_rel(exp(issim_form_log_bvn_tail(ab[i][0], ab[i][1], rs[k])), want, 1e-9, "Plackett");
      near_rel(exp(issim_form_log_bvn_tail(ab[i][1], ab[i][0], rs[k])), want, 1e-9, "swapped");
    }
  /* the limits, and continuity towards them */
  near_rel(issim_form_log_bvn_tail(2, 3, 1), issim_form_log_normal_tail(3), 1e-14, "rho 1");
  /* rho = -1: Z2 = -Z1, P(-1 < Z1 < 0.5) */
  near_rel(exp(issim_form_log_bvn_tail(-1, -0.5, -1)), q(-0.5) - q(1), 1e-12, "rho -1");
  ck_assert(issim_form_log_bvn_tail(1, 0.5, -1) == -INFINITY);
  near_rel(issim_form_log_bvn_tail(2, 3, 1 - 1e-9), issim_form_log_normal_tail(3), 1e-4,
           "rho near 1");
  /* far tail, strongly correlated: the ratio to the univariate tail is sane */
  double l = issim_form_log_bvn_tail(30, 30, 0.5);
  ck_assert(isfinite(l) && l < issim_form_log_normal_tail(30));
  /* asymptotically (a = b = h, 0 < rho < 1), the leading term
   * P ~ (1 + rho)^(3/2) / (2 pi h^2 sqrt(1 - rho)) exp(-h^2 / (1 + rho)),
   * whose relative error is O(1/h^2) */
  near_abs(l, 1.5 * log(1.5) - log(2 * M_PI * 900 * sqrt(0.5)) - 900 / 1.5, 0.02,
           "far bivariate tail");
}
END_TEST

START_TEST(test_sorm_formulas)
{
  double lb, lh, lt;
  char why[200];
  const double k0[3] = {0, 0, 0};
  issim_form_sorm(3, 3, k0, &lb, &lh, &lt, why, sizeof why);
  near_rel(lb, log(q(3)), 1e-14, "flat Breitung");
  near_rel(lh, log(q(3)), 1e-14, "flat HR");
  near_rel(lt, log(q(3)), 1e-12, "flat Tvedt");
  ck_assert_str_eq(why, "");
  /* by hand, beta = 2.5, kappa = (0.1, -0.2, 0.3) */
  const double b = 2.5, k[3] = {0.1, -0.2, 0.3};
  double qq = q(b), phi = gsl_ran_ugaussian_pdf(b), r = phi / qq;
  double f1 = 1, fh = 1, f2 = 1;
  double complex_re, f3r = 1, f3i = 0;
  for (int i = 0; i < 3; i++) {
    f1 /= sqrt(1 + b * k[i]);
    fh /= sqrt(1 + r * k[i]);
    f2 /= sqrt(1 + (b + 1) * k[i]);
    /* (1 + b k + i k)^(-1/2) by polar form */
    double re = 1 + b * k[i], im = k[i], mod = pow(re * re + im * im, -0.25), arg = -0.5 * atan2(im, re);
    double nr = f3r * mod * cos(arg) - f3i * mod * sin(arg);
    double ni = f3r * mod * sin(arg) + f3i * mod * cos(arg);
    f3r = nr, f3i = ni;
  }
  complex_re = f3r;
  double tvedt = qq * f1 + (b * qq - phi) * (f1 - f2) + (b + 1) * (b * qq - phi) * (f1 - complex_re);
  issim_form_sorm(b, 3, k, &lb, &lh, &lt, why, sizeof why);
  near_rel(exp(lb), qq * f1, 1e-13, "Breitung by hand");
  near_rel(exp(lh), qq * fh, 1e-13, "Hohenbichler-Rackwitz by hand");
  near_rel(exp(lt), tvedt, 1e-11, "Tvedt by hand");
  /* refused: 1 + beta kappa <= 0 */
  const double kneg[2] = {0.1, -0.5};
  issim_form_sorm(3, 2, kneg, &lb, &lh, &lt, why, sizeof why);
  ck_assert(isnan(lb) && isnan(lt));
  ck_assert_msg(strstr(why, "1 + beta kappa <= 0") != NULL, "%s", why);
  /* curvatures that are not numbers: refused with their own reason */
  const double knan[2] = {0.1, NAN};
  issim_form_sorm(3, 2, knan, &lb, &lh, &lt, why, sizeof why);
  ck_assert(isnan(lb) && isnan(lh) && isnan(lt));
  ck_assert_msg(strstr(why, "could not be computed") != NULL, "%s", why);
  /* beta < 0: the complement, distance 2, curvature -0.1 */
  const double k1[1] = {0.1};
  issim_form_sorm(-2, 1, k1, &lb, NULL, NULL, why, sizeof why);
  near_rel(exp(lb), 1 - q(2) / sqrt(1 - 2 * 0.1), 1e-14, "complement");
  /* far out, in log space */
  const double kf[2] = {0.01, 0.02};
  issim_form_sorm(37, 2, kf, &lb, &lh, &lt, why, sizeof why);
  near_rel(lb, log_q_asymptotic(37) - 0.5 * log(1.37 * 1.74), 1e-13, "Breitung at 37");
  ck_assert(isfinite(lh) && isfinite(lt));
  /* HR and Tvedt tend to Breitung as beta grows (r ~ beta) */
  ck_assert(fabs(lh - lb) < 1e-3 && fabs(lt - lb) < 1e-3);
}
END_TEST

/* The linear limit state: FORM is exact, SORM = FORM, curvatures 0. */
START_TEST(test_linear)
{
  const double mu[2] = {1, -1}, cov[4] = {1, 0.5, 0.5, 2}, w[2] = {1, 2};
  issim_model *p = issim_model_alloc_normal(2, mu, cov, NULL);
  issim_loss *lin = issim_loss_alloc_linear(2, w, NULL);
  /* w.mu = -1, w^T S w = 11: beta = (t + 1) / sqrt(11) */
  const double ts[] = {10, -1 + 37 * sqrt(11.0)};
  for (int i = 0; i < 2; i++) {
    issim_event ev = issim_event_init(lin, ts[i], ISSIM_ABOVE);
    issim_form_result r;
    analyse(p, &ev, &r);
    double beta = (ts[i] + 1) / sqrt(11.0);
    ck_assert_uint_eq(r.n, 1);
    ck_assert(r.closed_form && r.normal_space);
    near_rel(r.points[0].beta, beta, 1e-14, "beta");
    double want = i == 0 ? log(q(beta)) : log_q_asymptotic(beta);
    near_rel(r.points[0].log_p_form, want, 1e-12, "FORM = exact");
    ck_assert(r.points[0].log_p_breitung == r.points[0].log_p_form);
    ck_assert(r.points[0].log_p_hr == r.points[0].log_p_form);
    near_rel(r.points[0].log_p_tvedt, r.points[0].log_p_form, 1e-15, "Tvedt");
    ck_assert(r.points[0].kappa[0] == 0);
    near_abs(r.points[0].importance[0] + r.points[0].importance[1], 1, 1e-14, "importance sum");
    near_abs(r.points[0].share, 1, 0, "share");
    near_rel(r.log_ditlevsen_lower, want, 1e-12, "Ditlevsen lower, one point");
    near_rel(r.log_ditlevsen_upper, want, 1e-12, "Ditlevsen upper, one point");
    ck_assert_uint_eq(r.design_evals + r.hessian_evals + r.starts, 0);
    issim_form_result_free(&r);
  }
  issim_loss_free(lin);
  issim_model_free(p);
}
END_TEST

/* The same linear limit state as an expression: the search and the finite
 * differences, whose curvatures are 0 to rounding. */
START_TEST(test_linear_by_search)
{
  const double mu[2] = {1, -1}, cov[4] = {1, 0.5, 0.5, 2};
  issim_model *p = issim_model_alloc_normal(2, mu, cov, NULL);
  issim_loss *g = expression_loss(2, "x1 + 2*x2");
  issim_event ev = issim_event_init(g, 10, ISSIM_ABOVE);
  issim_form_result r;
  analyse(p, &ev, &r);
  double beta = 11 / sqrt(11.0);
  ck_assert_uint_eq(r.n, 1);
  ck_assert(!r.closed_form);
  near_rel(r.points[0].beta, beta, 1e-9, "beta by search");
  near_rel(exp(r.points[0].log_p_form), q(beta), 1e-8, "FORM by search");
  near_abs(r.points[0].kappa[0], 0, 1e-6, "curvature 0");
  near_rel(r.points[0].log_p_breitung, r.points[0].log_p_form, 1e-7, "SORM = FORM");
  near_rel(r.points[0].grad_norm, sqrt(11.0), 1e-8, "|grad c| = |L^T w|");
  /* effort: the search ran from every start (and the rays' that reach the
   * event, beyond the fixed 1 + 4 + 32), and the Hessian cost 2 d^2 + 1 */
  ck_assert_uint_gt(r.starts, 1 + 4 + 32);
  ck_assert_uint_eq(r.hessian_evals, 2 * 2 * 2 + 1);
  ck_assert(r.design_evals > 0 && r.found == 1 && r.last_new_start >= 1 &&
            r.last_new_start <= r.starts);
  issim_form_result_free(&r);
  issim_loss_free(g);
  issim_model_free(p);
}
END_TEST

/* u3 > beta + (k/2)(u1^2 + u2^2): every curvature is k, Breitung's P is
 * Q(beta) / (1 + beta k), and the exact P (chi2 with 2 df being
 * exponential; by parts) is Q(b) - exp(b/k + 1/(2k^2)) Q(b + 1/k) for k > 0,
 * Q(b) + exp(b/k + 1/(2k^2)) Q(-b - 1/k) for k < 0. */
static double paraboloid_exact_log(double b, double k)
{
  double l1 = issim_form_log_normal_tail(b);
  if (k > 0)
    return l1 + log1p(-exp(b / k + 0.5 / (k * k) + issim_form_log_normal_tail(b + 1 / k) - l1));
  return l1 + log1p(exp(b / k + 0.5 / (k * k) + issim_form_log_normal_tail(-b - 1 / k) - l1));
}

START_TEST(test_paraboloid)
{
  issim_model *p = independent_normals(3, NULL, NULL);
  const double cases[][2] = {{3, 0.2}, {10, 0.06}, {6, -0.05}};
  double prev_err = INFINITY;
  for (int i = 0; i < 3; i++) {
    double b = cases[i][0], k = cases[i][1];
    char f[128];
    snprintf(f, sizeof f, "x3 - %.17g*(x1^2 + x2^2)", k / 2);
    issim_loss *g = expression_loss(3, f);
    issim_event ev = issim_event_init(g, b, ISSIM_ABOVE);
    issim_form_result r;
    analyse(p, &ev, &r);
    ck_assert_uint_ge(r.n, 1);
    const issim_form_point *pt = &r.points[0];
    near_rel(pt->beta, b, 1e-9, "beta");
    ck_assert_uint_eq(pt->n_curvatures, 2);
    near_abs(pt->kappa[0], k, 1e-6, "kappa 1");
    near_abs(pt->kappa[1], k, 1e-6, "kappa 2");
    near_rel(exp(pt->log_p_breitung - issim_form_log_normal_tail(b)), 1 / (1 + b * k), 1e-6,
             "Breitung = Q(beta) / (1 + beta k)");
    double exact = paraboloid_exact_log(b, k);
    if (k > 0) {
      /* Breitung is the asymptotic answer: its relative error falls as beta
       * grows with beta k fixed-ish (0.6 then 0.6); Tvedt is closer still */
      double err_b = fabs(expm1(pt->log_p_breitung - exact));
      double err_t = fabs(expm1(pt->log_p_tvedt - exact));
      double err_f = fabs(expm1(pt->log_p_form - exact));
      ck_assert_msg(err_b < err_f && err_t < err_b, "beta %g: FORM %.3g, Breitung %.3g, Tvedt %.3g",
                    b, err_f, err_b, err_t);
      ck_assert_msg(err_b < prev_err, "Breitung's error %.3g did not fall (was %.3g)", err_b, prev_err);
      ck_assert_msg(err_b < (i == 0 ? 0.1 : 0.02), "Breitung's error %.3g", err_b);
      prev_err = err_b;
    } else {
      /* curving round the origin: SORM above FORM, within 1% of exact */
      ck_assert(pt->log_p_breitung > pt->log_p_form);
      ck_assert_msg(fabs(expm1(pt->log_p_tvedt - exact)) < 0.01, "Tvedt %.17g exact %.17g",
                    pt->log_p_tvedt, exact);
    }
    issim_form_result_free(&r);
    issim_loss_free(g);
  }
  issim_model_free(p);
}
END_TEST

/* P(X1 X2 > 9) for independent standard normals: 2 int_0^inf phi(x) Q(9/x) dx */
static double xx_integrand(double x, void *p)
{
  (void)p;
  return x > 0 ? gsl_ran_ugaussian_pdf(x) * q(9 / x) : 0;
}

START_TEST(test_two_symmetric_points)
{
  issim_model *p = independent_normals(2, NULL, NULL);
  issim_loss *g = expression_loss(2, "x1*x2");
  issim_event ev = issim_event_init(g, 9, ISSIM_ABOVE);
  issim_form_result r;
  analyse(p, &ev, &r);
  ck_assert_uint_eq(r.n, 2);
  double beta = sqrt(18.0);
  for (int i = 0; i < 2; i++) {
    near_rel(r.points[i].beta, beta, 1e-9, "beta");
    near_rel(fabs(r.points[i].x[0]), 3, 1e-8, "x1*");
    near_rel(r.points[i].x[0], r.points[i].x[1], 1e-8, "x1* = x2*");
    near_abs(r.points[i].share, 0.5, 1e-8, "share 1/2");
    near_abs(r.points[i].importance[0], 0.5, 1e-8, "importance 1/2");
    /* c = x1 x2 - 9: tangent Hessian -1, |grad c| = 3 sqrt 2 */
    near_abs(r.points[i].kappa[0], 1 / (3 * sqrt(2.0)), 1e-6, "kappa");
    near_rel(exp(r.points[i].log_p_breitung), q(beta) / sqrt(1 + beta / (3 * sqrt(2.0))), 1e-6,
             "Breitung");
  }
  ck_assert(r.points[0].x[0] * r.points[1].x[0] < 0);
  near_rel(exp(r.log_sum_form), 2 * q(beta), 1e-8, "union = 2 x each");
  /* rho = alpha_1 . alpha_2 = -1: the half-spaces are disjoint, the bounds meet */
  near_rel(r.log_ditlevsen_lower, r.log_sum_form, 1e-12, "Ditlevsen lower");
  near_rel(r.log_ditlevsen_upper, r.log_sum_form, 1e-12, "Ditlevsen upper");
  near_rel(exp(r.log_sum_breitung), 2 * q(beta) / sqrt(2.0), 1e-6, "sum of Breitung"); /* beta kappa = 1 */
  /* against the exact P: SORM is the closer */
  gsl_integration_workspace *w = gsl_integration_workspace_alloc(200);
  gsl_function fn = {.function = xx_integrand};
  double half, e;
  gsl_integration_qagiu(&fn, 0, 0, 1e-12, 200, w, &half, &e);
  gsl_integration_workspace_free(w);
  double exact = 2 * half;
  double ef = fabs(exp(r.log_sum_form) / exact - 1), eb = fabs(exp(r.log_sum_breitung) / exact - 1);
  double et = fabs(exp(r.log_sum_tvedt) / exact - 1);
  ck_assert_msg(eb < ef && et < ef && et < 0.05, "FORM %.3g Breitung %.3g Tvedt %.3g", ef, eb, et);
  issim_form_result_free(&r);
  issim_loss_free(g);
  issim_model_free(p);
}
END_TEST

/* Der Kiureghian and Dakessian (1998), "Multiple design points in first and
 * second-order reliability", Structural Safety 20(1) 37-49: g(x) = b - x2 -
 * kappa (x1 - e)^2, b = 5, kappa = 0.5, e = 0.1, failure g < 0 (the
 * definition as in R's mistral, ?kiureghian).  Two design points of nearly
 * equal beta; the exact P is int phi(x1) Q(b - kappa (x1 - e)^2) dx1. */
static double dk_integrand(double x, void *p)
{
  (void)p;
  return gsl_ran_ugaussian_pdf(x) * q(5 - 0.5 * (x - 0.1) * (x - 0.1));
}

START_TEST(test_two_design_points)
{
  issim_model *p = independent_normals(2, NULL, NULL);
  issim_loss *g = expression_loss(2, "x2 + 0.5*(x1 - 0.1)^2");
  issim_event ev = issim_event_init(g, 5, ISSIM_ABOVE);
  issim_form_result r;
  analyse(p, &ev, &r);
  ck_assert_uint_eq(r.n, 2);
  /* the stationary points of x1^2 + x2^2 on x2 = 5 - (x1 - 0.1)^2 / 2:
   * x1 = (x1 - 0.1)(5 - (x1 - 0.1)^2 / 2), checked from the points */
  for (int i = 0; i < 2; i++) {
    double x1 = r.points[i].x[0], x2 = r.points[i].x[1];
    near_abs(x2, 5 - 0.5 * (x1 - 0.1) * (x1 - 0.1), 1e-8, "on the surface");
    near_abs(x1, (x1 - 0.1) * x2, 1e-6, "Lagrange condition");
    ck_assert(r.points[i].kappa[0] < 0); /* the surface curves round the origin */
  }
  ck_assert(r.points[0].x[0] * r.points[1].x[0] < 0);
  ck_assert(r.points[0].beta <= r.points[1].beta);
  gsl_integration_workspace *w = gsl_integration_workspace_alloc(200);
  gsl_function fn = {.function = dk_integrand};
  double exact, e;
  gsl_integration_qagi(&fn, 0, 1e-12, 200, w, &exact, &e);
  gsl_integration_workspace_free(w);
  /* the half-spaces overlap little: the bounds nearly meet, below the sum */
  ck_assert(r.log_ditlevsen_lower <= r.log_ditlevsen_upper + 1e-15);
  ck_assert(r.log_ditlevsen_upper <= r.log_sum_form + 1e-15);
  double ef = fabs(exp(r.log_sum_form) / exact - 1), eb = fabs(exp(r.log_sum_breitung) / exact - 1);
  double et = fabs(exp(r.log_sum_tvedt) / exact - 1);
  ck_assert_msg(eb < ef && et < 0.1, "exact %.6g: FORM %.3g Breitung %.3g Tvedt %.3g", exact, ef,
                eb, et);
  issim_form_result_free(&r);
  issim_loss_free(g);
  issim_model_free(p);
}
END_TEST

/* design.h's example {x2 < x1^2/2 - 3}: the minima (+-2, -1), beta = sqrt 5,
 * and the saddle (0, -3), beta = 3, where kappa = -1 makes 1 + beta kappa
 * = -2: its SORM is refused and left out of the SORM sums.  At (2, -1),
 * c = x1^2/2 - 3 - x2 has grad (2, -1) and tangent Hessian 1/5: kappa =
 * -1/(5 sqrt 5).  Exact P = int phi(x) Phi(x^2/2 - 3) dx. */
static double parabola_integrand(double x, void *p)
{
  (void)p;
  return gsl_ran_ugaussian_pdf(x) * gsl_cdf_ugaussian_P(0.5 * x * x - 3);
}

START_TEST(test_saddle_refused)
{
  issim_model *p = independent_normals(2, NULL, NULL);
  issim_loss *g = expression_loss(2, "x2 - 0.5*x1^2");
  issim_event ev = issim_event_init(g, -3, ISSIM_BELOW);
  issim_form_result r;
  analyse(p, &ev, &r);
  ck_assert_uint_eq(r.n, 3);
  size_t saddles = 0;
  double k = -1 / (5 * sqrt(5.0)), sum_b = 0;
  for (size_t i = 0; i < 3; i++) {
    const issim_form_point *pt = &r.points[i];
    if (fabs(pt->beta - 3) < 1e-6) {
      saddles++;
      near_abs(pt->kappa[0], -1, 1e-6, "kappa at the saddle");
      ck_assert(isnan(pt->log_p_breitung) && isnan(pt->log_p_hr) && isnan(pt->log_p_tvedt));
      ck_assert_msg(strstr(pt->sorm_why, "1 + beta kappa <= 0") != NULL, "%s", pt->sorm_why);
    } else {
      near_rel(pt->beta, sqrt(5.0), 1e-9, "beta at a minimum");
      near_abs(pt->kappa[0], k, 1e-6, "kappa at a minimum");
      near_rel(exp(pt->log_p_breitung), q(sqrt(5.0)) / sqrt(1 + sqrt(5.0) * k), 1e-6, "Breitung");
      sum_b += exp(pt->log_p_breitung);
    }
  }
  ck_assert_uint_eq(saddles, 1);
  ck_assert_uint_eq(r.sorm_excluded, 1);
  near_rel(exp(r.log_sum_breitung), sum_b, 1e-12, "the SORM sum leaves the saddle out");
  near_rel(exp(r.log_sum_form), 2 * q(sqrt(5.0)) + q(3), 1e-8, "the FORM sum keeps it");
  gsl_integration_workspace *w = gsl_integration_workspace_alloc(200);
  gsl_function fn = {.function = parabola_integrand};
  double exact, e;
  gsl_integration_qagi(&fn, 0, 1e-12, 200, w, &exact, &e);
  gsl_integration_workspace_free(w);
  double eb = fabs(exp(r.log_sum_breitung) / exact - 1), et = fabs(exp(r.log_sum_tvedt) / exact - 1);
  ck_assert_msg(eb < 0.1 && et < 0.1, "exact %.6g: Breitung %.3g Tvedt %.3g", exact, eb, et);
  issim_form_result_free(&r);
  issim_loss_free(g);
  issim_model_free(p);
}
END_TEST

/* Two of the reliability benchmark problems of Rackwitz's BBRC set, as
 * defined in OpenTURNS' otbenchmark (otbenchmark/ReliabilityProblem22.py
 * and ReliabilityProblem24.py), whose published reference probabilities
 * (from simulation) are 0.00416 and 0.00286.  Both reduce to one
 * dimension: with v = (x1 + x2)/sqrt 2, w = (x1 - x2)/sqrt 2 (RP22) the
 * event g < 0 is v > 2.5 + 0.2 w^2, so P = E Q(2.5 + 0.2 W^2), a paraboloid
 * with beta = 2.5, kappa = 0.4; RP24 (x ~ N(10, 3^2)) is, in u, a v > (2.5
 * + 1.5 w^4) / 0.99999 surface, flat to second order at its design point
 * (kappa = 0): SORM can do nothing for it, and FORM's P is twice the
 * truth. */
static double rp22_integrand(double w, void *p)
{
  (void)p;
  return gsl_ran_ugaussian_pdf(w) * q(2.5 + 0.2 * w * w);
}

static double rp24_integrand(double w, void *p)
{
  (void)p;
  double a = 0.2357 * 3 * sqrt(2.0), b = 0.00463 * 81 * 4;
  return gsl_ran_ugaussian_pdf(w) * q((2.5 + b * w * w * w * w) / a);
}

static double integral_over_line(double (*f)(double, void *))
{
  gsl_integration_workspace *w = gsl_integration_workspace_alloc(200);
  gsl_function fn = {.function = f};
  double v, e;
  gsl_integration_qagi(&fn, 0, 1e-12, 200, w, &v, &e);
  gsl_integration_workspace_free(w);
  return v;
}

START_TEST(test_benchmark_problems)
{
  issim_model *p = independent_normals(2, NULL, NULL);
  issim_loss *g = expression_loss(2, "2.5 - 1/sqrt(2)*(x1 + x2) + 0.1*(x1 - x2)^2");
  issim_event ev = issim_event_init(g, 0, ISSIM_BELOW);
  issim_form_result r;
  analyse(p, &ev, &r);
  ck_assert_uint_eq(r.n, 1);
  const issim_form_point *pt = &r.points[0];
  double exact = integral_over_line(rp22_integrand);
  /* the reference is within its simulation's error of the exact value */
  near_rel(0.00416, exact, 0.015, "RP22's published reference");
  near_rel(pt->beta, 2.5, 1e-9, "RP22 beta");
  near_abs(pt->kappa[0], 0.4, 1e-6, "RP22 kappa");
  near_rel(exp(pt->log_p_breitung), q(2.5) / sqrt(2), 1e-6, "RP22 Breitung");
  near_rel(exp(pt->log_p_tvedt), exact, 0.005, "RP22 Tvedt against the exact P");
  near_rel(exp(pt->log_p_hr), exact, 0.015, "RP22 Hohenbichler-Rackwitz against the exact P");
  near_rel(exp(pt->log_p_breitung), exact, 0.05, "RP22 Breitung against the exact P");
  issim_form_result_free(&r);
  issim_loss_free(g);
  issim_model_free(p);

  issim_dist *c[2];
  for (int j = 0; j < 2; j++)
    ck_assert_ptr_nonnull(c[j] = issim_dist_alloc_normal(10, 3, NULL));
  p = issim_model_alloc_independent(2, (const issim_dist *const *)c, NULL);
  issim_dist_free(c[0]);
  issim_dist_free(c[1]);
  g = expression_loss(2, "2.5 - 0.2357*(x1 - x2) + 0.00463*(x1 + x2 - 20)^4");
  ev = issim_event_init(g, 0, ISSIM_BELOW);
  analyse(p, &ev, &r);
  ck_assert_uint_eq(r.n, 1);
  pt = &r.points[0];
  exact = integral_over_line(rp24_integrand);
  near_rel(0.00286, exact, 0.002, "RP24's published reference");
  near_rel(pt->beta, 2.5 / (0.2357 * 3 * sqrt(2.0)), 1e-8, "RP24 beta");
  near_abs(pt->kappa[0], 0, 1e-5, "RP24 kappa");
  near_rel(pt->log_p_tvedt, pt->log_p_form, 1e-5, "RP24 SORM = FORM");
  ck_assert_msg(exp(pt->log_p_form) > 2 * exact, "RP24: FORM %.6g, exact %.6g",
                exp(pt->log_p_form), exact);
  issim_form_result_free(&r);
  issim_loss_free(g);
  issim_model_free(p);
}
END_TEST

/* |X|^2 of X ~ N(m, I_3): noncentral chi-squared with 3 df and lambda =
 * |m|^2, P(|X|^2 <= y) = sum_j Pois(j; lambda / 2) P(chi2_{3 + 2j} <= y). */
static double ncx2(double y, double lambda, int upper)
{
  double s = 0;
  for (unsigned j = 0; j < 400; j++) {
    double pj = gsl_ran_poisson_pdf(j, lambda / 2);
    s += pj * (upper ? gsl_cdf_chisq_Q(y, 3 + 2.0 * j) : gsl_cdf_chisq_P(y, 3 + 2.0 * j));
  }
  return s;
}

START_TEST(test_spheres)
{
  issim_loss *g = expression_loss(3, "x1^2 + x2^2 + x3^2");
  /* inside a ball of radius 3 away from the mean (7, 0, 0): beta = 4, a
   * convex region, kappa = 1/3 twice */
  const double m1[3] = {7, 0, 0};
  issim_model *p = independent_normals(3, m1, NULL);
  issim_event ev = issim_event_init(g, 9, ISSIM_BELOW);
  issim_form_result r;
  analyse(p, &ev, &r);
  ck_assert_uint_eq(r.n, 1);
  near_rel(r.points[0].beta, 4, 1e-9, "beta, ball");
  near_abs(r.points[0].kappa[0], 1.0 / 3, 1e-6, "kappa 1, ball");
  near_abs(r.points[0].kappa[1], 1.0 / 3, 1e-6, "kappa 2, ball");
  double exact = ncx2(9, 49, 0);
  double ef = fabs(exp(r.points[0].log_p_form) / exact - 1);
  double eb = fabs(exp(r.points[0].log_p_breitung) / exact - 1);
  double eh = fabs(exp(r.points[0].log_p_hr) / exact - 1);
  ck_assert_msg(eb < ef && eh < eb && eh < 0.15, "ball: exact %.6g FORM %.3g Breitung %.3g HR %.3g",
                exact, ef, eb, eh);
  issim_form_result_free(&r);
  issim_model_free(p);
  /* outside a sphere of radius 7 about a mean at (2, 0, 0): beta = 5,
   * curving round the origin, kappa = -1/7; the far side (beta 9) is a
   * stationary point that is no minimum: its SORM is refused.  (Radius 6
   * and beta 4 would make Tvedt's two correction terms cancel exactly.) */
  const double m2[3] = {2, 0, 0};
  p = independent_normals(3, m2, NULL);
  ev = issim_event_init(g, 49, ISSIM_ABOVE);
  analyse(p, &ev, &r);
  ck_assert_uint_ge(r.n, 1);
  near_rel(r.points[0].beta, 5, 1e-9, "beta, sphere");
  near_abs(r.points[0].kappa[0], -1.0 / 7, 1e-6, "kappa, sphere");
  near_abs(r.points[0].kappa[1], -1.0 / 7, 1e-6, "kappa, sphere");
  exact = ncx2(49, 4, 1);
  ef = fabs(exp(r.points[0].log_p_form) / exact - 1);
  eb = fabs(exp(r.points[0].log_p_breitung) / exact - 1);
  double et = fabs(exp(r.points[0].log_p_tvedt) / exact - 1);
  /* (Tvedt is the further of the two here: its terms are not an expansion
   * that must improve on Breitung's for a concave region) */
  ck_assert_msg(eb < ef && et < ef && eb < 0.05 && et < 0.1, "sphere: exact %.6g FORM %.3g Breitung %.3g Tvedt %.3g",
                exact, ef, eb, et);
  for (size_t i = 1; i < r.n; i++)
    if (fabs(r.points[i].beta - 9) < 1e-6) {
      ck_assert(isnan(r.points[i].log_p_breitung));
      ck_assert(strstr(r.points[i].sorm_why, "1 + beta kappa") != NULL);
    }
  issim_form_result_free(&r);
  issim_model_free(p);
  issim_loss_free(g);
}
END_TEST

/* A t target: FORM from the t tail, flagged approximate; SORM refused. */
START_TEST(test_student_t)
{
  const double loc[2] = {0, 0}, scale[4] = {1, 0, 0, 1}, w[2] = {1, 1};
  issim_model *p = issim_model_alloc_student_t(2, 4, loc, scale, NULL);
  ck_assert_ptr_nonnull(p);
  issim_loss *lin = issim_loss_alloc_linear(2, w, NULL);
  issim_event ev = issim_event_init(lin, 6, ISSIM_ABOVE);
  issim_form_result r;
  analyse(p, &ev, &r);
  ck_assert(!r.normal_space && r.df == 4);
  near_rel(r.points[0].beta, 6 / sqrt(2.0), 1e-14, "beta");
  near_rel(exp(r.points[0].log_p_form), gsl_cdf_tdist_Q(6 / sqrt(2.0), 4), 1e-12, "t tail");
  ck_assert(isnan(r.points[0].log_p_breitung) && strstr(r.points[0].sorm_why, "t target"));
  ck_assert(isnan(r.log_ditlevsen_lower) && r.union_why[0] != '\0');
  issim_form_result_free(&r);
  issim_loss_free(lin);
  issim_model_free(p);
}
END_TEST

/* max above t: the d half-spaces, exact; the Ditlevsen bounds bracket the
 * exact union 1 - Phi(t)^d of independent components. */
/* A piecewise limit state written with a conditional (check_design's
 * series system of {R < 3} and {S > 3.75}, R ~ N(6, 1), S ~ N(2, 0.5),
 * kinked along R + S = 6.75): FORM must see two flat half-spaces, at beta 3
 * and 3.5, whose importance factors are all in one variable each, and the
 * Ditlevsen bounds must hold the exact P = Q(3) + Q(3.5) - Q(3) Q(3.5)
 * (orthogonal half-spaces: the lower bound is exact). */
START_TEST(test_piecewise_conditional)
{
  const double mean[2] = {6, 2}, sd[2] = {1, 0.5};
  issim_model *p = independent_normals(2, mean, sd);
  issim_loss *g = expression_loss(2, "x1 + x2 < 6.75 ? x1 - 3 : 3.75 - x2");
  issim_event ev = issim_event_init(g, 0, ISSIM_BELOW);
  issim_form_result r;
  analyse(p, &ev, &r);
  ck_assert_uint_eq(r.n, 2);
  const double want_beta[2] = {3, 3.5};
  for (int i = 0; i < 2; i++) {
    near_abs(r.points[i].beta, want_beta[i], 1e-6, "beta");
    near_abs(r.points[i].importance[i], 1, 1e-6, "importance");
    near_abs(fabs(r.points[i].kappa[0]), 0, 1e-3, "curvature");
  }
  const double exact = q(3) + q(3.5) - q(3) * q(3.5);
  near_rel(exp(r.log_sum_form), q(3) + q(3.5), 1e-5, "sum of FORM");
  near_rel(exp(r.log_ditlevsen_lower), exact, 1e-5, "Ditlevsen lower");
  ck_assert(exp(r.log_ditlevsen_upper) >= exact * (1 - 1e-5));
  issim_form_result_free(&r);
  issim_loss_free(g);
  issim_model_free(p);
}
END_TEST

START_TEST(test_max_union)
{
  issim_model *p = independent_normals(3, NULL, NULL);
  issim_loss *g = issim_loss_alloc(ISSIM_LOSS_MAX, 3, NULL);
  issim_event ev = issim_event_init(g, 2, ISSIM_ABOVE);
  issim_form_result r;
  analyse(p, &ev, &r);
  ck_assert_uint_eq(r.n, 3);
  double exact = 1 - pow(gsl_cdf_ugaussian_P(2), 3);
  /* rho = 0 between the half-spaces: the lower bound is exact here,
   * P1 + (P2 - P12) + (P3 - P13 - P23), the union's inclusion-exclusion
   * without the triple term */
  double pq = q(2);
  near_rel(exp(r.log_ditlevsen_lower), 3 * pq - 3 * pq * pq, 1e-10, "Ditlevsen lower");
  near_rel(exp(r.log_ditlevsen_upper), 3 * pq - 2 * pq * pq, 1e-10, "Ditlevsen upper");
  ck_assert(exp(r.log_ditlevsen_lower) <= exact && exact <= exp(r.log_ditlevsen_upper));
  near_rel(exp(r.log_sum_form), 3 * pq, 1e-13, "sum");
  issim_form_result_free(&r);
  issim_loss_free(g);
  issim_model_free(p);
}
END_TEST

/* Every univariate target has a standard space, in which a tail event is a
 * half-space: FORM is exact (a lognormal's tail at 5); a target without one
 * (a mixture) is refused, saying which work. */
START_TEST(test_unsupported)
{
  issim_dist *ln = issim_dist_alloc("lognormal", 0, NULL, NULL, NULL);
  ck_assert_ptr_nonnull(ln);
  issim_model *lnm = issim_model_alloc_line(ln, NULL);
  issim_problem pb = {.target = lnm, .event = issim_event_init(NULL, 5, ISSIM_ABOVE)};
  ck_assert(issim_form_supported(&pb));
  issim_form_result r;
  issim_error err;
  ck_assert_int_eq(issim_form_analyse_problem(&pb, &r, &err), ISSIM_OK);
  ck_assert_uint_eq(r.n, 1);
  ck_assert(r.closed_form && r.normal_space);
  near_rel(r.points[0].beta, log(5), 1e-15, "lognormal beta");
  near_rel(r.points[0].x[0], 5, 1e-15, "lognormal x*");
  near_rel(r.points[0].log_p_form, issim_dist_log_sf(ln, 5), 1e-14, "lognormal FORM");
  issim_form_result_free(&r);
  issim_model_free(lnm);
  issim_dist_free(ln);
  /* a univariate normal works: beta = (5 - 1) / 2 */
  issim_dist *n = issim_dist_alloc_normal(1, 2, NULL);
  issim_model *nm = issim_model_alloc_line(n, NULL);
  pb.target = nm;
  ck_assert(issim_form_supported(&pb));
  ck_assert_int_eq(issim_form_analyse_problem(&pb, &r, &err), ISSIM_OK);
  near_rel(r.points[0].beta, 2, 1e-15, "univariate beta");
  near_rel(r.points[0].x[0], 5, 1e-15, "univariate x*");
  issim_form_result_free(&r);
  /* a mixture target */
  issim_model *m1 = issim_model_alloc_independent(1, (const issim_dist *const[]){n}, NULL);
  issim_model *mix = issim_model_alloc_mixture(2, (const issim_model *const[]){m1, m1},
                                               (double[]){0.5, 0.5}, NULL);
  issim_loss *g = issim_loss_alloc(ISSIM_LOSS_IDENTITY, 1, NULL);
  issim_problem pm = {.target = mix, .event = issim_event_init(g, 5, ISSIM_ABOVE)};
  ck_assert(!issim_form_supported(&pm));
  ck_assert_int_eq(issim_form_analyse_problem(&pm, &r, &err), ISSIM_EINVAL);
  ck_assert_msg(strstr(err.message, "FORM needs a target with a standard space") != NULL, "%s",
                err.message);
  issim_loss_free(g);
  issim_model_free(mix);
  issim_model_free(m1);
  issim_model_free(nm);
  issim_dist_free(n);
}

/* x1 - x2 < -4 (a function loss, x1 + (-x2) as counting_sum computes it:
 * the sum of the point (x1, -x2)): FORM is exact, Q(4 / sqrt 2), and the
 * curvatures of a plane are 0; a model that fails is an error. */
START_TEST(test_the_callers_own_model)
{
  issim_model *p = independent_normals(2, NULL, NULL);
  issim_loss *g = counting_sum_loss(2, INFINITY, NULL);
  issim_event ev = issim_event_init(g, 4, +1);
  issim_form_result r;
  issim_error err;
  ck_assert_msg(issim_form_analyse(p, &ev, &r, &err) == ISSIM_OK, "%s", err.message);
  ck_assert_uint_eq(r.n, 1);
  assert_close(r.points[0].beta, 4 / M_SQRT2, 1e-9);
  assert_close(r.points[0].log_p_form, log(gsl_cdf_ugaussian_Q(4 / M_SQRT2)), 1e-8);
  ck_assert(fabs(r.points[0].kappa[0]) < 1e-3);
  issim_form_result_free(&r);
  issim_loss_free(g);
  g = counting_sum_loss(2, 1.0, NULL);
  ev = issim_event_init(g, 4, +1);
  ck_assert_int_eq(issim_form_analyse(p, &ev, &r, &err), ISSIM_ELOSS);
  ck_assert_msg(strstr(err.message, "counting sum failed") != NULL, "%s", err.message);
  issim_loss_free(g);
  issim_model_free(p);
}
END_TEST

END_TEST


/* spread = curvature on the paraboloid u3 > 3 - 0.05 (u1^2 + u2^2): both
 * curvatures -0.1 at beta = 3, so the proposal is the normal at (0, 0, 3)
 * with variance 1 / (1 - 0.3) along u1 and u2 and 1 along u3; its estimate
 * is within 4 SE of P = int Q(3 - 0.05 r) e^(-r/2) / 2 dr (r = u1^2 + u2^2,
 * chi-squared(2)), with a smaller relative variance than the normal of
 * spread 1 at the same point. */
static double paraboloid_integrand(double r, void *unused)
{
  (void)unused;
  return gsl_cdf_ugaussian_Q(3 - 0.05 * r) * 0.5 * exp(-0.5 * r);
}

START_TEST(test_curved_proposal)
{
  issim_model *p = independent_normals(3, NULL, NULL);
  issim_loss *g = expression_loss(3, "x3 + 0.05*(x1^2 + x2^2)");
  issim_event ev = issim_event_init(g, 3, ISSIM_ABOVE);
  issim_error err;
  issim_model *q = issim_form_curved_proposal(p, &ev, 0, &err);
  ck_assert_msg(q != NULL, "%s", err.message);
  double mean[3], cov[9];
  ck_assert_int_eq(issim_model_moments(q, mean, cov), ISSIM_OK);
  const double want[9] = {1 / 0.7, 0, 0, 0, 1 / 0.7, 0, 0, 0, 1};
  for (int i = 0; i < 9; i++)
    ck_assert_msg(fabs(cov[i] - want[i]) < 1e-6, "covariance %d: %.10g, want %.10g", i, cov[i],
                  want[i]);
  ck_assert_double_eq_tol(mean[2], 3, 1e-8);
  issim_model_free(q);
  issim_loss_free(g);
  issim_model_free(p);
  /* the estimate, through a scenario, against the quadrature */
  double exact = quadrature(paraboloid_integrand, NULL, 0, 2000);
  double rv[2];
  const char *spreads[2] = {"curvature", "1"};
  for (int k = 0; k < 2; k++) {
    char text[1024];
    snprintf(text, sizeof text, "[target]\ndistribution = independent\ndimension = 3\n"
                                "component = normal\n[event]\nloss = expression\n"
                                "expression = x3 + 0.05*(x1^2 + x2^2)\nthreshold = 3\n"
                                "[proposal q]\ndistribution = shifted-target\n"
                                "shift = design-point\nspread = %s\n", spreads[k]);
    issim_scenario *s = scenario_parse_ok(text, "curved.ini");
    issim_run_config cfg = run_config_of(s, "q", 200000, 2024, 2);
    issim_result r;
    ck_assert_int_eq(issim_analyse(s, &s->proposals[0], &cfg, 0, &r, &err), ISSIM_OK);
    ck_assert_within_4se(r.estimate.estimate, exact, r.estimate.std_error);
    rv[k] = r.estimate.relative_variance;
    if (k == 0)
      ck_assert_int_eq(r.verdict.level, ISSIM_TRUSTWORTHY);
    issim_result_clear(&r);
    issim_scenario_free(s);
  }
  ck_assert_msg(rv[0] < rv[1], "relative variance %g (curvature) against %g (spread 1)", rv[0],
                rv[1]);
}
END_TEST

/* RP57 (check_design's test_rp57_corners): the two corner points have no
 * curvatures and SORM refuses them, saying why; the circle's point (the
 * inside of a circle of radius 2, convex) has curvature 1/2. */
START_TEST(test_corners_refuse_sorm)
{
  issim_model *p = independent_normals(2, NULL, NULL);
  issim_loss *g = expression_loss(2, "min(max(-x1^2 + x2^3 + 3, 2 - x1 - 8*x2), "
                                     "(x1 + 3)^2 + (x2 + 3)^2 - 4)");
  issim_event ev = issim_event_init(g, 0, ISSIM_BELOW);
  issim_form_result r;
  analyse(p, &ev, &r);
  ck_assert_uint_eq(r.n, 3);
  ck_assert_uint_eq(r.corners, 2);
  size_t corners = 0;
  for (size_t i = 0; i < r.n; i++) {
    const issim_form_point *pt = &r.points[i];
    if (pt->corner) {
      corners++;
      ck_assert(isnan(pt->kappa[0]) && isnan(pt->log_p_breitung) && isnan(pt->log_p_tvedt));
      ck_assert(strstr(pt->sorm_why, "corner") != NULL);
    } else {
      near_rel(pt->beta, 3 * sqrt(2.0) - 2, 1e-9, "the circle's beta");
      near_rel(pt->kappa[0], 0.5, 1e-5, "the circle's curvature");
      ck_assert(isfinite(pt->log_p_breitung));
    }
  }
  ck_assert_uint_eq(corners, 2);
  issim_form_result_free(&r);
  issim_loss_free(g);
  issim_model_free(p);
}
END_TEST

static Suite *form_suite(void)
{
  Suite *s = suite_create("form");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_log_normal_tail);
  tcase_add_test(tc, test_bivariate_normal);
  tcase_add_test(tc, test_sorm_formulas);
  tcase_add_test(tc, test_linear);
  tcase_add_test(tc, test_linear_by_search);
  tcase_add_test(tc, test_paraboloid);
  tcase_add_test(tc, test_two_symmetric_points);
  tcase_add_test(tc, test_two_design_points);
  tcase_add_test(tc, test_saddle_refused);
  tcase_add_test(tc, test_spheres);
  tcase_add_test(tc, test_benchmark_problems);
  tcase_add_test(tc, test_student_t);
  tcase_add_test(tc, test_max_union);
  tcase_add_test(tc, test_piecewise_conditional);
  tcase_add_test(tc, test_unsupported);
  tcase_add_test(tc, test_curved_proposal);
  tcase_add_test(tc, test_corners_refuse_sorm);
  tcase_add_test(tc, test_the_callers_own_model);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  return run_suite(form_suite());
}
