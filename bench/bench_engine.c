/* bench_engine: how fast issim draws, with every diagnostic on.
 *
 * For each benchmark scenario: weighted draws per second on one thread and on
 * all cores, the time to reach 1% relative error, the same budget spent on
 * crude Monte Carlo, and the process's peak memory.  Every figure is the median
 * of repeated runs.  Writes a Markdown table to stdout and, with --out, to a
 * file (bench/RESULTS.md under `make bench`).
 *
 *   bench_engine --scenarios DIR [--repeats R] [--draws N] [--out FILE]
 */
#define _POSIX_C_SOURCE 200809L

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_version.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "issim.h"

typedef struct {
  const char *file;     /* under the scenarios directory */
  const char *proposal; /* the good proposal */
  const char *crude;    /* the plain Monte Carlo proposal, or NULL */
  const char *label;
} bench_case;

static const bench_case cases[] = {
  {"gaussian-5sigma.ini", "shifted", "crude", "1-D normal, P(Z > 5), shifted proposal"},
  {"portfolio-normal-10.ini", "design-point", "crude", "10-asset normal portfolio, 5 sigma"},
};

typedef struct {
  double rate1, rate_all;     /* draws per second, median */
  double seconds_to_1pct;     /* median; NAN if not reached */
  uint64_t draws_to_1pct;     /* median */
  double crude_rate;          /* draws per second, median */
  double crude_draws_for_1pct;/* (1-P)/(P e^2), from the exact P or the IS estimate */
} bench_row;

static double now(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double median(double *v, int n)
{
  qsort(v, (size_t)n, sizeof *v, cmp_double);
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static int all_threads(void)
{
#ifdef _OPENMP
  return omp_get_max_threads();
#else
  return 1;
#endif
}

/* One full analysis (estimate, k-hat, verdict, information); returns seconds. */
static double timed_run(const issim_scenario *s, const issim_proposal *p, uint64_t draws,
                        int threads, uint64_t seed, const issim_stop_rules *stop,
                        issim_result *r)
{
  issim_run_config cfg = {.samples = draws, .seed = seed, .stream = issim_rng_stream_id(p->name),
                          .rng = s->rng, .threads = threads, .stop = stop};
  issim_error err;
  double t0 = now();
  if (issim_analyse(s, p, &cfg, 0, r, &err) != ISSIM_OK) {
    fprintf(stderr, "bench_engine: %s\n", err.message);
    exit(1);
  }
  return now() - t0;
}

static double median_rate(const issim_scenario *s, const issim_proposal *p, uint64_t draws,
                          int threads, int repeats)
{
  double rates[64];
  issim_result r;
  for (int k = 0; k < repeats; k++)
    rates[k] = (double)draws / timed_run(s, p, draws, threads, 1000 + (uint64_t)k, NULL, &r);
  return median(rates, repeats);
}

static void bench_scenario(const issim_scenario *s, const bench_case *c, uint64_t draws,
                           int repeats, bench_row *row)
{
  const issim_proposal *p = issim_scenario_proposal(s, c->proposal);
  const issim_proposal *crude = c->crude ? issim_scenario_proposal(s, c->crude) : NULL;
  row->rate1 = median_rate(s, p, draws, 1, repeats);
  row->rate_all = median_rate(s, p, draws, all_threads(), repeats);

  double secs[64], used[64];
  issim_stop_rules to_1pct = {.target_re = 0.01};
  issim_result r;
  for (int k = 0; k < repeats; k++) {
    secs[k] = timed_run(s, p, (uint64_t)1e10, all_threads(), 2000 + (uint64_t)k, &to_1pct, &r);
    used[k] = (double)r.estimate.samples;
  }
  row->seconds_to_1pct = median(secs, repeats);
  row->draws_to_1pct = (uint64_t)median(used, repeats);

  double log_p = issim_scenario_exact_log(s);
  if (isnan(log_p))
    log_p = r.estimate.log_estimate;
  row->crude_draws_for_1pct = -expm1(log_p) / exp(log_p) / 1e-4;
  row->crude_rate = crude ? median_rate(s, crude, draws, all_threads(), repeats) : NAN;
}

static void machine(char *buf, size_t size)
{
  char model[256] = "unknown CPU";
  FILE *f = fopen("/proc/cpuinfo", "r");
  char line[512];
  while (f && fgets(line, sizeof line, f))
    if (strncmp(line, "model name", 10) == 0) {
      char *colon = strchr(line, ':');
      snprintf(model, sizeof model, "%.200s", colon ? colon + 2 : line);
      model[strcspn(model, "\n")] = '\0';
      break;
    }
  if (f)
    fclose(f);
  snprintf(buf, size, "%s, %d threads, GSL %s, gcc %s", model, all_threads(), GSL_VERSION,
           __VERSION__);
}

static void write_table(FILE *out, const bench_row *rows, const int *have, int repeats,
                        uint64_t draws, double peak_mib)
{
  char m[512];
  machine(m, sizeof m);
  fprintf(out, "# issim benchmark\n\n");
  fprintf(out, "Machine: %s.  Every figure is the median of %d runs, with every diagnostic on "
               "(estimate, SEs, ESS, k-hat, KL, verdict).  Draws per second are measured on "
               "runs of %.3g draws.  Repeat with `make bench`.\n\n",
          m, repeats, (double)draws);
  fprintf(out, "| scenario | M draws/s, 1 thread | M draws/s, all threads | speed-up | "
               "time to 1%% RE | draws to 1%% | crude: M draws/s | crude: time to 1%% |\n");
  fprintf(out, "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    if (!have[i])
      continue;
    const bench_row *r = &rows[i];
    double crude_secs = r->crude_draws_for_1pct / r->crude_rate;
    fprintf(out, "| %s | %.1f | %.1f | %.2f | %.3g s | %.3g | %.1f | %.3g s (%.2g draws) |\n",
            cases[i].label, r->rate1 / 1e6, r->rate_all / 1e6, r->rate_all / r->rate1,
            r->seconds_to_1pct, (double)r->draws_to_1pct, r->crude_rate / 1e6, crude_secs,
            r->crude_draws_for_1pct);
  }
  fprintf(out, "\nPeak memory (resident) of the whole benchmark process: %.1f MiB.\n", peak_mib);
}

int main(int argc, char **argv)
{
  const char *dir = "scenarios", *out_path = NULL;
  int repeats = 5;
  uint64_t draws = (uint64_t)1 << 26;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--scenarios") == 0 && i + 1 < argc)
      dir = argv[++i];
    else if (strcmp(argv[i], "--out") == 0 && i + 1 < argc)
      out_path = argv[++i];
    else if (strcmp(argv[i], "--repeats") == 0 && i + 1 < argc)
      repeats = atoi(argv[++i]);
    else if (strcmp(argv[i], "--draws") == 0 && i + 1 < argc)
      draws = (uint64_t)atof(argv[++i]);
    else {
      fprintf(stderr, "usage: bench_engine --scenarios DIR [--repeats R] [--draws N] [--out FILE]\n");
      return 2;
    }
  }
  if (repeats < 1 || repeats > 64)
    repeats = 5;
  gsl_set_error_handler_off();

  bench_row rows[sizeof cases / sizeof cases[0]];
  int have[sizeof cases / sizeof cases[0]] = {0};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, cases[i].file);
    issim_error err;
    issim_scenario *s = issim_scenario_read(path, &err);
    if (s == NULL) {
      fprintf(stderr, "bench_engine: skipping %s (%s)\n", cases[i].file, err.message);
      continue;
    }
    fprintf(stderr, "bench_engine: %s ...\n", cases[i].label);
    bench_scenario(s, &cases[i], draws, repeats, &rows[i]);
    have[i] = 1;
    issim_scenario_free(s);
  }
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  double peak_mib = (double)ru.ru_maxrss / 1024.0;
  write_table(stdout, rows, have, repeats, draws, peak_mib);
  if (out_path) {
    FILE *f = fopen(out_path, "w");
    if (f == NULL) {
      fprintf(stderr, "bench_engine: cannot write %s\n", out_path);
      return 1;
    }
    write_table(f, rows, have, repeats, draws, peak_mib);
    fclose(f);
  }
  return 0;
}
