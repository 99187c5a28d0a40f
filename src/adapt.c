#define _POSIX_C_SOURCE 200809L /* strdup */

#include "adapt.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "clock.h"
#include "engine.h"
#include "parse.h"
#include "rng.h"
#include "sampler.h"
#include "tail.h"
#include "transform.h"

issim_adapt_options issim_adapt_options_default(void)
{
  return (issim_adapt_options){
    .family = ISSIM_CE_AUTO, .rho = ISSIM_CE_DEFAULT_RHO,
    .level_draws = ISSIM_CE_DEFAULT_LEVEL_DRAWS, .alpha = 1,
    .max_levels = ISSIM_CE_DEFAULT_MAX_LEVELS, .update_spread = -1,
    .min_spread = ISSIM_CE_DEFAULT_MIN_SPREAD, .components = ISSIM_CE_DEFAULT_COMPONENTS,
  };
}

/* A number option of the cross-entropy method within (lo, hi] (lo_open) or
 * [lo, hi]; `whole` for counts. */
static int ce_number(const char *what, const char *value, double lo, int lo_open, double hi,
                     int whole, const char *meaning, double *out, issim_error *err)
{
  double x = NAN;
  int ok = issim_parse_number(value, what, &x, NULL) == ISSIM_OK && (lo_open ? x > lo : x >= lo) &&
           x <= hi && (!whole || x == floor(x));
  if (!ok)
    return issim_error_set_key(err, ISSIM_EINVAL, what, "%s must be %s from %.10g (%s) to %.10g, "
                                                        "%s (got '%s')",
                               what, whole ? "a whole number" : "a number", lo,
                               lo_open ? "excluded" : "included", hi, meaning, value);
  *out = x;
  return ISSIM_OK;
}

int issim_adapt_options_set(issim_adapt_options *o, const char *key, const char *what,
                         const char *value, issim_error *err)
{
  double x = NAN;
  int rc;
  if (strcmp(key, "family") == 0) {
    if (issim_cefit_family_lookup(value, &o->family) != ISSIM_OK)
      return issim_error_set_key(err, ISSIM_EINVAL, what, "%s must be normal, student-t, mixture, "
                                                          "exponential, gamma, factor-shift or "
                                                          "independent (got '%s'); without it the "
                                                          "start's own family is fitted",
                                 what, value);
    return ISSIM_OK;
  }
  if (strcmp(key, "update") == 0) {
    if (strcmp(value, "mean") != 0 && strcmp(value, "mean+spread") != 0 &&
        strcmp(value, "auto") != 0)
      return issim_error_set_key(err, ISSIM_EINVAL, what, "%s must be 'mean' (means, locations "
                                                          "and rates only), 'mean+spread' (also "
                                                          "the spread, floored at min-spread) or "
                                                          "'auto' (the default: the family's own "
                                                          "choice) (got '%s')", what, value);
    o->update_spread = strcmp(value, "auto") == 0 ? -1 : strcmp(value, "mean+spread") == 0;
    return ISSIM_OK;
  }
  if (strcmp(key, "start") == 0) {
    char *copy = strcmp(value, "target") == 0 ? NULL : strdup(value);
    if (copy == NULL && strcmp(value, "target") != 0)
      return issim_error_set(err, ISSIM_ENOMEM, "out of memory");
    free(o->start);
    o->start = copy;
    return ISSIM_OK;
  }
  static const struct {
    const char *key;
    double lo, hi;
    int lo_open, whole;
    const char *meaning;
  } numbers[] = {
    {"rho", 0, 0.5, 1, 0, "the fraction of each level's draws kept as elite"},
    {"level-draws", 100, 1e9, 0, 1, "the draws of each level"},
    {"alpha", 0, 1, 1, 0, "the smoothing weight of each new fit (1: none)"},
    {"max-levels", 1, 1000, 0, 1, "the most levels before giving up"},
    {"min-spread", ISSIM_CE_SPREAD_BOUND, 100, 1, 0,
     "the floor on the spread relative to the target's (at 1/sqrt(2) and below, the weights' "
     "variance is infinite)"},
    {"components", 1, ISSIM_CE_MAX_COMPONENTS, 0, 1, "the normals of a mixture"},
  };
  size_t i = 0, n = sizeof numbers / sizeof *numbers;
  while (i < n && strcmp(key, numbers[i].key) != 0)
    i++;
  if (i == n)
    return issim_error_set_key(err, ISSIM_EINVAL, what, "unknown option '%s' of the "
                                                        "cross-entropy method", what);
  rc = ce_number(what, value, numbers[i].lo, numbers[i].lo_open, numbers[i].hi, numbers[i].whole,
                 numbers[i].meaning, &x, err);
  if (rc != ISSIM_OK)
    return rc;
  switch (i) {
  case 0: o->rho = x; break;
  case 1: o->level_draws = (uint64_t)x; break;
  case 2: o->alpha = x; break;
  case 3: o->max_levels = (unsigned)x; break;
  case 4: o->min_spread = x; break;
  default: o->components = (unsigned)x; break;
  }
  return ISSIM_OK;
}

/* ---- where a fit starts ---- */

/* The family the start suggests (AUTO): its own where issim fits it. */
static issim_cefit_family family_of_start(const issim_dist *dist, const issim_model *model)
{
  if (dist) {
    switch (dist->kind) {
    case ISSIM_DIST_STUDENT_T: return ISSIM_CE_STUDENT_T;
    case ISSIM_DIST_EXPONENTIAL: return ISSIM_CE_EXPONENTIAL;
    case ISSIM_DIST_GAMMA: return ISSIM_CE_GAMMA;
    default: return ISSIM_CE_NORMAL;
    }
  }
  double df;
  if (issim_model_credit_law(model))
    return ISSIM_CE_FACTOR_SHIFT;
  if (issim_model_elliptical_form(model, NULL, NULL, &df) == ISSIM_OK && isfinite(df))
    return ISSIM_CE_STUDENT_T;
  return ISSIM_CE_NORMAL;
}

/* A credit model is fitted by its factor shift, and only it (credit.h):
 * the member keeps the start's book and twist. */
static int start_factor_shift(const issim_model *model, issim_cefit_family family,
                              issim_cefit_params *v, const char *what, issim_error *err)
{
  const issim_credit_law *law = model ? issim_model_credit_law(model) : NULL;
  if (law == NULL || family != ISSIM_CE_FACTOR_SHIFT)
    return issim_error_set(err, ISSIM_EINVAL, law ? "a credit-portfolio target is fitted with "
                                                    "family = factor-shift (the factors' mean), "
                                                    "not %s"
                                                  : "family factor-shift fits a credit-portfolio "
                                                    "target's proposals; %s is not one",
                           law ? issim_cefit_family_name(family) : what);
  const size_t m = issim_credit_law_book(law)->m;
  if (issim_cefit_params_init(v, ISSIM_CE_FACTOR_SHIFT, m, 1) != ISSIM_OK)
    return issim_error_set(err, ISSIM_ENOMEM, "out of memory");
  memcpy(v->mean, issim_credit_law_shift(law), m * sizeof *v->mean);
  v->weight[0] = 1;
  v->credit_base = model;
  return ISSIM_OK;
}

/* A normal start: the start's mean and covariance (finite ones). */
static int start_normal(const issim_dist *dist, const issim_model *model, issim_cefit_params *v,
                        const char *what, issim_error *err)
{
  if (dist) {
    v->mean[0] = issim_dist_mean(dist);
    v->cov[0] = issim_dist_variance(dist);
  } else if (issim_model_moments(model, v->mean, v->cov) != ISSIM_OK) {
    v->cov[0] = NAN;
  }
  for (size_t j = 0; j < v->d * v->d; j++)
    if (!isfinite(v->cov[j]) || (j < v->d && !isfinite(v->mean[j])))
      return issim_error_set(err, ISSIM_EINVAL, "a normal fit starts from the mean and covariance "
                                                "of %s, which are not finite; start from a normal "
                                                "proposal (start = NAME), or use family = student-t",
                             what);
  v->weight[0] = 1;
  return ISSIM_OK;
}

static int start_student_t(const issim_dist *dist, const issim_model *model, issim_cefit_params *v,
                           const char *what, issim_error *err)
{
  int ok;
  if (dist) {
    ok = dist->kind == ISSIM_DIST_STUDENT_T;
    v->df = dist->param[0], v->mean[0] = dist->param[1], v->cov[0] = dist->param[2] * dist->param[2];
  } else {
    double *l = malloc(v->d * v->d * sizeof *l);
    ok = l && issim_model_elliptical_form(model, v->mean, l, &v->df) == ISSIM_OK && isfinite(v->df);
    for (size_t i = 0; ok && i < v->d; i++) /* scale = l l^T */
      for (size_t j = 0; j < v->d; j++) {
        double c = 0;
        for (size_t k = 0; k <= (i < j ? i : j); k++)
          c += l[i * v->d + k] * l[j * v->d + k];
        v->cov[i * v->d + j] = c;
      }
    free(l);
  }
  if (!ok)
    return issim_error_set(err, ISSIM_EINVAL, "family student-t starts from a student-t or "
                                              "multivariate-t (its df is kept); %s is not one",
                           what);
  v->weight[0] = 1;
  return ISSIM_OK;
}

/* A fit in the target's standard space (tr): from N(0, I), the target itself
 * in u, or from the model of u of a start proposal in that space. */
static int start_standard(const issim_problem *s, const char *label, issim_cefit_family family,
                          const issim_transform *tr, issim_cefit_params *v, issim_error *err)
{
  char desc[160];
  issim_problem_describe_target(s, desc, sizeof desc);
  family = family == ISSIM_CE_AUTO ? ISSIM_CE_NORMAL : family;
  if (family != ISSIM_CE_NORMAL && family != ISSIM_CE_MIXTURE)
    return issim_error_set(err, ISSIM_EINVAL, "family %s does not apply here: the target (%s) is "
                                              "fitted in its standard space u, where issim fits "
                                              "family normal (the default) or mixture",
                           issim_cefit_family_name(family), desc);
  size_t d = issim_problem_dim(s);
  if (issim_cefit_params_init(v, family, d, 1) != ISSIM_OK)
    return issim_error_set(err, ISSIM_ENOMEM, "out of memory");
  v->weight[0] = 1;
  const issim_model *q = s->proposal;
  if (q == NULL) {
    for (size_t j = 0; j < d * d; j++)
      v->cov[j] = j % (d + 1) == 0;
    return ISSIM_OK;
  }
  const issim_transform *qt = issim_transform_of(q);
  if (qt == NULL || !issim_transform_is_of(tr, issim_transform_target(qt)) ||
      issim_model_moments(issim_transform_inner(q), v->mean, v->cov) != ISSIM_OK)
    return issim_error_set(err, ISSIM_EINVAL, "the target (%s) is fitted in its standard space u: "
                                              "a fit starts from the target or from a "
                                              "standard-space proposal, which %s is not",
                           desc, label);
  return ISSIM_OK;
}

/* From the problem's proposal (NULL: the target), named `start` (NULL: "the
 * target") in messages; in the standard space of tr when tr is non-NULL. */
static int start_params(const issim_problem *s, const char *start, issim_cefit_family family,
                        const issim_transform *tr, issim_cefit_params *v, issim_error *err)
{
  const issim_dist *dist = issim_problem_line_target(s);
  const issim_model *model = s->target;
  if (dist && issim_model_line_dist(s->proposal))
    dist = issim_model_line_dist(s->proposal);
  else if (!dist && s->proposal)
    model = s->proposal;
  const char *what = start ? start : "the target";
  char label[160];
  snprintf(label, sizeof label, "'%s'", what);
  if (tr)
    return start_standard(s, label, family, tr, v, err);
  if (family == ISSIM_CE_AUTO)
    family = family_of_start(dist, model);
  if (family == ISSIM_CE_FACTOR_SHIFT || (!dist && issim_model_credit_law(model)))
    return start_factor_shift(dist ? NULL : model, family, v, label, err);
  size_t d = issim_problem_dim(s);
  if (family == ISSIM_CE_INDEPENDENT && d == 1)
    return issim_error_set(err, ISSIM_EINVAL, "family independent fits d-dimensional targets; "
                                              "for this univariate one use normal, exponential "
                                              "or gamma");
  if (family == ISSIM_CE_INDEPENDENT ||
      ((family == ISSIM_CE_EXPONENTIAL || family == ISSIM_CE_GAMMA) && d != 1))
    return issim_cefit_params_init_independent(v, family, model, label, err);
  if (issim_cefit_params_init(v, family == ISSIM_CE_MIXTURE ? ISSIM_CE_MIXTURE : family, d, 1) != ISSIM_OK)
    return issim_error_set(err, ISSIM_ENOMEM, "out of memory");
  v->weight[0] = 1;
  switch (family) {
  case ISSIM_CE_STUDENT_T:
    return start_student_t(dist, model, v, label, err);
  case ISSIM_CE_EXPONENTIAL:
    if (dist->kind != ISSIM_DIST_EXPONENTIAL)
      return issim_error_set(err, ISSIM_EINVAL, "family exponential starts from an exponential "
                                                "(its location is kept); %s is %s", label,
                             issim_dist_name(dist));
    v->rate = dist->param[0], v->location = dist->param[1];
    return ISSIM_OK;
  case ISSIM_CE_GAMMA:
    if (dist->kind != ISSIM_DIST_GAMMA)
      return issim_error_set(err, ISSIM_EINVAL, "family gamma starts from a gamma; %s is %s",
                             label, issim_dist_name(dist));
    v->shape = dist->param[0], v->scale = dist->param[1];
    return ISSIM_OK;
  default:
    return start_normal(dist, model, v, label, err);
  }
}

/* The target's spread, which the spread update's floor is relative to: its
 * covariance, or a t's scale matrix, or in its standard space (standard)
 * the identity; NULL when it has none. */
static double *target_spread(const issim_problem *s, int standard)
{
  size_t d = issim_problem_dim(s);
  double *c = malloc(d * d * sizeof *c), *l = malloc(d * d * sizeof *l), df;
  int ok = c && l;
  if (ok && standard) {
    for (size_t j = 0; j < d * d; j++)
      c[j] = j % (d + 1) == 0;
  } else if (ok && issim_problem_line_target(s)) {
    const issim_dist *t = issim_problem_line_target(s);
    c[0] = t->kind == ISSIM_DIST_NORMAL ? t->param[1] * t->param[1]
         : t->kind == ISSIM_DIST_STUDENT_T ? t->param[2] * t->param[2]
                                           : issim_dist_variance(t);
    ok = isfinite(c[0]) && c[0] > 0;
  } else if (ok && issim_model_elliptical_form(s->target, NULL, l, &df) == ISSIM_OK) {
    for (size_t i = 0; i < d; i++)
      for (size_t j = 0; j < d; j++) {
        double v = 0;
        for (size_t k = 0; k <= (i < j ? i : j); k++)
          v += l[i * d + k] * l[j * d + k];
        c[i * d + j] = v;
      }
  } else if (ok) {
    ok = issim_model_moments(s->target, l, c) == ISSIM_OK; /* l: room for the mean */
  }
  free(l);
  if (!ok) {
    free(c);
    return NULL;
  }
  return c;
}

/* ---- one level's draws ---- */

typedef struct {
  const issim_problem *s;     /* the target and the event */
  issim_problem level;        /* with the level's proposal */
  issim_model *qm;            /* the level's proposal */
  const issim_transform *tr;  /* non-NULL: q is fitted in the target's standard space */
  size_t d, batch;
  int dir;                    /* +1: the event is loss > t; -1: loss < t */
  uint64_t seed, stream;
  const gsl_rng_type *rng;
} level_source;

typedef struct {
  issim_sampler *sampler;
} level_workspace;

static void level_workspace_free(level_workspace *w)
{
  issim_sampler_free(w->sampler);
  *w = (level_workspace){0};
}

static int level_workspace_init(level_workspace *w, const level_source *src)
{
  w->sampler = issim_sampler_alloc(&src->level, src->rng);
  return w->sampler != NULL;
}

/* Draws n points of q (the sampler's points: sampler.h); with `weigh`, their
 * oriented losses into g and log-weights into lw (n values each); without,
 * the points alone (a second pass: the loss, perhaps an expensive model, is
 * not called again).  The loss's failure code (the sampler's message). */
static int draw_points(const level_source *src, level_workspace *w, size_t n, int weigh,
                       double *g, double *lw)
{
  int rc = issim_sampler_draw(w->sampler, n, weigh ? 0 : ISSIM_SAMPLER_POINTS_ONLY);
  if (!weigh || rc != ISSIM_OK)
    return rc;
  const double *lp = issim_sampler_log_p(w->sampler), *lq = issim_sampler_log_q(w->sampler);
  const double *loss = issim_sampler_g(w->sampler);
  for (size_t i = 0; i < n; i++) {
    double l = lp[i] - lq[i];
    lw[i] = isnan(l) ? -INFINITY : l; /* q = 0 at its own draw: no weight */
    g[i] = isnan(loss[i]) ? -INFINITY : src->dir * loss[i];
  }
  return ISSIM_OK;
}

/* A level: n draws, their oriented losses s[] and log-weights lw[]; then,
 * once the elites are known (s >= cut), their coordinates. */
typedef struct {
  uint64_t n;
  double *s, *lw;
  size_t n_elites;
  double *elite_x, *elite_lw;
  uint64_t failed_block;   /* the first block where the loss failed; UINT64_MAX: none */
  char failure[ISSIM_ERROR_MESSAGE_SIZE]; /* its message */
} level_draws;

static uint64_t block_count(uint64_t n)
{
  return (n + ISSIM_CE_BLOCK - 1) / ISSIM_CE_BLOCK;
}

/* Runs `body` on every block, on the threads; each block re-seeds its
 * generator, so what a block draws never depends on the thread it runs on. */
typedef void (*block_fn)(const level_source *src, level_workspace *w, uint64_t block,
                         uint64_t first, size_t count, void *user);

static int for_each_block(const level_source *src, int threads, uint64_t n, block_fn body,
                          void *user)
{
  int t = issim_engine_threads(threads);
  level_workspace *ws = calloc((size_t)t, sizeof *ws);
  int ok = ws != NULL;
  for (int i = 0; ok && i < t; i++)
    ok = level_workspace_init(&ws[i], src);
  long blocks = (long)block_count(n);
#pragma omp parallel for num_threads(t) schedule(dynamic, 1) if (ok)
  for (long b = 0; b < blocks; b++) {
    if (!ok)
      continue;
#ifdef _OPENMP
    level_workspace *w = &ws[omp_get_thread_num()];
#else
    level_workspace *w = &ws[0];
#endif
    uint64_t first = (uint64_t)b * ISSIM_CE_BLOCK;
    size_t count = n - first < ISSIM_CE_BLOCK ? (size_t)(n - first) : ISSIM_CE_BLOCK;
    issim_sampler_seed(w->sampler, issim_rng_block_seed(src->seed, src->stream, (uint64_t)b));
    body(src, w, (uint64_t)b, first, count, user);
  }
  for (int i = 0; ws && i < t; i++)
    level_workspace_free(&ws[i]);
  free(ws);
  return ok;
}

/* The loss failed on draws [first, first + n) of block `block`: the first
 * such block's message is kept, so that it is the same for any thread count. */
static void level_failed(level_draws *ld, level_workspace *w, uint64_t block, uint64_t first,
                         size_t n)
{
#pragma omp critical(issim_adapt_failure)
  if (block < ld->failed_block) {
    ld->failed_block = block;
    snprintf(ld->failure, sizeof ld->failure, "draws %llu to %llu of the level: %s",
             (unsigned long long)first + 1, (unsigned long long)(first + n),
             issim_sampler_error(w->sampler));
  }
}

static void weigh_block(const level_source *src, level_workspace *w, uint64_t block,
                        uint64_t first, size_t count, void *user)
{
  level_draws *ld = user;
  for (size_t done = 0; done < count; done += src->batch) {
    size_t n = count - done < src->batch ? count - done : src->batch;
    if (draw_points(src, w, n, 1, ld->s + first + done, ld->lw + first + done) != ISSIM_OK) {
      level_failed(ld, w, block, first + done, n);
      return;
    }
  }
}

typedef struct {
  level_draws *ld;
  double cut;
  const size_t *offset;  /* per block: its first elite's index */
} elite_pass;

static int is_elite(double s, double cut)
{
  return s >= cut;
}

static void gather_block(const level_source *src, level_workspace *w, uint64_t block,
                         uint64_t first, size_t count, void *user)
{
  elite_pass *ep = user;
  level_draws *ld = ep->ld;
  size_t out = ep->offset[block], d = src->d;
  if (ep->offset[block + 1] == out)
    return; /* no elite here: nothing to re-draw */
  for (size_t done = 0; done < count; done += src->batch) {
    size_t n = count - done < src->batch ? count - done : src->batch;
    draw_points(src, w, n, 0, NULL, NULL);
    const double *x = issim_sampler_x(w->sampler);
    for (size_t i = 0; i < n; i++)
      if (is_elite(ld->s[first + done + i], ep->cut)) {
        memcpy(ld->elite_x + out * d, x + i * d, d * sizeof *x);
        ld->elite_lw[out++] = ld->lw[first + done + i];
      }
  }
}

/* The second pass: the elites' coordinates, re-drawn from the same seeds. */
static int gather_elites(const level_source *src, int threads, level_draws *ld, double cut)
{
  uint64_t blocks = block_count(ld->n);
  size_t *offset = calloc(blocks + 1, sizeof *offset);
  if (offset == NULL)
    return 0;
  for (uint64_t b = 0; b < blocks; b++) {
    uint64_t first = b * ISSIM_CE_BLOCK, end = first + ISSIM_CE_BLOCK < ld->n ? first + ISSIM_CE_BLOCK : ld->n;
    size_t c = 0;
    for (uint64_t i = first; i < end; i++)
      c += (size_t)is_elite(ld->s[i], cut);
    offset[b + 1] = offset[b] + c;
  }
  ld->n_elites = offset[blocks];
  free(ld->elite_x);
  free(ld->elite_lw);
  ld->elite_x = malloc((ld->n_elites ? ld->n_elites : 1) * src->d * sizeof *ld->elite_x);
  ld->elite_lw = malloc((ld->n_elites ? ld->n_elites : 1) * sizeof *ld->elite_lw);
  elite_pass ep = {.ld = ld, .cut = cut, .offset = offset};
  int ok = ld->elite_x && ld->elite_lw && for_each_block(src, threads, ld->n, gather_block, &ep);
  free(offset);
  return ok;
}

static int compare_doubles(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* The (1 - rho) quantile of the n values: the value with n rho at or above it. */
static double upper_quantile(const double *s, uint64_t n, double rho, int *ok)
{
  double *sorted = malloc(n * sizeof *sorted);
  *ok = sorted != NULL;
  if (!*ok)
    return NAN;
  memcpy(sorted, s, n * sizeof *sorted);
  qsort(sorted, n, sizeof *sorted, compare_doubles);
  double k = ceil((1 - rho) * (double)n);
  size_t i = k < 1 ? 0 : (size_t)k - 1;
  double v = sorted[i < n ? i : n - 1];
  free(sorted);
  return v;
}

/* The level's estimates from its draws: P(S >= cut), KL(p*_cut || q) and the
 * elites' event ESS, all in log space. */
static void level_statistics(const level_draws *ld, double cut, issim_adapt_level *out)
{
  double top = -INFINITY;
  for (uint64_t i = 0; i < ld->n; i++)
    if (is_elite(ld->s[i], cut) && ld->lw[i] > top)
      top = ld->lw[i];
  double a = 0, b = 0, c = 0;
  for (uint64_t i = 0; isfinite(top) && i < ld->n; i++)
    if (is_elite(ld->s[i], cut) && ld->lw[i] > -INFINITY) {
      double w = exp(ld->lw[i] - top);
      a += w;
      b += w * ld->lw[i];
      c += w * w;
    }
  out->log_level_prob = isfinite(top) ? top + log(a) - log((double)ld->n) : -INFINITY;
  out->kl_star = isfinite(top) ? b / a - out->log_level_prob : NAN;
  out->event_ess = isfinite(top) ? a * a / c : 0;
}

/* ---- the driver ---- */

void issim_adapt_fit_clear(issim_adapt_fit *fit)
{
  free(fit->levels);
  issim_cefit_params_clear(&fit->params);
  *fit = (issim_adapt_fit){0};
}

/* The analytic tail check of a candidate proposal against the target on the
 * event region; infinite variance refuses the fit. */
static issim_variance fitted_variance(const issim_problem *s, const issim_model *qm,
                                      char *reason, size_t size)
{
  const issim_dist *p = issim_problem_line_target(s), *q = issim_model_line_dist(qm);
  if (p && q) {
    double lo, hi;
    issim_problem_event_region(s, &lo, &hi);
    return issim_weight_variance(p, q, lo, hi, reason, size);
  }
  issim_region a = issim_region_of_loss(s->event.loss, s->event.threshold, (int)s->event.direction);
  return issim_model_weight_variance_on(s->target, qm, &a, reason, size);
}

/* v <- alpha v + (1 - alpha) old, where the two have the same shape. */
static void smooth(issim_cefit_params *v, const issim_cefit_params *old, double alpha)
{
  if (alpha >= 1 || v->k != old->k)
    return;
  for (size_t j = 0; v->parts && old->parts && j < v->d; j++)
    smooth(&v->parts[j], &old->parts[j], alpha);
  size_t d = v->d;
  for (size_t j = 0; j < v->k; j++)
    v->weight[j] = alpha * v->weight[j] + (1 - alpha) * old->weight[j];
  for (size_t j = 0; j < v->k * d; j++)
    v->mean[j] = alpha * v->mean[j] + (1 - alpha) * old->mean[j];
  for (size_t j = 0; j < v->k * d * d; j++)
    v->cov[j] = alpha * v->cov[j] + (1 - alpha) * old->cov[j];
  v->rate = alpha * v->rate + (1 - alpha) * old->rate;
  v->shape = alpha * v->shape + (1 - alpha) * old->shape;
  v->scale = alpha * v->scale + (1 - alpha) * old->scale;
}

/* The proposal of v, as the scenario samples: a distribution on the line for
 * a univariate target (a mixture is a model); in the standard space of tr
 * (non-NULL), v's model of u carried to x. */
static int realise(const issim_problem *s, const issim_transform *tr, const issim_cefit_params *v,
                   issim_model **qm, issim_error *err)
{
  *qm = NULL;
  if (tr) {
    issim_model *qu = issim_cefit_params_standard_model(v, err);
    *qm = qu ? issim_transform_proposal(tr, qu, err) : NULL;
    issim_model_free(qu);
  } else if (issim_problem_line_target(s) && v->family != ISSIM_CE_MIXTURE) {
    issim_dist *q = issim_cefit_params_dist(v, err);
    *qm = q ? issim_model_alloc_line(q, err) : NULL;
    issim_dist_free(q);
  } else {
    *qm = issim_cefit_params_model(v, err);
  }
  return *qm ? ISSIM_OK : err->code;
}

static int target_is_student_t(const issim_problem *s)
{
  double df;
  const issim_dist *line = issim_problem_line_target(s);
  if (line)
    return line->kind == ISSIM_DIST_STUDENT_T;
  return issim_model_elliptical_form(s->target, NULL, NULL, &df) == ISSIM_OK && isfinite(df);
}

static int check_fitted(const issim_problem *s, const issim_transform *tr,
                        const issim_cefit_params *v, unsigned level, issim_error *err)
{
  issim_model *qm;
  int rc = realise(s, tr, v, &qm, err);
  if (rc != ISSIM_OK)
    return rc;
  char reason[ISSIM_TAIL_REASON_SIZE] = "";
  issim_variance var = fitted_variance(s, qm, reason, sizeof reason);
  issim_model_free(qm);
  if (var == ISSIM_VARIANCE_INFINITE)
    return issim_error_set(err, ISSIM_EINVAL, "level %u fitted a %s proposal whose weights "
                                              "would have infinite variance (%s); %s",
                           level, issim_cefit_family_name(v->family), reason,
                           target_is_student_t(s) && v->family != ISSIM_CE_STUDENT_T
                             ? "use family = student-t, whose tails match the target's"
                             : "choose a family whose tails are at least as heavy as the "
                               "target's on the event, or start from a wider proposal");
  return ISSIM_OK;
}

typedef struct {
  const issim_problem *s;
  const issim_adapt_options *opt;
  issim_cefit_update_rules rules;
  level_source src;
  double t;       /* the oriented threshold */
  double best;    /* the highest (oriented) gamma so far */
  int threads;
  uint64_t base_stream; /* level k draws from stream base_stream + k */
  double *tscratch;     /* d: the transform's, for the elites' u */
} fit_context;

/* One level: draws, gamma, statistics, elites, update.  Returns ISSIM_OK and
 * sets *reached (gamma is the threshold) and *stalled (the quantile did not
 * rise above the highest gamma so far, which the level keeps). */
static int run_level(fit_context *c, issim_adapt_fit *fit, level_draws *ld, int *reached,
                     int *stalled, issim_error *err)
{
  issim_cefit_params *v = &fit->params;
  unsigned k = (unsigned)fit->n_levels + 1;
  int rc = realise(c->s, c->src.tr, v, &c->src.qm, err);
  if (rc != ISSIM_OK)
    return rc;
  c->src.level = issim_problem_with_proposal(c->s, c->src.qm);
  c->src.stream = c->base_stream + k;
  ld->failed_block = UINT64_MAX;
  int ok = for_each_block(&c->src, c->threads, ld->n, weigh_block, ld);
  if (ok && ld->failed_block != UINT64_MAX) {
    issim_model_free(c->src.qm);
    c->src.qm = NULL;
    return issim_error_set(err, ISSIM_ELOSS, "level %u, %s", k, ld->failure);
  }
  double q = ok ? upper_quantile(ld->s, ld->n, c->opt->rho, &ok) : NAN;
  issim_adapt_level *lv = &fit->levels[fit->n_levels];
  *lv = (issim_adapt_level){.level = k, .draws = ld->n};
  *reached = ok && q >= c->t;
  *stalled = !*reached && fit->n_levels > 0 && !(q > c->best);
  if (*stalled)
    q = c->best;
  else if (!*reached)
    c->best = q;
  /* at the threshold the elites are the event itself (S > t, as it is defined) */
  double cut = *reached ? nextafter(c->t, INFINITY) : q;
  lv->gamma = c->src.dir * (*reached ? c->t : q);
  if (ok)
    level_statistics(ld, cut, lv);
  ok = ok && gather_elites(&c->src, c->threads, ld, cut);
  if (ok && c->src.tr) /* the elites' u, which the fit is of */
    issim_transform_to_u(c->src.tr, ld->n_elites, ld->elite_x, ld->elite_x, c->tscratch);
  issim_model_free(c->src.qm);
  c->src.qm = NULL;
  if (!ok)
    return issim_error_set(err, ISSIM_ENOMEM, "out of memory for a level's %llu draws",
                           (unsigned long long)ld->n);
  lv->elites = ld->n_elites;
  fit->draws += ld->n;
  fit->n_levels++;
  /* An exponential's location moves, at the last level, to an upper-tail
   * event's threshold: (t, inf) is then the proposal's whole support, and with
   * the rate fitted there it approaches the zero-variance proposal of an
   * exponential tail.  Intermediate levels keep it: an exponential that
   * starts at each level's gamma is memoryless, and would climb by only
   * log(1/rho) / rate a level. */
  c->rules.location = issim_problem_line_target(c->s) && c->src.dir > 0 && *reached ? c->t : NAN;
  issim_cefit_params old = {0};
  rc = issim_cefit_params_copy(&old, v);
  if (rc == ISSIM_OK)
    rc = issim_cefit_update(v, ld->n_elites, ld->elite_x, ld->elite_lw, &c->rules,
                         c->opt->components, err);
  if (rc == ISSIM_OK)
    smooth(v, &old, c->opt->alpha);
  issim_cefit_params_clear(&old);
  if (rc == ISSIM_OK)
    rc = check_fitted(c->s, c->src.tr, v, k, err);
  issim_cefit_params_describe(v, lv->fitted, sizeof lv->fitted);
  return rc;
}

/* Level streams: the fitted proposal's name, moved away from the stream its
 * final run uses (issim_rng_stream_id(name) itself). */
#define LEVEL_STREAM_SALT 0x63726f73732d656eull /* "cross-en" */

static void no_progress_message(issim_adapt_fit *fit, const issim_adapt_options *opt)
{
  const issim_adapt_level *last = &fit->levels[fit->n_levels - 1];
  fit->outcome = ISSIM_CE_NO_PROGRESS;
  snprintf(fit->message, sizeof fit->message,
           "levels %u to %u made no progress: gamma stayed at %.6g, so the threshold would "
           "never be reached. Either the family cannot follow the event (an event made of "
           "several regions, such as a max over many components, needs family = mixture with "
           "enough components), or the loss is flat or capped where the proposal draws. Try "
           "another family, more draws per level (level-draws, now %llu), a larger rho (now %g), "
           "or a start nearer the event (start = NAME)",
           last->level - ISSIM_CE_STALLS + 1, last->level, last->gamma,
           (unsigned long long)opt->level_draws, opt->rho);
}

/* What the spread update does by default: a student-t's scale must follow a
 * heavy tail (adapt.h); in the standard space (standard) every family fits
 * its spread, floored against N(0, I) (a limit surface curving round the
 * origin needs more spread along it than the target's); the other families
 * fit their means. */
static int spread_by_default(issim_cefit_family f, int standard)
{
  return standard || f == ISSIM_CE_STUDENT_T;
}

/* The levels, until the threshold, a stall, the level limit or `stop`. */
static int run_levels(fit_context *c, issim_adapt_fit *fit, level_draws *ld,
                      int (*stop)(void *user), void *stop_user, issim_error *err)
{
  const issim_adapt_options *opt = c->opt;
  int rc = ISSIM_OK;
  unsigned stalls = 0;
  fit->outcome = ISSIM_CE_LEVEL_LIMIT;
  while (rc == ISSIM_OK && fit->n_levels < opt->max_levels) {
    if (stop && stop(stop_user)) {
      fit->outcome = ISSIM_CE_INTERRUPTED;
      snprintf(fit->message, sizeof fit->message, "interrupted after %zu levels", fit->n_levels);
      break;
    }
    int reached = 0, stalled = 0;
    issim_error level_err;
    rc = run_level(c, fit, ld, &reached, &stalled, &level_err);
    if (rc == ISSIM_ELOSS) { /* the levels so far are the fit's partial result */
      fit->outcome = ISSIM_CE_LOSS_FAILED;
      snprintf(fit->message, sizeof fit->message, "the loss failed at %.990s", level_err.message);
      rc = ISSIM_OK;
      break;
    }
    if (rc != ISSIM_OK && err)
      *err = level_err;
    stalls = stalled ? stalls + 1 : 0;
    if (rc == ISSIM_OK && reached)
      fit->outcome = ISSIM_CE_REACHED;
    else if (rc == ISSIM_OK && stalls == ISSIM_CE_STALLS)
      no_progress_message(fit, opt);
    if (reached || stalls == ISSIM_CE_STALLS)
      break;
  }
  if (rc == ISSIM_OK && fit->outcome == ISSIM_CE_LEVEL_LIMIT)
    snprintf(fit->message, sizeof fit->message,
             "after %u levels gamma reached %.6g, short of the threshold %.6g; allow more levels "
             "(max-levels), or use a larger rho or a start nearer the event",
             opt->max_levels, fit->n_levels ? fit->levels[fit->n_levels - 1].gamma : NAN,
             c->s->event.threshold);
  return rc;
}

/* The standard space a fit works in: the transform of a d-dimensional target
 * without an elliptical form (independent components that are not all
 * normal, a copula); NULL: the fit works in x. */
static issim_transform *fit_space(const issim_problem *s, issim_cefit_family family)
{
  if (family == ISSIM_CE_INDEPENDENT || family == ISSIM_CE_EXPONENTIAL || family == ISSIM_CE_FACTOR_SHIFT ||
      family == ISSIM_CE_GAMMA) /* the natural exponential families, in x */
    return NULL;
  if (issim_problem_line_target(s) ||
      issim_model_elliptical_form(s->target, NULL, NULL, NULL) == ISSIM_OK)
    return NULL;
  return issim_transform_alloc(s->target, NULL);
}

int issim_adapt_run(const issim_problem *s, const char *name, const issim_adapt_options *opt,
                 uint64_t seed, const gsl_rng_type *rng, int threads,
                 int (*stop)(void *user), void *stop_user, issim_adapt_fit *fit,
                 issim_error *err)
{
  *fit = (issim_adapt_fit){0};
  double start_time = issim_clock_now();
  issim_transform *tr = fit_space(s, opt->family);
  int rc = start_params(s, opt->start, opt->family, tr, &fit->params, err);
  fit->standard = tr != NULL;
  fit->update_spread = opt->update_spread >= 0 ? opt->update_spread
                                               : spread_by_default(fit->params.family,
                                                                   fit->standard);
  fit_context c = {
    .s = s, .opt = opt, .t = (double)s->event.direction * s->event.threshold, .threads = threads,
    .best = -INFINITY, .base_stream = issim_rng_stream_id(name) ^ LEVEL_STREAM_SALT,
    .rules = {.update_spread = fit->update_spread, .min_spread = opt->min_spread, .location = NAN},
    .src = {.s = s, .d = issim_problem_dim(s), .dir = (int)s->event.direction, .seed = seed, .rng = rng,
            .tr = tr},
  };
  c.src.batch = issim_sampler_batch(s);
  c.tscratch = malloc(c.src.d * sizeof *c.tscratch);
  double *spread = target_spread(s, tr != NULL);
  c.rules.target_cov = spread;
  if (rc == ISSIM_OK && fit->update_spread && spread == NULL)
    rc = issim_error_set(err, ISSIM_EINVAL, "update = mean+spread floors the spread relative "
                                            "to the target's covariance, which this target does "
                                            "not have (not finite); use update = mean");
  if (rc == ISSIM_OK && fit->update_spread && fit->params.family != ISSIM_CE_EXPONENTIAL &&
      fit->params.family != ISSIM_CE_GAMMA)
    issim_cefit_floor_covariance(c.src.d, fit->params.cov, spread, opt->min_spread);
  fit->levels = calloc(opt->max_levels, sizeof *fit->levels);
  level_draws ld = {.n = opt->level_draws};
  ld.s = malloc(ld.n * sizeof *ld.s);
  ld.lw = malloc(ld.n * sizeof *ld.lw);
  if (rc == ISSIM_OK && (!fit->levels || !ld.s || !ld.lw || !c.tscratch))
    rc = issim_error_set(err, ISSIM_ENOMEM, "out of memory for the levels");
  if (rc == ISSIM_OK)
    rc = run_levels(&c, fit, &ld, stop, stop_user, err);
  free(spread), free(c.tscratch);
  issim_transform_free(tr);
  free(ld.s), free(ld.lw), free(ld.elite_x), free(ld.elite_lw);
  fit->seconds = issim_clock_now() - start_time;
  return rc;
}

int issim_adapt_fit_realise(const issim_problem *s, const issim_adapt_fit *fit, const char *name,
                         issim_model **model, issim_error *err)
{
  *model = NULL;
  if (fit->outcome != ISSIM_CE_REACHED)
    return issim_error_set(err, ISSIM_EINVAL, "proposal '%s' was not fitted: %s", name,
                           fit->message);
  /* v of u is carried to x by the target's transform */
  issim_transform *tr = fit->standard ? issim_transform_alloc(s->target, err) : NULL;
  int rc = fit->standard && tr == NULL ? err->code : realise(s, tr, &fit->params, model, err);
  issim_transform_free(tr);
  return rc;
}

int issim_adapt_save(FILE *out, const char *scenario, const char *name, const issim_adapt_fit *fit,
                  issim_error *err)
{
  if (fit->outcome != ISSIM_CE_REACHED)
    return issim_error_set(err, ISSIM_EINVAL, "nothing to save: %s", fit->message);
  fprintf(out, "; fitted by issim adapt (cross-entropy, family %s%s) on scenario %s:\n"
               "; %zu level%s, %llu draws\n",
          issim_cefit_family_name(fit->params.family),
          fit->standard ? ", in the standard space u" : "", scenario, fit->n_levels,
          fit->n_levels == 1 ? "" : "s", (unsigned long long)fit->draws);
  if (fit->standard)
    issim_cefit_params_write_standard(out, name, &fit->params);
  else
    issim_cefit_params_write(out, name, &fit->params);
  if (ferror(out))
    return issim_error_set(err, ISSIM_EIO, "cannot write the fitted proposal");
  return ISSIM_OK;
}
