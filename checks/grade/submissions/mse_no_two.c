/* mse_no_two.c: mse_backward forgets the factor 2 (a planted mistake). */
#include <gradverify/assignment.h>

int mse_forward(const gsl_matrix *Yhat, const gsl_matrix *Y, gsl_matrix *loss)
{
  double s = 0.0;
  for (size_t i = 0; i < Y->size1; i++)
    for (size_t j = 0; j < Y->size2; j++) {
      double e = gsl_matrix_get(Yhat, i, j) - gsl_matrix_get(Y, i, j);
      s += e * e;
    }
  gsl_matrix_set(loss, 0, 0, s / (double)Y->size1);
  return 0;
}

int mse_backward(const gsl_matrix *Yhat, const gsl_matrix *Y, const gsl_matrix *dout,
                 gsl_matrix *dYhat)
{
  double g = gsl_matrix_get(dout, 0, 0) / (double)Y->size1;
  for (size_t i = 0; i < Y->size1; i++)
    for (size_t j = 0; j < Y->size2; j++)
      gsl_matrix_set(dYhat, i, j, g * (gsl_matrix_get(Yhat, i, j) - gsl_matrix_get(Y, i, j)));
  return 0;
}
