/* plot.h: convergence plots with gnuplot.
 *
 * issim_plot_write writes, into a directory, plain data files with documented
 * columns and gnuplot scripts, then renders them to PNG (pngcairo) and SVG by
 * running gnuplot as a separate program, with its arguments passed directly
 * (no shell).  Without gnuplot the data and scripts stay, for anyone to render
 * later, and the function says so through *rendered.  Files appear whole: each
 * is written under a temporary name and renamed (fileio.h).
 *
 * Figures (each titled, axes labelled, with a legend outside the frame; one
 * linetype per proposal, the same in every figure: twelve colours that do
 * not repeat, then dash types; a doubtful proposal drawn thinner and an
 * unreliable one thin, each named so in the legend):
 *   convergence.{png,svg}  estimate / exact P against N (log x, linear y),
 *                          one line per proposal with its shaded 95% band and
 *                          a dashed line at 1; the ratio reads the same at any
 *                          magnitude (P may be below the smallest double).
 *                          Exact P unknown: divided by the scenario's given
 *                          reference, else by the reference the caller gives
 *                          (compare.h's rule: the trustworthy estimate with
 *                          the smallest relative error), named in the legend;
 *                          none: the figure says so.
 *                          The y axis stops at a few times the estimates so
 *                          that wide early bands do not flatten the figure.
 *   relerr.{png,svg}       relative error against N (log-log), with a dashed
 *                          1/sqrt(N) line from each proposal's first point
 *   logweights.{png,svg}   histograms of the event draws' log-weights (nats,
 *                          absolute; counts on a log axis, so that single
 *                          draws in the tail show), one per proposal, and
 *                          log P when known (a proposal that is too narrow
 *                          shows at a glance)
 *   efficiency.{png,svg}   (when some efficiency is finite: a comparison)
 *                          work-normalised efficiency of each proposal as
 *                          bars on a log scale, in rank order; solid,
 *                          pale or hatched by verdict
 *   summary.{png,svg}      (the same) the convergence, relative error and
 *                          efficiency as panels of one page, and a panel
 *                          listing the proposals in rank order with their
 *                          verdicts and estimates
 * A figure without data is drawn as an empty frame that says so.  The data
 * files (trace_<name>.dat, hist_<name>.dat, efficiency.dat) document their
 * columns in '#' lines and carry log10 values, never the raw P.  gnuplot's
 * own messages go to gnuplot.log in dir.
 */
#ifndef ISSIM_PLOT_H
#define ISSIM_PLOT_H

#include <stddef.h>

#include "curve.h"
#include "error.h"
#include "problem.h"
#include "trace.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
  const char *name;          /* the proposal's name: letters, digits, '_', '-', '.' */
  const issim_trace *trace;  /* may be NULL */
  const issim_hist *hist;    /* may be NULL */
  double efficiency;         /* 1 / (relative variance x seconds per draw); NAN: no bar */
  /* how the figures mark it: "trustworthy", "doubtful" or "unreliable" (NULL:
   * not marked); its rank in a comparison (0: none), which orders the
   * efficiency bars and the summary; and its final estimate for the
   * summary's legend (has_estimate 0: not shown) */
  const char *verdict;
  size_t rank;
  int has_estimate;
  double log_estimate, relative_error;
} issim_plot_series;

typedef struct {
  const char *title;         /* e.g. the scenario's name and description */
  double exact_log;          /* natural log of the exact P, NAN when unknown */
  /* what estimates are divided by when exact_log is NAN: the natural log of
   * a proposal's estimate (NAN: no reference) and that proposal's name */
  double reference_log;
  const char *reference_name;
  /* the scenario's [event] reference (has_given set), used like the exact P
   * when that is unknown: the figures divide by it and name it */
  int has_given;
  double given_log;
  const char *gnuplot;       /* the program to run, e.g. "gnuplot"; NULL: do not render */
} issim_plot_options;

/* Writes the files into dir (created if missing).  *rendered (may be NULL) is
 * set to 1 when gnuplot ran and produced every figure, 0 otherwise (gnuplot not
 * found: a message in err->message says so, but the return is ISSIM_OK).
 * ISSIM_EIO when a file cannot be written, with the path in the message. */
int issim_plot_write(const char *dir, const issim_plot_series *series, size_t n,
                     const issim_plot_options *opt, int *rendered, issim_error *err);

/* ---- the exceedance figure (plot_curve.c) ----
 *
 * exceedance.{png,svg}: log10 P(loss > t) (or < t) against the threshold t,
 * one line per proposal with a curve, its points at the curve's levels and
 * its shaded 95% band (a level that is not trustworthy ringed), each
 * quantile as a point at log10 alpha with its interval as a horizontal bar,
 * the exact curve where issim knows the exact P (dashed, black) and the
 * main threshold (dotted).  Data files: exceedance_<name>.dat (the levels),
 * quantiles_<name>.dat and exceedance_exact.dat, their columns documented
 * in '#' lines (docs/exceedance.md). */
typedef struct {
  const issim_curve *const *curves; /* n, aligned with the series (the same
                                     * linetypes); NULL entries: none */
  const issim_problem *problem;     /* the scenario's, for the exact curve
                                     * (NULL, or no exact P: none) */
  double main_threshold;
} issim_plot_exceedance_input;

/* Writes the exceedance figure's data and script into dir (created if
 * missing) and renders it as issim_plot_write does; nothing when no series
 * has a curve (*rendered 1 then). */
int issim_plot_exceedance(const char *dir, const issim_plot_series *series, size_t n,
                          const issim_plot_options *opt, const issim_plot_exceedance_input *in,
                          int *rendered, issim_error *err);

#ifdef __cplusplus
}
#endif

#endif
