/* gv_net.h: the seed's two-layer ReLU network with softmax and cross-entropy.
 *
 *   z = W x + b1,  h = ReLU(z),  a = V h + b2,  p = softmax(a),  L = CE(y, p)
 *
 * with x in R^D, W in R^{H x D}, b1 in R^H, V in R^{K x H}, b2 in R^K, y in R^K.
 * Backpropagation, in denominator layout (see gv_softmax.h), as the seed
 * derives it:
 *
 *   delta1 = dL/da = p - y                   (p (1^T y) - y for any y)
 *   delta2 = dL/dz = (V^T delta1) .* 1(z > 0)
 *   dL/dV = delta1 h^T,  dL/db2 = delta1,  dL/dW = delta2 x^T,  dL/db1 = delta2
 *
 * Memory: every struct has an _alloc/_free pair; _free(NULL) is a no-op and a
 * failed _alloc returns NULL having freed what it took. Functions return
 * GSL_SUCCESS or a GSL error code (GSL_EBADLEN on a size mismatch) and never
 * call the GSL error handler. */
#ifndef GV_NET_H
#define GV_NET_H

#include <gsl/gsl_matrix.h>
#include <gsl/gsl_vector.h>

/* Parameters. The caller fills W, b1, V, b2. */
typedef struct {
  size_t n_in, n_hidden, n_out; /* D, H, K */
  gsl_matrix *W;                /* H x D */
  gsl_vector *b1;               /* H */
  gsl_matrix *V;                /* K x H */
  gsl_vector *b2;               /* K */
} gv_net;

/* The forward pass's intermediate values, kept for the backward pass. */
typedef struct {
  gsl_vector *z, *h; /* H */
  gsl_vector *a, *p; /* K */
  double loss;
} gv_net_state;

/* The backward pass's results. */
typedef struct {
  gsl_vector *delta1; /* K: dL/da */
  gsl_vector *delta2; /* H: dL/dz */
  gsl_matrix *dV;     /* K x H */
  gsl_vector *db2;    /* K */
  gsl_matrix *dW;     /* H x D */
  gsl_vector *db1;    /* H */
} gv_net_grad;

/* Sizes must be at least 1; returns NULL otherwise or when out of memory. */
gv_net *gv_net_alloc(size_t n_in, size_t n_hidden, size_t n_out);
void gv_net_free(gv_net *net);
gv_net_state *gv_net_state_alloc(const gv_net *net);
void gv_net_state_free(gv_net_state *s);
gv_net_grad *gv_net_grad_alloc(const gv_net *net);
void gv_net_grad_free(gv_net_grad *g);

/* Forward pass for input x (size D) and target y (size K): fills s->z, h, a,
 * p and s->loss, the loss computed stably from the logits. */
int gv_net_forward(const gv_net *net, const gsl_vector *x, const gsl_vector *y, gv_net_state *s);

/* Loss from the hidden pre-activation z alone (h = ReLU(z) onwards); used to
 * differentiate with respect to z. s receives h, a, p and loss; s->z is unused. */
int gv_net_forward_from_z(const gv_net *net, const gsl_vector *z, const gsl_vector *y,
                          gv_net_state *s);

/* Backward pass from a state filled by gv_net_forward with the same x, y. */
int gv_net_backward(const gv_net *net, const gsl_vector *x, const gsl_vector *y,
                    const gv_net_state *s, gv_net_grad *g);

/* delta2 = (V^T delta1) .* 1(z > 0): the ReLU layer's backward step. */
int gv_net_relu_backward(const gsl_matrix *V, const gsl_vector *delta1, const gsl_vector *z,
                         gsl_vector *delta2);

#endif
