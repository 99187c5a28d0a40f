/* Tests of src/sampler.c: the one sampler draws what the distributions and
 * models draw, weighs with their log-densities, and its fast paths change
 * nothing but rounding. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "issim.h"

static const gsl_rng_type *taus2(void)
{
  const gsl_rng_type *t;
  ck_assert_int_eq(issim_rng_lookup("taus2", &t, NULL), ISSIM_OK);
  return t;
}

START_TEST(test_univariate_draws_and_weights)
{
  issim_dist *p = issim_dist_alloc_normal(0, 1, NULL), *q = issim_dist_alloc_normal(4, 1.5, NULL);
  issim_model *pm = issim_model_alloc_line(p, NULL), *qm = issim_model_alloc_line(q, NULL);
  ck_assert_int_eq(issim_model_line_dist(pm)->kind, ISSIM_DIST_NORMAL);
  issim_problem pb = {.target = pm, .proposal = qm, .event = issim_event_init(NULL, 4, ISSIM_ABOVE)};
  issim_sampler *s = issim_sampler_alloc(&pb, taus2());
  ck_assert_ptr_nonnull(s);
  ck_assert_uint_eq(issim_sampler_batch(&pb), 512);
  issim_sampler_seed(s, 7);
  issim_sampler_draw(s, 300, 0);
  /* the same draws by hand */
  gsl_rng *r = gsl_rng_alloc(taus2());
  gsl_rng_set(r, 7);
  double x[300], lp[300], lq[300];
  issim_dist_sample(q, r, 300, x);
  issim_dist_log_pdf(p, 300, x, lp);
  issim_dist_log_pdf(q, 300, x, lq);
  ck_assert(memcmp(x, issim_sampler_x(s), sizeof x) == 0);
  ck_assert(memcmp(x, issim_sampler_g(s), sizeof x) == 0); /* the loss is x itself */
  ck_assert(memcmp(lp, issim_sampler_log_p(s), sizeof lp) == 0);
  ck_assert(memcmp(lq, issim_sampler_log_q(s), sizeof lq) == 0);
  gsl_rng_free(r);
  issim_sampler_free(s);
  /* plain Monte Carlo: log q is log p itself, every weight 1 */
  pb.proposal = NULL;
  s = issim_sampler_alloc(&pb, taus2());
  issim_sampler_seed(s, 7);
  issim_sampler_draw(s, 10, 0);
  ck_assert_ptr_eq(issim_sampler_log_q(s), issim_sampler_log_p(s));
  issim_sampler_free(s);
  issim_model_free(pm);
  issim_model_free(qm);
  issim_dist_free(p);
  issim_dist_free(q);
}
END_TEST

/* A 10-dimensional correlated normal, a mean-shifted proposal sharing its
 * factor, and a linear loss: the pair's fastest path. */
typedef struct {
  issim_model *p, *q;
  issim_loss *loss;
  issim_problem pb;
} portfolio;

static void portfolio_init(portfolio *f)
{
  enum { D = 10 };
  double mean[D] = {0}, cov[D * D], w[D], loc[D];
  for (int i = 0; i < D; i++) {
    w[i] = -0.1 * (i + 1);
    loc[i] = -0.8;
    for (int j = 0; j < D; j++)
      cov[i * D + j] = i == j ? 1 : 0.3;
  }
  issim_error err;
  f->p = issim_model_alloc_normal(D, mean, cov, &err);
  ck_assert_msg(f->p != NULL, "%s", err.message);
  f->q = issim_model_alloc_moved(f->p, loc, 1, &err);
  ck_assert_msg(f->q != NULL, "%s", err.message);
  f->loss = issim_loss_alloc_linear(D, w, &err);
  f->pb = (issim_problem){.target = f->p, .proposal = f->q,
                          .event = issim_event_init(f->loss, 2, ISSIM_ABOVE)};
}

static void portfolio_free(portfolio *f)
{
  issim_model_free(f->p);
  issim_model_free(f->q);
  issim_loss_free(f->loss);
}

START_TEST(test_linear_loss_with_the_points)
{
  portfolio f;
  portfolio_init(&f);
  issim_sampler *fast = issim_sampler_alloc(&f.pb, taus2()),
                *full = issim_sampler_alloc(&f.pb, taus2());
  size_t n = issim_sampler_batch(&f.pb);
  issim_sampler_seed(fast, 3);
  issim_sampler_seed(full, 3);
  issim_sampler_draw(fast, n, 0); /* the loss drawn with the points */
  issim_sampler_draw(full, n, 1); /* the points kept, the loss evaluated on them */
  ck_assert(memcmp(issim_sampler_log_p(fast), issim_sampler_log_p(full), n * sizeof(double)) == 0);
  ck_assert(memcmp(issim_sampler_log_q(fast), issim_sampler_log_q(full), n * sizeof(double)) == 0);
  const double *a = issim_sampler_g(fast), *b = issim_sampler_g(full), *x = issim_sampler_x(full);
  for (size_t i = 0; i < n; i++) {
    double direct = 0, scale = 0;
    for (int j = 0; j < 10; j++) {
      direct += -0.1 * (j + 1) * x[i * 10 + j];
      scale += 0.1 * (j + 1) * fabs(x[i * 10 + j]);
    }
    ck_assert_double_eq_tol(b[i], direct, 1e-15 * scale);
    ck_assert_double_eq_tol(a[i], b[i], 64 * 2.2e-16 * (scale + 1));
  }
  issim_sampler_free(fast);
  issim_sampler_free(full);
  portfolio_free(&f);
}
END_TEST

START_TEST(test_weights_match_the_models)
{
  /* the pair's log-densities are those of the models' own functions, to rounding */
  portfolio f;
  portfolio_init(&f);
  issim_sampler *s = issim_sampler_alloc(&f.pb, taus2());
  size_t n = 64;
  issim_sampler_seed(s, 11);
  issim_sampler_draw(s, n, 1);
  const double *x = issim_sampler_x(s);
  double *lp = malloc(n * sizeof *lp), *lq = malloc(n * sizeof *lq);
  double *scratch = malloc(issim_model_scratch(f.p, n) * sizeof *scratch);
  issim_model_log_pdf(f.p, n, x, lp, scratch);
  issim_model_log_pdf(f.q, n, x, lq, scratch);
  for (size_t i = 0; i < n; i++) {
    ck_assert_double_eq_tol(issim_sampler_log_p(s)[i], lp[i], 1e-12 * (1 + fabs(lp[i])));
    ck_assert_double_eq_tol(issim_sampler_log_q(s)[i], lq[i], 1e-12 * (1 + fabs(lq[i])));
  }
  free(lp), free(lq), free(scratch);
  issim_sampler_free(s);
  portfolio_free(&f);
}
END_TEST

START_TEST(test_batch_shrinks_with_the_dimension)
{
  issim_dist *z = issim_dist_alloc_normal(0, 1, NULL);
  const issim_dist **c = malloc(1000 * sizeof *c);
  for (int i = 0; i < 1000; i++)
    c[i] = z;
  issim_model *p = issim_model_alloc_independent(1000, c, NULL);
  issim_problem pb = {.target = p};
  ck_assert_uint_eq(issim_sampler_batch(&pb), 64); /* 64 x 1000 <= 65536 < 128 x 1000 */
  issim_model_free(p);
  free(c);
  issim_dist_free(z);
}
END_TEST

static Suite *sampler_suite(void)
{
  Suite *s = suite_create("sampler");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, test_univariate_draws_and_weights);
  tcase_add_test(tc, test_linear_loss_with_the_points);
  tcase_add_test(tc, test_weights_match_the_models);
  tcase_add_test(tc, test_batch_shrinks_with_the_dimension);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  return run_suite(sampler_suite());
}
