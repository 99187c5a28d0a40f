/* plugin.h: a loss from a shared library, the user's own C function loaded
 * with dlopen (a scenario's `loss = plugin`, docs/scenarios.md).
 *
 * The library exports, with C linkage:
 *
 *   int issim_plugin_abi = 1;   (ISSIM_PLUGIN_ABI)
 *       required: says the library was written as an issim plugin, for
 *       this interface.  issim loads no library without it, so that a
 *       scenario cannot make it call any function of any library (say
 *       libc's system) as if it were a loss.
 *
 * and, under names the caller chooses:
 *
 *   int FUNCTION(const double *x, size_t n, size_t d, double *g, void *state);
 *       required: the losses g[0..n) of the n points x[i*d .. i*d + d), 0 on
 *       success, non-zero on failure: loss.h's issim_loss_fn and its rules
 *       (a NaN is a failure; called from several threads at once, each with
 *       its own state).
 *   int INIT(const char *parameters, size_t d, void **state);
 *       optional: makes a state from the parameters text (the scenario's
 *       `parameters`, "" when none); non-zero refuses them.  Called once
 *       when the plugin is loaded, to check the parameters (that state is
 *       freed at once), then once per copy of the loss: per thread, in that
 *       thread, before its first evaluation.
 *   void FREE(void *state);
 *       optional: frees a state INIT made.
 *   const char *MESSAGE(void *state);
 *       optional: why the last call failed, for issim's message (state is
 *       NULL after a failed INIT); may return NULL.
 *
 * Without INIT every call gets state NULL, and FUNCTION must then be safe to
 * call from several threads at once.  The function is called directly, with
 * nothing in between: a batch costs one indirect call.
 *
 * Loading.  dlopen with RTLD_NOW | RTLD_LOCAL, so that a library with
 * undefined symbols is refused when the scenario is read, not in the middle
 * of a run; dlopen's rules find the file (a path with a '/' is opened as it
 * is: the scenario reader makes every relative path relative to the
 * scenario's directory, so that a plugin is never looked up on the system's
 * library path).  The library stays loaded while any copy of the loss
 * lives.  Loading a library runs its code (its constructors): a scenario
 * loads only the library its `library` key names.
 */
#ifndef ISSIM_PLUGIN_H
#define ISSIM_PLUGIN_H

#include <stddef.h>

#include "error.h"
#include "loss.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The version of the interface above, which a plugin's issim_plugin_abi
 * holds. */
#define ISSIM_PLUGIN_ABI 1

/* The types of the symbols above, for a plugin that wants them checked
 * (#include <issim/plugin.h>, built with pkg-config --cflags issim). */
typedef int issim_plugin_function(const double *x, size_t n, size_t d, double *g, void *state);
typedef int issim_plugin_init(const char *parameters, size_t d, void **state);
typedef void issim_plugin_free(void *state);
typedef const char *issim_plugin_message(void *state);

typedef struct {
  const char *library;    /* the shared object's path (dlopen's rules) */
  const char *function;   /* required */
  const char *init;       /* NULL: none */
  const char *free;       /* NULL: none */
  const char *message;    /* NULL: none */
  const char *parameters; /* passed to init; NULL: "" */
} issim_plugin_spec;

/* The function loss of d coordinates that spec names (loss.h), its name
 * "plugin LIBRARY:FUNCTION".  ISSIM_EINVAL, with the key at fault (library,
 * function, init, free, message, parameters) and dlerror's or the plugin's
 * own words, when the library cannot be loaded, is not an issim plugin (no
 * issim_plugin_abi, or another version), a symbol is missing, or INIT
 * refuses the parameters. */
issim_loss *issim_plugin_alloc(size_t d, const issim_plugin_spec *spec, issim_error *err);

#ifdef __cplusplus
}
#endif

#endif
