/* plugin.c: a loss from a shared library (see plugin.h).
 *
 * The loss is a function loss (loss.h) whose eval is the library's own
 * function, called directly; the loaded library and its symbols are the
 * loss's shared `user`, released (dlclose) with the last copy. */
#define _POSIX_C_SOURCE 200809L /* strdup */

#include "plugin.h"

#include <stdio.h>

#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  void *handle;
  issim_plugin_function *function;
  issim_plugin_init *init;
  issim_plugin_free *free;
  issim_plugin_message *message;
  char *parameters;
  size_t d;
} plugin;

static void plugin_release(void *user)
{
  plugin *p = user;
  if (p == NULL)
    return;
  if (p->handle)
    dlclose(p->handle);
  free(p->parameters);
  free(p);
}

/* A symbol of the library: its address, or NULL with the message. */
static void *symbol(plugin *p, const issim_plugin_spec *spec, const char *key, const char *name,
                    issim_error *err)
{
  dlerror();
  void *s = dlsym(p->handle, name);
  const char *why = dlerror();
  if (why == NULL && s != NULL)
    return s;
  issim_error_set_key(err, ISSIM_EINVAL, key,
                      "the plugin %s has no symbol '%s' (%s = %s): %s; a plugin exports its "
                      "functions with C linkage (extern \"C\" in C++), and `nm -D %s` lists "
                      "what it exports", spec->library, name, key, name,
                      why ? why : "it is NULL", spec->library);
  return NULL;
}

/* The library's issim_plugin_abi: it must be there, and this version. */
static int is_plugin(plugin *p, const issim_plugin_spec *spec, issim_error *err)
{
  dlerror();
  const int *abi = dlsym(p->handle, "issim_plugin_abi");
  if (dlerror() != NULL || abi == NULL)
    return issim_error_set_key(err, ISSIM_EINVAL, "library",
                               "%s is not an issim plugin: it does not define issim_plugin_abi "
                               "(int issim_plugin_abi = %d; in one of its files), which says "
                               "that its functions follow issim's plugin interface; issim loads "
                               "no other library", spec->library, ISSIM_PLUGIN_ABI) == ISSIM_OK;
  if (*abi != ISSIM_PLUGIN_ABI)
    return issim_error_set_key(err, ISSIM_EINVAL, "library",
                               "the plugin %s was made for version %d of issim's plugin "
                               "interface; this issim has version %d", spec->library, *abi,
                               ISSIM_PLUGIN_ABI) == ISSIM_OK;
  return 1;
}

/* Function pointers from dlsym's object pointers (POSIX guarantees they
 * convert; C does not say so, hence memcpy rather than a cast). */
static int resolve(plugin *p, const issim_plugin_spec *spec, issim_error *err)
{
  void *f = symbol(p, spec, "function", spec->function, err);
  if (f == NULL)
    return 0;
  memcpy(&p->function, &f, sizeof f);
  const struct { const char *key, *name; void *slot; } optional[] = {
    {"init", spec->init, &p->init},
    {"free", spec->free, &p->free},
    {"message", spec->message, &p->message},
  };
  for (size_t i = 0; i < sizeof optional / sizeof *optional; i++) {
    if (optional[i].name == NULL)
      continue;
    void *s = symbol(p, spec, optional[i].key, optional[i].name, err);
    if (s == NULL)
      return 0;
    memcpy(optional[i].slot, &s, sizeof s);
  }
  return 1;
}

/* ---- the loss's callbacks (loss.h) ---- */

static int plugin_state(void *user, void **state)
{
  plugin *p = user;
  *state = NULL;
  return p->init ? p->init(p->parameters, p->d, state) : 0;
}

static void plugin_done(void *user, void *state)
{
  plugin *p = user;
  if (p->free)
    p->free(state);
}

static const char *plugin_message(void *user, void *state)
{
  plugin *p = user;
  return p->message ? p->message(state) : NULL;
}

/* INIT once on the parameters, so that a refusal is an input error. */
static int check_parameters(plugin *p, const issim_plugin_spec *spec, issim_error *err)
{
  void *state = NULL;
  int rc = plugin_state(p, &state);
  if (rc == 0) {
    plugin_done(p, state);
    return 1;
  }
  const char *why = plugin_message(p, NULL);
  issim_error_set_key(err, ISSIM_EINVAL, "parameters",
                      "the plugin's %s refused the parameters '%s' (it returned %d)%s%s",
                      spec->init, p->parameters, rc, why && why[0] ? ": " : "", why ? why : "");
  return 0;
}

issim_loss *issim_plugin_alloc(size_t d, const issim_plugin_spec *spec, issim_error *err)
{
  plugin *p = calloc(1, sizeof *p);
  if (p == NULL || (p->parameters = strdup(spec->parameters ? spec->parameters : "")) == NULL) {
    plugin_release(p);
    issim_error_set(err, ISSIM_ENOMEM, "out of memory for a plugin");
    return NULL;
  }
  p->d = d;
  dlerror();
  if ((p->handle = dlopen(spec->library, RTLD_NOW | RTLD_LOCAL)) == NULL) {
    const char *why = dlerror();
    issim_error_set_key(err, ISSIM_EINVAL, "library", "cannot load the plugin %s: %s",
                        spec->library, why ? why : "dlopen failed");
    plugin_release(p);
    return NULL;
  }
  if (!is_plugin(p, spec, err) || !resolve(p, spec, err) || !check_parameters(p, spec, err)) {
    plugin_release(p);
    return NULL;
  }
  size_t len = strlen(spec->library) + strlen(spec->function) + 16;
  char *name = malloc(len);
  issim_loss_function f = {.eval = p->function, .user = p, .init = plugin_state,
                           .done = plugin_done, .message = plugin_message,
                           .release = plugin_release, .name = name};
  issim_loss *g = NULL;
  if (name != NULL) {
    snprintf(name, len, "plugin %s:%s", spec->library, spec->function);
    g = issim_loss_alloc_function(d, &f, err);
  } else {
    issim_error_set(err, ISSIM_ENOMEM, "out of memory for a plugin");
  }
  free(name);
  if (g == NULL)
    plugin_release(p);
  return g;
}
