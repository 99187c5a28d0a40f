/* inifile.h: the syntax of a scenario file, its first reading pass.
 *
 * inih reads the INI syntax into sections of key = value entries, each with
 * its line number.  inih's handler is not told line numbers in Debian's build,
 * so the stream reader here counts lines; it also records section headers
 * (inih reports a section only when a key follows) and refuses, with a clear
 * message, the things inih would otherwise do silently: cut a long line in
 * two, and join an indented line to the key above it.  Indented lines that do
 * continue a value are joined with one space, their inline comments (" ; ...")
 * dropped.  What the sections mean is scenario.h's.
 */
#ifndef ISSIM_INIFILE_H
#define ISSIM_INIFILE_H

#include <stddef.h>
#include <stdio.h>

#include "error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* inih's INI_MAX_LINE is 200 bytes with the newline and the terminating NUL. */
#define ISSIM_INIFILE_MAX_LINE 198

typedef struct {
  char *key, *value;
  int line;
  int used;             /* set by the reader of the meaning, to find unknown keys */
} issim_inifile_entry;

typedef struct {
  char *name;           /* as written between the brackets, trimmed */
  int line;
  issim_inifile_entry *entries;
  size_t n, cap;
} issim_inifile_section;

typedef struct {
  FILE *stream;
  const char *path;     /* for messages */
  int line;             /* the line inih is working on */
  int line_is_indented; /* it starts with blanks: inih may read it as a continuation */
  issim_inifile_section *sections;
  size_t n, cap;
  issim_error *err;     /* the first error, if any */
  int error_line;       /* its line; 0: none */
  int nomem;
  int read_errno;       /* errno of a failed read, 0 if none */
  char *grown;          /* the value being continued (an entry's), its length and */
  size_t grown_len, grown_cap; /* capacity: continuations append in place */
} issim_inifile;

/* Reads the stream into *r (which it initialises): ISSIM_OK, or the first
 * error in r->err as "path:line: what is wrong and what would be right"
 * (ISSIM_EINVAL; ISSIM_ENOMEM, ISSIM_EIO).  Free it with issim_inifile_free
 * either way. */
int issim_inifile_read(issim_inifile *r, FILE *stream, const char *path, issim_error *err);
void issim_inifile_free(issim_inifile *r);

/* Records the first error, "path:line: " and the message; returns 0. */
int issim_inifile_fail(issim_inifile *r, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The entry of that key in the section, or NULL. */
issim_inifile_entry *issim_inifile_find(issim_inifile_section *s, const char *key);

/* s without its leading and trailing blanks (in place). */
char *issim_inifile_trim(char *s);

#ifdef __cplusplus
}
#endif

#endif
