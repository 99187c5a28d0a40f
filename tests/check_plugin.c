/* Tests of src/plugin.c and of a scenario's loss = plugin: loading, the
 * per-thread states, every failure with its message, relative paths, and an
 * estimate with a plugin loss against the exact answer and against the same
 * loss as an expression (the same digits).  The plugins are
 * tests/testplugin.c and the shipped example examples/limit.c, which make
 * check builds (TESTS_DIR, EXAMPLES_DIR). */
#define _POSIX_C_SOURCE 200809L /* mkdtemp, symlink */

#include <check.h>
#include <dlfcn.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check_main.h"
#include "check_util.h"
#include "issim.h"

#define TEST_PLUGIN TESTS_DIR "/testplugin.so"

static issim_loss *load(const issim_plugin_spec *spec, size_t d)
{
  issim_error err;
  issim_loss *g = issim_plugin_alloc(d, spec, &err);
  ck_assert_msg(g != NULL, "%s", err.message);
  return g;
}

/* The plugin's count of live states (its own static, the same library). */
static int live_states(void)
{
  void *h = dlopen(TEST_PLUGIN, RTLD_NOW | RTLD_LOCAL);
  ck_assert_ptr_nonnull(h);
  void *sym = dlsym(h, "tp_states");
  ck_assert_ptr_nonnull(sym);
  int (*states)(void);
  memcpy(&states, &sym, sizeof sym);
  int n = states();
  dlclose(h);
  return n;
}

START_TEST(test_loads_and_evaluates)
{
  issim_plugin_spec spec = {.library = TEST_PLUGIN, .function = "tp_sum"};
  issim_loss *g = load(&spec, 3);
  char what[512];
  issim_loss_describe(g, what, sizeof what);
  ck_assert_str_eq(what, "plugin " TEST_PLUGIN ":tp_sum");
  double x[6] = {1, 2, 3, -1, 0.5, 0.25}, out[2];
  ck_assert_int_eq(issim_loss_eval(g, 2, x, out), ISSIM_OK);
  ck_assert(out[0] == 6 && out[1] == -0.25);
  issim_loss_free(g);
}
END_TEST

START_TEST(test_a_state_per_copy)
{
  issim_plugin_spec spec = {.library = TEST_PLUGIN, .function = "tp_linear", .init = "tp_init",
                            .free = "tp_free", .message = "tp_message", .parameters = "1 -2"};
  issim_loss *g = load(&spec, 2);
  ck_assert_int_eq(live_states(), 0); /* the check of the parameters freed its state */
  issim_loss *c[3];
  double x[2] = {1, 1}, out;
  for (int k = 0; k < 3; k++) {
    ck_assert_ptr_nonnull(c[k] = issim_loss_clone(g));
    ck_assert_int_eq(issim_loss_eval(c[k], 1, x, &out), ISSIM_OK);
    ck_assert(out == -1);
  }
  ck_assert_int_eq(live_states(), 3);
  issim_loss_free(g);
  for (int k = 0; k < 3; k++)
    issim_loss_free(c[k]);
  ck_assert_int_eq(live_states(), 0);
}
END_TEST

static void expect_refused(const issim_plugin_spec *spec, const char *key, const char *text)
{
  issim_error err;
  ck_assert_ptr_null(issim_plugin_alloc(2, spec, &err));
  ck_assert_int_eq(err.code, ISSIM_EINVAL);
  ck_assert_str_eq(err.key, key);
  ck_assert_msg(strstr(err.message, text) != NULL, "'%s' not in '%s'", text, err.message);
}

START_TEST(test_what_cannot_be_loaded)
{
  issim_plugin_spec spec = {.library = TESTS_DIR "/no-such-plugin.so", .function = "tp_sum"};
  expect_refused(&spec, "library", "cannot load the plugin " TESTS_DIR "/no-such-plugin.so: ");
  /* not a shared library at all */
  spec.library = TESTS_DIR "/testplugin.c";
  expect_refused(&spec, "library", "cannot load the plugin");
  /* a library that is not an issim plugin: never called, whatever its symbols */
  spec.library = "libm.so.6";
  spec.function = "cos";
  expect_refused(&spec, "library", "libm.so.6 is not an issim plugin: it does not define "
                                   "issim_plugin_abi (int issim_plugin_abi = 1; in one of its files)");
  spec.library = TESTS_DIR "/testplugin-v2.so";
  spec.function = "tp_sum";
  expect_refused(&spec, "library", "the plugin " TESTS_DIR "/testplugin-v2.so was made for "
                                   "version 2 of issim's plugin interface; this issim has version 1");
  spec.library = TEST_PLUGIN;
  spec.function = "nope";
  expect_refused(&spec, "function", "the plugin " TEST_PLUGIN " has no symbol 'nope' (function = nope)");
  spec.function = "tp_linear";
  spec.init = "tp_start";
  expect_refused(&spec, "init", "has no symbol 'tp_start' (init = tp_start)");
  spec.init = "tp_init";
  spec.free = "tp_release";
  expect_refused(&spec, "free", "has no symbol 'tp_release'");
  spec.free = NULL;
  spec.parameters = "refuse";
  spec.message = "tp_message";
  expect_refused(&spec, "parameters", "the plugin's tp_init refused the parameters 'refuse' (it "
                                      "returned 3): the parameters say refuse");
}
END_TEST

START_TEST(test_failures_while_evaluating)
{
  issim_plugin_spec spec = {.library = TEST_PLUGIN, .function = "tp_fail", .init = "tp_init",
                            .free = "tp_free", .message = "tp_message", .parameters = "0.5 0"};
  issim_loss *g = load(&spec, 2);
  double x[4] = {0, 0, 1, 2}, out[2];
  ck_assert_int_eq(issim_loss_eval(g, 1, x, out), ISSIM_OK);
  ck_assert_int_eq(issim_loss_eval(g, 2, x, out), ISSIM_ELOSS);
  ck_assert_str_eq(issim_loss_error(g), "plugin " TEST_PLUGIN ":tp_fail failed on a batch of 2 "
                                        "points from x = (0, 0): x1 = 1 is above 0.5");
  issim_loss_free(g);
  spec.function = "tp_nan";
  g = load(&spec, 2);
  ck_assert_int_eq(issim_loss_eval(g, 2, x, out), ISSIM_ELOSS);
  ck_assert_ptr_nonnull(strstr(issim_loss_error(g), "tp_nan returned NaN for x = (1, 2) (point 2 "
                                                    "of a batch of 2)"));
  issim_loss_free(g);
}
END_TEST

/* ---- in a scenario ---- */

/* x1 - 2 x2 + 0.5 x3 of three standard normals above 4 sd: P = Q(4) */
#define LINEAR_SD 2.2912878474779199 /* sqrt(5.25) */

static char *linear_scenario(const char *loss_keys)
{
  char *text = malloc(2048);
  snprintf(text, 2048,
           "[target]\ndistribution = independent\ndimension = 3\ncomponent = normal\n"
           "[event]\n%s\nthreshold = %.17g\n"
           "[proposal shifted]\ndistribution = shifted-target\nshift = design-point\n"
           "[run]\nsamples = 100000\n", loss_keys, 4 * LINEAR_SD);
  return text;
}

START_TEST(test_exact_and_the_same_digits_as_an_expression)
{
  const char *keys[] = {
    "loss = expression\nexpression = x1 - 2*x2 + 0.5*x3",
    "loss = plugin\nlibrary = " TEST_PLUGIN "\nfunction = tp_linear\ninit = tp_init\n"
    "free = tp_free\nparameters = 1 -2 0.5",
    "loss = plugin\nlibrary = " EXAMPLES_DIR "/limit.so\nfunction = limit_linear\n"
    "init = limit_init\nfree = limit_free\nmessage = limit_message\nparameters = 1 -2 0.5",
  };
  issim_estimate e[3];
  double exact = log_normal_sf(4);
  for (int k = 0; k < 3; k++) {
    char *text = linear_scenario(keys[k]);
    e[k] = estimate_of_text(text, "shifted", 100000, k == 1 ? 1 : 3);
    free(text);
    ck_assert_within_4se(exp(e[k].log_estimate - exact), 1, e[k].relative_error);
    ck_assert_uint_eq(e[k].hits, e[0].hits);
    ck_assert(e[k].log_estimate == e[0].log_estimate); /* the same digits, any thread count */
    ck_assert(e[k].log_std_error == e[0].log_std_error);
  }
}
END_TEST

/* A scenario file in a directory of its own, with the test plugin beside it
 * as lib/plugin.so; returns the file's path (the directory is its dirname). */
static void scenario_beside_plugin(char *dir, char *file, size_t size, const char *event)
{
  ck_assert_ptr_nonnull(mkdtemp(dir));
  char lib[512], link[512];
  snprintf(lib, sizeof lib, "%s/lib", dir);
  ck_assert_int_eq(mkdir(lib, 0700), 0);
  snprintf(link, sizeof link, "%s/lib/plugin.so", dir);
  ck_assert_int_eq(symlink(TEST_PLUGIN, link), 0);
  snprintf(file, size, "%s/s.ini", dir);
  char text[2048];
  snprintf(text, sizeof text,
           "[target]\ndistribution = independent\ndimension = 2\ncomponent = normal\n"
           "[event]\n%s\nthreshold = 3\n[proposal crude]\ndistribution = target\n", event);
  write_file(file, text);
}

static void remove_beside(const char *dir)
{
  char path[512];
  snprintf(path, sizeof path, "%s/lib/plugin.so", dir);
  unlink(path);
  snprintf(path, sizeof path, "%s/lib", dir);
  rmdir(path);
  snprintf(path, sizeof path, "%s/s.ini", dir);
  unlink(path);
  rmdir(dir);
}

START_TEST(test_paths_are_relative_to_the_scenario)
{
  char dir[] = "/tmp/issim-plugin-XXXXXX", file[512];
  scenario_beside_plugin(dir, file, sizeof file, "loss = plugin\nlibrary = lib/plugin.so\n"
                                                 "function = tp_sum");
  /* read from elsewhere: the library is found beside the scenario */
  ck_assert_int_eq(chdir("/"), 0);
  issim_error err;
  issim_scenario *s = issim_scenario_read(file, &err);
  ck_assert_msg(s != NULL, "%s", err.message);
  char event[512];
  issim_scenario_describe_event(s, event, sizeof event);
  ck_assert_msg(strstr(event, "/lib/plugin.so:tp_sum of x1..x2 > 3") != NULL, "%s", event);
  issim_scenario_free(s);
  remove_beside(dir);
  strcpy(dir, "/tmp/issim-plugin-XXXXXX");
  /* a bare name is a file of the scenario's directory, not a search of the
   * system's library path */
  scenario_beside_plugin(dir, file, sizeof file, "loss = plugin\nlibrary = libm.so.6\n"
                                                 "function = cos");
  ck_assert_ptr_null(issim_scenario_read(file, &err));
  ck_assert_msg(strstr(err.message, "s.ini:7: cannot load the plugin ") != NULL, "%s", err.message);
  ck_assert_msg(strstr(err.message, "/libm.so.6: ") != NULL, "%s", err.message);
  remove_beside(dir);
}
END_TEST

static void expect_scenario_error(const char *event, const char *want)
{
  char text[2048];
  snprintf(text, sizeof text,
           "[target]\ndistribution = independent\ndimension = 2\ncomponent = normal\n"
           "[event]\n%s\nthreshold = 3\n[proposal crude]\ndistribution = target\n", event);
  issim_error err;
  issim_scenario *s = issim_scenario_parse(text, "test.ini", &err);
  ck_assert_ptr_null(s);
  ck_assert_int_eq(err.code, ISSIM_EINVAL);
  ck_assert_msg(strstr(err.message, want) != NULL, "'%s' not in '%s'", want, err.message);
}

START_TEST(test_scenario_errors)
{
  expect_scenario_error("loss = plugin\nfunction = tp_sum",
                        "test.ini:6: loss = plugin needs 'library', the shared library");
  expect_scenario_error("loss = plugin\nlibrary = " TEST_PLUGIN "\nfunction = tp_none",
                        "test.ini:8: the plugin " TEST_PLUGIN " has no symbol 'tp_none'");
  expect_scenario_error("loss = plugin\nlibrary = " TEST_PLUGIN "\nfunction = tp_linear\n"
                        "init = tp_init\nparameters = refuse",
                        "test.ini:10: the plugin's tp_init refused the parameters 'refuse'");
  expect_scenario_error("loss = sum\nlibrary = x.so",
                        "test.ini:7: library applies to loss = plugin (the loss here is sum)");
  expect_scenario_error("loss = plugin\nlibrary = " TEST_PLUGIN "\nfunction = tp_sum\ntimeout = 3",
                        "test.ini:9: timeout applies to loss = command (the loss here is plugin)");
  expect_scenario_error("loss = plugin\nlibrary = " TEST_PLUGIN "\nfunction = tp_sum\nweights = 1 2",
                        "test.ini:9: weights applies to loss = linear (the loss here is plugin)");
  expect_scenario_error("loss = plugn", "unknown loss 'plugn' (known: identity, linear, sum, max, "
                                        "min, norm, expression, plugin, command)");
  /* a univariate target's loss is x itself */
  const char *uni = "[target]\ndistribution = normal\nmean = 0\nsd = 1\n[event]\nloss = plugin\n"
                    "library = " TEST_PLUGIN "\nfunction = tp_sum\nthreshold = 3\n"
                    "[proposal crude]\ndistribution = target\n";
  issim_error err;
  ck_assert_ptr_null(issim_scenario_parse(uni, "u.ini", &err));
  ck_assert_msg(strstr(err.message, "u.ini:6: loss = plugin needs a multivariate target") != NULL,
                "%s", err.message);
}
END_TEST

/* ---- the command line ---- */

static outcome run_issim(const char *const *args)
{
  return run_program(ISSIM_BIN, args);
}

/* A scenario file of two normals whose loss is `keys`; the caller unlinks path. */
static void plugin_scenario(char *path, const char *keys)
{
  strcpy(path, "/tmp/issim-plugin-XXXXXX.ini");
  temp_file(path, 4);
  char text[2048];
  snprintf(text, sizeof text,
           "[target]\ndistribution = independent\ndimension = 2\ncomponent = normal\n"
           "[event]\nloss = plugin\nlibrary = " TEST_PLUGIN "\n%s\nthreshold = 3\n"
           "[proposal crude]\ndistribution = target\n[run]\nsamples = 400000\nseed = 3\n", keys);
  write_file(path, text);
}

static outcome run_plugin(const char *command, const char *keys, const char *const *more)
{
  char path[64];
  plugin_scenario(path, keys);
  const char *args[16] = {command, path};
  size_t n = 2;
  for (size_t i = 0; more && more[i]; i++)
    args[n++] = more[i];
  args[n] = NULL;
  outcome o = run_issim(args);
  unlink(path);
  return o;
}

START_TEST(test_cli_failures)
{
  /* what cannot be loaded is bad input (2), with the file and line, and
   * nothing on the standard output */
  outcome o = run_plugin("run", "function = tp_nowhere", NULL);
  ck_assert_int_eq(o.status, 2);
  ck_assert_str_eq(o.out, "");
  ck_assert_msg(strstr(o.err, ".ini:8: the plugin " TEST_PLUGIN " has no symbol 'tp_nowhere'") !=
                NULL, "%s", o.err);
  outcome_free(&o);
  /* a model that fails while running: the draws before it, then why (1) */
  const char *fail = "function = tp_fail\ninit = tp_init\nfree = tp_free\nmessage = tp_message\n"
                     "parameters = 3.9";
  o = run_plugin("run", fail, NULL);
  ck_assert_int_eq(o.status, 1);
  ck_assert_msg(strstr(o.out, "PARTIAL    the loss failed") != NULL, "%s", o.out);
  ck_assert_msg(strstr(o.err, ":tp_fail failed on a batch of 512 points from x = (") != NULL &&
                strstr(o.err, "): x1 = ") != NULL && strstr(o.err, " is above 3.9\n") != NULL,
                "%s", o.err);
  ck_assert_msg(strncmp(o.err, "issim: draws ", 13) == 0, "%s", o.err);
  outcome_free(&o);
  /* the same partial run for any thread count */
  const char *one[] = {"--format", "json", "--threads", "1", NULL};
  const char *four[] = {"--format", "json", "--threads", "4", NULL};
  outcome a = run_plugin("run", fail, one), b = run_plugin("run", fail, four);
  ck_assert_int_eq(a.status, 1);
  json_t *ja = parse_json(a.out), *jb = parse_json(b.out);
  json_t *ra = json_array_get(json_object_get(ja, "results"), 0);
  json_t *rb = json_array_get(json_object_get(jb, "results"), 0);
  ck_assert_int_eq(json_integer_value(json_object_get(ra, "samples")),
                   json_integer_value(json_object_get(rb, "samples")));
  ck_assert(json_real_value(json_object_get(ra, "estimate")) ==
            json_real_value(json_object_get(rb, "estimate")));
  ck_assert_str_eq(json_string_value(json_object_get(ra, "failure")),
                   json_string_value(json_object_get(rb, "failure")));
  ck_assert_str_eq(a.err, b.err);
  json_decref(ja), json_decref(jb);
  outcome_free(&a), outcome_free(&b);
  /* NaN, in calibrate: the replication is named */
  const char *reps[] = {"--reps", "3", NULL};
  o = run_plugin("calibrate", "function = tp_nan\ninit = tp_init\nparameters = 3.9", reps);
  ck_assert_int_eq(o.status, 1);
  ck_assert_msg(strstr(o.err, "issim: replication 1 of 3: draws ") == o.err, "%s", o.err);
  ck_assert_msg(strstr(o.err, "tp_nan returned NaN for x = (") != NULL, "%s", o.err);
  outcome_free(&o);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("plugin");
  TCase *tc = tcase_create("library");
  tcase_add_test(tc, test_loads_and_evaluates);
  tcase_add_test(tc, test_a_state_per_copy);
  tcase_add_test(tc, test_what_cannot_be_loaded);
  tcase_add_test(tc, test_failures_while_evaluating);
  suite_add_tcase(s, tc);
  tc = tcase_create("scenario");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_exact_and_the_same_digits_as_an_expression);
  tcase_add_test(tc, test_paths_are_relative_to_the_scenario);
  tcase_add_test(tc, test_scenario_errors);
  suite_add_tcase(s, tc);
  tc = tcase_create("cli");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_cli_failures);
  suite_add_tcase(s, tc);
  return run_suite(s);
}
