/* command.h: a loss computed by an external program (a scenario's
 * `loss = command`, docs/scenarios.md).
 *
 * The protocol.  issim starts the program from an argument vector, with no
 * shell (nothing is expanded, nothing but the program named is run), in the
 * directory the caller gives, and writes the points of a batch to its
 * standard input, one a line: d numbers separated by single spaces, each
 * with 17 significant digits ("%.17g", so that the program reads back
 * exactly the double issim drew), the line ended by '\n'.  The program
 * answers on its standard output one line per point, in the same order: the
 * loss, one number as C's strtod reads it ("1.5", "-2e-3", "inf"; blanks
 * around it, and a '\r' before the '\n', are ignored), and nothing else.
 * Its standard error is issim's own.
 *
 * Two modes:
 *   batch   (the default) the program is started for each batch; it reads
 *           to the end of its input, answers every line, and exits with
 *           status 0.  Any line-by-line filter works (awk '{print $1+$2}',
 *           a Python loop over sys.stdin), whatever its output buffering.
 *   stream  the program is started once per worker and kept running; it must
 *           answer each line as it reads it and flush its output then (a
 *           program whose output is block-buffered keeps its answers while
 *           issim waits for them, until the timeout).  For a program that is
 *           slow to start (it loads a model).  At the end its standard input
 *           is closed, and it has a second to exit before it is killed.
 * Batches are the sampler's (at most 512 points: sampler.h); a design-point
 * search or FORM sends 1 to a few times d points at a time.
 *
 * Workers.  Each copy of the loss (one per thread, loss.h) is a worker with
 * its own program, so that --threads N runs N at once; a point's loss
 * depends on the point alone, so the results are the same digits for any
 * number of workers.  The program's file descriptors are its standard input
 * and output (a socket and a pipe) and issim's standard error: every other
 * descriptor issim opens is close-on-exec.
 *
 * Failures: ISSIM_ELOSS, with a message (issim_loss_error) that names the
 * program, the batch (this worker's count, its size and first point, which
 * loss.c adds) and what went wrong: the program cannot be started; it exits
 * or is killed before it has answered every point (its exit status or
 * signal, and how many points it answered); it exits with a status other
 * than 0 (batch mode); it answers more lines than points (or a line longer
 * than 4096 characters: a program that floods its output is stopped at
 * once, its output not read to the end); a line that is not
 * a number (the line's number and text, and the point it answers); NaN
 * (loss.h); no complete answer within the timeout (the program is then
 * killed).  In stream mode a program that ends between batches fails the
 * next one, and a worker whose program failed starts a new one for its next
 * batch.  In stream mode issim takes a batch's answers as soon as it has one
 * line per point: a line too many is seen when it has arrived by then, or
 * before the next batch (that batch fails, and the message says the
 * previous one's answers may be out of step); after the last batch it is
 * not seen.  Batch mode sees every line.
 */
#ifndef ISSIM_COMMAND_H
#define ISSIM_COMMAND_H

#include <stddef.h>

#include "error.h"
#include "loss.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { ISSIM_COMMAND_BATCH, ISSIM_COMMAND_STREAM } issim_command_mode;

typedef struct {
  /* the program and its arguments, NULL-terminated.  argv[0] with a '/' is
   * a path, a relative one relative to `directory` (where the program runs);
   * without a '/' it is looked up in PATH, as a shell would. */
  const char *const *argv;
  const char *directory;     /* where the program runs; NULL: issim's working directory */
  double timeout;            /* seconds one batch may take; 0: no limit */
  issim_command_mode mode;
} issim_command_spec;

/* The function loss of d coordinates that runs spec's program (loss.h), its
 * name "command ARGV...".  The program is not started here (each worker
 * starts its own when it first evaluates); ISSIM_EINVAL, key "command",
 * when it cannot be found or is not an executable file, key "directory"
 * when that is not a directory; key "timeout" when the timeout is negative or
 * not a number. */
issim_loss *issim_command_alloc(size_t d, const issim_command_spec *spec, issim_error *err);

/* Splits a command line into its words (*argv, *argc; a NULL-terminated
 * array, freed with issim_command_free_words): blanks separate words, and
 * "..." or '...' quote a part of one (the quotes removed, no escapes, no
 * expansion of any kind).  ISSIM_EINVAL for an unclosed quote or no word. */
int issim_command_split(const char *line, char ***argv, size_t *argc, issim_error *err);
void issim_command_free_words(char **argv);

#ifdef __cplusplus
}
#endif

#endif
