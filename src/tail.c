#include "tail.h"
#include "transform.h"
#include "linalg.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_eigen.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_matrix.h>

static issim_tail stretched(double k, double a, double b, double c)
{
  return (issim_tail){ISSIM_TAIL_STRETCHED, k, a, b, c};
}

static issim_tail power_law(double alpha)
{
  return (issim_tail){ISSIM_TAIL_POWER, 0, alpha, 0, 0};
}

static const issim_tail bounded = {ISSIM_TAIL_BOUNDED, 0, 0, 0, 0};

/* The upper tail: log p(x) as x -> +inf. */
static issim_tail upper_tail(const issim_dist *d)
{
  const double *v = d->param;
  switch (d->kind) {
  case ISSIM_DIST_NORMAL: /* -(x - m)^2 / 2s^2 = -x^2/2s^2 + (m/s^2) x + ... */
    return stretched(2, 1 / (2 * v[1] * v[1]), v[0] / (v[1] * v[1]), 0);
  case ISSIM_DIST_STUDENT_T: return power_law(v[0]);
  case ISSIM_DIST_EXPONENTIAL: return stretched(1, v[0], 0, 0);
  case ISSIM_DIST_GAMMA: return stretched(1, 1 / v[1], 0, v[0] - 1);
  case ISSIM_DIST_LOGNORMAL: /* -(L - m)^2/2s^2 - L with L = log x */
    return (issim_tail){ISSIM_TAIL_LOGNORMAL, 0, 1 / (2 * v[1] * v[1]), v[0] / (v[1] * v[1]) - 1, 0};
  case ISSIM_DIST_LAPLACE:
  case ISSIM_DIST_LOGISTIC:
  case ISSIM_DIST_GUMBEL: return stretched(1, 1 / v[1], 0, 0);
  case ISSIM_DIST_CAUCHY: return power_law(1);
  case ISSIM_DIST_WEIBULL: return stretched(v[0], pow(v[1], -v[0]), 0, v[0] - 1);
  case ISSIM_DIST_PARETO: return power_law(v[0]);
  case ISSIM_DIST_CHI_SQUARED: return stretched(1, 0.5, 0, v[0] / 2 - 1);
  case ISSIM_DIST_TRUNCATED_NORMAL: /* the normal's, when not cut */
    return isfinite(d->upper) ? bounded : stretched(2, 1 / (2 * v[1] * v[1]), v[0] / (v[1] * v[1]), 0);
  case ISSIM_DIST_GEV: /* shape > 0: x^-(1/shape + 1); 0: the Gumbel's; < 0: an upper end */
    if (isfinite(d->upper))
      return bounded;
    return isfinite(d->lower) ? power_law(1 / v[2]) : stretched(1, 1 / v[1], 0, 0);
  case ISSIM_DIST_UNIFORM:
  case ISSIM_DIST_BETA:
  case ISSIM_DIST_TRIANGULAR:
  default: return bounded;
  }
}

/* The lower tail: log p(x) as x -> -inf, written in y = -x -> +inf. */
static issim_tail lower_tail(const issim_dist *d)
{
  const double *v = d->param;
  switch (d->kind) {
  case ISSIM_DIST_NORMAL:
    return stretched(2, 1 / (2 * v[1] * v[1]), -v[0] / (v[1] * v[1]), 0);
  case ISSIM_DIST_STUDENT_T: return power_law(v[0]);
  case ISSIM_DIST_CAUCHY: return power_law(1);
  case ISSIM_DIST_LAPLACE:
  case ISSIM_DIST_LOGISTIC: return stretched(1, 1 / v[1], 0, 0);
  case ISSIM_DIST_GUMBEL: /* -z - exp(-z): exp(y / scale) dominates */
    return (issim_tail){ISSIM_TAIL_DOUBLE_EXP, 0, 1 / v[1], 0, 0};
  case ISSIM_DIST_TRUNCATED_NORMAL:
    return isfinite(d->lower) ? bounded : stretched(2, 1 / (2 * v[1] * v[1]), -v[0] / (v[1] * v[1]), 0);
  case ISSIM_DIST_GEV: {
    if (isfinite(d->lower)) /* a Frechet's lower end */
      return bounded;
    if (!isfinite(d->upper)) /* the Gumbel's */
      return (issim_tail){ISSIM_TAIL_DOUBLE_EXP, 0, 1 / v[1], 0, 0};
    /* shape < 0: log p = (1 + shape) log t - t, t = (1 + |shape| (y + location) / scale)^k,
     * k = 1/|shape|: -(|shape|/scale)^k y^k + (k - 1) log y + lower powers of y (a
     * reflected Weibull's) */
    const double k = -1 / v[2];
    return stretched(k, pow(-v[2] / v[1], k), 0, k - 1);
  }
  default: return bounded;
  }
}

issim_tail issim_dist_tail(const issim_dist *d, int side)
{
  return side > 0 ? upper_tail(d) : lower_tail(d);
}

double issim_dist_endpoint_exponent(const issim_dist *d, double e)
{
  const double *v = d->param;
  int at_lower = e == d->lower, at_upper = e == d->upper;
  if (!at_lower && !at_upper)
    return 0;
  switch (d->kind) {
  case ISSIM_DIST_GAMMA:
  case ISSIM_DIST_WEIBULL: return v[0] - 1;
  case ISSIM_DIST_CHI_SQUARED: return v[0] / 2 - 1;
  case ISSIM_DIST_LOGNORMAL: return INFINITY; /* exp(-(log x)^2 / 2s^2) at 0 */
  case ISSIM_DIST_BETA: return at_lower ? v[0] - 1 : v[1] - 1;
  case ISSIM_DIST_GEV: /* a Frechet's lower end: exp(-c (x - e)^-1/shape); a reverse Weibull's upper: (e - x)^(-1/shape - 1) */
    return at_lower ? INFINITY : -1 / v[2] - 1;
  case ISSIM_DIST_TRIANGULAR: /* linear to 0, unless the mode is at that end */
    return at_lower ? (v[1] > v[0] ? 1 : 0) : (v[1] < v[2] ? 1 : 0);
  default: return 0; /* a jump: exponential, Pareto, uniform, truncated-normal */
  }
}

/* ---- comparing tails ---- */

/* Heavier kinds compare greater. */
static int heaviness(issim_tail_kind k)
{
  switch (k) {
  case ISSIM_TAIL_BOUNDED: return 0;
  case ISSIM_TAIL_DOUBLE_EXP: return 1;
  case ISSIM_TAIL_STRETCHED: return 2;
  case ISSIM_TAIL_LOGNORMAL: return 3;
  case ISSIM_TAIL_POWER: return 4;
  }
  return 0;
}

/* The sign of x, with values within a relative 1e-12 of `scale` taken as ties. */
static int sign_of(double x, double scale)
{
  if (fabs(x) <= 1e-12 * fmax(fabs(scale), 1e-300))
    return 0;
  return x > 0 ? 1 : -1;
}

/* Is int^inf p^2/q finite, for unbounded tails of p and q on the same side?
 * The integrand's log is 2 log p - log q; compare it term by term. */
static issim_variance tails_square_integrable(issim_tail p, issim_tail q)
{
  int hp = heaviness(p.kind), hq = heaviness(q.kind);
  if (hq != hp)
    return hq > hp ? ISSIM_VARIANCE_FINITE : ISSIM_VARIANCE_INFINITE;
  int s;
  switch (p.kind) {
  case ISSIM_TAIL_POWER: /* x^{-(2 ap + 2) + (aq + 1)}: finite iff aq < 2 ap */
    return sign_of(2 * p.a - q.a, p.a) > 0 ? ISSIM_VARIANCE_FINITE : ISSIM_VARIANCE_INFINITE;
  case ISSIM_TAIL_DOUBLE_EXP: /* -2 exp(ap y) + exp(aq y) */
    return sign_of(p.a - q.a, p.a) >= 0 ? ISSIM_VARIANCE_FINITE : ISSIM_VARIANCE_INFINITE;
  case ISSIM_TAIL_LOGNORMAL: /* -(2 ap - aq) L^2 + (2 bp - bq + 1) L, with dx = x dL */
    if ((s = sign_of(2 * p.a - q.a, p.a)) != 0)
      return s > 0 ? ISSIM_VARIANCE_FINITE : ISSIM_VARIANCE_INFINITE;
    return sign_of(2 * p.b - q.b + 1, 1) < 0 ? ISSIM_VARIANCE_FINITE : ISSIM_VARIANCE_INFINITE;
  case ISSIM_TAIL_STRETCHED:
    if ((s = sign_of(q.k - p.k, p.k)) != 0)
      return s < 0 ? ISSIM_VARIANCE_FINITE : ISSIM_VARIANCE_INFINITE;
    if ((s = sign_of(2 * p.a - q.a, p.a)) != 0)
      return s > 0 ? ISSIM_VARIANCE_FINITE : ISSIM_VARIANCE_INFINITE;
    if (p.k > 1 && (s = sign_of(2 * p.b - q.b, fabs(p.b) + fabs(q.b))) != 0)
      return s < 0 ? ISSIM_VARIANCE_FINITE : ISSIM_VARIANCE_INFINITE;
    if (p.k < 1 && sign_of(2 * p.b - q.b, 1) != 0)
      return ISSIM_VARIANCE_UNDECIDED; /* not produced by any family */
    return sign_of(2 * p.c - q.c + 1, 1) < 0 ? ISSIM_VARIANCE_FINITE : ISSIM_VARIANCE_INFINITE;
  case ISSIM_TAIL_BOUNDED:
    break;
  }
  return ISSIM_VARIANCE_FINITE;
}

static void describe_tail(issim_tail t, char *buf, size_t size)
{
  switch (t.kind) {
  case ISSIM_TAIL_STRETCHED:
    if (t.k == 1)
      snprintf(buf, size, "exp(-%.4g |x|)", t.a);
    else
      snprintf(buf, size, "exp(-%.4g |x|^%.4g)", t.a, t.k);
    break;
  case ISSIM_TAIL_POWER: snprintf(buf, size, "|x|^-%.4g", t.a + 1); break;
  case ISSIM_TAIL_LOGNORMAL: snprintf(buf, size, "exp(-%.4g (log x)^2)", t.a); break;
  case ISSIM_TAIL_DOUBLE_EXP: snprintf(buf, size, "exp(-exp(%.4g |x|))", t.a); break;
  case ISSIM_TAIL_BOUNDED: snprintf(buf, size, "no tail"); break;
  }
}

static void say(char *reason, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void say(char *reason, size_t size, const char *fmt, ...)
{
  if (reason == NULL || size == 0)
    return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(reason, size, fmt, ap);
  va_end(ap);
}

static issim_variance check_tail(const issim_dist *p, const issim_dist *q, int side,
                                 char *reason, size_t size)
{
  issim_tail tp = issim_dist_tail(p, side), tq = issim_dist_tail(q, side);
  issim_variance v = tails_square_integrable(tp, tq);
  if (v == ISSIM_VARIANCE_INFINITE) {
    char dp[64], dq[64], hint[128] = "";
    describe_tail(tp, dp, sizeof dp);
    describe_tail(tq, dq, sizeof dq);
    if (p->kind == ISSIM_DIST_NORMAL && q->kind == ISSIM_DIST_NORMAL)
      snprintf(hint, sizeof hint, " (a normal proposal needs sd > %.4g, the target's sd / sqrt 2)",
               p->param[1] / sqrt(2.0));
    say(reason, size,
        "the proposal's %s tail is too light for the target's: the target falls like %s, the "
        "proposal like %s, so the weights p/q grow without bound on the event and have infinite "
        "variance%s; no sample-based diagnostic can see this reliably, and the reported error "
        "bar is not to be trusted",
        side > 0 ? "upper" : "lower", dp, dq, hint);
  }
  return v;
}

/* int near e of |x - e|^(2 cp - cq): finite iff 2 cp - cq > -1 */
static issim_variance check_endpoint(const issim_dist *p, const issim_dist *q, double e,
                                     char *reason, size_t size)
{
  double cp = issim_dist_endpoint_exponent(p, e), cq = issim_dist_endpoint_exponent(q, e);
  issim_variance v;
  if (isinf(cq) && isinf(cp) && p->kind == ISSIM_DIST_LOGNORMAL && q->kind == ISSIM_DIST_LOGNORMAL) {
    /* both like exp(-(log x)^2 / 2 s^2) near 0: the quadratic terms decide, as
     * in the upper tail (a tie is left undecided) */
    double ap = 1 / (2 * p->param[1] * p->param[1]), aq = 1 / (2 * q->param[1] * q->param[1]);
    int s = sign_of(2 * ap - aq, ap);
    v = s > 0 ? ISSIM_VARIANCE_FINITE : s < 0 ? ISSIM_VARIANCE_INFINITE : ISSIM_VARIANCE_UNDECIDED;
  } else if (isinf(cq))
    v = isinf(cp) ? ISSIM_VARIANCE_UNDECIDED : ISSIM_VARIANCE_INFINITE;
  else if (isinf(cp))
    v = ISSIM_VARIANCE_FINITE;
  else
    v = 2 * cp - cq > -1 ? ISSIM_VARIANCE_FINITE : ISSIM_VARIANCE_INFINITE;
  if (v == ISSIM_VARIANCE_INFINITE)
    say(reason, size,
        "near %.6g the proposal's density vanishes too fast for the target's (the proposal like "
        "|x - %.6g|^%.4g, the target like |x - %.6g|^%.4g), so the weights p/q have infinite "
        "variance on the event; the reported error bar is not to be trusted",
        e, e, cq, e, cp);
  return v;
}

issim_variance issim_weight_variance(const issim_dist *p, const issim_dist *q, double lo,
                                     double hi, char *reason, size_t size)
{
  if (q == NULL)
    return ISSIM_VARIANCE_FINITE;
  issim_variance v = ISSIM_VARIANCE_FINITE, part;
  if (hi == INFINITY)
    part = check_tail(p, q, +1, reason, size);
  else
    part = check_endpoint(p, q, hi, reason, size);
  if (part == ISSIM_VARIANCE_INFINITE)
    return part;
  if (part == ISSIM_VARIANCE_UNDECIDED)
    v = part;
  if (lo == -INFINITY)
    part = check_tail(p, q, -1, reason, size);
  else
    part = check_endpoint(p, q, lo, reason, size);
  if (part == ISSIM_VARIANCE_INFINITE)
    return part;
  return part == ISSIM_VARIANCE_UNDECIDED ? part : v;
}

/* ---- cross-entropy ---- */

/* Is E_p[-log q] finite in one tail?  -log q grows like q's tail; p must have
 * the matching moment. */
static int tail_moment_finite(issim_tail p, issim_tail q)
{
  switch (q.kind) {
  case ISSIM_TAIL_BOUNDED:
    return p.kind == ISSIM_TAIL_BOUNDED;
  case ISSIM_TAIL_POWER:     /* E_p[log |x|]: finite for every family here */
  case ISSIM_TAIL_LOGNORMAL: /* E_p[(log |x|)^2]: likewise */
    return 1;
  case ISSIM_TAIL_STRETCHED: /* E_p[|x|^k]: only power laws with alpha <= k lack it */
    return !(p.kind == ISSIM_TAIL_POWER && p.a <= q.k);
  case ISSIM_TAIL_DOUBLE_EXP: /* E_p[exp(a |x|)] */
    if (p.kind == ISSIM_TAIL_BOUNDED || p.kind == ISSIM_TAIL_DOUBLE_EXP)
      return 1;
    if (p.kind != ISSIM_TAIL_STRETCHED || p.k < 1)
      return 0;
    return p.k > 1 || p.a > q.a;
  }
  return 1;
}

int issim_cross_entropy_finite(const issim_dist *p, const issim_dist *q)
{
  if (p->lower < q->lower || p->upper > q->upper)
    return 0; /* p puts mass where q has none: -log q = inf there */
  return tail_moment_finite(issim_dist_tail(p, +1), issim_dist_tail(q, +1)) &&
         tail_moment_finite(issim_dist_tail(p, -1), issim_dist_tail(q, -1));
}

/* ---- d dimensions (see tail.h for the rules) ---- */

enum { DENSE_MAX_D = 400, REASON_SIZE = 640 };

issim_region issim_region_of_event(issim_loss_kind loss_kind, double threshold, int direction)
{
  issim_region a = {.kind = ISSIM_REGION_UNKNOWN, .threshold = threshold, .direction = direction};
  switch (loss_kind) {
  case ISSIM_LOSS_IDENTITY: a.coordinate_union = 1; /* fall through */
  case ISSIM_LOSS_LINEAR:
  case ISSIM_LOSS_SUM: a.kind = ISSIM_REGION_HALF_SPACES; break;
  case ISSIM_LOSS_MAX:
  case ISSIM_LOSS_MIN: {
    int is_union = (loss_kind == ISSIM_LOSS_MAX) == (direction > 0);
    a.kind = is_union ? ISSIM_REGION_HALF_SPACES : ISSIM_REGION_CONE;
    a.coordinate_union = is_union;
    break;
  }
  case ISSIM_LOSS_NORM: a.kind = direction > 0 ? ISSIM_REGION_EXTERIOR : ISSIM_REGION_BOUNDED; break;
  case ISSIM_LOSS_EXPRESSION:
  case ISSIM_LOSS_FUNCTION: break;
  }
  return a;
}

issim_region issim_region_of_loss(const issim_loss *g, double threshold, int direction)
{
  issim_loss_kind kind = issim_loss_kind_of(g);
  issim_region a = issim_region_of_event(kind, threshold, direction);
  if (kind == ISSIM_LOSS_LINEAR || kind == ISSIM_LOSS_SUM) {
    a.linear = 1;
    a.weights = issim_loss_weights(g); /* NULL for a sum: all 1s */
  }
  return a;
}

static int unbounded(const issim_region *a)
{
  return a->kind != ISSIM_REGION_BOUNDED && a->kind != ISSIM_REGION_UNKNOWN;
}

/* A model's elliptical form, in memory of its own (model.h). */
typedef issim_model_elliptical ellip;

static int is_diagonal(const ellip *e)
{
  for (size_t i = 0; i < e->d; i++)
    for (size_t j = 0; j < i; j++)
      if (e->l[i * e->d + j] != 0)
        return 0;
  return 1;
}

/* S^-1 = L^-T L^-1 into out (d x d), by forward substitution. */
static int precision(const ellip *e, double *out)
{
  size_t d = e->d;
  double *li = malloc(d * d * sizeof *li); /* L^-1, lower */
  if (li == NULL)
    return 0;
  issim_linalg_lower_inverse(d, e->l, li);
  for (size_t i = 0; i < d; i++)
    for (size_t j = 0; j < d; j++) {
      double s = 0;
      for (size_t k = i > j ? i : j; k < d; k++)
        s += li[k * d + i] * li[k * d + j];
      out[i * d + j] = s;
    }
  free(li);
  return 1;
}

/* The least eigenvalue of M = 2P - Q, and the scale against which it is
 * compared (a tie within 1e-10 of it).  0 when not computed. */
static int least_eigenvalue(const ellip *p, const ellip *q, double *lambda, double *scale)
{
  size_t d = p->d;
  if (is_diagonal(p) && is_diagonal(q)) {
    double best = INFINITY; /* M is diagonal: the coordinate least positive for its scale */
    for (size_t j = 0; j < d; j++) {
      double a = 2 / (p->l[j * d + j] * p->l[j * d + j]), b = 1 / (q->l[j * d + j] * q->l[j * d + j]);
      if ((a - b) / (a + b) < best) {
        best = (a - b) / (a + b);
        *lambda = a - b;
        *scale = a + b;
      }
    }
    return 1;
  }
  if (d > DENSE_MAX_D)
    return 0;
  double *pp = malloc(d * d * sizeof *pp), *qq = malloc(d * d * sizeof *qq);
  gsl_matrix *m = gsl_matrix_alloc(d, d);
  gsl_vector *ev = gsl_vector_alloc(d);
  gsl_eigen_symm_workspace *w = gsl_eigen_symm_alloc(d);
  int ok = pp && qq && m && ev && w && precision(p, pp) && precision(q, qq);
  if (ok) {
    double fro = 0;
    for (size_t i = 0; i < d; i++)
      for (size_t j = 0; j < d; j++) {
        double a = 2 * pp[i * d + j], b = qq[i * d + j];
        gsl_matrix_set(m, i, j, a - b);
        fro += a * a + b * b;
      }
    ok = gsl_eigen_symm(m, ev, w) == GSL_SUCCESS;
    *lambda = ok ? gsl_vector_min(ev) : NAN;
    *scale = sqrt(fro);
  }
  free(pp), free(qq);
  if (m) gsl_matrix_free(m);
  if (ev) gsl_vector_free(ev);
  if (w) gsl_eigen_symm_free(w);
  return ok;
}

static const char NOT_TRUSTED[] =
    "; no sample-based diagnostic can see this reliably, and the reported error bar is not to "
    "be trusted";

static issim_variance normal_normal(const ellip *p, const ellip *q, const issim_region *a,
                                    char *reason, size_t size)
{
  double lambda = NAN, scale = NAN;
  if (!least_eigenvalue(p, q, &lambda, &scale))
    return ISSIM_VARIANCE_UNDECIDED;
  if (lambda > 1e-10 * scale)
    return ISSIM_VARIANCE_FINITE;
  if (lambda >= -1e-10 * scale || a->kind == ISSIM_REGION_CONE || a->kind == ISSIM_REGION_UNKNOWN)
    return ISSIM_VARIANCE_UNDECIDED;
  say(reason, size,
      "the proposal's normal is too narrow for the target's: 2 S_p^-1 - S_q^-1 has the "
      "negative eigenvalue %.4g, so along its direction the weights p/q grow like exp(+c |x|^2) "
      "on the event and have infinite variance (a normal proposal needs S_q > S_p / 2 in every "
      "direction)%s", lambda, NOT_TRUSTED);
  return ISSIM_VARIANCE_INFINITE;
}

/* Both elliptical: the rules of tail.h by their df. */
static issim_variance elliptical_pair(const ellip *p, const ellip *q, const issim_region *a,
                                      char *reason, size_t size)
{
  if (isinf(p->df) && isinf(q->df))
    return normal_normal(p, q, a, reason, size);
  if (isinf(p->df))
    return ISSIM_VARIANCE_FINITE; /* normal p, t q */
  if (!isinf(q->df) && sign_of(2 * p->df - q->df, p->df) > 0)
    return ISSIM_VARIANCE_FINITE;
  if (!unbounded(a))
    return ISSIM_VARIANCE_UNDECIDED;
  if (isinf(q->df))
    say(reason, size,
        "the target is a multivariate t (tails like |x|^-%.4g) and the proposal a normal: on "
        "the event, which is unbounded, the weights p/q grow like exp(+c |x|^2) and have "
        "infinite variance (use a t proposal, or a defensive mixture with the target)%s",
        p->df + (double)p->d, NOT_TRUSTED);
  else
    say(reason, size,
        "the proposal's t has df %.4g, at least twice the target's %.4g: its tails are too light, "
        "the weights p/q grow like |x|^%.4g on the event and have infinite variance%s",
        q->df, p->df, q->df - 2 * p->df, NOT_TRUSTED);
  return ISSIM_VARIANCE_INFINITE;
}

/* Component j's check on (lo, hi), its reason prefixed by the component. */
static issim_variance component_check(const issim_dist *p, const issim_dist *q, size_t j,
                                      double lo, double hi, char *reason, size_t size)
{
  char inner[REASON_SIZE] = "";
  issim_variance v = issim_weight_variance(p, q, lo, hi, inner, sizeof inner);
  if (v == ISSIM_VARIANCE_INFINITE)
    say(reason, size, "component %zu: %s", j + 1, inner);
  return v;
}

/* Independent p and q: products of the components' integrals. */
static issim_variance independent_pair(const issim_model *pm, const issim_model *qm,
                                       const issim_region *a, char *reason, size_t size)
{
  size_t d = issim_model_dim(pm);
  int all_finite = 1, whole_infinite = -1;
  for (size_t j = 0; j < d; j++) {
    const issim_dist *p = issim_model_component(pm, j), *q = issim_model_component(qm, j);
    issim_variance v = component_check(p, q, j, p->lower, p->upper, reason, size);
    all_finite &= v == ISSIM_VARIANCE_FINITE;
    if (v == ISSIM_VARIANCE_INFINITE && whole_infinite < 0)
      whole_infinite = (int)j;
  }
  if (all_finite)
    return ISSIM_VARIANCE_FINITE;
  if (a->kind == ISSIM_REGION_WHOLE)
    return whole_infinite >= 0 ? ISSIM_VARIANCE_INFINITE : ISSIM_VARIANCE_UNDECIDED;
  if (!a->coordinate_union)
    return ISSIM_VARIANCE_UNDECIDED;
  /* the event holds {x_k beyond t} x R^(d-1) for every k whose half-line has mass */
  for (size_t k = 0; k < d; k++) {
    const issim_dist *p = issim_model_component(pm, k), *q = issim_model_component(qm, k);
    double lo = a->direction > 0 ? fmax(a->threshold, p->lower) : p->lower;
    double hi = a->direction > 0 ? p->upper : fmin(a->threshold, p->upper);
    if (!(lo < hi))
      continue;
    if ((whole_infinite >= 0 && (size_t)whole_infinite != k) ||
        component_check(p, q, k, lo, hi, reason, size) == ISSIM_VARIANCE_INFINITE)
      return ISSIM_VARIANCE_INFINITE;
  }
  return ISSIM_VARIANCE_UNDECIDED;
}

/* Is m the model p itself (a clone of it)?  Elliptical and independent models
 * by their parameters; others by their log-densities at enough points to fix
 * them (a copula's d(d+1)/2 correlations and its marginals' parameters). */
static int same_model(const issim_model *p, const issim_model *m)
{
  size_t d = issim_model_dim(p);
  if (issim_model_kind_of(p) != issim_model_kind_of(m) || issim_model_dim(m) != d)
    return 0;
  ellip a, b;
  if (issim_model_elliptical_of(p, &a)) {
    int same = issim_model_elliptical_of(m, &b) && (a.df == b.df || (isinf(a.df) && isinf(b.df))) &&
               memcmp(a.mu, b.mu, d * sizeof(double)) == 0 && memcmp(a.l, b.l, d * d * sizeof(double)) == 0;
    issim_model_elliptical_free(&b); /* NULLs when not elliptical: free(NULL) */
    issim_model_elliptical_free(&a);
    return same;
  }
  for (size_t j = 0; issim_model_component(p, j); j++) {
    const issim_dist *x = issim_model_component(p, j), *y = issim_model_component(m, j);
    if (x->kind != y->kind || memcmp(x->param, y->param, sizeof x->param) != 0)
      return 0;
  }
  if (issim_model_kind_of(p) != ISSIM_MODEL_COPULA)
    return issim_model_kind_of(p) == ISSIM_MODEL_INDEPENDENT;
  size_t n = d * (d + 1) / 2 + 2;
  if (n > 20000)
    return 0;
  double *x = malloc(n * d * sizeof *x), *lp = malloc(2 * n * sizeof *lp);
  double *scratch = malloc(issim_model_scratch(p, n) * sizeof *scratch);
  int same = x && lp && scratch;
  for (size_t i = 0; same && i < n * d; i++) /* a fixed, irregular set of points */
    x[i] = sin(1.0 + (double)i * 0.7548776662466927) * 2;
  if (same) {
    issim_model_log_pdf(p, n, x, lp, scratch);
    issim_model_log_pdf(m, n, x, lp + n, scratch);
    same = memcmp(lp, lp + n, n * sizeof *lp) == 0;
  }
  free(x), free(lp), free(scratch);
  return same;
}

static issim_variance pair(const issim_model *p, const issim_model *q, const issim_region *a,
                           char *reason, size_t size);

/* q = sum_k a_k q_k. */
static issim_variance mixture_pair(const issim_model *p, const issim_model *q,
                                   const issim_region *a, char *reason, size_t size)
{
  ellip ep, e0 = {0}, ek;
  int p_ellip = issim_model_elliptical_of(p, &ep), all_infinite = 1, one_shape = 1, have0 = 0;
  issim_variance v = ISSIM_VARIANCE_UNDECIDED;
  for (size_t k = 0; k < issim_model_mixture_size(q); k++) {
    double w;
    const issim_model *part = issim_model_mixture_part(q, k, &w);
    if (!(w > 0))
      continue;
    if (same_model(p, part)) {
      v = ISSIM_VARIANCE_FINITE;
      break;
    }
    issim_variance vk = pair(p, part, a, reason, size);
    if (vk == ISSIM_VARIANCE_FINITE) {
      v = vk;
      break;
    }
    all_infinite &= vk == ISSIM_VARIANCE_INFINITE;
    /* a normal target: the components' quadratic terms must be one */
    if (p_ellip && isinf(ep.df) && issim_model_elliptical_of(part, &ek)) {
      if (!have0)
        e0 = ek, have0 = 1;
      else {
        one_shape &= memcmp(e0.l, ek.l, ek.d * ek.d * sizeof(double)) == 0;
        issim_model_elliptical_free(&ek);
      }
    } else if (p_ellip && isinf(ep.df)) {
      one_shape = 0;
    }
  }
  if (v != ISSIM_VARIANCE_FINITE && all_infinite && p_ellip && (!isinf(ep.df) || one_shape))
    v = ISSIM_VARIANCE_INFINITE;
  if (v == ISSIM_VARIANCE_INFINITE)
    say(reason, size, "every component of the mixture has weights of infinite variance, and "
                      "the mixture has the tails of its heaviest component, so its weights p/q "
                      "too grow without bound on the event (a share of the target in the "
                      "mixture would bound them)%s", NOT_TRUSTED);
  if (have0)
    issim_model_elliptical_free(&e0);
  if (p_ellip)
    issim_model_elliptical_free(&ep);
  return v;
}

/* q = T(q_u) in p's own standard space (transform.h): w = p/q = phi(u) /
 * q_u(u), so E_q[w^2 1_A] = int_{T^-1(A)} phi^2 / q_u.  The event's image
 * T^-1(A) has no shape the rules know, so finite on all of R^d (q_u against
 * N(0, I)) is finite on it; infinite there is infinite only when A is R^d. */
static issim_variance standard_pair(const issim_model *p, const issim_model *q,
                                    const issim_region *a, char *reason, size_t size)
{
  issim_model *z = issim_transform_standard_normal(issim_model_dim(p), NULL);
  issim_region whole = {.kind = ISSIM_REGION_WHOLE};
  issim_variance v = z ? pair(z, issim_transform_inner(q), &whole, reason, size)
                       : ISSIM_VARIANCE_UNDECIDED;
  issim_model_free(z);
  if (v == ISSIM_VARIANCE_INFINITE && a->kind != ISSIM_REGION_WHOLE) {
    v = ISSIM_VARIANCE_UNDECIDED;
    if (reason && size)
      reason[0] = '\0';
  }
  return v;
}

/* Credit laws of one book (credit.h), the event on the book's default loss
 * L: w = p/q = exp(-(mu_q - mu_p).z + (|mu_q|^2 - |mu_p|^2)/2) times, for a
 * q twisted to level x, exp(-theta L + psi(theta)).  The first factor, a
 * ratio of normals of one covariance, has finite moments of every order; the
 * second is at most exp(theta (x - t)) <= 1 on L > t >= x, since psi(theta)
 * - theta x <= 0 for every theta in [0, theta_x].  A twisted p, a level above
 * the threshold or a lower-tail event is undecided. */
static issim_variance credit_pair(const issim_credit_law *p, const issim_credit_law *q,
                                  const issim_region *a)
{
  if (!issim_credit_book_equal(issim_credit_law_book(p), issim_credit_law_book(q)) ||
      !isnan(issim_credit_law_twist(p)))
    return ISSIM_VARIANCE_UNDECIDED;
  double x = issim_credit_law_twist(q);
  if (isnan(x) || (a->kind == ISSIM_REGION_HALF_SPACES && a->direction > 0 && x <= a->threshold))
    return ISSIM_VARIANCE_FINITE;
  return ISSIM_VARIANCE_UNDECIDED;
}

/* ---- a Gaussian copula target, an independent proposal (tail.h) ---- */

/* Does log(f/g) on this side fall slower than f's own log tail (so slower
 * than z^2/2 in f's normal score z)?  g must reach as far as f. */
static int ratio_subquadratic(const issim_dist *f, const issim_dist *g, int side)
{
  if (side > 0 ? g->upper < f->upper : g->lower > f->lower)
    return 0;
  issim_tail tf = issim_dist_tail(f, side), tg = issim_dist_tail(g, side);
  int hf = heaviness(tf.kind), hg = heaviness(tg.kind);
  if (tf.kind == ISSIM_TAIL_BOUNDED || hg != hf)
    return tf.kind != ISSIM_TAIL_BOUNDED && hg < hf && tg.kind != ISSIM_TAIL_BOUNDED;
  switch (tf.kind) {
  case ISSIM_TAIL_POWER: return sign_of(tg.a - tf.a, tf.a) >= 0;
  case ISSIM_TAIL_LOGNORMAL: return sign_of(tg.a - tf.a, tf.a) >= 0;
  case ISSIM_TAIL_STRETCHED: {
    int sk = sign_of(tg.k - tf.k, tf.k), sa = sign_of(tg.a - tf.a, tf.a);
    if (sk != 0 || sa != 0)
      return sk > 0 || (sk == 0 && sa > 0);
    /* one leading term: b |x| is of lower order only when k > 1 */
    return tf.k > 1 || sign_of(tf.b - tg.b, fabs(tf.b) + fabs(tg.b) + tf.a) >= 0;
  }
  default: return 0; /* a double exponential's shift changes its rate */
  }
}

/* Does the event hold a tube around the ray along u (z = s u + O(1), s ->
 * inf), where marginal j runs to its u_j-side tail, and may the rule use it? */
static int copula_ray(const issim_model *p, const issim_model *q, const issim_region *a,
                      const double *u)
{
  size_t d = issim_model_dim(p);
  int reaches = a->kind == ISSIM_REGION_WHOLE || a->kind == ISSIM_REGION_EXTERIOR;
  int agrees = 1;
  for (size_t j = 0; j < d; j++) {
    if (fabs(u[j]) <= 1e-9)
      continue;
    int side = u[j] > 0 ? 1 : -1;
    const issim_dist *f = issim_model_component(p, j);
    if (!ratio_subquadratic(f, issim_model_component(q, j), side))
      return 0;
    if (a->kind == ISSIM_REGION_HALF_SPACES && a->coordinate_union && side == a->direction)
      reaches = 1;
    if (a->kind == ISSIM_REGION_HALF_SPACES && a->linear) {
      double w = a->weights ? a->weights[j] : 1, s = w * side * a->direction;
      agrees &= s >= 0;
      reaches |= s > 0;
    }
  }
  return reaches && agrees;
}

/* An eigenvector's first few components, for a reason. */
static void describe_direction(const double *u, size_t d, char *out, size_t size)
{
  size_t used = 0;
  out[0] = '\0';
  for (size_t j = 0; j < d && j < 6 && used < size; j++)
    used += (size_t)snprintf(out + used, size - used, "%s%+.3f", j ? ", " : "", u[j]);
  if (d > 6 && used < size)
    snprintf(out + used, size - used, ", ...");
}

/* Eigenvalues of R (ascending) into ev, eigenvectors in the columns of vec. */
static int correlation_eigen(const issim_model *p, gsl_vector *ev, gsl_matrix *vec)
{
  size_t d = issim_model_dim(p);
  gsl_matrix *r = gsl_matrix_alloc(d, d);
  gsl_eigen_symmv_workspace *w = gsl_eigen_symmv_alloc(d);
  int ok = r && w && issim_model_correlation(p, r->data) == ISSIM_OK &&
           gsl_eigen_symmv(r, ev, vec, w) == GSL_SUCCESS;
  if (ok)
    gsl_eigen_symmv_sort(ev, vec, GSL_EIGEN_SORT_VAL_DESC);
  if (r) gsl_matrix_free(r);
  if (w) gsl_eigen_symmv_free(w);
  return ok;
}

static issim_variance copula_independent(const issim_model *p, const issim_model *q,
                                         const issim_region *a, char *reason, size_t size)
{
  size_t d = issim_model_dim(p);
  if (d > DENSE_MAX_D || a->kind == ISSIM_REGION_BOUNDED || a->kind == ISSIM_REGION_UNKNOWN ||
      a->kind == ISSIM_REGION_CONE)
    return ISSIM_VARIANCE_UNDECIDED;
  gsl_vector *ev = gsl_vector_alloc(d);
  gsl_matrix *vec = gsl_matrix_alloc(d, d);
  double *u = malloc(d * sizeof *u);
  issim_variance v = ISSIM_VARIANCE_UNDECIDED;
  int ok = ev && vec && u && correlation_eigen(p, ev, vec);
  for (size_t k = 0; ok && k < d && v == ISSIM_VARIANCE_UNDECIDED; k++) {
    double lambda = gsl_vector_get(ev, k);
    if (!(lambda > 2 * (1 + 1e-10)))
      break;
    for (int s = 1; s >= -1 && v == ISSIM_VARIANCE_UNDECIDED; s -= 2) {
      for (size_t j = 0; j < d; j++)
        u[j] = s * gsl_matrix_get(vec, j, k);
      if (!copula_ray(p, q, a, u))
        continue;
      char dir[128], largest[48] = "";
      describe_direction(u, d, dir, sizeof dir);
      if (k > 0)
        snprintf(largest, sizeof largest, " (the largest is %.4g)", gsl_vector_get(ev, 0));
      say(reason, size,
          "the target's Gaussian copula has the correlation eigenvalue %.4g, above 2%s, and the "
          "proposal's independent marginals do not make up for it: "
          "along the eigenvector (%s) in normal scores, on the event, p^2/q grows like "
          "exp(+(1 - 2/%.4g) |z|^2 / 2), so the weights p/q have infinite variance (a proposal "
          "needs the copula's dependence, e.g. a defensive mixture with the target)%s",
          lambda, largest, dir, lambda, NOT_TRUSTED);
      v = ISSIM_VARIANCE_INFINITE;
    }
  }
  if (ev) gsl_vector_free(ev);
  if (vec) gsl_matrix_free(vec);
  free(u);
  return v;
}

static issim_variance pair(const issim_model *p, const issim_model *q, const issim_region *a,
                           char *reason, size_t size)
{
  if (q == NULL || p == q)
    return ISSIM_VARIANCE_FINITE;
  if (issim_model_dim(p) != issim_model_dim(q))
    return ISSIM_VARIANCE_UNDECIDED;
  if (issim_transform_of(q) && issim_transform_is_of(issim_transform_of(q), p))
    return standard_pair(p, q, a, reason, size);
  if (issim_model_credit_law(p) && issim_model_credit_law(q))
    return credit_pair(issim_model_credit_law(p), issim_model_credit_law(q), a);
  if (issim_model_kind_of(q) == ISSIM_MODEL_MIXTURE)
    return mixture_pair(p, q, a, reason, size);
  ellip ep, eq;
  issim_variance v = ISSIM_VARIANCE_UNDECIDED;
  int hp = issim_model_elliptical_of(p, &ep), hq = issim_model_elliptical_of(q, &eq);
  if (hp && hq) /* continuous, positive densities: p^2/q is bounded on a bounded set */
    v = a->kind == ISSIM_REGION_BOUNDED ? ISSIM_VARIANCE_FINITE
                                        : elliptical_pair(&ep, &eq, a, reason, size);
  else if (issim_model_kind_of(p) == ISSIM_MODEL_INDEPENDENT &&
           issim_model_kind_of(q) == ISSIM_MODEL_INDEPENDENT)
    v = independent_pair(p, q, a, reason, size);
  else if (issim_model_kind_of(p) == ISSIM_MODEL_COPULA &&
           issim_model_kind_of(q) == ISSIM_MODEL_INDEPENDENT)
    v = copula_independent(p, q, a, reason, size);
  if (hp)
    issim_model_elliptical_free(&ep);
  if (hq)
    issim_model_elliptical_free(&eq);
  return v;
}

issim_variance issim_model_weight_variance_on(const issim_model *p, const issim_model *q,
                                              const issim_region *a, char *reason, size_t size)
{
  return pair(p, q, a, reason, size);
}

issim_variance issim_model_weight_variance(const issim_model *p, const issim_model *q,
                                           char *reason, size_t size)
{
  issim_region whole = {.kind = ISSIM_REGION_WHOLE};
  return pair(p, q, &whole, reason, size);
}
