/* check_cstep.c: complex-step derivatives (gv_cstep), the complex versions of
 * the seed's functions (gv_complex) and parameter packing (gv_net_pack).
 *
 * The complex step has no subtraction, so its derivatives are checked to a
 * few ulps: against closed forms, against gv_net_backward over the packed
 * parameters of random networks, and against gv_softmax_jacobian at logits
 * in the hundreds. At a ReLU kink it returns the derivative of the branch
 * the real part takes. */
#include <complex.h>
#include <math.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_vector.h>

#include "check_main.h"
#include "fixtures.h"
#include "gv_complex.h"
#include "gv_cstep.h"
#include "gv_net.h"
#include "gv_net_pack.h"
#include "gv_softmax.h"

#define SEED 20240711UL

/* f(x) = exp(x0) sin(x1) + x2^3 / x0, and a counter with a planted failure. */
typedef struct {
  int calls, bad_call, bad_status;
  double complex bad_value;
} cparams;

static int closed_f(void *params, const double complex *x, size_t n, double complex *fx)
{
  cparams *p = params;
  (void)n;
  p->calls++;
  fx[0] = cexp(x[0]) * csin(x[1]) + x[2] * x[2] * x[2] / x[0];
  if (p->bad_call && p->calls == p->bad_call) {
    if (p->bad_status)
      return p->bad_status;
    fx[0] = p->bad_value;
  }
  return GSL_SUCCESS;
}

START_TEST(test_closed_form)
{
  const double xv[3] = {0.6931, -1.385, 2.213};
  gsl_vector *x = fx_vector(xv, 3), *g = gsl_vector_alloc(3);
  cparams p = {0};
  gv_cstep_fn fn = {closed_f, &p, 1};
  ck_assert_int_eq(gv_cstep_gradient(&fn, x, g, 0.0), GSL_SUCCESS);
  const double want[3] = {exp(xv[0]) * sin(xv[1]) - pow(xv[2], 3) / (xv[0] * xv[0]),
                          exp(xv[0]) * cos(xv[1]), 3.0 * xv[2] * xv[2] / xv[0]};
  for (size_t i = 0; i < 3; i++)
    ck_assert_double_eq_tol(gsl_vector_get(g, i), want[i], 4e-16 * fabs(want[i]) * 8);
  ck_assert_int_eq(p.calls, 3);
  ck_assert_mem_eq(x->data, xv, sizeof xv);
  /* A caller's step gives the same to rounding. */
  gsl_vector *g2 = gsl_vector_alloc(3);
  ck_assert_int_eq(gv_cstep_gradient(&fn, x, g2, 1e-30), GSL_SUCCESS);
  for (size_t i = 0; i < 3; i++)
    ck_assert_double_eq_tol(gsl_vector_get(g2, i), want[i], 4e-15 * fabs(want[i]));
  /* The directional derivative g.v from one evaluation. */
  const double vv[3] = {0.3, -0.7, 0.2};
  gsl_vector *v = fx_vector(vv, 3), *Jv = gsl_vector_alloc(1);
  p.calls = 0;
  ck_assert_int_eq(gv_cstep_directional(&fn, x, v, Jv, 0.0), GSL_SUCCESS);
  ck_assert_int_eq(p.calls, 1);
  double gv = want[0] * vv[0] + want[1] * vv[1] + want[2] * vv[2];
  ck_assert_double_eq_tol(gsl_vector_get(Jv, 0), gv, 1e-14 * fabs(gv));
  gsl_vector_set_zero(v);
  ck_assert_int_eq(gv_cstep_directional(&fn, x, v, Jv, 0.0), GSL_SUCCESS);
  ck_assert_double_eq(gsl_vector_get(Jv, 0), 0.0);
  gsl_vector_free(v);
  gsl_vector_free(Jv);
  gsl_vector_free(g2);
  gsl_vector_free(x);
  gsl_vector_free(g);
}
END_TEST

/* ---- The network over packed parameters against gv_net_backward ---- */

static const struct {
  size_t D, H, K;
} shapes[] = {{1, 1, 2}, {4, 5, 3}, {7, 3, 10}, {20, 20, 10}};

static double uniform(gsl_rng *r, double a, double b)
{
  return a + (b - a) * gsl_rng_uniform(r);
}

START_TEST(test_net_backward)
{
  const size_t D = shapes[_i].D, H = shapes[_i].H, K = shapes[_i].K;
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, SEED + (unsigned long)_i);
  gv_net *net = gv_net_alloc(D, H, K);
  gv_net_state *s = gv_net_state_alloc(net);
  gv_net_grad *gr = gv_net_grad_alloc(net);
  gsl_vector *x = gsl_vector_alloc(D), *y = gsl_vector_calloc(K);
  for (size_t t = 0; t < 8; t++) {
    for (size_t i = 0; i < net->W->size1 * net->W->size2; i++)
      net->W->data[i] = uniform(r, -1.5, 1.5);
    for (size_t i = 0; i < net->V->size1 * net->V->size2; i++)
      net->V->data[i] = uniform(r, -2.0, 2.0);
    for (size_t i = 0; i < H; i++)
      gsl_vector_set(net->b1, i, uniform(r, -0.5, 0.5));
    for (size_t i = 0; i < K; i++)
      gsl_vector_set(net->b2, i, uniform(r, -0.5, 0.5));
    for (size_t i = 0; i < D; i++)
      gsl_vector_set(x, i, uniform(r, -3.0, 3.0));
    gsl_vector_set_zero(y);
    gsl_vector_set(y, gsl_rng_uniform_int(r, K), 1.0);
    ck_assert_int_eq(gv_net_forward(net, x, y, s), GSL_SUCCESS);
    ck_assert_int_eq(gv_net_backward(net, x, y, s, gr), GSL_SUCCESS);
    const size_t n = gv_net_pack_size(net);
    ck_assert_uint_eq(n, gv_complex_net_size(D, H, K));
    gsl_vector *theta = gsl_vector_alloc(n), *g = gsl_vector_alloc(n), *want = gsl_vector_alloc(n);
    ck_assert_int_eq(gv_net_pack(net, theta), GSL_SUCCESS);
    ck_assert_int_eq(gv_net_grad_pack(net, gr, want), GSL_SUCCESS);
    double complex work[40];
    gv_complex_net_problem pb = {D, H, K, x->data, y->data, work};
    gv_cstep_fn fn = {gv_complex_net_loss_fn, &pb, 1};
    /* The complex loss's real part is the real loss. */
    double complex thc[1000], L;
    for (size_t i = 0; i < n; i++)
      thc[i] = gsl_vector_get(theta, i);
    ck_assert_int_eq(gv_complex_net_loss(thc, D, H, K, x->data, y->data, work, &L), GSL_SUCCESS);
    ck_assert_double_eq_tol(creal(L), s->loss, 1e-14 * fmax(1.0, s->loss));
    ck_assert_double_eq(cimag(L), 0.0);
    ck_assert_int_eq(gv_cstep_gradient(&fn, theta, g, 0.0), GSL_SUCCESS);
    for (size_t i = 0; i < n; i++) {
      double a = gsl_vector_get(want, i), c = gsl_vector_get(g, i);
      /* Both sides round: up to ~6e-14 relative to the entry, plus an
       * absolute 1e-14: delta1 = p - y carries an absolute rounding of about
       * 1e-16 (both sides cancel there when p is near y), which the entries
       * of x, V and h (up to ~10 here) multiply. */
      ck_assert_msg(fabs(a - c) <= 1e-13 * fabs(a) + 1e-14,
                    "shape %d trial %zu entry %zu: backward %.17g, complex step %.17g", _i, t, i, a,
                    c);
    }
    /* Unpacking gives the net back. */
    gv_net *copy = gv_net_alloc(D, H, K);
    ck_assert_int_eq(gv_net_unpack(theta, copy), GSL_SUCCESS);
    ck_assert_int_eq(gsl_matrix_equal(copy->W, net->W), 1);
    ck_assert_int_eq(gsl_matrix_equal(copy->V, net->V), 1);
    ck_assert_int_eq(gsl_vector_equal(copy->b1, net->b1), 1);
    ck_assert_int_eq(gsl_vector_equal(copy->b2, net->b2), 1);
    gv_net_free(copy);
    gsl_vector_free(theta);
    gsl_vector_free(g);
    gsl_vector_free(want);
  }
  gsl_vector_free(x);
  gsl_vector_free(y);
  gv_net_grad_free(gr);
  gv_net_state_free(s);
  gv_net_free(net);
  gsl_rng_free(r);
}
END_TEST

START_TEST(test_relu_kink)
{
  /* x = (1, 2), W row 0 = (0.5, -0.25), b1_0 = 0: z_0 = 0 exactly. The real
   * part decides ReLU, so the complex step takes the flat branch: every
   * derivative through unit 0 is 0, as the mask 1(z > 0) of gv_net_backward. */
  const size_t D = 2, H = 2, K = 2;
  gv_net *net = gv_net_alloc(D, H, K);
  const double W[4] = {0.5, -0.25, 0.75, 0.125}, V[4] = {1.5, -0.5, -1.0, 2.0};
  memcpy(net->W->data, W, sizeof W);
  memcpy(net->V->data, V, sizeof V);
  gsl_vector_set(net->b1, 1, 0.25);
  gsl_vector_set(net->b2, 0, 0.1);
  const double xv[2] = {1.0, 2.0}, yv[2] = {0.0, 1.0};
  gsl_vector *x = fx_vector(xv, 2), *y = fx_vector(yv, 2);
  gv_net_state *s = gv_net_state_alloc(net);
  gv_net_grad *gr = gv_net_grad_alloc(net);
  ck_assert_int_eq(gv_net_forward(net, x, y, s), GSL_SUCCESS);
  ck_assert_double_eq(gsl_vector_get(s->z, 0), 0.0);
  ck_assert_int_eq(gv_net_backward(net, x, y, s, gr), GSL_SUCCESS);
  const size_t n = gv_net_pack_size(net);
  gsl_vector *theta = gsl_vector_alloc(n), *g = gsl_vector_alloc(n), *want = gsl_vector_alloc(n);
  gv_net_pack(net, theta);
  gv_net_grad_pack(net, gr, want);
  double complex work[4];
  gv_complex_net_problem pb = {D, H, K, xv, yv, work};
  gv_cstep_fn fn = {gv_complex_net_loss_fn, &pb, 1};
  ck_assert_int_eq(gv_cstep_gradient(&fn, theta, g, 0.0), GSL_SUCCESS);
  /* W(0, 0), W(0, 1) and b1_0 (packed at 0, 1 and 4) see the flat branch. */
  ck_assert_double_eq(gsl_vector_get(g, 0), 0.0);
  ck_assert_double_eq(gsl_vector_get(g, 1), 0.0);
  ck_assert_double_eq(gsl_vector_get(g, 4), 0.0);
  for (size_t i = 0; i < n; i++)
    ck_assert_double_eq_tol(gsl_vector_get(g, i), gsl_vector_get(want, i), 1e-15);
  gsl_vector_free(theta);
  gsl_vector_free(g);
  gsl_vector_free(want);
  gsl_vector_free(x);
  gsl_vector_free(y);
  gv_net_state_free(s);
  gv_net_grad_free(gr);
  gv_net_free(net);
}
END_TEST

/* ---- Softmax at logits in the hundreds ---- */

START_TEST(test_softmax_jacobian)
{
  const double av[5] = {300.2, 301.7, 299.4, -250.3, 300.9};
  gsl_vector *a = fx_vector(av, 5), *p = gsl_vector_alloc(5);
  gsl_matrix *J = gsl_matrix_alloc(5, 5), *D = gsl_matrix_alloc(5, 5);
  ck_assert_int_eq(gv_softmax(a, p), GSL_SUCCESS);
  ck_assert_int_eq(gv_softmax_jacobian(p, J), GSL_SUCCESS);
  gv_cstep_fn fn = {gv_complex_softmax_fn, NULL, 5};
  ck_assert_int_eq(gv_cstep_jacobian(&fn, a, D, 0.0), GSL_SUCCESS);
  for (size_t i = 0; i < 5; i++)
    for (size_t j = 0; j < 5; j++) {
      double want = gsl_matrix_get(J, i, j), got = gsl_matrix_get(D, i, j);
      /* p carries a relative error of about |a| eps from exp(a - lse). */
      ck_assert_msg(fabs(want - got) <= 1e-13 * fabs(want) + 1e-300, "(%zu, %zu): %.17g vs %.17g",
                    i, j, want, got);
    }
  /* lse and softmax agree with the real versions. */
  double complex ac[5], pc[5], lse;
  for (size_t i = 0; i < 5; i++)
    ac[i] = av[i];
  double lse_real;
  gv_logsumexp(a, &lse_real);
  ck_assert_int_eq(gv_complex_logsumexp(ac, 5, &lse), GSL_SUCCESS);
  ck_assert_double_eq_tol(creal(lse), lse_real, 1e-15 * lse_real);
  ck_assert_int_eq(gv_complex_softmax(ac, 5, pc), GSL_SUCCESS);
  for (size_t i = 0; i < 5; i++)
    ck_assert_double_eq_tol(creal(pc[i]), gsl_vector_get(p, i), 1e-15);
  /* Cross-entropy: sum y_i (lse - a_i). */
  const double y[5] = {0.0, 0.25, 0.0, 0.0, 0.75};
  double complex L;
  ck_assert_int_eq(gv_complex_xent_loss_logits(y, ac, 5, &L), GSL_SUCCESS);
  ck_assert_double_eq_tol(creal(L), 0.25 * (lse_real - av[1]) + 0.75 * (lse_real - av[4]), 1e-13);
  /* Non-finite maximum: returned as it is. */
  ac[2] = INFINITY;
  ck_assert_int_eq(gv_complex_logsumexp(ac, 5, &lse), GSL_SUCCESS);
  ck_assert(isinf(creal(lse)));
  ck_assert_int_eq(gv_complex_logsumexp(ac, 0, &lse), GSL_EINVAL);
  ck_assert_int_eq(gv_complex_net_loss(ac, 0, 1, 1, av, y, pc, &L), GSL_EINVAL);
  gsl_vector_free(a);
  gsl_vector_free(p);
  gsl_matrix_free(J);
  gsl_matrix_free(D);
}
END_TEST

/* ---- Errors ---- */

START_TEST(test_errors)
{
  const double xv[3] = {0.6931, -1.385, 2.213};
  gsl_vector *x = fx_vector(xv, 3), *g = gsl_vector_alloc(3), *g2 = gsl_vector_alloc(2);
  gsl_matrix *D = gsl_matrix_alloc(3, 1), *Dbad = gsl_matrix_alloc(3, 2);
  cparams p = {0};
  gv_cstep_fn fn = {closed_f, &p, 1};
  ck_assert_int_eq(gv_cstep_gradient(&fn, x, g2, 0.0), GSL_EBADLEN);
  ck_assert_int_eq(gv_cstep_gradient(&fn, x, g, -1e-20), GSL_EINVAL);
  ck_assert_int_eq(gv_cstep_gradient(&fn, x, g, NAN), GSL_EINVAL);
  ck_assert_int_eq(gv_cstep_jacobian(&fn, x, Dbad, 0.0), GSL_EBADLEN);
  ck_assert_int_eq(gv_cstep_jacobian(&fn, x, D, INFINITY), GSL_EINVAL);
  ck_assert_int_eq(gv_cstep_directional(&fn, x, g2, g, 0.0), GSL_EBADLEN);
  gsl_vector e0 = {0, 1, x->data, NULL, 0}; /* an empty vector, built by hand */
  gsl_matrix D0 = {0, 1, 1, D->data, NULL, 0};
  ck_assert_int_eq(gv_cstep_gradient(&fn, &e0, &e0, 0.0), GSL_EINVAL);
  ck_assert_int_eq(gv_cstep_jacobian(&fn, &e0, &D0, 0.0), GSL_EINVAL);
  /* The function's own status, then a non-finite value, at the second entry. */
  p = (cparams){.bad_call = 2, .bad_status = GSL_EDOM};
  ck_assert_int_eq(gv_cstep_gradient(&fn, x, g, 0.0), GSL_EDOM);
  p = (cparams){.bad_call = 2, .bad_value = CMPLX(1.0, NAN)};
  ck_assert_int_eq(gv_cstep_gradient(&fn, x, g, 0.0), GSL_EBADFUNC);
  p = (cparams){.bad_call = 1, .bad_value = CMPLX(INFINITY, 0.0)};
  ck_assert_int_eq(gv_cstep_jacobian(&fn, x, D, 0.0), GSL_EBADFUNC);
  ck_assert_mem_eq(x->data, xv, sizeof xv); /* x is const to the engine */
  fn.m = 2;
  ck_assert_int_eq(gv_cstep_gradient(&fn, x, g, 0.0), GSL_EBADLEN);
  /* Packing: sizes. */
  gv_net *net = gv_net_alloc(2, 3, 2);
  ck_assert_int_eq(gv_net_pack(net, g), GSL_EBADLEN);
  ck_assert_int_eq(gv_net_unpack(g, net), GSL_EBADLEN);
  gv_net_grad *gr = gv_net_grad_alloc(net);
  ck_assert_int_eq(gv_net_grad_pack(net, gr, g), GSL_EBADLEN);
  gv_complex_net_problem pb = {2, 3, 2, xv, xv, NULL};
  double complex th[3], L;
  ck_assert_int_eq(gv_complex_net_loss_fn(&pb, th, 3, &L), GSL_EBADLEN);
  gv_net_grad_free(gr);
  gv_net_free(net);
  gsl_vector_free(x);
  gsl_vector_free(g);
  gsl_vector_free(g2);
  gsl_matrix_free(D);
  gsl_matrix_free(Dbad);
}
END_TEST

Suite *gv_test_suite(void)
{
  Suite *s = suite_create("cstep");
  TCase *values = tcase_create("Values");
  tcase_add_test(values, test_closed_form);
  tcase_add_loop_test(values, test_net_backward, 0, (int)(sizeof shapes / sizeof shapes[0]));
  tcase_add_test(values, test_relu_kink);
  tcase_add_test(values, test_softmax_jacobian);
  suite_add_tcase(s, values);
  TCase *errors = tcase_create("Errors");
  tcase_add_test(errors, test_errors);
  suite_add_tcase(s, errors);
  return s;
}
