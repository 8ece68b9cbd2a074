/* gv_check_flat.c: judging entries where f does not move (gv_check_flat.h). */
#include "gv_check_flat.h"

#include <math.h>
#include <stdlib.h>

#include <gsl/gsl_errno.h>

/* How far beyond the variables' own scale a row that moves nowhere within it
 * is probed: far enough for a softmax whose logits sit hundreds apart. */
#define FAR 1e4

/* Numeric exactly 0: f did not move at any step the engine took. */
static int zero(const gv_entry *e)
{
  return e->smooth && e->numeric == 0.0 && isfinite(e->analytic);
}

/* A zero entry whose analytic value says f should have moved. */
static int flat(const gv_entry *e)
{
  return zero(e) && e->analytic != 0.0;
}

/* Row i's state: 0 nothing to do, 1 has flat entries, 2 and some entry moved. */
static int row_state(const gv_outcome *out, size_t i, const gv_flat_result *res)
{
  int any = 0, moved = 0;
  for (size_t j = 0; j < out->cols; j++) {
    any |= flat(&out->entry[i * out->cols + j]);
    moved |= res[i * out->cols + j].moved;
  }
  return any ? 1 + moved : 0;
}

/* Probes the zero entries of column j in rows with flat entries (far: in
 * rows where nothing moved yet), from their first step (far: from the end of
 * the last probe) up to hmax. */
static int probe_column(gv_outcome *out, const gv_fd_vector *fn, double *xi, double hmax, size_t j,
                        int far, const gsl_vector *f0, gsl_vector *fp, gsl_vector *fm,
                        gv_flat_result *res)
{
  for (size_t i = 0; i < out->rows; i++) {
    const size_t k = i * out->cols + j;
    const gv_entry *e = &out->entry[k];
    const int state = row_state(out, i, res);
    if (!zero(e) || !state || (far && state != 1))
      continue;
    /* Far: from the last flat step, so that the first move is bracketed. */
    double h0 = far ? fmax(res[k].step, e->step) : e->step;
    if (!(h0 > 0.0) || h0 > hmax)
      continue;
    int status = gv_flat_probe(fn, xi, i, h0, hmax, f0, fp, fm, &res[k]);
    if (status)
      return status;
  }
  return GSL_SUCCESS;
}

/* Row i: outputs that never moved take the row's largest quantum; then each
 * flat entry is judged against 0 at its resolution. */
static void judge_row(gv_outcome *out, size_t i, gv_flat_result *res, const gv_options *o)
{
  gv_flat_result *row = res + i * out->cols;
  double q_row = 0.0;
  for (size_t j = 0; j < out->cols; j++)
    if (row[j].moved)
      q_row = fmax(q_row, row[j].quantum);
  for (size_t j = 0; j < out->cols; j++) {
    gv_flat_result *r = &row[j];
    gv_entry *e = &out->entry[i * out->cols + j];
    if (!flat(e) || !(r->step > 0.0))
      continue;
    if (!r->moved && q_row > r->quantum) {
      r->quantum = q_row;
      r->resolution = q_row / r->step;
    }
    e->step = r->step;
    gv_outcome_judge_value(e, 0.0, r->resolution, out->floor[i * out->cols + j], o);
  }
}

int gv_check_flat(gv_outcome *out, const gv_fd_vector *fn, gv_check_flat_column column, void *ctx,
                  const gsl_vector *f0, gsl_vector *fp, gsl_vector *fm, const gv_options *o)
{
  const size_t size = out->rows * out->cols;
  size_t nflat = 0;
  for (size_t k = 0; k < size; k++)
    nflat += flat(&out->entry[k]);
  if (!nflat)
    return GSL_SUCCESS;
  gv_flat_result *res = calloc(size, sizeof *res);
  if (!res)
    return GSL_ENOMEM;
  int status = GSL_SUCCESS;
  for (int far = 0; far < 2; far++)
    for (size_t j = 0; j < out->cols && !status; j++) {
      double hmax;
      double *xi = column(ctx, j, &hmax);
      status = probe_column(out, fn, xi, far ? FAR * hmax : hmax, j, far, f0, fp, fm, res);
    }
  for (size_t i = 0; i < out->rows && !status; i++)
    judge_row(out, i, res, o);
  free(res);
  return status;
}
