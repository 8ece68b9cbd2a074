/* gv_net_pack.c: packing the network's parameters and gradients. */
#include "gv_net_pack.h"

#include <gsl/gsl_errno.h>

size_t gv_net_pack_size(const gv_net *net)
{
  return net->n_hidden * net->n_in + net->n_hidden + net->n_out * net->n_hidden + net->n_out;
}

/* The four blocks in packed order, as (matrix or vector) pieces. */
typedef struct {
  gsl_matrix *W, *V;
  gsl_vector *b1, *b2;
} blocks;

/* Row i of a block's matrix (part 0: W, 1: V), and its vector (b1, b2) as
 * one more row, i = size1. The packed order is these rows, part by part. */
static gsl_vector_view block_row(const blocks *b, int part, size_t i)
{
  gsl_matrix *M = part ? b->V : b->W;
  gsl_vector *v = part ? b->b2 : b->b1;
  return i < M->size1 ? gsl_matrix_row(M, i) : gsl_vector_subvector(v, 0, v->size);
}

static size_t block_rows(const blocks *b, int part)
{
  return (part ? b->V : b->W)->size1 + 1;
}

/* theta = the blocks, a row at a time through views of theta's memory (any
 * stride): no per-element accessor call, which cost 7 times the network's
 * forward pass at 784-128-10 (checks/bench/bench_eval.c). */
static void pack_blocks(const blocks *b, gsl_vector *theta)
{
  size_t k = 0;
  for (int part = 0; part < 2; part++)
    for (size_t i = 0; i < block_rows(b, part); i++) {
      gsl_vector_view row = block_row(b, part, i);
      gsl_vector_view t = gsl_vector_subvector(theta, k, row.vector.size);
      gsl_vector_memcpy(&t.vector, &row.vector);
      k += row.vector.size;
    }
}

/* The blocks = theta, as pack_blocks. */
static void unpack_blocks(const gsl_vector *theta, const blocks *b)
{
  size_t k = 0;
  for (int part = 0; part < 2; part++)
    for (size_t i = 0; i < block_rows(b, part); i++) {
      gsl_vector_view row = block_row(b, part, i);
      gsl_vector_const_view t = gsl_vector_const_subvector(theta, k, row.vector.size);
      gsl_vector_memcpy(&row.vector, &t.vector);
      k += row.vector.size;
    }
}

int gv_net_pack(const gv_net *net, gsl_vector *theta)
{
  if (theta->size != gv_net_pack_size(net))
    return GSL_EBADLEN;
  const blocks b = {net->W, net->V, net->b1, net->b2};
  pack_blocks(&b, theta);
  return GSL_SUCCESS;
}

int gv_net_unpack(const gsl_vector *theta, gv_net *net)
{
  if (theta->size != gv_net_pack_size(net))
    return GSL_EBADLEN;
  const blocks b = {net->W, net->V, net->b1, net->b2};
  unpack_blocks(theta, &b);
  return GSL_SUCCESS;
}

int gv_net_grad_pack(const gv_net *net, const gv_net_grad *grad, gsl_vector *g)
{
  if (g->size != gv_net_pack_size(net) || grad->dW->size1 != net->n_hidden ||
      grad->dW->size2 != net->n_in || grad->dV->size1 != net->n_out ||
      grad->dV->size2 != net->n_hidden || grad->db1->size != net->n_hidden ||
      grad->db2->size != net->n_out)
    return GSL_EBADLEN;
  const blocks b = {grad->dW, grad->dV, grad->db1, grad->db2};
  pack_blocks(&b, g);
  return GSL_SUCCESS;
}
