/* gv_softmax.h: softmax, log-sum-exp and the softmax Jacobian.
 *
 * Layout convention (used throughout gradverify, as in the seed solution):
 * denominator layout. For y = F(x) with x in R^n and y in R^m, dy/dx is the
 * n-by-m matrix whose (i, j) entry is dy_j/dx_i; the gradient of a scalar is a
 * column vector shaped like its variable. The softmax Jacobian is symmetric,
 * so both layouts agree for it.
 *
 * All functions return GSL_SUCCESS or a GSL error code (GSL_EBADLEN on sizes
 * that do not match, GSL_EINVAL on an empty vector); none calls the GSL error
 * handler, aborts or prints. */
#ifndef GV_SOFTMAX_H
#define GV_SOFTMAX_H

#include <gsl/gsl_matrix.h>
#include <gsl/gsl_vector.h>

/* log(sum_i exp(a_i)), computed as max(a) + log(sum exp(a_i - max(a))) so
 * that no term overflows. Stores the result in *lse. a must be non-empty. */
int gv_logsumexp(const gsl_vector *a, double *lse);

/* p = softmax(a), p_i = exp(a_i - lse(a)). Stable for |a_i| in the hundreds:
 * the largest exponent is 0. a and p have the same size; they may alias. */
int gv_softmax(const gsl_vector *a, gsl_vector *p);

/* J = dp/da = diag(p) - p p^T for p = softmax(a), given p (size n); J is n-by-n. */
int gv_softmax_jacobian(const gsl_vector *p, gsl_matrix *J);

#endif
