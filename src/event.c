#include "event.h"

#include <math.h>
#include <stdio.h>

#include "simd.h"

issim_event issim_event_init(issim_loss *loss, double threshold, issim_direction direction)
{
  return (issim_event){.loss = loss, .threshold = threshold, .direction = direction,
                       .threshold_sigmas = NAN};
}

int issim_event_on_x(const issim_event *ev)
{
  return ev->loss == NULL || issim_loss_kind_of(ev->loss) == ISSIM_LOSS_IDENTITY;
}

VECTOR_CLONES
void issim_event_mark_hits_at(size_t n, const double *restrict g, double threshold, int above,
                              double *restrict hit)
{
  if (above) {
#pragma omp simd
    for (size_t i = 0; i < n; i++)
      hit[i] = g[i] > threshold ? 1.0 : 0.0;
  } else {
#pragma omp simd
    for (size_t i = 0; i < n; i++)
      hit[i] = g[i] < threshold ? 1.0 : 0.0;
  }
}

void issim_event_mark_hits(const issim_event *ev, size_t n, const double *g, double *hit)
{
  issim_event_mark_hits_at(n, g, ev->threshold, ev->direction == ISSIM_ABOVE, hit);
}

void issim_event_interval(const issim_event *ev, double lower, double upper, double *lo,
                          double *hi)
{
  if (ev->direction == ISSIM_ABOVE) {
    *lo = fmax(ev->threshold, lower);
    *hi = upper;
  } else {
    *lo = lower;
    *hi = fmin(ev->threshold, upper);
  }
}

double issim_event_log_prob_of(const issim_event *ev, const issim_dist *d)
{
  return ev->direction == ISSIM_ABOVE ? issim_dist_log_sf(d, ev->threshold)
                                      : issim_dist_log_cdf(d, ev->threshold);
}

void issim_event_describe(const issim_event *ev, size_t d, char *buf, size_t size)
{
  const char *op = ev->direction == ISSIM_ABOVE ? ">" : "<";
  char sig[48] = "";
  if (!isnan(ev->threshold_sigmas))
    snprintf(sig, sizeof sig, " (%g sigma)", ev->threshold_sigmas);
  if (issim_event_on_x(ev))
    snprintf(buf, size, "x %s %.10g%s", op, ev->threshold, sig);
  else {
    char loss[256];
    issim_loss_describe(ev->loss, loss, sizeof loss);
    snprintf(buf, size, "%s of x1..x%zu %s %.10g%s", loss, d, op, ev->threshold, sig);
  }
}
