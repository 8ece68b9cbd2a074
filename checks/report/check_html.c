/* check_html.c: the HTML report on a real driver run. The page must be
 * well-formed XML-compatible markup (libxml2's parser, xml_check.h), name
 * every formula and control, hold one
 * SVG for every plot it places (or say plainly that plots were skipped),
 * fetch nothing and run no script. Also the pieces: gv_plot (gnuplot in a
 * private directory) and gv_plot_data (the step-size and Taylor curves). */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gsl/gsl_errno.h>

#include "check_main.h"
#include "gv_driver.h"
#include "gv_fd.h"
#include "gv_plot.h"
#include "gv_plot_data.h"
#include "gv_report.h"
#include "xml_check.h"

/* --- fixtures ----------------------------------------------------------------- */

static gv_run run;
static char tmpdir[] = "/tmp/check_html.XXXXXX";

static void run_setup(void)
{
  gv_driver_options o;
  gv_driver_options_init(&o);
  o.trials = 5;
  ck_assert_int_eq(gv_driver_run(&o, &run), GSL_SUCCESS);
  ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void remove_tree(const char *dir)
{
  DIR *d = opendir(dir);
  if (!d)
    return;
  struct dirent *e;
  char path[512];
  while ((e = readdir(d)) != NULL) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
      continue;
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    if (rmdir(path) != 0)
      unlink(path);
  }
  closedir(d);
  rmdir(dir);
}

static void run_teardown(void)
{
  gv_run_free(&run);
  remove_tree(tmpdir);
}

static char *slurp(const char *path)
{
  FILE *f = fopen(path, "rb");
  ck_assert_msg(f != NULL, "cannot open %s: %s", path, strerror(errno));
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *s = malloc((size_t)n + 1);
  ck_assert_ptr_nonnull(s);
  ck_assert_uint_eq(fread(s, 1, (size_t)n, f), (size_t)n);
  s[n] = '\0';
  fclose(f);
  return s;
}

/* Writes the page for the shared run into the temp dir under `name`. */
static char *write_page(const char *name, int *skipped)
{
  char path[256];
  int err_no = 0;
  snprintf(path, sizeof path, "%s/%s", tmpdir, name);
  int rc = gv_report_write_html(&run, path, skipped, &err_no);
  ck_assert_msg(rc == GSL_SUCCESS, "gv_report_write_html: %s (errno %d)", gsl_strerror(rc), err_no);
  return slurp(path);
}

/* Every "http://" or "https://" is an SVG namespace, never a fetch. */
static void assert_no_fetch(const char *s)
{
  static const char *const ok[] = {"xmlns=\"http://www.w3.org/2000/svg\"",
                                   "xmlns:xlink=\"http://www.w3.org/1999/xlink\""};
  for (const char *p = s; (p = strstr(p, "http")) != NULL; p++) {
    if (strncmp(p, "http://", 7) != 0 && strncmp(p, "https://", 8) != 0)
      continue;
    int allowed = 0;
    for (size_t k = 0; k < 2; k++) {
      size_t pre = strchr(ok[k], '"') - ok[k] + 1;
      allowed |= p - s >= (long)pre && strncmp(p - pre, ok[k], strlen(ok[k])) == 0;
    }
    ck_assert_msg(allowed, "a URL that is not an SVG namespace: %.60s", p - 20);
  }
  ck_assert_ptr_null(strstr(s, "<script"));
  ck_assert_ptr_null(strstr(s, "<link"));
  ck_assert_ptr_null(strstr(s, "@import"));
}

/* Ids, controls and links: what every page must have, plots or not. */
static void assert_structure(const char *s, xml_doc *d)
{
  ck_assert_msg(xml_doc_read(s, d), "not well-formed: %s", d->error);
  ck_assert_uint_eq(d->n_script, 0);
  assert_no_fetch(s);
  char id[160];
  for (size_t i = 0; i < run.n_formulas; i++) {
    snprintf(id, sizeof id, "f-%s", run.formulas[i].formula->id);
    ck_assert_msg(xml_doc_has_id(d, id), "no section %s", id);
    snprintf(id, sizeof id, "plot-hist-%s", run.formulas[i].formula->id);
    ck_assert_msg(xml_doc_figure(d, id) >= 0, "no plot %s", id);
  }
  for (size_t i = 0; i < run.n_controls; i++) {
    snprintf(id, sizeof id, "c-%s", run.controls[i].control->id);
    ck_assert_msg(xml_doc_has_id(d, id), "no control %s", id);
  }
  ck_assert(xml_doc_figure(d, "plot-step") >= 0);
  ck_assert(xml_doc_figure(d, "plot-taylor") >= 0);
  ck_assert(xml_doc_figure(d, "plot-heat-grad_W_nomask") >= 0);
  ck_assert(xml_doc_figure(d, "plot-heat-grad_V_order") >= 0);
  for (size_t i = 0; i < d->n_hrefs; i++)
    ck_assert_msg(xml_doc_has_id(d, d->hrefs[i]), "link to #%s, which is not on the page",
                  d->hrefs[i]);
  ck_assert_ptr_nonnull(strstr(s, run.pass ? "Verdict: PASS" : "Verdict: FAIL"));
}

/* --- the page ------------------------------------------------------------------ */

/* The figure `id` holds its map as one embedded image and no rectangles
 * (gnuplot's "with image pixels" drew a <path> per block: 450 KB at --size
 * 784,128,10). */
static void assert_heat_image(const char *s, const char *id)
{
  char key[160];
  snprintf(key, sizeof key, "id=\"%s\"", id);
  const char *start = strstr(s, key), *end = start ? strstr(start, "</figure>") : NULL;
  ck_assert_msg(start && end, "no figure %s", id);
  size_t images = 0, paths = 0;
  for (const char *p = start; (p = strstr(p, "<image")) != NULL && p < end; p++)
    images++;
  for (const char *p = start; (p = strstr(p, "<path")) != NULL && p < end; p++)
    paths++;
  ck_assert_msg(images == 1, "%s holds %zu images", id, images);
  ck_assert_msg(paths < 100, "%s holds %zu paths: a rectangle per block?", id, paths);
}

START_TEST(page_with_plots)
{
  ck_assert_int_eq(gv_plot_available(), GSL_SUCCESS); /* the suite runs where gnuplot is */
  int skipped = -1;
  char *s = write_page("with-plots.html", &skipped);
  ck_assert_int_eq(skipped, 0);
  xml_doc d;
  assert_structure(s, &d);
  /* every plot placed is drawn: one SVG per figure, none elsewhere */
  ck_assert_uint_ge(d.n_figures, run.n_formulas + 4);
  ck_assert_uint_eq(d.n_svg, d.n_figures);
  ck_assert_uint_eq(d.n_skip, 0);
  for (size_t i = 0; i < d.n_figures; i++)
    ck_assert_msg(d.figure_svgs[i] == 1, "plot %s holds %d svg", d.figures[i], d.figure_svgs[i]);
  ck_assert_ptr_null(strstr(s, "plots skipped"));
  /* a heat map is one image, whatever the number of blocks, not a rectangle per block */
  assert_heat_image(s, "plot-heat-grad_W_nomask");
  assert_heat_image(s, "plot-heat-grad_V_order");
  /* gnuplot reads its data from memory files: a series titled by its plot
   * command would show the reader '/dev/fd/N' using ... in a tooltip */
  const char *fd = strstr(s, "/dev/fd/");
  ck_assert_msg(fd == NULL, "the page shows a file descriptor: %.60s", fd ? fd - 20 : "");
  /* the settings at the top, the rule stated */
  ck_assert_ptr_nonnull(strstr(s, "rtol·max(|analytic|, |numeric|) + kerr·e"));
  char seed[64];
  snprintf(seed, sizeof seed, "--seed %lu", run.seed);
  ck_assert_ptr_nonnull(strstr(s, seed));
  /* ids inside inlined SVGs are unique */
  for (size_t i = 0; i < d.n_ids; i++)
    for (size_t j = i + 1; j < d.n_ids; j++)
      ck_assert_msg(strcmp(d.ids[i], d.ids[j]) != 0, "duplicate id %s", d.ids[i]);
  xml_doc_free(&d);
  free(s);
}
END_TEST

START_TEST(page_without_gnuplot)
{
  char empty[512], *old = getenv("PATH") ? strdup(getenv("PATH")) : NULL;
  snprintf(empty, sizeof empty, "%s/empty-path", tmpdir);
  ck_assert(mkdir(empty, 0700) == 0 || errno == EEXIST);
  ck_assert_int_eq(setenv("PATH", empty, 1), 0);
  ck_assert_int_eq(gv_plot_available(), GSL_EUNIMPL);
  int skipped = -1;
  char *s = write_page("no-gnuplot.html", &skipped);
  if (old)
    setenv("PATH", old, 1);
  free(old);
  ck_assert_int_eq(skipped, 1);
  xml_doc d;
  assert_structure(s, &d);
  ck_assert_uint_eq(d.n_svg, 0);
  ck_assert_uint_eq(d.n_skip, d.n_figures);
  for (size_t i = 0; i < d.n_figures; i++)
    ck_assert_int_eq(d.figure_skips[i], 1);
  ck_assert_ptr_nonnull(strstr(s, GV_REPORT_HTML_SKIPPED));
  xml_doc_free(&d);
  free(s);
}
END_TEST

/* How many gnuplot processes writing a page starts: a wrapper named gnuplot,
 * first in PATH, counts its runs and hands over to the real one. */
START_TEST(page_one_gnuplot)
{
  char dir[512], wrapper[600], count[600];
  const char *old = getenv("PATH");
  ck_assert_ptr_nonnull(old);
  char *saved = strdup(old);
  snprintf(dir, sizeof dir, "%s/counting-path", tmpdir);
  ck_assert(mkdir(dir, 0700) == 0 || errno == EEXIST);
  snprintf(wrapper, sizeof wrapper, "%s/gnuplot", dir);
  snprintf(count, sizeof count, "%s/runs", dir);
  FILE *w = fopen(wrapper, "w");
  ck_assert_ptr_nonnull(w);
  fprintf(w, "#!/bin/sh\necho run >> '%s'\nPATH='%s'\nexport PATH\nexec gnuplot \"$@\"\n", count,
          saved);
  ck_assert_int_eq(fclose(w), 0);
  ck_assert_int_eq(chmod(wrapper, 0700), 0);
  size_t len = strlen(dir) + strlen(saved) + 2;
  char *path = malloc(len);
  ck_assert_ptr_nonnull(path);
  snprintf(path, len, "%s:%s", dir, saved);
  ck_assert_int_eq(setenv("PATH", path, 1), 0);
  int skipped = -1;
  char *s = write_page("one-gnuplot.html", &skipped);
  setenv("PATH", saved, 1);
  free(path);
  free(saved);
  ck_assert_int_eq(skipped, 0);
  xml_doc d;
  assert_structure(s, &d);
  ck_assert_uint_ge(d.n_svg, run.n_formulas + 4);
  ck_assert_uint_eq(d.n_svg, d.n_figures);
  FILE *c = fopen(count, "r");
  ck_assert_ptr_nonnull(c);
  int runs = 0, ch;
  while ((ch = fgetc(c)) != EOF)
    runs += ch == '\n';
  fclose(c);
  ck_assert_int_eq(runs, 1); /* every plot drawn by one process, no probe */
  unlink(count);
  unlink(wrapper);
  xml_doc_free(&d);
  free(s);
}
END_TEST

START_TEST(page_escapes_text)
{
  /* a hand-made run whose strings need escaping */
  static const gv_formula f = {"odd_id", "a < b && c > \"d\" 'e'", "x < y & z", "<none>",
                               .trial = NULL};
  static const gv_control c = {"odd_control", "<i>planted</i> & co", "odd_id", .variant = GV_RIGHT};
  gv_tol tol = {1e-9, 1e-5, 2.0};
  gv_formula_result fr = {.formula = &f, .trials = 2, .min_entries = 3, .max_entries = 3};
  gv_control_result cr = {.control = &c, .trials = 2, .caught_trials = 2, .caught = 1};
  gv_cmp_init(&fr.cmp);
  gv_cmp_init(&cr.cmp);
  gv_cmp_entry(&fr.cmp, 0, 0, 0.3817, 0.3817 + 1e-13, 0.0, &tol);
  gv_cmp_entry(&fr.cmp, 1, 0, 2.718, NAN, 0.0, &tol);
  gv_cmp_entry(&cr.cmp, 1, 0, 2.718, 1.0, 0.0, &tol);
  fr.pass = 0;
  gv_run hand = {.seed = 7,
                 .trials = 2,
                 .tol = tol,
                 .n_formulas = 1,
                 .n_controls = 1,
                 .formulas = &fr,
                 .controls = &cr,
                 .pass = 0};
  char path[256];
  int skipped = -1, err_no = 0;
  snprintf(path, sizeof path, "%s/escapes.html", tmpdir);
  ck_assert_int_eq(gv_report_write_html(&hand, path, &skipped, &err_no), GSL_SUCCESS);
  char *s = slurp(path);
  xml_doc d;
  ck_assert_msg(xml_doc_read(s, &d), "not well-formed: %s", d.error);
  ck_assert_ptr_nonnull(strstr(s, "a &lt; b &amp;&amp; c &gt; &quot;d&quot; &#39;e&#39;"));
  ck_assert_ptr_nonnull(strstr(s, "&lt;i&gt;planted&lt;/i&gt; &amp; co"));
  ck_assert_ptr_nonnull(strstr(s, "Verdict: FAIL"));
  ck_assert_ptr_nonnull(strstr(s, "NaN")); /* the non-finite worst entry, named */
  ck_assert(xml_doc_has_id(&d, "f-odd_id"));
  ck_assert(xml_doc_has_id(&d, "c-odd_control"));
  xml_doc_free(&d);
  free(s);
}
END_TEST

/* A failing formula's heat map of one row (a 1 x 3 derivative) or of one
 * column (3 x 1, a bias gradient) is drawn as one image: gnuplot's image
 * needs two points a side and drew none from one row. A single entry has no
 * map: its one cell would say no more than the table. */
static const struct {
  size_t rows, cols, images;
} vector_heat[] = {{1, 3, 1}, {3, 1, 1}, {1, 1, 0}};

START_TEST(page_vector_heat)
{
  ck_assert_int_eq(gv_plot_available(), GSL_SUCCESS);
  static const gv_formula f = {"vec_id", "d = 1", "it is", "x", .trial = NULL};
  const size_t rows = vector_heat[_i].rows, cols = vector_heat[_i].cols;
  gv_tol tol = {1e-9, 1e-5, 2.0};
  gv_formula_result fr = {
      .formula = &f, .trials = 1, .min_entries = rows * cols, .max_entries = rows * cols};
  gv_cmp_init(&fr.cmp);
  gv_cmp_entry(&fr.cmp, 0, 0, 0.5, 0.7, 0.0, &tol);
  fr.heat = gsl_matrix_alloc(rows, cols);
  ck_assert_ptr_nonnull(fr.heat);
  for (size_t k = 0; k < rows * cols; k++)
    gsl_matrix_set(fr.heat, k / cols, k % cols, pow(10.0, 2.0 * (double)k - 2.0));
  gv_run hand = {.seed = 3, .trials = 1, .tol = tol, .n_formulas = 1, .formulas = &fr};
  char path[256];
  int skipped = -1, err_no = 0;
  snprintf(path, sizeof path, "%s/vector_%zux%zu.html", tmpdir, rows, cols);
  ck_assert_int_eq(gv_report_write_html(&hand, path, &skipped, &err_no), GSL_SUCCESS);
  gsl_matrix_free(fr.heat);
  char *s = slurp(path);
  if (vector_heat[_i].images)
    assert_heat_image(s, "plot-heat-vec_id");
  else
    ck_assert_msg(!strstr(s, "plot-heat-vec_id"), "a %zu x %zu map is drawn", rows, cols);
  free(s);
}
END_TEST

/* A formula not drawn (a placeholder in all its trials) is neither pass nor
 * fail on the page: its badge, the verdict line's count, its details; and
 * another formula's regimes, a line each. */
START_TEST(page_not_drawn)
{
  static const gv_formula f[2] = {{"drawn_id", "d = 1", "it is", "x", .trial = NULL},
                                  {"placeholder_id", "d = 2", "it is", "x", .trial = NULL}};
  gv_tol tol = {1e-9, 1e-5, 2.0};
  gv_formula_result fr[2] = {
      {.formula = &f[0], .trials = 2, .min_entries = 1, .max_entries = 1, .pass = 1},
      {.formula = &f[1], .trials = 2, .not_drawn = 2}};
  gv_cmp_init(&fr[0].cmp);
  gv_cmp_init(&fr[1].cmp);
  gv_cmp_entry(&fr[0].cmp, 0, 0, 0.5, 0.5, 0.0, &tol);
  fr[0].n_regimes = 1;
  fr[0].regimes[0] = (gv_regime_result){.name = "small variance", .trials = 2};
  gv_cmp_init(&fr[0].regimes[0].cmp);
  gv_run hand = {.seed = 3, .trials = 2, .tol = tol, .n_formulas = 2, .formulas = fr, .pass = 1};
  char path[256];
  int skipped = -1, err_no = 0;
  snprintf(path, sizeof path, "%s/not_drawn.html", tmpdir);
  ck_assert_int_eq(gv_report_write_html(&hand, path, &skipped, &err_no), GSL_SUCCESS);
  char *s = slurp(path);
  xml_doc d;
  ck_assert_msg(xml_doc_read(s, &d), "not well-formed: %s", d.error);
  ck_assert_ptr_nonnull(strstr(s, "Verdict: PASS. 1 of 2 formulas verified, 1 not drawn"));
  ck_assert_ptr_nonnull(strstr(s, "<span class=\"nd\">– not drawn</span>"));
  ck_assert_ptr_nonnull(strstr(s, "<b>not drawn in any of its 2 trials</b>"));
  ck_assert_ptr_null(strstr(s, "✘ FAIL"));
  ck_assert_ptr_nonnull(strstr(s, "<li>small variance: 2 trials, 0 failed"));
  xml_doc_free(&d);
  free(s);
}
END_TEST

START_TEST(page_unwritable)
{
  int skipped = -1, err_no = 0;
  int rc = gv_report_write_html(&run, "/nonexistent-dir-3817/report.html", &skipped, &err_no);
  ck_assert_int_eq(rc, GSL_EFAILED);
  ck_assert_int_eq(err_no, ENOENT);
}
END_TEST

/* --- gv_plot ------------------------------------------------------------------- */

START_TEST(plot_renders_svg)
{
  int err_no = -1;
  gv_plot *p = gv_plot_alloc(&err_no);
  ck_assert_ptr_nonnull(p);
  FILE *f;
  ck_assert_int_eq(gv_plot_data_open(p, "d.dat", &f, &err_no), GSL_SUCCESS);
  fprintf(f, "1 2.385\n2 3.1\n3 1.7\n");
  ck_assert_int_eq(fclose(f), 0);
  char *svg = NULL;
  ck_assert_int_eq(
      gv_plot_render(p, "plot 'd.dat' with linespoints title 'x'", 300, 200, &svg, &err_no),
      GSL_SUCCESS);
  ck_assert_ptr_nonnull(svg);
  ck_assert_int_eq(strncmp(svg, "<svg", 4), 0); /* no XML declaration to inline */
  ck_assert_ptr_nonnull(strstr(svg, "</svg>"));
  ck_assert_ptr_nonnull(strstr(svg, "id='gp1_gpPt0'"));  /* ids prefixed */
  ck_assert_ptr_nonnull(strstr(svg, "href='#gp1_gpPt")); /* and references too */
  ck_assert_ptr_null(strstr(svg, "<script"));
  free(svg);
  /* a second render gets other ids */
  ck_assert_int_eq(gv_plot_render(p, "plot sin(x)", 300, 200, &svg, &err_no), GSL_SUCCESS);
  ck_assert_ptr_nonnull(strstr(svg, "id='gp2_gpPt0'"));
  free(svg);
  /* a data file opened again is written afresh: a script that reads past
   * its new single line has nothing to draw from the old three */
  ck_assert_int_eq(gv_plot_data_open(p, "d.dat", &f, &err_no), GSL_SUCCESS);
  fprintf(f, "1 5.25\n2 6.5\n");
  ck_assert_int_eq(fclose(f), 0);
  ck_assert_int_eq(gv_plot_render(p, "plot 'd.dat' every ::2 with points", 300, 200, &svg, &err_no),
                   GSL_EFAILED);
  ck_assert_int_eq(gv_plot_render(p, "plot 'd.dat' every ::1 with points", 300, 200, &svg, &err_no),
                   GSL_SUCCESS);
  free(svg);
  gv_plot_free(p);
  gv_plot_free(NULL);
}
END_TEST

START_TEST(plot_errors)
{
  int err_no;
  gv_plot *p = gv_plot_alloc(&err_no);
  ck_assert_ptr_nonnull(p);
  FILE *f = (FILE *)p;
  ck_assert_int_eq(gv_plot_data_open(p, "../x", &f, &err_no), GSL_EINVAL);
  ck_assert_ptr_null(f);
  ck_assert_int_eq(gv_plot_data_open(p, "it's", &f, &err_no), GSL_EINVAL);
  ck_assert_int_eq(gv_plot_data_open(p, "", &f, &err_no), GSL_EINVAL);
  char *svg = (char *)p;
  ck_assert_int_eq(gv_plot_render(p, "plot 'missing.dat'", 300, 200, &svg, &err_no), GSL_EFAILED);
  ck_assert_ptr_null(svg);
  /* a name that is no data file names nothing, even where the caller's
   * working directory has a file of that name */
  char cwd[512], dir[] = "/tmp/check_html_stray.XXXXXX", path[600];
  ck_assert_ptr_nonnull(getcwd(cwd, sizeof cwd));
  ck_assert_ptr_nonnull(mkdtemp(dir));
  snprintf(path, sizeof path, "%s/stray.dat", dir);
  FILE *stray = fopen(path, "w");
  ck_assert_ptr_nonnull(stray);
  fprintf(stray, "1 2\n2 3\n");
  ck_assert_int_eq(fclose(stray), 0);
  ck_assert_int_eq(chdir(dir), 0);
  int rc = gv_plot_render(p, "plot 'stray.dat'", 300, 200, &svg, &err_no);
  ck_assert_int_eq(chdir(cwd), 0);
  unlink(path);
  rmdir(dir);
  ck_assert_int_eq(rc, GSL_EFAILED);
  ck_assert_ptr_null(svg);
  ck_assert_int_eq(gv_plot_render(p, "this is not gnuplot", 300, 200, &svg, &err_no), GSL_EFAILED);
  ck_assert_int_eq(gv_plot_render(p, "plot x", 0, 200, &svg, &err_no), GSL_EINVAL);
  gv_plot_free(p);
}
END_TEST

/* A batch: one process, plots in order, no setting carried from one plot to
 * the next, a rejected script costing only its own plot. */
START_TEST(plot_batch)
{
  int err_no;
  gv_plot *p = gv_plot_alloc(&err_no);
  ck_assert_ptr_nonnull(p);
  gv_plot_job jobs[] = {
      {.script = "set title 'LEAKED'\nplot x", .width = 300, .height = 200},
      {.script = "plot x**2", .width = 320, .height = 200},
      {.script = "plot x", .width = 0, .height = 200},
      {.script = "plot sin(x)", .width = 300, .height = 210},
  };
  ck_assert_int_eq(gv_plot_render_all(p, jobs, 4), GSL_SUCCESS);
  for (int i = 0; i < 4; i++)
    ck_assert_int_eq(jobs[i].rc, i == 2 ? GSL_EINVAL : GSL_SUCCESS);
  ck_assert_ptr_nonnull(strstr(jobs[0].svg, "LEAKED"));
  ck_assert_ptr_null(strstr(jobs[1].svg, "LEAKED")); /* each plot starts afresh */
  ck_assert_ptr_nonnull(strstr(jobs[1].svg, "width=\"320\""));
  ck_assert_ptr_nonnull(strstr(jobs[0].svg, "id='gp1_gpPt0'"));
  ck_assert_ptr_null(jobs[2].svg);
  ck_assert_ptr_nonnull(strstr(jobs[3].svg, "id='gp3_gpPt0'"));
  for (int i = 0; i < 4; i++)
    free(jobs[i].svg);
  /* a rejected script in the middle: the others are still drawn */
  jobs[2] = (gv_plot_job){.script = "this is not gnuplot", .width = 300, .height = 200};
  ck_assert_int_eq(gv_plot_render_all(p, jobs, 4), GSL_SUCCESS);
  for (int i = 0; i < 4; i++) {
    ck_assert_int_eq(jobs[i].rc, i == 2 ? GSL_EFAILED : GSL_SUCCESS);
    ck_assert(i == 2 ? jobs[i].svg == NULL : strstr(jobs[i].svg, "</svg>") != NULL);
    free(jobs[i].svg);
  }
  ck_assert_int_eq(gv_plot_render_all(NULL, jobs, 4), GSL_EINVAL);
  gv_plot_free(p);
}
END_TEST

START_TEST(plot_gnuplot_missing)
{
  char empty[512], *old = getenv("PATH") ? strdup(getenv("PATH")) : NULL;
  snprintf(empty, sizeof empty, "%s/empty-path-2", tmpdir);
  ck_assert(mkdir(empty, 0700) == 0 || errno == EEXIST);
  ck_assert_int_eq(setenv("PATH", empty, 1), 0);
  int err_no;
  gv_plot *p = gv_plot_alloc(&err_no);
  ck_assert_ptr_nonnull(p);
  char *svg = NULL;
  int rc = gv_plot_render(p, "plot x", 300, 200, &svg, &err_no);
  gv_plot_job job = {.script = "plot x", .width = 300, .height = 200};
  int all = gv_plot_render_all(p, &job, 1);
  int avail = gv_plot_available();
  if (old)
    setenv("PATH", old, 1);
  free(old);
  ck_assert_int_eq(rc, GSL_EUNIMPL);
  ck_assert_int_eq(all, GSL_EUNIMPL);
  ck_assert_int_eq(job.rc, GSL_EUNIMPL);
  ck_assert_ptr_null(job.svg);
  ck_assert_int_eq(avail, GSL_EUNIMPL);
  ck_assert_ptr_null(svg);
  gv_plot_free(p);
}
END_TEST

/* --- gv_plot_data -------------------------------------------------------------- */

START_TEST(step_curve_shape)
{
  gv_step_curve c, again;
  ck_assert_int_eq(gv_plot_data_step_curve(GV_DRIVER_DEFAULT_SEED, &c), GSL_SUCCESS);
  ck_assert_int_eq(gv_plot_data_step_curve(GV_DRIVER_DEFAULT_SEED, &again), GSL_SUCCESS);
  ck_assert_int_eq(memcmp(c.err, again.err, sizeof c.err), 0); /* same seed, same numbers */
  ck_assert_double_gt(fabs(c.analytic), 1e-3);
  ck_assert_double_eq_tol(c.h[0], 1e-1, 1e-16);
  ck_assert_double_eq_tol(c.h[GV_STEP_CURVE_POINTS - 1], 1e-15, 1e-28);
  /* truncation on the right: from h = 0.1 to 0.01, the error falls about 100-fold */
  ck_assert_double_eq_tol(log10(c.err[0] / c.err[2]), 2.0, 0.2);
  /* round-off on the left: the error at 1e-15 is far above the error at the chosen step */
  ck_assert_double_gt(c.err[GV_STEP_CURVE_POINTS - 1], 100.0 * c.err_chosen);
  ck_assert_double_lt(c.err_chosen, c.err[0] * 1e-4);
  ck_assert_double_eq(c.h_chosen, gv_fd_step(c.x));
  /* the engine's error bar covers the error where it chose to work */
  ck_assert_double_le(c.err_chosen, 2.0 * c.errbar_chosen);
}
END_TEST

START_TEST(taylor_slopes)
{
  gv_taylor_curve c;
  ck_assert_int_eq(gv_plot_data_taylor(GV_DRIVER_DEFAULT_SEED, &c), GSL_SUCCESS);
  ck_assert_double_eq_tol(c.slope_right, 2.0, 0.1);
  ck_assert_double_eq_tol(c.slope_wrong, 1.0, 0.1);
  ck_assert_double_gt(fabs(c.gv_right - c.gv_wrong), 1e-4);
  ck_assert_double_eq(c.eps[0], 1.0);
  ck_assert_double_eq(c.eps[GV_PLOT_TAYLOR_POINTS - 1], ldexp(1.0, -30));
  /* for every seed tried, the shape holds */
  for (unsigned long seed = 1; seed <= 5; seed++) {
    ck_assert_int_eq(gv_plot_data_taylor(seed, &c), GSL_SUCCESS);
    ck_assert_msg(fabs(c.slope_right - 2.0) < 0.15, "seed %lu: slope %g", seed, c.slope_right);
    ck_assert_msg(fabs(c.slope_wrong - 1.0) < 0.15, "seed %lu: slope %g", seed, c.slope_wrong);
  }
}
END_TEST

Suite *gv_test_suite(void)
{
  Suite *s = suite_create("html");
  TCase *page = tcase_create("Page");
  tcase_add_unchecked_fixture(page, run_setup, run_teardown);
  tcase_set_timeout(page, 120);
  tcase_add_test(page, page_with_plots);
  tcase_add_test(page, page_without_gnuplot);
  tcase_add_test(page, page_one_gnuplot);
  tcase_add_test(page, page_escapes_text);
  tcase_add_test(page, page_not_drawn);
  tcase_add_loop_test(page, page_vector_heat, 0, (int)(sizeof vector_heat / sizeof vector_heat[0]));
  tcase_add_test(page, page_unwritable);
  tcase_add_test(page, plot_gnuplot_missing);
  suite_add_tcase(s, page);

  TCase *plot = tcase_create("Plot");
  tcase_add_test(plot, plot_renders_svg);
  tcase_add_test(plot, plot_errors);
  tcase_add_test(plot, plot_batch);
  suite_add_tcase(s, plot);

  TCase *data = tcase_create("Data");
  tcase_add_test(data, step_curve_shape);
  tcase_add_test(data, taylor_slopes);
  suite_add_tcase(s, data);
  return s;
}
