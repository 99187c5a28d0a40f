/* Tests of src/command.c and of a scenario's loss = command: the argument
 * vector, finding the program, both modes, every failure of the protocol
 * with its message (tests/misbehave.c breaks it one way at a time), an
 * estimate against the exact answer and the same digits as the expression
 * for any number of workers, and a run that fails part-way: the draws before
 * the failure, the same for any number of workers. */
#define _POSIX_C_SOURCE 200809L

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_main.h"
#include "check_util.h"
#include "clock.h"
#include "issim.h"

#define MISBEHAVE TESTS_DIR "/misbehave"

/* ---- the argument vector ---- */

START_TEST(test_split)
{
  char **v;
  size_t n;
  ck_assert_int_eq(issim_command_split("  ./solver --batch\t'a b' x\"y z\"w ''", &v, &n, NULL),
                   ISSIM_OK);
  ck_assert_uint_eq(n, 5);
  ck_assert_str_eq(v[0], "./solver");
  ck_assert_str_eq(v[1], "--batch");
  ck_assert_str_eq(v[2], "a b");
  ck_assert_str_eq(v[3], "xy zw");
  ck_assert_str_eq(v[4], "");
  ck_assert_ptr_null(v[5]);
  issim_command_free_words(v);
  /* nothing is expanded: no shell */
  ck_assert_int_eq(issim_command_split("echo $HOME *.c `ls` ; rm", &v, &n, NULL), ISSIM_OK);
  ck_assert_uint_eq(n, 6);
  ck_assert_str_eq(v[1], "$HOME");
  ck_assert_str_eq(v[4], ";");
  issim_command_free_words(v);
  issim_error err;
  ck_assert_int_eq(issim_command_split("a 'b", &v, &n, &err), ISSIM_EINVAL);
  ck_assert_str_eq(err.message, "a quote (\" or ') is not closed");
  ck_assert_str_eq(err.key, "command");
  ck_assert_int_eq(issim_command_split(" \t ", &v, &n, &err), ISSIM_EINVAL);
  ck_assert_str_eq(err.message, "the command is empty: it needs a program");
}
END_TEST

/* ---- the loss ---- */

static issim_loss *command_loss(size_t d, const char *line, issim_command_mode mode,
                                double timeout)
{
  char **v;
  size_t n;
  ck_assert_int_eq(issim_command_split(line, &v, &n, NULL), ISSIM_OK);
  issim_command_spec spec = {.argv = (const char *const *)v, .mode = mode, .timeout = timeout};
  issim_error err;
  issim_loss *g = issim_command_alloc(d, &spec, &err);
  issim_command_free_words(v);
  ck_assert_msg(g != NULL, "%s", err.message);
  return g;
}

static void expect_refused(const char *argv0, const char *dir, double timeout, const char *key,
                           const char *text)
{
  const char *argv[] = {argv0, NULL};
  issim_command_spec spec = {.argv = argv, .directory = dir, .timeout = timeout};
  issim_error err;
  ck_assert_ptr_null(issim_command_alloc(2, &spec, &err));
  ck_assert_int_eq(err.code, ISSIM_EINVAL);
  ck_assert_str_eq(err.key, key);
  ck_assert_msg(strstr(err.message, text) != NULL, "'%s' not in '%s'", text, err.message);
}

START_TEST(test_the_program_is_found_or_refused)
{
  expect_refused("./no-such-program", TESTS_DIR, 0, "command",
                 "cannot run './no-such-program' from " TESTS_DIR ": No such file or directory");
  char plain[] = "/tmp/issim-not-a-program-XXXXXX";
  temp_file(plain, 0); /* a file, not executable */
  expect_refused(plain, NULL, 0, "command", "it is not an executable file (chmod +x?)");
  unlink(plain);
  expect_refused("no-such-program-anywhere", NULL, 0, "command",
                 "cannot run 'no-such-program-anywhere': no executable file of that name in PATH");
  expect_refused("sh", "/no/such/dir", 0, "directory", "the command's directory /no/such/dir");
  expect_refused("sh", NULL, -1, "timeout", "the timeout must be a number of seconds");
  expect_refused("sh", NULL, NAN, "timeout", "the timeout must be a number of seconds");
  /* a bare name is looked up in PATH; a relative path from the directory */
  const char *sh[] = {"sh", "-c", "true", NULL}, *rel[] = {"./misbehave", "sum", NULL};
  issim_command_spec spec = {.argv = sh};
  issim_loss *g = issim_command_alloc(2, &spec, NULL);
  ck_assert_ptr_nonnull(g);
  issim_loss_free(g);
  spec = (issim_command_spec){.argv = rel, .directory = TESTS_DIR};
  ck_assert_ptr_nonnull(g = issim_command_alloc(2, &spec, NULL));
  char what[512];
  issim_loss_describe(g, what, sizeof what);
  ck_assert_str_eq(what, "command ./misbehave sum");
  double x[2] = {0.25, 0.5}, out;
  ck_assert_int_eq(issim_loss_eval(g, 1, x, &out), ISSIM_OK);
  ck_assert(out == 0.75);
  issim_loss_free(g);
}
END_TEST

/* n points of d coordinates with every bit of their doubles significant */
static double *awkward_points(size_t n, size_t d)
{
  double *x = xalloc(n * d);
  for (size_t i = 0; i < n * d; i++)
    x[i] = (i % 2 ? -1 : 1) * (1.0 / 3 + (double)i * 0.1) * pow(10, (double)(i % 7) - 3);
  return x;
}

START_TEST(test_both_modes_exact_digits)
{
  const size_t n = 700, d = 3; /* more than a pipe's buffer of text either way */
  double *x = awkward_points(n, d), *g = xalloc(n), *want = xalloc(n);
  for (size_t i = 0; i < n; i++)
    want[i] = x[i * d] + x[i * d + 1] + x[i * d + 2]; /* as misbehave sums */
  for (int mode = 0; mode < 2; mode++) {
    issim_loss *loss = command_loss(d, MISBEHAVE " sum", (issim_command_mode)mode, 10);
    issim_loss *copy = issim_loss_clone(loss);
    for (int round = 0; round < 3; round++) { /* a stream program answers batch after batch */
      memset(g, 0, n * sizeof *g);
      ck_assert_int_eq(issim_loss_eval(round % 2 ? copy : loss, n, x, g), ISSIM_OK);
      ck_assert_mem_eq(g, want, n * sizeof *g); /* %.17g both ways: the same doubles */
    }
    ck_assert_int_eq(issim_loss_eval(loss, 0, x, g), ISSIM_OK);
    issim_loss_free(copy);
    issim_loss_free(loss);
  }
  free(x), free(g), free(want);
}
END_TEST

/* Evaluating 3 points with misbehave MODE fails with `text` in the message. */
static void expect_failure(const char *mode_args, issim_command_mode mode, double timeout,
                           const char *text)
{
  char line[256];
  snprintf(line, sizeof line, MISBEHAVE " %s", mode_args);
  issim_loss *g = command_loss(2, line, mode, timeout);
  double x[6] = {1, 2, 3, 4, 5, 6}, out[3];
  double t0 = issim_clock_now();
  ck_assert_int_eq(issim_loss_eval(g, 3, x, out), ISSIM_ELOSS);
  ck_assert_msg(issim_clock_now() - t0 < timeout + 5, "the failure took %g s",
                issim_clock_now() - t0);
  const char *why = issim_loss_error(g);
  ck_assert_msg(strstr(why, text) != NULL, "'%s' not in '%s'", text, why);
  char head[512]; /* the program and the batch */
  snprintf(head, sizeof head, "command %s %s", line,
           strstr(text, "NaN") ? "returned NaN" : "failed on a batch of 3 points from x = (1, 2): ");
  ck_assert_msg(strncmp(why, head, strlen(head)) == 0, "'%s' does not start '%s'", why, head);
  issim_loss_free(g);
}

START_TEST(test_every_failure_of_the_protocol)
{
  const issim_command_mode B = ISSIM_COMMAND_BATCH, S = ISSIM_COMMAND_STREAM;
  expect_failure("exit1", B, 10, "the program exited with status 1 after answering 0 of its 3 points");
  expect_failure("sum --fail-above 2", B, 10,
                 "the program exited with status 1 after answering 1 of its 3 points");
  expect_failure("sum --fail-above 2", S, 10,
                 "the program exited with status 1 after answering 1 of its 3 points");
  expect_failure("signal", B, 10, "the program was killed by signal 11");
  expect_failure("signal", S, 10, "the program was killed by signal 11");
  expect_failure("hang", B, 0.3, "no complete answer within the timeout of 0.3 s (it had "
                                 "answered 0 of its 3 points): the program was killed");
  expect_failure("hang", S, 0.3, "no complete answer within the timeout of 0.3 s");
  expect_failure("buffered", S, 0.3, "no complete answer within the timeout of 0.3 s");
  expect_failure("garbage", B, 10, "line 3 of its answer is 'abc', not a number (the loss of "
                                   "x = (5, 6))");
  expect_failure("garbage", S, 10, "line 3 of its answer is 'abc', not a number");
  expect_failure("short", B, 10, "the program answered 2 lines for 3 points, and exited with "
                                 "status 0");
  expect_failure("extra", B, 10, "it answered more lines than the 3 points it was sent: line 4 "
                                 "is '7'");
  expect_failure("nan", B, 10, "returned NaN for x = (1, 2) (point 1 of a batch of 3)");
  expect_failure("nan", S, 10, "returned NaN for x = (1, 2)");
  /* a program that floods its output is stopped, not followed */
  const char *floods[][2] = {{"yes 1", "it answered more lines than the 2 points it was sent: line "
                                       "3 is '1'"},
                             {"cat /dev/zero", "it wrote an answer line longer than 4096 "
                                               "characters"}};
  for (int k = 0; k < 2; k++) {
    for (int m = 0; m < 2; m++) {
      char line[64];
      snprintf(line, sizeof line, "/bin/sh -c '%s'", floods[k][0]);
      issim_loss *f = command_loss(2, line, (issim_command_mode)m, 10);
      double y[4] = {1, 2, 3, 4}, o[2];
      ck_assert_int_eq(issim_loss_eval(f, 2, y, o), ISSIM_ELOSS);
      ck_assert_msg(strstr(issim_loss_error(f), floods[k][1]) != NULL, "%s", issim_loss_error(f));
      issim_loss_free(f);
    }
  }
  /* batch mode takes a block-buffered program as it is */
  issim_loss *g = command_loss(2, MISBEHAVE " buffered", B, 10);
  double x[4] = {1, 2, 3, 4}, out[2];
  ck_assert_int_eq(issim_loss_eval(g, 2, x, out), ISSIM_OK);
  ck_assert(out[0] == 3 && out[1] == 7);
  issim_loss_free(g);
  /* a program that cannot be started: a directory where the program is */
  const char *argv[] = {"/bin/sh", "-c", "exit 0", NULL};
  issim_command_spec spec = {.argv = argv, .timeout = 10};
  ck_assert_ptr_nonnull(g = issim_command_alloc(2, &spec, NULL));
  ck_assert_int_eq(issim_loss_eval(g, 2, x, out), ISSIM_ELOSS); /* it answers nothing */
  ck_assert_msg(strstr(issim_loss_error(g), "answered 0 lines for 2 points, and exited with "
                                            "status 0") != NULL, "%s", issim_loss_error(g));
  issim_loss_free(g);
}
END_TEST

START_TEST(test_stream_extra_lines_are_seen)
{
  /* "extra" answers each point twice: in stream mode the answers of a batch
   * are complete at 3 lines; the rest is seen then or before the next */
  issim_loss *g = command_loss(2, MISBEHAVE " extra", ISSIM_COMMAND_STREAM, 10);
  double x[6] = {1, 2, 3, 4, 5, 6}, out[3];
  int rc = issim_loss_eval(g, 3, x, out);
  if (rc == ISSIM_OK)
    rc = issim_loss_eval(g, 3, x, out);
  ck_assert_int_eq(rc, ISSIM_ELOSS);
  ck_assert_msg(strstr(issim_loss_error(g), "more lines than") != NULL, "%s", issim_loss_error(g));
  issim_loss_free(g);
}
END_TEST

/* ---- in a scenario ---- */

/* x1 + x2 + x3 of three standard normals above 4 sd: P = Q(4) */
static char *sum_scenario(const char *loss_keys)
{
  char *text = malloc(2048);
  snprintf(text, 2048,
           "[target]\ndistribution = independent\ndimension = 3\ncomponent = normal\n"
           "[event]\n%s\nthreshold = %.17g\n"
           "[proposal shifted]\ndistribution = shifted-target\nshift = design-point\n",
           loss_keys, 4 * sqrt(3.0));
  return text;
}

START_TEST(test_exact_and_the_same_digits_for_any_worker_count)
{
  const char *keys[] = {
    "loss = expression\nexpression = x1 + x2 + x3",
    "loss = command\ncommand = " MISBEHAVE " sum",
    "loss = command\ncommand = " MISBEHAVE " sum\nmode = stream",
  };
  const int threads[] = {2, 1, 3};
  issim_estimate e[3];
  double exact = log_normal_sf(4);
  for (int k = 0; k < 3; k++) {
    char *text = sum_scenario(keys[k]);
    e[k] = estimate_of_text(text, "shifted", 50000, threads[k]);
    free(text);
    ck_assert_within_4se(exp(e[k].log_estimate - exact), 1, e[k].relative_error);
    ck_assert_uint_eq(e[k].hits, e[0].hits);
    ck_assert(e[k].log_estimate == e[0].log_estimate);
    ck_assert(e[k].log_std_error == e[0].log_std_error);
  }
}
END_TEST

/* Crude draws of two normals, the program failing on a draw with x1 above t
 * (the first is in the second block of 65536 for t = 4.2). */
static int failing_run(double t, int threads, issim_result *r, issim_error *err)
{
  char text[1024];
  snprintf(text, sizeof text,
           "[target]\ndistribution = independent\ndimension = 2\ncomponent = normal\n"
           "[event]\nloss = command\ncommand = " MISBEHAVE " sum --fail-above %g\nmode = stream\n"
           "threshold = 3\n[proposal crude]\ndistribution = target\n", t);
  issim_scenario *s = scenario_parse_ok(text, "test.ini");
  int rc = analyse_named(s, "crude", 1000000, threads, r, err);
  r->proposal = NULL;
  issim_scenario_free(s);
  return rc;
}

START_TEST(test_a_failure_ends_a_partial_run_the_same_for_any_worker_count)
{
  issim_result r[3];
  issim_error err[3];
  const int threads[3] = {1, 2, 4};
  for (int k = 0; k < 3; k++) {
    ck_assert_int_eq(failing_run(4.45, threads[k], &r[k], &err[k]), ISSIM_ELOSS);
    ck_assert_int_eq(r[k].stopped_by, ISSIM_STOP_LOSS);
    ck_assert_str_eq(r[k].failure, err[k].message);
    ck_assert_msg(strstr(r[k].failure, "the program exited with status 1 after answering") != NULL,
                  "%s", r[k].failure);
    ck_assert_uint_eq(r[k].estimate.samples, r[0].estimate.samples);
    ck_assert(r[k].estimate.log_estimate == r[0].estimate.log_estimate);
    ck_assert_str_eq(r[k].failure, r[0].failure);
    ck_assert_int_eq(r[k].verdict.level, ISSIM_UNRELIABLE);
    issim_result_clear(&r[k]);
  }
  uint64_t n = r[0].estimate.samples;
  ck_assert_uint_gt(n, ISSIM_BLOCK_SIZE); /* the failure was past the first block */
  ck_assert_uint_eq(n % 512, 0);           /* the run ends before the failed batch */
  char want[64];
  snprintf(want, sizeof want, "draws %llu to %llu: ", (unsigned long long)n + 1,
           (unsigned long long)n + 512);
  ck_assert_msg(strncmp(r[0].failure, want, strlen(want)) == 0, "%s", r[0].failure);
  /* the partial run is the fixed run of as many draws */
  char text[1024];
  snprintf(text, sizeof text,
           "[target]\ndistribution = independent\ndimension = 2\ncomponent = normal\n"
           "[event]\nloss = sum\nthreshold = 3\n[proposal crude]\ndistribution = target\n");
  issim_estimate fixed = estimate_of_text(text, "crude", n, 2);
  ck_assert_uint_eq(fixed.hits, r[0].estimate.hits);
  ck_assert(fixed.log_estimate == r[0].estimate.log_estimate);
  /* a model failing everywhere: the failure regions' search goes without
   * (the regions are not checked), and the first batch ends the run with
   * nothing drawn: the error alone, nothing to report */
  issim_result none;
  issim_error e;
  ck_assert_int_eq(failing_run(-10, 2, &none, &e), ISSIM_ELOSS);
  ck_assert_uint_eq(none.estimate.samples, 0);
  ck_assert_msg(strstr(e.message, "draws 1 to 512: command ") == e.message, "%s", e.message);
  ck_assert_msg(strstr(e.message, "failed on a batch of 512 points from x = (") != NULL,
                "%s", e.message);
  issim_result_clear(&none);
}
END_TEST

START_TEST(test_scenario_errors)
{
  const struct { const char *keys, *want; } cases[] = {
    {"loss = command", "test.ini:6: loss = command needs 'command', the program and its arguments"},
    {"loss = command\ncommand = ./no-such-solver --x",
     "test.ini:7: cannot run './no-such-solver' from "},
    {"loss = command\ncommand = 'unclosed", "test.ini:7: a quote (\" or ') is not closed"},
    {"loss = command\ncommand = " MISBEHAVE "\ntimeout = -2",
     "test.ini:8: timeout must be the seconds one batch of points may take"},
    {"loss = command\ncommand = " MISBEHAVE "\nmode = fast",
     "test.ini:8: mode must be batch (the program is started for each batch of points) or stream"},
    {"loss = command\ncommand = " MISBEHAVE "\nfunction = f",
     "test.ini:8: function applies to loss = plugin (the loss here is command)"},
    {"loss = max\ncommand = " MISBEHAVE, "test.ini:7: command applies to loss = command (the loss "
                                          "here is max)"},
    {"loss = command\ncommand = " MISBEHAVE "\nexpression = x1",
     "test.ini:8: expression applies to loss = expression (the loss here is command)"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    char text[1024];
    snprintf(text, sizeof text,
             "[target]\ndistribution = independent\ndimension = 2\ncomponent = normal\n"
             "[event]\n%s\nthreshold = 3\n[proposal crude]\ndistribution = target\n",
             cases[i].keys);
    issim_error err;
    ck_assert_ptr_null(issim_scenario_parse(text, "test.ini", &err));
    ck_assert_int_eq(err.code, ISSIM_EINVAL);
    ck_assert_msg(strstr(err.message, cases[i].want) != NULL, "'%s' not in '%s'", cases[i].want,
                  err.message);
  }
}
END_TEST

/* ---- the command line ---- */

static outcome run_issim(const char *const *args)
{
  return run_program(ISSIM_BIN, args);
}

static int by_text(const void *a, const void *b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* An array's elements in the order of their text (compare ranks by work,
 * which is timed): a new array. */
static json_t *sorted(json_t *a)
{
  size_t n = json_array_size(a), i;
  char **text = calloc(n ? n : 1, sizeof *text);
  json_t *v, *out = json_array();
  json_array_foreach(a, i, v)
    text[i] = json_dumps(v, JSON_SORT_KEYS | JSON_REAL_PRECISION(17) | JSON_ENCODE_ANY);
  qsort(text, n, sizeof *text, by_text);
  for (i = 0; i < n; i++) {
    json_array_append_new(out, json_string(text[i]));
    free(text[i]);
  }
  free(text);
  return out;
}

/* The JSON report without what may differ between runs of the same draws:
 * timings and what depends on them (compare's work-normalised ranking), the
 * thread count, and the scenario's name, file and loss. */
static void strip(json_t *j)
{
  static const char *const keys[] = {"seconds", "threads", "scenario", "file", "event",
                                     "efficiency", "log10_gain_over_crude_work", "rank"};
  if (json_is_object(j)) {
    for (size_t k = 0; k < sizeof keys / sizeof *keys; k++)
      json_object_del(j, keys[k]);
    const char *key;
    json_t *v;
    json_object_foreach(j, key, v) {
      strip(v);
      if (json_is_array(v))
        json_object_set_new(j, key, sorted(v));
    }
  } else if (json_is_array(j)) {
    size_t i;
    json_t *v;
    json_array_foreach(j, i, v)
      strip(v);
  }
}

/* issim COMMAND FILE ARGS... --threads T --format json, stripped, as text */
static char *digits(const char *command, const char *file, const char *const *args,
                    const char *threads)
{
  char path[4096];
  shipped_scenario(SCENARIO_DIR, BUILD_DIR, file, path, sizeof path);
  const char *argv[24] = {command, path, "--format", "json", "--threads", threads};
  size_t n = 6;
  for (size_t i = 0; args[i]; i++)
    argv[n++] = args[i];
  argv[n] = NULL;
  outcome o = run_issim(argv);
  ck_assert_msg(o.status == 0, "%s %s: exit %d: %s", command, file, o.status, o.err);
  json_t *root = parse_json(o.out);
  outcome_free(&o);
  strip(root);
  char *text = json_dumps(root, JSON_SORT_KEYS | JSON_REAL_PRECISION(17));
  json_decref(root);
  return text;
}

START_TEST(test_expression_plugin_and_command_give_the_same_digits)
{
  /* four-branch.ini's limit state as an expression, a plugin and a program:
   * run, compare, calibrate and adapt, at 1 and 2 threads */
  const char *files[3] = {"four-branch.ini", "four-branch-plugin.ini", "four-branch-command.ini"};
  const char *run[] = {"--samples", "20000", NULL};
  const char *calibrate[] = {"--samples", "5000", "--reps", "4", "--proposal", "four", NULL};
  const char *adapt[] = {"--samples", "20000", "--proposal", "ce", NULL};
  const struct { const char *command; const char *const *args; } cases[] = {
    {"run", run}, {"compare", run}, {"calibrate", calibrate}, {"adapt", adapt},
  };
  for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
    char *want = digits(cases[c].command, files[0], cases[c].args, "1");
    for (int f = 1; f < 3; f++)
      for (int t = 1; t <= 2; t++) {
        char *got = digits(cases[c].command, files[f], cases[c].args, t == 1 ? "1" : "2");
        ck_assert_msg(strcmp(got, want) == 0, "issim %s %s --threads %d differs from %s",
                      cases[c].command, files[f], t, files[0]);
        free(got);
      }
    free(want);
  }
}
END_TEST

/* A scenario file of two normals whose loss runs `command` (absolute paths),
 * its proposals `proposals`; the caller unlinks path. */
static void command_scenario(char *path, const char *command, const char *extra,
                             const char *proposals)
{
  strcpy(path, "/tmp/issim-command-XXXXXX.ini");
  temp_file(path, 4);
  char text[2048];
  snprintf(text, sizeof text,
           "[target]\ndistribution = independent\ndimension = 2\ncomponent = normal\n"
           "[event]\nloss = command\ncommand = %s\n%sthreshold = 3\n%s", command, extra,
           proposals);
  write_file(path, text);
}

static const char CRUDE[] = "[proposal crude]\ndistribution = target\n[run]\nsamples = 1000000\nseed = 2024\n";

START_TEST(test_cli_failures)
{
  char path[64];
  /* a program that is not there: bad input, nothing on stdout */
  command_scenario(path, "./no-such-solver", "", CRUDE);
  const char *args[] = {"run", path, NULL};
  outcome o = run_issim(args);
  ck_assert_int_eq(o.status, 2);
  ck_assert_str_eq(o.out, "");
  ck_assert_msg(strstr(o.err, ".ini:7: cannot run './no-such-solver' from /tmp: No such file or "
                              "directory") != NULL, "%s", o.err);
  outcome_free(&o);
  unlink(path);
  /* a program that fails part-way: the partial run reported, then why, status 1 */
  command_scenario(path, MISBEHAVE " sum --fail-above 4.45", "mode = stream\n", CRUDE);
  o = run_issim(args);
  ck_assert_int_eq(o.status, 1);
  ck_assert_msg(strstr(o.out, "PARTIAL    the loss failed: proposal crude holds the draws before "
                              "the failure") != NULL, "%s", o.out);
  ck_assert_msg(strstr(o.out, "stopped by       the loss's failure: partial") != NULL, "%s", o.out);
  ck_assert_msg(strstr(o.out, "  verdict          unreliable") != NULL, "%s", o.out);
  /* the program's own standard error, then issim's message */
  ck_assert_msg(strstr(o.err, "misbehave: x1 = ") == o.err, "%s", o.err);
  ck_assert_msg(strstr(o.err, "\nissim: draws 905217 to 905728: command " MISBEHAVE " sum "
                              "--fail-above 4.45 failed on a batch of 512 points from x = (") !=
                NULL, "%s", o.err);
  ck_assert_msg(strstr(o.err, "the program exited with status 1 after answering 380 of its 512 "
                              "points") != NULL, "%s", o.err);
  outcome_free(&o);
  const char *json[] = {"run", path, "--format", "json", "--threads", "3", NULL};
  o = run_issim(json);
  ck_assert_int_eq(o.status, 1);
  json_t *root = parse_json(o.out), *r = json_array_get(json_object_get(root, "results"), 0);
  ck_assert(json_is_true(json_object_get(root, "partial")));
  ck_assert(json_is_true(json_object_get(r, "partial")));
  ck_assert_str_eq(json_string_value(json_object_get(r, "stopped_by")), "loss-failed");
  ck_assert_int_eq(json_integer_value(json_object_get(r, "samples")), 905216);
  ck_assert_msg(strstr(json_string_value(json_object_get(r, "failure")), "draws 905217 to 905728")
                != NULL, "%s", o.out);
  json_decref(root);
  outcome_free(&o);
  unlink(path);
  /* a program that hangs: the timeout ends it */
  command_scenario(path, MISBEHAVE " hang", "timeout = 0.5\n", CRUDE);
  const char *form[] = {"form", path, NULL};
  o = run_issim(form);
  ck_assert_int_eq(o.status, 1);
  ck_assert_msg(strstr(o.err, "no complete answer within the timeout of 0.5 s") != NULL, "%s",
                o.err);
  outcome_free(&o);
  unlink(path);
  /* adapt: the levels before the failure are shown */
  command_scenario(path, MISBEHAVE " sum --fail-above 4.5", "mode = stream\n",
                   "[proposal ce]\ndistribution = adaptive\n");
  const char *adapt[] = {"adapt", path, NULL};
  o = run_issim(adapt);
  ck_assert_int_eq(o.status, 1);
  ck_assert_msg(strstr(o.out, "  LOSS FAILED: the loss failed at level ") != NULL, "%s", o.out);
  ck_assert_msg(strstr(o.out, "      1 ") != NULL, "%s", o.out); /* level 1's line */
  outcome_free(&o);
  unlink(path);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("command");
  TCase *tc = tcase_create("protocol");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_split);
  tcase_add_test(tc, test_the_program_is_found_or_refused);
  tcase_add_test(tc, test_both_modes_exact_digits);
  tcase_add_test(tc, test_every_failure_of_the_protocol);
  tcase_add_test(tc, test_stream_extra_lines_are_seen);
  suite_add_tcase(s, tc);
  tc = tcase_create("scenario");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_exact_and_the_same_digits_for_any_worker_count);
  tcase_add_test(tc, test_a_failure_ends_a_partial_run_the_same_for_any_worker_count);
  tcase_add_test(tc, test_scenario_errors);
  suite_add_tcase(s, tc);
  tc = tcase_create("cli");
  tcase_set_timeout(tc, 300);
  tcase_add_test(tc, test_expression_plugin_and_command_give_the_same_digits);
  tcase_add_test(tc, test_cli_failures);
  suite_add_tcase(s, tc);
  return run_suite(s);
}
