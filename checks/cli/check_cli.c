/* check_cli.c: the command line, called as a function: exit codes, the one
 * line on stderr that names the bad input, and the reports it writes. */
#define _XOPEN_SOURCE 700 /* nftw */
#include <dirent.h>
#include <ftw.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "check_main.h"
#include "gv_cli.h"
#include "gv_report.h"
#include "gv_layers.h"
#include "gv_suite.h"

typedef struct {
  int code;
  char *out, *err;
} cli_result;

/* fn (gv_cli_main or gv_cli_check_args) on "gradverify" args. */
static cli_result call_cli(int (*fn)(int, char **, FILE *, FILE *), const char *const *args)
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
  r.code = fn(argc, argv, out, err);
  fclose(out);
  fclose(err);
  return r;
}

static cli_result run_cli(const char *const *args)
{
  return call_cli(gv_cli_main, args);
}

static cli_result check_args(const char *const *args)
{
  return call_cli(gv_cli_check_args, args);
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

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
  (void)st, (void)flag, (void)ftw;
  return remove(path);
}

static void remove_tmpdir(void)
{
  ck_assert_int_eq(nftw(tmpdir, remove_entry, 16, FTW_DEPTH | FTW_PHYS), 0);
}

/* How many entries directory dir holds. */
static size_t count_entries(const char *dir)
{
  DIR *d = opendir(dir);
  ck_assert_ptr_nonnull(d);
  size_t n = 0;
  for (struct dirent *e; (e = readdir(d)) != NULL;)
    n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
  closedir(d);
  return n;
}

/* Bad usage: exit 2, nothing on stdout, one line on stderr naming the input. */
static const struct {
  const char *args[6]; /* NULL-terminated */
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
    {{"--only", "grad_b2", "--out", "/proc/no/such/dir"}, "/proc/no/such/dir"},
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
    /* Echoed arguments stay on one line, control characters escaped. */
    {{"--only", "grad_W\nfoo"}, "'grad_W\\nfoo'"},
    {{"--atol", "1\n"}, "'1\\n'"},
    {{"--seed", "\x1b[31mred"}, "'\\x1b[31mred'"},
    {{"explain", "a\tb"}, "'a\\tb'"},
    /* The option itself, also inside a cluster. */
    {{"-xq"}, "'-x'"},
    {{"-qx"}, "'-x'"},
    {{"-q", "-s"}, "-s needs"},
    {{"--seed"}, "--seed needs"},
    {{"--atol", "1e999"}, "1e999"},
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

/* Sizes that are integers but too large: the one line names the input and
 * states the limit L, and the limit is true: L,L,L would run, L+1 is refused. */
START_TEST(size_limit)
{
  const char *big[] = {"--size", "99999999,99999,9999", NULL};
  cli_result r = check_args(big);
  ck_assert_int_eq(r.code, GV_EXIT_USAGE);
  ck_assert_uint_eq(count_lines(r.err), 1);
  ck_assert_msg(strstr(r.err, "'99999999,99999,9999'"), "'%s' does not name the input", r.err);
  ck_assert_msg(!strstr(r.err, "not D,H,K"), "'%s' calls integers malformed", r.err);
  const char *to = strstr(r.err, " to ");
  ck_assert_msg(to, "'%s' states no limit", r.err);
  unsigned long limit = strtoul(to + 4, NULL, 10);
  ck_assert_uint_gt(limit, 1);
  free_result(&r);
  char at[64], above[64];
  snprintf(at, sizeof at, "%lu,%lu,%lu", limit, limit, limit);
  snprintf(above, sizeof above, "1,%lu,2", limit + 1);
  const char *ok[] = {"--size", at, NULL}, *no[] = {"--size", above, NULL};
  r = check_args(ok);
  ck_assert_msg(r.code == -1, "--size %s (the limit) refused: %s", at, r.err);
  free_result(&r);
  r = check_args(no);
  ck_assert_int_eq(r.code, GV_EXIT_USAGE);
  ck_assert_msg(strstr(r.err, above), "'%s' does not name '%s'", r.err, above);
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

/* The whole text of the report file name in tmpdir; the caller frees it. */
static char *report_text(const char *name)
{
  char path[128];
  snprintf(path, sizeof path, "%s/%s", tmpdir, name);
  FILE *f = fopen(path, "r");
  ck_assert_ptr_nonnull(f);
  char *text = NULL;
  size_t n = 0;
  ck_assert_int_ne(getdelim(&text, &n, '\0', f), -1);
  fclose(f);
  return text;
}

#ifdef GV_OPENBLAS
void openblas_set_num_threads(int num_threads);

/* The report of a run of grad_W at 784,128,10, seed 7, as sorted JSON. */
static char *json_at_size(void)
{
  make_tmpdir();
  const char *args[] = {"--only",   "grad_W", "--size", "784,128,10", "--seed", "7",
                        "--trials", "1",      "--out",  tmpdir,       "-q",     NULL};
  cli_result r = run_cli(args);
  ck_assert_int_eq(r.code, GV_EXIT_PASS);
  free_result(&r);
  json_t *root = load_json();
  char *text = json_dumps(root, JSON_SORT_KEYS);
  json_decref(root);
  remove_tmpdir();
  return text;
}

/* The same seed, the same numbers, however many threads OpenBLAS was given
 * before (its cores, OPENBLAS_NUM_THREADS): with two, the Taylor slope of
 * grad_W differed in the 9th digit. */
START_TEST(reproducible_blas_threads)
{
  openblas_set_num_threads(2);
  char *a = json_at_size();
  openblas_set_num_threads(1);
  char *b = json_at_size();
  size_t k = 0;
  while (a[k] && a[k] == b[k])
    k++;
  ck_assert_msg(a[k] == b[k], "reports differ at byte %zu: '%.60s' vs '%.60s'", k,
                a + (k > 30 ? k - 30 : 0), b + (k > 30 ? k - 30 : 0));
  free(a);
  free(b);
}
END_TEST
#endif

/* --size fixes the network: grad_W at 30,20,5 compares 20 x 30 entries, and
 * each report's line on what was drawn gives those sizes, not the ranges. */
START_TEST(size_fixes_network)
{
  make_tmpdir();
  const char *args[] = {"--only", "grad_W", "--size", "30,20,5", "--trials",
                        "2",      "--out",  tmpdir,   NULL};
  cli_result r = run_cli(args);
  ck_assert_int_eq(r.code, GV_EXIT_PASS);
  json_t *root = load_json();
  json_t *f = json_array_get(json_object_get(root, "formulas"), 0);
  ck_assert_int_eq(json_integer_value(json_object_get(f, "entries_min")), 600);
  ck_assert_int_eq(json_integer_value(json_object_get(f, "entries_max")), 600);
  /* The report records the sizes it was given. */
  json_t *size = json_object_get(root, "size");
  ck_assert_int_eq(json_integer_value(json_object_get(size, "D")), 30);
  ck_assert_int_eq(json_integer_value(json_object_get(size, "H")), 20);
  ck_assert_int_eq(json_integer_value(json_object_get(size, "K")), 5);
  const char *fixed = "network D = 30, H = 20, K = 5 (fixed by --size)";
  ck_assert_str_eq(json_string_value(json_object_get(f, "draw")), fixed);
  json_decref(root);
  const char *names[] = {GV_REPORT_MD, GV_REPORT_HTML};
  for (size_t i = 0; i < 2; i++) {
    char *text = report_text(names[i]);
    ck_assert_msg(strstr(text, fixed) && !strstr(text, "[1, 20]"), "%s", names[i]);
    free(text);
  }
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
  ck_assert_ptr_null(json_object_get(root, "size")); /* drawn sizes: no key */
  json_decref(root);
  remove_tmpdir();
  free_result(&r);
}
END_TEST

/* --only mlp.dW7 at one trial: at seeds whose mlp is shallower than six
 * hidden layers, W7 is a placeholder. Such a run says "not drawn" on its
 * formula's line, counts it apart in the summary, and its reports say so
 * too: JSON "not drawn", JUnit <skipped/>. Alone in the run it leaves the
 * run with nothing checked, which is no pass (exit 1); beside ce_grad_p,
 * which is drawn, the run passes (exit 0: not drawn is not a failure).
 * Drawn in some of 40 trials, it passes as usual. */
START_TEST(only_not_drawn)
{
  size_t not_drawn = 0, drawn = 0;
  for (unsigned long seed = 1; seed <= 9; seed++) {
    make_tmpdir();
    char s[16], path[128];
    snprintf(s, sizeof s, "%lu", seed);
    const char *args[] = {"--only", "mlp.dW7", "--trials", seed < 9 ? "1" : "40", "--seed", s,
                          "--out",  tmpdir,    NULL};
    cli_result r = run_cli(args);
    ck_assert_str_eq(r.err, "");
    json_t *root = load_json();
    json_t *f = json_array_get(json_object_get(root, "formulas"), 0);
    const char *v = json_string_value(json_object_get(f, "verdict"));
    int none = strcmp(v, "not drawn") == 0;
    ck_assert_msg(r.code == (none ? GV_EXIT_FAIL : GV_EXIT_PASS), "seed %lu: exit %d\n%s", seed,
                  r.code, r.out);
    json_t *sum = json_object_get(root, "summary");
    snprintf(path, sizeof path, "%s/%s", tmpdir, GV_REPORT_JUNIT);
    FILE *jf = fopen(path, "r");
    ck_assert_ptr_nonnull(jf);
    char junit[8192];
    junit[fread(junit, 1, sizeof junit - 1, jf)] = '\0';
    fclose(jf);
    if (strcmp(v, "not drawn") == 0) {
      not_drawn++;
      ck_assert_msg(strstr(r.out, "mlp.dW7") && strstr(r.out, "not drawn: a placeholder in all 1 "
                                                              "trials, nothing checked"),
                    "%s", r.out);
      ck_assert_msg(strstr(r.out, "FAIL: 0 of 1 formulas pass, 1 not drawn (never checked)"), "%s",
                    r.out);
      ck_assert_int_eq(json_integer_value(json_object_get(sum, "formulas_not_drawn")), 1);
      ck_assert_int_eq(json_integer_value(json_object_get(sum, "formulas_passed")), 0);
      ck_assert_msg(strstr(junit, "<skipped message=\"not drawn") &&
                        strstr(junit, "failures=\"0\" errors=\"0\" skipped=\"1\""),
                    "%s", junit);
      /* Beside a formula that is drawn, the same run passes. */
      const char *both[] = {"--only", "mlp.dW7,ce_grad_p", "--trials", "1", "--seed", s, "--out",
                            tmpdir,   "--quiet",           NULL};
      cli_result r2 = run_cli(both);
      ck_assert_msg(r2.code == GV_EXIT_PASS, "seed %lu, with ce_grad_p: exit %d\n%s", seed, r2.code,
                    r2.out);
      free_result(&r2);
    } else {
      drawn++;
      ck_assert_str_eq(v, "pass");
      ck_assert_ptr_null(strstr(r.out, "not drawn"));
      ck_assert_int_eq(json_integer_value(json_object_get(sum, "formulas_not_drawn")), 0);
      ck_assert_ptr_null(strstr(junit, "<skipped"));
    }
    json_decref(root);
    remove_tmpdir();
    free_result(&r);
  }
  /* W7 exists at depth 6 only: 2 of seeds 1-30 draw it in one trial. */
  ck_assert_uint_gt(not_drawn, 0);
  ck_assert_uint_gt(drawn, 0);
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
  /* json_real_value is 0 for a missing key: the keys must be there. */
  ck_assert(json_is_real(json_object_get(tol, "atol")));
  ck_assert(json_is_real(json_object_get(tol, "rtol")));
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

/* A tolerance strtod can only give as a subnormal (ERANGE) is a tolerance. */
START_TEST(tiny_tolerance)
{
  double atol, rtol;
  tolerance_of("--atol", "4e-320", NULL, &atol, &rtol);
  ck_assert_double_eq(atol, 4e-320);
  tolerance_of("--atol", "1e-400", NULL, &atol, &rtol);
  ck_assert_double_eq(atol, 0.0);
}
END_TEST

/* Output that cannot be written is an error (exit 2, one line on err), for
 * every command that writes to out. */
static const char *const full_out[][9] = {
    {"--list"},
    {"--help"},
    {"--version"},
    {"explain", "grad_W"},
    {"explain", "--list"},
    {"--only", "grad_b2", "--trials", "2", "-q", "--out", NULL},
};

START_TEST(output_errors)
{
  make_tmpdir();
  const char *args[10] = {"gradverify"};
  for (size_t k = 0; full_out[_i][k]; k++)
    args[k + 1] = full_out[_i][k];
  size_t argc = 1;
  while (args[argc])
    argc++;
  if (strcmp(args[argc - 1], "--out") == 0)
    args[argc++] = tmpdir;
  char *errtext;
  size_t ne;
  FILE *out = fopen("/dev/full", "w"), *err = open_memstream(&errtext, &ne);
  ck_assert_ptr_nonnull(out);
  int code = gv_cli_main((int)argc, (char **)args, out, err);
  fclose(out);
  fclose(err);
  ck_assert_int_eq(code, GV_EXIT_USAGE);
  ck_assert_uint_eq(count_lines(errtext), 1);
  ck_assert_msg(strstr(errtext, "cannot write the output"), "%s", errtext);
  free(errtext);
  remove_tmpdir();
}
END_TEST

static mode_t mode_of(const char *name)
{
  char path[128];
  struct stat st;
  snprintf(path, sizeof path, "%s/%s", tmpdir, name);
  ck_assert_int_eq(stat(path, &st), 0);
  return st.st_mode & 0777;
}

/* Report files get the mode the umask allows, as any new file. */
START_TEST(umask_honoured)
{
  static const mode_t masks[] = {077, 022, 002};
  for (size_t k = 0; k < 3; k++) {
    mode_t old = umask(masks[k]);
    make_tmpdir();
    const char *args[] = {"--only", "grad_b2", "--trials", "2", "-q", "--out", tmpdir, NULL};
    cli_result r = run_cli(args);
    umask(old);
    ck_assert_int_eq(r.code, GV_EXIT_PASS);
    ck_assert_uint_eq(mode_of(GV_REPORT_JSON), 0666 & ~masks[k]);
    ck_assert_uint_eq(mode_of(GV_REPORT_HTML), 0666 & ~masks[k]);
    ck_assert_uint_eq(mode_of(".gradverify/current"), 0777 & ~masks[k]);
    remove_tmpdir();
    free_result(&r);
  }
}
END_TEST

/* TMPDIR is not where the run works: a missing one changes nothing. */
START_TEST(tmpdir_missing)
{
  setenv("TMPDIR", "/nonexistent/gv-tmp", 1);
  make_tmpdir();
  const char *args[] = {"--only", "grad_b2", "--trials", "2", "-q", "--out", tmpdir, NULL};
  cli_result r = run_cli(args);
  unsetenv("TMPDIR"); /* for the tests after this one, with CK_FORK=no */
  ck_assert_int_eq(r.code, GV_EXIT_PASS);
  ck_assert_str_eq(r.err, "");
  remove_tmpdir();
  free_result(&r);
}
END_TEST

/* A gnuplot that is there but does not start (as under ulimit -v: the loader
 * fails with 127) is not "not installed". */
START_TEST(gnuplot_broken)
{
  make_tmpdir();
  char bin[128], path[4200];
  snprintf(bin, sizeof bin, "%s/bin", tmpdir);
  ck_assert_int_eq(mkdir(bin, 0777), 0);
  snprintf(path, sizeof path, "%s/gnuplot", bin);
  FILE *f = fopen(path, "w");
  ck_assert_ptr_nonnull(f);
  fputs("#!/bin/sh\nexit 127\n", f);
  fclose(f);
  ck_assert_int_eq(chmod(path, 0755), 0);
  char *old_path = strdup(getenv("PATH"));
  snprintf(path, sizeof path, "%s:%s", bin, old_path);
  setenv("PATH", path, 1);
  char out[128];
  snprintf(out, sizeof out, "%s/out", tmpdir);
  const char *args[] = {"--only", "grad_b2", "--trials", "2", "-q", "--out", out, NULL};
  cli_result r = run_cli(args);
  setenv("PATH", old_path, 1);
  free(old_path);
  ck_assert_int_eq(r.code, GV_EXIT_PASS);
  ck_assert_msg(!strstr(r.err, "not installed"), "%s", r.err);
  ck_assert_msg(strstr(r.err, "did not run"), "%s", r.err);
  remove_tmpdir();
  free_result(&r);
}
END_TEST

/* What a killed run left in .gradverify goes at the next run; the set is
 * links to the current set, and a second run replaces it whole. */
START_TEST(report_set)
{
  make_tmpdir();
  char path[256];
  snprintf(path, sizeof path, "%s/.gradverify", tmpdir);
  ck_assert_int_eq(mkdir(path, 0777), 0);
  snprintf(path, sizeof path, "%s/.gradverify/set.dead01", tmpdir);
  ck_assert_int_eq(mkdir(path, 0777), 0);
  snprintf(path, sizeof path, "%s/.gradverify/set.dead01/gv-plot.abcdef", tmpdir);
  ck_assert_int_eq(mkdir(path, 0777), 0);
  snprintf(path, sizeof path, "%s/.gradverify/current.new", tmpdir);
  ck_assert_int_eq(symlink("set.dead01", path), 0);
  const char *args[] = {"--only", "grad_b2", "--trials", "2", "-q", "--out", tmpdir, NULL};
  for (int run = 0; run < 2; run++) {
    cli_result r = run_cli(args);
    ck_assert_int_eq(r.code, GV_EXIT_PASS);
    free_result(&r);
    /* the four links and .gradverify; in it the lock, current and one set */
    ck_assert_uint_eq(count_entries(tmpdir), 5);
    snprintf(path, sizeof path, "%s/.gradverify", tmpdir);
    ck_assert_uint_eq(count_entries(path), 3);
    snprintf(path, sizeof path, "%s/.gradverify/current", tmpdir);
    ck_assert_uint_eq(count_entries(path), 4);
  }
  remove_tmpdir();
}
END_TEST

Suite *gv_test_suite(void)
{
  Suite *s = suite_create("cli");
  TCase *u = tcase_create("Usage");
  tcase_add_loop_test(u, usage_errors, 0, (int)(sizeof bad_usage / sizeof bad_usage[0]));
  tcase_add_test(u, size_limit);
  tcase_add_test(u, unwritable_out);
  tcase_add_test(u, informational);
  tcase_add_test(u, explain);
  suite_add_tcase(s, u);
  TCase *r = tcase_create("Reports");
  tcase_add_test(r, writes_reports);
  tcase_add_test(r, reproducible);
#ifdef GV_OPENBLAS
  tcase_add_test(r, reproducible_blas_threads);
#endif
  tcase_add_test(r, only_selects);
  tcase_add_test(r, only_not_drawn);
  tcase_add_test(r, size_fixes_network);
  tcase_add_test(r, method_tolerance);
  tcase_add_test(r, tiny_tolerance);
  tcase_add_loop_test(r, output_errors, 0, (int)(sizeof full_out / sizeof full_out[0]));
  tcase_add_test(r, umask_honoured);
  tcase_add_test(r, tmpdir_missing);
  tcase_add_test(r, gnuplot_broken);
  tcase_add_test(r, report_set);
  suite_add_tcase(s, r);
  return s;
}
