#define _DEFAULT_SOURCE /* mkstemps */
#define _POSIX_C_SOURCE 200809L /* strdup */

#include "fileio.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

char *issim_fileio_join(const char *dir, const char *name)
{
  size_t a = strlen(dir), b = strlen(name);
  char *p = malloc(a + b + 2);
  if (p == NULL)
    return NULL;
  memcpy(p, dir, a);
  p[a] = '/';
  memcpy(p + a + 1, name, b + 1);
  return p;
}

/* ---- directories ---- */

static int make_one_dir(const char *path, const char *what, issim_error *err)
{
  if (mkdir(path, 0777) == 0 || errno == EEXIST)
    return ISSIM_OK;
  return issim_error_set(err, ISSIM_EIO, "cannot create the %s '%s': %s", what, path,
                         strerror(errno));
}

/* Every missing component, then a check that dir is a directory (EEXIST
 * says nothing about what exists). */
int issim_fileio_make_dirs(const char *dir, const char *what, issim_error *err)
{
  char *p = strdup(dir);
  if (p == NULL)
    return issim_error_set(err, ISSIM_ENOMEM, "out of memory");
  int rc = ISSIM_OK;
  for (char *s = p + 1; *s != '\0' && rc == ISSIM_OK; s++) {
    if (*s != '/' || s[-1] == '/')
      continue;
    *s = '\0';
    rc = make_one_dir(p, what, err);
    *s = '/';
  }
  if (rc == ISSIM_OK)
    rc = make_one_dir(p, what, err);
  struct stat st;
  if (rc == ISSIM_OK && stat(p, &st) != 0)
    rc = issim_error_set(err, ISSIM_EIO, "cannot use '%s' as the %s: %s", p, what,
                         strerror(errno));
  else if (rc == ISSIM_OK && !S_ISDIR(st.st_mode))
    rc = issim_error_set(err, ISSIM_EIO, "cannot use '%s' as the %s: it is not a directory", p,
                         what);
  free(p);
  return rc;
}

/* ---- atomic files ---- */

struct issim_fileio_atomic {
  FILE *f;
  char *path; /* final name */
  char *tmp;  /* written first, renamed to path once complete; NULL: in place */
  int to_stdout;
};

static void atomic_free(issim_fileio_atomic *a)
{
  free(a->path);
  free(a->tmp);
  free(a);
}

/* A path that exists and is not a regular file (a device, a FIFO, a
 * symbolic link) is written in place: replacing it with a renamed regular
 * file would destroy what the user named (issim adapt --save /dev/null). */
static int write_in_place(const char *path)
{
  struct stat st;
  return lstat(path, &st) == 0 && (S_ISLNK(st.st_mode) || S_ISCHR(st.st_mode) ||
                                   S_ISBLK(st.st_mode) || S_ISFIFO(st.st_mode) ||
                                   S_ISSOCK(st.st_mode));
}

int issim_fileio_temporary(char *tmpl, int suffix_len)
{
  int fd = mkstemps(tmpl, suffix_len);
  if (fd < 0)
    return -1;
  mode_t mask = umask(0);
  umask(mask);
  if (fchmod(fd, 0666 & ~mask) != 0) {
    int saved = errno;
    close(fd);
    unlink(tmpl);
    errno = saved;
    return -1;
  }
  return fd;
}

/* A fresh temporary file beside path, created by mkstemp (O_EXCL: it never
 * follows a link another user planted), with the permissions a file created
 * by fopen would have had (0666 less the umask). */
static FILE *open_temporary(issim_fileio_atomic *a)
{
  a->tmp = malloc(strlen(a->path) + 8);
  if (a->tmp == NULL)
    return NULL;
  sprintf(a->tmp, "%s.XXXXXX", a->path);
  int fd = issim_fileio_temporary(a->tmp, 0);
  if (fd < 0)
    return NULL;
  if ((a->f = fdopen(fd, "w")) == NULL) {
    int saved = errno;
    close(fd);
    unlink(a->tmp);
    errno = saved;
    return NULL;
  }
  return a->f;
}

int issim_fileio_atomic_open(const char *path, issim_fileio_atomic **out, issim_error *err)
{
  *out = NULL;
  issim_fileio_atomic *a = calloc(1, sizeof *a);
  if (a == NULL || (a->path = strdup(path)) == NULL) {
    free(a);
    return issim_error_set(err, ISSIM_ENOMEM, "out of memory");
  }
  if (strcmp(path, "-") == 0) {
    a->to_stdout = 1;
    a->f = stdout;
  } else if (write_in_place(path)) {
    a->f = fopen(path, "w");
  } else {
    open_temporary(a);
  }
  if (a->f == NULL) {
    int rc = issim_error_set(err, ISSIM_EIO, "cannot write '%s': %s", path, strerror(errno));
    atomic_free(a);
    return rc;
  }
  *out = a;
  return ISSIM_OK;
}

FILE *issim_fileio_atomic_stream(issim_fileio_atomic *a)
{
  return a->f;
}

int issim_fileio_atomic_commit(issim_fileio_atomic *a, issim_error *err)
{
  int bad = ferror(a->f);
  int saved = errno; /* the failed write's reason, when there was one */
  int closed = a->to_stdout ? fflush(a->f) : fclose(a->f);
  if (closed != 0 && !bad) {
    bad = 1;
    saved = errno;
  }
  const char *written = a->tmp ? a->tmp : a->to_stdout ? "standard output" : a->path;
  int rc = ISSIM_OK;
  if (bad) {
    rc = issim_error_set(err, ISSIM_EIO, "cannot write '%s': %s", written,
                         strerror(saved ? saved : EIO));
    if (a->tmp)
      unlink(a->tmp);
  } else if (a->tmp && rename(a->tmp, a->path) != 0) {
    rc = issim_error_set(err, ISSIM_EIO, "cannot rename '%s' to '%s': %s", a->tmp, a->path,
                         strerror(errno));
    unlink(a->tmp);
  }
  atomic_free(a);
  return rc;
}

void issim_fileio_atomic_discard(issim_fileio_atomic *a)
{
  if (a == NULL)
    return;
  if (a->to_stdout)
    fflush(a->f);
  else
    fclose(a->f);
  if (a->tmp)
    unlink(a->tmp);
  atomic_free(a);
}

int issim_fileio_write_atomic(const char *path, const char *data, size_t len, issim_error *err)
{
  issim_fileio_atomic *a;
  int rc = issim_fileio_atomic_open(path, &a, err);
  if (rc != ISSIM_OK)
    return rc;
  errno = 0;
  fwrite(data, 1, len, a->f);
  return issim_fileio_atomic_commit(a, err);
}
