/* gv_grade_run.h: one run of the runner on a submission, and what its
 * replies say. Internal to lib/grade. */
#ifndef GV_GRADE_RUN_H
#define GV_GRADE_RUN_H

#include <stddef.h>

#include "gv_grade.h"
#include "gv_wire.h"

/* The replies of one run: n call replies, each with the outputs asked for. */
typedef struct {
  size_t n;
  gv_wire_record *rec; /* n records */
} gv_replies;

void gv_replies_free(gv_replies *r);

/* Runs `runner LIB call NAME` (or `runner LIB list` when name is NULL) on
 * request req (ncalls records; each reply must carry nout matrices shaped like
 * shape[0..nout)), capturing output into g. Returns GSL_SUCCESS with r filled
 * when every call came back; GSL_CONTINUE when the run failed in a way that is
 * the submission's (g's verdict, summary and diagnosis then say how);
 * GSL_EFAILED / GSL_ENOMEM when the grader could not run it. */
int gv_grade_run(const gv_grade_opts *o, const char *lib, const char *name, const gv_buf *req,
                 size_t ncalls, size_t nout, const gsl_matrix *const *shape, gv_fn_grade *g,
                 gv_replies *r);

#endif
