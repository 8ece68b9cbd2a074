/* gv_net.c: forward and backward pass of the seed's network. */
#include "gv_net.h"

#include <stdlib.h>

#include <gsl/gsl_blas.h>
#include <gsl/gsl_errno.h>

#include "gv_softmax.h"
#include "gv_xent.h"

gv_net *gv_net_alloc(size_t n_in, size_t n_hidden, size_t n_out)
{
  if (n_in == 0 || n_hidden == 0 || n_out == 0)
    return NULL;
  gv_net *net = calloc(1, sizeof *net);
  if (!net)
    return NULL;
  net->n_in = n_in;
  net->n_hidden = n_hidden;
  net->n_out = n_out;
  net->W = gsl_matrix_calloc(n_hidden, n_in);
  net->b1 = gsl_vector_calloc(n_hidden);
  net->V = gsl_matrix_calloc(n_out, n_hidden);
  net->b2 = gsl_vector_calloc(n_out);
  if (!net->W || !net->b1 || !net->V || !net->b2) {
    gv_net_free(net);
    return NULL;
  }
  return net;
}

void gv_net_free(gv_net *net)
{
  if (!net)
    return;
  gsl_matrix_free(net->W);
  gsl_vector_free(net->b1);
  gsl_matrix_free(net->V);
  gsl_vector_free(net->b2);
  free(net);
}

gv_net_state *gv_net_state_alloc(const gv_net *net)
{
  gv_net_state *s = calloc(1, sizeof *s);
  if (!s)
    return NULL;
  s->z = gsl_vector_calloc(net->n_hidden);
  s->h = gsl_vector_calloc(net->n_hidden);
  s->a = gsl_vector_calloc(net->n_out);
  s->p = gsl_vector_calloc(net->n_out);
  if (!s->z || !s->h || !s->a || !s->p) {
    gv_net_state_free(s);
    return NULL;
  }
  return s;
}

void gv_net_state_free(gv_net_state *s)
{
  if (!s)
    return;
  gsl_vector_free(s->z);
  gsl_vector_free(s->h);
  gsl_vector_free(s->a);
  gsl_vector_free(s->p);
  free(s);
}

gv_net_grad *gv_net_grad_alloc(const gv_net *net)
{
  gv_net_grad *g = calloc(1, sizeof *g);
  if (!g)
    return NULL;
  g->delta1 = gsl_vector_calloc(net->n_out);
  g->delta2 = gsl_vector_calloc(net->n_hidden);
  g->dV = gsl_matrix_calloc(net->n_out, net->n_hidden);
  g->db2 = gsl_vector_calloc(net->n_out);
  g->dW = gsl_matrix_calloc(net->n_hidden, net->n_in);
  g->db1 = gsl_vector_calloc(net->n_hidden);
  if (!g->delta1 || !g->delta2 || !g->dV || !g->db2 || !g->dW || !g->db1) {
    gv_net_grad_free(g);
    return NULL;
  }
  return g;
}

void gv_net_grad_free(gv_net_grad *g)
{
  if (!g)
    return;
  gsl_vector_free(g->delta1);
  gsl_vector_free(g->delta2);
  gsl_matrix_free(g->dV);
  gsl_vector_free(g->db2);
  gsl_matrix_free(g->dW);
  gsl_vector_free(g->db1);
  free(g);
}

static int check_sizes(const gv_net *net, const gsl_vector *y, const gv_net_state *s)
{
  if (y->size != net->n_out || s->z->size != net->n_hidden || s->h->size != net->n_hidden ||
      s->a->size != net->n_out || s->p->size != net->n_out)
    return GSL_EBADLEN;
  return GSL_SUCCESS;
}

int gv_net_forward_from_z(const gv_net *net, const gsl_vector *z, const gsl_vector *y,
                          gv_net_state *s)
{
  int status = check_sizes(net, y, s);
  if (status)
    return status;
  if (z->size != net->n_hidden)
    return GSL_EBADLEN;
  for (size_t i = 0; i < z->size; i++) {
    double zi = gsl_vector_get(z, i);
    gsl_vector_set(s->h, i, zi > 0.0 ? zi : 0.0);
  }
  gsl_vector_memcpy(s->a, net->b2);
  status = gsl_blas_dgemv(CblasNoTrans, 1.0, net->V, s->h, 1.0, s->a);
  if (!status)
    status = gv_softmax(s->a, s->p);
  if (!status)
    status = gv_xent_loss_logits(y, s->a, &s->loss);
  return status;
}

int gv_net_forward(const gv_net *net, const gsl_vector *x, const gsl_vector *y, gv_net_state *s)
{
  int status = check_sizes(net, y, s);
  if (status)
    return status;
  if (x->size != net->n_in)
    return GSL_EBADLEN;
  gsl_vector_memcpy(s->z, net->b1);
  status = gsl_blas_dgemv(CblasNoTrans, 1.0, net->W, x, 1.0, s->z);
  if (status)
    return status;
  return gv_net_forward_from_z(net, s->z, y, s);
}

int gv_net_relu_backward(const gsl_matrix *V, const gsl_vector *delta1, const gsl_vector *z,
                         gsl_vector *delta2)
{
  if (V->size1 != delta1->size || V->size2 != z->size || delta2->size != z->size)
    return GSL_EBADLEN;
  int status = gsl_blas_dgemv(CblasTrans, 1.0, V, delta1, 0.0, delta2);
  if (status)
    return status;
  /* The mask 1(z > 0): ReLU passes gradient only where it was active. */
  for (size_t i = 0; i < z->size; i++)
    if (!(gsl_vector_get(z, i) > 0.0))
      gsl_vector_set(delta2, i, 0.0);
  return GSL_SUCCESS;
}

int gv_net_backward(const gv_net *net, const gsl_vector *x, const gsl_vector *y,
                    const gv_net_state *s, gv_net_grad *g)
{
  int status = check_sizes(net, y, s);
  if (status)
    return status;
  if (x->size != net->n_in || g->delta1->size != net->n_out || g->delta2->size != net->n_hidden ||
      g->dV->size1 != net->n_out || g->dV->size2 != net->n_hidden || g->db2->size != net->n_out ||
      g->dW->size1 != net->n_hidden || g->dW->size2 != net->n_in || g->db1->size != net->n_hidden)
    return GSL_EBADLEN;

  /* delta1 = p (1^T y) - y, which is the seed's p - y for a one-hot y. */
  status = gv_xent_grad_logits_general(y, s->p, g->delta1);
  if (!status)
    status = gv_net_relu_backward(net->V, g->delta1, s->z, g->delta2);
  if (status)
    return status;
  gsl_matrix_set_zero(g->dV);
  status = gsl_blas_dger(1.0, g->delta1, s->h, g->dV); /* delta1 h^T */
  if (status)
    return status;
  gsl_vector_memcpy(g->db2, g->delta1);
  gsl_matrix_set_zero(g->dW);
  status = gsl_blas_dger(1.0, g->delta2, x, g->dW); /* delta2 x^T */
  if (status)
    return status;
  gsl_vector_memcpy(g->db1, g->delta2);
  return GSL_SUCCESS;
}
