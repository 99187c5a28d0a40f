/* credit.h: portfolio credit risk in the normal copula model, and the
 * Glasserman-Li importance sampler.
 *
 * The book.  n obligors, m systematic factors Z ~ N(0, I_m).  Obligor k has a
 * default probability p_k in (0, 1), an exposure c_k >= 0 (its loss given
 * default) and factor loadings a_k (m values, |a_k|^2 < 1); it defaults when
 * X_k = a_k.Z + b_k e_k > Phi^-1(1 - p_k), e_k ~ N(0, 1) its own,
 * b_k = sqrt(1 - |a_k|^2) (Glasserman and Li's convention; with loadings
 * >= 0 a large Z means many defaults).  Given Z = z the obligors are
 * independent, obligor k defaulting with probability
 *     p_k(z) = Phi((a_k.z + Phi^-1(p_k)) / b_k).
 * The loss is L = sum_k c_k Y_k, Y_k = 1 when k defaults.
 *
 * The law.  A point of the credit model is x = (z_1..z_m, y_1..y_n): the
 * factors and the default indicators, d = m + n coordinates.  Its density
 * (normal in z, a probability mass in y) is
 *     phi(z - mu) prod_k q_k(z)^y_k (1 - q_k(z))^(1 - y_k),
 * where mu is a factor shift (0 for the book itself) and q_k(z) is p_k(z),
 * or, for a law twisted to level x, Glasserman and Li's conditional twist
 *     q_k(z) = p_k(z) e^(theta c_k) / (1 + p_k(z) (e^(theta c_k) - 1)),
 * theta = theta_x(z) >= 0 the root of psi'(theta; z) = x when
 * E[L | z] = psi'(0; z) < x, else 0, where
 *     psi(theta; z) = sum_k log(1 + p_k(z) (e^(theta c_k) - 1))
 * is the conditional cumulant generating function of L.  Such a law draws z
 * first and the defaults given z: its density at x depends on z through
 * theta, and is a function of the point alone, so that log p(x) - log q(x) is
 * the two-step likelihood ratio, -mu.z + |mu|^2/2 - theta L + psi(theta; z)
 * (Glasserman and Li 2005, eq. 21).  theta is capped where theta max c_k
 * would exceed ISSIM_CREDIT_MAX_TWIST: any theta >= 0 gives a valid proposal
 * (its weights use the same theta), the cap only keeps e^(theta c_k) finite.
 * Everything is computed in log space where it matters: log p_k(z) and
 * log(1 - p_k(z)) are exact far into the tails, where p_k(z) underflows.
 *
 * issim_model_alloc_credit (model.h) wraps a law as a model, so that the
 * sampler, the engine and every diagnostic treat it as any other.
 */
#ifndef ISSIM_CREDIT_H
#define ISSIM_CREDIT_H

#include <stddef.h>

#include <gsl/gsl_rng.h>

#include "error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The largest theta max_k c_k a twisted law uses. */
#define ISSIM_CREDIT_MAX_TWIST 600.0

/* Limits of a book read from a file. */
#define ISSIM_CREDIT_MAX_OBLIGORS 1000000
#define ISSIM_CREDIT_MAX_FACTORS 1000

typedef struct {
  size_t n, m;   /* obligors, factors */
  double *p;     /* n default probabilities */
  double *c;     /* n exposures */
  double *a;     /* n x m loadings, obligor by obligor */
  double *h;     /* n: Phi^-1(p_k) */
  double *b;     /* n: sqrt(1 - |a_k|^2) */
  double c_max;  /* the largest exposure */
} issim_credit_book;

/* A book of n obligors on m factors from the arrays (copied): p in (0, 1),
 * c finite and >= 0, |a_k|^2 < 1.  err names the obligor (1-based) and what
 * would be right. */
issim_credit_book *issim_credit_book_alloc(size_t n, size_t m, const double *p, const double *c,
                                           const double *a, issim_error *err);
/* A book from a CSV file: a header row naming the columns p, exposure and
 * a1..am (in any order; other columns are ignored), then a row per obligor;
 * blank lines and lines starting with '#' are skipped.  Errors are
 * "PATH:LINE: what is wrong and what would be right" (ISSIM_EINVAL), or
 * ISSIM_EIO when the file cannot be read. */
issim_credit_book *issim_credit_book_read(const char *path, issim_error *err);
issim_credit_book *issim_credit_book_clone(const issim_credit_book *b);
void issim_credit_book_free(issim_credit_book *b);
/* Do the two books hold the same obligors (the same numbers)? */
int issim_credit_book_equal(const issim_credit_book *x, const issim_credit_book *y);

/* The exact mean and standard deviation of L: E[L] = sum c_k p_k, and
 * Var L from the pairs' joint default probabilities
 * P(Y_j = Y_k = 1) = Phi_2(Phi^-1(p_j), Phi^-1(p_k); a_j.a_k) (O(n^2)
 * bivariate normal probabilities, to about 1e-15).  ISSIM_OK or ISSIM_ENOMEM. */
int issim_credit_loss_moments(const issim_credit_book *b, double *mean, double *sd);

/* The bivariate standard normal P(X < h, Y < k) with correlation r, to about
 * 1e-15 absolute (Genz's algorithm after Drezner and Wesolowsky). */
double issim_credit_bvn(double h, double k, double r);

/* The conditional default probabilities given z (m values): p_k(z) into
 * pz[n], and log p_k(z), log(1 - p_k(z)) into lp[n], lq[n] (either may be
 * NULL); work: n doubles. */
void issim_credit_conditional(const issim_credit_book *b, const double *z, double *pz,
                              double *lp, double *lq, double *work);

/* Glasserman and Li's theta_x(z) for the conditional probabilities pz: 0 when
 * sum c_k pz_k >= x, else the root of psi'(theta) = x (capped, above); the
 * value psi(theta) into *psi. */
double issim_credit_twist(const issim_credit_book *b, const double *pz, double x, double *psi);

/* ---- the laws ---- */

typedef struct issim_credit_law issim_credit_law;

/* The book's law moved by `shift` (m values; NULL: no shift) and twisted to
 * level `twist` (NAN: no twist).  The book is copied. */
issim_credit_law *issim_credit_law_alloc(const issim_credit_book *b, const double *shift,
                                         double twist, issim_error *err);
issim_credit_law *issim_credit_law_clone(const issim_credit_law *l);
void issim_credit_law_free(issim_credit_law *l);

const issim_credit_book *issim_credit_law_book(const issim_credit_law *l);
/* The shift (m values) and the twist level (NAN: none). */
const double *issim_credit_law_shift(const issim_credit_law *l);
double issim_credit_law_twist(const issim_credit_law *l);
size_t issim_credit_law_dim(const issim_credit_law *l);
/* Is the law the book's own (no shift, no twist)? */
int issim_credit_law_is_plain(const issim_credit_law *l);

/* Scratch doubles the calls below need for a batch (any n). */
size_t issim_credit_law_scratch(const issim_credit_law *l);
/* n points of the law into x[n*d]. */
void issim_credit_law_sample(const issim_credit_law *l, gsl_rng *r, size_t n, double *x,
                             double *scratch);
/* The log-density of n points (-INFINITY where a y is not 0 or 1). */
void issim_credit_law_log_pdf(const issim_credit_law *l, size_t n, const double *x, double *lp,
                              double *scratch);
/* n points of q with their log-densities under p and q, in one pass (the
 * conditional probabilities computed once a point): the values
 * issim_credit_law_sample and issim_credit_law_log_pdf give.  p and q must
 * have equal books. */
void issim_credit_law_pair_draw(const issim_credit_law *p, const issim_credit_law *q,
                                gsl_rng *r, size_t n, double *x, double *log_p, double *log_q,
                                double *scratch);
/* E.g. "credit-portfolio(obligors=1000, factors=10)", with the shift and the
 * twist of a proposal. */
int issim_credit_law_describe(const issim_credit_law *l, char *buf, size_t size);

/* ---- Glasserman and Li's factor shift (credit_shift.c) ---- */

/* The maximiser mu (m values) of F_x(z) - |z|^2/2, F_x(z) = -theta_x(z) x +
 * psi(theta_x(z); z) the log of the exponential bound on P(L > x | z) (their
 * eq. 23, the tail-bound approximation of the zero-variance mean), by BFGS
 * from z = 0 with the analytic gradient.  *value (may be NULL) gets the
 * maximum.  ISSIM_EINVAL when the search fails. */
int issim_credit_shift_tail_bound(const issim_credit_book *b, double x, double *mu,
                                  double *value, issim_error *err);

/* ---- the exact one-factor reference (credit_exact.c) ---- */

/* Largest n * sum c_k the exact reference takes on: its recursion costs
 * about a nanosecond per obligor and unit of exposure at each of a few
 * hundred quadrature nodes (1.2 s for 1000 obligors and sum c_k = 11000). */
#define ISSIM_CREDIT_EXACT_MAX_WORK 2e7

/* log P(L > t) for a one-factor book with whole-number exposures: the
 * conditional distribution of L given Z = z by recursion over the obligors
 * (under the twisted probabilities of level t, rescaled, so that no term of
 * the tail underflows), integrated over z by adaptive Gauss-Kronrod
 * quadrature around the integrand's peak, in log space (P = 1e-300 and
 * below).  *rel_err (may be NULL) gets the quadrature's estimate of the
 * relative error.  NAN when m > 1, an exposure is not a whole number, or n
 * sum c_k exceeds ISSIM_CREDIT_EXACT_MAX_WORK; -INFINITY when t >= sum c_k. */
double issim_credit_exact_log_tail(const issim_credit_book *b, double t, double *rel_err);

/* issim_credit_exact_log_tail of the law's book, computed once for the last
 * t asked (a run asks it several times): the law keeps the answer, so that
 * this call, unlike the others on a law, must not run on one law from two
 * threads at once. */
double issim_credit_law_exact_log_tail(const issim_credit_law *l, double t, double *rel_err);

/* The conditional distribution of L given z for a book with whole-number
 * exposures, C = sum c_k: pmf[0..C] (C + 1 values), by the recursion
 * pmf <- (1 - p_k(z)) pmf + p_k(z) pmf shifted by c_k.  For tests and small
 * books; ISSIM_EINVAL when an exposure is not a whole number. */
int issim_credit_conditional_pmf(const issim_credit_book *b, const double *z, double *pmf,
                                 size_t size, issim_error *err);

#ifdef __cplusplus
}
#endif

#endif
