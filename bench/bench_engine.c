/* bench_engine: how fast issim draws, with every diagnostic on.
 *
 * For each benchmark scenario: weighted draws per second on one thread (as
 * `issim run` computes it: every diagnostic of the report; and with what
 * `--plot` records besides: the convergence trace and the log-weight
 * histogram) and on all cores, the time to reach 1% relative error, the same
 * budget spent on crude Monte Carlo, and the process's peak memory.  For the
 * 1-D case a bare C loop over GSL's generator (reference.c) runs in turn with
 * issim's one-thread runs, so that a figure can be read against what the
 * machine gives at that moment.  Every figure is the median of repeated runs.  Writes a Markdown table to stdout and, with --out, to a
 * file (bench/RESULTS.md under `make bench`).  With --examples, the
 * 10-asset portfolio's loss as the user's own model too: the example plugin
 * (examples/limit.so) and the example program (examples/limit-command),
 * against the built-in linear loss.
 *
 *   bench_engine --scenarios DIR [--examples DIR] [--repeats R] [--draws N] [--out FILE]
 */
#define _POSIX_C_SOURCE 200809L

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <time.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_version.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "issim.h"
#include "reference.h"

typedef struct {
  const char *file;     /* under the scenarios directory */
  const char *proposal; /* the good proposal */
  const char *crude;    /* the plain Monte Carlo proposal, or NULL */
  const char *label;
  int reference;        /* run the bare loop (reference.c) alongside: it is this case */
  unsigned fewer;       /* its runs draw 2^fewer times fewer points (a slow draw) */
} bench_case;

static const bench_case cases[] = {
  {"gaussian-5sigma.ini", "shifted", "crude", "1-D normal, P(Z > 5), shifted proposal", 1, 0},
  {"portfolio-normal-10.ini", "design-point", "crude", "10-asset normal portfolio, 5 sigma", 0, 0},
  {"credit-glasserman-li-10factor.ini", "glasserman-li", "crude",
   "1000-obligor credit book, 10 factors, Glasserman-Li", 0, 10},
};

typedef struct {
  double rate1, rate_all;     /* draws per second, median: `issim run` */
  double rate1_plot;          /* one thread, recording what --plot draws too */
  double speedup;             /* median of all threads' rate / one thread's, run by run */
  double reference_rate;      /* the bare loop's, NAN when not run */
  double seconds_to_1pct;     /* median; NAN if not reached */
  uint64_t draws_to_1pct;     /* median */
  double crude_rate;          /* draws per second, median */
  double crude_draws_for_1pct;/* (1-P)/(P e^2), from the exact P or the IS estimate */
} bench_row;

/* A run long enough that k-hat's buffers reach their cap (ISSIM_KHAT_MAX_TAIL,
 * at 4.8e8 draws), recording the trace and histogram too, in a process of its
 * own: its peak memory is that of a run of any length. */
#define LONG_RUN 500000000u

typedef struct {
  double rate;     /* draws per second, NAN when it failed */
  double peak_mib; /* the child process's peak resident memory */
} long_run;

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

/* One full analysis (estimate, k-hat, verdict, information, the log-weight
 * histogram); returns seconds. */
static double timed_run(const issim_scenario *s, const issim_proposal *p, uint64_t draws,
                        int threads, uint64_t seed, const issim_stop_rules *stop, int record,
                        issim_result *r)
{
  issim_run_config cfg = {.samples = draws, .seed = seed, .stream = issim_rng_stream_id(p->name),
                          .rng = s->rng, .threads = threads, .stop = stop};
  issim_error err;
  double t0 = now();
  if (issim_analyse(s, p, &cfg, record, r, &err) != ISSIM_OK) {
    fprintf(stderr, "bench_engine: %s\n", err.message);
    exit(1);
  }
  double seconds = now() - t0;
  issim_result_clear(r);
  return seconds;
}

static double median_rate(const issim_scenario *s, const issim_proposal *p, uint64_t draws,
                          int threads, int repeats)
{
  double rates[64];
  issim_result r;
  for (int k = 0; k < repeats; k++)
    rates[k] = (double)draws / timed_run(s, p, draws, threads, 1000 + (uint64_t)k, NULL, 0, &r);
  return median(rates, repeats);
}

/* In turn: the bare loop (when asked), issim run on one thread, with
 * --plot's recording, and on all threads; medians of each, so that all see
 * the same moments of a machine shared with other work (the speed-up is a
 * ratio of two of them). */
static void rates_in_turn(const issim_scenario *s, const issim_proposal *p, uint64_t draws,
                          int repeats, int reference, bench_row *row)
{
  double ref[64], run[64], plot[64], all[64], ratio[64];
  issim_result r;
  double sink = 0;
  for (int k = 0; k < repeats; k++) {
    double estimate = 0;
    ref[k] = reference ? issim_reference_rate(draws, 1000 + (unsigned long)k, &estimate) : NAN;
    sink += estimate;
    run[k] = (double)draws / timed_run(s, p, draws, 1, 1000 + (uint64_t)k, NULL, 0, &r);
    plot[k] = (double)draws / timed_run(s, p, draws, 1, 1000 + (uint64_t)k, NULL,
                                        ISSIM_RECORD_TRACE | ISSIM_RECORD_HIST, &r);
    /* untimed, first: cores left idle by the one-thread runs come back slowly
     * on a virtual machine (measured here: a 2-thread run straight after a
     * 1-thread one took 106-128 ms where 2-thread runs in a row took 100) */
    timed_run(s, p, draws / 8, all_threads(), 1000 + (uint64_t)k, NULL, 0, &r);
    all[k] = (double)draws / timed_run(s, p, draws, all_threads(), 1000 + (uint64_t)k, NULL, 0, &r);
    ratio[k] = all[k] / run[k];
  }
  if (reference && !(sink > 0))
    fprintf(stderr, "bench_engine: the reference loop's estimate is %g\n", sink);
  row->reference_rate = reference ? median(ref, repeats) : NAN;
  row->rate1 = median(run, repeats);
  row->rate1_plot = median(plot, repeats);
  row->rate_all = median(all, repeats);
  row->speedup = median(ratio, repeats);
}

static void bench_scenario(const issim_scenario *s, const bench_case *c, uint64_t draws,
                           int repeats, bench_row *row)
{
  const issim_proposal *p = issim_scenario_proposal(s, c->proposal);
  const issim_proposal *crude = c->crude ? issim_scenario_proposal(s, c->crude) : NULL;
  rates_in_turn(s, p, draws, repeats, c->reference, row);

  double secs[64], used[64];
  issim_stop_rules to_1pct = {.target_re = 0.01};
  issim_result r;
  for (int k = 0; k < repeats; k++) {
    secs[k] = timed_run(s, p, (uint64_t)1e10, all_threads(), 2000 + (uint64_t)k, &to_1pct, 0, &r);
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

/* The long run of the first case, in a child process forked before this one
 * has started any thread (a fork after OpenMP has is not safe); the rate comes
 * back through a pipe, the peak memory from the child's resource usage. */
static long_run run_long_in_child(const char *dir)
{
  long_run result = {NAN, NAN};
  int fd[2];
  if (pipe(fd) != 0)
    return result;
  pid_t pid = fork();
  if (pid == 0) {
    close(fd[0]);
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, cases[0].file);
    issim_error err;
    issim_scenario *s = issim_scenario_read(path, &err);
    const issim_proposal *p = s ? issim_scenario_proposal(s, cases[0].proposal) : NULL;
    double rate = NAN;
    if (p) {
      issim_result r;
      rate = LONG_RUN / timed_run(s, p, LONG_RUN, all_threads(), 4000, NULL,
                                  ISSIM_RECORD_TRACE | ISSIM_RECORD_HIST, &r);
    }
    ssize_t written = write(fd[1], &rate, sizeof rate);
    _exit(written == (ssize_t)sizeof rate && !isnan(rate) ? 0 : 1); /* else no peak is claimed */
  }
  close(fd[1]);
  if (pid > 0) {
    double rate;
    if (read(fd[0], &rate, sizeof rate) == (ssize_t)sizeof rate)
      result.rate = rate;
    int status;
    waitpid(pid, &status, 0);
    struct rusage ru;
    getrusage(RUSAGE_CHILDREN, &ru);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
      result.peak_mib = (double)ru.ru_maxrss / 1024.0;
  }
  close(fd[0]);
  return result;
}

/* ---- cost per point against the dimension ----
 *
 * The engine on d-dimensional normal targets (every diagnostic on, one
 * thread): an equicorrelated (0.3) covariance, whose dense Cholesky factor
 * makes L z and the triangular solves O(d^2) a point, against independent
 * components, O(d).  Proposals: the target moved along the diagonal, which
 * shares the target's factor (the design-point proposal's fast path), and for
 * the dense case also a widened one (spread 1.2), which needs the target's
 * solve. */
static const size_t scaling_dims[] = {10, 100, 1000};
#define NSCALING (sizeof scaling_dims / sizeof scaling_dims[0])

typedef struct {
  double shared, widened, independent; /* points per second, median */
} scaling_row;

static issim_model *equicorrelated(size_t d, int dense)
{
  double *mean = calloc(d, sizeof *mean), *cov = malloc(d * d * sizeof *cov);
  issim_error err;
  issim_model *m = NULL;
  if (mean && cov) {
    for (size_t i = 0; i < d; i++)
      for (size_t j = 0; j < d; j++)
        cov[i * d + j] = i == j ? 1 : dense ? 0.3 : 0;
    m = issim_model_alloc_normal(d, mean, cov, &err);
  }
  free(mean), free(cov);
  if (m == NULL) {
    fprintf(stderr, "bench_engine: cannot build the d = %zu target\n", d);
    exit(1);
  }
  return m;
}

static double points_per_second(const issim_model *target, const issim_model *proposal,
                                 issim_loss *loss, double threshold, uint64_t draws,
                                 int repeats)
{
  issim_problem pb = {.target = target, .proposal = proposal, 
                      .event = {.loss = loss, .threshold = threshold, .direction = ISSIM_ABOVE}};
  double rates[64];
  for (int k = 0; k < repeats; k++) {
    issim_run_config cfg = {.samples = draws, .seed = 3000 + (uint64_t)k, .stream = 1,
                            .rng = gsl_rng_taus2, .threads = 1};
    issim_run_output out = {.tail = issim_khat_topk_alloc(issim_khat_capacity(draws))};
    issim_hist hist;
    out.hist = &hist;
    issim_error err;
    double t0 = now();
    if (out.tail == NULL || issim_engine_run(&pb, &cfg, &out, &err) != ISSIM_OK) {
      fprintf(stderr, "bench_engine: the d-dimensional run failed\n");
      exit(1);
    }
    rates[k] = (double)draws / (now() - t0);
    issim_khat_topk_free(out.tail);
  }
  return median(rates, repeats);
}

static void bench_scaling(int repeats, scaling_row *rows)
{
  for (size_t t = 0; t < NSCALING; t++) {
    const size_t d = scaling_dims[t];
    /* about a second a run at the rates of the issue: 2e7 / d^2 + 2e6 / d */
    const uint64_t draws = (uint64_t)(2e7 / ((double)d * (double)d) + 2e6 / (double)d) + 64;
    double *w = malloc(d * sizeof *w), *loc = malloc(d * sizeof *loc);
    issim_error err;
    for (size_t j = 0; j < d; j++)
      w[j] = 1, loc[j] = 4 / sqrt((double)d);
    issim_loss *loss = issim_loss_alloc_linear(d, w, &err);
    for (int dense = 1; dense >= 0; dense--) {
      issim_model *target = equicorrelated(d, dense);
      issim_model *moved = issim_model_alloc_moved(target, loc, 1, &err);
      issim_model *wide = issim_model_alloc_moved(target, loc, 1.2, &err);
      if (!loss || !moved || !wide) {
        fprintf(stderr, "bench_engine: cannot build the d = %zu proposals\n", d);
        exit(1);
      }
      double threshold = 4 * sqrt((double)d); /* the loss's mean under the proposals */
      if (dense) {
        rows[t].shared = points_per_second(target, moved, loss, threshold, draws, repeats);
        rows[t].widened = points_per_second(target, wide, loss, threshold, draws, repeats);
      } else {
        rows[t].independent = points_per_second(target, moved, loss, threshold, draws, repeats);
      }
      issim_model_free(target), issim_model_free(moved), issim_model_free(wide);
    }
    issim_loss_free(loss);
    free(w), free(loc);
  }
}

static void write_scaling(FILE *out, const scaling_row *rows)
{
  fprintf(out, "\nCost per point against the dimension: thousands of points per second on one "
               "thread, normal targets, every diagnostic on (bench_scaling in "
               "bench/bench_engine.c).  Dense: equicorrelated 0.3, O(d^2) a point; diagonal: "
               "O(d).\n\n");
  fprintf(out, "| d | dense, mean shift (one L) | dense, widened (L z and a solve) | diagonal "
               "covariance |\n");
  fprintf(out, "| ---: | ---: | ---: | ---: |\n");
  for (size_t t = 0; t < NSCALING; t++)
    fprintf(out, "| %zu | %.3g | %.3g | %.3g |\n", scaling_dims[t], rows[t].shared / 1e3,
            rows[t].widened / 1e3, rows[t].independent / 1e3);
}

/* ---- your own model: the portfolio's loss as a plugin and a program ----
 *
 * portfolio-normal-10.ini with its linear loss (-0.1 on each asset) given
 * instead by the example plugin's limit_linear and by the example program in
 * stream mode, at the threshold the built-in loss's "5 sigma" resolves to;
 * the design-point proposal, found by the search for them.  One thread, in
 * turn with the built-in loss's runs.  The built-in linear loss is drawn with
 * the points (pair.h), which no function of the user's can be: the overhead
 * measured is all that the user's model costs beyond the loss's own sums. */
typedef struct {
  double builtin, plugin, command; /* draws per second, one thread, median */
  uint64_t command_draws;
} model_row;

static issim_scenario *portfolio_with_loss(const char *loss_keys, double threshold)
{
  char text[2048];
  snprintf(text, sizeof text,
           "[target]\ndistribution = multivariate-normal\ndimension = 10\nmean = 0\nsd = 0.01\n"
           "correlation = 0.3\n[event]\n%s\nthreshold = %.17g\n"
           "[proposal design-point]\ndistribution = shifted-target\nshift = design-point\n",
           loss_keys, threshold);
  issim_error err;
  issim_scenario *s = issim_scenario_parse(text, "bench-model.ini", &err);
  if (s == NULL)
    fprintf(stderr, "bench_engine: %s\n", err.message);
  return s;
}

static int bench_user_model(const char *dir, const char *examples, uint64_t draws, int repeats,
                            model_row *row)
{
  char path[4096], keys[2048];
  snprintf(path, sizeof path, "%s/%s", dir, cases[1].file);
  issim_error err;
  issim_scenario *builtin = issim_scenario_read(path, &err), *plugin = NULL, *command = NULL;
  const char *w = "-0.1 -0.1 -0.1 -0.1 -0.1 -0.1 -0.1 -0.1 -0.1 -0.1";
  if (builtin) {
    snprintf(keys, sizeof keys, "loss = plugin\nlibrary = %s/limit.so\nfunction = limit_linear\n"
             "init = limit_init\nfree = limit_free\nparameters = %s", examples, w);
    plugin = portfolio_with_loss(keys, builtin->event.threshold);
    snprintf(keys, sizeof keys, "loss = command\ncommand = %s/limit-command linear %s\n"
             "mode = stream", examples, w);
    command = portfolio_with_loss(keys, builtin->event.threshold);
  }
  int ok = builtin && plugin && command;
  if (ok) {
    const issim_proposal *pb = issim_scenario_proposal(builtin, "design-point");
    const issim_proposal *pp = issim_scenario_proposal(plugin, "design-point");
    const issim_proposal *pc = issim_scenario_proposal(command, "design-point");
    double b[64], p[64], c[64];
    issim_result r;
    row->command_draws = draws / 64;
    for (int k = 0; k < repeats; k++) {
      b[k] = (double)draws / timed_run(builtin, pb, draws, 1, 1000 + (uint64_t)k, NULL, 0, &r);
      p[k] = (double)draws / timed_run(plugin, pp, draws, 1, 1000 + (uint64_t)k, NULL, 0, &r);
      c[k] = (double)row->command_draws /
             timed_run(command, pc, row->command_draws, 1, 1000 + (uint64_t)k, NULL, 0, &r);
    }
    row->builtin = median(b, repeats);
    row->plugin = median(p, repeats);
    row->command = median(c, repeats);
  }
  issim_scenario_free(builtin), issim_scenario_free(plugin), issim_scenario_free(command);
  return ok;
}

static void write_user_model(FILE *out, const model_row *m)
{
  double ns_b = 1e9 / m->builtin, ns_p = 1e9 / m->plugin, ns_c = 1e9 / m->command;
  fprintf(out, "\nYour own model as the loss (bench_user_model): the 10-asset portfolio's "
               "linear loss, design-point proposal, one thread, every diagnostic on; the "
               "built-in loss (drawn with the points), the same loss as the example plugin's "
               "C function (examples/limit.c, limit_linear) and as the example program "
               "(examples/limit-command, mode = stream, on runs of %.3g draws).\n\n",
          (double)m->command_draws);
  fprintf(out, "| loss | M draws/s | ns a draw | over the built-in loss |\n");
  fprintf(out, "| --- | ---: | ---: | ---: |\n");
  fprintf(out, "| built-in `linear` | %.2f | %.1f | |\n", m->builtin / 1e6, ns_b);
  fprintf(out, "| `plugin` | %.2f | %.1f | +%.1f ns a draw (%.2f times) |\n", m->plugin / 1e6,
          ns_p, ns_p - ns_b, ns_p / ns_b);
  fprintf(out, "| `command`, stream | %.3f | %.0f | +%.2g us a draw (%.0f times) |\n",
          m->command / 1e6, ns_c, (ns_c - ns_b) / 1e3, ns_c / ns_b);
  fprintf(out, "\nThe plugin's function is called once per batch of 512 points; its overhead "
               "is the loss computed apart from the draws (the built-in linear loss comes with "
               "them) and one indirect call a batch.  The program's is the text both ways "
               "(10 numbers of 17 digits a point), the pipes, and the program's own parsing: "
               "a model that takes more than a few microseconds a point hides it.\n");
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

/* The 1-minute load average (NAN where /proc/loadavg is not there). */
static double load_average(void)
{
  double load = NAN;
  FILE *f = fopen("/proc/loadavg", "r");
  if (f && fscanf(f, "%lf", &load) != 1)
    load = NAN;
  if (f)
    fclose(f);
  return load;
}

static void write_table(FILE *out, const bench_row *rows, const int *have, int repeats,
                        uint64_t draws, double peak_mib, double load, const scaling_row *scaling,
                        const long_run *lr, const model_row *model)
{
  char m[512];
  machine(m, sizeof m);
  fprintf(out, "# issim benchmark\n\n");
  fprintf(out, "Machine: %s.  Every figure is the median of %d runs.  \"run\" is what `issim run` "
               "computes, every diagnostic of its report (estimate, SEs, self-normalised estimate, "
               "ESS, event ESS, k-hat, KL(p||q), KL(q||p), KL to the zero-variance proposal, "
               "entropies, verdict with the analytic tail check); \"--plot\" adds what `--plot` "
               "records besides (the convergence trace, k-hat at each block end included, and the "
               "log-weight histogram).  The speed-up is the median over the repeats of the "
               "all-thread rate over the one-thread rate of the same repeat.  Draws per second "
               "are measured on runs of %.3g draws, "
               "set-up and the final k-hat fit included.  Load average (1 minute) when the "
               "benchmark ended: %.2f: other work on the machine slows every figure.  Repeat "
               "with `make bench`.\n\n",
          m, repeats, (double)draws, load);
  fprintf(out, "| scenario | M draws/s, 1 thread: run | 1 thread: --plot | all threads: run | "
               "speed-up | time to 1%% RE | draws to 1%% | crude: M draws/s | crude: time to "
               "1%% |\n");
  fprintf(out, "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    if (!have[i])
      continue;
    const bench_row *r = &rows[i];
    double crude_secs = r->crude_draws_for_1pct / r->crude_rate;
    fprintf(out, "| %s | %.3g | %.3g | %.3g | %.2f | %.3g s | %.3g | %.3g | %.3g s (%.2g draws) |\n",
            cases[i].label, r->rate1 / 1e6, r->rate1_plot / 1e6, r->rate_all / 1e6,
            r->speedup, r->seconds_to_1pct, (double)r->draws_to_1pct,
            r->crude_rate / 1e6, crude_secs, r->crude_draws_for_1pct);
  }
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    if (have[i] && cases[i].fewer)
      fprintf(out, "\n%s: its runs draw %.3g points (%u times fewer); a draw costs %.3g "
                   "microseconds on one thread with every diagnostic (%.3g with --plot's "
                   "recording), the factors' shift and the conditional twist included.\n",
              cases[i].label, (double)(draws >> cases[i].fewer), 1u << cases[i].fewer,
              1e6 / rows[i].rate1, 1e6 / rows[i].rate1_plot);
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    if (!have[i] || isnan(rows[i].reference_rate))
      continue;
    const bench_row *r = &rows[i];
    fprintf(out, "\nThe yardstick (bench/reference.c): a bare C loop for the same 1-D problem, "
                 "normals in batches of 4096 from GSL's taus2 and ziggurat, then a vectorised loop "
                 "summing w and w^2, no diagnostic, run in turn with the one-thread runs above: "
                 "%.1f M draws/s (%.2f ns a draw).  issim run takes %.2f times its time a draw "
                 "(%.2f ns), with --plot %.2f times.  The project's 1-D target, 80 M draws/s, "
                 "is 1.44 times the 8.7 ns a draw the issue measured for such a loop.\n",
            r->reference_rate / 1e6, 1e9 / r->reference_rate, r->reference_rate / r->rate1,
            1e9 / r->rate1, r->reference_rate / r->rate1_plot);
  }
  write_scaling(out, scaling);
  if (model)
    write_user_model(out, model);
  fprintf(out, "\nPeak memory: a run of %.2g draws of the first case on all threads, with "
               "--plot's recording, in a process of its own: %.1f MiB resident at most "
               "(%.1f M draws/s).  k-hat's buffers reach their cap (65,536 values) at 4.8e8 "
               "draws, so this is the memory of a run of any length.  The benchmark process "
               "itself, after all the runs above one after the other (the allocator keeps "
               "some of what earlier runs freed): %.1f MiB.\n",
          (double)LONG_RUN, lr->peak_mib, lr->rate / 1e6, peak_mib);
}

int main(int argc, char **argv)
{
  const char *dir = "scenarios", *out_path = NULL, *examples = NULL;
  int repeats = 5;
  uint64_t draws = (uint64_t)1 << 26;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--scenarios") == 0 && i + 1 < argc)
      dir = argv[++i];
    else if (strcmp(argv[i], "--out") == 0 && i + 1 < argc)
      out_path = argv[++i];
    else if (strcmp(argv[i], "--examples") == 0 && i + 1 < argc)
      examples = argv[++i];
    else if (strcmp(argv[i], "--repeats") == 0 && i + 1 < argc)
      repeats = atoi(argv[++i]);
    else if (strcmp(argv[i], "--draws") == 0 && i + 1 < argc)
      draws = (uint64_t)atof(argv[++i]);
    else {
      fprintf(stderr, "usage: bench_engine --scenarios DIR [--examples DIR] [--repeats R] "
                      "[--draws N] [--out FILE]\n");
      return 2;
    }
  }
  if (repeats < 1 || repeats > 64)
    repeats = 5;
  gsl_set_error_handler_off();
  fprintf(stderr, "bench_engine: a long run, in a process of its own ...\n");
  long_run lr = run_long_in_child(dir);

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
    bench_scenario(s, &cases[i], draws >> cases[i].fewer, repeats, &rows[i]);
    have[i] = 1;
    issim_scenario_free(s);
  }
  /* the peak of the scenarios' runs, before the scaling runs' d = 1000
   * matrices (8 MB each) */
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  double peak_mib = (double)ru.ru_maxrss / 1024.0;
  scaling_row scaling[NSCALING];
  fprintf(stderr, "bench_engine: cost against the dimension ...\n");
  bench_scaling(repeats, scaling);
  model_row model;
  int have_model = 0;
  if (examples) {
    fprintf(stderr, "bench_engine: your own model: a plugin and a program ...\n");
    have_model = bench_user_model(dir, examples, draws, repeats, &model);
  }
  const model_row *m = have_model ? &model : NULL;
  double load = load_average();
  write_table(stdout, rows, have, repeats, draws, peak_mib, load, scaling, &lr, m);
  if (out_path) {
    FILE *f = fopen(out_path, "w");
    if (f == NULL) {
      fprintf(stderr, "bench_engine: cannot write %s\n", out_path);
      return 1;
    }
    write_table(f, rows, have, repeats, draws, peak_mib, load, scaling, &lr, m);
    fclose(f);
  }
  return 0;
}
