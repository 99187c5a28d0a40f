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

static Suite *parse_suite(void)
{
  Suite *s = suite_create("parse");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, test_numbers);
  tcase_add_test(tc, test_samples);
  tcase_add_test(tc, test_bytes);
  tcase_add_test(tc, test_seeds);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  return run_suite(parse_suite());
}
