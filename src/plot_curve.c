/* plot_curve.c: the exceedance figure (plot.h's issim_plot_exceedance).
 *
 * As in plot.c, every number is computed here and written as plain columns
 * (log10 values: P may be far below the smallest double), the axis ranges
 * too, and every string in a script is a single-quoted gnuplot string. */
#include "plot.h"
#include "plot_impl.h"
#include "fileio.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Points of the exact curve. */
#define EXACT_POINTS 201

typedef struct {
  const char *dir;
  const issim_plot_series *series;
  size_t n;
  const issim_plot_options *opt;
  const issim_plot_exceedance_input *in;
  double x0, x1, y0, y1;     /* the axes' ranges (log10 P on y) */
  int have_exact, have_quantiles, have_untrusted;
} curve_job;

static double log10_of(double ln)
{
  return ln / log(10.0);
}

static void widen(double *lo, double *hi, double v)
{
  if (!isfinite(v))
    return;
  *lo = v < *lo ? v : *lo;
  *hi = v > *hi ? v : *hi;
}

static int verdict_code(const issim_verdict *v)
{
  return v->level == ISSIM_TRUSTWORTHY ? 0 : v->level == ISSIM_DOUBTFUL ? 1 : 2;
}

/* log10 P exactly at t, NAN when unknown. */
static double exact_at(const curve_job *job, double t)
{
  if (job->in->problem == NULL)
    return NAN;
  issim_problem pb = *job->in->problem;
  pb.event.threshold = t;
  return log10_of(issim_problem_exact_log(&pb));
}

/* The axes: every level, quantile and interval end of every curve, and the
 * exact curve over that span. */
static void ranges(curve_job *job)
{
  job->x0 = job->y0 = INFINITY;
  job->x1 = job->y1 = -INFINITY;
  for (size_t i = 0; i < job->n; i++) {
    const issim_curve *c = job->in->curves[i];
    for (size_t k = 0; c && k < c->n_levels; k++) {
      const issim_curve_level *lv = &c->levels[k];
      widen(&job->x0, &job->x1, lv->threshold);
      widen(&job->y0, &job->y1, log10_of(lv->estimate.log_estimate));
      widen(&job->y0, &job->y1, log10_of(lv->estimate.log_ci_high));
      job->have_untrusted |= lv->verdict.level != ISSIM_TRUSTWORTHY;
    }
    for (size_t j = 0; c && j < c->n_quantiles; j++) {
      const issim_curve_quantile *q = &c->quantiles[j];
      if (isnan(q->q.estimate))
        continue;
      job->have_quantiles = 1;
      job->have_untrusted |= q->verdict.level != ISSIM_TRUSTWORTHY;
      widen(&job->x0, &job->x1, q->q.ci_low);
      widen(&job->x0, &job->x1, q->q.ci_high);
      widen(&job->y0, &job->y1, log10(q->alpha));
    }
  }
  if (!(job->x0 < job->x1)) { /* one point, or none */
    double x = isfinite(job->x0) ? job->x0 : 0;
    job->x0 = x - 0.5 * fabs(x) - 1e-9;
    job->x1 = x + 0.5 * fabs(x) + 1e-9;
  }
  double pad = 0.03 * (job->x1 - job->x0);
  job->x0 -= pad, job->x1 += pad;
  for (int i = 0; i < EXACT_POINTS; i++) {
    double e = exact_at(job, job->x0 + (job->x1 - job->x0) * i / (EXACT_POINTS - 1));
    job->have_exact |= isfinite(e);
    widen(&job->y0, &job->y1, e);
  }
  if (!(job->y0 < job->y1)) {
    double y = isfinite(job->y0) ? job->y0 : 0;
    job->y0 = y - 1, job->y1 = y + 1;
  }
  pad = 0.05 * (job->y1 - job->y0);
  job->y0 -= pad, job->y1 += pad;
}

/* ---- data files ---- */

static void put_row(FILE *f, const double *v, size_t n)
{
  for (size_t k = 0; k < n; k++) {
    if (k)
      fputc('\t', f);
    plot_put_num(f, v[k]);
  }
  fputc('\n', f);
}

static void write_levels(FILE *f, const void *ctx, size_t i)
{
  const curve_job *job = ctx;
  const issim_curve *c = job->in->curves[i];
  fprintf(f, "# issim exceedance curve of proposal '%s': P(loss %s t) at each level t, from "
             "the same draws\n"
             "# columns:\n"
             "#  1 t            the threshold\n"
             "#  2 log10_est    log10 of the estimate (-Inf without a hit)\n"
             "#  3 log10_ci_low log10 of the 95%% interval's lower end (-Inf when it is 0)\n"
             "#  4 log10_ci_high log10 of its upper end (NaN without a hit)\n"
             "#  5 rel_err      relative error (NaN without a hit)\n"
             "#  6 hits         draws in the event\n"
             "#  7 event_ess    effective sample size of the event draws\n"
             "#  8 khat         Pareto k-hat (NaN when not fitted)\n"
             "#  9 verdict      0 trustworthy, 1 doubtful, 2 unreliable\n"
             "# 10 log10_exact  log10 of the exact P (NaN when unknown)\n"
             "# 11 sigmas       t in standard deviations of the loss (NaN when written as a "
             "number)\n"
             "# 12 main         1 at the main threshold\n"
             "# t\tlog10_est\tlog10_ci_low\tlog10_ci_high\trel_err\thits\tevent_ess\tkhat"
             "\tverdict\tlog10_exact\tsigmas\tmain\n",
          job->series[i].name, c->above ? ">" : "<");
  for (size_t k = 0; k < c->n_levels; k++) {
    const issim_curve_level *lv = &c->levels[k];
    const issim_estimate *e = &lv->estimate;
    double v[] = {lv->threshold, log10_of(e->log_estimate),
                  e->hits ? log10_of(e->log_ci_low) : -INFINITY,
                  e->hits ? log10_of(e->log_ci_high) : NAN, e->relative_error, (double)e->hits,
                  e->event_ess, lv->pareto_k, verdict_code(&lv->verdict),
                  log10_of(lv->exact_log), lv->sigmas, lv->main};
    put_row(f, v, sizeof v / sizeof *v);
  }
}

static void write_quantiles(FILE *f, const void *ctx, size_t i)
{
  const curve_job *job = ctx;
  const issim_curve *c = job->in->curves[i];
  fprintf(f, "# issim quantiles of proposal '%s': the level q with P(loss %s q) = alpha, its "
             "95%% interval by test inversion\n"
             "# columns:\n"
             "#  1 alpha\n"
             "#  2 log10_alpha\n"
             "#  3 estimate    q (NaN when not estimated)\n"
             "#  4 ci_low      the interval's lower end\n"
             "#  5 ci_high     its upper end\n"
             "#  6 verdict     0 trustworthy, 1 doubtful, 2 unreliable\n"
             "#  7 exact       the exact quantile (NaN when unknown)\n"
             "# alpha\tlog10_alpha\testimate\tci_low\tci_high\tverdict\texact\n",
          job->series[i].name, c->above ? ">" : "<");
  for (size_t j = 0; j < c->n_quantiles; j++) {
    const issim_curve_quantile *q = &c->quantiles[j];
    double v[] = {q->alpha, log10(q->alpha), q->q.estimate, q->q.ci_low, q->q.ci_high,
                  verdict_code(&q->verdict), q->exact};
    put_row(f, v, sizeof v / sizeof *v);
  }
}

static void write_exact(FILE *f, const void *ctx, size_t unused)
{
  const curve_job *job = ctx;
  (void)unused;
  fputs("# issim exact exceedance curve: log10 of the exact P at each threshold t\n"
        "# columns:\n#  1 t\n#  2 log10_exact\n# t\tlog10_exact\n", f);
  for (int i = 0; i < EXACT_POINTS; i++) {
    double t = job->x0 + (job->x1 - job->x0) * i / (EXACT_POINTS - 1);
    double v[] = {t, exact_at(job, t)};
    put_row(f, v, 2);
  }
}

/* ---- the script ---- */

static void put_file(FILE *f, const char *prefix, const char *name)
{
  char file[256];
  snprintf(file, sizeof file, "%s_%s.dat", prefix, name);
  plot_put_gp_string(f, file);
}

static void put_series(FILE *f, const curve_job *job, size_t i)
{
  const issim_curve *c = job->in->curves[i];
  const char *name = job->series[i].name;
  size_t lt = plot_linetype(i);
  char title[256];
  plot_series_title(&job->series[i], title, sizeof title);
  if (c->n_levels > 0) {
    fputs("     ", f);
    put_file(f, "exceedance", name);
    fputs(" using 1:($3 > -1e308 ? $3 : ", f);
    plot_put_num(f, job->y0);
    fprintf(f, "):4 with filledcurves lt %zu notitle, \\\n", lt);
    fprintf(f, "     '' using 1:($2 > -1e308 ? $2 : NaN) with linespoints lt %zu title ", lt);
    plot_put_gp_string(f, title);
    fputs(", \\\n     '' using 1:($9 > 0 && $2 > -1e308 ? $2 : NaN) with points pt 6 ps 2.2 "
          "lw 1.5 lc rgb 'black' notitle, \\\n", f);
  }
  if (c->n_quantiles > 0) {
    fputs("     ", f);
    put_file(f, "quantiles", name);
    fprintf(f, " using 3:2:4:5 with xerrorbars lt %zu pt 5 ps 1.2 ", lt);
    if (c->n_levels > 0)
      fputs("notitle, \\\n", f);
    else {
      fputs("title ", f);
      plot_put_gp_string(f, title);
      fputs(", \\\n", f);
    }
    fputs("     '' using 3:($6 > 0 ? $2 : NaN) with points pt 6 ps 2.2 lw 1.5 lc rgb 'black' "
          "notitle, \\\n", f);
  }
}

static void write_script(FILE *f, const void *ctx, size_t unused)
{
  const curve_job *job = ctx;
  (void)unused;
  const issim_curve *any = NULL;
  for (size_t i = 0; i < job->n && any == NULL; i++)
    any = job->in->curves[i];
  char ylabel[96];
  snprintf(ylabel, sizeof ylabel, "log10 P(loss %s t)   (shaded: 95%% interval)",
           any->above ? ">" : "<");
  plot_put_head(f, job->series, job->n, job->opt->title, "exceedance", "exceedance curve");
  fputs("set xlabel 'threshold t'\nset ylabel ", f);
  plot_put_gp_string(f, ylabel);
  fputs("\nset style fill transparent solid 0.2 noborder\nset xrange [", f);
  plot_put_num(f, job->x0);
  fputc(':', f);
  plot_put_num(f, job->x1);
  fputs("]\nset yrange [", f);
  plot_put_num(f, job->y0);
  fputc(':', f);
  plot_put_num(f, job->y1);
  fputs("]\n", f);
  if (isfinite(job->in->main_threshold)) {
    fputs("set arrow 1 from first ", f);
    plot_put_num(f, job->in->main_threshold);
    fputs(", graph 0 to first ", f);
    plot_put_num(f, job->in->main_threshold);
    fputs(", graph 1 nohead dt 3 lw 1 lc rgb 'gray40' back\nset label 1 'main threshold' at "
          "first ", f);
    plot_put_num(f, job->in->main_threshold);
    fputs(", graph 0.04 offset 0.5,0 left textcolor rgb 'gray40'\n", f);
  }
  fputs("plot \\\n", f);
  for (size_t i = 0; i < job->n; i++)
    if (job->in->curves[i])
      put_series(f, job, i);
  if (job->have_untrusted)
    fputs("     NaN with points pt 6 ps 2.2 lw 1.5 lc rgb 'black' title 'not trustworthy', \\\n",
          f);
  if (job->have_quantiles)
    fputs("     keyentry with xerrorbars pt 5 lc rgb 'gray30' title 'quantile: 95% interval at log10 "
          "alpha', \\\n", f);
  if (job->have_exact)
    fputs("     'exceedance_exact.dat' using 1:2 with lines dt 2 lw 1.5 lc rgb 'black' "
          "title 'exact', \\\n", f);
  fputs("     NaN notitle\n", f);
  plot_put_tail(f);
}

static int check_names(const issim_plot_series *series, size_t n, issim_error *err)
{
  for (size_t i = 0; i < n; i++)
    if (!plot_valid_name(series[i].name))
      return issim_error_set(err, ISSIM_EINVAL, "proposal name '%s' cannot name a plot file: "
                             "use 1 to 200 letters, digits, '_', '-' or '.'",
                             series[i].name ? series[i].name : "(null)");
  return ISSIM_OK;
}

int issim_plot_exceedance(const char *dir, const issim_plot_series *series, size_t n,
                          const issim_plot_options *opt, const issim_plot_exceedance_input *in,
                          int *rendered, issim_error *err)
{
  if (rendered)
    *rendered = 1;
  curve_job job = {.dir = dir, .series = series, .n = n, .opt = opt, .in = in};
  int any = 0;
  for (size_t i = 0; i < n; i++)
    any |= in->curves[i] != NULL;
  /* an earlier run's figure would not match the new data */
  static const char *const stale[] = {"png", "svg", "gp"};
  for (size_t k = 0; k < (any ? 2u : 3u); k++)
    plot_remove_figure(dir, "exceedance", stale[k]);
  if (!any)
    return ISSIM_OK;
  int rc = check_names(series, n, err);
  if (rc == ISSIM_OK)
    rc = issim_fileio_make_dirs(dir, "plot directory", err);
  ranges(&job);
  char name[256];
  for (size_t i = 0; rc == ISSIM_OK && i < n; i++) {
    const issim_curve *c = in->curves[i];
    if (c && c->n_levels > 0) {
      snprintf(name, sizeof name, "exceedance_%s.dat", series[i].name);
      rc = plot_write_file(dir, name, write_levels, &job, i, err);
    }
    if (rc == ISSIM_OK && c && c->n_quantiles > 0) {
      snprintf(name, sizeof name, "quantiles_%s.dat", series[i].name);
      rc = plot_write_file(dir, name, write_quantiles, &job, i, err);
    }
  }
  if (rc == ISSIM_OK && job.have_exact)
    rc = plot_write_file(dir, "exceedance_exact.dat", write_exact, &job, 0, err);
  if (rc == ISSIM_OK)
    rc = plot_write_file(dir, "exceedance.gp", write_script, &job, 0, err);
  if (rc != ISSIM_OK || opt->gnuplot == NULL) {
    if (rendered)
      *rendered = 0;
    return rc;
  }
  static const char *const base[] = {"exceedance"};
  return plot_render(dir, base, 1, opt->gnuplot, rendered, err);
}
