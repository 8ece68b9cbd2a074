/* check_junit.c: the JUnit report. The file must be well-formed XML (checked
 * here by a small tag matcher: no XML library is a dependency), count its
 * test cases and failures right, escape every string, and say failures="0"
 * for a real run of the driver. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gsl/gsl_errno.h>

#include "check_main.h"
#include "gv_report.h"
#include "xml_check.h"
#include "gv_driver.h"

#define DIR_TEMPLATE "/tmp/check_junit.XXXXXX"

static char dir[sizeof DIR_TEMPLATE];
static char path[sizeof dir + 16];

static void setup(void)
{
  /* Fresh each time: without a fork per test the last name is still here. */
  memcpy(dir, DIR_TEMPLATE, sizeof dir);
  ck_assert_ptr_nonnull(mkdtemp(dir));
  snprintf(path, sizeof path, "%s/junit.xml", dir);
}

static void teardown(void)
{
  unlink(path);
  rmdir(dir);
}

static char *slurp(const char *p)
{
  FILE *f = fopen(p, "rb");
  ck_assert_ptr_nonnull(f);
  ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
  long n = ftell(f);
  ck_assert_int_ge(n, 0);
  rewind(f);
  char *s = malloc((size_t)n + 1);
  ck_assert_ptr_nonnull(s);
  ck_assert_uint_eq(fread(s, 1, (size_t)n, f), (size_t)n);
  s[n] = '\0';
  fclose(f);
  return s;
}

static size_t count(const char *s, const char *needle)
{
  size_t k = 0;
  for (const char *p = strstr(s, needle); p; p = strstr(p + 1, needle))
    k++;
  return k;
}

START_TEST(matcher_rejects_bad_xml)
{
  ck_assert_ptr_null(xml_check("<a x=\"1\"><b/><c>t &amp; u</c></a>\n"));
  ck_assert_ptr_nonnull(xml_check("<a><b></a></b>"));
  ck_assert_ptr_nonnull(xml_check("<a>x & y</a>"));
  ck_assert_ptr_nonnull(xml_check("<a x=\"<\"></a>"));
  ck_assert_ptr_nonnull(xml_check("<a x=\"1\" y=\"2\" z=\"a\"b\"></a>"));
  ck_assert_ptr_nonnull(xml_check("<a>"));
  ck_assert_ptr_nonnull(xml_check("<a/><b/>"));
}
END_TEST

/* A run made by hand: formula 0 passes, formula 1 fails and has an id that
 * needs every escape; control 0 is caught, control 1 is missed. */
START_TEST(hand_made_run)
{
  size_t nf, nc;
  const gv_formula *fl = gv_formula_list(&nf);
  const gv_control *cl = gv_control_list(&nc);
  ck_assert_uint_ge(nf, 2);
  ck_assert_uint_ge(nc, 2);
  gv_formula odd = fl[1];
  odd.id = "a<b>&\"c'd";
  gv_formula_result fr[2];
  gv_control_result cr[2];
  memset(fr, 0, sizeof fr);
  memset(cr, 0, sizeof cr);
  fr[0] = (gv_formula_result){.formula = &fl[0], .trials = 3, .pass = 1};
  fr[1] = (gv_formula_result){.formula = &odd, .trials = 3, .failed_trials = 2, .pass = 0};
  gv_cmp_init(&fr[0].cmp);
  gv_cmp_init(&fr[1].cmp);
  fr[1].cmp = (gv_cmp){.count = 60,
                       .nfail = 4,
                       .has_worst = 1,
                       .worst_trial = 2,
                       .worst_row = 5,
                       .worst_col = 7,
                       .worst_analytic = 0.1,
                       .worst_numeric = -0.25,
                       .worst_ratio = 1234.5};
  cr[0] = (gv_control_result){.control = &cl[0], .trials = 3, .caught_trials = 3, .caught = 1};
  cr[1] = (gv_control_result){.control = &cl[1], .trials = 3, .caught_trials = 0, .caught = 0};
  gv_run run = {.seed = 42,
                .trials = 3,
                .tol = {1e-9, 1e-5, 2.0},
                .n_formulas = 2,
                .n_controls = 2,
                .formulas = fr,
                .controls = cr,
                .pass = 0};
  int err_no = -1;
  ck_assert_int_eq(gv_report_write_junit(&run, path, &err_no), GSL_SUCCESS);
  char *xml = slurp(path);
  const char *bad = xml_check(xml);
  ck_assert_msg(bad == NULL, "%s in\n%s", bad, xml);
  ck_assert_uint_eq(count(xml, "<testsuites "), 1);
  ck_assert_uint_eq(count(xml, "<testsuite "), 2);
  ck_assert_uint_eq(count(xml, "<testcase "), 4);
  ck_assert_uint_eq(count(xml, "<failure "), 2);
  ck_assert_uint_eq(count(xml, "type=\"gradient_mismatch\""), 1);
  ck_assert_uint_eq(count(xml, "type=\"missed_control\""), 1);
  ck_assert_ptr_nonnull(strstr(xml, "<testsuites name=\"gradverify\" tests=\"4\" failures=\"2\""));
  ck_assert_ptr_nonnull(strstr(xml, "<testsuite name=\"formulas\" tests=\"2\" failures=\"1\""));
  ck_assert_ptr_nonnull(strstr(xml, "<testsuite name=\"controls\" tests=\"2\" failures=\"1\""));
  ck_assert_ptr_nonnull(strstr(xml, "name=\"a&lt;b&gt;&amp;&quot;c&#39;d\""));
  ck_assert_ptr_null(strstr(xml, "a<b"));
  /* The worst entry, reproducibly printed. */
  ck_assert_ptr_nonnull(strstr(xml, "trial 2, row 5, col 7"));
  ck_assert_ptr_nonnull(strstr(xml, "analytic 0.10000000000000001, numeric -0.25"));
  ck_assert_ptr_nonnull(strstr(xml, "error/tolerance 1234.5"));
  ck_assert_ptr_nonnull(strstr(xml, "4 of 60 entries failed"));
  ck_assert_ptr_nonnull(strstr(xml, "planted mistake passed"));
  ck_assert_ptr_nonnull(strstr(xml, cl[1].id));
  ck_assert_ptr_nonnull(strstr(xml, "<property name=\"seed\" value=\"42\"/>"));
  ck_assert_ptr_nonnull(strstr(xml, "<property name=\"kerr\" value=\"2\"/>"));
  ck_assert_ptr_nonnull(strstr(xml, "time=\"0\""));
  free(xml);
}
END_TEST

/* A formula not drawn (its variable a placeholder in every trial) is a
 * skipped test case, neither a pass nor a failure. */
START_TEST(not_drawn_skipped)
{
  size_t nf;
  const gv_formula *fl = gv_formula_list(&nf);
  gv_formula_result fr[2];
  fr[0] = (gv_formula_result){.formula = &fl[0], .trials = 3, .pass = 1};
  fr[1] = (gv_formula_result){.formula = &fl[1], .trials = 3, .not_drawn = 3};
  gv_cmp_init(&fr[0].cmp);
  gv_cmp_init(&fr[1].cmp);
  gv_run run = {
      .seed = 5, .trials = 3, .tol = {1e-9, 1e-5, 2.0}, .n_formulas = 2, .formulas = fr, .pass = 1};
  int err_no = -1;
  ck_assert_int_eq(gv_report_write_junit(&run, path, &err_no), GSL_SUCCESS);
  char *xml = slurp(path);
  const char *bad = xml_check(xml);
  ck_assert_msg(bad == NULL, "%s in\n%s", bad, xml);
  ck_assert_uint_eq(count(xml, "<testcase "), 2);
  ck_assert_uint_eq(count(xml, "<skipped "), 1);
  ck_assert_uint_eq(count(xml, "<failure "), 0);
  ck_assert_ptr_nonnull(strstr(xml, "<testsuites name=\"gradverify\" tests=\"2\" failures=\"0\""));
  ck_assert_ptr_nonnull(strstr(
      xml, "<testsuite name=\"formulas\" tests=\"2\" failures=\"0\" errors=\"0\" skipped=\"1\""));
  ck_assert_ptr_nonnull(strstr(xml, "not drawn: the variable was a placeholder in all 3 trials"));
  free(xml);
}
END_TEST

START_TEST(driver_run_has_no_failures)
{
  gv_driver_options o;
  gv_driver_options_init(&o);
  o.trials = 3;
  gv_run run;
  ck_assert_int_eq(gv_driver_run(&o, &run), GSL_SUCCESS);
  int err_no = -1;
  ck_assert_int_eq(gv_report_write_junit(&run, path, &err_no), GSL_SUCCESS);
  char *xml = slurp(path);
  const char *bad = xml_check(xml);
  ck_assert_msg(bad == NULL, "%s", bad);
  char head[128];
  snprintf(head, sizeof head, "<testsuites name=\"gradverify\" tests=\"%zu\" failures=\"0\"",
           run.n_formulas + run.n_controls);
  ck_assert_msg(strstr(xml, head) != NULL, "no '%s' in\n%s", head, xml);
  ck_assert_uint_eq(count(xml, "<testcase "), run.n_formulas + run.n_controls);
  ck_assert_uint_eq(count(xml, "<failure"), 0);
  gv_run_free(&run);
  free(xml);
}
END_TEST

START_TEST(unwritable_path)
{
  gv_run run;
  memset(&run, 0, sizeof run);
  int err_no = 0;
  ck_assert_int_eq(gv_report_write_junit(&run, "/nonexistent-dir/junit.xml", &err_no), GSL_EFAILED);
  ck_assert_int_ne(err_no, 0);
}
END_TEST

Suite *gv_test_suite(void)
{
  Suite *s = suite_create("junit");
  TCase *core = tcase_create("Core");
  tcase_add_checked_fixture(core, setup, teardown);
  tcase_add_test(core, matcher_rejects_bad_xml);
  tcase_add_test(core, hand_made_run);
  tcase_add_test(core, not_drawn_skipped);
  tcase_add_test(core, driver_run_has_no_failures);
  suite_add_tcase(s, core);
  TCase *limits = tcase_create("Limits");
  tcase_add_test(limits, unwritable_path);
  suite_add_tcase(s, limits);
  return s;
}
