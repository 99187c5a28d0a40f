/* rng.h: random number generators and reproducible block streams.
 *
 * issim cuts every run into fixed blocks of ISSIM_BLOCK_SIZE draws.  Block b of
 * stream s under seed S draws from its own GSL generator seeded with
 *
 *     issim_rng_block_seed(S, s, b) = fmix32(low32(splitmix64(splitmix64(S) ^ s)) + b)
 *
 * where splitmix64 is Steele, Lea & Flood's 64-bit finaliser and fmix32 is
 * MurmurHash3's 32-bit finaliser.  fmix32 is a bijection, so the blocks of one
 * stream never share a seed (up to 2^32 blocks); GSL's generators take only 32
 * bits of seed, which is why the block index is added before, not after, the
 * final mix.  A run's draws therefore depend on (seed, stream, block) only, never
 * on how blocks are spread over threads or processes.
 */
#ifndef ISSIM_RNG_H
#define ISSIM_RNG_H

#include <stdint.h>
#include <gsl/gsl_rng.h>

#include "error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define ISSIM_BLOCK_SIZE 65536u

/* The default generator: gsl_rng_taus2 (L'Ecuyer's maximally equidistributed
 * combined Tausworthe generator, period 2^88, passes the standard batteries and is
 * among GSL's fastest). */
#define ISSIM_RNG_DEFAULT "taus2"

/* Looks up a GSL generator by name ("taus2", "mt19937", "ranlxd1", ...).
 * Unknown names give ISSIM_EINVAL.  Generators with known defects (rand48,
 * rand, random*, r250, the other compatibility generators) are refused with
 * the reason, since their flaws bias rare-event estimates. */
int issim_rng_lookup(const char *name, const gsl_rng_type **type, issim_error *err);

/* The seed of block `block` of stream `stream` (see above). */
unsigned long issim_rng_block_seed(uint64_t seed, uint64_t stream, uint64_t block);

/* A stream identifier from a name (FNV-1a), so that a proposal's draws depend on
 * its name, not on where it stands in the scenario. */
uint64_t issim_rng_stream_id(const char *name);

#ifdef __cplusplus
}
#endif

#endif
