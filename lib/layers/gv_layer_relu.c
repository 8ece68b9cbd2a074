/* gv_layer_relu.c: out = max(X, 0) entrywise, X N-by-D, out N-by-D.
 * dX = dout ⊙ 1(X > 0). Kink at 0: entries within GV_LAYER_KINK_MARGIN of 0
 * redrawn and counted (gv_layers_pointwise). */
#include "gv_layers_pointwise.h"

#include <complex.h>

#include <gsl/gsl_errno.h>

static double f(double x, double a)
{
  (void)a;
  return x > 0.0 ? x : 0.0;
}

static double df(double x, double a)
{
  (void)a;
  return x > 0.0 ? 1.0 : 0.0;
}

/* The branch is taken on the real part: the sampler keeps X away from 0. */
static gv_layer_complex f_complex(gv_layer_complex z, double a)
{
  (void)a;
  return creal(z) > 0.0 ? z : 0.0;
}

static gv_layers_pointwise fns = {
    .f = f, .df = df, .f_complex = f_complex, .s_lo = 0.1, .s_hi = 10.0, .kink_at_zero = 1};

/* dX = dout: the mask forgotten. */
static double df_nomask(double x, double a)
{
  (void)x, (void)a;
  return 1.0;
}

GV_LAYERS_POINTWISE_MISTAKE(backward_nomask, df_nomask)

/* dX = dout ⊙ 1(dout > 0): the mask taken from the upstream gradient. */
static int backward_mask_dout(const gsl_matrix *const in[], const gsl_matrix *dout, void *params,
                              gsl_matrix *const grad[])
{
  (void)in, (void)params;
  for (size_t i = 0; i < dout->size1; i++)
    for (size_t j = 0; j < dout->size2; j++) {
      double g = gsl_matrix_get(dout, i, j);
      gsl_matrix_set(grad[0], i, j, g > 0.0 ? g : 0.0);
    }
  return GSL_SUCCESS;
}

static const gv_layer_input inputs[] = {
    {"X", 1, "dX = dout ⊙ 1(X > 0)"},
};

const gv_layers_entry gv_layers_relu = {
    .layer = GV_LAYERS_POINTWISE_LAYER("relu", "out = max(X, 0)", inputs, fns),
    .layout = "X N×D, out N×D; dX N×D",
    .draw = "N ∈ [1, 8], D ∈ [1, 10]; X uniform in [−s, s], s log-uniform in [0.1, 10]; entries "
            "within 1e-4 of the kink at 0 redrawn and counted (a quarter of the draws start with "
            "30% exact zeros)",
    .n_mistakes = 2,
    .mistakes = {{"relu.dX_nomask", "X", "the mask forgotten: dX = dout", backward_nomask},
                 {"relu.dX_mask_dout", "X",
                  "the mask taken from dout's sign: dX = dout ⊙ 1(dout > 0)", backward_mask_dout}},
};
