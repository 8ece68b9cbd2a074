/* gv_layer_mlp.c: a multilayer perceptron on a minibatch, the whole network
 * as one layer whose differentiable inputs are its weights and biases.
 *
 *   A₀ = X,  Zₗ = Aₗ₋₁Wₗ + 1bₗᵀ (l = 1 .. L + 1),  Aₗ = act(Zₗ) (l ≤ L),
 *   out = loss(Z_{L+1}, Y) + (λ/2) Σₗ ‖Wₗ‖²
 *
 * with L hidden layers (1 to 6), act any pointwise layer of the catalogue
 * (relu, leaky_relu, sigmoid, tanh, softplus, elu, gelu; its α, if any, in
 * the config), loss the batch mean of softmax cross-entropy or of the
 * squared error ‖zᵢ − yᵢ‖². Inputs: X N×D, Y N×K (labels or targets),
 * config 1×5 = (L, activation index, loss 0 = softmax_ce / 1 = mse, λ, α),
 * none differentiable; then W1, b1, ..., W7, b7 with Wₗ d₍ₗ₋₁₎×dₗ and bₗ
 * dₗ×1 as in affine (denominator layout). Layers beyond L + 1 are 1×1 zero
 * placeholders, their gradient 0, reported absent (gv_layer_draw): the
 * driver counts those trials "not drawn". Backward (dout = g):
 *   dZ_{L+1} = g (P − Y)/N or g 2(Z − Y)/N,  dWₗ = Aₗ₋₁ᵀdZₗ + gλWₗ,
 *   dbₗ = dZₗᵀ1,  dZₗ₋₁ = (dZₗWₗᵀ) ⊙ act'(Zₗ₋₁).
 * With L = 1, ReLU, softmax_ce and N = 1 it is the seed's network
 * (checks/layers/check_mlp.c). */
#include "gv_layers.h"

#include <complex.h>
#include <math.h>
#include <stdlib.h>

#include <gsl/gsl_blas.h>
#include <gsl/gsl_errno.h>

#include "gv_layers_pointwise.h"

#define MAX_DEPTH 6
#define N_AFFINE (MAX_DEPTH + 1)
enum { X_, Y_, CFG_, W0_ }; /* Wₗ is input W0_ + 2(l − 1), bₗ the next */
enum { CFG_DEPTH, CFG_ACT, CFG_LOSS, CFG_LAMBDA, CFG_ALPHA, CFG_SIZE };

static const char *const activations[] = {"relu",     "leaky_relu", "sigmoid", "tanh",
                                          "softplus", "elu",        "gelu"};
#define N_ACT (sizeof activations / sizeof activations[0])

static const gv_layer_input inputs[] = {
    {"X", 0, NULL},           {"Y", 0, NULL},
    {"config", 0, NULL},      {"W1", 1, "dW₁ = XᵀdZ₁ + λW₁"},
    {"b1", 1, "db₁ = dZ₁ᵀ1"}, {"W2", 1, "dW₂ = A₁ᵀdZ₂ + λW₂"},
    {"b2", 1, "db₂ = dZ₂ᵀ1"}, {"W3", 1, "dW₃ = A₂ᵀdZ₃ + λW₃"},
    {"b3", 1, "db₃ = dZ₃ᵀ1"}, {"W4", 1, "dW₄ = A₃ᵀdZ₄ + λW₄"},
    {"b4", 1, "db₄ = dZ₄ᵀ1"}, {"W5", 1, "dW₅ = A₄ᵀdZ₅ + λW₅"},
    {"b5", 1, "db₅ = dZ₅ᵀ1"}, {"W6", 1, "dW₆ = A₅ᵀdZ₆ + λW₆"},
    {"b6", 1, "db₆ = dZ₆ᵀ1"}, {"W7", 1, "dW₇ = A₆ᵀdZ₇ + λW₇"},
    {"b7", 1, "db₇ = dZ₇ᵀ1"},
};

typedef struct {
  size_t depth; /* L */
  const gv_layers_pointwise *act;
  int mse;
  double lambda, alpha;
} config;

static int read_config(const gsl_matrix *const in[], config *c)
{
  const gsl_matrix *m = in[CFG_];
  if (m->size1 != 1 || m->size2 != CFG_SIZE)
    return GSL_EBADLEN;
  double depth = gsl_matrix_get(m, 0, CFG_DEPTH), act = gsl_matrix_get(m, 0, CFG_ACT);
  if (!(depth >= 1 && depth <= MAX_DEPTH && act >= 0 && act < N_ACT))
    return GSL_EINVAL;
  const gv_layers_entry *e = gv_layers_find(activations[(size_t)act]);
  if (!e)
    return GSL_EINVAL;
  *c = (config){.depth = (size_t)depth,
                .act = e->layer.params,
                .mse = gsl_matrix_get(m, 0, CFG_LOSS) != 0.0,
                .lambda = gsl_matrix_get(m, 0, CFG_LAMBDA),
                .alpha = gsl_matrix_get(m, 0, CFG_ALPHA)};
  return GSL_SUCCESS;
}

static const gsl_matrix *weight(const gsl_matrix *const in[], size_t l)
{
  return in[W0_ + 2 * (l - 1)];
}

static const gsl_matrix *bias(const gsl_matrix *const in[], size_t l)
{
  return in[W0_ + 2 * (l - 1) + 1];
}

/* The forward pass kept for backward: Z[l] = Zₗ, A[l] = Aₗ (A[0] = X). */
typedef struct {
  config c;
  gsl_matrix *Z[N_AFFINE + 1], *A[N_AFFINE + 1];
} tape;

static void tape_free(tape *t)
{
  for (size_t l = 0; l <= N_AFFINE; l++) {
    gsl_matrix_free(t->Z[l]);
    gsl_matrix_free(t->A[l]);
  }
}

/* Z = A W + 1bᵀ into a new matrix. */
static gsl_matrix *affine(const gsl_matrix *A, const gsl_matrix *W, const gsl_matrix *b)
{
  gsl_matrix *Z = gsl_matrix_alloc(A->size1, W->size2);
  for (size_t i = 0; Z && i < Z->size1; i++)
    for (size_t j = 0; j < Z->size2; j++)
      gsl_matrix_set(Z, i, j, gsl_matrix_get(b, j, 0));
  if (Z)
    gsl_blas_dgemm(CblasNoTrans, CblasNoTrans, 1.0, A, W, 1.0, Z);
  return Z;
}

static int tape_run(const gsl_matrix *const in[], tape *t)
{
  *t = (tape){0};
  int status = read_config(in, &t->c);
  if (status)
    return status;
  if (!(t->A[0] = gsl_matrix_alloc(in[X_]->size1, in[X_]->size2)))
    return GSL_ENOMEM;
  gsl_matrix_memcpy(t->A[0], in[X_]);
  for (size_t l = 1; l <= t->c.depth + 1; l++) {
    if (!(t->Z[l] = affine(t->A[l - 1], weight(in, l), bias(in, l))))
      return GSL_ENOMEM;
    if (l > t->c.depth)
      break;
    if (!(t->A[l] = gsl_matrix_alloc(t->Z[l]->size1, t->Z[l]->size2)))
      return GSL_ENOMEM;
    for (size_t k = 0; k < t->Z[l]->size1 * t->Z[l]->size2; k++)
      t->A[l]->data[k] = t->c.act->f(t->Z[l]->data[k], t->c.alpha);
  }
  return GSL_SUCCESS;
}

/* The loss of logits Z (N×K) against Y, before the penalty: per row
 * (1ᵀy)(m + log Σ e^(z − m)) − yᵀz, or ‖z − y‖². */
static double loss(const config *c, const gsl_matrix *Z, const gsl_matrix *Y)
{
  double L = 0.0;
  for (size_t i = 0; i < Z->size1; i++) {
    double m = gsl_matrix_get(Z, i, 0), s = 0.0, sy = 0.0, yz = 0.0, sq = 0.0;
    for (size_t k = 1; k < Z->size2; k++)
      m = fmax(m, gsl_matrix_get(Z, i, k));
    for (size_t k = 0; k < Z->size2; k++) {
      double z = gsl_matrix_get(Z, i, k), y = gsl_matrix_get(Y, i, k);
      s += exp(z - m);
      sy += y;
      yz += y * z;
      sq += (z - y) * (z - y);
    }
    L += c->mse ? sq : sy * (m + log(s)) - yz;
  }
  return L / (double)Z->size1;
}

static double penalty(const gsl_matrix *const in[], const config *c)
{
  double s = 0.0;
  for (size_t l = 1; l <= c->depth + 1; l++) {
    const gsl_matrix *W = weight(in, l);
    for (size_t k = 0; k < W->size1 * W->size2; k++)
      s += W->data[k] * W->data[k];
  }
  return 0.5 * c->lambda * s;
}

static int forward(const gsl_matrix *const in[], void *params, gsl_matrix *out)
{
  (void)params;
  tape t;
  int status = tape_run(in, &t);
  if (!status)
    gsl_matrix_set(out, 0, 0, loss(&t.c, t.Z[t.c.depth + 1], in[Y_]) + penalty(in, &t.c));
  tape_free(&t);
  return status;
}

/* One affine layer in complex arithmetic: next (N×m) = prev Wₗ + 1bₗᵀ. */
static gv_layer_complex *affine_complex(const gv_layer_complex *prev, size_t N, size_t d,
                                        const gv_layer_complex *W, const gv_layer_complex *b,
                                        size_t m)
{
  gv_layer_complex *next = malloc(N * m * sizeof *next);
  for (size_t i = 0; next && i < N; i++)
    for (size_t j = 0; j < m; j++) {
      gv_layer_complex s = b[j];
      for (size_t q = 0; q < d; q++)
        s += prev[i * d + q] * W[q * m + j];
      next[i * m + j] = s;
    }
  return next;
}

static gv_layer_complex loss_complex(const config *c, const gv_layer_complex *Z,
                                     const gsl_matrix *Y)
{
  size_t N = Y->size1, K = Y->size2;
  gv_layer_complex L = 0.0;
  for (size_t i = 0; i < N; i++) {
    double m = creal(Z[i * K]);
    for (size_t k = 1; k < K; k++)
      m = fmax(m, creal(Z[i * K + k]));
    gv_layer_complex s = 0.0, sy = 0.0;
    for (size_t k = 0; k < K; k++) {
      gv_layer_complex d = Z[i * K + k] - gsl_matrix_get(Y, i, k);
      L += c->mse ? d * d : -gsl_matrix_get(Y, i, k) * (Z[i * K + k] - m);
      s += cexp(Z[i * K + k] - m);
      sy += gsl_matrix_get(Y, i, k);
    }
    if (!c->mse)
      L += sy * clog(s);
  }
  return L / (double)N;
}

static int forward_complex(const gsl_matrix *const in[], const gv_layer_complex *const z[],
                           void *params, gv_layer_complex *out)
{
  (void)params;
  config c;
  int status = read_config(in, &c);
  if (status)
    return status;
  size_t N = in[X_]->size1, d = in[X_]->size2;
  gv_layer_complex *prev = NULL, pen = 0.0;
  const gv_layer_complex *cur = z[X_];
  for (size_t l = 1; l <= c.depth + 1; l++) {
    size_t m = weight(in, l)->size2, iw = W0_ + 2 * (l - 1);
    gv_layer_complex *next = affine_complex(cur, N, d, z[iw], z[iw + 1], m);
    free(prev);
    if (!next)
      return GSL_ENOMEM;
    for (size_t k = 0; l <= c.depth && k < N * m; k++)
      next[k] = c.act->f_complex(next[k], c.alpha);
    for (size_t k = 0; k < d * m; k++)
      pen += z[iw][k] * z[iw][k];
    cur = prev = next;
    d = m;
  }
  *out = loss_complex(&c, cur, in[Y_]) + 0.5 * c.lambda * pen;
  free(prev);
  return GSL_SUCCESS;
}

/* dZ_{L+1} = g (P − Y)/N (softmax_ce, labels summing to 1) or g 2(Z − Y)/N. */
static void loss_grad(const config *c, const gsl_matrix *Z, const gsl_matrix *Y, double g,
                      gsl_matrix *dZ)
{
  double scale = g / (double)Z->size1;
  for (size_t i = 0; i < Z->size1; i++) {
    double m = gsl_matrix_get(Z, i, 0), s = 0.0, sy = 0.0;
    for (size_t k = 1; k < Z->size2; k++)
      m = fmax(m, gsl_matrix_get(Z, i, k));
    for (size_t k = 0; k < Z->size2; k++) {
      s += exp(gsl_matrix_get(Z, i, k) - m);
      sy += gsl_matrix_get(Y, i, k);
    }
    for (size_t k = 0; k < Z->size2; k++) {
      double z = gsl_matrix_get(Z, i, k), y = gsl_matrix_get(Y, i, k);
      double d = c->mse ? 2.0 * (z - y) : exp(z - m) / s * sy - y;
      gsl_matrix_set(dZ, i, k, scale * d);
    }
  }
}

/* dA = dZ Wᵀ, or with `mistake` dZ times W's memory read as an m×d matrix
 * (the transpose forgotten, hidden for a square W). */
static int back_through(const gsl_matrix *dZ, const gsl_matrix *W, int mistake, gsl_matrix *dA)
{
  if (!mistake)
    return gsl_blas_dgemm(CblasNoTrans, CblasTrans, 1.0, dZ, W, 0.0, dA);
  gsl_matrix_const_view Wm = gsl_matrix_const_view_array(W->data, W->size2, W->size1);
  return gsl_blas_dgemm(CblasNoTrans, CblasNoTrans, 1.0, dZ, &Wm.matrix, 0.0, dA);
}

/* The gradients of layer l from dZ = dZₗ: dWₗ, dbₗ. */
static int layer_grads(const gsl_matrix *const in[], const tape *t, size_t l, const gsl_matrix *dZ,
                       double g, gsl_matrix *const grad[])
{
  gsl_matrix *dW = grad[W0_ + 2 * (l - 1)], *db = grad[W0_ + 2 * (l - 1) + 1];
  int status = GSL_SUCCESS;
  if (dW) {
    gsl_matrix_memcpy(dW, weight(in, l));
    status = gsl_blas_dgemm(CblasTrans, CblasNoTrans, 1.0, t->A[l - 1], dZ, g * t->c.lambda, dW);
  }
  for (size_t j = 0; db && j < dZ->size2; j++) {
    double s = 0.0;
    for (size_t i = 0; i < dZ->size1; i++)
      s += gsl_matrix_get(dZ, i, j);
    gsl_matrix_set(db, j, 0, s);
  }
  return status;
}

/* Backward; with mistake, the output layer's dA forgets its transpose. */
static int backward_with(const gsl_matrix *const in[], const gsl_matrix *dout,
                         gsl_matrix *const grad[], int mistake)
{
  tape t;
  int status = tape_run(in, &t);
  double g = gsl_matrix_get(dout, 0, 0);
  size_t L = t.c.depth;
  for (size_t j = W0_; !status && j < W0_ + 2 * N_AFFINE; j++)
    if (grad[j])
      gsl_matrix_set_zero(grad[j]); /* the placeholders' gradient */
  gsl_matrix *dZ = status ? NULL : gsl_matrix_alloc(t.Z[L + 1]->size1, t.Z[L + 1]->size2);
  if (!status && !dZ)
    status = GSL_ENOMEM;
  if (!status)
    loss_grad(&t.c, t.Z[L + 1], in[Y_], g, dZ);
  for (size_t l = L + 1; !status && l >= 1; l--) {
    status = layer_grads(in, &t, l, dZ, g, grad);
    if (status || l == 1)
      break;
    gsl_matrix *dA = gsl_matrix_alloc(dZ->size1, weight(in, l)->size1);
    if (!dA) {
      status = GSL_ENOMEM;
      break;
    }
    status = back_through(dZ, weight(in, l), mistake && l == L + 1, dA);
    for (size_t k = 0; k < dA->size1 * dA->size2; k++)
      dA->data[k] *= t.c.act->df(t.Z[l - 1]->data[k], t.c.alpha);
    gsl_matrix_free(dZ);
    dZ = dA;
  }
  gsl_matrix_free(dZ);
  tape_free(&t);
  return status;
}

static int backward(const gsl_matrix *const in[], const gsl_matrix *dout, void *params,
                    gsl_matrix *const grad[])
{
  (void)params;
  return backward_with(in, dout, grad, 0);
}

static int backward_transpose(const gsl_matrix *const in[], const gsl_matrix *dout, void *params,
                              gsl_matrix *const grad[])
{
  (void)params;
  return backward_with(in, dout, grad, 1);
}

/* A scale of the terms of Zₗ(i, j): 1 + |bⱼ| + Σ |Aₗ₋₁(i, q) Wₗ(q, j)|. */
static double term_scale(const gsl_matrix *A, const gsl_matrix *W, const gsl_matrix *b, size_t i,
                         size_t j)
{
  double s = 1.0 + fabs(gsl_matrix_get(b, j, 0));
  for (size_t q = 0; q < A->size2; q++)
    s += fabs(gsl_matrix_get(A, i, q) * gsl_matrix_get(W, q, j));
  return s;
}

/* Whether a hidden pre-activation sits within the kink margin of 0 (for an
 * activation with a kink there). */
static int near_kink(const gsl_matrix *const in[], const tape *t)
{
  if (!t->c.act->kink_at_zero)
    return 0;
  for (size_t l = 1; l <= t->c.depth; l++)
    for (size_t i = 0; i < t->Z[l]->size1; i++)
      for (size_t j = 0; j < t->Z[l]->size2; j++)
        if (fabs(gsl_matrix_get(t->Z[l], i, j)) <
            GV_LAYER_KINK_MARGIN * term_scale(t->A[l - 1], weight(in, l), bias(in, l), i, j))
          return 1;
  return 0;
}

/* The weights and biases for widths d[0..L+1], scaled like an
 * initialisation (pre-activations of order 1); placeholders beyond. */
static int draw_weights(gsl_rng *r, gsl_matrix *in[], const size_t *d, size_t L)
{
  for (size_t l = 1; l <= N_AFFINE; l++) {
    size_t iw = W0_ + 2 * (l - 1);
    gsl_matrix_free(in[iw]);
    gsl_matrix_free(in[iw + 1]);
    in[iw] = l <= L + 1 ? gv_layers_draw_matrix(r, d[l - 1], d[l], sqrt(3.0 / (double)d[l - 1]))
                        : gsl_matrix_calloc(1, 1);
    in[iw + 1] = l <= L + 1 ? gv_layers_draw_matrix(r, d[l], 1, 0.5) : gsl_matrix_calloc(1, 1);
    if (!in[iw] || !in[iw + 1])
      return GSL_ENOMEM;
  }
  return GSL_SUCCESS;
}

/* The architecture: config and the widths d[0..L+1]. */
static int draw_config(gsl_rng *r, gsl_matrix *in[], size_t *d, size_t *L)
{
  *L = gv_layers_draw_size(r, 1, MAX_DEPTH);
  size_t act = gsl_rng_uniform_int(r, N_ACT);
  const gv_layers_entry *e = gv_layers_find(activations[act]);
  if (!e)
    return GSL_EINVAL;
  const gv_layers_pointwise *p = e->layer.params;
  int mse = gsl_rng_uniform(r) < 1.0 / 3.0;
  double lambda = gsl_rng_uniform(r) < 0.5 ? 0.0 : gv_layers_draw_scale(r, 1e-3, 0.1);
  double alpha = p->has_a ? gv_layers_draw_scale(r, p->a_lo, p->a_hi) : 0.0;
  if (!(in[CFG_] = gsl_matrix_alloc(1, CFG_SIZE)))
    return GSL_ENOMEM;
  const double cfg[CFG_SIZE] = {(double)*L, (double)act, mse, lambda, alpha};
  for (size_t k = 0; k < CFG_SIZE; k++)
    gsl_matrix_set(in[CFG_], 0, k, cfg[k]);
  d[0] = gv_layers_draw_size(r, 1, 8);
  for (size_t l = 1; l <= *L; l++)
    d[l] = gv_layers_draw_size(r, 1, 8);
  d[*L + 1] = gv_layers_draw_size(r, 2, 6);
  return GSL_SUCCESS;
}

#define MAX_REDRAWS 1000

static int sample(gsl_rng *r, void *params, gsl_matrix *in[], gv_layer_draw *draw)
{
  (void)params;
  size_t d[N_AFFINE + 1], L, N = gv_layers_draw_size(r, 1, 6);
  int status = draw_config(r, in, d, &L);
  if (status)
    return status;
  int mse = gsl_matrix_get(in[CFG_], 0, CFG_LOSS) != 0.0;
  in[X_] = gv_layers_draw_matrix(r, N, d[0], gv_layers_draw_scale(r, 0.1, 3.0));
  in[Y_] = mse ? gv_layers_draw_matrix(r, N, d[L + 1], 1.0) : gv_layers_draw_onehot(r, N, d[L + 1]);
  if (!in[X_] || !in[Y_])
    return GSL_ENOMEM;
  *draw = (gv_layer_draw){.regime = activations[(size_t)gsl_matrix_get(in[CFG_], 0, CFG_ACT)]};
  for (size_t l = L + 2; l <= N_AFFINE; l++) /* the placeholders: not drawn */
    draw->absent |= 3UL << (W0_ + 2 * (l - 1));
  for (;;) {
    tape t;
    if ((status = draw_weights(r, in, d, L)) ||
        (status = tape_run((const gsl_matrix *const *)in, &t)))
      return status;
    int kink = near_kink((const gsl_matrix *const *)in, &t);
    tape_free(&t);
    if (!kink)
      return GSL_SUCCESS;
    if (++draw->redraws >= MAX_REDRAWS)
      return GSL_EMAXITER;
  }
}

const gv_layers_entry gv_layers_mlp = {
    .layer = {.name = "mlp",
              .formula = "L hidden layers Aₗ = act(Aₗ₋₁Wₗ + 1bₗᵀ), out = loss(A_L W_{L+1} + "
                         "1b_{L+1}ᵀ, Y) + (λ/2)Σ‖Wₗ‖²",
              .n_inputs = sizeof inputs / sizeof inputs[0],
              .inputs = inputs,
              .forward = forward,
              .backward = backward,
              .output_shape = gv_layers_scalar_shape,
              .sample = sample,
              .forward_complex = forward_complex},
    .layout = "X N×D, Y N×K, config 1×5 (not differentiable); Wₗ dₗ₋₁×dₗ, bₗ dₗ×1 as in affine; "
              "layers beyond L + 1 are 1×1 zero placeholders; out 1×1",
    .draw = "L ∈ [1, 6] hidden layers of widths ∈ [1, 8], N ∈ [1, 6], D ∈ [1, 8], K ∈ [2, 6]; "
            "activation uniform over the catalogue's seven, softmax_ce (two thirds) or mse, λ = 0 "
            "or log-uniform in [1e-3, 0.1]; pre-activations within 1e-4 of a kink redrawn and "
            "counted",
    .n_mistakes = 1,
    .mistakes = {{"mlp.dW1_transpose", "W1",
                  "the output layer's backward off by a transpose: dA_L = dZ W (W's memory read "
                  "transposed)",
                  backward_transpose}},
};
