/* gv_grade.c: one student: build, list, then each layer's forward and backward. */
#define _GNU_SOURCE /* mkdtemp, readlink in unistd */
#include "gv_grade.h"

#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gsl/gsl_errno.h>

#include "gv_assign.h"
#include "gv_grade_run.h"
#include "gv_judge.h"
#include "gv_ref.h"

const char *gv_fn_verdict_name(gv_fn_verdict v)
{
  static const char *names[] = {"pass", "wrong", "crashed", "missing", "not run"};
  return v <= GV_FN_NOT_RUN ? names[v] : "?";
}

static int executable_file(const char *p)
{
  return p && access(p, X_OK) == 0;
}

static const char *find_runner(void)
{
  static char buf[PATH_MAX];
  const char *env = getenv("GRADVERIFY_RUNNER");
  if (env && *env)
    return env;
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 32);
  if (n > 0) {
    buf[n] = '\0';
    char *slash = strrchr(buf, '/');
    if (slash) {
      strcpy(slash + 1, "gradverify-runner");
      if (executable_file(buf))
        return buf;
    }
  }
  return GV_LIBEXECDIR "/gradverify-runner";
}

static const char *find_cc(void)
{
  static char buf[PATH_MAX];
  const char *env = getenv("CC");
  if (env && env[0] == '/')
    return env;
  const char *path = getenv("PATH");
  for (const char *p = path ? path : "/usr/bin:/bin"; p && *p;) {
    const char *end = strchr(p, ':');
    size_t len = end ? (size_t)(end - p) : strlen(p);
    snprintf(buf, sizeof buf, "%.*s/cc", (int)len, p);
    if (len && executable_file(buf))
      return buf;
    p = end ? end + 1 : NULL;
  }
  return NULL;
}

void gv_grade_locate(const char **runner, const char **cc, const char **include)
{
  static char probe[PATH_MAX];
  *runner = find_runner();
  *cc = find_cc();
  const char *env = getenv("GRADVERIFY_INCLUDE");
  snprintf(probe, sizeof probe, "%s/gradverify/assignment.h", GV_SOURCE_INCLUDEDIR);
  if (env && *env)
    *include = env;
  else
    *include = access(probe, R_OK) == 0 ? GV_SOURCE_INCLUDEDIR : GV_INCLUDEDIR;
}

void gv_grade_opts_init(gv_grade_opts *o)
{
  *o = (gv_grade_opts){.seed = 1};
  gv_sandbox_limits_call(&o->call_limits);
  gv_sandbox_limits_call(&o->compile_limits);
  o->compile_limits.wall_seconds = 60.0;
  o->compile_limits.cpu_seconds = 30;
  o->compile_limits.address_space = (rlim_t)2 << 30;
  o->compile_limits.file_size = (rlim_t)64 << 20;
  o->compile_limits.output_max = 65536;
  gv_grade_locate(&o->runner, &o->cc, &o->include);
}

static int ends_with(const char *s, const char *suffix)
{
  size_t n = strlen(s), m = strlen(suffix);
  return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Compiles the C file src into lib, in the sandbox; the log goes to s. */
static int compile(const gv_grade_opts *o, const char *src, const char *lib, gv_student *s)
{
  if (!o->cc)
    return GSL_EFAILED;
  const char *argv[] = {o->cc,     "-std=c11",   "-shared",  "-fPIC", "-O1", "-Wall",
                        "-Wextra", "-I",         o->include, src,     "-o",  lib,
                        "-lgsl",   "-lgslcblas", "-lm",      NULL};
  gv_sandbox_result res;
  int status = gv_sandbox_run(argv, NULL, 0, &o->compile_limits, &res);
  if (status)
    return status;
  free(s->build_log);
  s->build_log = res.err;
  res.err = NULL;
  s->compiled = 1;
  s->load_failed = !(res.end == GV_END_EXIT && res.code == 0);
  gv_sandbox_result_free(&res);
  return GSL_SUCCESS;
}

static int init_student(const char *path, const gv_grade_opts *o, gv_student *s)
{
  *s = (gv_student){.nfn = gv_assign_nfns};
  s->path = strdup(path);
  s->build_log = strdup("");
  s->fn = calloc(gv_assign_nfns, sizeof *s->fn);
  if (!s->path || !s->build_log || !s->fn)
    return GSL_ENOMEM;
  for (size_t k = 0; k < s->nfn; k++) {
    gv_fn_grade *g = &s->fn[k];
    g->fn = (int)k;
    g->verdict = GV_FN_NOT_RUN;
    g->out = strdup("");
    g->err = strdup("");
    if (!g->out || !g->err)
      return GSL_ENOMEM;
    g->max_points = o->points                   ? o->points[k]
                    : gv_assign_fns[k].backward ? GV_GRADE_POINTS_BACKWARD
                                                : GV_GRADE_POINTS_FORWARD;
    s->max_points += g->max_points;
  }
  return GSL_SUCCESS;
}

/* Which functions lib defines; a failure here is every function's. */
static int list(const gv_grade_opts *o, const char *lib, gv_student *s, int *has)
{
  gv_fn_grade probe = {.out = NULL};
  gsl_matrix *shape = gsl_matrix_alloc(1, gv_assign_nfns);
  if (!shape)
    return GSL_ENOMEM;
  gv_replies r;
  const gsl_matrix *sh[1] = {shape};
  int status = gv_grade_run(o, lib, NULL, NULL, 1, 1, sh, &probe, &r);
  gsl_matrix_free(shape);
  if (status == GSL_SUCCESS) {
    for (size_t k = 0; k < gv_assign_nfns; k++)
      has[k] = gsl_matrix_get(r.rec[0].mat[0], 0, k) != 0.0;
    gv_replies_free(&r);
  } else if (status == GSL_CONTINUE) {
    s->load_failed = 1;
    char *log = malloc(strlen(s->build_log) + strlen(probe.summary) + strlen(probe.err) + 4);
    if (log) {
      sprintf(log, "%s%s\n%s", s->build_log, probe.summary, probe.err);
      free(s->build_log);
      s->build_log = log;
    }
    status = GSL_SUCCESS;
  }
  free(probe.out);
  free(probe.err);
  return status;
}

static int grade_forward(const gv_grade_opts *o, const char *lib, gv_judge_draw *d, gv_fn_grade *g)
{
  gv_buf req;
  gv_buf_init(&req);
  size_t ncalls = 0;
  gv_replies r;
  const gsl_matrix *shape[1] = {d->out};
  int status = gv_judge_forward_request(d, &req, &ncalls);
  if (!status)
    status = gv_grade_run(o, lib, gv_assign_fns[g->fn].name, &req, ncalls, 1, shape, g, &r);
  if (status == GSL_SUCCESS) {
    status = gv_judge_forward(d, r.rec, ncalls, g);
    gv_replies_free(&r);
  }
  gv_buf_free(&req);
  return status == GSL_CONTINUE ? GSL_SUCCESS : status;
}

static int grade_backward(const gv_grade_opts *o, const char *lib, const gv_judge_draw *d,
                          gv_fn_grade *g)
{
  gv_buf req;
  gv_buf_init(&req);
  gv_replies r;
  int status = gv_judge_backward_request(d, &req);
  if (!status)
    status = gv_grade_run(o, lib, gv_assign_fns[g->fn].name, &req, 1, d->ngrad,
                          (const gsl_matrix *const *)d->grad, g, &r);
  if (status == GSL_SUCCESS) {
    status = gv_judge_backward(d, &r.rec[0], g);
    gv_replies_free(&r);
  }
  gv_buf_free(&req);
  return status == GSL_CONTINUE ? GSL_SUCCESS : status;
}

/* The forward (index fwd) and backward (fwd + 1) of one layer, on one draw. */
static int grade_layer(const gv_grade_opts *o, const char *lib, size_t fwd, const int *has,
                       gv_student *s)
{
  const gv_ref_layer *ref = gv_ref_find(gv_assign_fns[fwd].layer);
  if (!ref)
    return GSL_EFAILED;
  gv_judge_draw d;
  /* One draw per layer and seed, the same for every student. */
  int status = gv_judge_draw_alloc(ref, o->seed * 1000003ul + fwd, &d);
  for (size_t k = fwd; k <= fwd + 1 && !status; k++) {
    gv_fn_grade *g = &s->fn[k];
    if (!has[k]) {
      g->verdict = GV_FN_MISSING;
      snprintf(g->summary, sizeof g->summary, "missing: the submission does not define %s",
               gv_assign_fns[k].name);
    } else if (gv_assign_fns[k].backward) {
      status = grade_backward(o, lib, &d, g);
    } else {
      status = grade_forward(o, lib, &d, g);
    }
  }
  gv_judge_draw_free(&d);
  return status;
}

static int grade_lib(const gv_grade_opts *o, const char *lib, gv_student *s)
{
  int has[64] = {0};
  int status = list(o, lib, s, has);
  for (size_t k = 0; k + 1 < gv_assign_nfns && !status && !s->load_failed; k += 2)
    status = grade_layer(o, lib, k, has, s);
  return status;
}

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
  (void)sb, (void)flag, (void)ftw;
  remove(path);
  return 0;
}

int gv_grade_student(const char *path, const gv_grade_opts *o, gv_student *s)
{
  int status = init_student(path, o, s);
  if (status)
    return status;
  if (!o->runner || gv_assign_nfns > 64)
    return GSL_EFAILED;
  char *abs = realpath(path, NULL);
  const char *tmpdir = getenv("TMPDIR");
  char dir[PATH_MAX], lib[PATH_MAX + 16];
  snprintf(dir, sizeof dir, "%s/gradverify-grade.XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
  if (!abs) {
    s->load_failed = 1; /* no such file: every function not run */
  } else if (!ends_with(abs, ".c")) {
    status = grade_lib(o, abs, s);
  } else if (!mkdtemp(dir)) {
    status = GSL_EFAILED;
  } else {
    snprintf(lib, sizeof lib, "%s/submission.so", dir);
    status = compile(o, abs, lib, s);
    if (!status && !s->load_failed)
      status = grade_lib(o, lib, s);
    nftw(dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
  }
  free(abs);
  for (size_t k = 0; k < s->nfn; k++) {
    s->fn[k].points = s->fn[k].verdict == GV_FN_PASS ? s->fn[k].max_points : 0.0;
    s->points += s->fn[k].points;
  }
  return status;
}

void gv_student_free(gv_student *s)
{
  for (size_t k = 0; s->fn && k < s->nfn; k++) {
    free(s->fn[k].out);
    free(s->fn[k].err);
    gsl_matrix_free(s->fn[k].heat);
  }
  free(s->fn);
  free(s->path);
  free(s->build_log);
  *s = (gv_student){.nfn = 0};
}
