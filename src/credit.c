/* credit.c: portfolio credit risk in the normal copula model (see credit.h):
 * the book, its CSV file, the loss's moments, the conditional kernel, the
 * twist, and the laws drawn and weighed a point at a time.
 *
 * Hot path (a point of a law): m normals, s = A z over the obligors in
 * vector lanes (loadings factor by factor), p_k(z) from one vector erfc each
 * (libmvec), the twist's root by safeguarded Newton on psi' (a vector exp an
 * obligor an iteration), n uniforms, and one vector log an obligor for the
 * log-probability of the drawn defaults.  The twisted law's log-density
 * differs from the untwisted one's by theta L - psi(theta), which the root
 * finder already has.  Probabilities that underflow (|u| > 37) are taken in
 * log space from GSL's log erfc, a scalar pass over those obligors only. */
#define _POSIX_C_SOURCE 200809L /* getline */
#include "config.h"

#include "credit.h"
#include "credit_impl.h"
#include "simd.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_sf_erf.h>

#include "parse.h"

/* libmvec's vector versions (see estimator.c): exp and log since glibc 2.22,
 * erfc and log1p since 2.35 (HAVE_VECTOR_LOG1P stands for both). */
#pragma omp declare simd notinbranch
double exp(double);
#pragma omp declare simd notinbranch
double log(double);
#ifdef HAVE_VECTOR_LOG1P
#pragma omp declare simd notinbranch
double erfc(double);
#pragma omp declare simd notinbranch
double log1p(double);
#pragma omp declare simd notinbranch
double expm1(double);
#endif

static const double LOG_2PI = 1.8378770664093454836;
static const double SQRT1_2 = 0.70710678118654752440;
static const double PI = 3.14159265358979323846;
static const double LN2 = 0.69314718055994530942;

/* Below this a probability is taken from its logarithm (GSL's log erfc). */
static const double TINY = 1e-290;

/* ---- the book ---- */

void issim_credit_book_free(issim_credit_book *b)
{
  if (b == NULL)
    return;
  free(b->p), free(b->c), free(b->a), free(b->h), free(b->b);
  free(b);
}

static issim_credit_book *book_new(size_t n, size_t m)
{
  issim_credit_book *b = calloc(1, sizeof *b);
  if (b == NULL)
    return NULL;
  *b = (issim_credit_book){.n = n, .m = m, .p = malloc(n * sizeof(double)),
                           .c = malloc(n * sizeof(double)),
                           .a = malloc((n * m > 0 ? n * m : 1) * sizeof(double)),
                           .h = malloc(n * sizeof(double)), .b = malloc(n * sizeof(double))};
  if (!(b->p && b->c && b->a && b->h && b->b)) {
    issim_credit_book_free(b);
    return NULL;
  }
  return b;
}

/* The checks of one obligor: NULL when fine, else what is wrong, in buf. */
static const char *obligor_fault(size_t m, double p, double c, const double *a, char *buf,
                                 size_t size)
{
  if (!(p > 0 && p < 1)) {
    snprintf(buf, size, "p must be a default probability strictly between 0 and 1 (got %g)", p);
    return buf;
  }
  if (!(c >= 0) || !isfinite(c)) {
    snprintf(buf, size, "exposure must be a finite number >= 0, the loss if the obligor "
                        "defaults (got %g)", c);
    return buf;
  }
  double s = 0;
  for (size_t j = 0; j < m; j++) {
    if (!isfinite(a[j])) {
      snprintf(buf, size, "loading a%zu must be finite (got %g)", j + 1, a[j]);
      return buf;
    }
    s += a[j] * a[j];
  }
  if (!(s < 1)) {
    snprintf(buf, size, "the loadings' squares sum to %.10g, which must be below 1 (the "
                        "obligor's own risk has sd sqrt(1 - sum a_j^2)); scale them down",
             s);
    return buf;
  }
  return NULL;
}

static void derive(issim_credit_book *b, size_t k)
{
  double s = 0;
  for (size_t j = 0; j < b->m; j++)
    s += b->a[k * b->m + j] * b->a[k * b->m + j];
  b->h[k] = gsl_cdf_ugaussian_Pinv(b->p[k]);
  b->b[k] = sqrt(1 - s);
}

issim_credit_book *issim_credit_book_alloc(size_t n, size_t m, const double *p, const double *c,
                                           const double *a, issim_error *err)
{
  if (n == 0 || m == 0) {
    issim_error_set(err, ISSIM_EINVAL, "a credit book needs at least one obligor and one "
                                       "factor (got %zu and %zu)", n, m);
    return NULL;
  }
  char why[256];
  for (size_t k = 0; k < n; k++)
    if (obligor_fault(m, p[k], c[k], a + k * m, why, sizeof why)) {
      issim_error_set(err, ISSIM_EINVAL, "obligor %zu: %s", k + 1, why);
      return NULL;
    }
  issim_credit_book *b = book_new(n, m);
  if (b == NULL) {
    issim_error_set(err, ISSIM_ENOMEM, "out of memory for a book of %zu obligors", n);
    return NULL;
  }
  memcpy(b->p, p, n * sizeof *p);
  memcpy(b->c, c, n * sizeof *c);
  memcpy(b->a, a, n * m * sizeof *a);
  for (size_t k = 0; k < n; k++) {
    derive(b, k);
    b->c_max = fmax(b->c_max, c[k]);
  }
  return b;
}

issim_credit_book *issim_credit_book_clone(const issim_credit_book *src)
{
  return issim_credit_book_alloc(src->n, src->m, src->p, src->c, src->a, NULL);
}

int issim_credit_book_equal(const issim_credit_book *x, const issim_credit_book *y)
{
  return x == y || (x->n == y->n && x->m == y->m && memcmp(x->p, y->p, x->n * sizeof *x->p) == 0 &&
                    memcmp(x->c, y->c, x->n * sizeof *x->c) == 0 &&
                    memcmp(x->a, y->a, x->n * x->m * sizeof *x->a) == 0);
}

/* ---- the CSV file ---- */

typedef struct {
  const char *path;
  FILE *f;
  char *line;
  size_t cap;
  int lineno;
  int col_p, col_c, *col_a; /* field index of each column, -1: absent */
  size_t ncols, m;
  size_t n, room;           /* rows read, room in the arrays */
  double *p, *c, *a;
  issim_error *err;
} csv_reader;

/* The next line that is not blank or a comment, trailing newline removed; 0 at the end. */
static int next_line(csv_reader *r)
{
  while (getline(&r->line, &r->cap, r->f) >= 0) {
    r->lineno++;
    size_t len = strcspn(r->line, "\r\n");
    r->line[len] = '\0';
    const char *s = r->line;
    while (isspace((unsigned char)*s))
      s++;
    if (*s != '\0' && *s != '#')
      return 1;
  }
  return 0;
}

/* The fields of the current line, split at commas in place and trimmed. */
static size_t split_fields(char *line, char **fields, size_t max)
{
  size_t n = 0;
  for (char *s = line;; s++) {
    char *end = strchr(s, ',');
    if (end)
      *end = '\0';
    while (isspace((unsigned char)*s))
      s++;
    size_t len = strlen(s);
    while (len > 0 && isspace((unsigned char)s[len - 1]))
      s[--len] = '\0';
    if (n < max)
      fields[n] = s;
    n++;
    if (end == NULL)
      return n;
    s = end;
  }
}

static int csv_fail(csv_reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int csv_fail(csv_reader *r, const char *fmt, ...)
{
  char msg[768];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return issim_error_set(r->err, ISSIM_EINVAL, "%s:%d: %s", r->path, r->lineno, msg);
}

/* "a12" -> 12; 0 for any other name. */
static size_t loading_index(const char *name)
{
  if (name[0] != 'a' || !isdigit((unsigned char)name[1]))
    return 0;
  char *end;
  errno = 0;
  unsigned long j = strtoul(name + 1, &end, 10);
  return *end == '\0' && errno == 0 && j <= ISSIM_CREDIT_MAX_FACTORS ? (size_t)j : 0;
}

#define MAX_COLUMNS 4096

static int read_header(csv_reader *r)
{
  if (!next_line(r))
    return issim_error_set(r->err, ISSIM_EINVAL, "%s:%d: the book is empty; it needs a header "
                                                 "row naming the columns p, exposure and a1..am, "
                                                 "then a row per obligor", r->path, r->lineno);
  char *f[MAX_COLUMNS];
  size_t nf = split_fields(r->line, f, MAX_COLUMNS);
  if (nf > MAX_COLUMNS)
    return csv_fail(r, "the header has more than %d columns", MAX_COLUMNS);
  r->ncols = nf;
  r->col_p = r->col_c = -1;
  size_t m = 0;
  for (size_t i = 0; i < nf; i++)
    if (loading_index(f[i]) > m)
      m = loading_index(f[i]);
  r->m = m;
  r->col_a = malloc((m ? m : 1) * sizeof *r->col_a);
  if (r->col_a == NULL)
    return issim_error_set(r->err, ISSIM_ENOMEM, "out of memory");
  for (size_t j = 0; j < m; j++)
    r->col_a[j] = -1;
  for (size_t i = 0; i < nf; i++) {
    int *slot = strcmp(f[i], "p") == 0 ? &r->col_p : strcmp(f[i], "exposure") == 0 ? &r->col_c
              : loading_index(f[i]) ? &r->col_a[loading_index(f[i]) - 1] : NULL;
    if (slot && *slot >= 0)
      return csv_fail(r, "column '%s' appears twice in the header", f[i]);
    if (slot)
      *slot = (int)i;
  }
  if (r->col_p < 0 || r->col_c < 0 || m == 0)
    return csv_fail(r, "the header must name the columns p, exposure and the loadings a1..am "
                       "(got '%s' and what follows)", f[0]);
  for (size_t j = 0; j < m; j++)
    if (r->col_a[j] < 0)
      return csv_fail(r, "the loadings must be a1..am without a gap: a%zu is missing", j + 1);
  return ISSIM_OK;
}

static int grow(csv_reader *r)
{
  size_t room = r->room ? 2 * r->room : 256;
  double *p = realloc(r->p, room * sizeof *p);
  if (p)
    r->p = p;
  double *c = p ? realloc(r->c, room * sizeof *c) : NULL;
  if (c)
    r->c = c;
  double *a = c ? realloc(r->a, room * r->m * sizeof *a) : NULL;
  if (a)
    r->a = a;
  if (a == NULL)
    return issim_error_set(r->err, ISSIM_ENOMEM, "out of memory for the book");
  r->room = room;
  return ISSIM_OK;
}

static int read_field(csv_reader *r, char *text, const char *name, double *out)
{
  if (issim_parse_number(text, name, out, NULL) == ISSIM_OK)
    return ISSIM_OK;
  return csv_fail(r, "%s is '%.400s', not a number", name, text);
}

static int read_row(csv_reader *r)
{
  char *f[MAX_COLUMNS];
  size_t nf = split_fields(r->line, f, MAX_COLUMNS);
  if (nf != r->ncols)
    return csv_fail(r, "%zu fields, but the header has %zu columns", nf, r->ncols);
  if (r->n == ISSIM_CREDIT_MAX_OBLIGORS)
    return csv_fail(r, "more than %d obligors", ISSIM_CREDIT_MAX_OBLIGORS);
  if (r->n == r->room && grow(r) != ISSIM_OK)
    return ISSIM_ENOMEM;
  size_t k = r->n, m = r->m;
  int rc = read_field(r, f[r->col_p], "p", &r->p[k]);
  if (rc == ISSIM_OK)
    rc = read_field(r, f[r->col_c], "exposure", &r->c[k]);
  for (size_t j = 0; rc == ISSIM_OK && j < m; j++) {
    char name[32];
    snprintf(name, sizeof name, "a%zu", j + 1);
    rc = read_field(r, f[r->col_a[j]], name, &r->a[k * m + j]);
  }
  char why[256];
  if (rc == ISSIM_OK && obligor_fault(m, r->p[k], r->c[k], r->a + k * m, why, sizeof why))
    return csv_fail(r, "%s", why);
  r->n += rc == ISSIM_OK;
  return rc;
}

issim_credit_book *issim_credit_book_read(const char *path, issim_error *err)
{
  csv_reader r = {.path = path, .err = err};
  r.f = fopen(path, "r");
  if (r.f == NULL) {
    issim_error_set(err, ISSIM_EIO, "%s: cannot open the book of obligors: %s", path,
                    strerror(errno));
    return NULL;
  }
  int rc = read_header(&r);
  while (rc == ISSIM_OK && next_line(&r))
    rc = read_row(&r);
  if (rc == ISSIM_OK && ferror(r.f))
    rc = issim_error_set(err, ISSIM_EIO, "%s: cannot read the book: %s", path, strerror(errno));
  if (rc == ISSIM_OK && r.n == 0)
    rc = issim_error_set(err, ISSIM_EINVAL, "%s:%d: the book has a header but no obligor; add a "
                                            "row per obligor", path, r.lineno);
  issim_credit_book *b = NULL;
  if (rc == ISSIM_OK && !(b = issim_credit_book_alloc(r.n, r.m, r.p, r.c, r.a, err)))
    rc = ISSIM_ENOMEM;
  fclose(r.f);
  free(r.line), free(r.col_a), free(r.p), free(r.c), free(r.a);
  return b;
}

/* ---- the loss's moments ---- */

/* Gauss-Legendre half-rules of 6, 12 and 20 points (nodes in (-1, 0)). */
static const double GL_W[3][10] = {
  {0.1713244923791705, 0.3607615730481384, 0.4679139345726904},
  {0.04717533638651177, 0.1069393259953183, 0.1600783285433464, 0.2031674267230659,
   0.2334925365383547, 0.2491470458134029},
  {0.01761400713915212, 0.04060142980038694, 0.06267204833410906, 0.08327674157670475,
   0.1019301198172404, 0.1181945319615184, 0.1316886384491766, 0.1420961093183821,
   0.1491729864726037, 0.1527533871307259}};
static const double GL_X[3][10] = {
  {-0.9324695142031522, -0.6612093864662647, -0.2386191860831970},
  {-0.9815606342467191, -0.9041172563704750, -0.7699026741943050, -0.5873179542866171,
   -0.3678314989981802, -0.1252334085114692},
  {-0.9931285991850949, -0.9639719272779138, -0.9122344282513259, -0.8391169718222188,
   -0.7463319064601508, -0.6360536807265150, -0.5108670019508271, -0.3737060887154196,
   -0.2277858511416451, -0.07652652113349733}};

/* P(X > h, Y > k) - P(X > h) P(Y > k) for |r| < 0.925: the integral of
 * Drezner and Wesolowsky's formula over asin r, as Genz computes it. */
static double bvn_excess(double h, double k, double r)
{
  int ng = fabs(r) < 0.3 ? 0 : fabs(r) < 0.75 ? 1 : 2, lg = ng == 0 ? 3 : ng == 1 ? 6 : 10;
  double hk = h * k, hs = (h * h + k * k) / 2, asr = asin(r), s = 0;
  for (int i = 0; i < lg; i++) {
    double sn = sin(asr * (GL_X[ng][i] + 1) / 2);
    s += GL_W[ng][i] * exp((sn * hk - hs) / (1 - sn * sn));
    sn = sin(asr * (-GL_X[ng][i] + 1) / 2);
    s += GL_W[ng][i] * exp((sn * hk - hs) / (1 - sn * sn));
  }
  return s * asr / (4 * PI);
}

/* P(X > h, Y > k) for |r| >= 0.925 (Genz's BVND, its second branch). */
static double bvn_high(double h, double k, double r)
{
  double hk = h * k, bvn = 0;
  if (r < 0)
    k = -k, hk = -hk;
  if (fabs(r) < 1) {
    double as = (1 - r) * (1 + r), a = sqrt(as), bs = (h - k) * (h - k);
    double c = (4 - hk) / 8, d = (12 - hk) / 16, asr = -(bs / as + hk) / 2;
    if (asr > -100)
      bvn = a * exp(asr) * (1 - c * (bs - as) * (1 - d * bs / 5) / 3 + c * d * as * as / 5);
    if (-hk < 100) {
      double b = sqrt(bs);
      bvn -= exp(-hk / 2) * sqrt(2 * PI) * gsl_cdf_ugaussian_P(-b / a) * b *
             (1 - c * bs * (1 - d * bs / 5) / 3);
    }
    a /= 2;
    for (int i = 0; i < 10; i++)
      for (int is = -1; is <= 1; is += 2) {
        double xs = a * (is * GL_X[2][i] + 1);
        xs *= xs;
        double rs = sqrt(1 - xs);
        asr = -(bs / xs + hk) / 2;
        if (asr > -100)
          bvn += a * GL_W[2][i] * exp(asr) *
                 (exp(-hk * (1 - rs) / (2 * (1 + rs))) / rs - (1 + c * xs * (1 + d * xs)));
      }
    bvn = -bvn / (2 * PI);
  }
  if (r > 0)
    return bvn + gsl_cdf_ugaussian_P(-fmax(h, k));
  bvn = -bvn;
  if (k > h)
    bvn += h < 0 ? gsl_cdf_ugaussian_P(k) - gsl_cdf_ugaussian_P(h)
                 : gsl_cdf_ugaussian_P(-h) - gsl_cdf_ugaussian_P(-k);
  return bvn;
}

double issim_credit_bvn(double h, double k, double r)
{
  if (fabs(r) < 0.925)
    return bvn_excess(-h, -k, r) + gsl_cdf_ugaussian_P(h) * gsl_cdf_ugaussian_P(k);
  return bvn_high(-h, -k, r);
}

/* Cov(Y_j, Y_k) = Phi_2(h_j, h_k; r) - p_j p_k, without the cancellation for
 * small r. */
static double default_covariance(const issim_credit_book *b, size_t j, size_t k, double r)
{
  if (fabs(r) < 0.925)
    return bvn_excess(-b->h[j], -b->h[k], r);
  return bvn_high(-b->h[j], -b->h[k], r) - b->p[j] * b->p[k];
}

int issim_credit_loss_moments(const issim_credit_book *b, double *mean, double *sd)
{
  const size_t n = b->n, m = b->m;
  double mu = 0, var = 0;
  for (size_t k = 0; k < n; k++) {
    mu += b->c[k] * b->p[k];
    var += b->c[k] * b->c[k] * b->p[k] * (1 - b->p[k]);
  }
  double cross = 0;
  for (size_t j = 0; j < n; j++) {
    if (b->c[j] == 0)
      continue;
    double row = 0;
    for (size_t k = j + 1; k < n; k++) {
      if (b->c[k] == 0)
        continue;
      double r = 0;
      for (size_t i = 0; i < m; i++)
        r += b->a[j * m + i] * b->a[k * m + i];
      if (r != 0)
        row += b->c[k] * default_covariance(b, j, k, r);
    }
    cross += b->c[j] * row;
  }
  *mean = mu;
  *sd = sqrt(fmax(var + 2 * cross, 0));
  return ISSIM_OK;
}

/* ---- the conditional kernel ---- */

int issim_credit_transpose(const issim_credit_book *b, double **at, double **inv_b)
{
  const size_t n = b->n, m = b->m;
  *at = malloc(n * m * sizeof **at);
  *inv_b = malloc(n * sizeof **inv_b);
  if (*at == NULL || *inv_b == NULL) {
    free(*at), free(*inv_b);
    *at = *inv_b = NULL;
    return 0;
  }
  for (size_t k = 0; k < n; k++) {
    (*inv_b)[k] = 1 / b->b[k];
    for (size_t j = 0; j < m; j++)
      (*at)[j * n + k] = b->a[k * m + j];
  }
  return 1;
}

double issim_credit_log_phi_cdf(double u)
{
  if (u > -30)
    return log(gsl_cdf_ugaussian_P(u));
  return gsl_sf_log_erfc(-u * SQRT1_2) - LN2;
}

/* e[k] = Phi(-|u_k|) and neg[k], the standardised arguments already in pz.
 * No comparison in the loop: GCC does not vectorise a loop with a call and
 * a condition. */
VECTOR_CLONES
static void tails(size_t n, double *restrict pz, double *restrict e, double *restrict neg)
{
#pragma omp simd
  for (size_t k = 0; k < n; k++) {
    const double u = pz[k], s = 0.5 - 0.5 * copysign(1.0, u);
    const double t = 0.5 * erfc(fabs(u) * SQRT1_2);
    e[k] = t;
    neg[k] = s;
    pz[k] = s * t + (1 - s) * (1 - t);
  }
}

VECTOR_CLONES
static void arguments(size_t n, size_t m, const double *restrict h, const double *restrict at,
                      const double *restrict inv_b, const double *restrict z, double *restrict u)
{
#pragma omp simd
  for (size_t k = 0; k < n; k++)
    u[k] = h[k];
  for (size_t j = 0; j < m; j++) {
    const double zj = z[j], *aj = at + j * n;
#pragma omp simd
    for (size_t k = 0; k < n; k++)
      u[k] += aj[k] * zj;
  }
#pragma omp simd
  for (size_t k = 0; k < n; k++)
    u[k] *= inv_b[k];
}

void issim_credit_probabilities(const issim_credit_book *b, const double *at,
                                const double *inv_b, const double *z, double *pz, double *e,
                                double *neg)
{
  arguments(b->n, b->m, b->h, at, inv_b, z, pz);
  if (e == NULL) {
    for (size_t k = 0; k < b->n; k++)
      pz[k] = gsl_cdf_ugaussian_P(pz[k]);
    return;
  }
  tails(b->n, pz, e, neg);
}

void issim_credit_conditional(const issim_credit_book *b, const double *z, double *pz,
                              double *lp, double *lq, double *work)
{
  double *at, *inv_b;
  if (!issim_credit_transpose(b, &at, &inv_b)) { /* rare: the scalar way */
    for (size_t k = 0; k < b->n; k++) {
      double u = b->h[k];
      for (size_t j = 0; j < b->m; j++)
        u += b->a[k * b->m + j] * z[j];
      work[k] = u / b->b[k];
    }
  } else {
    arguments(b->n, b->m, b->h, at, inv_b, z, work);
  }
  free(at), free(inv_b);
  for (size_t k = 0; k < b->n; k++) {
    const double u = work[k];
    pz[k] = gsl_cdf_ugaussian_P(u);
    if (lp)
      lp[k] = issim_credit_log_phi_cdf(u);
    if (lq)
      lq[k] = issim_credit_log_phi_cdf(-u);
  }
}

/* ---- the twist ---- */

/* psi'(theta) within this relative distance of x ends the root's search:
 * any theta gives a valid proposal, the root only its efficiency. */
#define TWIST_TOL 1e-9

/* psi'(theta) = sum c_k q_k and psi''(theta) = sum c_k^2 q_k (1 - q_k). */
VECTOR_CLONES
static void twist_moments(size_t n, const double *restrict c, const double *restrict pz,
                          double theta, double *d1, double *d2)
{
  double s1 = 0, s2 = 0;
#pragma omp simd reduction(+ : s1, s2)
  for (size_t k = 0; k < n; k++) {
    const double t = exp(theta * c[k]), p = pz[k];
    const double q = p * t / (1 + p * (t - 1));
    s1 += c[k] * q;
    s2 += c[k] * c[k] * q * (1 - q);
  }
  *d1 = s1, *d2 = s2;
}

VECTOR_CLONES
static double twist_cgf(size_t n, const double *restrict c, const double *restrict pz,
                        double theta)
{
  double s = 0;
#ifdef HAVE_VECTOR_LOG1P
#pragma omp simd reduction(+ : s)
#endif
  for (size_t k = 0; k < n; k++)
    s += log1p(pz[k] * expm1(theta * c[k]));
  return s;
}

/* psi'(0) = sum c_k p_k and psi''(0) = sum c_k^2 p_k (1 - p_k). */
VECTOR_CLONES
static void plain_moments(size_t n, const double *restrict c, const double *restrict pz,
                          double *d1, double *d2)
{
  double s1 = 0, s2 = 0;
#pragma omp simd reduction(+ : s1, s2)
  for (size_t k = 0; k < n; k++) {
    s1 += c[k] * pz[k];
    s2 += c[k] * c[k] * pz[k] * (1 - pz[k]);
  }
  *d1 = s1, *d2 = s2;
}

/* Safeguarded Newton on psi'(theta) = x from theta = 0, within [0, cap]: a
 * step that leaves the bracket of the root bisects it instead.  A level
 * out of reach ends at the cap. */
double issim_credit_twist(const issim_credit_book *b, const double *pz, double x, double *psi)
{
  const size_t n = b->n;
  double d1, d2;
  plain_moments(n, b->c, pz, &d1, &d2);
  *psi = 0;
  if (!(d1 < x) || !(b->c_max > 0) || !(d2 > 0))
    return 0;
  double lo = 0, hi = ISSIM_CREDIT_MAX_TWIST / b->c_max, theta = (x - d1) / d2;
  for (int it = 0; it < 200; it++) {
    if (!(theta > lo && theta < hi))
      theta = 0.5 * (lo + hi);
    twist_moments(n, b->c, pz, theta, &d1, &d2);
    if (d1 < x)
      lo = theta;
    else
      hi = theta;
    if (fabs(d1 - x) <= TWIST_TOL * x || hi - lo <= 1e-14 * hi)
      break;
    theta -= (d1 - x) / d2;
  }
  *psi = twist_cgf(n, b->c, pz, theta);
  return theta;
}

/* ---- the laws ---- */

void issim_credit_law_free(issim_credit_law *l)
{
  if (l == NULL)
    return;
  issim_credit_book_free(l->book);
  free(l->at), free(l->inv_b), free(l->shift);
  free(l);
}

issim_credit_law *issim_credit_law_alloc(const issim_credit_book *b, const double *shift,
                                         double twist, issim_error *err)
{
  for (size_t j = 0; shift && j < b->m; j++)
    if (!isfinite(shift[j])) {
      issim_error_set_key(err, ISSIM_EINVAL, "shift", "shift entry %zu must be finite (got %g)",
                          j + 1, shift[j]);
      return NULL;
    }
  if (!isnan(twist) && !isfinite(twist)) {
    issim_error_set_key(err, ISSIM_EINVAL, "twist", "the twist level must be finite (got %g)",
                        twist);
    return NULL;
  }
  issim_credit_law *l = calloc(1, sizeof *l);
  if (l != NULL) {
    l->twist = twist;
    l->book = issim_credit_book_clone(b);
    l->shift = calloc(b->m, sizeof *l->shift);
  }
  if (l == NULL || l->book == NULL || l->shift == NULL ||
      !issim_credit_transpose(b, &l->at, &l->inv_b)) {
    issim_credit_law_free(l);
    issim_error_set(err, ISSIM_ENOMEM, "out of memory for a credit law");
    return NULL;
  }
  for (size_t j = 0; shift && j < b->m; j++) {
    l->shift[j] = shift[j];
    l->shifted |= shift[j] != 0;
  }
  return l;
}

issim_credit_law *issim_credit_law_clone(const issim_credit_law *l)
{
  return issim_credit_law_alloc(l->book, l->shift, l->twist, NULL);
}

const issim_credit_book *issim_credit_law_book(const issim_credit_law *l)
{
  return l->book;
}

const double *issim_credit_law_shift(const issim_credit_law *l)
{
  return l->shift;
}

double issim_credit_law_twist(const issim_credit_law *l)
{
  return l->twist;
}

size_t issim_credit_law_dim(const issim_credit_law *l)
{
  return l->book->m + l->book->n;
}

int issim_credit_law_is_plain(const issim_credit_law *l)
{
  return !l->shifted && isnan(l->twist);
}

/* The per-point arrays (point_work): 5 n doubles. */
size_t issim_credit_law_scratch(const issim_credit_law *l)
{
  return 5 * l->book->n;
}

/* Per-point work, n doubles each: p_k(z), its smaller tail e_k and the flag
 * neg_k (see issim_credit_probabilities), the twisted probabilities q_k of
 * the law drawn, and outcome_sum's marks. */
typedef struct {
  double *pz, *e, *neg, *h, *v;
} point_work;

static point_work work_of(const issim_credit_law *l, double *scratch)
{
  const size_t n = l->book->n;
  return (point_work){scratch, scratch + n, scratch + 2 * n, scratch + 3 * n, scratch + 4 * n};
}

/* log phi_m(z - mu) */
static double log_normal_part(const issim_credit_law *l, const double *z)
{
  double s = 0;
  for (size_t j = 0; j < l->book->m; j++) {
    const double t = z[j] - l->shift[j];
    s += t * t;
  }
  return -0.5 * ((double)l->book->m * LOG_2PI + s);
}

/* The conditional probabilities of the point z. */
static void conditional_of(const issim_credit_law *l, const double *z, point_work *w)
{
  issim_credit_probabilities(l->book, l->at, l->inv_b, z, w->pz, w->e, w->neg);
}

/* sum_k log P(Y_k = y_k | z), untwisted, L = sum c_k y_k, and the number of
 * y_k neither 0 nor 1.  The outcome's probability is e_k when it is the
 * smaller one (a default of a p_k(z) < 1/2, or a survival of a larger one),
 * else 1 - e_k: a vector log each.  Those below TINY are marked in v and left
 * out (log(val + 1) ~ 0), for tiny_outcomes. */
VECTOR_CLONES
static double outcome_sum(size_t n, const double *restrict c, const double *restrict y,
                          const double *restrict e, const double *restrict neg,
                          double *restrict v, double *loss, double *bad, double *tiny)
{
  double s = 0, l = 0, nb = 0, count = 0;
#pragma omp simd reduction(+ : l, nb, count)
  for (size_t k = 0; k < n; k++) {
    const double small = 1 - fabs(y[k] - neg[k]);
    v[k] = small * (e[k] < TINY ? 1.0 : 0.0);
    count += v[k];
    l += c[k] * y[k];
    nb += y[k] != 0 && y[k] != 1 ? 1.0 : 0.0;
  }
#pragma omp simd reduction(+ : s)
  for (size_t k = 0; k < n; k++) {
    const double small = 1 - fabs(y[k] - neg[k]);
    s += log(small * e[k] + (1 - small) * (1 - e[k]) + v[k]);
  }
  *loss = l, *bad = nb, *tiny = count;
  return s;
}

/* The logs outcome_sum left out (v[k] = 1), from GSL's log erfc. */
static double tiny_outcomes(const issim_credit_law *l, const double *z, const double *v)
{
  const issim_credit_book *b = l->book;
  double s = 0;
  for (size_t k = 0; k < b->n; k++) {
    if (v[k] == 0)
      continue;
    double u = b->h[k];
    for (size_t j = 0; j < b->m; j++)
      u += b->a[k * b->m + j] * z[j];
    s += issim_credit_log_phi_cdf(-fabs(u / b->b[k]));
  }
  return s;
}

/* The log-probability of the outcomes y given z, untwisted, with L;
 * -INFINITY when a y_k is neither 0 nor 1. */
static double outcomes_log(const issim_credit_law *l, const double *z, const double *y,
                           point_work *w, double *loss)
{
  double bad, tiny;
  double s = outcome_sum(l->book->n, l->book->c, y, w->e, w->neg, w->v, loss, &bad, &tiny);
  if (bad > 0)
    return -INFINITY;
  return tiny > 0 ? s + tiny_outcomes(l, z, w->v) : s;
}

/* The twist's term of the log-density, theta L - psi, given pz. */
static double twist_term(const issim_credit_law *l, const double *pz, double loss)
{
  if (isnan(l->twist))
    return 0;
  double psi, theta = issim_credit_twist(l->book, pz, l->twist, &psi);
  return theta == 0 ? 0 : theta * loss - psi;
}

void issim_credit_law_log_pdf(const issim_credit_law *l, size_t n, const double *x, double *lp,
                              double *scratch)
{
  const size_t d = issim_credit_law_dim(l), m = l->book->m;
  point_work w = work_of(l, scratch);
  for (size_t i = 0; i < n; i++) {
    const double *z = x + i * d;
    double loss;
    conditional_of(l, z, &w);
    double o = outcomes_log(l, z, z + m, &w, &loss);
    lp[i] = isinf(o) ? o : log_normal_part(l, z) + o + twist_term(l, w.pz, loss);
  }
}

/* The probabilities twisted by theta > 0 into q[k], p_k e^(theta c_k) /
 * (1 + p_k (e^(theta c_k) - 1)); returns psi, the sum of the logs of the
 * denominators. */
VECTOR_CLONES
static double twisted(size_t n, const double *restrict c, const double *restrict pz,
                      double theta, double *restrict q)
{
  double psi = 0;
#ifdef HAVE_VECTOR_LOG1P
#pragma omp simd reduction(+ : psi)
#endif
  for (size_t k = 0; k < n; k++) {
    const double t1 = expm1(theta * c[k]), den = 1 + pz[k] * t1;
    psi += log1p(pz[k] * t1);
    q[k] = pz[k] * (t1 + 1) / den;
  }
  return psi;
}

/* The defaults: y_k = 1 when a uniform falls below q_k. */
static void draw_defaults(size_t n, gsl_rng *r, const double *restrict q, double *restrict y)
{
  for (size_t k = 0; k < n; k++)
    y[k] = gsl_rng_uniform(r) < q[k] ? 1.0 : 0.0;
}

/* One point of q into x: z, then the defaults given z; its log-densities
 * under q and, when p is not NULL, under p (the same book). */
static void draw_point(const issim_credit_law *p, const issim_credit_law *q, gsl_rng *r,
                       double *x, double *log_p, double *log_q, point_work *w)
{
  const issim_credit_book *b = q->book;
  for (size_t j = 0; j < b->m; j++)
    x[j] = q->shift[j] + gsl_ran_gaussian_ziggurat(r, 1.0);
  conditional_of(q, x, w);
  double unused, theta = isnan(q->twist) ? 0 : issim_credit_twist(b, w->pz, q->twist, &unused);
  double psi = theta > 0 ? twisted(b->n, b->c, w->pz, theta, w->h) : 0;
  draw_defaults(b->n, r, theta > 0 ? w->h : w->pz, x + b->m);
  if (log_q == NULL)
    return;
  double loss;
  double o = outcomes_log(q, x, x + b->m, w, &loss);
  *log_q = log_normal_part(q, x) + o + (theta == 0 ? 0 : theta * loss - psi);
  if (p)
    *log_p = log_normal_part(p, x) + o + twist_term(p, w->pz, loss);
}

void issim_credit_law_sample(const issim_credit_law *l, gsl_rng *r, size_t n, double *x,
                             double *scratch)
{
  point_work w = work_of(l, scratch);
  const size_t d = issim_credit_law_dim(l);
  for (size_t i = 0; i < n; i++)
    draw_point(NULL, l, r, x + i * d, NULL, NULL, &w);
}

void issim_credit_law_pair_draw(const issim_credit_law *p, const issim_credit_law *q,
                                gsl_rng *r, size_t n, double *x, double *log_p, double *log_q,
                                double *scratch)
{
  point_work w = work_of(q, scratch);
  const size_t d = issim_credit_law_dim(q);
  for (size_t i = 0; i < n; i++)
    draw_point(p, q, r, x + i * d, log_p + i, log_q + i, &w);
}

int issim_credit_law_describe(const issim_credit_law *l, char *buf, size_t size)
{
  const issim_credit_book *b = l->book;
  int used = snprintf(buf, size, "credit-portfolio(obligors=%zu, factors=%zu", b->n, b->m);
  if (l->shifted && used >= 0 && (size_t)used < size) {
    used += snprintf(buf + used, size - used, ", shift=(");
    for (size_t j = 0; j < b->m && used >= 0 && (size_t)used < size; j++)
      used += snprintf(buf + used, size - used, j ? ", %.4g" : "%.4g", l->shift[j]);
    if (used >= 0 && (size_t)used < size)
      used += snprintf(buf + used, size - used, ")");
  }
  if (!isnan(l->twist) && used >= 0 && (size_t)used < size)
    used += snprintf(buf + used, size - used, ", twisted to %.10g", l->twist);
  if (used >= 0 && (size_t)used < size)
    used += snprintf(buf + used, size - used, ")");
  return used;
}
