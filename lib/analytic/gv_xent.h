/* gv_xent.h: cross-entropy L = CE(y, p) = -sum_i y_i log p_i and its gradients.
 *
 * Denominator layout (see gv_softmax.h): gradients are vectors shaped like the
 * variable. y is a target: one-hot, a probability vector (soft labels) or, for
 * the _general gradient, any non-negative weights. All functions return
 * GSL_SUCCESS or a GSL error code and never call the GSL error handler. */
#ifndef GV_XENT_H
#define GV_XENT_H

#include <gsl/gsl_vector.h>

/* L = -sum_i y_i log p_i for p_i > 0. Terms with y_i == 0 contribute 0 even
 * where p_i underflowed to 0. GSL_EBADLEN on a size mismatch. */
int gv_xent_loss(const gsl_vector *y, const gsl_vector *p, double *L);

/* The same loss from the logits a with p = softmax(a), computed stably as
 * sum_i y_i (lse(a) - a_i): finite for logits in the hundreds, where
 * log(softmax(a)_i) would be log(0). */
int gv_xent_loss_logits(const gsl_vector *y, const gsl_vector *a, double *L);

/* dL/dp = -diag(p)^{-1} y, i.e. g_i = -y_i / p_i. GSL_EDOM if some p_i == 0
 * while y_i != 0 (the gradient is infinite there). */
int gv_xent_grad_p(const gsl_vector *y, const gsl_vector *p, gsl_vector *g);

/* dL/da = p - y, the seed's delta_1, valid only when 1^T y = 1. Returns
 * GSL_EDOM when |1^T y - 1| > 1e-12 n: use gv_xent_grad_logits_general then. */
int gv_xent_grad_logits(const gsl_vector *y, const gsl_vector *p, gsl_vector *g);

/* dL/da = (dp/da)(dL/dp) = p (1^T y) - y, for any y. */
int gv_xent_grad_logits_general(const gsl_vector *y, const gsl_vector *p, gsl_vector *g);

#endif
