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

/* theta = the blocks, in packed order. */
static void pack_blocks(const blocks *b, gsl_vector *theta)
{
  size_t k = 0;
  gsl_matrix *mats[2] = {b->W, b->V};
  gsl_vector *vecs[2] = {b->b1, b->b2};
  for (int part = 0; part < 2; part++) {
    for (size_t i = 0; i < mats[part]->size1; i++)
      for (size_t j = 0; j < mats[part]->size2; j++)
        gsl_vector_set(theta, k++, gsl_matrix_get(mats[part], i, j));
    for (size_t i = 0; i < vecs[part]->size; i++)
      gsl_vector_set(theta, k++, gsl_vector_get(vecs[part], i));
  }
}

/* The blocks = theta, in packed order. */
static void unpack_blocks(const gsl_vector *theta, const blocks *b)
{
  size_t k = 0;
  gsl_matrix *mats[2] = {b->W, b->V};
  gsl_vector *vecs[2] = {b->b1, b->b2};
  for (int part = 0; part < 2; part++) {
    for (size_t i = 0; i < mats[part]->size1; i++)
      for (size_t j = 0; j < mats[part]->size2; j++)
        gsl_matrix_set(mats[part], i, j, gsl_vector_get(theta, k++));
    for (size_t i = 0; i < vecs[part]->size; i++)
      gsl_vector_set(vecs[part], i, gsl_vector_get(theta, k++));
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
