/* check_util.h: helpers shared by the test programs (tests/check_*.c).
 *
 * Design.  Assertions that print the caller's expressions (#got) are macros
 * and live here.  Everything else is an ordinary function in check_util.c,
 * built once into the libtool convenience library tests/libcheck_util.la
 * (check_LTLIBRARIES in Makefile.am, so only `make check` builds it) and
 * linked into every test program through TEST_LDADD: a test file includes
 * this header and needs nothing else in Makefile.am.  check_util.c defines
 * the POSIX feature macros it needs (mkstemps, posix_spawn, nanosleep)
 * itself, so a test file need not define them to use these helpers.
 *
 * The functions assert with Check (ck_assert*): they must be called from
 * inside a test (START_TEST ... END_TEST), where a failed assertion fails that
 * test.  What they allocate is the caller's to free (noted at each).
 *
 * Contents
 *   assertions    assert_close, ck_assert_within_4se
 *   memory        xalloc
 *   laws          line_model (a distribution on the line as a problem's model)
 *   files         slurp, write_file, temp_file, shipped_scenario
 *   processes     outcome, run_capture, run_program, outcome_free (running the issim command)
 *   JSON          parse_json
 *   exact values  log_normal_sf, quadrature
 *   losses        expression_loss, counting_sum_loss (a function loss)
 *   scenarios     scenario_parse_ok, scenario_of_text, run_config_of, analyse_one,
 *                 analyse_named, estimate_of_text
 *   verdicts      good_estimate
 *
 * The suite runner, run_suite, stays in check_main.h.
 */
#ifndef ISSIM_CHECK_UTIL_H
#define ISSIM_CHECK_UTIL_H

#include <check.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "analysis.h"
#include "scenario.h"

/* ---- assertions ---- */

/* |got - want| <= tol; an infinite want must be matched exactly. */
#define assert_close(got, want, tol)                                           \
  do {                                                                         \
    const double got_ = (got), want_ = (want), tol_ = (tol);                   \
    ck_assert_msg(isinf(want_) ? got_ == want_ : fabs(got_ - want_) <= tol_,   \
                  "%s = %.17g, want %s = %.17g (diff %.3g, tol %.3g)", #got,   \
                  got_, #want, want_, got_ - want_, tol_);                     \
  } while (0)

/* An estimate against an exact value: |est - exact| <= 4 se, with se finite
 * and positive (a zero or NaN standard error would make any test pass). */
#define ck_assert_within_4se(est, exact, se)                                              \
  do {                                                                                    \
    double est_ = (est), exact_ = (exact), se_ = (se);                                    \
    ck_assert_msg(isfinite(se_) && se_ > 0, "standard error %g is not positive", se_);    \
    ck_assert_msg(fabs(est_ - exact_) <= 4 * se_, "%s = %.10g, exact %.10g, %.2f SE away", \
                  #est, est_, exact_, (est_ - exact_) / se_);                             \
  } while (0)

/* ---- memory ---- */

/* malloc of n doubles (at least one), asserted; free() it. */
double *xalloc(size_t n);

/* ---- laws ---- */

/* d (which it frees) as a distribution on the line, the model a univariate
 * problem carries (issim_model_alloc_line); asserted; issim_model_free it. */
issim_model *line_model(issim_dist *d);

/* ---- files ---- */

/* The whole file at path, NUL-terminated; asserts it can be read; free() it. */
char *slurp(const char *path);

/* Writes text to path (replacing it); asserts it can. */
void write_file(const char *path, const char *text);

/* Creates a new empty file from the mkstemps template tmpl (in place: its
 * XXXXXX becomes the name; the last suffix_len characters are kept, e.g. 4
 * for "/tmp/x-XXXXXX.ini").  The caller unlinks it. */
void temp_file(char *tmpl, int suffix_len);

/* ---- processes ---- */

typedef struct {
  int status; /* exit status, or -1 if it did not exit normally */
  int signal; /* the signal that ended it, or 0 */
  char *out, *err;
} outcome;

/* Runs argv (argv[0]: the program's path; NULL-terminated), capturing its
 * standard output and error; after interrupt_after seconds (0: never) sends it
 * SIGINT (Ctrl-C).  Release with outcome_free. */
outcome run_capture(const char *const *argv, int interrupt_after);

/* run_capture of `program` with the NULL-terminated arguments (at most 30). */
outcome run_program(const char *program, const char *const *args);
void outcome_free(outcome *o);

/* ---- JSON ---- */

/* text parsed, asserted to be JSON; json_decref() it. */
json_t *parse_json(const char *text);

/* ---- exact values ---- */

/* log Q(t) for the standard normal, accurate far in the tail (t = 40). */
double log_normal_sf(double t);

/* int_lo^hi f by GSL's CQUAD to a relative 1e-13, asserted to reach 1e-10;
 * nested calls are fine (each has its own workspace). */
double quadrature(double (*f)(double, void *), void *params, double lo, double hi);

/* ---- scenarios ---- */

/* text parsed as a scenario read from `file` (the name its messages give);
 * asserts it parses.  issim_scenario_free() it. */
issim_scenario *scenario_parse_ok(const char *text, const char *file);

/* The scenario "[target] TARGET [event] threshold = T [proposal q] PROPOSAL",
 * where target and proposal are the keys of those sections, one a line
 * ("distribution = normal\nmean = 5").  Parsed as "test.ini". */
issim_scenario *scenario_of_text(const char *target, double threshold, const char *proposal);

/* The run settings of the analysis tests: n draws, the seed, the scenario's
 * generator, the stream of the proposal named `name`, `threads` threads. */
issim_run_config run_config_of(const issim_scenario *s, const char *name, uint64_t n,
                               uint64_t seed, int threads);

/* Parses a scenario of target + event + one proposal q and analyses q with
 * n draws, seed 2024, two threads; r->proposal is NULL on return (it pointed
 * into the scenario, which is freed). */
void analyse_one(const char *target, double threshold, const char *proposal, uint64_t n,
                 issim_result *r);

/* The path to run shipped scenario `file` (in scenario_dir) from: its own,
 * or, for one whose loss is a plugin or a program that make check builds
 * (relative to the scenario: ../examples/), a copy in
 * build_dir/scenario-copies/, beside the build's examples/ (which an
 * out-of-tree build, make distcheck, does not have beside the sources). */
void shipped_scenario(const char *scenario_dir, const char *build_dir, const char *file,
                      char *path, size_t size);

/* Proposal `name` of s analysed with n draws, seed 2024, `threads` threads
 * (issim_analyse's code; r to clear with issim_result_clear even on
 * ISSIM_ELOSS, whose partial run it may hold). */
int analyse_named(const issim_scenario *s, const char *name, uint64_t n, int threads,
                  issim_result *r, issim_error *err);

/* The estimate of proposal `name` of the scenario text (parsed as
 * "test.ini"), as analyse_named gives it; asserts it runs. */
issim_estimate estimate_of_text(const char *text, const char *name, uint64_t n, int threads);

/* ---- models and losses ---- */

/* d <= 8 independent normals with means `mean` and sds `sd` (each NULL: 0
 * and 1); asserts it builds.  issim_model_free() it. */
issim_model *independent_normals(size_t d, const double *mean, const double *sd);

/* The expression loss of formula f in x1..xd; asserts it compiles. */
issim_loss *expression_loss(size_t d, const char *f);

/* A function loss (loss.h), the caller's own model: g(x) = x1 + ... + xd,
 * adding the points it evaluates to *count (atomically; may be NULL), and
 * failing ("x1 = ... is above ...") on a batch with a point whose x1 is above
 * fail_above.  The counter must outlive the loss. */
issim_loss *counting_sum_loss(size_t d, double fail_above, uint64_t *count);

/* ---- verdicts ---- */

/* An estimate that passes every rule of verdict.h with a wide margin (event
 * ESS 20000, Kish ESS 5000, largest share 1e-4, mean weight 1 +- 0.01): a
 * test changes one field to make one rule fire. */
issim_estimate good_estimate(void);

#endif
