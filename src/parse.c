#include "parse.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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

int issim_parse_bound(const char *text, const char *what, double *out, issim_error *err)
{
  const char *t = text;
  while (isspace((unsigned char)*t))
    t++;
  const double sign = *t == '-' ? -1 : 1;
  if (*t == '-' || *t == '+')
    t++;
  size_t n = strlen(t);
  while (n > 0 && isspace((unsigned char)t[n - 1]))
    n--;
  if ((n == 3 && strncasecmp(t, "inf", 3) == 0) || (n == 8 && strncasecmp(t, "infinity", 8) == 0)) {
    *out = sign * INFINITY;
    return ISSIM_OK;
  }
  return issim_parse_number(text, what, out, err);
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

/* ---- threshold lists ---- */

/* [begin, end) of text without its surrounding blanks. */
static void trim_span(const char **begin, const char **end)
{
  while (*begin < *end && isspace((unsigned char)**begin))
    (*begin)++;
  while (*end > *begin && isspace((unsigned char)(*end)[-1]))
    (*end)--;
}

/* "5", "5 sigma" or "5sigma" in [begin, end): the value and its unit; 0 when
 * it is neither. */
static int level_value(const char *begin, const char *end, issim_level_value *v)
{
  char buf[128];
  trim_span(&begin, &end);
  size_t len = (size_t)(end - begin);
  if (len == 0 || len >= sizeof buf)
    return 0;
  memcpy(buf, begin, len);
  buf[len] = '\0';
  char *rest;
  v->value = strtod(buf, &rest);
  if (rest == buf || !isfinite(v->value))
    return 0;
  while (isspace((unsigned char)*rest))
    rest++;
  v->sigma = strcmp(rest, "sigma") == 0;
  return v->sigma || *rest == '\0';
}

static int level_error(issim_error *err, const char *what, const char *item, size_t len,
                       const char *why)
{
  return issim_error_set_key(err, ISSIM_EINVAL, what,
                             "%s: cannot read '%.*s': %s (a threshold list is values separated "
                             "by commas, each a number, 'K sigma', or a range such as "
                             "'3 sigma .. 7 sigma step 0.5 sigma' or '3 .. 7 count 9')",
                             what, (int)len, item, why);
}

/* The range "A .. B [step S | count N]" in [begin, end), whose ".." is at
 * dots, appended to out[*n..max). */
static int level_range(const char *begin, const char *end, const char *dots, const char *what,
                       issim_level_value *out, size_t max, size_t *n, issim_error *err)
{
  const size_t len = (size_t)(end - begin);
  issim_level_value a, b, s = {0, 0};
  const char *right = dots + 2, *step = strstr(right, "step"), *count = strstr(right, "count");
  if (step && step >= end)
    step = NULL;
  if (count && count >= end)
    count = NULL;
  const char *b_end = step ? step : count ? count : end;
  double k = ISSIM_LEVELS_DEFAULT_COUNT;
  if (!level_value(begin, dots, &a) || !level_value(right, b_end, &b))
    return level_error(err, what, begin, len, "each end of a range must be a number or 'K sigma'");
  if (a.sigma != b.sigma)
    return level_error(err, what, begin, len, "both ends of a range must be in the same unit");
  if (step && (!level_value(step + 4, end, &s) || s.sigma != a.sigma || !(s.value > 0)))
    return level_error(err, what, begin, len,
                       "the step must be a positive number in the unit of the ends");
  if (count && (!level_value(count + 5, end, &s) || s.sigma || s.value != floor(s.value) ||
                s.value < 2 || s.value > (double)max))
    return level_error(err, what, begin, len, "count must be a whole number of values, at least 2");
  if (!(a.value != b.value))
    return level_error(err, what, begin, len, "a range needs two different ends");
  double span = b.value - a.value, dir = span > 0 ? 1 : -1;
  if (!isfinite(span))
    return level_error(err, what, begin, len, "its ends are too far apart: their difference "
                       "is beyond the largest double");
  if (step)
    k = floor(fabs(span) / s.value * (1 + 1e-12)) + 1;
  else if (count)
    k = s.value;
  if (!(k <= (double)(max - *n))) {
    char before[64] = "";
    if (*n)
      snprintf(before, sizeof before, ", after the %zu before it", *n);
    return issim_error_set_key(err, ISSIM_EINVAL, what, "%s: '%.*s' gives %.6g values%s; at "
                               "most %zu thresholds in all", what, (int)len, begin, k, before,
                               max);
  }
  for (size_t i = 0; i < (size_t)k; i++) {
    double v = step ? a.value + dir * s.value * (double)i
                    : a.value + span * (double)i / (k - 1);
    if (dir * (v - b.value) > 0) /* a step that lands on the far end to rounding (0 .. 0.3
                                  * step 0.1 makes 0.30000000000000004): the end itself */
      v = b.value;
    out[(*n)++] = (issim_level_value){.value = i + 1 == (size_t)k && !step ? b.value : v,
                                      .sigma = a.sigma};
  }
  return ISSIM_OK;
}

int issim_parse_levels(const char *text, const char *what, issim_level_value *out, size_t max,
                       size_t *n, issim_error *err)
{
  *n = 0;
  const char *p = text;
  for (;;) {
    const char *comma = strchr(p, ','), *end = comma ? comma : p + strlen(p);
    const char *begin = p;
    trim_span(&begin, &end);
    const char *dots = strstr(begin, "..");
    if (comma && comma > text && isdigit((unsigned char)comma[-1]) &&
        isdigit((unsigned char)comma[1]))
      return issim_error_set_key(err, ISSIM_EINVAL, what,
                                 "%s: '%s' has a comma between two digits: a decimal mark is a "
                                 "point (1.5), and values are separated by a comma and a space "
                                 "(1, 5)", what, text);
    if (begin == end)
      return issim_error_set_key(err, ISSIM_EINVAL, what,
                                 "%s: an empty value in '%s' (values are separated by commas)",
                                 what, text);
    if (dots && dots < end) {
      int rc = level_range(begin, end, dots, what, out, max, n, err);
      if (rc != ISSIM_OK)
        return rc;
    } else if (*n == max) {
      return issim_error_set_key(err, ISSIM_EINVAL, what, "%s: at most %zu thresholds in all",
                                 what, max);
    } else if (!level_value(begin, end, &out[*n])) {
      return level_error(err, what, begin, (size_t)(end - begin), "not a number or 'K sigma'");
    } else {
      (*n)++;
    }
    if (comma == NULL)
      return ISSIM_OK;
    p = comma + 1;
  }
}
