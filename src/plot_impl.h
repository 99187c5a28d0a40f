/* plot_impl.h (internal, not installed): what plot.c (the data files and
 * the gnuplot scripts), plot_render.c (running gnuplot on them) and
 * plot_curve.c (the exceedance figure) share. */
#ifndef ISSIM_PLOT_IMPL_H
#define ISSIM_PLOT_IMPL_H

#include <stddef.h>
#include <stdio.h>

#include "error.h"
#include "plot.h"

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

/* ---- plot_gp.c: what every figure's files are written with ---- */

/* Keeps "trace_<name>.dat.tmp" well under NAME_MAX (255). */
#define PLOT_NAME_MAX 200

/* Writes dir/name whole or not at all (fileio.h), its text by fn(f, ctx, i). */
typedef void (*plot_file_writer)(FILE *f, const void *ctx, size_t i);
ISSIM_PLOT_INTERNAL int plot_write_file(const char *dir, const char *name, plot_file_writer fn,
                                        const void *ctx, size_t i, issim_error *err);

/* A number as gnuplot and strtod both read it (NaN, Inf, -Inf too). */
ISSIM_PLOT_INTERNAL void plot_put_num(FILE *f, double x);
/* A single-quoted gnuplot string: the only kind gnuplot never expands. */
ISSIM_PLOT_INTERNAL void plot_put_gp_string(FILE *f, const char *s);
/* Can the name name a data file (1 to PLOT_NAME_MAX letters, digits, '_',
 * '-', '.')?  NULL cannot. */
ISSIM_PLOT_INTERNAL int plot_valid_name(const char *name);

/* ---- plot.c's, for plot_curve.c ---- */
/* The head every figure's script starts with (terminal, the series'
 * linetypes, the title: title, then subject; the legend beside the data)
 * and the tail that draws it again as SVG. */
ISSIM_PLOT_INTERNAL void plot_put_head(FILE *f, const issim_plot_series *series, size_t n,
                                       const char *title, const char *base, const char *subject);
ISSIM_PLOT_INTERNAL void plot_put_tail(FILE *f);
/* The linetype of series i, and its legend title (its name, marked by its
 * verdict), the same in every figure. */
ISSIM_PLOT_INTERNAL size_t plot_linetype(size_t i);
ISSIM_PLOT_INTERNAL void plot_series_title(const issim_plot_series *s, char *buf, size_t size);

#endif
