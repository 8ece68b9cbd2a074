/* gv_trial.c: the analytic/numeric pair shared by all trials. */
#include "gv_trial.h"

#include <math.h>

#include <float.h>

#include <gsl/gsl_errno.h>

#include "gv_ridders.h"
#include "gv_taylor.h"

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

int gv_trial_gradient(gv_trial_info *info, const gv_fd_scalar *fn, gsl_vector *x, gsl_vector *g,
                      gsl_vector *e)
{
  info->used = info->method == GV_METHOD_CENTRAL ? GV_METHOD_CENTRAL : GV_METHOD_RIDDERS;
  if (info->used == GV_METHOD_CENTRAL)
    return gv_fd_gradient(fn, x, g, e);
  return gv_ridders_gradient(fn, x, g, e);
}

int gv_trial_gradient_matrix(gv_trial_info *info, const gv_fd_scalar *fn, gsl_matrix *X,
                             gsl_matrix *G, gsl_matrix *E)
{
  info->used = info->method == GV_METHOD_CENTRAL ? GV_METHOD_CENTRAL : GV_METHOD_RIDDERS;
  if (info->used == GV_METHOD_CENTRAL)
    return gv_fd_gradient_matrix(fn, X, G, E);
  return gv_ridders_gradient_matrix(fn, X, G, E);
}

int gv_trial_jacobian(gv_trial_info *info, const gv_fd_vector *fn, gsl_vector *x, gsl_matrix *D,
                      gsl_matrix *E)
{
  info->used = info->method == GV_METHOD_CENTRAL ? GV_METHOD_CENTRAL : GV_METHOD_RIDDERS;
  if (info->used == GV_METHOD_CENTRAL)
    return gv_fd_jacobian(fn, x, D, E);
  return gv_ridders_jacobian(fn, x, D, E);
}

void gv_trial_cstep_errbar(const gsl_matrix *N, gsl_matrix *E)
{
  double scale = 0.0;
  for (size_t i = 0; i < N->size1; i++)
    for (size_t j = 0; j < N->size2; j++)
      scale = fmax(scale, fabs(gsl_matrix_get(N, i, j)));
  gsl_matrix_set_all(E, GV_TRIAL_CSTEP_ULPS * DBL_EPSILON * scale);
}

int gv_trial_taylor(gv_trial_info *info, const gv_fd_scalar *fn, const gv_fd_vector *vector_fn,
                    gsl_vector *x, const gsl_matrix *analytic)
{
  if (!info->taylor)
    return GSL_SUCCESS;
  gsl_vector *v = gsl_vector_alloc(x->size);
  if (!v)
    return GSL_ENOMEM;
  gv_taylor_result res;
  gv_taylor_options opt = {.eps0 = info->taylor_eps0, .fscale = info->taylor_fscale};
  int status = gv_taylor_direction(info->taylor, v);
  if (!status && fn) {
    if (analytic->tda != analytic->size2 || analytic->size1 * analytic->size2 != x->size)
      status = GSL_EBADLEN;
    else {
      gsl_vector_const_view g =
          gsl_vector_const_view_array(analytic->data, analytic->size1 * analytic->size2);
      status = gv_taylor_test(fn, x, &g.vector, v, &opt, &res);
    }
  } else if (!status) {
    status = gv_taylor_test_vector(vector_fn, x, analytic, v, &opt, &res);
  }
  gsl_vector_free(v);
  if (status)
    return status;
  info->taylor_verdict = res.verdict;
  info->taylor_slope = res.slope;
  return GSL_SUCCESS;
}
