/* relu_mask_from_dout.c: relu_backward takes the mask from dout's sign (a planted mistake). */
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
  (void)X;
  for (size_t i = 0; i < dout->size1; i++)
    for (size_t j = 0; j < dout->size2; j++)
      gsl_matrix_set(dX, i, j, fmax(gsl_matrix_get(dout, i, j), 0.0));
  return 0;
}
