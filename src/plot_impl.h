/* plot_impl.h (internal, not installed): what plot.c (the data files and
 * the gnuplot scripts) and plot_render.c (running gnuplot on them) share. */
#ifndef ISSIM_PLOT_IMPL_H
#define ISSIM_PLOT_IMPL_H

#include <stddef.h>

#include "error.h"

#define ISSIM_PLOT_INTERNAL __attribute__((visibility("hidden")))

/* Removes dir/BASE.EXT if present (a figure of an earlier run); a file that
 * is not there is no error. */
ISSIM_PLOT_INTERNAL void plot_remove_figure(const char *dir, const char *base, const char *ext);

/* Runs gnuplot (the program `gnuplot`, found on PATH unless it has a '/') in
 * dir on BASE.gp for each of the n bases, its messages into dir/gnuplot.log;
 * every BASE.png and BASE.svg must then exist.  *rendered (may be NULL) is 1
 * when all were drawn.  gnuplot not found: ISSIM_OK with a message saying
 * how to render the scripts later; gnuplot failing: ISSIM_EIO, its half
 * figure removed. */
ISSIM_PLOT_INTERNAL int plot_render(const char *dir, const char *const *bases, size_t n,
                                    const char *gnuplot, int *rendered, issim_error *err);

#endif
