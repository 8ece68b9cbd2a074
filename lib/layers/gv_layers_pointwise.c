/* gv_layers_pointwise.c: elementwise layers' forward, backward, complex
 * forward and sampler from their scalar functions; stable σ and softplus. */
#include "gv_layers_pointwise.h"

#include <complex.h>
#include <math.h>

#include <gsl/gsl_errno.h>

static double hyper(const gsl_matrix *const in[], const gv_layers_pointwise *p)
{
  return p->has_a ? gsl_matrix_get(in[1], 0, 0) : 0.0;
}

int gv_layers_pointwise_forward(const gsl_matrix *const in[], void *params, gsl_matrix *out)
{
  const gv_layers_pointwise *p = params;
  double a = hyper(in, p);
  for (size_t i = 0; i < out->size1; i++)
    for (size_t j = 0; j < out->size2; j++)
      gsl_matrix_set(out, i, j, p->f(gsl_matrix_get(in[0], i, j), a));
  return GSL_SUCCESS;
}

int gv_layers_pointwise_backward_with(const gsl_matrix *const in[], const gsl_matrix *dout,
                                      void *params, gv_layers_scalar_fn df,
                                      gsl_matrix *const grad[])
{
  double a = hyper(in, params);
  for (size_t i = 0; grad[0] && i < dout->size1; i++)
    for (size_t j = 0; j < dout->size2; j++)
      gsl_matrix_set(grad[0], i, j,
                     gsl_matrix_get(dout, i, j) * df(gsl_matrix_get(in[0], i, j), a));
  return GSL_SUCCESS;
}

int gv_layers_pointwise_backward(const gsl_matrix *const in[], const gsl_matrix *dout, void *params,
                                 gsl_matrix *const grad[])
{
  const gv_layers_pointwise *p = params;
  return gv_layers_pointwise_backward_with(in, dout, params, p->df, grad);
}

int gv_layers_pointwise_forward_complex(const gsl_matrix *const in[],
                                        const gv_layer_complex *const z[], void *params,
                                        gv_layer_complex *out)
{
  const gv_layers_pointwise *p = params;
  double a = hyper(in, p);
  for (size_t i = 0; i < in[0]->size1 * in[0]->size2; i++)
    out[i] = p->f_complex(z[0][i], a);
  return GSL_SUCCESS;
}

/* Entries within the kink margin of 0 redrawn (each redraw counted); in the
 * "exact zeros" regime about 30% of the entries start at 0, as after a ReLU. */
static size_t redraw_kinks(gsl_rng *r, gsl_matrix *X, double s, int plant_zeros)
{
  size_t redraws = 0;
  for (size_t i = 0; i < X->size1; i++)
    for (size_t j = 0; j < X->size2; j++) {
      double *x = gsl_matrix_ptr(X, i, j);
      if (plant_zeros && gsl_rng_uniform(r) < 0.3)
        *x = 0.0;
      for (; fabs(*x) < GV_LAYER_KINK_MARGIN; redraws++)
        *x = s * (2.0 * gsl_rng_uniform(r) - 1.0);
    }
  return redraws;
}

/* N in [1, 8], D in [1, 10]; X uniform in [-s, s] with s log-uniform in
 * [s_lo, s_hi] (regime "large inputs" when s > 5: saturation, tiny f'). */
int gv_layers_pointwise_sample(gsl_rng *r, void *params, gsl_matrix *in[], gv_layer_draw *draw)
{
  const gv_layers_pointwise *p = params;
  size_t N = gv_layers_draw_size(r, 1, 8), D = gv_layers_draw_size(r, 1, 10);
  double s = gv_layers_draw_scale(r, p->s_lo, p->s_hi);
  *draw = (gv_layer_draw){.regime = s > 5.0 ? "large inputs" : NULL};
  if (!(in[0] = gv_layers_draw_matrix(r, N, D, s)))
    return GSL_ENOMEM;
  if (p->kink_at_zero) {
    int zeros = gsl_rng_uniform(r) < 0.25;
    draw->redraws = redraw_kinks(r, in[0], s, zeros);
    if (zeros)
      draw->regime = "exact zeros";
  }
  if (p->has_a) {
    if (!(in[1] = gsl_matrix_alloc(1, 1)))
      return GSL_ENOMEM;
    gsl_matrix_set(in[1], 0, 0, gv_layers_draw_scale(r, p->a_lo, p->a_hi));
  }
  return GSL_SUCCESS;
}

double gv_layers_stable_sigmoid(double x)
{
  if (x >= 0.0)
    return 1.0 / (1.0 + exp(-x));
  double e = exp(x);
  return e / (1.0 + e);
}

double gv_layers_stable_softplus(double x)
{
  return fmax(x, 0.0) + log1p(exp(-fabs(x)));
}

gv_layer_complex gv_layers_stable_sigmoid_complex(gv_layer_complex z)
{
  if (creal(z) >= 0.0)
    return 1.0 / (1.0 + cexp(-z));
  gv_layer_complex e = cexp(z);
  return e / (1.0 + e);
}

gv_layer_complex gv_layers_stable_softplus_complex(gv_layer_complex z)
{
  return creal(z) >= 0.0 ? z + clog(1.0 + cexp(-z)) : clog(1.0 + cexp(z));
}

int gv_layers_scalar_shape(const gsl_matrix *const in[], void *params, size_t *rows, size_t *cols)
{
  (void)in, (void)params;
  *rows = 1;
  *cols = 1;
  return GSL_SUCCESS;
}
