/* relu_leaky.c: relu_backward lets 0.1 dout through where x <= 0 (a pattern: wrong only where x <=
 * 0). */
#include <math.h>

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
  for (size_t i = 0; i < X->size1; i++)
    for (size_t j = 0; j < X->size2; j++)
      gsl_matrix_set(dX, i, j,
                     (gsl_matrix_get(X, i, j) > 0 ? 1.0 : 0.1) * gsl_matrix_get(dout, i, j));
  return 0;
}
