/* parse.h: numbers from text, for the scenario file and the command line.
 *
 * Each parser takes the whole text (surrounding blanks allowed) and returns
 * ISSIM_OK with the value, or ISSIM_EINVAL with a message naming `what` (e.g.
 * "samples") and the valid range, err->key set to `what`.
 */
#ifndef ISSIM_PARSE_H
#define ISSIM_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* 2^48: blocks of 2^16 draws get distinct 32-bit generator seeds up to 2^32
 * blocks (rng.h), so a proposal's draws never repeat within a run. */
#define ISSIM_MAX_SAMPLES 281474976710656.0

/* A finite number (strtod's syntax). */
int issim_parse_number(const char *text, const char *what, double *out, issim_error *err);
/* A finite number, or an infinite one written inf, +inf, -inf, infinity,
 * +infinity or -infinity (any case): a bound that may be absent. */
int issim_parse_bound(const char *text, const char *what, double *out, issim_error *err);
/* A whole number of draws, 2 (a standard error needs two) to ISSIM_MAX_SAMPLES;
 * 1e6 is fine. */
int issim_parse_samples(const char *text, const char *what, uint64_t *out, issim_error *err);
/* A seed, a whole number from 0 to 2^64 - 1, in decimal digits. */
int issim_parse_seed(const char *text, const char *what, uint64_t *out, issim_error *err);
/* An amount of memory in bytes, above 0: a number with an optional suffix
 * k, M, G or T (powers of 1000: 4G = 4e9 bytes). */
int issim_parse_bytes(const char *text, const char *what, double *out, issim_error *err);

/* A threshold list (docs/scenarios.md, several thresholds): values
 * separated by commas (never one between two digits, which would be a
 * decimal comma: refused), each a number or "K sigma", or a range "A .. B" of
 * evenly spaced values from A towards B, both ends in the same unit:
 * "A .. B step S" (A, A + S, ... up to B; S > 0 in that unit, taken towards
 * B), "A .. B count N" (N >= 2 values, both ends included), or "A .. B" alone
 * (ISSIM_LEVELS_DEFAULT_COUNT values).  Values come out in the order
 * written, ranges expanded; at most `max` of them (an error beyond).  The
 * sigma values are left to the caller, who knows the loss's moments. */
#define ISSIM_LEVELS_DEFAULT_COUNT 9

typedef struct {
  double value;
  int sigma;  /* value is in standard deviations of the loss ("K sigma") */
} issim_level_value;

int issim_parse_levels(const char *text, const char *what, issim_level_value *out, size_t max,
                       size_t *n, issim_error *err);

#ifdef __cplusplus
}
#endif

#endif
