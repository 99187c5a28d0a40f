/* Tests of src/trace.c and of the engine's traces: checkpoints, trace points
 * equal to fixed runs, and exactly mergeable histograms. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#include "check_main.h"
#include "check_util.h"
#include "issim.h"

START_TEST(test_checkpoints)
{
  issim_trace *t = issim_trace_alloc(10000000);
  ck_assert_ptr_nonnull(t);
  ck_assert_uint_eq(t->checkpoints[t->capacity - 1], 10000000);
  for (size_t i = 0; i + 1 < t->capacity; i++) {
    ck_assert_uint_eq(t->checkpoints[i] % 512, 0);
    if (t->checkpoints[i] > 65536) /* beyond one block, block ends: k-hat is known there */
      ck_assert_uint_eq(t->checkpoints[i] % 65536, 0);
    ck_assert(t->checkpoints[i] < t->checkpoints[i + 1]);
  }
  ck_assert_uint_eq(t->checkpoints[0], 512);
  /* about ten a decade: 512 to 1e7 is 4.3 decades, a few merged where the
   * block steps are coarser than the spacing (just above 65536) */
  ck_assert(t->capacity >= 36 && t->capacity <= 46);
  issim_trace_free(t);
  t = issim_trace_alloc(100); /* a run shorter than one batch: its end alone */
  ck_assert_uint_eq(t->capacity, 1);
  ck_assert_uint_eq(t->checkpoints[0], 100);
  issim_trace_free(t);
}
END_TEST

typedef struct {
  issim_model *p, *q;
  issim_problem pb;
  issim_run_config cfg;
} fixture;

static void setup(fixture *f, uint64_t samples)
{
  f->p = line_model(issim_dist_alloc_normal(0, 1, NULL));
  f->q = line_model(issim_dist_alloc_normal(3, 1, NULL));
  f->pb = (issim_problem){.target = f->p, .proposal = f->q, .event = {.threshold = 3, .direction = ISSIM_ABOVE}};
  const gsl_rng_type *t;
  issim_rng_lookup("taus2", &t, NULL);
  f->cfg = (issim_run_config){.samples = samples, .seed = 8, .stream = 2, .rng = t, .threads = 2};
}

static void teardown(fixture *f)
{
  issim_model_free(f->p);
  issim_model_free(f->q);
}

START_TEST(test_trace_points_are_fixed_runs)
{
  /* two chunks and a bit: checkpoints in the first block, inside later blocks,
   * at block ends, and across the chunk boundary */
  fixture f;
  setup(&f, 2 * ISSIM_CHUNK_BLOCKS * ISSIM_BLOCK_SIZE + 4321);
  issim_run_output out = {.trace = issim_trace_alloc(f.cfg.samples),
                          .tail = issim_khat_topk_alloc(issim_khat_capacity(f.cfg.samples))};
  ck_assert_int_eq(issim_engine_run(&f.pb, &f.cfg, &out, NULL), ISSIM_OK);
  issim_trace *t = out.trace;
  ck_assert_uint_eq(t->count, t->capacity);
  for (size_t i = 0; i < t->count; i++) {
    const issim_trace_point *pt = &t->points[i];
    ck_assert_uint_eq(pt->n, t->checkpoints[i]);
    if (i > 0)
      ck_assert(pt->n > t->points[i - 1].n);
    if (pt->hits > 0) /* the interval contains the estimate */
      ck_assert(pt->log_ci_low <= pt->log_estimate && pt->log_estimate <= pt->log_ci_high);
    ck_assert_msg(isnan(pt->pareto_k) == (pt->n % ISSIM_BLOCK_SIZE != 0 && pt->n != f.cfg.samples),
                  "k-hat at n = %llu", (unsigned long long)pt->n);
  }
  /* points against fixed runs of as many draws */
  size_t picks[] = {0, 5, t->count / 2, t->count - 2, t->count - 1};
  for (size_t k = 0; k < sizeof picks / sizeof picks[0]; k++) {
    const issim_trace_point *pt = &t->points[picks[k]];
    issim_run_config fixed = f.cfg;
    fixed.samples = pt->n;
    issim_run_output o = {.tail = issim_khat_topk_alloc(issim_khat_capacity(f.cfg.samples))};
    ck_assert_int_eq(issim_engine_run(&f.pb, &fixed, &o, NULL), ISSIM_OK);
    issim_estimate e;
    issim_accum_estimate(&o.acc, &e);
    ck_assert_msg(e.log_estimate == pt->log_estimate && e.relative_error == pt->relative_error &&
                      e.event_ess == pt->event_ess,
                  "point %zu (n = %llu) differs from the fixed run", picks[k],
                  (unsigned long long)pt->n);
    if (!isnan(pt->pareto_k)) /* k-hat of the same largest values (a buffer sized for the run) */
      ck_assert(issim_khat_topk_khat(o.tail, o.acc.n) == pt->pareto_k);
    issim_khat_topk_free(o.tail);
  }
  issim_khat_topk_free(out.tail);
  issim_trace_free(t);
  teardown(&f);
}
END_TEST

START_TEST(test_trace_of_a_stopped_run_ends_where_it_stopped)
{
  fixture f;
  setup(&f, 100 * ISSIM_BLOCK_SIZE);
  issim_stop_rules rules = {.target_re = 0.02};
  f.cfg.stop = &rules;
  issim_run_output out = {.trace = issim_trace_alloc(f.cfg.samples)};
  ck_assert_int_eq(issim_engine_run(&f.pb, &f.cfg, &out, NULL), ISSIM_OK);
  ck_assert_int_eq(out.stopped_by, ISSIM_STOP_TARGET_RE);
  ck_assert(out.trace->count > 0 && out.trace->count <= out.trace->capacity);
  ck_assert_uint_eq(out.trace->points[out.trace->count - 1].n, out.acc.n);
  issim_trace_free(out.trace);
  teardown(&f);
}
END_TEST

START_TEST(test_histogram_counts_and_merges_exactly)
{
  enum { N = 50000 };
  static double v[N];
  gsl_rng *r = gsl_rng_alloc(gsl_rng_taus2);
  gsl_rng_set(r, 3);
  for (int i = 0; i < N; i++)
    v[i] = i % 7 == 0 ? -INFINITY : -20 + gsl_ran_gaussian(r, 15); /* spans more than the window */
  gsl_rng_free(r);
  issim_hist whole, a, b, c;
  issim_hist_reset(&whole, 0.25);
  issim_hist_add(&whole, N, v);
  ck_assert_uint_eq(issim_hist_total(&whole), N - (N + 6) / 7);
  /* the same values in three parts merged in two orders */
  issim_hist_reset(&a, 0.25);
  issim_hist_reset(&b, 0.25);
  issim_hist_reset(&c, 0.25);
  issim_hist_add(&a, 1000, v);
  issim_hist_add(&b, 30000, v + 1000);
  issim_hist_add(&c, N - 31000, v + 31000);
  issim_hist ab = a, cb = c;
  issim_hist_merge(&ab, &b);
  issim_hist_merge(&ab, &c);
  issim_hist_merge(&cb, &b);
  issim_hist_merge(&cb, &a);
  ck_assert(memcmp(&ab, &whole, sizeof whole) == 0);
  ck_assert(memcmp(&cb, &whole, sizeof whole) == 0);
  /* the window ends at the largest value's bin; a count by hand of one bin */
  double top = -INFINITY;
  for (int i = 0; i < N; i++)
    top = fmax(top, v[i]);
  ck_assert_int_eq(whole.top, (int64_t)floor(top / 0.25));
  uint64_t in_bin = 0;
  int64_t bin = whole.top - 40;
  for (int i = 0; i < N; i++)
    in_bin += isfinite(v[i]) && (int64_t)floor(v[i] / 0.25) == bin;
  ck_assert_uint_eq(whole.counts[40], in_bin);
}
END_TEST

/* Batches in which no value is finite leave the histogram as it was, at
 * either width (a power of two multiplies, another divides).  The test for
 * "nothing finite" was the maximum's being -inf, which is GCC's starting
 * value of a max reduction but not clang's (-DBL_MAX): with clang the bin of
 * -DBL_MAX, -inf, was converted to an integer (undefined behaviour, caught
 * by -fsanitize=float-cast-overflow). */
START_TEST(test_histogram_batches_of_nothing_finite)
{
  enum { N = 700 };
  static double none[N], some[N];
  for (int i = 0; i < N; i++) {
    none[i] = i % 3 == 0 ? NAN : i % 3 == 1 ? -INFINITY : INFINITY;
    some[i] = -3 + 0.01 * i;
  }
  const double widths[] = {0.5, 0.3};
  for (int k = 0; k < 2; k++) {
    issim_hist h, before;
    issim_hist_reset(&h, widths[k]);
    issim_hist_add(&h, N, none);
    ck_assert(h.top == INT64_MIN);
    ck_assert_uint_eq(issim_hist_total(&h), 0);
    issim_hist_add(&h, N, some);
    ck_assert_int_eq(h.top, (int64_t)floor(some[N - 1] / widths[k]));
    ck_assert_uint_eq(issim_hist_total(&h), N);
    before = h;
    issim_hist_add(&h, N, none);
    ck_assert(memcmp(&h, &before, sizeof h) == 0);
  }
}
END_TEST

/* The histogram against a count value by value, as its definition reads:
 * bin floor(v / w), the window the 256 bins up to the largest, the rest
 * below, values that are not finite skipped.  Batches of odd sizes, a window
 * that moves up between batches, and values far out (|bin| >= 2^30). */
static void reference_hist(size_t n, const double *v, double w, int64_t *top,
                           uint64_t *counts, uint64_t *below)
{
  *top = INT64_MIN;
  for (size_t i = 0; i < n; i++)
    if (isfinite(v[i]) && (int64_t)floor(v[i] / w) > *top)
      *top = (int64_t)floor(v[i] / w);
  memset(counts, 0, ISSIM_HIST_BINS * sizeof *counts);
  *below = 0;
  for (size_t i = 0; i < n; i++) {
    if (!isfinite(v[i]))
      continue;
    int64_t k = *top - (int64_t)floor(v[i] / w);
    if (k < ISSIM_HIST_BINS)
      counts[k]++;
    else
      (*below)++;
  }
}

START_TEST(test_histogram_against_reference)
{
  enum { N = 3001 };
  static double v[N];
  const double offsets[] = {0, -300, 7e9, -7e9};
  gsl_rng *r = gsl_rng_alloc(gsl_rng_taus2);
  gsl_rng_set(r, 5);
  for (size_t o = 0; o < sizeof offsets / sizeof offsets[0]; o++) {
    for (int i = 0; i < N; i++) {
      double u = gsl_rng_uniform(r);
      v[i] = u < 0.3 ? -INFINITY : u < 0.32 ? NAN : u < 0.33 ? INFINITY
             : offsets[o] + (double)i / 40 + gsl_ran_gaussian(r, 30); /* rising: the top moves */
    }
    v[17] = offsets[o] + 12.5; /* on a bin's edge */
    issim_hist h;
    issim_hist_reset(&h, 0.5);
    const size_t cuts[] = {0, 1, 8, 520, 1031, 2600, N};
    for (size_t c = 0; c + 1 < sizeof cuts / sizeof cuts[0]; c++)
      issim_hist_add(&h, cuts[c + 1] - cuts[c], v + cuts[c]);
    int64_t top;
    uint64_t counts[ISSIM_HIST_BINS], below;
    reference_hist(N, v, 0.5, &top, counts, &below);
    ck_assert_int_eq(h.top, top);
    ck_assert_uint_eq(h.below, below);
    for (int k = 0; k < ISSIM_HIST_BINS; k++)
      ck_assert_msg(h.counts[k] == counts[k], "offset %g, slot %d: %llu, want %llu", offsets[o],
                    k, (unsigned long long)h.counts[k], (unsigned long long)counts[k]);
  }
  gsl_rng_free(r);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("trace");
  TCase *tc = tcase_create("trace");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_checkpoints);
  tcase_add_test(tc, test_trace_points_are_fixed_runs);
  tcase_add_test(tc, test_trace_of_a_stopped_run_ends_where_it_stopped);
  tcase_add_test(tc, test_histogram_counts_and_merges_exactly);
  tcase_add_test(tc, test_histogram_batches_of_nothing_finite);
  tcase_add_test(tc, test_histogram_against_reference);
  suite_add_tcase(s, tc);
  return run_suite(s);
}
