/* gv_layer_dropout.c: inverted dropout in training mode with the mask
 * given: out = X ⊙ M / p, X N-by-D, M N-by-D of 0s and 1s (the kept units,
 * drawn once with keep probability p; not differentiable), p 1-by-1 (not
 * differentiable), out N-by-D. dX = dout ⊙ M / p. Linear in X. */
#include "gv_layers_pointwise.h"

#include <gsl/gsl_errno.h>

enum { X_, M_, P_ };

static int forward(const gsl_matrix *const in[], void *params, gsl_matrix *out)
{
  (void)params;
  gsl_matrix_memcpy(out, in[X_]);
  gsl_matrix_mul_elements(out, in[M_]);
  gsl_matrix_scale(out, 1.0 / gsl_matrix_get(in[P_], 0, 0));
  return GSL_SUCCESS;
}

static int forward_complex(const gsl_matrix *const in[], const gv_layer_complex *const z[],
                           void *params, gv_layer_complex *out)
{
  (void)params;
  for (size_t i = 0; i < in[X_]->size1 * in[X_]->size2; i++)
    out[i] = z[X_][i] * z[M_][i] / z[P_][0];
  return GSL_SUCCESS;
}

/* dX = dout ⊙ M / p, or without the / p when scaled is 0. */
static int backward_mask(const gsl_matrix *const in[], const gsl_matrix *dout, int scaled,
                         gsl_matrix *const grad[])
{
  gsl_matrix_memcpy(grad[X_], dout);
  gsl_matrix_mul_elements(grad[X_], in[M_]);
  if (scaled)
    gsl_matrix_scale(grad[X_], 1.0 / gsl_matrix_get(in[P_], 0, 0));
  return GSL_SUCCESS;
}

GV_LAYERS_BACKWARD_VARIANT(backward, backward_mask, 1)

/* dX = dout ⊙ M: the mask applied, the 1/p scaling of inverted dropout forgotten. */
GV_LAYERS_BACKWARD_VARIANT(backward_no_p, backward_mask, 0)

/* N in [1, 8], D in [1, 10]; X uniform in [−s, s], s log-uniform in
 * [0.1, 10]; p uniform in [0.1, 0.95]; M Bernoulli(p) per entry, drawn again
 * while every unit is dropped (a zero gradient shows no mistake). */
static int sample(gsl_rng *r, void *params, gsl_matrix *in[], gv_layer_draw *draw)
{
  (void)params;
  size_t N = gv_layers_draw_size(r, 1, 8), D = gv_layers_draw_size(r, 1, 10);
  double p = 0.1 + 0.85 * gsl_rng_uniform(r);
  in[X_] = gv_layers_draw_matrix(r, N, D, gv_layers_draw_scale(r, 0.1, 10.0));
  in[M_] = gsl_matrix_alloc(N, D);
  in[P_] = gsl_matrix_alloc(1, 1);
  if (!in[X_] || !in[M_] || !in[P_])
    return GSL_ENOMEM;
  gsl_matrix_set(in[P_], 0, 0, p);
  do
    for (size_t i = 0; i < N; i++)
      for (size_t j = 0; j < D; j++)
        gsl_matrix_set(in[M_], i, j, gsl_rng_uniform(r) < p ? 1.0 : 0.0);
  while (gsl_matrix_isnull(in[M_]));
  *draw = (gv_layer_draw){0};
  return GSL_SUCCESS;
}

static const gv_layer_input inputs[] = {
    {"X", 1, "dX = dout ⊙ M / p"},
    {"M", 0, NULL},
    {"p", 0, NULL},
};

const gv_layers_entry gv_layers_dropout = {
    .layer = {.name = "dropout",
              .formula = "out = X ⊙ M / p",
              .n_inputs = 3,
              .inputs = inputs,
              .forward = forward,
              .backward = backward,
              .sample = sample,
              .forward_complex = forward_complex},
    .layout = "X N×D, M N×D (the mask, 0 or 1, not differentiable), p 1×1 (keep probability, "
              "not differentiable), out N×D; dX N×D",
    .draw = "N ∈ [1, 8], D ∈ [1, 10]; X uniform in [−s, s], s log-uniform in [0.1, 10]; p "
            "uniform in [0.1, 0.95]; M Bernoulli(p), drawn again while all 0",
    .n_mistakes = 1,
    .mistakes = {{"dropout.dX_no_p", "X", "dX = dout ⊙ M (the / p forgotten)", backward_no_p}},
};
