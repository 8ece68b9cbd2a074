/* example_check.c: the README's example, built and run by `meson test`.
 * Checks the gradient of Rosenbrock's function at (-1.2, 1), as a program
 * about to hand it to gsl_multimin_fdfminimizer would. */
#include <stdio.h>
#include <stdlib.h>

#include <gsl/gsl_errno.h>

#include "gradverify.h"

/* f(x, y) = 100 (y - x^2)^2 + (1 - x)^2 */
static double my_f(const gsl_vector *v, void *params)
{
  (void)params;
  double x = gsl_vector_get(v, 0), y = gsl_vector_get(v, 1);
  return 100.0 * (y - x * x) * (y - x * x) + (1.0 - x) * (1.0 - x);
}

static void my_df(const gsl_vector *v, void *params, gsl_vector *df)
{
  (void)params;
  double x = gsl_vector_get(v, 0), y = gsl_vector_get(v, 1);
  gsl_vector_set(df, 0, -400.0 * x * (y - x * x) - 2.0 * (1.0 - x));
  gsl_vector_set(df, 1, 200.0 * (y - x * x));
}

static void my_fdf(const gsl_vector *v, void *params, double *f, gsl_vector *df)
{
  *f = my_f(v, params);
  my_df(v, params, df);
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
  gsl_set_error_handler(fail_on_gsl_error); /* status codes otherwise */
  gsl_multimin_function_fdf fdf = {my_f, my_df, my_fdf, 2, NULL};
  gsl_vector *x = gsl_vector_alloc(2);
  gv_outcome *out = gv_outcome_alloc();
  if (!x || !out)
    return EXIT_FAILURE;
  gsl_vector_set(x, 0, -1.2);
  gsl_vector_set(x, 1, 1.0);

  int status = gv_check_gradient(&fdf, x, NULL, out); /* NULL: default options */
  if (status)
    fprintf(stderr, "the check could not run: %s\n", gsl_strerror(status));
  else
    gv_outcome_fprintf(stdout, out);
  int ok = status == GSL_SUCCESS && gv_outcome_verdict(out) == GV_PASS;

  gv_outcome_free(out);
  gsl_vector_free(x);
  return ok ? EXIT_SUCCESS : EXIT_FAILURE;
}
