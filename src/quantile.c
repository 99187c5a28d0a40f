#include "quantile.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

uint64_t issim_quantile_pilot_draws(uint64_t n)
{
  uint64_t k = n / 16;
  k = k < ISSIM_QUANTILE_PILOT_MAX ? k : ISSIM_QUANTILE_PILOT_MAX;
  uint64_t floor = n < 4096 ? n : 4096;
  return k > floor ? k : floor;
}

/* A pilot draw: u = g for an event g > t, -g for g < t (so that P(u' > u)
 * is what is estimated in both), and its log-weight. */
typedef struct {
  double u, l;
} pilot_draw;

typedef struct {
  pilot_draw *d;
  size_t n;      /* kept: a loss and a log-weight that are numbers */
  uint64_t all;  /* drawn */
  int above;
} pilot_sample;

static int take_batch(void *user, const issim_draws *b, issim_error *err)
{
  (void)err;
  pilot_sample *s = user;
  for (size_t i = 0; i < b->n; i++) {
    double l = b->log_p[i] - b->log_q[i];
    if (!isnan(b->g[i]) && !isnan(l) && l < INFINITY && l > -INFINITY)
      s->d[s->n++] = (pilot_draw){.u = s->above ? b->g[i] : -b->g[i], .l = l};
  }
  s->all += b->n;
  return ISSIM_OK;
}

static int by_u_descending(const void *a, const void *b)
{
  double x = ((const pilot_draw *)a)->u, y = ((const pilot_draw *)b)->u;
  return (x < y) - (x > y);
}

/* The pilot's tail at its j-th largest u: log P_hat(u >= u_j) and its
 * relative error, from the running sums s1, s2 of exp(l - m) and its
 * square. */
typedef struct {
  double m, s1, s2, n;
} running;

static void tail_at(const running *r, double *log_p, double *re)
{
  *log_p = r->m + log(r->s1 / r->n);
  double rv = r->n * r->s2 / (r->s1 * r->s1) - 1;
  *re = sqrt((rv > 0 ? rv : 0) / (r->n - 1));
}

/* The grid of one alpha from the sorted draws. */
static void place(const pilot_sample *s, double alpha, issim_quantile_pilot *p)
{
  *p = (issim_quantile_pilot){.alpha = alpha, .estimate = NAN, .lo = NAN, .hi = NAN};
  const double z = ISSIM_QUANTILE_PILOT_Z, la = log(alpha);
  running r = {.m = -INFINITY, .n = (double)s->all};
  for (size_t i = 0; i < s->n; i++)
    r.m = s->d[i].l > r.m ? s->d[i].l : r.m;
  size_t hi = s->n, est = s->n, lo = s->n;
  for (size_t j = 0; j < s->n && lo == s->n; j++) {
    double e = exp(s->d[j].l - r.m), lp, re;
    r.s1 += e;
    r.s2 += e * e;
    tail_at(&r, &lp, &re);
    if (hi == s->n && lp + log1p(z * re) >= la)
      hi = j;
    if (est == s->n && lp >= la)
      est = j;
    if (z * re < 1 && lp + log1p(-z * re) > la)
      lo = j;
  }
  if (est == 0 || hi == s->n) {
    snprintf(p->reason, sizeof p->reason, est == 0
             ? "the pilot's most extreme draw already has P = %.3g beyond it: the quantile "
               "lies beyond every pilot draw, further into the tail than this proposal reaches"
             : "the pilot's draws carry P = %.3g in all, less than alpha: they lie too far in "
               "the tail for this quantile", exp(r.m + log(r.s1 / r.n)));
    return;
  }
  double u_hi = s->d[hi].u, u_lo = s->d[lo < s->n ? lo : s->n - 1].u;
  if (est < s->n)
    p->estimate = s->d[est].u;
  double pad = 0.05 * (u_hi - u_lo);
  if (!(pad > 0))
    pad = 1e-6 * fabs(u_hi) + 1e-12;
  u_hi += pad;
  u_lo -= pad;
  p->placed = 1;
  p->lo = s->above ? u_lo : -u_hi;
  p->hi = s->above ? u_hi : -u_lo;
  if (!s->above)
    p->estimate = -p->estimate;
}

int issim_quantile_pilot_run(const issim_problem *pb, const issim_run_config *cfg, size_t k,
                             const double *alpha, issim_quantile_pilot *out, issim_error *err)
{
  issim_run_config pilot = *cfg;
  pilot.samples = issim_quantile_pilot_draws(cfg->samples);
  pilot.stream = cfg->stream ^ ISSIM_QUANTILE_PILOT_STREAM;
  pilot.stop = NULL;
  pilot_sample s = {.d = malloc((size_t)pilot.samples * sizeof *s.d),
                    .above = pb->event.direction == ISSIM_ABOVE};
  if (s.d == NULL)
    return issim_error_set(err, ISSIM_ENOMEM, "out of memory for the quantiles' pilot draws");
  int rc = issim_engine_replay(pb, &pilot, pilot.samples, take_batch, &s, err);
  if (rc == ISSIM_OK) {
    qsort(s.d, s.n, sizeof *s.d, by_u_descending);
    for (size_t j = 0; j < k; j++)
      place(&s, alpha[j], &out[j]);
  }
  free(s.d);
  return rc;
}

void issim_quantile_grid(const issim_quantile_pilot *p, double *t)
{
  for (size_t i = 0; i < ISSIM_QUANTILE_GRID; i++)
    t[i] = p->lo + (p->hi - p->lo) * (double)i / (ISSIM_QUANTILE_GRID - 1);
  t[ISSIM_QUANTILE_GRID - 1] = p->hi;
}

/* log P(event at t) - log alpha, which decreases in u (u = t above, -t below). */
static double gap(const issim_problem *pb, double t, double la)
{
  issim_problem at = *pb;
  at.event.threshold = t;
  return issim_problem_exact_log(&at) - la;
}

double issim_quantile_exact(const issim_problem *pb, double alpha, double hint)
{
  const double la = log(alpha), dir = pb->event.direction == ISSIM_ABOVE ? 1 : -1;
  double a = hint, fa = gap(pb, a, la);
  if (isnan(fa) || !isfinite(hint))
    return NAN;
  /* step in u until the gap changes sign: [a, b] brackets the root */
  double step = fmax(1e-3 * fabs(a), 1e-3), b = a, fb = fa;
  for (int i = 0; i < 200 && !((fa > 0) != (fb > 0)); i++) {
    a = b, fa = fb;
    b = a + (fa > 0 ? dir : -dir) * step;
    fb = gap(pb, b, la);
    step *= 2;
    if (isnan(fb))
      return NAN;
  }
  if ((fa > 0) == (fb > 0))
    return NAN;
  for (int i = 0; i < 200; i++) {
    double m = 0.5 * (a + b);
    if (m == a || m == b)
      break;
    double fm = gap(pb, m, la);
    if (isnan(fm))
      return NAN;
    if ((fm > 0) == (fa > 0))
      a = m, fa = fm;
    else
      b = m, fb = fm;
  }
  return fabs(fa) < fabs(fb) ? a : b;
}
