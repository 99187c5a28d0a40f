#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* format(printf, 4, 0): fmt is a printf format whose arguments come in ap
 * (clang's -Wformat-nonliteral wants it said). */
static int error_vset(issim_error *err, int code, const char *key, const char *fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));

static int error_vset(issim_error *err, int code, const char *key,
                      const char *fmt, va_list ap)
{
  if (err == NULL)
    return code;
  err->code = code;
  snprintf(err->key, sizeof err->key, "%s", key ? key : "");
  vsnprintf(err->message, sizeof err->message, fmt, ap);
  return code;
}

int issim_error_set(issim_error *err, int code, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  error_vset(err, code, NULL, fmt, ap);
  va_end(ap);
  return code;
}

int issim_error_set_key(issim_error *err, int code, const char *key,
                        const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  error_vset(err, code, key, fmt, ap);
  va_end(ap);
  return code;
}

void issim_error_clear(issim_error *err)
{
  if (err == NULL)
    return;
  err->code = ISSIM_OK;
  err->key[0] = '\0';
  err->message[0] = '\0';
}
