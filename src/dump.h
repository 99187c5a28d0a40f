/* dump.h: a run's draws written out, one CSV row a draw.
 *
 * For analysis elsewhere (docs/exceedance.md, --dump): each draw's point,
 * loss, log-weight, whether it is in the event and, for a mixture proposal,
 * the component that drew it.  The layout, after one header line:
 *
 *   proposal,draw,x1,...,xd,loss,log_weight,in_event,component
 *
 * proposal  the proposal's name (letters, digits, '_', '-', '.': no quoting)
 * draw      0, 1, ...: the draw's place in the run
 * x1..xd    the point (x1 alone for a univariate target)
 * loss      g(x) (x itself for a univariate target)
 * log_weight log p(x) - log q(x), natural log (0 for plain Monte Carlo;
 *           -inf off the target's support, nan where undefined)
 * in_event  1 when the draw is in the event (loss > threshold, or <), else 0
 * component the mixture component that drew it, 1-based, in the order of
 *           the proposal's components (a mixture in the target's standard
 *           space too: design-points); empty for other proposals
 *
 * Numbers are printed with 17 significant digits (%.17g: they read back to
 * the same doubles), inf and nan as "inf", "-inf" and "nan".  The draws are
 * drawn again for the file (issim_engine_replay: the same points, from the
 * same seeds, on one thread), so the file costs about one more run, and
 * holds as many rows as the run's draws: --samples bounds it.  The loss of
 * a linear loss drawn with the points may differ from the run's in the
 * last digit, and so, at most for a draw within rounding of the threshold,
 * may in_event.  The file is written whole or not at all (fileio.h).
 */
#ifndef ISSIM_DUMP_H
#define ISSIM_DUMP_H

#include <stdint.h>

#include "engine.h"
#include "error.h"
#include "fileio.h"
#include "problem.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct issim_dump issim_dump;

/* Opens path for the draws of d-dimensional points, writing the header;
 * *out NULL on failure (ISSIM_EIO naming the path, ISSIM_ENOMEM).  The
 * coordinates' columns are x1..xd, or names[d] (NULL: none) when no name is
 * one of the other columns' (proposal, draw, loss, log_weight, in_event,
 * component). */
int issim_dump_open(const char *path, size_t d, const char *const *names, issim_dump **out,
                    issim_error *err);

/* Appends the first n draws of proposal `name`'s run cfg of problem pb. */
int issim_dump_add(issim_dump *dump, const char *name, const issim_problem *pb,
                   const issim_run_config *cfg, uint64_t n, issim_error *err);

/* Commits the file (every row written, then renamed into place) and frees
 * dump; with discard, or after a failure, removes what was written
 * instead. */
int issim_dump_close(issim_dump *dump, int discard, issim_error *err);

#ifdef __cplusplus
}
#endif

#endif
