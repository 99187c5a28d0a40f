/* scenario_credit.c: the sections of a credit-portfolio scenario (credit.h,
 * docs/scenarios.md): the [target] that reads a book of obligors from a CSV
 * file, its loss, and the proposals factor-shift and glasserman-li. */
#define _POSIX_C_SOURCE 200809L /* strdup */

#include "scenario_impl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"

int scenario_is_credit_family(const char *family)
{
  return strcmp(family, "factor-shift") == 0 || strcmp(family, "glasserman-li") == 0;
}

const issim_credit_law *scenario_credit_law(const issim_scenario *s)
{
  return s->target ? issim_model_credit_law(s->target) : NULL;
}

/* The book's path: as written when absolute, else beside the scenario file. */
static char *book_path(const char *scenario, const char *name)
{
  if (name[0] == '/')
    return strdup(name);
  const char *slash = strrchr(scenario, '/');
  if (slash == NULL)
    return strdup(name);
  char *dir = strndup(scenario, (size_t)(slash - scenario));
  char *path = dir ? issim_fileio_join(dir, name) : NULL;
  free(dir);
  return path;
}

/* [target] distribution = credit-portfolio, obligors = FILE */
int scenario_build_credit_target(builder *b, section *sec)
{
  int line = sec->line;
  const char *name = scenario_get(sec, "obligors", &line);
  if (!scenario_unknown_keys(b, sec, "distribution, obligors"))
    return 0;
  if (name == NULL || *name == '\0')
    return issim_inifile_fail(b->r, sec->line, "[target] with distribution = credit-portfolio "
                                               "needs 'obligors', the CSV file of the book "
                                               "(columns p, exposure, a1..am), e.g. obligors = "
                                               "book.csv");
  char *unquoted = scenario_unquote(name);
  char *path = unquoted ? book_path(b->s->path, unquoted) : NULL;
  free(unquoted);
  if (path == NULL) {
    b->r->nomem = 1;
    return 0;
  }
  issim_error inner = {0};
  issim_credit_book *book = issim_credit_book_read(path, &inner);
  free(path);
  if (book == NULL && inner.code == ISSIM_EINVAL) { /* the book's own file:line */
    issim_error_set(b->r->err, ISSIM_EINVAL, "%s (the obligors of %s:%d)", inner.message,
                    b->r->path, line);
    b->r->error_line = line;
    return 0;
  }
  if (book == NULL)
    return issim_inifile_fail(b->r, line, "obligors = %s: %s", name, inner.message);
  b->s->target = issim_model_alloc_credit(book, NULL, NAN, &inner);
  b->s->dimension = book->m + book->n;
  issim_credit_book_free(book);
  if (b->s->target == NULL)
    return issim_inifile_fail(b->r, line, "%s", inner.message);
  b->use_models = 1;
  return 1;
}

/* The loss of a credit target: L = sum_k c_k y_k, a linear loss of the
 * point (z, y) with weights (0_m, c); the [event] names no loss. */
int scenario_build_credit_loss(builder *b)
{
  issim_scenario *s = b->s;
  section *sec = b->event_sec;
  const char *keys[3] = {"loss", "weights", "expression"};
  for (size_t i = 0; i < 3; i++) {
    entry *e = issim_inifile_find(sec, keys[i]);
    if (e)
      return issim_inifile_fail(b->r, e->line, "a credit-portfolio target's loss is its "
                                               "default loss, the sum of the defaulted "
                                               "obligors' exposures; remove '%s'", keys[i]);
  }
  const issim_credit_book *book = issim_credit_law_book(scenario_credit_law(s));
  double *w = calloc(s->dimension, sizeof *w);
  if (w == NULL) {
    b->r->nomem = 1;
    return 0;
  }
  memcpy(w + book->m, book->c, book->n * sizeof *w);
  issim_error inner;
  s->event.loss = issim_loss_alloc_linear(s->dimension, w, &inner);
  free(w);
  if (s->event.loss == NULL)
    return issim_inifile_fail(b->r, sec->line, "%s", inner.message);
  return 1;
}

/* shift = tail-bound | none | m values, at level x. */
static int credit_shift(builder *b, section *sec, const issim_credit_book *book, double x,
                        int allow_none, double *mu)
{
  int line = sec->line;
  const char *shift = scenario_get(sec, "shift", &line);
  if (shift == NULL || strcmp(shift, "tail-bound") == 0) {
    issim_error inner;
    if (issim_credit_shift_tail_bound(book, x, mu, NULL, &inner) != ISSIM_OK)
      return issim_inifile_fail(b->r, line, "%s", inner.message);
    return 1;
  }
  if (strcmp(shift, "none") == 0) {
    if (!allow_none)
      return issim_inifile_fail(b->r, line, "shift = none leaves nothing to a factor-shift "
                                            "proposal; give tail-bound or %zu values", book->m);
    for (size_t j = 0; j < book->m; j++)
      mu[j] = 0;
    return 1;
  }
  return scenario_get_vector(b, sec, "shift", book->m, NAN, mu);
}

/* distribution = factor-shift (the factors' mean moved) or glasserman-li
 * (moved, and the defaults twisted given the factors), at `level` (default:
 * the event's threshold). */
int scenario_build_credit_proposal(builder *b, section *sec, const char *family,
                                   issim_proposal *p)
{
  issim_scenario *s = b->s;
  const issim_credit_law *target = scenario_credit_law(s);
  if (target == NULL)
    return issim_inifile_fail(b->r, sec->line, "distribution = %s needs a credit-portfolio "
                                               "target", family);
  int twisted = strcmp(family, "glasserman-li") == 0, line = sec->line;
  double x = s->event.threshold;
  const char *level = scenario_get(sec, "level", &line);
  issim_error inner;
  if (level && issim_parse_number(level, "level", &x, &inner) != ISSIM_OK)
    return issim_inifile_fail(b->r, line, "%s; level is the loss the proposal aims at "
                                          "(default: the threshold)", inner.message);
  scenario_get(sec, "shift", NULL);
  if (!scenario_unknown_keys(b, sec, "distribution, shift, level"))
    return 0;
  const issim_credit_book *book = issim_credit_law_book(target);
  double *mu = malloc(book->m * sizeof *mu);
  if (mu == NULL) {
    b->r->nomem = 1;
    return 0;
  }
  int ok = credit_shift(b, sec, book, x, twisted, mu);
  if (ok && !(p->model = issim_model_alloc_credit(book, mu, twisted ? x : NAN, &inner)))
    ok = issim_inifile_fail(b->r, sec->line, "%s", inner.message);
  free(mu);
  return ok;
}

/* What a credit target's proposals may be. */
int scenario_check_credit_proposal(builder *b, const char *family, int line)
{
  if (scenario_credit_law(b->s) == NULL || scenario_is_credit_family(family) ||
      strcmp(family, "mixture") == 0)
    return 1;
  return issim_inifile_fail(b->r, line, "a credit-portfolio target's proposals are "
                                        "distribution = target, factor-shift, glasserman-li, "
                                        "adaptive (family factor-shift) or a mixture of these; "
                                        "%s does not draw default indicators", family);
}
