/* testplugin.c: a plugin for the tests of plugin.c and of the scenario's
 * loss = plugin (tests/check_plugin.c, tests/check_cli.c).
 *
 *   tp_sum        g = x1 + ... + xd, no state
 *   tp_linear     g = w . x, w from the parameters (tp_init); the state
 *   tp_fail       g = x1 + ... + xd, but fails (returns 7) on a batch with
 *                 a point whose x1 is above the first parameter (tp_init)
 *   tp_nan        NaN for a point whose x1 is above the first parameter
 *   tp_init       parameters: numbers, one per coordinate at least ("refuse"
 *                 is refused); tp_free, tp_message
 *   tp_states     how many states tp_init has made and tp_free not freed
 */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef ISSIM_TEST_ABI
#define ISSIM_TEST_ABI 1
#endif

int tp_sum(const double *x, size_t n, size_t d, double *g, void *state);
int tp_linear(const double *x, size_t n, size_t d, double *g, void *state);
int tp_fail(const double *x, size_t n, size_t d, double *g, void *state);
int tp_nan(const double *x, size_t n, size_t d, double *g, void *state);
int tp_init(const char *parameters, size_t d, void **state);
void tp_free(void *state);
const char *tp_message(void *state);
int tp_states(void);

extern int issim_plugin_abi;
int issim_plugin_abi = ISSIM_TEST_ABI; /* -DISSIM_TEST_ABI=2 builds one of another version */

typedef struct {
  double w[16];
  char message[64];
} tp_state;

static int live; /* states made and not freed (atomically) */

int tp_states(void)
{
  return __atomic_load_n(&live, __ATOMIC_SEQ_CST);
}

int tp_init(const char *parameters, size_t d, void **state)
{
  if (strcmp(parameters, "refuse") == 0 || d > 16)
    return 3;
  tp_state *s = calloc(1, sizeof *s);
  if (s == NULL)
    return 1;
  const char *p = parameters;
  for (size_t k = 0; k < d; k++) {
    char *end;
    s->w[k] = strtod(p, &end);
    p = end;
  }
  __atomic_add_fetch(&live, 1, __ATOMIC_SEQ_CST);
  *state = s;
  return 0;
}

void tp_free(void *state)
{
  if (state)
    __atomic_sub_fetch(&live, 1, __ATOMIC_SEQ_CST);
  free(state);
}

const char *tp_message(void *state)
{
  tp_state *s = state;
  return s ? s->message : "the parameters say refuse";
}

int tp_sum(const double *x, size_t n, size_t d, double *g, void *state)
{
  (void)state;
  for (size_t i = 0; i < n; i++) {
    double s = 0;
    for (size_t j = 0; j < d; j++)
      s += x[i * d + j];
    g[i] = s;
  }
  return 0;
}

int tp_linear(const double *x, size_t n, size_t d, double *g, void *state)
{
  tp_state *s = state;
  for (size_t i = 0; i < n; i++) {
    double v = 0;
    for (size_t j = 0; j < d; j++)
      v += s->w[j] * x[i * d + j];
    g[i] = v;
  }
  return 0;
}

int tp_fail(const double *x, size_t n, size_t d, double *g, void *state)
{
  tp_state *s = state;
  for (size_t i = 0; i < n; i++)
    if (x[i * d] > s->w[0]) {
      snprintf(s->message, sizeof s->message, "x1 = %.3g is above %.3g", x[i * d], s->w[0]);
      return 7;
    }
  return tp_sum(x, n, d, g, NULL);
}

int tp_nan(const double *x, size_t n, size_t d, double *g, void *state)
{
  tp_state *s = state;
  tp_sum(x, n, d, g, NULL);
  for (size_t i = 0; i < n; i++)
    if (x[i * d] > s->w[0])
      g[i] = NAN;
  return 0;
}
