/* gv_mistakes.c: planted mistakes for the negative controls. */
#include "gv_mistakes.h"

#include <gsl/gsl_blas.h>
#include <gsl/gsl_errno.h>

#include "gv_softmax.h"

int gv_mistake_softmax_sign(const gsl_vector *p, gsl_matrix *J)
{
  int status = gv_softmax_jacobian(p, J);
  if (status)
    return status;
  return gsl_matrix_scale(J, -1.0);
}

int gv_mistake_softmax_diag(const gsl_vector *p, gsl_matrix *J)
{
  if (J->size1 != p->size || J->size2 != p->size)
    return GSL_EBADLEN;
  gsl_matrix_set_zero(J);
  gsl_vector_view d = gsl_matrix_diagonal(J);
  return gsl_vector_memcpy(&d.vector, p);
}

int gv_mistake_relu_nomask(const gsl_matrix *V, const gsl_vector *delta1, gsl_vector *out)
{
  if (V->size1 != delta1->size || V->size2 != out->size)
    return GSL_EBADLEN;
  return gsl_blas_dgemv(CblasTrans, 1.0, V, delta1, 0.0, out);
}

int gv_mistake_grad_W_nomask(const gsl_matrix *V, const gsl_vector *delta1, const gsl_vector *x,
                             gsl_matrix *dW)
{
  if (V->size1 != delta1->size || dW->size1 != V->size2 || dW->size2 != x->size)
    return GSL_EBADLEN;
  for (size_t i = 0; i < dW->size1; i++) {
    gsl_vector_const_view Vi = gsl_matrix_const_column(V, i);
    double d;
    int status = gsl_blas_ddot(&Vi.vector, delta1, &d);
    if (status)
      return status;
    for (size_t j = 0; j < x->size; j++)
      gsl_matrix_set(dW, i, j, d * gsl_vector_get(x, j));
  }
  return GSL_SUCCESS;
}

int gv_mistake_outer_order(const gsl_vector *delta1, const gsl_vector *h, gsl_matrix *dV)
{
  if (dV->size1 != delta1->size || dV->size2 != h->size || dV->tda != dV->size2)
    return GSL_EBADLEN;
  gsl_matrix_view wrong = gsl_matrix_view_array(dV->data, h->size, delta1->size);
  gsl_matrix_set_zero(&wrong.matrix);
  return gsl_blas_dger(1.0, h, delta1, &wrong.matrix);
}

int gv_mistake_soft_labels(const gsl_vector *y, const gsl_vector *p, gsl_vector *g)
{
  if (y->size != p->size || g->size != p->size)
    return GSL_EBADLEN;
  gsl_vector_memcpy(g, p);
  return gsl_vector_sub(g, y);
}

int gv_mistake_xTAx(const gsl_matrix *A, const gsl_vector *x, gsl_vector *g)
{
  if (A->size1 != x->size || A->size2 != x->size || g->size != x->size)
    return GSL_EBADLEN;
  return gsl_blas_dgemv(CblasNoTrans, 2.0, A, x, 0.0, g);
}
