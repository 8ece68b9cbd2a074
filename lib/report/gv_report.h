/* gv_report.h: the gradient report, from the plain results of a driver run
 * (gv_driver.h), in four files: JSON for machines, Markdown for people, one
 * self-contained HTML page with plots, JUnit XML for CI dashboards. The
 * writers know nothing of how the results were computed.
 *
 * Each file is written whole or not at all (gv_file.h); the set of the four
 * is switched in as one by gv_report_set.h. Writers return GSL_SUCCESS,
 * GSL_ENOMEM, or GSL_EFAILED with the errno value in *err_no. */
#ifndef GV_REPORT_H
#define GV_REPORT_H

#include <jansson.h>

#include "gv_driver.h"

/* The reports' file names inside the output directory. */
#define GV_REPORT_JSON "gradient-report.json"
#define GV_REPORT_MD "gradient-report.md"
#define GV_REPORT_HTML "gradient-report.html"
#define GV_REPORT_JUNIT "junit.xml"

/* The tolerance rule, in words, as the reports state it. */
extern const char gv_report_rule[];
/* How a method computes the numeric side and its error bar, in words. */
const char *gv_report_method_text(gv_method m);

/* --- JSON (gv_report_json.c) ---------------------------------------------- */

/* The run as a JSON object (fields documented in reports/README.md); the
 * caller owns the reference. NULL when out of memory. */
json_t *gv_report_json(const gv_run *run);

/* Writes the JSON report to path. */
int gv_report_write_json(const gv_run *run, const char *path, int *err_no);

/* --- Markdown (gv_report_md.c) -------------------------------------------- */

/* Writes the Markdown report to path. */
int gv_report_write_md(const gv_run *run, const char *path, int *err_no);

/* --- HTML (gv_report_html.c) ---------------------------------------------- *
 * The page holds what the Markdown report holds (verdict, seed, settings and
 * the tolerance rule; every formula with its verdict, trials, sizes, worst
 * errors, the reason it holds and what was drawn; the negative controls and
 * how each was caught) and adds plots drawn by gnuplot (gv_plot.h) from data
 * this program writes, inlined as SVG:
 *   - per formula, the histogram of relative errors over all trials, rtol marked;
 *   - the step-size curve of a central difference (gv_plot_data.h);
 *   - the Taylor test of the network gradient, right and wrong (gv_plot_data.h);
 *   - per negative control (and failing formula) whose first failing trial
 *     has more than one entry (a row, a column or a matrix), a heat map of
 *     log10(error / bound) for each entry of that trial.
 * CSS is inline; there is no JavaScript and nothing is fetched. The markup is
 * XML-compatible (every element closed, attributes quoted, text escaped), so
 * an XML parser can check it.
 *
 * Every element a test or a script may look for has a fixed id:
 * "f-<formula id>", "c-<control id>", and for plots "plot-hist-<formula id>",
 * "plot-step", "plot-taylor", "plot-heat-<control or formula id>". Each plot
 * is a <figure class="plot"> holding one <svg>, or, when it was not drawn, a
 * <p class="skip"> saying why. */

/* What each plot's place says when gnuplot is missing. */
#define GV_REPORT_HTML_SKIPPED                                                                     \
  "plots skipped: gnuplot is not installed (apt-get install gnuplot-nox)"

/* Writes the page to path. Plots are drawn before the file is opened, from
 * memory files (gv_plot.h): nothing but the page is written.
 * *plots_skipped receives 0 when every plot was drawn, 1 when gnuplot is not
 * installed (the page is still written and says so at each plot), 2 when
 * gnuplot is there but failed on some plot or did not start (the page says
 * which). Besides the errors above, the status of gv_plot_data.h when its
 * curves cannot be computed. */
int gv_report_write_html(const gv_run *run, const char *path, int *plots_skipped, int *err_no);

/* --- JUnit XML (gv_report_junit.c) ---------------------------------------- *
 * One <testsuites> holding two suites: "formulas", one <testcase
 * classname="gradverify.formulas" name="ID"> per formula, failing with type
 * "gradient_mismatch" and a message naming the worst entry; and "controls",
 * one testcase per negative control, failing with type "missed_control" when
 * the planted mistake passed. Each suite carries the run's seed, trials and
 * tolerances as <properties>. Numbers are printed with %.17g, so that a seed
 * reproduces the file byte for byte; every string is XML-escaped. */

/* Writes the JUnit report of run to path. */
int gv_report_write_junit(const gv_run *run, const char *path, int *err_no);

#endif
