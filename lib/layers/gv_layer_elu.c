/* gv_layer_elu.c: out = X for X > 0, α(e^X − 1) for X ≤ 0, entrywise; X
 * N-by-D, α 1-by-1 (a hyper-parameter, not differentiable), out N-by-D.
 * dX = dout ⊙ (1(X > 0) + α e^X 1(X ≤ 0)), where α e^X = out + α. f' jumps
 * at 0 unless α = 1 (and f'' always does): kinks redrawn and counted. */
#include "gv_layers_pointwise.h"

#include <complex.h>
#include <math.h>

static double f(double x, double a)
{
  return x > 0.0 ? x : a * expm1(x);
}

static double df(double x, double a)
{
  return x > 0.0 ? 1.0 : a * exp(x);
}

/* The branch is taken on the real part: the sampler keeps X away from 0. */
static gv_layer_complex f_complex(gv_layer_complex z, double a)
{
  return creal(z) > 0.0 ? z : a * (cexp(z) - 1.0);
}

static gv_layers_pointwise fns = {.f = f,
                                  .df = df,
                                  .f_complex = f_complex,
                                  .has_a = 1,
                                  .a_lo = 0.1,
                                  .a_hi = 3.0,
                                  .s_lo = 0.1,
                                  .s_hi = 10.0,
                                  .kink_at_zero = 1};

/* The output reused as the derivative on the negative side: α(e^X − 1),
 * the + α forgotten. */
static double df_output(double x, double a)
{
  return x > 0.0 ? 1.0 : a * expm1(x);
}

GV_LAYERS_POINTWISE_MISTAKE(backward_output, df_output)

static const gv_layer_input inputs[] = {
    {"X", 1, "dX = dout ⊙ (1(X > 0) + αe^X 1(X ≤ 0))"},
    {"alpha", 0, NULL},
};

const gv_layers_entry gv_layers_elu = {
    .layer =
        GV_LAYERS_POINTWISE_LAYER("elu", "out = X 1(X > 0) + α(e^X − 1) 1(X ≤ 0)", inputs, fns),
    .layout = "X N×D, alpha 1×1 (not differentiable), out N×D; dX N×D",
    .draw = "N ∈ [1, 8], D ∈ [1, 10]; X uniform in [−s, s], s log-uniform in [0.1, 10]; α "
            "log-uniform in [0.1, 3]; entries within 1e-4 of the kink at 0 redrawn and counted "
            "(a quarter of the draws start with 30% exact zeros)",
    .n_mistakes = 1,
    .mistakes = {{"elu.dX_output", "X", "dX = dout ⊙ out for X ≤ 0: α(e^X − 1), the + α forgotten",
                  backward_output}},
};
