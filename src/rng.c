#include "rng.h"

#include <string.h>

static uint64_t splitmix64(uint64_t z)
{
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

/* MurmurHash3's finaliser: a bijection on 32-bit words. */
static uint32_t fmix32(uint32_t h)
{
  h ^= h >> 16;
  h *= 0x85ebca6bU;
  h ^= h >> 13;
  h *= 0xc2b2ae35U;
  h ^= h >> 16;
  return h;
}

unsigned long issim_rng_block_seed(uint64_t seed, uint64_t stream, uint64_t block)
{
  uint32_t base = (uint32_t)splitmix64(splitmix64(seed) ^ stream);
  return fmix32(base + (uint32_t)block);
}

uint64_t issim_rng_stream_id(const char *name)
{
  uint64_t h = 0xcbf29ce484222325ULL;
  for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
    h ^= *p;
    h *= 0x100000001b3ULL;
  }
  return h;
}

/* Generators GSL keeps for compatibility with old libraries, with their known
 * flaws; issim refuses them rather than print a biased answer.  A name ending
 * in '*' matches every generator it begins; the others match exactly. */
static const char *defect_of(const char *name)
{
  static const struct { const char *pattern, *why; } defective[] = {
    {"rand48", "its low bits repeat with a short period, and GSL's ziggurat normal sampler takes its sign from them"},
    {"rand", "the BSD rand() has poor low bits and a 2^31 period"},
    {"randu", "RANDU fails even simple tests of triples"},
    {"random*", "the BSD random() family is a compatibility generator with correlated low bits"},
    {"r250", "a shift-register generator with known three-point correlations"},
    {"minstd", "a 31-bit linear congruential generator with lattice structure"},
    {"vax", "a 32-bit linear congruential generator with lattice structure"},
    {"transputer", "a 32-bit linear congruential generator with lattice structure"},
    {"uni", "a compatibility generator with a short period"},
    {"uni32", "a compatibility generator with a short period"},
    {"slatec", "a compatibility generator with a short period"},
    {"borosh13", "a 32-bit linear congruential generator with lattice structure"},
    {"coveyou", "a 32-bit linear congruential generator with lattice structure"},
    {"fishman*", "a 31-bit linear congruential generator with lattice structure"},
    {"knuthran", "its original seeding is flawed; knuthran2002 is the corrected version"},
    {"lecuyer21", "a 31-bit linear congruential generator with lattice structure"},
    {"waterman14", "a 32-bit linear congruential generator with lattice structure"},
    {"ran0", "the Park-Miller minimal standard generator, a 31-bit LCG"},
    {"ran1", "a 31-bit LCG with a small shuffle table"},
    {"ranf", "the CRAY 48-bit LCG, whose low bits repeat quickly"},
  };
  for (size_t i = 0; i < sizeof defective / sizeof defective[0]; i++) {
    const char *pattern = defective[i].pattern;
    size_t n = strlen(pattern);
    int match = pattern[n - 1] == '*' ? strncmp(name, pattern, n - 1) == 0
                                      : strcmp(name, pattern) == 0;
    if (match)
      return defective[i].why;
  }
  return NULL;
}

int issim_rng_lookup(const char *name, const gsl_rng_type **type, issim_error *err)
{
  const gsl_rng_type **t = gsl_rng_types_setup();
  for (; *t != NULL; t++) {
    if (strcmp((*t)->name, name) != 0)
      continue;
    const char *why = defect_of(name);
    if (why != NULL)
      return issim_error_set_key(err, ISSIM_EINVAL, "rng",
                                 "generator '%s' is refused: %s; use taus2 (the default), mt19937 or ranlxd1",
                                 name, why);
    *type = *t;
    return ISSIM_OK;
  }
  return issim_error_set_key(err, ISSIM_EINVAL, "rng",
                             "unknown generator '%s'; use a GSL generator name such as taus2 (the default), mt19937, ranlxd1 or ranlxd2",
                             name);
}
