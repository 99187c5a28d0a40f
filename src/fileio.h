/* fileio.h: files written whole or not at all, and the directories they go
 * in.
 *
 * An atomic file is written under a fresh temporary name beside its final
 * one (path.XXXXXX, made by mkstemp: created exclusively, so a link another
 * user planted there is never followed), then closed, checked (every write
 * must have succeeded) and renamed into place: a reader sees the old file or
 * the whole new one, never a part.  A path that exists and is not a regular
 * file (a device, a FIFO, a symbolic link) is written in place instead, so
 * that what the user named stays what it is; "-" is standard output.  A failed write or rename removes the temporary file and leaves an
 * ISSIM_EIO error naming the path and the system's reason.  (No fsync: a
 * crash of the machine, not of the program, may still lose the new file.)
 */
#ifndef ISSIM_FILEIO_H
#define ISSIM_FILEIO_H

#include <stddef.h>
#include <stdio.h>

#include "error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* "dir/name", malloc'd; NULL when out of memory. */
char *issim_fileio_join(const char *dir, const char *name);

/* mkdir -p dir (mode 0777 before the umask), then a check that it is a
 * directory.  `what` names it in messages, e.g. "plot directory":
 * "cannot create the plot directory 'x': ...". */
int issim_fileio_make_dirs(const char *dir, const char *what, issim_error *err);

/* Creates a new file from the template tmpl (its XXXXXX, followed by
 * suffix_len more characters, become a unique name, in place: mkstemps),
 * exclusively (it never follows a link), with the permissions fopen would
 * give (0666 less the umask): its descriptor, or -1 with errno. */
int issim_fileio_temporary(char *tmpl, int suffix_len);

typedef struct issim_fileio_atomic issim_fileio_atomic;

/* Opens the temporary file (or path itself, or standard output, above) into *a: ISSIM_OK, or ISSIM_ENOMEM, or
 * ISSIM_EIO when it cannot be created (then *a is NULL). */
int issim_fileio_atomic_open(const char *path, issim_fileio_atomic **a, issim_error *err);
/* The stream to write to. */
FILE *issim_fileio_atomic_stream(issim_fileio_atomic *a);
/* Closes the stream (flushes standard output), checks that every write
 * succeeded and renames the temporary file to path; frees a whatever happens (the only way to release it).  A caller that wants the reason of a
 * failed write in the message sets errno to 0 before writing. */
int issim_fileio_atomic_commit(issim_fileio_atomic *a, issim_error *err);

/* Closes the stream and removes the temporary file, leaving path as it was
 * (a path written in place keeps what was written); frees a (NULL: nothing). */
void issim_fileio_atomic_discard(issim_fileio_atomic *a);

/* Writes len bytes to path as a whole or not at all. */
int issim_fileio_write_atomic(const char *path, const char *data, size_t len, issim_error *err);

#ifdef __cplusplus
}
#endif

#endif
