/* sampler.h: draws of a proposal, weighed against the target, a batch at a
 * time: the one sampler of issim.
 *
 * Everything that draws (the engine's runs, the cross-entropy method's
 * levels) draws through a sampler, so that they share one set of fast paths
 * and one treatment of every kind of problem.  A sampler belongs to one
 * thread: it holds that thread's generator, its batch buffers, its copy of
 * the loss (an expression's evaluator holds state) and the target/proposal
 * pair (pair.h), which draws points with their log-densities together and,
 * for a linear loss of a normal or t proposal, the losses too.  Every
 * problem is drawn through the pair: a univariate problem's distributions
 * are models of dimension 1 (the univariate kind of the model, whose
 * batches go straight to the distribution's own kernels), so there is one
 * drawing path, dispatched once a batch, for every kind of problem.
 *
 * A batch of n points (at most issim_sampler_batch) gives
 *   x      the points, n x d row by row (for a linear loss drawn with the
 *          points, work space only: see issim_sampler_draw)
 *   log_p  their log-densities under the target
 *   log_q  under the proposal; the same array as log_p when the proposal is
 *          the target (plain Monte Carlo: every weight 1)
 *   g      their losses (x itself for univariate problems)
 * Nothing is allocated while drawing.
 */
#ifndef ISSIM_SAMPLER_H
#define ISSIM_SAMPLER_H

#include <stddef.h>
#include <gsl/gsl_rng.h>

#include "problem.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct issim_sampler issim_sampler;

/* Points per batch for problem pb: 512, halved for a large dimension until a
 * batch holds at most 65536 coordinates (so always a divisor of 512). */
size_t issim_sampler_batch(const issim_problem *pb);

/* A sampler of pb's proposal with a generator of type `rng`; pb and what it
 * points to must outlive it.  NULL when out of memory. */
issim_sampler *issim_sampler_alloc(const issim_problem *pb, const gsl_rng_type *rng);
void issim_sampler_free(issim_sampler *s);

/* Seeds its generator (issim_rng_block_seed gives each block its seed). */
void issim_sampler_seed(issim_sampler *s, unsigned long seed);

/* Draws n <= issim_sampler_batch points.  With `need_x` the points are kept
 * in x; without it, a linear loss may be drawn with the points (model.h),
 * leaving x as work space: the same points, log-densities and, to rounding,
 * losses.  need_x = ISSIM_SAMPLER_POINTS_ONLY keeps the points and computes
 * no loss (g is left as it was): a second pass over points whose losses are
 * known, which must not call an expensive model twice.
 * ISSIM_OK, or the loss's failure (a function loss, loss.h: ISSIM_ELOSS, the
 * message in issim_sampler_error); the points and log-densities are drawn
 * either way, so that the generator's stream does not depend on it. */
#define ISSIM_SAMPLER_POINTS_ONLY 2
int issim_sampler_draw(issim_sampler *s, size_t n, int need_x);

/* Why the last issim_sampler_draw failed ("" when it did not). */
const char *issim_sampler_error(const issim_sampler *s);

/* issim_sampler_draw(s, n, 1), and each point's component when the
 * proposal is a mixture (model.h's issim_model_has_labels: also a mixture in
 * the standard space): component[i] = k, 0-based, and *labelled
 * 1 (else 0, component untouched).  The same draws as issim_sampler_draw,
 * and its return; ISSIM_ENOMEM when out of memory for a copy of the
 * generator (made once). */
int issim_sampler_draw_components(issim_sampler *s, size_t n, double *component, int *labelled);

/* The last batch's arrays (above).  x is also free for the caller to reuse
 * once the batch is spent. */
double *issim_sampler_x(const issim_sampler *s);
const double *issim_sampler_log_p(const issim_sampler *s);
const double *issim_sampler_log_q(const issim_sampler *s);
const double *issim_sampler_g(const issim_sampler *s);

#ifdef __cplusplus
}
#endif

#endif
