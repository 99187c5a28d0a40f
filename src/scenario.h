/* scenario.h: scenario files.
 *
 * A scenario is an INI file (docs/scenarios.md names every key): a target
 * distribution p, an event {x > threshold} (or x < threshold), one or more
 * proposals q, and run settings.  Reading one validates all of it before any
 * sampling: every error comes back as "file:line: what is wrong and what would
 * be right", with code ISSIM_EINVAL (or ISSIM_ECOVER for a proposal that does
 * not cover the event region, which would bias the estimate without a sign).
 */
#ifndef ISSIM_SCENARIO_H
#define ISSIM_SCENARIO_H

#include <stddef.h>
#include <stdint.h>
#include <gsl/gsl_rng.h>

#include "adapt.h"
#include "dist.h"
#include "error.h"
#include "event.h"
#include "loss.h"
#include "model.h"
#include "parse.h"
#include "problem.h"


#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
  char *name;
  int line;          /* line of its [proposal NAME] header */
  /* NULL when the proposal is the target; in a univariate scenario a
   * univariate proposal is a distribution on the line (model.h:
   * issim_model_line_dist gives it) */
  issim_model *model;
  /* distribution = adaptive: its options; model stays NULL until a fit is
   * installed (adapt.h), which sets `fitted` and the fit's effort. */
  issim_adapt_options *adaptive;
  /* loss evaluations of the design-point search (and curvatures) that built
   * it: shift = design-point(s), spread = curvature; 0 for the others */
  uint64_t search_calls;
  int fitted;
  unsigned adapt_levels;
  uint64_t adapt_draws;
  double adapt_seconds;
} issim_proposal;

typedef struct {
  char *path;
  char *name;        /* [scenario] name, default the file's base name */
  char *description; /* may be empty */
  /* the target: in a univariate scenario a distribution on the line (model.h:
   * issim_model_line_dist gives it), whose event is on x itself */
  issim_model *target;
  size_t dimension;  /* d-dimensional scenarios, and univariate ones with a
                      * mixture proposal (1, with the identity loss) */
  /* [event] variables: the names of the d coordinates x1..xd (usable in an
   * expression, and shown in the reports where a point is printed); NULL
   * when not given. */
  char **variables;
  /* the event: its loss (NULL for univariate scenarios, where it is x
   * itself) is the scenario's, freed with it */
  issim_event event;
  /* [event] reference: the event's probability known from elsewhere (a
   * numerical integration, a published value), as a natural log; NAN when
   * not given.  calibrate judges against it when there is no exact value. */
  double reference_log;
  size_t n_proposals;
  issim_proposal *proposals;
  uint64_t samples;  /* [run] samples, default 1000000 */
  uint64_t seed;     /* [run] seed, default 1 */
  const gsl_rng_type *rng; /* [run] rng, default taus2 */
  /* [event] threshold as a list (docs/exceedance.md): every threshold of the
   * exceedance curve, ascending and without repeats, the main one
   * (event.threshold, the first written) among them; n_levels is 1 for a
   * single threshold.  level_sigmas[k]: levels[k] in standard deviations of
   * the loss, NAN where it was written as a number. */
  size_t n_levels;
  double *levels, *level_sigmas;
  /* [event] quantile: the probabilities alpha whose loss levels (exceeded
   * with probability alpha, or undercut for direction '<') are estimated, as
   * written; n_quantiles 0: none. */
  size_t n_quantiles;
  double *quantiles;
} issim_scenario;

/* The most thresholds a list may give, and the most quantiles. */
#define ISSIM_SCENARIO_MAX_LEVELS 100
#define ISSIM_SCENARIO_MAX_QUANTILES 8

/* What the command line puts in place of the file's keys before the
 * scenario is built (so that design points sit at the new main threshold).
 * NULL: the file's.  Messages about them name the option (--threshold:
 * ...), not a line of the file. */
typedef struct {
  const char *threshold;  /* [event] threshold */
  const char *quantile;   /* [event] quantile */
} issim_scenario_overrides;

/* Reads and validates a scenario file, within the default limits. */
issim_scenario *issim_scenario_read(const char *path, issim_error *err);

/* The same from text in memory; `path` is only used in messages. */
issim_scenario *issim_scenario_parse(const char *text, const char *path,
                                     issim_error *err);

/* What reading a scenario (and running it) may take.  Before it builds a
 * d-dimensional model, the reader estimates the memory the scenario will
 * need: 8 d^2 bytes for each d x d matrix that its target, its proposals and
 * their set-up hold at once (docs/scenarios.md, "Memory", counts them), and
 * refuses a scenario above max_memory at its dimension line, before
 * allocating any of it. */
#define ISSIM_SCENARIO_MAX_MEMORY 4e9 /* bytes, the default limit */
typedef struct {
  double max_memory; /* bytes; 0: ISSIM_SCENARIO_MAX_MEMORY */
  int threads;       /* the threads that will run it (adaptive fits keep sums per thread); 0: the cores */
} issim_scenario_limits;

/* issim_scenario_read and _parse with limits (NULL: the defaults); _parse_limited
 * reads len bytes of text, which need not end in a NUL (a NUL inside is refused,
 * as in a file). */
issim_scenario *issim_scenario_read_limited(const char *path, const issim_scenario_limits *limits,
                                            issim_error *err);
issim_scenario *issim_scenario_parse_limited(const char *text, size_t len, const char *path,
                                             const issim_scenario_limits *limits,
                                             issim_error *err);

/* issim_scenario_read_limited and _parse_limited with the command line's
 * overrides (ov NULL: none). */
issim_scenario *issim_scenario_read_with(const char *path, const issim_scenario_limits *limits,
                                         const issim_scenario_overrides *ov, issim_error *err);
issim_scenario *issim_scenario_parse_with(const char *text, size_t len, const char *path,
                                          const issim_scenario_limits *limits,
                                          const issim_scenario_overrides *ov, issim_error *err);

void issim_scenario_free(issim_scenario *s);

/* Is p an adaptive proposal not fitted yet (which must not be sampled)? */
int issim_proposal_unfitted(const issim_proposal *p);

/* The proposal of that name, or NULL. */
const issim_proposal *issim_scenario_proposal(const issim_scenario *s,
                                              const char *name);

/* The scenario's problem with proposal p (NULL: the target alone, plain
 * Monte Carlo), for the machinery (problem.h): it points into s and p. */
issim_problem issim_scenario_problem(const issim_scenario *s, const issim_proposal *p);

/* The problem a cross-entropy fit with options *opt starts from: the
 * scenario's target and event, and the proposal opt->start names (NULL: the
 * target).  ISSIM_EINVAL when there is no such proposal or it is itself
 * adaptive. */
int issim_scenario_fit_start(const issim_scenario *s, const issim_adapt_options *opt,
                             issim_problem *pb, issim_error *err);

/* Conveniences on the scenario's own problem (problem.h): the exact log
 * P(event), NAN when unknown; the event's region on the line. */
double issim_scenario_exact_log(const issim_scenario *s);
void issim_scenario_event_region(const issim_scenario *s, double *lo, double *hi);

/* Writes the event's description (event.h) and a proposal's ("the target
 * (plain Monte Carlo)" for distribution = target). */
void issim_scenario_describe_event(const issim_scenario *s, char *buf, size_t size);
void issim_scenario_describe_proposal(const issim_proposal *p, char *buf, size_t size);

#ifdef __cplusplus
}
#endif

#endif
