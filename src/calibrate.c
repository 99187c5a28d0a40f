#include "calibrate.h"

#include <math.h>
#include <stdlib.h>

#include "rng.h"

#define OVER_CONFIDENT_RATIO 2.0
#define MIN_COVERAGE 0.85
#define MIN_REPS_FOR_COVERAGE 50

int issim_calibration_run(const issim_scenario *s, const issim_proposal *p,
                          const issim_run_config *cfg, size_t reps, issim_calibration *c,
                          issim_error *err)
{
  *c = (issim_calibration){.proposal = p, .reps = reps};
  c->log_estimate = malloc(reps * sizeof *c->log_estimate);
  c->relative_error = malloc(reps * sizeof *c->relative_error);
  if (c->log_estimate == NULL || c->relative_error == NULL) {
    issim_calibration_free(c);
    return issim_error_set(err, ISSIM_ENOMEM, "out of memory for %zu replications", reps);
  }
  uint64_t base = issim_rng_stream_id(p->name);
  issim_result res;
  issim_analyse_before(s, p, &res); /* the analytic part is the same for every replication */
  for (size_t r = 0; r < reps; r++) {
    issim_run_config rep = *cfg;
    rep.stream = base + r + 1;
    int rc = issim_analyse_sample(s, p, &rep, 0, &res, err);
    if (rc != ISSIM_OK) {
      issim_calibration_free(c);
      return rc;
    }
    c->log_estimate[r] = res.estimate.log_estimate;
    c->relative_error[r] = res.estimate.relative_error;
    c->zero_hit_reps += res.estimate.hits == 0;
    c->unreliable_reps += res.verdict.level == ISSIM_UNRELIABLE;
    c->seconds += res.seconds;
  }
  return ISSIM_OK;
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

double issim_calibration_pooled_reference(const issim_calibration *c, size_t n, size_t *which)
{
  double best = INFINITY, ref = NAN;
  for (size_t i = 0; i < n; i++) {
    if (c[i].unreliable_reps > 0 || c[i].zero_hit_reps > 0 || c[i].reps == 0)
      continue;
    double mean_re = 0;
    for (size_t r = 0; r < c[i].reps; r++)
      mean_re += c[i].relative_error[r] / (double)c[i].reps;
    if (mean_re < best) {
      best = mean_re;
      ref = log_mean(c[i].log_estimate, c[i].reps);
      *which = i;
    }
  }
  return ref;
}

void issim_calibration_judge(issim_calibration *c, double log_ref)
{
  double sq = 0, re = 0, covered = 0, zs = 0, zs2 = 0;
  size_t with_error = 0;
  for (size_t r = 0; r < c->reps; r++) {
    double ratio = exp(c->log_estimate[r] - log_ref); /* P_r / ref, 0 with no hit */
    sq += (ratio - 1) * (ratio - 1);
    if (isnan(c->relative_error[r]))
      continue; /* no hit: no error bar to judge, counted in zero_hit_reps */
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
  /* a run without a hit claims no precision: such runs are left out of the
   * coverage and the z-scores, and when they are most runs, nothing is judged */
  c->inconclusive = 2 * c->zero_hit_reps > c->reps;
  double bar = fmax(c->mean_reported_re, ISSIM_RELATIVE_PRECISION);
  c->over_confident = !c->inconclusive &&
      (!(c->relative_rmse <= OVER_CONFIDENT_RATIO * bar) ||
       (with_error >= MIN_REPS_FOR_COVERAGE && c->coverage < MIN_COVERAGE));
}

void issim_calibration_free(issim_calibration *c)
{
  free(c->log_estimate);
  free(c->relative_error);
  c->log_estimate = c->relative_error = NULL;
}
