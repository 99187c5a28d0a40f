/* The report of issim divergence (report.h). */
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

/* ---- issim divergence ---- */

typedef struct {
  const char *name;
  double estimate, se, exact;
  issim_exact_method how;
  int weighted; /* an expectation under p from draws of q */
  issim_info_status status;
  char reason[256];
} quantity;

/* Each quantity judged by divergence.h's rules, on the nats values; a
 * d-dimensional proposal covers the target's support (the scenario checked
 * it) and its weights are judged by the model rules of tail.h. */
static void judge_quantities(const issim_divergence_row *row, const issim_scenario *s,
                             quantity *q, size_t n)
{
  const issim_model *qm = row->proposal ? row->proposal->model : NULL;
  const issim_dist *p = issim_model_line_dist(s->target), *d = issim_model_line_dist(qm);
  issim_variance v = issim_divergence_weight_variance(s->target, qm);
  int covers = d == NULL || (d->lower <= p->lower && d->upper >= p->upper);
  for (size_t i = 0; i < n; i++) {
    issim_info_input in = {.estimate = q[i].estimate, .se = q[i].se, .exact = q[i].exact,
                           .how = q[i].how, .weighted = q[i].weighted, .covers = covers,
                           .kish_ess = row->estimate.ess, .weight_variance = v};
    q[i].status = issim_divergence_judge(&in, q[i].reason, sizeof q[i].reason);
  }
}

/* The quantities of a row, judged, in the report's unit. */
static size_t row_quantities(const issim_divergence_row *row, const issim_scenario *s, double unit,
                             quantity *q)
{
  const issim_estimate *e = &row->estimate;
  const issim_information *x = &row->exact;
  if (row->proposal == NULL) {
    q[0] = (quantity){"H(p)", e->entropy_q, e->entropy_q_se, x->entropy_p, x->entropy_p_how, 0, ISSIM_INFO_RELIABLE, ""};
    judge_quantities(row, s, q, 1);
    for (size_t i = 0; i < 1; i++) {
      q[i].estimate /= unit; q[i].se /= unit; q[i].exact /= unit;
    }
    return 1;
  }
  q[0] = (quantity){"H(q)", e->entropy_q, e->entropy_q_se, x->entropy_q, x->entropy_q_how, 0, ISSIM_INFO_RELIABLE, ""};
  q[1] = (quantity){"H(p,q)", e->cross_entropy_p_q, e->cross_entropy_p_q_se, x->cross_entropy_p_q,
                    x->cross_entropy_p_q_how, 1, ISSIM_INFO_RELIABLE, ""};
  q[2] = (quantity){"KL(p||q)", e->kl_p_q, e->kl_p_q_se, x->kl_p_q, x->kl_p_q_how, 1, ISSIM_INFO_RELIABLE, ""};
  q[3] = (quantity){"KL(q||p)", e->kl_q_p, e->kl_q_p_se, x->kl_q_p, x->kl_q_p_how, 0, ISSIM_INFO_RELIABLE, ""};
  for (size_t i = 0; i < 4; i++) {
    /* a sample mean of an infinite expectation is not an estimate of it */
    if (q[i].how == ISSIM_EXACT_INFINITE) {
      q[i].estimate = INFINITY;
      q[i].se = NAN;
    }
  }
  judge_quantities(row, s, q, 4);
  for (size_t i = 0; i < 4; i++) {
    q[i].estimate /= unit;
    q[i].se /= unit;
    q[i].exact /= unit;
  }
  return 4;
}

/* A law's description: the distribution's, or the d-dimensional model's. */
static void describe_law(const issim_model *m, char *buf, size_t size)
{
  const issim_dist *d = issim_model_line_dist(m);
  if (d)
    issim_dist_describe(d, buf, size);
  else
    issim_model_describe(m, buf, size);
}

/* KL(p||q) - (H(p,q) - H(p)) from the exact values, computed independently
 * where closed forms exist: a check of the formulas themselves. */
static double identity_gap(const issim_divergence_row *row, const issim_information *target)
{
  const issim_information *x = &row->exact;
  /* for q = p both sides are 0 by construction: no check */
  if (row->proposal == NULL || row->proposal->model == NULL || isinf(x->kl_p_q) ||
      x->kl_p_q_how == ISSIM_EXACT_NONE ||
      x->cross_entropy_p_q_how == ISSIM_EXACT_NONE)
    return NAN;
  return x->kl_p_q - (x->cross_entropy_p_q - target->entropy_p);
}

int issim_divergence_report_text(FILE *out, const issim_divergence_report *r)
{
  double unit = r->bits ? M_LN2 : 1;
  const char *unit_name = r->bits ? "bits" : "nats";
  fprintf(out, "scenario   %s\n", r->scenario->name);
  fprintf(out, "run        %llu draws per row, seed %llu, rng %s; in %s\n",
          (unsigned long long)r->samples, (unsigned long long)r->seed, r->rng_name, unit_name);
  for (size_t i = 0; i < r->n_rows; i++) {
    const issim_divergence_row *row = &r->rows[i];
    char desc[256];
    if (row->proposal == NULL) {
      describe_law(r->scenario->target, desc, sizeof desc);
      fprintf(out, "\ntarget p: %s (from draws of p)\n", desc);
    } else {
      if (row->proposal->model)
        describe_law(row->proposal->model, desc, sizeof desc);
      else
        snprintf(desc, sizeof desc, "the target");
      fprintf(out, "\nproposal %s: q = %s (from draws of q)\n", row->proposal->name, desc);
    }
    fprintf(out, "  %-10s %-28s %s\n", "", "estimate", "exact");
    quantity q[4];
    size_t n = row_quantities(row, r->scenario, unit, q);
    for (size_t k = 0; k < n; k++) {
      char est[64], ex[64];
      report_format_number_se(q[k].estimate, q[k].se, est, sizeof est);
      report_format_exact(q[k].exact, q[k].how, ex, sizeof ex);
      if (q[k].status != ISSIM_INFO_RELIABLE)
        fprintf(out, "  %-10s %-28s %-28s unreliable\n", q[k].name, est, ex);
      else
        fprintf(out, "  %-10s %-28s %s\n", q[k].name, est, ex);
    }
    const char *names[4];
    int bad[4];
    char reasons[4][256];
    int ess_note = row->proposal && row->proposal->model && row->estimate.ess < 100;
    for (size_t k = 0; k < n; k++) {
      names[k] = q[k].name;
      bad[k] = q[k].status != ISSIM_INFO_RELIABLE &&
               !(q[k].status == ISSIM_INFO_LOW_ESS && ess_note); /* the note below says it */
      snprintf(reasons[k], sizeof reasons[k], "%s", q[k].reason);
    }
    report_text_unreliable_lines(out, "  ", n, names, bad, reasons);
    double gap = identity_gap(row, &r->rows[0].exact);
    if (!isnan(gap))
      fprintf(out, "  identity   KL(p||q) = H(p,q) - H(p) holds to %.2g\n", fabs(gap) / unit);
    if (ess_note)
      fprintf(out, "  (H(p,q) and KL(p||q) are weighted by w, whose Kish ESS is only %.3g here: "
                   "those estimates and their standard errors are unreliable)\n",
              row->estimate.ess);
  }
  return ferror(out) ? -1 : 0;
}

static json_t *json_quantity(const quantity *q)
{
  json_t *o = json_object();
  report_set(o, "estimate", report_jinf(q->estimate));
  report_set(o, "std_error", report_jnum(q->se));
  report_set(o, "exact", q->how == ISSIM_EXACT_NONE ? json_null() : report_jinf(q->exact));
  report_set(o, "method", json_string(issim_exact_method_name(q->how)));
  report_set(o, "reliable", json_boolean(q->status == ISSIM_INFO_RELIABLE));
  report_set(o, "reason", q->status == ISSIM_INFO_RELIABLE ? json_null() : json_string(q->reason));
  return o;
}

int issim_divergence_report_json(FILE *out, const issim_divergence_report *r)
{
  double unit = r->bits ? M_LN2 : 1;
  json_t *root = json_object();
  report_set(root, "scenario", json_string(r->scenario->name));
  report_set(root, "units", json_string(r->bits ? "bits" : "nats"));
  report_set(root, "samples", json_integer((json_int_t)r->samples));
  char seed[24];
  snprintf(seed, sizeof seed, "%llu", (unsigned long long)r->seed);
  report_set(root, "seed", json_string(seed));
  report_set(root, "rng", json_string(r->rng_name));
  json_t *rows = json_array();
  for (size_t i = 0; i < r->n_rows; i++) {
    const issim_divergence_row *row = &r->rows[i];
    json_t *o = json_object();
    char desc[256] = "target";
    const issim_model *m = row->proposal ? row->proposal->model : r->scenario->target;
    if (m)
      describe_law(m, desc, sizeof desc);
    report_set(o, "row", json_string(row->proposal ? row->proposal->name : "target"));
    report_set(o, "distribution", json_string(desc));
    quantity q[4];
    size_t n = row_quantities(row, r->scenario, unit, q);
    static const char *const keys[2][4] = {{"entropy_p"}, {"entropy_q", "cross_entropy_p_q", "kl_p_q", "kl_q_p"}};
    for (size_t k = 0; k < n; k++)
      report_set(o, keys[row->proposal != NULL][k], json_quantity(&q[k]));
    double gap = identity_gap(row, &r->rows[0].exact);
    report_set(o, "identity_gap", report_jnum(gap / unit));
    json_array_append_new(rows, o);
  }
  report_set(root, "rows", rows);
  return report_dump_json(out, root);
}

