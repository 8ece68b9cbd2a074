/* gv_complex.h: the seed's softmax, cross-entropy and network in complex
 * arithmetic, for complex-step differentiation (gv_cstep.h).
 *
 * With x real and h tiny, f(x + i h) = f(x) + i h f'(x) + O(h^2) for any f
 * built from analytic operations, so Im f(x + i h) / h is f'(x) with no
 * subtraction and no cancellation. These functions are the seed's formulas
 * (gv_softmax.h, gv_xent.h, gv_net.h) written once more in double complex so
 * that the analytic module has reference derivatives exact to rounding.
 * Comparisons decide on the real part: the maximum in log-sum-exp is the
 * entry of largest real part, and ReLU is h = z where Re z > 0, else 0. At a
 * kink (Re z = 0 exactly) the complex step therefore returns the derivative
 * of the branch taken, here the flat one, as gv_net_relu_backward's mask
 * 1(z > 0) does.
 *
 * Arrays are plain C arrays of the stated length, owned by the caller. Every
 * function returns GSL_SUCCESS, GSL_EINVAL on an empty size, and never calls
 * the GSL error handler. */
#ifndef GV_COMPLEX_H
#define GV_COMPLEX_H

#include <complex.h>
#include <stddef.h>

/* *lse = log(sum_i exp(a_i)) for a of length n >= 1, as m + log(sum exp(a_i - m))
 * with m the entry of largest real part: no term overflows for real parts in
 * the hundreds. A non-finite real part of m is returned as it is. */
int gv_complex_logsumexp(const double complex *a, size_t n, double complex *lse);

/* p = softmax(a), p_i = exp(a_i - lse(a)); a and p of length n may alias. */
int gv_complex_softmax(const double complex *a, size_t n, double complex *p);

/* *L = sum_i y_i (lse(a) - a_i), the cross-entropy of the real target y
 * against softmax(a) (terms with y_i == 0 are skipped), both of length n. */
int gv_complex_xent_loss_logits(const double *y, const double complex *a, size_t n,
                                double complex *L);

/* The number of packed network parameters, H D + H + K H + K. */
size_t gv_complex_net_size(size_t D, size_t H, size_t K);

/* The network loss L(theta) of gv_net.h for fixed real input x (length D) and
 * target y (length K), over the packed parameters (length gv_complex_net_size)
 *   theta = [vec(W) row-major (H x D), b1 (H), vec(V) row-major (K x H), b2 (K)],
 * the order of gv_net_pack (gv_net_pack.h). work has length H + K. */
int gv_complex_net_loss(const double complex *theta, size_t D, size_t H, size_t K, const double *x,
                        const double *y, double complex *work, double complex *L);

/* The same loss as a function for gv_cstep (the gv_cstep_fn callback
 * signature, m = 1): params points to a gv_complex_net_problem; n must be
 * gv_complex_net_size(D, H, K), or GSL_EBADLEN. */
typedef struct {
  size_t D, H, K;
  const double *x, *y;  /* lengths D and K */
  double complex *work; /* length H + K */
} gv_complex_net_problem;

int gv_complex_net_loss_fn(void *params, const double complex *theta, size_t n, double complex *L);

/* Softmax as a gv_cstep function with m = n outputs; params is unused. */
int gv_complex_softmax_fn(void *params, const double complex *a, size_t n, double complex *p);

#endif
