/* Tests of src/plot.c: the data files (documented columns, numbers that read
 * back exactly, log10 columns for a P of 3.66e-350), the gnuplot scripts
 * rendered by the real gnuplot into PNG and SVG, and the failures: gnuplot
 * missing or failing, a bad proposal name, a directory that cannot be made.
 * The traces and histograms are synthetic, filled by hand.  Each test works
 * in a fresh temporary directory, removed at the end (kept, and its path
 * printed, when CHECK_PLOT_KEEP is set, to look at the figures). */
#define _DEFAULT_SOURCE /* mkdtemp, nftw */
#define _XOPEN_SOURCE 700

#include <check.h>
#include <dirent.h>
#include <ftw.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "plot.h"
#include "check_main.h"
#include "check_util.h"

#define NSERIES 3
#define NPOINTS 14
#define MAXROWS 256
#define MAXCOLS 10

/* ---- fixture: three proposals for P = 3.66e-350 ---- */

typedef struct {
  issim_trace traces[NSERIES];
  issim_hist hists[NSERIES];
  issim_plot_series series[NSERIES];
  issim_plot_options opt;
  char dir[64];  /* the temporary directory */
  char out[128]; /* dir/plots, created by issim_plot_write */
} fixture;

static double exact_log(void)
{
  return log(3.66) - 350.0 * log(10.0); /* about -804.6 */
}

static void alloc_trace(issim_trace *t, size_t count)
{
  t->count = t->capacity = count;
  t->checkpoints = calloc(count, sizeof *t->checkpoints);
  t->points = calloc(count, sizeof *t->points);
  ck_assert_ptr_nonnull(t->checkpoints);
  ck_assert_ptr_nonnull(t->points);
}

/* A point with estimate P * ratio and relative error re; its 95% interval is
 * P ratio (1 -+ 1.96 re), the lower bound 0 (log -inf) when that is negative. */
static void set_point(issim_trace_point *p, uint64_t n, double ratio, double re)
{
  double low = 1.0 - 1.96 * re;
  p->n = n;
  p->hits = n / 4;
  p->log_estimate = exact_log() + log(ratio);
  p->log_ci_low = low > 0 ? p->log_estimate + log(low) : -INFINITY;
  p->log_ci_high = p->log_estimate + log1p(1.96 * re);
  p->relative_error = re;
  p->event_ess = 0.3 * (double)n;
  p->pareto_k = n >= 65536 ? 0.2 + 1.0 / (double)(n / 65536 + 1) : NAN;
}

/* "mixture": a good proposal, relative error 0.2 sqrt(512 / N). */
static void fill_good(issim_trace *t)
{
  alloc_trace(t, NPOINTS);
  for (size_t k = 0; k < NPOINTS; k++) {
    uint64_t n = (uint64_t)512 << k;
    double re = 0.2 * sqrt(512.0 / (double)n);
    set_point(&t->points[k], n, 1.0 + 0.8 * re * sin((double)k + 1.0), re);
    t->checkpoints[k] = n;
  }
}

/* "shift_narrow": no hit at first, then an underestimate with a large
 * relative error; k-hat never fitted (NAN). */
static void fill_bad(issim_trace *t)
{
  alloc_trace(t, NPOINTS);
  for (size_t k = 0; k < NPOINTS; k++) {
    uint64_t n = (uint64_t)512 << k;
    double re = 1.5 * pow(512.0 / (double)n, 0.3);
    set_point(&t->points[k], n, 0.4 + 0.035 * (double)k, re);
    t->points[k].pareto_k = NAN;
    t->checkpoints[k] = n;
  }
  issim_trace_point *p = &t->points[0];
  p->hits = 0;
  p->log_estimate = -INFINITY;
  p->log_ci_low = -INFINITY;
  p->log_ci_high = exact_log() + log(7.0); /* a finite upper bound */
  p->relative_error = NAN;
  p->event_ess = 0;
}

/* "t3": shorter run, relative error 0.4 sqrt(512 / N). */
static void fill_third(issim_trace *t)
{
  alloc_trace(t, NPOINTS - 4);
  for (size_t k = 0; k < NPOINTS - 4; k++) {
    uint64_t n = (uint64_t)512 << k;
    double re = 0.4 * sqrt(512.0 / (double)n);
    set_point(&t->points[k], n, 1.0 - 0.9 * re * cos((double)k), re);
    t->checkpoints[k] = n;
  }
}

/* A bell of `total` draws around `center` nats with spread sd; `below` more
 * draws under the kept bins. */
static void fill_hist(issim_hist *h, double center, double sd, double total,
                      uint64_t below)
{
  memset(h, 0, sizeof *h);
  h->width = ISSIM_HIST_WIDTH;
  h->top = (int64_t)floor((center + 3.0 * sd) / h->width);
  for (size_t i = 0; i < ISSIM_HIST_BINS; i++) {
    double mid = ((double)(h->top - (int64_t)i) + 0.5) * h->width;
    double z = (mid - center) / sd;
    h->counts[i] = (uint64_t)floor(total * h->width / (sd * 2.5066) * exp(-0.5 * z * z));
  }
  h->below = below;
}

static void fixture_init(fixture *fx)
{
  memset(fx, 0, sizeof *fx);
  fill_good(&fx->traces[0]);
  fill_bad(&fx->traces[1]);
  fill_third(&fx->traces[2]);
  fill_hist(&fx->hists[0], exact_log() - 0.3, 0.6, 1e6, 0);
  fill_hist(&fx->hists[1], exact_log() - 6.0, 5.0, 2e5, 17);
  fill_hist(&fx->hists[2], exact_log() - 1.0, 1.5, 5e5, 0);
  static const char *const names[NSERIES] = {"mixture", "shift_narrow", "t3"};
  static const double eff[NSERIES] = {5.2e4, 31.0, NAN};
  for (size_t i = 0; i < NSERIES; i++) {
    fx->series[i].name = names[i];
    fx->series[i].trace = &fx->traces[i];
    fx->series[i].hist = &fx->hists[i];
    fx->series[i].efficiency = eff[i];
  }
  fx->opt.title = "tail \"of\" a\\normal";
  fx->opt.exact_log = exact_log();
  fx->opt.gnuplot = NULL;
  snprintf(fx->dir, sizeof fx->dir, "/tmp/check_plot.XXXXXX");
  ck_assert_ptr_nonnull(mkdtemp(fx->dir));
  snprintf(fx->out, sizeof fx->out, "%s/plots", fx->dir);
}

static int remove_entry(const char *path, const struct stat *st, int flag,
                        struct FTW *ftw)
{
  (void)st;
  (void)flag;
  (void)ftw;
  return remove(path);
}

static void fixture_free(fixture *fx)
{
  for (size_t i = 0; i < NSERIES; i++) {
    free(fx->traces[i].checkpoints);
    free(fx->traces[i].points);
  }
  if (getenv("CHECK_PLOT_KEEP") != NULL)
    printf("check_plot: kept %s\n", fx->dir);
  else
    nftw(fx->dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* ---- file helpers ---- */

static char *path_in(char *buf, size_t size, const char *dir, const char *name)
{
  snprintf(buf, size, "%s/%s", dir, name);
  return buf;
}

static long file_size(const char *dir, const char *name)
{
  char p[256];
  struct stat st;
  if (stat(path_in(p, sizeof p, dir, name), &st) != 0)
    return -1;
  return (long)st.st_size;
}

/* The file dir/name, whole (slurp: check_util.h). */
static char *slurp_in(const char *dir, const char *name)
{
  char p[256];
  return slurp(path_in(p, sizeof p, dir, name));
}

/* The numeric rows of a data file: up to MAXCOLS columns, starting at column
 * `skip` (to pass over a name).  Returns the row count. */
static size_t read_rows(const char *dir, const char *name, size_t skip,
                        double rows[MAXROWS][MAXCOLS], size_t *ncols)
{
  char *text = slurp_in(dir, name);
  size_t r = 0;
  for (char *line = strtok(text, "\n"); line != NULL; line = strtok(NULL, "\n")) {
    if (line[0] == '#')
      continue;
    ck_assert_uint_lt(r, MAXROWS);
    char *s = line;
    for (size_t k = 0; k < skip; k++)
      s += strcspn(s, "\t") + 1;
    size_t c = 0;
    for (char *end; *s != '\0' && c < MAXCOLS; s = end, c++) {
      rows[r][c] = strtod(s, &end);
      ck_assert_msg(end != s, "%s: unreadable number at '%s'", name, s);
    }
    *ncols = c;
    r++;
  }
  free(text);
  return r;
}

static int same(double a, double b)
{
  return (isnan(a) && isnan(b)) || a == b;
}

static void assert_same(double got, double want, const char *what, size_t row)
{
  ck_assert_msg(same(got, want), "%s, row %zu: read %.17g, expected %.17g",
                what, row, got, want);
}

static void assert_contains(const char *text, const char *what, const char *file)
{
  ck_assert_msg(strstr(text, what) != NULL, "%s does not contain '%s'", file, what);
}

static int exists(const char *dir, const char *name)
{
  return file_size(dir, name) >= 0;
}

static int any_tmp_file(const char *dir)
{
  DIR *d = opendir(dir);
  ck_assert_ptr_nonnull(d);
  int found = 0;
  for (struct dirent *e; (e = readdir(d)) != NULL;) {
    /* fileio.c's temporaries, NAME.EXT.XXXXXX (mkstemp), and any .tmp */
    size_t len = strlen(e->d_name);
    const char *dot = strrchr(e->d_name, '.');
    found |= len > 4 && strcmp(e->d_name + len - 4, ".tmp") == 0;
    found |= dot && dot != e->d_name && strlen(dot + 1) == 6 &&
             memchr(e->d_name, '.', (size_t)(dot - e->d_name)) != NULL;
  }
  closedir(d);
  return found;
}

static int write_plots(fixture *fx, size_t n, int *rendered, issim_error *err)
{
  return issim_plot_write(fx->out, fx->series, n, &fx->opt, rendered, err);
}

/* ---- data files ---- */

static void check_trace_file(const fixture *fx, size_t i)
{
  char name[64];
  snprintf(name, sizeof name, "trace_%s.dat", fx->series[i].name);
  char *text = slurp_in(fx->out, name);
  static const char *const cols[] = {
    "# N", "log10_est", "log10_ci_low", "log10_ci_high", "rel_err", "event_ess",
    "khat", "est_ref", "ci_low_ref", "ci_high_ref", "exact P = 3.66e-350"};
  for (size_t k = 0; k < sizeof cols / sizeof cols[0]; k++)
    assert_contains(text, cols[k], name);
  free(text);

  static double rows[MAXROWS][MAXCOLS];
  size_t ncols = 0;
  const issim_trace *t = &fx->traces[i];
  ck_assert_uint_eq(read_rows(fx->out, name, 0, rows, &ncols), t->count);
  ck_assert_uint_eq(ncols, 10);
  double l10 = log(10.0), ref = exact_log();
  for (size_t r = 0; r < t->count; r++) {
    const issim_trace_point *p = &t->points[r];
    assert_same(rows[r][0], (double)p->n, "N", r);
    assert_same(rows[r][1], p->log_estimate / l10, "log10_est", r);
    assert_same(rows[r][2], p->log_ci_low / l10, "log10_ci_low", r);
    assert_same(rows[r][3], p->log_ci_high / l10, "log10_ci_high", r);
    assert_same(rows[r][4], p->relative_error, "rel_err", r);
    assert_same(rows[r][5], p->event_ess, "event_ess", r);
    assert_same(rows[r][6], p->pareto_k, "khat", r);
    assert_same(rows[r][7], exp(p->log_estimate - ref), "est_ref", r);
    assert_same(rows[r][8], exp(p->log_ci_low - ref), "ci_low_ref", r);
    assert_same(rows[r][9], exp(p->log_ci_high - ref), "ci_high_ref", r);
  }
}

static uint64_t total_of(const issim_hist *h)
{
  uint64_t t = h->below;
  for (size_t i = 0; i < ISSIM_HIST_BINS; i++)
    t += h->counts[i];
  return t;
}

static void check_hist_file(const fixture *fx, size_t i)
{
  char name[64];
  snprintf(name, sizeof name, "hist_%s.dat", fx->series[i].name);
  const issim_hist *h = &fx->hists[i];
  char *text = slurp_in(fx->out, name);
  static const char *const cols[] = {"lower", "upper", "count", "fraction", "nats"};
  for (size_t k = 0; k < sizeof cols / sizeof cols[0]; k++)
    assert_contains(text, cols[k], name);
  const char *b = strstr(text, "# below ");
  ck_assert_ptr_nonnull(b);
  double edge;
  unsigned long long below;
  ck_assert_int_eq(sscanf(b, "# below %lf nats: %llu", &edge, &below), 2);
  ck_assert_uint_eq(below, h->below);
  assert_same(edge, ((double)h->top - (ISSIM_HIST_BINS - 1)) * h->width, "below edge", 0);
  free(text);

  static double rows[MAXROWS][MAXCOLS];
  size_t ncols = 0, nrows = read_rows(fx->out, name, 0, rows, &ncols);
  ck_assert_uint_eq(ncols, 4);
  ck_assert_uint_gt(nrows, 2);
  /* Increasing bins, edges on the absolute grid, every count accounted for. */
  uint64_t sum = 0, total = total_of(h);
  for (size_t r = 0; r < nrows; r++) {
    double lo = rows[r][0];
    int64_t index = (int64_t)llround(lo / h->width);
    size_t k = (size_t)(h->top - index);
    ck_assert_uint_lt(k, ISSIM_HIST_BINS);
    assert_same(lo, (double)index * h->width, "lower", r);
    assert_same(rows[r][1], lo + h->width, "upper", r);
    assert_same(rows[r][2], (double)h->counts[k], "count", r);
    assert_same(rows[r][3], (double)h->counts[k] / (double)total, "fraction", r);
    if (r > 0)
      ck_assert(rows[r][0] > rows[r - 1][0]);
    sum += (uint64_t)rows[r][2];
  }
  ck_assert_uint_eq(sum + h->below, total);
  ck_assert(rows[0][2] > 0 && rows[nrows - 1][2] > 0); /* trimmed */
  /* within the window the histogram keeps */
  ck_assert(rows[0][0] >= (double)(h->top - (ISSIM_HIST_BINS - 1)) * h->width);
  ck_assert(rows[nrows - 1][1] <= (double)(h->top + 1) * h->width);
}

START_TEST(test_data_files)
{
  fixture fx;
  fixture_init(&fx);
  issim_error err;
  int rendered = -1;
  ck_assert_int_eq(write_plots(&fx, NSERIES, &rendered, &err), ISSIM_OK);
  ck_assert_int_eq(rendered, 0);
  ck_assert_str_eq(err.message, "");
  for (size_t i = 0; i < NSERIES; i++) {
    check_trace_file(&fx, i);
    check_hist_file(&fx, i);
  }

  char *text = slurp_in(fx.out, "efficiency.dat");
  assert_contains(text, "# name", "efficiency.dat");
  assert_contains(text, "efficiency", "efficiency.dat");
  ck_assert_ptr_null(strstr(text, "t3")); /* NAN: no row */
  free(text);
  static double rows[MAXROWS][MAXCOLS];
  size_t ncols = 0;
  ck_assert_uint_eq(read_rows(fx.out, "efficiency.dat", 1, rows, &ncols), 2);
  assert_same(rows[0][0], 5.2e4, "efficiency", 0);
  assert_same(rows[1][0], 31.0, "efficiency", 1);

  static const char *const scripts[] = {"convergence.gp", "relerr.gp",
                                        "logweights.gp", "efficiency.gp", "summary.gp"};
  for (size_t k = 0; k < 5; k++) {
    ck_assert_int_gt(file_size(fx.out, scripts[k]), 0);
    text = slurp_in(fx.out, scripts[k]);
    assert_contains(text, k < 4 ? "set terminal pngcairo size 1100,620"
                                : "set terminal pngcairo size 1500,1050", scripts[k]);
    assert_contains(text, "set terminal svg", scripts[k]);
    /* The title, in a single-quoted gnuplot string (nothing expanded). */
    assert_contains(text, k < 4 ? "set label 100 'tail \"of\" a\\normal: "
                                : "set multiplot layout 2,2 title 'tail \"of\" a\\normal: ",
                    scripts[k]);
    ck_assert_msg(strstr(text, fx.dir) == NULL, "%s names its directory", scripts[k]);
    free(text);
  }
  ck_assert(!exists(fx.out, "convergence.png"));
  ck_assert(!any_tmp_file(fx.out));
  fixture_free(&fx);
}
END_TEST

/* The exact value unknown: the reference the caller chose (compare.h's
 * rule), here the most precise final estimate. */
START_TEST(test_reference_without_exact)
{
  fixture fx;
  fixture_init(&fx);
  fx.opt.exact_log = NAN;
  fx.opt.reference_log = fx.traces[0].points[fx.traces[0].count - 1].log_estimate;
  fx.opt.reference_name = "mixture";
  issim_error err;
  ck_assert_int_eq(write_plots(&fx, NSERIES, NULL, &err), ISSIM_OK);
  char *text = slurp_in(fx.out, "trace_t3.dat");
  assert_contains(text, "final estimate of proposal 'mixture'", "trace_t3.dat");
  free(text);
  static double rows[MAXROWS][MAXCOLS];
  size_t ncols = 0;
  size_t nrows = read_rows(fx.out, "trace_mixture.dat", 0, rows, &ncols);
  ck_assert_uint_eq(nrows, NPOINTS);
  ck_assert(rows[NPOINTS - 1][7] == 1.0);
  text = slurp_in(fx.out, "convergence.gp");
  assert_contains(text, "final estimate of mixture", "convergence.gp");
  free(text);
  fixture_free(&fx);
}
END_TEST

/* No exact value and no reference (no proposal was trustworthy): the plots
 * divide by nothing they would have to vouch for, and say so. */
START_TEST(test_no_reference)
{
  fixture fx;
  fixture_init(&fx);
  fx.opt.exact_log = NAN;
  fx.opt.reference_log = NAN;
  issim_error err;
  ck_assert_int_eq(write_plots(&fx, NSERIES, NULL, &err), ISSIM_OK);
  char *text = slurp_in(fx.out, "trace_mixture.dat");
  assert_contains(text, "no reference for columns 8-10", "trace_mixture.dat");
  free(text);
  static double rows[MAXROWS][MAXCOLS];
  size_t ncols = 0;
  size_t nrows = read_rows(fx.out, "trace_mixture.dat", 0, rows, &ncols);
  ck_assert_uint_eq(nrows, NPOINTS);
  ck_assert(isnan(rows[NPOINTS - 1][7]));
  fixture_free(&fx);
}
END_TEST

/* ---- rendering with the real gnuplot ---- */

static void assert_png(const char *dir, const char *name)
{
  static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  char p[256];
  FILE *f = fopen(path_in(p, sizeof p, dir, name), "rb");
  ck_assert_msg(f != NULL, "no %s", p);
  unsigned char head[8];
  ck_assert_uint_eq(fread(head, 1, 8, f), 8);
  fclose(f);
  ck_assert_msg(memcmp(head, sig, 8) == 0, "%s is not a PNG", p);
  ck_assert_int_gt(file_size(dir, name), 1000);
}

static void assert_svg(const char *dir, const char *name)
{
  char *text = slurp_in(dir, name);
  assert_contains(text, "<svg", name);
  assert_contains(text, "</svg>", name);
  free(text);
}

static void assert_figures(const char *dir, size_t count)
{
  static const char *const base[] = {"convergence", "relerr", "logweights",
                                     "efficiency", "summary"};
  for (size_t k = 0; k < count; k++) {
    char name[64];
    snprintf(name, sizeof name, "%s.png", base[k]);
    assert_png(dir, name);
    snprintf(name, sizeof name, "%s.svg", base[k]);
    assert_svg(dir, name);
  }
}

START_TEST(test_render)
{
  fixture fx;
  fixture_init(&fx);
  fx.opt.gnuplot = "gnuplot";
  issim_error err;
  int rendered = -1;
  int rc = write_plots(&fx, NSERIES, &rendered, &err);
  ck_assert_msg(rc == ISSIM_OK, "%s", err.message);
  ck_assert_msg(rendered == 1, "not rendered: %s", err.message);
  ck_assert_str_eq(err.message, "");
  assert_figures(fx.out, 5);
  ck_assert(exists(fx.out, "gnuplot.log"));
  ck_assert(!any_tmp_file(fx.out));
  char *svg = slurp_in(fx.out, "convergence.svg");
  assert_contains(svg, "exact P = 3.66e-350", "convergence.svg");
  assert_contains(svg, "shift_narrow", "convergence.svg");
  free(svg);

  /* Again without efficiencies: the earlier efficiency figure goes. */
  for (size_t i = 0; i < NSERIES; i++)
    fx.series[i].efficiency = NAN;
  fx.opt.exact_log = NAN;
  rc = write_plots(&fx, NSERIES, &rendered, &err);
  ck_assert_msg(rc == ISSIM_OK && rendered == 1, "%s", err.message);
  assert_figures(fx.out, 3);
  ck_assert(!exists(fx.out, "efficiency.png"));
  ck_assert(!exists(fx.out, "efficiency.gp"));
  ck_assert(!exists(fx.out, "efficiency.dat"));
  ck_assert(!exists(fx.out, "summary.png"));
  ck_assert(!exists(fx.out, "summary.gp"));

  /* Not rendered this time: no figure of the earlier data stays. */
  fx.opt.gnuplot = NULL;
  ck_assert_int_eq(write_plots(&fx, NSERIES, &rendered, &err), ISSIM_OK);
  ck_assert_int_eq(rendered, 0);
  ck_assert(!exists(fx.out, "convergence.png"));
  ck_assert(!exists(fx.out, "relerr.svg"));
  ck_assert(exists(fx.out, "convergence.gp"));
  fixture_free(&fx);
}
END_TEST

/* A title never runs a program: gnuplot expands `backquotes` inside double
 * quotes through a shell, so every string goes into the scripts single-
 * quoted.  A title with backquotes, quotes, a dollar and a newline renders,
 * and the command in it does not run. */
START_TEST(test_titles_run_nothing)
{
  fixture fx;
  fixture_init(&fx);
  char marker[256], title[700];
  snprintf(marker, sizeof marker, "%s/pwned", fx.dir);
  snprintf(title, sizeof title, "river `touch %s` it's \"$(touch %s)\" \\\n level", marker,
           marker);
  fx.opt.title = title;
  fx.opt.gnuplot = "gnuplot";
  issim_error err;
  int rendered = -1;
  ck_assert_int_eq(write_plots(&fx, NSERIES, &rendered, &err), ISSIM_OK);
  ck_assert_msg(rendered == 1, "not rendered: %s", err.message);
  ck_assert_msg(access(marker, F_OK) != 0, "a title ran a command");
  char *text = slurp_in(fx.out, "convergence.gp");
  assert_contains(text, "it''s", "convergence.gp");
  free(text);
  fixture_free(&fx);
}
END_TEST

/* Nothing to draw: empty frames with a message, not a gnuplot error. */
START_TEST(test_render_without_data)
{
  fixture fx;
  fixture_init(&fx);
  fx.opt.gnuplot = "gnuplot";
  issim_error err;
  int rendered = -1;
  int rc = write_plots(&fx, 0, &rendered, &err);
  ck_assert_msg(rc == ISSIM_OK && rendered == 1, "%s", err.message);
  assert_figures(fx.out, 3);

  /* Proposals without a point, a hit or an event draw; efficiency 0. */
  issim_trace empty = {0};
  issim_trace nohit;
  alloc_trace(&nohit, 1);
  nohit.points[0] = fx.traces[1].points[0];
  issim_hist none;
  memset(&none, 0, sizeof none);
  none.top = INT64_MIN;
  issim_plot_series s[2] = {{.name = "empty", .trace = &empty, .hist = &none, .efficiency = 0.0},
                            {.name = "nohit", .trace = &nohit, .efficiency = NAN}};
  fx.opt.exact_log = NAN;
  rc = issim_plot_write(fx.out, s, 2, &fx.opt, &rendered, &err);
  ck_assert_msg(rc == ISSIM_OK && rendered == 1, "%s", err.message);
  assert_figures(fx.out, 5);
  ck_assert_int_gt(file_size(fx.out, "trace_empty.dat"), 0);
  ck_assert_int_gt(file_size(fx.out, "hist_empty.dat"), 0);
  ck_assert(!exists(fx.out, "hist_nohit.dat"));
  free(nohit.checkpoints);
  free(nohit.points);
  fixture_free(&fx);
}
END_TEST

/* Fourteen proposals, as a comparison gives them: every proposal its own
 * linetype, the first twelve colours all different and solid, the next two
 * dashed; the same linetype for a proposal in every figure; the verdicts
 * marked in the legends; the legend outside the frame; the log-weights on a
 * log count axis; the efficiency bars and the summary in rank order. */
#define MANY 14
START_TEST(test_many_proposals)
{
  fixture fx;
  fixture_init(&fx);
  issim_trace traces[MANY];
  issim_hist hists[MANY];
  issim_plot_series s[MANY];
  char names[MANY][16];
  static const char *const verdicts[3] = {"trustworthy", "doubtful", "unreliable"};
  for (size_t i = 0; i < MANY; i++) {
    fill_good(&traces[i]);
    fill_hist(&hists[i], exact_log() - 0.2 * (double)i, 0.5 + 0.1 * (double)i, 1e5, 0);
    snprintf(names[i], sizeof names[i], "q%zu", i);
    /* ranks in reverse order of the file; every third proposal doubtful,
     * every fifth unreliable */
    s[i] = (issim_plot_series){.name = names[i], .trace = &traces[i], .hist = &hists[i],
                               .efficiency = 1e3 * (double)(i + 1),
                               .verdict = verdicts[i % 5 == 4 ? 2 : i % 3 == 2 ? 1 : 0],
                               .rank = MANY - i, .has_estimate = 1,
                               .log_estimate = exact_log(), .relative_error = 0.01};
  }
  fx.opt.gnuplot = "gnuplot";
  issim_error err;
  int rendered = -1;
  int rc = issim_plot_write(fx.out, s, MANY, &fx.opt, &rendered, &err);
  ck_assert_msg(rc == ISSIM_OK && rendered == 1, "%s", err.message);
  assert_figures(fx.out, 5);

  static const char *const scripts[] = {"convergence.gp", "relerr.gp", "logweights.gp",
                                        "efficiency.gp", "summary.gp"};
  char first[MANY][96];
  for (size_t k = 0; k < 5; k++) {
    char *text = slurp_in(fx.out, scripts[k]);
    for (size_t i = 0; i < MANY; i++) {
      char want[32];
      snprintf(want, sizeof want, "set linetype %zu lc rgb '", i + 1);
      const char *at = strstr(text, want);
      ck_assert_msg(at != NULL, "%s: no linetype %zu", scripts[k], i + 1);
      char line[96];
      sscanf(at, "%95[^\n]", line);
      if (k == 0) {
        snprintf(first[i], sizeof first[i], "%s", line);
      } else {
        ck_assert_msg(strcmp(line, first[i]) == 0, "%s: '%s', convergence.gp '%s'", scripts[k],
                      line, first[i]);
      }
      /* the colour and dash: the first twelve colours differ and are solid */
      char colour[16];
      unsigned dt;
      ck_assert_int_eq(sscanf(strstr(line, "rgb '") + 5, "%15[^']' dt %u", colour, &dt), 2);
      ck_assert_uint_eq(dt, i < 12 ? 1 : 2);
      for (size_t j = 0; k == 0 && j < i && j < 12; j++)
        ck_assert_msg(strstr(first[j], colour) == NULL || i >= 12, "colour %s repeats", colour);
      /* an unreliable proposal's line is the thinnest */
      double lw = strtod(strstr(line, " lw ") + 4, NULL);
      ck_assert(i % 5 == 4 ? lw < 1.5 : lw > 1.5);
    }
    if (k < 4)
      assert_contains(text, "set key outside right", scripts[k]);
    free(text);
  }
  char *text = slurp_in(fx.out, "convergence.gp");
  assert_contains(text, "title 'q4  (UNRELIABLE)'", "convergence.gp");
  assert_contains(text, "title 'q2  (doubtful)'", "convergence.gp");
  assert_contains(text, "title 'q0'", "convergence.gp");
  free(text);
  text = slurp_in(fx.out, "logweights.gp");
  assert_contains(text, "set logscale y", "logweights.gp");
  assert_contains(text, "using (($1 + $2) / 2):($3 > 0 ? $3 : 0.5) with histeps", "logweights.gp");
  free(text);
  /* the bars in rank order, with each proposal's place and verdict */
  static double rows[MAXROWS][MAXCOLS];
  size_t ncols = 0;
  ck_assert_uint_eq(read_rows(fx.out, "efficiency.dat", 1, rows, &ncols), MANY);
  ck_assert_uint_eq(ncols, 4);
  for (size_t r = 0; r < MANY; r++) {
    size_t i = MANY - 1 - r; /* rank r + 1 */
    assert_same(rows[r][0], 1e3 * (double)(i + 1), "efficiency", r);
    assert_same(rows[r][1], (double)(i + 1), "series", r);
    assert_same(rows[r][2], i % 5 == 4 ? 2 : i % 3 == 2 ? 1 : 0, "verdict", r);
    assert_same(rows[r][3], (double)(r + 1), "rank", r);
  }
  text = slurp_in(fx.out, "summary.gp");
  const char *one = strstr(text, "'1. q13: trustworthy, 3.66e-350 +- 1%'");
  const char *two = strstr(text, "'2. q12: trustworthy");
  const char *last = strstr(text, "'14. q0: trustworthy");
  ck_assert(one && two && last && one < two && two < last);
  assert_contains(text, "'5. q9: unreliable", "summary.gp");
  assert_contains(text, "exact P = 3.66e-350", "summary.gp");
  free(text);
  for (size_t i = 0; i < MANY; i++) {
    free(traces[i].checkpoints);
    free(traces[i].points);
  }
  fixture_free(&fx);
}
END_TEST

START_TEST(test_gnuplot_missing)
{
  fixture fx;
  fixture_init(&fx);
  static const char *const progs[] = {"/nonexistent/gnuplot", "./nonexistent/gnuplot",
                                      "issim-no-such-gnuplot"};
  for (size_t k = 0; k < 3; k++) {
    fx.opt.gnuplot = progs[k];
    issim_error err;
    int rendered = -1;
    ck_assert_int_eq(write_plots(&fx, NSERIES, &rendered, &err), ISSIM_OK);
    ck_assert_int_eq(rendered, 0);
    ck_assert_int_eq(err.code, ISSIM_OK);
    ck_assert_msg(strncmp(err.message, "gnuplot was not found", 21) == 0, "%s",
                  err.message);
    assert_contains(err.message, fx.out, "the message");
    assert_contains(err.message, "gnuplot convergence.gp", "the message");
    assert_contains(err.message, progs[k], "the message");
  }
  ck_assert_int_gt(file_size(fx.out, "trace_mixture.dat"), 0);
  ck_assert_int_gt(file_size(fx.out, "convergence.gp"), 0);
  ck_assert(!exists(fx.out, "convergence.png"));
  fixture_free(&fx);
}
END_TEST

START_TEST(test_gnuplot_fails)
{
  fixture fx;
  fixture_init(&fx);
  fx.opt.gnuplot = "false"; /* exits with status 1 */
  issim_error err;
  int rendered = -1;
  ck_assert_int_eq(write_plots(&fx, NSERIES, &rendered, &err), ISSIM_EIO);
  ck_assert_int_eq(rendered, 0);
  assert_contains(err.message, "exit status 1", "the message");
  assert_contains(err.message, "gnuplot.log", "the message");
  assert_contains(err.message, "convergence.gp", "the message");
  ck_assert(!exists(fx.out, "convergence.png"));
  fixture_free(&fx);
}
END_TEST

/* issim killed while gnuplot renders: before, gnuplot wrote the figure
 * under its own name, and a kill left half of it there (a 0-byte SVG beside
 * a full PNG); now it writes temporaries that are renamed once whole.  A
 * fake gnuplot writes half a PNG where it is told to (the -e names, or the
 * script's own output name) and kills the process that runs it. */
START_TEST(test_killed_rendering_leaves_no_half_figure)
{
  fixture fx;
  fixture_init(&fx);
  char prog[300];
  snprintf(prog, sizeof prog, "%s/fake-gnuplot", fx.dir);
  write_file(prog, "#!/bin/sh\n"
                   "png=$(printf '%s\\n' \"$@\" | sed -n \"s/.*issim_png = '\\([^']*\\)'.*/\\1/p\")\n"
                   "[ -n \"$png\" ] || png=$(sed -n \"s/^set output '\\(.*\\)'$/\\1/p\" \"$1\" | head -n 1)\n"
                   "printf 'half a PNG' > \"$png\"\n"
                   "kill -9 $PPID\n"
                   "sleep 5\n");
  ck_assert_int_eq(chmod(prog, 0755), 0);
  fx.opt.gnuplot = prog;
  pid_t pid = fork();
  ck_assert_int_ge(pid, 0);
  if (pid == 0) {
    issim_error err;
    int rendered;
    write_plots(&fx, NSERIES, &rendered, &err);
    _exit(0);
  }
  int status;
  ck_assert_int_eq(waitpid(pid, &status, 0), pid);
  ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  ck_assert_int_gt(file_size(fx.out, "convergence.gp"), 0);
  ck_assert_msg(!exists(fx.out, "convergence.png"), "half a figure under its name");
  ck_assert(!exists(fx.out, "convergence.svg"));
  fixture_free(&fx);
}
END_TEST

/* A directory reused from an earlier run loses that run's data files of
 * proposals this run has not (trace_NAME.dat, hist_NAME.dat: before, they
 * stayed beside the new ones), and only those issim wrote: a user's file of
 * the same pattern, a file whose header names another proposal and a link
 * are kept. */
START_TEST(test_stale_data_removed)
{
  fixture fx;
  fixture_init(&fx);
  issim_error err;
  int rendered;
  ck_assert_int_eq(write_plots(&fx, NSERIES, &rendered, &err), ISSIM_OK);
  ck_assert(exists(fx.out, "trace_t3.dat") && exists(fx.out, "hist_t3.dat"));
  char path[400], target[400];
  snprintf(path, sizeof path, "%s/trace_mine.dat", fx.out);
  write_file(path, "my own data\n");
  snprintf(path, sizeof path, "%s/hist_other.dat", fx.out);
  write_file(path, "# issim log-weight histogram of proposal 't3': the log-weights\n");
  snprintf(target, sizeof target, "%s/kept.txt", fx.dir);
  write_file(target, "# issim convergence trace of proposal 'linked': one row\n");
  snprintf(path, sizeof path, "%s/trace_linked.dat", fx.out);
  ck_assert_int_eq(symlink(target, path), 0);
  /* the second run has two of the three proposals, and no histogram for one */
  fx.series[1].hist = NULL;
  ck_assert_int_eq(write_plots(&fx, 2, &rendered, &err), ISSIM_OK);
  ck_assert(exists(fx.out, "trace_mixture.dat") && exists(fx.out, "hist_mixture.dat"));
  ck_assert(exists(fx.out, "trace_shift_narrow.dat"));
  ck_assert(!exists(fx.out, "hist_shift_narrow.dat"));
  ck_assert(!exists(fx.out, "trace_t3.dat") && !exists(fx.out, "hist_t3.dat"));
  ck_assert(exists(fx.out, "trace_mine.dat") && exists(fx.out, "hist_other.dat"));
  struct stat st;
  ck_assert_int_eq(lstat(path, &st), 0);
  ck_assert(S_ISLNK(st.st_mode));
  ck_assert(exists(fx.dir, "kept.txt"));
  fixture_free(&fx);
}
END_TEST

START_TEST(test_bad_names)
{
  fixture fx;
  fixture_init(&fx);
  static const char *const bad[] = {"a/b", "", "a b", "x;rm", "quote'", "..\"",
                                    NULL, "mixture"};
  for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
    fx.series[1].name = bad[k]; /* "mixture": a duplicate of series 0 */
    issim_error err;
    int rendered = -1;
    ck_assert_int_eq(write_plots(&fx, NSERIES, &rendered, &err), ISSIM_EINVAL);
    ck_assert_int_eq(rendered, 0);
    ck_assert_int_gt(strlen(err.message), 0);
    ck_assert_msg(!exists(fx.dir, "plots"), "'%s': something was written",
                  bad[k] ? bad[k] : "(null)");
  }
  fixture_free(&fx);
}
END_TEST

START_TEST(test_unwritable_dir)
{
  fixture fx;
  fixture_init(&fx);
  char file[128], under[160];
  path_in(file, sizeof file, fx.dir, "file");
  FILE *f = fopen(file, "w");
  ck_assert_ptr_nonnull(f);
  fclose(f);
  snprintf(under, sizeof under, "%s/sub/plots", file);
  const char *dirs[] = {under, file};
  for (size_t k = 0; k < 2; k++) {
    issim_error err;
    int rendered = -1;
    int rc = issim_plot_write(dirs[k], fx.series, NSERIES, &fx.opt, &rendered, &err);
    ck_assert_int_eq(rc, ISSIM_EIO);
    ck_assert_int_eq(rendered, 0);
    assert_contains(err.message, file, "the message");
  }
  fixture_free(&fx);
}
END_TEST

static Suite *plot_suite(void)
{
  Suite *s = suite_create("plot");
  TCase *tc = tcase_create("data");
  tcase_add_test(tc, test_data_files);
  tcase_add_test(tc, test_reference_without_exact);
  tcase_add_test(tc, test_no_reference);
  tcase_add_test(tc, test_bad_names);
  tcase_add_test(tc, test_unwritable_dir);
  suite_add_tcase(s, tc);

  tc = tcase_create("render");
  tcase_set_timeout(tc, 120); /* gnuplot runs, under valgrind */
  tcase_add_test(tc, test_render);
  tcase_add_test(tc, test_render_without_data);
  tcase_add_test(tc, test_many_proposals);
  tcase_add_test(tc, test_titles_run_nothing);
  tcase_add_test(tc, test_gnuplot_missing);
  tcase_add_test(tc, test_gnuplot_fails);
  tcase_add_test(tc, test_killed_rendering_leaves_no_half_figure);
  tcase_add_test(tc, test_stale_data_removed);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  return run_suite(plot_suite());
}
