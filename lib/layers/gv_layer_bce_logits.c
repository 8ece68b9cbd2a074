/* gv_layer_bce_logits.c: binary cross-entropy on logits, mean over the
 * batch: out = (1/N) Σ_ij [softplus(A_ij) − A_ij Y_ij], which is
 * −(1/N) Σ [Y log σ(A) + (1 − Y) log(1 − σ(A))] computed without log(0) or
 * overflow (softplus(a) = max(a, 0) + log1p(e^−|a|)). A N-by-D (logits), Y
 * N-by-D (targets in [0, 1], not differentiable), out 1-by-1.
 * dA = dout · (σ(A) − Y)/N. Smooth everywhere. */
#include "gv_layers_pointwise.h"

#include <gsl/gsl_errno.h>

enum { A_, Y_ };

static int forward(const gsl_matrix *const in[], void *params, gsl_matrix *out)
{
  (void)params;
  double L = 0.0;
  for (size_t i = 0; i < in[A_]->size1; i++)
    for (size_t j = 0; j < in[A_]->size2; j++) {
      double a = gsl_matrix_get(in[A_], i, j);
      L += gv_layers_stable_softplus(a) - a * gsl_matrix_get(in[Y_], i, j);
    }
  gsl_matrix_set(out, 0, 0, L / (double)in[A_]->size1);
  return GSL_SUCCESS;
}

static int forward_complex(const gsl_matrix *const in[], const gv_layer_complex *const z[],
                           void *params, gv_layer_complex *out)
{
  (void)params;
  gv_layer_complex L = 0.0;
  for (size_t i = 0; i < in[A_]->size1 * in[A_]->size2; i++)
    L += gv_layers_stable_softplus_complex(z[A_][i]) - z[A_][i] * z[Y_][i];
  out[0] = L / (double)in[A_]->size1;
  return GSL_SUCCESS;
}

/* dA = dout (σ(A) − Y)/N, times σ'(A) as well when twice is set. */
static int backward_sigmoid(const gsl_matrix *const in[], const gsl_matrix *dout, int twice,
                            gsl_matrix *const grad[])
{
  double g = gsl_matrix_get(dout, 0, 0) / (double)in[A_]->size1;
  for (size_t i = 0; i < in[A_]->size1; i++)
    for (size_t j = 0; j < in[A_]->size2; j++) {
      /* σ(a) − y = (1 − y)σ(a) − yσ(−a): no cancellation at y = 1 and large a. */
      double a = gsl_matrix_get(in[A_], i, j), y = gsl_matrix_get(in[Y_], i, j);
      double s = gv_layers_stable_sigmoid(a), r = gv_layers_stable_sigmoid(-a);
      double d = ((1.0 - y) * s - y * r) * (twice ? s * r : 1.0);
      gsl_matrix_set(grad[A_], i, j, g * d);
    }
  return GSL_SUCCESS;
}

GV_LAYERS_BACKWARD_VARIANT(backward, backward_sigmoid, 0)

/* (σ(A) − Y) σ(A)(1 − σ(A))/N: the sigmoid's derivative multiplied in again,
 * as if the loss were taken of σ(A) and then chained through the sigmoid. */
GV_LAYERS_BACKWARD_VARIANT(backward_dsigma_again, backward_sigmoid, 1)

/* N in [1, 8], D in [1, 10]; A uniform in [−s, s], s log-uniform in
 * [0.1, 50] (regime "large logits", s > 10); Y binary in half the draws,
 * soft (uniform in [0, 1]) in the others. */
static int sample(gsl_rng *r, void *params, gsl_matrix *in[], gv_layer_draw *draw)
{
  (void)params;
  size_t N = gv_layers_draw_size(r, 1, 8), D = gv_layers_draw_size(r, 1, 10);
  double s = gv_layers_draw_scale(r, 0.1, 50.0);
  int binary = gsl_rng_uniform(r) < 0.5;
  in[A_] = gv_layers_draw_matrix(r, N, D, s);
  in[Y_] = gsl_matrix_alloc(N, D);
  if (!in[A_] || !in[Y_])
    return GSL_ENOMEM;
  for (size_t i = 0; i < N; i++)
    for (size_t j = 0; j < D; j++) {
      double u = gsl_rng_uniform(r);
      gsl_matrix_set(in[Y_], i, j, binary ? (double)(u < 0.5) : u);
    }
  *draw = (gv_layer_draw){.regime = s > 10.0 ? "large logits" : NULL};
  return GSL_SUCCESS;
}

static const gv_layer_input inputs[] = {
    {"A", 1, "dA = dout · (σ(A) − Y)/N"},
    {"Y", 0, NULL},
};

const gv_layers_entry gv_layers_bce_logits = {
    .layer = {.name = "bce_logits",
              .formula = "out = (1/N) Σ_ij [log(1 + e^A_ij) − A_ij Y_ij]",
              .n_inputs = 2,
              .inputs = inputs,
              .forward = forward,
              .backward = backward,
              .output_shape = gv_layers_scalar_shape,
              .sample = sample,
              .forward_complex = forward_complex},
    .layout = "A N×D (logits), Y N×D (targets in [0, 1], not differentiable), out 1×1 (the "
              "mean over the batch); dA N×D",
    .draw = "N ∈ [1, 8], D ∈ [1, 10]; A uniform in [−s, s], s log-uniform in [0.1, 50]; Y "
            "binary in half the draws, uniform in [0, 1] in the others",
    .n_mistakes = 1,
    .mistakes = {{"bce_logits.dA_dsigma_again", "A",
                  "dA = dout · (σ(A) − Y) σ(A)(1 − σ(A))/N (σ'(A) multiplied in again)",
                  backward_dsigma_again}},
};
