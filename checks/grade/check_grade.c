/* check_grade.c: the grader. The wire format refuses malformed replies; the
 * sandbox captures, bounds, times and classifies; every example submission in
 * submissions/ gets its expected verdict and diagnosis, hostile ones
 * included; the class run writes its reports and nothing a submission does
 * lands in them. The suite runs under CK_DEFAULT_TIMEOUT (checks/meson.build):
 * a grader that hangs fails it. */
#define _GNU_SOURCE /* mkstemps, usleep */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gsl/gsl_errno.h>
#include <jansson.h>

#include "check_main.h"
#include "gv_assign.h"
#include "gv_cli.h"
#include "gv_grade.h"
#include "gv_judge.h"
#include "gv_sandbox.h"
#include "gv_wire.h"

/* ---- wire ---- */

static gv_buf one_record(void)
{
  gv_buf b;
  gv_buf_init(&b);
  gsl_matrix *m = gsl_matrix_alloc(2, 3);
  for (size_t k = 0; k < 6; k++)
    m->data[k] = 1.5 + (double)k;
  const gsl_matrix *ms[1] = {m};
  ck_assert_int_eq(gv_wire_put(&b, 7, 2, 1, ms), GSL_SUCCESS);
  gsl_matrix_free(m);
  return b;
}

START_TEST(wire_round_trip)
{
  gv_buf b = one_record();
  size_t pos = 0;
  gv_wire_record rec;
  ck_assert_int_eq(gv_wire_get(b.data, b.len, &pos, &rec), GSL_SUCCESS);
  ck_assert_uint_eq(pos, b.len);
  ck_assert_int_eq(rec.status, 7);
  ck_assert_uint_eq(rec.flags, 2);
  ck_assert_uint_eq(rec.nmat, 1);
  ck_assert_uint_eq(rec.mat[0]->size1, 2);
  ck_assert_double_eq(gsl_matrix_get(rec.mat[0], 1, 2), 6.5);
  gv_wire_record_clear(&rec);
  gv_buf_free(&b);
}
END_TEST

/* Each corruption of a valid record must be refused, never read past the end. */
START_TEST(wire_refuses_malformed)
{
  gv_buf b = one_record();
  uint32_t huge = 0xffffffffu, zero = 0;
  size_t len = b.len;
  switch (_i) {
  case 0:
    len = b.len - 1;
    break; /* truncated data */
  case 1:
    len = 10;
    break; /* truncated header */
  case 2:
    memcpy(b.data, &zero, 4);
    break; /* bad magic */
  case 3:
    memcpy(b.data + 12, &huge, 4);
    break; /* too many matrices */
  case 4:
    memcpy(b.data + 16, &huge, 4);
    break; /* rows beyond the limit */
  case 5:
    memcpy(b.data + 20, &zero, 4);
    break; /* zero columns */
  default:
    memcpy(b.data + 16, &(uint32_t){1000}, 4); /* more rows than bytes */
  }
  size_t pos = 0;
  gv_wire_record rec;
  ck_assert_int_eq(gv_wire_get(b.data, len, &pos, &rec), GSL_EFAILED);
  ck_assert_uint_eq(rec.nmat, 0);
  gv_buf_free(&b);
}
END_TEST

/* ---- sandbox ---- */

static gv_sandbox_result run_sh(const char *script, double wall)
{
  gv_sandbox_limits lim;
  gv_sandbox_limits_call(&lim);
  lim.wall_seconds = wall;
  lim.output_max = 100;
  const char *argv[] = {"/bin/sh", "-c", script, NULL};
  gv_sandbox_result res;
  ck_assert_int_eq(gv_sandbox_run(argv, "input", 5, &lim, &res), GSL_SUCCESS);
  return res;
}

START_TEST(sandbox_captures_exit_and_input)
{
  gv_sandbox_result r = run_sh("cat; echo; echo oops >&2; ls -A | wc -l; exit 3", 10);
  ck_assert_int_eq(r.end, GV_END_EXIT);
  ck_assert_int_eq(r.code, 3);
  ck_assert_str_eq(r.out, "input\n0\n"); /* stdin fed; the working directory empty */
  ck_assert_str_eq(r.err, "oops\n");
  gv_sandbox_result_free(&r);
}
END_TEST

START_TEST(sandbox_bounds_output)
{
  gv_sandbox_result r = run_sh("yes | head -c 100000", 10);
  ck_assert_int_eq(r.end, GV_END_EXIT);
  ck_assert_uint_eq(r.out_len, 100);
  ck_assert_int_eq(r.out_truncated, 1);
  gv_sandbox_result_free(&r);
}
END_TEST

START_TEST(sandbox_signal_and_timeout)
{
  gv_sandbox_result r = run_sh("kill -SEGV $$", 10);
  ck_assert_int_eq(r.end, GV_END_SIGNAL);
  ck_assert_int_eq(r.code, 11);
  gv_sandbox_result_free(&r);
  r = run_sh("while :; do :; done", 0.3);
  ck_assert(r.end == GV_END_TIMEOUT || r.end == GV_END_CPU);
  ck_assert_double_lt(r.wall, 5.0);
  gv_sandbox_result_free(&r);
}
END_TEST

/* A child that leaves a process behind: the group is killed with it. */
START_TEST(sandbox_kills_the_group)
{
  gv_sandbox_result r = run_sh("sleep 30 >/dev/null 2>&1 & echo $!", 10);
  ck_assert_int_eq(r.end, GV_END_EXIT);
  long pid = atol(r.out);
  ck_assert_int_gt(pid, 0);
  usleep(100000);
  char path[64];
  snprintf(path, sizeof path, "/proc/%ld/stat", pid);
  FILE *f = fopen(path, "r");
  char state = 'X';
  if (f) { /* gone, or a zombie waiting for its new parent */
    ck_assert_int_eq(fscanf(f, "%*d %*s %c", &state), 1);
    fclose(f);
  }
  ck_assert(state == 'X' || state == 'Z');
  gv_sandbox_result_free(&r);
}
END_TEST

/* ---- submissions ---- */

typedef struct {
  const char *file; /* in submissions/ */
  const char *fn;   /* the function whose verdict is expected */
  gv_fn_verdict verdict;
  const char *expect; /* in its summary, diagnosis or consistency; NULL: none */
  double points;      /* the student's total */
} example;

static const example examples[] = {
    {"relu_mask_from_dout.c", "relu_backward", GV_FN_WRONG, "(relu.dX_mask_dout)", 1},
    {"relu_no_mask.c", "relu_backward", GV_FN_WRONG, "(relu.dX_nomask)", 1},
    {"affine_db_first.c", "affine_backward", GV_FN_WRONG, "(affine.db_first)", 1},
    {"affine_dx_no_transpose.c", "affine_backward", GV_FN_WRONG, "(affine.dX_no_transpose)", 1},
    {"sigmoid_input.c", "sigmoid_backward", GV_FN_WRONG, "(sigmoid.dX_input)", 1},
    {"softmax_no_mean.c", "softmax_ce_backward", GV_FN_WRONG, "(softmax_ce.dA_no_mean)", 1},
    {"mse_no_two.c", "mse_backward", GV_FN_WRONG, "(mse.dYhat_no_two)", 1},
    {"relu_sign.c", "relu_backward", GV_FN_WRONG, "constant factor, exactly -1", 1},
    {"relu_leaky.c", "relu_backward", GV_FN_WRONG, "wrong only where x <= 0", 1},
    {"tanh_scaled.c", "tanh_backward", GV_FN_WRONG, "exact derivative of your own forward", 0},
    {"segfault.c", "relu_backward", GV_FN_CRASHED, "signal 11", 1},
    {"loop.c", "relu_backward", GV_FN_CRASHED, "killed (an endless loop?)", 1},
    {"malloc10g.c", "relu_backward", GV_FN_CRASHED, "out of memory", 1},
    {"forkbomb.c", "relu_backward", GV_FN_CRASHED, "forbids (clone)", 1},
    {"exit0.c", "relu_backward", GV_FN_CRASHED, "exit status 0", 1},
    {"writefile.c", "relu_backward", GV_FN_CRASHED, "forbids (openat)", 1},
    {"nan.c", "relu_backward", GV_FN_WRONG, "NaN", 1},
    {"chatty.c", "relu_backward", GV_FN_PASS, NULL, 3},
    {"svm_no_true_class.c", "svm_hinge_backward", GV_FN_WRONG, "(svm_hinge.dS_no_true_class)", 1},
    {"batchnorm_constant_stats.c", "batchnorm_backward", GV_FN_WRONG,
     "(batchnorm.dX_constant_stats)", 1},
    {"right.c", "batchnorm_backward", GV_FN_PASS, NULL, 24},
};

static void grade(const char *file, gv_student *s)
{
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", GV_SUBMISSIONS, file);
  gv_grade_opts o;
  gv_grade_opts_init(&o);
  o.seed = 3;
  ck_assert_int_eq(gv_grade_student(path, &o, s), GSL_SUCCESS);
}

START_TEST(example_graded_as_expected)
{
  const example *e = &examples[_i];
  gv_student s;
  grade(e->file, &s);
  const gv_fn_grade *g = &s.fn[gv_assign_find(e->fn)];
  ck_assert_msg(g->verdict == e->verdict, "%s: %s is %s: %s", e->file, e->fn,
                gv_fn_verdict_name(g->verdict), g->summary);
  if (e->expect) {
    char all[3 * GV_GRADE_TEXT + 4];
    snprintf(all, sizeof all, "%s|%s|%s", g->summary, g->diagnosis, g->consistency);
    ck_assert_msg(strstr(all, e->expect), "%s: expected '%s' in '%s'", e->file, e->expect, all);
  } else {
    ck_assert_str_eq(g->diagnosis, "");
  }
  ck_assert_double_eq(s.points, e->points);
  /* Everything the example does not define is reported missing. */
  size_t missing = 0;
  for (size_t k = 0; k < s.nfn; k++)
    missing += s.fn[k].verdict == GV_FN_MISSING;
  ck_assert_uint_eq(missing, strcmp(e->file, "right.c") == 0 ? 0 : s.nfn - 2);
  gv_student_free(&s);
}
END_TEST

START_TEST(chatty_output_is_kept_bounded)
{
  gv_student s;
  grade("chatty.c", &s);
  const gv_fn_grade *g = &s.fn[gv_assign_find("relu_backward")];
  ck_assert_int_eq(g->out_truncated, 1);
  ck_assert_uint_le(strlen(g->out), 16384);
  ck_assert_ptr_nonnull(strstr(g->out, "debug line 00000"));
  ck_assert_str_eq(g->err, "relu_backward: done\n");
  gv_student_free(&s);
}
END_TEST

START_TEST(broken_c_file_is_not_run)
{
  char path[] = "/tmp/gradverify-broken-XXXXXX.c";
  int fd = mkstemps(path, 2);
  ck_assert_int_ge(fd, 0);
  ck_assert_int_eq(write(fd, "int relu_forward(", 17), 17);
  close(fd);
  gv_grade_opts o;
  gv_grade_opts_init(&o);
  gv_student s;
  ck_assert_int_eq(gv_grade_student(path, &o, &s), GSL_SUCCESS);
  unlink(path);
  ck_assert_int_eq(s.load_failed, 1);
  ck_assert_int_eq(s.fn[0].verdict, GV_FN_NOT_RUN);
  ck_assert_ptr_nonnull(strstr(s.build_log, "error"));
  ck_assert_double_eq(s.points, 0);
  gv_student_free(&s);
}
END_TEST

/* Code in a constructor runs at load time, in the list run: every function
 * is then not run, and the log says why. */
START_TEST(hostile_constructor_is_contained)
{
  gv_student s;
  grade("constructor.c", &s);
  ck_assert_int_eq(s.load_failed, 1);
  /* Whichever limit comes first stops it: the CPU limit on an idle machine,
   * the wall clock on a loaded one. */
  ck_assert_msg(strstr(s.build_log, "still running after") ||
                    strstr(s.build_log, "used up its CPU time"),
                "constructor not reported as stopped by a limit: %s", s.build_log);
  ck_assert_int_eq(s.fn[gv_assign_find("relu_forward")].verdict, GV_FN_NOT_RUN);
  ck_assert_double_eq(s.points, 0);
  gv_student_free(&s);
}
END_TEST

/* A shared library is graded as it is, without compiling. */
START_TEST(shared_library_is_graded)
{
  char so[] = "/tmp/gradverify-so-XXXXXX.so", cmd[8192];
  int fd = mkstemps(so, 3);
  ck_assert_int_ge(fd, 0);
  close(fd);
  gv_grade_opts o;
  gv_grade_opts_init(&o);
  snprintf(cmd, sizeof cmd,
           "'%s' -shared -fPIC -I'%s' '%s/relu_sign.c' -o '%s' -lgsl -lgslcblas -lm", o.cc,
           o.include, GV_SUBMISSIONS, so);
  ck_assert_int_eq(system(cmd), 0);
  gv_student s;
  ck_assert_int_eq(gv_grade_student(so, &o, &s), GSL_SUCCESS);
  unlink(so);
  ck_assert_int_eq(s.compiled, 0);
  ck_assert_int_eq(s.fn[gv_assign_find("relu_forward")].verdict, GV_FN_PASS);
  ck_assert_ptr_nonnull(strstr(s.fn[gv_assign_find("relu_backward")].diagnosis, "exactly -1"));
  gv_student_free(&s);
}
END_TEST

/* ---- the class, through the command line ---- */

#define OUT "/tmp/gradverify-check-grade"

static int run_grade(const char *const *files, const char *extra)
{
  char *argv[32];
  int argc = 0;
  argv[argc++] = "gradverify";
  argv[argc++] = "grade";
  char paths[8][4096];
  for (size_t k = 0; files[k]; k++) {
    snprintf(paths[k], sizeof paths[k], "%s/%s", GV_SUBMISSIONS, files[k]);
    argv[argc++] = paths[k];
  }
  argv[argc++] = "--out";
  argv[argc++] = OUT;
  argv[argc++] = "--quiet";
  if (extra) {
    argv[argc++] = "--points";
    argv[argc++] = (char *)extra;
  }
  argv[argc] = NULL;
  FILE *devnull = fopen("/dev/null", "w");
  int rc = gv_cli_main(argc, argv, devnull, devnull);
  fclose(devnull);
  return rc;
}

static char *slurp(const char *path)
{
  FILE *f = fopen(path, "rb");
  ck_assert_ptr_nonnull(f);
  char *buf = calloc(1, 1 << 20);
  size_t n = fread(buf, 1, (1 << 20) - 1, f);
  buf[n] = '\0';
  fclose(f);
  return buf;
}

START_TEST(class_reports_written_and_untouched)
{
  system("rm -rf " OUT);
  const char *files[] = {"right.c", "writefile.c", "segfault.c", NULL};
  ck_assert_int_eq(run_grade(files, NULL), GV_EXIT_FAIL);
  static const char *expected[] = {"right.html",     "right.md",      "right.json",
                                   "writefile.json", "segfault.html", "gradebook.csv",
                                   "gradebook.json", "junit.xml"};
  for (size_t k = 0; k < sizeof expected / sizeof expected[0]; k++) {
    char p[256];
    snprintf(p, sizeof p, OUT "/%s", expected[k]);
    ck_assert_msg(access(p, R_OK) == 0, "%s missing", p);
  }
  /* writefile.c tried to write OUT/writefile.json during grading: the file
   * there is the grader's. */
  char *wf = slurp(OUT "/writefile.json");
  ck_assert_ptr_nonnull(strstr(wf, "\"functions\""));
  free(wf);
  char *csv = slurp(OUT "/gradebook.csv");
  ck_assert_ptr_nonnull(strstr(csv, "\nright,1,2,1,2,1,2,1,2,1,2,1,2,1,2,1,2,24,24,1\n"));
  ck_assert_ptr_nonnull(strstr(csv, "\nsegfault,0,0,1,0,"));
  free(csv);
  char *junit = slurp(OUT "/junit.xml");
  ck_assert_ptr_nonnull(strstr(junit, "tests=\"48\" failures=\"30\""));
  free(junit);
}
END_TEST

START_TEST(same_seed_same_gradebook)
{
  const char *files[] = {"right.c", "relu_sign.c", NULL};
  ck_assert_int_eq(run_grade(files, NULL), GV_EXIT_FAIL);
  char *a = slurp(OUT "/gradebook.json"), *ra = slurp(OUT "/relu_sign.json");
  ck_assert_int_eq(run_grade(files, NULL), GV_EXIT_FAIL);
  char *b = slurp(OUT "/gradebook.json"), *rb = slurp(OUT "/relu_sign.json");
  ck_assert_str_eq(a, b);
  ck_assert_str_eq(ra, rb);
  free(a), free(b), free(ra), free(rb);
}
END_TEST

START_TEST(points_file_sets_the_points)
{
  const char *points = OUT "-points.json";
  FILE *f = fopen(points, "w");
  fputs("{\"backward\": 3, \"relu_backward\": 5}", f);
  fclose(f);
  const char *files[] = {"right.c", NULL};
  ck_assert_int_eq(run_grade(files, points), GV_EXIT_PASS);
  char *csv = slurp(OUT "/gradebook.csv");
  /* 8 forwards at 1, 7 backwards at 3, relu_backward at 5 */
  ck_assert_ptr_nonnull(strstr(csv, "\nright,1,3,1,5,1,3,1,3,1,3,1,3,1,3,1,3,34,34,1\n"));
  free(csv);
  f = fopen(points, "w");
  fputs("{\"relu_backwards\": 3}", f);
  fclose(f);
  ck_assert_int_eq(run_grade(files, points), GV_EXIT_USAGE);
  unlink(points);
}
END_TEST

Suite *gv_test_suite(void)
{
  Suite *s = suite_create("grade");
  TCase *wire = tcase_create("wire");
  tcase_add_test(wire, wire_round_trip);
  tcase_add_loop_test(wire, wire_refuses_malformed, 0, 7);
  suite_add_tcase(s, wire);
  TCase *sandbox = tcase_create("sandbox");
  tcase_add_test(sandbox, sandbox_captures_exit_and_input);
  tcase_add_test(sandbox, sandbox_bounds_output);
  tcase_add_test(sandbox, sandbox_signal_and_timeout);
  tcase_add_test(sandbox, sandbox_kills_the_group);
  suite_add_tcase(s, sandbox);
  TCase *ex = tcase_create("submissions");
  tcase_add_loop_test(ex, example_graded_as_expected, 0,
                      (int)(sizeof examples / sizeof examples[0]));
  tcase_add_test(ex, chatty_output_is_kept_bounded);
  tcase_add_test(ex, broken_c_file_is_not_run);
  tcase_add_test(ex, hostile_constructor_is_contained);
  tcase_add_test(ex, shared_library_is_graded);
  suite_add_tcase(s, ex);
  TCase *cls = tcase_create("class");
  tcase_add_test(cls, class_reports_written_and_untouched);
  tcase_add_test(cls, same_seed_same_gradebook);
  tcase_add_test(cls, points_file_sets_the_points);
  suite_add_tcase(s, cls);
  return s;
}
