/* Tests of src/loss.c: the built-in losses against direct computation
 * (d = 1, 3, 10, 1000), the norm at 1e200 and 0, the linear loss's weights,
 * clones (an expression's included), every error message of the built-ins,
 * and NaN pass-through.  The expression language is tested in
 * tests/check_expr.c.  Points come from a fixed-seed generator of its own
 * (no GSL needed). */
#include <check.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loss.h"
#include "check_main.h"
#include "check_util.h"
#include "loss_helpers.h"

/* ---- helpers ---- */

static const size_t DIMS[] = {1, 3, 10, 1000};
#define NDIMS (sizeof DIMS / sizeof DIMS[0])
#define NPTS 200

/* ---- built-in losses ---- */

START_TEST(test_identity)
{
  rng_seed(1);
  issim_error err = {0};
  issim_loss *g = issim_loss_alloc(ISSIM_LOSS_IDENTITY, 1, &err);
  ck_assert_ptr_nonnull(g);
  double *x = random_points(NPTS, 1), *out = xalloc(NPTS);
  issim_loss_eval(g, NPTS, x, out);
  for (size_t i = 0; i < NPTS; i++)
    ck_assert(out[i] == x[i]);
  ck_assert_int_eq(issim_loss_kind_of(g), ISSIM_LOSS_IDENTITY);
  ck_assert_uint_eq(issim_loss_dim(g), 1);
  ck_assert_ptr_null(issim_loss_weights(g));
  issim_loss_free(g);
  free(x);
  free(out);
}
END_TEST

/* sum, max, min and norm, in long double or directly */
static double direct(issim_loss_kind kind, size_t d, const double *row, double *scale)
{
  long double s = 0.0L, a = 0.0L;
  double m = row[0];
  switch (kind) {
  case ISSIM_LOSS_SUM:
    for (size_t j = 0; j < d; j++)
      s += row[j], a += fabsl(row[j]);
    *scale = (double)a;
    return (double)s;
  case ISSIM_LOSS_MAX:
    for (size_t j = 1; j < d; j++)
      m = row[j] > m ? row[j] : m;
    *scale = fabs(m);
    return m;
  case ISSIM_LOSS_MIN:
    for (size_t j = 1; j < d; j++)
      m = row[j] < m ? row[j] : m;
    *scale = fabs(m);
    return m;
  case ISSIM_LOSS_NORM:
    for (size_t j = 0; j < d; j++)
      s += (long double)row[j] * row[j];
    *scale = (double)sqrtl(s);
    return (double)sqrtl(s);
  default:
    ck_abort_msg("no direct computation for kind %d", (int)kind);
  }
  return NAN;
}

START_TEST(test_builtin_against_direct)
{
  const issim_loss_kind kinds[] = {ISSIM_LOSS_SUM, ISSIM_LOSS_MAX, ISSIM_LOSS_MIN,
                                   ISSIM_LOSS_NORM};
  rng_seed(2);
  for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++)
    for (size_t t = 0; t < NDIMS; t++) {
      size_t d = DIMS[t];
      issim_error err = {0};
      issim_loss *g = issim_loss_alloc(kinds[k], d, &err);
      ck_assert_msg(g != NULL, "%s", err.message);
      ck_assert_int_eq(issim_loss_kind_of(g), kinds[k]);
      ck_assert_uint_eq(issim_loss_dim(g), d);
      double *x = random_points(NPTS, d), *out = xalloc(NPTS);
      issim_loss_eval(g, NPTS, x, out);
      for (size_t i = 0; i < NPTS; i++) {
        double scale, want = direct(kinds[k], d, x + i * d, &scale);
        /* the sum's rounding error is at most d eps sum |x_j|; max and min
         * are exact; the norm's relative error is at most (d/2 + 1) eps */
        double tol = kinds[k] == ISSIM_LOSS_SUM ? (double)d * DBL_EPSILON * scale
                     : kinds[k] == ISSIM_LOSS_NORM ? ((double)d / 2 + 1) * DBL_EPSILON * scale
                                                   : 0.0;
        ck_assert_msg(fabs(out[i] - want) <= tol, "%s, d = %zu, point %zu: %.17g vs %.17g",
                      issim_loss_kind_name(kinds[k]), d, i, out[i], want);
      }
      /* n = 0 writes nothing */
      issim_loss_eval(g, 0, x, NULL);
      issim_loss_free(g);
      free(x);
      free(out);
    }
}
END_TEST

/* linear and sum take four points at a time: every count of points left
 * over, each sum formed in the order of the components. */
START_TEST(test_linear_and_sum_any_count)
{
  enum { D = 5 };
  const double w[D] = {0.3, -1.7, 2.5, 1e-3, -0.1};
  double x[7 * D], out[7];
  for (size_t i = 0; i < 7 * D; i++)
    x[i] = sin(1.0 + (double)i) * 10;
  issim_error err;
  issim_loss *lin = issim_loss_alloc_linear(D, w, &err), *sum = issim_loss_alloc(ISSIM_LOSS_SUM, D, &err);
  ck_assert_ptr_nonnull(lin);
  ck_assert_ptr_nonnull(sum);
  for (size_t n = 1; n <= 7; n++) {
    issim_loss_eval(lin, n, x, out);
    for (size_t i = 0; i < n; i++) {
      double s = 0.0;
      for (size_t j = 0; j < D; j++)
        s += w[j] * x[i * D + j];
      ck_assert(out[i] == s);
    }
    issim_loss_eval(sum, n, x, out);
    for (size_t i = 0; i < n; i++) {
      double s = 0.0;
      for (size_t j = 0; j < D; j++)
        s += x[i * D + j];
      ck_assert(out[i] == s);
    }
  }
  issim_loss_free(lin), issim_loss_free(sum);
}
END_TEST

/* The linear form: the weights of a linear loss (a copy), 1s for sum and
 * identity, and nothing (w untouched) for the others; the loss it gives is
 * the loss's own to the last digit (the same sums in the same order). */
START_TEST(test_linear_form)
{
  enum { D = 5 };
  const double w[D] = {0.3, -1.7, 2.5, 1e-3, -0.1};
  double x[3 * D], form[D], out[3], mine[3];
  for (size_t i = 0; i < 3 * D; i++)
    x[i] = cos(2.0 + (double)i) * 7;
  issim_error err;
  issim_loss *gs[] = {issim_loss_alloc_linear(D, w, &err),
                      issim_loss_alloc(ISSIM_LOSS_SUM, D, &err),
                      issim_loss_alloc(ISSIM_LOSS_IDENTITY, 1, &err),
                      issim_loss_alloc(ISSIM_LOSS_MAX, D, &err),
                      issim_loss_alloc(ISSIM_LOSS_MIN, D, &err),
                      issim_loss_alloc(ISSIM_LOSS_NORM, D, &err),
                      expr(D, "x1 + x2")};
  for (size_t k = 0; k < sizeof gs / sizeof gs[0]; k++) {
    issim_loss *g = gs[k];
    ck_assert_ptr_nonnull(g);
    const size_t d = issim_loss_dim(g);
    for (size_t j = 0; j < D; j++)
      form[j] = 42;
    const int linear = issim_loss_linear_form(g, form);
    ck_assert_int_eq(linear, k < 3);
    for (size_t j = 0; j < D; j++)
      ck_assert(form[j] == (!linear || j >= d ? 42 : k == 0 ? w[j] : 1));
    if (!linear)
      continue;
    issim_loss_eval(g, 3, x, out);
    for (size_t i = 0; i < 3; i++) {
      double s = 0.0;
      for (size_t j = 0; j < d; j++)
        s += form[j] * x[i * d + j];
      mine[i] = s;
    }
    ck_assert_mem_eq(out, mine, sizeof out);
  }
  for (size_t k = 0; k < sizeof gs / sizeof gs[0]; k++)
    issim_loss_free(gs[k]);
}
END_TEST

START_TEST(test_linear)
{
  rng_seed(3);
  for (size_t t = 0; t < NDIMS; t++) {
    size_t d = DIMS[t];
    double *w = random_points(1, d);
    issim_error err = {0};
    issim_loss *g = issim_loss_alloc_linear(d, w, &err);
    ck_assert_msg(g != NULL, "%s", err.message);
    ck_assert_int_eq(issim_loss_kind_of(g), ISSIM_LOSS_LINEAR);
    /* copied */
    const double *gw = issim_loss_weights(g);
    ck_assert_ptr_nonnull(gw);
    ck_assert_ptr_ne(gw, w);
    ck_assert_mem_eq(gw, w, d * sizeof *w);
    double w0 = w[0];
    w[0] = 1e300;
    double *x = random_points(NPTS, d), *out = xalloc(NPTS);
    issim_loss_eval(g, NPTS, x, out);
    w[0] = w0;
    for (size_t i = 0; i < NPTS; i++) {
      long double s = 0.0L, a = 0.0L;
      for (size_t j = 0; j < d; j++) {
        s += (long double)w[j] * x[i * d + j];
        a += fabsl((long double)w[j] * x[i * d + j]);
      }
      ck_assert_msg(fabs(out[i] - (double)s) <= (double)(d + 1) * DBL_EPSILON * (double)a,
                    "d = %zu, point %zu: %.17g vs %.17Lg", d, i, out[i], s);
    }
    issim_loss_free(g);
    free(w);
    free(x);
    free(out);
  }
  /* a portfolio: holdings 2 and 3, loss = -(2 r1 + 3 r2) */
  double w[2] = {-2.0, -3.0}, r[4] = {0.1, -0.2, -0.05, 0.01}, out[2];
  issim_loss *g = issim_loss_alloc_linear(2, w, NULL);
  issim_loss_eval(g, 2, r, out);
  ck_assert(out[0] == -2.0 * 0.1 + -3.0 * -0.2);
  ck_assert(out[1] == -2.0 * -0.05 + -3.0 * 0.01);
  issim_loss_free(g);
}
END_TEST

START_TEST(test_norm_extremes)
{
  const size_t dims[] = {1, 3, 1000};
  for (size_t t = 0; t < 3; t++) {
    size_t d = dims[t];
    issim_loss *g = issim_loss_alloc(ISSIM_LOSS_NORM, d, NULL);
    double *x = xalloc(d), out;
    /* all 1e200: sqrt(d) 1e200, where the plain sum of squares overflows */
    for (size_t j = 0; j < d; j++)
      x[j] = j % 2 ? -1e200 : 1e200;
    issim_loss_eval(g, 1, x, &out);
    assert_rel_at(out, sqrt((double)d) * 1e200, 4 * DBL_EPSILON, "norm of 1e200", d);
    /* all 1e-200: no underflow to 0 */
    for (size_t j = 0; j < d; j++)
      x[j] = 1e-200;
    issim_loss_eval(g, 1, x, &out);
    assert_rel_at(out, sqrt((double)d) * 1e-200, 4 * DBL_EPSILON, "norm of 1e-200", d);
    /* the smallest subnormal */
    for (size_t j = 0; j < d; j++)
      x[j] = j == 0 ? 4.9406564584124654e-324 : 0.0;
    issim_loss_eval(g, 1, x, &out);
    ck_assert(out == 4.9406564584124654e-324);
    /* zeros */
    for (size_t j = 0; j < d; j++)
      x[j] = j % 2 ? -0.0 : 0.0;
    issim_loss_eval(g, 1, x, &out);
    ck_assert(out == 0.0 && !signbit(out));
    /* 1e200 beside 1 and 0: 1 is lost, exactly as in the true value */
    if (d >= 3) {
      for (size_t j = 0; j < d; j++)
        x[j] = 0.0;
      x[0] = 3e200;
      x[1] = 1.0;
      x[2] = -4e200;
      issim_loss_eval(g, 1, x, &out);
      assert_rel_at(out, 5e200, 2 * DBL_EPSILON, "norm of (3e200, 1, -4e200)", d);
      /* infinity, and infinity beside NaN (as hypot) */
      x[1] = INFINITY;
      issim_loss_eval(g, 1, x, &out);
      ck_assert(out == INFINITY);
      x[2] = NAN;
      issim_loss_eval(g, 1, x, &out);
      ck_assert(out == INFINITY);
      x[1] = 1.0;
      issim_loss_eval(g, 1, x, &out);
      ck_assert(isnan(out));
    }
    issim_loss_free(g);
    free(x);
  }
  /* DBL_MAX in each of 2 components: sqrt(2) DBL_MAX overflows, honestly */
  issim_loss *g = issim_loss_alloc(ISSIM_LOSS_NORM, 2, NULL);
  double x[2] = {DBL_MAX, 0.5 * DBL_MAX}, out;
  issim_loss_eval(g, 1, x, &out);
  assert_rel_at(out, DBL_MAX * sqrt(1.25), 2 * DBL_EPSILON, "norm of (DBL_MAX, DBL_MAX/2)", 0);
  x[1] = DBL_MAX;
  issim_loss_eval(g, 1, x, &out);
  ck_assert(out == INFINITY);
  issim_loss_free(g);
}
END_TEST

START_TEST(test_builtin_nan)
{
  const double x[3] = {1.0, NAN, 2.0}, y[3] = {NAN, 1.0, 2.0};
  const issim_loss_kind kinds[] = {ISSIM_LOSS_SUM, ISSIM_LOSS_MAX, ISSIM_LOSS_MIN,
                                   ISSIM_LOSS_NORM};
  for (size_t k = 0; k < 4; k++) {
    issim_loss *g = issim_loss_alloc(kinds[k], 3, NULL);
    ck_assert_msg(isnan(eval1(g, x)), "%s", issim_loss_kind_name(kinds[k]));
    ck_assert_msg(isnan(eval1(g, y)), "%s", issim_loss_kind_name(kinds[k]));
    issim_loss_free(g);
  }
  double w[3] = {1, 1, 1};
  issim_loss *g = issim_loss_alloc_linear(3, w, NULL);
  ck_assert(isnan(eval1(g, x)));
  issim_loss_free(g);
  /* infinities are values: max of (-inf, 1) is 1 */
  const double z[2] = {-INFINITY, 1.0};
  g = issim_loss_alloc(ISSIM_LOSS_MAX, 2, NULL);
  ck_assert(eval1(g, z) == 1.0);
  issim_loss_free(g);
  g = issim_loss_alloc(ISSIM_LOSS_MIN, 2, NULL);
  ck_assert(eval1(g, z) == -INFINITY);
  issim_loss_free(g);
}
END_TEST

START_TEST(test_kind_names)
{
  ck_assert_str_eq(issim_loss_kind_name(ISSIM_LOSS_IDENTITY), "identity");
  ck_assert_str_eq(issim_loss_kind_name(ISSIM_LOSS_LINEAR), "linear");
  ck_assert_str_eq(issim_loss_kind_name(ISSIM_LOSS_SUM), "sum");
  ck_assert_str_eq(issim_loss_kind_name(ISSIM_LOSS_MAX), "max");
  ck_assert_str_eq(issim_loss_kind_name(ISSIM_LOSS_MIN), "min");
  ck_assert_str_eq(issim_loss_kind_name(ISSIM_LOSS_NORM), "norm");
  ck_assert_str_eq(issim_loss_kind_name(ISSIM_LOSS_EXPRESSION), "expression");
  ck_assert_str_eq(issim_loss_kind_name(ISSIM_LOSS_FUNCTION), "function");
}
END_TEST

/* ---- clones ---- */

/* the four-branch series system (expr.h), as in tests/check_expr.c */
static const char *FOUR_BRANCH =
    "min(3 + 0.1*(x1 - x2)^2 - (x1 + x2)/sqrt(2),\n"
    "    3 + 0.1*(x1 - x2)^2 + (x1 + x2)/sqrt(2),\n"
    "    (x1 - x2) + 6/sqrt(2), (x2 - x1) + 6/sqrt(2))";


START_TEST(test_clone)
{
  rng_seed(7);
  double w[3] = {1.5, -2.0, 0.25};
  issim_loss *orig[4] = {
      expr(2, FOUR_BRANCH),
      issim_loss_alloc_linear(3, w, NULL),
      issim_loss_alloc(ISSIM_LOSS_NORM, 3, NULL),
      expr(3, "x1 * max(x2, x3 + min(x1, 1))"),
  };
  for (size_t k = 0; k < 4; k++) {
    issim_loss *g = orig[k];
    size_t d = issim_loss_dim(g);
    issim_loss *c = issim_loss_clone(g);
    ck_assert_ptr_nonnull(c);
    ck_assert_ptr_ne(c, g);
    ck_assert_int_eq(issim_loss_kind_of(c), issim_loss_kind_of(g));
    ck_assert_uint_eq(issim_loss_dim(c), d);
    if (issim_loss_kind_of(g) == ISSIM_LOSS_LINEAR) {
      ck_assert_ptr_ne(issim_loss_weights(c), issim_loss_weights(g));
      ck_assert_mem_eq(issim_loss_weights(c), w, sizeof w);
    }
    double *x = random_points(100, d), *a = xalloc(100), *b = xalloc(100);
    issim_loss_eval(g, 100, x, a);
    /* interleaved, one point at a time, in opposite orders */
    for (size_t i = 0; i < 100; i++) {
      double u = eval1(c, x + (99 - i) * d), v = eval1(g, x + i * d);
      ck_assert(u == a[99 - i]);
      ck_assert(v == a[i]);
    }
    /* the clone lives on without the original */
    issim_loss_free(g);
    issim_loss_eval(c, 100, x, b);
    ck_assert_mem_eq(a, b, 100 * sizeof *a);
    issim_loss_free(c);
    free(x);
    free(a);
    free(b);
  }
}
END_TEST

/* ---- function losses: the caller's own model ---- */

/* What the callbacks saw: states made and freed, releases, evaluations. */
typedef struct {
  int made, freed, released, evals;
  double fail_above; /* a point with x1 above this fails the batch */
  int nan_above;     /* ... or gets NaN instead */
  int refuse_init;
} ledger;

typedef struct {
  ledger *l;
  int id;       /* which state */
  int calls;
  char said[64];
} fn_state;

static int fn_init(void *user, void **state)
{
  ledger *l = user;
  if (l->refuse_init)
    return 1;
  fn_state *s = calloc(1, sizeof *s);
  s->l = l;
  s->id = ++l->made;
  *state = s;
  return 0;
}

static void fn_done(void *user, void *state)
{
  ledger *l = user;
  l->freed++;
  free(state);
}

static void fn_release(void *user)
{
  ((ledger *)user)->released++;
}

static const char *fn_message(void *user, void *state)
{
  (void)user;
  fn_state *s = state;
  return s ? s->said : "init refused on purpose";
}

/* g = x1 - 2 x2 (d = 2); a batch with x1 > fail_above fails */
static int fn_eval(const double *x, size_t n, size_t d, double *g, void *state)
{
  fn_state *s = state;
  s->calls++;
  s->l->evals++;
  for (size_t i = 0; i < n; i++) {
    if (x[i * d] > s->l->fail_above && !s->l->nan_above) {
      snprintf(s->said, sizeof s->said, "x1 = %g is too large", x[i * d]);
      return 5;
    }
    g[i] = x[i * d] > s->l->fail_above ? NAN : x[i * d] - 2 * x[i * d + 1];
  }
  return 0;
}

static issim_loss *function_loss(ledger *l, int with_state)
{
  issim_loss_function f = {.eval = fn_eval, .user = l, .release = fn_release, .name = "model m"};
  if (with_state)
    f.init = fn_init, f.done = fn_done, f.message = fn_message;
  issim_error err;
  issim_loss *g = issim_loss_alloc_function(2, &f, &err);
  ck_assert_msg(g != NULL, "%s", err.message);
  return g;
}

START_TEST(test_function_evaluates_and_describes)
{
  ledger l = {.fail_above = INFINITY};
  issim_loss *g = function_loss(&l, 1);
  ck_assert_int_eq(issim_loss_kind_of(g), ISSIM_LOSS_FUNCTION);
  ck_assert_uint_eq(issim_loss_dim(g), 2);
  double w[2];
  ck_assert_int_eq(issim_loss_linear_form(g, w), 0); /* issim knows nothing of its form */
  ck_assert_ptr_null(issim_loss_weights(g));
  char what[64];
  issim_loss_describe(g, what, sizeof what);
  ck_assert_str_eq(what, "model m");
  ck_assert_int_eq(l.made, 0); /* the state is made at the first evaluation */
  double x[6] = {1, 2, -3, 0.5, 1e308, -1e308}, out[3];
  ck_assert_int_eq(issim_loss_eval(g, 3, x, out), ISSIM_OK);
  ck_assert(out[0] == -3 && out[1] == -4 && out[2] == INFINITY); /* inf is a number */
  ck_assert_int_eq(l.made, 1);
  ck_assert_str_eq(issim_loss_error(g), "");
  issim_loss_free(g);
  ck_assert_int_eq(l.freed, 1);
  ck_assert_int_eq(l.released, 1);
}
END_TEST

START_TEST(test_function_copies_have_their_own_state)
{
  ledger l = {.fail_above = INFINITY};
  issim_loss *g = function_loss(&l, 1);
  issim_loss *c[3];
  for (int k = 0; k < 3; k++)
    ck_assert_ptr_nonnull(c[k] = issim_loss_clone(g));
  ck_assert_int_eq(l.made, 0);
  double x[2] = {1, 1}, out;
  for (int k = 0; k < 3; k++)
    ck_assert_int_eq(issim_loss_eval(c[k], 1, x, &out), ISSIM_OK);
  ck_assert_int_eq(issim_loss_eval(c[1], 1, x, &out), ISSIM_OK);
  ck_assert_int_eq(l.made, 3); /* one state per copy, made once; the original has none yet */
  issim_loss_free(g);          /* the copies outlive the original */
  ck_assert_int_eq(l.released, 0);
  ck_assert_int_eq(issim_loss_eval(c[2], 1, x, &out), ISSIM_OK);
  ck_assert(out == -1);
  for (int k = 0; k < 3; k++)
    issim_loss_free(c[k]);
  ck_assert_int_eq(l.freed, 3);
  ck_assert_int_eq(l.released, 1); /* once, with the last copy */
  ck_assert_int_eq(l.evals, 5);
}
END_TEST

START_TEST(test_function_without_state_gets_user)
{
  ledger l = {.fail_above = INFINITY};
  issim_loss_function f = {.eval = fn_eval, .name = "m"};
  fn_state shared = {.l = &l};
  f.user = &shared; /* the state of every copy */
  issim_loss *g = issim_loss_alloc_function(2, &f, NULL), *c = issim_loss_clone(g);
  double x[2] = {3, 1}, out;
  ck_assert_int_eq(issim_loss_eval(g, 1, x, &out), ISSIM_OK);
  ck_assert_int_eq(issim_loss_eval(c, 1, x, &out), ISSIM_OK);
  ck_assert_int_eq(shared.calls, 2);
  issim_loss_free(c);
  issim_loss_free(g);
}
END_TEST

START_TEST(test_function_failures)
{
  ledger l = {.fail_above = 10};
  issim_loss *g = function_loss(&l, 1);
  double x[6] = {1, 2, 11, 0, 3, 4}, out[3];
  ck_assert_int_eq(issim_loss_eval(g, 1, x, out), ISSIM_OK);
  ck_assert_int_eq(issim_loss_eval(g, 3, x, out), ISSIM_ELOSS);
  ck_assert_str_eq(issim_loss_error(g), "model m failed on a batch of 3 points from x = (1, 2): "
                                        "x1 = 11 is too large");
  ck_assert_int_eq(issim_loss_eval(g, 1, x, out), ISSIM_OK); /* the message is the last call's */
  ck_assert_str_eq(issim_loss_error(g), "");
  /* NaN is a failure, naming the point */
  l.nan_above = 1;
  ck_assert_int_eq(issim_loss_eval(g, 3, x, out), ISSIM_ELOSS);
  ck_assert_ptr_nonnull(strstr(issim_loss_error(g), "model m returned NaN for x = (11, 0) (point 2 "
                                                    "of a batch of 3)"));
  issim_loss_free(g);
  /* without a message function: the code it returned */
  l.nan_above = 0;
  issim_loss_function f = {.eval = fn_eval, .user = &(fn_state){.l = &l}, .name = "bare"};
  g = issim_loss_alloc_function(2, &f, NULL);
  ck_assert_int_eq(issim_loss_eval(g, 3, x, out), ISSIM_ELOSS);
  ck_assert_str_eq(issim_loss_error(g), "bare failed on a batch of 3 points from x = (1, 2): "
                                        "it returned 5");
  issim_loss_free(g);
  /* an init that fails: every evaluation says so, nothing to free */
  l = (ledger){.fail_above = INFINITY, .refuse_init = 1};
  g = function_loss(&l, 1);
  ck_assert_int_eq(issim_loss_eval(g, 1, x, out), ISSIM_ELOSS);
  ck_assert_str_eq(issim_loss_error(g), "model m could not be initialised: init refused on purpose");
  issim_loss_free(g);
  ck_assert_int_eq(l.freed, 0);
  ck_assert_int_eq(l.released, 1);
  /* allocation errors */
  issim_error err;
  ck_assert_ptr_null(issim_loss_alloc_function(0, &f, &err));
  f.eval = NULL;
  ck_assert_ptr_null(issim_loss_alloc_function(2, &f, &err));
  ck_assert_int_eq(err.code, ISSIM_EINVAL);
  ck_assert_ptr_null(issim_loss_alloc(ISSIM_LOSS_FUNCTION, 2, &err));
  ck_assert_str_eq(err.message, "the function loss needs a function: allocate it with "
                                "issim_loss_alloc_function");
}
END_TEST

/* ---- errors ---- */

START_TEST(test_builtin_errors)
{
  issim_error err = {0};
  /* d = 0, for every constructor */
  ck_assert_ptr_null(issim_loss_alloc(ISSIM_LOSS_SUM, 0, &err));
  ck_assert_int_eq(err.code, ISSIM_EINVAL);
  ck_assert_str_eq(err.key, "");
  ck_assert_str_eq(err.message, "a loss needs at least 1 dimension: the model has d = 0");
  double w[2] = {1.0, 2.0};
  err = (issim_error){0};
  ck_assert_ptr_null(issim_loss_alloc_linear(0, w, &err));
  ck_assert_str_eq(err.message, "a loss needs at least 1 dimension: the model has d = 0");
  /* NULL and non-finite weights */
  err = (issim_error){0};
  ck_assert_ptr_null(issim_loss_alloc_linear(3, NULL, &err));
  ck_assert_int_eq(err.code, ISSIM_EINVAL);
  ck_assert_str_eq(err.key, "weights");
  ck_assert_str_eq(err.message,
                   "the linear loss needs 3 weights, one per dimension: none given");
  ck_assert_ptr_null(issim_loss_alloc_linear(1, NULL, &err));
  ck_assert_str_eq(err.message, "the linear loss needs 1 weight, one per dimension: none given");
  w[1] = NAN;
  ck_assert_ptr_null(issim_loss_alloc_linear(2, w, &err));
  ck_assert_str_eq(err.key, "weights");
  ck_assert_str_eq(err.message, "weight 2 of the linear loss is nan: weights must be finite");
  w[1] = -INFINITY;
  ck_assert_ptr_null(issim_loss_alloc_linear(2, w, &err));
  ck_assert_str_eq(err.message, "weight 2 of the linear loss is -inf: weights must be finite");
  /* identity beyond d = 1 */
  err = (issim_error){0};
  ck_assert_ptr_null(issim_loss_alloc(ISSIM_LOSS_IDENTITY, 3, &err));
  ck_assert_int_eq(err.code, ISSIM_EINVAL);
  ck_assert_str_eq(err.message,
                   "the identity loss g(x) = x1 is for d = 1, and the model has d = 3: use the "
                   "expression x1 for the first component, or sum, max, norm...");
  /* the kinds with their own constructors */
  ck_assert_ptr_null(issim_loss_alloc(ISSIM_LOSS_LINEAR, 2, &err));
  ck_assert_str_eq(err.message,
                   "the linear loss needs weights: allocate it with issim_loss_alloc_linear");
  ck_assert_ptr_null(issim_loss_alloc(ISSIM_LOSS_EXPRESSION, 2, &err));
  ck_assert_str_eq(err.message, "the expression loss needs a formula: allocate it with "
                                "issim_loss_alloc_expression");
  ck_assert_ptr_null(issim_loss_alloc((issim_loss_kind)42, 2, &err));
  ck_assert_str_eq(err.message, "unknown loss kind 42");
  /* without an issim_error */
  ck_assert_ptr_null(issim_loss_alloc(ISSIM_LOSS_NORM, 0, NULL));
  ck_assert_ptr_null(issim_loss_alloc_linear(2, NULL, NULL));
  issim_loss_free(NULL);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("loss");
  TCase *tc = tcase_create("builtin");
  tcase_add_test(tc, test_identity);
  tcase_add_test(tc, test_builtin_against_direct);
  tcase_add_test(tc, test_linear);
  tcase_add_test(tc, test_linear_and_sum_any_count);
  tcase_add_test(tc, test_linear_form);
  tcase_add_test(tc, test_norm_extremes);
  tcase_add_test(tc, test_builtin_nan);
  tcase_add_test(tc, test_kind_names);
  tcase_add_test(tc, test_clone);
  suite_add_tcase(s, tc);

  tc = tcase_create("function");
  tcase_add_test(tc, test_function_evaluates_and_describes);
  tcase_add_test(tc, test_function_copies_have_their_own_state);
  tcase_add_test(tc, test_function_without_state_gets_user);
  tcase_add_test(tc, test_function_failures);
  suite_add_tcase(s, tc);

  tc = tcase_create("errors");
  tcase_add_test(tc, test_builtin_errors);
  suite_add_tcase(s, tc);

  return run_suite(s);
}
