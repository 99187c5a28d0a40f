/* khat.c: bounded top-K buffers of log-values and the Pareto k-hat fit. */
#include "khat.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A binary min-heap of the `count` largest values seen, v[0] the smallest. */
struct issim_topk {
  size_t capacity;
  size_t count;
  double v[]; /* capacity values */
};

issim_topk *issim_topk_alloc(size_t capacity)
{
  if (capacity == 0 || capacity > (SIZE_MAX - sizeof(issim_topk)) / sizeof(double))
    return NULL;
  issim_topk *t = malloc(sizeof(issim_topk) + capacity * sizeof(double));
  if (t == NULL)
    return NULL;
  t->capacity = capacity;
  t->count = 0;
  return t;
}

void issim_topk_free(issim_topk *t)
{
  free(t);
}

void issim_topk_reset(issim_topk *t)
{
  t->count = 0;
}

size_t issim_topk_capacity(const issim_topk *t)
{
  return t->capacity;
}

size_t issim_topk_count(const issim_topk *t)
{
  return t->count;
}

/* Appends x to the heap (count < capacity) and restores the heap order. */
static void heap_push(issim_topk *t, double x)
{
  double *v = t->v;
  size_t i = t->count++;
  while (i > 0) {
    size_t parent = (i - 1) / 2;
    if (!(x < v[parent]))
      break;
    v[i] = v[parent];
    i = parent;
  }
  v[i] = x;
}

/* Replaces the smallest value (the root) by x >= it and restores the heap order. */
static void heap_replace_root(issim_topk *t, double x)
{
  double *v = t->v;
  size_t n = t->count, i = 0;
  for (;;) {
    size_t child = 2 * i + 1;
    if (child >= n)
      break;
    if (child + 1 < n && v[child + 1] < v[child])
      child++;
    if (!(v[child] < x))
      break;
    v[i] = v[child];
    i = child;
  }
  v[i] = x;
}

void issim_topk_add(issim_topk *t, size_t n, const double *log_values)
{
  size_t i = 0;
  /* Filling: every finite value goes in.  "+ 0.0" turns -0.0 into +0.0. */
  for (; i < n && t->count < t->capacity; i++) {
    double x = log_values[i];
    if (x > -INFINITY && x < INFINITY)
      heap_push(t, x + 0.0);
  }
  if (i == n)
    return;
  /* Full: one comparison with the current minimum rejects a value (NaN and
   * -INFINITY included, since they compare false). */
  double min = t->v[0];
  for (; i < n; i++) {
    double x = log_values[i];
    if (x > min) {
      if (x < INFINITY) {
        heap_replace_root(t, x + 0.0);
        min = t->v[0];
      }
    }
  }
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

void issim_topk_merge(issim_topk *dst, const issim_topk *src)
{
  if (dst != src) {
    issim_topk_add(dst, src->count, src->v);
    return;
  }
  /* The stream merged with itself: every value twice, the largest first.
   * Sorted descending, d[0] >= d[1] >= ..., the result is d[0], d[0], d[1],
   * d[1], ... cut at the capacity; written from the back, position p reads
   * d[p/2] <= p, which is not yet overwritten. */
  size_t c = dst->count;
  if (c == 0)
    return;
  double *v = dst->v;
  qsort(v, c, sizeof(double), cmp_desc);
  size_t r = c <= dst->capacity / 2 ? 2 * c : dst->capacity;
  for (size_t p = r; p-- > 0;)
    v[p] = v[p / 2];
  /* ascending order is a valid min-heap */
  for (size_t a = 0, b = r - 1; a < b; a++, b--) {
    double tmp = v[a];
    v[a] = v[b];
    v[b] = tmp;
  }
  dst->count = r;
}

size_t issim_topk_values(const issim_topk *t, double *out)
{
  if (t->count == 0)
    return 0;
  memcpy(out, t->v, t->count * sizeof(double));
  qsort(out, t->count, sizeof(double), cmp_desc);
  return t->count;
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

double issim_topk_khat(const issim_topk *t, uint64_t n)
{
  size_t c = t->count;
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
  issim_topk_values(t, s);
  double vmax = s[0], u = s[tail];
  /* x_j = exp(v_j - vmax) - exp(u - vmax) = exp(v_j - vmax) (1 - exp(u - v_j)):
   * a product of two factors in [0, 1], accurate also just above u.  Ascending
   * as j runs down from the largest value. */
  for (size_t j = 0; j < tail; j++)
    x[tail - 1 - j] = exp(s[j] - vmax) * -expm1(u - s[j]);
  for (size_t j = 1; j < tail; j++) {
    if (x[j] < x[j - 1]) { /* not expected: exp and expm1 are monotone */
      qsort(x, tail, sizeof(double), cmp_asc);
      break;
    }
  }
  double k = x[tail - 1] > 0 ? issim_gpd_fit(x, tail, NULL) : NAN;
  free(s);
  return k;
}

/* log(1 - theta x) for theta = 1/xmax + c (c <= 0), x in [0, xmax]:
 * 1 - theta x = (1 - x/xmax) + (-c) x, a sum of two terms >= 0. */
static double log1m_theta_x(double x, double xmax, double c)
{
  double r = x / xmax;
  if (r > 0.5)
    return log((1 - r) + (-c) * x); /* 1 - r is exact here */
  return log1p((-c) * x - r);
}

/* mean_i log(1 - theta x_i) for theta = 1/xmax + c: the shape k (usual
 * sign) that maximises the likelihood for this theta = -k / sigma. */
static double profile_k(const double *x, size_t n, double c)
{
  double xmax = x[n - 1], sum = 0;
  for (size_t i = 0; i < n; i++)
    sum += log1m_theta_x(x[i], xmax, c);
  return sum / (double)n;
}

double issim_gpd_fit(const double *x, size_t n, double *sigma)
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
  const size_t m = 30 + (size_t)isqrt_u64((uint64_t)n);
  double lmax = -INFINITY, wsum = 0, wc = 0;
  for (size_t j = 1; j <= m; j++) {
    double c = (1 - sqrt((double)m / ((double)j - 0.5))) / (prior * xstar);
    double theta_xmax = 1 + c * xmax; /* theta in units of 1/xmax */
    double k = profile_k(x, n, c);
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
  double k = profile_k(x, n, c);
  if (sigma != NULL)
    *sigma = (theta == 0 || k == 0) ? mean_x : -k / theta;
  /* loo's weakly informative prior: a Gaussian centred on 0.5, worth 10 points */
  return (nd * k + 10 * 0.5) / (nd + 10);
}
