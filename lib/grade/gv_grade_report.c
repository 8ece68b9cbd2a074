/* gv_grade_report.c: per-student JSON, Markdown and HTML; the class gradebook
 * (CSV, JSON) and JUnit. */
#include "gv_grade_report.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <jansson.h>

#include "gv_assign.h"
#include "gv_file.h"
#include "gv_xml.h"

char *gv_grade_report_name(const char *path)
{
  const char *base = strrchr(path, '/');
  base = base ? base + 1 : path;
  const char *dot = strrchr(base, '.');
  size_t n = dot && dot != base ? (size_t)(dot - base) : strlen(base);
  char *name = malloc(n + 2);
  if (!name)
    return NULL;
  for (size_t k = 0; k < n; k++) {
    unsigned char c = (unsigned char)base[k];
    name[k] = isalnum(c) || c == '-' || c == '_' || (c == '.' && k > 0) ? (char)c : '_';
  }
  if (n == 0)
    name[n++] = '_';
  name[n] = '\0';
  return name;
}

/* The length of the valid UTF-8 sequence at p (1 to 4), or 0 if it is not one
 * (overlong forms and surrogates are let through: they are only displayed). */
static size_t utf8_length(const unsigned char *p)
{
  size_t n = p[0] >= 0xf0 && p[0] < 0xf5 ? 4 : p[0] >= 0xe0 ? 3 : p[0] >= 0xc2 ? 2 : 0;
  for (size_t k = 1; k < n; k++)
    if ((p[k] & 0xc0) != 0x80)
      return 0;
  return n;
}

/* A copy of s in which control characters other than newline and tab, and
 * bytes that are not valid UTF-8, are '?': safe for JSON, XML and a terminal. */
static char *clean(const char *s)
{
  char *c = strdup(s ? s : "");
  unsigned char *p = (unsigned char *)c;
  while (p && *p) {
    size_t n = *p < 0x80 ? 1 : utf8_length(p);
    if (n == 0 || (*p < 0x20 && *p != '\n' && *p != '\t') || *p == 0x7f) {
      *p++ = '?';
      continue;
    }
    p += n;
  }
  return c;
}

static json_t *clean_string(const char *s)
{
  char *c = clean(s);
  json_t *j = c ? json_string(c) : NULL;
  free(c);
  return j;
}

/* ---- per student ---- */

static json_t *fn_json(const gv_fn_grade *g)
{
  json_t *worst = json_array();
  for (size_t k = 0; worst && k < g->nworst; k++) {
    const gv_grade_entry *e = &g->worst[k];
    json_array_append_new(worst, json_pack("{s:s, s:I, s:I, s:f, s:f, s:f}", "output", e->output,
                                           "row", (json_int_t)e->row, "col", (json_int_t)e->col,
                                           "got", e->got, "want", e->want, "error_over_tolerance",
                                           isfinite(e->ratio) ? e->ratio : 1e300));
  }
  return json_pack("{s:s, s:s, s:f, s:f, s:o, s:o, s:o, s:o, s:o, s:b, s:b, s:o}", "function",
                   gv_assign_fns[g->fn].name, "verdict", gv_fn_verdict_name(g->verdict), "points",
                   g->points, "max_points", g->max_points, "summary", clean_string(g->summary),
                   "diagnosis", clean_string(g->diagnosis), "consistency",
                   clean_string(g->consistency), "stdout", clean_string(g->out), "stderr",
                   clean_string(g->err), "stdout_truncated", g->out_truncated, "stderr_truncated",
                   g->err_truncated, "worst_entries", worst);
}

static json_t *student_json(const gv_class *c, size_t i)
{
  const gv_student *s = &c->students[i];
  json_t *fns = json_array();
  for (size_t k = 0; fns && k < s->nfn; k++)
    json_array_append_new(fns, fn_json(&s->fn[k]));
  return json_pack("{s:I, s:s, s:o, s:f, s:f, s:b, s:b, s:o, s:o}", "seed", (json_int_t)c->seed,
                   "student", c->names[i], "file", clean_string(s->path), "points", s->points,
                   "max_points", s->max_points, "compiled", s->compiled, "load_failed",
                   s->load_failed, "build_log", clean_string(s->build_log), "functions", fns);
}

typedef struct {
  const gv_class *c;
  size_t i;
} one;

static int dump(FILE *f, json_t *j)
{
  int rc = j ? json_dumpf(j, f, JSON_INDENT(2) | JSON_SORT_KEYS) : -1;
  if (!rc)
    fputc('\n', f);
  json_decref(j);
  return rc;
}

static int write_student_json(FILE *f, void *ctx)
{
  const one *o = ctx;
  return dump(f, student_json(o->c, o->i));
}

/* A block of captured text in Markdown: fenced, cleaned. */
static void md_block(FILE *f, const char *title, const char *text, int truncated)
{
  if (!text || !*text)
    return;
  char *c = clean(text);
  fprintf(f, "\n%s%s:\n\n```\n%s%s```\n", title, truncated ? " (truncated)" : "", c ? c : "",
          c && *c && c[strlen(c) - 1] == '\n' ? "" : "\n");
  free(c);
}

static void md_fn(FILE *f, const gv_fn_grade *g)
{
  fprintf(f, "\n## %s: %s (%g / %g)\n\n%s\n", gv_assign_fns[g->fn].name,
          gv_fn_verdict_name(g->verdict), g->points, g->max_points, g->summary);
  if (*g->diagnosis)
    fprintf(f, "\n**Diagnosis:** %s.\n", g->diagnosis);
  if (*g->consistency)
    fprintf(f, "\n**Against your own forward:** %s.\n", g->consistency);
  if (g->nworst) {
    fputs("\n| output | row | column | yours | expected | error / tolerance |\n"
          "|---|---:|---:|---:|---:|---:|\n",
          f);
    for (size_t k = 0; k < g->nworst; k++)
      fprintf(f, "| %s | %zu | %zu | %.10g | %.10g | %.3g |\n", g->worst[k].output, g->worst[k].row,
              g->worst[k].col, g->worst[k].got, g->worst[k].want, g->worst[k].ratio);
  }
  md_block(f, "Printed to stdout", g->out, g->out_truncated);
  md_block(f, "Printed to stderr", g->err, g->err_truncated);
}

static int write_student_md(FILE *f, void *ctx)
{
  const one *o = ctx;
  const gv_student *s = &o->c->students[o->i];
  fprintf(f, "# %s: %g / %g points\n\nSeed %lu. Submission `%s`.\n", o->c->names[o->i], s->points,
          s->max_points, o->c->seed, o->c->names[o->i]);
  fputs("\n| function | verdict | points |\n|---|---|---:|\n", f);
  for (size_t k = 0; k < s->nfn; k++)
    fprintf(f, "| `%s` | %s | %g / %g |\n", gv_assign_fns[k].name,
            gv_fn_verdict_name(s->fn[k].verdict), s->fn[k].points, s->fn[k].max_points);
  md_block(f, s->compiled ? "Compiler and loader messages" : "Loader messages", s->build_log, 0);
  for (size_t k = 0; k < s->nfn; k++)
    md_fn(f, &s->fn[k]);
  return ferror(f) ? -1 : 0;
}

static void html_text(FILE *f, const char *s)
{
  char *c = clean(s);
  gv_xml_puts(f, c ? c : "");
  free(c);
}

static void html_pre(FILE *f, const char *title, const char *text, int truncated)
{
  if (!text || !*text)
    return;
  fprintf(f, "<p>%s%s:</p>\n<pre>", title, truncated ? " (truncated)" : "");
  html_text(f, text);
  fputs("</pre>\n", f);
}

/* A heat map without script or image: a table whose cells are shaded by
 * log10(error / tolerance), white at or below 1 (passing), red above. */
static void html_heat(FILE *f, const gv_fn_grade *g)
{
  if (!g->heat)
    return;
  fprintf(f,
          "<p>Heat map of %s: error / tolerance per entry (red fails).</p>\n<table class=heat>\n",
          g->heat_output);
  for (size_t i = 0; i < g->heat->size1; i++) {
    fputs("<tr>", f);
    for (size_t j = 0; j < g->heat->size2; j++) {
      double r = gsl_matrix_get(g->heat, i, j);
      double t = r <= 1.0 ? 0.0 : fmin(1.0, log10(r) / 6.0 + 0.25);
      int shade = (int)(255.0 * (1.0 - t));
      fprintf(f, "<td style=\"background:rgb(255,%d,%d)\" title=\"(%zu, %zu): %.3g\"></td>", shade,
              shade, i, j, r);
    }
    fputs("</tr>\n", f);
  }
  fputs("</table>\n", f);
}

static void html_fn(FILE *f, const gv_fn_grade *g)
{
  fprintf(f, "<h2 id=\"%s\">%s: <span class=\"%s\">%s</span> (%g / %g)</h2>\n<p>",
          gv_assign_fns[g->fn].name, gv_assign_fns[g->fn].name,
          g->verdict == GV_FN_PASS ? "pass" : "fail", gv_fn_verdict_name(g->verdict), g->points,
          g->max_points);
  html_text(f, g->summary);
  fputs("</p>\n", f);
  if (*g->diagnosis) {
    fputs("<p><b>Diagnosis:</b> ", f);
    html_text(f, g->diagnosis);
    fputs(".</p>\n", f);
  }
  if (*g->consistency) {
    fputs("<p><b>Against your own forward:</b> ", f);
    html_text(f, g->consistency);
    fputs(".</p>\n", f);
  }
  if (g->nworst) {
    fputs("<table><tr><th>output</th><th>row</th><th>column</th><th>yours</th><th>expected</th>"
          "<th>error / tolerance</th></tr>\n",
          f);
    for (size_t k = 0; k < g->nworst; k++)
      fprintf(f,
              "<tr><td>%s</td><td>%zu</td><td>%zu</td><td>%.10g</td><td>%.10g</td>"
              "<td>%.3g</td></tr>\n",
              g->worst[k].output, g->worst[k].row, g->worst[k].col, g->worst[k].got,
              g->worst[k].want, g->worst[k].ratio);
    fputs("</table>\n", f);
  }
  html_heat(f, g);
  html_pre(f, "Printed to stdout", g->out, g->out_truncated);
  html_pre(f, "Printed to stderr", g->err, g->err_truncated);
}

static int write_student_html(FILE *f, void *ctx)
{
  const one *o = ctx;
  const gv_student *s = &o->c->students[o->i];
  const char *name = o->c->names[o->i];
  fprintf(f,
          "<!DOCTYPE html>\n<html lang=en><head><meta charset=utf-8><title>%s: gradverify "
          "grade</title>\n<style>body{font-family:sans-serif;max-width:60em;margin:auto}"
          "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 6px}"
          "table.heat td{width:1.4em;height:1.4em;padding:0}.pass{color:#070}.fail{color:#b00}"
          "pre{background:#f4f4f4;padding:4px}</style></head><body>\n",
          name);
  fprintf(f,
          "<h1>%s: %g / %g points</h1>\n<p>Seed %lu.</p>\n<table><tr><th>function</th>"
          "<th>verdict</th><th>points</th></tr>\n",
          name, s->points, s->max_points, o->c->seed);
  for (size_t k = 0; k < s->nfn; k++)
    fprintf(f, "<tr><td><a href=\"#%s\">%s</a></td><td class=\"%s\">%s</td><td>%g / %g</td></tr>\n",
            gv_assign_fns[k].name, gv_assign_fns[k].name,
            s->fn[k].verdict == GV_FN_PASS ? "pass" : "fail", gv_fn_verdict_name(s->fn[k].verdict),
            s->fn[k].points, s->fn[k].max_points);
  fputs("</table>\n", f);
  html_pre(f, s->compiled ? "Compiler and loader messages" : "Loader messages", s->build_log, 0);
  for (size_t k = 0; k < s->nfn; k++)
    html_fn(f, &s->fn[k]);
  fputs("</body></html>\n", f);
  return ferror(f) ? -1 : 0;
}

/* ---- the class ---- */

static int write_gradebook_csv(FILE *f, void *ctx)
{
  const gv_class *c = ctx;
  fputs("student", f);
  for (size_t k = 0; k < gv_assign_nfns; k++)
    fprintf(f, ",%s", gv_assign_fns[k].name);
  fprintf(f, ",total,max,seed\n");
  for (size_t i = 0; i < c->n; i++) {
    fputs(c->names[i], f); /* letters, digits, '.', '-', '_': no quoting needed */
    for (size_t k = 0; k < c->students[i].nfn; k++)
      fprintf(f, ",%g", c->students[i].fn[k].points);
    fprintf(f, ",%g,%g,%lu\n", c->students[i].points, c->students[i].max_points, c->seed);
  }
  return ferror(f) ? -1 : 0;
}

static int write_gradebook_json(FILE *f, void *ctx)
{
  const gv_class *c = ctx;
  json_t *rows = json_array();
  for (size_t i = 0; rows && i < c->n; i++) {
    const gv_student *s = &c->students[i];
    json_t *pts = json_object(), *verdicts = json_object();
    for (size_t k = 0; pts && verdicts && k < s->nfn; k++) {
      json_object_set_new(pts, gv_assign_fns[k].name, json_real(s->fn[k].points));
      json_object_set_new(verdicts, gv_assign_fns[k].name,
                          json_string(gv_fn_verdict_name(s->fn[k].verdict)));
    }
    json_array_append_new(rows, json_pack("{s:s, s:f, s:f, s:o, s:o}", "student", c->names[i],
                                          "total", s->points, "max", s->max_points, "points", pts,
                                          "verdicts", verdicts));
  }
  return dump(f, json_pack("{s:I, s:o}", "seed", (json_int_t)c->seed, "students", rows));
}

static int write_junit(FILE *f, void *ctx)
{
  const gv_class *c = ctx;
  size_t failures = 0;
  for (size_t i = 0; i < c->n; i++)
    for (size_t k = 0; k < c->students[i].nfn; k++)
      failures += c->students[i].fn[k].verdict != GV_FN_PASS;
  fprintf(f,
          "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n  <testsuite "
          "name=\"gradverify.grade\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" skipped=\"0\" "
          "time=\"0\">\n    <properties><property name=\"seed\" value=\"%lu\"/></properties>\n",
          c->n * gv_assign_nfns, failures, c->seed);
  for (size_t i = 0; i < c->n; i++)
    for (size_t k = 0; k < c->students[i].nfn; k++) {
      const gv_fn_grade *g = &c->students[i].fn[k];
      fprintf(f, "    <testcase classname=\"%s\" name=\"%s\" time=\"0\"", c->names[i],
              gv_assign_fns[k].name);
      if (g->verdict == GV_FN_PASS) {
        fputs("/>\n", f);
        continue;
      }
      fprintf(f, ">\n      <failure type=\"%s\" message=\"", gv_fn_verdict_name(g->verdict));
      html_text(f, g->summary);
      fputs("\">", f);
      html_text(f, g->diagnosis);
      fputs("</failure>\n    </testcase>\n", f);
    }
  fputs("  </testsuite>\n</testsuites>\n", f);
  return ferror(f) ? -1 : 0;
}

static int write_one(const char *dir, const char *name, const char *ext, int (*w)(FILE *, void *),
                     void *ctx, int *err_no)
{
  size_t n = strlen(dir) + strlen(name) + strlen(ext) + 2;
  char *path = malloc(n);
  if (!path) {
    *err_no = 0;
    return GSL_EFAILED;
  }
  snprintf(path, n, "%s/%s%s", dir, name, ext);
  int status = gv_file_write_atomic(path, w, ctx, err_no);
  free(path);
  return status;
}

int gv_grade_write_reports(const gv_class *c, const char *dir, const char **failed, int *err_no)
{
  static const struct {
    const char *ext;
    int (*w)(FILE *, void *);
  } per_student[] = {
      {".json", write_student_json}, {".md", write_student_md}, {".html", write_student_html}};
  for (size_t i = 0; i < c->n; i++)
    for (size_t k = 0; k < 3; k++) {
      one o = {.c = c, .i = i};
      if (write_one(dir, c->names[i], per_student[k].ext, per_student[k].w, &o, err_no)) {
        *failed = c->names[i];
        return GSL_EFAILED;
      }
    }
  static const struct {
    const char *name;
    int (*w)(FILE *, void *);
  } class_files[] = {{"gradebook.csv", write_gradebook_csv},
                     {"gradebook.json", write_gradebook_json},
                     {"junit.xml", write_junit}};
  for (size_t k = 0; k < 3; k++)
    if (write_one(dir, class_files[k].name, "", class_files[k].w, (void *)c, err_no)) {
      *failed = class_files[k].name;
      return GSL_EFAILED;
    }
  return GSL_SUCCESS;
}
