/* reference.h: the plain-loop yardstick of bench_engine (see reference.c). */
#ifndef ISSIM_BENCH_REFERENCE_H
#define ISSIM_BENCH_REFERENCE_H

#include <stdint.h>

/* Draws per second of the bare loop over `draws` draws (rounded up to its
 * batch of 4096) with seed `seed`; its estimate of P(Z > 5) into *estimate
 * (when not NULL), so that the work cannot be optimised away unseen. */
double issim_reference_rate(uint64_t draws, unsigned long seed, double *estimate);

#endif
