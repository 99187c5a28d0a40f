/* design.c: design points (see design.h for the algorithm). */
#include "design.h"
#include "linalg.h"
#include "transform.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

enum { MAX_ITER = 200, RANDOM_STARTS = 32, AXIS_STARTS_MAX_D = 8, LINE_SEARCH_STEPS = 40,
       MAX_MIXTURE = 1000, RAY_STARTS = 32, MIRROR_MAX_D = 8, CORNER_MAX_D = 8,
       EXTRA_ROUNDS = 3, STALL_WINDOW = 20 };
static const double SURFACE_TOL = 1e-9, ANGLE_TOL = 1e-7, FD_STEP = 1e-5, U_MAX = 1e3,
                    SAME_POINT = 1e-4, START_SEED = 20240601;
/* the rays: their step, how far beyond the nearest point found they look
 * (a region 5 further out holds under e^-(5 beta + 12.5) of the nearest's
 * probability); the corner search's first and last angle step, the step
 * below which it stops when it is within that angle of a point found
 * already, and how near a found point a failed start's crossing must be to
 * skip the corner search */
/* a start whose least residual falls by less than this in STALL_WINDOW
 * iterations has stalled (at a corner the iteration cycles) */
static const double STALL_RATIO = 0.9;
static const double RAY_STEP = 0.25, RAY_BEYOND = 5, CORNER_H0 = 0.1, CORNER_H_MIN = 1e-7,
                    CORNER_H_NEAR = 1e-2, CORNER_SKIP = 0.25;

/* The target's standard space, x = mu + L u (an elliptical target) or x =
 * T(u) (any other: tr, transform.h), and the event in it: c(u) = s (g(x) -
 * t) > 0, the limit surface c = 0. */
typedef struct {
  size_t d;
  double *mu, *l, df;
  issim_transform *tr;        /* NULL: x = mu + L u */
  const issim_event *ev;
  int failed;                 /* the loss failed (loss.h): the search stops */
  char failure[ISSIM_ERROR_MESSAGE_SIZE]; /* the first failure's message */
  double *pts, *vals;         /* 2d points and their losses, for one batch */
  double *gr, *un, *ut, *tmp; /* d each */
  double *ts;                 /* d: T's scratch */
} space;

static void space_free(space *sp)
{
  issim_transform_free(sp->tr);
  free(sp->mu), free(sp->l), free(sp->pts), free(sp->vals);
  free(sp->gr), free(sp->un), free(sp->ut), free(sp->tmp), free(sp->ts);
}

static int space_init(space *sp, const issim_model *target, const issim_event *ev,
                      issim_error *err)
{
  size_t d = issim_model_dim(target);
  *sp = (space){.d = d, .ev = ev};
  sp->mu = malloc(d * sizeof *sp->mu);
  sp->l = malloc(d * d * sizeof *sp->l);
  sp->pts = malloc(2 * d * d * sizeof *sp->pts);
  sp->vals = malloc(2 * d * sizeof *sp->vals);
  sp->gr = malloc(d * sizeof *sp->gr);
  sp->un = malloc(d * sizeof *sp->un);
  sp->ut = malloc(d * sizeof *sp->ut);
  sp->tmp = malloc(d * sizeof *sp->tmp);
  sp->ts = malloc(d * sizeof *sp->ts);
  if (!sp->mu || !sp->l || !sp->pts || !sp->vals || !sp->gr || !sp->un || !sp->ut || !sp->tmp ||
      !sp->ts) {
    space_free(sp);
    return issim_error_set(err, ISSIM_ENOMEM, "out of memory for the design point");
  }
  if (ev->loss == NULL || issim_loss_dim(ev->loss) != d) {
    space_free(sp);
    return issim_error_set(err, ISSIM_EINVAL, "a design point needs a loss of the target's "
                                              "dimension");
  }
  if (issim_model_elliptical_form(target, sp->mu, sp->l, &sp->df) != ISSIM_OK) {
    sp->df = INFINITY;
    if ((sp->tr = issim_transform_alloc(target, err)) == NULL) {
      space_free(sp);
      return err ? err->code : ISSIM_EINVAL;
    }
  }
  return ISSIM_OK;
}

static double dot(const double *a, const double *b, size_t d)
{
  double s = 0;
  for (size_t j = 0; j < d; j++)
    s += a[j] * b[j];
  return s;
}

/* x = mu + L u (L lower triangular), or T(u); x must not be u. */
static void to_x(const space *sp, const double *u, double *x)
{
  size_t d = sp->d;
  if (sp->tr) {
    issim_transform_to_x(sp->tr, 1, u, x, NULL, sp->ts);
    return;
  }
  for (size_t i = 0; i < d; i++) {
    double c = sp->mu[i];
    for (size_t j = 0; j <= i; j++)
      c += sp->l[i * d + j] * u[j];
    x[i] = c;
  }
}

/* The losses of the first n points of sp->pts into sp->vals.  A loss that
 * fails gives NaNs, which end the search from that start, and the message
 * is kept: the search then stops (optimised_points). */
static void eval_points(space *sp, size_t n)
{
  issim_loss_eval_noting(sp->ev->loss, n, sp->pts, sp->vals, &sp->failed, sp->failure,
                         sizeof sp->failure);
}

static double c_at(space *sp, const double *u)
{
  to_x(sp, u, sp->pts);
  eval_points(sp, 1);
  return sp->ev->direction * (sp->vals[0] - sp->ev->threshold);
}

/* grad c by central differences, u +- h e_j mapped to x +- h L e_j (or to
 * T(u +- h e_j)), all 2d points in one batch. */
static void gradient(space *sp, const double *u, double h, double *gr)
{
  size_t d = sp->d;
  if (sp->tr) {
    for (size_t j = 0; j < 2 * d; j++) {
      double *row = sp->pts + j * d;
      memcpy(row, u, d * sizeof *u);
      row[j / 2] += j % 2 ? -h : h;
    }
    issim_transform_to_x(sp->tr, 2 * d, sp->pts, sp->pts, NULL, sp->ts);
  } else {
    to_x(sp, u, sp->tmp);
    for (size_t j = 0; j < d; j++) {
      double *plus = sp->pts + 2 * j * d, *minus = plus + d;
      for (size_t i = 0; i < d; i++) {
        double step = i >= j ? h * sp->l[i * d + j] : 0;
        plus[i] = sp->tmp[i] + step;
        minus[i] = sp->tmp[i] - step;
      }
    }
  }
  eval_points(sp, 2 * d);
  for (size_t j = 0; j < d; j++)
    gr[j] = sp->ev->direction * (sp->vals[2 * j] - sp->vals[2 * j + 1]) / (2 * h);
}

/* One line search of the improved HL-RF step from u towards sp->un; 1 when
 * a step was taken (u updated). */
static int line_search(space *sp, double *u, double c, double k)
{
  size_t d = sp->d;
  double m0 = 0.5 * dot(u, u, d) + k * fabs(c), slope = 0, step2 = 0;
  for (size_t j = 0; j < d; j++) {
    double dj = sp->un[j] - u[j];
    slope += (u[j] + k * copysign(1.0, c) * sp->gr[j]) * dj;
    step2 += dj * dj;
  }
  /* a step at the rounding level of u cannot decrease m measurably: take it */
  int tiny = sqrt(step2) <= 1e-13 * fmax(1, sqrt(dot(u, u, d)));
  double lambda = 1;
  for (int ls = 0; ls < LINE_SEARCH_STEPS; ls++, lambda *= 0.5) {
    for (size_t j = 0; j < d; j++)
      sp->ut[j] = u[j] + lambda * (sp->un[j] - u[j]);
    double ct = c_at(sp, sp->ut);
    double mt = 0.5 * dot(sp->ut, sp->ut, d) + k * fabs(ct);
    if (tiny || (isfinite(ct) && mt <= m0 + 1e-4 * lambda * fmin(slope, 0))) {
      memcpy(u, sp->ut, d * sizeof *u);
      return 1;
    }
  }
  return 0;
}

/* The improved HL-RF iteration from start; 1 when it converged (u set),
 * 0 with the reason in why. */
static int hlrf(space *sp, const double *start, double *u, char *why, size_t size)
{
  size_t d = sp->d;
  memcpy(u, start, d * sizeof *u);
  /* the least residual (distance to the surface and to parallel) before the
   * current window of STALL_WINDOW iterations, and within it */
  double best_before = INFINITY, best = INFINITY;
  for (int it = 0; it < MAX_ITER; it++) {
    double c = c_at(sp, u);
    if (!isfinite(c)) {
      snprintf(why, size, "the loss is %s at a point the search visited", isnan(c) ? "not a number" : "infinite");
      return 0;
    }
    double nu = sqrt(dot(u, u, d)), scale = fmax(1, nu);
    gradient(sp, u, FD_STEP * scale, sp->gr);
    double ng2 = dot(sp->gr, sp->gr, d);
    if (!(ng2 > 0) || !isfinite(ng2)) {
      snprintf(why, size, "the loss's gradient is %s at a point the search visited (the loss is "
                          "flat there)", isfinite(ng2) ? "0" : "not finite");
      return 0;
    }
    double ng = sqrt(ng2), ug = dot(u, sp->gr, d), r2 = 0;
    for (size_t j = 0; j < d; j++) {
      double e = u[j] - ug / ng2 * sp->gr[j];
      r2 += e * e;
    }
    if (fabs(c) / ng <= SURFACE_TOL * scale && sqrt(r2) <= ANGLE_TOL * scale)
      return 1;
    best = fmin(best, (fabs(c) / ng + sqrt(r2)) / scale);
    if (it % STALL_WINDOW == STALL_WINDOW - 1) {
      if (!(best < STALL_RATIO * best_before)) {
        snprintf(why, size, "it went round in circles (the surface may have a corner there, "
                            "where two limit states meet)");
        return 0;
      }
      best_before = best;
    }
    double a = (ug - c) / ng2;
    for (size_t j = 0; j < d; j++)
      sp->un[j] = a * sp->gr[j];
    double k = 2 * fmax(nu, sqrt(dot(sp->un, sp->un, d))) / ng;
    if (!line_search(sp, u, c, k)) {
      snprintf(why, size, "the line search stalled (the loss may be too rough or flat for a "
                          "gradient search)");
      return 0;
    }
    if (!(sqrt(dot(u, u, d)) <= U_MAX)) {
      snprintf(why, size, "the search went beyond %g standard deviations without reaching "
                          "the event: the threshold is out of the loss's reach", U_MAX);
      return 0;
    }
  }
  snprintf(why, size, "it did not converge in %d iterations", MAX_ITER);
  return 0;
}

/* The closed form for the half-space {s (w.x - t) > 0}: u = a (t - w.mu) / |a|^2
 * with a = L^T w, and the signed beta; 0 when a = 0. */
static int half_space_point(const space *sp, const double *w, double *u, double *beta)
{
  size_t d = sp->d;
  double m = dot(w, sp->mu, d), v = 0;
  issim_linalg_lower_transpose_times(d, sp->l, w, u);
  for (size_t j = 0; j < d; j++)
    v += u[j] * u[j];
  if (!(v > 0) || !isfinite(v))
    return 0;
  double r = (sp->ev->threshold - m) / v;
  for (size_t j = 0; j < d; j++)
    u[j] *= r;
  *beta = sp->ev->direction * (sp->ev->threshold - m) / sqrt(v);
  return 1;
}

/* Found points in the standard space, with their signed betas and sort keys. */
typedef struct {
  size_t n, cap;
  double *u, *beta, *key;
} found;

static int found_add(found *f, const double *u, size_t d, double beta, double key)
{
  for (size_t i = 0; i < f->n; i++) { /* one point reached from two starts */
    double e2 = 0;
    for (size_t j = 0; j < d; j++)
      e2 += (f->u[i * d + j] - u[j]) * (f->u[i * d + j] - u[j]);
    if (sqrt(e2) <= SAME_POINT * fmax(1, fabs(beta)))
      return 0;
  }
  size_t i = f->n;
  if (f->n == f->cap) { /* full: the new point replaces the farthest, if farther */
    i = 0;
    for (size_t k = 1; k < f->n; k++)
      i = f->key[k] > f->key[i] ? k : i;
    if (!(key < f->key[i]))
      return 0;
  } else {
    f->n++;
  }
  memcpy(f->u + i * d, u, d * sizeof *u);
  f->beta[i] = beta;
  f->key[i] = key;
  return 1;
}

static int linear_points(space *sp, found *f, issim_error *err)
{
  size_t d = sp->d;
  double *w = sp->tmp, beta;
  issim_loss_linear_form(sp->ev->loss, w);
  if (!half_space_point(sp, w, sp->un, &beta))
    return issim_error_set(err, ISSIM_EINVAL, "the loss does not depend on x (its weights "
                                              "are 0), so the event has no design point");
  found_add(f, sp->un, d, beta, beta);
  return ISSIM_OK;
}

/* max above t or min below t: the union of {x_k > t} (or < t). */
static int union_points(space *sp, found *f)
{
  size_t d = sp->d;
  double *w = sp->tmp, beta;
  for (size_t k = 0; k < d; k++) {
    for (size_t j = 0; j < d; j++)
      w[j] = j == k;
    if (half_space_point(sp, w, sp->un, &beta))
      found_add(f, sp->un, d, beta, beta);
  }
  return ISSIM_OK;
}

/* For a target without an elliptical form (x = T(u)): an event on one
 * coordinate (a linear loss with one nonzero weight, or the identity), max
 * above t or min below t, is a half-space of u (or a union of d of them)
 * for independent and copula targets (transform.h): exact points.  Returns
 * 0 when the event is not of that form (or the target is a t). */
static int transform_half_spaces(space *sp, found *f)
{
  size_t d = sp->d, k = d, nonzero = 0;
  double *w = sp->tmp, beta, t = sp->ev->threshold;
  int dir = sp->ev->direction;
  issim_loss_kind kind = issim_loss_kind_of(sp->ev->loss);
  if (issim_loss_linear_form(sp->ev->loss, w)) {
    for (size_t j = 0; j < d; j++)
      if (w[j] != 0)
        k = j, nonzero++;
    if (nonzero != 1)
      return 0;
    t /= w[k]; /* w_k x_k > t: x_k beyond t / w_k, on the side of w_k's sign */
    dir = w[k] > 0 ? dir : -dir;
    if (!issim_transform_half_space(sp->tr, k, t, dir, sp->un, &beta))
      return 0;
    found_add(f, sp->un, d, beta, beta);
    return 1;
  }
  if (!((kind == ISSIM_LOSS_MAX && dir > 0) || (kind == ISSIM_LOSS_MIN && dir < 0)))
    return 0;
  if (issim_model_kind_of(issim_transform_target(sp->tr)) == ISSIM_MODEL_STUDENT_T)
    return 0;
  for (k = 0; k < d; k++) /* a coordinate whose half-space is empty (or certain) adds none */
    if (issim_transform_half_space(sp->tr, k, t, dir, sp->un, &beta))
      found_add(f, sp->un, d, beta, beta);
  return f->n > 0;
}

/* The multi-start search's state: the points found, the effort, and
 * scratch. */
typedef struct {
  space *sp;
  found *f;
  issim_design_stats *st;
  gsl_rng *rng;
  double c0;           /* c at the origin: > 0 when the target's mean is in the event */
  double *u, *theta, *start, *best; /* d each */
  size_t ray_new;      /* points the rays and restarts found (stats) */
  char why[256];       /* why the last start failed */
} search;

/* The improved HL-RF iteration from `start`; a converged point joins the
 * found ones.  1 when it converged. */
static int try_start(search *se, const double *start)
{
  size_t d = se->sp->d;
  if (se->sp->failed) /* the loss failed: the search is over */
    return 0;
  se->st->starts++;
  if (!hlrf(se->sp, start, se->u, se->why, sizeof se->why))
    return 0;
  se->st->converged++;
  double b = sqrt(dot(se->u, se->u, d));
  if (found_add(se->f, se->u, d, se->c0 < 0 ? b : -b, b)) {
    se->st->found++;
    se->st->last_new_start = se->st->starts;
  }
  return 1;
}

/* c at r theta. */
static double c_on_ray(search *se, const double *theta, double r)
{
  for (size_t j = 0; j < se->sp->d; j++)
    se->start[j] = r * theta[j];
  return c_at(se->sp, se->start);
}

/* Bisection of the crossing in (lo, hi], c(lo theta) <= 0 < c(hi theta), to
 * a relative tol. */
static double bisect_crossing(search *se, const double *theta, double lo, double hi, double tol)
{
  while (hi - lo > tol * hi) {
    double mid = 0.5 * (lo + hi);
    if (c_on_ray(se, theta, mid) > 0)
      hi = mid;
    else
      lo = mid;
  }
  return hi;
}

/* R(theta): the first r in (0, rmax] with r theta in the event (steps of
 * RAY_STEP, growing by 5% beyond 8), to a relative tol; 0 when the ray
 * reaches no event (or meets a loss that is not a number) before rmax. */
static double ray_crossing(search *se, const double *theta, double rmax, double tol)
{
  double lo = 0, r = 0;
  for (;;) {
    r += r < 8 ? RAY_STEP : 0.05 * r;
    if (r > rmax)
      return 0;
    double c = c_on_ray(se, theta, r);
    if (isnan(c))
      return 0;
    if (c > 0)
      return bisect_crossing(se, theta, lo, r, tol);
    lo = r;
  }
}

/* R(theta) near a known crossing r0 (a neighbouring direction's), to 1e-12:
 * the local corner search's, cheaper than a whole ray. */
static double crossing_near(search *se, const double *theta, double r0, double rmax)
{
  double lo = 0.95 * r0;
  if (c_on_ray(se, theta, lo) > 0) /* the event comes earlier on this ray */
    return ray_crossing(se, theta, rmax, 1e-12);
  for (double r = lo + 0.01 * r0; r <= 1.1 * r0; r += 0.01 * r0) {
    double c = c_on_ray(se, theta, r);
    if (isnan(c))
      return 0;
    if (c > 0)
      return bisect_crossing(se, theta, lo, r, 1e-12);
    lo = r;
  }
  return ray_crossing(se, theta, rmax, 1e-12);
}

/* Is u within `radius` of a point found already? */
static int near_found(const search *se, const double *u, double radius)
{
  size_t d = se->sp->d;
  for (size_t i = 0; i < se->f->n; i++) {
    double e2 = 0;
    for (size_t j = 0; j < d; j++)
      e2 += (se->f->u[i * d + j] - u[j]) * (se->f->u[i * d + j] - u[j]);
    if (sqrt(e2) <= radius)
      return 1;
  }
  return 0;
}

/* A local minimum of R(theta) from theta0 (R(theta0) = r0) by a pattern
 * search on the sphere: theta +- h e_j, renormalised, for each j; a step
 * that shortens R is taken, else h is halved, down to CORNER_H_MIN.  This
 * finds the nearest points of the event where the surface has a corner (an
 * intersection of limit states, max(g1, g2) < 0), where HL-RF, which needs
 * u parallel to the gradient, cannot converge.  The point joins the found
 * ones; 1 when one was found. */
static int corner_search(search *se, const double *theta0, double r0, double rmax)
{
  size_t d = se->sp->d;
  double *theta = se->theta, *trial = se->best, r = r0;
  memcpy(theta, theta0, d * sizeof *theta);
  for (double h = CORNER_H0; h >= CORNER_H_MIN;) {
    int moved = 0;
    for (size_t j = 0; j < 2 * d && !moved; j++) {
      memcpy(trial, theta, d * sizeof *trial);
      trial[j / 2] += j % 2 ? -h : h;
      double norm = sqrt(dot(trial, trial, d));
      for (size_t k = 0; k < d; k++)
        trial[k] /= norm;
      double rt = crossing_near(se, trial, r, rmax);
      if (rt > 0 && rt < r * (1 - 1e-14)) {
        memcpy(theta, trial, d * sizeof *theta);
        r = rt, moved = 1;
      }
    }
    h = moved ? fmin(2 * h, CORNER_H0) : 0.5 * h;
    for (size_t j = 0; j < d; j++)
      se->u[j] = r * theta[j];
    if (h < CORNER_H_NEAR && near_found(se, se->u, CORNER_H_NEAR * r))
      return 0; /* closing in on a point found already */
  }
  if (found_add(se->f, se->u, d, se->c0 < 0 ? r : -r, r)) {
    se->st->found++;
    se->st->corners++;
    se->st->last_new_start = se->st->starts;
    return 1;
  }
  return 0;
}

/* A start on the surface along theta: HL-RF from the ray's first crossing,
 * so that the start lies on the limit state that bounds the event in that
 * direction (a min of limit states has a branch in each); where HL-RF fails
 * there (a corner), the corner search, when d <= CORNER_MAX_D and the
 * crossing is not near a point found already. */
static void ray_start(search *se, const double *theta, double rmax)
{
  size_t d = se->sp->d;
  if (se->sp->failed)
    return;
  double r = ray_crossing(se, theta, rmax, 1e-3);
  if (r == 0)
    return;
  double *point = se->best;
  for (size_t j = 0; j < d; j++)
    point[j] = r * theta[j];
  if (try_start(se, point) || d > CORNER_MAX_D || near_found(se, point, CORNER_SKIP * r))
    return;
  double *t0 = malloc(d * sizeof *t0);
  if (t0 == NULL)
    return;
  memcpy(t0, theta, d * sizeof *t0);
  corner_search(se, t0, ray_crossing(se, t0, rmax, 1e-12), rmax);
  free(t0);
}

/* A direction of the fixed pseudo-random sequence into theta. */
static void random_direction(search *se, double *theta)
{
  size_t d = se->sp->d;
  double norm = 0;
  for (size_t j = 0; j < d; j++) {
    theta[j] = gsl_ran_gaussian_ziggurat(se->rng, 1);
    norm += theta[j] * theta[j];
  }
  for (size_t j = 0; j < d; j++)
    theta[j] /= sqrt(norm);
}

/* One round of rays: RAY_STARTS directions and their opposites (and, in the
 * first round for d <= 8, the axes), each started on the surface; then
 * restarts from the mirror images of the points found (-u*, and u* with one
 * coordinate negated for d <= 8) that are not found points themselves: a
 * symmetric event's regions come in such sets. */
static void ray_round(search *se, int first)
{
  size_t d = se->sp->d, known = se->f->n;
  double rmax = U_MAX, *theta = malloc(d * sizeof *theta);
  if (theta == NULL)
    return;
  for (size_t i = 0; i < se->f->n; i++) /* regions farther than this hold nothing */
    rmax = fmin(rmax, fabs(se->f->beta[i]) + RAY_BEYOND);
  for (size_t k = 0; first && d <= AXIS_STARTS_MAX_D && k < 2 * d; k++) {
    memset(theta, 0, d * sizeof *theta);
    theta[k / 2] = k % 2 ? -1 : 1;
    ray_start(se, theta, rmax);
  }
  for (size_t k = 0; k < RAY_STARTS; k++) {
    random_direction(se, theta);
    ray_start(se, theta, rmax);
    for (size_t j = 0; j < d; j++)
      theta[j] = -theta[j];
    ray_start(se, theta, rmax);
  }
  for (size_t i = first ? 0 : known; i < se->f->n && i < known + 2 * RAY_STARTS; i++)
    for (size_t m = 0; m <= (d <= MIRROR_MAX_D ? d : 0); m++) {
      for (size_t j = 0; j < d; j++) /* m = 0: -u*; else u* with coordinate m negated */
        theta[j] = (m == 0 || m == j + 1) ? -se->f->u[i * d + j] : se->f->u[i * d + j];
      if (!near_found(se, theta, SAME_POINT * fmax(1, fabs(se->f->beta[i]))))
        try_start(se, theta);
    }
  free(theta);
}

static int optimised_points(space *sp, found *f, issim_design_stats *st, issim_error *err)
{
  size_t d = sp->d;
  search se = {.sp = sp, .f = f, .st = st, .rng = gsl_rng_alloc(gsl_rng_mt19937)};
  double *buf = calloc(4 * d, sizeof *buf);
  if (se.rng == NULL || buf == NULL) {
    gsl_rng_free(se.rng), free(buf);
    return issim_error_set(err, ISSIM_ENOMEM, "out of memory for the design point");
  }
  se.u = buf, se.theta = buf + d, se.start = buf + 2 * d, se.best = buf + 3 * d;
  gsl_rng_set(se.rng, (unsigned long)START_SEED);
  se.c0 = c_at(sp, se.start); /* the sign of beta: is the mean outside the event? */
  size_t axis = d <= AXIS_STARTS_MAX_D ? 2 * d : 0;
  double *start = se.theta;
  for (size_t s = 0; !sp->failed && s < 1 + axis + RANDOM_STARTS; s++) {
    /* 0: the origin; then +-e_j; then random directions at radii 1, 2, 3, 4 */
    double norm = 0;
    for (size_t j = 0; j < d; j++) {
      start[j] = s == 0 ? 0 : s <= axis ? ((s - 1) / 2 == j ? ((s - 1) % 2 ? -1 : 1) : 0)
                                        : gsl_ran_gaussian_ziggurat(se.rng, 1);
      norm += start[j] * start[j];
    }
    for (size_t j = 0; s > axis && norm > 0 && j < d; j++)
      start[j] *= (double)(1 + (s - axis - 1) % 4) / sqrt(norm);
    try_start(&se, start);
  }
  /* then starts on the surface, in rounds while they find new points (only
   * with the mean outside the event, where every ray leaves the origin
   * outside it) */
  for (int round = 0; !sp->failed && se.c0 <= 0 && round <= EXTRA_ROUNDS; round++) {
    size_t before = st->found;
    ray_round(&se, round == 0);
    if (st->found == before)
      break;
  }
  gsl_rng_free(se.rng), free(buf);
  if (sp->failed)
    return issim_error_set(err, ISSIM_ELOSS, "the loss failed in the design-point search: %.960s",
                           sp->failure);
  if (f->n == 0)
    return issim_error_set(err, ISSIM_EINVAL, "the search for the design point failed from "
                                              "every start: %s", se.why);
  return ISSIM_OK;
}

static void sort_found(found *f, size_t d)
{
  for (size_t i = 1; i < f->n; i++) /* insertion sort: n is small */
    for (size_t k = i; k > 0 && f->key[k] < f->key[k - 1]; k--) {
      double t = f->key[k]; f->key[k] = f->key[k - 1]; f->key[k - 1] = t;
      t = f->beta[k]; f->beta[k] = f->beta[k - 1]; f->beta[k - 1] = t;
      for (size_t j = 0; j < d; j++) {
        t = f->u[k * d + j]; f->u[k * d + j] = f->u[(k - 1) * d + j]; f->u[(k - 1) * d + j] = t;
      }
    }
}

/* The points into out: in the standard space (u) when standard, else x. */
static int design_points(const issim_model *target, const issim_event *ev, size_t max,
                         int standard, double *out, double *beta, double *log_p, size_t *n,
                         issim_design_stats *stats, issim_error *err)
{
  space sp;
  issim_design_stats st = {0};
  const uint64_t calls = issim_loss_calls(ev->loss); /* the search's: the loss counts them */
  *n = 0;
  if (stats)
    *stats = st;
  int rc = space_init(&sp, target, ev, err);
  if (rc != ISSIM_OK)
    return rc;
  size_t d = sp.d;
  /* d for a union, at most 1 + 2 * 8 + 16 starts for the search */
  size_t cap = d > 1 + 2 * AXIS_STARTS_MAX_D + RANDOM_STARTS ? d : 1 + 2 * AXIS_STARTS_MAX_D + RANDOM_STARTS;
  cap = cap < MAX_MIXTURE ? cap : MAX_MIXTURE;
  found f = {.cap = cap, .u = malloc(cap * d * sizeof(double)),
             .beta = malloc(cap * sizeof(double)), .key = malloc(cap * sizeof(double))};
  if (!f.u || !f.beta || !f.key) {
    rc = issim_error_set(err, ISSIM_ENOMEM, "out of memory for the design points");
  } else {
    issim_loss_kind k = issim_loss_kind_of(ev->loss);
    st.closed_form = 1;
    if (sp.tr) {
      if (!(st.closed_form = transform_half_spaces(&sp, &f)))
        rc = optimised_points(&sp, &f, &st, err);
    } else if (issim_loss_linear_form(ev->loss, sp.tmp)) {
      rc = linear_points(&sp, &f, err);
    } else if ((k == ISSIM_LOSS_MAX && ev->direction > 0) ||
               (k == ISSIM_LOSS_MIN && ev->direction < 0)) {
      rc = union_points(&sp, &f);
    } else {
      st.closed_form = 0, rc = optimised_points(&sp, &f, &st, err);
    }
    if (st.closed_form)
      st.found = f.n;
  }
  if (rc == ISSIM_OK) {
    sort_found(&f, d);
    for (size_t i = 0; i < f.n && i < max; i++) {
      if (standard)
        memcpy(out + i * d, f.u + i * d, d * sizeof *out);
      else
        to_x(&sp, f.u + i * d, out + i * d);
      if (beta)
        beta[i] = f.beta[i];
      if (log_p)
        log_p[i] = issim_dist_standard_log_sf(sp.df, f.beta[i]);
      (*n)++;
    }
  }
  free(f.u), free(f.beta), free(f.key);
  st.loss_evals = (size_t)(issim_loss_calls(ev->loss) - calls);
  if (stats)
    *stats = st;
  space_free(&sp);
  return rc;
}

int issim_design_points_stats(const issim_model *target, const issim_event *ev, size_t max,
                              double *x, double *beta, double *log_p, size_t *n,
                              issim_design_stats *stats, issim_error *err)
{
  return design_points(target, ev, max, 0, x, beta, log_p, n, stats, err);
}

int issim_design_standard_points(const issim_model *target, const issim_event *ev, size_t max,
                                 double *u, double *beta, double *log_p, size_t *n,
                                 issim_design_stats *stats, issim_error *err)
{
  return design_points(target, ev, max, 1, u, beta, log_p, n, stats, err);
}

int issim_design_points(const issim_model *target, const issim_event *ev, size_t max,
                        double *x, double *beta, double *log_p, size_t *n, issim_error *err)
{
  return issim_design_points_stats(target, ev, max, x, beta, log_p, n, NULL, err);
}

int issim_design_point(const issim_model *target, const issim_event *ev, double *x,
                       double *beta, issim_error *err)
{
  size_t n;
  return issim_design_points(target, ev, 1, x, beta, NULL, &n, err);
}

/* N(u, spread^2 I): d independent normals. */
static issim_model *normals_at(size_t d, const double *u, double spread, issim_error *err)
{
  issim_dist **comps = calloc(d, sizeof *comps);
  issim_model *m = NULL;
  int ok = comps != NULL;
  if (!ok)
    issim_error_set(err, ISSIM_ENOMEM, "out of memory for the shifted target");
  for (size_t j = 0; ok && j < d; j++)
    ok = (comps[j] = issim_dist_alloc_normal(u[j], spread, err)) != NULL;
  if (ok)
    m = issim_model_alloc_independent(d, (const issim_dist *const *)comps, err);
  for (size_t j = 0; comps && j < d; j++)
    issim_dist_free(comps[j]);
  free(comps);
  return m;
}

/* N(u, spread^2 I) in the standard space of tr, carried to x. */
static issim_model *standard_shift(const issim_transform *tr, const double *u, double spread,
                                   issim_error *err)
{
  issim_model *qu = normals_at(issim_transform_dim(tr), u, spread, err);
  issim_model *m = qu ? issim_transform_proposal(tr, qu, err) : NULL;
  issim_model_free(qu);
  return m;
}

issim_model *issim_design_standard_shifted(const issim_model *target, const double *u,
                                           double spread, issim_error *err)
{
  issim_transform *tr = issim_transform_alloc(target, err);
  issim_model *m = tr ? standard_shift(tr, u, spread, err) : NULL;
  issim_transform_free(tr);
  return m;
}

/* Any other target: moved in its standard space, to u = T^-1(location). */
static issim_model *shifted_in_standard_space(const issim_model *target, const double *location,
                                              double spread, issim_error *err)
{
  size_t d = issim_model_dim(target);
  issim_transform *tr = issim_transform_alloc(target, err);
  double *u = malloc(2 * d * sizeof *u);
  issim_model *m = NULL;
  if (tr && u == NULL)
    issim_error_set(err, ISSIM_ENOMEM, "out of memory for the shifted target");
  if (tr && u) {
    issim_transform_to_u(tr, 1, location, u, u + d);
    int finite = 1;
    for (size_t j = 0; j < d; j++)
      finite &= isfinite(u[j]);
    if (finite)
      m = standard_shift(tr, u, spread, err);
    else
      issim_error_set(err, ISSIM_EINVAL, "the location is outside the target's support (or at "
                                         "its end), where the target has no standard space");
  }
  free(u);
  issim_transform_free(tr);
  return m;
}

issim_model *issim_design_shifted(const issim_model *target, const double *location,
                                  double spread, issim_error *err)
{
  size_t d = issim_model_dim(target);
  if (issim_model_elliptical_form(target, NULL, NULL, NULL) != ISSIM_OK)
    return shifted_in_standard_space(target, location, spread, err);
  double df, *l = malloc(d * d * sizeof *l);
  issim_dist **comps = calloc(d, sizeof *comps);
  issim_model *m = NULL;
  if (!l || !comps) {
    issim_error_set(err, ISSIM_ENOMEM, "out of memory for the shifted target");
  } else if (issim_model_kind_of(target) == ISSIM_MODEL_INDEPENDENT) {
    issim_model_elliptical_form(target, NULL, l, &df);
    int ok = 1;
    for (size_t j = 0; ok && j < d; j++)
      ok = (comps[j] = issim_dist_alloc_normal(location[j], spread * l[j * d + j], err)) != NULL;
    if (ok)
      m = issim_model_alloc_independent(d, (const issim_dist *const *)comps, err);
  } else {
    /* spread L from the target's own factor: with spread 1 the two share L
     * exactly, and the engine draws the pair in O(d) a point after L z */
    m = issim_model_alloc_moved(target, location, spread, err);
  }
  for (size_t j = 0; comps && j < d; j++)
    issim_dist_free(comps[j]);
  free(comps), free(l);
  return m;
}

/* weights proportional to exp(log_p), by the largest (underflow is weight 0) */
static void mixture_weights(size_t n, const double *log_p, double *w)
{
  double top = -INFINITY, sum = 0;
  for (size_t i = 0; i < n; i++)
    top = log_p[i] > top ? log_p[i] : top;
  for (size_t i = 0; i < n; i++)
    sum += (w[i] = isfinite(top) ? exp(log_p[i] - top) : 1);
  for (size_t i = 0; i < n; i++)
    w[i] /= sum;
}

/* The mixture of the target (NULL: N(0, I)) moved to each of the n points,
 * weighted by exp(lp); the one part itself when n = 1. */
static issim_model *mixture_at(size_t n, size_t d, const double *pts, const double *lp,
                               double spread, const issim_model *target, issim_error *err)
{
  double *w = malloc((n ? n : 1) * sizeof *w);
  issim_model **parts = calloc(n ? n : 1, sizeof *parts), *m = NULL;
  int ok = w && parts;
  if (!ok)
    issim_error_set(err, ISSIM_ENOMEM, "out of memory for the design points");
  for (size_t i = 0; ok && i < n; i++)
    ok = (parts[i] = target ? issim_design_shifted(target, pts + i * d, spread, err)
                            : normals_at(d, pts + i * d, spread, err)) != NULL;
  if (ok) {
    mixture_weights(n, lp, w);
    if (n == 1)
      m = parts[0], parts[0] = NULL;
    else
      m = issim_model_alloc_mixture(n, (const issim_model *const *)parts, w, err);
  }
  for (size_t i = 0; parts && i < n; i++)
    issim_model_free(parts[i]);
  free(w), free(parts);
  return m;
}

issim_model *issim_design_mixture(const issim_model *target, const issim_event *ev,
                                  double spread, issim_error *err)
{
  size_t d = issim_model_dim(target), n = 0;
  size_t cap = MAX_MIXTURE < d + 1 + 2 * AXIS_STARTS_MAX_D + RANDOM_STARTS
                   ? MAX_MIXTURE : d + 1 + 2 * AXIS_STARTS_MAX_D + RANDOM_STARTS;
  /* an elliptical target moved to each point in x; any other, a mixture of
   * normals at the points in its standard space, carried to x by T */
  int standard = issim_model_elliptical_form(target, NULL, NULL, NULL) != ISSIM_OK;
  double *pts = malloc(cap * d * sizeof *pts), *lp = malloc(cap * sizeof *lp);
  issim_model *m = NULL, *qu = NULL;
  issim_transform *tr = NULL;
  int rc = pts && lp ? design_points(target, ev, cap, standard, pts, NULL, lp, &n, NULL, err)
                     : issim_error_set(err, ISSIM_ENOMEM, "out of memory for the design points");
  if (rc == ISSIM_OK && !standard)
    m = mixture_at(n, d, pts, lp, spread, target, err);
  else if (rc == ISSIM_OK && (tr = issim_transform_alloc(target, err)) != NULL &&
           (qu = mixture_at(n, d, pts, lp, spread, NULL, err)) != NULL)
    m = issim_transform_proposal(tr, qu, err);
  issim_model_free(qu);
  issim_transform_free(tr);
  free(pts), free(lp);
  return m;
}
