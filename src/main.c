/* issim: the command line, a thin layer over libissim. */
#define _DEFAULT_SOURCE /* open_memstream, sigaction, isatty; TIOCGWINSZ */

#include <getopt.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_version.h>

#include "config.h"
#include "issim.h"

/* Exit statuses: 2 for anything the user can fix in the input.  EXIT_HELP is
 * no status: --help was shown, and the status is whether it was written. */
enum { EXIT_OK = 0, EXIT_FAILURE_RUN = 1, EXIT_BAD_INPUT = 2, EXIT_INTERRUPTED = 130,
       EXIT_HELP = -1 };

typedef struct {
  const char *scenario_path;
  const char *proposal;
  const char *samples, *seed, *rng, *threads;
  const char *target_re, *max_seconds;
  const char *max_calls;
  const char *rank_by;   /* compare: seconds or calls */
  const char *max_memory;
  const char *plot_dir;
  const char *reps;
  const char *threshold, *quantile, *dump; /* exceedance curves, quantiles, draws */
  /* issim adapt */
  const char *rho, *level_draws, *alpha, *max_levels, *family, *update, *min_spread,
      *components, *save;
  int json, csv;
  int brief;
  int bits;
  int quiet;
} options;

static void usage(FILE *out)
{
  fprintf(out,
          "usage: issim run SCENARIO [options] [--brief]\n"
          "       issim compare SCENARIO [options]\n"
          "       issim calibrate SCENARIO [options] [--reps R]\n"
          "       issim divergence SCENARIO [options] [--bits]\n"
          "       issim adapt SCENARIO [options] [--save FILE]\n"
          "       issim form SCENARIO [--format F]\n"
          "       issim --help | --version\n"
          "\n"
          "commands:\n"
          "  run SCENARIO        estimate P(event) with every proposal of the scenario, with\n"
          "                      its error bar, diagnostics and a verdict\n"
          "  compare SCENARIO    every proposal on the same budget, ranked by verdict and by\n"
          "                      work-normalised efficiency, in one table\n"
          "  calibrate SCENARIO  R independent replications per proposal: are the reported\n"
          "                      error bars honest? (coverage, z-scores, relative RMSE)\n"
          "  divergence SCENARIO entropies and KL divergences of the target and each proposal,\n"
          "                      estimated from draws and, where known, exact\n"
          "  adapt SCENARIO      fit a proposal by the cross-entropy method, level by level,\n"
          "                      then estimate with it (the levels' draws count in the effort)\n"
          "  form SCENARIO       FORM/SORM at every design point (beta, importance factors,\n"
          "                      curvatures, Breitung/Hohenbichler-Rackwitz/Tvedt) and bounds\n"
          "                      on the union; no sampling.  Targets: multivariate normal, t\n"
          "                      (approximate), independent normals, univariate normal or t\n"
          "\n"
          "options (override the scenario's [run] section):\n"
          "  --proposal NAME     run only this proposal\n"
          "  --samples N         draws per proposal (e.g. 1e6); with a stopping rule, the most\n"
          "  --max-samples N     the same as --samples\n"
          "  --target-re E       stop once the relative error is at most E (e.g. 0.01), with\n"
          "                      at least 100 hits and an event ESS of 100\n"
          "  --max-seconds T     stop each proposal after about T seconds\n"
          "  --max-calls N       (run, compare, calibrate, adapt) at most N loss evaluations\n"
          "                      per proposal (per replication), its design search, fit and\n"
          "                      regions search included: its draws are cut to fit\n"
          "  --max-memory M      refuse a scenario that would need more than M bytes (e.g.\n"
          "                      16G; default 4G)\n"
          "  --quiet             no progress line on a terminal\n"
          "  --seed S            seed, a whole number from 0 to 2^64-1\n"
          "  --rng NAME          GSL generator (default taus2)\n"
          "  --threads N         threads (default: all cores); results do not depend on it\n"
          "  --format F          text (default) or json; run, compare and calibrate also csv\n"
          "  --brief             (run) the estimate, error bar, verdict and reasons only\n"
          "  --plot DIR          (run, compare) convergence plots: data files, gnuplot scripts\n"
          "                      and, when gnuplot is installed, PNG and SVG figures in DIR\n"
          "  --threshold LIST    (run, compare, calibrate, adapt, form) the event's threshold,\n"
          "                      or a list: '5 sigma, 3 sigma .. 7 sigma step 0.5 sigma'\n"
          "                      (the first value is the main one; every value a level of\n"
          "                      the exceedance curve, from the same draws)\n"
          "  --quantile LIST     (run, compare, adapt) loss levels exceeded with these\n"
          "                      probabilities, e.g. 1e-6, with 95%% intervals\n"
          "  --dump FILE         (run) every draw as CSV: proposal, draw, point, loss,\n"
          "                      log-weight, in_event, component (as many rows as --samples)\n"
          "  --bits              (divergence) in bits instead of nats\n"
          "  --reps R            (calibrate) replications per proposal (default 100)\n"
          "  --rank-by W         (compare) seconds (default): efficiency per second; calls:\n"
          "                      per loss evaluation, for a model that costs more than the rest\n"
          "\n"
          "adapt (--proposal NAME: an adaptive proposal to fit, or a proposal to start from;\n"
          "without it the first adaptive proposal, else from the target; these override it):\n"
          "  --family F          normal, student-t, mixture, exponential, gamma or factor-shift\n"
          "  --rho R             elite fraction of each level (default 0.1)\n"
          "  --level-draws N     draws per level (default 10000)\n"
          "  --alpha A           smoothing of each new fit, 0 < A <= 1 (default 1: none)\n"
          "  --max-levels L      give up after L levels (default 50)\n"
          "  --update U          mean (default) or mean+spread\n"
          "  --min-spread S      the spread's floor relative to the target's (default 0.85)\n"
          "  --components K      normals of a mixture (default 4)\n"
          "  --save FILE         write the fitted proposal as a [proposal NAME] section\n"
          "\n"
          "The scenario format is described in docs/scenarios.md.\n");
}

/* After --help or --version: whether standard output took it all (a full
 * disk, a closed pipe: a failure, not a success). */
static int stdout_written(void)
{
  if (fflush(stdout) != 0 || ferror(stdout)) {
    fprintf(stderr, "issim: cannot write to standard output\n");
    return EXIT_FAILURE_RUN;
  }
  return EXIT_OK;
}

/* --version in the GNU form: the program and its version on the first line
 * (the version after the last space), then how this build was made. */
static int version(void)
{
  printf("issim %s\n", PACKAGE_VERSION);
  printf("built with GSL %s, %s, %s; figures drawn with %s\n", gsl_version,
#ifdef _OPENMP
         "OpenMP threads",
#else
         "one thread (no OpenMP)",
#endif
#ifdef ISSIM_WITH_MPI
         "MPI", ISSIM_GNUPLOT);
#else
         "without MPI", ISSIM_GNUPLOT);
#endif
  printf("The manual: man issim; the documentation, once installed: %s\n", ISSIM_DOCDIR);
  return stdout_written();
}

static int bad_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int bad_usage(const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "issim: ");
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fprintf(stderr, "\n\n");
  usage(stderr);
  return EXIT_BAD_INPUT;
}

typedef enum {
  COMMAND_RUN, COMMAND_COMPARE, COMMAND_CALIBRATE, COMMAND_DIVERGENCE, COMMAND_ADAPT,
  COMMAND_FORM
} command_kind;

/* Where the value of an adapt option goes. */
static const char **adapt_option(options *o, int c)
{
  switch (c) {
  case 'F': return &o->family;
  case 'o': return &o->rho;
  case 'L': return &o->level_draws;
  case 'a': return &o->alpha;
  case 'm': return &o->max_levels;
  case 'u': return &o->update;
  case 'S': return &o->min_spread;
  case 'k': return &o->components;
  default: return &o->save;
  }
}

/* --threshold, --quantile and --dump, checked against the command. */
static int exceedance_option(int c, options *o, command_kind command)
{
  if (c == 'X' && command == COMMAND_DIVERGENCE)
    return bad_usage("%s", "--threshold does not apply to 'issim divergence'");
  if (c == 'Q' && command != COMMAND_RUN && command != COMMAND_COMPARE && command != COMMAND_ADAPT)
    return bad_usage("%s", "--quantile applies to 'issim run', 'issim compare' and 'issim adapt'");
  if (c == 'D' && command != COMMAND_RUN)
    return bad_usage("%s", "--dump applies to 'issim run'");
  if (c == 'D' && (*optarg == '\0' || strcmp(optarg, "-") == 0))
    return bad_usage("%s", "--dump needs a file name (the report goes to standard output)");
  *(c == 'X' ? &o->threshold : c == 'Q' ? &o->quantile : &o->dump) = optarg;
  return EXIT_OK;
}

/* One option of getopt_long's (c, with optarg) into *o, checked against the
 * command it is given to. */
static int take_option(int c, char **argv, options *o, command_kind command)
{
  switch (c) {
  case 'p': o->proposal = optarg; break;
  case 'n': o->samples = optarg; break;
  case 'e': o->target_re = optarg; break;
  case 'T': o->max_seconds = optarg; break;
  case 'Y':
    if (command != COMMAND_COMPARE)
      return bad_usage("%s", "--rank-by applies to 'issim compare'");
    if (strcmp(optarg, "seconds") != 0 && strcmp(optarg, "calls") != 0)
      return bad_usage("--rank-by must be seconds or calls (got '%s')", optarg);
    o->rank_by = optarg;
    break;
  case 'C':
    if (command == COMMAND_DIVERGENCE)
      return bad_usage("%s", "--max-calls does not apply to 'issim divergence' (it calls no model)");
    o->max_calls = optarg;
    break;
  case 'M': o->max_memory = optarg; break;
  case 'q': o->quiet = 1; break;
  case 's': o->seed = optarg; break;
  case 'r': o->rng = optarg; break;
  case 't': o->threads = optarg; break;
  case 'f':
    o->json = strcmp(optarg, "json") == 0;
    o->csv = strcmp(optarg, "csv") == 0;
    if (!o->json && !o->csv && strcmp(optarg, "text") != 0)
      return bad_usage("--format must be text or json%s (got '%s')",
                       command == COMMAND_RUN || command == COMMAND_COMPARE ||
                               command == COMMAND_CALIBRATE ? ", or csv" : "", optarg);
    if (o->csv && command != COMMAND_RUN && command != COMMAND_COMPARE &&
        command != COMMAND_CALIBRATE)
      return bad_usage("%s", "--format csv applies to 'issim run', 'issim compare' and "
                             "'issim calibrate'");
    break;
  case 'B':
    if (command != COMMAND_RUN)
      return bad_usage("%s", "--brief applies to 'issim run'");
    o->brief = 1;
    break;
  case 'R':
    if (command != COMMAND_CALIBRATE)
      return bad_usage("%s", "--reps applies to 'issim calibrate'");
    o->reps = optarg;
    break;
  case 'P':
    if (command == COMMAND_DIVERGENCE || command == COMMAND_CALIBRATE || command == COMMAND_ADAPT ||
        command == COMMAND_FORM)
      return bad_usage("%s", "--plot applies to 'issim run' and 'issim compare'");
    if (*optarg == '\0')
      return bad_usage("%s", "--plot needs a directory");
    o->plot_dir = optarg;
    break;
  case 'b': o->bits = 1; break;
  case 'X': case 'Q': case 'D':
    return exceedance_option(c, o, command);
  case 'F': case 'o': case 'L': case 'a': case 'm': case 'u': case 'S': case 'k': case 'w':
    if (command != COMMAND_ADAPT)
      return bad_usage("%s applies to 'issim adapt'", /* "--rho 0.1" or "--rho=0.1" */
                       optarg == argv[optind - 1] ? argv[optind - 2] : argv[optind - 1]);
    *adapt_option(o, c) = optarg;
    break;
  case 'h': usage(stdout); return EXIT_HELP;
  case ':': return bad_usage("option %s needs a value", argv[optind - 1]);
  default: return bad_usage("unknown option '%s'", argv[optind - 1]);
  }
  return EXIT_OK;
}

static int parse_options(int argc, char **argv, options *o, command_kind command)
{
  static const struct option longopts[] = {
    {"proposal", required_argument, NULL, 'p'},
    {"samples", required_argument, NULL, 'n'},
    {"max-samples", required_argument, NULL, 'n'},
    {"target-re", required_argument, NULL, 'e'},
    {"max-seconds", required_argument, NULL, 'T'},
    {"max-calls", required_argument, NULL, 'C'},
    {"rank-by", required_argument, NULL, 'Y'},
    {"max-memory", required_argument, NULL, 'M'},
    {"quiet", no_argument, NULL, 'q'},
    {"seed", required_argument, NULL, 's'},
    {"rng", required_argument, NULL, 'r'},
    {"threads", required_argument, NULL, 't'},
    {"format", required_argument, NULL, 'f'},
    {"bits", no_argument, NULL, 'b'},
    {"threshold", required_argument, NULL, 'X'},
    {"quantile", required_argument, NULL, 'Q'},
    {"dump", required_argument, NULL, 'D'},
    {"brief", no_argument, NULL, 'B'},
    {"plot", required_argument, NULL, 'P'},
    {"reps", required_argument, NULL, 'R'},
    {"family", required_argument, NULL, 'F'},
    {"rho", required_argument, NULL, 'o'},
    {"level-draws", required_argument, NULL, 'L'},
    {"alpha", required_argument, NULL, 'a'},
    {"max-levels", required_argument, NULL, 'm'},
    {"update", required_argument, NULL, 'u'},
    {"min-spread", required_argument, NULL, 'S'},
    {"components", required_argument, NULL, 'k'},
    {"save", required_argument, NULL, 'w'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
  };
  opterr = 0;
#ifdef __GLIBC__
  optind = 0; /* glibc's full restart, also after a cluster of short options left half-read */
#else
  optind = 1;
#endif
  int c;
  while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
    int rc = take_option(c, argv, o, command);
    if (rc != EXIT_OK)
      return rc;
  }
  if (o->bits && command != COMMAND_DIVERGENCE)
    return bad_usage("%s", "--bits applies to 'issim divergence'");
  if (o->brief && (o->json || o->csv))
    return bad_usage("%s", "--brief is a text report: not with --format json or csv");
  if (optind != argc - 1)
    return bad_usage("%s", optind >= argc ? "give one scenario file" : "give exactly one scenario file");
  o->scenario_path = argv[optind];
  return EXIT_OK;
}

/* What the command line sets beyond the scenario's [run] section. */
typedef struct {
  int threads;            /* 0: all cores */
  uint64_t max_calls;     /* 0: none */
  issim_stop_rules stop;
  int progress;           /* show a progress line */
} run_settings;

static int parse_fraction(const char *text, const char *what, double lo, double hi,
                          double *out, issim_error *err)
{
  int rc = issim_parse_number(text, what, out, err);
  if (rc == ISSIM_OK && !(*out > lo && *out < hi))
    rc = issim_error_set(err, ISSIM_EINVAL, "%s must be a number above %g and below %g (got '%s')",
                         what, lo, hi, text);
  return rc;
}

static int parse_threads(const char *text, int *threads, issim_error *err)
{
  double t;
  int rc = issim_parse_number(text, "--threads", &t, err);
  if (rc == ISSIM_OK && (t < 1 || t > 1024 || t != floor(t)))
    rc = issim_error_set(err, ISSIM_EINVAL, "--threads must be a whole number from 1 to 1024 (got '%s')",
                         text);
  if (rc == ISSIM_OK)
    *threads = (int)t;
  return rc;
}

/* What reading the scenario may take: --max-memory, and --threads (for the
 * estimate); a message and ISSIM_EINVAL for a bad value. */
static int scenario_limits(const options *o, issim_scenario_limits *lim)
{
  issim_error err;
  int rc = ISSIM_OK;
  *lim = (issim_scenario_limits){0};
  if (o->max_memory)
    rc = issim_parse_bytes(o->max_memory, "--max-memory", &lim->max_memory, &err);
  if (rc == ISSIM_OK && o->threads)
    rc = parse_threads(o->threads, &lim->threads, &err);
  if (rc != ISSIM_OK)
    fprintf(stderr, "issim: %s\n", err.message);
  return rc;
}

/* Reads the scenario within the limits of the options; NULL after a message,
 * *status the exit status. */
static issim_scenario *read_scenario(const options *o, int *status)
{
  issim_scenario_limits lim;
  *status = EXIT_BAD_INPUT;
  if (scenario_limits(o, &lim) != ISSIM_OK)
    return NULL;
  issim_error err;
  issim_scenario_overrides ov = {.threshold = o->threshold, .quantile = o->quantile};
  issim_scenario *s = issim_scenario_read_with(o->scenario_path, &lim, &ov, &err);
  if (s == NULL) {
    fprintf(stderr, "%s\n", err.message);
    *status = err.code == ISSIM_ENOMEM ? EXIT_FAILURE_RUN : EXIT_BAD_INPUT;
  }
  return s;
}

/* Applies the command-line overrides to the scenario's run settings. */
static int apply_overrides(const options *o, issim_scenario *s, run_settings *rs)
{
  issim_error err;
  int rc = ISSIM_OK;
  const char *term = getenv("TERM");
  *rs = (run_settings){.progress = !o->quiet && isatty(STDERR_FILENO) &&
                                   !(term && strcmp(term, "dumb") == 0)};
  if (o->samples)
    rc = issim_parse_samples(o->samples, "--samples", &s->samples, &err);
  if (rc == ISSIM_OK && o->seed)
    rc = issim_parse_seed(o->seed, "--seed", &s->seed, &err);
  if (rc == ISSIM_OK && o->rng)
    rc = issim_rng_lookup(o->rng, &s->rng, &err);
  if (rc == ISSIM_OK && o->threads)
    rc = parse_threads(o->threads, &rs->threads, &err);
  if (rc == ISSIM_OK && o->target_re)
    rc = parse_fraction(o->target_re, "--target-re", 0, 1, &rs->stop.target_re, &err);
  if (rc == ISSIM_OK && o->max_seconds)
    rc = parse_fraction(o->max_seconds, "--max-seconds", 0, 1e9, &rs->stop.max_seconds, &err);
  if (rc == ISSIM_OK && o->max_calls)
    rc = issim_parse_samples(o->max_calls, "--max-calls", &rs->max_calls, &err);
  if (rc == ISSIM_OK && o->proposal && issim_scenario_proposal(s, o->proposal) == NULL) {
    char known[512] = "";
    for (size_t i = 0; i < s->n_proposals; i++)
      snprintf(known + strlen(known), sizeof known - strlen(known), "%s%s", i ? ", " : "",
               s->proposals[i].name);
    rc = issim_error_set(&err, ISSIM_EINVAL, "--proposal: no proposal '%s' in %s (known: %s)",
                         o->proposal, s->path, known);
  }
  if (rc != ISSIM_OK)
    fprintf(stderr, "issim: %s\n", err.message);
  return rc;
}

/* ---- Ctrl-C: while setting up (reading the scenario, factorising its
 * matrices, finding design points), it ends issim at once; once fitting or
 * sampling has begun, the first ends the fit between levels or the run at
 * the next block boundary with a partial report, and a second exits at
 * once. ---- */

static volatile sig_atomic_t interrupted = 0;
static volatile sig_atomic_t polled = 0; /* someone watches `interrupted` */

/* The processes of a distributed run (docs/distributed.md), NULL for this one
 * alone: set once, at the start of main. */
static const issim_cluster *cluster = NULL;

static void on_interrupt(int sig)
{
  (void)sig;
  if (!polled) {
    static const char msg[] = "\nissim: interrupted while setting up: nothing was drawn\n";
    ssize_t written = write(STDERR_FILENO, msg, sizeof msg - 1);
    (void)written;
    _exit(EXIT_INTERRUPTED);
  }
  if (interrupted)
    _exit(EXIT_INTERRUPTED);
  interrupted = 1;
}

static void catch_interrupts(void)
{
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_interrupt;
  sa.sa_flags = SA_RESTART; /* a write in progress is resumed, not cut short */
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, NULL);
  /* mpirun meets Ctrl-C by sending its ranks SIGTERM, and SIGKILL a second
   * later: in an MPI build SIGTERM is Ctrl-C, which leaves time for the
   * partial report (docs/distributed.md) */
  if (issim_cluster_available())
    sigaction(SIGTERM, &sa, NULL);
}

/* ---- the progress line, on a terminal, for runs longer than a second ----
 *
 * One line on standard error, redrawn in place, never wider than the
 * terminal (a line that wraps scrolls a new line at every refresh): the whole
 * command's percentage and time left first, then as much of the proposal's
 * own progress as fits. */

typedef struct {
  const char *name;
  size_t index, count;     /* this proposal is index (from 1) of count */
  uint64_t samples;        /* draws planned per proposal */
  double max_seconds;      /* 0: none */
  int rules;               /* a stopping rule may end proposals early */
  uint64_t done_draws;     /* the finished proposals, as last seen */
  double done_seconds;
  uint64_t draws;          /* this proposal, as last seen */
  double seconds;
  char estimate[64];
  int shown;
} progress_line;

static void format_duration(double s, char *buf, size_t size)
{
  if (s >= 7200)
    snprintf(buf, size, "%.1f h", s / 3600);
  else if (s >= 120)
    snprintf(buf, size, "%.0f min", s / 60);
  else
    snprintf(buf, size, "%.0f s", s);
}

/* The terminal's width: what standard error's terminal says, else $COLUMNS,
 * else 80. */
static size_t terminal_width(void)
{
  struct winsize ws;
  if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
    return ws.ws_col;
  const char *columns = getenv("COLUMNS");
  char *end;
  long c = columns ? strtol(columns, &end, 10) : 0;
  return columns && *end == '\0' && c > 0 && c < 10000 ? (size_t)c : 80;
}

/* The whole command's share done and seconds left (an upper bound with a
 * stopping rule), from the rate of the draws so far. */
static void progress_of_command(const progress_line *pl, double *fraction, double *left)
{
  double planned = (double)pl->samples * (double)pl->count;
  double done = (double)pl->samples * (double)(pl->index - 1) + (double)pl->draws;
  *fraction = planned > 0 ? fmin(done / planned, 1.0) : 0;
  double seen = (double)(pl->done_draws + pl->draws), elapsed = pl->done_seconds + pl->seconds;
  double rate = elapsed > 0 ? seen / elapsed : 0;
  *left = rate > 0 ? (planned - done) / rate : NAN;
  if (pl->max_seconds > 0) {
    double bound = fmax(pl->max_seconds - pl->seconds, 0) +
                   pl->max_seconds * (double)(pl->count - pl->index);
    *left = isnan(*left) ? bound : fmin(*left, bound);
  }
}

/* Appends sep and piece when they fit in width; whether they did. */
static int add_piece(char *line, size_t width, const char *sep, const char *piece)
{
  size_t len = strlen(line);
  if (len + strlen(sep) + strlen(piece) > width)
    return 0;
  snprintf(line + len, width + 1 - len, "%s%s", sep, piece);
  return 1;
}

/* The line, at most width characters. */
static void format_progress(const progress_line *pl, size_t width, char *line, size_t size)
{
  if (width + 1 > size)
    width = size - 1;
  double fraction, left;
  progress_of_command(pl, &fraction, &left);
  char eta[32] = "", head[96], who[64], draws[64], rate[32];
  if (!isnan(left))
    format_duration(fmax(left, 0), eta, sizeof eta);
  snprintf(head, sizeof head, "%.0f%%%s%s%s", floor(100 * fraction), eta[0] ? ", " : "",
           eta[0] && pl->rules ? "at most " : "", eta[0] ? eta : "");
  if (eta[0])
    snprintf(head + strlen(head), sizeof head - strlen(head), " left");
  snprintf(draws, sizeof draws, "%.3g of %.3g draws", (double)pl->draws, (double)pl->samples);
  snprintf(rate, sizeof rate, "%.3g million/s",
           pl->seconds > 0 ? (double)pl->draws / pl->seconds / 1e6 : 0.0);
  /* the head always; then the proposal's name (cut to what is left), its
   * estimate, its draws and its rate, as long as they fit */
  snprintf(line, width + 1, "%s", head);
  size_t room = width > strlen(line) + 3 ? width - strlen(line) - 3 : 0;
  if (pl->count > 1)
    snprintf(who, sizeof who, "%s %zu/%zu", pl->name, pl->index, pl->count);
  else
    snprintf(who, sizeof who, "%s", pl->name);
  if (room >= 4) {
    if (strlen(who) > room)
      snprintf(who + room - 3, 4, "...");
    (void)(add_piece(line, width, " | ", who) &&
           add_piece(line, width, ": ", pl->estimate[0] ? pl->estimate : "no hit yet") &&
           add_piece(line, width, ", ", draws) && add_piece(line, width, ", ", rate));
  }
}

static void show_progress(const issim_progress *p, void *user)
{
  progress_line *pl = user;
  if (p->state) {
    issim_estimate e;
    issim_accum_estimate(p->state, &e);
    char v[48] = "0";
    if (e.hits > 0) {
      issim_format_log_prob(e.log_estimate, 4, v, sizeof v);
      snprintf(pl->estimate, sizeof pl->estimate, "P = %s +- %.2g%%", v, 100 * e.relative_error);
    }
  }
  pl->draws = p->draws;
  pl->seconds = p->seconds;
  if (pl->done_seconds + p->seconds < 1.0 || p->draws == 0)
    return;
  char line[512];
  /* one column short of the width: a character in the last column leaves
   * some terminals about to wrap */
  size_t width = terminal_width();
  format_progress(pl, width > 1 ? width - 1 : 1, line, sizeof line);
  fprintf(stderr, "\r\033[K%s", line);
  pl->shown = 1;
}

static void clear_progress(progress_line *pl)
{
  if (pl->shown)
    fprintf(stderr, "\r\033[K");
  pl->shown = 0;
}

/* Writes the whole output at once, so that a failure leaves nothing half-written. */
typedef int (*writer)(FILE *out, const void *what);

static int emit(writer write, const void *what)
{
  char *buf = NULL;
  size_t len = 0;
  FILE *mem = open_memstream(&buf, &len);
  if (mem == NULL)
    return EXIT_FAILURE_RUN;
  int rc = write(mem, what);
  if (fclose(mem) != 0 || rc != 0) {
    free(buf);
    fprintf(stderr, "issim: out of memory writing the report\n");
    return EXIT_FAILURE_RUN;
  }
  size_t written = fwrite(buf, 1, len, stdout);
  free(buf);
  if (written != len || fflush(stdout) != 0) {
    fprintf(stderr, "issim: cannot write the report to standard output\n");
    return EXIT_FAILURE_RUN;
  }
  return EXIT_OK;
}

static int write_text(FILE *out, const void *r) { return issim_report_text(out, r); }
static int write_json(FILE *out, const void *r) { return issim_report_json(out, r); }
static int write_divergence_text(FILE *out, const void *r) { return issim_divergence_report_text(out, r); }
static int write_divergence_json(FILE *out, const void *r) { return issim_divergence_report_json(out, r); }

/* ---- hooks of the workflow (workflow.h) ---- */

static void warn(const char *proposal, const char *message, void *user)
{
  (void)user;
  fprintf(stderr, "issim: warning: proposal '%s': %s\n", proposal, message);
}

/* A progress line for each proposal, when standard error is a terminal. */
typedef struct {
  int progress;
  progress_line line;
} progress_hooks;

static void before_proposal(const issim_proposal *p, issim_stop_rules *stop, void *user)
{
  progress_hooks *h = user;
  progress_line *l = &h->line;
  l->done_draws += l->draws;
  l->done_seconds += l->seconds;
  l->name = p->name;
  l->index++;
  l->max_seconds = stop->max_seconds;
  l->rules = stop->target_re > 0 || stop->max_seconds > 0;
  l->draws = 0;
  l->seconds = 0;
  l->estimate[0] = '\0';
  if (h->progress) {
    stop->progress = show_progress;
    stop->progress_user = l;
  }
}

static void after_proposal(const issim_proposal *p, void *user)
{
  (void)p;
  progress_hooks *h = user;
  clear_progress(&h->line);
}

/* The exit status of an error: 2 where the input must change, 130 for an
 * interrupt, else 1. */
static int exit_status(const issim_error *err)
{
  if (err->code == ISSIM_EINVAL)
    return EXIT_BAD_INPUT;
  if (err->code == ISSIM_ENOTDONE && interrupted)
    return EXIT_INTERRUPTED;
  return EXIT_FAILURE_RUN;
}

static int fail_with(const issim_error *err)
{
  fprintf(stderr, "issim: %s\n", err->message);
  return exit_status(err);
}

/* A run that failed once started: not the input's fault, unless it was
 * refused before its draws (ISSIM_EINVAL: a --max-calls budget that the
 * set-up spent, calls.h), which the input must change. */
static int run_failure(const issim_error *err)
{
  fprintf(stderr, "issim: %s\n", err->message);
  return err->code == ISSIM_EINVAL ? EXIT_BAD_INPUT : EXIT_FAILURE_RUN;
}

static int has_adaptive(const issim_scenario *s)
{
  for (size_t i = 0; i < s->n_proposals; i++)
    if (s->proposals[i].adaptive)
      return 1;
  return 0;
}

/* A command's scenario, settings and workflow: its session. */
typedef struct {
  options o;
  issim_scenario *s;
  run_settings rs;
  progress_hooks hooks;
  issim_workflow *wf;
} session;

static void command_free(session *c)
{
  issim_workflow_free(c->wf);
  issim_scenario_free(c->s);
}

/* Reads the scenario, applies the options and, but for adapt, fits the
 * adaptive proposals: the common start of every command.  Ctrl-C is caught
 * and ends sampling (the interrupt flag) where `interruptible`. */
static int load(int argc, char **argv, command_kind kind, int interruptible, session *c)
{
  *c = (session){0};
  int rc = parse_options(argc, argv, &c->o, kind);
  if (rc != EXIT_OK)
    return rc;
  issim_error err;
  if (interruptible)
    catch_interrupts(); /* Ctrl-C while setting up ends issim at once */
  c->s = read_scenario(&c->o, &rc);
  if (c->s == NULL)
    return rc;
  if (apply_overrides(&c->o, c->s, &c->rs) != ISSIM_OK) {
    command_free(c);
    return EXIT_BAD_INPUT;
  }
  c->hooks.progress = c->rs.progress;
  /* the proposals this command runs one after the other, for the progress
   * line's share of the whole command (adapt: its one final run) */
  c->hooks.line = (progress_line){
    .count = c->o.proposal || kind == COMMAND_ADAPT ? 1 : c->s->n_proposals,
    .samples = c->s->samples};
  issim_workflow_settings set = {
    .threads = c->rs.threads, .stop = c->rs.stop, .cluster = cluster, .only = c->o.proposal,
    .max_calls = c->rs.max_calls,
    .rank_by = c->o.rank_by && strcmp(c->o.rank_by, "calls") == 0 ? ISSIM_RANK_BY_CALLS
                                                                    : ISSIM_RANK_BY_SECONDS,
    .warn = warn, .before = before_proposal, .after = after_proposal, .user = &c->hooks,
  };
  /* Ctrl-C stops a fit between levels in every command, and sampling where
   * the command reports partial results */
  if (interruptible || has_adaptive(c->s)) {
    catch_interrupts();
    set.interrupt = &interrupted;
  }
  if (interruptible)
    set.stop.interrupt = &interrupted;
  c->wf = issim_workflow_alloc(c->s, &set);
  if (c->wf == NULL) {
    fprintf(stderr, "issim: out of memory\n");
    command_free(c);
    return EXIT_FAILURE_RUN;
  }
  polled = set.interrupt != NULL; /* the fits and the runs now watch Ctrl-C */
  if (kind != COMMAND_ADAPT && issim_workflow_fit_adaptive(c->wf, &err) != ISSIM_OK) {
    command_free(c);
    return fail_with(&err);
  }
  return EXIT_OK;
}

static int write_compare_text(FILE *out, const void *c) { return issim_compare_report_text(out, c); }
static int write_compare_json(FILE *out, const void *c) { return issim_compare_report_json(out, c); }
static int write_compare_csv(FILE *out, const void *c) { return issim_compare_report_csv(out, c); }

static int write_csv(FILE *out, const void *r) { return issim_report_csv(out, r); }
static int write_brief(FILE *out, const void *r) { return issim_report_brief(out, r); }

/* The report of a run, or of a comparison (the same runs, ranked). */
static int emit_results(const session *c, command_kind kind, const issim_report *rep,
                        issim_ranked *ranked)
{
  const options *o = &c->o;
  if (kind == COMMAND_RUN)
    return emit(o->json ? write_json : o->csv ? write_csv : o->brief ? write_brief : write_text,
                rep);
  issim_compare_report cr = {.run = *rep, .ranked = ranked,
                            .rank_by = c->o.rank_by && strcmp(c->o.rank_by, "calls") == 0
                                           ? ISSIM_RANK_BY_CALLS : ISSIM_RANK_BY_SECONDS};
  issim_workflow_rank(c->wf, rep->results, rep->n_results, ranked, &cr.reference);
  return emit(o->json ? write_compare_json : o->csv ? write_compare_csv : write_compare_text, &cr);
}

/* The figures, once the report is out: a failure here is not bad input. */
static int plots(const session *c, const issim_result *results, size_t n,
                 const issim_ranked *ranked)
{
  issim_error err;
  int rendered = 0;
  if (issim_workflow_plots(c->wf, c->o.plot_dir, results, n, ranked, ISSIM_GNUPLOT, &rendered,
                           &err) != ISSIM_OK) {
    fprintf(stderr, "issim: %s\n", err.message);
    return EXIT_FAILURE_RUN;
  }
  if (!rendered)
    fprintf(stderr, "issim: %s\n", err.message);
  return EXIT_OK;
}

/* What run and compare record: the traces and histograms for the figures,
 * and the exceedance curves where they are shown (run's reports, figures). */
static unsigned record_of(const options *o, command_kind kind)
{
  unsigned plots = o->plot_dir ? ISSIM_RECORD_TRACE | ISSIM_RECORD_HIST : 0;
  return plots | (kind == COMMAND_RUN || o->plot_dir ? ISSIM_RECORD_CURVE : 0);
}

/* issim run and issim compare: every selected proposal analysed, then reported. */
static int command_run_or_compare(int argc, char **argv, command_kind kind)
{
  session c;
  int rc = load(argc, argv, kind, 1, &c);
  if (rc != EXIT_OK)
    return rc;
  size_t n = 0;
  issim_result *results = calloc(c.s->n_proposals, sizeof *results);
  issim_ranked *ranked = calloc(c.s->n_proposals, sizeof *ranked);
  issim_error err;
  int ran = ISSIM_OK;
  if (results == NULL || ranked == NULL) {
    fprintf(stderr, "issim: out of memory for the results\n");
    rc = EXIT_FAILURE_RUN;
  } else if ((ran = issim_workflow_run(c.wf, record_of(&c.o, kind), results, &n, &err)) != ISSIM_OK &&
             !(ran == ISSIM_ELOSS && n > 0)) {
    rc = run_failure(&err);
  }
  if (rc == EXIT_OK) { /* a loss that failed: the draws before it are reported, then why */
    issim_report rep = issim_workflow_report(c.wf, results, n);
    rc = emit_results(&c, kind, &rep, ranked);
    if (rc == EXIT_OK && c.o.plot_dir && issim_cluster_rank(cluster) == 0)
      rc = plots(&c, results, n, kind == COMMAND_COMPARE ? ranked : NULL);
    if (rc == EXIT_OK && c.o.dump && issim_workflow_dump(c.wf, c.o.dump, results, n, &err) != ISSIM_OK)
      rc = run_failure(&err);
    if (rc == EXIT_OK && ran != ISSIM_OK)
      rc = run_failure(&err);
    /* Ctrl-C reaches a model's program too, which then fails: still 130 */
    if ((rc == EXIT_OK || ran == ISSIM_ELOSS) && interrupted)
      rc = EXIT_INTERRUPTED;
  }
  for (size_t i = 0; i < n; i++)
    issim_result_clear(&results[i]);
  free(results);
  free(ranked);
  command_free(&c);
  return rc;
}

static int write_calibrate_text(FILE *out, const void *c) { return issim_calibrate_report_text(out, c); }
static int write_calibrate_json(FILE *out, const void *c) { return issim_calibrate_report_json(out, c); }
static int write_calibrate_csv(FILE *out, const void *c) { return issim_calibrate_report_csv(out, c); }

#define DEFAULT_REPS 100

static int parse_reps(const char *text, size_t *reps)
{
  if (text == NULL) {
    *reps = DEFAULT_REPS;
    return EXIT_OK;
  }
  double v;
  issim_error err;
  if (issim_parse_number(text, "--reps", &v, &err) != ISSIM_OK || v < 2 || v > 1e6 || v != floor(v)) {
    fprintf(stderr, "issim: --reps must be a whole number from 2 to 1000000 (got '%s')\n", text);
    return EXIT_BAD_INPUT;
  }
  *reps = (size_t)v;
  return EXIT_OK;
}

/* --target-re and --max-seconds do not apply to a command that draws all
 * its samples (`what`: the unit that does). */
static int no_stopping_rules(const session *c, const char *name, const char *what)
{
  if (c->rs.stop.target_re > 0 || c->rs.stop.max_seconds > 0) {
    fprintf(stderr, "issim: --target-re and --max-seconds do not apply to %s: every %s draws "
                    "--samples draws\n", name, what);
    return EXIT_BAD_INPUT;
  }
  return EXIT_OK;
}

static int command_calibrate(int argc, char **argv)
{
  session c;
  size_t reps, n = 0;
  int rc = load(argc, argv, COMMAND_CALIBRATE, 0, &c);
  if (rc != EXIT_OK)
    return rc;
  rc = parse_reps(c.o.reps, &reps);
  if (rc == EXIT_OK)
    rc = no_stopping_rules(&c, "calibrate", "replication");
  issim_calibration *cal = calloc(c.s->n_proposals, sizeof *cal);
  if (rc == EXIT_OK && cal == NULL) {
    fprintf(stderr, "issim: out of memory\n");
    rc = EXIT_FAILURE_RUN;
  }
  issim_calibrate_report rep;
  issim_error err;
  if (rc == EXIT_OK && issim_workflow_calibrate(c.wf, reps, cal, &n, &rep, &err) != ISSIM_OK)
    rc = run_failure(&err);
  if (rc == EXIT_OK)
    rc = emit(c.o.json ? write_calibrate_json : c.o.csv ? write_calibrate_csv : write_calibrate_text,
              &rep);
  for (size_t i = 0; i < n; i++)
    issim_calibration_free(&cal[i]);
  free(cal);
  command_free(&c);
  return rc;
}

static int command_divergence(int argc, char **argv)
{
  session c;
  int rc = load(argc, argv, COMMAND_DIVERGENCE, 0, &c);
  if (rc != EXIT_OK)
    return rc;
  issim_divergence_row *rows = calloc(c.s->n_proposals + 1, sizeof *rows);
  size_t n = 0;
  issim_error err;
  if (rows == NULL) {
    fprintf(stderr, "issim: out of memory\n");
    rc = EXIT_FAILURE_RUN;
  }
  rc = rc == EXIT_OK ? no_stopping_rules(&c, "divergence", "row") : rc;
  if (rc == EXIT_OK && issim_workflow_divergence(c.wf, rows, &n, &err) != ISSIM_OK)
    rc = err.code == ISSIM_EINVAL ? fail_with(&err) : run_failure(&err);
  if (rc == EXIT_OK) {
    issim_divergence_report rep = {
      .scenario = c.s, .samples = c.s->samples, .seed = c.s->seed, .rng_name = c.s->rng->name,
      .bits = c.o.bits, .n_rows = n, .rows = rows,
    };
    rc = emit(c.o.json ? write_divergence_json : write_divergence_text, &rep);
  }
  free(rows);
  command_free(&c);
  return rc;
}

/* ---- issim adapt ---- */

/* What adapt fits: --proposal NAME (an adaptive proposal, or a fixed one to
 * start from), else the first adaptive proposal, else a fit from the target
 * named "ce"; with the command line's options over the scenario's. */
typedef struct {
  issim_proposal *adaptive; /* a working copy (workflow.h), fitted in place; NULL: `own` */
  issim_proposal own;
  char own_name[160];
  issim_adapt_options opt;
} adapt_subject;

/* The subject's options: the scenario's, then the command line's. */
static int adapt_options(const options *o, const char *start, adapt_subject *a, issim_error *err)
{
  int rc = start ? issim_adapt_options_set(&a->opt, "start", "start", start, err) : ISSIM_OK;
  const struct { const char *key, *value; } given[] = {
    {"family", o->family}, {"rho", o->rho}, {"level-draws", o->level_draws},
    {"alpha", o->alpha}, {"max-levels", o->max_levels}, {"update", o->update},
    {"min-spread", o->min_spread}, {"components", o->components},
  };
  for (size_t i = 0; rc == ISSIM_OK && i < sizeof given / sizeof *given; i++) {
    char what[32];
    snprintf(what, sizeof what, "--%s", given[i].key);
    if (given[i].value)
      rc = issim_adapt_options_set(&a->opt, given[i].key, what, given[i].value, err);
  }
  if (rc == ISSIM_OK && o->components && a->opt.family != ISSIM_CE_MIXTURE)
    rc = issim_error_set(err, ISSIM_EINVAL, "--components applies to family mixture only");
  return rc;
}

static int adapt_subject_init(session *c, adapt_subject *a)
{
  *a = (adapt_subject){.opt = issim_adapt_options_default()};
  const options *o = &c->o;
  const char *start = NULL;
  issim_proposal *named = NULL;
  size_t n = issim_workflow_size(c->wf);
  for (size_t i = 0; o->proposal && !named && i < n; i++)
    if (strcmp(issim_workflow_proposal(c->wf, i)->name, o->proposal) == 0)
      named = issim_workflow_proposal(c->wf, i);
  for (size_t i = 0; !o->proposal && !a->adaptive && i < n; i++)
    if (issim_workflow_proposal(c->wf, i)->adaptive)
      a->adaptive = issim_workflow_proposal(c->wf, i);
  if (named && named->adaptive)
    a->adaptive = named;
  else if (named)
    start = named->name;
  if (a->adaptive) {
    a->opt = *a->adaptive->adaptive;
    a->opt.start = NULL;
    start = a->adaptive->adaptive->start;
  }
  issim_error err = {0};
  int rc = adapt_options(o, start, a, &err);
  if (rc == ISSIM_OK && a->opt.family == ISSIM_CE_MIXTURE && c->s->event.loss == NULL)
    rc = issim_error_set(&err, ISSIM_EINVAL, "a mixture fit of a univariate target needs the "
                                             "scenario to declare it: [proposal NAME] "
                                             "distribution = adaptive, family = mixture");
  if (rc != ISSIM_OK) {
    fprintf(stderr, "issim: %s\n", err.message);
    return EXIT_BAD_INPUT;
  }
  if (a->adaptive == NULL) {
    snprintf(a->own_name, sizeof a->own_name, "%s%s", named ? named->name : "ce", named ? "-ce" : "");
    a->own = (issim_proposal){.name = a->own_name, .adaptive = &a->opt};
  }
  return EXIT_OK;
}

static void adapt_subject_clear(adapt_subject *a)
{
  free(a->opt.start);
  if (a->own.fitted)
    issim_model_free(a->own.model);
}

static int write_adapt_text(FILE *out, const void *r) { return issim_adapt_report_text(out, r); }
static int write_adapt_json(FILE *out, const void *r) { return issim_adapt_report_json(out, r); }

static int command_adapt(int argc, char **argv)
{
  session c;
  int rc = load(argc, argv, COMMAND_ADAPT, 1, &c);
  if (rc != EXIT_OK)
    return rc;
  adapt_subject a;
  rc = adapt_subject_init(&c, &a);
  issim_proposal *p = a.adaptive ? a.adaptive : &a.own;
  issim_adapt_fit fit = {0};
  issim_error err;
  int reached = 0;
  if (rc == EXIT_OK) {
    int fitted = issim_workflow_fit(c.wf, p, &a.opt, &fit, &err);
    reached = fitted == ISSIM_OK;
    if (fitted != ISSIM_OK && fitted != ISSIM_ENOTDONE) {
      fprintf(stderr, "issim: proposal '%s': %s\n", p->name, err.message);
      rc = exit_status(&err);
    }
  }
  issim_result result = {0};
  size_t n = 0;
  if (reached && rc == EXIT_OK) {
    if (issim_workflow_run_one(c.wf, p, &result, &err) != ISSIM_OK)
      rc = run_failure(&err);
    n = rc == EXIT_OK;
  }
  if (reached && rc == EXIT_OK && c.o.save &&
      issim_workflow_save_fit(c.wf, c.o.save, p->name, &fit, &err) != ISSIM_OK) {
    fprintf(stderr, "issim: --save: %s\n", err.message);
    rc = EXIT_FAILURE_RUN;
  }
  if (rc == EXIT_OK) {
    issim_adapt_report rep = {.run = issim_workflow_report(c.wf, &result, n), .options = &a.opt,
                              .fit = &fit, .name = p->name, .saved = reached ? c.o.save : NULL};
    int out = emit(c.o.json ? write_adapt_json : write_adapt_text, &rep);
    rc = out != EXIT_OK ? out : interrupted ? EXIT_INTERRUPTED : !reached ? EXIT_FAILURE_RUN : rc;
  }
  if (n)
    issim_result_clear(&result);
  issim_adapt_fit_clear(&fit);
  adapt_subject_clear(&a);
  command_free(&c);
  return rc;
}

/* ---- issim form ---- */

static int write_form_text(FILE *out, const void *r) { return issim_form_report_text(out, r); }
static int write_form_json(FILE *out, const void *r) { return issim_form_report_json(out, r); }

/* FORM/SORM of the scenario's event under its target: nothing is drawn, so
 * the scenario's proposals are neither fitted nor used. */
static int command_form(int argc, char **argv)
{
  options o = {0};
  int rc = parse_options(argc, argv, &o, COMMAND_FORM);
  if (rc != EXIT_OK)
    return rc;
  if (o.proposal || o.samples || o.seed || o.rng || o.threads || o.target_re || o.max_seconds ||
      o.max_calls)
    return bad_usage("%s", "issim form draws nothing: of the options only --format, "
                           "--threshold and --max-memory apply");
  issim_error err;
  issim_scenario *s = read_scenario(&o, &rc);
  if (s == NULL)
    return rc;
  issim_problem pb = issim_scenario_problem(s, NULL);
  if (!issim_form_supported(&pb)) {
    char target[256];
    issim_problem_describe_target(&pb, target, sizeof target);
    fprintf(stderr, "issim: %s: issim form needs a target with a standard space: a "
                    "multivariate normal, a multivariate t (approximate), independent "
                    "components, a Gaussian copula, or a univariate target; not %s\n", s->path,
            target);
    issim_scenario_free(s);
    return EXIT_BAD_INPUT;
  }
  issim_form_result f;
  rc = issim_form_analyse_problem(&pb, &f, &err);
  if (rc != ISSIM_OK) {
    fprintf(stderr, "issim: %s: %s\n", s->path, err.message);
    issim_scenario_free(s);
    return rc == ISSIM_EINVAL ? EXIT_BAD_INPUT : EXIT_FAILURE_RUN;
  }
  issim_form_report rep = {.scenario = s, .form = &f, .exact_log = issim_problem_exact_log(&pb)};
  rc = emit(o.json ? write_form_json : write_form_text, &rep);
  issim_form_result_free(&f);
  issim_scenario_free(s);
  return rc;
}

/* The command itself, in every process of a distributed run alike. */
static int dispatch(int argc, char **argv)
{
  /* GSL's default error handler aborts the process.  The library checks GSL's
   * return values and results itself, so the application turns it off: a bad
   * case is then a clear message, never a crash. */
  gsl_set_error_handler_off();
  if (argc < 2) {
    usage(stderr);
    return EXIT_BAD_INPUT;
  }
  const char *command = argv[1];
  if (strcmp(command, "--help") == 0 || strcmp(command, "-h") == 0) {
    usage(stdout);
    return stdout_written();
  }
  if (strcmp(command, "--version") == 0)
    return version();
  if (strcmp(command, "run") == 0)
    return command_run_or_compare(argc - 1, argv + 1, COMMAND_RUN);
  if (strcmp(command, "compare") == 0)
    return command_run_or_compare(argc - 1, argv + 1, COMMAND_COMPARE);
  if (strcmp(command, "calibrate") == 0)
    return command_calibrate(argc - 1, argv + 1);
  if (strcmp(command, "divergence") == 0)
    return command_divergence(argc - 1, argv + 1);
  if (strcmp(command, "adapt") == 0)
    return command_adapt(argc - 1, argv + 1);
  if (strcmp(command, "form") == 0)
    return command_form(argc - 1, argv + 1);
  fprintf(stderr, "issim: unknown command '%s'\n\n", command);
  usage(stderr);
  return EXIT_BAD_INPUT;
}

static int run_command(int argc, char **argv)
{
  int rc = dispatch(argc, argv);
  return rc == EXIT_HELP ? stdout_written() : rc;
}

/* Under mpirun, every rank runs the same command on its share of the draws
 * and every rank ends with the same status; rank 0 alone speaks and writes
 * files. */
int main(int argc, char **argv)
{
  issim_cluster *world = issim_cluster_start(&argc, &argv);
  cluster = world;
  if (issim_cluster_rank(world) != 0) {
    /* should /dev/null fail to open, the stream is closed: still silent */
    FILE *out = freopen("/dev/null", "w", stdout), *err = freopen("/dev/null", "w", stderr);
    (void)out;
    (void)err;
  }
  int rc = issim_cluster_max(world, run_command(argc, argv));
  issim_cluster_stop(world);
  return rc;
}
