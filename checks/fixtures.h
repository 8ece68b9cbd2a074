/* fixtures.h: test fixtures the suites share (fixtures.c, linked into every
 * suite): vectors from arrays, a call counter with a planted failure, and the
 * known functions the numeric engines are tested on, with their derivatives,
 * and the public API's printout as a string. Allocation failures fail the
 * running test. */
#ifndef FIXTURES_H
#define FIXTURES_H

#include <stddef.h>

#include <gsl/gsl_matrix.h>
#include <gsl/gsl_vector.h>

#include "gradverify.h"

/* A new vector holding v[0 .. n-1]; the caller frees it. */
gsl_vector *fx_vector(const double *v, size_t n);
/* A new n1-by-n2 matrix holding v row by row; the caller frees it. */
gsl_matrix *fx_matrix(const double *v, size_t n1, size_t n2);

/* A call counter with a planted failure at call number bad_call (1-based;
 * 0 never): that call returns bad_status, or, when bad_status is 0, the value
 * bad_value (NaN or an infinity) in place of the function's. */
typedef struct {
  int calls, bad_call, bad_status;
  double bad_value;
} fx_plant;

/* Counts one call whose value is *fx; at the planted call returns bad_status
 * or replaces *fx by bad_value. GSL_SUCCESS otherwise. */
int fx_planted(fx_plant *p, double *fx);

/* Scalar functions of one variable with known derivatives. */
typedef enum {
  FX_SIN,        /* sin x */
  FX_EXP,        /* exp x */
  FX_CUBE,       /* x^3 */
  FX_LOG,        /* log x */
  FX_QUAD,       /* (3.25 x - 1.5) x + 0.375 */
  FX_SIN40,      /* sin 40x */
  FX_EXP10,      /* exp 10x */
  FX_SOFTMAX300, /* p_0 of softmax(x, 300.9, 299.7), computed stably */
  FX_SIN1000,    /* sin 1000x */
  FX_SLOW,       /* 3 + exp(x / 1e6) */
  FX_LINEAR,     /* 2.5x - 7 */
  FX_NKINDS
} fx_kind;

double fx_value(fx_kind kind, double x);
double fx_derivative(fx_kind kind, double x);

/* f(x) = exp(0.3 x0) + x0 x1^2 + sin(x2 x3) on R^4, and its gradient. */
double fx_smooth4(const double x[4]);
void fx_smooth4_gradient(const double x[4], double g[4]);

/* F: R^3 -> R^2, F0 = x0 x1 + sin(x2), F1 = exp(x0) - x2^2 + x1, its value at
 * x into fx, through the plant p (a bad value lands in F1); and its Jacobian
 * in denominator layout, J(i, j) = dF_j/dx_i (3 x 2). */
int fx_F32(fx_plant *p, const gsl_vector *x, gsl_vector *fx);
void fx_F32_jacobian(const double x[3], double J[3][2]);

/* What gv_outcome_fprintf prints for out, as a string (the caller frees
 * it); a status other than GSL_SUCCESS fails the running test. */
char *fx_printout(const gv_outcome *out);

#endif
