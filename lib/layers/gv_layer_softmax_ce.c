/* gv_layer_softmax_ce.c: the softmax cross-entropy of a minibatch, averaged.
 * A N-by-K logits, Y N-by-K labels (not differentiable; one-hot, or soft
 * labels summing to 1), out 1-by-1:
 *   L = (1/N) Σᵢ −Σₖ Yᵢₖ log softmax(Aᵢ)ₖ = (1/N) Σᵢ ((1ᵀyᵢ) lse(Aᵢ) − yᵢᵀaᵢ),
 * lse the log-sum-exp, shifted by the row's largest logit (no overflow at
 * logits in the hundreds). dA = dout (P − Y)/N, P the row-wise softmax (in
 * general P diag(Y1) − Y, the seed's p(1ᵀy) − y). */
#include "gv_layers.h"

#include <complex.h>
#include <math.h>
#include <stdlib.h>

#include <gsl/gsl_errno.h>

#include "gv_layers_pointwise.h"

enum { A_, Y_ };

static const gv_layer_input inputs[] = {
    {"A", 1, "dA = dout (P − Y)/N"},
    {"Y", 0, NULL},
};

static double row_max(const gsl_matrix *A, size_t i)
{
  double m = gsl_matrix_get(A, i, 0);
  for (size_t k = 1; k < A->size2; k++)
    m = fmax(m, gsl_matrix_get(A, i, k));
  return m;
}

/* Row i of the softmax into p (K values); returns lse(A_i). */
static double softmax_row(const gsl_matrix *A, size_t i, double *p)
{
  double m = row_max(A, i), s = 0.0;
  for (size_t k = 0; k < A->size2; k++)
    s += p[k] = exp(gsl_matrix_get(A, i, k) - m);
  for (size_t k = 0; k < A->size2; k++)
    p[k] /= s;
  return m + log(s);
}

static double label_sum(const gsl_matrix *Y, size_t i)
{
  double s = 0.0;
  for (size_t k = 0; k < Y->size2; k++)
    s += gsl_matrix_get(Y, i, k);
  return s;
}

static int forward(const gsl_matrix *const in[], void *params, gsl_matrix *out)
{
  (void)params;
  const gsl_matrix *A = in[A_], *Y = in[Y_];
  double L = 0.0, m, s;
  for (size_t i = 0; i < A->size1; i++) {
    m = row_max(A, i);
    s = 0.0;
    for (size_t k = 0; k < A->size2; k++)
      s += exp(gsl_matrix_get(A, i, k) - m);
    L += label_sum(Y, i) * (m + log(s));
    for (size_t k = 0; k < A->size2; k++)
      L -= gsl_matrix_get(Y, i, k) * gsl_matrix_get(A, i, k);
  }
  gsl_matrix_set(out, 0, 0, L / (double)A->size1);
  return GSL_SUCCESS;
}

static int forward_complex(const gsl_matrix *const in[], const gv_layer_complex *const z[],
                           void *params, gv_layer_complex *out)
{
  (void)params;
  const gsl_matrix *A = in[A_], *Y = in[Y_];
  size_t N = A->size1, K = A->size2;
  gv_layer_complex L = 0.0;
  for (size_t i = 0; i < N; i++) {
    double m = creal(z[A_][i * K]);
    for (size_t k = 1; k < K; k++)
      m = fmax(m, creal(z[A_][i * K + k]));
    gv_layer_complex s = 0.0;
    for (size_t k = 0; k < K; k++)
      s += cexp(z[A_][i * K + k] - m);
    L += label_sum(Y, i) * (m + clog(s));
    for (size_t k = 0; k < K; k++)
      L -= gsl_matrix_get(Y, i, k) * z[A_][i * K + k];
  }
  *out = L / (double)N;
  return GSL_SUCCESS;
}

/* grad = scale (P diag(Y1) − Y). */
static int backward_scaled(const gsl_matrix *const in[], double scale, gsl_matrix *grad)
{
  const gsl_matrix *A = in[A_], *Y = in[Y_];
  double *p = malloc(A->size2 * sizeof *p);
  if (!p)
    return GSL_ENOMEM;
  for (size_t i = 0; i < A->size1; i++) {
    softmax_row(A, i, p);
    double sy = label_sum(Y, i);
    for (size_t k = 0; k < A->size2; k++)
      gsl_matrix_set(grad, i, k, scale * (p[k] * sy - gsl_matrix_get(Y, i, k)));
  }
  free(p);
  return GSL_SUCCESS;
}

static int backward(const gsl_matrix *const in[], const gsl_matrix *dout, void *params,
                    gsl_matrix *const grad[])
{
  (void)params;
  return backward_scaled(in, gsl_matrix_get(dout, 0, 0) / (double)in[A_]->size1, grad[A_]);
}

/* dA = dout (P − Y): the batch mean's 1/N forgotten. */
static int backward_no_mean(const gsl_matrix *const in[], const gsl_matrix *dout, void *params,
                            gsl_matrix *const grad[])
{
  (void)params;
  return backward_scaled(in, gsl_matrix_get(dout, 0, 0), grad[A_]);
}

/* Soft labels: positive, each row summing to 1. */
static void soft_labels(gsl_rng *r, gsl_matrix *Y)
{
  for (size_t i = 0; i < Y->size1; i++) {
    double s = 0.0;
    for (size_t k = 0; k < Y->size2; k++) {
      double e = -log1p(-gsl_rng_uniform(r)) + 1e-3;
      gsl_matrix_set(Y, i, k, e);
      s += e;
    }
    for (size_t k = 0; k < Y->size2; k++)
      gsl_matrix_set(Y, i, k, gsl_matrix_get(Y, i, k) / s);
  }
}

/* N in [2, 8] (the mean's 1/N must show), K in [2, 10]; logits uniform in
 * [−s, s], s log-uniform in [0.1, 500] (regime "large logits" above 50, where
 * the softmax saturates); labels one-hot, a quarter of the draws soft. */
static int sample(gsl_rng *r, void *params, gsl_matrix *in[], gv_layer_draw *draw)
{
  (void)params;
  size_t N = gv_layers_draw_size(r, 2, 8), K = gv_layers_draw_size(r, 2, 10);
  double s = gv_layers_draw_scale(r, 0.1, 500.0);
  in[A_] = gv_layers_draw_matrix(r, N, K, s);
  int soft = gsl_rng_uniform(r) < 0.25;
  in[Y_] = soft ? gsl_matrix_alloc(N, K) : gv_layers_draw_onehot(r, N, K);
  if (!in[A_] || !in[Y_])
    return GSL_ENOMEM;
  if (soft)
    soft_labels(r, in[Y_]);
  *draw = (gv_layer_draw){.regime = s > 50.0 ? "large logits" : NULL};
  return GSL_SUCCESS;
}

const gv_layers_entry gv_layers_softmax_ce = {
    .layer = {.name = "softmax_ce",
              .formula = "L = −(1/N) Σᵢ yᵢᵀ log softmax(aᵢ)",
              .n_inputs = 2,
              .inputs = inputs,
              .forward = forward,
              .backward = backward,
              .output_shape = gv_layers_scalar_shape,
              .sample = sample,
              .forward_complex = forward_complex},
    .layout = "A N×K logits, Y N×K labels (not differentiable), out 1×1; dA N×K",
    .draw = "N ∈ [2, 8], K ∈ [2, 10]; A uniform in [−s, s], s log-uniform in [0.1, 500]; Y "
            "one-hot, or soft labels summing to 1 in a quarter of the draws",
    .n_mistakes = 1,
    .mistakes = {{"softmax_ce.dA_no_mean", "A", "the 1/N of the batch mean forgotten: dA = P − Y",
                  backward_no_mean}},
};
