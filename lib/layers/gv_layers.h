/* gv_layers.h: the built-in catalogue of layers (gv_layer.h), each with the
 * planted mistakes the driver must catch.
 *
 * Adding a layer (one new file plus one table row):
 *   1. lib/layers/gv_layer_NAME.c defines
 *        const gv_layers_entry gv_layers_NAME = {.layer = {...}, ...};
 *      with its inputs (gv_layer_input: name, differentiable, formula), forward,
 *      backward, output_shape (NULL when shaped like input 0), a sampler
 *      (sizes, scales and the regimes that matter; points near a kink
 *      redrawn and counted, see GV_LAYER_KINK_MARGIN), forward_complex where
 *      the layer is analytic, and at least one planted mistake: a wrong
 *      backward (same signature) and the input whose gradient it gets wrong.
 *      State the layout (shapes, batch dimension first) in .layout. Use the
 *      draw helpers below; include only gv_layers.h (and GSL, analytic).
 *   2. Add X(NAME) to GV_LAYERS_TABLE below, and the file to lib/meson.build's
 *      gv_layers sources.
 * The checks pick it up from the table: checks/layers/check_layers.c checks
 * every layer through the public API (gv_check_layer, full Jacobian at small
 * sizes) and requires every mistake to fail; the driver runs every
 * differentiable input as a formula LAYER.dINPUT and every mistake as a
 * control.
 *
 * Ids: a formula is "NAME.dINPUT" (affine.dW); a mistake's id is
 * "NAME.dINPUT_what" (affine.db_first), unique across the catalogue. */
#ifndef GV_LAYERS_H
#define GV_LAYERS_H

#include <stddef.h>

#include <gsl/gsl_matrix.h>
#include <gsl/gsl_rng.h>

#include "gv_layer.h"

/* A wrong backward, the kind of mistake students make. */
typedef struct {
  const char *id;          /* "affine.db_first" */
  const char *input;       /* the input whose gradient it gets wrong: "b" */
  const char *description; /* as a student would write it */
  gv_layer_backward_fn backward;
} gv_layers_mistake;

#define GV_LAYERS_MAX_MISTAKES 8

typedef struct {
  gv_layer layer;
  const char *layout; /* shapes and the layout of each gradient, in words */
  const char *draw;   /* what the sampler draws, in words */
  size_t n_mistakes;
  gv_layers_mistake mistakes[GV_LAYERS_MAX_MISTAKES];
} gv_layers_entry;

/* The catalogue, in report order: one X(NAME) per layer, each defined in
 * gv_layer_NAME.c as gv_layers_NAME. */
#define GV_LAYERS_TABLE                                                                            \
  X(affine)                                                                                        \
  X(relu)                                                                                          \
  X(leaky_relu)                                                                                    \
  X(sigmoid)                                                                                       \
  X(tanh)                                                                                          \
  X(softplus)                                                                                      \
  X(elu)                                                                                           \
  X(gelu)                                                                                          \
  X(softmax_ce)                                                                                    \
  X(svm_hinge)                                                                                     \
  X(mse)                                                                                           \
  X(bce_logits)                                                                                    \
  X(l2)                                                                                            \
  X(dropout)                                                                                       \
  X(embedding)                                                                                     \
  X(batchnorm)                                                                                     \
  X(layernorm)                                                                                     \
  X(rnn_step)                                                                                      \
  X(mlp)                                                                                           \
  X(avgpool)                                                                                       \
  X(maxpool)                                                                                       \
  X(conv2d)                                                                                        \
  X(lstm_step)

#define X(name) extern const gv_layers_entry gv_layers_##name;
GV_LAYERS_TABLE
#undef X

/* The catalogue's entries; *count receives their number. */
const gv_layers_entry *const *gv_layers_list(size_t *count);

/* The entry named name, or NULL. */
const gv_layers_entry *gv_layers_find(const char *name);

/* The index of input `name` in layer, or layer->n_inputs if none. */
size_t gv_layers_input_index(const gv_layer *layer, const char *name);

/* Frees every non-NULL in[k] of layer's inputs and sets it to NULL. */
void gv_layers_inputs_free(const gv_layer *layer, gsl_matrix *in[]);

/* Draw helpers for samplers, all from r. */
size_t gv_layers_draw_size(gsl_rng *r, size_t lo, size_t hi);  /* uniform in [lo, hi] */
double gv_layers_draw_scale(gsl_rng *r, double lo, double hi); /* log-uniform in [lo, hi] */
/* A new n1-by-n2 matrix with entries uniform in [-s, s]; NULL if out of memory. */
gsl_matrix *gv_layers_draw_matrix(gsl_rng *r, size_t n1, size_t n2, double s);
/* A new n-by-k matrix of one-hot rows (labels); NULL if out of memory. */
gsl_matrix *gv_layers_draw_onehot(gsl_rng *r, size_t n, size_t k);

#endif
