/* gv_layer_softplus.c: out = log(1 + e^X) entrywise, computed as
 * max(X, 0) + log1p(e^−|X|) (no overflow, exact for large |X|), X N-by-D,
 * out N-by-D. dX = dout ⊙ σ(X). Smooth everywhere. */
#include "gv_layers_pointwise.h"

static double f(double x, double a)
{
  (void)a;
  return gv_layers_stable_softplus(x);
}

static double df(double x, double a)
{
  (void)a;
  return gv_layers_stable_sigmoid(x);
}

static gv_layer_complex f_complex(gv_layer_complex z, double a)
{
  (void)a;
  return gv_layers_stable_softplus_complex(z);
}

static gv_layers_pointwise fns = {
    .f = f, .df = df, .f_complex = f_complex, .s_lo = 0.1, .s_hi = 30.0};

/* 1/(1 + e^X) = σ(−X): the sign of the exponent lost. */
static double df_sign(double x, double a)
{
  (void)a;
  return gv_layers_stable_sigmoid(-x);
}

GV_LAYERS_POINTWISE_MISTAKE(backward_sign, df_sign)

static const gv_layer_input inputs[] = {{"X", 1, "dX = dout ⊙ σ(X)"}};

const gv_layers_entry gv_layers_softplus = {
    .layer = GV_LAYERS_POINTWISE_LAYER("softplus", "out = log(1 + e^X) = max(X, 0) + log1p(e^−|X|)",
                                       inputs, fns),
    .layout = "X N×D, out N×D; dX N×D",
    .draw = "N ∈ [1, 8], D ∈ [1, 10]; X uniform in [−s, s], s log-uniform in [0.1, 30]",
    .n_mistakes = 1,
    .mistakes = {{"softplus.dX_sign", "X", "dX = dout ⊙ 1/(1 + e^X) (σ(−X): the sign lost)",
                  backward_sign}},
};
