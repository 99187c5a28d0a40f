/* Tests of design points (src/design.c) against points known analytically. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_math.h>
#include <gsl/gsl_randist.h>

#include "check_main.h"
#include "check_util.h"
#include "design.h"
#include "form.h"
#include "transform.h"

static issim_model *normal2(const double *mean, const double *cov)
{
  issim_model *m = issim_model_alloc_normal(2, mean, cov, NULL);
  ck_assert_ptr_nonnull(m);
  return m;
}


/* N(mu, S) in 2-D with S = [[1, .5], [.5, 2]], w = (1, 2), t = 10: by hand,
 * S w = (2, 4.5), w^T S w = 11, w.mu = -1, x* = mu + S w (t - w.mu) / 11. */
static const double MU[2] = {1, -1}, COV[4] = {1, 0.5, 0.5, 2}, W[2] = {1, 2};

START_TEST(test_linear_closed_form)
{
  issim_model *p = normal2(MU, COV);
  issim_loss *g = issim_loss_alloc_linear(2, W, NULL);
  issim_event ev = issim_event_init(g, 10, +1);
  double x[2], beta;
  ck_assert_int_eq(issim_design_point(p, &ev, x, &beta, NULL), ISSIM_OK);
  ck_assert_double_eq_tol(x[0], 1 + 2 * 11.0 / 11, 1e-14);
  ck_assert_double_eq_tol(x[1], -1 + 4.5 * 11.0 / 11, 1e-14);
  ck_assert_double_eq_tol(beta, 11 / sqrt(11.0), 1e-14);
  /* below: the same point, beta negative when the mean is in the event */
  ev.direction = -1;
  ck_assert_int_eq(issim_design_point(p, &ev, x, &beta, NULL), ISSIM_OK);
  ck_assert_double_eq_tol(x[0], 3, 1e-14);
  ck_assert_double_eq_tol(beta, -sqrt(11.0), 1e-14);
  issim_loss_free(g);
  issim_model_free(p);
}
END_TEST

START_TEST(test_expression_agrees_with_closed_form)
{
  issim_model *p = normal2(MU, COV);
  const double t[3] = {10, -4, 0.5};
  for (int dir = -1; dir <= 1; dir += 2)
    for (int i = 0; i < 3; i++) {
      issim_loss *lin = issim_loss_alloc_linear(2, W, NULL), *ex = expression_loss(2, "x1 + 2*x2");
      issim_event a = issim_event_init(lin, t[i], dir), b = issim_event_init(ex, t[i], dir);
      double xa[2], xb[2], ba, bb;
      issim_error err;
      ck_assert_int_eq(issim_design_point(p, &a, xa, &ba, NULL), ISSIM_OK);
      ck_assert_msg(issim_design_point(p, &b, xb, &bb, &err) == ISSIM_OK, "%s", err.message);
      for (int j = 0; j < 2; j++)
        ck_assert_msg(fabs(xa[j] - xb[j]) <= 1e-8 * fmax(1, fabs(xa[j])),
                      "t %g dir %d: closed form %.15g, search %.15g", t[i], dir, xa[j], xb[j]);
      ck_assert_double_eq_tol(ba, bb, 1e-8);
      issim_loss_free(lin);
      issim_loss_free(ex);
    }
  issim_model_free(p);
}
END_TEST

START_TEST(test_portfolio_scale_expression)
{
  /* the portfolio of portfolio-normal-10.ini in 3-D: sd 0.01, tiny losses;
   * the search works in the standard space, so the scale does not matter */
  double cov[9], w[3] = {-0.1, -0.1, -0.1}, mu[3] = {0};
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++)
      cov[i * 3 + j] = 1e-4 * (i == j ? 1 : 0.3);
  issim_model *p = issim_model_alloc_normal(3, mu, cov, NULL);
  issim_loss *lin = issim_loss_alloc_linear(3, w, NULL), *ex = expression_loss(3, "-0.1*(x1 + x2 + x3)");
  issim_event a = issim_event_init(lin, 0.004, 1), b = issim_event_init(ex, 0.004, 1);
  double xa[3], xb[3];
  ck_assert_int_eq(issim_design_point(p, &a, xa, NULL, NULL), ISSIM_OK);
  ck_assert_int_eq(issim_design_point(p, &b, xb, NULL, NULL), ISSIM_OK);
  for (int j = 0; j < 3; j++)
    ck_assert_double_eq_tol(xa[j], xb[j], 1e-8 * fabs(xa[j]));
  issim_loss_free(lin);
  issim_loss_free(ex);
  issim_model_free(p);
}
END_TEST

/* Standard normal in 2-D, event x2 < b x1^2 - a (a = 3, b = 1/2): the
 * distance^2 to the parabola, f = x1^2 + (b x1^2 - a)^2, has f' = 0 at
 * x1 = 0 (a local maximum, f = 9) and x1^2 = (2ab - 1) / (2 b^2) = 4:
 * design points (+-2, -1), beta = sqrt 5. */
START_TEST(test_parabola)
{
  issim_model *p = independent_normals(2, NULL, NULL);
  issim_loss *g = expression_loss(2, "x2 - 0.5*x1^2");
  issim_event ev = issim_event_init(g, -3, -1);
  double x[2], beta;
  ck_assert_int_eq(issim_design_point(p, &ev, x, &beta, NULL), ISSIM_OK);
  ck_assert_double_eq_tol(fabs(x[0]), 2, 1e-6);
  ck_assert_double_eq_tol(x[1], -1, 1e-6);
  ck_assert_double_eq_tol(beta, sqrt(5.0), 1e-7);
  /* both branches are found, nearest first */
  double xs[40], bs[20], lp[20];
  size_t n;
  ck_assert_int_eq(issim_design_points(p, &ev, 20, xs, bs, lp, &n, NULL), ISSIM_OK);
  ck_assert_uint_ge(n, 2);
  ck_assert_double_eq_tol(fabs(xs[0] - xs[2]), 4, 1e-6);
  ck_assert_double_eq_tol(bs[1], sqrt(5.0), 1e-7);
  ck_assert_double_eq_tol(lp[0], log(gsl_cdf_ugaussian_Q(sqrt(5.0))), 1e-6);
  for (size_t i = 1; i < n; i++)
    ck_assert(bs[i] >= bs[i - 1]);
  issim_loss_free(g);
  issim_model_free(p);
}
END_TEST

/* A circle's exterior: norm > 3 under N(0, I) in 2-D: every point of the
 * circle is a design point, beta = 3. */
START_TEST(test_norm)
{
  issim_model *p = independent_normals(2, NULL, NULL);
  issim_loss *g = issim_loss_alloc(ISSIM_LOSS_NORM, 2, NULL);
  issim_event ev = issim_event_init(g, 3, +1);
  double x[2], beta;
  ck_assert_int_eq(issim_design_point(p, &ev, x, &beta, NULL), ISSIM_OK);
  ck_assert_double_eq_tol(hypot(x[0], x[1]), 3, 1e-8);
  ck_assert_double_eq_tol(beta, 3, 1e-8);
  issim_loss_free(g);
  issim_model_free(p);
}
END_TEST

/* max above t of independent normals: the union of {x_k > t}, each with its
 * closed form; the mixture weights are P(X_k > t). */
START_TEST(test_max_union)
{
  const double mean[3] = {0, 1, 0}, sd[3] = {1, 2, 0.5};
  issim_model *p = independent_normals(3, mean, sd);
  issim_loss *g = issim_loss_alloc(ISSIM_LOSS_MAX, 3, NULL);
  issim_event ev = issim_event_init(g, 4, +1);
  double x[9], beta[3], lp[3];
  size_t n;
  ck_assert_int_eq(issim_design_points(p, &ev, 3, x, beta, lp, &n, NULL), ISSIM_OK);
  ck_assert_uint_eq(n, 3);
  const double want_beta[3] = {1.5, 4, 8}; /* components 2, 1, 3 */
  const int comp[3] = {1, 0, 2};
  for (int i = 0; i < 3; i++) {
    ck_assert_double_eq_tol(beta[i], want_beta[i], 1e-14);
    ck_assert_double_eq_tol(lp[i], log(gsl_cdf_ugaussian_Q(want_beta[i])), 1e-12);
    for (int j = 0; j < 3; j++)
      ck_assert_double_eq_tol(x[i * 3 + j], j == comp[i] ? 4 : mean[j], 1e-14);
  }
  issim_model *m = issim_design_mixture(p, &ev, 1, NULL);
  ck_assert_ptr_nonnull(m);
  ck_assert_uint_eq(issim_model_mixture_size(m), 3);
  double total = 0, w;
  for (int i = 0; i < 3; i++)
    total += gsl_cdf_ugaussian_Q(want_beta[i]);
  for (size_t i = 0; i < 3; i++) {
    const issim_model *part = issim_model_mixture_part(m, i, &w);
    ck_assert_double_eq_tol(w, gsl_cdf_ugaussian_Q(want_beta[i]) / total, 1e-14);
    double loc[3], l[9], df;
    ck_assert_int_eq(issim_model_elliptical_form(part, loc, l, &df), ISSIM_OK);
    ck_assert_double_eq_tol(loc[comp[i]], 4, 1e-14);
    ck_assert_double_eq_tol(l[4], 2, 1e-15); /* the target's sds kept */
  }
  issim_model_free(m);
  /* min below t is the union of {x_k < t} */
  issim_loss *mn = issim_loss_alloc(ISSIM_LOSS_MIN, 3, NULL);
  issim_event below = issim_event_init(mn, -2, -1);
  ck_assert_int_eq(issim_design_points(p, &below, 3, x, beta, lp, &n, NULL), ISSIM_OK);
  ck_assert_uint_eq(n, 3);
  ck_assert_double_eq_tol(beta[0], 1.5, 1e-14); /* (1 - (-2)) / 2 */
  ck_assert_double_eq_tol(x[1], -2, 1e-14);
  issim_loss_free(mn);
  issim_loss_free(g);
  issim_model_free(p);
}
END_TEST

/* max below t of two standard normals: the orthant {x1 < t, x2 < t}, whose
 * nearest point is its corner (t, t), beta = sqrt 2 |t|, found by the search. */
START_TEST(test_orthant_corner)
{
  issim_model *p = independent_normals(2, NULL, NULL);
  issim_loss *g = issim_loss_alloc(ISSIM_LOSS_MAX, 2, NULL);
  issim_event ev = issim_event_init(g, -3, -1);
  double x[2], beta;
  issim_error err;
  ck_assert_msg(issim_design_point(p, &ev, x, &beta, &err) == ISSIM_OK, "%s", err.message);
  ck_assert_double_eq_tol(x[0], -3, 1e-4);
  ck_assert_double_eq_tol(x[1], -3, 1e-4);
  issim_loss_free(g);
  issim_model_free(p);
}
END_TEST

/* The four-branch series system: four design points (+-2.1213, +-2.1213),
 * each at beta = 3, all found by the multi-start search. */
START_TEST(test_four_branch)
{
  issim_model *p = independent_normals(2, NULL, NULL);
  issim_loss *g = expression_loss(2, "min(3 + 0.1*(x1-x2)^2 - (x1+x2)/sqrt(2), 3 + 0.1*(x1-x2)^2 + "
                                "(x1+x2)/sqrt(2), (x1-x2) + 6/sqrt(2), (x2-x1) + 6/sqrt(2))");
  issim_event ev = issim_event_init(g, 0, -1);
  double x[2 * 40], beta[40];
  size_t n;
  issim_error err;
  ck_assert_msg(issim_design_points(p, &ev, 40, x, beta, NULL, &n, &err) == ISSIM_OK, "%s",
                err.message);
  ck_assert_uint_ge(n, 4);
  int seen[4] = {0};
  for (size_t i = 0; i < 4; i++) {
    ck_assert_double_eq_tol(beta[i], 3, 1e-6);
    ck_assert_double_eq_tol(fabs(x[2 * i]), 3 / M_SQRT2, 1e-5);
    ck_assert_double_eq_tol(fabs(x[2 * i + 1]), 3 / M_SQRT2, 1e-5);
    seen[(x[2 * i] > 0) * 2 + (x[2 * i + 1] > 0)] = 1;
  }
  ck_assert(seen[0] && seen[1] && seen[2] && seen[3]);
  issim_loss_free(g);
  issim_model_free(p);
}
END_TEST

START_TEST(test_student_t)
{
  /* the same closed form for a t; the half-space probability is the t's tail */
  double loc[2] = {0, 0}, scale[4] = {1, 0, 0, 1};
  issim_model *p = issim_model_alloc_student_t(2, 4, loc, scale, NULL);
  issim_loss *g = issim_loss_alloc(ISSIM_LOSS_SUM, 2, NULL);
  issim_event ev = issim_event_init(g, 6, +1);
  double x[2], beta, lp;
  size_t n;
  ck_assert_int_eq(issim_design_points(p, &ev, 1, x, &beta, &lp, &n, NULL), ISSIM_OK);
  ck_assert_double_eq_tol(x[0], 3, 1e-14);
  ck_assert_double_eq_tol(beta, 6 / M_SQRT2, 1e-14);
  ck_assert_double_eq_tol(lp, log(gsl_cdf_tdist_Q(6 / M_SQRT2, 4)), 1e-12);
  issim_model *q = issim_design_shifted(p, x, 2, NULL);
  double qloc[2], ql[4], df;
  ck_assert_int_eq(issim_model_gaussian_form(q, qloc, ql, &df), ISSIM_OK);
  ck_assert_double_eq(df, 4);
  ck_assert_double_eq_tol(ql[0], 2, 1e-15);
  ck_assert_double_eq_tol(qloc[1], 3, 1e-15);
  issim_model_free(q);
  issim_loss_free(g);
  issim_model_free(p);
}
END_TEST

START_TEST(test_errors)
{
  issim_error err;
  double x[2];
  /* a mixture target has no standard space */
  issim_model *n2 = independent_normals(2, NULL, NULL);
  const issim_model *parts[2] = {n2, n2};
  issim_model *mix = issim_model_alloc_mixture(2, parts, (double[]){0.5, 0.5}, NULL);
  issim_loss *sum = issim_loss_alloc(ISSIM_LOSS_SUM, 2, NULL);
  issim_event ev = issim_event_init(sum, 3, +1);
  ck_assert_int_eq(issim_design_point(mix, &ev, x, NULL, &err), ISSIM_EINVAL);
  ck_assert_msg(strstr(err.message, "has no standard space") != NULL, "%s", err.message);
  x[0] = x[1] = 1;
  ck_assert_ptr_null(issim_design_shifted(mix, x, 1, &err));
  ck_assert_ptr_null(issim_design_mixture(mix, &ev, 1, &err));
  issim_model_free(mix);
  issim_model_free(n2);
  issim_model *p = independent_normals(2, NULL, NULL);
  /* weights all 0 */
  double zero[2] = {0, 0};
  issim_loss *flat = issim_loss_alloc_linear(2, zero, NULL);
  issim_event e0 = issim_event_init(flat, 3, +1);
  ck_assert_int_eq(issim_design_point(p, &e0, x, NULL, &err), ISSIM_EINVAL);
  ck_assert(strstr(err.message, "does not depend on x") != NULL);
  /* an event out of reach: exp(x1) < -1; and a loss flat everywhere */
  issim_loss *e = expression_loss(2, "exp(x1) + x2^2");
  issim_event unreachable = issim_event_init(e, -1, -1);
  ck_assert_int_eq(issim_design_point(p, &unreachable, x, NULL, &err), ISSIM_EINVAL);
  ck_assert_msg(strstr(err.message, "failed from every start") != NULL, "%s", err.message);
  issim_loss *step = expression_loss(2, "step(x1)");
  issim_event never = issim_event_init(step, 2, +1);
  ck_assert_int_eq(issim_design_point(p, &never, x, NULL, &err), ISSIM_EINVAL);
  ck_assert_msg(strstr(err.message, "gradient is 0") != NULL, "%s", err.message);
  /* a loss of another dimension */
  issim_loss *three = issim_loss_alloc(ISSIM_LOSS_SUM, 3, NULL);
  issim_event e3 = issim_event_init(three, 1, +1);
  ck_assert_int_eq(issim_design_point(p, &e3, x, NULL, &err), ISSIM_EINVAL);
  issim_loss_free(three);
  issim_loss_free(step);
  issim_loss_free(e);
  issim_loss_free(flat);
  issim_loss_free(sum);
  issim_model_free(p);
}
END_TEST

START_TEST(test_the_callers_own_model)
{
  /* x1 + x2 > 3 as a function loss: issim knows nothing of its form, so it
   * searches, and finds the closed form's point (1.5, 1.5), beta 3/sqrt 2 */
  issim_model *p = independent_normals(2, NULL, NULL);
  uint64_t count = 0;
  issim_loss *g = counting_sum_loss(2, INFINITY, &count);
  issim_event ev = issim_event_init(g, 3, +1);
  double x[2], beta;
  size_t n;
  issim_design_stats st;
  issim_error err;
  ck_assert_int_eq(issim_design_points_stats(p, &ev, 1, x, &beta, NULL, &n, &st, &err), ISSIM_OK);
  assert_close(x[0], 1.5, 1e-7);
  assert_close(x[1], 1.5, 1e-7);
  assert_close(beta, 3 / M_SQRT2, 1e-9);
  ck_assert(!st.closed_form);
  ck_assert_uint_eq(count, st.loss_evals); /* every evaluation counted */
  issim_loss_free(g);
  /* a model that fails where the search goes: the error, not "no point" */
  g = counting_sum_loss(2, 0.5, NULL);
  ev = issim_event_init(g, 3, +1);
  ck_assert_int_eq(issim_design_point(p, &ev, x, &beta, &err), ISSIM_ELOSS);
  ck_assert_msg(strstr(err.message, "the loss failed in the design-point search: counting sum "
                                    "failed on a batch of ") == err.message, "%s", err.message);
  issim_loss_free(g);
  issim_model_free(p);
}
END_TEST

/* issim_design_points_stats: what the search did.  The closed form
 * evaluates nothing; the search of x1 x2 > 9 (d = 2) tries 1 + 4 + 32
 * starts, then starts on the surface along rays (the rays that reach the
 * event, half of them here) and from the mirror images of the points, and
 * finds the two points, the second new one no later than the last start. */
START_TEST(test_stats)
{
  issim_model *p = independent_normals(2, NULL, NULL);
  issim_loss *lin = issim_loss_alloc_linear(2, W, NULL);
  issim_event ev = issim_event_init(lin, 5, +1);
  double x[2 * 64], beta[64];
  size_t n;
  issim_design_stats st;
  ck_assert_int_eq(issim_design_points_stats(p, &ev, 64, x, beta, NULL, &n, &st, NULL), ISSIM_OK);
  ck_assert(st.closed_form && st.loss_evals == 0 && st.starts == 0 && st.found == 1 && n == 1);
  issim_loss *g = expression_loss(2, "x1*x2");
  ev = issim_event_init(g, 9, +1);
  ck_assert_int_eq(issim_design_points_stats(p, &ev, 64, x, beta, NULL, &n, &st, NULL), ISSIM_OK);
  ck_assert(!st.closed_form);
  ck_assert_uint_gt(st.starts, 37 + 16);
  ck_assert_uint_eq(st.corners, 0);
  ck_assert_uint_eq(n, 2);
  ck_assert_uint_eq(st.found, 2);
  ck_assert(st.converged >= 2 && st.converged <= st.starts);
  ck_assert(st.last_new_start >= 2 && st.last_new_start <= st.starts);
  /* each start costs at least one iteration: c and the 2d-point gradient */
  ck_assert_uint_ge(st.loss_evals, st.starts * (1 + 2 * 2));
  /* the same points as issim_design_points */
  double x2[2 * 64];
  size_t n2;
  ck_assert_int_eq(issim_design_points(p, &ev, 64, x2, NULL, NULL, &n2, NULL), ISSIM_OK);
  ck_assert_uint_eq(n2, n);
  ck_assert(memcmp(x, x2, n * 2 * sizeof *x) == 0);
  issim_loss_free(g);
  issim_loss_free(lin);
  issim_model_free(p);
}
END_TEST


/* ---- the standard space of targets without an elliptical form ---- */

static issim_dist *family(const char *name, double a, double b)
{
  const char *const *keys = issim_dist_family_keys(name);
  issim_dist *d = issim_dist_alloc(name, 2, keys, (double[]){a, b}, NULL);
  ck_assert_ptr_nonnull(d);
  return d;
}

/* Takes the components. */
static issim_model *independent_of(size_t d, issim_dist **c)
{
  issim_model *m = issim_model_alloc_independent(d, (const issim_dist *const *)c, NULL);
  ck_assert_ptr_nonnull(m);
  for (size_t j = 0; j < d; j++)
    issim_dist_free(c[j]);
  return m;
}

/* max above t of a weibull, a gumbel and a lognormal: three half-spaces of u,
 * exact: each point's first-order P is P(X_k > t) itself, x*_k = t; and the
 * same for a copula of them (its scores z = L u). */
START_TEST(test_standard_space_max_union)
{
  issim_dist *c[3] = {family("weibull", 1.5, 2), family("gumbel", 3, 0.5), family("lognormal", 0, 1)};
  issim_dist *ref[3] = {issim_dist_clone(c[0]), issim_dist_clone(c[1]), issim_dist_clone(c[2])};
  issim_model *ind = independent_of(3, c);
  const double r[9] = {1, 0.6, 0.3, 0.6, 1, -0.2, 0.3, -0.2, 1};
  issim_model *cop = issim_model_alloc_copula(3, r, (const issim_dist *const *)ref, NULL);
  ck_assert_ptr_nonnull(cop);
  issim_loss *g = issim_loss_alloc(ISSIM_LOSS_MAX, 3, NULL);
  issim_event ev = issim_event_init(g, 8, +1);
  issim_model *targets[2] = {ind, cop};
  for (int t = 0; t < 2; t++) {
    double x[9], u[9], beta[3], lp[3];
    size_t n;
    issim_design_stats st;
    ck_assert_int_eq(issim_design_points_stats(targets[t], &ev, 3, x, beta, lp, &n, &st, NULL),
                     ISSIM_OK);
    ck_assert_uint_eq(n, 3);
    ck_assert(st.closed_form);
    ck_assert_int_eq(issim_design_standard_points(targets[t], &ev, 3, u, NULL, NULL, &n, NULL,
                                                  NULL), ISSIM_OK);
    int seen[3] = {0};
    for (size_t i = 0; i < 3; i++) {
      size_t k = 0; /* the coordinate at the threshold */
      for (size_t j = 1; j < 3; j++)
        k = fabs(x[i * 3 + j] - 8) < fabs(x[i * 3 + k] - 8) ? j : k;
      seen[k] = 1;
      ck_assert_double_eq_tol(x[i * 3 + k], 8, 1e-12 * 8);
      ck_assert_double_eq_tol(lp[i], issim_dist_log_sf(ref[k], 8), 1e-12 * fabs(lp[i]));
      double norm = 0;
      for (size_t j = 0; j < 3; j++)
        norm += u[i * 3 + j] * u[i * 3 + j];
      ck_assert_double_eq_tol(sqrt(norm), beta[i], 1e-12 * beta[i]);
    }
    ck_assert(seen[0] && seen[1] && seen[2]);
  }
  issim_loss_free(g);
  issim_model_free(ind);
  issim_model_free(cop);
  for (int j = 0; j < 3; j++)
    issim_dist_free(ref[j]);
}
END_TEST

/* A lognormal resistance R = exp(5 + 0.1 u1) against a normal load S = 100 +
 * 15 u2, failure R - S < 0: on the surface u2 = (R(u1) - 100) / 15, so beta
 * is the minimum over u1 of u1^2 + u2(u1)^2, found here by golden-section
 * search on the line, independently of design.c's HL-RF search in the plane.
 * FORM agrees, with x* on the surface. */
static double rs_distance2(double u1)
{
  double u2 = (exp(5 + 0.1 * u1) - 100) / 15;
  return u1 * u1 + u2 * u2;
}

START_TEST(test_standard_space_search)
{
  issim_dist *c[2] = {family("lognormal", 5, 0.1), family("normal", 100, 15)};
  issim_model *p = independent_of(2, c);
  issim_loss *g = issim_loss_alloc_linear(2, (double[]){1, -1}, NULL);
  issim_event ev = issim_event_init(g, 0, -1);
  double a = -10, b = 10, phi = (sqrt(5) - 1) / 2;
  for (int i = 0; i < 200; i++) {
    double c1 = b - phi * (b - a), c2 = a + phi * (b - a);
    if (rs_distance2(c1) < rs_distance2(c2))
      b = c2;
    else
      a = c1;
  }
  double want = sqrt(rs_distance2(0.5 * (a + b)));
  double x[2], beta;
  ck_assert_int_eq(issim_design_point(p, &ev, x, &beta, NULL), ISSIM_OK);
  ck_assert_double_eq_tol(beta, want, 1e-7);
  ck_assert_double_eq_tol(x[0] - x[1], 0, 1e-6);
  issim_form_result r;
  issim_error err;
  ck_assert_int_eq(issim_form_analyse(p, &ev, &r, &err), ISSIM_OK);
  ck_assert(r.transformed && r.normal_space);
  ck_assert_double_eq_tol(r.points[0].beta, want, 1e-7);
  issim_form_result_free(&r);
  issim_loss_free(g);
  issim_model_free(p);
}
END_TEST

/* Is one of the n points x (d = 2) within tol of (a, b)?  Its index, or -1. */
static int find_point(const double *x, size_t n, double a, double b, double tol)
{
  for (size_t i = 0; i < n; i++)
    if (fabs(x[2 * i] - a) <= tol && fabs(x[2 * i + 1] - b) <= tol)
      return (int)i;
  return -1;
}

/* RP57 of the Rozsas and Beck benchmark set (OpenTURNS' otbenchmark,
 * ReliabilityProblem57): g = min(max(g1, g2), g3) < 0 with g1 = -x1^2 + x2^3
 * + 3, g2 = 2 - x1 - 8 x2, g3 = (x1 + 3)^2 + (x2 + 3)^2 - 4, standard
 * normals.  Three regions: two corners where g1 = g2 = 0 (x2^3 = (2 - 8
 * x2)^2 - 3 and x1 = 2 - 8 x2, by bisection at 30 digits: x1 = 1.7320616529
 * and -1.7618095733), which HL-RF cannot converge to (u is never parallel to
 * the gradient at a corner), and the circle's point (-1.5858, -1.5858),
 * beta = 3 sqrt 2 - 2.  The search found only the circle's before the rays
 * and the corner search. */
START_TEST(test_rp57_corners)
{
  issim_model *p = independent_normals(2, NULL, NULL);
  issim_loss *g = expression_loss(2, "min(max(-x1^2 + x2^3 + 3, 2 - x1 - 8*x2), "
                                     "(x1 + 3)^2 + (x2 + 3)^2 - 4)");
  issim_event ev = issim_event_init(g, 0, -1);
  double x[2 * 64], beta[64];
  size_t n;
  issim_design_stats st;
  issim_error err;
  ck_assert_msg(issim_design_points_stats(p, &ev, 64, x, beta, NULL, &n, &st, &err) == ISSIM_OK,
                "%s", err.message);
  ck_assert_uint_eq(n, 3);
  const double c1 = 1.7320616528965509784, c2 = -1.7618095733322130469;
  int i1 = find_point(x, n, c1, (2 - c1) / 8, 1e-6), i2 = find_point(x, n, c2, (2 - c2) / 8, 1e-6);
  int i3 = find_point(x, n, 2 / sqrt(2.0) - 3, 2 / sqrt(2.0) - 3, 1e-6);
  ck_assert_msg(i1 >= 0 && i2 >= 0 && i3 >= 0, "%d %d %d", i1, i2, i3);
  assert_close(beta[i1], hypot(c1, (2 - c1) / 8), 1e-6);
  assert_close(beta[i3], 3 * sqrt(2.0) - 2, 1e-8);
  ck_assert_uint_eq(st.corners, 2);
  issim_loss_free(g);
  issim_model_free(p);
}
END_TEST

/* ---- estimates with design-point proposals in the standard space ---- */

static double f_rs(double s, void *unused)
{
  (void)unused;
  return gsl_ran_gaussian_pdf(s - 100, 15) * gsl_cdf_lognormal_P(s, 5, 0.1);
}

static double f_ln2(double x, void *t)
{
  return gsl_ran_lognormal_pdf(x, 0, 1) * gsl_cdf_lognormal_Q(*(double *)t - x, 0, 1);
}

/* Each case: a target without an elliptical form, an event, its exact P (by
 * a closed form or a quadrature written here), and a design-point proposal:
 * the estimate within 4 SE, and a trustworthy verdict on it. */
static double exact_of(int c)
{
  switch (c) {
  case 0: /* 3 exponentials of rate 2 summed: gamma(3, 1/2) beyond 10 */
    return gsl_cdf_gamma_Q(10, 3, 0.5);
  case 1: /* max of weibull(1.5, 2), gumbel(3.8, 0.5), lognormal(-1.2, 1) above 8 */
    return 1 - gsl_cdf_weibull_P(8, 2, 1.5) * exp(-exp(-(8 - 3.8) / 0.5)) *
                   gsl_cdf_lognormal_P(8, -1.2, 1);
  case 2: /* P(R < S) = int f_S(s) F_R(s) ds */
    return quadrature(f_rs, NULL, 0, 100 + 15 * 40);
  case 3: { /* P(X1 + X2 > 60) = P(X1 > 60) + int_0^60 f(x) P(X2 > 60 - x) dx */
    double t = 60;
    return gsl_cdf_lognormal_Q(t, 0, 1) + quadrature(f_ln2, &t, 0, t);
  }
  case 4: /* lognormals joined by a copula of rho 0.5, max above e^4 */
    return 2 * gsl_cdf_ugaussian_Q(4) - exp(issim_form_log_bvn_tail(4, 4, 0.5));
  default: /* a gumbel beyond 8 */
    return 1 - exp(-exp(-(8 - 3.2) / 0.4));
  }
}

static const char *const ESTIMATE_CASES[] = {
  "[target]\ndistribution = independent\ndimension = 3\ncomponent = exponential\nrate = 2\n"
  "[event]\nloss = sum\nthreshold = 10\n",
  "[target]\ndistribution = independent\ndimension = 3\ncomponent = weibull gumbel lognormal\n"
  "shape = 1.5\nscale = 2 0.5\nlocation = 3.8\nmeanlog = -1.2\nsdlog = 1\n"
  "[event]\nloss = max\nthreshold = 8\n",
  "[target]\ndistribution = independent\ndimension = 2\ncomponent = lognormal normal\n"
  "meanlog = 5\nsdlog = 0.1\nmean = 100\nsd = 15\n"
  "[event]\nloss = linear\nweights = 1 -1\nthreshold = 0\ndirection = <\n",
  "[target]\ndistribution = independent\ndimension = 2\ncomponent = lognormal\n"
  "[event]\nloss = sum\nthreshold = 60\n",
  "[target]\ndistribution = gaussian-copula\ndimension = 2\nmarginal = lognormal\ncorrelation = 0.5\n"
  "[event]\nloss = max\nthreshold = 54.598150033144236\n",
  "[target]\ndistribution = gumbel\nlocation = 3.2\nscale = 0.4\n[event]\nthreshold = 8\n",
};

/* The sum of exponentials: its limit surface curves round the origin (beta
 * kappa = -0.85 at the one design point), so a normal of spread 1 there has
 * weights whose tail is too heavy (k-hat 0.8: unreliable, and said so); spread
 * 2 covers the curved surface. */
START_TEST(test_standard_space_estimates)
{
  const char *shifts[] = {"design-points", "design-point"};
  for (int k = 0; k < 2; k++) {
    char text[2048];
    snprintf(text, sizeof text, "%s[proposal q]\ndistribution = shifted-target\nshift = %s\n%s",
             ESTIMATE_CASES[_i], shifts[k], _i == 0 ? "spread = 2\n" : "");
    if (k == 1 && (_i == 1 || _i == 3 || _i == 4))
      continue; /* several regions: one point is not enough (the regions check says so) */
    issim_scenario *s = scenario_parse_ok(text, "test.ini");
    issim_run_config cfg = run_config_of(s, "q", 200000, 2024, 2);
    issim_result r;
    issim_error err;
    ck_assert_msg(issim_analyse(s, &s->proposals[0], &cfg, 0, &r, &err) == ISSIM_OK, "%s",
                  err.message);
    double exact = exact_of(_i);
    ck_assert_within_4se(r.estimate.estimate, exact, r.estimate.std_error);
    ck_assert_msg(r.verdict.level == ISSIM_TRUSTWORTHY, "case %d, %s: verdict %d (%s)", _i,
                  shifts[k], r.verdict.level, r.verdict.n_reasons ? r.verdict.reasons[0] : "");
    ck_assert_msg(r.estimate.relative_error < 0.05, "case %d: relative error %g", _i,
                  r.estimate.relative_error);
    issim_result_clear(&r);
    issim_scenario_free(s);
  }
}
END_TEST

/* A piecewise limit state written with a conditional: R ~ N(6, 1), S ~ N(2,
 * 0.5), g = R + S < 6.75 ? R - 3 : 3.75 - S, which is min(R - 3, 3.75 - S):
 * the series system {R < 3} or {S > 3.75}, kinked along R + S = 6.75.  Two
 * design points, (3, 2) at beta 3 and (6, 3.75) at beta 3.5; exact P =
 * Q(3) + Q(3.5) - Q(3) Q(3.5).  The search (finite differences) must find
 * both on the kinked loss, and the design-points proposal must give a
 * trustworthy estimate within 4 SE of it; the same through if(). */
static const char *const PIECEWISE[] = {
  "x1 + x2 < 6.75 ? x1 - 3 : 3.75 - x2",
  "if(x1 + x2 >= 6.75, 3.75 - x2, x1 - 3)",
};

START_TEST(test_piecewise_conditional)
{
  const double q3 = gsl_cdf_ugaussian_Q(3), q35 = gsl_cdf_ugaussian_Q(3.5);
  const double exact = q3 + q35 - q3 * q35;
  const double mean[2] = {6, 2}, sd[2] = {1, 0.5};
  issim_model *p = independent_normals(2, mean, sd);
  issim_loss *g = expression_loss(2, PIECEWISE[_i]);
  issim_event ev = issim_event_init(g, 0, -1);
  double x[2 * 8], beta[8];
  size_t n;
  issim_error err;
  ck_assert_msg(issim_design_points(p, &ev, 8, x, beta, NULL, &n, &err) == ISSIM_OK, "%s",
                err.message);
  ck_assert_uint_eq(n, 2);
  ck_assert_double_eq_tol(beta[0], 3, 1e-6);
  ck_assert_double_eq_tol(x[0], 3, 1e-5);
  ck_assert_double_eq_tol(x[1], 2, 1e-5);
  ck_assert_double_eq_tol(beta[1], 3.5, 1e-6);
  ck_assert_double_eq_tol(x[2], 6, 1e-5);
  ck_assert_double_eq_tol(x[3], 3.75, 1e-5);
  issim_loss_free(g);
  issim_model_free(p);
  char text[1024];
  snprintf(text, sizeof text,
           "[target]\ndistribution = independent\ndimension = 2\ncomponent = normal\n"
           "mean = 6 2\nsd = 1 0.5\n[event]\nloss = expression\nexpression = %s\n"
           "threshold = 0\ndirection = <\n"
           "[proposal q]\ndistribution = shifted-target\nshift = design-points\n",
           PIECEWISE[_i]);
  issim_scenario *s = scenario_parse_ok(text, "test.ini");
  issim_run_config cfg = run_config_of(s, "q", 100000, 2026, 2);
  issim_result r;
  ck_assert_msg(issim_analyse(s, &s->proposals[0], &cfg, 0, &r, &err) == ISSIM_OK, "%s",
                err.message);
  ck_assert_within_4se(r.estimate.estimate, exact, r.estimate.std_error);
  ck_assert_msg(r.verdict.level == ISSIM_TRUSTWORTHY, "verdict %d (%s)", r.verdict.level,
                r.verdict.n_reasons ? r.verdict.reasons[0] : "");
  ck_assert(r.estimate.relative_error < 0.02);
  issim_result_clear(&r);
  issim_scenario_free(s);
}
END_TEST

/* RP35 of the same set (otbenchmark's ReliabilityProblem35): g = min(2 - x2
 * + exp(-0.1 x1^2) + (0.2 x1)^4, 4.5 - x1 x2) < 0.  Three smooth design
 * points at beta = 3: (0, 3) on the first branch, +-(2.1213, 2.1213) on the
 * second.  Starts near the origin all follow the first branch in the first
 * quadrant, so (2.1213, 2.1213) was missed; a ray along the diagonal first
 * meets the second branch, and the mirror image of (-2.1213, -2.1213) is the
 * point itself. */
START_TEST(test_rp35_mirror)
{
  issim_model *p = independent_normals(2, NULL, NULL);
  issim_loss *g = expression_loss(2, "min(2 - x2 + exp(-0.1*x1^2) + (0.2*x1)^4, 4.5 - x1*x2)");
  issim_event ev = issim_event_init(g, 0, -1);
  double x[2 * 64], beta[64];
  size_t n;
  issim_error err;
  ck_assert_msg(issim_design_points(p, &ev, 64, x, beta, NULL, &n, &err) == ISSIM_OK, "%s",
                err.message);
  ck_assert_uint_eq(n, 3);
  double a = 3 / sqrt(2.0);
  ck_assert(find_point(x, n, 0, 3, 1e-6) >= 0);
  ck_assert(find_point(x, n, a, a, 1e-6) >= 0);
  ck_assert(find_point(x, n, -a, -a, 1e-6) >= 0);
  for (size_t i = 0; i < n; i++)
    assert_close(beta[i], 3, 1e-8);
  issim_loss_free(g);
  issim_model_free(p);
}
END_TEST

static Suite *design_suite(void)
{
  Suite *s = suite_create("design");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_linear_closed_form);
  tcase_add_test(tc, test_expression_agrees_with_closed_form);
  tcase_add_test(tc, test_portfolio_scale_expression);
  tcase_add_test(tc, test_parabola);
  tcase_add_test(tc, test_norm);
  tcase_add_test(tc, test_max_union);
  tcase_add_test(tc, test_orthant_corner);
  tcase_add_test(tc, test_four_branch);
  tcase_add_test(tc, test_student_t);
  tcase_add_test(tc, test_errors);
  tcase_add_test(tc, test_stats);
  tcase_add_test(tc, test_standard_space_max_union);
  tcase_add_test(tc, test_standard_space_search);
  tcase_add_loop_test(tc, test_standard_space_estimates, 0,
                      (int)(sizeof ESTIMATE_CASES / sizeof *ESTIMATE_CASES));
  tcase_add_test(tc, test_rp57_corners);
  tcase_add_test(tc, test_rp35_mirror);
  tcase_add_loop_test(tc, test_piecewise_conditional, 0, 2);
  tcase_add_test(tc, test_the_callers_own_model);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  return run_suite(design_suite());
}
