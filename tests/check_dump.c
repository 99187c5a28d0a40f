/* Tests of src/dump.c (and the engine's replay): the file holds the run's
 * own draws (their weighted hits give the run's estimate to rounding, for
 * any thread count of the run), in the documented layout; a mixture's
 * components are the ones that drew each point; a file that cannot be
 * written leaves nothing behind. */
#define _POSIX_C_SOURCE 200809L /* strtok_r, strdup */

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_main.h"
#include "check_util.h"
#include "issim.h"

typedef struct {
  size_t rows, hits, fields;
  double log_max, sum;   /* sum of exp(log_weight - log_max) over the hits */
  size_t components[3];  /* rows drawn by component 1, 2; and by another or none */
  int sides_agree;       /* component 1's x < 0 and component 2's x > 0 */
} dump_summary;

/* Reads a dump of one proposal back; asserts the header of d dimensions. */
static void read_dump(const char *path, size_t d, dump_summary *out)
{
  char *text = slurp(path), *save = NULL;
  *out = (dump_summary){.log_max = -INFINITY, .sides_agree = 1};
  char want[256] = "proposal,draw";
  for (size_t j = 0; j < d; j++)
    snprintf(want + strlen(want), sizeof want - strlen(want), ",x%zu", j + 1);
  strcat(want, ",loss,log_weight,in_event,component");
  char *line = strtok_r(text, "\n", &save);
  ck_assert_str_eq(line, want);
  double *lw = malloc(2000000 * sizeof *lw);
  while ((line = strtok_r(NULL, "\n", &save)) != NULL) {
    char *f[64];
    size_t n = 0;
    char *p = line; /* split at every comma, keeping empty fields */
    while (p && n < 64) {
      f[n++] = p;
      p = strchr(p, ',');
      if (p)
        *p++ = '\0';
    }
    out->fields = n;
    ck_assert_uint_eq(n, d + 6);
    ck_assert_uint_eq(strtoull(f[1], NULL, 10), out->rows);
    double x = strtod(f[2], NULL), l = strtod(f[d + 3], NULL);
    int hit = atoi(f[d + 4]);
    size_t comp = f[d + 5][0] ? (size_t)atoi(f[d + 5]) : 0;
    out->components[comp == 1 || comp == 2 ? comp - 1 : 2]++; /* 1, 2, or any other */
    if ((comp == 1 && !(x < 0)) || (comp == 2 && !(x > 0)))
      out->sides_agree = 0;
    if (hit) {
      lw[out->hits++] = l;
      out->log_max = fmax(out->log_max, l);
    }
    out->rows++;
  }
  for (size_t i = 0; i < out->hits; i++)
    out->sum += exp(lw[i] - out->log_max);
  free(lw);
  free(text);
}

/* Runs proposal `name` with `threads` threads and dumps its draws to path. */
static void run_and_dump(const char *text, const char *name, uint64_t n, int threads,
                         const char *path, issim_estimate *e)
{
  issim_scenario *s = scenario_parse_ok(text, "test.ini");
  const issim_proposal *p = issim_scenario_proposal(s, name);
  issim_problem pb = issim_scenario_problem(s, p);
  issim_run_config cfg = run_config_of(s, name, n, 42, threads);
  issim_run_output out = {0};
  issim_error err;
  ck_assert_int_eq(issim_engine_run(&pb, &cfg, &out, &err), ISSIM_OK);
  issim_accum_estimate(&out.acc, e);
  issim_dump *dump;
  ck_assert_int_eq(issim_dump_open(path, issim_problem_dim(&pb), NULL, &dump, &err), ISSIM_OK);
  ck_assert_int_eq(issim_dump_add(dump, name, &pb, &cfg, out.acc.n, &err), ISSIM_OK);
  ck_assert_int_eq(issim_dump_close(dump, 0, &err), ISSIM_OK);
  issim_scenario_free(s);
}

#define PORTFOLIO                                                                          \
  "[target]\ndistribution = multivariate-normal\ndimension = 10\nsd = 0.01\n"             \
  "correlation = 0.3\n[event]\nloss = linear\nweights = -0.1\nthreshold = 5 sigma\n"      \
  "[proposal design-point]\ndistribution = shifted-target\nshift = design-point\n"

/* The dump's weighted hits give the run's own estimate: they are its draws
 * (a run of 3 threads: the blocks' spread over threads does not matter). */
START_TEST(test_dump_is_the_run)
{
  char path[] = "/tmp/issim-dump-XXXXXX.csv";
  temp_file(path, 4);
  issim_estimate e;
  run_and_dump(PORTFOLIO, "design-point", 150000, 3, path, &e);
  dump_summary d;
  read_dump(path, 10, &d);
  ck_assert_uint_eq(d.rows, 150000);
  ck_assert_uint_eq(d.hits, e.hits);
  double log_p = d.log_max + log(d.sum / 150000.0);
  /* linear losses drawn with the points differ in the last digits: the hits
   * are the same here, and the sums agree to the printed digits */
  assert_close(log_p, e.log_estimate, 1e-12);
  ck_assert_uint_eq(d.components[2], 150000); /* not a mixture: no component */
  unlink(path);
}
END_TEST

/* A mixture of normals at -10 and +10 (weights 0.3 and 0.7): each row's
 * component is the one that drew it (its side of 0), in proportion. */
START_TEST(test_dump_components)
{
  char path[] = "/tmp/issim-dump-XXXXXX.csv";
  temp_file(path, 4);
  issim_estimate e;
  run_and_dump("[target]\ndistribution = normal\n[event]\nthreshold = 5\n"
               "[proposal left]\ndistribution = normal\nmean = -10\n"
               "[proposal right]\ndistribution = normal\nmean = 10\n"
               "[proposal both]\ndistribution = mixture\ncomponents = 0.3 left + 0.7 right\n",
               "both", 100000, 2, path, &e);
  dump_summary d;
  read_dump(path, 1, &d);
  ck_assert_uint_eq(d.rows, 100000);
  ck_assert(d.sides_agree);
  ck_assert_uint_eq(d.components[0] + d.components[1], 100000);
  ck_assert_within_4se((double)d.components[0] / 1e5, 0.3, sqrt(0.21 / 1e5));
  ck_assert_uint_eq(d.hits, e.hits);
  assert_close(d.log_max + log(d.sum / 1e5), e.log_estimate, 1e-12);
  unlink(path);
}
END_TEST

/* A mixture in the standard space (sum-lognormals' design-points: a normal
 * of u moved to each of its design points, carried to x by the target's
 * transform): every row names its component, the weights sum to the run's
 * estimate. */
START_TEST(test_dump_components_in_the_standard_space)
{
  char path[] = "/tmp/issim-dump-XXXXXX.csv";
  temp_file(path, 4);
  char *text = slurp(SCENARIO_DIR "/sum-lognormals.ini");
  issim_estimate e;
  run_and_dump(text, "design-points", 20000, 2, path, &e);
  free(text);
  char *csv = slurp(path), *save = NULL;
  size_t rows = 0, named = 0, top = 0;
  for (char *line = strtok_r(csv, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    if (rows++ == 0)
      continue; /* the header */
    const char *last = strrchr(line, ',');
    size_t k = (size_t)atoi(last + 1);
    named += last[1] != '\0' && k >= 1;
    top = k > top ? k : top;
  }
  ck_assert_uint_eq(rows, 20001);
  ck_assert_uint_eq(named, 20000);
  ck_assert_uint_ge(top, 2);
  free(csv);
  dump_summary d;
  read_dump(path, 10, &d);
  ck_assert_uint_eq(d.hits, e.hits);
  assert_close(d.log_max + log(d.sum / 20000.0), e.log_estimate, 1e-12);
  unlink(path);
}
END_TEST

/* A directory that does not exist: ISSIM_EIO naming the path; a discarded
 * dump leaves no file. */
START_TEST(test_dump_failures)
{
  issim_dump *dump;
  issim_error err;
  ck_assert_int_eq(issim_dump_open("/nonexistent-dir/draws.csv", 1, NULL, &dump, &err), ISSIM_EIO);
  ck_assert_ptr_null(dump);
  ck_assert_msg(strstr(err.message, "/nonexistent-dir/draws.csv") != NULL, "%s", err.message);
  char dir[] = "/tmp/issim-dump-dir-XXXXXX";
  ck_assert_ptr_nonnull(mkdtemp(dir));
  char path[128];
  snprintf(path, sizeof path, "%s/draws.csv", dir);
  ck_assert_int_eq(issim_dump_open(path, 1, NULL, &dump, &err), ISSIM_OK);
  ck_assert_int_eq(issim_dump_close(dump, 1, &err), ISSIM_OK);
  ck_assert_int_ne(access(path, F_OK), 0);
  ck_assert_int_eq(rmdir(dir), 0); /* nothing else was left in it either */
}
END_TEST

static Suite *dump_suite(void)
{
  Suite *s = suite_create("dump");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_dump_is_the_run);
  tcase_add_test(tc, test_dump_components);
  tcase_add_test(tc, test_dump_components_in_the_standard_space);
  tcase_add_test(tc, test_dump_failures);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  return run_suite(dump_suite());
}
