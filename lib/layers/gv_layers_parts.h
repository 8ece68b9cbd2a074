/* gv_layers_parts.h: pieces that several catalogue layers share, so that each
 * layer's file says only what is its own: integer hyper-parameters read from
 * a non-differentiable input, the normalisation of batch and layer norm, the
 * pre-activation of the recurrent cells, image geometry. Internal to
 * lib/layers. All matrices are the callers'; nothing here allocates except
 * where stated. */
#ifndef GV_LAYERS_PARTS_H
#define GV_LAYERS_PARTS_H

#include <stddef.h>

#include <gsl/gsl_matrix.h>
#include <gsl/gsl_rng.h>

#include "gv_layer.h"

/* v[0..n) = the entries of h, a 1-by-n row of non-negative integers.
 * GSL_EBADLEN when h is not 1-by-n, GSL_EINVAL when an entry is not a
 * non-negative integer below 2^20. */
int gv_layers_hyper(const gsl_matrix *h, size_t n, size_t v[]);

/* s = aᵀ1, an a->size2-by-1 column: the sum over the batch. */
void gv_layers_sum_rows(const gsl_matrix *a, gsl_matrix *s);

/* ---- Normalisation (batchnorm over the batch, layernorm over features) ---- */

/* Which entries share a mean and a variance. */
typedef enum { GV_NORM_COLUMNS, GV_NORM_ROWS } gv_norm_axis;

/* The output shape of a norm layer whose inputs are X (N-by-D), γ, β (D-by-1)
 * and eps (1-by-1, >= 0): N-by-D; GSL_EBADLEN or GSL_EDOM otherwise. */
int gv_layers_norm_shape(const gsl_matrix *const in[], size_t *rows, size_t *cols);

/* out = γ ⊙ x̂ + β with x̂ = (x − μ)/√(σ² + eps), μ and σ² (biased, 1/n)
 * over each column (batchnorm) or row (layernorm) of X; γ, β are D-by-1
 * per feature (column). X, out N-by-D. */
void gv_layers_norm_forward(const gsl_matrix *X, const gsl_matrix *gamma, const gsl_matrix *beta,
                            double eps, gv_norm_axis axis, gsl_matrix *out);

/* The same in complex arithmetic (z row-major, as forward_complex gets them). */
void gv_layers_norm_forward_complex(size_t N, size_t D, const gv_layer_complex *X,
                                    const gv_layer_complex *gamma, const gv_layer_complex *beta,
                                    gv_layer_complex eps, gv_norm_axis axis, gv_layer_complex *out);

/* Fills X group by group (columns or rows): each group's mean uniform in
 * [−3, 3], its entries uniform within ±s of it, s log-uniform in [s_lo, s_hi]
 * per group. */
void gv_layers_draw_groups(gsl_rng *r, gsl_matrix *X, gv_norm_axis axis, double s_lo, double s_hi);

/* The sampler of a norm layer (inputs X, γ, β, eps): X N-by-D, N in
 * [N_lo, N_hi], D in [D_lo, D_hi], eps = 1e-5, γ and β uniform in [−2, 2];
 * the groups of X drawn by gv_layers_draw_groups with spread in [0.1, 10],
 * or, a third of the draws (regime "small variance"), in [1e-4, 1e-2]:
 * σ² from 1e-9 to 3e-5, below and about eps, where the derivative turns
 * from 1/s to 1/√eps. */
int gv_layers_norm_sample(gsl_rng *r, gv_norm_axis axis, size_t N_lo, size_t N_hi, size_t D_lo,
                          size_t D_hi, gsl_matrix *in[], gv_layer_draw *draw);

/* The backward pass: dγ = Σ dout ⊙ x̂ and dβ = Σ dout over the batch, and,
 * with dx̂ = dout ⊙ γ, per group of n entries
 *   dX = (dx̂ − mean(dx̂) − x̂ mean(dx̂ ⊙ x̂)) / √(σ² + eps).
 * Any of dX, dgamma, dbeta may be NULL. GSL_ENOMEM if a workspace cannot be
 * allocated. */
int gv_layers_norm_backward(const gsl_matrix *X, const gsl_matrix *gamma, double eps,
                            gv_norm_axis axis, const gsl_matrix *dout, gsl_matrix *dX,
                            gsl_matrix *dgamma, gsl_matrix *dbeta);

/* ---- Recurrent cells: a = X Wx + H Wh + 1bᵀ ---- */

/* X N-by-D, H N-by-Hd, Wx D-by-M, Wh Hd-by-M, b M-by-1, a N-by-M. */
int gv_layers_preact(const gsl_matrix *X, const gsl_matrix *H, const gsl_matrix *Wx,
                     const gsl_matrix *Wh, const gsl_matrix *b, gsl_matrix *a);

/* The same in complex arithmetic; sizes from the real inputs, data row-major. */
void gv_layers_preact_complex(const gsl_matrix *X, const gsl_matrix *H, const gsl_matrix *Wx,
                              const gv_layer_complex *zX, const gv_layer_complex *zH,
                              const gv_layer_complex *zWx, const gv_layer_complex *zWh,
                              const gv_layer_complex *zb, gv_layer_complex *a);

/* Given da = dL/da: dX = da Wxᵀ, dH = da Whᵀ, dWx = Xᵀ da, dWh = Hᵀ da,
 * db = daᵀ1; each of the gradients may be NULL. */
int gv_layers_preact_backward(const gsl_matrix *X, const gsl_matrix *H, const gsl_matrix *Wx,
                              const gsl_matrix *Wh, const gsl_matrix *da, gsl_matrix *dX,
                              gsl_matrix *dH, gsl_matrix *dWx, gsl_matrix *dWh, gsl_matrix *db);

/* ---- Images: a row of an N-by-(C H W) matrix is one example, c, y, x
 * row-major (index (c H + y) W + x) ---- */

/* The output length of a window of size k moved by stride s over n entries
 * padded by p on each side: (n + 2p − k)/s + 1 (floor), 0 if k > n + 2p. */
size_t gv_layers_out_len(size_t n, size_t k, size_t s, size_t p);

/* A pooling layer's geometry: X N-by-(C H W), hyper-parameters 1-by-5
 * [C, H, W, K, S] (K-by-K windows moved by S, no padding), out
 * N-by-(C Ho Wo), Ho = (H − K)/S + 1 (floor), Wo likewise. */
typedef struct {
  size_t N, C, H, W, K, S, Ho, Wo;
} gv_layers_pool;

/* Reads and validates the geometry: GSL_EBADLEN when X has not C H W columns
 * or a window does not fit, GSL_EINVAL for a bad hyper-parameter row. */
int gv_layers_pool_read(const gsl_matrix *X, const gsl_matrix *hyper, gv_layers_pool *p);

/* The output's shape, N-by-(C Ho Wo); errors as gv_layers_pool_read. */
int gv_layers_pool_shape(const gsl_matrix *X, const gsl_matrix *hyper, size_t *rows, size_t *cols);

/* The column of X of entry k (0 <= k < K², row-major) of window w
 * (0 <= w < C Ho Wo, the output column). */
size_t gv_layers_pool_at(const gv_layers_pool *p, size_t w, size_t k);

/* The sampler of a pooling layer (inputs X, hyper): N in [1, 3], C in [1, 3],
 * H, W in [3, 9]; K = 2, S = 2 in three draws of four, else K = 3, S = 2
 * (overlapping windows); X uniform in [−s, s], s log-uniform in [0.1, 10]. */
int gv_layers_pool_sample(gsl_rng *r, gsl_matrix *in[]);

#endif
