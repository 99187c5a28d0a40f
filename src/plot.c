/* plot.c: data files and gnuplot scripts (see plot.h); plot_render.c runs gnuplot.
 *
 * Every number the figures need is computed here, in log space where the
 * magnitudes demand it (P may be far below the smallest double), and written
 * as plain columns; the scripts only draw.  Axis ranges are computed here too,
 * so that a script never depends on gnuplot's autoscaling of data that may be
 * absent (gnuplot stops with "x range is invalid" on an empty plot).
 */
#define _POSIX_C_SOURCE 200809L

#include "plot.h"
#include "plot_impl.h"
#include "fileio.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

/* Colours of the series, in order: Okabe-Ito's (distinguishable by most
 * colour-blind readers) and then darker ones of Tol's, twelve that never
 * repeat within a figure; past twelve proposals the palette starts again
 * with the next dash type.  A proposal keeps its colour in every figure (its
 * place in the scenario). */
static const char *const plot_colours[] = {
  "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9",
  "#882255", "#117733", "#332288", "#999933", "#AA4499", "#661100"};
#define PLOT_NCOLOURS (sizeof plot_colours / sizeof plot_colours[0])
/* gnuplot's dash types 1 (solid) to 5 */
#define PLOT_NDASHES 5
/* the canvas of a figure, wide enough for the legend beside the data */
#define PLOT_SIZE "1100,620"
#define PLOT_SUMMARY_SIZE "1500,1050"
/* The convergence figure shows estimate / reference; its y axis stops at
 * most here so that the wide early intervals do not flatten the rest. */
#define PLOT_RATIO_CAP 10.0

enum { REF_NONE, REF_EXACT, REF_GIVEN, REF_ESTIMATE };

typedef struct {
  const char *dir;
  const issim_plot_series *series;
  size_t n;
  const char *title;
  double exact_log;          /* NAN when unknown */
  int ref_kind;              /* REF_* */
  double log_ref;            /* natural log of the reference value */
  const char *ref_name;      /* with REF_ESTIMATE: whose final estimate */
  int have_efficiency;       /* some series has a finite efficiency */
  int panel;                 /* drawing a panel of the summary: no legend */
} plot_job;

typedef struct {
  double lo, hi;
} plot_range;

/* ---- small helpers ---- */

static void range_init(plot_range *r)
{
  r->lo = INFINITY;
  r->hi = -INFINITY;
}

static void range_add(plot_range *r, double x)
{
  if (!isfinite(x))
    return;
  if (x < r->lo)
    r->lo = x;
  if (x > r->hi)
    r->hi = x;
}

static int range_empty(const plot_range *r)
{
  return !(r->lo <= r->hi);
}

static int has_trace(const issim_plot_series *s)
{
  return s->trace != NULL && s->trace->count > 0;
}

static uint64_t hist_total(const issim_hist *h)
{
  uint64_t t = h->below;
  for (size_t i = 0; i < ISSIM_HIST_BINS; i++)
    t += h->counts[i];
  return t;
}

static int has_hist(const issim_plot_series *s)
{
  return s->hist != NULL && s->hist->top != INT64_MIN && hist_total(s->hist) > 0;
}

/* The kept bins [first, last] (indices into counts, first >= last: counts[0]
 * is the highest bin) that span the non-empty ones; 0 when all are empty. */
static int hist_span(const issim_hist *h, size_t *first, size_t *last)
{
  size_t i = ISSIM_HIST_BINS;
  while (i > 0 && h->counts[i - 1] == 0)
    i--;
  if (i == 0)
    return 0;
  *first = i - 1;
  size_t j = 0;
  while (h->counts[j] == 0)
    j++;
  *last = j;
  return 1;
}

/* Lower edge of counts[i]; in double arithmetic so that no int64 can wrap. */
static double hist_edge(const issim_hist *h, size_t i)
{
  return ((double)h->top - (double)i) * h->width;
}

/* Series i's gnuplot linetype (they count from 1): its colour, dash and
 * width are set by put_linetypes. */
static size_t colour_of(size_t i)
{
  return i + 1;
}

/* 0 trustworthy, 1 doubtful, 2 unreliable; -1 when not given. */
static int verdict_of(const issim_plot_series *s)
{
  if (s->verdict == NULL)
    return -1;
  return strcmp(s->verdict, "unreliable") == 0 ? 2 : strcmp(s->verdict, "doubtful") == 0 ? 1 : 0;
}

/* The legend's name of a series: a proposal that is not trustworthy says
 * so, in capitals when unreliable. */
static void series_title(const issim_plot_series *s, char *buf, size_t size)
{
  int v = verdict_of(s);
  snprintf(buf, size, "%s%s", s->name, v == 2 ? "  (UNRELIABLE)" : v == 1 ? "  (doubtful)" : "");
}

static double log10_of_ln(double ln_x)
{
  return ln_x / log(10.0);
}

/* exp(ln_x) as "3.66e-350", at any magnitude. */
static void format_pow10(char *buf, size_t size, double ln_x)
{
  double l = log10_of_ln(ln_x);
  if (!isfinite(l)) {
    snprintf(buf, size, "%s", isnan(l) ? "NaN" : (l > 0 ? "Inf" : "0"));
    return;
  }
  double e = floor(l);
  double m = pow(10.0, l - e);
  if (m >= 9.995) { /* would print as 10.00 */
    m /= 10.0;
    e += 1.0;
  }
  snprintf(buf, size, "%.3ge%+.0f", m, e);
}

/* ---- what plot_curve.c borrows (plot_impl.h) ---- */

static void put_script_head(FILE *f, const plot_job *job, const char *base,
                            const char *subject);
static void put_script_tail(FILE *f);
static void put_key(FILE *f, const plot_job *job);

void plot_put_head(FILE *f, const issim_plot_series *series, size_t n,
                   const char *title, const char *base, const char *subject)
{
  plot_job job = {.series = series, .n = n, .title = title ? title : ""};
  put_script_head(f, &job, base, subject);
  put_key(f, &job);
}

void plot_put_tail(FILE *f)
{
  put_script_tail(f);
}

size_t plot_linetype(size_t i)
{
  return colour_of(i);
}

void plot_series_title(const issim_plot_series *s, char *buf, size_t size)
{
  series_title(s, buf, size);
}

/* ---- arguments and the reference value ---- */

static int check_trace(const issim_trace *t, const char *name, issim_error *err)
{
  if (t->count > 0 && t->points == NULL)
    return issim_error_set(err, ISSIM_EINVAL,
                           "the trace of proposal '%s' has %zu points but no "
                           "point array", name, t->count);
  return ISSIM_OK;
}

static int check_hist(const issim_hist *h, const char *name, issim_error *err)
{
  if (h->top != INT64_MIN && !(isfinite(h->width) && h->width > 0))
    return issim_error_set(err, ISSIM_EINVAL,
                           "the log-weight histogram of proposal '%s' has bin "
                           "width %g; it must be positive", name, h->width);
  return ISSIM_OK;
}

static int check_series(const issim_plot_series *series, size_t n,
                        issim_error *err)
{
  for (size_t i = 0; i < n; i++) {
    const char *name = series[i].name;
    if (name == NULL || !plot_valid_name(name))
      return issim_error_set(err, ISSIM_EINVAL,
                             "proposal name '%s' cannot name a plot file: use "
                             "1 to %d letters, digits, '_', '-' or '.'",
                             name ? name : "(null)", PLOT_NAME_MAX);
    for (size_t j = 0; j < i; j++)
      if (strcmp(series[j].name, name) == 0)
        return issim_error_set(err, ISSIM_EINVAL,
                               "two proposals are named '%s'; their plot files "
                               "would overwrite each other", name);
    int rc = series[i].trace ? check_trace(series[i].trace, name, err) : 0;
    if (rc == ISSIM_OK && series[i].hist)
      rc = check_hist(series[i].hist, name, err);
    if (rc != ISSIM_OK)
      return rc;
  }
  return ISSIM_OK;
}

static int check_args(const char *dir, const issim_plot_series *series,
                      size_t n, const issim_plot_options *opt, issim_error *err)
{
  if (dir == NULL || dir[0] == '\0')
    return issim_error_set(err, ISSIM_EINVAL, "no directory given for the plots");
  if (opt == NULL)
    return issim_error_set(err, ISSIM_EINVAL, "no plot options given");
  if (n > 0 && series == NULL)
    return issim_error_set(err, ISSIM_EINVAL, "%zu plot series announced but "
                           "none given", n);
  return check_series(series, n, err);
}

/* The estimates are shown divided by a reference: the exact P when known,
 * else the one the caller chose (compare.h's rule), else none. */
static void choose_reference(plot_job *job, const issim_plot_options *opt)
{
  job->ref_kind = REF_NONE;
  job->log_ref = NAN;
  if (isfinite(job->exact_log)) {
    job->ref_kind = REF_EXACT;
    job->log_ref = job->exact_log;
  } else if (opt->has_given && isfinite(opt->given_log)) {
    job->ref_kind = REF_GIVEN;
    job->log_ref = opt->given_log;
  } else if (isfinite(opt->reference_log) && opt->reference_name) {
    job->ref_kind = REF_ESTIMATE;
    job->log_ref = opt->reference_log;
    job->ref_name = opt->reference_name;
  }
}

/* ---- files (fileio.h) ---- */

typedef void (*plot_writer)(FILE *f, const plot_job *job, size_t i);

typedef struct {
  plot_writer fn;
  const plot_job *job;
} job_writer;

static void write_for_job(FILE *f, const void *ctx, size_t i)
{
  const job_writer *w = ctx;
  w->fn(f, w->job, i);
}

static int write_file(const plot_job *job, const char *name, plot_writer fn,
                      size_t i, issim_error *err)
{
  job_writer w = {fn, job};
  return plot_write_file(job->dir, name, write_for_job, &w, i, err);
}

/* ---- data files ---- */

static void put_reference_comment(FILE *f, const plot_job *job)
{
  char v[64];
  format_pow10(v, sizeof v, job->log_ref);
  if (job->ref_kind == REF_EXACT)
    fprintf(f, "# reference for columns 8-10: the exact P = %s (log10 P = ", v);
  else if (job->ref_kind == REF_GIVEN)
    fprintf(f, "# reference for columns 8-10: P = %s, given in the scenario ([event] "
               "reference) (log10 P = ", v);
  else if (job->ref_kind == REF_ESTIMATE)
    fprintf(f, "# reference for columns 8-10: the final estimate of proposal "
               "'%s' = %s, the exact P being unknown (log10 = ",
            job->ref_name, v);
  else {
    fputs("# no reference for columns 8-10 (no exact P, no hit): they are NaN\n", f);
    return;
  }
  plot_put_num(f, log10_of_ln(job->log_ref));
  fputs(")\n", f);
}

static void put_trace_header(FILE *f, const plot_job *job, size_t i)
{
  fprintf(f, "# issim convergence trace of proposal '%s': one row per "
             "checkpoint, each the result a run of N draws would give\n",
          job->series[i].name);
  put_reference_comment(f, job);
  fputs("# columns:\n"
        "#  1 N            draws\n"
        "#  2 log10_est    log10 of the estimate of P (-Inf before the first hit)\n"
        "#  3 log10_ci_low log10 of the 95% interval's lower bound (-Inf when it is 0)\n"
        "#  4 log10_ci_high log10 of the 95% interval's upper bound\n"
        "#  5 rel_err      relative error, standard error / estimate (NaN before the first hit)\n"
        "#  6 event_ess    effective sample size of the event draws\n"
        "#  7 khat         Pareto k-hat of the weights (NaN before 65536 draws or when it cannot be fitted)\n"
        "#  8 est_ref      estimate / reference\n"
        "#  9 ci_low_ref   95% lower bound / reference\n"
        "# 10 ci_high_ref  95% upper bound / reference\n"
        "# Missing numbers are NaN.  Logs here are base 10; issim's are natural.\n"
        "# N\tlog10_est\tlog10_ci_low\tlog10_ci_high\trel_err\tevent_ess\tkhat"
        "\test_ref\tci_low_ref\tci_high_ref\n", f);
}

/* x / reference from natural logs, exact at any magnitude. */
static double ratio_to_ref(const plot_job *job, double ln_x)
{
  return job->ref_kind == REF_NONE ? NAN : exp(ln_x - job->log_ref);
}

static void put_trace_row(FILE *f, const plot_job *job,
                          const issim_trace_point *p)
{
  const double v[] = {
    log10_of_ln(p->log_estimate), log10_of_ln(p->log_ci_low),
    log10_of_ln(p->log_ci_high), p->relative_error, p->event_ess, p->pareto_k,
    ratio_to_ref(job, p->log_estimate), ratio_to_ref(job, p->log_ci_low),
    ratio_to_ref(job, p->log_ci_high)};
  fprintf(f, "%" PRIu64, p->n);
  for (size_t k = 0; k < sizeof v / sizeof v[0]; k++) {
    fputc('\t', f);
    plot_put_num(f, v[k]);
  }
  fputc('\n', f);
}

static void write_trace(FILE *f, const plot_job *job, size_t i)
{
  const issim_trace *t = job->series[i].trace;
  put_trace_header(f, job, i);
  for (size_t k = 0; k < t->count; k++)
    put_trace_row(f, job, &t->points[k]);
}

static void write_hist(FILE *f, const plot_job *job, size_t i)
{
  const issim_hist *h = job->series[i].hist;
  fprintf(f, "# issim log-weight histogram of proposal '%s': the log-weights "
             "log(w h) of the event's draws, in nats\n", job->series[i].name);
  if (!has_hist(&job->series[i])) {
    fputs("# no event draw: no rows\n", f);
    return;
  }
  uint64_t total = hist_total(h);
  fprintf(f, "# bins of %g nats on an absolute grid; the rows run from the "
             "lowest to the highest non-empty bin kept\n", h->width);
  fprintf(f, "# event draws: %" PRIu64 "\n", total);
  fputs("# below ", f);
  plot_put_num(f, hist_edge(h, ISSIM_HIST_BINS - 1));
  fprintf(f, " nats: %" PRIu64 " draws (fraction ", h->below);
  plot_put_num(f, (double)h->below / (double)total);
  fputs("), not in the rows\n"
        "# columns:\n"
        "#  1 lower     bin lower edge (nats)\n"
        "#  2 upper     bin upper edge (nats)\n"
        "#  3 count     event draws in the bin\n"
        "#  4 fraction  count / all event draws (those below included)\n"
        "# lower\tupper\tcount\tfraction\n", f);
  size_t first, last;
  if (!hist_span(h, &first, &last))
    return;
  for (size_t k = first + 1; k-- > last;) {
    plot_put_num(f, hist_edge(h, k));
    fputc('\t', f);
    plot_put_num(f, hist_edge(h, k) + h->width);
    fprintf(f, "\t%" PRIu64 "\t", h->counts[k]);
    plot_put_num(f, (double)h->counts[k] / (double)total);
    fputc('\n', f);
  }
}

/* The series in rank order (those without a rank after, in their own
 * order), into order[0..n); identity when out of memory (order NULL). */
static size_t *rank_order(const plot_job *job)
{
  size_t *order = malloc((job->n ? job->n : 1) * sizeof *order);
  for (size_t i = 0; order && i < job->n; i++) {
    size_t j = i, r = job->series[i].rank ? job->series[i].rank : SIZE_MAX;
    for (; j > 0; j--) {
      size_t q = job->series[order[j - 1]].rank ? job->series[order[j - 1]].rank : SIZE_MAX;
      if (q <= r)
        break;
      order[j] = order[j - 1];
    }
    order[j] = i;
  }
  return order;
}

static void write_efficiency(FILE *f, const plot_job *job, size_t unused)
{
  (void)unused;
  fputs("# issim work-normalised efficiency of each proposal, in rank order: higher is "
        "better (the same precision in less time)\n"
        "# columns:\n"
        "#  1 name        the proposal\n"
        "#  2 efficiency  1 / (relative variance x seconds per draw), per second\n"
        "#  3 series      the proposal's place in the scenario (1-based; sets its colour)\n"
        "#  4 verdict     0 trustworthy, 1 doubtful, 2 unreliable, -1 not given\n"
        "#  5 rank        its rank in the comparison (0: not ranked)\n"
        "# name\tefficiency\tseries\tverdict\trank\n", f);
  size_t *order = rank_order(job);
  for (size_t k = 0; k < job->n; k++) {
    size_t i = order ? order[k] : k;
    const issim_plot_series *s = &job->series[i];
    if (!isfinite(s->efficiency))
      continue;
    fprintf(f, "%s\t", s->name);
    plot_put_num(f, s->efficiency);
    fprintf(f, "\t%zu\t%d\t%zu\n", i + 1, verdict_of(s), s->rank);
  }
  free(order);
}

static int write_data(const plot_job *job, issim_error *err)
{
  char name[PLOT_NAME_MAX + 32];
  int rc = ISSIM_OK;
  for (size_t i = 0; i < job->n && rc == ISSIM_OK; i++) {
    const issim_plot_series *s = &job->series[i];
    if (s->trace != NULL) {
      snprintf(name, sizeof name, "trace_%s.dat", s->name);
      rc = write_file(job, name, write_trace, i, err);
    }
    if (rc == ISSIM_OK && s->hist != NULL) {
      snprintf(name, sizeof name, "hist_%s.dat", s->name);
      rc = write_file(job, name, write_hist, i, err);
    }
  }
  if (rc == ISSIM_OK && job->have_efficiency)
    rc = write_file(job, "efficiency.dat", write_efficiency, 0, err);
  return rc;
}

/* ---- an earlier run's data files ---- */

/* The data files of the proposals a directory reused from an earlier run
 * (another scenario, another --proposal) would keep beside the new ones,
 * which the scripts do not plot but a reader would take for this run's.
 * Removed: trace_NAME.dat and hist_NAME.dat of a NAME this run has not
 * written, and only when issim wrote them -- a regular file (not a link)
 * whose first line is the header issim writes for that NAME.  Any other
 * file, a user's own, is left alone. */
static int written_now(const plot_job *job, const char *kind, const char *name, size_t len)
{
  for (size_t i = 0; i < job->n; i++) {
    const issim_plot_series *s = &job->series[i];
    int have = kind[0] == 't' ? s->trace != NULL : s->hist != NULL;
    if (have && strlen(s->name) == len && strncmp(s->name, name, len) == 0)
      return 1;
  }
  return 0;
}

static int issims_own(const plot_job *job, const char *file, const char *header)
{
  char *p = issim_fileio_join(job->dir, file), line[PLOT_NAME_MAX + 128];
  int fd = p ? open(p, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC) : -1;
  struct stat st;
  FILE *f = fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) ? fdopen(fd, "r") : NULL;
  int own = f != NULL && fgets(line, sizeof line, f) != NULL &&
            strncmp(line, header, strlen(header)) == 0;
  if (f != NULL)
    fclose(f);
  else if (fd >= 0)
    close(fd);
  if (own)
    unlink(p);
  free(p);
  return own;
}

static void remove_stale_data(const plot_job *job)
{
  static const struct { const char *prefix, *header; } kinds[] = {
    {"trace_", "# issim convergence trace of proposal"},
    {"hist_", "# issim log-weight histogram of proposal"},
  };
  DIR *dir = opendir(job->dir);
  for (struct dirent *e; dir != NULL && (e = readdir(dir)) != NULL;) {
    size_t len = strlen(e->d_name);
    for (size_t k = 0; k < 2; k++) {
      size_t pre = strlen(kinds[k].prefix);
      if (len <= pre + 4 || len - pre - 4 > PLOT_NAME_MAX ||
          strncmp(e->d_name, kinds[k].prefix, pre) != 0 || strcmp(e->d_name + len - 4, ".dat") != 0)
        continue;
      const char *name = e->d_name + pre;
      int n = (int)(len - pre - 4);
      if (written_now(job, kinds[k].prefix, name, (size_t)n))
        continue;
      char header[PLOT_NAME_MAX + 96];
      snprintf(header, sizeof header, "%s '%.*s': ", kinds[k].header, n, name);
      issims_own(job, e->d_name, header);
    }
  }
  if (dir != NULL)
    closedir(dir);
}

/* ---- scripts ---- */

static void put_linetypes(FILE *f, const plot_job *job);
static void put_key(FILE *f, const plot_job *job);

static void put_script_head(FILE *f, const plot_job *job, const char *base,
                            const char *subject)
{
  fprintf(f, "# %s.gp: %s, written by issim.\n"
             "# Renders %s.png and %s.svg; run it in this directory (the data "
             "files are named relatively):\n#   gnuplot %s.gp\n",
          base, subject, base, base, base);
  fputs("set encoding utf8\n"
        "set terminal pngcairo size " PLOT_SIZE " noenhanced font 'Sans,11'\n", f);
  /* issim renders to temporary names (issim_png, issim_svg, given with -e)
   * and renames them into place; run by hand, the script writes these */
  fprintf(f, "if (!exists('issim_png')) issim_png = '%s.png'\n"
             "if (!exists('issim_svg')) issim_svg = '%s.svg'\n"
             "set output issim_png\n", base, base);
  put_linetypes(f, job);
  /* the title centred on the page, not over the data (the legend beside
   * them narrows the frame) */
  fputs("set label 100 ", f);
  char t[1024];
  snprintf(t, sizeof t, "%s%s%s", job->title, job->title[0] ? ": " : "", subject);
  plot_put_gp_string(f, t);
  fputs(" at screen 0.5, screen 0.965 center front\nset tmargin 3.5\n"
        "set grid\nset samples 500\n", f);
}

/* One linetype per series: its colour, its dash (solid for the first
 * twelve), and a width by its verdict (trustworthy thick, doubtful thinner,
 * unreliable thin), so that a proposal looks the same in every figure. */
static void put_linetypes(FILE *f, const plot_job *job)
{
  static const double width[] = {2.5, 1.6, 1.0}; /* by verdict */
  for (size_t i = 0; i < job->n; i++) {
    int v = verdict_of(&job->series[i]);
    fprintf(f, "set linetype %zu lc rgb '%s' dt %zu lw %.1f pt 7 ps 0.6\n", i + 1,
            plot_colours[i % PLOT_NCOLOURS], 1 + (i / PLOT_NCOLOURS) % PLOT_NDASHES,
            v < 0 ? 2.0 : width[v]);
  }
}

/* The legend beside the data, outside the frame; none in a summary panel
 * (the summary has a legend panel of its own). */
static void put_key(FILE *f, const plot_job *job)
{
  fputs(job->panel ? "unset key\n"
                   : "set key outside right top vertical Left reverse noopaque nobox\n", f);
}

/* The PNG is drawn by the plot command; the same figure again as SVG. */
static void put_script_tail(FILE *f)
{
  fprintf(f, "\n# The same figure as SVG.\n"
             "set terminal svg size " PLOT_SIZE " dynamic noenhanced "
             "background '#ffffff' font 'Sans,11'\n"
             "set output issim_svg\n"
             "replot\n"
             "unset output\n");
}

static void put_range(FILE *f, char axis, double lo, double hi)
{
  fprintf(f, "set %crange [", axis);
  plot_put_num(f, lo);
  fputc(':', f);
  plot_put_num(f, hi);
  fputs("]\n", f);
}

/* An empty frame with a message: gnuplot needs something to plot. */
static void put_no_data(FILE *f, const char *what)
{
  fputs("unset xtics\nunset ytics\nunset key\nset label 1 ", f);
  plot_put_gp_string(f, what);
  fputs(" at graph 0.5, graph 0.5 center\nplot NaN notitle\n", f);
}

/* The x range shared by the two trace figures: the checkpoints' N. */
static plot_range trace_n_range(const plot_job *job)
{
  plot_range r;
  range_init(&r);
  for (size_t i = 0; i < job->n; i++) {
    const issim_trace *t = job->series[i].trace;
    for (size_t k = 0; has_trace(&job->series[i]) && k < t->count; k++)
      if (t->points[k].n > 0)
        range_add(&r, (double)t->points[k].n);
  }
  if (!range_empty(&r) && r.lo == r.hi) {
    r.lo /= 2;
    r.hi *= 2;
  }
  return r;
}

/* The y range of estimate / reference: the intervals, but capped near the
 * estimates themselves (early intervals are wide and would flatten the
 * figure), always with 1 (the reference) and never below 0. */
static plot_range ratio_range(const plot_job *job)
{
  plot_range est, band;
  range_init(&est);
  range_init(&band);
  range_add(&est, 1.0);
  for (size_t i = 0; i < job->n; i++) {
    const issim_trace *t = job->series[i].trace;
    for (size_t k = 0; has_trace(&job->series[i]) && k < t->count; k++) {
      const issim_trace_point *p = &t->points[k];
      if (!isfinite(p->log_estimate))
        continue; /* not drawn: see write_convergence */
      range_add(&est, ratio_to_ref(job, p->log_estimate));
      range_add(&band, ratio_to_ref(job, p->log_ci_low));
      range_add(&band, ratio_to_ref(job, p->log_ci_high));
    }
  }
  double cap = fmin(fmax(1.1 * est.hi, 2.0), PLOT_RATIO_CAP);
  plot_range r = est;
  if (!range_empty(&band)) {
    r.lo = fmin(r.lo, band.lo);
    r.hi = fmax(r.hi, fmin(band.hi, cap));
  }
  double pad = 0.05 * (r.hi - r.lo);
  r.lo = fmax(0.0, r.lo - pad);
  r.hi += pad > 0 ? pad : 0.1;
  return r;
}

/* A legend entry for a proposal with nothing to draw, so that it is not
 * silently missing. */
static void put_absent(FILE *f, size_t colour, const char *name,
                       const char *why)
{
  char t[PLOT_NAME_MAX + 64];
  snprintf(t, sizeof t, "%s: %s", name, why);
  fprintf(f, "     NaN with lines lt %zu title ", colour);
  plot_put_gp_string(f, t);
  fputs(", \\\n", f);
}

static int any_hit(const issim_plot_series *s)
{
  return has_trace(s) && isfinite(s->trace->points[s->trace->count - 1].log_estimate);
}

static void put_reference_line(FILE *f, const plot_job *job)
{
  char v[64], t[PLOT_NAME_MAX + 128];
  format_pow10(v, sizeof v, job->log_ref);
  if (job->ref_kind == REF_EXACT)
    snprintf(t, sizeof t, "exact P = %s", v);
  else if (job->ref_kind == REF_GIVEN)
    snprintf(t, sizeof t, "reference P = %s (given)", v);
  else
    snprintf(t, sizeof t, "final estimate of %s = %s (exact P unknown)",
             job->ref_name, v);
  fputs("     1 with lines dt 2 lw 1.5 lc rgb 'black' title ", f);
  plot_put_gp_string(f, t);
  fputc('\n', f);
}

static void body_convergence(FILE *f, const plot_job *job)
{
  const char *ref = job->ref_kind == REF_EXACT ? "exact P" : "reference";
  /* REF_GIVEN: "reference" too, named in the legend */
  fprintf(f, "set xlabel 'N (draws)'\n"
             "set ylabel 'estimate / %s   (shaded: 95%% interval)'\n"
             "set logscale x\nset format x '%%g'\n", ref);
  put_key(f, job);
  plot_range x = trace_n_range(job);
  if (range_empty(&x) || job->ref_kind == REF_NONE) {
    put_range(f, 'x', 1, 10);
    put_range(f, 'y', 0, 2);
    put_no_data(f, range_empty(&x) ? "no convergence trace was recorded"
                                   : "no hit yet: no estimate to show");
  } else {
    plot_range y = ratio_range(job);
    put_range(f, 'x', x.lo, x.hi);
    put_range(f, 'y', y.lo, y.hi);
    fputs("plot \\\n", f);
    for (size_t i = 0; i < job->n; i++) {
      if (!has_trace(&job->series[i]))
        continue;
      const char *name = job->series[i].name;
      size_t c = colour_of(i);
      char title[PLOT_NAME_MAX + 32];
      series_title(&job->series[i], title, sizeof title);
      if (!any_hit(&job->series[i])) {
        put_absent(f, c, title, "no hit");
        continue;
      }
      /* Points before the first hit (estimate 0) are left out: a line along
       * 0 says little and would stretch the axis.  An unreliable proposal's
       * band is fainter: its width means little. */
      fprintf(f, "     'trace_%s.dat' using 1:($8 > 0 ? $9 : NaN):($8 > 0 ? $10 : NaN) "
                 "with filledcurves lc %zu fs transparent solid %.2f noborder "
                 "notitle, \\\n"
                 "     'trace_%s.dat' using 1:($8 > 0 ? $8 : NaN) with lines "
                 "lt %zu title '%s', \\\n", name, c,
              verdict_of(&job->series[i]) == 2 ? 0.07 : 0.16, name, c, title);
    }
    put_reference_line(f, job);
  }
}

static void write_convergence(FILE *f, const plot_job *job, size_t unused)
{
  (void)unused;
  put_script_head(f, job, "convergence", "convergence of the estimate");
  body_convergence(f, job);
  put_script_tail(f);
}

/* The first point of a trace with a finite, positive relative error: where
 * the 1/sqrt(N) reference line starts. */
static int first_finite_re(const issim_trace *t, double *n0, double *r0)
{
  for (size_t k = 0; k < t->count; k++) {
    const issim_trace_point *p = &t->points[k];
    if (p->n > 0 && isfinite(p->relative_error) && p->relative_error > 0) {
      *n0 = (double)p->n;
      *r0 = p->relative_error;
      return 1;
    }
  }
  return 0;
}

static plot_range relerr_range(const plot_job *job, double n_max)
{
  plot_range r;
  range_init(&r);
  for (size_t i = 0; i < job->n; i++) {
    const issim_trace *t = job->series[i].trace;
    double n0, r0;
    if (!has_trace(&job->series[i]) || !first_finite_re(t, &n0, &r0))
      continue;
    range_add(&r, r0 * sqrt(n0 / n_max)); /* where the reference line ends */
    for (size_t k = 0; k < t->count; k++)
      if (t->points[k].relative_error > 0)
        range_add(&r, t->points[k].relative_error);
  }
  r.lo /= 1.5;
  r.hi *= 1.5;
  return r;
}

static void put_relerr_plot(FILE *f, const plot_job *job)
{
  fputs("plot \\\n", f);
  for (size_t i = 0; i < job->n; i++) {
    const issim_trace *t = job->series[i].trace;
    const char *name = job->series[i].name;
    size_t c = colour_of(i);
    double n0, r0;
    char title[PLOT_NAME_MAX + 32];
    series_title(&job->series[i], title, sizeof title);
    if (!has_trace(&job->series[i]))
      continue;
    if (!first_finite_re(t, &n0, &r0)) {
      put_absent(f, c, title, "no finite relative error");
      continue;
    }
    fprintf(f, "     'trace_%s.dat' using 1:($5 > 0 ? $5 : NaN) with linespoints "
               "lt %zu title '%s', \\\n", name, c, title);
    /* Each proposal's own slope reference, from its first finite point. */
    fputs("     (x >= ", f);
    plot_put_num(f, n0);
    fputs(" ? ", f);
    plot_put_num(f, r0);
    fputs(" * sqrt(", f);
    plot_put_num(f, n0);
    fprintf(f, " / x) : NaN) with lines lt %zu lw 0.8 dt 2 notitle, \\\n", c);
  }
  /* One neutral key entry for all the dashed lines. */
  fputs("     NaN with lines lw 1 dt 2 lc rgb 'gray40' "
        "title '1/sqrt(N) from the first point'\n", f);
}

static void body_relerr(FILE *f, const plot_job *job)
{
  fputs("set xlabel 'N (draws)'\n"
        "set ylabel 'relative error (standard error / estimate)'\n"
        "set logscale xy\nset format x '%g'\nset format y '%g'\n", f);
  put_key(f, job);
  plot_range x = trace_n_range(job);
  plot_range y = range_empty(&x) ? x : relerr_range(job, x.hi);
  if (range_empty(&x) || range_empty(&y)) {
    put_range(f, 'x', 1, 10);
    put_range(f, 'y', 0.1, 1);
    put_no_data(f, "no relative error was recorded");
  } else {
    put_range(f, 'x', x.lo, x.hi);
    put_range(f, 'y', y.lo, y.hi);
    put_relerr_plot(f, job);
  }
}

static void write_relerr(FILE *f, const plot_job *job, size_t unused)
{
  (void)unused;
  put_script_head(f, job, "relerr", "relative error");
  body_relerr(f, job);
  put_script_tail(f);
}

static void hist_ranges(const plot_job *job, plot_range *x, plot_range *y)
{
  range_init(x);
  range_init(y);
  for (size_t i = 0; i < job->n; i++) {
    const issim_hist *h = job->series[i].hist;
    size_t first, last;
    if (!has_hist(&job->series[i]) || !hist_span(h, &first, &last))
      continue;
    range_add(x, hist_edge(h, first));
    range_add(x, hist_edge(h, last) + h->width);
    for (size_t k = last; k <= first; k++)
      range_add(y, (double)h->counts[k]);
  }
  if (range_empty(x))
    return;
  if (job->ref_kind == REF_EXACT || job->ref_kind == REF_GIVEN)
    range_add(x, job->log_ref);
  double pad = 0.03 * (x->hi - x->lo);
  x->lo -= pad;
  x->hi += pad;
  /* counts on a log axis: from a single draw (the tail the figure exists to
   * show) to above the highest bin */
  y->lo = 0.5;
  y->hi = fmax(y->hi * 4, 2);
}

static void put_hist_plot(FILE *f, const plot_job *job)
{
  fputs("plot \\\n", f);
  for (size_t i = 0; i < job->n; i++) {
    const issim_plot_series *s = &job->series[i];
    size_t first, last;
    char title[PLOT_NAME_MAX + 32];
    series_title(s, title, sizeof title);
    if (s->hist != NULL && !has_hist(s))
      put_absent(f, colour_of(i), title, "no event draw");
    if (!has_hist(s) || !hist_span(s->hist, &first, &last))
      continue;
    char t[PLOT_NAME_MAX + 192];
    int len = snprintf(t, sizeof t, "%s: %" PRIu64 " event draws", title,
                       hist_total(s->hist));
    if (s->hist->below > 0 && len > 0 && (size_t)len < sizeof t)
      snprintf(t + len, sizeof t - (size_t)len, " (%" PRIu64 " below %g, "
               "not shown)", s->hist->below,
               hist_edge(s->hist, ISSIM_HIST_BINS - 1));
    /* Step outlines only: filled bars of many proposals would hide each
     * other; an empty bin drops to the foot of the log axis (0.5), since
     * histeps does not break at an undefined point.  histeps needs two bins;
     * one (equal weights: plain Monte Carlo) is an outlined box. */
    if (first == last)
      fprintf(f, "     'hist_%s.dat' using (($1 + $2) / 2):3:($2 - $1) with boxes fs empty "
                 "lt %zu title ", s->name, colour_of(i));
    else
      fprintf(f, "     'hist_%s.dat' using (($1 + $2) / 2):($3 > 0 ? $3 : 0.5) with histeps "
                 "lt %zu title ", s->name, colour_of(i));
    plot_put_gp_string(f, t);
    fputs(", \\\n", f);
  }
  fputs("     NaN notitle\n", f);
}

static void write_logweights(FILE *f, const plot_job *job, size_t unused)
{
  (void)unused;
  put_script_head(f, job, "logweights", "log-weights of the event draws");
  fputs("set xlabel 'log-weight log(w h) of the event draws (nats)'\n"
        "set ylabel 'event draws per bin (log scale)'\n"
        "set logscale y\nset format y '%g'\n", f);
  put_key(f, job);
  plot_range x, y;
  hist_ranges(job, &x, &y);
  if (range_empty(&x)) {
    put_range(f, 'x', -1, 1);
    put_range(f, 'y', 0.5, 10);
    put_no_data(f, "no event draw was recorded");
  } else {
    put_range(f, 'x', x.lo, x.hi);
    put_range(f, 'y', y.lo, y.hi);
    if (job->ref_kind == REF_EXACT || job->ref_kind == REF_GIVEN) {
      /* Every weight of the zero-variance proposal equals P. */
      fputs("set arrow 1 from first ", f);
      plot_put_num(f, job->log_ref);
      fputs(", graph 0 to first ", f);
      plot_put_num(f, job->log_ref);
      fprintf(f, ", graph 1 nohead dt 2 lw 1.5 lc rgb 'black' front\n"
                 "set label 2 'log P (%s)' at first ",
              job->ref_kind == REF_EXACT ? "exact" : "given");
      plot_put_num(f, job->log_ref);
      /* beside the line, on the side with room for it */
      int right = job->log_ref - x.lo > 0.7 * (x.hi - x.lo);
      fprintf(f, ", graph 0.97 offset %s,0 %s front\n", right ? "-0.5" : "0.5",
              right ? "right" : "left");
    }
    put_hist_plot(f, job);
  }
  put_script_tail(f);
}

/* The bars, in rank order, each in its proposal's colour: solid when
 * trustworthy, pale when doubtful, hatched when unreliable. */
static void body_efficiency(FILE *f, const plot_job *job)
{
  fputs("set xlabel 'proposal, in rank order'\n"
        "set ylabel 'efficiency: 1 / (relative variance x seconds per draw)'\n"
        "set logscale y\nset format y '%g'\nset grid noxtics\nset xtics nomirror\n", f);
  put_key(f, job);
  plot_range y;
  range_init(&y);
  size_t rows = 0;
  for (size_t i = 0; i < job->n; i++) {
    double e = job->series[i].efficiency;
    rows += isfinite(e);
    if (e > 0)
      range_add(&y, e);
  }
  if (rows > 5)
    fputs("set xtics rotate by -30\n", f);
  put_range(f, 'x', -0.6, (double)rows - 0.4);
  if (range_empty(&y)) {
    put_range(f, 'y', 0.1, 10);
    put_no_data(f, "no positive efficiency");
    return;
  }
  /* Bars on a log axis start at the bottom edge: leave room under the
   * smallest so that its bar shows, and above the largest for its value. */
  put_range(f, 'y', y.lo / 10, y.hi * 10);
  static const char *const fill[] = {"solid 0.85", "transparent solid 0.3",
                                     "transparent pattern 4"};
  static const char *const cond[] = {"$4 <= 0", "$4 == 1", "$4 == 2"};
  fputs("plot \\\n", f);
  for (size_t v = 0; v < 3; v++)
    fprintf(f, "     'efficiency.dat' using 0:(%s && $2 > 0 ? $2 : NaN):(0.6):3 with boxes "
               "lc variable fs %s border -1 notitle, \\\n", cond[v], fill[v]);
  fputs("     'efficiency.dat' using 0:($2 > 0 ? $2 : ", f);
  plot_put_num(f, y.lo / 10); /* the value of a bar too small to draw, at the foot */
  fputs("):(sprintf('%.3g', $2)):xtic(1) with labels offset 0,0.8 notitle", f);
  static const char *const name[] = {"trustworthy", "doubtful", "unreliable"};
  for (size_t v = 0; v < 3 && !job->panel; v++)
    fprintf(f, ", \\\n     NaN with boxes lc rgb 'gray35' fs %s border -1 title '%s'", fill[v],
            name[v]);
  fputc('\n', f);
}

static void write_efficiency_script(FILE *f, const plot_job *job, size_t unused)
{
  (void)unused;
  put_script_head(f, job, "efficiency", "work-normalised efficiency");
  body_efficiency(f, job);
  put_script_tail(f);
}

/* ---- the summary of a comparison: one page ---- */

/* The legend panel: each proposal in rank order with its colour, verdict
 * and estimate; the reference line. */
static void put_verdict_panel(FILE *f, const plot_job *job)
{
  fputs("reset\nset title 'the proposals, in rank order'\nunset border\nunset tics\n"
        "set xrange [0:1]\nset yrange [0:1]\n"
        "set key center center vertical Left reverse noopaque nobox samplen 3 spacing 1.2\n"
        "plot \\\n", f);
  size_t *order = rank_order(job);
  for (size_t k = 0; k < job->n; k++) {
    size_t i = order ? order[k] : k;
    const issim_plot_series *s = &job->series[i];
    char est[64] = "no hit", line[PLOT_NAME_MAX + 160];
    if (s->has_estimate && isfinite(s->log_estimate)) {
      format_pow10(est, sizeof est, s->log_estimate);
      snprintf(est + strlen(est), sizeof est - strlen(est), " +- %.2g%%",
               100 * s->relative_error);
    }
    snprintf(line, sizeof line, "%zu. %s: %s, %s", s->rank ? s->rank : k + 1, s->name,
             s->verdict ? s->verdict : "no verdict", est);
    fprintf(f, "     NaN with lines lt %zu title ", colour_of(i));
    plot_put_gp_string(f, line);
    fputs(", \\\n", f);
  }
  free(order);
  if (job->ref_kind != REF_NONE) {
    fputs("     NaN with lines dt 2 lw 1.5 lc rgb 'black' title ", f);
    char v[64], t[PLOT_NAME_MAX + 128];
    format_pow10(v, sizeof v, job->log_ref);
    snprintf(t, sizeof t, "%s = %s", job->ref_kind == REF_EXACT ? "exact P"
                                     : job->ref_kind == REF_GIVEN ? "reference P (given)"
                                                                  : "reference (an estimate)", v);
    plot_put_gp_string(f, t);
    fputs(", \\\n", f);
  }
  fputs("     NaN notitle\n", f);
}

static void put_summary_panels(FILE *f, const plot_job *job)
{
  fputs("set multiplot layout 2,2 title ", f);
  char t[1024];
  snprintf(t, sizeof t, "%s%s%s", job->title, job->title[0] ? ": " : "", "summary of the comparison");
  plot_put_gp_string(f, t);
  fputc('\n', f);
  plot_job panel = *job;
  panel.panel = 1;
  static const struct {
    const char *title;
    void (*body)(FILE *, const plot_job *);
  } panels[] = {{"convergence of the estimate", body_convergence},
                {"relative error", body_relerr},
                {"work-normalised efficiency", body_efficiency}};
  for (size_t k = 0; k < sizeof panels / sizeof panels[0]; k++) {
    fprintf(f, "reset\nset grid\nset samples 500\nset title '%s'\n", panels[k].title);
    panels[k].body(f, &panel);
  }
  put_verdict_panel(f, job);
  fputs("unset multiplot\n", f);
}

/* replot does not replay a multiplot: the panels are written once for each
 * terminal. */
static void write_summary(FILE *f, const plot_job *job, size_t unused)
{
  (void)unused;
  fputs("# summary.gp: the comparison on one page (convergence, relative error, "
        "efficiency, verdicts), written by issim.\n"
        "# Renders summary.png and summary.svg; run it in this directory:\n"
        "#   gnuplot summary.gp\n"
        "set encoding utf8\n"
        "if (!exists('issim_png')) issim_png = 'summary.png'\n"
        "if (!exists('issim_svg')) issim_svg = 'summary.svg'\n", f);
  put_linetypes(f, job);
  fputs("set terminal pngcairo size " PLOT_SUMMARY_SIZE " noenhanced font 'Sans,10'\n"
        "set output issim_png\n", f);
  put_summary_panels(f, job);
  fputs("\n# The same page as SVG.\n"
        "set terminal svg size " PLOT_SUMMARY_SIZE " dynamic noenhanced background '#ffffff' "
        "font 'Sans,10'\nset output issim_svg\n", f);
  put_summary_panels(f, job);
  fputs("unset output\n", f);
}

/* The figures, in the order they are rendered. */
typedef struct {
  const char *base;
  plot_writer write;
} plot_figure;

static const plot_figure plot_figures[] = {
  {"convergence", write_convergence},
  {"relerr", write_relerr},
  {"logweights", write_logweights},
  {"efficiency", write_efficiency_script},
  {"summary", write_summary}};
#define PLOT_NFIGURES (sizeof plot_figures / sizeof plot_figures[0])

/* The last two (efficiency and the summary) are a comparison's. */
static size_t figure_count(const plot_job *job)
{
  return job->have_efficiency ? PLOT_NFIGURES : PLOT_NFIGURES - 2;
}

static int write_scripts(const plot_job *job, issim_error *err)
{
  int rc = ISSIM_OK;
  for (size_t k = 0; k < figure_count(job) && rc == ISSIM_OK; k++) {
    char name[64];
    snprintf(name, sizeof name, "%s.gp", plot_figures[k].base);
    rc = write_file(job, name, plot_figures[k].write, 0, err);
  }
  if (rc != ISSIM_OK)
    return rc;
  /* An earlier run's figures would not match the new data (and gnuplot may
   * not run this time); nor would its efficiency files when there are none. */
  for (size_t k = 0; k < PLOT_NFIGURES; k++) {
    plot_remove_figure(job->dir, plot_figures[k].base, "png");
    plot_remove_figure(job->dir, plot_figures[k].base, "svg");
  }
  if (!job->have_efficiency) {
    plot_remove_figure(job->dir, "efficiency", "dat");
    plot_remove_figure(job->dir, "efficiency", "gp");
    plot_remove_figure(job->dir, "summary", "gp");
  }
  return ISSIM_OK;
}

/* ---- the API ---- */

int issim_plot_write(const char *dir, const issim_plot_series *series, size_t n,
                     const issim_plot_options *opt, int *rendered,
                     issim_error *err)
{
  if (rendered)
    *rendered = 0;
  issim_error_clear(err);
  int rc = check_args(dir, series, n, opt, err);
  if (rc != ISSIM_OK)
    return rc;
  plot_job job = {.dir = dir, .series = series, .n = n,
                  .title = opt->title ? opt->title : "",
                  .exact_log = opt->exact_log, .have_efficiency = 0};
  for (size_t i = 0; i < n; i++)
    job.have_efficiency |= isfinite(series[i].efficiency);
  choose_reference(&job, opt);
  rc = issim_fileio_make_dirs(dir, "plot directory", err);
  if (rc == ISSIM_OK)
    rc = write_data(&job, err);
  if (rc == ISSIM_OK)
    rc = write_scripts(&job, err);
  if (rc == ISSIM_OK)
    remove_stale_data(&job);
  if (rc != ISSIM_OK || opt->gnuplot == NULL)
    return rc;
  const char *bases[PLOT_NFIGURES];
  size_t n_figures = figure_count(&job);
  for (size_t k = 0; k < n_figures; k++)
    bases[k] = plot_figures[k].base;
  return plot_render(dir, bases, n_figures, opt->gnuplot, rendered, err);
}
