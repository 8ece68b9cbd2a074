/* gv_layer_lstm_step.c: one step of an LSTM cell. X N-by-D, H N-by-Hd and
 * C N-by-Hd (the previous hidden and cell states), Wx D-by-4Hd, Wh
 * Hd-by-4Hd, b 4Hd-by-1. a = X Wx + H Wh + 1bᵀ holds the gates' inputs in
 * four column blocks of Hd, in the order i, f, o, g:
 *   i = σ(a_i), f = σ(a_f), o = σ(a_o), g = tanh(a_g),
 *   c' = f ⊙ C + i ⊙ g,  h' = o ⊙ tanh(c').
 * The layer has two outputs; gv_layer has one, so out is N-by-2Hd = [h' c']
 * (h' in columns 0..Hd−1, c' in Hd..2Hd−1) and dout = [dh' dc'] likewise.
 * Backward: the cell state's gradient gathers both paths,
 *   dc = dc' + dh' ⊙ o ⊙ (1 − tanh²(c')),
 * then do = dh' ⊙ tanh(c'), di = dc ⊙ g, df = dc ⊙ C, dg = dc ⊙ i, dC = dc ⊙ f,
 * da = [di ⊙ i(1 − i), df ⊙ f(1 − f), do ⊙ o(1 − o), dg ⊙ (1 − g²)], and
 * dX = da Wxᵀ, dH = da Whᵀ, dWx = Xᵀ da, dWh = Hᵀ da, db = daᵀ1. */
#include "gv_layers.h"
#include "gv_layers_parts.h"

#include <complex.h>
#include <math.h>
#include <stdlib.h>

#include <gsl/gsl_errno.h>

enum { X_, H_, C_, WX_, WH_, B_ };

static const gv_layer_input inputs[] = {
    {"X", 1, "dX = da Wxᵀ"},
    {"H", 1, "dH = da Whᵀ"},
    {"C", 1, "dC = (dc' + dh' o (1 − tanh² c')) ⊙ f"},
    {"Wx", 1, "dWx = Xᵀ da, da = [di i(1−i), df f(1−f), do o(1−o), dg (1−g²)]"},
    {"Wh", 1, "dWh = Hᵀ da"},
    {"b", 1, "db = daᵀ1"},
};

static int shape(const gsl_matrix *const in[], void *params, size_t *rows, size_t *cols)
{
  (void)params;
  size_t N = in[X_]->size1, Hd = in[H_]->size2;
  if (in[H_]->size1 != N || in[C_]->size1 != N || in[C_]->size2 != Hd ||
      in[WX_]->size1 != in[X_]->size2 || in[WX_]->size2 != 4 * Hd || in[WH_]->size1 != Hd ||
      in[WH_]->size2 != 4 * Hd || in[B_]->size1 != 4 * Hd || in[B_]->size2 != 1)
    return GSL_EBADLEN;
  *rows = N;
  *cols = 2 * Hd;
  return GSL_SUCCESS;
}

static double sigmoid(double a)
{
  return 1.0 / (1.0 + exp(-a));
}

/* The gates in place of the pre-activations: a becomes [i f o g]. */
static void gates(gsl_matrix *a)
{
  size_t Hd = a->size2 / 4;
  for (size_t n = 0; n < a->size1; n++)
    for (size_t k = 0; k < 4 * Hd; k++) {
      double *x = gsl_matrix_ptr(a, n, k);
      *x = k < 3 * Hd ? sigmoid(*x) : tanh(*x);
    }
}

/* The gates for these inputs, a new N-by-4Hd matrix (NULL: out of memory). */
static gsl_matrix *gates_of(const gsl_matrix *const in[], int *status)
{
  gsl_matrix *a = gsl_matrix_alloc(in[X_]->size1, 4 * in[H_]->size2);
  *status = a ? gv_layers_preact(in[X_], in[H_], in[WX_], in[WH_], in[B_], a) : GSL_ENOMEM;
  if (!*status)
    gates(a);
  return a;
}

static int forward(const gsl_matrix *const in[], void *params, gsl_matrix *out)
{
  (void)params;
  int status;
  gsl_matrix *a = gates_of(in, &status);
  size_t Hd = in[H_]->size2;
  for (size_t n = 0; !status && n < out->size1; n++)
    for (size_t k = 0; k < Hd; k++) {
      double i = gsl_matrix_get(a, n, k), f = gsl_matrix_get(a, n, Hd + k);
      double o = gsl_matrix_get(a, n, 2 * Hd + k), g = gsl_matrix_get(a, n, 3 * Hd + k);
      double c = f * gsl_matrix_get(in[C_], n, k) + i * g;
      gsl_matrix_set(out, n, k, o * tanh(c));
      gsl_matrix_set(out, n, Hd + k, c);
    }
  gsl_matrix_free(a);
  return status;
}

static int forward_complex(const gsl_matrix *const in[], const gv_layer_complex *const z[],
                           void *params, gv_layer_complex *out)
{
  (void)params;
  size_t N = in[X_]->size1, Hd = in[H_]->size2;
  gv_layer_complex *a = malloc(N * 4 * Hd * sizeof *a);
  if (!a)
    return GSL_ENOMEM;
  gv_layers_preact_complex(in[X_], in[H_], in[WX_], z[X_], z[H_], z[WX_], z[WH_], z[B_], a);
  for (size_t n = 0; n < N; n++)
    for (size_t k = 0; k < Hd; k++) {
      const gv_layer_complex *an = a + n * 4 * Hd;
      gv_layer_complex i = 1.0 / (1.0 + cexp(-an[k])), f = 1.0 / (1.0 + cexp(-an[Hd + k]));
      gv_layer_complex o = 1.0 / (1.0 + cexp(-an[2 * Hd + k])), g = ctanh(an[3 * Hd + k]);
      gv_layer_complex c = f * z[C_][n * Hd + k] + i * g;
      out[n * 2 * Hd + k] = o * ctanh(c);
      out[n * 2 * Hd + Hd + k] = c;
    }
  free(a);
  return GSL_SUCCESS;
}

/* The planted mistakes, as switches of the one backward pass. */
typedef struct {
  int order_mixed; /* 1: da's o and g blocks exchanged (i, f, g, o) */
  int tanh_path;   /* 0: dc = dc' only, the path through tanh(c') forgotten */
} lstm_rule;

/* Entry (n, k) of da and dC, from the gates ifog and dout. */
static void cell_backward(const gsl_matrix *const in[], const gsl_matrix *dout, lstm_rule rule,
                          const gsl_matrix *a, size_t n, size_t k, gsl_matrix *da, gsl_matrix *dC)
{
  size_t Hd = in[H_]->size2;
  double i = gsl_matrix_get(a, n, k), f = gsl_matrix_get(a, n, Hd + k);
  double o = gsl_matrix_get(a, n, 2 * Hd + k), g = gsl_matrix_get(a, n, 3 * Hd + k);
  double c0 = gsl_matrix_get(in[C_], n, k), tc = tanh(f * c0 + i * g);
  double dh = gsl_matrix_get(dout, n, k), dc = gsl_matrix_get(dout, n, Hd + k);
  if (rule.tanh_path)
    dc += dh * o * (1.0 - tc * tc);
  if (dC)
    gsl_matrix_set(dC, n, k, dc * f);
  size_t at_o = rule.order_mixed ? 3 : 2, at_g = rule.order_mixed ? 2 : 3;
  gsl_matrix_set(da, n, k, dc * g * i * (1.0 - i));
  gsl_matrix_set(da, n, Hd + k, dc * c0 * f * (1.0 - f));
  gsl_matrix_set(da, n, at_o * Hd + k, dh * tc * o * (1.0 - o));
  gsl_matrix_set(da, n, at_g * Hd + k, dc * i * (1.0 - g * g));
}

static int backward_with(const gsl_matrix *const in[], const gsl_matrix *dout,
                         gsl_matrix *const grad[], lstm_rule rule)
{
  int status;
  gsl_matrix *a = gates_of(in, &status);
  gsl_matrix *da = status ? NULL : gsl_matrix_alloc(a->size1, a->size2);
  if (!status && !da)
    status = GSL_ENOMEM;
  for (size_t n = 0; !status && n < a->size1; n++)
    for (size_t k = 0; k < in[H_]->size2; k++)
      cell_backward(in, dout, rule, a, n, k, da, grad[C_]);
  if (!status)
    status = gv_layers_preact_backward(in[X_], in[H_], in[WX_], in[WH_], da, grad[X_], grad[H_],
                                       grad[WX_], grad[WH_], grad[B_]);
  gsl_matrix_free(a);
  gsl_matrix_free(da);
  return status;
}

static int backward(const gsl_matrix *const in[], const gsl_matrix *dout, void *params,
                    gsl_matrix *const grad[])
{
  (void)params;
  return backward_with(in, dout, grad, (lstm_rule){.order_mixed = 0, .tanh_path = 1});
}

static int backward_gate_order(const gsl_matrix *const in[], const gsl_matrix *dout, void *params,
                               gsl_matrix *const grad[])
{
  (void)params;
  return backward_with(in, dout, grad, (lstm_rule){.order_mixed = 1, .tanh_path = 1});
}

static int backward_no_tanh_path(const gsl_matrix *const in[], const gsl_matrix *dout, void *params,
                                 gsl_matrix *const grad[])
{
  (void)params;
  return backward_with(in, dout, grad, (lstm_rule){.order_mixed = 0, .tanh_path = 0});
}

/* A quarter of the draws "real size": N in [2, 4], D, Hd in [8, 12]; the
 * others N in [1, 4], D, Hd in [1, 6]. X, H uniform in [−1, 1], C in
 * [−2, 2]; Wx, Wh uniform in ±s/√fan-in, b in ±s/2, s log-uniform in
 * [0.3, 2]. */
static int sample(gsl_rng *r, void *params, gsl_matrix *in[], gv_layer_draw *draw)
{
  (void)params;
  int real = gsl_rng_uniform(r) < 0.25;
  size_t N = real ? gv_layers_draw_size(r, 2, 4) : gv_layers_draw_size(r, 1, 4);
  size_t D = real ? gv_layers_draw_size(r, 8, 12) : gv_layers_draw_size(r, 1, 6);
  size_t Hd = real ? gv_layers_draw_size(r, 8, 12) : gv_layers_draw_size(r, 1, 6);
  double s = gv_layers_draw_scale(r, 0.3, 2.0);
  in[X_] = gv_layers_draw_matrix(r, N, D, 1.0);
  in[H_] = gv_layers_draw_matrix(r, N, Hd, 1.0);
  in[C_] = gv_layers_draw_matrix(r, N, Hd, 2.0);
  in[WX_] = gv_layers_draw_matrix(r, D, 4 * Hd, s / sqrt((double)D));
  in[WH_] = gv_layers_draw_matrix(r, Hd, 4 * Hd, s / sqrt((double)Hd));
  in[B_] = gv_layers_draw_matrix(r, 4 * Hd, 1, 0.5 * s);
  *draw = (gv_layer_draw){.regime = real ? "real size" : NULL};
  for (size_t k = 0; k <= B_; k++)
    if (!in[k])
      return GSL_ENOMEM;
  return GSL_SUCCESS;
}

const gv_layers_entry gv_layers_lstm_step = {
    .layer = {.name = "lstm_step",
              .formula = "[h' c'], c' = σ(a_f) ⊙ C + σ(a_i) ⊙ tanh(a_g), h' = σ(a_o) ⊙ tanh(c'), "
                         "a = X Wx + H Wh + 1bᵀ",
              .n_inputs = 6,
              .inputs = inputs,
              .forward = forward,
              .backward = backward,
              .output_shape = shape,
              .sample = sample,
              .forward_complex = forward_complex},
    .layout = "X N×D, H N×Hd, C N×Hd, Wx D×4Hd, Wh Hd×4Hd, b 4Hd×1 (gate blocks i, f, o, g); "
              "out N×2Hd = [h' c'] (the two outputs side by side), dout = [dh' dc']; each "
              "gradient shaped like its input",
    .draw = "a quarter of the draws N ∈ [2, 4], D, Hd ∈ [8, 12] (real size), the others N ∈ "
            "[1, 4], D, Hd ∈ [1, 6]; X, H uniform in [−1, 1], C in [−2, 2]; Wx, Wh uniform in "
            "±s/√fan-in, b in ±s/2, s log-uniform in [0.3, 2]",
    .n_mistakes = 2,
    .mistakes = {{"lstm_step.dWx_gate_order", "Wx",
                  "gates' order mixed in da (i, f, g, o where the forward uses i, f, o, g)",
                  backward_gate_order},
                 {"lstm_step.dC_no_tanh_path", "C",
                  "dc = dc' only: the path from h' through tanh(c') forgotten",
                  backward_no_tanh_path}},
};
