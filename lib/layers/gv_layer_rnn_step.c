/* gv_layer_rnn_step.c: one step of a vanilla RNN, h' = tanh(X Wx + H Wh + 1bᵀ).
 * X N-by-D, H N-by-Hd (the previous hidden state), Wx D-by-Hd, Wh Hd-by-Hd,
 * b Hd-by-1, out h' N-by-Hd. With da = dout ⊙ (1 − h'²):
 * dX = da Wxᵀ, dH = da Whᵀ, dWx = Xᵀ da, dWh = Hᵀ da, db = daᵀ1. */
#include "gv_layers.h"
#include "gv_layers_parts.h"

#include <complex.h>
#include <math.h>

#include <gsl/gsl_errno.h>

enum { X_, H_, WX_, WH_, B_ };

static const gv_layer_input inputs[] = {
    {"X", 1, "dX = da Wxᵀ, da = dout ⊙ (1 − h'²)"},
    {"H", 1, "dH = da Whᵀ"},
    {"Wx", 1, "dWx = Xᵀ da"},
    {"Wh", 1, "dWh = Hᵀ da"},
    {"b", 1, "db = daᵀ1"},
};

static int shape(const gsl_matrix *const in[], void *params, size_t *rows, size_t *cols)
{
  (void)params;
  size_t N = in[X_]->size1, Hd = in[H_]->size2;
  if (in[H_]->size1 != N || in[WX_]->size1 != in[X_]->size2 || in[WX_]->size2 != Hd ||
      in[WH_]->size1 != Hd || in[WH_]->size2 != Hd || in[B_]->size1 != Hd || in[B_]->size2 != 1)
    return GSL_EBADLEN;
  *rows = N;
  *cols = Hd;
  return GSL_SUCCESS;
}

static int forward(const gsl_matrix *const in[], void *params, gsl_matrix *out)
{
  (void)params;
  int status = gv_layers_preact(in[X_], in[H_], in[WX_], in[WH_], in[B_], out);
  for (size_t i = 0; !status && i < out->size1; i++)
    for (size_t j = 0; j < out->size2; j++)
      gsl_matrix_set(out, i, j, tanh(gsl_matrix_get(out, i, j)));
  return status;
}

static int forward_complex(const gsl_matrix *const in[], const gv_layer_complex *const z[],
                           void *params, gv_layer_complex *out)
{
  (void)params;
  gv_layers_preact_complex(in[X_], in[H_], in[WX_], z[X_], z[H_], z[WX_], z[WH_], z[B_], out);
  for (size_t i = 0; i < in[X_]->size1 * in[H_]->size2; i++)
    out[i] = ctanh(out[i]);
  return GSL_SUCCESS;
}

/* The gradients from da = dout ⊙ (1 − h'²), or da = dout when dtanh is 0. */
static int backward_with(const gsl_matrix *const in[], const gsl_matrix *dout,
                         gsl_matrix *const grad[], int dtanh)
{
  gsl_matrix *da = gsl_matrix_alloc(dout->size1, dout->size2);
  if (!da)
    return GSL_ENOMEM;
  int status = forward(in, NULL, da);
  for (size_t i = 0; !status && i < da->size1; i++)
    for (size_t j = 0; j < da->size2; j++) {
      double h = gsl_matrix_get(da, i, j);
      gsl_matrix_set(da, i, j, gsl_matrix_get(dout, i, j) * (dtanh ? 1.0 - h * h : 1.0));
    }
  if (!status)
    status = gv_layers_preact_backward(in[X_], in[H_], in[WX_], in[WH_], da, grad[X_], grad[H_],
                                       grad[WX_], grad[WH_], grad[B_]);
  gsl_matrix_free(da);
  return status;
}

static int backward(const gsl_matrix *const in[], const gsl_matrix *dout, void *params,
                    gsl_matrix *const grad[])
{
  (void)params;
  return backward_with(in, dout, grad, 1);
}

/* tanh' forgotten: every gradient from da = dout. */
static int backward_no_dtanh(const gsl_matrix *const in[], const gsl_matrix *dout, void *params,
                             gsl_matrix *const grad[])
{
  (void)params;
  return backward_with(in, dout, grad, 0);
}

/* dH = dout Whᵀ only where the student remembered tanh' for the weights but
 * not on the path back in time: dWh right, dH without (1 − h'²). */
static int backward_dH_no_dtanh(const gsl_matrix *const in[], const gsl_matrix *dout, void *params,
                                gsl_matrix *const grad[])
{
  (void)params;
  int status = backward_with(in, dout, grad, 1);
  if (!status && grad[H_]) {
    gsl_matrix *keep[GV_LAYER_MAX_INPUTS] = {[H_] = grad[H_]};
    status = backward_with(in, dout, keep, 0);
  }
  return status;
}

/* N in [1, 6], D, Hd in [1, 8]; X, H and the weights uniform, scaled so
 * that the pre-activations are O(1), or O(3-10) (the "saturated" regime,
 * a quarter of the draws) where tanh' is small. */
static int sample(gsl_rng *r, void *params, gsl_matrix *in[], gv_layer_draw *draw)
{
  (void)params;
  size_t N = gv_layers_draw_size(r, 1, 6), D = gv_layers_draw_size(r, 1, 8);
  size_t Hd = gv_layers_draw_size(r, 1, 8);
  int saturated = gsl_rng_uniform(r) < 0.25;
  double s = saturated ? gv_layers_draw_scale(r, 3.0, 10.0) : gv_layers_draw_scale(r, 0.3, 2.0);
  in[X_] = gv_layers_draw_matrix(r, N, D, 1.0);
  in[H_] = gv_layers_draw_matrix(r, N, Hd, 1.0);
  in[WX_] = gv_layers_draw_matrix(r, D, Hd, s / sqrt((double)D));
  in[WH_] = gv_layers_draw_matrix(r, Hd, Hd, s / sqrt((double)Hd));
  in[B_] = gv_layers_draw_matrix(r, Hd, 1, 0.5 * s);
  *draw = (gv_layer_draw){.regime = saturated ? "saturated" : NULL};
  for (size_t k = 0; k <= B_; k++)
    if (!in[k])
      return GSL_ENOMEM;
  return GSL_SUCCESS;
}

const gv_layers_entry gv_layers_rnn_step = {
    .layer = {.name = "rnn_step",
              .formula = "h' = tanh(X Wx + H Wh + 1bᵀ)",
              .n_inputs = 5,
              .inputs = inputs,
              .forward = forward,
              .backward = backward,
              .output_shape = shape,
              .sample = sample,
              .forward_complex = forward_complex},
    .layout = "X N×D, H N×Hd, Wx D×Hd, Wh Hd×Hd, b Hd×1, out h' N×Hd; each gradient shaped "
              "like its input",
    .draw = "N ∈ [1, 6], D, Hd ∈ [1, 8]; X, H uniform in [−1, 1]; Wx, Wh uniform in "
            "[−s/√fan-in, s/√fan-in], b in [−s/2, s/2], s log-uniform in [0.3, 2], or in [3, 10] "
            "(saturated, a quarter of the draws)",
    .n_mistakes = 2,
    .mistakes = {{"rnn_step.dWx_no_dtanh", "Wx", "tanh' forgotten: dWx = Xᵀ dout",
                  backward_no_dtanh},
                 {"rnn_step.dH_no_dtanh", "H",
                  "tanh' forgotten on the path back in time: "
                  "dH = dout Whᵀ",
                  backward_dH_no_dtanh}},
};
