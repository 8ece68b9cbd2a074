/* gv_trial.c: the analytic/numeric pair shared by all trials. */
#include "gv_trial.h"

#include <math.h>

#include <gsl/gsl_errno.h>

int gv_trial_pair_alloc(gv_trial_pair *t, size_t rows, size_t cols)
{
  t->analytic = gsl_matrix_calloc(rows, cols);
  t->numeric = gsl_matrix_calloc(rows, cols);
  t->err = gsl_matrix_calloc(rows, cols);
  if (!t->analytic || !t->numeric || !t->err) {
    gv_trial_pair_free(t);
    return GSL_ENOMEM;
  }
  return GSL_SUCCESS;
}

void gv_trial_pair_free(gv_trial_pair *t)
{
  if (t->analytic)
    gsl_matrix_free(t->analytic);
  if (t->numeric)
    gsl_matrix_free(t->numeric);
  if (t->err)
    gsl_matrix_free(t->err);
  t->analytic = t->numeric = t->err = NULL;
}

gsl_vector_view gv_trial_col(gsl_matrix *m)
{
  return gsl_matrix_column(m, 0);
}

int gv_trial_pair_compare(const gv_trial_pair *t, const gv_tol *tol, gv_cmp *cmp,
                          gv_trial_info *info)
{
  info->entries = t->analytic->size1 * t->analytic->size2;
  if (info->corrupt != 0.0) {
    size_t imax = 0, jmax = 0;
    for (size_t i = 0; i < t->analytic->size1; i++)
      for (size_t j = 0; j < t->analytic->size2; j++)
        if (fabs(gsl_matrix_get(t->analytic, i, j)) > fabs(gsl_matrix_get(t->analytic, imax, jmax)))
          imax = i, jmax = j;
    double *v = gsl_matrix_ptr(t->analytic, imax, jmax);
    info->corrupted = fabs(*v) >= GV_CORRUPT_MIN;
    if (info->corrupted)
      *v *= 1.0 + info->corrupt;
  }
  size_t failed_before = cmp->nfail;
  int status = gv_cmp_matrix(cmp, t->analytic, t->numeric, t->err, tol);
  if (status || !info->want_heat || cmp->nfail == failed_before)
    return status;
  info->heat = gsl_matrix_alloc(t->analytic->size1, t->analytic->size2);
  if (!info->heat)
    return GSL_ENOMEM;
  for (size_t i = 0; i < t->analytic->size1; i++)
    for (size_t j = 0; j < t->analytic->size2; j++) {
      double ratio;
      gv_cmp_entry_passes(gsl_matrix_get(t->analytic, i, j), gsl_matrix_get(t->numeric, i, j),
                          gsl_matrix_get(t->err, i, j), tol, &ratio);
      gsl_matrix_set(info->heat, i, j, ratio);
    }
  return GSL_SUCCESS;
}
