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

#include "dist.h"
#include "error.h"
#include "loss.h"
#include "model.h"

typedef enum { ISSIM_ABOVE = 1, ISSIM_BELOW = -1 } issim_direction;

/* The families the cross-entropy method fits (adapt.h). */
typedef enum {
  ISSIM_CE_AUTO,        /* the start's own family (normal for other targets) */
  ISSIM_CE_NORMAL,      /* normal or multivariate normal */
  ISSIM_CE_STUDENT_T,   /* student-t or multivariate t, df fixed */
  ISSIM_CE_MIXTURE,     /* a mixture of normals, fitted by EM */
  ISSIM_CE_EXPONENTIAL, /* exponential (rate; location fixed) */
  ISSIM_CE_GAMMA        /* gamma (shape and scale) */
} issim_ce_family;

/* distribution = adaptive: a proposal the cross-entropy method fits before it
 * is used (docs/scenarios.md, section 11). */
typedef struct {
  issim_ce_family family;
  char *start;           /* a proposal's name; NULL: the target */
  double rho;            /* elite fraction, (0, 0.5] */
  uint64_t level_draws;  /* draws per level */
  double alpha;          /* smoothing, (0, 1]; 1: none */
  unsigned max_levels;
  int update_spread;     /* 0: means (locations, rates) only; 1: the spread too;
                          * -1 (default): the family's own choice (adapt.h) */
  double min_spread;     /* floor on the spread relative to the target's, > 1/sqrt 2 */
  unsigned components;   /* mixture components */
} issim_ce_options;

typedef struct {
  char *name;
  int line;          /* line of its [proposal NAME] header */
  issim_dist *dist;  /* univariate scenarios: NULL when the proposal is the target */
  issim_model *model;/* scenarios with a target_model: NULL when it is the target */
  /* distribution = adaptive: its options; dist and model stay NULL until a fit
   * is installed (adapt.h), which sets `fitted` and the fit's effort. */
  issim_ce_options *adaptive;
  int fitted;
  unsigned adapt_levels;
  uint64_t adapt_draws;
  double adapt_seconds;
} issim_proposal;

typedef struct {
  char *path;
  char *name;        /* [scenario] name, default the file's base name */
  char *description; /* may be empty */
  issim_dist *target;        /* univariate scenarios (dimension 1, x itself the loss) */
  /* d-dimensional scenarios, or any with a mixture proposal: the target as a
   * model and the loss g; the event is g(x) > threshold (or <). NULL otherwise. */
  issim_model *target_model;
  issim_loss *loss;
  size_t dimension;
  double threshold;
  double threshold_sigmas;   /* the threshold as written in sigmas, NAN when a number */
  issim_direction direction;
  size_t n_proposals;
  issim_proposal *proposals;
  uint64_t samples;  /* [run] samples, default 1000000 */
  uint64_t seed;     /* [run] seed, default 1 */
  const gsl_rng_type *rng; /* [run] rng, default taus2 */
} issim_scenario;

/* 2^48: blocks of 2^16 draws get distinct 32-bit generator seeds up to 2^32
 * blocks (rng.h), so a proposal's draws never repeat within a run. */
#define ISSIM_MAX_SAMPLES 281474976710656.0

/* Reads and validates a scenario file. */
issim_scenario *issim_scenario_read(const char *path, issim_error *err);

/* The same from text in memory; `path` is only used in messages. */
issim_scenario *issim_scenario_parse(const char *text, const char *path,
                                     issim_error *err);

void issim_scenario_free(issim_scenario *s);

/* The default options of an adaptive proposal. */
issim_ce_options issim_ce_options_default(void);

/* Sets option `key` (a scenario key: family, start, rho, level-draws, alpha,
 * max-levels, update, min-spread, components) from text, checking its range;
 * `what` names it in the message (e.g. "--rho").  o->start is malloc'd. */
int issim_ce_options_set(issim_ce_options *o, const char *key, const char *what,
                         const char *value, issim_error *err);

/* Is p an adaptive proposal not fitted yet (which must not be sampled)? */
int issim_proposal_unfitted(const issim_proposal *p);

/* The proposal of that name, or NULL. */
const issim_proposal *issim_scenario_proposal(const issim_scenario *s,
                                              const char *name);

/* The event's region where the target has mass: (lo, hi); empty if lo >= hi.
 * (-inf, inf) for a d-dimensional scenario. */
void issim_scenario_event_region(const issim_scenario *s, double *lo, double *hi);

/* The exact log P(event) under the target, or NAN when issim knows no formula:
 * univariate targets with a tail formula; a linear or sum loss of a
 * multivariate normal or t; the max or min of independent components. */
double issim_scenario_exact_log(const issim_scenario *s);

/* Writes "x > 5", or "linear loss > 5.23 (5 sigma)" and the like. */
void issim_scenario_describe_event(const issim_scenario *s, char *buf, size_t size);

/* Writes the target's or a proposal's description ("the target (plain Monte
 * Carlo)" for distribution = target). */
void issim_scenario_describe_target(const issim_scenario *s, char *buf, size_t size);
void issim_scenario_describe_proposal(const issim_proposal *p, char *buf, size_t size);

/* Parsers for option values, shared with the command line.  They return
 * ISSIM_EINVAL with a message naming `what` (e.g. "samples") and the valid range. */
int issim_parse_samples(const char *text, const char *what, uint64_t *out, issim_error *err);
int issim_parse_seed(const char *text, const char *what, uint64_t *out, issim_error *err);
int issim_parse_number(const char *text, const char *what, double *out, issim_error *err);

#endif
