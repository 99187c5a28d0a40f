/* khat.c: bounded top-K buffers of log-values and the Pareto k-hat fit. */
#include "config.h"

#include "khat.h"
#include "simd.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The profile likelihood's loops call glibc's vector log (libmvec; see
 * estimator.c), and log1p where libmvec has it (glibc >= 2.35): the fit at the
 * end of a run of 1.7e7 draws then takes 5 ms, not 12. */
#pragma omp declare simd notinbranch
double log(double);
#ifdef HAVE_VECTOR_LOG1P
#pragma omp declare simd notinbranch
double log1p(double);
#endif

/* The K = capacity largest values seen, kept among at most 2K candidates: a
 * value enters only above `floor`; when the 2K places are full, a selection
 * keeps the K largest and raises `floor` to the smallest of them.  Each value
 * costs one comparison, or amortised O(1) work when it enters (a heap would
 * pay log K), and the candidates always include the K largest of the stream,
 * so the result does not depend on the order of the values. */
struct issim_khat_topk {
  size_t capacity; /* K */
  size_t count;    /* candidates held, at most 2K */
  double floor;    /* a value at or below it is not among the K largest */
  double v[];      /* 2K places */
};

issim_khat_topk *issim_khat_topk_alloc(size_t capacity)
{
  if (capacity == 0 || capacity > (SIZE_MAX - sizeof(issim_khat_topk)) / (2 * sizeof(double)))
    return NULL;
  issim_khat_topk *t = malloc(sizeof(issim_khat_topk) + 2 * capacity * sizeof(double));
  if (t == NULL)
    return NULL;
  t->capacity = capacity;
  issim_khat_topk_reset(t);
  return t;
}

void issim_khat_topk_free(issim_khat_topk *t)
{
  free(t);
}

void issim_khat_topk_reset(issim_khat_topk *t)
{
  t->count = 0;
  t->floor = -INFINITY;
}

size_t issim_khat_topk_capacity(const issim_khat_topk *t)
{
  return t->capacity;
}

size_t issim_khat_topk_count(const issim_khat_topk *t)
{
  return t->count < t->capacity ? t->count : t->capacity;
}

static void swap(double *v, size_t i, size_t j)
{
  double tmp = v[i];
  v[i] = v[j];
  v[j] = tmp;
}

/* Rearranges v[0..n) so that v[0..k) hold its k largest values (0 < k < n),
 * by quickselect with a median-of-three pivot. */
static void select_largest(double *v, size_t n, size_t k)
{
  size_t lo = 0, hi = n - 1;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (v[mid] > v[lo])
      swap(v, mid, lo);
    if (v[hi] > v[lo])
      swap(v, hi, lo);
    if (v[mid] > v[hi])
      swap(v, mid, hi);
    const double pivot = v[hi]; /* the median of the three, now at hi */
    size_t store = lo, ties = 0;
    /* Lomuto's partition with an unconditional swap: with v[lo..store) >
     * pivot >= v[store..i), swapping v[i] and v[store] when v[i] <= pivot
     * keeps both; no branch on the comparison, which half the time goes each
     * way on a stream of log-weights (mispredictions made this 8 ns a draw
     * in a run's first 64 blocks) */
    for (size_t i = lo; i < hi; i++) {
      const double x = v[i];
      v[i] = v[store];
      v[store] = x;
      store += x > pivot;
      ties += x == pivot;
    }
    /* Then the values equal to the pivot, the pivot included, next to the
     * larger ones: v[store..equal) = pivot > v[equal..hi].  Without this,
     * values all equal (plain Monte Carlo's log-weights, all 0) peel off one
     * a pass: quadratic, 5 s for one compaction of 2 x 65536. */
    size_t equal = store;
    if (ties == 0) {
      swap(v, store, hi);
      equal = store + 1;
    } else {
      for (size_t i = store; i <= hi; i++) {
        const double x = v[i];
        v[i] = v[equal];
        v[equal] = x;
        equal += x == pivot;
      }
    }
    if (k < store)
      hi = store - 1;
    else if (k > equal)
      lo = equal;
    else
      return; /* v[0..k) holds what is above the pivot and copies of it */
  }
}

static double least_of(const double *v, size_t n)
{
  double least = v[0];
  for (size_t i = 1; i < n; i++)
    least = v[i] < least ? v[i] : least;
  return least;
}

/* Keeps the K largest candidates, and raises the floor to the least of them. */
static void compact(issim_khat_topk *t)
{
  size_t k = t->capacity;
  if (t->count <= k)
    return;
  select_largest(t->v, t->count, k);
  t->count = k;
  double least = least_of(t->v, k);
  t->floor = least > t->floor ? least : t->floor;
}

/* Does any of v[0..n) exceed floor?  Branch-free, so that it vectorises. */
/* Values are screened a group at a time: once the floor has risen, a whole
 * group is usually below it and costs a fraction of a comparison a value. */
#define SCREEN 16

static inline int any_above(size_t n, const double *restrict v, double floor)
{
  if (n == SCREEN) { /* four vector comparisons, no reduction loop */
    typedef long long mask4 __attribute__((vector_size(32)));
    const issim_vec4 f = {floor, floor, floor, floor};
    const issim_vec4 *w = (const issim_vec4 *)v;
    const mask4 m = (w[0] > f) | (w[1] > f) | (w[2] > f) | (w[3] > f);
    return (m[0] | m[1] | m[2] | m[3]) != 0;
  }
  int any = 0;
  for (size_t i = 0; i < n; i++)
    any |= v[i] > floor;
  return any;
}

VECTOR_CLONES
void issim_khat_topk_add(issim_khat_topk *t, size_t n, const double *log_values)
{
  const size_t room = 2 * t->capacity;
  double floor = t->floor, *place = t->v; /* compact() moves t->v's values too */
  size_t count = t->count; /* in a register: t->v's stores could alias t->count */
  for (size_t start = 0; start < n; start += SCREEN) {
    const size_t m = n - start < SCREEN ? n - start : SCREEN;
    const double *v = log_values + start;
    if (!any_above(m, v, floor))
      continue;
    /* Each value is written to the next free place and kept there only if
     * it counts (NaN and -INFINITY compare false; + 0.0 turns -0.0 into
     * +0.0): no branch on the comparison, which goes either way at random
     * while the floor is low, at the start of a run. */
    for (size_t i = 0; i < m; i++) {
      const double x = v[i];
      place[count] = x + 0.0;
      count += (x > floor) & (x != INFINITY);
      if (count == room) {
        t->count = count;
        compact(t);
        floor = t->floor;
        count = t->count;
      }
    }
  }
  t->count = count;
}

double issim_khat_topk_floor(const issim_khat_topk *t)
{
  if (t->count < t->capacity)
    return -INFINITY;
  if (t->count == t->capacity)
    return t->floor > -INFINITY ? t->floor : least_of(t->v, t->count);
  /* more candidates than K: the K-th largest needs a selection, in a copy */
  double *scratch = malloc(t->count * sizeof(double));
  if (scratch == NULL)
    return t->floor;
  memcpy(scratch, t->v, t->count * sizeof(double));
  select_largest(scratch, t->count, t->capacity);
  double kth = least_of(scratch, t->capacity);
  free(scratch);
  return kth;
}

void issim_khat_topk_raise_floor(issim_khat_topk *t, double floor)
{
  if (floor > t->floor)
    t->floor = floor;
}

/* qsort order: descending.  Only finite values are ever stored. */
static int cmp_desc(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return (x < y) - (x > y);
}

static int cmp_asc(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

void issim_khat_topk_merge(issim_khat_topk *dst, const issim_khat_topk *src)
{
  if (dst != src) {
    issim_khat_topk_add(dst, src->count, src->v);
    return;
  }
  /* The stream merged with itself: every value of its K largest twice, which
   * fits in the 2K places. */
  compact(dst);
  size_t c = dst->count;
  memcpy(dst->v + c, dst->v, c * sizeof(double));
  dst->count = 2 * c;
  if (dst->count == 2 * dst->capacity)
    compact(dst);
}

/* Sort keys of doubles: unsigned integers in the doubles' descending order
 * (the bits of a positive double grow with it, a negative one's shrink). */
static uint64_t descending_key(double x)
{
  uint64_t u;
  memcpy(&u, &x, sizeof u);
  const uint64_t sign = UINT64_C(1) << 63;
  return ~(u & sign ? ~u : u | sign);
}

static double key_value(uint64_t key)
{
  const uint64_t sign = UINT64_C(1) << 63, ascending = ~key;
  uint64_t u = ascending & sign ? ascending & ~sign : ~ascending;
  double x;
  memcpy(&x, &u, sizeof x);
  return x;
}

/* Sorts v[0..n) in descending order, ties and all (no -0.0 and no NaN: the
 * buffers hold neither), by a least-significant-digit radix sort of the
 * keys, a byte a pass, skipping the bytes all keys share; the passes go back
 * and forth between n words of scratch and v's own storage (keys written
 * there by memcpy).  qsort's comparisons go either way at random, and their
 * mispredictions made the sort of a run's 12,289 tail values 1.8 ms, a
 * third of k-hat's time.  Falls back on qsort when the scratch cannot be had. */
static void sort_descending(double *v, size_t n)
{
  uint64_t *keys = malloc(n * sizeof *keys);
  if (keys == NULL) {
    qsort(v, n, sizeof(double), cmp_desc);
    return;
  }
  size_t count[8][256] = {{0}};
  for (size_t i = 0; i < n; i++) {
    keys[i] = descending_key(v[i]);
    for (int b = 0; b < 8; b++)
      count[b][(keys[i] >> (8 * b)) & 0xff]++;
  }
  const uint64_t first = n > 0 ? keys[0] : 0;
  int in_keys = 1; /* where the keys are: keys[], or v's storage */
  for (int b = 0; b < 8; b++) {
    size_t *place = count[b];
    const int shift = 8 * b;
    if (place[(first >> shift) & 0xff] == n)
      continue; /* every key has this byte */
    size_t at = 0;
    for (int d = 0; d < 256; d++) {
      size_t c = place[d];
      place[d] = at;
      at += c;
    }
    if (in_keys) {
      for (size_t i = 0; i < n; i++)
        memcpy(v + place[(keys[i] >> shift) & 0xff]++, keys + i, sizeof *keys);
    } else {
      for (size_t i = 0; i < n; i++) {
        uint64_t key;
        memcpy(&key, v + i, sizeof key);
        keys[place[(key >> shift) & 0xff]++] = key;
      }
    }
    in_keys = !in_keys;
  }
  for (size_t i = 0; i < n; i++) {
    uint64_t key = keys[i];
    if (!in_keys)
      memcpy(&key, v + i, sizeof key);
    v[i] = key_value(key);
  }
  free(keys);
}

size_t issim_khat_topk_values(const issim_khat_topk *t, double *out)
{
  size_t k = issim_khat_topk_count(t);
  if (t->count > k) {
    /* more candidates than values: select in a copy, t being const */
    double *scratch = malloc(t->count * sizeof(double));
    if (scratch == NULL)
      return 0;
    memcpy(scratch, t->v, t->count * sizeof(double));
    select_largest(scratch, t->count, k);
    memcpy(out, scratch, k * sizeof(double));
    free(scratch);
  } else {
    memcpy(out, t->v, k * sizeof(double));
  }
  sort_descending(out, k);
  return k;
}

/* floor(sqrt(v)), exactly. */
static uint64_t isqrt_u64(uint64_t v)
{
  uint64_t r = (uint64_t)sqrt((double)v);
  if (r > UINT32_MAX)
    r = UINT32_MAX; /* floor(sqrt(2^64 - 1)) */
  while (r * r > v)
    r--;
  while (r < UINT32_MAX && (r + 1) * (r + 1) <= v)
    r++;
  return r;
}

/* floor(3 sqrt(n)) = floor(sqrt(9 n)); beyond 9 n < 2^64 (where the value
 * exceeds 2^32, far above ISSIM_KHAT_MAX_TAIL) a lower bound of it. */
static uint64_t floor_3_sqrt(uint64_t n)
{
  if (n <= UINT64_MAX / 9)
    return isqrt_u64(9 * n);
  return 3 * isqrt_u64(n);
}

size_t issim_khat_capacity(uint64_t n)
{
  uint64_t k = floor_3_sqrt(n);
  if (k >= ISSIM_KHAT_MAX_TAIL - 1)
    return ISSIM_KHAT_MAX_TAIL;
  return (size_t)k + 1;
}

static double gpd_fit(const double *x, size_t n, double *sigma, int threads);

double issim_khat_topk_khat(const issim_khat_topk *t, uint64_t n)
{
  return issim_khat_topk_khat_on(t, n, 1);
}

double issim_khat_topk_khat_on(const issim_khat_topk *t, uint64_t n, int threads)
{
  /* the values t holds: its candidates may be more, up to 2K, but only the
   * K largest are values, and beyond them issim_khat_topk_values writes nothing */
  size_t c = issim_khat_topk_count(t);
  if (c < 6)
    return NAN;
  uint64_t m = n / 5, m2 = floor_3_sqrt(n);
  if (m2 < m)
    m = m2;
  if (m > c - 1)
    m = c - 1;
  if (m < 5)
    return NAN;
  size_t tail = (size_t)m;

  double *s = malloc((c + tail) * sizeof(double));
  if (s == NULL)
    return NAN;
  double *x = s + c;
  if (issim_khat_topk_values(t, s) != c) { /* out of memory for its selection */
    free(s);
    return NAN;
  }
  double vmax = s[0], u = s[tail];
  /* x_j = exp(v_j - vmax) - exp(u - vmax) = exp(v_j - vmax) (1 - exp(u - v_j)):
   * a product of two factors in [0, 1], accurate also just above u.  Ascending
   * as j runs down from the largest value.  Scalar libm (a fraction of the
   * fit's time), so that the fit of these values is reproducible from them. */
  for (size_t j = 0; j < tail; j++)
    x[tail - 1 - j] = exp(s[j] - vmax) * -expm1(u - s[j]);
  for (size_t j = 1; j < tail; j++) {
    if (x[j] < x[j - 1]) { /* not expected: exp and expm1 are monotone */
      qsort(x, tail, sizeof(double), cmp_asc);
      break;
    }
  }
  double k = x[tail - 1] > 0 ? gpd_fit(x, tail, NULL, threads) : NAN;
  free(s);
  return k;
}

/* The first i with x[i] / xmax > 1/2 (x ascending): below it profile_k
 * takes log1p, from it log. */
static size_t upper_half(const double *x, size_t n)
{
  double xmax = x[n - 1];
  size_t lo = 0, hi = n - 1; /* x[n-1] / xmax = 1 */
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (x[mid] / xmax > 0.5)
      hi = mid;
    else
      lo = mid + 1;
  }
  return lo;
}

/* mean_i log(1 - theta x_i) for theta = 1/xmax + c (c <= 0), x ascending in
 * [0, xmax], with `half` = upper_half(x, n): the shape k (usual sign) that
 * maximises the likelihood for this theta = -k / sigma.  With r = x / xmax,
 * 1 - theta x = (1 - r) + (-c) x, a sum of two terms >= 0, whose log is taken
 * as log1p((-c) x - r) for r <= 1/2 and as log((1 - r) + (-c) x) above, where
 * 1 - r is exact (r = x times 1/xmax, within an ulp of x / xmax, is >= 1/2 -
 * ulp there): two branch-free loops, one per form. */
VECTOR_CLONES
static double profile_k(const double *restrict x, size_t n, size_t half, double c)
{
  const double inv = 1 / x[n - 1]; /* a product, not a division, a value */
  double low = 0, high = 0;
#pragma omp simd reduction(+ : low)
  for (size_t i = 0; i < half; i++)
    low += log1p((-c) * x[i] - x[i] * inv);
#pragma omp simd reduction(+ : high)
  for (size_t i = half; i < n; i++)
    high += log((1 - x[i] * inv) + (-c) * x[i]);
  return (low + high) / (double)n;
}

/* c_j of the grid, j = 1..m */
static double grid_point(size_t j, size_t m, double scale)
{
  return (1 - sqrt((double)m / ((double)j - 0.5))) / scale;
}

/* The grid's points are taken GRID_GROUP at a time: their profile k's, each
 * a pass over the n exceedances, spread over the threads (each value the
 * same whatever the thread that computes it), then their weights in order. */
#define GRID_GROUP 64

static void profile_group(const double *x, size_t n, size_t half, size_t first, size_t m,
                          double scale, int threads, double *ks)
{
  const size_t count = m - first + 1 < GRID_GROUP ? m - first + 1 : GRID_GROUP;
  (void)threads;
#pragma omp parallel for num_threads(threads) schedule(static) if (threads > 1)
  for (size_t g = 0; g < count; g++)
    ks[g] = profile_k(x, n, half, grid_point(first + g, m, scale));
}

static double gpd_fit(const double *x, size_t n, double *sigma, int threads)
{
  if (sigma != NULL)
    *sigma = NAN;
  if (n < 2 || !(x[0] >= 0) || !(x[n - 1] > 0) || !(x[n - 1] < INFINITY))
    return NAN;
  for (size_t i = 1; i < n; i++)
    if (!(x[i] >= x[i - 1]))
      return NAN;

  const double nd = (double)n, prior = 3, xmax = x[n - 1];
  double mean_x = 0; /* formed relative to xmax: no overflow */
  for (size_t i = 0; i < n; i++)
    mean_x += x[i] / xmax;
  mean_x = mean_x / nd * xmax;

  /* The grid's scale: the first quartile x[floor(n/4 + 0.5)] (1-based), or the
   * smallest positive exceedance when that is 0. */
  double xstar = x[(n + 2) / 4 - 1];
  if (!(xstar > 0)) {
    size_t i = (n + 2) / 4;
    while (!(x[i] > 0))
      i++;
    xstar = x[i];
  }

  /* Zhang & Stephens' grid theta_j = 1/xmax + c_j, c_j = (1 - sqrt(m/(j - 1/2)))
   * / (prior xstar) < 0, j = 1..m, with m = 30 + floor(sqrt(n)) points as in loo.
   * Each point's profile log-likelihood, with k_j = mean log(1 - theta_j x_i),
   * is L_j = n (log(-theta_j / k_j) - k_j - 1).  The posterior mean of theta is
   * sum_j theta_j exp(L_j) / sum_j exp(L_j), accumulated here relative to the
   * running maximum of L (weights that underflow contribute nothing). */
  const size_t m = 30 + (size_t)isqrt_u64((uint64_t)n), half = upper_half(x, n);
  double lmax = -INFINITY, wsum = 0, wc = 0;
  double ks[GRID_GROUP]; /* the profile k of a group of grid points */
  for (size_t j = 1; j <= m; j++) {
    double c = grid_point(j, m, prior * xstar);
    double theta_xmax = 1 + c * xmax; /* theta in units of 1/xmax */
    if ((j - 1) % GRID_GROUP == 0)
      profile_group(x, n, half, j, m, prior * xstar, threads, ks);
    double k = ks[(j - 1) % GRID_GROUP];
    /* L_j less the constant n log(xmax), which leaves the weights unchanged
     * and makes them exactly scale-free; -theta/k -> 1/mean(x) as theta -> 0
     * (the exponential distribution). */
    double ratio = (theta_xmax == 0 || k == 0) ? xmax / mean_x : -theta_xmax / k;
    double l = nd * (log(ratio) - k - 1);
    if (!(l > -INFINITY && l < INFINITY))
      continue;
    if (l > lmax) {
      double scale = exp(lmax - l); /* 0 on the first point */
      wsum *= scale;
      wc *= scale;
      lmax = l;
    }
    double w = exp(l - lmax);
    wsum += w;
    wc += w * c;
  }
  if (!(wsum > 0))
    return NAN;

  double c = wc / wsum, theta = 1 / xmax + c;
  double k = profile_k(x, n, half, c);
  if (sigma != NULL)
    *sigma = (theta == 0 || k == 0) ? mean_x : -k / theta;
  /* loo's weakly informative prior: a Gaussian centred on 0.5, worth 10 points */
  return (nd * k + 10 * 0.5) / (nd + 10);
}

double issim_khat_gpd_fit(const double *x, size_t n, double *sigma)
{
  return gpd_fit(x, n, sigma, 1);
}

size_t issim_khat_topk_trim(issim_khat_topk *t, const double **values)
{
  compact(t);
  *values = t->v;
  return t->count;
}
