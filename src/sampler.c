#include "sampler.h"

#include <stdlib.h>
#include <string.h>

#include "loss.h"
#include "model.h"
#include "pair.h"

/* Long enough for tight vector loops, short enough that a batch's arrays
 * stay in the L1 cache. */
#define BATCH 512u

struct issim_sampler {
  const issim_problem *pb;
  size_t batch;
  gsl_rng *rng;
  gsl_rng *before;        /* the generator's state before a batch, for its components */
  double *x, *log_p, *log_q;
  double *g;              /* d-dimensional problems: the losses; else g is x */
  double *scratch;        /* the pair's */
  issim_loss *loss;       /* this thread's copy */
  issim_pair *pair; /* target and proposal together */
  int crude;              /* no proposal: the target drawn by itself */
  int linear;             /* the pair can draw the (linear) loss with the points */
};

size_t issim_sampler_batch(const issim_problem *pb)
{
  size_t d = issim_problem_dim(pb), b = BATCH;
  while (b > 16 && b * d > 65536)
    b /= 2;
  return b;
}

void issim_sampler_free(issim_sampler *s)
{
  if (s == NULL)
    return;
  if (s->rng)
    gsl_rng_free(s->rng);
  if (s->before)
    gsl_rng_free(s->before);
  if (s->g != s->x)
    free(s->g);
  free(s->x);
  free(s->log_p);
  free(s->log_q);
  free(s->scratch);
  issim_loss_free(s->loss);
  issim_pair_free(s->pair);
  free(s);
}

/* The pair (plain Monte Carlo is the pair (target, target)), its scratch,
 * the loss's copy (an event on x itself has none: g is x), and whether a
 * linear loss comes with the draws (decided once here). */
static int init_models(issim_sampler *s, const issim_problem *pb, size_t b, size_t d)
{
  const issim_model *pm = pb->target, *qm = pb->proposal ? pb->proposal : pb->target;
  s->crude = pm == qm;
  s->pair = issim_pair_alloc(pm, qm);
  size_t sc = s->pair ? issim_pair_scratch(s->pair, b) : 0;
  s->scratch = malloc((sc ? sc : 1) * sizeof *s->scratch);
  if (!(s->pair && s->scratch))
    return 0;
  if (pb->event.loss == NULL) {
    s->g = s->x;
    return 1;
  }
  s->g = malloc(b * sizeof *s->g);
  s->loss = issim_loss_clone(pb->event.loss);
  if (!(s->g && s->loss))
    return 0;
  double *w = issim_loss_dim(s->loss) == d ? malloc(d * sizeof *w) : NULL;
  if (w && issim_loss_linear_form(s->loss, w))
    s->linear = issim_pair_set_linear_loss(s->pair, w);
  free(w);
  return 1;
}

issim_sampler *issim_sampler_alloc(const issim_problem *pb, const gsl_rng_type *rng)
{
  issim_sampler *s = calloc(1, sizeof *s);
  if (s == NULL)
    return NULL;
  size_t b = issim_sampler_batch(pb), d = issim_problem_dim(pb);
  s->pb = pb;
  s->batch = b;
  s->rng = gsl_rng_alloc(rng);
  s->x = malloc(b * d * sizeof *s->x);
  s->log_p = malloc(b * sizeof *s->log_p);
  s->log_q = malloc(b * sizeof *s->log_q);
  int ok = s->rng && s->x && s->log_p && s->log_q;
  ok = ok && init_models(s, pb, b, d);
  if (ok)
    return s;
  issim_sampler_free(s);
  return NULL;
}

void issim_sampler_seed(issim_sampler *s, unsigned long seed)
{
  gsl_rng_set(s->rng, seed);
}

int issim_sampler_draw(issim_sampler *s, size_t n, int need_x)
{
  if (s->linear && !need_x) {
    issim_pair_draw_linear(s->pair, s->rng, n, s->x, s->g, s->log_p, s->log_q, s->scratch);
    return ISSIM_OK;
  }
  /* plain Monte Carlo's log q is log p itself: no copy (the pair's own
   * fast path, a shared factor, writes both) */
  const int alias = s->crude && !issim_pair_shares_factor(s->pair);
  issim_pair_draw(s->pair, s->rng, n, s->x, s->log_p, alias ? s->log_p : s->log_q,
                  s->scratch);
  if (s->loss && need_x != ISSIM_SAMPLER_POINTS_ONLY)
    return issim_loss_eval(s->loss, n, s->x, s->g);
  return ISSIM_OK;
}

const char *issim_sampler_error(const issim_sampler *s)
{
  return s->loss ? issim_loss_error(s->loss) : "";
}

int issim_sampler_draw_components(issim_sampler *s, size_t n, double *component, int *labelled)
{
  const issim_model *q = s->pb->proposal;
  int mixture = q && issim_model_has_labels(q);
  *labelled = 0;
  if (mixture && s->before == NULL && (s->before = gsl_rng_clone(s->rng)) == NULL)
    return ISSIM_ENOMEM;
  if (mixture)
    gsl_rng_memcpy(s->before, s->rng);
  int rc = issim_sampler_draw(s, n, 1);
  *labelled = mixture && issim_model_mixture_labels(q, s->before, n, component);
  return rc;
}

double *issim_sampler_x(const issim_sampler *s)
{
  return s->x;
}

const double *issim_sampler_log_p(const issim_sampler *s)
{
  return s->log_p;
}

const double *issim_sampler_log_q(const issim_sampler *s)
{
  return s->crude ? s->log_p : s->log_q; /* every weight 1 without a proposal */
}

const double *issim_sampler_g(const issim_sampler *s)
{
  return s->g;
}
