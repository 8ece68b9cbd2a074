/* gv_layer_svm_hinge.c: the multiclass SVM (hinge) loss, mean over the
 * batch: out = (1/N) Σ_i Σ_{j ≠ y_i} max(0, S_ij − S_iy_i + 1), S N-by-K
 * (scores), Y N-by-K one-hot rows (labels y_i, not differentiable), out
 * 1-by-1. dS_ij = dout/N for each margin > 0 (j ≠ y_i), dS_iy_i = −(dout/N)
 * times the number of margins > 0 in row i, 0 elsewhere. Each margin is a
 * kink at 0: the sampler redraws rows with a margin within the kink margin. */
#include "gv_layers_pointwise.h"

#include <complex.h>
#include <math.h>

#include <gsl/gsl_errno.h>

enum { S_, Y_ };

static size_t label(const gsl_matrix *Y, size_t i)
{
  gsl_vector_const_view row = gsl_matrix_const_row(Y, i);
  return gsl_vector_max_index(&row.vector);
}

static double margin(const gsl_matrix *S, size_t i, size_t j, size_t y)
{
  return gsl_matrix_get(S, i, j) - gsl_matrix_get(S, i, y) + 1.0;
}

static int forward(const gsl_matrix *const in[], void *params, gsl_matrix *out)
{
  (void)params;
  double L = 0.0;
  for (size_t i = 0; i < in[S_]->size1; i++) {
    size_t y = label(in[Y_], i);
    for (size_t j = 0; j < in[S_]->size2; j++)
      L += j == y ? 0.0 : fmax(margin(in[S_], i, j, y), 0.0);
  }
  gsl_matrix_set(out, 0, 0, L / (double)in[S_]->size1);
  return GSL_SUCCESS;
}

/* The max is decided on the real part: the sampler keeps margins off 0. */
static int forward_complex(const gsl_matrix *const in[], const gv_layer_complex *const z[],
                           void *params, gv_layer_complex *out)
{
  (void)params;
  size_t N = in[S_]->size1, K = in[S_]->size2;
  gv_layer_complex L = 0.0;
  for (size_t i = 0; i < N; i++) {
    size_t y = label(in[Y_], i);
    for (size_t j = 0; j < K; j++) {
      gv_layer_complex m = z[S_][i * K + j] - z[S_][i * K + y] + 1.0;
      if (j != y && creal(m) > 0.0)
        L += m;
    }
  }
  out[0] = L / (double)N;
  return GSL_SUCCESS;
}

/* The right gradient, or with true_class 0 the true class's −count left out. */
static int backward_count(const gsl_matrix *const in[], const gsl_matrix *dout, int true_class,
                          gsl_matrix *const grad[])
{
  double g = gsl_matrix_get(dout, 0, 0) / (double)in[S_]->size1;
  gsl_matrix_set_zero(grad[S_]);
  for (size_t i = 0; i < in[S_]->size1; i++) {
    size_t y = label(in[Y_], i), count = 0;
    for (size_t j = 0; j < in[S_]->size2; j++)
      if (j != y && margin(in[S_], i, j, y) > 0.0) {
        gsl_matrix_set(grad[S_], i, j, g);
        count++;
      }
    if (true_class)
      gsl_matrix_set(grad[S_], i, y, -(double)count * g);
  }
  return GSL_SUCCESS;
}

GV_LAYERS_BACKWARD_VARIANT(backward, backward_count, 1)

/* The true class's −count forgotten: only the other classes get their 1. */
GV_LAYERS_BACKWARD_VARIANT(backward_no_true_class, backward_count, 0)

/* 1 if a margin of row i lies within the kink margin of 0, relative to the
 * scores it is computed from. */
static int row_near_kink(const gsl_matrix *S, const gsl_matrix *Y, size_t i)
{
  size_t y = label(Y, i);
  double sy = fabs(gsl_matrix_get(S, i, y));
  for (size_t j = 0; j < S->size2; j++) {
    double scale = fmax(1.0, fmax(fabs(gsl_matrix_get(S, i, j)), sy));
    if (j != y && fabs(margin(S, i, j, y)) < GV_LAYER_KINK_MARGIN * scale)
      return 1;
  }
  return 0;
}

static int any_positive(const gsl_matrix *S, const gsl_matrix *Y)
{
  for (size_t i = 0; i < S->size1; i++)
    for (size_t j = 0; j < S->size2; j++)
      if (j != label(Y, i) && margin(S, i, j, label(Y, i)) > 0.0)
        return 1;
  return 0;
}

/* Scores uniform in [−s, s]; in the "ties" regime small integers, whose
 * margins are often exactly 0 (as ties between equal scores are); rows with
 * a margin at a kink redrawn uniform in [−s, s], each redraw counted. */
static void draw_scores(gsl_rng *r, gsl_matrix *S, const gsl_matrix *Y, double s, int ties,
                        size_t *redraws)
{
  for (size_t i = 0; i < S->size1; i++)
    for (size_t j = 0; j < S->size2; j++)
      gsl_matrix_set(S, i, j,
                     ties ? (double)gsl_rng_uniform_int(r, 5) - 2.0
                          : s * (2.0 * gsl_rng_uniform(r) - 1.0));
  for (size_t i = 0; i < S->size1; i++)
    for (; row_near_kink(S, Y, i); ++*redraws)
      for (size_t j = 0; j < S->size2; j++)
        gsl_matrix_set(S, i, j, s * (2.0 * gsl_rng_uniform(r) - 1.0));
}

/* N in [1, 8], K in [2, 10]; s log-uniform in [0.1, 10]; a quarter of the
 * draws "ties". A draw with no positive margin (gradient 0: nothing to
 * check, no mistake visible) is drawn again, not counted as a kink. */
static int sample(gsl_rng *r, void *params, gsl_matrix *in[], gv_layer_draw *draw)
{
  (void)params;
  size_t N = gv_layers_draw_size(r, 1, 8), K = gv_layers_draw_size(r, 2, 10);
  double s = gv_layers_draw_scale(r, 0.1, 10.0);
  int ties = gsl_rng_uniform(r) < 0.25;
  in[Y_] = gv_layers_draw_onehot(r, N, K);
  in[S_] = gsl_matrix_alloc(N, K);
  if (!in[Y_] || !in[S_])
    return GSL_ENOMEM;
  *draw = (gv_layer_draw){.regime = ties ? "ties" : NULL};
  do
    draw_scores(r, in[S_], in[Y_], ties ? fmax(s, 2.0) : s, ties, &draw->redraws);
  while (!any_positive(in[S_], in[Y_]));
  return GSL_SUCCESS;
}

static const gv_layer_input inputs[] = {
    {"S", 1, "dS = (dout/N)(1(margin > 0) − e_y count), count = Σ_j≠y 1(margin_j > 0)"},
    {"Y", 0, NULL},
};

const gv_layers_entry gv_layers_svm_hinge = {
    .layer = {.name = "svm_hinge",
              .formula = "out = (1/N) Σ_i Σ_{j≠y_i} max(0, S_ij − S_iy_i + 1)",
              .n_inputs = 2,
              .inputs = inputs,
              .forward = forward,
              .backward = backward,
              .output_shape = gv_layers_scalar_shape,
              .sample = sample,
              .forward_complex = forward_complex},
    .layout = "S N×K (scores), Y N×K one-hot (labels, not differentiable), out 1×1 (the mean "
              "over the batch); dS N×K",
    .draw = "N ∈ [1, 8], K ∈ [2, 10]; S uniform in [−s, s], s log-uniform in [0.1, 10]; a "
            "quarter of the draws (\"ties\") start from integer scores in [−2, 2]; rows with a "
            "margin within 1e-4 max(1, |S_ij|, |S_iy|) of 0 redrawn and counted; draws with no "
            "positive margin drawn again",
    .n_mistakes = 1,
    .mistakes = {{"svm_hinge.dS_no_true_class", "S", "dS_iy = 0: the true class's −count forgotten",
                  backward_no_true_class}},
};
