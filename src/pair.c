/* pair.c: a proposal and its target, drawn and weighted together (see
 * pair.h).  The hot path of a run with a dense normal or t proposal: its
 * kernels (standard_terms, standard_sums) live here, with the pair, and call
 * model.c's batch kernels (model_impl.h) once a batch, never once a point.
 */
#include "pair.h"
#include "model_impl.h"
#include "linalg.h"
#include "simd.h"
#include "transform.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct issim_pair {
  const issim_model *p, *q;
  double *delta; /* L^-1 (mu_q - mu_p) when they share L, else NULL */
  double *v, c;  /* a linear loss w.x as c + f v.z: v = L^T w, c = w.mu_q; v NULL without */
  bool standard; /* q is a model of u carried by p's own transform (transform.h) */
  bool credit;   /* p and q are credit laws of one book */
};

/* A normal or t drawn as mu + f L z from z in coordinate rows (f = 1 for the
 * normal): the pair's own path. */
static bool dense_elliptical(const issim_model *m)
{
  return (m->kind == ISSIM_MODEL_NORMAL || m->kind == ISSIM_MODEL_STUDENT_T) && !m->diagonal;
}

static bool credit_pair(const issim_model *p, const issim_model *q);

static bool shares_factor(const issim_model *p, const issim_model *q)
{
  const size_t d = p->d;
  return dense_elliptical(p) && dense_elliptical(q) && q->d == d &&
         memcmp(p->chol, q->chol, d * d * sizeof *p->chol) == 0;
}

issim_pair *issim_pair_alloc(const issim_model *p, const issim_model *q)
{
  if (p->d != q->d)
    return NULL;
  issim_pair *pair = calloc(1, sizeof *pair);
  if (pair == NULL)
    return NULL;
  *pair = (issim_pair){.p = p, .q = q, .credit = credit_pair(p, q)};
  pair->standard = q->kind == ISSIM_MODEL_TRANSFORMED && issim_transform_is_of(q->transform, p);
  if (shares_factor(p, q)) {
    const size_t d = p->d;
    if ((pair->delta = malloc(d * sizeof *pair->delta)) == NULL) {
      free(pair);
      return NULL;
    }
    for (size_t j = 0; j < d; j++)
      pair->delta[j] = q->loc[j] - p->loc[j];
    issim_linalg_forward_solve(d, p->chol, pair->delta, pair->delta);
  }
  return pair;
}

void issim_pair_free(issim_pair *pair)
{
  if (pair == NULL)
    return;
  free(pair->delta);
  free(pair->v);
  free(pair);
}

int issim_pair_shares_factor(const issim_pair *pair)
{
  return pair->delta != NULL;
}

size_t issim_pair_scratch(const issim_pair *pair, size_t n)
{
  const size_t sp = issim_model_scratch(pair->p, n), sq = issim_model_scratch(pair->q, n);
  return sp > sq ? sp : sq; /* a normal or t q's own is all q's path needs */
}

/* v_k = sum_{j >= k} L_jk w_j (in increasing j) and c = sum_j w_j mu_j. */
int issim_pair_set_linear_loss(issim_pair *pair, const double *w)
{
  const issim_model *q = pair->q;
  const size_t d = q->d;
  if (!dense_elliptical(q))
    return 0;
  double *v = pair->v ? pair->v : malloc(d * sizeof *v);
  if (v == NULL)
    return 0;
  issim_linalg_lower_transpose_times(d, q->chol, w, v);
  double c = 0;
  for (size_t k = 0; k < d; k++)
    c += w[k] * q->loc[k];
  pair->v = v;
  pair->c = c;
  return 1;
}

/* What q's z (and f) give without L z, for the n points whose z are in
 * coordinate rows of np (zeros past n, up to padded(n)), u = f z (u = z
 * without f, a normal q):
 *   mq = |u|^2                 = |L^-1 (x - mu_q)|^2
 *   mp = |u + delta|^2         = |L^-1 (x - mu_p)|^2   (with_p: p shares L)
 *   g  = c + f (v.z)           = w.x                   (with_g: a linear loss)
 * Eight points at a time, their sums in two issim_vec4 each (registers;
 * GCC spills a 64-byte vector in the AVX2 clone); each sum in coordinate
 * order from its first term (no zeroing), so the digits depend neither on
 * the batch nor on the lanes, and with delta = 0 (q is p) mp is mq exactly.
 * The last group, partial, is written through a buffer.  Inlined with
 * constant flags into standard_sums, so that no test is left in the loop. */
static inline __attribute__((always_inline)) void
standard_terms(bool with_f, bool with_p, bool with_g, size_t d, size_t n, size_t np,
               const double *restrict z, const double *restrict f, const double *restrict delta,
               const double *restrict v, double c, double *restrict mq, double *restrict mp,
               double *restrict g)
{
  for (size_t i = 0; i < n; i += 8) {
    const double *zi = z + i;
    issim_vec4 fa = {1, 1, 1, 1}, fb = fa;
    if (with_f)
      fa = *(const issim_vec4 *)(f + i), fb = *(const issim_vec4 *)(f + i + 4);
    issim_vec4 a = *(const issim_vec4 *)zi, b = *(const issim_vec4 *)(zi + 4), ua = a, ub = b;
    if (with_f)
      ua = fa * a, ub = fb * b;
    issim_vec4 q0 = ua * ua, q1 = ub * ub, p0 = q0, p1 = q1, g0 = q0, g1 = q1;
    if (with_p) {
      const issim_vec4 ea = ua + delta[0], eb = ub + delta[0];
      p0 = ea * ea, p1 = eb * eb;
    }
    if (with_g)
      g0 = v[0] * a, g1 = v[0] * b;
    for (size_t j = 1; j < d; j++) {
      a = *(const issim_vec4 *)(zi + j * np), b = *(const issim_vec4 *)(zi + j * np + 4);
      ua = a, ub = b;
      if (with_f)
        ua = fa * a, ub = fb * b;
      q0 += ua * ua, q1 += ub * ub;
      if (with_p) {
        const issim_vec4 ea = ua + delta[j], eb = ub + delta[j];
        p0 += ea * ea, p1 += eb * eb;
      }
      if (with_g)
        g0 += v[j] * a, g1 += v[j] * b;
    }
    if (with_g && with_f)
      g0 = c + fa * g0, g1 = c + fb * g1;
    else if (with_g)
      g0 = c + g0, g1 = c + g1;
    double out[3][8];
    const bool whole = i + 8 <= n;
    issim_vec4 *oq = (issim_vec4 *)(whole ? mq + i : out[0]);
    /* mp and g are NULL when not wanted: no offset from NULL (undefined) */
    issim_vec4 *op = (issim_vec4 *)(whole && with_p ? mp + i : out[1]);
    issim_vec4 *og = (issim_vec4 *)(whole && with_g ? g + i : out[2]);
    oq[0] = q0, oq[1] = q1;
    if (with_p)
      op[0] = p0, op[1] = p1;
    if (with_g)
      og[0] = g0, og[1] = g1;
    if (!whole) {
      const size_t m = (n - i) * sizeof(double);
      memcpy(mq + i, out[0], m);
      if (with_p)
        memcpy(mp + i, out[1], m);
      if (with_g)
        memcpy(g + i, out[2], m);
    }
  }
}

/* standard_terms with f, delta and v where they are non-NULL. */
VECTOR_CLONES
static void standard_sums(size_t d, size_t n, size_t np, const double *restrict z,
                          const double *restrict f, const double *restrict delta,
                          const double *restrict v, double c, double *restrict mq,
                          double *restrict mp, double *restrict g)
{
#define TERMS(F, P, G) standard_terms(F, P, G, d, n, np, z, f, delta, v, c, mq, mp, g)
  switch ((f != NULL) << 2 | (delta != NULL) << 1 | (v != NULL)) {
  case 0: TERMS(false, false, false); break;
  case 1: TERMS(false, false, true); break;
  case 2: TERMS(false, true, false); break;
  case 3: TERMS(false, true, true); break;
  case 4: TERMS(true, false, false); break;
  case 5: TERMS(true, false, true); break;
  case 6: TERMS(true, true, false); break;
  default: TERMS(true, true, true); break;
  }
#undef TERMS
}

/* lp[i] = log m's density at the point whose |L^-1 (x - mu)|^2 is lp[i]
 * (in place), as issim_model_log_pdf computes it from its own solve. */
static void log_pdfs_of_squares(const issim_model *m, size_t n, double *lp)
{
  if (m->kind == ISSIM_MODEL_NORMAL) {
#pragma omp simd
    for (size_t i = 0; i < n; i++)
      lp[i] = m->log_norm - 0.5 * lp[i];
    return;
  }
  const double e = 0.5 * (m->df + (double) m->d);
  for (size_t i = 0; i < n; i++)
    lp[i] = m->log_norm - e * log1p_ratio(lp[i], m->df);
}

/* log |f z_i + delta|^2 (delta NULL: 0) for point i of z's coordinate rows
 * (z[j np + i]), scaled by its largest term so that nothing overflows. */
static double log_square_far(size_t d, size_t np, const double *z, size_t i, double f,
                             const double *delta)
{
  double s = 0;
  for (size_t j = 0; j < d; j++)
    s = fmax(s, fabs(f * z[j * np + i] + (delta ? delta[j] : 0)));
  if (!(s > 0 && isfinite(s)))
    return s > 0 ? s : -INFINITY;
  double sum = 0;
  for (size_t j = 0; j < d; j++) {
    const double t = (f * z[j * np + i] + (delta ? delta[j] : 0)) / s;
    sum += t * t;
  }
  return 2 * log(s) + log(sum);
}

/* A t q's draws whose squared distance overflowed (f z beyond about 1e154:
 * a small-df t's rare far draws): their log q, and log p of a t p sharing
 * L, from the log of the distance (log_pdfs_of_squares gave -inf, a density
 * that is small but not 0 there). */
static void t_far_draws(const issim_pair *pair, size_t n, const double *z,
                        const double *f, double *log_p, double *log_q)
{
  const issim_model *p = pair->p, *q = pair->q;
  const size_t d = q->d, np = stride(n);
  const bool p_t = pair->delta && p->kind == ISSIM_MODEL_STUDENT_T;
  for (size_t i = 0; i < n; i++) {
    if (log_q[i] == -INFINITY)
      log_q[i] = q->log_norm - 0.5 * (q->df + (double) d) *
                                   log1p_exp_ratio(log_square_far(d, np, z, i, f[i], NULL), q->df);
    if (p_t && log_p[i] == -INFINITY)
      log_p[i] = p->log_norm - 0.5 * (p->df + (double) d) *
                                   log1p_exp_ratio(log_square_far(d, np, z, i, f[i], pair->delta),
                                                   p->df);
  }
}

/* A dense normal or t q is drawn as x = mu_q + f L z, so L^-1 (x - mu_q) is
 * f z itself: log q needs no triangular solve, and when p shares L neither
 * does log p (L^-1 (x - mu_p) = f z + delta).  With g non-NULL the linear
 * loss comes from z too, and when p shares L the points are not formed at
 * all.  A t's f are drawn as issim_model_sample draws them, after each
 * point's normals, into the same scratch. */
static void draw_dense(const issim_pair *pair, gsl_rng *r, size_t n, double *x, double *g,
                       double *log_p, double *log_q, double *scratch)
{
  const issim_model *p = pair->p, *q = pair->q;
  const size_t d = q->d;
  double *t = scratch;
  double *f = q->kind == ISSIM_MODEL_STUDENT_T ? scratch + 2 * d * stride(n) : NULL;
  issim_model_draw_normals(q, r, n, x, t, f);
  standard_sums(d, n, stride(n), t, f, pair->delta, g ? pair->v : NULL, pair->c, log_q, log_p,
                g);
  log_pdfs_of_squares(q, n, log_q);
  if (pair->delta)
    log_pdfs_of_squares(p, n, log_p);
  if (f)
    t_far_draws(pair, n, t, f, log_p, log_q);
  if (pair->delta && g)
    return;
  if (f)
    issim_model_t_points(q, n, x, t, f);
  else
    issim_model_lower_times_batch(q, n, x, t, q->loc);
  if (pair->delta == NULL)
    issim_model_log_pdf(p, n, x, log_p, scratch);
}

/* q = T(q_u) with T p's own transform: u drawn from q_u, x = T(u), and
 * log q = log p(x) + log q_u(u) - log phi(u) from the u drawn, without
 * inverting T (transform.h); the same draws as issim_model_sample(q).
 * Scratch: n d for u, then the most of q_u's, p's and T's own. */
static void draw_standard(const issim_pair *pair, gsl_rng *r, size_t n, double *x,
                          double *log_p, double *log_q, double *scratch)
{
  const issim_model *p = pair->p, *q = pair->q;
  const size_t d = q->d;
  double *u = scratch, *rest = scratch + n * d;
  issim_model_sample(q->inner, r, n, u, rest);
  issim_model_log_pdf(q->inner, n, u, log_q, rest);
  issim_transform_log_phi(d, n, u, log_p);
  for (size_t i = 0; i < n; i++)
    log_q[i] -= log_p[i];
  issim_transform_to_x(q->transform, n, u, x, NULL, rest);
  issim_model_log_pdf(p, n, x, log_p, rest);
  for (size_t i = 0; i < n; i++)
    log_q[i] += log_p[i];
}

/* A credit target and proposal on one book: the conditional probabilities
 * once a point for the draw and both log-densities (credit.h). */
static bool credit_pair(const issim_model *p, const issim_model *q)
{
  return p->kind == ISSIM_MODEL_CREDIT && q->kind == ISSIM_MODEL_CREDIT &&
         issim_credit_book_equal(issim_credit_law_book(p->credit),
                                 issim_credit_law_book(q->credit));
}

void issim_pair_draw(const issim_pair *pair, gsl_rng *r, size_t n, double *x,
                     double *log_p, double *log_q, double *scratch)
{
  const issim_model *p = pair->p, *q = pair->q;
  if (pair->standard) {
    draw_standard(pair, r, n, x, log_p, log_q, scratch);
    return;
  }
  if (dense_elliptical(q)) {
    draw_dense(pair, r, n, x, NULL, log_p, log_q, scratch);
    return;
  }
  if (pair->credit) {
    issim_credit_law_pair_draw(p->credit, q->credit, r, n, x, log_p, log_q, scratch);
    return;
  }
  issim_model_sample(q, r, n, x, scratch);
  issim_model_log_pdf(p, n, x, log_p, scratch);
  if (q == p) { /* plain Monte Carlo; log_q may be log_p itself */
    if (log_q != log_p)
      memcpy(log_q, log_p, n * sizeof *log_q);
  }
  else
    issim_model_log_pdf(q, n, x, log_q, scratch);
}

void issim_pair_draw_linear(const issim_pair *pair, gsl_rng *r, size_t n, double *x,
                            double *g, double *log_p, double *log_q, double *scratch)
{
  draw_dense(pair, r, n, x, g, log_p, log_q, scratch);
}

