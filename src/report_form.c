/* The report of issim form (report.h). */
#define _POSIX_C_SOURCE 200809L

#include "report.h"

#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_math.h>
#include <jansson.h>

#include "report_impl.h"

/* ---- issim form ---- */

enum { FORM_TEXT_POINTS = 10, FORM_TEXT_COMPONENTS = 8, FORM_TEXT_IMPORTANT = 5 };

/* "(1.5, -2, ...)": the first FORM_TEXT_COMPONENTS of v[d]; "(R = 1.5, S =
 * -2, ...)" with the variables' names (NULL: none) */
static void text_vector(FILE *out, const double *v, size_t d, char *const *names)
{
  fputc('(', out);
  for (size_t j = 0; j < d && j < FORM_TEXT_COMPONENTS; j++)
    fprintf(out, "%s%s%s%.6g", j ? ", " : "", names ? names[j] : "", names ? " = " : "",
            v[j] + 0.0);
  if (d > FORM_TEXT_COMPONENTS)
    fprintf(out, ", ... %zu more", d - FORM_TEXT_COMPONENTS);
  fputs(")\n", out);
}

static void text_prob(FILE *out, const char *name, double log_p)
{
  char p[48];
  issim_format_log_prob(log_p, 6, p, sizeof p);
  fprintf(out, "%s %s", name, p);
}

/* the largest importance factors, largest first, by the variables' names
 * when they have them */
static void text_importance(FILE *out, const issim_form_point *p, size_t d, char *const *names)
{
  size_t shown[FORM_TEXT_IMPORTANT], n = 0;
  while (n < FORM_TEXT_IMPORTANT && n < d) {
    size_t best = d;
    for (size_t j = 0; j < d; j++) {
      int taken = 0;
      for (size_t k = 0; k < n; k++)
        taken |= shown[k] == j;
      if (!taken && (best == d || p->importance[j] > p->importance[best]))
        best = j;
    }
    if (n > 0 && !(p->importance[best] > 0))
      break; /* the rest are 0 */
    shown[n++] = best;
  }
  for (size_t k = 0; k < n; k++) {
    fprintf(out, "%s", k ? ", " : "");
    if (names)
      fprintf(out, "%s", names[shown[k]]);
    else
      fprintf(out, "u%zu", shown[k] + 1);
    fprintf(out, " %.4g%%", 100 * p->importance[shown[k]]);
  }
  if (d > n)
    fprintf(out, " (the %zu largest of %zu%s)", n, d, n < FORM_TEXT_IMPORTANT ? "; the rest 0" : "");
  fputc('\n', out);
}

static void text_form_point(FILE *out, const issim_form_result *f, size_t i, char *const *names)
{
  const issim_form_point *p = &f->points[i];
  char pf[48];
  issim_format_log_prob(p->log_p_form, 6, pf, sizeof pf);
  fprintf(out, "\ndesign point %zu of %zu: beta = %.10g, FORM P = %s, share %.4g%%\n", i + 1, f->n,
          p->beta, pf, 100 * p->share);
  fprintf(out, "  x*          ");
  text_vector(out, p->x, f->d, names);
  fprintf(out, "  u*          ");
  text_vector(out, p->u, f->d, NULL);
  fprintf(out, "  alpha       ");
  text_vector(out, p->alpha, f->d, NULL);
  fprintf(out, "  importance  ");
  text_importance(out, p, f->d, names);
  if (p->n_curvatures > 0) {
    fprintf(out, "  curvatures  ");
    text_vector(out, p->kappa, p->n_curvatures, NULL);
    if (f->closed_form)
      fprintf(out, "              (flat: a half-space of the closed form)\n");
    else
      fprintf(out, "              (|grad c| = %.6g at u*)\n", p->grad_norm);
  }
  fprintf(out, "  P          ");
  text_prob(out, " FORM", p->log_p_form);
  text_prob(out, ", SORM Breitung", p->log_p_breitung);
  text_prob(out, ", Hohenbichler-Rackwitz", p->log_p_hr);
  text_prob(out, ", Tvedt", p->log_p_tvedt);
  fputc('\n', out);
  if (p->sorm_why[0])
    fprintf(out, "  (SORM nan: %s)\n", p->sorm_why);
}

int issim_form_report_text(FILE *out, const issim_form_report *r)
{
  const issim_scenario *s = r->scenario;
  const issim_form_result *f = r->form;
  report_write_scenario_lines(out, s, r->exact_log);
  fprintf(out, "method     FORM/SORM in the standard space u (%s), %s\n",
          f->transformed ? "x = T(u), the target's iso-probabilistic transform" : "x = mu + L u",
          f->closed_form ? "design points in closed form (exact)"
                         : "design points by the improved HL-RF search");
  if (!f->normal_space)
    fprintf(out, "APPROXIMATE  the target is a t (df = %g): u is not normal, so FORM's P is the "
                 "t tail at beta, an approximation except for a linear loss; SORM and the "
                 "Ditlevsen bounds do not apply\n", f->df);
  for (size_t i = 0; i < f->n && i < FORM_TEXT_POINTS; i++)
    text_form_point(out, f, i, s->variables);
  if (f->n > FORM_TEXT_POINTS) {
    double rest = -INFINITY;
    for (size_t i = FORM_TEXT_POINTS; i < f->n; i++) {
      double a = fmax(rest, f->points[i].log_p_form), b = fmin(rest, f->points[i].log_p_form);
      rest = b == -INFINITY ? a : a + log1p(exp(b - a));
    }
    char p[48];
    issim_format_log_prob(rest, 6, p, sizeof p);
    fprintf(out, "\n... and %zu more design points (FORM P %s together; all in --format json)\n",
            f->n - FORM_TEXT_POINTS, p);
  }
  fprintf(out, "\nunion of the %zu region%s (first order: the half-spaces beyond each point)\n",
          f->n, f->n == 1 ? "" : "s");
  fprintf(out, "  sum of FORM        ");
  text_prob(out, "", f->log_sum_form);
  fprintf(out, "  (Boole: an upper bound on the union of the half-spaces)\n");
  if (f->union_why[0]) {
    fprintf(out, "  Ditlevsen bounds    nan: %s\n", f->union_why);
  } else {
    char lo[48], hi[48];
    issim_format_log_prob(f->log_ditlevsen_lower, 6, lo, sizeof lo);
    issim_format_log_prob(f->log_ditlevsen_upper, 6, hi, sizeof hi);
    fprintf(out, "  Ditlevsen bounds    [%s, %s]\n", lo, hi);
  }
  fprintf(out, "  sum of SORM        ");
  text_prob(out, " Breitung", f->log_sum_breitung);
  text_prob(out, ", Hohenbichler-Rackwitz", f->log_sum_hr);
  text_prob(out, ", Tvedt", f->log_sum_tvedt);
  fputc('\n', out);
  if (f->sorm_excluded > 0 && f->normal_space)
    fprintf(out, "                      (without the %zu point%s whose SORM is refused)\n",
            f->sorm_excluded, f->sorm_excluded == 1 ? "" : "s");
  fprintf(out, "\neffort     %zu loss evaluations (%zu in the search, %zu for the curvatures)\n",
          f->design_evals + f->hessian_evals, f->design_evals, f->hessian_evals);
  if (f->closed_form) {
    fprintf(out, "           no search: the design points are the closed form's\n");
  } else {
    char corners[48] = ""; /* the corner search's points, if any */
    if (f->corners > 0)
      snprintf(corners, sizeof corners, " (%zu at %s)", f->corners,
               f->corners == 1 ? "a corner" : "corners");
    fprintf(out, "           %zu starts, %zu converged, %zu distinct point%s%s, the last new one "
                 "at start %zu of %zu\n", f->starts, f->converged, f->found,
            f->found == 1 ? "" : "s", corners, f->last_new_start, f->starts);
  }
  return ferror(out) ? -1 : 0;
}

static json_t *jvector(const double *v, size_t n)
{
  json_t *a = json_array();
  for (size_t j = 0; j < n; j++)
    json_array_append_new(a, report_jnum(v[j]));
  return a;
}

static json_t *json_form_point(const issim_form_result *f, const issim_form_point *p)
{
  json_t *o = json_object();
  report_set(o, "beta", report_jnum(p->beta));
  report_set(o, "x", jvector(p->x, f->d));
  report_set(o, "u", jvector(p->u, f->d));
  report_set(o, "alpha", jvector(p->alpha, f->d));
  report_set(o, "importance", jvector(p->importance, f->d));
  report_set(o, "form", report_jprob(p->log_p_form));
  report_set(o, "log10_form", report_jlog10(p->log_p_form));
  report_set(o, "share", report_jnum(p->share));
  report_set(o, "curvatures", jvector(p->kappa, p->n_curvatures));
  report_set(o, "grad_norm", report_jnum(p->grad_norm));
  json_t *sorm = json_object();
  report_set(sorm, "breitung", report_jprob(p->log_p_breitung));
  report_set(sorm, "hohenbichler_rackwitz", report_jprob(p->log_p_hr));
  report_set(sorm, "tvedt", report_jprob(p->log_p_tvedt));
  report_set(sorm, "refused", p->sorm_why[0] ? json_string(p->sorm_why) : json_null());
  report_set(o, "corner", json_boolean(p->corner));
  report_set(o, "sorm", sorm);
  return o;
}

int issim_form_report_json(FILE *out, const issim_form_report *r)
{
  const issim_form_result *f = r->form;
  json_t *root = json_object();
  char target[256], event[160];
  issim_problem pb = issim_scenario_problem(r->scenario, NULL);
  issim_problem_describe_target(&pb, target, sizeof target);
  issim_scenario_describe_event(r->scenario, event, sizeof event);
  report_set(root, "scenario", json_string(r->scenario->name));
  report_set(root, "target", json_string(target));
  report_set(root, "event", json_string(event));
  report_set(root, "exact", report_jprob(r->exact_log));
  report_set(root, "dimension", json_integer((json_int_t)f->d));
  if (r->scenario->variables)
    report_set(root, "variables", report_json_variables(r->scenario));
  report_set(root, "normal_space", json_boolean(f->normal_space));
  report_set(root, "approximate", json_boolean(!f->normal_space));
  report_set(root, "df", report_jinf(f->df));
  report_set(root, "closed_form", json_boolean(f->closed_form));
  json_t *pts = json_array();
  for (size_t i = 0; i < f->n; i++)
    json_array_append_new(pts, json_form_point(f, &f->points[i]));
  report_set(root, "design_points", pts);
  json_t *u = json_object();
  report_set(u, "sum_form", report_jprob(f->log_sum_form));
  report_set(u, "ditlevsen_lower", report_jprob(f->log_ditlevsen_lower));
  report_set(u, "ditlevsen_upper", report_jprob(f->log_ditlevsen_upper));
  report_set(u, "ditlevsen_refused", f->union_why[0] ? json_string(f->union_why) : json_null());
  report_set(u, "sum_breitung", report_jprob(f->log_sum_breitung));
  report_set(u, "sum_hohenbichler_rackwitz", report_jprob(f->log_sum_hr));
  report_set(u, "sum_tvedt", report_jprob(f->log_sum_tvedt));
  report_set(u, "sorm_excluded", json_integer((json_int_t)f->sorm_excluded));
  report_set(root, "union", u);
  json_t *e = json_object();
  report_set(e, "loss_evaluations", json_integer((json_int_t)(f->design_evals + f->hessian_evals)));
  report_set(e, "search_evaluations", json_integer((json_int_t)f->design_evals));
  report_set(e, "curvature_evaluations", json_integer((json_int_t)f->hessian_evals));
  report_set(e, "starts", json_integer((json_int_t)f->starts));
  report_set(e, "converged", json_integer((json_int_t)f->converged));
  report_set(e, "points_found", json_integer((json_int_t)f->found));
  report_set(e, "last_new_start", json_integer((json_int_t)f->last_new_start));
  report_set(e, "corners", json_integer((json_int_t)f->corners));
  report_set(root, "effort", e);
  return report_dump_json(out, root);
}
