/* gv_ref.h: what the grader judges a submission against, per layer of the
 * assignment: the reference forward and backward, a seeded draw of inputs,
 * and the planted mistakes a student is likely to make, in a student's words.
 *
 * This is the grader's only view of the layers: gv_ref.c implements it for the
 * assignment's six layers; when the layer catalogue provides the same layers,
 * gv_ref.c becomes a thin map onto it and nothing else changes.
 *
 * Matrices follow gradverify/assignment.h: batch first, denominator layout;
 * grad[k] is shaped like the k-th differentiable input. Every function returns
 * GSL_SUCCESS or a GSL status (GSL_ENOMEM, GSL_EBADLEN) and never calls the
 * GSL error handler for its own checks. */
#ifndef GV_REF_H
#define GV_REF_H

#include <stddef.h>

#include <gsl/gsl_matrix.h>
#include <gsl/gsl_rng.h>

#define GV_REF_MAX_IN 4

typedef int (*gv_ref_backward_fn)(gsl_matrix *const *in, const gsl_matrix *dout,
                                  gsl_matrix *const *grad);

typedef struct {
  const char *id;    /* e.g. "relu.mask_from_dout" */
  const char *words; /* completes "matches a known mistake: ...", for a student */
  gv_ref_backward_fn backward;
} gv_ref_mistake;

typedef struct {
  const char *name; /* the assignment's layer, e.g. "relu" */
  size_t nin;
  const char *in_names[GV_REF_MAX_IN];
  int diff[GV_REF_MAX_IN]; /* 1 for an input that gets a gradient */
  int (*forward)(gsl_matrix *const *in, gsl_matrix *out);
  gv_ref_backward_fn backward;
  /* Allocates in[0..nin) and fills them from r; *rows x *cols is the output's shape. */
  int (*sample)(const gsl_rng *r, gsl_matrix **in, size_t *rows, size_t *cols);
  const gv_ref_mistake *mistakes;
  size_t nmistakes;
} gv_ref_layer;

/* The layer called name, or NULL. */
const gv_ref_layer *gv_ref_find(const char *name);

/* The number of differentiable inputs of l (its backward's outputs). */
size_t gv_ref_ngrad(const gv_ref_layer *l);

#endif
