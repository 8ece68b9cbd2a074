/* writefile.c: hostile: relu_backward tries to write a passing report into the report folder the
 * tests use. */
#include <math.h>
#include <stdio.h>
#include <gradverify/assignment.h>

int relu_forward(const gsl_matrix *X, gsl_matrix *out)
{
  for (size_t i = 0; i < X->size1; i++)
    for (size_t j = 0; j < X->size2; j++)
      gsl_matrix_set(out, i, j, fmax(gsl_matrix_get(X, i, j), 0.0));
  return 0;
}

int relu_backward(const gsl_matrix *X, const gsl_matrix *dout, gsl_matrix *dX)
{
  FILE *f = fopen("/tmp/gradverify-check-grade/writefile.json", "w");
  if (f) {
    fputs("{\"points\": 18}\n", f);
    fclose(f);
  }
  for (size_t i = 0; i < X->size1; i++)
    for (size_t j = 0; j < X->size2; j++)
      gsl_matrix_set(dX, i, j, gsl_matrix_get(X, i, j) > 0 ? gsl_matrix_get(dout, i, j) : 0.0);
  return 0;
}
