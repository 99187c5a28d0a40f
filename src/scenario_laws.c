/* scenario_laws.c: the distributions and models a scenario's sections
 * describe ([target] and [proposal NAME]): families and their parameters,
 * vectors, matrices, correlations and covariances (scenario.h). */
#define _POSIX_C_SOURCE 200809L /* strdup */

#include "scenario_impl.h"
#include "engine.h"

#include <ctype.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static void join_keys(const char *const *keys, char *buf, size_t size)
{
  size_t used = snprintf(buf, size, "distribution");
  for (size_t i = 0; keys && keys[i] && used < size; i++)
    used += snprintf(buf + used, size - used, ", %s", keys[i]);
}

/* A [target] or [proposal NAME] section: `distribution` plus that family's
 * parameters.  *is_target is set for "distribution = target". */
/* ---------------------------------------------------------------------------
 * d-dimensional targets and proposals (model.h), losses (loss.h)
 * ------------------------------------------------------------------------- */

#define MAX_DIMENSION 10000

/* A family with a d x d matrix. */
static int is_dense(const char *family)
{
  return strcmp(family, "multivariate-normal") == 0 || strcmp(family, "multivariate-t") == 0 ||
         strcmp(family, "gaussian-copula") == 0;
}

int scenario_is_multivariate_family(const char *family)
{
  return strcmp(family, "multivariate-normal") == 0 || strcmp(family, "multivariate-t") == 0 ||
         strcmp(family, "independent") == 0 || strcmp(family, "gaussian-copula") == 0;
}

/* Whitespace- or comma-separated numbers, infinite ones too when
 * infinite_ok (issim_parse_bound); *out is malloc'd. */
static int parse_numbers(builder *b, const entry *e, double **out, size_t *n, int infinite_ok)
{
  size_t cap = 8;
  *n = 0;
  *out = malloc(cap * sizeof **out);
  char *copy = strdup(e->value);
  if (*out == NULL || copy == NULL) {
    free(*out);
    free(copy);
    b->r->nomem = 1;
    return 0;
  }
  char *save = NULL;
  for (char *tok = strtok_r(copy, " \t,", &save); tok; tok = strtok_r(NULL, " \t,", &save)) {
    if (*n == cap) {
      double *grown = realloc(*out, 2 * cap * sizeof **out);
      if (grown == NULL) {
        free(copy);
        free(*out);
        *out = NULL;
        b->r->nomem = 1;
        return 0;
      }
      *out = grown;
      cap *= 2;
    }
    issim_error inner;
    if ((infinite_ok ? issim_parse_bound : issim_parse_number)(tok, e->key, &(*out)[(*n)++],
                                                              &inner) != ISSIM_OK) {
      free(copy);
      free(*out);
      *out = NULL;
      return scenario_entry_error(b, e, &inner);
    }
  }
  free(copy);
  return 1;
}

/* A vector key: one value for every component or exactly d values; `dflt`
 * when absent (NAN: required). */
int scenario_get_vector(builder *b, section *sec, const char *key, size_t d, double dflt,
                      double *out)
{
  entry *e = issim_inifile_find(sec, key);
  if (e == NULL) {
    if (isnan(dflt))
      return issim_inifile_fail(b->r, sec->line, "[%s] needs '%s' (one value for every component, or %zu values)",
                  sec->name, key, d);
    for (size_t j = 0; j < d; j++)
      out[j] = dflt;
    return 1;
  }
  e->used = 1;
  double *v;
  size_t n;
  if (!parse_numbers(b, e, &v, &n, 0))
    return 0;
  int ok = n == 1 || n == d;
  for (size_t j = 0; ok && j < d; j++)
    out[j] = v[n == 1 ? 0 : j];
  free(v);
  if (!ok)
    return issim_inifile_fail(b->r, e->line, "%s has %zu values; give one (for every component) or %zu, the "
                               "dimension", key, n, d);
  return 1;
}

/* A d x d matrix key, row by row (continuation lines allowed).  *given says
 * whether the key was there. */
static int get_matrix(builder *b, section *sec, const char *key, size_t d, double *out, int *given)
{
  entry *e = issim_inifile_find(sec, key);
  *given = e != NULL;
  if (e == NULL)
    return 1;
  e->used = 1;
  double *v;
  size_t n;
  if (!parse_numbers(b, e, &v, &n, 0))
    return 0;
  int ok = n == d * d;
  if (ok)
    memcpy(out, v, n * sizeof *v);
  free(v);
  if (!ok)
    return issim_inifile_fail(b->r, e->line, "%s has %zu values; a %zu x %zu matrix needs %zu, row by row", key,
                n, d, d, d * d);
  return 1;
}

/* correlation: one number (every pair: equicorrelation) or a d x d matrix;
 * the identity when absent. */
static int get_correlation(builder *b, section *sec, size_t d, double *r)
{
  entry *e = issim_inifile_find(sec, "correlation");
  for (size_t i = 0; i < d; i++)
    for (size_t j = 0; j < d; j++)
      r[i * d + j] = i == j;
  if (e == NULL)
    return 1;
  e->used = 1;
  double *v;
  size_t n;
  if (!parse_numbers(b, e, &v, &n, 0))
    return 0;
  int ok = n == 1 || n == d * d;
  for (size_t k = 0; ok && k < d * d; k++)
    if (n == d * d || k / d != k % d)
      r[k] = n == 1 ? v[0] : v[k];
  double rho = v[0];
  free(v);
  if (!ok)
    return issim_inifile_fail(b->r, e->line, "correlation has %zu values; give one (the correlation of every "
                               "pair) or a %zu x %zu matrix (%zu values)", n, d, d, d * d);
  for (size_t i = 0; n > 1 && i < d; i++)
    for (size_t j = 0; j < d; j++) {
      double c = r[i * d + j];
      if (i == j && c != 1)
        return issim_inifile_fail(b->r, e->line, "a correlation matrix has 1s on its diagonal: entry (%zu,%zu) "
                                   "is %g", i + 1, j + 1, c);
      if (!(c >= -1 && c <= 1))
        return issim_inifile_fail(b->r, e->line, "correlations lie between -1 and 1: entry (%zu,%zu) is %g",
                    i + 1, j + 1, c);
      if (fabs(c - r[j * d + i]) > 1e-12 * fmax(fabs(c), fabs(r[j * d + i])))
        return issim_inifile_fail(b->r, e->line, "the correlation matrix is not symmetric: entry (%zu,%zu) = %g "
                                   "but (%zu,%zu) = %g", i + 1, j + 1, c, j + 1, i + 1, r[j * d + i]);
    }
  if (n == 1 && !(rho > -1.0 / (double)(d > 1 ? d - 1 : 1) && rho < 1))
    return issim_inifile_fail(b->r, e->line, "an equicorrelation of %g is not a valid correlation in %zu "
                               "dimensions: it must be above -1/(d-1) = %.6g and below 1",
                rho, d, -1.0 / (double)(d > 1 ? d - 1 : 1));
  return 1;
}

/* A covariance (or scale) matrix: the key itself, or sd and correlation. */
static int get_covariance(builder *b, section *sec, const char *key, size_t d, double *cov)
{
  int given;
  if (!get_matrix(b, sec, key, d, cov, &given))
    return 0;
  entry *sd = issim_inifile_find(sec, "sd"), *corr = issim_inifile_find(sec, "correlation");
  if (given && (sd || corr))
    return issim_inifile_fail(b->r, (sd ? sd : corr)->line, "give %s, or sd and correlation, not both", key);
  if (given)
    return 1;
  double *sds = malloc(d * sizeof *sds);
  if (sds == NULL) {
    b->r->nomem = 1;
    return 0;
  }
  int ok = scenario_get_vector(b, sec, "sd", d, 1, sds) && get_correlation(b, sec, d, cov);
  for (size_t j = 0; ok && j < d; j++)
    if (!(sds[j] > 0))
      ok = issim_inifile_fail(b->r, sd->line, "sd must be > 0 (got %g for component %zu)", sds[j], j + 1);
  for (size_t i = 0; ok && i < d; i++)
    for (size_t j = 0; j < d; j++)
      cov[i * d + j] *= sds[i] * sds[j];
  free(sds);
  return ok;
}

/* The families of the d components: `family_key` names one family for all,
 * or d of them, one per component (blanks or commas between).  fam[j]
 * points into *store, the value's copy (free it). */
static int component_families(builder *b, section *sec, const char *family_key, size_t d,
                              const char **fam, char **store, int *fline)
{
  const char *text = scenario_get(sec, family_key, fline);
  if (text == NULL)
    return issim_inifile_fail(b->r, sec->line, "[%s] needs '%s', the family of every component (e.g. %s = "
                                 "student-t), or of each (e.g. %s = lognormal normal)", sec->name,
                              family_key, family_key, family_key);
  if ((*store = strdup(text)) == NULL) {
    b->r->nomem = 1;
    return 0;
  }
  size_t n = 0;
  char *save = NULL;
  for (char *tok = strtok_r(*store, " \t,", &save); tok; tok = strtok_r(NULL, " \t,", &save)) {
    if (issim_dist_family_keys(tok) == NULL) {
      issim_error inner;
      issim_dist_alloc(tok, 0, NULL, NULL, &inner);
      return issim_inifile_fail(b->r, *fline, "%s", inner.message);
    }
    if (n < d)
      fam[n] = tok;
    n++;
  }
  if (n != 1 && n != d)
    return issim_inifile_fail(b->r, *fline, "%s has %zu families; give one (for every component) or %zu, "
                                 "the dimension (one per component, in order)", family_key, n, d);
  for (size_t j = 1; n == 1 && j < d; j++)
    fam[j] = fam[0];
  return 1;
}

/* Does a lognormal component take key, one of mean, sd and cov (of X)?
 * Never beside meanlog or sdlog.  When every component is a lognormal, each
 * of them (mean with sd or cov).  In a section mixing families, mean and sd
 * are the other families' (a normal's) and a lognormal keeps its default
 * meanlog and sdlog, unless the section gives cov: then the lognormals take
 * mean and cov (and sd stays the others'). */
static int lognormal_takes(section *sec, const char **fam, size_t d, const char *key)
{
  if (issim_inifile_find(sec, "meanlog") != NULL || issim_inifile_find(sec, "sdlog") != NULL)
    return 0;
  size_t j = 0;
  while (j < d && strcmp(fam[j], "lognormal") == 0)
    j++;
  if (j == d)
    return 1;
  return strcmp(key, "sd") != 0 && issim_inifile_find(sec, "cov") != NULL;
}

/* Does component j (of the d of families fam) take `key` in this section?
 * Its family's keys, except gamma's rate when the section gives a scale:
 * rate is gamma's alternative to scale, and the scale then names gamma's
 * while rate belongs to the other families (an exponential's); and a
 * lognormal's mean, sd and cov as lognormal_takes says. */
static int takes_key(section *sec, const char **fam, size_t d, size_t j, const char *key)
{
  const char *family = fam[j];
  const char *const *k = issim_dist_family_keys(family);
  while (*k && strcmp(*k, key) != 0)
    k++;
  if (*k == NULL)
    return 0;
  if (strcmp(family, "lognormal") == 0 && strcmp(key, "meanlog") != 0 &&
      strcmp(key, "sdlog") != 0)
    return lognormal_takes(sec, fam, d, key);
  return !(strcmp(family, "gamma") == 0 && strcmp(key, "rate") == 0 &&
           issim_inifile_find(sec, "scale") != NULL);
}

/* May key be infinite for one of the d families (truncated-normal's bounds)? */
static int any_infinite_ok(const char **fam, size_t d, const char *key)
{
  for (size_t j = 0; j < d; j++)
    if (issim_dist_key_may_be_infinite(fam[j], key))
      return 1;
  return 0;
}

/* A parameter key's values, given for the m components whose family takes
 * it: one value for all of them, or m in their order. */
typedef struct {
  const char *key;
  size_t m, n;    /* components taking it; values given (0: absent) */
  double *v;
} param_values;

static int get_param(builder *b, section *sec, param_values *pv, const char **fam, size_t d,
                     const char *takers)
{
  entry *e = issim_inifile_find(sec, pv->key);
  if (e == NULL)
    return 1;
  e->used = 1;
  if (pv->m == 0 && strcmp(pv->key, "rate") == 0) /* gamma's rate beside a scale, with no other family taking it */
    return issim_inifile_fail(b->r, e->line, "no component takes %s: gamma takes scale or rate, "
                                             "not both", pv->key);
  if (pv->m == 0) /* a lognormal's mean, sd or cov beside meanlog or sdlog */
    return issim_inifile_fail(b->r, e->line, "no component takes %s: a lognormal takes meanlog "
                                             "and sdlog (of log X) or mean with sd or cov (of X), "
                                             "not both", pv->key);
  if (!parse_numbers(b, e, &pv->v, &pv->n, any_infinite_ok(fam, d, pv->key)))
    return 0;
  if (pv->n == 1 || pv->n == pv->m)
    return 1;
  if (pv->m == d)
    return issim_inifile_fail(b->r, e->line, "%s has %zu values; give one (for every component) or %zu, the "
                                 "dimension", pv->key, pv->n, d);
  return issim_inifile_fail(b->r, e->line, "%s has %zu values; it is a parameter of %zu of the %zu "
                               "components (%s): give one value for all of them, or %zu, in their order",
                            pv->key, pv->n, pv->m, d, takers, pv->m);
}

/* The list "1, 4" of the components whose family takes key. */
static void list_takers(section *sec, const char **fam, size_t d, const char *key, char *buf,
                        size_t size)
{
  size_t used = 0;
  buf[0] = '\0';
  for (size_t j = 0; j < d && used < size; j++)
    if (takes_key(sec, fam, d, j, key))
      used += snprintf(buf + used, size - used, "%s%zu", used ? ", " : "", j + 1);
}

/* The union of the families' keys, each with how many components take it,
 * in the order of first appearance; appended to `known`. */
static size_t union_of_keys(section *sec, const char **fam, size_t d, param_values *pv,
                            size_t cap, char *known, size_t known_size)
{
  size_t np = 0, used = strlen(known);
  for (size_t j = 0; j < d; j++)
    for (const char *const *k = issim_dist_family_keys(fam[j]); *k; k++) {
      size_t i = 0;
      while (i < np && strcmp(pv[i].key, *k) != 0)
        i++;
      if (i == np && np < cap) {
        pv[np++] = (param_values){.key = *k};
        if (used < known_size)
          used += snprintf(known + used, known_size - used, ", %s", *k);
      }
      if (i < np && takes_key(sec, fam, d, j, *k))
        pv[i].m++;
    }
  return np;
}

/* Component j's distribution from the parameters given for its family. */
static int build_component(builder *b, section *sec, const char **fam, size_t d, size_t j,
                           const param_values *pv, size_t np, int fline, issim_dist **out)
{
  const char *names[ISSIM_DIST_MAX_PARAMS * 2];
  double v[ISSIM_DIST_MAX_PARAMS * 2];
  size_t n = 0;
  for (const char *const *k = issim_dist_family_keys(fam[j]); *k; k++) {
    size_t i = 0;
    while (i < np && strcmp(pv[i].key, *k) != 0)
      i++;
    if (i == np || pv[i].n == 0 || !takes_key(sec, fam, d, j, *k))
      continue;
    size_t rank = 0; /* j's place among the components taking the key */
    for (size_t c = 0; pv[i].n > 1 && c < j; c++)
      rank += (size_t)takes_key(sec, fam, d, c, *k);
    names[n] = *k;
    v[n++] = pv[i].v[pv[i].n == 1 ? 0 : rank];
  }
  issim_error inner;
  if ((*out = issim_dist_alloc(fam[j], n, names, v, &inner)) != NULL)
    return 1;
  entry *e = inner.key[0] ? issim_inifile_find(sec, inner.key) : NULL;
  return issim_inifile_fail(b->r, e ? e->line : fline, "component %zu: %s", j + 1, inner.message);
}

/* The d univariate distributions of an independent model or a copula: the
 * families of `family_key` (one for all, or one per component), each
 * parameter key one value or one for each component whose family takes it. */
static int build_components(builder *b, section *sec, const char *family_key, size_t d,
                            issim_dist **comps, char *known, size_t known_size)
{
  int fline;
  char *store = NULL, takers[256];
  const char **fam = calloc(d, sizeof *fam);
  param_values pv[ISSIM_DIST_NFAMILIES * ISSIM_DIST_MAX_PARAMS];
  size_t np = 0;
  if (fam == NULL)
    b->r->nomem = 1;
  int ok = fam && component_families(b, sec, family_key, d, fam, &store, &fline);
  if (ok)
    np = union_of_keys(sec, fam, d, pv, sizeof pv / sizeof *pv, known, known_size);
  for (size_t i = 0; ok && i < np; i++) {
    list_takers(sec, fam, d, pv[i].key, takers, sizeof takers);
    ok = get_param(b, sec, &pv[i], fam, d, takers);
  }
  for (size_t j = 0; ok && j < d; j++)
    ok = build_component(b, sec, fam, d, j, pv, np, fline, &comps[j]);
  for (size_t i = 0; i < np; i++)
    free(pv[i].v);
  free(store);
  free(fam);
  return ok;
}

static void free_components(issim_dist **comps, size_t d)
{
  for (size_t j = 0; comps && j < d; j++)
    issim_dist_free(comps[j]);
  free(comps);
}

/* A model's error from model.h, at the line of the key it names; a covariance
 * or scale matrix the user built from sd and correlation is named so. */
static int model_error(builder *b, section *sec, int dline, const issim_error *inner)
{
  entry *e = inner->key[0] ? issim_inifile_find(sec, inner->key) : NULL;
  int built = e == NULL && (strcmp(inner->key, "covariance") == 0 || strcmp(inner->key, "scale") == 0);
  entry *from = built ? issim_inifile_find(sec, "correlation") : NULL;
  if (from == NULL && built)
    from = issim_inifile_find(sec, "sd");
  if (from)
    return issim_inifile_fail(b->r, from->line, "the %s matrix built from sd and correlation: %s", inner->key,
                inner->message);
  return issim_inifile_fail(b->r, e ? e->line : dline, "%s", inner->message);
}

/* A section of one of the multivariate families, in d dimensions. */
int scenario_build_model(builder *b, section *sec, const char *family, int dline, size_t d,
                       issim_model **out)
{
  char known[512] = "distribution, dimension";
  /* the d x d matrix only where the family has one (an independent model
   * of 10,000 components needs none) */
  double *vec = malloc(d * sizeof *vec), *mat = malloc((is_dense(family) ? d * d : 1) * sizeof *mat);
  issim_dist **comps = calloc(d, sizeof *comps);
  if (vec == NULL || mat == NULL || comps == NULL) {
    free(vec);
    free(mat);
    free(comps);
    b->r->nomem = 1;
    return 0;
  }
  issim_error inner;
  int ok = 1;
  if (strcmp(family, "multivariate-normal") == 0) {
    strcat(known, ", mean, covariance, sd, correlation");
    ok = scenario_get_vector(b, sec, "mean", d, 0, vec) && get_covariance(b, sec, "covariance", d, mat);
    if (ok && !scenario_unknown_keys(b, sec, known))
      ok = 0;
    else if (ok && !(*out = issim_model_alloc_normal(d, vec, mat, &inner)))
      ok = model_error(b, sec, dline, &inner);
  } else if (strcmp(family, "multivariate-t") == 0) {
    strcat(known, ", df, location, scale, sd, correlation");
    int dfline;
    double df = NAN;
    const char *dft = scenario_get(sec, "df", &dfline);
    if (dft == NULL)
      ok = issim_inifile_fail(b->r, sec->line, "[%s] needs 'df', the degrees of freedom (e.g. df = 4)", sec->name);
    else if (issim_parse_number(dft, "df", &df, &inner) != ISSIM_OK)
      ok = issim_inifile_fail(b->r, dfline, "%s", inner.message);
    ok = ok && scenario_get_vector(b, sec, "location", d, 0, vec) && get_covariance(b, sec, "scale", d, mat);
    if (ok && !scenario_unknown_keys(b, sec, known))
      ok = 0;
    else if (ok && !(*out = issim_model_alloc_student_t(d, df, vec, mat, &inner)))
      ok = model_error(b, sec, dline, &inner);
  } else if (strcmp(family, "independent") == 0) {
    strcat(known, ", component");
    ok = build_components(b, sec, "component", d, comps, known, sizeof known);
    if (ok && !scenario_unknown_keys(b, sec, known))
      ok = 0;
    else if (ok && !(*out = issim_model_alloc_independent(d, (const issim_dist *const *)comps, &inner)))
      ok = model_error(b, sec, dline, &inner);
  } else { /* gaussian-copula */
    strcat(known, ", correlation, marginal");
    ok = get_correlation(b, sec, d, mat) &&
         build_components(b, sec, "marginal", d, comps, known, sizeof known);
    if (ok && !scenario_unknown_keys(b, sec, known))
      ok = 0;
    else if (ok && !(*out = issim_model_alloc_copula(d, mat, (const issim_dist *const *)comps, &inner)))
      ok = model_error(b, sec, dline, &inner);
  }
  free(vec);
  free(mat);
  free_components(comps, d);
  return ok;
}

/* ---- the memory a scenario will need (scenario.h), before any of it ---- */

#define ADAPTIVE_COMPONENTS 4 /* a mixture fit's default components (adapt.h) */
#define DESIGN_POINTS_ASSUMED 4 /* shift = design-points: components before the search */

static const char *value_of(section *sec, const char *key)
{
  entry *e = issim_inifile_find(sec, key);
  return e ? e->value : "";
}

/* The d x d matrices of one [proposal NAME] section, a dense target or not;
 * `threads` sums of an adaptive fit's covariances. */
static double proposal_matrices(section *sec, int dense_target, double threads)
{
  const char *family = value_of(sec, "distribution");
  if (is_dense(family))
    return 2; /* its matrix and factor */
  if (strcmp(family, "shifted-target") == 0)
    return 2 * (strcmp(value_of(sec, "shift"), "design-points") == 0 ? DESIGN_POINTS_ASSUMED : 1);
  if (strcmp(family, "standard-space") == 0) /* its normal of u, and T's copy of the target */
    return 2 + (dense_target ? 2 : 0);
  if (strcmp(family, "mixture") == 0) { /* a copy of each part */
    double terms = 1;
    for (const char *c = value_of(sec, "components"); *c; c++)
      terms += *c == '+';
    return dense_target ? 2 * terms : 0;
  }
  if (strcmp(family, "adaptive") == 0) { /* the fit, and each thread's sums */
    const char *k = value_of(sec, "components");
    double parts = strcmp(value_of(sec, "family"), "mixture") != 0 ? 1
                   : *k ? fmax(1, fmin(64, atof(k))) : ADAPTIVE_COMPONENTS;
    return parts * (2 + threads) + 2;
  }
  return 0;
}

/* The scenario's d x d matrices at their peak: the target's matrix and
 * factor and the matrix read from the file (dense families), a design-point
 * search's factor and 2d points (elliptical targets, whose failure regions
 * every run searches; any other target with a design-point shifted-target,
 * searched in its standard space), each proposal's. */
static double matrices_needed(builder *b, section *target, const char *family, double threads)
{
  int dense = is_dense(family);
  int elliptical = strcmp(family, "multivariate-normal") == 0 ||
                   strcmp(family, "multivariate-t") == 0 ||
                   (strcmp(family, "independent") == 0 &&
                    strcmp(value_of(target, "component"), "normal") == 0);
  double m = (dense ? 3 : 0) + (elliptical ? 3 : 0);
  int searched = elliptical; /* any other target: a shifted-target's search in its standard space */
  for (size_t i = 0; i < b->r->n; i++)
    if (strncmp(b->r->sections[i].name, "proposal", 8) == 0) {
      section *sec = &b->r->sections[i];
      m += proposal_matrices(sec, dense, threads);
      if (!searched && strcmp(value_of(sec, "distribution"), "shifted-target") == 0 &&
          strncmp(value_of(sec, "shift"), "design-point", 12) == 0)
        m += 3, searched = 1;
    }
  return m;
}

/* Refuses, at the dimension's line, a scenario whose estimate is above the
 * limit (scenario.h). */
static int memory_check(builder *b, section *sec, const char *family, size_t d, int line)
{
  double limit = b->limits.max_memory > 0 ? b->limits.max_memory : ISSIM_SCENARIO_MAX_MEMORY;
  double threads = issim_engine_threads(b->limits.threads);
  double matrices = matrices_needed(b, sec, family, threads);
  /* and the d-vectors: up to 1000 design points, batches, parameters */
  double bytes = 8.0 * (double)d * ((double)d * matrices + 1024);
  if (bytes <= limit)
    return 1;
  return issim_inifile_fail(b->r, line,
                            "dimension = %zu: this scenario would need about %.3g GB of memory "
                            "(%g matrices of %zu x %zu numbers for the target, the proposals and "
                            "their set-up), more than the limit of %.3g GB; lower the dimension, "
                            "or raise the limit with --max-memory",
                            d, bytes / 1e9, matrices, d, d, limit / 1e9);
}

static int build_multivariate_target(builder *b, section *sec, const char *family)
{
  int dline = sec->line, line = sec->line;
  scenario_get(sec, "distribution", &dline);
  const char *dim = scenario_get(sec, "dimension", &line);
  double d;
  issim_error inner;
  if (dim == NULL)
    return issim_inifile_fail(b->r, sec->line, "[target] with distribution = %s needs 'dimension' (e.g. "
                                 "dimension = 10)", family);
  if (issim_parse_number(dim, "dimension", &d, &inner) != ISSIM_OK)
    return issim_inifile_fail(b->r, line, "%s", inner.message);
  if (!(d >= 1 && d <= MAX_DIMENSION && d == floor(d)))
    return issim_inifile_fail(b->r, line, "dimension must be a whole number from 1 to %d (got '%s')",
                MAX_DIMENSION, dim);
  b->s->dimension = (size_t)d;
  b->use_models = 1;
  if (!memory_check(b, sec, family, b->s->dimension, line))
    return 0;
  return scenario_build_model(b, sec, family, dline, b->s->dimension, &b->s->target);
}


/* A univariate family's parameter that is not a number.  When it is several
 * numbers, the user most likely meant a d-dimensional law: say which. */
static int several_numbers_error(builder *b, const entry *e, const char *family,
                                 const issim_error *inner)
{
  size_t count = 0;
  double v;
  char *copy = strdup(e->value), *save = NULL;
  for (char *tok = copy ? strtok_r(copy, " \t,", &save) : NULL; tok;
       tok = strtok_r(NULL, " \t,", &save))
    count = issim_parse_number(tok, e->key, &v, NULL) == ISSIM_OK && count != SIZE_MAX ? count + 1
                                                                                        : SIZE_MAX;
  free(copy);
  if (count < 2 || count == SIZE_MAX)
    return scenario_entry_error(b, e, inner);
  return issim_inifile_fail(b->r, e->line,
                            "%s; %s is univariate, and %zu numbers describe a %zu-dimensional "
                            "law: distribution = multivariate-%s with dimension = %zu (or "
                            "independent, with a component per dimension)",
                            inner->message, family, count, count,
                            strcmp(family, "student-t") == 0 ? "t" : "normal", count);
}

int scenario_build_dist(builder *b, section *sec, issim_model **out, int allow_target,
                      int *is_target)
{
  int dline;
  const char *family = scenario_get(sec, "distribution", &dline);
  for (size_t i = 0; family == NULL && i < sec->n; i++)
    if (strcasecmp(sec->entries[i].key, "distribution") == 0)
      return scenario_unknown_key(b, sec, &sec->entries[i], "distribution");
  if (family == NULL)
    return issim_inifile_fail(b->r, sec->line, "[%s] needs a 'distribution' key (e.g. distribution = normal%s)",
                sec->name, allow_target ? ", or distribution = target for plain Monte Carlo" : "");
  if (allow_target && strcmp(family, "target") == 0) {
    *is_target = 1;
    for (size_t i = 0; i < sec->n; i++)
      if (!sec->entries[i].used)
        return issim_inifile_fail(b->r, sec->entries[i].line,
                    "key '%s' in [%s]: distribution = target takes no parameters (the proposal "
                    "is the target itself); remove it, or name a family to give parameters",
                    sec->entries[i].key, sec->name);
    return 1;
  }
  const char *const *keys = issim_dist_family_keys(family);
  if (keys == NULL) {
    issim_error inner;
    issim_dist_alloc(family, 0, NULL, NULL, &inner);
    return issim_inifile_fail(b->r, dline, "%s", inner.message);
  }
  char known[512];
  join_keys(keys, known, sizeof known);

  size_t n = 0;
  const char *names[ISSIM_DIST_MAX_PARAMS * 2];
  double values[ISSIM_DIST_MAX_PARAMS * 2];
  for (size_t i = 0; keys[i]; i++) {
    entry *e = issim_inifile_find(sec, keys[i]);
    if (e == NULL)
      continue;
    e->used = 1;
    issim_error inner;
    if ((issim_dist_key_may_be_infinite(family, keys[i]) ? issim_parse_bound : issim_parse_number)(
            e->value, e->key, &values[n], &inner) != ISSIM_OK)
      return several_numbers_error(b, e, family, &inner);
    names[n++] = keys[i];
  }
  if (!scenario_unknown_keys(b, sec, known))
    return 0;

  issim_error inner;
  issim_dist *dist = issim_dist_alloc(family, n, names, values, &inner);
  *out = dist ? issim_model_alloc_line(dist, &inner) : NULL;
  issim_dist_free(dist);
  if (*out == NULL) {
    entry *e = inner.key[0] ? issim_inifile_find(sec, inner.key) : NULL;
    return issim_inifile_fail(b->r, e ? e->line : sec->line, "%s", inner.message);
  }
  return 1;
}

int scenario_build_target(builder *b, section *sec)
{
  b->target_sec = sec;
  const char *family = scenario_get(sec, "distribution", NULL);
  if (family && scenario_is_multivariate_family(family))
    return build_multivariate_target(b, sec, family);
  if (family && strcmp(family, "credit-portfolio") == 0)
    return scenario_build_credit_target(b, sec);
  int unused;
  return scenario_build_dist(b, sec, &b->s->target, 0, &unused);
}
