/* model_moments.c: the mean and covariance of a model (model.h's
 * issim_model_moments): closed forms for every kind, a mixture's from its
 * parts'.  Part of the model module, apart only to keep model.c readable. */
#include "model.h"
#include "model_impl.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int moments_mixture(const issim_model *m, double *mean, double *cov)
{
  const size_t d = m->d;
  double *mk = malloc(d * sizeof *mk), *ck = cov ? malloc(d * d * sizeof *ck) : NULL;
  if (mk == NULL || (cov && ck == NULL)) {
    free(mk);
    free(ck);
    return ISSIM_ENOMEM;
  }
  for (size_t j = 0; j < d; j++)
    mean[j] = 0;
  for (size_t j = 0; cov && j < d * d; j++)
    cov[j] = 0;
  int status = ISSIM_OK;
  /* cov = sum_c w_c (C_c + mu_c mu_c^T) - mu mu^T */
  for (size_t c = 0; c < m->k && status == ISSIM_OK; c++) {
    const double w = m->weights[c];
    if (w == 0)
      continue;
    status = issim_model_moments(m->parts[c], mk, ck);
    for (size_t i = 0; status == ISSIM_OK && i < d; i++) {
      mean[i] += w * mk[i];
      for (size_t j = 0; cov && j < d; j++)
        cov[i * d + j] += w * (ck[i * d + j] + mk[i] * mk[j]);
    }
  }
  for (size_t i = 0; status == ISSIM_OK && cov && i < d; i++)
    for (size_t j = 0; j < d; j++)
      cov[i * d + j] -= mean[i] * mean[j];
  free(mk);
  free(ck);
  return status;
}

/* The mean alone (cov == NULL) is returned wherever it exists: a student-t
 * with 1 < df <= 2 has a mean but no covariance. */
int issim_model_moments(const issim_model *m, double *mean, double *cov)
{
  const size_t d = m->d;
  switch (m->kind) {
  case ISSIM_MODEL_INDEPENDENT:
    for (size_t j = 0; j < d; j++) {
      mean[j] = issim_dist_mean(m->dists[j]);
      if (!isfinite(mean[j]))
        return ISSIM_EINVAL;
    }
    if (cov) {
      for (size_t j = 0; j < d * d; j++)
        cov[j] = 0;
      for (size_t j = 0; j < d; j++) {
        cov[j * d + j] = issim_dist_variance(m->dists[j]);
        if (!isfinite(cov[j * d + j]))
          return ISSIM_EINVAL;
      }
    }
    return ISSIM_OK;
  case ISSIM_MODEL_NORMAL:
    memcpy(mean, m->loc, d * sizeof *mean);
    if (cov)
      memcpy(cov, m->matrix, d * d * sizeof *cov);
    return ISSIM_OK;
  case ISSIM_MODEL_STUDENT_T:
    if (!(m->df > 1) || (cov && !(m->df > 2)))
      return ISSIM_EINVAL;
    memcpy(mean, m->loc, d * sizeof *mean);
    if (cov) {
      const double f = m->df / (m->df - 2);
      for (size_t j = 0; j < d * d; j++)
        cov[j] = f * m->matrix[j];
    }
    return ISSIM_OK;
  case ISSIM_MODEL_COPULA:
    return issim_copula_moments(m, mean, cov);
  case ISSIM_MODEL_MIXTURE:
    return moments_mixture(m, mean, cov);
  case ISSIM_MODEL_TRANSFORMED: /* not worked out */
    break;
  case ISSIM_MODEL_CREDIT:
    return ISSIM_EINVAL;
  }
  return ISSIM_EINVAL;
}
