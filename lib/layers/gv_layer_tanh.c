/* gv_layer_tanh.c: out = tanh(X) entrywise, X N-by-D, out N-by-D.
 * dX = dout ⊙ (1 − tanh²X). Smooth everywhere; large |X| saturates. */
#include "gv_layers_pointwise.h"

#include <complex.h>
#include <math.h>

static double f(double x, double a)
{
  (void)a;
  return tanh(x);
}

static double df(double x, double a)
{
  (void)a;
  /* 1/cosh²X = 1 − tanh²X without the cancellation as tanh X → ±1. */
  double c = cosh(x);
  return 1.0 / (c * c);
}

static gv_layer_complex f_complex(gv_layer_complex z, double a)
{
  (void)a;
  return ctanh(z);
}

static gv_layers_pointwise fns = {
    .f = f, .df = df, .f_complex = f_complex, .s_lo = 0.1, .s_hi = 20.0};

/* 1 − X²: the derivative written in terms of the input instead of the output. */
static double df_input(double x, double a)
{
  (void)a;
  return 1.0 - x * x;
}

GV_LAYERS_POINTWISE_MISTAKE(backward_input, df_input)

static const gv_layer_input inputs[] = {{"X", 1, "dX = dout ⊙ (1 − tanh²X)"}};

const gv_layers_entry gv_layers_tanh = {
    .layer = GV_LAYERS_POINTWISE_LAYER("tanh", "out = tanh(X)", inputs, fns),
    .layout = "X N×D, out N×D; dX N×D",
    .draw = "N ∈ [1, 8], D ∈ [1, 10]; X uniform in [−s, s], s log-uniform in [0.1, 20] "
            "(s > 5: saturated entries)",
    .n_mistakes = 1,
    .mistakes = {{"tanh.dX_input", "X", "dX = dout ⊙ (1 − X²) instead of 1 − tanh²X",
                  backward_input}},
};
