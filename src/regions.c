#include "regions.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dist.h"
#include "linalg.h"
#include "transform.h"

void issim_regions_free(issim_regions *r)
{
  free(r->x);
  free(r->a);
  free(r->b);
  free(r->beta);
  free(r->log_p);
  free(r->share);
  free(r->nz_start);
  free(r->nz_col);
  free(r->nz_a);
  issim_transform_free(r->tr);
  r->x = r->a = r->b = r->beta = r->log_p = r->share = r->nz_a = NULL;
  r->nz_start = r->nz_col = NULL;
  r->tr = NULL;
  r->n = 0;
}

static int none(issim_regions *r, const char *why)
{
  snprintf(r->why_none, sizeof r->why_none, "%s", why);
  return ISSIM_OK;
}

static int alloc_arrays(issim_regions *r, size_t n, size_t d)
{
  r->x = malloc(n * d * sizeof *r->x);
  r->a = malloc(n * d * sizeof *r->a);
  r->b = malloc(n * sizeof *r->b);
  r->beta = malloc(n * sizeof *r->beta);
  r->log_p = malloc(n * sizeof *r->log_p);
  r->share = malloc(n * sizeof *r->share);
  return r->x && r->a && r->b && r->beta && r->log_p && r->share;
}

/* Each point's half-space a . x > b (a = L^-T alpha, b = beta + a . mu) and
 * share of the first-order total. */
static void half_spaces(issim_regions *r, const issim_model_elliptical *e, double *u)
{
  size_t d = r->d;
  double m = -INFINITY, sum = 0;
  for (size_t i = 0; i < r->n; i++) {
    for (size_t j = 0; j < d; j++)
      u[j] = r->x[i * d + j] - e->mu[j];
    issim_linalg_forward_solve(d, e->l, u, u);
    double norm = 0;
    for (size_t j = 0; j < d; j++)
      norm += u[j] * u[j];
    norm = sqrt(norm);
    for (size_t j = 0; j < d; j++)
      u[j] /= norm; /* alpha */
    issim_linalg_back_solve_transposed(d, e->l, u, r->a + i * d);
    double am = 0;
    for (size_t j = 0; j < d; j++)
      am += r->a[i * d + j] * e->mu[j];
    r->b[i] = r->beta[i] + am;
    r->log_p[i] = issim_dist_standard_log_sf(e->df, r->beta[i]);
    m = fmax(m, r->log_p[i]);
  }
  for (size_t i = 0; i < r->n; i++)
    sum += exp(r->log_p[i] - m);
  for (size_t i = 0; i < r->n; i++)
    r->share[i] = exp(r->log_p[i] - m) / sum;
}

/* The regions of a target without an elliptical form, in its standard space
 * (transform.h): the half-spaces {alpha_i . u > beta_i} of the design points
 * u_i = beta_i alpha_i, x_i = T(u_i).  The points go through r->a; ts: d
 * doubles of scratch for T.  ISSIM_ELOSS when the loss failed in the search
 * (err set), else ISSIM_OK, with r->n = 0 when there is nothing to check. */
static int standard_regions(const issim_problem *pb, issim_regions *r, double *ts,
                            issim_error *err)
{
  size_t d = r->d, n = 0;
  const issim_event *ev = &pb->event;
  int rc = issim_design_standard_points(pb->target, ev, ISSIM_REGIONS_MAX, r->a, r->beta,
                                        r->log_p, &n, &r->stats, err);
  if (rc == ISSIM_ELOSS) {
    none(r, "the loss failed in the design-point search"); /* an error: see err */
    return rc;
  }
  if (rc != ISSIM_OK || n == 0)
    return none(r, "the design-point search found no point of the event");
  if (r->beta[0] <= 0)
    return none(r, "the target's mean lies in the event: it is not rare");
  r->n = n;
  double m = -INFINITY, sum = 0;
  for (size_t i = 0; i < n; i++) {
    issim_transform_to_x(r->tr, 1, r->a + i * d, r->x + i * d, NULL, ts);
    for (size_t j = 0; j < d; j++)
      r->a[i * d + j] /= r->beta[i]; /* alpha */
    m = fmax(m, r->log_p[i]);
  }
  for (size_t i = 0; i < n; i++) {
    r->b[i] = r->beta[i];
    sum += exp(r->log_p[i] - m);
  }
  for (size_t i = 0; i < n; i++)
    r->share[i] = exp(r->log_p[i] - m) / sum;
  return ISSIM_OK;
}

/* The a_i's nonzero entries (issim_regions' nz_*); 0 when out of memory. */
static int sparse_normals(issim_regions *r)
{
  size_t n = r->n, d = r->d, nnz = 0;
  for (size_t k = 0; k < n * d; k++)
    nnz += r->a[k] != 0;
  r->nz_start = malloc((n + 1) * sizeof *r->nz_start);
  r->nz_col = malloc((nnz ? nnz : 1) * sizeof *r->nz_col);
  r->nz_a = malloc((nnz ? nnz : 1) * sizeof *r->nz_a);
  if (!r->nz_start || !r->nz_col || !r->nz_a)
    return 0;
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    r->nz_start[i] = k;
    for (size_t j = 0; j < d; j++)
      if (r->a[i * d + j] != 0) {
        r->nz_col[k] = j;
        r->nz_a[k++] = r->a[i * d + j];
      }
  }
  r->nz_start[n] = k;
  return 1;
}

static int regions_find(const issim_problem *pb, issim_regions *r, issim_error *err);

int issim_regions_find(const issim_problem *pb, issim_regions *r, issim_error *err)
{
  uint64_t before = issim_loss_calls(pb->event.loss);
  int rc = regions_find(pb, r, err);
  r->loss_calls = issim_loss_calls(pb->event.loss) - before;
  return rc;
}

static int regions_find(const issim_problem *pb, issim_regions *r, issim_error *err)
{
  *r = (issim_regions){.df = INFINITY};
  const issim_event *ev = &pb->event;
  if (issim_event_on_x(ev))
    return none(r, "a univariate event is one region");
  issim_model_elliptical e;
  int elliptical = issim_model_elliptical_of(pb->target, &e);
  double *w = malloc(issim_problem_dim(pb) * sizeof *w);
  int linear = w && issim_loss_linear_form(ev->loss, w);
  free(w);
  if (elliptical && linear) {
    issim_model_elliptical_free(&e);
    return none(r, "a linear limit state is one region");
  }
  if (!elliptical && issim_problem_dim(pb) > ISSIM_REGIONS_STANDARD_MAX_D) {
    issim_model_elliptical_free(&e);
    snprintf(r->why_none, sizeof r->why_none, "the target's standard space is searched for "
             "regions up to %d dimensions (each start of the search costs 2 d^2 quantiles an "
             "iteration)", ISSIM_REGIONS_STANDARD_MAX_D);
    return ISSIM_OK;
  }
  if (!elliptical && (r->tr = issim_transform_alloc(pb->target, NULL)) == NULL) {
    issim_model_elliptical_free(&e);
    return none(r, "the target has no standard space issim knows");
  }
  size_t d = issim_problem_dim(pb), n = 0;
  r->d = d;
  r->df = elliptical ? e.df : INFINITY;
  int rc = ISSIM_OK;
  double *u = malloc(d * sizeof *u);
  if (u == NULL || !alloc_arrays(r, ISSIM_REGIONS_MAX, d)) {
    rc = issim_error_set(err, ISSIM_ENOMEM, "out of memory for the failure regions");
  } else if (!elliptical) {
    rc = standard_regions(pb, r, u, err);
    if (rc == ISSIM_OK && r->n > 0 && !sparse_normals(r))
      rc = issim_error_set(err, ISSIM_ENOMEM, "out of memory for the failure regions");
  } else if ((rc = issim_design_points_stats(pb->target, ev, ISSIM_REGIONS_MAX, r->x,
                                              r->beta, r->log_p, &n, &r->stats, err)) == ISSIM_ELOSS) {
    /* the user's model failed at a point the search probed, which the draws
     * may never reach: the run goes on without the check, and says why (a
     * failure in the draws themselves ends the run there) */
    rc = ISSIM_OK;
    snprintf(r->why_none, sizeof r->why_none, "the loss failed in the design-point search, so "
             "the regions are not checked: %.150s", err->message);
  } else if (rc != ISSIM_OK || n == 0) {
    rc = ISSIM_OK;
    none(r, "the design-point search found no point of the event");
  } else if (r->beta[0] <= 0) {
    none(r, "the target's mean lies in the event: it is not rare");
  } else {
    r->n = n;
    half_spaces(r, &e, u);
    if (!sparse_normals(r))
      rc = issim_error_set(err, ISSIM_ENOMEM, "out of memory for the failure regions");
  }
  free(u);
  issim_model_elliptical_free(&e);
  if (rc != ISSIM_OK || r->n == 0) {
    issim_regions_free(r);
    r->d = d;
  }
  return rc;
}

/* log P(a . X > b) for X = mu + L T (T a standard normal, or t(df)). */
static double log_prob_elliptical(const issim_model_elliptical *q, const double *a, double b)
{
  size_t d = q->d;
  double loc = 0, scale2 = 0;
  for (size_t j = 0; j < d; j++)
    loc += a[j] * q->mu[j];
  for (size_t k = 0; k < d; k++) { /* (L^T a)_k = sum_{j >= k} L_jk a_j */
    double c = 0;
    for (size_t j = k; j < d; j++)
      c += q->l[j * d + k] * a[j];
    scale2 += c * c;
  }
  return issim_dist_standard_log_sf(q->df, (b - loc) / sqrt(scale2));
}

/* log P_q(a_i . X > b_i) for a normal or t q, or a mixture of them. */
static double log_prob_half_space(const issim_regions *r, size_t i, const issim_model *q)
{
  size_t k = issim_model_mixture_size(q);
  if (k > 0) { /* sum_k w_k P_k, in logs */
    double m = -INFINITY, *v = malloc(k * sizeof *v), *wt = malloc(k * sizeof *wt);
    int ok = v && wt;
    for (size_t c = 0; ok && c < k; c++) {
      v[c] = log_prob_half_space(r, i, issim_model_mixture_part(q, c, &wt[c]));
      ok = !isnan(v[c]);
      if (ok && wt[c] > 0)
        m = fmax(m, v[c] + log(wt[c]));
    }
    double s = 0;
    for (size_t c = 0; ok && isfinite(m) && c < k; c++)
      if (wt[c] > 0)
        s += exp(v[c] + log(wt[c]) - m);
    free(v);
    free(wt);
    return !ok ? NAN : isfinite(m) ? m + log(s) : -INFINITY;
  }
  issim_model_elliptical e;
  double v = NAN;
  if (issim_model_elliptical_of(q, &e) && e.d == r->d)
    v = log_prob_elliptical(&e, r->a + i * r->d, r->b[i]);
  issim_model_elliptical_free(&e);
  return v;
}

/* Regions in the standard space: a proposal in the same space is judged by
 * its model of u; any other, not (NAN). */
static double log_prob_model(const issim_regions *r, size_t i, const issim_model *q)
{
  if (r->tr == NULL)
    return log_prob_half_space(r, i, q);
  const issim_transform *t = issim_transform_of(q);
  if (t == NULL || !issim_transform_is_of(r->tr, issim_transform_target(t)))
    return NAN;
  return log_prob_half_space(r, i, issim_transform_inner(q));
}

double issim_regions_log_prob(const issim_regions *r, size_t i, const issim_model *q)
{
  if (i >= r->n)
    return NAN;
  if (q == NULL) /* the target: the region's own first-order probability */
    return r->log_p[i];
  return log_prob_model(r, i, q);
}

/* "x* = (3, 3)", or "x* = (1, 2, 3, 4, ...)" beyond four coordinates. */
static void describe_point(const double *x, size_t d, char *buf, size_t size)
{
  int used = snprintf(buf, size, "x* = (");
  for (size_t j = 0; j < d && j < 4 && used > 0 && (size_t)used < size; j++)
    used += snprintf(buf + used, size - (size_t)used, "%s%.4g", j ? ", " : "", x[j]);
  if (used > 0 && (size_t)used < size)
    snprintf(buf + used, size - (size_t)used, "%s)", d > 4 ? ", ..." : "");
}

void issim_regions_check(const issim_regions *r, const issim_model *q, issim_region_check *c)
{
  c->n_regions = r->n;
  c->n_checked = 0;
  c->drawn = 0;
  c->log_q_total = -INFINITY;
  snprintf(c->why, sizeof c->why, "%s", r->n ? "" : r->why_none);
  double *lq = malloc((r->n ? r->n : 1) * sizeof *lq);
  if (lq == NULL) { /* out of memory: no check, as for a proposal it cannot judge */
    c->log_q_total = NAN;
    return;
  }
  /* each region's log Q_i once (a mixture's costs a pass over its parts),
   * then q's mass on all of them, in logs */
  double m = -INFINITY, sum = 0;
  for (size_t i = 0; i < r->n; i++) {
    lq[i] = issim_regions_log_prob(r, i, q);
    m = fmax(m, lq[i]);
  }
  for (size_t i = 0; isfinite(m) && i < r->n; i++)
    sum += exp(lq[i] - m);
  int unknown = 0;
  for (size_t i = 0; i < r->n; i++)
    unknown |= isnan(lq[i]);
  c->log_q_total = unknown ? NAN : isfinite(m) ? m + log(sum) : -INFINITY;
  for (size_t i = 0; i < r->n && c->n_checked < ISSIM_REGION_CHECK_MAX; i++) {
    if (r->share[i] < ISSIM_REGION_MIN_SHARE)
      continue;
    size_t k = c->n_checked++;
    c->index[k] = i;
    c->share[k] = r->share[i];
    c->beta[k] = r->beta[i];
    c->log_q[k] = lq[i];
    describe_point(r->x + i * r->d, r->d, c->where[k], sizeof c->where[k]);
  }
  free(lq);
}

size_t issim_region_check_short(const issim_region_check *c, double n, double visits,
                                double *share, size_t *worst)
{
  size_t count = 0;
  double best = -1;
  *share = 0;
  for (size_t k = 0; k < c->n_checked; k++) {
    double log_ratio = log(c->share[k]) + c->log_q_total - c->log_q[k];
    if (!(log(n) + c->log_q[k] < log(visits)) || !(log_ratio > log(ISSIM_REGION_NEGLECT)))
      continue; /* NAN: not computable, not short */
    count++;
    *share += c->share[k];
    if (c->share[k] > best) {
      best = c->share[k];
      *worst = k;
    }
  }
  return count;
}

/* ---- the draws against the regions ---- */

issim_region_tally *issim_region_tally_alloc(const issim_regions *r)
{
  issim_region_tally *t = malloc(sizeof *t);
  if (t == NULL)
    return NULL;
  *t = (issim_region_tally){.regions = r, .n = r->n + 1};
  t->sum = malloc(t->n * sizeof *t->sum);
  if (r->tr) /* regions in the standard space: each hit's u, and T's scratch */
    t->u = malloc(2 * r->d * sizeof *t->u);
  if (t->sum == NULL || (r->tr && t->u == NULL)) {
    free(t->sum);
    free(t);
    return NULL;
  }
  issim_region_tally_reset(t);
  return t;
}

void issim_region_tally_free(issim_region_tally *t)
{
  if (t) {
    free(t->sum);
    free(t->u);
  }
  free(t);
}

void issim_region_tally_reset(issim_region_tally *t)
{
  for (size_t i = 0; i < t->n; i++)
    t->sum[i] = (issim_region_sum){.m = -INFINITY};
}

/* sum += exp(l), in units of exp(sum->m) */
static void sum_add(issim_region_sum *sum, double l)
{
  if (l > sum->m) {
    sum->s = sum->s * exp(sum->m - l) + 1; /* exp(-inf) = 0 for the first */
    sum->m = l;
  } else {
    sum->s += exp(l - sum->m);
  }
  sum->hits++;
}

/* The region nearest x in the standard space, and whether x lies in any
 * half-space: argmax_i beta_i (2 m_i + beta_i), m_i = a_i . x - b_i. */
static size_t nearest_region(const issim_regions *r, const double *x, int *inside)
{
  size_t best = 0;
  double top = -INFINITY;
  *inside = 0;
  for (size_t i = 0; i < r->n; i++) {
    double ax = 0;
    for (size_t k = r->nz_start[i]; k < r->nz_start[i + 1]; k++)
      ax += r->nz_a[k] * x[r->nz_col[k]];
    double margin = ax - r->b[i], key = r->beta[i] * (2 * margin + r->beta[i]);
    *inside |= margin > 0;
    if (key > top) {
      top = key;
      best = i;
    }
  }
  return best;
}

void issim_region_tally_add(issim_region_tally *t, size_t n, const double *x,
                            const double *log_p, const double *log_q, const double *hit)
{
  const issim_regions *r = t->regions;
  for (size_t i = 0; i < n; i++) {
    double l = log_p[i] - log_q[i];
    if (!hit[i] || !(l > -INFINITY && l < INFINITY))
      continue; /* a miss, a weight 0, or an undefined weight (estimator.h) */
    int inside;
    const double *point = x + i * r->d;
    if (r->tr) { /* the half-spaces are of u = T^-1(x) */
      issim_transform_to_u(r->tr, 1, point, t->u, t->u + r->d);
      point = t->u;
    }
    sum_add(&t->sum[nearest_region(r, point, &inside)], l);
    if (!inside)
      sum_add(&t->sum[r->n], l);
  }
}

void issim_region_tally_merge(issim_region_tally *dst, const issim_region_tally *src)
{
  for (size_t i = 0; i < dst->n && i < src->n; i++) {
    issim_region_sum *a = &dst->sum[i];
    const issim_region_sum *b = &src->sum[i];
    if (b->m == -INFINITY)
      continue;
    if (b->m > a->m) {
      a->s = a->s * exp(a->m - b->m) + b->s;
      a->m = b->m;
    } else {
      a->s += b->s * exp(b->m - a->m);
    }
    a->hits += b->hits;
  }
}

/* log of a sum's weights, -INFINITY when empty */
static double log_sum(const issim_region_sum *s)
{
  return s->m == -INFINITY ? -INFINITY : s->m + log(s->s);
}

void issim_regions_check_draws(const issim_region_tally *t, issim_region_check *c)
{
  const issim_regions *r = t->regions;
  double m = -INFINITY, total = 0;
  c->drawn = 1;
  c->hits_total = 0;
  for (size_t i = 0; i < r->n; i++) {
    c->hits_total += t->sum[i].hits;
    m = fmax(m, log_sum(&t->sum[i]));
  }
  for (size_t i = 0; isfinite(m) && i < r->n; i++)
    total += exp(log_sum(&t->sum[i]) - m);
  double log_total = isfinite(m) ? m + log(total) : -INFINITY;
  for (size_t k = 0; k < c->n_checked; k++) {
    const issim_region_sum *s = &t->sum[c->index[k]];
    c->hits[k] = s->hits;
    c->estimate_share[k] = c->hits_total ? exp(log_sum(s) - log_total) : NAN;
  }
  c->outside_hits = t->sum[r->n].hits;
  c->outside_share = c->hits_total ? exp(log_sum(&t->sum[r->n]) - log_total) : NAN;
}

double issim_region_check_expected_hits(const issim_region_check *c, size_t k)
{
  return (double)c->hits_total * c->share[k];
}

/* log P(Poisson(mu) <= h) for a small h: -mu + log sum_{j <= h} mu^j / j! */
static double log_poisson_cdf(uint64_t h, double mu)
{
  double term = 0, m = 0, sum = 1; /* log mu^j / j!, by the largest (the last) */
  for (uint64_t j = 1; j <= h; j++) {
    term += log(mu / (double)j);
    if (term > m) {
      sum = sum * exp(m - term) + 1;
      m = term;
    } else {
      sum += exp(term - m);
    }
  }
  return -mu + m + log(sum);
}

int issim_region_check_seen(const issim_region_check *c, size_t k)
{
  double floor = issim_region_check_expected_hits(c, k) / ISSIM_REGION_NEGLECT;
  if (!c->drawn || c->hits[k] >= ISSIM_REGION_DRAWS_FEW || !(floor > 0) ||
      !(log_poisson_cdf(c->hits[k], floor) < log(ISSIM_REGION_DRAWS_ALPHA)))
    return ISSIM_REGION_SEEN;
  return c->hits[k] == 0 || c->estimate_share[k] < c->share[k] / ISSIM_REGION_NEGLECT
             ? ISSIM_REGION_NOT_SEEN : ISSIM_REGION_FEW_HITS;
}

size_t issim_region_check_unseen(const issim_region_check *c, int missed_only, double *share,
                                 size_t *worst)
{
  size_t count = 0;
  double best = -1;
  *share = 0;
  for (size_t k = 0; k < c->n_checked; k++) {
    int u = issim_region_check_seen(c, k);
    if (u == ISSIM_REGION_SEEN || (missed_only && u != ISSIM_REGION_NOT_SEEN))
      continue;
    count++;
    *share += c->share[k];
    if (c->share[k] > best) {
      best = c->share[k];
      *worst = k;
    }
  }
  return count;
}

/* ---- the draws against each level's regions ---- */

/* Hit indicators a stretch at a time. */
#define LEVELS_STRETCH 512

issim_region_levels *issim_region_levels_alloc(size_t n, const double *thresholds, int above,
                                               const issim_regions *const *regions)
{
  if (n == 0)
    return NULL;
  issim_region_levels *l = calloc(1, sizeof *l);
  if (l == NULL)
    return NULL;
  l->n = n;
  l->above = above != 0;
  l->thresholds = malloc(n * sizeof *l->thresholds);
  l->tally = calloc(n, sizeof *l->tally);
  l->hit = malloc(LEVELS_STRETCH * sizeof *l->hit);
  int ok = l->thresholds && l->tally && l->hit;
  for (size_t j = 0; ok && j < n; j++)
    if (regions[j] != NULL)
      ok = (l->tally[j] = issim_region_tally_alloc(regions[j])) != NULL;
  if (!ok) {
    issim_region_levels_free(l);
    return NULL;
  }
  memcpy(l->thresholds, thresholds, n * sizeof *thresholds);
  return l;
}

issim_region_levels *issim_region_levels_alloc_like(const issim_region_levels *l)
{
  const issim_regions **r = malloc(l->n * sizeof *r);
  if (r == NULL)
    return NULL;
  for (size_t j = 0; j < l->n; j++)
    r[j] = l->tally[j] ? l->tally[j]->regions : NULL;
  issim_region_levels *copy = issim_region_levels_alloc(l->n, l->thresholds, l->above, r);
  free(r);
  return copy;
}

void issim_region_levels_free(issim_region_levels *l)
{
  if (l == NULL)
    return;
  for (size_t j = 0; l->tally && j < l->n; j++)
    issim_region_tally_free(l->tally[j]);
  free(l->tally);
  free(l->thresholds);
  free(l->hit);
  free(l);
}

void issim_region_levels_reset(issim_region_levels *l)
{
  for (size_t j = 0; j < l->n; j++)
    if (l->tally[j])
      issim_region_tally_reset(l->tally[j]);
}

void issim_region_levels_add(issim_region_levels *l, size_t n, const double *x,
                             const double *log_p, const double *log_q, const double *g)
{
  for (size_t start = 0; start < n; start += LEVELS_STRETCH) {
    size_t m = n - start < LEVELS_STRETCH ? n - start : LEVELS_STRETCH;
    for (size_t j = 0; j < l->n; j++) {
      issim_region_tally *t = l->tally[j];
      if (t == NULL)
        continue;
      issim_event_mark_hits_at(m, g + start, l->thresholds[j], l->above, l->hit);
      issim_region_tally_add(t, m, x + start * t->regions->d, log_p + start, log_q + start,
                             l->hit);
    }
  }
}

void issim_region_levels_merge(issim_region_levels *dst, const issim_region_levels *src)
{
  for (size_t j = 0; j < dst->n && j < src->n; j++)
    if (dst->tally[j] && src->tally[j])
      issim_region_tally_merge(dst->tally[j], src->tally[j]);
}

void issim_region_levels_pack(const issim_region_levels *l,
                              void (*put)(void *ctx, const void *p, size_t n), void *ctx)
{
  for (size_t j = 0; j < l->n; j++)
    if (l->tally[j])
      put(ctx, l->tally[j]->sum, l->tally[j]->n * sizeof *l->tally[j]->sum);
}

const unsigned char *issim_region_levels_unpack(issim_region_levels *l, const unsigned char *p)
{
  for (size_t j = 0; j < l->n; j++)
    if (l->tally[j]) {
      size_t bytes = l->tally[j]->n * sizeof *l->tally[j]->sum;
      memcpy(l->tally[j]->sum, p, bytes);
      p += bytes;
    }
  return p;
}
