/* Tests of src/fileio.c: paths joined, directories created as mkdir -p does
 * (and refused when a file is in the way), files written whole with no
 * temporary left behind, and every failure an ISSIM_EIO naming the path,
 * with the temporary file removed. */
#define _POSIX_C_SOURCE 200809L /* mkdtemp */

#include <check.h>
#include <dirent.h>
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

/* issim_fileio_temporary: a new file of a unique name that keeps its
 * suffix, with fopen's permissions (0666 less the umask, not mkstemp's
 * 0600), never one that exists. */
START_TEST(test_temporary)
{
  mode_t old = umask(022);
  char *a = path("figure.XXXXXX.png"), *b = path("figure.XXXXXX.png");
  int fa = issim_fileio_temporary(a, 4), fb = issim_fileio_temporary(b, 4);
  ck_assert_int_ge(fa, 0);
  ck_assert_int_ge(fb, 0);
  ck_assert_str_ne(a, b);
  ck_assert(strstr(a, "XXXXXX") == NULL);
  ck_assert_str_eq(a + strlen(a) - 4, ".png");
  struct stat st;
  ck_assert_int_eq(fstat(fa, &st), 0);
  ck_assert_int_eq(st.st_mode & 0777, 0644);
  ck_assert(S_ISREG(st.st_mode) && st.st_size == 0);
  close(fa);
  close(fb);
  umask(old);
  char *missing = strdup("/nonexistent/dir/x.XXXXXX");
  errno = 0;
  ck_assert_int_eq(issim_fileio_temporary(missing, 0), -1);
  ck_assert_int_eq(errno, ENOENT);
  free(missing);
  free(a);
  free(b);
}
END_TEST

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

/* Files in the test directory whose name is `prefix` and six more
 * characters: mkstemp's temporaries of prefix's file. */
static int temporaries(const char *prefix)
{
  DIR *d = opendir(base);
  ck_assert_ptr_nonnull(d);
  int n = 0;
  size_t len = strlen(prefix);
  for (struct dirent *e; (e = readdir(d)) != NULL;)
    n += strncmp(e->d_name, prefix, len) == 0 && strlen(e->d_name) == len + 6;
  closedir(d);
  return n;
}

START_TEST(test_write_atomic)
{
  char *p = path("out.txt");
  const char text[] = "first\n";
  ck_assert_int_eq(issim_fileio_write_atomic(p, text, strlen(text), NULL), ISSIM_OK);
  size_t len;
  char *got = slurp(p, &len);
  ck_assert_str_eq(got, text);
  free(got);
  ck_assert_int_eq(temporaries("out.txt."), 0);
  /* replaced whole, through the stream */
  issim_fileio_atomic *a;
  issim_error err = {0};
  ck_assert_int_eq(issim_fileio_atomic_open(p, &a, &err), ISSIM_OK);
  ck_assert_int_eq(temporaries("out.txt."), 1);
  fputs("second, longer\n", issim_fileio_atomic_stream(a));
  got = slurp(p, &len); /* not yet: the old file */
  ck_assert_str_eq(got, text);
  free(got);
  ck_assert_int_eq(issim_fileio_atomic_commit(a, &err), ISSIM_OK);
  got = slurp(p, &len);
  ck_assert_str_eq(got, "second, longer\n");
  free(got);
  ck_assert_int_eq(temporaries("out.txt."), 0);
  /* the permissions fopen would give: 0666 less the umask */
  mode_t mask = umask(022);
  ck_assert_int_eq(issim_fileio_write_atomic(p, "x", 1, NULL), ISSIM_OK);
  struct stat st;
  ck_assert_int_eq(stat(p, &st), 0);
  ck_assert_int_eq(st.st_mode & 0777, 0644);
  umask(mask);
  free(p);
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
  snprintf(want, sizeof want, "cannot write '%s': %s", p, strerror(ENOENT));
  ck_assert_str_eq(err.message, want);
  ck_assert_int_eq(issim_fileio_write_atomic(p, "x", 1, NULL), ISSIM_EIO);
  free(p);
  /* the final name is a non-empty directory: the rename fails, and the
   * temporary file goes */
  char *dir = path("taken"), *inside = path("taken/x");
  ck_assert_int_eq(mkdir(dir, 0777), 0);
  ck_assert_int_eq(issim_fileio_write_atomic(inside, "x", 1, NULL), ISSIM_OK);
  ck_assert_int_eq(issim_fileio_write_atomic(dir, "data", 4, &err), ISSIM_EIO);
  ck_assert(strncmp(err.message, "cannot rename '", 15) == 0);
  ck_assert(strstr(err.message, dir) != NULL);
  ck_assert_int_eq(temporaries("taken."), 0);
  free(dir), free(inside);
}
END_TEST

/* Issue 18 item 2: the old fixed temporary name path.tmp followed a link
 * another user planted there (its target was overwritten), and a device or
 * a link named as the path was replaced by a regular file. */
START_TEST(test_links_and_devices)
{
  char *victim = path("victim"), *planted = path("out2.txt.tmp"), *p = path("out2.txt");
  ck_assert_int_eq(issim_fileio_write_atomic(victim, "keep\n", 5, NULL), ISSIM_OK);
  ck_assert_int_eq(symlink(victim, planted), 0);
  ck_assert_int_eq(issim_fileio_write_atomic(p, "new\n", 4, NULL), ISSIM_OK);
  size_t len;
  char *got = slurp(victim, &len);
  ck_assert_str_eq(got, "keep\n"); /* the planted link was not followed */
  free(got);
  got = slurp(p, &len);
  ck_assert_str_eq(got, "new\n");
  free(got);
  /* a link named as the path: written through, and still a link */
  char *real = path("real"), *link = path("link");
  ck_assert_int_eq(issim_fileio_write_atomic(real, "old\n", 4, NULL), ISSIM_OK);
  ck_assert_int_eq(symlink(real, link), 0);
  ck_assert_int_eq(issim_fileio_write_atomic(link, "through\n", 8, NULL), ISSIM_OK);
  struct stat st;
  ck_assert_int_eq(lstat(link, &st), 0);
  ck_assert(S_ISLNK(st.st_mode));
  got = slurp(real, &len);
  ck_assert_str_eq(got, "through\n");
  free(got);
  /* a device stays a device */
  ck_assert_int_eq(issim_fileio_write_atomic("/dev/null", "x", 1, NULL), ISSIM_OK);
  ck_assert_int_eq(lstat("/dev/null", &st), 0);
  ck_assert(S_ISCHR(st.st_mode));
  free(victim), free(planted), free(p), free(real), free(link);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("fileio");
  TCase *tc = tcase_create("core");
  tcase_add_unchecked_fixture(tc, setup, teardown);
  tcase_add_test(tc, test_join);
  tcase_add_test(tc, test_temporary);
  tcase_add_test(tc, test_make_dirs);
  tcase_add_test(tc, test_write_atomic);
  tcase_add_test(tc, test_failures);
  tcase_add_test(tc, test_links_and_devices);
  suite_add_tcase(s, tc);
  return run_suite(s);
}
