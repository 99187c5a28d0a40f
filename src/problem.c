#include "problem.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

issim_problem issim_problem_with_proposal(const issim_problem *pb, const issim_model *q)
{
  issim_problem out = *pb;
  out.proposal = q;
  return out;
}

const issim_dist *issim_problem_line_target(const issim_problem *pb)
{
  return issim_model_line_dist(pb->target);
}

size_t issim_problem_dim(const issim_problem *pb)
{
  return issim_model_dim(pb->target);
}

/* The weights of a linear or sum loss (d values into w); 0 for other losses. */
static int loss_weights(const issim_problem *pb, double *w)
{
  return pb->event.loss != NULL && issim_loss_linear_form(pb->event.loss, w);
}

/* For a normal or t target and a linear loss w: w.loc, |L^T w| (the loss's
 * scale) and df.  0 when not of that form. */
static int linear_loss_law(const issim_problem *pb, double *loc, double *scale, double *df)
{
  size_t d = issim_problem_dim(pb);
  double *w = malloc(d * sizeof *w), *mu = malloc(d * sizeof *mu), *l = malloc(d * d * sizeof *l);
  int ok = w && mu && l && loss_weights(pb, w) &&
           issim_model_gaussian_form(pb->target, mu, l, df) == ISSIM_OK;
  if (ok) {
    double m = 0, v = 0;
    for (size_t i = 0; i < d; i++)
      m += w[i] * mu[i];
    for (size_t j = 0; j < d; j++) { /* (L^T w)_j = sum_i L_ij w_i */
      double c = 0;
      for (size_t i = j; i < d; i++)
        c += l[i * d + j] * w[i];
      v += c * c;
    }
    *loc = m;
    *scale = sqrt(v);
  }
  free(w);
  free(mu);
  free(l);
  return ok;
}

/* The law of a credit target (the book's own, unmoved) whose event is on
 * the portfolio loss, a linear loss of weights (0_m, c) (credit.h); NULL
 * otherwise. */
static const issim_credit_law *credit_loss(const issim_problem *pb)
{
  const issim_credit_law *l = issim_model_credit_law(pb->target);
  if (l == NULL || !issim_credit_law_is_plain(l) || pb->event.loss == NULL)
    return NULL;
  const issim_credit_book *b = issim_credit_law_book(l);
  size_t d = b->m + b->n;
  double *w = issim_loss_dim(pb->event.loss) == d ? malloc(d * sizeof *w) : NULL;
  int ok = w && loss_weights(pb, w);
  for (size_t j = 0; ok && j < d; j++)
    ok = w[j] == (j < b->m ? 0 : b->c[j - b->m]);
  free(w);
  return ok ? l : NULL;
}

int issim_problem_loss_moments(const issim_problem *pb, double *mean, double *sd)
{
  const issim_credit_law *credit = credit_loss(pb);
  if (credit)
    return issim_credit_loss_moments(issim_credit_law_book(credit), mean, sd) == ISSIM_OK;
  const issim_dist *line = issim_problem_line_target(pb);
  if (line) {
    *mean = issim_dist_mean(line);
    *sd = sqrt(issim_dist_variance(line));
    return isfinite(*mean) && isfinite(*sd);
  }
  double loc, scale, df;
  if (linear_loss_law(pb, &loc, &scale, &df)) {
    if (!(df > 2))
      return 0;
    *mean = loc;
    *sd = isinf(df) ? scale : scale * sqrt(df / (df - 2));
    return 1;
  }
  /* independent components: sums of the components' moments */
  size_t d = issim_problem_dim(pb);
  double *w = malloc(d * sizeof *w);
  int ok = w && loss_weights(pb, w) &&
           issim_model_kind_of(pb->target) == ISSIM_MODEL_INDEPENDENT;
  double m = 0, v = 0;
  for (size_t j = 0; ok && j < d; j++) {
    const issim_dist *c = issim_model_component(pb->target, j);
    m += w[j] * issim_dist_mean(c);
    v += w[j] * w[j] * issim_dist_variance(c);
  }
  free(w);
  *mean = m;
  *sd = sqrt(v);
  return ok && isfinite(m) && isfinite(v);
}

int issim_problem_loss_range(const issim_problem *pb, double *lo, double *hi)
{
  const issim_loss *loss = pb->event.loss;
  const issim_credit_law *credit = credit_loss(pb);
  if (credit) { /* exposures >= 0: from no default to all */
    const issim_credit_book *b = issim_credit_law_book(credit);
    *lo = *hi = 0;
    for (size_t k = 0; k < b->n; k++)
      *hi += b->c[k];
    return 1;
  }
  issim_loss_kind k = issim_loss_kind_of(loss);
  const double *w = issim_loss_weights(loss);
  int max = k == ISSIM_LOSS_MAX, min = k == ISSIM_LOSS_MIN, norm = k == ISSIM_LOSS_NORM;
  if (k == ISSIM_LOSS_EXPRESSION || k == ISSIM_LOSS_FUNCTION || k == ISSIM_LOSS_IDENTITY)
    return 0;
  *lo = max ? -INFINITY : min ? INFINITY : 0;
  *hi = max ? -INFINITY : min ? INFINITY : 0;
  for (size_t j = 0; j < issim_problem_dim(pb); j++) {
    const issim_dist *c = issim_model_component(pb->target, j);
    double a = c ? c->lower : -INFINITY, b = c ? c->upper : INFINITY;
    double wj = w ? w[j] : 1;
    if (max || min) {
      *lo = max ? fmax(*lo, a) : fmin(*lo, a);
      *hi = max ? fmax(*hi, b) : fmin(*hi, b);
    } else if (norm) { /* squares: the nearest and farthest |x_j| */
      double near = a > 0 ? a : b < 0 ? -b : 0, far = fmax(fabs(a), fabs(b));
      *lo += near * near;
      *hi += far * far;
    } else if (wj != 0) { /* 0 * inf would be NaN: a zero weight adds 0 */
      *lo += wj > 0 ? wj * a : wj * b;
      *hi += wj > 0 ? wj * b : wj * a;
    }
  }
  if (norm)
    *lo = sqrt(*lo), *hi = sqrt(*hi);
  return 1;
}

void issim_problem_event_region(const issim_problem *pb, double *lo, double *hi)
{
  const issim_dist *line = issim_problem_line_target(pb);
  if (line == NULL) { /* d dimensions: no interval */
    *lo = -INFINITY;
    *hi = INFINITY;
    return;
  }
  issim_event_interval(&pb->event, line->lower, line->upper, lo, hi);
}

/* The support of component j of a model whose components have supports (an
 * independent model or a copula); the whole line for the others. */
static void component_support(const issim_model *m, size_t j, double *lo, double *hi)
{
  const issim_dist *c = issim_model_component(m, j);
  *lo = c ? c->lower : -INFINITY;
  *hi = c ? c->upper : INFINITY;
}

int issim_problem_model_covers(const issim_problem *pb, const issim_model *q)
{
  if (q == NULL || issim_model_kind_of(q) == ISSIM_MODEL_MIXTURE)
    return 1;
  for (size_t j = 0; j < issim_problem_dim(pb); j++) {
    double plo, phi, qlo, qhi;
    component_support(pb->target, j, &plo, &phi);
    component_support(q, j, &qlo, &qhi);
    if (qlo > plo || qhi < phi)
      return 0;
  }
  return 1;
}

/* max (or min) of independent components: P(max <= t) = prod F_j(t), and
 * P(min > t) = prod (1 - F_j(t)), summed in logs.  When the event is the
 * complement and that product is 1 to double precision (every component's
 * tail below about 1e-16), 1 - prod = sum of the tails to that precision, and
 * their log-sum-exp keeps far tails (P = 7e-350) right. */
static double extreme_log(const issim_problem *pb, int is_max)
{
  const double t = pb->event.threshold;
  const size_t d = issim_problem_dim(pb);
  int complement = is_max == (pb->event.direction == ISSIM_ABOVE);
  double sum = 0, tail_max = -INFINITY;
  for (size_t j = 0; j < d; j++) {
    const issim_dist *c = issim_model_component(pb->target, j);
    sum += is_max ? issim_dist_log_cdf(c, t) : issim_dist_log_sf(c, t);
    double tail = is_max ? issim_dist_log_sf(c, t) : issim_dist_log_cdf(c, t);
    tail_max = tail > tail_max ? tail : tail_max;
  }
  if (!complement)
    return sum;
  if (sum < -1e-10)
    return log(-expm1(sum));
  double acc = 0;
  for (size_t j = 0; tail_max > -INFINITY && j < d; j++) {
    const issim_dist *c = issim_model_component(pb->target, j);
    double tail = is_max ? issim_dist_log_sf(c, t) : issim_dist_log_cdf(c, t);
    acc += exp(tail - tail_max);
  }
  return tail_max + log(acc);
}

double issim_problem_exact_log(const issim_problem *pb)
{
  const issim_event *ev = &pb->event;
  const issim_dist *line = issim_problem_line_target(pb);
  if (issim_event_on_x(ev) && line)
    return issim_event_log_prob_of(ev, line);
  if (line || ev->loss == NULL)
    return NAN;
  double loc, scale, df;
  if (linear_loss_law(pb, &loc, &scale, &df)) {
    /* w.X is normal, or t with the target's df, at location w.loc and scale |L^T w| */
    const char *keys[3] = {"df", "location", "scale"};
    double v[3] = {df, loc, scale};
    issim_dist *law = isinf(df) ? issim_dist_alloc_normal(loc, scale, NULL)
                                : issim_dist_alloc("student-t", 3, keys, v, NULL);
    double lp = law ? issim_event_log_prob_of(ev, law) : NAN;
    issim_dist_free(law);
    return lp;
  }
  const issim_credit_law *credit = credit_loss(pb);
  if (credit && ev->direction == ISSIM_ABOVE)
    return issim_credit_law_exact_log_tail(credit, ev->threshold, NULL);
  if (credit) { /* L < t, L whole: 1 - P(L > ceil(t) - 1) */
    double lp = issim_credit_law_exact_log_tail(credit, ceil(ev->threshold) - 1, NULL);
    return lp < -1e-300 ? log(-expm1(lp)) : lp == 0 ? -INFINITY : NAN;
  }
  issim_loss_kind k = issim_loss_kind_of(ev->loss);
  if (issim_model_kind_of(pb->target) == ISSIM_MODEL_INDEPENDENT &&
      (k == ISSIM_LOSS_MAX || k == ISSIM_LOSS_MIN))
    return extreme_log(pb, k == ISSIM_LOSS_MAX);
  return NAN;
}

void issim_problem_describe_target(const issim_problem *pb, char *buf, size_t size)
{
  const issim_dist *line = issim_problem_line_target(pb);
  if (line)
    issim_dist_describe(line, buf, size);
  else
    issim_model_describe(pb->target, buf, size);
}
