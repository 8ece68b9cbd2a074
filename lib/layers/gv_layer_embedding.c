/* gv_layer_embedding.c: a lookup table, out row i = W row idx_i, idx N-by-1
 * (row indices into W stored as whole numbers in [0, V), not
 * differentiable), W V-by-D, out N-by-D. dW = scatter-add of dout's rows:
 * dW row v = Σ_{i : idx_i = v} dout row i (rows never looked up get 0).
 * Linear in W. forward and backward return GSL_EDOM for an index that is
 * not a whole number in [0, V). */
#include "gv_layers_pointwise.h"

#include <math.h>

#include <gsl/gsl_errno.h>

enum { IDX_, W_ };

static int shape(const gsl_matrix *const in[], void *params, size_t *rows, size_t *cols)
{
  (void)params;
  *rows = in[IDX_]->size1;
  *cols = in[W_]->size2;
  return GSL_SUCCESS;
}

static int indices_valid(const gsl_matrix *const in[])
{
  for (size_t i = 0; i < in[IDX_]->size1; i++) {
    double v = gsl_matrix_get(in[IDX_], i, 0);
    if (!(v >= 0.0 && v < (double)in[W_]->size1 && v == floor(v)))
      return GSL_EDOM;
  }
  return GSL_SUCCESS;
}

static size_t index_at(const gsl_matrix *const in[], size_t i)
{
  return (size_t)gsl_matrix_get(in[IDX_], i, 0);
}

static int forward(const gsl_matrix *const in[], void *params, gsl_matrix *out)
{
  (void)params;
  int status = indices_valid(in);
  for (size_t i = 0; !status && i < in[IDX_]->size1; i++) {
    gsl_vector_view row = gsl_matrix_row(out, i);
    gsl_vector_const_view w = gsl_matrix_const_row(in[W_], index_at(in, i));
    gsl_vector_memcpy(&row.vector, &w.vector);
  }
  return status;
}

static int forward_complex(const gsl_matrix *const in[], const gv_layer_complex *const z[],
                           void *params, gv_layer_complex *out)
{
  (void)params;
  size_t D = in[W_]->size2;
  int status = indices_valid(in);
  for (size_t i = 0; !status && i < in[IDX_]->size1; i++)
    for (size_t d = 0; d < D; d++)
      out[i * D + d] = z[W_][index_at(in, i) * D + d];
  return status;
}

/* dW's rows from dout's, added (scatter-add) or, when add is 0, assigned. */
static int backward_scatter(const gsl_matrix *const in[], const gsl_matrix *dout, int add,
                            gsl_matrix *const grad[])
{
  int status = indices_valid(in);
  gsl_matrix_set_zero(grad[W_]);
  for (size_t i = 0; !status && i < in[IDX_]->size1; i++) {
    gsl_vector_view row = gsl_matrix_row(grad[W_], index_at(in, i));
    gsl_vector_const_view g = gsl_matrix_const_row(dout, i);
    if (add)
      gsl_vector_add(&row.vector, &g.vector);
    else
      gsl_vector_memcpy(&row.vector, &g.vector);
  }
  return status;
}

GV_LAYERS_BACKWARD_VARIANT(backward, backward_scatter, 1)

/* dW[idx_i] = dout row i: a repeated index keeps only its last example's row. */
GV_LAYERS_BACKWARD_VARIANT(backward_overwrite, backward_scatter, 0)

/* V in [1, 10], N in [2, 12], D in [1, 8]; W uniform in [−s, s], s
 * log-uniform in [0.1, 10]; idx uniform in [0, V), with at least one index
 * repeated (one entry copied over another when the draw has none), so that
 * the scatter-add is exercised in every draw. */
static int sample(gsl_rng *r, void *params, gsl_matrix *in[], gv_layer_draw *draw)
{
  (void)params;
  size_t V = gv_layers_draw_size(r, 1, 10), N = gv_layers_draw_size(r, 2, 12);
  size_t D = gv_layers_draw_size(r, 1, 8);
  in[W_] = gv_layers_draw_matrix(r, V, D, gv_layers_draw_scale(r, 0.1, 10.0));
  in[IDX_] = gsl_matrix_alloc(N, 1);
  if (!in[W_] || !in[IDX_])
    return GSL_ENOMEM;
  int repeated = 0;
  for (size_t i = 0; i < N; i++) {
    gsl_matrix_set(in[IDX_], i, 0, (double)gsl_rng_uniform_int(r, V));
    for (size_t j = 0; j < i; j++)
      repeated |= gsl_matrix_get(in[IDX_], i, 0) == gsl_matrix_get(in[IDX_], j, 0);
  }
  if (!repeated) {
    size_t i = gsl_rng_uniform_int(r, N), j = (i + 1 + gsl_rng_uniform_int(r, N - 1)) % N;
    gsl_matrix_set(in[IDX_], j, 0, gsl_matrix_get(in[IDX_], i, 0));
  }
  *draw = (gv_layer_draw){0};
  return GSL_SUCCESS;
}

static const gv_layer_input inputs[] = {
    {"idx", 0, NULL},
    {"W", 1, "dW[v] = Σ_{i: idx_i = v} dout[i] (scatter-add)"},
};

const gv_layers_entry gv_layers_embedding = {
    .layer = {.name = "embedding",
              .formula = "out[i] = W[idx_i]",
              .n_inputs = 2,
              .inputs = inputs,
              .forward = forward,
              .backward = backward,
              .output_shape = shape,
              .sample = sample,
              .forward_complex = forward_complex},
    .layout = "idx N×1 (row indices, whole numbers in [0, V), not differentiable), W V×D, out "
              "N×D; dW V×D",
    .draw = "V ∈ [1, 10], N ∈ [2, 12], D ∈ [1, 8]; W uniform in [−s, s], s log-uniform in "
            "[0.1, 10]; idx uniform in [0, V), at least one index repeated in every draw",
    .n_mistakes = 1,
    .mistakes = {{"embedding.dW_overwrite", "W",
                  "dW[idx_i] = dout[i]: repeated indices overwritten instead of added",
                  backward_overwrite}},
};
