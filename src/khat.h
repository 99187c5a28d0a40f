/* khat.h: the Pareto k-hat diagnostic of the importance weights, streaming.
 *
 * k-hat is the shape of a generalised Pareto distribution fitted (Zhang and
 * Stephens 2009, with the weakly informative prior of PSIS / the loo package)
 * to the largest M = min(N/5, 3 sqrt N) of the w_i h_i of a run of N draws
 * (docs/estimators.md).  k < 0.5: the variance of the estimate is finite and
 * the standard error can be trusted; 0.5..0.7: doubtful; > 0.7: unreliable.
 *
 * Memory is O(1) in N: the largest values stream into a bounded buffer, an
 * issim_khat_topk, which keeps exactly the K largest values offered to it as a
 * multiset.  Any order of insertion, and any split of the stream over buffers
 * that are then merged in any order, leaves the same multiset, and k-hat is
 * computed from the values sorted, so k-hat does not depend on how the draws
 * were divided between threads or processes.
 *
 * Values are logarithms, log(w_i h_i) = l_i for the hits: weights themselves are
 * never formed, so weights such as exp(-800) are handled exactly.
 *
 * An issim_khat_topk is not thread-safe; give each thread its own and merge them.
 * There is no global state.
 */
#ifndef ISSIM_KHAT_H
#define ISSIM_KHAT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The largest buffer capacity issim_khat_capacity asks for: 512 KiB of
 * doubles, enough for M = 3 sqrt(N) up to N of about 4.8e8 draws.  Beyond that
 * k-hat is fitted to the largest ISSIM_KHAT_MAX_TAIL - 1 values (PSIS's M
 * grows without bound; 65,535 values pin k down to about +-0.01, and the cap
 * keeps a run's peak memory under 16 MiB: the run's buffer, the engine's
 * segment and exchange buffers and the fit's scratch are each a few times
 * this size). */
#define ISSIM_KHAT_MAX_TAIL 65536

/* A buffer of the largest values offered; its fields are internal. */
typedef struct issim_khat_topk issim_khat_topk;

/* A buffer that keeps the `capacity` largest values (capacity >= 1).
 * Returns NULL when memory cannot be allocated or capacity is 0. */
issim_khat_topk *issim_khat_topk_alloc(size_t capacity);

/* Frees t; t may be NULL. */
void issim_khat_topk_free(issim_khat_topk *t);

/* Empties t (its capacity is kept). */
void issim_khat_topk_reset(issim_khat_topk *t);

size_t issim_khat_topk_capacity(const issim_khat_topk *t);

/* The number of values held: min(capacity, values kept so far). */
size_t issim_khat_topk_count(const issim_khat_topk *t);

/* Offers n values, log(w_i h_i) for the hits.  Only finite values are kept:
 * -INFINITY (a zero weight or a miss), +INFINITY and NaN are ignored.  -0.0 is
 * stored as +0.0, so that equal values are identical doubles.  Once the buffer
 * is full a value not above the smallest one held costs one comparison. */
void issim_khat_topk_add(issim_khat_topk *t, size_t n, const double *log_values);

/* dst keeps the largest of the values of both buffers; src is unchanged.
 * dst then holds exactly what one buffer of dst's capacity would hold after
 * the streams of both, provided capacity(src) >= capacity(dst) (equal
 * capacities are the usual case).  dst may be src: the merge is then of the
 * stream with itself. */
void issim_khat_topk_merge(issim_khat_topk *dst, const issim_khat_topk *src);

/* A value that cannot be among t's K largest: the K-th largest held when t
 * holds K values or more, else -INFINITY. */
double issim_khat_topk_floor(const issim_khat_topk *t);

/* Tells t that values at or below `floor` will not be needed (they are known
 * to fall outside the K largest of the whole stream t is part of): t then
 * ignores them, which saves work without changing the merged result. */
void issim_khat_topk_raise_floor(issim_khat_topk *t, double floor);

/* Writes the values held to out (room for issim_khat_topk_count(t) doubles), sorted
 * in descending order, and returns how many were written (0 also when out of
 * memory for the selection). */
size_t issim_khat_topk_values(const issim_khat_topk *t, double *out);

/* The capacity a run of n draws needs: floor(3 sqrt(n)) + 1 values (the M tail
 * values and the threshold below them), capped at ISSIM_KHAT_MAX_TAIL, at
 * least 1.  Exact in integer arithmetic. */
size_t issim_khat_capacity(uint64_t n);

/* k-hat for a run of n draws whose largest log(w h) values are in t.
 * M = min(floor(n/5), floor(3 sqrt(n))), limited to what t holds minus one;
 * the threshold u is the (M+1)-th largest value; the exceedances of the M
 * largest values v_j, x_j = exp(v_j - v_max) - exp(u - v_max), are formed
 * relative to the largest value v_max (k does not depend on the scale of x, so
 * this is exact for k and cannot overflow or underflow as a whole), and the
 * generalised Pareto distribution is fitted to them with issim_khat_gpd_fit.
 * Returns NAN when fewer than 5 exceedances are available or all of them are
 * zero (all tail values equal to the threshold).  n counts all draws, hits
 * or not.  Allocates scratch memory of count(t) + M doubles, and for a
 * while up to 2 count(t) more (a copy of the candidates to select from, when t
 * holds more candidates than values, then the sort's keys, count(t)): 2 MiB
 * at most.  Returns NAN also if that fails. */
double issim_khat_topk_khat(const issim_khat_topk *t, uint64_t n);

/* The same, with the fit's grid of profile likelihoods spread over `threads`
 * OpenMP threads (1: this thread alone): the same digits for any number. */
double issim_khat_topk_khat_on(const issim_khat_topk *t, uint64_t n, int threads);

/* The Zhang and Stephens (2009) empirical-Bayes fit of a generalised Pareto
 * distribution with location 0, as in PSIS and the loo package's gpdfit:
 * x holds n >= 2 exceedances, finite, >= 0 and sorted in ascending order (NAN
 * is returned otherwise, and when x[n-1] = 0).  Returns the shape k in the
 * usual convention (k > 0: heavy tail; the density is
 * (1/sigma) (1 + k x / sigma)^(-1/k - 1)) after loo's weakly informative
 * prior adjustment k = (n k + 10 * 0.5) / (n + 10).  If sigma is not NULL,
 * *sigma receives the scale (NAN on failure).  Scale-free: multiplying x by
 * c > 0 leaves k unchanged and multiplies sigma by c.  When the first quartile
 * x[floor(n/4 + 0.5) - 1] is 0 (more than a quarter of the exceedances are
 * zero), the smallest positive exceedance sets the grid's scale instead. */
double issim_khat_gpd_fit(const double *x, size_t n, double *sigma);

/* Drops every candidate but the values t holds (the K largest, or all when
 * fewer), and points *values at them, unsorted; returns their number.  The
 * pointer is valid until t changes.  A merge from a trimmed buffer offers
 * exactly its K largest, whatever candidates the stream's order and floors
 * left in it, so that the engine's merged tails do not depend on them; and
 * the values can be shipped to another process without sorting. */
size_t issim_khat_topk_trim(issim_khat_topk *t, const double **values);

#ifdef __cplusplus
}
#endif

#endif
