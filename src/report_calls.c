/* report_calls.c: a run's loss evaluations (calls.h) in text and JSON, as
 * every report that draws shows them. */
#include <inttypes.h>

#include "report_impl.h"

/* The parts of c that are not 0, "a + b + c", the draws always. */
static void parts(const issim_calls *c, const char *draws, char *buf, size_t size)
{
  const struct { uint64_t n; const char *what; } part[] = {
    {c->regions, "regions search"}, {c->setup, "set-up"}, {c->pilot, "quantile pilot"},
    {c->draws, draws},
  };
  size_t len = 0;
  buf[0] = '\0';
  for (size_t i = 0; i < sizeof part / sizeof part[0] && len < size; i++)
    if (part[i].n > 0 || i == 3)
      len += (size_t)snprintf(buf + len, size - len, "%s%" PRIu64 " %s", len ? " + " : "",
                              part[i].n, part[i].what);
}

void report_calls_text(FILE *out, const char *label, const issim_calls *c, const char *draws)
{
  if (!c->model) /* the event is on x: no model, nothing to count */
    return;
  char buf[256];
  parts(c, draws, buf, sizeof buf);
  fprintf(out, "%s%" PRIu64 " = %s\n", label, issim_calls_total(c), buf);
}

json_t *report_calls_json(const issim_calls *c)
{
  json_t *o = json_object();
  report_set(o, "model", json_boolean(c->model));
  report_set(o, "total", json_integer((json_int_t)issim_calls_total(c)));
  report_set(o, "regions_search", json_integer((json_int_t)(c->model ? c->regions : 0)));
  report_set(o, "setup", json_integer((json_int_t)(c->model ? c->setup : 0)));
  report_set(o, "pilot", json_integer((json_int_t)(c->model ? c->pilot : 0)));
  report_set(o, "draws", json_integer((json_int_t)(c->model ? c->draws : 0)));
  return o;
}
