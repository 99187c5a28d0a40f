/* pair.h: a proposal and its target, drawn and weighted together.
 *
 * The sampler's hot path: n points of the proposal q into x[n*d], with their
 * log-densities under the target p and under q, the values that
 * issim_model_sample followed by issim_model_log_pdf of p and of q give (to
 * rounding).  A normal or t q with a dense Cholesky factor L draws x = mu_q +
 * f L z (f = 1 for the normal, the t's scale factor otherwise), and log q
 * comes from |f z|^2, without a triangular solve; when p is a normal or t
 * with the same L (a mean shift, such as the design-point proposal, or plain
 * Monte Carlo), log p comes from |f z + delta|^2 with delta = L^-1 (mu_q -
 * mu_p) computed once: O(d) a point beyond L z.  A q in p's own standard
 * space (a transformed model whose transform is p's: transform.h) draws u
 * and x = T(u), and log q = log p(x) + log q_u(u) - log phi(u) comes from the
 * u drawn, without inverting T.  Otherwise it is those three
 * calls (two when q is p, plain Monte Carlo).  Credit laws of one book
 * (credit.h) are drawn and weighed by issim_credit_law_pair_draw, which
 * computes each point's conditional default probabilities once for the
 * draw and both log-densities.  The pair refers to p and q, which must
 * outlive it.
 *
 * The names keep the issim_model_ prefix of the header they came from
 * (model.h, which still includes this one): the engine calls them.
 */
#ifndef ISSIM_PAIR_H
#define ISSIM_PAIR_H

#include <stddef.h>

#include <gsl/gsl_rng.h>

#include "model.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct issim_pair issim_pair;

/* NULL when out of memory or when the dimensions differ. */
issim_pair *issim_pair_alloc(const issim_model *p, const issim_model *q);
void issim_pair_free(issim_pair *pair);
/* Whether the pair takes the shared-factor path above. */
int issim_pair_shares_factor(const issim_pair *pair);
size_t issim_pair_scratch(const issim_pair *pair, size_t n);
/* n points of q into x, their log-densities under p and q into log_p and
 * log_q.  For plain Monte Carlo (p and q the same model) without a shared
 * factor, log_q may be log_p itself: the density is then computed once. */
void issim_pair_draw(const issim_pair *pair, gsl_rng *r, size_t n, double *x,
                     double *log_p, double *log_q, double *scratch);

/* A linear loss g(x) = w.x drawn with the points.  For a normal or t q with
 * a dense L, x = mu_q + f L z makes g = w.mu_q + f (L^T w).z: one dot
 * product a point on the z already drawn, and when p shares L (above) x
 * itself is never formed.  issim_pair_set_linear_loss prepares v = L^T
 * w and w.mu_q from w (d values) once, and returns 1; or returns 0 when q is
 * not such a model, or out of memory (the pair is then unchanged).  After it
 * returned 1, issim_pair_draw_linear draws as issim_pair_draw
 * does (the same stream, the same log_p and log_q to the last bit) and puts
 * the n losses in g: those of the points to rounding, a few d eps of
 * sum_j |w_j| (|mu_j| + f sum_k |L_jk z_k|).  x (n d doubles) is work space,
 * its contents unspecified afterwards. */
int issim_pair_set_linear_loss(issim_pair *pair, const double *w);
void issim_pair_draw_linear(const issim_pair *pair, gsl_rng *r, size_t n, double *x,
                            double *g, double *log_p, double *log_q, double *scratch);

#ifdef __cplusplus
}
#endif

#endif
