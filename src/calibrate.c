#include "calibrate.h"

#include <math.h>
#include <stdlib.h>

#include "compare.h"
#include "rng.h"

#define OVER_CONFIDENT_RATIO 2.0
#define MIN_COVERAGE 0.85
#define MIN_REPS_FOR_COVERAGE 50

/* One replication's results, as the rank that ran it sends them. */
typedef struct {
  uint64_t index;
  double log_estimate, relative_error, seconds;
  uint64_t zero_hits, unreliable, draws;
} replication;

/* Runs this rank's replications, rank, rank + ranks, ..., into done[0..*n). */
static int run_replications(const issim_scenario *s, const issim_proposal *p,
                            const issim_regions *rg, const issim_run_config *cfg, size_t reps,
                            replication *done, size_t *n, issim_error *err)
{
  size_t rank = (size_t)issim_cluster_rank(cfg->cluster);
  size_t ranks = (size_t)issim_cluster_size(cfg->cluster);
  uint64_t base = issim_rng_stream_id(p->name);
  issim_result res;
  issim_analyse_before(s, p, rg, &res); /* the analytic part is the same for every replication */
  *n = 0;
  for (size_t r = rank; r < reps; r += ranks) {
    issim_run_config rep = *cfg;
    rep.stream = base + r + 1;
    rep.cluster = NULL; /* whole replications are spread over the ranks */
    int rc = issim_analyse_sample(s, p, &rep, 0, &res, err);
    if (rc == ISSIM_ELOSS && err) { /* which replication */
      char why[ISSIM_ERROR_MESSAGE_SIZE];
      snprintf(why, sizeof why, "%s", err->message);
      issim_error_set(err, rc, "replication %zu of %zu: %s", r + 1, reps, why);
    }
    if (rc != ISSIM_OK)
      return rc;
    done[(*n)++] = (replication){
      .index = r, .log_estimate = res.estimate.log_estimate,
      .relative_error = res.estimate.relative_error, .seconds = res.seconds,
      .zero_hits = res.estimate.hits == 0, .unreliable = res.verdict.level == ISSIM_UNRELIABLE,
      .draws = res.calls.draws,
    };
  }
  return ISSIM_OK;
}

/* With several processes (cfg->cluster), each runs whole replications, one in
 * every `ranks`, on its own threads, and all exchange their results: a
 * replication is usually too small to be spread over processes itself.  Each
 * replication is the very run one process would make, so the results are the
 * same; only the time differs. */
int issim_calibration_run(const issim_scenario *s, const issim_proposal *p,
                          const issim_regions *rg, const issim_run_config *cfg, size_t reps,
                          issim_calibration *c, issim_error *err)
{
  *c = (issim_calibration){.proposal = p, .reps = reps,
                           .calls = issim_analyse_calls_before(s, p, rg)};
  size_t ranks = (size_t)issim_cluster_size(cfg->cluster);
  c->log_estimate = malloc(reps * sizeof *c->log_estimate);
  c->relative_error = malloc(reps * sizeof *c->relative_error);
  replication *done = malloc((reps / ranks + 1) * sizeof *done);
  size_t *offsets = malloc((ranks + 1) * sizeof *offsets);
  size_t n = 0;
  int rc = ISSIM_OK;
  if (c->log_estimate == NULL || c->relative_error == NULL || done == NULL || offsets == NULL)
    rc = issim_error_set(err, ISSIM_ENOMEM, "out of memory for %zu replications", reps);
  else
    rc = run_replications(s, p, rg, cfg, reps, done, &n, err);
  /* every rank fails if one does, rather than wait for it */
  replication *all = NULL;
  if (issim_cluster_max(cfg->cluster, rc != ISSIM_OK) == 0) {
    all = issim_cluster_allgather(cfg->cluster, done, n * sizeof *done, offsets);
    if (all == NULL)
      rc = issim_error_set(err, ISSIM_ENOMEM, "out of memory for %zu replications", reps);
  } else if (rc == ISSIM_OK) {
    rc = issim_error_set(err, ISSIM_ENOMEM, "a replication failed in another process");
  }
  for (size_t i = 0; all && i < offsets[ranks] / sizeof *all; i++) {
    const replication *x = &all[i];
    c->log_estimate[x->index] = x->log_estimate;
    c->relative_error[x->index] = x->relative_error;
    c->zero_hit_reps += x->zero_hits;
    c->unreliable_reps += x->unreliable;
    c->seconds += x->seconds;
    c->calls.draws += x->draws;
  }
  free(all);
  free(done);
  free(offsets);
  if (rc != ISSIM_OK)
    issim_calibration_free(c);
  return rc;
}

/* log of the mean of the estimates, from their logs */
static double log_mean(const double *log_v, size_t n)
{
  double m = -INFINITY;
  for (size_t i = 0; i < n; i++)
    m = log_v[i] > m ? log_v[i] : m;
  if (m == -INFINITY)
    return -INFINITY;
  double sum = 0;
  for (size_t i = 0; i < n; i++)
    sum += exp(log_v[i] - m);
  return m + log(sum / (double)n);
}

void issim_calibration_mean(const issim_calibration *c, double *mean, double *se)
{
  size_t n = c->reps;
  *mean = log_mean(c->log_estimate, n);
  *se = NAN;
  if (n < 2 || *mean == -INFINITY)
    return;
  double m2 = 0; /* in units of the mean: (P_r / mean - 1)^2 */
  for (size_t r = 0; r < n; r++) {
    double d = exp(c->log_estimate[r] - *mean) - 1;
    m2 += d * d;
  }
  *se = *mean + 0.5 * log(m2 / ((double)n * (double)(n - 1)));
}

/* The mean of proposal i's replications, in logs, and its standard error
 * relative to it (the reported relative errors' mean over sqrt(reps)). */
static double pooled_mean(const issim_calibration *c, double *relative_se)
{
  double mean_re = 0;
  for (size_t r = 0; r < c->reps; r++)
    mean_re += c->relative_error[r] / (double)c->reps;
  *relative_se = mean_re / sqrt((double)c->reps);
  return log_mean(c->log_estimate, c->reps);
}

static int trusted(const issim_calibration *c)
{
  return c->unreliable_reps == 0 && c->zero_hit_reps == 0 && c->reps > 0;
}

double issim_calibration_pooled_reference(const issim_calibration *c, size_t n, size_t judged,
                                          size_t *which)
{
  issim_reference_candidate *cand = calloc(n ? n : 1, sizeof *cand);
  if (cand == NULL)
    return NAN;
  for (size_t i = 0; i < n; i++) {
    cand[i].trusted = i != judged && trusted(&c[i]);
    if (cand[i].trusted)
      cand[i].log_value = pooled_mean(&c[i], &cand[i].relative_error);
  }
  issim_reference best, second;
  issim_reference_choose(cand, n, NAN, &best);
  double log_ref = best.log_value;
  if (!isnan(log_ref)) { /* the runner-up must agree */
    cand[best.proposal].trusted = 0;
    issim_reference_choose(cand, n, NAN, &second);
    if (!isnan(second.log_value)) {
      double r2 = exp(second.log_value - log_ref);
      double s1 = cand[best.proposal].relative_error, s2 = cand[second.proposal].relative_error * r2;
      if (fabs(r2 - 1) > 4 * sqrt(s1 * s1 + s2 * s2))
        log_ref = NAN;
    }
  }
  free(cand);
  if (!isnan(log_ref))
    *which = best.proposal;
  return log_ref;
}

void issim_calibration_judge_all(issim_calibration *c, size_t n, double exact_log,
                                 double given_log)
{
  for (size_t i = 0; i < n; i++) {
    size_t which = 0;
    c[i].reference_from = NULL;
    if (!isnan(exact_log)) {
      c[i].ref_kind = ISSIM_CALIBRATION_REF_EXACT;
      c[i].log_reference = exact_log;
    } else if (!isnan(given_log)) {
      c[i].ref_kind = ISSIM_CALIBRATION_REF_GIVEN;
      c[i].log_reference = given_log;
    } else {
      c[i].log_reference = issim_calibration_pooled_reference(c, n, i, &which);
      c[i].ref_kind = isnan(c[i].log_reference) ? ISSIM_CALIBRATION_REF_NONE
                                                : ISSIM_CALIBRATION_REF_POOLED;
      if (c[i].ref_kind == ISSIM_CALIBRATION_REF_POOLED)
        c[i].reference_from = c[which].proposal->name;
    }
    if (c[i].ref_kind != ISSIM_CALIBRATION_REF_NONE)
      issim_calibration_judge(&c[i], c[i].log_reference);
  }
}

void issim_calibration_judge(issim_calibration *c, double log_ref)
{
  double sq = 0, re = 0, covered = 0, zs = 0, zs2 = 0;
  size_t with_error = 0;
  for (size_t r = 0; r < c->reps; r++) {
    double ratio = exp(c->log_estimate[r] - log_ref); /* P_r / ref, 0 with no hit */
    sq += (ratio - 1) * (ratio - 1);
    if (!isfinite(c->relative_error[r]))
      continue; /* no hit: no error bar to judge, counted in no_error_bar_reps */
    /* z = (P_r - ref) / SE_r with SE_r = RE_r P_r, the RE floored at rounding */
    double rel = fmax(c->relative_error[r], ISSIM_RELATIVE_PRECISION);
    double z = (ratio - 1) / (rel * ratio);
    covered += fabs(z) <= ISSIM_Z95;
    zs += z;
    zs2 += z * z;
    re += c->relative_error[r];
    with_error++;
  }
  double n = (double)c->reps, m = (double)with_error;
  c->relative_rmse = sqrt(sq / n);
  c->mean_reported_re = m > 0 ? re / m : NAN;
  c->coverage = m > 0 ? covered / m : NAN;
  c->z_mean = m > 0 ? zs / m : NAN;
  c->z_sd = m > 1 ? sqrt(fmax(zs2 / m - c->z_mean * c->z_mean, 0) * m / (m - 1)) : NAN;
  /* a run without an error bar (no hit) claims no precision: such runs are
   * left out of the coverage and the z-scores, and when they are most runs,
   * nothing is judged.  Nor is a coverage below MIN_COVERAGE over fewer than
   * MIN_REPS_FOR_COVERAGE error bars: too few to call the bars
   * over-confident, too low to call them honest.  No verdict rests on a NaN. */
  c->no_error_bar_reps = c->reps - with_error;
  double bar = fmax(c->mean_reported_re, ISSIM_RELATIVE_PRECISION);
  int wide_spread = !(c->relative_rmse <= OVER_CONFIDENT_RATIO * bar);
  int low_coverage = !(c->coverage >= MIN_COVERAGE);
  c->inconclusive = 2 * c->no_error_bar_reps > c->reps || with_error == 0 ||
                    (!wide_spread && low_coverage && with_error < MIN_REPS_FOR_COVERAGE);
  c->over_confident = !c->inconclusive && (wide_spread || low_coverage);
}

void issim_calibration_free(issim_calibration *c)
{
  free(c->log_estimate);
  free(c->relative_error);
  c->log_estimate = c->relative_error = NULL;
}
