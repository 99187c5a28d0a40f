/* check_divergence.c: tests of divergence.c (exact entropy, cross-entropy
 * and KL divergence).
 *
 * References, independent of the code under test:
 *   - closed-form values worked out by hand below (each with its derivation);
 *   - the identity KL(p || q) = H(p, q) - H(p), where divergence.c computes
 *     KL and H(p, q) by separate formulas (or separate integrals) and H(p)
 *     comes from dist.c;
 *   - for a normal q, H(p, q) = log(2 pi)/2 + log s + (Var p + (E p - m)^2)
 *     / (2 s^2) for any p with a variance, and for an exponential q,
 *     H(p, q) = -log r + r (E p - l): moments from dist.c against quadrature;
 *   - a composite Simpson rule written here, on a plain grid over [-40, 40].
 *
 * main() leaves GSL's error handler alone (unlike check_dist.c): divergence.c
 * must never reach it, and if it did the default handler's abort() would fail
 * the test that did so.
 */
#include <check.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_math.h>
#include <gsl/gsl_sf_erf.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_integration.h>
#include <gsl/gsl_cdf.h>

#include "divergence.h"
#include "tail.h"
#include "check_main.h"
#include "check_util.h"

/* ---- assertions ---- */

/* assert_close: check_util.h */

/* |got - want| <= rel max(|want|, 1e-300). */
#define assert_rel(got, want, rel)                                             \
  assert_close(got, want, (rel) * fmax(fabs((double) (want)), 1e-300))

#define assert_how(got, want)                                                  \
  ck_assert_msg((got) == (want), "method %s, want %s",                         \
                issim_exact_method_name(got), issim_exact_method_name(want))

/* ---- building distributions ---- */

typedef struct {
  const char *family;
  size_t n;
  const char *keys[3];
  double values[3];
} spec;

static issim_dist *make(spec s)
{
  issim_error err;
  issim_dist *d = issim_dist_alloc(s.family, s.n, s.keys, s.values, &err);
  ck_assert_msg(d != NULL, "%s: %s", s.family, err.message);
  return d;
}

#define NORMAL(m, s) ((spec){"normal", 2, {"mean", "sd"}, {(m), (s)}})
#define STUDENT(df, l, s) ((spec){"student-t", 3, {"df", "location", "scale"}, {(df), (l), (s)}})
#define EXPO(r, l) ((spec){"exponential", 2, {"rate", "location"}, {(r), (l)}})
#define GAMMA(k, t) ((spec){"gamma", 2, {"shape", "scale"}, {(k), (t)}})
#define LOGNORMAL(m, s) ((spec){"lognormal", 2, {"meanlog", "sdlog"}, {(m), (s)}})
#define LAPLACE(l, s) ((spec){"laplace", 2, {"location", "scale"}, {(l), (s)}})
#define LOGISTIC(l, s) ((spec){"logistic", 2, {"location", "scale"}, {(l), (s)}})
#define CAUCHY(l, s) ((spec){"cauchy", 2, {"location", "scale"}, {(l), (s)}})
#define WEIBULL(k, l) ((spec){"weibull", 2, {"shape", "scale"}, {(k), (l)}})
#define PARETO(a, s) ((spec){"pareto", 2, {"shape", "scale"}, {(a), (s)}})
#define GUMBEL(l, s) ((spec){"gumbel", 2, {"location", "scale"}, {(l), (s)}})
#define UNIFORM(a, b) ((spec){"uniform", 2, {"lower", "upper"}, {(a), (b)}})
#define BETA(a, b) ((spec){"beta", 2, {"alpha", "beta"}, {(a), (b)}})
#define CHISQ(k) ((spec){"chi-squared", 1, {"df"}, {(k)}})

typedef struct {
  spec p, q;
} pair;

/* H(p, q), KL(p || q) and their methods, for a pair. */
typedef struct {
  double h, kl;
  issim_exact_method h_how, kl_how;
} result;

static result exact(spec ps, spec qs)
{
  issim_dist *p = make(ps), *q = make(qs);
  result r;
  r.h = issim_cross_entropy_exact(p, q, &r.h_how);
  r.kl = issim_kl_exact(p, q, &r.kl_how);
  issim_dist_free(p);
  issim_dist_free(q);
  return r;
}

static double entropy_of(spec s)
{
  issim_dist *d = make(s);
  const double h = issim_dist_entropy(d);
  issim_dist_free(d);
  return h;
}

/* ---- names ---- */

START_TEST(test_method_names)
{
  ck_assert_str_eq(issim_exact_method_name(ISSIM_EXACT_CLOSED_FORM), "closed form");
  ck_assert_str_eq(issim_exact_method_name(ISSIM_EXACT_QUADRATURE), "quadrature");
  ck_assert_str_eq(issim_exact_method_name(ISSIM_EXACT_INFINITE), "infinite");
  ck_assert_str_eq(issim_exact_method_name(ISSIM_EXACT_NONE), "unknown");
  ck_assert_str_eq(issim_exact_method_name((issim_exact_method) 99), "unknown");
}
END_TEST

/* ---- closed forms against hand-computed values ---- */

START_TEST(test_normal_pair)
{
  /* p = N(0, 1), q = N(1, 2^2): E_p[(x - 1)^2] = 1 + 1 = 2, so
   *   H(p, q) = log(2 pi)/2 + log 2 + 2 / (2 * 4)
   *           = 0.9189385332046727 + 0.6931471805599453 + 0.25
   *           = 1.862085713764618;
   *   KL = log(2/1) + (1 + 1)/(2 * 4) - 1/2 = log 2 - 1/4 = 0.4431471805599453. */
  result r = exact(NORMAL(0, 1), NORMAL(1, 2));
  assert_how(r.h_how, ISSIM_EXACT_CLOSED_FORM);
  assert_how(r.kl_how, ISSIM_EXACT_CLOSED_FORM);
  assert_rel(r.h, 0.5 * log(2 * M_PI) + M_LN2 + 0.25, 1e-15);
  assert_rel(r.h, 1.862085713764618, 1e-15);
  assert_rel(r.kl, M_LN2 - 0.25, 1e-15);
  assert_rel(r.kl, 0.4431471805599453, 1e-15);

  /* p = N(0, 1), q = N(0, 1): KL = 0, H(p, q) = H(p) = (1 + log 2 pi)/2. */
  r = exact(NORMAL(0, 1), NORMAL(0, 1));
  ck_assert(r.kl == 0);
  assert_rel(r.h, 0.5 * (1 + log(2 * M_PI)), 1e-15);

  /* a tiny shift keeps its relative accuracy: KL(N(0,1) || N(1e-6, 1)) =
   * (1e-6)^2 / 2 = 5e-13 exactly in the formula, not H(p,q) - H(p) ~ 1.4189
   * - 1.4189 whose rounding is ~1e-16 absolute, 1e-4 relative. */
  r = exact(NORMAL(0, 1), NORMAL(1e-6, 1));
  assert_rel(r.kl, 5e-13, 1e-12);
  /* and a tiny change of scale: t = (1 + 1e-8)^2 - 1 = 2e-8 + 1e-16, and
   * KL = (t - log1p t)/2 = t^2/4 - t^3/6 + ... = 1e-16 (1 - 3.3e-9). */
  r = exact(NORMAL(0, 1 + 1e-8), NORMAL(0, 1));
  assert_rel(r.kl, 1e-16, 1e-7);
}
END_TEST

START_TEST(test_exponential_pairs)
{
  /* p = Exp(rate 2, location 1), q = Exp(rate 0.5, location 0):
   * log q(x) = log 0.5 - 0.5 x on x >= 0, E_p[x] = 1 + 1/2, so
   *   H(p, q) = -log 0.5 + 0.5 * 1.5 = log 2 + 0.75 = 1.4431471805599453;
   *   KL = log(2/0.5) + 0.5/2 - 1 + 0.5 (1 - 0) = 2 log 2 - 0.25
   *      = 1.1362943611198906. */
  result r = exact(EXPO(2, 1), EXPO(0.5, 0));
  assert_how(r.h_how, ISSIM_EXACT_CLOSED_FORM);
  assert_how(r.kl_how, ISSIM_EXACT_CLOSED_FORM);
  assert_rel(r.h, M_LN2 + 0.75, 1e-15);
  assert_rel(r.h, 1.4431471805599453, 1e-15);
  assert_rel(r.kl, 2 * M_LN2 - 0.25, 1e-15);
  assert_rel(r.kl, 1.1362943611198906, 1e-15);

  /* equal locations, the textbook case: KL(Exp(1) || Exp(2)) =
   * log(1/2) + 2/1 - 1 = 1 - log 2 = 0.3068528194400547;
   * H(p, q) = -log 2 + 2 * 1 = 2 - log 2. */
  r = exact(EXPO(1, 0), EXPO(2, 0));
  assert_rel(r.kl, 1 - M_LN2, 1e-15);
  assert_rel(r.h, 2 - M_LN2, 1e-15);

  /* both located at 3: the locations cancel (KL(Exp(1) || Exp(2)) again). */
  r = exact(EXPO(1, 3), EXPO(2, 3));
  assert_rel(r.kl, 1 - M_LN2, 1e-15);

  /* p's location below q's: p has mass on [0, 0.5) where q = 0: infinite. */
  r = exact(EXPO(1, 0), EXPO(1, 0.5));
  ck_assert(r.h == INFINITY && r.kl == INFINITY);
  assert_how(r.h_how, ISSIM_EXACT_INFINITE);
  assert_how(r.kl_how, ISSIM_EXACT_INFINITE);
}
END_TEST

START_TEST(test_gamma_pair)
{
  /* p = Gamma(shape 2, scale 1), q = Gamma(shape 3, scale 2);
   * psi(2) = 1 - gamma_E, lnG(2) = 0, lnG(3) = log 2.
   *   H(p, q) = lnG(3) + 3 log 2 - (3 - 1)(psi(2) + log 1) + 2 * 1/2
   *           = 4 log 2 - 2 (1 - gamma_E) + 1 = 4 log 2 + 2 gamma_E - 1
   *           = 2.927020052042847;
   *   KL = (2 - 3) psi(2) - lnG(2) + lnG(3) + 3 log(2/1) + 2 (1 - 2)/2
   *      = -(1 - gamma_E) + 4 log 2 - 1 = 4 log 2 + gamma_E - 2
   *      = 1.349804387141314. */
  result r = exact(GAMMA(2, 1), GAMMA(3, 2));
  assert_how(r.h_how, ISSIM_EXACT_CLOSED_FORM);
  assert_how(r.kl_how, ISSIM_EXACT_CLOSED_FORM);
  assert_rel(r.h, 4 * M_LN2 + 2 * M_EULER - 1, 1e-14);
  assert_rel(r.h, 2.927020052042847, 1e-14);
  assert_rel(r.kl, 4 * M_LN2 + M_EULER - 2, 1e-14);
  assert_rel(r.kl, 1.349804387141314, 1e-14);

  /* chi-squared(4) is gamma(2, scale 2): KL 0 between them, and
   * H(p, q) = H(p) = 2 + log 2 + lnG(2) + (1 - 2) psi(2) = 1 + log 2 + gamma_E. */
  r = exact(CHISQ(4), GAMMA(2, 2));
  assert_how(r.kl_how, ISSIM_EXACT_CLOSED_FORM);
  assert_close(r.kl, 0, 1e-15);
  assert_rel(r.h, 1 + M_LN2 + M_EULER, 1e-14);
}
END_TEST

START_TEST(test_laplace_pair)
{
  /* p = Laplace(0, 1), q = Laplace(1, 2), d = 1:
   * E_p|x - 1| = d + b1 e^{-d/b1} = 1 + e^-1, so
   *   H(p, q) = log(2 * 2) + (1 + e^-1)/2 = 2.0702340817056118;
   *   KL = log(2/1) + 1/2 + (1/2) e^-1 - 1 = log 2 - 1/2 + e^-1/2
   *      = 0.3770869011456665. */
  result r = exact(LAPLACE(0, 1), LAPLACE(1, 2));
  assert_how(r.h_how, ISSIM_EXACT_CLOSED_FORM);
  assert_how(r.kl_how, ISSIM_EXACT_CLOSED_FORM);
  assert_rel(r.h, 2 * M_LN2 + 0.5 * (1 + exp(-1)), 1e-15);
  assert_rel(r.h, 2.0702340817056118, 1e-15);
  assert_rel(r.kl, M_LN2 - 0.5 + 0.5 * exp(-1), 1e-15);
  assert_rel(r.kl, 0.3770869011456665, 1e-15);

  /* symmetric in the sign of the shift */
  result s = exact(LAPLACE(1, 1), LAPLACE(0, 2));
  assert_rel(s.kl, r.kl, 1e-15);
  assert_rel(s.h, r.h, 1e-15);
}
END_TEST

START_TEST(test_lognormal_pair)
{
  /* log x ~ N(m, s^2): KL is that of the normals (invariant under x ->
   * log x), and H(p, q) = E_p[log x] + H(normals) = m1 + H(normals).
   * LN(0, 1) || LN(1, 2): KL = log 2 - 1/4, H = 0 + 1.862085713764618.
   * LN(2, 1) || LN(1, 2): (m1 - m2)^2 = 1 again: KL the same, H = 2 + 1.862... */
  result r = exact(LOGNORMAL(0, 1), LOGNORMAL(1, 2));
  assert_how(r.h_how, ISSIM_EXACT_CLOSED_FORM);
  assert_how(r.kl_how, ISSIM_EXACT_CLOSED_FORM);
  assert_rel(r.kl, M_LN2 - 0.25, 1e-15);
  assert_rel(r.h, 1.862085713764618, 1e-15);
  r = exact(LOGNORMAL(2, 1), LOGNORMAL(1, 2));
  assert_rel(r.kl, M_LN2 - 0.25, 1e-15);
  assert_rel(r.h, 3.862085713764618, 1e-15);
}
END_TEST

START_TEST(test_uniform_pairs)
{
  /* nested: p = U(0, 1) in q = U(-1, 2): log q = -log 3 on p's support:
   * H(p, q) = log 3, KL = log(3/1) = log 3. */
  result r = exact(UNIFORM(0, 1), UNIFORM(-1, 2));
  assert_how(r.h_how, ISSIM_EXACT_CLOSED_FORM);
  assert_how(r.kl_how, ISSIM_EXACT_CLOSED_FORM);
  assert_rel(r.h, log(3.0), 1e-15);
  assert_rel(r.kl, log(3.0), 1e-15);
  /* p = U(0.25, 0.75) in q = U(0, 1): H = log 1 = 0, KL = log(1/0.5) = log 2. */
  r = exact(UNIFORM(0.25, 0.75), UNIFORM(0, 1));
  assert_close(r.h, 0, 1e-16);
  assert_rel(r.kl, M_LN2, 1e-15);
  /* equal: KL 0 */
  r = exact(UNIFORM(-2, 5), UNIFORM(-2, 5));
  ck_assert(r.kl == 0);
  /* overlapping, not nested: infinite */
  r = exact(UNIFORM(0, 2), UNIFORM(1, 3));
  ck_assert(r.h == INFINITY && r.kl == INFINITY);
  assert_how(r.kl_how, ISSIM_EXACT_INFINITE);
  /* q inside p: infinite */
  r = exact(UNIFORM(-1, 2), UNIFORM(0, 1));
  ck_assert(r.kl == INFINITY);
  assert_how(r.h_how, ISSIM_EXACT_INFINITE);
}
END_TEST

/* ---- identities over a table of closed-form pairs ---- */

static const pair closed_pairs[] = {
  {NORMAL(0, 1), NORMAL(1, 2)},        {NORMAL(-3, 0.2), NORMAL(4, 7)},
  {NORMAL(2, 5), NORMAL(2.5, 0.5)},    {NORMAL(1e3, 1), NORMAL(1e3 + 1, 1.1)},
  {EXPO(2, 1), EXPO(0.5, 0)},          {EXPO(1, 0), EXPO(2, 0)},
  {EXPO(0.3, -2), EXPO(3, -2.5)},      {GAMMA(2, 1), GAMMA(3, 2)},
  {GAMMA(0.3, 1), GAMMA(0.5, 2)},      {GAMMA(7.5, 0.2), GAMMA(2, 1.5)},
  {CHISQ(3), GAMMA(1, 4)},             {GAMMA(2.5, 1), CHISQ(6)},
  {LAPLACE(0, 1), LAPLACE(1, 2)},      {LAPLACE(5, 0.3), LAPLACE(-1, 4)},
  {LAPLACE(0, 2), LAPLACE(1e-3, 2)},   {LOGNORMAL(0, 1), LOGNORMAL(1, 2)},
  {LOGNORMAL(-1, 0.3), LOGNORMAL(0.5, 1.5)}, {LOGNORMAL(0, 3), LOGNORMAL(1, 2)},
  {UNIFORM(0, 1), UNIFORM(-1, 2)},     {UNIFORM(0.25, 0.75), UNIFORM(0, 1)},
};
enum { NCLOSED = sizeof closed_pairs / sizeof closed_pairs[0] };

/* KL = H(p, q) - H(p), KL from its own formula, H(p) from dist.c. */
START_TEST(test_identity_closed_forms)
{
  const pair c = closed_pairs[_i];
  const result r = exact(c.p, c.q);
  assert_how(r.h_how, ISSIM_EXACT_CLOSED_FORM);
  assert_how(r.kl_how, ISSIM_EXACT_CLOSED_FORM);
  ck_assert(r.kl >= 0);
  assert_close(r.kl, r.h - entropy_of(c.p), 1e-12 * fmax(1, fabs(r.h)));
}
END_TEST

/* Forced quadrature reproduces each closed form to 1e-9. */
START_TEST(test_quadrature_matches_closed_forms)
{
  const pair c = closed_pairs[_i];
  const result r = exact(c.p, c.q);
  issim_dist *p = make(c.p), *q = make(c.q);
  issim_exact_method hh, kh;
  const double h = issim_cross_entropy_quadrature(p, q, &hh);
  const double kl = issim_kl_quadrature(p, q, &kh);
  assert_how(hh, ISSIM_EXACT_QUADRATURE);
  assert_how(kh, ISSIM_EXACT_QUADRATURE);
  assert_close(h, r.h, 1e-9 * fmax(fabs(r.h), 1e-3));
  assert_rel(kl, r.kl, 1e-9);
  issim_dist_free(p);
  issim_dist_free(q);
}
END_TEST

/* ---- KL(p || p) = 0 and KL >= 0 ---- */

static const spec every_family[] = {
  NORMAL(0.3, 1.5),  STUDENT(4, 0, 1),  STUDENT(0.7, 1, 2), EXPO(1.5, 0.5),
  GAMMA(2.5, 1),     GAMMA(0.4, 3),     LOGNORMAL(0.2, 0.8), LAPLACE(0.5, 1),
  LOGISTIC(-0.5, 1), CAUCHY(0, 2),      WEIBULL(1.7, 1),    WEIBULL(0.6, 2),
  PARETO(2.5, 0.5),  GUMBEL(0, 1),      UNIFORM(0.25, 0.75), BETA(2, 3),
  BETA(0.6, 1.4),    CHISQ(3),          CHISQ(1),
};
enum { NFAMILIES = sizeof every_family / sizeof every_family[0] };

START_TEST(test_kl_self_is_zero)
{
  const spec s = every_family[_i];
  issim_dist *p = make(s), *q = make(s);
  issim_exact_method how;
  const double kl = issim_kl_exact(p, q, &how);
  ck_assert_msg(how == ISSIM_EXACT_CLOSED_FORM || how == ISSIM_EXACT_QUADRATURE,
                "%s: %s", s.family, issim_exact_method_name(how));
  assert_close(kl, 0, 1e-13);
  ck_assert(kl >= 0);
  /* and H(p, p) = H(p) */
  const double h = issim_cross_entropy_exact(p, q, &how);
  assert_close(h, issim_dist_entropy(p), 1e-10 * fmax(1, fabs(h)));
  issim_dist_free(p);
  issim_dist_free(q);
}
END_TEST

/* Every ordered pair of the families above: the method and the value agree
 * (finite exactly for closed form and quadrature, INFINITY for infinite,
 * never NONE for these ordinary parameters), the finiteness is that of
 * tail.h, KL >= 0, and KL = H(p, q) - H(p) to 1e-9 also where both come from
 * (separate) integrals. */
START_TEST(test_all_pairs_consistent)
{
  const spec ps = every_family[_i];
  issim_dist *p = make(ps);
  for (size_t j = 0; j < NFAMILIES; j++) {
    issim_dist *q = make(every_family[j]);
    char a[128], b[128];
    issim_dist_describe(p, a, sizeof a);
    issim_dist_describe(q, b, sizeof b);
    issim_exact_method hh, kh;
    const double h = issim_cross_entropy_exact(p, q, &hh);
    const double kl = issim_kl_exact(p, q, &kh);
    ck_assert_msg(hh == kh, "%s || %s: %s vs %s", a, b, issim_exact_method_name(hh),
                  issim_exact_method_name(kh));
    if (!issim_cross_entropy_finite(p, q)) {
      ck_assert_msg(hh == ISSIM_EXACT_INFINITE && h == INFINITY && kl == INFINITY,
                    "%s || %s should be infinite", a, b);
    } else {
      ck_assert_msg(hh == ISSIM_EXACT_CLOSED_FORM || hh == ISSIM_EXACT_QUADRATURE,
                    "%s || %s: %s", a, b, issim_exact_method_name(hh));
      ck_assert_msg(isfinite(h) && isfinite(kl) && kl >= 0, "%s || %s: H %g KL %g", a, b, h,
                    kl);
      const double id = h - issim_dist_entropy(p);
      ck_assert_msg(fabs(kl - id) <= 1e-9 * fmax(1, fabs(h)),
                    "%s || %s: KL %.17g, H(p,q) - H(p) %.17g", a, b, kl, id);
    }
    issim_dist_free(q);
  }
  issim_dist_free(p);
}
END_TEST

START_TEST(test_kl_nonnegative_near_equal)
{
  /* pairs that nearly coincide: rounding must not make KL negative */
  static const pair near[] = {
    {NORMAL(0, 1), NORMAL(1e-9, 1 + 1e-12)}, {EXPO(1, 0), EXPO(1 + 1e-13, 0)},
    {GAMMA(3, 1), GAMMA(3 + 1e-12, 1 - 1e-12)}, {LAPLACE(0, 1), LAPLACE(1e-12, 1)},
    {LOGNORMAL(0, 1), LOGNORMAL(0, 1 - 1e-14)}, {LOGISTIC(0, 1), LOGISTIC(1e-9, 1)},
    {STUDENT(5, 0, 1), STUDENT(5, 0, 1 + 1e-10)},
  };
  for (size_t i = 0; i < sizeof near / sizeof near[0]; i++) {
    const result r = exact(near[i].p, near[i].q);
    ck_assert_msg(r.kl >= 0 && r.kl < 1e-12, "%s: KL %g (%s)", near[i].p.family, r.kl,
                  issim_exact_method_name(r.kl_how));
  }
}
END_TEST

/* ---- quadrature against independent references ---- */

/* H(p, N(m, s^2)) = log(2 pi)/2 + log s + (Var p + (E p - m)^2) / (2 s^2):
 * the normal's log-density is a quadratic, so only p's first two moments
 * matter (dist.c's closed-form moments). */
START_TEST(test_quadrature_normal_q_moments)
{
  static const spec ps[] = {
    GUMBEL(0.5, 2),  LOGISTIC(1, 0.7), STUDENT(5, -1, 2), WEIBULL(1.7, 3), BETA(2, 3),
    CHISQ(3),        PARETO(3.5, 1),   LOGNORMAL(0, 0.5), LAPLACE(0, 1),   GAMMA(0.5, 2),
    UNIFORM(-1, 4),  EXPO(2, -1),
  };
  const spec s = ps[_i];
  issim_dist *p = make(s), *q = make(NORMAL(0.3, 1.7));
  const double var = issim_dist_variance(p), dm = issim_dist_mean(p) - 0.3;
  const double want = 0.5 * log(2 * M_PI) + log(1.7) + (var + dm * dm) / (2 * 1.7 * 1.7);
  issim_exact_method how;
  const double h = issim_cross_entropy_quadrature(p, q, &how);
  assert_how(how, ISSIM_EXACT_QUADRATURE);
  assert_rel(h, want, 1e-9);
  issim_dist_free(p);
  issim_dist_free(q);
}
END_TEST

/* H(p, Exp(r, l)) = -log r + r (E p - l), for p on [l, inf). */
START_TEST(test_quadrature_exponential_q_mean)
{
  static const spec ps[] = {
    GAMMA(0.5, 2), GAMMA(4, 0.5), WEIBULL(0.6, 2), LOGNORMAL(0.5, 1), PARETO(1.5, 2),
    BETA(0.5, 3), CHISQ(1), UNIFORM(0, 3), GAMMA(0.15, 1), GAMMA(0.06, 1),
  };
  const spec s = ps[_i];
  issim_dist *p = make(s), *q = make(EXPO(0.7, 0));
  const double want = -log(0.7) + 0.7 * issim_dist_mean(p);
  issim_exact_method how;
  const double h = issim_cross_entropy_exact(p, q, &how);
  ck_assert(how == ISSIM_EXACT_QUADRATURE || how == ISSIM_EXACT_CLOSED_FORM);
  assert_rel(h, want, 1e-9);
  issim_dist_free(p);
  issim_dist_free(q);
}
END_TEST

/* H(beta, U(a, b)) = log(b - a), and KL(beta || U(0, 1)) = -H(beta):
 * the integrand p log p, with p ~ x^-1/2 at 0 for a beta(0.5, 3), needs the
 * endpoint map's higher power to reach 1e-10. */
START_TEST(test_quadrature_uniform_q)
{
  static const spec ps[] = {BETA(2, 5), BETA(0.5, 3), BETA(0.2, 1)};
  issim_dist *p = make(ps[_i]), *q = make(UNIFORM(-1, 2)), *u = make(UNIFORM(0, 1));
  issim_exact_method how;
  assert_rel(issim_cross_entropy_exact(p, q, &how), log(3.0), 1e-10);
  assert_how(how, ISSIM_EXACT_QUADRATURE);
  assert_rel(issim_kl_exact(p, u, &how), -issim_dist_entropy(p), 1e-10);
  assert_how(how, ISSIM_EXACT_QUADRATURE);
  issim_dist_free(p);
  issim_dist_free(q);
  issim_dist_free(u);
}
END_TEST

/* Composite Simpson's rule for int_{-40}^{40} of p(x) f(log p, log q), on
 * 80,000 intervals (h = 1e-3; the error is O(h^4) = 1e-12 times the fourth
 * derivative; the normal p is below 1e-340 outside, so nothing is cut off). */
static double simpson(const issim_dist *p, const issim_dist *q, int kl)
{
  const int n = 80000;
  const double a = -40, b = 40, h = (b - a) / n;
  double sum = 0;
  for (int i = 0; i <= n; i++) {
    const double x = a + i * h;
    const double lp = issim_dist_log_pdf1(p, x), lq = issim_dist_log_pdf1(q, x);
    const double px = exp(lp);
    const double f = px == 0 ? 0 : kl ? px * (lp - lq) : -px * lq;
    sum += (i == 0 || i == n ? 1 : i % 2 ? 4 : 2) * f;
  }
  return sum * h / 3;
}

START_TEST(test_quadrature_against_simpson)
{
  static const pair pairs[] = {
    {NORMAL(0, 1), LOGISTIC(0.5, 1)}, {NORMAL(0, 1), STUDENT(3, 0, 1)},
    {NORMAL(1, 2), CAUCHY(3, 0.5)},   {NORMAL(-2, 0.7), GUMBEL(0, 1.5)},
    {NORMAL(0, 1), LAPLACE(0.3, 1)},  {NORMAL(0, 1), STUDENT(1.5, 1, 3)},
  };
  const pair c = pairs[_i];
  issim_dist *p = make(c.p), *q = make(c.q);
  issim_exact_method hh, kh;
  const double h = issim_cross_entropy_exact(p, q, &hh);
  const double kl = issim_kl_exact(p, q, &kh);
  assert_how(hh, ISSIM_EXACT_QUADRATURE);
  assert_how(kh, ISSIM_EXACT_QUADRATURE);
  /* the laplace q has a kink at 0.3 that costs Simpson's rule an O(h^2)
   * error there: 1e-8 is still far below any formula error */
  const double tol = strcmp(c.q.family, "laplace") == 0 ? 1e-8 : 1e-9;
  assert_rel(h, simpson(p, q, 0), tol);
  assert_rel(kl, simpson(p, q, 1), tol);
  issim_dist_free(p);
  issim_dist_free(q);
}
END_TEST

/* ---- infinities and refusals ---- */

static void assert_infinite(spec ps, spec qs)
{
  const result r = exact(ps, qs);
  ck_assert_msg(r.kl == INFINITY && r.h == INFINITY, "%s || %s: H %g KL %g", ps.family,
                qs.family, r.h, r.kl);
  assert_how(r.kl_how, ISSIM_EXACT_INFINITE);
  assert_how(r.h_how, ISSIM_EXACT_INFINITE);
  issim_dist *p = make(ps), *q = make(qs);
  issim_exact_method how;
  ck_assert(issim_kl_quadrature(p, q, &how) == INFINITY);
  assert_how(how, ISSIM_EXACT_INFINITE);
  ck_assert(issim_cross_entropy_quadrature(p, q, &how) == INFINITY);
  assert_how(how, ISSIM_EXACT_INFINITE);
  issim_dist_free(p);
  issim_dist_free(q);
}

START_TEST(test_infinities)
{
  /* E_p[x^2] is infinite for a student-t(2) (and a cauchy): -log of a
   * normal q grows like x^2 */
  assert_infinite(STUDENT(2, 0, 1), NORMAL(0, 1));
  assert_infinite(CAUCHY(0, 1), NORMAL(0, 1));
  assert_infinite(CAUCHY(0, 1), LAPLACE(0, 1)); /* E|x| infinite */
  /* q = 0 on part of p's support */
  assert_infinite(NORMAL(0, 1), UNIFORM(-1, 1));
  assert_infinite(STUDENT(3, 0, 1), PARETO(2, 1));
  assert_infinite(GAMMA(2, 1), EXPO(1, 0.1));
  /* gumbel's lower tail: -log q ~ e^{-x}, and E_p[e^{-x}] is infinite for
   * a laplace(0, 1) */
  assert_infinite(LAPLACE(0, 1), GUMBEL(0, 1));
}
END_TEST

START_TEST(test_finite_by_quadrature)
{
  /* normal p, student-t(3) q: -log q ~ 2 log |x|, finite; no closed form.
   * The value, 0.069151598485178 by an independent 30-digit integration
   * (mpmath), is positive and below KL(N(0,1) || N(0, 3)) = log sqrt 3 -
   * 1/3 = 0.2159 (the t(3) having variance 3 but a shape much closer to the
   * normal's). */
  issim_dist *p = make(NORMAL(0, 1)), *q = make(STUDENT(3, 0, 1));
  issim_exact_method how;
  const double kl = issim_kl_exact(p, q, &how);
  assert_how(how, ISSIM_EXACT_QUADRATURE);
  assert_rel(kl, 0.069151598485178, 1e-12);
  /* H(p, q) likewise: 1.4880901316898 */
  assert_rel(issim_cross_entropy_exact(p, q, &how), 1.4880901316898, 1e-12);
  /* the other way round it is finite too (t(3) has a variance) */
  ck_assert(isfinite(issim_kl_exact(q, p, &how)));
  assert_how(how, ISSIM_EXACT_QUADRATURE);
  issim_dist_free(p);
  issim_dist_free(q);
}
END_TEST

START_TEST(test_heavy_tails_by_quadrature)
{
  /* power-law tails slower than 1/x^2: the tail map must reach them.
   * KL(pareto(0.5, 1) || pareto(2, 0.5)): E_p[log x] = log 1 + 1/0.5 = 2,
   *   H(p, q) = -log 2 - 2 log 0.5 + (2 + 1) 2 = log 2 + 6 = 6.693147180559945,
   *   H(p) = log(1/0.5) + 1/0.5 + 1 = log 2 + 3, so KL = 3. */
  issim_dist *p = make(PARETO(0.5, 1)), *q = make(PARETO(2, 0.5));
  issim_exact_method how;
  assert_rel(issim_cross_entropy_exact(p, q, &how), M_LN2 + 6, 1e-10);
  assert_how(how, ISSIM_EXACT_QUADRATURE);
  assert_rel(issim_kl_exact(p, q, &how), 3, 1e-10);
  issim_dist_free(p);
  issim_dist_free(q);
  /* student-t(0.3) || cauchy: 5.9221483293413 and 0.77658967583693 by an
   * independent integration in x = sinh(u) (mpmath, 30 digits) */
  p = make(STUDENT(0.3, 0, 1));
  q = make(CAUCHY(0, 1));
  assert_rel(issim_cross_entropy_exact(p, q, &how), 5.9221483293413, 1e-12);
  assert_rel(issim_kl_exact(p, q, &how), 0.77658967583693, 1e-12);
  issim_dist_free(p);
  issim_dist_free(q);
}
END_TEST

START_TEST(test_refused_rather_than_truncated)
{
  /* A pareto(0.01) has P(X > 1e300) = 1e-3: beyond the largest doubles, so
   * no quadrature in doubles can reach it; a gamma(shape 0.02) has
   * P(X < 1e-300) = 1e-6 below the smallest.  The answer is NAN and NONE
   * (the integrals are finite: issim_cross_entropy_finite says so). */
  static const pair refused[] = {
    {PARETO(0.01, 1), PARETO(2, 0.5)},
    {GAMMA(0.02, 1), WEIBULL(0.5, 1)},
  };
  for (size_t i = 0; i < 2; i++) {
    issim_dist *p = make(refused[i].p), *q = make(refused[i].q);
    ck_assert(issim_cross_entropy_finite(p, q));
    issim_exact_method how = ISSIM_EXACT_CLOSED_FORM;
    ck_assert(isnan(issim_cross_entropy_exact(p, q, &how)));
    assert_how(how, ISSIM_EXACT_NONE);
    how = ISSIM_EXACT_CLOSED_FORM;
    ck_assert(isnan(issim_kl_exact(p, q, &how)));
    assert_how(how, ISSIM_EXACT_NONE);
    issim_dist_free(p);
    issim_dist_free(q);
  }
}
END_TEST

/* ---- entropy, NULL how ---- */

START_TEST(test_entropy_exact)
{
  issim_dist *p = make(every_family[_i]);
  issim_exact_method how = ISSIM_EXACT_NONE;
  ck_assert(issim_entropy_exact(p, &how) == issim_dist_entropy(p));
  assert_how(how, ISSIM_EXACT_CLOSED_FORM);
  ck_assert(issim_entropy_exact(p, NULL) == issim_dist_entropy(p));
  issim_dist_free(p);
}
END_TEST

START_TEST(test_how_may_be_null)
{
  issim_dist *p = make(NORMAL(0, 1)), *q = make(LOGISTIC(0, 1)), *u = make(UNIFORM(0, 1));
  assert_rel(issim_kl_exact(p, q, NULL), issim_kl_quadrature(p, q, NULL), 1e-15);
  assert_rel(issim_cross_entropy_exact(p, q, NULL),
             issim_cross_entropy_quadrature(p, q, NULL), 1e-15);
  ck_assert(issim_kl_exact(p, u, NULL) == INFINITY);
  ck_assert(issim_cross_entropy_exact(p, u, NULL) == INFINITY);
  issim_dist_free(p);
  issim_dist_free(q);
  issim_dist_free(u);
}
END_TEST

/* ---- d-dimensional models ---- */

static issim_model *mvn_model(size_t d, const double *mean, const double *cov)
{
  issim_model *m = issim_model_alloc_normal(d, mean, cov, NULL);
  ck_assert_ptr_nonnull(m);
  return m;
}

/* 1-D models against the univariate closed forms (and, for a t p and a
 * normal q, the univariate quadrature). */
START_TEST(test_models_1d_agree)
{
  const double m1 = 0.3, s1 = 1.7, m2 = -1.1, s2 = 0.8, v1 = s1 * s1, v2 = s2 * s2;
  issim_model *p = mvn_model(1, &m1, &v1), *q = mvn_model(1, &m2, &v2);
  issim_dist *pd = issim_dist_alloc_normal(m1, s1, NULL), *qd = issim_dist_alloc_normal(m2, s2, NULL);
  issim_exact_method how;
  assert_close(issim_model_entropy_exact(p, &how), issim_entropy_exact(pd, NULL), 1e-14);
  ck_assert_int_eq(how, ISSIM_EXACT_CLOSED_FORM);
  assert_close(issim_model_cross_entropy_exact(p, q, &how), issim_cross_entropy_exact(pd, qd, NULL), 1e-14);
  assert_close(issim_model_kl_exact(p, q, &how), issim_kl_exact(pd, qd, NULL), 1e-14);
  assert_close(issim_model_kl_exact(q, p, NULL), issim_kl_exact(qd, pd, NULL), 1e-14);
  /* near p = q, where the difference of entropies would cancel */
  const double v3 = v1 * (1 + 1e-7);
  issim_model *p3 = mvn_model(1, &m1, &v3);
  issim_dist *p3d = issim_dist_alloc_normal(m1, sqrt(v3), NULL);
  double kl = issim_model_kl_exact(p3, p, NULL);
  ck_assert(kl > 0);
  /* x = v3/v1 - 1 = 1e-7 is known to ~1e-16 absolute (the sds are square
   * roots), so KL = (x - log1p x)/2 = x^2/4 - x^3/6 to ~2e-9 relative: the
   * problem's conditioning, not the formula's */
  assert_rel(kl, 0.25e-14 - 1e-21 / 6, 1e-8);
  assert_rel(kl, issim_kl_exact(p3d, pd, NULL), 1e-8);
  /* a t: entropy closed form, and t p against normal q by quadrature */
  const double loc = 0.5, scale2 = 4, df = 5;
  issim_model *t = issim_model_alloc_student_t(1, df, &loc, &scale2, NULL);
  issim_dist *td = make(STUDENT(df, loc, 2));
  assert_close(issim_model_entropy_exact(t, NULL), issim_entropy_exact(td, NULL), 1e-13);
  assert_close(issim_model_cross_entropy_exact(t, q, &how), issim_cross_entropy_exact(td, qd, NULL), 1e-9);
  ck_assert_int_eq(how, ISSIM_EXACT_CLOSED_FORM);
  assert_close(issim_model_kl_exact(t, q, NULL), issim_kl_exact(td, qd, NULL), 1e-9);
  /* normal p, t q: no closed form here */
  ck_assert(isnan(issim_model_kl_exact(q, t, &how)));
  ck_assert_int_eq(how, ISSIM_EXACT_NONE);
  issim_model_free(t), issim_dist_free(td);
  issim_model_free(p3), issim_dist_free(p3d);
  issim_model_free(p), issim_model_free(q), issim_dist_free(pd), issim_dist_free(qd);
}
END_TEST

/* By hand: p = N((1, 0), diag(1, 4)), q = N(0, [[2, 1], [1, 2]]):
 * S_q^-1 = [[2, -1], [-1, 2]] / 3, tr(S_q^-1 S_p) = (2 + 8) / 3, delta^T
 * S_q^-1 delta = 2/3, log |S_q| / |S_p| = log(3/4):
 *   KL = (10/3 + 2/3 - 2 + log 0.75) / 2 = 1 + log(0.75) / 2,
 *   H(p) = 1 + log 2 pi + log(4) / 2, H(p, q) = H(p) + KL. */
START_TEST(test_models_2d_by_hand)
{
  const double mp[2] = {1, 0}, sp[4] = {1, 0, 0, 4}, mq[2] = {0, 0}, sq[4] = {2, 1, 1, 2};
  issim_model *p = mvn_model(2, mp, sp), *q = mvn_model(2, mq, sq);
  double hp = 1 + log(2 * M_PI) + 0.5 * log(4.0), kl = 1 + 0.5 * log(0.75);
  assert_close(issim_model_entropy_exact(p, NULL), hp, 1e-14);
  assert_close(issim_model_kl_exact(p, q, NULL), kl, 1e-14);
  assert_close(issim_model_cross_entropy_exact(p, q, NULL), hp + kl, 1e-14);
  /* the other way: S_p^-1 = diag(1, 1/4), tr(S_p^-1 S_q) = 2 + 1/2,
   * delta^T S_p^-1 delta = 1: KL(q || p) = (2.5 + 1 - 2 + log(4/3)) / 2 */
  assert_close(issim_model_kl_exact(q, p, NULL), 0.5 * (1.5 + log(4.0 / 3)), 1e-14);
  /* independent normals are the same normal with a diagonal covariance */
  issim_dist *c[2] = {issim_dist_alloc_normal(1, 1, NULL), issim_dist_alloc_normal(0, 2, NULL)};
  issim_model *pi = issim_model_alloc_independent(2, (const issim_dist *const *)c, NULL);
  assert_close(issim_model_kl_exact(pi, q, NULL), kl, 1e-14);
  assert_close(issim_model_entropy_exact(pi, NULL), hp, 1e-14);
  /* a 2-D t with df 6 against q: H(p, q) uses the t's covariance 6/4 S */
  issim_model *t = issim_model_alloc_student_t(2, 6, mp, sp, NULL);
  double h = log(2 * M_PI) + 0.5 * log(3.0) + 0.5 * (1.5 * 10.0 / 3 + 2.0 / 3);
  assert_close(issim_model_cross_entropy_exact(t, q, NULL), h, 1e-14);
  issim_model *t2 = issim_model_alloc_student_t(2, 2, mp, sp, NULL);
  issim_exact_method how;
  ck_assert(isinf(issim_model_kl_exact(t2, q, &how)));
  ck_assert_int_eq(how, ISSIM_EXACT_INFINITE);
  issim_model_free(t), issim_model_free(t2), issim_model_free(pi);
  issim_dist_free(c[0]), issim_dist_free(c[1]);
  issim_model_free(p), issim_model_free(q);
}
END_TEST

/* Independent models of any families: sums of the components' values. */
START_TEST(test_models_independent_sums)
{
  issim_dist *e1 = make(EXPO(1, 0)), *e2 = make(EXPO(2.5, 0));
  issim_dist *g1 = make((spec){"gumbel", 2, {"location", "scale"}, {0, 1}}),
             *g2 = make((spec){"gumbel", 2, {"location", "scale"}, {1, 2}});
  const issim_dist *pc[2] = {e1, g1}, *qc[2] = {e2, g2};
  issim_model *p = issim_model_alloc_independent(2, pc, NULL), *q = issim_model_alloc_independent(2, qc, NULL);
  issim_exact_method how;
  assert_close(issim_model_kl_exact(p, q, &how), issim_kl_exact(e1, e2, NULL) + issim_kl_exact(g1, g2, NULL), 1e-12);
  ck_assert_int_eq(how, ISSIM_EXACT_QUADRATURE); /* the gumbel pair */
  assert_close(issim_model_entropy_exact(p, &how), issim_entropy_exact(e1, NULL) + issim_entropy_exact(g1, NULL), 1e-14);
  ck_assert_int_eq(how, ISSIM_EXACT_CLOSED_FORM);
  /* a q that does not cover p: infinite */
  const issim_dist *rc[2] = {g1, e1};
  issim_model *r = issim_model_alloc_independent(2, rc, NULL);
  ck_assert(isinf(issim_model_kl_exact(r, p, &how)));
  ck_assert_int_eq(how, ISSIM_EXACT_INFINITE);
  /* copulas and mixtures: unknown */
  const issim_model *parts[2] = {p, q};
  double w[2] = {0.5, 0.5};
  issim_model *m = issim_model_alloc_mixture(2, parts, w, NULL);
  ck_assert(isnan(issim_model_kl_exact(p, m, &how)));
  ck_assert_int_eq(how, ISSIM_EXACT_NONE);
  ck_assert(isnan(issim_model_entropy_exact(m, &how)));
  issim_model_free(m), issim_model_free(r), issim_model_free(p), issim_model_free(q);
  issim_dist_free(e1), issim_dist_free(e2), issim_dist_free(g1), issim_dist_free(g2);
}
END_TEST


/* The reliability rules of an estimated information quantity (issue 14,
 * item 6.3), one by one. */
START_TEST(test_information_judge)
{
  char why[256];
  issim_info_input in = {.estimate = 6.70, .se = 0.01, .exact = 6.6974, .how = ISSIM_EXACT_CLOSED_FORM,
                         .weighted = 1, .covers = 1, .kish_ess = 5000,
                         .weight_variance = ISSIM_VARIANCE_FINITE};
  ck_assert_int_eq(issim_divergence_judge(&in, why, sizeof why), ISSIM_INFO_RELIABLE);
  ck_assert_str_eq(why, "");
  in.estimate = 1.13, in.se = 0.17; /* exponential(1) from exponential(10) */
  ck_assert_int_eq(issim_divergence_judge(&in, why, sizeof why), ISSIM_INFO_OFF_EXACT);
  ck_assert_str_eq(why, "32.7 standard errors from the exact value");
  in.weight_variance = ISSIM_VARIANCE_INFINITE; /* the root cause comes first */
  ck_assert_int_eq(issim_divergence_judge(&in, NULL, 0), ISSIM_INFO_INFINITE_VARIANCE);
  in.weighted = 0; /* an unweighted average does not depend on the weights */
  ck_assert_int_eq(issim_divergence_judge(&in, NULL, 0), ISSIM_INFO_OFF_EXACT);
  in.weighted = 1, in.weight_variance = ISSIM_VARIANCE_UNDECIDED;
  in.exact = NAN, in.how = ISSIM_EXACT_NONE; /* nothing to compare with: */
  ck_assert_int_eq(issim_divergence_judge(&in, NULL, 0), ISSIM_INFO_RELIABLE);
  in.kish_ess = 62.1; /* ... but the Kish ESS */
  ck_assert_int_eq(issim_divergence_judge(&in, why, sizeof why), ISSIM_INFO_LOW_ESS);
  ck_assert_str_eq(why, "weighted by w over draws whose Kish ESS is only 62.1");
  in.kish_ess = 5000, in.covers = 0;
  ck_assert_int_eq(issim_divergence_judge(&in, NULL, 0), ISSIM_INFO_PARTIAL_SUPPORT);
  in.covers = 1, in.se = NAN;
  ck_assert_int_eq(issim_divergence_judge(&in, NULL, 0), ISSIM_INFO_NO_SE);
  /* an infinite value shown as such is right */
  in.estimate = INFINITY, in.exact = INFINITY, in.how = ISSIM_EXACT_INFINITE, in.se = NAN;
  ck_assert_int_eq(issim_divergence_judge(&in, NULL, 0), ISSIM_INFO_RELIABLE);
  /* equal values to rounding, with a zero SE (q = p): reliable */
  in = (issim_info_input){.estimate = 0, .se = 0, .exact = 0, .how = ISSIM_EXACT_CLOSED_FORM,
                          .weighted = 1, .covers = 1, .kish_ess = 1e6,
                          .weight_variance = ISSIM_VARIANCE_FINITE};
  ck_assert_int_eq(issim_divergence_judge(&in, NULL, 0), ISSIM_INFO_RELIABLE);
}
END_TEST

/* The weights' variance over q's support, which the weighted estimates need:
 * exponential(1) from exponential(10) is infinite (int p^2/q = int e^(8x)/10),
 * from exponential(0.5) finite (w <= 2); a normal from a narrower normal
 * infinite (sd < 1/sqrt 2), from a wider one finite. */
START_TEST(test_divergence_weight_variance)
{
  issim_error err;
  const char *rate[] = {"rate"}, *ms[] = {"mean", "sd"};
  issim_model *p = line_model(issim_dist_alloc("exponential", 1, rate, (double[]){1}, &err));
  issim_model *q10 = line_model(issim_dist_alloc("exponential", 1, rate, (double[]){10}, &err));
  issim_model *q05 = line_model(issim_dist_alloc("exponential", 1, rate, (double[]){0.5}, &err));
  ck_assert_int_eq(issim_divergence_weight_variance(p, q10), ISSIM_VARIANCE_INFINITE);
  ck_assert_int_eq(issim_divergence_weight_variance(p, q05), ISSIM_VARIANCE_FINITE);
  ck_assert_int_eq(issim_divergence_weight_variance(p, NULL), ISSIM_VARIANCE_FINITE);
  issim_model *n = line_model(issim_dist_alloc("normal", 2, ms, (double[]){0, 1}, &err));
  issim_model *narrow = line_model(issim_dist_alloc("normal", 2, ms, (double[]){0, 0.6}, &err));
  issim_model *wide = line_model(issim_dist_alloc("normal", 2, ms, (double[]){1, 2}, &err));
  ck_assert_int_eq(issim_divergence_weight_variance(n, narrow), ISSIM_VARIANCE_INFINITE);
  ck_assert_int_eq(issim_divergence_weight_variance(n, wide), ISSIM_VARIANCE_FINITE);
  issim_model_free(p), issim_model_free(q10), issim_model_free(q05);
  issim_model_free(n), issim_model_free(narrow), issim_model_free(wide);
}
END_TEST


/* The exact relative variance rv = int_A p^2/q / P^2 - 1 against closed
 * forms: a normal shifted by m on x > t gives e^(m^2) Q(t + m) / Q(t)^2 - 1;
 * an exponential(1) target from an exponential(l) on x > t gives
 * e^(l t) / (l (2 - l)) - 1; and a t(3) from a shifted, scaled t(3) on
 * x > 100 against GSL's own densities integrated by QAGIU. */
static double t_second_moment(double x, void *unused)
{
  (void)unused;
  double p = gsl_ran_tdist_pdf(x, 3), q = gsl_ran_tdist_pdf((x - 100) / 10, 3) / 10;
  return p * p / q;
}

START_TEST(test_relative_variance_exact)
{
  issim_error err;
  const char *ms[] = {"mean", "sd"}, *rate[] = {"rate"};
  issim_dist *p = issim_dist_alloc("normal", 2, ms, (double[]){0, 1}, &err);
  for (double m = 3; m <= 7; m += 2) {
    issim_dist *q = issim_dist_alloc("normal", 2, ms, (double[]){m, 1}, &err);
    double want = exp(m * m) * gsl_cdf_ugaussian_Q(5 + m) / gsl_pow_2(gsl_cdf_ugaussian_Q(5)) - 1;
    double got = issim_relative_variance_exact(p, q, 5, INFINITY);
    ck_assert_msg(fabs(got - want) <= 1e-6 * (want + 1), "m = %g: %.10g, want %.10g", m, got, want);
    issim_dist_free(q);
  }
  /* q = p: (1 - P) / P */
  double q5 = gsl_cdf_ugaussian_Q(5);
  ck_assert_double_eq_tol(issim_relative_variance_exact(p, NULL, 5, INFINITY), (1 - q5) / q5,
                          1e-9 * (1 - q5) / q5);
  /* 40 sigma: P = 3.7e-350, below the smallest double, rv = e^1600 Q(80) / Q(40)^2 - 1 = 1.27 */
  issim_dist *q40 = issim_dist_alloc("normal", 2, ms, (double[]){40, 1}, &err);
  /* log Q(40) and log Q(80) from the asymptotic series, as check_dist does */
  double log_q40, log_q80;
  log_q40 = -800 - log(40) - 0.5 * log(2 * M_PI) + log1p(-1 / 1600.0 + 3 / (1600.0 * 1600.0) - 15 / gsl_pow_3(1600.0));
  log_q80 = -3200 - log(80) - 0.5 * log(2 * M_PI) + log1p(-1 / 6400.0 + 3 / (6400.0 * 6400.0) - 15 / gsl_pow_3(6400.0));
  double want40 = expm1(1600 + log_q80 - 2 * log_q40);
  double got40 = issim_relative_variance_exact(p, q40, 40, INFINITY);
  ck_assert_msg(fabs(got40 - want40) <= 1e-6 * (want40 + 1), "40 sigma: %.10g, want %.10g", got40,
                want40);
  issim_dist_free(q40);
  issim_dist_free(p);
  p = issim_dist_alloc("exponential", 1, rate, (double[]){1}, &err);
  for (double l = 0.04; l < 1.9; l *= 3) {
    issim_dist *q = issim_dist_alloc("exponential", 1, rate, (double[]){l}, &err);
    double want = exp(l * 25) / (l * (2 - l)) - 1;
    double got = issim_relative_variance_exact(p, q, 25, INFINITY);
    ck_assert_msg(fabs(got - want) <= 1e-6 * (want + 1), "l = %g: %.10g, want %.10g", l, got, want);
    issim_dist_free(q);
  }
  issim_dist_free(p);
  const char *tk[] = {"df", "location", "scale"};
  p = issim_dist_alloc("student-t", 1, tk, (double[]){3}, &err);
  issim_dist *q = issim_dist_alloc("student-t", 3, tk, (double[]){3, 100, 10}, &err);
  gsl_integration_workspace *w = gsl_integration_workspace_alloc(1000);
  gsl_function f = {t_second_moment, NULL};
  double m2, m2_err, pt = gsl_cdf_tdist_Q(100, 3);
  double m2a, m2a_err;
  gsl_integration_qags(&f, 100, 1000, 0, 1e-12, 1000, w, &m2a, &m2a_err);
  gsl_integration_qagiu(&f, 1000, 0, 1e-12, 1000, w, &m2, &m2_err);
  double want = (m2a + m2) / (pt * pt) - 1;
  double got = issim_relative_variance_exact(p, q, 100, INFINITY);
  ck_assert_msg(fabs(got - want) <= 1e-6 * (want + 1), "t(3): %.10g, want %.10g", got, want);
  gsl_integration_workspace_free(w);
  issim_dist_free(p);
  issim_dist_free(q);
}
END_TEST


/* The elliptical pairs' exact relative variance. */
typedef struct {
  double nu, s1, s2, t, z1;
} t2_ctx;

static double t2_log_f(double nu, double r2)
{
  return lgamma(0.5 * (nu + 2)) - lgamma(0.5 * nu) - log(nu * M_PI) - 0.5 * (nu + 2) * log1p(r2 / nu);
}

/* p^2/q at (z1, z2), p a bivariate t(nu), q the same moved by (s1, s2) */
static double t2_inner(double z2, void *params)
{
  const t2_ctx *c = params;
  double r2p = c->z1 * c->z1 + z2 * z2, r2q = gsl_pow_2(c->z1 - c->s1) + gsl_pow_2(z2 - c->s2);
  return exp(2 * t2_log_f(c->nu, r2p) - t2_log_f(c->nu, r2q));
}

static double t2_outer(double z1, void *params)
{
  t2_ctx *c = params;
  c->z1 = z1;
  gsl_integration_workspace *w = gsl_integration_workspace_alloc(1000);
  gsl_function f = {t2_inner, c};
  double v, e;
  gsl_integration_qagiu(&f, c->t - z1, 0, 1e-11, 1000, w, &v, &e); /* z1 + z2 > t */
  gsl_integration_workspace_free(w);
  return v;
}

START_TEST(test_model_relative_variance_exact)
{
  issim_error err;
  /* a bivariate t(4), identity scale, the event z1 + z2 > 6, q moved by
   * (3, 3) (the design point): against a Cartesian double integral */
  const double id2[] = {1, 0, 0, 1}, zero2[] = {0, 0}, dp[] = {3, 3}, w2[] = {1, 1};
  issim_model *p = issim_model_alloc_student_t(2, 4, zero2, id2, &err);
  issim_model *q = issim_model_alloc_student_t(2, 4, dp, id2, &err);
  ck_assert_ptr_nonnull(p);
  ck_assert_ptr_nonnull(q);
  double log_p = log(gsl_cdf_tdist_Q(6 / M_SQRT2, 4));
  t2_ctx c = {4, 3, 3, 6, 0};
  gsl_integration_workspace *w = gsl_integration_workspace_alloc(1000);
  gsl_function f = {t2_outer, &c};
  double m2, m2_err;
  gsl_integration_qagi(&f, 0, 1e-10, 1000, w, &m2, &m2_err);
  gsl_integration_workspace_free(w);
  double want = m2 / exp(2 * log_p) - 1;
  double got = issim_model_relative_variance_exact(p, q, w2, 6, 1, log_p);
  ck_assert_msg(fabs(got - want) <= 1e-3 * (want + 1), "t(4), d = 2: %.10g, want %.10g", got, want);
  /* the lower tail: z1 + z2 < -6 against q moved by (-3, -3) is the same */
  issim_model *qm = issim_model_alloc_student_t(2, 4, (double[]){-3, -3}, id2, &err);
  double got_below = issim_model_relative_variance_exact(p, qm, w2, -6, -1, log_p);
  ck_assert_msg(fabs(got_below - want) <= 1e-3 * (want + 1), "below: %.10g, want %.10g", got_below,
                want);
  /* a shift off the axis (the plane of the axis and the shift, no radius) */
  issim_model *qo = issim_model_alloc_student_t(2, 4, (double[]){3.5, 2}, id2, &err);
  c = (t2_ctx){4, 3.5, 2, 6, 0};
  w = gsl_integration_workspace_alloc(1000);
  gsl_integration_qagi(&f, 0, 1e-10, 1000, w, &m2, &m2_err);
  gsl_integration_workspace_free(w);
  want = m2 / exp(2 * log_p) - 1;
  got = issim_model_relative_variance_exact(p, qo, w2, 6, 1, log_p);
  ck_assert_msg(fabs(got - want) <= 1e-3 * (want + 1), "off the axis: %.10g, want %.10g", got, want);
  issim_model_free(p), issim_model_free(q), issim_model_free(qm), issim_model_free(qo);

  /* d = 3 with q = p: (1 - P) / P, through the radial integral of two dimensions */
  const double id3[] = {1, 0, 0, 0, 1, 0, 0, 0, 1}, zero3[] = {0, 0, 0}, w3[] = {1, 1, 1};
  issim_model *p3 = issim_model_alloc_student_t(3, 4, zero3, id3, &err);
  issim_model *q3 = issim_model_alloc_student_t(3, 4, zero3, id3, &err);
  double pt3 = gsl_cdf_tdist_Q(2, 4); /* w.z / |w| > 2 sqrt 3 / sqrt 3 */
  got = issim_model_relative_variance_exact(p3, q3, w3, 2 * sqrt(3.0), 1, log(pt3));
  ck_assert_msg(fabs(got - (1 - pt3) / pt3) <= 1e-3 * (1 - pt3) / pt3, "d = 3: %.10g, want %.10g",
                got, (1 - pt3) / pt3);
  issim_model_free(p3), issim_model_free(q3);

  /* d = 10, a t(4) of scale sd 0.01 and correlation 0.3, q = p: (1 - P) / P,
   * which checks the sphere's area and the constants in 10 dimensions */
  enum { D = 10 };
  double cov[D * D], loc[D] = {0}, wts[D];
  for (size_t i = 0; i < D; i++) {
    wts[i] = -0.1;
    for (size_t j = 0; j < D; j++)
      cov[i * D + j] = 1e-4 * (i == j ? 1 : 0.3);
  }
  p = issim_model_alloc_student_t(D, 4, loc, cov, &err);
  q = issim_model_alloc_student_t(D, 4, loc, cov, &err);
  ck_assert_ptr_nonnull(p);
  /* the loss -0.1 sum x is a t(4) of scale 0.1 sqrt(1e-4 (10 + 90 0.3)) */
  double scale = 0.1 * sqrt(1e-4 * (10 + 90 * 0.3)), thr = 4 * scale;
  double pt = gsl_cdf_tdist_Q(4, 4);
  got = issim_model_relative_variance_exact(p, q, wts, thr, 1, log(pt));
  ck_assert_msg(fabs(got - (1 - pt) / pt) <= 1e-3 * (1 - pt) / pt, "q = p, d = 10: %.10g, want %.10g",
                got, (1 - pt) / pt);
  issim_model_free(p), issim_model_free(q);

  /* normals, d = 10: e^(|m|^2) Q(c + m.a) / Q(c)^2 - 1, here with the shift
   * along the axis, as the univariate loss N(0, s^2) moved by k s */
  p = issim_model_alloc_normal(D, loc, cov, &err);
  double mv[D];
  for (size_t i = 0; i < D; i++)
    mv[i] = -4 * scale / (0.1 * D); /* the loss moves by 4 scale */
  q = issim_model_alloc_normal(D, mv, cov, &err);
  double q4 = gsl_cdf_ugaussian_Q(4);
  got = issim_model_relative_variance_exact(p, q, wts, thr, 1, log(q4));
  want = exp(16) * gsl_cdf_ugaussian_Q(8) / (q4 * q4) - 1;
  ck_assert_msg(fabs(got - want) <= 1e-9 * want, "normal, d = 10: %.10g, want %.10g", got, want);
  issim_model_free(p), issim_model_free(q);
}
END_TEST


/* p^2/q for a trivariate t(4), q moved by (s1, s2, s3), integrated over
 * z1 + z2 + z3 > t by nested QUADPACK in Cartesian coordinates */
typedef struct {
  double s[3], t, z[3];
} t3_ctx;

static double t3_log_f(double r2)
{
  return lgamma(3.5) - lgamma(2) - 1.5 * log(4 * M_PI) - 3.5 * log1p(r2 / 4);
}

static double t3_z3(double z3, void *params)
{
  t3_ctx *c = params;
  double r2p = c->z[0] * c->z[0] + c->z[1] * c->z[1] + z3 * z3;
  double r2q = gsl_pow_2(c->z[0] - c->s[0]) + gsl_pow_2(c->z[1] - c->s[1]) + gsl_pow_2(z3 - c->s[2]);
  return exp(2 * t3_log_f(r2p) - t3_log_f(r2q));
}

static double t3_z2(double z2, void *params)
{
  t3_ctx *c = params;
  c->z[1] = z2;
  gsl_integration_workspace *w = gsl_integration_workspace_alloc(1000);
  gsl_function f = {t3_z3, c};
  double v, e;
  gsl_integration_qagiu(&f, c->t - c->z[0] - z2, 0, 1e-10, 1000, w, &v, &e);
  gsl_integration_workspace_free(w);
  return v;
}

static double t3_z1(double z1, void *params)
{
  t3_ctx *c = params;
  c->z[0] = z1;
  gsl_integration_workspace *w = gsl_integration_workspace_alloc(1000);
  gsl_function f = {t3_z2, c};
  double v, e;
  gsl_integration_qagi(&f, 0, 1e-9, 1000, w, &v, &e);
  gsl_integration_workspace_free(w);
  return v;
}

START_TEST(test_model_relative_variance_three_dimensions)
{
  /* a trivariate t(4), identity scale, z1 + z2 + z3 > 4, q moved by
   * (2, 1.5, 1) (off the axis (1, 1, 1)): against a Cartesian triple integral */
  issim_error err;
  const double id3[] = {1, 0, 0, 0, 1, 0, 0, 0, 1}, zero3[] = {0, 0, 0}, w3[] = {1, 1, 1};
  issim_model *p = issim_model_alloc_student_t(3, 4, zero3, id3, &err);
  issim_model *q = issim_model_alloc_student_t(3, 4, (double[]){2, 1.5, 1}, id3, &err);
  double log_p = log(gsl_cdf_tdist_Q(4 / sqrt(3.0), 4));
  t3_ctx c = {{2, 1.5, 1}, 4, {0, 0, 0}};
  gsl_integration_workspace *w = gsl_integration_workspace_alloc(1000);
  gsl_function f = {t3_z1, &c};
  double m2, m2_err;
  /* QUADPACK may report roundoff at these tolerances: its own error
   * estimate, checked below, says whether the reference is good enough */
  gsl_error_handler_t *old = gsl_set_error_handler_off();
  gsl_integration_qagi(&f, 0, 1e-8, 1000, w, &m2, &m2_err);
  gsl_set_error_handler(old);
  gsl_integration_workspace_free(w);
  ck_assert_msg(m2_err <= 1e-7 * m2, "the reference itself: %g +- %g", m2, m2_err);
  double want = m2 / exp(2 * log_p) - 1;
  double got = issim_model_relative_variance_exact(p, q, w3, 4, 1, log_p);
  ck_assert_msg(fabs(got - want) <= 1e-3 * (want + 1), "d = 3 off the axis: %.10g, want %.10g", got,
                want);
  issim_model_free(p), issim_model_free(q);
}
END_TEST

static Suite *divergence_suite(void)
{
  Suite *s = suite_create("divergence");
  TCase *tc = tcase_create("closed forms");
  /* Check's default is 4 s; the three-dimensional triple integral alone
   * takes about a second, more on a busy machine */
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_method_names);
  tcase_add_test(tc, test_information_judge);
  tcase_add_test(tc, test_divergence_weight_variance);
  tcase_add_test(tc, test_relative_variance_exact);
  tcase_add_test(tc, test_model_relative_variance_exact);
  tcase_add_test(tc, test_model_relative_variance_three_dimensions);
  tcase_add_test(tc, test_normal_pair);
  tcase_add_test(tc, test_exponential_pairs);
  tcase_add_test(tc, test_gamma_pair);
  tcase_add_test(tc, test_laplace_pair);
  tcase_add_test(tc, test_lognormal_pair);
  tcase_add_test(tc, test_uniform_pairs);
  tcase_add_loop_test(tc, test_identity_closed_forms, 0, NCLOSED);
  tcase_add_test(tc, test_kl_nonnegative_near_equal);
  suite_add_tcase(s, tc);

  tc = tcase_create("quadrature");
  tcase_set_timeout(tc, 60);
  tcase_add_loop_test(tc, test_quadrature_matches_closed_forms, 0, NCLOSED);
  tcase_add_loop_test(tc, test_kl_self_is_zero, 0, NFAMILIES);
  tcase_add_loop_test(tc, test_all_pairs_consistent, 0, NFAMILIES);
  tcase_add_loop_test(tc, test_quadrature_normal_q_moments, 0, 12);
  tcase_add_loop_test(tc, test_quadrature_exponential_q_mean, 0, 10);
  tcase_add_loop_test(tc, test_quadrature_uniform_q, 0, 3);
  tcase_add_loop_test(tc, test_quadrature_against_simpson, 0, 6);
  tcase_add_test(tc, test_finite_by_quadrature);
  tcase_add_test(tc, test_heavy_tails_by_quadrature);
  tcase_add_test(tc, test_refused_rather_than_truncated);
  suite_add_tcase(s, tc);

  tc = tcase_create("infinite and api");
  tcase_add_test(tc, test_infinities);
  tcase_add_loop_test(tc, test_entropy_exact, 0, NFAMILIES);
  tcase_add_test(tc, test_how_may_be_null);
  suite_add_tcase(s, tc);

  tc = tcase_create("models");
  tcase_set_timeout(tc, 30);
  tcase_add_test(tc, test_models_1d_agree);
  tcase_add_test(tc, test_models_2d_by_hand);
  tcase_add_test(tc, test_models_independent_sums);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  return run_suite(divergence_suite());
}
