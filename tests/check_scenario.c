/* check_scenario.c: unit tests for the scenario parser (src/scenario.c).
 *
 * Every error case checks the error code and the exact message, including
 * the "test.ini:LINE: " prefix: the line must be the one of the offending key,
 * or of the section header when a key is missing.
 */
#define _POSIX_C_SOURCE 200809L /* mkstemp, fdopen */

#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_rng.h>

#include "dist.h"
#include "error.h"
#include "scenario.h"
#include <gsl/gsl_math.h>
#include <gsl/gsl_sf_erf.h>

#include "check_main.h"
#include "check_util.h"

/* ---- building blocks (line counts in the comments) ---- */

#define TARGET "[target]\ndistribution = normal\nmean = 0\nsd = 1\n"   /* 4 lines */
#define EVENT "[event]\nthreshold = 5\n"                               /* 2 lines */
#define PROPOSAL "[proposal shifted]\ndistribution = normal\nmean = 5\n" /* 3 lines */
#define TEP TARGET EVENT PROPOSAL                                       /* 9 lines */

#define FAMILIES                                                               \
  "normal, student-t, exponential, gamma, lognormal, laplace, logistic, "      \
  "cauchy, weibull, pareto, gumbel, uniform, beta, chi-squared, truncated-normal, gev, "     \
  "triangular"

static const char *const EXAMPLE =
    "[scenario]\n"                                     /* 1 */
    "name = gaussian-5sigma\n"                         /* 2 */
    "description = A standard normal exceeding 5\n"    /* 3 */
    "\n"                                               /* 4 */
    "[target]\n"                                       /* 5 */
    "distribution = normal\n"                          /* 6 */
    "mean = 0\n"                                       /* 7 */
    "sd = 1\n"                                         /* 8 */
    "\n"                                               /* 9 */
    "[event]\n"                                        /* 10 */
    "threshold = 5          ; the event is x > threshold\n" /* 11 */
    "\n"                                               /* 12 */
    "[proposal shifted]\n"                             /* 13 */
    "distribution = normal\n"                          /* 14 */
    "mean = 5\n"                                       /* 15 */
    "sd = 1\n"                                         /* 16 */
    "\n"                                               /* 17 */
    "[proposal crude]\n"                               /* 18 */
    "distribution = target  ; plain Monte Carlo\n"     /* 19 */
    "\n"                                               /* 20 */
    "[run]\n"                                          /* 21 */
    "samples = 1000000\n"                              /* 22 */
    "seed = 42\n"                                      /* 23 */
    "rng = taus2\n";                                   /* 24 */

static issim_scenario *parse_ok(const char *text)
{
  return scenario_parse_ok(text, "test.ini");
}

static void expect_error(const char *text, int code, const char *message)
{
  issim_error err;
  issim_scenario *s = issim_scenario_parse(text, "test.ini", &err);
  if (s != NULL)
    issim_scenario_free(s);
  ck_assert_msg(s == NULL, "parsed, but expected: %s", message);
  ck_assert_str_eq(err.message, message);
  ck_assert_int_eq(err.code, code);
}

/* ======================================================================
 * Valid scenarios
 * ==================================================================== */

START_TEST(test_example)
{
  issim_scenario *s = parse_ok(EXAMPLE);
  ck_assert_str_eq(s->path, "test.ini");
  ck_assert_str_eq(s->name, "gaussian-5sigma");
  ck_assert_str_eq(s->description, "A standard normal exceeding 5");
  ck_assert_ptr_nonnull(issim_model_line_dist(s->target));
  ck_assert_int_eq(issim_model_line_dist(s->target)->kind, ISSIM_DIST_NORMAL);
  ck_assert_double_eq(issim_model_line_dist(s->target)->param[0], 0);
  ck_assert_double_eq(issim_model_line_dist(s->target)->param[1], 1);
  ck_assert_double_eq(s->event.threshold, 5);
  ck_assert_int_eq(s->event.direction, ISSIM_ABOVE);

  ck_assert_uint_eq(s->n_proposals, 2);
  ck_assert_str_eq(s->proposals[0].name, "shifted");
  ck_assert_int_eq(s->proposals[0].line, 13);
  ck_assert_ptr_nonnull(issim_model_line_dist(s->proposals[0].model));
  ck_assert_int_eq(issim_model_line_dist(s->proposals[0].model)->kind, ISSIM_DIST_NORMAL);
  ck_assert_double_eq(issim_model_line_dist(s->proposals[0].model)->param[0], 5);
  ck_assert_double_eq(issim_model_line_dist(s->proposals[0].model)->param[1], 1);
  ck_assert_str_eq(s->proposals[1].name, "crude");
  ck_assert_int_eq(s->proposals[1].line, 18);
  ck_assert_ptr_null(s->proposals[1].model);

  ck_assert_ptr_eq(issim_scenario_proposal(s, "crude"), &s->proposals[1]);
  ck_assert_ptr_eq(issim_scenario_proposal(s, "shifted"), &s->proposals[0]);
  ck_assert_ptr_null(issim_scenario_proposal(s, "nosuch"));

  ck_assert_uint_eq(s->samples, 1000000);
  ck_assert_uint_eq(s->seed, 42);
  ck_assert_ptr_eq(s->rng, gsl_rng_taus2);
  ck_assert_str_eq(s->rng->name, "taus2");
  issim_scenario_free(s);
}
END_TEST

START_TEST(test_defaults)
{
  issim_error err;
  issim_scenario *s = issim_scenario_parse(TEP, "some/dir/my-case.ini", &err);
  ck_assert_msg(s != NULL, "%s", err.message);
  ck_assert_str_eq(s->path, "some/dir/my-case.ini");
  ck_assert_str_eq(s->name, "my-case");
  ck_assert_str_eq(s->description, "");
  ck_assert_int_eq(s->event.direction, ISSIM_ABOVE);
  ck_assert_uint_eq(s->n_proposals, 1);
  ck_assert_uint_eq(s->samples, 1000000);
  ck_assert_uint_eq(s->seed, 1);
  ck_assert_ptr_eq(s->rng, gsl_rng_taus2);
  ck_assert_str_eq(s->rng->name, "taus2");
  /* parameters left out take the family's defaults */
  ck_assert_double_eq(issim_model_line_dist(s->proposals[0].model)->param[1], 1);
  issim_scenario_free(s);

  s = parse_ok(TEP);
  ck_assert_str_eq(s->name, "test");
  issim_scenario_free(s);

  /* only the last extension goes; a leading dot is not an extension */
  s = issim_scenario_parse(TEP, "a.b.ini", &err);
  ck_assert_ptr_nonnull(s);
  ck_assert_str_eq(s->name, "a.b");
  issim_scenario_free(s);
  s = issim_scenario_parse(TEP, "/x/.hidden", &err);
  ck_assert_ptr_nonnull(s);
  ck_assert_str_eq(s->name, ".hidden");
  issim_scenario_free(s);

  /* an empty [scenario] or [run] changes nothing */
  s = parse_ok("[scenario]\n[run]\n" TEP);
  ck_assert_str_eq(s->name, "test");
  ck_assert_uint_eq(s->samples, 1000000);
  ck_assert_uint_eq(s->seed, 1);
  issim_scenario_free(s);
}
END_TEST

/* [event] reference: a probability known from elsewhere, in logs */
START_TEST(test_reference)
{
  issim_scenario *s = scenario_parse_ok("[target]\ndistribution = normal\n"
                                        "[event]\nthreshold = 5\nreference = 2.87e-7\n"
                                        "[proposal q]\ndistribution = target\n", "test.ini");
  assert_close(s->reference_log, log(2.87e-7), 1e-12);
  issim_scenario_free(s);
  s = scenario_parse_ok("[target]\ndistribution = normal\n[event]\nthreshold = 5\n"
                        "[proposal q]\ndistribution = target\n", "test.ini");
  ck_assert(isnan(s->reference_log));
  issim_scenario_free(s);
  static const char *const bad[] = {"0", "1.5", "-1e-3", "nan", "about 1e-5"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    char text[256];
    snprintf(text, sizeof text, "[target]\ndistribution = normal\n[event]\nthreshold = 5\n"
                                "reference = %s\n[proposal q]\ndistribution = target\n", bad[i]);
    issim_error err;
    ck_assert_ptr_null(issim_scenario_parse(text, "test.ini", &err));
    ck_assert_msg(strstr(err.message, "test.ini:5: reference must be the event's probability") !=
                      NULL, "%s", err.message);
  }
}
END_TEST

START_TEST(test_direction_below)
{
  issim_scenario *s = parse_ok(TARGET "[event]\nthreshold = -5\ndirection = <\n"
                               "[proposal low]\ndistribution = normal\nmean = -5\n");
  ck_assert_int_eq(s->event.direction, ISSIM_BELOW);
  ck_assert_double_eq(s->event.threshold, -5);
  issim_scenario_free(s);

  s = parse_ok(TARGET "[event]\ndirection = >\nthreshold = 5\n" PROPOSAL);
  ck_assert_int_eq(s->event.direction, ISSIM_ABOVE);
  issim_scenario_free(s);
}
END_TEST

START_TEST(test_comments_quotes_continuation)
{
  issim_scenario *s = parse_ok(
      "# a full-line comment\n"
      "; another one\n"
      "\n"
      "[run]\n"
      "rng = mt19937 ; inline comment\n"
      "samples = 1e6\n"
      "seed=7\n"
      "\n"
      "[scenario]\n"
      "description = \"Quoted, with = signs\"\n"
      "name = \"quoted-name\"\n"
      "\n"
      "[proposal wide]\n"
      "sd = 2\n"
      "# a comment between keys\n"
      "distribution = normal\n"
      "mean = 4.5\n"
      "[event]\n"
      "   threshold   =   5   \n"
      "[proposal crude]\n"
      "distribution=target\n"
      "[target]\n"
      "sd = 1\n"
      "distribution = normal\n");
  ck_assert_str_eq(s->name, "quoted-name");
  ck_assert_str_eq(s->description, "Quoted, with = signs");
  ck_assert_str_eq(s->rng->name, "mt19937");
  ck_assert_uint_eq(s->samples, 1000000);
  ck_assert_uint_eq(s->seed, 7);
  ck_assert_double_eq(s->event.threshold, 5);
  ck_assert_uint_eq(s->n_proposals, 2);
  ck_assert_str_eq(s->proposals[0].name, "wide");
  ck_assert_int_eq(s->proposals[0].line, 13);
  ck_assert_double_eq(issim_model_line_dist(s->proposals[0].model)->param[0], 4.5);
  ck_assert_double_eq(issim_model_line_dist(s->proposals[0].model)->param[1], 2);
  ck_assert_str_eq(s->proposals[1].name, "crude");
  ck_assert_int_eq(s->proposals[1].line, 20);
  ck_assert_double_eq(issim_model_line_dist(s->target)->param[0], 0);
  ck_assert_double_eq(issim_model_line_dist(s->target)->param[1], 1);
  issim_scenario_free(s);

  /* a value continued on indented lines, joined with single spaces */
  s = parse_ok("[scenario]\n"
               "description = A long description\n"
               "    that goes on   ; with a comment\n"
               "\tand on\n"
               "\n"
               "  to the end\n"
               TEP);
  ck_assert_str_eq(s->description, "A long description that goes on and on to the end");
  issim_scenario_free(s);

  /* indentation is fine for a key right under its section header */
  s = parse_ok("[target]\n  distribution = normal\n" EVENT PROPOSAL);
  ck_assert_int_eq(issim_model_line_dist(s->target)->kind, ISSIM_DIST_NORMAL);
  issim_scenario_free(s);

  /* Windows line endings */
  s = parse_ok("[scenario]\r\nname = crlf\r\n[target]\r\ndistribution = normal\r\n"
               "[event]\r\nthreshold = 5\r\n[proposal p]\r\ndistribution = target\r\n");
  ck_assert_str_eq(s->name, "crlf");
  ck_assert_double_eq(s->event.threshold, 5);
  ck_assert_str_eq(s->proposals[0].name, "p");
  issim_scenario_free(s);

  /* A proposal name may use letters, digits, '_', '-' and '.' */
  s = parse_ok(TARGET EVENT "[proposal Shift_5.0-b]\ndistribution = target\n");
  ck_assert_str_eq(s->proposals[0].name, "Shift_5.0-b");
  issim_scenario_free(s);
}
END_TEST

START_TEST(test_longest_line)
{
  /* "description = " is 14 characters; 14 + 184 = 198 is the limit */
  char text[512];
  snprintf(text, sizeof text, "[scenario]\ndescription = %0184d\n" TEP, 0);
  issim_scenario *s = parse_ok(text);
  ck_assert_uint_eq(strlen(s->description), 184);
  issim_scenario_free(s);

  /* the same line last in the file, without a newline */
  snprintf(text, sizeof text, TEP "[scenario]\ndescription = %0184d", 0);
  s = parse_ok(text);
  ck_assert_uint_eq(strlen(s->description), 184);
  issim_scenario_free(s);
}
END_TEST

START_TEST(test_samples_forms)
{
  static const struct {
    const char *value;
    uint64_t samples;
  } cases[] = {
      {"2", 2},       {"1e6", 1000000}, {"1000000.0", 1000000}, {"2.5e3", 2500},
      {"2.8e14", 280000000000000ULL}, {"281474976710656", 281474976710656ULL},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char text[256];
    snprintf(text, sizeof text, TEP "[run]\nsamples = %s\n", cases[i].value);
    issim_scenario *s = parse_ok(text);
    ck_assert_uint_eq(s->samples, cases[i].samples);
    issim_scenario_free(s);
  }
}
END_TEST

/* Every family of dist.h as a target, in the order of issim_dist_kind. */
static const struct {
  const char *family;
  const char *params;
  double threshold;
  double expect[ISSIM_DIST_MAX_PARAMS];
  size_t nparams;
} families[] = {
    {"normal", "mean = 1\nsd = 2\n", 1.5, {1, 2}, 2},
    {"student-t", "df = 3\nlocation = 1\nscale = 2\n", 1.5, {3, 1, 2}, 3},
    {"exponential", "rate = 2\nlocation = 1\n", 1.5, {2, 1}, 2},
    {"gamma", "shape = 2\nrate = 4\n", 1.5, {2, 0.25}, 2},
    {"lognormal", "meanlog = 0.5\nsdlog = 2\n", 1.5, {0.5, 2}, 2},
    {"laplace", "location = 1\nscale = 2\n", 1.5, {1, 2}, 2},
    {"logistic", "location = 1\nscale = 2\n", 1.5, {1, 2}, 2},
    {"cauchy", "location = 1\nscale = 2\n", 1.5, {1, 2}, 2},
    {"weibull", "shape = 2\nscale = 3\n", 1.5, {2, 3}, 2},
    {"pareto", "shape = 3\nscale = 2\n", 3, {3, 2}, 2},
    {"gumbel", "location = 1\nscale = 2\n", 1.5, {1, 2}, 2},
    {"uniform", "lower = -1\nupper = 3\n", 1.5, {-1, 3}, 2},
    {"beta", "alpha = 2\nbeta = 3\n", 0.5, {2, 3}, 2},
    {"chi-squared", "df = 4\n", 1.5, {4}, 1},
    {"truncated-normal", "mean = 1\nsd = 2\nlower = -1\nupper = inf\n", 1.5, {1, 2, -1, INFINITY}, 4},
    {"gev", "location = 1\nscale = 2\nshape = 0.25\n", 1.5, {1, 2, 0.25}, 3},
    {"triangular", "lower = -1\nmode = 0\nupper = 3\n", 1.5, {-1, 0, 3}, 3},
};
#define N_FAMILIES (sizeof families / sizeof families[0])

START_TEST(test_every_family_as_target)
{
  ck_assert_uint_eq(N_FAMILIES, issim_dist_family_count());
  ck_assert_str_eq(families[_i].family, issim_dist_family_name((size_t)_i));
  char text[512];
  snprintf(text, sizeof text,
           "[target]\ndistribution = %s\n%s[event]\nthreshold = %g\n"
           "[proposal crude]\ndistribution = target\n",
           families[_i].family, families[_i].params, families[_i].threshold);
  issim_scenario *s = parse_ok(text);
  ck_assert_int_eq(issim_model_line_dist(s->target)->kind, _i);
  ck_assert_str_eq(issim_dist_name(issim_model_line_dist(s->target)), families[_i].family);
  for (size_t k = 0; k < families[_i].nparams; k++)
    if (isinf(families[_i].expect[k]))
      ck_assert_double_eq(issim_model_line_dist(s->target)->param[k], families[_i].expect[k]);
    else
      ck_assert_double_eq_tol(issim_model_line_dist(s->target)->param[k], families[_i].expect[k], 1e-15);
  ck_assert_double_eq(s->event.threshold, families[_i].threshold);
  double exact = issim_scenario_exact_log(s);
  ck_assert_msg(isfinite(exact) && exact < 0, "exact log P for %s: %g", families[_i].family,
                exact);
  issim_scenario_free(s);
}
END_TEST

static double exact_log(const char *text)
{
  issim_scenario *s = parse_ok(text);
  double v = issim_scenario_exact_log(s);
  issim_scenario_free(s);
  return v;
}

START_TEST(test_exact_log)
{
  const double tol = 1e-10;
  ck_assert_double_eq_tol(exact_log(TEP), log(gsl_cdf_gaussian_Q(5, 1)), tol);
  ck_assert_double_eq_tol(exact_log(TEP), log(2.866515718791939e-07), tol);
  ck_assert_double_eq_tol(
      exact_log("[target]\ndistribution = student-t\ndf = 3\nlocation = 1\nscale = 2\n"
                "[event]\nthreshold = 9\n[proposal c]\ndistribution = target\n"),
      log(gsl_cdf_tdist_Q((9.0 - 1) / 2, 3)), tol);
  ck_assert_double_eq_tol(
      exact_log("[target]\ndistribution = exponential\nrate = 2\nlocation = 1\n"
                "[event]\nthreshold = 4\n[proposal c]\ndistribution = target\n"),
      log(gsl_cdf_exponential_Q(3, 0.5)), tol);
  /* direction < uses the lower tail */
  ck_assert_double_eq_tol(
      exact_log(TARGET "[event]\nthreshold = -3\ndirection = <\n[proposal c]\ndistribution = target\n"),
      log(gsl_cdf_ugaussian_P(-3)), tol);
  ck_assert_double_eq_tol(
      exact_log("[target]\ndistribution = exponential\nrate = 2\n"
                "[event]\nthreshold = 0.01\ndirection = <\n[proposal c]\ndistribution = target\n"),
      log(gsl_cdf_exponential_P(0.01, 0.5)), tol);
  ck_assert_double_eq_tol(
      exact_log("[target]\ndistribution = normal\nmean = 1\nsd = 2\n"
                "[event]\nthreshold = 2\ndirection = <\n[proposal c]\ndistribution = target\n"),
      log(gsl_cdf_gaussian_P(1, 2)), tol);
}
END_TEST

START_TEST(test_read_file)
{
  char path[] = "/tmp/check_scenario_XXXXXX";
  temp_file(path, 0);
  write_file(path, EXAMPLE);

  issim_error err;
  issim_scenario *s = issim_scenario_read(path, &err);
  ck_assert_msg(s != NULL, "%s", err.message);
  ck_assert_str_eq(s->path, path);
  ck_assert_str_eq(s->name, "gaussian-5sigma");
  ck_assert_uint_eq(s->n_proposals, 2);
  ck_assert_uint_eq(s->seed, 42);
  issim_scenario_free(s);

  /* errors in a file carry its path */
  write_file(path, TARGET EVENT);
  s = issim_scenario_read(path, &err);
  ck_assert_ptr_null(s);
  char expected[256];
  snprintf(expected, sizeof expected,
           "%s:1: no [proposal NAME] section; add at least one, e.g. [proposal shifted] "
           "distribution = normal, mean = 5, sd = 1",
           path);
  ck_assert_str_eq(err.message, expected);
  ck_assert_int_eq(err.code, ISSIM_EINVAL);
  unlink(path);
}
END_TEST

START_TEST(test_missing_file)
{
  issim_error err;
  issim_scenario *s = issim_scenario_read("/nonexistent/x.ini", &err);
  ck_assert_ptr_null(s);
  ck_assert_int_eq(err.code, ISSIM_EIO);
  ck_assert_str_eq(err.message,
                   "/nonexistent/x.ini: cannot open the scenario file: No such file or directory");
  /* no error structure: still NULL, no crash */
  ck_assert_ptr_null(issim_scenario_read("/nonexistent/x.ini", NULL));
  ck_assert_ptr_null(issim_scenario_parse("garbage", "test.ini", NULL));
}
END_TEST

START_TEST(test_read_directory)
{
  issim_error err;
  issim_scenario *s = issim_scenario_read("/", &err);
  ck_assert_ptr_null(s);
  ck_assert_int_eq(err.code, ISSIM_EIO);
  ck_assert_str_eq(err.message, "/: cannot read the scenario file: Is a directory");
}
END_TEST

/* ======================================================================
 * Errors
 * ==================================================================== */

#define NEEDS_REGION(name, desc, support, region)                                        \
  "proposal '" name "' = " desc " has support " support ", which does not cover the "    \
  "event region " region " where the target has mass: its estimate would be silently "  \
  "biased; use a proposal whose support contains " region

#define SEED_RANGE(v) "seed must be a whole number from 0 to 18446744073709551615 (got '" v "')"
#define SAMPLES_RANGE(v) "samples must be a whole number from 2 to 2^48 = 281474976710656 (got '" v "')"

static const struct {
  const char *what;
  const char *text;
  int code;
  const char *message;
} errors[] = {
    /* ---- sections ---- */
    {"unknown section", TEP "[runn]\nsamples = 5\n", ISSIM_EINVAL,
     "test.ini:10: unknown section [runn] (known: [scenario], [target], [event], "
     "[proposal NAME], [run])"},
    {"unknown empty section", "[Target]\n" TEP, ISSIM_EINVAL,
     "test.ini:1: unknown section [Target] (known: [scenario], [target], [event], "
     "[proposal NAME], [run])"},
    {"section twice", TEP "[event]\nthreshold = 6\n", ISSIM_EINVAL,
     "test.ini:10: section [event] appears twice (first at line 5); merge the two"},
    {"proposal twice", TEP "\n[proposal shifted]\ndistribution = target\n", ISSIM_EINVAL,
     "test.ini:11: section [proposal shifted] appears twice (first at line 7); merge the two"},
    {"proposal name twice, spaced differently",
     TEP "\n[proposal  shifted]\ndistribution = target\n", ISSIM_EINVAL,
     "test.ini:11: proposal 'shifted' is defined twice (first at line 7); give each proposal "
     "its own name"},
    {"key in the wrong case", "[target]\nDistribution = normal\n" EVENT PROPOSAL, ISSIM_EINVAL,
     "test.ini:2: unknown key 'Distribution' in [target]; keys are case-sensitive: did you mean "
     "'distribution'?"},
    {"parameter in the wrong case", "[target]\ndistribution = normal\nSD = 2\n" EVENT PROPOSAL,
     ISSIM_EINVAL,
     "test.ini:3: unknown key 'SD' in [target]; keys are case-sensitive: did you mean 'sd'?"},
    {"no target", EVENT PROPOSAL, ISSIM_EINVAL,
     "test.ini:1: no [target] section; add one, e.g. [target] distribution = normal, "
     "mean = 0, sd = 1"},
    {"no event", TARGET PROPOSAL, ISSIM_EINVAL,
     "test.ini:1: no [event] section; add one, e.g. [event] threshold = 5"},
    {"no proposal", TARGET EVENT, ISSIM_EINVAL,
     "test.ini:1: no [proposal NAME] section; add at least one, e.g. [proposal shifted] "
     "distribution = normal, mean = 5, sd = 1"},
    {"empty file", "", ISSIM_EINVAL,
     "test.ini:1: no [target] section; add one, e.g. [target] distribution = normal, "
     "mean = 0, sd = 1"},
    {"proposal without name", TARGET EVENT "[proposal]\ndistribution = target\n", ISSIM_EINVAL,
     "test.ini:7: a proposal section needs a name: [proposal NAME]"},
    {"proposal with blank name", TARGET EVENT "[proposal   ]\ndistribution = target\n",
     ISSIM_EINVAL, "test.ini:7: a proposal section needs a name: [proposal NAME]"},
    {"proposal name with a space", TARGET EVENT "[proposal my shift]\ndistribution = target\n",
     ISSIM_EINVAL,
     "test.ini:7: proposal name 'my shift' must be letters, digits, '_', '-' or '.' "
     "(e.g. [proposal shifted])"},
    {"proposal name with a slash", TARGET EVENT "[proposal a/b]\ndistribution = target\n",
     ISSIM_EINVAL,
     "test.ini:7: proposal name 'a/b' must be letters, digits, '_', '-' or '.' "
     "(e.g. [proposal shifted])"},
    {"proposal glued to its name", TARGET EVENT "[proposalx]\ndistribution = target\n",
     ISSIM_EINVAL,
     "test.ini:7: unknown section [proposalx] (known: [scenario], [target], [event], "
     "[proposal NAME], [run])"},

    /* ---- INI syntax ---- */
    {"key outside any section", "threshold = 5\n" TEP, ISSIM_EINVAL,
     "test.ini:1: key 'threshold' is outside any section; put it under [target], [event], "
     "[run], ..."},
    {"line without =", TARGET "garbage line\n" EVENT PROPOSAL, ISSIM_EINVAL,
     "test.ini:5: cannot read this line; expected [section], key = value, or a comment "
     "starting with ; or #"},
    {"section header without ]", TARGET "[event\nthreshold = 5\n" PROPOSAL, ISSIM_EINVAL,
     "test.ini:5: cannot read this line; expected [section], key = value, or a comment "
     "starting with ; or #"},
    {"indented key under a key", "[target]\ndistribution = normal\n  mean = 0\n" EVENT PROPOSAL,
     ISSIM_EINVAL,
     "test.ini:3: this indented line would be read as the continuation of 'distribution' "
     "(line 2); remove the indentation if it is a key of its own"},
    {"indented key after a blank line", "[target]\ndistribution = normal\n\n\tsd: 2\n" EVENT PROPOSAL,
     ISSIM_EINVAL,
     "test.ini:4: this indented line would be read as the continuation of 'distribution' "
     "(line 2); remove the indentation if it is a key of its own"},
    {"key twice", "[target]\ndistribution = normal\nmean = 0\nmean = 1\n" EVENT PROPOSAL,
     ISSIM_EINVAL, "test.ini:4: key 'mean' given twice in [target] (first at line 3); keep one"},
    {"key twice in [run]", TEP "[run]\nseed = 1\nsamples = 10\nseed = 2\n", ISSIM_EINVAL,
     "test.ini:13: key 'seed' given twice in [run] (first at line 11); keep one"},

    /* ---- unknown keys ---- */
    {"unknown key in [target]", "[target]\ndistribution = normal\nmu = 0\n" EVENT PROPOSAL,
     ISSIM_EINVAL, "test.ini:3: unknown key 'mu' in [target] (known: distribution, mean, sd)"},
    {"unknown key in a gamma proposal",
     TARGET EVENT "[proposal g]\ndistribution = gamma\nshape = 2\nlocation = 5\n", ISSIM_EINVAL,
     "test.ini:10: unknown key 'location' in [proposal g] (known: distribution, shape, scale, rate)"},
    {"unknown key in [event]", TARGET "[event]\nthreshold = 5\nabove = yes\n" PROPOSAL,
     ISSIM_EINVAL, "test.ini:7: unknown key 'above' in [event] (known: threshold, direction, loss, weights, expression, variables, reference, library, function, init, free, message, parameters, command, timeout, mode, quantile)"},
    {"unknown key in [run]", TEP "[run]\nsample = 10\n", ISSIM_EINVAL,
     "test.ini:11: unknown key 'sample' in [run] (known: samples, seed, rng)"},
    {"unknown key in [scenario]", "[scenario]\nname = x\ntitle = y\n" TEP, ISSIM_EINVAL,
     "test.ini:3: unknown key 'title' in [scenario] (known: name, description)"},
    {"parameter of distribution = target",
     TARGET EVENT "[proposal crude]\ndistribution = target\nmean = 0\n", ISSIM_EINVAL,
     "test.ini:9: key 'mean' in [proposal crude]: distribution = target takes no parameters "
     "(the proposal is the target itself); remove it, or name a family to give parameters"},

    /* ---- distributions ---- */
    {"unknown distribution", "[target]\ndistribution = norml\n" EVENT PROPOSAL, ISSIM_EINVAL,
     "test.ini:2: unknown distribution 'norml' (known: " FAMILIES ")"},
    {"target as the target", "[target]\ndistribution = target\n" EVENT PROPOSAL, ISSIM_EINVAL,
     "test.ini:2: unknown distribution 'target' (known: " FAMILIES ")"},
    {"missing distribution", "[target]\nmean = 0\n" EVENT PROPOSAL, ISSIM_EINVAL,
     "test.ini:1: [target] needs a 'distribution' key (e.g. distribution = normal)"},
    {"missing distribution in a proposal", TARGET EVENT "[proposal p]\nmean = 5\n", ISSIM_EINVAL,
     "test.ini:7: [proposal p] needs a 'distribution' key (e.g. distribution = normal, or "
     "distribution = target for plain Monte Carlo)"},
    {"missing required parameter", "[target]\ndistribution = student-t\nscale = 2\n" EVENT PROPOSAL,
     ISSIM_EINVAL, "test.ini:1: missing required key 'df' for student-t"},
    {"missing required parameter in a proposal",
     TARGET EVENT "\n[proposal b]\ndistribution = beta\nalpha = 2\n", ISSIM_EINVAL,
     "test.ini:8: missing required key 'beta' for beta"},
    {"sd = -1", "[target]\ndistribution = normal\nsd = -1\nmean = 0\n" EVENT PROPOSAL,
     ISSIM_EINVAL, "test.ini:3: sd must be > 0 (got -1)"},
    {"sd = 0", "[target]\ndistribution = normal\nmean = 0\nsd = 0\n" EVENT PROPOSAL, ISSIM_EINVAL,
     "test.ini:4: sd must be > 0 (got 0)"},
    {"df = 0", "[target]\ndistribution = student-t\ndf = 0\n" EVENT PROPOSAL, ISSIM_EINVAL,
     "test.ini:3: df must be > 0 (got 0)"},
    {"sd = abc", "[target]\ndistribution = normal\nsd = abc\n" EVENT PROPOSAL, ISSIM_EINVAL,
     "test.ini:3: sd must be a number (got 'abc')"},
    {"sd = 1x", TARGET EVENT "[proposal p]\ndistribution = normal\nsd = 1x\n", ISSIM_EINVAL,
     "test.ini:9: sd must be a number (got '1x')"},
    {"sd = nan", "[target]\ndistribution = normal\nsd = nan\n" EVENT PROPOSAL, ISSIM_EINVAL,
     "test.ini:3: sd must be a finite number (got 'nan')"},
    {"sd = inf", "[target]\ndistribution = normal\nsd = inf\n" EVENT PROPOSAL, ISSIM_EINVAL,
     "test.ini:3: sd must be a finite number (got 'inf')"},
    {"mean = 1e999", "[target]\ndistribution = normal\nmean = 1e999\n" EVENT PROPOSAL,
     ISSIM_EINVAL, "test.ini:3: mean must be a finite number (got '1e999')"},
    {"mean = (empty)", "[target]\ndistribution = normal\nmean =\n" EVENT PROPOSAL, ISSIM_EINVAL,
     "test.ini:3: mean must be a number (got '')"},
    /* several numbers for a univariate family: the d-dimensional families */
    {"mean = 1 2", "[target]\ndistribution = normal\nmean = 1 2\n" EVENT PROPOSAL, ISSIM_EINVAL,
     "test.ini:3: mean must be a number (got '1 2'); normal is univariate, and 2 numbers describe "
     "a 2-dimensional law: distribution = multivariate-normal with dimension = 2 (or independent, "
     "with a component per dimension)"},
    {"location = 0, 0, 1", "[target]\ndistribution = student-t\ndf = 3\nlocation = 0, 0, 1\n"
     EVENT PROPOSAL, ISSIM_EINVAL,
     "test.ini:4: location must be a number (got '0, 0, 1'); student-t is univariate, and 3 numbers "
     "describe a 3-dimensional law: distribution = multivariate-t with dimension = 3 (or "
     "independent, with a component per dimension)"},
    {"mean = 1 x", "[target]\ndistribution = normal\nmean = 1 x\n" EVENT PROPOSAL, ISSIM_EINVAL,
     "test.ini:3: mean must be a number (got '1 x')"},
    {"uniform lower >= upper", "[target]\ndistribution = uniform\nlower = 2\nupper = 2\n" EVENT PROPOSAL,
     ISSIM_EINVAL, "test.ini:4: lower must be < upper (got lower=2, upper=2)"},
    {"gamma scale and rate", "[target]\ndistribution = gamma\nshape = 2\nscale = 2\nrate = 3\n"
     EVENT PROPOSAL, ISSIM_EINVAL,
     "test.ini:5: give scale or rate for gamma, not both (got scale=2, rate=3)"},

    /* ---- [event] ---- */
    {"threshold = x", TARGET "[event]\nthreshold = x\n" PROPOSAL, ISSIM_EINVAL,
     "test.ini:6: threshold must be a number (got 'x'); it may also be given in standard deviations of the loss, e.g. threshold = 5 sigma"},
    {"threshold = inf", TARGET "[event]\nthreshold = inf\n" PROPOSAL, ISSIM_EINVAL,
     "test.ini:6: threshold must be a finite number (got 'inf'); it may also be given in standard deviations of the loss, e.g. threshold = 5 sigma"},
    {"threshold with a # comment", TARGET "[event]\nthreshold = 5 # above\n" PROPOSAL, ISSIM_EINVAL,
     "test.ini:6: threshold must be a number (got '5 # above'); an inline comment starts with ' ;', not '#'; it may also be given in standard deviations of the loss, e.g. threshold = 5 sigma"},
    {"missing threshold", TARGET "[event]\ndirection = <\n" PROPOSAL, ISSIM_EINVAL,
     "test.ini:5: [event] needs a 'threshold' key (the event is x > threshold)"},
    {"direction = >=", TARGET "[event]\nthreshold = 5\ndirection = >=\n" PROPOSAL, ISSIM_EINVAL,
     "test.ini:7: direction must be '>' (the event is loss > threshold) or '<' (got '>=')"},
    {"direction = above", TARGET "[event]\ndirection = above\nthreshold = 5\n" PROPOSAL,
     ISSIM_EINVAL,
     "test.ini:6: direction must be '>' (the event is loss > threshold) or '<' (got 'above')"},

    /* ---- [run] ---- */
    {"samples = 1e99", TEP "[run]\nsamples = 1e99\n", ISSIM_EINVAL,
     "test.ini:11: " SAMPLES_RANGE("1e99")},
    {"samples = 0", TEP "[run]\nsamples = 0\n", ISSIM_EINVAL, "test.ini:11: " SAMPLES_RANGE("0")},
    {"samples = 2.5", TEP "[run]\nsamples = 2.5\n", ISSIM_EINVAL,
     "test.ini:11: " SAMPLES_RANGE("2.5")},
    {"samples = -3", TEP "[run]\nseed = 3\nsamples = -3\n", ISSIM_EINVAL,
     "test.ini:12: " SAMPLES_RANGE("-3")},
    {"samples = many", TEP "[run]\nsamples = many\n", ISSIM_EINVAL,
     "test.ini:11: samples must be a number (got 'many')"},
    {"seed = -1", TEP "[run]\nseed = -1\n", ISSIM_EINVAL, "test.ini:11: " SEED_RANGE("-1")},
    {"seed = 1.5", TEP "[run]\nseed = 1.5\n", ISSIM_EINVAL, "test.ini:11: " SEED_RANGE("1.5")},
    {"seed too large", TEP "[run]\nseed = 99999999999999999999999\n", ISSIM_EINVAL,
     "test.ini:11: " SEED_RANGE("99999999999999999999999")},
    {"seed = (empty)", TEP "[run]\nseed =\n", ISSIM_EINVAL, "test.ini:11: " SEED_RANGE("")},
    {"rng = nosuch", TEP "[run]\nsamples = 10\nrng = nosuch\n", ISSIM_EINVAL,
     "test.ini:12: unknown generator 'nosuch'; use a GSL generator name such as taus2 "
     "(the default), mt19937, ranlxd1 or ranlxd2"},
    {"rng = rand48", TEP "[run]\nrng = rand48\n", ISSIM_EINVAL,
     "test.ini:11: generator 'rand48' is refused: its low bits repeat with a short period, "
     "and GSL's ziggurat normal sampler takes its sign from them; use taus2 (the default), "
     "mt19937 or ranlxd1"},

    /* ---- coverage and impossible events ---- */
    {"uniform proposal short of the event",
     TARGET EVENT "[proposal flat]\ndistribution = uniform\nlower = 0\nupper = 4\n", ISSIM_ECOVER,
     "test.ini:7: " NEEDS_REGION("flat", "uniform(lower=0, upper=4)", "[0, 4]", "(5, inf)")},
    {"exponential proposal starting past the threshold",
     TARGET EVENT "[proposal crude]\ndistribution = target\n"
     "[proposal exp]\ndistribution = exponential\nrate = 1\nlocation = 6\n", ISSIM_ECOVER,
     "test.ini:9: " NEEDS_REGION("exp", "exponential(rate=1, location=6)", "[6, inf]", "(5, inf)")},
    {"proposal bounded below for a lower-tail event",
     TARGET "[event]\nthreshold = -5\ndirection = <\n"
     "[proposal e]\ndistribution = exponential\n", ISSIM_ECOVER,
     "test.ini:8: " NEEDS_REGION("e", "exponential(rate=1, location=0)", "[0, inf]", "(-inf, -5)")},
    {"beta proposal for a beta target's upper tail",
     "[target]\ndistribution = beta\nalpha = 2\nbeta = 3\n[event]\nthreshold = 0.9\n"
     "[proposal u]\ndistribution = uniform\nlower = 0.95\nupper = 1\n", ISSIM_ECOVER,
     "test.ini:7: " NEEDS_REGION("u", "uniform(lower=0.95, upper=1)", "[0.95, 1]", "(0.9, 1)")},
    {"event impossible under the target",
     "[target]\ndistribution = beta\nalpha = 2\nbeta = 3\n[event]\nthreshold = 2\n" PROPOSAL,
     ISSIM_EINVAL,
     "test.ini:6: the event x > 2 is impossible under the target (support [0, 1]), so P = 0 "
     "exactly; choose a threshold inside the support"},
    {"lower-tail event impossible under the target",
     "[target]\ndistribution = exponential\nlocation = 1\n[event]\ndirection = <\nthreshold = 1\n"
     PROPOSAL,
     ISSIM_EINVAL,
     "test.ini:6: the event x < 1 is impossible under the target (support [1, inf]), so P = 0 "
     "exactly; choose a threshold inside the support"},
};
#define N_ERRORS (sizeof errors / sizeof errors[0])

START_TEST(test_error)
{
  issim_error err;
  issim_scenario *s = issim_scenario_parse(errors[_i].text, "test.ini", &err);
  if (s != NULL)
    issim_scenario_free(s);
  ck_assert_msg(s == NULL, "%s: parsed without error", errors[_i].what);
  ck_assert_msg(strcmp(err.message, errors[_i].message) == 0,
                "%s:\n  got      \"%s\"\n  expected \"%s\"", errors[_i].what, err.message,
                errors[_i].message);
  ck_assert_msg(err.code == errors[_i].code, "%s: code %d, expected %d", errors[_i].what,
                err.code, errors[_i].code);
}
END_TEST

START_TEST(test_line_too_long)
{
  char text[512];
  snprintf(text, sizeof text, "[scenario]\ndescription = %0185d\n" TEP, 0);
  expect_error(text, ISSIM_EINVAL,
               "test.ini:2: line longer than 198 characters; continue a long value on "
               "indented lines");
  /* much longer, in the middle of the file, and without a final newline */
  snprintf(text, sizeof text, TEP "[scenario]\ndescription = %0300d", 0);
  expect_error(text, ISSIM_EINVAL,
               "test.ini:11: line longer than 198 characters; continue a long value on "
               "indented lines");
  /* the line count stays right after a long comment line */
  snprintf(text, sizeof text, "; %0250d\n" TEP, 0);
  expect_error(text, ISSIM_EINVAL,
               "test.ini:1: line longer than 198 characters; continue a long value on "
               "indented lines");
}
END_TEST

START_TEST(test_first_error_wins)
{
  /* the earlier of two errors is reported, whichever pass finds it */
  expect_error(TARGET "garbage\n" EVENT PROPOSAL "[run]\nseed = 1\nseed = 2\n", ISSIM_EINVAL,
               "test.ini:5: cannot read this line; expected [section], key = value, or a "
               "comment starting with ; or #");
  expect_error("[target]\ndistribution = normal\n[event\ndistribution = normal\nthreshold = 5\n"
               PROPOSAL,
               ISSIM_EINVAL,
               "test.ini:3: cannot read this line; expected [section], key = value, or a "
               "comment starting with ; or #");
  expect_error(TEP "[run]\nsamples = 0\nrng = nosuch\n", ISSIM_EINVAL,
               "test.ini:11: " SAMPLES_RANGE("0"));
}
END_TEST

START_TEST(test_section_header_forms)
{
  /* blanks inside the brackets and a comment after them */
  issim_scenario *s = parse_ok("[ target ]\ndistribution = normal\n"
                               "[event]   ; the event\nthreshold = 5\n"
                               "[ proposal   wide ]\ndistribution = normal\nsd = 3\n");
  ck_assert_int_eq(issim_model_line_dist(s->target)->kind, ISSIM_DIST_NORMAL);
  ck_assert_double_eq(s->event.threshold, 5);
  ck_assert_str_eq(s->proposals[0].name, "wide");
  ck_assert_int_eq(s->proposals[0].line, 5);
  ck_assert_double_eq(issim_model_line_dist(s->proposals[0].model)->param[1], 3);
  issim_scenario_free(s);

  /* a UTF-8 byte-order mark before the first section header */
  s = parse_ok("\xEF\xBB\xBF[scenario]\nname = bom\n" TEP);
  ck_assert_str_eq(s->name, "bom");
  issim_scenario_free(s);

  /* an indented section header after a key is joined to that key by inih */
  expect_error("[target]\ndistribution = normal\n  [event]\nthreshold = 5\n" PROPOSAL,
               ISSIM_EINVAL,
               "test.ini:3: this indented line would be read as the continuation of "
               "'distribution' (line 2); remove the indentation if it is a section header");
}
END_TEST

/* ======================================================================
 * Value parsers
 * ==================================================================== */

START_TEST(test_parse_samples)
{
  issim_error err;
  uint64_t n = 0;
  ck_assert_int_eq(issim_parse_samples("2", "samples", &n, &err), ISSIM_OK);
  ck_assert_uint_eq(n, 2);
  ck_assert_int_eq(issim_parse_samples("1e6", "samples", &n, &err), ISSIM_OK);
  ck_assert_uint_eq(n, 1000000);
  ck_assert_int_eq(issim_parse_samples(" 250 ", "samples", &n, &err), ISSIM_OK);
  ck_assert_uint_eq(n, 250);
  ck_assert_int_eq(issim_parse_samples("281474976710656", "samples", &n, &err), ISSIM_OK);
  ck_assert_uint_eq(n, 281474976710656ULL); /* 2^48, the most */
  ck_assert_int_eq(issim_parse_samples("2.8e14", "samples", &n, &err), ISSIM_OK);
  ck_assert_uint_eq(n, 280000000000000ULL);

  static const struct {
    const char *text, *message;
  } bad[] = {
      {"0", "-n must be a whole number from 2 to 2^48 = 281474976710656 (got '0')"},
      /* one draw gives no standard error: 'estimate ... +- nan' (issue 18 item 9) */
      {"1", "-n must be a whole number from 2 to 2^48 = 281474976710656 (got '1')"},
      {"-3", "-n must be a whole number from 2 to 2^48 = 281474976710656 (got '-3')"},
      {"2.5", "-n must be a whole number from 2 to 2^48 = 281474976710656 (got '2.5')"},
      {"0.5", "-n must be a whole number from 2 to 2^48 = 281474976710656 (got '0.5')"},
      {"281474976710657", "-n must be a whole number from 2 to 2^48 = 281474976710656 (got '281474976710657')"},
      {"1e15", "-n must be a whole number from 2 to 2^48 = 281474976710656 (got '1e15')"},
      {"1000000000000001", "-n must be a whole number from 2 to 2^48 = 281474976710656 (got '1000000000000001')"},
      {"1e99", "-n must be a whole number from 2 to 2^48 = 281474976710656 (got '1e99')"},
      {"1e999", "-n must be a finite number (got '1e999')"},
      {"nan", "-n must be a finite number (got 'nan')"},
      {"many", "-n must be a number (got 'many')"},
      {"10k", "-n must be a number (got '10k')"},
      {"", "-n must be a number (got '')"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    n = 77;
    ck_assert_int_eq(issim_parse_samples(bad[i].text, "-n", &n, &err), ISSIM_EINVAL);
    ck_assert_int_eq(err.code, ISSIM_EINVAL);
    ck_assert_str_eq(err.message, bad[i].message);
    ck_assert_str_eq(err.key, "-n");
    ck_assert_uint_eq(n, 77); /* untouched on error */
  }
  /* err may be NULL */
  ck_assert_int_eq(issim_parse_samples("0", "samples", &n, NULL), ISSIM_EINVAL);
}
END_TEST

START_TEST(test_parse_seed)
{
  issim_error err;
  uint64_t seed = 5;
  ck_assert_int_eq(issim_parse_seed("0", "seed", &seed, &err), ISSIM_OK);
  ck_assert_uint_eq(seed, 0);
  ck_assert_int_eq(issim_parse_seed("42", "seed", &seed, &err), ISSIM_OK);
  ck_assert_uint_eq(seed, 42);
  ck_assert_int_eq(issim_parse_seed(" 7 ", "seed", &seed, &err), ISSIM_OK);
  ck_assert_uint_eq(seed, 7);
  ck_assert_int_eq(issim_parse_seed("18446744073709551615", "seed", &seed, &err), ISSIM_OK);
  ck_assert_uint_eq(seed, UINT64_MAX);
  ck_assert_int_eq(issim_parse_seed("18446744073709551614", "seed", &seed, &err), ISSIM_OK);
  ck_assert_uint_eq(seed, UINT64_MAX - 1);
  ck_assert_int_eq(issim_parse_seed("007", "seed", &seed, &err), ISSIM_OK);
  ck_assert_uint_eq(seed, 7);

  static const char *const bad[] = {
      "18446744073709551616", "99999999999999999999999", "-1", "+1", "1.5", "1e3",
      "0x10", "abc", "", " ", "5 x ", "12abc",
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    char expected[256];
    snprintf(expected, sizeof expected,
             "--seed must be a whole number from 0 to 18446744073709551615 (got '%s')", bad[i]);
    seed = 77;
    ck_assert_int_eq(issim_parse_seed(bad[i], "--seed", &seed, &err), ISSIM_EINVAL);
    ck_assert_int_eq(err.code, ISSIM_EINVAL);
    ck_assert_str_eq(err.message, expected);
    ck_assert_str_eq(err.key, "--seed");
    ck_assert_uint_eq(seed, 77);
  }
  ck_assert_int_eq(issim_parse_seed("-1", "seed", &seed, NULL), ISSIM_EINVAL);
}
END_TEST

START_TEST(test_parse_number)
{
  issim_error err;
  double v = 0;
  static const struct {
    const char *text;
    double value;
  } good[] = {
      {"1.5", 1.5}, {"-2e-3", -2e-3}, {" 3 ", 3}, {"0", 0}, {"-0", 0}, {"+4", 4},
      {"1e308", 1e308}, {"1e-300", 1e-300}, {"1e-320", 1e-320}, {"0x10", 16},
  };
  for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
    issim_error_clear(&err);
    int rc = issim_parse_number(good[i].text, "x", &v, &err);
    ck_assert_msg(rc == ISSIM_OK, "'%s': %s", good[i].text, err.message);
    ck_assert_double_eq(v, good[i].value);
  }

  static const struct {
    const char *text, *message;
  } bad[] = {
      {"abc", "threshold must be a number (got 'abc')"},
      {"", "threshold must be a number (got '')"},
      {"  ", "threshold must be a number (got '  ')"},
      {"1.5x", "threshold must be a number (got '1.5x')"},
      {"1,5", "threshold must be a number (got '1,5')"},
      {"1 2", "threshold must be a number (got '1 2')"},
      {"5 # above", "threshold must be a number (got '5 # above'); an inline comment starts "
                    "with ' ;', not '#'"},
      {"nan", "threshold must be a finite number (got 'nan')"},
      {"inf", "threshold must be a finite number (got 'inf')"},
      {"-infinity", "threshold must be a finite number (got '-infinity')"},
      {"1e400", "threshold must be a finite number (got '1e400')"},
      {"-1e400", "threshold must be a finite number (got '-1e400')"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    v = 77;
    ck_assert_int_eq(issim_parse_number(bad[i].text, "threshold", &v, &err), ISSIM_EINVAL);
    ck_assert_int_eq(err.code, ISSIM_EINVAL);
    ck_assert_str_eq(err.message, bad[i].message);
    ck_assert_str_eq(err.key, "threshold");
    ck_assert_double_eq(v, 77);
  }
  ck_assert_int_eq(issim_parse_number("x", "x", &v, NULL), ISSIM_EINVAL);
}
END_TEST

/* ======================================================================
 * Multivariate scenarios
 * ==================================================================== */

#define MVN3 "[target]\ndistribution = multivariate-normal\ndimension = 3\nsd = 0.01\ncorrelation = 0.3\n" /* 5 lines */

START_TEST(test_portfolio_sigma_and_design_point)
{
  /* L = -0.1 (x1 + ... + x10), returns N(0, S), S = s^2 ((1-r) I + r 11^T):
   * var L = 0.01 s^2 (d (1-r) + r d^2); the 5-sigma threshold is 5 sd(L); the
   * design point is S w t / (w^T S w), every component t (-0.1) s^2 (1-r+r d) / var L */
  issim_scenario *s = parse_ok("[target]\ndistribution = multivariate-normal\ndimension = 10\n"
                               "sd = 0.01\ncorrelation = 0.3\n[event]\nloss = linear\n"
                               "weights = -0.1\nthreshold = 5 sigma\n"
                               "[proposal dp]\ndistribution = shifted-target\nshift = design-point\n"
                               "[proposal mix]\ndistribution = mixture\ncomponents = 0.1 target + 0.9 dp\n");
  const double sd = 0.01, r = 0.3, d = 10;
  double var = 0.01 * sd * sd * (d * (1 - r) + r * d * d);
  ck_assert_uint_eq(s->dimension, 10);
  ck_assert_int_eq(issim_model_kind_of(s->target), ISSIM_MODEL_NORMAL);
  ck_assert_int_eq(issim_loss_kind_of(s->event.loss), ISSIM_LOSS_LINEAR);
  ck_assert_double_eq_tol(s->event.threshold, 5 * sqrt(var), 1e-15);
  ck_assert_double_eq(s->event.threshold_sigmas, 5);
  double exact = gsl_cdf_ugaussian_Q(5);
  ck_assert_double_eq_tol(issim_scenario_exact_log(s), log(exact), 1e-12);
  double loc[10], chol[100], df;
  const issim_proposal *dp = issim_scenario_proposal(s, "dp");
  ck_assert_int_eq(issim_model_gaussian_form(dp->model, loc, chol, &df), ISSIM_OK);
  double point = s->event.threshold * -0.1 * sd * sd * (1 - r + r * d) / var;
  for (int j = 0; j < 10; j++)
    ck_assert_double_eq_tol(loc[j], point, 1e-15);
  ck_assert(isinf(df));
  const issim_proposal *mix = issim_scenario_proposal(s, "mix");
  ck_assert_int_eq(issim_model_kind_of(mix->model), ISSIM_MODEL_MIXTURE);
  ck_assert_uint_eq(issim_model_dim(mix->model), 10);
  issim_scenario_free(s);
}
END_TEST

START_TEST(test_multivariate_t_sigma_and_extremes)
{
  /* a t(4) loss's sd is sqrt(4/2) times its scale */
  issim_scenario *s = parse_ok("[target]\ndistribution = multivariate-t\ndimension = 2\ndf = 4\n"
                               "[event]\nloss = sum\nthreshold = 3 sigma\n"
                               "[proposal c]\ndistribution = target\n");
  ck_assert_double_eq_tol(s->event.threshold, 3 * sqrt(2.0) * sqrt(2.0), 1e-14);
  ck_assert_double_eq_tol(issim_scenario_exact_log(s),
                          log(gsl_cdf_tdist_Q(s->event.threshold / sqrt(2.0), 4)), 1e-12);
  issim_scenario_free(s);
  /* max of independent components: 1 - prod F_j(t) */
  s = parse_ok("[target]\ndistribution = independent\ndimension = 3\ncomponent = exponential\n"
               "rate = 1 2 3\n[event]\nloss = max\nthreshold = 4\n[proposal c]\ndistribution = target\n");
  double all_below = (1 - exp(-4.0)) * (1 - exp(-8.0)) * (1 - exp(-12.0));
  ck_assert_double_eq_tol(exp(issim_scenario_exact_log(s)), 1 - all_below, 1e-15);
  issim_scenario_free(s);
  /* far beyond double precision: max of two N(0,1) above 40 is 2 Q(40) (7.3e-350),
   * to O(Q(40)^2) */
  s = parse_ok("[target]\ndistribution = independent\ndimension = 2\ncomponent = normal\n"
               "[event]\nloss = max\nthreshold = 40\n[proposal c]\ndistribution = target\n");
  double log_q40 = gsl_sf_log_erfc(40 / M_SQRT2) - M_LN2;
  ck_assert_double_eq_tol(issim_scenario_exact_log(s), M_LN2 + log_q40, 1e-12);
  issim_scenario_free(s);
}
END_TEST

static const struct {
  const char *what, *text;
  int code;
  const char *message;
} mv_errors[] = {
  {"weights of the wrong length", MVN3 "[event]\nloss = linear\nweights = 1 2\nthreshold = 1\n[proposal c]\ndistribution = target\n",
   ISSIM_EINVAL, "test.ini:8: weights has 2 values; give one (for every component) or 3, the dimension"},
  {"non-symmetric covariance", "[target]\ndistribution = multivariate-normal\ndimension = 2\ncovariance = 1 0.5 0.4 1\n[event]\nloss = sum\nthreshold = 1\n[proposal c]\ndistribution = target\n",
   ISSIM_EINVAL, "test.ini:4: covariance is not symmetric: entry (1,2) = 0.5 but (2,1) = 0.4"},
  {"singular covariance", "[target]\ndistribution = multivariate-normal\ndimension = 2\ncovariance = 1 2 2 1\n[event]\nloss = sum\nthreshold = 1\n[proposal c]\ndistribution = target\n",
   ISSIM_EINVAL, "test.ini:4: covariance is not positive definite (GSL's Cholesky factorisation failed)"},
  {"expression that does not parse", MVN3 "[event]\nloss = expression\nexpression = x1 + (x2\nthreshold = 1\n[proposal c]\ndistribution = target\n",
   ISSIM_EINVAL, "test.ini:8: expression does not parse: 'x1 + (x2' (check the parentheses and operators; variables are x1..x3)"},
  {"undefined variable", MVN3 "[event]\nloss = expression\nexpression = x1 + x4\nthreshold = 1\n[proposal c]\ndistribution = target\n",
   ISSIM_EINVAL, "test.ini:8: expression uses 'x4', but the model has 3 dimensions (x1..x3)"},
  {"variables: too few names", MVN3 "[event]\nloss = expression\nvariables = R S\nexpression = R - S\nthreshold = 1\n[proposal c]\ndistribution = target\n",
   ISSIM_EINVAL, "test.ini:8: 2 variable names for a target of 3 dimensions: give one name a coordinate, in order"},
  {"variables: a name twice", MVN3 "[event]\nloss = sum\nthreshold = 1\nvariables = R S R\n[proposal c]\ndistribution = target\n",
   ISSIM_EINVAL, "test.ini:9: variable name 'R' is given twice (variables 1 and 3): each coordinate needs its own name"},
  {"variables: x2 as a name", MVN3 "[event]\nloss = expression\nexpression = R\nvariables = R x2 T\nthreshold = 1\n[proposal c]\ndistribution = target\n",
   ISSIM_EINVAL, "test.ini:9: variable name 'x2' looks like x1..xd, which always name the coordinates in order: choose another name"},
  {"variables: a function's name", MVN3 "[event]\nloss = command\ncommand = ./nothing\nvariables = R sqrt T\nthreshold = 1\n[proposal c]\ndistribution = target\n",
   ISSIM_EINVAL, "test.ini:9: variable name 'sqrt' is a function of expressions: choose another name"},
  {"variables: not a name", MVN3 "[event]\nloss = expression\nexpression = R\nvariables = R, S, T\nthreshold = 1\n[proposal c]\ndistribution = target\n",
   ISSIM_EINVAL, "test.ini:9: variable name 'R,' is not a name: use letters, digits and _, starting with a letter or _ (R, load_1)"},
  {"variables: a name not given", MVN3 "[event]\nloss = expression\nexpression = R - U\nvariables = R S T\nthreshold = 1\n[proposal c]\ndistribution = target\n",
   ISSIM_EINVAL, "test.ini:8: expression uses 'U', which is not a variable: use R, S, T (or x1..x3)"},
  {"variables of a univariate target", "[target]\ndistribution = normal\n[event]\nvariables = R\nthreshold = 1\n[proposal c]\ndistribution = target\n",
   ISSIM_EINVAL, "test.ini:4: variables applies to a multivariate target's loss"},
  {"mixture weights", MVN3 "[event]\nloss = sum\nthreshold = 5 sigma\n[proposal s]\ndistribution = shifted-target\nshift = design-point\n[proposal m]\ndistribution = mixture\ncomponents = 0.2 target + 0.7 s\n",
   ISSIM_EINVAL, "test.ini:14: mixture weights must sum to 1 (got 0.9)"},
  {"mixture of an unknown proposal", MVN3 "[event]\nloss = sum\nthreshold = 1\n[proposal m]\ndistribution = mixture\ncomponents = 0.5 target + 0.5 nope\n",
   ISSIM_EINVAL, "test.ini:11: mixture component 'nope' is not a proposal of this scenario (or target)"},
  {"sigma where unknown", MVN3 "[event]\nloss = max\nthreshold = 5 sigma\n[proposal c]\ndistribution = target\n",
   ISSIM_EINVAL, "test.ini:8: threshold = 5 sigma needs the loss's mean and standard deviation, which issim knows for the target itself in one dimension, and for a linear or sum loss of a multivariate normal, a multivariate t with df > 2, or independent components with finite variances; give the threshold as a number"},
  {"design point out of reach", MVN3 "[event]\nloss = expression\nexpression = exp(x1)\nthreshold = -1\ndirection = <\n[proposal s]\ndistribution = shifted-target\nshift = design-point\n",
   ISSIM_EINVAL, "test.ini:13: shift = design-point: the search for the design point failed from every start: the search went beyond 1000 standard deviations without reaching the event: the threshold is out of the loss's reach; give the shift as a vector of 3 values instead"},
  {"standard-space mean of the wrong size", "[target]\ndistribution = gaussian-copula\ndimension = 2\nmarginal = normal\ncorrelation = 0.3\n[event]\nloss = max\nthreshold = 3\n[proposal s]\ndistribution = standard-space\nmean = 1 2 3\n",
   ISSIM_EINVAL, "test.ini:11: mean has 3 values; give one (for every component) or 2, the dimension"},
  {"impossible max of bounded components", "[target]\ndistribution = independent\ndimension = 3\ncomponent = uniform\n[event]\nloss = max\nthreshold = 1\n[proposal c]\ndistribution = target\n",
   ISSIM_EINVAL, "test.ini:7: the event max loss of x1..x3 > 1 is impossible under the target: on its support the loss ranges over [0, 1], so P = 0 exactly; choose a threshold below 1"},
  {"impossible linear loss of bounded components", "[target]\ndistribution = independent\ndimension = 3\ncomponent = uniform\n[event]\nloss = linear\nweights = 1 -2 0\nthreshold = -2\ndirection = <\n[proposal c]\ndistribution = target\n",
   ISSIM_EINVAL, "test.ini:8: the event linear loss of x1..x3 < -2 is impossible under the target: on its support the loss ranges over [-2, 1], so P = 0 exactly; choose a threshold above -2"},
  {"impossible: zero weights", MVN3 "[event]\nloss = linear\nweights = 0\nthreshold = 1\n[proposal c]\ndistribution = target\n",
   ISSIM_EINVAL, "test.ini:9: the event linear loss of x1..x3 > 1 is impossible under the target: on its support the loss ranges over [0, 0], so P = 0 exactly; choose a threshold below 0"},
  {"impossible: a norm below 0", MVN3 "[event]\nloss = norm\nthreshold = 0\ndirection = <\n[proposal c]\ndistribution = target\n",
   ISSIM_EINVAL, "test.ini:8: the event norm loss of x1..x3 < 0 is impossible under the target: on its support the loss ranges over [0, inf], so P = 0 exactly; choose a threshold above 0"},
  {"impossible min of a copula's bounded marginals", "[target]\ndistribution = gaussian-copula\ndimension = 2\nmarginal = exponential\ncorrelation = 0.5\n[event]\nloss = min\nthreshold = 0\ndirection = <\n[proposal c]\ndistribution = target\n",
   ISSIM_EINVAL, "test.ini:8: the event min loss of x1..x2 < 0 is impossible under the target: on its support the loss ranges over [0, inf], so P = 0 exactly; choose a threshold above 0"},
  {"no loss", MVN3 "[event]\nthreshold = 1\n[proposal c]\ndistribution = target\n",
   ISSIM_EINVAL, "test.ini:6: [event] needs 'loss' for a 3-dimensional target: linear (with weights), sum, max, min, norm, expression, plugin or command"},
  {"univariate proposal", MVN3 "[event]\nloss = sum\nthreshold = 1\n[proposal q]\ndistribution = normal\nmean = 1\n",
   ISSIM_EINVAL, "test.ini:9: proposal 'q' is univariate (normal) but the target has 3 dimensions; use distribution = independent with component = normal, or a multivariate family"},
  {"dimension mismatch", MVN3 "[event]\nloss = sum\nthreshold = 1\n[proposal q]\ndistribution = multivariate-normal\ndimension = 4\n",
   ISSIM_EINVAL, "test.ini:11: proposal 'q' has dimension 4 but the target has 3"},
  {"loss of a univariate target", "[target]\ndistribution = normal\n[event]\nloss = linear\nweights = 1\nthreshold = 1\n[proposal c]\ndistribution = target\n",
   ISSIM_EINVAL, "test.ini:4: loss = linear needs a multivariate target; with a univariate target the loss is x itself (loss = identity)"},
  {"narrow component support", MVN3 "[event]\nloss = sum\nthreshold = 1\n[proposal q]\ndistribution = independent\ncomponent = uniform\nlower = -1\nupper = 1\n",
   ISSIM_ECOVER, "test.ini:9: proposal 'q' = independent(d=3) does not put mass everywhere the target does (a component's support is narrower than the target's): its estimate would be silently biased; use a proposal whose supports contain the target's"},
  {"univariate proposal before a multivariate target",
   "[proposal q]\ndistribution = normal\nmean = 4\n" MVN3 "[event]\nloss = sum\nthreshold = 1\n",
   ISSIM_EINVAL, "test.ini:1: proposal 'q' is univariate (normal) but the target has 3 dimensions; use distribution = independent with component = normal, or a multivariate family"},
  {"unknown key in a multivariate proposal", MVN3 "[event]\nloss = sum\nthreshold = 1\n[proposal q]\ndistribution = multivariate-normal\nsdd = 1\n",
   ISSIM_EINVAL, "test.ini:11: unknown key 'sdd' in [proposal q] (known: distribution, dimension, mean, covariance, sd, correlation)"},
  {"all-zero weights in sigma", MVN3 "[event]\nloss = linear\nweights = 0\nthreshold = 3 sigma\n[proposal c]\ndistribution = target\n",
   ISSIM_EINVAL, "test.ini:9: threshold = 3 sigma: the loss has standard deviation 0 (are the weights all zero?), so no threshold in sigmas exists"},
  {"invalid equicorrelation", "[target]\ndistribution = multivariate-normal\ndimension = 3\ncorrelation = -0.6\n[event]\nloss = sum\nthreshold = 1\n[proposal c]\ndistribution = target\n",
   ISSIM_EINVAL, "test.ini:4: an equicorrelation of -0.6 is not a valid correlation in 3 dimensions: it must be above -1/(d-1) = -0.5 and below 1"},
#define MIXED3 "[target]\ndistribution = independent\ndimension = 3\n" /* 3 lines */
#define SUM1 "[event]\nloss = sum\nthreshold = 30\n[proposal c]\ndistribution = target\n"
  {"families of the wrong count", MIXED3 "component = lognormal normal\n" SUM1,
   ISSIM_EINVAL, "test.ini:4: component has 2 families; give one (for every component) or 3, the dimension (one per component, in order)"},
  {"an unknown family in the list", MIXED3 "component = lognormal nomral normal\n" SUM1,
   ISSIM_EINVAL, "test.ini:4: unknown distribution 'nomral' (known: normal, student-t, exponential, gamma, lognormal, laplace, logistic, cauchy, weibull, pareto, gumbel, uniform, beta, chi-squared, truncated-normal, gev, triangular)"},
  {"values for the components taking a key", MIXED3 "component = lognormal normal normal\nmean = 1 2 3\n" SUM1,
   ISSIM_EINVAL, "test.ini:5: mean has 3 values; it is a parameter of 2 of the 3 components (2, 3): give one value for all of them, or 2, in their order"},
  {"a key no component takes", MIXED3 "component = normal gamma normal\nshape = 2\nscale = 1\nrate = 3\n" SUM1,
   ISSIM_EINVAL, "test.ini:7: no component takes rate: gamma takes scale or rate, not both"},
  {"a component's value out of range", MIXED3 "component = lognormal normal normal\nsd = 1 -2\n" SUM1,
   ISSIM_EINVAL, "test.ini:5: component 3: sd must be > 0 (got -2)"},
  {"cov beside meanlog", MIXED3 "component = lognormal normal normal\nmeanlog = 1\ncov = 0.2\n" SUM1,
   ISSIM_EINVAL, "test.ini:6: no component takes cov: a lognormal takes meanlog and sdlog (of log X) or mean with sd or cov (of X), not both"},
  {"an infinite bound of a uniform", MIXED3 "component = truncated-normal uniform uniform\nlower = 0 -inf 0\nupper = 1\n" SUM1,
   ISSIM_EINVAL, "test.ini:5: component 2: lower must be finite (got -inf)"},
  {"a truncated normal's bounds reversed", "[target]\ndistribution = truncated-normal\nlower = 3\nupper = -inf\n" EVENT PROPOSAL,
   ISSIM_EINVAL, "test.ini:4: lower must be < upper (got lower=3, upper=-inf)"},
  {"a bound that is not a number", "[target]\ndistribution = truncated-normal\nlower = minus-infinity\n" EVENT PROPOSAL,
   ISSIM_EINVAL, "test.ini:3: lower must be a number (got 'minus-infinity')"},
  {"a lognormal's mean without sd", "[target]\ndistribution = lognormal\nmean = 3\n" EVENT PROPOSAL,
   ISSIM_EINVAL, "test.ini:3: the mean of a lognormal needs sd or cov (= sd / mean) beside it"},
  {"a gev without its shape", "[target]\ndistribution = gev\nscale = 3\n" EVENT PROPOSAL,
   ISSIM_EINVAL, "test.ini:1: missing required key 'shape' for gev"},
  {"a triangular's mode outside", "[target]\ndistribution = triangular\nlower = 0\nmode = 4\nupper = 3\n" EVENT PROPOSAL,
   ISSIM_EINVAL, "test.ini:4: a triangular needs lower <= mode <= upper and lower < upper (got lower=0, mode=4, upper=3)"},
};
#define N_MV_ERRORS (sizeof mv_errors / sizeof mv_errors[0])

/* A family per component: each parameter key's values go to the components
 * whose family takes it, in order (one value: all of them); gamma's rate is
 * an exponential's when a scale is given; a copula's marginals alike. */
START_TEST(test_a_family_per_component)
{
  issim_scenario *s = parse_ok("[target]\ndistribution = independent\ndimension = 4\n"
                               "component = lognormal normal exponential gamma\nmeanlog = 5\n"
                               "sdlog = 0.1\nmean = 100\nsd = 15\nrate = 0.5\nshape = 2\n"
                               "scale = 3\n" SUM1);
  const issim_model *m = s->target;
  const issim_dist *c[4];
  for (size_t j = 0; j < 4; j++)
    c[j] = issim_model_component(m, j);
  ck_assert_int_eq(c[0]->kind, ISSIM_DIST_LOGNORMAL);
  ck_assert(c[0]->param[0] == 5 && c[0]->param[1] == 0.1);
  ck_assert(c[1]->param[0] == 100 && c[1]->param[1] == 15);
  ck_assert(c[2]->param[0] == 0.5 && c[2]->param[1] == 0); /* rate, location */
  ck_assert(c[3]->param[0] == 2 && c[3]->param[1] == 3);   /* shape, scale */
  issim_scenario_free(s);
  /* without a scale, rate = one value each for the exponential and the gamma */
  s = parse_ok("[target]\ndistribution = gaussian-copula\ndimension = 3\ncorrelation = 0.2\n"
               "marginal = exponential, gamma exponential\nrate = 1 0.25 2\nshape = 3\n" SUM1);
  m = s->target;
  ck_assert(issim_model_component(m, 0)->param[0] == 1);
  ck_assert(issim_model_component(m, 1)->param[1] == 4); /* scale 1 / 0.25 */
  ck_assert(issim_model_component(m, 2)->param[0] == 2);
  issim_scenario_free(s);
  /* the families of design codes: a lognormal by mean and cov beside normals
   * by mean and sd (cov given: the lognormal takes mean and cov, not sd), a
   * truncated normal with an infinite bound */
  s = parse_ok(MIXED3 "component = lognormal normal truncated-normal\nmean = 10 0 1\ncov = 0.2\n"
               "sd = 1 2\nlower = -inf\nupper = 4\n" SUM1);
  m = s->target;
  ck_assert_double_eq_tol(issim_dist_mean(issim_model_component(m, 0)), 10, 1e-13);
  ck_assert_double_eq_tol(sqrt(issim_dist_variance(issim_model_component(m, 0))), 2, 1e-13);
  ck_assert(issim_model_component(m, 1)->param[0] == 0 && issim_model_component(m, 1)->param[1] == 1);
  ck_assert(issim_model_component(m, 2)->param[1] == 2 && issim_model_component(m, 2)->param[2] == -INFINITY &&
            issim_model_component(m, 2)->param[3] == 4);
  issim_scenario_free(s);
  /* lognormals only: mean and sd are theirs; beside normals without cov, a
   * lognormal keeps its default meanlog 0 and sdlog 1 (as before) */
  s = parse_ok(MIXED3 "component = lognormal\nmean = 10 5 1\nsd = 2\n" SUM1);
  ck_assert_double_eq_tol(issim_dist_mean(issim_model_component(s->target, 1)), 5, 1e-13);
  ck_assert_double_eq_tol(issim_dist_variance(issim_model_component(s->target, 2)), 4, 1e-12);
  issim_scenario_free(s);
  s = parse_ok(MIXED3 "component = lognormal normal normal\nmean = 5\nsd = 2\n" SUM1);
  ck_assert(issim_model_component(s->target, 0)->param[0] == 0 &&
            issim_model_component(s->target, 0)->param[1] == 1);
  issim_scenario_free(s);
}
END_TEST

/* A mixture of more than 64 terms, or with a term naming a proposal of more
 * than 127 characters, got "cannot read the mixture term": the first is
 * now named as the limit it is, the second is no limit. */
START_TEST(test_mixture_limits)
{
  char text[4096];
  int n = snprintf(text, sizeof text, MVN3 "[event]\nloss = sum\nthreshold = 1\n"
                                      "[proposal m]\ndistribution = mixture\ncomponents = 0.5 target");
  for (int i = 0; i < 64; i++)
    n += snprintf(text + n, sizeof text - (size_t)n, "\n  + 0.0078125 target"); /* 0.5/64 */
  snprintf(text + n, sizeof text - (size_t)n, "\n");
  expect_error(text, ISSIM_EINVAL, "test.ini:11: a mixture has at most 64 terms; this one has 65");

  char name[200];
  memset(name, 'q', 150);
  name[150] = '\0';
  snprintf(text, sizeof text, MVN3 "[event]\nloss = sum\nthreshold = 1\n[proposal %s]\n"
                              "distribution = shifted-target\nshift = 1 1 1\n[proposal m]\n"
                              "distribution = mixture\ncomponents = 0.5 target\n  + 0.5 %s\n",
           name, name);
  issim_scenario *s = parse_ok(text);
  ck_assert_uint_eq(s->n_proposals, 2);
  ck_assert_str_eq(s->proposals[0].name, name);
  issim_scenario_free(s);
}
END_TEST

/* The memory a scenario needs is estimated before anything is allocated:
 * a 10,000-dimensional normal with a design-point proposal (6.7 GB) was
 * built for minutes; now it is refused at its dimension line at once, and
 * a limit of the caller's own counts too. */
START_TEST(test_memory_limit)
{
  static const char *big =
      "[target]\ndistribution = multivariate-normal\ndimension = 10000\ncorrelation = 0.3\n"
      "[event]\nloss = sum\nthreshold = 5 sigma\n"
      "[proposal dp]\ndistribution = shifted-target\nshift = design-point\n";
  expect_error(big, ISSIM_EINVAL,
               "test.ini:3: dimension = 10000: this scenario would need about 6.48 GB of memory (8 "
               "matrices of 10000 x 10000 numbers for the target, the proposals and their "
               "set-up), more than the limit of 4 GB; lower the dimension, or raise the limit "
               "with --max-memory");
  /* 100 dimensions: 8 matrices of 80 kB and 1024 vectors of 800 bytes, 1.46 MB */
  static const char *small =
      "[target]\ndistribution = multivariate-normal\ndimension = 100\ncorrelation = 0.3\n"
      "[event]\nloss = sum\nthreshold = 5 sigma\n"
      "[proposal dp]\ndistribution = shifted-target\nshift = design-point\n";
  issim_scenario_limits lim = {.max_memory = 1e6};
  issim_error err;
  ck_assert_ptr_null(issim_scenario_parse_limited(small, strlen(small), "s.ini", &lim, &err));
  ck_assert_msg(strstr(err.message, "s.ini:3: dimension = 100: this scenario would need about "
                                    "0.00146 GB") != NULL, "%s", err.message);
  lim.max_memory = 2e6;
  issim_scenario *s = issim_scenario_parse_limited(small, strlen(small), "s.ini", &lim, &err);
  ck_assert_msg(s != NULL, "%s", err.message);
  issim_scenario_free(s);
  /* independent components without a design-point search need no matrix */
  static const char *wide =
      "[target]\ndistribution = independent\ndimension = 10000\ncomponent = lognormal\n"
      "[event]\nloss = sum\nthreshold = 40000\n[proposal c]\ndistribution = target\n";
  lim.max_memory = 1e8;
  s = issim_scenario_parse_limited(wide, strlen(wide), "s.ini", &lim, &err);
  ck_assert_msg(s != NULL, "%s", err.message);
  issim_scenario_free(s);
}
END_TEST

/* [event] variables: the names reach s->variables and the expression, beside
 * x1..xd; a command or a plugin loss takes them too (names only), and a
 * linear one; none given, s->variables is NULL. */
START_TEST(test_variables)
{
  issim_scenario *s = parse_ok(MVN3 "[event]\nloss = expression\nvariables = R\tS  load_3 ; names\n"
                               "expression = R - S*load_3 + x1 + (x2 > 0 ? 1 : 0)\nthreshold = 1\n"
                               "[proposal c]\ndistribution = target\n");
  ck_assert_ptr_nonnull(s->variables);
  ck_assert_str_eq(s->variables[0], "R");
  ck_assert_str_eq(s->variables[1], "S");
  ck_assert_str_eq(s->variables[2], "load_3");
  const double x[3] = {0.5, 2, -3};
  double g;
  issim_loss_eval(s->event.loss, 1, x, &g);
  ck_assert(g == 0.5 - 2 * -3.0 + 0.5 + 1);
  issim_scenario_free(s);
  s = parse_ok(MVN3 "[event]\nloss = linear\nweights = 1\nvariables = a b c\nthreshold = 1\n"
               "[proposal c]\ndistribution = target\n");
  ck_assert_str_eq(s->variables[2], "c");
  issim_scenario_free(s);
  s = parse_ok(MVN3 "[event]\nloss = command\ncommand = /bin/cat\nvariables = a b c\nthreshold = 1\n"
               "[proposal c]\ndistribution = target\n");
  ck_assert_str_eq(s->variables[1], "b");
  issim_scenario_free(s);
  s = parse_ok(MVN3 "[event]\nloss = sum\nthreshold = 1\n[proposal c]\ndistribution = target\n");
  ck_assert_ptr_null(s->variables);
  issim_scenario_free(s);
}
END_TEST

START_TEST(test_multivariate_error)
{
  expect_error(mv_errors[_i].text, mv_errors[_i].code, mv_errors[_i].message);
}
END_TEST

static Suite *scenario_suite(void)
{
  Suite *s = suite_create("scenario");

  TCase *tc = tcase_create("valid");
  tcase_add_test(tc, test_example);
  tcase_add_test(tc, test_defaults);
  tcase_add_test(tc, test_direction_below);
  tcase_add_test(tc, test_reference);
  tcase_add_test(tc, test_comments_quotes_continuation);
  tcase_add_test(tc, test_longest_line);
  tcase_add_test(tc, test_samples_forms);
  tcase_add_test(tc, test_section_header_forms);
  tcase_add_loop_test(tc, test_every_family_as_target, 0, (int)N_FAMILIES);
  tcase_add_test(tc, test_exact_log);
  tcase_add_test(tc, test_read_file);
  suite_add_tcase(s, tc);

  tc = tcase_create("errors");
  tcase_add_test(tc, test_missing_file);
  tcase_add_test(tc, test_read_directory);
  tcase_add_loop_test(tc, test_error, 0, (int)N_ERRORS);
  tcase_add_test(tc, test_line_too_long);
  tcase_add_test(tc, test_first_error_wins);
  suite_add_tcase(s, tc);

  tc = tcase_create("multivariate");
  tcase_add_test(tc, test_portfolio_sigma_and_design_point);
  tcase_add_test(tc, test_multivariate_t_sigma_and_extremes);
  tcase_add_test(tc, test_variables);
  tcase_add_loop_test(tc, test_multivariate_error, 0, (int)N_MV_ERRORS);
  tcase_add_test(tc, test_a_family_per_component);
  tcase_add_test(tc, test_mixture_limits);
  tcase_add_test(tc, test_memory_limit);
  suite_add_tcase(s, tc);

  tc = tcase_create("values");
  tcase_add_test(tc, test_parse_samples);
  tcase_add_test(tc, test_parse_seed);
  tcase_add_test(tc, test_parse_number);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  return run_suite(scenario_suite());
}
