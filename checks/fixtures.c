/* fixtures.c: the shared test fixtures (fixtures.h). */
#include "fixtures.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include <check.h>
#include <gsl/gsl_errno.h>

gsl_vector *fx_vector(const double *v, size_t n)
{
  gsl_vector *x = gsl_vector_alloc(n);
  ck_assert_ptr_nonnull(x);
  memcpy(x->data, v, n * sizeof *v);
  return x;
}

gsl_matrix *fx_matrix(const double *v, size_t n1, size_t n2)
{
  gsl_matrix *m = gsl_matrix_alloc(n1, n2);
  ck_assert_ptr_nonnull(m);
  memcpy(m->data, v, n1 * n2 * sizeof *v);
  return m;
}

int fx_planted(fx_plant *p, double *fx)
{
  p->calls++;
  if (p->bad_call && p->calls == p->bad_call) {
    if (p->bad_status)
      return p->bad_status;
    *fx = p->bad_value;
  }
  return GSL_SUCCESS;
}

/* f(x) and f'(x) side by side, for kind. */
static void known(fx_kind kind, double x, double *f, double *d)
{
  switch (kind) {
  case FX_SIN:
    *f = sin(x), *d = cos(x);
    return;
  case FX_EXP:
    *f = *d = exp(x);
    return;
  case FX_CUBE:
    *f = x * x * x, *d = 3.0 * x * x;
    return;
  case FX_LOG:
    *f = log(x), *d = 1.0 / x;
    return;
  case FX_QUAD:
    *f = (3.25 * x - 1.5) * x + 0.375, *d = 6.5 * x - 1.5;
    return;
  case FX_SIN40:
    *f = sin(40.0 * x), *d = 40.0 * cos(40.0 * x);
    return;
  case FX_EXP10:
    *f = exp(10.0 * x), *d = 10.0 * exp(10.0 * x);
    return;
  case FX_SOFTMAX300: { /* computed stably; p' = p(1 - p) */
    double m = fmax(x, 300.9), p = 1.0 / (1.0 + exp(300.9 - x) + exp(299.7 - x));
    *f = exp(x - (m + log(exp(x - m) + exp(300.9 - m) + exp(299.7 - m))));
    *d = p * (1.0 - p);
    return;
  }
  case FX_SIN1000:
    *f = sin(1000.0 * x), *d = 1000.0 * cos(1000.0 * x);
    return;
  case FX_SLOW:
    *f = 3.0 + exp(x / 1e6), *d = exp(x / 1e6) / 1e6;
    return;
  case FX_LINEAR:
    *f = 2.5 * x - 7.0, *d = 2.5;
    return;
  default:
    *f = *d = NAN;
  }
}

double fx_value(fx_kind kind, double x)
{
  double f, d;
  known(kind, x, &f, &d);
  return f;
}

double fx_derivative(fx_kind kind, double x)
{
  double f, d;
  known(kind, x, &f, &d);
  return d;
}

double fx_smooth4(const double x[4])
{
  return exp(0.3 * x[0]) + x[0] * x[1] * x[1] + sin(x[2] * x[3]);
}

void fx_smooth4_gradient(const double x[4], double g[4])
{
  g[0] = 0.3 * exp(0.3 * x[0]) + x[1] * x[1];
  g[1] = 2.0 * x[0] * x[1];
  g[2] = x[3] * cos(x[2] * x[3]);
  g[3] = x[2] * cos(x[2] * x[3]);
}

int fx_F32(fx_plant *p, const gsl_vector *x, gsl_vector *fx)
{
  double x0 = gsl_vector_get(x, 0), x1 = gsl_vector_get(x, 1), x2 = gsl_vector_get(x, 2);
  double f1 = exp(x0) - x2 * x2 + x1;
  gsl_vector_set(fx, 0, x0 * x1 + sin(x2));
  int status = fx_planted(p, &f1);
  gsl_vector_set(fx, 1, f1);
  return status;
}

void fx_F32_jacobian(const double x[3], double J[3][2])
{
  J[0][0] = x[1];
  J[0][1] = exp(x[0]);
  J[1][0] = x[0];
  J[1][1] = 1.0;
  J[2][0] = cos(x[2]);
  J[2][1] = -2.0 * x[2];
}

char *fx_printout(const gv_outcome *out)
{
  char *buf = NULL;
  size_t len = 0;
  FILE *s = open_memstream(&buf, &len);
  ck_assert_ptr_nonnull(s);
  ck_assert_int_eq(gv_outcome_fprintf(s, out), GSL_SUCCESS);
  ck_assert_int_eq(fclose(s), 0);
  return buf;
}
