/* constructor.c: hostile: code that runs when the library is loaded, before any
 * function is called, and never returns. */
#include <gradverify/assignment.h>

__attribute__((constructor)) static void on_load(void)
{
  for (volatile unsigned long k = 0;; k++)
    ;
}

int relu_forward(const gsl_matrix *X, gsl_matrix *out)
{
  return gsl_matrix_memcpy(out, X);
}
