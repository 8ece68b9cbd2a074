/* gv_identity.c: matrix-calculus identities and a concrete chain rule. */
#include "gv_identity.h"

#include <math.h>

#include <gsl/gsl_blas.h>
#include <gsl/gsl_errno.h>

#include "gv_softmax.h"

int gv_identity_xTa(const gsl_vector *a, gsl_vector *g)
{
  if (g->size != a->size)
    return GSL_EBADLEN;
  return gsl_vector_memcpy(g, a);
}

int gv_identity_Ax(const gsl_matrix *A, gsl_matrix *D)
{
  if (D->size1 != A->size2 || D->size2 != A->size1)
    return GSL_EBADLEN;
  return gsl_matrix_transpose_memcpy(D, A);
}

int gv_identity_aTXb(const gsl_vector *a, const gsl_vector *b, gsl_matrix *G)
{
  if (G->size1 != a->size || G->size2 != b->size)
    return GSL_EBADLEN;
  gsl_matrix_set_zero(G);
  return gsl_blas_dger(1.0, a, b, G);
}

int gv_identity_xTAx(const gsl_matrix *A, const gsl_vector *x, gsl_vector *g)
{
  if (A->size1 != x->size || A->size2 != x->size || g->size != x->size)
    return GSL_EBADLEN;
  /* A x + A^T x: two products rather than forming A + A^T. */
  int status = gsl_blas_dgemv(CblasNoTrans, 1.0, A, x, 0.0, g);
  if (status)
    return status;
  return gsl_blas_dgemv(CblasTrans, 1.0, A, x, 1.0, g);
}

int gv_identity_sqnorm(const gsl_vector *x, gsl_vector *g)
{
  if (g->size != x->size)
    return GSL_EBADLEN;
  gsl_vector_memcpy(g, x);
  return gsl_vector_scale(g, 2.0);
}

static int chain_sizes(const gv_chain *ch, const gsl_vector *x, const gsl_vector *u)
{
  if (ch->B->size2 != x->size || ch->B->size1 != u->size || ch->c->size != u->size)
    return GSL_EBADLEN;
  return GSL_SUCCESS;
}

int gv_chain_inner(const gv_chain *ch, const gsl_vector *x, gsl_vector *u)
{
  int status = chain_sizes(ch, x, u);
  if (status)
    return status;
  gsl_vector_memcpy(u, ch->c);
  status = gsl_blas_dgemv(CblasNoTrans, 1.0, ch->B, x, 1.0, u);
  if (status)
    return status;
  for (size_t i = 0; i < u->size; i++)
    gsl_vector_set(u, i, tanh(gsl_vector_get(u, i)));
  return GSL_SUCCESS;
}

int gv_chain_value(const gv_chain *ch, const gsl_vector *x, gsl_vector *u, double *value)
{
  int status = gv_chain_inner(ch, x, u);
  if (status)
    return status;
  return gv_logsumexp(u, value);
}

int gv_chain_jacobian_inner(const gv_chain *ch, const gsl_vector *x, gsl_matrix *Dg)
{
  size_t n = ch->B->size1, m = ch->B->size2;
  if (x->size != m || ch->c->size != n || Dg->size1 != m || Dg->size2 != n)
    return GSL_EBADLEN;
  /* Dg(k, i) = dg_i/dx_k = B(i, k) (1 - tanh^2(B_i x + c_i)). */
  for (size_t i = 0; i < n; i++) {
    gsl_vector_const_view Bi = gsl_matrix_const_row(ch->B, i);
    double s;
    int status = gsl_blas_ddot(&Bi.vector, x, &s);
    if (status)
      return status;
    double t = tanh(s + gsl_vector_get(ch->c, i));
    for (size_t k = 0; k < m; k++)
      gsl_matrix_set(Dg, k, i, gsl_matrix_get(ch->B, i, k) * (1.0 - t * t));
  }
  return GSL_SUCCESS;
}

int gv_chain_grad_outer(const gsl_vector *u, gsl_vector *df)
{
  return gv_softmax(u, df);
}

int gv_chain_grad(const gv_chain *ch, const gsl_vector *x, gsl_matrix *Dg, gsl_vector *u,
                  gsl_vector *df, gsl_vector *grad)
{
  int status = chain_sizes(ch, x, u);
  if (status)
    return status;
  if (df->size != u->size || grad->size != x->size)
    return GSL_EBADLEN;
  status = gv_chain_jacobian_inner(ch, x, Dg);
  if (!status)
    status = gv_chain_inner(ch, x, u);
  if (!status)
    status = gv_chain_grad_outer(u, df);
  if (!status) /* (m x n)(n) -> m: the seed's order, inner derivative first. */
    status = gsl_blas_dgemv(CblasNoTrans, 1.0, Dg, df, 0.0, grad);
  return status;
}
