/* check_cli.c: the command line, called as a function: exit codes, the one
 * line on stderr that names the bad input, and the reports it writes. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "check_main.h"
#include "gv_cli.h"
#include "gv_report.h"
#include "gv_report_html.h"
#include "gv_report_junit.h"
#include "gv_layers.h"
#include "gv_suite.h"

typedef struct {
  int code;
  char *out, *err;
} cli_result;

static cli_result run_cli(const char *const *args)
{
  char *argv[32];
  int argc = 0;
  argv[argc++] = "gradverify";
  for (; *args; args++)
    argv[argc++] = (char *)*args;
  argv[argc] = NULL;
  cli_result r = {0};
  size_t no, ne;
  FILE *out = open_memstream(&r.out, &no), *err = open_memstream(&r.err, &ne);
  ck_assert_ptr_nonnull(out);
  ck_assert_ptr_nonnull(err);
  r.code = gv_cli_main(argc, argv, out, err);
  fclose(out);
  fclose(err);
  return r;
}

static void free_result(cli_result *r)
{
  free(r->out);
  free(r->err);
}

static size_t count_lines(const char *s)
{
  size_t n = 0;
  for (; *s; s++)
    n += *s == '\n';
  return n;
}

static char tmpdir[64];

static void make_tmpdir(void)
{
  strcpy(tmpdir, "/tmp/gv-cli-XXXXXX");
  ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void remove_tmpdir(void)
{
  char path[128];
  snprintf(path, sizeof path, "%s/%s", tmpdir, GV_REPORT_JSON);
  unlink(path);
  snprintf(path, sizeof path, "%s/%s", tmpdir, GV_REPORT_MD);
  unlink(path);
  snprintf(path, sizeof path, "%s/%s", tmpdir, GV_REPORT_JUNIT);
  unlink(path);
  snprintf(path, sizeof path, "%s/%s", tmpdir, GV_REPORT_HTML);
  unlink(path);
  rmdir(tmpdir);
}

/* Bad usage: exit 2, nothing on stdout, one line on stderr naming the input. */
static const struct {
  const char *args[4];
  const char *names;
} bad_usage[] = {
    {{"--trials", "-3"}, "-3"},
    {{"--trials", "0"}, "'0'"},
    {{"--trials", "12x"}, "12x"},
    {{"--trials", "99999999999"}, "99999999999"},
    {{"--seed", "abc"}, "abc"},
    {{"--seed", "-1"}, "-1"},
    {{"--only", "grad_W,nope"}, "nope"},
    {{"--only", ","}, "--only"},
    {{"--frobnicate"}, "--frobnicate"},
    {{"--trials"}, "--trials"},
    {{"extra"}, "extra"},
    {{"--out", ""}, "--out"},
    {{"--out", "/proc/no/such/dir"}, "/proc/no/such/dir"},
    {{"--method", "fast"}, "fast"},
    {{"--rtol", "-1"}, "-1"},
    {{"--atol", "1e-9x"}, "1e-9x"},
    {{"--kerr", "nan"}, "nan"},
    {{"--kerr", ""}, "--kerr"},
    {{"--size", "5,4"}, "5,4"},
    {{"--size", "5,4,1"}, "5,4,1"},
    {{"--size", "5,0,3"}, "5,0,3"},
    {{"--size", "5,4,3,2"}, "5,4,3,2"},
    {{"--size", "5,,4,3"}, "5,,4,3"},
    {{"--size", "a,b,c"}, "a,b,c"},
    {{"explain"}, "explain"},
    {{"explain", "nope"}, "nope"},
    {{"explain", "grad_W", "--seed", "x"}, "'x'"},
    {{"explain", "grad_W", "extra"}, "extra"},
};

START_TEST(usage_errors)
{
  cli_result r = run_cli(bad_usage[_i].args);
  ck_assert_int_eq(r.code, GV_EXIT_USAGE);
  ck_assert_str_eq(r.out, "");
  ck_assert_uint_eq(count_lines(r.err), 1);
  ck_assert_msg(strstr(r.err, bad_usage[_i].names), "'%s' does not name '%s'", r.err,
                bad_usage[_i].names);
  ck_assert(strncmp(r.err, "gradverify: ", 12) == 0);
  free_result(&r);
}
END_TEST

START_TEST(unwritable_out)
{
  /* A regular file where the directory should be. */
  char file[] = "/tmp/gv-cli-file-XXXXXX";
  int fd = mkstemp(file);
  ck_assert_int_ge(fd, 0);
  close(fd);
  const char *args[] = {"--only", "grad_b2", "--trials", "2", "--out", file, NULL};
  cli_result r = run_cli(args);
  ck_assert_int_eq(r.code, GV_EXIT_USAGE);
  ck_assert_uint_eq(count_lines(r.err), 1);
  ck_assert_ptr_nonnull(strstr(r.err, file));
  unlink(file);
  free_result(&r);
}
END_TEST

START_TEST(informational)
{
  const char *help[] = {"--help", NULL}, *version[] = {"--version", NULL},
             *list[] = {"--list", NULL};
  cli_result r = run_cli(help);
  ck_assert_int_eq(r.code, 0);
  ck_assert_ptr_nonnull(strstr(r.out, "--seed"));
  ck_assert_ptr_nonnull(strstr(r.out, "--only"));
  free_result(&r);
  r = run_cli(version);
  ck_assert_int_eq(r.code, 0);
  ck_assert_str_eq(r.out, "gradverify " GV_VERSION "\n");
  free_result(&r);
  r = run_cli(list);
  ck_assert_int_eq(r.code, 0);
  /* A line per group (the seed's formulas, each layer), then one per formula. */
  gv_suite *s = gv_suite_alloc_default();
  size_t groups = 1, nl;
  gv_layers_list(&nl);
  groups += nl;
  ck_assert_uint_eq(count_lines(r.out), s->n_formulas + groups);
  for (size_t i = 0; i < s->n_formulas; i++)
    ck_assert_ptr_nonnull(strstr(r.out, s->formulas[i].id));
  ck_assert_ptr_nonnull(strstr(r.out, "\naffine: "));
  ck_assert_str_eq(r.err, "");
  gv_suite_free(s);
  free_result(&r);
}
END_TEST

static json_t *load_json(void)
{
  char path[128];
  snprintf(path, sizeof path, "%s/%s", tmpdir, GV_REPORT_JSON);
  json_error_t e;
  json_t *root = json_load_file(path, 0, &e);
  ck_assert_msg(root != NULL, "JSON does not parse: %s at line %d", e.text, e.line);
  return root;
}

START_TEST(writes_reports)
{
  make_tmpdir();
  const char *args[] = {"--seed", "7", "--trials", "5", "--out", tmpdir, "-q", NULL};
  cli_result r = run_cli(args);
  ck_assert_int_eq(r.code, GV_EXIT_PASS);
  ck_assert_str_eq(r.err, "");
  ck_assert_uint_eq(count_lines(r.out), 1);
  ck_assert(strncmp(r.out, "PASS", 4) == 0);
  json_t *root = load_json();
  ck_assert_int_eq(json_integer_value(json_object_get(root, "seed")), 7);
  ck_assert_str_eq(json_string_value(json_object_get(root, "verdict")), "pass");
  json_t *fs = json_object_get(root, "formulas"), *cs = json_object_get(root, "controls");
  gv_suite *s = gv_suite_alloc_default();
  size_t n = s->n_formulas, nc = s->n_controls;
  const gv_formula *f = s->formulas;
  ck_assert_uint_eq(json_array_size(fs), n);
  ck_assert_uint_eq(json_array_size(cs), nc);
  for (size_t i = 0; i < n; i++) {
    json_t *fi = json_array_get(fs, i);
    ck_assert_str_eq(json_string_value(json_object_get(fi, "id")), f[i].id);
    static const char *const fields[] = {"formula",     "trials",    "verdict", "max_abs_err",
                                         "max_rel_err", "tolerance", "worst"};
    for (size_t k = 0; k < sizeof fields / sizeof fields[0]; k++)
      ck_assert_msg(json_object_get(fi, fields[k]), "formula %s lacks %s", f[i].id, fields[k]);
    ck_assert_int_eq(json_integer_value(json_object_get(fi, "trials")), 5);
  }
  for (size_t i = 0; i < nc; i++) {
    json_t *ci = json_array_get(cs, i);
    ck_assert(json_is_true(json_object_get(ci, "caught")));
    ck_assert(json_is_string(json_object_get(ci, "description")));
  }
  json_decref(root);
  gv_suite_free(s);
  char md[128];
  snprintf(md, sizeof md, "%s/%s", tmpdir, GV_REPORT_MD);
  struct stat st;
  ck_assert_int_eq(stat(md, &st), 0);
  ck_assert_int_gt(st.st_size, 1000);
  snprintf(md, sizeof md, "%s/%s", tmpdir, GV_REPORT_JUNIT);
  ck_assert_int_eq(stat(md, &st), 0);
  ck_assert_int_gt(st.st_size, 1000);
  snprintf(md, sizeof md, "%s/%s", tmpdir, GV_REPORT_HTML);
  ck_assert_int_eq(stat(md, &st), 0);
  ck_assert_int_gt(st.st_size, 10000);
  remove_tmpdir();
  free_result(&r);
}
END_TEST

/* The JSON text of a run, with nothing but its numbers. */
static char *json_of(const char *seed)
{
  make_tmpdir();
  const char *args[] = {"--seed", seed, "--trials", "4", "--out", tmpdir, "-q", NULL};
  cli_result r = run_cli(args);
  ck_assert_int_eq(r.code, GV_EXIT_PASS);
  free_result(&r);
  json_t *root = load_json();
  json_object_del(root, "seed");
  char *text = json_dumps(root, JSON_SORT_KEYS);
  json_decref(root);
  remove_tmpdir();
  return text;
}

START_TEST(reproducible)
{
  char *a = json_of("7"), *b = json_of("7"), *c = json_of("8");
  ck_assert_str_eq(a, b);
  ck_assert_str_ne(a, c);
  free(a);
  free(b);
  free(c);
}
END_TEST

/* --size fixes the network: grad_W at 30,20,5 compares 20 x 30 entries. */
START_TEST(size_fixes_network)
{
  make_tmpdir();
  const char *args[] = {"--only", "grad_W", "--size", "30,20,5", "--trials", "2",
                        "--out", tmpdir, NULL};
  cli_result r = run_cli(args);
  ck_assert_int_eq(r.code, GV_EXIT_PASS);
  json_t *root = load_json();
  json_t *f = json_array_get(json_object_get(root, "formulas"), 0);
  ck_assert_int_eq(json_integer_value(json_object_get(f, "entries_min")), 600);
  ck_assert_int_eq(json_integer_value(json_object_get(f, "entries_max")), 600);
  json_decref(root);
  remove_tmpdir();
  free_result(&r);
}
END_TEST

START_TEST(only_selects)
{
  make_tmpdir();
  const char *args[] = {"--only", "grad_W,identity_xTAx", "--trials", "3", "--out", tmpdir, NULL};
  cli_result r = run_cli(args);
  ck_assert_int_eq(r.code, GV_EXIT_PASS);
  json_t *root = load_json();
  json_t *fs = json_object_get(root, "formulas"), *cs = json_object_get(root, "controls");
  ck_assert_uint_eq(json_array_size(fs), 2);
  ck_assert_str_eq(json_string_value(json_object_get(json_array_get(fs, 0), "id")), "grad_W");
  /* grad_W and identity_xTAx have one control each. */
  ck_assert_uint_eq(json_array_size(cs), 2);
  json_decref(root);
  remove_tmpdir();
  free_result(&r);
}
END_TEST

START_TEST(explain)
{
  const char *args[] = {"explain", "relu_delta", NULL}, *list[] = {"explain", "--list", NULL};
  cli_result r = run_cli(args);
  ck_assert_int_eq(r.code, GV_EXIT_PASS);
  ck_assert_str_eq(r.err, "");
  ck_assert_ptr_nonnull(strstr(r.out, "relu_delta"));
  ck_assert_ptr_nonnull(strstr(r.out, "PASS"));
  free_result(&r);
  r = run_cli(list);
  ck_assert_int_eq(r.code, GV_EXIT_PASS);
  gv_suite *s = gv_suite_alloc_default();
  ck_assert_ptr_nonnull(strstr(r.out, "  affine.dW "));
  ck_assert_uint_gt(count_lines(r.out), s->n_formulas);
  gv_suite_free(s);
  free_result(&r);
  /* A layer's id: its example, entry by entry, and the verdict. */
  const char *layer[] = {"explain", "affine.dW", "--seed", "3", NULL};
  r = run_cli(layer);
  ck_assert_int_eq(r.code, GV_EXIT_PASS);
  ck_assert_ptr_nonnull(strstr(r.out, "affine.dW: dW = Xᵀ dout"));
  ck_assert_ptr_nonnull(strstr(r.out, "\nPASS: "));
  free_result(&r);
}
END_TEST

/* The tolerance in the JSON of a run with these extra arguments. */
static void tolerance_of(const char *a, const char *b, const char *c, double *atol, double *rtol)
{
  make_tmpdir();
  const char *args[] = {"--only", "grad_b2", "--trials", "2", "-q", "--out", tmpdir, a, b, c, NULL};
  cli_result r = run_cli(args);
  ck_assert_int_eq(r.code, GV_EXIT_PASS);
  json_t *root = load_json();
  json_t *tol = json_object_get(root, "tolerance");
  *atol = json_real_value(json_object_get(tol, "atol"));
  *rtol = json_real_value(json_object_get(tol, "rtol"));
  json_decref(root);
  remove_tmpdir();
  free_result(&r);
}

/* Each method has its default tolerance (the complex step: the error bar's
 * alone, rtol 0); --atol and --rtol override it. */
START_TEST(method_tolerance)
{
  double atol, rtol;
  tolerance_of("--method", "central", NULL, &atol, &rtol);
  ck_assert_double_eq(atol, GV_TOL_DEFAULT_ATOL);
  ck_assert_double_eq(rtol, GV_TOL_DEFAULT_RTOL);
  tolerance_of("--method", "cstep", NULL, &atol, &rtol);
  ck_assert_double_eq(atol, GV_TOL_ERRBAR_ATOL);
  ck_assert_double_eq(rtol, 0.0);
  tolerance_of("--rtol", "2.5e-7", "--method=cstep", &atol, &rtol);
  ck_assert_double_eq(atol, GV_TOL_ERRBAR_ATOL);
  ck_assert_double_eq(rtol, 2.5e-7);
}
END_TEST

Suite *gv_test_suite(void)
{
  Suite *s = suite_create("cli");
  TCase *u = tcase_create("Usage");
  tcase_add_loop_test(u, usage_errors, 0, (int)(sizeof bad_usage / sizeof bad_usage[0]));
  tcase_add_test(u, unwritable_out);
  tcase_add_test(u, informational);
  tcase_add_test(u, explain);
  suite_add_tcase(s, u);
  TCase *r = tcase_create("Reports");
  tcase_add_test(r, writes_reports);
  tcase_add_test(r, reproducible);
  tcase_add_test(r, only_selects);
  tcase_add_test(r, size_fixes_network);
  tcase_add_test(r, method_tolerance);
  suite_add_tcase(s, r);
  return s;
}
