/* gv_layer_conv2d.c: 2-d convolution (cross-correlation, as every framework
 * computes it) of N images of C channels with F filters, stride S, zero
 * padding P on each side.
 *   X N-by-(C H W): row n is image n, (c, y, x) row-major;
 *   Wt F-by-(C KH KW): row f is filter f, (c, u, v) row-major;
 *   b F-by-1; hyper 1-by-7 [C, H, W, KH, KW, S, P] (not differentiable);
 *   out N-by-(F Ho Wo), (f, i, j) row-major, Ho = (H + 2P − KH)/S + 1 (floor):
 *   out(n, f, i, j) = b_f + Σ_cuv Wt(f, c, u, v) X(n, c, S i + u − P, S j + v − P),
 * X read as 0 outside the image. Computed as im2col: the patches P
 * ((N Ho Wo)-by-(C KH KW)) times Wtᵀ. With D = dout as (N Ho Wo)-by-F:
 *   dWt = Dᵀ P,  db = Dᵀ1,  dX = col2im(D Wt): each patch entry's gradient
 * added back to the pixel it was read from (a full convolution of dout with
 * the flipped kernel, padding cropped away). */
#include "gv_layers.h"
#include "gv_layers_parts.h"

#include <math.h>
#include <stdint.h>

#include <gsl/gsl_blas.h>
#include <gsl/gsl_errno.h>

enum { X_, W_, B_, HYPER_ };

static const gv_layer_input inputs[] = {
    {"X", 1, "dX = col2im(D Wt): dout convolved with the flipped kernel, padding cropped"},
    {"Wt", 1, "dWt = Dᵀ im2col(X)"},
    {"b", 1, "db = Σ_n,i,j dout(n, f, i, j)"},
    {"hyper", 0, NULL},
};

typedef struct {
  size_t N, C, H, W, KH, KW, S, P, F, Ho, Wo;
} geom;

#define NOWHERE SIZE_MAX

static int geom_read(const gsl_matrix *const in[], geom *g)
{
  size_t v[7];
  int status = gv_layers_hyper(in[HYPER_], 7, v);
  if (status)
    return status;
  *g = (geom){.N = in[X_]->size1,
              .C = v[0],
              .H = v[1],
              .W = v[2],
              .KH = v[3],
              .KW = v[4],
              .S = v[5],
              .P = v[6],
              .F = in[W_]->size1};
  if (g->S == 0 || g->KH == 0 || g->KW == 0)
    return GSL_EINVAL;
  g->Ho = gv_layers_out_len(g->H, g->KH, g->S, g->P);
  g->Wo = gv_layers_out_len(g->W, g->KW, g->S, g->P);
  if (in[X_]->size2 != g->C * g->H * g->W || in[W_]->size2 != g->C * g->KH * g->KW ||
      in[B_]->size1 != g->F || in[B_]->size2 != 1 || g->Ho * g->Wo == 0)
    return GSL_EBADLEN;
  return GSL_SUCCESS;
}

/* The column of X that patch entry k = (c, u, v) of output position (i, j)
 * reads, or NOWHERE in the padding. crop 0 is the planted mistake: the
 * position in the padded image used as if it were the image's. */
static size_t source(const geom *g, size_t i, size_t j, size_t k, int crop)
{
  size_t c = k / (g->KH * g->KW), u = k / g->KW % g->KH, v = k % g->KW;
  size_t y = g->S * i + u, x = g->S * j + v, p = crop ? g->P : 0;
  if (y < p || x < p || y - p >= g->H || x - p >= g->W)
    return NOWHERE;
  return (c * g->H + y - p) * g->W + x - p;
}

static int shape(const gsl_matrix *const in[], void *params, size_t *rows, size_t *cols)
{
  (void)params;
  geom g;
  int status = geom_read(in, &g);
  if (!status) {
    *rows = g.N;
    *cols = g.F * g.Ho * g.Wo;
  }
  return status;
}

/* P: row (n Ho + i) Wo + j holds the patch of output position (i, j). */
static gsl_matrix *im2col(const geom *g, const gsl_matrix *X)
{
  gsl_matrix *P = gsl_matrix_alloc(g->N * g->Ho * g->Wo, g->C * g->KH * g->KW);
  for (size_t r = 0; P && r < P->size1; r++)
    for (size_t k = 0; k < P->size2; k++) {
      size_t at = source(g, r / g->Wo % g->Ho, r % g->Wo, k, 1);
      gsl_matrix_set(P, r, k, at == NOWHERE ? 0.0 : gsl_matrix_get(X, r / (g->Ho * g->Wo), at));
    }
  return P;
}

static int forward(const gsl_matrix *const in[], void *params, gsl_matrix *out)
{
  (void)params;
  geom g;
  int status = geom_read(in, &g);
  if (status)
    return status;
  size_t M = g.Ho * g.Wo;
  gsl_matrix *P = im2col(&g, in[X_]), *Q = gsl_matrix_alloc(g.N * M, g.F);
  status = P && Q ? gsl_blas_dgemm(CblasNoTrans, CblasTrans, 1.0, P, in[W_], 0.0, Q) : GSL_ENOMEM;
  for (size_t r = 0; !status && r < Q->size1; r++)
    for (size_t f = 0; f < g.F; f++)
      gsl_matrix_set(out, r / M, f * M + r % M,
                     gsl_matrix_get(Q, r, f) + gsl_matrix_get(in[B_], f, 0));
  gsl_matrix_free(P);
  gsl_matrix_free(Q);
  return status;
}

static int forward_complex(const gsl_matrix *const in[], const gv_layer_complex *const z[],
                           void *params, gv_layer_complex *out)
{
  (void)params;
  geom g;
  int status = geom_read(in, &g);
  size_t M = g.Ho * g.Wo, K = g.C * g.KH * g.KW, D = g.C * g.H * g.W;
  for (size_t n = 0; !status && n < g.N; n++)
    for (size_t f = 0; f < g.F; f++)
      for (size_t m = 0; m < M; m++) {
        gv_layer_complex s = z[B_][f];
        for (size_t k = 0; k < K; k++) {
          size_t at = source(&g, m / g.Wo, m % g.Wo, k, 1);
          if (at != NOWHERE)
            s += z[W_][f * K + k] * z[X_][n * D + at];
        }
        out[(n * g.F + f) * M + m] = s;
      }
  return status;
}

/* The planted mistakes, as switches of the one backward pass. */
typedef struct {
  int flip; /* 0: dX from the kernel as stored, not flipped */
  int crop; /* 0: the padding not cropped from dX */
} dx_rule;

/* Wt with each kernel rotated by 180°. dX is the full correlation of dout
 * (dilated by the stride) with the rotated kernel; written as col2im it uses
 * the kernel as stored. A student who correlates dout with the kernel as
 * stored, skipping the rotation, computes col2im with this rotated copy. */
static gsl_matrix *rotated(const geom *g, const gsl_matrix *Wt)
{
  gsl_matrix *R = gsl_matrix_alloc(Wt->size1, Wt->size2);
  size_t KK = g->KH * g->KW;
  for (size_t f = 0; R && f < Wt->size1; f++)
    for (size_t k = 0; k < Wt->size2; k++) {
      size_t c = k / KK, uv = KK - 1 - k % KK;
      gsl_matrix_set(R, f, k, gsl_matrix_get(Wt, f, c * KK + uv));
    }
  return R;
}

/* dX = col2im(D Wt) under rule. */
static int backward_dX(const geom *g, const gsl_matrix *Wt, const gsl_matrix *D, dx_rule rule,
                       gsl_matrix *dX)
{
  size_t M = g->Ho * g->Wo;
  gsl_matrix *dP = gsl_matrix_alloc(D->size1, Wt->size2);
  gsl_matrix *R = rule.flip ? NULL : rotated(g, Wt);
  int status = dP && (rule.flip || R) ? GSL_SUCCESS : GSL_ENOMEM;
  if (!status)
    status = gsl_blas_dgemm(CblasNoTrans, CblasNoTrans, 1.0, D, R ? R : Wt, 0.0, dP);
  gsl_matrix_set_zero(dX);
  for (size_t r = 0; !status && r < dP->size1; r++)
    for (size_t k = 0; k < dP->size2; k++) {
      size_t at = source(g, r / g->Wo % g->Ho, r % g->Wo, k, rule.crop);
      if (at != NOWHERE)
        *gsl_matrix_ptr(dX, r / M, at) += gsl_matrix_get(dP, r, k);
    }
  gsl_matrix_free(dP);
  gsl_matrix_free(R);
  return status;
}

static int backward_with(const gsl_matrix *const in[], const gsl_matrix *dout,
                         gsl_matrix *const grad[], dx_rule rule)
{
  geom g;
  int status = geom_read(in, &g);
  if (status)
    return status;
  size_t M = g.Ho * g.Wo;
  gsl_matrix *D = gsl_matrix_alloc(g.N * M, g.F), *P = NULL;
  if (!D)
    return GSL_ENOMEM;
  for (size_t r = 0; r < D->size1; r++)
    for (size_t f = 0; f < g.F; f++)
      gsl_matrix_set(D, r, f, gsl_matrix_get(dout, r / M, f * M + r % M));
  if (grad[W_])
    status = (P = im2col(&g, in[X_]))
                 ? gsl_blas_dgemm(CblasTrans, CblasNoTrans, 1.0, D, P, 0.0, grad[W_])
                 : GSL_ENOMEM;
  if (!status && grad[B_])
    gv_layers_sum_rows(D, grad[B_]);
  if (!status && grad[X_])
    status = backward_dX(&g, in[W_], D, rule, grad[X_]);
  gsl_matrix_free(D);
  gsl_matrix_free(P);
  return status;
}

static int backward(const gsl_matrix *const in[], const gsl_matrix *dout, void *params,
                    gsl_matrix *const grad[])
{
  (void)params;
  return backward_with(in, dout, grad, (dx_rule){.flip = 1, .crop = 1});
}

static int backward_dX_no_flip(const gsl_matrix *const in[], const gsl_matrix *dout, void *params,
                               gsl_matrix *const grad[])
{
  (void)params;
  return backward_with(in, dout, grad, (dx_rule){.flip = 0, .crop = 1});
}

static int backward_dX_no_crop(const gsl_matrix *const in[], const gsl_matrix *dout, void *params,
                               gsl_matrix *const grad[])
{
  (void)params;
  return backward_with(in, dout, grad, (dx_rule){.flip = 1, .crop = 0});
}

/* The sizes of one draw: N, C, F, H, W, KH, KW, stride S, padding P. */
typedef struct {
  size_t N, C, F, H, W, KH, KW, S, P;
} conv_shape;

/* "Real size": N in [1, 2], C = F = 3, H, W in [7, 8], 3-by-3 kernels,
 * stride 2, padding 1 (draws in this order: N, H, W). */
static conv_shape draw_real_shape(gsl_rng *r)
{
  conv_shape s = {.C = 3, .F = 3, .KH = 3, .KW = 3, .S = 2, .P = 1};
  s.N = gv_layers_draw_size(r, 1, 2);
  s.H = gv_layers_draw_size(r, 7, 8);
  s.W = gv_layers_draw_size(r, 7, 8);
  return s;
}

/* Small: N, C, F in [1, 3], H, W in [3, 6], KH, KW in [1, 3], stride 1 or
 * 2, padding 0 to 2 (drawn in the order of conv_shape). */
static conv_shape draw_small_shape(gsl_rng *r)
{
  conv_shape s;
  s.N = gv_layers_draw_size(r, 1, 3);
  s.C = gv_layers_draw_size(r, 1, 3);
  s.F = gv_layers_draw_size(r, 1, 3);
  s.H = gv_layers_draw_size(r, 3, 6);
  s.W = gv_layers_draw_size(r, 3, 6);
  s.KH = gv_layers_draw_size(r, 1, 3);
  s.KW = gv_layers_draw_size(r, 1, 3);
  s.S = gv_layers_draw_size(r, 1, 2);
  s.P = gv_layers_draw_size(r, 0, 2);
  return s;
}

/* A quarter of the draws real size, the others small (above). X uniform in
 * [−s, s], s log-uniform in [0.1, 10]; Wt, b uniform in
 * [−1/√(C KH KW), 1/√(C KH KW)]. */
static int sample(gsl_rng *r, void *params, gsl_matrix *in[], gv_layer_draw *draw)
{
  (void)params;
  int real = gsl_rng_uniform(r) < 0.25;
  conv_shape s = real ? draw_real_shape(r) : draw_small_shape(r);
  double w = 1.0 / sqrt((double)(s.C * s.KH * s.KW));
  in[X_] = gv_layers_draw_matrix(r, s.N, s.C * s.H * s.W, gv_layers_draw_scale(r, 0.1, 10.0));
  in[W_] = gv_layers_draw_matrix(r, s.F, s.C * s.KH * s.KW, w);
  in[B_] = gv_layers_draw_matrix(r, s.F, 1, w);
  in[HYPER_] = gsl_matrix_alloc(1, 7);
  *draw = (gv_layer_draw){.regime = real ? "real size" : NULL};
  if (!in[X_] || !in[W_] || !in[B_] || !in[HYPER_])
    return GSL_ENOMEM;
  size_t hyper[7] = {s.C, s.H, s.W, s.KH, s.KW, s.S, s.P};
  for (size_t k = 0; k < 7; k++)
    gsl_matrix_set(in[HYPER_], 0, k, (double)hyper[k]);
  return GSL_SUCCESS;
}

const gv_layers_entry gv_layers_conv2d = {
    .layer = {.name = "conv2d",
              .formula = "out(n, f, i, j) = b_f + Σ_cuv Wt(f, c, u, v) X(n, c, S i + u − P, S j "
                         "+ v − P)",
              .n_inputs = 4,
              .inputs = inputs,
              .forward = forward,
              .backward = backward,
              .output_shape = shape,
              .sample = sample,
              .forward_complex = forward_complex},
    .layout = "X N×(C·H·W), a row one image, (c, y, x) row-major; Wt F×(C·KH·KW), a row one "
              "filter, (c, u, v) row-major; b F×1; hyper 1×7 [C, H, W, KH, KW, S, P] (not "
              "differentiable); out N×(F·Ho·Wo), (f, i, j) row-major, Ho = ⌊(H + 2P − KH)/S⌋ + "
              "1; each gradient shaped like its input",
    .draw = "a quarter of the draws N ∈ [1, 2], C = F = 3, H, W ∈ [7, 8], 3×3 kernels, stride "
            "2, padding 1 (real size); the others N, C, F ∈ [1, 3], H, W ∈ [3, 6], KH, KW ∈ [1, "
            "3], stride 1 or 2, padding 0 to 2; X uniform in [−s, s], s log-uniform in [0.1, "
            "10]; Wt, b uniform in ±1/√(C·KH·KW)",
    .n_mistakes = 2,
    .mistakes = {{"conv2d.dX_no_flip", "X",
                  "kernel not flipped in dX (dout correlated with the kernel as stored)",
                  backward_dX_no_flip},
                 {"conv2d.dX_no_crop", "X",
                  "padding not cropped: dX read from the padded image's top-left corner",
                  backward_dX_no_crop}},
};
