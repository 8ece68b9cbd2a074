/* gv_report_junit.c: the report for CI, JUnit XML. Written with stdio: the
 * format needs five escapes and nothing else of an XML library. */
#include "gv_report.h"

#include <stdio.h>

#include <gsl/gsl_errno.h>

#include "gv_file.h"
#include "gv_xml.h"

static const char *or_unknown(const char *s)
{
  return s ? s : "(unknown)";
}

static void write_properties(FILE *f, const gv_run *run)
{
  fputs("    <properties>\n", f);
  fprintf(f, "      <property name=\"seed\" value=\"%lu\"/>\n", run->seed);
  fprintf(f, "      <property name=\"trials\" value=\"%zu\"/>\n", run->trials);
  fprintf(f, "      <property name=\"atol\" value=\"%.17g\"/>\n", run->tol.atol);
  fprintf(f, "      <property name=\"rtol\" value=\"%.17g\"/>\n", run->tol.rtol);
  fprintf(f, "      <property name=\"kerr\" value=\"%.17g\"/>\n", run->tol.kerr);
  fputs("    </properties>\n", f);
}

static void open_suite(FILE *f, const gv_run *run, const char *name, size_t tests, size_t failures,
                       size_t skipped)
{
  fprintf(f,
          "  <testsuite name=\"%s\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" skipped=\"%zu\" "
          "time=\"0\">\n",
          name, tests, failures, skipped);
  write_properties(f, run);
}

static void open_case(FILE *f, const char *classname, const char *name)
{
  fprintf(f, "    <testcase classname=\"%s\" name=\"", classname);
  gv_xml_puts(f, name);
  fputs("\" time=\"0\"", f);
}

static void write_formula(FILE *f, const gv_formula_result *r)
{
  const gv_cmp *c = &r->cmp;
  open_case(f, "gradverify.formulas", or_unknown(r->formula ? r->formula->id : NULL));
  gv_formula_status v = gv_formula_verdict(r);
  if (v == GV_FORMULA_PASS) {
    fputs("/>\n", f);
    return;
  }
  if (v == GV_FORMULA_NOT_DRAWN) {
    fprintf(f,
            ">\n      <skipped message=\"not drawn: the variable was a placeholder in all %zu "
            "trials; nothing was checked\"/>\n    </testcase>\n",
            r->trials);
    return;
  }
  char msg[768];
  if (c->has_worst)
    snprintf(msg, sizeof msg,
             "worst entry: trial %zu, row %zu, col %zu: analytic %.17g, numeric %.17g, "
             "error/tolerance %.17g; %zu of %zu entries failed (%zu non-finite), "
             "in %zu of %zu trials",
             c->worst_trial, c->worst_row, c->worst_col, c->worst_analytic, c->worst_numeric,
             c->worst_ratio, c->nfail, c->count, c->nonfinite, r->failed_trials, r->trials);
  else
    snprintf(msg, sizeof msg, "%zu of %zu entries failed (%zu non-finite), in %zu of %zu trials",
             c->nfail, c->count, c->nonfinite, r->failed_trials, r->trials);
  fputs(">\n      <failure message=\"", f);
  gv_xml_puts(f, msg);
  fputs("\" type=\"gradient_mismatch\">", f);
  if (r->formula) {
    gv_xml_puts(f, r->formula->formula);
    fputs(": ", f);
  }
  gv_xml_puts(f, msg);
  fputs("</failure>\n    </testcase>\n", f);
}

static void write_control(FILE *f, const gv_control_result *r)
{
  const gv_control *ctl = r->control;
  open_case(f, "gradverify.controls", or_unknown(ctl ? ctl->id : NULL));
  if (r->caught) {
    fputs("/>\n", f);
    return;
  }
  char msg[768];
  snprintf(msg, sizeof msg,
           "planted mistake passed: %s (imitating %s) was caught in %zu of %zu trials; "
           "the check cannot tell it from the right formula",
           or_unknown(ctl ? ctl->description : NULL), or_unknown(ctl ? ctl->formula_id : NULL),
           r->caught_trials, r->trials);
  fputs(">\n      <failure message=\"", f);
  gv_xml_puts(f, msg);
  fputs("\" type=\"missed_control\">", f);
  gv_xml_puts(f, msg);
  fputs("</failure>\n    </testcase>\n", f);
}

static int write_junit(FILE *f, void *ctx)
{
  const gv_run *run = ctx;
  const gv_run_totals n = gv_run_count(run);
  const size_t failed = run->n_formulas - n.passed - n.not_drawn,
               missed = run->n_controls - n.caught;

  fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", f);
  fprintf(f,
          "<testsuites name=\"gradverify\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" "
          "time=\"0\">\n",
          run->n_formulas + run->n_controls, failed + missed);

  open_suite(f, run, "formulas", run->n_formulas, failed, n.not_drawn);
  for (size_t i = 0; i < run->n_formulas; i++)
    write_formula(f, &run->formulas[i]);
  fputs("  </testsuite>\n", f);

  open_suite(f, run, "controls", run->n_controls, missed, 0);
  for (size_t i = 0; i < run->n_controls; i++)
    write_control(f, &run->controls[i]);
  fputs("  </testsuite>\n", f);

  fputs("</testsuites>\n", f);
  return ferror(f) ? -1 : 0;
}

int gv_report_write_junit(const gv_run *run, const char *path, int *err_no)
{
  return gv_file_write_atomic(path, write_junit, (void *)run, err_no);
}
