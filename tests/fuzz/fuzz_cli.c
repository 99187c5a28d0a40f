/* Fuzz harness: the command line's option parser (src/main.c, included
 * whole, its main renamed) on any arguments.  The first byte chooses the
 * command (run, compare, calibrate, divergence, adapt, form), the rest,
 * split at newlines and NUL bytes, is its arguments.  Parsing, then the
 * overrides of a small scenario's settings, the scenario limits, calibrate's
 * --reps and adapt's options must end in settings or a message, never a
 * crash, a leak, undefined behaviour or an exit.  The messages go to
 * /dev/null (stdout and stderr are redefined for main.c only).  Nothing is
 * run.  Built as fuzz_scenario.c is. */
#define _POSIX_C_SOURCE 200809L /* as main.c, whose system headers come first here */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static FILE *fuzz_sink; /* /dev/null: what main.c would print */
#undef stdout
#undef stderr
#define stdout fuzz_sink
#define stderr fuzz_sink
#define main issim_program_main
int issim_program_main(int argc, char **argv);
#include "main.c"
#undef main
#undef stdout
#undef stderr

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { MAX_ARGS = 32 };

static issim_scenario *small_scenario(void)
{
  static issim_scenario *s;
  if (s == NULL)
    s = issim_scenario_parse("[target]\ndistribution = normal\n[event]\nthreshold = 5\n"
                             "[proposal shifted]\ndistribution = normal\nmean = 5\n"
                             "[proposal crude]\ndistribution = target\n",
                             "fuzz.ini", NULL);
  return s;
}

/* What follows a successful parse, on the small scenario (restored after). */
static void after_parse(const options *o, command_kind kind)
{
  issim_scenario *s = small_scenario();
  const uint64_t samples = s->samples, seed = s->seed;
  const gsl_rng_type *rng = s->rng;
  run_settings rs;
  issim_scenario_limits lim;
  (void)apply_overrides(o, s, &rs);
  (void)scenario_limits(o, &lim);
  if (kind == COMMAND_CALIBRATE) {
    size_t reps;
    (void)parse_reps(o->reps, &reps);
  }
  if (kind == COMMAND_ADAPT) {
    adapt_subject a = {.opt = issim_adapt_options_default()};
    issim_error err;
    (void)adapt_options(o, NULL, &a, &err);
    free(a.opt.start);
  }
  s->samples = samples, s->seed = seed, s->rng = rng;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static const char *const commands[] = {"run", "compare", "calibrate", "divergence", "adapt",
                                         "form"};
  if (size == 0)
    return 0;
  if (fuzz_sink == NULL && (fuzz_sink = fopen("/dev/null", "w")) == NULL)
    abort();
  command_kind kind = (command_kind)(data[0] % 6);
  char *text = malloc(size);
  if (text == NULL)
    return 0;
  memcpy(text, data + 1, size - 1);
  text[size - 1] = '\0';
  char *argv[MAX_ARGS + 2] = {(char *)commands[kind]};
  int argc = 1;
  for (char *p = text, *end = text + size - 1; p <= end && argc <= MAX_ARGS;) {
    size_t len = strcspn(p, "\n");
    p[len] = '\0';
    argv[argc++] = p;
    p += len + 1;
  }
  argv[argc] = NULL;
  options o = {0};
  if (parse_options(argc, argv, &o, kind) == EXIT_OK)
    after_parse(&o, kind);
  free(text);
  return 0;
}
