/* gv_report_html.h: the gradient report as one self-contained HTML page.
 *
 * The page holds what the Markdown report holds (verdict, seed, settings and
 * the tolerance rule; every formula with its verdict, trials, sizes, worst
 * errors, the reason it holds and what was drawn; the negative controls and
 * how each was caught) and adds plots drawn by gnuplot (gv_plot.h) from data
 * this program writes, inlined as SVG:
 *   - per formula, the histogram of relative errors over all trials, rtol marked;
 *   - the step-size curve of a central difference (gv_plot_data.h);
 *   - the Taylor test of the network gradient, right and wrong (gv_plot_data.h);
 *   - per negative control (and failing formula) with a matrix-shaped heat map,
 *     log10(error / bound) for each entry of the first trial that failed.
 * CSS is inline; there is no JavaScript and nothing is fetched. The markup is
 * XML-compatible (every element closed, attributes quoted, text escaped), so
 * an XML parser can check it.
 *
 * Every element a test or a script may look for has a fixed id:
 * "f-<formula id>", "c-<control id>", and for plots "plot-hist-<formula id>",
 * "plot-step", "plot-taylor", "plot-heat-<control or formula id>". Each plot
 * is a <figure class="plot"> holding one <svg>, or, when it was not drawn, a
 * <p class="skip"> saying why. */
#ifndef GV_REPORT_HTML_H
#define GV_REPORT_HTML_H

#include "gv_driver.h"

/* The page's file name inside the output directory. */
#define GV_REPORT_HTML "gradient-report.html"

/* What each plot's place says when gnuplot is missing. */
#define GV_REPORT_HTML_SKIPPED                                                                     \
  "plots skipped: gnuplot is not installed (apt-get install gnuplot-nox)"

/* Writes the page to path, whole or not at all (gv_file.h). Plots are drawn
 * before the file is opened, in a private temporary directory that is removed
 * afterwards. *plots_skipped receives 0 when every plot was drawn, 1 when
 * gnuplot is not installed (the page is still written and says so at each
 * plot), 2 when gnuplot ran but failed on some plot (the page says which).
 * Returns GSL_SUCCESS, GSL_ENOMEM, or GSL_EFAILED with the errno value in
 * *err_no (the page could not be written, or no temporary directory could be
 * made), or the status of gv_plot_data.h when its curves cannot be computed. */
int gv_report_write_html(const gv_run *run, const char *path, int *plots_skipped, int *err_no);

#endif
