/* gv_layer_mse.c: the mean squared error over a minibatch,
 * out = (1/N) Σ_ij (Ŷ_ij − Y_ij)², Ŷ N-by-D (predictions), Y N-by-D
 * (targets, not differentiable), out 1-by-1. dŶ = dout · 2(Ŷ − Y)/N. */
#include "gv_layers_pointwise.h"

#include <gsl/gsl_errno.h>

enum { YHAT_, Y_ };

static int forward(const gsl_matrix *const in[], void *params, gsl_matrix *out)
{
  (void)params;
  double L = 0.0;
  for (size_t i = 0; i < in[YHAT_]->size1; i++)
    for (size_t j = 0; j < in[YHAT_]->size2; j++) {
      double e = gsl_matrix_get(in[YHAT_], i, j) - gsl_matrix_get(in[Y_], i, j);
      L += e * e;
    }
  gsl_matrix_set(out, 0, 0, L / (double)in[YHAT_]->size1);
  return GSL_SUCCESS;
}

static int forward_complex(const gsl_matrix *const in[], const gv_layer_complex *const z[],
                           void *params, gv_layer_complex *out)
{
  (void)params;
  gv_layer_complex L = 0.0;
  for (size_t i = 0; i < in[YHAT_]->size1 * in[YHAT_]->size2; i++)
    L += (z[YHAT_][i] - z[Y_][i]) * (z[YHAT_][i] - z[Y_][i]);
  out[0] = L / (double)in[YHAT_]->size1;
  return GSL_SUCCESS;
}

/* dŶ = c dout (Ŷ − Y)/N: c = 2 is right. */
static int backward_times(const gsl_matrix *const in[], const gsl_matrix *dout, double c,
                          gsl_matrix *const grad[])
{
  double g = c * gsl_matrix_get(dout, 0, 0) / (double)in[YHAT_]->size1;
  gsl_matrix_memcpy(grad[YHAT_], in[YHAT_]);
  gsl_matrix_sub(grad[YHAT_], in[Y_]);
  gsl_matrix_scale(grad[YHAT_], g);
  return GSL_SUCCESS;
}

GV_LAYERS_BACKWARD_VARIANT(backward, backward_times, 2.0)

/* (Ŷ − Y)/N: the 2 of the square's derivative forgotten. */
GV_LAYERS_BACKWARD_VARIANT(backward_no_two, backward_times, 1.0)

/* N in [1, 8], D in [1, 10]; Y uniform in [−s, s], Ŷ = Y + uniform in
 * [−e, e], s and e log-uniform in [0.1, 100] (regime "large errors", e > 10). */
static int sample(gsl_rng *r, void *params, gsl_matrix *in[], gv_layer_draw *draw)
{
  (void)params;
  size_t N = gv_layers_draw_size(r, 1, 8), D = gv_layers_draw_size(r, 1, 10);
  double s = gv_layers_draw_scale(r, 0.1, 100.0), e = gv_layers_draw_scale(r, 0.1, 100.0);
  in[Y_] = gv_layers_draw_matrix(r, N, D, s);
  in[YHAT_] = gv_layers_draw_matrix(r, N, D, e);
  if (!in[Y_] || !in[YHAT_])
    return GSL_ENOMEM;
  gsl_matrix_add(in[YHAT_], in[Y_]);
  *draw = (gv_layer_draw){.regime = e > 10.0 ? "large errors" : NULL};
  return GSL_SUCCESS;
}

static const gv_layer_input inputs[] = {
    {"Yhat", 1, "dŶ = dout · 2(Ŷ − Y)/N"},
    {"Y", 0, NULL},
};

const gv_layers_entry gv_layers_mse = {
    .layer = {.name = "mse",
              .formula = "out = (1/N) Σ_ij (Ŷ_ij − Y_ij)²",
              .n_inputs = 2,
              .inputs = inputs,
              .forward = forward,
              .backward = backward,
              .output_shape = gv_layers_scalar_shape,
              .sample = sample,
              .forward_complex = forward_complex},
    .layout = "Yhat N×D, Y N×D (targets, not differentiable), out 1×1 (the mean over the "
              "batch of each example's summed squared error); dYhat N×D",
    .draw = "N ∈ [1, 8], D ∈ [1, 10]; Y uniform in [−s, s], Ŷ = Y + uniform in [−e, e], s, e "
            "log-uniform in [0.1, 100]",
    .n_mistakes = 1,
    .mistakes = {{"mse.dYhat_no_two", "Yhat", "dŶ = dout (Ŷ − Y)/N (the 2 forgotten)",
                  backward_no_two}},
};
