/* gv_judge.h: the verdicts on one layer of a submission, made in the
 * grader's process from the values its functions sent back.
 *
 * A draw holds the layer's seeded inputs, a random upstream gradient G, the
 * reference output and gradients, and central differences (with error bars)
 * of L = <G, forward(inputs)> for the reference forward and, once its replies
 * are in, for the submission's own forward. The forward's request carries the
 * call at the draw and the calls at every point the central differences need;
 * the backward's request one call at the draw. */
#ifndef GV_JUDGE_H
#define GV_JUDGE_H

#include <stddef.h>

#include <gsl/gsl_matrix.h>

#include "gv_grade.h"
#include "gv_ref.h"
#include "gv_wire.h"

typedef struct {
  const gv_ref_layer *ref;
  gsl_matrix *in[GV_REF_MAX_IN];
  gsl_matrix *out, *G; /* reference output; upstream gradient, shaped like out */
  size_t ngrad;
  int input_of[GV_REF_MAX_IN];     /* grad k is the gradient of in[input_of[k]] */
  gsl_matrix *grad[GV_REF_MAX_IN]; /* reference backward */
  gsl_matrix *num[GV_REF_MAX_IN],
      *num_err[GV_REF_MAX_IN]; /* central differences of the reference */
  int forward_right;           /* the submission's forward matched the reference */
  int has_own;                 /* own[] hold the submission forward's differences */
  gsl_matrix *own[GV_REF_MAX_IN], *own_err[GV_REF_MAX_IN];
} gv_judge_draw;

/* Draws the layer's inputs from seed and computes the reference side.
 * GSL_ENOMEM, or the reference's status. */
int gv_judge_draw_alloc(const gv_ref_layer *ref, unsigned long seed, gv_judge_draw *d);
void gv_judge_draw_free(gv_judge_draw *d);

/* Appends the forward's call records to req; *ncalls receives their number. */
int gv_judge_forward_request(gv_judge_draw *d, gv_buf *req, size_t *ncalls);
/* Appends the backward's single call record to req. */
int gv_judge_backward_request(const gv_judge_draw *d, gv_buf *req);

/* Judges the forward from its replies (ncalls of them, each one output of the
 * requested shape: the caller has checked), sets g's verdict, summary,
 * diagnosis, worst entries and heat map, and d's own differences when every
 * reply is finite. */
int gv_judge_forward(gv_judge_draw *d, const gv_wire_record *replies, size_t ncalls,
                     gv_fn_grade *g);
/* Judges the backward from its reply (ngrad outputs of the requested shapes). */
int gv_judge_backward(const gv_judge_draw *d, const gv_wire_record *reply, gv_fn_grade *g);

/* Describes how got differs from want for a student, into buf: sign,
 * constant factor (named when it is N or 2), transpose, entries only where
 * x <= 0 (x may be NULL), whole rows or columns, or the count of wrong entries.
 * n is the batch size the factor is compared with. */
void gv_judge_pattern(const gsl_matrix *got, const gsl_matrix *want, const gsl_matrix *x, size_t n,
                      const char *name, char *buf, size_t len);

#endif
