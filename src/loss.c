/* loss.c: loss and limit-state functions g(x) (see loss.h).
 *
 * ---- Built-in losses ----
 * One loop over the batch per kind, chosen by a switch outside the loop: no
 * function pointer per point.  The norm is computed without overflow or
 * harmful underflow: when the largest |x_j| lies in [2^-480, 2^480] the plain
 * sum of squares cannot overflow (d 2^960 < 2^1024 for any d a size_t holds)
 * and the squares it loses to underflow are below 2^-114 of the largest;
 * otherwise the components are divided by the largest first.  Like hypot,
 * an infinite component gives +inf even beside a NaN; otherwise a NaN
 * component gives NaN (and so do max and min).
 *
 * ---- Expressions ----
 * Compiled and evaluated by expr.c (see expr.h); a loss keeps the formula's
 * text, so that a clone compiles its own (an evaluator holds its variables'
 * values: one per thread).
 *
 * ---- Functions ----
 * The caller's functions and their `user` are shared by every copy through
 * one reference-counted record (copies are made and freed by whichever
 * thread sets up or ends a run, hence the atomic count); each copy has its
 * own state, made by init at its first evaluation, and its own message.
 */
#include "loss.h"

#include <math.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expr.h"

/* ---- the loss ---- */

/* A function loss's part shared by its copies. */
typedef struct {
  issim_loss_function f;
  char *name;       /* f.name's copy */
  atomic_size_t refs;
} shared_function;

struct issim_loss {
  issim_loss_kind kind;
  size_t d;
  double *weights;  /* linear */
  char *formula;    /* expression: the text as given (for clones) */
  issim_expr *expr; /* expression: compiled */
  char **names;     /* expression: the variables' d names (for clones), or NULL */
  shared_function *fn; /* function: shared by every copy */
  void *state;         /* function: this copy's */
  int ready;           /* function: init has run */
  char *failure;       /* function: why the last evaluation failed */
  uint64_t calls;      /* points this copy evaluated (issim_loss_calls) */
};

/* ---- allocation ---- */

static int check_dim(size_t d, issim_error *err)
{
  if (d == 0)
    return issim_error_set(err, ISSIM_EINVAL,
                           "a loss needs at least 1 dimension: the model has d = 0");
  return ISSIM_OK;
}

static char *copy_string(const char *s)
{
  size_t n = strlen(s) + 1;
  char *t = malloc(n);
  if (t != NULL)
    memcpy(t, s, n);
  return t;
}

static issim_loss *loss_new(issim_loss_kind kind, size_t d)
{
  issim_loss *g = calloc(1, sizeof *g);
  if (g != NULL) {
    g->kind = kind;
    g->d = d;
  }
  return g;
}

issim_loss *issim_loss_alloc(issim_loss_kind kind, size_t d, issim_error *err)
{
  if (kind == ISSIM_LOSS_LINEAR || kind == ISSIM_LOSS_EXPRESSION || kind == ISSIM_LOSS_FUNCTION) {
    issim_error_set(err, ISSIM_EINVAL,
                    "the %s loss needs %s: allocate it with issim_loss_alloc_%s",
                    issim_loss_kind_name(kind),
                    kind == ISSIM_LOSS_LINEAR       ? "weights"
                    : kind == ISSIM_LOSS_EXPRESSION ? "a formula"
                                                    : "a function",
                    issim_loss_kind_name(kind));
    return NULL;
  }
  if ((unsigned)kind > ISSIM_LOSS_FUNCTION) {
    issim_error_set(err, ISSIM_EINVAL, "unknown loss kind %d", (int)kind);
    return NULL;
  }
  if (check_dim(d, err) != ISSIM_OK)
    return NULL;
  if (kind == ISSIM_LOSS_IDENTITY && d != 1) {
    issim_error_set(err, ISSIM_EINVAL,
                    "the identity loss g(x) = x1 is for d = 1, and the model has d = %zu: "
                    "use the expression x1 for the first component, or sum, max, norm...",
                    d);
    return NULL;
  }
  issim_loss *g = loss_new(kind, d);
  if (g == NULL)
    issim_error_set(err, ISSIM_ENOMEM, "out of memory for a loss");
  return g;
}

issim_loss *issim_loss_alloc_linear(size_t d, const double *weights, issim_error *err)
{
  if (check_dim(d, err) != ISSIM_OK)
    return NULL;
  if (weights == NULL) {
    issim_error_set_key(err, ISSIM_EINVAL, "weights",
                        "the linear loss needs %zu weight%s, one per dimension: none given", d,
                        d == 1 ? "" : "s");
    return NULL;
  }
  for (size_t j = 0; j < d; j++)
    if (!isfinite(weights[j])) {
      issim_error_set_key(err, ISSIM_EINVAL, "weights",
                          "weight %zu of the linear loss is %g: weights must be finite", j + 1,
                          weights[j]);
      return NULL;
    }
  issim_loss *g = loss_new(ISSIM_LOSS_LINEAR, d);
  if (g != NULL)
    g->weights = malloc(d * sizeof *g->weights);
  if (g == NULL || g->weights == NULL) {
    issim_loss_free(g);
    issim_error_set(err, ISSIM_ENOMEM, "out of memory for a loss");
    return NULL;
  }
  memcpy(g->weights, weights, d * sizeof *weights);
  return g;
}

issim_loss *issim_loss_alloc_expression(size_t d, const char *formula, issim_error *err)
{
  return issim_loss_alloc_expression_named(d, NULL, formula, err);
}

/* g->names, a copy of names[d]; 0 when out of memory. */
static int copy_names(issim_loss *g, const char *const *names)
{
  if (names == NULL)
    return 1;
  if ((g->names = calloc(g->d, sizeof *g->names)) == NULL)
    return 0;
  for (size_t j = 0; j < g->d; j++)
    if ((g->names[j] = copy_string(names[j])) == NULL)
      return 0;
  return 1;
}

issim_loss *issim_loss_alloc_expression_named(size_t d, const char *const *names,
                                              const char *formula, issim_error *err)
{
  if (check_dim(d, err) != ISSIM_OK)
    return NULL;
  issim_loss *g = loss_new(ISSIM_LOSS_EXPRESSION, d);
  if (g != NULL)
    g->formula = copy_string(formula != NULL ? formula : "");
  if (g == NULL || g->formula == NULL || !copy_names(g, names)) {
    issim_loss_free(g);
    issim_error_set(err, ISSIM_ENOMEM, "out of memory for a loss");
    return NULL;
  }
  if ((g->expr = issim_expr_alloc_named(d, names, g->formula, err)) == NULL) {
    issim_loss_free(g);
    return NULL;
  }
  return g;
}

/* A copy of a function loss sharing sf (one more reference). */
static issim_loss *function_copy(size_t d, shared_function *sf)
{
  issim_loss *g = loss_new(ISSIM_LOSS_FUNCTION, d);
  if (g != NULL && (g->failure = calloc(1, ISSIM_ERROR_MESSAGE_SIZE)) == NULL) {
    free(g);
    return NULL;
  }
  if (g != NULL) {
    g->fn = sf;
    atomic_fetch_add(&sf->refs, 1);
  }
  return g;
}

issim_loss *issim_loss_alloc_function(size_t d, const issim_loss_function *f, issim_error *err)
{
  if (check_dim(d, err) != ISSIM_OK)
    return NULL;
  if (f == NULL || f->eval == NULL) {
    issim_error_set(err, ISSIM_EINVAL, "a function loss needs the function that evaluates it");
    return NULL;
  }
  shared_function *sf = calloc(1, sizeof *sf);
  if (sf != NULL)
    sf->name = copy_string(f->name != NULL ? f->name : "function");
  issim_loss *g = sf && sf->name ? function_copy(d, sf) : NULL;
  if (g == NULL) {
    if (sf)
      free(sf->name);
    free(sf);
    issim_error_set(err, ISSIM_ENOMEM, "out of memory for a loss");
    return NULL;
  }
  sf->f = *f;
  sf->f.name = sf->name;
  return g;
}

issim_loss *issim_loss_clone(const issim_loss *g)
{
  switch (g->kind) {
  case ISSIM_LOSS_LINEAR:
    return issim_loss_alloc_linear(g->d, g->weights, NULL);
  case ISSIM_LOSS_EXPRESSION:
    return issim_loss_alloc_expression_named(g->d, (const char *const *)g->names, g->formula,
                                             NULL);
  case ISSIM_LOSS_FUNCTION:
    return function_copy(g->d, g->fn);
  default:
    return loss_new(g->kind, g->d);
  }
}

/* This copy's state, then, with the last reference, what the copies share. */
static void function_free(issim_loss *g)
{
  shared_function *sf = g->fn;
  if (g->ready && sf->f.init && sf->f.done)
    sf->f.done(sf->f.user, g->state);
  if (atomic_fetch_sub(&sf->refs, 1) != 1)
    return;
  if (sf->f.release)
    sf->f.release(sf->f.user);
  free(sf->name);
  free(sf);
}

void issim_loss_free(issim_loss *g)
{
  if (g == NULL)
    return;
  if (g->fn)
    function_free(g);
  free(g->failure);
  issim_expr_free(g->expr);
  for (size_t j = 0; g->names != NULL && j < g->d; j++)
    free(g->names[j]);
  free(g->names);
  free(g->formula);
  free(g->weights);
  free(g);
}

issim_loss_kind issim_loss_kind_of(const issim_loss *g)
{
  return g->kind;
}

size_t issim_loss_dim(const issim_loss *g)
{
  return g->d;
}

const double *issim_loss_weights(const issim_loss *g)
{
  return g->kind == ISSIM_LOSS_LINEAR ? g->weights : NULL;
}

int issim_loss_linear_form(const issim_loss *g, double *w)
{
  const double *weights = issim_loss_weights(g);
  if (weights != NULL)
    memcpy(w, weights, g->d * sizeof *w);
  else if (g->kind == ISSIM_LOSS_SUM || g->kind == ISSIM_LOSS_IDENTITY)
    for (size_t j = 0; j < g->d; j++)
      w[j] = 1;
  else
    return 0;
  return 1;
}

const char *issim_loss_kind_name(issim_loss_kind kind)
{
  switch (kind) {
  case ISSIM_LOSS_IDENTITY:
    return "identity";
  case ISSIM_LOSS_LINEAR:
    return "linear";
  case ISSIM_LOSS_SUM:
    return "sum";
  case ISSIM_LOSS_MAX:
    return "max";
  case ISSIM_LOSS_MIN:
    return "min";
  case ISSIM_LOSS_NORM:
    return "norm";
  case ISSIM_LOSS_EXPRESSION:
    return "expression";
  case ISSIM_LOSS_FUNCTION:
    return "function";
  }
  return "unknown";
}

void issim_loss_describe(const issim_loss *g, char *buf, size_t size)
{
  if (g->kind == ISSIM_LOSS_FUNCTION)
    snprintf(buf, size, "%s", g->fn->name);
  else
    snprintf(buf, size, "%s loss", issim_loss_kind_name(g->kind));
}

const char *issim_loss_error(const issim_loss *g)
{
  return g->failure ? g->failure : "";
}

/* ---- evaluation ---- */

/* Four points at a time: their sums are independent chains that run side
 * by side (one point's sum alone waits on each addition); each point's sum
 * is formed in the order of its components, as a loop point by point would. */
static void eval_linear(size_t n, size_t d, const double *restrict w, const double *restrict x,
                        double *restrict out)
{
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const double *r0 = x + i * d, *r1 = r0 + d, *r2 = r1 + d, *r3 = r2 + d;
    double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
    for (size_t j = 0; j < d; j++) {
      s0 += w[j] * r0[j];
      s1 += w[j] * r1[j];
      s2 += w[j] * r2[j];
      s3 += w[j] * r3[j];
    }
    out[i] = s0, out[i + 1] = s1, out[i + 2] = s2, out[i + 3] = s3;
  }
  for (; i < n; i++) {
    const double *row = x + i * d;
    double s = 0.0;
    for (size_t j = 0; j < d; j++)
      s += w[j] * row[j];
    out[i] = s;
  }
}

static void eval_sum(size_t n, size_t d, const double *restrict x, double *restrict out)
{
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const double *r0 = x + i * d, *r1 = r0 + d, *r2 = r1 + d, *r3 = r2 + d;
    double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
    for (size_t j = 0; j < d; j++) {
      s0 += r0[j];
      s1 += r1[j];
      s2 += r2[j];
      s3 += r3[j];
    }
    out[i] = s0, out[i + 1] = s1, out[i + 2] = s2, out[i + 3] = s3;
  }
  for (; i < n; i++) {
    const double *row = x + i * d;
    double s = 0.0;
    for (size_t j = 0; j < d; j++)
      s += row[j];
    out[i] = s;
  }
}

/* NaN if any component is NaN.  The selects compile to maxsd/minsd, without
 * a branch per component. */
static void eval_max(size_t n, size_t d, const double *restrict x, double *restrict out)
{
  for (size_t i = 0; i < n; i++) {
    const double *row = x + i * d;
    double m = row[0];
    bool has_nan = isnan(m);
    for (size_t j = 1; j < d; j++) {
      double v = row[j];
      has_nan |= isnan(v);
      m = v > m ? v : m;
    }
    out[i] = has_nan ? NAN : m;
  }
}

static void eval_min(size_t n, size_t d, const double *restrict x, double *restrict out)
{
  for (size_t i = 0; i < n; i++) {
    const double *row = x + i * d;
    double m = row[0];
    bool has_nan = isnan(m);
    for (size_t j = 1; j < d; j++) {
      double v = row[j];
      has_nan |= isnan(v);
      m = v < m ? v : m;
    }
    out[i] = has_nan ? NAN : m;
  }
}

static void eval_norm(size_t n, size_t d, const double *restrict x, double *restrict out)
{
  for (size_t i = 0; i < n; i++) {
    const double *row = x + i * d;
    double m = 0.0;
    bool has_nan = false;
    for (size_t j = 0; j < d; j++) {
      double a = fabs(row[j]);
      has_nan |= isnan(a);
      m = a > m ? a : m;
    }
    double s = 0.0;
    if (m >= 0x1p-480 && m <= 0x1p480) {
      for (size_t j = 0; j < d; j++)
        s += row[j] * row[j];
      out[i] = has_nan ? NAN : sqrt(s);
    } else if (m == INFINITY) {
      out[i] = INFINITY;
    } else if (has_nan) {
      out[i] = NAN;
    } else if (m == 0.0) {
      out[i] = 0.0;
    } else {
      for (size_t j = 0; j < d; j++) {
        double r = row[j] / m;
        s += r * r;
      }
      out[i] = m * sqrt(s);
    }
  }
}

/* ---- a function loss's evaluation ---- */

/* "(1.5, -2, 3)", the first 6 coordinates of a longer point then ", ...". */
static void format_point(const double *x, size_t d, char *buf, size_t size)
{
  size_t len = (size_t)snprintf(buf, size, "(");
  for (size_t j = 0; j < d && j < 6 && len < size; j++)
    len += (size_t)snprintf(buf + len, size - len, "%s%.10g", j ? ", " : "", x[j]);
  if (len < size)
    snprintf(buf + len, size - len, "%s)", d > 6 ? ", ..." : "");
}

static int fail(issim_loss *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(issim_loss *g, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(g->failure, ISSIM_ERROR_MESSAGE_SIZE, fmt, ap);
  va_end(ap);
  return ISSIM_ELOSS;
}

/* The caller's own words on the last failure, as ": words", or `otherwise`. */
static const char *said(const shared_function *sf, void *state, const char *otherwise, char *buf,
                        size_t size)
{
  const char *m = sf->f.message ? sf->f.message(sf->f.user, state) : NULL;
  if (m == NULL || m[0] == '\0')
    return otherwise;
  snprintf(buf, size, ": %s", m);
  return buf;
}

static int eval_function(issim_loss *g, size_t n, const double *x, double *out)
{
  shared_function *sf = g->fn;
  char point[256], words[800], code[48];
  g->failure[0] = '\0';
  if (!g->ready) {
    g->state = sf->f.user;
    if (sf->f.init && sf->f.init(sf->f.user, &g->state) != 0)
      return fail(g, "%s could not be initialised%s", sf->name,
                  said(sf, NULL, "", words, sizeof words));
    g->ready = 1;
  }
  if (n == 0)
    return ISSIM_OK;
  int rc = sf->f.eval(x, n, g->d, out, g->state);
  if (rc != 0) {
    format_point(x, g->d, point, sizeof point);
    snprintf(code, sizeof code, ": it returned %d", rc);
    return fail(g, "%s failed on a batch of %zu point%s from x = %s%s", sf->name, n,
                n == 1 ? "" : "s", point, said(sf, g->state, code, words, sizeof words));
  }
  for (size_t i = 0; i < n; i++)
    if (isnan(out[i])) {
      format_point(x + i * g->d, g->d, point, sizeof point);
      return fail(g, "%s returned NaN for x = %s (point %zu of a batch of %zu): a loss must be "
                     "a number, and a point whose loss is not known cannot be counted in or out "
                     "of the event", sf->name, point, i + 1, n);
    }
  return ISSIM_OK;
}

void issim_loss_eval_noting(issim_loss *g, size_t n, const double *x, double *out, int *failed,
                            char *first, size_t size)
{
  if (issim_loss_eval(g, n, x, out) == ISSIM_OK)
    return;
  if (!*failed)
    snprintf(first, size, "%s", issim_loss_error(g));
  *failed = 1;
  for (size_t i = 0; i < n; i++)
    out[i] = NAN;
}

uint64_t issim_loss_calls(const issim_loss *g)
{
  return g ? g->calls : 0;
}

int issim_loss_eval(issim_loss *g, size_t n, const double *x, double *out)
{
  size_t d = g->d;
  g->calls += n;
  switch (g->kind) {
  case ISSIM_LOSS_IDENTITY:
    for (size_t i = 0; i < n; i++)
      out[i] = x[i * d];
    break;
  case ISSIM_LOSS_LINEAR:
    eval_linear(n, d, g->weights, x, out);
    break;
  case ISSIM_LOSS_SUM:
    eval_sum(n, d, x, out);
    break;
  case ISSIM_LOSS_MAX:
    eval_max(n, d, x, out);
    break;
  case ISSIM_LOSS_MIN:
    eval_min(n, d, x, out);
    break;
  case ISSIM_LOSS_NORM:
    eval_norm(n, d, x, out);
    break;
  case ISSIM_LOSS_EXPRESSION:
    issim_expr_eval(g->expr, n, x, out);
    break;
  case ISSIM_LOSS_FUNCTION:
    return eval_function(g, n, x, out);
  }
  return ISSIM_OK;
}
