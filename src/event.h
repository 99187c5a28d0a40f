/* event.h: the rare event {loss(x) > threshold} (or < threshold).
 *
 * An event is a loss g (loss.h), a threshold t and a direction: the event is
 * g(x) > t (ISSIM_ABOVE) or g(x) < t (ISSIM_BELOW).  A univariate problem has
 * no loss object: g(x) = x itself.  The event owns nothing: the loss belongs
 * to whoever built the event (a scenario, a caller of libissim).
 *
 * What is known of an event without a target lives here: which draws hit it,
 * its interval on a line, its description.  What needs the target too (its
 * exact probability, the loss's moments, "K sigma" thresholds) is the
 * problem's (problem.h).
 */
#ifndef ISSIM_EVENT_H
#define ISSIM_EVENT_H

#include <stddef.h>

#include "dist.h"
#include "loss.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { ISSIM_ABOVE = 1, ISSIM_BELOW = -1 } issim_direction;

typedef struct {
  issim_loss *loss;           /* NULL: the loss is x itself (one dimension) */
  double threshold;           /* t */
  issim_direction direction;  /* g > t or g < t */
  double threshold_sigmas;    /* t as written in standard deviations of the
                               * loss, NAN (or 0 in a zeroed struct: see
                               * issim_event_init) when written as a number */
} issim_event;

/* An event on loss g (NULL: x itself) with the threshold given as a number. */
issim_event issim_event_init(issim_loss *loss, double threshold, issim_direction direction);

/* Is the loss x itself (no loss object, or the identity loss)? */
int issim_event_on_x(const issim_event *ev);

/* The event indicators of n losses g: hit[i] = 1.0 when g[i] is in the event,
 * else 0.0; a NaN loss is never in it.  A double rather than a flag, as in
 * the formulas w_i h_i, so that every loop over a batch runs on one element
 * type and vectorises. */
void issim_event_mark_hits(const issim_event *ev, size_t n, const double *g, double *hit);

/* The same for a bare threshold and direction (above != 0: g > t). */
void issim_event_mark_hits_at(size_t n, const double *g, double threshold, int above,
                              double *hit);

/* The part (lo, hi) of the interval [lower, upper] in the event x > t (or x <
 * t): a univariate target's event region, empty when lo >= hi. */
void issim_event_interval(const issim_event *ev, double lower, double upper, double *lo,
                          double *hi);

/* log P(X in the event) for X of distribution d on the line (the event on x
 * itself): its log tail at the threshold; NAN where d has no tail formula. */
double issim_event_log_prob_of(const issim_event *ev, const issim_dist *d);

/* Writes "x > 5", or "linear loss of x1..x10 > 5.23 (5 sigma)"; d: the
 * dimension, named in the second form. */
void issim_event_describe(const issim_event *ev, size_t d, char *buf, size_t size);

#ifdef __cplusplus
}
#endif

#endif
