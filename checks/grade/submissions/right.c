/* right.c: every function of the assignment, right. The model solution. */
#include <math.h>

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
  int status = gsl_blas_dgemm(CblasNoTrans, CblasTrans, 1.0, dout, W, 0.0, dX);
  return status ? status : gsl_blas_dgemm(CblasTrans, CblasNoTrans, 1.0, X, dout, 0.0, dW);
}

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
      gsl_matrix_set(dX, i, j, gsl_matrix_get(X, i, j) > 0 ? gsl_matrix_get(dout, i, j) : 0.0);
  return 0;
}

static double sigmoid(double x)
{
  return 1.0 / (1.0 + exp(-x));
}

int sigmoid_forward(const gsl_matrix *X, gsl_matrix *out)
{
  for (size_t i = 0; i < X->size1; i++)
    for (size_t j = 0; j < X->size2; j++)
      gsl_matrix_set(out, i, j, sigmoid(gsl_matrix_get(X, i, j)));
  return 0;
}

int sigmoid_backward(const gsl_matrix *X, const gsl_matrix *dout, gsl_matrix *dX)
{
  for (size_t i = 0; i < X->size1; i++)
    for (size_t j = 0; j < X->size2; j++) {
      double s = sigmoid(gsl_matrix_get(X, i, j));
      gsl_matrix_set(dX, i, j, gsl_matrix_get(dout, i, j) * s * (1.0 - s));
    }
  return 0;
}

int tanh_forward(const gsl_matrix *X, gsl_matrix *out)
{
  for (size_t i = 0; i < X->size1; i++)
    for (size_t j = 0; j < X->size2; j++)
      gsl_matrix_set(out, i, j, tanh(gsl_matrix_get(X, i, j)));
  return 0;
}

int tanh_backward(const gsl_matrix *X, const gsl_matrix *dout, gsl_matrix *dX)
{
  for (size_t i = 0; i < X->size1; i++)
    for (size_t j = 0; j < X->size2; j++) {
      double t = tanh(gsl_matrix_get(X, i, j));
      gsl_matrix_set(dX, i, j, gsl_matrix_get(dout, i, j) * (1.0 - t * t));
    }
  return 0;
}

/* Row i of P = softmax(A), computed stably into p (size A->size2). */
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
  if (A->size2 > 64)
    return 1;
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
  double p[64], g = gsl_matrix_get(dout, 0, 0) / (double)A->size1;
  if (A->size2 > 64)
    return 1;
  for (size_t i = 0; i < A->size1; i++) {
    softmax_row(A, i, p);
    for (size_t j = 0; j < A->size2; j++)
      gsl_matrix_set(dA, i, j, g * (p[j] - gsl_matrix_get(Y, i, j)));
  }
  return 0;
}

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
  double g = 2.0 * gsl_matrix_get(dout, 0, 0) / (double)Y->size1;
  for (size_t i = 0; i < Y->size1; i++)
    for (size_t j = 0; j < Y->size2; j++)
      gsl_matrix_set(dYhat, i, j, g * (gsl_matrix_get(Yhat, i, j) - gsl_matrix_get(Y, i, j)));
  return 0;
}

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
    gsl_matrix_set(dS, i, y, -g * (double)count);
  }
  return 0;
}

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
  double n = (double)X->size1;
  for (size_t j = 0; j < X->size2; j++) {
    double mu, inv, sum_d = 0.0, sum_dx = 0.0, dg = 0.0, db = 0.0;
    column_stats(X, j, gsl_matrix_get(eps, 0, 0), &mu, &inv);
    for (size_t i = 0; i < X->size1; i++) {
      double xhat = (gsl_matrix_get(X, i, j) - mu) * inv, g = gsl_matrix_get(dout, i, j);
      double dxhat = g * gsl_matrix_get(gamma, j, 0);
      sum_d += dxhat;
      sum_dx += dxhat * xhat;
      dg += g * xhat;
      db += g;
    }
    for (size_t i = 0; i < X->size1; i++) {
      double xhat = (gsl_matrix_get(X, i, j) - mu) * inv;
      double dxhat = gsl_matrix_get(dout, i, j) * gsl_matrix_get(gamma, j, 0);
      gsl_matrix_set(dX, i, j, (dxhat - sum_d / n - xhat * sum_dx / n) * inv);
    }
    gsl_matrix_set(dgamma, j, 0, dg);
    gsl_matrix_set(dbeta, j, 0, db);
  }
  return 0;
}
