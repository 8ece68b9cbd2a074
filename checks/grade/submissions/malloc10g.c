/* malloc10g.c: hostile: relu_backward allocates 10 GB and uses it without checking. */
#include <math.h>
#include <stdlib.h>
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
  (void)X, (void)dout, (void)dX;
  size_t n = (size_t)10 << 30;
  volatile char *p = malloc(n);
  for (size_t k = 0; k < n; k += 4096)
    p[k] = 1;
  return p[n - 4096] == 1 ? 0 : 1;
}
