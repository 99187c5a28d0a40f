/* check_credit.c: tests of credit.c, credit_exact.c and credit_shift.c
 * (credit portfolios, the Glasserman-Li sampler) against independent values.
 *
 * References: brute-force enumeration of the 2^n default patterns, GSL's
 * normal distribution functions and adaptive quadrature, closed forms for a
 * homogeneous book (the twist's root), the bivariate normal's orthant
 * formula, and estimates judged within 4 of their own standard errors.
 * Samples use fixed seeds.
 */
#define _GNU_SOURCE /* M_PI, mkdtemp, strdup */

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_integration.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_sf_erf.h>

#include "check_main.h"
#include "check_util.h"
#include "credit.h"
#include "model.h"
#include "pair.h"

/* A book of n obligors from arrays (asserted). */
static issim_credit_book *book(size_t n, size_t m, const double *p, const double *c,
                               const double *a)
{
  issim_error err;
  issim_credit_book *b = issim_credit_book_alloc(n, m, p, c, a, &err);
  ck_assert_msg(b != NULL, "%s", err.message);
  return b;
}

/* n identical obligors on one factor. */
static issim_credit_book *homogeneous(size_t n, double p, double c, double a)
{
  double *pp = xalloc(n), *cc = xalloc(n), *aa = xalloc(n);
  for (size_t k = 0; k < n; k++)
    pp[k] = p, cc[k] = c, aa[k] = a;
  issim_credit_book *b = book(n, 1, pp, cc, aa);
  free(pp), free(cc), free(aa);
  return b;
}

/* A small heterogeneous one-factor book with whole exposures. */
static issim_credit_book *small_book(void)
{
  const double p[8] = {0.01, 0.02, 0.005, 0.05, 0.1, 0.03, 0.015, 0.2};
  const double c[8] = {1, 3, 2, 4, 1, 2, 5, 1};
  const double a[8] = {0.3, 0.5, 0.2, 0.6, 0.1, 0.45, 0.7, 0.25};
  return book(8, 1, p, c, a);
}

static double cond_p(const issim_credit_book *b, size_t k, double z)
{
  return gsl_cdf_ugaussian_P((b->a[k] * z + b->h[k]) / b->b[k]);
}

/* P(L > t | z) of a one-factor book by enumerating the 2^n patterns. */
static double enumerated_tail(const issim_credit_book *b, double z, double t)
{
  double s = 0;
  for (unsigned long pat = 0; pat < (1ul << b->n); pat++) {
    double pr = 1, l = 0;
    for (size_t k = 0; k < b->n; k++) {
      double p = cond_p(b, k, z);
      int y = (pat >> k) & 1;
      pr *= y ? p : 1 - p;
      l += y ? b->c[k] : 0;
    }
    if (l > t)
      s += pr;
  }
  return s;
}

/* ---- the conditional recursion ---- */

START_TEST(test_credit_recursion_matches_enumeration)
{
  issim_credit_book *b = small_book();
  const double zs[4] = {-3, 0, 1.5, 4};
  long total = 0;
  for (size_t k = 0; k < b->n; k++)
    total += (long)b->c[k];
  double *pmf = xalloc((size_t)total + 1);
  for (int i = 0; i < 4; i++) {
    issim_error err;
    ck_assert_int_eq(issim_credit_conditional_pmf(b, &zs[i], pmf, (size_t)total + 1, &err),
                     ISSIM_OK);
    double sum = 0;
    for (long l = 0; l <= total; l++) {
      double want = enumerated_tail(b, zs[i], l - 0.5) - enumerated_tail(b, zs[i], l + 0.5);
      assert_close(pmf[l], want, 1e-14);
      sum += pmf[l];
    }
    assert_close(sum, 1, 1e-13);
  }
  free(pmf);
  issim_credit_book_free(b);
}
END_TEST

static double enumerated_integrand(double z, void *params)
{
  const double *tp = params;
  issim_credit_book *b = (issim_credit_book *)(size_t)tp[1];
  return exp(-0.5 * z * z) / sqrt(2 * M_PI) * enumerated_tail(b, z, tp[0]);
}

/* P(L > t) exactly: the recursion and quadrature against enumeration under
 * GSL's quadrature, from the bulk to the far tail. */
START_TEST(test_credit_exact_matches_enumeration)
{
  static const double ts[5] = {0.5, 3, 9.5, 15, 18.5};
  issim_credit_book *b = small_book();
  gsl_integration_workspace *ws = gsl_integration_workspace_alloc(1000);
  double params[2] = {ts[_i], (double)(size_t)b};
  gsl_function fn = {enumerated_integrand, params};
  double want, abserr, rel;
  gsl_integration_qagi(&fn, 0, 1e-12, 1000, ws, &want, &abserr);
  double got = issim_credit_exact_log_tail(b, ts[_i], &rel);
  ck_assert_msg(fabs(exp(got) / want - 1) < 1e-9, "t = %g: exact %.12g, enumeration %.12g",
                ts[_i], exp(got), want);
  ck_assert(rel < 1e-9);
  gsl_integration_workspace_free(ws);
  issim_credit_book_free(b);
}
END_TEST

START_TEST(test_credit_exact_edges)
{
  issim_credit_book *b = small_book();
  ck_assert(issim_credit_exact_log_tail(b, -1, NULL) == 0);
  ck_assert(issim_credit_exact_log_tail(b, 19, NULL) == -INFINITY); /* sum c = 19 */
  const double p[2] = {0.1, 0.1}, c[2] = {1.5, 1}, a[4] = {0.3, 0.2, 0.1, 0.1};
  issim_credit_book *frac = book(2, 1, p, c, a), *two = book(2, 2, p, (double[]){1, 1}, a);
  ck_assert(isnan(issim_credit_exact_log_tail(frac, 1, NULL))); /* not whole */
  ck_assert(isnan(issim_credit_exact_log_tail(two, 1, NULL)));  /* two factors */
  issim_credit_book_free(frac), issim_credit_book_free(two), issim_credit_book_free(b);
}
END_TEST

/* ---- log space: P below the smallest double ---- */

typedef struct {
  const issim_credit_book *b;
  double shift;
} all_default;

/* log of the integrand of P(all default) = int prod_k p_k(z) phi(z) dz,
 * without the recursion: sum_k log Phi(u_k(z)) from GSL's log erfc. */
static double all_default_log(const issim_credit_book *b, double z)
{
  double s = -0.5 * z * z - 0.5 * log(2 * M_PI);
  for (size_t k = 0; k < b->n; k++) {
    double u = (b->a[k] * z + b->h[k]) / b->b[k];
    s += u > -30 ? log(gsl_cdf_ugaussian_P(u)) : gsl_sf_log_erfc(-u / sqrt(2)) - log(2);
  }
  return s;
}

static double all_default_integrand(double z, void *params)
{
  all_default *a = params;
  return exp(all_default_log(a->b, z) - a->shift);
}

START_TEST(test_credit_log_space_far_below_double)
{
  issim_credit_book *b = homogeneous(300, 0.01, 1, 0.05);
  double got = issim_credit_exact_log_tail(b, 299.5, NULL); /* every obligor defaults */
  /* the reference: its peak on a grid, then GSL's quadrature around it */
  double zmax = 0, best = -INFINITY;
  for (double z = 0; z < 60; z += 0.01)
    if (all_default_log(b, z) > best)
      best = all_default_log(b, z), zmax = z;
  all_default a = {b, best};
  gsl_integration_workspace *ws = gsl_integration_workspace_alloc(1000);
  gsl_function fn = {all_default_integrand, &a};
  double v, abserr;
  gsl_integration_qag(&fn, zmax - 10, zmax + 10, 0, 1e-12, 1000, GSL_INTEG_GAUSS61, ws, &v,
                      &abserr);
  double want = best + log(v);
  ck_assert_msg(want < log(1e-300) - 10, "the test's event is not below 1e-300: log P = %g", want);
  ck_assert_msg(fabs(got - want) < 1e-8 * fabs(want), "log P = %.12g, want %.12g", got, want);
  gsl_integration_workspace_free(ws);
  issim_credit_book_free(b);
}
END_TEST

/* ---- the twist ---- */

/* A homogeneous book: psi'(theta) = n c p e^(theta c) / (1 + p (e^(theta c) - 1))
 * = x has the root theta = log(x (1 - p) / (p (n c - x))) / c. */
START_TEST(test_credit_twist_closed_form)
{
  const double cs[3] = {1, 2.5, 7};
  const size_t n = 50;
  for (int i = 0; i < 3; i++) {
    issim_credit_book *b = homogeneous(n, 0.02, cs[i], 0.4);
    double pz[50];
    for (double p = 1e-6; p < 0.5; p *= 3.7) {
      for (size_t k = 0; k < n; k++)
        pz[k] = p;
      for (double frac = 0.1; frac < 0.95; frac += 0.2) {
        double x = frac * n * cs[i], psi;
        double theta = issim_credit_twist(b, pz, x, &psi);
        double want = n * p * cs[i] >= x ? 0 : log(x * (1 - p) / (p * (n * cs[i] - x))) / cs[i];
        ck_assert_msg(fabs(theta - want) <= 1e-8 * fabs(want), "c %g p %g x %g: %.12g, want %.12g",
                      cs[i], p, x, theta, want);
        double want_psi = theta == 0 ? 0 : n * log1p(p * expm1(theta * cs[i]));
        assert_close(psi, want_psi, 1e-12 * fmax(1, fabs(want_psi)));
      }
    }
    issim_credit_book_free(b);
  }
}
END_TEST

/* ---- moments ---- */

START_TEST(test_credit_bvn_orthants_and_quadrature)
{
  const double rs[7] = {-0.99, -0.6, -0.1, 0.2, 0.7, 0.93, 0.999};
  for (int i = 0; i < 7; i++)
    assert_close(issim_credit_bvn(0, 0, rs[i]), 0.25 + asin(rs[i]) / (2 * M_PI), 1e-15);
  for (double h = -3; h < 3; h += 1.3)
    for (double k = -2.5; k < 3; k += 1.7)
      assert_close(issim_credit_bvn(h, k, 0), gsl_cdf_ugaussian_P(h) * gsl_cdf_ugaussian_P(k),
                   1e-15);
  /* r = 1: P(X < min(h, k)); r = -1: P(-k < X < h) */
  assert_close(issim_credit_bvn(0.3, -0.2, 1 - 1e-15), gsl_cdf_ugaussian_P(-0.2), 1e-7);
}
END_TEST

/* Var L of a one-factor book: E[Var(L | Z)] + Var(E[L | Z]) by quadrature. */
static double second_moment_integrand(double z, void *params)
{
  const issim_credit_book *b = params;
  double m = 0, v = 0;
  for (size_t k = 0; k < b->n; k++) {
    double p = cond_p(b, k, z);
    m += b->c[k] * p;
    v += b->c[k] * b->c[k] * p * (1 - p);
  }
  return exp(-0.5 * z * z) / sqrt(2 * M_PI) * (v + m * m);
}

START_TEST(test_credit_moments_match_quadrature)
{
  issim_credit_book *b = small_book();
  double mean, sd;
  ck_assert_int_eq(issim_credit_loss_moments(b, &mean, &sd), ISSIM_OK);
  double want_mean = 0;
  for (size_t k = 0; k < b->n; k++)
    want_mean += b->c[k] * b->p[k];
  gsl_integration_workspace *ws = gsl_integration_workspace_alloc(1000);
  gsl_function fn = {second_moment_integrand, b};
  double m2, abserr;
  gsl_integration_qagi(&fn, 0, 1e-13, 1000, ws, &m2, &abserr);
  assert_close(mean, want_mean, 1e-14);
  assert_close(sd, sqrt(m2 - want_mean * want_mean), 1e-10);
  gsl_integration_workspace_free(ws);
  issim_credit_book_free(b);
}
END_TEST

/* ---- the laws' densities and draws ---- */

/* log phi(z - mu) + sum_k log P(y_k | z), twisted: + theta L - psi. */
static double direct_log_pdf(const issim_credit_book *b, const double *x, double mu, double level)
{
  double z = x[0], s = -0.5 * (z - mu) * (z - mu) - 0.5 * log(2 * M_PI), l = 0;
  double pz[64];
  for (size_t k = 0; k < b->n; k++) {
    pz[k] = cond_p(b, k, z);
    s += x[1 + k] ? log(pz[k]) : log1p(-pz[k]);
    l += x[1 + k] * b->c[k];
  }
  if (!isnan(level)) {
    double psi, theta = issim_credit_twist(b, pz, level, &psi);
    s += theta * l - psi;
  }
  return s;
}

START_TEST(test_credit_pair_matches_formula)
{
  issim_credit_book *b = small_book();
  const double mu = 1.7, level = 12;
  issim_error err;
  issim_model *p = issim_model_alloc_credit(b, NULL, NAN, &err);
  issim_model *q = issim_model_alloc_credit(b, &mu, _i ? level : NAN, &err);
  ck_assert(p && q);
  issim_pair *pair = issim_pair_alloc(p, q);
  const size_t n = 300, d = issim_model_dim(p);
  ck_assert_int_eq(d, 9);
  double *x = xalloc(n * d), *x2 = xalloc(n * d), *lp = xalloc(n), *lq = xalloc(n);
  double *lp2 = xalloc(n), *lq2 = xalloc(n);
  double *scratch = xalloc(issim_pair_scratch(pair, n));
  gsl_rng *r = gsl_rng_alloc(gsl_rng_taus2), *r2 = gsl_rng_alloc(gsl_rng_taus2);
  gsl_rng_set(r, 5), gsl_rng_set(r2, 5);
  issim_pair_draw(pair, r, n, x, lp, lq, scratch);
  issim_model_sample(q, r2, n, x2, scratch);
  issim_model_log_pdf(p, n, x2, lp2, scratch);
  issim_model_log_pdf(q, n, x2, lq2, scratch);
  for (size_t i = 0; i < n; i++) {
    for (size_t j = 0; j < d; j++)
      ck_assert(x[i * d + j] == x2[i * d + j]);
    assert_close(lp[i], lp2[i], 1e-11 * fabs(lp2[i]));
    assert_close(lq[i], lq2[i], 1e-11 * fabs(lq2[i]));
    assert_close(lp[i], direct_log_pdf(b, x + i * d, 0, NAN), 1e-10 * fabs(lp[i]));
    assert_close(lq[i], direct_log_pdf(b, x + i * d, mu, _i ? level : NAN), 1e-9 * fabs(lq[i]));
  }
  x2[1] = 0.5; /* not a default indicator: no density */
  issim_model_log_pdf(p, 1, x2, lp2, scratch);
  ck_assert(lp2[0] == -INFINITY);
  gsl_rng_free(r), gsl_rng_free(r2);
  free(x), free(x2), free(lp), free(lq), free(lp2), free(lq2), free(scratch);
  issim_pair_free(pair);
  issim_model_free(p), issim_model_free(q);
  issim_credit_book_free(b);
}
END_TEST

/* ---- the factor shift ---- */

/* F_x(z) - z^2/2 of a homogeneous book from the closed-form root. */
static double bound_objective(double n, double p, double a, double x, double z)
{
  double pz = gsl_cdf_ugaussian_P((a * z + gsl_cdf_ugaussian_Pinv(p)) / sqrt(1 - a * a));
  double theta = n * pz >= x ? 0 : log(x * (1 - pz) / (pz * (n - x)));
  return -theta * x + n * log1p(pz * expm1(theta)) - 0.5 * z * z;
}

START_TEST(test_credit_shift_is_the_maximum)
{
  issim_credit_book *b = homogeneous(400, 0.01, 1, 0.5);
  double mu, value;
  issim_error err;
  ck_assert_int_eq(issim_credit_shift_tail_bound(b, 60, &mu, &value, &err), ISSIM_OK);
  ck_assert(mu > 0);
  assert_close(value, bound_objective(400, 0.01, 0.5, 60, mu), 1e-9);
  for (double dz = -0.1; dz <= 0.1; dz += 0.02) /* a maximum */
    ck_assert(bound_objective(400, 0.01, 0.5, 60, mu + dz) <= value + 1e-12);
  issim_credit_book_free(b);
}
END_TEST

/* ---- the CSV book ---- */

static char *book_file(const char *text)
{
  char *path = strdup("/tmp/issim-book-XXXXXX.csv");
  temp_file(path, 4);
  write_file(path, text);
  return path;
}

/* The error of reading `text`, asserted to contain "PATH:line:" and `what`. */
static void bad_book(const char *text, int line, const char *what)
{
  char *path = book_file(text);
  issim_error err = {0};
  issim_credit_book *b = issim_credit_book_read(path, &err);
  ck_assert_msg(b == NULL, "book accepted: %s", text);
  ck_assert_int_eq(err.code, ISSIM_EINVAL);
  char where[128];
  snprintf(where, sizeof where, "%s:%d: ", path, line);
  ck_assert_msg(strstr(err.message, where) != NULL, "'%s' lacks '%s'", err.message, where);
  ck_assert_msg(strstr(err.message, what) != NULL, "'%s' lacks '%s'", err.message, what);
  unlink(path);
  free(path);
}

START_TEST(test_credit_book_reads)
{
  char *path = book_file("# a comment\nname, exposure, a2, p, a1\n"
                         "first, 4, 0.1, 0.01, 0.3\n\n  second,1,0,0.5,-0.2\n");
  issim_error err;
  issim_credit_book *b = issim_credit_book_read(path, &err);
  ck_assert_msg(b != NULL, "%s", err.message);
  ck_assert_int_eq(b->n, 2);
  ck_assert_int_eq(b->m, 2);
  ck_assert(b->p[0] == 0.01 && b->c[0] == 4 && b->a[0] == 0.3 && b->a[1] == 0.1);
  ck_assert(b->p[1] == 0.5 && b->c[1] == 1 && b->a[2] == -0.2 && b->a[3] == 0);
  assert_close(b->h[1], 0, 1e-15);
  assert_close(b->b[0], sqrt(1 - 0.09 - 0.01), 1e-15);
  issim_credit_book_free(b);
  unlink(path);
  free(path);
}
END_TEST

START_TEST(test_credit_book_errors)
{
  bad_book("p,exposure,a1\n0.01,1,0.3\n1.5,1,0.3\n", 3, "strictly between 0 and 1 (got 1.5)");
  bad_book("p,exposure,a1\n0,1,0.3\n", 2, "strictly between 0 and 1 (got 0)");
  bad_book("p,exposure,a1,a2\n0.01,1,0.8,0.6\n", 2, "squares sum to 1");
  bad_book("p,exposure,a1,a2\n0.01,1,0.9,0.6\n", 2, "must be below 1");
  bad_book("p,exposure,a1\n0.01,-2,0.3\n", 2, "exposure must be a finite number >= 0");
  bad_book("p,exposure,a1\n0.01,1\n", 2, "2 fields, but the header has 3 columns");
  bad_book("p,exposure,a1\n# ok\n0.01,1,abc\n", 3, "a1 is 'abc', not a number");
  bad_book("p,exposure,a1\n0.01,1,nan\n", 2, "a1");
  bad_book("p,loss,a1\n0.01,1,0.3\n", 1, "must name the columns p, exposure");
  bad_book("p,exposure,a1,a3\n0.01,1,0.3,0.1\n", 1, "a2 is missing");
  bad_book("p,exposure,a1,p\n0.01,1,0.3,0.1\n", 1, "column 'p' appears twice");
  bad_book("", 0, "the book is empty");
  bad_book("p,exposure,a1\n", 1, "no obligor");
  issim_error err;
  ck_assert(issim_credit_book_read("/nonexistent/book.csv", &err) == NULL);
  ck_assert_int_eq(err.code, ISSIM_EIO);
}
END_TEST

/* ---- the scenario: estimates against the exact reference ---- */

#define SCENARIO                                                                           \
  "[target]\ndistribution = credit-portfolio\nobligors = %s\n"                              \
  "[event]\nthreshold = %g\n"                                                                \
  "[proposal gl]\ndistribution = glasserman-li\n"                                            \
  "[proposal shift]\ndistribution = factor-shift\n"                                          \
  "[proposal ce]\ndistribution = adaptive\nfamily = factor-shift\nlevel-draws = 4000\n"       \
  "[proposal crude]\ndistribution = target\n"

/* A 200-obligor one-factor book (p_k as Glasserman and Li's, exposures 1
 * to 3, loadings base + slope k) and its scenario in a temporary directory. */
static issim_scenario *credit_scenario(double threshold, double base, double slope, char **dir)
{
  *dir = strdup("/tmp/issim-credit-XXXXXX");
  ck_assert(mkdtemp(*dir) != NULL);
  char path[256], text[2048];
  snprintf(path, sizeof path, "%s/book.csv", *dir);
  FILE *f = fopen(path, "w");
  ck_assert(f != NULL);
  fprintf(f, "p,exposure,a1\n");
  for (int k = 0; k < 200; k++)
    fprintf(f, "%.17g,%d,%.17g\n", 0.01 * (1 + sin(16 * M_PI * (k + 1) / 200.0)) + 1e-4,
            1 + k % 3, base + slope * k);
  fclose(f);
  snprintf(text, sizeof text, SCENARIO, "book.csv", threshold);
  snprintf(path, sizeof path, "%s/credit.ini", *dir);
  write_file(path, text);
  issim_error err;
  issim_scenario *s = issim_scenario_read(path, &err);
  ck_assert_msg(s != NULL, "%s", err.message);
  return s;
}

static void remove_scenario(char *dir)
{
  char path[256];
  snprintf(path, sizeof path, "%s/book.csv", dir);
  unlink(path);
  snprintf(path, sizeof path, "%s/credit.ini", dir);
  unlink(path);
  rmdir(dir);
  free(dir);
}

START_TEST(test_credit_estimates_within_4se)
{
  char *dir;
  issim_scenario *s = credit_scenario(160, 0.3, 0.002, &dir);
  double exact = issim_scenario_exact_log(s);
  ck_assert_msg(exact < log(1e-4) && exact > log(1e-9), "log P = %g", exact);
  for (size_t i = 0; i < 3; i++) { /* gl, shift, ce */
    issim_proposal *p = &s->proposals[i];
    issim_error err;
    if (p->adaptive) {
      issim_problem pb;
      issim_adapt_fit fit;
      ck_assert_int_eq(issim_scenario_fit_start(s, p->adaptive, &pb, &err), ISSIM_OK);
      ck_assert_int_eq(issim_adapt_run(&pb, p->name, p->adaptive, 7, s->rng, 2, NULL, NULL, &fit,
                                    &err), ISSIM_OK);
      ck_assert_int_eq(fit.outcome, ISSIM_CE_REACHED);
      ck_assert_int_eq(issim_adapt_fit_realise(&pb, &fit, p->name, &p->model, &err),
                       ISSIM_OK);
      p->fitted = 1;
      issim_adapt_fit_clear(&fit);
    }
    issim_run_config cfg = run_config_of(s, p->name, 20000, 11, 2);
    issim_result r = {0};
    ck_assert_msg(issim_analyse(s, p, &cfg, 0, &r, &err) == ISSIM_OK, "%s", err.message);
    double est = exp(r.estimate.log_estimate), se = exp(r.estimate.log_std_error);
    ck_assert_within_4se(est, exp(exact), se);
    ck_assert_msg(r.verdict.level == ISSIM_TRUSTWORTHY, "%s: %s", p->name,
                  r.verdict.n_reasons ? r.verdict.reasons[0] : "");
    ck_assert_int_eq(r.variance, ISSIM_VARIANCE_FINITE);
    issim_result_clear(&r);
  }
  issim_scenario_free(s);
  remove_scenario(dir);
}
END_TEST

/* Far below the smallest double: every obligor of a 200-obligor book
 * defaults, estimated by the Glasserman-Li proposal in log space. */
START_TEST(test_credit_estimate_below_1e300)
{
  char *dir;
  issim_scenario *s = credit_scenario(398.5, 0.02, 0, &dir); /* sum c = 399 */
  double exact = issim_scenario_exact_log(s);
  ck_assert_msg(isfinite(exact) && exact < log(1e-300), "log P = %g", exact);
  issim_run_config cfg = run_config_of(s, "gl", 20000, 3, 2);
  issim_result r = {0};
  issim_error err;
  ck_assert_msg(issim_analyse(s, &s->proposals[0], &cfg, 0, &r, &err) == ISSIM_OK, "%s",
                err.message);
  /* within 4 SE, in logs: |P^ - P| <= 4 SE  <=>  |P^/P - 1| <= 4 SE/P */
  double rel = exp(r.estimate.log_estimate - exact) - 1;
  double rel_se = exp(r.estimate.log_std_error - exact);
  ck_assert_msg(fabs(rel) <= 4 * rel_se && rel_se < 0.1, "relative error %g, SE %g", rel, rel_se);
  issim_result_clear(&r);
  issim_scenario_free(s);
  remove_scenario(dir);
}
END_TEST

/* The scenario's own errors: a bad book gives the book's file and line and
 * the scenario's; what a credit target refuses. */
static void scenario_fails(const char *dir, const char *text, const char *what)
{
  char path[256];
  snprintf(path, sizeof path, "%s/bad.ini", dir);
  write_file(path, text);
  issim_error err = {0};
  issim_scenario *s = issim_scenario_read(path, &err);
  ck_assert_msg(s == NULL, "accepted: %s", text);
  ck_assert_int_eq(err.code, ISSIM_EINVAL);
  ck_assert_msg(strstr(err.message, what) != NULL, "'%s' lacks '%s'", err.message, what);
  unlink(path);
}

START_TEST(test_credit_scenario_errors)
{
  char *dir;
  issim_scenario *s = credit_scenario(10, 0.3, 0, &dir);
  issim_scenario_free(s);
  char book[256], text[1024], where[300];
  snprintf(book, sizeof book, "%s/worse.csv", dir);
  write_file(book, "p,exposure,a1\n0.01,1,0.3\n0.02,1,1.2\n");
  snprintf(where, sizeof where, "%s:3: the loadings' squares sum to 1.44", book);
  snprintf(text, sizeof text, "[target]\ndistribution = credit-portfolio\nobligors = worse.csv\n"
                              "[event]\nthreshold = 1\n[proposal c]\ndistribution = target\n");
  scenario_fails(dir, text, where);
  scenario_fails(dir, text, "(the obligors of ");
  unlink(book);
  const char *head = "[target]\ndistribution = credit-portfolio\nobligors = book.csv\n[event]\n";
  snprintf(text, sizeof text, "%sthreshold = 10\nloss = sum\n[proposal c]\ndistribution = target\n",
           head);
  scenario_fails(dir, text, "remove 'loss'");
  snprintf(text, sizeof text, "%sthreshold = 10\n[proposal n]\ndistribution = multivariate-normal\n"
                              "dimension = 201\n", head);
  scenario_fails(dir, text, "does not draw default indicators");
  snprintf(text, sizeof text, "%sthreshold = 399\n[proposal c]\ndistribution = target\n", head);
  scenario_fails(dir, text, "impossible");
  snprintf(text, sizeof text, "%sthreshold = 10\n[proposal g]\ndistribution = glasserman-li\n"
                              "shift = 1 2\n", head);
  scenario_fails(dir, text, "shift has 2 values");
  snprintf(text, sizeof text, "[target]\ndistribution = normal\n[event]\nthreshold = 3\n"
                              "[proposal g]\ndistribution = factor-shift\n");
  scenario_fails(dir, text, "needs a credit-portfolio target");
  snprintf(text, sizeof text, "[target]\ndistribution = credit-portfolio\n[event]\nthreshold = 3\n"
                              "[proposal c]\ndistribution = target\n");
  scenario_fails(dir, text, "needs 'obligors'");
  remove_scenario(dir);
}
END_TEST

/* threshold = K sigma: the loss's exact mean plus K exact sds. */
START_TEST(test_credit_threshold_in_sigmas)
{
  char *dir;
  issim_scenario *s = credit_scenario(10, 0.3, 0.002, &dir);
  const issim_credit_book *b = issim_credit_law_book(issim_model_credit_law(s->target));
  double mean, sd;
  issim_credit_loss_moments(b, &mean, &sd);
  issim_scenario_free(s);
  char path[256], text[512];
  snprintf(path, sizeof path, "%s/credit.ini", dir);
  snprintf(text, sizeof text, "[target]\ndistribution = credit-portfolio\nobligors = book.csv\n"
                              "[event]\nthreshold = 4 sigma\n[proposal c]\ndistribution = target\n");
  write_file(path, text);
  issim_error err;
  s = issim_scenario_read(path, &err);
  ck_assert_msg(s != NULL, "%s", err.message);
  assert_close(s->event.threshold, mean + 4 * sd, 1e-12 * (mean + 4 * sd));
  char desc[128];
  issim_scenario_describe_event(s, desc, sizeof desc);
  ck_assert_msg(strstr(desc, "default loss > ") && strstr(desc, "(4 sigma)"), "%s", desc);
  issim_scenario_free(s);
  remove_scenario(dir);
}
END_TEST

static Suite *credit_suite(void)
{
  Suite *s = suite_create("credit");
  TCase *tc = tcase_create("credit");
  tcase_set_timeout(tc, 300);
  tcase_add_test(tc, test_credit_recursion_matches_enumeration);
  tcase_add_loop_test(tc, test_credit_exact_matches_enumeration, 0, 5);
  tcase_add_test(tc, test_credit_exact_edges);
  tcase_add_test(tc, test_credit_log_space_far_below_double);
  tcase_add_test(tc, test_credit_twist_closed_form);
  tcase_add_test(tc, test_credit_bvn_orthants_and_quadrature);
  tcase_add_test(tc, test_credit_moments_match_quadrature);
  tcase_add_loop_test(tc, test_credit_pair_matches_formula, 0, 2);
  tcase_add_test(tc, test_credit_shift_is_the_maximum);
  tcase_add_test(tc, test_credit_book_reads);
  tcase_add_test(tc, test_credit_book_errors);
  tcase_add_test(tc, test_credit_estimates_within_4se);
  tcase_add_test(tc, test_credit_estimate_below_1e300);
  tcase_add_test(tc, test_credit_scenario_errors);
  tcase_add_test(tc, test_credit_threshold_in_sigmas);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  return run_suite(credit_suite());
}
