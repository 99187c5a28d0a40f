/* misbehave.c: a program for the tests of the external-program loss
 * (tests/check_command.c, tests/check_cli.c): it follows issim's protocol
 * (command.h), or breaks it in one chosen way.
 *
 *   misbehave sum [--fail-above T]  g = x1 + ... + xd, a line answered as it
 *                                   is read and flushed; exits 1 (before it
 *                                   answers) on a point with x1 > T
 *   misbehave exit1                 reads its input, answers nothing, exits 1
 *   misbehave hang                  answers nothing, never exits
 *   misbehave garbage               answers, but line 3 is "abc"
 *   misbehave short                 answers every line but the last, exits 0
 *   misbehave extra                 answers every line twice
 *   misbehave nan                   answers "nan"
 *   misbehave buffered              sums, its output block-buffered: answers
 *                                   only when its input ends
 *   misbehave count FILE            sums, and appends to FILE the number of
 *                                   points it answered, one line per run
 *   misbehave signal                reads a line and kills itself (SIGSEGV)
 */
#define _POSIX_C_SOURCE 200809L

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static double sum_of(char *line, double *first)
{
  double s = 0;
  char *p = line, *end;
  for (int k = 0;; k++) {
    double v = strtod(p, &end);
    if (end == p)
      break;
    if (k == 0)
      *first = v;
    s += v;
    p = end;
  }
  return s;
}

int main(int argc, char **argv)
{
  const char *mode = argc > 1 ? argv[1] : "sum";
  double fail_above = argc > 3 && strcmp(argv[2], "--fail-above") == 0 ? atof(argv[3]) : 1e308;
  if (strcmp(mode, "hang") == 0)
    for (;;)
      pause();
  if (strcmp(mode, "buffered") == 0)
    setvbuf(stdout, NULL, _IOFBF, 1 << 16);
  char line[65536];
  unsigned long n = 0;
  int pending = 0; /* short: the line held back */
  double held = 0;
  while (fgets(line, sizeof line, stdin) != NULL) {
    n++;
    double x1 = 0, g = sum_of(line, &x1);
    if (strcmp(mode, "exit1") == 0)
      continue;
    if (strcmp(mode, "signal") == 0) {
      /* the default action: a sanitizer's own handler would turn the
       * signal into an exit status */
      signal(SIGSEGV, SIG_DFL);
      raise(SIGSEGV);
    }
    if (x1 > fail_above) {
      fprintf(stderr, "misbehave: x1 = %g is above %g\n", x1, fail_above);
      return 1;
    }
    if (strcmp(mode, "garbage") == 0 && n == 3)
      printf("abc\n");
    else if (strcmp(mode, "nan") == 0)
      printf("nan\n");
    else if (strcmp(mode, "short") == 0) {
      if (pending)
        printf("%.17g\n", held);
      held = g, pending = 1;
    } else
      printf("%.17g\n", g);
    if (strcmp(mode, "extra") == 0)
      printf("%.17g\n", g);
    if (strcmp(mode, "buffered") != 0)
      fflush(stdout);
  }
  if (strcmp(mode, "count") == 0 && argc > 2) {
    FILE *f = fopen(argv[2], "a");
    if (f) {
      fprintf(f, "%lu\n", n);
      fclose(f);
    }
  }
  return strcmp(mode, "exit1") == 0 ? 1 : 0;
}
