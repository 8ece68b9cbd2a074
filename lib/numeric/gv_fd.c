/* gv_fd.c: central differences over vectors, matrices and vector functions. */
#include "gv_fd.h"

#include <float.h>
#include <math.h>

#include <gsl/gsl_errno.h>

#include "gv_alloc.h"

int gv_fd_eval(const gv_fd_scalar *fn, double *fx)
{
  int status = fn->f(fn->params, fx);
  if (status)
    return status;
  return isfinite(*fx) ? GSL_SUCCESS : GSL_EBADFUNC;
}

int gv_fd_eval_vector(const gv_fd_vector *fn, gsl_vector *fx)
{
  int status = fn->f(fn->params, fx);
  if (status)
    return status;
  for (size_t j = 0; j < fx->size; j++)
    if (!isfinite(gsl_vector_get(fx, j)))
      return GSL_EBADFUNC;
  return GSL_SUCCESS;
}

/* The four abscissae of one entry: x0 +- h and x0 +- h/2, as stored. */
typedef struct {
  double x0, xp, xm, xp2, xm2;
} stencil;

static stencil stencil_with(double x0, double h)
{
  return (stencil){x0, x0 + h, x0 - h, x0 + 0.5 * h, x0 - 0.5 * h};
}

static stencil stencil_at(double x0)
{
  return stencil_with(x0, gv_fd_step(x0));
}

/* (4/3) |D(h) - D(h/2)| is the h^2 term of D(h) exactly, and the h^4 term
 * and the noise of D(h/2) (twice D(h)'s) make it fall short about half the
 * time (55% coverage on the softmax Jacobian at logits near 300, where
 * truncation dominates): the factor makes it a bound. */
#define TRUNC_SAFETY 2.0

/* The error bar from the four function values: see gv_fd.h. */
static double error_bar(const stencil *s, double fp, double fm, double fp2, double fm2)
{
  double d1 = (fp - fm) / (s->xp - s->xm), d2 = (fp2 - fm2) / (s->xp2 - s->xm2);
  double trunc = TRUNC_SAFETY * 4.0 / 3.0 * fabs(d1 - d2);
  double round = GV_FD_ROUNDOFF_ULPS * DBL_EPSILON * (fabs(fp) + fabs(fm)) / (s->xp - s->xm);
  return trunc + round;
}

int gv_fd_derivative(const gv_fd_scalar *fn, double *xi, double *d, double *err)
{
  const stencil s = stencil_at(*xi);
  double fp, fm, fp2 = 0.0, fm2 = 0.0;
  int status;
  *xi = s.xp;
  if ((status = gv_fd_eval(fn, &fp)))
    goto restore;
  *xi = s.xm;
  if ((status = gv_fd_eval(fn, &fm)))
    goto restore;
  if (err) {
    *xi = s.xp2;
    if ((status = gv_fd_eval(fn, &fp2)))
      goto restore;
    *xi = s.xm2;
    if ((status = gv_fd_eval(fn, &fm2)))
      goto restore;
  }
restore:
  *xi = s.x0; /* restored exactly, whatever happened */
  if (status)
    return status;
  *d = (fp - fm) / (s.xp - s.xm);
  if (err)
    *err = error_bar(&s, fp, fm, fp2, fm2);
  return GSL_SUCCESS;
}

int gv_fd_gradient(const gv_fd_scalar *fn, gsl_vector *x, gsl_vector *grad, gsl_vector *err)
{
  if (grad->size != x->size || (err && err->size != x->size))
    return GSL_EBADLEN;
  for (size_t i = 0; i < x->size; i++) {
    int status = gv_fd_derivative(fn, gsl_vector_ptr(x, i), gsl_vector_ptr(grad, i),
                                  err ? gsl_vector_ptr(err, i) : NULL);
    if (status)
      return status;
  }
  return GSL_SUCCESS;
}

int gv_fd_gradient_matrix(const gv_fd_scalar *fn, gsl_matrix *X, gsl_matrix *G, gsl_matrix *E)
{
  if (G->size1 != X->size1 || G->size2 != X->size2 ||
      (E && (E->size1 != X->size1 || E->size2 != X->size2)))
    return GSL_EBADLEN;
  for (size_t i = 0; i < X->size1; i++)
    for (size_t j = 0; j < X->size2; j++) {
      int status = gv_fd_derivative(fn, gsl_matrix_ptr(X, i, j), gsl_matrix_ptr(G, i, j),
                                    E ? gsl_matrix_ptr(E, i, j) : NULL);
      if (status)
        return status;
    }
  return GSL_SUCCESS;
}

/* One row of the Jacobian: the derivatives of all m outputs in entry *xi. */
static int jacobian_row(const gv_fd_vector *fn, double *xi, gsl_vector *f[4], gsl_vector *drow,
                        gsl_vector *erow)
{
  const stencil s = stencil_at(*xi);
  const double at[4] = {s.xp, s.xm, s.xp2, s.xm2};
  int status = GSL_SUCCESS;
  for (int k = 0; k < (erow ? 4 : 2) && !status; k++) {
    *xi = at[k];
    status = gv_fd_eval_vector(fn, f[k]);
  }
  *xi = s.x0;
  if (status)
    return status;
  for (size_t j = 0; j < fn->m; j++) {
    double fp = gsl_vector_get(f[0], j), fm = gsl_vector_get(f[1], j);
    gsl_vector_set(drow, j, (fp - fm) / (s.xp - s.xm));
    if (erow)
      gsl_vector_set(erow, j,
                     error_bar(&s, fp, fm, gsl_vector_get(f[2], j), gsl_vector_get(f[3], j)));
  }
  return GSL_SUCCESS;
}

int gv_fd_jacobian(const gv_fd_vector *fn, gsl_vector *x, gsl_matrix *D, gsl_matrix *E)
{
  if (fn->m == 0 || D->size1 != x->size || D->size2 != fn->m ||
      (E && (E->size1 != D->size1 || E->size2 != D->size2)))
    return GSL_EBADLEN;
  gsl_vector *f[4];
  int status = GSL_SUCCESS;
  for (int k = 0; k < 4; k++)
    if (!(f[k] = gv_vector_alloc(fn->m)))
      status = GSL_ENOMEM;
  for (size_t i = 0; i < x->size && !status; i++) {
    gsl_vector_view drow = gsl_matrix_row(D, i);
    gsl_vector_view erow = E ? gsl_matrix_row(E, i) : drow;
    status = jacobian_row(fn, gsl_vector_ptr(x, i), f, &drow.vector, E ? &erow.vector : NULL);
  }
  for (int k = 0; k < 4; k++)
    if (f[k])
      gsl_vector_free(f[k]);
  return status;
}

/* One side of a kink-aware estimate: f0 at x0, fh at xh = x0 +- h, f2 at
 * x2 = x0 +- h/2 (stored abscissae). D(s) = (f(x0 + s) - f0) / s has error
 * c s + O(s^2), so 2 D(h/2) - D(h) cancels c s and |D(h/2) - D(h)| bounds
 * what is left. The round-off of 2 D(h/2) - D(h) is twice D(h/2)'s plus D(h)'s. */
static void one_side(double x0, double f0, double xh, double fh, double x2, double f2, double *d,
                     double *err)
{
  double d1 = (fh - f0) / (xh - x0), d2 = (f2 - f0) / (x2 - x0);
  double r1 = GV_FD_ROUNDOFF_ULPS * DBL_EPSILON * (fabs(fh) + fabs(f0)) / fabs(xh - x0);
  double r2 = GV_FD_ROUNDOFF_ULPS * DBL_EPSILON * (fabs(f2) + fabs(f0)) / fabs(x2 - x0);
  *d = 2.0 * d2 - d1;
  *err = fabs(d2 - d1) + 2.0 * r2 + r1;
}

void gv_fd_sided_from_values(double x0, double h, double f0, const double fv[4], gv_fd_sided *d)
{
  const stencil s = stencil_with(x0, h);
  d->central = (fv[0] - fv[1]) / (s.xp - s.xm);
  d->central_err = error_bar(&s, fv[0], fv[1], fv[2], fv[3]);
  one_side(x0, f0, s.xp, fv[0], s.xp2, fv[2], &d->right, &d->right_err);
  one_side(x0, f0, s.xm, fv[1], s.xm2, fv[3], &d->left, &d->left_err);
}

int gv_fd_derivative_sided(const gv_fd_scalar *fn, double *xi, double h, double f0, gv_fd_sided *d)
{
  const stencil s = stencil_with(*xi, h);
  const double at[4] = {s.xp, s.xm, s.xp2, s.xm2};
  double fv[4];
  int status = GSL_SUCCESS;
  for (int k = 0; k < 4 && !status; k++) {
    *xi = at[k];
    status = gv_fd_eval(fn, &fv[k]);
  }
  *xi = s.x0; /* restored exactly, whatever happened */
  if (status)
    return status;
  gv_fd_sided_from_values(s.x0, h, f0, fv, d);
  return GSL_SUCCESS;
}

int gv_fd_vector_stencil(const gv_fd_vector *fn, double *xi, double h, gsl_vector *const fv[4])
{
  return gv_fd_vector_points(fn, xi, h, 0, 4, fv);
}

int gv_fd_vector_points(const gv_fd_vector *fn, double *xi, double h, int from, int to,
                        gsl_vector *const fv[4])
{
  if (from < 0 || to > 4 || from >= to)
    return GSL_EINVAL;
  for (int k = from; k < to; k++)
    if (fv[k]->size != fn->m)
      return GSL_EBADLEN;
  const stencil s = stencil_with(*xi, h);
  const double at[4] = {s.xp, s.xm, s.xp2, s.xm2};
  int status = GSL_SUCCESS;
  for (int k = from; k < to && !status; k++) {
    *xi = at[k];
    status = gv_fd_eval_vector(fn, fv[k]);
  }
  *xi = s.x0;
  return status;
}

/* The third divided difference f[a, b, c, d] of four values at distinct
 * abscissae, by Newton's table: f'''(xi) / 6 for some xi in their span. */
static double divided3(const double x[4], const double f[4])
{
  double t[4] = {f[0], f[1], f[2], f[3]};
  for (int order = 1; order < 4; order++)
    for (int k = 3; k >= order; k--)
      t[k] = (t[k] - t[k - 1]) / (x[k] - x[k - order]);
  return t[3];
}

void gv_fd_third_from_values(double x0, double h, double f0, const double fv[3], gv_fd_sided *d)
{
  const stencil s = stencil_with(x0, h);
  const double x[4] = {s.xm, s.x0, s.xp2, s.xp}, f[4] = {fv[1], f0, fv[2], fv[0]};
  const double w = s.xp - s.xm; /* 2h as stored */
  d->central = (fv[0] - fv[1]) / w;
  /* D(h)'s truncation is h^2 f'''/6 = h^2 f[...]: TRUNC_SAFETY times it. */
  const double trunc = TRUNC_SAFETY * 0.25 * w * w * fabs(divided3(x, f));
  const double round = GV_FD_ROUNDOFF_ULPS * DBL_EPSILON * (fabs(fv[0]) + fabs(fv[1])) / w;
  d->central_err = trunc + round;
  d->left = d->right = d->central;
  d->left_err = d->right_err = d->central_err;
}

/* Richardson's extrapolation of D(a) and D(b) (spans wa < wb as stored)
 * that removes their h^2 term exactly for the stored spans. */
static double richardson(double da, double wa, double db, double wb)
{
  return (wb * wb * da - wa * wa * db) / (wb * wb - wa * wa);
}

void gv_fd_fourth_from_values(double x0, double H, const double fv[6], double *d, double *err)
{
  const double w4 = (x0 + 4.0 * H) - (x0 - 4.0 * H), w2 = (x0 + 2.0 * H) - (x0 - 2.0 * H);
  const double w1 = (x0 + H) - (x0 - H);
  const double d4 = (fv[0] - fv[1]) / w4, d2 = (fv[2] - fv[3]) / w2, d1 = (fv[4] - fv[5]) / w1;
  const double e1 = richardson(d1, w1, d2, w2), e2 = richardson(d2, w2, d4, w4);
  /* e2 - e1 = (16 - 1) c H^4 + (64 - 1) c' H^6 ...: e1's h^4 term is a
   * fifteenth of it, and TRUNC_SAFETY times that covers the h^6 term too. */
  const double trunc = TRUNC_SAFETY * fabs(e2 - e1) / 15.0;
  /* e1 = a D(H) - b D(2H): the rounding of each value times its weight. */
  const double a = w2 * w2 / (w2 * w2 - w1 * w1), b = w1 * w1 / (w2 * w2 - w1 * w1);
  const double round =
      GV_FD_ROUNDOFF_ULPS * DBL_EPSILON *
      (a * (fabs(fv[4]) + fabs(fv[5])) / w1 + b * (fabs(fv[2]) + fabs(fv[3])) / w2);
  *d = e1;
  *err = trunc + round;
}
