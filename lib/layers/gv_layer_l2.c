/* gv_layer_l2.c: the weight penalty out = (λ/2)‖W‖² = (λ/2) Σ_ij W_ij²,
 * W D-by-M, λ 1-by-1 (not differentiable), out 1-by-1. dW = dout · λW. */
#include "gv_layers_pointwise.h"

#include <gsl/gsl_errno.h>

enum { W_, LAMBDA_ };

static int forward(const gsl_matrix *const in[], void *params, gsl_matrix *out)
{
  (void)params;
  double s = 0.0;
  for (size_t i = 0; i < in[W_]->size1; i++)
    for (size_t j = 0; j < in[W_]->size2; j++)
      s += gsl_matrix_get(in[W_], i, j) * gsl_matrix_get(in[W_], i, j);
  gsl_matrix_set(out, 0, 0, 0.5 * gsl_matrix_get(in[LAMBDA_], 0, 0) * s);
  return GSL_SUCCESS;
}

static int forward_complex(const gsl_matrix *const in[], const gv_layer_complex *const z[],
                           void *params, gv_layer_complex *out)
{
  (void)params;
  gv_layer_complex s = 0.0;
  for (size_t i = 0; i < in[W_]->size1 * in[W_]->size2; i++)
    s += z[W_][i] * z[W_][i];
  out[0] = 0.5 * z[LAMBDA_][0] * s;
  return GSL_SUCCESS;
}

/* dW = c dout λW: c = 1 is right. */
static int backward_times(const gsl_matrix *const in[], const gsl_matrix *dout, double c,
                          gsl_matrix *const grad[])
{
  gsl_matrix_memcpy(grad[W_], in[W_]);
  gsl_matrix_scale(grad[W_], c * gsl_matrix_get(dout, 0, 0) * gsl_matrix_get(in[LAMBDA_], 0, 0));
  return GSL_SUCCESS;
}

GV_LAYERS_BACKWARD_VARIANT(backward, backward_times, 1.0)

/* 2λW: the derivative of λ‖W‖², the ½ of the penalty forgotten. */
GV_LAYERS_BACKWARD_VARIANT(backward_2lambda, backward_times, 2.0)

/* D, M in [1, 10]; W uniform in [−s, s], s log-uniform in [0.1, 10]; λ
 * log-uniform in [1e-4, 1]. */
static int sample(gsl_rng *r, void *params, gsl_matrix *in[], gv_layer_draw *draw)
{
  (void)params;
  size_t D = gv_layers_draw_size(r, 1, 10), M = gv_layers_draw_size(r, 1, 10);
  in[W_] = gv_layers_draw_matrix(r, D, M, gv_layers_draw_scale(r, 0.1, 10.0));
  in[LAMBDA_] = gsl_matrix_alloc(1, 1);
  if (!in[W_] || !in[LAMBDA_])
    return GSL_ENOMEM;
  gsl_matrix_set(in[LAMBDA_], 0, 0, gv_layers_draw_scale(r, 1e-4, 1.0));
  *draw = (gv_layer_draw){0};
  return GSL_SUCCESS;
}

static const gv_layer_input inputs[] = {
    {"W", 1, "dW = dout · λW"},
    {"lambda", 0, NULL},
};

const gv_layers_entry gv_layers_l2 = {
    .layer = {.name = "l2",
              .formula = "out = (λ/2)‖W‖²",
              .n_inputs = 2,
              .inputs = inputs,
              .forward = forward,
              .backward = backward,
              .output_shape = gv_layers_scalar_shape,
              .sample = sample,
              .forward_complex = forward_complex},
    .layout = "W D×M, lambda 1×1 (not differentiable), out 1×1; dW D×M",
    .draw = "D, M ∈ [1, 10]; W uniform in [−s, s], s log-uniform in [0.1, 10]; λ log-uniform "
            "in [1e-4, 1]",
    .n_mistakes = 1,
    .mistakes = {{"l2.dW_2lambda", "W", "dW = dout · 2λW (the ½ of the penalty forgotten)",
                  backward_2lambda}},
};
