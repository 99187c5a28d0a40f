/* credit_shift.c: Glasserman and Li's factor shift (see credit.h): the
 * maximiser of F_x(z) - |z|^2/2, with F_x(z) = -theta_x(z) x + psi(theta_x(z); z)
 * (their eq. 23), by GSL's BFGS on G = -(F_x - |z|^2/2).
 *
 * The gradient: theta_x(z) minimises theta x - psi(theta; z) over theta >= 0
 * (within the cap), so by the envelope theorem
 *     dG/dz = z - sum_k (e^(theta c_k) - 1) / (1 + p_k(z) (e^(theta c_k) - 1))
 *                    phi(u_k) a_k / b_k,
 * u_k = (a_k.z + Phi^-1(p_k)) / b_k; where E[L | z] >= x, theta = 0 and F is
 * 0 with it. */
#include "credit.h"
#include "credit_impl.h"

#include <math.h>
#include <stdlib.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_multimin.h>
#include <gsl/gsl_vector.h>

typedef struct {
  const issim_credit_book *b;
  double x;
  double *pz, *u; /* n each */
} objective;

/* G(z), and its gradient into grad (may be NULL). */
static double evaluate(objective *o, const double *z, double *grad)
{
  const issim_credit_book *b = o->b;
  const size_t n = b->n, m = b->m;
  double zz = 0;
  for (size_t j = 0; j < m; j++)
    zz += z[j] * z[j];
  for (size_t k = 0; k < n; k++) {
    double u = b->h[k];
    for (size_t j = 0; j < m; j++)
      u += b->a[k * m + j] * z[j];
    o->u[k] = u / b->b[k];
    o->pz[k] = 0.5 * erfc(-o->u[k] * 0.70710678118654752440);
  }
  double psi, theta = issim_credit_twist(b, o->pz, o->x, &psi);
  for (size_t j = 0; grad && j < m; j++)
    grad[j] = z[j];
  for (size_t k = 0; grad && theta > 0 && k < n; k++) {
    const double t1 = expm1(theta * b->c[k]), uk = o->u[k];
    const double g = t1 / (1 + o->pz[k] * t1) * exp(-0.5 * uk * uk) / 2.50662827463100050242 / b->b[k];
    for (size_t j = 0; j < m; j++)
      grad[j] -= g * b->a[k * m + j];
  }
  return theta * o->x - psi + 0.5 * zz;
}

static double f_only(const gsl_vector *v, void *params)
{
  return evaluate(params, v->data, NULL);
}

static void df_only(const gsl_vector *v, void *params, gsl_vector *g)
{
  evaluate(params, v->data, g->data);
}

static void fdf(const gsl_vector *v, void *params, double *f, gsl_vector *g)
{
  *f = evaluate(params, v->data, g->data);
}

#define MAX_ITERATIONS 1000

/* BFGS from z = 0; *iters gets its iterations, 0 when it fails. */
static int minimise(objective *o, double *mu, double *value, int *iters)
{
  const size_t m = o->b->m;
  gsl_multimin_function_fdf fn = {.n = m, .f = f_only, .df = df_only, .fdf = fdf, .params = o};
  gsl_vector *z = gsl_vector_calloc(m);
  gsl_multimin_fdfminimizer *s =
    gsl_multimin_fdfminimizer_alloc(gsl_multimin_fdfminimizer_vector_bfgs2, m);
  if (z == NULL || s == NULL) {
    gsl_vector_free(z);
    gsl_multimin_fdfminimizer_free(s);
    return ISSIM_ENOMEM;
  }
  gsl_error_handler_t *old = gsl_set_error_handler_off();
  gsl_multimin_fdfminimizer_set(s, &fn, z, 0.1, 0.1);
  int status = GSL_CONTINUE, it = 0;
  while (status == GSL_CONTINUE && it < MAX_ITERATIONS) {
    it++;
    if (gsl_multimin_fdfminimizer_iterate(s) != GSL_SUCCESS)
      break; /* no further progress: the gradient test below decides */
    status = gsl_multimin_test_gradient(s->gradient, 1e-9);
  }
  /* the twist's root is found to a relative 1e-9, which leaves the gradient
   * that much noise: a shift within 1e-4 of the maximum is as good */
  status = gsl_multimin_test_gradient(s->gradient, 1e-4);
  gsl_set_error_handler(old);
  for (size_t j = 0; j < m; j++)
    mu[j] = gsl_vector_get(s->x, j);
  *value = -s->f;
  *iters = status == GSL_SUCCESS ? it : 0;
  gsl_vector_free(z);
  gsl_multimin_fdfminimizer_free(s);
  return ISSIM_OK;
}

int issim_credit_shift_tail_bound(const issim_credit_book *b, double x, double *mu,
                                  double *value, issim_error *err)
{
  if (!isfinite(x))
    return issim_error_set(err, ISSIM_EINVAL, "the level of the shift must be finite (got %g)", x);
  objective o = {.b = b, .x = x, .pz = malloc(b->n * sizeof(double)),
                 .u = malloc(b->n * sizeof(double))};
  int rc = o.pz && o.u ? ISSIM_OK : ISSIM_ENOMEM, iters = 0;
  double v = NAN;
  if (rc == ISSIM_OK)
    rc = minimise(&o, mu, &v, &iters);
  free(o.pz), free(o.u);
  if (rc == ISSIM_ENOMEM)
    return issim_error_set(err, rc, "out of memory");
  if (iters == 0)
    return issim_error_set(err, ISSIM_EINVAL,
                           "the search for Glasserman and Li's factor shift (the maximum of "
                           "F_x(z) - |z|^2/2 at x = %g) did not converge; give the shift as "
                           "a vector", x);
  if (value)
    *value = v;
  return ISSIM_OK;
}
