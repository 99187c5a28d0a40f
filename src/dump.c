#include "dump.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct issim_dump {
  issim_fileio_atomic *file;
  FILE *f;
  size_t d;
  const char *name;      /* the proposal being written */
};

/* Are names[d] usable as columns beside the fixed ones? */
static int names_usable(size_t d, const char *const *names)
{
  static const char *const fixed[] = {"proposal", "draw", "loss", "log_weight", "in_event",
                                      "component"};
  for (size_t j = 0; names != NULL && j < d; j++)
    for (size_t k = 0; k < sizeof fixed / sizeof *fixed; k++)
      if (strcmp(names[j], fixed[k]) == 0)
        return 0;
  return names != NULL;
}

int issim_dump_open(const char *path, size_t d, const char *const *names, issim_dump **out,
                    issim_error *err)
{
  *out = NULL;
  issim_dump *dump = calloc(1, sizeof *dump);
  if (dump == NULL)
    return issim_error_set(err, ISSIM_ENOMEM, "out of memory");
  int rc = issim_fileio_atomic_open(path, &dump->file, err);
  if (rc != ISSIM_OK) {
    free(dump);
    return rc;
  }
  dump->f = issim_fileio_atomic_stream(dump->file);
  dump->d = d;
  errno = 0;
  fputs("proposal,draw", dump->f);
  int named = names_usable(d, names);
  for (size_t j = 0; j < d; j++)
    if (named)
      fprintf(dump->f, ",%s", names[j]);
    else
      fprintf(dump->f, ",x%zu", j + 1);
  fputs(",loss,log_weight,in_event,component\n", dump->f);
  *out = dump;
  return ISSIM_OK;
}

typedef struct {
  issim_dump *dump;
  const issim_problem *pb;
} dump_job;

/* One row a draw; the event is the problem's. */
static int write_batch(void *user, const issim_draws *b, issim_error *err)
{
  const dump_job *job = user;
  const issim_problem *pb = job->pb;
  issim_dump *dump = job->dump;
  FILE *f = dump->f;
  const int above = pb->event.direction == ISSIM_ABOVE;
  const double t = pb->event.threshold;
  for (size_t i = 0; i < b->n; i++) {
    fprintf(f, "%s,%llu", dump->name, (unsigned long long)(b->first + i));
    for (size_t j = 0; j < b->d; j++)
      fprintf(f, ",%.17g", b->x[i * b->d + j]);
    double g = b->g[i];
    int hit = above ? g > t : g < t;
    fprintf(f, ",%.17g,%.17g,%d,", g, b->log_p[i] - b->log_q[i], hit);
    if (b->component)
      fprintf(f, "%.0f", b->component[i] + 1);
    fputc('\n', f);
  }
  if (ferror(f))
    return issim_error_set(err, ISSIM_EIO, "cannot write the draws: %s",
                           errno ? strerror(errno) : "write error");
  return ISSIM_OK;
}

int issim_dump_add(issim_dump *dump, const char *name, const issim_problem *pb,
                   const issim_run_config *cfg, uint64_t n, issim_error *err)
{
  if (issim_problem_dim(pb) != dump->d)
    return issim_error_set(err, ISSIM_EINVAL, "the draws of '%s' have %zu dimensions, the file's "
                           "%zu", name, issim_problem_dim(pb), dump->d);
  dump->name = name;
  dump_job job = {dump, pb};
  return issim_engine_replay(pb, cfg, n, write_batch, &job, err);
}

int issim_dump_close(issim_dump *dump, int discard, issim_error *err)
{
  if (dump == NULL)
    return ISSIM_OK;
  int rc = ISSIM_OK;
  if (discard)
    issim_fileio_atomic_discard(dump->file);
  else
    rc = issim_fileio_atomic_commit(dump->file, err);
  free(dump);
  return rc;
}
