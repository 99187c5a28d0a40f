/* cluster.h: the processes of a distributed run (MPI), or just this one.
 *
 * issim runs on MPI when built with `./configure --with-mpi`
 * (docs/distributed.md).  This module is the only place that talks to MPI: a
 * run's configuration carries an issim_cluster, and the engine uses the few
 * collective operations below to spread its chunks of blocks over the
 * processes ("ranks") and to merge their results in the canonical order
 * (engine.h).  In a build without MPI, and for a NULL cluster, the same calls
 * describe a single process (rank 0 of 1), so the code above has no #ifdef.
 *
 * Every rank must make the same calls in the same order (they are
 * collective).  The engine calls them from the thread that called
 * issim_engine_run only; OpenMP threads never do (MPI_THREAD_FUNNELED).
 * Buffers are exchanged as bytes: all ranks run the same binary on machines
 * of the same byte order and type sizes (a homogeneous cluster).
 */
#ifndef ISSIM_CLUSTER_H
#define ISSIM_CLUSTER_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The processes of a run; its fields are internal. */
typedef struct issim_cluster issim_cluster;

/* 1 when built with MPI, 0 otherwise. */
int issim_cluster_available(void);

/* Starts MPI (in a build with MPI) and returns the world of processes
 * started together (a process started without mpirun/srun is a world of
 * one), or NULL in a build without MPI.  argc and argv are passed to MPI_Init.
 * A failure to start MPI is fatal, as MPI itself makes it. */
issim_cluster *issim_cluster_start(int *argc, char ***argv);

/* Ends MPI and frees c; c may be NULL. */
void issim_cluster_stop(issim_cluster *c);

/* This process's rank, 0 to size - 1; 0 for NULL. */
int issim_cluster_rank(const issim_cluster *c);

/* The number of processes; 1 for NULL. */
int issim_cluster_size(const issim_cluster *c);

/* Collective: the largest of every rank's v (e.g. an exit status, or "some
 * rank failed").  v itself for a single process. */
int issim_cluster_max(const issim_cluster *c, int v);

/* Collective: every rank contributes `len` bytes at `mine` and receives all
 * ranks' contributions, concatenated in rank order, in a buffer it frees with
 * free(); rank r's bytes are at [offsets[r], offsets[r + 1]) (offsets: size + 1
 * entries, filled here).  Out of memory, or more than 2 GiB in all, ends the
 * whole job (MPI_Abort) rather than leave the other ranks waiting; a single
 * process returns NULL then. */
void *issim_cluster_allgather(const issim_cluster *c, const void *mine, size_t len,
                              size_t *offsets);

#ifdef __cplusplus
}
#endif

#endif
