/* gv_grade.h: grading one student's submission of the assignment
 * (gradverify/assignment.h).
 *
 * A submission is a C file (compiled here with the system compiler, in the
 * sandbox) or a shared library. Its code runs only in child processes started
 * through gv_sandbox and the runner: one for the list of functions it defines,
 * then one per function (so that a crash costs that function only). Every
 * verdict is made here, in the grader's process, from the values the child
 * sent back:
 *   - a forward against the reference layer (gv_ref.h), at a seeded draw;
 *   - a backward against central differences of the reference forward
 *     (gv_fd, with error bars; gv_compare's rule with its default
 *     tolerances), and against central differences of the submission's own
 *     forward, so that a student learns whether the backward is wrong or
 *     consistent with a wrong forward;
 *   - a wrong backward is compared with each planted mistake of the layer and,
 *     where none matches, the pattern of its wrong entries is described.
 * The same seed gives the same draws, so the same grades. */
#ifndef GV_GRADE_H
#define GV_GRADE_H

#include <stddef.h>

#include <gsl/gsl_matrix.h>

#include "gv_sandbox.h"

typedef enum {
  GV_FN_PASS = 0,
  GV_FN_WRONG,   /* ran, and its values are wrong (or it returned an error status) */
  GV_FN_CRASHED, /* the process ended badly: signal, time, memory, exit, forbidden call */
  GV_FN_MISSING, /* not defined by the submission */
  GV_FN_NOT_RUN  /* the submission did not compile or load */
} gv_fn_verdict;

/* "pass", "wrong", "crashed", "missing", "not run". */
const char *gv_fn_verdict_name(gv_fn_verdict v);

#define GV_GRADE_WORST 5
#define GV_GRADE_TEXT 512

typedef struct {
  char output[32]; /* the output's name, e.g. "dX" (as long as gv_judge's names) */
  size_t row, col;
  double got, want;
  double ratio; /* error / tolerance: above 1 fails */
} gv_grade_entry;

typedef struct {
  int fn; /* index into gv_assign_fns */
  gv_fn_verdict verdict;
  char summary[GV_GRADE_TEXT];     /* one line: what happened */
  char diagnosis[GV_GRADE_TEXT];   /* for a student: the mistake or the pattern; may be "" */
  char consistency[GV_GRADE_TEXT]; /* backward vs the submission's own forward; may be "" */
  char *out, *err;                 /* what the call printed (bounded), never NULL */
  int out_truncated, err_truncated;
  size_t nworst;
  gv_grade_entry worst[GV_GRADE_WORST]; /* the worst entries, worst first */
  gsl_matrix *heat;                     /* error / tolerance per entry of heat_output, or NULL */
  char heat_output[32];
  double points, max_points;
} gv_fn_grade;

/* Points a function is worth: GV_GRADE_POINTS_FORWARD for a forward,
 * GV_GRADE_POINTS_BACKWARD for a backward, unless a points table says otherwise. */
#define GV_GRADE_POINTS_FORWARD 1.0
#define GV_GRADE_POINTS_BACKWARD 2.0

typedef struct {
  unsigned long seed;
  const char *runner;   /* absolute path of gradverify-runner */
  const char *cc;       /* absolute path of the C compiler */
  const char *include;  /* folder holding gradverify/assignment.h */
  const double *points; /* points per function (gv_assign_nfns), or NULL for the defaults */
  gv_sandbox_limits call_limits;    /* one function's run */
  gv_sandbox_limits compile_limits; /* the compiler's run */
} gv_grade_opts;

/* Defaults: seed 1, the call limits of gv_sandbox_limits_call, a compile limit
 * of 60 s wall and 30 s CPU, runner, compiler and include folder found by
 * gv_grade_locate (NULL when not found: gv_grade_student then fails). */
void gv_grade_opts_init(gv_grade_opts *o);

/* Finds the runner (GRADVERIFY_RUNNER, else beside the running program, else
 * the installed libexec folder), the compiler (CC if absolute, else cc on PATH)
 * and the header (GRADVERIFY_INCLUDE, else the source tree's, else the
 * installed one). Strings are static. */
void gv_grade_locate(const char **runner, const char **cc, const char **include);

typedef struct {
  char *path;      /* as given */
  int compiled;    /* 1 when the file was a C file the grader compiled */
  int load_failed; /* 1 when it did not compile or load: every function NOT_RUN */
  char *build_log; /* the compiler's warnings and errors, or the loader's message ("" if none) */
  size_t nfn;
  gv_fn_grade *fn; /* one per gv_assign_fns entry, in that order */
  double points, max_points;
} gv_student;

/* Grades the submission at path into s (released with gv_student_free).
 * Returns GSL_SUCCESS when grading ran, whatever the grades; GSL_EFAILED when
 * the grader itself could not work (no temporary folder, no runner, no fork),
 * GSL_ENOMEM. Safe to call from several threads at once. */
int gv_grade_student(const char *path, const gv_grade_opts *o, gv_student *s);

void gv_student_free(gv_student *s);

#endif
