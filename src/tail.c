#include "tail.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>

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
  case ISSIM_DIST_UNIFORM:
  case ISSIM_DIST_BETA:
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
  default: return 0; /* a jump: exponential, Pareto, uniform */
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
