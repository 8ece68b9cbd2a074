/* gv_identity.h: the seed's crash course in matrix derivatives, and its chain
 * rule, as functions that return the right-hand sides.
 *
 * Denominator layout (see gv_softmax.h): for x in R^n and F(x) in R^m the
 * derivative dF/dx is n-by-m. x in R^n, a in R^n (or R^m), A in R^{m x n},
 * X in R^{m x n}, b in R^n. Every function returns GSL_SUCCESS or GSL_EBADLEN
 * on a size mismatch; none calls the GSL error handler. */
#ifndef GV_IDENTITY_H
#define GV_IDENTITY_H

#include <gsl/gsl_matrix.h>
#include <gsl/gsl_vector.h>

/* d(x^T a)/dx = d(a^T x)/dx = a.  g has the size of a. */
int gv_identity_xTa(const gsl_vector *a, gsl_vector *g);

/* d(A x)/dx = A^T.  A is m-by-n; D is n-by-m. */
int gv_identity_Ax(const gsl_matrix *A, gsl_matrix *D);

/* d(a^T X b)/dX = a b^T.  a in R^m, b in R^n, G is m-by-n like X. */
int gv_identity_aTXb(const gsl_vector *a, const gsl_vector *b, gsl_matrix *G);

/* d(x^T A x)/dx = (A + A^T) x.  A is n-by-n, not necessarily symmetric. */
int gv_identity_xTAx(const gsl_matrix *A, const gsl_vector *x, gsl_vector *g);

/* d||x||^2/dx = d(x^T x)/dx = 2 x. */
int gv_identity_sqnorm(const gsl_vector *x, gsl_vector *g);

/* The chain rule d f(g(x))/dx = (dg/dx)(df/dg), with x in R^m, g: R^m -> R^n,
 * f: R^n -> R, made concrete:
 *   g(x) = tanh(B x + c)   (B is n-by-m, c in R^n)
 *   f(u) = log sum_i exp(u_i)
 * so dg/dx = B^T diag(1 - g^2) (m-by-n) and df/dg = softmax(g) (n). */
typedef struct {
  const gsl_matrix *B; /* n x m */
  const gsl_vector *c; /* n */
} gv_chain;

/* u = g(x). x in R^m, u in R^n. */
int gv_chain_inner(const gv_chain *ch, const gsl_vector *x, gsl_vector *u);
/* *value = f(g(x)), with u (size n) as workspace. */
int gv_chain_value(const gv_chain *ch, const gsl_vector *x, gsl_vector *u, double *value);
/* Dg = dg/dx at x (m-by-n, denominator layout). */
int gv_chain_jacobian_inner(const gv_chain *ch, const gsl_vector *x, gsl_matrix *Dg);
/* df = df/du at u (size n). */
int gv_chain_grad_outer(const gsl_vector *u, gsl_vector *df);
/* grad = (dg/dx)(df/dg) (size m), using Dg (m-by-n), u and df (size n) as workspace. */
int gv_chain_grad(const gv_chain *ch, const gsl_vector *x, gsl_matrix *Dg, gsl_vector *u,
                  gsl_vector *df, gsl_vector *grad);

#endif
