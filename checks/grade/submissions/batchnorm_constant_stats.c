/* batchnorm_constant_stats.c: batchnorm_backward treats the batch mean and
 * variance as constants: dX = dout gamma / sigma (a planted mistake). */
#include <math.h>

#include <gradverify/assignment.h>

/* Column j's mean and 1/sqrt(var + eps). */
static void column_stats(const gsl_matrix *X, size_t j, double eps, double *mu, double *inv)
{
  double m = 0.0, v = 0.0;
  for (size_t i = 0; i < X->size1; i++)
    m += gsl_matrix_get(X, i, j);
  m /= (double)X->size1;
  for (size_t i = 0; i < X->size1; i++)
    v += (gsl_matrix_get(X, i, j) - m) * (gsl_matrix_get(X, i, j) - m);
  *mu = m;
  *inv = 1.0 / sqrt(v / (double)X->size1 + eps);
}

int batchnorm_forward(const gsl_matrix *X, const gsl_matrix *gamma, const gsl_matrix *beta,
                      const gsl_matrix *eps, gsl_matrix *out)
{
  for (size_t j = 0; j < X->size2; j++) {
    double mu, inv;
    column_stats(X, j, gsl_matrix_get(eps, 0, 0), &mu, &inv);
    for (size_t i = 0; i < X->size1; i++)
      gsl_matrix_set(out, i, j,
                     gsl_matrix_get(gamma, j, 0) * (gsl_matrix_get(X, i, j) - mu) * inv +
                         gsl_matrix_get(beta, j, 0));
  }
  return 0;
}

int batchnorm_backward(const gsl_matrix *X, const gsl_matrix *gamma, const gsl_matrix *beta,
                       const gsl_matrix *eps, const gsl_matrix *dout, gsl_matrix *dX,
                       gsl_matrix *dgamma, gsl_matrix *dbeta)
{
  (void)beta;
  for (size_t j = 0; j < X->size2; j++) {
    double mu, inv, dg = 0.0, db = 0.0;
    column_stats(X, j, gsl_matrix_get(eps, 0, 0), &mu, &inv);
    for (size_t i = 0; i < X->size1; i++) {
      double xhat = (gsl_matrix_get(X, i, j) - mu) * inv, g = gsl_matrix_get(dout, i, j);
      dg += g * xhat;
      db += g;
    }
    for (size_t i = 0; i < X->size1; i++) {
      double dxhat = gsl_matrix_get(dout, i, j) * gsl_matrix_get(gamma, j, 0);
      gsl_matrix_set(dX, i, j, dxhat * inv);
    }
    gsl_matrix_set(dgamma, j, 0, dg);
    gsl_matrix_set(dbeta, j, 0, db);
  }
  return 0;
}
