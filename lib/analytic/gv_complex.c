/* gv_complex.c: softmax, cross-entropy and the seed's network in double complex. */
#include "gv_complex.h"

#include <math.h>

#include <gsl/gsl_errno.h>

int gv_complex_logsumexp(const double complex *a, size_t n, double complex *lse)
{
  if (n == 0)
    return GSL_EINVAL;
  size_t imax = 0;
  for (size_t i = 1; i < n; i++)
    if (creal(a[i]) > creal(a[imax]))
      imax = i;
  const double complex m = a[imax];
  if (!isfinite(creal(m))) {
    *lse = m;
    return GSL_SUCCESS;
  }
  /* The largest term is exp(i Im(...)) of modulus 1: the sum cannot
   * underflow, and its real part stays near [1, n] for a step h ~ 1e-20. */
  double complex sum = 0.0;
  for (size_t i = 0; i < n; i++)
    sum += cexp(a[i] - m);
  *lse = m + clog(sum);
  return GSL_SUCCESS;
}

int gv_complex_softmax(const double complex *a, size_t n, double complex *p)
{
  double complex lse;
  int status = gv_complex_logsumexp(a, n, &lse);
  if (status)
    return status;
  for (size_t i = 0; i < n; i++)
    p[i] = cexp(a[i] - lse);
  return GSL_SUCCESS;
}

int gv_complex_xent_loss_logits(const double *y, const double complex *a, size_t n,
                                double complex *L)
{
  double complex lse;
  int status = gv_complex_logsumexp(a, n, &lse);
  if (status)
    return status;
  /* -log p_i = lse - a_i, as gv_xent_loss_logits computes it. */
  double complex sum = 0.0;
  for (size_t i = 0; i < n; i++)
    if (y[i] != 0.0)
      sum += y[i] * (lse - a[i]);
  *L = sum;
  return GSL_SUCCESS;
}

size_t gv_complex_net_size(size_t D, size_t H, size_t K)
{
  return H * D + H + K * H + K;
}

int gv_complex_net_loss(const double complex *theta, size_t D, size_t H, size_t K, const double *x,
                        const double *y, double complex *work, double complex *L)
{
  if (D == 0 || H == 0 || K == 0)
    return GSL_EINVAL;
  const double complex *W = theta, *b1 = W + H * D, *V = b1 + H, *b2 = V + K * H;
  double complex *h = work, *a = work + H;
  for (size_t j = 0; j < H; j++) {
    double complex z = b1[j];
    for (size_t i = 0; i < D; i++)
      z += W[j * D + i] * x[i];
    /* ReLU decides on the real part; the imaginary part follows the branch. */
    h[j] = creal(z) > 0.0 ? z : 0.0;
  }
  for (size_t k = 0; k < K; k++) {
    double complex s = b2[k];
    for (size_t j = 0; j < H; j++)
      s += V[k * H + j] * h[j];
    a[k] = s;
  }
  return gv_complex_xent_loss_logits(y, a, K, L);
}

int gv_complex_net_loss_fn(void *params, const double complex *theta, size_t n, double complex *L)
{
  const gv_complex_net_problem *pb = params;
  if (n != gv_complex_net_size(pb->D, pb->H, pb->K))
    return GSL_EBADLEN;
  return gv_complex_net_loss(theta, pb->D, pb->H, pb->K, pb->x, pb->y, pb->work, L);
}

int gv_complex_softmax_fn(void *params, const double complex *a, size_t n, double complex *p)
{
  (void)params;
  return gv_complex_softmax(a, n, p);
}
