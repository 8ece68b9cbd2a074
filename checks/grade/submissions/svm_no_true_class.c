/* svm_no_true_class.c: svm_hinge_backward forgets the true class's -count (a planted mistake). */
#include <math.h>

#include <gradverify/assignment.h>

/* The true class of row i: where its one-hot label is. */
static size_t true_class(const gsl_matrix *Y, size_t i)
{
  size_t y = 0;
  while (y + 1 < Y->size2 && gsl_matrix_get(Y, i, y) == 0.0)
    y++;
  return y;
}

int svm_hinge_forward(const gsl_matrix *S, const gsl_matrix *Y, gsl_matrix *loss)
{
  double l = 0.0;
  for (size_t i = 0; i < S->size1; i++) {
    size_t y = true_class(Y, i);
    for (size_t j = 0; j < S->size2; j++)
      if (j != y)
        l += fmax(0.0, gsl_matrix_get(S, i, j) - gsl_matrix_get(S, i, y) + 1.0);
  }
  gsl_matrix_set(loss, 0, 0, l / (double)S->size1);
  return 0;
}

int svm_hinge_backward(const gsl_matrix *S, const gsl_matrix *Y, const gsl_matrix *dout,
                       gsl_matrix *dS)
{
  double g = gsl_matrix_get(dout, 0, 0) / (double)S->size1;
  gsl_matrix_set_zero(dS);
  for (size_t i = 0; i < S->size1; i++) {
    size_t y = true_class(Y, i), count = 0;
    for (size_t j = 0; j < S->size2; j++)
      if (j != y && gsl_matrix_get(S, i, j) - gsl_matrix_get(S, i, y) + 1.0 > 0) {
        gsl_matrix_set(dS, i, j, g);
        count++;
      }
    (void)count;
  }
  return 0;
}
