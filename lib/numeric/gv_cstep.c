/* gv_cstep.c: complex-step derivatives. */
#include "gv_cstep.h"

#include <math.h>
#include <stdlib.h>

#include <gsl/gsl_errno.h>

/* glibc's <complex.h> defines CMPLX for GCC only; clang (the fuzz build) has
 * the same builtin. */
#ifndef CMPLX
#define CMPLX(x, y) __builtin_complex((double)(x), (double)(y))
#endif

static int bad_step(double h)
{
  return !isfinite(h) || h < 0.0;
}

static double default_step(double x)
{
  double ax = fabs(x);
  return GV_CSTEP_STEP * (ax > 1.0 ? ax : 1.0);
}

/* The work array: z (n) = x as complex, then fz (m). */
static double complex *work_alloc(const gsl_vector *x, size_t m)
{
  double complex *z = malloc((x->size + m) * sizeof *z);
  if (z)
    for (size_t k = 0; k < x->size; k++)
      z[k] = gsl_vector_get(x, k);
  return z;
}

static int evaluate(const gv_cstep_fn *fn, const double complex *z, size_t n, double complex *fz)
{
  int status = fn->f(fn->params, z, n, fz);
  if (status)
    return status;
  for (size_t j = 0; j < fn->m; j++)
    if (!isfinite(creal(fz[j])) || !isfinite(cimag(fz[j])))
      return GSL_EBADFUNC;
  return GSL_SUCCESS;
}

/* Column by column: row k of D (or grad_k, as a 1-column D) from f(x + i h e_k). */
static int cstep_rows(const gv_cstep_fn *fn, const gsl_vector *x, double h, gsl_vector *grad,
                      gsl_matrix *D)
{
  const size_t n = x->size, m = fn->m;
  double complex *z = work_alloc(x, m);
  if (!z)
    return GSL_ENOMEM;
  double complex *fz = z + n;
  int status = GSL_SUCCESS;
  for (size_t k = 0; k < n && !status; k++) {
    const double xk = gsl_vector_get(x, k), hk = h > 0.0 ? h : default_step(xk);
    z[k] = CMPLX(xk, hk);
    status = evaluate(fn, z, n, fz);
    z[k] = xk;
    if (status)
      break;
    if (grad)
      gsl_vector_set(grad, k, cimag(fz[0]) / hk);
    else
      for (size_t j = 0; j < m; j++)
        gsl_matrix_set(D, k, j, cimag(fz[j]) / hk);
  }
  free(z);
  return status;
}

int gv_cstep_gradient(const gv_cstep_fn *fn, const gsl_vector *x, gsl_vector *grad, double h)
{
  if (fn->m != 1 || grad->size != x->size)
    return GSL_EBADLEN;
  if (x->size == 0 || bad_step(h))
    return GSL_EINVAL;
  return cstep_rows(fn, x, h, grad, NULL);
}

int gv_cstep_jacobian(const gv_cstep_fn *fn, const gsl_vector *x, gsl_matrix *D, double h)
{
  if (fn->m == 0 || D->size1 != x->size || D->size2 != fn->m)
    return GSL_EBADLEN;
  if (x->size == 0 || bad_step(h))
    return GSL_EINVAL;
  return cstep_rows(fn, x, h, NULL, D);
}

int gv_cstep_directional(const gv_cstep_fn *fn, const gsl_vector *x, const gsl_vector *v,
                         gsl_vector *Jv, double h)
{
  const size_t n = x->size, m = fn->m;
  if (m == 0 || v->size != n || Jv->size != m)
    return GSL_EBADLEN;
  if (n == 0 || bad_step(h))
    return GSL_EINVAL;
  double xmax = 0.0, vmax = 0.0;
  for (size_t k = 0; k < n; k++) {
    xmax = fmax(xmax, fabs(gsl_vector_get(x, k)));
    vmax = fmax(vmax, fabs(gsl_vector_get(v, k)));
  }
  if (vmax == 0.0) { /* the derivative along 0 is 0 */
    gsl_vector_set_zero(Jv);
    return GSL_SUCCESS;
  }
  if (h == 0.0)
    h = default_step(xmax) / vmax;
  double complex *z = work_alloc(x, m);
  if (!z)
    return GSL_ENOMEM;
  for (size_t k = 0; k < n; k++)
    z[k] = CMPLX(gsl_vector_get(x, k), h * gsl_vector_get(v, k));
  int status = evaluate(fn, z, n, z + n);
  if (!status)
    for (size_t j = 0; j < m; j++)
      gsl_vector_set(Jv, j, cimag(z[n + j]) / h);
  free(z);
  return status;
}
