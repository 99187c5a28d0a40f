/* Tests of src/event.c: which draws hit the event, its interval, its tail
 * probability on the line, its description. */
#include <check.h>
#include <gsl/gsl_cdf.h>
#include <math.h>
#include <string.h>

#include "check_main.h"
#include "event.h"

START_TEST(test_hits_above_and_below)
{
  const double g[6] = {-1, 2, 2.5, 3, NAN, INFINITY};
  double hit[6];
  issim_event above = issim_event_init(NULL, 2, ISSIM_ABOVE);
  issim_event_mark_hits(&above, 6, g, hit);
  const double want_above[6] = {0, 0, 1, 1, 0, 1}; /* strict: 2 is not above 2; NaN never hits */
  for (int i = 0; i < 6; i++)
    ck_assert_double_eq(hit[i], want_above[i]);
  issim_event below = issim_event_init(NULL, 2.5, ISSIM_BELOW);
  issim_event_mark_hits(&below, 6, g, hit);
  const double want_below[6] = {1, 1, 0, 0, 0, 0};
  for (int i = 0; i < 6; i++)
    ck_assert_double_eq(hit[i], want_below[i]);
}
END_TEST

START_TEST(test_interval_within_a_support)
{
  double lo, hi;
  issim_event ev = issim_event_init(NULL, 3, ISSIM_ABOVE);
  issim_event_interval(&ev, 0, INFINITY, &lo, &hi);
  ck_assert_double_eq(lo, 3);
  ck_assert(isinf(hi) && hi > 0);
  issim_event_interval(&ev, 5, 10, &lo, &hi); /* all of the support is in the event */
  ck_assert_double_eq(lo, 5);
  ck_assert_double_eq(hi, 10);
  ev.direction = ISSIM_BELOW;
  issim_event_interval(&ev, 5, 10, &lo, &hi); /* none of it: empty */
  ck_assert(!(lo < hi));
}
END_TEST

START_TEST(test_log_prob_on_the_line)
{
  issim_dist *z = issim_dist_alloc_normal(0, 1, NULL);
  issim_event ev = issim_event_init(NULL, 5, ISSIM_ABOVE);
  ck_assert_double_eq_tol(issim_event_log_prob_of(&ev, z), log(gsl_cdf_ugaussian_Q(5)), 1e-12);
  ev.direction = ISSIM_BELOW;
  ev.threshold = -40; /* far below double's smallest normal: log space */
  double lp = issim_event_log_prob_of(&ev, z);
  ck_assert(isfinite(lp));
  ck_assert_double_eq_tol(lp, -804.608442013754, 1e-6);
  issim_dist_free(z);
}
END_TEST

START_TEST(test_description)
{
  char buf[128];
  issim_event ev = issim_event_init(NULL, 5, ISSIM_ABOVE);
  ck_assert(issim_event_on_x(&ev));
  issim_event_describe(&ev, 1, buf, sizeof buf);
  ck_assert_str_eq(buf, "x > 5");
  issim_loss *sum = issim_loss_alloc(ISSIM_LOSS_SUM, 3, NULL);
  ev = issim_event_init(sum, -2.5, ISSIM_BELOW);
  ev.threshold_sigmas = 4;
  ck_assert(!issim_event_on_x(&ev));
  issim_event_describe(&ev, 3, buf, sizeof buf);
  ck_assert_str_eq(buf, "sum loss of x1..x3 < -2.5 (4 sigma)");
  issim_loss_free(sum);
}
END_TEST

static Suite *event_suite(void)
{
  Suite *s = suite_create("event");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, test_hits_above_and_below);
  tcase_add_test(tc, test_interval_within_a_support);
  tcase_add_test(tc, test_log_prob_on_the_line);
  tcase_add_test(tc, test_description);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  return run_suite(event_suite());
}
