/* check_net.c: the two-layer network's forward and backward pass.
 *
 * The hand-computed network has D = H = K = 2 and dyadic weights, so z, h and a
 * are exact in binary and only the softmax carries rounding:
 *
 *   x = (0.5, -1.25), W = [1.5 0.25; -0.75 1], b1 = (0.125, 0.5)
 *   z = (0.5625, -1.125), h = (0.5625, 0)          (unit 1 is off)
 *   V = [2 -0.5; -1 0.75], b2 = (0.25, -0.125)
 *   a = (1.375, -0.6875), a0 - a1 = 2.0625
 *   p0 = 1 / (1 + exp(-2.0625)), p1 = 1 - p0; y = (0, 1)
 *   L = lse(a) - a1 = 2.0625 + log(1 + exp(-2.0625))
 *   delta1 = p - y = (p0, -p0)
 *   V^T delta1 = (2 p0 + p0, -0.5 p0 - 0.75 p0) = (3 p0, -1.25 p0)
 *   delta2 = (3 p0, 0)                              (masked by z1 < 0) */
#include <errno.h>
#include <math.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_vector.h>

#include "check_main.h"
#include "fixtures.h"
#include "gv_net.h"

#define SEED 20240613UL
#define NRANDOM 16

/* mpmath, 30 digits */
#define P0 0.887204593717106784143351604869
#define P1 0.112795406282893215856648395131
#define LOSS 2.18217966518987717935476075966

static gv_net *hand_net(void)
{
  gv_net *net = gv_net_alloc(2, 2, 2);
  const double W[2][2] = {{1.5, 0.25}, {-0.75, 1.0}}, V[2][2] = {{2.0, -0.5}, {-1.0, 0.75}};
  for (size_t i = 0; i < 2; i++)
    for (size_t j = 0; j < 2; j++) {
      gsl_matrix_set(net->W, i, j, W[i][j]);
      gsl_matrix_set(net->V, i, j, V[i][j]);
    }
  gsl_vector_set(net->b1, 0, 0.125);
  gsl_vector_set(net->b1, 1, 0.5);
  gsl_vector_set(net->b2, 0, 0.25);
  gsl_vector_set(net->b2, 1, -0.125);
  return net;
}

static const double X2[2] = {0.5, -1.25}, Y2[2] = {0.0, 1.0};

/* The hand-computed network run forward and backward at x = X2 and target y. */
typedef struct {
  gv_net *net;
  gv_net_state *s;
  gv_net_grad *g;
  gsl_vector *x, *y;
} hand_run;

static hand_run hand_run_at(const double y[2])
{
  hand_run h = {.net = hand_net(), .x = fx_vector(X2, 2), .y = fx_vector(y, 2)};
  h.s = gv_net_state_alloc(h.net);
  h.g = gv_net_grad_alloc(h.net);
  ck_assert_int_eq(gv_net_forward(h.net, h.x, h.y, h.s), GSL_SUCCESS);
  ck_assert_int_eq(gv_net_backward(h.net, h.x, h.y, h.s, h.g), GSL_SUCCESS);
  return h;
}

static void hand_run_free(hand_run *h)
{
  gsl_vector_free(h->x);
  gsl_vector_free(h->y);
  gv_net_grad_free(h->g);
  gv_net_state_free(h->s);
  gv_net_free(h->net);
}

/* A random network of shape D x H x K for row _i, with input x and a one-hot
 * target y; every |z_i| is at least 1e-3 so that no ReLU sits on its kink. */
typedef struct {
  gv_net *net;
  gsl_vector *x, *y;
} net_case;

static void fill_uniform(gsl_rng *r, double *v, size_t n, double scale)
{
  for (size_t i = 0; i < n; i++)
    v[i] = scale * (2.0 * gsl_rng_uniform(r) - 1.0);
}

static net_case random_case(int row)
{
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, SEED + (unsigned long)row);
  size_t D = 1 + gsl_rng_uniform_int(r, 5), H = 1 + gsl_rng_uniform_int(r, 6),
         K = 2 + gsl_rng_uniform_int(r, 5);
  net_case c = {gv_net_alloc(D, H, K), gsl_vector_alloc(D), gsl_vector_calloc(K)};
  for (;;) {
    fill_uniform(r, c.net->W->data, H * D, 1.0);
    fill_uniform(r, c.net->b1->data, H, 0.5);
    fill_uniform(r, c.net->V->data, K * H, 1.0);
    fill_uniform(r, c.net->b2->data, K, 0.5);
    fill_uniform(r, c.x->data, D, 2.0);
    double zmin = INFINITY;
    for (size_t i = 0; i < H; i++) {
      double z = gsl_vector_get(c.net->b1, i);
      for (size_t j = 0; j < D; j++)
        z += gsl_matrix_get(c.net->W, i, j) * gsl_vector_get(c.x, j);
      zmin = fmin(zmin, fabs(z));
    }
    if (zmin > 1e-3)
      break;
  }
  gsl_vector_set(c.y, gsl_rng_uniform_int(r, K), 1.0);
  gsl_rng_free(r);
  return c;
}

static void free_case(net_case *c)
{
  gv_net_free(c->net);
  gsl_vector_free(c->x);
  gsl_vector_free(c->y);
}

/* ---- Memory ---- */

static const size_t zero_sizes[][3] = {{0, 2, 3}, {2, 0, 3}, {2, 3, 0}, {0, 0, 0}};

START_TEST(test_alloc_zero)
{
  const size_t *sz = zero_sizes[_i];
  ck_assert_ptr_null(gv_net_alloc(sz[0], sz[1], sz[2]));
}
END_TEST

/* Freeing NULL does nothing: no crash, errno and the GSL error handler untouched. */
START_TEST(test_free_null_no_crash)
{
  errno = 0;
  gv_net_free(NULL);
  gv_net_state_free(NULL);
  gv_net_grad_free(NULL);
  ck_assert_int_eq(errno, 0);
  ck_assert_uint_eq(gv_check_handler_calls(), 0);
}
END_TEST

START_TEST(test_alloc_shapes)
{
  gv_net *net = gv_net_alloc(3, 4, 5);
  ck_assert_ptr_nonnull(net);
  ck_assert_uint_eq(net->n_in, 3);
  ck_assert_uint_eq(net->n_hidden, 4);
  ck_assert_uint_eq(net->n_out, 5);
  ck_assert_uint_eq(net->W->size1, 4);
  ck_assert_uint_eq(net->W->size2, 3);
  ck_assert_uint_eq(net->b1->size, 4);
  ck_assert_uint_eq(net->V->size1, 5);
  ck_assert_uint_eq(net->V->size2, 4);
  ck_assert_uint_eq(net->b2->size, 5);
  gv_net_state *s = gv_net_state_alloc(net);
  ck_assert_ptr_nonnull(s);
  ck_assert_uint_eq(s->z->size, 4);
  ck_assert_uint_eq(s->h->size, 4);
  ck_assert_uint_eq(s->a->size, 5);
  ck_assert_uint_eq(s->p->size, 5);
  gv_net_grad *g = gv_net_grad_alloc(net);
  ck_assert_ptr_nonnull(g);
  ck_assert_uint_eq(g->delta1->size, 5);
  ck_assert_uint_eq(g->delta2->size, 4);
  ck_assert_uint_eq(g->dV->size1, 5);
  ck_assert_uint_eq(g->dV->size2, 4);
  ck_assert_uint_eq(g->db2->size, 5);
  ck_assert_uint_eq(g->dW->size1, 4);
  ck_assert_uint_eq(g->dW->size2, 3);
  ck_assert_uint_eq(g->db1->size, 4);
  gv_net_grad_free(g);
  gv_net_state_free(s);
  gv_net_free(net);
}
END_TEST

/* ---- Hand-computed network ---- */

START_TEST(test_forward_hand)
{
  hand_run h = hand_run_at(Y2);
  const gv_net_state *s = h.s;
  ck_assert_double_eq(gsl_vector_get(s->z, 0), 0.5625); /* exact */
  ck_assert_double_eq(gsl_vector_get(s->z, 1), -1.125);
  ck_assert_double_eq(gsl_vector_get(s->h, 0), 0.5625);
  ck_assert_double_eq(gsl_vector_get(s->h, 1), 0.0);
  ck_assert_double_eq(gsl_vector_get(s->a, 0), 1.375);
  ck_assert_double_eq(gsl_vector_get(s->a, 1), -0.6875);
  ck_assert_double_eq_tol(gsl_vector_get(s->p, 0), P0, 4e-16);
  ck_assert_double_eq_tol(gsl_vector_get(s->p, 1), P1, 4e-16);
  ck_assert_double_eq_tol(s->loss, LOSS, 1e-15);
  hand_run_free(&h);
}
END_TEST

START_TEST(test_backward_hand)
{
  hand_run h = hand_run_at(Y2);
  const gv_net_grad *g = h.g;
  const double tol = 1e-15;
  /* delta1 = p - y */
  ck_assert_double_eq_tol(gsl_vector_get(g->delta1, 0), P0, tol);
  ck_assert_double_eq_tol(gsl_vector_get(g->delta1, 1), P1 - 1.0, tol);
  /* delta2 = (V^T delta1) masked: unit 1 is off although V^T delta1 is -1.25 p0 there. */
  ck_assert_double_eq_tol(gsl_vector_get(g->delta2, 0), 3.0 * P0, 2 * tol);
  ck_assert_double_eq(gsl_vector_get(g->delta2, 1), 0.0);
  /* dV = delta1 h^T (K x H), db2 = delta1 */
  const double dV[2][2] = {{P0 * 0.5625, 0.0}, {(P1 - 1.0) * 0.5625, 0.0}};
  /* dW = delta2 x^T (H x D), db1 = delta2 */
  const double dW[2][2] = {{3.0 * P0 * 0.5, 3.0 * P0 * -1.25}, {0.0, 0.0}};
  for (size_t i = 0; i < 2; i++) {
    for (size_t j = 0; j < 2; j++) {
      ck_assert_double_eq_tol(gsl_matrix_get(g->dV, i, j), dV[i][j], tol);
      ck_assert_double_eq_tol(gsl_matrix_get(g->dW, i, j), dW[i][j], 4 * tol);
    }
    ck_assert_double_eq(gsl_vector_get(g->db2, i), gsl_vector_get(g->delta1, i));
    ck_assert_double_eq(gsl_vector_get(g->db1, i), gsl_vector_get(g->delta2, i));
  }
  hand_run_free(&h);
}
END_TEST

START_TEST(test_backward_soft_target)
{
  /* Weights summing to 1.5: delta1 = 1.5 p - y. */
  const double yv[2] = {0.625, 0.875};
  hand_run h = hand_run_at(yv);
  const gv_net_grad *g = h.g;
  const double d0 = 1.5 * P0 - 0.625, d1 = 1.5 * P1 - 0.875;
  ck_assert_double_eq_tol(gsl_vector_get(g->delta1, 0), d0, 1e-15);
  ck_assert_double_eq_tol(gsl_vector_get(g->delta1, 1), d1, 1e-15);
  ck_assert_double_eq_tol(gsl_vector_get(g->delta2, 0), 2.0 * d0 - d1, 4e-15);
  ck_assert_double_eq(gsl_vector_get(g->delta2, 1), 0.0);
  hand_run_free(&h);
}
END_TEST

START_TEST(test_relu_backward_mask)
{
  /* z = 0 is masked too: the mask is 1(z > 0). */
  const double Vv[2][3] = {{0.75, -1.5, 2.25}, {1.25, 0.5, -0.25}};
  const double d1v[2] = {0.375, -0.625}, zv[3] = {0.3, -0.2, 0.0};
  gsl_matrix *V = gsl_matrix_alloc(2, 3);
  for (size_t i = 0; i < 2; i++)
    for (size_t j = 0; j < 3; j++)
      gsl_matrix_set(V, i, j, Vv[i][j]);
  gsl_vector *d1 = fx_vector(d1v, 2), *z = fx_vector(zv, 3), *d2 = gsl_vector_alloc(3);
  gsl_vector_set_all(d2, 7.0);
  ck_assert_int_eq(gv_net_relu_backward(V, d1, z, d2), GSL_SUCCESS);
  ck_assert_double_eq(gsl_vector_get(d2, 0), 0.75 * 0.375 + 1.25 * -0.625); /* exact */
  ck_assert_double_eq(gsl_vector_get(d2, 1), 0.0);
  ck_assert_double_eq(gsl_vector_get(d2, 2), 0.0);
  gsl_matrix_free(V);
  gsl_vector_free(d1);
  gsl_vector_free(z);
  gsl_vector_free(d2);
}
END_TEST

/* ---- Randomized ---- */

/* gv_net_forward_from_z on the z that gv_net_forward computed gives the same state. */
START_TEST(test_forward_from_z_agrees)
{
  net_case c = random_case(_i);
  gv_net_state *s = gv_net_state_alloc(c.net), *t = gv_net_state_alloc(c.net);
  ck_assert_int_eq(gv_net_forward(c.net, c.x, c.y, s), GSL_SUCCESS);
  ck_assert_int_eq(gv_net_forward_from_z(c.net, s->z, c.y, t), GSL_SUCCESS);
  for (size_t i = 0; i < c.net->n_hidden; i++)
    ck_assert_double_eq(gsl_vector_get(t->h, i), gsl_vector_get(s->h, i));
  for (size_t k = 0; k < c.net->n_out; k++) {
    ck_assert_double_eq(gsl_vector_get(t->a, k), gsl_vector_get(s->a, k));
    ck_assert_double_eq(gsl_vector_get(t->p, k), gsl_vector_get(s->p, k));
  }
  ck_assert_double_eq(t->loss, s->loss);
  /* The forward pass's h is ReLU(z), and its loss is -log p_y. */
  double L = 0.0;
  for (size_t i = 0; i < c.net->n_hidden; i++)
    ck_assert_double_eq(gsl_vector_get(s->h, i), fmax(gsl_vector_get(s->z, i), 0.0));
  for (size_t k = 0; k < c.net->n_out; k++)
    if (gsl_vector_get(c.y, k) != 0.0)
      L = -log(gsl_vector_get(s->p, k));
  ck_assert_double_eq_tol(s->loss, L, 1e-13 * fmax(1.0, L));
  gv_net_state_free(s);
  gv_net_state_free(t);
  free_case(&c);
}
END_TEST

/* Central difference of the loss in one parameter entry, written out here so
 * that this suite does not depend on the finite-difference engine. */
static double loss_slope(net_case *c, gv_net_state *s, double *entry)
{
  const double h = 1e-6, x0 = *entry;
  *entry = x0 + h;
  gv_net_forward(c->net, c->x, c->y, s);
  double Lp = s->loss;
  *entry = x0 - h;
  gv_net_forward(c->net, c->x, c->y, s);
  double Lm = s->loss;
  *entry = x0;
  return (Lp - Lm) / (2.0 * h);
}

static void check_matrix_grad(net_case *c, gv_net_state *s, gsl_matrix *P, const gsl_matrix *G)
{
  for (size_t i = 0; i < P->size1; i++)
    for (size_t j = 0; j < P->size2; j++)
      ck_assert_double_eq_tol(gsl_matrix_get(G, i, j), loss_slope(c, s, gsl_matrix_ptr(P, i, j)),
                              1e-8);
}

static void check_vector_grad(net_case *c, gv_net_state *s, gsl_vector *P, const gsl_vector *G)
{
  for (size_t i = 0; i < P->size; i++)
    ck_assert_double_eq_tol(gsl_vector_get(G, i), loss_slope(c, s, gsl_vector_ptr(P, i)), 1e-8);
}

/* Backward against central differences of the loss in every parameter, and
 * delta1, delta2 against the loss's slope in a and z. */
START_TEST(test_backward_random)
{
  net_case c = random_case(_i);
  gv_net *net = c.net;
  gv_net_state *s = gv_net_state_alloc(net), *t = gv_net_state_alloc(net);
  gv_net_grad *g = gv_net_grad_alloc(net);
  ck_assert_int_eq(gv_net_forward(net, c.x, c.y, s), GSL_SUCCESS);
  ck_assert_int_eq(gv_net_backward(net, c.x, c.y, s, g), GSL_SUCCESS);
  check_matrix_grad(&c, t, net->W, g->dW);
  check_vector_grad(&c, t, net->b1, g->db1);
  check_matrix_grad(&c, t, net->V, g->dV);
  check_vector_grad(&c, t, net->b2, g->db2);
  /* delta2 = dL/dz through gv_net_forward_from_z. */
  const double h = 1e-6;
  for (size_t i = 0; i < net->n_hidden; i++) {
    double *zi = gsl_vector_ptr(s->z, i), z0 = *zi, Lp, Lm;
    *zi = z0 + h;
    gv_net_forward_from_z(net, s->z, c.y, t);
    Lp = t->loss;
    *zi = z0 - h;
    gv_net_forward_from_z(net, s->z, c.y, t);
    Lm = t->loss;
    *zi = z0;
    ck_assert_double_eq_tol(gsl_vector_get(g->delta2, i), (Lp - Lm) / (2.0 * h), 1e-8);
  }
  /* delta1 = p - y for the one-hot target, exactly as written. */
  for (size_t k = 0; k < net->n_out; k++)
    ck_assert_double_eq_tol(gsl_vector_get(g->delta1, k),
                            gsl_vector_get(s->p, k) - gsl_vector_get(c.y, k), 1e-16);
  gv_net_grad_free(g);
  gv_net_state_free(s);
  gv_net_state_free(t);
  free_case(&c);
}
END_TEST

/* ---- Errors ---- */

START_TEST(test_forward_badlen)
{
  gv_net *net = gv_net_alloc(3, 4, 5), *other = gv_net_alloc(3, 2, 5),
         *other2 = gv_net_alloc(3, 4, 2);
  gv_net_state *s = gv_net_state_alloc(net), *s_h = gv_net_state_alloc(other),
               *s_k = gv_net_state_alloc(other2);
  gsl_vector *x = gsl_vector_calloc(3), *x2 = gsl_vector_calloc(2), *y = gsl_vector_calloc(5),
             *y4 = gsl_vector_calloc(4), *z = gsl_vector_calloc(4), *z3 = gsl_vector_calloc(3);
  gsl_vector_set(y, 0, 1.0);
  gsl_vector_set(y4, 0, 1.0);
  ck_assert_int_eq(gv_net_forward(net, x, y, s), GSL_SUCCESS);
  ck_assert_int_eq(gv_net_forward(net, x2, y, s), GSL_EBADLEN);
  ck_assert_int_eq(gv_net_forward(net, x, y4, s), GSL_EBADLEN);
  ck_assert_int_eq(gv_net_forward(net, x, y, s_h), GSL_EBADLEN);
  ck_assert_int_eq(gv_net_forward(net, x, y, s_k), GSL_EBADLEN);
  ck_assert_int_eq(gv_net_forward_from_z(net, z, y, s), GSL_SUCCESS);
  ck_assert_int_eq(gv_net_forward_from_z(net, z3, y, s), GSL_EBADLEN);
  ck_assert_int_eq(gv_net_forward_from_z(net, z, y4, s), GSL_EBADLEN);
  ck_assert_int_eq(gv_net_forward_from_z(net, z, y, s_h), GSL_EBADLEN);
  ck_assert_int_eq(gv_net_forward_from_z(net, z, y, s_k), GSL_EBADLEN);
  gsl_vector_free(x);
  gsl_vector_free(x2);
  gsl_vector_free(y);
  gsl_vector_free(y4);
  gsl_vector_free(z);
  gsl_vector_free(z3);
  gv_net_state_free(s);
  gv_net_state_free(s_h);
  gv_net_state_free(s_k);
  gv_net_free(net);
  gv_net_free(other);
  gv_net_free(other2);
}
END_TEST

START_TEST(test_backward_badlen)
{
  gv_net *net = gv_net_alloc(3, 4, 5), *other_d = gv_net_alloc(2, 4, 5),
         *other_h = gv_net_alloc(3, 2, 5), *other_k = gv_net_alloc(3, 4, 2);
  gv_net_state *s = gv_net_state_alloc(net), *s_h = gv_net_state_alloc(other_h);
  gv_net_grad *g = gv_net_grad_alloc(net), *g_d = gv_net_grad_alloc(other_d),
              *g_h = gv_net_grad_alloc(other_h), *g_k = gv_net_grad_alloc(other_k);
  gsl_vector *x = gsl_vector_calloc(3), *x2 = gsl_vector_calloc(2), *y = gsl_vector_calloc(5),
             *y4 = gsl_vector_calloc(4);
  gsl_vector_set(y, 2, 1.0);
  gsl_vector_set(y4, 2, 1.0);
  ck_assert_int_eq(gv_net_forward(net, x, y, s), GSL_SUCCESS);
  ck_assert_int_eq(gv_net_backward(net, x, y, s, g), GSL_SUCCESS);
  ck_assert_int_eq(gv_net_backward(net, x2, y, s, g), GSL_EBADLEN);
  ck_assert_int_eq(gv_net_backward(net, x, y4, s, g), GSL_EBADLEN);
  ck_assert_int_eq(gv_net_backward(net, x, y, s_h, g), GSL_EBADLEN);
  ck_assert_int_eq(gv_net_backward(net, x, y, s, g_d), GSL_EBADLEN);
  ck_assert_int_eq(gv_net_backward(net, x, y, s, g_h), GSL_EBADLEN);
  ck_assert_int_eq(gv_net_backward(net, x, y, s, g_k), GSL_EBADLEN);
  gsl_vector_free(x);
  gsl_vector_free(x2);
  gsl_vector_free(y);
  gsl_vector_free(y4);
  gv_net_grad_free(g);
  gv_net_grad_free(g_d);
  gv_net_grad_free(g_h);
  gv_net_grad_free(g_k);
  gv_net_state_free(s);
  gv_net_state_free(s_h);
  gv_net_free(net);
  gv_net_free(other_d);
  gv_net_free(other_h);
  gv_net_free(other_k);
}
END_TEST

START_TEST(test_relu_backward_badlen)
{
  gsl_matrix *V = gsl_matrix_calloc(2, 3);
  gsl_vector *d1 = gsl_vector_calloc(2), *d1_3 = gsl_vector_calloc(3), *z = gsl_vector_calloc(3),
             *z2 = gsl_vector_calloc(2), *d2 = gsl_vector_calloc(3), *d2_2 = gsl_vector_calloc(2);
  ck_assert_int_eq(gv_net_relu_backward(V, d1, z, d2), GSL_SUCCESS);
  ck_assert_int_eq(gv_net_relu_backward(V, d1_3, z, d2), GSL_EBADLEN);
  ck_assert_int_eq(gv_net_relu_backward(V, d1, z2, d2), GSL_EBADLEN);
  ck_assert_int_eq(gv_net_relu_backward(V, d1, z, d2_2), GSL_EBADLEN);
  gsl_matrix_free(V);
  gsl_vector_free(d1);
  gsl_vector_free(d1_3);
  gsl_vector_free(z);
  gsl_vector_free(z2);
  gsl_vector_free(d2);
  gsl_vector_free(d2_2);
}
END_TEST

Suite *gv_test_suite(void)
{
  Suite *s = suite_create("net");

  TCase *mem = tcase_create("Memory");
  tcase_add_loop_test(mem, test_alloc_zero, 0, (int)(sizeof zero_sizes / sizeof zero_sizes[0]));
  tcase_add_test(mem, test_free_null_no_crash);
  tcase_add_test(mem, test_alloc_shapes);
  suite_add_tcase(s, mem);

  TCase *hand = tcase_create("Hand");
  tcase_add_test(hand, test_forward_hand);
  tcase_add_test(hand, test_backward_hand);
  tcase_add_test(hand, test_backward_soft_target);
  tcase_add_test(hand, test_relu_backward_mask);
  suite_add_tcase(s, hand);

  TCase *rnd = tcase_create("Random");
  tcase_add_loop_test(rnd, test_forward_from_z_agrees, 0, NRANDOM);
  tcase_add_loop_test(rnd, test_backward_random, 0, NRANDOM);
  suite_add_tcase(s, rnd);

  TCase *errors = tcase_create("Errors");
  tcase_add_test(errors, test_forward_badlen);
  tcase_add_test(errors, test_backward_badlen);
  tcase_add_test(errors, test_relu_backward_badlen);
  suite_add_tcase(s, errors);

  return s;
}
