/* adapt.h: the cross-entropy method (Rubinstein & Kroese): proposals that
 * tune themselves.
 *
 * The zero-variance proposal p*(x) = p(x) 1{event} / P is the best q there is;
 * the cross-entropy method finds the member of a parametric family q(.; v)
 * nearest to it in KL(p* || q), level by level (docs/estimators.md):
 *
 *   1. v_0: the target's parameters (or a starting proposal's).
 *   2. Draw n points of q(.; v_{k-1}); S_i = the loss, oriented so that the
 *      event is S > t; gamma_k = min(t, the (1 - rho) quantile of S).
 *   3. v_k = argmax_v sum_{S_i >= gamma_k} W_i log q(X_i; v), W_i = p/q(.; v_{k-1}):
 *      weighted maximum likelihood (closed form for normal means and
 *      covariances, exponential rates; Newton for the gamma shape; EM steps for
 *      Gaussian mixtures and the student-t location and scale).
 *   4. Optional smoothing v_k = alpha v_k + (1 - alpha) v_{k-1}; stop once
 *      gamma_k = t, then estimate with plain importance sampling.
 *
 * What is fitted.  update = mean fits means, locations, the exponential's
 * rate and the gamma's scale, keeping the start's spread; update = mean+spread
 * fits covariances, scales and the gamma's shape too.  By default (auto) a
 * student-t family fits its scale as well: the zero-variance density of a
 * heavy tail beyond t spreads over a range that grows with t, which no fixed
 * scale follows (a t(3) tail beyond 100 fitted by location alone gives weights
 * whose k-hat exceeds 1); the others fit means only, except in the standard
 * space (below), where every family fits its spread too.
 *
 * The collapse trap.  Updating a normal proposal's spread along with its mean
 * shrinks it toward the spread of the target restricted to the event (sd
 * about 0.18 on P(Z > 5)).  A normal q whose variance is lambda times the
 * target's along some direction has weights whose tail has Pareto shape
 * k = 1 - lambda there: finite variance needs lambda > 1/2, and the closer to
 * 1/2 the less the sample's error bar can be believed.  issim therefore
 * updates means only unless asked, and with the spread update it floors every
 * eigenvalue of the fitted covariance relative to the target's (the
 * generalised eigenvalues of (C, S_p)) at min_spread^2 (default 0.85^2,
 * k <= 0.28); the analytic tail check (tail.h) then confirms that the fitted
 * proposal's weights have finite variance, or the fit is refused.
 *
 * The standard space.  A d-dimensional target without an elliptical form
 * (independent components not all normal, a Gaussian copula) is fitted in
 * its standard space u (transform.h): the family (normal or mixture) is a
 * model of u, from N(0, I) (or from a standard-space start proposal), each
 * level's elites are taken to u by T^-1, the spread floor is against
 * N(0, I), and the fitted proposal is the model of u carried to x by T.  By
 * default the spread is fitted there: the zero-variance density of a limit
 * surface curving round the origin (a sum of exponentials) spreads along it
 * by 1 / (1 + beta kappa) > 1, which a normal of the target's spread misses.
 *
 * Draws.  Level k draws its n points in blocks of ISSIM_CE_BLOCK, block b from
 * the generator seeded by issim_rng_block_seed(seed, stream + k, b) (rng.h),
 * stream a hash of the fitted proposal's name apart from its final run's,
 * so a fit is the same whatever the number of threads.  A level keeps each
 * draw's loss and log-weight (16 bytes a draw) and the coordinates of its
 * elite draws only, which a second pass re-draws from the same seeds.
 */
#ifndef ISSIM_ADAPT_H
#define ISSIM_ADAPT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <gsl/gsl_rng.h>

#include "cefit.h"
#include "dist.h"
#include "error.h"
#include "model.h"
#include "problem.h"

#ifdef __cplusplus
extern "C" {
#endif

#define ISSIM_CE_BLOCK 4096u

/* distribution = adaptive: a proposal the cross-entropy method fits before it
 * is used (docs/scenarios.md, section 11). */
typedef struct {
  issim_cefit_family family;
  char *start;           /* a proposal's name; NULL: the target */
  double rho;            /* elite fraction, (0, 0.5] */
  uint64_t level_draws;  /* draws per level */
  double alpha;          /* smoothing, (0, 1]; 1: none */
  unsigned max_levels;
  int update_spread;     /* 0: means (locations, rates) only; 1: the spread too;
                          * -1 (default): the family's own choice (adapt.h) */
  double min_spread;     /* floor on the spread relative to the target's, > 1/sqrt 2 */
  unsigned components;   /* mixture components */
} issim_adapt_options;

/* The default options of an adaptive proposal. */
issim_adapt_options issim_adapt_options_default(void);

/* Sets option `key` (a scenario key: family, start, rho, level-draws, alpha,
 * max-levels, update, min-spread, components) from text, checking its range;
 * `what` names it in the message (e.g. "--rho").  o->start is malloc'd. */
int issim_adapt_options_set(issim_adapt_options *o, const char *key, const char *what,
                         const char *value, issim_error *err);

/* The defaults of issim_adapt_options, also the scenario keys'. */
#define ISSIM_CE_DEFAULT_RHO 0.1
#define ISSIM_CE_DEFAULT_LEVEL_DRAWS 10000
#define ISSIM_CE_DEFAULT_MAX_LEVELS 50
#define ISSIM_CE_DEFAULT_MIN_SPREAD 0.85
#define ISSIM_CE_DEFAULT_COMPONENTS 4
#define ISSIM_CE_MAX_COMPONENTS 64

/* ---- a whole fit ---- */

typedef struct {
  unsigned level;          /* 1, 2, ... */
  double gamma;            /* the level's threshold, in the loss's own units */
  uint64_t draws, elites;
  double log_level_prob;   /* log of the estimated P(event at level gamma) */
  double kl_star;          /* KL(p*_gamma || q) estimated from the level's draws */
  double event_ess;        /* of the elites' weights */
  char fitted[256];        /* the parameters after the level's update */
} issim_adapt_level;

typedef enum {
  ISSIM_CE_REACHED,      /* gamma reached the threshold: the proposal is fitted */
  ISSIM_CE_NO_PROGRESS,  /* ISSIM_CE_STALLS levels in a row without a higher gamma */
  ISSIM_CE_LEVEL_LIMIT,  /* max_levels levels without reaching the threshold */
  ISSIM_CE_INTERRUPTED,  /* told to stop (Ctrl-C) between levels */
  ISSIM_CE_LOSS_FAILED   /* the loss failed (loss.h) during a level: the levels
                          * before it are kept, the message says where and why */
} issim_adapt_outcome;

/* A level whose (1 - rho) quantile does not rise above the highest gamma so
 * far keeps that gamma (its elites are those above it, a refit at the same
 * level; sampling noise can dip a quantile); this many such levels in a row
 * end the fit. */
#define ISSIM_CE_STALLS 2

typedef struct {
  issim_adapt_outcome outcome;
  int update_spread;       /* the update made: 0 mean only, 1 mean and spread */
  int standard;            /* 1: fitted in the target's standard space u (params
                            * describe a model of u; transform.h) */
  char message[ISSIM_ERROR_MESSAGE_SIZE]; /* when not reached: what happened and what to try */
  size_t n_levels;
  issim_adapt_level *levels;
  uint64_t draws;          /* all the levels' draws */
  double seconds;
  issim_cefit_params params;  /* the fitted (or last) parameters */
} issim_adapt_fit;

/* Fits a proposal for problem pb (its target and event) with options *opt,
 * starting from pb's proposal (NULL: the target), which opt->start names in
 * messages (NULL: "the target"), drawing with `seed`, `rng`, `threads` (0:
 * all cores) on streams derived from `name`, the fitted proposal's name;
 * `stop` (may be NULL) is asked before each level whether to end the fit
 * there (Ctrl-C; in a distributed run every process must get the same
 * answer, so it is a collective decision, not a flag of one process).
 * Where pb gives the target both as a distribution and as a model (problem.h),
 * the fit works on the distribution.  Returns ISSIM_OK with fit->outcome
 * saying whether the threshold was reached; an error for input the method
 * cannot work with (a family that does not fit the start or the target, a
 * fit whose weights would have infinite variance, ...). */
int issim_adapt_run(const issim_problem *pb, const char *name, const issim_adapt_options *opt,
                 uint64_t seed, const gsl_rng_type *rng, int threads,
                 int (*stop)(void *user), void *stop_user, issim_adapt_fit *fit,
                 issim_error *err);
void issim_adapt_fit_clear(issim_adapt_fit *fit);

/* The fitted proposal of a reached fit as a model, which the caller owns: a
 * distribution on the line (issim_model_alloc_line) when pb's target is one
 * (not for a mixture).  ISSIM_EINVAL, naming the proposal `name`, when the
 * fit did not reach the threshold. */
int issim_adapt_fit_realise(const issim_problem *pb, const issim_adapt_fit *fit, const char *name,
                         issim_model **model, issim_error *err);

/* Writes the fitted proposal as scenario text: a [proposal NAME] section
 * (preceded, for a mixture, by one section NAME.1, NAME.2, ... per component)
 * that run and compare read unchanged, with a comment naming the scenario
 * it was fitted on; numbers in %.17g so that they read back exactly.
 * Returns ISSIM_OK or ISSIM_EIO. */
int issim_adapt_save(FILE *out, const char *scenario, const char *name, const issim_adapt_fit *fit,
                  issim_error *err);

#ifdef __cplusplus
}
#endif

#endif
