/* check_report.c: the report writers on hand-made results: a failing formula,
 * a missed control and a NaN must all show, and files are written whole or
 * not at all. */
#define _GNU_SOURCE /* syscall: umask without the C library's umask, which this file replaces */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <gsl/gsl_errno.h>

#include "check_main.h"
#include "gv_file.h"
#include "gv_report.h"
#include "gv_report_set.h"

/* The report writers must never touch process-wide state that another
 * thread relies on: umask() (read by a set-and-restore, it leaves the
 * process with umask 0 for a moment) and sigprocmask() (unspecified with
 * threads). These definitions stand in for the C library's in this program
 * (the library is linked in statically) and count the calls. */
static atomic_ulong umask_calls, sigprocmask_calls;

mode_t umask(mode_t mask)
{
  atomic_fetch_add(&umask_calls, 1);
  return (mode_t)syscall(SYS_umask, mask);
}

int sigprocmask(int how, const sigset_t *set, sigset_t *old)
{
  atomic_fetch_add(&sigprocmask_calls, 1);
  int rc = pthread_sigmask(how, set, old);
  errno = rc;
  return rc ? -1 : 0;
}

static gv_formula_result formulas[2];
static gv_control_result controls[1];
static gv_run run;

/* Two formulas (one passing, one failing with a NaN) and one missed control. */
static void setup(void)
{
  size_t n, nc;
  const gv_formula *f = gv_formula_list(&n);
  const gv_control *c = gv_control_list(&nc);
  gv_tol tol = {1e-9, 1e-5, 2.0};
  memset(formulas, 0, sizeof formulas);
  memset(controls, 0, sizeof controls);
  for (int i = 0; i < 2; i++) {
    formulas[i].formula = &f[i];
    formulas[i].trials = 3;
    formulas[i].min_entries = 4;
    formulas[i].max_entries = 9;
    gv_cmp_init(&formulas[i].cmp);
  }
  gv_cmp_entry(&formulas[0].cmp, 0, 0, 0.25, 0.25 + 1e-12, 0.0, &tol);
  formulas[0].pass = 1;
  gv_cmp_set_trial(&formulas[1].cmp, 2);
  gv_cmp_entry(&formulas[1].cmp, 1, 2, 0.5, NAN, 0.0, &tol);
  formulas[1].failed_trials = 1;
  formulas[1].pass = 0;
  controls[0].control = &c[0];
  controls[0].trials = 3;
  gv_cmp_init(&controls[0].cmp);
  gv_cmp_entry(&controls[0].cmp, 0, 1, 0.125, 0.125, 0.0, &tol);
  controls[0].caught = 0;
  run = (gv_run){.seed = 42,
                 .trials = 3,
                 .tol = tol,
                 .n_formulas = 2,
                 .n_controls = 1,
                 .formulas = formulas,
                 .controls = controls,
                 .pass = 0};
}

START_TEST(json_fields)
{
  json_t *root = gv_report_json(&run);
  ck_assert_ptr_nonnull(root);
  ck_assert_int_eq(json_integer_value(json_object_get(root, "seed")), 42);
  ck_assert_str_eq(json_string_value(json_object_get(root, "verdict")), "fail");
  json_t *f1 = json_array_get(json_object_get(root, "formulas"), 1);
  ck_assert_str_eq(json_string_value(json_object_get(f1, "verdict")), "fail");
  ck_assert_int_eq(json_integer_value(json_object_get(f1, "nonfinite_entries")), 1);
  json_t *w = json_object_get(f1, "worst");
  ck_assert_int_eq(json_integer_value(json_object_get(w, "trial")), 2);
  ck_assert_int_eq(json_integer_value(json_object_get(w, "row")), 1);
  ck_assert_int_eq(json_integer_value(json_object_get(w, "col")), 2);
  ck_assert(json_is_null(json_object_get(w, "numeric"))); /* NaN is null, never a number */
  ck_assert(json_is_null(json_object_get(w, "error_over_tolerance")));
  ck_assert_double_eq(json_real_value(json_object_get(w, "analytic")), 0.5);
  json_t *tol = json_object_get(f1, "tolerance");
  ck_assert_double_eq(json_real_value(json_object_get(tol, "rtol")), 1e-5);
  json_t *c0 = json_array_get(json_object_get(root, "controls"), 0);
  ck_assert(json_is_false(json_object_get(c0, "caught")));
  json_t *sum = json_object_get(root, "summary");
  ck_assert_int_eq(json_integer_value(json_object_get(sum, "formulas_passed")), 1);
  ck_assert_int_eq(json_integer_value(json_object_get(sum, "controls_caught")), 0);
  json_decref(root);
}
END_TEST

static char dir[64];

static char *path_in(const char *name)
{
  static char p[128];
  snprintf(p, sizeof p, "%s/%s", dir, name);
  return p;
}

static size_t files_in_dir(void)
{
  DIR *d = opendir(dir);
  ck_assert_ptr_nonnull(d);
  size_t n = 0;
  for (struct dirent *e; (e = readdir(d));)
    n += e->d_name[0] != '.';
  closedir(d);
  return n;
}

/* The whole file, however long, as a string the caller frees. */
static char *slurp(const char *path)
{
  FILE *f = fopen(path, "r");
  ck_assert_ptr_nonnull(f);
  char *text = NULL, chunk[4096];
  size_t size = 0, n;
  FILE *m = open_memstream(&text, &size);
  ck_assert_ptr_nonnull(m);
  while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
    ck_assert_uint_eq(fwrite(chunk, 1, n, m), n);
  ck_assert(!ferror(f));
  fclose(f);
  ck_assert_int_eq(fclose(m), 0);
  return text;
}

static void assert_file_is(const char *path, const char *text)
{
  char *have = slurp(path);
  ck_assert_str_eq(have, text);
  free(have);
}

START_TEST(markdown_shows_failures)
{
  strcpy(dir, "/tmp/gv-report-XXXXXX");
  ck_assert_ptr_nonnull(mkdtemp(dir));
  int err_no = -1;
  ck_assert_int_eq(gv_report_write_md(&run, path_in(GV_REPORT_MD), &err_no), GSL_SUCCESS);
  ck_assert_int_eq(err_no, 0);
  char *md = slurp(path_in(GV_REPORT_MD));
  ck_assert_ptr_nonnull(strstr(md, "**Verdict: FAIL.**"));
  ck_assert_ptr_nonnull(strstr(md, "seed **42**"));
  ck_assert_ptr_nonnull(strstr(md, formulas[0].formula->formula));
  ck_assert_ptr_nonnull(strstr(md, "❌ **FAIL**"));
  ck_assert_ptr_nonnull(strstr(md, "❌ **MISSED**"));
  ck_assert_ptr_nonnull(strstr(md, "1 entries were NaN or infinite"));
  ck_assert_ptr_nonnull(strstr(md, "trial 2, entry (1, 2)"));
  ck_assert_ptr_nonnull(strstr(md, "rtol = 1e-05"));
  free(md);
  unlink(path_in(GV_REPORT_MD));
  rmdir(dir);
}
END_TEST

/* A run whose formula 1 was not drawn (its variable a placeholder in all 3
 * trials) and whose formula 0 names two regimes: md and JSON give the third
 * verdict, count it apart from passes and failures, and list the regimes a
 * line each. */
START_TEST(not_drawn_apart)
{
  gv_tol tol = {1e-9, 1e-5, 2.0};
  formulas[1] = (gv_formula_result){.formula = formulas[1].formula, .trials = 3, .not_drawn = 3};
  gv_cmp_init(&formulas[1].cmp);
  formulas[0].n_regimes = 2;
  formulas[0].regimes[0] = (gv_regime_result){.name = "elu", .trials = 2};
  formulas[0].regimes[1] = (gv_regime_result){.name = "relu", .trials = 1};
  gv_cmp_init(&formulas[0].regimes[0].cmp);
  gv_cmp_init(&formulas[0].regimes[1].cmp);
  gv_cmp_entry(&formulas[0].regimes[0].cmp, 0, 0, 0.25, 0.25 + 1e-12, 0.0, &tol);
  run.n_controls = 0;
  run.pass = 1;
  json_t *root = gv_report_json(&run);
  ck_assert_ptr_nonnull(root);
  json_t *fs = json_object_get(root, "formulas"), *sum = json_object_get(root, "summary");
  ck_assert_str_eq(json_string_value(json_object_get(json_array_get(fs, 0), "verdict")), "pass");
  ck_assert_str_eq(json_string_value(json_object_get(json_array_get(fs, 1), "verdict")),
                   "not drawn");
  ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(fs, 1), "not_drawn_trials")),
                   3);
  ck_assert_int_eq(json_integer_value(json_object_get(sum, "formulas_passed")), 1);
  ck_assert_int_eq(json_integer_value(json_object_get(sum, "formulas_not_drawn")), 1);
  json_t *g = json_array_get(json_object_get(json_array_get(fs, 0), "regimes"), 1);
  ck_assert_str_eq(json_string_value(json_object_get(g, "name")), "relu");
  ck_assert_int_eq(json_integer_value(json_object_get(g, "trials")), 1);
  json_decref(root);

  strcpy(dir, "/tmp/gv-report-XXXXXX");
  ck_assert_ptr_nonnull(mkdtemp(dir));
  int err_no = -1;
  ck_assert_int_eq(gv_report_write_md(&run, path_in(GV_REPORT_MD), &err_no), GSL_SUCCESS);
  char *md = slurp(path_in(GV_REPORT_MD));
  ck_assert_ptr_nonnull(strstr(md, "**Verdict: PASS.** 1 of 2 formulas verified, 1 not drawn"));
  ck_assert_ptr_nonnull(strstr(md, "| ➖ not drawn |"));
  ck_assert_ptr_nonnull(strstr(md, "**Not drawn: its variable was a placeholder in all 3 trials"));
  ck_assert_msg(!strstr(md, "FAIL") && !strstr(md, "trials failed"), "%s", md);
  ck_assert_ptr_null(strstr(md, "a ceiling")); /* every formula ran its 3 trials */
  ck_assert_ptr_nonnull(strstr(md, "\n  - regime *elu*: 2 trials, 0 failed, max rel error "));
  ck_assert_ptr_nonnull(strstr(md, "\n  - regime *relu*: 1 trials, 0 failed"));
  free(md);
  /* A formula that stopped early (GV_DRIVER_ENTRY_BUDGET) makes the trial
   * count a ceiling, and the settings say so. */
  formulas[0].trials = 2;
  ck_assert_int_eq(gv_report_write_md(&run, path_in(GV_REPORT_MD), &err_no), GSL_SUCCESS);
  md = slurp(path_in(GV_REPORT_MD));
  ck_assert_msg(strstr(md, "- 3 random trials per formula and per control (a ceiling: 1 layer "
                           "formulas with large draws stopped"),
                "%s", md);
  formulas[0].trials = 3;
  free(md);
  unlink(path_in(GV_REPORT_MD));
  rmdir(dir);
}
END_TEST

static int write_text(FILE *f, void *ctx)
{
  return fputs(ctx, f) < 0 ? -1 : 0;
}

static int write_fails(FILE *f, void *ctx)
{
  fputs(ctx, f);
  return -1;
}

START_TEST(atomic_writes)
{
  strcpy(dir, "/tmp/gv-report-XXXXXX");
  ck_assert_ptr_nonnull(mkdtemp(dir));
  int err_no;
  ck_assert_int_eq(gv_file_write_atomic(path_in("a.txt"), write_text, "first\n", &err_no),
                   GSL_SUCCESS);
  assert_file_is(path_in("a.txt"), "first\n");
  /* A writer that fails leaves the old file in place and no temporary behind. */
  ck_assert_int_eq(gv_file_write_atomic(path_in("a.txt"), write_fails, "partial", &err_no),
                   GSL_EFAILED);
  assert_file_is(path_in("a.txt"), "first\n");
  ck_assert_uint_eq(files_in_dir(), 1);
  /* A successful write replaces it whole. */
  ck_assert_int_eq(gv_file_write_atomic(path_in("a.txt"), write_text, "second\n", &err_no),
                   GSL_SUCCESS);
  assert_file_is(path_in("a.txt"), "second\n");
  ck_assert_uint_eq(files_in_dir(), 1);
  /* A directory that does not exist: an error with its errno, nothing written. */
  ck_assert_int_eq(gv_file_write_atomic("/tmp/gv-no-such-dir/x", write_text, "x", &err_no),
                   GSL_EFAILED);
  ck_assert_int_eq(err_no, ENOENT);
  ck_assert_int_eq(gv_report_write_json(&run, "/tmp/gv-no-such-dir/r.json", &err_no), GSL_EFAILED);
  ck_assert_int_eq(err_no, ENOENT);
  unlink(path_in("a.txt"));
  rmdir(dir);
}
END_TEST

START_TEST(json_file_reproducible)
{
  strcpy(dir, "/tmp/gv-report-XXXXXX");
  ck_assert_ptr_nonnull(mkdtemp(dir));
  int err_no;
  ck_assert_int_eq(gv_report_write_json(&run, path_in("1.json"), &err_no), GSL_SUCCESS);
  ck_assert_int_eq(gv_report_write_json(&run, path_in("2.json"), &err_no), GSL_SUCCESS);
  char *a = slurp(path_in("1.json"));
  assert_file_is(path_in("2.json"), a);
  /* 17 significant digits: the number reads back exactly. */
  ck_assert_ptr_nonnull(strstr(a, "\"rtol\": 1.0000000000000001e-5"));
  free(a);
  unlink(path_in("1.json"));
  unlink(path_in("2.json"));
  rmdir(dir);
}
END_TEST

enum { SET_THREADS = 4, SETS_PER_THREAD = 25 };
static const char *const set_names[] = {"a.txt", "b.txt"};
static char set_dirs[2][64];
static atomic_int probing, bad_modes;

/* Writes SETS_PER_THREAD sets into set_dirs[t % 2], both files of a set
 * with the same text; the number of failures is the thread's result. */
static void *write_sets(void *arg)
{
  size_t t = (size_t)arg, failures = 0;
  for (int k = 0; k < SETS_PER_THREAD; k++) {
    char text[64], path[256];
    snprintf(text, sizeof text, "thread %zu set %d\n", t, k);
    gv_report_set *set;
    int err_no;
    const char *what;
    if (gv_report_set_begin(set_dirs[t % 2], &set, &err_no, &what) != GSL_SUCCESS) {
      failures++;
      continue;
    }
    int rc = 0;
    for (size_t i = 0; i < 2; i++) {
      snprintf(path, sizeof path, "%s/%s", gv_report_set_stage(set), set_names[i]);
      rc |= gv_file_write_atomic(path, write_text, text, &err_no);
    }
    if (rc)
      gv_report_set_abort(set);
    failures += rc || gv_report_set_commit(set, set_names, 2, &err_no, &what) != GSL_SUCCESS;
  }
  return (void *)failures;
}

/* Meanwhile: every new file must get 0666 less the umask the test set. */
static void *probe_modes(void *arg)
{
  const char *probe = arg;
  while (atomic_load(&probing)) {
    int fd = open(probe, O_WRONLY | O_CREAT | O_EXCL, 0666);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || (st.st_mode & 0777) != 0640)
      atomic_fetch_add(&bad_modes, 1);
    if (fd >= 0)
      close(fd);
    unlink(probe);
  }
  return NULL;
}

static mode_t mode_of(const char *path)
{
  struct stat st;
  ck_assert_int_eq(stat(path, &st), 0);
  return st.st_mode & 0777;
}

/* Four threads write 25 sets each, two threads per directory, while a fifth
 * creates files: every write succeeds, each directory ends with one
 * complete set (both files from one thread's one set), files and the set
 * directory get the umask's modes, the prober never sees another umask,
 * and the writers never called umask() or sigprocmask(). */
START_TEST(sets_from_threads)
{
  mode_t saved = (mode_t)syscall(SYS_umask, 027);
  char probe[96];
  for (int d = 0; d < 2; d++) {
    strcpy(set_dirs[d], "/tmp/gv-sets-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(set_dirs[d]));
  }
  snprintf(probe, sizeof probe, "%s/probe", set_dirs[0]);
  atomic_store(&umask_calls, 0);
  atomic_store(&sigprocmask_calls, 0);
  atomic_store(&bad_modes, 0);
  atomic_store(&probing, 1);
  pthread_t writers[SET_THREADS], prober;
  ck_assert_int_eq(pthread_create(&prober, NULL, probe_modes, probe), 0);
  for (size_t t = 0; t < SET_THREADS; t++)
    ck_assert_int_eq(pthread_create(&writers[t], NULL, write_sets, (void *)t), 0);
  for (size_t t = 0; t < SET_THREADS; t++) {
    void *failures;
    pthread_join(writers[t], &failures);
    ck_assert_ptr_null(failures);
  }
  atomic_store(&probing, 0);
  pthread_join(prober, NULL);
  syscall(SYS_umask, saved);
  unsigned long umasks = atomic_load(&umask_calls), sigmasks = atomic_load(&sigprocmask_calls);
  int bad = atomic_load(&bad_modes);
  ck_assert_uint_eq(umasks, 0);
  ck_assert_uint_eq(sigmasks, 0);
  ck_assert_int_eq(bad, 0);
  for (int d = 0; d < 2; d++) {
    char a[160], b[160], current[160];
    snprintf(a, sizeof a, "%s/a.txt", set_dirs[d]);
    snprintf(b, sizeof b, "%s/b.txt", set_dirs[d]);
    snprintf(current, sizeof current, "%s/.gradverify/current/", set_dirs[d]);
    char *text = slurp(a);
    ck_assert_ptr_nonnull(strstr(text, "set 24\n"));
    assert_file_is(b, text);
    free(text);
    ck_assert_uint_eq(mode_of(a), 0640);
    ck_assert_uint_eq(mode_of(current), 0750);
    char cmd[192];
    snprintf(cmd, sizeof cmd, "rm -rf %s", set_dirs[d]);
    ck_assert_int_eq(system(cmd), 0);
  }
}
END_TEST

Suite *gv_test_suite(void)
{
  Suite *s = suite_create("report");
  TCase *tc = tcase_create("Writers");
  tcase_add_checked_fixture(tc, setup, NULL);
  tcase_add_test(tc, json_fields);
  tcase_add_test(tc, markdown_shows_failures);
  tcase_add_test(tc, not_drawn_apart);
  tcase_add_test(tc, atomic_writes);
  tcase_add_test(tc, json_file_reproducible);
  tcase_add_test(tc, sets_from_threads);
  suite_add_tcase(s, tc);
  return s;
}
