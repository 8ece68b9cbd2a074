/* gv_xent.c: cross-entropy loss and gradients. */
#include "gv_xent.h"

#include <math.h>

#include <gsl/gsl_blas.h>
#include <gsl/gsl_errno.h>

#include "gv_softmax.h"

static double sum_of(const gsl_vector *v)
{
  double s = 0.0;
  for (size_t i = 0; i < v->size; i++)
    s += gsl_vector_get(v, i);
  return s;
}

int gv_xent_loss(const gsl_vector *y, const gsl_vector *p, double *L)
{
  if (y->size != p->size)
    return GSL_EBADLEN;
  double sum = 0.0;
  for (size_t i = 0; i < y->size; i++) {
    double yi = gsl_vector_get(y, i);
    if (yi != 0.0)
      sum -= yi * log(gsl_vector_get(p, i));
  }
  *L = sum;
  return GSL_SUCCESS;
}

int gv_xent_loss_logits(const gsl_vector *y, const gsl_vector *a, double *L)
{
  if (y->size != a->size)
    return GSL_EBADLEN;
  double lse;
  int status = gv_logsumexp(a, &lse);
  if (status)
    return status;
  /* -log p_i = lse - a_i exactly, without forming p_i (which may be 0). */
  double sum = 0.0;
  for (size_t i = 0; i < y->size; i++) {
    double yi = gsl_vector_get(y, i);
    if (yi != 0.0)
      sum += yi * (lse - gsl_vector_get(a, i));
  }
  *L = sum;
  return GSL_SUCCESS;
}

int gv_xent_grad_p(const gsl_vector *y, const gsl_vector *p, gsl_vector *g)
{
  if (y->size != p->size || g->size != p->size)
    return GSL_EBADLEN;
  for (size_t i = 0; i < y->size; i++) {
    double yi = gsl_vector_get(y, i), pi = gsl_vector_get(p, i);
    if (yi != 0.0 && pi == 0.0)
      return GSL_EDOM;
    gsl_vector_set(g, i, yi == 0.0 ? 0.0 : -yi / pi);
  }
  return GSL_SUCCESS;
}

int gv_xent_grad_logits(const gsl_vector *y, const gsl_vector *p, gsl_vector *g)
{
  if (y->size != p->size || g->size != p->size)
    return GSL_EBADLEN;
  if (fabs(sum_of(y) - 1.0) > 1e-12 * (double)y->size)
    return GSL_EDOM;
  /* p - y, written as the seed writes it. */
  gsl_vector_memcpy(g, p);
  return gsl_vector_sub(g, y);
}

int gv_xent_grad_logits_general(const gsl_vector *y, const gsl_vector *p, gsl_vector *g)
{
  if (y->size != p->size || g->size != p->size)
    return GSL_EBADLEN;
  /* (diag(p) - p p^T)(-diag(p)^{-1} y) = -y + p (p^T diag(p)^{-1} y) = p (1^T y) - y. */
  gsl_vector_memcpy(g, p);
  gsl_vector_scale(g, sum_of(y));
  return gsl_vector_sub(g, y);
}
