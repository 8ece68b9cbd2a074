/* check_fd.c: the finite-difference engine.
 *
 * Every value is checked twice: against the known derivative to a stated
 * tolerance, and against the engine's own error bar, which must cover the
 * true error without being uselessly large. The engine perturbs the variable
 * in place; the tests check that it is restored bit for bit (memcmp), also
 * after a failed evaluation. */
#include <float.h>
#include <math.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_vector.h>

#include "check_main.h"
#include "fixtures.h"
#include "gv_fd.h"

/* ---- Test functions ---- */

/* The scalar kinds are fixtures.h's; these take a vector or matrix variable. */
enum { K_VEC = FX_NKINDS, K_MAT, K_SUMSIN };

/* The state a test function reads: its variable, and a call counter with an
 * optional planted failure (fixtures.h). */
typedef struct {
  int kind;
  const double *x;     /* scalar variable */
  const gsl_vector *v; /* vector variable */
  const gsl_matrix *M; /* matrix variable */
  fx_plant plant;
} fparams;

static int scalar_f(void *params, double *fx)
{
  fparams *p = params;
  switch (p->kind) {
  case K_VEC: { /* f(v) = exp(0.3 v0) + v0 v1^2 + sin(v2) */
    double v0 = gsl_vector_get(p->v, 0), v1 = gsl_vector_get(p->v, 1), v2 = gsl_vector_get(p->v, 2);
    *fx = exp(0.3 * v0) + v0 * v1 * v1 + sin(v2);
    break;
  }
  case K_MAT: { /* f(X) = sum_ij w_ij X_ij^2 + X_00 X_12, w_ij = 1 + i + 0.5 j */
    double s = 0.0;
    for (size_t i = 0; i < p->M->size1; i++)
      for (size_t j = 0; j < p->M->size2; j++) {
        double xij = gsl_matrix_get(p->M, i, j);
        s += (1.0 + (double)i + 0.5 * (double)j) * xij * xij;
      }
    *fx = s + gsl_matrix_get(p->M, 0, 0) * gsl_matrix_get(p->M, 1, 2);
    break;
  }
  case K_SUMSIN: {
    double s = 0.0;
    for (size_t i = 0; i < p->v->size; i++)
      s += sin(gsl_vector_get(p->v, i));
    *fx = s;
    break;
  }
  default:
    *fx = fx_value((fx_kind)p->kind, p->x ? *p->x : 0.0);
  }
  return fx_planted(&p->plant, fx);
}

/* F: R^3 -> R^2 of fixtures.h. */
static int vector_f(void *params, gsl_vector *fx)
{
  fparams *p = params;
  return fx_F32(&p->plant, p->v, fx);
}

/* ---- Scalar derivatives with known values ---- */

/* The error bar must cover the true error and stay below this fraction of
 * max(1, |f'|): far inside the comparison's default rtol of 1e-5. */
#define ERRBAR_MAX 1e-8

static const struct {
  fx_kind kind;
  double x;
} deriv_rows[] = {
    {FX_SIN, 0.8137}, {FX_SIN, 2.385},   {FX_SIN, -1.93},    {FX_EXP, 1.2345},  {FX_EXP, -0.731},
    {FX_EXP, 3.71},   {FX_CUBE, 1.7182}, {FX_CUBE, -0.4321}, {FX_CUBE, 12.56},  {FX_LOG, 0.37},
    {FX_LOG, 7.389},  {FX_QUAD, 0.8137}, {FX_QUAD, -2.385},  {FX_QUAD, 413.27},
};

START_TEST(test_derivative_known)
{
  double x = deriv_rows[_i].x, x0 = x;
  fparams p = {.kind = deriv_rows[_i].kind, .x = &x};
  gv_fd_scalar fn = {scalar_f, &p};
  double d = NAN, err = NAN;
  ck_assert_int_eq(gv_fd_derivative(&fn, &x, &d, &err), GSL_SUCCESS);
  double want = fx_derivative((fx_kind)p.kind, x0);
  double scale = fmax(1.0, fabs(want));
  /* Value: to 1e-9 relative (the step balances h^2 f''' against eps f / h). */
  ck_assert_double_eq_tol(d, want, 1e-9 * scale);
  /* Error bar: covers the true error, and is small. */
  ck_assert(err > 0.0);
  ck_assert_msg(fabs(d - want) <= err, "true error %g above error bar %g", fabs(d - want), err);
  ck_assert_msg(err < ERRBAR_MAX * scale, "error bar %g too large (scale %g)", err, scale);
  ck_assert_int_eq(p.plant.calls, 4);
  ck_assert_mem_eq(&x, &x0, sizeof x);
  /* The error bar is gv_fd.h's, recomputed: 2 (4/3) |D(h) - D(h/2)| plus
   * GV_FD_ROUNDOFF_ULPS DBL_EPSILON (|f(x + h)| + |f(x - h)|) / ((x + h) - (x - h)). */
  const double h = gv_fd_step(x0), xp = x0 + h, xm = x0 - h, xp2 = x0 + 0.5 * h, xm2 = x0 - 0.5 * h;
  const fx_kind k = (fx_kind)p.kind;
  const double fp = fx_value(k, xp), fm = fx_value(k, xm);
  const double d1 = (fp - fm) / (xp - xm), d2 = (fx_value(k, xp2) - fx_value(k, xm2)) / (xp2 - xm2);
  const double stated = 2.0 * (4.0 / 3.0) * fabs(d1 - d2) +
                        GV_FD_ROUNDOFF_ULPS * DBL_EPSILON * (fabs(fp) + fabs(fm)) / (xp - xm);
  ck_assert_msg(fabs(err - stated) <= 1e-12 * stated, "error bar %.17g, stated %.17g", err, stated);
}
END_TEST

START_TEST(test_derivative_quadratic_exact)
{
  /* Central differences are exact for a quadratic: only rounding is left, so
   * the error bar is round-off-sized. */
  double x = -2.385, x0 = x;
  fparams p = {.kind = FX_QUAD, .x = &x};
  gv_fd_scalar fn = {scalar_f, &p};
  double d, err;
  ck_assert_int_eq(gv_fd_derivative(&fn, &x, &d, &err), GSL_SUCCESS);
  double want = 6.5 * x0 - 1.5;
  ck_assert_double_eq_tol(d, want, 1e-10);
  ck_assert(fabs(d - want) <= err);
  /* The round-off term alone is 8 eps (|f(x + h)| + |f(x - h)|) / 2h; the
   * truncation term, (4/3) |D(h) - D(h/2)|, adds only rounding noise. */
  double f0 = (3.25 * x0 - 1.5) * x0 + 0.375, h = gv_fd_step(x0);
  double roundoff = GV_FD_ROUNDOFF_ULPS * DBL_EPSILON * 2.0 * fabs(f0) / (2.0 * h);
  ck_assert_msg(err < 1.5 * roundoff, "error bar %g, round-off %g", err, roundoff);
}
END_TEST

START_TEST(test_derivative_short_scale)
{
  /* sin(40 x) varies on a scale of 1/40, not the step's scale of 1: the
   * truncation error is larger, and the error bar must say so. */
  double x = 0.3183, x0 = x;
  fparams p = {.kind = FX_SIN40, .x = &x};
  gv_fd_scalar fn = {scalar_f, &p};
  double d, err;
  ck_assert_int_eq(gv_fd_derivative(&fn, &x, &d, &err), GSL_SUCCESS);
  double want = fx_derivative(FX_SIN40, x0);
  ck_assert_msg(fabs(d - want) <= err, "true error %g above error bar %g", fabs(d - want), err);
  ck_assert_msg(err < 1e-5 * fabs(want), "error bar %g", err);
  /* The error really is bigger than at unit scale: the bar is not just round-off. */
  ck_assert_double_gt(fabs(d - want), 1e-9);
}
END_TEST

/* ---- Gradients, matrices and Jacobians ---- */

/* scalar_f as a vector function of one output. */
static int one_output_f(void *params, gsl_vector *fx)
{
  return scalar_f(params, gsl_vector_ptr(fx, 0));
}

START_TEST(test_gradient_vector)
{
  const double xv[3] = {0.6931, -1.385, 2.213};
  gsl_vector *x = gsl_vector_alloc(3), *g = gsl_vector_alloc(3), *e = gsl_vector_alloc(3);
  for (size_t i = 0; i < 3; i++)
    gsl_vector_set(x, i, xv[i]);
  fparams p = {.kind = K_VEC, .v = x};
  gv_fd_scalar fn = {scalar_f, &p};
  ck_assert_int_eq(gv_fd_gradient(&fn, x, g, e), GSL_SUCCESS);
  const double want[3] = {0.3 * exp(0.3 * xv[0]) + xv[1] * xv[1], 2.0 * xv[0] * xv[1], cos(xv[2])};
  for (size_t i = 0; i < 3; i++) {
    double gi = gsl_vector_get(g, i), ei = gsl_vector_get(e, i);
    double scale = fmax(1.0, fabs(want[i]));
    ck_assert_double_eq_tol(gi, want[i], 1e-9 * scale);
    ck_assert_msg(fabs(gi - want[i]) <= ei, "entry %zu: error %g above bar %g", i,
                  fabs(gi - want[i]), ei);
    ck_assert_double_lt(ei, ERRBAR_MAX * scale);
  }
  ck_assert_mem_eq(x->data, xv, sizeof xv);
  ck_assert_int_eq(p.plant.calls, 12);
  /* One output as a Jacobian (m = 1, D 3-by-1): the gradient, bit for bit. */
  gsl_matrix *D = gsl_matrix_alloc(3, 1), *E = gsl_matrix_alloc(3, 1);
  gv_fd_vector vf = {one_output_f, &p, 1};
  ck_assert_int_eq(gv_fd_jacobian(&vf, x, D, E), GSL_SUCCESS);
  ck_assert_mem_eq(D->data, g->data, 3 * sizeof(double));
  ck_assert_mem_eq(E->data, e->data, 3 * sizeof(double));
  gsl_matrix_free(D);
  gsl_matrix_free(E);
  gsl_vector_free(x);
  gsl_vector_free(g);
  gsl_vector_free(e);
}
END_TEST

/* The variable is a 2 x 3 window (tda 5) of a 4 x 5 parent on odd rows;
 * entries outside it must be left alone. */
START_TEST(test_gradient_matrix_view)
{
  gsl_matrix *parent = gsl_matrix_alloc(4, 5), *G = gsl_matrix_alloc(2, 3);
  gsl_matrix *E = gsl_matrix_alloc(2, 3), *saved = gsl_matrix_alloc(4, 5);
  for (size_t i = 0; i < 4; i++)
    for (size_t j = 0; j < 5; j++)
      gsl_matrix_set(parent, i, j, 0.37 * (double)(i * 5 + j) - 2.9 + 0.01 * (double)(j * j));
  gsl_matrix_memcpy(saved, parent);
  gsl_matrix_view X = gsl_matrix_submatrix(parent, 1, 2, 2, 3);
  fparams p = {.kind = K_MAT, .M = &X.matrix};
  gv_fd_scalar fn = {scalar_f, &p};
  ck_assert_int_eq(gv_fd_gradient_matrix(&fn, &X.matrix, G, E), GSL_SUCCESS);
  for (size_t i = 0; i < 2; i++)
    for (size_t j = 0; j < 3; j++) {
      double xij = gsl_matrix_get(&X.matrix, i, j);
      double want = 2.0 * (1.0 + (double)i + 0.5 * (double)j) * xij;
      if (i == 0 && j == 0)
        want += gsl_matrix_get(&X.matrix, 1, 2);
      if (i == 1 && j == 2)
        want += gsl_matrix_get(&X.matrix, 0, 0);
      double gij = gsl_matrix_get(G, i, j), eij = gsl_matrix_get(E, i, j);
      double scale = fmax(1.0, fabs(want));
      ck_assert_double_eq_tol(gij, want, 1e-9 * scale);
      ck_assert_msg(fabs(gij - want) <= eij, "(%zu, %zu): error %g above bar %g", i, j,
                    fabs(gij - want), eij);
      ck_assert_double_lt(eij, ERRBAR_MAX * scale);
    }
  ck_assert_mem_eq(parent->data, saved->data, 20 * sizeof(double));
  ck_assert_int_eq(p.plant.calls, 24);
  gsl_matrix_free(parent);
  gsl_matrix_free(saved);
  gsl_matrix_free(G);
  gsl_matrix_free(E);
}
END_TEST

START_TEST(test_jacobian_layout)
{
  /* n = 3 inputs, m = 2 outputs: D is 3 x 2 with D(i, j) = dF_j/dx_i. */
  const double xv[3] = {0.4055, -1.2528, 0.9163};
  gsl_vector *x = fx_vector(xv, 3);
  gsl_matrix *D = gsl_matrix_alloc(3, 2), *E = gsl_matrix_alloc(3, 2);
  fparams p = {.v = x};
  gv_fd_vector fn = {vector_f, &p, 2};
  ck_assert_int_eq(gv_fd_jacobian(&fn, x, D, E), GSL_SUCCESS);
  double want[3][2];
  fx_F32_jacobian(xv, want);
  for (size_t i = 0; i < 3; i++)
    for (size_t j = 0; j < 2; j++) {
      double dij = gsl_matrix_get(D, i, j), eij = gsl_matrix_get(E, i, j);
      double scale = fmax(1.0, fabs(want[i][j]));
      ck_assert_double_eq_tol(dij, want[i][j], 1e-9 * scale);
      ck_assert_msg(fabs(dij - want[i][j]) <= eij, "(%zu, %zu): error %g above bar %g", i, j,
                    fabs(dij - want[i][j]), eij);
      ck_assert_double_lt(eij, ERRBAR_MAX * scale);
    }
  ck_assert_mem_eq(x->data, xv, sizeof xv);
  ck_assert_int_eq(p.plant.calls, 12);
  gsl_vector_free(x);
  gsl_matrix_free(D);
  gsl_matrix_free(E);
}
END_TEST

/* ---- Restoration ---- */

/* Values whose perturbation does not round-trip: x + h - h != x in general. */
static const double awkward[7] = {0.1 + 0.2, -0.0, 4.9e-310, 12345.678901, -2.385e7, 1e300, -7.77};

typedef struct {
  fparams base;
  const double *orig;
  int violations; /* evaluations that saw more or less than one entry moved */
} watch_params;

/* sum sin(x_i), checking that exactly one entry differs from the original. */
static int watching_f(void *params, double *fx)
{
  watch_params *w = params;
  size_t moved = 0;
  for (size_t i = 0; i < w->base.v->size; i++)
    if (memcmp(gsl_vector_const_ptr(w->base.v, i), &w->orig[i], sizeof(double)) != 0)
      moved++;
  if (moved != 1)
    w->violations++;
  return scalar_f(&w->base, fx);
}

START_TEST(test_restore_gradient)
{
  const size_t n = sizeof awkward / sizeof awkward[0];
  /* A strided view: the variable is every other entry of a longer array. */
  double buf[14], saved[14];
  for (size_t i = 0; i < 14; i++)
    buf[i] = (i % 2 == 0) ? awkward[i / 2] : -3.3 * (double)i;
  memcpy(saved, buf, sizeof buf);
  gsl_vector_view x = gsl_vector_view_array_with_stride(buf, 2, n);
  gsl_vector *g = gsl_vector_alloc(n), *e = gsl_vector_alloc(n);
  watch_params w = {{.kind = K_SUMSIN, .v = &x.vector}, awkward, 0};
  gv_fd_scalar fn = {watching_f, &w};
  ck_assert_int_eq(gv_fd_gradient(&fn, &x.vector, g, e), GSL_SUCCESS);
  ck_assert_mem_eq(buf, saved, sizeof buf);
  ck_assert_int_eq(w.violations, 0);
  ck_assert_int_eq(w.base.plant.calls, 4 * (int)n);
  /* Without error bars too. */
  ck_assert_int_eq(gv_fd_gradient(&fn, &x.vector, g, NULL), GSL_SUCCESS);
  ck_assert_mem_eq(buf, saved, sizeof buf);
  ck_assert_int_eq(w.violations, 0);
  /* At unit scale the derivative is still right. */
  ck_assert_double_eq_tol(gsl_vector_get(g, 0), cos(awkward[0]), 1e-9);
  ck_assert_double_eq_tol(gsl_vector_get(g, 6), cos(awkward[6]), 1e-9);
  gsl_vector_free(g);
  gsl_vector_free(e);
}
END_TEST

START_TEST(test_restore_derivative)
{
  /* Each awkward value alone, through the single-entry call. */
  double x = awkward[_i], x0 = x, d, err;
  fparams p = {.kind = FX_SIN, .x = &x};
  gv_fd_scalar fn = {scalar_f, &p};
  ck_assert_int_eq(gv_fd_derivative(&fn, &x, &d, &err), GSL_SUCCESS);
  ck_assert_mem_eq(&x, &x0, sizeof x);
  ck_assert_int_eq(gv_fd_derivative(&fn, &x, &d, NULL), GSL_SUCCESS);
  ck_assert_mem_eq(&x, &x0, sizeof x);
}
END_TEST

START_TEST(test_restore_jacobian)
{
  /* -0.0 must come back as -0.0, not as (-0.0 + h) - h = +0.0. */
  const double xv[3] = {-0.0, 0.1 + 0.2, 4.9e-310};
  gsl_vector *x = gsl_vector_alloc(3);
  gsl_matrix *D = gsl_matrix_alloc(3, 2), *E = gsl_matrix_alloc(3, 2);
  memcpy(x->data, xv, sizeof xv);
  fparams p = {.v = x};
  gv_fd_vector fn = {vector_f, &p, 2};
  ck_assert_int_eq(gv_fd_jacobian(&fn, x, D, E), GSL_SUCCESS);
  ck_assert_mem_eq(x->data, xv, sizeof xv);
  ck_assert_int_eq(gv_fd_jacobian(&fn, x, D, NULL), GSL_SUCCESS);
  ck_assert_mem_eq(x->data, xv, sizeof xv);
  gsl_vector_free(x);
  gsl_matrix_free(D);
  gsl_matrix_free(E);
}
END_TEST

/* ---- Step ---- */

static const double step_x[] = {0.0, 0.5, -0.999, 1.0, -1.0, 2.385, -2.385, 1e6, -4.9e-310, 1e300};

START_TEST(test_step)
{
  const double x = step_x[_i];
  const double cbrt_eps = cbrt(DBL_EPSILON); /* 6.0554544523933395e-06 */
  const double want = cbrt_eps * fmax(1.0, fabs(x));
  const double h = gv_fd_step(x);
  ck_assert_double_eq_tol(h, want, 2e-16 * want);
  ck_assert_double_gt(h, 0.0);
  ck_assert_double_eq_tol(gv_fd_step(0.0), 6.0554544523933395e-06, 1e-21);
}
END_TEST

/* ---- Failures: non-finite values and the function's own status ---- */

/* Rows: which call fails (1..4), and how. */
static const struct {
  int bad_call;
  int bad_status;
  double bad_value;
  int want;
} fail_rows[] = {
    {1, 0, NAN, GSL_EBADFUNC},
    {2, 0, INFINITY, GSL_EBADFUNC},
    {3, 0, -INFINITY, GSL_EBADFUNC},
    {4, 0, NAN, GSL_EBADFUNC},
    {1, GSL_ERANGE, 0.0, GSL_ERANGE},
    {2, GSL_EDOM, 0.0, GSL_EDOM},
    {3, GSL_EMAXITER, 0.0, GSL_EMAXITER},
    {4, GSL_EFAILED, 0.0, GSL_EFAILED},
};

START_TEST(test_fail_derivative)
{
  double x = 2.385, x0 = x, d = 17.0, err = 17.0;
  fparams p = {.kind = FX_SIN,
               .x = &x,
               .plant.bad_call = fail_rows[_i].bad_call,
               .plant.bad_status = fail_rows[_i].bad_status,
               .plant.bad_value = fail_rows[_i].bad_value};
  gv_fd_scalar fn = {scalar_f, &p};
  ck_assert_int_eq(gv_fd_derivative(&fn, &x, &d, &err), fail_rows[_i].want);
  ck_assert_mem_eq(&x, &x0, sizeof x);
  /* It stopped at the failing call. */
  ck_assert_int_eq(p.plant.calls, fail_rows[_i].bad_call);
}
END_TEST

START_TEST(test_fail_gradient)
{
  /* The failure comes at entry 1 of 3: status out, every entry restored. */
  const double xv[3] = {0.6931, -1.385, 2.213};
  gsl_vector *x = gsl_vector_alloc(3), *g = gsl_vector_alloc(3), *e = gsl_vector_alloc(3);
  memcpy(x->data, xv, sizeof xv);
  fparams p = {.kind = K_VEC,
               .v = x,
               .plant.bad_call = 4 + fail_rows[_i].bad_call,
               .plant.bad_status = fail_rows[_i].bad_status,
               .plant.bad_value = fail_rows[_i].bad_value};
  gv_fd_scalar fn = {scalar_f, &p};
  ck_assert_int_eq(gv_fd_gradient(&fn, x, g, e), fail_rows[_i].want);
  ck_assert_mem_eq(x->data, xv, sizeof xv);
  ck_assert_int_eq(p.plant.calls, p.plant.bad_call);
  gsl_vector_free(x);
  gsl_vector_free(g);
  gsl_vector_free(e);
}
END_TEST

START_TEST(test_fail_gradient_matrix)
{
  gsl_matrix *X = gsl_matrix_alloc(2, 3), *G = gsl_matrix_alloc(2, 3), *E = gsl_matrix_alloc(2, 3);
  for (size_t k = 0; k < 6; k++)
    X->data[k] = 0.713 * (double)k - 1.1;
  double saved[6];
  memcpy(saved, X->data, sizeof saved);
  fparams p = {.kind = K_MAT,
               .M = X,
               .plant.bad_call = 4 * 4 + fail_rows[_i].bad_call, /* entry (1, 1) */
               .plant.bad_status = fail_rows[_i].bad_status,
               .plant.bad_value = fail_rows[_i].bad_value};
  gv_fd_scalar fn = {scalar_f, &p};
  ck_assert_int_eq(gv_fd_gradient_matrix(&fn, X, G, E), fail_rows[_i].want);
  ck_assert_mem_eq(X->data, saved, sizeof saved);
  gsl_matrix_free(X);
  gsl_matrix_free(G);
  gsl_matrix_free(E);
}
END_TEST

START_TEST(test_fail_jacobian)
{
  const double xv[3] = {0.4055, -1.2528, 0.9163};
  gsl_vector *x = gsl_vector_alloc(3);
  gsl_matrix *D = gsl_matrix_alloc(3, 2), *E = gsl_matrix_alloc(3, 2);
  memcpy(x->data, xv, sizeof xv);
  fparams p = {.v = x,
               .plant.bad_call = 8 + fail_rows[_i].bad_call, /* entry 2 */
               .plant.bad_status = fail_rows[_i].bad_status,
               .plant.bad_value = fail_rows[_i].bad_value};
  gv_fd_vector fn = {vector_f, &p, 2};
  ck_assert_int_eq(gv_fd_jacobian(&fn, x, D, E), fail_rows[_i].want);
  ck_assert_mem_eq(x->data, xv, sizeof xv);
  ck_assert_int_eq(p.plant.calls, p.plant.bad_call);
  gsl_vector_free(x);
  gsl_matrix_free(D);
  gsl_matrix_free(E);
}
END_TEST

/* ---- Without error bars: half the evaluations, the same derivative ---- */

START_TEST(test_no_err_counts)
{
  double x = 1.2345, d1, d2, err;
  fparams p = {.kind = FX_EXP, .x = &x};
  gv_fd_scalar fn = {scalar_f, &p};
  ck_assert_int_eq(gv_fd_derivative(&fn, &x, &d1, NULL), GSL_SUCCESS);
  ck_assert_int_eq(p.plant.calls, 2);
  p.plant.calls = 0;
  ck_assert_int_eq(gv_fd_derivative(&fn, &x, &d2, &err), GSL_SUCCESS);
  ck_assert_int_eq(p.plant.calls, 4);
  ck_assert_double_eq(d1, d2);
  ck_assert_double_eq_tol(d1, exp(1.2345), 1e-9 * exp(1.2345));

  /* Vectors: 2 n against 4 n. */
  const double xv[3] = {0.6931, -1.385, 2.213};
  gsl_vector *v = gsl_vector_alloc(3), *g1 = gsl_vector_alloc(3), *g2 = gsl_vector_alloc(3),
             *e = gsl_vector_alloc(3);
  memcpy(v->data, xv, sizeof xv);
  fparams pv = {.kind = K_VEC, .v = v};
  gv_fd_scalar fv = {scalar_f, &pv};
  ck_assert_int_eq(gv_fd_gradient(&fv, v, g1, NULL), GSL_SUCCESS);
  ck_assert_int_eq(pv.plant.calls, 6);
  pv.plant.calls = 0;
  ck_assert_int_eq(gv_fd_gradient(&fv, v, g2, e), GSL_SUCCESS);
  ck_assert_int_eq(pv.plant.calls, 12);
  for (size_t i = 0; i < 3; i++)
    ck_assert_double_eq(gsl_vector_get(g1, i), gsl_vector_get(g2, i));

  /* Matrices: 2 per entry against 4. */
  gsl_matrix *X = gsl_matrix_alloc(2, 3), *G1 = gsl_matrix_alloc(2, 3),
             *G2 = gsl_matrix_alloc(2, 3), *E = gsl_matrix_alloc(2, 3);
  for (size_t k = 0; k < 6; k++)
    X->data[k] = 0.713 * (double)k - 1.1;
  fparams pm = {.kind = K_MAT, .M = X};
  gv_fd_scalar fm = {scalar_f, &pm};
  ck_assert_int_eq(gv_fd_gradient_matrix(&fm, X, G1, NULL), GSL_SUCCESS);
  ck_assert_int_eq(pm.plant.calls, 12);
  pm.plant.calls = 0;
  ck_assert_int_eq(gv_fd_gradient_matrix(&fm, X, G2, E), GSL_SUCCESS);
  ck_assert_int_eq(pm.plant.calls, 24);
  for (size_t k = 0; k < 6; k++)
    ck_assert_double_eq(G1->data[k], G2->data[k]);

  /* Jacobians: 2 vector evaluations per input entry against 4. */
  gsl_matrix *D1 = gsl_matrix_alloc(3, 2), *D2 = gsl_matrix_alloc(3, 2),
             *DE = gsl_matrix_alloc(3, 2);
  fparams pj = {.v = v};
  gv_fd_vector fj = {vector_f, &pj, 2};
  ck_assert_int_eq(gv_fd_jacobian(&fj, v, D1, NULL), GSL_SUCCESS);
  ck_assert_int_eq(pj.plant.calls, 6);
  pj.plant.calls = 0;
  ck_assert_int_eq(gv_fd_jacobian(&fj, v, D2, DE), GSL_SUCCESS);
  ck_assert_int_eq(pj.plant.calls, 12);
  for (size_t k = 0; k < 6; k++)
    ck_assert_double_eq(D1->data[k], D2->data[k]);
  ck_assert_mem_eq(v->data, xv, sizeof xv);

  gsl_vector_free(v);
  gsl_vector_free(g1);
  gsl_vector_free(g2);
  gsl_vector_free(e);
  gsl_matrix_free(X);
  gsl_matrix_free(G1);
  gsl_matrix_free(G2);
  gsl_matrix_free(E);
  gsl_matrix_free(D1);
  gsl_matrix_free(D2);
  gsl_matrix_free(DE);
}
END_TEST

/* ---- Errors: sizes ---- */

/* gv_fd_eval_vector checks every output, the first and the last included. */
static int nan_at(void *params, gsl_vector *fx)
{
  gsl_vector_set_all(fx, 1.0);
  gsl_vector_set(fx, *(const size_t *)params, NAN);
  return GSL_SUCCESS;
}

START_TEST(test_eval_vector_every_output)
{
  gsl_vector *fx = gsl_vector_alloc(3);
  for (size_t k = 0; k < 3; k++) {
    gv_fd_vector fn = {nan_at, &k, 3};
    ck_assert_int_eq(gv_fd_eval_vector(&fn, fx), GSL_EBADFUNC);
  }
  gsl_vector_free(fx);
}
END_TEST

/* The one-sided error bars of a flat f are their round-off alone:
 * r(s) = GV_FD_ROUNDOFF_ULPS eps (|f(x0 + s)| + |f0|) / s, and
 * err = 2 r(h/2) + r(h) = 5 r(h) (gv_fd.h), with exact abscissae. */
START_TEST(test_sided_roundoff)
{
  const double f = 1e8, h = ldexp(1.0, -10), fv[4] = {f, f, f, f};
  gv_fd_sided d;
  gv_fd_sided_from_values(0.0, h, f, fv, &d);
  const double r = GV_FD_ROUNDOFF_ULPS * DBL_EPSILON * 2.0 * f / h;
  ck_assert_double_eq(d.right, 0.0);
  ck_assert_double_eq(d.left, 0.0);
  ck_assert_double_eq_tol(d.right_err, 5.0 * r, 1e-12 * r);
  ck_assert_double_eq_tol(d.left_err, 5.0 * r, 1e-12 * r);
}
END_TEST

/* F(x) = (x, x^2, 3) at *params, counting its calls in calls[0]. */
static int stencil_f(void *params, gsl_vector *fx)
{
  double *state = params, x = state[0];
  state[1] += 1.0;
  gsl_vector_set(fx, 0, x);
  gsl_vector_set(fx, 1, x * x);
  gsl_vector_set(fx, 2, 3.0);
  return GSL_SUCCESS;
}

/* gv_fd_vector_stencil: every vector of the wrong size (the first and the
 * last included) is refused before any evaluation; the right sizes get F at
 * x0 + h, x0 - h, x0 + h/2, x0 - h/2 in that order, and x0 back exactly. */
START_TEST(test_vector_stencil)
{
  double state[2] = {0.75, 0.0};
  const double h = 0.125;
  gv_fd_vector fn = {stencil_f, state, 3};
  gsl_vector *fv[4], *bad = gsl_vector_alloc(2);
  for (int k = 0; k < 4; k++)
    fv[k] = gsl_vector_alloc(3);
  for (int k = 0; k < 4; k++) {
    gsl_vector *wrong[4] = {fv[0], fv[1], fv[2], fv[3]};
    wrong[k] = bad;
    ck_assert_int_eq(gv_fd_vector_stencil(&fn, &state[0], h, wrong), GSL_EBADLEN);
  }
  ck_assert_double_eq(state[1], 0.0);
  ck_assert_double_eq(state[0], 0.75);
  ck_assert_int_eq(gv_fd_vector_stencil(&fn, &state[0], h, fv), GSL_SUCCESS);
  ck_assert_double_eq(state[1], 4.0);
  ck_assert_double_eq(state[0], 0.75);
  const double at[4] = {0.875, 0.625, 0.8125, 0.6875};
  for (int k = 0; k < 4; k++) {
    ck_assert_double_eq(gsl_vector_get(fv[k], 0), at[k]);
    ck_assert_double_eq(gsl_vector_get(fv[k], 1), at[k] * at[k]);
    ck_assert_double_eq(gsl_vector_get(fv[k], 2), 3.0);
  }
  /* gv_fd_vector_points: only 0 <= from < to <= 4 (gv_fd.h), else GSL_EINVAL
   * and no evaluation. */
  const int ranges[][2] = {{-1, 2}, {2, 5}, {2, 2}, {3, 1}};
  for (size_t r = 0; r < sizeof ranges / sizeof ranges[0]; r++)
    ck_assert_int_eq(gv_fd_vector_points(&fn, &state[0], h, ranges[r][0], ranges[r][1], fv),
                     GSL_EINVAL);
  ck_assert_double_eq(state[1], 4.0);
  ck_assert_int_eq(gv_fd_vector_points(&fn, &state[0], h, 3, 4, fv), GSL_SUCCESS);
  ck_assert_double_eq(state[1], 5.0);
  for (int k = 0; k < 4; k++)
    gsl_vector_free(fv[k]);
  gsl_vector_free(bad);
}
END_TEST

/* |x - 1| at its kink x0 = 1: the central difference gives the mean slope 0,
 * the one-sided ones each slope exactly (f is linear on each side), and a
 * smooth quadratic has left = right = central within the error bars. */
static int kink_f(void *params, double *fx)
{
  *fx = fabs(*(const double *)params - 1.0);
  return GSL_SUCCESS;
}

START_TEST(test_derivative_sided)
{
  double x = 1.0;
  gv_fd_scalar fn = {kink_f, &x};
  gv_fd_sided d;
  ck_assert_int_eq(gv_fd_derivative_sided(&fn, &x, 0.25, 0.0, &d), GSL_SUCCESS);
  ck_assert_double_eq(x, 1.0);
  ck_assert_double_eq(d.central, 0.0);
  ck_assert_double_eq(d.right, 1.0);
  ck_assert_double_eq(d.left, -1.0);
  /* A linear side leaves only round-off in its error bar: far below the jump. */
  ck_assert(d.right_err < 1e-12 && d.left_err < 1e-12);
  ck_assert(d.right_err > 0.0 && d.left_err > 0.0);
  /* The central one sees the kink as truncation: |D(h) - D(h/2)| = 0 here,
   * both straddle it symmetrically, so only its round-off remains too. */
  ck_assert(d.central_err < 1e-12);
  /* On FX_QUAD (3.25 x^2 - 1.5 x + 0.375, slope 1.75 at 0.5) with h = 2^-10:
   * central exact, and right and left too (Richardson's 2 D(h/2) - D(h)
   * cancels the only error term, c s), their bars of order h (what D(h/2)
   * alone would be off by, 3.25 h / 2). */
  double y = 0.5;
  fparams p = {.kind = FX_QUAD, .x = &y};
  gv_fd_scalar q = {scalar_f, &p};
  const double h = ldexp(1.0, -10);
  ck_assert_int_eq(gv_fd_derivative_sided(&q, &y, h, 0.4375, &d), GSL_SUCCESS);
  ck_assert_double_eq_tol(d.central, 1.75, 1e-12);
  ck_assert_double_eq_tol(d.right, 1.75, 1e-9);
  ck_assert_double_eq_tol(d.left, 1.75, 1e-9);
  ck_assert(d.right_err > 1.5 * h && d.right_err < 2.0 * h);
  ck_assert(d.left_err > 1.5 * h && d.left_err < 2.0 * h);
}
END_TEST

/* The cheap first estimate (gv_fd_third_from_values) on f = c t^3 at x0:
 * D(h) = 3 c x0^2 + c h^2 exactly, and the third divided difference is c,
 * so the error bar's truncation part is 2 c h^2, twice the true error; on a
 * ReLU kink inside the stencil (slope jump J at x0 + u h) the bar, times
 * kerr 10, covers D(h)'s error J (1 - u) / 2 away from u = 0.2, and it is
 * the round-off alone on a line. Abscissae exact (x0 = 1, h = 2^-10). */
static void third_at(double (*f)(double, double), double a, double h, gv_fd_sided *d)
{
  const double fv[3] = {f(1.0 + h, a), f(1.0 - h, a), f(1.0 + 0.5 * h, a)};
  gv_fd_third_from_values(1.0, h, f(1.0, a), fv, d);
}

static double cubic(double t, double c)
{
  return c * t * t * t;
}

static double kink(double t, double at)
{
  return 2.0 * t + (t > at ? 0.5 * (t - at) : 0.0);
}

START_TEST(test_third_from_values)
{
  const double h = ldexp(1.0, -10), c = 3.0;
  gv_fd_sided d;
  third_at(cubic, c, h, &d);
  const double err = fabs(d.central - 3.0 * c);
  ck_assert_double_eq_tol(err, c * h * h, 1e-9 * c * h * h);
  ck_assert_double_ge(d.central_err, 2.0 * err);
  ck_assert_double_le(d.central_err, 2.01 * err);
  ck_assert(d.left == d.central && d.right == d.central && d.left_err == d.central_err);
  for (double u = -0.95; u < 1.0; u += 0.05) {
    if (fabs(u - 0.2) < 0.03)
      continue;
    third_at(kink, 1.0 + u * h, h, &d);
    const double slope = u >= 0.0 ? 2.0 : 2.5;
    ck_assert_double_ge(10.0 * d.central_err, fabs(d.central - slope));
  }
  third_at(kink, 10.0, h, &d); /* a line: no truncation at all */
  const double r =
      GV_FD_ROUNDOFF_ULPS * DBL_EPSILON * (2.0 * (1.0 + h) + 2.0 * (1.0 - h)) / (2.0 * h);
  ck_assert_double_eq_tol(d.central_err, r, 1e-9 * r);
}
END_TEST

/* The finer second estimate (gv_fd_fourth_from_values) on f = c t^5 at
 * x0 = 1: D(a) = 5 c + 10 c a^2 + c a^4, so E(H) = 5 c - 4 c H^4 and E(2H) =
 * 5 c - 64 c H^4, and the truncation part of the bar is 8 c H^4, twice the
 * true error; on a line it is the round-off alone, (4/3) 8 eps (|f(1 + H)| +
 * |f(1 - H)|) / 2H + (1/3) 8 eps (|f(1 + 2H)| + |f(1 - 2H)|) / 4H; a kink
 * anywhere inside the stencil shows in the bar. Abscissae exact (H = 2^-6). */
static void fourth_at(double (*f)(double, double), double a, double H, double *d, double *err)
{
  const double fv[6] = {f(1.0 + 4.0 * H, a), f(1.0 - 4.0 * H, a), f(1.0 + 2.0 * H, a),
                        f(1.0 - 2.0 * H, a), f(1.0 + H, a),       f(1.0 - H, a)};
  gv_fd_fourth_from_values(1.0, H, fv, d, err);
}

static double quintic(double t, double c)
{
  return c * t * t * t * t * t;
}

START_TEST(test_fourth_from_values)
{
  const double H = ldexp(1.0, -6), c = 3.0;
  double d, e;
  fourth_at(quintic, c, H, &d, &e);
  const double err = fabs(d - 5.0 * c);
  ck_assert_double_eq_tol(err, 4.0 * c * pow(H, 4.0), 1e-6 * c * pow(H, 4.0));
  ck_assert_double_ge(e, 2.0 * err);
  ck_assert_double_le(e, 2.01 * err);
  for (double u = -0.95; u < 1.0; u += 0.05) {
    if (fabs(u) < 0.13 || fabs(fabs(u) - 0.45) < 0.03)
      continue;
    fourth_at(kink, 1.0 + u * 4.0 * H, H, &d, &e);
    const double slope = u >= 0.0 ? 2.0 : 2.5;
    ck_assert_double_ge(10.0 * e, fabs(d - slope));
  }
  fourth_at(kink, 10.0, H, &d, &e); /* a line: no truncation at all */
  ck_assert_double_eq_tol(d, 2.0, 1e-13);
  const double r = GV_FD_ROUNDOFF_ULPS * DBL_EPSILON *
                   (4.0 / 3.0 * (2.0 * (1.0 + H) + 2.0 * (1.0 - H)) / (2.0 * H) +
                    1.0 / 3.0 * (2.0 * (1.0 + 2.0 * H) + 2.0 * (1.0 - 2.0 * H)) / (4.0 * H));
  ck_assert_double_eq_tol(e, r, 1e-9 * r);
}
END_TEST

START_TEST(test_badlen)
{
  gsl_vector *x = gsl_vector_calloc(3), *v2 = gsl_vector_calloc(2), *v4 = gsl_vector_calloc(4),
             *g = gsl_vector_calloc(3);
  gsl_matrix *X = gsl_matrix_calloc(2, 3), *M32 = gsl_matrix_calloc(3, 2),
             *M22 = gsl_matrix_calloc(2, 2), *M23 = gsl_matrix_calloc(2, 3),
             *M33 = gsl_matrix_calloc(3, 3), *M42 = gsl_matrix_calloc(4, 2);
  fparams p = {.kind = K_VEC, .v = x, .M = X};
  gv_fd_scalar fn = {scalar_f, &p};
  gv_fd_vector fv = {vector_f, &p, 2};
  ck_assert_int_eq(gv_fd_gradient(&fn, x, v2, NULL), GSL_EBADLEN);
  ck_assert_int_eq(gv_fd_gradient(&fn, x, v4, NULL), GSL_EBADLEN);
  ck_assert_int_eq(gv_fd_gradient(&fn, x, g, v2), GSL_EBADLEN);
  ck_assert_int_eq(gv_fd_gradient(&fn, x, g, v4), GSL_EBADLEN);
  p.kind = K_MAT;
  ck_assert_int_eq(gv_fd_gradient_matrix(&fn, X, M32, NULL), GSL_EBADLEN);
  ck_assert_int_eq(gv_fd_gradient_matrix(&fn, X, M22, NULL), GSL_EBADLEN);
  ck_assert_int_eq(gv_fd_gradient_matrix(&fn, X, M33, NULL), GSL_EBADLEN);
  ck_assert_int_eq(gv_fd_gradient_matrix(&fn, X, M23, M32), GSL_EBADLEN);
  ck_assert_int_eq(gv_fd_gradient_matrix(&fn, X, M23, M22), GSL_EBADLEN);
  /* Jacobian of R^3 -> R^2: D must be 3 x 2 (denominator layout), not 2 x 3. */
  ck_assert_int_eq(gv_fd_jacobian(&fv, x, M23, NULL), GSL_EBADLEN);
  ck_assert_int_eq(gv_fd_jacobian(&fv, x, M42, NULL), GSL_EBADLEN);
  ck_assert_int_eq(gv_fd_jacobian(&fv, x, M33, NULL), GSL_EBADLEN);
  ck_assert_int_eq(gv_fd_jacobian(&fv, x, M32, M23), GSL_EBADLEN);
  ck_assert_int_eq(gv_fd_jacobian(&fv, x, M32, M42), GSL_EBADLEN);
  /* Nothing was evaluated, nothing was moved. */
  ck_assert_int_eq(p.plant.calls, 0);
  for (size_t i = 0; i < 3; i++)
    ck_assert_double_eq(gsl_vector_get(x, i), 0.0);
  /* And the right shapes do work. */
  ck_assert_int_eq(gv_fd_jacobian(&fv, x, M32, NULL), GSL_SUCCESS);
  ck_assert_int_eq(gv_fd_gradient_matrix(&fn, X, M23, NULL), GSL_SUCCESS);
  gsl_vector_free(x);
  gsl_vector_free(v2);
  gsl_vector_free(v4);
  gsl_vector_free(g);
  gsl_matrix_free(X);
  gsl_matrix_free(M32);
  gsl_matrix_free(M22);
  gsl_matrix_free(M23);
  gsl_matrix_free(M33);
  gsl_matrix_free(M42);
}
END_TEST

#define NROWS(a) ((int)(sizeof(a) / sizeof((a)[0])))

Suite *gv_test_suite(void)
{
  Suite *s = suite_create("fd");

  TCase *values = tcase_create("Values");
  tcase_add_loop_test(values, test_derivative_known, 0, NROWS(deriv_rows));
  tcase_add_test(values, test_derivative_quadratic_exact);
  tcase_add_test(values, test_derivative_short_scale);
  tcase_add_test(values, test_gradient_vector);
  tcase_add_test(values, test_gradient_matrix_view);
  tcase_add_test(values, test_jacobian_layout);
  tcase_add_loop_test(values, test_step, 0, NROWS(step_x));
  suite_add_tcase(s, values);

  TCase *restore = tcase_create("Restore");
  tcase_add_test(restore, test_restore_gradient);
  tcase_add_loop_test(restore, test_restore_derivative, 0, NROWS(awkward));
  tcase_add_test(restore, test_restore_jacobian);
  suite_add_tcase(s, restore);

  TCase *fail = tcase_create("Failures");
  tcase_add_loop_test(fail, test_fail_derivative, 0, NROWS(fail_rows));
  tcase_add_loop_test(fail, test_fail_gradient, 0, NROWS(fail_rows));
  tcase_add_loop_test(fail, test_fail_gradient_matrix, 0, NROWS(fail_rows));
  tcase_add_loop_test(fail, test_fail_jacobian, 0, NROWS(fail_rows));
  tcase_add_test(fail, test_no_err_counts);
  tcase_add_test(fail, test_badlen);
  tcase_add_test(fail, test_eval_vector_every_output);
  tcase_add_test(fail, test_sided_roundoff);
  tcase_add_test(fail, test_vector_stencil);
  tcase_add_test(fail, test_derivative_sided);
  tcase_add_test(fail, test_third_from_values);
  tcase_add_test(fail, test_fourth_from_values);
  suite_add_tcase(s, fail);

  return s;
}
