/* gv_layer_layernorm.c: layer normalisation, out = γ ⊙ x̂ + β with
 * x̂ = (X − μ)/σ, μ and σ² = mean((X − μ)²) over the features of each example
 * (each row), σ = √(σ² + eps). X N-by-D (D ≥ 2), γ and β D-by-1 (per
 * feature), eps 1-by-1 (not differentiable), out N-by-D. With dx̂ = dout ⊙ γ:
 *   dX = (dx̂ − mean_row(dx̂) − x̂ ⊙ mean_row(dx̂ ⊙ x̂)) / σ_row,
 *   dγ = Σ_batch dout ⊙ x̂,  dβ = Σ_batch dout:
 * batchnorm's formulas with rows and columns exchanged for the statistics,
 * not for γ and β. */
#include "gv_layers.h"
#include "gv_layers_parts.h"

#include <gsl/gsl_errno.h>

enum { X_, GAMMA_, BETA_, EPS_ };

static const gv_layer_input inputs[] = {
    {"X", 1, "dX = (dx̂ − mean_row(dx̂) − x̂ mean_row(dx̂ ⊙ x̂))/σ_row, dx̂ = dout γ"},
    {"gamma", 1, "dγ = Σ_batch dout ⊙ x̂"},
    {"beta", 1, "dβ = Σ_batch dout"},
    {"eps", 0, NULL},
};

static int shape(const gsl_matrix *const in[], void *params, size_t *rows, size_t *cols)
{
  (void)params;
  return gv_layers_norm_shape(in, rows, cols);
}

static int forward(const gsl_matrix *const in[], void *params, gsl_matrix *out)
{
  (void)params;
  gv_layers_norm_forward(in[X_], in[GAMMA_], in[BETA_], gsl_matrix_get(in[EPS_], 0, 0),
                         GV_NORM_ROWS, out);
  return GSL_SUCCESS;
}

static int forward_complex(const gsl_matrix *const in[], const gv_layer_complex *const z[],
                           void *params, gv_layer_complex *out)
{
  (void)params;
  gv_layers_norm_forward_complex(in[X_]->size1, in[X_]->size2, z[X_], z[GAMMA_], z[BETA_],
                                 z[EPS_][0], GV_NORM_ROWS, out);
  return GSL_SUCCESS;
}

static int backward_over(const gsl_matrix *const in[], const gsl_matrix *dout,
                         gsl_matrix *const grad[], gv_norm_axis axis)
{
  return gv_layers_norm_backward(in[X_], in[GAMMA_], gsl_matrix_get(in[EPS_], 0, 0), axis, dout,
                                 grad[X_], grad[GAMMA_], grad[BETA_]);
}

static int backward(const gsl_matrix *const in[], const gsl_matrix *dout, void *params,
                    gsl_matrix *const grad[])
{
  (void)params;
  return backward_over(in, dout, grad, GV_NORM_ROWS);
}

/* dX with the statistics over the batch (batchnorm's backward): the wrong
 * axis. */
static int backward_dX_wrong_axis(const gsl_matrix *const in[], const gsl_matrix *dout,
                                  void *params, gsl_matrix *const grad[])
{
  (void)params;
  int status = backward_over(in, dout, grad, GV_NORM_ROWS);
  if (!status && grad[X_]) {
    gsl_matrix *only[GV_LAYER_MAX_INPUTS] = {[X_] = grad[X_]};
    status = backward_over(in, dout, only, GV_NORM_COLUMNS);
  }
  return status;
}

/* N in [1, 8], D in [2, 10]: gv_layers_norm_sample. */
static int sample(gsl_rng *r, void *params, gsl_matrix *in[], gv_layer_draw *draw)
{
  (void)params;
  return gv_layers_norm_sample(r, GV_NORM_ROWS, 1, 8, 2, 10, in, draw);
}

const gv_layers_entry gv_layers_layernorm = {
    .layer = {.name = "layernorm",
              .formula = "out = γ ⊙ (X − μ)/√(σ² + eps) + β, μ, σ² over each example's features",
              .n_inputs = 4,
              .inputs = inputs,
              .forward = forward,
              .backward = backward,
              .output_shape = shape,
              .sample = sample,
              .forward_complex = forward_complex},
    .layout = "X N×D (D ≥ 2), gamma D×1, beta D×1 (per feature), eps 1×1 (not "
              "differentiable), out N×D; μ, σ² per row (over the features), biased (1/D); each "
              "gradient shaped like its input",
    .draw = "N ∈ [1, 8], D ∈ [2, 10], eps = 1e-5; row i: mean uniform in [−3, 3], entries "
            "uniform within ±s of it, s log-uniform in [0.1, 10], or in [1e-4, 1e-2] (small "
            "variance, a third of the draws); gamma, beta uniform in [−2, 2]",
    .n_mistakes = 1,
    .mistakes = {{"layernorm.dX_wrong_axis", "X",
                  "dX normalized over the wrong axis (the batch, as batchnorm)",
                  backward_dX_wrong_axis}},
};
