/* gv_layer_leaky_relu.c: out = max(X, αX) entrywise (0 < α < 1), X N-by-D,
 * α 1-by-1 (a hyper-parameter, not differentiable), out N-by-D.
 * dX = dout ⊙ (1(X > 0) + α 1(X ≤ 0)). Kink at 0: redrawn and counted. */
#include "gv_layers_pointwise.h"

#include <complex.h>

static double f(double x, double a)
{
  return x > 0.0 ? x : a * x;
}

static double df(double x, double a)
{
  return x > 0.0 ? 1.0 : a;
}

/* The branch is taken on the real part: the sampler keeps X away from 0. */
static gv_layer_complex f_complex(gv_layer_complex z, double a)
{
  return creal(z) > 0.0 ? z : a * z;
}

static gv_layers_pointwise fns = {.f = f,
                                  .df = df,
                                  .f_complex = f_complex,
                                  .has_a = 1,
                                  .a_lo = 0.01,
                                  .a_hi = 0.3,
                                  .s_lo = 0.1,
                                  .s_hi = 10.0,
                                  .kink_at_zero = 1};

/* α on the positive side, 1 on the negative: the slopes swapped. */
static double df_alpha_positive(double x, double a)
{
  return x > 0.0 ? a : 1.0;
}

GV_LAYERS_POINTWISE_MISTAKE(backward_alpha_positive, df_alpha_positive)

static const gv_layer_input inputs[] = {
    {"X", 1, "dX = dout ⊙ (1(X > 0) + α1(X ≤ 0))"},
    {"alpha", 0, NULL},
};

const gv_layers_entry gv_layers_leaky_relu = {
    .layer =
        GV_LAYERS_POINTWISE_LAYER("leaky_relu", "out = X ⊙ (1(X > 0) + α1(X ≤ 0))", inputs, fns),
    .layout = "X N×D, alpha 1×1 (not differentiable), out N×D; dX N×D",
    .draw = "N ∈ [1, 8], D ∈ [1, 10]; X uniform in [−s, s], s log-uniform in [0.1, 10]; α "
            "log-uniform in [0.01, 0.3]; entries within 1e-4 of the kink at 0 redrawn and "
            "counted (a quarter of the draws start with 30% exact zeros)",
    .n_mistakes = 1,
    .mistakes = {{"leaky_relu.dX_alpha_positive", "X",
                  "α on the positive side: dX = dout ⊙ (α1(X > 0) + 1(X ≤ 0))",
                  backward_alpha_positive}},
};
