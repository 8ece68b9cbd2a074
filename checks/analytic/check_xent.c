/* check_xent.c: cross-entropy loss and its gradients. */
#include <math.h>

#include <gsl/gsl_blas.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_vector.h>

#include "check_main.h"
#include "fixtures.h"
#include "gv_softmax.h"
#include "gv_xent.h"

#define SEED 20240612UL
#define NRANDOM 24

/* Row _i of the randomized cases: logits a, p = softmax(a), and a target y,
 * one-hot on even rows and soft labels (a probability vector) on odd rows. */
typedef struct {
  gsl_vector *a, *p, *y;
} xent_case;

static xent_case random_case(int row)
{
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, SEED + (unsigned long)row);
  size_t n = 2 + gsl_rng_uniform_int(r, 7);
  xent_case c = {gsl_vector_alloc(n), gsl_vector_alloc(n), gsl_vector_calloc(n)};
  for (size_t i = 0; i < n; i++)
    gsl_vector_set(c.a, i, 10.0 * gsl_rng_uniform(r) - 5.0);
  gv_softmax(c.a, c.p);
  if (row % 2 == 0) {
    gsl_vector_set(c.y, gsl_rng_uniform_int(r, n), 1.0);
  } else {
    double sum = 0.0;
    for (size_t i = 0; i < n; i++) {
      double w = gsl_rng_uniform_pos(r);
      gsl_vector_set(c.y, i, w);
      sum += w;
    }
    gsl_vector_scale(c.y, 1.0 / sum);
  }
  gsl_rng_free(r);
  return c;
}

static void free_case(xent_case *c)
{
  gsl_vector_free(c->a);
  gsl_vector_free(c->p);
  gsl_vector_free(c->y);
}

/* ---- Loss ---- */

START_TEST(test_loss_value)
{
  /* -(0.2 log 0.1 + 0.5 log 0.6 + 0.3 log 0.3), at 30 digits. */
  const double yv[3] = {0.2, 0.5, 0.3}, pv[3] = {0.1, 0.6, 0.3};
  gsl_vector *y = fx_vector(yv, 3), *p = fx_vector(pv, 3);
  double L = 0.0;
  ck_assert_int_eq(gv_xent_loss(y, p, &L), GSL_SUCCESS);
  ck_assert_double_eq_tol(L, 1.07712167177958527619317920442, 1e-15);
  gsl_vector_free(y);
  gsl_vector_free(p);
}
END_TEST

START_TEST(test_loss_logits_value)
{
  /* One-hot on class 1: L = lse(a) - a_1, at 30 digits. */
  const double av[3] = {0.385, -1.27, 2.113}, yv[3] = {0.0, 1.0, 0.0};
  gsl_vector *a = fx_vector(av, 3), *y = fx_vector(yv, 3);
  double L = 0.0;
  ck_assert_int_eq(gv_xent_loss_logits(y, a, &L), GSL_SUCCESS);
  ck_assert_double_eq_tol(L, 3.57492925389380757998309902491, 2e-15);
  gsl_vector_free(a);
  gsl_vector_free(y);
}
END_TEST

/* Randomized: the loss from p and the loss from the logits agree. */
START_TEST(test_loss_p_vs_logits)
{
  xent_case c = random_case(_i);
  double Lp = 0.0, La = 0.0;
  ck_assert_int_eq(gv_xent_loss(c.y, c.p, &Lp), GSL_SUCCESS);
  ck_assert_int_eq(gv_xent_loss_logits(c.y, c.a, &La), GSL_SUCCESS);
  ck_assert(La > 0.0);
  ck_assert_double_eq_tol(Lp, La, 1e-13 * fmax(1.0, La));
  free_case(&c);
}
END_TEST

START_TEST(test_loss_logits_hundreds)
{
  /* p_1 = exp(-1027.75) underflows, so the loss from p is infinite; from the
   * logits it is lse - a_1 = 612.5 + log(1 + exp(-312.375) + ...) + 415.25. */
  const double av[3] = {612.5, -415.25, 300.125};
  const double onehot[3] = {0.0, 1.0, 0.0}, soft[3] = {0.25, 0.5, 0.25};
  gsl_vector *a = fx_vector(av, 3), *y = fx_vector(onehot, 3), *ys = fx_vector(soft, 3);
  gsl_vector *p = gsl_vector_alloc(3);
  double L = 0.0;
  ck_assert_int_eq(gv_xent_loss_logits(y, a, &L), GSL_SUCCESS);
  ck_assert_double_finite(L);
  ck_assert_double_eq_tol(L, 1027.75, 1e-12);
  /* 0.25 * 0 + 0.5 * 1027.75 + 0.25 * 312.375 */
  ck_assert_int_eq(gv_xent_loss_logits(ys, a, &L), GSL_SUCCESS);
  ck_assert_double_eq_tol(L, 591.96875, 1e-12);
  /* Why the logits matter: through p the same loss is log(0). */
  ck_assert_int_eq(gv_softmax(a, p), GSL_SUCCESS);
  ck_assert_int_eq(gv_xent_loss(y, p, &L), GSL_SUCCESS);
  ck_assert(isinf(L));
  gsl_vector_free(a);
  gsl_vector_free(y);
  gsl_vector_free(ys);
  gsl_vector_free(p);
}
END_TEST

START_TEST(test_loss_zero_target_zero_p)
{
  /* 0 log 0 is taken as 0: an underflowed p_i under y_i = 0 costs nothing. */
  const double yv[3] = {0.0, 1.0, 0.0}, pv[3] = {0.0, 0.625, 0.375};
  gsl_vector *y = fx_vector(yv, 3), *p = fx_vector(pv, 3);
  double L = 0.0;
  ck_assert_int_eq(gv_xent_loss(y, p, &L), GSL_SUCCESS);
  ck_assert_double_finite(L);
  ck_assert_double_eq_tol(L, 0.470003629245735553650937031148, 1e-15);
  gsl_vector_free(y);
  gsl_vector_free(p);
}
END_TEST

START_TEST(test_loss_logits_zero_target_minus_inf)
{
  /* Likewise a logit of -inf under y_i = 0. */
  const double yv[3] = {0.0, 1.0, 0.0}, av[3] = {-INFINITY, 0.385, 0.385};
  gsl_vector *y = fx_vector(yv, 3), *a = fx_vector(av, 3);
  double L = 0.0;
  ck_assert_int_eq(gv_xent_loss_logits(y, a, &L), GSL_SUCCESS);
  ck_assert_double_eq_tol(L, log(2.0), 1e-15);
  gsl_vector_free(y);
  gsl_vector_free(a);
}
END_TEST

/* ---- Gradients ---- */

START_TEST(test_grad_p_value)
{
  const double yv[4] = {0.2, 0.5, 0.3, 0.0}, pv[4] = {0.1, 0.6, 0.3, 0.0};
  const double want[4] = {-2.0, -0.5 / 0.6, -1.0, 0.0};
  gsl_vector *y = fx_vector(yv, 4), *p = fx_vector(pv, 4), *g = gsl_vector_alloc(4);
  gsl_vector_set_all(g, 99.0);
  ck_assert_int_eq(gv_xent_grad_p(y, p, g), GSL_SUCCESS);
  for (size_t i = 0; i < 4; i++)
    ck_assert_double_eq_tol(gsl_vector_get(g, i), want[i], 1e-15);
  gsl_vector_free(y);
  gsl_vector_free(p);
  gsl_vector_free(g);
}
END_TEST

START_TEST(test_grad_p_edom)
{
  const double yv[3] = {0.25, 0.75, 0.0}, pv[3] = {0.0, 0.5, 0.5};
  gsl_vector *y = fx_vector(yv, 3), *p = fx_vector(pv, 3), *g = gsl_vector_alloc(3);
  ck_assert_int_eq(gv_xent_grad_p(y, p, g), GSL_EDOM);
  gsl_vector_free(y);
  gsl_vector_free(p);
  gsl_vector_free(g);
}
END_TEST

START_TEST(test_grad_logits_value)
{
  const double yv[3] = {0.0, 1.0, 0.0}, pv[3] = {0.146, 0.028, 0.826};
  const double want[3] = {0.146, -0.972, 0.826};
  gsl_vector *y = fx_vector(yv, 3), *p = fx_vector(pv, 3), *g = gsl_vector_alloc(3);
  ck_assert_int_eq(gv_xent_grad_logits(y, p, g), GSL_SUCCESS);
  for (size_t i = 0; i < 3; i++)
    ck_assert_double_eq_tol(gsl_vector_get(g, i), want[i], 1e-15);
  gsl_vector_free(y);
  gsl_vector_free(p);
  gsl_vector_free(g);
}
END_TEST

/* Rows: sum(y) around 1; the documented slack is 1e-12 n (n = 3 here). */
static const struct {
  double y0;
  int status;
} sum_rows[] = {
    {0.2, GSL_SUCCESS},                                                   /* sums to 1 */
    {0.2 + 1e-13, GSL_SUCCESS},                                           /* within 3e-12 */
    {0.2 - 1e-13, GSL_SUCCESS}, {0.2 + 1e-11, GSL_EDOM},                  /* beyond it */
    {0.2 - 1e-11, GSL_EDOM},    {0.31, GSL_EDOM},        {0.0, GSL_EDOM}, /* sums to 0.8 */
};

START_TEST(test_grad_logits_sum)
{
  const double yv[3] = {sum_rows[_i].y0, 0.5, 0.3}, pv[3] = {0.375, 0.125, 0.5};
  gsl_vector *y = fx_vector(yv, 3), *p = fx_vector(pv, 3), *g = gsl_vector_alloc(3);
  ck_assert_int_eq(gv_xent_grad_logits(y, p, g), sum_rows[_i].status);
  if (sum_rows[_i].status == GSL_SUCCESS)
    for (size_t i = 0; i < 3; i++)
      ck_assert_double_eq_tol(gsl_vector_get(g, i), pv[i] - yv[i], 1e-16);
  gsl_vector_free(y);
  gsl_vector_free(p);
  gsl_vector_free(g);
}
END_TEST

START_TEST(test_grad_logits_general_value)
{
  /* Weights summing to 1.65: g = 1.65 p - y. */
  const double yv[3] = {0.4, 1.25, 0.0}, pv[3] = {0.375, 0.125, 0.5};
  const double want[3] = {1.65 * 0.375 - 0.4, 1.65 * 0.125 - 1.25, 1.65 * 0.5};
  gsl_vector *y = fx_vector(yv, 3), *p = fx_vector(pv, 3), *g = gsl_vector_alloc(3);
  ck_assert_int_eq(gv_xent_grad_logits_general(y, p, g), GSL_SUCCESS);
  for (size_t i = 0; i < 3; i++)
    ck_assert_double_eq_tol(gsl_vector_get(g, i), want[i], 1e-15);
  /* The restricted form refuses these weights. */
  ck_assert_int_eq(gv_xent_grad_logits(y, p, g), GSL_EDOM);
  gsl_vector_free(y);
  gsl_vector_free(p);
  gsl_vector_free(g);
}
END_TEST

/* Randomized: p - y, p (1^T y) - y and (dp/da)(dL/dp) = J grad_p all agree
 * for targets that sum to 1, and match central differences of the loss. */
START_TEST(test_grad_logits_random)
{
  xent_case c = random_case(_i);
  size_t n = c.a->size;
  gsl_vector *g = gsl_vector_alloc(n), *gg = gsl_vector_alloc(n);
  gsl_vector *gp = gsl_vector_alloc(n), *chain = gsl_vector_alloc(n);
  gsl_matrix *J = gsl_matrix_alloc(n, n);
  ck_assert_int_eq(gv_xent_grad_logits(c.y, c.p, g), GSL_SUCCESS);
  ck_assert_int_eq(gv_xent_grad_logits_general(c.y, c.p, gg), GSL_SUCCESS);
  ck_assert_int_eq(gv_xent_grad_p(c.y, c.p, gp), GSL_SUCCESS);
  ck_assert_int_eq(gv_softmax_jacobian(c.p, J), GSL_SUCCESS);
  gsl_blas_dgemv(CblasNoTrans, 1.0, J, gp, 0.0, chain);
  const double h = 1e-5;
  for (size_t i = 0; i < n; i++) {
    double gi = gsl_vector_get(g, i);
    ck_assert_double_eq_tol(gi, gsl_vector_get(c.p, i) - gsl_vector_get(c.y, i), 1e-16);
    ck_assert_double_eq_tol(gsl_vector_get(gg, i), gi, 4e-16);
    /* grad_p = -y/p is as large as 1/p: the product loses relative accuracy. */
    ck_assert_double_eq_tol(gsl_vector_get(chain, i), gi, 1e-12);
    double ai = gsl_vector_get(c.a, i), Lp, Lm;
    gsl_vector_set(c.a, i, ai + h);
    gv_xent_loss_logits(c.y, c.a, &Lp);
    gsl_vector_set(c.a, i, ai - h);
    gv_xent_loss_logits(c.y, c.a, &Lm);
    gsl_vector_set(c.a, i, ai);
    ck_assert_double_eq_tol(gi, (Lp - Lm) / (2.0 * h), 1e-9);
  }
  gsl_vector_free(g);
  gsl_vector_free(gg);
  gsl_vector_free(gp);
  gsl_vector_free(chain);
  gsl_matrix_free(J);
  free_case(&c);
}
END_TEST

/* Randomized: the general gradient for unnormalized weights, against central
 * differences of the loss from the logits. */
START_TEST(test_grad_logits_general_random)
{
  xent_case c = random_case(_i);
  size_t n = c.a->size;
  gsl_vector_scale(c.y, 0.37 + 0.29 * (double)_i); /* 1^T y = 0.37 ... 7.04 */
  gsl_vector *g = gsl_vector_alloc(n);
  ck_assert_int_eq(gv_xent_grad_logits_general(c.y, c.p, g), GSL_SUCCESS);
  const double h = 1e-5;
  for (size_t i = 0; i < n; i++) {
    double ai = gsl_vector_get(c.a, i), Lp, Lm;
    gsl_vector_set(c.a, i, ai + h);
    gv_xent_loss_logits(c.y, c.a, &Lp);
    gsl_vector_set(c.a, i, ai - h);
    gv_xent_loss_logits(c.y, c.a, &Lm);
    gsl_vector_set(c.a, i, ai);
    ck_assert_double_eq_tol(gsl_vector_get(g, i), (Lp - Lm) / (2.0 * h), 1e-8);
  }
  gsl_vector_free(g);
  free_case(&c);
}
END_TEST

/* ---- Errors ---- */

START_TEST(test_badlen)
{
  gsl_vector *v3 = gsl_vector_alloc(3), *w3 = gsl_vector_alloc(3), *v2 = gsl_vector_alloc(2);
  gsl_vector_set_all(v3, 1.0 / 3.0);
  gsl_vector_set_all(w3, 1.0 / 3.0);
  gsl_vector_set_all(v2, 0.5);
  double L;
  ck_assert_int_eq(gv_xent_loss(v3, v2, &L), GSL_EBADLEN);
  ck_assert_int_eq(gv_xent_loss(v2, v3, &L), GSL_EBADLEN);
  ck_assert_int_eq(gv_xent_loss_logits(v3, v2, &L), GSL_EBADLEN);
  ck_assert_int_eq(gv_xent_loss_logits(v2, v3, &L), GSL_EBADLEN);
  /* Each of the three gradients: y against p, then g against p. */
  ck_assert_int_eq(gv_xent_grad_p(v2, v3, w3), GSL_EBADLEN);
  ck_assert_int_eq(gv_xent_grad_p(v3, w3, v2), GSL_EBADLEN);
  ck_assert_int_eq(gv_xent_grad_logits(v2, v3, w3), GSL_EBADLEN);
  ck_assert_int_eq(gv_xent_grad_logits(v3, w3, v2), GSL_EBADLEN);
  ck_assert_int_eq(gv_xent_grad_logits_general(v2, v3, w3), GSL_EBADLEN);
  ck_assert_int_eq(gv_xent_grad_logits_general(v3, w3, v2), GSL_EBADLEN);
  gsl_vector_free(v3);
  gsl_vector_free(w3);
  gsl_vector_free(v2);
}
END_TEST

START_TEST(test_loss_logits_empty)
{
  gsl_vector empty = {0, 1, NULL, NULL, 0};
  double L = 0.0;
  ck_assert_int_eq(gv_xent_loss_logits(&empty, &empty, &L), GSL_EINVAL);
}
END_TEST

Suite *gv_test_suite(void)
{
  Suite *s = suite_create("xent");

  TCase *loss = tcase_create("Loss");
  tcase_add_test(loss, test_loss_value);
  tcase_add_test(loss, test_loss_logits_value);
  tcase_add_loop_test(loss, test_loss_p_vs_logits, 0, NRANDOM);
  tcase_add_test(loss, test_loss_logits_hundreds);
  tcase_add_test(loss, test_loss_zero_target_zero_p);
  tcase_add_test(loss, test_loss_logits_zero_target_minus_inf);
  suite_add_tcase(s, loss);

  TCase *grad = tcase_create("Gradients");
  tcase_add_test(grad, test_grad_p_value);
  tcase_add_test(grad, test_grad_logits_value);
  tcase_add_loop_test(grad, test_grad_logits_sum, 0, (int)(sizeof sum_rows / sizeof sum_rows[0]));
  tcase_add_test(grad, test_grad_logits_general_value);
  tcase_add_loop_test(grad, test_grad_logits_random, 0, NRANDOM);
  tcase_add_loop_test(grad, test_grad_logits_general_random, 0, NRANDOM);
  suite_add_tcase(s, grad);

  TCase *errors = tcase_create("Errors");
  tcase_add_test(errors, test_grad_p_edom);
  tcase_add_test(errors, test_badlen);
  tcase_add_test(errors, test_loss_logits_empty);
  suite_add_tcase(s, errors);

  return s;
}
