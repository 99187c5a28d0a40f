#define _POSIX_C_SOURCE 200809L /* strdup */

#include "inifile.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

/* ---------------------------------------------------------------------------
 * Pass 1: inih reads the INI syntax into a list of sections of key/value
 * entries, each with its line.  inih's handler is not told line numbers in
 * Debian's build, so our stream reader counts lines; it also records section
 * headers (inih reports a section only when a key follows) and notices the two
 * things inih would otherwise do silently: cut a long line in two, and join an
 * indented line to the key above it.
 * ------------------------------------------------------------------------- */

#define MAX_LINE_CHARS ISSIM_INIFILE_MAX_LINE

typedef issim_inifile_entry entry;
typedef issim_inifile_section section;
typedef issim_inifile reader;

int issim_inifile_fail(issim_inifile *r, int line, const char *fmt, ...)
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

char *issim_inifile_trim(char *s)
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
  char *s = issim_inifile_trim(buf);
  char *close = strchr(s, ']');
  if (*s != '[' || close == NULL)
    return; /* inih reports the syntax error */
  *close = '\0';
  char *name = issim_inifile_trim(s + 1);
  for (size_t i = 0; i < r->n; i++)
    if (strcmp(r->sections[i].name, name) == 0) {
      issim_inifile_fail(r, r->line, "section [%s] appears twice (first at line %d); merge the two",
           name, r->sections[i].line);
      return;
    }
  if (add_section(r, name, r->line) == NULL)
    r->nomem = 1;
}

/* A byte that makes the file something other than UTF-8 text: a NUL (UTF-16
 * files are full of them) or a carriage return not followed by a line feed
 * (old Mac line ends); CRLF line ends are text.  The first such byte's line
 * fails, with the cause named: fgets would cut the line at the NUL (a line
 * starting with one vanished) or read a CR-only file as one long line. */
static void not_text(reader *r, int c)
{
  issim_inifile_fail(r, r->line,
                     "not a UTF-8 text file: this line holds %s; save the file as UTF-8 text "
                     "with LF (or CRLF) line ends",
                     c == '\0' ? "a NUL byte (a UTF-16 file holds one in every character)"
                                : "a carriage return (CR) that does not end a CRLF line end");
}

/* One line, newline included, into str (num bytes at most, with the NUL),
 * as fgets would, refusing what is not text and a line longer than
 * MAX_LINE_CHARS (the rest of which is skipped). */
static int get_line(reader *r, char *str, int num)
{
  int n = 0, c = EOF;
  while (n < num - 1 && (c = getc(r->stream)) != EOF) {
    if (c == '\r') {
      int next = getc(r->stream);
      if (next != '\n')
        not_text(r, c);
      if (next != EOF)
        ungetc(next, r->stream);
    } else if (c == '\0') {
      not_text(r, c);
      c = ' '; /* so that the line is not cut short */
    }
    str[n++] = (char)c;
    if (c == '\n')
      break;
  }
  str[n] = '\0';
  if (n == 0)
    return 0;
  if (c != '\n' && n == num - 1) {
    while (c != EOF && c != '\n')
      c = getc(r->stream);
    issim_inifile_fail(r, r->line, "line longer than %d characters; continue a long value on indented lines",
         MAX_LINE_CHARS);
  }
  return 1;
}

static char *read_line(char *str, int num, void *stream)
{
  reader *r = stream;
  r->line++;
  if (!get_line(r, str, num)) {
    r->line--;
    if (ferror(r->stream))
      r->read_errno = errno;
    return NULL;
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

issim_inifile_entry *issim_inifile_find(issim_inifile_section *s, const char *key)
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

/* Appends " value" to e's value.  The value being continued keeps its
 * length and capacity in the reader and grows by doubling, so that a value
 * continued over many lines is read in linear time (copying it whole for
 * each line took 33 s for 2 MB). */
static int append_continuation(reader *r, entry *e, const char *value)
{
  if (looks_like_key(value))
    return issim_inifile_fail(r, r->line,
                "this indented line would be read as the continuation of '%s' (line %d); "
                "remove the indentation if it is a key of its own",
                e->key, e->line);
  if (e->value != r->grown) { /* the first continuation of this value */
    r->grown = e->value;
    r->grown_len = strlen(e->value);
    r->grown_cap = r->grown_len + 1;
  }
  size_t len = without_comment(value), need = r->grown_len + len + 2;
  if (need > r->grown_cap) {
    size_t cap = 2 * r->grown_cap > need ? 2 * r->grown_cap : need;
    char *grown = realloc(e->value, cap);
    if (grown == NULL) {
      r->nomem = 1;
      return 0;
    }
    e->value = r->grown = grown;
    r->grown_cap = cap;
  }
  e->value[r->grown_len] = ' ';
  memcpy(e->value + r->grown_len + 1, value, len);
  r->grown_len += len + 1;
  e->value[r->grown_len] = '\0';
  return 1;
}

static int on_entry(void *user, const char *section_name, const char *key,
                    const char *value)
{
  reader *r = user;
  (void)section_name; /* inih's copy is untrimmed and cut at 50 bytes: use ours */
  if (r->n == 0)
    return issim_inifile_fail(r, r->line, "key '%s' is outside any section; put it under [target], [event], [run], ...",
                key);
  section *s = &r->sections[r->n - 1];
  if (s->line == r->line) { /* an indented [section] line, joined by inih to the key above */
    entry *above = r->n > 1 ? issim_inifile_find(&r->sections[r->n - 2], key) : NULL;
    return issim_inifile_fail(r, r->line,
                "this indented line would be read as the continuation of '%s' (line %d); "
                "remove the indentation if it is a section header",
                key, above ? above->line : r->line - 1);
  }
  entry *previous = issim_inifile_find(s, key);
  if (previous != NULL && r->line_is_indented && previous == &s->entries[s->n - 1])
    return append_continuation(r, previous, value);
  if (previous != NULL)
    return issim_inifile_fail(r, r->line, "key '%s' given twice in [%s] (first at line %d); keep one",
                key, s->name, previous->line);
  if (!add_entry(s, key, value, r->line)) {
    r->nomem = 1;
    return 0;
  }
  return 1;
}

void issim_inifile_free(issim_inifile *r)
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

int issim_inifile_read(issim_inifile *r, FILE *stream, const char *path, issim_error *err)
{
  *r = (issim_inifile){.stream = stream, .path = path, .err = err};
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

