/* Tests of src/rng.c: generator lookup and block streams. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "issim.h"

START_TEST(test_lookup_known)
{
  const gsl_rng_type *t = NULL;
  ck_assert_int_eq(issim_rng_lookup("taus2", &t, NULL), ISSIM_OK);
  ck_assert_ptr_eq(t, gsl_rng_taus2);
  ck_assert_int_eq(issim_rng_lookup("mt19937", &t, NULL), ISSIM_OK);
  ck_assert_ptr_eq(t, gsl_rng_mt19937);
  ck_assert_int_eq(issim_rng_lookup("ranlxd1", &t, NULL), ISSIM_OK);
  ck_assert_int_eq(issim_rng_lookup("knuthran2002", &t, NULL), ISSIM_OK);
  ck_assert_int_eq(issim_rng_lookup(ISSIM_RNG_DEFAULT, &t, NULL), ISSIM_OK);
  ck_assert_str_eq(t->name, "taus2");
}
END_TEST

START_TEST(test_lookup_unknown_and_refused)
{
  const gsl_rng_type *t = NULL;
  issim_error err;
  ck_assert_int_eq(issim_rng_lookup("nosuch", &t, &err), ISSIM_EINVAL);
  ck_assert_str_eq(err.key, "rng");
  ck_assert_str_eq(err.message, "unknown generator 'nosuch'; use a GSL generator name such as "
                                "taus2 (the default), mt19937, ranlxd1 or ranlxd2");
  const char *refused[] = {"rand48", "rand", "random-bsd", "random256-glibc2", "r250",
                           "minstd", "randu", "vax", "ran0", "knuthran"};
  for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
    ck_assert_msg(issim_rng_lookup(refused[i], &t, &err) == ISSIM_EINVAL, "%s accepted", refused[i]);
    ck_assert_msg(strstr(err.message, "is refused") != NULL, "%s: %s", refused[i], err.message);
  }
  ck_assert_ptr_null(t);
  /* each refused generator gets its own reason, and near names are not caught */
  ck_assert_int_eq(issim_rng_lookup("randu", &t, &err), ISSIM_EINVAL);
  ck_assert_str_eq(err.message, "generator 'randu' is refused: RANDU fails even simple tests of "
                                "triples; use taus2 (the default), mt19937 or ranlxd1");
  ck_assert_int_eq(issim_rng_lookup("knuthran2", &t, NULL), ISSIM_OK);
  ck_assert_int_eq(issim_rng_lookup("ranlux389", &t, NULL), ISSIM_OK);
  ck_assert_int_eq(issim_rng_lookup("ran2", &t, NULL), ISSIM_OK);
}
END_TEST

START_TEST(test_block_seeds_distinct)
{
  /* fmix32 is a bijection: the first 2^20 blocks of a stream never share a seed */
  enum { N = 1 << 20 };
  unsigned char *seen = calloc((size_t)1 << 29, 1); /* one bit per 32-bit seed */
  ck_assert_ptr_nonnull(seen);
  uint64_t repeats = 0, too_wide = 0;
  for (uint64_t b = 0; b < N; b++) {
    unsigned long s = issim_rng_block_seed(42, 7, b);
    too_wide += s > 0xffffffffUL;
    s &= 0xffffffffUL;
    repeats += (seen[s >> 3] >> (s & 7)) & 1u;
    seen[s >> 3] |= (unsigned char)(1u << (s & 7));
  }
  free(seen);
  ck_assert_uint_eq(too_wide, 0);
  ck_assert_uint_eq(repeats, 0);
}
END_TEST

START_TEST(test_block_seeds_depend_on_all_inputs)
{
  unsigned long s = issim_rng_block_seed(42, 7, 3);
  ck_assert_uint_eq(s, issim_rng_block_seed(42, 7, 3)); /* a function of its inputs */
  ck_assert_uint_ne(s, issim_rng_block_seed(43, 7, 3));
  ck_assert_uint_ne(s, issim_rng_block_seed(42, 8, 3));
  ck_assert_uint_ne(s, issim_rng_block_seed(42, 7, 4));
  ck_assert(issim_rng_stream_id("shifted") != issim_rng_stream_id("crude"));
  ck_assert(issim_rng_stream_id("shifted") == issim_rng_stream_id("shifted"));
}
END_TEST

int main(void)
{
  Suite *s = suite_create("rng");
  TCase *tc = tcase_create("rng");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_lookup_known);
  tcase_add_test(tc, test_lookup_unknown_and_refused);
  tcase_add_test(tc, test_block_seeds_distinct);
  tcase_add_test(tc, test_block_seeds_depend_on_all_inputs);
  suite_add_tcase(s, tc);
  return run_suite(s);
}
