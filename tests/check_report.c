/* Tests of src/report.c: the reports of a small fixed-seed run written to a
 * memory stream and read back.  JSON: parsed with jansson, every documented
 * key present, numbers equal to the analysis structs' (17 digits read back
 * exactly), null for NaN, strings for probabilities below DBL_MIN and for
 * infinities, the log10 fields; text: the key lines with the structs'
 * numbers; the warnings; the compare (text, JSON, CSV) and calibrate (text,
 * JSON) reports; issim_format_log_prob; and a failing stream. */
#define _POSIX_C_SOURCE 200809L /* open_memstream */

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

/* Calls `call`, which writes to the FILE *out, into a malloc'd string buf. */
#define RENDER(buf, call)                                                      \
  do {                                                                         \
    size_t len_;                                                               \
    FILE *out = open_memstream(&(buf), &len_);                                 \
    ck_assert_ptr_nonnull(out);                                                \
    ck_assert_int_eq((call), 0);                                               \
    ck_assert_int_eq(fclose(out), 0);                                          \
  } while (0)

#define N_DRAWS 20000
#define SHIFTED 0
#define CRUDE 1
#define AWAY 2

/* P(Z > 4) = 3.17e-5: a shifted normal (trustworthy), plain Monte Carlo
 * (N P = 0.63: at most a few hits), and a normal that never reaches the event
 * and whose tail is too light (no hit, infinite variance). */
static const char SCENARIO[] =
    "[scenario]\nname = report-test\ndescription = P(Z > 4)\n"
    "[target]\ndistribution = normal\n[event]\nthreshold = 4\n"
    "[proposal shifted]\ndistribution = normal\nmean = 4\n"
    "[proposal crude]\ndistribution = target\n"
    "[proposal away]\ndistribution = normal\nmean = -4\nsd = 0.5\n";

static const char *const DISTRIBUTION[3] = {"normal(mean=4, sd=1)", "target",
                                             "normal(mean=-4, sd=0.5)"};

static issim_scenario *scn;
static issim_result res[3];
static issim_report rep;

static void setup(void)
{
  scn = scenario_parse_ok(SCENARIO, "report.ini");
  for (size_t i = 0; i < 3; i++) {
    issim_run_config cfg = run_config_of(scn, scn->proposals[i].name, N_DRAWS, 5, 1);
    issim_error err;
    int rc = issim_analyse(scn, &scn->proposals[i], &cfg, 0, &res[i], &err);
    ck_assert_msg(rc == ISSIM_OK, "%s", err.message);
  }
  rep = (issim_report){.scenario = scn, .samples = N_DRAWS, .seed = 5, .rng_name = "taus2",
                       .threads = 1, .exact_log = log(gsl_cdf_ugaussian_Q(4)), .n_results = 3,
                       .results = res};
}

static void teardown(void)
{
  for (size_t i = 0; i < 3; i++)
    issim_result_clear(&res[i]);
  issim_scenario_free(scn);
}

/* ---- JSON helpers ---- */

static json_t *get(json_t *o, const char *key)
{
  json_t *v = json_object_get(o, key);
  ck_assert_msg(v != NULL, "no key '%s'", key);
  return v;
}

/* o[key] is a number equal to want (NaN: null; infinite: "inf"/"-inf") */
static void expect_num(json_t *o, const char *key, double want)
{
  json_t *v = get(o, key);
  if (isnan(want)) {
    ck_assert_msg(json_is_null(v), "%s: not null for NaN", key);
  } else if (isinf(want)) {
    ck_assert_msg(json_is_string(v), "%s: not a string for inf", key);
    ck_assert_str_eq(json_string_value(v), want > 0 ? "inf" : "-inf");
  } else {
    ck_assert_msg(json_is_real(v), "%s: not a real", key);
    ck_assert_msg(json_real_value(v) == want, "%s = %.17g, want %.17g", key, json_real_value(v),
                  want);
  }
}

/* a probability by its log: a number while a double holds it */
static void expect_prob(json_t *v, double log_p, const char *what)
{
  if (log_p == -INFINITY) {
    ck_assert_msg(json_is_real(v) && json_real_value(v) == 0, "%s: not 0.0", what);
  } else if (isnan(log_p)) {
    ck_assert_msg(json_is_null(v), "%s: not null", what);
  } else {
    ck_assert_msg(json_is_real(v), "%s: not a number", what);
    ck_assert_msg(json_real_value(v) == exp(log_p), "%s = %.17g, want %.17g", what,
                  json_real_value(v), exp(log_p));
  }
}

static void expect_str(json_t *o, const char *key, const char *want)
{
  json_t *v = get(o, key);
  ck_assert_msg(json_is_string(v), "%s: not a string", key);
  ck_assert_str_eq(json_string_value(v), want);
}

static json_t *json_of_run(const issim_report *r)
{
  char *buf = NULL;
  RENDER(buf, issim_report_json(out, r));
  size_t n = strlen(buf);
  ck_assert(n > 0 && buf[n - 1] == '\n'); /* followed by a newline */
  json_t *root = parse_json(buf);
  free(buf);
  return root;
}

/* The keys of docs/output.md's table "Each element of results", in order. */
static const char *const RESULT_KEYS[] = {
    "proposal", "distribution", "verdict", "samples", "hits", "estimate", "log10_estimate",
    "std_error", "relative_error", "ci95", "ci95_log_scale", "exact", "z_exact", "z_reference",
    "self_normalized_estimate", "self_normalized_relative_error", "ess", "event_ess",
    "max_weight_share", "mean_weight", "mean_weight_se", "expected_mean_weight", "pareto_k",
    "tail_check", "regions", "relative_variance", "samples_for_1pct", "samples_for_10pct",
    "log10_gain_over_crude", "kl_p_q", "kl_p_q_se", "kl_q_p", "kl_q_p_se", "kl_pstar_q",
    "entropy_p", "entropy_p_se", "cross_entropy_p_q", "cross_entropy_p_q_se",
    "exact_information", "kl_p_q_reliable", "kl_p_q_reliable_reason", "kl_q_p_reliable",
    "kl_q_p_reliable_reason", "entropy_p_reliable", "entropy_p_reliable_reason",
    "cross_entropy_p_q_reliable", "cross_entropy_p_q_reliable_reason", "seconds",
    "loss_evaluations", "stopped_by",
    "partial", "failure", "warnings"};
#define N_RESULT_KEYS (sizeof RESULT_KEYS / sizeof RESULT_KEYS[0])

/* Every documented key, no other, in the documented order (the text is
 * searched, since a parsed object need not keep the order). */
static void expect_result_keys(json_t *o, const char *text_of_o)
{
  ck_assert_uint_eq(json_object_size(o), N_RESULT_KEYS);
  const char *at = text_of_o;
  for (size_t k = 0; k < N_RESULT_KEYS; k++) {
    get(o, RESULT_KEYS[k]);
    char quoted[64];
    snprintf(quoted, sizeof quoted, "\"%s\":", RESULT_KEYS[k]);
    const char *found = strstr(at, quoted);
    ck_assert_msg(found != NULL, "key %s out of order", RESULT_KEYS[k]);
    at = found;
  }
}

static void expect_information(json_t *o, const issim_result *r)
{
  const issim_estimate *e = &r->estimate;
  expect_num(o, "kl_p_q", e->kl_p_q);
  expect_num(o, "kl_p_q_se", e->kl_p_q_se);
  expect_num(o, "kl_q_p", e->kl_q_p);
  expect_num(o, "kl_q_p_se", e->kl_q_p_se);
  expect_num(o, "kl_pstar_q", e->kl_pstar_q);
  expect_num(o, "entropy_p", e->entropy_p);
  expect_num(o, "entropy_p_se", e->entropy_p_se);
  expect_num(o, "cross_entropy_p_q", e->cross_entropy_p_q);
  expect_num(o, "cross_entropy_p_q_se", e->cross_entropy_p_q_se);
  json_t *x = get(o, "exact_information");
  ck_assert_uint_eq(json_object_size(x), 5);
  const struct {
    const char *key;
    double v;
    issim_exact_method how;
  } ex[] = {{"kl_p_q", r->exact.kl_p_q, r->exact.kl_p_q_how},
            {"kl_q_p", r->exact.kl_q_p, r->exact.kl_q_p_how},
            {"entropy_p", r->exact.entropy_p, r->exact.entropy_p_how},
            {"entropy_q", r->exact.entropy_q, r->exact.entropy_q_how},
            {"cross_entropy_p_q", r->exact.cross_entropy_p_q, r->exact.cross_entropy_p_q_how}};
  for (size_t k = 0; k < 5; k++) {
    json_t *item = get(x, ex[k].key);
    expect_str(item, "method", issim_exact_method_name(ex[k].how));
    expect_num(item, "value", ex[k].how == ISSIM_EXACT_NONE ? NAN : ex[k].v);
  }
}

/* Each result's numbers against its struct. */
static void expect_result(json_t *o, const issim_report *r, const issim_result *res_i,
                          const char *distribution)
{
  const issim_estimate *e = &res_i->estimate;
  expect_str(o, "proposal", res_i->proposal->name);
  expect_str(o, "distribution", distribution);
  expect_str(o, "verdict", issim_verdict_name(res_i->verdict.level));
  ck_assert_int_eq(json_integer_value(get(o, "samples")), (json_int_t)e->samples);
  ck_assert_int_eq(json_integer_value(get(o, "hits")), (json_int_t)e->hits);
  expect_prob(get(o, "estimate"), e->log_estimate, "estimate");
  expect_num(o, "log10_estimate", e->hits ? e->log_estimate / M_LN10 : NAN);
  expect_prob(get(o, "std_error"), e->hits ? e->log_std_error : NAN, "std_error");
  expect_num(o, "relative_error", e->relative_error);
  json_t *ci = get(o, "ci95"), *ls = get(o, "ci95_log_scale");
  ck_assert_uint_eq(json_array_size(ci), 2);
  ck_assert_uint_eq(json_array_size(ls), 2);
  expect_prob(json_array_get(ci, 0), e->hits ? e->log_ci_low : -INFINITY, "ci95[0]");
  expect_prob(json_array_get(ci, 1), e->hits ? e->log_ci_high : NAN, "ci95[1]");
  expect_prob(json_array_get(ls, 0), e->hits ? e->log_ci_low_ls : NAN, "ci95_log_scale[0]");
  expect_prob(json_array_get(ls, 1), e->hits ? e->log_ci_high_ls : NAN, "ci95_log_scale[1]");
  expect_prob(get(o, "exact"), r->exact_log, "exact");
  /* z = (P_hat - P) / SE, computed here */
  json_t *z = get(o, "z_exact");
  if (e->hits == 0) {
    ck_assert(json_is_null(z));
  } else {
    double want = (e->estimate - exp(r->exact_log)) / e->std_error;
    ck_assert_msg(fabs(json_real_value(z) - want) <= 1e-9 * fmax(1, fabs(want)),
                  "z_exact %.17g, want %.17g", json_real_value(z), want);
  }
  expect_prob(get(o, "self_normalized_estimate"),
              e->hits ? e->self_normalized_log_estimate : NAN, "self_normalized_estimate");
  expect_num(o, "self_normalized_relative_error", e->self_normalized_relative_error);
  expect_num(o, "ess", e->ess);
  expect_num(o, "event_ess", e->event_ess);
  expect_num(o, "max_weight_share", e->max_weight_share);
  expect_num(o, "mean_weight", e->mean_weight);
  expect_num(o, "mean_weight_se", e->mean_weight_se);
  expect_num(o, "expected_mean_weight", res_i->expected_mean_weight);
  expect_num(o, "pareto_k", res_i->pareto_k);
  expect_str(o, "tail_check", res_i->variance == ISSIM_VARIANCE_FINITE ? "finite"
                              : res_i->variance == ISSIM_VARIANCE_INFINITE ? "infinite"
                                                                         : "undecided");
  expect_num(o, "relative_variance", e->relative_variance);
  expect_num(o, "samples_for_1pct", e->samples_for_1pct);
  expect_num(o, "samples_for_10pct", e->samples_for_10pct);
  expect_num(o, "log10_gain_over_crude", e->log_gain_over_crude / M_LN10);
  expect_information(o, res_i);
  expect_num(o, "seconds", res_i->seconds);
  expect_str(o, "stopped_by", "samples");
  ck_assert(json_is_false(get(o, "partial")));
  /* the warnings, as issim_result_warnings gives them */
  char *lines[16];
  size_t n = issim_result_warnings(r, res_i, lines, 16);
  json_t *w = get(o, "warnings");
  ck_assert_uint_eq(json_array_size(w), n);
  for (size_t k = 0; k < n; k++) {
    ck_assert_str_eq(json_string_value(json_array_get(w, k)), lines[k]);
    free(lines[k]);
  }
}

/* o has exactly these keys (in any order) */
static void expect_keys(json_t *o, const char *const *keys, size_t n)
{
  for (size_t k = 0; k < n; k++)
    get(o, keys[k]);
  ck_assert_uint_eq(json_object_size(o), n);
}
#define EXPECT_KEYS(o, ...)                                                    \
  expect_keys(o, (const char *const[]){__VA_ARGS__},                           \
              sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *))

/* ---- issim run --format json ---- */

START_TEST(test_json_top_level)
{
  json_t *root = json_of_run(&rep);
  EXPECT_KEYS(root, "scenario", "file", "target", "event", "exact", "log10_exact", "reference",
              "failure_regions", "samples", "seed", "rng", "threads", "target_re", "max_seconds",
              "max_calls", "partial", "results");
  /* docs/output.md: the event's four keys; the reference, here the exact P */
  EXPECT_KEYS(get(root, "event"), "direction", "threshold", "threshold_sigmas", "loss");
  expect_str(get(root, "event"), "loss", "identity");
  ck_assert(json_is_null(get(get(root, "event"), "threshold_sigmas")));
  EXPECT_KEYS(get(root, "reference"), "kind", "value", "log10_value");
  expect_str(get(root, "reference"), "kind", "exact");
  expect_num(get(root, "reference"), "log10_value", rep.exact_log / M_LN10);
  expect_str(root, "scenario", "report-test");
  expect_str(root, "file", "report.ini");
  expect_str(root, "target", "normal(mean=0, sd=1)");
  json_t *event = get(root, "event");
  expect_str(event, "direction", ">");
  expect_num(event, "threshold", 4);
  expect_prob(get(root, "exact"), rep.exact_log, "exact");
  expect_num(root, "log10_exact", rep.exact_log / M_LN10);
  assert_close(json_real_value(get(root, "log10_exact")), log10(gsl_cdf_ugaussian_Q(4)), 1e-14);
  ck_assert_int_eq(json_integer_value(get(root, "samples")), N_DRAWS);
  expect_str(root, "seed", "5"); /* a string: seeds go beyond 2^53 */
  expect_str(root, "rng", "taus2");
  ck_assert_int_eq(json_integer_value(get(root, "threads")), 1);
  ck_assert(json_is_null(get(root, "target_re")));
  ck_assert(json_is_null(get(root, "max_seconds")));
  ck_assert(json_is_false(get(root, "partial")));
  ck_assert_uint_eq(json_array_size(get(root, "results")), 3);
  json_decref(root);
  /* a seed above 2^53 is kept exactly, the stopping rules as numbers */
  issim_report r = rep;
  r.seed = 18446744073709551615ULL;
  r.target_re = 0.01;
  r.max_seconds = 20;
  r.interrupted = 1;
  root = json_of_run(&r);
  expect_str(root, "seed", "18446744073709551615");
  expect_num(root, "target_re", 0.01);
  expect_num(root, "max_seconds", 20);
  ck_assert(json_is_true(get(root, "partial")));
  json_decref(root);
}
END_TEST

START_TEST(test_json_results_equal_the_structs)
{
  ck_assert_int_eq(res[SHIFTED].verdict.level, ISSIM_TRUSTWORTHY);
  ck_assert_uint_gt(res[SHIFTED].estimate.hits, 0);
  ck_assert_uint_eq(res[AWAY].estimate.hits, 0);
  ck_assert_within_4se(res[SHIFTED].estimate.estimate, gsl_cdf_ugaussian_Q(4),
                       res[SHIFTED].estimate.std_error);
  char *buf = NULL;
  RENDER(buf, issim_report_json(out, &rep));
  json_t *root = parse_json(buf);
  json_t *results = get(root, "results");
  const char *at = strstr(buf, "\"results\":");
  for (size_t i = 0; i < 3; i++) {
    json_t *o = json_array_get(results, i);
    at = strstr(at, "\"proposal\":");
    ck_assert_ptr_nonnull(at);
    expect_result_keys(o, at);
    expect_result(o, &rep, &res[i], DISTRIBUTION[i]);
    at++;
  }
  json_decref(root);
  free(buf);
}
END_TEST

START_TEST(test_json_no_hit_and_nulls)
{
  /* docs/output.md: a proposal without hits */
  json_t *root = json_of_run(&rep);
  json_t *o = json_array_get(get(root, "results"), AWAY);
  expect_str(o, "verdict", "unreliable");
  expect_str(o, "tail_check", "infinite");
  ck_assert_int_eq(json_integer_value(get(o, "hits")), 0);
  ck_assert(json_is_real(get(o, "estimate")) && json_real_value(get(o, "estimate")) == 0);
  expect_num(o, "event_ess", 0); /* 0.0 with no hit, not null */
  static const char *const null_keys[] = {"log10_estimate", "std_error", "relative_error",
                                          "z_exact", "self_normalized_estimate",
                                          "kl_pstar_q", "relative_variance",
                                          "log10_gain_over_crude"};
  for (size_t k = 0; k < sizeof null_keys / sizeof null_keys[0]; k++)
    ck_assert_msg(json_is_null(get(o, null_keys[k])), "%s is not null", null_keys[k]);
  json_t *ci = get(o, "ci95"), *ls = get(o, "ci95_log_scale");
  ck_assert(json_is_real(json_array_get(ci, 0)) && json_real_value(json_array_get(ci, 0)) == 0);
  ck_assert(json_is_null(json_array_get(ci, 1)));
  ck_assert(json_is_null(json_array_get(ls, 0)) && json_is_null(json_array_get(ls, 1)));
  json_t *w = get(o, "warnings");
  ck_assert_uint_ge(json_array_size(w), 2);
  ck_assert(strstr(json_string_value(json_array_get(w, 0)),
                   "no draw hit the event in 20000 samples: the proposal may not reach") != NULL);
  ck_assert(strstr(json_string_value(json_array_get(w, 1)), "upper tail is too light") != NULL);
  /* crude: no k-hat (equal weights): null, and its distribution is the target */
  o = json_array_get(get(root, "results"), CRUDE);
  ck_assert(isnan(res[CRUDE].pareto_k));
  ck_assert(json_is_null(get(o, "pareto_k")));
  expect_str(o, "distribution", "target");
  json_t *kl = get(get(o, "exact_information"), "kl_p_q");
  expect_num(kl, "value", 0);
  expect_str(kl, "method", "closed form");
  json_decref(root);
}
END_TEST

START_TEST(test_json_below_dbl_min_and_infinities)
{
  /* P(Z > 40) = 3.66e-350 as the exact value, an estimate near it: strings
   * with 17 significant digits, the log10 fields numbers */
  issim_result r = res[SHIFTED];
  double exact_log = log_normal_sf(40);
  r.estimate.log_estimate = exact_log + 0.01;
  r.estimate.log_std_error = exact_log - 5;
  r.estimate.log_ci_low = exact_log - 0.01;
  r.estimate.log_ci_high = exact_log + 0.02;
  r.exact.kl_p_q = INFINITY;
  r.exact.kl_p_q_how = ISSIM_EXACT_INFINITE;
  r.exact.kl_q_p_how = ISSIM_EXACT_NONE;
  issim_report rr = rep;
  rr.exact_log = exact_log;
  rr.n_results = 1;
  rr.results = &r;
  json_t *root = json_of_run(&rr);
  json_t *exact = get(root, "exact");
  ck_assert(json_is_string(exact));
  /* P(Z > 40) = 3.6558935409162...e-350 (docs/output.md), with 17 significant
   * digits, of which the last few are beyond what a log of -804.6 holds */
  ck_assert_msg(strncmp(json_string_value(exact), "3.655893540916", 14) == 0, "%s",
                json_string_value(exact));
  ck_assert(strstr(json_string_value(exact), "e-350") != NULL);
  ck_assert_uint_eq(strlen(json_string_value(exact)), strlen("3.6558935409162601e-350"));
  expect_num(root, "log10_exact", exact_log / M_LN10);
  json_t *o = json_array_get(get(root, "results"), 0);
  ck_assert(json_is_string(get(o, "estimate")));
  ck_assert(json_is_string(get(o, "std_error")));
  ck_assert(json_is_string(json_array_get(get(o, "ci95"), 0)));
  expect_num(o, "log10_estimate", r.estimate.log_estimate / M_LN10);
  /* z from the logs, where the doubles are 0: (P_hat - P) / SE = (e^0.01 - 1) e^5 */
  assert_close(json_real_value(get(o, "z_exact")), expm1(0.01) * exp(5), 1e-9);
  /* an infinite exact KL: "inf", its SE null; an unknown one: value null */
  expect_str(o, "kl_p_q", "inf");
  ck_assert(json_is_null(get(o, "kl_p_q_se")));
  json_t *x = get(o, "exact_information");
  expect_str(get(x, "kl_p_q"), "value", "inf");
  expect_str(get(x, "kl_p_q"), "method", "infinite");
  ck_assert(json_is_null(get(get(x, "kl_q_p"), "value")));
  expect_str(get(x, "kl_q_p"), "method", "unknown");
  json_decref(root);
  /* an unknown exact value: null, and no z */
  rr.exact_log = NAN;
  rr.results = &res[SHIFTED];
  root = json_of_run(&rr);
  ck_assert(json_is_null(get(root, "exact")));
  ck_assert(json_is_null(get(root, "log10_exact")));
  ck_assert(json_is_null(get(json_array_get(get(root, "results"), 0), "z_exact")));
  json_decref(root);
}
END_TEST

/* ---- issim run: the text report ---- */

static char *text_of_run(const issim_report *r)
{
  char *buf = NULL;
  RENDER(buf, issim_report_text(out, r));
  return buf;
}

#define expect_line(text, line)                                                \
  ck_assert_msg(strstr(text, line) != NULL, "no line '%s' in:\n%.3000s", line, text)

START_TEST(test_text_report_key_lines)
{
  char *t = text_of_run(&rep);
  expect_line(t, "scenario   report-test: P(Z > 4)\n");
  expect_line(t, "\ntarget     normal(mean=0, sd=1)\n");
  expect_line(t, "\nevent      x > 4\n");
  char line[512], p[64], se[64];
  /* the exact value, printed independently here: 10 significant digits */
  snprintf(line, sizeof line, "\nexact      P = %.9e  (log10 P = %.6f)\n",
           gsl_cdf_ugaussian_Q(4), log10(gsl_cdf_ugaussian_Q(4)));
  expect_line(t, line);
  expect_line(t, "\nrun        20000 samples per proposal, seed 5, rng taus2, 1 thread\n");
  expect_line(t, "\nproposal shifted: normal(mean=4, sd=1)\n  verdict          trustworthy\n");
  const issim_estimate *e = &res[SHIFTED].estimate;
  snprintf(p, sizeof p, "%.5e", e->estimate);
  snprintf(se, sizeof se, "%.2e", e->std_error);
  snprintf(line, sizeof line, "\n  estimate         %s +- %s  (relative error %.3g%%, log10 %.4f)\n",
           p, se, 100 * e->relative_error, log10(e->estimate));
  expect_line(t, line);
  snprintf(line, sizeof line, "\n  exact            %.5e, %+.2f standard errors away\n",
           gsl_cdf_ugaussian_Q(4), (e->estimate - gsl_cdf_ugaussian_Q(4)) / e->std_error);
  expect_line(t, line);
  snprintf(line, sizeof line, "\n  draws            20000, %llu in the event (%.4g%%)",
           (unsigned long long)e->hits, 100.0 * (double)e->hits / N_DRAWS);
  expect_line(t, line);
  snprintf(line, sizeof line, "\n    Pareto k-hat     %.2f (at most 0.5: finite variance)\n",
           res[SHIFTED].pareto_k);
  expect_line(t, line);
  expect_line(t, "\n    tail check       finite variance (analytic)\n");
  expect_line(t, "\nproposal crude: the target (plain Monte Carlo)\n");
  expect_line(t, "\nproposal away: normal(mean=-4, sd=0.5)\n  verdict          unreliable\n"
                 "  estimate         0  (no draw hit the event: see the warnings)\n");
  expect_line(t, "\n    tail check       INFINITE variance (analytic): see the warnings\n");
  /* the warnings at the end, NAME: message */
  const char *w = strstr(t, "\nwarnings\n");
  ck_assert_ptr_nonnull(w);
  ck_assert(strstr(w, "\n  away: no draw hit the event in 20000 samples: the proposal may not "
                      "reach the event region") != NULL);
  ck_assert(strstr(w, "\n  away: the proposal's upper tail is too light") != NULL);
  ck_assert(strstr(w, "shifted:") == NULL); /* nothing to say about it */
  free(t);
}
END_TEST

/* The region check from the draws in text and JSON: x1 x2 > 9 with a
 * logistic on one region (not seen) and the mixture of both design points
 * (each region about half the estimate). */
START_TEST(test_regions_from_the_draws)
{
  issim_scenario *s = scenario_parse_ok(
      "[target]\ndistribution = independent\ndimension = 2\ncomponent = normal\n"
      "[event]\nloss = expression\nexpression = x1*x2\nthreshold = 9\n"
      "[proposal one]\ndistribution = independent\ncomponent = logistic\nlocation = 3\n"
      "scale = 0.6\n[proposal both]\ndistribution = shifted-target\nshift = design-points\n",
      "regions.ini");
  issim_result r[2];
  for (size_t i = 0; i < 2; i++) {
    issim_run_config cfg = run_config_of(s, s->proposals[i].name, N_DRAWS, 5, 1);
    issim_error err;
    ck_assert_int_eq(issim_analyse(s, &s->proposals[i], &cfg, 0, &r[i], &err), ISSIM_OK);
  }
  issim_report rr = {.scenario = s, .samples = N_DRAWS, .seed = 5, .rng_name = "taus2",
                     .threads = 1, .exact_log = NAN, .n_results = 2, .results = r};
  char *t = text_of_run(&rr), line[256];
  expect_line(t, "\n    by region        FORM share  of the estimate        hits\n");
  const issim_region_check *c = &r[0].regions;
  size_t missed = c->hits[0] == 0 ? 0 : 1;
  snprintf(line, sizeof line, "\n      %-15zu%10s %16s %11d  NOT SEEN\n", c->index[missed] + 1,
           "50%", "0%", 0);
  expect_line(t, line);
  expect_line(t, "\n      in no half-space                        0%           0\n");
  ck_assert(strstr(t, "one: from the draws: the event has 2 failure regions") != NULL);
  free(t);
  json_t *root = json_of_run(&rr);
  for (size_t i = 0; i < 2; i++) {
    json_t *d = get(get(json_array_get(get(root, "results"), i), "regions"), "draws");
    ck_assert_int_eq(json_integer_value(get(d, "hits")), (json_int_t)r[i].estimate.hits);
    ck_assert_int_eq(json_integer_value(get(d, "neglected")), i == 0 ? 1 : 0);
    expect_num(d, "outside_share", r[i].regions.outside_share);
    json_t *list = get(d, "by_region");
    ck_assert_uint_eq(json_array_size(list), 2);
    for (size_t k = 0; k < 2; k++) {
      json_t *row = json_array_get(list, k);
      ck_assert_uint_eq(json_object_size(row), 7);
      expect_num(row, "form_share", r[i].regions.share[k]);
      expect_num(row, "estimate_share", r[i].regions.estimate_share[k]);
      ck_assert_int_eq(json_integer_value(get(row, "hits")), (json_int_t)r[i].regions.hits[k]);
      expect_str(row, "draws_say", i == 1 || k != missed ? "seen" : "not seen");
      get(row, "region"), get(row, "beta"), get(row, "expected_hits");
    }
  }
  json_decref(root);
  for (size_t i = 0; i < 2; i++)
    issim_result_clear(&r[i]);
  issim_scenario_free(s);
}
END_TEST

START_TEST(test_text_header_variants)
{
  issim_report r = rep;
  r.threads = 2;
  r.target_re = 0.01;
  r.max_seconds = 20;
  r.interrupted = 1;
  r.exact_log = NAN;
  r.n_results = 1;
  char *t = text_of_run(&r);
  expect_line(t, "\nexact      unknown\n");
  expect_line(t, "\nrun        at most 20000 samples per proposal, seed 5, rng taus2, 2 threads\n");
  expect_line(t, "\nstop       at relative error 1% (with at least 100 hits and event ESS)\n");
  expect_line(t, "\nstop       after 20 seconds per proposal\n");
  expect_line(t, "\nPARTIAL    interrupted: the results are for the draws done before Ctrl-C\n");
  ck_assert(strstr(t, "standard errors away") == NULL); /* no exact value, no z */
  ck_assert(strstr(t, "\nwarnings\n") == NULL);          /* shifted alone: none */
  free(t);
}
END_TEST

/* ---- warnings ---- */

START_TEST(test_warnings)
{
  char *lines[16];
  /* crude without a hit: the rule of three */
  issim_result r = res[CRUDE];
  r.estimate.hits = 0;
  r.verdict.level = ISSIM_UNRELIABLE;
  r.verdict.n_reasons = 1;
  strcpy(r.verdict.reasons[0], "no draw hit the event");
  size_t n = issim_result_warnings(&rep, &r, lines, 16);
  ck_assert_uint_eq(n, 1); /* the reason is not repeated */
  ck_assert_str_eq(lines[0], "no draw hit the event in 20000 samples: the estimate 0 is not "
                             "evidence that P is small (plain Monte Carlo's 95% upper bound is "
                             "3/N = 1.50e-04)");
  free(lines[0]);
  /* undefined log-weights are a verdict reason now (verdict.h): no line of their own */
  r = res[SHIFTED];
  r.estimate.invalid = 7;
  r.verdict.n_reasons = 2;
  strcpy(r.verdict.reasons[0], "first");
  strcpy(r.verdict.reasons[1], "second");
  n = issim_result_warnings(&rep, &r, lines, 16);
  ck_assert_uint_eq(n, 2);
  ck_assert_str_eq(lines[0], "first");
  ck_assert_str_eq(lines[1], "second");
  for (size_t k = 0; k < n; k++)
    free(lines[k]);
  n = issim_result_warnings(&rep, &r, lines, 1);
  ck_assert_uint_eq(n, 1);
  ck_assert_str_eq(lines[0], "first");
  free(lines[0]);
}
END_TEST

/* ---- issim_format_log_prob ---- */

static const char *fmt(double log_p, int digits)
{
  static char buf[64];
  issim_format_log_prob(log_p, digits, buf, sizeof buf);
  return buf;
}

START_TEST(test_format_log_prob)
{
  ck_assert_str_eq(fmt(log(2.866515719e-07), 10), "2.866515719e-07");
  ck_assert_str_eq(fmt(log_normal_sf(40), 3), "3.66e-350"); /* below the smallest double */
  ck_assert(strncmp(fmt(log_normal_sf(40), 17), "3.655893540916", 14) == 0);
  ck_assert_uint_eq(strlen(fmt(log_normal_sf(40), 17)), strlen("3.6558935409162601e-350"));
  ck_assert_str_eq(fmt(0, 3), "1.00e+00");
  ck_assert_str_eq(fmt(log(1e200), 3), "1.00e+200");
  ck_assert_str_eq(fmt(log(0.3), 0), "3e-01"); /* at least one digit */
  /* a mantissa that rounds up to 10 is carried into the exponent */
  ck_assert_str_eq(fmt(log(9.9999e-5), 3), "1.00e-04");
  ck_assert_str_eq(fmt(log(9.99e-5), 3), "9.99e-05");
  ck_assert_str_eq(fmt(NAN, 3), "nan");
  ck_assert_str_eq(fmt(-INFINITY, 3), "0");
  ck_assert_str_eq(fmt(INFINITY, 3), "inf");
  /* exponents beyond an int (issue 18 item 5: "1.2e--2147483648" before):
   * P(Z > 100000), log P = -5e9 - log(100000 sqrt(2 pi)) + ... */
  ck_assert_str_eq(fmt(-1e10 * M_LN10, 3), "1.00e-10000000000");
  ck_assert_str_eq(fmt(-2147483650.5 * M_LN10, 2), "3.2e-2147483651");
  ck_assert_str_eq(fmt(3e9 * M_LN10, 2), "1.0e+3000000000");
  /* against printf over a range of magnitudes, where a double holds them */
  for (double x = 1e-300; x < 1e300; x *= 7.3e7) {
    char want[64];
    snprintf(want, sizeof want, "%.5e", x);
    ck_assert_str_eq(fmt(log(x), 6), want);
  }
}
END_TEST

/* ---- issim compare ---- */

START_TEST(test_compare_reports)
{
  issim_ranked ranked[3];
  issim_reference ref;
  issim_compare_rank(res, 3, rep.exact_log, ranked, &ref);
  issim_compare_report c = {.run = rep, .ranked = ranked, .reference = ref};
  char *buf = NULL;
  RENDER(buf, issim_compare_report_json(out, &c));
  json_t *root = parse_json(buf);
  free(buf);
  /* docs/output.md: no file, target, event, target_re, max_seconds or partial */
  EXPECT_KEYS(root, "scenario", "samples", "seed", "rng", "threads", "exact", "log10_exact",
              "reference", "ranked_by", "results", "ranking");
  expect_str(root, "ranked_by", "seconds");
  /* results: run's key, the same objects in the file's order */
  json_t *in_order = get(root, "results");
  ck_assert_uint_eq(json_array_size(in_order), 3);
  for (size_t i = 0; i < 3; i++) {
    json_t *o = json_array_get(in_order, i);
    expect_str(o, "proposal", res[i].proposal->name);
    for (size_t k = 0; k < 3; k++)
      if (ranked[k].index == i) {
        ck_assert_int_eq(json_integer_value(get(o, "rank")), (json_int_t)k + 1);
        ck_assert(json_equal(o, json_array_get(get(root, "ranking"), k)));
      }
  }
  json_t *reference = get(root, "reference");
  EXPECT_KEYS(reference, "kind", "proposal", "log10_value");
  expect_str(reference, "kind", "exact");
  ck_assert(json_is_null(get(reference, "proposal")));
  expect_num(reference, "log10_value", rep.exact_log / M_LN10);
  json_t *ranking = get(root, "ranking");
  ck_assert_uint_eq(json_array_size(ranking), 3);
  for (size_t k = 0; k < 3; k++) {
    json_t *o = json_array_get(ranking, k);
    /* its own five keys, then those of a result of issim run */
    ck_assert_uint_eq(json_object_size(o), 5 + N_RESULT_KEYS);
    ck_assert_int_eq(json_integer_value(get(o, "rank")), (json_int_t)k + 1);
    expect_str(o, "proposal", res[ranked[k].index].proposal->name);
    expect_num(o, "efficiency", ranked[k].efficiency);
    expect_num(o, "efficiency_per_call", ranked[k].efficiency_per_call);
    expect_num(o, "log10_gain_over_crude_work", ranked[k].log_gain_over_crude_work / M_LN10);
    ck_assert_int_eq(json_is_true(get(o, "ci_excludes_reference")), ranked[k].excludes_reference);
    expect_result(o, &rep, &res[ranked[k].index], DISTRIBUTION[ranked[k].index]);
  }
  expect_str(json_array_get(ranking, 0), "proposal", "shifted");
  expect_str(json_array_get(ranking, 2), "proposal", "away");
  json_decref(root);

  RENDER(buf, issim_compare_report_text(out, &c));
  expect_line(buf, "\nreference  the exact value 3.16712e-05\n");
  const char *row1 = strstr(buf, "\n1    shifted        trustworthy  ");
  const char *row3 = strstr(buf, "\n3    away           unreliable   0 ");
  ck_assert_ptr_nonnull(row1);
  ck_assert_ptr_nonnull(row3);
  ck_assert(row1 < row3);
  free(buf);

  RENDER(buf, issim_compare_report_csv(out, &c));
  char *save = NULL, *line = strtok_r(buf, "\n", &save);
  ck_assert_str_eq(line, "rank,proposal,verdict,samples,hits,log10_estimate,relative_error,"
                         "relative_variance,samples_for_1pct,event_ess,pareto_k,kl_p_q,"
                         "kl_p_q_exact,kl_pstar_q,seconds,draws_per_second,efficiency,"
                         "log10_gain_over_crude_work,ci_excludes_reference,estimate,std_error,"
                         "ci95_low,ci95_high,log10_std_error,log10_ci95_low,log10_ci95_high,exact,"
                         "log10_exact,z_exact,reference_kind,reference,log10_reference,z_reference,"
                         "loss_evaluations,efficiency_per_call");
  for (size_t k = 0; k < 3; k++) {
    line = strtok_r(NULL, "\n", &save);
    ck_assert_ptr_nonnull(line);
    size_t commas = 0;
    for (const char *ch = line; *ch; ch++)
      commas += *ch == ',';
    ck_assert_uint_eq(commas, 34);
    const issim_result *r = &res[ranked[k].index];
    char head[128];
    snprintf(head, sizeof head, "%zu,%s,%s,20000,%llu,", k + 1, r->proposal->name,
             issim_verdict_name(r->verdict.level), (unsigned long long)r->estimate.hits);
    ck_assert_msg(strncmp(line, head, strlen(head)) == 0, "%s", line);
    /* log10_estimate to 17 digits: read back exactly; empty without a hit */
    const char *field = line + strlen(head);
    if (r->estimate.hits) {
      ck_assert_double_eq(strtod(field, NULL), r->estimate.log_estimate / M_LN10);
    } else {
      ck_assert_int_eq(field[0], ',');
    }
    /* the mark, then the estimate's columns (tests/check_report_csv.c) */
    const char *mark = line;
    for (size_t col = 0; col < 18; col++)
      mark = strchr(mark, ',') + 1;
    const char *want = ranked[k].excludes_reference ? "true," : "false,";
    ck_assert_msg(strncmp(mark, want, strlen(want)) == 0, "%s", line);
  }
  ck_assert_ptr_null(strtok_r(NULL, "\n", &save));
  free(buf);
}
END_TEST

START_TEST(test_compare_reference_kinds)
{
  issim_ranked ranked[3];
  issim_reference ref;
  issim_compare_rank(res, 3, NAN, ranked, &ref); /* no exact value: shifted's estimate */
  issim_compare_report c = {.run = rep, .ranked = ranked, .reference = ref};
  c.run.exact_log = NAN;
  char *buf = NULL;
  RENDER(buf, issim_compare_report_json(out, &c));
  json_t *root = parse_json(buf);
  free(buf);
  json_t *reference = get(root, "reference");
  expect_str(reference, "kind", "estimate");
  expect_str(reference, "proposal", "shifted");
  expect_num(reference, "log10_value", res[SHIFTED].estimate.log_estimate / M_LN10);
  json_decref(root);
  RENDER(buf, issim_compare_report_text(out, &c));
  expect_line(buf, ", the estimate of 'shifted' (the most precise trustworthy proposal)\n");
  free(buf);
  /* the scenario's reference (issim_workflow_rank sets given) */
  c.reference = (issim_reference){.exact = 1, .given = 1, .log_value = log(3e-5)};
  RENDER(buf, issim_compare_report_json(out, &c));
  root = parse_json(buf);
  free(buf);
  expect_str(get(root, "reference"), "kind", "given");
  ck_assert(json_is_null(get(get(root, "reference"), "proposal")));
  json_decref(root);
  RENDER(buf, issim_compare_report_text(out, &c));
  expect_line(buf, "\nreference  3.00000e-05, given in the scenario ([event] reference)\n");
  free(buf);
  c.reference.log_value = NAN;
  c.reference.given = 0;
  RENDER(buf, issim_compare_report_json(out, &c));
  root = parse_json(buf);
  free(buf);
  expect_str(get(root, "reference"), "kind", "none");
  ck_assert(json_is_null(get(get(root, "reference"), "log10_value")));
  json_decref(root);
  RENDER(buf, issim_compare_report_text(out, &c));
  expect_line(buf, "\nreference  none (no exact value and no trustworthy proposal)\n");
  free(buf);
}
END_TEST

/* ---- issim calibrate ---- */

START_TEST(test_calibrate_reports)
{
  /* two hand-made calibrations: honest, and over-confident */
  double l0[4], e0[4], l1[4], e1[4];
  for (size_t r = 0; r < 4; r++) {
    l0[r] = log(1e-3) + (r % 2 ? 0.01 : -0.01);
    e0[r] = 0.01;
    l1[r] = log(1e-3) + (r % 2 ? 0.5 : -0.5);
    e1[r] = 0.01;
  }
  issim_calibration c[2] = {
      {.proposal = &scn->proposals[SHIFTED], .reps = 4, .log_estimate = l0, .relative_error = e0,
       .seconds = 0.25},
      {.proposal = &scn->proposals[AWAY], .reps = 4, .unreliable_reps = 4, .log_estimate = l1,
       .relative_error = e1, .seconds = 0.5}};
  issim_calibration_judge_all(c, 2, log(1e-3), NAN);
  ck_assert_int_eq(c[0].ref_kind, ISSIM_CALIBRATION_REF_EXACT);
  ck_assert_int_eq(c[0].over_confident, 0);
  ck_assert_int_eq(c[1].over_confident, 1);
  issim_calibrate_report r = {.scenario = scn, .samples = 1000, .seed = 42, .rng_name = "taus2",
                              .reps = 4, .exact_log = log(1e-3), .given_log = NAN, .n = 2,
                              .calibrations = c};
  char *buf = NULL;
  RENDER(buf, issim_calibrate_report_json(out, &r));
  json_t *root = parse_json(buf);
  free(buf);
  EXPECT_KEYS(root, "scenario", "reps", "samples", "seed", "rng", "reference", "proposals");
  ck_assert_int_eq(json_integer_value(get(root, "reps")), 4);
  ck_assert_int_eq(json_integer_value(get(root, "samples")), 1000);
  expect_str(root, "seed", "42");
  json_t *reference = get(root, "reference");
  expect_str(reference, "kind", "exact");
  expect_num(reference, "log10_value", log(1e-3) / M_LN10);
  json_t *list = get(root, "proposals");
  ck_assert_uint_eq(json_array_size(list), 2);
  for (size_t i = 0; i < 2; i++) {
    json_t *o = json_array_get(list, i);
    EXPECT_KEYS(o, "proposal", "reps", "zero_hit_reps", "unreliable_reps", "reference",
                "relative_rmse",
                "mean_reported_relative_error", "ratio", "coverage", "z_mean", "z_sd",
                "over_confident", "inconclusive", "seconds", "loss_evaluations");
    expect_str(o, "proposal", c[i].proposal->name);
    ck_assert_int_eq(json_integer_value(get(o, "reps")), 4);
    ck_assert_int_eq(json_integer_value(get(o, "zero_hit_reps")), 0);
    ck_assert_int_eq(json_integer_value(get(o, "unreliable_reps")), (json_int_t)c[i].unreliable_reps);
    expect_num(o, "relative_rmse", c[i].relative_rmse);
    expect_num(o, "mean_reported_relative_error", c[i].mean_reported_re);
    expect_num(o, "ratio", c[i].relative_rmse / c[i].mean_reported_re);
    expect_num(o, "coverage", c[i].coverage);
    expect_num(o, "z_mean", c[i].z_mean);
    expect_num(o, "z_sd", c[i].z_sd);
    ck_assert_int_eq(json_is_true(get(o, "over_confident")), c[i].over_confident);
    ck_assert(json_is_false(get(o, "inconclusive")));
    expect_num(o, "seconds", c[i].seconds);
  }
  json_decref(root);
  RENDER(buf, issim_calibrate_report_text(out, &r));
  expect_line(buf, "\ncalibrate  4 replications of 1000 samples per proposal, seed 42, rng taus2\n");
  expect_line(buf, "\nreference  the exact value 1.00000e-03\n");
  char line[256];
  snprintf(line, sizeof line, "\nshifted               0/4 %8.3g%% %10.3g%% %7.3g %8.1f%% %7.2f %6.2f  honest\n",
           100 * c[0].relative_rmse, 100 * c[0].mean_reported_re,
           c[0].relative_rmse / c[0].mean_reported_re, 100 * c[0].coverage, c[0].z_mean, c[0].z_sd);
  expect_line(buf, line);
  ck_assert(strstr(buf, "\naway                  4/4 ") != NULL);
  ck_assert(strstr(buf, "OVER-CONFIDENT\n") != NULL);
  free(buf);
  /* no exact or given value: each against another proposal's replications;
   * away was unreliable, so shifted has nothing to be judged against, and
   * away is judged against shifted */
  r.exact_log = NAN;
  issim_calibration_judge_all(c, 2, NAN, NAN);
  ck_assert_int_eq(c[0].ref_kind, ISSIM_CALIBRATION_REF_NONE);
  ck_assert_int_eq(c[1].ref_kind, ISSIM_CALIBRATION_REF_POOLED);
  ck_assert_str_eq(c[1].reference_from, "shifted");
  RENDER(buf, issim_calibrate_report_json(out, &r));
  root = parse_json(buf);
  free(buf);
  expect_str(get(root, "reference"), "kind", "pooled");
  json_t *o = json_array_get(get(root, "proposals"), 0);
  expect_str(get(o, "reference"), "kind", "none");
  expect_str(get(json_array_get(get(root, "proposals"), 1), "reference"), "proposal", "shifted");
  static const char *const judged[] = {"relative_rmse", "mean_reported_relative_error", "ratio",
                                       "coverage", "z_mean", "z_sd", "over_confident"};
  for (size_t k = 0; k < sizeof judged / sizeof judged[0]; k++)
    ck_assert_msg(json_is_null(get(o, judged[k])), "%s not null", judged[k]);
  json_decref(root);
  RENDER(buf, issim_calibrate_report_text(out, &r));
  expect_line(buf, "\nreference  pooled: each proposal against the mean of the replications of "
                   "the most precise other proposal whose replications all hit and were never "
                   "unreliable, if the next such proposal agrees with it\n");
  ck_assert(strstr(buf, "\nshifted               0/4   (no reference to judge against") != NULL);
  ck_assert(strstr(buf, "(against 'shifted', ") != NULL);
  free(buf);
}
END_TEST

/* ---- issim divergence ---- */

/* A row as issim divergence makes it: draws of q (p when proposal is NULL)
 * over the whole line, the exact information of (p, q). */
static void divergence_row(const issim_scenario *s, const issim_proposal *p,
                           issim_divergence_row *row)
{
  issim_run_config cfg = run_config_of(s, p ? p->name : "target", 200000, 9, 1);
  issim_problem pb = {.target = s->target, .proposal = p ? p->model : NULL,
                      .event = {.threshold = -INFINITY, .direction = ISSIM_ABOVE}};
  issim_run_output out = {0};
  ck_assert_int_eq(issim_engine_run(&pb, &cfg, &out, NULL), ISSIM_OK);
  row->proposal = p;
  issim_accum_estimate(&out.acc, &row->estimate);
  issim_analyse_information(s->target, p ? p->model : NULL, &row->exact);
}

/* rows[i][key] against estimate, se and exact divided by unit */
static void expect_quantity(json_t *row, const char *key, double est, double se, double exact,
                            issim_exact_method how, double unit)
{
  json_t *q = get(row, key);
  EXPECT_KEYS(q, "estimate", "std_error", "exact", "method", "reliable", "reason");
  if (how == ISSIM_EXACT_INFINITE) {
    expect_str(q, "estimate", "inf"); /* the sample mean of an infinite mean is not shown */
    ck_assert(json_is_null(get(q, "std_error")));
    expect_str(q, "exact", "inf");
  } else {
    expect_num(q, "estimate", est / unit);
    expect_num(q, "std_error", se / unit);
    expect_num(q, "exact", how == ISSIM_EXACT_NONE ? NAN : exact / unit);
    /* and the estimate is within 4 of its SE of the closed form */
    ck_assert_within_4se(est, exact, se);
  }
  expect_str(q, "method", issim_exact_method_name(how));
}

START_TEST(test_divergence_reports)
{
  issim_scenario *s = scenario_parse_ok(
      "[scenario]\nname = div\n[target]\ndistribution = normal\n[event]\nthreshold = 1\n"
      "[proposal wide]\ndistribution = normal\nmean = 1\nsd = 2\n"
      "[proposal fat]\ndistribution = cauchy\n", "div.ini");
  issim_divergence_row rows[3];
  divergence_row(s, NULL, &rows[0]);
  divergence_row(s, &s->proposals[0], &rows[1]);
  divergence_row(s, &s->proposals[1], &rows[2]);
  /* KL(N(0,1) || N(1, 4)) = log 2 + (1 + 1) / 8 - 1/2 */
  assert_close(rows[1].exact.kl_p_q, log(2) + 2.0 / 8 - 0.5, 1e-12);
  ck_assert_int_eq(rows[2].exact.kl_q_p_how, ISSIM_EXACT_INFINITE); /* Cauchy against normal */
  issim_divergence_report r = {.scenario = s, .samples = 200000, .seed = 9, .rng_name = "taus2",
                               .bits = 0, .n_rows = 3, .rows = rows};
  for (int bits = 0; bits < 2; bits++) {
    r.bits = bits;
    double unit = bits ? M_LN2 : 1;
    char *buf = NULL;
    RENDER(buf, issim_divergence_report_json(out, &r));
    json_t *root = parse_json(buf);
    free(buf);
    EXPECT_KEYS(root, "scenario", "units", "samples", "seed", "rng", "rows");
    expect_str(root, "units", bits ? "bits" : "nats");
    json_t *jr = get(root, "rows");
    ck_assert_uint_eq(json_array_size(jr), 3);
    json_t *t = json_array_get(jr, 0);
    EXPECT_KEYS(t, "row", "distribution", "entropy_p", "identity_gap");
    expect_str(t, "row", "target");
    expect_str(t, "distribution", "normal(mean=0, sd=1)");
    /* H(p) from draws of p: the estimator's H(q) with q = p */
    expect_quantity(t, "entropy_p", rows[0].estimate.entropy_q, rows[0].estimate.entropy_q_se,
                    rows[0].exact.entropy_p, rows[0].exact.entropy_p_how, unit);
    ck_assert(json_is_null(get(t, "identity_gap")));
    for (size_t i = 1; i < 3; i++) {
      json_t *o = json_array_get(jr, i);
      const issim_estimate *e = &rows[i].estimate;
      const issim_information *x = &rows[i].exact;
      EXPECT_KEYS(o, "row", "distribution", "entropy_q", "cross_entropy_p_q", "kl_p_q",
                  "kl_q_p", "identity_gap");
      expect_str(o, "row", s->proposals[i - 1].name);
      expect_quantity(o, "entropy_q", e->entropy_q, e->entropy_q_se, x->entropy_q,
                      x->entropy_q_how, unit);
      expect_quantity(o, "cross_entropy_p_q", e->cross_entropy_p_q, e->cross_entropy_p_q_se,
                      x->cross_entropy_p_q, x->cross_entropy_p_q_how, unit);
      expect_quantity(o, "kl_p_q", e->kl_p_q, e->kl_p_q_se, x->kl_p_q, x->kl_p_q_how, unit);
      expect_quantity(o, "kl_q_p", e->kl_q_p, e->kl_q_p_se, x->kl_q_p, x->kl_q_p_how, unit);
      /* KL(p||q) = H(p,q) - H(p) among the exact values: a few ulps at most */
      json_t *gap = get(o, "identity_gap");
      ck_assert(json_is_real(gap));
      ck_assert_msg(fabs(json_real_value(gap)) < 1e-12, "gap %g", json_real_value(gap));
    }
    json_decref(root);
    RENDER(buf, issim_divergence_report_text(out, &r));
    expect_line(buf, bits ? "\nrun        200000 draws per row, seed 9, rng taus2; in bits\n"
                          : "\nrun        200000 draws per row, seed 9, rng taus2; in nats\n");
    expect_line(buf, "\ntarget p: normal(mean=0, sd=1) (from draws of p)\n");
    expect_line(buf, "\nproposal wide: q = normal(mean=1, sd=2) (from draws of q)\n");
    char line[160];
    snprintf(line, sizeof line, "\n  KL(q||p)   %-28s %s\n", "inf", "inf");
    expect_line(buf, line);
    char est[64];
    snprintf(est, sizeof est, "%.6g +- %.2g", rows[1].estimate.kl_p_q / unit,
             rows[1].estimate.kl_p_q_se / unit);
    snprintf(line, sizeof line, "\n  KL(p||q)   %-28s %.6g (closed form)\n", est,
             rows[1].exact.kl_p_q / unit);
    const char *wide = strstr(buf, "\nproposal wide:");
    ck_assert_msg(strstr(wide, line) != NULL, "no line '%s' in:\n%.3000s", line, wide);
    expect_line(buf, "\n  identity   KL(p||q) = H(p,q) - H(p) holds to ");
    free(buf);
  }
  issim_scenario_free(s);
}
END_TEST

/* ---- issim adapt ---- */

START_TEST(test_adapt_reports)
{
  /* a hand-made fit of two levels, then the final run of the fitted proposal */
  issim_adapt_options opt = {.family = ISSIM_CE_NORMAL, .rho = 0.1, .level_draws = 1000,
                          .alpha = 1, .max_levels = 50, .update_spread = 0, .min_spread = 0.8};
  issim_adapt_level levels[2] = {
      {.level = 1, .gamma = 2.5, .draws = 1000, .elites = 100, .log_level_prob = log(0.1),
       .kl_star = 1.5, .event_ess = 80, .fitted = "normal(mean=2.9, sd=1)"},
      {.level = 2, .gamma = 4, .draws = 1000, .elites = 140, .log_level_prob = log(3e-5),
       .kl_star = 0.9, .event_ess = 120, .fitted = "normal(mean=4.3, sd=1)"}};
  issim_adapt_fit fit = {.outcome = ISSIM_CE_REACHED, .update_spread = 0, .n_levels = 2,
                      .levels = levels, .draws = 2000, .seconds = 0.125,
                      .params = {.family = ISSIM_CE_NORMAL}};
  issim_proposal ce = scn->proposals[SHIFTED];
  ce.name = "ce";
  ce.adaptive = &opt;
  ce.fitted = 1;
  ce.adapt_levels = 2;
  ce.adapt_draws = 2000;
  ce.adapt_seconds = 0.125;
  issim_result final = res[SHIFTED];
  final.proposal = &ce;
  issim_adapt_report r = {.run = rep, .options = &opt, .fit = &fit, .name = "ce",
                          .saved = "/tmp/fit.ini"};
  r.run.n_results = 1;
  r.run.results = &final;

  char *buf = NULL;
  RENDER(buf, issim_adapt_report_json(out, &r));
  json_t *root = parse_json(buf);
  free(buf);
  json_t *a = get(root, "adaptation");
  EXPECT_KEYS(a, "proposal", "family", "start", "update", "rho", "level_draws", "alpha",
              "max_levels", "min_spread", "levels", "outcome", "message", "draws", "seconds",
              "total_draws", "loss_evaluations", "saved");
  expect_str(a, "proposal", "ce");
  expect_str(a, "family", "normal");
  expect_str(a, "start", "target");
  expect_str(a, "update", "mean");
  expect_num(a, "rho", 0.1);
  ck_assert_int_eq(json_integer_value(get(a, "level_draws")), 1000);
  expect_num(a, "alpha", 1);
  ck_assert_int_eq(json_integer_value(get(a, "max_levels")), 50);
  ck_assert(json_is_null(get(a, "min_spread"))); /* mean only */
  expect_str(a, "outcome", "reached");
  ck_assert(json_is_null(get(a, "message")));
  ck_assert_int_eq(json_integer_value(get(a, "draws")), 2000);
  expect_num(a, "seconds", 0.125);
  ck_assert_int_eq(json_integer_value(get(a, "total_draws")), 2000 + N_DRAWS);
  expect_str(a, "saved", "/tmp/fit.ini");
  json_t *jl = get(a, "levels");
  ck_assert_uint_eq(json_array_size(jl), 2);
  for (size_t i = 0; i < 2; i++) {
    json_t *l = json_array_get(jl, i);
    EXPECT_KEYS(l, "level", "gamma", "draws", "elites", "level_probability", "kl_pstar_q",
                "event_ess", "fitted");
    ck_assert_int_eq(json_integer_value(get(l, "level")), (json_int_t)levels[i].level);
    expect_num(l, "gamma", levels[i].gamma);
    ck_assert_int_eq(json_integer_value(get(l, "elites")), (json_int_t)levels[i].elites);
    expect_prob(get(l, "level_probability"), levels[i].log_level_prob, "level_probability");
    expect_num(l, "kl_pstar_q", levels[i].kl_star);
    expect_num(l, "event_ess", levels[i].event_ess);
    expect_str(l, "fitted", levels[i].fitted);
  }
  /* the run's object around it, and the result's own adaptation member */
  json_t *o = json_array_get(get(root, "results"), 0);
  expect_str(o, "proposal", "ce");
  json_t *oa = get(o, "adaptation");
  EXPECT_KEYS(oa, "levels", "draws", "seconds", "total_draws");
  ck_assert_int_eq(json_integer_value(get(oa, "levels")), 2);
  ck_assert_int_eq(json_integer_value(get(oa, "total_draws")), 2000 + N_DRAWS);
  json_decref(root);

  RENDER(buf, issim_adapt_report_text(out, &r));
  expect_line(buf, "\nadaptation cross-entropy, family normal (mean only), from the target; rho "
                   "0.1, 1000 draws a level\n");
  expect_line(buf, "\n  reached the threshold at level 2: 2000 draws, 0.125 s\n");
  expect_line(buf, "\n  adapted          2 levels, 2000 draws, 0.125 s: 22000 draws in all with "
                   "the 20000 below\n");
  expect_line(buf, "\ntotal effort 2000 adaptation draws + 20000 final draws = 22000\n");
  expect_line(buf, "\nsaved      [proposal ce] to /tmp/fit.ini\n");
  char line[200];
  snprintf(line, sizeof line, "\n  %5u %12.6g %8llu %10s %10.4g %9.4g  %s\n", 2u, 4.0, 140ULL,
           "3.00e-05", 0.9, 120.0, "normal(mean=4.3, sd=1)");
  expect_line(buf, line);
  free(buf);

  /* not fitted: the message, no final run, total = the levels' draws */
  fit.outcome = ISSIM_CE_NO_PROGRESS;
  snprintf(fit.message, sizeof fit.message, "levels 2 to 3 made no progress");
  r.run.n_results = 0;
  r.saved = NULL;
  RENDER(buf, issim_adapt_report_json(out, &r));
  root = parse_json(buf);
  free(buf);
  a = get(root, "adaptation");
  expect_str(a, "outcome", "no-progress");
  expect_str(a, "message", "levels 2 to 3 made no progress");
  ck_assert_int_eq(json_integer_value(get(a, "total_draws")), 2000);
  ck_assert(json_is_null(get(a, "saved")));
  ck_assert_uint_eq(json_array_size(get(root, "results")), 0);
  json_decref(root);
  RENDER(buf, issim_adapt_report_text(out, &r));
  expect_line(buf, "\n  NOT FITTED: levels 2 to 3 made no progress\n");
  ck_assert(strstr(buf, "total effort") == NULL);
  free(buf);
  fit.outcome = ISSIM_CE_LEVEL_LIMIT;
  RENDER(buf, issim_adapt_report_json(out, &r));
  root = parse_json(buf);
  free(buf);
  expect_str(get(root, "adaptation"), "outcome", "level-limit");
  json_decref(root);
  fit.outcome = ISSIM_CE_INTERRUPTED;
  RENDER(buf, issim_adapt_report_text(out, &r));
  expect_line(buf, "\n  INTERRUPTED: levels 2 to 3 made no progress\n");
  free(buf);
}
END_TEST

/* ---- a stream that fails ---- */

START_TEST(test_failing_stream)
{
  FILE *full = fopen("/dev/full", "w");
  if (full == NULL)
    return; /* no /dev/full here: nothing to test with */
  setvbuf(full, NULL, _IONBF, 0);
  ck_assert_int_eq(issim_report_text(full, &rep), -1);
  clearerr(full);
  ck_assert_int_eq(issim_report_json(full, &rep), -1);
  fclose(full);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("report");
  TCase *tc = tcase_create("report");
  tcase_set_timeout(tc, 60);
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, test_json_top_level);
  tcase_add_test(tc, test_json_results_equal_the_structs);
  tcase_add_test(tc, test_json_no_hit_and_nulls);
  tcase_add_test(tc, test_json_below_dbl_min_and_infinities);
  tcase_add_test(tc, test_text_report_key_lines);
  tcase_add_test(tc, test_text_header_variants);
  tcase_add_test(tc, test_warnings);
  tcase_add_test(tc, test_format_log_prob);
  tcase_add_test(tc, test_compare_reports);
  tcase_add_test(tc, test_compare_reference_kinds);
  tcase_add_test(tc, test_calibrate_reports);
  tcase_add_test(tc, test_divergence_reports);
  tcase_add_test(tc, test_adapt_reports);
  tcase_add_test(tc, test_failing_stream);
  tcase_add_test(tc, test_regions_from_the_draws);
  suite_add_tcase(s, tc);
  return run_suite(s);
}
