/* Fuzz harness: the scenario reader (scenario.h) on any bytes, as a scenario
 * file shared by someone else may hold.  Whatever the bytes, reading must end
 * in a scenario or a message, never a crash, a leak, undefined behaviour or
 * a hang; a limit of 256 MB keeps the fuzzer's memory bounded (larger
 * scenarios are refused by the reader's own estimate).  Built with libFuzzer
 * (configure --enable-fuzzing; make fuzz), and in every build as a replay of
 * the seeds and of the crashers kept in tests/fuzz/crashers/ (replay.c). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "scenario.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  issim_scenario_limits lim = {.max_memory = 2.56e8, .threads = 2};
  issim_error err;
  issim_scenario *s = issim_scenario_parse_limited((const char *)data, size, "fuzz.ini", &lim, &err);
  if (s == NULL) {
    /* a message, "path:line: ..." or a plain one, NUL-terminated */
    if (memchr(err.message, '\0', sizeof err.message) == NULL)
      __builtin_trap();
    return 0;
  }
  char buf[512];
  issim_scenario_describe_event(s, buf, sizeof buf);
  for (size_t i = 0; i < s->n_proposals; i++)
    issim_scenario_describe_proposal(&s->proposals[i], buf, sizeof buf);
  (void)issim_scenario_exact_log(s);
  issim_scenario_free(s);
  return 0;
}
