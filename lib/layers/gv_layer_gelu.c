/* gv_layer_gelu.c: GELU in its tanh form, entrywise: out = ½X(1 + tanh u),
 * u = c(X + kX³), c = √(2/π), k = 0.044715; X N-by-D, out N-by-D.
 * dX = dout ⊙ (½(1 + tanh u) + ½X(1 − tanh²u) c(1 + 3kX²)). Smooth.
 * Computed through ½(1 + tanh u) = σ(2u) and 1 − tanh²u = 4σ(2u)σ(−2u),
 * which keep their relative accuracy where tanh u → ±1. */
#include "gv_layers_pointwise.h"

#include <complex.h>
#include <math.h>

#define GELU_C 0.7978845608028654 /* √(2/π) */
#define GELU_K 0.044715

static double u2(double x)
{
  return 2.0 * GELU_C * (x + GELU_K * x * x * x);
}

static double f(double x, double a)
{
  (void)a;
  return x * gv_layers_stable_sigmoid(u2(x));
}

/* inner: the derivative of u with respect to x (1 in the mistake). */
static double df_inner(double x, double inner)
{
  double s = gv_layers_stable_sigmoid(u2(x)), r = gv_layers_stable_sigmoid(-u2(x));
  return s + 2.0 * x * s * r * inner;
}

static double df(double x, double a)
{
  (void)a;
  return df_inner(x, GELU_C * (1.0 + 3.0 * GELU_K * x * x));
}

static gv_layer_complex f_complex(gv_layer_complex z, double a)
{
  (void)a;
  return z * gv_layers_stable_sigmoid_complex(2.0 * GELU_C * (z + GELU_K * z * z * z));
}

static gv_layers_pointwise fns = {
    .f = f, .df = df, .f_complex = f_complex, .s_lo = 0.1, .s_hi = 10.0};

/* tanh'(u) taken without u's own derivative c(1 + 3kX²): the chain rule stopped early. */
static double df_chain(double x, double a)
{
  (void)a;
  return df_inner(x, 1.0);
}

GV_LAYERS_POINTWISE_MISTAKE(backward_chain, df_chain)

static const gv_layer_input inputs[] = {
    {"X", 1, "dX = dout ⊙ (½(1 + tanh u) + ½X(1 − tanh²u)c(1 + 3kX²))"}};

const gv_layers_entry gv_layers_gelu = {
    .layer = GV_LAYERS_POINTWISE_LAYER(
        "gelu", "out = ½X(1 + tanh(c(X + kX³))), c = √(2/π), k = 0.044715", inputs, fns),
    .layout = "X N×D, out N×D; dX N×D",
    .draw = "N ∈ [1, 8], D ∈ [1, 10]; X uniform in [−s, s], s log-uniform in [0.1, 10]",
    .n_mistakes = 1,
    .mistakes = {{"gelu.dX_chain", "X",
                  "dX = dout ⊙ (½(1 + tanh u) + ½X(1 − tanh²u)): u's derivative c(1 + 3kX²) "
                  "forgotten",
                  backward_chain}},
};
