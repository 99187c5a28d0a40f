/* installcheck.c: a program that uses the installed library as a user's
 * would, built by `make installcheck` (tests/installcheck.sh) with nothing but
 * pkg-config's flags, linked once against the shared library and once
 * statically.  It runs the 5-sigma scenario through the workflow API and
 * checks the shifted proposal's estimate against the exact P(Z > 5):
 * within 4 standard errors, and called trustworthy.
 *   installcheck SCENARIO   (scenarios/gaussian-5sigma.ini) */
#include <issim.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
  if (argc != 2) {
    fprintf(stderr, "usage: installcheck SCENARIO\n");
    return 2;
  }
  issim_error err;
  issim_scenario *s = issim_scenario_read(argv[1], &err);
  if (s == NULL) {
    fprintf(stderr, "%s\n", err.message);
    return 1;
  }
  s->samples = 100000;
  issim_workflow_settings set = {.threads = 2, .only = "shifted"};
  issim_workflow *wf = issim_workflow_alloc(s, &set);
  issim_result results[8];
  size_t n = 0;
  int status = 1;
  if (wf == NULL || s->n_proposals > 8 ||
      issim_workflow_run(wf, 0, results, &n, &err) != ISSIM_OK) {
    fprintf(stderr, "the run failed: %s\n", wf ? err.message : "out of memory");
  } else if (n == 1) {
    const issim_estimate *e = &results[0].estimate;
    double exact = exp(issim_scenario_exact_log(s));
    double z = (e->estimate - exact) / e->std_error;
    const char *verdict = issim_verdict_name(results[0].verdict.level);
    printf("P(Z > 5) = %.6g +- %.3g (exact %.6g, z = %+.2f), %s\n", e->estimate, e->std_error, exact, z, verdict);
    status = fabs(z) <= 4 && e->std_error > 0 && strcmp(verdict, "trustworthy") == 0 ? 0 : 1;
  }
  for (size_t i = 0; i < n; i++)
    issim_result_clear(&results[i]);
  issim_workflow_free(wf);
  issim_scenario_free(s);
  return status;
}
