/* Fuzz harness: expression losses (loss.h, expr.h) on any formula.  The
 * first byte chooses the dimension (1 to 8), the rest is the formula.
 * Compiling must end in a loss or a message (never a crash, a leak, output
 * from libmatheval's scanner, or a stack overflow), and a loss must evaluate
 * at a few points, finite or not.  Built as fuzz_scenario.c is. */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "loss.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (size == 0)
    return 0;
  size_t d = 1 + data[0] % 8;
  char *formula = malloc(size);
  if (formula == NULL)
    return 0;
  memcpy(formula, data + 1, size - 1);
  formula[size - 1] = '\0';
  issim_error err;
  issim_loss *g = issim_loss_alloc_expression(d, formula, &err);
  free(formula);
  if (g == NULL)
    return 0;
  enum { N = 5 };
  double x[N * 8], out[N];
  static const double values[N] = {0, 1, -2.5, 1e300, NAN};
  for (size_t i = 0; i < N; i++)
    for (size_t j = 0; j < d; j++)
      x[i * d + j] = j % 2 ? values[(i + j) % N] : values[i];
  issim_loss_eval(g, N, x, out);
  issim_loss_free(g);
  return 0;
}
