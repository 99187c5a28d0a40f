/* divergence_model.c: the exact entropy, cross-entropy and KL divergence of
 * d-dimensional models (divergence.h): closed forms for elliptical pairs
 * with a normal q, sums over the components of independent pairs. */
#include "divergence.h"
#include "divergence_impl.h"

#include <math.h>
#include <stdlib.h>

#include <gsl/gsl_math.h>
#include <gsl/gsl_sf_gamma.h>
#include <gsl/gsl_sf_psi.h>

#include "linalg.h"

static const double LOG_2PI = 1.8378770664093454836; /* log(2 pi) */

/* ---- d-dimensional models (see divergence.h) ---- */

enum { DENSE_MAX_D = 1000 };

/* A model's elliptical form, in memory of its own (model.h). */
typedef issim_model_elliptical ellip;

static double sum_log_diag(const ellip *e)
{
  return issim_linalg_lower_log_det(e->d, e->l);
}

/* H of a normal: d/2 (1 + log 2 pi) + log |L|; of a t(v) with scale L L^T:
 * log |L| + log G(v/2) + d/2 log(v pi) - log G((v + d)/2)
 *   + (v + d)/2 (psi((v + d)/2) - psi(v/2)). */
static double ellip_entropy(const ellip *e)
{
  double d = (double)e->d, v = e->df;
  if (isinf(v))
    return 0.5 * d * (1 + LOG_2PI) + sum_log_diag(e);
  return sum_log_diag(e) + gsl_sf_lngamma(v / 2) + 0.5 * d * log(v * M_PI) -
         gsl_sf_lngamma((v + d) / 2) + (v + d) / 2 * (gsl_sf_psi((v + d) / 2) - gsl_sf_psi(v / 2));
}

/* A = L_q^-1 L_p (lower triangular) into a, and delta = L_q^-1 (mu_p - mu_q);
 * 0 when too large to compute here. */
static int whiten(const ellip *p, const ellip *q, double *a, double *delta)
{
  size_t d = p->d;
  issim_linalg_lower_solve(d, q->l, p->l, a);
  for (size_t i = 0; i < d; i++)
    delta[i] = p->mu[i] - q->mu[i];
  issim_linalg_forward_solve(d, q->l, delta, delta);
  return 1;
}

/* normal p = N(m1, S1) (or a t of df v > 2, covariance v/(v-2) S1), normal q
 * = N(m2, S2), A = L2^-1 L1, delta = L2^-1 (m1 - m2), c = the covariance
 * factor (1, or v/(v-2)):
 *   H(p, q) = d/2 log 2 pi + log |L2| + (c ||A||_F^2 + |delta|^2) / 2.
 * For two normals, with A's diagonal a_i and log |S1|/|S2| = 2 sum log a_i,
 *   KL = 1/2 [sum_i (a_i^2 - 1 - log a_i^2) + sum_{i != j} A_ij^2 + |delta|^2],
 * every term >= 0 and x - log1p(x) accurate near p = q (the 1-D normal pair's
 * formula, term by term). */
static int normal_q_pair(const ellip *p, const ellip *q, double *h, double *kl)
{
  size_t d = p->d;
  if (d > DENSE_MAX_D)
    return 0;
  double *a = malloc(d * d * sizeof *a), *delta = malloc(d * sizeof *delta);
  if (!a || !delta) {
    free(a), free(delta);
    return 0;
  }
  whiten(p, q, a, delta);
  double c = isinf(p->df) ? 1 : p->df / (p->df - 2), frob = 0, diag = 0, off = 0, dd = 0;
  for (size_t i = 0; i < d; i++) {
    for (size_t j = 0; j < i; j++)
      off += a[i * d + j] * a[i * d + j];
    double ai = a[i * d + i];
    diag += issim_divergence_x_minus_log1p((ai - 1) * (ai + 1));
    frob += ai * ai;
    dd += delta[i] * delta[i];
  }
  frob += off;
  *h = 0.5 * (double)d * LOG_2PI + sum_log_diag(q) + 0.5 * (c * frob + dd);
  *kl = isinf(p->df) ? 0.5 * (diag + off + dd) : *h - ellip_entropy(p);
  free(a), free(delta);
  return 1;
}

/* Which of two methods describes a sum of terms known by each. */
static issim_exact_method combine(issim_exact_method a, issim_exact_method b)
{
  if (a == ISSIM_EXACT_INFINITE || b == ISSIM_EXACT_INFINITE)
    return ISSIM_EXACT_INFINITE;
  if (a == ISSIM_EXACT_NONE || b == ISSIM_EXACT_NONE)
    return ISSIM_EXACT_NONE;
  if (a == ISSIM_EXACT_QUADRATURE || b == ISSIM_EXACT_QUADRATURE)
    return ISSIM_EXACT_QUADRATURE;
  return ISSIM_EXACT_CLOSED_FORM;
}

static double finish(double v, issim_exact_method m, issim_exact_method *how)
{
  issim_divergence_set_how(how, m);
  return m == ISSIM_EXACT_INFINITE ? INFINITY : m == ISSIM_EXACT_NONE ? NAN : v;
}

/* Independent p (and q): sums over the components.  what: 0 entropy of p,
 * 1 cross-entropy, 2 KL. */
static double independent_sum(const issim_model *p, const issim_model *q, int what,
                              issim_exact_method *how)
{
  issim_exact_method m = ISSIM_EXACT_CLOSED_FORM, mj;
  double sum = 0;
  for (size_t j = 0; j < issim_model_dim(p) && m != ISSIM_EXACT_INFINITE; j++) {
    const issim_dist *pj = issim_model_component(p, j), *qj = q ? issim_model_component(q, j) : NULL;
    double v = what == 0   ? issim_entropy_exact(pj, &mj)
               : what == 1 ? issim_cross_entropy_exact(pj, qj, &mj)
                           : issim_kl_exact(pj, qj, &mj);
    m = combine(m, mj);
    sum += v;
  }
  return finish(sum, m, how);
}

double issim_model_entropy_exact(const issim_model *p, issim_exact_method *how)
{
  ellip e;
  if (issim_model_elliptical_of(p, &e)) {
    double h = ellip_entropy(&e);
    issim_model_elliptical_free(&e);
    return finish(h, ISSIM_EXACT_CLOSED_FORM, how);
  }
  if (issim_model_kind_of(p) == ISSIM_MODEL_INDEPENDENT)
    return independent_sum(p, NULL, 0, how);
  return finish(NAN, ISSIM_EXACT_NONE, how);
}

/* H(p, q) and KL(p || q) together; what: 1 or 2 as above. */
static double model_pair(const issim_model *p, const issim_model *q, int what,
                         issim_exact_method *how)
{
  if (issim_model_dim(p) != issim_model_dim(q))
    return finish(NAN, ISSIM_EXACT_NONE, how);
  if (issim_model_kind_of(p) == ISSIM_MODEL_INDEPENDENT &&
      issim_model_kind_of(q) == ISSIM_MODEL_INDEPENDENT) /* O(d), any families */
    return independent_sum(p, q, what, how);
  ellip ep, eq;
  int hp = issim_model_elliptical_of(p, &ep), hq = issim_model_elliptical_of(q, &eq);
  double h = NAN, kl = NAN;
  issim_exact_method m = ISSIM_EXACT_NONE;
  if (hp && hq && isinf(eq.df)) {
    if (!isinf(ep.df) && !(ep.df > 2)) /* a t without a variance: E_p[x^2] = inf */
      m = ISSIM_EXACT_INFINITE;
    else if (normal_q_pair(&ep, &eq, &h, &kl))
      m = ISSIM_EXACT_CLOSED_FORM;
  }
  issim_model_elliptical_free(&ep);
  issim_model_elliptical_free(&eq);
  return finish(what == 1 ? h : kl, m, how);
}

double issim_model_cross_entropy_exact(const issim_model *p, const issim_model *q,
                                       issim_exact_method *how)
{
  return model_pair(p, q, 1, how);
}

double issim_model_kl_exact(const issim_model *p, const issim_model *q, issim_exact_method *how)
{
  return model_pair(p, q, 2, how);
}
