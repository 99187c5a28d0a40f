/* limit.c: an example issim plugin, the user's own limit state as a C
 * function that issim calls on batches of points (src/plugin.h, and
 * docs/scenarios.md, section 6, for the rules).
 *
 * Build it with one line:
 *
 *     cc -shared -fPIC -O2 -o limit.so limit.c -lm
 *
 * or, with issim installed, with issim checking the functions' types against
 * its own declarations (src/plugin.h):
 *
 *     cc -shared -fPIC -O2 -DUSE_ISSIM_HEADER $(pkg-config --cflags issim) -o limit.so limit.c -lm
 *
 * and name it in a scenario's [event] (scenarios/four-branch-plugin.ini):
 *
 *     loss = plugin
 *     library = ../examples/limit.so     ; relative to the scenario file
 *     function = limit_four_branch
 *
 * It holds two limit states:
 *
 *   limit_four_branch  the four-branch series system of two standard normal
 *                      loads (scenarios/four-branch.ini gives the same
 *                      function as an expression), d = 2, no state;
 *   limit_linear       g(x) = w . x, the weights w from the scenario's
 *                      `parameters` (e.g. parameters = 1 -2 0.5, one weight per
 *                      coordinate), read by limit_init into a state; with
 *                      init = limit_init, free = limit_free and, for its
 *                      messages, message = limit_message.
 *
 * issim calls a function from several threads at once, each thread with its
 * own state (limit_init runs once per thread); limit_four_branch has no state
 * and touches nothing shared, so it is safe as it is.  A function returns 0,
 * or non-zero when it cannot compute a batch (issim then stops the run and
 * reports the draws done before it); a NaN loss is an error too.
 */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

/* Says that this library is an issim plugin, for version 1 of the
 * interface: issim loads no library without it. */
extern int issim_plugin_abi;
int issim_plugin_abi = 1;

#ifdef USE_ISSIM_HEADER
#include <issim/plugin.h>
/* the compiler checks each function against issim's type */
issim_plugin_function limit_four_branch, limit_linear;
issim_plugin_init limit_init;
issim_plugin_free limit_free;
issim_plugin_message limit_message;
#else
int limit_four_branch(const double *x, size_t n, size_t d, double *g, void *state);
int limit_linear(const double *x, size_t n, size_t d, double *g, void *state);
int limit_init(const char *parameters, size_t d, void **state);
void limit_free(void *state);
const char *limit_message(void *state);
#endif

/* min of the four branches; the structure fails where it is below 0 */
int limit_four_branch(const double *x, size_t n, size_t d, double *g, void *state)
{
  (void)state;
  if (d != 2)
    return 1; /* the system has two loads */
  const double r2 = sqrt(2.0);
  for (size_t i = 0; i < n; i++) {
    double x1 = x[2 * i], x2 = x[2 * i + 1], q = 0.1 * (x1 - x2) * (x1 - x2);
    double b1 = 3 + q - (x1 + x2) / r2, b2 = 3 + q + (x1 + x2) / r2;
    double b3 = (x1 - x2) + 6 / r2, b4 = (x2 - x1) + 6 / r2;
    g[i] = fmin(fmin(b1, b2), fmin(b3, b4));
  }
  return 0;
}

/* limit_linear's state: its weights, and what went wrong last */
typedef struct {
  size_t d;
  double *w;
  char message[128];
} linear_state;

int limit_init(const char *parameters, size_t d, void **state)
{
  linear_state *s = calloc(1, sizeof *s);
  double *w = calloc(d, sizeof *w);
  const char *p = parameters;
  size_t k = 0;
  for (char *end; s && w && k < d; k++, p = end) {
    w[k] = strtod(p, &end);
    if (end == p)
      break;
  }
  if (s == NULL || w == NULL || k != d) {
    free(s), free(w);
    return 1;
  }
  s->d = d, s->w = w;
  *state = s;
  return 0;
}

void limit_free(void *state)
{
  linear_state *s = state;
  if (s)
    free(s->w);
  free(s);
}

const char *limit_message(void *state)
{
  linear_state *s = state;
  return s ? s->message : "limit_linear needs one weight per coordinate in parameters";
}

int limit_linear(const double *x, size_t n, size_t d, double *g, void *state)
{
  linear_state *s = state;
  if (s == NULL || s->d != d) {
    if (s)
      snprintf(s->message, sizeof s->message, "called with d = %zu, made for %zu", d, s->d);
    return 1;
  }
  for (size_t i = 0; i < n; i++) {
    double sum = 0;
    for (size_t j = 0; j < d; j++)
      sum += s->w[j] * x[i * d + j];
    g[i] = sum;
  }
  return 0;
}
