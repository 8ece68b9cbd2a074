/* check_html.c: the HTML report on a real driver run. The page must be
 * well-formed XML-compatible markup (checked by a small stack-based tag
 * matcher here, no new dependency), name every formula and control, hold one
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

/* --- a small XML well-formedness checker ----------------------------------- */

#define MAX_DEPTH 256
#define MAX_IDS 4096

typedef struct {
  char *ids[MAX_IDS]; /* every id attribute */
  size_t n_ids;
  char *hrefs[MAX_IDS]; /* every in-page reference href="#..." */
  size_t n_hrefs;
  char *figures[MAX_IDS];   /* ids of <figure class="plot"> */
  int figure_svgs[MAX_IDS]; /* <svg> elements inside each */
  int figure_skips[MAX_IDS];
  size_t n_figures;
  size_t n_svg, n_skip, n_script;
  char error[256];
} html_doc;

static void doc_free(html_doc *d)
{
  for (size_t i = 0; i < d->n_ids; i++)
    free(d->ids[i]);
  for (size_t i = 0; i < d->n_hrefs; i++)
    free(d->hrefs[i]);
  for (size_t i = 0; i < d->n_figures; i++)
    free(d->figures[i]);
}

static int parse_error(html_doc *d, const char *at, const char *what)
{
  snprintf(d->error, sizeof d->error, "%s at \"%.40s\"", what, at);
  return 0;
}

static int name_char(char c)
{
  return isalnum((unsigned char)c) || c == '-' || c == '_' || c == ':' || c == '.';
}

/* Checks an entity reference at s ('&'); returns its length or 0. */
static size_t entity(const char *s)
{
  size_t n = 1;
  if (s[n] == '#') {
    n++;
    int hex = s[n] == 'x';
    n += hex;
    size_t start = n;
    while (hex ? isxdigit((unsigned char)s[n]) : isdigit((unsigned char)s[n]))
      n++;
    if (n == start)
      return 0;
  } else {
    static const char *const known[] = {"amp", "lt", "gt", "quot", "apos"};
    size_t k = 0;
    for (; k < 5; k++)
      if (strncmp(s + 1, known[k], strlen(known[k])) == 0) {
        n += strlen(known[k]);
        break;
      }
    if (k == 5)
      return 0; /* XML knows only the five */
  }
  return s[n] == ';' ? n + 1 : 0;
}

/* Text between tags: no bare '&'. */
static int check_text(html_doc *d, const char *s, const char *end)
{
  for (; s < end; s++)
    if (*s == '&' && entity(s) == 0)
      return parse_error(d, s, "bad entity");
  return 1;
}

/* Parses the whole document: every element closed in order, attributes
 * quoted, entities known. Records ids, in-page hrefs and plot figures. */
static int parse_html(const char *s, html_doc *d)
{
  memset(d, 0, sizeof *d);
  char stack[MAX_DEPTH][32];
  size_t depth = 0;
  long figure = -1; /* index of the open plot figure */
  size_t figure_depth = 0;
  while (*s) {
    const char *lt = strchr(s, '<');
    if (!lt)
      return check_text(d, s, s + strlen(s)) &&
             (depth == 0 || parse_error(d, s, "unclosed element"));
    if (!check_text(d, s, lt))
      return 0;
    s = lt;
    if (strncmp(s, "<!--", 4) == 0) {
      const char *e = strstr(s, "-->");
      if (!e)
        return parse_error(d, s, "unclosed comment");
      s = e + 3;
      continue;
    }
    if (strncmp(s, "<![CDATA[", 9) == 0) {
      const char *e = strstr(s, "]]>");
      if (!e)
        return parse_error(d, s, "unclosed CDATA");
      s = e + 3;
      continue;
    }
    if (strncmp(s, "<!DOCTYPE", 9) == 0 || strncmp(s, "<?", 2) == 0) {
      const char *e = strchr(s, '>');
      if (!e)
        return parse_error(d, s, "unclosed declaration");
      s = e + 1;
      continue;
    }
    int closing = s[1] == '/';
    const char *p = s + 1 + closing;
    size_t nl = 0;
    while (name_char(p[nl]))
      nl++;
    if (nl == 0 || nl >= sizeof stack[0])
      return parse_error(d, s, "bad tag name");
    char name[32];
    memcpy(name, p, nl);
    name[nl] = '\0';
    p += nl;
    if (closing) {
      while (isspace((unsigned char)*p))
        p++;
      if (*p != '>')
        return parse_error(d, s, "bad end tag");
      if (depth == 0 || strcmp(stack[depth - 1], name) != 0)
        return parse_error(d, s, depth ? "end tag does not match" : "end tag without start");
      depth--;
      if (figure >= 0 && depth == figure_depth && strcmp(name, "figure") == 0)
        figure = -1;
      s = p + 1;
      continue;
    }
    /* attributes */
    char id[128] = "", cls[64] = "";
    for (;;) {
      while (isspace((unsigned char)*p))
        p++;
      if (*p == '>' || (p[0] == '/' && p[1] == '>'))
        break;
      size_t an = 0;
      while (name_char(p[an]))
        an++;
      if (an == 0)
        return parse_error(d, p, "bad attribute");
      const char *aname = p;
      p += an;
      while (isspace((unsigned char)*p))
        p++;
      if (*p != '=')
        return parse_error(d, p, "attribute without value");
      p++;
      while (isspace((unsigned char)*p))
        p++;
      char q = *p;
      if (q != '"' && q != '\'')
        return parse_error(d, p, "unquoted attribute");
      const char *v = p + 1, *ve = strchr(v, q);
      if (!ve)
        return parse_error(d, p, "unclosed attribute");
      if (memchr(v, '<', (size_t)(ve - v)))
        return parse_error(d, v, "'<' in attribute");
      if (!check_text(d, v, ve))
        return 0;
      size_t vl = (size_t)(ve - v);
      if (an == 2 && strncmp(aname, "id", 2) == 0) {
        if (d->n_ids == MAX_IDS || vl >= sizeof id)
          return parse_error(d, v, "too many or too long ids");
        memcpy(id, v, vl);
        id[vl] = '\0';
        d->ids[d->n_ids++] = strdup(id);
      } else if (an == 5 && strncmp(aname, "class", 5) == 0 && vl < sizeof cls) {
        memcpy(cls, v, vl);
        cls[vl] = '\0';
      } else if (an == 4 && strncmp(aname, "href", 4) == 0 && *v == '#' && strcmp(name, "a") == 0) {
        if (d->n_hrefs == MAX_IDS)
          return parse_error(d, v, "too many hrefs");
        d->hrefs[d->n_hrefs++] = strndup(v + 1, vl - 1);
      }
      p = ve + 1;
    }
    int empty = *p == '/';
    if (strcmp(name, "script") == 0)
      d->n_script++;
    if (strcmp(name, "svg") == 0) {
      d->n_svg++;
      if (figure >= 0)
        d->figure_svgs[figure]++;
    }
    if (strcmp(name, "p") == 0 && strcmp(cls, "skip") == 0) {
      d->n_skip++;
      if (figure >= 0)
        d->figure_skips[figure]++;
    }
    if (strcmp(name, "figure") == 0 && strcmp(cls, "plot") == 0 && !empty) {
      if (d->n_figures == MAX_IDS)
        return parse_error(d, s, "too many figures");
      figure = (long)d->n_figures;
      figure_depth = depth;
      d->figures[d->n_figures++] = strdup(id);
    }
    if (!empty) {
      if (depth == MAX_DEPTH)
        return parse_error(d, s, "too deep");
      strcpy(stack[depth++], name);
    }
    s = p + (empty ? 2 : 1);
  }
  return depth == 0 || parse_error(d, s, "unclosed element");
}

static int has_id(const html_doc *d, const char *id)
{
  for (size_t i = 0; i < d->n_ids; i++)
    if (strcmp(d->ids[i], id) == 0)
      return 1;
  return 0;
}

static long figure_index(const html_doc *d, const char *id)
{
  for (size_t i = 0; i < d->n_figures; i++)
    if (strcmp(d->figures[i], id) == 0)
      return (long)i;
  return -1;
}

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
static void assert_structure(const char *s, html_doc *d)
{
  ck_assert_msg(parse_html(s, d), "not well-formed: %s", d->error);
  ck_assert_uint_eq(d->n_script, 0);
  assert_no_fetch(s);
  char id[160];
  for (size_t i = 0; i < run.n_formulas; i++) {
    snprintf(id, sizeof id, "f-%s", run.formulas[i].formula->id);
    ck_assert_msg(has_id(d, id), "no section %s", id);
    snprintf(id, sizeof id, "plot-hist-%s", run.formulas[i].formula->id);
    ck_assert_msg(figure_index(d, id) >= 0, "no plot %s", id);
  }
  for (size_t i = 0; i < run.n_controls; i++) {
    snprintf(id, sizeof id, "c-%s", run.controls[i].control->id);
    ck_assert_msg(has_id(d, id), "no control %s", id);
  }
  ck_assert(figure_index(d, "plot-step") >= 0);
  ck_assert(figure_index(d, "plot-taylor") >= 0);
  ck_assert(figure_index(d, "plot-heat-grad_W_nomask") >= 0);
  ck_assert(figure_index(d, "plot-heat-grad_V_order") >= 0);
  for (size_t i = 0; i < d->n_hrefs; i++)
    ck_assert_msg(has_id(d, d->hrefs[i]), "link to #%s, which is not on the page", d->hrefs[i]);
  ck_assert_ptr_nonnull(strstr(s, run.pass ? "Verdict: PASS" : "Verdict: FAIL"));
}

/* --- the page ------------------------------------------------------------------ */

START_TEST(page_with_plots)
{
  ck_assert_int_eq(gv_plot_available(), GSL_SUCCESS); /* the suite runs where gnuplot is */
  int skipped = -1;
  char *s = write_page("with-plots.html", &skipped);
  ck_assert_int_eq(skipped, 0);
  html_doc d;
  assert_structure(s, &d);
  /* every plot placed is drawn: one SVG per figure, none elsewhere */
  ck_assert_uint_ge(d.n_figures, run.n_formulas + 4);
  ck_assert_uint_eq(d.n_svg, d.n_figures);
  ck_assert_uint_eq(d.n_skip, 0);
  for (size_t i = 0; i < d.n_figures; i++)
    ck_assert_msg(d.figure_svgs[i] == 1, "plot %s holds %d svg", d.figures[i], d.figure_svgs[i]);
  ck_assert_ptr_null(strstr(s, "plots skipped"));
  /* the settings at the top, the rule stated */
  ck_assert_ptr_nonnull(strstr(s, "rtol·max(|analytic|, |numeric|) + kerr·e"));
  char seed[64];
  snprintf(seed, sizeof seed, "--seed %lu", run.seed);
  ck_assert_ptr_nonnull(strstr(s, seed));
  /* ids inside inlined SVGs are unique */
  for (size_t i = 0; i < d.n_ids; i++)
    for (size_t j = i + 1; j < d.n_ids; j++)
      ck_assert_msg(strcmp(d.ids[i], d.ids[j]) != 0, "duplicate id %s", d.ids[i]);
  doc_free(&d);
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
  html_doc d;
  assert_structure(s, &d);
  ck_assert_uint_eq(d.n_svg, 0);
  ck_assert_uint_eq(d.n_skip, d.n_figures);
  for (size_t i = 0; i < d.n_figures; i++)
    ck_assert_int_eq(d.figure_skips[i], 1);
  ck_assert_ptr_nonnull(strstr(s, GV_REPORT_HTML_SKIPPED));
  doc_free(&d);
  free(s);
}
END_TEST

START_TEST(page_escapes_text)
{
  /* a hand-made run whose strings need escaping */
  static const gv_formula f = {"odd_id", "a < b && c > \"d\" 'e'", "x < y & z", "<none>", .trial = NULL};
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
  html_doc d;
  ck_assert_msg(parse_html(s, &d), "not well-formed: %s", d.error);
  ck_assert_ptr_nonnull(strstr(s, "a &lt; b &amp;&amp; c &gt; &quot;d&quot; &#39;e&#39;"));
  ck_assert_ptr_nonnull(strstr(s, "&lt;i&gt;planted&lt;/i&gt; &amp; co"));
  ck_assert_ptr_nonnull(strstr(s, "Verdict: FAIL"));
  ck_assert_ptr_nonnull(strstr(s, "NaN")); /* the non-finite worst entry, named */
  ck_assert(has_id(&d, "f-odd_id"));
  ck_assert(has_id(&d, "c-odd_control"));
  doc_free(&d);
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
  gv_plot *p = gv_plot_alloc(NULL, &err_no);
  ck_assert_ptr_nonnull(p);
  char dir[512];
  snprintf(dir, sizeof dir, "%s", gv_plot_dir(p));
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
  gv_plot_free(p);
  struct stat st;
  ck_assert_int_ne(stat(dir, &st), 0); /* the work directory is gone */
  gv_plot_free(NULL);
}
END_TEST

START_TEST(plot_errors)
{
  int err_no;
  gv_plot *p = gv_plot_alloc(NULL, &err_no);
  ck_assert_ptr_nonnull(p);
  FILE *f = (FILE *)p;
  ck_assert_int_eq(gv_plot_data_open(p, "../x", &f, &err_no), GSL_EINVAL);
  ck_assert_ptr_null(f);
  ck_assert_int_eq(gv_plot_data_open(p, "it's", &f, &err_no), GSL_EINVAL);
  ck_assert_int_eq(gv_plot_data_open(p, "", &f, &err_no), GSL_EINVAL);
  char *svg = (char *)p;
  ck_assert_int_eq(gv_plot_render(p, "plot 'missing.dat'", 300, 200, &svg, &err_no), GSL_EFAILED);
  ck_assert_ptr_null(svg);
  ck_assert_int_eq(gv_plot_render(p, "this is not gnuplot", 300, 200, &svg, &err_no), GSL_EFAILED);
  ck_assert_int_eq(gv_plot_render(p, "plot x", 0, 200, &svg, &err_no), GSL_EINVAL);
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
  gv_plot *p = gv_plot_alloc(NULL, &err_no);
  ck_assert_ptr_nonnull(p);
  char *svg = NULL;
  int rc = gv_plot_render(p, "plot x", 300, 200, &svg, &err_no);
  int avail = gv_plot_available();
  if (old)
    setenv("PATH", old, 1);
  free(old);
  ck_assert_int_eq(rc, GSL_EUNIMPL);
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
  tcase_add_test(page, page_escapes_text);
  tcase_add_test(page, page_unwritable);
  tcase_add_test(page, plot_gnuplot_missing);
  suite_add_tcase(s, page);

  TCase *plot = tcase_create("Plot");
  tcase_add_test(plot, plot_renders_svg);
  tcase_add_test(plot, plot_errors);
  suite_add_tcase(s, plot);

  TCase *data = tcase_create("Data");
  tcase_add_test(data, step_curve_shape);
  tcase_add_test(data, taylor_slopes);
  suite_add_tcase(s, data);
  return s;
}
