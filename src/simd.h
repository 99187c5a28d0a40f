/* simd.h (internal): helpers for the vectorised hot loops.
 *
 * VECTOR_CLONES compiles a function twice, for AVX2 and for any x86-64; the
 * version for the running CPU is chosen when the library loads.  Results are
 * reproducible on a given machine, whatever the thread count; across CPUs the
 * last bits may differ, as they do for glibc's own exp and log. */
#ifndef ISSIM_SIMD_H
#define ISSIM_SIMD_H

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && defined(__ELF__)
#define VECTOR_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define VECTOR_CLONES
#endif

#endif
