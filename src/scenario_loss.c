/* scenario_loss.c: the user's own model as a scenario's loss: loss = plugin
 * (plugin.h) and loss = command (command.h), their keys and their paths.
 *
 * A relative path (the plugin's library, a command's program written with
 * a '/') is relative to the scenario file's directory, never to where issim
 * runs; the command also runs in that directory.  A scenario runs no program
 * and loads no library but the one its loss names. */
#define _POSIX_C_SOURCE 200809L /* strdup */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "command.h"
#include "expr.h"
#include "parse.h"
#include "plugin.h"
#include "scenario_impl.h"

/* The keys of each kind of user loss, ", "-separated, for messages. */
static const char PLUGIN_KEYS[] = "library, function, init, free, message, parameters";
static const char COMMAND_KEYS[] = "command, timeout, mode";

/* The scenario file's directory: "." for a bare file name. */
static char *scenario_dir(const char *path)
{
  const char *slash = strrchr(path, '/');
  if (slash == NULL)
    return strdup(".");
  if (slash == path)
    return strdup("/");
  return strndup(path, (size_t)(slash - path));
}

/* path relative to dir unless absolute, as a new string. */
static char *relative_to(const char *dir, const char *path)
{
  if (path[0] == '/')
    return strdup(path);
  size_t n = strlen(dir) + strlen(path) + 2;
  char *s = malloc(n);
  if (s != NULL)
    snprintf(s, n, "%s/%s", dir, path);
  return s;
}

/* Does `key` (one of a ", "-separated list) appear in `keys`? */
static int listed(const char *keys, const char *key)
{
  size_t n = strlen(key);
  for (const char *k = keys; *k;) {
    size_t len = strcspn(k, ", ");
    if (len == n && strncmp(k, key, n) == 0)
      return 1;
    k += len;
    k += strspn(k, ", ");
  }
  return 0;
}

int scenario_user_loss_key(const char *key)
{
  return listed(PLUGIN_KEYS, key) || listed(COMMAND_KEYS, key);
}

int scenario_check_user_loss_keys(builder *b, section *sec, const char *loss)
{
  const char *own = strcmp(loss, "plugin") == 0 ? PLUGIN_KEYS
                    : strcmp(loss, "command") == 0 ? COMMAND_KEYS : "";
  for (size_t i = 0; i < sec->n; i++) {
    const entry *e = &sec->entries[i];
    if (!scenario_user_loss_key(e->key) || listed(own, e->key))
      continue;
    return issim_inifile_fail(b->r, e->line, "%s applies to loss = %s (the loss here is %s)",
                              e->key, listed(PLUGIN_KEYS, e->key) ? "plugin" : "command", loss);
  }
  return 1;
}

/* The inner error of a library call at the entry of its key (or the loss's). */
static int fail_at_key(builder *b, section *sec, const entry *kind, const issim_error *inner)
{
  entry *e = inner->key[0] ? issim_inifile_find(sec, inner->key) : NULL;
  if (inner->code == ISSIM_ENOMEM) {
    b->r->nomem = 1;
    return 0;
  }
  return issim_inifile_fail(b->r, e ? e->line : kind->line, "%s", inner->message);
}

static int build_plugin(builder *b, section *sec, const entry *kind, const char *dir)
{
  int line;
  const char *library = scenario_get(sec, "library", &line);
  const char *function = scenario_get(sec, "function", NULL);
  if (library == NULL || function == NULL)
    return issim_inifile_fail(b->r, kind->line, "loss = plugin needs 'library', the shared library "
                              "(a path relative to the scenario's directory), and 'function', the "
                              "name of its loss function");
  issim_plugin_spec spec = {
    .function = function, .init = scenario_get(sec, "init", NULL),
    .free = scenario_get(sec, "free", NULL), .message = scenario_get(sec, "message", NULL),
    .parameters = scenario_get(sec, "parameters", NULL),
  };
  char *path = relative_to(dir, library);
  if (path == NULL) {
    b->r->nomem = 1;
    return 0;
  }
  spec.library = path;
  issim_error inner;
  b->s->event.loss = issim_plugin_alloc(b->s->dimension, &spec, &inner);
  free(path);
  return b->s->event.loss ? 1 : fail_at_key(b, sec, kind, &inner);
}

/* timeout and mode into the spec; 0 on a bad value (recorded). */
static int command_settings(builder *b, section *sec, issim_command_spec *spec)
{
  int line;
  const char *timeout = scenario_get(sec, "timeout", &line);
  issim_error inner;
  if (timeout && (issim_parse_number(timeout, "timeout", &spec->timeout, &inner) != ISSIM_OK ||
                  !(spec->timeout >= 0) || isinf(spec->timeout)))
    return issim_inifile_fail(b->r, line, "timeout must be the seconds one batch of points may "
                              "take, a number above 0, or 0 for no limit (got '%s')", timeout);
  const char *mode = scenario_get(sec, "mode", &line);
  if (mode && strcmp(mode, "batch") != 0 && strcmp(mode, "stream") != 0)
    return issim_inifile_fail(b->r, line, "mode must be batch (the program is started for each "
                              "batch of points) or stream (it runs throughout, answering each "
                              "line as it reads it), not '%s'", mode);
  spec->mode = mode && strcmp(mode, "stream") == 0 ? ISSIM_COMMAND_STREAM : ISSIM_COMMAND_BATCH;
  return 1;
}

static int build_command(builder *b, section *sec, const entry *kind, const char *dir)
{
  int line;
  const char *text = scenario_get(sec, "command", &line);
  if (text == NULL)
    return issim_inifile_fail(b->r, kind->line, "loss = command needs 'command', the program and "
                              "its arguments, e.g. command = ./solver --batch");
  issim_command_spec spec = {.directory = dir, .timeout = ISSIM_SCENARIO_COMMAND_TIMEOUT};
  if (!command_settings(b, sec, &spec))
    return 0;
  char **argv;
  size_t argc;
  issim_error inner;
  if (issim_command_split(text, &argv, &argc, &inner) != ISSIM_OK)
    return inner.code == ISSIM_ENOMEM ? (b->r->nomem = 1, 0)
                                      : issim_inifile_fail(b->r, line, "%s", inner.message);
  spec.argv = (const char *const *)argv;
  b->s->event.loss = issim_command_alloc(b->s->dimension, &spec, &inner);
  issim_command_free_words(argv);
  return b->s->event.loss ? 1 : fail_at_key(b, sec, kind, &inner);
}

/* The blank-separated words of text, each a new string, into *out[*n]; 0
 * when out of memory (what was made in *out[*n], for free_words). */
static int split_words(const char *text, char ***out, size_t *n)
{
  size_t k = 0;
  char **w = calloc(strlen(text) / 2 + 1, sizeof *w);
  *out = w;
  *n = 0;
  if (w == NULL)
    return 0;
  int ok = 1;
  for (const char *p = text + strspn(text, " \t"); ok && *p; p += strspn(p, " \t")) {
    size_t len = strcspn(p, " \t");
    ok = (w[k] = strndup(p, len)) != NULL;
    k += ok;
    p += len;
  }
  *n = k;
  return ok;
}

static void free_words(char **w, size_t n)
{
  for (size_t i = 0; w != NULL && i < n; i++)
    free(w[i]);
  free(w);
}

int scenario_read_variables(builder *b, section *sec)
{
  entry *e = issim_inifile_find(sec, "variables");
  if (e == NULL)
    return 1;
  if (scenario_credit_law(b->s))
    return issim_inifile_fail(b->r, e->line, "variables names the coordinates of a formula's or "
                              "a program's loss; a credit portfolio's loss has no variables to "
                              "name");
  char **names;
  size_t n;
  if (!split_words(e->value, &names, &n)) {
    free_words(names, n);
    b->r->nomem = 1;
    return 0;
  }
  issim_error inner;
  if (issim_expr_check_names(b->s->dimension, n, (const char *const *)names, &inner) != ISSIM_OK) {
    free_words(names, n);
    return issim_inifile_fail(b->r, e->line, "%s", inner.message);
  }
  b->s->variables = names;
  return 1;
}

int scenario_build_user_loss(builder *b, section *sec, const entry *kind)
{
  if (!scenario_check_user_loss_keys(b, sec, kind->value))
    return 0;
  char *dir = scenario_dir(b->s->path);
  if (dir == NULL) {
    b->r->nomem = 1;
    return 0;
  }
  int ok = strcmp(kind->value, "plugin") == 0 ? build_plugin(b, sec, kind, dir)
                                              : build_command(b, sec, kind, dir);
  free(dir);
  return ok;
}
