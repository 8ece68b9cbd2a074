/* consumer.c: an outside program built against an installed (or subproject)
 * gradverify, through its pkg-config file or dependency('gradverify') only.
 * It checks a right gradient and Jacobian (they must pass) and a wrong one
 * (it must fail) through gradverify_assert.h; exit 0 iff all three hold. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <gsl/gsl_errno.h>

/* Fail by returning 1 from the enclosing function: a plain exit-code harness. */
#define GV_ASSERT_FAIL(msg)                                                                        \
  do {                                                                                             \
    fprintf(stderr, "%s\n", (msg));                                                                \
    return 1;                                                                                      \
  } while (0)
#include <gradverify_assert.h>

/* f(x) = x0^2 x1 + sin(x1); planted: a factor 2 dropped from df/dx0. */
static double f(const gsl_vector *x, void *params)
{
  (void)params;
  double a = gsl_vector_get(x, 0), b = gsl_vector_get(x, 1);
  return a * a * b + sin(b);
}

static void df(const gsl_vector *x, void *params, gsl_vector *g)
{
  double a = gsl_vector_get(x, 0), b = gsl_vector_get(x, 1);
  int wrong = params != NULL;
  gsl_vector_set(g, 0, (wrong ? 1.0 : 2.0) * a * b);
  gsl_vector_set(g, 1, a * a + cos(b));
}

/* Residuals r0 = x0 x1 - 1.7, r1 = exp(x0) - 2.3 and their Jacobian. */
static int r(const gsl_vector *x, void *params, gsl_vector *out)
{
  (void)params;
  gsl_vector_set(out, 0, gsl_vector_get(x, 0) * gsl_vector_get(x, 1) - 1.7);
  gsl_vector_set(out, 1, exp(gsl_vector_get(x, 0)) - 2.3);
  return GSL_SUCCESS;
}

static int dr(const gsl_vector *x, void *params, gsl_matrix *J)
{
  (void)params;
  gsl_matrix_set(J, 0, 0, gsl_vector_get(x, 1));
  gsl_matrix_set(J, 0, 1, gsl_vector_get(x, 0));
  gsl_matrix_set(J, 1, 0, exp(gsl_vector_get(x, 0)));
  gsl_matrix_set(J, 1, 1, 0.0);
  return GSL_SUCCESS;
}

static double xdata[2] = {0.713, -1.385};

static int check_gradient(void *params)
{
  gsl_multimin_function_fdf fdf = {.f = f, .df = df, .n = 2, .params = params};
  gsl_vector_view x = gsl_vector_view_array(xdata, 2);
  GV_ASSERT_GRADIENT(&fdf, &x.vector, NULL);
  return 0;
}

static int check_jacobian(void)
{
  gsl_multifit_nlinear_fdf fdf = {.f = r, .df = dr, .n = 2, .p = 2};
  gsl_vector_view x = gsl_vector_view_array(xdata, 2);
  GV_ASSERT_JACOBIAN(&fdf, &x.vector, NULL);
  return 0;
}

/* A GSL error reaching its handler is a bug here (a wrong size, an index out
 * of range): report it and fail, rather than switch the handler off. */
static void fail_on_gsl_error(const char *reason, const char *file, int line, int gsl_errno)
{
  fprintf(stderr, "GSL error %d at %s:%d: %s\n", gsl_errno, file, line, reason);
  exit(EXIT_FAILURE);
}

int main(void)
{
  gsl_set_error_handler(fail_on_gsl_error);
  static int wrong = 1;
  int right_ok = check_gradient(NULL) == 0 && check_jacobian() == 0;
  int wrong_caught = check_gradient(&wrong) == 1;
  printf("consumer: right gradient and Jacobian %s, planted mistake %s\n",
         right_ok ? "pass" : "FAIL", wrong_caught ? "caught" : "MISSED");
  return right_ok && wrong_caught ? 0 : 1;
}
