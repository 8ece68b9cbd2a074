/* gv_ref.h: what the grader judges a submission against, per layer of the
 * assignment: the reference forward and backward, a seeded draw of inputs,
 * and the planted mistakes a student is likely to make, in words.
 *
 * This is the grader's only view of the layers. The forward, backward and
 * planted mistakes are the layer catalogue's (lib/layers, gv_layers.h). The draws are the grader's
 * own (gv_ref.c): fixed regimes chosen so that a mistake can be told from another (a square W, so
 * that a forgotten transpose runs and can be named; N > 1 and N != D; no entry
 * near ReLU's kink), the same for every student.
 *
 * Matrices follow gradverify/assignment.h (batch first, denominator layout)
 * and the catalogue's shapes; grad[k] is shaped like the k-th differentiable
 * input (inputs flagged in diff[]). Every function returns GSL_SUCCESS or a
 * GSL status and never calls the GSL error handler for its own checks. */
#ifndef GV_REF_H
#define GV_REF_H

#include <stddef.h>

#include <gsl/gsl_matrix.h>
#include <gsl/gsl_rng.h>

#define GV_REF_MAX_IN 4

typedef struct {
  const char *name; /* the assignment's layer, e.g. "relu" */
  size_t nin;
  const char *in_names[GV_REF_MAX_IN];
  int diff[GV_REF_MAX_IN]; /* 1 for an input that gets a gradient */
  /* Allocates in[0..nin) and fills them from r; *rows x *cols is the output's shape. */
  int (*sample)(const gsl_rng *r, gsl_matrix **in, size_t *rows, size_t *cols);
  const void *entry; /* the catalogue's gv_layers_entry */
} gv_ref_layer;

/* The layer called name, or NULL (also when the catalogue's layer of that
 * name does not have the inputs this grader expects). */
const gv_ref_layer *gv_ref_find(const char *name);

/* The number of differentiable inputs of l (its backward's outputs). */
size_t gv_ref_ngrad(const gv_ref_layer *l);

int gv_ref_forward(const gv_ref_layer *l, gsl_matrix *const *in, gsl_matrix *out);
/* grad: gv_ref_ngrad(l) matrices, one per differentiable input, in order. */
int gv_ref_backward(const gv_ref_layer *l, gsl_matrix *const *in, const gsl_matrix *dout,
                    gsl_matrix *const *grad);

/* The planted mistakes: their number, and mistake m's id ("relu.dX_nomask"),
 * words for a student, and wrong backward (as gv_ref_backward). */
size_t gv_ref_nmistakes(const gv_ref_layer *l);
const char *gv_ref_mistake_id(const gv_ref_layer *l, size_t m);
const char *gv_ref_mistake_words(const gv_ref_layer *l, size_t m);
int gv_ref_mistake(const gv_ref_layer *l, size_t m, gsl_matrix *const *in, const gsl_matrix *dout,
                   gsl_matrix *const *grad);

#endif
