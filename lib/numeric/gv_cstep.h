/* gv_cstep.h: complex-step differentiation.
 *
 * For f real on real arguments and analytic near x, f(x + i h e_k) =
 * f(x) + i h df/dx_k - h^2/2 d2f/dx_k^2 + O(h^3), so
 *
 *   df/dx_k = Im f(x + i h e_k) / h + O(h^2)
 *
 * with no subtraction: for h = 1e-20 the truncation error h^2 f'''/6 is far
 * below rounding and the result is exact to a few ulps of f', whatever the
 * function's scale (h may be that small because nothing cancels). One
 * evaluation per entry. The function must have a complex implementation
 * built from analytic operations (gv_complex.h has the seed's), with every
 * comparison (max, ReLU) deciding on the real part only. Where such a
 * comparison sits exactly at a kink, the complex step returns the derivative
 * of the branch the comparison takes, not an average of the two slopes.
 *
 * Layout: gradients are shaped like their variable; the Jacobian of
 * F: R^n -> R^m is n-by-m, D(i, j) = dF_j/dx_i (denominator layout, as
 * gv_fd.h).
 *
 * Memory: each call allocates n + m complex values and frees them before it
 * returns. Errors: GSL_EBADLEN on sizes that do not match (or m != 1 for a
 * gradient), GSL_EINVAL on an empty x or a step h that is negative or not
 * finite, GSL_ENOMEM when the work array cannot be allocated, GSL_EBADFUNC
 * when f returns a non-finite real or imaginary part, otherwise any non-zero
 * status the function itself returns. Nothing calls the GSL error handler. */
#ifndef GV_CSTEP_H
#define GV_CSTEP_H

#include <complex.h>
#include <stddef.h>

#include <gsl/gsl_matrix.h>
#include <gsl/gsl_vector.h>

/* A function of n complex arguments x with m complex values: fills fx
 * (length m) and returns GSL_SUCCESS, or a non-zero status to abort. */
typedef struct {
  int (*f)(void *params, const double complex *x, size_t n, double complex *fx);
  void *params;
  size_t m; /* 1 for a scalar function */
} gv_cstep_fn;

/* The default step for an entry x_k, used when the caller passes h = 0:
 * GV_CSTEP_STEP max(1, |x_k|). Relative so that x_k + i h is a perturbation
 * of the same relative size at any scale; tiny so that h^2 terms vanish. */
#define GV_CSTEP_STEP 1e-20

/* grad_k = df/dx_k = Im f(x + i h e_k) / h for a scalar function (fn->m == 1);
 * grad has the size of x. h = 0 selects the default step. */
int gv_cstep_gradient(const gv_cstep_fn *fn, const gsl_vector *x, gsl_vector *grad, double h);

/* D(k, j) = dF_j/dx_k, D n-by-m for x of size n. h = 0 selects the default. */
int gv_cstep_jacobian(const gv_cstep_fn *fn, const gsl_vector *x, gsl_matrix *D, double h);

/* The directional derivative Jv_j = sum_k dF_j/dx_k v_k (that is D^T v, of
 * size m) from a single evaluation at x + i h v; v has the size of x. h = 0
 * selects GV_CSTEP_STEP max(1, max_k |x_k|) / max_k |v_k|. */
int gv_cstep_directional(const gv_cstep_fn *fn, const gsl_vector *x, const gsl_vector *v,
                         gsl_vector *Jv, double h);

#endif
