/* limit-command.c: an example of issim's external-program protocol
 * (src/command.h, docs/scenarios.md section 6): a program that reads
 * points on its standard input, one a line of d numbers, and answers one
 * loss a line, in the same order.
 *
 * Build:   cc -O2 -o limit-command limit-command.c -lm
 * Use:     loss = command
 *          command = ../examples/limit-command four-branch   ; relative to the scenario
 *
 *   limit-command four-branch     the four-branch series system of two loads
 *                                 (scenarios/four-branch.ini), d = 2
 *   limit-command linear W1 W2 ...  g(x) = w . x, one weight per coordinate
 *
 * It answers each line as it reads it and flushes its output, so it works in
 * both of issim's modes: batch (started for each batch, it reads to the end
 * of its input and exits 0) and stream (started once, kept running).  A line
 * it cannot read makes it say why on its standard error and exit with status
 * 1, which issim reports with the batch and the line.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_D = 64 };

/* The coordinates on one line into x; how many there are. */
static size_t read_point(char *line, double *x)
{
  size_t d = 0;
  char *p = line, *end;
  while (d < MAX_D) {
    double v = strtod(p, &end);
    if (end == p)
      break;
    x[d++] = v;
    p = end;
  }
  return d;
}

static double four_branch(const double *x)
{
  double x1 = x[0], x2 = x[1], q = 0.1 * (x1 - x2) * (x1 - x2), r2 = sqrt(2.0);
  double b1 = 3 + q - (x1 + x2) / r2, b2 = 3 + q + (x1 + x2) / r2;
  double b3 = (x1 - x2) + 6 / r2, b4 = (x2 - x1) + 6 / r2;
  return fmin(fmin(b1, b2), fmin(b3, b4));
}

int main(int argc, char **argv)
{
  int linear = argc >= 2 && strcmp(argv[1], "linear") == 0;
  if (!linear && !(argc == 2 && strcmp(argv[1], "four-branch") == 0)) {
    fprintf(stderr, "usage: limit-command four-branch | limit-command linear W1 W2 ...\n");
    return 2;
  }
  size_t nw = linear ? (size_t)(argc - 2) : 0;
  char line[8192];
  double x[MAX_D];
  for (unsigned long n = 1; fgets(line, sizeof line, stdin) != NULL; n++) {
    size_t d = read_point(line, x);
    if ((linear && d != nw) || (!linear && d != 2)) {
      fprintf(stderr, "limit-command: line %lu has %zu numbers, not %zu\n", n, d,
              linear ? nw : 2);
      return 1;
    }
    double g = 0;
    if (linear)
      for (size_t j = 0; j < d; j++)
        g += strtod(argv[2 + j], NULL) * x[j];
    else
      g = four_branch(x);
    printf("%.17g\n", g);
    fflush(stdout);
  }
  return 0;
}
