/* gv_layer_maxpool.c: max pooling, K-by-K windows moved by S (2-by-2,
 * stride 2 in most draws). X N-by-(C H W) (each row one example, c, y, x
 * row-major), hyper 1-by-5 [C, H, W, K, S] (not differentiable), out
 * N-by-(C Ho Wo), Ho = (H − K)/S + 1, (c, i, j) row-major: out = the largest
 * entry of each window. dX routes each dout to its window's argmax (summed
 * where overlapping windows share it); every other entry gets 0. A tie for
 * the largest is a kink: the sampler redraws such points. No complex
 * forward: max is not analytic. */
#include "gv_layers.h"
#include "gv_layers_parts.h"

#include <math.h>

#include <gsl/gsl_errno.h>

enum { X_, HYPER_ };

static const gv_layer_input inputs[] = {
    {"X", 1, "dX(argmax of the window) += dout"},
    {"hyper", 0, NULL},
};

static int shape(const gsl_matrix *const in[], void *params, size_t *rows, size_t *cols)
{
  (void)params;
  return gv_layers_pool_shape(in[X_], in[HYPER_], rows, cols);
}

/* The column of X holding the largest entry of window w in row n (the
 * first of equals), and the gap to the second largest (+inf when K = 1). */
static size_t argmax(const gv_layers_pool *p, const gsl_matrix *X, size_t n, size_t w, double *gap)
{
  size_t best = gv_layers_pool_at(p, w, 0);
  double top = gsl_matrix_get(X, n, best), second = -INFINITY;
  for (size_t k = 1; k < p->K * p->K; k++) {
    size_t at = gv_layers_pool_at(p, w, k);
    double x = gsl_matrix_get(X, n, at);
    if (x > top) {
      second = top;
      top = x;
      best = at;
    } else if (x > second) {
      second = x;
    }
  }
  *gap = top - second;
  return best;
}

static int forward(const gsl_matrix *const in[], void *params, gsl_matrix *out)
{
  (void)params;
  gv_layers_pool p;
  double gap;
  int status = gv_layers_pool_read(in[X_], in[HYPER_], &p);
  for (size_t n = 0; !status && n < p.N; n++)
    for (size_t w = 0; w < out->size2; w++)
      gsl_matrix_set(out, n, w, gsl_matrix_get(in[X_], n, argmax(&p, in[X_], n, w, &gap)));
  return status;
}

static int backward(const gsl_matrix *const in[], const gsl_matrix *dout, void *params,
                    gsl_matrix *const grad[])
{
  (void)params;
  gv_layers_pool p;
  double gap;
  int status = gv_layers_pool_read(in[X_], in[HYPER_], &p);
  if (status || !grad[X_])
    return status;
  gsl_matrix_set_zero(grad[X_]);
  for (size_t n = 0; n < p.N; n++)
    for (size_t w = 0; w < dout->size2; w++)
      *gsl_matrix_ptr(grad[X_], n, argmax(&p, in[X_], n, w, &gap)) += gsl_matrix_get(dout, n, w);
  return GSL_SUCCESS;
}

/* dout spread evenly over the whole window (avgpool's backward), as if every
 * entry were the max. */
static int backward_dX_spread(const gsl_matrix *const in[], const gsl_matrix *dout, void *params,
                              gsl_matrix *const grad[])
{
  (void)params;
  gv_layers_pool p;
  int status = gv_layers_pool_read(in[X_], in[HYPER_], &p);
  if (status || !grad[X_])
    return status;
  gsl_matrix_set_zero(grad[X_]);
  for (size_t n = 0; n < p.N; n++)
    for (size_t w = 0; w < dout->size2; w++)
      for (size_t k = 0; k < p.K * p.K; k++)
        *gsl_matrix_ptr(grad[X_], n, gv_layers_pool_at(&p, w, k)) +=
            gsl_matrix_get(dout, n, w) / (double)(p.K * p.K);
  return GSL_SUCCESS;
}

/* 1 when some window's two largest entries are within GV_LAYER_KINK_MARGIN
 * max(1, |largest|) of each other. */
static int near_tie(const gsl_matrix *const in[])
{
  gv_layers_pool p;
  double gap;
  if (gv_layers_pool_read(in[X_], in[HYPER_], &p))
    return 0;
  for (size_t n = 0; n < p.N; n++)
    for (size_t w = 0; w < p.C * p.Ho * p.Wo; w++) {
      double top = gsl_matrix_get(in[X_], n, argmax(&p, in[X_], n, w, &gap));
      if (gap < GV_LAYER_KINK_MARGIN * fmax(1.0, fabs(top)))
        return 1;
    }
  return 0;
}

/* gv_layers_pool_sample, redrawn (and counted) while a window has a near
 * tie; at most 1000 redraws (GSL_EMAXITER after that). */
static int sample(gsl_rng *r, void *params, gsl_matrix *in[], gv_layer_draw *draw)
{
  (void)params;
  *draw = (gv_layer_draw){0};
  for (;;) {
    int status = gv_layers_pool_sample(r, in);
    if (status || !near_tie((const gsl_matrix *const *)in))
      return status;
    if (++draw->redraws > 1000)
      return GSL_EMAXITER;
    for (size_t k = 0; k < 2; k++) {
      gsl_matrix_free(in[k]);
      in[k] = NULL;
    }
  }
}

const gv_layers_entry gv_layers_maxpool = {
    .layer = {.name = "maxpool",
              .formula = "out(n, c, i, j) = max of X(n, c, S i + u, S j + v), 0 <= u, v < K",
              .n_inputs = 2,
              .inputs = inputs,
              .forward = forward,
              .backward = backward,
              .output_shape = shape,
              .sample = sample},
    .layout = "X N×(C·H·W) (a row is one example, (c, y, x) row-major), hyper 1×5 [C, H, W, K, "
              "S] (not differentiable), out N×(C·Ho·Wo), Ho = ⌊(H − K)/S⌋ + 1; dX shaped like X",
    .draw = "N, C ∈ [1, 3], H, W ∈ [3, 9]; K = 2, S = 2 (three draws in four) or K = 3, S = 2 "
            "(overlapping windows); X uniform in [−s, s], s log-uniform in [0.1, 10]; redrawn "
            "(counted) while a window's two largest entries lie within 1e-4 max(1, |max|)",
    .n_mistakes = 1,
    .mistakes = {{"maxpool.dX_spread", "X",
                  "dout spread evenly over the whole window instead of routed to the argmax",
                  backward_dX_spread}},
};
