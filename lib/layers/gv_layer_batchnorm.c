/* gv_layer_batchnorm.c: batch normalisation in training mode,
 * out = γ ⊙ x̂ + β, x̂ = (X − μ)/σ with μ and σ² = mean((X − μ)²) over the
 * batch (each column), σ = √(σ² + eps). X N-by-D (N ≥ 2), γ and β D-by-1,
 * eps 1-by-1 (not differentiable), out N-by-D. With dx̂ = dout ⊙ γ per column:
 *   dX = (dx̂ − mean(dx̂) − x̂ ⊙ mean(dx̂ ⊙ x̂)) / σ,
 *   dγ = Σ_batch dout ⊙ x̂,  dβ = Σ_batch dout.
 * The mean and the variance depend on every X(i, j) of the column: the two
 * subtracted means are their contribution. */
#include "gv_layers.h"
#include "gv_layers_parts.h"

#include <math.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_statistics_double.h>

enum { X_, GAMMA_, BETA_, EPS_ };

static const gv_layer_input inputs[] = {
    {"X", 1, "dX = (dx̂ − mean(dx̂) − x̂ mean(dx̂ ⊙ x̂))/σ, dx̂ = dout γ"},
    {"gamma", 1, "dγ = Σ_batch dout ⊙ x̂"},
    {"beta", 1, "dβ = Σ_batch dout"},
    {"eps", 0, NULL},
};

static int shape(const gsl_matrix *const in[], void *params, size_t *rows, size_t *cols)
{
  (void)params;
  return gv_layers_norm_shape(in, rows, cols);
}

static double eps_of(const gsl_matrix *const in[])
{
  return gsl_matrix_get(in[EPS_], 0, 0);
}

static int forward(const gsl_matrix *const in[], void *params, gsl_matrix *out)
{
  (void)params;
  gv_layers_norm_forward(in[X_], in[GAMMA_], in[BETA_], eps_of(in), GV_NORM_COLUMNS, out);
  return GSL_SUCCESS;
}

static int forward_complex(const gsl_matrix *const in[], const gv_layer_complex *const z[],
                           void *params, gv_layer_complex *out)
{
  (void)params;
  gv_layers_norm_forward_complex(in[X_]->size1, in[X_]->size2, z[X_], z[GAMMA_], z[BETA_],
                                 z[EPS_][0], GV_NORM_COLUMNS, out);
  return GSL_SUCCESS;
}

static int backward(const gsl_matrix *const in[], const gsl_matrix *dout, void *params,
                    gsl_matrix *const grad[])
{
  (void)params;
  return gv_layers_norm_backward(in[X_], in[GAMMA_], eps_of(in), GV_NORM_COLUMNS, dout, grad[X_],
                                 grad[GAMMA_], grad[BETA_]);
}

/* dX = dout γ/σ: μ and σ treated as constants, as if X's entries did not
 * move the batch statistics. */
static int backward_dX_constant_stats(const gsl_matrix *const in[], const gsl_matrix *dout,
                                      void *params, gsl_matrix *const grad[])
{
  int status = backward(in, dout, params, grad);
  if (status || !grad[X_])
    return status;
  const gsl_matrix *X = in[X_];
  for (size_t j = 0; j < X->size2; j++) {
    gsl_vector_const_view x = gsl_matrix_const_column(X, j);
    const double *d = x.vector.data;
    double mu = gsl_stats_mean(d, x.vector.stride, X->size1);
    double var = gsl_stats_variance_with_fixed_mean(d, x.vector.stride, X->size1, mu);
    double sigma = sqrt(var + eps_of(in));
    for (size_t i = 0; i < X->size1; i++)
      gsl_matrix_set(grad[X_], i, j,
                     gsl_matrix_get(dout, i, j) * gsl_matrix_get(in[GAMMA_], j, 0) / sigma);
  }
  return status;
}

/* dγ = Σ_batch dout: x̂ forgotten (γ read as a bias). */
static int backward_dgamma_no_xhat(const gsl_matrix *const in[], const gsl_matrix *dout,
                                   void *params, gsl_matrix *const grad[])
{
  int status = backward(in, dout, params, grad);
  if (!status && grad[GAMMA_])
    gv_layers_sum_rows(dout, grad[GAMMA_]);
  return status;
}

/* N in [2, 8], D in [1, 6]: gv_layers_norm_sample. */
static int sample(gsl_rng *r, void *params, gsl_matrix *in[], gv_layer_draw *draw)
{
  (void)params;
  return gv_layers_norm_sample(r, GV_NORM_COLUMNS, 2, 8, 1, 6, in, draw);
}

const gv_layers_entry gv_layers_batchnorm = {
    .layer = {.name = "batchnorm",
              .formula = "out = γ ⊙ (X − μ)/√(σ² + eps) + β, μ, σ² over the batch",
              .n_inputs = 4,
              .inputs = inputs,
              .forward = forward,
              .backward = backward,
              .output_shape = shape,
              .sample = sample,
              .forward_complex = forward_complex},
    .layout = "X N×D (N ≥ 2), gamma D×1, beta D×1, eps 1×1 (not differentiable), out N×D; "
              "μ, σ² per column (over the batch), biased (1/N); each gradient shaped like its "
              "input",
    .draw = "N ∈ [2, 8], D ∈ [1, 6], eps = 1e-5; column j: mean uniform in [−3, 3], entries "
            "uniform within ±s of it, s log-uniform in [0.1, 10], or in [1e-4, 1e-2] (small "
            "variance, a third of the draws); gamma, beta uniform in [−2, 2]",
    .n_mistakes = 2,
    .mistakes = {{"batchnorm.dX_constant_stats", "X",
                  "dX = dout γ/σ (mean and variance treated as constants)",
                  backward_dX_constant_stats},
                 {"batchnorm.dgamma_no_xhat", "gamma", "dγ = Σ dout (x̂ forgotten)",
                  backward_dgamma_no_xhat}},
};
