/* gv_mistakes.h: wrong versions of the seed's formulas, the mistakes students
 * really make. They exist only to be caught: the driver runs each as a
 * negative control and fails if the comparison does not reject it. Sizes and
 * return values follow the right versions (gv_softmax.h, gv_net.h, ...). */
#ifndef GV_MISTAKES_H
#define GV_MISTAKES_H

#include <gsl/gsl_matrix.h>
#include <gsl/gsl_vector.h>

/* J = p p^T - diag(p): the sign flipped. */
int gv_mistake_softmax_sign(const gsl_vector *p, gsl_matrix *J);
/* J = diag(p): the outer product forgotten. */
int gv_mistake_softmax_diag(const gsl_vector *p, gsl_matrix *J);
/* out = V^T delta1: the ReLU mask forgotten (for delta2 or for dL/db1). */
int gv_mistake_relu_nomask(const gsl_matrix *V, const gsl_vector *delta1, gsl_vector *out);
/* dW = (V^T delta1) x^T: the mask forgotten before the outer product, so
 * the rows of inactive units are wrong. V is K x H, dW is H x D. */
int gv_mistake_grad_W_nomask(const gsl_matrix *V, const gsl_vector *delta1, const gsl_vector *x,
                             gsl_matrix *dW);
/* dV (K x H) receives the H x K product h delta1^T written row by row into its
 * memory: the factors in the wrong order, hidden by a buffer of the right size. */
int gv_mistake_outer_order(const gsl_vector *delta1, const gsl_vector *h, gsl_matrix *dV);
/* g = p - y even when 1^T y != 1. */
int gv_mistake_soft_labels(const gsl_vector *y, const gsl_vector *p, gsl_vector *g);
/* g = 2 A x, right only for a symmetric A. */
int gv_mistake_xTAx(const gsl_matrix *A, const gsl_vector *x, gsl_vector *g);

#endif
