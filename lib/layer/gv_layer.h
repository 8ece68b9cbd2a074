/* gv_layer.h: one differentiable operation, described the way every framework
 * and backpropagation course writes it: named inputs, a forward pass, and a
 * backward pass that maps the upstream gradient dout to the gradient of each
 * differentiable input (a vector-Jacobian product). Installed with
 * gradverify.h, which includes it and declares the checks (gv_check_layer).
 *
 * Tensors are gsl_matrix. Batch dimension first: an N-by-D input holds N
 * examples of D features; a vector is n-by-1 or 1-by-n as the layer documents;
 * a 4-d tensor (N, C, H, W) is N-by-(C H W), row-major within a row. Inputs
 * that are not differentiable (labels, indices, a dropout mask,
 * hyper-parameters such as a slope or a stride) are inputs like any other,
 * flagged differentiable = 0: the checks never perturb them.
 *
 * Layout (denominator, as the seed): the gradient of the scalar
 * L = <G, forward(inputs)> = sum_ij G(i, j) out(i, j) with respect to input k
 * has the shape of input k; backward(inputs, dout = G) must return exactly
 * that.
 *
 * A layer is plain data: a gv_layer with pointers to static functions and to
 * a static array of gv_layer_input, and an optional params pointer passed to
 * every callback unchanged. Callbacks return GSL_SUCCESS or a non-zero GSL
 * status (which the checks return unchanged); they must not call the GSL
 * error handler's abort, print, or keep pointers to their arguments. */
#ifndef GV_LAYER_H
#define GV_LAYER_H

#include <stddef.h>

#include <gsl/gsl_matrix.h>
#include <gsl/gsl_rng.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The complex type of the complex-step forward: C11's double _Complex where
 * the compiler has it; elsewhere (C++, __STDC_NO_COMPLEX__) an opaque pair
 * that such code cannot implement, and leaves forward_complex NULL. */
#if !defined(__cplusplus) && !defined(__STDC_NO_COMPLEX__)
typedef double _Complex gv_layer_complex;
#else
typedef struct {
  double re, im;
} gv_layer_complex;
#endif

/* The most inputs a layer may have. */
#define GV_LAYER_MAX_INPUTS 24

/* A sampler redraws any point where an input, or a value computed from the
 * inputs (a pre-activation, a hinge margin, the gap between the two largest
 * entries of a pooling window), lies within GV_LAYER_KINK_MARGIN times its
 * scale (max(1, the magnitude of the terms it is computed from)) of a kink:
 * about 16 central-difference steps (cbrt(DBL_EPSILON) ~ 6e-6), so that no
 * finite difference straddles it. Each redraw is counted (gv_layer_draw). */
#define GV_LAYER_KINK_MARGIN 1e-4

typedef struct {
  const char *name;    /* "X", "W", "b", "y": unique within the layer */
  int differentiable;  /* 1: its gradient is checked; 0: never perturbed */
  const char *formula; /* optional: its gradient as the layer computes it, e.g.
                          "dW = Xᵀ dout"; NULL when not differentiable */
} gv_layer_input;

/* What a sampler reports besides the inputs. */
typedef struct {
  size_t redraws;       /* points redrawn because they sat near a kink */
  const char *regime;   /* optional static string naming the regime drawn
                           ("large logits", "small variance"), or NULL */
  unsigned long absent; /* bit k set: input k is a placeholder in this draw
                           (a layer of an mlp deeper than the one drawn): its
                           gradient is not checked and the trial counts as
                           "not drawn"; the caller zeroes it */
} gv_layer_draw;

/* in[k] is input k (layer->n_inputs of them, in the order of layer->inputs). */
typedef int (*gv_layer_forward_fn)(const gsl_matrix *const in[], void *params, gsl_matrix *out);

/* grad[k] has the shape of in[k] for each differentiable input and is NULL
 * for the others; backward overwrites every entry of each non-NULL grad[k]. */
typedef int (*gv_layer_backward_fn)(const gsl_matrix *const in[], const gsl_matrix *dout,
                                    void *params, gsl_matrix *const grad[]);

/* The output's shape for these inputs. */
typedef int (*gv_layer_shape_fn)(const gsl_matrix *const in[], void *params, size_t *rows,
                                 size_t *cols);

/* Allocates and fills in[k] for every input (in[] comes all NULL; the caller
 * frees every non-NULL in[k] with gsl_matrix_free, also after an error), from
 * r alone: the same generator state gives the same inputs. Sets *draw. */
typedef int (*gv_layer_sample_fn)(gsl_rng *r, void *params, gsl_matrix *in[], gv_layer_draw *draw);

/* The forward pass in complex arithmetic, for the complex step: z[k] holds
 * input k row-major (in[k]->size1 * in[k]->size2 values; non-differentiable
 * inputs with imaginary part 0), in[k] the real inputs (for shapes and
 * integer data), out the output row-major. Must be the analytic continuation
 * of forward: no abs, max or comparisons on imaginary parts (a kink decides
 * on the real part). */
typedef int (*gv_layer_forward_complex_fn)(const gsl_matrix *const in[],
                                           const gv_layer_complex *const z[], void *params,
                                           gv_layer_complex *out);

typedef struct {
  const char *name;    /* "affine", "swish": the ids of its gradients are
                          name.dINPUT ("affine.dW") */
  const char *formula; /* optional: the forward pass, e.g. "out = XW + 1bᵀ" */
  size_t n_inputs;     /* 1 to GV_LAYER_MAX_INPUTS */
  const gv_layer_input *inputs;
  gv_layer_forward_fn forward;                 /* required */
  gv_layer_backward_fn backward;               /* required */
  gv_layer_shape_fn output_shape;              /* NULL: the shape of in[0] */
  gv_layer_sample_fn sample;                   /* NULL: only checkable at given inputs */
  gv_layer_forward_complex_fn forward_complex; /* NULL: no complex step */
  void *params;                                /* passed to every callback */
} gv_layer;

#ifdef __cplusplus
}
#endif

#endif
