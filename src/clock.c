/* clock.c: the monotonic timer (see clock.h). */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */

#include "clock.h"

#include <time.h>

double issim_clock_now(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}
