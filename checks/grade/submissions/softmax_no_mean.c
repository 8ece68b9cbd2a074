/* softmax_no_mean.c: softmax_ce_backward forgets the 1/N of the batch mean (a planted mistake). */
#include <math.h>

#include <gradverify/assignment.h>

static void softmax_row(const gsl_matrix *A, size_t i, double *p)
{
  double mx = gsl_matrix_get(A, i, 0), s = 0.0;
  for (size_t j = 1; j < A->size2; j++)
    mx = fmax(mx, gsl_matrix_get(A, i, j));
  for (size_t j = 0; j < A->size2; j++)
    s += p[j] = exp(gsl_matrix_get(A, i, j) - mx);
  for (size_t j = 0; j < A->size2; j++)
    p[j] /= s;
}

int softmax_ce_forward(const gsl_matrix *A, const gsl_matrix *Y, gsl_matrix *loss)
{
  double p[64], l = 0.0;
  for (size_t i = 0; i < A->size1; i++) {
    softmax_row(A, i, p);
    for (size_t j = 0; j < A->size2; j++)
      l -= gsl_matrix_get(Y, i, j) * log(p[j]);
  }
  gsl_matrix_set(loss, 0, 0, l / (double)A->size1);
  return 0;
}

int softmax_ce_backward(const gsl_matrix *A, const gsl_matrix *Y, const gsl_matrix *dout,
                        gsl_matrix *dA)
{
  double p[64], g = gsl_matrix_get(dout, 0, 0);
  for (size_t i = 0; i < A->size1; i++) {
    softmax_row(A, i, p);
    for (size_t j = 0; j < A->size2; j++)
      gsl_matrix_set(dA, i, j, g * (p[j] - gsl_matrix_get(Y, i, j)));
  }
  return 0;
}
