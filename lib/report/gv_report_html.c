/* gv_report_html.c: the report for people, one self-contained HTML page with
 * plots drawn by gnuplot. Every plot is drawn first, then the page is written
 * in one go, atomically. */

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "gv_file.h"
#include "gv_xml.h"
#include "gv_plot.h"
#include "gv_plot_data.h"
#include "gv_report.h"

/* One plot's place on the page: the SVG, or why there is none. */
typedef struct {
  char *svg;
  const char *why; /* when svg is NULL */
} plot;

typedef struct {
  const gv_run *run;
  gv_plot *gp; /* NULL when gnuplot is missing */
  int skipped; /* as *plots_skipped */
  int fatal;   /* GSL_ENOMEM met while drawing */
  plot *hist;  /* per formula */
  plot *fheat; /* per formula: a failing formula's heat map */
  plot *cheat; /* per control */
  plot step, taylor;
  gv_step_curve sc;
  gv_taylor_curve tc;
  /* The plots queued for one gnuplot process (draw, then render_queued):
   * jobs[k] is drawn into *queued[k]; the scripts are owned here. */
  gv_plot_job *jobs;
  plot **queued;
  size_t n_queued;
} page;

static const char failed_why[] = "this plot could not be drawn: gnuplot failed on it";

/* Whether a result's heat map is worth a picture: more than one entry, a
 * row, a column (a bias gradient, delta_2 without its ReLU mask: the rows of
 * the inactive units) or a matrix. A single entry's one cell says no more
 * than the table. */
static int has_heat_map(const gsl_matrix *heat)
{
  return heat && heat->size1 * heat->size2 > 1;
}

/* Queues one plot from a script built in memory (taking the script). The
 * page has room for every plot it can hold (see gv_report_write_html). */
static void draw(page *pg, plot *pl, char *script, unsigned w, unsigned h)
{
  pl->svg = NULL;
  if (!script) {
    pg->fatal = GSL_ENOMEM;
    return;
  }
  if (!pg->gp) {
    pl->why = GV_REPORT_HTML_SKIPPED;
    free(script);
    return;
  }
  pg->jobs[pg->n_queued] = (gv_plot_job){.script = script, .width = w, .height = h};
  pg->queued[pg->n_queued++] = pl;
}

/* Draws every queued plot with one gnuplot process and records each outcome. */
static void render_queued(page *pg)
{
  int rc = gv_plot_render_all(pg->gp, pg->jobs, pg->n_queued);
  for (size_t k = 0; k < pg->n_queued; k++) {
    plot *pl = pg->queued[k];
    int prc = pg->jobs[k].svg ? GSL_SUCCESS : rc == GSL_SUCCESS ? pg->jobs[k].rc : rc;
    pl->svg = pg->jobs[k].svg;
    if (prc == GSL_ENOMEM)
      pg->fatal = GSL_ENOMEM;
    if (prc == GSL_EUNIMPL) {
      /* gnuplot is not installed (or vanished between two plots): skip them all */
      pl->why = GV_REPORT_HTML_SKIPPED;
      pg->skipped = 1;
    } else if (prc != GSL_SUCCESS) {
      pl->why = failed_why;
      if (!pg->skipped)
        pg->skipped = 2;
    }
  }
}

/* Frees the queued scripts (the SVGs belong to their plots by then). */
static void queue_release(page *pg)
{
  for (size_t k = 0; pg->jobs && k < pg->n_queued; k++)
    free((char *)pg->jobs[k].script);
  free(pg->jobs);
  free(pg->queued);
}

/* A data file in the work directory; NULL (and the plot marked failed) when it cannot be made. */
static FILE *data_file(page *pg, plot *pl, const char *name)
{
  FILE *f = NULL;
  int err_no;
  if (!pg->gp)
    return NULL;
  int rc = gv_plot_data_open(pg->gp, name, &f, &err_no);
  if (rc == GSL_ENOMEM)
    pg->fatal = GSL_ENOMEM;
  if (!f) {
    pl->why = failed_why;
    if (!pg->skipped)
      pg->skipped = 2;
  }
  return f;
}

/* Closes a data file; 0 when it was written whole. */
static int data_close(page *pg, plot *pl, FILE *f)
{
  int bad = ferror(f);
  bad |= fclose(f) != 0;
  if (bad) {
    pl->why = failed_why;
    if (!pg->skipped)
      pg->skipped = 2;
  }
  return bad;
}

/* Starts a plot: no SVG, the skip message until it is drawn. Returns 0 when
 * there is no gnuplot to draw it. */
static int plot_begin(const page *pg, plot *pl)
{
  pl->svg = NULL;
  pl->why = GV_REPORT_HTML_SKIPPED;
  return pg->gp != NULL;
}

/* A gnuplot script built in memory: script_open, fprintf into it, then
 * script_draw, which renders it and releases it whatever happens. */
typedef struct {
  FILE *f;
  char *text;
  size_t len;
} script;

static int script_open(page *pg, script *sc)
{
  sc->text = NULL;
  sc->f = open_memstream(&sc->text, &sc->len);
  if (!sc->f)
    pg->fatal = GSL_ENOMEM;
  return sc->f ? 0 : -1;
}

static void script_draw(page *pg, plot *pl, script *sc, unsigned w, unsigned h)
{
  if (fclose(sc->f) != 0) {
    free(sc->text);
    pg->fatal = GSL_ENOMEM;
    return;
  }
  draw(pg, pl, sc->text, w, h);
}

/* A value for a log axis: gnuplot skips NaN, where log of 0 would fail. */
static double positive(double v)
{
  return v > 0 && isfinite(v) ? v : NAN;
}

/* --- the relative-error histogram of one formula --------------------------- */

static void plot_hist(page *pg, size_t i)
{
  const gv_formula_result *fr = &pg->run->formulas[i];
  plot *pl = &pg->hist[i];
  if (!plot_begin(pg, pl))
    return;
  char name[32];
  snprintf(name, sizeof name, "hist%zu.dat", i);
  size_t top = 1, resolved = 0;
  FILE *f = data_file(pg, pl, name);
  if (!f)
    return;
  /* bin k: [10^(e), 10^(e+1)) with e = GV_CMP_REL_MIN_EXP + k, drawn as a box */
  for (size_t k = 0; k < GV_CMP_HIST_BINS; k++) {
    double lo = pow(10.0, GV_CMP_REL_MIN_EXP + (int)k), hi = lo * 10.0;
    size_t n = fr->cmp.hist_rel[k];
    fprintf(f, "%.6g %.6g %.6g %zu\n", sqrt(lo * hi), lo, hi, n);
    top = n > top ? n : top;
    resolved += n;
  }
  if (data_close(pg, pl, f))
    return;
  script sc;
  if (script_open(pg, &sc))
    return;
  FILE *m = sc.f;
  double lo = pow(10.0, GV_CMP_REL_MIN_EXP), hi = lo * pow(10.0, GV_CMP_HIST_BINS);
  fprintf(m, "set title '%s: relative error of %zu resolved entries over %zu trials' noenhanced\n",
          fr->formula->id, resolved, fr->trials);
  fprintf(m, "set logscale x 10\nset xrange [%g:%g]\nset format x '10^{%%L}'\n", lo, hi);
  fprintf(m, "set xtics %g, 1000, %g\nset mxtics 3\n", lo, hi);
  fprintf(m, "set yrange [0:%g]\n", 1.15 * (double)top);
  fputs("set xlabel '|analytic − numeric| / max(|analytic|, |numeric|)'\n"
        "set ylabel 'entries'\nset grid xtics ytics lc rgb '#dddddd'\n"
        "set style fill solid 0.75 border lc rgb '#1f4e79'\nset key off\n",
        m);
  double rtol = pg->run->tol.rtol;
  if (rtol > lo && rtol < hi) {
    fprintf(m, "set arrow from %g, graph 0 to %g, graph 1 nohead dt 2 lw 2 lc rgb '#b2182b'\n",
            rtol, rtol);
    fprintf(m, "set label 'rtol = %g' at %g, graph 0.93 offset 0.6,0 tc rgb '#b2182b'\n", rtol,
            rtol);
  }
  /* A title even with the key off: gnuplot's SVG shows it as the bars'
   * tooltip, the plot command (a /dev/fd/N) otherwise. */
  fprintf(m,
          "plot '%s' using 1:4:2:3:(0):4 with boxxyerror lc rgb '#5b9bd5' "
          "title 'entries per bin of relative error'\n",
          name);
  script_draw(pg, pl, &sc, 620, 300);
}

/* --- the step-size curve ---------------------------------------------------- */

static void plot_step(page *pg)
{
  const gv_step_curve *c = &pg->sc;
  plot *pl = &pg->step;
  if (!plot_begin(pg, pl))
    return;
  double ymin = INFINITY, ymax = 0;
  FILE *f = data_file(pg, pl, "step.dat");
  if (!f)
    return;
  for (size_t k = 0; k < GV_STEP_CURVE_POINTS; k++) {
    fprintf(f, "%.17g %.17g %.17g\n", c->h[k], positive(c->err[k]), positive(c->errbar[k]));
    if (c->err[k] > 0) {
      ymin = fmin(ymin, c->err[k]);
      ymax = fmax(ymax, c->err[k]);
    }
    if (c->errbar[k] > 0)
      ymax = fmax(ymax, c->errbar[k]);
  }
  fprintf(f, "\n\n%.17g %.17g\n", c->h_chosen, positive(c->err_chosen));
  if (data_close(pg, pl, f))
    return;
  if (!(ymin < ymax)) {
    ymin = 1e-16;
    ymax = 1;
  }
  script sc;
  if (script_open(pg, &sc))
    return;
  FILE *m = sc.f;
  fprintf(m, "set title 'central difference of L in W(%zu,%zu): error against the step h'\n",
          c->row, c->col);
  fputs("set logscale xy 10\nset format x '10^{%L}'\nset format y '10^{%L}'\n"
        "set xlabel 'step h'\nset ylabel '|numeric − analytic|'\n"
        "set grid xtics ytics lc rgb '#dddddd'\nset key bottom left box\n",
        m);
  fprintf(m, "set xrange [%g:%g]\nset yrange [%g:%g]\n", c->h[GV_STEP_CURVE_POINTS - 1] / 2,
          c->h[0] * 2, ymin / 10, ymax * 10);
  fprintf(m, "c2 = %.17g\nc1 = %.17g\n", c->c2, c->c1);
  fprintf(m, "set arrow from %g, graph 0 to %g, graph 1 nohead dt 2 lw 1.5 lc rgb '#b2182b'\n",
          c->h_chosen, c->h_chosen);
  fprintf(m,
          "set label 'chosen h = ∛ε·max(1,|x|) = %.2g' at %g, graph 0.94 offset 0.6,0 "
          "tc rgb '#b2182b'\n",
          c->h_chosen, c->h_chosen);
  fputs(
      "plot c1/x with lines dt 2 lw 1.5 lc rgb '#7f7f7f' title 'round-off ε|L|/h (slope −1)', \\\n"
      "  c2*x**2 with lines dt 4 lw 1.5 lc rgb '#2ca02c' title 'truncation ∝ h^2 (slope 2)', \\\n"
      "  'step.dat' index 0 using 1:3 with lines lw 1 lc rgb '#ff7f0e' "
      "title 'the engine''s own error bar', \\\n"
      "  'step.dat' index 0 using 1:2 with linespoints pt 7 ps 0.6 lw 2 lc rgb '#1f77b4' "
      "title 'error of the central difference', \\\n"
      "  'step.dat' index 1 using 1:2 with points pt 9 ps 2 lc rgb '#b2182b' "
      "title 'at the chosen h'\n",
      m);
  script_draw(pg, pl, &sc, 820, 460);
}

/* --- the Taylor test -------------------------------------------------------- */

static void plot_taylor(page *pg)
{
  const gv_taylor_curve *c = &pg->tc;
  plot *pl = &pg->taylor;
  if (!plot_begin(pg, pl))
    return;
  FILE *f = data_file(pg, pl, "taylor.dat");
  double ymin = INFINITY, ymax = 0;
  if (f) {
    for (size_t k = 0; k < GV_PLOT_TAYLOR_POINTS; k++) {
      fprintf(f, "%.17g %.17g %.17g\n", c->eps[k], positive(c->right[k]), positive(c->wrong[k]));
      for (int j = 0; j < 2; j++) {
        double r = j ? c->wrong[k] : c->right[k];
        if (r > 0) {
          ymin = fmin(ymin, r);
          ymax = fmax(ymax, r);
        }
      }
    }
    if (data_close(pg, pl, f))
      return;
  } else {
    return;
  }
  if (!(ymin < ymax)) {
    ymin = 1e-16;
    ymax = 1;
  }
  /* guide lines through the point at eps = 2^-6, well inside both regimes */
  const size_t k0 = 6;
  double a2 = c->right[k0] / (c->eps[k0] * c->eps[k0]), a1 = c->wrong[k0] / c->eps[k0];
  script sc;
  if (script_open(pg, &sc))
    return;
  FILE *m = sc.f;
  fputs("set title 'Taylor test of the network gradient along a random direction v'\n"
        "set logscale x 2\nset logscale y 10\nset format x '2^{%L}'\nset format y '10^{%L}'\n"
        "set xtics 2**-30, 2**5, 1\n"
        "set xlabel 'ε'\nset ylabel '|L(θ + εv) − L(θ) − ε g^Tv|'\n"
        "set grid xtics ytics lc rgb '#dddddd'\nset key bottom right box\n",
        m);
  fprintf(m, "set xrange [%g:%g]\nset yrange [%g:%g]\n", c->eps[GV_PLOT_TAYLOR_POINTS - 1] / 1.5,
          1.5, ymin / 10, ymax * 10);
  fprintf(m, "a2 = %.17g\na1 = %.17g\n", a2, a1);
  fprintf(m,
          "plot a2*x**2 with lines dt 4 lw 1.5 lc rgb '#2ca02c' title 'slope 2', \\\n"
          "  a1*x with lines dt 2 lw 1.5 lc rgb '#7f7f7f' title 'slope 1', \\\n"
          "  'taylor.dat' using 1:2 with linespoints pt 7 ps 0.6 lw 2 lc rgb '#1f77b4' "
          "title 'right gradient (fitted slope %.2f)', \\\n"
          "  'taylor.dat' using 1:3 with linespoints pt 5 ps 0.6 lw 2 lc rgb '#d62728' "
          "title 'δ_2 without the ReLU mask (fitted slope %.2f)'\n",
          c->slope_right, c->slope_wrong);
  script_draw(pg, pl, &sc, 820, 460);
}

/* --- heat maps -------------------------------------------------------------- */

/* Axis names of a derivative, by the formula it is the derivative of. */
static void heat_axes(const char *formula_id, const char **rows, const char **cols)
{
  *rows = "row i";
  *cols = "column j";
  if (strcmp(formula_id, "grad_W") == 0) {
    *rows = "row i: hidden unit (z_i)";
    *cols = "column j: input x_j";
  } else if (strcmp(formula_id, "grad_V") == 0) {
    *rows = "row i: class (logit a_i)";
    *cols = "column j: hidden unit h_j";
  } else if (strcmp(formula_id, "softmax_jacobian") == 0) {
    *rows = "row i: logit a_i";
    *cols = "column j: probability p_j";
  }
}

#define HEAT_MAX_SIDE 64

/* The colour range of a map: log10(error / bound), so 0 is the tolerance; a
 * symmetric range puts it at white, passing entries blue, failing ones red.
 * At least 1, at most 16 decades, whole decades. The largest |log10| of the
 * positive finite entries is at the smallest or the largest of them: two
 * logarithms, not one per entry (a --size map has 10^5 entries). */
static double heat_range(const gsl_matrix *heat)
{
  double lo = INFINITY, hi = 0.0;
  for (size_t i = 0; i < heat->size1; i++)
    for (size_t j = 0; j < heat->size2; j++) {
      double v = gsl_matrix_get(heat, i, j);
      if (v > 0.0 && v < INFINITY) {
        lo = v < lo ? v : lo;
        hi = v > hi ? v : hi;
      }
    }
  double range = 1.0;
  if (hi > 0.0)
    range = fmax(range, fmax(fabs(log10(lo)), fabs(log10(hi))));
  return fmin(ceil(range), 16.0);
}

/* The worst entry of the bh x bw block at (i, j), clipped to the range; a
 * NaN or a negative value (no bound to compare with) shows as the worst
 * colour. log10 grows with its argument: one logarithm, of the block's largest. */
static double heat_block_worst(const gsl_matrix *heat, size_t i, size_t j, size_t bh, size_t bw,
                               double range)
{
  double top = 0.0;
  for (size_t ii = i; ii < i + bh && ii < heat->size1; ii++)
    for (size_t jj = j; jj < j + bw && jj < heat->size2; jj++) {
      double v = gsl_matrix_get(heat, ii, jj);
      if (!(v >= 0.0))
        return range;
      top = v > top ? v : top;
    }
  return fmax(-range, fmin(range, log10(top)));
}

/* One side of a map, n entries in blocks of b: the points gnuplot is given,
 * point p's centre in entry indices, and its block's first entry. gnuplot's
 * image draws nothing with fewer than two points a side, so a side of one
 * entry is given as two half entries, centred at -1/4 and +1/4, that repeat
 * it: the picture is the same, one cell across the whole axis. */
static size_t heat_points(size_t n, size_t b)
{
  return n == 1 ? 2 : (n + b - 1) / b;
}

static double heat_centre(size_t n, size_t b, size_t p)
{
  return n == 1 ? 0.5 * (double)p - 0.25 : (double)(p * b) + 0.5 * (double)(b - 1);
}

static size_t heat_first(size_t n, size_t b, size_t p)
{
  return n == 1 ? 0 : p * b;
}

/* The gnuplot lines that draw the map in name; the axes keep entry indices
 * however the entries were blocked. The map is one image (gnuplot embeds it
 * in the SVG as a PNG of one pixel per block; the page's CSS keeps its
 * pixels sharp), not a rectangle per block ("with image pixels"): at 64 x 61
 * blocks that was 450 KB of SVG and a third of gnuplot's time. */
static void heat_script(FILE *m, const char *id, const char *formula_id, const gsl_matrix *heat,
                        size_t trial, const char *name, double range)
{
  const char *rows, *cols;
  heat_axes(formula_id, &rows, &cols);
  fprintf(m,
          "set title '%s, trial %zu (the first that failed): log10(error / bound) per entry' "
          "noenhanced\n",
          id, trial);
  fprintf(m, "set xlabel '%s'\nset ylabel '%s'\n", cols, rows);
  fprintf(m, "set xrange [-0.5:%g]\nset yrange [%g:-0.5]\n", heat->size2 - 0.5, heat->size1 - 0.5);
  if (heat->size2 <= 25)
    fprintf(m, "set xtics 0, 1, %zu\n", heat->size2 - 1);
  if (heat->size1 <= 25)
    fprintf(m, "set ytics 0, 1, %zu\n", heat->size1 - 1);
  fprintf(m, "set cbrange [%g:%g]\n", -range, range);
  fputs("set palette defined (0 '#2166ac', 0.5 '#f7f7f7', 1 '#b2182b')\n"
        "set cblabel 'log_{10}(error / bound): above 0 fails'\n"
        "set tics out nomirror\nset key off\n",
        m);
  fprintf(m,
          "plot '%s' nonuniform matrix using 1:2:3 with image "
          "title 'log10(error / bound) per entry'\n",
          name); /* the image's tooltip, as the histogram's */
}

static void plot_heat(page *pg, plot *pl, const char *id, const char *formula_id,
                      const gsl_matrix *heat, size_t trial, size_t index)
{
  if (!plot_begin(pg, pl))
    return;
  char name[32];
  snprintf(name, sizeof name, "heat%zu.dat", index);
  double range = heat_range(heat);
  FILE *f = data_file(pg, pl, name);
  if (!f)
    return;
  /* A map of more than HEAT_MAX_SIDE rows or columns (gradverify --size)
   * shows blocks of bh x bw entries, each block its worst entry, so that the
   * picture stays small and every failing entry still shows. */
  size_t bh = (heat->size1 + HEAT_MAX_SIDE - 1) / HEAT_MAX_SIDE;
  size_t bw = (heat->size2 + HEAT_MAX_SIDE - 1) / HEAT_MAX_SIDE;
  /* gnuplot's nonuniform matrix: the blocks' centres, in entry indices, head
   * the columns (after their count) and the rows, so that the axes count
   * entries with no expression for gnuplot to evaluate per block. */
  size_t nr = heat_points(heat->size1, bh), nc = heat_points(heat->size2, bw);
  fprintf(f, "%zu", nc);
  for (size_t q = 0; q < nc; q++)
    fprintf(f, " %.10g", heat_centre(heat->size2, bw, q));
  fputc('\n', f);
  for (size_t p = 0; p < nr; p++) {
    fprintf(f, "%.10g", heat_centre(heat->size1, bh, p));
    for (size_t q = 0; q < nc; q++)
      fprintf(f, " %.6g",
              heat_block_worst(heat, heat_first(heat->size1, bh, p), heat_first(heat->size2, bw, q),
                               bh, bw, range));
    fputc('\n', f);
  }
  if (data_close(pg, pl, f))
    return;
  script sc;
  if (script_open(pg, &sc))
    return;
  heat_script(sc.f, id, formula_id, heat, trial, name, range);
  script_draw(pg, pl, &sc, 620, 440);
}

/* --- the page --------------------------------------------------------------- */

/* A number in scientific notation, or a word for a non-finite one. */
static void num(FILE *f, const char *fmt, double v)
{
  if (isnan(v))
    fputs("NaN", f);
  else if (isinf(v))
    fputs(v > 0 ? "∞" : "−∞", f);
  else
    fprintf(f, fmt, v);
}

static void put_plot(FILE *f, const plot *pl, const char *id, const char *caption)
{
  fputs("<figure class=\"plot\" id=\"", f);
  gv_xml_puts(f, id);
  fputs("\">\n", f);
  if (pl->svg) {
    fputs(pl->svg, f);
    fputc('\n', f);
  } else {
    fputs("<p class=\"skip\">", f);
    gv_xml_puts(f, pl->why ? pl->why : GV_REPORT_HTML_SKIPPED);
    fputs("</p>\n", f);
  }
  fputs("<figcaption>", f);
  gv_xml_puts(f, caption);
  fputs("</figcaption>\n</figure>\n", f);
}

static void worst_entry(FILE *f, const gv_cmp *c)
{
  if (!c->has_worst) {
    fputs("–", f);
    return;
  }
  fprintf(f, "trial %zu, entry (%zu, %zu): analytic ", c->worst_trial, c->worst_row, c->worst_col);
  num(f, "%.6g", c->worst_analytic);
  fputs(" vs numeric ", f);
  num(f, "%.6g", c->worst_numeric);
  fputs(", ", f);
  num(f, "%.3g", c->worst_ratio);
  fputs("× tolerance (largest term: ", f);
  gv_xml_puts(f, gv_decided_name(c->worst_term));
  fputc(')', f);
}

static const char css[] =
    "body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',sans-serif;"
    "max-width:1100px;margin:0 auto;padding:1.2rem 1.5rem 3rem;color:#1f2328;line-height:1.45;"
    "background:#fff}\n"
    "h1{margin:.2rem 0 .6rem}h2{margin-top:2.2rem;border-bottom:1px solid #d0d7de;"
    "padding-bottom:.25rem}h3{margin:1.6rem 0 .4rem;font-size:1.1rem}\n"
    "nav{font-size:.9rem;margin:.6rem 0 1rem}nav a{margin-right:.9rem}\n"
    "a{color:#0969da;text-decoration:none}a:hover{text-decoration:underline}\n"
    ".verdict{font-size:1.25rem;font-weight:600;padding:.6rem 1rem;border-radius:6px;"
    "margin:.4rem 0 1rem}\n"
    ".verdict.ok{background:#dafbe1;border:1px solid #4ac26b}"
    ".verdict.bad{background:#ffebe9;border:1px solid #ff8182}\n"
    ".scroll{overflow-x:auto;max-width:100%}\n"
    "table{border-collapse:collapse;font-size:.88rem;margin:.4rem 0}\n"
    "th,td{border-bottom:1px solid #d8dee4;padding:.3rem .55rem;text-align:left;"
    "vertical-align:top}\n"
    "th{background:#f6f8fa;font-weight:600}\n"
    "td.v{white-space:nowrap}.nw{white-space:nowrap}\n"
    "table.compact{font-size:.8rem}table.compact th,table.compact td{padding:.25rem .4rem}\n"
    "td.n{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}\n"
    "table.settings th{background:none;text-align:right;color:#57606a;font-weight:500;"
    "white-space:nowrap}\n"
    ".math{font-family:'STIX Two Math','Cambria Math','Latin Modern Math','DejaVu Serif',"
    "'Times New Roman',serif;font-size:1.05em;font-weight:normal;white-space:nowrap}\n"
    "code{font-family:ui-monospace,'DejaVu Sans Mono',Menlo,Consolas,monospace;font-size:.85em;"
    "background:#f6f8fa;padding:.05rem .25rem;border-radius:4px}\n"
    ".pass{color:#1a7f37;font-weight:600}.fail{color:#cf222e;font-weight:700}"
    ".nd{color:#57606a;font-weight:600}\n"
    ".card{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1.45fr);gap:1.2rem;"
    "align-items:start;border:1px solid #d8dee4;border-radius:6px;padding:.2rem 1rem .6rem;"
    "margin:.8rem 0}\n"
    ".card p{margin:.5rem 0}\n"
    "@media (max-width:820px){.card{grid-template-columns:1fr}}\n"
    "figure{margin:.6rem 0}\n"
    "figure svg{display:block;width:100%;height:auto;max-width:820px}\n"
    "figure svg image{image-rendering:crisp-edges;image-rendering:pixelated}\n"
    "figcaption{font-size:.82rem;color:#57606a;margin-top:.2rem}\n"
    ".skip{padding:.8rem 1rem;border:1px dashed #bf8700;background:#fff8c5;border-radius:6px;"
    "margin:0}\n"
    ".note{color:#57606a;font-size:.9rem}\n"
    ".plots2{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:1rem}\n"
    "@media (max-width:820px){.plots2{grid-template-columns:1fr}}\n"
    "summary{cursor:pointer}summary h3{display:inline}\n"
    "tr.group th{background:#eaeef2;font-size:.85rem}\n";

static void put_settings(FILE *f, const page *pg);

static void put_header(FILE *f, const page *pg)
{
  const gv_run *run = pg->run;
  const gv_run_totals n = gv_run_count(run);

  fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n",
        f);
  fprintf(f, "<title>Gradient report: %s, seed %lu</title>\n", run->pass ? "PASS" : "FAIL",
          run->seed);
  fprintf(f, "<style>\n%s</style>\n</head>\n<body>\n", css);
  fputs("<header>\n<h1>Gradient report</h1>\n", f);
  fprintf(f, "<p class=\"verdict %s\" id=\"verdict\">Verdict: %s. %zu of %zu formulas verified, ",
          run->pass ? "ok" : "bad", run->pass ? "PASS" : "FAIL", n.passed, run->n_formulas);
  if (n.not_drawn)
    fprintf(f, "%zu not drawn (never checked: neither pass nor fail), ", n.not_drawn);
  fprintf(f, "%zu of %zu planted mistakes caught.</p>\n", n.caught, run->n_controls);
  put_settings(f, pg);
  fputs("<nav><a href=\"#formulas\">Formulas</a><a href=\"#details\">Each formula</a>"
        "<a href=\"#step\">Step size</a><a href=\"#taylor\">Taylor test</a>"
        "<a href=\"#controls\">Negative controls</a><a href=\"#reading\">How to read</a></nav>\n"
        "</header>\n",
        f);
}

/* The settings table: seed, trials, tolerance, method, Taylor test, kinks, tool. */
static void put_settings(FILE *f, const page *pg)
{
  const gv_run *run = pg->run;
  const gv_tol *t = &run->tol;
  fputs("<div class=\"scroll\"><table class=\"settings\">\n", f);
  fprintf(f,
          "<tr><th>seed</th><td><b>%lu</b>: <code>gradverify --seed %lu</code> reproduces every "
          "number</td></tr>\n",
          run->seed, run->seed);
  size_t early = gv_run_count(run).stopped_early;
  fprintf(f, "<tr><th>trials</th><td>%zu random trials per formula and per control", run->trials);
  if (early)
    fprintf(f,
            " (a ceiling: %zu layer formulas with large draws stopped once they had compared "
            "%d entries per trial asked for; each formula's details give its trials)",
            early, GV_DRIVER_ENTRY_BUDGET);
  fputs("</td></tr>\n", f);
  if (run->net_size[0])
    fprintf(f,
            "<tr><th>network</th><td>sizes fixed (--size): D = %zu, H = %zu, K = %zu</td></tr>\n",
            run->net_size[0], run->net_size[1], run->net_size[2]);
  fprintf(f,
          "<tr><th>tolerances</th><td>atol = %g, rtol = %g, kerr = %g</td></tr>\n"
          "<tr><th>rule</th><td>an entry passes iff <span class=\"math\">|analytic − numeric| ≤ "
          "atol + rtol·max(|analytic|, |numeric|) + kerr·e</span>, e being the numeric side's "
          "error bar (see the numeric side below), and both values are finite</td></tr>\n",
          t->atol, t->rtol, t->kerr);
  fprintf(f,
          "<tr><th>numeric side</th><td><code>--method %s</code>: ", gv_method_name(run->method));
  gv_xml_puts(f, gv_report_method_text(run->method));
  fputs("</td></tr>\n", f);
  if (run->taylor)
    fputs("<tr><th>Taylor test</th><td>in every trial: the remainder <span class=\"math\">|f(x + "
          "εv) − f(x) − ε∇f·v|</span> along a random direction v falls like ε² (slope 2) for a "
          "right gradient and like ε (slope 1) for a wrong one; <i>exact</i>: the remainder stays "
          "at rounding level (f linear along v, or a ReLU "
          "kink cuts the curve off), no verdict either way</td></tr>\n",
          f);
  fprintf(f,
          "<tr><th>ReLU kinks</th><td>%zu draws had a unit within a step of z = 0 and were "
          "redrawn</td></tr>\n",
          gv_run_count(run).redraws);
  fprintf(f, "<tr><th>tool</th><td>gradverify %s; plots ", GV_VERSION);
  if (pg->skipped == 1)
    fputs("<b>skipped: gnuplot is not installed (apt-get install gnuplot-nox)</b>", f);
  else if (pg->skipped == 2)
    fputs("drawn by gnuplot, <b>some failed</b> (marked where they would be)", f);
  else
    fputs("drawn by gnuplot", f);
  fputs("; no scripts, nothing fetched</td></tr>\n</table></div>\n", f);
}

/* The Taylor test in a table cell: the slope range, then exact and failing
 * counts on lines of their own. */
static void put_taylor_cell(FILE *f, const gv_taylor_stats *t)
{
  if (t->pass + t->fail == 0 && !t->exact) {
    fputs("–", f);
    return;
  }
  if (t->pass + t->fail > 0)
    fprintf(f, "<span class=\"nw\">%.2f–%.2f</span>", t->min_slope, t->max_slope);
  if (t->exact)
    fprintf(f, "%s<span class=\"nw\">%zu exact</span>", t->pass + t->fail ? "<br/>" : "", t->exact);
  if (t->fail)
    fprintf(f, "<br/><span class=\"nw fail\">%zu fail</span>", t->fail);
}

static const char *group_of(const gv_formula *f)
{
  return f->group ? f->group : "seed";
}

static int same_group(const gv_formula *a, const gv_formula *b)
{
  return strcmp(group_of(a), group_of(b)) == 0;
}

/* A formula's verdict as a coloured badge. */
static const char *verdict_badge(const gv_formula_result *fr)
{
  switch (gv_formula_verdict(fr)) {
  case GV_FORMULA_PASS:
    return "<span class=\"pass\">✔ pass</span>";
  case GV_FORMULA_NOT_DRAWN:
    return "<span class=\"nd\">– not drawn</span>";
  default:
    return "<span class=\"fail\">✘ FAIL</span>";
  }
}

/* The row that opens formula i's group: its name, what it is, and how many
 * of its formulas pass (those not drawn count in neither way). */
static void put_group_row(FILE *f, const gv_run *run, size_t i)
{
  const gv_formula *g = run->formulas[i].formula;
  size_t n = 0, passed = 0;
  for (size_t k = i; k < run->n_formulas && same_group(run->formulas[k].formula, g); k++) {
    int drawn = gv_formula_verdict(&run->formulas[k]) != GV_FORMULA_NOT_DRAWN;
    n += drawn;
    passed += run->formulas[k].pass != 0;
  }
  fputs("<tr class=\"group\"><th colspan=\"12\">", f);
  gv_xml_puts(f, group_of(g));
  fputs(": <span class=\"math\">", f);
  gv_xml_puts(f, g->layer ? (g->layer->formula ? g->layer->formula : g->layer->name)
                          : "the seed's network, softmax, cross-entropy and identities");
  fprintf(f, "</span> — %s%zu of %zu pass%s</th></tr>\n",
          passed == n ? "<span class=\"pass\">" : "<span class=\"fail\">", passed, n, "</span>");
}

static void put_formula_table(FILE *f, const page *pg)
{
  const gv_run *run = pg->run;
  fputs("<section id=\"formulas\">\n<h2>Formulas</h2>\n"
        "<p>Denominator layout, as in the seed: a derivative is shaped like its variable; for "
        "<span class=\"math\">y = F(x)</span>, <span class=\"math\">∂y/∂x</span> is n×m. The "
        "network is <span class=\"math\">z = Wx + b₁, h = ReLU(z), a = Vh + b₂, p = softmax(a), "
        "L = −Σ yᵢ log pᵢ</span>.</p>\n"
        "<div class=\"scroll\"><table class=\"compact\">\n<tr><th>id</th><th>verdict</th>"
        "<th>formula</th><th>method</th><th>trials</th><th>entries per trial</th>"
        "<th>max abs error</th><th>max rel error</th><th>worst / tolerance</th>"
        "<th>decided by</th><th>error bar at worst</th><th>Taylor slope</th></tr>\n",
        f);
  for (size_t i = 0; i < run->n_formulas; i++) {
    const gv_formula_result *fr = &run->formulas[i];
    if (i == 0 || !same_group(run->formulas[i - 1].formula, fr->formula))
      put_group_row(f, run, i);
    fputs("<tr><td><a href=\"#f-", f);
    gv_xml_puts(f, fr->formula->id);
    fputs("\"><code>", f);
    gv_xml_puts(f, fr->formula->id);
    fprintf(f, "</code></a></td><td class=\"v\">%s</td><td><span class=\"math\">",
            verdict_badge(fr));
    gv_xml_puts(f, fr->formula->formula);
    fprintf(f,
            "</span></td><td>%s</td><td class=\"n\">%zu</td><td class=\"n\">%zu–%zu</td>"
            "<td class=\"n\">",
            gv_method_name(fr->method), fr->trials, fr->min_entries, fr->max_entries);
    num(f, "%.2e", fr->cmp.max_abs);
    fputs("</td><td class=\"n\">", f);
    num(f, "%.2e", fr->cmp.max_rel);
    fputs("</td><td class=\"n\">", f);
    if (fr->cmp.has_worst)
      num(f, "%.3g", fr->cmp.worst_ratio);
    else
      fputs("–", f);
    fputs("</td><td>", f);
    gv_xml_puts(f, fr->cmp.has_worst ? gv_decided_name(fr->cmp.worst_term) : "–");
    fputs("</td><td class=\"n\">", f);
    num(f, "%.1e", fr->cmp.worst_errbar);
    fputs("</td><td>", f);
    put_taylor_cell(f, &fr->taylor);
    fputs("</td></tr>\n", f);
  }
  fputs("</table></div>\n</section>\n", f);
}

/* Formula i's collapsible section: why it holds, what was drawn, the worst
 * entry, its histogram and, when a trial failed, its heat map. */
/* The end of a formula's counts paragraph: the trials where its variable was
 * not drawn. */
static void put_drawn(FILE *f, const gv_formula_result *fr)
{
  if (gv_formula_verdict(fr) == GV_FORMULA_NOT_DRAWN)
    fprintf(f,
            "; <b>not drawn in any of its %zu trials</b>: its variable was a placeholder "
            "every time, nothing was checked (neither pass nor fail)",
            fr->trials);
  else if (fr->not_drawn)
    fprintf(f, "; not drawn in %zu trials (a placeholder there: nothing compared)", fr->not_drawn);
}

/* The regimes the sampler named, a line each: a regime that never passes
 * shows here, not as a looser tolerance for everyone. */
static void put_regimes(FILE *f, const gv_formula_result *fr)
{
  if (!fr->n_regimes)
    return;
  fputs("<p><b>Per regime</b> (trials, failed, max rel error over resolved entries, worst error "
        "/ tolerance):</p>\n<ul>",
        f);
  for (size_t k = 0; k < fr->n_regimes; k++) {
    const gv_regime_result *g = &fr->regimes[k];
    fputs("<li>", f);
    gv_xml_puts(f, g->name);
    fprintf(f, ": %zu trials, %s%zu failed%s, %.2e, %.3g</li>", g->trials,
            g->failed_trials ? "<span class=\"fail\">" : "", g->failed_trials,
            g->failed_trials ? "</span>" : "", g->cmp.max_rel, g->cmp.worst_ratio);
  }
  fputs("</ul>\n", f);
}

static void put_formula_detail(FILE *f, const page *pg, size_t i)
{
  const gv_run *run = pg->run;
  const gv_formula_result *fr = &run->formulas[i];
  const gv_cmp *c = &fr->cmp;
  const char *id = fr->formula->id;
  fputs("<section id=\"f-", f);
  gv_xml_puts(f, id);
  /* Collapsible; open for the seed's formulas and for any that fails. */
  fprintf(f, "\">\n<details%s><summary><h3><code>",
          !fr->formula->layer || gv_formula_verdict(fr) != GV_FORMULA_PASS ? " open=\"open\"" : "");
  gv_xml_puts(f, id);
  fputs("</code>  <span class=\"math\">", f);
  gv_xml_puts(f, fr->formula->formula);
  fprintf(f, "</span>  %s</h3></summary>\n<div class=\"card\"><div>\n", verdict_badge(fr));
  fputs("<p><b>Why it holds:</b> ", f);
  gv_xml_puts(f, fr->formula->reason);
  fputs(".</p>\n<p><b>Inputs:</b> ", f);
  char draw[GV_DRAW_MAX];
  gv_xml_puts(f, gv_formula_draw(fr->formula, run->net_size, draw, sizeof draw));
  fprintf(
      f,
      ".</p>\n<p>%zu trials, %zu–%zu entries each, %zu compared; %zu failed, %zu NaN or "
      "infinite; %zu not resolved (the comparison cannot see 1e-7 of them; not in the histogram)",
      fr->trials, fr->min_entries, fr->max_entries, c->count, c->nfail, c->nonfinite,
      c->unresolved);
  if (fr->redraws)
    fprintf(f, "; %zu draws redrawn at a ReLU kink", fr->redraws);
  put_drawn(f, fr);
  fputs(".</p>\n<p><b>Worst entry:</b> ", f);
  worst_entry(f, c);
  fputs(".</p>\n", f);
  put_regimes(f, fr);
  if (gv_formula_verdict(fr) == GV_FORMULA_FAIL)
    fprintf(f, "<p class=\"fail\">%zu of %zu trials failed.</p>\n", fr->failed_trials, fr->trials);
  fputs("</div>\n", f);

  char pid[128], cap[512];
  snprintf(pid, sizeof pid, "plot-hist-%s", id);
  snprintf(cap, sizeof cap,
           "Relative error of every resolved entry over all trials, one bin per decade; the "
           "first bin also holds exact agreement, the last everything above. Dashed: rtol = "
           "%g. %zu entries were not resolved (error bar plus rounding above 1e-8 of the entry).",
           run->tol.rtol, c->unresolved);
  put_plot(f, &pg->hist[i], pid, cap);
  fputs("</div>\n", f);
  if (has_heat_map(fr->heat)) {
    snprintf(pid, sizeof pid, "plot-heat-%s", id);
    snprintf(cap, sizeof cap,
             "Error over bound of each entry in trial %zu, the first that failed; red entries "
             "fail.",
             fr->heat_trial);
    put_plot(f, &pg->fheat[i], pid, cap);
  }
  fputs("</details>\n</section>\n", f);
}

static void put_formula_details(FILE *f, const page *pg)
{
  fputs("<section id=\"details\">\n<h2>Each formula: why it holds, what was drawn, how close "
        "it came</h2>\n",
        f);
  for (size_t i = 0; i < pg->run->n_formulas; i++)
    put_formula_detail(f, pg, i);
  fputs("</section>\n", f);
}

static void put_step(FILE *f, const page *pg)
{
  const gv_step_curve *c = &pg->sc;
  fprintf(f,
          "<section id=\"step\">\n<h2>Choosing the step: error against h</h2>\n"
          "<p>The loss of a %d-%d-%d network (seed %lu) as a function of one weight, "
          "<span class=\"math\">x = W(%zu,%zu) = %.4g</span>, the entry with the largest "
          "derivative: the engine's central difference <span class=\"math\">(L(x + h) − L(x − "
          "h)) / 2h</span> at h = 10⁻¹ … 10⁻¹⁵ against the analytic "
          "<span class=\"math\">∂L/∂W = δ₂xᵀ</span> = %.10g. On the right, truncation "
          "<span class=\"math\">h²L‴/6</span> (slope 2); on the left, round-off "
          "<span class=\"math\">ε|L|/h</span> (slope −1): the smaller the step, the more digits "
          "cancel in L(x + h) − L(x − h). The engine's step "
          "<span class=\"math\">h = ∛ε·max(1, |x|) = %.3g</span> balances the two: there the "
          "error is %.2g and the engine's own error bar %.2g.</p>\n",
          GV_PLOT_NET_SIZE, GV_PLOT_NET_SIZE, GV_PLOT_NET_SIZE, pg->run->seed, c->row, c->col, c->x,
          c->analytic, c->h_chosen, c->err_chosen, c->errbar_chosen);
  put_plot(f, &pg->step, "plot-step",
           "Dots: |numeric − analytic|, missing where the difference was exact. Orange: the "
           "error bar the engine reports with each derivative. Dashed: the two error models; "
           "red: the chosen step.");
  fputs("</section>\n", f);
}

static void put_taylor(FILE *f, const page *pg)
{
  const gv_taylor_curve *c = &pg->tc;
  fprintf(f,
          "<section id=\"taylor\">\n<h2>Taylor test: the remainder shrinks as ε², or it does "
          "not</h2>\n"
          "<p>A different check of the whole gradient g of the same kind of network, drawn with "
          "an inactive unit and every unit at least 1 away from its kink: along a random "
          "direction v (|v| = %.2g) through all of W, b₁, V, b₂, the remainder "
          "<span class=\"math\">r(ε) = |L(θ + εv) − L(θ) − ε gᵀv|</span> is O(ε²) if and only "
          "if g is right. With the right gradient "
          "(<span class=\"math\">gᵀv</span> = %.6g) the fitted slope is ",
          GV_TAYLOR_DIRECTION_NORM, c->gv_right);
  num(f, "%.2f", c->slope_right);
  fprintf(f,
          ", until round-off in L takes over at small ε. With δ₂ missing the ReLU mask in "
          "<span class=\"math\">∂L/∂W</span> and <span class=\"math\">∂L/∂b₁</span> "
          "(<span class=\"math\">gᵀv</span> = %.6g, a negative control) the remainder keeps a "
          "first-order term: slope ",
          c->gv_wrong);
  num(f, "%.2f", c->slope_wrong);
  fputs(".</p>\n", f);
  put_plot(f, &pg->taylor, "plot-taylor",
           "ε = 2⁻ᵏ, k = 0 … 30. Slopes fitted over ε ≤ 1/4 where r is well above round-off. "
           "Dashed: lines of slope 2 and 1 through the points at ε = 2⁻⁶.");
  fputs("</section>\n", f);
}

static void put_control_heat(FILE *f, const page *pg);

static void put_controls(FILE *f, const page *pg)
{
  const gv_run *run = pg->run;
  fputs("<section id=\"controls\">\n<h2>Negative controls</h2>\n"
        "<p>Each control is a classic mistake run through the same driver, on the same random "
        "inputs as the formula it imitates. A control must be caught: one that passes would "
        "mean the harness cannot see that mistake.</p>\n"
        "<div class=\"scroll\"><table>\n<tr><th>control</th><th>planted mistake</th>"
        "<th>imitates</th><th>caught in</th><th>how it was caught: the worst entry</th>"
        "<th>verdict</th></tr>\n",
        f);
  for (size_t i = 0; i < run->n_controls; i++) {
    const gv_control_result *cr = &run->controls[i];
    fputs("<tr id=\"c-", f);
    gv_xml_puts(f, cr->control->id);
    fputs("\"><td><code>", f);
    gv_xml_puts(f, cr->control->id);
    fputs("</code></td><td>", f);
    gv_xml_puts(f, cr->control->description);
    fputs("</td><td><a href=\"#f-", f);
    gv_xml_puts(f, cr->control->formula_id);
    fputs("\"><code>", f);
    gv_xml_puts(f, cr->control->formula_id);
    fprintf(f, "</code></a></td><td class=\"n\">%zu of %zu trials</td><td>", cr->caught_trials,
            cr->trials);
    worst_entry(f, &cr->cmp);
    fprintf(f, "</td><td class=\"v\">%s</td></tr>\n",
            cr->caught ? "<span class=\"pass\">✔ caught</span>"
                       : "<span class=\"fail\">✘ MISSED</span>");
  }
  fputs("</table></div>\n", f);
  fputs("<p class=\"note\">A control caught in fewer than all trials is normal: some draws hide "
        "a mistake (a one-hot softmax has a zero Jacobian whatever its sign; a network with every "
        "unit active has nothing for a missing mask to corrupt).</p>\n",
        f);
  put_control_heat(f, pg);
  fputs("</section>\n", f);
}

/* The heat maps of the controls that have one. */
static void put_control_heat(FILE *f, const page *pg)
{
  const gv_run *run = pg->run;
  int any = 0;
  for (size_t i = 0; i < run->n_controls; i++)
    any |= has_heat_map(run->controls[i].heat);
  if (any)
    fputs("<h3>Where each mistake lives</h3>\n<p>For each control whose derivative has more "
          "than one entry, the error of every entry over its bound, log₁₀, in the first trial that "
          "caught it: blue entries pass, red ones fail. A forgotten ReLU mask corrupts exactly "
          "the rows of the inactive hidden units; a transposed ∂L/∂V scrambles the whole "
          "matrix.</p>\n",
          f);
  if (any)
    fputs("<div class=\"plots2\">\n", f);
  for (size_t i = 0; i < run->n_controls; i++) {
    const gv_control_result *cr = &run->controls[i];
    if (!has_heat_map(cr->heat))
      continue;
    char pid[128], cap[1024];
    snprintf(pid, sizeof pid, "plot-heat-%s", cr->control->id);
    snprintf(cap, sizeof cap, "%s, imitating %s: %s. Trial %zu, %zu×%zu entries.", cr->control->id,
             cr->control->formula_id, cr->control->description, cr->heat_trial, cr->heat->size1,
             cr->heat->size2);
    put_plot(f, &pg->cheat[i], pid, cap);
  }
  if (any)
    fputs("</div>\n", f);
}

static void put_reading(FILE *f, const page *pg)
{
  (void)pg;
  fputs("<section id=\"reading\">\n<h2>How to read this report</h2>\n<ul>\n"
        "<li><i>max rel error</i> is |analytic − numeric| / max(|analytic|, |numeric|) over the "
        "resolved entries, those at least 10⁸ times the numeric side's error bar plus the "
        "analytic side's rounding (README, Accuracy); <i>worst / tolerance</i> is the largest "
        "error as a fraction of its own tolerance: below 1 passes. <i>Decided by</i> names the "
        "largest term of that entry's bound (atol, rtol or error bar).</li>\n"
        "<li>Entries are numbered from 0 as (row, column); a vector is a column.</li>\n"
        "<li>The same seed gives the same numbers; reports/gradient-report.json carries them for "
        "scripts.</li>\n</ul>\n</section>\n",
        f);
}

static int write_html(FILE *f, void *ctx)
{
  const page *pg = ctx;
  put_header(f, pg);
  fputs("<main>\n", f);
  put_formula_table(f, pg);
  put_formula_details(f, pg);
  put_step(f, pg);
  put_taylor(f, pg);
  put_controls(f, pg);
  put_reading(f, pg);
  fputs("</main>\n</body>\n</html>\n", f);
  return ferror(f) ? -1 : 0;
}

static void plot_release(plot *pl, size_t n)
{
  for (size_t i = 0; pl && i < n; i++)
    free(pl[i].svg);
  free(pl);
}

/* Every plot of the page, until one fails fatally (pg->fatal). */
static void draw_plots(page *pg)
{
  const gv_run *run = pg->run;
  for (size_t i = 0; i < run->n_formulas && !pg->fatal; i++) {
    plot_hist(pg, i);
    const gv_formula_result *fr = &run->formulas[i];
    if (has_heat_map(fr->heat))
      plot_heat(pg, &pg->fheat[i], fr->formula->id, fr->formula->id, fr->heat, fr->heat_trial, i);
  }
  if (!pg->fatal)
    plot_step(pg);
  if (!pg->fatal)
    plot_taylor(pg);
  for (size_t i = 0; i < run->n_controls && !pg->fatal; i++) {
    const gv_control_result *cr = &run->controls[i];
    if (has_heat_map(cr->heat))
      plot_heat(pg, &pg->cheat[i], cr->control->id, cr->control->formula_id, cr->heat,
                cr->heat_trial, run->n_formulas + i);
  }
}

int gv_report_write_html(const gv_run *run, const char *path, int *plots_skipped, int *err_no)
{
  page pg = {.run = run};
  int rc = GSL_SUCCESS;
  *err_no = 0;
  *plots_skipped = 0;
  pg.hist = calloc(run->n_formulas + 1, sizeof *pg.hist);
  pg.fheat = calloc(run->n_formulas + 1, sizeof *pg.fheat);
  pg.cheat = calloc(run->n_controls + 1, sizeof *pg.cheat);
  /* room for every plot: a histogram and a heat map per formula, a heat map
   * per control, the step curve and the Taylor test */
  size_t most = 2 * run->n_formulas + run->n_controls + 2;
  pg.jobs = calloc(most, sizeof *pg.jobs);
  pg.queued = calloc(most, sizeof *pg.queued);
  if (!pg.hist || !pg.fheat || !pg.cheat || !pg.jobs || !pg.queued) {
    rc = GSL_ENOMEM;
    goto done;
  }
  rc = gv_plot_data_step_curve(run->seed, &pg.sc);
  if (rc == GSL_SUCCESS)
    rc = gv_plot_data_taylor(run->seed, &pg.tc);
  if (rc != GSL_SUCCESS)
    goto done;

  /* No `gnuplot --version` first: the one process that draws the plots says
   * whether gnuplot is there (GSL_EUNIMPL: every plot skipped). */
  pg.gp = gv_plot_alloc(err_no);
  if (!pg.gp) {
    rc = GSL_ENOMEM;
    goto done;
  }
  draw_plots(&pg);
  if (!pg.fatal && pg.n_queued)
    render_queued(&pg);
  gv_plot_free(pg.gp);
  pg.gp = NULL;
  if (pg.fatal) {
    rc = pg.fatal;
    goto done;
  }
  *plots_skipped = pg.skipped;
  rc = gv_file_write_atomic(path, write_html, &pg, err_no);
done:
  gv_plot_free(pg.gp);
  plot_release(pg.hist, run->n_formulas);
  plot_release(pg.fheat, run->n_formulas);
  plot_release(pg.cheat, run->n_controls);
  free(pg.step.svg);
  free(pg.taylor.svg);
  queue_release(&pg);
  return rc;
}
