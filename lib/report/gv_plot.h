/* gv_plot.h: plots drawn by gnuplot, returned as SVG text for inlining.
 *
 * A gv_plot holds data files the caller writes, as memory files
 * (memfd_create): nothing is written to disk, and nothing is left behind
 * however the process ends. gv_plot_render writes a gnuplot script, runs the
 * program "gnuplot" (looked up in PATH) on it, the data files and an output
 * per plot handed over as /dev/fd/N (a script names a data file by its
 * name, in single quotes: 'hist0.dat'; gnuplot's cwd is the root, so a name
 * that is no data file names nothing), and reads back the SVG it drew.
 * gnuplot's stdout and stdin are /dev/null and its stderr goes to a log
 * memory file: nothing is ever printed. gv_plot_free closes them all.
 * Every signal is held in the calling thread across fork; gnuplot starts with
 * the caller's mask and every caught signal at its default action, so that a
 * signal sent to it alone never runs the caller's handler there.
 *
 * The SVG is made fit for inlining into an HTML page: the XML declaration
 * before <svg is dropped, and every id (and every reference to one) gets a
 * prefix unique to the render, since gnuplot gives each plot the same ids.
 *
 * Errors are GSL status codes: GSL_EUNIMPL when gnuplot is not installed (not
 * in PATH, so that the caller can say plots were skipped and how to install
 * gnuplot; one that is there but cannot start is GSL_EFAILED),
 * GSL_EFAILED when it ran and failed or drew nothing (the cause, an errno
 * value or 0, in *err_no where the function takes one), GSL_ENOMEM,
 * GSL_EINVAL for a bad argument. */
#ifndef GV_PLOT_H
#define GV_PLOT_H

#include <stddef.h>
#include <stdio.h>

typedef struct gv_plot gv_plot;

/* The terminal line every script starts with (W and H filled in). */
#define GV_PLOT_TERMINAL "set terminal svg size %u,%u dynamic enhanced font 'sans,11'"

/* What the page should say when gnuplot is missing. */
#define GV_PLOT_INSTALL_HINT "apt-get install gnuplot-nox"

/* A new, empty gv_plot; NULL with ENOMEM in *err_no when out of memory. */
gv_plot *gv_plot_alloc(int *err_no);

/* Closes the data and log files and frees p; NULL is a no-op. */
void gv_plot_free(gv_plot *p);

/* Opens the data file `name` (a plain file name, no '/') for writing, empty
 * (written afresh when opened again); the caller fcloses it. A script refers
 * to it as 'name'. GSL_EINVAL for a name with '/' or '\'', GSL_ENOMEM,
 * GSL_EFAILED with errno in *err_no. */
int gv_plot_data_open(gv_plot *p, const char *name, FILE **f, int *err_no);

/* Draws `script` (gnuplot commands, without terminal or output settings) on
 * an SVG canvas of width x height pixels. On success *svg receives the SVG
 * element as a NUL-terminated string that the caller frees (NULL otherwise).
 * GSL_EINVAL for no plot, no script or a zero size; GSL_ENOMEM; GSL_EFAILED
 * when the script cannot be written or read back (errno in *err_no) or
 * gnuplot rejects it (its stderr is kept in p's log until gv_plot_free).
 * Cost: one gnuplot process. */
int gv_plot_render(gv_plot *p, const char *script, unsigned width, unsigned height, char **svg,
                   int *err_no);

/* One plot of a batch: the caller's script (as for gv_plot_render) and
 * canvas size in; the SVG (caller frees; NULL unless rc is GSL_SUCCESS), the
 * plot's own status and errno cause out. */
typedef struct {
  const char *script;
  unsigned width, height;
  char *svg;
  int rc, err_no;
} gv_plot_job;

/* Draws n plots with one gnuplot process, in order (the SVG ids are
 * prefixed as if each were rendered alone, one after another). Should gnuplot
 * reject one script (it stops there), every plot is drawn again by its own
 * process, so that only the bad ones fail. Returns GSL_EINVAL for no plot or
 * jobs NULL with n > 0 (n = 0, or no job with a script: GSL_SUCCESS, nothing
 * run), GSL_EUNIMPL when gnuplot is not installed, GSL_ENOMEM, otherwise
 * GSL_SUCCESS with each job's outcome in its rc (GSL_EINVAL for no script or
 * a zero size, GSL_EFAILED as for gv_plot_render). Cost: one gnuplot process
 * (n + 1 when a script is rejected). */
int gv_plot_render_all(gv_plot *p, gv_plot_job *jobs, size_t n);

/* Whether gnuplot can be run at all: GSL_SUCCESS, GSL_EUNIMPL when it is
 * not installed, GSL_EFAILED when it is but `gnuplot --version` fails. */
int gv_plot_available(void);

/* Kills the gnuplot process a render is waiting for, if any: for a signal
 * handler (async-signal-safe). gnuplot also dies with the process that
 * started it (PR_SET_PDEATHSIG), whatever kills that. */
void gv_plot_kill_child(void);

#endif
