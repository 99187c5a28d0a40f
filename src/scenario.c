#define _POSIX_C_SOURCE 200809L /* fmemopen, strdup */

#include "scenario.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ini.h>

#include "rng.h"

/* ---------------------------------------------------------------------------
 * Pass 1: inih reads the INI syntax into a list of sections of key/value
 * entries, each with its line.  inih's handler is not told line numbers in
 * Debian's build, so our stream reader counts lines; it also records section
 * headers (inih reports a section only when a key follows) and notices the two
 * things inih would otherwise do silently: cut a long line in two, and join an
 * indented line to the key above it.
 * ------------------------------------------------------------------------- */

/* inih's INI_MAX_LINE is 200 bytes with the newline and the terminating NUL. */
#define MAX_LINE_CHARS 198

typedef struct {
  char *key, *value;
  int line;
  int used;
} entry;

typedef struct {
  char *name; /* as written between the brackets, trimmed */
  int line;
  entry *entries;
  size_t n, cap;
} section;

typedef struct {
  FILE *stream;
  const char *path;
  int line;             /* the line inih is working on */
  int line_is_indented; /* it starts with blanks: inih may read it as a continuation */
  section *sections;
  size_t n, cap;
  issim_error *err;     /* the first error, if any */
  int error_line;
  int nomem;
  int read_errno;       /* errno of a failed read, 0 if none */
} reader;

static int fail(reader *r, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Records the first error, prefixed with "path:line: ". */
static int fail(reader *r, int line, const char *fmt, ...)
{
  if (r->error_line != 0)
    return 0;
  char msg[ISSIM_ERROR_MESSAGE_SIZE];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  issim_error_set(r->err, ISSIM_EINVAL, "%s:%d: %s", r->path, line, msg);
  r->error_line = line;
  return 0;
}

static char *trim(char *s)
{
  while (isspace((unsigned char)*s))
    s++;
  char *end = s + strlen(s);
  while (end > s && isspace((unsigned char)end[-1]))
    *--end = '\0';
  return s;
}

static section *add_section(reader *r, const char *name, int line)
{
  if (r->n == r->cap) {
    size_t cap = r->cap ? 2 * r->cap : 8;
    section *s = realloc(r->sections, cap * sizeof *s);
    if (s == NULL)
      return NULL;
    r->sections = s;
    r->cap = cap;
  }
  section *s = &r->sections[r->n];
  *s = (section){.name = strdup(name), .line = line};
  if (s->name == NULL)
    return NULL;
  r->n++;
  return s;
}

static void note_section_header(reader *r, const char *raw)
{
  char buf[MAX_LINE_CHARS + 2];
  snprintf(buf, sizeof buf, "%s", raw);
  char *s = trim(buf);
  char *close = strchr(s, ']');
  if (*s != '[' || close == NULL)
    return; /* inih reports the syntax error */
  *close = '\0';
  char *name = trim(s + 1);
  for (size_t i = 0; i < r->n; i++)
    if (strcmp(r->sections[i].name, name) == 0) {
      fail(r, r->line, "section [%s] appears twice (first at line %d); merge the two",
           name, r->sections[i].line);
      return;
    }
  if (add_section(r, name, r->line) == NULL)
    r->nomem = 1;
}

static char *read_line(char *str, int num, void *stream)
{
  reader *r = stream;
  if (fgets(str, num, r->stream) == NULL) {
    if (ferror(r->stream))
      r->read_errno = errno;
    return NULL;
  }
  r->line++;
  size_t len = strlen(str);
  if (len > 0 && str[len - 1] != '\n' && !feof(r->stream)) {
    int c;
    while ((c = fgetc(r->stream)) != EOF && c != '\n')
      ;
    fail(r, r->line, "line longer than %d characters; continue a long value on indented lines",
         MAX_LINE_CHARS);
  }
  const char *p = str;
  if (r->line == 1 && strncmp(p, "\xEF\xBB\xBF", 3) == 0)
    p += 3; /* a UTF-8 byte-order mark, which inih skips */
  r->line_is_indented = (*p == ' ' || *p == '\t');
  while (*p == ' ' || *p == '\t')
    p++;
  if (*p == '[')
    note_section_header(r, p);
  return str;
}

static int add_entry(section *s, const char *key, const char *value, int line)
{
  if (s->n == s->cap) {
    size_t cap = s->cap ? 2 * s->cap : 8;
    entry *e = realloc(s->entries, cap * sizeof *e);
    if (e == NULL)
      return 0;
    s->entries = e;
    s->cap = cap;
  }
  entry *e = &s->entries[s->n];
  *e = (entry){.key = strdup(key), .value = strdup(value), .line = line};
  if (e->key == NULL || e->value == NULL)
    return 0;
  s->n++;
  return 1;
}

static entry *find_entry(section *s, const char *key)
{
  for (size_t i = 0; i < s->n; i++)
    if (strcmp(s->entries[i].key, key) == 0)
      return &s->entries[i];
  return NULL;
}

/* True when an indented continuation looks like a key of its own ("mean = 0"),
 * which an INI user who indents keys would not expect to be joined. */
static int looks_like_key(const char *value)
{
  const char *p = value;
  if (!(isalpha((unsigned char)*p) || *p == '_'))
    return 0;
  while (isalnum((unsigned char)*p) || *p == '_' || *p == '-')
    p++;
  while (*p == ' ' || *p == '\t')
    p++;
  return (*p == '=' && p[1] != '=') || *p == ':';
}

/* The length of a continuation value without its inline comment (" ; ..."),
 * which inih strips from a key's line but not from a continuation line. */
static size_t without_comment(const char *value)
{
  size_t n = 0;
  while (value[n] != '\0' && !(value[n] == ';' && n > 0 && isspace((unsigned char)value[n - 1])))
    n++;
  while (n > 0 && isspace((unsigned char)value[n - 1]))
    n--;
  return n;
}

static int append_continuation(reader *r, entry *e, const char *value)
{
  if (looks_like_key(value))
    return fail(r, r->line,
                "this indented line would be read as the continuation of '%s' (line %d); "
                "remove the indentation if it is a key of its own",
                e->key, e->line);
  int len = (int)without_comment(value);
  size_t n = strlen(e->value) + (size_t)len + 2;
  char *joined = malloc(n);
  if (joined == NULL) {
    r->nomem = 1;
    return 0;
  }
  snprintf(joined, n, "%s %.*s", e->value, len, value);
  free(e->value);
  e->value = joined;
  return 1;
}

static int on_entry(void *user, const char *section_name, const char *key,
                    const char *value)
{
  reader *r = user;
  (void)section_name; /* inih's copy is untrimmed and cut at 50 bytes: use ours */
  if (r->n == 0)
    return fail(r, r->line, "key '%s' is outside any section; put it under [target], [event], [run], ...",
                key);
  section *s = &r->sections[r->n - 1];
  if (s->line == r->line) { /* an indented [section] line, joined by inih to the key above */
    entry *above = r->n > 1 ? find_entry(&r->sections[r->n - 2], key) : NULL;
    return fail(r, r->line,
                "this indented line would be read as the continuation of '%s' (line %d); "
                "remove the indentation if it is a section header",
                key, above ? above->line : r->line - 1);
  }
  entry *previous = find_entry(s, key);
  if (previous != NULL && r->line_is_indented && previous == &s->entries[s->n - 1])
    return append_continuation(r, previous, value);
  if (previous != NULL)
    return fail(r, r->line, "key '%s' given twice in [%s] (first at line %d); keep one",
                key, s->name, previous->line);
  if (!add_entry(s, key, value, r->line)) {
    r->nomem = 1;
    return 0;
  }
  return 1;
}

static void free_sections(reader *r)
{
  for (size_t i = 0; i < r->n; i++) {
    section *s = &r->sections[i];
    for (size_t j = 0; j < s->n; j++) {
      free(s->entries[j].key);
      free(s->entries[j].value);
    }
    free(s->entries);
    free(s->name);
  }
  free(r->sections);
}

static int read_ini(reader *r)
{
  int rc = ini_parse_stream(read_line, r, on_entry, r);
  if (r->nomem || rc == -2)
    return issim_error_set(r->err, ISSIM_ENOMEM, "%s: out of memory", r->path);
  if (r->read_errno != 0)
    return issim_error_set(r->err, ISSIM_EIO, "%s: cannot read the scenario file: %s", r->path,
                           strerror(r->read_errno));
  if (r->error_line != 0 && !(rc > 0 && rc < r->error_line))
    return ISSIM_EINVAL;
  if (rc > 0) { /* a syntax error, before any error of ours */
    r->error_line = rc;
    return issim_error_set(r->err, ISSIM_EINVAL,
                           "%s:%d: cannot read this line; expected [section], key = value, "
                           "or a comment starting with ; or #",
                           r->path, rc);
  }
  return ISSIM_OK;
}

/* ---------------------------------------------------------------------------
 * Pass 2: the sections' meaning.
 * ------------------------------------------------------------------------- */

typedef struct {
  reader *r;
  issim_scenario *s;
  int threshold_line;
} builder;

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
  if (rc == ISSIM_OK && (v < 1 || v > ISSIM_MAX_SAMPLES || v != floor(v)))
    rc = issim_error_set_key(err, ISSIM_EINVAL, what,
                             "%s must be a whole number from 1 to 2^48 = 281474976710656 (got '%s')", what, text);
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

static int entry_error(builder *b, const entry *e, const issim_error *inner)
{
  return fail(b->r, e->line, "%s", inner->message);
}

static const char *get(section *sec, const char *key, int *line)
{
  entry *e = find_entry(sec, key);
  if (e == NULL)
    return NULL;
  e->used = 1;
  if (line)
    *line = e->line;
  return e->value;
}

/* The known key (in a ", "-separated list) that `key` matches but for case. */
static int case_twin(const char *key, const char *known, char *twin, size_t size)
{
  size_t n = strlen(key);
  for (const char *k = known; *k;) {
    size_t len = strcspn(k, ", ");
    if (len == n && strncasecmp(k, key, n) == 0 && len < size) {
      memcpy(twin, k, len);
      twin[len] = '\0';
      return 1;
    }
    k += len;
    k += strspn(k, ", ");
  }
  return 0;
}

static int unknown_key(builder *b, section *sec, const entry *e, const char *known)
{
  char twin[64];
  if (case_twin(e->key, known, twin, sizeof twin))
    return fail(b->r, e->line, "unknown key '%s' in [%s]; keys are case-sensitive: did you mean '%s'?",
                e->key, sec->name, twin);
  return fail(b->r, e->line, "unknown key '%s' in [%s] (known: %s)", e->key, sec->name, known);
}

static int unknown_keys(builder *b, section *sec, const char *known)
{
  for (size_t i = 0; i < sec->n; i++)
    if (!sec->entries[i].used)
      return unknown_key(b, sec, &sec->entries[i], known);
  return 1;
}

static char *unquote(const char *v)
{
  size_t n = strlen(v);
  if (n >= 2 && v[0] == '"' && v[n - 1] == '"')
    return strndup(v + 1, n - 2);
  return strdup(v);
}

static int build_info(builder *b, section *sec)
{
  const char *name = get(sec, "name", NULL);
  const char *description = get(sec, "description", NULL);
  if (name) {
    free(b->s->name);
    b->s->name = unquote(name);
  }
  if (description) {
    free(b->s->description);
    b->s->description = unquote(description);
  }
  return unknown_keys(b, sec, "name, description");
}

static void join_keys(const char *const *keys, char *buf, size_t size)
{
  size_t used = snprintf(buf, size, "distribution");
  for (size_t i = 0; keys && keys[i] && used < size; i++)
    used += snprintf(buf + used, size - used, ", %s", keys[i]);
}

/* A [target] or [proposal NAME] section: `distribution` plus that family's
 * parameters.  *is_target is set for "distribution = target". */
static int build_dist(builder *b, section *sec, issim_dist **out, int allow_target,
                      int *is_target)
{
  int dline;
  const char *family = get(sec, "distribution", &dline);
  for (size_t i = 0; family == NULL && i < sec->n; i++)
    if (strcasecmp(sec->entries[i].key, "distribution") == 0)
      return unknown_key(b, sec, &sec->entries[i], "distribution");
  if (family == NULL)
    return fail(b->r, sec->line, "[%s] needs a 'distribution' key (e.g. distribution = normal%s)",
                sec->name, allow_target ? ", or distribution = target for plain Monte Carlo" : "");
  if (allow_target && strcmp(family, "target") == 0) {
    *is_target = 1;
    for (size_t i = 0; i < sec->n; i++)
      if (!sec->entries[i].used)
        return fail(b->r, sec->entries[i].line,
                    "key '%s' in [%s]: distribution = target takes no parameters (the proposal "
                    "is the target itself); remove it, or name a family to give parameters",
                    sec->entries[i].key, sec->name);
    return 1;
  }
  const char *const *keys = issim_dist_family_keys(family);
  if (keys == NULL) {
    issim_error inner;
    issim_dist_alloc(family, 0, NULL, NULL, &inner);
    return fail(b->r, dline, "%s", inner.message);
  }
  char known[512];
  join_keys(keys, known, sizeof known);

  size_t n = 0;
  const char *names[ISSIM_DIST_MAX_PARAMS * 2];
  double values[ISSIM_DIST_MAX_PARAMS * 2];
  for (size_t i = 0; keys[i]; i++) {
    entry *e = find_entry(sec, keys[i]);
    if (e == NULL)
      continue;
    e->used = 1;
    issim_error inner;
    if (issim_parse_number(e->value, e->key, &values[n], &inner) != ISSIM_OK)
      return entry_error(b, e, &inner);
    names[n++] = keys[i];
  }
  if (!unknown_keys(b, sec, known))
    return 0;

  issim_error inner;
  *out = issim_dist_alloc(family, n, names, values, &inner);
  if (*out == NULL) {
    entry *e = inner.key[0] ? find_entry(sec, inner.key) : NULL;
    return fail(b->r, e ? e->line : sec->line, "%s", inner.message);
  }
  return 1;
}

static int build_target(builder *b, section *sec)
{
  int unused;
  return build_dist(b, sec, &b->s->target, 0, &unused);
}

static int build_event(builder *b, section *sec)
{
  int line;
  const char *t = get(sec, "threshold", &line);
  if (t == NULL)
    return fail(b->r, sec->line, "[event] needs a 'threshold' key (the event is x > threshold)");
  b->threshold_line = line;
  issim_error inner;
  if (issim_parse_number(t, "threshold", &b->s->threshold, &inner) != ISSIM_OK)
    return fail(b->r, line, "%s", inner.message);
  const char *d = get(sec, "direction", &line);
  if (d != NULL) {
    if (strcmp(d, ">") == 0)
      b->s->direction = ISSIM_ABOVE;
    else if (strcmp(d, "<") == 0)
      b->s->direction = ISSIM_BELOW;
    else
      return fail(b->r, line, "direction must be '>' (the event is x > threshold) or '<' (got '%s')", d);
  }
  return unknown_keys(b, sec, "threshold, direction");
}

static int valid_proposal_name(const char *name)
{
  if (*name == '\0')
    return 0;
  for (const char *p = name; *p; p++)
    if (!(isalnum((unsigned char)*p) || *p == '_' || *p == '-' || *p == '.'))
      return 0;
  return 1;
}

static int build_proposal(builder *b, section *sec, const char *name)
{
  if (!valid_proposal_name(name))
    return fail(b->r, sec->line,
                "proposal name '%s' must be letters, digits, '_', '-' or '.' (e.g. [proposal shifted])",
                name);
  issim_scenario *s = b->s;
  for (size_t i = 0; i < s->n_proposals; i++)
    if (strcmp(s->proposals[i].name, name) == 0)
      return fail(b->r, sec->line, "proposal '%s' is defined twice (first at line %d); give each "
                                   "proposal its own name",
                  name, s->proposals[i].line);
  issim_proposal *p = realloc(s->proposals, (s->n_proposals + 1) * sizeof *p);
  if (p == NULL) {
    b->r->nomem = 1;
    return 0;
  }
  s->proposals = p;
  p = &s->proposals[s->n_proposals];
  *p = (issim_proposal){.name = strdup(name), .line = sec->line};
  if (p->name == NULL) {
    b->r->nomem = 1;
    return 0;
  }
  s->n_proposals++;
  int is_target = 0;
  return build_dist(b, sec, &p->dist, 1, &is_target);
}

static int build_run(builder *b, section *sec)
{
  int line;
  issim_error inner;
  const char *v;
  if ((v = get(sec, "samples", &line)) && issim_parse_samples(v, "samples", &b->s->samples, &inner))
    return fail(b->r, line, "%s", inner.message);
  if ((v = get(sec, "seed", &line)) && issim_parse_seed(v, "seed", &b->s->seed, &inner))
    return fail(b->r, line, "%s", inner.message);
  if ((v = get(sec, "rng", &line)) && issim_rng_lookup(v, &b->s->rng, &inner))
    return fail(b->r, line, "%s", inner.message);
  return unknown_keys(b, sec, "samples, seed, rng");
}

static int build_section(builder *b, section *sec)
{
  if (strcmp(sec->name, "scenario") == 0)
    return build_info(b, sec);
  if (strcmp(sec->name, "target") == 0)
    return build_target(b, sec);
  if (strcmp(sec->name, "event") == 0)
    return build_event(b, sec);
  if (strcmp(sec->name, "run") == 0)
    return build_run(b, sec);
  if (strncmp(sec->name, "proposal", 8) == 0 &&
      (sec->name[8] == '\0' || isspace((unsigned char)sec->name[8]))) {
    const char *name = sec->name + 8;
    while (isspace((unsigned char)*name))
      name++;
    if (*name == '\0')
      return fail(b->r, sec->line, "a proposal section needs a name: [proposal NAME]");
    return build_proposal(b, sec, name);
  }
  return fail(b->r, sec->line,
              "unknown section [%s] (known: [scenario], [target], [event], [proposal NAME], [run])",
              sec->name);
}

static void describe_interval(double lo, double hi, char *buf, size_t size)
{
  snprintf(buf, size, "(%.10g, %.10g)", lo, hi);
}

/* The event's region where the target has mass: (lo, hi). Empty when lo >= hi. */
void issim_scenario_event_region(const issim_scenario *s, double *lo, double *hi)
{
  if (s->direction == ISSIM_ABOVE) {
    *lo = fmax(s->threshold, s->target->lower);
    *hi = s->target->upper;
  } else {
    *lo = s->target->lower;
    *hi = fmin(s->threshold, s->target->upper);
  }
}

static int check_coverage(builder *b)
{
  issim_scenario *s = b->s;
  double lo, hi;
  issim_scenario_event_region(s, &lo, &hi);
  char region[128];
  describe_interval(lo, hi, region, sizeof region);
  if (!(lo < hi))
    return fail(b->r, b->threshold_line,
                "the event x %s %.10g is impossible under the target (support [%.10g, %.10g]), "
                "so P = 0 exactly; choose a threshold inside the support",
                s->direction == ISSIM_ABOVE ? ">" : "<", s->threshold, s->target->lower,
                s->target->upper);
  for (size_t i = 0; i < s->n_proposals; i++) {
    const issim_dist *q = s->proposals[i].dist;
    if (q == NULL || (q->lower <= lo && q->upper >= hi))
      continue;
    char desc[256];
    issim_dist_describe(q, desc, sizeof desc);
    fail(b->r, s->proposals[i].line,
         "proposal '%s' = %s has support [%.10g, %.10g], which does not cover the event region "
         "%s where the target has mass: its estimate would be silently biased; "
         "use a proposal whose support contains %s",
         s->proposals[i].name, desc, q->lower, q->upper, region, region);
    b->r->err->code = ISSIM_ECOVER;
    return 0;
  }
  return 1;
}

static int build(builder *b)
{
  reader *r = b->r;
  for (size_t i = 0; i < r->n; i++)
    if (!build_section(b, &r->sections[i]))
      return 0;
  if (b->s->target == NULL)
    return fail(r, 1, "no [target] section; add one, e.g. [target] distribution = normal, mean = 0, sd = 1");
  if (isnan(b->s->threshold))
    return fail(r, 1, "no [event] section; add one, e.g. [event] threshold = 5");
  if (b->s->n_proposals == 0)
    return fail(r, 1, "no [proposal NAME] section; add at least one, e.g. [proposal shifted] "
                      "distribution = normal, mean = 5, sd = 1");
  return check_coverage(b);
}

static char *base_name(const char *path)
{
  const char *slash = strrchr(path, '/');
  const char *base = slash ? slash + 1 : path;
  const char *dot = strrchr(base, '.');
  return dot && dot != base ? strndup(base, (size_t)(dot - base)) : strdup(base);
}

static issim_scenario *scenario_new(const char *path)
{
  issim_scenario *s = calloc(1, sizeof *s);
  if (s == NULL)
    return NULL;
  s->path = strdup(path);
  s->name = base_name(path);
  s->description = strdup("");
  s->threshold = NAN;
  s->direction = ISSIM_ABOVE;
  s->samples = 1000000;
  s->seed = 1;
  issim_rng_lookup(ISSIM_RNG_DEFAULT, &s->rng, NULL);
  if (s->path == NULL || s->name == NULL || s->description == NULL) {
    issim_scenario_free(s);
    return NULL;
  }
  return s;
}

static issim_scenario *parse_stream(FILE *f, const char *path, issim_error *err)
{
  issim_error local;
  if (err == NULL)
    err = &local;
  issim_error_clear(err);
  reader r = {.stream = f, .path = path, .err = err};
  builder b = {.r = &r};
  int ok = read_ini(&r) == ISSIM_OK;
  if (ok) {
    b.s = scenario_new(path);
    ok = b.s != NULL && build(&b) && !r.nomem;
    if (!ok && (b.s == NULL || r.nomem))
      issim_error_set(err, ISSIM_ENOMEM, "%s: out of memory", path);
  }
  free_sections(&r);
  if (!ok) {
    issim_scenario_free(b.s);
    return NULL;
  }
  return b.s;
}

issim_scenario *issim_scenario_read(const char *path, issim_error *err)
{
  FILE *f = fopen(path, "r");
  if (f == NULL) {
    issim_error_set(err, ISSIM_EIO, "%s: cannot open the scenario file: %s", path, strerror(errno));
    return NULL;
  }
  issim_scenario *s = parse_stream(f, path, err);
  fclose(f);
  return s;
}

issim_scenario *issim_scenario_parse(const char *text, const char *path, issim_error *err)
{
  FILE *f = fmemopen((void *)text, strlen(text), "r");
  if (f == NULL) {
    issim_error_set(err, ISSIM_ENOMEM, "%s: out of memory", path);
    return NULL;
  }
  issim_scenario *s = parse_stream(f, path, err);
  fclose(f);
  return s;
}

void issim_scenario_free(issim_scenario *s)
{
  if (s == NULL)
    return;
  for (size_t i = 0; i < s->n_proposals; i++) {
    free(s->proposals[i].name);
    issim_dist_free(s->proposals[i].dist);
  }
  free(s->proposals);
  issim_dist_free(s->target);
  free(s->path);
  free(s->name);
  free(s->description);
  free(s);
}

const issim_proposal *issim_scenario_proposal(const issim_scenario *s, const char *name)
{
  for (size_t i = 0; i < s->n_proposals; i++)
    if (strcmp(s->proposals[i].name, name) == 0)
      return &s->proposals[i];
  return NULL;
}

double issim_scenario_exact_log(const issim_scenario *s)
{
  return s->direction == ISSIM_ABOVE ? issim_dist_log_sf(s->target, s->threshold)
                                     : issim_dist_log_cdf(s->target, s->threshold);
}
