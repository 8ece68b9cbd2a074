/* check_mlp.c: the catalogue's mlp of depth 1 with ReLU and softmax_ce on one
 * example is the seed's network (gv_net.h): on the same draws, the same loss
 * and the same gradients, the seed's numerator-layout W (H×D) and V (K×H)
 * being the transposes of the mlp's W1 (D×H) and W2 (H×K). */
#include <math.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_rng.h>

#include "check_main.h"
#include "gv_layers.h"
#include "gv_net.h"

#define SEED 20240515UL
#define DRAWS 50
#define RELU 0 /* index of relu among the mlp's activations */

enum { X_, Y_, CFG_, W1_, B1_, W2_, B2_ };

typedef struct {
  gv_net *net;
  gsl_vector *x, *y;
  gsl_matrix *in[GV_LAYER_MAX_INPUTS];
  gsl_matrix *grad[GV_LAYER_MAX_INPUTS];
} pair;

static void fill(gsl_rng *r, gsl_matrix *m, double s)
{
  for (size_t i = 0; i < m->size1; i++)
    for (size_t j = 0; j < m->size2; j++)
      gsl_matrix_set(m, i, j, s * (2.0 * gsl_rng_uniform(r) - 1.0));
}

/* The seed's network and the mlp's inputs, the same numbers in each. */
static void draw(gsl_rng *r, pair *p, size_t n_inputs)
{
  size_t D = 1 + gsl_rng_uniform_int(r, 8), H = 1 + gsl_rng_uniform_int(r, 8),
         K = 2 + gsl_rng_uniform_int(r, 6);
  p->net = gv_net_alloc(D, H, K);
  p->x = gsl_vector_alloc(D);
  p->y = gsl_vector_calloc(K);
  gsl_matrix_view xm = gsl_matrix_view_vector(p->x, D, 1),
                  b1 = gsl_matrix_view_vector(p->net->b1, H, 1),
                  b2 = gsl_matrix_view_vector(p->net->b2, K, 1);
  fill(r, &xm.matrix, 2.0);
  fill(r, p->net->W, 1.0);
  fill(r, &b1.matrix, 0.5);
  fill(r, p->net->V, 1.0);
  fill(r, &b2.matrix, 0.5);
  gsl_vector_set(p->y, gsl_rng_uniform_int(r, K), 1.0);
  for (size_t k = 0; k < n_inputs; k++)
    p->in[k] = gsl_matrix_calloc(1, 1); /* the unused layers' placeholders */
  gsl_matrix_free(p->in[X_]), gsl_matrix_free(p->in[Y_]), gsl_matrix_free(p->in[CFG_]);
  gsl_matrix_free(p->in[W1_]), gsl_matrix_free(p->in[B1_]);
  gsl_matrix_free(p->in[W2_]), gsl_matrix_free(p->in[B2_]);
  p->in[X_] = gsl_matrix_alloc(1, D);
  gsl_matrix_transpose_memcpy(p->in[X_], &xm.matrix);
  p->in[Y_] = gsl_matrix_alloc(1, K);
  gsl_vector_view yr = gsl_matrix_row(p->in[Y_], 0);
  gsl_vector_memcpy(&yr.vector, p->y);
  p->in[CFG_] = gsl_matrix_calloc(1, 5);
  gsl_matrix_set(p->in[CFG_], 0, 0, 1.0); /* depth 1, relu, softmax_ce, no l2 */
  gsl_matrix_set(p->in[CFG_], 0, 1, RELU);
  p->in[W1_] = gsl_matrix_alloc(D, H);
  gsl_matrix_transpose_memcpy(p->in[W1_], p->net->W);
  p->in[B1_] = gsl_matrix_alloc(H, 1);
  gsl_matrix_memcpy(p->in[B1_], &b1.matrix);
  p->in[W2_] = gsl_matrix_alloc(H, K);
  gsl_matrix_transpose_memcpy(p->in[W2_], p->net->V);
  p->in[B2_] = gsl_matrix_alloc(K, 1);
  gsl_matrix_memcpy(p->in[B2_], &b2.matrix);
  for (size_t k = W1_; k < n_inputs; k++)
    p->grad[k] = gsl_matrix_alloc(p->in[k]->size1, p->in[k]->size2);
}

static void pair_free(pair *p, size_t n_inputs)
{
  gv_net_free(p->net);
  gsl_vector_free(p->x);
  gsl_vector_free(p->y);
  for (size_t k = 0; k < n_inputs; k++) {
    gsl_matrix_free(p->in[k]);
    gsl_matrix_free(p->grad[k]);
  }
}

/* max |a − b| over max(1, |a|), with a read transposed when t. */
static double rel_diff(const gsl_matrix *a, const gsl_matrix *b, int t)
{
  double worst = 0.0;
  for (size_t i = 0; i < b->size1; i++)
    for (size_t j = 0; j < b->size2; j++) {
      double x = t ? gsl_matrix_get(a, j, i) : gsl_matrix_get(a, i, j);
      worst = fmax(worst, fabs(x - gsl_matrix_get(b, i, j)) / fmax(1.0, fabs(x)));
    }
  return worst;
}

/* Runs the mlp's backward b (its own or its planted mistake) and the seed's
 * network on DRAWS draws; returns the largest relative difference. */
static double compare(gv_layer_backward_fn b)
{
  const gv_layer *mlp = &gv_layers_find("mlp")->layer;
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, SEED);
  double worst = 0.0;
  for (size_t t = 0; t < DRAWS; t++) {
    pair p = {0};
    draw(r, &p, mlp->n_inputs);
    gv_net_state *s = gv_net_state_alloc(p.net);
    gv_net_grad *g = gv_net_grad_alloc(p.net);
    ck_assert_int_eq(gv_net_forward(p.net, p.x, p.y, s), GSL_SUCCESS);
    ck_assert_int_eq(gv_net_backward(p.net, p.x, p.y, s, g), GSL_SUCCESS);
    const gsl_matrix *const *in = (const gsl_matrix *const *)p.in;
    gsl_matrix *out = gsl_matrix_alloc(1, 1), *dout = gsl_matrix_alloc(1, 1);
    gsl_matrix_set(dout, 0, 0, 1.0);
    ck_assert_int_eq(mlp->forward(in, mlp->params, out), GSL_SUCCESS);
    ck_assert_double_eq_tol(gsl_matrix_get(out, 0, 0), s->loss, 1e-13 * fmax(1.0, s->loss));
    ck_assert_int_eq(b(in, dout, mlp->params, p.grad), GSL_SUCCESS);
    gsl_matrix_view db1 = gsl_matrix_view_vector(g->db1, g->db1->size, 1),
                    db2 = gsl_matrix_view_vector(g->db2, g->db2->size, 1);
    worst = fmax(worst, rel_diff(g->dW, p.grad[W1_], 1));
    worst = fmax(worst, rel_diff(&db1.matrix, p.grad[B1_], 0));
    worst = fmax(worst, rel_diff(g->dV, p.grad[W2_], 1));
    worst = fmax(worst, rel_diff(&db2.matrix, p.grad[B2_], 0));
    gsl_matrix_free(out);
    gsl_matrix_free(dout);
    gv_net_state_free(s);
    gv_net_grad_free(g);
    pair_free(&p, mlp->n_inputs);
  }
  gsl_rng_free(r);
  return worst;
}

START_TEST(mlp_is_the_seed_network)
{
  const gv_layers_entry *e = gv_layers_find("mlp");
  ck_assert_ptr_nonnull(e);
  ck_assert_str_eq(gv_layers_find("relu")->layer.name, "relu");
  double worst = compare(e->layer.backward);
  ck_assert_msg(worst <= 1e-12, "mlp and the seed's network differ by %g", worst);
}
END_TEST

/* The comparison has teeth: the mlp's planted mistake differs from the seed. */
START_TEST(mistake_differs)
{
  const gv_layers_entry *e = gv_layers_find("mlp");
  ck_assert_double_gt(compare(e->mistakes[0].backward), 1e-3);
}
END_TEST

Suite *gv_test_suite(void)
{
  Suite *s = suite_create("mlp");
  TCase *tc = tcase_create("Seed");
  tcase_add_test(tc, mlp_is_the_seed_network);
  tcase_add_test(tc, mistake_differs);
  suite_add_tcase(s, tc);
  return s;
}
