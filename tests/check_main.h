/* check_main.h: how every test program runs its suite (tests/check_*.c). */
#ifndef ISSIM_CHECK_MAIN_H
#define ISSIM_CHECK_MAIN_H

#include <check.h>
#include <stdlib.h>

/* Runs the suite and returns the exit status make check expects. */
static inline int run_suite(Suite *s)
{
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#endif
