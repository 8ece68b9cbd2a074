/* chatty.c: relu_backward is right and prints 1 MB to stdout and a line to stderr (kept bounded).
 */
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
  for (int k = 0; k < 20000; k++)
    printf("debug line %05d: computing the relu backward pass, please ignore me.\n", k);
  fprintf(stderr, "relu_backward: done\n");
  for (size_t i = 0; i < X->size1; i++)
    for (size_t j = 0; j < X->size2; j++)
      gsl_matrix_set(dX, i, j, gsl_matrix_get(X, i, j) > 0 ? gsl_matrix_get(dout, i, j) : 0.0);
  return 0;
}
