/* clock.h: the one timer of libissim.
 *
 * Seconds on a monotonic clock (CLOCK_MONOTONIC): only differences of two
 * readings mean anything (a run's duration, a time limit), and they do not
 * jump when the wall clock is set.  Thread-safe; no state.
 */
#ifndef ISSIM_CLOCK_H
#define ISSIM_CLOCK_H

#ifdef __cplusplus
extern "C" {
#endif

/* The monotonic clock's reading, in seconds from an arbitrary origin. */
double issim_clock_now(void);

#ifdef __cplusplus
}
#endif

#endif
