/* cluster.c: MPI behind four collective calls, or a single process. */
#include "config.h"

#include "cluster.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The exchange of a world of one: a copy. */
static void *gather_alone(const void *mine, size_t len, size_t *offsets)
{
  offsets[0] = 0;
  offsets[1] = len;
  void *all = malloc(len ? len : 1);
  if (all && len)
    memcpy(all, mine, len);
  return all;
}

#ifdef ISSIM_WITH_MPI

#include <mpi.h>

struct issim_cluster {
  MPI_Comm comm; /* a duplicate of MPI_COMM_WORLD: issim's messages never mix with others' */
  int rank, size;
};

int issim_cluster_available(void)
{
  return 1;
}

/* A process that ends by exit() (e.g. after --help) still finalises MPI, as
 * mpirun expects of every process that started it. */
static void finalize_at_exit(void)
{
  int finalized = 1;
  MPI_Finalized(&finalized);
  if (!finalized)
    MPI_Finalize();
}

issim_cluster *issim_cluster_start(int *argc, char ***argv)
{
  int provided;
  /* only the thread that runs the engine calls MPI, never the OpenMP workers */
  MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided);
  atexit(finalize_at_exit);
  issim_cluster *c = malloc(sizeof *c);
  if (c == NULL) {
    fprintf(stderr, "issim: out of memory starting MPI\n");
    MPI_Abort(MPI_COMM_WORLD, 1);
    return NULL;
  }
  MPI_Comm_dup(MPI_COMM_WORLD, &c->comm);
  MPI_Comm_rank(c->comm, &c->rank);
  MPI_Comm_size(c->comm, &c->size);
  return c;
}

void issim_cluster_stop(issim_cluster *c)
{
  if (c == NULL)
    return;
  MPI_Comm_free(&c->comm);
  free(c);
  MPI_Finalize();
}

int issim_cluster_rank(const issim_cluster *c)
{
  return c ? c->rank : 0;
}

int issim_cluster_size(const issim_cluster *c)
{
  return c ? c->size : 1;
}

int issim_cluster_max(const issim_cluster *c, int v)
{
  if (c == NULL || c->size == 1)
    return v;
  int out;
  MPI_Allreduce(&v, &out, 1, MPI_INT, MPI_MAX, c->comm);
  return out;
}

static void abort_job(const issim_cluster *c, const char *why)
{
  fprintf(stderr, "issim: rank %d: %s: ending the job\n", c->rank, why);
  MPI_Abort(c->comm, 1);
}

void *issim_cluster_allgather(const issim_cluster *c, const void *mine, size_t len,
                              size_t *offsets)
{
  if (c == NULL || c->size == 1)
    return gather_alone(mine, len, offsets);
  /* the lengths first, then the bytes */
  unsigned long long my_len = len;
  unsigned long long *lens = malloc((size_t)c->size * sizeof *lens);
  int *counts = malloc((size_t)c->size * sizeof *counts);
  int *displs = malloc((size_t)c->size * sizeof *displs);
  if (lens == NULL || counts == NULL || displs == NULL)
    abort_job(c, "out of memory exchanging results");
  MPI_Allgather(&my_len, 1, MPI_UNSIGNED_LONG_LONG, lens, 1, MPI_UNSIGNED_LONG_LONG, c->comm);
  offsets[0] = 0;
  for (int r = 0; r < c->size; r++) {
    if (lens[r] > (unsigned long long)INT_MAX - offsets[r])
      abort_job(c, "more than 2 GiB of results in one exchange");
    counts[r] = (int)lens[r];
    displs[r] = (int)offsets[r];
    offsets[r + 1] = offsets[r] + (size_t)lens[r];
  }
  void *all = malloc(offsets[c->size] ? offsets[c->size] : 1);
  if (all == NULL)
    abort_job(c, "out of memory exchanging results");
  MPI_Allgatherv(mine, (int)len, MPI_BYTE, all, counts, displs, MPI_BYTE, c->comm);
  free(lens);
  free(counts);
  free(displs);
  return all;
}

#else /* a single process */

struct issim_cluster {
  int unused;
};

int issim_cluster_available(void)
{
  return 0;
}

issim_cluster *issim_cluster_start(int *argc, char ***argv)
{
  (void)argc;
  (void)argv;
  return NULL;
}

void issim_cluster_stop(issim_cluster *c)
{
  (void)c;
}

int issim_cluster_rank(const issim_cluster *c)
{
  (void)c;
  return 0;
}

int issim_cluster_size(const issim_cluster *c)
{
  (void)c;
  return 1;
}

int issim_cluster_max(const issim_cluster *c, int v)
{
  (void)c;
  return v;
}

void *issim_cluster_allgather(const issim_cluster *c, const void *mine, size_t len,
                              size_t *offsets)
{
  (void)c;
  return gather_alone(mine, len, offsets);
}

#endif
