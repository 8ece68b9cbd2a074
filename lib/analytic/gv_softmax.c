/* gv_softmax.c: stable softmax and its Jacobian. */
#include "gv_softmax.h"

#include <math.h>

#include <gsl/gsl_blas.h>
#include <gsl/gsl_errno.h>

int gv_logsumexp(const gsl_vector *a, double *lse)
{
  if (a->size == 0)
    return GSL_EINVAL;
  double amax = gsl_vector_max(a);
  if (!isfinite(amax)) {
    /* +inf dominates, -inf everywhere means an empty sum, NaN propagates. */
    *lse = amax;
    return GSL_SUCCESS;
  }
  double sum = 0.0;
  for (size_t i = 0; i < a->size; i++)
    sum += exp(gsl_vector_get(a, i) - amax);
  /* sum >= 1 because the maximum contributes exp(0): log cannot underflow. */
  *lse = amax + log(sum);
  return GSL_SUCCESS;
}

int gv_softmax(const gsl_vector *a, gsl_vector *p)
{
  if (a->size != p->size)
    return GSL_EBADLEN;
  double lse;
  int status = gv_logsumexp(a, &lse);
  if (status)
    return status;
  /* exp(a_i - lse) rather than exp(a_i)/sum: no overflow, and entries far
   * below the maximum underflow gracefully to 0. */
  for (size_t i = 0; i < a->size; i++)
    gsl_vector_set(p, i, exp(gsl_vector_get(a, i) - lse));
  return GSL_SUCCESS;
}

int gv_softmax_jacobian(const gsl_vector *p, gsl_matrix *J)
{
  if (J->size1 != p->size || J->size2 != p->size)
    return GSL_EBADLEN;
  gsl_matrix_set_zero(J);
  int status = gsl_blas_dger(-1.0, p, p, J); /* J = -p p^T */
  if (status)
    return status;
  for (size_t i = 0; i < p->size; i++)
    gsl_matrix_set(J, i, i, gsl_matrix_get(J, i, i) + gsl_vector_get(p, i));
  return GSL_SUCCESS;
}
