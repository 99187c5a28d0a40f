/* Tests of src/clock.c: the timer is monotonic and counts seconds. */
#define _POSIX_C_SOURCE 200809L /* nanosleep */
#include <check.h>
#include <time.h>

#include "check_main.h"
#include "clock.h"

START_TEST(test_monotonic_seconds)
{
  double a = issim_clock_now();
  struct timespec ts = {0, 20000000}; /* 20 ms */
  nanosleep(&ts, NULL);
  double b = issim_clock_now();
  ck_assert(b - a >= 0.019);
  ck_assert(b - a < 5); /* seconds, not milliseconds or nanoseconds */
  ck_assert(issim_clock_now() >= b);
}
END_TEST

static Suite *clock_suite(void)
{
  Suite *s = suite_create("clock");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, test_monotonic_seconds);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  return run_suite(clock_suite());
}
