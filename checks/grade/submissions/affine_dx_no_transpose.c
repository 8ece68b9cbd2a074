/* affine_dx_no_transpose.c: affine_backward computes dX = dout W, the transpose forgotten (a
 * planted mistake). */
#include <gsl/gsl_blas.h>
#include <gradverify/assignment.h>

int affine_forward(const gsl_matrix *X, const gsl_matrix *W, const gsl_matrix *b, gsl_matrix *out)
{
  for (size_t i = 0; i < out->size1; i++)
    for (size_t j = 0; j < out->size2; j++)
      gsl_matrix_set(out, i, j, gsl_matrix_get(b, j, 0));
  return gsl_blas_dgemm(CblasNoTrans, CblasNoTrans, 1.0, X, W, 1.0, out);
}

int affine_backward(const gsl_matrix *X, const gsl_matrix *W, const gsl_matrix *b,
                    const gsl_matrix *dout, gsl_matrix *dX, gsl_matrix *dW, gsl_matrix *db)
{
  (void)b;
  for (size_t j = 0; j < dout->size2; j++) {
    double s = 0.0;
    for (size_t i = 0; i < dout->size1; i++)
      s += gsl_matrix_get(dout, i, j);
    gsl_matrix_set(db, j, 0, s);
  }
  int status = gsl_blas_dgemm(CblasNoTrans, CblasNoTrans, 1.0, dout, W, 0.0, dX);
  return status ? status : gsl_blas_dgemm(CblasTrans, CblasNoTrans, 1.0, X, dout, 0.0, dW);
}
