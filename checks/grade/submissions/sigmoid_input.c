/* sigmoid_input.c: sigmoid_backward uses x (1 - x) instead of s (1 - s) (a planted mistake). */
#include <math.h>

#include <gradverify/assignment.h>

int sigmoid_forward(const gsl_matrix *X, gsl_matrix *out)
{
  for (size_t i = 0; i < X->size1; i++)
    for (size_t j = 0; j < X->size2; j++)
      gsl_matrix_set(out, i, j, 1.0 / (1.0 + exp(-gsl_matrix_get(X, i, j))));
  return 0;
}

int sigmoid_backward(const gsl_matrix *X, const gsl_matrix *dout, gsl_matrix *dX)
{
  for (size_t i = 0; i < X->size1; i++)
    for (size_t j = 0; j < X->size2; j++) {
      double x = gsl_matrix_get(X, i, j);
      gsl_matrix_set(dX, i, j, gsl_matrix_get(dout, i, j) * x * (1.0 - x));
    }
  return 0;
}
