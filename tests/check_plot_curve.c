/* Tests of src/plot_curve.c: the exceedance figure's data files (their
 * documented columns, the exact curve against log10 Q(t)), its script
 * (single-quoted strings: a title with backquotes runs nothing), rendering
 * by the real gnuplot, and a rerun without curves removing the old figure. */
#define _DEFAULT_SOURCE /* mkdtemp */
#define _XOPEN_SOURCE 700

#include <check.h>
#include <ftw.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gsl/gsl_cdf.h>

#include "check_main.h"
#include "check_util.h"
#include "issim.h"

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
  (void)st, (void)flag, (void)ftw;
  return remove(path);
}

static int exists_in(const char *dir, const char *name)
{
  char path[512];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  struct stat st;
  return stat(path, &st) == 0 && st.st_size > 0;
}

static char *slurp_in(const char *dir, const char *name)
{
  char path[512];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  return slurp(path);
}

/* Two proposals of N(0,1) > 5 (a shifted normal and plain Monte Carlo),
 * with a curve from 3 to 7 and two quantiles. */
typedef struct {
  issim_scenario *s;
  issim_result r[2];
  issim_plot_series series[2];
  const issim_curve *curves[2];
  issim_problem pb;
  issim_plot_exceedance_input in;
  char dir[64];
} fixture;

static void fixture_init(fixture *fx)
{
  fx->s = scenario_parse_ok("[target]\ndistribution = normal\n"
                            "[event]\nthreshold = 5, 3 .. 7 count 9\nquantile = 1e-6, 1e-3\n"
                            "[proposal shifted]\ndistribution = normal\nmean = 5\n"
                            "[proposal crude]\ndistribution = target\n", "test.ini");
  for (size_t i = 0; i < 2; i++) {
    issim_run_config cfg = run_config_of(fx->s, fx->s->proposals[i].name, 100000, 7, 2);
    issim_error err;
    ck_assert_int_eq(issim_analyse(fx->s, &fx->s->proposals[i], &cfg, ISSIM_RECORD_CURVE,
                                   &fx->r[i], &err), ISSIM_OK);
    fx->series[i] = (issim_plot_series){.name = fx->s->proposals[i].name, .efficiency = NAN};
    fx->curves[i] = fx->r[i].curve;
  }
  fx->pb = issim_scenario_problem(fx->s, NULL);
  fx->in = (issim_plot_exceedance_input){.curves = fx->curves, .problem = &fx->pb,
                                         .main_threshold = 5};
  snprintf(fx->dir, sizeof fx->dir, "/tmp/issim-curve-XXXXXX");
  ck_assert_ptr_nonnull(mkdtemp(fx->dir));
}

static void fixture_free(fixture *fx)
{
  for (size_t i = 0; i < 2; i++)
    issim_result_clear(&fx->r[i]);
  issim_scenario_free(fx->s);
  if (getenv("CHECK_PLOT_KEEP"))
    fprintf(stderr, "kept %s\n", fx->dir);
  else
    nftw(fx->dir, remove_one, 8, FTW_DEPTH | FTW_PHYS);
}

/* The rows of a data file that are not comments, each split at tabs. */
static size_t rows_of(char *text, double v[][12], size_t max_rows, size_t *cols)
{
  size_t n = 0;
  for (char *line = strtok(text, "\n"); line && n < max_rows; line = strtok(NULL, "\n")) {
    if (line[0] == '#')
      continue;
    size_t c = 0;
    for (char *p = line; c < 12;) {
      char *end;
      v[n][c++] = strtod(p, &end);
      if (*end != '\t')
        break;
      p = end + 1;
    }
    *cols = c;
    n++;
  }
  return n;
}

START_TEST(test_data_and_render)
{
  fixture fx;
  fixture_init(&fx);
  issim_plot_options opt = {.title = "normal tail", .exact_log = NAN, .gnuplot = "gnuplot"};
  issim_error err;
  int rendered = -1;
  int rc = issim_plot_exceedance(fx.dir, fx.series, 2, &opt, &fx.in, &rendered, &err);
  ck_assert_msg(rc == ISSIM_OK, "%s", err.message);
  ck_assert_msg(rendered == 1, "not rendered: %s", err.message);
  ck_assert(exists_in(fx.dir, "exceedance.png") && exists_in(fx.dir, "exceedance.svg"));
  /* the levels of the shifted proposal: 12 documented columns, one row a level */
  char *text = slurp_in(fx.dir, "exceedance_shifted.dat");
  ck_assert(strstr(text, "# 12 main") != NULL);
  double v[256][12];
  size_t cols = 0, n = rows_of(text, v, 256, &cols);
  ck_assert_uint_eq(n, 9);
  ck_assert_uint_eq(cols, 12);
  for (size_t k = 0; k < n; k++) {
    const issim_curve_level *lv = &fx.r[0].curve->levels[k];
    ck_assert(v[k][0] == lv->threshold);
    assert_close(v[k][1], lv->estimate.log_estimate / log(10.0), 1e-13);
    assert_close(v[k][9], log10(gsl_cdf_ugaussian_Q(lv->threshold)), 1e-9);
    ck_assert(v[k][11] == (lv->threshold == 5));
  }
  free(text);
  /* the exact curve: log10 Q(t) at every row */
  text = slurp_in(fx.dir, "exceedance_exact.dat");
  n = rows_of(text, v, 256, &cols);
  ck_assert_uint_eq(n, 201);
  for (size_t k = 0; k < n; k++)
    assert_close(v[k][1], log10(gsl_cdf_ugaussian_Q(v[k][0])), 1e-9);
  free(text);
  text = slurp_in(fx.dir, "quantiles_shifted.dat");
  n = rows_of(text, v, 256, &cols);
  ck_assert_uint_eq(n, 2);
  assert_close(v[0][6], gsl_cdf_ugaussian_Qinv(1e-6), 1e-9);
  free(text);
  /* no double quote anywhere in the script: every string single-quoted */
  text = slurp_in(fx.dir, "exceedance.gp");
  ck_assert(strchr(text, '"') == NULL);
  ck_assert(strstr(text, "'exceedance_crude.dat'") != NULL);
  free(text);
  fixture_free(&fx);
}
END_TEST

/* A title with backquotes, a quote and $(...) renders, and runs nothing. */
START_TEST(test_title_runs_nothing)
{
  fixture fx;
  fixture_init(&fx);
  char marker[256], title[600];
  snprintf(marker, sizeof marker, "%s/pwned", fx.dir);
  snprintf(title, sizeof title, "tail `touch %s` it's \"$(touch %s)\"", marker, marker);
  issim_plot_options opt = {.title = title, .exact_log = NAN, .gnuplot = "gnuplot"};
  issim_error err;
  int rendered = -1;
  ck_assert_int_eq(issim_plot_exceedance(fx.dir, fx.series, 2, &opt, &fx.in, &rendered, &err),
                   ISSIM_OK);
  ck_assert_msg(rendered == 1, "%s", err.message);
  ck_assert_msg(access(marker, F_OK) != 0, "a title ran a command");
  fixture_free(&fx);
}
END_TEST

/* Without curves the figure of an earlier run goes; without gnuplot, the
 * data and script stay and the figure is not claimed. */
START_TEST(test_stale_and_unrendered)
{
  fixture fx;
  fixture_init(&fx);
  issim_plot_options opt = {.title = "", .exact_log = NAN, .gnuplot = "gnuplot"};
  issim_error err;
  int rendered;
  ck_assert_int_eq(issim_plot_exceedance(fx.dir, fx.series, 2, &opt, &fx.in, &rendered, &err),
                   ISSIM_OK);
  ck_assert(exists_in(fx.dir, "exceedance.png"));
  const issim_curve *none[2] = {NULL, NULL};
  issim_plot_exceedance_input in = fx.in;
  in.curves = none;
  ck_assert_int_eq(issim_plot_exceedance(fx.dir, fx.series, 2, &opt, &in, &rendered, &err),
                   ISSIM_OK);
  ck_assert(!exists_in(fx.dir, "exceedance.png") && !exists_in(fx.dir, "exceedance.gp"));
  opt.gnuplot = NULL;
  ck_assert_int_eq(issim_plot_exceedance(fx.dir, fx.series, 2, &opt, &fx.in, &rendered, &err),
                   ISSIM_OK);
  ck_assert_int_eq(rendered, 0);
  ck_assert(exists_in(fx.dir, "exceedance.gp") && !exists_in(fx.dir, "exceedance.png"));
  opt.gnuplot = "/nonexistent/gnuplot";
  ck_assert_int_eq(issim_plot_exceedance(fx.dir, fx.series, 2, &opt, &fx.in, &rendered, &err),
                   ISSIM_OK);
  ck_assert_int_eq(rendered, 0);
  ck_assert_msg(strstr(err.message, "gnuplot was not found") != NULL, "%s", err.message);
  fixture_free(&fx);
}
END_TEST

static Suite *plot_curve_suite(void)
{
  Suite *s = suite_create("plot_curve");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_data_and_render);
  tcase_add_test(tc, test_title_runs_nothing);
  tcase_add_test(tc, test_stale_and_unrendered);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  return run_suite(plot_curve_suite());
}
