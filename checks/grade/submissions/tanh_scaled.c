/* tanh_scaled.c: tanh_forward computes tanh(2x), and tanh_backward is its
 * exact derivative: the backward is consistent with a wrong forward. */
#include <math.h>

#include <gradverify/assignment.h>

int tanh_forward(const gsl_matrix *X, gsl_matrix *out)
{
  for (size_t i = 0; i < X->size1; i++)
    for (size_t j = 0; j < X->size2; j++)
      gsl_matrix_set(out, i, j, tanh(2.0 * gsl_matrix_get(X, i, j)));
  return 0;
}

int tanh_backward(const gsl_matrix *X, const gsl_matrix *dout, gsl_matrix *dX)
{
  for (size_t i = 0; i < X->size1; i++)
    for (size_t j = 0; j < X->size2; j++) {
      double t = tanh(2.0 * gsl_matrix_get(X, i, j));
      gsl_matrix_set(dX, i, j, gsl_matrix_get(dout, i, j) * 2.0 * (1.0 - t * t));
    }
  return 0;
}
