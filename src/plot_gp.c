/* plot_gp.c: what every figure's files are written with (plot_impl.h):
 * numbers and strings as gnuplot reads them, names that can name a file, and
 * files written whole or not at all. */
#include "plot_impl.h"
#include "fileio.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int plot_valid_name(const char *s)
{
  if (s == NULL)
    return 0;
  size_t len = strlen(s);
  if (len == 0 || len > PLOT_NAME_MAX)
    return 0;
  for (; *s != '\0'; s++) {
    unsigned char c = (unsigned char)*s;
    int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
             (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
    if (!ok)
      return 0;
  }
  return 1;
}

/* The shortest of %.15g..%.17g that reads back exactly. */
void plot_put_num(FILE *f, double x)
{
  if (isnan(x)) {
    fputs("NaN", f);
    return;
  }
  if (isinf(x)) {
    fputs(x > 0 ? "Inf" : "-Inf", f);
    return;
  }
  char buf[40];
  for (int prec = 15; prec <= 17; prec++) {
    snprintf(buf, sizeof buf, "%.*g", prec, x);
    if (strtod(buf, NULL) == x)
      break;
  }
  fputs(buf, f);
}

/* Inside double quotes gnuplot runs `backquoted` text through a shell, so a
 * scenario's name or description could run a program whenever its figures
 * are drawn.  In single quotes a quote is written twice and nothing else is
 * special; control characters (a newline would end the script's line) are
 * replaced by spaces. */
void plot_put_gp_string(FILE *f, const char *s)
{
  fputc('\'', f);
  for (; *s != '\0'; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '\'')
      fputs("''", f);
    else if (c < 0x20 || c == 0x7f)
      fputc(' ', f);
    else
      fputc(c, f);
  }
  fputc('\'', f);
}

int plot_write_file(const char *dir, const char *name, plot_file_writer fn, const void *ctx,
                    size_t i, issim_error *err)
{
  char *path = issim_fileio_join(dir, name);
  if (path == NULL)
    return issim_error_set(err, ISSIM_ENOMEM, "out of memory");
  issim_fileio_atomic *out;
  int rc = issim_fileio_atomic_open(path, &out, err);
  free(path);
  if (rc != ISSIM_OK)
    return rc;
  errno = 0;
  fn(issim_fileio_atomic_stream(out), ctx, i);
  return issim_fileio_atomic_commit(out, err);
}
