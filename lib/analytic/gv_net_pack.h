/* gv_net_pack.h: the network's parameters as one vector.
 *
 * The packed order is
 *   theta = [vec(W) row-major (H x D), b1 (H), vec(V) row-major (K x H), b2 (K)],
 * of length gv_net_pack_size = H D + H + K H + K, the order of
 * gv_complex_net_loss (gv_complex.h). A gradient packs the same way, so that
 * a numeric gradient of the packed loss compares entry by entry with
 * gv_net_backward's dW, db1, dV, db2. Functions return GSL_SUCCESS or
 * GSL_EBADLEN when a vector's size is not gv_net_pack_size; none calls the
 * GSL error handler. */
#ifndef GV_NET_PACK_H
#define GV_NET_PACK_H

#include <gsl/gsl_vector.h>

#include "gv_net.h"

size_t gv_net_pack_size(const gv_net *net);

/* theta = the parameters of net. */
int gv_net_pack(const gv_net *net, gsl_vector *theta);

/* The parameters of net = theta. */
int gv_net_unpack(const gsl_vector *theta, gv_net *net);

/* g = [vec(dW), db1, vec(dV), db2] from a backward pass of a net with the
 * same sizes as net. */
int gv_net_grad_pack(const gv_net *net, const gv_net_grad *grad, gsl_vector *g);

#endif
