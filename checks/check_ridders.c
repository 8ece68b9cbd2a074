/* check_ridders.c: Ridders' extrapolation (gv_ridders).
 *
 * Values against known derivatives to 1e-11 relative, the error estimate
 * against the true error (it must cover it, allowing the factor 2 of the
 * 1-2% of entries it misses in checks/bench_accuracy.c, and stay small:
 * below 3e-11 of the derivative, which the softmax at logits near 300,
 * whose values carry ~100 ulps of rounding, comes within a factor 3 of), the step probe in both
 * directions (a scale of 1e-3 and one of 1e6), the evaluation cap, bit-for-bit
 * restoration of the variable, and every error path. */
#include <float.h>
#include <math.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_vector.h>

#include "check_main.h"
#include "gv_ridders.h"

#define NROWS(a) ((int)(sizeof(a) / sizeof((a)[0])))

enum kind { K_SIN, K_EXP, K_LOG, K_SIN40, K_EXP10, K_SOFTMAX300, K_SIN1000, K_SLOW, K_LINEAR };

typedef struct {
  enum kind kind;
  const double *x;
  const gsl_vector *v;
  int calls, bad_call, bad_status;
  double bad_value;
} fparams;

static double value(enum kind kind, double x)
{
  switch (kind) {
  case K_SIN:
    return sin(x);
  case K_EXP:
    return exp(x);
  case K_LOG:
    return log(x);
  case K_SIN40:
    return sin(40.0 * x);
  case K_EXP10:
    return exp(10.0 * x);
  case K_SOFTMAX300: { /* p_0 of softmax(x, 300.9, 299.7), computed stably */
    double m = fmax(x, 300.9);
    double lse = m + log(exp(x - m) + exp(300.9 - m) + exp(299.7 - m));
    return exp(x - lse);
  }
  case K_SIN1000:
    return sin(1000.0 * x);
  case K_SLOW:
    return 3.0 + exp(x / 1e6);
  case K_LINEAR:
    return 2.5 * x - 7.0;
  }
  return NAN;
}

static double derivative(enum kind kind, double x)
{
  switch (kind) {
  case K_SIN:
    return cos(x);
  case K_EXP:
    return exp(x);
  case K_LOG:
    return 1.0 / x;
  case K_SIN40:
    return 40.0 * cos(40.0 * x);
  case K_EXP10:
    return 10.0 * exp(10.0 * x);
  case K_SOFTMAX300: {
    double p = 1.0 / (1.0 + exp(300.9 - x) + exp(299.7 - x));
    return p * (1.0 - p);
  }
  case K_SIN1000:
    return 1000.0 * cos(1000.0 * x);
  case K_SLOW:
    return exp(x / 1e6) / 1e6;
  case K_LINEAR:
    return 2.5;
  }
  return NAN;
}

static int scalar_f(void *params, double *fx)
{
  fparams *p = params;
  p->calls++;
  if (p->bad_call && p->calls == p->bad_call) {
    if (p->bad_status)
      return p->bad_status;
    *fx = p->bad_value;
    return GSL_SUCCESS;
  }
  if (p->v) { /* f(v) = exp(0.3 v0) + v0 v1^2 + sin(v2 v3) */
    double v0 = gsl_vector_get(p->v, 0), v1 = gsl_vector_get(p->v, 1);
    double v2 = gsl_vector_get(p->v, 2), v3 = gsl_vector_get(p->v, 3);
    *fx = exp(0.3 * v0) + v0 * v1 * v1 + sin(v2 * v3);
  } else {
    *fx = value(p->kind, *p->x);
  }
  return GSL_SUCCESS;
}

/* F: R^3 -> R^2, F0 = x0 x1 + sin(x2), F1 = exp(x0) - x2^2 + x1. */
static int vector_f(void *params, gsl_vector *fx)
{
  fparams *p = params;
  p->calls++;
  double x0 = gsl_vector_get(p->v, 0), x1 = gsl_vector_get(p->v, 1), x2 = gsl_vector_get(p->v, 2);
  gsl_vector_set(fx, 0, x0 * x1 + sin(x2));
  gsl_vector_set(fx, 1, exp(x0) - x2 * x2 + x1);
  if (p->bad_call && p->calls == p->bad_call) {
    if (p->bad_status)
      return p->bad_status;
    gsl_vector_set(fx, 1, p->bad_value);
  }
  return GSL_SUCCESS;
}

/* ---- Values and error estimates ---- */

static const struct {
  enum kind kind;
  double x;
} rows[] = {
    {K_SIN, 0.8137},    {K_SIN, 2.385},        {K_SIN, -1.93},        {K_EXP, 1.2345},
    {K_EXP, -0.731},    {K_EXP, 3.71},         {K_LOG, 0.37},         {K_LOG, 7.389},
    {K_LOG, 0.0213},    {K_SIN40, 0.3183},     {K_SIN40, -2.718},     {K_EXP10, 0.4142},
    {K_EXP10, -1.732},  {K_SOFTMAX300, 300.1}, {K_SOFTMAX300, 298.7}, {K_SIN1000, 0.3183},
    {K_SLOW, 1.2345e6}, {K_SLOW, 0.577},
};

START_TEST(test_known)
{
  double x = rows[_i].x, x0 = x;
  fparams p = {.kind = rows[_i].kind, .x = &x};
  gv_fd_scalar fn = {scalar_f, &p};
  double d = NAN, err = NAN;
  size_t n = 0;
  ck_assert_int_eq(gv_ridders_derivative(&fn, &x, &d, &err, &n), GSL_SUCCESS);
  double want = derivative(p.kind, x0), scale = fabs(want), true_err = fabs(d - want);
  ck_assert_msg(true_err <= 1e-11 * scale, "row %d: d %.17g want %.17g", _i, d, want);
  ck_assert_msg(true_err <= 2.0 * err, "row %d: error %g, estimate %g", _i, true_err, err);
  ck_assert_msg(err <= 3e-11 * scale, "row %d: estimate %g too large", _i, err);
  ck_assert_int_le(n, GV_RIDDERS_MAX_EVALS);
  ck_assert_int_eq((int)n, p.calls);
  ck_assert_mem_eq(&x, &x0, sizeof x);
}
END_TEST

START_TEST(test_linear)
{
  /* Every central difference of a linear function is exact up to rounding. */
  double x = -3.217, x0 = x;
  fparams p = {.kind = K_LINEAR, .x = &x};
  gv_fd_scalar fn = {scalar_f, &p};
  double d, err;
  ck_assert_int_eq(gv_ridders_derivative(&fn, &x, &d, &err, NULL), GSL_SUCCESS);
  ck_assert_double_eq_tol(d, 2.5, 1e-14);
  ck_assert_double_lt(err, 1e-13);
  ck_assert_mem_eq(&x, &x0, sizeof x);
}
END_TEST

START_TEST(test_nulls)
{
  /* err and nevals may be NULL, and the value does not depend on them. */
  double x = 0.8137, d1, d2, err;
  fparams p = {.kind = K_SIN40, .x = &x};
  gv_fd_scalar fn = {scalar_f, &p};
  ck_assert_int_eq(gv_ridders_derivative(&fn, &x, &d1, NULL, NULL), GSL_SUCCESS);
  ck_assert_int_eq(gv_ridders_derivative(&fn, &x, &d2, &err, NULL), GSL_SUCCESS);
  ck_assert_mem_eq(&d1, &d2, sizeof d1);
}
END_TEST

/* ---- Gradients and Jacobians ---- */

START_TEST(test_gradient)
{
  const double xv[4] = {0.6931, -1.385, 2.213, 0.4142};
  gsl_vector *x = gsl_vector_alloc(4), *g = gsl_vector_alloc(4), *e = gsl_vector_alloc(4);
  for (size_t i = 0; i < 4; i++)
    gsl_vector_set(x, i, xv[i]);
  fparams p = {.v = x};
  gv_fd_scalar fn = {scalar_f, &p};
  ck_assert_int_eq(gv_ridders_gradient(&fn, x, g, e), GSL_SUCCESS);
  const double want[4] = {0.3 * exp(0.3 * xv[0]) + xv[1] * xv[1], 2.0 * xv[0] * xv[1],
                          xv[3] * cos(xv[2] * xv[3]), xv[2] * cos(xv[2] * xv[3])};
  for (size_t i = 0; i < 4; i++) {
    double gi = gsl_vector_get(g, i), ei = gsl_vector_get(e, i);
    ck_assert_double_eq_tol(gi, want[i], 1e-12 * fmax(1.0, fabs(want[i])));
    ck_assert_msg(fabs(gi - want[i]) <= ei, "entry %zu: error %g, estimate %g", i,
                  fabs(gi - want[i]), ei);
  }
  ck_assert_mem_eq(x->data, xv, sizeof xv);
  /* Without error estimates, the same values. */
  gsl_vector *g2 = gsl_vector_alloc(4);
  ck_assert_int_eq(gv_ridders_gradient(&fn, x, g2, NULL), GSL_SUCCESS);
  ck_assert_mem_eq(g2->data, g->data, 4 * sizeof(double));
  gsl_vector_free(x);
  gsl_vector_free(g);
  gsl_vector_free(g2);
  gsl_vector_free(e);
}
END_TEST

START_TEST(test_gradient_matrix)
{
  /* f(X) = exp(0.3 X00) + X00 X01^2 + sin(X10 X11) on the 2 x 2 matrix's data. */
  gsl_matrix *X = gsl_matrix_alloc(2, 2), *G = gsl_matrix_alloc(2, 2), *E = gsl_matrix_alloc(2, 2);
  const double xv[4] = {0.6931, -1.385, 2.213, 0.4142};
  memcpy(X->data, xv, sizeof xv);
  gsl_vector_view flat = gsl_vector_view_array(X->data, 4);
  fparams p = {.v = &flat.vector};
  gv_fd_scalar fn = {scalar_f, &p};
  ck_assert_int_eq(gv_ridders_gradient_matrix(&fn, X, G, E), GSL_SUCCESS);
  const double want[4] = {0.3 * exp(0.3 * xv[0]) + xv[1] * xv[1], 2.0 * xv[0] * xv[1],
                          xv[3] * cos(xv[2] * xv[3]), xv[2] * cos(xv[2] * xv[3])};
  for (size_t i = 0; i < 4; i++)
    ck_assert_double_eq_tol(G->data[i], want[i], 1e-12 * fmax(1.0, fabs(want[i])));
  ck_assert_mem_eq(X->data, xv, sizeof xv);
  ck_assert_int_eq(gv_ridders_gradient_matrix(&fn, X, G, NULL), GSL_SUCCESS);
  gsl_matrix *bad = gsl_matrix_alloc(2, 3);
  ck_assert_int_eq(gv_ridders_gradient_matrix(&fn, X, bad, NULL), GSL_EBADLEN);
  ck_assert_int_eq(gv_ridders_gradient_matrix(&fn, X, G, bad), GSL_EBADLEN);
  gsl_matrix_free(bad);
  gsl_matrix_free(X);
  gsl_matrix_free(G);
  gsl_matrix_free(E);
}
END_TEST

START_TEST(test_jacobian)
{
  const double xv[3] = {0.6931, -1.385, 2.213};
  gsl_vector *x = gsl_vector_alloc(3);
  memcpy(x->data, xv, sizeof xv);
  gsl_matrix *D = gsl_matrix_alloc(3, 2), *E = gsl_matrix_alloc(3, 2);
  fparams p = {.v = x};
  gv_fd_vector fn = {vector_f, &p, 2};
  ck_assert_int_eq(gv_ridders_jacobian(&fn, x, D, E), GSL_SUCCESS);
  /* D(i, j) = dF_j/dx_i */
  const double want[3][2] = {{xv[1], exp(xv[0])}, {xv[0], 1.0}, {cos(xv[2]), -2.0 * xv[2]}};
  for (size_t i = 0; i < 3; i++)
    for (size_t j = 0; j < 2; j++) {
      double dij = gsl_matrix_get(D, i, j), eij = gsl_matrix_get(E, i, j);
      ck_assert_double_eq_tol(dij, want[i][j], 1e-12 * fmax(1.0, fabs(want[i][j])));
      ck_assert_msg(fabs(dij - want[i][j]) <= eij, "(%zu, %zu): error %g, estimate %g", i, j,
                    fabs(dij - want[i][j]), eij);
    }
  ck_assert_mem_eq(x->data, xv, sizeof xv);
  ck_assert_int_le(p.calls, 3 * GV_RIDDERS_MAX_EVALS);
  ck_assert_int_eq(gv_ridders_jacobian(&fn, x, D, NULL), GSL_SUCCESS);
  gsl_matrix *bad = gsl_matrix_alloc(2, 3);
  ck_assert_int_eq(gv_ridders_jacobian(&fn, x, bad, NULL), GSL_EBADLEN);
  ck_assert_int_eq(gv_ridders_jacobian(&fn, x, D, bad), GSL_EBADLEN);
  fn.m = 0;
  ck_assert_int_eq(gv_ridders_jacobian(&fn, x, D, NULL), GSL_EBADLEN);
  gsl_matrix_free(bad);
  gsl_matrix_free(D);
  gsl_matrix_free(E);
  gsl_vector_free(x);
}
END_TEST

/* ---- Failures: the status comes back and the variable is restored ---- */

/* Planted in the first probe (calls 1-4) or the tableau (call 8 on): a status,
 * NaN, an infinity. */
static const struct {
  int call, status;
  double value;
} fail_rows[] = {
    {2, GSL_EDOM, 0.0}, {8, GSL_ERANGE, 0.0}, {8, 0, NAN}, {8, 0, INFINITY}, {2, 0, -INFINITY},
};

START_TEST(test_fail_derivative)
{
  /* A non-finite value in the tableau is GSL_EBADFUNC; in the probe it only
   * shrinks the step (row 4), so a value still comes back. */
  double x = 0.7071, x0 = x, d = 0.0;
  fparams p = {.kind = K_EXP,
               .x = &x,
               .bad_call = fail_rows[_i].call,
               .bad_status = fail_rows[_i].status,
               .bad_value = fail_rows[_i].value};
  gv_fd_scalar fn = {scalar_f, &p};
  int status = gv_ridders_derivative(&fn, &x, &d, NULL, NULL);
  if (fail_rows[_i].call <= 4 && !fail_rows[_i].status) {
    ck_assert_int_eq(status, GSL_SUCCESS);
    ck_assert_double_eq_tol(d, exp(x0), 1e-11 * exp(x0));
  } else {
    ck_assert_int_eq(status, fail_rows[_i].status ? fail_rows[_i].status : GSL_EBADFUNC);
  }
  ck_assert_mem_eq(&x, &x0, sizeof x);
}
END_TEST

START_TEST(test_fail_vector)
{
  const double xv[3] = {0.6931, -1.385, 2.213};
  gsl_vector *x = gsl_vector_alloc(3);
  memcpy(x->data, xv, sizeof xv);
  gsl_matrix *D = gsl_matrix_alloc(3, 2);
  fparams p = {.v = x,
               .bad_call = fail_rows[_i].call + 30,
               .bad_status = fail_rows[_i].status,
               .bad_value = fail_rows[_i].value};
  gv_fd_vector fn = {vector_f, &p, 2};
  int status = gv_ridders_jacobian(&fn, x, D, NULL);
  ck_assert_int_ne(status, GSL_SUCCESS);
  ck_assert_mem_eq(x->data, xv, sizeof xv);
  /* The scalar gradient: the same, at the second entry. */
  fparams q = {.bad_call = 30 + 8, .bad_status = GSL_EDOM};
  gsl_vector *x4 = gsl_vector_alloc(4), *g = gsl_vector_alloc(4);
  gsl_vector_set_all(x4, 0.577);
  q.v = x4;
  gv_fd_scalar sfn = {scalar_f, &q};
  ck_assert_int_eq(gv_ridders_gradient(&sfn, x4, g, NULL), GSL_EDOM);
  for (size_t i = 0; i < 4; i++)
    ck_assert_double_eq(gsl_vector_get(x4, i), 0.577);
  gsl_vector *bad = gsl_vector_alloc(3);
  ck_assert_int_eq(gv_ridders_gradient(&sfn, x4, bad, NULL), GSL_EBADLEN);
  ck_assert_int_eq(gv_ridders_gradient(&sfn, x4, g, bad), GSL_EBADLEN);
  gsl_vector_free(bad);
  gsl_vector_free(x4);
  gsl_vector_free(g);
  gsl_matrix_free(D);
  gsl_vector_free(x);
}
END_TEST

static int always_nan(void *params, double *fx)
{
  (void)params;
  *fx = NAN;
  return GSL_SUCCESS;
}

START_TEST(test_fail_everywhere)
{
  /* Non-finite at every probe: no step helps. */
  double x = 1.5, x0 = x, d;
  size_t n = 0;
  gv_fd_scalar fn = {always_nan, NULL};
  ck_assert_int_eq(gv_ridders_derivative(&fn, &x, &d, NULL, &n), GSL_EBADFUNC);
  ck_assert_mem_eq(&x, &x0, sizeof x);
  ck_assert_int_eq((int)n, GV_RIDDERS_MAX_PROBES + 1);
}
END_TEST

START_TEST(test_domain_edge)
{
  /* log at 0.0213: the first probe step (0.1) leaves the domain; the
   * engine shrinks it and succeeds. */
  double x = 0.0213, d, err;
  fparams p = {.kind = K_LOG, .x = &x};
  gv_fd_scalar fn = {scalar_f, &p};
  ck_assert_int_eq(gv_ridders_derivative(&fn, &x, &d, &err, NULL), GSL_SUCCESS);
  ck_assert_double_eq_tol(d, 1.0 / 0.0213, 1e-11 / 0.0213);
}
END_TEST

Suite *gv_test_suite(void)
{
  Suite *s = suite_create("ridders");
  TCase *values = tcase_create("Values");
  tcase_add_loop_test(values, test_known, 0, NROWS(rows));
  tcase_add_test(values, test_linear);
  tcase_add_test(values, test_nulls);
  tcase_add_test(values, test_gradient);
  tcase_add_test(values, test_gradient_matrix);
  tcase_add_test(values, test_jacobian);
  tcase_add_test(values, test_domain_edge);
  suite_add_tcase(s, values);
  TCase *fail = tcase_create("Failures");
  tcase_add_loop_test(fail, test_fail_derivative, 0, NROWS(fail_rows));
  tcase_add_loop_test(fail, test_fail_vector, 0, NROWS(fail_rows));
  tcase_add_test(fail, test_fail_everywhere);
  suite_add_tcase(s, fail);
  return s;
}
