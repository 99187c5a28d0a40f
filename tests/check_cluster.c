/* Tests of src/cluster.c for a single process: what every build (with MPI
 * or without) gives a run started without mpirun, and a NULL cluster.  Runs
 * over several processes are tested under mpirun by check_mpi. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "issim.h"

START_TEST(test_null_cluster_is_one_process)
{
  ck_assert_int_eq(issim_cluster_rank(NULL), 0);
  ck_assert_int_eq(issim_cluster_size(NULL), 1);
  ck_assert_int_eq(issim_cluster_max(NULL, 7), 7);
  ck_assert_int_eq(issim_cluster_max(NULL, -3), -3);
  issim_cluster_stop(NULL); /* allowed */
}
END_TEST

START_TEST(test_gather_alone_copies_the_bytes)
{
  const char mine[] = "seven bytes";
  size_t offsets[2] = {99, 99};
  char *all = issim_cluster_allgather(NULL, mine, sizeof mine, offsets);
  ck_assert_ptr_nonnull(all);
  ck_assert_ptr_ne(all, mine); /* a buffer of its own, freed by the caller */
  ck_assert_uint_eq(offsets[0], 0);
  ck_assert_uint_eq(offsets[1], sizeof mine);
  ck_assert_mem_eq(all, mine, sizeof mine);
  free(all);
  /* nothing to send is still a buffer the caller may free */
  void *none = issim_cluster_allgather(NULL, mine, 0, offsets);
  ck_assert_uint_eq(offsets[0], 0);
  ck_assert_uint_eq(offsets[1], 0);
  free(none);
}
END_TEST

START_TEST(test_started_alone)
{
  /* without mpirun a build with MPI is a world of one; without MPI, NULL */
  int argc = 1;
  char *args[] = {"check_cluster", NULL}, **argv = args;
  issim_cluster *c = issim_cluster_start(&argc, &argv);
  if (issim_cluster_available())
    ck_assert_ptr_nonnull(c);
  else
    ck_assert_ptr_null(c);
  ck_assert_int_eq(issim_cluster_rank(c), 0);
  ck_assert_int_eq(issim_cluster_size(c), 1);
  ck_assert_int_eq(issim_cluster_max(c, 5), 5);
  size_t offsets[2];
  int v = 42, *all = issim_cluster_allgather(c, &v, sizeof v, offsets);
  ck_assert_int_eq(all[0], 42);
  ck_assert_uint_eq(offsets[1], sizeof v);
  free(all);
  issim_cluster_stop(c);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("cluster");
  TCase *tc = tcase_create("one process");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_null_cluster_is_one_process);
  tcase_add_test(tc, test_gather_alone_copies_the_bytes);
  tcase_add_test(tc, test_started_alone);
  suite_add_tcase(s, tc);
  return run_suite(s);
}
