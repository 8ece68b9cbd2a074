/* gv_layer_affine.c: out = XW + 1bᵀ, X N-by-D, W D-by-M, b M-by-1, out N-by-M.
 * dX = dout Wᵀ, dW = Xᵀ dout, db = doutᵀ1 (the sum over the batch). */
#include "gv_layers.h"

#include <gsl/gsl_blas.h>
#include <gsl/gsl_errno.h>

enum { X_, W_, B_ };

static const gv_layer_input inputs[] = {
    {"X", 1, "dX = dout Wᵀ"},
    {"W", 1, "dW = Xᵀ dout"},
    {"b", 1, "db = doutᵀ1"},
};

static int shape(const gsl_matrix *const in[], void *params, size_t *rows, size_t *cols)
{
  (void)params;
  *rows = in[X_]->size1;
  *cols = in[W_]->size2;
  return GSL_SUCCESS;
}

static int forward(const gsl_matrix *const in[], void *params, gsl_matrix *out)
{
  (void)params;
  for (size_t i = 0; i < out->size1; i++) {
    gsl_vector_view row = gsl_matrix_row(out, i);
    gsl_vector_const_view b = gsl_matrix_const_column(in[B_], 0);
    gsl_vector_memcpy(&row.vector, &b.vector);
  }
  return gsl_blas_dgemm(CblasNoTrans, CblasNoTrans, 1.0, in[X_], in[W_], 1.0, out);
}

static int forward_complex(const gsl_matrix *const in[], const gv_layer_complex *const z[],
                           void *params, gv_layer_complex *out)
{
  (void)params;
  size_t N = in[X_]->size1, D = in[X_]->size2, M = in[W_]->size2;
  for (size_t i = 0; i < N; i++)
    for (size_t m = 0; m < M; m++) {
      gv_layer_complex s = z[B_][m];
      for (size_t d = 0; d < D; d++)
        s += z[X_][i * D + d] * z[W_][d * M + m];
      out[i * M + m] = s;
    }
  return GSL_SUCCESS;
}

/* db = doutᵀ1, as a column. */
static void sum_rows(const gsl_matrix *dout, gsl_matrix *db)
{
  gsl_matrix_set_zero(db);
  for (size_t i = 0; i < dout->size1; i++)
    for (size_t m = 0; m < dout->size2; m++)
      *gsl_matrix_ptr(db, m, 0) += gsl_matrix_get(dout, i, m);
}

static int backward(const gsl_matrix *const in[], const gsl_matrix *dout, void *params,
                    gsl_matrix *const grad[])
{
  (void)params;
  int status = GSL_SUCCESS;
  if (grad[X_])
    status = gsl_blas_dgemm(CblasNoTrans, CblasTrans, 1.0, dout, in[W_], 0.0, grad[X_]);
  if (!status && grad[W_])
    status = gsl_blas_dgemm(CblasTrans, CblasNoTrans, 1.0, in[X_], dout, 0.0, grad[W_]);
  if (!status && grad[B_])
    sum_rows(dout, grad[B_]);
  return status;
}

/* db = the first example's dout only: the batch sum forgotten. */
static int backward_db_first(const gsl_matrix *const in[], const gsl_matrix *dout, void *params,
                             gsl_matrix *const grad[])
{
  int status = backward(in, dout, params, grad);
  for (size_t m = 0; !status && grad[B_] && m < dout->size2; m++)
    gsl_matrix_set(grad[B_], m, 0, gsl_matrix_get(dout, 0, m));
  return status;
}

/* dX = dout W: the transpose forgotten. It compiles for a square W; for
 * another shape it is W's memory read as an M-by-D matrix, as a BLAS call
 * without the transpose flag reads it. */
static int backward_dX_no_transpose(const gsl_matrix *const in[], const gsl_matrix *dout,
                                    void *params, gsl_matrix *const grad[])
{
  int status = backward(in, dout, params, grad);
  if (status || !grad[X_])
    return status;
  const gsl_matrix *W = in[W_];
  gsl_matrix *Wm = gsl_matrix_alloc(W->size2, W->size1);
  if (!Wm)
    return GSL_ENOMEM;
  for (size_t k = 0; k < W->size1 * W->size2; k++)
    gsl_matrix_set(Wm, k / W->size1, k % W->size1, gsl_matrix_get(W, k / W->size2, k % W->size2));
  status = gsl_blas_dgemm(CblasNoTrans, CblasNoTrans, 1.0, dout, Wm, 0.0, grad[X_]);
  gsl_matrix_free(Wm);
  return status;
}

/* N in [1, 8], D and M in [1, 10] (M = D, a square W, in half the draws);
 * X's scale log-uniform in [0.1, 10], W scaled like an initialisation. */
static int sample(gsl_rng *r, void *params, gsl_matrix *in[], gv_layer_draw *draw)
{
  (void)params;
  size_t N = gv_layers_draw_size(r, 1, 8), D = gv_layers_draw_size(r, 1, 10);
  size_t M = gsl_rng_uniform(r) < 0.5 ? D : gv_layers_draw_size(r, 1, 10);
  double sx = gv_layers_draw_scale(r, 0.1, 10.0);
  in[X_] = gv_layers_draw_matrix(r, N, D, sx);
  in[W_] = gv_layers_draw_matrix(r, D, M, 1.0);
  in[B_] = gv_layers_draw_matrix(r, M, 1, 1.0);
  *draw = (gv_layer_draw){0};
  return in[X_] && in[W_] && in[B_] ? GSL_SUCCESS : GSL_ENOMEM;
}

const gv_layers_entry gv_layers_affine = {
    .layer = {.name = "affine",
              .formula = "out = XW + 1bᵀ",
              .n_inputs = 3,
              .inputs = inputs,
              .forward = forward,
              .backward = backward,
              .output_shape = shape,
              .sample = sample,
              .forward_complex = forward_complex},
    .layout = "X N×D, W D×M, b M×1, out N×M; each gradient shaped like its input",
    .draw = "N ∈ [1, 8], D, M ∈ [1, 10] (M = D half the time); X uniform in [−s, s], s "
            "log-uniform in [0.1, 10]; W, b uniform in [−1, 1]",
    .n_mistakes = 2,
    .mistakes = {{"affine.db_first", "b", "db from the first example only (not summed)",
                  backward_db_first},
                 {"affine.dX_no_transpose", "X", "dX = dout W (the transpose forgotten)",
                  backward_dX_no_transpose}},
};
