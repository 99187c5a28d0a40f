#include "parse.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

int issim_parse_number(const char *text, const char *what, double *out, issim_error *err)
{
  char *end;
  double v = strtod(text, &end); /* overflow gives +-HUGE_VAL, caught below; underflow is fine */
  while (end != text && isspace((unsigned char)*end)) /* no conversion leaves end == text */
    end++;
  if (end == text || *text == '\0' || *end != '\0')
    return issim_error_set_key(err, ISSIM_EINVAL, what, "%s must be a number (got '%s')%s",
                               what, text,
                               strchr(text, '#') ? "; an inline comment starts with ' ;', not '#'" : "");
  if (!isfinite(v))
    return issim_error_set_key(err, ISSIM_EINVAL, what, "%s must be a finite number (got '%s')",
                               what, text);
  *out = v;
  return ISSIM_OK;
}

int issim_parse_samples(const char *text, const char *what, uint64_t *out, issim_error *err)
{
  double v;
  int rc = issim_parse_number(text, what, &v, err);
  if (rc == ISSIM_OK && (v < 2 || v > ISSIM_MAX_SAMPLES || v != floor(v)))
    rc = issim_error_set_key(err, ISSIM_EINVAL, what,
                             "%s must be a whole number from 2 to 2^48 = 281474976710656 (got '%s')", what, text);
  if (rc == ISSIM_OK)
    *out = (uint64_t)v;
  return rc;
}

int issim_parse_seed(const char *text, const char *what, uint64_t *out, issim_error *err)
{
  char *end = NULL;
  errno = 0;
  const char *p = text;
  while (isspace((unsigned char)*p))
    p++;
  unsigned long long v = isdigit((unsigned char)*p) ? strtoull(p, &end, 10) : 0;
  while (end != NULL && isspace((unsigned char)*end))
    end++;
  if (!isdigit((unsigned char)*p) || *end != '\0' || errno == ERANGE)
    return issim_error_set_key(err, ISSIM_EINVAL, what,
                               "%s must be a whole number from 0 to 18446744073709551615 (got '%s')",
                               what, text);
  *out = v;
  return ISSIM_OK;
}

int issim_parse_bytes(const char *text, const char *what, double *out, issim_error *err)
{
  static const char units[] = "kMGT";
  char *end = NULL;
  double v = strtod(text, &end);
  double scale = 1;
  const char *u = end && *end ? strchr(units, *end) : NULL;
  if (u != NULL) {
    for (const char *k = units; k <= u; k++)
      scale *= 1000;
    end++;
  }
  while (end != NULL && isspace((unsigned char)*end))
    end++;
  if (end == text || *end != '\0' || !(v > 0) || !isfinite(v * scale))
    return issim_error_set_key(err, ISSIM_EINVAL, what,
                               "%s must be an amount of memory above 0, in bytes or with k, M, G "
                               "or T (e.g. 8G; got '%s')",
                               what, text);
  *out = v * scale;
  return ISSIM_OK;
}
