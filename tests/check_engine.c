/* Tests of src/engine.c: reproducibility and block streams. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "check_util.h"
#include "issim.h"

/* issim_engine_run with the outputs these tests look at */
static int engine_run(const issim_problem *pb, const issim_run_config *cfg, issim_accum *acc,
                      issim_khat_topk *tail, issim_stop_reason *why, issim_error *err)
{
  issim_run_output out = {.tail = tail};
  int rc = issim_engine_run(pb, cfg, &out, err);
  *acc = out.acc;
  if (why)
    *why = out.stopped_by;
  return rc;
}

typedef struct {
  issim_model *p, *q;
  issim_problem pb;
  issim_run_config cfg;
} fixture;

static void setup(fixture *f, uint64_t samples, uint64_t seed)
{
  f->p = line_model(issim_dist_alloc_normal(0, 1, NULL));
  f->q = line_model(issim_dist_alloc_normal(4, 1.2, NULL));
  f->pb = (issim_problem){.target = f->p, .proposal = f->q, .event = {.threshold = 4, .direction = ISSIM_ABOVE}};
  const gsl_rng_type *t;
  issim_rng_lookup("taus2", &t, NULL);
  f->cfg = (issim_run_config){.samples = samples, .seed = seed, .stream = 1, .rng = t, .threads = 1};
}

static void teardown(fixture *f)
{
  issim_model_free(f->p);
  issim_model_free(f->q);
}

static issim_accum run(fixture *f, int threads)
{
  issim_accum a;
  f->cfg.threads = threads;
  ck_assert_int_eq(engine_run(&f->pb, &f->cfg, &a, NULL, NULL, NULL), ISSIM_OK);
  return a;
}

START_TEST(test_thread_count_invariance)
{
  /* not a multiple of the block size, so the last block is partial */
  fixture f;
  setup(&f, 5 * ISSIM_BLOCK_SIZE + 1234, 42);
  issim_accum a1 = run(&f, 1), a2 = run(&f, 2), a3 = run(&f, 3), a8 = run(&f, 8);
  ck_assert_uint_eq(a1.n, 5 * ISSIM_BLOCK_SIZE + 1234);
  /* bit for bit: the whole state */
  ck_assert(memcmp(&a1, &a2, sizeof a1) == 0);
  ck_assert(memcmp(&a1, &a3, sizeof a1) == 0);
  ck_assert(memcmp(&a1, &a8, sizeof a1) == 0);
  teardown(&f);
}
END_TEST

START_TEST(test_chunks_merge_to_the_whole_run)
{
  /* what a distributed run relies on: chunks computed apart, merged in order,
   * are the run to the last bit */
  fixture f;
  setup(&f, 2 * ISSIM_CHUNK_BLOCKS * ISSIM_BLOCK_SIZE + 77, 9);
  ck_assert_uint_eq(issim_engine_chunk_count(f.cfg.samples), 3);
  issim_accum whole = run(&f, 2), chunks[3], merged;
  f.cfg.threads = 3;
  ck_assert_int_eq(issim_engine_run_chunks(&f.pb, &f.cfg, 0, 1, &chunks[0], NULL, NULL), ISSIM_OK);
  f.cfg.threads = 1;
  ck_assert_int_eq(issim_engine_run_chunks(&f.pb, &f.cfg, 1, 3, &chunks[1], NULL, NULL), ISSIM_OK);
  ck_assert_uint_eq(chunks[0].n, ISSIM_CHUNK_BLOCKS * ISSIM_BLOCK_SIZE);
  ck_assert_uint_eq(chunks[2].n, 77);
  issim_accum_reset(&merged);
  for (int c = 0; c < 3; c++)
    issim_accum_merge(&merged, &chunks[c]);
  ck_assert(memcmp(&merged, &whole, sizeof whole) == 0);
  /* different chunks draw differently */
  ck_assert(chunks[0].y_mean != chunks[1].y_mean && chunks[0].w != chunks[1].w);
  teardown(&f);
}
END_TEST

START_TEST(test_target_re_stops_reproducibly)
{
  /* the stop is decided on the canonical merged state, block by block: the same
   * block for any thread count, and the run equals the fixed-N run of as many draws */
  fixture f;
  setup(&f, 200 * ISSIM_BLOCK_SIZE, 5);
  issim_stop_rules rules = {.target_re = 0.01};
  f.cfg.stop = &rules;
  issim_accum a[3];
  issim_stop_reason why[3];
  int threads[3] = {1, 2, 3};
  for (int k = 0; k < 3; k++) {
    f.cfg.threads = threads[k];
    ck_assert_int_eq(engine_run(&f.pb, &f.cfg, &a[k], NULL, &why[k], NULL), ISSIM_OK);
    ck_assert_int_eq(why[k], ISSIM_STOP_TARGET_RE);
  }
  ck_assert(memcmp(&a[0], &a[1], sizeof a[0]) == 0);
  ck_assert(memcmp(&a[0], &a[2], sizeof a[0]) == 0);
  ck_assert_uint_eq(a[0].n % ISSIM_BLOCK_SIZE, 0); /* at a block boundary */
  ck_assert(a[0].n < f.cfg.samples);
  issim_estimate e;
  issim_accum_estimate(&a[0], &e);
  ck_assert(e.relative_error <= 0.01);
  ck_assert(e.hits >= 100 && e.event_ess >= 100);
  /* one block fewer would not have been enough */
  f.cfg.stop = NULL;
  f.cfg.samples = a[0].n;
  issim_accum fixed, shorter;
  ck_assert_int_eq(engine_run(&f.pb, &f.cfg, &fixed, NULL, NULL, NULL), ISSIM_OK);
  ck_assert(memcmp(&fixed, &a[0], sizeof fixed) == 0);
  if (a[0].n > ISSIM_BLOCK_SIZE) {
    f.cfg.samples = a[0].n - ISSIM_BLOCK_SIZE;
    ck_assert_int_eq(engine_run(&f.pb, &f.cfg, &shorter, NULL, NULL, NULL), ISSIM_OK);
    issim_accum_estimate(&shorter, &e);
    ck_assert(e.relative_error > 0.01 || e.hits < 100 || e.event_ess < 100);
  }
  teardown(&f);
}
END_TEST

static void most_draws(const issim_progress *p, void *user)
{
  uint64_t *most = user;
  if (p->draws > *most)
    *most = p->draws;
}

/* A run that reaches its target draws no more blocks than the threads had
 * started by then (a chunk holds 64): with a slow model the rest would cost
 * minutes for nothing.  Draws counted by the progress reports. */
START_TEST(test_target_re_draws_no_further)
{
  fixture f;
  setup(&f, 200 * ISSIM_BLOCK_SIZE, 5);
  uint64_t most = 0;
  issim_stop_rules rules = {.target_re = 0.01, .progress = most_draws, .progress_user = &most,
                            .progress_interval = 1e-9};
  f.cfg.stop = &rules;
  issim_accum a;
  issim_stop_reason why;
  for (int threads = 1; threads <= 3; threads += 2) {
    f.cfg.threads = threads;
    most = 0;
    ck_assert_int_eq(engine_run(&f.pb, &f.cfg, &a, NULL, &why, NULL), ISSIM_OK);
    ck_assert_int_eq(why, ISSIM_STOP_TARGET_RE);
    ck_assert_msg(a.n < 8 * ISSIM_BLOCK_SIZE, "the target took %llu draws", (unsigned long long)a.n);
    ck_assert_msg(most <= a.n + (uint64_t)threads * ISSIM_BLOCK_SIZE,
                  "%d threads drew %llu to keep %llu", threads, (unsigned long long)most,
                  (unsigned long long)a.n);
  }
  teardown(&f);
}
END_TEST

START_TEST(test_min_hits_holds_back_a_lucky_stop)
{
  /* a target the first blocks meet with too few hits: with min_hits it waits */
  fixture f;
  setup(&f, 40 * ISSIM_BLOCK_SIZE, 5);
  issim_stop_rules rules = {.target_re = 0.5, .min_hits = 1000000};
  f.cfg.stop = &rules;
  issim_accum a;
  issim_stop_reason why;
  ck_assert_int_eq(engine_run(&f.pb, &f.cfg, &a, NULL, &why, NULL), ISSIM_OK);
  ck_assert_int_eq(why, ISSIM_STOP_SAMPLES);
  ck_assert_uint_eq(a.n, f.cfg.samples);
  teardown(&f);
}
END_TEST

START_TEST(test_interrupt_flag_stops_at_a_block_boundary)
{
  /* an interrupt raised before the run: nothing is drawn, and the reason says so */
  fixture f;
  setup(&f, 10 * ISSIM_BLOCK_SIZE, 5);
  volatile sig_atomic_t flag = 1;
  issim_stop_rules rules = {.interrupt = &flag};
  f.cfg.stop = &rules;
  issim_accum a;
  issim_stop_reason why;
  ck_assert_int_eq(engine_run(&f.pb, &f.cfg, &a, NULL, &why, NULL), ISSIM_OK);
  ck_assert_int_eq(why, ISSIM_STOP_INTERRUPT);
  ck_assert_uint_eq(a.n, 0);
  teardown(&f);
}
END_TEST

START_TEST(test_tail_buffer_is_split_invariant)
{
  /* the run's k-hat buffer: blocks told the floor of the chunks before them
   * (issim_engine_run) hold the same largest values as blocks told nothing
   * (issim_engine_run_chunks), for any thread count */
  fixture f;
  setup(&f, 2 * ISSIM_CHUNK_BLOCKS * ISSIM_BLOCK_SIZE + 999, 21);
  size_t k = issim_khat_capacity(f.cfg.samples);
  issim_khat_topk *a = issim_khat_topk_alloc(k), *b = issim_khat_topk_alloc(k);
  issim_accum acc, chunks[3];
  f.cfg.threads = 3;
  ck_assert_int_eq(engine_run(&f.pb, &f.cfg, &acc, a, NULL, NULL), ISSIM_OK);
  f.cfg.threads = 1;
  ck_assert_int_eq(issim_engine_run_chunks(&f.pb, &f.cfg, 0, 3, chunks, b, NULL), ISSIM_OK);
  double *va = malloc(k * sizeof *va), *vb = malloc(k * sizeof *vb);
  size_t na = issim_khat_topk_values(a, va), nb = issim_khat_topk_values(b, vb);
  ck_assert_uint_eq(na, k);
  ck_assert_uint_eq(nb, k);
  ck_assert(memcmp(va, vb, k * sizeof *va) == 0);
  ck_assert(issim_khat_topk_khat(a, acc.n) == issim_khat_topk_khat(b, acc.n));
  free(va);
  free(vb);
  issim_khat_topk_free(a);
  issim_khat_topk_free(b);
  teardown(&f);
}
END_TEST

START_TEST(test_seed_and_stream_change_the_draws)
{
  fixture f;
  setup(&f, 100000, 1);
  issim_accum a = run(&f, 2);
  f.cfg.seed = 2;
  issim_accum b = run(&f, 2);
  f.cfg.seed = 1;
  f.cfg.stream = 2;
  issim_accum c = run(&f, 2);
  ck_assert(a.y_mean != b.y_mean);
  ck_assert(a.y_mean != c.y_mean);
  teardown(&f);
}
END_TEST

START_TEST(test_small_runs)
{
  fixture f;
  setup(&f, 1, 3);
  issim_accum a = run(&f, 4);
  ck_assert_uint_eq(a.n, 1);
  issim_estimate e;
  issim_accum_estimate(&a, &e);
  ck_assert_uint_eq(e.samples, 1);
  teardown(&f);
}
END_TEST

/* ---- a loss that fails: the caller's own model (loss.h) ---- */

typedef struct {
  issim_model *target;
  issim_loss *loss;
  issim_problem pb;
  issim_run_config cfg;
} model_fixture;

/* plain Monte Carlo of two normals, the event x1 + x2 > 3, the loss failing
 * on a point with x1 above fail_above (the sum loss itself for INFINITY) */
static void model_setup(model_fixture *f, uint64_t samples, double fail_above, int builtin)
{
  f->target = independent_normals(2, NULL, NULL);
  f->loss = builtin ? issim_loss_alloc(ISSIM_LOSS_SUM, 2, NULL)
                    : counting_sum_loss(2, fail_above, NULL);
  f->pb = (issim_problem){.target = f->target,
                          .event = issim_event_init(f->loss, 3, ISSIM_ABOVE)};
  const gsl_rng_type *t;
  issim_rng_lookup("taus2", &t, NULL);
  f->cfg = (issim_run_config){.samples = samples, .seed = 11, .stream = 3, .rng = t, .threads = 1};
}

static void model_teardown(model_fixture *f)
{
  issim_loss_free(f->loss);
  issim_model_free(f->target);
}

START_TEST(test_a_failing_loss_ends_the_run_where_it_failed)
{
  model_fixture f;
  model_setup(&f, 20 * ISSIM_BLOCK_SIZE, 4.5, 0);
  issim_accum a[4];
  char failure[4][ISSIM_ERROR_MESSAGE_SIZE];
  const int threads[4] = {1, 2, 3, 8};
  for (int k = 0; k < 4; k++) {
    f.cfg.threads = threads[k];
    issim_run_output out = {0};
    issim_error err;
    ck_assert_int_eq(issim_engine_run(&f.pb, &f.cfg, &out, &err), ISSIM_ELOSS);
    ck_assert_int_eq(out.stopped_by, ISSIM_STOP_LOSS);
    ck_assert_str_eq(err.message, out.failure);
    a[k] = out.acc;
    memcpy(failure[k], out.failure, sizeof failure[k]);
    /* the same draws, to the last bit, and the same message */
    ck_assert(memcmp(&a[k], &a[0], sizeof a[0]) == 0);
    ck_assert_str_eq(failure[k], failure[0]);
  }
  uint64_t n = a[0].n;
  ck_assert_uint_gt(n, 2 * ISSIM_BLOCK_SIZE); /* blocks before the failed one finished */
  ck_assert_uint_lt(n, f.cfg.samples);
  char want[128];
  snprintf(want, sizeof want, "draws %llu to %llu: counting sum failed on a batch of 512 points "
                              "from x = (", (unsigned long long)n + 1, (unsigned long long)n + 512);
  ck_assert_msg(strncmp(failure[0], want, strlen(want)) == 0, "%s", failure[0]);
  ck_assert_msg(strstr(failure[0], "): it returned 1") != NULL, "%s", failure[0]);
  model_teardown(&f);
  /* the run of as many draws with a loss that does not fail */
  model_setup(&f, n, INFINITY, 1);
  f.cfg.threads = 2;
  issim_run_output fixed = {0};
  ck_assert_int_eq(issim_engine_run(&f.pb, &f.cfg, &fixed, NULL), ISSIM_OK);
  ck_assert(memcmp(&fixed.acc, &a[0], sizeof a[0]) == 0);
  model_teardown(&f);
}
END_TEST

START_TEST(test_a_loss_failing_at_once)
{
  model_fixture f;
  model_setup(&f, 3 * ISSIM_BLOCK_SIZE, -10, 0);
  f.cfg.threads = 3;
  issim_run_output out = {0};
  issim_error err;
  ck_assert_int_eq(issim_engine_run(&f.pb, &f.cfg, &out, &err), ISSIM_ELOSS);
  ck_assert_uint_eq(out.acc.n, 0);
  ck_assert_msg(strncmp(err.message, "draws 1 to 512: counting sum failed", 35) == 0, "%s",
                err.message);
  issim_accum chunks[1];
  ck_assert_int_eq(issim_engine_run_chunks(&f.pb, &f.cfg, 0, 1, chunks, NULL, &err), ISSIM_ELOSS);
  ck_assert_msg(strstr(err.message, "counting sum failed") != NULL, "%s", err.message);
  model_teardown(&f);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("engine");
  TCase *tc = tcase_create("engine");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_thread_count_invariance);
  tcase_add_test(tc, test_chunks_merge_to_the_whole_run);
  tcase_add_test(tc, test_target_re_stops_reproducibly);
  tcase_add_test(tc, test_target_re_draws_no_further);
  tcase_add_test(tc, test_min_hits_holds_back_a_lucky_stop);
  tcase_add_test(tc, test_interrupt_flag_stops_at_a_block_boundary);
  tcase_add_test(tc, test_tail_buffer_is_split_invariant);
  tcase_add_test(tc, test_seed_and_stream_change_the_draws);
  tcase_add_test(tc, test_small_runs);
  tcase_add_test(tc, test_a_failing_loss_ends_the_run_where_it_failed);
  tcase_add_test(tc, test_a_loss_failing_at_once);
  suite_add_tcase(s, tc);
  return run_suite(s);
}
