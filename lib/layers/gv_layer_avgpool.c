/* gv_layer_avgpool.c: average pooling, K-by-K windows moved by S. X
 * N-by-(C H W) (each row one example, c, y, x row-major), hyper 1-by-5
 * [C, H, W, K, S] (not differentiable), out N-by-(C Ho Wo),
 * Ho = (H − K)/S + 1, (c, i, j) row-major: out = the mean of each window.
 * dX spreads each dout evenly over its window, dout/K² per entry, summed
 * where windows overlap; entries no window covers get 0. */
#include "gv_layers.h"
#include "gv_layers_parts.h"

#include <gsl/gsl_errno.h>

enum { X_, HYPER_ };

static const gv_layer_input inputs[] = {
    {"X", 1, "dX(window) += dout/K² (spread evenly)"},
    {"hyper", 0, NULL},
};

static int shape(const gsl_matrix *const in[], void *params, size_t *rows, size_t *cols)
{
  (void)params;
  return gv_layers_pool_shape(in[X_], in[HYPER_], rows, cols);
}

static int forward(const gsl_matrix *const in[], void *params, gsl_matrix *out)
{
  (void)params;
  gv_layers_pool p;
  int status = gv_layers_pool_read(in[X_], in[HYPER_], &p);
  for (size_t n = 0; !status && n < p.N; n++)
    for (size_t w = 0; w < out->size2; w++) {
      double s = 0.0;
      for (size_t k = 0; k < p.K * p.K; k++)
        s += gsl_matrix_get(in[X_], n, gv_layers_pool_at(&p, w, k));
      gsl_matrix_set(out, n, w, s / (double)(p.K * p.K));
    }
  return status;
}

static int forward_complex(const gsl_matrix *const in[], const gv_layer_complex *const z[],
                           void *params, gv_layer_complex *out)
{
  (void)params;
  gv_layers_pool p;
  int status = gv_layers_pool_read(in[X_], in[HYPER_], &p);
  size_t cols = p.C * p.Ho * p.Wo;
  for (size_t n = 0; !status && n < p.N; n++)
    for (size_t w = 0; w < cols; w++) {
      gv_layer_complex s = 0.0;
      for (size_t k = 0; k < p.K * p.K; k++)
        s += z[X_][n * in[X_]->size2 + gv_layers_pool_at(&p, w, k)];
      out[n * cols + w] = s / (double)(p.K * p.K);
    }
  return status;
}

/* dX(window) += weight dout. */
static int backward_weighted(const gsl_matrix *const in[], const gsl_matrix *dout,
                             gsl_matrix *const grad[], int averaged)
{
  gv_layers_pool p;
  int status = gv_layers_pool_read(in[X_], in[HYPER_], &p);
  if (status || !grad[X_])
    return status;
  double weight = averaged ? 1.0 / (double)(p.K * p.K) : 1.0;
  gsl_matrix_set_zero(grad[X_]);
  for (size_t n = 0; n < p.N; n++)
    for (size_t w = 0; w < dout->size2; w++)
      for (size_t k = 0; k < p.K * p.K; k++)
        *gsl_matrix_ptr(grad[X_], n, gv_layers_pool_at(&p, w, k)) +=
            weight * gsl_matrix_get(dout, n, w);
  return GSL_SUCCESS;
}

static int backward(const gsl_matrix *const in[], const gsl_matrix *dout, void *params,
                    gsl_matrix *const grad[])
{
  (void)params;
  return backward_weighted(in, dout, grad, 1);
}

/* dout copied to every entry of its window: the 1/K² forgotten. */
static int backward_dX_unscaled(const gsl_matrix *const in[], const gsl_matrix *dout, void *params,
                                gsl_matrix *const grad[])
{
  (void)params;
  return backward_weighted(in, dout, grad, 0);
}

/* gv_layers_pool_sample: 2-by-2 stride 2 in three draws of four, else 3-by-3
 * stride 2. */
static int sample(gsl_rng *r, void *params, gsl_matrix *in[], gv_layer_draw *draw)
{
  (void)params;
  *draw = (gv_layer_draw){0};
  return gv_layers_pool_sample(r, in);
}

const gv_layers_entry gv_layers_avgpool = {
    .layer = {.name = "avgpool",
              .formula = "out(n, c, i, j) = mean of X(n, c, S i + u, S j + v), 0 <= u, v < K",
              .n_inputs = 2,
              .inputs = inputs,
              .forward = forward,
              .backward = backward,
              .output_shape = shape,
              .sample = sample,
              .forward_complex = forward_complex},
    .layout = "X N×(C·H·W) (a row is one example, (c, y, x) row-major), hyper 1×5 [C, H, W, K, "
              "S] (not differentiable), out N×(C·Ho·Wo), Ho = ⌊(H − K)/S⌋ + 1; dX shaped like X",
    .draw = "N, C ∈ [1, 3], H, W ∈ [3, 9]; K = 2, S = 2 (three draws in four) or K = 3, S = 2 "
            "(overlapping windows); X uniform in [−s, s], s log-uniform in [0.1, 10]",
    .n_mistakes = 1,
    .mistakes = {{"avgpool.dX_unscaled", "X", "dout copied to every window entry (1/K² forgotten)",
                  backward_dX_unscaled}},
};
