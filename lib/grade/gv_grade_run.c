/* gv_grade_run.c: start the runner in the sandbox, read and check what it
 * sent back, and say in words how a run went wrong. */
#define _GNU_SOURCE /* sigdescr_np in gv_sandbox_describe's words */
#include "gv_grade_run.h"

#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>

void gv_replies_free(gv_replies *r)
{
  for (size_t k = 0; k < r->n; k++)
    gv_wire_record_clear(&r->rec[k]);
  free(r->rec);
  *r = (gv_replies){.n = 0};
}

/* What the records of a run say beyond the replies themselves. */
typedef struct {
  int sandboxed, ended, malformed, forbidden, crash_oom;
  long syscall;
  int32_t bad_status; /* the first non-zero status a call returned */
  uint32_t flags;     /* GV_WIRE_FLAG_* of every reply, or-ed */
} run_facts;

static int shape_ok(const gv_wire_record *rec, size_t nout, const gsl_matrix *const *shape)
{
  if (rec->nmat != nout)
    return 0;
  for (size_t k = 0; k < nout; k++)
    if (rec->mat[k]->size1 != shape[k]->size1 || rec->mat[k]->size2 != shape[k]->size2)
      return 0;
  return 1;
}

/* A special record (end, forbidden, crash): 1 if it was one. */
static int special(const gv_wire_record *rec, run_facts *f)
{
  if (rec->status == GV_WIRE_STATUS_END && rec->nmat == 0)
    f->ended = 1;
  else if (rec->status == GV_WIRE_STATUS_SANDBOXED)
    f->sandboxed = 1;
  else if (rec->status == GV_WIRE_STATUS_FORBIDDEN) {
    f->forbidden = 1;
    f->syscall = (long)rec->flags;
  } else if (rec->status == GV_WIRE_STATUS_CRASH)
    f->crash_oom = (rec->flags & GV_WIRE_FLAG_ENOMEM) != 0;
  else
    return 0;
  return 1;
}

static int parse(const gv_sandbox_result *res, size_t ncalls, size_t nout,
                 const gsl_matrix *const *shape, gv_replies *r, run_facts *f)
{
  *f = (run_facts){.malformed = res->reply_truncated};
  r->rec = calloc(ncalls ? ncalls : 1, sizeof *r->rec);
  if (!r->rec)
    return GSL_ENOMEM;
  size_t pos = 0;
  while (pos < res->reply_len && !f->malformed) {
    gv_wire_record rec;
    int rc = gv_wire_get(res->reply, res->reply_len, &pos, &rec);
    if (rc == GSL_ENOMEM)
      return rc;
    if (rc || f->ended)
      f->malformed = 1; /* unreadable, or anything after the end */
    else if (special(&rec, f))
      gv_wire_record_clear(&rec);
    else if (r->n < ncalls && shape_ok(&rec, nout, shape)) {
      if (rec.status && !f->bad_status)
        f->bad_status = rec.status;
      f->flags |= rec.flags;
      r->rec[r->n++] = rec;
    } else {
      gv_wire_record_clear(&rec);
      f->malformed = 1;
    }
  }
  return GSL_SUCCESS;
}

static void crashed(gv_fn_grade *g, const char *fmt, const char *a, const char *b)
{
  g->verdict = GV_FN_CRASHED;
  snprintf(g->summary, sizeof g->summary, fmt, a, b);
}

/* The sentence for a run that did not bring every reply back. */
static void describe_failure(const gv_sandbox_result *res, const gv_grade_opts *o,
                             const run_facts *f, gv_fn_grade *g)
{
  char how[160], extra[200] = "";
  gv_sandbox_describe(res, &o->call_limits, how, sizeof how);
  if (f->forbidden) {
    char *name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, (int)f->syscall);
    crashed(g,
            "stopped: it made a system call the sandbox forbids (%s); a graded function may "
            "only compute: no processes, no files written, no signals%s",
            name ? name : "unknown", "");
    free(name);
  } else if (res->end == GV_END_TIMEOUT || res->end == GV_END_CPU) {
    crashed(g, "stopped: %s%s", how, " (an endless loop?)");
  } else if (res->end == GV_END_SIGNAL) {
    if (f->crash_oom)
      snprintf(extra, sizeof extra,
               ", right after an allocation failed: out of memory (the "
               "limit is %lu MiB of address space)",
               (unsigned long)(o->call_limits.address_space >> 20));
    crashed(g, "crashed: %s%s", how, extra);
  } else if (f->malformed || res->reply_truncated) {
    crashed(g, "sent back a malformed reply (%s%s)", "did it write to file descriptor 3?", "");
  } else if (res->end == GV_END_EXIT && res->code == 11) {
    crashed(g, "could not be loaded: %s%s", res->err, "");
  } else if (res->end == GV_END_EXIT) {
    snprintf(extra, sizeof extra, "%d", res->code);
    crashed(g, "ended the whole process during the call (exit status %s)%s", extra,
            ": a function must return, not call exit()");
  } else {
    crashed(g, "did not run: %s%s", how, "");
  }
}

/* The verdict of a run whose every call came back, but with an error status. */
static void describe_status(const run_facts *f, gv_fn_grade *g)
{
  g->verdict = GV_FN_WRONG;
  snprintf(g->summary, sizeof g->summary, "returned the error status %d (%s)%s%s",
           (int)f->bad_status, gsl_strerror(f->bad_status),
           f->flags & GV_WIRE_FLAG_GSL_ERROR ? "; GSL reported an error (see stderr)" : "",
           f->flags & GV_WIRE_FLAG_ENOMEM ? "; an allocation failed (out of memory)" : "");
}

static void keep_output(gv_sandbox_result *res, gv_fn_grade *g)
{
  free(g->out);
  free(g->err);
  g->out = res->out;
  g->err = res->err;
  g->out_truncated = res->out_truncated;
  g->err_truncated = res->err_truncated;
  res->out = res->err = NULL;
}

/* The runner's own failure (exit 10 or 13), before the submission was loaded. */
static int runner_failed(const gv_sandbox_result *res, const run_facts *f)
{
  return !f->sandboxed && res->end == GV_END_EXIT && (res->code == 10 || res->code == 13);
}

/* Every call came back, well formed, and the runner ended normally. */
static int run_complete(const gv_sandbox_result *res, const run_facts *f, size_t nreplies,
                        size_t ncalls)
{
  return f->ended && !f->malformed && nreplies == ncalls && res->end == GV_END_EXIT &&
         res->code == 0;
}

/* The verdict of a run whose replies were read: GSL_CONTINUE with g's
 * verdict and summary set when it failed or a call returned an error status,
 * GSL_SUCCESS when every reply is good. */
static int judge_run(const gv_sandbox_result *res, const gv_grade_opts *o, const run_facts *f,
                     size_t nreplies, size_t ncalls, gv_fn_grade *g)
{
  if (!run_complete(res, f, nreplies, ncalls)) {
    describe_failure(res, o, f, g);
    return GSL_CONTINUE;
  }
  if (f->bad_status) {
    describe_status(f, g);
    return GSL_CONTINUE;
  }
  return GSL_SUCCESS;
}

int gv_grade_run(const gv_grade_opts *o, const char *lib, const char *name, const gv_buf *req,
                 size_t ncalls, size_t nout, const gsl_matrix *const *shape, gv_fn_grade *g,
                 gv_replies *r)
{
  const char *argv[] = {o->runner, lib, name ? "call" : "list", name, NULL};
  gv_sandbox_result res;
  *r = (gv_replies){.n = 0};
  int status =
      gv_sandbox_run(argv, req ? req->data : NULL, req ? req->len : 0, &o->call_limits, &res);
  if (status || res.end == GV_END_NOEXEC) {
    gv_sandbox_result_free(&res);
    return status ? status : GSL_EFAILED;
  }
  run_facts f;
  status = parse(&res, ncalls, nout, shape, r, &f);
  if (!status && runner_failed(&res, &f)) {
    status = GSL_EFAILED;
  } else {
    if (!status)
      status = judge_run(&res, o, &f, r->n, ncalls, g);
    keep_output(&res, g);
  }
  gv_sandbox_result_free(&res);
  if (status)
    gv_replies_free(r);
  return status;
}
