/* regions.h: the failure regions of an event, and which of them a proposal
 * can reach.
 *
 * An event may be made of several regions (a series system's branches, the
 * two quadrants of x1 x2 > 9, the n half-spaces of a max): a proposal that
 * covers one region and not another gives an estimate short by the missed
 * regions' share, and nothing in its draws shows it, since the draws never
 * go there.  issim therefore finds the regions before sampling and checks
 * each proposal against them analytically.
 *
 * The regions.  For a target with a standard normal (or t) space, X = mu +
 * L U (multivariate normal or t, independent normals), or X = T(U) with T the
 * iso-probabilistic transform of any other target (transform.h; there the
 * half-spaces below are of U itself, a = alpha and b = beta, and a linear
 * limit state is not one region, nor need it be), each region is
 * represented by a design point (design.h: every point the multi-start
 * search finds): u_i in the standard space, its reliability index beta_i =
 * |u_i|, the unit normal alpha_i = u_i / beta_i, and its first-order
 * probability P_i = Q(beta_i) (the t tail for a t target): the probability of
 * the half-space H_i = {alpha_i . U > beta_i} beyond the tangent plane,
 * exact for a linear limit state.  Each region's share is P_i / sum_j P_j.
 * The search finds what its starts lead to: a region no start reaches is not
 * found (the stats say how many starts found how many points).
 *
 * The check.  In x, H_i is {a_i . x > b_i} with a_i = L^-T alpha_i and b_i =
 * beta_i + a_i . mu.  Under a proposal q that is a normal or t (or the
 * target itself, or a mixture of such), a_i . X is normal or t, so q's
 * probability of H_i, Q_i, is a tail probability, computed in log space.  N
 * draws of q then visit H_i about N Q_i times.  Few visits alone are no
 * fault: plain Monte Carlo visits each of a hundred rare regions less than
 * once, yet its estimate is unbiased and its error bar honest, because every
 * region is under-visited alike.  The fault is a region q neglects relative
 * to the others: its weights there would be r_i = share_i Q / Q_i times those
 * of a typical draw in the event (Q = sum_j Q_j, q's mass on all the
 * regions; r_i = 1 for the target itself).  A region holding at least
 * ISSIM_REGION_MIN_SHARE of the first-order probability with r_i >
 * ISSIM_REGION_NEGLECT that q visits less than once in N draws (N Q_i < 1)
 * has not been seen: the estimate leaves its share out, and the verdict is
 * unreliable (verdict.h); fewer than 10 visits, doubtful.
 */
#ifndef ISSIM_REGIONS_H
#define ISSIM_REGIONS_H

#include <stddef.h>

#include "design.h"
#include "error.h"
#include "model.h"
#include "problem.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Regions below this share of the first-order probability are not checked:
 * missing one moves the estimate by less than 1%. */
#define ISSIM_REGION_MIN_SHARE 0.01

/* A region whose weights would be this many times a typical draw's is
 * neglected by the proposal (r_i above). */
#define ISSIM_REGION_NEGLECT 10.0

/* At most this many regions are kept, the most probable first. */
#define ISSIM_REGIONS_MAX 1000

typedef struct {
  size_t n, d;            /* regions found (0: none, or no check possible), dimension */
  double *x;              /* n x d: design points in the target's variables */
  double *a, *b;          /* n x d and n: the half-spaces a_i . x > b_i */
  double *beta;           /* n: reliability indices */
  double *log_p;          /* n: first-order log probabilities */
  double *share;          /* n: shares of the first-order total */
  double df;              /* the standard space's: INFINITY for a normal one */
  issim_design_stats stats;
  char why_none[256];     /* when n = 0: why there is no check */
  /* non-NULL: a target without an elliptical form, whose regions are in its
   * standard space u (transform.h): a = alpha, b = beta, the half-spaces of u */
  struct issim_transform *tr;
} issim_regions;

/* The regions of problem pb's event under its target: n = 0 with why_none
 * when there is nothing to check (a univariate problem, a linear loss (one
 * region), a target without a standard space, a mean inside the event, a
 * search that found no point).  ISSIM_ENOMEM only; free with
 * issim_regions_free either way. */
int issim_regions_find(const issim_problem *pb, issim_regions *r, issim_error *err);
void issim_regions_free(issim_regions *r);

/* log Q_i = log P_q(H_i) for region i under proposal model q (NULL: the
 * target itself); NAN when q is not a normal, t, or mixture of them.  For
 * regions in the standard space, q must be a proposal in that space (a
 * transformed model of the target) whose model of u is one of those; NAN
 * otherwise. */
double issim_regions_log_prob(const issim_regions *r, size_t i, const issim_model *q);

/* ---- a proposal against the regions ---- */

/* The most regions a check keeps (those with a share of at least
 * ISSIM_REGION_MIN_SHARE: at most 100). */
#define ISSIM_REGION_CHECK_MAX 100

typedef struct {
  size_t n_regions;      /* regions found; 0: no check (why says why) */
  size_t n_checked;      /* of which hold a share of at least ISSIM_REGION_MIN_SHARE */
  size_t index[ISSIM_REGION_CHECK_MAX];  /* their numbers, 0 for the most probable */
  double share[ISSIM_REGION_CHECK_MAX];
  double beta[ISSIM_REGION_CHECK_MAX];
  double log_q[ISSIM_REGION_CHECK_MAX];  /* log P_q(H_i); NAN: not computable */
  double log_q_total;    /* log of sum_i P_q(H_i) over all the regions; NAN: unknown */
  char where[ISSIM_REGION_CHECK_MAX][80];/* "x* = (3, 3)", at most 4 coordinates */
  char why[256];
} issim_region_check;

/* Proposal q (NULL: the target) against the regions: fills *c. */
void issim_regions_check(const issim_regions *r, const issim_model *q, issim_region_check *c);

/* Of the checked regions, those q neglects (r_i > ISSIM_REGION_NEGLECT) and
 * visits fewer than `visits` times in n draws (N Q_i < visits): how many,
 * their total share, and the one of them with the largest share (*worst, an
 * index into c's arrays; unchanged when none). */
size_t issim_region_check_short(const issim_region_check *c, double n, double visits,
                                double *share, size_t *worst);

#ifdef __cplusplus
}
#endif

#endif
