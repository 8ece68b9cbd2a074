/* check_identity.c: the matrix-calculus identities and the concrete chain rule.
 *
 * Each identity is checked against values worked out by hand; the chain rule
 * against 30-digit values (mpmath, including its derivative) and, on random
 * rows, against the product written out as sums and central differences. */
#include <math.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_vector.h>

#include "check_main.h"
#include "fixtures.h"
#include "gv_identity.h"

#define SEED 20240614UL
#define NRANDOM 16

/* ---- Identities ---- */

START_TEST(test_xTa)
{
  const double av[4] = {0.385, -1.27, 2.113, -0.0071};
  gsl_vector *a = fx_vector(av, 4), *g = gsl_vector_calloc(4);
  ck_assert_int_eq(gv_identity_xTa(a, g), GSL_SUCCESS);
  for (size_t i = 0; i < 4; i++)
    ck_assert_double_eq(gsl_vector_get(g, i), av[i]);
  gsl_vector_free(a);
  gsl_vector_free(g);
}
END_TEST

START_TEST(test_Ax)
{
  /* A is 2 x 3, so d(Ax)/dx is 3 x 2: D(k, i) = d(Ax)_i/dx_k = A(i, k). */
  const double Av[6] = {0.5, -1.75, 2.25, 3.125, -0.625, 1.0625};
  gsl_matrix *A = fx_matrix(Av, 2, 3), *D = gsl_matrix_calloc(3, 2);
  ck_assert_int_eq(gv_identity_Ax(A, D), GSL_SUCCESS);
  const double want[3][2] = {{0.5, 3.125}, {-1.75, -0.625}, {2.25, 1.0625}};
  for (size_t k = 0; k < 3; k++)
    for (size_t i = 0; i < 2; i++)
      ck_assert_double_eq(gsl_matrix_get(D, k, i), want[k][i]);
  gsl_matrix_free(A);
  gsl_matrix_free(D);
}
END_TEST

START_TEST(test_aTXb)
{
  /* a in R^2, b in R^3: G = a b^T, 2 x 3 like X. */
  const double av[2] = {1.5, -0.25}, bv[3] = {0.75, 2.125, -3.5};
  const double want[2][3] = {{1.125, 3.1875, -5.25}, {-0.1875, -0.53125, 0.875}};
  gsl_vector *a = fx_vector(av, 2), *b = fx_vector(bv, 3);
  gsl_matrix *G = gsl_matrix_alloc(2, 3);
  gsl_matrix_set_all(G, -9.0); /* overwritten, not accumulated into */
  ck_assert_int_eq(gv_identity_aTXb(a, b, G), GSL_SUCCESS);
  for (size_t i = 0; i < 2; i++)
    for (size_t j = 0; j < 3; j++)
      ck_assert_double_eq(gsl_matrix_get(G, i, j), want[i][j]);
  gsl_vector_free(a);
  gsl_vector_free(b);
  gsl_matrix_free(G);
}
END_TEST

START_TEST(test_xTAx)
{
  /* A not symmetric: (A + A^T) x, not 2 A x nor 2 A^T x. */
  const double Av[9] = {1.5, -0.5, 2.0, 0.25, -1.0, 0.75, 3.0, 1.25, 0.5};
  const double xv[3] = {0.5, -1.5, 2.25};
  /* A + A^T = [3 -0.25 5; -0.25 -2 2; 5 2 1] */
  const double want[3] = {3.0 * 0.5 + 0.25 * 1.5 + 5.0 * 2.25, -0.25 * 0.5 + 3.0 + 4.5,
                          2.5 - 3.0 + 2.25};
  gsl_matrix *A = fx_matrix(Av, 3, 3);
  gsl_vector *x = fx_vector(xv, 3), *g = gsl_vector_calloc(3);
  ck_assert_int_eq(gv_identity_xTAx(A, x, g), GSL_SUCCESS);
  for (size_t i = 0; i < 3; i++)
    ck_assert_double_eq_tol(gsl_vector_get(g, i), want[i], 1e-15);
  gsl_matrix_free(A);
  gsl_vector_free(x);
  gsl_vector_free(g);
}
END_TEST

START_TEST(test_sqnorm)
{
  const double xv[3] = {0.385, -1.27, 2.113};
  gsl_vector *x = fx_vector(xv, 3), *g = gsl_vector_calloc(3);
  ck_assert_int_eq(gv_identity_sqnorm(x, g), GSL_SUCCESS);
  for (size_t i = 0; i < 3; i++)
    ck_assert_double_eq(gsl_vector_get(g, i), 2.0 * xv[i]);
  /* x itself is untouched. */
  for (size_t i = 0; i < 3; i++)
    ck_assert_double_eq(gsl_vector_get(x, i), xv[i]);
  gsl_vector_free(x);
  gsl_vector_free(g);
}
END_TEST

/* Randomized: x^T A x and ||x||^2 against central differences of the scalar itself. */
static double quad_form(const gsl_matrix *A, const gsl_vector *x)
{
  double s = 0.0;
  for (size_t i = 0; i < x->size; i++)
    for (size_t j = 0; j < x->size; j++)
      s += gsl_vector_get(x, i) * gsl_matrix_get(A, i, j) * gsl_vector_get(x, j);
  return s;
}

START_TEST(test_xTAx_random)
{
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, SEED + (unsigned long)_i);
  size_t n = 1 + gsl_rng_uniform_int(r, 6);
  gsl_matrix *A = gsl_matrix_alloc(n, n), *I = gsl_matrix_alloc(n, n);
  gsl_vector *x = gsl_vector_alloc(n), *g = gsl_vector_alloc(n), *g2 = gsl_vector_alloc(n);
  for (size_t i = 0; i < n; i++) {
    gsl_vector_set(x, i, 4.0 * gsl_rng_uniform(r) - 2.0);
    for (size_t j = 0; j < n; j++)
      gsl_matrix_set(A, i, j, 4.0 * gsl_rng_uniform(r) - 2.0);
  }
  gsl_matrix_set_identity(I);
  ck_assert_int_eq(gv_identity_xTAx(A, x, g), GSL_SUCCESS);
  ck_assert_int_eq(gv_identity_sqnorm(x, g2), GSL_SUCCESS);
  const double h = 1e-5;
  for (size_t i = 0; i < n; i++) {
    /* A quadratic: the central difference is exact up to rounding. */
    double xi = gsl_vector_get(x, i);
    gsl_vector_set(x, i, xi + h);
    double qp = quad_form(A, x), np = quad_form(I, x);
    gsl_vector_set(x, i, xi - h);
    double qm = quad_form(A, x), nm = quad_form(I, x);
    gsl_vector_set(x, i, xi);
    ck_assert_double_eq_tol(gsl_vector_get(g, i), (qp - qm) / (2.0 * h), 1e-9);
    ck_assert_double_eq_tol(gsl_vector_get(g2, i), (np - nm) / (2.0 * h), 1e-9);
  }
  gsl_matrix_free(A);
  gsl_matrix_free(I);
  gsl_vector_free(x);
  gsl_vector_free(g);
  gsl_vector_free(g2);
  gsl_rng_free(r);
}
END_TEST

/* ---- Chain rule ---- */

/* n = 2, m = 3: B is 2 x 3. */
static const double CH_B[6] = {0.75, -1.25, 0.5, 0.375, 0.875, -1.5};
static const double CH_C[2] = {0.125, -0.3};
static const double CH_X[3] = {0.4, -0.6, 1.1};
/* mpmath, 30 digits: u = tanh(B x + c), f = log(exp(u0) + exp(u1)), its gradient. */
static const double CH_U[2] = {0.938462281285703981666939722814794,
                               -0.981057912836107779395590575556306};
static const double CH_VALUE = 1.07533075630629201448866158121;
static const double CH_GRAD[3] = {0.0798223297762262766385039706247075,
                                  -0.1258371248906501040932651515052,
                                  0.0448147798805804346262764920689434};

typedef struct {
  gsl_matrix *B;
  gsl_vector *c, *x, *u, *df, *grad;
  gsl_matrix *Dg;
  gv_chain ch;
} chain_case;

static chain_case chain_alloc(size_t n, size_t m)
{
  chain_case k = {gsl_matrix_alloc(n, m), gsl_vector_alloc(n), gsl_vector_alloc(m),
                  gsl_vector_alloc(n),    gsl_vector_alloc(n), gsl_vector_alloc(m),
                  gsl_matrix_alloc(m, n), {NULL, NULL}};
  k.ch.B = k.B;
  k.ch.c = k.c;
  return k;
}

static chain_case chain_hand(void)
{
  chain_case k = chain_alloc(2, 3);
  for (size_t i = 0; i < 2; i++) {
    gsl_vector_set(k.c, i, CH_C[i]);
    for (size_t j = 0; j < 3; j++)
      gsl_matrix_set(k.B, i, j, CH_B[i * 3 + j]);
  }
  for (size_t j = 0; j < 3; j++)
    gsl_vector_set(k.x, j, CH_X[j]);
  return k;
}

static chain_case chain_random(int row)
{
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, SEED + 1000UL + (unsigned long)row);
  size_t n = 1 + gsl_rng_uniform_int(r, 5), m = 1 + gsl_rng_uniform_int(r, 5);
  chain_case k = chain_alloc(n, m);
  for (size_t i = 0; i < n; i++) {
    gsl_vector_set(k.c, i, gsl_rng_uniform(r) - 0.5);
    for (size_t j = 0; j < m; j++)
      gsl_matrix_set(k.B, i, j, 2.0 * gsl_rng_uniform(r) - 1.0);
  }
  for (size_t j = 0; j < m; j++)
    gsl_vector_set(k.x, j, 3.0 * gsl_rng_uniform(r) - 1.5);
  gsl_rng_free(r);
  return k;
}

static void chain_free(chain_case *k)
{
  gsl_matrix_free(k->B);
  gsl_vector_free(k->c);
  gsl_vector_free(k->x);
  gsl_vector_free(k->u);
  gsl_vector_free(k->df);
  gsl_vector_free(k->grad);
  gsl_matrix_free(k->Dg);
}

START_TEST(test_chain_inner_hand)
{
  chain_case k = chain_hand();
  ck_assert_int_eq(gv_chain_inner(&k.ch, k.x, k.u), GSL_SUCCESS);
  /* B x + c = (1.725, -2.325) */
  ck_assert_double_eq_tol(gsl_vector_get(k.u, 0), tanh(1.725), 2e-16);
  ck_assert_double_eq_tol(gsl_vector_get(k.u, 1), tanh(-2.325), 2e-16);
  for (size_t i = 0; i < 2; i++)
    ck_assert_double_eq_tol(gsl_vector_get(k.u, i), CH_U[i], 4e-16);
  double value = 0.0;
  ck_assert_int_eq(gv_chain_value(&k.ch, k.x, k.u, &value), GSL_SUCCESS);
  ck_assert_double_eq_tol(value, CH_VALUE, 4e-16);
  chain_free(&k);
}
END_TEST

START_TEST(test_chain_jacobian_hand)
{
  chain_case k = chain_hand();
  ck_assert_int_eq(gv_chain_jacobian_inner(&k.ch, k.x, k.Dg), GSL_SUCCESS);
  /* Denominator layout, 3 x 2: Dg(j, i) = dg_i/dx_j = B(i, j) (1 - u_i^2). */
  for (size_t j = 0; j < 3; j++)
    for (size_t i = 0; i < 2; i++)
      ck_assert_double_eq_tol(gsl_matrix_get(k.Dg, j, i),
                              CH_B[i * 3 + j] * (1.0 - CH_U[i] * CH_U[i]), 1e-15);
  chain_free(&k);
}
END_TEST

START_TEST(test_chain_grad_hand)
{
  chain_case k = chain_hand();
  ck_assert_int_eq(gv_chain_grad(&k.ch, k.x, k.Dg, k.u, k.df, k.grad), GSL_SUCCESS);
  for (size_t j = 0; j < 3; j++)
    ck_assert_double_eq_tol(gsl_vector_get(k.grad, j), CH_GRAD[j], 1e-15);
  /* The workspace holds the pieces: u = g(x), df = softmax(u). */
  const double e0 = exp(CH_U[0]), e1 = exp(CH_U[1]);
  ck_assert_double_eq_tol(gsl_vector_get(k.u, 0), CH_U[0], 4e-16);
  ck_assert_double_eq_tol(gsl_vector_get(k.df, 0), e0 / (e0 + e1), 4e-16);
  ck_assert_double_eq_tol(gsl_vector_get(k.df, 1), e1 / (e0 + e1), 4e-16);
  chain_free(&k);
}
END_TEST

START_TEST(test_chain_grad_outer)
{
  /* d lse(u)/du = softmax(u). */
  gsl_vector *u = fx_vector(CH_U, 2), *df = gsl_vector_alloc(2);
  ck_assert_int_eq(gv_chain_grad_outer(u, df), GSL_SUCCESS);
  const double e0 = exp(CH_U[0]), e1 = exp(CH_U[1]);
  ck_assert_double_eq_tol(gsl_vector_get(df, 0), e0 / (e0 + e1), 4e-16);
  ck_assert_double_eq_tol(gsl_vector_get(df, 1), e1 / (e0 + e1), 4e-16);
  gsl_vector_free(u);
  gsl_vector_free(df);
}
END_TEST

/* Randomized: every piece against its definition written out as sums, and the
 * gradient against central differences of gv_chain_value. */
START_TEST(test_chain_random)
{
  chain_case k = chain_random(_i);
  size_t n = k.B->size1, m = k.B->size2;
  ck_assert_int_eq(gv_chain_grad(&k.ch, k.x, k.Dg, k.u, k.df, k.grad), GSL_SUCCESS);
  double esum = 0.0;
  double u[8], e[8];
  for (size_t i = 0; i < n; i++) {
    double s = gsl_vector_get(k.c, i);
    for (size_t j = 0; j < m; j++)
      s += gsl_matrix_get(k.B, i, j) * gsl_vector_get(k.x, j);
    u[i] = tanh(s);
    e[i] = exp(u[i]);
    esum += e[i];
    ck_assert_double_eq_tol(gsl_vector_get(k.u, i), u[i], 4e-16);
  }
  for (size_t i = 0; i < n; i++)
    ck_assert_double_eq_tol(gsl_vector_get(k.df, i), e[i] / esum, 4e-16);
  const double h = 1e-5;
  for (size_t j = 0; j < m; j++) {
    double want = 0.0;
    for (size_t i = 0; i < n; i++) {
      double dg = gsl_matrix_get(k.B, i, j) * (1.0 - u[i] * u[i]);
      ck_assert_double_eq_tol(gsl_matrix_get(k.Dg, j, i), dg, 4e-16);
      want += dg * e[i] / esum;
    }
    ck_assert_double_eq_tol(gsl_vector_get(k.grad, j), want, 1e-15);
    double xj = gsl_vector_get(k.x, j), vp, vm;
    gsl_vector_set(k.x, j, xj + h);
    gv_chain_value(&k.ch, k.x, k.u, &vp);
    gsl_vector_set(k.x, j, xj - h);
    gv_chain_value(&k.ch, k.x, k.u, &vm);
    gsl_vector_set(k.x, j, xj);
    ck_assert_double_eq_tol(gsl_vector_get(k.grad, j), (vp - vm) / (2.0 * h), 1e-9);
  }
  chain_free(&k);
}
END_TEST

/* ---- Errors ---- */

START_TEST(test_identity_badlen)
{
  gsl_vector *v2 = gsl_vector_calloc(2), *v3 = gsl_vector_calloc(3), *w3 = gsl_vector_calloc(3);
  gsl_matrix *A23 = gsl_matrix_calloc(2, 3), *A32 = gsl_matrix_calloc(3, 2);
  gsl_matrix *A33 = gsl_matrix_calloc(3, 3), *A22 = gsl_matrix_calloc(2, 2);
  ck_assert_int_eq(gv_identity_xTa(v3, v2), GSL_EBADLEN);
  ck_assert_int_eq(gv_identity_Ax(A23, A23), GSL_EBADLEN); /* needs 3 x 2 */
  ck_assert_int_eq(gv_identity_Ax(A23, A33), GSL_EBADLEN);
  ck_assert_int_eq(gv_identity_Ax(A23, A22), GSL_EBADLEN);
  ck_assert_int_eq(gv_identity_Ax(A23, A32), GSL_SUCCESS);
  ck_assert_int_eq(gv_identity_aTXb(v2, v3, A32), GSL_EBADLEN); /* needs 2 x 3 */
  ck_assert_int_eq(gv_identity_aTXb(v2, v3, A22), GSL_EBADLEN);
  ck_assert_int_eq(gv_identity_aTXb(v2, v3, A23), GSL_SUCCESS);
  ck_assert_int_eq(gv_identity_xTAx(A23, v3, w3), GSL_EBADLEN); /* A not square */
  ck_assert_int_eq(gv_identity_xTAx(A32, v3, w3), GSL_EBADLEN);
  ck_assert_int_eq(gv_identity_xTAx(A33, v2, w3), GSL_EBADLEN);
  ck_assert_int_eq(gv_identity_xTAx(A33, v3, v2), GSL_EBADLEN);
  ck_assert_int_eq(gv_identity_xTAx(A33, v3, w3), GSL_SUCCESS);
  ck_assert_int_eq(gv_identity_sqnorm(v3, v2), GSL_EBADLEN);
  gsl_vector_free(v2);
  gsl_vector_free(v3);
  gsl_vector_free(w3);
  gsl_matrix_free(A23);
  gsl_matrix_free(A32);
  gsl_matrix_free(A33);
  gsl_matrix_free(A22);
}
END_TEST

START_TEST(test_chain_badlen)
{
  chain_case k = chain_hand(); /* n = 2, m = 3 */
  gsl_vector *v2 = gsl_vector_calloc(2), *v3 = gsl_vector_calloc(3), *c3 = gsl_vector_calloc(3);
  gsl_matrix *D23 = gsl_matrix_calloc(2, 3), *D33 = gsl_matrix_calloc(3, 3);
  double value;
  /* inner and value: x of size n, u of size m */
  ck_assert_int_eq(gv_chain_inner(&k.ch, v2, k.u), GSL_EBADLEN);
  ck_assert_int_eq(gv_chain_inner(&k.ch, k.x, v3), GSL_EBADLEN);
  ck_assert_int_eq(gv_chain_value(&k.ch, v2, k.u, &value), GSL_EBADLEN);
  ck_assert_int_eq(gv_chain_value(&k.ch, k.x, v3, &value), GSL_EBADLEN);
  /* c of the wrong size */
  gv_chain bad = {k.B, c3};
  ck_assert_int_eq(gv_chain_inner(&bad, k.x, k.u), GSL_EBADLEN);
  ck_assert_int_eq(gv_chain_jacobian_inner(&bad, k.x, k.Dg), GSL_EBADLEN);
  /* Dg in numerator layout (2 x 3), or square */
  ck_assert_int_eq(gv_chain_jacobian_inner(&k.ch, k.x, D23), GSL_EBADLEN);
  ck_assert_int_eq(gv_chain_jacobian_inner(&k.ch, k.x, D33), GSL_EBADLEN);
  ck_assert_int_eq(gv_chain_jacobian_inner(&k.ch, v2, k.Dg), GSL_EBADLEN);
  ck_assert_int_eq(gv_chain_grad_outer(k.u, v3), GSL_EBADLEN);
  /* grad: each argument in turn */
  ck_assert_int_eq(gv_chain_grad(&k.ch, v2, k.Dg, k.u, k.df, k.grad), GSL_EBADLEN);
  ck_assert_int_eq(gv_chain_grad(&k.ch, k.x, D23, k.u, k.df, k.grad), GSL_EBADLEN);
  ck_assert_int_eq(gv_chain_grad(&k.ch, k.x, k.Dg, v3, k.df, k.grad), GSL_EBADLEN);
  ck_assert_int_eq(gv_chain_grad(&k.ch, k.x, k.Dg, k.u, v3, k.grad), GSL_EBADLEN);
  ck_assert_int_eq(gv_chain_grad(&k.ch, k.x, k.Dg, k.u, k.df, v2), GSL_EBADLEN);
  ck_assert_int_eq(gv_chain_grad(&bad, k.x, k.Dg, k.u, k.df, k.grad), GSL_EBADLEN);
  ck_assert_int_eq(gv_chain_grad(&k.ch, k.x, k.Dg, k.u, k.df, k.grad), GSL_SUCCESS);
  gsl_vector_free(v2);
  gsl_vector_free(v3);
  gsl_vector_free(c3);
  gsl_matrix_free(D23);
  gsl_matrix_free(D33);
  chain_free(&k);
}
END_TEST

Suite *gv_test_suite(void)
{
  Suite *s = suite_create("identity");

  TCase *ids = tcase_create("Identities");
  tcase_add_test(ids, test_xTa);
  tcase_add_test(ids, test_Ax);
  tcase_add_test(ids, test_aTXb);
  tcase_add_test(ids, test_xTAx);
  tcase_add_test(ids, test_sqnorm);
  tcase_add_loop_test(ids, test_xTAx_random, 0, NRANDOM);
  suite_add_tcase(s, ids);

  TCase *chain = tcase_create("Chain");
  tcase_add_test(chain, test_chain_inner_hand);
  tcase_add_test(chain, test_chain_jacobian_hand);
  tcase_add_test(chain, test_chain_grad_hand);
  tcase_add_test(chain, test_chain_grad_outer);
  tcase_add_loop_test(chain, test_chain_random, 0, NRANDOM);
  suite_add_tcase(s, chain);

  TCase *errors = tcase_create("Errors");
  tcase_add_test(errors, test_identity_badlen);
  tcase_add_test(errors, test_chain_badlen);
  suite_add_tcase(s, errors);

  return s;
}
