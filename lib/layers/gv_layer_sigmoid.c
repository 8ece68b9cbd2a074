/* gv_layer_sigmoid.c: out = σ(X) = 1 / (1 + e^−X) entrywise, X N-by-D,
 * out N-by-D. dX = dout ⊙ σ(X)(1 − σ(X)). Smooth everywhere; large |X|
 * saturates (σ' ~ e^−|X|, below what a difference resolves). */
#include "gv_layers_pointwise.h"

static double f(double x, double a)
{
  (void)a;
  return gv_layers_stable_sigmoid(x);
}

static double df(double x, double a)
{
  (void)a;
  /* σ(X)σ(−X) = σ(1 − σ) without 1 − σ's cancellation as σ → 1. */
  return gv_layers_stable_sigmoid(x) * gv_layers_stable_sigmoid(-x);
}

static gv_layer_complex f_complex(gv_layer_complex z, double a)
{
  (void)a;
  return gv_layers_stable_sigmoid_complex(z);
}

static gv_layers_pointwise fns = {
    .f = f, .df = df, .f_complex = f_complex, .s_lo = 0.1, .s_hi = 30.0};

/* X(1 − X): the derivative written in terms of the input instead of the output. */
static double df_input(double x, double a)
{
  (void)a;
  return x * (1.0 - x);
}

GV_LAYERS_POINTWISE_MISTAKE(backward_input, df_input)

static const gv_layer_input inputs[] = {{"X", 1, "dX = dout ⊙ σ(X)(1 − σ(X))"}};

const gv_layers_entry gv_layers_sigmoid = {
    .layer = GV_LAYERS_POINTWISE_LAYER("sigmoid", "out = σ(X) = 1/(1 + e^−X)", inputs, fns),
    .layout = "X N×D, out N×D; dX N×D",
    .draw = "N ∈ [1, 8], D ∈ [1, 10]; X uniform in [−s, s], s log-uniform in [0.1, 30] "
            "(s > 5: saturated entries)",
    .n_mistakes = 1,
    .mistakes = {{"sigmoid.dX_input", "X", "dX = dout ⊙ X(1 − X) instead of σ(X)(1 − σ(X))",
                  backward_input}},
};
