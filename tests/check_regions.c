/* Tests of src/regions.c: the failure regions of an event and the check of a
 * proposal against them, on events with several regions whose answers are
 * known (x1 x2 > 9, a union of half-spaces, a parabola), and the verdict it
 * leads to at several seeds. */
#include <check.h>
#include <gsl/gsl_cdf.h>
#include <math.h>
#include <string.h>

#include "check_main.h"
#include "check_util.h"
#include "issim.h"

/* P(X1 X2 > 9) for independent standard normals: 2 int_0^inf phi(x) Q(9/x)
 * dx, by adaptive quadrature at 30 digits (mpmath). */
#define PRODUCT_EXACT 1.54329287680085827e-5

static const char *PRODUCT =
    "[target]\ndistribution = independent\ndimension = 2\ncomponent = normal\n"
    "[event]\nloss = expression\nexpression = x1*x2\nthreshold = 9\n"
    "[proposal design-point]\ndistribution = shifted-target\nshift = design-point\n"
    "[proposal design-points]\ndistribution = shifted-target\nshift = design-points\n"
    "[proposal crude]\ndistribution = target\n";

static void find(const issim_scenario *s, issim_regions *r)
{
  issim_problem pb = issim_scenario_problem(s, NULL);
  issim_error err;
  ck_assert_int_eq(issim_regions_find(&pb, r, &err), ISSIM_OK);
}

START_TEST(test_two_regions_of_a_product)
{
  issim_scenario *s = scenario_parse_ok(PRODUCT, "product.ini");
  issim_regions r;
  find(s, &r);
  ck_assert_uint_eq(r.n, 2);
  double beta = 3 * sqrt(2.0);
  for (size_t i = 0; i < 2; i++) {
    assert_close(r.beta[i], beta, 1e-6);
    assert_close(r.share[i], 0.5, 1e-6);
    assert_close(fabs(r.x[2 * i]), 3, 1e-6);
    ck_assert(r.x[2 * i] * r.x[2 * i + 1] > 0); /* (3, 3) and (-3, -3) */
    /* the half-space through the point, normal to it: a . x* = b */
    assert_close(r.a[2 * i] * r.x[2 * i] + r.a[2 * i + 1] * r.x[2 * i + 1], r.b[i], 1e-6);
    /* under the target, its probability is Q(beta) */
    assert_close(issim_regions_log_prob(&r, i, NULL), log(gsl_cdf_ugaussian_Q(beta)), 1e-9);
  }
  /* the target shifted to (3, 3): a . X is N(a . (3, 3), 1) for |a| = 1 */
  const issim_proposal *p = issim_scenario_proposal(s, "design-point");
  size_t near = r.x[0] > 0 ? 0 : 1, far = 1 - near;
  assert_close(issim_regions_log_prob(&r, near, p->model), log(0.5), 1e-6);
  assert_close(issim_regions_log_prob(&r, far, p->model), log(gsl_cdf_ugaussian_Q(2 * beta)),
               1e-6);
  /* the mixture of both shifts: half of each component's */
  p = issim_scenario_proposal(s, "design-points");
  double both = 0.5 * 0.5 + 0.5 * gsl_cdf_ugaussian_Q(2 * beta);
  assert_close(issim_regions_log_prob(&r, far, p->model), log(both), 1e-6);
  issim_regions_free(&r);
  issim_scenario_free(s);
}
END_TEST

START_TEST(test_the_check_finds_the_neglected_region)
{
  issim_scenario *s = scenario_parse_ok(PRODUCT, "product.ini");
  issim_regions r;
  find(s, &r);
  issim_region_check c;
  double share;
  size_t worst = 99;
  /* one design point: the other region is out of reach at any N it can run */
  issim_regions_check(&r, issim_scenario_proposal(s, "design-point")->model, &c);
  ck_assert_uint_eq(c.n_checked, 2);
  ck_assert_uint_eq(issim_region_check_short(&c, 1e12, 1, &share, &worst), 1);
  assert_close(share, 0.5, 1e-6);
  ck_assert(strstr(c.where[worst], "-3") != NULL);
  /* both: nothing neglected */
  issim_regions_check(&r, issim_scenario_proposal(s, "design-points")->model, &c);
  ck_assert_uint_eq(issim_region_check_short(&c, 10, 1, &share, &worst), 0);
  /* the target itself neglects no region, even where it visits none */
  issim_regions_check(&r, NULL, &c);
  ck_assert_uint_eq(issim_region_check_short(&c, 10, 1, &share, &worst), 0);
  issim_regions_free(&r);
  issim_scenario_free(s);
}
END_TEST

/* The example at several seeds: one design point is unreliable,
 * naming the missed region; both are trustworthy and within 4 SE. */
START_TEST(test_product_verdicts_at_several_seeds)
{
  issim_scenario *s = scenario_parse_ok(PRODUCT, "product.ini");
  for (uint64_t seed = 1; seed <= 4; seed++) {
    issim_error err;
    issim_result one, both;
    issim_run_config cfg = run_config_of(s, "design-point", 100000, seed, 2);
    ck_assert_int_eq(issim_analyse(s, issim_scenario_proposal(s, "design-point"), &cfg, 0, &one,
                                   &err), ISSIM_OK);
    ck_assert_int_eq(one.verdict.level, ISSIM_UNRELIABLE);
    ck_assert_msg(strstr(one.verdict.reasons[0], "(-3, -3)") &&
                      strstr(one.verdict.reasons[0], "cannot have visited"),
                  "%s", one.verdict.reasons[0]);
    /* and it is wrong: about half the truth, far beyond its error bar */
    ck_assert(fabs(one.estimate.estimate - PRODUCT_EXACT) > 20 * one.estimate.std_error);
    cfg = run_config_of(s, "design-points", 100000, seed, 2);
    ck_assert_int_eq(issim_analyse(s, issim_scenario_proposal(s, "design-points"), &cfg, 0,
                                   &both, &err), ISSIM_OK);
    ck_assert_msg(both.verdict.level == ISSIM_TRUSTWORTHY, "%s", both.verdict.reasons[0]);
    ck_assert_within_4se(both.estimate.estimate, PRODUCT_EXACT, both.estimate.std_error);
    issim_result_clear(&one);
    issim_result_clear(&both);
  }
  issim_scenario_free(s);
}
END_TEST

/* max(x1, x2) > 4 with a proposal on one half-space, away from the other: the union of two
 * half-spaces, found in closed form; the covered one is fine. */
START_TEST(test_union_of_half_spaces)
{
  issim_scenario *s = scenario_parse_ok(
      "[target]\ndistribution = independent\ndimension = 2\ncomponent = normal\n"
      "[event]\nloss = max\nthreshold = 4\n"
      "[proposal one]\ndistribution = independent\ncomponent = normal\nmean = 4 -4\n"
      "[proposal both]\ndistribution = shifted-target\nshift = design-points\n",
      "max.ini");
  issim_regions r;
  find(s, &r);
  ck_assert_uint_eq(r.n, 2);
  ck_assert(r.stats.closed_form);
  double exact = 1 - pow(1 - gsl_cdf_ugaussian_Q(4), 2);
  issim_error err;
  issim_result one, both;
  issim_run_config cfg = run_config_of(s, "one", 100000, 7, 2);
  ck_assert_int_eq(issim_analyse(s, issim_scenario_proposal(s, "one"), &cfg, 0, &one, &err),
                   ISSIM_OK);
  ck_assert_int_eq(one.verdict.level, ISSIM_UNRELIABLE);
  ck_assert(strstr(one.verdict.reasons[0], "(0, 4)") != NULL);
  cfg = run_config_of(s, "both", 100000, 7, 2);
  ck_assert_int_eq(issim_analyse(s, issim_scenario_proposal(s, "both"), &cfg, 0, &both, &err),
                   ISSIM_OK);
  ck_assert_int_eq(both.verdict.level, ISSIM_TRUSTWORTHY);
  ck_assert_within_4se(both.estimate.estimate, exact, both.estimate.std_error);
  issim_result_clear(&one);
  /* on the other's boundary, (4, 0): Q(4) N = 3 expected visits, a lottery */
  issim_scenario *near = scenario_parse_ok(
      "[target]\ndistribution = independent\ndimension = 2\ncomponent = normal\n"
      "[event]\nloss = max\nthreshold = 4\n"
      "[proposal one]\ndistribution = independent\ncomponent = normal\nmean = 4 0\n",
      "near.ini");
  cfg = run_config_of(near, "one", 100000, 7, 2);
  ck_assert_int_eq(issim_analyse(near, &near->proposals[0], &cfg, 0, &one, &err), ISSIM_OK);
  ck_assert_int_eq(one.verdict.level, ISSIM_DOUBTFUL);
  ck_assert(strstr(one.verdict.reasons[0], "only a few times") != NULL);
  issim_scenario_free(near);
  issim_result_clear(&one);
  issim_result_clear(&both);
  issim_regions_free(&r);
  issim_scenario_free(s);
}
END_TEST

/* No check where there is one region, or no standard space. */
START_TEST(test_no_regions_to_check)
{
  issim_scenario *s = scenario_parse_ok(
      "[target]\ndistribution = multivariate-normal\ndimension = 3\n"
      "[event]\nloss = sum\nthreshold = 6\n[proposal crude]\ndistribution = target\n",
      "sum.ini");
  issim_regions r;
  find(s, &r);
  ck_assert_uint_eq(r.n, 0);
  ck_assert(strstr(r.why_none, "linear") != NULL);
  issim_scenario_free(s);
  s = scenario_parse_ok("[target]\ndistribution = normal\n[event]\nthreshold = 5\n"
                        "[proposal crude]\ndistribution = target\n", "one.ini");
  find(s, &r);
  ck_assert_uint_eq(r.n, 0);
  issim_scenario_free(s);
}

START_TEST(test_a_failing_model_is_not_checked_and_says_so)
{
  /* not "no region found" in silence: the reason names the model's failure;
   * and not an error either: the draws may never go where the search
   * probed (a failure there ends the run with its partial report) */
  issim_model *p = independent_normals(2, NULL, NULL);
  issim_loss *g = counting_sum_loss(2, 0.5, NULL);
  issim_problem pb = {.target = p, .event = issim_event_init(g, 3, ISSIM_ABOVE)};
  issim_regions r;
  issim_error err;
  ck_assert_int_eq(issim_regions_find(&pb, &r, &err), ISSIM_OK);
  ck_assert_msg(strstr(r.why_none, "regions are not checked: ") != NULL &&
                strstr(r.why_none, "counting sum failed") != NULL, "%s", r.why_none);
  ck_assert_uint_eq(r.n, 0);
  issim_regions_free(&r);
  issim_loss_free(g);
  issim_model_free(p);
}
END_TEST

/* ---- the region check from the draws ---- */

/* The tally attributes each hit to its nearest design point in the standard
 * space and sums its weight there in log space: points placed by hand, with
 * weights known, under the regions of x1 x2 > 9 ((3, 3) and (-3, -3)). */
START_TEST(test_tally_attributes_hits)
{
  issim_scenario *s = scenario_parse_ok(PRODUCT, "product.ini");
  issim_regions r;
  find(s, &r);
  size_t near = r.x[0] > 0 ? 0 : 1, far = 1 - near;
  issim_region_tally *t = issim_region_tally_alloc(&r), *u = issim_region_tally_alloc(&r);
  ck_assert(t && u);
  /* (4, 3), (3.2, 3.1) and (0.5, 18.5) are (3, 3)'s, (-3, -5) the other's;
   * (1, -1) is a miss, and (5, 5) has an undefined weight */
  const double x[] = {4, 3, 3.2, 3.1, -3, -5, 1, -1, 0.5, 18.5, 5, 5};
  const double lp[] = {-700, -701, -702, 0, -703, 0};
  const double lq[] = {0, 0, 0, 0, 0, NAN};
  const double hit[] = {1, 1, 1, 0, 1, 1};
  issim_region_tally_add(t, 6, x, lp, lq, hit);
  ck_assert_uint_eq(t->sum[near].hits, 3); /* (4, 3), (3.2, 3.1), (0.5, 18.5) */
  ck_assert_uint_eq(t->sum[far].hits, 1);
  ck_assert_uint_eq(t->sum[2].hits, 0);    /* every hit of a convex event is inside */
  assert_close(t->sum[near].m + log(t->sum[near].s),
               -700 + log(1 + exp(-1.0) + exp(-3.0)), 1e-12);
  assert_close(t->sum[far].m + log(t->sum[far].s), -702, 1e-12);
  /* the same draws in two halves, merged, give the same tally */
  issim_region_tally_add(u, 3, x, lp, lq, hit);
  issim_region_tally *v = issim_region_tally_alloc(&r);
  issim_region_tally_add(v, 3, x + 6, lp + 3, lq + 3, hit + 3);
  issim_region_tally_merge(u, v);
  for (size_t i = 0; i < 3; i++) {
    ck_assert_uint_eq(u->sum[i].hits, t->sum[i].hits);
    if (t->sum[i].hits)
      assert_close(u->sum[i].m + log(u->sum[i].s), t->sum[i].m + log(t->sum[i].s), 1e-12);
  }
  /* the check: shares of the estimate, far's 1 / (1 + e^2 + e^1 + e^-1) */
  issim_region_check c;
  issim_regions_check(&r, NULL, &c);
  issim_regions_check_draws(t, &c);
  ck_assert(c.drawn);
  ck_assert_uint_eq(c.hits_total, 4);
  size_t kf = c.index[0] == far ? 0 : 1;
  assert_close(c.estimate_share[kf], 1 / (1 + exp(2.0) + exp(1.0) + exp(-1.0)), 1e-12);
  assert_close(c.estimate_share[0] + c.estimate_share[1], 1, 1e-12);
  issim_region_tally_free(t);
  issim_region_tally_free(u);
  issim_region_tally_free(v);
  issim_regions_free(&r);
  issim_scenario_free(s);
}
END_TEST

/* put() for issim_region_levels_pack: appends to a buffer */
typedef struct {
  unsigned char data[4096];
  size_t len;
} packed;

static void put_packed(void *ctx, const void *p, size_t n)
{
  packed *b = ctx;
  ck_assert(b->len + n <= sizeof b->data);
  memcpy(b->data + b->len, p, n);
  b->len += n;
}

/* Two tallies' sums are the same to the last bit. */
static void assert_same_sums(const issim_region_tally *a, const issim_region_tally *b)
{
  ck_assert_uint_eq(a->n, b->n);
  for (size_t i = 0; i < a->n; i++)
    ck_assert_msg(a->sum[i].hits == b->sum[i].hits &&
                  (a->sum[i].hits == 0 || (a->sum[i].m == b->sum[i].m &&
                                           a->sum[i].s == b->sum[i].s)),
                  "region %zu: %llu against %llu hits", i,
                  (unsigned long long)a->sum[i].hits, (unsigned long long)b->sum[i].hits);
}

/* Each threshold's tally is a plain tally of the hits beyond that threshold
 * (the same points as above, g = x1 x2: 12, 9.92, 15, -1, 9.25, 25); a
 * threshold without regions has none; halves merged and a pack and unpack
 * give the same sums. */
START_TEST(test_levels_tally_each_threshold)
{
  issim_scenario *s = scenario_parse_ok(PRODUCT, "product.ini");
  issim_regions r;
  find(s, &r);
  size_t near = r.x[0] > 0 ? 0 : 1, far = 1 - near;
  const double x[] = {4, 3, 3.2, 3.1, -3, -5, 1, -1, 0.5, 18.5, 5, 5};
  const double lp[] = {-700, -701, -702, 0, -703, 0};
  const double lq[] = {0, 0, 0, 0, 0, NAN};
  const double g[] = {12, 9.92, 15, -1, 9.25, 25};
  const double t[] = {9, 20, 12};
  const issim_regions *rg[] = {&r, NULL, &r};
  issim_region_levels *l = issim_region_levels_alloc(3, t, 1, rg);
  issim_region_levels *h = issim_region_levels_alloc_like(l);
  issim_region_levels *h2 = issim_region_levels_alloc_like(l);
  issim_region_levels *back = issim_region_levels_alloc_like(l);
  ck_assert(l && h && h2 && back && l->tally[1] == NULL && h->tally[1] == NULL);
  issim_region_levels_add(l, 6, x, lp, lq, g);
  for (size_t j = 0; j < 3; j += 2) { /* a plain tally of the hits beyond t_j */
    double hit[6];
    issim_event_mark_hits_at(6, g, t[j], 1, hit);
    issim_region_tally *p = issim_region_tally_alloc(&r);
    issim_region_tally_add(p, 6, x, lp, lq, hit);
    assert_same_sums(l->tally[j], p);
    issim_region_tally_free(p);
  }
  ck_assert_uint_eq(l->tally[0]->sum[near].hits, 3);
  ck_assert_uint_eq(l->tally[2]->sum[near].hits, 0); /* (4, 3) is at 12, not beyond */
  ck_assert_uint_eq(l->tally[2]->sum[far].hits, 1);  /* (-3, -5) */
  issim_region_levels_add(h, 3, x, lp, lq, g);
  issim_region_levels_add(h2, 3, x + 6, lp + 3, lq + 3, g + 3);
  issim_region_levels_merge(h, h2);
  packed b = {.len = 0};
  issim_region_levels_pack(h, put_packed, &b);
  ck_assert_uint_eq(b.len, 2 * 3 * sizeof(issim_region_sum));
  ck_assert_ptr_eq(issim_region_levels_unpack(back, b.data), b.data + b.len);
  for (size_t j = 0; j < 3; j += 2) {
    ck_assert_uint_eq(h->tally[j]->sum[near].hits, l->tally[j]->sum[near].hits);
    assert_same_sums(back->tally[j], h->tally[j]);
  }
  issim_region_levels_reset(back);
  ck_assert_uint_eq(back->tally[0]->sum[near].hits, 0);
  issim_region_levels_free(l);
  issim_region_levels_free(h);
  issim_region_levels_free(h2);
  issim_region_levels_free(back);
  ck_assert_ptr_null(issim_region_levels_alloc(0, t, 1, rg));
  issim_regions_free(&r);
  issim_scenario_free(s);
}
END_TEST

/* A hit beyond none of the tangent planes (the parabola x2 < x1^2/2 - 5
 * curves round the origin: (0.3, -5.1) is in the event, below both
 * tangents at (+-2.83, -1)... and in the saddle (0, -5)'s) is counted
 * apart, and still goes to its nearest region. */
START_TEST(test_tally_hits_in_no_half_space)
{
  issim_scenario *s = scenario_parse_ok(
      "[target]\ndistribution = independent\ndimension = 2\ncomponent = normal\n"
      "[event]\nloss = expression\nexpression = x2 - x1^2/2\nthreshold = -5\ndirection = <\n"
      "[proposal crude]\ndistribution = target\n", "parabola.ini");
  issim_regions r;
  find(s, &r);
  ck_assert_uint_eq(r.n, 3); /* (+-2.83, -1), beta 3, and the saddle (0, -5) */
  issim_region_tally *t = issim_region_tally_alloc(&r);
  /* (4, 2.5): in the event (2.5 < 8 - 5), beyond no tangent plane of the
   * three (the plane at (2.83, -1) has normal (2.83, -1)/3: 11.3 - 2.5 = 8.8
   * < 9) and nearest (2.83, -1) */
  const double x[] = {4, 2.5}, lp[] = {-1}, lq[] = {0}, hit[] = {1};
  issim_region_tally_add(t, 1, x, lp, lq, hit);
  size_t right = r.x[0] > 0 && r.beta[0] < 4 ? 0 : r.x[2] > 0 && r.beta[1] < 4 ? 1 : 2;
  ck_assert_uint_eq(t->sum[right].hits, 1);
  ck_assert_uint_eq(t->sum[r.n].hits, 1);
  issim_region_tally_free(t);
  issim_regions_free(&r);
  issim_scenario_free(s);
}
END_TEST

/* The rule on a check filled by hand: region 1 (share 0.5) with h hits of H
 * = 1000, i.e. E = 500 and a floor of 50 hits for a proposal that does not
 * neglect it. */
START_TEST(test_draws_rule)
{
  issim_region_check c = {.n_regions = 2, .n_checked = 2, .drawn = 1, .hits_total = 1000,
                          .share = {0.5, 0.5}, .hits = {1000, 0},
                          .estimate_share = {1, 0}};
  double share;
  size_t worst = 99;
  ck_assert_int_eq(issim_region_check_seen(&c, 1), ISSIM_REGION_NOT_SEEN);
  ck_assert_uint_eq(issim_region_check_unseen(&c, 1, &share, &worst), 1);
  ck_assert_uint_eq(worst, 1);
  assert_close(share, 0.5, 0);
  /* a few hits that carry the region's share: they rest on a handful */
  c.hits[1] = 5, c.estimate_share[1] = 0.4, c.estimate_share[0] = 0.6;
  ck_assert_int_eq(issim_region_check_seen(&c, 1), ISSIM_REGION_FEW_HITS);
  ck_assert_uint_eq(issim_region_check_unseen(&c, 1, &share, &worst), 0);
  ck_assert_uint_eq(issim_region_check_unseen(&c, 0, &share, &worst), 1);
  /* a few that carry almost nothing: not seen */
  c.estimate_share[1] = 0.01;
  ck_assert_int_eq(issim_region_check_seen(&c, 1), ISSIM_REGION_NOT_SEEN);
  /* ten hits or more: seen, whatever their share (a region lighter than
   * first order says) */
  c.hits[1] = 10;
  ck_assert_int_eq(issim_region_check_seen(&c, 1), ISSIM_REGION_SEEN);
  /* too few hits in all to tell: E = 60, floor 6, P(Poisson(6) = 0) =
   * 2.5e-3 is no evidence; E = 80, floor 8, 3.4e-4 is */
  c.hits[1] = 0, c.estimate_share[1] = 0;
  c.hits_total = 120;
  ck_assert_int_eq(issim_region_check_seen(&c, 1), ISSIM_REGION_SEEN);
  c.hits_total = 160;
  ck_assert_int_eq(issim_region_check_seen(&c, 1), ISSIM_REGION_NOT_SEEN);
  /* before the draws: nothing said */
  c.drawn = 0;
  ck_assert_int_eq(issim_region_check_seen(&c, 1), ISSIM_REGION_SEEN);
}
END_TEST

/* The events with a proposal the analytic check cannot judge (an
 * independent logistic on one region: its probability of a half-space has no
 * closed form here), at several seeds: unreliable from the draws, naming the
 * missed region, where main said trustworthy tens of SE off; the mixture of
 * the design points stays trustworthy and within 4 SE. */
typedef struct {
  const char *name, *text, *missed; /* the missed region's place in the reason */
  double exact;
} multi_region_case;

/* P(X2 < X1^2/2 - 10) = int phi(x) Phi(x^2/2 - 10) dx; P(e^X1 + e^X2 + e^X3
 * > 150) = int int phi phi Q(log(150 - e^x2 - e^x3)) (mpmath, 20 digits) */
static const multi_region_case CASES[] = {
  {"product", "[event]\nloss = expression\nexpression = x1*x2\nthreshold = 9\n"
   "[proposal one]\ndistribution = independent\ncomponent = logistic\nlocation = 3\n"
   "scale = 0.6\n", "(-3, -3)", PRODUCT_EXACT},
  {"parabola", "[event]\nloss = expression\nexpression = x2 - x1^2/2\nthreshold = -10\n"
   "direction = <\n[proposal one]\ndistribution = independent\ncomponent = logistic\n"
   "location = 4.24 -1\nscale = 0.4\n", "(-4.243, -1)", 1.34516903676220777941e-5},
  {"union", "[event]\nloss = max\nthreshold = 4\n"
   "[proposal one]\ndistribution = independent\ncomponent = logistic\nlocation = 4 0\n"
   "scale = 0.35\n", "(0, 4)", NAN},
  {"lognormals", "[event]\nloss = expression\nexpression = exp(x1) + exp(x2) + exp(x3)\n"
   "threshold = 150\n[proposal one]\ndistribution = independent\ncomponent = logistic\n"
   "location = 5 0 0\nscale = 0.6\n", "and 1 more such regions: 67%", 9.2121389017439404817e-7},
};

static issim_scenario *multi_region_scenario(const multi_region_case *m)
{
  char text[1024];
  snprintf(text, sizeof text,
           "[target]\ndistribution = independent\ndimension = %d\ncomponent = normal\n%s"
           "[proposal both]\ndistribution = shifted-target\nshift = design-points\n",
           strcmp(m->name, "lognormals") == 0 ? 3 : 2, m->text);
  return scenario_parse_ok(text, "multi.ini");
}

START_TEST(test_draws_catch_what_the_analytic_check_cannot)
{
  const multi_region_case *m = &CASES[_i];
  issim_scenario *s = multi_region_scenario(m);
  double exact = isnan(m->exact) ? -expm1(2 * log(gsl_cdf_ugaussian_P(4))) : m->exact;
  for (uint64_t seed = 1; seed <= 3; seed++) {
    issim_error err;
    issim_result one, both;
    issim_run_config cfg = run_config_of(s, "one", 20000, seed, 2);
    ck_assert_int_eq(issim_analyse(s, issim_scenario_proposal(s, "one"), &cfg, 0, &one, &err),
                     ISSIM_OK);
    ck_assert(isnan(one.regions.log_q[0])); /* no analytic judgement */
    ck_assert_msg(one.verdict.level == ISSIM_UNRELIABLE, "%s seed %d: %s", m->name, (int)seed,
                  one.verdict.reasons[0]);
    ck_assert_msg(strstr(one.verdict.reasons[0], "from the draws") &&
                      strstr(one.verdict.reasons[0], m->missed),
                  "%s: %s", m->name, one.verdict.reasons[0]);
    /* and the estimate is wrong, far beyond its error bar */
    ck_assert(fabs(one.estimate.estimate - exact) > 10 * one.estimate.std_error);
    cfg = run_config_of(s, "both", 20000, seed, 2);
    ck_assert_int_eq(issim_analyse(s, issim_scenario_proposal(s, "both"), &cfg, 0, &both, &err),
                     ISSIM_OK);
    ck_assert_msg(both.verdict.level == ISSIM_TRUSTWORTHY, "%s: %s", m->name,
                  both.verdict.reasons[0]);
    ck_assert(both.regions.drawn && both.regions.hits_total == both.estimate.hits);
    ck_assert_within_4se(both.estimate.estimate, exact, both.estimate.std_error);
    issim_result_clear(&one);
    issim_result_clear(&both);
  }
  issim_scenario_free(s);
}
END_TEST

/* The tally is the same to the last bit whatever the number of threads. */
START_TEST(test_tally_thread_independent)
{
  issim_scenario *s = multi_region_scenario(&CASES[3]);
  issim_result r[2];
  for (int k = 0; k < 2; k++) {
    issim_error err;
    issim_run_config cfg = run_config_of(s, "both", 300000, 5, k ? 3 : 1);
    ck_assert_int_eq(issim_analyse(s, issim_scenario_proposal(s, "both"), &cfg, 0, &r[k], &err),
                     ISSIM_OK);
  }
  ck_assert_uint_eq(r[0].regions.n_checked, 3);
  for (size_t k = 0; k < r[0].regions.n_checked; k++) {
    ck_assert_uint_eq(r[0].regions.hits[k], r[1].regions.hits[k]);
    ck_assert(r[0].regions.hits[k] > 1000);
    ck_assert(memcmp(&r[0].regions.estimate_share[k], &r[1].regions.estimate_share[k],
                     sizeof(double)) == 0);
  }
  ck_assert(memcmp(&r[0].regions.outside_share, &r[1].regions.outside_share, sizeof(double)) == 0);
  issim_scenario_free(s);
}
END_TEST

/* RP57 and RP35 of the Rozsas and Beck set (check_design.c): with all three
 * regions found, the mixture of the design points is right within 4 SE of
 * the quadrature values (mpmath, 30 digits: for each x1, the event's x2 is a
 * union of intervals; the benchmark's own values, 0.0284 and 0.00354, are
 * Monte Carlo ones).  With the regions the search missed before, RP57's was
 * 12 SE low on average (unreliable by k-hat), RP35's unreliable by k-hat. */
START_TEST(test_rp57_rp35_mixtures)
{
  static const char *const events[] = {
      "expression = min(max(-x1^2 + x2^3 + 3, 2 - x1 - 8*x2), (x1 + 3)^2 + (x2 + 3)^2 - 4)\n",
      "expression = min(2 - x2 + exp(-0.1*x1^2) + (0.2*x1)^4, 4.5 - x1*x2)\n"};
  static const double exact[] = {0.0282375065842945171027, 0.0034789463209310872283};
  for (size_t k = 0; k < 2; k++) {
    char text[512];
    snprintf(text, sizeof text,
             "[target]\ndistribution = independent\ndimension = 2\ncomponent = normal\n"
             "[event]\nloss = expression\n%sthreshold = 0\ndirection = <\n"
             "[proposal both]\ndistribution = shifted-target\nshift = design-points\n",
             events[k]);
    issim_scenario *s = scenario_parse_ok(text, "rp.ini");
    for (uint64_t seed = 1; seed <= 3; seed++) {
      issim_error err;
      issim_result r;
      issim_run_config cfg = run_config_of(s, "both", 20000, seed, 2);
      ck_assert_int_eq(issim_analyse(s, &s->proposals[0], &cfg, 0, &r, &err), ISSIM_OK);
      ck_assert_uint_eq(r.regions.n_regions, 3);
      ck_assert_msg(r.verdict.level != ISSIM_UNRELIABLE, "%s", r.verdict.reasons[0]);
      ck_assert_within_4se(r.estimate.estimate, exact[k], r.estimate.std_error);
      issim_result_clear(&r);
    }
    issim_scenario_free(s);
  }
}
END_TEST

static Suite *regions_suite(void)
{
  Suite *s = suite_create("regions");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_two_regions_of_a_product);
  tcase_add_test(tc, test_the_check_finds_the_neglected_region);
  tcase_add_test(tc, test_product_verdicts_at_several_seeds);
  tcase_add_test(tc, test_union_of_half_spaces);
  tcase_add_test(tc, test_no_regions_to_check);
  tcase_add_test(tc, test_tally_attributes_hits);
  tcase_add_test(tc, test_tally_hits_in_no_half_space);
  tcase_add_test(tc, test_levels_tally_each_threshold);
  tcase_add_test(tc, test_draws_rule);
  tcase_add_loop_test(tc, test_draws_catch_what_the_analytic_check_cannot, 0,
                      (int)(sizeof CASES / sizeof CASES[0]));
  tcase_add_test(tc, test_tally_thread_independent);
  tcase_add_test(tc, test_rp57_rp35_mixtures);
  tcase_add_test(tc, test_a_failing_model_is_not_checked_and_says_so);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  return run_suite(regions_suite());
}
