/* simd.h (internal): helpers for the vectorised hot loops.
 *
 * VECTOR_CLONES compiles a function three times, for AVX-512, AVX2 and any
 * x86-64; the version for the running CPU is chosen when the library loads.
 * AVX-512 halves the instructions of the weight loops and calls libmvec's
 * 8-wide exp (measured: 1.4 cycles an exp against 2.2-3.8 for the 4-wide
 * one).  Results are reproducible on a given machine, whatever the thread
 * count; across CPUs the last bits may differ (sums are split over 8, 4 or 2
 * lanes), as they do for glibc's own exp and log.  Valgrind, which has no
 * AVX-512, runs the AVX2 clones. */
#ifndef ISSIM_SIMD_H
#define ISSIM_SIMD_H

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && defined(__ELF__)
#define VECTOR_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define VECTOR_CLONES
#endif

/* Four doubles that the compiler keeps in one AVX2 register (two SSE2
 * registers in the default clone): for kernels whose sums must stay in
 * registers across a loop, which GCC does not do for a local array.  Element-
 * wise IEEE arithmetic, the same as the scalar loop's, so results are the
 * same digits.  Loads and stores through it need 8-byte alignment only.  A
 * GCC extension, which clang shares. */
#if !defined(__GNUC__)
#error "issim's vector kernels need GCC's (or clang's) vector extension"
#endif
typedef double issim_vec4 __attribute__((vector_size(32), aligned(8), may_alias));

#endif
