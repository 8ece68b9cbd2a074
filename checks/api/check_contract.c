/* check_contract.c: the callbacks' contract in gv_check_gradient and
 * gv_check_jacobian (gradverify.h, gv_contract). Each planted defect (fdf's f
 * or gradient drifting from f and df, a df that differs between calls or
 * leaves an entry unset, a callback that writes x) must fail the verdict, be
 * named by gv_outcome_contract and printed with its numbers; right callbacks,
 * fdf computed another way included, must pass. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "check_main.h"
#include "fixtures.h"
#include "gradverify.h"

/* f(x) = sum_j c_j exp(x_j / 3) + x_0 x_1, the defect to plant in params. */
enum defect {
  NONE = 0,
  FDF_F,      /* fdf's f off by 1e-9 relative */
  FDF_G,      /* fdf's gradient entry 2 off by 1e-8 relative: a third copy with a typo */
  FDF_ORDER,  /* fdf sums in the other order: right, rounding apart */
  DF_DRIFT,   /* df's entry 1 moves by 1e-13 relative from call to call */
  DF_UNSET,   /* df leaves entry 3 unset */
  F_WRITES,   /* f clamps x_0 in place */
  DF_WRITES,  /* df writes x_2 */
  FDF_WRITES, /* fdf writes x_1 */
  FDF_F_INF,  /* fdf's f is +Inf where f is finite */
};

typedef struct {
  enum defect defect;
  int calls;
} fparams;

#define N 4
static const double cs[N] = {1.3, -0.7, 2.1, 0.45};

static double f(const gsl_vector *x, void *params)
{
  fparams *p = params;
  if (p->defect == F_WRITES)
    gsl_vector_set((gsl_vector *)x, 0, fmin(gsl_vector_get(x, 0), 1.0));
  double s = gsl_vector_get(x, 0) * gsl_vector_get(x, 1);
  for (size_t j = 0; j < N; j++)
    s += cs[j] * exp(gsl_vector_get(x, j) / 3.0);
  return s;
}

static void df(const gsl_vector *x, void *params, gsl_vector *g)
{
  fparams *p = params;
  for (size_t j = 0; j < N; j++) {
    if (p->defect == DF_UNSET && j == 3)
      continue;
    gsl_vector_set(g, j, cs[j] * exp(gsl_vector_get(x, j) / 3.0) / 3.0);
  }
  *gsl_vector_ptr(g, 0) += gsl_vector_get(x, 1);
  *gsl_vector_ptr(g, 1) += gsl_vector_get(x, 0);
  if (p->defect == DF_DRIFT)
    *gsl_vector_ptr(g, 1) *= 1.0 + 1e-13 * (double)(p->calls++ % 3);
  if (p->defect == DF_WRITES)
    gsl_vector_set((gsl_vector *)x, 2, 0.0);
}

static void fdf(const gsl_vector *x, void *params, double *fx, gsl_vector *g)
{
  fparams *p = params;
  df(x, params, g);
  if (p->defect == FDF_ORDER) {
    double s = 0.0;
    for (size_t j = N; j-- > 0;)
      s += cs[j] * exp(gsl_vector_get(x, j) / 3.0);
    *fx = s + gsl_vector_get(x, 0) * gsl_vector_get(x, 1);
  } else
    *fx = f(x, params);
  if (p->defect == FDF_F)
    *fx *= 1.0 + 1e-9;
  if (p->defect == FDF_F_INF)
    *fx = INFINITY;
  if (p->defect == FDF_G)
    *gsl_vector_ptr(g, 2) *= 1.0 + 1e-8;
  if (p->defect == FDF_WRITES)
    gsl_vector_set((gsl_vector *)x, 1, 7.0);
}

static const double xs[N] = {1.7, -0.83, 2.41, 0.37};

/* Runs the gradient check with defect d; returns its output as printed. */
static char *run(enum defect d, gv_outcome *out, gv_contract *c)
{
  fparams p = {.defect = d};
  gsl_multimin_function_fdf fn = {.f = f, .df = df, .fdf = fdf, .n = N, .params = &p};
  double xd[N];
  memcpy(xd, xs, sizeof xd);
  gsl_vector_view x = gsl_vector_view_array(xd, N);
  ck_assert_int_eq(gv_check_gradient(&fn, &x.vector, NULL, out), GSL_SUCCESS);
  for (size_t j = 0; j < N; j++) /* the caller's x is never written */
    ck_assert_double_eq(xd[j], xs[j]);
  ck_assert_int_eq(gv_outcome_contract(out, c), GSL_SUCCESS);
  return fx_printout(out);
}

START_TEST(test_right_passes)
{
  gv_outcome *out = gv_outcome_alloc();
  gv_contract c;
  for (enum defect d = NONE; d <= FDF_ORDER; d += FDF_ORDER) {
    char *text = run(d, out, &c);
    ck_assert_msg(gv_outcome_verdict(out) == GV_PASS, "%s", text);
    ck_assert(c.passed);
    ck_assert(c.fdf_called);
    ck_assert_uint_eq(c.df_ndiffer, 0);
    ck_assert_uint_eq(c.x_written, 0);
    ck_assert_double_le(c.fdf_f_err, c.fdf_f_allowed);
    ck_assert_ptr_nonnull(strstr(text, "contract: fdf agrees with f and df"));
    free(text);
  }
  gv_outcome_free(out);
}
END_TEST

START_TEST(test_fdf_drift)
{
  gv_outcome *out = gv_outcome_alloc();
  gv_contract c;
  char *text = run(FDF_F, out, &c);
  ck_assert_int_eq(gv_outcome_verdict(out), GV_FAIL);
  ck_assert_uint_eq(gv_outcome_nfail(out), 0); /* df itself is right */
  ck_assert(!c.passed);
  ck_assert_double_gt(c.fdf_f_err, c.fdf_f_allowed);
  ck_assert_ptr_nonnull(strstr(text, "fdf's f differs from f by"));
  free(text);
  /* An infinite f from fdf beside a finite f: an allowance relative to
   * max(|f_fdf|, |f|) was infinite too, and the check passed. */
  text = run(FDF_F_INF, out, &c);
  ck_assert_int_eq(gv_outcome_verdict(out), GV_FAIL);
  ck_assert(!c.passed);
  ck_assert(isfinite(c.fdf_f_allowed));
  ck_assert_double_gt(c.fdf_f_err, c.fdf_f_allowed);
  ck_assert_ptr_nonnull(strstr(text, "fdf's f differs from f by"));
  free(text);
  text = run(FDF_G, out, &c);
  ck_assert_int_eq(gv_outcome_verdict(out), GV_FAIL);
  ck_assert_uint_eq(c.fdf_g_col, 2);
  ck_assert_double_gt(c.fdf_g_err, c.fdf_g_allowed);
  ck_assert_double_le(c.fdf_f_err, c.fdf_f_allowed);
  ck_assert_ptr_nonnull(strstr(text, "fdf's gradient differs from df's by"));
  free(text);
  gv_outcome_free(out);
}
END_TEST

START_TEST(test_df_repeats)
{
  gv_outcome *out = gv_outcome_alloc();
  gv_contract c;
  char *text = run(DF_DRIFT, out, &c);
  /* 1e-13 is far below what a finite difference resolves: only the contract sees it. */
  ck_assert_uint_eq(gv_outcome_nfail(out), 0);
  ck_assert_int_eq(gv_outcome_verdict(out), GV_FAIL);
  ck_assert_uint_eq(c.df_ndiffer, 1);
  ck_assert_uint_eq(c.df_col, 1);
  ck_assert_double_ne(c.df_first, c.df_second);
  ck_assert_ptr_nonnull(strstr(text, "df differs between two calls in 1 entries, first (0, 1)"));
  free(text);
  text = run(DF_UNSET, out, &c);
  ck_assert_int_eq(gv_outcome_verdict(out), GV_FAIL);
  ck_assert_uint_eq(c.df_col, 3);
  ck_assert(isnan(c.df_first));
  ck_assert_double_eq(c.df_second, 0.0);
  free(text);
  gv_outcome_free(out);
}
END_TEST

static const struct {
  enum defect d;
  unsigned bit;
  const char *name;
} writers[] = {{F_WRITES, GV_CALLBACK_F, " f"},
               {DF_WRITES, GV_CALLBACK_DF, " df"},
               {FDF_WRITES, GV_CALLBACK_FDF, " fdf"}};

START_TEST(test_writes_x)
{
  gv_outcome *out = gv_outcome_alloc();
  gv_contract c;
  char *text = run(writers[_i].d, out, &c);
  ck_assert_int_eq(gv_outcome_verdict(out), GV_FAIL);
  ck_assert(c.x_written & writers[_i].bit); /* fdf calls f and df here: theirs too */
  char want[80];
  snprintf(want, sizeof want, "a callback modified its x:%s", writers[_i].name);
  ck_assert_msg(strstr(text, want) != NULL, "%s", text);
  free(text);
  gv_outcome_free(out);
}
END_TEST

/* Least squares: r_i = exp(-x0 t_i) x1 - t_i^2, t = 0.4, 1.1, 2.3. */
static int r(const gsl_vector *x, void *params, gsl_vector *out)
{
  fparams *p = params;
  for (size_t i = 0; i < 3; i++) {
    double t = (double[]){0.4, 1.1, 2.3}[i];
    gsl_vector_set(out, i, exp(-gsl_vector_get(x, 0) * t) * gsl_vector_get(x, 1) - t * t);
  }
  if (p->defect == F_WRITES)
    gsl_vector_set((gsl_vector *)x, 1, 1.0);
  return GSL_SUCCESS;
}

static int dr(const gsl_vector *x, void *params, gsl_matrix *J)
{
  fparams *p = params;
  for (size_t i = 0; i < 3; i++) {
    double t = (double[]){0.4, 1.1, 2.3}[i], e = exp(-gsl_vector_get(x, 0) * t);
    gsl_matrix_set(J, i, 0, -t * e * gsl_vector_get(x, 1));
    gsl_matrix_set(J, i, 1, e);
  }
  if (p->defect == DF_DRIFT)
    *gsl_matrix_ptr(J, 2, 0) *= 1.0 + 1e-13 * (double)(p->calls++ % 2);
  return GSL_SUCCESS;
}

START_TEST(test_jacobian)
{
  const enum defect ds[3] = {NONE, DF_DRIFT, F_WRITES};
  double xd[2] = {0.61, -1.9};
  gsl_vector_view x = gsl_vector_view_array(xd, 2);
  gv_outcome *out = gv_outcome_alloc();
  for (int k = 0; k < 3; k++) {
    fparams p = {.defect = ds[k]};
    gsl_multifit_nlinear_fdf fn = {.f = r, .df = dr, .n = 3, .p = 2, .params = &p};
    gv_contract c;
    ck_assert_int_eq(gv_check_jacobian(&fn, &x.vector, NULL, out), GSL_SUCCESS);
    ck_assert_int_eq(gv_outcome_contract(out, &c), GSL_SUCCESS);
    ck_assert(!c.fdf_called);
    ck_assert_int_eq(gv_outcome_verdict(out), ds[k] == NONE ? GV_PASS : GV_FAIL);
    ck_assert_uint_eq(c.df_ndiffer, ds[k] == DF_DRIFT ? 1 : 0);
    ck_assert_uint_eq(c.x_written, ds[k] == F_WRITES ? GV_CALLBACK_F : 0);
  }
  gv_outcome_free(out);
}
END_TEST

START_TEST(test_accessor_errors)
{
  gv_outcome *out = gv_outcome_alloc();
  gv_contract c;
  ck_assert_int_eq(gv_outcome_contract(NULL, &c), GSL_EFAULT);
  ck_assert_int_eq(gv_outcome_contract(out, NULL), GSL_EFAULT);
  ck_assert_int_eq(gv_outcome_contract(out, &c), GSL_EDOM);
  gv_outcome_free(out);
}
END_TEST

Suite *gv_test_suite(void)
{
  Suite *s = suite_create("contract");
  TCase *tc = tcase_create("Core");
  tcase_add_test(tc, test_right_passes);
  tcase_add_test(tc, test_fdf_drift);
  tcase_add_test(tc, test_df_repeats);
  tcase_add_loop_test(tc, test_writes_x, 0, 3);
  tcase_add_test(tc, test_jacobian);
  tcase_add_test(tc, test_accessor_errors);
  suite_add_tcase(s, tc);
  return s;
}
