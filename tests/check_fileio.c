/* Tests of src/fileio.c: paths joined, directories created as mkdir -p does
 * (and refused when a file is in the way), files written whole with no
 * temporary left behind, and every failure an ISSIM_EIO naming the path,
 * with the temporary file removed. */
#define _POSIX_C_SOURCE 200809L /* mkdtemp */

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check_main.h"
#include "issim.h"

static char base[64];

static void setup(void)
{
  strcpy(base, "/tmp/check_fileio.XXXXXX");
  ck_assert_ptr_nonnull(mkdtemp(base));
}

static void teardown(void)
{
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", base);
  ck_assert_int_eq(system(cmd), 0);
}

static char *path(const char *name)
{
  char *p = issim_fileio_join(base, name);
  ck_assert_ptr_nonnull(p);
  return p;
}

static int exists(const char *p)
{
  struct stat st;
  return stat(p, &st) == 0;
}

/* The file's whole content, NUL-terminated. */
static char *slurp(const char *p, size_t *len)
{
  FILE *f = fopen(p, "rb");
  ck_assert_ptr_nonnull(f);
  char *buf = malloc(4096);
  *len = fread(buf, 1, 4095, f);
  buf[*len] = '\0';
  fclose(f);
  return buf;
}

START_TEST(test_join)
{
  char *p = issim_fileio_join("a/b", "c.dat");
  ck_assert_str_eq(p, "a/b/c.dat");
  free(p);
  p = issim_fileio_join("", "x");
  ck_assert_str_eq(p, "/x");
  free(p);
}
END_TEST

START_TEST(test_make_dirs)
{
  char *deep = path("one//two/three/"), *file = path("one/file");
  issim_error err = {0};
  ck_assert_int_eq(issim_fileio_make_dirs(deep, "plot directory", &err), ISSIM_OK);
  struct stat st;
  ck_assert_int_eq(stat(deep, &st), 0);
  ck_assert(S_ISDIR(st.st_mode));
  ck_assert_int_eq(issim_fileio_make_dirs(deep, "plot directory", &err), ISSIM_OK); /* again */
  /* a file where the directory should be */
  ck_assert_int_eq(issim_fileio_write_atomic(file, "x", 1, NULL), ISSIM_OK);
  ck_assert_int_eq(issim_fileio_make_dirs(file, "plot directory", &err), ISSIM_EIO);
  char want[256];
  snprintf(want, sizeof want, "cannot use '%s' as the plot directory: it is not a directory",
           file);
  ck_assert_str_eq(err.message, want);
  char *below = issim_fileio_join(file, "sub");
  ck_assert_int_eq(issim_fileio_make_dirs(below, "plot directory", &err), ISSIM_EIO);
  snprintf(want, sizeof want, "cannot create the plot directory '%s': %s", below,
           strerror(ENOTDIR));
  ck_assert_str_eq(err.message, want);
  free(below), free(deep), free(file);
}
END_TEST

START_TEST(test_write_atomic)
{
  char *p = path("out.txt"), *tmp = path("out.txt.tmp");
  const char text[] = "first\n";
  ck_assert_int_eq(issim_fileio_write_atomic(p, text, strlen(text), NULL), ISSIM_OK);
  size_t len;
  char *got = slurp(p, &len);
  ck_assert_str_eq(got, text);
  free(got);
  ck_assert(!exists(tmp));
  /* replaced whole, through the stream */
  issim_fileio_atomic *a;
  issim_error err = {0};
  ck_assert_int_eq(issim_fileio_atomic_open(p, &a, &err), ISSIM_OK);
  ck_assert(exists(tmp));
  fputs("second, longer\n", issim_fileio_atomic_stream(a));
  got = slurp(p, &len); /* not yet: the old file */
  ck_assert_str_eq(got, text);
  free(got);
  ck_assert_int_eq(issim_fileio_atomic_commit(a, &err), ISSIM_OK);
  got = slurp(p, &len);
  ck_assert_str_eq(got, "second, longer\n");
  free(got);
  ck_assert(!exists(tmp));
  free(p), free(tmp);
}
END_TEST

START_TEST(test_failures)
{
  issim_error err = {0};
  char want[256];
  /* no such directory: the temporary file cannot be created */
  char *p = path("missing/out.txt");
  issim_fileio_atomic *a = (issim_fileio_atomic *)&err; /* must become NULL */
  ck_assert_int_eq(issim_fileio_atomic_open(p, &a, &err), ISSIM_EIO);
  ck_assert_ptr_null(a);
  snprintf(want, sizeof want, "cannot write '%s.tmp': %s", p, strerror(ENOENT));
  ck_assert_str_eq(err.message, want);
  ck_assert_int_eq(issim_fileio_write_atomic(p, "x", 1, NULL), ISSIM_EIO);
  free(p);
  /* the final name is a non-empty directory: the rename fails, and the
   * temporary file goes */
  char *dir = path("taken"), *inside = path("taken/x"), *tmp = path("taken.tmp");
  ck_assert_int_eq(mkdir(dir, 0777), 0);
  ck_assert_int_eq(issim_fileio_write_atomic(inside, "x", 1, NULL), ISSIM_OK);
  ck_assert_int_eq(issim_fileio_write_atomic(dir, "data", 4, &err), ISSIM_EIO);
  ck_assert(strncmp(err.message, "cannot rename '", 15) == 0);
  ck_assert(strstr(err.message, dir) != NULL);
  ck_assert(!exists(tmp));
  free(dir), free(inside), free(tmp);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("fileio");
  TCase *tc = tcase_create("core");
  tcase_add_unchecked_fixture(tc, setup, teardown);
  tcase_add_test(tc, test_join);
  tcase_add_test(tc, test_make_dirs);
  tcase_add_test(tc, test_write_atomic);
  tcase_add_test(tc, test_failures);
  suite_add_tcase(s, tc);
  return run_suite(s);
}
