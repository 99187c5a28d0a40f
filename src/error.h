/* error.h: error codes and messages.
 *
 * Every fallible issim function returns an int code (ISSIM_OK on success)
 * and, when given a non-NULL issim_error, fills it with a message a user can
 * act on: what is wrong and what would be right.  There is no global error
 * state and no error handler to install.
 */
#ifndef ISSIM_ERROR_H
#define ISSIM_ERROR_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

enum {
  ISSIM_OK = 0,
  ISSIM_EINVAL = 1,   /* invalid input: a parameter, key, value or file */
  ISSIM_ENOMEM = 2,   /* out of memory */
  ISSIM_EIO = 3,      /* a file could not be read or written */
  ISSIM_ECOVER = 4,   /* a proposal does not cover the event region */
  ISSIM_EINTERNAL = 5,/* a bug in issim */
  ISSIM_ENOTDONE = 6, /* the work was not completed: interrupted, or a fit that
                       * did not reach its goal (the message says which) */
  ISSIM_ELOSS = 7     /* the caller's own loss (a function, a plugin, an
                       * external program: loss.h) failed while evaluating */
};

#define ISSIM_ERROR_MESSAGE_SIZE 1024
#define ISSIM_ERROR_KEY_SIZE 64

typedef struct {
  int code;
  /* The input key at fault, when there is one (for example "sd"), so that a
   * caller that knows where the key was written can add "file:line". */
  char key[ISSIM_ERROR_KEY_SIZE];
  char message[ISSIM_ERROR_MESSAGE_SIZE];
} issim_error;

/* Sets err (if non-NULL) and returns code. */
int issim_error_set(issim_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* As issim_error_set, and records the key at fault. */
int issim_error_set_key(issim_error *err, int code, const char *key,
                        const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

void issim_error_clear(issim_error *err);

#ifdef __cplusplus
}
#endif

#endif
