/* Tests of transform.c: the iso-probabilistic transform and the proposals
 * drawn in the standard space. */
#include "model_helpers.h"
#include "pair.h"
#include "transform.h"

#include <gsl/gsl_permutation.h>

static issim_transform *transform_of(const issim_model *m)
{
  issim_error err;
  issim_transform *t = issim_transform_alloc(m, &err);
  ck_assert_msg(t != NULL, "transform: %s", err.message);
  return t;
}

static issim_model *independent_of(size_t d, issim_dist **comps)
{
  issim_error err;
  issim_model *m = issim_model_alloc_independent(d, (const issim_dist *const *)comps, &err);
  ck_assert_msg(m != NULL, "independent: %s", err.message);
  for (size_t j = 0; j < d; j++)
    issim_dist_free(comps[j]);
  return m;
}

/* log Q(u), u of either sign */
static double log_q(double u)
{
  return u >= 0 ? log_normal_sf(u) : log1p(-exp(log_normal_sf(-u)));
}

/* ---- the far tails, family by family ----
 * x = T(u) for a one-component target must satisfy log P(X > x) = log Q(u)
 * (u > 0) or log P(X <= x) = log Q(-u) (u < 0), computed by dist.c's own
 * tails: a check of copula.c's quantiles by independent code, out to u = +-40
 * (a tail of 4e-350, below the smallest double: Q(u) itself is 0 there, and
 * a quantile of Q(u) would be the end of the support).  And T^-1(T(u)) = u.
 * Each side is tested out to where x can hold its answer (lo, hi: the
 * largest |u|): a Cauchy's x at a tail of 1e-350 is 1e350, an exponential's
 * lower one 1e-350; and beyond a finite end other than 0 (uniform's upper
 * end, beta's, pareto's lower end) a tail of 1e-16 is already closer to the
 * end than a double resolves. */
static const struct {
  const char *family;
  size_t n;
  const char *keys[4];
  double v[4];
  double lo, hi;
} FAMILIES[] = {
  {"normal", 2, {"mean", "sd"}, {1, 2}, 40, 40},
  {"student-t", 3, {"df", "location", "scale"}, {3.5, 1, 2}, 40, 40},
  {"exponential", 1, {"rate"}, {2}, 37, 40},
  {"gamma", 2, {"shape", "scale"}, {2.5, 3}, 40, 40},
  {"lognormal", 2, {"meanlog", "sdlog"}, {0.5, 0.8}, 40, 40},
  {"laplace", 2, {"location", "scale"}, {-1, 2}, 40, 40},
  {"logistic", 2, {"location", "scale"}, {1, 0.5}, 40, 40},
  {"cauchy", 2, {"location", "scale"}, {2, 3}, 37, 37},
  {"weibull", 2, {"shape", "scale"}, {1.7, 2.5}, 40, 40},
  {"pareto", 2, {"shape", "scale"}, {2.5, 1.5}, 3, 40},
  {"gumbel", 2, {"location", "scale"}, {1, 2}, 40, 40},
  {"uniform", 2, {"lower", "upper"}, {0, 5}, 37, 3},
  {"beta", 2, {"alpha", "beta"}, {2, 5}, 40, 3},
  {"chi-squared", 1, {"df"}, {7}, 40, 40},
  /* the families of design codes (dist_engineering.c): a truncated normal
   * bounded at 0 resolves its lower tail to 1e-300, one cut out of the far
   * tail [40, 45] only to 1e-3 at either end (a double near 40 holds no
   * more); a reverse Weibull's upper end likewise to u = 8, a triangular's
   * upper end (3) to u = 3 */
  {"truncated-normal", 3, {"mean", "sd", "lower"}, {1, 2, 0}, 37, 40},
  {"truncated-normal", 4, {"mean", "sd", "lower", "upper"}, {0, 1, 40, 45}, 3, 3},
  {"gev", 3, {"location", "scale", "shape"}, {1, 2, 0.2}, 40, 40},
  {"gev", 3, {"location", "scale", "shape"}, {1, 2, 0}, 40, 40},
  {"gev", 3, {"location", "scale", "shape"}, {1, 2, -0.3}, 40, 8},
  {"triangular", 3, {"lower", "mode", "upper"}, {0, 1, 3}, 40, 3},
  {"lognormal", 2, {"mean", "cov"}, {10, 0.3}, 40, 40},
};

START_TEST(test_far_tails_of_every_family)
{
  const size_t c = (size_t)_i;
  issim_dist *comp[1] = {dist(FAMILIES[c].family, FAMILIES[c].n, FAMILIES[c].keys, FAMILIES[c].v)};
  issim_dist *ref = issim_dist_clone(comp[0]);
  issim_model *m = independent_of(1, comp);
  issim_transform *t = transform_of(m);
  const double us[] = {-40, -38.5, -37, -30, -8, -1, -1e-3, 0, 0.5, 3, 8, 30, 37, 38.5, 40};
  double scratch[1];
  for (size_t k = 0; k < sizeof us / sizeof *us; k++) {
    const double u = us[k];
    if (-u > FAMILIES[c].lo || u > FAMILIES[c].hi)
      continue;
    double x, back;
    issim_transform_to_x(t, 1, &u, &x, NULL, scratch);
    ck_assert_msg(isfinite(x) && x > ref->lower && x < ref->upper, "%s: T(%g) = %g",
                  FAMILIES[c].family, u, x);
    const double want = log_q(fabs(u)); /* the smaller side */
    const double got = u > 0 ? issim_dist_log_sf(ref, x) : issim_dist_log_cdf(ref, x);
    ck_assert_msg(fabs(got - want) <= 1e-10 * fmax(1, fabs(want)),
                  "%s at u = %g: x = %.17g, log tail %.17g, want %.17g", FAMILIES[c].family, u, x,
                  got, want);
    issim_transform_to_u(t, 1, &x, &back, scratch);
    assert_close(back, u, 1e-9 * (1 + fabs(u)));
  }
  issim_transform_free(t);
  issim_model_free(m);
  issim_dist_free(ref);
}
END_TEST

/* ---- targets of several dimensions ---- */

enum { NMODELS = 7, D = 3 };

/* 0: independent, a family per component; 1: a copula of a lognormal, a
 * weibull and a gumbel; 2: a multivariate normal; 3: a multivariate t(4)
 * (Rosenblatt); 4: a copula of a t(3), a gamma and a beta; 5: independent
 * truncated-normal, gev (Frechet) and lognormal by its mean and cov; 6: the
 * same three through a copula. */
static issim_model *model_case(int c)
{
  static const double r[D * D] = {1, 0.6, -0.3, 0.6, 1, 0.2, -0.3, 0.2, 1};
  static const double cov[D * D] = {4, 1.2, -0.6, 1.2, 1, 0.3, -0.6, 0.3, 2.25};
  static const double mu[D] = {1, -2, 0.5};
  switch (c) {
  case 0: {
    issim_dist *comps[D] = {dist("lognormal", 2, (const char *[]){"meanlog", "sdlog"}, (double[]){5, 0.1}),
                            normal(100, 15),
                            dist("exponential", 1, (const char *[]){"rate"}, (double[]){0.25})};
    return independent_of(D, comps);
  }
  case 1: {
    issim_dist *marg[D] = {dist("lognormal", 2, (const char *[]){"meanlog", "sdlog"}, (double[]){0, 1}),
                           dist("weibull", 2, (const char *[]){"shape", "scale"}, (double[]){1.5, 2}),
                           dist("gumbel", 2, (const char *[]){"location", "scale"}, (double[]){3, 0.5})};
    return make_copula(D, r, marg);
  }
  case 2:
    return make_normal(D, mu, cov);
  case 3:
    return make_t(D, 4, mu, cov);
  case 4: {
    issim_dist *marg[D] = {student(3, 0, 1), gamma_dist(2, 1.5),
                           dist("beta", 2, (const char *[]){"alpha", "beta"}, (double[]){2, 3})};
    return make_copula(D, r, marg);
  }
  default: {
    issim_dist *comps[D] = {
        dist("truncated-normal", 3, (const char *[]){"mean", "sd", "lower"}, (double[]){1, 2, 0}),
        dist("gev", 3, (const char *[]){"location", "scale", "shape"}, (double[]){1, 2, 0.2}),
        dist("lognormal", 2, (const char *[]){"mean", "cov"}, (double[]){10, 0.3})};
    return c == 5 ? independent_of(D, comps) : make_copula(D, r, comps);
  }
  }
}

/* u -> x -> u far out: every coordinate at +-30 or beyond (the copula's
 * scores z = L u then reach 40), and the t's first coordinate at 30, where
 * its value is 1e49. */
START_TEST(test_round_trip_far_out)
{
  issim_model *m = model_case(_i);
  issim_transform *t = transform_of(m);
  const double pts[][D] = {{30, -30, 0.3}, {-30, 30, -30}, {37, 1, -2}, {0.1, -37, 37},
                           {0, 0, 0}, {-1, 2, 0.5}};
  double s[D];
  for (size_t k = 0; k < sizeof pts / sizeof *pts; k++) {
    if (_i == 4 && k != 4 && k != 5) /* beta's upper end: not at 1e-300 (above) */
      continue;
    double x[D], u[D];
    issim_transform_to_x(t, 1, pts[k], x, NULL, s);
    for (size_t j = 0; j < D; j++)
      ck_assert_msg(isfinite(x[j]), "case %d point %zu: x%zu = %g", _i, k, j + 1, x[j]);
    issim_transform_to_u(t, 1, x, u, s);
    for (size_t j = 0; j < D; j++)
      assert_close(u[j], pts[k][j], 1e-8 * (1 + fabs(pts[k][j])));
  }
  issim_transform_free(t);
  issim_model_free(m);
}
END_TEST

/* log |det dx/du| against central differences of T itself (GSL's LU for
 * the determinant), at ordinary points and far out. */
START_TEST(test_jacobian_against_differences)
{
  issim_model *m = model_case(_i);
  issim_transform *t = transform_of(m);
  const double pts[][D] = {{0.3, -0.7, 1.1}, {2.5, -3, 4}, {-6, 5, 0.2}};
  double s[D];
  gsl_matrix *jm = gsl_matrix_alloc(D, D);
  gsl_permutation *perm = gsl_permutation_alloc(D);
  for (size_t k = 0; k < sizeof pts / sizeof *pts; k++) {
    double x[D], lj, up[D], um[D], xp[D], xm[D];
    issim_transform_to_x(t, 1, pts[k], x, &lj, s);
    for (size_t j = 0; j < D; j++) {
      const double h = 1e-5 * (1 + fabs(pts[k][j]));
      memcpy(up, pts[k], sizeof up);
      memcpy(um, pts[k], sizeof um);
      up[j] += h;
      um[j] -= h;
      issim_transform_to_x(t, 1, up, xp, NULL, s);
      issim_transform_to_x(t, 1, um, xm, NULL, s);
      for (size_t i = 0; i < D; i++)
        gsl_matrix_set(jm, i, j, (xp[i] - xm[i]) / (up[j] - um[j]));
    }
    int sign;
    gsl_linalg_LU_decomp(jm, perm, &sign);
    const double want = gsl_linalg_LU_lndet(jm);
    ck_assert_msg(fabs(lj - want) <= 1e-6 * fmax(1, fabs(want)),
                  "case %d point %zu: log|J| = %.12g, differences %.12g", _i, k, lj, want);
  }
  gsl_permutation_free(perm);
  gsl_matrix_free(jm);
  issim_transform_free(t);
  issim_model_free(m);
}
END_TEST

/* p(x) |det dx/du| = phi(u): the target's own log-density at T(u) (model.c,
 * copula.c) is log phi(u) - log |J|, at draws and far out. */
START_TEST(test_density_through_the_transform)
{
  enum { N = 400 };
  issim_model *m = model_case(_i);
  issim_transform *t = transform_of(m);
  gsl_rng *r = seeded(7 + (unsigned long)_i);
  double *u = xalloc(N * D), *x = xalloc(N * D), lj[N], lphi[N], lp[N], s[D];
  for (size_t i = 0; i < N * D; i++)
    u[i] = (i < 3 * D ? 12.0 : 1.5) * gsl_ran_gaussian(r, 1);
  issim_transform_to_x(t, N, u, x, lj, s);
  issim_transform_log_phi(D, N, u, lphi);
  log_pdf(m, N, x, lp);
  for (size_t i = 0; i < N; i++) {
    const double want = lphi[i] - lj[i];
    ck_assert_msg(fabs(lp[i] - want) <= 1e-9 * fmax(1, fabs(want)),
                  "case %d point %zu: log p = %.15g, log phi - log|J| = %.15g", _i, i, lp[i], want);
  }
  gsl_rng_free(r);
  free(u), free(x);
  issim_transform_free(t);
  issim_model_free(m);
}
END_TEST

/* ---- proposals in the standard space ---- */

/* q = T(N(mu_u, s^2 I)): its log-density at x = T(u) is log p(x) + log
 * N(u; mu_u, s^2 I) - log phi(u), written out here; the pair's fast path
 * (u kept from the draw) gives the same draws as issim_model_sample, the
 * target's own log p, and log q to rounding; the weights are phi(u)/q_u(u). */
START_TEST(test_proposal_density_and_pair)
{
  enum { N = 300 };
  const double mu_u[D] = {2, -1.5, 3}, sd = 1.3;
  issim_model *p = model_case(_i);
  issim_transform *t = transform_of(p);
  issim_dist *comps[D] = {normal(mu_u[0], sd), normal(mu_u[1], sd), normal(mu_u[2], sd)};
  issim_model *qu = independent_of(D, comps);
  issim_error err;
  issim_model *q = issim_transform_proposal(t, qu, &err);
  ck_assert_msg(q != NULL, "%s", err.message);
  ck_assert_int_eq(issim_model_kind_of(q), ISSIM_MODEL_TRANSFORMED);
  ck_assert_ptr_nonnull(issim_transform_inner(q));
  ck_assert(issim_transform_is_of(issim_transform_of(q), p));
  char desc[200];
  issim_model_describe(q, desc, sizeof desc);
  ck_assert_str_eq(desc, "standard-space(independent(d=3))");

  double *x = sample(q, 11, N), *u = xalloc(N * D), lq[N], lp[N], s[D];
  issim_transform_to_u(t, N, x, u, s);
  log_pdf(q, N, x, lq);
  log_pdf(p, N, x, lp);
  for (size_t i = 0; i < N; i++) {
    double lqu = 0, lphi = 0;
    for (size_t j = 0; j < D; j++) {
      const double e = (u[i * D + j] - mu_u[j]) / sd;
      lqu += -0.5 * e * e - log(sd) - 0.5 * log(2 * M_PI);
      lphi += -0.5 * u[i * D + j] * u[i * D + j] - 0.5 * log(2 * M_PI);
    }
    const double want = lp[i] + lqu - lphi;
    ck_assert_msg(fabs(lq[i] - want) <= 1e-9 * fmax(1, fabs(want)), "case %d: %.15g vs %.15g",
                  _i, lq[i], want);
  }

  issim_pair *pair = issim_pair_alloc(p, q);
  ck_assert_ptr_nonnull(pair);
  double *xp = xalloc(N * D), pp[N], pq[N];
  double *sc = xalloc(issim_pair_scratch(pair, N));
  gsl_rng *r = seeded(11);
  issim_pair_draw(pair, r, N, xp, pp, pq, sc);
  for (size_t i = 0; i < N; i++) {
    for (size_t j = 0; j < D; j++)
      ck_assert(xp[i * D + j] == x[i * D + j]);
    ck_assert(pp[i] == lp[i]);
    assert_close(pq[i], lq[i], 1e-9 * fmax(1, fabs(lq[i])));
  }
  gsl_rng_free(r);
  free(sc), free(xp);
  issim_pair_free(pair);

  /* a clone of the target is still the transform's own; another is not */
  issim_model *p2 = issim_model_clone(p), *other = model_case((_i + 1) % NMODELS);
  ck_assert(issim_transform_is_of(t, p2));
  ck_assert(!issim_transform_is_of(t, other));
  issim_model_free(p2);
  issim_model_free(other);

  free(x), free(u);
  issim_model_free(q);
  issim_model_free(qu);
  issim_transform_free(t);
  issim_model_free(p);
}
END_TEST

/* With q_u = N(0, I) the transformed model is the target itself in law:
 * its draws' means are the target's, within 4 SE (the t's and copula's
 * marginals through their own means and variances). */
START_TEST(test_standard_normal_carries_the_target)
{
  enum { N = 200000 };
  issim_model *p = model_case(_i);
  issim_transform *t = transform_of(p);
  issim_error err;
  issim_model *z = issim_transform_standard_normal(D, &err);
  ck_assert_ptr_nonnull(z);
  issim_model *q = issim_transform_proposal(t, z, &err);
  ck_assert_ptr_nonnull(q);
  double mean[D], cov[D * D];
  ck_assert_int_eq(issim_model_moments(p, mean, cov), ISSIM_OK);
  double *x = sample(q, 5, N);
  for (size_t j = 0; j < D; j++) {
    double s = 0;
    for (size_t i = 0; i < N; i++)
      s += x[i * D + j];
    ck_assert_within_4se(s / N, mean[j], sqrt(cov[j * D + j] / N));
  }
  free(x);
  issim_model_free(q);
  issim_model_free(z);
  issim_transform_free(t);
  issim_model_free(p);
}
END_TEST

START_TEST(test_errors)
{
  issim_model *a = model_case(2), *b = model_case(3);
  const issim_model *parts[2] = {a, b};
  issim_model *mix = make_mixture(2, parts, (double[]){0.5, 0.5});
  issim_error err;
  ck_assert_ptr_null(issim_transform_alloc(mix, &err));
  ck_assert_int_eq(err.code, ISSIM_EINVAL);
  ck_assert_str_eq(err.message, "mixture(d=3, k=2) has no standard space: issim knows the "
                                "iso-probabilistic transform of independent components, a "
                                "Gaussian copula, a multivariate normal and a multivariate t");
  issim_transform *t = transform_of(a);
  issim_model *z2 = issim_transform_standard_normal(2, &err);
  ck_assert_ptr_null(issim_transform_proposal(t, z2, &err));
  ck_assert_str_eq(err.message, "a proposal in the standard space must have the target's "
                                "dimension (3, not 2)");
  issim_model_free(z2);
  issim_transform_free(t);
  issim_model_free(mix);
  issim_model_free(a);
  issim_model_free(b);
}
END_TEST

static Suite *transform_suite(void)
{
  Suite *s = suite_create("transform");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 120);
  tcase_add_loop_test(tc, test_far_tails_of_every_family, 0,
                      (int)(sizeof FAMILIES / sizeof *FAMILIES));
  tcase_add_loop_test(tc, test_round_trip_far_out, 0, NMODELS);
  tcase_add_loop_test(tc, test_jacobian_against_differences, 0, NMODELS);
  tcase_add_loop_test(tc, test_density_through_the_transform, 0, NMODELS);
  tcase_add_loop_test(tc, test_proposal_density_and_pair, 0, NMODELS);
  tcase_add_loop_test(tc, test_standard_normal_carries_the_target, 0, NMODELS);
  tcase_add_test(tc, test_errors);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  return run_suite(transform_suite());
}
