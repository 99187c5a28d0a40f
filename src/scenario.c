#define _POSIX_C_SOURCE 200809L /* fmemopen, strdup */

#include "scenario.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>


#include "adapt.h"
#include "inifile.h"
#include "scenario_impl.h"
#include "design.h"
#include "form.h"
#include "rng.h"
#include "transform.h"


int scenario_entry_error(builder *b, const entry *e, const issim_error *inner)
{
  return issim_inifile_fail(b->r, e->line, "%s", inner->message);
}

const char *scenario_get(section *sec, const char *key, int *line)
{
  entry *e = issim_inifile_find(sec, key);
  if (e == NULL)
    return NULL;
  e->used = 1;
  if (line)
    *line = e->line;
  return e->value;
}

/* The known key (in a ", "-separated list) that `key` matches but for case. */
static int case_twin(const char *key, const char *known, char *twin, size_t size)
{
  size_t n = strlen(key);
  for (const char *k = known; *k;) {
    size_t len = strcspn(k, ", ");
    if (len == n && strncasecmp(k, key, n) == 0 && len < size) {
      memcpy(twin, k, len);
      twin[len] = '\0';
      return 1;
    }
    k += len;
    k += strspn(k, ", ");
  }
  return 0;
}

int scenario_unknown_key(builder *b, section *sec, const entry *e, const char *known)
{
  char twin[64];
  if (case_twin(e->key, known, twin, sizeof twin))
    return issim_inifile_fail(b->r, e->line, "unknown key '%s' in [%s]; keys are case-sensitive: did you mean '%s'?",
                e->key, sec->name, twin);
  return issim_inifile_fail(b->r, e->line, "unknown key '%s' in [%s] (known: %s)", e->key, sec->name, known);
}

int scenario_unknown_keys(builder *b, section *sec, const char *known)
{
  for (size_t i = 0; i < sec->n; i++)
    if (!sec->entries[i].used)
      return scenario_unknown_key(b, sec, &sec->entries[i], known);
  return 1;
}

char *scenario_unquote(const char *v)
{
  size_t n = strlen(v);
  if (n >= 2 && v[0] == '"' && v[n - 1] == '"')
    return strndup(v + 1, n - 2);
  return strdup(v);
}

static int build_info(builder *b, section *sec)
{
  const char *name = scenario_get(sec, "name", NULL);
  const char *description = scenario_get(sec, "description", NULL);
  if (name) {
    free(b->s->name);
    b->s->name = scenario_unquote(name);
  }
  if (description) {
    free(b->s->description);
    b->s->description = scenario_unquote(description);
  }
  return scenario_unknown_keys(b, sec, "name, description");
}

static int build_event(builder *b, section *sec)
{
  int line;
  b->event_sec = sec;
  const char *t = scenario_get(sec, "threshold", &line);
  if (t == NULL)
    return issim_inifile_fail(b->r, sec->line, "[event] needs a 'threshold' key (the event is x > threshold)");
  b->threshold_line = line;
  if (!b->threshold_from_option)
    b->threshold_text = t;
  const char *d = scenario_get(sec, "direction", &line);
  if (d != NULL) {
    if (strcmp(d, ">") == 0)
      b->s->event.direction = ISSIM_ABOVE;
    else if (strcmp(d, "<") == 0)
      b->s->event.direction = ISSIM_BELOW;
    else
      return issim_inifile_fail(b->r, line, "direction must be '>' (the event is loss > threshold) or '<' (got '%s')", d);
  }
  if (!b->quantile_from_option)
    b->quantile_text = scenario_get(sec, "quantile", &b->quantile_line);
  else
    scenario_get(sec, "quantile", NULL);
  const char *ref = scenario_get(sec, "reference", &line);
  if (ref != NULL) {
    double v;
    issim_error inner;
    if (issim_parse_number(ref, "reference", &v, &inner) != ISSIM_OK || !(v > 0 && v <= 1))
      return issim_inifile_fail(b->r, line, "reference must be the event's probability, a number "
                                            "above 0 and at most 1, known from elsewhere (got "
                                            "'%s')", ref);
    b->s->reference_log = log(v);
  }
  /* the loss keys are read once the dimension is known */
  scenario_get(sec, "loss", NULL);
  scenario_get(sec, "weights", NULL);
  scenario_get(sec, "expression", NULL);
  scenario_get(sec, "variables", NULL);
  for (size_t i = 0; i < sec->n; i++)
    sec->entries[i].used |= scenario_user_loss_key(sec->entries[i].key);
  return scenario_unknown_keys(b, sec, "threshold, direction, loss, weights, expression, variables, reference, "
                                       "library, function, init, free, message, parameters, "
                                       "command, timeout, mode, quantile");
}

static int valid_proposal_name(const char *name)
{
  if (*name == '\0')
    return 0;
  for (const char *p = name; *p; p++)
    if (!(isalnum((unsigned char)*p) || *p == '_' || *p == '-' || *p == '.'))
      return 0;
  return 1;
}

int issim_proposal_unfitted(const issim_proposal *p)
{
  return p->adaptive != NULL && !p->fitted;
}

/* The [proposal NAME] section of that name, or NULL. */
static section *proposal_section(const builder *b, const char *name)
{
  for (size_t i = 0; i < b->r->n; i++) {
    const char *n = b->r->sections[i].name;
    if (strncmp(n, "proposal", 8) != 0 || !isspace((unsigned char)n[8]))
      continue;
    n += 8;
    while (isspace((unsigned char)*n))
      n++;
    if (strcmp(n, name) == 0)
      return &b->r->sections[i];
  }
  return NULL;
}

static int is_adaptive_section(section *sec)
{
  entry *e = issim_inifile_find(sec, "distribution");
  return e != NULL && strcmp(e->value, "adaptive") == 0;
}

/* start = NAME: another proposal of the file, itself not adaptive. */
static int valid_start(builder *b, section *sec, const char *start, int line)
{
  section *from = proposal_section(b, start);
  if (from == NULL)
    return issim_inifile_fail(b->r, line, "start = %s: there is no [proposal %s]; start from 'target' (the "
                            "default) or from one of this file's proposals", start, start);
  if (from == sec || is_adaptive_section(from))
    return issim_inifile_fail(b->r, line, "start = %s: the cross-entropy method starts from a proposal with "
                            "fixed parameters, not from an adaptive one", start);
  return 1;
}

#define CE_KEYS "family, start, rho, level-draws, alpha, max-levels, update, min-spread, components"

static int is_ce_key(const char *key)
{
  char probe[64];
  int n = snprintf(probe, sizeof probe, ", %s,", key);
  return n > 0 && (size_t)n < sizeof probe && strstr(", " CE_KEYS ",", probe) != NULL;
}

/* distribution = adaptive: the cross-entropy method's options (adapt.h). */
static int build_adaptive(builder *b, section *sec, issim_proposal *p)
{
  issim_adapt_options o = issim_adapt_options_default();
  int ok = 1, comp_line = 0;
  for (size_t i = 0; ok && i < sec->n; i++) {
    entry *e = &sec->entries[i];
    if (e->used) /* distribution */
      continue;
    issim_error inner;
    if (!is_ce_key(e->key))
      ok = scenario_unknown_key(b, sec, e, "distribution, " CE_KEYS);
    else if (issim_adapt_options_set(&o, e->key, e->key, e->value, &inner) != ISSIM_OK)
      ok = issim_inifile_fail(b->r, e->line, "%s", inner.message);
    else if (strcmp(e->key, "start") == 0 && o.start)
      ok = valid_start(b, sec, o.start, e->line);
    if (strcmp(e->key, "components") == 0)
      comp_line = e->line;
    e->used = 1;
  }
  if (ok && comp_line && o.family != ISSIM_CE_MIXTURE)
    ok = issim_inifile_fail(b->r, comp_line, "components applies to family = mixture only");
  if (ok && !(p->adaptive = malloc(sizeof *p->adaptive))) {
    b->r->nomem = 1;
    ok = 0;
  }
  if (!ok) {
    free(o.start);
    return 0;
  }
  *p->adaptive = o;
  if (o.family == ISSIM_CE_MIXTURE)
    b->use_models = 1; /* a mixture is a model, in one dimension too */
  return 1;
}

static int build_proposal(builder *b, section *sec, const char *name)
{
  if (!valid_proposal_name(name))
    return issim_inifile_fail(b->r, sec->line,
                "proposal name '%s' must be letters, digits, '_', '-' or '.' (e.g. [proposal shifted])",
                name);
  issim_scenario *s = b->s;
  for (size_t i = 0; i < s->n_proposals; i++)
    if (strcmp(s->proposals[i].name, name) == 0)
      return issim_inifile_fail(b->r, sec->line, "proposal '%s' is defined twice (first at line %d); give each "
                                   "proposal its own name",
                  name, s->proposals[i].line);
  issim_proposal *p = realloc(s->proposals, (s->n_proposals + 1) * sizeof *p);
  if (p == NULL) {
    b->r->nomem = 1;
    return 0;
  }
  s->proposals = p;
  p = &s->proposals[s->n_proposals];
  *p = (issim_proposal){.name = strdup(name), .line = sec->line};
  if (p->name == NULL) {
    b->r->nomem = 1;
    return 0;
  }
  s->n_proposals++;
  const char *family = scenario_get(sec, "distribution", NULL);
  if (family && (scenario_is_multivariate_family(family) || strcmp(family, "shifted-target") == 0 ||
                 strcmp(family, "mixture") == 0 || strcmp(family, "standard-space") == 0 ||
                 scenario_is_credit_family(family))) {
    section **d = realloc(b->deferred, (b->n_deferred + 1) * sizeof *d);
    if (d == NULL) {
      b->r->nomem = 1;
      return 0;
    }
    b->deferred = d;
    b->deferred[b->n_deferred++] = sec;
    /* a univariate target is wrapped as a model of dimension 1 for these */
    if (strcmp(family, "mixture") == 0 || strcmp(family, "shifted-target") == 0 ||
        strcmp(family, "standard-space") == 0)
      b->use_models = 1;
    return 1;
  }
  if (family && strcmp(family, "adaptive") == 0)
    return build_adaptive(b, sec, p);
  int is_target = 0;
  return scenario_build_dist(b, sec, &p->model, 1, &is_target);
}

static int build_run(builder *b, section *sec)
{
  int line;
  issim_error inner;
  const char *v;
  if ((v = scenario_get(sec, "samples", &line)) && issim_parse_samples(v, "samples", &b->s->samples, &inner))
    return issim_inifile_fail(b->r, line, "%s", inner.message);
  if ((v = scenario_get(sec, "seed", &line)) && issim_parse_seed(v, "seed", &b->s->seed, &inner))
    return issim_inifile_fail(b->r, line, "%s", inner.message);
  if ((v = scenario_get(sec, "rng", &line)) && issim_rng_lookup(v, &b->s->rng, &inner))
    return issim_inifile_fail(b->r, line, "%s", inner.message);
  return scenario_unknown_keys(b, sec, "samples, seed, rng");
}

static int build_section(builder *b, section *sec)
{
  if (strcmp(sec->name, "scenario") == 0)
    return build_info(b, sec);
  if (strcmp(sec->name, "target") == 0)
    return scenario_build_target(b, sec);
  if (strcmp(sec->name, "event") == 0)
    return build_event(b, sec);
  if (strcmp(sec->name, "run") == 0)
    return build_run(b, sec);
  if (strncmp(sec->name, "proposal", 8) == 0 &&
      (sec->name[8] == '\0' || isspace((unsigned char)sec->name[8]))) {
    const char *name = sec->name + 8;
    while (isspace((unsigned char)*name))
      name++;
    if (*name == '\0')
      return issim_inifile_fail(b->r, sec->line, "a proposal section needs a name: [proposal NAME]");
    return build_proposal(b, sec, name);
  }
  return issim_inifile_fail(b->r, sec->line,
              "unknown section [%s] (known: [scenario], [target], [event], [proposal NAME], [run])",
              sec->name);
}


/* ---- phase B: what depends on the whole file ---- */

/* A univariate target's loss is x itself. */
static int unused_loss_keys(builder *b)
{
  section *sec = b->event_sec;
  entry *kind = issim_inifile_find(sec, "loss"), *w = issim_inifile_find(sec, "weights"),
        *ex = issim_inifile_find(sec, "expression");
  if (kind && strcmp(kind->value, "identity") != 0)
    return issim_inifile_fail(b->r, kind->line, "loss = %s needs a multivariate target; with a univariate "
                                  "target the loss is x itself (loss = identity)", kind->value);
  entry *v = issim_inifile_find(sec, "variables");
  if (w || ex || v)
    return issim_inifile_fail(b->r, (w ? w : ex ? ex : v)->line, "%s applies to a multivariate target's loss",
                w ? "weights" : ex ? "expression" : "variables");
  return scenario_check_user_loss_keys(b, sec, "identity");
}

static int is_mixture_section(const builder *b, const issim_proposal *q)
{
  for (size_t i = 0; i < b->n_deferred; i++)
    if (b->deferred[i]->line == q->line)
      return strcmp(scenario_get(b->deferred[i], "distribution", NULL), "mixture") == 0;
  return 0;
}

static int build_loss(builder *b)
{
  issim_scenario *s = b->s;
  section *sec = b->event_sec;
  size_t d = s->dimension;
  entry *kind = issim_inifile_find(sec, "loss"), *w = issim_inifile_find(sec, "weights"),
        *ex = issim_inifile_find(sec, "expression");
  static const struct { const char *name; issim_loss_kind kind; } kinds[] = {
    {"identity", ISSIM_LOSS_IDENTITY}, {"linear", ISSIM_LOSS_LINEAR}, {"sum", ISSIM_LOSS_SUM},
    {"max", ISSIM_LOSS_MAX}, {"min", ISSIM_LOSS_MIN}, {"norm", ISSIM_LOSS_NORM},
    {"expression", ISSIM_LOSS_EXPRESSION},
  };
  issim_loss_kind k = ISSIM_LOSS_IDENTITY;
  if (!scenario_read_variables(b, sec))
    return 0;
  if (scenario_credit_law(s))
    return scenario_build_credit_loss(b);
  if (kind == NULL && d > 1)
    return issim_inifile_fail(b->r, sec->line, "[event] needs 'loss' for a %zu-dimensional target: linear "
                                 "(with weights), sum, max, min, norm, expression, plugin or command", d);
  int user = kind && (strcmp(kind->value, "plugin") == 0 || strcmp(kind->value, "command") == 0);
  if (user && (w || ex))
    return issim_inifile_fail(b->r, (w ? w : ex)->line, "%s applies to loss = %s (the loss here is %s)",
                w ? "weights" : "expression", w ? "linear" : "expression", kind->value);
  if (user)
    return scenario_build_user_loss(b, sec, kind);
  if (kind != NULL) {
    size_t i = 0;
    while (i < sizeof kinds / sizeof kinds[0] && strcmp(kinds[i].name, kind->value) != 0)
      i++;
    if (i == sizeof kinds / sizeof kinds[0])
      return issim_inifile_fail(b->r, kind->line, "unknown loss '%s' (known: identity, linear, sum, max, min, "
                                    "norm, expression, plugin, command)", kind->value);
    k = kinds[i].kind;
  }
  if (!scenario_check_user_loss_keys(b, sec, kind ? kind->value : "identity"))
    return 0;
  if (w && k != ISSIM_LOSS_LINEAR)
    return issim_inifile_fail(b->r, w->line, "weights apply to loss = linear (the loss here is %s)",
                issim_loss_kind_name(k));
  if (ex && k != ISSIM_LOSS_EXPRESSION)
    return issim_inifile_fail(b->r, ex->line, "expression applies to loss = expression (the loss here is %s)",
                issim_loss_kind_name(k));
  if (k == ISSIM_LOSS_IDENTITY && d != 1)
    return issim_inifile_fail(b->r, kind->line, "loss = identity is for one dimension; the target has %zu", d);
  issim_error inner;
  if (k == ISSIM_LOSS_LINEAR) {
    double *wv = malloc(d * sizeof *wv);
    if (wv == NULL) {
      b->r->nomem = 1;
      return 0;
    }
    int ok = scenario_get_vector(b, sec, "weights", d, NAN, wv);
    if (ok && !(s->event.loss = issim_loss_alloc_linear(d, wv, &inner)))
      ok = issim_inifile_fail(b->r, w ? w->line : sec->line, "%s", inner.message);
    free(wv);
    return ok;
  }
  if (k == ISSIM_LOSS_EXPRESSION) {
    if (ex == NULL)
      return issim_inifile_fail(b->r, sec->line, "loss = expression needs 'expression', a formula in x1..x%zu", d);
    if (!(s->event.loss = issim_loss_alloc_expression_named(d, (const char *const *)s->variables,
                                                            ex->value, &inner)))
      return issim_inifile_fail(b->r, ex->line, "%s", inner.message);
    return 1;
  }
  if (!(s->event.loss = issim_loss_alloc(k, d, &inner)))
    return issim_inifile_fail(b->r, kind ? kind->line : sec->line, "%s", inner.message);
  return 1;
}

static int loss_range_of(const issim_scenario *s, double *lo, double *hi)
{
  issim_problem pb = issim_scenario_problem(s, NULL);
  return issim_problem_loss_range(&pb, lo, hi);
}

/* A d-dimensional event the loss cannot reach on the target's support has
 * P = 0 exactly: refused at the threshold, as in one dimension. */
static int check_model_event(builder *b)
{
  issim_scenario *s = b->s;
  double lo, hi;
  if (issim_model_line_dist(s->target) || s->event.loss == NULL || !loss_range_of(s, &lo, &hi))
    return 1;
  int above = s->event.direction == ISSIM_ABOVE;
  if (above ? s->event.threshold < hi : s->event.threshold > lo)
    return 1;
  char event[256];
  issim_scenario_describe_event(s, event, sizeof event);
  return issim_inifile_fail(b->r, b->threshold_line,
              "the event %s is impossible under the target: on its support the loss ranges "
              "over [%.10g, %.10g], so P = 0 exactly; choose a threshold %s %.10g",
              event, lo, hi, above ? "below" : "above", above ? hi : lo);
}

static issim_proposal *proposal_of_section(issim_scenario *s, const section *sec)
{
  for (size_t i = 0; i < s->n_proposals; i++)
    if (s->proposals[i].line == sec->line)
      return &s->proposals[i];
  return NULL;
}

/* shift = design-point: the target moved to the most likely point of the
 * event; shift = design-points: the mixture of the target moved to each
 * design point, weighted by their half-spaces' probabilities (design.h). */
static int design_point(builder *b, int line, const char *shift, double spread, issim_proposal *p)
{
  issim_scenario *s = b->s;
  issim_event ev = s->event;
  issim_error inner = {0};
  uint64_t calls = issim_loss_calls(ev.loss);
  if (isnan(spread)) { /* spread = curvature */
    p->model = issim_form_curved_proposal(s->target, &ev, strcmp(shift, "design-points") == 0,
                                          &inner);
  } else if (strcmp(shift, "design-points") == 0) {
    p->model = issim_design_mixture(s->target, &ev, spread, &inner);
  } else {
    double *x = malloc(s->dimension * sizeof *x);
    if (x == NULL)
      inner.code = ISSIM_ENOMEM;
    else if (issim_design_point(s->target, &ev, x, NULL, &inner) == ISSIM_OK)
      p->model = issim_design_shifted(s->target, x, spread, &inner);
    free(x);
  }
  p->search_calls = issim_loss_calls(ev.loss) - calls;
  if (p->model != NULL)
    return 1;
  if (inner.code == ISSIM_ENOMEM)
    b->r->nomem = 1;
  return issim_inifile_fail(b->r, line, "shift = %s: %s; give the shift as a vector of %zu values instead",
              shift, inner.message, s->dimension);
}

/* Does the target have a standard space (transform.h)?  Else fails at the
 * section's line, saying why. */
static int has_standard_space(builder *b, section *sec, const char *family)
{
  issim_error inner;
  issim_transform *tr = issim_transform_alloc(b->s->target, &inner);
  issim_transform_free(tr);
  if (tr == NULL)
    return issim_inifile_fail(b->r, sec->line, "distribution = %s: %s", family, inner.message);
  return 1;
}

/* distribution = shifted-target: the target moved by `shift` (a vector,
 * design-point or design-points) and widened by `spread`: a normal's or t's
 * mean (or independent normals') in x, any other target in its standard
 * space (design.h). */
static int build_shifted(builder *b, section *sec, issim_proposal *p)
{
  issim_scenario *s = b->s;
  size_t d = s->dimension;
  double spread = 1;
  int line = sec->line, shift_line = sec->line;
  issim_error inner;
  if (!has_standard_space(b, sec, "shifted-target"))
    return 0;
  int elliptical = issim_model_elliptical_form(s->target, NULL, NULL, NULL) == ISSIM_OK;
  const char *shift = scenario_get(sec, "shift", &shift_line);
  if (shift == NULL)
    return issim_inifile_fail(b->r, sec->line, "[%s] needs 'shift': design-point, design-points, or a vector "
                                 "of %zu values", sec->name, d);
  const char *sp = scenario_get(sec, "spread", &line);
  int curvature = sp && strcmp(sp, "curvature") == 0;
  if (sp && !curvature &&
      (issim_parse_number(sp, "spread", &spread, &inner) != ISSIM_OK || !(spread > 0)))
    return issim_inifile_fail(b->r, line, "spread must be a number > 0, the factor on the target's standard "
                            "deviations, or curvature (got '%s')", sp);
  if (!scenario_unknown_keys(b, sec, "distribution, shift, spread"))
    return 0;
  int at_points = strcmp(shift, "design-point") == 0 || strcmp(shift, "design-points") == 0;
  if (curvature && !at_points)
    return issim_inifile_fail(b->r, line, "spread = curvature fits the spread to the limit surface at "
                                          "the design points: it needs shift = design-point or "
                                          "design-points, not a vector");
  if (at_points)
    return design_point(b, shift_line, shift, curvature ? NAN : spread, p);
  double *mu = malloc(d * sizeof *mu), *v = malloc(d * sizeof *v);
  if (!mu || !v) {
    free(mu), free(v);
    b->r->nomem = 1;
    return 0;
  }
  int ok = scenario_get_vector(b, sec, "shift", d, NAN, v);
  if (ok && elliptical) {
    issim_model_elliptical_form(s->target, mu, NULL, NULL);
    for (size_t j = 0; j < d; j++)
      mu[j] += v[j];
    p->model = issim_design_shifted(s->target, mu, spread, &inner);
  } else if (ok) { /* the standard space's origin moved by the shift */
    p->model = issim_design_standard_shifted(s->target, v, spread, &inner);
  }
  if (ok && p->model == NULL)
    ok = issim_inifile_fail(b->r, sec->line, "%s", inner.message);
  free(mu), free(v);
  return ok;
}

/* distribution = standard-space: a multivariate normal of u (the keys of a
 * multivariate-normal: mean, covariance or sd and correlation; N(0, I)
 * without them) in the target's standard space, carried to x by its
 * transform (transform.h). */
static int build_standard_space(builder *b, section *sec, issim_proposal *p)
{
  issim_scenario *s = b->s;
  int dline = sec->line;
  scenario_get(sec, "distribution", &dline);
  if (!has_standard_space(b, sec, "standard-space"))
    return 0;
  issim_model *qu = NULL;
  if (!scenario_build_model(b, sec, "multivariate-normal", dline, s->dimension, &qu))
    return 0;
  issim_error inner;
  issim_transform *tr = issim_transform_alloc(s->target, &inner);
  if (tr)
    p->model = issim_transform_proposal(tr, qu, &inner);
  issim_transform_free(tr);
  issim_model_free(qu);
  if (p->model == NULL)
    return issim_inifile_fail(b->r, sec->line, "%s", inner.message);
  return 1;
}

/* The mixture of the k parts.  When every part is in the target's standard
 * space (transform.h) or is the target itself (there, N(0, I)), and one at
 * least is, the mixture is made in u and carried to x once: the same law
 * as the mixture of the parts, at the price of one transform a draw. */
static issim_model *mixture_of(const issim_scenario *s, size_t k, const issim_model *const *parts,
                               const double *weights, issim_error *err)
{
  const issim_transform *tr = NULL;
  size_t standard = 0;
  for (size_t i = 0; i < k; i++) {
    const issim_transform *t = issim_transform_of(parts[i]);
    if (t && issim_transform_is_of(t, s->target))
      tr = t, standard++;
    else if (parts[i] == s->target)
      standard++;
  }
  if (tr == NULL || standard < k)
    return issim_model_alloc_mixture(k, parts, weights, err);
  const issim_model *inner[64];
  issim_model *z = issim_transform_standard_normal(s->dimension, err), *mu = NULL, *m = NULL;
  for (size_t i = 0; z && i < k; i++)
    inner[i] = parts[i] == s->target ? z : issim_transform_inner(parts[i]);
  if (z && (mu = issim_model_alloc_mixture(k, inner, weights, err)) != NULL)
    m = issim_transform_proposal(tr, mu, err);
  issim_model_free(mu);
  issim_model_free(z);
  return m;
}

/* distribution = mixture, components = 0.1 target + 0.9 shifted */
#define MAX_MIXTURE_TERMS 64

static int build_mixture(builder *b, section *sec, issim_proposal *p)
{
  issim_scenario *s = b->s;
  int line;
  const char *text = scenario_get(sec, "components", &line);
  if (text == NULL)
    return issim_inifile_fail(b->r, sec->line, "[%s] needs 'components', e.g. components = 0.1 target + 0.9 "
                                 "shifted (weights and the names of other proposals)", sec->name);
  if (!scenario_unknown_keys(b, sec, "distribution, components"))
    return 0;
  size_t terms = 1;
  for (const char *c = text; *c; c++)
    terms += *c == '+';
  if (terms > MAX_MIXTURE_TERMS)
    return issim_inifile_fail(b->r, line, "a mixture has at most %d terms; this one has %zu",
                              MAX_MIXTURE_TERMS, terms);
  char *copy = strdup(text);
  const issim_model *parts[MAX_MIXTURE_TERMS];
  double weights[MAX_MIXTURE_TERMS];
  size_t k = 0;
  int ok = copy != NULL;
  char *save = NULL;
  for (char *term = copy ? strtok_r(copy, "+", &save) : NULL; ok && term;
       term = strtok_r(NULL, "+", &save)) {
    double w;
    int used = 0;
    char *name = sscanf(term, " %lf%n", &w, &used) == 1 ? issim_inifile_trim(term + used) : "";
    if (used == 0 || *name == '\0' ||
        name[strcspn(name, " \t\n")] != '\0')
      ok = issim_inifile_fail(b->r, line, "cannot read the mixture term '%s'; write components = 0.1 target + "
                            "0.9 shifted", issim_inifile_trim(term));
    const issim_proposal *q = NULL;
    if (ok && strcmp(name, "target") != 0) {
      q = issim_scenario_proposal(s, name);
      if (q == NULL || q == p)
        ok = issim_inifile_fail(b->r, line, "mixture component '%s' is not %s", name,
                  q == p ? "allowed: a mixture cannot contain itself" : "a proposal of this scenario (or target)");
      else if (q->adaptive)
        ok = issim_inifile_fail(b->r, line, "mixture component '%s' is adaptive, fitted only when it runs; fit "
                              "it with issim adapt --save FILE and mix the saved proposal", name);
      else if (is_mixture_section(b, q))
        ok = issim_inifile_fail(b->r, line, "mixture component '%s' is itself a mixture; list its components "
                              "in this mixture instead", name);
    }
    if (ok) {
      parts[k] = q && q->model ? q->model : s->target;
      weights[k++] = w;
    }
  }
  free(copy);
  issim_error inner;
  if (ok && !(p->model = mixture_of(s, k, parts, weights, &inner)))
    ok = issim_inifile_fail(b->r, line, "%s%s", strncmp(inner.message, "weight", 6) == 0 ? "mixture " : "",
              inner.message);
  return ok;
}

static int build_deferred(builder *b, section *sec)
{
  issim_scenario *s = b->s;
  issim_proposal *p = proposal_of_section(s, sec);
  int dline = sec->line;
  const char *family = scenario_get(sec, "distribution", &dline);
  if (!scenario_check_credit_proposal(b, family, dline))
    return 0;
  if (scenario_is_credit_family(family))
    return scenario_build_credit_proposal(b, sec, family, p);
  if (strcmp(family, "shifted-target") == 0)
    return build_shifted(b, sec, p);
  if (strcmp(family, "mixture") == 0)
    return build_mixture(b, sec, p);
  int standard = strcmp(family, "standard-space") == 0;
  if (issim_model_line_dist(s->target) && !standard)
    return issim_inifile_fail(b->r, dline, "proposal '%s' is %s but the target is univariate; use a "
                             "univariate family", p->name, family);
  int dim_line = sec->line;
  const char *dim = scenario_get(sec, "dimension", &dim_line);
  double dv;
  if (dim && (issim_parse_number(dim, "dimension", &dv, NULL) != ISSIM_OK || dv != (double)s->dimension))
    return issim_inifile_fail(b->r, dim_line, "proposal '%s' has dimension %s but the target has %zu", p->name,
                dim, s->dimension);
  if (standard)
    return build_standard_space(b, sec, p);
  return scenario_build_model(b, sec, family, dline, s->dimension, &p->model);
}

/* A univariate target with a mixture proposal (use_models) makes the
 * scenario one of dimension 1, with the identity loss; a d-dimensional
 * target takes no univariate proposal. */
static int check_univariate(builder *b)
{
  issim_scenario *s = b->s;
  if (issim_model_line_dist(s->target)) {
    s->dimension = b->use_models ? 1 : s->dimension;
    return 1;
  }
  for (size_t i = 0; i < s->n_proposals; i++) {
    const issim_dist *q = issim_model_line_dist(s->proposals[i].model);
    if (q != NULL) {
      const char *family = issim_dist_name(q);
      return issim_inifile_fail(b->r, s->proposals[i].line,
                  "proposal '%s' is univariate (%s) but the target has %zu dimensions; use "
                  "distribution = independent with component = %s, or a multivariate family",
                  s->proposals[i].name, family, s->dimension, family);
    }
  }
  return 1;
}

static int resolve(builder *b)
{
  issim_scenario *s = b->s;
  if (!check_univariate(b))
    return 0;
  /* a univariate target's loss is x itself, with or without models */
  if (issim_model_line_dist(s->target) && !unused_loss_keys(b))
    return 0;
  if (b->use_models && !build_loss(b))
    return 0;
  if (!scenario_resolve_levels(b) || !check_model_event(b) || !scenario_resolve_quantiles(b))
    return 0;
  /* proposals that mixtures refer to first, then the mixtures */
  for (int pass = 0; pass < 2; pass++)
    for (size_t i = 0; i < b->n_deferred; i++) {
      int is_mixture = strcmp(scenario_get(b->deferred[i], "distribution", NULL), "mixture") == 0;
      if (is_mixture == pass && !build_deferred(b, b->deferred[i]))
        return 0;
    }
  (void)s;
  return 1;
}

static void describe_interval(double lo, double hi, char *buf, size_t size)
{
  snprintf(buf, size, "(%.10g, %.10g)", lo, hi);
}

static int check_model_coverage(builder *b)
{
  issim_scenario *s = b->s;
  for (size_t i = 0; i < s->n_proposals; i++) {
    const issim_proposal *p = &s->proposals[i];
    issim_problem pb = issim_scenario_problem(s, NULL);
    if (issim_problem_model_covers(&pb, p->model))
      continue;
    char desc[256];
    issim_model_describe(p->model, desc, sizeof desc);
    issim_inifile_fail(b->r, p->line, "proposal '%s' = %s does not put mass everywhere the target does (a "
                        "component's support is narrower than the target's): its estimate "
                        "would be silently biased; use a proposal whose supports contain the "
                        "target's", p->name, desc);
    b->r->err->code = ISSIM_ECOVER;
    return 0;
  }
  return 1;
}

static int check_coverage(builder *b)
{
  issim_scenario *s = b->s;
  const issim_dist *line = issim_model_line_dist(s->target);
  double lo, hi;
  issim_scenario_event_region(s, &lo, &hi);
  char region[128];
  describe_interval(lo, hi, region, sizeof region);
  if (!(lo < hi))
    return issim_inifile_fail(b->r, b->threshold_line,
                "the event x %s %.10g is impossible under the target (support [%.10g, %.10g]), "
                "so P = 0 exactly; choose a threshold inside the support",
                s->event.direction == ISSIM_ABOVE ? ">" : "<", s->event.threshold, line->lower,
                line->upper);
  for (size_t i = 0; i < s->n_proposals; i++) {
    const issim_dist *q = issim_model_line_dist(s->proposals[i].model);
    if (q == NULL || (q->lower <= lo && q->upper >= hi))
      continue;
    char desc[256];
    issim_dist_describe(q, desc, sizeof desc);
    issim_inifile_fail(b->r, s->proposals[i].line,
         "proposal '%s' = %s has support [%.10g, %.10g], which does not cover the event region "
         "%s where the target has mass: its estimate would be silently biased; "
         "use a proposal whose support contains %s",
         s->proposals[i].name, desc, q->lower, q->upper, region, region);
    b->r->err->code = ISSIM_ECOVER;
    return 0;
  }
  return 1;
}

static int build(builder *b)
{
  reader *r = b->r;
  for (size_t i = 0; i < r->n; i++)
    if (!build_section(b, &r->sections[i]))
      return 0;
  if (b->s->target == NULL)
    return issim_inifile_fail(r, 1, "no [target] section; add one, e.g. [target] distribution = normal, mean = 0, sd = 1");
  if (b->event_sec == NULL)
    return issim_inifile_fail(r, 1, "no [event] section; add one, e.g. [event] threshold = 5");
  if (b->s->n_proposals == 0)
    return issim_inifile_fail(r, 1, "no [proposal NAME] section; add at least one, e.g. [proposal shifted] "
                      "distribution = normal, mean = 5, sd = 1");
  if (!resolve(b))
    return 0;
  return issim_model_line_dist(b->s->target) ? check_coverage(b) : check_model_coverage(b);
}

static char *base_name(const char *path)
{
  const char *slash = strrchr(path, '/');
  const char *base = slash ? slash + 1 : path;
  const char *dot = strrchr(base, '.');
  return dot && dot != base ? strndup(base, (size_t)(dot - base)) : strdup(base);
}

static issim_scenario *scenario_new(const char *path)
{
  issim_scenario *s = calloc(1, sizeof *s);
  if (s == NULL)
    return NULL;
  s->path = strdup(path);
  s->name = base_name(path);
  s->description = strdup("");
  s->event.threshold = NAN;
  s->event.threshold_sigmas = NAN;
  s->reference_log = NAN;
  s->dimension = 1;
  s->event.direction = ISSIM_ABOVE;
  s->samples = 1000000;
  s->seed = 1;
  issim_rng_lookup(ISSIM_RNG_DEFAULT, &s->rng, NULL);
  if (s->path == NULL || s->name == NULL || s->description == NULL) {
    issim_scenario_free(s);
    return NULL;
  }
  return s;
}

static issim_scenario *parse_stream(FILE *f, const char *path, const issim_scenario_limits *limits,
                                    const issim_scenario_overrides *ov, issim_error *err)
{
  issim_error local;
  if (err == NULL)
    err = &local;
  issim_error_clear(err);
  reader r;
  builder b = {.r = &r, .limits = limits ? *limits : (issim_scenario_limits){0}};
  if (ov && ov->threshold)
    b.threshold_text = ov->threshold, b.threshold_from_option = 1;
  if (ov && ov->quantile)
    b.quantile_text = ov->quantile, b.quantile_from_option = 1;
  int ok = issim_inifile_read(&r, f, path, err) == ISSIM_OK;
  if (ok) {
    b.s = scenario_new(path);
    /* build() returns the first failure; a recorded error fails the parse in any case */
    ok = b.s != NULL && build(&b) && !r.nomem && r.error_line == 0;
    if (!ok && (b.s == NULL || r.nomem))
      issim_error_set(err, ISSIM_ENOMEM, "%s: out of memory", path);
  }
  issim_inifile_free(&r);
  free(b.deferred);
  if (!ok) {
    issim_scenario_free(b.s);
    return NULL;
  }
  return b.s;
}

issim_scenario *issim_scenario_read_with(const char *path, const issim_scenario_limits *limits,
                                         const issim_scenario_overrides *ov, issim_error *err)
{
  FILE *f = fopen(path, "r");
  if (f == NULL) {
    issim_error_set(err, ISSIM_EIO, "%s: cannot open the scenario file: %s", path, strerror(errno));
    return NULL;
  }
  issim_scenario *s = parse_stream(f, path, limits, ov, err);
  fclose(f);
  return s;
}

issim_scenario *issim_scenario_read_limited(const char *path, const issim_scenario_limits *limits,
                                            issim_error *err)
{
  return issim_scenario_read_with(path, limits, NULL, err);
}

issim_scenario *issim_scenario_read(const char *path, issim_error *err)
{
  return issim_scenario_read_limited(path, NULL, err);
}

issim_scenario *issim_scenario_parse_with(const char *text, size_t len, const char *path,
                                          const issim_scenario_limits *limits,
                                          const issim_scenario_overrides *ov, issim_error *err)
{
  /* fmemopen of 0 bytes fails: an empty text is a stream of one newline */
  FILE *f = len > 0 ? fmemopen((void *)text, len, "r") : fmemopen((void *)"\n", 1, "r");
  if (f == NULL) {
    issim_error_set(err, ISSIM_ENOMEM, "%s: out of memory", path);
    return NULL;
  }
  issim_scenario *s = parse_stream(f, path, limits, ov, err);
  fclose(f);
  return s;
}

issim_scenario *issim_scenario_parse_limited(const char *text, size_t len, const char *path,
                                             const issim_scenario_limits *limits,
                                             issim_error *err)
{
  return issim_scenario_parse_with(text, len, path, limits, NULL, err);
}

issim_scenario *issim_scenario_parse(const char *text, const char *path, issim_error *err)
{
  return issim_scenario_parse_limited(text, strlen(text), path, NULL, err);
}

void issim_scenario_free(issim_scenario *s)
{
  if (s == NULL)
    return;
  for (size_t i = 0; i < s->n_proposals; i++) {
    free(s->proposals[i].name);
    if (s->proposals[i].adaptive)
      free(s->proposals[i].adaptive->start);
    free(s->proposals[i].adaptive);
    issim_model_free(s->proposals[i].model);
  }
  issim_model_free(s->target);
  issim_loss_free(s->event.loss);
  for (size_t j = 0; s->variables != NULL && j < s->dimension; j++)
    free(s->variables[j]);
  free(s->variables);
  free(s->proposals);
  free(s->path);
  free(s->name);
  free(s->description);
  free(s->levels);
  free(s->level_sigmas);
  free(s->quantiles);
  free(s);
}

const issim_proposal *issim_scenario_proposal(const issim_scenario *s, const char *name)
{
  for (size_t i = 0; i < s->n_proposals; i++)
    if (strcmp(s->proposals[i].name, name) == 0)
      return &s->proposals[i];
  return NULL;
}

issim_problem issim_scenario_problem(const issim_scenario *s, const issim_proposal *p)
{
  return (issim_problem){
    .target = s->target, .proposal = p ? p->model : NULL, .event = s->event,
  };
}

int issim_scenario_fit_start(const issim_scenario *s, const issim_adapt_options *opt,
                             issim_problem *pb, issim_error *err)
{
  const issim_proposal *start = opt->start ? issim_scenario_proposal(s, opt->start) : NULL;
  if (opt->start && start == NULL)
    return issim_error_set(err, ISSIM_EINVAL, "no proposal '%s' to start from", opt->start);
  if (start && start->adaptive)
    return issim_error_set(err, ISSIM_EINVAL, "cannot start from '%s', itself adaptive",
                           start->name);
  *pb = issim_scenario_problem(s, start);
  return ISSIM_OK;
}

double issim_scenario_exact_log(const issim_scenario *s)
{
  issim_problem pb = issim_scenario_problem(s, NULL);
  return issim_problem_exact_log(&pb);
}

void issim_scenario_event_region(const issim_scenario *s, double *lo, double *hi)
{
  issim_problem pb = issim_scenario_problem(s, NULL);
  issim_problem_event_region(&pb, lo, hi);
}

void issim_scenario_describe_event(const issim_scenario *s, char *buf, size_t size)
{
  if (scenario_credit_law(s)) { /* the loss is the book's, not a formula in x */
    char sig[48] = "";
    if (!isnan(s->event.threshold_sigmas))
      snprintf(sig, sizeof sig, " (%g sigma)", s->event.threshold_sigmas);
    snprintf(buf, size, "default loss %s %.10g%s", s->event.direction == ISSIM_ABOVE ? ">" : "<",
             s->event.threshold, sig);
    return;
  }
  issim_event_describe(&s->event, s->dimension, buf, size);
}

void issim_scenario_describe_proposal(const issim_proposal *p, char *buf, size_t size)
{
  if (p->adaptive && size > 0) {
    int n = snprintf(buf, size, "%s", p->fitted ? "fitted by cross-entropy: " : "adaptive, not fitted yet");
    if (!p->fitted || n < 0 || (size_t)n >= size)
      return;
    buf += n, size -= (size_t)n;
  }
  if (issim_model_line_dist(p->model))
    issim_dist_describe(issim_model_line_dist(p->model), buf, size);
  else if (p->model)
    issim_model_describe(p->model, buf, size);
  else
    snprintf(buf, size, "the target (plain Monte Carlo)");
}
