/* plot_impl.h (internal, not installed): what plot.c (the convergence
 * figures, the scripts' common head, rendering) lends plot_curve.c (the
 * exceedance figure). */
#ifndef ISSIM_PLOT_IMPL_H
#define ISSIM_PLOT_IMPL_H

#include <stddef.h>
#include <stdio.h>

#include "error.h"
#include "plot.h"

#define ISSIM_PLOT_INTERNAL __attribute__((visibility("hidden")))

/* A number as gnuplot and strtod both read it (NaN, Inf, -Inf too). */
ISSIM_PLOT_INTERNAL void plot_put_num(FILE *f, double x);
/* A single-quoted gnuplot string: the only kind gnuplot never expands. */
ISSIM_PLOT_INTERNAL void plot_put_gp_string(FILE *f, const char *s);
/* The head every script starts with (terminal, the series' linetypes, the
 * title: title, then subject) and the tail that draws it again as SVG. */
ISSIM_PLOT_INTERNAL void plot_put_head(FILE *f, const issim_plot_series *series, size_t n,
                                       const char *title, const char *base, const char *subject);
ISSIM_PLOT_INTERNAL void plot_put_tail(FILE *f, const char *base);
/* Can the name name a data file (1 to 200 letters, digits, '_', '-', '.')? */
ISSIM_PLOT_INTERNAL int plot_valid_name(const char *name);
/* The linetype of series i, the same in every figure. */
ISSIM_PLOT_INTERNAL size_t plot_linetype(size_t i);
/* Runs gnuplot on dir/BASE.gp, its messages appended to dir/gnuplot.log;
 * *rendered 1 when BASE.png and BASE.svg were drawn.  gnuplot not found:
 * ISSIM_OK, *rendered 0 and a message in err; gnuplot failing: ISSIM_EIO. */
ISSIM_PLOT_INTERNAL int plot_render_figure(const char *dir, const char *base, const char *gnuplot,
                                           int *rendered, issim_error *err);

#endif
