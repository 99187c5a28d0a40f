/* Tests of src/report_csv.c and of the reports' other ways in for scripts and
 * for people in a hurry: issim run's and calibrate's CSV (every column equal
 * to the structs it comes from, 17 digits read back exactly, probabilities
 * below the smallest double left empty with their log10 present), the
 * pooled estimate of a calibration against the exact P (within 4 of its
 * standard errors) and its SE against the exact one, the scenario's given
 * reference used like an exact value (text line, z_reference, warning, CSV),
 * --brief, and the mean weight line without an expected value. */
#define _POSIX_C_SOURCE 200809L /* open_memstream, strtok_r, strdup */

#include <check.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_math.h>
#include <jansson.h>

#include "check_main.h"
#include "check_util.h"
#include "issim.h"

#define RENDER(buf, call)                                                      \
  do {                                                                         \
    size_t len_;                                                               \
    FILE *out = open_memstream(&(buf), &len_);                                 \
    ck_assert_ptr_nonnull(out);                                                \
    ck_assert_int_eq((call), 0);                                               \
    ck_assert_int_eq(fclose(out), 0);                                          \
  } while (0)

#define N_DRAWS 20000

/* P(Z > 4) = 3.17e-5: a shifted normal, plain Monte Carlo (few hits or
 * none), a normal that never reaches the event. */
static const char SCENARIO[] =
    "[target]\ndistribution = normal\n[event]\nthreshold = 4\n"
    "[proposal shifted]\ndistribution = normal\nmean = 4\n"
    "[proposal crude]\ndistribution = target\n"
    "[proposal away]\ndistribution = normal\nmean = -4\nsd = 0.5\n";

static issim_scenario *scn;
static issim_result res[3];
static issim_report rep;

static void analyse_all(const char *text, size_t n)
{
  scn = scenario_parse_ok(text, "csv.ini");
  for (size_t i = 0; i < n; i++) {
    issim_run_config cfg = run_config_of(scn, scn->proposals[i].name, N_DRAWS, 7, 1);
    issim_error err;
    int rc = issim_analyse(scn, &scn->proposals[i], &cfg, 0, &res[i], &err);
    ck_assert_msg(rc == ISSIM_OK, "%s", err.message);
  }
  rep = (issim_report){.scenario = scn, .samples = N_DRAWS, .seed = 7, .rng_name = "taus2",
                       .threads = 1, .exact_log = issim_scenario_exact_log(scn), .n_results = n,
                       .results = res};
}

static void release(size_t n)
{
  for (size_t i = 0; i < n; i++)
    issim_result_clear(&res[i]);
  issim_scenario_free(scn);
}

/* ---- a CSV table: fields by column name ---- */

#define MAX_COLS 64
#define MAX_ROWS 8

typedef struct {
  char *text;
  size_t ncols, nrows;
  char *head[MAX_COLS];
  char *cell[MAX_ROWS][MAX_COLS];
} table;

/* Splits on ',' keeping empty fields. */
static size_t split(char *line, char **fields)
{
  size_t n = 0;
  fields[n++] = line;
  for (char *c = line; *c; c++)
    if (*c == ',') {
      *c = '\0';
      ck_assert_uint_lt(n, MAX_COLS);
      fields[n++] = c + 1;
    }
  return n;
}

static void parse_table(char *csv, table *t)
{
  *t = (table){.text = csv};
  char *save = NULL, *line = strtok_r(csv, "\n", &save);
  ck_assert_ptr_nonnull(line);
  t->ncols = split(line, t->head);
  while ((line = strtok_r(NULL, "\n", &save)) != NULL) {
    ck_assert_uint_lt(t->nrows, MAX_ROWS);
    size_t n = split(line, t->cell[t->nrows]);
    ck_assert_msg(n == t->ncols, "row %zu has %zu fields, the header %zu", t->nrows + 1, n,
                  t->ncols);
    t->nrows++;
  }
}

static const char *field(const table *t, size_t row, const char *col)
{
  for (size_t k = 0; k < t->ncols; k++)
    if (strcmp(t->head[k], col) == 0)
      return t->cell[row][k];
  ck_abort_msg("no column '%s'", col);
  return NULL;
}

/* The field is the number want, read back exactly; NaN: empty. */
static void expect_field(const table *t, size_t row, const char *col, double want)
{
  const char *f = field(t, row, col);
  if (isnan(want)) {
    ck_assert_msg(f[0] == '\0', "%s: '%s', want empty", col, f);
    return;
  }
  char *end;
  double got = strtod(f, &end);
  ck_assert_msg(*f && *end == '\0', "%s: '%s' is not a number", col, f);
  ck_assert_msg(got == want, "%s = %.17g, want %.17g", col, got, want);
}

/* A probability column: the number where a double holds it, else empty. */
static double shown(double log_p)
{
  if (log_p == -INFINITY)
    return 0;
  return log_p >= log(DBL_MIN) ? exp(log_p) : NAN;
}

static double log10_or_nan(double log_p)
{
  return isfinite(log_p) ? log_p / M_LN10 : NAN;
}

/* ---- issim run --format csv ---- */

static void expect_estimate_columns(const table *t, size_t row, const issim_result *r,
                                    const char *kind, double log_ref)
{
  const issim_estimate *e = &r->estimate;
  int hit = e->hits > 0;
  expect_field(t, row, "estimate", shown(e->log_estimate));
  expect_field(t, row, "std_error", hit ? shown(e->log_std_error) : NAN);
  expect_field(t, row, "ci95_low", hit ? shown(e->log_ci_low) : 0);
  expect_field(t, row, "ci95_high", hit ? shown(e->log_ci_high) : NAN);
  expect_field(t, row, "log10_std_error", hit ? log10_or_nan(e->log_std_error) : NAN);
  expect_field(t, row, "log10_ci95_high", hit ? log10_or_nan(e->log_ci_high) : NAN);
  expect_field(t, row, "exact", shown(rep.exact_log));
  expect_field(t, row, "log10_exact", log10_or_nan(rep.exact_log));
  ck_assert_str_eq(field(t, row, "reference_kind"), kind);
  expect_field(t, row, "log10_reference", log10_or_nan(log_ref));
  /* z = (P_hat - ref) / SE, the SE floored at 1e-10 ref */
  double z = hit && !isnan(log_ref) /* in units of the reference: P may underflow */
                 ? (exp(e->log_estimate - log_ref) - 1) / fmax(exp(e->log_std_error - log_ref), 1e-10)
                 : NAN;
  const char *zf = field(t, row, "z_reference");
  if (isnan(z))
    ck_assert_str_eq(zf, "");
  else
    assert_close(strtod(zf, NULL), z, 1e-9 * fmax(1, fabs(z)));
  if (!isnan(rep.exact_log))
    ck_assert_str_eq(field(t, row, "z_exact"), zf);
}

START_TEST(test_run_csv_equals_the_structs)
{
  analyse_all(SCENARIO, 3);
  char *buf = NULL;
  RENDER(buf, issim_report_csv(out, &rep));
  table t;
  parse_table(buf, &t);
  ck_assert_uint_eq(t.nrows, 3);
  static const char *const header[] = {
      "proposal", "verdict", "samples", "hits", "log10_estimate", "relative_error", "estimate",
      "std_error", "ci95_low", "ci95_high", "log10_std_error", "log10_ci95_low", "log10_ci95_high",
      "exact", "log10_exact", "z_exact", "reference_kind", "reference", "log10_reference",
      "z_reference", "relative_variance", "samples_for_1pct", "event_ess", "ess",
      "max_weight_share", "pareto_k", "tail_check", "seconds", "stopped_by",
      "loss_evaluations"};
  ck_assert_uint_eq(t.ncols, sizeof header / sizeof *header);
  for (size_t k = 0; k < t.ncols; k++)
    ck_assert_str_eq(t.head[k], header[k]);
  for (size_t i = 0; i < 3; i++) {
    const issim_estimate *e = &res[i].estimate;
    ck_assert_str_eq(field(&t, i, "proposal"), scn->proposals[i].name);
    ck_assert_str_eq(field(&t, i, "verdict"), issim_verdict_name(res[i].verdict.level));
    expect_field(&t, i, "hits", (double)e->hits);
    expect_field(&t, i, "log10_estimate", e->hits ? e->log_estimate / M_LN10 : NAN);
    expect_field(&t, i, "event_ess", e->event_ess);
    expect_field(&t, i, "pareto_k", res[i].pareto_k);
    expect_estimate_columns(&t, i, &res[i], "exact", rep.exact_log);
  }
  /* the shifted proposal's estimate against the exact P(Z > 4) */
  ck_assert_uint_gt(res[0].estimate.hits, 1000);
  ck_assert_within_4se(strtod(field(&t, 0, "estimate"), NULL), gsl_cdf_ugaussian_Q(4),
                       strtod(field(&t, 0, "std_error"), NULL));
  /* away: no hit, infinite variance */
  ck_assert_str_eq(field(&t, 2, "estimate"), "0");
  ck_assert_str_eq(field(&t, 2, "tail_check"), "infinite");
  free(buf);
  release(3);
}
END_TEST

/* Below the smallest double the number columns are empty, never a wrong 0,
 * and the log10 columns carry the values. */
START_TEST(test_csv_below_the_smallest_double)
{
  analyse_all("[target]\ndistribution = normal\n[event]\nthreshold = 40\n"
              "[proposal shifted]\ndistribution = normal\nmean = 40\n",
              1);
  ck_assert(rep.exact_log < log(DBL_MIN));
  char *buf = NULL;
  RENDER(buf, issim_report_csv(out, &rep));
  table t;
  parse_table(buf, &t);
  const issim_estimate *e = &res[0].estimate;
  ck_assert_str_eq(field(&t, 0, "estimate"), "");
  ck_assert_str_eq(field(&t, 0, "exact"), "");
  expect_field(&t, 0, "log10_estimate", e->log_estimate / M_LN10);
  expect_field(&t, 0, "log10_exact", rep.exact_log / M_LN10);
  expect_estimate_columns(&t, 0, &res[0], "exact", rep.exact_log);
  /* |z| <= 4: the estimate agrees with P(Z > 40) = 3.66e-350 */
  ck_assert(fabs(strtod(field(&t, 0, "z_exact"), NULL)) <= 4);
  free(buf);
  release(1);
}
END_TEST

/* ---- the scenario's reference, used like an exact value ---- */

/* Two standard normals above a threshold in their maximum, an expression
 * issim has no exact value for: P(max > 3) = 1 - (1 - Q(3))^2. */
static const char GIVEN[] =
    "[target]\ndistribution = independent\ndimension = 2\ncomponent = normal\n"
    "[event]\nloss = expression\nexpression = max(x1, x2)\nthreshold = 3\nreference = %.17g\n"
    "[proposal shifted]\ndistribution = mixture\ncomponents = 0.5 a + 0.5 b\n"
    "[proposal a]\ndistribution = independent\ndimension = 2\ncomponent = normal\n"
    "mean = 3 0\n"
    "[proposal b]\ndistribution = independent\ndimension = 2\ncomponent = normal\n"
    "mean = 0 3\n";

START_TEST(test_given_reference_like_an_exact_value)
{
  double q = gsl_cdf_ugaussian_Q(3), p = 1 - (1 - q) * (1 - q);
  for (int wrong = 0; wrong < 2; wrong++) {
    char text[1024];
    /* the right value, then one 30% too high: the warning must come */
    snprintf(text, sizeof text, GIVEN, wrong ? 1.3 * p : p);
    analyse_all(text, 1);
    ck_assert_msg(isnan(rep.exact_log), "an exact value is known: the test needs none");
    double log_ref = scn->reference_log;
    const issim_estimate *e = &res[0].estimate;
    ck_assert_uint_gt(e->hits, 1000);
    char *buf = NULL;
    RENDER(buf, issim_report_csv(out, &rep));
    table t;
    parse_table(buf, &t);
    expect_estimate_columns(&t, 0, &res[0], "given", log_ref);
    double z = strtod(field(&t, 0, "z_reference"), NULL);
    if (!wrong)
      ck_assert_within_4se(exp(e->log_estimate), p, exp(e->log_std_error));
    else
      ck_assert_msg(z < -4, "z = %g against a reference 30%% too high", z);
    free(buf);
    RENDER(buf, issim_report_text(out, &rep));
    char ref[48], line[200];
    issim_format_log_prob(log_ref, 6, ref, sizeof ref);
    snprintf(line, sizeof line, "  reference        %s (given in the scenario), %+.2f standard "
                                "errors away\n", ref, z);
    ck_assert_msg(strstr(buf, line) != NULL, "no line '%s' in:\n%s", line, buf);
    ck_assert_int_eq(strstr(buf, "standard errors from the scenario's reference value") != NULL,
                     wrong);
    /* the multivariate proposal: no expected mean weight, no "(expected nan)" */
    ck_assert_ptr_null(strstr(buf, "(expected nan)"));
    ck_assert_ptr_nonnull(strstr(buf, "    mean weight      "));
    free(buf);
    RENDER(buf, issim_report_json(out, &rep));
    json_t *root = parse_json(buf);
    json_t *r0 = json_array_get(json_object_get(root, "results"), 0);
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(root, "reference"), "kind")),
                     "given");
    ck_assert(json_is_null(json_object_get(r0, "z_exact")));
    assert_close(json_real_value(json_object_get(r0, "z_reference")), z, 1e-12 * fmax(1, fabs(z)));
    json_decref(root);
    free(buf);
    release(1);
  }
}
END_TEST

/* ---- --brief ---- */

START_TEST(test_brief)
{
  analyse_all(SCENARIO, 3);
  char *buf = NULL;
  RENDER(buf, issim_report_brief(out, &rep));
  /* the header, a blank line, then each proposal's line and its warnings */
  ck_assert(strncmp(buf, "scenario   csv\ntarget     normal(mean=0, sd=1)\n", 46) == 0);
  ck_assert_ptr_nonnull(strstr(buf, "\nexact      P = 3.167124183e-05"));
  char p[48], se[48], want[256];
  const issim_estimate *e = &res[0].estimate;
  issim_format_log_prob(e->log_estimate, 6, p, sizeof p);
  issim_format_log_prob(e->log_std_error, 3, se, sizeof se);
  /* names padded to the longest, at least 8 */
  snprintf(want, sizeof want, "\nshifted   %-11s  %s +- %s  (%.3g%%)  95%% CI [",
           issim_verdict_name(res[0].verdict.level), p, se, 100 * e->relative_error);
  ck_assert_msg(strstr(buf, want) != NULL, "no '%s' in:\n%s", want, buf);
  ck_assert_ptr_nonnull(strstr(buf, "\naway      unreliable   0  (no draw hit the event in 20000)\n"
                                    "          - no draw hit the event in 20000 samples"));
  /* no information block, no efficiency block */
  ck_assert_ptr_null(strstr(buf, "information"));
  ck_assert_ptr_null(strstr(buf, "relative variance"));
  /* every warning of the full report, under its proposal */
  for (size_t i = 0; i < 3; i++) {
    char *lines[16];
    size_t n = issim_result_warnings(&rep, &res[i], lines, 16);
    for (size_t k = 0; k < n; k++) {
      char w[1200];
      snprintf(w, sizeof w, "  - %s\n", lines[k]);
      ck_assert_msg(strstr(buf, w) != NULL, "warning '%s' missing", lines[k]);
      free(lines[k]);
    }
  }
  free(buf);
  release(3);
}
END_TEST

/* ---- issim calibrate --format csv ---- */

START_TEST(test_calibrate_csv_pooled_estimate)
{
  /* 60 replications of 4000 draws of the shifted proposal on P(Z > 4) */
  scn = scenario_parse_ok(SCENARIO, "csv.ini");
  const size_t reps = 60;
  const uint64_t n = 4000;
  issim_run_config cfg = run_config_of(scn, "shifted", n, 11, 2);
  issim_calibration c;
  issim_error err;
  ck_assert_int_eq(issim_calibration_run(scn, &scn->proposals[0], NULL, &cfg, reps, &c, &err),
                   ISSIM_OK);
  double exact_log = issim_scenario_exact_log(scn);
  issim_calibration_judge_all(&c, 1, exact_log, NAN);
  issim_calibrate_report r = {.scenario = scn, .samples = n, .seed = 11, .rng_name = "taus2",
                              .reps = reps, .exact_log = exact_log, .given_log = NAN, .n = 1,
                              .calibrations = &c};
  /* the mean and the SE of the spread, computed here directly */
  double sum = 0, sum2 = 0;
  for (size_t k = 0; k < reps; k++)
    sum += exp(c.log_estimate[k]);
  double mean = sum / (double)reps;
  for (size_t k = 0; k < reps; k++)
    sum2 += (exp(c.log_estimate[k]) - mean) * (exp(c.log_estimate[k]) - mean);
  double se = sqrt(sum2 / ((double)reps * (double)(reps - 1)));
  double lm, lse;
  issim_calibration_mean(&c, &lm, &lse);
  assert_close(exp(lm), mean, 1e-12 * mean);
  assert_close(exp(lse), se, 1e-9 * se);
  /* against the exact P, within 4 of its SE; the SE near the exact one:
   * rv = e^16 Q(8) / Q(4)^2 - 1 for N(4, 1) on P(Z > 4) */
  double p = exp(exact_log);
  ck_assert_within_4se(mean, p, se);
  double rv = exp(16.0) * gsl_cdf_ugaussian_Q(8) / (p * p) - 1;
  double se_exact = p * sqrt(rv / (double)n / (double)reps);
  ck_assert_msg(se > 0.7 * se_exact && se < 1.4 * se_exact, "SE %g, exact %g", se, se_exact);

  char *buf = NULL;
  RENDER(buf, issim_calibrate_report_csv(out, &r));
  table t;
  parse_table(buf, &t);
  ck_assert_uint_eq(t.nrows, 1);
  ck_assert_str_eq(field(&t, 0, "proposal"), "shifted");
  ck_assert_str_eq(field(&t, 0, "error_bars"), c.over_confident ? "over-confident" : "honest");
  expect_field(&t, 0, "reps", (double)reps);
  expect_field(&t, 0, "estimate", exp(lm));
  expect_field(&t, 0, "std_error", exp(lse));
  expect_field(&t, 0, "log10_estimate", lm / M_LN10);
  expect_field(&t, 0, "exact", p);
  assert_close(strtod(field(&t, 0, "ci95_low"), NULL), exp(lm) - ISSIM_Z95 * exp(lse),
               1e-9 * p);
  assert_close(strtod(field(&t, 0, "ci95_high"), NULL), exp(lm) + ISSIM_Z95 * exp(lse), 1e-9 * p);
  assert_close(strtod(field(&t, 0, "z_exact"), NULL), (exp(lm) - p) / exp(lse), 1e-7);
  ck_assert_str_eq(field(&t, 0, "reference_kind"), "exact");
  expect_field(&t, 0, "relative_rmse", c.relative_rmse);
  expect_field(&t, 0, "coverage", c.coverage);
  expect_field(&t, 0, "z_sd", c.z_sd);
  free(buf);
  issim_calibration_free(&c);
  issim_scenario_free(scn);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("report_csv");
  TCase *tc = tcase_create("report_csv");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_run_csv_equals_the_structs);
  tcase_add_test(tc, test_csv_below_the_smallest_double);
  tcase_add_test(tc, test_given_reference_like_an_exact_value);
  tcase_add_test(tc, test_brief);
  tcase_add_test(tc, test_calibrate_csv_pooled_estimate);
  suite_add_tcase(s, tc);
  return run_suite(s);
}
