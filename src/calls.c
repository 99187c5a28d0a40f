#include "calls.h"

#include "event.h"
#include "quantile.h"

int issim_calls_model(const issim_problem *pb)
{
  return !issim_event_on_x(&pb->event);
}

uint64_t issim_calls_total(const issim_calls *c)
{
  return c->model ? c->regions + c->setup + c->pilot + c->draws : 0;
}

/* The calls of a run of n draws, its pilot included. */
static uint64_t run_calls(uint64_t n, int pilot)
{
  return n + (pilot && n > 0 ? issim_quantile_pilot_draws(n) : 0);
}

int issim_calls_draws_within(uint64_t max_calls, const issim_calls *c, int pilot,
                             uint64_t *draws, issim_error *err)
{
  if (!c->model)
    return issim_error_set(err, ISSIM_EINVAL,
                           "--max-calls %llu: the event is on x itself, which calls no model: "
                           "there are no loss evaluations to budget; give --samples instead",
                           (unsigned long long)max_calls);
  uint64_t before = c->regions + c->setup;
  if (before >= max_calls)
    return issim_error_set(err, ISSIM_EINVAL,
                           "--max-calls %llu: the set-up before any draw already made %llu loss "
                           "evaluations (%llu in the failure regions' search, %llu in the "
                           "proposal's own search or fit): nothing is left for the draws; "
                           "give a larger budget",
                           (unsigned long long)max_calls, (unsigned long long)before,
                           (unsigned long long)c->regions, (unsigned long long)c->setup);
  uint64_t left = max_calls - before, lo = 0, hi = left; /* run_calls(lo) <= left */
  while (lo < hi) {
    uint64_t mid = lo + (hi - lo + 1) / 2;
    if (run_calls(mid, pilot) <= left)
      lo = mid;
    else
      hi = mid - 1;
  }
  if (lo == 0)
    return issim_error_set(err, ISSIM_EINVAL,
                           "--max-calls %llu leaves %llu loss evaluations after the set-up, "
                           "too few for a draw and its quantile pilot; give a larger budget",
                           (unsigned long long)max_calls, (unsigned long long)left);
  *draws = lo;
  return ISSIM_OK;
}
