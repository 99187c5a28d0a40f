/* Tests of src/expr.c, the expression language (expr.h), through its own API
 * and through the expression loss that wraps it: the four-branch series
 * system against the same formula in C, every documented function and
 * constant, min and max nested and placed anywhere, every error message, NaN
 * pass-through, no output from libmatheval's scanner, and expressions
 * created concurrently.  Points come from a fixed-seed generator of its own
 * (no GSL needed). */
#define _POSIX_C_SOURCE 200809L

#include <check.h>
#include <float.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "expr.h"
#include "loss.h"
#include "check_main.h"
#include "loss_helpers.h"

/* ---- helpers: loss_helpers.h ---- */


static double expr1(size_t d, const char *formula, const double *x)
{
  issim_loss *g = expr(d, formula);
  double v = eval1(g, x);
  issim_loss_free(g);
  return v;
}


/* ---- expressions ---- */

static const char *FOUR_BRANCH =
    "min(3 + 0.1*(x1 - x2)^2 - (x1 + x2)/sqrt(2),\n"
    "    3 + 0.1*(x1 - x2)^2 + (x1 + x2)/sqrt(2),\n"
    "    (x1 - x2) + 6/sqrt(2), (x2 - x1) + 6/sqrt(2))";

static double four_branch(double x1, double x2)
{
  double b1 = 3 + 0.1 * pow(x1 - x2, 2) - (x1 + x2) / sqrt(2);
  double b2 = 3 + 0.1 * pow(x1 - x2, 2) + (x1 + x2) / sqrt(2);
  double b3 = (x1 - x2) + 6 / sqrt(2);
  double b4 = (x2 - x1) + 6 / sqrt(2);
  return fmin(fmin(b1, b2), fmin(b3, b4));
}

START_TEST(test_four_branch)
{
  rng_seed(4);
  issim_loss *g = expr(2, FOUR_BRANCH);
  ck_assert_int_eq(issim_loss_kind_of(g), ISSIM_LOSS_EXPRESSION);
  ck_assert_uint_eq(issim_loss_dim(g), 2);
  ck_assert_ptr_null(issim_loss_weights(g));
  enum { N = 5000 };
  double *x = xalloc(2 * N), *out = xalloc(N);
  for (size_t i = 0; i < 2 * N; i++)
    x[i] = 8.0 * uniform() - 4.0; /* over all four branches and the failure region */
  issim_loss_eval(g, N, x, out);
  size_t failures = 0;
  for (size_t i = 0; i < N; i++) {
    double want = four_branch(x[2 * i], x[2 * i + 1]);
    /* the branches are sums of terms of size <= 10: relative to that */
    ck_assert_msg(fabs(out[i] - want) <= 1e-12 * fmax(fabs(want), 1.0),
                  "point %zu (%g, %g): %.17g vs %.17g", i, x[2 * i], x[2 * i + 1], out[i], want);
    failures += out[i] <= 0;
  }
  ck_assert_uint_gt(failures, 0); /* the failure region was visited */
  issim_loss_free(g);
  free(x);
  free(out);
}
END_TEST

typedef struct {
  const char *formula; /* in x1 */
  double (*f)(double);
} unary_case;

static double c_cot(double x) { return 1 / tan(x); }
static double c_sec(double x) { return 1 / cos(x); }
static double c_csc(double x) { return 1 / sin(x); }
static double c_acot(double x) { return atan(1 / x); }
static double c_asec(double x) { return acos(1 / (1 + x)); }
static double c_acsc(double x) { return asin(1 / (1 + x)); }
static double c_coth(double x) { return 1 / tanh(x); }
static double c_sech(double x) { return 1 / cosh(x); }
static double c_csch(double x) { return 1 / sinh(x); }
static double c_acosh(double x) { return acosh(1 + x); }
static double c_acoth(double x) { return atanh(1 / (1 + x)); }
static double c_asech(double x) { return acosh(1 / x); }
static double c_acsch(double x) { return asinh(1 / x); }
static double c_step(double x) { return x - 0.5 >= 0 ? 1.0 : 0.0; }
static double c_neg_abs(double x) { return fabs(-x); }

START_TEST(test_every_function)
{
  /* x1 in (0.05, 0.95): in every domain below */
  const unary_case cases[] = {
      {"exp(x1)", exp},       {"log(x1)", log},       {"sqrt(x1)", sqrt},
      {"abs(-x1)", c_neg_abs}, {"erf(x1)", erf},      {"step(x1 - 0.5)", c_step},
      {"sin(x1)", sin},       {"cos(x1)", cos},       {"tan(x1)", tan},
      {"cot(x1)", c_cot},     {"sec(x1)", c_sec},     {"csc(x1)", c_csc},
      {"asin(x1)", asin},     {"acos(x1)", acos},     {"atan(x1)", atan},
      {"acot(x1)", c_acot},   {"asec(1 + x1)", c_asec}, {"acsc(1 + x1)", c_acsc},
      {"sinh(x1)", sinh},     {"cosh(x1)", cosh},     {"tanh(x1)", tanh},
      {"coth(x1)", c_coth},   {"sech(x1)", c_sech},   {"csch(x1)", c_csch},
      {"asinh(x1)", asinh},   {"acosh(1 + x1)", c_acosh}, {"atanh(x1)", atanh},
      {"acoth(1 + x1)", c_acoth}, {"asech(x1)", c_asech}, {"acsch(x1)", c_acsch},
  };
  rng_seed(5);
  for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
    issim_loss *g = expr(1, cases[k].formula);
    for (size_t i = 0; i < 50; i++) {
      double x = 0.05 + 0.9 * uniform();
      assert_rel_at(eval1(g, &x), cases[k].f(x), 1e-13, cases[k].formula, i);
    }
    issim_loss_free(g);
  }
  /* delta and nandelta: 0 off 0; +inf and NaN at 0 */
  double half = 0.5, quarter = 0.25;
  ck_assert(expr1(1, "delta(x1 - 0.5)", &quarter) == 0.0);
  ck_assert(expr1(1, "delta(x1 - 0.5)", &half) == INFINITY);
  ck_assert(expr1(1, "nandelta(x1 - 0.5)", &quarter) == 0.0);
  ck_assert(isnan(expr1(1, "nandelta(x1 - 0.5)", &half)));
  ck_assert(expr1(1, "step(x1 - 0.5)", &half) == 1.0);

  /* all of them at once, with every operator, in 3 variables */
  const char *all =
      "exp(x1) + log(x2) * sqrt(x3) - abs(x1 - x2) / erf(x3) + step(x1) + delta(x1)"
      " + nandelta(x2) + sin(x1)^2 + cos(x2) + tan(x3) + cot(x1) + sec(x2) + csc(x3)"
      " + asin(x1) + acos(x2) + atan(x3) + acot(x1) + asec(1 + x2) + acsc(1 + x3)"
      " + sinh(x1) + cosh(x2) + tanh(x3) + coth(x1) + sech(x2) + csch(x3)"
      " + asinh(x1) + acosh(1 + x2) + atanh(x3) + acoth(1 + x1) + asech(x2) + acsch(x3)"
      " + max(x1, x2, x3) - min(x1, x2 * x3)";
  issim_loss *g = expr(3, all);
  for (size_t i = 0; i < 50; i++) {
    double x[3];
    for (size_t j = 0; j < 3; j++)
      x[j] = 0.05 + 0.9 * uniform();
    double a = x[0], b = x[1], c = x[2];
    double want = exp(a) + log(b) * sqrt(c) - fabs(a - b) / erf(c) + 1.0 + 0.0 + 0.0 +
                  pow(sin(a), 2) + cos(b) + tan(c) + 1 / tan(a) + 1 / cos(b) + 1 / sin(c) +
                  asin(a) + acos(b) + atan(c) + atan(1 / a) + acos(1 / (1 + b)) +
                  asin(1 / (1 + c)) + sinh(a) + cosh(b) + tanh(c) + 1 / tanh(a) +
                  1 / cosh(b) + 1 / sinh(c) + asinh(a) + acosh(1 + b) + atanh(c) +
                  atanh(1 / (1 + a)) + acosh(1 / b) + asinh(1 / c) + fmax(a, fmax(b, c)) -
                  fmin(a, b * c);
    assert_rel_at(eval1(g, x), want, 1e-12, "every function", i);
  }
  issim_loss_free(g);
}
END_TEST

START_TEST(test_constants)
{
  const struct {
    const char *name;
    double value;
  } constants[] = {
      {"e", 2.718281828459045235360287},     {"pi", 3.141592653589793238462643},
      {"log2e", 1.442695040888963407359925}, {"log10e", 0.434294481903251827651129},
      {"ln2", 0.693147180559945309417232},   {"ln10", 2.302585092994045684017991},
      {"pi_2", 1.570796326794896619231322},  {"pi_4", 0.785398163397448309615661},
      {"1_pi", 0.318309886183790671537768},  {"2_pi", 0.636619772367581343075535},
      {"2_sqrtpi", 1.128379167095512573896159}, {"sqrt2", 1.414213562373095048801689},
      {"sqrt1_2", 0.707106781186547524400844},
  };
  double x = 2.0;
  for (size_t k = 0; k < sizeof constants / sizeof constants[0]; k++) {
    char f[64];
    snprintf(f, sizeof f, "%s", constants[k].name);
    assert_rel_at(expr1(1, f, &x), constants[k].value, 2 * DBL_EPSILON, f, k);
    /* beside a variable and an operator, with no space */
    snprintf(f, sizeof f, "x1*%s", constants[k].name);
    assert_rel_at(expr1(1, f, &x), 2.0 * constants[k].value, 2 * DBL_EPSILON, f, k);
  }
}
END_TEST

START_TEST(test_syntax_details)
{
  double x[3] = {0.5, -2.0, 3.0};
  /* numbers */
  assert_rel_at(expr1(3, ".5*x1 + 5.*x2 + 1.5E+1 + 2e-3 + 1e2*x3", x),
               0.25 - 10.0 + 15.0 + 0.002 + 300.0, 1e-15, "numbers", 0);
  /* whitespace of every kind, or none */
  ck_assert(expr1(3, " \tx1 +\n\r x2\v\f", x) == -1.5);
  ck_assert(expr1(3, "x1+x2*x3", x) == 0.5 - 6.0);
  /* ^ is left-associative and binds tighter than unary minus */
  ck_assert(expr1(3, "2^3^2", x) == 64.0);
  ck_assert(expr1(3, "-x3^2", x) == -9.0);
  ck_assert(expr1(3, "x2^3", x) == -8.0);
  ck_assert(expr1(3, "x3 - -x2", x) == 1.0);
  /* a formula that is a single variable or number */
  ck_assert(expr1(3, "x3", x) == 3.0);
  ck_assert(expr1(3, "(x2)", x) == -2.0);
  ck_assert(expr1(3, "42", x) == 42.0);
  /* d = 1000: two variables out of 1000 */
  double *y = xalloc(1000);
  for (size_t j = 0; j < 1000; j++)
    y[j] = (double)j + 1;
  ck_assert(expr1(1000, "x1000 - x1 + x500", y) == 999.0 + 500.0);
  free(y);
}
END_TEST

START_TEST(test_min_max)
{
  rng_seed(6);
  const char *formulas[] = {
      "max(x1, min(x2, x3)) + 1",
      "2*min(x1, x2)^2 + sin(max(x1, x3))",
      "max(min(x1, x2), min(x3, x4), x1*x2)",
      "-min(x1, x2)",
      "min(x4)",
      "min(x1, max(x2, min(x3, max(x4, x1 - 1))))",
      "exp(-max(x1^2, (x2 + 1)^2)) * min(1, x3, x4 + 2)",
      "min((x1 + x2), (x3))",
      "max(x1, x2) - max(x2, x1)",
  };
  enum { NF = sizeof formulas / sizeof formulas[0] };
  issim_loss *g[NF];
  for (size_t k = 0; k < NF; k++)
    g[k] = expr(4, formulas[k]);
  for (size_t i = 0; i < 200; i++) {
    double x[4];
    for (size_t j = 0; j < 4; j++)
      x[j] = 4.0 * uniform() - 2.0;
    double a = x[0], b = x[1], c = x[2], e = x[3];
    const double want[NF] = {
        fmax(a, fmin(b, c)) + 1,
        2 * pow(fmin(a, b), 2) + sin(fmax(a, c)),
        fmax(fmax(fmin(a, b), fmin(c, e)), a * b),
        -fmin(a, b),
        e,
        fmin(a, fmax(b, fmin(c, fmax(e, a - 1)))),
        exp(-fmax(a * a, pow(b + 1, 2))) * fmin(1, fmin(c, e + 2)),
        fmin(a + b, c),
        0.0,
    };
    for (size_t k = 0; k < NF; k++)
      assert_rel_at(eval1(g[k], x), want[k], 1e-14, formulas[k], i);
  }
  for (size_t k = 0; k < NF; k++)
    issim_loss_free(g[k]);
}
END_TEST

/* "min(" k times, "x1", ", x2)" k times */
static char *nested(size_t k)
{
  char *f = malloc(k * 12 + 8);
  ck_assert_ptr_nonnull(f);
  char *p = f;
  for (size_t i = 0; i < k; i++)
    p += sprintf(p, "%s(", i % 2 ? "max" : "min");
  p += sprintf(p, "x1");
  for (size_t i = 0; i < k; i++)
    p += sprintf(p, ", x2)");
  return f;
}

START_TEST(test_min_max_nesting)
{
  double x[2] = {1.0, 2.0};
  char *f = nested(64);
  /* innermost min(x1, x2) = 1, then max(1, 2) = 2, min(2, 2) = 2, ... */
  ck_assert(expr1(2, f, x) == 2.0);
  free(f);
  f = nested(65);
  issim_error err = {0};
  ck_assert_ptr_null(issim_loss_alloc_expression(2, f, &err));
  ck_assert_int_eq(err.code, ISSIM_EINVAL);
  ck_assert_str_eq(err.key, "expression");
  ck_assert_ptr_nonnull(strstr(err.message, "(min, max, if, conditionals and comparisons nested more than 64 deep)"));
  free(f);
}
END_TEST

START_TEST(test_expression_nan)
{
  double x[2] = {-1.0, 4.0};
  ck_assert(isnan(expr1(2, "log(x1)", x)));
  ck_assert(isnan(expr1(2, "sqrt(x1) + x2", x)));
  ck_assert(isnan(expr1(2, "x1^0.5", x)));
  ck_assert(isnan(expr1(2, "(x2 - 4)/(x2 - 4)", x)));
  /* in min or max, a NaN argument makes the result NaN, wherever it is */
  ck_assert(isnan(expr1(2, "min(log(x1), x2)", x)));
  ck_assert(isnan(expr1(2, "min(x2, log(x1))", x)));
  ck_assert(isnan(expr1(2, "max(x1, x2, sqrt(x1))", x)));
  ck_assert(isnan(expr1(2, "1 + max(x2, min(x1, log(x1)))", x)));
  /* infinities are values */
  ck_assert(expr1(2, "log(x2 - 4)", x) == -INFINITY);
  ck_assert(expr1(2, "max(log(x2 - 4), x1)", x) == -1.0);
  /* NaN in a point */
  double y[2] = {NAN, 1.0};
  ck_assert(isnan(expr1(2, "x1 + x2", y)));
  ck_assert(isnan(expr1(2, "max(x1, x2)", y)));
  ck_assert(isnan(expr1(2, "x1", y)));
}
END_TEST

/* The API of expr.h itself: the same digits as the loss that wraps it, a
 * batch as the points one by one, d = 0 refused. */
START_TEST(test_expr_api)
{
  rng_seed(9);
  issim_error err = {0};
  issim_expr *e = issim_expr_alloc(2, FOUR_BRANCH, &err);
  ck_assert_msg(e != NULL, "%s", err.message);
  ck_assert_uint_eq(issim_expr_dim(e), 2);
  issim_loss *g = expr(2, FOUR_BRANCH);
  enum { N = 300 };
  double *x = xalloc(2 * N), *a = xalloc(N), *b = xalloc(N);
  for (size_t i = 0; i < 2 * N; i++)
    x[i] = 8.0 * uniform() - 4.0;
  issim_expr_eval(e, N, x, a);
  issim_loss_eval(g, N, x, b);
  ck_assert_mem_eq(a, b, N * sizeof *a);
  for (size_t i = 0; i < N; i++) {
    double one;
    issim_expr_eval(e, 1, x + 2 * i, &one);
    ck_assert(one == a[i]);
    const double want = four_branch(x[2 * i], x[2 * i + 1]);
    ck_assert(fabs(one - want) <= 1e-12 * fmax(fabs(want), 1.0)); /* as test_four_branch */
  }
  issim_loss_free(g);
  issim_expr_free(e);
  free(x), free(a), free(b);
  err = (issim_error){0};
  ck_assert_ptr_null(issim_expr_alloc(0, "1", &err));
  ck_assert_int_eq(err.code, ISSIM_EINVAL);
  err = (issim_error){0};
  ck_assert_ptr_null(issim_expr_alloc(3, "x4", &err));
  ck_assert_int_eq(err.code, ISSIM_EINVAL);
  ck_assert_str_eq(err.key, "expression");
  ck_assert_ptr_null(issim_expr_alloc(3, NULL, NULL));
  issim_expr_free(NULL);
}
END_TEST


static void check_expression_error(size_t d, const char *formula, const char *message);

/* ---- comparisons, logic, conditionals ---- */

/* Each formula against the same in C, at every point of a grid of values
 * with ties, zeros and signs (d = 3). */
typedef double (*c_formula)(double x1, double x2, double x3);

static double c_piecewise(double x1, double x2, double x3) { return x3 <= 5 ? x1 - x2 : x3 - x2; }
static double c_and_or(double x1, double x2, double x3) { return (x1 > 0 && x2 > 0) || x3 < -1; }
static double c_equal(double x1, double x2, double x3) { return (x1 < x2) == (x2 < x3); }
static double c_rel(double x1, double x2, double x3) { return (x1 <= x2) + (x2 >= x3) * 2 + (x1 != x3) * 4 + (x1 == x3) * 8 + (x1 > x3) * 16; }
static double c_not(double x1, double x2, double x3) { return (!x1) + 1 + (x2 * x2 == 0) - !!x3; }
static double c_chain(double x1, double x2, double x3) { return x1 > 0 ? 1 : x2 > 0 ? 2 : x3 > 0 ? 3 : 4; }
static double c_nested(double x1, double x2, double x3) { return x1 > 0 ? (x2 > 0 ? x3 : -x3) : 7; }
static double c_mixed(double x1, double x2, double x3) { return 2 * (x1 > x2) + pow(x3 >= 0 ? x1 : -x1, 2); }
static double c_inside(double x1, double x2, double x3) { return exp(x1 > 0) + fmin(x2 > 0 ? x2 : -x2, x3); }
static double c_left(double x1, double x2, double x3) { return (x1 < x2) < x3; }
static double c_not_paren(double x1, double x2, double x3) { return (!(x1 < 0 || x2 < 0)) * x3; }

START_TEST(test_logic)
{
  static const struct {
    const char *formula;
    c_formula f;
  } cases[] = {
      {"x3 <= 5 ? x1 - x2 : x3 - x2", c_piecewise},
      {"if(x3 <= 5, x1 - x2, x3 - x2)", c_piecewise},
      {"x1 > 0 && x2 > 0 || x3 < -1", c_and_or},
      {"x1 < x2 == x2 < x3", c_equal},
      {"(x1 <= x2) + (x2 >= x3)*2 + (x1 != x3)*4 + (x1 == x3)*8 + (x1 > x3)*16", c_rel},
      {"!x1 + 1 + !x2^2 - !!x3", c_not},
      {"x1 > 0 ? 1 : x2 > 0 ? 2 : x3 > 0 ? 3 : 4", c_chain},
      {"if(x1 > 0, 1, if(x2 > 0, 2, x3 > 0 ? 3 : 4))", c_chain},
      {"x1 > 0 ? x2 > 0 ? x3 : -x3 : 7", c_nested},
      {"2*(x1 > x2) + (x3 >= 0 ? x1 : -x1)^2", c_mixed},
      {"exp(x1 > 0) + min(x2 > 0 ? x2 : -x2, x3)", c_inside},
      {"x1 < x2 < x3", c_left},
      {"!(x1 < 0 || x2 < 0) * x3", c_not_paren},
  };
  const double v[] = {-7, -1, 0, 0.5, 1, 5, 6};
  enum { NV = sizeof v / sizeof v[0] };
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    issim_loss *g = expr(3, cases[c].formula);
    for (size_t i = 0; i < NV * NV * NV; i++) {
      double x[3] = {v[i % NV], v[i / NV % NV], v[i / NV / NV]};
      double got = eval1(g, x), want = cases[c].f(x[0], x[1], x[2]);
      ck_assert_msg(got == want, "'%s' at (%g, %g, %g): %.17g, want %.17g", cases[c].formula,
                    x[0], x[1], x[2], got, want);
    }
    issim_loss_free(g);
  }
  /* constants: comparisons of arithmetic */
  double x[1] = {0};
  ck_assert(expr1(1, "1 + 2 < 4 - 1", x) == 0.0);
  ck_assert(expr1(1, "1 + 2 <= 4 - 1", x) == 1.0);
  ck_assert(expr1(1, "-1 < 0 ? -2^2 : 3", x) == -4.0);
  ck_assert(expr1(1, "x1 >= 0 ? 1 : 2", x) == 1.0);
}
END_TEST

/* NaN: comparisons false but != (C), a NaN truth value NaN, and only the
 * branch taken evaluated. */
START_TEST(test_logic_nan)
{
  double x[2] = {NAN, 1.0};
  ck_assert(expr1(2, "x1 < x2", x) == 0.0);
  ck_assert(expr1(2, "x1 >= x2", x) == 0.0);
  ck_assert(expr1(2, "x1 == x1", x) == 0.0);
  ck_assert(expr1(2, "x1 != x2", x) == 1.0);
  ck_assert(expr1(2, "x1 < x2 ? 1 : 2", x) == 2.0);
  ck_assert(isnan(expr1(2, "x1 ? 1 : 2", x)));
  ck_assert(isnan(expr1(2, "if(x1, 1, 2)", x)));
  ck_assert(isnan(expr1(2, "!x1", x)));
  ck_assert(isnan(expr1(2, "x1 && x2", x)));
  ck_assert(isnan(expr1(2, "x2 && x1", x)));
  ck_assert(isnan(expr1(2, "x1 || x2", x)));
  ck_assert(expr1(2, "x2 || x1", x) == 1.0);     /* stops at the first true */
  ck_assert(expr1(2, "x2 - 1 && x1", x) == 0.0); /* stops at the first false */
  double y[2] = {-1.0, 4.0};
  ck_assert(expr1(2, "x1 > 0 ? log(x1) : x2", y) == 4.0);
  ck_assert(expr1(2, "if(x1 <= 0, x2, sqrt(x1))", y) == 4.0);
  ck_assert(isnan(expr1(2, "x1 < 0 ? log(x1) : x2", y)));
  ck_assert(expr1(2, "log(x1) > 0", y) == 0.0);
}
END_TEST

START_TEST(test_logic_errors)
{
  static const struct {
    const char *formula, *hint;
  } cases[] = {
      {"x1 = x2", "a lone '=': compare with =="},
      {"x1 & x2", "a lone '&': 'and' is &&"},
      {"x1 | x2", "a lone '|': 'or' is ||"},
      {"x1 ? x2", "a '?' without its ':': write condition ? a : b"},
      {"x1 : x2", "a ':' without a '?' before it: write condition ? a : b"},
      {"x1 ? : x2", "a part of condition ? a : b is empty"},
      {"? x1 : x2", "a part of condition ? a : b is empty"},
      {"x1 ? x2 :", "a part of condition ? a : b is empty"},
      {"x1 <", "an operand of a comparison, && or || is empty"},
      {"x1 <> x2", "an operand of a comparison, && or || is empty"},
      {"&& x1", "an operand of a comparison, && or || is empty"},
      {"if(x1, x2)", "if takes three arguments: if(condition, a, b)"},
      {"if(x1, x2, x1, x2)", "if takes three arguments: if(condition, a, b)"},
      {"if(x1, , x2)", "an argument of if is empty"},
      {"if x1", "if takes its arguments in parentheses: if(condition, a, b)"},
      {"x1 + !", "'!' needs an operand: !x1, !(x1 < 2)"},
      {"!*x1", "'!' needs an operand: !x1, !(x1 < 2)"},
      {"(x1 < x2", "check the parentheses and operators; variables are x1..x2"},
      {"x1 ! x2", "check the parentheses and operators; variables are x1..x2"},
      {"x1 < x2, x1", "a comma outside the parentheses of min(...) or max(...)"},
  };
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    char want[512];
    snprintf(want, sizeof want, "expression does not parse: '%s' (%s)", cases[c].formula,
             cases[c].hint);
    check_expression_error(2, cases[c].formula, want);
  }
  /* 63 nested conditionals, each with its comparison: 64 levels, not 65 */
  for (int n = 63; n <= 64; n++) {
    char f[2048];
    size_t k = 0;
    for (int i = 0; i < n; i++)
      k += (size_t)sprintf(f + k, "x1 > %d ? %d : (", i, i);
    k += (size_t)sprintf(f + k, "-1");
    for (int i = 0; i < n; i++)
      f[k++] = ')';
    f[k] = '\0';
    issim_error err = {0};
    issim_loss *g = issim_loss_alloc_expression(1, f, &err);
    double x[1] = {2.5};
    if (n == 63) {
      ck_assert_msg(g != NULL, "%s", err.message);
      ck_assert(eval1(g, x) == 0.0);
      x[0] = -3;
      ck_assert(eval1(g, x) == -1.0);
    } else {
      ck_assert_ptr_null(g);
      ck_assert_ptr_nonnull(strstr(err.message, "nested more than 64 deep"));
    }
    issim_loss_free(g);
  }
}
END_TEST

/* ---- named variables ---- */

START_TEST(test_named)
{
  const char *names[] = {"R", "S", "load_2"};
  issim_error err = {0};
  issim_loss *g = issim_loss_alloc_expression_named(3, names, "R - S*load_2 + x1", &err);
  ck_assert_msg(g != NULL, "%s", err.message);
  issim_loss *h = issim_loss_clone(g);
  ck_assert_ptr_nonnull(h);
  issim_expr *e = issim_expr_alloc_named(3, names, "load_2 > 1 ? R : min(S, x3)", &err);
  ck_assert_msg(e != NULL, "%s", err.message);
  rng_seed(12);
  for (int i = 0; i < 200; i++) {
    double x[3] = {4 * uniform() - 2, 4 * uniform() - 2, 4 * uniform() - 2}, a, b;
    ck_assert(eval1(g, x) == x[0] - x[1] * x[2] + x[0]);
    ck_assert(eval1(h, x) == eval1(g, x));
    issim_expr_eval(e, 1, x, &a);
    b = x[2] > 1 ? x[0] : fmin(x[1], x[2]);
    ck_assert(a == b);
  }
  issim_expr_free(e);
  issim_loss_free(g);
  issim_loss_free(h);
  /* a name a formula does not know */
  err = (issim_error){0};
  ck_assert_ptr_null(issim_loss_alloc_expression_named(3, names, "R - T", &err));
  ck_assert_str_eq(err.key, "expression");
  ck_assert_str_eq(err.message, "expression uses 'T', which is not a variable: use R, S, load_2 "
                                "(or x1..x3)");
  ck_assert_ptr_null(issim_loss_alloc_expression_named(3, names, "R -", &err));
  ck_assert_str_eq(err.message, "expression does not parse: 'R -' (check the parentheses and "
                                "operators; variables are R, S, load_2 (or x1..x3))");
}
END_TEST

static void check_names_error(size_t d, size_t n, const char *const *names, const char *message)
{
  issim_error err = {0};
  ck_assert_msg(issim_expr_check_names(d, n, names, &err) == ISSIM_EINVAL, "%s accepted", names[n - 1]);
  ck_assert_str_eq(err.key, "variables");
  ck_assert_str_eq(err.message, message);
  if (n == d) { /* and through the allocators */
    err = (issim_error){0};
    ck_assert_ptr_null(issim_expr_alloc_named(d, names, "1", &err));
    ck_assert_str_eq(err.message, message);
    ck_assert_ptr_null(issim_loss_alloc_expression_named(d, names, "1", NULL));
  }
}

START_TEST(test_names_errors)
{
  const char *ok[] = {"R", "_s2", "E", "PI", "X1", "x", "xa1", "mini", "iff"};
  issim_error err = {0};
  ck_assert_int_eq(issim_expr_check_names(9, 9, ok, &err), ISSIM_OK);
  check_names_error(3, 2, ok, "2 variable names for a target of 3 dimensions: give one name a "
                              "coordinate, in order");
  check_names_error(1, 2, ok, "2 variable names for a target of 1 dimension: give one name a "
                              "coordinate, in order");
  const char *bad[][2] = {
      {"1a", "variable name '1a' is not a name: use letters, digits and _, starting with a "
             "letter or _ (R, load_1)"},
      {"a-b", "variable name 'a-b' is not a name: use letters, digits and _, starting with a "
              "letter or _ (R, load_1)"},
      {"", "variable name '' is not a name: use letters, digits and _, starting with a "
           "letter or _ (R, load_1)"},
      {"x1", "variable name 'x1' looks like x1..xd, which always name the coordinates in "
             "order: choose another name"},
      {"x0", "variable name 'x0' looks like x1..xd, which always name the coordinates in "
             "order: choose another name"},
      {"x07", "variable name 'x07' looks like x1..xd, which always name the coordinates in "
              "order: choose another name"},
      {"exp", "variable name 'exp' is a function of expressions: choose another name"},
      {"if", "variable name 'if' is a function of expressions: choose another name"},
      {"min", "variable name 'min' is a function of expressions: choose another name"},
      {"pi", "variable name 'pi' is a constant of expressions: choose another name"},
      {"1_pi", "variable name '1_pi' is not a name: use letters, digits and _, starting with a "
               "letter or _ (R, load_1)"},
      {"a2345678901234567890123456789012345678901234567890123456789012345",
       "variable name 'a2345678901234567890...' is longer than 64 characters"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    const char *names[2] = {"R", bad[i][0]};
    check_names_error(2, 2, names, bad[i][1]);
  }
  const char *twice[] = {"R", "S", "R"};
  check_names_error(3, 3, twice, "variable name 'R' is given twice (variables 1 and 3): each "
                                 "coordinate needs its own name");
}
END_TEST

/* ---- errors ---- */

static void check_expression_error(size_t d, const char *formula, const char *message)
{
  issim_error err = {0};
  issim_loss *g = issim_loss_alloc_expression(d, formula, &err);
  ck_assert_msg(g == NULL, "'%s' accepted", formula ? formula : "(null)");
  ck_assert_int_eq(err.code, ISSIM_EINVAL);
  ck_assert_str_eq(err.key, "expression");
  ck_assert_str_eq(err.message, message);
  /* and without an issim_error */
  ck_assert_ptr_null(issim_loss_alloc_expression(d, formula, NULL));
}

START_TEST(test_expression_errors)
{
  check_expression_error(4, "min(3 + (x1",
                         "expression does not parse: 'min(3 + (x1' (check the parentheses and "
                         "operators; variables are x1..x4)");
  check_expression_error(4, "x1 + * x2",
                         "expression does not parse: 'x1 + * x2' (check the parentheses and "
                         "operators; variables are x1..x4)");
  check_expression_error(2, "(x1 + x2))",
                         "expression does not parse: '(x1 + x2))' (check the parentheses and "
                         "operators; variables are x1..x2)");
  check_expression_error(1, "2x1",
                         "expression does not parse: '2x1' (check the parentheses and "
                         "operators; variables are x1)");
  check_expression_error(4, "+x1",
                         "expression does not parse: '+x1' (check the parentheses and "
                         "operators; variables are x1..x4)");
  check_expression_error(4, "sin x1",
                         "expression does not parse: 'sin x1' (check the parentheses and "
                         "operators; variables are x1..x4)");
  check_expression_error(4, "y", "expression uses 'y', which is not a variable: use x1..x4");
  check_expression_error(4, "x1 + y^0",
                         "expression uses 'y', which is not a variable: use x1..x4");
  check_expression_error(4, "X1", "expression uses 'X1', which is not a variable: use x1..x4");
  check_expression_error(4, "PI + x1",
                         "expression uses 'PI', which is not a variable: use x1..x4");
  check_expression_error(4, "x01", "expression uses 'x01', which is not a variable: use x1..x4");
  check_expression_error(4, "_issim_mm0 + min(x1, x2)",
                         "expression uses '_issim_mm0', which is not a variable: use x1..x4");
  check_expression_error(4, "x0 + x1",
                         "expression uses 'x0', which is not a variable: variables are "
                         "numbered from 1 (x1..x4)");
  check_expression_error(4, "x1 + x5",
                         "expression uses 'x5', but the model has 4 dimensions (x1..x4)");
  check_expression_error(1, "x2", "expression uses 'x2', but the model has 1 dimension (x1)");
  check_expression_error(4, "x99999999999999999999999",
                         "expression uses 'x99999999999999999999999', but the model has 4 "
                         "dimensions (x1..x4)");
  check_expression_error(4, "pow(x1, 2)",
                         "expression calls 'pow', which is not a function: use exp, log, sqrt, "
                         "abs, erf, sin, cos, tan, ..., min, max, if (see loss.h), and ^ for "
                         "powers");
  check_expression_error(4, "", "expression is empty: write g(x) as a formula in x1..x4");
  check_expression_error(4, " \t\n", "expression is empty: write g(x) as a formula in x1..x4");
  check_expression_error(4, NULL, "expression is empty: write g(x) as a formula in x1..x4");
  check_expression_error(4, "x1 @ x2",
                         "expression does not parse: 'x1 @ x2' ('@' is not part of a formula: "
                         "use numbers, x1..x4, + - * / ^, parentheses and functions)");
  check_expression_error(4, "x[1]",
                         "expression does not parse: 'x[1]' ('[' is not part of a formula: "
                         "use numbers, x1..x4, + - * / ^, parentheses and functions)");
  check_expression_error(2, "x1 \xc3\xa9",
                         "expression does not parse: 'x1 ?\?' (byte 0xC3 is not part of a "
                         "formula: use numbers, x1..x2, + - * / ^, parentheses and functions)");
  check_expression_error(4, "x1.",
                         "expression does not parse: 'x1.' (a '.' that is not part of a "
                         "number)");
  check_expression_error(4, "x1, x2",
                         "expression does not parse: 'x1, x2' (a comma outside the "
                         "parentheses of min(...) or max(...))");
  check_expression_error(4, "min((x1, x2))",
                         "expression does not parse: 'min((x1, x2))' (a comma outside the "
                         "parentheses of min(...) or max(...))");
  check_expression_error(4, "min x1",
                         "expression does not parse: 'min x1' (min and max take their "
                         "arguments in parentheses: min(a, b, ...))");
  check_expression_error(4, "min()",
                         "expression does not parse: 'min()' (an argument of min or max is "
                         "empty)");
  check_expression_error(4, "max(x1, , x2)",
                         "expression does not parse: 'max(x1, , x2)' (an argument of min or "
                         "max is empty)");
  check_expression_error(4, "max(x1, x2",
                         "expression does not parse: 'max(x1, x2' (check the parentheses and "
                         "operators; variables are x1..x4)");
  check_expression_error(4, "min(x1, x2 +)",
                         "expression does not parse: 'min(x1, x2 +)' (check the parentheses "
                         "and operators; variables are x1..x4)");
  /* a long formula is shortened in the message */
  char longf[600];
  memset(longf, ' ', sizeof longf);
  memcpy(longf, "x1 +", 4);
  longf[sizeof longf - 1] = '\0';
  issim_error err = {0};
  ck_assert_ptr_null(issim_loss_alloc_expression(4, longf, &err));
  ck_assert_ptr_nonnull(strstr(err.message, "...' (check the parentheses"));
  /* d = 0 */
  err = (issim_error){0};
  ck_assert_ptr_null(issim_loss_alloc_expression(0, "x1", &err));
  ck_assert_int_eq(err.code, ISSIM_EINVAL);
  ck_assert_str_eq(err.message, "a loss needs at least 1 dimension: the model has d = 0");
}
END_TEST


/* libmatheval's scanner echoes characters it has no rule for to stdout (and
 * then skips them, so that "x1 @+ x2" would parse as x1 + x2): nothing may
 * reach stdout, and those formulas are refused. */
START_TEST(test_no_output)
{
  fflush(stdout);
  int saved = dup(STDOUT_FILENO);
  ck_assert_int_ge(saved, 0);
  FILE *tmp = tmpfile();
  ck_assert_ptr_nonnull(tmp);
  ck_assert_int_ge(dup2(fileno(tmp), STDOUT_FILENO), 0);
  const char *bad[] = {"x1 @+ x2", "x1.", ".x1", "x1 + . + x2", "x1 $ 2", "x1, x2",
                       "x1 ; x2", "x1 # x2", "x1 = x2", "x1 <> x2", "{x1}", "x1 ! x2"};
  size_t refused = 0;
  for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
    issim_loss *g = issim_loss_alloc_expression(2, bad[k], NULL);
    refused += g == NULL;
    issim_loss_free(g);
  }
  fflush(stdout);
  ck_assert_int_ge(dup2(saved, STDOUT_FILENO), 0);
  close(saved);
  fseek(tmp, 0, SEEK_END);
  long size = ftell(tmp);
  fclose(tmp);
  ck_assert_int_eq(size, 0);
  ck_assert_uint_eq(refused, sizeof bad / sizeof bad[0]);
}
END_TEST

/* ---- threads ---- */

typedef struct {
  const issim_loss *proto;
  const double *x;
  const double *want;
  size_t n;
  int ok;
} thread_job;

static void *thread_main(void *arg)
{
  thread_job *job = arg;
  job->ok = 1;
  double *out = malloc(job->n * sizeof *out);
  for (int rep = 0; rep < 20 && out != NULL; rep++) {
    /* a clone and a fresh parse, concurrently with the other threads */
    issim_loss *c = issim_loss_clone(job->proto);
    issim_loss *f = issim_loss_alloc_expression(2, FOUR_BRANCH, NULL);
    if (c == NULL || f == NULL) {
      job->ok = 0;
    } else {
      issim_loss_eval(c, job->n, job->x, out);
      job->ok &= memcmp(out, job->want, job->n * sizeof *out) == 0;
      issim_loss_eval(f, job->n, job->x, out);
      job->ok &= memcmp(out, job->want, job->n * sizeof *out) == 0;
    }
    issim_loss_free(c);
    issim_loss_free(f);
  }
  job->ok &= out != NULL;
  free(out);
  return NULL;
}

START_TEST(test_threads)
{
  rng_seed(8);
  enum { NT = 4, N = 500 };
  issim_loss *g = expr(2, FOUR_BRANCH);
  double *x = xalloc(2 * N), *want = xalloc(N);
  for (size_t i = 0; i < 2 * N; i++)
    x[i] = 8.0 * uniform() - 4.0;
  issim_loss_eval(g, N, x, want);
  pthread_t th[NT];
  thread_job job[NT];
  for (int t = 0; t < NT; t++) {
    job[t] = (thread_job){g, x, want, N, 0};
    ck_assert_int_eq(pthread_create(&th[t], NULL, thread_main, &job[t]), 0);
  }
  for (int t = 0; t < NT; t++) {
    pthread_join(th[t], NULL);
    ck_assert_msg(job[t].ok, "thread %d", t);
  }
  issim_loss_free(g);
  free(x);
  free(want);
}
END_TEST

/* "x1+x1+...+x1" of n terms, or n parentheses around x1, or n minus signs
 * before it; malloc'd. */
static char *long_formula(size_t n, int kind)
{
  char *f = malloc(3 * n + 8);
  ck_assert_ptr_nonnull(f);
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    if (kind == 0)
      k += (size_t)sprintf(f + k, i ? "+x1" : "x1");
    else
      f[k++] = kind == 1 ? '(' : '-';
  }
  if (kind != 0)
    k += (size_t)sprintf(f + k, "x1");
  for (size_t i = 0; kind == 1 && i < n; i++)
    f[k++] = ')';
  f[k] = '\0';
  return f;
}

/* A sum of 200,000 terms overflowed the stack in libmatheval's recursive
 * simplifier (SIGSEGV: this test crashed); now a formula beyond 20,000
 * tokens, 1,000 nested parentheses or 1,000 minus signs in a row is refused
 * with a message, and one within them works. */
START_TEST(test_size_limits)
{
  static const struct {
    size_t n;
    int kind;
    const char *want;
  } refused[] = {
    {200000, 0, "it has more than 20000 tokens"},
    {10001, 0, "it has more than 20000 tokens"},
    {1001, 1, "it nests parentheses more than 1000 deep"},
    {1001, 2, "it has more than 1000 minus signs in a row"},
  };
  for (size_t i = 0; i < sizeof refused / sizeof *refused; i++) {
    char *f = long_formula(refused[i].n, refused[i].kind);
    issim_error err;
    ck_assert_ptr_null(issim_expr_alloc(1, f, &err));
    ck_assert_int_eq(err.code, ISSIM_EINVAL);
    ck_assert_str_eq(err.key, "expression");
    ck_assert_msg(strstr(err.message, refused[i].want) != NULL, "case %zu: %s", i, err.message);
    ck_assert_msg(strstr(err.message, "loss = linear") != NULL, "%s", err.message);
    free(f);
  }
  /* at the limits: 10,000 terms (19,999 tokens), 1,000 parentheses, 1,000 signs */
  const double x = 1.25;
  const double want[] = {10000 * x, x, x};
  const size_t n[] = {10000, 1000, 1000};
  for (int kind = 0; kind < 3; kind++) {
    char *f = long_formula(n[kind], kind);
    issim_error err;
    issim_expr *e = issim_expr_alloc(1, f, &err);
    ck_assert_msg(e != NULL, "kind %d: %s", kind, err.message);
    double v;
    issim_expr_eval(e, 1, &x, &v);
    ck_assert_double_eq(v, want[kind]);
    issim_expr_free(e);
    free(f);
  }
}
END_TEST

int main(void)
{
  Suite *s = suite_create("expr");
  TCase *tc = tcase_create("expression");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_four_branch);
  tcase_add_test(tc, test_every_function);
  tcase_add_test(tc, test_constants);
  tcase_add_test(tc, test_syntax_details);
  tcase_add_test(tc, test_min_max);
  tcase_add_test(tc, test_min_max_nesting);
  tcase_add_test(tc, test_expression_nan);
  tcase_add_test(tc, test_expr_api);
  tcase_add_test(tc, test_threads);
  tcase_add_test(tc, test_logic);
  tcase_add_test(tc, test_logic_nan);
  tcase_add_test(tc, test_named);
  suite_add_tcase(s, tc);

  tc = tcase_create("errors");
  tcase_add_test(tc, test_expression_errors);
  tcase_add_test(tc, test_no_output);
  tcase_add_test(tc, test_size_limits);
  tcase_add_test(tc, test_logic_errors);
  tcase_add_test(tc, test_names_errors);
  suite_add_tcase(s, tc);

  return run_suite(s);
}
