/* credit_impl.h (internal, not installed): what credit.c, credit_exact.c and
 * credit_shift.c share. */
#ifndef ISSIM_CREDIT_IMPL_H
#define ISSIM_CREDIT_IMPL_H

#include "credit.h"

#define ISSIM_INTERNAL __attribute__((visibility("hidden")))

/* A law: its book, the loadings again factor by factor (at[j*n + k], so that
 * the conditional kernel runs over the obligors in vector lanes) and 1/b_k. */
struct issim_credit_law {
  issim_credit_book *book;
  double *at, *inv_b;
  double *shift;  /* m */
  double twist;   /* NAN: none */
  int shifted;    /* some shift is not 0 */
  /* the last exact tail asked for (issim_credit_law_exact_log_tail) */
  int cached;
  double cache_t, cache_log, cache_err;
};

/* at and inv_b of a book (malloc'd, freed by the caller); 0 when out of memory. */
ISSIM_INTERNAL int issim_credit_transpose(const issim_credit_book *b, double **at,
                                          double **inv_b);

/* The conditional kernel with a law's transposed loadings: pz[k] = p_k(z),
 * and, when e is non-NULL, e[k] = min(p_k(z), 1 - p_k(z)) and neg[k] = 1.0
 * when p_k(z) < 1/2 (else 0.0). */
ISSIM_INTERNAL void issim_credit_probabilities(const issim_credit_book *b, const double *at,
                                               const double *inv_b, const double *z, double *pz,
                                               double *e, double *neg);

/* log Phi(u), also far below the smallest double. */
ISSIM_INTERNAL double issim_credit_log_phi_cdf(double u);

#endif
