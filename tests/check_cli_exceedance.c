/* End-to-end tests of the exceedance curves, quantiles and dumps of the
 * issim command (issue 19's done-when): the 10-asset normal portfolio's
 * curve from 3 to 7 sigma and its 1e-6 quantile against exact values
 * computed here with GSL, in the JSON and the text report; the same digits
 * for any thread count; --threshold, --quantile and --dump, and their bad
 * uses (status 2, a message, nothing on standard output). */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gsl/gsl_cdf.h>
#include <jansson.h>

#include "check_main.h"
#include "check_util.h"

#define PORTFOLIO SCENARIO_DIR "/portfolio-normal-10.ini"
#define CURVE "5 sigma, 3 sigma .. 7 sigma step 0.5 sigma"

/* The portfolio loss's sd: 0.1 * 0.01 * sqrt(10 + 90 * 0.3). */
static const double sd = 0.001 * 6.0827625302982196;

static outcome run_issim(const char *const *args)
{
  const char *argv[32] = {ISSIM_BIN};
  size_t n = 1;
  for (; args[n - 1] != NULL; n++)
    argv[n] = args[n - 1];
  argv[n] = NULL;
  return run_capture(argv, 0);
}

static json_t *run_json(const char *const *args)
{
  outcome o = run_issim(args);
  ck_assert_msg(o.status == 0, "exit %d: %s", o.status, o.err);
  json_t *root = parse_json(o.out);
  outcome_free(&o);
  return root;
}

static double num(json_t *o, const char *key)
{
  json_t *v = json_object_get(o, key);
  ck_assert_msg(json_is_number(v), "'%s' is not a number", key);
  return json_number_value(v);
}

START_TEST(test_portfolio_curve_and_quantile)
{
  const char *args[] = {"run", PORTFOLIO, "--proposal", "design-point", "--threshold", CURVE,
                        "--quantile", "1e-6", "--format", "json", NULL};
  json_t *root = run_json(args);
  json_t *r = json_array_get(json_object_get(root, "results"), 0);
  json_t *x = json_object_get(r, "exceedance");
  ck_assert_str_eq(json_string_value(json_object_get(x, "direction")), ">");
  json_t *levels = json_object_get(x, "levels");
  ck_assert_uint_eq(json_array_size(levels), 9);
  for (size_t k = 0; k < 9; k++) {
    json_t *lv = json_array_get(levels, k);
    double sigmas = 3 + 0.5 * (double)k, exact = gsl_cdf_ugaussian_Q(sigmas);
    ck_assert_double_eq_tol(num(lv, "threshold_sigmas"), sigmas, 1e-12);
    ck_assert_double_eq_tol(num(lv, "threshold"), sigmas * sd, 1e-15);
    ck_assert_double_eq_tol(num(lv, "exact"), exact, 1e-12 * exact);
    ck_assert_within_4se(num(lv, "estimate"), exact, num(lv, "std_error"));
    ck_assert_str_eq(json_string_value(json_object_get(lv, "verdict")), "trustworthy");
    ck_assert(json_is_boolean(json_object_get(lv, "main")));
    ck_assert_int_eq(json_is_true(json_object_get(lv, "main")), k == 4);
    static const char *const keys[] = {"reasons", "samples", "hits", "log10_estimate",
                                       "relative_error", "ci95", "event_ess", "max_weight_share",
                                       "pareto_k", "tail_check", "log10_exact", "z_exact"};
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
      ck_assert_msg(json_object_get(lv, keys[i]) != NULL, "no '%s'", keys[i]);
  }
  /* the main level is the run's own estimate */
  ck_assert(num(json_array_get(levels, 4), "estimate") == num(r, "estimate"));
  json_t *q = json_array_get(json_object_get(x, "quantiles"), 0);
  double exact = sd * gsl_cdf_ugaussian_Qinv(1e-6), est = num(q, "estimate");
  json_t *ci = json_object_get(q, "ci95");
  double lo = json_number_value(json_array_get(ci, 0)), hi = json_number_value(json_array_get(ci, 1));
  ck_assert_double_eq_tol(num(q, "exact"), exact, 1e-12);
  /* within the interval stretched to 4 standard errors (check_curve measures
   * the 95% interval's coverage) */
  ck_assert_msg(est - 4 / 1.96 * (est - lo) <= exact && exact <= est + 4 / 1.96 * (hi - est),
                "exact %.10g, estimate %.10g [%.10g, %.10g]", exact, est, lo, hi);
  ck_assert_str_eq(json_string_value(json_object_get(q, "verdict")), "trustworthy");
  ck_assert(json_is_boolean(json_object_get(q, "exact_in_ci95")));
  ck_assert_uint_eq(json_array_size(json_object_get(q, "grid")), 17);
  json_t *pilot = json_object_get(q, "pilot");
  ck_assert(json_is_true(json_object_get(pilot, "placed")));
  ck_assert_int_eq(json_integer_value(json_object_get(x, "pilot_draws")), 62500);
  json_decref(root);
}
END_TEST

START_TEST(test_text_report)
{
  const char *args[] = {"run", PORTFOLIO, "--threshold", CURVE, "--quantile", "1e-6", NULL};
  outcome o = run_issim(args);
  ck_assert_int_eq(o.status, 0);
  ck_assert(strstr(o.out, "  exceedance curve P(loss > t) at each threshold t") != NULL);
  ck_assert(strstr(o.out, "  quantiles        the level q with P(loss > q) = alpha") != NULL);
  ck_assert(strstr(o.out, "    alpha 1e-06     q = ") != NULL);
  /* crude sees nothing beyond 4.5 sigma: its levels there say so */
  ck_assert(strstr(o.out, "unreliable: no draw hit the event") != NULL);
  outcome_free(&o);
  /* without a list or quantiles: no curve, the report as before */
  const char *plain[] = {"run", PORTFOLIO, "--proposal", "design-point", NULL};
  o = run_issim(plain);
  ck_assert(strstr(o.out, "exceedance") == NULL && strstr(o.out, "quantiles") == NULL);
  outcome_free(&o);
}
END_TEST

START_TEST(test_same_digits_any_threads)
{
  json_t *a, *b;
  {
    const char *args[] = {"run", PORTFOLIO, "--proposal", "design-point", "--samples", "200000",
                          "--threshold", CURVE, "--quantile", "1e-6", "--format", "json",
                          "--threads", "1", NULL};
    a = run_json(args);
  }
  {
    const char *args[] = {"run", PORTFOLIO, "--proposal", "design-point", "--samples", "200000",
                          "--threshold", CURVE, "--quantile", "1e-6", "--format", "json",
                          "--threads", "3", NULL};
    b = run_json(args);
  }
  json_t *xa = json_object_get(json_array_get(json_object_get(a, "results"), 0), "exceedance");
  json_t *xb = json_object_get(json_array_get(json_object_get(b, "results"), 0), "exceedance");
  ck_assert(xa != NULL && json_equal(xa, xb));
  json_decref(a);
  json_decref(b);
}
END_TEST

START_TEST(test_dump)
{
  char path[] = "/tmp/issim-cli-dump-XXXXXX.csv";
  temp_file(path, 4);
  const char *args[] = {"run", SCENARIO_DIR "/gaussian-5sigma.ini", "--samples", "1000",
                        "--dump", path, "--quiet", NULL};
  outcome o = run_issim(args);
  ck_assert_msg(o.status == 0, "%s", o.err);
  outcome_free(&o);
  char *text = slurp(path);
  ck_assert(strncmp(text, "proposal,draw,x1,loss,log_weight,in_event,component\n", 52) == 0);
  size_t lines = 0, shifted = 0;
  for (char *p = text; *p; p++)
    if (*p == '\n') {
      lines++;
      shifted += strncmp(p + 1, "shifted,", 8) == 0;
    }
  ck_assert_uint_eq(lines, 2001); /* the header, and 1000 draws of each proposal */
  ck_assert_uint_eq(shifted, 1000);
  free(text);
  /* a dump that cannot be written: status 1, no file, the report still out */
  const char *bad[] = {"run", SCENARIO_DIR "/gaussian-5sigma.ini", "--samples", "1000", "--dump",
                       "/nonexistent-dir/d.csv", "--quiet", NULL};
  o = run_issim(bad);
  ck_assert_int_eq(o.status, 1);
  ck_assert_msg(strstr(o.err, "cannot write '/nonexistent-dir/d.csv") != NULL, "%s", o.err);
  outcome_free(&o);
  unlink(path);
}
END_TEST

static void expect_bad_input(const char *const *args, const char *message)
{
  outcome o = run_issim(args);
  ck_assert_msg(o.status == 2, "exit %d", o.status);
  ck_assert_msg(strstr(o.err, message) != NULL, "stderr lacks '%s': %s", message, o.err);
  ck_assert_str_eq(o.out, "");
  outcome_free(&o);
}

START_TEST(test_bad_uses)
{
  const char *g = SCENARIO_DIR "/gaussian-5sigma.ini";
  const char *list[] = {"run", g, "--threshold", "5, 3 .. x", NULL};
  expect_bad_input(list, "--threshold: threshold: cannot read '3 .. x'");
  const char *comma[] = {"run", g, "--threshold", "4,5", NULL};
  expect_bad_input(comma, "--threshold: threshold: '4,5' has a comma between two digits");
  const char *impossible[] = {"run", SCENARIO_DIR "/weibull-lower-tail.ini", "--threshold",
                              "0.02, -1", NULL};
  expect_bad_input(impossible, "--threshold: the threshold -1 of the list makes the event impossible");
  const char *alpha[] = {"run", g, "--quantile", "1.5", NULL};
  expect_bad_input(alpha, "--quantile: quantile = 1.5: each value is a probability");
  const char *div[] = {"divergence", g, "--threshold", "4", NULL};
  expect_bad_input(div, "issim: --threshold does not apply to 'issim divergence'");
  const char *cal[] = {"calibrate", g, "--quantile", "1e-6", NULL};
  expect_bad_input(cal, "issim: --quantile applies to 'issim run', 'issim compare' and 'issim adapt'");
  const char *cmp[] = {"compare", g, "--dump", "x.csv", NULL};
  expect_bad_input(cmp, "issim: --dump applies to 'issim run'");
  const char *dash[] = {"run", g, "--dump", "-", NULL};
  expect_bad_input(dash, "issim: --dump needs a file name");
  /* form takes --threshold: the design point at 4 */
  const char *form[] = {"form", g, "--threshold", "4", "--format", "json", NULL};
  json_t *root = run_json(form);
  json_decref(root);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("cli_exceedance");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 300);
  tcase_add_test(tc, test_portfolio_curve_and_quantile);
  tcase_add_test(tc, test_text_report);
  tcase_add_test(tc, test_same_digits_any_threads);
  tcase_add_test(tc, test_dump);
  tcase_add_test(tc, test_bad_uses);
  suite_add_tcase(s, tc);
  return run_suite(s);
}
