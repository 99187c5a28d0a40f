/* Tests of src/parse.c: numbers, sample counts and seeds from text, and the
 * messages that name what is wrong. */
#include <check.h>
#include <math.h>
#include <string.h>

#include "check_main.h"
#include "parse.h"

START_TEST(test_numbers)
{
  double v;
  issim_error err;
  ck_assert_int_eq(issim_parse_number(" 1.5e-3 ", "x", &v, &err), ISSIM_OK);
  ck_assert_double_eq(v, 1.5e-3);
  ck_assert_int_eq(issim_parse_number("1e-400", "x", &v, &err), ISSIM_OK); /* underflow is fine */
  static const char *const bad[] = {"", "abc", "1.5x", "inf", "nan", "1e400", "3 # three"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    ck_assert_int_eq(issim_parse_number(bad[i], "threshold", &v, &err), ISSIM_EINVAL);
    ck_assert_str_eq(err.key, "threshold");
    ck_assert_msg(strstr(err.message, "threshold must be a") != NULL, "%s", err.message);
  }
  ck_assert(strstr(err.message, "an inline comment starts with ' ;'") != NULL);
}
END_TEST

/* A bound: the numbers, and infinity written out (truncated-normal's lower
 * and upper); still no nan, no overflowing number, no other word. */
START_TEST(test_bounds)
{
  double v;
  issim_error err;
  static const struct {
    const char *text;
    double value;
  } good[] = {{"inf", INFINITY}, {" -inf ", -INFINITY}, {"+Infinity", INFINITY},
              {"-INF", -INFINITY}, {"2.5", 2.5}, {"-1e300", -1e300}};
  for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
    ck_assert_int_eq(issim_parse_bound(good[i].text, "lower", &v, &err), ISSIM_OK);
    ck_assert_double_eq(v, good[i].value);
  }
  static const char *const bad[] = {"", "nan", "1e400", "infinite", "- inf", "inf inf", "--inf"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    ck_assert_msg(issim_parse_bound(bad[i], "lower", &v, &err) == ISSIM_EINVAL, "'%s'", bad[i]);
    ck_assert_str_eq(err.key, "lower");
  }
}
END_TEST

START_TEST(test_samples)
{
  uint64_t n;
  issim_error err;
  ck_assert_int_eq(issim_parse_samples("1e6", "--samples", &n, &err), ISSIM_OK);
  ck_assert_uint_eq(n, 1000000);
  ck_assert_int_eq(issim_parse_samples("281474976710656", "--samples", &n, &err), ISSIM_OK);
  ck_assert_int_eq(issim_parse_samples("2", "--samples", &n, &err), ISSIM_OK);
  /* one draw gives no standard error ('+- nan'): refused */
  static const char *const bad[] = {"0", "1", "-5", "1.5", "281474976710657", "1e300"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    ck_assert_int_eq(issim_parse_samples(bad[i], "--samples", &n, &err), ISSIM_EINVAL);
    ck_assert_msg(strstr(err.message, "--samples must be a whole number from 2 to 2^48"),
                  "%s", err.message);
  }
}
END_TEST

START_TEST(test_bytes)
{
  static const struct {
    const char *text;
    double bytes;
  } good[] = {{"4e9", 4e9}, {"512", 512}, {"16G", 16e9}, {"1.5k", 1500},
              {"100M", 1e8}, {"2T ", 2e12}};
  issim_error err;
  for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
    double v = 0;
    ck_assert_int_eq(issim_parse_bytes(good[i].text, "--max-memory", &v, &err), ISSIM_OK);
    ck_assert_double_eq(v, good[i].bytes);
  }
  static const char *const bad[] = {"", "G", "0", "-1G", "8x", "8GB", "nan", "inf", "1e308T"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    double v;
    ck_assert_msg(issim_parse_bytes(bad[i], "--max-memory", &v, &err) == ISSIM_EINVAL, "'%s'",
                  bad[i]);
    ck_assert_str_eq(err.key, "--max-memory");
    ck_assert_msg(strstr(err.message, "--max-memory must be an amount of memory above 0"), "%s",
                  err.message);
  }
}
END_TEST

START_TEST(test_seeds)
{
  uint64_t s;
  issim_error err;
  ck_assert_int_eq(issim_parse_seed("18446744073709551615", "seed", &s, &err), ISSIM_OK);
  ck_assert_uint_eq(s, UINT64_MAX);
  ck_assert_int_eq(issim_parse_seed(" 42 ", "seed", &s, &err), ISSIM_OK);
  ck_assert_uint_eq(s, 42);
  static const char *const bad[] = {"18446744073709551616", "-1", "1e3", "", "4 2"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
    ck_assert_int_eq(issim_parse_seed(bad[i], "seed", &s, &err), ISSIM_EINVAL);
}
END_TEST

/* Threshold lists: values, units, ranges by step, by count and by default,
 * in the order written; and every malformed list refused with its reason. */
START_TEST(test_levels)
{
  issim_level_value v[200];
  size_t n;
  issim_error err;
  ck_assert_int_eq(issim_parse_levels("5 sigma, 3 sigma .. 4 sigma step 0.5 sigma, -2", "threshold",
                                      v, 200, &n, &err), ISSIM_OK);
  ck_assert_uint_eq(n, 5);
  const double want[] = {5, 3, 3.5, 4, -2};
  for (size_t i = 0; i < n; i++) {
    ck_assert_double_eq(v[i].value, want[i]);
    ck_assert_int_eq(v[i].sigma, i < 4);
  }
  /* downwards, by count (both ends exact), and by default */
  ck_assert_int_eq(issim_parse_levels("7 .. 3 count 3", "t", v, 200, &n, &err), ISSIM_OK);
  ck_assert_uint_eq(n, 3);
  ck_assert(v[0].value == 7 && v[1].value == 5 && v[2].value == 3 && !v[0].sigma);
  ck_assert_int_eq(issim_parse_levels("0.1..0.3", "t", v, 200, &n, &err), ISSIM_OK);
  ck_assert_uint_eq(n, ISSIM_LEVELS_DEFAULT_COUNT);
  ck_assert(v[0].value == 0.1 && v[n - 1].value == 0.3);
  ck_assert_double_eq_tol(v[4].value, 0.2, 1e-15);
  /* a step that does not land on the far end stops short of it */
  ck_assert_int_eq(issim_parse_levels("3 .. 7 step 3", "t", v, 200, &n, &err), ISSIM_OK);
  ck_assert(n == 2 && v[1].value == 6);
  ck_assert_int_eq(issim_parse_levels("1e-3 .. 2e-3 step 1e-4", "t", v, 200, &n, &err), ISSIM_OK);
  ck_assert_uint_eq(n, 11);
  /* a step landing on the far end to rounding ends on it, never beyond it */
  ck_assert_int_eq(issim_parse_levels("0 .. 0.3 step 0.1", "t", v, 200, &n, &err), ISSIM_OK);
  ck_assert(n == 4 && v[3].value == 0.3);
  ck_assert_int_eq(issim_parse_levels("0.3 .. 0 step 0.1", "t", v, 200, &n, &err), ISSIM_OK);
  ck_assert(n == 4 && v[3].value == 0 && v[2].value > 0);
  static const struct {
    const char *text, *message;
  } bad[] = {
    {"1,5", "a comma between two digits"},
    {"5, , 6", "an empty value"},
    {"5 sigmas", "not a number or 'K sigma'"},
    {"3 sigma .. 7", "both ends of a range must be in the same unit"},
    {"3 .. 7 step 0", "the step must be a positive number"},
    {"3 sigma .. 7 sigma step 1", "the step must be a positive number in the unit"},
    {"3 .. 7 count 1", "count must be a whole number of values, at least 2"},
    {"3 .. 7 count 2.5", "count must be a whole number"},
    {"3 .. 3", "a range needs two different ends"},
    {"x .. 7", "each end of a range must be a number"},
    {"0 .. 1 step 0.001", "gives 1001 values; at most 200 thresholds in all"},
    {"-1e308 .. 1e308 count 3", "its ends are too far apart"},
    {"-1e308 .. 1e308 step 1e307", "its ends are too far apart"},
    {"3 .. 7 step 1e-300", "gives 4e+300 values; at most 200 thresholds in all"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    ck_assert_int_eq(issim_parse_levels(bad[i].text, "threshold", v, 200, &n, &err), ISSIM_EINVAL);
    ck_assert_msg(strstr(err.message, bad[i].message) != NULL, "'%s': %s", bad[i].text,
                  err.message);
    ck_assert_str_eq(err.key, "threshold");
  }
  /* more single values than room */
  ck_assert_int_eq(issim_parse_levels("1, 2, 3", "t", v, 2, &n, &err), ISSIM_EINVAL);
  ck_assert(strstr(err.message, "at most 2 thresholds") != NULL);
}
END_TEST

static Suite *parse_suite(void)
{
  Suite *s = suite_create("parse");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, test_numbers);
  tcase_add_test(tc, test_bounds);
  tcase_add_test(tc, test_samples);
  tcase_add_test(tc, test_bytes);
  tcase_add_test(tc, test_seeds);
  tcase_add_test(tc, test_levels);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  return run_suite(parse_suite());
}
