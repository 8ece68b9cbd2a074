/* check_assert.c: gradverify_assert.h inside a Check suite, the way a user's
 * own tests would use it. A right gradient and Jacobian pass; a planted
 * mistake reaches GV_ASSERT_FAIL, which here fails the Check test unless the
 * case expects the failure (then it is recorded and asserted on). */
#include <math.h>
#include <string.h>

#include <gsl/gsl_math.h>

#include "check_main.h"

static int expect_failure; /* set by the planted-mistake cases */
static const char *failed; /* the message GV_ASSERT_FAIL received */
static void assert_failed(const char *msg)
{
  if (!expect_failure)
    ck_abort_msg("%s", msg);
  failed = msg;
}
#define GV_ASSERT_FAIL(msg) assert_failed(msg)
#include "gradverify_assert.h"

static int bad = 1, badvv = 1; /* &bad: wrong derivatives; &badvv: only fvv wrong */

/* f(x) = exp(x0) x1^3 - x0 x1; params non-NULL: df/dx1 misses its factor 3. */
static double f(const gsl_vector *x, void *params)
{
  (void)params;
  double a = gsl_vector_get(x, 0), b = gsl_vector_get(x, 1);
  return exp(a) * b * b * b - a * b;
}

static void df(const gsl_vector *x, void *params, gsl_vector *g)
{
  double a = gsl_vector_get(x, 0), b = gsl_vector_get(x, 1);
  gsl_vector_set(g, 0, exp(a) * b * b * b - b);
  gsl_vector_set(g, 1, (params ? 1.0 : 3.0) * exp(a) * b * b - a);
}

/* Residuals r_i = exp(-x0 t_i) - x1 t_i at t = 0.5, 1.5, 2.5; params non-NULL:
 * the Jacobian's (1, 0) entry loses its sign. */
static int r(const gsl_vector *x, void *params, gsl_vector *out)
{
  (void)params;
  for (size_t i = 0; i < 3; i++) {
    double t = 0.5 + (double)i;
    gsl_vector_set(out, i, exp(-gsl_vector_get(x, 0) * t) - gsl_vector_get(x, 1) * t);
  }
  return GSL_SUCCESS;
}

static int dr(const gsl_vector *x, void *params, gsl_matrix *J)
{
  for (size_t i = 0; i < 3; i++) {
    double t = 0.5 + (double)i;
    double d0 = -t * exp(-gsl_vector_get(x, 0) * t);
    gsl_matrix_set(J, i, 0, params == &bad && i == 1 ? -d0 : d0);
    gsl_matrix_set(J, i, 1, -t);
  }
  return GSL_SUCCESS;
}

/* fvv_i = t^2 exp(-x0 t) v0^2; params non-NULL: its sign flipped. */
static int rvv(const gsl_vector *x, const gsl_vector *v, void *params, gsl_vector *out)
{
  for (size_t i = 0; i < 3; i++) {
    double t = 0.5 + (double)i;
    double d = t * t * exp(-gsl_vector_get(x, 0) * t) * gsl_pow_2(gsl_vector_get(v, 0));
    gsl_vector_set(out, i, params ? -d : d);
  }
  return GSL_SUCCESS;
}

static double xs[2] = {0.3817, -1.2264};

START_TEST(test_right_pass)
{
  gsl_vector_view x = gsl_vector_view_array(xs, 2);
  gsl_multimin_function_fdf g = {.f = f, .df = df, .n = 2};
  gsl_multifit_nlinear_fdf j = {.f = r, .df = dr, .fvv = rvv, .n = 3, .p = 2};
  GV_ASSERT_GRADIENT(&g, &x.vector, NULL);
  GV_ASSERT_JACOBIAN(&j, &x.vector, NULL);
  GV_ASSERT_FVV(&j, &x.vector, NULL, NULL);
}
END_TEST

START_TEST(test_wrong_fail)
{
  gsl_vector_view x = gsl_vector_view_array(xs, 2);
  gsl_multimin_function_fdf g = {.f = f, .df = df, .n = 2, .params = &bad};
  gsl_multifit_nlinear_fdf j = {.f = r, .df = dr, .n = 3, .p = 2, .params = &bad};
  expect_failure = 1;
  failed = NULL;
  GV_ASSERT_GRADIENT(&g, &x.vector, NULL);
  ck_assert_ptr_nonnull(failed);
  ck_assert_ptr_nonnull(strstr(failed, "gradient check of &g failed"));
  failed = NULL;
  GV_ASSERT_JACOBIAN(&j, &x.vector, NULL);
  ck_assert_ptr_nonnull(failed);
  ck_assert_ptr_nonnull(strstr(failed, "Jacobian check of &j failed"));
  gsl_multifit_nlinear_fdf k = {.f = r, .df = dr, .fvv = rvv, .n = 3, .p = 2, .params = &badvv};
  failed = NULL;
  GV_ASSERT_FVV(&k, &x.vector, NULL, NULL);
  ck_assert_ptr_nonnull(failed);
  ck_assert_ptr_nonnull(strstr(failed, "fvv check of &k failed"));
  expect_failure = 0;
}
END_TEST

/* A check that cannot run (no df) fails the assertion too. */
START_TEST(test_cannot_run_fails)
{
  gsl_vector_view x = gsl_vector_view_array(xs, 2);
  gsl_multimin_function_fdf g = {.f = f, .n = 2};
  expect_failure = 1;
  failed = NULL;
  GV_ASSERT_GRADIENT(&g, &x.vector, NULL);
  ck_assert_ptr_nonnull(failed);
  expect_failure = 0;
}
END_TEST

Suite *gv_test_suite(void)
{
  Suite *s = suite_create("assert");
  TCase *tc = tcase_create("Core");
  tcase_add_test(tc, test_right_pass);
  tcase_add_test(tc, test_wrong_fail);
  tcase_add_test(tc, test_cannot_run_fails);
  suite_add_tcase(s, tc);
  return s;
}
