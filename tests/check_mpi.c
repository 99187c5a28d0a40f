/* Distributed runs (src/cluster.c, the rounds of src/engine.c): issim under
 * mpirun with 2 and 3 ranks gives the single-process output to the last bit,
 * rank 0 alone speaks, and errors end every rank with the same status.
 * Built and run by `make check` in a build configured --with-mpi. */
#define _DEFAULT_SOURCE /* mkstemps */
#define _POSIX_C_SOURCE 200809L

#include <check.h>
#include <dirent.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include "check_main.h"
#include "check_util.h"

/* The command line: issim alone (ranks 0), or under mpirun -np ranks. */
static size_t command_line(int ranks, const char *const *args, const char **argv)
{
  size_t n = 0;
  if (ranks > 0) {
    static char np[16];
    snprintf(np, sizeof np, "%d", ranks);
    argv[n++] = MPIEXEC;
    argv[n++] = "-np";
    argv[n++] = np;
  }
  argv[n++] = ISSIM_BIN;
  for (size_t i = 0; args[i] != NULL; i++)
    argv[n++] = args[i];
  argv[n] = NULL;
  return n;
}

/* Runs issim with `ranks` processes (0: without mpirun), capturing stdout and
 * stderr; after `interrupt_after` seconds (0: never), sends mpirun Ctrl-C. */
static outcome run_ranks(int ranks, const char *const *args, int interrupt_after)
{
  const char *argv[40];
  command_line(ranks, args, argv);
  return run_capture(argv, interrupt_after);
}

static json_t *run_json(int ranks, const char *const *args)
{
  outcome o = run_ranks(ranks, args, 0);
  ck_assert_msg(o.status == 0, "%d ranks: exit %d: %s", ranks, o.status, o.err);
  json_t *root = parse_json(o.out);
  outcome_free(&o);
  return root;
}

/* Removes what measures time, not draws, from an object and the objects in
 * it: the seconds, and in a comparison the efficiencies and the rank (which
 * orders equal verdicts by efficiency). */
static void untime(json_t *x)
{
  static const char *timed[] = {"seconds", "efficiency", "log10_gain_over_crude_work", "rank"};
  for (size_t i = 0; json_is_array(x) && i < json_array_size(x); i++)
    untime(json_array_get(x, i));
  if (!json_is_object(x))
    return;
  for (size_t k = 0; k < sizeof timed / sizeof timed[0]; k++)
    json_object_del(x, timed[k]);
  const char *key;
  json_t *value;
  json_object_foreach(x, key, value)
    untime(value);
}

/* The untimed entries of an array, by proposal. */
static json_t *by_proposal(json_t *array)
{
  json_t *all = json_object();
  for (size_t i = 0; i < json_array_size(array); i++) {
    json_t *x = json_array_get(array, i);
    untime(x);
    const char *name = json_string_value(json_object_get(x, "proposal"));
    ck_assert_ptr_nonnull(name);
    json_object_set(all, name, x);
  }
  return all;
}

/* The outputs of 1 process and of `ranks` are the same but for timings. */
static void expect_same_json(json_t *one, json_t *many, const char *array, int ranks)
{
  json_t *a = by_proposal(json_object_get(one, array));
  json_t *b = by_proposal(json_object_get(many, array));
  ck_assert_uint_gt(json_object_size(a), 0);
  char *ta = json_dumps(a, JSON_SORT_KEYS | JSON_REAL_PRECISION(17));
  char *tb = json_dumps(b, JSON_SORT_KEYS | JSON_REAL_PRECISION(17));
  ck_assert_msg(strcmp(ta, tb) == 0, "%d ranks differ from one process:\n%.2000s\n---\n%.2000s",
                ranks, ta, tb);
  free(ta);
  free(tb);
  /* the header but for the threads, which mpirun may limit by binding ranks to cores */
  json_object_del(one, array);
  json_object_del(many, array);
  json_object_del(one, "threads");
  json_object_del(many, "threads");
  untime(one);
  untime(many);
  ck_assert_msg(json_equal(one, many), "the headers differ with %d ranks", ranks);
  json_decref(a);
  json_decref(b);
}

/* issim alone, then under mpirun -np 2 and -np 3, the same output. */
static void expect_same_output(const char *const *args, const char *array)
{
  json_t *one = run_json(0, args);
  for (int ranks = 2; ranks <= 3; ranks++) {
    json_t *copy = json_deep_copy(one);
    json_t *many = run_json(ranks, args);
    expect_same_json(copy, many, array, ranks);
    json_decref(copy);
    json_decref(many);
  }
  json_decref(one);
}

START_TEST(test_run_is_the_single_process_run)
{
  /* 1e7 draws: 153 blocks in 3 chunks, the last one short; k-hat on a tail
   * buffer of 9487 values, more than a block keeps */
  const char *args[] = {"run", SCENARIO_DIR "/gaussian-5sigma.ini", "--samples", "1e7",
                        "--threads", "1", "--format", "json", NULL};
  expect_same_output(args, "results");
}
END_TEST

START_TEST(test_threads_and_ranks_together)
{
  /* 2 threads in each of 2 and 3 ranks against 1 thread alone */
  const char *one[] = {"run", SCENARIO_DIR "/student-t-tail.ini", "--samples", "6e6",
                       "--threads", "1", "--format", "json", NULL};
  const char *two[] = {"run", SCENARIO_DIR "/student-t-tail.ini", "--samples", "6e6",
                       "--threads", "2", "--format", "json", NULL};
  json_t *a = run_json(0, one);
  for (int ranks = 2; ranks <= 3; ranks++) {
    json_t *copy = json_deep_copy(a), *b = run_json(ranks, two);
    expect_same_json(copy, b, "results", ranks);
    json_decref(copy);
    json_decref(b);
  }
  json_decref(a);
}
END_TEST

START_TEST(test_compare_is_the_single_process_compare)
{
  /* a 10-dimensional portfolio: the d-dimensional path, and small blocks'
   * batches */
  const char *args[] = {"compare", SCENARIO_DIR "/portfolio-normal-10.ini", "--samples", "5e5",
                        "--format", "json", NULL};
  expect_same_output(args, "ranking");
}
END_TEST

START_TEST(test_regions_tally_is_the_single_process_one)
{
  /* the four-branch system: the hits by failure region (regions.draws), per
   * block, shipped with each chunk's body; 8.4e6 draws are 129 blocks in 3
   * chunks, the last one short */
  const char *args[] = {"run", SCENARIO_DIR "/four-branch.ini", "--proposal", "design-points",
                        "--samples", "8.4e6", "--threads", "1", "--format", "json", NULL};
  expect_same_output(args, "results");
}
END_TEST

/* The exceedance curve and the quantiles: every level's accumulator and
 * k-hat tail is shipped with each chunk's body (exceedance.h's pack), the
 * quantiles' pilot is drawn by each rank alike.  1e7 draws are 153 blocks in
 * 3 chunks, the last one short; then a run stopped by --target-re (in its
 * second chunk), where every level keeps the stopped run's blocks. */
START_TEST(test_curve_is_the_single_process_curve)
{
  const char *args[] = {"run", SCENARIO_DIR "/gaussian-5sigma.ini", "--samples", "1e7",
                        "--threads", "1", "--threshold", "5, 3 .. 7 count 9",
                        "--quantile", "1e-6, 1e-9", "--format", "json", NULL};
  expect_same_output(args, "results");
  const char *stopped[] = {"run", SCENARIO_DIR "/student-t-tail.ini", "--samples", "1e9",
                           "--target-re", "0.02", "--proposal", "light",
                           "--threshold", "100, 110 .. 200 count 4", "--quantile", "1e-7",
                           "--format", "json", NULL};
  expect_same_output(stopped, "results");
}
END_TEST

/* Each level's own hits by its own failure regions (issim_region_levels),
 * per block, shipped with each chunk's body: the design point of 5 on
 * max(x1, x2/2 + 2), whose levels 3.5 and 4 the draws' check demotes;
 * 4.5e6 draws are 69 blocks in 2 chunks, the second short. */
START_TEST(test_level_regions_tally_is_the_single_process_one)
{
  char path[] = "/tmp/issim-mpi-levels-XXXXXX.ini";
  temp_file(path, 4);
  write_file(path, "[target]\ndistribution = independent\ndimension = 2\ncomponent = normal\n"
                   "[event]\nloss = expression\nexpression = max(x1, 0.5*x2 + 2)\n"
                   "threshold = 5, 3.5, 4\nquantile = 1e-4\n"
                   "[proposal p]\ndistribution = shifted-target\nshift = design-point\n"
                   "[run]\nseed = 3\n");
  const char *args[] = {"run", path, "--samples", "4.5e6", "--threads", "1", "--format", "json",
                        NULL};
  json_t *a = run_json(0, args);
  json_t *levels = json_object_get(json_object_get(json_array_get(json_object_get(a, "results"), 0),
                                                   "exceedance"), "levels");
  ck_assert(json_is_object(json_object_get(json_array_get(levels, 0), "regions_draws")));
  for (int ranks = 2; ranks <= 3; ranks++) {
    json_t *copy = json_deep_copy(a), *many = run_json(ranks, args);
    expect_same_json(copy, many, "results", ranks);
    json_decref(copy);
    json_decref(many);
  }
  json_decref(a);
  unlink(path);
}
END_TEST

START_TEST(test_adapt_is_the_single_process_adapt)
{
  /* the cross-entropy levels and the final run of a 10-dimensional proposal */
  const char *args[] = {"adapt", SCENARIO_DIR "/portfolio-normal-10.ini", "--format", "json", NULL};
  expect_same_output(args, "results");
}
END_TEST

START_TEST(test_target_re_stops_at_the_same_block)
{
  /* 'light' stops at block 69 (in the second chunk), 'pareto' after its first */
  const char *light[] = {"run", SCENARIO_DIR "/student-t-tail.ini", "--samples", "1e9",
                         "--target-re", "0.02", "--proposal", "light", "--format", "json", NULL};
  expect_same_output(light, "results");
  const char *args[] = {"run", SCENARIO_DIR "/student-t-tail.ini", "--samples", "1e9",
                        "--target-re", "0.02", "--proposal", "pareto", "--format", "json", NULL};
  expect_same_output(args, "results");
}
END_TEST

/* A calibration's JSON without the replications' time. */
static char *untimed_text(json_t *root)
{
  json_t *cals = json_object_get(root, "proposals");
  ck_assert_uint_gt(json_array_size(cals), 0);
  for (size_t i = 0; i < json_array_size(cals); i++)
    untime(json_array_get(cals, i));
  return json_dumps(root, JSON_SORT_KEYS | JSON_REAL_PRECISION(17));
}

START_TEST(test_calibrate_is_the_single_process_calibrate)
{
  const char *args[] = {"calibrate", SCENARIO_DIR "/gaussian-5sigma.ini", "--samples", "2e5",
                        "--reps", "20", "--format", "json", NULL};
  /* replications spread over the ranks: 20 on 3 ranks, unevenly */
  json_t *one = run_json(0, args);
  char *a = untimed_text(one);
  for (int ranks = 2; ranks <= 3; ranks++) {
    json_t *many = run_json(ranks, args);
    char *b = untimed_text(many);
    ck_assert_msg(strcmp(a, b) == 0, "calibrate differs on %d ranks:\n%.1500s\n---\n%.1500s",
                  ranks, a, b);
    free(b);
    json_decref(many);
  }
  free(a);
  json_decref(one);
}
END_TEST

/* Reads a file of a plot directory. */
static char *plot_file(const char *dir, const char *name)
{
  char path[512];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  return slurp(path);
}

START_TEST(test_traces_and_histograms_are_the_same)
{
  /* the convergence traces (with k-hat at every block checkpoint) and the
   * log-weight histograms, file for file */
  char one[] = "/tmp/issim-mpi-plot1-XXXXXX", three[] = "/tmp/issim-mpi-plot3-XXXXXX";
  ck_assert_ptr_nonnull(mkdtemp(one));
  ck_assert_ptr_nonnull(mkdtemp(three));
  const char *a1[] = {"run", SCENARIO_DIR "/gaussian-5sigma.ini", "--samples", "2e7",
                      "--plot", one, "--quiet", NULL};
  const char *a3[] = {"run", SCENARIO_DIR "/gaussian-5sigma.ini", "--samples", "2e7",
                      "--plot", three, "--quiet", NULL};
  outcome o1 = run_ranks(0, a1, 0), o3 = run_ranks(3, a3, 0);
  ck_assert_int_eq(o1.status, 0);
  ck_assert_int_eq(o3.status, 0);
  DIR *d = opendir(one);
  ck_assert_ptr_nonnull(d);
  int compared = 0;
  for (struct dirent *de; (de = readdir(d)) != NULL;) {
    if (strncmp(de->d_name, "trace_", 6) != 0 && strncmp(de->d_name, "hist_", 5) != 0)
      continue;
    char *x = plot_file(one, de->d_name), *y = plot_file(three, de->d_name);
    ck_assert_msg(strcmp(x, y) == 0, "%s differs with 3 ranks", de->d_name);
    compared++;
    free(x);
    free(y);
  }
  closedir(d);
  ck_assert_int_ge(compared, 4);
  outcome_free(&o1);
  outcome_free(&o3);
  char cmd[256];
  snprintf(cmd, sizeof cmd, "rm -rf '%s' '%s'", one, three);
  ck_assert_int_eq(system(cmd), 0);
}
END_TEST

/* How many times `needle` occurs in `text`. */
static int occurrences(const char *text, const char *needle)
{
  int n = 0;
  for (const char *p = text; (p = strstr(p, needle)) != NULL; p += strlen(needle))
    n++;
  return n;
}

START_TEST(test_rank_zero_alone_speaks)
{
  /* a proposal with infinite weight variance: warned about on stderr, once */
  const char *args[] = {"run", SCENARIO_DIR "/proposals-5sigma.ini", "--samples", "2e5", NULL};
  outcome one = run_ranks(0, args, 0), three = run_ranks(3, args, 0);
  ck_assert_int_eq(one.status, 0);
  ck_assert_int_eq(three.status, 0);
  ck_assert_int_ge(occurrences(one.err, "warning:"), 1);
  ck_assert_int_eq(occurrences(three.err, "warning:"), occurrences(one.err, "warning:"));
  ck_assert_int_eq(occurrences(three.out, "scenario "), 1);
  ck_assert_int_eq(occurrences(three.out, "verdict"), occurrences(one.out, "verdict"));
  outcome_free(&one);
  outcome_free(&three);
}
END_TEST

/* ---- the user's own model ---- */

START_TEST(test_plugin_is_the_single_process_run)
{
  /* each rank loads the plugin: its estimates are the single process's, and
   * (check_command.c) the expression's */
  char path[4096];
  shipped_scenario(SCENARIO_DIR, BUILD_DIR, "four-branch-plugin.ini", path, sizeof path);
  const char *args[] = {"run", path, "--samples", "1e7", "--threads", "1", "--proposal", "four",
                        "--format", "json", NULL};
  expect_same_output(args, "results");
}
END_TEST

START_TEST(test_a_failing_plugin_is_the_same_partial_run)
{
  /* x1 > 5.2 first at draw 6165505, in the second chunk: run by rank 1 of
   * 2, whose failure and message every rank then reports alike */
  char path[] = "/tmp/issim-mpi-plugin-XXXXXX.ini";
  temp_file(path, 4);
  write_file(path, "[target]\ndistribution = independent\ndimension = 2\ncomponent = normal\n"
                   "[event]\nloss = plugin\nlibrary = " TESTS_DIR "/testplugin.so\n"
                   "function = tp_fail\ninit = tp_init\nmessage = tp_message\nparameters = 5.2\n"
                   "threshold = 3\n[proposal crude]\ndistribution = target\n"
                   "[run]\nsamples = 10000000\nseed = 2024\n");
  const char *args[] = {"run", path, "--threads", "1", "--format", "json", NULL};
  outcome one = run_ranks(0, args, 0);
  ck_assert_int_eq(one.status, 1);
  json_t *a = parse_json(one.out);
  json_t *ra = json_array_get(json_object_get(a, "results"), 0);
  ck_assert_int_eq(json_integer_value(json_object_get(ra, "samples")), 6165504);
  for (int ranks = 2; ranks <= 3; ranks++) {
    outcome many = run_ranks(ranks, args, 0);
    ck_assert_int_eq(many.status, 1);
    json_t *b = parse_json(many.out), *copy = json_deep_copy(a);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(json_object_get(b, "results"), 0),
                                                       "failure")),
                     json_string_value(json_object_get(ra, "failure")));
    expect_same_json(copy, b, "results", ranks);
    /* the message, once */
    ck_assert_int_eq(occurrences(many.err, "tp_fail failed on a batch of 512 points"), 1);
    json_decref(copy), json_decref(b);
    outcome_free(&many);
  }
  json_decref(a);
  outcome_free(&one);
  unlink(path);
}
END_TEST

START_TEST(test_bad_scenario_ends_every_rank_with_status_2)
{
  char path[] = "/tmp/issim-mpi-bad-XXXXXX.ini";
  temp_file(path, 4);
  write_file(path, "[target]\ndistribution = normal\nmean = 0\nsd = -1\n"
                   "[event]\nthreshold = 5\n[proposal plain]\n");
  const char *args[] = {"run", path, NULL};
  outcome one = run_ranks(0, args, 0), three = run_ranks(3, args, 0);
  unlink(path);
  ck_assert_int_eq(one.status, 2);
  ck_assert_int_eq(three.status, 2);
  ck_assert_str_eq(three.out, "");
  /* the one message, once; mpirun may add its own lines about the status */
  char *line = strtok(one.err, "\n");
  ck_assert_ptr_nonnull(line);
  ck_assert_int_eq(occurrences(three.err, line), 1);
  outcome_free(&one);
  outcome_free(&three);
  /* a bad option too */
  const char *option[] = {"run", SCENARIO_DIR "/gaussian-5sigma.ini", "--samples", "many", NULL};
  outcome o = run_ranks(2, option, 0);
  ck_assert_int_eq(o.status, 2);
  ck_assert_int_eq(occurrences(o.err, "--samples"), 1);
  outcome_free(&o);
}
END_TEST

START_TEST(test_time_limit_stops_every_rank)
{
  const char *args[] = {"run", SCENARIO_DIR "/gaussian-5sigma.ini", "--proposal", "shifted",
                        "--samples", "1e13", "--max-seconds", "1", "--format", "json", NULL};
  json_t *root = run_json(2, args);
  json_t *r = json_array_get(json_object_get(root, "results"), 0);
  ck_assert_str_eq(json_string_value(json_object_get(r, "stopped_by")), "max-seconds");
  json_int_t n = json_integer_value(json_object_get(r, "samples"));
  ck_assert(n > 0 && n % 512 == 0);
  /* the stopped run is the fixed run of as many draws, in one process */
  char samples[32];
  snprintf(samples, sizeof samples, "%lld", (long long)n);
  const char *fixed[] = {"run", SCENARIO_DIR "/gaussian-5sigma.ini", "--proposal", "shifted",
                         "--samples", samples, "--format", "json", NULL};
  json_t *again = run_json(0, fixed);
  json_t *r2 = json_array_get(json_object_get(again, "results"), 0);
  const char *same[] = {"estimate", "std_error", "hits", "ess", "event_ess", "pareto_k"};
  for (size_t i = 0; i < sizeof same / sizeof same[0]; i++)
    ck_assert_msg(json_equal(json_object_get(r, same[i]), json_object_get(r2, same[i])),
                  "%s differs between the stopped run on 2 ranks and the fixed run", same[i]);
  json_decref(again);
  json_decref(root);
}
END_TEST

/* --max-calls: the budget cuts every rank's draws alike, after the regions'
 * and the design search's evaluations: the output of one process. */
START_TEST(test_max_calls_is_the_single_process_run)
{
  const char *args[] = {"run", SCENARIO_DIR "/four-branch.ini", "--proposal", "design-points",
                        "--max-calls", "150000", "--format", "json", NULL};
  expect_same_output(args, "results");
  json_t *root = run_json(2, args);
  json_t *r = json_array_get(json_object_get(root, "results"), 0);
  ck_assert_str_eq(json_string_value(json_object_get(r, "stopped_by")), "max-calls");
  json_t *calls = json_object_get(r, "loss_evaluations");
  ck_assert_int_eq(json_integer_value(json_object_get(calls, "total")), 150000);
  json_decref(root);
}
END_TEST

START_TEST(test_ctrl_c_gives_a_partial_report)
{
  const char *args[] = {"run", SCENARIO_DIR "/gaussian-5sigma.ini", "--proposal", "shifted",
                        "--samples", "1e13", "--format", "json", NULL};
  outcome o = run_ranks(2, args, 3);
  /* every rank exits with 130, but mpirun, which ended them with SIGTERM
   * (issim's Ctrl-C in an MPI build), reports its own failure */
  ck_assert_msg(o.status != 0, "exit %d: %s", o.status, o.err);
  json_t *root = parse_json(o.out);
  json_t *r = json_array_get(json_object_get(root, "results"), 0);
  ck_assert_str_eq(json_string_value(json_object_get(r, "stopped_by")), "interrupt");
  json_int_t n = json_integer_value(json_object_get(r, "samples"));
  ck_assert(n >= 0 && n < 10000000000000LL && n % 512 == 0);
  json_decref(root);
  outcome_free(&o);
}
END_TEST

int main(void)
{
  /* CI runs as root, and the machine may have fewer cores than ranks */
  setenv("OMPI_ALLOW_RUN_AS_ROOT", "1", 0);
  setenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1", 0);
  setenv("OMPI_MCA_rmaps_base_oversubscribe", "1", 0);
  Suite *s = suite_create("mpi");
  TCase *tc = tcase_create("mpi");
  tcase_set_timeout(tc, 300);
  tcase_add_test(tc, test_run_is_the_single_process_run);
  tcase_add_test(tc, test_threads_and_ranks_together);
  tcase_add_test(tc, test_compare_is_the_single_process_compare);
  tcase_add_test(tc, test_regions_tally_is_the_single_process_one);
  tcase_add_test(tc, test_curve_is_the_single_process_curve);
  tcase_add_test(tc, test_level_regions_tally_is_the_single_process_one);
  tcase_add_test(tc, test_adapt_is_the_single_process_adapt);
  tcase_add_test(tc, test_target_re_stops_at_the_same_block);
  tcase_add_test(tc, test_calibrate_is_the_single_process_calibrate);
  tcase_add_test(tc, test_traces_and_histograms_are_the_same);
  tcase_add_test(tc, test_rank_zero_alone_speaks);
  tcase_add_test(tc, test_plugin_is_the_single_process_run);
  tcase_add_test(tc, test_a_failing_plugin_is_the_same_partial_run);
  tcase_add_test(tc, test_bad_scenario_ends_every_rank_with_status_2);
  tcase_add_test(tc, test_time_limit_stops_every_rank);
  tcase_add_test(tc, test_max_calls_is_the_single_process_run);
  tcase_add_test(tc, test_ctrl_c_gives_a_partial_report);
  suite_add_tcase(s, tc);
  return run_suite(s);
}
