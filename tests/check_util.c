/* check_util.c: the functions of check_util.h (see there). */
#define _DEFAULT_SOURCE /* mkstemps */
#define _POSIX_C_SOURCE 200809L

#include "check_util.h"

#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <gsl/gsl_integration.h>
#include <gsl/gsl_math.h>
#include <gsl/gsl_sf_erf.h>

#include "rng.h"

extern char **environ;

double *xalloc(size_t n)
{
  double *p = malloc((n > 0 ? n : 1) * sizeof *p);
  ck_assert_ptr_nonnull(p);
  return p;
}

issim_model *line_model(issim_dist *d)
{
  ck_assert_ptr_nonnull(d);
  issim_model *m = issim_model_alloc_line(d, NULL);
  ck_assert_ptr_nonnull(m);
  issim_dist_free(d);
  return m;
}

char *slurp(const char *path)
{
  FILE *f = fopen(path, "rb");
  ck_assert_msg(f != NULL, "cannot open %s", path);
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *buf = malloc((size_t)n + 1);
  ck_assert_ptr_nonnull(buf);
  ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
  buf[n] = '\0';
  fclose(f);
  return buf;
}

void write_file(const char *path, const char *text)
{
  FILE *f = fopen(path, "w");
  ck_assert_msg(f != NULL, "cannot write %s", path);
  fputs(text, f);
  ck_assert_int_eq(fclose(f), 0);
}

void temp_file(char *tmpl, int suffix_len)
{
  int fd = mkstemps(tmpl, suffix_len);
  ck_assert_msg(fd >= 0, "cannot create %s", tmpl);
  close(fd);
}

outcome run_capture(const char *const *argv, int interrupt_after)
{
  char out_path[] = "/tmp/issim-check-out-XXXXXX", err_path[] = "/tmp/issim-check-err-XXXXXX";
  int out_fd = mkstemp(out_path), err_fd = mkstemp(err_path);
  ck_assert(out_fd >= 0 && err_fd >= 0);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
  posix_spawn_file_actions_adddup2(&fa, err_fd, 2);
  pid_t pid;
  ck_assert_int_eq(posix_spawn(&pid, argv[0], &fa, NULL, (char *const *)argv, environ), 0);
  posix_spawn_file_actions_destroy(&fa);
  if (interrupt_after > 0) {
    struct timespec pause = {interrupt_after, 0};
    nanosleep(&pause, NULL);
    ck_assert_int_eq(kill(pid, SIGINT), 0);
  }
  int wstatus;
  ck_assert_int_eq(waitpid(pid, &wstatus, 0), pid);
  close(out_fd);
  close(err_fd);
  outcome o = {.status = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1,
               .signal = WIFSIGNALED(wstatus) ? WTERMSIG(wstatus) : 0};
  o.out = slurp(out_path);
  o.err = slurp(err_path);
  unlink(out_path);
  unlink(err_path);
  return o;
}

void outcome_free(outcome *o)
{
  free(o->out);
  free(o->err);
}

json_t *parse_json(const char *text)
{
  json_error_t jerr;
  json_t *root = json_loads(text, 0, &jerr);
  ck_assert_msg(root != NULL, "not JSON (line %d: %s): %.300s", jerr.line, jerr.text, text);
  return root;
}

double log_normal_sf(double t)
{
  return gsl_sf_log_erfc(t / M_SQRT2) - M_LN2;
}

double quadrature(double (*f)(double, void *), void *params, double lo, double hi)
{
  gsl_integration_cquad_workspace *ws = gsl_integration_cquad_workspace_alloc(1000);
  ck_assert_ptr_nonnull(ws);
  gsl_function fn = {.function = f, .params = params};
  double v = NAN, e = NAN;
  size_t nev;
  int st = gsl_integration_cquad(&fn, lo, hi, 1e-300, 1e-13, ws, &v, &e, &nev);
  gsl_integration_cquad_workspace_free(ws);
  ck_assert_msg(st == 0 && isfinite(v) && e <= 1e-10 * fabs(v) + 1e-300,
                "quadrature: status %d, %g +- %g", st, v, e);
  return v;
}

issim_scenario *scenario_parse_ok(const char *text, const char *file)
{
  issim_error err;
  issim_scenario *s = issim_scenario_parse(text, file, &err);
  ck_assert_msg(s != NULL, "%s: unexpected error: %s\n%.2000s", file, err.message, text);
  ck_assert_int_eq(err.code, ISSIM_OK);
  return s;
}

issim_scenario *scenario_of_text(const char *target, double threshold, const char *proposal)
{
  char text[4096];
  int len = snprintf(text, sizeof text, "[target]\n%s\n[event]\nthreshold = %.17g\n[proposal q]\n%s\n",
                     target, threshold, proposal);
  ck_assert_int_lt(len, (int)sizeof text);
  return scenario_parse_ok(text, "test.ini");
}

issim_run_config run_config_of(const issim_scenario *s, const char *name, uint64_t n,
                               uint64_t seed, int threads)
{
  return (issim_run_config){.samples = n, .seed = seed, .stream = issim_rng_stream_id(name),
                            .rng = s->rng, .threads = threads};
}

void analyse_one(const char *target, double threshold, const char *proposal, uint64_t n,
                 issim_result *r)
{
  issim_scenario *s = scenario_of_text(target, threshold, proposal);
  issim_run_config cfg = run_config_of(s, "q", n, 2024, 2);
  issim_error err;
  int rc = issim_analyse(s, &s->proposals[0], &cfg, 0, r, &err);
  ck_assert_msg(rc == ISSIM_OK, "%s", err.message);
  r->proposal = NULL; /* it points into s */
  issim_scenario_free(s);
}

void shipped_scenario(const char *scenario_dir, const char *build_dir, const char *file,
                      char *path, size_t size)
{
  snprintf(path, size, "%s/%s", scenario_dir, file);
  char *text = slurp(path);
  int built = strstr(text, "loss = plugin") != NULL || strstr(text, "loss = command") != NULL;
  char copies[2048], copy[4096];
  snprintf(copies, sizeof copies, "%s/scenario-copies", build_dir);
  if (built) {
    mkdir(copies, 0755);
    snprintf(copy, sizeof copy, "%s/%s", copies, file);
    write_file(copy, text);
    snprintf(path, size, "%s", copy);
  }
  free(text);
}

outcome run_program(const char *program, const char *const *args)
{
  const char *argv[32] = {program};
  size_t n = 1;
  for (; args[n - 1] != NULL && n < 31; n++)
    argv[n] = args[n - 1];
  argv[n] = NULL;
  return run_capture(argv, 0);
}

int analyse_named(const issim_scenario *s, const char *name, uint64_t n, int threads,
                  issim_result *r, issim_error *err)
{
  const issim_proposal *p = issim_scenario_proposal(s, name);
  ck_assert_msg(p != NULL, "no proposal %s", name);
  issim_run_config cfg = run_config_of(s, name, n, 2024, threads);
  return issim_analyse(s, p, &cfg, 0, r, err);
}

issim_estimate estimate_of_text(const char *text, const char *name, uint64_t n, int threads)
{
  issim_scenario *s = scenario_parse_ok(text, "test.ini");
  issim_result r;
  issim_error err;
  int rc = analyse_named(s, name, n, threads, &r, &err);
  ck_assert_msg(rc == ISSIM_OK, "%s", err.message);
  issim_result_clear(&r);
  issim_scenario_free(s);
  return r.estimate;
}

issim_estimate good_estimate(void)
{
  return (issim_estimate){.samples = 100000, .hits = 50000, .event_ess = 20000, .ess = 5000,
                          .max_weight_share = 1e-4, .mean_weight = 1, .mean_weight_se = 0.01};
}

issim_model *independent_normals(size_t d, const double *mean, const double *sd)
{
  issim_dist *c[8];
  ck_assert_uint_le(d, 8);
  for (size_t j = 0; j < d; j++)
    ck_assert_ptr_nonnull(c[j] = issim_dist_alloc_normal(mean ? mean[j] : 0, sd ? sd[j] : 1, NULL));
  issim_model *m = issim_model_alloc_independent(d, (const issim_dist *const *)c, NULL);
  for (size_t j = 0; j < d; j++)
    issim_dist_free(c[j]);
  ck_assert_ptr_nonnull(m);
  return m;
}

issim_loss *expression_loss(size_t d, const char *f)
{
  issim_error err;
  issim_loss *g = issim_loss_alloc_expression(d, f, &err);
  ck_assert_msg(g != NULL, "%s", err.message);
  return g;
}

/* counting_sum_loss's shared part; each copy's state is its message */
typedef struct {
  double fail_above;
  uint64_t *count;
} counting_sum;

static int counting_sum_eval(const double *x, size_t n, size_t d, double *g, void *state)
{
  const counting_sum *c = state;
  if (c->count)
    __atomic_add_fetch(c->count, (uint64_t)n, __ATOMIC_RELAXED);
  for (size_t i = 0; i < n; i++) {
    if (x[i * d] > c->fail_above)
      return 1;
    double s = 0;
    for (size_t j = 0; j < d; j++)
      s += x[i * d + j];
    g[i] = s;
  }
  return 0;
}

static void counting_sum_release(void *user)
{
  free(user);
}

issim_loss *counting_sum_loss(size_t d, double fail_above, uint64_t *count)
{
  counting_sum *c = malloc(sizeof *c);
  ck_assert_ptr_nonnull(c);
  *c = (counting_sum){.fail_above = fail_above, .count = count};
  issim_loss_function f = {.eval = counting_sum_eval, .user = c, .release = counting_sum_release,
                           .name = "counting sum"};
  issim_error err;
  issim_loss *g = issim_loss_alloc_function(d, &f, &err);
  ck_assert_msg(g != NULL, "%s", err.message);
  return g;
}
