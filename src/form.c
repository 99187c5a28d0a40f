/* form.c: FORM and SORM (see form.h for the formulas and methods). */
#include "form.h"

#include <complex.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_eigen.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_integration.h>
#include <gsl/gsl_math.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_sf_erf.h>

#include "design.h"
#include "dist.h"
#include "loss.h"
#include "transform.h"

enum { MAX_POINTS = 1000, MIN_POINTS = 1 + 2 * 8 + 32, QUAD_INTERVALS = 200 };
/* the widest a curved proposal gets along a direction: an sd of 3 */
static const double CURVED_MAX_VARIANCE = 9;
static const double HESS_STEP = 1e-4, RHO_LIMIT = 1e-12, QUAD_EPSREL = 1e-12,
                    PEAK_REACH = 40, ZERO_BETA = 1e-12;
/* a design point whose gradient's direction is this far from u*'s (the
 * search converges to 1e-7) is at a corner */
static const double CORNER_ANGLE = 1e-3;

double issim_form_log_normal_tail(double beta)
{
  if (beta < 0) /* Q near 1: log1p of the small other tail, no cancellation
                 * (and no gsl_sf_erfc, whose underflow past 27 goes
                 * through GSL's error handler) */
    return log1p(-exp(gsl_sf_log_erfc(-beta / M_SQRT2) - M_LN2));
  return gsl_sf_log_erfc(beta / M_SQRT2) - M_LN2;
}

/* log phi(x), the standard normal density */
static double log_phi(double x)
{
  return -0.5 * x * x - 0.5 * log(2 * M_PI);
}

/* phi(x) / Q(x): gsl_sf_hazard for x >= 0; below, where GSL's underflows
 * through its error handler, from the logs (Q is near 1 there, no loss) */
static double hazard(double x)
{
  return x >= 0 ? gsl_sf_hazard(x) : exp(log_phi(x) - issim_form_log_normal_tail(x));
}

/* log(exp(a) - exp(b)) for a >= b */
static double log_diff(double a, double b)
{
  if (b == -INFINITY)
    return a;
  return a + log1p(-exp(b - a));
}

/* ---- the bivariate normal tail ---- */

typedef struct {
  double b, rho, s, peak; /* s = sqrt(1 - rho^2); peak: log f at x_m */
} bvn_params;

static double bvn_log_f(double x, const bvn_params *p)
{
  return log_phi(x) + issim_form_log_normal_tail((p->b - p->rho * x) / p->s);
}

/* d/dx log f: decreasing (log f is concave) */
static double bvn_slope(double x, const bvn_params *p)
{
  return -x + p->rho / p->s * hazard((p->b - p->rho * x) / p->s);
}

static double bvn_integrand(double x, void *params)
{
  const bvn_params *p = params;
  return exp(bvn_log_f(x, p) - p->peak);
}

static int bvn_piece(gsl_integration_cquad_workspace *ws, bvn_params *p, double lo, double hi,
                     double *sum)
{
  if (!(hi > lo))
    return 1;
  gsl_function fn = {.function = bvn_integrand, .params = p};
  double v = 0, e = 0;
  size_t nev = 0;
  int st = gsl_integration_cquad(&fn, lo, hi, 0, QUAD_EPSREL, ws, &v, &e, &nev);
  if (st != GSL_SUCCESS || !isfinite(v) || !(e <= 1e-9 * fabs(v) + 1e-300))
    return 0;
  *sum += v;
  return 1;
}

double issim_form_log_bvn_tail(double a, double b, double rho)
{
  if (isnan(a) || isnan(b) || isnan(rho) || rho < -1 - 1e-12 || rho > 1 + 1e-12)
    return NAN;
  if (a < b) { /* the larger outside: its density falls faster */
    double t = a;
    a = b, b = t;
  }
  if (rho >= 1 - RHO_LIMIT)
    return issim_form_log_normal_tail(a);
  if (rho <= -1 + RHO_LIMIT) { /* Z2 = -Z1: a < Z1 < -b */
    if (!(-b > a))
      return -INFINITY;
    return log_diff(issim_form_log_normal_tail(a), issim_form_log_normal_tail(-b));
  }
  if (a == INFINITY || b == INFINITY)
    return -INFINITY;
  if (rho == 0) /* independent */
    return issim_form_log_normal_tail(a) + issim_form_log_normal_tail(b);
  bvn_params p = {.b = b, .rho = rho, .s = sqrt((1 - rho) * (1 + rho))};
  /* the peak x_m of the log-concave integrand on [a, inf) */
  double lo = a, hi = a, xm = a;
  if (bvn_slope(a, &p) > 0) {
    double step = 1;
    do {
      lo = hi;
      hi = a + step;
      step *= 2;
    } while (bvn_slope(hi, &p) > 0 && step < 1e6);
    for (int it = 0; it < 200 && hi - lo > 1e-14 * fmax(1, fabs(hi)); it++) {
      double mid = 0.5 * (lo + hi);
      if (bvn_slope(mid, &p) > 0)
        lo = mid;
      else
        hi = mid;
    }
    xm = 0.5 * (lo + hi);
  }
  p.peak = bvn_log_f(xm, &p);
  if (p.peak == -INFINITY)
    return -INFINITY;
  gsl_integration_cquad_workspace *ws = gsl_integration_cquad_workspace_alloc(QUAD_INTERVALS);
  if (ws == NULL)
    return NAN;
  double sum = 0;
  int ok = bvn_piece(ws, &p, fmax(a, xm - PEAK_REACH), xm, &sum) &&
           bvn_piece(ws, &p, xm, xm + PEAK_REACH, &sum);
  gsl_integration_cquad_workspace_free(ws);
  if (!ok || !(sum > 0))
    return NAN;
  return p.peak + log(sum);
}

/* ---- SORM ---- */

static void say(char *why, size_t size, const char *text)
{
  if (why && size && why[0] == '\0')
    snprintf(why, size, "%s", text);
}

/* log P of the complement -> log P, NAN (with a reason) when it is >= 1. */
static void complement(double *v, char *why, size_t size)
{
  if (isnan(*v))
    return;
  if (*v >= 0) {
    *v = NAN;
    say(why, size, "the complement's SORM probability is >= 1");
  } else {
    *v = log1p(-exp(*v));
  }
}

/* The three SORM results into the outputs that were asked for. */
static void put3(double *a, double *b, double *c, double va, double vb, double vc)
{
  if (a)
    *a = va;
  if (b)
    *b = vb;
  if (c)
    *c = vc;
}

void issim_form_sorm(double beta, size_t m, const double *kappa, double *log_breitung,
                     double *log_hr, double *log_tvedt, char *why, size_t size)
{
  double lb = NAN, lh = NAN, lt = NAN;
  if (why && size)
    why[0] = '\0';
  /* beta < 0: the complement, distance -beta, curvatures -kappa */
  double s = beta < 0 ? -1 : 1, b = fabs(beta);
  double lq = issim_form_log_normal_tail(b), r = hazard(b);
  for (size_t i = 0; i < m; i++)
    if (!isfinite(kappa[i])) {
      say(why, size, "the curvatures could not be computed (the loss is not a number, or its "
                     "gradient is 0, near the point)");
      put3(log_breitung, log_hr, log_tvedt, NAN, NAN, NAN);
      return;
    }
  double log_f1 = 0, log_hr_f = 0, log_f2 = 0;
  int ok1 = 1, ok_hr = 1, ok2 = 1;
  double complex f3 = 1;
  for (size_t i = 0; i < m; i++) {
    double k = s * kappa[i];
    double t1 = 1 + b * k, th = 1 + r * k, t2 = 1 + (b + 1) * k;
    ok1 = ok1 && t1 > 0;
    ok_hr = ok_hr && th > 0;
    ok2 = ok2 && t2 > 0;
    if (t1 > 0)
      log_f1 -= 0.5 * log(t1);
    if (th > 0)
      log_hr_f -= 0.5 * log(th);
    if (t2 > 0)
      log_f2 -= 0.5 * log(t2);
    f3 /= csqrt(1 + (b + I) * k);
  }
  const char *refusal = "1 + beta kappa <= 0 for a curvature: the surface curves round the "
                        "origin more tightly than the sphere of radius beta, so the point is no "
                        "local minimum of |u| (a saddle of the search)";
  if (ok1)
    lb = lq + log_f1;
  else
    say(why, size, refusal);
  if (ok_hr)
    lh = lq + log_hr_f;
  else
    say(why, size, "1 + (phi(beta)/Phi(-beta)) kappa <= 0 for a curvature: "
                   "Hohenbichler-Rackwitz's formula does not apply");
  if (ok1 && ok2) {
    /* P / Q(beta) = F1 + (beta - r)(F1 - F2) + (beta + 1)(beta - r)(F1 - Re F3) */
    double f1 = exp(log_f1), f2 = exp(log_f2), br = b - r;
    double factor = f1 + br * (f1 - f2) + (b + 1) * br * (f1 - creal(f3));
    if (factor > 0 && isfinite(factor))
      lt = lq + log(factor);
    else
      say(why, size, "Tvedt's three terms sum to a probability <= 0 here");
  } else {
    say(why, size, ok1 ? "1 + (beta + 1) kappa <= 0 for a curvature: Tvedt's formula does not "
                         "apply"
                       : refusal);
  }
  if (beta < 0) { /* P = 1 - P(complement) */
    complement(&lb, why, size);
    complement(&lh, why, size);
    complement(&lt, why, size);
  }
  put3(log_breitung, log_hr, log_tvedt, lb, lh, lt);
}

/* ---- the union ---- */

static double log_sum_exp(size_t n, const double *v)
{
  double top = -INFINITY, s = 0;
  for (size_t i = 0; i < n; i++) {
    if (isnan(v[i]))
      return NAN;
    top = v[i] > top ? v[i] : top;
  }
  if (top == -INFINITY)
    return top;
  for (size_t i = 0; i < n; i++)
    s += exp(v[i] - top);
  return top + log(s);
}

int issim_form_ditlevsen(size_t n, size_t d, const double *beta, const double *alpha,
                         double *log_lower, double *log_upper, double *log_sum)
{
  *log_lower = *log_upper = NAN;
  size_t *ord = malloc((n ? n : 1) * sizeof *ord);
  double *lp = calloc(n ? n : 1, sizeof *lp), *pij = calloc(n ? n * n : 1, sizeof *pij);
  if (!ord || !lp || !pij) {
    free(ord), free(lp), free(pij);
    return ISSIM_ENOMEM;
  }
  for (size_t i = 0; i < n; i++) {
    lp[i] = issim_form_log_normal_tail(beta[i]);
    ord[i] = i;
  }
  *log_sum = log_sum_exp(n, lp);
  for (size_t i = 1; i < n; i++) /* by decreasing P */
    for (size_t k = i; k > 0 && lp[ord[k]] > lp[ord[k - 1]]; k--) {
      size_t t = ord[k];
      ord[k] = ord[k - 1], ord[k - 1] = t;
    }
  if (n == 0) {
    *log_lower = *log_upper = -INFINITY;
    free(ord), free(lp), free(pij);
    return ISSIM_OK;
  }
  double top = lp[ord[0]];
  int ok = 1;
  /* relative to the largest P: p_i = P_i / P_1, p_ij = P_ij / P_1 */
  for (size_t i = 1; ok && i < n; i++)
    for (size_t j = 0; ok && j < i; j++) {
      const double *ai = alpha + ord[i] * d, *aj = alpha + ord[j] * d;
      double rho = 0;
      for (size_t k = 0; k < d; k++)
        rho += ai[k] * aj[k];
      rho = fmax(-1, fmin(1, rho));
      double l = issim_form_log_bvn_tail(beta[ord[i]], beta[ord[j]], rho);
      ok = !isnan(l);
      pij[i * n + j] = exp(l - top);
    }
  if (ok) {
    double lower = 1, upper = 1;
    for (size_t i = 1; i < n; i++) {
      double pi = exp(lp[ord[i]] - top), s = 0, mx = 0;
      for (size_t j = 0; j < i; j++) {
        s += pij[i * n + j];
        mx = fmax(mx, pij[i * n + j]);
      }
      lower += fmax(0, pi - s);
      upper += pi - mx;
    }
    *log_lower = top + log(lower);
    *log_upper = top + log(fmax(upper, lower));
  }
  free(ord), free(lp), free(pij);
  return ok ? ISSIM_OK : ISSIM_EINVAL;
}

/* ---- the analysis ---- */

typedef struct {
  size_t d;
  const double *mu, *l;
  const issim_transform *tr; /* non-NULL: x = T(u) (transform.h), not mu + L u */
  const issim_event *ev;
  double *pts, *vals; /* up to 2 + 4 (d - 1) points */
  double *ts;         /* d: T's scratch */
  int want_dirs;      /* the points' principal directions too */
  int failed;         /* the loss failed (loss.h) */
  char failure[ISSIM_ERROR_MESSAGE_SIZE];
} standard;

/* The losses of the first n points of sp->pts; a failure gives NaNs and is
 * kept (fill_point reports it). */
static void eval_stencil(standard *sp, size_t n)
{
  issim_loss_eval_noting(sp->ev->loss, n, sp->pts, sp->vals, &sp->failed, sp->failure,
                         sizeof sp->failure);
}

/* x = mu + L u + h (a L e_j + b L e_k), x0 = mu + L u; or T(u + h (a e_j +
 * b e_k)): into x */
static void point_at(const standard *sp, const double *x0, const double *u0, double h, size_t j,
                     double a, size_t k, double b, double *x)
{
  size_t d = sp->d;
  if (sp->tr) {
    memcpy(x, u0, d * sizeof *x);
    x[j] += h * a;
    x[k] += h * b;
    issim_transform_to_x(sp->tr, 1, x, x, NULL, sp->ts);
    return;
  }
  for (size_t i = 0; i < d; i++)
    x[i] = x0[i] + h * (a * sp->l[i * d + j] + b * sp->l[i * d + k]);
}

static double c_of(const standard *sp, double g)
{
  return sp->ev->direction * (g - sp->ev->threshold);
}

/* The Hessian hess[d*d] and gradient gr[d] of c at u0 (x0 its point) by
 * central differences of step h. */
static void hessian(standard *sp, const double *x0, const double *u0, double h, double *hess,
                    double *gr)
{
  size_t d = sp->d;
  memcpy(sp->pts, x0, d * sizeof *x0);
  eval_stencil(sp, 1);
  double c0 = c_of(sp, sp->vals[0]);
  for (size_t j = 0; j < d; j++) {
    size_t n = 0;
    point_at(sp, x0, u0, h, j, 1, j, 0, sp->pts + n++ * d);
    point_at(sp, x0, u0, h, j, -1, j, 0, sp->pts + n++ * d);
    for (size_t k = j + 1; k < d; k++) {
      point_at(sp, x0, u0, h, j, 1, k, 1, sp->pts + n++ * d);
      point_at(sp, x0, u0, h, j, 1, k, -1, sp->pts + n++ * d);
      point_at(sp, x0, u0, h, j, -1, k, 1, sp->pts + n++ * d);
      point_at(sp, x0, u0, h, j, -1, k, -1, sp->pts + n++ * d);
    }
    eval_stencil(sp, n);
    double cp = c_of(sp, sp->vals[0]), cm = c_of(sp, sp->vals[1]);
    gr[j] = (cp - cm) / (2 * h);
    hess[j * d + j] = (cp - 2 * c0 + cm) / (h * h);
    for (size_t k = j + 1, q = 2; k < d; k++, q += 4) {
      double v = (c_of(sp, sp->vals[q]) - c_of(sp, sp->vals[q + 1]) - c_of(sp, sp->vals[q + 2]) +
                  c_of(sp, sp->vals[q + 3])) / (4 * h * h);
      hess[j * d + k] = hess[k * d + j] = v;
    }
  }
}

/* The tangent principal directions into dirs (d - 1 unit vectors of u, row
 * by row, in the order of the ascending curvatures): the eigenvectors of the
 * tangent-plane Hessian b (destroyed) carried back by R's first d - 1
 * columns.  GSL's eigenvalues with vectors, sorted descending (the
 * curvatures are their negatives over |grad c|). */
static int principal_directions(size_t d, gsl_matrix *b, const double *r, double *dirs)
{
  gsl_eigen_symmv_workspace *ws = gsl_eigen_symmv_alloc(d - 1);
  gsl_vector *eval = gsl_vector_alloc(d - 1);
  gsl_matrix *evec = gsl_matrix_alloc(d - 1, d - 1);
  int rc = ws && eval && evec ? ISSIM_OK : ISSIM_ENOMEM;
  if (rc == ISSIM_OK && gsl_eigen_symmv(b, eval, evec, ws) != GSL_SUCCESS)
    rc = ISSIM_EINVAL;
  if (rc == ISSIM_OK)
    gsl_eigen_symmv_sort(eval, evec, GSL_EIGEN_SORT_VAL_DESC);
  for (size_t j = 0; rc == ISSIM_OK && j < d - 1; j++)
    for (size_t i = 0; i < d; i++) {
      double s = 0;
      for (size_t k = 0; k < d - 1; k++)
        s += r[i * d + k] * gsl_matrix_get(evec, k, j);
      dirs[j * d + i] = s;
    }
  if (ws)
    gsl_eigen_symmv_free(ws);
  gsl_vector_free(eval);
  gsl_matrix_free(evec);
  return rc;
}

/* The principal curvatures kappa[d-1] (ascending) from the Hessian of c
 * (destroyed), |grad c| and the unit normal alpha; with dirs non-NULL, their
 * directions too (principal_directions). */
static int curvatures(size_t d, double *hess, double gnorm, const double *alpha, double *kappa,
                      double *dirs)
{
  if (d < 2)
    return ISSIM_OK;
  double *r = malloc(d * d * sizeof *r), *v = malloc(d * sizeof *v), *a = malloc(d * d * sizeof *a);
  gsl_eigen_symm_workspace *ws = gsl_eigen_symm_alloc(d - 1);
  gsl_vector *eval = gsl_vector_alloc(d - 1);
  int rc = ISSIM_OK;
  if (!r || !v || !a || !ws || !eval) {
    rc = ISSIM_ENOMEM;
    goto done;
  }
  /* R = I - 2 v v^T / v.v, v = alpha + sign(alpha_d) e_d: R e_d = -+alpha */
  double sg = alpha[d - 1] < 0 ? -1 : 1, vv = 0;
  for (size_t i = 0; i < d; i++) {
    v[i] = alpha[i] + (i == d - 1 ? sg : 0);
    vv += v[i] * v[i];
  }
  for (size_t i = 0; i < d; i++)
    for (size_t j = 0; j < d; j++)
      r[i * d + j] = (i == j) - 2 * v[i] * v[j] / vv;
  /* a = H R, then the (d-1) block of R^T a */
  for (size_t i = 0; i < d; i++)
    for (size_t j = 0; j < d - 1; j++) {
      double s = 0;
      for (size_t k = 0; k < d; k++)
        s += hess[i * d + k] * r[k * d + j];
      a[i * d + j] = s;
    }
  gsl_matrix *b = gsl_matrix_alloc(d - 1, d - 1);
  if (b == NULL) {
    rc = ISSIM_ENOMEM;
    goto done;
  }
  for (size_t i = 0; i < d - 1; i++)
    for (size_t j = 0; j < d - 1; j++) {
      double s = 0;
      for (size_t k = 0; k < d; k++)
        s += r[k * d + i] * a[k * d + j];
      gsl_matrix_set(b, i, j, s);
    }
  for (size_t i = 0; i < d - 1; i++) /* symmetric to rounding: make it exactly */
    for (size_t j = 0; j < i; j++) {
      double s = 0.5 * (gsl_matrix_get(b, i, j) + gsl_matrix_get(b, j, i));
      gsl_matrix_set(b, i, j, s);
      gsl_matrix_set(b, j, i, s);
    }
  gsl_matrix *bv = dirs ? gsl_matrix_alloc(d - 1, d - 1) : NULL;
  if (bv)
    gsl_matrix_memcpy(bv, b);
  if (dirs)
    rc = bv == NULL ? ISSIM_ENOMEM : principal_directions(d, bv, r, dirs);
  gsl_matrix_free(bv);
  if (rc == ISSIM_OK && gsl_eigen_symm(b, eval, ws) != GSL_SUCCESS)
    rc = ISSIM_EINVAL;
  for (size_t i = 0; rc == ISSIM_OK && i < d - 1; i++)
    kappa[i] = -gsl_vector_get(eval, i) / gnorm;
  for (size_t i = 1; rc == ISSIM_OK && i < d - 1; i++) /* ascending */
    for (size_t k = i; k > 0 && kappa[k] < kappa[k - 1]; k--) {
      double t = kappa[k];
      kappa[k] = kappa[k - 1], kappa[k - 1] = t;
    }
  gsl_matrix_free(b);
done:
  free(r), free(v), free(a);
  if (ws)
    gsl_eigen_symm_free(ws);
  if (eval)
    gsl_vector_free(eval);
  return rc;
}

void issim_form_result_free(issim_form_result *r)
{
  if (r == NULL)
    return;
  for (size_t i = 0; r->points && i < r->n; i++) {
    issim_form_point *p = &r->points[i];
    free(p->x), free(p->u), free(p->alpha), free(p->importance), free(p->kappa);
    free(p->directions);
  }
  free(r->points);
  r->points = NULL;
  r->n = 0;
}

static const char *const UNSUPPORTED =
    "FORM needs a target with a standard space: a multivariate normal, a multivariate t "
    "(approximate), independent components, a Gaussian copula, or a univariate target";

/* one point (x and u set): alpha, importance, curvatures and SORM */
static int analyse_point(standard *sp, int closed, double *hess, double *gr, issim_form_point *p)
{
  size_t d = sp->d;
  double nu = 0;
  for (size_t j = 0; j < d; j++)
    nu += p->u[j] * p->u[j];
  nu = sqrt(nu);
  p->grad_norm = NAN;
  if (!closed) {
    hessian(sp, p->x, p->u, HESS_STEP * fmax(1, nu), hess, gr);
    double g2 = 0;
    for (size_t j = 0; j < d; j++)
      g2 += gr[j] * gr[j];
    p->grad_norm = sqrt(g2);
  }
  if (fabs(p->beta) > ZERO_BETA * fmax(1, nu) || closed) {
    for (size_t j = 0; j < d; j++)
      p->alpha[j] = p->beta != 0 ? p->u[j] / p->beta : 0;
  } else {
    for (size_t j = 0; j < d; j++)
      p->alpha[j] = gr[j] / p->grad_norm;
  }
  if (closed && p->beta == 0) { /* the closed form's normal: L^T w direction is u's sign */
    for (size_t j = 0; j < d; j++)
      p->alpha[j] = NAN;
  }
  for (size_t j = 0; j < d; j++)
    p->importance[j] = p->alpha[j] * p->alpha[j];
  p->n_curvatures = d - 1;
  p->corner = 0;
  if (!closed && p->grad_norm > 0 && isfinite(p->grad_norm)) {
    double off = 0; /* a smooth design point has u* along the gradient */
    for (size_t j = 0; j < d; j++)
      off += (gr[j] / p->grad_norm - p->alpha[j]) * (gr[j] / p->grad_norm - p->alpha[j]);
    p->corner = sqrt(off) > CORNER_ANGLE;
  }
  if (closed) {
    for (size_t i = 0; i + 1 < d; i++)
      p->kappa[i] = 0;
  } else if (!(p->grad_norm > 0) || !isfinite(p->grad_norm) || p->corner) {
    for (size_t i = 0; i + 1 < d; i++)
      p->kappa[i] = NAN;
  } else {
    if (sp->want_dirs && d > 1 && (p->directions = malloc(d * (d - 1) * sizeof(double))) == NULL)
      return ISSIM_ENOMEM;
    int rc = curvatures(d, hess, p->grad_norm, p->alpha, p->kappa, p->directions);
    if (rc == ISSIM_ENOMEM)
      return rc;
    if (rc != ISSIM_OK)
      for (size_t i = 0; i + 1 < d; i++)
        p->kappa[i] = NAN;
    if (rc != ISSIM_OK) { /* no directions either */
      free(p->directions);
      p->directions = NULL;
    }
  }
  return ISSIM_OK;
}

/* Design point p of the search (pt: x, or u when sp->tr; beta, its
 * first-order log P lp) with its standard-space analysis and SORM. */
static int fill_point(standard *sp, int closed_form, int normal_space, const double *pt,
                      double beta, double lp, double *hess, double *gr, issim_form_point *p,
                      issim_error *err)
{
  size_t d = sp->d;
  p->x = malloc(d * sizeof *p->x);
  p->u = malloc(d * sizeof *p->u);
  p->alpha = malloc(d * sizeof *p->alpha);
  p->importance = malloc(d * sizeof *p->importance);
  p->kappa = malloc(d * sizeof *p->kappa);
  if (!p->x || !p->u || !p->alpha || !p->importance || !p->kappa)
    return issim_error_set(err, ISSIM_ENOMEM, "out of memory for FORM");
  if (sp->tr) {
    memcpy(p->u, pt, d * sizeof *p->u);
    issim_transform_to_x(sp->tr, 1, p->u, p->x, NULL, sp->ts);
  } else {
    memcpy(p->x, pt, d * sizeof *p->x);
    for (size_t i = 0; i < d; i++) { /* u = L^-1 (x - mu) */
      double s = p->x[i] - sp->mu[i];
      for (size_t j = 0; j < i; j++)
        s -= sp->l[i * d + j] * p->u[j];
      p->u[i] = s / sp->l[i * d + i];
    }
  }
  p->beta = beta;
  p->log_p_form = normal_space ? issim_form_log_normal_tail(beta) : lp;
  if (analyse_point(sp, closed_form, hess, gr, p) != ISSIM_OK)
    return issim_error_set(err, ISSIM_ENOMEM, "out of memory for FORM");
  if (sp->failed)
    return issim_error_set(err, ISSIM_ELOSS, "the loss failed computing the curvatures: %.960s",
                           sp->failure);
  if (p->corner) {
    p->log_p_breitung = p->log_p_hr = p->log_p_tvedt = NAN;
    snprintf(p->sorm_why, sizeof p->sorm_why, "the point is at a corner of the limit surface "
             "(two limit states meet there: the gradient is not along u*), which has no "
             "curvatures; FORM's half-space holds the corner's wedge and more");
  } else if (normal_space) {
    issim_form_sorm(p->beta, p->n_curvatures, p->kappa, &p->log_p_breitung, &p->log_p_hr,
                    &p->log_p_tvedt, p->sorm_why, sizeof p->sorm_why);
  } else {
    p->log_p_breitung = p->log_p_hr = p->log_p_tvedt = NAN;
    snprintf(p->sorm_why, sizeof p->sorm_why, "SORM's formulas integrate a normal density: "
                                               "they do not apply to a t target");
  }
  return ISSIM_OK;
}

/* The union's sums (FORM, and each SORM formula over the points where it is
 * defined) and each point's share; lp: room for n values. */
static void sum_regions(issim_form_result *r, double *lp)
{
  size_t n = r->n;
  for (size_t i = 0; i < n; i++)
    lp[i] = r->points[i].log_p_form;
  r->log_sum_form = log_sum_exp(n, lp);
  for (size_t i = 0; i < n; i++)
    r->points[i].share = exp(r->points[i].log_p_form - r->log_sum_form);
  double *sums[3] = {&r->log_sum_breitung, &r->log_sum_hr, &r->log_sum_tvedt};
  for (int k = 0; k < 3; k++) {
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
      double v = k == 0 ? r->points[i].log_p_breitung
                 : k == 1 ? r->points[i].log_p_hr : r->points[i].log_p_tvedt;
      if (!isnan(v))
        lp[m++] = v;
      else if (k == 0)
        r->sorm_excluded++;
    }
    *sums[k] = m ? log_sum_exp(m, lp) : NAN;
  }
}

/* The Ditlevsen bounds of the union of the linearised regions. */
static int union_bounds(issim_form_result *r, const double *beta, const double *alpha,
                        issim_error *err)
{
  size_t n = r->n, d = r->d;
  r->log_ditlevsen_lower = r->log_ditlevsen_upper = NAN;
  if (!r->normal_space) {
    snprintf(r->union_why, sizeof r->union_why, "the Ditlevsen bounds need a normal standard "
                                                "space (a bivariate t is not implemented)");
    return ISSIM_OK;
  }
  int alpha_ok = 1;
  for (size_t i = 0; i < n * d; i++)
    alpha_ok = alpha_ok && isfinite(alpha[i]);
  double ls;
  int dr = alpha_ok ? issim_form_ditlevsen(n, d, beta, alpha, &r->log_ditlevsen_lower,
                                           &r->log_ditlevsen_upper, &ls)
                    : ISSIM_EINVAL;
  if (dr == ISSIM_ENOMEM)
    return issim_error_set(err, ISSIM_ENOMEM, "out of memory for FORM");
  if (dr != ISSIM_OK)
    snprintf(r->union_why, sizeof r->union_why, "%s",
             alpha_ok ? "a bivariate normal probability did not converge"
                      : "a design point has no normal (beta = 0 in a closed form)");
  return ISSIM_OK;
}

/* The effort of the search into r. */
static void copy_stats(issim_form_result *r, const issim_design_stats *st)
{
  r->closed_form = st->closed_form;
  r->design_evals = st->loss_evals;
  r->starts = st->starts;
  r->converged = st->converged;
  r->found = st->found;
  r->last_new_start = st->last_new_start;
  r->corners = st->corners;
}

/* The target's standard space: elliptical (e filled: x = mu + L u) or its
 * transform (*tr); ISSIM_EINVAL when it has neither. */
static int standard_space(const issim_model *target, issim_model_elliptical *e, issim_transform **tr,
                          issim_error *err)
{
  *tr = NULL;
  if (issim_model_elliptical_of(target, e))
    return ISSIM_OK;
  e->df = INFINITY; /* T's u is standard normal */
  if ((*tr = issim_transform_alloc(target, NULL)) != NULL)
    return ISSIM_OK;
  char desc[128];
  issim_model_describe(target, desc, sizeof desc);
  return issim_error_set(err, ISSIM_EINVAL, "%s; not %s", UNSUPPORTED, desc);
}

/* issim_form_analyse, with each point's principal directions when want_dirs. */
static int form_analyse(const issim_model *target, const issim_event *ev, int want_dirs,
                        issim_form_result *r, issim_error *err)
{
  *r = (issim_form_result){0};
  size_t d = issim_model_dim(target);
  issim_model_elliptical e;
  issim_transform *tr;
  int rc = standard_space(target, &e, &tr, err);
  if (rc != ISSIM_OK) {
    issim_model_elliptical_free(&e);
    return rc;
  }
  size_t cap = d > MIN_POINTS ? d : MIN_POINTS;
  cap = cap < MAX_POINTS ? cap : MAX_POINTS;
  size_t stencil = 2 + 4 * (d - 1);
  double *pt = malloc(cap * d * sizeof *pt), *beta = malloc(cap * sizeof *beta);
  double *lp = malloc(cap * sizeof *lp), *hess = malloc(d * d * sizeof *hess);
  double *gr = malloc(d * sizeof *gr), *alpha = malloc(cap * d * sizeof *alpha);
  standard sp = {.d = d, .mu = e.mu, .l = e.l, .tr = tr, .ev = ev,
                 .pts = malloc(stencil * d * sizeof(double)),
                 .vals = malloc(stencil * sizeof(double)), .ts = malloc(d * sizeof(double)),
                 .want_dirs = want_dirs};
  issim_design_stats st;
  size_t n = 0;
  if (!pt || !beta || !lp || !hess || !gr || !alpha || !sp.pts || !sp.vals || !sp.ts)
    rc = issim_error_set(err, ISSIM_ENOMEM, "out of memory for FORM");
  else if (tr) /* the points in u, x = T(u) */
    rc = issim_design_standard_points(target, ev, cap, pt, beta, lp, &n, &st, err);
  else
    rc = issim_design_points_stats(target, ev, cap, pt, beta, lp, &n, &st, err);
  if (rc == ISSIM_OK && (r->points = calloc(n ? n : 1, sizeof *r->points)) == NULL)
    rc = issim_error_set(err, ISSIM_ENOMEM, "out of memory for FORM");
  if (rc == ISSIM_OK) {
    r->d = d;
    r->df = e.df;
    r->normal_space = isinf(e.df);
    r->transformed = tr != NULL;
    copy_stats(r, &st);
    r->n = n;
  }
  const uint64_t calls = issim_loss_calls(sp.ev->loss); /* the curvatures': the loss counts */
  for (size_t i = 0; i < n && rc == ISSIM_OK; i++) {
    rc = fill_point(&sp, st.closed_form, r->normal_space, pt + i * d, beta[i], lp[i], hess, gr,
                    &r->points[i], err);
    if (rc == ISSIM_OK) {
      memcpy(alpha + i * d, r->points[i].alpha, d * sizeof *alpha);
      lp[i] = r->points[i].log_p_form;
    }
  }
  if (rc == ISSIM_OK) {
    r->hessian_evals = (size_t)(issim_loss_calls(sp.ev->loss) - calls);
    sum_regions(r, lp);
    rc = union_bounds(r, beta, alpha, err);
  }
  if (rc != ISSIM_OK)
    issim_form_result_free(r);
  free(pt), free(beta), free(lp), free(hess), free(gr), free(alpha), free(sp.pts), free(sp.vals);
  free(sp.ts);
  issim_model_elliptical_free(&e);
  issim_transform_free(tr);
  return rc;
}

int issim_form_analyse(const issim_model *target, const issim_event *ev, issim_form_result *r,
                       issim_error *err)
{
  return form_analyse(target, ev, 0, r, err);
}

/* ---- proposals fitted to the curvatures ---- */

/* The zero-variance density's variance along a principal direction of
 * curvature kappa at beta > 0: 1 / (1 + beta kappa) (the event beyond a
 * quadratic surface), where that is above 1; 1 where it is below (never
 * narrower than the target); CURVED_MAX_VARIANCE at most, and that where 1 +
 * beta kappa <= 0 (the point is no minimum of |u| on the surface). */
static double curved_variance(double beta, double kappa)
{
  if (!(beta > 0) || !(kappa < 0))
    return 1; /* also NAN: the curvature is unknown */
  double f = 1 + beta * kappa;
  return f <= 0 ? CURVED_MAX_VARIANCE : fmin(CURVED_MAX_VARIANCE, fmax(1, 1 / f));
}

/* The covariance in u at point p: I + sum_j (v_j - 1) e_j e_j^T over its
 * principal directions e_j (the identity without them: a flat surface). */
static void curved_covariance(size_t d, const issim_form_point *p, double *c)
{
  for (size_t i = 0; i < d * d; i++)
    c[i] = i % (d + 1) == 0;
  for (size_t j = 0; p->directions && j + 1 < d; j++) {
    const double *e = p->directions + j * d, w = curved_variance(p->beta, p->kappa[j]) - 1;
    for (size_t a = 0; w != 0 && a < d; a++)
      for (size_t b = 0; b < d; b++)
        c[a * d + b] += w * e[a] * e[b];
  }
}

/* Point p's part: N(u*, c) of u, or for an elliptical target (e) the target
 * moved to x* with its covariance (scale) L c L^T. */
static issim_model *curved_part(const issim_model_elliptical *e, size_t d, const issim_form_point *p,
                                double *c, double *t, issim_error *err)
{
  if (e == NULL)
    return issim_model_alloc_normal(d, p->u, c, err);
  for (size_t a = 0; a < d; a++) /* t = L c, then c = t L^T */
    for (size_t b = 0; b < d; b++) {
      double s = 0;
      for (size_t k = 0; k <= a; k++)
        s += e->l[a * d + k] * c[k * d + b];
      t[a * d + b] = s;
    }
  for (size_t a = 0; a < d; a++)
    for (size_t b = 0; b <= a; b++) {
      double s = 0;
      for (size_t k = 0; k <= b; k++)
        s += t[a * d + k] * e->l[b * d + k];
      c[a * d + b] = c[b * d + a] = s;
    }
  return isinf(e->df) ? issim_model_alloc_normal(d, p->x, c, err)
                      : issim_model_alloc_student_t(d, e->df, p->x, c, err);
}

/* The mixture of the parts at the first n points, weighted by their FORM
 * probabilities (the one part when n = 1); for a target without an
 * elliptical form (e NULL) a model of u. */
static issim_model *curved_mixture(const issim_model_elliptical *e, const issim_form_result *r,
                                   size_t n, issim_error *err)
{
  size_t d = r->d;
  double *c = malloc(2 * d * d * sizeof *c), *w = malloc(n * sizeof *w), top = -INFINITY, sum = 0;
  issim_model **parts = calloc(n, sizeof *parts), *m = NULL;
  int ok = c && w && parts;
  if (!ok)
    issim_error_set(err, ISSIM_ENOMEM, "out of memory for the proposal");
  for (size_t i = 0; ok && i < n; i++) {
    curved_covariance(d, &r->points[i], c);
    ok = (parts[i] = curved_part(e, d, &r->points[i], c, c + d * d, err)) != NULL;
    top = fmax(top, r->points[i].log_p_form);
  }
  for (size_t i = 0; ok && i < n; i++)
    sum += (w[i] = isfinite(top) ? exp(r->points[i].log_p_form - top) : 1);
  for (size_t i = 0; ok && i < n; i++)
    w[i] /= sum;
  if (ok && n == 1)
    m = parts[0], parts[0] = NULL;
  else if (ok)
    m = issim_model_alloc_mixture(n, (const issim_model *const *)parts, w, err);
  for (size_t i = 0; parts && i < n; i++)
    issim_model_free(parts[i]);
  free(c), free(w), free(parts);
  return m;
}

issim_model *issim_form_curved_proposal(const issim_model *target, const issim_event *ev,
                                        int all_points, issim_error *err)
{
  issim_form_result r;
  if (form_analyse(target, ev, 1, &r, err) != ISSIM_OK)
    return NULL;
  issim_model_elliptical e;
  int elliptical = issim_model_elliptical_of(target, &e);
  issim_transform *tr = elliptical ? NULL : issim_transform_alloc(target, err);
  issim_model *qu = NULL, *m = NULL;
  if (elliptical)
    m = curved_mixture(&e, &r, all_points ? r.n : 1, err);
  else if (tr && (qu = curved_mixture(NULL, &r, all_points ? r.n : 1, err)) != NULL)
    m = issim_transform_proposal(tr, qu, err);
  issim_model_free(qu);
  issim_transform_free(tr);
  issim_model_elliptical_free(&e);
  issim_form_result_free(&r);
  return m;
}

int issim_form_supported(const issim_problem *pb)
{
  if (issim_problem_line_target(pb))
    return 1; /* any family: a model of dimension 1 */
  issim_transform *tr = issim_transform_alloc(pb->target, NULL);
  issim_transform_free(tr);
  return tr != NULL;
}

int issim_form_analyse_problem(const issim_problem *pb, issim_form_result *r, issim_error *err)
{
  *r = (issim_form_result){0};
  const issim_dist *t = issim_problem_line_target(pb);
  if (t == NULL && pb->event.loss)
    return issim_form_analyse(pb->target, &pb->event, r, err);
  if (t == NULL) {
    char desc[128] = "this target";
    issim_problem_describe_target(pb, desc, sizeof desc);
    return issim_error_set(err, ISSIM_EINVAL, "%s; not %s", UNSUPPORTED, desc);
  }
  /* a univariate target: a model of dimension 1 and the identity loss */
  issim_model *m = NULL;
  if (t->kind != ISSIM_DIST_STUDENT_T) {
    m = issim_model_alloc_independent(1, &t, err);
  } else { /* student-t: df, location, scale */
    double scale2 = t->param[2] * t->param[2];
    m = issim_model_alloc_student_t(1, t->param[0], &t->param[1], &scale2, err);
  }
  issim_loss *g = m ? issim_loss_alloc(ISSIM_LOSS_IDENTITY, 1, err) : NULL;
  int rc = ISSIM_ENOMEM;
  if (m && g) {
    issim_event ev = pb->event;
    ev.loss = g;
    rc = issim_form_analyse(m, &ev, r, err);
  }
  issim_loss_free(g);
  issim_model_free(m);
  return rc;
}
