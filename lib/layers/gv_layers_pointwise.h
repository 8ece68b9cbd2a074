/* gv_layers_pointwise.h: the machinery shared by the catalogue's
 * elementwise layers (out = f(X) entry by entry, X N-by-D, out N-by-D,
 * dX = dout ⊙ f'(X)) and the numerically stable scalar pieces the losses
 * reuse. A pointwise layer's file holds only its scalar f, f', complex f,
 * mistakes and entry; its gv_layer's params points at its gv_layers_pointwise.
 *
 * A layer with a hyper-parameter (a slope α) has it as input 1, a 1-by-1
 * matrix, not differentiable; f and f' receive it as `a` (0 otherwise). */
#ifndef GV_LAYERS_POINTWISE_H
#define GV_LAYERS_POINTWISE_H

#include "gv_layers.h"

typedef double (*gv_layers_scalar_fn)(double x, double a);
typedef gv_layer_complex (*gv_layers_complex_fn)(gv_layer_complex z, double a);

typedef struct {
  gv_layers_scalar_fn f, df;      /* f and its derivative */
  gv_layers_complex_fn f_complex; /* f's analytic continuation (branches on Re z) */
  int has_a;                      /* 1: input 1 is the hyper-parameter a */
  double a_lo, a_hi;              /* a log-uniform in [a_lo, a_hi] */
  double s_lo, s_hi;              /* X uniform in [-s, s], s log-uniform in [s_lo, s_hi] */
  int kink_at_zero;               /* 1: f' jumps at 0; entries within GV_LAYER_KINK_MARGIN of 0
                                     are redrawn and counted, and a quarter of the draws plant
                                     exact zeros (regime "exact zeros") to exercise that */
} gv_layers_pointwise;

/* The gv_layer callbacks of a pointwise layer; params is its gv_layers_pointwise. */
int gv_layers_pointwise_forward(const gsl_matrix *const in[], void *params, gsl_matrix *out);
int gv_layers_pointwise_backward(const gsl_matrix *const in[], const gsl_matrix *dout, void *params,
                                 gsl_matrix *const grad[]);
int gv_layers_pointwise_forward_complex(const gsl_matrix *const in[],
                                        const gv_layer_complex *const z[], void *params,
                                        gv_layer_complex *out);
int gv_layers_pointwise_sample(gsl_rng *r, void *params, gsl_matrix *in[], gv_layer_draw *draw);

/* grad[0] = dout ⊙ df(X, a): a planted mistake's backward with its wrong df. */
int gv_layers_pointwise_backward_with(const gsl_matrix *const in[], const gsl_matrix *dout,
                                      void *params, gv_layers_scalar_fn df,
                                      gsl_matrix *const grad[]);

/* The gv_layer of a pointwise layer named NAME with inputs INPUTS (a static
 * array) and scalar functions FNS (a static gv_layers_pointwise). */
#define GV_LAYERS_POINTWISE_LAYER(NAME, FORMULA, INPUTS, FNS)                                      \
  {                                                                                                \
    .name = NAME, .formula = FORMULA, .n_inputs = sizeof INPUTS / sizeof INPUTS[0],                \
    .inputs = INPUTS, .forward = gv_layers_pointwise_forward,                                      \
    .backward = gv_layers_pointwise_backward, .sample = gv_layers_pointwise_sample,                \
    .forward_complex = gv_layers_pointwise_forward_complex, .params = &FNS                         \
  }

/* Defines static backward FN: a planted mistake whose f' is the wrong DF. */
#define GV_LAYERS_POINTWISE_MISTAKE(FN, DF)                                                        \
  static int FN(const gsl_matrix *const in[], const gsl_matrix *dout, void *params,                \
                gsl_matrix *const grad[])                                                          \
  {                                                                                                \
    return gv_layers_pointwise_backward_with(in, dout, params, DF, grad);                          \
  }

/* Defines static backward FN as IMPL(in, dout, ARG, grad): a layer's right
 * backward and its planted mistakes as one implementation with a switch. */
#define GV_LAYERS_BACKWARD_VARIANT(FN, IMPL, ARG)                                                  \
  static int FN(const gsl_matrix *const in[], const gsl_matrix *dout, void *params,                \
                gsl_matrix *const grad[])                                                          \
  {                                                                                                \
    (void)params;                                                                                  \
    return IMPL(in, dout, ARG, grad);                                                              \
  }

/* σ(x) = 1 / (1 + e^-x) without overflow for either sign of x. */
double gv_layers_stable_sigmoid(double x);
/* log(1 + e^x) = max(x, 0) + log1p(e^-|x|), exact for large |x|. */
double gv_layers_stable_softplus(double x);
/* The same two in complex arithmetic, branching on Re z (both branches are
 * the same analytic function: the branch only keeps exp from overflowing). */
gv_layer_complex gv_layers_stable_sigmoid_complex(gv_layer_complex z);
gv_layer_complex gv_layers_stable_softplus_complex(gv_layer_complex z);

/* 1-by-1: the output shape of a loss or penalty (a scalar). */
int gv_layers_scalar_shape(const gsl_matrix *const in[], void *params, size_t *rows, size_t *cols);

#endif
