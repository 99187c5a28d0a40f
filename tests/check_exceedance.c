/* Tests of src/exceedance.c (and estimator.c's issim_accum_add_levels): the
 * tally of several thresholds against one accumulator per threshold, its
 * merging, shipping and tails, the engine's tally against exact tails at
 * every level, the same digits for any thread count, and the inversion of a
 * grid into a quantile and its interval. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "check_main.h"
#include "check_util.h"
#include "issim.h"

/* n draws of q = N(mu, 1) weighed against p = N(0, 1); loss x itself. */
static void normal_draws(gsl_rng *r, size_t n, double mu, double *x, double *lp, double *lq)
{
  for (size_t i = 0; i < n; i++) {
    x[i] = mu + gsl_ran_gaussian_ziggurat(r, 1.0);
    lp[i] = -0.5 * x[i] * x[i];
    lq[i] = -0.5 * (x[i] - mu) * (x[i] - mu);
  }
}

static void assert_same_estimate(const issim_estimate *a, const issim_estimate *b)
{
  ck_assert_uint_eq(a->hits, b->hits);
  ck_assert_uint_eq(a->samples, b->samples);
  if (a->hits == 0) {
    ck_assert(b->log_estimate == -INFINITY);
    return;
  }
  assert_close(a->log_estimate, b->log_estimate, 1e-12);
  assert_close(a->log_std_error, b->log_std_error, 1e-9);
  assert_close(a->event_ess, b->event_ess, 1e-9 * b->event_ess);
  assert_close(a->max_weight_share, b->max_weight_share, 1e-12);
  assert_close(a->kl_pstar_q, b->kl_pstar_q, 1e-9);
  assert_close(a->ess, b->ess, 1e-9 * b->ess);
  assert_close(a->self_normalized_log_estimate, b->self_normalized_log_estimate, 1e-12);
}

/* The tally of several thresholds gives what one accumulator per threshold
 * gives, on batches that are not multiples of the chunk, in both directions,
 * with a threshold no draw reaches. */
START_TEST(test_levels_equal_separate_accumulators)
{
  const double t[] = {-1, 0.5, 2, 3.5, 40};
  const size_t k = sizeof t / sizeof *t, n = 1700;
  gsl_rng *r = gsl_rng_alloc(gsl_rng_taus2);
  gsl_rng_set(r, 7);
  double *x = xalloc(n), *lp = xalloc(n), *lq = xalloc(n), *h = xalloc(n);
  for (int above = 0; above <= 1; above++) {
    issim_exceedance *ex = issim_exceedance_alloc(k, t, above, 0);
    ck_assert_ptr_nonnull(ex);
    issim_accum one[5];
    for (size_t j = 0; j < k; j++)
      issim_accum_reset(&one[j]);
    for (int batch = 0; batch < 3; batch++) {
      size_t m = batch == 1 ? 333 : n;
      normal_draws(r, m, above ? 2 : -2, x, lp, lq);
      issim_exceedance_add(ex, m, lp, lq, x);
      for (size_t j = 0; j < k; j++) {
        issim_event_mark_hits_at(m, x, t[j], above, h);
        issim_accum_add(&one[j], m, lp, lq, h);
      }
    }
    for (size_t j = 0; j < k; j++) {
      issim_estimate a, b;
      issim_exceedance_estimate(ex, j, &a);
      issim_accum_estimate(&one[j], &b);
      assert_same_estimate(&a, &b);
    }
    issim_exceedance_free(ex);
  }
  free(x), free(lp), free(lq), free(h);
  gsl_rng_free(r);
}
END_TEST

/* A chunk with a zero weight (log p = -inf) and an undefined one (NaN) takes
 * the careful path, per threshold, as issim_accum_add does. */
START_TEST(test_levels_careful_path)
{
  const double t[] = {0, 1};
  double x[6] = {0.5, 1.5, 2.5, 3, -1, 2}, lp[6], lq[6], h[6];
  for (size_t i = 0; i < 6; i++)
    lp[i] = -0.5 * x[i] * x[i], lq[i] = -0.5 * (x[i] - 2) * (x[i] - 2);
  lp[2] = -INFINITY;
  lp[3] = NAN;
  issim_exceedance *ex = issim_exceedance_alloc(2, t, 1, 0);
  issim_exceedance_add(ex, 6, lp, lq, x);
  for (size_t j = 0; j < 2; j++) {
    issim_accum one;
    issim_accum_reset(&one);
    issim_event_mark_hits_at(6, x, t[j], 1, h);
    issim_accum_add(&one, 6, lp, lq, h);
    issim_estimate a, b;
    issim_exceedance_estimate(ex, j, &a);
    issim_accum_estimate(&one, &b);
    ck_assert_uint_eq(a.invalid, 1);
    assert_same_estimate(&a, &b);
  }
  issim_exceedance_free(ex);
}
END_TEST

typedef struct {
  unsigned char *p;
  size_t len;
} byte_buf;

static void put(void *ctx, const void *p, size_t len)
{
  byte_buf *b = ctx;
  memcpy(b->p + b->len, p, len);
  b->len += len;
}

/* Merging two tallies is adding the second's draws after the first's; a
 * packed tally read back is the same tally; the tails hold each threshold's
 * largest log(w h), the same multiset whatever the split. */
START_TEST(test_merge_pack_and_tails)
{
  const double t[] = {1, 2.5, 4};
  const size_t n = 4000;
  gsl_rng *r = gsl_rng_alloc(gsl_rng_taus2);
  gsl_rng_set(r, 11);
  double *x = xalloc(n), *lp = xalloc(n), *lq = xalloc(n);
  normal_draws(r, n, 2.5, x, lp, lq);
  issim_exceedance *all = issim_exceedance_alloc(3, t, 1, 50);
  issim_exceedance *a = issim_exceedance_alloc_like(all, 50), *b = issim_exceedance_alloc_like(all, 50);
  issim_exceedance *back = issim_exceedance_alloc_like(all, 50);
  issim_exceedance_add(all, n, lp, lq, x);
  issim_exceedance_add(a, 1500, lp, lq, x);
  issim_exceedance_add(b, n - 1500, lp + 1500, lq + 1500, x + 1500);
  issim_exceedance_merge(a, b);
  /* pack a, read it into back */
  byte_buf buf = {malloc(1 << 20), 0};
  issim_exceedance_pack(a, put, &buf);
  ck_assert_uint_eq(buf.len % 8, 0);
  const unsigned char *end = issim_exceedance_unpack(back, buf.p);
  ck_assert_uint_eq((size_t)(end - buf.p), buf.len);
  for (size_t j = 0; j < 3; j++) {
    issim_estimate ea, eall, eback;
    issim_exceedance_estimate(a, j, &ea);
    issim_exceedance_estimate(all, j, &eall);
    issim_exceedance_estimate(back, j, &eback);
    assert_same_estimate(&ea, &eall);
    ck_assert(memcmp(&a->acc[j], &back->acc[j], sizeof a->acc[j]) == 0);
    /* the tails: the 50 largest log-weights of the draws above t[j] */
    double *want = xalloc(n);
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
      if (x[i] > t[j])
        want[m++] = lp[i] - lq[i];
    for (size_t p = 0; p < 50; p++) /* partial selection sort, descending */
      for (size_t q = p + 1; q < m; q++)
        if (want[q] > want[p]) {
          double tmp = want[p];
          want[p] = want[q];
          want[q] = tmp;
        }
    double got_all[50], got_a[50], got_back[50];
    ck_assert_uint_eq(issim_khat_topk_values(all->tail[j], got_all), 50);
    ck_assert_uint_eq(issim_khat_topk_values(a->tail[j], got_a), 50);
    ck_assert_uint_eq(issim_khat_topk_values(back->tail[j], got_back), 50);
    for (size_t p = 0; p < 50; p++) {
      ck_assert(got_all[p] == want[p]);
      ck_assert(got_a[p] == want[p]);
      ck_assert(got_back[p] == want[p]);
    }
    ck_assert(isfinite(issim_exceedance_khat(all, j, 1)));
    free(want);
  }
  issim_exceedance *no_tails = issim_exceedance_alloc(3, t, 1, 0);
  ck_assert(isnan(issim_exceedance_khat(no_tails, 0, 1)));
  issim_exceedance_free(no_tails);
  free(buf.p);
  issim_exceedance_free(all), issim_exceedance_free(a), issim_exceedance_free(b);
  issim_exceedance_free(back);
  free(x), free(lp), free(lq);
  gsl_rng_free(r);
}
END_TEST

/* The engine's tally: P(Z > t) at every level within 4 SE of the exact tail,
 * the same digits for 1, 2 and 3 threads, the level equal to the event's
 * threshold within rounding of the run's own estimate, and a stopped run
 * (--target-re) equal to the fixed run of as many draws. */
static void run_levels(int threads, const issim_stop_rules *stop, uint64_t n,
                       issim_exceedance **ex, issim_run_output *out)
{
  static const double t[] = {2, 3, 4, 5, 6, 7};
  issim_model *p = line_model(issim_dist_alloc_normal(0, 1, NULL)),
              *q = line_model(issim_dist_alloc_normal(5, 1, NULL));
  issim_problem pb = {.target = p, .proposal = q,
                      .event = {.threshold = 5, .direction = ISSIM_ABOVE}};
  const gsl_rng_type *type;
  ck_assert_int_eq(issim_rng_lookup("taus2", &type, NULL), ISSIM_OK);
  issim_run_config cfg = {.samples = n, .seed = 42, .stream = 9, .rng = type,
                          .threads = threads, .stop = stop};
  *ex = issim_exceedance_alloc(6, t, 1, issim_khat_capacity(n));
  *out = (issim_run_output){.levels = *ex};
  ck_assert_int_eq(issim_engine_run(&pb, &cfg, out, NULL), ISSIM_OK);
  issim_model_free(p);
  issim_model_free(q);
}

START_TEST(test_engine_levels)
{
  issim_exceedance *ex[3];
  issim_run_output out[3];
  for (int k = 0; k < 3; k++)
    run_levels(k + 1, NULL, 300000, &ex[k], &out[k]);
  for (size_t j = 0; j < 6; j++) {
    issim_estimate e;
    issim_exceedance_estimate(ex[0], j, &e);
    double exact = gsl_cdf_ugaussian_Q(ex[0]->thresholds[j]);
    ck_assert_within_4se(e.estimate, exact, e.std_error);
    double k1 = issim_exceedance_khat(ex[0], j, 1);
    for (int k = 1; k < 3; k++) {
      ck_assert(memcmp(&ex[0]->acc[j], &ex[k]->acc[j], sizeof ex[0]->acc[j]) == 0);
      double kk = issim_exceedance_khat(ex[k], j, 1);
      ck_assert(k1 == kk || (isnan(k1) && isnan(kk)));
    }
    /* a mean shift's weights are bounded on x > 2 and beyond: k-hat < 0.5 */
    ck_assert_msg(k1 < 0.5, "k-hat %g at t = %g", k1, ex[0]->thresholds[j]);
  }
  issim_estimate main, level;
  issim_accum_estimate(&out[0].acc, &main);
  issim_exceedance_estimate(ex[0], 3, &level); /* t = 5, the event's own */
  assert_same_estimate(&level, &main);
  for (int k = 0; k < 3; k++)
    issim_exceedance_free(ex[k]);
}
END_TEST

START_TEST(test_engine_levels_stopped_run)
{
  issim_stop_rules stop = {.target_re = 0.01};
  issim_exceedance *a, *b;
  issim_run_output oa, ob;
  run_levels(2, &stop, 10000000, &a, &oa);
  ck_assert_int_eq(oa.stopped_by, ISSIM_STOP_TARGET_RE);
  run_levels(3, NULL, oa.acc.n, &b, &ob);
  for (size_t j = 0; j < 6; j++)
    ck_assert(memcmp(&a->acc[j], &b->acc[j], sizeof a->acc[j]) == 0);
  issim_exceedance_free(a);
  issim_exceedance_free(b);
}
END_TEST

/* Estimates of a grid with P(t) = Q(t) exactly and a given relative error:
 * the quantile where Q(t) = alpha, and the ends where Q(t) (1 -+ 1.96 re) =
 * alpha, to the interpolation's accuracy. */
static void exact_grid(size_t n, const double *t, double re, int above, issim_estimate *e)
{
  for (size_t i = 0; i < n; i++) {
    double lp = above ? log(gsl_cdf_ugaussian_Q(t[i])) : log(gsl_cdf_ugaussian_P(t[i]));
    e[i] = (issim_estimate){.hits = 1000, .samples = 100000, .log_estimate = lp,
                            .relative_error = re, .log_std_error = lp + log(re),
                            .log_ci_low = lp + log1p(-ISSIM_Z95 * re),
                            .log_ci_high = lp + log1p(ISSIM_Z95 * re)};
  }
}

START_TEST(test_quantile_inversion_exact_grid)
{
  enum { N = 41 };
  double t[N];
  issim_estimate e[N];
  for (size_t i = 0; i < N; i++)
    t[i] = 4.5 + 0.01 * (double)i; /* 4.5 .. 4.9 */
  const double alpha = 1e-6, re = 0.01;
  for (int above = 1; above >= 0; above--) {
    double s[N];
    for (size_t i = 0; i < N; i++)
      s[i] = above ? t[i] : -t[N - 1 - i];
    exact_grid(N, s, re, above, e);
    issim_quantile_estimate q;
    issim_quantile_invert(N, s, e, above, log(alpha), &q);
    double want = above ? gsl_cdf_ugaussian_Qinv(alpha) : gsl_cdf_ugaussian_Pinv(alpha);
    double lo_p = alpha / (1 + ISSIM_Z95 * re), hi_p = alpha / (1 - ISSIM_Z95 * re);
    /* the interval's ends: where Q(t)(1 + 1.96 re) = alpha, and (1 - 1.96 re) */
    double end_a = above ? gsl_cdf_ugaussian_Qinv(lo_p) : gsl_cdf_ugaussian_Pinv(lo_p);
    double end_b = above ? gsl_cdf_ugaussian_Qinv(hi_p) : gsl_cdf_ugaussian_Pinv(hi_p);
    ck_assert_int_eq(q.where, 0);
    ck_assert(!q.low_open && !q.high_open);
    assert_close(q.estimate, want, 1e-5);
    assert_close(q.ci_low, fmin(end_a, end_b), 1e-5);
    assert_close(q.ci_high, fmax(end_a, end_b), 1e-5);
    ck_assert(s[q.lower] <= q.ci_low && q.ci_high <= s[q.upper]);
    ck_assert_uint_le(q.upper - q.lower, 3);
  }
}
END_TEST

/* A grid that does not hold the quantile says where it is; an interval that
 * reaches the grid's end is open there; a threshold without a hit never
 * ends an interval. */
START_TEST(test_quantile_inversion_edges)
{
  double t[] = {3, 3.5, 4, 4.5, 5};
  issim_estimate e[5];
  issim_quantile_estimate q;
  exact_grid(5, t, 0.01, 1, e);
  issim_quantile_invert(5, t, e, 1, log(1e-9), &q); /* 6 sigma: above the grid */
  ck_assert_int_eq(q.where, 1);
  ck_assert(isnan(q.estimate) && q.low_open && q.high_open);
  issim_quantile_invert(5, t, e, 1, log(1e-2), &q); /* 2.3 sigma: below it */
  ck_assert_int_eq(q.where, -1);
  ck_assert(isnan(q.estimate));
  /* a wide error bar: the interval runs past both ends */
  exact_grid(5, t, 0.45, 1, e);
  issim_quantile_invert(5, t, e, 1, log(gsl_cdf_ugaussian_Q(3.1)), &q);
  ck_assert_int_eq(q.where, 0);
  assert_close(q.estimate, 3.1, 2e-2);
  ck_assert(q.low_open && !q.high_open); /* P(t) = 8.5 Q(3.1) is at t = 2.4 */
  assert_close(q.ci_low, 3, 0);
  /* no hit at the last two thresholds: the interval's upper end stays open */
  exact_grid(5, t, 0.01, 1, e);
  e[3].hits = e[4].hits = 0;
  e[3].log_ci_high = e[4].log_ci_high = NAN;
  issim_quantile_invert(5, t, e, 1, log(gsl_cdf_ugaussian_Q(3.7)), &q);
  ck_assert(q.high_open);
  assert_close(q.ci_high, 5, 0);
  ck_assert(!q.low_open);
  /* fewer than two thresholds: nothing */
  issim_quantile_invert(1, t, e, 1, log(1e-3), &q);
  ck_assert(isnan(q.estimate) && isnan(q.ci_low));
}
END_TEST

/* A steep step between two grid thresholds (a loss with atoms, a coarse
 * grid): P = e alpha to 0.1% at the first, e^-20 alpha to 60% at the second,
 * whose interval then reaches down to 0 (log -inf).  The estimate, in log P,
 * is 1/21 of the way; the interval's lower end, where P's lower bound
 * crosses alpha, must not pass it: the test-inversion set holds the
 * estimate (there P = alpha lies between the bounds). */
START_TEST(test_quantile_interval_holds_estimate)
{
  const double la = log(1e-6), t[] = {1, 2, 3};
  const double lp[] = {la + 1, la - 20, la - 25}, re[] = {0.001, 0.6, 0.6};
  issim_estimate e[3];
  for (size_t i = 0; i < 3; i++) {
    double half = ISSIM_Z95 * re[i];
    e[i] = (issim_estimate){.hits = 100, .samples = 100000, .log_estimate = lp[i],
                            .relative_error = re[i], .log_std_error = lp[i] + log(re[i]),
                            .log_ci_low = half < 1 ? lp[i] + log1p(-half) : -INFINITY,
                            .log_ci_high = lp[i] + log1p(half)};
  }
  for (int above = 1; above >= 0; above--) {
    double s[3];
    issim_estimate f[3];
    for (size_t i = 0; i < 3; i++) { /* below: the same grid in reverse, t -> -t */
      s[i] = above ? t[i] : -t[2 - i];
      f[i] = above ? e[i] : e[2 - i];
    }
    issim_quantile_estimate q;
    issim_quantile_invert(3, s, f, above, la, &q);
    ck_assert_int_eq(q.where, 0);
    assert_close(q.estimate, above ? 1 + 1.0 / 21 : -(1 + 1.0 / 21), 1e-12);
    ck_assert_msg(q.ci_low <= q.estimate && q.estimate <= q.ci_high,
                  "%s: the estimate %.6g outside its interval [%.6g, %.6g]",
                  above ? "above" : "below", q.estimate, q.ci_low, q.ci_high);
  }
}
END_TEST

static Suite *exceedance_suite(void)
{
  Suite *s = suite_create("exceedance");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_levels_equal_separate_accumulators);
  tcase_add_test(tc, test_levels_careful_path);
  tcase_add_test(tc, test_merge_pack_and_tails);
  tcase_add_test(tc, test_engine_levels);
  tcase_add_test(tc, test_quantile_interval_holds_estimate);
  tcase_add_test(tc, test_engine_levels_stopped_run);
  tcase_add_test(tc, test_quantile_inversion_exact_grid);
  tcase_add_test(tc, test_quantile_inversion_edges);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  return run_suite(exceedance_suite());
}
