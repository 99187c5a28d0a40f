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
#include <stdint.h>

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

/* A target without an elliptical form is searched for its regions (in its
 * standard space) up to this dimension: each start of the search transforms
 * 2 d points of d coordinates an iteration, and every run of every proposal
 * finds the regions first.  Beyond it there is no region check. */
#define ISSIM_REGIONS_STANDARD_MAX_D 100

typedef struct {
  size_t n, d;            /* regions found (0: none, or no check possible), dimension */
  double *x;              /* n x d: design points in the target's variables */
  double *a, *b;          /* n x d and n: the half-spaces a_i . x > b_i */
  double *beta;           /* n: reliability indices */
  double *log_p;          /* n: first-order log probabilities */
  double *share;          /* n: shares of the first-order total */
  double df;              /* the standard space's: INFINITY for a normal one */
  /* a_i's nonzero entries, for the draws' attribution: a_ij for j =
   * nz_col[k], k in [nz_start[i], nz_start[i + 1]) (one entry per region for
   * a max of independent normals, d for a correlated normal) */
  size_t *nz_start, *nz_col;
  double *nz_a;
  issim_design_stats stats;
  uint64_t loss_calls;    /* the search's loss evaluations (calls.h), whatever its outcome */
  char why_none[256];     /* when n = 0: why there is no check */
  /* non-NULL: a target without an elliptical form, whose regions are in its
   * standard space u (transform.h): a = alpha, b = beta, the half-spaces of u */
  struct issim_transform *tr;
} issim_regions;

/* The regions of problem pb's event under its target: n = 0 with why_none
 * when there is nothing to check (a univariate problem, a linear loss (one
 * region), a target without a standard space, a mean inside the event, a
 * search that found no point, a loss (loss.h: a function loss) that failed
 * at a point the search probed: why_none then quotes its message, and the
 * run goes on without the check, since its draws may never go there).
 * ISSIM_ENOMEM only; free with issim_regions_free either way. */
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
  /* from the draws (issim_regions_check_draws; drawn = 0 until then) */
  int drawn;
  uint64_t hits_total;   /* hits with a weight, all attributed to some region */
  uint64_t hits[ISSIM_REGION_CHECK_MAX];        /* attributed to each checked region */
  double estimate_share[ISSIM_REGION_CHECK_MAX]; /* its part of sum w h; NAN: no hits */
  uint64_t outside_hits; /* hits in none of the half-spaces H_i */
  double outside_share;  /* their part of sum w h */
} issim_region_check;

/* Proposal q (NULL: the target) against the regions: fills *c. */
void issim_regions_check(const issim_regions *r, const issim_model *q, issim_region_check *c);

/* Of the checked regions, those q neglects (r_i > ISSIM_REGION_NEGLECT) and
 * visits fewer than `visits` times in n draws (N Q_i < visits): how many,
 * their total share, and the one of them with the largest share (*worst, an
 * index into c's arrays; unchanged when none). */
size_t issim_region_check_short(const issim_region_check *c, double n, double visits,
                                double *share, size_t *worst);

/* ---- the draws against the regions ----
 *
 * The analytic check needs q's probability of each half-space, which only a
 * normal, a t or a mixture of them gives; for any other proposal (an
 * exponential-tail or independent non-normal components, a fitted family, a
 * copula) the draws tell instead.  During the run each hit (a draw in the
 * event with a weight) is attributed to its nearest design point in the
 * standard space, argmin_i |u - u_i|: with u_i = beta_i alpha_i that is
 * argmax_i beta_i (2 m_i + beta_i), m_i = alpha_i . u - beta_i = a_i . x - b_i
 * (the signed distance beyond H_i's plane), O(nonzeros of the a_i) a hit;
 * for regions in a transform's standard space (tr), m_i = alpha_i . u -
 * beta_i at u = T^-1(x), which costs each hit an inversion of T.
 * The standard space is where distance means likelihood (the target's
 * density falls with |u| alone), and the nearest design point is the mode
 * of the target's mass nearby: the cells partition the event whatever its
 * shape, so a hit in no half-space (a region that curves round the origin,
 * or one the search did not find) still goes to the region it is nearest,
 * and is also counted apart (outside_hits, outside_share).  Each region keeps
 * its hits and sum of weights (log-space, as estimator.h), per block, merged
 * in the engine's order: the digits do not depend on threads or processes.
 *
 * The rule (issim_region_check_unseen).  A region holding s_k of the
 * first-order probability gets about E_k = H s_k of the H hits of a proposal
 * that visits the regions as the target does (r_k = 1 above), and at least
 * E_k / ISSIM_REGION_NEGLECT of one that does not neglect it.  The region is
 * neglected when its hits h_k are too few for that: P(Poisson(E_k /
 * ISSIM_REGION_NEGLECT) <= h_k) < ISSIM_REGION_DRAWS_ALPHA.  A neglected
 * region with fewer than ISSIM_REGION_DRAWS_FEW hits whose share of the
 * estimate is below s_k / ISSIM_REGION_NEGLECT (none, with no hit) has not
 * been seen (the verdict: unreliable); otherwise its part of the estimate
 * rests on a handful of draws (doubtful).  Hits that are few but carry the
 * region's share are not a miss, nor are many hits that find the region
 * lighter than first order says (a curved region): only a region that is
 * both unvisited and absent from the estimate is.
 */

/* P(Poisson(E_k / 10) <= h_k) below this: the region is neglected */
#define ISSIM_REGION_DRAWS_ALPHA 1e-3
/* fewer hits than this in a neglected region: its part rests on a handful */
#define ISSIM_REGION_DRAWS_FEW 10

typedef struct {
  double m, s;      /* sum of weights = exp(m) s (m = -INFINITY: none) */
  uint64_t hits;
} issim_region_sum;

typedef struct {
  const issim_regions *regions;
  size_t n;               /* regions->n + 1: the last sums the hits in no half-space */
  issim_region_sum *sum;  /* n */
  double *u;              /* regions in a standard space: a hit's u = T^-1(x) and T's
                           * scratch (2 d); NULL otherwise */
} issim_region_tally;

/* A tally for r's regions (r must outlive it), reset; NULL when out of memory. */
issim_region_tally *issim_region_tally_alloc(const issim_regions *r);
void issim_region_tally_free(issim_region_tally *t);
void issim_region_tally_reset(issim_region_tally *t);

/* Attributes the hits among n draws (points x, n x d, their log-densities and
 * event indicators as issim_accum_add takes them). */
void issim_region_tally_add(issim_region_tally *t, size_t n, const double *x,
                            const double *log_p, const double *log_q, const double *hit);

/* dst += src (tallies of the same regions). */
void issim_region_tally_merge(issim_region_tally *dst, const issim_region_tally *src);

/* Fills c's draw fields from the run's tally (c checked against t's regions). */
void issim_regions_check_draws(const issim_region_tally *t, issim_region_check *c);

/* What the draws say of checked region k (the rule above): seen (also before
 * issim_regions_check_draws), neglected with its part resting on a few hits,
 * or not seen. */
enum { ISSIM_REGION_SEEN, ISSIM_REGION_FEW_HITS, ISSIM_REGION_NOT_SEEN };
int issim_region_check_seen(const issim_region_check *c, size_t k);

/* Of the checked regions, those the draws show neglected (the rule above):
 * with missed_only, only those not seen (the unreliable ones); else all of
 * them.  How many, their total first-order share, and the one with the largest
 * share (*worst; unchanged when none).  0 before issim_regions_check_draws. */
size_t issim_region_check_unseen(const issim_region_check *c, int missed_only, double *share,
                                 size_t *worst);

/* E_k = H s_k for checked region k: the hits of a proposal visiting the
 * regions as the target does. */
double issim_region_check_expected_hits(const issim_region_check *c, size_t k);

/* ---- the draws against each level's regions ----
 *
 * An exceedance curve (curve.h) judges each threshold t_j on its own failure
 * regions (the search at t_j): the draws' rule above then needs the hits of
 * {g > t_j} (or {g < t_j}) attributed to t_j's regions, not the main
 * threshold's hits to the main threshold's.  An issim_region_levels is one
 * issim_region_tally per threshold (NULL where the threshold has no regions
 * to check), each fed the draws that hit its own threshold: the same
 * attribution, sums and rule, O(thresholds x regions) memory.  It merges,
 * packs and unpacks in the engine's order as the tallies do. */
typedef struct {
  size_t n;                     /* thresholds */
  double *thresholds;           /* n */
  int above;                    /* 1: the events g > t_j; 0: g < t_j */
  issim_region_tally **tally;   /* n; NULL: no regions at that threshold */
  double *hit;                  /* a stretch of hit indicators */
} issim_region_levels;

/* n thresholds (copied), their direction, and regions[j] (NULL: none; each
 * must outlive the tally); reset.  NULL when out of memory or n is 0. */
issim_region_levels *issim_region_levels_alloc(size_t n, const double *thresholds, int above,
                                               const issim_regions *const *regions);
/* The same thresholds and regions as l. */
issim_region_levels *issim_region_levels_alloc_like(const issim_region_levels *l);
void issim_region_levels_free(issim_region_levels *l);
void issim_region_levels_reset(issim_region_levels *l);

/* Attributes each threshold's hits among n draws (points x, n x d, their
 * log-densities and losses g) to its regions. */
void issim_region_levels_add(issim_region_levels *l, size_t n, const double *x,
                             const double *log_p, const double *log_q, const double *g);

/* dst += src (the same thresholds and regions). */
void issim_region_levels_merge(issim_region_levels *dst, const issim_region_levels *src);

/* l as bytes for another process (put as issim_exceedance_pack's), and back
 * into a tally like l (its sums replaced); unpack returns the bytes after it. */
void issim_region_levels_pack(const issim_region_levels *l,
                              void (*put)(void *ctx, const void *p, size_t n), void *ctx);
const unsigned char *issim_region_levels_unpack(issim_region_levels *l, const unsigned char *p);

#ifdef __cplusplus
}
#endif

#endif
